"""Video semantic segmentation consistency: VC_n (Miao et al., CVPR 2021, VSPW's code).

For a video of C frames and each window start i = 0 .. C - n - 1 (C - n windows, as
``VSPW_code/VC_perclip.py`` iterates; the last full window is not used):

- GTc = pixels whose ground-truth label is the same in all n frames of the window,
- Pc = the same for the prediction,
- VC_i = |Pc & GTc| / |GTc| (NaN when GTc is empty).

Correctness is not asked: a constant wrong prediction scores 1. Void labels take part in the
equality tests. The dataset value pools every window of every video (``np.nanmean``), so long
videos weigh more; videos of at most ``skip_up_to`` frames (16 in the official script, for both
VC8 and VC16) are left out. Published numbers are x100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["VideoConsistency", "vc_windows", "video_consistency"]

PROTOCOLS = ("vspw", "cffm")


@dataclass(frozen=True)
class VideoConsistency:
    """Result of :func:`video_consistency`.

    Attributes
    ----------
    value : float
        Pooled mean over windows (NaN if no window counts).
    n : int
    protocol : str
    windows : list of ndarray
        Per-video window scores (empty for skipped videos).
    skipped : list of bool
    """

    value: float
    n: int
    protocol: str
    windows: list
    skipped: list


def _check_video(gt: np.ndarray, pred: np.ndarray) -> None:
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ValueError(f"gt and pred must be label maps of the same shape (T, H, W), got {gt.shape} and {pred.shape}")
    if gt.dtype.kind not in "ui" or pred.dtype.kind not in "ui":
        raise TypeError(f"label maps must be integer arrays, got {gt.dtype} and {pred.dtype}")


def vc_windows(gt: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """VC of each window of one video (C - n windows; NaN where the ground truth is never stable).

    Parameters
    ----------
    gt, pred : ndarray of int, (T, H, W)
        Label maps (void included as a label).
    n : int
        Window length, >= 2.

    Returns
    -------
    ndarray of float64, (max(T - n, 0),)

    Raises
    ------
    ValueError, TypeError
        On shapes, dtypes or n < 2.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((4, 2, 2), np.uint8)
    >>> pred = gt.copy(); pred[2, 0, 0] = 1
    >>> vc_windows(gt, pred, 2).tolist()
    [1.0, 0.75]
    """
    gt, pred = np.asarray(gt), np.asarray(pred)
    _check_video(gt, pred)
    if int(n) < 2:
        raise ValueError(f"n must be >= 2, got {n!r}")
    out = np.empty(max(len(gt) - n, 0))
    for i in range(len(out)):
        g_stable = np.ones(gt.shape[1:], bool)
        p_stable = np.ones(gt.shape[1:], bool)
        for j in range(1, n):
            g_stable &= gt[i] == gt[i + j]
            p_stable &= pred[i] == pred[i + j]
        area = int(g_stable.sum())
        out[i] = np.nan if area == 0 else np.sum(g_stable & p_stable) / area
    return out


def _cffm_gt(gt: np.ndarray) -> np.ndarray:
    """CFFM's ground-truth remap: 0 -> 255, then -1, then 254 -> 255 (class 0 merges with void)."""
    g = gt.astype(np.int64)
    g[g == 0] = 255
    g = g - 1
    g[g == 254] = 255
    return g


def video_consistency(gts: list, preds: list, n: int = 8, *, protocol: str = "vspw",
                      skip_up_to: int = 16) -> VideoConsistency:
    """Dataset VC_n, pooled over the windows of all videos.

    Parameters
    ----------
    gts, preds : list of ndarray of int, (T_k, H_k, W_k)
        Ground-truth and predicted label maps per video.
    n : int
        Window length (8 for mVC8, 16 for mVC16).
    protocol : {"vspw", "cffm"}
        ``"vspw"``: VSPW's ``VC_perclip.py``. ``"cffm"``: CFFM's copy, which also remaps the
        ground truth (0 -> 255, -1, 254 -> 255), merging class 0 with void.
    skip_up_to : int
        Videos with at most this many frames are left out (16 in both scripts, whatever n;
        VSPW's script run with ``clip_num=8`` skips up to 8).

    Returns
    -------
    VideoConsistency

    Raises
    ------
    ValueError
        Unknown protocol, lists of different lengths, bad videos.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if len(gts) != len(preds) or not gts:
        raise ValueError(f"need as many ground-truth videos as predictions (>= 1), got {len(gts)} and {len(preds)}")
    windows, skipped = [], []
    for gt, pred in zip(gts, preds):
        gt, pred = np.asarray(gt), np.asarray(pred)
        _check_video(gt, pred)
        skip = len(gt) <= skip_up_to
        skipped.append(skip)
        windows.append(np.empty(0) if skip else vc_windows(_cffm_gt(gt) if protocol == "cffm" else gt, pred, n))
    pooled = np.concatenate(windows) if windows else np.empty(0)
    finite = pooled[~np.isnan(pooled)]
    value = float(finite.mean()) if finite.size else float("nan")
    return VideoConsistency(value, int(n), protocol, windows, skipped)
