"""The stabilizer's knobs, grouped by what they control, and the named presets.

Every knob is also a keyword-only argument of :func:`tempcons.stabilize` and
:class:`tempcons.Stabilizer` under its own name (``memory=0.9``, ``flow_scale=0.5``); a preset
only chooses the defaults. A knob left at ``None`` takes the mask kind's default (a matte keeps
finer detail than a binary mask, a label map needs a wider margin), so no knob has per-kind
copies. Each group checks its values when it is made. Why each default has its value is in
``docs/tuning.md``; what each preset costs and gives, in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from numbers import Real
from typing import Any, Callable

from .flow import DIS_PRESETS, METHODS

__all__ = ["Settings", "FlowSettings", "FilterSettings", "RefineSettings", "DecisionSettings",
           "TrackSettings", "PRESETS", "settings_for", "knob_names"]


def _knob(default: Any, ok: Callable[[Any], bool], expected: str) -> Any:
    """A field with its rule: ``ok(value)`` must hold (None always may, where the kind chooses)."""
    return field(default=default, metadata={"ok": ok, "expected": expected})


class _Group:
    """Checks every field against its rule when the group is made, so that a typo fails under its
    own name and not later inside the flow estimator or a kernel."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not ((value is None and f.default is None) or f.metadata["ok"](value)):
                raise ValueError(f"{f.name} must be {f.metadata['expected']}, got {value!r}")


def _between(lo: float, hi: float, *, low_open: bool = False, high_open: bool = False) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        return (isinstance(v, Real) and not isinstance(v, bool)
                and (lo < v if low_open else lo <= v) and (v < hi if high_open else v <= hi))
    return ok


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


_INF = float("inf")


@dataclass(frozen=True)
class FlowSettings(_Group):
    """How motion is estimated between consecutive frames.

    Attributes
    ----------
    flow_method : {"dis", "farneback"}
        Flow used when the caller supplies none.
    flow_preset : {"ultrafast", "fast", "medium"}
        DIS preset.
    flow_scale : float
        Flow working resolution as a fraction of the frame size, in (0, 1].
    fb_alpha, fb_beta : float
        Forward-backward check thresholds, >= 0 (``beta`` in squared full-resolution pixels).
    """

    flow_method: str = _knob("dis", lambda v: v in METHODS, f"one of {METHODS}")
    flow_preset: str = _knob("medium", lambda v: v in DIS_PRESETS, f"one of {DIS_PRESETS}")
    flow_scale: float = _knob(0.5, _between(0, 1, low_open=True), "in (0, 1]")
    fb_alpha: float = _knob(0.01, _between(0, _INF), ">= 0")
    fb_beta: float = _knob(0.5, _between(0, _INF), ">= 0")


@dataclass(frozen=True)
class FilterSettings(_Group):
    """The temporal filter along the flow (see :mod:`tempcons.kinds.mask`).

    Attributes
    ----------
    memory : float
        Per-frame decay of the carried weight, in [0, 1); the history is worth about
        ``memory / (1 - memory)`` current frames at most.
    sigma_color : float or None
        Width of the photometric weight, grey levels in [0, 1], > 0.
    kappa : float or None
        How much a disagreeing current value weakens the history, in [0, 1].
    max_weight : float
        Cap on the carried weight (bounds the lag after a lasting change the flow missed), > 0.
    confidence_floor : float or None
        Smallest weight of the current evidence, in (0, 1].
    confidence_radius : float
        Radius of the local mean (masks) or of the distance to a label boundary (label maps) that
        sets the confidence of hard masks, as a fraction of the frame diagonal, in [0, 0.5).
    outlier_rejection : float or None
        With look-ahead (binary, soft and alpha masks): how far a current value that the past and
        the future, each carried along the flow, both disagree with loses its own weight, >= 0.
        Its weight is scaled by ``max(0, 1 - outlier_rejection * d)``, d the smaller of the two
        disagreements; 0 keeps it whole.
    """

    memory: float = _knob(0.95, _between(0, 1, high_open=True), "in [0, 1)")
    sigma_color: float | None = _knob(None, _between(0, _INF, low_open=True), "> 0")
    kappa: float | None = _knob(None, _between(0, 1), "in [0, 1]")
    max_weight: float = _knob(30.0, _between(0, _INF, low_open=True), "> 0")
    confidence_floor: float | None = _knob(None, _between(0, 1, low_open=True), "in (0, 1]")
    confidence_radius: float = _knob(0.008, _between(0, 0.5, high_open=True), "in [0, 0.5)")
    outlier_rejection: float | None = _knob(None, _between(0, _INF), ">= 0")


@dataclass(frozen=True)
class RefineSettings(_Group):
    """Guided refinement with the frame as guide (see :mod:`tempcons.guided`).

    Attributes
    ----------
    refine : bool
        Whether to refine at all; for label maps and instance ids, whether to vote on the working
        grid and upsample the decision guided by the frame (False: vote at frame size).
    refine_radius : float
        Guided filter radius as a fraction of the frame diagonal, in (0, 0.5) (0.008: 8 px at 480p).
    refine_eps : float or None
        Guided filter regularisation (guide in [0, 1]), > 0.
    refine_scale : float or None
        Subsampling of the fast guided filter, in (0, 1]: its coefficients are solved on the
        frame times ``refine_scale``, which reads the value only there.
    refine_color : bool
        Colour guide (better edges, about twice the cost) instead of grey.
    work_side : int or None
        The working grid: a refined kind filters on the refinement's coefficient grid (or the
        mask's own, when coarser), but never below this many pixels on the short side, >= 1;
        label maps and instance ids vote at this many (or on their own grid, when coarser);
        None filters at frame size.
    """

    refine: bool = _knob(True, _is_bool, "True or False")
    refine_radius: float = _knob(0.008, _between(0, 0.5, low_open=True, high_open=True), "in (0, 0.5)")
    refine_eps: float | None = _knob(None, _between(0, _INF, low_open=True), "> 0")
    refine_scale: float | None = _knob(None, _between(0, 1, low_open=True), "in (0, 1]")
    refine_color: bool = _knob(True, _is_bool, "True or False")
    work_side: int | None = _knob(240, lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
                                  "None or an int >= 1")


