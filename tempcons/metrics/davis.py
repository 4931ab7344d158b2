"""DAVIS region similarity J, boundary accuracy F, temporal stability T, and the benchmark's aggregation.

The three per-frame measures take the prediction first and the ground truth second
(:func:`region_similarity`, :func:`boundary_accuracy`, :func:`temporal_stability`) and return
(T,) float64 arrays. J and F follow ``davisvideochallenge/davis2017-evaluation`` (``db_eval_iou``, ``db_eval_boundary``)
exactly, including its edge cases; ``tests/test_davis.py`` checks them against that code's own
outputs (../shared/fixtures) and against the DAVIS team's official per-frame values. T is
DAVIS-2016's, computed by :func:`tempcons.metrics.stability.temporal_stability`.
"""

from __future__ import annotations

import functools
import math
import warnings

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment
from skimage.morphology import disk

from .stability import temporal_stability as _pair_stability

__all__ = ["region_similarity", "boundary_accuracy", "boundary_f_measure", "temporal_stability", "boundary_map", "statistics", "decay_corrected",
           "evaluate_sequence", "object_scores", "object_count", "global_table",
           "TASKS"]

TASKS = ("semi-supervised", "unsupervised")


def _checked(pred, gt, void):
    """Arrays of one shape, or a ValueError naming the one that differs."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape, got {pred.shape} and {gt.shape}")
    if void is not None:
        void = np.asarray(void)
        if void.shape != gt.shape:
            raise ValueError(f"void must have the shape of gt {gt.shape}, got {void.shape}")
    return pred, gt, void


def region_similarity(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None) -> np.ndarray:
    """Per-frame J = |P & G| / |P | G| on boolean masks; 1 where the union is empty.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W) or (H, W)
        Masks; any nonzero value is foreground.
    void : ndarray, optional
        Pixels to leave out of both intersection and union (same shape).

    Returns
    -------
    ndarray of float64, (T,) (or a 0-d array for single masks)

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[1, 1, 0, 0]]); g = np.array([[1, 0, 0, 0]])
    >>> float(region_similarity(p, g))
    0.5
    """
    pred, gt, void = _checked(pred, gt, void)
    p = pred.astype(bool)
    g = gt.astype(bool)
    if void is not None:
        keep = ~void.astype(bool)
        p = p & keep
        g = g & keep
    axes = (-2, -1)
    inter = np.sum(p & g, axis=axes, dtype=np.float64)
    union = np.sum(p | g, axis=axes, dtype=np.float64)
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1.0))


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary of a binary mask, as BSDS's ``seg2bmap`` (which DAVIS uses) draws it.

    A pixel is on the boundary when it differs from its east, south or south-east neighbour;
    on the last row only the east neighbour counts, on the last column only the south one, and
    the bottom-right pixel is never a boundary. So the boundary sits half a pixel toward the
    origin, a mask filling the frame has none, and a mask touching the image border has none
    along that border.

    Parameters
    ----------
    mask : ndarray, (H, W)
        Nonzero = foreground.

    Returns
    -------
    ndarray of bool, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((4, 4), bool); m[1:3, 1:3] = True
    >>> boundary_map(m).astype(int).tolist()
    [[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
    """
    seg = np.asarray(mask).astype(bool, copy=False)
    b = np.zeros(seg.shape, bool)
    rows = np.flatnonzero(seg.any(axis=1))
    if rows.size == 0:
        return b
    cols = np.flatnonzero(seg.any(axis=0))
    # Only the mask's bounding box grown by one pixel up and left can hold boundary pixels; the
    # block's own last row and column then follow the image's rules (beyond them lies nothing).
    box = (slice(max(rows[0] - 1, 0), rows[-1] + 2), slice(max(cols[0] - 1, 0), cols[-1] + 2))
    s, out = seg[box], b[box]
    out[:-1, :-1] = (s[:-1, :-1] != s[:-1, 1:]) | (s[:-1, :-1] != s[1:, :-1]) | (s[:-1, :-1] != s[1:, 1:])
    out[-1, :-1] = s[-1, :-1] != s[-1, 1:]
    out[:-1, -1] = s[:-1, -1] != s[1:, -1]
    return b


