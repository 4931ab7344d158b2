"""DAVIS region similarity J (davis2017-evaluation ``db_eval_iou`` convention)."""

from __future__ import annotations

import numpy as np

__all__ = ["region_similarity"]


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
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape, got {pred.shape} and {gt.shape}")
    p = pred.astype(bool)
    g = gt.astype(bool)
    if void is not None:
        void = np.asarray(void)
        if void.shape != gt.shape:
            raise ValueError(f"void must have the shape of gt {gt.shape}, got {void.shape}")
        keep = ~void.astype(bool)
        p = p & keep
        g = g & keep
    axes = (-2, -1)
    inter = np.sum(p & g, axis=axes, dtype=np.float64)
    union = np.sum(p | g, axis=axes, dtype=np.float64)
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1.0))
