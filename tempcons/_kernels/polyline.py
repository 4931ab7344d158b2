"""Polyline simplification as ``psimpl`` does it (radial distance, then Douglas-Peucker)."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def radial_distance(points, tol):
    """Drop points closer than ``tol`` to the last kept one; first and last always kept."""
    n = len(points)
    if n < 3:
        return points.copy()
    keep = np.zeros(n, np.bool_)
    keep[0] = True
    keep[n - 1] = True
    key = 0
    tol2 = tol * tol
    for i in range(1, n - 1):
        dx = points[i, 0] - points[key, 0]
        dy = points[i, 1] - points[key, 1]
        if dx * dx + dy * dy >= tol2:
            keep[i] = True
            key = i
    return points[keep]


@njit(cache=True, nogil=True)
def _segment_distance2(p, a, b):
    """Squared distance of ``p`` to segment ``ab`` as psimpl computes it.

    psimpl rounds the projection fraction to single precision. On a pixel grid many points
    lie exactly as far from a segment as their neighbours (a run parallel to it); that
    rounding noise, not the index, then decides which one becomes the key, and with it which
    vertices survive, so it is reproduced here.
    """
    vx, vy = b[0] - a[0], b[1] - a[1]
    wx, wy = p[0] - a[0], p[1] - a[1]
    cw = wx * vx + wy * vy
    if cw <= 0:
        return wx * wx + wy * wy
    cv = vx * vx + vy * vy
    if cv <= cw:
        return (p[0] - b[0]) ** 2 + (p[1] - b[1]) ** 2
    # float / float in C++; the quotient of two float32 values rounded once from float64 is
    # the same number (double rounding is exact for division at these precisions).
    f = np.float64(np.float32(np.float64(np.float32(cw)) / np.float64(np.float32(cv))))
    dx = p[0] - (a[0] + f * vx)
    dy = p[1] - (a[1] + f * vy)
    return dx * dx + dy * dy


@njit(cache=True, nogil=True)
def douglas_peucker(points, tol):
    """psimpl's Douglas-Peucker (after its radial-distance pass, :func:`radial_distance`): of
    equally far points the last is the key, ties decided after its rounding."""
    n = len(points)
    if n < 3:
        return points.copy()
    keep = np.zeros(n, np.bool_)
    keep[0] = True
    keep[n - 1] = True
    tol2 = tol * tol
    stack = [(0, n - 1)]
    while len(stack) > 0:
        first, last = stack.pop()
        key, key_d2 = 0, 0.0
        for i in range(first + 1, last):
            d2 = _segment_distance2(points[i], points[first], points[last])
            if d2 >= key_d2:
                key, key_d2 = i, d2
        if key > 0 and key_d2 > tol2:
            keep[key] = True
            stack.append((key, last))
            stack.append((first, key))
    return points[keep]
