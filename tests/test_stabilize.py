"""Invariants of the stabilizer, the latency dial, kinds, and its error messages."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tempcons as tc
from tempcons.metrics import ClipRuler, region_similarity


@pytest.fixture(scope="module")
def clip():
    return tc.synthetic.make_clip(n_frames=14, height=96, width=128, seed=3)


def _textured(n, h, w, seed=0):
    rng = np.random.default_rng(seed)
    return (tc.synthetic.texture(h, w, rng) * 255).astype(np.uint8)


def test_static_clip_stays_constant_and_unchanged():
    frame = _textured(1, 64, 80)
    mask = np.zeros((64, 80), np.float32)
    mask[16:48, 20:60] = 0.9
    frames = np.repeat(frame[None], 8, axis=0)
    masks = np.repeat(mask[None], 8, axis=0)
    for latency in (0, 2, None):
        out = tc.stabilize(frames, masks, preset="realtime", latency=latency, refine=False)
        np.testing.assert_allclose(out, masks, atol=1e-6)
        refined = tc.stabilize(frames, masks, preset="realtime", latency=latency)
        np.testing.assert_allclose(refined, refined[:1].repeat(8, axis=0), atol=1e-5)
        # Guided refinement may only move values near the mask's edges.
        far = np.ones((64, 80), bool)
        far[10:54, 14:66] = False
        far[22:42, 26:54] = True
        np.testing.assert_allclose(refined[:, far], masks[:, far], atol=0.02)


def _moving_square(n=10, h=72, w=96, step=2.0):
    """A square and the frame texture moving right by ``step`` px per frame, with the exact flows."""
    rng = np.random.default_rng(1)
    big = (tc.synthetic.texture(h, w + int(step * n) + 8, rng) * 255).astype(np.uint8)
    frames, truth = [], []
    for t in range(n):
        x0 = int(step * t)
        frames.append(np.ascontiguousarray(big[:, (int(step * n) - x0):(int(step * n) - x0) + w]))
        m = np.zeros((h, w), bool)
        m[20:50, 10 + x0:40 + x0] = True
        frames[-1] = np.where(m[..., None], frames[-1] // 2 + 128, frames[-1] // 2)  # the object is visible
        truth.append(m)
    frames, truth = np.stack(frames), np.stack(truth)
    fw = np.zeros((n - 1, h, w, 2), np.float32)
    fw[..., 0] = step
    return frames, truth, fw


@pytest.mark.parametrize("latency", [0, 2, None])
def test_motion_with_known_flow_has_no_lag(latency):
    frames, truth, fw = _moving_square()
    out = tc.stabilize(frames, truth, latency=latency, flow=(fw, -fw))
    j = region_similarity(out, truth)
    assert j.min() > 0.97, j


def test_motion_with_estimated_flow_keeps_iou():
    frames, truth, _ = _moving_square(step=3.0)
    out = tc.stabilize(frames, truth, preset="balanced")
    assert region_similarity(out, truth).min() > 0.9


@pytest.mark.parametrize("latency", [0, 2])
def test_streaming_equals_offline_with_same_latency(clip, latency):
    stab = tc.Stabilizer(preset="realtime", latency=latency)
    got = [stab.update(f, m) for f, m in zip(clip.frames, clip.masks)]
    assert all(g is None for g in got[:latency])
    got = [g for g in got if g is not None] + stab.flush()
    offline = tc.stabilize(clip.frames, clip.masks, preset="realtime", latency=latency)
    np.testing.assert_array_equal(np.stack(got), offline)


@pytest.mark.parametrize("latency", [0, 2])
def test_latency_bounds_what_is_read_from_the_future(clip, latency):
    k = 7
    other = tc.synthetic.make_clip(n_frames=14, height=96, width=128, seed=99)
    frames = np.concatenate([clip.frames[:k], other.frames[k:]])
    masks = np.concatenate([clip.masks[:k], other.masks[k:]])
    a = tc.stabilize(clip.frames, clip.masks, preset="realtime", latency=latency)
    b = tc.stabilize(frames, masks, preset="realtime", latency=latency)
    np.testing.assert_array_equal(a[:k - latency], b[:k - latency])
    assert not np.array_equal(a[k:], b[k:])


def test_stabilizer_reset_and_flush(clip):
    stab = tc.Stabilizer(preset="realtime", latency=3)
    for f, m in zip(clip.frames[:5], clip.masks[:5]):
        stab.update(f, m)
    assert len(stab.flush()) == 3
    assert stab.flush() == []
    stab.reset()
    first = stab.update(clip.frames[0][:48, :64], clip.masks[0][:48, :64])  # a new size after reset
    assert first is None


@pytest.mark.parametrize("make, kind", [
    (lambda m: m > 0.5, None),
    (lambda m: ((m > 0.5) * 255).astype(np.uint8), None),
    (lambda m: (m > 0.5).astype(np.uint8), "binary"),
    (lambda m: m.astype(np.float32), None),
    (lambda m: m.astype(np.float64), "alpha"),
    (lambda m: (m * 255).astype(np.uint8), "soft"),
])
def test_output_has_input_kind_dtype_and_range(clip, make, kind):
    masks = make(clip.masks)
    out = tc.stabilize(clip.frames, masks, kind=kind, preset="realtime")
    assert out.shape == masks.shape and out.dtype == masks.dtype
    assert set(np.unique(out)) <= set(np.unique(masks)) | ({0, 1} if masks.dtype == bool else set()) or \
        out.dtype.kind == "f" or kind == "soft"
    if out.dtype.kind == "f":
        assert out.min() >= 0 and out.max() <= 1


def test_input_is_not_modified(clip):
    masks = clip.masks.copy()
    frames = clip.frames.copy()
    tc.stabilize(frames, masks, preset="realtime")
    np.testing.assert_array_equal(masks, clip.masks)
    np.testing.assert_array_equal(frames, clip.frames)


def test_low_resolution_masks_come_back_at_frame_size(clip):
    small = clip.masks[:, ::2, ::2]
    out = tc.stabilize(clip.frames, small, preset="realtime")
    assert out.shape == clip.masks.shape
    assert region_similarity(out > 0.5, clip.truth).mean() > 0.7


def test_grey_and_float_frames_and_callable_flow(clip):
    grey = clip.frames.mean(axis=3).astype(np.uint8)
    assert tc.stabilize(grey, clip.masks, preset="realtime").shape == clip.masks.shape
    calls = []

    def zero_flow(a, b):
        calls.append(1)
        return np.zeros((*a.shape[:2], 2), np.float32)

    out = tc.stabilize(clip.frames.astype(np.float32) / 255, clip.masks, flow=zero_flow, latency=0)
    assert out.shape == clip.masks.shape and len(calls) == 2 * (len(clip.frames) - 1)


def test_flicker_goes_down_on_synthetic_clip():
    clip = tc.synthetic.make_clip(n_frames=24, height=240, width=320, seed=5)
    ruler = ClipRuler(clip.frames, clip.truth)
    raw = ruler.score(clip.masks)
    for latency, ratio in ((None, 0.6), (0, 0.8)):
        got = ruler.score(tc.stabilize(clip.frames, clip.masks, latency=latency))
        assert got["excess"] < ratio * raw["excess"], (latency, got, raw)
        assert got["J"] > raw["J"] - 0.01, (latency, got, raw)


def _ok(n=3, h=32, w=40):
    return np.zeros((n, h, w, 3), np.uint8), np.zeros((n, h, w), np.float32)


@pytest.mark.parametrize("frames, masks, kwargs, err, words", [
    (np.zeros((3, 32, 40, 4), np.uint8), _ok()[1], {}, ValueError, "frames"),
    (_ok()[0], np.zeros((3, 32, 40, 2), np.float32), {}, ValueError, "masks"),
    (_ok()[0], _ok(n=2)[1], {}, ValueError, "same length"),
    (np.zeros((0, 32, 40, 3), np.uint8), np.zeros((0, 32, 40), np.float32), {}, ValueError, "empty"),
    (_ok()[0], np.full((3, 32, 40), np.nan, np.float32), {}, ValueError, "NaN"),
    (_ok()[0], np.full((3, 32, 40), 1.5, np.float32), {}, ValueError, "[0, 1]"),
    (_ok()[0], np.zeros((3, 32, 40), np.int32), {}, TypeError, "dtype"),
    (_ok()[0], np.tile(np.arange(40, dtype=np.uint8) % 2, (3, 32, 1)), {}, ValueError, "kind="),
    (_ok()[0], np.zeros((3, 16, 30), np.float32), {}, ValueError, "aspect"),
    (_ok()[0], np.zeros((3, 64, 80), np.float32), {}, ValueError, "larger"),
    (_ok()[0].astype(np.float32) + 2, _ok()[1], {}, ValueError, "[0, 1]"),
    (_ok()[0], _ok()[1], {"latency": -1}, ValueError, "latency"),
    (_ok()[0], _ok()[1], {"flow": np.zeros((3, 32, 40, 2), np.float32)}, ValueError, "flow"),
    (_ok()[0], _ok()[1], {"flow": "raft"}, ValueError, "flow"),
    (_ok()[0], _ok()[1], {"preset": "fastest"}, ValueError, "preset"),
    (_ok()[0], _ok()[1], {"memroy": 0.5}, TypeError, "memroy"),
    (_ok()[0], _ok()[1], {"memory": 1.5}, ValueError, "memory"),
    (_ok()[0], _ok()[1], {"flow_method": "raft"}, ValueError, "flow_method must be one of"),
    (_ok()[0], _ok()[1], {"flow_preset": "slow"}, ValueError, "flow_preset must be one of"),
    (_ok()[0], _ok()[1], {"fb_alpha": -0.01}, ValueError, "fb_alpha"),
    (_ok()[0], _ok()[1], {"fb_beta": float("nan")}, ValueError, "fb_beta"),
    (_ok()[0], _ok()[1], {"refine": "no"}, ValueError, "refine must be True or False"),
    (_ok()[0], _ok()[1], {"kind": "panoptic"}, ValueError, "kind must be one of"),
    (_ok()[0], np.full((3, 32, 40, 2), 0.3, np.float32), {"kind": "probs"}, ValueError, "sum to 1"),
    (_ok()[0], np.zeros((3, 32, 40, 0), np.float32), {"kind": "probs"}, ValueError, "C >= 1"),
    (_ok()[0], np.zeros((3, 32, 40, 2), np.int32), {"kind": "probs"}, TypeError, "float class probabilities"),
    (_ok()[0], _ok()[1], {"kind": "labels"}, TypeError, "integer label ids"),
    (_ok()[0], np.full((3, 32, 40), -1, np.int32), {"kind": "labels"}, ValueError, "negative"),
    (_ok()[0], np.zeros((3, 32, 40), np.int32), {"kind": "labels", "ignore_index": -3}, ValueError, "ignore_index"),
    ([[0]], _ok()[1], {}, TypeError, "frames"),
])
def test_bad_input_raises_clearly(frames, masks, kwargs, err, words):
    with pytest.raises(err, match=None) as info:
        tc.stabilize(frames, masks, **kwargs)
    assert words in str(info.value)


def test_streaming_bad_input_raises_clearly(clip):
    stab = tc.Stabilizer(preset="realtime")
    stab.update(clip.frames[0], clip.masks[0])
    with pytest.raises(TypeError, match="dtype"):
        stab.update(clip.frames[1], clip.masks[1].astype(np.float64))
    with pytest.raises(ValueError, match="size"):
        stab.update(clip.frames[1][:50], clip.masks[1][:50])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stab.update(clip.frames[1], clip.masks[1] + 1)
    with pytest.raises(ValueError, match="latency"):
        tc.Stabilizer(latency=None)
    with pytest.raises(ValueError, match="kind"):
        tc.Stabilizer(kind="mask")
    binary = tc.Stabilizer(preset="realtime")
    binary.update(clip.frames[0], (clip.masks[0] > 0.5).astype(np.uint8) * 255)
    with pytest.raises(ValueError, match="kind='soft'"):
        binary.update(clip.frames[1], (clip.masks[1] * 255).astype(np.uint8))


def test_starting_the_thread_pools_leaves_the_environment_as_it_was():
    # The OpenMP wait policy is set only while Numba's pool starts (tempcons.threads.start_pools).
    code = "import os, tempcons as tc; tc.set_threads(1); print(sorted(k for k in os.environ if 'OMP' in k))"
    env = {k: v for k, v in os.environ.items() if "OMP" not in k}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_set_threads_validates():
    with pytest.raises(ValueError, match="n must be"):
        tc.set_threads(0)
    with pytest.raises(ValueError, match="NUMBA_NUM_THREADS"):
        tc.set_threads(10_000)
