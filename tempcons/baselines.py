"""Baselines users compare against. They ignore motion; they are here to be beaten, and measured.

Each takes masks of any supported kind (``(T, H, W)``; see :mod:`tempcons.masks`) and returns
the same kind and dtype; binary inputs are smoothed as 0/1 evidence and thresholded at 0.5.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .masks import from_unit, mask_format, to_unit

__all__ = ["ema", "temporal_median", "mediapipe_smoothing", "modnet_ofd", "max_overlap_ids"]

# MediaPipe SegmentationSmoothingCalculator: u(p) = 1 - min(1, x (c1 + x (c2 + ...))), x = (p - 0.5)^2.
_MP_COEFFS = (5.68842, -0.748699, -57.8051, 291.309, -624.717)


def _as_evidence(masks: np.ndarray, kind: str | None):
    if not isinstance(masks, np.ndarray) or masks.ndim != 3:
        raise ValueError(f"masks must be an array of shape (T, H, W), got {getattr(masks, 'shape', type(masks))}")
    if len(masks) == 0:
        raise ValueError("masks is empty (T = 0)")
    fmt = mask_format(masks, kind)
    return to_unit(masks, fmt), fmt


def ema(masks: np.ndarray, alpha: float = 0.5, *, kind: str | None = None) -> np.ndarray:
    """Temporal exponential moving average: ``e_t = alpha m_t + (1 - alpha) e_{t-1}``, ``e_0 = m_0``.

    Parameters
    ----------
    masks : ndarray, (T, H, W)
    alpha : float
        Weight of the current frame, in (0, 1].
    kind : str, optional
        Mask kind, inferred when None.

    Returns
    -------
    ndarray, same shape, kind and dtype.

    Raises
    ------
    ValueError
        Bad masks or ``alpha`` outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> ema(np.array([[[0.0]], [[1.0]], [[1.0]]]), 0.5).ravel().tolist()
    [0.0, 0.5, 0.75]
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
    e, fmt = _as_evidence(masks, kind)
    for t in range(1, len(e)):
        e[t] = alpha * e[t] + (1.0 - alpha) * e[t - 1]
    return from_unit(e, fmt)


def temporal_median(masks: np.ndarray, window: int = 3, *, kind: str | None = None) -> np.ndarray:
    """Per-pixel median over a centred window of ``window`` frames (edges replicate the end frames).

    Needs ``window // 2`` frames of latency; like ffmpeg's ``tmedian``.

    Raises
    ------
    ValueError
        Bad masks or a window that is not an odd int >= 1.

    Examples
    --------
    >>> import numpy as np
    >>> temporal_median(np.array([[[0.0]], [[1.0]], [[0.0]]]), 3).ravel().tolist()
    [0.0, 0.0, 0.0]
    """
    if int(window) != window or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd int >= 1, got {window!r}")
    e, fmt = _as_evidence(masks, kind)
    return from_unit(ndimage.median_filter(e, size=(int(window), 1, 1), mode="nearest"), fmt)


def mediapipe_uncertainty(p: np.ndarray) -> np.ndarray:
    """MediaPipe's mixing weight u(p): its polynomial, which equals the squared binary entropy H_b(p)^2 within 0.0013."""
    x = (p - 0.5) ** 2
    c1, c2, c3, c4, c5 = _MP_COEFFS
    return 1.0 - np.minimum(1.0, x * (c1 + x * (c2 + x * (c3 + x * (c4 + x * c5)))))


def mediapipe_smoothing(masks: np.ndarray, ratio: float = 0.7, *, kind: str | None = None) -> np.ndarray:
    """MediaPipe's SegmentationSmoothingCalculator, exactly.

    ``out_t = p + (q - p) * ratio * u(p)`` with p the current mask, q the previous *output*
    (a recursion), and u the uncertainty polynomial (:func:`mediapipe_uncertainty`). The first
    frame passes through. Hard 0/1 masks come back almost unchanged (u(0) = u(1) = 4e-5).

    Parameters
    ----------
    masks : ndarray, (T, H, W)
    ratio : float
        ``combine_with_previous_ratio``, in [0, 1]; 0.7 is the value of MediaPipe's graphs.

    Raises
    ------
    ValueError
        Bad masks or ratio outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> out = mediapipe_smoothing(np.array([[[1.0]], [[0.5]]], np.float32), 0.7)
    >>> round(float(out[1, 0, 0]), 3)
    0.85
    """
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio must be in [0, 1], got {ratio!r}")
    e, fmt = _as_evidence(masks, kind)
    for t in range(1, len(e)):
        p = e[t]
        e[t] = p + (e[t - 1] - p) * np.float32(ratio) * mediapipe_uncertainty(p)
    return from_unit(e, fmt)


def modnet_ofd(masks: np.ndarray, threshold: float = 0.1, *, kind: str | None = None) -> np.ndarray:
    """MODNet's one-frame-delay trick, exactly as the paper states it.

    Where ``|a_{t-1} - a_{t+1}| <= xi`` and ``|a_t - a_{t-1}| > xi`` and ``|a_t - a_{t+1}| > xi``,
    ``a_t`` becomes ``(a_{t-1} + a_{t+1}) / 2``; elsewhere it is kept. The neighbours are the
    input values. First and last frames are unchanged. One frame of latency.

    Raises
    ------
    ValueError
        Bad masks or a negative threshold.

    Examples
    --------
    >>> import numpy as np
    >>> modnet_ofd(np.array([[[1.0]], [[0.0]], [[1.0]]])).ravel().tolist()
    [1.0, 1.0, 1.0]
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold!r}")
    e, fmt = _as_evidence(masks, kind)
    out = e.copy()
    prev, cur, nxt = e[:-2], e[1:-1], e[2:]
    spike = (np.abs(prev - nxt) <= threshold) & (np.abs(cur - prev) > threshold) & (np.abs(cur - nxt) > threshold)
    out[1:-1] = np.where(spike, 0.5 * (prev + nxt), cur)
    return from_unit(out, fmt)


def max_overlap_ids(instances: np.ndarray) -> np.ndarray:
    """Naive id tracking without flow: each instance takes the id of the previous frame's
    instance it overlaps most (pixel count), if that id is still free; otherwise a new id.

    The baseline that flow-based tracking (:func:`tempcons.track_instances`) is measured against.

    Parameters
    ----------
    instances : ndarray of int, (T, H, W)
        Per-frame ids, 0 = background.

    Returns
    -------
    ndarray of int32, (T, H, W)

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((2, 4, 4), int); a[0, :2] = 3; a[1, :2] = 8
    >>> max_overlap_ids(a)[:, 0, 0].tolist()
    [1, 1]
    """
    instances = np.asarray(instances)
    if instances.ndim != 3 or instances.dtype.kind not in "ui":
        raise ValueError(f"instances must be an integer (T, H, W) array, got {instances.dtype} {instances.shape}")
    out = np.zeros(instances.shape, np.int32)
    next_id = 1
    for t in range(len(instances)):
        used = set()
        for i in (int(v) for v in np.unique(instances[t]) if v != 0):
            mask = instances[t] == i
            new = 0
            if t > 0:
                prev = out[t - 1][mask]
                counts = np.bincount(prev[prev > 0]) if np.any(prev > 0) else np.zeros(1)
                for cand in np.argsort(-counts):
                    if counts[cand] > 0 and cand not in used:
                        new = int(cand)
                        break
            if new == 0:
                new, next_id = next_id, next_id + 1
            used.add(new)
            out[t][mask] = new
    return out
