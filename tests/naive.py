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


def follow(flow, x, y, H, W):
    """Full-res pixel -> position in the other frame through a flow on a scaled grid."""
    h, w = flow.shape[:2]
    sx, sy = w / W, h / H
    fx = np.clip((x + 0.5) * sx - 0.5, 0, w - 1)
    fy = np.clip((y + 0.5) * sy - 0.5, 0, h - 1)
    u, v = bilinear(flow[..., 0], fx, fy), bilinear(flow[..., 1], fx, fy)
    return x + u / sx, y + v / sy, fx, fy


def exp_neg(z):
    b = 1 - z / 16
    return 0.0 if b < 0.01 else b ** 16


def recursive_step(m, mb, gray, prev_e, prev_w, prev_g, flow, valid, lam, sigma, kappa, wmax, floor):
    H, W = m.shape
    e = np.zeros((H, W))
    s = np.zeros((H, W))
    wo = np.zeros((H, W))
    for y in range(H):
        for x in range(W):
            c = confidence(m[y, x], mb[y, x], floor)
            hist, q = 0.0, 0.0
            if prev_e is not None:
                px, py, fx, fy = follow(flow, x, y, H, W)
                if inside(px, py, W, H):
                    val = bilinear(valid, fx, fy)
                    if val > 0:
                        d = gray[y, x] - bilinear(prev_g, px, py)
                        hist = lam * bilinear(prev_w, px, py) * val * exp_neg(d * d / (2 * sigma * sigma))
                        q = bilinear(prev_e, px, py)
            s[y, x] = c + hist
            e[y, x] = (c * m[y, x] + hist * q) / s[y, x]
            wo[y, x] = min(s[y, x] * (1 - kappa * abs(m[y, x] - q)) if hist > 0 else s[y, x], wmax)
    return e, s, wo


def hysteresis(value, prev_b, flow, valid, margin):
    H, W = value.shape
    out = (value > 0.5).astype(np.uint8)
    for y in range(H):
        for x in range(W):
            v = value[y, x]
            if 0.5 - margin < v < 0.5 + margin:
                px, py, fx, fy = follow(flow, x, y, H, W)
                if inside(px, py, W, H) and bilinear(valid, fx, fy) > 0.5:
                    out[y, x] = prev_b[min(int(py + 0.5), H - 1), min(int(px + 0.5), W - 1)]
    return out
