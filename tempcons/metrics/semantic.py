"""Video semantic segmentation: VC_n, mIoU and flow-warped TC, as the reference scripts compute them.

VC_n (Miao et al., CVPR 2021, VSPW's code).

For a video of C frames and each window start i = 0 .. C - n - 1 (C - n windows, as
``VSPW_code/VC_perclip.py`` iterates; the last full window is not used):

- GTc = pixels whose ground-truth label is the same in all n frames of the window,
- Pc = the same for the prediction,
- VC_i = |Pc & GTc| / |GTc| (NaN when GTc is empty).

Correctness is not asked: a constant wrong prediction scores 1. Void labels take part in the
equality tests. :func:`video_consistency` scores one clip; the dataset value
(:func:`video_consistency_pooled`) pools every window of every video (``np.nanmean``), so long
videos weigh more; videos of at most ``skip_up_to`` frames (16 in the official script, for both
VC8 and VC16) are left out. Published numbers are x100.

Every function takes the prediction first and the ground truth second (``pred``, ``gt``; lists
of clips ``preds``, ``gts``), and every result converts with ``float()``.

mIoU (VSPW's ``Evaluator``, :func:`miou`): one confusion matrix over every frame of every video; pixels whose
ground truth is outside 0..C-1 (void) are left out; IoU per class, averaged over the classes
present in the ground truth.

TC (:func:`temporal_consistency`), the mean IoU between each prediction and the next one warped back along the flow, has two
published codes that agree on nothing but the idea (``reference/metrics.md`` §2.2), and a third
variant of ours:

- ``"vspw"`` (``VSPW_code/TC_cal.py``): nearest-neighbour warp through ``grid_sample`` with
  ``align_corners=False`` but coordinates normalised by W - 1 (a scale and half-pixel slip,
  reproduced), samples outside the frame read class 0; the prediction at t plays the ground
  truth in VSPW's ``Evaluator`` (classes present in it are averaged; its ids >= C are left out).
  The ``Evaluator`` bins the pair (t id r, warped id q) at ``C * r + q`` of a flat C x C matrix,
  so a warped id q >= C (an ignore patch, 255) wraps into row r + q // C, column q % C, and
  counts there; an id that would land past the matrix makes the reference crash, and raises here;
- ``"etc"`` (``ETC .../tool/eval_tc.py``): FlowNet2's ``Resample2d`` (bilinear, border clamp,
  float32 sums, :func:`~tempcons.warp.warp_flownet2_resample2d`) and uint8 truncation, so
  in-between class ids appear at boundaries and a few pixels inside uniform regions drop to the
  id below; ``intersectionAndUnion`` with 255 ignored and ``np.histogram`` bins (id C lands in
  class C - 1's closed last bin); IoU over *all* C classes with +1e-10, so absent classes count
  0. Pairs are pooled over all of them: the script evaluates only the first 29 pairs of each
  list (pass ``pred[:30]`` for its value), and crashes when there is none, where this gives NaN;
- ``"tempcons"``: nearest warp at the true position, pixels that leave the frame or fail Lai et
  al.'s occlusion tests left out, IoU averaged over classes present in either map.

The published numbers used FlowNet2 (ETC) and RAFT (VSPW); here the flow is the caller's or
OpenCV DIS on the frames, and every result records which (``flow_source``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..flow import pair_flows
from ..warp import warp, warp_flownet2_resample2d, warp_vspw_grid_sample
from .flicker import lai_visibility

__all__ = ["VideoConsistency", "PooledVideoConsistency", "video_consistency", "video_consistency_pooled",
           "SegmentationScore", "miou", "temporal_consistency", "pooled_value"]

PROTOCOLS = ("vspw", "cffm")
#: Whose TC :func:`temporal_consistency` computes.
TC_PROTOCOLS = ("vspw", "etc", "tempcons")


@dataclass(frozen=True)
class VideoConsistency:
    """VC_n of one clip (:func:`video_consistency`); ``float(result)`` is ``value``.

    Attributes
    ----------
    value : float
        Mean over the clip's windows, NaN ones left out (NaN if no window counts).
    windows : ndarray of float64, (max(T - n, 0),)
        VC of each window start i = 0 .. T - n - 1, NaN where the ground truth is never stable.
    n : int
    protocol : str
    """

    value: float
    windows: np.ndarray
    n: int
    protocol: str

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class PooledVideoConsistency:
    """Dataset VC_n (:func:`video_consistency_pooled`); ``float(result)`` is ``value``.

    Attributes
    ----------
    value : float
        Mean over the windows of every clip that is not skipped, NaN ones left out.
    n : int
    protocol : str
    clips : list of VideoConsistency or None
        Each clip's own result, in input order; None for a skipped clip.
    """

    value: float
    n: int
    protocol: str
    clips: list

    def __float__(self) -> float:
        return float(self.value)

    @property
    def skipped(self) -> list:
        """Whether each clip was left out (at most ``skip_up_to`` frames)."""
        return [clip is None for clip in self.clips]


def _check_video(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or gt.ndim != 3:
        raise ValueError(f"pred and gt must be label maps of the same shape (T, H, W), got {pred.shape} and {gt.shape}")
    if pred.dtype.kind not in "ui" or gt.dtype.kind not in "ui":
        raise TypeError(f"label maps must be integer arrays, got {pred.dtype} and {gt.dtype}")


def _cffm_gt(gt: np.ndarray) -> np.ndarray:
    """CFFM's ground-truth remap: 0 -> 255, then -1, then 254 -> 255 (class 0 merges with void)."""
    g = gt.astype(np.int64)
    g[g == 0] = 255
    g = g - 1
    g[g == 254] = 255
    return g


