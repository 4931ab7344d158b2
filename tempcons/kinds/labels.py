"""Label maps: per-frame class ids made consistent by a flow-aligned weighted vote; instance maps too.

Each pixel carries its two best-supported labels and their weights along the flow (memory
O(H x W) per frame whatever the number of classes, never a one-hot). A new frame's label votes
with its confidence -- low near label boundaries, where segmenters flicker, high inside
regions -- and the carried weights are scaled by the same factors as for masks: temporal decay
``memory``, photometric agreement ``sigma_color`` (grey and chroma), flow validity, and a
contradiction penalty ``kappa``. The output is the best-supported label, with hysteresis: a
pixel changes class only when the new class wins by ``margin``.

The vote runs on the working grid: ``work_side`` px on the short side (240 for ``realtime``,
360 for ``balanced``), or the mask's own grid when coarser; ``refine=False`` or
``work_side=None`` vote at frame size. The decision comes to frame size by joint bilateral
upsampling [1]_: each pixel takes, of the labels at its four nearest grid pixels, the one with
the most bilinear x photometric weight (the input's own label there weighing a little more), so
boundaries follow the frame's edges. Every output label is one the input held within a grid
pixel of that pixel, or at its flow-aligned position in another frame (no class is invented);
``ignore_index`` pixels stay ignored, exactly, at frame size, and never vote.

Instance maps (``kind="instances"``) are first renumbered as they arrive by
:class:`tempcons.InstanceTracker`, along the flow the vote uses, on the working grid or, when
that is finer, on a grid of 240 px on the short side; then voted the same way.

References
----------
.. [1] J. Kopf, M. F. Cohen, D. Lischinski, M. Uyttendaele, "Joint bilateral upsampling",
   ACM Transactions on Graphics 26(3), 2007.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .._kernels import labels as _k
from .._validate import shrink_area
from ..flow import resize_flow
from ..instances import InstanceTracker
from ..kind import Kind, Link, View, register_kind
from ..settings import knob_names

__all__ = ["Labels", "Instances", "label_confidence"]

_NO_FLOW = np.zeros((1, 1, 2), np.float32)
_ALL_VALID = np.ones((1, 1), np.float32)
_NOT_RENAMED = np.zeros(0, np.int64)


@dataclass
class Renumbered:
    """An instance map as the tracker left it: its ids on the working grid, and the caller's map
    with the renumbering (input ids ascending, and the ids they became), which the upsampling
    applies only where it reads the caller's map."""

    ids: np.ndarray
    given: np.ndarray
    keys: np.ndarray
    values: np.ndarray


@dataclass
class Evidence:
    """A label map on the working grid (int32 ids), each pixel's confidence in its own label, and
    what the decision reads to come to the frame's size: the caller's map (with its renumbering,
    for instances) and the view."""

    ids: np.ndarray
    confidence: np.ndarray
    given: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    view: View


@dataclass
class VoteState:
    """The vote after one frame: (H, W, 4) float32 slots and the frame's (grey, chroma)."""

    value: np.ndarray
    look: np.ndarray


def label_confidence(labels: np.ndarray, radius: float, floor: float) -> np.ndarray:
    """Weight of each pixel's own label: ``floor`` on a label boundary, rising to 1 at ``radius`` px.

    Parameters
    ----------
    labels : ndarray of int, (H, W)
    radius : float
        Distance from the nearest boundary at which the confidence reaches 1 (0: always 1).
    floor : float
        Confidence on the boundary.

    Returns
    -------
    ndarray of float32, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((1, 6), np.int32); lab[0, 3:] = 1
    >>> [round(float(v), 2) for v in label_confidence(lab, 2.0, 0.2)[0]]
    [1.0, 0.6, 0.2, 0.2, 0.6, 1.0]
    """
    inside = np.empty(labels.shape, np.uint8)
    if radius <= 0 or _k.interior(labels, inside) == 0:
        return np.ones(labels.shape, np.float32)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    # In place, in float32, the same operations in the same order: (floor + (1 - floor) * min(d / r, 1)).
    np.divide(dist, np.float32(radius), out=dist)
    np.minimum(dist, np.float32(1.0), out=dist)
    np.multiply(dist, np.float32(1.0 - floor), out=dist)
    np.add(dist, np.float32(floor), out=dist)
    return dist


