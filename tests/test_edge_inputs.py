"""Inputs at the edges of what the library accepts, and what it says about those it refuses."""

import multiprocessing
import re

import cv2
import numpy as np
import pytest

import tempcons as tc
from tempcons.composite import parse_background
from tempcons.flow import FlowEstimator
from tempcons.masks import from_unit, mask_format, to_unit

KINDS = ("binary", "soft", "alpha", "labels", "probs", "instances")
TINY = [(2, 2), (3, 5), (7, 11), (11, 11), (12, 12)]


def _says(info, start, *parts):
    """The error message starts with the argument's name and holds every part."""
    message = str(info.value)
    assert message.startswith(start), message
    for part in parts:
        assert part in message, (part, message)


def _tiny_clip(kind, h, w, t=3, seed=0):
    """Frames that change a little (so no scene cut hides the flow) and masks of the kind."""
    rng = np.random.default_rng(seed)
    base = rng.integers(8, 248, (h, w, 3))
    frames = (base + rng.integers(-3, 4, (t, h, w, 3))).astype(np.uint8)
    if kind == "binary":
        masks = rng.random((t, h, w)) > 0.5
    elif kind in ("soft", "alpha"):
        masks = rng.random((t, h, w)).astype(np.float32)
    elif kind == "probs":
        p = rng.random((t, h, w, 3)).astype(np.float32)
        masks = p / p.sum(axis=-1, keepdims=True)
    else:
        masks = rng.integers(0, 3, (t, h, w)).astype(np.uint8 if kind == "labels" else np.int32)
    return frames, masks


# Tiny frames: the flow and every pipeline kind.

@pytest.mark.parametrize("method, preset", [("dis", "ultrafast"), ("dis", "fast"), ("dis", "medium"),
                                            ("farneback", "fast")])
@pytest.mark.parametrize("size", [(1, 1), (2, 2), (1, 40), (40, 1), (7, 11), (11, 11), (10, 40), (20, 80),
                                  (31, 300), (300, 20)])
def test_flow_runs_on_any_working_grid(method, preset, size):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size).astype(np.uint8)
    flow = FlowEstimator(method, preset)(a, np.roll(a, 1, axis=1))
    assert flow.shape == (*size, 2) and flow.dtype == np.float32 and flow.flags.c_contiguous
    assert np.isfinite(flow).all()


@pytest.mark.parametrize("preset", ["ultrafast", "fast", "medium"])
def test_a_small_image_leaves_dis_settings_alone(preset):
    # Below its minimum size DIS re-selects its pyramid levels for good (or crashes on wide
    # images): the padding must keep every later flow what a fresh estimator would compute.
    rng = np.random.default_rng(1)
    big = (tc.synthetic.texture(120, 160, rng, channels=1)[..., 0] * 255).astype(np.uint8)
    a, b = np.ascontiguousarray(big[:, 2:]), np.ascontiguousarray(big[:, :-2])
    fresh = FlowEstimator("dis", preset)(a, b)
    used = FlowEstimator("dis", preset)
    for size in [(20, 30), (40, 60), (90, 31), (12, 12)]:  # each accepted by DIS unpadded
        small = rng.integers(0, 256, size).astype(np.uint8)
        used(small, small)
    np.testing.assert_array_equal(used(a, b), fresh)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size", [(120, 158), (20, 30)], ids=["plain", "padded"])
def test_both_directions_at_once_are_the_two_flows(threads, size):
    # With two OpenCV threads the directions run concurrently on two DIS objects; each must be
    # what one estimator computes call after call, padding included.
    rng = np.random.default_rng(3)
    big = (tc.synthetic.texture(120, 160, rng, channels=1)[..., 0] * 255).astype(np.uint8)
    a, b = (np.ascontiguousarray(big[:size[0], s:s + size[1]]) for s in (2, 0))
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        est = FlowEstimator("dis", "fast")
        pairs = [est.both(a, b), est.both(b, a)]
    finally:
        cv2.setNumThreads(before)
    one = FlowEstimator("dis", "fast")
    for (ab, ba), (x, y) in zip(pairs, [(a, b), (b, a)]):
        np.testing.assert_array_equal(ab, one(x, y))
        np.testing.assert_array_equal(ba, one(y, x))


def _both_in_child(est, a, b, queue):
    queue.put(est.both(a, b)[1])


def test_both_directions_work_in_a_forked_child():
    # The estimator's own thread does not survive a fork; the child must not wait for it.
    rng = np.random.default_rng(4)
    a = (tc.synthetic.texture(64, 96, rng, channels=1)[..., 0] * 255).astype(np.uint8)
    b = np.roll(a, 2, axis=1)
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = None
    try:
        est = FlowEstimator("dis", "fast")
        expected = est.both(a, b)[1]  # the parent's thread now exists
        child = ctx.Process(target=_both_in_child, args=(est, a, b, queue))
        child.start()
        got = queue.get(timeout=60)
    finally:
        cv2.setNumThreads(before)
        if child is not None:
            child.join(10)
            child.kill()
    np.testing.assert_array_equal(got, expected)


