"""Class probabilities ``(T, H, W, C)``: every channel filtered with one shared weight per pixel.

One flow and one weight computation per frame serve all C channels: the weights are those of
binary and soft masks (temporal decay ``memory``, photometric agreement in grey and chroma, flow
validity, contradiction penalty ``kappa`` on the total-variation distance between the current
and the carried distribution), the confidence is the margin between the two most likely classes.
Outputs are convex combinations of distributions, so every pixel still sums to 1. No guided
refinement (it would cost one filter per class); :func:`to_labels` gives the argmax.

Memory is O(H x W x C) per held frame (the distributions themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .._kernels import probs as _k
from ..kind import Kind, Link, View, register_kind
from ..settings import knob_names
from ..warp import warp_fill

__all__ = ["Probs", "to_labels"]

_ALL_VALID = np.ones((1, 1), np.float32)


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


@register_kind
class Probs(Kind):
    """``(h, w, C)`` float class probabilities summing to 1, returned with the same shape."""

    name = "probs"
    knobs = knob_names("flow", "filter") - {"confidence_radius", "outlier_rejection"}
    defaults = {"sigma_color": 0.1, "kappa": 0.6, "confidence_floor": 0.2}
    mask_ndim = 3

    def __init__(self, settings, fmt) -> None:
        super().__init__(settings, fmt)
        self._classes: int | None = None  # of the first mask encoded

    def check_like(self, mask: np.ndarray, name: str) -> None:
        super().check_like(mask, name)
        if self._classes is not None and mask.shape[-1] != self._classes:
            raise ValueError(f"{name} has {mask.shape[-1]} classes, earlier ones {self._classes}")

    def encode(self, view: View, mask: np.ndarray) -> np.ndarray:
        self._classes = self._classes or mask.shape[2]
        h, w = view.look.shape[:2]
        probs = np.ascontiguousarray(mask, dtype=np.float32)
        if probs.shape[:2] != (h, w):
            probs = cv2.resize(probs, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
        return probs

    def step(self, evidence: np.ndarray, view: View, previous: ProbState | None, link: Link | None,
             out: ProbState | None) -> ProbState:
        f = self.settings.filter
        h, w, c = evidence.shape
        out = out or ProbState(np.empty((h, w, c), np.float32), np.empty((h, w), np.float32),
                               np.empty((h, w, c + 3), np.float32))
        if previous is None:
            warped, valid, has_prev = out.packed, _ALL_VALID, False
        else:
            warped, valid, has_prev = warp_fill(previous.packed, link[0]), link[1], True
        _k.blend(evidence, view.look, np.float32(1.0 / 255.0), warped, valid, has_prev, np.float32(f.memory),
                 np.float32(0.5 / (f.sigma_color * f.sigma_color)), np.float32(f.kappa), np.float32(f.max_weight),
                 np.float32(f.confidence_floor), out.value, out.total, out.packed)
        return out

    def side(self, state: ProbState) -> ProbState:
        return ProbState(state.value.copy(), state.total.copy(), None)

    def merge(self, evidence: np.ndarray, forward: ProbState, backward: ProbState) -> np.ndarray:
        out = np.empty_like(forward.value)
        _k.merge(evidence, np.float32(self.settings.filter.confidence_floor), forward.value, forward.total,
                 backward.value, backward.total, out)
        return out

    def value(self, state: ProbState) -> np.ndarray:
        return state.value

    def decide(self, evidence: np.ndarray, value: np.ndarray, previous: None, link: Link | None) -> tuple[np.ndarray, None]:
        return value.astype(self.fmt.dtype), None