def _at_size(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Ids as int32 on a grid of ``size`` (never blended: resampled by a bilinear majority)."""
    h, w = size
    if mask.shape == (h, w):
        return mask.astype(np.int32, copy=False)  # read, never written
    out = np.empty((h, w), np.int32)
    _k.shrink(mask, out)
    return out


# What the input's own label at a frame pixel adds to its weight when the decision comes to
# frame size (the four grid pixels' weights sum to at most 1): it keeps the input's detail
# within a grid pixel of a decided boundary. 0.3 kept J at or above the frame-size vote, with no
# more flicker, on the six real cases swept; 0 lost J, 1 let the input's flicker back
# (docs/tuning.md, "Working grid").
_OWN = np.float32(0.3)


@register_kind
class Labels(Kind):
    """Class ids >= 0, voted along the flow on the working grid, decided with a margin, and
    brought to the frame's size guided by its colours."""

    name = "labels"
    knobs = (knob_names("flow", "filter", "decision") - {"outlier_rejection"}) | {"refine", "work_side"}
    upsamples = True
    defaults = {"sigma_color": 0.1, "kappa": 0.9, "confidence_floor": 0.2, "margin": 0.25}

    @property
    def _ignore(self) -> int:
        ignore = self.settings.decision.ignore_index
        return -1 if ignore is None else ignore

    def encode(self, view: View, mask: np.ndarray | Renumbered) -> Evidence:
        if isinstance(mask, Renumbered):
            ids, given, keys, values = mask.ids.astype(np.int32, copy=False), mask.given, mask.keys, mask.values
        else:
            ids, given, keys, values = _at_size(mask, view.look.shape[:2]), mask, _NOT_RENAMED, _NOT_RENAMED
        f = self.settings.filter
        confidence = label_confidence(ids, f.confidence_radius * np.hypot(*ids.shape), f.confidence_floor)
        return Evidence(ids, confidence, given, keys, values, view)

    def step(self, evidence: Evidence, view: View, previous: VoteState | None, link: Link | None,
             out: VoteState | None) -> VoteState:
        f = self.settings.filter
        size = evidence.ids.shape
        out = out or VoteState(np.empty((*size, 4), np.float32), np.empty((*size, 2), np.float32))
        flow, valid = link or (_NO_FLOW, _ALL_VALID)
        has_prev = previous is not None
        _k.vote(evidence.ids, evidence.confidence, view.look, np.float32(1.0 / 255.0), flow, valid, has_prev,
                previous.value if has_prev else out.value, previous.look if has_prev else out.look,
                np.float32(f.memory), np.float32(1.0 / (2.0 * f.sigma_color ** 2)), np.float32(f.kappa),
                np.float32(f.max_weight), self._ignore, out.value, out.look)
        return out

    def side(self, state: VoteState) -> VoteState:
        return VoteState(state.value.copy(), None)

    def merge(self, evidence: Evidence, forward: VoteState, backward: VoteState) -> np.ndarray:
        out = np.empty_like(forward.value)
        _k.merge(evidence.ids, evidence.confidence, self._ignore, forward.value, backward.value, out)
        return out

    def value(self, state: VoteState) -> np.ndarray:
        return state.value

    def decide(self, evidence: Evidence, value: np.ndarray, previous: np.ndarray | None,
               link: Link | None) -> tuple[np.ndarray, np.ndarray]:
        has_prev = previous is not None and link is not None
        out = np.empty(evidence.ids.shape, np.int32)
        flow, valid = link if has_prev else (_NO_FLOW, _ALL_VALID)
        _k.decide(evidence.ids, value, previous if has_prev else out, flow, valid, has_prev,
                  np.float32(self.settings.decision.margin), self._ignore, out)
        top = int(out.max(initial=0))
        if top > np.iinfo(self.fmt.dtype).max:
            raise ValueError(f"label id {top} does not fit the masks' dtype {self.fmt.dtype} (instance "
                             "ids keep growing over a stream); pass int32 ids")
        view = evidence.view
        if out.shape == view.guide.shape[:2]:
            return out.astype(self.fmt.dtype), out
        # The photometric width of the vote also says which grid pixel's label a frame pixel
        # shares: the same colours, the same object.
        fine = np.empty(view.guide.shape[:2], self.fmt.dtype)
        guide, coarse = (g if g.ndim == 3 else g[..., None] for g in (view.guide, view.coarse_guide))
        _k.upsample(out, coarse, guide, np.float32(1.0 / (2.0 * self.settings.filter.sigma_color ** 2)),
                    evidence.given, evidence.keys, evidence.values, _OWN, self._ignore, fine)
        return fine, out


@register_kind
class Instances(Labels):
    """Instance ids (0 = background, numbered afresh each frame), tracked then voted as labels."""

    name = "instances"
    knobs = Labels.knobs | knob_names("tracking")
    tracks = True

    def __init__(self, settings, fmt) -> None:
        super().__init__(settings, fmt)
        self._tracker = InstanceTracker(**asdict(self.settings.tracking))

    def track(self, view: View, mask: np.ndarray, flow: np.ndarray | None) -> tuple[Renumbered, bool]:
        # The tracker matches on the working grid, or on the coarser _TRACK_SIDE grid, with the
        # frame's colours there, and its renumbering is applied to the ids on the working grid
        # and, where the upsampling reads it, to the caller's map. An id too small to reach the
        # tracker's grid becomes background (0 -> 0 is always among the keys, so that holds
        # when the tracker saw no id at all).
        ids = _at_size(mask, view.look.shape[:2])
        size = _track_size(ids.shape)
        guide, seen = view.coarse_guide, ids
        if size != ids.shape:
            guide, seen = shrink_area(guide, *size), _at_size(ids, size)
            flow = None if flow is None else resize_flow(flow, *size)
        renamed, mapping = self._tracker.update(guide, seen, flow)
        keys = np.array([0, *sorted(mapping)], np.int64)
        values = np.array([0, *(mapping[k] for k in keys[1:])], np.int64)
        if seen is not ids:
            renamed = np.empty_like(ids)
            _k.rename(ids, keys, values, renamed)
        return Renumbered(renamed, mask, keys, values), self._tracker.cut


# The short side of the grid the instance tracker matches on, at most: `realtime`'s working
# grid. Overlap and colour histograms match whole people, which need no finer grid: at
# `balanced`'s 360 px on 720p the tracker took 5.6 ms a frame, at 240 px 2.0 ms, and the outputs
# on the synthetic clips were identical for every preset and latency (docs/benchmarks.md, "Speed").
_TRACK_SIDE = 240


def _track_size(size: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, _TRACK_SIDE / min(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
