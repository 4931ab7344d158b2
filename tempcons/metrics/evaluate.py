"""One entry point for every metric of a clip, and the dataset averages each benchmark uses.

:func:`evaluate` scores one clip (a mask, matte or label-map video, with or without ground
truth) and returns an :class:`Evaluation`: every number with its per-frame (or per-pair, or
per-window) series, the protocol that produced it and, for flow-based numbers, where the flow
came from; ``to_dict()`` is plain JSON. :func:`aggregate` combines clips the way each benchmark
does: DAVIS pools objects, RVM averages frames as its workbook does, VSPW pools VC windows and
accumulates one confusion matrix, Lai et al. average videos.

:func:`evaluate` reads a clip once, frame by frame, whether it comes as arrays or as iterables
of frames (a generator, :class:`tempcons.io.MaskSource`): each metric looks at the newest
frame, pair or VC window, scores it with the function that scores whole clips, and keeps only
its series and counts. So memory holds a few frames however long the clip is, and the numbers
are the whole-clip functions' numbers.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

from .._validate import check_flow, check_frame
from ..flow import pair_flows
from ..masks import as_unit, mask_format, uint8_scale_of
from . import matting, semantic
from .davis import boundary_accuracy, global_table, object_count, object_scores, region_similarity, statistics
from .flicker import _area_jitter, boundary_jitter, temporal_change, warping_error
from .stability import _descriptor, _match_cost

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
    """One metric of one clip; ``float(result)`` is ``value``.

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

    def __float__(self) -> float:
        return float(self.value)


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


def _mean(values) -> float:
    """Mean of a series, 0 for none (a clip of one frame has no pair)."""
    return float(np.mean(values)) if len(values) else 0.0


