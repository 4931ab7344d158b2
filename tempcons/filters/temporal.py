"""Flow-aligned temporal bilateral filtering of mask evidence.

The value of a pixel becomes a weighted mean of its current evidence and the evidence carried
along the flow from neighbouring frames. Weights:

(a) photometric agreement between the frame and the flow-aligned neighbour frame (a wrong flow
    vector sees a different colour, so it gets no vote), a Gaussian in grey level of width
    ``sigma_color``;
(b) temporal distance: the carried weight decays by ``memory`` per frame, so frame t - d weighs
    about ``memory ** d``;
(c) flow validity from the forward-backward check (and the image border);
(d) the segmenter's confidence, ``floor + (1 - floor) * min(|2m - 1|, |2 mean(m) - 1|)``, where
    ``mean(m)`` is the local box mean of the mask: deep inside or outside a hard 0/1 mask the
    confidence is high, near its boundary low. Multi-frame agreement enters through the carried
    weight: a current value that contradicts the history weakens it (``kappa``), so a one-frame
    blink is outvoted while a lasting change takes over within a frame or two.

Two forms share one kernel: the causal recursive form (one step per new frame, the state warped
once) and the bidirectional form (a causal pass in each direction, merged so that the frame's
own evidence counts once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels import temporal as _k

__all__ = ["TemporalState", "filter_step", "merge", "hysteresis"]

_f32 = np.float32


@dataclass
class TemporalState:
    """The filter's state after one frame, all ``(H, W)`` float32.

    Attributes
    ----------
    value : filtered evidence E in [0, 1].
    total : weight S behind ``value`` (the current confidence plus the history's share).
    carried : weight W carried to the next frame.
    gray : the frame's grey level in [0, 1], for the photometric test of the next step.
    """

    value: np.ndarray
    total: np.ndarray
    carried: np.ndarray
    gray: np.ndarray


def filter_step(evidence: np.ndarray, local_mean: np.ndarray, gray: np.ndarray,
                previous: TemporalState | None, flow: np.ndarray | None, valid: np.ndarray | None,
                *, memory: float, sigma_color: float, kappa: float, max_weight: float,
                confidence_floor: float) -> TemporalState:
    """One step of the recursive filter: pull ``previous`` along ``flow`` and blend.

    Parameters
    ----------
    evidence, local_mean, gray : ndarray, float32, (H, W)
        Current evidence in [0, 1], its local box mean, and the frame's grey level in [0, 1].
    previous : TemporalState or None
        State of the neighbouring frame; None starts the recursion (output = evidence).
    flow : ndarray, float32, (h, w, 2) or None
        Flow from this frame to the neighbour, on a grid of any size with the frame's aspect
        (vectors in that grid's pixels).
    valid : ndarray, float32, (h, w) or None
        Forward-backward validity of ``flow`` in [0, 1], on the flow's grid.
    memory, sigma_color, kappa, max_weight, confidence_floor : float
        Filter knobs; see the module docstring.

    Returns
    -------
    TemporalState
    """
    h, w = evidence.shape
    out = TemporalState(np.empty((h, w), _f32), np.empty((h, w), _f32), np.empty((h, w), _f32), gray)
    has_prev = previous is not None
    if not has_prev:
        previous = out
        flow = np.zeros((1, 1, 2), _f32)
        valid = np.zeros((1, 1), _f32)
    _k.recursive_step(evidence, local_mean, gray, previous.value, previous.carried, previous.gray,
                      flow, valid, has_prev, _f32(memory), _f32(0.5 / (sigma_color * sigma_color)),
                      _f32(kappa), _f32(max_weight), _f32(confidence_floor),
                      out.value, out.total, out.carried)
    return out


def merge(evidence: np.ndarray, local_mean: np.ndarray, a: TemporalState, b: TemporalState,
          *, confidence_floor: float) -> np.ndarray:
    """Merge the two one-sided estimates of one frame (bidirectional form).

    ``E = (S_a E_a + S_b E_b - c m) / (S_a + S_b - c)``: both passes include the frame's own
    evidence ``m`` with weight ``c``, which must count once.

    Returns
    -------
    ndarray, float32, (H, W)
    """
    out = np.empty(evidence.shape, _f32)
    _k.merge(evidence, local_mean, _f32(confidence_floor), a.value, a.total, b.value, b.total, out)
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
    out = np.empty(value.shape, np.uint8)
    has_prev = previous is not None
    if not has_prev:
        previous = out
        flow = np.zeros((1, 1, 2), _f32)
        valid = np.zeros((1, 1), _f32)
    _k.hysteresis(value, previous, flow, valid, has_prev, _f32(margin), out)
    return out
