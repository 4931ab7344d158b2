"""Warping error E_warp (Lai et al., ECCV 2018), the flicker measure that needs no ground truth.

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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._kernels import warp as _kwarp
from .._validate import check_flow, check_frames
from ..flow import estimate_flow, fb_consistency

__all__ = ["WarpingError", "warping_error", "lai_visibility", "clip_flows", "pair_flows"]


@dataclass(frozen=True)
class WarpingError:
    """Result of :func:`warping_error`.

    Attributes
    ----------
    per_pair : ndarray of float64, (T-1,)
        E_t for each pair (t, t+1).
    value : float
        Mean over pairs (0 for a single frame).
    flow_source : str
        Where the flow came from.
    """

    per_pair: np.ndarray
    value: float
    flow_source: str
    protocol: str = field(default="lai2018")


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


def clip_flows(frames: np.ndarray, *, preset: str = "medium", scale: float = 1.0):
    """Yield (forward, backward) DIS flows for each consecutive pair of a clip."""
    for t in range(len(frames) - 1):
        yield (estimate_flow(frames[t], frames[t + 1], preset=preset, scale=scale),
               estimate_flow(frames[t + 1], frames[t], preset=preset, scale=scale))


def pair_flows(shape: tuple[int, int, int], frames: np.ndarray | None, flow, flow_source: str | None):
    """(forward, backward) flow of each consecutive pair and where they came from.

    ``flow`` is a (forward, backward) tuple of (T-1, H, W, 2) arrays (labelled ``flow_source``,
    default "caller"); without it, DIS "medium" at full resolution on ``frames``, lazily.
    """
    n, h, w = shape
    if flow is None:
        if frames is None:
            raise ValueError("give the input frames (to compute the flow on) or flow=(forward, backward)")
        frames = check_frames(frames)
        if frames.shape[:3] != (n, h, w):
            raise ValueError(f"frames {frames.shape[:3]} and the evaluated video {(n, h, w)} must have the same T, H, W")
        return clip_flows(frames), "opencv-dis-medium-full"
    if not (isinstance(flow, tuple) and len(flow) == 2):
        raise TypeError("flow must be a (forward, backward) tuple of (T-1, H, W, 2) arrays")
    fw = check_flow(flow[0], "flow[0] (forward)", (n - 1, h, w, 2))
    bw = check_flow(flow[1], "flow[1] (backward)", (n - 1, h, w, 2))
    return zip(fw, bw), flow_source or "caller"


def warping_error(video: np.ndarray, frames: np.ndarray | None = None, *, flow=None,
                  visibility: np.ndarray | None = None, flow_source: str | None = None) -> WarpingError:
    """Lai et al.'s warping error of a video (masks, mattes or images).

    Parameters
    ----------
    video : ndarray
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
    >>> warping_error(v, flow=(fw, fw)).value
    0.0
    """
    video = np.asarray(video)
    if video.ndim not in (3, 4) or len(video) == 0:
        raise ValueError(f"video must have shape (T, H, W) or (T, H, W, C) with T >= 1, got {video.shape}")
    n, h, w = video.shape[:3]
    pairs, source = pair_flows((n, h, w), frames, flow, flow_source)
    if visibility is not None and visibility.shape != (n - 1, h, w):
        raise ValueError(f"visibility must have shape {(n - 1, h, w)}, got {visibility.shape}")
    scale = 1.0 / 255.0 if video.dtype == np.uint8 else 1.0
    planes = video[..., None] if video.ndim == 3 else video
    per = np.zeros(max(n - 1, 0))
    warped = np.empty((h, w), np.float32)
    inside = np.empty((h, w), np.bool_)
    for t, (f, b) in enumerate(pairs):
        vis = visibility[t] if visibility is not None else lai_visibility(f, b)
        cur = planes[t].astype(np.float32) * np.float32(scale)
        nxt = planes[t + 1].astype(np.float32) * np.float32(scale)
        total = 0.0
        for c in range(cur.shape[2]):
            _kwarp.warp_plane(np.ascontiguousarray(nxt[..., c]), f, False, warped, inside)
            total += float(np.sum(((warped - cur[..., c]) ** 2)[vis], dtype=np.float64))
        count = float(vis.sum()) * cur.shape[2]
        per[t] = total / (count if count > 0 else h * w * cur.shape[2])
    return WarpingError(per, float(per.mean()) if len(per) else 0.0, source)
