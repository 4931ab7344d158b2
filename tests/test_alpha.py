"""Mattes (kind="alpha"): what must hold for compositing to look right."""

import numpy as np
import pytest

import tempcons as tc


def _scene(t=8, h=48, w=64, seed=0):
    rng = np.random.default_rng(seed)
    frames = np.repeat(rng.integers(0, 255, (1, h, w, 3), np.uint8), t, axis=0)
    alpha = np.zeros((t, h, w), np.float32)
    alpha[:, 12:36, 16:48] = 1.0
    alpha[:, 12:36, 24:32] = 0.4  # a translucent band, stable over time
    return frames, alpha


@pytest.mark.parametrize("latency", [0, 2, None])
def test_a_static_soft_matte_stays_unchanged(latency):
    frames, alpha = _scene()
    out = tc.stabilize(frames, alpha, kind="alpha", latency=latency, refine=False)
    np.testing.assert_allclose(out, alpha, atol=1e-5)


def test_translucent_values_are_kept_with_refinement():
    frames, alpha = _scene()
    frames[:, 12:36, 16:48] = (200, 90, 60)  # the subject differs from the background
    out = tc.stabilize(frames, alpha, kind="alpha")
    assert np.abs(out[:, 16:32, 26:30] - 0.4).max() < 0.03


def test_a_matte_moving_with_a_known_flow_does_not_lag():
    rng = np.random.default_rng(1)
    t, h, w, step = 10, 48, 96, 3
    background = rng.integers(0, 255, (h, w + step * t, 3), np.uint8)
    frames = np.stack([background[:, step * (t - k):step * (t - k) + w] for k in range(t)])  # content moves right
    alpha = np.zeros((t, h, w), np.float32)
    for k in range(t):
        alpha[k, 10:38, 20 + step * k:44 + step * k] = 1.0
        alpha[k, 10:38, 20 + step * k:24 + step * k] = 0.5
    forward = np.zeros((t - 1, h, w, 2), np.float32)
    forward[..., 0] = step
    out = tc.stabilize(frames, alpha, kind="alpha", latency=0, flow=(forward, -forward), refine=False)
    inner = (slice(12, 36), slice(None))
    assert np.abs(out[-1][inner] - alpha[-1][inner]).max() < 1e-4


def test_a_history_of_another_colour_does_not_ghost_into_a_matte():
    # A supplied flow that is wrong (zero) while the subject moves: the background it uncovers has
    # another colour than the subject, so the matte's tighter photometric weight must drop the
    # history there; the masks' wider one (the default of kind="soft") keeps part of it.
    t, h, w, step = 6, 32, 64, 4
    frames = np.full((t, h, w, 3), 120, np.uint8)
    alpha = np.zeros((t, h, w), np.float32)
    for k in range(t):
        frames[k, 8:24, 8 + step * k:24 + step * k] = 180
        alpha[k, 8:24, 8 + step * k:24 + step * k] = 1.0
    zero = np.zeros((t - 1, h, w, 2), np.float32)

    def ghost(**knobs):
        out = tc.stabilize(frames, alpha, kind="alpha", latency=0, flow=(zero, zero), refine=False, **knobs)
        return out[-1][alpha[-1] == 0].max()

    assert ghost() < 0.02
    assert ghost(sigma_color=0.1) > 0.05
    assert ghost(sigma_color=0.05) == ghost()  # the matte's own default
