"""DAVIS-2016 temporal (in)stability T: shape-context matching of consecutive masks.

Perazzi et al. (CVPR 2016) measure how much the *shape* of a segmentation changes from one
frame to the next, whatever its accuracy. The reference is MATLAB with C++ helpers
(``davis-matlab``: ``t_stability.m``, ``mex_match_dijkstra``, the ``polycont`` library) or
Python 2 with a Boost module; this is a plain Python/Numba version written from those
conventions:

1. each mask becomes polygons along its pixel edges (outer contours and holes), simplified by
   Douglas-Peucker with the reference's tolerance (3 in its doubled coordinates, i.e. 1.5 px,
   after a radial-distance pass as ``psimpl`` does); polygons of three points or fewer are
   dropped; if either mask has none, the pair is NaN;
2. the polygon with the most vertices is kept and resampled so that no segment exceeds 3 px;
3. shape contexts: 12 angle x 5 log-radius bins, radii 1/8..2 of the mean pairwise distance;
4. cost = chi-squared distance of the normalised histograms;
5. contour matching: cheapest monotone path from (0, 0) to the end, then again after rotating
   both contours so that the cheapest matched pair of the first pass becomes the end point;
6. the matching is made one-to-one (the cheapest pair per index, in each direction), and the
   pair's T is the mean cost of the matched points.

A sequence's T is 5 x nanmean of its pairs' values (the reference's factor, "to put it in a
similar range than other measures"); lower is more stable. DAVIS-2016 pairs the first
ground-truth frame with result 1, then results 1-2, ..., N-3 - N-2 (first and last frames are
not evaluated), and averages sequence values only over the sequences it marks stable
(:data:`DAVIS2016_STABLE_VAL`).

Validation: on the DAVIS team's official per-frame T of KEY on five DAVIS-2016 val sequences
(``tests/test_stability.py``, shared data), see ``docs/metrics.md`` for the agreement.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .._kernels.matching import chi2_cost, monotone_path
from .._kernels.polyline import douglas_peucker, radial_distance

__all__ = ["shape_instability", "temporal_stability", "DAVIS2016_STABLE_VAL"]

#: DAVIS-2016 val sequences that count in the dataset T (``db_util/db_seqs.m``).
DAVIS2016_STABLE_VAL = ("blackswan", "camel", "car-roundabout", "car-shadow", "cows",
                        "drift-straight", "kite-surf", "paragliding-launch", "scooter-black",
                        "soapbox")

_SIMPLIFY_TOL = 3.0      # in doubled (junction) coordinates, as polycont applies it
_UPSAMPLE_TOL = 3.0      # longest segment after resampling, px
_N_THETA, _N_R = 12, 5
_R_INNER, _R_OUTER = 1.0 / 8.0, 2.0


def _simple_loops(points: np.ndarray) -> list[np.ndarray]:
    """Split a closed contour that touches itself into simple closed loops (Jordan curves)."""
    loops, stack, seen = [], [], {}
    for p in map(tuple, points):
        if p in seen:
            start = seen[p]
            loop = stack[start:]
            for q in loop[1:]:
                del seen[q]
            del stack[start + 1:]
            loops.append(np.asarray(loop, np.float64))
        else:
            seen[p] = len(stack)
            stack.append(p)
    if len(stack) > 2:
        loops.append(np.asarray(stack, np.float64))
    return loops


def _crack_path(points: np.ndarray) -> np.ndarray:
    """Put back the pixel corners that an 8-connected trace cuts at concave turns.

    On the doubled grid, corners have two even coordinates and edge midpoints one; the trace
    steps diagonally from midpoint to midpoint across a concave corner, which the reference's
    crack-following contour goes through.
    """
    nxt = np.roll(points, -1, axis=0)
    diagonal = np.all(points != nxt, axis=1)
    corner = np.where((points[:, :1] % 2 == 0), np.stack([points[:, 0], nxt[:, 1]], 1),
                      np.stack([nxt[:, 0], points[:, 1]], 1))
    out = np.empty((len(points) + int(diagonal.sum()), 2), points.dtype)
    slots = np.arange(len(points)) + np.concatenate([[0], np.cumsum(diagonal)[:-1]])
    out[slots] = points
    out[slots[diagonal] + 1] = corner[diagonal]
    return out


def _polygons(mask: np.ndarray) -> list[np.ndarray]:
    """Simplified pixel-edge polygons of a mask, (n, 2) float64 (row, col) at pixel corners."""
    h, w = mask.shape
    # Doubled grid: pixel (r, c) covers [2r, 2r+2] x [2c, 2c+2], so its edges and corners are
    # pixels of their own and the outermost foreground pixels trace the crack boundary. One
    # pixel of padding keeps contours off the image border, which findContours ignores.
    doubled = np.zeros((2 * h + 3, 2 * w + 3), np.uint8)
    doubled[2:-2:2, 2:-2:2] = mask.astype(bool)
    doubled = cv2.dilate(doubled, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(doubled, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    polygons = []
    for c in contours:
        # Where regions touch at a corner the trace passes it twice; the reference splits
        # such a contour into simple closed curves there.
        for loop in _simple_loops(_crack_path(c[:, 0, ::-1] - 1)):
            # psimpl's Douglas-Peucker runs a radial-distance pass first; polycont runs it
            # once at 0.1 (dropping collinear points) and once at the real tolerance.
            straight = douglas_peucker(loop, 0.1)
            simple = douglas_peucker(radial_distance(straight, _SIMPLIFY_TOL), _SIMPLIFY_TOL)
            if len(simple) > 3:
                if _signed_area(simple) < 0:
                    simple = np.concatenate([simple[:1], simple[:0:-1]])
                polygons.append(simple / 2.0)
    return polygons


def _signed_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _upsample(poly: np.ndarray, tol: float) -> np.ndarray:
    """Insert evenly spaced points so that no segment of the closed polygon exceeds ``tol``."""
    out = []
    nxt = np.roll(poly, -1, axis=0)
    for p, q in zip(poly, nxt):
        out.append(p)
        n = math.ceil(float(np.hypot(*(q - p))) / tol)
        if n > 1:
            step = (q - p) / n
            out.extend(p + step * k for k in range(1, n))
    return np.asarray(out)


def _shape_contexts(pts: np.ndarray) -> np.ndarray:
    """Row-normalised log-polar histograms (n, 60) of every point's view of the others."""
    d = pts[None, :, :] - pts[:, None, :]
    r = np.hypot(d[..., 0], d[..., 1])
    theta = np.arctan2(d[..., 1], d[..., 0])
    r = r / r.mean()
    edges = np.logspace(np.log10(_R_INNER), np.log10(_R_OUTER), _N_R)
    r_bin = np.sum(r[..., None] < edges, axis=-1)
    theta = np.fmod(np.fmod(theta, 2 * np.pi) + 2 * np.pi, 2 * np.pi)
    t_bin = np.minimum(np.floor(theta / (2 * np.pi / _N_THETA)).astype(np.int64), _N_THETA - 1)
    n, n_bins = len(pts), _N_R * _N_THETA
    # Points beyond the outer radius (r_bin 0) go to a spill bin that is dropped.
    index = np.where(r_bin > 0, (r_bin - 1) * _N_THETA + t_bin, n_bins)
    index += np.arange(n)[:, None] * (n_bins + 1)
    hist = np.bincount(index.ravel(), minlength=n * (n_bins + 1)).reshape(n, n_bins + 1)[:, :n_bins]
    return hist / (hist.sum(axis=1, keepdims=True) + np.finfo(np.float64).eps)