def _finite_mean(values) -> float:
    """Mean of the series' non-NaN values, NaN for none."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


# -- The inputs, read one time step at a time ------------------------------------------------


class _Input:
    """One per-frame input read in step with ``pred``: an array whose first axis is time, or any
    iterable of frames. Every frame goes through :meth:`check`; :meth:`take` and :meth:`close` say
    where the input ends before or after ``pred``."""

    unit = "frame"

    def __init__(self, data, name: str, shape: tuple | None, length: int | None = None):
        try:
            items = iter(data)
        except TypeError:
            raise TypeError(f"{name} must be an array or an iterable of frames, got {type(data).__name__}") from None
        self.name, self.shape = name, shape
        self.array = data if isinstance(data, np.ndarray) else None
        if self.array is not None and length is not None and len(self.array) != length:
            raise ValueError(f"{name} has {len(self.array)} {self.unit}s, but pred's frames make {length}")
        self._frames = (self.check(t, np.asarray(item)) for t, item in enumerate(items))

    def check(self, t: int, frame: np.ndarray) -> np.ndarray:
        if frame.shape != self.shape:
            raise ValueError(f"{self.name}[{t}] has shape {frame.shape}, expected {self.shape}")
        return frame

    def __iter__(self):
        return self._frames

    def take(self, t: int) -> np.ndarray:
        frame = next(self._frames, None)
        if frame is None:
            raise ValueError(f"{self.name} ends after {t} {self.unit}s, before pred does")
        return frame

    def close(self, count: int) -> None:
        if next(self._frames, None) is not None:
            raise ValueError(f"{self.name} has more than the {count} {self.unit}s that pred's frames make")


class _Masks(_Input):
    """``pred`` or ``gt``: masks or label maps.

    Every frame has the first one's shape and dtype. The kind and the uint8 scale are read from
    the whole array, or from the first frame of an iterable, whose later frames must then fit
    them: a contradiction is a ValueError naming the frame. ``by_kind``: frames are checked
    against a mask kind, inferred if ``kind`` is None (``pred``; and ``gt`` of mattes, which the
    matting metrics read as alphas); label maps only need integer ids.
    """

    def __init__(self, data, name: str, shape: tuple | None, length: int | None, *, kind: str | None,
                 by_kind: bool, track_ids: bool):
        if isinstance(data, np.ndarray) and (data.ndim != 3 or len(data) == 0):
            raise ValueError(f"{name} must be a (T, H, W) video of masks or label maps, got shape {data.shape}")
        self.kind, self._by_kind, self._track_ids = kind, by_kind, track_ids
        self.dtype = self.scale = self.top = None
        super().__init__(data, name, shape, length)
        first = next(self._frames, None)
        if first is None:
            raise ValueError(f"{name} has no frames")
        self._frames = itertools.chain([first], self._frames)

    def check(self, t: int, frame: np.ndarray) -> np.ndarray:
        if t == 0:
            self._read_first(frame)
        super().check(t, frame)
        if frame.dtype != self.dtype:
            raise ValueError(f"{self.name}[{t}] has dtype {frame.dtype}, expected {self.dtype} as {self.name}[0]")
        if self.array is None and t > 0 and self._by_kind and self.kind != "labels":
            try:
                mask_format(frame, self.kind, f"{self.name}[{t}]")
            except (TypeError, ValueError) as e:
                raise ValueError(f"{e} (the clip was read as kind={self.kind!r} from {self.name}[0])") from None
        if self.array is None and self.scale != 255 and self.kind != "labels" and frame.dtype == np.uint8:
            self._read_scale(t, frame)
        if self._track_ids:
            ids = frame[frame != 255]
            if ids.size:
                self.top = max(int(ids.max()), -1 if self.top is None else self.top)
        return frame

    def _read_first(self, frame: np.ndarray) -> None:
        if frame.ndim != 2:
            raise ValueError(f"{self.name}[0] must be one (H, W) mask or label map, got shape {frame.shape}")
        self.shape = self.shape or frame.shape
        self.dtype = frame.dtype
        probe, where = (self.array, self.name) if self.array is not None else (frame, f"{self.name}[0]")
        if self.kind == "labels":
            if frame.dtype.kind not in "ui":
                raise TypeError(f"kind='labels' needs integer class ids in {where}, got dtype {frame.dtype}")
        elif self._by_kind:
            self.kind = mask_format(probe, self.kind, where).kind
        if self.array is not None and self.kind != "labels" and frame.dtype == np.uint8:
            self.scale = uint8_scale_of(self.array)

    def _read_scale(self, t: int, frame: np.ndarray) -> None:
        """uint8 masks read as x / 255 unless the clip only holds 0 and 1, as ``masks.as_unit``
        reads a whole clip; an iterable's first frame with a nonzero value decides (frames of
        zeros read the same either way)."""
        top = int(frame.max(initial=0))
        if self.scale is None and top > 0:
            self.scale = 255 if top > 1 else 1
        elif self.scale == 1 and top > 1:
            raise ValueError(f"{self.name}[{t}] holds values up to {top}, but the frames before it held only 0 and 1 "
                             "and were read as 0/1 masks")


class _Images(_Input):
    """``frames``: the input video, for DIS flow."""

    def check(self, t: int, frame: np.ndarray) -> np.ndarray:
        check_frame(frame, f"{self.name}[{t}]")
        if frame.shape[:2] != self.shape:
            raise ValueError(f"{self.name}[{t}] is {frame.shape[:2]} pixels, expected pred's {self.shape}")
        return frame


class _Flows(_Input):
    """``flow[0]`` or ``flow[1]``: the caller's flow, one (H, W, 2) field per pair."""

    unit = "pair"

    def check(self, t: int, field: np.ndarray) -> np.ndarray:
        return check_flow(field, f"{self.name}[{t}]", (*self.shape, 2))


class _Step:
    """Time step t of every input, with each reading the metrics ask for made once."""

    def __init__(self, t: int, pred: np.ndarray, gt, trimap, image, forward, backward, scales: tuple):
        self.t, self.pred, self.gt, self.trimap, self.image = t, pred, gt, trimap, image
        self.forward, self.backward = forward, backward  # the caller's flow of pair (t - 1, t)
        self._scales = scales

    @cached_property
    def unit(self) -> np.ndarray:
        """pred as float32 in [0, 1]."""
        return as_unit(self.pred, f"pred[{self.t}]", uint8_scale=self._scales[0])

    @cached_property
    def binary(self) -> np.ndarray:
        return self.unit >= 0.5

    @cached_property
    def gt_unit(self) -> np.ndarray:
        """gt as float32 in [0, 1]."""
        return as_unit(self.gt, f"gt[{self.t}]", uint8_scale=self._scales[1])

    @cached_property
    def gt_binary(self) -> np.ndarray:
        return self.gt_unit >= 0.5

    @cached_property
    def gt_u8(self) -> np.ndarray:
        """gt in 8 bits, as DVM computes its flow on it."""
        return matting._truth_u8(self.gt, self.gt_unit)


