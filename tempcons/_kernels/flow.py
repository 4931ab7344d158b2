"""Forward-backward consistency and flow inversion."""

import numpy as np
from numba import njit, prange

from .sampling import bilinear_vec, inside


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def fb_consistency(flow_ab, flow_ba, alpha, beta, mb_alpha, mb_beta, outside_valid, out):
    """out[y, x] = 1 where the round trip a -> b -> a closes (Sundaram et al. 2010), else 0.

    A pixel whose flow leaves frame b is invalid unless ``outside_valid``, in which case the
    backward flow is sampled at the clamped position (border replication) and tested as usual.

    ``mb_alpha < 0`` disables the motion-boundary test (|grad u|^2 + |grad v|^2 >
    mb_alpha |w|^2 + mb_beta, forward differences), which Lai et al. add to the fb test.
    """
    h, w = flow_ab.shape[0], flow_ab.shape[1]
    hb, wb = flow_ba.shape[0], flow_ba.shape[1]
    for y in prange(h):
        for x in range(w):
            u = flow_ab[y, x, 0]
            v = flow_ab[y, x, 1]
            sx = np.float32(x) + u
            sy = np.float32(y) + v
            if not inside(sx, sy, wb, hb):
                if not outside_valid:
                    out[y, x] = 0.0
                    continue
                sx = min(max(sx, np.float32(0.0)), np.float32(wb - 1))
                sy = min(max(sy, np.float32(0.0)), np.float32(hb - 1))
            bu, bv = bilinear_vec(flow_ba, sx, sy)
            du = u + bu
            dv = v + bv
            ok = du * du + dv * dv <= alpha * (u * u + v * v + bu * bu + bv * bv) + beta
            if ok and mb_alpha >= 0.0:
                xn = min(x + 1, w - 1)
                yn = min(y + 1, h - 1)
                ux = flow_ab[y, xn, 0] - u
                vx = flow_ab[y, xn, 1] - v
                uy = flow_ab[yn, x, 0] - u
                vy = flow_ab[yn, x, 1] - v
                ok = ux * ux + vx * vx + uy * uy + vy * vy <= mb_alpha * (u * u + v * v) + mb_beta
            out[y, x] = np.float32(1.0) if ok else np.float32(0.0)


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def invert_flow(flow_ab, iterations, out):
    """Fixed point of b(x) = -f(x + b(x)): the flow b -> a from the flow a -> b on a's grid."""
    h, w = flow_ab.shape[0], flow_ab.shape[1]
    for y in prange(h):
        for x in range(w):
            u = -flow_ab[y, x, 0]
            v = -flow_ab[y, x, 1]
            for _ in range(iterations):
                sx = min(max(np.float32(x) + u, np.float32(0.0)), np.float32(w - 1))
                sy = min(max(np.float32(y) + v, np.float32(0.0)), np.float32(h - 1))
                fu, fv = bilinear_vec(flow_ab, sx, sy)
                u = -fu
                v = -fv
            out[y, x, 0] = u
            out[y, x, 1] = v
