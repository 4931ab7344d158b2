"""Compositing: exact at alpha 0 and 1, blur and image backgrounds, foreground estimation."""

import numpy as np
import pytest

from tempcons.composite import composite, estimate_foreground, parse_background


def test_alpha_one_gives_the_frame_and_zero_the_background():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (12, 16, 3), np.uint8)
    image = rng.integers(0, 256, (12, 16, 3), np.uint8)
    ones, zeros = np.ones((12, 16)), np.zeros((12, 16), np.uint8)
    np.testing.assert_array_equal(composite(frame, ones, (10, 20, 30)), frame)
    np.testing.assert_array_equal(composite(frame, zeros, image), image)
    assert (composite(frame, zeros.astype(bool), (10, 20, 30)) == (10, 20, 30)).all()
    blurred = composite(frame, zeros, "blur:2")
    assert blurred.std() < frame.std()


def test_estimated_foreground_beats_the_frame_on_soft_edges():
    rng = np.random.default_rng(1)
    h, w = 64, 64
    fg = np.zeros((h, w, 3), np.float32)
    fg[...] = (0.9, 0.2, 0.1)
    bg = rng.random((h, w, 3)).astype(np.float32)
    yy, xx = np.mgrid[:h, :w]
    alpha = np.clip((28 - np.hypot(yy - 32, xx - 32)) / 6, 0, 1).astype(np.float32)  # soft ring edge
    frame = fg * alpha[..., None] + bg * (1 - alpha[..., None])
    edge = (alpha > 0.2) & (alpha < 0.8)
    est = estimate_foreground(frame, alpha)
    assert np.abs(est - fg)[edge].mean() < 0.5 * np.abs(frame - fg)[edge].mean()


def test_backgrounds_are_parsed_and_checked():
    assert parse_background("#ff8000", (4, 4)) == (255, 128, 0)
    assert parse_background("1,2,3", (4, 4)) == (1, 2, 3)
    assert parse_background("blur:3", (4, 4)) == "blur:3"
    with pytest.raises(ValueError, match="readable image"):
        parse_background("no-such-file.png", (4, 4))
    with pytest.raises(ValueError, match="size"):
        composite(np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4)), (0, 0, 0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        composite(np.zeros((4, 4, 3), np.uint8), np.full((4, 4), 2.0), (0, 0, 0))
