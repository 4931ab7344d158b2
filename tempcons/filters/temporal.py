"""Flow-aligned temporal bilateral filtering of mask evidence.

The value of a pixel becomes a weighted mean of its current evidence and the evidence carried
along the flow from neighbouring frames. Weights:

(a) photometric agreement between the frame and the flow-aligned neighbour frame (a wrong flow
    vector sees a different colour, so it gets no vote), a Gaussian of width ``sigma_color`` in
    grey level and chroma (a person and a background of the same brightness still differ in
    colour);
(b) temporal distance: the carried weight decays by ``memory`` per frame, so frame t - d weighs
    about ``memory ** d``;
(c) flow validity from the forward-backward check (and the image border);
(d) the segmenter's confidence, ``floor + (1 - floor) * min(|2m - 1|, |2 mean(m) - 1|)``, where
    ``mean(m)`` is the local box mean of the mask: deep inside or outside a hard 0/1 mask the
    confidence is high, near its boundary low. Multi-frame agreement enters through the carried
    weight: a current value that contradicts the history weakens it (``kappa``), so a one-frame
    blink is outvoted while a lasting change takes over within a frame or two.

Two forms share one step: the causal recursive form (one step per new frame, the state warped
once) and the bidirectional form (a causal pass in each direction, merged so that the frame's
own evidence counts once).

The state is warped with :func:`tempcons.warp.warp_fill` (OpenCV's remap): four float32
channels (weighted value, weight, grey, chroma) cost the same as one, and it is about twice as
fast as a Numba gather. Weighted values are interpolated (premultiplied), so the history's value
is exact where the weight is partial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels import temporal as _k
from ..warp import warp_fill

__all__ = ["TemporalState", "filter_step", "merge", "hysteresis", "new_state"]

_f32 = np.float32


@dataclass
class TemporalState:
    """The filter's state after one frame.

    Attributes
    ----------
    value : ndarray, float32, (H, W)
        Filtered evidence E in [0, 1].
    total : ndarray, float32, (H, W)
        Weight S behind ``value`` (the current confidence plus the history's share).
    packed : ndarray, float32, (H, W, 4)
        What the next step pulls along the flow: carried weight times value, carried weight,
        the frame's grey level and chroma in [0, 1].
    """

    value: np.ndarray
    total: np.ndarray
    packed: np.ndarray


def new_state(height: int, width: int) -> TemporalState:
    """An uninitialised state for ``filter_step(..., out=)``."""
    return TemporalState(np.empty((height, width), _f32), np.empty((height, width), _f32),
                         np.empty((height, width, 4), _f32))


def filter_step(evidence: np.ndarray, local_mean: np.ndarray, look: np.ndarray,
                previous: TemporalState | None, flow: np.ndarray | None, valid: np.ndarray | None,
                *, memory: float, sigma_color: float, kappa: float, max_weight: float,
                confidence_floor: float, out: TemporalState | None = None,
                scratch: np.ndarray | None = None) -> TemporalState:
    """One step of the recursive filter: pull ``previous`` along ``flow`` and blend.

    Parameters
    ----------
    evidence, local_mean : ndarray, float32, (H, W)
        Current evidence in [0, 1] and its local box mean.
    look : ndarray, (H, W, 2)
        The frame's grey level and chroma (:func:`tempcons._validate.as_look`): uint8 0..255 or
        float32 in [0, 1].
    previous : TemporalState or None
        State of the neighbouring frame; None starts the recursion (output = evidence).
    flow : ndarray, float32, (H, W, 2) or None
        Flow from this frame to the neighbour, x then y displacement in pixels.
    valid : ndarray, float32, (h, w) or None
        Forward-backward validity of ``flow`` in [0, 1], on a grid of any size with the frame's
        aspect ratio (read nearest).
    memory, sigma_color, kappa, max_weight, confidence_floor : float
        Filter knobs; see the module docstring.
    out : TemporalState, optional
        Arrays to write the result into (see :func:`new_state`), so that a stream reuses its
        buffers: fresh multi-megabyte arrays every frame cost page faults (about 15% of the frame
        time at 720p). Must not be ``previous``.
    scratch : ndarray, float32, (H, W, 4), optional
        Buffer for the warped history.

    Returns
    -------
    TemporalState
    """
    h, w = evidence.shape
    out = new_state(h, w) if out is None else out
    if previous is None:
        warped, valid, has_prev = out.packed, evidence, False
    else:
        warped, has_prev = warp_fill(previous.packed, flow, dst=scratch), True
    look_scale = _f32(1.0 / 255.0) if look.dtype == np.uint8 else _f32(1.0)
    _k.blend(evidence, local_mean, look, look_scale, warped, valid, has_prev, _f32(memory),
             _f32(0.5 / (sigma_color * sigma_color)), _f32(kappa), _f32(max_weight),
             _f32(confidence_floor), out.value, out.total, out.packed)
    return out


def merge(evidence: np.ndarray, local_mean: np.ndarray, value_a: np.ndarray, total_a: np.ndarray,
          value_b: np.ndarray, total_b: np.ndarray, *, confidence_floor: float) -> np.ndarray:
    """Merge the two one-sided estimates of one frame (bidirectional form).

    ``E = (S_a E_a + S_b E_b - c m) / (S_a + S_b - c)``: both passes include the frame's own
    evidence ``m`` with weight ``c``, which must count once. All arrays are float32 (H, W):
    the values E and totals S of two :class:`TemporalState` of the same frame.

    Returns
    -------
    ndarray, float32, (H, W)
    """
    out = np.empty(evidence.shape, _f32)
    _k.merge(evidence, local_mean, _f32(confidence_floor), value_a, total_a, value_b, total_b, out)
    return out


def hysteresis(value: np.ndarray, previous: np.ndarray | None, flow: np.ndarray | None,
               valid: np.ndarray | None, margin: float) -> np.ndarray:
    """Binarise ``value`` at 0.5, except that within 0.5 +- margin a pixel keeps its previous decision.

    Parameters
    ----------
    value : ndarray, float32, (H, W)
    previous : ndarray, uint8 0/1, (H, W) or None
        The neighbouring frame's decision, fetched along ``flow`` (nearest neighbour) where the
        flow is valid. None: plain threshold.
    flow, valid
        As for :func:`filter_step`.
    margin : float
        Half-width of the dead band, in [0, 0.5).

    Returns
    -------
    ndarray, uint8 0/1, (H, W)
    """
    if previous is None:
        return (value > 0.5).astype(np.uint8)
    out = np.empty(value.shape, np.uint8)
    _k.hysteresis(value, warp_fill(previous, flow, nearest=True, fill=255), valid, _f32(margin), out)
    return out
