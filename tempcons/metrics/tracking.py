"""Identity metrics for instance id maps: CLEAR-MOT ID switches, STQ (AQ, SQ) and VPQ.

An object of the ground truth is *matched* in a frame to the predicted id whose mask overlaps it
with IoU > ``iou_threshold`` (0.5, as CLEAR-MOT and MOTS use: above 0.5 a match is unique). An
ID switch is counted when a ground-truth object is matched to a different predicted id than at
its previous match (Bernardin & Stiefelhagen 2008; the MOTS variant on masks, Voigtlaender et
al. 2019). Unmatched frames in between do not reset the object's last id.

:func:`stq` equals deeplab2's NumPy ``STQuality`` (google-research/deeplab2 @ 64bc1c1a) and
:func:`vpq` the Cityscapes-VPS ``eval_vpq.py`` (mcahny/vps @ 138503ed): both are checked against
those references' own outputs on the shared golden fixtures (tests/test_tracking_reference.py),
STQ's AQ to 1e-6 relative (deeplab2 under numpy 2 sums AQ in float32; this sums in float64) and
everything else to 1e-12. Both pool several videos as the references do through ``sequence=``.

Every function takes the prediction first and the ground truth second (``pred``, ``gt``; for the
panoptic maps ``pred_semantic, pred_instance, gt_semantic, gt_instance``), and every result
converts with ``float()``: :class:`IdSwitches` to its count, :class:`STQ` to STQ, :class:`VPQ`
to VPQ (the mean over window lengths).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["IdSwitches", "id_switches", "STQ", "stq", "VPQ", "vpq"]


@dataclass(frozen=True)
class IdSwitches:
    """Result of :func:`id_switches`; ``float()`` gives ``count``.

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

    def __float__(self) -> float:
        return float(self.count)


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