def boundary_accuracy(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None, *,
                      bound_th: float = 0.008) -> np.ndarray:
    """Per-frame DAVIS F (boundary accuracy): F-measure of boundary precision and recall within a tolerance.

    Boundaries come from :func:`boundary_map` of the masks with void pixels removed first (so the
    void region's edge becomes a boundary of both); each is dilated by a disk of radius
    ``bound_pix = ceil(bound_th * hypot(H, W))`` (or ``bound_th`` itself when >= 1; 8 px at
    854x480), with no thinning. Precision = share of predicted boundary pixels within the
    dilated true boundary, recall the converse. Both boundaries empty: P = R = 1; only the
    prediction's empty: P = 1, R = 0; only the truth's: P = 0, R = 1. F = 2PR / (P + R), 0 when
    P + R = 0.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W) or (H, W)
        Masks; nonzero = foreground.
    void : ndarray, optional
        Pixels to ignore, same shape.
    bound_th : float
        Tolerance as a fraction of the diagonal (< 1) or in pixels (>= 1).

    Returns
    -------
    ndarray of float64, (T,) (or 0-d for single masks)

    Raises
    ------
    ValueError
        If shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((48, 64), bool); g[10:30, 10:40] = True
    >>> float(boundary_accuracy(g, g))
    1.0
    >>> boundary_accuracy(pred=np.stack([g, g[::-1]]), gt=np.stack([g, g])).round(3).tolist()
    [1.0, 0.3]
    """
    pred, gt, void = _checked(pred, gt, void)
    single = pred.ndim == 2
    p3, g3 = np.atleast_3d(pred.T).T, np.atleast_3d(gt.T).T
    keep = None if void is None else ~np.atleast_3d(void.T).T.astype(bool)
    disk_ = _tolerance_disk(g3.shape[1:], bound_th)
    out = np.empty(len(g3))
    for t in range(len(g3)):
        pm, gm = p3[t].astype(bool), g3[t].astype(bool)
        if keep is not None:
            pm, gm = pm & keep[t], gm & keep[t]
        out[t] = _f_measure(_Edge(pm, disk_), _Edge(gm, disk_))
    return out[0] if single else out


@functools.lru_cache(maxsize=16)
def _tolerance_disk(shape: tuple, bound_th: float) -> np.ndarray:
    """The dilation disk of F: radius ``ceil(bound_th * hypot(H, W))`` px, or ``bound_th`` px when >= 1.
    Made once per frame size (every frame of every object asks for it); read, never written."""
    radius = bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(*shape))
    return disk(int(radius)).astype(np.uint8)


class _Edge:
    """A mask's boundary (:func:`boundary_map`), its pixel count and its dilation by the tolerance disk.

    The dilation is computed lazily and only on the boundary's bounding box grown by the disk's
    radius: outside that box it is empty, so the counts equal those of a full-frame dilation,
    for a fraction of the cost when the object is small. One edge serves every pairing of its
    mask (unsupervised DAVIS pairs each proposal with each object).
    """

    def __init__(self, mask: np.ndarray, disk_: np.ndarray):
        self.boundary = boundary_map(mask)
        self.count = int(np.count_nonzero(self.boundary))
        self._disk = disk_
        self._reach = None

    def reach(self) -> tuple[tuple[slice, slice], np.ndarray]:
        """(box, dilation inside the box); the dilation is empty everywhere else."""
        if self._reach is None:
            r = len(self._disk) // 2
            rows = np.flatnonzero(self.boundary.any(axis=1))
            cols = np.flatnonzero(self.boundary.any(axis=0))
            box = (slice(max(rows[0] - r, 0), rows[-1] + r + 1), slice(max(cols[0] - r, 0), cols[-1] + r + 1))
            self._reach = box, cv2.dilate(self.boundary[box].view(np.uint8), self._disk) > 0
        return self._reach

    def matched(self, other: "_Edge") -> int:
        """How many of this boundary's pixels lie within the tolerance of ``other``'s."""
        box, near = other.reach()
        return int(np.count_nonzero(self.boundary[box] & near))


def _f_measure(pred: _Edge, gt: _Edge) -> float:
    if pred.count == 0 or gt.count == 0:
        precision, recall = (1.0 if pred.count == 0 else 0.0), (1.0 if gt.count == 0 else 0.0)
    else:
        precision, recall = pred.matched(gt) / pred.count, gt.matched(pred) / gt.count
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


#: The name of earlier releases; the same function as :func:`boundary_accuracy`.
boundary_f_measure = boundary_accuracy


