"""Identity metrics for instance id maps: CLEAR-MOT ID switches, per frame and per clip.

An object of the ground truth is *matched* in a frame to the predicted id whose mask overlaps it
with IoU > ``iou_threshold`` (0.5, as CLEAR-MOT and MOTS use: above 0.5 a match is unique). An
ID switch is counted when a ground-truth object is matched to a different predicted id than at
its previous match (Bernardin & Stiefelhagen 2008; the MOTS variant on masks, Voigtlaender et
al. 2019). Unmatched frames in between do not reset the object's last id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IdSwitches", "id_switches"]


@dataclass(frozen=True)
class IdSwitches:
    """Result of :func:`id_switches`.

    Attributes
    ----------
    count : int
        Total ID switches.
    per_frame : ndarray of int, (T,)
    matches : list of dict
        Per frame, ground-truth id -> matched predicted id.
    n_objects : int
        Ground-truth objects seen.
    recall : float
        Share of (object, frame) presences that were matched.
    """

    count: int
    per_frame: np.ndarray
    matches: list
    n_objects: int
    recall: float


def _pairs_iou(gt: np.ndarray, pred: np.ndarray) -> tuple[list, list, np.ndarray]:
    g_ids = [int(i) for i in np.unique(gt) if i != 0]
    p_ids = [int(i) for i in np.unique(pred) if i != 0]
    if not g_ids or not p_ids:
        return g_ids, p_ids, np.zeros((len(g_ids), len(p_ids)))
    g_index = np.searchsorted(g_ids, gt)
    p_index = np.searchsorted(p_ids, pred)
    both = (gt != 0) & (pred != 0)
    inter = np.bincount(g_index[both] * len(p_ids) + p_index[both], minlength=len(g_ids) * len(p_ids))
    inter = inter.reshape(len(g_ids), len(p_ids)).astype(np.float64)
    area_g = np.bincount(g_index[gt != 0], minlength=len(g_ids))[:, None]
    area_p = np.bincount(p_index[pred != 0], minlength=len(p_ids))[None, :]
    return g_ids, p_ids, inter / (area_g + area_p - inter)


def id_switches(gt: np.ndarray, pred: np.ndarray, *, iou_threshold: float = 0.5) -> IdSwitches:
    """Count identity switches of predicted instance ids against ground-truth instance maps.

    Parameters
    ----------
    gt, pred : ndarray of int, (T, H, W)
        Instance ids, 0 = background.
    iou_threshold : float
        Matching threshold, >= 0.5 so that matches are unique.

    Returns
    -------
    IdSwitches

    Raises
    ------
    ValueError, TypeError
        Shapes that differ, non-integer ids, a threshold below 0.5.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((3, 4, 4), int); gt[:, :2] = 1
    >>> pred = gt * np.array([5, 5, 6])[:, None, None]  # the object is renamed at frame 2
    >>> id_switches(gt, pred).count
    1
    """
    gt, pred = np.asarray(gt), np.asarray(pred)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ValueError(f"gt and pred must be (T, H, W) instance maps of one shape, got {gt.shape} and {pred.shape}")
    if gt.dtype.kind not in "ui" or pred.dtype.kind not in "ui":
        raise TypeError(f"instance maps must hold integer ids, got {gt.dtype} and {pred.dtype}")
    if not 0.5 <= iou_threshold < 1.0:
        raise ValueError(f"iou_threshold must be in [0.5, 1), got {iou_threshold!r}")
    last: dict[int, int] = {}
    per_frame = np.zeros(len(gt), np.int64)
    matches, seen = [], set()
    presences = matched = 0
    for t in range(len(gt)):
        g_ids, p_ids, iou = _pairs_iou(gt[t], pred[t])
        seen.update(g_ids)
        presences += len(g_ids)
        frame = {}
        for r, g in enumerate(g_ids):
            hits = np.flatnonzero(iou[r] > iou_threshold) if len(p_ids) else []
            if len(hits):
                p = p_ids[int(hits[0])]
                frame[g] = p
                if g in last and last[g] != p:
                    per_frame[t] += 1
                last[g] = p
        matched += len(frame)
        matches.append(frame)
    return IdSwitches(int(per_frame.sum()), per_frame, matches, len(seen), matched / presences if presences else 1.0)
