"""evaluate() and aggregate(): the same numbers as the metric functions, JSON, benchmark rules."""

import json

import numpy as np
import pytest

import tempcons as tc
from tempcons.metrics import aggregate, evaluate, matting, semantic, warping_error
from tempcons.metrics.davis import evaluate_sequence, global_table, region_similarity


@pytest.fixture(scope="module")
def clip():
    return tc.synthetic.make_clip(n_frames=6, height=48, width=64, seed=3)


def test_mask_clip_numbers_equal_the_metric_functions(clip):
    result = evaluate(clip.masks, gt=clip.truth, frames=clip.frames, name="walker")
    assert set(result.metrics) == {"warping_error", "boundary_jitter", "flip_rate", "area_jitter",
                                   "temporal_change", "J", "F", "J&F"}
    binary, truth = clip.masks >= 0.5, clip.truth.astype(bool)
    assert result["J"].value == pytest.approx(region_similarity(binary[1:-1], truth[1:-1]).mean())
    assert len(result["J"].series) == 4 and result["J"].protocol == "davis2017-semi-supervised"
    direct = warping_error(binary, clip.frames)
    assert result["warping_error"].value == pytest.approx(direct.value)
    assert result["warping_error"].flow_source == direct.flow_source == "opencv-dis-medium-full"
    back = json.loads(result.to_json())
    assert back["name"] == "walker" and back["metrics"]["J"]["value"] == pytest.approx(result["J"].value)


def test_without_motion_flow_metrics_are_left_out_or_refused(clip):
    result = evaluate(clip.masks)
    assert "warping_error" not in result.metrics
    assert result["boundary_jitter"].flow_source == "none (unwarped)"
    with pytest.raises(ValueError, match="need motion"):
        evaluate(clip.masks, metrics=["warping_error"])


def test_matting_metrics_follow_rvm(clip):
    alpha = np.clip(clip.masks, 0, 1).astype(np.float32)
    truth = clip.truth.astype(np.float32)
    result = evaluate(alpha, gt=truth, kind="alpha", metrics=["MAD", "dtSSD", "MESSDdt"])
    assert result["MAD"].value == pytest.approx(matting.mad(alpha, truth).value)
    assert result["dtSSD"].series == pytest.approx(matting.dtssd(alpha, truth).per_frame.tolist())
    assert result["MESSDdt"].protocol == "dvm" and result["MESSDdt"].flow_source.startswith("farneback")
    short = evaluate(alpha[:4], gt=truth[:4], kind="alpha", metrics=["MAD"])
    pooled = aggregate([result, short])["MAD"]
    assert pooled["aggregation"] == "rvm-workbook"
    assert pooled["value"] == pytest.approx(matting.rvm_dataset_mean([result["MAD"].series, short["MAD"].series]))


def _label_clip(seed, t=20):
    rng = np.random.default_rng(seed)
    gt = np.zeros((t, 24, 32), np.uint8)
    gt[:, 4:20, 4:16] = 1
    gt[:, 8:16, 18:30] = 2
    gt[:, 0, :] = 255
    pred = gt.copy()
    pred[pred == 255] = 0
    flips = rng.random(pred.shape) < 0.03
    pred[flips] = rng.integers(0, 3, flips.sum())
    return pred, gt


def test_label_clips_pool_as_vspw_does():
    clips = [_label_clip(1), _label_clip(2, t=12)]
    results = [evaluate(p, gt=g, kind="labels", num_classes=3, metrics=["mIoU", "VC8"]) for p, g in clips]
    pooled = aggregate(results)
    miou = semantic.miou([p for p, _ in clips], [g for _, g in clips], 3)
    assert pooled["mIoU"]["value"] == pytest.approx(miou.value)
    vc = semantic.video_consistency_pooled([p for p, _ in clips], [g for _, g in clips], n=8)
    assert pooled["VC8"]["value"] == pytest.approx(vc.value)  # the 12-frame clip is skipped


def test_davis_objects_are_pooled_across_clips():
    clips = [_label_clip(3), _label_clip(4, t=8)]
    results = [evaluate(p, gt=g, kind="labels", metrics=["J&F", "J"]) for p, g in clips]
    table = global_table({str(k): evaluate_sequence(p, g) for k, (p, g) in enumerate(clips)})
    pooled = aggregate([r.to_dict() for r in results])
    assert pooled["J&F"]["value"] == pytest.approx(table["J&F-Mean"])
    assert pooled["J"]["value"] == pytest.approx(table["J-Mean"])


def test_tc_on_labels_records_its_flow():
    pred, _ = _label_clip(5, t=5)
    still = np.zeros((4, 24, 32, 2), np.float32)
    result = evaluate(pred, kind="labels", flow=(still, still), flow_source="zero", metrics=["TC"])
    assert result["TC"].flow_source == "zero" and 0 < result["TC"].value < 1
    assert aggregate([result])["TC"]["value"] == pytest.approx(result["TC"].value)


def test_bad_requests_say_what_is_wrong(clip):
    with pytest.raises(ValueError, match="do not apply"):
        evaluate(clip.masks, metrics=["MAD"])
    with pytest.raises(ValueError, match="shape"):
        evaluate(clip.masks, gt=clip.truth[:3])
    with pytest.raises(TypeError, match="integer class ids"):
        evaluate(clip.masks, kind="labels")
    with pytest.raises(ValueError, match="nothing"):
        aggregate([])


def test_davis_t_on_request_pairs_the_first_truth_frame(clip):
    from tempcons.metrics import temporal_stability
    result = evaluate(clip.masks, gt=clip.truth, metrics=["T"])
    binary, truth = clip.masks >= 0.5, clip.truth.astype(bool)
    expected = temporal_stability(binary[:-1], first=truth[0])
    assert len(result["T"].series) == len(clip.masks) - 2  # frames 1 .. T-2, as DAVIS evaluates
    assert result["T"].value == pytest.approx(5 * np.nanmean(expected))


def test_other_protocols_on_request(clip):
    alpha = np.clip(clip.masks, 0, 1).astype(np.float32)
    truth = clip.truth.astype(np.float32)
    result = evaluate(alpha, gt=truth, kind="alpha", metrics=["dtSSD", "MESSDdt"], frames=clip.frames,
                      protocols={"dtSSD": "erofeev", "MESSDdt": "erofeev"})
    assert result["dtSSD"].protocol == "erofeev"
    assert result["dtSSD"].value == pytest.approx(matting.dtssd(alpha, truth, protocol="erofeev").value)
    assert result["MESSDdt"].flow_source == "opencv-dis-medium-full"
    pred, _ = _label_clip(6, t=5)
    still = np.zeros((4, 24, 32, 2), np.float32)
    tc_vspw = evaluate(pred, kind="labels", flow=(still, still), metrics=["TC"], protocols={"TC": "vspw"})["TC"]
    direct = semantic.temporal_consistency(pred, int(pred.max()) + 1, flow=(still, still), protocol="vspw")
    assert tc_vspw.protocol == "vspw" and tc_vspw.value == pytest.approx(direct.value)
    with pytest.raises(ValueError, match="protocols can be chosen"):
        evaluate(alpha, gt=truth, kind="alpha", protocols={"MAD": "tcvom"})
