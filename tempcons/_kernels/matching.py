"""Shape-context costs and the monotone contour matching of DAVIS's temporal stability T."""

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True, nogil=True)
def chi2_cost(h1, h2, out):
    """out[i, j] = 0.5 sum_k (h1[i,k] - h2[j,k])^2 / (h1[i,k] + h2[j,k] + eps), rows normalised."""
    eps = 2.220446049250313e-16
    for i in prange(h1.shape[0]):
        for j in range(h2.shape[0]):
            s = 0.0
            for k in range(h1.shape[1]):
                a = h1[i, k]
                b = h2[j, k]
                s += (a - b) * (a - b) / (a + b + eps)
            out[i, j] = 0.5 * s


@njit(cache=True, nogil=True)
def monotone_path(cost):
    """Cheapest path from (0, 0) to the last cell with steps (1,0), (0,1), (1,1).

    Entering a cell costs its value (the shortest path DAVIS finds with Dijkstra on this
    graph). Returns the path from the last cell back to (0, 0) as an (L, 2) int array.
    """
    n1, n2 = cost.shape
    acc = np.empty((n1, n2))
    came = np.zeros((n1, n2), np.int8)
    acc[0, 0] = 0.0
    for i in range(n1):
        for j in range(n2):
            if i == 0 and j == 0:
                continue
            best = np.inf
            move = 0
            if j > 0 and acc[i, j - 1] < best:
                best = acc[i, j - 1]
                move = 1
            if i > 0 and acc[i - 1, j] < best:
                best = acc[i - 1, j]
                move = 2
            if i > 0 and j > 0 and acc[i - 1, j - 1] < best:
                best = acc[i - 1, j - 1]
                move = 3
            acc[i, j] = best + cost[i, j]
            came[i, j] = move
    path = np.empty((n1 + n2, 2), np.int64)
    i, j, k = n1 - 1, n2 - 1, 0
    while True:
        path[k, 0] = i
        path[k, 1] = j
        k += 1
        if i == 0 and j == 0:
            break
        move = came[i, j]
        if move == 1:
            j -= 1
        elif move == 2:
            i -= 1
        else:
            i -= 1
            j -= 1
    return path[:k]
