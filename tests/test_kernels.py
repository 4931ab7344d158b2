"""Each Numba kernel against the plain NumPy reference in tests/naive.py, on random inputs."""

import numpy as np
import pytest

import naive
from tempcons import warp
from tempcons.flow import fb_consistency, invert_flow
from tempcons.kind import View
from tempcons.kinds.mask import Binary, Evidence, Soft, TemporalState
from tempcons.masks import mask_format
from tempcons.settings import settings_for
from tempcons.synthetic import texture


def _rng(seed):
    return np.random.default_rng(seed)


def _flow(rng, h, w, amp):
    return (rng.standard_normal((h, w, 2)) * amp).astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_warp_bilinear_matches_reference(seed):
    rng = _rng(seed)
    src = rng.random((13, 17)).astype(np.float32)
    flow = _flow(rng, 13, 17, 4.0)
    out, valid = warp.warp(src, flow)
    ref, ref_valid = naive.warp_bilinear(src.astype(np.float64), flow.astype(np.float64))
    np.testing.assert_allclose(out, ref, atol=2e-5)
    assert (valid == ref_valid).mean() > 0.99  # float32 vs float64 at the exact border
    assert valid.dtype == bool and 0 < valid.sum() < valid.size


@pytest.mark.parametrize("seed", [0, 1])
def test_warp_nearest_matches_reference(seed):
    rng = _rng(seed)
    ids = rng.integers(0, 50, (11, 19)).astype(np.int32)
    flow = _flow(rng, 11, 19, 3.0)
    out, valid = warp.warp(ids, flow, order=0)
    ref, ref_valid = naive.warp_nearest(ids, flow.astype(np.float64))
    assert out.dtype == ids.dtype
    assert (out == ref).mean() > 0.99
    assert (valid == ref_valid).mean() > 0.99


def test_warp_multichannel_and_identity():
    rng = _rng(3)
    img = rng.random((9, 10, 3)).astype(np.float32)
    out, valid = warp.warp(img, np.zeros((9, 10, 2), np.float32))
    np.testing.assert_array_equal(out, img)
    assert valid.all()


@pytest.mark.parametrize("motion_boundary", [False, True])
def test_fb_consistency_matches_reference(motion_boundary):
    rng = _rng(4)
    fab = np.full((15, 14, 2), 1.5, np.float32)
    fab[:, :7] += _flow(rng, 15, 7, 1.0)  # rough on the left, smooth on the right
    fba = -fab + _flow(rng, 15, 14, 0.4)
    got = fb_consistency(fab, fba, motion_boundary=motion_boundary)
    ref = naive.fb_consistency(fab.astype(np.float64), fba.astype(np.float64), 0.01, 0.5, motion_boundary)
    assert (got == ref).mean() > 0.98
    assert 0 < ref.sum() < ref.size


def test_invert_flow_of_a_translation():
    flow = np.zeros((20, 30, 2), np.float32)
    flow[..., 0], flow[..., 1] = 2.5, -1.25
    inv = invert_flow(flow)
    np.testing.assert_allclose(inv[..., 0], -2.5, atol=1e-6)
    np.testing.assert_allclose(inv[..., 1], 1.25, atol=1e-6)


def _step_inputs(seed, H=12, W=16):
    rng = _rng(seed)
    f32 = np.float32
    m = rng.random((H, W)).astype(f32)
    mb = rng.random((H, W)).astype(f32)
    look = rng.random((H, W, 2)).astype(f32)
    weight = (rng.random((H, W)) * 3).astype(f32)
    packed = np.stack([weight * rng.random((H, W)), weight, look[..., 0] + rng.normal(0, 0.05, (H, W)),
                       look[..., 1] + rng.normal(0, 0.05, (H, W))], axis=-1).astype(f32)
    flow = _flow(rng, H, W, 1.5)
    valid = (rng.random((H, W)) > 0.3).astype(f32)
    return m, mb, look, TemporalState(None, None, packed), flow, valid


KNOBS = dict(memory=0.75, sigma_color=0.08, kappa=0.6, max_weight=2.5, confidence_floor=0.2)


def _kind(cls=Soft, **knobs):
    values = np.zeros((2, 2), bool if cls is Binary else np.float32)
    return cls(settings_for("balanced", {**KNOBS, **knobs}), mask_format(values, cls.name))


