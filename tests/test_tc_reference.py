"""Flow-warped TC equals VSPW's ``TC_cal.py`` and ETC's ``eval_tc.py`` on the golden cases.

The expected values were computed by running the reference codes with the fixtures' flows in
place of RAFT / FlowNet2 (``shared/fixtures/metrics/README.md``, section "tc"). Tolerances are
the README's: warped maps exact, TC within 1e-12 absolute.
"""

import json

import numpy as np
import pytest

from shared import fixtures, load_case, needs
from tempcons.metrics.semantic import temporal_consistency
from tempcons.warp import warp_flownet2_resample2d, warp_vspw_grid_sample

TC = fixtures("tc")
CASES = sorted(k for k in json.load(open(TC / "expected.json")) if k.startswith("case_")) if TC.is_dir() else []
VSPW_CLASSES = 124
#: ETC's script evaluates the first 29 lines of each list, each line a pair (frame, frame + 1).
ETC_PAIRS = 29
ATOL = 1e-12


def _flow(forward):
    # Neither protocol reads the backward flow; the call takes a (forward, backward) tuple.
    return forward, np.zeros_like(forward)


def _close(ours, ref):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(ref, float), rtol=0, atol=ATOL, equal_nan=True)


@needs(TC)
@pytest.mark.parametrize("case", CASES)
def test_vspw_tc_equals_tc_cal(case):
    z, exp = load_case(TC, case)
    ref = exp["vspw"]
    score = temporal_consistency(z["pred"], ref["num_class"], flow=_flow(z["flow"]), protocol="vspw")
    _close(score.value, ref["pooled_TC"])
    _close(score.per_pair[0], ref["pair_TC"])


@needs(TC)
@pytest.mark.parametrize("case", CASES)
def test_etc_tc_equals_cal_acc(case):
    z, exp = load_case(TC, case)
    ref, k = exp["etc"], int(z["num_classes"])
    score = temporal_consistency(z["pred"], k, flow=_flow(z["flow"]), protocol="etc")
    _close(score.per_pair[0], ref["pair_TC"])
    if "raises" in ref["all_pairs"]:
        # The script crashes without a pair; TC is undefined, as VSPW's 0/0 says.
        assert np.isnan(score.value)
        return
    _close(score.value, ref["all_pairs"]["TC_mIoU"])
    _close(score.per_class, ref["all_pairs"]["iou_class"])
    np.testing.assert_array_equal(score.counts, [ref["all_pairs"]["intersection"], ref["all_pairs"]["union"]])
    for t, (inter, union) in enumerate(zip(ref["pair_intersection"], ref["pair_union"])):
        pair = temporal_consistency(z["pred"][t:t + 2], k, flow=_flow(z["flow"][t:t + 1]), protocol="etc")
        np.testing.assert_array_equal(pair.counts, [inter, union])
    capped = temporal_consistency(z["pred"][:ETC_PAIRS + 1], k, flow=_flow(z["flow"][:ETC_PAIRS]), protocol="etc")
    assert ref["script_list"]["pairs_evaluated"] == len(capped.per_pair[0])
    _close(capped.value, ref["script_list"]["TC_mIoU"])


@needs(TC)
@pytest.mark.parametrize("protocol", ["vspw", "etc"])
@pytest.mark.parametrize("case", CASES)
def test_warped_maps_are_the_references(case, protocol):
    z, _ = load_case(TC, case)
    pred, flow = z["pred"], z["flow"]
    maps = np.load(TC / "expected_warped.npz")
    if not len(flow):  # a one-frame clip: the reference warped nothing either
        assert f"{protocol}_{case}" not in maps.files
        return
    expected = maps[f"{protocol}_{case}"]
    for t in range(len(flow)):
        if protocol == "vspw":
            warped = warp_vspw_grid_sample(pred[t + 1], flow[t])
        else:
            warped = warp_flownet2_resample2d(pred[t + 1], flow[t]).astype(np.uint8)
        np.testing.assert_array_equal(warped, expected[t], err_msg=f"{protocol} {case} pair {t}")


@needs(TC)
def test_dataset_runs_of_both_scripts():
    dataset = json.load(open(TC / "expected.json"))["dataset"]
    videos = [load_case(TC, case)[0] for case in dataset["videos_in_order"]]
    vspw = temporal_consistency([z["pred"] for z in videos], VSPW_CLASSES,
                                flow=[_flow(z["flow"]) for z in videos], protocol="vspw")
    _close(vspw.value, dataset["vspw_TC_script"])
    ref = dataset["etc"]["script_lists_classes19"]
    etc = temporal_consistency([z["pred"][:ETC_PAIRS + 1] for z in videos], ref["classes"],
                               flow=[_flow(z["flow"][:ETC_PAIRS]) for z in videos], protocol="etc")
    assert sum(map(len, etc.per_pair)) == ref["pairs_evaluated"]
    _close(etc.value, ref["TC_mIoU"])
    np.testing.assert_array_equal(etc.counts, [ref["intersection"], ref["union"]])


def test_vspw_counts_warped_ids_past_the_classes_where_its_flat_matrix_puts_them():
    # Class 0 at t, id 4 at t + 1 under C = 3: the Evaluator bins 3 * 0 + 4, i.e. row 1, column 1,
    # so an unseen class 1 appears and matches itself; the slip's outside samples read class 0.
    video = np.zeros((2, 6, 8), np.uint8)
    video[1] = 4
    score = temporal_consistency(video, 3, flow=_flow(np.zeros((1, 6, 8, 2), np.float32)), protocol="vspw")
    assert score.counts[1, 1] > 0 and score.counts[0, 0] > 0 and score.counts.sum() == video[0].size
    assert score.value == 1.0
    video[1] = 255  # 3 * 0 + 255 lies past the 3 x 3 matrix: the reference's reshape fails
    with pytest.raises(ValueError, match="pred: a warped class id"):
        temporal_consistency(video, 3, flow=_flow(np.zeros((1, 6, 8, 2), np.float32)), protocol="vspw")


def test_no_pair_is_nan_under_every_protocol():
    still = np.zeros((0, 4, 4, 2), np.float32)
    for protocol in ("vspw", "etc", "tempcons"):
        score = temporal_consistency(np.zeros((1, 4, 4), np.uint8), 3, flow=_flow(still), protocol=protocol)
        assert np.isnan(score.value) and np.isnan(score.per_class).all()
