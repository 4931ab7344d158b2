"""VC_n against VSPW's and CFFM's scripts' own outputs (../shared fixtures) and by hand."""

import json

import numpy as np
import pytest

from shared import fixtures, needs
from tempcons.metrics import semantic
from tempcons.metrics.semantic import video_consistency, video_consistency_pooled

VSPW = fixtures("vspw_vc")


def test_constant_wrong_prediction_scores_one_and_unstable_gt_is_nan():
    gt = np.zeros((20, 4, 4), np.uint8)
    assert np.all(video_consistency(np.full_like(gt, 7), gt, n=8).windows == 1.0)
    moving = np.arange(20, dtype=np.uint8)[:, None, None] * np.ones((1, 4, 4), np.uint8)
    unstable = video_consistency(moving, moving, n=8)
    assert np.isnan(unstable.windows).all() and np.isnan(float(unstable))
    assert len(video_consistency(gt, gt, n=8).windows) == 12  # C - n windows, not C - n + 1


@needs(VSPW)
def test_equal_to_vspw_and_cffm_scripts():
    exp = json.load(open(VSPW / "expected.json"))
    names = exp["dataset"]["videos_in_order"]
    data = {c: np.load(VSPW / f"{c}.npz") for c in names}
    for c in names:
        for n in (8, 16):
            np.testing.assert_allclose(video_consistency(data[c]["pred"], data[c]["gt"], n=n).windows,
                                       np.array(exp[c][f"accs_n{n}"], float), rtol=0, atol=1e-12, equal_nan=True)
    gts = [data[c]["gt"] for c in names]
    preds = [data[c]["pred"] for c in names]
    ds = exp["dataset"]
    vc16 = video_consistency_pooled(preds, gts, n=16)
    assert vc16.value == pytest.approx(ds["vspw_official_VC16"], abs=1e-12)
    assert vc16.skipped == [len(g) <= 16 for g in gts]
    assert video_consistency_pooled(preds, gts, n=8, skip_up_to=8).value == pytest.approx(
        ds["vspw_official_clip_num_8"], abs=1e-12)
    assert video_consistency_pooled(preds, gts, n=16, protocol="cffm").value == pytest.approx(ds["cffm_VC16"], abs=1e-12)
    assert video_consistency_pooled(preds, gts, n=8, protocol="cffm").value == pytest.approx(ds["cffm_VC8"], abs=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="protocol"):
        video_consistency_pooled([np.zeros((20, 2, 2), np.uint8)], [np.zeros((20, 2, 2), np.uint8)], protocol="x")
    with pytest.raises(TypeError):
        video_consistency(np.zeros((20, 2, 2)), np.zeros((20, 2, 2)), n=8)
    with pytest.raises(ValueError):
        video_consistency(np.zeros((20, 2, 2), np.uint8), np.zeros((19, 2, 2), np.uint8), n=8)
    with pytest.raises(TypeError, match="lists of clips"):  # one clip is not a list of one-frame clips
        video_consistency_pooled(np.zeros((20, 2, 2), np.uint8), np.zeros((20, 2, 2), np.uint8))


def test_miou_vspw_rules_by_hand():
    gt = np.array([[[0, 0, 1, 255]]], np.uint8)  # 255 is void
    pred = np.array([[[0, 1, 1, 2]]], np.uint8)
    score = semantic.miou(pred, gt, 3)
    # class 0: 1/2, class 1: 1/2; class 2 is absent from the truth and not averaged
    assert score.value == pytest.approx(0.5) and np.isnan(score.per_class[2])
    assert semantic.miou(np.minimum(pred, 1), gt, 2).value == pytest.approx(0.5)  # id 2 sat on void
    with pytest.raises(ValueError, match="outside 0..1"):
        semantic.miou(np.array([[[0, 2, 1, 1]]], np.uint8), gt, 2)
    with pytest.raises(TypeError, match="integer"):
        semantic.miou(pred, gt.astype(float), 3)


def _shifting_labels(t=4, h=16, w=24, step=2):
    labels = np.zeros((t, h, w), np.uint8)
    for k in range(t):
        labels[k, 4:12, 4 + step * k:12 + step * k] = 1
    fw = np.zeros((t - 1, h, w, 2), np.float32)
    fw[..., 0] = step  # frame t's pixel x is at x + step in t + 1
    return labels, (fw, -fw)


def test_tc_tempcons_is_one_under_exact_motion_and_lower_without_it():
    labels, flow = _shifting_labels()
    exact = semantic.temporal_consistency(labels, 2, flow=flow, protocol="tempcons")
    still = semantic.temporal_consistency(labels, 2, flow=(np.zeros_like(flow[0]),) * 2, protocol="tempcons")
    assert exact.value == 1.0 and still.value < 0.9
    assert exact.flow_source == "caller" and len(exact.per_pair[0]) == 3


def test_tc_vspw_reproduces_the_grid_sample_slip():
    labels = np.ones((2, 4, 8), np.uint8)
    zero = np.zeros((1, 4, 8, 2), np.float32)
    score = semantic.temporal_consistency(labels, 2, flow=(zero, zero), protocol="vspw")
    # x = 7 maps to 7 * 8/7 - 0.5 = 7.5, rounded half to even: 8, outside, read as class 0;
    # the same happens on the last row (y = 3 -> 3.5 -> 4).
    stay = (4 - 1) * (8 - 1)
    assert score.value == pytest.approx(stay / 32)  # class 1 IoU; class 0 is absent from pred_t


def test_tc_etc_truncates_bilinear_ids_and_bins_like_numpy_histogram():
    labels = np.zeros((2, 1, 4), np.uint8)
    labels[1] = [[1, 3, 3, 3]]
    labels[0] = [[2, 2, 2, 2]]
    half = np.zeros((1, 1, 4, 2), np.float32)
    half[..., 0] = 0.5  # samples halfway: (1 + 3) / 2 = 2 at x = 0, 3 elsewhere
    score = semantic.temporal_consistency(labels, 3, flow=(half, half), protocol="etc")
    # warped = [2, 3, 3, 3]; id 3 lands in class 2's closed last bin, so class 2 has
    # intersection 1 and union 4 (pred) + 4 (warped) - 1 = 7
    assert score.per_class[2] == pytest.approx(1 / 7)
    assert score.value == pytest.approx((1 / 7) / 3)  # classes 0 and 1 count as 0


def test_tc_computes_flow_from_frames_and_says_so():
    labels, _ = _shifting_labels()
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, (1, 16, 24, 3), np.uint8), 4, axis=0)
    score = semantic.temporal_consistency([labels], 2, frames=[frames], protocol="tempcons")
    assert score.flow_source == "opencv-dis-medium-full"
    with pytest.raises(ValueError, match="frames"):
        semantic.temporal_consistency(labels, 2)