class _Walk:
    """The clip as it goes by: its last few time steps, and the flow of the newest pair."""

    def __init__(self, history: int, flow_source: str | None):
        self.steps = deque(maxlen=history)
        self._flow_source = flow_source
        self._flow = None

    def add(self, step: _Step) -> None:
        self.steps.append(step)
        self._flow = None

    @property
    def t(self) -> int:
        return self.steps[-1].t

    @property
    def now(self) -> _Step:
        return self.steps[-1]

    def last(self, size: int) -> list:
        return list(self.steps)[-size:]

    def stack(self, reading: str, size: int = 2) -> np.ndarray:
        """One reading of the last ``size`` steps (fewer at the start), as an array (k, ...)."""
        return np.stack([getattr(s, reading) for s in self.last(size)])

    def flow(self) -> tuple[tuple[np.ndarray, np.ndarray], str]:
        """(forward, backward) flow of the newest pair, each (1, H, W, 2) ((0, H, W, 2) at frame 0),
        and where it came from; computed at most once per pair."""
        if self._flow is None:
            pair = self.last(2)
            h, w = self.now.pred.shape
            empty = np.zeros((0, h, w, 2), np.float32)
            if self.now.image is None:  # the caller's flow
                given = (self.now.forward[None], self.now.backward[None]) if len(pair) == 2 else (empty, empty)
                pairs, source = pair_flows((len(pair), h, w), None, given, self._flow_source)
            else:
                pairs, source = pair_flows((len(pair), h, w), np.stack([s.image for s in pair]), None, None)
            pairs = list(pairs)
            flow = (np.stack([f for f, _ in pairs]), np.stack([b for _, b in pairs])) if pairs else (empty, empty)
            self._flow = (flow, source)
        return self._flow


@dataclass(frozen=True)
class _Clip:
    """What the metrics learn only at the clip's end: its length and, for labels, the class count."""

    n_frames: int
    num_classes: int | None


# -- The metrics: what each keeps of the clip as it goes by ----------------------------------


class _Metric:
    """One metric (or a few computed together): ``update`` at every time step, ``results`` at the end.

    ``history`` is how many time steps it looks at (1: the frame, 2: the pair, n + 1: a VC_n
    window), ``motion`` whether it reads each pair's flow, ``trimap`` whether it reads the trimap.
    """

    history = 1
    motion = False
    trimap = False

    def __init__(self, name: str):
        self.name = name
        self.values = []

    def update(self, walk: _Walk) -> None:
        raise NotImplementedError

    def results(self, clip: _Clip) -> dict:
        raise NotImplementedError


class _WarpingError(_Metric):
    history, motion = 2, True

    def update(self, walk: _Walk) -> None:
        flow, source = walk.flow()
        self.score = warping_error(walk.stack("binary"), flow=flow, flow_source=source)
        self.values.extend(self.score.per_pair)

    def results(self, clip: _Clip) -> dict:
        return {self.name: MetricResult(self.name, _mean(self.values), self.score.protocol + " (binarised at 0.5)",
                                        _floats(self.values), "pair", flow_source=self.score.flow_source)}


class _BoundaryJitter(_Metric):
    history = 2

    def __init__(self, name: str, motion: bool):
        super().__init__(name)
        self.motion = motion  # without it, unwarped

    def update(self, walk: _Walk) -> None:
        flow, source = walk.flow() if self.motion else (None, None)
        self.score = boundary_jitter(walk.stack("binary"), flow=flow, flow_source=source)
        self.values.extend(self.score.per_pair)

    def results(self, clip: _Clip) -> dict:
        return {self.name: MetricResult(self.name, _finite_mean(self.values), self.score.protocol,
                                        _floats(self.values), "pair", flow_source=self.score.flow_source)}


