"""Instance id maps: arbitrary per-frame ids made consistent over time.

A per-frame instance segmenter numbers its objects afresh every frame. :class:`InstanceTracker`
gives each object one id for as long as it is seen, causally:

1. **scene cuts**: when both the frame's colour histogram jumps (Bhattacharyya distance above
   ``cut_threshold``) and its content does (mean absolute grey-level difference of 64-px-wide
   thumbnails above ``cut_difference``), every track is forgotten and ids start afresh; either
   test alone fires on fast motion or lighting changes;
2. **matching**: the previous frame's output ids are pulled into the current frame along the
   optical flow (nearest neighbour; the caller's flow, or the tracker's own DIS); the IoU of
   every current instance with every warped track (one joint histogram, O(H x W)) feeds
   ``scipy.optimize.linear_sum_assignment``; pairs below ``min_iou`` are not matched;
3. **lost tracks**: a track that finds no instance is kept ``max_lost`` frames with its last
   mask (carried along the flow) and its colour histogram; an unmatched instance that overlaps
   the carried mask or looks like the track (hue-saturation histogram correlation above
   ``min_similarity``) takes the lost track's id back, so a person who was occluded or left the
   frame returns with the same id;
4. everything else gets a new id, never one used before.

:func:`track_instances` runs it over a clip and returns the new id maps, the per-frame mapping
and the cuts. ``tempcons.stabilize(..., kind="instances")`` runs the tracker inside its own
pipeline, handing it the flow it computes (or was given) for each frame pair, and smooths the
relabelled maps with the label-map vote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from ._validate import as_gray_uint8, as_uint8, check_flow, check_frame, check_frames
from .flow import FlowEstimator, resize_flow
from .masks import check_labels
from .settings import TrackSettings
from .warp import warp_fill

__all__ = ["InstanceTracker", "TrackedInstances", "track_instances", "frame_histogram"]


def frame_histogram(frame: np.ndarray, mask: np.ndarray | None = None, bins: int = 16) -> np.ndarray:
    """Normalised hue-saturation histogram (bins x bins, float32) of a frame, or of a mask's pixels.

    Grey frames give a grey-level histogram instead.

    Examples
    --------
    >>> import numpy as np
    >>> h = frame_histogram(np.zeros((8, 8, 3), np.uint8))
    >>> h.shape, float(h.sum())
    ((16, 16), 1.0)
    """
    return _histogram(_hue_saturation(frame), mask, bins)


def _hue_saturation(frame: np.ndarray) -> np.ndarray:
    """What the histograms count: HSV for a colour frame, the grey level for a grey one (made once
    per frame, however many instances are counted in it)."""
    img = as_uint8(frame)
    return cv2.cvtColor(img, cv2.COLOR_RGB2HSV) if img.ndim == 3 else img


def _histogram(hs: np.ndarray, mask: np.ndarray | None = None, bins: int = 16) -> np.ndarray:
    m = None if mask is None else mask.astype(np.uint8)
    if hs.ndim == 3:
        hist = cv2.calcHist([hs], [0, 1], m, [bins, bins], [0, 180, 0, 256])
    else:
        hist = cv2.calcHist([hs], [0], m, [bins * bins], [0, 256]).reshape(bins, bins)
    total = float(hist.sum())
    return hist / total if total > 0 else hist


def _thumbnail(gray: np.ndarray) -> np.ndarray:
    """A 64-pixel-wide float32 copy of a grey frame, for the cut test's second opinion (made only
    when the histograms already differ: at 427 x 240 it costs as much as the histogram)."""
    return cv2.resize(gray, (64, max(1, round(64 * gray.shape[0] / gray.shape[1]))),
                      interpolation=cv2.INTER_AREA).astype(np.float32)


def _present(ids: np.ndarray) -> list[int]:
    """Nonzero ids in a map (a counting pass when ids are small, which beats sorting)."""
    top = int(ids.max(initial=0))
    values = np.flatnonzero(np.bincount(ids.ravel())) if top < 1 << 16 else np.unique(ids)
    return [int(i) for i in values if i != 0]


def _as_dtype(ids: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Ids in the caller's dtype when they fit it, else int32."""
    return ids.astype(dtype) if int(ids.max(initial=0)) <= np.iinfo(dtype).max else ids


