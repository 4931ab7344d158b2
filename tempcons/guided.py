"""Guided refinement (He, Sun and Tang 2013; fast variant: He and Sun 2015).

The mask is filtered with the video frame as guide, so its edges follow image edges, and a mask
computed at a lower resolution than the frame regains detail when it is brought up through it:
the filter's linear coefficients are solved on the coarse grid and applied to the full-resolution
frame (:func:`guided_upsample`). :func:`guided_filter` is the same filter for a mask at the
guide's size: it shrinks both to ``scale`` first (the fast guided filter).
"""

from __future__ import annotations

import cv2
import numpy as np

from ._kernels import guided as _k
from ._validate import as_uint8, check_frame, shrink_area

__all__ = ["guided_filter", "guided_upsample", "resize_mask"]


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int = 8, eps: float = 1e-3,
                  *, scale: float = 1.0) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` with the structure of ``guide``.

    Parameters
    ----------
    guide : ndarray
        ``(H, W, 3)`` or ``(H, W)`` image, uint8 or float in [0, 1]. A grey guide is about twice
        as fast as a colour one.
    src : ndarray, float32, (H, W)
        The image to filter, e.g. mask evidence in [0, 1].
    radius : int
        Window radius in pixels of the full-resolution image.
    eps : float
        Regularisation, in units of the guide's variance for a guide scaled to [0, 1]
        (1e-3 keeps edges of contrast above about 0.03).
    scale : float
        In (0, 1]: below 1, the fast guided filter, which solves for the linear coefficients on
        the images shrunk by ``scale`` (averaging) with the radius ``radius * scale``, and
        applies them to the full-resolution guide. ``scale`` is raised to ``1 / radius`` when
        smaller, so the shrunk window never grows beyond the requested radius.

    Returns
    -------
    ndarray, float32, (H, W)

    Raises
    ------
    ValueError, TypeError
        On mismatched sizes, a bad radius, eps or scale.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((32, 32), np.uint8); g[:, 16:] = 255
    >>> m = np.zeros((32, 32), np.float32); m[:, 14:] = 1
    >>> out = guided_filter(g, m, radius=4, eps=1e-4)
    >>> bool(out[:, 14].mean() < 0.5 < out[:, 16].mean())
    True

    References
    ----------
    He, K., Sun, J. and Tang, X. (2013). Guided image filtering. IEEE TPAMI 35(6).
    He, K. and Sun, J. (2015). Fast guided filter. arXiv:1505.00996.
    """
    check_frame(guide, "guide")
    if not isinstance(src, np.ndarray) or src.ndim != 2:
        raise ValueError(f"src must be a 2-D array (H, W), got {getattr(src, 'shape', type(src))}")
    if src.shape != guide.shape[:2]:
        raise ValueError(f"src shape {src.shape} must equal the guide's (H, W) {guide.shape[:2]}")
    _check_radius_eps(radius, eps)
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    h, w = grid_size(guide.shape[:2], int(radius), scale)
    return _guided_up_checked(guide, resize_mask(np.ascontiguousarray(src, np.float32), h, w), radius, eps)


def guided_upsample(guide: np.ndarray, src: np.ndarray, radius: int = 8, eps: float = 1e-3) -> np.ndarray:
    """Bring a coarse mask up to the guide's resolution, its edges following the guide's.

    The coefficients of the guided filter are solved on ``src``'s grid against the guide shrunk
    to it (:func:`~tempcons._validate.shrink_area`), then applied to the full-resolution guide:
    the fast guided filter for a mask that is coarse to begin with (a segmenter's own
    resolution, a filter's grid).

    Parameters
    ----------
    guide : ndarray
        ``(H, W, 3)`` or ``(H, W)`` image, uint8 or float in [0, 1].
    src : ndarray, float, (h, w)
        The coarse mask, at most the guide's size, with its aspect ratio.
    radius : int
        Window radius in pixels of the guide.
    eps : float
        Regularisation for a guide scaled to [0, 1].

    Returns
    -------
    ndarray, float32, (H, W)

    Raises
    ------
    ValueError, TypeError
        On a ``src`` larger than the guide, a bad radius or eps.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((64, 64), np.uint8); g[:, 30:] = 255
    >>> coarse = np.zeros((16, 16), np.float32); coarse[:, 8:] = 1
    >>> out = guided_upsample(g, coarse, radius=8, eps=1e-4)
    >>> out.shape, bool(out[:, 28].mean() < 0.2 and out[:, 31].mean() > 0.8)
    ((64, 64), True)
    """
    check_frame(guide, "guide")
    if not isinstance(src, np.ndarray) or src.ndim != 2:
        raise ValueError(f"src must be a 2-D array (h, w), got {getattr(src, 'shape', type(src))}")
    if src.shape[0] > guide.shape[0] or src.shape[1] > guide.shape[1]:
        raise ValueError(f"src {src.shape} must be no larger than the guide {guide.shape[:2]}")
    _check_radius_eps(radius, eps)
    return _guided_up_checked(guide, src, radius, eps)


def _guided_up_checked(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """:func:`_guided_up` on arguments the public functions have checked (the guide in any
    accepted dtype, shrunk here to ``src``'s grid)."""
    guide = as_uint8(guide)
    return _guided_up(guide, shrink_area(guide, *src.shape), np.ascontiguousarray(src, np.float32), int(radius),
                      float(eps))


def _check_radius_eps(radius, eps) -> None:
    if int(radius) < 1:
        raise ValueError(f"radius must be >= 1, got {radius!r}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")


def grid_size(size: tuple[int, int], radius: int, scale: float) -> tuple[int, int]:
    """The grid the coefficients are solved on: ``size`` times ``scale``, the scale raised to
    ``1 / radius`` when smaller (so the window there is at least one pixel)."""
    scale = min(1.0, max(scale, 1.0 / max(radius, 1)))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _guided_up(guide: np.ndarray, small: np.ndarray, src: np.ndarray, radius: int, eps: float,
               out: np.ndarray | None = None) -> np.ndarray:
    """Unchecked core: uint8 guide at full size and shrunk to ``src``'s grid, float32 ``src``.

    ``radius`` is in the guide's pixels; on the grid it is scaled by the grid's width ratio.
    """
    c = 1 if guide.ndim == 2 else guide.shape[2]
    h, w = src.shape
    r = max(1, round(radius * w / guide.shape[1]))
    planes = np.empty((1 if c == 1 else 4, h, w, 4), np.float32)
    _k.moments(small.reshape(h, w, c), src, planes)
    box = (2 * r + 1, 2 * r + 1)
    for group in planes:
        cv2.boxFilter(group, -1, box, dst=group, borderType=cv2.BORDER_REFLECT)
    coef = np.empty((h, w, 4), np.float32)
    _k.coefficients(planes, c, np.float32(eps), coef)
    cv2.boxFilter(coef, -1, box, dst=coef, borderType=cv2.BORDER_REFLECT)
    height, width = guide.shape[:2]
    out = np.empty((height, width), np.float32) if out is None else out
    wide = np.empty((4, h, width), np.float32)
    _k.widen(coef, width, wide)
    if c == 1:
        channels = guide.reshape(1, height, width)
    else:  # as planes: the full-resolution pass is vectorized only on contiguous rows
        channels = np.empty((c, height, width), np.uint8)
        cv2.split(guide, list(channels))
    _k.apply(wide, channels, out)
    return out


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """float32 evidence on another grid: averaged to shrink (:func:`~tempcons._validate.shrink_area`),
    bilinear to enlarge (the guided filter restores the edges)."""
    if mask.shape == (height, width):
        return mask
    if height <= mask.shape[0] and width <= mask.shape[1]:
        return shrink_area(mask, height, width)
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