class _FlipRate(_Metric):
    """Share of pixels whose label changes, per pair: class ids, or masks binarised at 0.5."""

    history = 2

    def __init__(self, name: str, reading: str):
        super().__init__(name)
        self.reading = reading

    def update(self, walk: _Walk) -> None:
        if walk.t:
            before, now = (getattr(s, self.reading) for s in walk.last(2))
            self.values.append(np.mean(now != before))

    def results(self, clip: _Clip) -> dict:
        return {self.name: MetricResult(self.name, _mean(self.values), "tempcons", _floats(self.values), "pair")}


class _AreaJitter(_Metric):
    def update(self, walk: _Walk) -> None:
        self.values.append(np.count_nonzero(walk.now.binary))

    def results(self, clip: _Clip) -> dict:
        return {self.name: MetricResult(self.name, _area_jitter(self.values), "tempcons", _floats(self.values),
                                        "frame")}


class _TemporalChange(_Metric):
    history = 2

    def update(self, walk: _Walk) -> None:
        if walk.t:
            self.values.append(temporal_change(walk.stack("unit"))[0])

    def results(self, clip: _Clip) -> dict:
        return {self.name: MetricResult(self.name, _mean(self.values), "vbench-unwarped", _floats(self.values),
                                        "pair")}


def _davis_value(stats: dict, name: str) -> float:
    return (stats["J"]["mean"] + stats["F"]["mean"]) / 2 if name == "J&F" else stats[name]["mean"]


class _DavisMasks(_Metric):
    """J, F and J&F of a one-object mask clip: every frame is scored, and the first and last are
    left out at the end (DAVIS semi-supervised; clips of two frames or fewer keep them)."""

    def __init__(self, names: list):
        super().__init__("J&F")
        self.names, self.j, self.f = names, [], []

    def update(self, walk: _Walk) -> None:
        p, g = walk.now.binary, walk.now.gt_binary
        self.j.append(float(region_similarity(p, g)))
        self.f.append(float(boundary_accuracy(p, g)))

    def results(self, clip: _Clip) -> dict:
        inner = slice(1, -1) if clip.n_frames > 2 else slice(None)
        j, f = np.asarray(self.j[inner]), np.asarray(self.f[inner])
        per = {"J": j, "F": f, "J&F": (j + f) / 2}
        out = {}
        for name in self.names:
            stats = {"J": statistics(j), "F": statistics(f)}
            out[name] = MetricResult(name, _davis_value(stats, name), "davis2017-semi-supervised", _floats(per[name]),
                                     "frame", "per-object", extra={"objects": [stats]})
        return out


class _DavisLabels(_Metric):
    """J, F and J&F of a label-map clip as ``davis2017-evaluation`` (:func:`evaluate_sequence`):
    objects from the first ground-truth frame, frames 1 .. T-2, statistics per object."""

    history = 2

    def __init__(self, names: list):
        super().__init__("J&F")
        self.names, self.scores = names, []

    def update(self, walk: _Walk) -> None:
        if walk.t == 0:
            self.n_objects = object_count(walk.now.gt)
        if walk.t < 2:
            return
        before = walk.steps[-2]  # frame t - 1, now known not to be the clip's last
        self.scores.append(object_scores(before.pred, before.gt, self.n_objects))

    def results(self, clip: _Clip) -> dict:
        if clip.n_frames < 3:
            raise ValueError(f"J and F of label maps score frames 1 .. T-2 (DAVIS), so they need at least 3 frames; "
                             f"pred has {clip.n_frames}")
        series = np.stack(self.scores, axis=-1)  # (objects, J and F, frames)
        objects = [{"J": statistics(j), "F": statistics(f)} for j, f in series]
        table = global_table({"clip": {"objects": [{"J_stats": o["J"], "F_stats": o["F"]} for o in objects]}})
        keys = {"J": "J-Mean", "F": "F-Mean", "J&F": "J&F-Mean"}
        return {name: MetricResult(name, table[keys[name]], "davis2017-semi-supervised",
                                   [_davis_value(o, name) for o in objects], "object", "per-object",
                                   extra={"objects": objects})
                for name in self.names}


