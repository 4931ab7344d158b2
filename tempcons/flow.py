"""Dense optical flow, forward-backward consistency and flow inversion.

Convention, stated once for the whole package: a flow is a float32 array ``(H, W, 2)`` on the
grid of the frame it starts from; ``flow[y, x, 0]`` is the horizontal (x, column) displacement
and ``flow[y, x, 1]`` the vertical (y, row) one, as OpenCV returns it. The flow from frame a to
frame b says where pixel ``(x, y)`` of a lands in b: ``(x + flow[y, x, 0], y + flow[y, x, 1])``.
Flows the caller supplies in another order must be converted before they reach tempcons.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import cv2
import numpy as np

from ._kernels import flow as _k
from ._validate import as_gray_uint8, check_flow, check_frame, check_frames, shrink_area

__all__ = ["FlowSource", "Pair", "FlowEstimator", "estimate_flow", "clip_flows", "pair_flows", "fb_consistency", "invert_flow", "METHODS",
           "DIS_PRESETS"]

_DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
METHODS = ("dis", "farneback")
DIS_PRESETS = tuple(_DIS_PRESETS)


def _dis_min_size(dis: cv2.DISOpticalFlow) -> tuple[int, int]:
    """Smallest (short, long) image sides on which ``dis`` runs with its preset's pyramid.

    DIS picks its coarsest level as ``min(int(log2(long / (4 p)) + 0.5), int(log2(short / p)))``
    for patch size p. When that is below the preset's finest level it raises (coarsest < 0),
    or re-selects its levels from the image width alone and keeps them for every later call;
    on wide images the re-selected levels are smaller than a patch and it reads out of bounds
    (a segfault). Measured on OpenCV 5.0 for every size to 99 x 99 and strips to 4000 px:
    32 x 91 for "ultrafast" and "fast", 16 x 46 for "medium" are exactly the sizes that avoid both.
    """
    patch, finest = dis.getPatchSize(), dis.getFinestScale()
    return patch << finest, math.ceil(4 * patch * 2.0 ** (finest - 0.5))


class FlowEstimator:
    """An OpenCV flow method bound to its settings, working at a reduced resolution.

    State is real here: the DIS object is built once and reused for every pair, and
    :meth:`both` keeps a second one on a thread of its own.

    Parameters
    ----------
    method : {"dis", "farneback"}
        OpenCV DIS (default; multi-threaded, fast) or Farneback (single-threaded, 15-20x slower
        than DIS "fast" and no more accurate on our measurements; offered for comparison).
    preset : {"ultrafast", "fast", "medium"}
        DIS preset. Ignored by Farneback.
    scale : float
        Working resolution as a fraction of the frame size, in (0, 1]. Flow at 0.5 costs a
        third of full resolution for about 0.2 px more end-point error. Frames are never
        shrunk below ``min_side`` pixels on their short side: coarser flow misses thin parts.
    min_side : int
        Smallest short side of the working grid (frames already smaller are not shrunk).

    Notes
    -----
    DIS keeps its preset only on images of at least 32 x 91 px ("ultrafast", "fast") or
    16 x 46 px ("medium"); below that it fails or changes its settings for good (see
    ``_dis_min_size``). Smaller working grids are padded by edge replication, on the bottom and
    right, before the flow is computed, and the flow is cropped back, so every frame size works;
    the flow of a frame that small is only as good as its few pixels allow. Farneback takes any
    size.

    Raises
    ------
    ValueError
        If ``method``, ``preset`` or ``scale`` is not one of the accepted values.
    """

    def __init__(self, method: str = "dis", preset: str = "fast", scale: float = 0.5,
                 min_side: int = 240) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if preset not in _DIS_PRESETS:
            raise ValueError(f"preset must be one of {tuple(_DIS_PRESETS)}, got {preset!r}")
        if not 0.0 < float(scale) <= 1.0:
            raise ValueError(f"scale must be in (0, 1], got {scale!r}")
        self.method = method
        self.preset = preset
        self.scale = float(scale)
        self.min_side = int(min_side)
        self._dis = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset]) if method == "dis" else None
        self._dis_min = _dis_min_size(self._dis) if self._dis is not None else None
        self._second: tuple[cv2.DISOpticalFlow, ThreadPoolExecutor, int] | None = None  # made by both(), with its pid

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) of the grid the flow is computed on, for frames of the given size."""
        scale = min(1.0, max(self.scale, self.min_side / min(height, width)))
        return max(1, round(height * scale)), max(1, round(width * scale))

    def shrink(self, gray: np.ndarray) -> np.ndarray:
        """Resize a uint8 grey frame to the working grid (area averaging)."""
        h, w = self.working_size(*gray.shape)
        if (h, w) == gray.shape:
            return gray
        return cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA)

    def __call__(self, small_a: np.ndarray, small_b: np.ndarray) -> np.ndarray:
        """Flow a -> b between two uint8 grey images already on the working grid, in its pixels."""
        if self._dis is None:
            return cv2.calcOpticalFlowFarneback(small_a, small_b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        return self._calc(self._dis, small_a, small_b)

    def both(self, small_a: np.ndarray, small_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flows a -> b and b -> a, as two calls would give them.

        With DIS and more than one OpenCV thread the two directions run at once, b -> a on a
        thread of the estimator's own with a DIS object of its own (one keeps buffers between
        calls, so it cannot serve two at a time). OpenCV spreads a DIS call poorly over two cores
        on a small grid: at 427 x 240, both directions took 2.1-2.5 ms one after the other and
        1.3-1.9 ms at once, with identical flows. With one thread (``set_threads(1)``, a
        worker of a cluster) they run one after the other.
        """
        if self._dis is None or cv2.getNumThreads() < 2:
            return self(small_a, small_b), self(small_b, small_a)
        # Made again in a forked child: the parent's thread is not there, and its pool would
        # wait for it forever.
        if self._second is None or self._second[2] != os.getpid():
            self._second = (cv2.DISOpticalFlow_create(_DIS_PRESETS[self.preset]),
                            ThreadPoolExecutor(1, thread_name_prefix="tempcons-flow"), os.getpid())
        dis, thread, _ = self._second
        ba = thread.submit(self._calc, dis, small_b, small_a)
        return self._calc(self._dis, small_a, small_b), ba.result()

    def _calc(self, dis: cv2.DISOpticalFlow, small_a: np.ndarray, small_b: np.ndarray) -> np.ndarray:
        """DIS flow a -> b, padded to the preset's smallest size (see Notes) and cropped back."""
        height, width = small_a.shape
        rows, cols = self._padding(height, width)
        if not (rows or cols):
            return dis.calc(small_a, small_b, None)
        pad = (0, rows, 0, cols, cv2.BORDER_REPLICATE)
        flow = dis.calc(cv2.copyMakeBorder(small_a, *pad), cv2.copyMakeBorder(small_b, *pad), None)
        return np.ascontiguousarray(flow[:height, :width])

    def _padding(self, height: int, width: int) -> tuple[int, int]:
        """Rows and columns to add to a ``height x width`` image for DIS (see Notes)."""
        short, long = self._dis_min
        tall = height > width
        rows = max(0, (long if tall else short) - height)
        cols = max(0, (short if tall else long) - width)
        return rows, cols

    def __repr__(self) -> str:
        return (f"FlowEstimator(method={self.method!r}, preset={self.preset!r}, scale={self.scale}, "
                f"min_side={self.min_side})")


def resize_flow(flow: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a flow to ``(height, width)`` and scale its vectors to the new grid's pixels
    (bilinear to enlarge, averaged to shrink: :func:`~tempcons._validate.shrink_area`)."""
    h, w = flow.shape[:2]
    if (h, w) == (height, width):
        return flow
    scale = (width / w, height / h, 0.0, 0.0)
    if height <= h and width <= w:  # scale the vectors on the smaller of the two grids
        small = shrink_area(flow, height, width)
        return cv2.multiply(small, scale, dst=small)
    return cv2.resize(cv2.multiply(flow, scale), (width, height), interpolation=cv2.INTER_LINEAR)


def estimate_flow(frame_a: np.ndarray, frame_b: np.ndarray, *, method: str = "dis",
                  preset: str = "fast", scale: float = 0.5) -> np.ndarray:
    """Dense flow from ``frame_a`` to ``frame_b`` at frame resolution.

    Parameters
    ----------
    frame_a, frame_b : ndarray
        ``(H, W, 3)`` or ``(H, W)`` frames, uint8 or float in [0, 1], same size.
    method, preset, scale
        As for :class:`FlowEstimator`.

    Returns
    -------
    flow : ndarray, float32, shape (H, W, 2)
        x then y displacement in pixels (the package convention, see module docstring).

    Raises
    ------
    ValueError, TypeError
        On frames of the wrong shape, dtype or size, or NaN values.

    Examples
    --------
    >>> import numpy as np
    >>> from tempcons.flow import estimate_flow
    >>> rng = np.random.default_rng(0)
    >>> a = (rng.random((64, 64)) * 255).astype(np.uint8)
    >>> estimate_flow(a, a).shape
    (64, 64, 2)
    """
    check_frame(frame_a, "frame_a")
    check_frame(frame_b, "frame_b")
    if frame_a.shape[:2] != frame_b.shape[:2]:
        raise ValueError(f"frame_a and frame_b must have the same size, got {frame_a.shape[:2]} "
                         f"and {frame_b.shape[:2]}")
    est = FlowEstimator(method, preset, scale)
    small_a = est.shrink(as_gray_uint8(frame_a))
    small_b = est.shrink(as_gray_uint8(frame_b))
    return resize_flow(est(small_a, small_b), *frame_a.shape[:2])


def clip_flows(frames: np.ndarray, *, preset: str = "medium", scale: float = 1.0):
    """Yield (forward, backward) DIS flows for each consecutive pair of a clip.

    Parameters
    ----------
    frames : ndarray, (T, H, W, 3) or (T, H, W)
    preset : str
        DIS preset ("medium": the metrics' measuring flow).
    scale : float
        Resolution the flow is computed at (1.0: full, as the metrics use it).

    Yields
    ------
    (ndarray, ndarray)
        Flow t -> t+1 and t+1 -> t, float32 (H, W, 2), for t = 0 .. T-2.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((3, 32, 32, 3), np.uint8)
    >>> [f.shape for f, _ in clip_flows(frames)]
    [(32, 32, 2), (32, 32, 2)]
    """
    # One estimator for the clip, and each frame shrunk once: estimate_flow would build a DIS
    # object and shrink both frames for every direction of every pair.
    est = FlowEstimator("dis", preset, scale)
    h, w = frames.shape[1:3]

    def shrunk(t: int) -> np.ndarray:
        return est.shrink(as_gray_uint8(check_frame(frames[t], f"frames[{t}]")))

    a = shrunk(0) if len(frames) else None
    for t in range(1, len(frames)):
        b = shrunk(t)
        ab, ba = est.both(a, b)
        yield resize_flow(ab, h, w), resize_flow(ba, h, w)
        a = b


def pair_flows(shape: tuple[int, int, int], frames: np.ndarray | None, flow, flow_source: str | None):
    """(forward, backward) flow of each consecutive pair and where they came from, as the metrics
    take it: the caller's, or DIS "medium" at full resolution on ``frames``.

    Parameters
    ----------
    shape : (int, int, int)
        (T, H, W) of the video the flow is for.
    frames : ndarray, (T, H, W, 3) or (T, H, W), optional
        To compute the flow on, lazily (one pair at a time), when ``flow`` is None.
    flow : tuple (forward, backward) of (T-1, H, W, 2) arrays, optional
    flow_source : str, optional
        Label of a given ``flow`` (default "caller").

    Returns
    -------
    pairs : iterable of (ndarray, ndarray)
        Float32 flow t -> t+1 and t+1 -> t per pair.
    source : str

    Raises
    ------
    ValueError, TypeError
        Neither frames nor flow, or shapes that do not fit.

    Examples
    --------
    >>> import numpy as np
    >>> still = np.zeros((2, 4, 4, 2), np.float32)
    >>> pairs, source = pair_flows((3, 4, 4), None, (still, still), None)
    >>> len(list(pairs)), source
    (2, 'caller')
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


def fb_consistency(flow_ab: np.ndarray, flow_ba: np.ndarray, *, alpha: float = 0.01,
                   beta: float = 0.5, motion_boundary: bool = False,
                   outside_valid: bool = False) -> np.ndarray:
    """Pixels of frame a whose flow survives the forward-backward check.

    A pixel is consistent when ``|w_ab + w_ba(x + w_ab)|^2 <= alpha (|w_ab|^2 + |w_ba(x + w_ab)|^2)
    + beta`` (Sundaram et al. 2010) and it lands inside frame b. With ``motion_boundary=True``
    pixels where ``|grad u|^2 + |grad v|^2 > 0.01 |w_ab|^2 + 0.002`` (forward differences) are
    also rejected, as in Lai et al. (2018).

    Parameters
    ----------
    flow_ab : ndarray, (H, W, 2)
        Flow from a to b on a's grid.
    flow_ba : ndarray, (H', W', 2)
        Flow from b to a on b's grid (the same size as a's for frames of one video).
    alpha, beta : float
        Thresholds of the test; ``beta`` is in squared pixels of the flow's grid.
    motion_boundary : bool
        Also reject motion boundaries.
    outside_valid : bool
        Keep pixels whose flow leaves frame b (testing them with the border-clamped backward
        flow) instead of rejecting them.

    Returns
    -------
    valid : ndarray of bool, (H, W)

    Raises
    ------
    ValueError, TypeError
        If a flow is not a finite float array of shape ``(H, W, 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.full((4, 5, 2), 0.5, np.float32)
    >>> int(fb_consistency(f, -f).sum())  # the last row and column land outside frame b
    12
    >>> int(fb_consistency(f, -f, outside_valid=True).sum())
    20
    """
    flow_ab = check_flow(flow_ab, "flow_ab")
    flow_ba = check_flow(flow_ba, "flow_ba")
    out = np.empty(flow_ab.shape[:2], np.float32)
    mb_alpha = np.float32(0.01 if motion_boundary else -1.0)
    _k.fb_consistency(flow_ab, flow_ba, np.float32(alpha), np.float32(beta), mb_alpha,
                      np.float32(0.002), outside_valid, out)
    return out > 0.5


def invert_flow(flow_ab: np.ndarray, *, iterations: int = 8) -> np.ndarray:
    """Approximate the flow b -> a from the flow a -> b by fixed-point iteration.

    Solves ``w_ba(x) = -w_ab(x + w_ba(x))`` on a's grid (used as b's, which has the same size).
    Exact for smooth motion; at occlusions there is no inverse, and the result there is
    whichever side the iteration settles on, so a flow obtained this way passes the
    forward-backward check by construction: rely on the photometric weight where it matters.

    Parameters
    ----------
    flow_ab : ndarray, (H, W, 2)
    iterations : int
        Fixed-point iterations, at least 1.

    Returns
    -------
    flow_ba : ndarray, float32, (H, W, 2)

    Raises
    ------
    ValueError
        If ``iterations < 1`` or the flow is malformed.
    """
    flow_ab = check_flow(flow_ab, "flow_ab")
    if int(iterations) < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations!r}")
    out = np.empty_like(flow_ab)
    _k.invert_flow(flow_ab, int(iterations), out)
    return out



@dataclass
class Pair:
    """The flows between consecutive frames a -> b, and their validity.

    ``ab`` and ``ba`` are on the flow's grid (the estimator's, or the caller's frame size).
    ``into_b`` and ``into_a`` give the flow that pulls the other frame's values into this one, on
    the working grid ``grid`` (where the kinds filter), with its forward-backward validity; each
    is computed once, when first asked for. The check runs on the coarser of the two grids (the
    kernels read the validity nearest): when the kinds filter on a grid coarser than the flow's,
    the flows are first shrunk to it, which makes the check several times cheaper.
    """

    ab: np.ndarray
    ba: np.ndarray
    grid: tuple[int, int]
    size: tuple[int, int]  # the frames'
    alpha: np.float32
    beta: float  # squared pixels of the frame

    @cached_property
    def _checked(self) -> tuple[np.ndarray, np.ndarray, np.float32]:
        """Both flows on the grid the check runs on, and beta in its squared pixels."""
        ab, ba = self.ab, self.ba
        h, w = self.grid
        if h * w < ab.shape[0] * ab.shape[1]:
            ab, ba = resize_flow(ab, h, w), resize_flow(ba, h, w)
        ratio = ab.shape[1] / self.size[1]
        return ab, ba, np.float32(self.beta * ratio * ratio)

    def _prepare(self, into_b: bool) -> tuple[np.ndarray, np.ndarray]:
        ab, ba, beta = self._checked
        flow, other = (ba, ab) if into_b else (ab, ba)
        valid = np.empty(flow.shape[:2], np.float32)
        _k.fb_consistency(flow, other, self.alpha, beta, np.float32(-1.0), np.float32(0.0), False, valid)
        return resize_flow(flow, *self.grid), valid

    @cached_property
    def into_b(self) -> tuple[np.ndarray, np.ndarray]:
        """Flow b -> a on b's working grid, and its validity: pulls a's values into b."""
        return self._prepare(True)

    @cached_property
    def into_a(self) -> tuple[np.ndarray, np.ndarray]:
        """Flow a -> b on a's working grid, and its validity: pulls b's values into a."""
        return self._prepare(False)


class FlowSource:
    """Where the flows between consecutive frames come from: an estimator, a callable or arrays.

    Both directions of a pair are obtained once and shared by everything that needs them (the
    temporal filter, hysteresis, the instance tracker).

    Parameters
    ----------
    settings : FlowSettings
        The flow knobs (:class:`tempcons.settings.FlowSettings`).
    source : None, "dis", "farneback" or callable
        None uses ``settings.flow_method``; a callable ``flow(frame_a, frame_b) -> (H, W, 2)`` is
        called twice per pair (both directions), at frame resolution.
    """

    def __init__(self, settings, source: None | str | Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        self.call = source if callable(source) else None
        method = source if isinstance(source, str) else settings.flow_method
        self.estimator = None if self.call else FlowEstimator(method, settings.flow_preset, settings.flow_scale)
        self.alpha = np.float32(settings.fb_alpha)
        self.beta = settings.fb_beta
        # The finest grid worth estimating on: masks coarser than the frames (a segmenter's own
        # resolution) carry no motion finer than their pixels, and a flow four times smaller
        # costs a quarter. Set by the engine per clip; None: the estimator's grid.
        self.finest: tuple[int, int] | None = None

    def shrink(self, gray: np.ndarray) -> np.ndarray | None:
        """A uint8 grey frame on the estimator's grid, or on ``finest`` when that is coarser (None
        for a callable, which takes frames)."""
        if self.estimator is None:
            return None
        if self.finest is not None:
            h, w = self.estimator.working_size(*gray.shape)
            if self.finest[0] * self.finest[1] < h * w:
                return shrink_area(gray, *self.finest)
        return self.estimator.shrink(gray)

    def pair(self, frame_a: np.ndarray, small_a: np.ndarray | None, frame_b: np.ndarray,
             small_b: np.ndarray | None, supplied: tuple[np.ndarray, np.ndarray | None] | None = None,
             grid: tuple[int, int] | None = None) -> Pair:
        """The pair a -> b: the caller's ``(forward, backward or None)`` arrays, else computed;
        its links are on ``grid`` (default: the frames' size)."""
        size = frame_a.shape[:2]
        if supplied is not None:
            ab, ba = supplied
            ba = invert_flow(ab) if ba is None else ba
        elif self.call is not None:
            name = "flow(prev_frame, next_frame)"
            ab = check_flow(self.call(frame_a, frame_b), name, (*size, 2))
            ba = check_flow(self.call(frame_b, frame_a), name, (*size, 2))
        else:
            ab, ba = self.estimator.both(small_a, small_b)
        return Pair(ab, ba, grid or size, size, self.alpha, self.beta)