def _check_vc_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")


def video_consistency(pred: np.ndarray, gt: np.ndarray, *, n: int = 8, protocol: str = "vspw") -> VideoConsistency:
    """VC_n of one clip: the share of the ground truth's stable pixels the prediction keeps stable.

    For each window start i = 0 .. T - n - 1 (T - n windows, as ``VSPW_code/VC_perclip.py``
    iterates; the last full window is not used), VC_i = |Pc & GTc| / |GTc|, with GTc (Pc) the
    pixels whose ground-truth (predicted) label is the same in all n frames of the window, NaN
    when GTc is empty. The clip value is the mean over the windows that are not NaN. A dataset
    number pools windows, not clip values: see :func:`video_consistency_pooled`.

    Parameters
    ----------
    pred, gt : ndarray of int, (T, H, W)
        Predicted and ground-truth label maps (void included as a label).
    n : int
        Window length, >= 2 (8 for VC8, 16 for VC16).
    protocol : {"vspw", "cffm"}
        ``"vspw"``: VSPW's ``VC_perclip.py``. ``"cffm"``: CFFM's copy, which also remaps the
        ground truth (0 -> 255, -1, 254 -> 255), merging class 0 with void.

    Returns
    -------
    VideoConsistency

    Raises
    ------
    ValueError, TypeError
        On shapes, dtypes, n < 2 or an unknown protocol.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((4, 2, 2), np.uint8)
    >>> pred = gt.copy(); pred[2, 0, 0] = 1
    >>> vc = video_consistency(pred, gt, n=2)
    >>> vc.windows.tolist(), float(vc)
    ([1.0, 0.75], 0.875)
    """
    _check_vc_protocol(protocol)
    pred, gt = np.asarray(pred), np.asarray(gt)
    _check_video(pred, gt)
    if int(n) < 2:
        raise ValueError(f"n must be >= 2, got {n!r}")
    if protocol == "cffm":
        gt = _cffm_gt(gt)
    out = np.empty(max(len(gt) - n, 0))
    for i in range(len(out)):
        g_stable = np.ones(gt.shape[1:], bool)
        p_stable = np.ones(gt.shape[1:], bool)
        for j in range(1, n):
            g_stable &= gt[i] == gt[i + j]
            p_stable &= pred[i] == pred[i + j]
        area = int(g_stable.sum())
        out[i] = np.nan if area == 0 else np.sum(g_stable & p_stable) / area
    return VideoConsistency(_nanmean(out), out, int(n), protocol)


