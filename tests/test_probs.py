"""Class probabilities: the shared-weight kernel against a reference, distributions kept."""

import cv2
import numpy as np
import pytest

import naive
import tempcons as tc
from tempcons._kernels import probs as _k
from tempcons.kinds.probs import to_labels


@pytest.mark.parametrize("seed", range(3))
def test_blend_matches_reference(seed):
    rng = np.random.default_rng(seed)
    h, w, c = 7, 9, 5
    probs = rng.dirichlet(np.ones(c), (h, w)).astype(np.float32)
    look = rng.random((h, w, 2)).astype(np.float32)
    weight = rng.uniform(0, 3, (h, w)).astype(np.float32)
    carried = rng.dirichlet(np.ones(c), (h, w)).astype(np.float32)
    warped = np.concatenate([carried * weight[..., None], weight[..., None], look + rng.normal(0, 0.05, look.shape)],
                            axis=-1).astype(np.float32)
    valid = (rng.random((h, w)) > 0.3).astype(np.float32)
    value, total = np.empty_like(probs), np.empty((h, w), np.float32)
    packed = np.empty((h, w, c + 3), np.float32)
    _k.blend(probs, look, np.float32(1.0), warped, valid, True, np.float32(0.8), np.float32(0.5 / 0.1 ** 2),
             np.float32(0.6), np.float32(5.0), np.float32(0.2), value, total, packed)
    ref_value, ref_total = naive.prob_blend(probs, look, warped, valid, 0.8, 0.1, 0.6, 5.0, 0.2)
    np.testing.assert_allclose(value, ref_value, atol=1e-4)
    np.testing.assert_allclose(total, ref_total, atol=1e-4)
    np.testing.assert_allclose(value.sum(-1), 1.0, atol=1e-5)


def _soft_classes(labels, c, sigma=1.5):
    probs = np.stack([np.stack([cv2.GaussianBlur((lab == k).astype(np.float32), (0, 0), sigma) for k in range(c)], -1)
                      for lab in labels]) + 0.05
    return (probs / probs.sum(-1, keepdims=True)).astype(np.float32)


def test_distributions_kept_and_static_scene_unchanged():
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, (1, 32, 40, 3), np.uint8), 5, axis=0)
    labels = np.zeros((5, 32, 40), np.uint8)
    labels[:, 8:24, 10:30] = 1
    labels[:, 20:, :] = 2
    probs = _soft_classes(labels, 3)
    for latency in (0, 2, None):
        out = tc.stabilize(frames, probs, kind="probs", latency=latency)
        assert out.shape == probs.shape and out.dtype == probs.dtype
        np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(out, probs, atol=1e-5)  # nothing changes, nothing to fix


def test_a_one_frame_wrong_class_is_outvoted():
    rng = np.random.default_rng(1)
    frames = np.repeat(rng.integers(0, 255, (1, 32, 40, 3), np.uint8), 7, axis=0)
    labels = np.zeros((7, 32, 40), np.uint8)
    labels[:, 8:24, 10:30] = 1
    labels[3, 10:20, 14:24] = 2  # a blink of class 2 inside class 1
    out = to_labels(tc.stabilize(frames, _soft_classes(labels, 3), kind="probs"))
    assert (out[3, 12:18, 16:22] == 1).all()


def test_probability_input_is_checked():
    frames = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="sum to 1"):
        tc.stabilize(frames, np.full((2, 8, 8, 3), 0.5, np.float32), kind="probs")
    with pytest.raises(ValueError, match=r"\(T, H, W, C\)"):
        tc.stabilize(frames, np.full((2, 8, 8), 1.0, np.float32), kind="probs")
    stab = tc.Stabilizer(kind="probs")
    stab.update(frames[0], np.full((8, 8, 2), 0.5, np.float32))
    with pytest.raises(ValueError, match="classes"):
        stab.update(frames[1], np.full((8, 8, 4), 0.25, np.float32))
