"""Binary masks, soft masks and mattes: evidence in [0, 1], filtered along the flow and refined.

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

The two directions are merged so that the frame's own evidence counts once, and a current value
that neither direction's history shows loses its weight there (``outlier_rejection``), so a
one-frame false blob is outvoted by the frames on both sides. The state is warped
with :func:`tempcons.warp.warp_fill` (OpenCV's remap): four float32 channels (weighted value,
weight, grey, chroma) cost the same as one, and it is about twice as fast as a Numba gather.
Weighted values are interpolated (premultiplied), so the history's value is exact where the
weight is partial. Binary masks are decided with hysteresis: a pixel within ``margin`` of 0.5
keeps its previous decision, fetched along the flow. Soft masks and mattes are returned as
values, in the caller's dtype and scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .._kernels import temporal as _k
from ..guided import resize_mask
from ..kind import Kind, Link, View, register_kind
from ..masks import MaskFormat, from_unit, to_unit
from ..settings import knob_names
from ..warp import warp_fill

__all__ = ["Soft", "Binary", "Alpha", "Evidence", "TemporalState"]

_f32 = np.float32


@dataclass
class Evidence:
    """A mask as evidence on the working grid: float32 values in [0, 1] and their local box mean."""

    value: np.ndarray
    local_mean: np.ndarray


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


@register_kind
class Soft(Kind):
    """Probabilities in [0, 1] (float, or uint8/uint16 scaled), returned as values."""

    name = "soft"
    knobs = knob_names("flow", "filter", "refinement")
    defaults = {"sigma_color": 0.1, "kappa": 0.6, "confidence_floor": 0.2, "outlier_rejection": 2.0, "refine_eps": 1e-3,
                "refine_scale": 0.25}
    refines = True

    def __init__(self, settings, fmt: MaskFormat) -> None:
        super().__init__(settings, fmt)
        self._scratch: np.ndarray | None = None  # the warped history, reused every step

    def encode(self, view: View, mask: np.ndarray) -> Evidence:
        h, w = view.look.shape[:2]
        value = resize_mask(to_unit(mask, self.fmt), h, w)
        r = round(self.settings.filter.confidence_radius * np.hypot(h, w))
        return Evidence(value, cv2.blur(value, (2 * r + 1, 2 * r + 1)) if r > 0 else value)

    def step(self, evidence: Evidence, view: View, previous: TemporalState | None, link: Link | None,
             out: TemporalState | None) -> TemporalState:
        """Pull ``previous`` along the link's flow and blend. ``out`` is written into when given,
        so that a stream reuses its buffers: fresh multi-megabyte arrays every frame cost page
        faults (about 15% of the frame time at 720p)."""
        f = self.settings.filter
        h, w = evidence.value.shape
        out = out or TemporalState(np.empty((h, w), _f32), np.empty((h, w), _f32), np.empty((h, w, 4), _f32))
        if previous is None:
            warped, valid, has_prev = out.packed, evidence.value, False
        else:
            if self._scratch is None or self._scratch.shape[:2] != (h, w):
                self._scratch = np.empty((h, w, 4), _f32)
            warped, valid, has_prev = warp_fill(previous.packed, link[0], dst=self._scratch), link[1], True
        look_scale = _f32(1.0 / 255.0) if view.look.dtype == np.uint8 else _f32(1.0)
        _k.blend(evidence.value, evidence.local_mean, view.look, look_scale, warped, valid, has_prev,
                 _f32(f.memory), _f32(0.5 / (f.sigma_color * f.sigma_color)), _f32(f.kappa), _f32(f.max_weight),
                 _f32(f.confidence_floor), out.value, out.total, out.packed)
        return out

    def side(self, state: TemporalState) -> TemporalState:
        return TemporalState(state.value.copy(), state.total.copy(), None)

    def merge(self, evidence: Evidence, forward: TemporalState, backward: TemporalState) -> np.ndarray:
        """``E = (S_a E_a + S_b E_b - c m) / (S_a + S_b - c)``: both directions include the
        frame's own evidence ``m`` with weight ``c``, which must count once; with
        ``outlier_rejection``, less than once where both histories disagree with it."""
        out = np.empty(evidence.value.shape, _f32)
        f = self.settings.filter
        _k.merge(evidence.value, evidence.local_mean, _f32(f.confidence_floor), forward.value, forward.total,
                 backward.value, backward.total, _f32(f.outlier_rejection), out)
        return out

    def value(self, state: TemporalState) -> np.ndarray:
        return state.value

    def decide(self, evidence: Evidence, value: np.ndarray, previous: None, link: Link | None) -> tuple[np.ndarray, None]:
        return from_unit(value, self.fmt), None


@register_kind
class Alpha(Soft):
    """Mattes: as :class:`Soft`, with defaults that keep fine structure.

    A matte value carried along a wrong flow vector shows in full as a ghost or a lagging edge,
    so the photometric weight is tighter (``sigma_color``) and a value the frame contradicts is
    not pulled toward the past (``kappa``); where a matte is uncertain (near 0.5) its current
    value weighs less against the history (a lower ``confidence_floor``); the refinement follows
    fine structure (lower ``refine_eps``) on a finer grid (``refine_scale``). Evidence:
    ``docs/tuning.md``.
    """

    name = "alpha"
    defaults = {**Soft.defaults, "sigma_color": 0.02, "kappa": 1.0, "confidence_floor": 0.05, "refine_eps": 1e-4,
                "refine_scale": 0.5}


@register_kind
class Binary(Soft):
    """0/1 masks (bool, 0/1 or 0/255), decided at 0.5 with hysteresis of half-width ``margin``."""

    name = "binary"
    knobs = Soft.knobs | {"margin"}
    defaults = {**Soft.defaults, "margin": 0.1}

    def __init__(self, settings, fmt: MaskFormat) -> None:
        super().__init__(settings, fmt)
        margin = self.settings.decision.margin
        if not margin < 0.5:
            raise ValueError(f"margin must be in [0, 0.5) for kind='binary' (a dead band around 0.5), got {margin!r}")

    def decide(self, evidence: Evidence, value: np.ndarray, previous: np.ndarray | None,
               link: Link | None) -> tuple[np.ndarray, np.ndarray]:
        """Within 0.5 +- margin a pixel keeps ``previous`` (a 0/1 uint8 decision at the frame's
        size), fetched along the link's flow (nearest) where the flow is valid; elsewhere, and
        without a previous decision, the threshold 0.5."""
        if previous is None:
            decision = (value > 0.5).astype(np.uint8)
        else:
            decision = np.empty(value.shape, np.uint8)
            _k.hysteresis(value, previous, link[0], link[1], _f32(self.settings.decision.margin), decision)
        return from_unit(decision, self.fmt), decision
