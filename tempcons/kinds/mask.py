"""Binary masks, soft masks and mattes: evidence in [0, 1], filtered along the flow and refined.

The filter itself is :mod:`tempcons.filters.temporal`. Binary masks are decided with
hysteresis (a pixel within ``margin`` of 0.5 keeps its previous decision, fetched along the
flow); soft masks and mattes are returned as values, in the caller's dtype and scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..filters import temporal
from ..filters.guided import upsample
from ..kind import Kind, Link, View, register_kind
from ..masks import MaskFormat, from_unit, to_unit
from ..settings import knob_names

__all__ = ["Soft", "Binary", "Alpha", "Evidence"]


@dataclass
class Evidence:
    """A mask as evidence at frame size: float32 values in [0, 1] and their local box mean."""

    value: np.ndarray
    local_mean: np.ndarray


@register_kind
class Soft(Kind):
    """Probabilities in [0, 1] (float, or uint8/uint16 scaled), returned as values."""

    name = "soft"
    knobs = knob_names("flow", "filter", "refinement")
    defaults = {"sigma_color": 0.1, "kappa": 0.6, "refine_eps": 1e-3, "refine_scale": 0.25}
    refines = True

    def __init__(self, settings, fmt: MaskFormat) -> None:
        super().__init__(settings, fmt)
        self._scratch: np.ndarray | None = None

    def encode(self, view: View, mask: np.ndarray) -> Evidence:
        h, w = view.gray.shape
        value = upsample(to_unit(mask, self.fmt), h, w)
        r = round(self.settings.filter.confidence_radius * np.hypot(h, w))
        return Evidence(value, cv2.blur(value, (2 * r + 1, 2 * r + 1)) if r > 0 else value)

    def step(self, evidence: Evidence, view: View, previous: temporal.TemporalState | None,
             link: Link | None, out: temporal.TemporalState | None) -> temporal.TemporalState:
        f = self.settings.filter
        if self._scratch is None or self._scratch.shape[:2] != evidence.value.shape:
            self._scratch = np.empty((*evidence.value.shape, 4), np.float32)
        flow, valid = link or (None, None)
        return temporal.filter_step(evidence.value, evidence.local_mean, view.look, previous, flow, valid,
                                    memory=f.memory, sigma_color=f.sigma_color, kappa=f.kappa,
                                    max_weight=f.max_weight, confidence_floor=f.confidence_floor,
                                    out=out, scratch=self._scratch)

    def side(self, state: temporal.TemporalState) -> tuple[np.ndarray, np.ndarray]:
        return state.value.copy(), state.total.copy()

    def merge(self, evidence: Evidence, forward: temporal.TemporalState,
              backward: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return temporal.merge(evidence.value, evidence.local_mean, forward.value, forward.total, *backward,
                              confidence_floor=self.settings.filter.confidence_floor)

    def value(self, state: temporal.TemporalState) -> np.ndarray:
        return state.value

    def decide(self, evidence: Evidence, value: np.ndarray, previous: None, link: Link | None) -> tuple[np.ndarray, None]:
        return from_unit(value, self.fmt), None


@register_kind
class Alpha(Soft):
    """Mattes: as :class:`Soft`, with defaults that keep fine structure.

    A matte value carried along a wrong flow vector shows in full as a ghost or a lagging edge,
    so the photometric weight is tighter (``sigma_color``) and a value the frame contradicts is
    not pulled toward the past (``kappa``); the refinement follows fine structure (lower
    ``refine_eps``) on a finer grid (``refine_scale``). Evidence: ``docs/tuning.md``.
    """

    name = "alpha"
    defaults = {"sigma_color": 0.05, "kappa": 1.0, "refine_eps": 1e-4, "refine_scale": 0.5}


@register_kind
class Binary(Soft):
    """0/1 masks (bool, 0/1 or 0/255), decided with hysteresis of half-width ``margin``."""

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
        flow, valid = link or (None, None)
        decision = temporal.hysteresis(value, previous, flow, valid, self.settings.decision.margin)
        return from_unit(decision, self.fmt), decision
