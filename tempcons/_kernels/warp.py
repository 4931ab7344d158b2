"""Backward warp of a single plane along a flow on the same grid."""

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
