"""The label-map filter's per-pixel arithmetic: a two-slot weighted vote carried along the flow.

Each pixel keeps its two best-supported labels and their weights (four float32 channels:
label 1, weight 1, label 2, weight 2; label -1 = empty slot), whatever the number of classes.
Labels are float32 (exact up to 2**24).
"""

import numpy as np
from numba import njit, prange

from .sampling import exp_neg
from .warp import nearest_source

L1, W1, L2, W2 = 0, 1, 2, 3
EMPTY = np.float32(-1.0)


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def vote(lab, conf, look, look_scale, flow, valid, has_prev, prev, prev_look, lam, inv_2s2, kappa,
         w_max, ignore, slots, look_out):
    """One causal step: pull the previous slots along the flow (nearest), decay them, add this vote.

    History weight h = lam * valid * exp(-|a - a_prev|^2 / 2 sigma^2), a = (grey, chroma), scales
    both carried slots;
    a slot whose label disagrees with the current one is weakened by (1 - kappa); the current
    label adds its confidence to its slot, or takes the weaker slot when that weighs less;
    the total is capped at ``w_max``. Ignored pixels (label == ignore) carry the history without
    voting.
    """
    hh, ww = lab.shape
    vh, vw = valid.shape
    one = np.float32(1.0)
    for y in prange(hh):
        vy = min(np.int64(y * vh / hh), vh - 1)
        for x in range(ww):
            g = np.float32(look[y, x, 0]) * look_scale
            ch = np.float32(look[y, x, 1]) * look_scale
            look_out[y, x, 0] = g
            look_out[y, x, 1] = ch
            a1, s1, a2, s2 = EMPTY, np.float32(0.0), EMPTY, np.float32(0.0)
            if has_prev:
                xi, yi = nearest_source(x, y, flow, ww, hh)
                if xi >= 0:
                    d = g - prev_look[yi, xi, 0]
                    dc = ch - prev_look[yi, xi, 1]
                    h = lam * valid[vy, min(np.int64(x * vw / ww), vw - 1)] * exp_neg((d * d + dc * dc) * inv_2s2)
                    a1, s1 = prev[yi, xi, L1], prev[yi, xi, W1] * h
                    a2, s2 = prev[yi, xi, L2], prev[yi, xi, W2] * h
            m = np.float32(lab[y, x])
            if lab[y, x] != ignore:
                c = conf[y, x]
                if a1 != m:
                    s1 *= one - kappa
                if a2 != m:
                    s2 *= one - kappa
                if a1 == m:
                    s1 += c
                elif a2 == m:
                    s2 += c
                elif a2 == EMPTY or c > s2:
                    a2, s2 = m, c
                if a1 == EMPTY or s2 > s1:
                    a1, s1, a2, s2 = a2, s2, a1, s1
                total = s1 + s2
                if total > w_max:
                    s1 *= w_max / total
                    s2 *= w_max / total
            slots[y, x, L1] = a1
            slots[y, x, W1] = s1
            slots[y, x, L2] = a2
            slots[y, x, W2] = s2


@njit(cache=True, inline="always")
def _score(label, a1, s1, a2, s2):
    if label == a1:
        return s1
    if label == a2:
        return s2
    return np.float32(0.0)


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def merge(lab, conf, ignore, fwd, bwd, out):
    """Combine the forward and backward slots of one frame; its own vote counts once."""
    hh, ww = lab.shape
    for y in prange(hh):
        for x in range(ww):
            m = np.float32(lab[y, x])
            c = conf[y, x] if lab[y, x] != ignore else np.float32(0.0)
            best_l, best_s, next_l, next_s = EMPTY, np.float32(-1.0), EMPTY, np.float32(-1.0)
            for k in range(4):
                cand = fwd[y, x, 2 * k] if k < 2 else bwd[y, x, 2 * (k - 2)]
                if cand == EMPTY or cand == best_l or cand == next_l:
                    continue
                s = (_score(cand, fwd[y, x, L1], fwd[y, x, W1], fwd[y, x, L2], fwd[y, x, W2])
                     + _score(cand, bwd[y, x, L1], bwd[y, x, W1], bwd[y, x, L2], bwd[y, x, W2]))
                if cand == m:
                    s -= c
                if s > best_s:
                    next_l, next_s = best_l, best_s
                    best_l, best_s = cand, s
                elif s > next_s:
                    next_l, next_s = cand, s
            out[y, x, L1] = best_l
            out[y, x, W1] = max(best_s, np.float32(0.0))
            out[y, x, L2] = next_l
            out[y, x, W2] = max(next_s, np.float32(0.0))


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def decide(lab, slots, prev_out, flow, valid, has_prev, margin, ignore, out):
    """Output labels: the top slot, unless the flow-aligned previous output still holds a slot
    within ``margin`` of it (a pixel changes class only when the new class wins by a margin).

    Ignored input pixels stay ignored; a pixel without any vote keeps its input label.
    """
    hh, ww = lab.shape
    vh, vw = valid.shape
    for y in prange(hh):
        vy = min(np.int64(y * vh / hh), vh - 1)
        for x in range(ww):
            if lab[y, x] == ignore:
                out[y, x] = ignore
                continue
            a1, s1 = slots[y, x, L1], slots[y, x, W1]
            a2, s2 = slots[y, x, L2], slots[y, x, W2]
            best = lab[y, x] if a1 == EMPTY else np.int64(a1)
            if has_prev and valid[vy, min(np.int64(x * vw / ww), vw - 1)] > np.float32(0.5):
                xi, yi = nearest_source(x, y, flow, ww, hh)
                if xi >= 0:
                    p = np.float32(prev_out[yi, xi])
                    sp = _score(p, a1, s1, a2, s2)
                    if p != a1 and sp > np.float32(0.0) and sp * (np.float32(1.0) + margin) >= s1:
                        best = prev_out[yi, xi]
            out[y, x] = best
