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
    pred, gt = z["pred_pha_u8"], z["true_pha_u8"]
    lr, hr = exp["lr"], exp["hr"]
    checks = [
        (matting.mad(pred, gt), lr["pha_mad"], exp["lr_clip_mean"]["pha_mad"]),
        (matting.mse(pred, gt), lr["pha_mse"], exp["lr_clip_mean"]["pha_mse"]),
        (matting.grad(pred, gt), lr["pha_grad"], exp["lr_clip_mean"]["pha_grad"]),
        (matting.grad(pred, gt, protocol="rvm_hr"), hr["pha_grad"], exp["hr_clip_mean"]["pha_grad"]),
        (matting.conn(pred, gt), lr["pha_conn"], exp["lr_clip_mean"]["pha_conn"]),
        (matting.dtssd(pred, gt), lr["pha_dtssd"], exp["lr_clip_mean"]["pha_dtssd"]),
        (matting.fgr_mse(z["pred_fgr_u8"], z["true_fgr_u8"], gt), lr["fgr_mse"], exp["lr_clip_mean"]["fgr_mse"]),
        (matting.fgr_mad(z["pred_fgr_u8"], z["true_fgr_u8"], gt), lr["fgr_mad"], exp["lr_clip_mean"]["fgr_mad"]),
    ]
    for score, per_frame, mean in checks:
        np.testing.assert_allclose(score.per_frame, np.array(per_frame, float), rtol=1e-5, atol=1e-9,
                                   equal_nan=True, err_msg=score.name)
        np.testing.assert_allclose(score.value, float(mean), rtol=1e-5, atol=1e-9, equal_nan=True)
    # RVM's writer truncated alpha * 255: the same numbers from the float output with quantize="truncate".
    np.testing.assert_allclose(matting.mad(z["pred_pha_float"], gt, quantize="truncate").per_frame,
                               lr["pha_mad"], rtol=1e-5)


def test_by_hand_and_protocol_labels():
    gt = np.zeros((2, 4, 4), np.float32)
    pred = np.full((2, 4, 4), 0.5, np.float32)
    score = matting.mse(pred, gt)
    assert score.per_frame.tolist() == [250.0, 250.0] and score.protocol == "rvm" and score.name == "MSE"
    assert matting.grad(pred, gt).value == 0.0  # constant frames have no gradient
    assert matting.dtssd(pred, gt).value == 0.0  # no change in time
    assert matting.conn(gt, gt).value == 0.0


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


TCVOM = fixtures("tcvom")
DVM = fixtures("dvm")


@needs(TCVOM)
def test_equal_to_tcvom_script():
    exp_all = json.load(open(TCVOM / "expected.json"))
    video_means = []
    for case in exp_all["dataset"]["videos_in_order"]:
        z, exp = load_case(TCVOM, case)
        flow = z["flow_int16"].astype(np.float32) / 100  # the script's PNG encoding
        table = matting.tcvom_frame_metrics(z["pred"], z["gt"], z["trimap"], flow, z["flow_valid"] > 0)
        for key, values in exp["per_frame"].items():
            np.testing.assert_allclose(table[key], values, rtol=1e-5, atol=1e-9, err_msg=key)
        dt = matting.dtssd(z["pred"], z["gt"], protocol="tcvom", trimap=z["trimap"])
        me = matting.messddt(z["pred"], z["gt"], protocol="tcvom", trimap=z["trimap"], flow=flow,
                             flow_valid=z["flow_valid"] > 0)
        assert dt.value == pytest.approx(exp["video_avg"]["dtSSD"], rel=1e-5)
        assert me.value == pytest.approx(exp["video_avg"]["MESSDdt"], rel=1e-5)
        assert me.protocol == "tcvom" and me.flow_source == "supplied"
        video_means.append(dt.value)
    assert np.mean(video_means) == pytest.approx(exp_all["dataset"]["avg"]["dtSSD"], rel=1e-5)


