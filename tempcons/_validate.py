"""Input checks shared by the public functions. Each error names the argument and the expected form."""

from __future__ import annotations

import cv2
import numpy as np


def _describe(a: np.ndarray) -> str:
    return f"shape {a.shape} and dtype {a.dtype}"


def frames_where(bad: np.ndarray) -> str:
    """Where a check failed in a stack whose first axis is time: ``"frame 2"`` or ``"frames 1, 4, ..."``."""
    index = np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))
    shown = ", ".join(str(i) for i in index[:5]) + (", ..." if index.size > 5 else "")
    return f"frame{'s' if index.size > 1 else ''} {shown}"


def check_unit_range(a: np.ndarray, name: str, per_frame: bool, hint: str = "") -> None:
    """Raise a ValueError unless the float array ``a`` is finite and in [0, 1].

    The message names ``name``, the smallest and largest values found (printed in full, so that
    1.0000001 does not read as 1), the frames holding the offending values when ``per_frame``
    (the first axis is time), and ``hint``.
    """
    if a.size == 0:
        return
    lo, hi = a.min(), a.max()
    if lo >= 0 and hi <= 1:  # NaN fails both comparisons, so it is caught here too
        return
    finite = np.isfinite(a)
    if not finite.all():
        where = f" (in {frames_where(~finite)})" if per_frame else ""
        raise ValueError(f"{name} contains NaN or Inf values{where}; expected finite values in [0, 1]{hint}")
    where = f" (outside the range in {frames_where((a < 0) | (a > 1))})" if per_frame else ""
    # str() prints a float32 with the digits it holds; format() would print its float64 expansion.
    raise ValueError(f"{name} is float, so its values must be in [0, 1]{hint}; got values from {lo!s} to "
                     f"{hi!s}{where}")


def _check_size(height: int, width: int, name: str, a: np.ndarray) -> None:
    if height < 2 or width < 2:
        raise ValueError(f"{name} must be at least 2x2 pixels (H, W >= 2), got {height}x{width} "
                         f"({_describe(a)})")


def check_frame(frame: np.ndarray, name: str = "frame") -> np.ndarray:
    """One frame: (H, W, 3) or (H, W), at least 2x2, uint8 or float in [0, 1], finite."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(frame).__name__}")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
        raise ValueError(f"{name} must have shape (H, W, 3) or (H, W), got {_describe(frame)}")
    _check_size(*frame.shape[:2], name, frame)
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype.kind != "f":
        raise TypeError(f"{name} must be uint8 or float in [0, 1], got {_describe(frame)}")
    check_unit_range(frame, name, per_frame=False, hint=" (pass uint8 for 0..255)")
    return frame


def check_frames(frames: np.ndarray, name: str = "frames") -> np.ndarray:
    """A clip: (T, H, W, 3) or (T, H, W), T >= 1, at least 2x2, uint8 or float in [0, 1]."""
    if not isinstance(frames, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(frames).__name__}")
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[3] != 3):
        raise ValueError(f"{name} must have shape (T, H, W, 3) or (T, H, W), got {_describe(frames)}")
    if frames.shape[0] == 0:
        raise ValueError(f"{name} is empty (T = 0); give at least one frame")
    _check_size(*frames.shape[1:3], name, frames)
    if frames.dtype == np.uint8:
        return frames
    if frames.dtype.kind != "f":
        raise TypeError(f"{name} must be uint8 or float in [0, 1], got {_describe(frames)}")
    check_unit_range(frames, name, per_frame=True, hint=" (pass uint8 for 0..255)")
    return frames


def check_flow(flow: np.ndarray, name: str = "flow", shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A flow field (..., H, W, 2) of finite floats, returned as contiguous float32."""
    if not isinstance(flow, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(flow).__name__}")
    if flow.ndim < 3 or flow.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (..., H, W, 2) with x then y displacement, "
                         f"got {_describe(flow)}")
    if shape is not None and flow.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {_describe(flow)}")
    if flow.dtype.kind != "f":
        raise TypeError(f"{name} must be a float array, got {_describe(flow)}")
    flow = np.ascontiguousarray(flow, dtype=np.float32)
    if not np.isfinite(flow).all():
        raise ValueError(f"{name} contains NaN or Inf values; a flow must be finite")
    return flow


def check_latency(latency: int | None, allow_none: bool) -> int | None:
    if latency is None:
        if allow_none:
            return None
        raise ValueError("latency must be an int >= 0 for streaming (None means the whole clip, "
                         "which only stabilize() can do)")
    if isinstance(latency, bool) or not isinstance(latency, (int, np.integer)):
        raise TypeError(f"latency must be an int >= 0 or None, got {latency!r}")
    if latency < 0:
        raise ValueError(f"latency must be >= 0 frames, got {latency}")
    return int(latency)


def as_gray_uint8(frame: np.ndarray) -> np.ndarray:
    """Grey uint8 view of a checked frame (channel order does not matter to the algorithm)."""
    if frame.dtype != np.uint8:
        frame = (frame * 255.0 + 0.5).astype(np.uint8)
    if frame.ndim == 3:
        return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(frame)


def as_look(frame: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """(H, W, 2) uint8 appearance for the photometric weight: grey level and a chroma opponent.

    Chroma is (first - last channel) / 2 + 128, so RGB and BGR frames differ only in its sign,
    which the weight (a squared difference) ignores; grey frames get a constant 128.
    """
    if frame.ndim == 3:
        u8 = as_uint8(frame)
        chroma = cv2.addWeighted(cv2.extractChannel(u8, 0), 0.5, cv2.extractChannel(u8, 2), -0.5, 128.0)
        return cv2.merge([gray, chroma])
    return cv2.merge([gray, np.full_like(gray, 128)])


def as_uint8(frame: np.ndarray) -> np.ndarray:
    """uint8 copy of a checked frame, colour kept."""
    if frame.dtype == np.uint8:
        return np.ascontiguousarray(frame)
    return (frame * 255.0 + 0.5).astype(np.uint8)


def shrink_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` averaged down to ``(height, width)``, which is at most its size.

    Halves while the target is at most half the size (area averaging: OpenCV's path for exactly
    two is about five times as fast as for four, 0.3 against 1.5 ms for a 1080p colour frame
    here, and two halvings average the same pixels), then bilinear for the last factor, which is
    below two, so every pixel still contributes (OpenCV's area path for such a factor costs ten
    times as much).
    """
    h, w = image.shape[:2]
    while h >= 2 * height and w >= 2 * width:
        h, w = (h + 1) // 2, (w + 1) // 2
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    if (h, w) == (height, width):
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
