"""tracking.stq and tracking.vpq against the reference implementations' own outputs.

The golden cases (shared fixtures, README sections "stq" and "vpq") hold what deeplab2's NumPy
``STQuality`` and Cityscapes-VPS's ``eval_vpq.py`` return on synthetic inputs; each test runs the
tempcons metric with the README's call and compares within the README's tolerances.
"""

import json
import math

import numpy as np
import pytest

from shared import fixtures, load_case, needs
from tempcons.metrics.tracking import stq, vpq

STQ_DIR = fixtures("stq")
VPQ_DIR = fixtures("vpq")
# README "vpq": nframes 1..4 are Cityscapes-VPS's k = 0, 5, 10, 15.
K_OF = {1: "k0", 2: "k5", 3: "k10", 4: "k15"}


def _cases(folder):
    """Case names in expected.json; one placeholder when the fixtures are absent (the test skips)."""
    path = folder / "expected.json"
    if not path.is_file():
        return ["case_00"]
    return sorted(name for name in json.load(open(path)) if name.startswith("case_"))


def _close(ours, expected, *, rtol=0.0, atol=0.0):
    """Equal within tolerance, and NaN exactly where the reference gave NaN (None = no value)."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return math.isnan(ours)
    return math.isclose(ours, expected, rel_tol=rtol, abs_tol=atol)


def _run_stq(z, **extra):
    return stq(z["pred_sem"], z["pred_inst"], z["gt_sem"], z["gt_inst"], things=z["things"].tolist(),
               num_classes=int(z["num_classes"]), ignore=int(z["ignore_label"]), sequence=z["seq_id"], **extra)


@needs(STQ_DIR)
@pytest.mark.parametrize("case", _cases(STQ_DIR))
def test_stq_equals_deeplab2(case):
    z, exp = load_case(STQ_DIR, case)
    # README: label_bit_shift 16 leaves room for these instance ids, so (class, id) keys are the reference's.
    assert z["pred_inst"].max() < 1 << int(z["label_bit_shift"])
    result = _run_stq(z)
    assert _close(result.sq, exp["IoU"], atol=1e-12)
    assert _close(result.aq, exp["AQ"], rtol=1e-6)
    assert _close(result.stq, exp["STQ"], rtol=1e-6)
    assert list(result.per_sequence) == exp["ID_per_seq"]
    for i, seq in enumerate(result.per_sequence.values()):
        assert _close(seq.sq, exp["IoU_per_seq"][i], atol=1e-12)
        assert _close(seq.aq, exp["AQ_per_seq"][i], rtol=1e-6)
        assert _close(seq.stq, exp["STQ_per_seq"][i], rtol=1e-6)
    # Both numpy generations' values are reference outputs (numpy 2 sums AQ in float32); the
    # fixture records the numpy-1 run only where it differs, i.e. where there are tracks.
    if "numpy_lt_2" in exp:
        assert _close(result.aq, exp["numpy_lt_2"]["AQ"], rtol=1e-6)
        assert _close(result.stq, exp["numpy_lt_2"]["STQ"], rtol=1e-6)


def _vpq_inputs(z):
    divisor = int(z["label_divisor"])
    categories = z["categories"]
    things = [int(c) for c, isthing in categories if isthing]
    gt, pred = z["gt_pan"], z["pred_pan"]
    # Panoptic id 0 is VOID in both maps: class 0 with void=0.
    return (pred // divisor, pred % divisor, gt // divisor, gt % divisor), dict(
        things=things, num_classes=int(categories[:, 0].max()) + 1, void=0), [int(c) for c in categories[:, 0]]


@needs(VPQ_DIR)
@pytest.mark.parametrize("case", _cases(VPQ_DIR))
def test_vpq_windows_equal_eval_vpq(case):
    z, exp = load_case(VPQ_DIR, case)
    maps, options, categories = _vpq_inputs(z)
    for nframes, key in K_OF.items():
        window = exp["windows"][key]
        assert window["nframes"] == nframes
        if window["windows"] == 0:
            # No window fits the video; the reference then divides by zero in pq_average.
            assert all(v is None for v in window["pq_average"].values())
            with pytest.raises(ValueError, match="windows"):
                vpq(*maps, windows=(nframes,), **options)
            continue
        result = vpq(*maps, windows=(nframes,), **options)
        for c in categories:
            ours, ref = result["per_class"][nframes][c], window["per_class"][str(c)]
            assert (ours["tp"], ours["fp"], ours["fn"]) == (ref["tp"], ref["fp"], ref["fn"]), (key, c)
            assert _close(ours["iou"], ref["iou"], rtol=1e-12), (key, c)
        for group, ref in window["pq_average"].items():
            ours = result["summary"][nframes][group]
            if ref is None:
                assert ours["n"] == 0 and math.isnan(ours["pq"])
                continue
            assert ours["n"] == ref["n"], (key, group)
            for name in ("pq", "sq", "rq"):
                assert _close(ours[name], ref[name], rtol=1e-12), (key, group, name)
        printed = exp["vpq_compute"][key]
        assert _close(100 * result["per_window"][nframes], printed["vpq_all"], rtol=1e-12)


@needs(VPQ_DIR)
@pytest.mark.parametrize("case", _cases(VPQ_DIR))
def test_vpq_final_is_the_mean_over_k(case):
    z, exp = load_case(VPQ_DIR, case)
    maps, options, _ = _vpq_inputs(z)
    final = exp["vpq_compute"]["final"]
    if final is None:
        # A window length longer than the video: the reference crashes, tempcons refuses it.
        with pytest.raises(ValueError, match="windows"):
            vpq(*maps, windows=tuple(K_OF), **options)
        return
    result = vpq(*maps, windows=tuple(K_OF), **options)
    assert _close(100 * result["vpq"], final["vpq_all"], rtol=1e-12)
    assert _close(100 * result["vpq_things"], final["vpq_thing"], rtol=1e-12)
    assert _close(100 * result["vpq_stuff"], final["vpq_stuff"], rtol=1e-12)


@needs(VPQ_DIR)
@pytest.mark.parametrize("dataset", ["dataset", "dataset_main_6frame_videos"])
def test_vpq_pools_videos_as_vpq_compute(dataset):
    exp = json.load(open(VPQ_DIR / "expected.json"))[dataset]
    parts, sequence = [], []
    for i, case in enumerate(exp["videos_in_order"]):
        z, _ = load_case(VPQ_DIR, case)
        maps, options, _ = _vpq_inputs(z)
        parts.append(maps)
        sequence += [i] * len(maps[0])
    pooled = [np.concatenate(arrays) for arrays in zip(*parts)]
    result = vpq(*pooled, windows=tuple(K_OF), sequence=sequence, **options)
    for nframes, key in K_OF.items():
        printed = exp["vpq_compute"][key]
        summary = result["summary"][nframes]
        assert _close(100 * summary["All"]["pq"], printed["vpq_all"], rtol=1e-12), key
        assert _close(100 * summary["Things"]["pq"], printed["vpq_thing"], rtol=1e-12), key
        assert _close(100 * summary["Stuff"]["pq"], printed["vpq_stuff"], rtol=1e-12), key
    final = exp["vpq_compute"]["final"]
    assert _close(100 * result["vpq"], final["vpq_all"], rtol=1e-12)
    assert _close(100 * result["vpq_things"], final["vpq_thing"], rtol=1e-12)
    assert _close(100 * result["vpq_stuff"], final["vpq_stuff"], rtol=1e-12)