def temporal_stability(pred: np.ndarray, gt: np.ndarray | None = None) -> np.ndarray:
    """Per-frame DAVIS T (temporal stability): how much a mask's shape changes from the frame before.

    Value t is DAVIS-2016's shape-matching cost, unscaled, between the contour of frame t and
    that of the frame before it (:func:`tempcons.metrics.stability.temporal_stability`). With
    ``gt``, the official protocol: frame 1 is paired with ``gt[0]`` instead of ``pred[0]``, and
    frames 0 and T-1 are left out (NaN), as the official code scores frames 1..T-2 only. Without
    ``gt``, every consecutive pair counts and only frame 0 is NaN. A frame whose mask, or whose
    predecessor's, has no contour is NaN too. The sequence's T that the official per-sequence
    table reports is ``5 * np.nanmean(values)`` (lower is more stable).

    Parameters
    ----------
    pred : ndarray, (T, H, W)
        Predicted masks; nonzero = foreground. T >= 3 with ``gt``, T >= 2 without.
    gt : ndarray, (T, H, W), optional
        Ground-truth masks of the same shape; only ``gt[0]`` is used.

    Returns
    -------
    ndarray of float64, (T,)

    Raises
    ------
    ValueError
        If ``pred`` is not (T, H, W), is too short, or ``gt`` has another shape.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((4, 32, 32), bool); m[:, 8:24, 8:24] = True
    >>> t = temporal_stability(m, gt=m)
    >>> t.shape, np.isnan(t).tolist()
    ((4,), [True, False, False, True])
    >>> float(5 * np.nanmean(t))  # a still square does not change shape
    0.0
    >>> np.isnan(temporal_stability(pred=m)).tolist()
    [True, False, False, False]
    """
    if gt is None:
        # Raises for anything but (T, H, W) with T >= 2.
        pairs = _pair_stability(pred)
        return np.concatenate([[np.nan], pairs])
    pred, gt, _ = _checked(pred, gt, None)
    if pred.ndim != 3 or len(pred) < 3:
        raise ValueError(f"pred must be (T, H, W) with T >= 3 when gt is given, got shape {pred.shape}")
    # The pair (gt[0], pred[1]) scores frame 1 and (pred[t-1], pred[t]) frame t, up to T-2.
    pairs = _pair_stability(pred[:-1], first=gt[0])
    return np.concatenate([[np.nan], pairs, [np.nan]])