def test_padded_flow_finds_the_motion_of_a_small_image():
    # 10 x 10 is below DIS's minimum; the flow of the padded image must still see a 1 px shift.
    rng = np.random.default_rng(2)
    big = (tc.synthetic.texture(10, 16, rng, channels=1)[..., 0] * 255).astype(np.uint8)
    flow = FlowEstimator("dis", "medium")(big[:, 3:13], big[:, 2:12])
    assert abs(float(np.median(flow[2:8, 2:8, 0])) - 1.0) < 0.5


def test_working_grid_keeps_the_aspect_ratio():
    est = FlowEstimator("dis", "fast", 0.5)
    assert est.working_size(480, 640) == (240, 320)
    assert est.working_size(3, 5) == (3, 5)
    assert est.working_size(2, 900) == (2, 900)


@pytest.mark.parametrize("flow", ["dis", "farneback"])
@pytest.mark.parametrize("latency", [0, 2, None])
@pytest.mark.parametrize("preset", ["realtime", "balanced", "quality"])
@pytest.mark.parametrize("size", TINY, ids=[f"{h}x{w}" for h, w in TINY])
@pytest.mark.parametrize("kind", KINDS)
def test_stabilize_works_on_tiny_frames(kind, size, preset, latency, flow):
    frames, masks = _tiny_clip(kind, *size)
    out = tc.stabilize(frames, masks, kind=kind, preset=preset, latency=latency, flow=flow)
    assert out.shape == masks.shape and out.dtype == masks.dtype
    if out.dtype.kind == "f":
        assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("size", [(10, 60), (24, 120), (60, 10)])
@pytest.mark.parametrize("kind", KINDS)
def test_stabilize_works_on_thin_strips(kind, size):
    # Unpadded, DIS read out of bounds on wide images under 32 px high (a segfault).
    frames, masks = _tiny_clip(kind, *size)
    out = tc.stabilize(frames, masks, kind=kind, preset="balanced")
    assert out.shape == masks.shape and out.dtype == masks.dtype


def test_one_pixel_masks_on_tiny_frames_are_upsampled():
    frames, _ = _tiny_clip("soft", 2, 2)
    out = tc.stabilize(frames, np.full((3, 1, 1), 0.25, np.float32), refine=False)
    assert out.shape == (3, 2, 2)
    np.testing.assert_allclose(out, 0.25, atol=1e-6)


# Error messages: the argument, the value received, where, and what was expected.

@pytest.mark.parametrize("size", [(1, 40), (40, 1), (1, 1)])
def test_frames_under_two_pixels_are_rejected_by_name_size_and_minimum(size):
    frames, masks = _tiny_clip("soft", *size)
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, masks)
    _says(info, "frames ", f"got {size[0]}x{size[1]}", "at least 2x2")
    with pytest.raises(ValueError) as info:
        tc.Stabilizer().update(frames[0], masks[0])
    _says(info, "frame #0 ", f"got {size[0]}x{size[1]}", "at least 2x2")


def test_empty_masks_are_rejected_by_name_size_and_minimum():
    frames, _ = _tiny_clip("soft", 4, 4)
    with pytest.raises(ValueError, match=r"masks .*0x0.*1x1"):
        tc.stabilize(frames, np.zeros((3, 0, 0), np.float32))


def test_out_of_range_float_masks_show_the_value_frame_and_range():
    frames, masks = _tiny_clip("soft", 12, 12, t=4)
    masks[0, 0, 0] = np.float32(1e-7)
    masks[2, 3, 4] = np.float32(1.0000001)
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, masks)
    _says(info, "masks ", "to 1.0000001", "frame 2", "[0, 1]")
    masks[2, 3, 4] = 0.5
    masks[1, 5, 5] = -0.2
    masks[3, 5, 5] = -0.1
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, masks)
    _says(info, "masks ", "from -0.2 to", "frames 1, 3", "[0, 1]")


def test_out_of_range_values_elsewhere_show_the_value():
    frames, masks = _tiny_clip("soft", 12, 12, t=4)
    bad_frames = frames.astype(np.float32) / 255
    bad_frames[3, 0, 0, 1] = 1.25
    with pytest.raises(ValueError) as info:
        tc.stabilize(bad_frames, masks)
    _says(info, "frames ", "to 1.25", "frame 3", "[0, 1]")
    stab = tc.Stabilizer(kind="soft")
    stab.update(frames[0], masks[0])
    bad = masks[1].copy()
    bad[2, 2] = 1.0000001
    with pytest.raises(ValueError) as info:
        stab.update(frames[1], bad)
    _says(info, "mask #1 ", "to 1.0000001", "[0, 1]")
    _, probs = _tiny_clip("probs", 12, 12, t=4)
    probs[1, 0, 0] = (0.7, 0.7, -0.4)
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, probs, kind="probs")
    _says(info, "masks ", "from -0.4", "frame 1", "[0, 1]")
    probs[1, 0, 0] = (0.7, 0.7, 0.2)
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, probs, kind="probs")
    _says(info, "masks ", "to 1.6", "frame 1", "sum to 1")
    _, labels = _tiny_clip("labels", 12, 12, t=4)
    labels = labels.astype(np.int16)
    labels[2, 1, 1] = -3
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, labels, kind="labels")
    _says(info, "masks ", "min -3", "frame 2", ">= 0")
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, np.full((4, 12, 12), 0.3, np.float32), kind="binary")
    _says(info, "masks ", "0.3", "only 0 and 1")
    nan = masks.copy()
    nan[1, 0, 0] = np.nan
    with pytest.raises(ValueError) as info:
        tc.stabilize(frames, nan)
    _says(info, "masks ", "NaN", "frame 1", "[0, 1]")


