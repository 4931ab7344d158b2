"""One entry point for every metric of a clip, and the dataset averages each benchmark uses.

:func:`evaluate` scores one clip (a mask, matte or label-map video, with or without ground
truth) and returns an :class:`Evaluation`: every number with its per-frame (or per-pair, or
per-window) series, the protocol that produced it and, for flow-based numbers, where the flow
came from; ``to_dict()`` is plain JSON. :func:`aggregate` combines clips the way each benchmark
does: DAVIS pools objects, RVM averages frames as its workbook does, VSPW pools VC windows and
accumulates one confusion matrix, Lai et al. average videos.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from ..kinds import mask_format
from . import matting, semantic
from .davis import boundary_f_measure, evaluate_sequence, global_table, region_similarity, statistics
from .flicker import (_unit, area_jitter, boundary_jitter, flip_rate, pair_flows, temporal_change,
                      warping_error)
from .stability import temporal_stability

__all__ = ["MetricResult", "Evaluation", "evaluate", "aggregate", "available_metrics"]

_MASK_NO_GT = ("warping_error", "boundary_jitter", "flip_rate", "area_jitter", "temporal_change")
_MASK_GT = ("J", "F", "J&F")
_ALPHA_GT = ("MAD", "MSE", "Grad", "Conn", "dtSSD", "MESSDdt")
_LABEL_NO_GT = ("TC", "flip_rate")
_LABEL_GT = ("J&F", "J", "F", "mIoU", "VC8", "VC16")
_NEEDS_FLOW = ("warping_error", "boundary_jitter", "TC")
_OPTIONAL = ("T",)  # slow; only on request


@dataclass
class MetricResult:
    """One metric of one clip.

    Attributes
    ----------
    name : str
    value : float
        The clip number (NaN when undefined).
    protocol : str
        Whose convention produced it.
    series : list of float
        The per-frame, per-pair or per-window values behind ``value``.
    per : str
        What ``series`` runs over: "frame", "pair", "window" or "object".
    aggregation : str
        How :func:`aggregate` combines clips: "mean-over-clips", "per-object",
        "rvm-workbook", "pooled-windows" or "pooled-confusion".
    flow_source : str or None
    extra : dict
        What the aggregation needs beyond ``series`` (per-object statistics, confusion counts).
    """

    name: str
    value: float
    protocol: str
    series: list
    per: str
    aggregation: str = "mean-over-clips"
    flow_source: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Evaluation:
    """Every metric of one clip. ``to_dict()`` / ``to_json()`` give plain JSON."""

    name: str | None
    kind: str
    n_frames: int
    metrics: dict

    def __getitem__(self, metric: str) -> MetricResult:
        return self.metrics[metric]

    def values(self) -> dict:
        """Metric name -> clip value."""
        return {k: m.value for k, m in self.metrics.items()}

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "n_frames": self.n_frames,
                "metrics": {k: asdict(m) for k, m in self.metrics.items()}}

    def to_json(self, **kwargs) -> str:
        # NaN is written as JSON's common NaN token (Python's json reads it back).
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> "Evaluation":
        return cls(data["name"], data["kind"], data["n_frames"],
                   {k: MetricResult(**m) for k, m in data["metrics"].items()})


def available_metrics(kind: str, has_gt: bool) -> tuple[str, ...]:
    """Metrics :func:`evaluate` computes by default for a kind, with or without ground truth.

    Examples
    --------
    >>> available_metrics("binary", has_gt=False)
    ('warping_error', 'boundary_jitter', 'flip_rate', 'area_jitter', 'temporal_change')
    """
    if kind == "labels":
        return _LABEL_NO_GT + (_LABEL_GT if has_gt else ())
    extra = (_MASK_GT + (_ALPHA_GT if kind == "alpha" else ())) if has_gt else ()
    return _MASK_NO_GT + extra


def _floats(values) -> list:
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


class _Clip:
    """The validated inputs of one evaluation, with the flow computed at most once."""

    def __init__(self, pred, gt, frames, flow, flow_source, kind, num_classes, trimap, protocols):
        self.pred, self.gt, self.frames = pred, gt, frames
        self.kind, self.num_classes, self.trimap = kind, num_classes, trimap
        self.protocols = protocols
        self._flow, self._flow_source = flow, flow_source
        self._resolved = None

    @property
    def has_motion(self) -> bool:
        return self.frames is not None or self._flow is not None

    def flow(self) -> tuple[tuple[np.ndarray, np.ndarray], str]:
        if self._resolved is None:
            pairs, source = pair_flows(self.pred.shape[:3], self.frames, self._flow, self._flow_source)
            pairs = list(pairs)
            empty = np.zeros((0, *self.pred.shape[1:3], 2), np.float32)
            flow = (np.stack([f for f, _ in pairs]), np.stack([b for _, b in pairs])) if pairs else (empty, empty)
            self._resolved = (flow, source)
        return self._resolved

    @staticmethod
    def binary(video: np.ndarray) -> np.ndarray:
        return _unit(video) >= 0.5


def _davis_jf(clip: _Clip, name: str) -> MetricResult:
    """J, F or J&F of a one-object mask clip, DAVIS semi-supervised frames and statistics."""
    if clip.kind == "labels":
        result = evaluate_sequence(clip.pred, clip.gt)
        table = global_table({"clip": result})
        key = {"J": "J-Mean", "F": "F-Mean", "J&F": "J&F-Mean"}[name]
        objects = [{"J": o["J_stats"], "F": o["F_stats"]} for o in result["objects"]]
        series = [(o["J"]["mean"] + o["F"]["mean"]) / 2 if name == "J&F" else o[name]["mean"] for o in objects]
        return MetricResult(name, table[key], "davis2017-semi-supervised", series, "object", "per-object",
                            extra={"objects": objects})
    p, g = clip.binary(clip.pred), clip.binary(clip.gt)
    inner = slice(1, -1) if len(p) > 2 else slice(None)
    j = region_similarity(p[inner], g[inner])
    f = boundary_f_measure(p[inner], g[inner])
    stats = {"J": statistics(j), "F": statistics(f)}
    per = {"J": j, "F": f, "J&F": (j + f) / 2}[name]
    value = (stats["J"]["mean"] + stats["F"]["mean"]) / 2 if name == "J&F" else stats[name]["mean"]
    return MetricResult(name, value, "davis2017-semi-supervised", _floats(per), "frame", "per-object",
                        extra={"objects": [stats]})


def _matting(clip: _Clip, name: str) -> MetricResult:
    fn = {"MAD": matting.mad, "MSE": matting.mse, "Grad": matting.grad, "Conn": matting.conn,
          "dtSSD": matting.dtssd}.get(name)
    if name == "dtSSD" and clip.protocols.get(name, "rvm") != "rvm":
        score = matting.dtssd(clip.pred, clip.gt, protocol=clip.protocols[name], trimap=clip.trimap)
        per = "frame" if score.protocol == "tcvom" else "pair"
        return MetricResult(name, score.value, score.protocol, _floats(score.per_frame), per,
                            extra={} if score.counts is None else {"counts": _floats(score.counts)})
    if fn is not None:
        score = fn(clip.pred, clip.gt)
        return MetricResult(name, score.value, score.protocol, _floats(score.per_frame), "frame", "rvm-workbook")
    protocol = clip.protocols.get(name, "dvm")
    flow, source = None, None
    if protocol != "dvm" and clip.has_motion:
        (flow, _), source = clip.flow()  # the caller's or the frames' forward flow
    score = matting.messddt(clip.pred, clip.gt, protocol=protocol, trimap=clip.trimap, flow=flow)
    return MetricResult(name, score.value, score.protocol, _floats(score.per_frame),
                        "frame" if protocol == "tcvom" else "pair", flow_source=source or score.flow_source,
                        extra={} if score.counts is None else {"counts": _floats(score.counts)})


def _flicker(clip: _Clip, name: str) -> MetricResult:
    if name == "warping_error":
        flow, source = clip.flow()
        score = warping_error(clip.binary(clip.pred), flow=flow, flow_source=source)
        return MetricResult(name, score.value, score.protocol + " (binarised at 0.5)", _floats(score.per_pair),
                            "pair", flow_source=score.flow_source)
    if name == "boundary_jitter":
        flow, source = clip.flow() if clip.has_motion else (None, None)
        score = boundary_jitter(clip.binary(clip.pred), flow=flow, flow_source=source)
        return MetricResult(name, score.value, score.protocol, _floats(score.per_pair), "pair",
                            flow_source=score.flow_source)
    if name == "flip_rate":
        video = clip.pred if clip.kind == "labels" else clip.binary(clip.pred)
        series = (video[1:] != video[:-1]).reshape(len(video) - 1, -1).mean(axis=1) if clip.kind == "labels" \
            else flip_rate(video)
        return MetricResult(name, float(np.mean(series)) if len(series) else 0.0, "tempcons", _floats(series), "pair")
    if name == "area_jitter":
        b = clip.binary(clip.pred)
        return MetricResult(name, area_jitter(b), "tempcons", _floats(b.reshape(len(b), -1).sum(axis=1)), "frame")
    if name == "temporal_change":
        series = temporal_change(_unit(clip.pred))
        return MetricResult(name, float(np.mean(series)) if len(series) else 0.0, "vbench-unwarped",
                            _floats(series), "pair")
    raise AssertionError(name)


def _stability(clip: _Clip, name: str) -> MetricResult:
    p = clip.binary(clip.pred)
    if clip.gt is not None and len(p) > 2:
        # DAVIS-2016 pairs: ground-truth frame 0 with result 1, then results 1-2 ... N-3 - N-2.
        values = temporal_stability(p[:-1], first=clip.binary(clip.gt)[0])
    else:
        values = temporal_stability(p)
    finite = values[~np.isnan(values)]
    return MetricResult(name, 5 * float(finite.mean()) if finite.size else float("nan"), "davis2016",
                        _floats(values), "pair")


def _semantic(clip: _Clip, name: str) -> MetricResult:
    c = clip.num_classes
    if name == "TC":
        flow, source = clip.flow()
        score = semantic.temporal_consistency(clip.pred, c, flow=flow, protocol=clip.protocols.get(name, "tempcons"),
                                              flow_source=source)
        return MetricResult(name, score.value, score.protocol, _floats(score.per_pair[0]), "pair",
                            "pooled-confusion", score.flow_source, {"counts": score.counts.tolist()})
    if name == "mIoU":
        score = semantic.mean_iou(clip.gt, clip.pred, c)
        return MetricResult(name, score.value, score.protocol, _floats(score.per_class), "class",
                            "pooled-confusion", extra={"counts": score.counts.tolist()})
    n = int(name[2:])
    windows = semantic.vc_windows(clip.gt, clip.pred, n)
    finite = windows[~np.isnan(windows)]
    return MetricResult(name, float(finite.mean()) if finite.size else float("nan"), "vspw (no length skip)",
                        _floats(windows), "window", "pooled-windows", extra={"n_frames": len(clip.gt)})


def _compute(clip: _Clip, name: str) -> MetricResult:
    if name in ("J", "F", "J&F"):
        return _davis_jf(clip, name)
    if name in _ALPHA_GT:
        return _matting(clip, name)
    if name == "T":
        return _stability(clip, name)
    if name in ("TC", "mIoU", "VC8", "VC16"):
        return _semantic(clip, name)
    return _flicker(clip, name)


def evaluate(pred: np.ndarray, gt: np.ndarray | None = None, frames: np.ndarray | None = None, *,
             metrics=None, kind: str | None = None, flow=None, flow_source: str | None = None,
             num_classes: int | None = None, trimap: np.ndarray | None = None,
             protocols: dict | None = None, name: str | None = None) -> Evaluation:
    """Score one clip with every applicable metric (or the ones named).

    Parameters
    ----------
    pred : ndarray, (T, H, W)
        Masks (bool, uint8 0/255 or 0..255, float in [0, 1]), mattes, or integer label maps
        (``kind="labels"``).
    gt : ndarray, (T, H, W), optional
        Ground truth in the same form (label maps for labels; 255 = void).
    frames : ndarray, (T, H, W, 3) uint8, optional
        The input video, for flow-based metrics (DIS "medium", full resolution).
    metrics : sequence of str, optional
        Default: :func:`available_metrics` for the kind, minus flow-based ones when neither
        ``frames`` nor ``flow`` is given. ``"T"`` (DAVIS-2016 stability, slow) only on request.
    kind : {"binary", "soft", "alpha", "labels"}, optional
        Inferred for masks as :func:`tempcons.stabilize` does; label maps need ``"labels"``.
    flow : (forward, backward) tuple of (T-1, H, W, 2) arrays, optional
        Your own flow (e.g. RAFT or FlowNet2, to match a paper's protocol).
    flow_source : str, optional
        Its label in the results.
    num_classes : int, optional
        Labels only (mIoU, TC): class ids 0..C-1; default max id + 1 (void 255 excluded).
    trimap : ndarray, (T, H, W) uint8, optional
        For MESSDdt's DVM region (``trimap == 128``) and the TCVOM protocol.
    protocols : dict, optional
        Another published convention per metric: ``{"dtSSD": "rvm" | "tcvom" | "dvm" |
        "erofeev", "MESSDdt": "dvm" | "erofeev" | "tcvom", "TC": "tempcons" | "vspw" | "etc"}``
        (defaults first); see :mod:`tempcons.metrics.matting` and :mod:`~tempcons.metrics.semantic`.
    name : str, optional
        The clip's name, kept in the result.

    Returns
    -------
    Evaluation

    Raises
    ------
    ValueError, TypeError
        Shapes that disagree, a metric that needs ground truth or flow without it, unknown
        metric names, bad dtypes or values.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((4, 16, 16), bool); m[:, 4:12, 4:12] = True
    >>> r = evaluate(m, gt=m)
    >>> r["J"].value, r["flip_rate"].value
    (1.0, 0.0)
    """
    pred = np.asarray(pred)
    if pred.ndim != 3 or len(pred) == 0:
        raise ValueError(f"pred must be a (T, H, W) video of masks or label maps, got shape {pred.shape}")
    if kind == "labels":
        if pred.dtype.kind not in "ui":
            raise TypeError(f"kind='labels' needs integer class ids in pred, got dtype {pred.dtype}")
    else:
        kind = mask_format(pred, kind, "pred").kind
    if gt is not None:
        gt = np.asarray(gt)
        if gt.shape != pred.shape:
            raise ValueError(f"gt must have pred's shape {pred.shape}, got {gt.shape}")
    if kind == "labels" and num_classes is None:
        ids = pred[pred != 255] if gt is None else np.concatenate([pred[pred != 255], gt[gt != 255]])
        num_classes = int(ids.max()) + 1 if ids.size else 1
    protocols = dict(protocols or {})
    unknown = sorted(set(protocols) - {"dtSSD", "MESSDdt", "TC"})
    if unknown:
        raise ValueError(f"protocols can be chosen for dtSSD, MESSDdt and TC, not {unknown}")
    clip = _Clip(pred, gt, frames, flow, flow_source, kind, num_classes, trimap, protocols)
    allowed = available_metrics(kind, gt is not None) + (() if kind == "labels" else _OPTIONAL)
    if metrics is None:
        metrics = [m for m in available_metrics(kind, gt is not None) if clip.has_motion or m not in _NEEDS_FLOW
                   or m == "boundary_jitter"]
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in allowed]
        if unknown:
            raise ValueError(f"metrics {unknown} do not apply to kind={kind!r} "
                             f"{'with' if gt is not None else 'without'} ground truth; choose from {allowed}")
        missing = [m for m in metrics if m in _NEEDS_FLOW and m != "boundary_jitter" and not clip.has_motion]
        if missing:
            raise ValueError(f"metrics {missing} need motion: pass frames= (for DIS flow) or flow=(forward, backward)")
    return Evaluation(name, kind, len(pred), {m: _compute(clip, m) for m in metrics})


def _workbook(series: list) -> float:
    return matting.rvm_dataset_mean([np.asarray(s) for s in series])


def aggregate(evaluations: list) -> dict:
    """Dataset numbers from per-clip evaluations, each metric by its benchmark's rule.

    - ``per-object`` (DAVIS J, F, J&F): mean over objects pooled across clips;
    - ``rvm-workbook`` (matting): RVM's workbook averaging over clips and frame indices;
    - ``pooled-windows`` (VC_n): nanmean over every window of every clip longer than 16 frames,
      as VSPW's script (clips of 16 frames or fewer are skipped);
    - ``pooled-confusion`` (mIoU, TC): one confusion matrix summed over clips;
    - ``mean-over-clips`` (warping error as Lai et al., and the rest): mean of clip values.

    Parameters
    ----------
    evaluations : list of Evaluation (or their ``to_dict()``)

    Returns
    -------
    dict of metric -> {"value", "aggregation", "n_clips", "protocols", "flow_sources"}
    """
    evals = [e if isinstance(e, Evaluation) else Evaluation.from_dict(e) for e in evaluations]
    if not evals:
        raise ValueError("nothing to aggregate")
    names = sorted({k for e in evals for k in e.metrics})
    out = {}
    for name in names:
        results = [e.metrics[name] for e in evals if name in e.metrics]
        rule = results[0].aggregation
        if rule == "per-object":
            objects = [o for r in results for o in r.extra["objects"]]
            means = {m: float(np.mean([o[m]["mean"] for o in objects])) for m in ("J", "F")}
            value = (means["J"] + means["F"]) / 2 if name == "J&F" else means[name]
        elif rule == "rvm-workbook":
            value = _workbook([r.series for r in results])
        elif rule == "pooled-windows":
            pooled = np.concatenate([np.asarray(r.series) for r in results if r.extra["n_frames"] > 16] or [[]])
            finite = pooled[~np.isnan(pooled)]
            value = float(finite.mean()) if finite.size else float("nan")
        elif rule == "pooled-confusion":
            counts = sum(np.asarray(r.extra["counts"]) for r in results)
            value = semantic.pooled_value(counts, results[0].protocol, name)
        else:
            value = float(np.nanmean([r.value for r in results]))
        out[name] = {"value": value, "aggregation": rule, "n_clips": len(results),
                     "protocols": sorted({r.protocol for r in results}),
                     "flow_sources": sorted({r.flow_source for r in results if r.flow_source})}
    return out