@dataclass(frozen=True)
class DecisionSettings(_Group):
    """How a hard output (a binary mask, a label) is decided from the filtered value.

    Attributes
    ----------
    margin : float or None
        Hysteresis, >= 0. Binary masks: half-width of the dead band around 0.5 (< 0.5) in which a
        pixel keeps its previous decision. Label maps: a pixel changes class only when the new
        class's support exceeds the current one's by this fraction.
    ignore_index : int or None
        Label maps: the id that means "not labelled" (e.g. 255), >= 0; kept where the input has
        it and never voted for.
    """

    margin: float | None = _knob(None, _between(0, _INF), ">= 0")
    ignore_index: int | None = _knob(None, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                                     "None or an int >= 0")


@dataclass(frozen=True)
class TrackSettings(_Group):
    """Instance id tracking (see :class:`tempcons.InstanceTracker`, which documents each option)."""

    min_iou: float = _knob(0.2, _between(0, 1, low_open=True), "in (0, 1]")
    max_lost: int = _knob(30, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an int >= 0")
    min_similarity: float = _knob(0.6, _between(-1, 1), "in [-1, 1]")
    cut_threshold: float = _knob(0.2, _between(0, 1), "in [0, 1]")
    cut_difference: float = _knob(12.0, _between(0, _INF), ">= 0")


@dataclass(frozen=True)
class Settings:
    """All knobs of the stabilizer, one group per thing they control.

    Attributes
    ----------
    flow : FlowSettings
    filter : FilterSettings
    refinement : RefineSettings
    decision : DecisionSettings
    tracking : TrackSettings

    Examples
    --------
    >>> s = settings_for("balanced", {"memory": 0.9})
    >>> s.filter.memory, s.flow.flow_scale
    (0.9, 0.35)
    """

    flow: FlowSettings = field(default_factory=FlowSettings)
    filter: FilterSettings = field(default_factory=FilterSettings)
    refinement: RefineSettings = field(default_factory=RefineSettings)
    decision: DecisionSettings = field(default_factory=DecisionSettings)
    tracking: TrackSettings = field(default_factory=TrackSettings)

    def with_knobs(self, knobs: dict[str, Any]) -> Settings:
        """These settings with some knobs, given by their own names, replaced.

        Raises
        ------
        TypeError
            A name that is no knob.
        ValueError
            A value out of its range.
        """
        unknown = sorted(set(knobs) - set(_GROUP_OF))
        if unknown:
            raise TypeError(f"unknown keyword argument(s) {unknown}; the knobs are {sorted(_GROUP_OF)}")
        changed = {}
        for group in {_GROUP_OF[k] for k in knobs}:
            changed[group] = replace(getattr(self, group), **{k: v for k, v in knobs.items() if _GROUP_OF[k] == group})
        return replace(self, **changed)

    def knobs(self) -> dict[str, Any]:
        """Every knob by its own name (the flat form that the keyword arguments use)."""
        return {k: v for group in asdict(self).values() for k, v in group.items()}

    def as_dict(self) -> dict:
        """The groups as nested dicts (for manifests and reports)."""
        return asdict(self)


_GROUP_OF = {f.name: g.name for g in fields(Settings) for f in fields(g.default_factory)}


def knob_names(*groups: str) -> frozenset[str]:
    """The knobs of some groups (``"flow"``, ``"filter"``, ...), by their own names."""
    return frozenset(k for k, g in _GROUP_OF.items() if g in groups)


# Why these values: docs/tuning.md.
PRESETS: dict[str, Settings] = {
    "realtime": Settings(flow=FlowSettings(flow_preset="ultrafast")),
    "balanced": Settings(flow=FlowSettings(flow_preset="medium", flow_scale=0.35),
                         refinement=RefineSettings(work_side=360)),
    "quality": Settings(flow=FlowSettings(flow_preset="medium", flow_scale=1.0),
                        refinement=RefineSettings(refine_scale=0.5, work_side=None)),
}


def settings_for(preset: str | Settings, knobs: dict[str, Any]) -> Settings:
    """The preset's settings with the caller's keyword overrides applied.

    Parameters
    ----------
    preset : {"realtime", "balanced", "quality"} or Settings
    knobs : dict
        Knobs by their own names (see :meth:`Settings.knobs`).

    Returns
    -------
    Settings

    Raises
    ------
    ValueError
        Unknown preset name, or a knob out of range.
    TypeError
        Unknown knob.
    """
    if isinstance(preset, Settings):
        base = preset
    elif isinstance(preset, str) and preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ValueError(f"preset must be one of {tuple(PRESETS)} or a Settings, got {preset!r}")
    return base.with_knobs(knobs)
