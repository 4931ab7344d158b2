"""Flicker measures that need no ground truth: Lai et al.'s warping error and simpler companions.

Warping error E_warp (Lai et al., ECCV 2018).

For each pair (t, t+1): warp output t+1 into frame t with the forward flow (bilinear, border
clamp), compare with output t over the pixels visible in both:
``E_t = sum M (W(O_{t+1}) - O_t)^2 / sum M`` (per-channel mean; one channel for masks), with M
the pixels that pass Lai's forward-backward and motion-boundary tests. If no pixel is visible
the denominator is the pixel count. The clip value is the mean over pairs.

Given the same flows, this equals the reference code (``phoenix104104/fast_blind_video_consistency``,
its Resample2d with border-replicated taps): identical occlusion masks and errors within 2e-7
relative on the golden fixtures (``tests/test_metrics.py``). Lai et al. compute the flow with
FlowNet2; by default this module uses OpenCV DIS "medium" at full resolution, and says so in
``flow_source``: numbers are comparable between methods measured with the same flow, not with
published tables.

The companions answer "where and when does it flicker" for reports and plots:

- :func:`temporal_change`: unwarped mean |v_{t+1} - v_t| per pair (VBench's "temporal
  flickering" score is 1 minus its mean); only meaningful on static footage;
- :func:`flip_rate`: share of pixels whose binarised label changes between frames;
- :func:`area_jitter`: mean |A_t - A_{t-1}| / mean A of the binarised area;
- :func:`boundary_jitter`: mean symmetric distance (px) between consecutive boundaries after
  warping the next mask into the current frame (0 flow: unwarped);
- :func:`flicker_heatmap`: per-pixel mean flow-aligned change over visible pairs;
- :func:`flicker_timeline`: all per-pair series of one video, for plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..flow import fb_consistency, pair_flows
from ..masks import as_unit
from ..warp import warp

__all__ = ["WarpingError", "warping_error", "lai_visibility", "temporal_change",
           "flip_rate", "area_jitter", "boundary_jitter", "flicker_heatmap", "flicker_timeline"]


@dataclass(frozen=True)
class WarpingError:
    """Result of :func:`warping_error` (and :func:`boundary_jitter`); ``float(result)`` is ``value``.

    Attributes
    ----------
    per_pair : ndarray of float64, (T-1,)
        E_t for each pair (t, t+1).
    value : float
        Mean over pairs (0 for a single frame).
    flow_source : str
        Where the flow came from.
    protocol : str
        Whose computation: ``"lai2018"`` for :func:`warping_error`.
    """

    per_pair: np.ndarray
    value: float
    flow_source: str
    protocol: str = field(default="lai2018")

    def __float__(self) -> float:
        return float(self.value)


def lai_visibility(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Pixels of frame t visible in frame t+1 by Lai et al.'s tests.

    Occluded where ``|w_f + w_b(x + w_f)|^2 > 0.01 (|w_f|^2 + |w_b(x + w_f)|^2) + 0.5`` or
    ``|grad u|^2 + |grad v|^2 > 0.01 |w_f|^2 + 0.002`` (forward differences on w_f).

    Parameters
    ----------
    forward : ndarray, (H, W, 2)
        Flow t -> t+1.
    backward : ndarray, (H, W, 2)
        Flow t+1 -> t.

    Returns
    -------
    ndarray of bool, (H, W)
    """
    return fb_consistency(forward, backward, alpha=0.01, beta=0.5, motion_boundary=True, outside_valid=True)


