"""The engine knows no kind: a kind written here, in the test, runs through stabilize and Stabilizer.

The toy kind is a plain running mean along the flow, so its outputs have a closed form: with a
still flow, forward F_t = (m_t + F_{t-1}) / 2, backward B_t = (m_t + B_{t+1}) / 2 started at the
newest frame a sweep reaches, and the output (F_t + B_t) / 2. That pins down the walk through
time (which frames each output sees) independently of the built-in kinds' arithmetic.
"""

import numpy as np
import pytest

import tempcons as tc
from tempcons.kind import Kind, kind_class, kind_names, register_kind
from tempcons.masks import MaskFormat
from tempcons.settings import knob_names
from tempcons.warp import warp_fill


@register_kind
class RunningMean(Kind):
    name = "test-running-mean"
    knobs = knob_names("flow")
    steps = 0  # counts every filter step, to check the cost of a latency

    @classmethod
    def read_format(cls, masks, name):
        return MaskFormat(cls.name, masks.dtype, 1.0)

    def encode(self, view, mask):
        return mask.astype(np.float32)

    def step(self, evidence, view, previous, link, out):
        RunningMean.steps += 1
        if previous is None:
            return evidence.copy()
        return (evidence + warp_fill(previous, link[0])) / np.float32(2)

    def side(self, state):
        return state.copy()

    def merge(self, evidence, forward, backward):
        return (forward + backward) / np.float32(2)

    def value(self, state):
        return state

    def decide(self, evidence, value, previous, link):
        return value.copy(), None


def _clip(t=9, h=12, w=16, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (t, h, w, 3), np.uint8)
    masks = rng.random((t, h, w)).astype(np.float32)
    still = np.zeros((t - 1, h, w, 2), np.float32)
    return frames, masks, (still, still)


def _expected(masks, latency):
    """The closed form, with the sweep schedule of tempcons.engine: with latency k a sweep from
    frame g + k serves frames g .. g + (k + 1) // 2 - 1; the frames left at the end of the clip
    (and every frame offline) are served by one sweep from the last frame."""
    t = len(masks)
    fwd = np.empty_like(masks)
    for s in range(t):
        fwd[s] = masks[s] if s == 0 else (masks[s] + fwd[s - 1]) / 2
    out = np.empty_like(masks)
    for s in range(t):
        if latency == 0:
            origin = s
        elif latency is None:
            origin = t - 1
        else:
            period = (latency + 1) // 2
            start = s // period * period
            origin = start + latency if start + latency <= t - 1 else t - 1
        if origin == s:
            out[s] = fwd[s]
            continue
        back = masks[origin]
        for i in range(origin - 1, s - 1, -1):
            back = (masks[i] + back) / 2
        out[s] = (fwd[s] + back) / 2
    return out


@pytest.mark.parametrize("latency", [0, 1, 2, 3, 4, 5, 8, None])
def test_a_kind_defined_outside_the_package_runs_through_stabilize(latency):
    frames, masks, flows = _clip()
    out = tc.stabilize(frames, masks, kind=RunningMean.name, latency=latency, flow=flows)
    np.testing.assert_allclose(out, _expected(masks, latency), rtol=0, atol=1e-6)


@pytest.mark.parametrize("latency", [0, 3, 8])
def test_streaming_equals_stabilize_for_a_registered_kind(latency):
    frames, masks, (still, _) = _clip(seed=1)
    stab = tc.Stabilizer(kind=RunningMean.name, latency=latency)
    outs = [stab.update(f, m, flow=still[0] if i else None) for i, (f, m) in enumerate(zip(frames, masks))]
    outs = [o for o in outs if o is not None] + stab.flush()
    np.testing.assert_array_equal(np.stack(outs), tc.stabilize(frames, masks, kind=RunningMean.name,
                                                               latency=latency, flow=(still, still)))


@pytest.mark.parametrize("latency", [8, 40])
def test_a_latency_costs_a_bounded_number_of_steps_per_frame(latency):
    """At most four filter steps per emitted frame whatever the latency (it was latency + 2)."""
    frames, masks, flows = _clip(t=120, h=8, w=8)
    RunningMean.steps = 0
    tc.stabilize(frames, masks, kind=RunningMean.name, latency=latency, flow=flows)
    assert RunningMean.steps / len(frames) < 4