def id_switches(pred: np.ndarray, gt: np.ndarray, *, iou_threshold: float = 0.5) -> IdSwitches:
    """Count identity switches of predicted instance ids against ground-truth instance maps.

    Parameters
    ----------
    pred, gt : ndarray of int, (T, H, W)
        Predicted and ground-truth instance ids, 0 = background.
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
    >>> id_switches(pred, gt).count
    1
    >>> float(id_switches(pred=pred, gt=gt))
    1.0
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ValueError(f"pred and gt must be (T, H, W) instance maps of one shape, got {pred.shape} and {gt.shape}")
    if gt.dtype.kind not in "ui" or pred.dtype.kind not in "ui":
        raise TypeError(f"instance maps must hold integer ids, got {pred.dtype} and {gt.dtype}")
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


# deeplab2's _EPSILON: a sequence without ground-truth tracks has AQ 0 / eps = 0, not NaN.
_EPS = 1e-15
# Keys pack (sequence, class) above 32 bits and the instance id below, so ids must fit 32 bits.
_INSTANCE_BITS = 32


def _check_panoptic(name: str, semantic, instance) -> tuple[np.ndarray, np.ndarray]:
    semantic, instance = np.asarray(semantic), np.asarray(instance)
    if semantic.shape != instance.shape or semantic.ndim != 3:
        raise ValueError(f"{name}: semantic and instance maps must be (T, H, W) of one shape, "
                         f"got {semantic.shape} and {instance.shape}")
    if semantic.dtype.kind not in "ui" or instance.dtype.kind not in "ui":
        raise TypeError(f"{name}: maps must hold integer ids, got {semantic.dtype} and {instance.dtype}")
    instance = instance.astype(np.int64)
    if instance.size and (instance.min() < 0 or instance.max() >= 1 << _INSTANCE_BITS):
        raise ValueError(f"{name}: instance ids must be in 0..2**{_INSTANCE_BITS}-1, "
                         f"got {instance.min()}..{instance.max()}")
    return semantic.astype(np.int64), instance


def _check_inputs(pred_semantic, pred_instance, gt_semantic, gt_instance, things, num_classes: int,
                  void: int, void_name: str):
    gs, gi = _check_panoptic("ground truth", gt_semantic, gt_instance)
    ps, pi = _check_panoptic("prediction", pred_semantic, pred_instance)
    if gs.shape != ps.shape:
        raise ValueError(f"ground truth {gs.shape} and prediction {ps.shape} differ in shape")
    if int(num_classes) != num_classes or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    things = np.unique(np.asarray(list(things), dtype=np.int64))
    if things.size and (things[0] < 0 or things[-1] >= num_classes):
        raise ValueError(f"things must be class ids in 0..{num_classes - 1}, got {things.tolist()}")
    for name, sem in (("ground truth", gs), ("prediction", ps)):
        # The references index a confusion matrix or a category table with these: out of range
        # they crash or silently alias another class, so refuse them here.
        bad = ((sem < 0) | (sem >= num_classes)) & (sem != void)
        if bad.any():
            raise ValueError(f"{name}: class {int(sem[bad][0])} is outside 0..{num_classes - 1} "
                             f"and is not {void_name}={void}")
    return ps, pi, gs, gi, things


def _sequences(sequence, n_frames: int) -> tuple[np.ndarray, list]:
    """Per frame, the index of its sequence in first-seen order; and the sequence ids in that order."""
    if sequence is None:
        return np.zeros(n_frames, np.int64), [0]
    sequence = np.asarray(sequence)
    if sequence.shape != (n_frames,):
        raise ValueError(f"sequence must hold one id per frame, shape ({n_frames},), got {sequence.shape}")
    ids, first, inverse = np.unique(sequence, return_index=True, return_inverse=True)
    # deeplab2 keeps sequences in an OrderedDict, so its per-sequence lists follow first appearance.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.ravel()], [ids[i].item() for i in order]


@dataclass(frozen=True)
class STQ:
    """Segmentation and Tracking Quality (Weber et al. 2021): ``stq = sqrt(aq * sq)``; ``float()`` gives ``stq``.

    Attributes
    ----------
    stq, aq, sq : float
        Pooled over all sequences: AQ sums over every track of every sequence, SQ comes from one
        summed confusion matrix (deeplab2's ``IoU``). ``sq`` is NaN when no class has a nonzero
        union (all ground truth ignored and no ignore-label prediction).
    n_tracks : int
        Ground-truth tracks, all sequences.
    per_sequence : dict
        Sequence id -> :class:`STQ` of that sequence alone (its ``per_sequence`` empty), in
        first-seen order; deeplab2's ``*_per_seq`` lists.
    """

    stq: float
    aq: float
    sq: float
    n_tracks: int
    per_sequence: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __float__(self) -> float:
        return self.stq


def _mean_iou(conf: np.ndarray) -> float:
    inter = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - inter
    n = np.count_nonzero(union)
    # deeplab2 divides 0/0 here (NaN with a RuntimeWarning); give the same NaN without the warning.
    return float(np.sum(inter / np.maximum(union, _EPS)) / n) if n else float("nan")


def stq(pred_semantic, pred_instance, gt_semantic, gt_instance, *, things, num_classes: int,
        ignore: int = 255, sequence=None) -> STQ:
    """STQ with its association (AQ) and segmentation (SQ) parts, as deeplab2's NumPy ``STQuality``.

    - AQ: for every ground-truth track g (a thing-class pixel with instance id != 0, over the
      whole sequence), ``(1/|g|) sum_p TPA(p, g) * IoU_id(p, g)`` over predicted tracks p with
      ``IoU_id = TPA / (TPA + FPA + FNA)``. A predicted track is every (class, instance) of a
      thing class, instance 0 included, and its size counts its pixels on ground-truth void and
      stuff too; only pixels on ground-truth crowd (thing class, instance 0) are left out of both
      sides. AQ = sum over the tracks of all sequences / their number (0 when there is none).
    - SQ: mIoU of one semantic confusion matrix summed over all frames, classes with a nonzero
      union averaged. Ground-truth ``ignore`` pixels are removed, but a *prediction* of
      ``ignore`` on labelled ground truth stays: the ignore label then counts as a class with
      IoU 0, as in deeplab2.

    A track is (sequence, class, instance id), so the same id in two sequences or two classes is
    two tracks.

    Parameters
    ----------
    pred_semantic, pred_instance, gt_semantic, gt_instance : ndarray of int, (T, H, W)
        Prediction, then ground truth: class ids in ``0..num_classes-1`` or ``ignore``; instance
        ids in ``0..2**32-1``.
    things : iterable of int
        Class ids that have instances.
    num_classes : int
    ignore : int, optional
        Void label of the ground truth (may lie inside ``0..num_classes-1``, then that class is
        void). Default 255.
    sequence : array_like, (T,), optional
        Pooling several videos: the id of the video each frame belongs to, frames of one video in
        order (deeplab2's ``sequence_id`` of ``update_state``). Concatenate the videos along T
        and pass their ids here; videos of other frame sizes can be padded with ``ignore`` in
        both ground truth and prediction, which changes nothing. Default: one sequence.

    Returns
    -------
    STQ
        Pooled values and ``per_sequence``; ``float()`` gives ``stq``.

    Raises
    ------
    ValueError
        Shapes that differ, class ids outside ``0..num_classes-1`` other than ``ignore``,
        ``things`` out of range, instance ids out of range, a ``sequence`` not of length T.
    TypeError
        Non-integer maps.

    Examples
    --------
    >>> import numpy as np
    >>> sem = np.ones((2, 4, 4), int); inst = np.zeros((2, 4, 4), int); inst[:, :2] = 1
    >>> round(stq(sem, inst, sem, inst, things=[1], num_classes=2).stq, 6)
    1.0
    >>> float(stq(pred_semantic=sem, pred_instance=inst, gt_semantic=sem, gt_instance=inst,
    ...           things=[1], num_classes=2))
    1.0
    >>> two = stq(np.concatenate([sem, sem]), np.concatenate([inst, 2 * inst]),
    ...           np.concatenate([sem, sem]), np.concatenate([inst, inst]),
    ...           things=[1], num_classes=2, sequence=[7, 7, 8, 8])
    >>> two.n_tracks, list(two.per_sequence)
    (2, [7, 8])
    """
    ps, pi, gs, gi, things = _check_inputs(pred_semantic, pred_instance, gt_semantic, gt_instance,
                                           things, num_classes, ignore, "ignore")
    seq, seq_ids = _sequences(sequence, len(gs))
    n_seq = len(seq_ids)
    pix_seq = np.broadcast_to(seq[:, None, None], gs.shape)

    # SQ. An ignore label outside the classes gets its own row and column, as deeplab2 does.
    size, void_index = (num_classes + 1, num_classes) if ignore >= num_classes else (num_classes, ignore)
    rows = np.where(gs == ignore, void_index, gs)
    cols = np.where(ps == ignore, void_index, ps)
    conf = np.bincount(((pix_seq * size + rows) * size + cols).ravel(),
                       minlength=n_seq * size * size).reshape(n_seq, size, size).astype(np.float64)
    # Only the ignore *row* goes: the column is kept, which is what makes a predicted ignore
    # label cost IoU (the reference's behaviour, fixture README stq trap 1).
    conf[:, void_index, :] = 0.0
    sq_seq = [_mean_iou(c) for c in conf]
    sq = _mean_iou(conf.sum(0))

    # AQ.
    g_thing = np.isin(gs, things)
    crowd = g_thing & (gi == 0)
    g_track = g_thing & ~crowd
    # Unlike the ground truth, a predicted thing pixel with instance 0 or on void/stuff is part of
    # a predicted track: deeplab2 masks predictions only by class and crowd.
    p_track = np.isin(ps, things) & ~crowd

    def keys(sem, inst, mask):
        return ((pix_seq[mask] * num_classes + sem[mask]) << _INSTANCE_BITS) + inst[mask]

    g_ids, g_size = np.unique(keys(gs, gi, g_track), return_counts=True)
    p_ids, p_size = np.unique(keys(ps, pi, p_track), return_counts=True)
    both = g_track & p_track
    n_p = max(len(p_ids), 1)
    pairs, tpa = np.unique(np.searchsorted(g_ids, keys(gs, gi, both)) * n_p
                           + np.searchsorted(p_ids, keys(ps, pi, both)), return_counts=True)
    g_of, p_of = np.divmod(pairs, n_p)
    tpa = tpa.astype(np.float64)
    inner = np.bincount(g_of, weights=tpa * tpa / (g_size[g_of] + p_size[p_of] - tpa), minlength=len(g_ids))
    track_seq = (g_ids >> _INSTANCE_BITS) // num_classes
    aq_sum = np.bincount(track_seq, weights=inner / np.maximum(g_size, 1), minlength=n_seq)
    n_tracks = np.bincount(track_seq, minlength=n_seq)
    aq = float(aq_sum.sum() / max(n_tracks.sum(), _EPS))
    aq_seq = aq_sum / np.maximum(n_tracks, _EPS)

    per_sequence = {sid: STQ(float(np.sqrt(a * s)), float(a), s, int(n))
                    for sid, a, s, n in zip(seq_ids, aq_seq, sq_seq, n_tracks)}
    return STQ(float(np.sqrt(aq * sq)), aq, sq, int(n_tracks.sum()), per_sequence)


class VPQ(dict):
    """Result of :func:`vpq`: the dict it documents, and ``float()`` gives ``self["vpq"]``.

    A dict rather than a dataclass so that ``result["vpq"]`` and ``result["summary"]`` keep
    working in the scripts that index it.
    """

    def __float__(self) -> float:
        return self["vpq"]


def vpq(pred_semantic, pred_instance, gt_semantic, gt_instance, *, things, num_classes: int,
        windows=(1, 2, 3, 4), void: int = 255, sequence=None) -> VPQ:
    """Video Panoptic Quality (Kim et al. 2020), as Cityscapes-VPS's ``eval_vpq.py``.

    For each window length k in ``windows``, every run of k consecutive (annotated) frames of a
    video is joined into one tube per segment -- a segment is (class, instance id), for stuff
    too, so a stuff segment whose id changes inside the window breaks -- and tubes are matched
    as panoptic segments are: same class and tube IoU > 0.5, where the union leaves out the
    predicted tube's overlap with the ground truth's void. Ground-truth crowd (thing class,
    instance 0) is ignored; an unmatched predicted tube more than half inside void plus its
    class's crowd is not a false positive. Predicted pixels labelled ``void`` belong to no
    segment (the reference's id 0). TP, FP, FN and IoU sums are accumulated per class over all
    windows of all videos; PQ_k = mean over classes with TP + FP + FN > 0 of
    IoU sum / (TP + FP/2 + FN/2), and likewise over thing and stuff classes; VPQ = mean over k.
    Cityscapes-VPS annotates every 5th frame and uses k = 1..4 over annotated frames (its
    k = 0, 5, 10, 15); VIPSeg uses (1, 2, 4, 6, 8). Pass annotated frames only.

    Parameters
    ----------
    pred_semantic, pred_instance, gt_semantic, gt_instance : ndarray of int, (T, H, W)
        Prediction, then ground truth: class ids in ``0..num_classes-1`` or ``void``; instance
        ids in ``0..2**32-1``. For
        Cityscapes-VPS ids ``pan = class * 1000 + instance``, pass ``pan // 1000``,
        ``pan % 1000`` and ``void=0``.
    things : iterable of int
        Class ids that have instances; the others are stuff.
    num_classes : int
    windows : iterable of int, optional
        Window lengths in frames.
    void : int, optional
        Void label, in the ground truth and the prediction. Default 255.
    sequence : array_like, (T,), optional
        Pooling several videos as ``vpq_compute`` does: the id of the video each frame belongs
        to, frames of one video in order. Windows never span two videos, a video shorter than k
        adds nothing to PQ_k, and the statistics of all videos are summed before averaging over
        classes. Videos of other frame sizes can be padded with ``void`` in both maps, which
        changes nothing. Default: one video.

    Returns
    -------
    VPQ
        A dict, and ``float()`` gives its ``vpq``:

        - ``vpq``, ``vpq_things``, ``vpq_stuff``: means over k of the PQ_k below (0..1; the
          reference prints them ×100);
        - ``per_window``: {k: PQ_k over all classes};
        - ``summary``: {k: {"All"|"Things"|"Stuff": {"pq", "sq", "rq", "n"}}}, the reference's
          ``pq_average``; pq/sq/rq are NaN where n = 0 (no class with TP + FP + FN > 0), where
          the reference raises ZeroDivisionError;
        - ``per_class``: {k: {class: {"iou", "tp", "fp", "fn"}}} for every class but ``void``.

    Raises
    ------
    ValueError
        Shapes that differ, class ids outside ``0..num_classes-1`` other than ``void``,
        ``things`` out of range, a window length below 1 or longer than every video (no window
        at all), a ``sequence`` not of length T.
    TypeError
        Non-integer maps.

    Examples
    --------
    >>> import numpy as np
    >>> sem = np.ones((4, 4, 4), int); inst = np.zeros((4, 4, 4), int); inst[:, :2] = 1
    >>> vpq(sem, inst, sem, inst, things=[1], num_classes=2)["vpq"]
    1.0
    >>> float(vpq(pred_semantic=sem, pred_instance=inst, gt_semantic=sem, gt_instance=inst,
    ...           things=[1], num_classes=2))
    1.0
    >>> pooled = vpq(np.concatenate([sem, sem]), np.concatenate([inst, inst]),
    ...              np.concatenate([sem, sem]), np.concatenate([inst, inst]),
    ...              things=[1], num_classes=2, sequence=[0] * 4 + [1] * 4)
    >>> pooled["per_class"][4][1]["tp"]  # one window of 4 frames in each video
    2
    """
    ps, pi, gs, gi, things = _check_inputs(pred_semantic, pred_instance, gt_semantic, gt_instance,
                                           things, num_classes, void, "void")
    seq, seq_ids = _sequences(sequence, len(gs))
    videos = [np.flatnonzero(seq == s) for s in range(len(seq_ids))]
    longest = max(len(v) for v in videos)
    windows = list(windows)
    for k in windows:
        if int(k) != k or not 1 <= k <= longest:
            raise ValueError(f"windows: length {k!r} must be an integer in 1..{longest} "
                             f"(the longest video), else no window fits")
    is_thing = np.zeros(num_classes, bool)
    is_thing[things] = True
    evaluated = np.ones(num_classes, bool)
    if 0 <= void < num_classes:
        evaluated[void] = False
    groups = {"All": evaluated, "Things": evaluated & is_thing, "Stuff": evaluated & ~is_thing}
    summary, per_class = {}, {}
    for k in windows:
        k = int(k)
        stats = np.zeros((4, num_classes))  # rows: IoU sum, TP, FP, FN
        for frames in videos:
            for start in range(len(frames) - k + 1):
                sl = frames[start:start + k]
                _pq_window(gs[sl], gi[sl], ps[sl], pi[sl], is_thing, void, stats)
        summary[k] = {name: _pq_average(stats, sel) for name, sel in groups.items()}
        per_class[k] = {int(c): {"iou": float(stats[0, c]), "tp": int(stats[1, c]), "fp": int(stats[2, c]),
                                 "fn": int(stats[3, c])} for c in np.flatnonzero(evaluated)}
    mean = {name: float(np.mean([summary[k][name]["pq"] for k in summary])) for name in groups}
    return VPQ(vpq=mean["All"], vpq_things=mean["Things"], vpq_stuff=mean["Stuff"],
               per_window={k: summary[k]["All"]["pq"] for k in summary}, summary=summary,
               per_class=per_class)


def _pq_average(stats: np.ndarray, selected: np.ndarray) -> dict:
    iou, tp, fp, fn = stats[:, selected]
    counted = (tp + fp + fn) > 0
    n = int(counted.sum())
    if not n:
        nan = float("nan")
        return {"pq": nan, "sq": nan, "rq": nan, "n": 0}
    iou, tp, fp, fn = iou[counted], tp[counted], fp[counted], fn[counted]
    den = tp + 0.5 * fp + 0.5 * fn
    sq = np.divide(iou, tp, out=np.zeros_like(iou), where=tp > 0)
    return {"pq": float(np.sum(iou / den) / n), "sq": float(np.sum(sq) / n),
            "rq": float(np.sum(tp / den) / n), "n": n}


def _pq_window(gs, gi, ps, pi, is_thing, void, stats) -> None:
    """Add one window's tube matching to ``stats`` (IoU sum, TP, FP, FN per class)."""
    void_key = -1
    g_code = np.where(gs == void, void_key, (gs << _INSTANCE_BITS) + gi).ravel()
    p_code = np.where(ps == void, void_key, (ps << _INSTANCE_BITS) + pi).ravel()
    g_ids, g_inv, g_area = np.unique(g_code, return_inverse=True, return_counts=True)
    p_ids, p_inv, p_area = np.unique(p_code, return_inverse=True, return_counts=True)
    pairs, inter = np.unique(g_inv.ravel() * len(p_ids) + p_inv.ravel(), return_counts=True)
    gx, px = np.divmod(pairs, len(p_ids))
    g_cls, p_cls = np.maximum(g_ids >> _INSTANCE_BITS, 0), np.maximum(p_ids >> _INSTANCE_BITS, 0)
    g_seg, p_seg = g_ids != void_key, p_ids != void_key
    g_crowd = g_seg & is_thing[g_cls] & ((g_ids & ((1 << _INSTANCE_BITS) - 1)) == 0)
    on_void = ~g_seg[gx]
    p_void = np.bincount(px[on_void], weights=inter[on_void], minlength=len(p_ids))
    candidate = g_seg[gx] & p_seg[px] & ~g_crowd[gx] & (g_cls[gx] == p_cls[px])
    gx, px, inter_c = gx[candidate], px[candidate], inter[candidate]
    iou = inter_c / (p_area[px] + g_area[gx] - inter_c - p_void[px])
    match = iou > 0.5  # strictly: IoU exactly 0.5 is no match
    np.add.at(stats[0], g_cls[gx[match]], iou[match])
    np.add.at(stats[1], g_cls[gx[match]], 1)
    g_matched = np.zeros(len(g_ids), bool)
    g_matched[gx[match]] = True
    p_matched = np.zeros(len(p_ids), bool)
    p_matched[px[match]] = True
    np.add.at(stats[3], g_cls[g_seg & ~g_crowd & ~g_matched], 1)
    # A predicted tube on its own class's crowd is not a false positive there (pairs with the
    # crowd segment were not candidates above; here they count toward the ignored share).
    on_crowd = g_crowd[pairs // len(p_ids)] & (g_cls[pairs // len(p_ids)] == p_cls[pairs % len(p_ids)])
    p_crowd = np.bincount((pairs % len(p_ids))[on_crowd], weights=inter[on_crowd], minlength=len(p_ids))
    unmatched = p_seg & ~p_matched
    fp = unmatched & ~((p_void + p_crowd) / p_area > 0.5)
    np.add.at(stats[2], p_cls[fp], 1)
