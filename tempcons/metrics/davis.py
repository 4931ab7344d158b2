"""DAVIS region similarity J and boundary F-measure (davis2017-evaluation conventions).

Both follow ``davisvideochallenge/davis2017-evaluation`` (``db_eval_iou``, ``db_eval_boundary``)
exactly, including its edge cases; ``tests/test_davis.py`` checks them against that code's own
outputs (../shared/fixtures) and against the DAVIS team's official per-frame values.
"""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
from skimage.morphology import disk

__all__ = ["region_similarity", "boundary_f_measure", "boundary_map", "statistics", "decay_corrected"]


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


def boundary_f_measure(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None,
                       bound_th: float = 0.008) -> np.ndarray:
    """Per-frame DAVIS F: F-measure of boundary precision and recall within a tolerance.

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
    >>> float(boundary_f_measure(g, g))
    1.0
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
