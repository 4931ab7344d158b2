"""Named bundles of the stabilizer's knobs.

Every knob is a keyword-only argument of :func:`tempcons.stabilize` and
:class:`tempcons.Stabilizer`; a preset only chooses their defaults. The measured cost and effect
of each preset are in ``docs/benchmarks.md``; why each default has its value, in
``docs/tuning.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .flow import DIS_PRESETS, METHODS

__all__ = ["Settings", "PRESETS", "settings_for"]


@dataclass(frozen=True)
class Settings:
    """All knobs of the pipeline.

    Attributes
    ----------
    flow_method : {"dis", "farneback"}
        Flow used when the caller supplies none.
    flow_preset : {"ultrafast", "fast", "medium"}
        DIS preset.
    flow_scale : float
        Flow working resolution as a fraction of the frame size.
    memory : float
        Per-frame decay of the carried weight, in [0, 1); the history is worth about
        ``memory / (1 - memory)`` current frames at most.
    sigma_color : float
        Width of the photometric weight, grey levels in [0, 1].
    kappa : float
        How much a disagreeing current value weakens the history, in [0, 1].
    max_weight : float
        Cap on the carried weight (bounds the lag after a lasting change the flow missed).
    confidence_floor : float
        Smallest weight of the current evidence, in (0, 1].
    confidence_radius : float
        Radius of the local mean used for the confidence of hard masks, as a fraction of the
        frame diagonal.
    hysteresis : float
        Dead band half-width around 0.5 for binary outputs, in [0, 0.5).
    fb_alpha, fb_beta : float
        Forward-backward check thresholds (``beta`` in squared full-resolution pixels).
    refine : bool
        Guided refinement with the frame as guide.
    refine_radius : float
        Guided filter radius as a fraction of the frame diagonal (0.008: 8 px at 480p).
    refine_eps : float
        Guided filter regularisation (guide in [0, 1]).
    alpha_refine_eps : float
        ``refine_eps`` for mattes (``kind="alpha"``): lower, so that the refined matte follows
        fine structure instead of smoothing it.
    alpha_kappa : float
        ``kappa`` for mattes, in [0, 1]: a matte value the frame contradicts is not pulled toward
        the past.
    alpha_sigma_color : float
        ``sigma_color`` for mattes: tighter, because a matte value carried along a wrong flow
        vector shows in full as a ghost or a lagging edge.
    alpha_refine_scale : float
        ``refine_scale`` for mattes, in (0, 1]: finer, so that thin structures are not smeared.
    refine_scale : float
        Subsampling of the fast guided filter, in (0, 1].
    refine_color : bool
        Colour guide (better edges, about twice the cost) instead of grey.
    label_margin : float
        Label maps: a pixel changes class only when the new class's support exceeds the
        current one's by this fraction.
    label_kappa : float
        Label maps: ``kappa`` of the vote, in [0, 1]; higher than the soft path's, because a
        label either agrees or not.
    ignore_index : int or None
        Label maps: the id that means "not labelled" (e.g. 255); kept where the input has it
        and never voted for.
    """

    flow_method: str = "dis"
    flow_preset: str = "medium"
    flow_scale: float = 0.5
    memory: float = 0.95
    sigma_color: float = 0.1
    kappa: float = 0.6
    max_weight: float = 30.0
    confidence_floor: float = 0.2
    confidence_radius: float = 0.008
    hysteresis: float = 0.1
    fb_alpha: float = 0.01
    fb_beta: float = 0.5
    refine: bool = True
    refine_radius: float = 0.008
    refine_eps: float = 1e-3
    alpha_refine_eps: float = 1e-4
    alpha_kappa: float = 1.0
    alpha_sigma_color: float = 0.05
    alpha_refine_scale: float = 0.5
    refine_scale: float = 0.25
    refine_color: bool = True
    label_margin: float = 0.25
    label_kappa: float = 0.9
    ignore_index: int | None = None

    def __post_init__(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise ValueError(what)

        # Checked here, where they are set, so that a typo fails under its own name and not
        # later inside the flow estimator or a kernel.
        need(self.flow_method in METHODS, f"flow_method must be one of {METHODS}, got {self.flow_method!r}")
        need(self.flow_preset in DIS_PRESETS, f"flow_preset must be one of {DIS_PRESETS}, got {self.flow_preset!r}")
        need(self.fb_alpha >= 0.0, f"fb_alpha must be >= 0, got {self.fb_alpha!r}")
        need(self.fb_beta >= 0.0, f"fb_beta must be >= 0, got {self.fb_beta!r}")
        for switch in ("refine", "refine_color"):
            need(isinstance(getattr(self, switch), bool),
                 f"{switch} must be True or False, got {getattr(self, switch)!r}")
        need(0.0 <= self.memory < 1.0, f"memory must be in [0, 1), got {self.memory!r}")
        need(self.sigma_color > 0.0, f"sigma_color must be > 0, got {self.sigma_color!r}")
        need(0.0 <= self.kappa <= 1.0, f"kappa must be in [0, 1], got {self.kappa!r}")
        need(self.max_weight > 0.0, f"max_weight must be > 0, got {self.max_weight!r}")
        need(0.0 < self.confidence_floor <= 1.0,
             f"confidence_floor must be in (0, 1], got {self.confidence_floor!r}")
        need(0.0 <= self.confidence_radius < 0.5,
             f"confidence_radius must be in [0, 0.5), got {self.confidence_radius!r}")
        need(0.0 <= self.hysteresis < 0.5, f"hysteresis must be in [0, 0.5), got {self.hysteresis!r}")
        need(0.0 < self.refine_radius < 0.5, f"refine_radius must be in (0, 0.5), got {self.refine_radius!r}")
        need(self.refine_eps > 0.0, f"refine_eps must be > 0, got {self.refine_eps!r}")
        need(self.alpha_refine_eps > 0.0, f"alpha_refine_eps must be > 0, got {self.alpha_refine_eps!r}")
        need(0.0 < self.alpha_refine_scale <= 1.0,
             f"alpha_refine_scale must be in (0, 1], got {self.alpha_refine_scale!r}")
        need(self.alpha_sigma_color > 0.0, f"alpha_sigma_color must be > 0, got {self.alpha_sigma_color!r}")
        need(0.0 <= self.alpha_kappa <= 1.0, f"alpha_kappa must be in [0, 1], got {self.alpha_kappa!r}")
        need(0.0 < self.refine_scale <= 1.0, f"refine_scale must be in (0, 1], got {self.refine_scale!r}")
        need(0.0 < self.flow_scale <= 1.0, f"flow_scale must be in (0, 1], got {self.flow_scale!r}")
        need(self.label_margin >= 0.0, f"label_margin must be >= 0, got {self.label_margin!r}")
        need(0.0 <= self.label_kappa <= 1.0, f"label_kappa must be in [0, 1], got {self.label_kappa!r}")
        need(self.ignore_index is None or (isinstance(self.ignore_index, int) and self.ignore_index >= 0),
             f"ignore_index must be None or an int >= 0, got {self.ignore_index!r}")

    def as_dict(self) -> dict:
        return asdict(self)


# Why these values: docs/tuning.md.
PRESETS: dict[str, Settings] = {
    "realtime": Settings(flow_preset="ultrafast"),
    "balanced": Settings(flow_preset="medium", flow_scale=0.35),
    "quality": Settings(flow_preset="medium", flow_scale=1.0, refine_scale=0.5),
}


def settings_for(preset: str | Settings, knobs: dict) -> Settings:
    """The preset's settings with the caller's keyword overrides applied.

    Raises
    ------
    ValueError
        Unknown preset name, unknown knob, or a knob out of range.
    """
    if isinstance(preset, Settings):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ValueError(f"preset must be one of {tuple(PRESETS)} or a Settings, got {preset!r}")
    names = {f.name for f in fields(Settings)}
    unknown = sorted(set(knobs) - names)
    if unknown:
        raise TypeError(f"unknown keyword argument(s) {unknown}; the knobs are {sorted(names)}")
    return replace(base, **knobs)
