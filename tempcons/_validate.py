"""Input checks shared by the public functions. Each error names the argument and the expected form."""

from __future__ import annotations

import cv2
import numpy as np


def _describe(a: np.ndarray) -> str:
    return f"shape {a.shape} and dtype {a.dtype}"


def check_frame(frame: np.ndarray, name: str = "frame") -> np.ndarray:
    """One frame: (H, W, 3) or (H, W), uint8 or float in [0, 1], finite."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(frame).__name__}")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
        raise ValueError(f"{name} must have shape (H, W, 3) or (H, W), got {_describe(frame)}")
    if frame.shape[0] < 2 or frame.shape[1] < 2:
        raise ValueError(f"{name} must be at least 2x2 pixels, got {_describe(frame)}")
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype.kind != "f":
        raise TypeError(f"{name} must be uint8 or float in [0, 1], got {_describe(frame)}")
    if not np.isfinite(frame).all():
        raise ValueError(f"{name} contains NaN or Inf values")
    if frame.min() < 0.0 or frame.max() > 1.0:
        raise ValueError(f"{name} is float, so its values must be in [0, 1]; got "
                         f"[{frame.min():.4g}, {frame.max():.4g}] (pass uint8 for 0..255)")
    return frame


def check_frames(frames: np.ndarray, name: str = "frames") -> np.ndarray:
    """A clip: (T, H, W, 3) or (T, H, W), uint8 or float in [0, 1], T >= 1."""
    if not isinstance(frames, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(frames).__name__}")
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[3] != 3):
        raise ValueError(f"{name} must have shape (T, H, W, 3) or (T, H, W), got {_describe(frames)}")
    if frames.shape[0] == 0:
        raise ValueError(f"{name} is empty (T = 0); give at least one frame")
    check_frame(frames[0], f"{name}[0]")
    if frames.dtype != np.uint8:
        if not np.isfinite(frames).all():
            raise ValueError(f"{name} contains NaN or Inf values")
        if frames.min() < 0.0 or frames.max() > 1.0:
            raise ValueError(f"{name} is float, so its values must be in [0, 1]")
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
        raise ValueError(f"{name} contains NaN or Inf values")
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
