"""Backward warps of a single plane along a flow on the same grid."""

import numpy as np
from numba import njit, prange

from .sampling import bilinear, inside


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def warp_bilinear(src, flow, out, valid):
    h, w = src.shape
    for y in prange(h):
        for x in range(w):
            sx = x + flow[y, x, 0]
            sy = y + flow[y, x, 1]
            ok = inside(sx, sy, w, h)
            valid[y, x] = ok
            # Out of the image: replicate the nearest border value, flagged invalid.
            sx = min(max(sx, np.float32(0.0)), np.float32(w - 1))
            sy = min(max(sy, np.float32(0.0)), np.float32(h - 1))
            out[y, x] = bilinear(src, sx, sy)


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def warp_nearest(src, flow, out, valid):
    h, w = src.shape
    for y in prange(h):
        for x in range(w):
            sx = x + flow[y, x, 0]
            sy = y + flow[y, x, 1]
            ok = inside(sx, sy, w, h)
            valid[y, x] = ok
            ix = min(max(np.int64(np.floor(sx + np.float32(0.5))), 0), w - 1)
            iy = min(max(np.int64(np.floor(sy + np.float32(0.5))), 0), h - 1)
            out[y, x] = src[iy, ix]