class _Stability(_Metric):
    """DAVIS-2016 T: each mask's shape descriptor made once, matched with the one before."""

    def __init__(self, name: str, with_gt: bool):
        super().__init__(name)
        self.with_gt = with_gt
        self.from_truth = None

    def update(self, walk: _Walk) -> None:
        shape = _descriptor(walk.now.binary)
        if walk.t == 0 and self.with_gt:
            self.truth = _descriptor(walk.now.gt_binary)
        if walk.t:
            self.values.append(_match_cost(self.before, shape))
        if walk.t == 1 and self.with_gt:
            self.from_truth = _match_cost(self.truth, shape)
        self.before = shape

    def results(self, clip: _Clip) -> dict:
        if clip.n_frames < 2:
            raise ValueError(f"T needs at least two frames, pred has {clip.n_frames}")
        values = self.values
        if self.with_gt and clip.n_frames > 2:
            # DAVIS-2016 pairs: ground-truth frame 0 with result 1, then results 1-2 ... N-3 - N-2.
            values = [self.from_truth] + values[1:-1]
        return {self.name: MetricResult(self.name, 5 * _finite_mean(values), "davis2016", _floats(values), "pair")}


_PER_FRAME_MATTING = {"MAD": matting.mad, "MSE": matting.mse, "Grad": matting.grad, "Conn": matting.conn}


class _FrameMatting(_Metric):
    """MAD, MSE, Grad or Conn: RVM's per-frame errors, one frame at a time."""

    def update(self, walk: _Walk) -> None:
        self.score = _PER_FRAME_MATTING[self.name](walk.now.pred[None], walk.now.gt[None])
        self.values.append(self.score.per_frame[0])

    def results(self, clip: _Clip) -> dict:
        score = matting._score(self.name, self.score.protocol, self.values)
        return {self.name: MetricResult(self.name, score.value, score.protocol, _floats(score.per_frame), "frame",
                                        "rvm-workbook")}


class _TemporalMatting(_Metric):
    """dtSSD or MESSDdt under one protocol: each transition scored by the matting function on
    its two frames."""

    history = 2

    def __init__(self, name: str, protocol: str, motion: bool, trimap: bool):
        super().__init__(name)
        self.protocol = protocol
        # MESSDdt takes the motion of the frames (or the caller's flow), except DVM's, which
        # computes its own on the ground truth.
        self.motion = motion and name == "MESSDdt" and protocol != "dvm"
        self.trimap = trimap and not (name == "dtSSD" and protocol == "rvm")
        self.counts, self.flow_source = [], None

    def update(self, walk: _Walk) -> None:
        if self.name == "dtSSD" and self.protocol == "rvm":
            # RVM scores frame t against frame t - 1, and frame 0 as 0: the window's last value.
            self.values.append(matting.dtssd(walk.stack("pred"), walk.stack("gt")).per_frame[-1])
            return
        if self.motion:
            (flow, _), self.flow_source = walk.flow()
        if walk.t == 0:
            return
        window, options = walk.last(2), {}
        if self.name == "MESSDdt" and self.protocol == "dvm":
            if walk.t == 1:
                self.second = walk.now
            # DVM's reference reads every transition's "next" frame from frame 1 (whole_clip):
            # transition t-1 -> t is scored on frames t - 1 and 1, with the flow of t - 1 -> t.
            options["flow"], self.flow_source = matting._messddt_flow(
                None, "dvm", np.stack([s.gt_u8 for s in window]), (1, *walk.now.pred.shape, 2))
            window = [window[0], self.second]
        elif self.name == "MESSDdt":
            options["flow"] = flow if self.motion else None
        pred, gt = (np.stack([getattr(s, r) for s in window]) for r in ("pred", "gt"))
        trimap = np.stack([s.trimap for s in window]) if self.trimap else None
        fn = matting.dtssd if self.name == "dtSSD" else matting.messddt
        score = fn(pred, gt, protocol=self.protocol, trimap=trimap, **options)
        self.values.append(score.per_frame[0])
        if score.counts is not None:
            self.counts.append(score.counts[0])
        if self.name == "MESSDdt" and self.flow_source is None:
            self.flow_source = score.flow_source  # its own Farneback flow on the ground truth

    def results(self, clip: _Clip) -> dict:
        values, counts = list(self.values), list(self.counts)
        if self.protocol == "tcvom":
            # TCVOM's last frame has no next one: it scores 0 and counts in the clip mean.
            values.append(0.0)
            if self.name == "MESSDdt":
                counts.append(0.0)
        score = matting._score(self.name, self.protocol, values, counts or None)
        if self.name == "dtSSD" and self.protocol == "rvm":
            result = MetricResult(self.name, score.value, score.protocol, _floats(score.per_frame), "frame",
                                  "rvm-workbook")
        else:
            result = MetricResult(self.name, score.value, score.protocol, _floats(score.per_frame),
                                  "frame" if self.protocol == "tcvom" else "pair", flow_source=self.flow_source,
                                  extra={} if score.counts is None else {"counts": _floats(score.counts)})
        return {self.name: result}


