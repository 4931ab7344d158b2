"""Mask formats: what a mask array is, and how to read it as [0, 1].

Every reader of masks uses this module: the stabilizer (through :mod:`tempcons.kinds`), the
metrics, :func:`tempcons.composite` and the command line. It depends on nothing else in the
package but the argument checks, so that the metrics can read masks without the stabilizer.

Inference rule for ``kind=None`` (documented in the README):

- ``bool`` -> ``"binary"``.
- ``uint8`` whose values are all in {0, 255} -> ``"binary"`` (0/255 masks).
- ``uint8`` with more than 32 distinct values -> ``"soft"`` (0..255 probability or alpha).
- float in [0, 1] -> ``"soft"`` (``"alpha"`` is the same kind, named for mattes).
- anything else (uint8 with only 0 and 1, or with few distinct values; other integer types)
  is ambiguous -- a binary mask or a label map? -- and needs ``kind=``.

16-bit mattes (uint16, 0..65535) are read with ``kind="alpha"`` or ``kind="soft"``; without a
kind uint16 is refused, as it may as well hold label or instance ids.

Label maps (``kind="labels"``) and instance maps (``kind="instances"``), integer ids >= 0, are
never inferred.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._validate import check_unit_range, frames_where

__all__ = ["KINDS", "MAX_LABEL", "MaskFormat", "as_unit", "check_kind", "check_labels", "check_like", "check_mask_size", "check_probs", "from_unit", "to_unit",
           "mask_format", "uint8_scale_of"]

KINDS = ("binary", "soft", "alpha", "labels", "instances", "probs")
# Label ids travel through float32 state channels, exact below 2**24.
MAX_LABEL = 2 ** 24 - 1


@dataclass(frozen=True)
class MaskFormat:
    """What the caller gave, so that the output can have the same form.

    Attributes
    ----------
    kind : {"binary", "soft", "alpha"}
    dtype : numpy dtype of the input masks.
    scale : float
        Value that means "fully foreground" in the input: 255 for uint8 0..255 data, 65535 for
        uint16 mattes, 1 otherwise.
    """

    kind: str
    dtype: np.dtype
    scale: float

    @property
    def is_binary(self) -> bool:
        return self.kind == "binary"

    @property
    def is_labels(self) -> bool:
        """Ids rather than evidence: class labels or instance ids."""
        return self.kind in ("labels", "instances")


def _values_summary(masks: np.ndarray) -> np.ndarray:
    """The distinct values, sorted."""
    if masks.dtype == np.uint8:
        # OpenCV counts the bytes where they are (12 ms for 40 frames of 720p); np.bincount
        # first copied the clip to int64, 8 bytes a pixel: 75 ms, and up to 1.06 s when the
        # copy's pages were fresh, more than stabilizing the clip with `realtime`.
        counts = cv2.calcHist([masks.reshape(-1, masks.shape[-1])], [0], None, [256], [0, 256])
        return np.flatnonzero(counts.ravel())
    return np.unique(masks)


def _some(values: np.ndarray) -> str:
    """The first few of sorted distinct values, for a message, each with the digits its dtype holds."""
    return f"[{', '.join(str(v) for v in values[:8])}{', ...' if values.size > 8 else ''}]"


def check_kind(kind: str | None) -> None:
    """Raise a ValueError naming the supported kinds unless ``kind`` is one of them or None."""
    if kind is None or kind in KINDS:
        return
    raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")


def mask_format(masks: np.ndarray, kind: str | None, name: str = "masks") -> MaskFormat:
    """Check masks against a kind (or infer it) and record their format.

    Parameters
    ----------
    masks : ndarray
        ``(T, H, W)`` or a single ``(H, W)`` mask.
    kind : {"binary", "soft", "alpha", "labels", "instances", "probs"} or None
        None infers it (see module docstring).
    name : str
        Argument name used in error messages.

    Returns
    -------
    MaskFormat

    Raises
    ------
    TypeError
        Wrong dtype for the kind.
    ValueError
        Unknown or ambiguous kind, NaN/Inf, values out of range for the kind.
    """
    if not isinstance(masks, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(masks).__name__}")
    check_kind(kind)
    dt = masks.dtype
    if kind in ("labels", "instances"):
        check_labels(masks, name)
        return MaskFormat(kind, dt, 1.0)
    if kind == "probs":
        check_probs(masks, name)
        return MaskFormat(kind, dt, 1.0)
    if dt == np.bool_:
        if kind not in (None, "binary"):
            raise TypeError(f"{name} is bool, which can only be kind='binary', not {kind!r}")
        return MaskFormat("binary", dt, 1.0)
    if dt.kind == "f":
        check_unit_range(masks, name, per_frame=masks.ndim == 3)
        if kind == "binary":
            values = _values_summary(masks)
            if not np.isin(values, (0.0, 1.0)).all():
                others = values[~np.isin(values, (0.0, 1.0))]
                raise ValueError(f"{name} must hold only 0 and 1 for kind='binary', got other values such as "
                                 f"{_some(others)}; use kind='soft' for probabilities")
            return MaskFormat("binary", dt, 1.0)
        return MaskFormat(kind or "soft", dt, 1.0)
    if dt == np.uint16 and kind in ("soft", "alpha"):
        return MaskFormat(kind, dt, 65535.0)
    if dt == np.uint8:
        values = _values_summary(masks)
        if kind == "binary":
            if not (np.isin(values, (0, 1)).all() or np.isin(values, (0, 255)).all()):
                raise ValueError(f"{name} must hold values {{0, 1}} or {{0, 255}} for kind='binary' (uint8), "
                                 f"got values {_some(values)}; use kind='soft' for 0..255 probabilities")
            return MaskFormat("binary", dt, 255.0 if values.max(initial=0) > 1 else 1.0)
        if kind in ("soft", "alpha"):
            return MaskFormat(kind, dt, 255.0)
        if np.isin(values, (0, 255)).all():
            return MaskFormat("binary", dt, 255.0)
        if values.size > 32:
            return MaskFormat("soft", dt, 255.0)
        raise ValueError(f"cannot tell what uint8 {name} with values {_some(values)} are "
                         "(binary mask, 0..255 probabilities, or labels?); pass kind='binary', "
                         "kind='soft' or kind='labels'")
    if dt == np.uint16 and kind is None:
        raise TypeError(f"{name} is uint16, which may be a 16-bit matte or integer ids; pass kind='alpha' "
                        "(or 'soft') for a 0..65535 matte, kind='labels' or kind='instances' for ids")
    for_kind = f" for kind={kind!r}" if kind else ""
    raise TypeError(f"{name} must be bool, uint8 or float in [0, 1]{for_kind} (uint16 too for kind='alpha' "
                    f"or 'soft'), got dtype {dt}; for integer label maps pass kind='labels'")


def check_labels(labels: np.ndarray, name: str) -> None:
    """Integer class or instance ids in 0 .. 2**24 - 1, or a TypeError / ValueError saying why not."""
    if labels.dtype == np.bool_ or labels.dtype.kind not in "ui":
        raise TypeError(f"{name} must hold integer label ids for kind='labels', got dtype {labels.dtype}")
    if labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        per_frame = labels.ndim == 3
        if lo < 0:
            where = f" in {frames_where(labels < 0)}" if per_frame else ""
            raise ValueError(f"{name} has negative label ids (min {lo}{where}); ids must be >= 0")
        if hi > MAX_LABEL:
            where = f" in {frames_where(labels > MAX_LABEL)}" if per_frame else ""
            raise ValueError(f"{name} has label ids up to {hi}{where}; ids must be below 2**24 = {MAX_LABEL + 1}")


def check_probs(probs: np.ndarray, name: str, tolerance: float = 1e-3) -> None:
    """Float class probabilities (..., C), C >= 1, each pixel summing to 1 within ``tolerance``."""
    if probs.dtype.kind != "f":
        raise TypeError(f"{name} must hold float class probabilities for kind='probs', got dtype {probs.dtype}")
    if probs.ndim < 3 or probs.shape[-1] < 1:
        raise ValueError(f"{name} must be class probabilities (..., H, W, C) with C >= 1 for kind='probs', "
                         f"got shape {probs.shape}")
    per_frame = probs.ndim == 4
    check_unit_range(probs, name, per_frame, hint=" (class probabilities)")
    sums = probs.sum(axis=-1, dtype=np.float64)
    off = np.abs(sums - 1.0) > tolerance
    if off.any():
        # Sums shown in the probabilities' own precision: 1.6, not 1.5999999791383743.
        lo, hi = (probs.dtype.type(v) for v in (sums.min(), sums.max()))
        where = f" (off in {frames_where(off)})" if per_frame else ""
        raise ValueError(f"{name} must sum to 1 over the class axis (last), within {tolerance}; got sums "
                         f"from {lo!s} to {hi!s}{where}; apply a softmax first")


def uint8_scale_of(masks: np.ndarray) -> int:
    """The value that means "fully foreground" in uint8 masks: 255, or 1 if they hold only 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> uint8_scale_of(np.array([0, 1], np.uint8)), uint8_scale_of(np.array([0, 128], np.uint8))
    (1, 255)
    """
    return 255 if masks.max(initial=0) > 1 else 1


def as_unit(masks: np.ndarray, name: str = "masks", *, uint8_scale: float | None = None,
            reciprocal: bool = False) -> np.ndarray:
    """Masks or mattes as float32 in [0, 1] (a new array; the input is never modified).

    bool is read as 0/1, uint8 as ``x / uint8_scale``, uint16 (16-bit mattes) as ``x / 65535``
    and float as it is, after checking that it is finite and in [0, 1]. Any shape is read.

    Parameters
    ----------
    masks : ndarray
        bool, uint8, uint16 or float masks.
    name : str
        Argument name used in error messages.
    uint8_scale : {None, 1, 255}
        The uint8 value that means "fully foreground". None reads 255 unless the array holds
        only 0 and 1 (a 0/1 mask); a caller reading a clip in parts passes the whole clip's,
        and a caller whose uint8 is always 0..255 (mattes, images) passes 255, so that a
        matte of only 0 and 1 stays nearly transparent.
    reciprocal : bool
        Multiply by the float32 reciprocal of the scale rather than divide by the scale. The
        stabilizer reads its evidence this way; the two differ in the last bit for about half
        of the uint8 values, so each reader keeps the one its results were made with.

    Returns
    -------
    ndarray of float32, same shape as ``masks``

    Raises
    ------
    TypeError
        A dtype other than bool, uint8, uint16 or float.
    ValueError
        Float values that are NaN, infinite or outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> as_unit(np.array([0, 255], np.uint8)).tolist()
    [0.0, 1.0]
    >>> as_unit(np.array([0, 1], np.uint8)).tolist()  # a 0/1 mask
    [0.0, 1.0]
    >>> bool(as_unit(np.array([0, 1], np.uint8), uint8_scale=255)[1] < 0.01)  # a matte of 0 and 1
    True
    """
    masks = np.asarray(masks)
    dt = masks.dtype
    if dt == np.bool_:
        return masks.astype(np.float32)
    if dt.kind == "f":
        check_unit_range(masks, name, per_frame=masks.ndim == 3)
        return masks.astype(np.float32)
    if dt == np.uint8:
        scale = uint8_scale or uint8_scale_of(masks)
    elif dt == np.uint16:
        scale = 65535
    else:
        raise TypeError(f"{name} must be bool, uint8, uint16 or float in [0, 1], got dtype {dt}")
    if reciprocal:
        return np.multiply(masks, np.float32(1.0 / scale), dtype=np.float32)
    return masks.astype(np.float32) / np.float32(scale)


def check_like(mask: np.ndarray, fmt: MaskFormat, name: str) -> None:
    """Cheap check of one more mask of a stream: the first mask's dtype, values in range for its kind.

    Raises
    ------
    TypeError
        Not an array, or another dtype than the first mask's.
    ValueError
        Values out of range for the kind, or a binary mask with other values than 0 and its scale.
    """
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


def to_unit(masks: np.ndarray, fmt: MaskFormat) -> np.ndarray:
    """Masks already checked against ``fmt`` as float32 in [0, 1] (a new array).

    Unlike :func:`as_unit` the values are not checked again: that would cost every frame of a
    stream a second pass.
    """
    if masks.dtype.kind == "f":
        return masks.astype(np.float32)
    return as_unit(masks, uint8_scale=fmt.scale, reciprocal=True)


def from_unit(value: np.ndarray, fmt: MaskFormat) -> np.ndarray:
    """Values in [0, 1] back in the form ``fmt`` records: its dtype and scale.

    For binary formats ``value`` is thresholded at 0.5, unless it is already a 0/1 uint8
    decision. Float values outside [0, 1] are clipped; integer outputs are rounded to nearest.
    """
    if fmt.is_binary:
        decision = value if value.dtype == np.uint8 else (value > 0.5).astype(np.uint8)
        if fmt.dtype == np.bool_:
            return decision.astype(bool)
        return (decision * fmt.scale).astype(fmt.dtype)
    if fmt.dtype == np.uint8:
        # Two passes in OpenCV (on a 2-D view of any stack): negatives to zero, then x255 with
        # rounding and saturation.
        flat = np.ascontiguousarray(value, np.float32).reshape(-1, value.shape[-1])
        out = cv2.convertScaleAbs(cv2.threshold(flat, 0.0, 0.0, cv2.THRESH_TOZERO)[1], alpha=255.0)
        return out.reshape(value.shape)
    if fmt.dtype == np.uint16:
        scaled = np.clip(value, 0.0, 1.0) * np.float32(fmt.scale)
        return np.rint(scaled, out=scaled).astype(np.uint16)
    return np.clip(value, 0.0, 1.0).astype(fmt.dtype)


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
