"""Guided refinement (He, Sun and Tang 2013; fast variant: He and Sun 2015).

The mask is filtered with the video frame as guide, so its edges follow image edges, and a mask
computed at a lower resolution than the frame regains detail when upsampled through it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._validate import as_uint8, check_frame

__all__ = ["guided_filter", "upsample"]


def _ximgproc_guided():
    fn = getattr(getattr(cv2, "ximgproc", None), "guidedFilter", None)
    if fn is None:
        raise ImportError(
            "cv2.ximgproc.guidedFilter is missing: another OpenCV wheel overwrote "
            "opencv-contrib-python-headless. Fix: pip uninstall opencv-python opencv-python-headless "
            "opencv-contrib-python opencv-contrib-python-headless, then pip install "
            "opencv-contrib-python-headless")
    return fn


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
        In (0, 1]: below 1, the fast guided filter that computes the linear coefficients on an
        image subsampled by ``scale``. OpenCV's ``scale`` argument applies the radius at the
        subsampled grid, so this function passes ``radius * scale`` to keep ``radius`` in
        full-resolution pixels; ``scale`` is raised to ``1 / radius`` when smaller, so the
        subsampled window never grows beyond the requested radius.

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
    """
    check_frame(guide, "guide")
    if not isinstance(src, np.ndarray) or src.ndim != 2:
        raise ValueError(f"src must be a 2-D array (H, W), got {getattr(src, 'shape', type(src))}")
    if src.shape != guide.shape[:2]:
        raise ValueError(f"src shape {src.shape} must equal the guide's (H, W) {guide.shape[:2]}")
    if int(radius) < 1:
        raise ValueError(f"radius must be >= 1, got {radius!r}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    return _guided(as_uint8(guide), np.ascontiguousarray(src, np.float32), int(radius), float(eps), float(scale))


def _guided(guide_u8: np.ndarray, src: np.ndarray, radius: int, eps: float, scale: float) -> np.ndarray:
    """Unchecked core: uint8 guide, float32 src. eps is rescaled to the guide's 0..255 range."""
    scale = min(1.0, max(scale, 1.0 / radius))
    r = max(1, round(radius * scale))
    return _ximgproc_guided()(guide_u8, src, r, eps * 255.0 * 255.0, dDepth=cv2.CV_32F, scale=scale)


def upsample(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear upsampling of float32 evidence to the frame size (the guided filter restores edges)."""
    if mask.shape == (height, width):
        return mask
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
