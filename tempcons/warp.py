"""Backward warping along a flow, with a validity mask.

``out[y, x] = src[y + flow[y, x, 1], x + flow[y, x, 0]]``: the flow lives on the output's grid
and points into ``src`` (so to bring frame t-1 into frame t, pass the flow from t to t-1).

Border handling: a sample that falls outside ``src`` takes the value at the nearest border
position (replication) and is marked invalid, so callers can ignore it. Points exactly on the
last row or column are inside.
"""

from __future__ import annotations

import numpy as np

from ._kernels import warp as _k
from ._validate import check_flow

__all__ = ["warp"]


def warp(src: np.ndarray, flow: np.ndarray, *, order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Backward-warp an image or a map along ``flow``.

    Parameters
    ----------
    src : ndarray, (H, W) or (H, W, C)
        Values to warp. ``order=1`` (bilinear, for evidence and images) computes in float32 and
        returns float32; ``order=0`` (nearest, for label and instance ids) keeps the dtype.
    flow : ndarray, float, (H, W, 2)
        x then y displacement into ``src``, on the output grid.
    order : {0, 1}
        Interpolation: 0 nearest, 1 bilinear.

    Returns
    -------
    warped : ndarray, same shape as ``src``
    valid : ndarray of bool, (H, W)
        True where the sample position is inside ``src``.

    Raises
    ------
    ValueError, TypeError
        Mismatched shapes, a flow that is not ``(H, W, 2)`` float, NaNs, a bad ``order``.

    Examples
    --------
    >>> import numpy as np
    >>> src = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> flow = np.zeros((2, 3, 2), np.float32); flow[..., 0] = 1.0
    >>> out, valid = warp(src, flow)
    >>> out.tolist(), valid.tolist()
    ([[1.0, 2.0, 2.0], [4.0, 5.0, 5.0]], [[True, True, False], [True, True, False]])
    """
    if not isinstance(src, np.ndarray) or src.ndim not in (2, 3):
        raise ValueError(f"src must be an array of shape (H, W) or (H, W, C), got {getattr(src, 'shape', type(src))}")
    flow = check_flow(flow, "flow", (*src.shape[:2], 2))
    if order not in (0, 1):
        raise ValueError(f"order must be 0 (nearest) or 1 (bilinear), got {order!r}")
    planes = src[..., None] if src.ndim == 2 else src
    if order == 1:
        if planes.dtype.kind not in "fuib":
            raise TypeError(f"src must be numeric, got dtype {src.dtype}")
        planes = planes.astype(np.float32)
    out = np.empty(planes.shape, planes.dtype)
    valid = np.empty(src.shape[:2], np.bool_)
    plane_out = np.empty(src.shape[:2], planes.dtype)
    for c in range(planes.shape[2]):
        _k.warp_plane(np.ascontiguousarray(planes[..., c]), flow, order == 0, plane_out, valid)
        out[..., c] = plane_out
    return (out[..., 0] if src.ndim == 2 else out), valid