class _TemporalConsistency(_Metric):
    """TC: each pair's compared labels tallied, turned into counts once the class count is known."""

    history, motion = 2, True

    def __init__(self, name: str, protocol: str):
        super().__init__(name)
        self.protocol = protocol

    def update(self, walk: _Walk) -> None:
        (forward, backward), self.flow_source = walk.flow()
        if walk.t:
            before, now = walk.last(2)
            pixels = semantic._tc_pixels(before.pred, now.pred, forward[0], backward[0], self.protocol)
            self.values.append(semantic._tally(*pixels))

    def results(self, clip: _Clip) -> dict:
        c = clip.num_classes
        total = np.zeros((2, c) if self.protocol == "etc" else (c, c), np.int64)
        series = []
        for tally in self.values:
            counts = semantic._tc_counts(tally, c, self.protocol)
            series.append(semantic._tc_value(counts, self.protocol)[0])
            total += counts
        return {self.name: MetricResult(self.name, semantic._tc_value(total, self.protocol)[0], self.protocol,
                                        _floats(series), "pair", "pooled-confusion", self.flow_source,
                                        {"counts": total.tolist()})}


class _MeanIoU(_Metric):
    def __init__(self, name: str):
        super().__init__(name)
        self.tally = np.zeros((0, 3), np.int64)

    def update(self, walk: _Walk) -> None:
        self.tally = semantic._merge(self.tally, semantic._tally(walk.now.gt, walk.now.pred))

    def results(self, clip: _Clip) -> dict:
        score = semantic._miou(semantic._confusion_of(self.tally, clip.num_classes, "pred"))
        return {self.name: MetricResult(self.name, score.value, score.protocol, _floats(score.per_class), "class",
                                        "pooled-confusion", extra={"counts": score.counts.tolist()})}


