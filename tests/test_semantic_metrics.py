"""VC_n against VSPW's and CFFM's scripts' own outputs (../shared fixtures) and by hand."""

import json

import numpy as np
import pytest

from shared import fixtures, needs
from tempcons.metrics.semantic import vc_windows, video_consistency

VSPW = fixtures("vspw_vc")


def test_constant_wrong_prediction_scores_one_and_unstable_gt_is_nan():
    gt = np.zeros((20, 4, 4), np.uint8)
    assert np.all(vc_windows(gt, np.full_like(gt, 7), 8) == 1.0)
    moving = np.arange(20, dtype=np.uint8)[:, None, None] * np.ones((1, 4, 4), np.uint8)
    assert np.isnan(vc_windows(moving, moving, 8)).all()
    assert len(vc_windows(gt, gt, 8)) == 12  # C - n windows, not C - n + 1


@needs(VSPW)
def test_equal_to_vspw_and_cffm_scripts():
    exp = json.load(open(VSPW / "expected.json"))
    names = exp["dataset"]["videos_in_order"]
    data = {c: np.load(VSPW / f"{c}.npz") for c in names}
    for c in names:
        for n in (8, 16):
            np.testing.assert_allclose(vc_windows(data[c]["gt"], data[c]["pred"], n), np.array(exp[c][f"accs_n{n}"], float),
                                       rtol=0, atol=1e-12, equal_nan=True)
    gts = [data[c]["gt"] for c in names]
    preds = [data[c]["pred"] for c in names]
    ds = exp["dataset"]
    assert video_consistency(gts, preds, 16).value == pytest.approx(ds["vspw_official_VC16"], abs=1e-12)
    assert video_consistency(gts, preds, 8, skip_up_to=8).value == pytest.approx(ds["vspw_official_clip_num_8"], abs=1e-12)
    assert video_consistency(gts, preds, 16, protocol="cffm").value == pytest.approx(ds["cffm_VC16"], abs=1e-12)
    assert video_consistency(gts, preds, 8, protocol="cffm").value == pytest.approx(ds["cffm_VC8"], abs=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="protocol"):
        video_consistency([np.zeros((20, 2, 2), np.uint8)], [np.zeros((20, 2, 2), np.uint8)], protocol="x")
    with pytest.raises(TypeError):
        vc_windows(np.zeros((20, 2, 2)), np.zeros((20, 2, 2)), 8)
    with pytest.raises(ValueError):
        vc_windows(np.zeros((20, 2, 2), np.uint8), np.zeros((19, 2, 2), np.uint8), 8)
