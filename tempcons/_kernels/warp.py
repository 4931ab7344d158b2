"""Backward warps along a flow on the same grid: a whole plane, or one pixel inside a fused kernel.

The two nearest-neighbour rules differ at the border on purpose: :func:`warp_plane` clamps the
position and flags it by where it falls (a position within half a pixel outside is invalid),
while the label vote takes any position that rounds into the image and needs no clamping.
"""

import numpy as np
from numba import njit, prange

from .sampling import bilinear, inside


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def warp_plane(src, flow, nearest, out, valid):
    """out = src sampled at (x + u, y + v), bilinear or nearest; outside: nearest border value, invalid."""
    h, w = src.shape
    for y in prange(h):
        for x in range(w):
            sx = np.float32(x) + flow[y, x, 0]
            sy = np.float32(y) + flow[y, x, 1]
            valid[y, x] = inside(sx, sy, w, h)
            sx = min(max(sx, np.float32(0.0)), np.float32(w - 1))
            sy = min(max(sy, np.float32(0.0)), np.float32(h - 1))
            if nearest:
                out[y, x] = src[np.int64(sy + np.float32(0.5)), np.int64(sx + np.float32(0.5))]
            else:
                out[y, x] = bilinear(src, sx, sy)


@njit(cache=True, inline="always", fastmath=True)
def nearest_source(x, y, flow, w, h):
    """Nearest source pixel of (x, y) along the flow, or (-1, -1) if it rounds outside the image."""
    sx = np.float32(x) + flow[y, x, 0]
    sy = np.float32(y) + flow[y, x, 1]
    xi = np.int64(np.floor(sx + np.float32(0.5)))
    yi = np.int64(np.floor(sy + np.float32(0.5)))
    if xi < 0 or yi < 0 or xi >= w or yi >= h:
        return -1, -1
    return xi, yi
