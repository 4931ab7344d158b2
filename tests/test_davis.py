"""DAVIS J and F against the reference code's outputs and the DAVIS team's official values.

Both data sets live in ../shared (fixtures made by running davis2017-evaluation; official KEY
numbers); these tests skip when it is absent. The hand-worked cases below always run.
"""

import csv
import json

import cv2
import numpy as np
import pytest

import naive
from shared import REAL, fixtures, load_case, needs
from tempcons.metrics.davis import (boundary_f_measure, boundary_map, decay_corrected, evaluate_sequence,
                                   global_table, region_similarity, statistics)

FIXTURES = fixtures("davis_jf")
STATS = fixtures("davis_stats")


def test_boundary_map_equals_the_whole_frame_rule_on_random_masks():
    rng = np.random.default_rng(0)
    for i in range(2000):
        h, w = rng.integers(1, 14, 2)
        mask = rng.random((h, w)) < rng.random()
        if i % 2:  # small blobs anywhere, borders included: the cropped path
            mask[:] = False
            y, x = rng.integers(0, h), rng.integers(0, w)
            mask[y:y + rng.integers(1, 5), x:x + rng.integers(1, 5)] = True
        np.testing.assert_array_equal(boundary_map(mask), naive.seg2bmap(mask))


def test_boundary_border_rules_by_hand():
    full = np.ones((6, 8), bool)
    assert not boundary_map(full).any()  # a mask filling the frame has no boundary
    empty = np.zeros((6, 8), bool)
    # empty prediction against a full truth: both boundaries empty -> F = 1 (while J = 0)
    assert boundary_f_measure(empty, full) == 1.0 and region_similarity(empty, full) == 0.0
    left = np.zeros((6, 8), bool)
    left[:, :3] = True  # touches the left, top and bottom borders: only the inner edge counts
    assert boundary_map(left).sum() == 6 and boundary_map(left)[:, 2].all()


def test_f_measure_edge_cases_by_hand():
    g = np.zeros((40, 40), bool)
    g[10:20, 10:20] = True
    assert boundary_f_measure(np.zeros_like(g), g) == 0.0  # P = 1, R = 0
    assert boundary_f_measure(g, np.zeros_like(g)) == 0.0  # P = 0, R = 1
    shifted = np.roll(g, 20, axis=0)  # 10 px away, far beyond the 1-px tolerance (ceil(0.008 * 56.6))
    assert boundary_f_measure(shifted, g) == 0.0


@needs(FIXTURES)
@pytest.mark.parametrize("case", [f"case_{i:02d}" for i in range(10)])
def test_matches_davis2017_evaluation_outputs(case):
    z, exp = load_case(FIXTURES, case)
    gt, pred, void = z["gt"], z["pred"], z["void"]
    np.testing.assert_allclose(region_similarity(pred, gt), exp["J"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(boundary_f_measure(pred, gt), exp["F"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(region_similarity(pred, gt, void), exp["J_void"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(boundary_f_measure(pred, gt, void), exp["F_void"], rtol=0, atol=1e-12)


@needs(REAL)
def test_equals_official_davis2016_values_for_key():
    rows = list(csv.DictReader(open(REAL / "davis2016_val_official_per_frame_key.csv")))
    by_seq = {}
    for r in rows:
        by_seq.setdefault(r["sequence"], []).append(r)
    for seq, items in by_seq.items():
        frames = [int(r["frame"]) for r in items]
        gt = np.stack([cv2.imread(str(REAL / seq / "gt" / f"{f:05d}.png"), cv2.IMREAD_GRAYSCALE) for f in frames]) > 127
        pred = np.stack([cv2.imread(str(REAL / seq / "raw_key" / f"{f:05d}.png"), cv2.IMREAD_GRAYSCALE)
                         for f in frames]) > 127
        np.testing.assert_allclose(region_similarity(pred, gt), [float(r["J"]) for r in items], atol=1e-6)
        np.testing.assert_allclose(boundary_f_measure(pred, gt), [float(r["F"]) for r in items], atol=1e-6)


@needs(STATS)
@pytest.mark.parametrize("case", [f"values_{i:02d}" for i in range(12)])
def test_statistics_match_db_statistics(case):
    values = np.load(STATS / f"{case}.npz")["values"]
    exp = json.load(open(STATS / "expected.json"))["db_statistics"][case]
    got = statistics(values)
    np.testing.assert_allclose([got["mean"], got["recall"], got["decay"]], [exp["M"], exp["R"], exp["D"]],
                               rtol=0, atol=1e-12, equal_nan=True)
    if len(values) <= 255:
        assert decay_corrected(values) == pytest.approx(got["decay"], abs=1e-12)
    else:
        assert np.isfinite(decay_corrected(values))


def test_decay_corrected_by_hand():
    values = np.r_[np.ones(100), np.zeros(200), np.full(100, 0.5)]  # N = 400
    # bounds round(linspace(1, 400, 5)) - 1 = 0, 100, 199, 299, 399: the first quarter is
    # values[0:101] (100 ones, one zero), the last values[299:400] (one zero, 100 halves)
    assert decay_corrected(values) == pytest.approx(100 / 101 - 50 / 101)


@needs(STATS)
def test_sequence_evaluation_and_global_table_match_the_evaluator():
    exp = json.load(open(STATS / "expected.json"))
    results = {}
    for case, ref in exp["sequences"].items():
        z = np.load(STATS / f"{case}.npz")
        result = evaluate_sequence(z["pred_labels"], z["gt_labels"])
        assert result["evaluated_frames"] == ref["evaluated_frames"]
        assert len(result["objects"]) == ref["n_objects"]
        for ours, theirs in zip(result["objects"], ref["objects"]):
            np.testing.assert_allclose(ours["J"], theirs["J_per_frame"], atol=1e-12)
            np.testing.assert_allclose(ours["F"], theirs["F_per_frame"], atol=1e-12)
            for m in ("J", "F"):
                for key, short in (("mean", "M"), ("recall", "R"), ("decay", "D")):
                    np.testing.assert_allclose(ours[f"{m}_stats"][key], theirs[m][short], atol=1e-12)
        table = global_table({case: result})
        for key, value in ref["global"].items():
            if key in table:
                np.testing.assert_allclose(table[key], value, atol=1e-12, err_msg=key)
        results[case] = result
    table = global_table(results)
    for key in ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"):
        np.testing.assert_allclose(table[key], exp["global"]["all_sequences"][key], atol=1e-12, err_msg=key)


def test_unsupervised_matches_proposals_to_objects():
    gt = np.zeros((3, 20, 20), np.uint8)
    gt[:, 2:8, 2:8] = 1
    gt[:, 12:18, 12:18] = 2
    pred = np.zeros_like(gt)
    pred[:, 12:18, 12:18] = 1  # proposal ids swapped and a spurious third one
    pred[:, 2:8, 2:8] = 2
    pred[:, 0:2, 18:20] = 3
    result = evaluate_sequence(pred, gt, task="unsupervised")
    assert result["evaluated_frames"] == [0, 1, 2]
    assert [o["J_stats"]["mean"] for o in result["objects"]] == [1.0, 1.0]
    with pytest.raises(ValueError, match="objects"):
        evaluate_sequence(pred, gt)  # semi-supervised: 3 predicted ids for 2 annotated objects