# 16-bit mattes.

def _static_matte(t=6, h=32, w=40):
    rng = np.random.default_rng(4)
    frames = np.repeat(rng.integers(0, 256, (1, h, w, 3), np.uint8), t, axis=0)
    matte = np.zeros((h, w), np.float64)
    matte[8:24, 10:30] = 1.0
    matte[8:24, 16:22] = np.linspace(0.1, 0.9, 6)  # translucent values between the steps
    return frames, np.repeat(np.round(matte * 65535).astype(np.uint16)[None], t, axis=0)


def test_uint16_evidence_round_trips_every_value():
    values = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    fmt = mask_format(values, "alpha")
    assert fmt.scale == 65535
    np.testing.assert_array_equal(from_unit(to_unit(values, fmt), fmt), values)


@pytest.mark.parametrize("kind", ["alpha", "soft"])
@pytest.mark.parametrize("latency", [0, 2, None])
def test_a_static_uint16_matte_comes_back_uint16_and_unchanged(kind, latency):
    frames, matte = _static_matte()
    out = tc.stabilize(frames, matte, kind=kind, latency=latency, refine=False)
    assert out.dtype == np.uint16 and out.shape == matte.shape
    assert np.abs(out.astype(np.int32) - matte).max() <= 1  # one quantisation step
    refined = tc.stabilize(frames, matte, kind=kind, latency=latency)
    assert refined.dtype == np.uint16 and refined.max() > 65000  # the full 0..65535 range, not 0..1


def test_uint16_matte_streams_and_checks_its_dtype():
    frames, matte = _static_matte(t=3)
    stab = tc.Stabilizer(kind="alpha", preset="realtime")
    assert stab.update(frames[0], matte[0]).dtype == np.uint16
    with pytest.raises(TypeError, match="uint16"):
        stab.update(frames[1], matte[1].astype(np.float32))


def test_uint16_without_a_kind_is_not_taken_for_a_matte():
    frames, matte = _static_matte(t=3)
    with pytest.raises(TypeError, match="kind='alpha'"):
        tc.stabilize(frames, matte)
    with pytest.raises(TypeError, match="uint16"):
        tc.stabilize(frames, matte, kind="binary")


def test_every_metric_reads_a_uint16_matte_as_its_float_value():
    rng = np.random.default_rng(0)
    stored = rng.integers(0, 65536, (5, 20, 24)).astype(np.uint16)
    truth = stored[::-1].copy()
    unit = tc.metrics.evaluate(stored.astype(np.float32) / 65535, gt=truth.astype(np.float32) / 65535, kind="alpha")
    sixteen = tc.metrics.evaluate(stored, gt=truth, kind="alpha")
    assert sixteen.values() == unit.values() and "MESSDdt" in unit.metrics


# Backgrounds for compositing.

@pytest.mark.parametrize("spec, why", [("#zzzzzz", "hex digits"), ("#12345", "no such file"),
                                       ("1,2,x", "no such file"), ("no-such-file.png", "no such file")])
def test_a_bad_background_names_the_text_and_the_accepted_forms(spec, why):
    with pytest.raises(ValueError) as info:
        parse_background(spec, (4, 4))
    message = str(info.value)
    assert why in message and repr(spec) in message
    for form in ("'#RRGGBB'", "'R,G,B'", "'blur[:SIGMA]'", "image file"):
        assert form in message
    # The command line puts '--composite: ' in front; the message must read on from there.
    assert re.match(r"[a-z']", message) and not message.endswith(".")


# Progress.

class _Passes:
    """A progress wrapper that records how many items each wrapped loop yielded, and its length."""

    def __init__(self):
        self.counts, self.totals = [], []

    def __call__(self, iterable):
        self.totals.append(len(iterable))
        self.counts.append(0)
        for item in iterable:
            self.counts[-1] += 1
            yield item


@pytest.mark.parametrize("kind", ["soft", "labels", "probs"])
def test_offline_progress_counts_the_backward_sweep_and_the_emission(kind):
    frames, masks = _tiny_clip(kind, 16, 16, t=5)
    passes = _Passes()
    tc.stabilize(frames, masks, kind=kind, preset="realtime", progress=passes)
    assert passes.counts == [10] and passes.totals == [10]


def test_streaming_progress_is_one_pass():
    frames, masks = _tiny_clip("soft", 16, 16, t=5)
    passes = _Passes()
    tc.stabilize(frames, masks, preset="realtime", latency=2, progress=passes)
    assert passes.counts == [5] and passes.totals == [5]

