"""Compositing a matte: the frame's foreground over a new background (the video-call use case).

``out = F * alpha + B * (1 - alpha)``, with F the foreground colour and B a colour, an image, a
blurred copy of the frame, or another video's frame. Using the frame itself as F leaves a halo
of the old background in soft edges; :func:`estimate_foreground` removes most of it with
Forte and Pitié's blur-fusion estimate (two passes of box-filtered foreground and background
means), which costs a few box filters per frame.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from .masks import as_unit

__all__ = ["composite", "estimate_foreground", "parse_background"]


def _unit(image: np.ndarray, name: str) -> np.ndarray:
    """A frame, image or matte as float32 in [0, 1]; uint8 is always 0..255 here, even if only 0 and 1."""
    return as_unit(image, name, uint8_scale=255)


def _alpha(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    a = _unit(alpha, "alpha")
    if a.shape != shape:
        raise ValueError(f"alpha must have the frame's size {shape}, got {a.shape}")
    return a


def _blur_fusion(image: np.ndarray, fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, radius: int):
    a = alpha[..., None]
    size = (2 * radius + 1, 2 * radius + 1)
    w_f = cv2.blur(alpha, size)[..., None]
    w_b = cv2.blur(1 - alpha, size)[..., None]
    blur_f = cv2.blur(fg * a, size) / (w_f + 1e-5)
    blur_b = cv2.blur(bg * (1 - a), size) / (w_b + 1e-5)
    fg = blur_f + a * (image - a * blur_f - (1 - a) * blur_b)
    return np.clip(fg, 0, 1), blur_b


def estimate_foreground(frame: np.ndarray, alpha: np.ndarray, radius: int | None = None) -> np.ndarray:
    """Foreground colour under a matte, by blur fusion (Forte & Pitie 2021), float32 in [0, 1].

    Parameters
    ----------
    frame : ndarray, (H, W, 3)
        uint8 or float in [0, 1].
    alpha : ndarray, (H, W)
        Float in [0, 1], uint8 0..255, uint16 0..65535 or bool.
    radius : int, optional
        Box radius of the first pass (the second uses 3); default 1.5 % of the diagonal.

    Returns
    -------
    ndarray, float32, (H, W, 3)

    Raises
    ------
    TypeError
        A dtype other than those above.
    ValueError
        Shapes or values out of range.

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.full((8, 8, 3), 0.5, np.float32); alpha = np.ones((8, 8), np.float32)
    >>> bool(np.allclose(estimate_foreground(frame, alpha), 0.5, atol=1e-4))
    True
    """
    image = _unit(frame, "frame")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"frame must be (H, W, 3), got {image.shape}")
    a = _alpha(alpha, image.shape[:2])
    radius = radius or max(3, round(0.015 * np.hypot(*a.shape)))
    fg, bg = _blur_fusion(image, image, image, a, radius)
    fg, _ = _blur_fusion(image, fg, bg, a, 3)
    return fg.astype(np.float32)


def parse_background(spec, shape: tuple[int, int]):
    """A background from a CLI-style spec: ``"#RRGGBB"``, ``"R,G,B"``, ``"blur"`` / ``"blur:SIGMA"``,
    or an image file path; arrays and RGB tuples pass through. Returns what :func:`composite`
    takes (an array or a tuple or the string ``"blur:SIGMA"``).

    Raises
    ------
    ValueError
        A spec that is none of these, or an unreadable image.
    """
    if not isinstance(spec, str):
        return spec
    # Lower case and no full stop: the command line prints it after "--composite: ".
    forms = "expected '#RRGGBB', 'R,G,B', 'blur[:SIGMA]' or an image file"
    if spec.startswith("#") and len(spec) == 7:
        try:
            return tuple(int(spec[i:i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            raise ValueError(f"background {spec!r} is not a colour (RR, GG, BB are hex digits): {forms}") from None
    if spec.count(",") == 2:
        try:
            return tuple(int(v) for v in spec.split(","))
        except ValueError:
            pass
    if spec == "blur" or spec.startswith("blur:"):
        return spec
    if not os.path.isfile(spec):
        raise ValueError(f"background {spec!r} is not a readable image (no such file): {forms}")
    image = cv2.imread(spec, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"background {spec!r} is not a readable image: {forms}")
    return cv2.resize(image[..., ::-1], (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def composite(frame: np.ndarray, alpha: np.ndarray, background, *, foreground: np.ndarray | None = None,
              estimate: bool = False) -> np.ndarray:
    """Composite one frame over a background with a matte; uint8 RGB out.

    Parameters
    ----------
    frame : ndarray, (H, W, 3)
        uint8 or float in [0, 1].
    alpha : ndarray, (H, W)
        Float in [0, 1], uint8 0..255, uint16 0..65535 or bool: 1 keeps the frame (the
        person), 0 shows the background.
    background : tuple, str or ndarray
        An RGB colour (0..255 tuple), ``"blur"`` / ``"blur:SIGMA"`` (the frame blurred, sigma 2 %
        of the diagonal by default), or an image / another video's frame ``(H, W, 3)``.
    foreground : ndarray, optional
        Foreground colour to use instead of the frame.
    estimate : bool
        Estimate the foreground colour (:func:`estimate_foreground`) instead of using the frame.

    Returns
    -------
    ndarray, uint8, (H, W, 3)

    Raises
    ------
    TypeError
        A frame, matte or image of a dtype other than those above.
    ValueError
        Shapes that differ, float values outside [0, 1], a background spec that is none of the
        above.

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.full((2, 2, 3), 200, np.uint8); alpha = np.array([[1.0, 0.0], [1.0, 0.0]])
    >>> composite(frame, alpha, (0, 255, 0))[:, :, 1].tolist()
    [[200, 255], [200, 255]]
    """
    image = _unit(frame, "frame")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"frame must be (H, W, 3), got {image.shape}")
    a = _alpha(alpha, image.shape[:2])[..., None]
    if isinstance(background, str):
        if not (background == "blur" or background.startswith("blur:")):
            raise ValueError(f"background string must be 'blur' or 'blur:SIGMA', got {background!r}")
        sigma = float(background[5:]) if ":" in background else 0.02 * np.hypot(*image.shape[:2])
        bg = cv2.GaussianBlur(image, (0, 0), sigma)
    elif isinstance(background, tuple):
        if len(background) != 3:
            raise ValueError(f"a background colour is an (R, G, B) tuple, got {background!r}")
        bg = np.broadcast_to(np.float32(background) / 255, image.shape)
    else:
        bg = _unit(background, "background")
        if bg.shape != image.shape:
            raise ValueError(f"background image must be {image.shape}, got {bg.shape}")
    if foreground is not None:
        fg = _unit(foreground, "foreground")
    elif estimate:
        fg = estimate_foreground(image, a[..., 0])
    else:
        fg = image
    return np.clip(np.round((fg * a + bg * (1 - a)) * 255), 0, 255).astype(np.uint8)
