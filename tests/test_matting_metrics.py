"""Matting metrics against RVM's evaluation scripts' own outputs (../shared fixtures) and by hand."""

import json

import numpy as np
import pytest

from shared import fixtures, load_case, needs
from tempcons.metrics import matting

RVM = fixtures("rvm")


@needs(RVM)
@pytest.mark.parametrize("case", [f"case_{i:02d}" for i in range(8)])
def test_equal_to_rvm_scripts(case):
    z, exp = load_case(RVM, case)
    pred, true = z["pred_pha_u8"], z["true_pha_u8"]
    lr, hr = exp["lr"], exp["hr"]
    checks = [
        (matting.mad(pred, true), lr["pha_mad"], exp["lr_clip_mean"]["pha_mad"]),
        (matting.mse(pred, true), lr["pha_mse"], exp["lr_clip_mean"]["pha_mse"]),
        (matting.grad(pred, true), lr["pha_grad"], exp["lr_clip_mean"]["pha_grad"]),
        (matting.grad(pred, true, protocol="rvm_hr"), hr["pha_grad"], exp["hr_clip_mean"]["pha_grad"]),
        (matting.conn(pred, true), lr["pha_conn"], exp["lr_clip_mean"]["pha_conn"]),
        (matting.dtssd(pred, true), lr["pha_dtssd"], exp["lr_clip_mean"]["pha_dtssd"]),
        (matting.fgr_mse(z["pred_fgr_u8"], z["true_fgr_u8"], true), lr["fgr_mse"], exp["lr_clip_mean"]["fgr_mse"]),
        (matting.fgr_mad(z["pred_fgr_u8"], z["true_fgr_u8"], true), lr["fgr_mad"], exp["lr_clip_mean"]["fgr_mad"]),
    ]
    for score, per_frame, mean in checks:
        np.testing.assert_allclose(score.per_frame, np.array(per_frame, float), rtol=1e-5, atol=1e-9,
                                   equal_nan=True, err_msg=score.name)
        np.testing.assert_allclose(score.value, float(mean), rtol=1e-5, atol=1e-9, equal_nan=True)
    # RVM's writer truncated alpha * 255: the same numbers from the float output with quantize="truncate".
    np.testing.assert_allclose(matting.mad(z["pred_pha_float"], true, quantize="truncate").per_frame,
                               lr["pha_mad"], rtol=1e-5)


def test_by_hand_and_protocol_labels():
    true = np.zeros((2, 4, 4), np.float32)
    pred = np.full((2, 4, 4), 0.5, np.float32)
    score = matting.mse(pred, true)
    assert score.per_frame.tolist() == [250.0, 250.0] and score.protocol == "rvm" and score.name == "MSE"
    assert matting.grad(pred, true).value == 0.0  # constant frames have no gradient
    assert matting.dtssd(pred, true).value == 0.0  # no change in time
    assert matting.conn(true, true).value == 0.0


@pytest.mark.parametrize("call, err", [
    (lambda: matting.mad(np.zeros((2, 3, 3)), np.zeros((2, 3, 4))), ValueError),
    (lambda: matting.mad(np.full((2, 3, 3), 2.0), np.zeros((2, 3, 3))), ValueError),
    (lambda: matting.mad(np.zeros((2, 3, 3), np.int32), np.zeros((2, 3, 3))), TypeError),
    (lambda: matting.mad(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)), protocol="tcvom"), ValueError),
    (lambda: matting.mad(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)), quantize="floor"), ValueError),
])
def test_bad_input(call, err):
    with pytest.raises(err):
        call()


@needs(RVM)
def test_dataset_mean_follows_the_workbook():
    agg = json.load(open(RVM / "expected.json"))["excel_aggregate"]
    data = [np.load(RVM / f"{c}.npz") for c in agg["clips_in_order"]]
    fns = {"pha_mad": matting.mad, "pha_mse": matting.mse, "pha_grad": matting.grad,
           "pha_conn": matting.conn, "pha_dtssd": matting.dtssd}
    for name, fn in fns.items():
        scores = [fn(z["pred_pha_u8"], z["true_pha_u8"]) for z in data]
        assert matting.rvm_dataset_mean(scores) == pytest.approx(agg["metrics"][name]["excel_summary"], rel=1e-5)
    fgr = [matting.fgr_mse(z["pred_fgr_u8"], z["true_fgr_u8"], z["true_pha_u8"]) for z in data]
    assert matting.rvm_dataset_mean(fgr) == pytest.approx(agg["metrics"]["fgr_mse"]["excel_summary"], rel=1e-5)