def _decay(values: np.ndarray, wrap_uint8: bool) -> float:
    n = len(values)
    ids = (np.round(np.linspace(1, n, 5) + 1e-10) - 1).astype(np.int64)
    if wrap_uint8:
        ids = ids % 256
    bins = []
    for i in range(4):
        end = ids[i + 1] + 1
        # The reference adds 1 to a uint8 index: 255 + 1 wraps to 0 under numpy >= 2.
        bins.append(values[ids[i]:(end % 256 if wrap_uint8 else end)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(bins[0]) - np.nanmean(bins[3]))


def statistics(values: np.ndarray) -> dict:
    """Per-object DAVIS statistics of per-frame J or F values, exactly as ``db_statistics``.

    ``mean`` = nanmean, ``recall`` = share of frames above 0.5, ``decay`` = mean of the first
    quarter of frames minus mean of the last quarter, with quarter bounds
    ``round(linspace(1, N, 5) + 1e-10) - 1``. The reference casts those bounds to uint8, so for
    N > 255 evaluated frames the bins wrap: N = 256-~340 gives an empty last bin and NaN, larger N
    a finite but wrong value. tempcons reproduces that (with numpy >= 2 semantics for the
    wrapped ``255 + 1``, which makes N = 256 NaN; numpy 1.x gave a finite value) so that numbers
    match published tables; :func:`decay_corrected` gives the intended quantity.

    Parameters
    ----------
    values : ndarray, (N,)
        Per-frame values of one object (frames the benchmark evaluates).

    Returns
    -------
    dict with ``mean``, ``recall``, ``decay`` (floats; NaN where the reference gives NaN).

    Raises
    ------
    ValueError
        If ``values`` is not a non-empty 1-D array.

    Examples
    --------
    >>> import numpy as np
    >>> s = statistics(np.array([1.0, 0.8, 0.6, 0.4, 0.2]))
    >>> round(s["mean"], 3), s["recall"], round(s["decay"], 3)
    (0.6, 0.6, 0.6)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {values.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = float(np.nanmean(values))
        recall = float(np.nanmean(values > 0.5))
    return {"mean": mean, "recall": recall, "decay": _decay(values, wrap_uint8=True)}


def decay_corrected(values: np.ndarray) -> float:
    """DAVIS decay with the quarter bounds the reference intends (no uint8 wrap for N > 255).

    Equal to ``statistics(values)["decay"]`` for N <= 255.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {values.shape}")
    return _decay(values, wrap_uint8=False)


def _frames_of(data, name: str):
    """Frames of a (T, H, W) integer array or an iterable of (H, W) integer frames."""
    if isinstance(data, np.ndarray) and data.ndim != 3:
        raise ValueError(f"{name} must be a (T, H, W) label video or an iterable of (H, W) frames, "
                         f"got shape {data.shape}")
    for t, frame in enumerate(data):
        frame = np.asarray(frame)
        if frame.ndim != 2 or frame.dtype.kind not in "ui":
            raise TypeError(f"{name} frame {t} must be an (H, W) map of integer object ids, "
                            f"got {frame.dtype} {frame.shape}")
        yield frame


def object_count(first_gt: np.ndarray) -> int:
    """The objects of a sequence: the largest id of its first ground-truth frame, void (255) aside.

    Examples
    --------
    >>> import numpy as np
    >>> object_count(np.array([[0, 2, 255], [1, 0, 0]], np.uint8))
    2
    """
    ids = first_gt[first_gt != 255]
    return int(ids.max()) if ids.size else 0


def _objects(labels: np.ndarray, n: int) -> list:
    """Masks of ids 1..n of one label frame."""
    return [labels == k for k in range(1, n + 1)]


def object_scores(pred: np.ndarray, gt: np.ndarray, n_objects: int, *, bound_th: float = 0.008) -> np.ndarray:
    """J and F of one semi-supervised frame: prediction id k against ground-truth id k, k = 1..n_objects.

    Parameters
    ----------
    pred, gt : ndarray of int, (H, W)
        Label frames (0 background; ids above ``n_objects`` in ``gt``, such as the void 255, are
        background here, as in ``davis2017-evaluation``).
    n_objects : int
        The objects of the sequence (the ids of its first ground-truth frame).

    Returns
    -------
    ndarray of float64, (n_objects, 2)
        Per object, J and F.

    Raises
    ------
    ValueError
        If ``pred`` holds an id above ``n_objects`` (the reference evaluator exits there).

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((8, 8), np.uint8); gt[2:6, 2:6] = 1
    >>> object_scores(np.zeros_like(gt), gt, 1).tolist()  # object 1 missed: J 0, F 0
    [[0.0, 0.0]]
    """
    top = int(pred.max(initial=0))
    if top > n_objects:
        raise ValueError(f"the prediction holds object id {top} but the ground truth's first frame has {n_objects} "
                         f"object{'s' if n_objects != 1 else ''} "
                         "(semi-supervised results must use the first annotated frame's ids)")
    disk_ = _tolerance_disk(gt.shape, bound_th)
    return np.array([[float(region_similarity(p, g)), _f_measure(_Edge(p, disk_), _Edge(g, disk_))]
                     for p, g in zip(_objects(pred, n_objects), _objects(gt, n_objects))]).reshape(n_objects, 2)


def _proposal_scores(pred: np.ndarray, gt: np.ndarray, n_objects: int, n_ids: int) -> np.ndarray:
    """(n_ids + 1, n_objects, 2) J and F of every proposal id 1..n_ids, and last an empty
    proposal, against every object, with the truth's void (255) left out."""
    void = gt == 255
    keep = ~void
    disk_ = _tolerance_disk(gt.shape, 0.008)
    truths = [(g, _Edge(g & keep, disk_)) for g in _objects(gt, n_objects)]
    out = np.empty((n_ids + 1, n_objects, 2))
    for i, p in enumerate(_objects(pred, n_ids) + [np.zeros(gt.shape, bool)]):
        edge = _Edge(p & keep, disk_)
        for k, (g, g_edge) in enumerate(truths):
            out[i, k] = float(region_similarity(p, g, void)), _f_measure(edge, g_edge)
    return out


def evaluate_sequence(pred, gt, *, task: str = "semi-supervised", max_proposals: int = 20) -> dict:
    """One sequence evaluated as ``davis2017-evaluation`` does (``DAVISEvaluation.evaluate``).

    Objects are the ids 1..max of the ground truth's first frame (255 = void in the truth).
    ``"semi-supervised"``: the first and last frames are not evaluated, prediction ids pair
    with ground-truth ids, missing objects count as empty masks, more predicted objects than
    annotated is an error (the reference exits). ``"unsupervised"``: every frame, void removed,
    up to ``max_proposals`` predicted ids matched to objects by Hungarian assignment on mean
    (J + F) / 2.

    The sequence is read once, frame by frame: memory holds one frame and the per-frame scores,
    however long the sequence.

    Parameters
    ----------
    pred, gt : ndarray of int, (T, H, W), or iterables of (H, W) integer frames
        Indexed label maps (the palette PNGs' indices), one object id per pixel.
    task : {"semi-supervised", "unsupervised"}
    max_proposals : int
        Unsupervised only.

    Returns
    -------
    dict
        ``evaluated_frames`` (indices), ``objects``: per object ``{"object", "J", "F"}`` with
        per-frame arrays and ``J_stats`` / ``F_stats`` (:func:`statistics`).

    Raises
    ------
    ValueError
        Shapes or lengths differ, too many predicted objects, unknown task.
    TypeError
        A frame that is not an (H, W) integer map.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((4, 8, 8), np.uint8); gt[:, 2:6, 2:6] = 1
    >>> r = evaluate_sequence(gt, gt)
    >>> r["evaluated_frames"], r["objects"][0]["J_stats"]["mean"]
    ([1, 2], 1.0)
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    semi = task == "semi-supervised"
    frames, scores, n_objects, held = [], [], 0, None
    gts = _frames_of(gt, "gt")
    for t, p in enumerate(_frames_of(pred, "pred")):
        g = next(gts, None)
        if g is None:
            raise ValueError(f"pred has more frames than gt ({t})")
        if p.shape != g.shape:
            raise ValueError(f"pred and gt frame {t} differ in shape: {p.shape} and {g.shape}")
        if t == 0:
            n_objects = object_count(g)
        if not semi:
            n_ids = max(int(p.max(initial=0)), scores[-1].shape[0] - 1 if scores else 0)
            if n_ids > max_proposals:
                raise ValueError(f"the prediction has {n_ids} proposals at frame {t}, more than "
                                 f"max_proposals={max_proposals}")
            scores.append(_proposal_scores(p, g, n_objects, n_ids))
            frames.append(t)
        else:
            # Frame t - 1 is scored once frame t shows it was not the last one.
            if held is not None:
                scores.append(object_scores(*held[1:], n_objects))
                frames.append(held[0])
            held = (t, p, g) if t > 0 else None
    if next(gts, None) is not None:
        raise ValueError("gt has more frames than pred")
    if not frames:
        raise ValueError(f"{task} DAVIS evaluation needs at least {3 if semi else 1} frames")
    if semi:
        series = np.stack(scores, axis=-1)  # (objects, 2, frames)
        pairs = [(series[k, 0], series[k, 1]) for k in range(n_objects)]
    else:
        n_ids = max(scores[-1].shape[0] - 1, n_objects)
        # A proposal scores as the empty one before its id first appears (and when padded up to the objects).
        series = np.stack([np.concatenate([s[:-1], np.repeat(s[-1:], n_ids + 1 - len(s), axis=0)])
                           for s in scores], axis=-1)  # (ids, objects, 2, frames)
        rows, cols = linear_sum_assignment(-series.mean(axis=-1).mean(axis=-1))
        pairs = [(series[r, c, 0], series[r, c, 1]) for r, c in zip(rows, cols)]
    objects = [{"object": k + 1, "J": jv, "F": fv, "J_stats": statistics(jv), "F_stats": statistics(fv)}
               for k, (jv, fv) in enumerate(pairs)]
    return {"task": task, "evaluated_frames": frames, "objects": objects}


def global_table(sequences: dict) -> dict:
    """The benchmark table over sequences: every statistic a mean over *objects*, pooled.

    ``J&F-Mean`` = (J-Mean + F-Mean) / 2; one object with a NaN decay (sequences over 255
    evaluated frames, see :func:`statistics`) makes the decay columns NaN, as in the reference.

    Parameters
    ----------
    sequences : dict of name -> result of :func:`evaluate_sequence`

    Returns
    -------
    dict with ``J&F-Mean``, ``J-Mean``, ``J-Recall``, ``J-Decay``, ``F-Mean``, ``F-Recall``,
    ``F-Decay`` (0..1 floats, unrounded) and ``n_objects``.
    """
    stats = {"J": [], "F": []}
    for result in sequences.values():
        for obj in result["objects"]:
            stats["J"].append(obj["J_stats"])
            stats["F"].append(obj["F_stats"])
    if not stats["J"]:
        raise ValueError("no objects to aggregate")
    table = {}
    for m in ("J", "F"):
        for key, name in (("mean", "Mean"), ("recall", "Recall"), ("decay", "Decay")):
            table[f"{m}-{name}"] = float(np.mean([s[key] for s in stats[m]]))
    table["J&F-Mean"] = (table["J-Mean"] + table["F-Mean"]) / 2
    table["n_objects"] = len(stats["J"])
    return table