class _VideoConsistency(_Metric):
    """VC_n: the window of frames t - n .. t - 1 once frame t exists (VSPW leaves out the last
    full window, so n + 1 frames give exactly one window to :func:`semantic.video_consistency`)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.n = int(name[2:])
        self.history = self.n + 1

    def update(self, walk: _Walk) -> None:
        if walk.t >= self.n:
            self.values.append(semantic.video_consistency(walk.stack("pred", self.history),
                                                          walk.stack("gt", self.history), n=self.n).windows[0])

    def results(self, clip: _Clip) -> dict:
        return {self.name: MetricResult(self.name, _finite_mean(self.values), "vspw (no length skip)",
                                        _floats(self.values), "window", "pooled-windows",
                                        extra={"n_frames": clip.n_frames})}


def _metrics(names: list, kind: str, *, has_gt: bool, motion: bool, trimap: bool, protocols: dict) -> list:
    """What gathers each requested metric (J, F and J&F together)."""
    davis = [m for m in names if m in _MASK_GT]
    out = [(_DavisLabels if kind == "labels" else _DavisMasks)(davis)] if davis else []
    for name in names:
        if name in _PER_FRAME_MATTING:
            out.append(_FrameMatting(name))
        elif name in ("dtSSD", "MESSDdt"):
            out.append(_TemporalMatting(name, protocols.get(name, "rvm" if name == "dtSSD" else "dvm"), motion, trimap))
        elif name == "T":
            out.append(_Stability(name, has_gt))
        elif name == "TC":
            out.append(_TemporalConsistency(name, protocols.get(name, "tempcons")))
        elif name == "mIoU":
            out.append(_MeanIoU(name))
        elif name in ("VC8", "VC16"):
            out.append(_VideoConsistency(name))
        elif name == "warping_error":
            out.append(_WarpingError(name))
        elif name == "boundary_jitter":
            out.append(_BoundaryJitter(name, motion))
        elif name == "flip_rate":
            out.append(_FlipRate(name, "pred" if kind == "labels" else "binary"))
        elif name == "area_jitter":
            out.append(_AreaJitter(name))
        elif name == "temporal_change":
            out.append(_TemporalChange(name))
    return out


def evaluate(pred, gt=None, frames=None, *, metrics=None, kind: str | None = None, flow=None,
             flow_source: str | None = None, num_classes: int | None = None, trimap=None,
             protocols: dict | None = None, name: str | None = None,
             progress: Callable[[int], None] | None = None) -> Evaluation:
    """Score one clip with every applicable metric (or the ones named).

    The clip is read once, one time step at a time, whether its inputs are arrays or iterables
    of frames: each metric keeps the last frame, pair or VC window it needs, so memory holds a
    few frames whatever the clip's length (as ``tempcons eval`` reads clips from disk), and
    every value equals what the metric's function gives on the whole clip.

    Parameters
    ----------
    pred : ndarray (T, H, W), or iterable of (H, W) arrays
        Masks (bool, uint8 0/255 or 0..255, float in [0, 1]), mattes, or integer label maps
        (``kind="labels"``); an iterable is anything that yields one frame at a time (a
        generator, :class:`tempcons.io.MaskSource`).
    gt : ndarray (T, H, W), or iterable of (H, W) arrays, optional
        Ground truth in the same form (label maps for labels; 255 = void).
    frames : ndarray (T, H, W, 3) uint8, or iterable of (H, W, 3) arrays, optional
        The input video, for flow-based metrics (DIS "medium", full resolution, computed once
        per pair); e.g. :class:`tempcons.io.FrameSource`.
    metrics : sequence of str, optional
        Default: :func:`available_metrics` for the kind, minus flow-based ones when neither
        ``frames`` nor ``flow`` is given. ``"T"`` (DAVIS-2016 stability, slow) only on request.
    kind : {"binary", "soft", "alpha", "labels"}, optional
        Inferred for masks as :func:`tempcons.stabilize` does, from the whole array or, for an
        iterable, from its first frame (later frames must then fit: same dtype and shape,
        values the kind allows, uint8 0/1 or 0..255 as the first frames); label maps need
        ``"labels"``.
    flow : (forward, backward) tuple, optional
        Your own flow (e.g. RAFT or FlowNet2, to match a paper's protocol): two (T-1, H, W, 2)
        arrays, or two iterables of (H, W, 2) fields, one per pair. ``frames`` are then unused.
    flow_source : str, optional
        Its label in the results.
    num_classes : int, optional
        Labels only (mIoU, TC): class ids 0..C-1; default max id + 1 over pred and gt (void 255
        excluded), known at the clip's end.
    trimap : ndarray (T, H, W) uint8, or iterable of (H, W) arrays, optional
        For MESSDdt's DVM region (``trimap == 128``) and the TCVOM protocol.
    protocols : dict, optional
        Another published convention per metric: ``{"dtSSD": "rvm" | "tcvom" | "dvm" |
        "erofeev", "MESSDdt": "dvm" | "erofeev" | "tcvom", "TC": "tempcons" | "vspw" | "etc"}``
        (defaults first); see :mod:`tempcons.metrics.matting` and :mod:`~tempcons.metrics.semantic`.
    name : str, optional
        The clip's name, kept in the result.
    progress : callable, optional
        Called after each frame with the number of frames done since the last call (so, 1):
        a progress bar's ``update`` (``tqdm(total=len(pred)).update``) fits as it is.

    Returns
    -------
    Evaluation

    Raises
    ------
    ValueError, TypeError
        Shapes that disagree, inputs of different lengths or a frame that contradicts the first
        ones (the message names the argument and the frame), a metric that needs ground truth
        or flow without it, unknown metric names, bad dtypes or values.

    Notes
    -----
    Every metric streams; the ones that need the end of the clip wait for it with small state
    only: J and F leave out the first and last frame once the clip's length is known; labels'
    J&F keep the first ground-truth frame (it names the objects); MESSDdt under DVM keeps frame
    1 (its reference compares every transition with frame 1); TC keeps each pair's tally of
    compared labels (one row per pair of classes that meet) and mIoU one for the clip until the
    class count is known; VC_n keeps n + 1 frames; T one shape descriptor per frame in turn.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((4, 16, 16), bool); m[:, 4:12, 4:12] = True
    >>> r = evaluate(m, gt=m)
    >>> r["J"].value, r["flip_rate"].value
    (1.0, 0.0)
    >>> evaluate(iter(m), gt=iter(m)).values() == r.values()  # frames from a generator
    True
    """
    labels = kind == "labels"
    length = len(pred) if isinstance(pred, np.ndarray) else None
    if labels and num_classes is not None:
        num_classes = semantic._check_classes(num_classes)
    track_ids = labels and num_classes is None
    pred_in = _Masks(pred, "pred", None, None, kind=kind, by_kind=True, track_ids=track_ids)
    kind, shape = pred_in.kind, pred_in.shape
    if isinstance(pred, np.ndarray) and isinstance(gt, np.ndarray) and gt.shape != pred.shape:
        raise ValueError(f"gt must have pred's shape {pred.shape}, got {gt.shape}")
    gt_in = None if gt is None else _Masks(gt, "gt", shape, length, kind=kind if kind in ("labels", "alpha") else None,
                                           by_kind=kind == "alpha", track_ids=track_ids)
    protocols = dict(protocols or {})
    unknown = sorted(set(protocols) - {"dtSSD", "MESSDdt", "TC"})
    if unknown:
        raise ValueError(f"protocols can be chosen for dtSSD, MESSDdt and TC, not {unknown}")
    if "TC" in protocols:
        semantic._check_tc_protocol(protocols["TC"])
    has_motion = frames is not None or flow is not None
    allowed = available_metrics(kind, gt is not None) + (() if labels else _OPTIONAL)
    if metrics is None:
        metrics = [m for m in available_metrics(kind, gt is not None) if has_motion or m not in _NEEDS_FLOW
                   or m == "boundary_jitter"]
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in allowed]
        if unknown:
            raise ValueError(f"metrics {unknown} do not apply to kind={kind!r} "
                             f"{'with' if gt is not None else 'without'} ground truth; choose from {allowed}")
        missing = [m for m in metrics if m in _NEEDS_FLOW and m != "boundary_jitter" and not has_motion]
        if missing:
            raise ValueError(f"metrics {missing} need motion: pass frames= (for DIS flow) or flow=(forward, backward)")
    gatherers = _metrics(metrics, kind, has_gt=gt is not None, motion=has_motion, trimap=trimap is not None,
                         protocols=protocols)
    moving = any(g.motion for g in gatherers)
    images = _Images(frames, "frames", shape, length) if moving and flow is None else None
    if moving and flow is not None and not (isinstance(flow, tuple) and len(flow) == 2):
        raise TypeError("flow must be a (forward, backward) tuple of (T-1, H, W, 2) arrays or iterables")
    pairs = length and length - 1
    flows = [_Flows(f, f"flow[{k}]", shape, pairs) for k, f in enumerate(flow)] if moving and flow is not None else []
    trimaps = _Input(trimap, "trimap", shape, length) if any(g.trimap for g in gatherers) else None

    walk = _Walk(max([2 if moving else 1] + [g.history for g in gatherers]), flow_source)
    n = 0
    for t, frame in enumerate(pred_in):
        forward, backward = (f.take(t - 1) for f in flows) if flows and t else (None, None)
        walk.add(_Step(t, frame, gt_in and gt_in.take(t), trimaps and trimaps.take(t), images and images.take(t),
                       forward, backward, (pred_in.scale, gt_in and gt_in.scale)))
        for g in gatherers:
            g.update(walk)
        n = t + 1
        if progress is not None:
            progress(1)
    for other in (gt_in, trimaps, images):
        if other is not None:
            other.close(n)
    for f in flows:
        f.close(n - 1)
    if labels and num_classes is None:
        tops = [s.top for s in (pred_in, gt_in) if s is not None and s.top is not None]
        num_classes = max(tops) + 1 if tops else 1
    clip = _Clip(n, num_classes)
    results = {}
    for g in gatherers:
        results.update(g.results(clip))
    return Evaluation(name, kind, n, {m: results[m] for m in metrics})


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
