"""Inline sampling helpers shared by the kernels.

Coordinates are in pixels of the sampled grid, pixel centres at integers. Callers check that
``0 <= x <= w - 1`` and ``0 <= y <= h - 1`` before sampling; the helpers clamp the upper
neighbour so that a sample exactly on the last row or column stays inside.
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def corners(x, y, w, h):
    """Integer corners and fractional offsets of a bilinear sample at (x, y) on a (h, w) grid."""
    x0 = min(np.int64(x), w - 1)
    y0 = min(np.int64(y), h - 1)
    return x0, y0, min(x0 + 1, w - 1), min(y0 + 1, h - 1), np.float32(x - x0), np.float32(y - y0)


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def bilinear(img, x, y):
    x0, y0, x1, y1, ax, ay = corners(x, y, img.shape[1], img.shape[0])
    top = img[y0, x0] + ax * (img[y0, x1] - img[y0, x0])
    bot = img[y1, x0] + ax * (img[y1, x1] - img[y1, x0])
    return top + ay * (bot - top)


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def bilinear_vec(flow, x, y):
    """Sample both components of an ``(h, w, 2)`` field at one point."""
    x0, y0, x1, y1, ax, ay = corners(x, y, flow.shape[1], flow.shape[0])
    w00 = (np.float32(1.0) - ax) * (np.float32(1.0) - ay)
    w01 = ax * (np.float32(1.0) - ay)
    w10 = (np.float32(1.0) - ax) * ay
    w11 = ax * ay
    u = w00 * flow[y0, x0, 0] + w01 * flow[y0, x1, 0] + w10 * flow[y1, x0, 0] + w11 * flow[y1, x1, 0]
    v = w00 * flow[y0, x0, 1] + w01 * flow[y0, x1, 1] + w10 * flow[y1, x0, 1] + w11 * flow[y1, x1, 1]
    return u, v


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def inside(x, y, w, h):
    return x >= 0.0 and y >= 0.0 and x <= w - 1 and y <= h - 1


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def exp_neg(z):
    """exp(-z) for z >= 0 as (1 - z/16)^16, flushed to 0 early so tiny weights never become denormals."""
    b = np.float32(1.0) - z * np.float32(0.0625)
    if b < np.float32(0.01):
        return np.float32(0.0)
    b = b * b
    b = b * b
    b = b * b
    return b * b


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def taps(n_out, n_in):
    """Bilinear taps of an ``n_out`` grid on an ``n_in`` one: pixel centres aligned, edges
    clamped, as ``cv2.resize`` does. Lower index and weight of the upper one."""
    lo = np.empty(n_out, np.int64)
    frac = np.empty(n_out, np.float32)
    k = np.float32(n_in / n_out)
    half = np.float32(0.5)
    for i in range(n_out):
        f = min(max((np.float32(i) + half) * k - half, np.float32(0.0)), np.float32(n_in - 1))
        lo[i] = min(np.int64(f), n_in - 1)
        frac[i] = f - np.float32(lo[i])
    return lo, frac