def _nanmean(values: np.ndarray) -> float:
    """Mean of the values that are not NaN; NaN (without numpy's warning) when none is."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def video_consistency_pooled(preds: list, gts: list, *, n: int = 8, protocol: str = "vspw",
                             skip_up_to: int = 16) -> PooledVideoConsistency:
    """Dataset VC_n by VSPW's rule: every window of every clip counts once.

    VSPW's script concatenates the window scores of all clips longer than ``skip_up_to`` frames
    and takes ``np.nanmean``: long clips weigh more, and the value is not the mean of the clips'
    :func:`video_consistency` values. Published numbers are x100.

    Parameters
    ----------
    preds, gts : list of ndarray of int, (T_k, H_k, W_k)
        Predicted and ground-truth label maps, one pair per clip.
    n : int
        Window length (8 for mVC8, 16 for mVC16).
    protocol : {"vspw", "cffm"}
        As :func:`video_consistency`.
    skip_up_to : int
        Clips with at most this many frames are left out (16 in both scripts, whatever n;
        VSPW's script run with ``clip_num=8`` skips up to 8).

    Returns
    -------
    PooledVideoConsistency

    Raises
    ------
    ValueError, TypeError
        Unknown protocol, lists of different lengths or empty, bad clips.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((4, 2, 2), np.uint8)
    >>> pred = gt.copy(); pred[2, 0, 0] = 1
    >>> pooled = video_consistency_pooled([pred, gt[:3]], [gt, gt[:3]], n=2, skip_up_to=0)
    >>> round(float(pooled), 4)  # windows 1, 0.75 | 1; the mean of the clip values would be 0.9375
    0.9167
    """
    _check_vc_protocol(protocol)
    if isinstance(preds, np.ndarray) or isinstance(gts, np.ndarray):
        # One (T, H, W) array would silently pool its frames as clips of one frame each.
        raise TypeError("preds and gts must be lists of clips; for one clip use video_consistency")
    if len(preds) != len(gts) or not preds:
        raise ValueError(f"need as many predicted clips as ground-truth clips (>= 1), got {len(preds)} and {len(gts)}")
    clips = []
    for pred, gt in zip(preds, gts):
        pred, gt = np.asarray(pred), np.asarray(gt)
        _check_video(pred, gt)  # skipped clips too: a broken input is an error wherever it sits
        clips.append(None if len(gt) <= skip_up_to else video_consistency(pred, gt, n=n, protocol=protocol))
    windows = [clip.windows for clip in clips if clip is not None]
    value = _nanmean(np.concatenate(windows)) if windows else float("nan")
    return PooledVideoConsistency(value, int(n), protocol, clips)


@dataclass(frozen=True)
class SegmentationScore:
    """Result of :func:`miou` and :func:`temporal_consistency`; ``float(result)`` is ``value``.

    Attributes
    ----------
    name : str
        ``"mIoU"`` or ``"TC"``.
    protocol : str
    value : float
        The dataset number (0..1; published tables print x100).
    per_class : ndarray of float64, (C,)
        IoU per class, NaN for classes the protocol does not average.
    per_pair : list of ndarray
        TC only: the same score for each consecutive pair of each video (its own confusion),
        one array per video even when a single clip was given.
    counts : ndarray of int64
        The accumulated counts behind ``value`` (a C x C confusion matrix; for ``"etc"`` the
        2 x C intersections and unions), so that results can be pooled further
        (:func:`pooled_value`).
    flow_source : str or None
    """

    name: str
    protocol: str
    value: float
    per_class: np.ndarray
    per_pair: list
    counts: np.ndarray
    flow_source: str | None = None

    def __float__(self) -> float:
        return float(self.value)


def _videos(videos, name: str) -> list[np.ndarray]:
    """A list of integer (T, H, W) label videos (a single array counts as one video)."""
    if isinstance(videos, np.ndarray):
        videos = [videos]
    out = []
    for k, v in enumerate(videos):
        v = np.asarray(v)
        if v.ndim != 3 or len(v) == 0:
            raise ValueError(f"{name}[{k}] must be a (T, H, W) label map video, got shape {v.shape}")
        if v.dtype.kind not in "ui":
            raise TypeError(f"{name}[{k}] must hold integer class ids, got dtype {v.dtype}")
        out.append(v)
    if not out:
        raise ValueError(f"{name} is empty")
    return out


def _tally(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(k, 3) int64: each distinct (row id, column id) pair of the pixels and its pixel count.

    Counts that need no class count C yet: :func:`~tempcons.metrics.evaluate` tallies a clip frame
    by frame and learns C (the largest id) only at its end.
    """
    r, q = np.ravel(rows).astype(np.int64), np.ravel(cols).astype(np.int64)
    if not r.size:
        return np.zeros((0, 3), np.int64)
    r0, q0 = r.min(), q.min()
    span = int(q.max() - q0) + 1
    counts = np.bincount((r - r0) * span + (q - q0))
    code = np.flatnonzero(counts)
    return np.stack([code // span + r0, code % span + q0, counts[code]], axis=1)


def _merge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The tally of two tallies' pixels together."""
    both = np.concatenate([a, b])
    pairs, inverse = np.unique(both[:, :2], axis=0, return_inverse=True)
    counts = np.zeros(len(pairs), np.int64)
    np.add.at(counts, inverse.ravel(), both[:, 2])
    return np.column_stack([pairs, counts])


def _confusion(rows: np.ndarray, cols: np.ndarray, c: int, what: str) -> np.ndarray:
    """C x C counts of (row class, column class) over pixels whose row class is in 0..C-1."""
    return _confusion_of(_tally(rows, cols), c, what)


def _confusion_of(tally: np.ndarray, c: int, what: str) -> np.ndarray:
    """:func:`_confusion` from a :func:`_tally`."""
    r, q, n = tally[(tally[:, 0] >= 0) & (tally[:, 0] < c)].T
    if q.size and (q.min() < 0 or q.max() >= c):
        raise ValueError(f"{what} holds class ids outside 0..{c - 1} where the reference is valid "
                         f"(found {q.min()}..{q.max()}); pass num_classes covering every id")
    conf = np.zeros((c, c), np.int64)
    np.add.at(conf, (r, q), n)
    return conf


def _iou(conf: np.ndarray, present: np.ndarray) -> np.ndarray:
    diag = np.diag(conf).astype(np.float64)
    union = conf.sum(axis=0) + conf.sum(axis=1) - diag
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = diag / union
    return np.where(present, iou, np.nan)


def _mean_present(iou: np.ndarray) -> float:
    present = ~np.isnan(iou)
    return float(iou[present].mean()) if present.any() else float("nan")


def _check_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    return int(num_classes)


def miou(pred, gt, num_classes: int) -> SegmentationScore:
    """mIoU as VSPW's ``Evaluator`` computes it (one confusion matrix, classes in the truth).

    Given lists of clips, one confusion matrix accumulates over every frame of every clip, so
    the value is the dataset number, not a mean of clip values.

    Parameters
    ----------
    pred, gt : ndarray (T, H, W) or list of them, integer class ids
        Prediction and ground truth, one clip or one per clip; ground-truth ids outside
        0..C-1 are void.
    num_classes : int
        C (124 on VSPW).

    Returns
    -------
    SegmentationScore

    Raises
    ------
    ValueError, TypeError
        Shapes that differ, float labels, predicted ids outside 0..C-1 on non-void pixels.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.array([[[0, 0, 1, 1]]]); pred = np.array([[[0, 1, 1, 1]]])
    >>> round(float(miou(pred, gt, 2)), 4)  # (1/2 + 2/3) / 2
    0.5833
    """
    c = _check_classes(num_classes)
    preds, gts = _videos(pred, "pred"), _videos(gt, "gt")
    if len(preds) != len(gts):
        raise ValueError(f"need as many predicted clips as ground-truth clips, got {len(preds)} and {len(gts)}")
    conf = np.zeros((c, c), np.int64)
    for p, g in zip(preds, gts):
        if p.shape != g.shape:
            raise ValueError(f"pred and gt clips must have one shape, got {p.shape} and {g.shape}")
        conf += _confusion(g, p, c, "pred")
    return _miou(conf)


def _miou(conf: np.ndarray) -> SegmentationScore:
    """mIoU of a confusion matrix (truth rows), over the classes present in the truth."""
    iou = _iou(conf, conf.sum(axis=1) > 0)
    return SegmentationScore("mIoU", "vspw", _mean_present(iou), iou, [], conf)


def _etc_counts(tally: np.ndarray, c: int) -> np.ndarray:
    """ETC's ``intersectionAndUnion`` of a :func:`_tally` of (output, target) labels: (intersection,
    union) per class, binned as ``np.histogram(bins=np.arange(C + 1))`` bins them (id C falls in
    the closed last bin, ids outside 0..C are left out)."""
    def histogram(ids, counts):
        keep = (ids >= 0) & (ids <= c)
        out = np.zeros(c, np.int64)
        np.add.at(out, np.minimum(ids[keep], c - 1), counts[keep])
        return out

    output, target, n = tally.T
    same = output == target
    inter = histogram(output[same], n[same])
    return np.stack([inter, histogram(output, n) + histogram(target, n) - inter])


def _tc_pixels(cur: np.ndarray, nxt: np.ndarray, forward: np.ndarray, backward: np.ndarray,
               protocol: str) -> tuple[np.ndarray, np.ndarray]:
    """The labels TC compares for one pair: prediction t and prediction t+1 warped back, per pixel kept."""
    if protocol == "vspw":
        return cur, warp_vspw_grid_sample(nxt, forward)
    if protocol == "etc":
        target = warp_flownet2_resample2d(nxt, forward).astype(np.uint8)
        # ETC ignores a pixel whose warped label reads 255 by writing 255 into the output too.
        return np.where(target == 255, 255, cur), target
    warped, inside = warp(nxt, forward, order=0)
    keep = inside & lai_visibility(forward, backward)
    return cur[keep], warped[keep].astype(np.int64)


def _vspw_confusion(tally: np.ndarray, c: int) -> np.ndarray:
    """VSPW ``Evaluator``'s C x C matrix of a :func:`_tally` of (t id, warped id): rows outside
    0..C-1 left out, each pair binned at ``C * row + column`` of the flattened matrix, so a warped
    id >= C wraps into later rows (the reference counts VSPW's 255 patches there)."""
    r, q, n = tally[(tally[:, 0] >= 0) & (tally[:, 0] < c)].T
    flat = r * c + q
    if flat.size and (flat.min() < 0 or flat.max() >= c * c):
        bad = q[(flat < 0) | (flat >= c * c)]
        raise ValueError(f"pred: a warped class id ({bad.min()}..{bad.max()}) falls outside VSPW's "
                         f"{c} x {c} confusion matrix, where its Evaluator fails; check num_classes")
    conf = np.zeros(c * c, np.int64)
    np.add.at(conf, flat, n)
    return conf.reshape(c, c)


def _tc_counts(tally: np.ndarray, c: int, protocol: str) -> np.ndarray:
    """The counts TC accumulates (C x C confusion, or ETC's 2 x C) from a :func:`_tc_pixels` tally."""
    if protocol == "etc":
        return _etc_counts(tally, c)
    if protocol == "vspw":
        return _vspw_confusion(tally, c)
    return _confusion_of(tally, c, "the warped prediction")


def _check_tc_protocol(protocol: str) -> None:
    """Raise a ValueError unless ``protocol`` is one of TC's (:data:`TC_PROTOCOLS`)."""
    if protocol not in TC_PROTOCOLS:
        raise ValueError(f"protocol must be 'vspw', 'etc' or 'tempcons', got {protocol!r}")


def temporal_consistency(pred, num_classes: int, *, frames=None, flow=None, protocol: str = "vspw",
                         flow_source: str | None = None) -> SegmentationScore:
    """Flow-warped mIoU between consecutive predictions (TC), accumulated over pairs and videos.

    The counts of every pair of every clip are summed before the one IoU is taken, as both
    reference scripts pool a dataset: given a list, ``value`` is the dataset number, not a mean
    of clip values.

    Parameters
    ----------
    pred : ndarray (T, H, W) or list of them, integer class ids
        One clip's predictions, or one array per clip.
    num_classes : int
        C (19 on Cityscapes for ETC, 124 on VSPW).
    frames : ndarray (T, H, W, 3) or list of them, optional
        The input frames, to compute DIS flow on when ``flow`` is not given.
    flow : tuple (forward, backward) of (T-1, H, W, 2) arrays, or a list of them, optional
        Flow t -> t+1 and t+1 -> t per video (only ``"tempcons"`` uses the backward one).
    protocol : {"vspw", "etc", "tempcons"}
        Whose computation (module docstring).
    flow_source : str, optional
        Label for caller-given flow.

    Returns
    -------
    SegmentationScore
        ``value`` is NaN when no video has two frames.

    Raises
    ------
    ValueError, TypeError
        Unknown protocol, shapes, float labels, neither frames nor flow, and under ``"vspw"`` a
        warped id that VSPW's flat confusion matrix cannot hold (its script crashes there).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((3, 8, 8), np.uint8); labels[:, 2:6, 2:6] = 1
    >>> still = np.zeros((2, 8, 8, 2), np.float32)
    >>> float(temporal_consistency(labels, 2, flow=(still, still), protocol="tempcons"))
    1.0
    """
    _check_tc_protocol(protocol)
    c = _check_classes(num_classes)
    videos = _videos(pred, "pred")
    frame_list = [None] * len(videos) if frames is None else (
        [frames] if isinstance(frames, np.ndarray) else list(frames))
    flow_list = [None] * len(videos) if flow is None else ([flow] if isinstance(flow, tuple) else list(flow))
    if len(frame_list) != len(videos) or len(flow_list) != len(videos):
        raise ValueError("frames and flow, when given, need one entry per video")
    total = np.zeros((2, c) if protocol == "etc" else (c, c), np.int64)
    per_pair, sources = [], set()
    for video, fr, fl in zip(videos, frame_list, flow_list):
        pairs, source = pair_flows(video.shape, fr, fl, flow_source)
        sources.add(source)
        scores = []
        for t, (fw, bw) in enumerate(pairs):
            counts = _tc_counts(_tally(*_tc_pixels(video[t], video[t + 1], fw, bw, protocol)), c, protocol)
            total += counts
            scores.append(_tc_value(counts, protocol)[0])
        per_pair.append(np.asarray(scores))
    value, per_class = _tc_value(total, protocol)
    if not any(len(scores) for scores in per_pair):
        # No pair: VSPW's 0/0 is already NaN, ETC's script crashes; TC is undefined either way.
        value, per_class = float("nan"), np.full(c, np.nan)
    return SegmentationScore("TC", protocol, value, per_class, per_pair, total, ", ".join(sorted(sources)))


def pooled_value(counts: np.ndarray, protocol: str, name: str) -> float:
    """mIoU or TC from counts summed over several results (``SegmentationScore.counts``)."""
    if name == "mIoU":
        return _mean_present(_iou(counts, counts.sum(axis=1) > 0))
    return _tc_value(counts, protocol)[0]


def _tc_value(counts: np.ndarray, protocol: str) -> tuple[float, np.ndarray]:
    if protocol == "etc":
        iou = counts[0] / (counts[1] + 1e-10)
        return float(iou.mean()), iou
    present = counts.sum(axis=1) > 0
    if protocol == "tempcons":
        present = present | (counts.sum(axis=0) > 0)
    iou = _iou(counts, present)
    return _mean_present(iou), iou
