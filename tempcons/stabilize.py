"""The stabilizer: offline :func:`stabilize` and streaming :class:`Stabilizer`, one code path.

Pipeline per frame: flow between consecutive frames (both directions, on a reduced grid) ->
forward-backward validity -> recursive temporal filter along the flow -> (with latency or
offline) the same filter run backwards over the future frames and merged -> guided refinement
with the frame as guide -> back to the caller's kind (binary: threshold with hysteresis).

Latency dial: ``latency=0`` is causal; ``latency=k`` emits frame t - k after frame t arrives,
using k future frames; ``latency=None`` (offline only) uses the whole clip. ``stabilize(...,
latency=k)`` runs the streaming object itself, so both give identical results.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from ._validate import check_flow, check_frame, check_frames, check_latency, check_unit_range
from .filters import temporal
from .instances import InstanceTracker
from .labels import LabelPipeline
from .masks import MaskFormat, check_kind, check_labels, check_probs, mask_format
from .pipeline import FlowArg, Frame, Pair, Pipeline, check_mask_size
from .presets import Settings, settings_for
from .probs import ProbPipeline

__all__ = ["stabilize", "Stabilizer"]


def _pipeline(kind: str | None, settings: Settings, flow: FlowArg) -> Pipeline:
    """The soft-mask pipeline, or the label vote for label and (tracked) instance maps."""
    if kind in ("labels", "instances"):
        return LabelPipeline(settings, flow)
    if kind == "probs":
        return ProbPipeline(settings, flow)
    return Pipeline(settings, flow)


@dataclass(eq=False)
class _Entry:
    fr: Frame
    pair: Pair | None
    state: temporal.TemporalState


class Stabilizer:
    """Streaming stabilizer: feed one frame and its mask at a time.

    Parameters
    ----------
    kind : {"binary", "soft", "alpha", "labels", "instances", "probs"} or None
        Mask kind; None infers it from the first mask (see :mod:`tempcons.masks`). Label maps
        are smoothed by a flow-aligned vote (:mod:`tempcons.labels`); instance maps are first
        given consistent ids (:class:`tempcons.InstanceTracker`), then smoothed the same way.
    preset : {"realtime", "balanced", "quality"} or Settings
        Named bundle of knobs.
    latency : int
        Frames of delay, >= 0. ``update`` for frame t returns frame ``t - latency``, which has
        seen ``latency`` future frames. 0 is causal.
    flow : None, "dis", "farneback" or callable
        Flow source. A callable ``flow(prev_frame, next_frame) -> (H, W, 2)`` float array (x, y
        displacement in pixels) is called twice per frame pair (both directions). Per-frame
        arrays can also be passed to :meth:`update`. For instances, the tracker matches ids
        along the same flow.
    **knobs
        Any field of :class:`tempcons.presets.Settings`, overriding the preset.

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
        self.settings = settings_for(preset, knobs)
        self.latency = check_latency(latency, allow_none=False)
        _check_flow_arg(flow, allow_arrays=False)
        check_kind(kind)
        self.kind = kind
        self._flow = flow
        self._tracker = None
        if kind == "instances":
            self._tracker = InstanceTracker()
        self.reset()

    def reset(self) -> None:
        """Forget all frames: the next ``update`` starts a new clip (sizes and kind may change)."""
        self._pipe = _pipeline(self.kind, self.settings, self._flow)
        if self._tracker is not None:
            self._tracker.reset()
        self._window: deque[_Entry] = deque()
        self._last: _Entry | None = None
        self._decision: np.ndarray | None = None
        self._count = 0

    def update(self, frame: np.ndarray, mask: np.ndarray, *, flow: Any = None) -> np.ndarray | None:
        """Add one frame; return the stabilized mask of frame ``t - latency``, or None before it exists.

        Parameters
        ----------
        frame : ndarray
            ``(H, W, 3)`` or ``(H, W)``, uint8 or float in [0, 1].
        mask : ndarray
            ``(h, w)`` mask of that frame (h, w <= H, W, same aspect ratio), of the kind given or
            inferred at the first frame.
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
            Bad frame, mask or flow; size or dtype changed from earlier frames.
        """
        where = f"#{self._count}"
        check_frame(frame, f"frame {where}")
        pipe = self._pipe
        if pipe.fmt is None:
            pipe.fmt = mask_format(mask, self.kind, f"mask {where}")
        else:
            _check_mask_like(mask, pipe.fmt, f"mask {where}")
        fr = pipe.prepare(frame, mask, where)
        prev = self._last
        pair = None
        if prev is not None:
            supplied = None if flow is None else _split_flow(flow, (*pipe.size, 2), f"flow for frame {where}")
            pair = pipe.pair(prev.fr, fr, supplied)
        if self._tracker is not None and not _track(self._tracker, fr, pair):
            pair = None  # a scene cut: nothing flows across it
        state = pipe.step(fr, prev.state, *pair.into_b) if pair else pipe.step(fr, None, None, None)
        entry = _Entry(fr, pair, state)
        if prev is not None and prev not in self._window:
            pipe.recycle(prev.state)
        self._window.append(entry)
        self._last = entry
        self._count += 1
        if len(self._window) > self.latency:
            return self._emit()
        return None

    def flush(self) -> list[np.ndarray]:
        """Return the stabilized masks still held (the last ``latency`` frames), oldest first."""
        out = []
        while self._window:
            out.append(self._emit())
        return out

    def _emit(self) -> np.ndarray:
        pipe = self._pipe
        window = self._window
        entry = window[0]
        if len(window) > 1:
            back = pipe.step(window[-1].fr, None, None, None)
            for i in range(len(window) - 2, -1, -1):
                link = window[i + 1].pair  # None after a scene cut: nothing flows across it
                done, back = back, pipe.step(window[i].fr, back if link else None,
                                             *(link.into_a if link else (None, None)))
                pipe.recycle(done)
            value = pipe.merge(entry.fr, entry.state.value, entry.state.total, back)
            pipe.recycle(back)
        else:
            value = entry.state.value
        link = entry.pair
        if link is None:
            out, self._decision = pipe.finish(entry.fr, value, None, None, None)
        else:
            out, self._decision = pipe.finish(entry.fr, value, self._decision, *link.into_b)
        window.popleft()
        if entry is not self._last:
            pipe.recycle(entry.state)
        return out