def warping_error(masks: np.ndarray, frames: np.ndarray | None = None, *, flow=None,
                  visibility: np.ndarray | None = None, flow_source: str | None = None) -> WarpingError:
    """Lai et al.'s warping error of a video (masks, mattes or images).

    Parameters
    ----------
    masks : ndarray
        ``(T, H, W)`` masks (bool, uint8 0..255 or float in [0, 1]) or ``(T, H, W, C)`` images;
        uint8 is divided by 255 and bool taken as 0/1.
    frames : ndarray, optional
        The input frames ``(T, H, W, 3)``, to compute the flow on (Lai: flow on the input video,
        not on the output). Needed unless ``flow`` is given.
    flow : (forward, backward) pair of arrays ``(T-1, H, W, 2)``, optional
        Precomputed flows (x then y displacement). Default: DIS medium at full resolution on
        ``frames``.
    visibility : ndarray of bool, (T-1, H, W), optional
        Precomputed visibility masks (e.g. from :func:`lai_visibility`), to score many outputs
        on one flow without recomputing it.
    flow_source : str, optional
        Label for caller-given flows (default "caller").

    Returns
    -------
    WarpingError

    Raises
    ------
    ValueError, TypeError
        On shapes that disagree, NaN values, or neither frames nor flow.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.zeros((3, 8, 8), np.float32)
    >>> fw = np.zeros((2, 8, 8, 2), np.float32)
    >>> float(warping_error(v, flow=(fw, fw)))
    0.0
    """
    masks = np.asarray(masks)
    if masks.ndim not in (3, 4) or len(masks) == 0:
        raise ValueError(f"masks must have shape (T, H, W) or (T, H, W, C) with T >= 1, got {masks.shape}")
    n, h, w = masks.shape[:3]
    pairs, source = pair_flows((n, h, w), frames, flow, flow_source)
    if visibility is not None and visibility.shape != (n - 1, h, w):
        raise ValueError(f"visibility must have shape {(n - 1, h, w)}, got {visibility.shape}")
    scale = 1.0 / 255.0 if masks.dtype == np.uint8 else 1.0
    planes = masks[..., None] if masks.ndim == 3 else masks
    per = np.zeros(max(n - 1, 0))
    for t, (f, b) in enumerate(pairs):
        vis = visibility[t] if visibility is not None else lai_visibility(f, b)
        cur = planes[t].astype(np.float32) * np.float32(scale)
        nxt = planes[t + 1].astype(np.float32) * np.float32(scale)
        total = 0.0
        warped = warp(nxt, f)[0]
        for c in range(cur.shape[2]):
            total += float(np.sum(((warped[..., c] - cur[..., c]) ** 2)[vis], dtype=np.float64))
        count = float(vis.sum()) * cur.shape[2]
        per[t] = total / (count if count > 0 else h * w * cur.shape[2])
    return WarpingError(per, float(per.mean()) if len(per) else 0.0, source)


def _unit(masks: np.ndarray, name: str = "masks") -> np.ndarray:
    """A (T, H, W) mask video as float32 in [0, 1], read as :func:`tempcons.masks.as_unit` reads it."""
    masks = np.asarray(masks)
    if masks.ndim != 3 or len(masks) == 0:
        raise ValueError(f"{name} must be (T, H, W) masks with T >= 1, got shape {masks.shape}")
    return as_unit(masks, name)


def temporal_change(masks: np.ndarray) -> np.ndarray:
    """Mean |v_{t+1} - v_t| over pixels for each pair, with no motion compensation.

    VBench's "temporal flickering" score of a clip is ``1 - temporal_change(v).mean()`` (it
    states it as (255 - MAE) / 255 on uint8 frames).

    Parameters
    ----------
    masks : ndarray, (T, H, W)
        bool, uint8 (0..255) or float in [0, 1].

    Returns
    -------
    ndarray of float64, (T-1,)

    Examples
    --------
    >>> import numpy as np
    >>> temporal_change(np.array([[[0, 0]], [[1, 0]], [[1, 0]]], bool)).tolist()
    [0.5, 0.0]
    """
    v = _unit(masks)
    return np.abs(np.diff(v, axis=0)).reshape(len(v) - 1, -1).mean(axis=1, dtype=np.float64)


def flip_rate(masks: np.ndarray) -> np.ndarray:
    """Share of pixels whose label (value >= 0.5) changes from frame t to t+1, per pair.

    Examples
    --------
    >>> import numpy as np
    >>> flip_rate(np.array([[[0.2, 0.9]], [[0.7, 0.9]]])).tolist()
    [0.5]
    """
    b = _unit(masks) >= 0.5
    return (b[1:] != b[:-1]).reshape(len(b) - 1, -1).mean(axis=1)


def area_jitter(masks: np.ndarray) -> float:
    """Mean |A_t - A_{t-1}| / max(mean A, 1) of the binarised (>= 0.5) foreground area in pixels.

    A person standing still scores 0; a mask whose area blinks scores up to 2.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.zeros((3, 4, 4), bool); v[0, :2] = True; v[2, :2] = True
    >>> round(area_jitter(v), 3)  # areas 8, 0, 8: mean step 8, mean area 16/3
    1.5
    """
    return _area_jitter((_unit(masks) >= 0.5).reshape(len(masks), -1).sum(axis=1))


def _area_jitter(area) -> float:
    """:func:`area_jitter` of the per-frame areas."""
    area = np.asarray(area, dtype=np.float64)
    return float(np.abs(np.diff(area)).mean() / max(area.mean(), 1.0)) if len(area) > 1 else 0.0


