"""The baselines follow their published rules exactly."""

import numpy as np
import pytest

from tempcons import baselines


def test_mediapipe_rule_by_hand():
    p = np.array([0.5, 0.3, 0.1, 0.0], np.float32)
    masks = np.stack([np.full(4, 0.9, np.float32), p])[:, None, :]
    out = baselines.mediapipe_smoothing(masks, 0.7)
    # u(p) is the squared binary entropy within 0.0013.
    hb = -(p * np.log2(np.maximum(p, 1e-12)) + (1 - p) * np.log2(np.maximum(1 - p, 1e-12)))
    expected = p + (0.9 - p) * 0.7 * hb ** 2
    np.testing.assert_allclose(out[1, 0], expected, atol=0.7 * 0.9 * 0.0014)
    assert out[1, 0, 3] < 1e-4  # a hard value is (almost) never smoothed: u(0) = 4e-5


def test_mediapipe_recursion_uses_previous_output():
    masks = np.full((3, 1, 1), 0.5, np.float32)
    masks[0] = 1.0
    out = baselines.mediapipe_smoothing(masks, 0.7).ravel()
    assert out[1] == pytest.approx(0.85, abs=1e-6)
    assert out[2] == pytest.approx(0.5 + (0.85 - 0.5) * 0.7, abs=1e-6)


def test_modnet_ofd_rule():
    a = np.array([0.2, 0.9, 0.25, 0.9, 0.6], np.float32)[:, None, None]
    out = baselines.modnet_ofd(a, 0.1).ravel()
    # frame 1: neighbours 0.2 and 0.25 agree, it differs from both -> mean; frame 2: neighbours agree too.
    np.testing.assert_allclose(out, [0.2, 0.225, 0.9, 0.9, 0.6], atol=1e-6)


def test_ema_and_median_on_binary_keep_kind():
    m = np.zeros((5, 2, 2), bool)
    m[2] = True
    assert baselines.temporal_median(m, 3).dtype == bool
    assert not baselines.temporal_median(m, 3).any()
    e = baselines.ema(m.astype(np.uint8) * 255, 0.6)
    assert e.dtype == np.uint8 and set(np.unique(e)) <= {0, 255}
    assert e[2].all() and not e[3].any()


@pytest.mark.parametrize("fn", [baselines.ema, baselines.temporal_median, baselines.mediapipe_smoothing,
                                baselines.modnet_ofd])
def test_soft_uint8_comes_back_as_uint8(fn):
    rng = np.random.default_rng(0)
    masks = (rng.random((4, 6, 7)) * 255).astype(np.uint8)
    out = fn(masks)
    assert out.dtype == np.uint8 and out.shape == masks.shape
    assert np.abs(out.astype(int) - fn(masks.astype(np.float32) / 255) * 255).max() <= 1


@pytest.mark.parametrize("call", [
    lambda: baselines.ema(np.zeros((2, 3, 3), np.float32), 0.0),
    lambda: baselines.temporal_median(np.zeros((2, 3, 3), np.float32), 2),
    lambda: baselines.mediapipe_smoothing(np.zeros((2, 3, 3), np.float32), 1.5),
    lambda: baselines.modnet_ofd(np.zeros((2, 3), np.float32)),
    lambda: baselines.ema(np.zeros((0, 3, 3), np.float32)),
])
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
