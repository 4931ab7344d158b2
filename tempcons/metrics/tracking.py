"""Identity metrics for instance id maps: CLEAR-MOT ID switches, STQ (AQ, SQ) and VPQ.

An object of the ground truth is *matched* in a frame to the predicted id whose mask overlaps it
with IoU > ``iou_threshold`` (0.5, as CLEAR-MOT and MOTS use: above 0.5 a match is unique). An
ID switch is counted when a ground-truth object is matched to a different predicted id than at
its previous match (Bernardin & Stiefelhagen 2008; the MOTS variant on masks, Voigtlaender et
al. 2019). Unmatched frames in between do not reset the object's last id.

:func:`stq` follows deeplab2's ``STQuality`` conventions and :func:`vpq` the Cityscapes-VPS
``eval_vpq.py`` rules as ``reference/metrics.md`` describes them; neither was run against the
reference code here (no fixtures), so both are checked by hand-worked cases only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IdSwitches", "id_switches", "STQ", "stq", "vpq"]


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


def _check_panoptic(name: str, semantic: np.ndarray, instance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    semantic, instance = np.asarray(semantic), np.asarray(instance)
    if semantic.shape != instance.shape or semantic.ndim != 3:
        raise ValueError(f"{name}: semantic and instance maps must be (T, H, W) of one shape, "
                         f"got {semantic.shape} and {instance.shape}")
    if semantic.dtype.kind not in "ui" or instance.dtype.kind not in "ui":
        raise TypeError(f"{name}: maps must hold integer ids, got {semantic.dtype} and {instance.dtype}")
    return semantic.astype(np.int64), instance.astype(np.int64)


@dataclass(frozen=True)
class STQ:
    """Segmentation and Tracking Quality (Weber et al. 2021): ``stq = sqrt(aq * sq)``."""

    stq: float
    aq: float
    sq: float
    n_tracks: int


def stq(gt_semantic, gt_instance, pred_semantic, pred_instance, *, things, num_classes: int,
        ignore: int = 255) -> STQ:
    """STQ with its association (AQ) and segmentation (SQ) parts, deeplab2's convention.

    - AQ: for every ground-truth track g (a thing-class pixel with instance id != 0, over the
      whole sequence), ``(1/|g|) sum_p TPA(p, g) * IoU_id(p, g)`` over predicted tracks p (thing
      class, id != 0) with ``IoU_id = TPA / (TPA + FPA + FNA)``; predictions on crowd pixels
      (thing class, id 0) count neither way; AQ = sum over tracks / number of tracks.
    - SQ: mIoU of one semantic confusion matrix, ``ignore`` pixels removed, classes with a
      nonzero union averaged.

    A track is identified by (class, instance id), so the same id in two classes is two tracks.
    Sequences are pooled by passing them concatenated along T only if their ids do not collide;
    otherwise call per sequence and pool ``aq * n_tracks`` yourself.

    Parameters
    ----------
    gt_semantic, gt_instance, pred_semantic, pred_instance : ndarray of int, (T, H, W)
    things : iterable of int
        Class ids that have instances.
    num_classes : int
    ignore : int
        Void class in the ground truth.

    Returns
    -------
    STQ

    Examples
    --------
    >>> import numpy as np
    >>> sem = np.ones((2, 4, 4), int); inst = np.zeros((2, 4, 4), int); inst[:, :2] = 1
    >>> round(stq(sem, inst, sem, inst, things=[1], num_classes=2).stq, 6)
    1.0
    """
    gs, gi = _check_panoptic("ground truth", gt_semantic, gt_instance)
    ps, pi = _check_panoptic("prediction", pred_semantic, pred_instance)
    if gs.shape != ps.shape:
        raise ValueError(f"ground truth {gs.shape} and prediction {ps.shape} differ in shape")
    things = np.asarray(sorted(set(things)), dtype=np.int64)
    keep = gs != ignore
    conf = np.bincount(gs[keep] * num_classes + np.clip(ps[keep], 0, num_classes - 1),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    diag = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - diag
    sq = float((diag[union > 0] / union[union > 0]).mean()) if (union > 0).any() else 0.0
    g_thing = np.isin(gs, things)
    crowd = g_thing & (gi == 0)
    g_track = g_thing & (gi != 0)
    p_track = np.isin(ps, things) & (pi != 0) & ~crowd
    g_key = gs * (1 << 32) + gi
    p_key = ps * (1 << 32) + pi
    g_ids, g_size = np.unique(g_key[g_track], return_counts=True)
    p_ids, p_size = np.unique(p_key[p_track], return_counts=True)
    both = g_track & p_track
    pairs, tpa = np.unique(np.stack([np.searchsorted(g_ids, g_key[both]), np.searchsorted(p_ids, p_key[both])]),
                           axis=1, return_counts=True)
    total = 0.0
    for (g, p), t in zip(pairs.T, tpa):
        total += t * (t / (g_size[g] + p_size[p] - t)) / g_size[g]
    aq = total / len(g_ids) if len(g_ids) else 0.0
    return STQ(float(np.sqrt(aq * sq)), float(aq), sq, len(g_ids))


def vpq(gt_semantic, gt_instance, pred_semantic, pred_instance, *, things, num_classes: int,
        windows=(1, 2, 3, 4), void: int = 255) -> dict:
    """Video Panoptic Quality (Kim et al. 2020), Cityscapes-VPS's window rule.

    For each window length k in ``windows``, every run of k consecutive (annotated) frames is
    joined into one tube per segment -- a thing segment is (class, instance id), a stuff segment
    its class -- and tubes are matched as panoptic segments are: same class and tube IoU > 0.5,
    where the union leaves out the predicted tube's overlap with the ground truth's void.
    Crowd regions (thing class, instance 0) are ignored; an unmatched predicted tube more than
    half inside void or its class's crowd is not a false positive. TP, FP, FN and IoU sums are
    accumulated per class over all windows; PQ_k = mean over classes with TP + FP + FN > 0 of
    IoU sum / (TP + FP/2 + FN/2); VPQ = mean over k. Cityscapes-VPS annotates every 5th frame and
    uses k = 1..4 over annotated frames; VIPSeg uses (1, 2, 4, 6, 8). Pass annotated frames only.

    Returns
    -------
    dict with ``vpq`` and ``per_window`` ({k: PQ_k}), both 0..1.

    Examples
    --------
    >>> import numpy as np
    >>> sem = np.ones((4, 4, 4), int); inst = np.zeros((4, 4, 4), int); inst[:, :2] = 1
    >>> vpq(sem, inst, sem, inst, things=[1], num_classes=2)["vpq"]
    1.0
    """
    gs, gi = _check_panoptic("ground truth", gt_semantic, gt_instance)
    ps, pi = _check_panoptic("prediction", pred_semantic, pred_instance)
    if gs.shape != ps.shape:
        raise ValueError(f"ground truth {gs.shape} and prediction {ps.shape} differ in shape")
    things = set(int(t) for t in things)
    per_window = {}
    for k in windows:
        if not 1 <= k <= len(gs):
            raise ValueError(f"window length {k} must be in 1..{len(gs)}")
        tp = np.zeros(num_classes)
        fp = np.zeros(num_classes)
        fn = np.zeros(num_classes)
        iou_sum = np.zeros(num_classes)
        for start in range(len(gs) - k + 1):
            sl = slice(start, start + k)
            _pq_window(gs[sl], gi[sl], ps[sl], pi[sl], things, void, tp, fp, fn, iou_sum)
        counted = (tp + fp + fn) > 0
        pq = iou_sum[counted] / (tp + 0.5 * fp + 0.5 * fn)[counted]
        per_window[k] = float(pq.mean()) if pq.size else 0.0
    return {"vpq": float(np.mean(list(per_window.values()))), "per_window": per_window}


def _segments(sem: np.ndarray, inst: np.ndarray, things: set) -> np.ndarray:
    """One id per tube pixel: class * 2**32 + instance for things, class * 2**32 for stuff."""
    is_thing = np.isin(sem, list(things))
    return sem * (1 << 32) + np.where(is_thing, inst, 0)


def _pq_window(gs, gi, ps, pi, things, void, tp, fp, fn, iou_sum) -> None:
    g_void = gs == void
    crowd = np.isin(gs, list(things)) & (gi == 0)
    g_seg = _segments(gs, gi, things)
    p_seg = _segments(ps, pi, things)
    g_valid = ~g_void & ~crowd
    g_ids, g_area = np.unique(g_seg[g_valid], return_counts=True)
    p_ids, p_area = np.unique(p_seg, return_counts=True)
    inter = {}
    pairs, counts = np.unique(np.stack([g_seg[g_valid], p_seg[g_valid]]), axis=1, return_counts=True)
    for (g, p), n in zip(pairs.T, counts):
        inter[(int(g), int(p))] = int(n)
    p_void = dict(zip(*np.unique(p_seg[g_void], return_counts=True)))
    p_area_map = dict(zip(p_ids.tolist(), p_area.tolist()))
    matched_g, matched_p = set(), set()
    for (g, p), n in inter.items():
        if g >> 32 != p >> 32:
            continue
        union = g_area[np.searchsorted(g_ids, g)] + p_area_map[p] - n - p_void.get(p, 0)
        iou = n / union
        if iou > 0.5:
            c = g >> 32
            tp[c] += 1
            iou_sum[c] += iou
            matched_g.add(g)
            matched_p.add(p)
    for g in g_ids.tolist():
        if g not in matched_g:
            fn[g >> 32] += 1
    for p, area in p_area_map.items():
        c = p >> 32
        if p in matched_p or c >= len(fp):
            continue
        ignored = p_void.get(p, 0)
        if c in things:
            ignored += int(np.count_nonzero((p_seg == p) & crowd & (gs == c)))
        if ignored / area > 0.5:
            continue
        fp[c] += 1