@needs(DVM)
@pytest.mark.parametrize("case", [f"case_{i:02d}" for i in range(4)])
def test_equal_to_dvm_batch_metric(case):
    z, exp = load_case(DVM, case)
    flows = np.load(DVM / "expected_farneback_int_flow.npz")[case]
    assert np.array_equal(np.rint(matting._farneback_on_truth(z["gt"])), flows)
    for key, trimap in (("mask_none", None), ("trimap", z["trimap"])):
        ref = exp[f"run_video_{key}"]
        dt = matting.dtssd(z["pred"], z["gt"], protocol="dvm", trimap=trimap)
        whole = matting.messddt(z["pred"], z["gt"], protocol="dvm", trimap=trimap)
        pairwise = matting.messddt(z["pred"], z["gt"], protocol="dvm", trimap=trimap, whole_clip=False)
        np.testing.assert_allclose(dt.per_frame, ref["dtssd"]["err"], rtol=1e-5, atol=1e-9)
        np.testing.assert_array_equal(dt.counts, ref["dtssd"]["num"])
        np.testing.assert_allclose(whole.per_frame, ref["messddt"]["err"], rtol=1e-5, atol=1e-9)
        np.testing.assert_array_equal(whole.counts, ref["messddt"]["num"])
        np.testing.assert_allclose(pairwise.per_frame, exp[f"messddt_pairwise_{key}"]["err"], rtol=1e-5, atol=1e-9)
        assert whole.flow_source.startswith("farneback")


def _moving_clip(t=4, h=24, w=32):
    """A soft pattern moving 2 px right per frame and a prediction whose error moves with it."""
    rng = np.random.default_rng(3)
    base = rng.random((h, w + 2 * t)).astype(np.float32)
    err = np.zeros_like(base)
    err[8:16, 20:30] = 0.2
    gt = np.stack([base[:, 2 * (t - k):2 * (t - k) + w] for k in range(t)])
    pred = np.clip(gt + np.stack([err[:, 2 * (t - k):2 * (t - k) + w] for k in range(t)]), 0, 1)
    return pred, gt


def test_erofeev_messddt_follows_the_motion():
    pred, gt = _moving_clip()
    motion = np.zeros((len(gt) - 1, *gt.shape[1:], 2))
    motion[..., 0] = 2.0  # frame t's pixel x is at x + 2 in frame t + 1
    with_motion = matting.messddt(pred, gt, protocol="erofeev", flow=motion)
    still = matting.messddt(pred, gt, protocol="erofeev", flow=np.zeros_like(motion))
    assert with_motion.value < 1e-6 < still.value
    assert with_motion.flow_source == "supplied"


def test_erofeev_dtssd_by_hand():
    gt = np.zeros((3, 2, 2), np.float32)
    pred = np.stack([np.zeros((2, 2)), np.full((2, 2), 0.5), np.full((2, 2), 0.5)]).astype(np.float32)
    score = matting.dtssd(pred, gt, protocol="erofeev")
    np.testing.assert_allclose(score.per_frame, [1.0, 0.0])  # sqrt(4 * 0.25), then no change
    tcvom = matting.dtssd(pred, gt, protocol="tcvom", trimap=np.full((3, 2, 2), 128, np.uint8))
    np.testing.assert_allclose(tcvom.per_frame, [1.0, 0.0, 0.0])  # forward difference, last frame 0


def test_protocols_that_need_more_say_so():
    a = np.zeros((3, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="trimap"):
        matting.dtssd(a, a, protocol="tcvom")
    with pytest.raises(ValueError, match="ground-truth flow"):
        matting.messddt(a, a, protocol="tcvom", trimap=a)
    with pytest.raises(ValueError, match="flow must be"):
        matting.messddt(a, a, protocol="erofeev", flow=np.zeros((3, 4, 4, 2)))
    with pytest.raises(ValueError, match="protocol"):
        matting.messddt(a, a, protocol="rvm")
