"""Warping error and J against values worked out by hand."""


import csv

import cv2
import numpy as np
import pytest

from shared import REAL, fixtures, load_case, needs
from tempcons.metrics import lai_visibility, region_similarity, warping_error
from tempcons.metrics.flicker import (area_jitter, flicker_heatmap, flicker_timeline, flip_rate,
                                      temporal_change)


def test_region_similarity_by_hand():
    p = np.zeros((2, 4, 4), bool)
    g = np.zeros((2, 4, 4), bool)
    p[0, :2] = True  # 8 px
    g[0, 1:3] = True  # 8 px, 4 shared
    np.testing.assert_allclose(region_similarity(p, g), [4 / 12, 1.0])  # empty union counts as 1
    void = np.zeros_like(g)
    void[0, 0] = True
    np.testing.assert_allclose(region_similarity(p, g, void)[0], 4 / 8)


def test_warping_error_by_hand():
    # Frame 1 is frame 0 shifted right by one pixel; with the exact flow the error is zero,
    # with zero flow it is the mean squared difference over visible pixels.
    v = np.zeros((2, 4, 6), np.float32)
    v[0, :, 2] = 1.0
    v[1, :, 3] = 1.0
    fw = np.zeros((1, 4, 6, 2), np.float32)
    fw[..., 0] = 1.0
    assert warping_error(v, flow=(fw, -fw)).value == pytest.approx(0.0, abs=1e-7)
    zero = np.zeros_like(fw)
    res = warping_error(v, flow=(zero, zero), flow_source="test")
    assert res.value == pytest.approx(8 / 24)
    assert res.flow_source == "test" and res.per_pair.shape == (1,)


def test_lai_visibility_rejects_motion_boundaries():
    fw = np.zeros((8, 8, 2), np.float32)
    fw[:, 4:, 0] = 2.0
    vis = lai_visibility(fw, -fw)
    assert not vis[:, 3].any()  # the forward difference straddles the motion edge
    assert vis[:, :3].all()


def test_warping_error_needs_frames_or_flow():
    with pytest.raises(ValueError, match="frames"):
        warping_error(np.zeros((3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        warping_error(np.zeros((3, 4, 4), np.float32), flow=(np.zeros((1, 4, 4, 2)), np.zeros((1, 4, 4, 2))))


LAI = fixtures("lai_warp")


@needs(LAI)
@pytest.mark.parametrize("case", [f"case_{i:02d}" for i in range(5)])
def test_warping_error_equals_lai_reference(case):
    """Against fast_blind_video_consistency's own outputs given the same flows."""
    z, exp = load_case(LAI, case)
    occluded = np.load(LAI / "expected_occlusion.npz")[case]
    fw, bw = z["fw_flow"], z["bw_flow"]
    visible = np.stack([lai_visibility(f, b) for f, b in zip(fw, bw)])
    np.testing.assert_array_equal(~visible, occluded)
    res = warping_error(z["frames"], flow=(fw, bw))
    np.testing.assert_allclose(res.per_pair, exp["pair_err"], rtol=1e-5, atol=1e-9)
    assert res.value == pytest.approx(exp["video_err"], rel=1e-5)


def _load_unit(seq, folder):
    return np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((REAL / seq / folder).glob("*.png"))])


@needs(REAL)
def test_companion_measures_equal_the_shared_data_tool():
    """The shared data ships raw MediaPipe numbers from its own script (tools/metrics.py)."""
    rows = {r["sequence"]: r for r in csv.DictReader(open(REAL / "metrics_raw_mediapipe_selfie.csv"))}
    for seq, row in rows.items():
        raw = _load_unit(seq, "raw_mediapipe_selfie")
        gt = _load_unit(seq, "gt") > 0
        assert temporal_change(raw).mean() == pytest.approx(float(row["mad"]), abs=5e-5)
        assert flip_rate(raw).mean() == pytest.approx(float(row["flip"]), abs=5e-5)
        assert flip_rate(gt).mean() == pytest.approx(float(row["gtflip"]), abs=5e-5)
        assert area_jitter(raw) == pytest.approx(float(row["area_jit"]), abs=5e-5)
        assert area_jitter(gt) == pytest.approx(float(row["gt_area_jit"]), abs=5e-5)


def test_heatmap_and_timeline_locate_a_blinking_blob():
    rng = np.random.default_rng(4)
    frames = np.repeat(rng.integers(0, 255, (1, 32, 40, 3), np.uint8), 6, axis=0)
    masks = np.zeros((6, 32, 40), np.float32)
    masks[:, 8:24, 8:20] = 1.0
    masks[2, 4:8, 30:36] = 1.0  # a false blob in frame 2 only
    heat = flicker_heatmap(masks, frames)
    assert heat[5, 32] == pytest.approx(0.4) and heat[16, 14] == 0.0  # flips in 2 of 5 pairs
    timeline = flicker_timeline(masks, frames)
    assert timeline["flow_source"] == "opencv-dis-medium-full"
    flips = np.array(timeline["flip_rate"])
    assert flips[1] > 0 and flips[2] > 0 and flips[0] == flips[3] == flips[4] == 0
    assert np.argmax(timeline["warping_error"]) in (1, 2)
    assert all(len(v) == 5 for k, v in timeline.items() if k != "flow_source")


def test_reference_free_inputs_are_checked():
    with pytest.raises(ValueError, match=r"\(T, H, W\)"):
        temporal_change(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="bool, uint8, uint16 or float"):
        flip_rate(np.zeros((2, 4, 4), np.int32))
    with pytest.raises(ValueError, match="NaN"):
        area_jitter(np.full((2, 4, 4), np.nan, np.float32))


def test_uint8_zero_one_masks_read_as_binary():
    rng = np.random.default_rng(7)
    masks = rng.random((4, 8, 8)) > 0.5
    assert flip_rate(masks.astype(np.uint8)).tolist() == flip_rate(masks).tolist()
    assert flip_rate((masks * 255).astype(np.uint8)).tolist() == flip_rate(masks).tolist()