def _bhattacharyya(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.compareHist(a, b, cv2.HISTCMP_CORREL))


@dataclass
class _Lost:
    mask: np.ndarray
    hist: np.ndarray
    since: int


@dataclass
class TrackedInstances:
    """Result of :func:`track_instances`.

    Attributes
    ----------
    ids : ndarray, (T, H, W)
        Consistent ids, same dtype as the input (0 stays background).
    mappings : list of dict
        Per frame, input id -> output id.
    cuts : list of int
        Frames where a scene cut was detected (tracks reset there).
    """

    ids: np.ndarray
    mappings: list
    cuts: list = field(default_factory=list)


class InstanceTracker:
    """Causal id tracker for per-frame instance maps (see the module docstring).

    Parameters
    ----------
    min_iou : float
        Smallest IoU between an instance and a flow-warped track for a match.
    max_lost : int
        Frames a lost track is remembered.
    min_similarity : float
        Colour-histogram correlation above which an unmatched instance takes a lost track's id
        back (in [-1, 1]).
    cut_threshold : float
        Bhattacharyya distance between consecutive frames' histograms above which a cut may be
        declared (in [0, 1]; 1 disables cut detection).
    cut_difference : float
        Mean absolute grey difference (0..255) between consecutive thumbnails above which a cut
        may be declared.
    flow_preset, flow_scale
        DIS settings of the matching flow, used when :meth:`update` is not given one.

    Examples
    --------
    >>> import numpy as np
    >>> tracker = InstanceTracker()
    >>> frame = np.zeros((32, 32, 3), np.uint8)
    >>> a = np.zeros((32, 32), np.int32); a[4:12, 4:12] = 7; a[20:28, 20:28] = 3
    >>> b = np.where(a == 7, 5, np.where(a == 3, 9, 0))  # the same objects, renumbered
    >>> ids_a, _ = tracker.update(frame, a)
    >>> ids_b, mapping = tracker.update(frame, b)
    >>> bool((ids_a == ids_b).all()), mapping[5] == int(ids_a[8, 8])
    (True, True)
    """

    def __init__(self, *, min_iou: float = 0.2, max_lost: int = 30, min_similarity: float = 0.6,
                 cut_threshold: float = 0.2, cut_difference: float = 12.0, flow_preset: str = "fast",
                 flow_scale: float = 0.5) -> None:
        options = TrackSettings(min_iou=min_iou, max_lost=max_lost, min_similarity=min_similarity,
                                cut_threshold=cut_threshold, cut_difference=cut_difference)  # checks them
        self.min_iou, self.max_lost = float(options.min_iou), options.max_lost
        self.min_similarity, self.cut_threshold = float(options.min_similarity), float(options.cut_threshold)
        self.cut_difference = float(options.cut_difference)
        self._estimator = FlowEstimator("dis", flow_preset, flow_scale)
        self._next_id = 1
        self.cut = False  # whether the last update found a scene cut
        self.reset()

    def reset(self) -> None:
        """Forget every track (a new clip); ids keep increasing, so none is ever reused."""
        self._prev_gray: np.ndarray | None = None
        self._prev_small: np.ndarray | None = None  # the previous frame on the flow's grid, once shrunk
        self._prev_hist: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None
        self._prev_tracks: list[int] = []  # the ids in _prev_out, ascending (known, not counted again)
        self._prev_hs: np.ndarray | None = None  # what the previous frame's histograms count
        self._lost: dict[int, _Lost] = {}
        self._t = 0

    def _pull(self, gray: np.ndarray) -> np.ndarray:
        """The tracker's own flow current -> previous at frame resolution: where each pixel was one frame ago."""
        # Each frame is shrunk once; the previous one only when it came with a flow and was not.
        prev = self._estimator.shrink(self._prev_gray) if self._prev_small is None else self._prev_small
        small = self._estimator.shrink(gray)
        self._prev_small = small
        return resize_flow(self._estimator(small, prev), *gray.shape)

    def update(self, frame: np.ndarray, ids: np.ndarray, flow: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """Relabel one frame's instance map.

        Parameters
        ----------
        frame : ndarray, (H, W, 3) or (H, W)
            The video frame (RGB or grey, uint8 or float in [0, 1]).
        ids : ndarray of int, (H, W)
            Instance ids of that frame, 0 = background, arbitrary numbering.
        flow : ndarray, float32, (H, W, 2), optional
            Flow from this frame to the previous one (it pulls the previous ids into this frame),
            at frame resolution. Without it the tracker computes its own DIS flow. Unused for
            the first frame and at a scene cut.

        Returns
        -------
        (ndarray, dict)
            The relabelled map (the input's dtype; int32 ids must fit it) and the mapping
            input id -> output id.

        Raises
        ------
        ValueError, TypeError
            Bad frame, ids or flow, size change without :meth:`reset`.
        """
        check_frame(frame, "frame")
        ids = np.asarray(ids)
        check_labels(ids, "ids")
        if ids.shape != frame.shape[:2]:
            raise ValueError(f"ids must have the frame's size {frame.shape[:2]}, got {ids.shape}")
        if flow is not None:
            flow = check_flow(flow, "flow", (*ids.shape, 2))
        if self._prev_out is not None and self._prev_out.shape != ids.shape:
            raise ValueError(f"frame size changed from {self._prev_out.shape} to {ids.shape}; call reset()")
        gray = as_gray_uint8(frame)
        hs = _hue_saturation(frame)
        hist = _histogram(hs)
        present = _present(ids)
        cut = (self._prev_hist is not None and _bhattacharyya(self._prev_hist, hist) > self.cut_threshold
               and float(np.abs(_thumbnail(gray) - _thumbnail(self._prev_gray)).mean()) > self.cut_difference)
        if cut:
            self.reset()
        self.cut = cut
        self._prev_hist = hist
        mapping: dict[int, int] = {}
        if self._prev_out is not None:
            if flow is None:
                flow = self._pull(gray)
            else:
                self._prev_small = None
            warped = warp_fill(self._prev_out, flow, nearest=True)
            for lost in self._lost.values():
                lost.mask = warp_fill(lost.mask, flow, nearest=True)
            mapping = self._match(ids, present, warped)
        self._recover(ids, hs, present, mapping)
        for i in present:
            if i not in mapping:
                mapping[i] = self._next_id
                self._next_id += 1
        out = np.zeros(ids.shape, np.int32)
        for i, new in mapping.items():
            out[ids == i] = new
            self._lost.pop(new, None)
        self._forget(set(mapping.values()))
        self._prev_out, self._prev_gray, self._prev_hs = out, gray, hs
        self._prev_tracks = sorted(mapping.values())
        self._t += 1
        return _as_dtype(out, ids.dtype), mapping

    def _match(self, ids: np.ndarray, present: list, warped: np.ndarray) -> dict:
        # IoU on every other row and column: a quarter of the work, the same matches.
        ids, warped = ids[::2, ::2], warped[::2, ::2]
        tracks = _present(warped)
        if not present or not tracks:
            return {}
        row = {i: k for k, i in enumerate(present)}
        col = {i: k for k, i in enumerate(tracks)}
        cur = np.array([row.get(int(i), -1) for i in range(int(ids.max()) + 1)])[ids]
        prv = np.array([col.get(int(i), -1) for i in range(int(warped.max()) + 1)])[warped]
        both = (cur >= 0) & (prv >= 0)
        inter = np.bincount(cur[both] * len(tracks) + prv[both], minlength=len(present) * len(tracks))
        inter = inter.reshape(len(present), len(tracks)).astype(np.float64)
        area_c = np.bincount(cur[cur >= 0], minlength=len(present))[:, None]
        area_p = np.bincount(prv[prv >= 0], minlength=len(tracks))[None, :]
        iou = inter / np.maximum(area_c + area_p - inter, 1)
        rows, cols = linear_sum_assignment(-iou)
        return {present[r]: tracks[c] for r, c in zip(rows, cols) if iou[r, c] >= self.min_iou}

    def _recover(self, ids: np.ndarray, hs: np.ndarray, present: list, mapping: dict) -> None:
        """Give unmatched instances back the ids of lost tracks they overlap or resemble (an
        instance's histogram is counted here, only when there is a lost track to compare it with)."""
        free = [i for i in present if i not in mapping]
        lost = list(self._lost)
        if not free or not lost:
            return
        score = np.full((len(free), len(lost)), -np.inf)
        for r, i in enumerate(free):
            inst = ids == i
            hist = _histogram(hs, inst)
            for c, track in enumerate(lost):
                mask = self._lost[track].mask > 0
                union = np.count_nonzero(inst | mask)
                iou = np.count_nonzero(inst & mask) / union if union else 0.0
                sim = _correlation(hist, self._lost[track].hist)
                if iou >= self.min_iou or sim >= self.min_similarity:
                    score[r, c] = iou + sim
        if not np.isfinite(score).any():
            return
        rows, cols = linear_sum_assignment(np.where(np.isfinite(score), -score, 1e9))
        for r, c in zip(rows, cols):
            if np.isfinite(score[r, c]):
                mapping[free[r]] = lost[c]

    def _forget(self, seen: set) -> None:
        """Tracks not seen this frame become lost, with their mask and histogram in the previous
        frame (counted now, not every frame for every track); lost tracks older than
        ``max_lost`` go."""
        if self._prev_out is not None:
            for track in self._prev_tracks:
                if track not in seen and track not in self._lost:
                    mask = (self._prev_out == track).astype(np.uint8)
                    self._lost[track] = _Lost(mask, _histogram(self._prev_hs, mask), self._t)
        for track in [k for k, v in self._lost.items() if self._t - v.since >= self.max_lost]:
            del self._lost[track]


def track_instances(frames: np.ndarray, instances: np.ndarray, **options) -> TrackedInstances:
    """Consistent instance ids for a clip (causal; see :class:`InstanceTracker` for the options).

    Parameters
    ----------
    frames : ndarray, (T, H, W, 3) or (T, H, W)
    instances : ndarray of int, (T, H, W)
        Per-frame instance ids, 0 = background.
    **options
        Keyword arguments of :class:`InstanceTracker`.

    Returns
    -------
    TrackedInstances

    Raises
    ------
    ValueError, TypeError
        Shapes or lengths that differ, float or negative ids.

    Examples
    --------
    >>> import tempcons as tc
    >>> clip = tc.synthetic.make_multi_clip(n_frames=6, height=48, width=64, n_people=2)
    >>> r = tc.track_instances(clip.frames, clip.instances)
    >>> r.ids.shape == clip.instances.shape, len(r.mappings)
    (True, 6)
    """
    frames = check_frames(frames)
    instances = np.asarray(instances)
    if instances.shape != frames.shape[:3]:
        raise ValueError(f"instances must be (T, H, W) = {frames.shape[:3]} like the frames, got {instances.shape}")
    check_labels(instances, "instances")
    tracker = InstanceTracker(**options)
    out = np.empty(instances.shape, np.int32)
    mappings, cuts = [], []
    for t in range(len(frames)):
        out[t], mapping = tracker.update(frames[t], instances[t])
        mappings.append(mapping)
        if tracker.cut:
            cuts.append(t)
    return TrackedInstances(_as_dtype(out, instances.dtype), mappings, cuts)
