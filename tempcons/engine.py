"""The engine: one walk through time for every kind, streaming or offline.

Frames arrive one at a time (:meth:`Engine.push`). Each is held until it has the look-ahead the
latency allows, then emitted (:meth:`Engine._emit`): one filter step forward from the frame
emitted before it, merged with the backward estimate, refined, decided. The backward estimates
come from sweeps: one sweep walks from the newest frame held back to the oldest and leaves each
of the oldest frames its backward estimate. With latency k a sweep serves the next ``(k + 1) // 2``
frames, so a frame sees between ``k // 2 + 1`` and ``k`` future frames and costs at most four
filter steps whatever k, one forward and the rest backward (re-filtering the whole window for
every frame cost k + 2). Latency 1 and 2 sweep for every frame, with exactly k frames ahead.
Offline is the same walk with unbounded look-ahead: one sweep over the whole clip at the end,
then every frame emitted in order, so hysteresis runs forward in time in both.

Kinds filter on a working grid (:meth:`Engine._grids`): for a refined kind, a reduced
grid (or the mask's own), and the guided refinement brings the value to frame size; a kind that
upsamples (label maps) votes on a reduced grid and its decision comes to frame size itself.

Streaming keeps what it derives from a held frame (its :class:`~tempcons.kind.View`, evidence
and flows) until the frame is emitted. Offline holds nothing per frame but the backward
estimate; the sweep and the emission each derive the frames and the flows again, so memory does
not grow with the flows of a whole clip.

The engine imports no kind: it is handed a :class:`~tempcons.kind.Kind` by name through the
registry, and the kind's ``track`` breaks a link where it finds a scene cut.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ._validate import as_gray_uint8, as_look, as_uint8, check_frame, shrink_area
from .guided import _guided_up, grid_size
from .flow import FlowSource, Pair
from .kind import Kind, Link, View, kind_class
from .masks import MaskFormat, check_mask_size, mask_format
from .settings import Settings
from .threads import start_pools

__all__ = ["Engine"]


@dataclass(eq=False)
class _Held:
    """A frame waiting for its look-ahead."""

    frame: np.ndarray
    mask: Any  # as given, or as the kind's tracker renumbered it (what Kind.encode reads)
    supplied: tuple[np.ndarray, np.ndarray | None] | None  # the caller's flows from the previous frame
    linked: bool  # False for a clip's first frame and after a scene cut: nothing flows across
    view: View | None = None  # streaming only, with the two below
    evidence: Any = None
    pair: Pair | None = None  # previous frame -> this one
    back: Any = None  # the backward estimate, once a sweep has reached this frame


class Engine:
    """Drives one kind through a clip: flows, the walk through time, refinement.

    Parameters
    ----------
    kind : str or None
        A registered kind's name; None infers it from the first mask
        (:func:`tempcons.masks.mask_format`).
    settings : Settings
    latency : int or None
        Frames of look-ahead, >= 0; None is offline (everything is emitted by :meth:`flush`).
    flow : None, str or callable
        The flow source (:class:`tempcons.flow.FlowSource`).
    given : iterable of str
        The knobs the caller set; one the kind does not use is an error.
    fmt : MaskFormat, optional
        The masks' format, already read from the whole clip (no per-frame check then).
    tick : callable, optional
        Called once per emitted frame and, offline, once per frame a sweep passes.
    """

    def __init__(self, kind: str | None, settings: Settings, *, latency: int | None, flow: Any,
                 given: frozenset[str] = frozenset(), fmt: MaskFormat | None = None,
                 tick: Callable[[], Any] | None = None) -> None:
        self.kind_name = kind
        self.settings = settings
        self.latency = latency
        self.given = frozenset(given)
        self.flows = FlowSource(settings.flow, flow)
        self.tick = tick or (lambda: None)
        self._fmt = fmt
        start_pools()
        if kind is not None:
            self._check_knobs(kind_class(kind))
        self.reset()

    def reset(self) -> None:
        """Forget every frame; the next one starts a new clip (sizes and, if inferred, the kind may change)."""
        self.strategy: Kind | None = None
        self.fmt = self._fmt
        self.size: tuple[int, int] | None = None
        self.grid: tuple[int, int] | None = None  # where the kind works (see _grids)
        self._coef: tuple[int, int] | None = None  # where the refinement solves (see _grids)
        self._held: deque[_Held] = deque()
        self._newest: View | None = None  # view of the newest frame, when arrival needs it
        self.count = 0
        self._prev_view: View | None = None  # of the last emitted frame
        self._forward: Any = None  # its forward state
        self._decision: Any = None
        self._spare: list[Any] = []

    def push(self, frame: np.ndarray, mask: np.ndarray, supplied: tuple | None = None) -> list[np.ndarray]:
        """Add a frame and its mask; return the outputs it releases (oldest first)."""
        where = f"#{self.count}"
        check_frame(frame, f"frame {where}")
        kind = self._kind_for(mask, where)
        self._check_size(frame, mask, where)
        held = _Held(frame, mask, supplied, linked=self.count > 0)
        self.count += 1
        if self.latency is not None or kind.tracks:
            view = self._view(frame)
            pair = None
            if held.linked:
                pair = self.flows.pair(self._newest.frame, self._newest.small, frame, view.small, supplied, self.grid)
            if kind.tracks:
                held.mask, cut = kind.track(view, mask, None if pair is None else pair.into_b[0])
                if cut:
                    held.linked, pair = False, None
            if self.latency is not None:
                held.view, held.pair, held.evidence = view, pair, kind.encode(view, held.mask)
            self._newest = view
        self._held.append(held)
        out = []
        while self.latency is not None and len(self._held) > self.latency:
            out.append(self._emit(keep=(self.latency + 1) // 2))
        return out

    def flush(self) -> Iterator[np.ndarray]:
        """Emit every frame still held, oldest first, one at a time: offline, the whole clip
        passes through here, and holding its outputs in a list would double the memory (and on
        these machines cost 3-7 ms per 720p frame in page faults for the fresh arrays)."""
        while self._held:
            yield self._emit(keep=len(self._held))

    def _kind_for(self, mask: np.ndarray, where: str) -> Kind:
        """The strategy, made at a clip's first mask; every later mask is checked against its format."""
        name = f"mask {where}"
        if self.strategy is not None:
            if self._fmt is None:
                self.strategy.check_like(mask, name)
            return self.strategy
        if self.fmt is None:
            self.fmt = (mask_format(mask, None, name) if self.kind_name is None
                        else kind_class(self.kind_name).read_format(mask, name))
        cls = kind_class(self.fmt.kind)
        if self.kind_name is None:  # a kind given by name was checked when the engine was made
            self._check_knobs(cls)
        self.strategy = cls(self.settings, self.fmt)
        return self.strategy

    def _check_knobs(self, cls: type[Kind]) -> None:
        unused = sorted(self.given - cls.knobs)
        if unused:
            raise ValueError(f"knob(s) {unused} do nothing for kind={cls.name!r}: remove them; its knobs are "
                             f"{sorted(cls.knobs)}")

    def _check_size(self, frame: np.ndarray, mask: np.ndarray, where: str) -> None:
        if self.size is None:
            self.size = frame.shape[:2]
        elif frame.shape[:2] != self.size:
            raise ValueError(f"frame {where} has size {frame.shape[:2]}, but earlier frames are {self.size}")
        ndim = self.strategy.mask_ndim
        if mask.ndim != ndim:
            raise ValueError(f"mask {where} must be {ndim}-D ({'H, W' if ndim == 2 else 'H, W, C'}), "
                             f"got shape {mask.shape}")
        check_mask_size(mask.shape[:2], self.size, f"mask {where}")
        if self.grid is None:
            self.grid, self._coef = self._grids(mask.shape[:2])
            self.flows.finest = mask.shape[:2] if mask.shape[:2] != self.size else None

    def _refined(self) -> bool:
        return self.strategy.refines and self.strategy.settings.refinement.refine

    def _reduced(self) -> bool:
        """Whether the kind may work below the frame's size: something brings it back, the guided
        refinement or, for a kind that ``upsamples``, its own decision."""
        kind = self.strategy
        return (kind.refines or kind.upsamples) and kind.settings.refinement.refine

    def _radius(self) -> int:
        """The refinement's radius in frame pixels."""
        return max(1, round(self.strategy.settings.refinement.refine_radius * np.hypot(*self.size)))

    def _grids(self, mask_hw: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """The working grid a kind filters on, and the grid the refinement solves its
        coefficients on (never finer than the first).

        The fast guided filter reads the value only on its coefficient grid (the frame times
        ``refine_scale``), so a refined kind need not filter at frame size: it filters on that
        grid, but never below ``work_side`` pixels on the short side. A kind that upsamples its
        own decision (label maps) has no coefficient grid: it filters at ``work_side``. Either
        works on the mask's own grid when that is coarser still (a segmenter's resolution: there
        is nothing finer to keep). Other kinds work at the frame's size (nothing would bring
        detail back). Why 240: ``docs/tuning.md``; for label maps, ``docs/labels.md``.
        """
        if not self._reduced():
            return self.size, self.size
        r = self.strategy.settings.refinement
        coef = grid_size(self.size, self._radius(), r.refine_scale) if self._refined() else (0, 0)
        if r.work_side is None:
            grid = self.size
        else:
            scale = min(1.0, max(coef[0] / self.size[0], r.work_side / min(self.size)))
            grid = max(1, round(self.size[0] * scale)), max(1, round(self.size[1] * scale))
        if mask_hw[0] * mask_hw[1] < grid[0] * grid[1]:
            grid = mask_hw
        return grid, coef if 0 < coef[0] * coef[1] < grid[0] * grid[1] else grid

    def _view(self, frame: np.ndarray) -> View:
        u8 = as_uint8(frame)  # once: a float frame is converted here and nowhere else
        gray = as_gray_uint8(u8)
        # The colour guide only for a kind that reads it: a refined one (unless told grey), or
        # one that upsamples its decision (label maps, whose tracker also reads the colours).
        colour = frame.ndim == 3 and (self.strategy.upsamples
                                      or (self._refined() and self.settings.refinement.refine_color))
        guide = u8 if colour else gray
        if self.grid == self.size:
            coarse = shrink_area(guide, *self._coef) if self._refined() else guide
            return View(frame, as_look(u8, gray), guide, coarse, self.flows.shrink(gray))
        shrunk = shrink_area(u8, *self.grid)
        shrunk_gray = as_gray_uint8(shrunk)
        coarse = shrink_area(shrunk if colour else shrunk_gray, *self._coef)
        return View(frame, as_look(shrunk, shrunk_gray), guide, coarse, self.flows.shrink(gray))

    def _derived(self, held: _Held) -> tuple[View, Any]:
        """A held frame's view and evidence: kept (streaming) or derived again (offline)."""
        if held.view is not None:
            return held.view, held.evidence
        view = self._view(held.frame)
        return view, self.strategy.encode(view, held.mask)

    def _pair(self, earlier: View, later: View, held: _Held) -> Pair:
        """The pair (earlier frame, ``held``): kept, or computed again."""
        return held.pair or self.flows.pair(earlier.frame, earlier.small, held.frame, later.small, held.supplied,
                                             self.grid)

    def _step(self, evidence: Any, view: View, previous: Any, link: Link | None) -> Any:
        return self.strategy.step(evidence, view, previous if link else None, link,
                                  self._spare.pop() if self._spare else None)

    def _sweep(self, keep: int) -> None:
        """Backward estimates for the ``keep`` oldest held frames (never the newest: it has none).

        Streaming keeps the states themselves until they are merged (at most ``keep`` of them);
        offline keeps each frame's :meth:`~tempcons.kind.Kind.side`, the part the merge reads.
        """
        held = self._held
        later = back = None
        for i in range(len(held) - 1, -1, -1):
            view, evidence = self._derived(held[i])
            link = self._pair(view, later, held[i + 1]).into_a if later is not None and held[i + 1].linked else None
            done, back = back, self._step(evidence, view, back, link)
            if done is not None and done is not held[i + 1].back:
                self._spare.append(done)
            if i < min(keep, len(held) - 1):
                held[i].back = back if self.latency is not None else self.strategy.side(back)
            later = view
            if self.latency is None:
                self.tick()
        if back is not held[0].back:
            self._spare.append(back)

    def _emit(self, keep: int) -> np.ndarray:
        kind = self.strategy
        held = self._held[0]
        if held.back is None and len(self._held) > 1:
            self._sweep(keep)
        view, evidence = self._derived(held)
        link = self._pair(self._prev_view, view, held).into_b if held.linked else None
        forward = self._step(evidence, view, self._forward, link)
        value = kind.value(forward) if held.back is None else kind.merge(evidence, forward, held.back)
        if self._refined():
            value = self._refine(view, value)
        out, self._decision = kind.decide(evidence, value, self._decision if link else None, link)
        if self._forward is not None:
            self._spare.append(self._forward)
        if held.back is not None and self.latency is not None:
            self._spare.append(held.back)
        self._forward, self._prev_view = forward, view
        self._held.popleft()
        self.tick()
        return out

    def _refine(self, view: View, value: np.ndarray) -> np.ndarray:
        """The value, on the working grid, brought to the frame's size through the guided filter
        (its coefficients solved on the coefficient grid)."""
        return _guided_up(view.guide, view.coarse_guide, shrink_area(value, *self._coef), self._radius(),
                          self.strategy.settings.refinement.refine_eps)