def _boundary(mask: np.ndarray) -> np.ndarray:
    """Foreground pixels with a 4-neighbour outside (or at the image edge)."""
    inner = cv2.erode(mask.astype(np.uint8), np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return mask & ~inner.astype(bool)


def _mean_distance(src: np.ndarray, dst: np.ndarray) -> float:
    """Mean distance (px) from the pixels of ``src`` to the nearest pixel of ``dst``."""
    dist = cv2.distanceTransform((~dst).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return float(dist[src].mean())


def boundary_jitter(masks: np.ndarray, frames: np.ndarray | None = None, *, flow=None,
                    flow_source: str | None = None) -> WarpingError:
    """Per pair, the mean symmetric distance in pixels between the boundary of mask t and the
    boundary of mask t+1 warped into frame t (nearest warp), over the binarised (>= 0.5) masks.

    Without ``frames`` or ``flow`` the masks are compared where they are (zero flow): then real
    motion counts as jitter. A pair where either mask is empty scores NaN.

    Parameters
    ----------
    masks : ndarray, (T, H, W)
    frames : ndarray, (T, H, W, 3), optional
        Input frames for DIS flow.
    flow : (forward, backward) tuple of (T-1, H, W, 2), optional
    flow_source : str, optional

    Returns
    -------
    WarpingError
        ``per_pair`` in pixels, ``value`` their nanmean, ``protocol`` "tempcons-boundary-jitter".

    Examples
    --------
    >>> import numpy as np
    >>> v = np.zeros((2, 20, 20), bool); v[0, 5:15, 5:15] = True; v[1, 5:15, 7:17] = True
    >>> boundary_jitter(v).value  # unwarped: the 2-px move counts
    1.0
    >>> motion = np.zeros((1, 20, 20, 2), np.float32); motion[..., 0] = 2
    >>> boundary_jitter(v, flow=(motion, -motion)).value  # flow-compensated: none left
    0.0
    """
    b = _unit(masks) >= 0.5
    n, h, w = b.shape
    if frames is None and flow is None:
        still = np.zeros((n - 1, h, w, 2), np.float32)
        flow, flow_source = (still, still), "none (unwarped)"
    pairs, source = pair_flows((n, h, w), frames, flow, flow_source)
    per = np.full(max(n - 1, 0), np.nan)
    for t, (fw, _) in enumerate(pairs):
        a, c = _boundary(b[t]), _boundary(warp(b[t + 1], fw, order=0)[0])
        if a.any() and c.any():
            per[t] = 0.5 * (_mean_distance(a, c) + _mean_distance(c, a))
    finite = per[~np.isnan(per)]
    return WarpingError(per, float(finite.mean()) if finite.size else float("nan"), source,
                        "tempcons-boundary-jitter")


def flicker_heatmap(masks: np.ndarray, frames: np.ndarray | None = None, *, flow=None,
                    flow_source: str | None = None) -> np.ndarray:
    """Per-pixel mean of |W(v_{t+1}) - v_t| over the pairs where the pixel is visible (Lai's tests).

    Returns
    -------
    ndarray of float64, (H, W)
        NaN where a pixel is never visible. Same arguments as :func:`warping_error` (masks).

    Examples
    --------
    >>> import numpy as np
    >>> v = np.zeros((3, 4, 4), np.float32); v[1, 0, 0] = 1
    >>> still = np.zeros((2, 4, 4, 2), np.float32)
    >>> flicker_heatmap(v, flow=(still, still))[0, 0]
    np.float64(1.0)
    """
    v = _unit(masks)
    n, h, w = v.shape
    pairs, _ = pair_flows((n, h, w), frames, flow, flow_source)
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    for t, (fw, bw) in enumerate(pairs):
        vis = lai_visibility(fw, bw)
        total += np.where(vis, np.abs(warp(v[t + 1], fw)[0] - v[t]), 0.0)
        count += vis
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def flicker_timeline(masks: np.ndarray, frames: np.ndarray | None = None, *, flow=None,
                     flow_source: str | None = None) -> dict:
    """Every per-pair flicker series of one mask video, for plots and reports.

    Returns
    -------
    dict
        ``warping_error`` (Lai, on the binarised masks), ``soft_warping_error`` (on the values),
        ``boundary_jitter`` (px), ``temporal_change``, ``flip_rate`` — each a list of T-1
        floats — and ``flow_source``. Arguments as :func:`warping_error`.
    """
    v = _unit(masks)
    n, h, w = v.shape
    if flow is None:
        pairs, flow_source = pair_flows((n, h, w), frames, None, None)
        pairs = list(pairs)
        flow = (np.stack([f for f, _ in pairs]), np.stack([b for _, b in pairs])) if pairs else (
            np.zeros((0, h, w, 2), np.float32),) * 2
    binary = warping_error(v >= 0.5, flow=flow, flow_source=flow_source)
    return {"warping_error": binary.per_pair.tolist(),
            "soft_warping_error": warping_error(v, flow=flow, flow_source=flow_source).per_pair.tolist(),
            "boundary_jitter": boundary_jitter(v, flow=flow, flow_source=flow_source).per_pair.tolist(),
            "temporal_change": temporal_change(v).tolist(), "flip_rate": flip_rate(v).tolist(),
            "flow_source": binary.flow_source}