def _bijective(pairs: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Keep, for each index on one side and then the other, its cheapest pair."""
    for side in (0, 1):
        kept = []
        for idx in np.unique(pairs[:, side]):
            group = pairs[pairs[:, side] == idx]
            kept.append(group[np.argmin(cost[group[:, 0], group[:, 1]])])
        pairs = np.asarray(kept)
    return pairs


def shape_instability(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """DAVIS-2016 T of one pair of masks: mean shape-context cost of the matched contour points.

    Parameters
    ----------
    mask_a, mask_b : ndarray, (H, W)
        Consecutive masks; nonzero = foreground.

    Returns
    -------
    float
        Unscaled per-pair value (a sequence's T is 5 x the nanmean of these); NaN when either
        mask has no contour of more than three vertices.

    Raises
    ------
    ValueError
        If the masks are not 2-D arrays of one shape.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((60, 80), bool); a[15:45, 20:60] = True
    >>> shape_instability(a, a)
    0.0
    >>> b = np.zeros_like(a); b[15:45, 20:40] = True; b[30:45, 40:60] = True
    >>> 0 < shape_instability(a, b) < 1
    True
    """
    a, b = np.asarray(mask_a), np.asarray(mask_b)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"mask_a and mask_b must be 2-D masks of one shape, got {a.shape} and {b.shape}")
    return _match_cost(_descriptor(a), _descriptor(b))


def _descriptor(mask: np.ndarray) -> np.ndarray | None:
    """Shape contexts of the resampled longest polygon, or None when there is no polygon."""
    polygons = _polygons(mask)
    if not polygons:
        return None
    # The first polygon with the most vertices, as get_longest_cont picks it.
    longest = polygons[int(np.argmax([len(p) for p in polygons]))]
    return _shape_contexts(_upsample(longest, _UPSAMPLE_TOL))


def _match_cost(h1: np.ndarray | None, h2: np.ndarray | None) -> float:
    """Mean cost of the one-to-one cyclic matching of two contours' shape contexts."""
    if h1 is None or h2 is None:
        return float("nan")
    cost = np.empty((len(h1), len(h2)))
    chi2_cost(h1, h2, cost)
    path = monotone_path(cost)
    # The cheapest matched pair (the first met walking back from the end, origin excluded)
    # becomes the end point of the second pass.
    inner = path[:-1]
    shift = inner[int(np.argmin(cost[inner[:, 0], inner[:, 1]]))] + 1
    rolled = np.ascontiguousarray(np.roll(cost, (-shift[0], -shift[1]), axis=(0, 1)))
    pairs = (monotone_path(rolled) + shift) % np.array(cost.shape)
    pairs = _bijective(pairs, cost)
    return float(np.mean(cost[pairs[:, 0], pairs[:, 1]]))


def temporal_stability(masks: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
    """Per-pair DAVIS T of consecutive masks, unscaled.

    Parameters
    ----------
    masks : ndarray, (T, H, W)
        A mask sequence; nonzero = foreground.
    first : ndarray, (H, W), optional
        Stands in for ``masks[0]`` (DAVIS-2016 pairs the first ground-truth frame with result
        1). Pass ``masks=pred[:-1], first=gt[0]`` to get the official per-frame values of
        frames 1..T-2.

    Returns
    -------
    ndarray of float64, (T - 1,)
        Value i is the pair (i, i + 1); NaN where a mask has no contour. The sequence's T is
        ``5 * np.nanmean(values)``.

    Raises
    ------
    ValueError
        If ``masks`` is not (T, H, W) with T >= 2 or ``first`` has another shape.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3 or len(masks) < 2:
        raise ValueError(f"masks must be (T, H, W) with T >= 2, got shape {masks.shape}")
    seq = list(masks)
    if first is not None:
        first = np.asarray(first)
        if first.shape != masks.shape[1:]:
            raise ValueError(f"first must be one mask of shape {masks.shape[1:]}, got {first.shape}")
        seq[0] = first
    descriptors = [_descriptor(m) for m in seq]
    return np.array([_match_cost(descriptors[i], descriptors[i + 1]) for i in range(len(seq) - 1)])