def _track(tracker, fr: Frame, pair: Pair | None) -> bool:
    """Give a frame's instance ids consistent numbers, in place; False at a scene cut.

    The tracker pulls the previous ids along the pair's flow into this frame, the flow the vote
    uses, so each pair's flow is computed once (at a cut it is computed and then not used: the
    cut is only known once the tracker has seen the frame). The ids it takes are the label
    path's, already upsampled to the frame size; relabelling is one-to-one, so their boundaries,
    hence the label confidence, do not change.
    """
    fr.evidence = tracker.update(fr.frame, fr.evidence, None if pair is None else pair.into_b[0])[0]
    return not tracker.cut


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


def _check_mask_like(mask: np.ndarray, fmt: MaskFormat, name: str) -> None:
    """Cheap per-frame check in streaming mode: same dtype as the first mask and values in range."""
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(mask).__name__}")
    if mask.dtype != fmt.dtype:
        raise TypeError(f"{name} has dtype {mask.dtype}, but the first mask had {fmt.dtype}")
    if fmt.is_labels:
        check_labels(mask, name)
    elif fmt.kind == "probs":
        check_probs(mask, name)
    elif mask.dtype.kind == "f":
        check_unit_range(mask, name, per_frame=False)
    elif fmt.is_binary and mask.dtype == np.uint8:
        if np.count_nonzero(mask[(mask != 0)] != fmt.scale):
            raise ValueError(f"{name} has values other than 0 and {int(fmt.scale)}, but the masks are "
                             "binary (as given, or inferred from the first mask); for probabilities "
                             "pass kind='soft'")


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
        aspect ratio; smaller masks are upsampled to the frame size.
    kind : {"binary", "soft", "alpha", "labels", "instances", "probs"} or None
        None infers it (see :mod:`tempcons.masks`); ambiguous input raises and asks for it.
        ``"labels"``: integer class ids, smoothed by a flow-aligned vote (:mod:`tempcons.labels`;
        knobs ``ignore_index``, ``label_margin``). ``"instances"``: integer instance ids, 0 =
        background, arbitrary per frame: made consistent by :func:`tempcons.track_instances`
        (causal), then smoothed as labels. ``"probs"``: ``(T, h, w, C)`` float class
        probabilities summing to 1, filtered with one weight per pixel for all classes
        (:mod:`tempcons.probs`); returned with the same shape.
    preset : {"realtime", "balanced", "quality"} or Settings
        Named bundle of knobs (see :mod:`tempcons.presets`).
    latency : int or None
        None (default) uses the whole clip, past and future. An int k gives exactly what
        :class:`Stabilizer` with ``latency=k`` gives; 0 is causal.
    flow : None, "dis", "farneback", callable, ndarray or (ndarray, ndarray)
        Flow source: OpenCV DIS (default) or Farneback; a callable ``flow(prev_frame,
        next_frame) -> (H, W, 2)``; or precomputed forward flows ``(T-1, H, W, 2)`` (frame t to
        t+1, x then y displacement), optionally with the backward flows (frame t+1 to t) as a
        tuple ``(forward, backward)``. Without backward flows they are obtained by inversion.
    progress : callable, optional
        Wraps each pass's loop over the frames, e.g. ``tqdm.tqdm``: it is called with a
        ``range`` of frame indices (so ``len`` gives the pass's total) and must yield them back.
        With ``latency=k`` there is one pass of T frames (the last k are emitted after it, at
        little cost); offline (``latency=None``) there are two, forward then backward, of T frames
        each (instance ids are tracked in the forward one).
    **knobs
        Any field of :class:`tempcons.presets.Settings`, overriding the preset.

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
    Offline (``latency=None``) keeps the forward pass's value and weight for every frame (8 bytes
    per pixel per frame, on top of the output) and one pair of flows at a time: the backward pass
    recomputes the flows rather than holding them for the whole clip. With ``latency=k`` memory
    holds k + 1 frames.

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
    if masks.ndim != (4 if kind == "probs" else 3):
        expected = "(T, H, W, C) class probabilities" if kind == "probs" else "(T, H, W)"
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
    fmt = mask_format(masks, kind)
    loop = progress or (lambda it: it)

    def supplied(t: int):
        """Arrays for the pair (t - 1, t)."""
        if arrays is None:
            return None
        return arrays[0][t - 1], None if arrays[1] is None else arrays[1][t - 1]

    if latency is not None:
        stab = Stabilizer(kind=fmt.kind, preset=settings_for(preset, knobs), latency=latency, flow=flow)
        stab._pipe.fmt = fmt
        out = np.empty((n, h, w, *masks.shape[3:]), fmt.dtype)
        k = 0
        for t in loop(range(n)):
            res = stab.update(frames[t], masks[t], flow=supplied(t) if t else None)
            if res is not None:
                out[k] = res
                k += 1
        for res in stab.flush():
            out[k] = res
            k += 1
        return out
    return _offline(frames, masks, fmt, settings_for(preset, knobs), flow, supplied, loop)