def _step(m, mb, look, prev, flow, valid):
    """One filter step of the soft-mask kind (the temporal filter along the flow)."""
    return _kind().step(Evidence(m, mb), View(None, look, None, None, None), prev,
                        None if prev is None else (flow, valid), None)


def _hysteresis(value, prev, flow, valid, margin):
    return _kind(Binary, margin=margin).decide(None, value, prev, None if prev is None else (flow, valid))[1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_filter_step_matches_reference(seed):
    m, mb, gray, prev, flow, valid = _step_inputs(seed)
    got = _step(m, mb, gray, prev, flow, valid)
    warped = naive.warp_fill(prev.packed.astype(np.float64), flow)
    e, s, packed = naive.blend(m, mb, gray, warped, valid, 0.75, 0.08, 0.6, 2.5, 0.2)
    # cv2.remap quantises positions to 1/32 px; the rest must agree closely.
    assert np.abs(got.value - e).mean() < 5e-3
    assert np.abs(got.total - s).mean() < 5e-3
    assert np.abs(got.packed - packed).mean() < 5e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blend_kernel_matches_reference_exactly_on_aligned_history(seed):
    m, mb, gray, prev, _, valid = _step_inputs(seed)
    valid = valid[::3, ::2].copy()  # validity on a coarser grid, read nearest
    got = _step(m, mb, gray, prev, np.zeros((*m.shape, 2), np.float32), valid)
    e, s, packed = naive.blend(m, mb, gray, prev.packed.astype(np.float64), valid, 0.75, 0.08, 0.6, 2.5, 0.2)
    np.testing.assert_allclose(got.value, e, atol=1e-4)
    np.testing.assert_allclose(got.total, s, atol=1e-4)
    np.testing.assert_allclose(got.packed, packed, atol=1e-4)


def test_pull_matches_reference_on_smooth_image():
    rng = _rng(7)
    src = texture(20, 24, rng, channels=4)
    flow = _flow(rng, 20, 24, 2.0)
    got = warp.warp_fill(src, flow)
    ref = naive.warp_fill(src.astype(np.float64), flow)
    assert np.abs(got - ref).max() < 0.05
    assert np.abs(got - ref).mean() < 5e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("nearest", [False, True])
def test_warp_fill_matches_reference_inside_and_at_the_border(seed, nearest):
    rng = _rng(seed)
    src = rng.random((13, 17, 3)).astype(np.float32)
    # Whole 1/32 px (OpenCV's position grid), large enough that a third of the samples leave the image.
    flow = np.round(_flow(rng, 13, 17, 5.0) * 32) / np.float32(32)
    got = warp.warp_fill(src, flow, nearest=nearest, fill=0.25)
    ref = naive.warp_fill(src.astype(np.float64), flow.astype(np.float64), fill=0.25, nearest=nearest)
    np.testing.assert_allclose(got, ref, atol=1e-6)
    x, y = np.meshgrid(np.arange(17), np.arange(13))
    outside = (x + flow[..., 0] < -1) | (x + flow[..., 0] > 17) | (y + flow[..., 1] < -1) | (y + flow[..., 1] > 13)
    straddle = ~outside & ((x + flow[..., 0] < 0) | (x + flow[..., 0] > 16) | (y + flow[..., 1] < 0)
                           | (y + flow[..., 1] > 12))
    assert outside.sum() > 20 and straddle.sum() > 5  # both border cases are exercised
    assert (got[outside] == 0.25).all()


def test_recursive_step_without_history_returns_evidence():
    m, mb, gray, _, _, _ = _step_inputs(5)
    got = _step(m, mb, gray, None, None, None)
    np.testing.assert_allclose(got.value, m, rtol=1e-6)
    ref = np.array([[naive.confidence(a, b, 0.2) for a, b in zip(r1, r2)] for r1, r2 in zip(m, mb)])
    np.testing.assert_allclose(got.total, ref, atol=1e-6)


def test_merge_counts_the_frame_once():
    m, mb, gray, prev, flow, valid = _step_inputs(6)
    a = _step(m, mb, gray, prev, flow, valid)
    b = _step(m, mb, gray, None, None, None)
    # b holds only the frame's own evidence: merging it with a must give a back.
    merged = _kind().merge(Evidence(m, mb), a, b)
    np.testing.assert_allclose(merged, a.value, atol=1e-5)


@pytest.mark.parametrize("rejection", [0.0, 0.7, 2.0])
def test_merge_matches_reference(rejection):
    rng = _rng(7)
    m, mb, e_a, e_b = (rng.random((12, 16)).astype(np.float32) for _ in range(4))
    c = np.array([[naive.confidence(a, b, 0.2) for a, b in zip(r1, r2)] for r1, r2 in zip(m, mb)], np.float32)
    # Histories of every size, none on some pixels of either side.
    s_a = (c + rng.random((12, 16)) * 3 * (rng.random((12, 16)) > 0.2)).astype(np.float32)
    s_b = (c + rng.random((12, 16)) * 3 * (rng.random((12, 16)) > 0.2)).astype(np.float32)
    got = _kind(outlier_rejection=rejection).merge(Evidence(m, mb), TemporalState(e_a, s_a, None),
                                                   TemporalState(e_b, s_b, None))
    np.testing.assert_allclose(got, naive.merge(m, mb, 0.2, e_a, s_a, e_b, s_b, rejection), atol=2e-5)


def test_outlier_rejection_outvotes_a_value_neither_side_shows_and_keeps_one_either_shows():
    m = np.array([[1.0, 1.0]], np.float32)  # a confident one-frame blob
    mb = m.copy()
    c = np.float32(1.0)
    past = TemporalState(np.array([[0.5, 0.5]], np.float32), np.array([[2.0, 2.0]], np.float32), None)  # q = 0
    future = TemporalState(np.array([[0.5, 1.0]], np.float32), np.array([[2.0, 2.0]], np.float32), None)  # q = 0, 1
    kept = _kind(outlier_rejection=0.0).merge(Evidence(m, mb), past, future)
    rejected = _kind(outlier_rejection=2.0).merge(Evidence(m, mb), past, future)
    assert kept[0, 0] == pytest.approx(c / 3)  # the blob keeps a third of the vote without rejection
    assert rejected[0, 0] == pytest.approx(0.0, abs=1e-6)  # neither side shows it: outvoted
    assert rejected[0, 1] == kept[0, 1]  # the future shows it: kept as it was


@pytest.mark.parametrize("seed", [0, 1])
def test_hysteresis_matches_reference(seed):
    rng = _rng(seed)
    value = rng.random((12, 16)).astype(np.float32)
    prev = (rng.random((12, 16)) > 0.5).astype(np.uint8)
    valid = (rng.random((12, 16)) > 0.3).astype(np.float32)
    zero = np.zeros((12, 16, 2), np.float32)
    got = _hysteresis(value, prev, zero, valid, 0.2)
    np.testing.assert_array_equal(got, naive.hysteresis(value, prev, zero, valid, 0.2))
    shifted = np.full((12, 16, 2), 3.0, np.float32)  # pulls from outside on the last rows/columns
    coarse = valid[::2, ::2].copy()  # validity may live on the flow's coarser grid
    got = _hysteresis(value, prev, shifted, coarse, 0.2)
    np.testing.assert_array_equal(got, naive.hysteresis(value, prev, shifted, coarse, 0.2))
    warped = np.full_like(prev, 255)
    warped[:-3, :-3] = prev[3:, 3:]
    band = (np.abs(value - 0.5) < 0.2) & (warped != 255) & (valid[::2, ::2].repeat(2, 0).repeat(2, 1) > 0.5)
    np.testing.assert_array_equal(got[band], warped[band])
    np.testing.assert_array_equal(_hysteresis(value, None, None, None, 0.2), value > 0.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hysteresis_fetches_along_a_coarser_flow(seed):
    """The working grid is coarser than the frame: the flow is upsampled inside the kernel."""
    rng = _rng(seed)
    value = rng.random((24, 32)).astype(np.float32)
    prev = (rng.random((24, 32)) > 0.5).astype(np.uint8)
    flow = _flow(rng, 6, 8, 1.0)  # a quarter of the frame's size: vectors in its own pixels
    valid = (rng.random((12, 16)) > 0.2).astype(np.float32)
    got = _hysteresis(value, prev, flow, valid, 0.3)
    ref = naive.hysteresis(value, prev, flow, valid, 0.3)
    # float32 positions may round the other way exactly at half pixels: allow a handful.
    assert (got != ref).sum() <= 2
