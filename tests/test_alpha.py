"""Mattes (kind="alpha"): what must hold for compositing to look right."""

import numpy as np
import pytest

import tempcons as tc
from tempcons.synthetic import make_thin_matte_clip


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
    assert ghost(sigma_color=0.02) == ghost()  # the matte's own default


def test_an_unsure_matte_value_leans_on_a_confident_history():
    # Every other frame the segmenter is unsure (0.55) where it was sure (0.95): the matte's lower
    # confidence floor gives the unsure value less weight against the confident history than a
    # soft mask's floor does, so the output swings less (measured: 0.028 against 0.045).
    frames, alpha = _scene(t=12)
    alpha[:, 12:36, 16:48] = np.where(np.arange(12) % 2 == 0, 0.95, 0.55)[:, None, None]

    def swing(**knobs):
        out = tc.stabilize(frames, alpha, kind="alpha", latency=0, refine=False, **knobs)
        return np.abs(np.diff(out[4:, 20:28, 20:44], axis=0)).mean()

    assert swing() < 0.7 * swing(confidence_floor=0.2)
    assert swing(confidence_floor=0.05) == swing()  # the matte's own default


def _line_error(out, clip, where):
    return float(np.abs(np.asarray(out, np.float32) - clip.alpha)[where].mean())


def test_thin_matte_clip_holds_lines_of_1_to_3_px_and_a_translucent_band():
    clip = make_thin_matte_clip(n_frames=3, seed=4)
    again = make_thin_matte_clip(n_frames=3, seed=4)
    np.testing.assert_array_equal(clip.mattes, again.mattes)
    assert clip.frames.shape == (3, 144, 192, 3) and clip.alpha.shape == clip.mattes.shape == (3, 144, 192)
    # Three lines, 1-3 px wide: each row they cross holds a handful of line pixels, never a blob.
    widths = clip.lines[0].sum(axis=1)
    crossed = widths[widths > 0]
    assert 3 <= np.median(crossed) <= 12 and crossed.max() <= 20
    assert np.isclose(np.median(clip.alpha[0][clip.band[0]]), 0.45, atol=0.02)
    # The mattes flicker where the truth does not: every frame's lines differ from the truth's.
    assert all(np.abs(clip.mattes[t] - clip.alpha[t])[clip.lines[t]].mean() > 0.05 for t in range(3))
    with pytest.raises(ValueError, match="line_flicker must be in"):
        make_thin_matte_clip(line_flicker=1.5)
    with pytest.raises(ValueError, match="height, width >= 64"):
        make_thin_matte_clip(height=32)


@pytest.mark.parametrize("preset", ["realtime", "balanced", "quality"])
def test_thin_lines_and_a_translucent_band_survive_stabilization(preset):
    clip = make_thin_matte_clip(seed=0)
    raw_lines, raw_band = _line_error(clip.mattes, clip, clip.lines), _line_error(clip.mattes, clip, clip.band)
    raw_dtssd = tc.metrics.matting.dtssd(clip.mattes, clip.alpha).value
    for latency in (0, 2, None):
        out = tc.stabilize(clip.frames, clip.mattes, kind="alpha", preset=preset, latency=latency)
        assert _line_error(out, clip, clip.lines) <= raw_lines, latency
        assert _line_error(out, clip, clip.band) <= raw_band, latency
        assert tc.metrics.matting.dtssd(out, clip.alpha).value < 0.9 * raw_dtssd, latency


def test_thin_lines_on_a_reduced_working_grid_known_gap():
    # At 288x512 `realtime` filters mattes on a 240-px grid, 0.83 of the frame, and a 1-px line
    # does not survive the round trip intact: the error on the lines is 1.9 % above raw's at
    # latency 0 (0.1997 against 0.1959; `quality`, at frame size, 0.1965, 0.3 % above). It was
    # 1.1 % (`quality` 0.8 % below) before the matte's confidence floor went from 0.2 to 0.05
    # (docs/tuning.md says what that bought on the real mattes), so the pin moved from 1.02 to
    # 1.025. Pinned so that it cannot grow unseen; the matte issue's note carries it.
    clip = make_thin_matte_clip(n_frames=40, height=288, width=512, seed=0)
    out = tc.stabilize(clip.frames, clip.mattes, kind="alpha", preset="realtime", latency=0)
    assert _line_error(out, clip, clip.lines) <= 1.025 * _line_error(clip.mattes, clip, clip.lines)
