"""The stabilizer's public face: offline :func:`stabilize` and streaming :class:`Stabilizer`.

Both check their arguments and hand the frames to one :class:`tempcons.engine.Engine`, which
walks through time the same way for both: per frame, the flows to the previous frame (both
directions, on a reduced grid) and their forward-backward validity, one temporal filter step
along the flow, with look-ahead the same filter run backwards over the future frames and merged,
guided refinement with the frame as guide, and the way back to the caller's kind (binary:
threshold with hysteresis). What a kind does is its strategy in :mod:`tempcons.kinds`.

Latency dial: ``latency=0`` is causal; ``latency=k`` emits frame t - k after frame t arrives,
using up to k future frames; ``latency=None`` (offline only) uses the whole clip.
``stabilize(..., latency=k)`` runs the engine exactly as :class:`Stabilizer` does, so both give
identical results.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from . import kinds  # noqa: F401  (registers the built-in kinds)
from ._validate import check_flow, check_frames, check_latency
from .engine import Engine
from .kind import kind_class
from .masks import check_mask_size, mask_format
from .settings import Settings, settings_for

__all__ = ["stabilize", "Stabilizer"]

FlowArg = None | str | Callable[[np.ndarray, np.ndarray], np.ndarray]


class Stabilizer:
    """Streaming stabilizer: feed one frame and its mask at a time.

    Parameters
    ----------
    kind : {"binary", "soft", "alpha", "labels", "instances", "probs"} or None
        Mask kind; None infers it from the first mask (see :mod:`tempcons.masks`). Label maps
        are smoothed by a flow-aligned vote (:mod:`tempcons.kinds.labels`); instance maps are
        first given consistent ids (:class:`tempcons.InstanceTracker`), then smoothed the same
        way. Any other registered kind (:func:`tempcons.kind.register_kind`).
    preset : {"realtime", "balanced", "quality"} or Settings
        Named bundle of knobs.
    latency : int
        Frames of delay, >= 0. ``update`` for frame t returns frame ``t - latency``, which has
        seen between ``latency // 2 + 1`` and ``latency`` future frames (exactly ``latency`` up
        to 2); a frame costs at most four filter steps whatever the latency. 0 is causal.
    flow : None, "dis", "farneback" or callable
        Flow source. A callable ``flow(prev_frame, next_frame) -> (H, W, 2)`` float array (x, y
        displacement in pixels) is called twice per frame pair (both directions). Per-frame
        arrays can also be passed to :meth:`update`. For instances, the tracker matches ids
        along the same flow.
    **knobs
        Any knob of :class:`tempcons.settings.Settings` by its own name (``memory=0.9``), overriding
        the preset. A knob the mask's kind does not use is an error.

    Raises
    ------
    ValueError, TypeError
        Unknown preset or knob, negative latency, bad flow argument.

    Examples
    --------
    >>> import numpy as np
    >>> import tempcons as tc
    >>> clip = tc.synthetic.make_clip(n_frames=5, height=48, width=64, seed=0)
    >>> stab = tc.Stabilizer(preset="realtime", latency=1)
    >>> outs = [stab.update(f, m) for f, m in zip(clip.frames, clip.masks)]
    >>> outs[0] is None, len(stab.flush())
    (True, 1)
    """

    def __init__(self, *, kind: str | None = None, preset: str | Settings = "balanced",
                 latency: int = 0, flow: FlowArg = None, **knobs: Any) -> None:
        settings = settings_for(preset, knobs)
        self.latency = check_latency(latency, allow_none=False)
        _check_flow_arg(flow, allow_arrays=False)
        self._engine = Engine(kind, settings, latency=self.latency, flow=flow, given=frozenset(knobs))
        self.settings = settings

    def reset(self) -> None:
        """Forget all frames: the next ``update`` starts a new clip (sizes and kind may change)."""
        self._engine.reset()

    def update(self, frame: np.ndarray, mask: np.ndarray, *, flow: Any = None) -> np.ndarray | None:
        """Add one frame; return the stabilized mask of frame ``t - latency``, or None before it exists.

        Parameters
        ----------
        frame : ndarray
            ``(H, W, 3)`` or ``(H, W)``, uint8 or float in [0, 1].
        mask : ndarray
            ``(h, w)`` mask of that frame (h, w <= H, W, same aspect ratio), of the kind given or
            inferred at the first frame (``(h, w, C)`` for ``kind="probs"``).
        flow : ndarray, or (forward, backward) tuple, optional
            Flow from the previous frame to this one, ``(H, W, 2)``; with a tuple, also the flow
            from this frame to the previous one (else it is obtained by inversion). Ignored for
            the first frame.

        Returns
        -------
        ndarray or None
            ``(H, W)`` mask in the input's kind and dtype, at frame resolution.

        Raises
        ------
        ValueError, TypeError
            Bad frame, mask or flow; size or dtype changed from earlier frames; a knob the
            mask's kind does not use (at the first frame, when the kind is inferred).
        """
        supplied = None
        if flow is not None and self._engine.count > 0:
            shape = (*np.shape(frame)[:2], 2)
            supplied = _split_flow(flow, shape, f"flow for frame #{self._engine.count}")
        out = self._engine.push(frame, mask, supplied)
        return out[0] if out else None

    def flush(self) -> list[np.ndarray]:
        """Return the stabilized masks still held (the last ``latency`` frames), oldest first."""
        return list(self._engine.flush())


def _check_flow_arg(flow: Any, allow_arrays: bool) -> None:
    if flow is None or callable(flow):
        return
    if isinstance(flow, str):
        if flow not in ("dis", "farneback"):
            raise ValueError(f"flow must be 'dis', 'farneback', a callable or arrays; got {flow!r}")
        return
    if allow_arrays and isinstance(flow, (np.ndarray, tuple)):
        return
    extra = ", an array (T-1, H, W, 2) or a (forward, backward) tuple" if allow_arrays else ""
    raise TypeError(f"flow must be None, 'dis', 'farneback', a callable{extra}; got {type(flow).__name__}")


def _split_flow(flow: Any, shape: tuple[int, ...], name: str) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(flow, tuple):
        if len(flow) != 2:
            raise ValueError(f"{name} must be a (forward, backward) pair, got a tuple of {len(flow)}")
        fw, bw = flow
        return check_flow(fw, f"{name} (forward)", shape), (
            None if bw is None else check_flow(bw, f"{name} (backward)", shape))
    return check_flow(flow, name, shape), None


def stabilize(frames: np.ndarray, masks: np.ndarray, *, kind: str | None = None,
              preset: str | Settings = "balanced", latency: int | None = None, flow: Any = None,
              progress: Callable[[Iterable], Iterable] | None = None, **knobs: Any) -> np.ndarray:
    """Make a clip's masks temporally consistent.

    Parameters
    ----------
    frames : ndarray
        ``(T, H, W, 3)`` (any channel order, the same for every frame) or ``(T, H, W)``, uint8
        or float in [0, 1].
    masks : ndarray
        ``(T, h, w)`` per-frame segmenter output: bool or 0/1, 0/255 uint8 (binary), float in
        [0, 1] or uint8 0..255 (soft probability or alpha), or integer ids (labels, instances). ``h, w <= H, W`` with the frames'
        aspect ratio. A refined kind (binary, soft, alpha) filters on a reduced working grid
        (``work_side``), or on the masks' own grid when that is coarser, and comes to frame size
        through the guided filter; the other kinds upsample smaller masks first.
    kind : {"binary", "soft", "alpha", "labels", "instances", "probs"} or None
        None infers it (see :mod:`tempcons.masks`); ambiguous input raises and asks for it.
        ``"labels"``: integer class ids, smoothed by a flow-aligned vote
        (:mod:`tempcons.kinds.labels`; knobs ``ignore_index``, ``margin``). ``"instances"``:
        integer instance ids, 0 = background, arbitrary per frame: made consistent by
        :class:`tempcons.InstanceTracker` (causal; knobs ``min_iou``, ``max_lost``, ...), then
        smoothed as labels. ``"probs"``: ``(T, h, w, C)`` float class probabilities summing to
        1, filtered with one weight per pixel for all classes (:mod:`tempcons.kinds.probs`);
        returned with the same shape. Any other registered kind (:func:`tempcons.kind.register_kind`).
    preset : {"realtime", "balanced", "quality"} or Settings
        Named bundle of knobs (see :mod:`tempcons.settings`).
    latency : int or None
        None (default) uses the whole clip, past and future. An int k gives exactly what
        :class:`Stabilizer` with ``latency=k`` gives: each frame sees between ``k // 2 + 1`` and
        k future frames (exactly k for k <= 2), at most four filter steps per frame; 0 is causal.
    flow : None, "dis", "farneback", callable, ndarray or (ndarray, ndarray)
        Flow source: OpenCV DIS (default) or Farneback; a callable ``flow(prev_frame,
        next_frame) -> (H, W, 2)``; or precomputed forward flows ``(T-1, H, W, 2)`` (frame t to
        t+1, x then y displacement), optionally with the backward flows (frame t+1 to t) as a
        tuple ``(forward, backward)``. Without backward flows they are obtained by inversion.
    progress : callable, optional
        Wraps the loop over the units of work, e.g. ``tqdm.tqdm``: it is called once with a
        ``range`` of them (so ``len`` gives the total) and must yield them back. With
        ``latency=k`` a unit is an emitted frame (T in all); offline (``latency=None``) also each
        frame of the backward sweep that precedes the emission (2T).
    **knobs
        Any knob of :class:`tempcons.settings.Settings` by its own name (``memory=0.9``), overriding
        the preset. A knob the mask's kind does not use is an error.

    Returns
    -------
    ndarray
        ``(T, H, W)`` masks of the same kind and dtype as the input, at frame resolution.

    Raises
    ------
    ValueError
        Wrong shapes, T = 0, frames and masks of different lengths, masks larger than frames or
        of another aspect ratio, NaN/Inf, values out of range for the kind, ambiguous kind,
        negative latency, flow arrays of the wrong shape.
    TypeError
        Wrong dtypes or argument types, unknown knobs.

    Notes
    -----
    Offline (``latency=None``) is the streaming walk with unbounded look-ahead: a backward sweep
    over the whole clip keeps each frame's backward value and weight (8 bytes per pixel per frame
    for masks, on top of the output), then the frames are emitted in order. The sweep and the
    emission each compute the flows again rather than holding them for the whole clip (instance
    maps are also tracked as they arrive, along a third computation). With ``latency=k`` memory
    holds k + 1 frames and what derives from them.

    Examples
    --------
    >>> import tempcons as tc
    >>> clip = tc.synthetic.make_clip(n_frames=6, height=48, width=64, seed=1)
    >>> out = tc.stabilize(clip.frames, clip.masks, preset="realtime")
    >>> out.shape == clip.masks.shape, out.dtype == clip.masks.dtype
    (True, True)
    """
    frames = check_frames(frames)
    if not isinstance(masks, np.ndarray):
        raise TypeError(f"masks must be a numpy array, got {type(masks).__name__}")
    ndim = 3 if kind is None else kind_class(kind).mask_ndim + 1
    if masks.ndim != ndim:
        expected = "(T, H, W)" if ndim == 3 else "(T, H, W, C)"
        raise ValueError(f"masks must have shape {expected}, got shape {masks.shape}")
    if len(masks) != len(frames):
        raise ValueError(f"frames and masks must have the same length, got {len(frames)} frames "
                         f"and {len(masks)} masks")
    check_mask_size(masks.shape[1:3], frames.shape[1:3], "masks")
    latency = check_latency(latency, allow_none=True)
    _check_flow_arg(flow, allow_arrays=True)
    n, h, w = frames.shape[:3]
    arrays = None
    if isinstance(flow, (np.ndarray, tuple)):
        arrays = _split_flow(flow, (n - 1, h, w, 2), "flow")
        flow = None
    fmt = mask_format(masks, kind) if kind is None else kind_class(kind).read_format(masks, "masks")
    units = iter((progress or iter)(range(n if latency is not None else 2 * n)))
    engine = Engine(fmt.kind, settings_for(preset, knobs), latency=latency, flow=flow, given=frozenset(knobs),
                    fmt=fmt, tick=lambda: next(units, None))
    out = np.empty((n, h, w, *masks.shape[3:]), fmt.dtype)
    k = 0
    for t in range(n):
        supplied = None if arrays is None or t == 0 else (
            arrays[0][t - 1], None if arrays[1] is None else arrays[1][t - 1])
        for res in engine.push(frames[t], masks[t], supplied):
            out[k] = res
            k += 1
    for res in engine.flush():
        out[k] = res
        k += 1
    for _ in units:  # let a progress bar finish
        pass
    return out
