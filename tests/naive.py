"""Slow, plain-NumPy references for the Numba kernels (one pixel at a time, float64)."""

import numpy as np


def bilinear(img, x, y):
    h, w = img.shape
    x0 = min(int(np.floor(x)), w - 1)
    y0 = min(int(np.floor(y)), h - 1)
    x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
    ax, ay = x - x0, y - y0
    return ((1 - ax) * (1 - ay) * img[y0, x0] + ax * (1 - ay) * img[y0, x1]
            + (1 - ax) * ay * img[y1, x0] + ax * ay * img[y1, x1])


def inside(x, y, w, h):
    return 0 <= x <= w - 1 and 0 <= y <= h - 1


def warp_bilinear(src, flow):
    h, w = src.shape
    out = np.zeros((h, w))
    valid = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            sx, sy = x + flow[y, x, 0], y + flow[y, x, 1]
            valid[y, x] = inside(sx, sy, w, h)
            out[y, x] = bilinear(src, np.clip(sx, 0, w - 1), np.clip(sy, 0, h - 1))
    return out, valid


def warp_nearest(src, flow):
    h, w = src.shape
    out = np.zeros_like(src)
    valid = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            sx, sy = x + flow[y, x, 0], y + flow[y, x, 1]
            valid[y, x] = inside(sx, sy, w, h)
            out[y, x] = src[int(np.clip(np.floor(sy + 0.5), 0, h - 1)), int(np.clip(np.floor(sx + 0.5), 0, w - 1))]
    return out, valid


def fb_consistency(fab, fba, alpha, beta, motion_boundary):
    h, w = fab.shape[:2]
    out = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            u, v = fab[y, x]
            sx, sy = x + u, y + v
            if not inside(sx, sy, w, h):
                continue
            bu, bv = bilinear(fba[..., 0], sx, sy), bilinear(fba[..., 1], sx, sy)
            ok = (u + bu) ** 2 + (v + bv) ** 2 <= alpha * (u * u + v * v + bu * bu + bv * bv) + beta
            if motion_boundary:
                gx = fab[y, min(x + 1, w - 1)] - fab[y, x]
                gy = fab[min(y + 1, h - 1), x] - fab[y, x]
                ok = ok and (gx ** 2).sum() + (gy ** 2).sum() <= 0.01 * (u * u + v * v) + 0.002
            out[y, x] = ok
    return out


def confidence(m, mb, floor):
    return floor + (1 - floor) * min(abs(2 * m - 1), abs(2 * mb - 1))


def merge(m, mb, floor, e_a, s_a, e_b, s_b, rejection):
    """Two one-sided estimates of a frame merged, its own evidence counted once; with
    ``rejection``, the evidence loses ``c min(1, rejection d)`` of its weight where both sides
    have a history, d its smaller disagreement with the two histories."""
    out = np.empty(m.shape)
    for idx in np.ndindex(m.shape):
        c = confidence(m[idx], mb[idx], floor)
        # Each side: S E = c m + h q, its history's weight and weighted value.
        h_a, h_b = s_a[idx] - c, s_b[idx] - c
        hq_a, hq_b = s_a[idx] * e_a[idx] - c * m[idx], s_b[idx] * e_b[idx] - c * m[idx]
        keep = c
        if rejection > 0 and h_a > 1e-6 and h_b > 1e-6:
            d = min(abs(m[idx] - hq_a / h_a), abs(m[idx] - hq_b / h_b))
            keep = c * (1 - min(1.0, rejection * d))
        out[idx] = (keep * m[idx] + hq_a + hq_b) / (keep + h_a + h_b)
    return out


def exp_neg(z):
    b = 1 - z / 16
    return 0.0 if b < 0.01 else b ** 16


