"""The label-map filter's per-pixel arithmetic: a two-slot weighted vote carried along the flow.

Each pixel keeps its two best-supported labels and their weights (four float32 channels:
label 1, weight 1, label 2, weight 2; label -1 = empty slot), whatever the number of classes.
Labels are float32 (exact up to 2**24). The vote runs on the working grid; :func:`upsample`
brings the decision to the frame's size.
"""

import numpy as np
from numba import njit, prange

from .sampling import exp_neg, taps
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


@njit(cache=True, parallel=True, nogil=True)
def interior(lab, out):
    """1 where a pixel's four neighbours hold its label, 0 on a label boundary (both sides of it);
    returns the number of boundary pixels."""
    h, w = lab.shape
    count = 0
    for y in prange(h):
        for x in range(w):
            v = lab[y, x]
            edge = ((x > 0 and lab[y, x - 1] != v) or (x < w - 1 and lab[y, x + 1] != v)
                    or (y > 0 and lab[y - 1, x] != v) or (y < h - 1 and lab[y + 1, x] != v))
            out[y, x] = 0 if edge else 1
            count += 1 if edge else 0
    return count


@njit(cache=True, inline="always")
def _tally(labs, sums, n, lab, weight):
    """Add ``weight`` to ``lab``'s sum among the ``n`` labels met so far; the new count."""
    j = 0
    while j < n and labs[j] != lab:
        j += 1
    if j == n:
        labs[n] = lab
        sums[n] = weight
        return n + 1
    sums[j] += weight
    return n


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def shrink(ids, out):
    """Labels down to the working grid: each grid pixel takes, of the labels at the four frame
    pixels around its centre, the one with the most bilinear weight.

    Where two labels weigh the same (an edge through the centre, as at every halving) the tie
    goes one way on even pixels and the other way on odd ones (a checkerboard): always taking the
    first shifted every boundary by half a frame pixel, which moved J by up to 0.006 on real
    clips, in a direction that depended on the segmenter.
    """
    hh, ww = ids.shape
    h, w = out.shape
    ys, fys = taps(h, hh)
    xs, fxs = taps(w, ww)
    one = np.float32(1.0)
    for y in prange(h):
        y0, ay = ys[y], fys[y]
        y1 = min(y0 + 1, hh - 1)
        labs = np.empty(4, np.int64)
        sums = np.empty(4, np.float32)
        for x in range(w):
            x0, ax = xs[x], fxs[x]
            x1 = min(x0 + 1, ww - 1)
            first = ids[y0, x0]
            if first == ids[y0, x1] and first == ids[y1, x0] and first == ids[y1, x1]:
                out[y, x] = first
                continue
            n = _tally(labs, sums, 0, np.int64(first), (one - ax) * (one - ay))
            n = _tally(labs, sums, n, np.int64(ids[y0, x1]), ax * (one - ay))
            n = _tally(labs, sums, n, np.int64(ids[y1, x0]), (one - ax) * ay)
            n = _tally(labs, sums, n, np.int64(ids[y1, x1]), ax * ay)
            odd = (x + y) % 2 == 1
            best = 0
            for j in range(1, n):
                if sums[j] > sums[best] or (odd and sums[j] == sums[best]):
                    best = j
            out[y, x] = labs[best]


@njit(cache=True, inline="always")
def _renamed(v, keys, values):
    """An input id as the tracker renamed it (``keys`` ascending; none: as it is); one it never
    saw is background."""
    if keys.size == 0:
        return v
    i = np.searchsorted(keys, v)
    return values[i] if i < keys.size and keys[i] == v else 0


@njit(cache=True, parallel=True, nogil=True)
def rename(ids, keys, values, out):
    """``out[y, x]`` = ``ids[y, x]`` renamed by ``keys`` -> ``values`` (:func:`_renamed`).

    Ids come in runs along a row, so a pixel with its left neighbour's id takes its new id
    without a search.
    """
    h, w = ids.shape
    for y in prange(h):
        last = np.int64(ids[y, 0])
        new = _renamed(last, keys, values)
        for x in range(w):
            v = np.int64(ids[y, x])
            if v != last:
                last = v
                new = _renamed(v, keys, values)
            out[y, x] = new


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def upsample(dec, coarse, guide, inv_2s2, src, keys, values, own, ignore, out):
    """Labels from the working grid to the frame's size, guided by the frame (joint bilateral).

    Each frame pixel takes, of the labels at its four nearest grid pixels, the one with the most
    weight: bilinear weight times the photometric weight ``exp(-|guide - coarse|^2 / 2 sigma^2)``
    (colours in [0, 1]), plus ``own`` for the label the input (``src``, sampled nearest, renamed
    by ``keys`` -> ``values`` when given) has there, so a boundary follows the frame's edges and
    keeps the input's detail where the decision allows it; no label is invented. Where the four
    agree the label is copied, which is most pixels. A pixel whose input label is ``ignore``
    stays ignored; no other pixel becomes ignored.
    """
    hh, ww = out.shape
    h, w = dec.shape
    sh, sw = src.shape
    nc = guide.shape[2]
    scale = np.float32(1.0 / 255.0)
    one = np.float32(1.0)
    ys, fys = taps(hh, h)
    xs, fxs = taps(ww, w)
    sxs = np.empty(ww, np.int64)  # the input's column, nearest
    for x in range(ww):
        sxs[x] = min(np.int64(x * sw / ww), sw - 1)
    for y in prange(hh):
        y0, ay = ys[y], fys[y]
        y1 = min(y0 + 1, h - 1)
        sy = min(np.int64(y * sh / hh), sh - 1)
        labs = np.empty(4, np.int64)
        sums = np.empty(4, np.float32)
        for x in range(ww):
            # The input is read only where it can matter: most pixels copy the grid's label.
            if ignore >= 0 and _renamed(np.int64(src[sy, sxs[x]]), keys, values) == ignore:
                out[y, x] = ignore
                continue
            x0, ax = xs[x], fxs[x]
            x1 = min(x0 + 1, w - 1)
            l00, l01, l10, l11 = dec[y0, x0], dec[y0, x1], dec[y1, x0], dec[y1, x1]
            if l00 == l01 and l00 == l10 and l00 == l11 and l00 != ignore:
                out[y, x] = l00
                continue
            mine = _renamed(np.int64(src[sy, sxs[x]]), keys, values)
            mine_met = False
            n = 0
            for k in range(4):
                yk = y0 if k < 2 else y1
                xk = x0 if k % 2 == 0 else x1
                lab = dec[yk, xk]
                if lab == ignore:
                    continue
                d2 = np.float32(0.0)
                for c in range(nc):
                    d = (np.float32(guide[y, x, c]) - np.float32(coarse[yk, xk, c])) * scale
                    d2 += d * d
                weight = ((ax if k % 2 else one - ax) * (ay if k >= 2 else one - ay)) * exp_neg(d2 * inv_2s2)
                if lab == mine and not mine_met:  # the input's own label, once
                    weight += own
                    mine_met = True
                n = _tally(labs, sums, n, np.int64(lab), weight)
            if n == 0:
                out[y, x] = mine
                continue
            best = 0
            for j in range(1, n):
                if sums[j] > sums[best]:
                    best = j
            out[y, x] = labs[best]