def test_the_registry_lists_the_built_in_kinds_and_refuses_a_taken_name():
    assert {"binary", "soft", "alpha", "labels", "instances", "probs"} <= set(kind_names())
    assert kind_class(RunningMean.name) is RunningMean
    with pytest.raises(ValueError, match="already registered"):
        register_kind(type("Other", (RunningMean,), {}))
    with pytest.raises(ValueError, match="kind must be one of"):
        tc.Stabilizer(kind="no-such-kind")


@pytest.mark.parametrize("kind, knob, value", [
    ("soft", "margin", 0.2),               # soft masks are returned as values: nothing to decide
    ("labels", "refine_eps", 1e-3),        # label maps are not refined
    ("probs", "confidence_radius", 0.01),  # probabilities carry their own confidence
    ("labels", "outlier_rejection", 2.0),  # label votes and probability vectors merge without it
    ("probs", "outlier_rejection", 2.0),
    ("binary", "min_iou", 0.5),            # tracking is for instance maps
    (RunningMean.name, "memory", 0.5),     # a registered kind declares its own knobs
])
def test_a_knob_the_kind_does_not_use_is_an_error_naming_it(kind, knob, value):
    with pytest.raises(ValueError, match=f"{knob}.*do nothing for kind='{kind}'"):
        tc.Stabilizer(kind=kind, **{knob: value})


def test_a_knob_an_inferred_kind_does_not_use_fails_at_the_first_mask():
    frames, masks, _ = _clip()
    stab = tc.Stabilizer(margin=0.2)  # fine for binary masks; float masks are inferred as soft
    with pytest.raises(ValueError, match="margin.*kind='soft'"):
        stab.update(frames[0], masks[0])


def test_each_kind_takes_its_own_default_and_the_callers_value_overrides_it():
    frames, masks, _ = _clip()
    alpha = tc.stabilize(frames, masks, kind="alpha", latency=0)
    assert np.array_equal(alpha, tc.stabilize(frames, masks, kind="alpha", latency=0, sigma_color=0.02, kappa=1.0,
                                              refine_eps=1e-4, refine_scale=0.5))
    assert not np.array_equal(alpha, tc.stabilize(frames, masks, kind="alpha", latency=0, sigma_color=0.1))


def test_tracker_options_reach_the_tracker():
    from tempcons.kinds.labels import Instances
    from tempcons.masks import mask_format
    ids = np.zeros((4, 4), np.int32)
    kind = Instances(tc.settings.settings_for("realtime", {"max_lost": 3, "min_iou": 0.5}), mask_format(ids, "instances"))
    assert (kind._tracker.max_lost, kind._tracker.min_iou) == (3, 0.5)


@pytest.mark.parametrize("knobs, message", [
    ({"flow_method": "raft"}, "flow_method must be one of"),
    ({"fb_alpha": -1.0}, "fb_alpha must be >= 0"),
    ({"kappa": 1.5}, r"kappa must be in \[0, 1\]"),
    ({"refine": "yes"}, "refine must be True or False"),
    ({"margin": -0.1}, "margin must be >= 0"),
    ({"max_lost": 2.5}, "max_lost must be an int"),
])
def test_every_knob_is_checked_where_it_is_set(knobs, message):
    with pytest.raises(ValueError, match=message):
        tc.settings.settings_for("balanced", knobs)


def test_a_binary_margin_must_leave_a_band_around_one_half():
    frames, masks, _ = _clip()
    with pytest.raises(ValueError, match=r"margin must be in \[0, 0.5\) for kind='binary'"):
        tc.stabilize(frames, masks > 0.5, margin=0.5)


def test_settings_are_grouped_and_flatten_to_the_keyword_names():
    s = tc.settings.settings_for("quality", {"memory": 0.9, "margin": 0.2})
    assert (s.filter.memory, s.decision.margin, s.refinement.refine_scale, s.flow.flow_scale) == (0.9, 0.2, 0.5, 1.0)
    assert s.knobs()["memory"] == 0.9 and set(s.as_dict()) == {"flow", "filter", "refinement", "decision", "tracking"}
    with pytest.raises(TypeError, match="unknown keyword argument.*alpha_kappa"):
        tc.settings.settings_for("balanced", {"alpha_kappa": 1.0})