def warp_fill(src, flow, fill=0.0, nearest=False):
    """Backward warp where what falls outside reads ``fill`` (per bilinear tap, as
    cv2.BORDER_CONSTANT); nearest rounds the position half to even, as OpenCV does."""
    h, w = src.shape[:2]
    padded = np.full((h + 4, w + 4) + src.shape[2:], fill, np.float64)
    padded[2:-2, 2:-2] = src
    out = np.full(src.shape, fill, np.float64)
    for y in range(h):
        for x in range(w):
            sx, sy = x + flow[y, x, 0] + 2, y + flow[y, x, 1] + 2
            if nearest:
                xi, yi = int(np.rint(sx)), int(np.rint(sy))
                if 0 <= xi < w + 4 and 0 <= yi < h + 4:
                    out[y, x] = padded[yi, xi]
            elif -1 < sx - 2 < w and -1 < sy - 2 < h:
                x0, y0 = int(np.floor(sx)), int(np.floor(sy))
                ax, ay = sx - x0, sy - y0
                out[y, x] = ((1 - ax) * (1 - ay) * padded[y0, x0] + ax * (1 - ay) * padded[y0, x0 + 1]
                             + (1 - ax) * ay * padded[y0 + 1, x0] + ax * ay * padded[y0 + 1, x0 + 1])
    return out


