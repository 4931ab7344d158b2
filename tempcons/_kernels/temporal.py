"""The temporal filter: one recursive step along the flow, the two-direction merge, hysteresis.

The flow passed to these kernels may live on a coarser grid than the masks (flow at half
resolution is the default); each full-resolution pixel samples it bilinearly and scales the
vector, so the full-resolution flow is never materialised.
"""

import numpy as np
from numba import njit, prange

from .sampling import bilinear, bilinear_vec, exp_neg, grid_coord, inside


@njit(cache=True, inline="always", fastmath=True)
def confidence(m, mb, floor):
    """Segmenter confidence in [floor, 1]: distance of the value and of its local mean from 0.5.

    The local mean ``mb`` is what gives hard 0/1 masks a confidence at all: it is low near the
    mask boundary and high deep inside or outside.
    """
    a = abs(np.float32(2.0) * m - np.float32(1.0))
    b = abs(np.float32(2.0) * mb - np.float32(1.0))
    return floor + (np.float32(1.0) - floor) * min(a, b)


@njit(cache=True, inline="always", fastmath=True)
def _follow(flow, x, y, sx, sy):
    """Where full-resolution pixel (x, y) lands in the other frame, through a flow on a grid scaled by (sx, sy)."""
    h, w = flow.shape[0], flow.shape[1]
    fx = min(max(grid_coord(x, sx), np.float32(0.0)), np.float32(w - 1))
    fy = min(max(grid_coord(y, sy), np.float32(0.0)), np.float32(h - 1))
    u, v = bilinear_vec(flow, fx, fy)
    return x + u / sx, y + v / sy, fx, fy


@njit(cache=True, parallel=True, fastmath=True, nogil=True)
def recursive_step(m, mb, gray, prev_e, prev_w, prev_g, flow, valid, has_prev,
                   lam, inv_2s2, kappa, w_max, floor, e_out, s_out, w_out):
    """One step of the flow-aligned recursive temporal bilateral filter.

    History weight h = lam * W_prev(x') * valid(x) * exp(-(g(x) - g_prev(x'))^2 / 2 sigma^2) with
    x' = x + flow(x); current weight c = confidence. Output E = (c m + h q) / (c + h), total weight
    S = c + h, and the weight carried forward W = min(S (1 - kappa |m - q|), w_max): a current value
    that contradicts the history once is outvoted, but it also weakens the history, so a lasting
    change wins after a frame or two.
    """
    hh, ww = m.shape
    sx = np.float32(flow.shape[1] / ww)
    sy = np.float32(flow.shape[0] / hh)
    one = np.float32(1.0)
    for y in prange(hh):
        for x in range(ww):
            mm = m[y, x]
            c = confidence(mm, mb[y, x], floor)
            hist = np.float32(0.0)
            q = np.float32(0.0)
            if has_prev:
                px, py, fx, fy = _follow(flow, x, y, sx, sy)
                if inside(px, py, ww, hh):
                    val = bilinear(valid, fx, fy)
                    if val > np.float32(0.0):
                        d = gray[y, x] - bilinear(prev_g, px, py)
                        hist = lam * bilinear(prev_w, px, py) * val * exp_neg(d * d * inv_2s2)
                        q = bilinear(prev_e, px, py)
            s = c + hist
            e_out[y, x] = (c * mm + hist * q) / s
            s_out[y, x] = s
            w_out[y, x] = min(s * (one - kappa * abs(mm - q)) if hist > 0.0 else s, w_max)


@njit(cache=True, parallel=True, fastmath=True, nogil=True)
def merge(m, mb, floor, e_a, s_a, e_b, s_b, out):
    """Merge two one-sided estimates of the same frame, counting its own evidence once."""
    hh, ww = m.shape
    for y in prange(hh):
        for x in range(ww):
            c = confidence(m[y, x], mb[y, x], floor)
            out[y, x] = (s_a[y, x] * e_a[y, x] + s_b[y, x] * e_b[y, x] - c * m[y, x]) / (
                s_a[y, x] + s_b[y, x] - c)


@njit(cache=True, parallel=True, fastmath=True, nogil=True)
def hysteresis(value, prev_b, flow, valid, has_prev, margin, out):
    """Binarise with memory: a pixel leaves its flow-aligned previous state only past 0.5 +- margin."""
    hh, ww = value.shape
    sx = np.float32(flow.shape[1] / ww)
    sy = np.float32(flow.shape[0] / hh)
    hi = np.float32(0.5) + margin
    lo = np.float32(0.5) - margin
    for y in prange(hh):
        for x in range(ww):
            v = value[y, x]
            b = np.uint8(1) if v > np.float32(0.5) else np.uint8(0)
            if v < hi and v > lo and has_prev:
                px, py, fx, fy = _follow(flow, x, y, sx, sy)
                if inside(px, py, ww, hh) and bilinear(valid, fx, fy) > np.float32(0.5):
                    ix = min(np.int64(px + np.float32(0.5)), ww - 1)
                    iy = min(np.int64(py + np.float32(0.5)), hh - 1)
                    b = prev_b[iy, ix]
            out[y, x] = b
