"""Class probabilities ``(T, H, W, C)``: every channel filtered with one shared weight per pixel.

One flow and one weight computation per frame serve all C channels: the weights are those of
the soft-mask path (temporal decay ``memory``, photometric agreement in grey and chroma, flow
validity, contradiction penalty ``kappa`` on the total-variation distance between the current
and the carried distribution), the confidence is the margin between the two most likely classes.
Outputs are convex combinations of distributions, so every pixel still sums to 1. No guided
refinement (it would cost one filter per class); :func:`to_labels` gives the argmax.

:func:`tempcons.stabilize` and :class:`tempcons.Stabilizer` run this path for ``kind="probs"``.
Memory is O(H x W x C) per held frame (the distributions themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._kernels import probs as _k
from .pipeline import Frame, Pipeline
from .warp import warp_fill

__all__ = ["ProbPipeline", "to_labels"]


def to_labels(probs: np.ndarray, dtype=np.uint8) -> np.ndarray:
    """Most likely class per pixel.

    Parameters
    ----------
    probs : ndarray, (..., C)
    dtype : numpy dtype
        Of the labels; must hold C - 1.

    Returns
    -------
    ndarray of ``dtype``, probs.shape[:-1]

    Raises
    ------
    ValueError
        If ``dtype`` cannot hold C - 1.

    Examples
    --------
    >>> import numpy as np
    >>> to_labels(np.array([[[0.2, 0.8], [0.6, 0.4]]])).tolist()
    [[1, 0]]
    """
    c = probs.shape[-1]
    if c - 1 > np.iinfo(dtype).max:
        raise ValueError(f"{c} classes do not fit dtype {np.dtype(dtype)}")
    return np.argmax(probs, axis=-1).astype(dtype)


@dataclass
class ProbState:
    """The filter's state after one frame: probabilities (H, W, C), weight, packed history."""

    value: np.ndarray
    total: np.ndarray
    packed: np.ndarray


class ProbPipeline(Pipeline):
    """The per-frame operations of :class:`tempcons.pipeline.Pipeline`, for class probabilities."""

    def prepare(self, frame: np.ndarray, mask: np.ndarray, where: str) -> Frame:
        if mask.ndim != 3:
            raise ValueError(f"mask {where} must be (H, W, C) class probabilities, got shape {mask.shape}")
        if getattr(self, "_classes", mask.shape[2]) != mask.shape[2]:
            raise ValueError(f"mask {where} has {mask.shape[2]} classes, earlier ones {self._classes}")
        self._classes = mask.shape[2]
        self._check_size(frame, mask[..., 0], where)
        h, w = self.size
        probs = np.ascontiguousarray(mask, dtype=np.float32)
        if probs.shape[:2] != (h, w):
            probs = cv2.resize(probs, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
        return self._frame(frame, probs, None)

    def step(self, fr: Frame, prev: ProbState | None, flow: np.ndarray | None,
             valid: np.ndarray | None) -> ProbState:
        s = self.settings
        h, w, c = fr.evidence.shape
        out = self._spare.pop() if self._spare else ProbState(
            np.empty((h, w, c), np.float32), np.empty((h, w), np.float32), np.empty((h, w, c + 3), np.float32))
        if prev is None:
            warped, valid, has_prev = out.packed, np.ones((1, 1), np.float32), False
        else:
            warped, has_prev = warp_fill(prev.packed, flow), True
        _k.blend(fr.evidence, fr.look, np.float32(1.0 / 255.0), warped, valid, has_prev, np.float32(s.memory),
                 np.float32(0.5 / (s.sigma_color * s.sigma_color)), np.float32(s.kappa), np.float32(s.max_weight),
                 np.float32(s.confidence_floor), out.value, out.total, out.packed)
        return out

    def merge(self, fr: Frame, value_a: np.ndarray, total_a: np.ndarray, b: ProbState) -> np.ndarray:
        out = np.empty_like(value_a)
        _k.merge(fr.evidence, np.float32(self.settings.confidence_floor), value_a, total_a, b.value, b.total, out)
        return out

    def finish(self, fr: Frame, value: np.ndarray, prev_decision, flow, valid) -> tuple[np.ndarray, None]:
        return value.astype(self.fmt.dtype), None
