"""DAVIS-2016 temporal stability T: its kernels against plain references, its invariances, and
the DAVIS team's official per-frame T of KEY (shared data; skipped without it)."""

import csv
import collections

import cv2
import numpy as np
import pytest

import naive
from shared import REAL, needs
from tempcons._kernels.matching import chi2_cost, monotone_path
from tempcons._kernels.polyline import douglas_peucker
from tempcons.metrics import shape_instability, temporal_stability


def test_monotone_path_is_the_cheapest_path():
    rng = np.random.default_rng(0)
    for n1, n2 in [(1, 1), (1, 5), (6, 1), (7, 9), (12, 8)]:
        cost = rng.random((n1, n2))
        path = monotone_path(cost)
        assert tuple(path[0]) == (n1 - 1, n2 - 1) and tuple(path[-1]) == (0, 0)
        steps = -np.diff(path, axis=0)
        assert np.all((steps >= 0) & (steps <= 1)) and np.all(steps.sum(axis=1) >= 1)
        assert cost[path[:-1, 0], path[:-1, 1]].sum() == pytest.approx(naive.monotone_path_cost(cost))


def test_chi2_cost_matches_numpy():
    rng = np.random.default_rng(1)
    h1, h2 = rng.random((9, 60)), rng.random((7, 60))
    out = np.empty((9, 7))
    chi2_cost(h1, h2, out)
    a, b = h1[:, None, :], h2[None, :, :]
    expected = 0.5 * np.sum((a - b) ** 2 / (a + b + np.finfo(float).eps), axis=2)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_douglas_peucker_matches_recursive_reference():
    rng = np.random.default_rng(2)
    for _ in range(20):
        pts = np.cumsum(rng.integers(-3, 4, size=(rng.integers(3, 60), 2)), axis=0).astype(float)
        for tol in (0.1, 1.5, 3.0):
            np.testing.assert_array_equal(douglas_peucker(pts, tol), naive.douglas_peucker(pts, tol))


def _blob(h=60, w=80, shift=(0, 0)):
    m = np.zeros((h, w), bool)
    m[15:45, 20:60] = True
    m[25:35, 10:20] = True  # an arm, so the shape has character
    return np.roll(m, shift, axis=(0, 1))


def test_identical_and_translated_shapes_are_perfectly_stable():
    assert shape_instability(_blob(), _blob()) == 0.0
    assert shape_instability(_blob(), _blob(shift=(3, -5))) == 0.0


def test_a_changing_shape_costs_more_than_a_slightly_changed_one():
    base = _blob()
    small = base.copy()
    small[45:48, 30:36] = True
    big = base.copy()
    big[5:15, 40:55] = True
    assert 0 < shape_instability(base, small) < shape_instability(base, big)


def test_empty_mask_gives_nan_and_first_replaces_frame_zero():
    seq = np.stack([_blob(), np.zeros((60, 80), bool), _blob(shift=(1, 1))])
    values = temporal_stability(seq)
    assert values.shape == (2,) and np.isnan(values).all()
    values = temporal_stability(seq[[0, 2]], first=_blob(shift=(5, 5)))
    assert values[0] == 0.0


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="masks must be"):
        temporal_stability(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="first must be"):
        temporal_stability(np.zeros((3, 4, 4)), first=np.zeros((5, 4)))
    with pytest.raises(ValueError, match="one shape"):
        shape_instability(np.zeros((4, 4)), np.zeros((4, 5)))


def _official_t():
    per_frame = collections.defaultdict(list)
    with open(REAL / "davis2016_val_official_per_frame_key.csv") as f:
        for row in csv.DictReader(f):
            per_frame[row["sequence"]].append(float(row["T"]))
    return per_frame


def _masks(seq, folder):
    return np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 127
                     for p in sorted((REAL / seq / folder).glob("*.png"))])


# Per-sequence agreement measured against the official values (docs/metrics.md): within 2 % on
# three sequences; on kite-surf and breakdance a few frames pick a different "longest" polygon
# where two have nearly as many vertices, which moves the sequence mean by 2.8 % and 6.3 %.
TOLERANCE = {"scooter-black": 0.02, "parkour": 0.02, "soapbox": 0.02, "kite-surf": 0.03, "breakdance": 0.065}


@needs(REAL)
@pytest.mark.parametrize("seq", sorted(TOLERANCE))
def test_t_agrees_with_official_davis2016_values(seq):
    official = np.array(_official_t()[seq])
    pred, gt = _masks(seq, "raw_key"), _masks(seq, "gt")
    ours = temporal_stability(pred[:-1], first=gt[0])
    assert ours.shape == official.shape
    assert 5 * np.nanmean(ours) == pytest.approx(5 * np.nanmean(official), rel=TOLERANCE[seq])
    rel = np.abs(ours - official) / official
    assert np.median(rel) < 0.05
    assert np.mean(rel < 0.2) >= 0.95
