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
from typing import Any

from .flow import DIS_PRESETS, METHODS

__all__ = ["Settings", "FlowSettings", "FilterSettings", "RefineSettings", "DecisionSettings",
           "TrackSettings", "PRESETS", "settings_for", "knob_names"]


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


@dataclass(frozen=True)
class FlowSettings:
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

    flow_method: str = "dis"
    flow_preset: str = "medium"
    flow_scale: float = 0.5
    fb_alpha: float = 0.01
    fb_beta: float = 0.5

    def __post_init__(self) -> None:
        # Checked here, where they are set, so that a typo fails under its own name and not
        # later inside the flow estimator or a kernel.
        _need(self.flow_method in METHODS, f"flow_method must be one of {METHODS}, got {self.flow_method!r}")
        _need(self.flow_preset in DIS_PRESETS, f"flow_preset must be one of {DIS_PRESETS}, got {self.flow_preset!r}")
        _need(0.0 < self.flow_scale <= 1.0, f"flow_scale must be in (0, 1], got {self.flow_scale!r}")
        _need(self.fb_alpha >= 0.0, f"fb_alpha must be >= 0, got {self.fb_alpha!r}")
        _need(self.fb_beta >= 0.0, f"fb_beta must be >= 0, got {self.fb_beta!r}")


@dataclass(frozen=True)
class FilterSettings:
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
    confidence_floor : float
        Smallest weight of the current evidence, in (0, 1].
    confidence_radius : float
        Radius of the local mean (masks) or of the distance to a label boundary (label maps) that
        sets the confidence of hard masks, as a fraction of the frame diagonal, in [0, 0.5).
    """

    memory: float = 0.95
    sigma_color: float | None = None
    kappa: float | None = None
    max_weight: float = 30.0
    confidence_floor: float = 0.2
    confidence_radius: float = 0.008

    def __post_init__(self) -> None:
        _need(0.0 <= self.memory < 1.0, f"memory must be in [0, 1), got {self.memory!r}")
        _need((self.sigma_color is None or self.sigma_color > 0.0),
              f"sigma_color must be > 0, got {self.sigma_color!r}")
        _need((self.kappa is None or 0.0 <= self.kappa <= 1.0),
              f"kappa must be in [0, 1], got {self.kappa!r}")
        _need(self.max_weight > 0.0, f"max_weight must be > 0, got {self.max_weight!r}")
        _need(0.0 < self.confidence_floor <= 1.0, f"confidence_floor must be in (0, 1], got {self.confidence_floor!r}")
        _need(0.0 <= self.confidence_radius < 0.5,
              f"confidence_radius must be in [0, 0.5), got {self.confidence_radius!r}")


@dataclass(frozen=True)
class RefineSettings:
    """Guided refinement with the frame as guide (see :mod:`tempcons.guided`).

    Attributes
    ----------
    refine : bool
        Whether to refine at all.
    refine_radius : float
        Guided filter radius as a fraction of the frame diagonal, in (0, 0.5) (0.008: 8 px at 480p).
    refine_eps : float or None
        Guided filter regularisation (guide in [0, 1]), > 0.
    refine_scale : float or None
        Subsampling of the fast guided filter, in (0, 1].
    refine_color : bool
        Colour guide (better edges, about twice the cost) instead of grey.
    """

    refine: bool = True
    refine_radius: float = 0.008
    refine_eps: float | None = None
    refine_scale: float | None = None
    refine_color: bool = True

    def __post_init__(self) -> None:
        for switch in ("refine", "refine_color"):
            _need(isinstance(getattr(self, switch), bool),
                  f"{switch} must be True or False, got {getattr(self, switch)!r}")
        _need(0.0 < self.refine_radius < 0.5, f"refine_radius must be in (0, 0.5), got {self.refine_radius!r}")
        _need((self.refine_eps is None or self.refine_eps > 0.0),
              f"refine_eps must be > 0, got {self.refine_eps!r}")
        _need((self.refine_scale is None or 0.0 < self.refine_scale <= 1.0),
              f"refine_scale must be in (0, 1], got {self.refine_scale!r}")


@dataclass(frozen=True)
class DecisionSettings:
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

    margin: float | None = None
    ignore_index: int | None = None

    def __post_init__(self) -> None:
        _need((self.margin is None or self.margin >= 0.0),
              f"margin must be >= 0, got {self.margin!r}")
        _need(self.ignore_index is None or (isinstance(self.ignore_index, int) and self.ignore_index >= 0),
              f"ignore_index must be None or an int >= 0, got {self.ignore_index!r}")


@dataclass(frozen=True)
class TrackSettings:
    """Instance id tracking (see :class:`tempcons.InstanceTracker`, which documents each option)."""

    min_iou: float = 0.2
    max_lost: int = 30
    min_similarity: float = 0.6
    cut_threshold: float = 0.2
    cut_difference: float = 12.0

    def __post_init__(self) -> None:
        _need(0.0 < self.min_iou <= 1.0, f"min_iou must be in (0, 1], got {self.min_iou!r}")
        _need(isinstance(self.max_lost, int) and self.max_lost >= 0,
              f"max_lost must be an int >= 0, got {self.max_lost!r}")
        _need(-1.0 <= self.min_similarity <= 1.0, f"min_similarity must be in [-1, 1], got {self.min_similarity!r}")
        _need(0.0 <= self.cut_threshold <= 1.0, f"cut_threshold must be in [0, 1], got {self.cut_threshold!r}")
        _need(self.cut_difference >= 0.0, f"cut_difference must be >= 0, got {self.cut_difference!r}")


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
    "balanced": Settings(flow=FlowSettings(flow_preset="medium", flow_scale=0.35)),
    "quality": Settings(flow=FlowSettings(flow_preset="medium", flow_scale=1.0),
                        refinement=RefineSettings(refine_scale=0.5)),
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
