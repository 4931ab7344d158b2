"""DAVIS region similarity J, boundary accuracy F, temporal stability T, and the benchmark's aggregation.

The three per-frame measures take the prediction first and the ground truth second
(:func:`region_similarity`, :func:`boundary_accuracy`, :func:`temporal_stability`) and return
(T,) float64 arrays. J and F follow ``davisvideochallenge/davis2017-evaluation`` (``db_eval_iou``, ``db_eval_boundary``)
exactly, including its edge cases; ``tests/test_davis.py`` checks them against that code's own
outputs (../shared/fixtures) and against the DAVIS team's official per-frame values. T is
DAVIS-2016's, computed by :func:`tempcons.metrics.stability.temporal_stability`.
"""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment
from skimage.morphology import disk

from .stability import temporal_stability as _pair_stability

__all__ = ["region_similarity", "boundary_accuracy", "boundary_f_measure", "temporal_stability", "boundary_map", "statistics", "decay_corrected",
           "evaluate_sequence", "global_table", "TASKS"]

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
    seg = np.asarray(mask).astype(bool)
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    b[-1, :] = seg[-1, :] ^ east[-1, :]
    b[:, -1] = seg[:, -1] ^ south[:, -1]
    b[-1, -1] = False
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
    h, w = g3.shape[1:]
    radius = bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(h, w))
    kernel = disk(int(radius)).astype(np.uint8)
    out = np.empty(len(g3))
    for t in range(len(g3)):
        pm, gm = p3[t].astype(bool), g3[t].astype(bool)
        if keep is not None:
            pm, gm = pm & keep[t], gm & keep[t]
        pb, gb = boundary_map(pm), boundary_map(gm)
        n_p, n_g = int(pb.sum()), int(gb.sum())
        if n_p == 0 or n_g == 0:
            precision, recall = (1.0 if n_p == 0 else 0.0), (1.0 if n_g == 0 else 0.0)
        else:
            precision = np.sum(pb & (cv2.dilate(gb.astype(np.uint8), kernel) > 0)) / n_p
            recall = np.sum(gb & (cv2.dilate(pb.astype(np.uint8), kernel) > 0)) / n_g
        out[t] = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return out[0] if single else out


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


def _object_masks(labels: np.ndarray, n_objects: int) -> np.ndarray:
    """(K, T, H, W) bool: object k + 1 of an indexed label video (0 background)."""
    return labels[None] == np.arange(1, n_objects + 1)[:, None, None, None]


def evaluate_sequence(pred: np.ndarray, gt: np.ndarray, *, task: str = "semi-supervised",
                      max_proposals: int = 20) -> dict:
    """One sequence evaluated as ``davis2017-evaluation`` does (``DAVISEvaluation.evaluate``).

    Objects are the ids 1..max of the ground truth's first frame (255 = void in the truth).
    ``"semi-supervised"``: the first and last frames are not evaluated, prediction ids pair
    with ground-truth ids, missing objects count as empty masks, more predicted objects than
    annotated is an error (the reference exits). ``"unsupervised"``: every frame, void removed,
    up to ``max_proposals`` predicted ids matched to objects by Hungarian assignment on mean
    (J + F) / 2.

    Parameters
    ----------
    pred, gt : ndarray of int, (T, H, W)
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
        Shapes differ, too many predicted objects, unknown task.

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
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape or gt.ndim != 3:
        raise ValueError(f"pred and gt must be (T, H, W) label maps of one shape, got {pred.shape} and {gt.shape}")
    if pred.dtype.kind not in "ui" or gt.dtype.kind not in "ui":
        raise TypeError(f"label maps must hold integer ids, got {pred.dtype} and {gt.dtype}")
    first = gt[0][gt[0] != 255]
    n_gt = int(first.max()) if first.size else 0
    frames = list(range(len(gt)))
    void = gt == 255
    if task == "semi-supervised":
        frames = frames[1:-1]
        gt, pred, void = gt[1:-1], pred[1:-1], None
    n_pred = int(pred.max()) if pred.size else 0
    gt_masks = _object_masks(gt, n_gt)
    if task == "semi-supervised":
        if n_pred > n_gt:
            raise ValueError(f"the prediction has {n_pred} objects but the ground truth only {n_gt}")
        pred_masks = _object_masks(pred, n_gt)
        scores = [(region_similarity(pred_masks[k], gt_masks[k]), boundary_accuracy(pred_masks[k], gt_masks[k]))
                  for k in range(n_gt)]
    else:
        if n_pred > max_proposals:
            raise ValueError(f"the prediction has {n_pred} proposals, more than max_proposals={max_proposals}")
        pred_masks = _object_masks(pred, max(n_pred, n_gt))
        j = np.array([[region_similarity(p, g, void) for g in gt_masks] for p in pred_masks])
        f = np.array([[boundary_accuracy(p, g, void) for g in gt_masks] for p in pred_masks])
        rows, cols = linear_sum_assignment(-(j.mean(axis=2) + f.mean(axis=2)) / 2)
        scores = [(j[r, c], f[r, c]) for r, c in zip(rows, cols)]
    objects = [{"object": k + 1, "J": jv, "F": fv, "J_stats": statistics(jv), "F_stats": statistics(fv)}
               for k, (jv, fv) in enumerate(scores)]
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
