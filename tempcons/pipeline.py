"""One frame's way through the stabilizer, shared by every kind and by both traversals of time.

:class:`Pipeline` holds the per-frame operations: prepare a frame and its mask (:class:`Frame`),
the flows of a pair of frames and their forward-backward validity (:class:`Pair`), one temporal
filter step, the merge of two directions, refinement and the way back to the caller's form.
:mod:`tempcons.labels` and :mod:`tempcons.probs` specialise it; :mod:`tempcons.stabilize`
drives it through time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import cv2
import numpy as np

from ._kernels import flow as _kflow
from ._validate import as_gray_uint8, as_look, as_uint8, check_flow
from .filters import temporal
from .filters.guided import _guided, upsample
from .flow import FlowEstimator, invert_flow, upsample_flow
from .kinds import from_evidence, to_evidence
from .masks import MaskFormat
from .presets import Settings

__all__ = ["Frame", "Pair", "Pipeline", "check_mask_size", "FlowArg"]

FlowArg = None | str | Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Frame:
    """Everything the pipeline derives from one input frame and its mask."""

    frame: np.ndarray
    guide: np.ndarray
    gray: np.ndarray
    look: np.ndarray
    small: np.ndarray | None
    evidence: np.ndarray
    local_mean: np.ndarray


@dataclass
class Pair:
    """Flows between consecutive frames a -> b on the flow grid, and what the filter needs of them.

    ``into_b`` and ``into_a`` give the flow that pulls the other frame's values into this one, at
    frame resolution, and its forward-backward validity, on the flow's grid; each is computed once, on demand
    (the backward direction only for latency > 0 and offline).
    """

    ab: np.ndarray
    ba: np.ndarray
    size: tuple[int, int]
    alpha: np.float32
    beta: np.float32

    def _prepare(self, flow: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        valid = np.empty(flow.shape[:2], np.float32)
        _kflow.fb_consistency(flow, other, self.alpha, self.beta, np.float32(-1.0), np.float32(0.0), False, valid)
        # The validity stays on the flow's grid (the kernels read it nearest).
        return upsample_flow(flow, *self.size), valid

    @cached_property
    def into_b(self) -> tuple[np.ndarray, np.ndarray]:
        """Flow b -> a on b's grid at frame resolution, and its validity: pulls a's values into b."""
        return self._prepare(self.ba, self.ab)

    @cached_property
    def into_a(self) -> tuple[np.ndarray, np.ndarray]:
        """Flow a -> b on a's grid at frame resolution, and its validity: pulls b's values into a."""
        return self._prepare(self.ab, self.ba)


class Pipeline:
    """The per-frame operations, shared by the streaming object and the offline function."""

    def __init__(self, settings: Settings, flow: FlowArg) -> None:
        self.settings = settings
        self.flow_fn = flow if callable(flow) else None
        method = flow if isinstance(flow, str) else settings.flow_method
        self.estimator = None if self.flow_fn else FlowEstimator(method, settings.flow_preset, settings.flow_scale)
        self.size: tuple[int, int] | None = None
        self.fmt: MaskFormat | None = None
        self._spare: list[temporal.TemporalState] = []
        self._scratch: np.ndarray | None = None

    def recycle(self, state: temporal.TemporalState) -> None:
        """Hand back a state nothing refers to any more; the next step writes into it."""
        self._spare.append(state)

    def _check_size(self, frame: np.ndarray, mask: np.ndarray, where: str) -> None:
        if self.size is None:
            self.size = frame.shape[:2]
        elif frame.shape[:2] != self.size:
            raise ValueError(f"frame {where} has size {frame.shape[:2]}, but earlier frames are {self.size}")
        if mask.ndim != 2:
            raise ValueError(f"mask {where} must be 2-D (H, W), got shape {mask.shape}")
        check_mask_size(mask.shape, self.size, f"mask {where}")

    def prepare(self, frame: np.ndarray, mask: np.ndarray, where: str) -> Frame:
        s = self.settings
        self._check_size(frame, mask, where)
        h, w = self.size
        m = upsample(to_evidence(mask, self.fmt), h, w)
        r = round(s.confidence_radius * np.hypot(h, w))
        mb = cv2.blur(m, (2 * r + 1, 2 * r + 1)) if r > 0 else m
        return self._frame(frame, m, mb, colour_guide=s.refine_color)

    def _frame(self, frame: np.ndarray, evidence: np.ndarray, local_mean: np.ndarray | None,
               colour_guide: bool = False) -> Frame:
        """What every kind derives from the frame itself: grey level (flow), appearance
        (photometric weight), the flow grid's image and the refinement guide."""
        gray = as_gray_uint8(frame)
        guide = as_uint8(frame) if (colour_guide and frame.ndim == 3) else gray
        small = self.estimator.shrink(gray) if self.estimator else None
        return Frame(frame, guide, gray, as_look(frame, gray), small, evidence, local_mean)

    def pair(self, a: Frame, b: Frame, supplied: Any = None) -> Pair:
        s = self.settings
        if supplied is not None:
            ab, ba = supplied
            ba = invert_flow(ab) if ba is None else ba
        elif self.flow_fn is not None:
            ab = check_flow(self.flow_fn(a.frame, b.frame), "flow(prev_frame, next_frame)", (*self.size, 2))
            ba = check_flow(self.flow_fn(b.frame, a.frame), "flow(prev_frame, next_frame)", (*self.size, 2))
        else:
            ab = self.estimator(a.small, b.small)
            ba = self.estimator(b.small, a.small)
        grid = ab.shape[1] / self.size[1]
        return Pair(ab, ba, self.size, np.float32(s.fb_alpha), np.float32(s.fb_beta * grid * grid))

    def _knob(self, name: str) -> Any:
        """A knob with its matte variant (``alpha_<name>``) for ``kind="alpha"``."""
        return getattr(self.settings, f"alpha_{name}" if self.fmt.kind == "alpha" else name)

    def step(self, fr: Frame, prev: temporal.TemporalState | None, flow: np.ndarray | None,
             valid: np.ndarray | None) -> temporal.TemporalState:
        s = self.settings
        if self._scratch is None:
            self._scratch = np.empty((*self.size, 4), np.float32)
        return temporal.filter_step(fr.evidence, fr.local_mean, fr.look, prev, flow, valid,
                                    memory=s.memory, sigma_color=self._knob("sigma_color"),
                                    kappa=self._knob("kappa"),
                                    max_weight=s.max_weight, confidence_floor=s.confidence_floor,
                                    out=self._spare.pop() if self._spare else None, scratch=self._scratch)

    def merge(self, fr: Frame, value_a: np.ndarray, total_a: np.ndarray, b: temporal.TemporalState) -> np.ndarray:
        return temporal.merge(fr.evidence, fr.local_mean, value_a, total_a, b.value, b.total,
                              confidence_floor=self.settings.confidence_floor)

    def refine(self, fr: Frame, value: np.ndarray) -> np.ndarray:
        s = self.settings
        if not s.refine:
            return value
        radius = max(1, round(s.refine_radius * np.hypot(*self.size)))
        return _guided(fr.guide, value, radius, self._knob("refine_eps"), self._knob("refine_scale"))

    def finish(self, fr: Frame, value: np.ndarray, prev_decision: np.ndarray | None,
               flow: np.ndarray | None, valid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Refine and convert to the caller's format; for binary kinds also return the 0/1 decision."""
        v = self.refine(fr, value)
        if self.fmt.is_binary:
            decision = temporal.hysteresis(v, prev_decision, flow, valid, self.settings.hysteresis)
            return from_evidence(decision, self.fmt), decision
        return from_evidence(v, self.fmt), None


def check_mask_size(mask_hw: tuple[int, int], frame_hw: tuple[int, int], name: str) -> None:
    """Masks may be smaller than frames (they are upsampled) but must have the same aspect ratio within 1%."""
    mh, mw = mask_hw
    fh, fw = frame_hw
    if mh < 1 or mw < 1:
        raise ValueError(f"{name} is {mh}x{mw} (HxW); masks must be at least 1x1 pixels")
    if mh > fh or mw > fw:
        raise ValueError(f"{name} is {mh}x{mw} (HxW), larger than the frames ({fh}x{fw}); "
                         "resize the masks to the frame size")
    if abs((mw / mh) / (fw / fh) - 1.0) > 0.01:
        raise ValueError(f"{name} is {mh}x{mw} (HxW) and the frames {fh}x{fw}: aspect ratios differ by "
                         "more than 1%; masks must cover the whole frame")
