"""Mask kinds in the stabilizer: a segmenter's output as evidence, and back in the same form.

What a mask array is (its kind, inferred or checked) and how it reads as [0, 1] is
:mod:`tempcons.masks`; this module adds what only the stabilizer needs: every kind but label
maps becomes float32 evidence in [0, 1] (label maps stay ids), and the stabilized evidence goes
back to the caller's dtype and scale.
"""

from __future__ import annotations

import cv2
import numpy as np

from .masks import MaskFormat, as_unit


def to_evidence(mask: np.ndarray, fmt: MaskFormat) -> np.ndarray:
    """One mask as float32 evidence in [0, 1] (a new array; the input is never modified).

    Label maps stay ids, as int32.
    """
    if fmt.is_labels:
        return mask.astype(np.int32)
    if fmt.kind == "probs":
        return np.ascontiguousarray(mask, dtype=np.float32)
    if mask.dtype.kind == "f":
        # Values were checked when the format was read (mask_format, or the stabilizer's check of
        # each later mask against it): as_unit's check again would cost every frame a pass.
        return mask.astype(np.float32)
    return as_unit(mask, uint8_scale=fmt.scale, reciprocal=True)


def from_evidence(value: np.ndarray, fmt: MaskFormat) -> np.ndarray:
    """Float evidence (or a 0/1 uint8 decision for binary kinds, ids for labels) back to the caller's format."""
    if fmt.is_labels or fmt.kind == "probs":
        return value.astype(fmt.dtype)
    if fmt.is_binary:
        b = value if value.dtype == np.uint8 else (value > 0.5).astype(np.uint8)
        if fmt.dtype == np.bool_:
            return b.astype(bool)
        return (b * fmt.scale).astype(fmt.dtype)
    if fmt.dtype == np.uint8:
        # Two passes in OpenCV (on a 2-D view of any stack): negatives to zero, then x255 with
        # rounding and saturation.
        flat = np.ascontiguousarray(value, np.float32).reshape(-1, value.shape[-1])
        out = cv2.convertScaleAbs(cv2.threshold(flat, 0.0, 0.0, cv2.THRESH_TOZERO)[1], alpha=255.0)
        return out.reshape(value.shape)
    if fmt.dtype == np.uint16:
        # Clipped, x65535 and rounded to nearest, as for uint8.
        scaled = np.clip(value, 0.0, 1.0) * np.float32(fmt.scale)
        return np.rint(scaled, out=scaled).astype(np.uint16)
    return np.clip(value, 0.0, 1.0).astype(fmt.dtype)
