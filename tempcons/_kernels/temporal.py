"""The temporal filter's per-pixel arithmetic: blend, two-direction merge, hysteresis.

The history arrives already pulled along the flow (``cv2.remap`` of a packed 4-channel state
is twice as fast as a Numba gather), so these kernels only read aligned arrays.
"""

import numpy as np
from numba import njit, prange

from .sampling import bilinear_vec, exp_neg, inside

# Channels of the packed state that is warped from frame to frame.
WEIGHTED, CARRIED, GRAY, CHROMA = 0, 1, 2, 3


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def confidence(m, mb, floor):
    """Segmenter confidence in [floor, 1]: distance of the value and of its local mean from 0.5.

    The local mean ``mb`` is what gives hard 0/1 masks a confidence at all: it is low near the
    mask boundary and high deep inside or outside.
    """
    a = abs(np.float32(2.0) * m - np.float32(1.0))
    b = abs(np.float32(2.0) * mb - np.float32(1.0))
    return floor + (np.float32(1.0) - floor) * min(a, b)


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def blend(m, mb, look, look_scale, warped, valid, has_prev, lam, inv_2s2, kappa, w_max, floor,
          value, total, packed):
    """One step of the recursive temporal bilateral filter, on flow-aligned history.

    ``warped`` holds the previous state pulled along the flow: carried weight times value,
    carried weight, grey level, chroma (zero where the flow left the image, so the weight
    vanishes there). ``valid`` is the flow's validity on its own, possibly coarser, grid (read
    nearest). ``look * look_scale`` is the frame's (grey, chroma) in [0, 1] (uint8 frames need no
    converted copy). History weight h = lam * W * valid * exp(-|a - a_prev|^2 / 2 sigma^2), a the
    (grey, chroma) pair -- chroma catches a flow vector that lands on a different-coloured
    surface of the same brightness; current weight c =
    confidence. Output E = (c m + h q) / (c + h) with q = (W E) / W, total S = c + h, and the
    weight carried on W' = min(S (1 - kappa |m - q|), w_max): a current value that contradicts
    the history once is outvoted, but it also weakens the history, so a lasting change wins
    after a frame or two.
    """
    hh, ww = m.shape
    vh, vw = valid.shape
    one = np.float32(1.0)
    zero = np.float32(0.0)
    tiny = np.float32(1e-6)
    for y in prange(hh):
        vy = min(np.int64(y * vh / hh), vh - 1)
        for x in range(ww):
            mm = m[y, x]
            c = confidence(mm, mb[y, x], floor)
            g = np.float32(look[y, x, 0]) * look_scale
            ch = np.float32(look[y, x, 1]) * look_scale
            hist = zero
            q = zero
            if has_prev:
                w_prev = warped[y, x, CARRIED]
                q = warped[y, x, WEIGHTED] / max(w_prev, tiny)
                d = g - warped[y, x, GRAY]
                dc = ch - warped[y, x, CHROMA]
                hist = lam * w_prev * valid[vy, min(np.int64(x * vw / ww), vw - 1)] * exp_neg((d * d + dc * dc) * inv_2s2)
            s = c + hist
            e = (c * mm + hist * q) / s
            w = min(s * (one - kappa * abs(mm - q) * (hist > tiny)), w_max)
            value[y, x] = e
            total[y, x] = s
            packed[y, x, WEIGHTED] = w * e
            packed[y, x, CARRIED] = w
            packed[y, x, GRAY] = g
            packed[y, x, CHROMA] = ch


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def merge(m, mb, floor, e_a, s_a, e_b, s_b, rejection, out):
    """Merge two one-sided estimates of the same frame, counting its own evidence once.

    Each side holds the frame's evidence m with weight c and its history q with weight h:
    ``S E = c m + h q``. With ``rejection > 0`` and both histories present, the evidence loses
    ``c min(1, rejection d)`` of its weight, d = min(|m - q_a|, |m - q_b|): a value that neither
    the past nor the future shows (a one-frame blob) is outvoted, one that either shows is kept.
    """
    hh, ww = m.shape
    tiny = np.float32(1e-6)
    one = np.float32(1.0)
    for y in prange(hh):
        for x in range(ww):
            mm = m[y, x]
            c = confidence(mm, mb[y, x], floor)
            num = s_a[y, x] * e_a[y, x] + s_b[y, x] * e_b[y, x] - c * mm
            den = s_a[y, x] + s_b[y, x] - c
            if rejection > 0.0:
                h_a = s_a[y, x] - c
                h_b = s_b[y, x] - c
                if h_a > tiny and h_b > tiny:
                    q_a = (s_a[y, x] * e_a[y, x] - c * mm) / h_a
                    q_b = (s_b[y, x] * e_b[y, x] - c * mm) / h_b
                    drop = c * min(one, rejection * min(abs(mm - q_a), abs(mm - q_b)))
                    num -= drop * mm
                    den -= drop
            out[y, x] = num / den


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def hysteresis(value, previous, flow, valid, margin, out):
    """Binarise with memory: within 0.5 +- margin a pixel keeps its previous decision.

    ``previous`` is the previous frame's 0/1 decision at ``value``'s size. ``flow`` pulls it in
    from a grid of the same aspect, possibly coarser: it is sampled bilinearly at the pixel's
    position on that grid (pixel centres aligned, as ``cv2.resize``) and scaled to ``value``'s
    pixels, and the decision is read nearest there; outside the frame it is unknown. ``valid``
    is the flow's validity on its own grid (read nearest). Only pixels in the dead band fetch.
    """
    hh, ww = value.shape
    fh, fw = flow.shape[0], flow.shape[1]
    vh, vw = valid.shape
    hi = np.float32(0.5) + margin
    lo = np.float32(0.5) - margin
    half = np.float32(0.5)
    ky = np.float32(fh / hh)
    kx = np.float32(fw / ww)
    for y in prange(hh):
        vy = min(np.int64(y * vh / hh), vh - 1)
        fy = min(max((np.float32(y) + half) * ky - half, np.float32(0.0)), np.float32(fh - 1))
        for x in range(ww):
            v = value[y, x]
            b = np.uint8(1) if v > np.float32(0.5) else np.uint8(0)
            if v < hi and v > lo and valid[vy, min(np.int64(x * vw / ww), vw - 1)] > np.float32(0.5):
                fx = min(max((np.float32(x) + half) * kx - half, np.float32(0.0)), np.float32(fw - 1))
                u, w = bilinear_vec(flow, fx, fy)
                px = np.float32(x) + u / kx
                py = np.float32(y) + w / ky
                if inside(px, py, ww, hh):
                    b = previous[np.int64(py + half), np.int64(px + half)]
            out[y, x] = b