def blend(m, mb, look, warped, valid, lam, sigma, kappa, wmax, floor):
    """Reference for the filter step on flow-aligned history (``warped``: W*E, W, grey, chroma)."""
    H, W = m.shape
    vh, vw = valid.shape
    e = np.zeros((H, W))
    s = np.zeros((H, W))
    packed = np.zeros((H, W, 4))
    for y in range(H):
        for x in range(W):
            c = confidence(m[y, x], mb[y, x], floor)
            hist, q = 0.0, 0.0
            if warped is not None:
                q = warped[y, x, 0] / max(warped[y, x, 1], 1e-6)
                d2 = (look[y, x, 0] - warped[y, x, 2]) ** 2 + (look[y, x, 1] - warped[y, x, 3]) ** 2
                v = valid[min(y * vh // H, vh - 1), min(x * vw // W, vw - 1)]
                hist = lam * warped[y, x, 1] * v * exp_neg(d2 / (2 * sigma * sigma))
            s[y, x] = c + hist
            e[y, x] = (c * m[y, x] + hist * q) / s[y, x]
            wc = min(s[y, x] * (1 - kappa * abs(m[y, x] - q)) if hist > 1e-6 else s[y, x], wmax)
            packed[y, x] = (wc * e[y, x], wc, look[y, x, 0], look[y, x, 1])
    return e, s, packed


def hysteresis(value, previous, flow, valid, margin):
    """Binarise with memory: in the dead band keep the previous decision fetched along ``flow``
    (on a grid of the same aspect, upsampled bilinearly and scaled to ``value``'s pixels), read
    nearest; outside the frame, or where ``valid`` (its own grid, nearest) is 0, threshold."""
    H, W = value.shape
    fh, fw = flow.shape[:2]
    up = resize_bilinear(flow.astype(np.float64), H, W) * [W / fw, H / fh]
    vh, vw = valid.shape
    out = (value > 0.5).astype(np.uint8)
    for y in range(H):
        for x in range(W):
            if not (0.5 - margin < value[y, x] < 0.5 + margin and valid[min(y * vh // H, vh - 1), min(x * vw // W, vw - 1)] > 0.5):
                continue
            px, py = x + up[y, x, 0], y + up[y, x, 1]
            if inside(px, py, W, H):
                out[y, x] = previous[int(np.floor(py + 0.5)), int(np.floor(px + 0.5))]
    return out


def monotone_path_cost(cost):
    """Cheapest cost of a (1,0)/(0,1)/(1,1) path from (0,0) to the end, paying entered cells."""
    n1, n2 = cost.shape
    acc = np.full((n1, n2), np.inf)
    acc[0, 0] = 0.0
    for i in range(n1):
        for j in range(n2):
            for di, dj in ((0, 1), (1, 0), (1, 1)):
                if i >= di and j >= dj and (di or dj):
                    acc[i, j] = min(acc[i, j], acc[i - di, j - dj] + cost[i, j])
    return acc[-1, -1]


def douglas_peucker(points, tol):
    """Recursive Douglas-Peucker (point-to-segment distance, last of equally far points)."""
    if len(points) < 3:
        return points
    a, b = points[0], points[-1]
    best, best_d = 0, -1.0
    for i in range(1, len(points) - 1):
        p = points[i]
        v, w = b - a, p - a
        t = 0.0 if v @ v == 0 else min(max((w @ v) / (v @ v), 0.0), 1.0)
        d = float(np.sum((w - t * v) ** 2))
        if d >= best_d:
            best, best_d = i, d
    if best_d <= tol * tol:
        return np.stack([a, b])
    left = douglas_peucker(points[:best + 1], tol)
    return np.vstack([left[:-1], douglas_peucker(points[best:], tol)])


def label_vote(lab, conf, look, prev, prev_look, flow, valid, lam, sigma, kappa, w_max, ignore):
    """Two-slot label vote, one pixel at a time (prev None: first frame)."""
    h, w = lab.shape
    slots = np.zeros((h, w, 4))
    for y in range(h):
        for x in range(w):
            g, ch = look[y, x, 0] / 255.0, look[y, x, 1] / 255.0
            a1, s1, a2, s2 = -1.0, 0.0, -1.0, 0.0
            if prev is not None:
                xi = int(np.floor(x + flow[y, x, 0] + 0.5))
                yi = int(np.floor(y + flow[y, x, 1] + 0.5))
                if 0 <= xi < w and 0 <= yi < h:
                    d2 = (g - prev_look[yi, xi, 0]) ** 2 + (ch - prev_look[yi, xi, 1]) ** 2
                    hh = lam * valid[y, x] * exp_neg(d2 / (2 * sigma ** 2))
                    a1, s1, a2, s2 = prev[yi, xi, 0], prev[yi, xi, 1] * hh, prev[yi, xi, 2], prev[yi, xi, 3] * hh
            m = float(lab[y, x])
            if lab[y, x] != ignore:
                c = conf[y, x]
                s1 = s1 if a1 == m else s1 * (1 - kappa)
                s2 = s2 if a2 == m else s2 * (1 - kappa)
                if a1 == m:
                    s1 += c
                elif a2 == m:
                    s2 += c
                elif a2 == -1 or c > s2:
                    a2, s2 = m, c
                if a1 == -1 or s2 > s1:
                    a1, s1, a2, s2 = a2, s2, a1, s1
                if s1 + s2 > w_max:
                    s1, s2 = s1 * w_max / (s1 + s2), s2 * w_max / (s1 + s2)
            slots[y, x] = a1, s1, a2, s2
    return slots


def label_merge(lab, conf, ignore, fwd, bwd):
    """Top two labels of forward + backward support, the frame's own vote counted once."""
    h, w = lab.shape
    out = np.zeros((h, w, 4))
    for y in range(h):
        for x in range(w):
            support = {}
            for slots in (fwd[y, x], bwd[y, x]):
                for k in (0, 2):
                    if slots[k] != -1:
                        support[slots[k]] = support.get(slots[k], 0.0) + slots[k + 1]
            if lab[y, x] != ignore and float(lab[y, x]) in support:
                support[float(lab[y, x])] -= conf[y, x]
            ranked = sorted(support.items(), key=lambda kv: -kv[1])[:2] + [(-1.0, 0.0)] * 2
            out[y, x] = ranked[0][0], max(ranked[0][1], 0), ranked[1][0], max(ranked[1][1], 0)
    return out


def _corners(i, n_from, n_to):
    """Pixel ``i`` of a grid of ``n_from`` on one of ``n_to`` (centres aligned, clamped into
    [0, n_to - 1], in float32 as the kernels compute it): the two samples and the second's weight."""
    c = np.float32(i + 0.5) * np.float32(n_to / n_from) - np.float32(0.5)
    c = min(max(c, np.float32(0.0)), np.float32(n_to - 1))
    k = int(c)
    return k, min(k + 1, n_to - 1), float(c - k)


def label_shrink(ids, h, w):
    """Each grid pixel: the label with the most bilinear weight among the four frame pixels around
    its centre; ties to the first on even (x + y), to the last on odd."""
    hh, ww = ids.shape
    out = np.zeros((h, w), np.int64)
    for y in range(h):
        y0, y1, ay = _corners(y, h, hh)
        for x in range(w):
            x0, x1, ax = _corners(x, w, ww)
            support = {}
            for yk, xk, b in ((y0, x0, (1 - ax) * (1 - ay)), (y0, x1, ax * (1 - ay)),
                              (y1, x0, (1 - ax) * ay), (y1, x1, ax * ay)):
                support[ids[yk, xk]] = support.get(ids[yk, xk], 0.0) + b
            ranked = list(support.items())
            top = max(v for _, v in ranked)
            tied = [k for k, v in ranked if v == top]
            out[y, x] = tied[-1] if (x + y) % 2 else tied[0]
    return out


def label_upsample(dec, coarse, guide, sigma, src, own, ignore, renamed=None):
    """Each frame pixel: of the labels at its four nearest grid pixels, the one with the most
    bilinear x photometric weight, plus ``own`` for the input's label there (``src``, nearest,
    renamed by the dict ``renamed`` if given, an id it lacks becoming 0); ``ignore`` where the
    input has it."""
    hh, ww = guide.shape[:2]
    h, w = dec.shape
    sh, sw = src.shape
    out = np.zeros((hh, ww), np.int64)
    for y in range(hh):
        y0, y1, ay = _corners(y, hh, h)
        for x in range(ww):
            s = src[min(y * sh // hh, sh - 1), min(x * sw // ww, sw - 1)]
            if renamed is not None:
                s = renamed.get(int(s), 0)
            if s == ignore:
                out[y, x] = ignore
                continue
            x0, x1, ax = _corners(x, ww, w)
            corners = ((y0, x0, (1 - ax) * (1 - ay)), (y0, x1, ax * (1 - ay)), (y1, x0, (1 - ax) * ay), (y1, x1, ax * ay))
            if len({dec[yk, xk] for yk, xk, _ in corners} - {ignore}) == 1 and dec[y0, x0] != ignore:
                out[y, x] = dec[y0, x0]
                continue
            support = {}
            for yk, xk, b in corners:
                if dec[yk, xk] == ignore:
                    continue
                d2 = np.sum((guide[y, x].astype(float) - coarse[yk, xk]) ** 2) / 255.0 ** 2
                support[dec[yk, xk]] = support.get(dec[yk, xk], 0.0) + b * exp_neg(d2 / (2 * sigma ** 2))
            if s in support:
                support[s] += own
            out[y, x] = max(support, key=support.get) if support else s
    return out


def prob_blend(probs, look, warped, valid, lam, sigma, kappa, wmax, floor):
    """Reference for the class-probability step (``warped``: C x W*p, W, grey, chroma)."""
    h, w, c = probs.shape
    value = np.zeros((h, w, c))
    total = np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            p = probs[y, x]
            top = np.sort(p)[::-1]
            conf = floor + (1 - floor) * (top[0] - (top[1] if c > 1 else 0.0))
            w_prev = warped[y, x, c]
            d2 = (look[y, x, 0] - warped[y, x, c + 1]) ** 2 + (look[y, x, 1] - warped[y, x, c + 2]) ** 2
            hist = lam * w_prev * valid[y, x] * exp_neg(d2 / (2 * sigma * sigma))
            q = warped[y, x, :c] / max(w_prev, 1e-6)
            total[y, x] = conf + hist
            value[y, x] = (conf * p + hist * q) / total[y, x]
    return value, total


def box_mean(img, r):
    """Mean over the (2r + 1)^2 window, borders mirrored with the edge pixel repeated (OpenCV's
    BORDER_REFLECT)."""
    pad = np.pad(img, [(r, r), (r, r)] + [(0, 0)] * (img.ndim - 2), mode="symmetric")
    h, w = img.shape[:2]
    out = np.zeros(img.shape)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out += pad[dy:dy + h, dx:dx + w]
    return out / (2 * r + 1) ** 2


def resize_bilinear(img, h, w):
    """Bilinear resampling with pixel centres aligned and edges clamped (cv2.resize INTER_LINEAR)."""
    hi, wi = img.shape[:2]
    out = np.zeros((h, w) + img.shape[2:])
    for y in range(h):
        fy = min(max((y + 0.5) * hi / h - 0.5, 0), hi - 1)
        for x in range(w):
            fx = min(max((x + 0.5) * wi / w - 0.5, 0), wi - 1)
            out[y, x] = bilinear_any(img, fx, fy)
    return out


def bilinear_any(img, x, y):
    h, w = img.shape[:2]
    x0, y0 = min(int(np.floor(x)), w - 1), min(int(np.floor(y)), h - 1)
    x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
    ax, ay = x - x0, y - y0
    return ((1 - ax) * (1 - ay) * img[y0, x0] + ax * (1 - ay) * img[y0, x1]
            + (1 - ax) * ay * img[y1, x0] + ax * ay * img[y1, x1])


def guided_upsample(guide, small_guide, src, r, eps):
    """He and Sun's fast guided filter: coefficients on ``src``'s grid against ``small_guide``,
    box radius ``r`` there, applied to the full guide. Guides are uint8 (H, W, c)."""
    big = guide.astype(np.float64) / 255
    small = small_guide.astype(np.float64) / 255
    p = src.astype(np.float64)
    h, w, c = small.shape
    mean_i, mean_p = box_mean(small, r), box_mean(p, r)
    cov = box_mean(small * p[..., None], r) - mean_i * mean_p[..., None]
    sigma = np.zeros((h, w, c, c))
    for i in range(c):
        for j in range(c):
            sigma[..., i, j] = box_mean(small[..., i] * small[..., j], r) - mean_i[..., i] * mean_i[..., j]
    a = np.linalg.solve(sigma + eps * np.eye(c), cov[..., None])[..., 0]
    b = mean_p - (a * mean_i).sum(-1)
    mean_a, mean_b = box_mean(a, r), box_mean(b, r)
    up_a = resize_bilinear(mean_a, *guide.shape[:2])
    up_b = resize_bilinear(mean_b, *guide.shape[:2])
    return (up_a * big).sum(-1) + up_b


def seg2bmap(mask):
    """BSDS's seg2bmap on the whole frame: a pixel differing from its east, south or south-east
    neighbour (missing neighbours are background, the last row/column use only east/south)."""
    seg = np.asarray(mask).astype(bool)
    east, south, south_east = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    b[-1, :] = seg[-1, :] ^ east[-1, :]
    b[:, -1] = seg[:, -1] ^ south[:, -1]
    b[-1, -1] = False
    return b


def davis_boundary_f(pred, gt, void, radius):
    """DAVIS F of one frame with full-frame dilations (db_eval_boundary's arithmetic)."""
    import cv2
    from skimage.morphology import disk

    boundary_map = seg2bmap
    keep = np.ones(gt.shape, bool) if void is None else ~void
    pb, gb = boundary_map(pred & keep), boundary_map(gt & keep)
    kernel = disk(radius).astype(np.uint8)
    n_p, n_g = pb.sum(), gb.sum()
    if n_p == 0 or n_g == 0:
        p, r = float(n_p == 0), float(n_g == 0)
    else:
        p = (pb & (cv2.dilate(gb.astype(np.uint8), kernel) > 0)).sum() / n_p
        r = (gb & (cv2.dilate(pb.astype(np.uint8), kernel) > 0)).sum() / n_g
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def davis_sequence(pred, gt, task):
    """(J, F) per object, (objects, frames) each, as DAVISEvaluation.evaluate computes them on whole arrays."""
    import math

    from scipy.optimize import linear_sum_assignment

    radius = math.ceil(0.008 * math.hypot(*gt.shape[1:]))
    n_gt = int(gt[0][gt[0] != 255].max(initial=0))
    void = gt == 255
    if task == "semi-supervised":
        pred, gt, void = pred[1:-1], gt[1:-1], np.zeros_like(void[1:-1])
    n_pred = max(int(pred.max()), n_gt)
    score = np.zeros((n_pred, n_gt, 2, len(gt)))
    for i in range(n_pred):
        for k in range(n_gt):
            if task == "semi-supervised" and i != k:
                continue
            for t in range(len(gt)):
                p, g, v = pred[t] == i + 1, gt[t] == k + 1, void[t]
                union = (p | g)[~v].sum()
                score[i, k, 0, t] = 1.0 if union == 0 else (p & g)[~v].sum() / union
                score[i, k, 1, t] = davis_boundary_f(p, g, v, radius)
    if task == "semi-supervised":
        return [(score[k, k, 0], score[k, k, 1]) for k in range(n_gt)]
    rows, cols = linear_sum_assignment(-score.mean(axis=3).mean(axis=2))
    return [(score[r, c, 0], score[r, c, 1]) for r, c in zip(rows, cols)]
