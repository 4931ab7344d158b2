"""DAVIS-2016 temporal (in)stability T: shape-context matching of consecutive masks.

Perazzi et al. (CVPR 2016) measure how much the *shape* of a segmentation changes from one
frame to the next, whatever its accuracy. The reference is MATLAB with C++ helpers
(``davis-matlab``: ``t_stability.m``, ``mex_match_dijkstra``, the ``polycont`` library) or
Python 2 with a Boost module; this is a plain Python/Numba version written from those
conventions:

1. each mask becomes polygons as ``polycont`` builds them: crack-edge pieces between
   junctions (corners where foreground touches only diagonally) chained into closed curves
   with its walking rules, so each curve starts where polycont's does and runs its way; then
   ``psimpl``'s radial-distance + Douglas-Peucker (tolerance 0.1, then 3 in doubled
   coordinates, i.e. 1.5 px, single-precision projection included); outer contours clockwise,
   holes counter-clockwise; the closing point is kept, and polygons of three points or fewer
   (closing point counted) are dropped; if either mask has none, the pair is NaN;
2. the first polygon with the most points is kept and resampled so that no segment exceeds
   3 px, inserted points accumulated as ``contour_upsample.m`` does;
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

Validation (``tests/test_stability.py``, shared data): on every mask of the seven DAVIS-2016
val sequences with official per-frame T of KEY, the polygons equal those of polycont's own C++
(built from ``davis-matlab``), and the per-frame values equal the official code rerun under
GNU Octave within 1e-3 relative on 100 % (blackswan) and 97 % (motocross-jump) of frames.
Against the DAVIS team's published values every sequence T is within 1.3 %; per frame, a few
sequences keep frames where the published run itself chained its curves differently (the
Octave rerun of the official code misses the same frames).
"""

from __future__ import annotations

import math

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


class _Piece:
    """A stretch of crack boundary from one junction to the next, as polycont explores it."""

    __slots__ = ("orig", "end", "edges", "corners")

    def __init__(self, orig: int, end: int, edges: list, corners: list):
        self.orig, self.end, self.edges, self.corners = orig, end, edges, corners

    def other(self, junction: int) -> int:
        return self.end if junction == self.orig else self.orig

    def first_edge(self, junction: int) -> tuple:
        return self.edges[0] if junction == self.orig else self.edges[-1]


def _pieces(mask: np.ndarray) -> list[_Piece]:
    """polycont's contour pieces of a mask, in its order, on the doubled grid.

    Corner (2r, 2c) is the top-left corner of pixel (r, c); an edge is named by its midpoint.
    Junctions are the corners where two foreground pixels touch only diagonally. Pieces run
    from junction to junction, explored from the last junction's edges first (polycont
    pushes every junction's edges right, down, left, up on a stack); boundaries without a
    junction come after, each from an artificial junction at the top of its first vertical
    edge in row-major order.
    """
    p = np.pad(mask.astype(bool), 1)
    vertical = p[1:-1, :-1] != p[1:-1, 1:]      # edge (2r+1, 2c) between pixels (r, c-1), (r, c)
    horizontal = p[:-1, 1:-1] != p[1:, 1:-1]    # edge (2r, 2c+1) between pixels (r-1, c), (r, c)
    edges = {(2 * r + 1, 2 * c) for r, c in zip(*np.nonzero(vertical))}
    edges.update((2 * r, 2 * c + 1) for r, c in zip(*np.nonzero(horizontal)))
    # The 2 x 2 pixels around corner (r, c) form a checkerboard.
    checker = (p[:-1, :-1] == p[1:, 1:]) & (p[:-1, 1:] == p[1:, :-1]) & (p[:-1, :-1] != p[:-1, 1:])
    junctions = {(2 * int(r), 2 * int(c)): i + 1 for i, (r, c) in enumerate(np.argwhere(checker))}

    visited: set = set()

    def explore(junction: tuple, edge: tuple) -> _Piece:
        corner, path, corners = junction, [], [junction]
        while True:
            visited.add(edge)
            path.append(edge)
            x, y = edge
            ends = ((x - 1, y), (x + 1, y)) if x % 2 else ((x, y - 1), (x, y + 1))
            corner = ends[1] if ends[0] == corner else ends[0]
            corners.append(corner)
            if corner in junctions:
                return _Piece(junctions[junction], junctions[corner], path, corners)
            # Elsewhere exactly two contour edges meet at a corner: go on along the other.
            x, y = corner
            edge = next(e for e in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1))
                        if e in edges and e not in visited)

    pieces = []
    to_explore = [(j, (j[0] + dx, j[1] + dy)) for j in junctions
                  for dx, dy in ((0, 1), (1, 0), (0, -1), (-1, 0))]
    for junction, edge in reversed(to_explore):
        if edge not in visited:
            pieces.append(explore(junction, edge))
    for r, c in np.argwhere(vertical):
        edge = (2 * int(r) + 1, 2 * int(c))
        if edge not in visited:
            junctions[(edge[0] - 1, edge[1])] = len(junctions) + 1
            pieces.append(explore((edge[0] - 1, edge[1]), edge))
    return pieces


