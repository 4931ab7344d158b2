"""The names researchers copy into evaluation scripts: prediction first, ground truth second.

Every public function of ``tempcons.metrics`` that takes a ground truth takes a prediction
before it, and names them ``pred`` (``preds``, ``pred_*``) and ``gt`` (``gts``, ``gt_*``), so
that ``metric(pred=..., gt=...)`` reads the same everywhere; each promised name is then called
with those keywords, and its result converts with ``float()`` and keeps its per-frame series.
"""

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import tempcons.metrics
from tempcons.metrics import davis, evaluate, flicker, matting, semantic, tracking

#: Parameter names that say "ground truth", whatever the spelling (``has_gt``, a flag, does not).
GROUND_TRUTH = re.compile(r"^((gts?|true|truth|targets?|annotations?|ground_truth|groundtruth)(_.*)?"
                          r"|.*_(true|truth|targets?|annotations?))$")
PRED = re.compile(r"^(preds?|pred_.*)$")
GT = re.compile(r"^(gts?|gt_.*)$")

def _public_functions():
    for info in pkgutil.iter_modules(tempcons.metrics.__path__):
        module = importlib.import_module(f"{tempcons.metrics.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            # Re-exports are checked where they are defined.
            if not name.startswith("_") and fn.__module__ == module.__name__:
                yield f"{info.name}.{name}", fn


def _violation(fn) -> str | None:
    """Why ``fn`` breaks the convention, or None."""
    names = list(inspect.signature(fn).parameters)
    truths = [i for i, p in enumerate(names) if GROUND_TRUTH.match(p)]
    if not truths:
        return None
    misnamed = [names[i] for i in truths if not GT.match(names[i])]
    if misnamed:
        return f"ground truth named {misnamed}, not gt / gts / gt_*"
    preds = [i for i, p in enumerate(names) if PRED.match(p)]
    if not preds or preds[0] > truths[0]:
        return f"no pred / preds / pred_* before {names[truths[0]]!r} in {names}"
    return None


def test_the_walk_sees_every_metric_module():
    walked = {name.split(".")[0] for name, _ in _public_functions()}
    assert {"matting", "semantic", "flicker", "davis", "tracking", "evaluate"} <= walked


def test_every_metric_takes_pred_first_and_gt_second():
    violations = {name: why for name, fn in _public_functions() if (why := _violation(fn))}
    assert not violations, f"metrics that break pred-first, gt-second naming: {violations}"


@pytest.mark.parametrize("signature, expected", [
    (lambda gt, pred: None, "no pred"),
    (lambda pred, true: None, "named ['true']"),
    (lambda pred, target_mask=None: None, "named ['target_mask']"),
    (lambda mask_true, pred: None, "named ['mask_true']"),
    (lambda kind, has_gt: None, None),  # a flag about the ground truth is not one
    (lambda pred_a, gt_a, gt_b: None, None),
    (lambda preds, gts: None, None),
])
def test_the_rule_itself(signature, expected):
    why = _violation(signature)
    assert why is None if expected is None else expected in why


def _alphas(t=4, size=16):
    rng = np.random.default_rng(0)
    gt = np.zeros((t, size, size), np.uint8)
    gt[:, 4:12, 4:12] = 255
    gt[:, 4:12, 3] = 128  # a soft edge: an unknown region for the trimap protocols
    pred = np.clip(gt.astype(int) + rng.integers(-40, 40, gt.shape), 0, 255).astype(np.uint8)
    return pred, gt


@pytest.mark.parametrize("metric, options, length", [
    (matting.mad, {}, 4), (matting.mse, {}, 4), (matting.grad, {}, 4), (matting.conn, {}, 4),
    (matting.dtssd, {}, 4), (matting.dtssd, {"protocol": "erofeev"}, 3),
    (matting.messddt, {}, 3), (matting.messddt, {"protocol": "erofeev", "flow": np.zeros((3, 16, 16, 2))}, 3),
])
def test_matting_metrics_by_keyword(metric, options, length):
    pred, gt = _alphas()
    score = metric(pred=pred, gt=gt, **options)
    assert float(score) == score.value == pytest.approx(np.mean(score.per_frame))
    assert score.per_frame.shape == (length,) and score.protocol == options.get("protocol", score.protocol)
    positional = metric(pred, gt, **options)  # the positional order is unchanged
    assert positional.value == score.value and np.array_equal(positional.per_frame, score.per_frame)
    if metric is matting.messddt:
        assert score.flow_source


def test_matting_order_matters_where_the_metric_is_asymmetric():
    below_one_level, zero = np.full((2, 4, 4), 0.5 / 255), np.zeros((2, 4, 4))
    # quantize truncates the prediction only, so the order of the arguments shows.
    assert float(matting.mad(pred=below_one_level, gt=zero, quantize="truncate")) == 0.0
    assert float(matting.mad(pred=zero, gt=below_one_level, quantize="truncate")) == pytest.approx(0.5 / 255 * 1e3)


def test_foreground_and_tcvom_table_by_keyword():
    pred, gt = _alphas()
    fgr = np.repeat(gt[..., None], 3, axis=3)
    score = matting.fgr_mse(pred_fgr=fgr // 2, gt_fgr=fgr, gt_alpha=gt)
    assert float(score) > 0 and score.per_frame.shape == (4,)
    assert float(matting.fgr_mad(pred_fgr=fgr, gt_fgr=fgr, gt_alpha=gt)) == 0.0
    trimap = np.where(gt == 128, 128, gt).astype(np.uint8)
    table = matting.tcvom_frame_metrics(pred=pred, gt=gt, trimap=trimap)
    assert table["dtSSD"].shape == (4,)


def test_video_consistency_one_clip_and_pooled_by_keyword():
    gt = np.zeros((5, 4, 4), np.uint8)
    pred = gt.copy()
    pred[2, 0, 0] = 1
    clip = semantic.video_consistency(pred=pred, gt=gt, n=2)
    assert clip.windows.tolist() == [1.0, 15 / 16, 15 / 16] and float(clip) == pytest.approx(np.mean(clip.windows))
    pooled = semantic.video_consistency_pooled(preds=[pred, gt], gts=[gt, gt], n=2, skip_up_to=0)
    assert float(pooled) == pytest.approx(np.mean(clip.windows.tolist() + [1.0] * 3))
    assert [c.windows.tolist() for c in pooled.clips] == [clip.windows.tolist(), [1.0] * 3]
    # Stability is asked of the prediction where the ground truth is stable, not the reverse.
    moving = np.arange(5, dtype=np.uint8)[:, None, None] * np.ones((1, 4, 4), np.uint8)
    assert float(semantic.video_consistency(pred=moving, gt=gt, n=2)) == 0.0
    assert np.isnan(float(semantic.video_consistency(pred=gt, gt=moving, n=2)))


def test_miou_and_tc_by_keyword():
    gt = np.array([[[0, 0, 1, 255]]], np.uint8)
    pred = np.array([[[0, 1, 1, 2]]], np.uint8)
    score = semantic.miou(pred=pred, gt=gt, num_classes=3)
    assert float(score) == pytest.approx(0.5) and np.isnan(score.per_class[2])  # class 2: in pred only
    assert float(semantic.miou(pred=[pred, pred], gt=[gt, gt], num_classes=3)) == pytest.approx(0.5)
    labels = np.zeros((3, 8, 8), np.uint8)
    labels[:, 2:6, 2:6] = 1
    still = np.zeros((2, 8, 8, 2), np.float32)
    tc = semantic.temporal_consistency(pred=labels, num_classes=2, flow=(still, still), flow_source="still")
    assert float(tc) == 1.0 and tc.per_pair[0].tolist() == [1.0, 1.0]
    assert tc.protocol == "vspw" and tc.flow_source == "still"
    pooled = semantic.temporal_consistency(pred=[labels, labels], num_classes=2, flow=[(still, still)] * 2)
    assert len(pooled.per_pair) == 2 and float(pooled) == 1.0


def test_warping_error_by_keyword():
    masks = np.zeros((3, 8, 8), np.float32)
    masks[1, 2:6, 2:6] = 1
    still = np.zeros((2, 8, 8, 2), np.float32)
    score = flicker.warping_error(masks=masks, flow=(still, still), flow_source="still")
    assert float(score) == score.value == pytest.approx(np.mean(score.per_pair)) and score.value > 0
    assert score.per_pair.shape == (2,) and score.protocol == "lai2018" and score.flow_source == "still"


def test_evaluate_by_keyword():
    pred, gt = _alphas()
    result = evaluate(pred=pred, gt=gt, kind="alpha", metrics=["MAD", "dtSSD"])
    assert float(result["MAD"]) == result["MAD"].value == pytest.approx(float(matting.mad(pred, gt)))
    assert result["dtSSD"].series == pytest.approx(matting.dtssd(pred, gt).per_frame.tolist())


def test_tracking_metrics_by_keyword():
    gt = np.zeros((4, 4, 8), np.int32)
    gt[:, :, :4] = 1
    pred = gt * np.array([5, 5, 6, 6], np.int32)[:, None, None]  # renamed at frame 2
    switches = tracking.id_switches(pred=pred, gt=gt)
    assert float(switches) == 1.0 and switches.per_frame.tolist() == [0, 0, 1, 0]
    sem = gt.copy()
    maps = dict(pred_semantic=sem, pred_instance=pred, gt_semantic=sem, gt_instance=gt)
    score = tracking.stq(**maps, things=[1], num_classes=2)
    assert float(score) == score.stq == pytest.approx(np.sqrt(0.5))
    # The order shows: the ground truth's one track splits into two predicted ones, not the reverse.
    assert score.n_tracks == 1 and tracking.stq(sem, gt, sem, pred, things=[1], num_classes=2).n_tracks == 2
    video = tracking.vpq(**maps, things=[1], num_classes=2, windows=(1, 2))
    assert float(video) == video["vpq"] == pytest.approx(np.mean(list(video["per_window"].values())))


def test_davis_metrics_by_keyword():
    gt = np.zeros((4, 16, 16), bool)
    gt[:, 4:12, 4:12] = True
    pred = gt.copy()
    pred[2] = np.roll(gt[2], 1, axis=1)
    j = davis.region_similarity(pred=pred, gt=gt)
    f = davis.boundary_accuracy(pred=pred, gt=gt)
    assert j.shape == f.shape == (4,) and j.dtype == f.dtype == np.float64 and j[2] < 1 == j[0]
    assert davis.boundary_f_measure is davis.boundary_accuracy
    t = davis.temporal_stability(pred=pred, gt=gt)
    assert t.shape == (4,) and t.dtype == np.float64 and np.isnan(t[[0, 3]]).all()
    # The sequence's T is the one evaluate reports, from the same per-frame values.
    sequence = evaluate(pred=pred, gt=gt, kind="binary", metrics=["T"])["T"]
    assert 5 * np.nanmean(t) == pytest.approx(float(sequence)) and sequence.series == pytest.approx(t[1:-1].tolist())
    assert davis.temporal_stability(pred=pred).shape == (4,)
