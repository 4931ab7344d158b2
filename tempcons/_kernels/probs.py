"""The class-probability filter's per-pixel arithmetic: one weight for all C channels.

Packed state, pulled along the flow in one ``cv2.remap``: C channels of carried weight times
probability, then the carried weight, grey level and chroma (C + 3 float32 channels).
"""

import numpy as np
from numba import njit, prange

from .sampling import exp_neg


@njit(cache=True, inline="always", fastmath=True)
def confidence(p, floor):
    """floor + (1 - floor) * (top probability - second one): low where classes compete."""
    first = np.float32(0.0)
    second = np.float32(0.0)
    for k in range(p.shape[0]):
        v = p[k]
        if v > first:
            second = first
            first = v
        elif v > second:
            second = v
    return floor + (np.float32(1.0) - floor) * (first - second)


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def blend(probs, look, look_scale, warped, valid, has_prev, lam, inv_2s2, kappa, w_max, floor,
          value, total, packed):
    """One step of the recursive filter for C-channel probabilities, one weight per pixel.

    Same weights as the soft-mask blend (temporal decay, photometric agreement in grey and
    chroma, flow validity); confidence from the margin between the two most likely classes; the
    contradiction penalty uses the total-variation distance 0.5 sum |p - q| between the current
    and the carried distribution. Outputs stay distributions (convex combinations).
    """
    hh, ww, c = probs.shape
    vh, vw = valid.shape
    one = np.float32(1.0)
    tiny = np.float32(1e-6)
    for y in prange(hh):
        vy = min(np.int64(y * vh / hh), vh - 1)
        for x in range(ww):
            p = probs[y, x]
            conf = confidence(p, floor)
            g = np.float32(look[y, x, 0]) * look_scale
            ch = np.float32(look[y, x, 1]) * look_scale
            hist = np.float32(0.0)
            w_prev = np.float32(0.0)
            if has_prev:
                w_prev = warped[y, x, c]
                d = g - warped[y, x, c + 1]
                dc = ch - warped[y, x, c + 2]
                hist = lam * w_prev * valid[vy, min(np.int64(x * vw / ww), vw - 1)] * exp_neg((d * d + dc * dc) * inv_2s2)
            s = conf + hist
            tv = np.float32(0.0)
            for k in range(c):
                q = warped[y, x, k] / max(w_prev, tiny) if has_prev else np.float32(0.0)
                e = (conf * p[k] + hist * q) / s
                value[y, x, k] = e
                tv += abs(p[k] - q)
            w = min(s * (one - kappa * np.float32(0.5) * tv * (hist > tiny)), w_max)
            for k in range(c):
                packed[y, x, k] = w * value[y, x, k]
            packed[y, x, c] = w
            packed[y, x, c + 1] = g
            packed[y, x, c + 2] = ch
            total[y, x] = s


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def merge(probs, floor, e_a, s_a, e_b, s_b, out):
    """Merge two one-sided estimates of the same frame, counting its own probabilities once."""
    hh, ww, c = probs.shape
    for y in prange(hh):
        for x in range(ww):
            conf = confidence(probs[y, x], floor)
            den = s_a[y, x] + s_b[y, x] - conf
            for k in range(c):
                out[y, x, k] = (s_a[y, x] * e_a[y, x, k] + s_b[y, x] * e_b[y, x, k] - conf * probs[y, x, k]) / den
