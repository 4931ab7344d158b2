"""Label maps: per-frame class (or instance) ids made consistent by a flow-aligned weighted vote.

Each pixel carries its two best-supported labels and their weights along the flow (memory
O(H x W) per frame whatever the number of classes, never a one-hot). A new frame's label votes
with its confidence -- low near label boundaries, where segmenters flicker, high inside
regions -- and the carried weights are scaled by the same factors as the soft-mask path:
temporal decay ``memory``, photometric agreement ``sigma_color`` (grey and chroma), flow
validity, and a contradiction penalty (``label_kappa``). The output is the best-supported label, with hysteresis: a
pixel changes class only when the new class wins by ``label_margin``. Every output label is one
the input held at that pixel or at its flow-aligned position in another frame (no class is
invented); ``ignore_index`` pixels stay ignored and never vote.

:func:`tempcons.stabilize` and :class:`tempcons.Stabilizer` run this path for
``kind="labels"``, with the same latency dial and flow options as for masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._kernels import labels as _k
from .pipeline import Frame, Pipeline

__all__ = ["LabelPipeline", "label_confidence"]


@dataclass
class VoteState:
    """The vote's state after one frame: (H, W, 4) float32 slots and the frame's (grey, chroma)."""

    value: np.ndarray
    look: np.ndarray
    total: None = None


def label_confidence(labels: np.ndarray, radius: float, floor: float) -> np.ndarray:
    """Weight of each pixel's own label: ``floor`` on a label boundary, rising to 1 at ``radius`` px.

    Parameters
    ----------
    labels : ndarray of int, (H, W)
    radius : float
        Distance from the nearest boundary at which the confidence reaches 1 (0: always 1).
    floor : float
        Confidence on the boundary.

    Returns
    -------
    ndarray of float32, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((1, 6), np.int32); lab[0, 3:] = 1
    >>> [round(float(v), 2) for v in label_confidence(lab, 2.0, 0.2)[0]]
    [1.0, 0.6, 0.2, 0.2, 0.6, 1.0]
    """
    edge = np.zeros(labels.shape, bool)
    dx = labels[:, 1:] != labels[:, :-1]
    dy = labels[1:] != labels[:-1]
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    edge[1:] |= dy
    edge[:-1] |= dy
    if radius <= 0 or not edge.any():
        return np.ones(labels.shape, np.float32)
    dist = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (floor + (1.0 - floor) * np.minimum(dist / np.float32(radius), 1.0)).astype(np.float32)


class LabelPipeline(Pipeline):
    """The per-frame operations of :class:`tempcons.pipeline.Pipeline`, for label maps."""

    @property
    def _ignore(self) -> int:
        return -1 if self.settings.ignore_index is None else self.settings.ignore_index

    def prepare(self, frame: np.ndarray, mask: np.ndarray, where: str) -> Frame:
        s = self.settings
        self._check_size(frame, mask, where)
        h, w = self.size
        lab = mask.astype(np.int32)
        if lab.shape != (h, w):
            lab = cv2.resize(lab, (w, h), interpolation=cv2.INTER_NEAREST)  # never blend ids
        conf = label_confidence(lab, s.confidence_radius * np.hypot(h, w), s.confidence_floor)
        return self._frame(frame, lab, conf)

    def step(self, fr: Frame, prev: VoteState | None, flow: np.ndarray | None,
             valid: np.ndarray | None) -> VoteState:
        s = self.settings
        out = self._spare.pop() if self._spare else VoteState(
            np.empty((*self.size, 4), np.float32), np.empty((*self.size, 2), np.float32))
        has_prev = prev is not None
        empty_flow = np.zeros((1, 1, 2), np.float32)
        _k.vote(fr.evidence, fr.local_mean, fr.look, np.float32(1.0 / 255.0),
                flow if has_prev else empty_flow, valid if has_prev else np.ones((1, 1), np.float32),
                has_prev, prev.value if has_prev else out.value, prev.look if has_prev else out.look,
                np.float32(s.memory), np.float32(1.0 / (2.0 * s.sigma_color ** 2)), np.float32(s.label_kappa),
                np.float32(s.max_weight), self._ignore, out.value, out.look)
        return out

    def merge(self, fr: Frame, value_a: np.ndarray, total_a, b: VoteState) -> np.ndarray:
        out = np.empty_like(value_a)
        _k.merge(fr.evidence, fr.local_mean, self._ignore, value_a, b.value, out)
        return out

    def finish(self, fr: Frame, value: np.ndarray, prev_decision: np.ndarray | None,
               flow: np.ndarray | None, valid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        has_prev = prev_decision is not None and flow is not None
        out = np.empty(self.size, np.int32)
        _k.decide(fr.evidence, value, prev_decision if has_prev else out,
                  flow if has_prev else np.zeros((1, 1, 2), np.float32),
                  valid if has_prev else np.ones((1, 1), np.float32), has_prev,
                  np.float32(self.settings.label_margin), self._ignore, out)
        top = int(out.max(initial=0))
        if top > np.iinfo(self.fmt.dtype).max:
            raise ValueError(f"label id {top} does not fit the masks' dtype {self.fmt.dtype} (instance "
                             "ids keep growing over a stream); pass int32 ids")
        return out.astype(self.fmt.dtype), out