def _offline(frames, masks, fmt, settings, flow, supplied, loop) -> np.ndarray:
    """Whole-clip form: a causal pass forward, then one backward, merged frame by frame.

    Only the forward estimates (value and weight per frame) are kept; frames are prepared and
    flows computed again in the backward pass (the flows cost most), so memory holds one pair of
    flows at a time whatever the clip length. Instance ids are tracked in the forward pass, along
    its flows, and kept for the backward one; nothing flows across the scene cuts it finds.
    """
    pipe = _pipeline(fmt.kind, settings, flow)
    pipe.fmt = fmt
    n, h, w = frames.shape[:3]
    tracker = tracked = None
    cuts: set[int] = set()
    if fmt.kind == "instances":
        tracker, tracked = InstanceTracker(), np.empty((n, h, w), np.int32)
    fwd_value = fwd_total = None
    prev_fr, state = None, None
    for t in loop(range(n)):
        fr = pipe.prepare(frames[t], masks[t], f"#{t}")
        pair = None if prev_fr is None else pipe.pair(prev_fr, fr, supplied(t))
        if tracker is not None:
            if not _track(tracker, fr, pair):
                pair = None
                cuts.add(t)
            tracked[t] = fr.evidence
        done, state = state, pipe.step(fr, state if pair else None, *(pair.into_b if pair else (None, None)))
        if done is not None:
            pipe.recycle(done)
        if fwd_value is None:
            fwd_value = np.empty((n, *state.value.shape), np.float32)
            fwd_total = None if state.total is None else np.empty((n, *state.total.shape), np.float32)
        fwd_value[t] = state.value
        if fwd_total is not None:
            fwd_total[t] = state.total
        prev_fr = fr
    out = np.empty((n, h, w, *masks.shape[3:]), fmt.dtype)
    next_fr, back, decision = None, None, None
    for t in loop(range(n - 1, -1, -1)):
        fr = pipe.prepare(frames[t], masks[t] if tracked is None else tracked[t], f"#{t}")
        link = next_fr is not None and t + 1 not in cuts
        flow_ab, valid_ab = pipe.pair(fr, next_fr, supplied(t + 1)).into_a if link else (None, None)
        done, back = back, pipe.step(fr, back if link else None, flow_ab, valid_ab)
        if done is not None:
            pipe.recycle(done)
        value = pipe.merge(fr, fwd_value[t], None if fwd_total is None else fwd_total[t], back)
        out[t], decision = pipe.finish(fr, value, decision, flow_ab, valid_ab)
        next_fr = fr
    return out