def _jordan_curves(pieces: list[_Piece]) -> list[np.ndarray]:
    """Chain pieces into closed curves (corner paths, last point = first) as polycont does.

    polycont walks from piece to piece, never straight on through a junction, and closes a
    curve whenever it comes back to a junction already on its walk. It starts each walk at
    the first entry of an ``unordered_map`` keyed by junction id; libstdc++ (with which the
    reference's values reproduce) iterates such a map, built in id order with a bucket per
    key, from the last inserted key: the highest id still present. The piece taken at a
    junction is the lowest-numbered one left, or the next if that one goes straight on.
    """
    left: dict = {}
    for i, piece in enumerate(pieces):
        left.setdefault(piece.orig, set()).add(i)
        left.setdefault(piece.end, set()).add(i)

    def take(junction: int, i: int) -> None:
        for j in (junction, pieces[i].other(junction)):
            if j in left:
                left[j].discard(i)
                if not left[j]:
                    del left[j]

    curves = []
    while left:
        junction = max(left)
        piece = min(left[junction])
        walk = []
        while True:
            take(junction, piece)
            walk.append((junction, piece))
            junction = pieces[piece].other(junction)
            on_walk = [j for j, _ in walk]
            if junction in on_walk:
                start = on_walk.index(junction)
                curves.append(_chain(pieces, walk[start:]))
                del walk[start:]
                if not walk:
                    break
                piece = walk[-1][1]
            candidates = sorted(left[junction])
            arriving = pieces[piece].first_edge(junction)
            leaving = pieces[candidates[0]].first_edge(junction)
            straight = leaving[0] == arriving[0] or leaving[1] == arriving[1]
            piece = candidates[min(int(straight), len(candidates) - 1)]
    return curves


def _chain(pieces: list[_Piece], walk: list) -> np.ndarray:
    """The corner path of a closed walk [(junction, piece), ...], each piece read from its
    junction."""
    corners = []
    for k, (junction, i) in enumerate(walk):
        run = pieces[i].corners if junction == pieces[i].orig else pieces[i].corners[::-1]
        corners.extend(run if k == 0 else run[1:])
    return np.asarray(corners, np.float64)


def _simplify(points: np.ndarray, tol: float) -> np.ndarray:
    """psimpl's ``simplify_douglas_peucker``: a radial-distance pass, then Douglas-Peucker."""
    return douglas_peucker(radial_distance(points, tol), tol)


def _polygons(mask: np.ndarray) -> list[np.ndarray]:
    """Simplified polygons of a mask as polycont's ``mask2polycont`` returns them.

    Each is an (n, 2) float64 array of (row, col) pixel corners whose last point repeats the
    first: polycont closes every curve on its start junction and keeps that copy through
    simplification, so it counts towards the vertex count (both for the "more than three
    points" filter and for picking the longest contour) and reappears as a duplicate point
    in the upsampled contour. Where a curve starts, and which way it runs, changes both the
    simplification and the matching, so both follow polycont.
    """
    padded = np.pad(mask.astype(bool), 1)
    polygons = []
    for curve in _jordan_curves(_pieces(mask)):
        # psimpl's Douglas-Peucker runs a radial-distance pass first; polycont runs it once at
        # 0.1 (dropping collinear corners) and once at the real tolerance, in walking order.
        simple = _simplify(_simplify(curve, 0.1), _SIMPLIFY_TOL)
        # polycont then orients outer contours clockwise and holes counter-clockwise.
        if _clockwise(simple) == _is_hole(curve, padded):
            simple = simple[::-1]
        if len(simple) > 3:
            polygons.append(simple / 2.0)
    return polygons


def _is_hole(poly: np.ndarray, fg: np.ndarray) -> bool:
    """Whether a closed corner polygon (doubled coordinates) bounds background.

    Its first edge is a pixel edge with foreground on one side: the polygon is a hole when
    that side is not the side its interior lies on.
    """
    step = poly[1] - poly[0]
    mid = (poly[0] + poly[1]) // 2
    # The pixel to the right of the walk along the first edge, in (row, col) with rows down.
    right = ((mid + np.array([step[1], -step[0]]) // 2 - 1) // 2 + 1).astype(np.int64)
    fg_right = bool(fg[right[0], right[1]])
    inside_right = _clockwise(poly)
    return fg_right != inside_right


def _clockwise(poly: np.ndarray) -> bool:
    """polycont's orientation test, with x = row and y = col: sum of (x' - x)(y' + y) > 0.

    True when the interior lies to the right of the walk (rows pointing down).
    """
    nxt = np.roll(poly, -1, axis=0)
    return float(np.sum((nxt[:, 0] - poly[:, 0]) * (nxt[:, 1] + poly[:, 1]))) > 0


def _upsample(poly: np.ndarray, tol: float) -> np.ndarray:
    """Insert evenly spaced points so that no segment of the closed polygon exceeds ``tol``.

    The inserted points are accumulated step by step as ``contour_upsample.m`` does, not
    computed as ``p + k * step``: the last-bit difference decides the angle bin of points
    that lie exactly level with another (an angle of pi or just below it). Computed the other
    way, 21 of blackswan's 48 frames move by more than 1e-3 from the official code's rerun.
    """
    out = []
    nxt = np.roll(poly, -1, axis=0)
    for p, q in zip(poly, nxt):
        out.append(p)
        n = math.ceil(float(np.hypot(*(q - p))) / tol)
        if n > 1:
            step = (q - p) / n
            point = p
            for _ in range(n - 1):
                point = point + step
                out.append(point)
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
