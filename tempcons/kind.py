"""What a mask kind is to the engine: the strategy contract, what the engine gives it, the registry.

The engine (:mod:`tempcons.engine`) knows no kind. It prepares each frame (:class:`View`), gets
the flows, walks through time and refines; a :class:`Kind` says what the mask means: how it
becomes evidence on the working grid, one filter step along the flow, the merge of the two directions
and the way back to the caller's form. Built-in kinds live in :mod:`tempcons.kinds`; a new one is
a subclass registered with :func:`register_kind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .masks import MaskFormat, check_like, mask_format
from .settings import Settings

__all__ = ["Kind", "View", "Link", "register_kind", "kind_class", "kind_names"]

Link = tuple[np.ndarray, np.ndarray]
"""The flow that pulls a neighbour's values into a frame (on the working grid) and its validity
(on the flow's own grid)."""


@dataclass
class View:
    """What the engine derives from one video frame, for every kind.

    A kind works on the engine's working grid: the frame's size, or for a kind that is refined
    or upsamples its decision, a reduced grid (the mask's own resolution when that is coarser);
    the refinement, or the kind's decision, brings the output to the frame's size.

    Attributes
    ----------
    frame : ndarray
        The caller's frame, as given.
    look : ndarray, uint8, (h, w, 2)
        Grey level and chroma on the working grid, for the photometric weight
        (:func:`tempcons._validate.as_look`).
    guide : ndarray, uint8
        The refinement guide (colour or grey) at the frame's size.
    coarse_guide : ndarray, uint8
        The guide on the grid the refinement solves its coefficients on; for a kind that
        upsamples, on the working grid (for kinds that are not refined, the guide itself).
    small : ndarray or None
        The grey frame on the flow estimator's grid (None when a callable gives the flow).
    """

    frame: np.ndarray
    look: np.ndarray
    guide: np.ndarray
    coarse_guide: np.ndarray
    small: np.ndarray | None


class Kind:
    """A mask kind's strategy. Subclass it, set the class attributes, register it.

    The engine calls, for each frame: :meth:`track` (only when ``tracks``), :meth:`encode`,
    :meth:`step` once per direction, :meth:`merge` when it has look-ahead (else :meth:`value`),
    and :meth:`decide`; offline, :meth:`side` keeps each backward state until its frame is
    emitted. A step's ``out`` is a state the engine no longer needs, for the kind to write into
    (or ignore).

    Attributes
    ----------
    name : str
        The ``kind=`` value that selects it.
    knobs : frozenset of str
        The knobs it reads (see :func:`tempcons.settings.knob_names`); a caller's knob outside it
        is an error that names it.
    defaults : dict
        Its values for the knobs that the settings leave at None.
    refines : bool
        Whether the engine passes its value through the guided refinement before :meth:`decide`.
    upsamples : bool
        Whether :meth:`decide` brings its output from the working grid to the frame's size
        itself, guided by ``view.guide`` (the colour frame) and ``view.coarse_guide`` (the same
        on the working grid). Such a kind, like a refined one, works on a reduced grid unless
        ``refine=False``.
    tracks : bool
        Whether its masks are renumbered along the flow as they arrive (:meth:`track`).
    mask_ndim : int
        Dimensions of one frame's mask: 2 for ``(h, w)``, 3 for ``(h, w, C)``.
    """

    name: ClassVar[str]
    knobs: ClassVar[frozenset[str]]
    defaults: ClassVar[dict[str, Any]] = {}
    refines: ClassVar[bool] = False
    upsamples: ClassVar[bool] = False
    tracks: ClassVar[bool] = False
    mask_ndim: ClassVar[int] = 2

    @classmethod
    def read_format(cls, masks: np.ndarray, name: str) -> MaskFormat:
        """Check masks (one frame's or a clip's) against this kind and record their format."""
        return mask_format(masks, cls.name, name)

    def check_like(self, mask: np.ndarray, name: str) -> None:
        """Check a later frame's mask against the format read from the first one."""
        check_like(mask, self.fmt, name)

    def __init__(self, settings: Settings, fmt: MaskFormat) -> None:
        unset = {k: v for k, v in self.defaults.items() if settings.knobs()[k] is None}
        self.settings = settings.with_knobs(unset)
        self.fmt = fmt

    def track(self, view: View, mask: np.ndarray, flow: np.ndarray | None) -> tuple[Any, bool]:
        """The mask renumbered consistently with the previous frames (in whatever form
        :meth:`encode` reads), and whether a scene cut came."""
        raise NotImplementedError

    def encode(self, view: View, mask: np.ndarray) -> Any:
        """The mask as this kind's evidence on the working grid, ``view.look``'s size (never modifying ``mask``)."""
        raise NotImplementedError

    def step(self, evidence: Any, view: View, previous: Any | None, link: Link | None, out: Any | None) -> Any:
        """One filter step: ``previous`` (the neighbour's state) pulled along ``link`` and blended."""
        raise NotImplementedError

    def side(self, state: Any) -> Any:
        """What :meth:`merge` reads of a backward state, in arrays of its own: what offline keeps
        of every frame until it is emitted (the state itself is reused)."""
        raise NotImplementedError

    def merge(self, evidence: Any, forward: Any, backward: Any) -> np.ndarray:
        """The value from the forward state and the backward one (a state, or its :meth:`side`),
        the frame's own evidence counted once."""
        raise NotImplementedError

    def value(self, state: Any) -> np.ndarray:
        """The value of a one-sided state (no look-ahead)."""
        raise NotImplementedError

    def decide(self, evidence: Any, value: np.ndarray, previous: Any | None,
               link: Link | None) -> tuple[np.ndarray, Any]:
        """The output in the caller's form, and the decision the next frame's hysteresis pulls along ``link``."""
        raise NotImplementedError


_REGISTRY: dict[str, type[Kind]] = {}


def register_kind(cls: type[Kind]) -> type[Kind]:
    """Make a :class:`Kind` selectable by its ``name`` (usable as a class decorator).

    Raises
    ------
    ValueError
        If another class already holds the name.
    """
    held = _REGISTRY.get(cls.name)
    if held is not None and held is not cls:
        raise ValueError(f"kind {cls.name!r} is already registered by {held.__module__}.{held.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def kind_class(name: str) -> type[Kind]:
    """The registered kind called ``name``.

    Raises
    ------
    ValueError
        No kind has that name.
    """
    if name not in _REGISTRY:
        raise ValueError(f"kind must be one of {kind_names()} or None, got {name!r}")
    return _REGISTRY[name]


def kind_names() -> tuple[str, ...]:
    """The registered kinds' names."""
    return tuple(_REGISTRY)
