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
    vx, vy = b[0] - a[0], b[1] - a[1]
    wx, wy = p[0] - a[0], p[1] - a[1]
    cw = wx * vx + wy * vy
    if cw <= 0:
        return wx * wx + wy * wy
    cv = vx * vx + vy * vy
    if cv <= cw:
        return (p[0] - b[0]) ** 2 + (p[1] - b[1]) ** 2
    f = cw / cv
    return (wx - f * vx) ** 2 + (wy - f * vy) ** 2


@njit(cache=True, nogil=True)
def douglas_peucker(points, tol):
    """Classic Douglas-Peucker, point-to-segment distance; of equally far points the last wins."""
    n = len(points)
    if n < 3:
        return points.copy()
    keep = np.zeros(n, np.bool_)
    keep[0] = True
    keep[n - 1] = True
    tol2 = tol * tol
    stack = [(0, n - 1)]
    while len(stack) > 0:
        a, b = stack.pop()
        best, best_d2 = 0, 0.0
        for i in range(a + 1, b):
            d2 = _segment_distance2(points[i], points[a], points[b])
            if d2 >= best_d2:
                best, best_d2 = i, d2
        if best > 0 and best_d2 > tol2:
            keep[best] = True
            stack.append((best, b))
            stack.append((a, best))
    return points[keep]
