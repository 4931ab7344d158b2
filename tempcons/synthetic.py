"""Synthetic clips with known ground truth and segmenter-like flicker.

Used by the demo, the tests and the benchmarks: no data files needed.

The scene: a textured, non-convex, person-like silhouette (head, torso, two swinging arms, two
legs) walks across a textured background that pans, with a little sensor noise. The corrupted
"segmenter output" imitates what per-frame segmenters do wrong:

- **boundary jitter**: the outline moves in and out by a few pixels, differently every frame
  (the ground truth is smoothed and re-thresholded against a fresh smooth noise field);
- **blinking holes**: with probability ``p_hole`` per frame, an elliptical hole inside the
  person for one or two frames;
- **dropouts**: with probability ``p_drop`` per frame, most of the mask vanishes for one frame;
- **false blobs**: with probability ``p_blob`` per frame, a foreground blob appears in the
  background for one frame;
- **soft edges**: the result is blurred into probabilities, as a network's output is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["SyntheticClip", "make_clip", "texture"]


@dataclass(frozen=True)
class SyntheticClip:
    """A synthetic clip.

    Attributes
    ----------
    frames : ndarray, uint8, (T, H, W, 3)
    truth : ndarray, bool, (T, H, W)
        Exact ground-truth silhouette.
    masks : ndarray, float32, (T, H, W)
        Corrupted soft segmenter output in [0, 1].
    """

    frames: np.ndarray
    truth: np.ndarray
    masks: np.ndarray

    @property
    def binary_masks(self) -> np.ndarray:
        """The segmenter output thresholded at 0.5, as bool."""
        return self.masks > 0.5


def texture(height: int, width: int, rng: np.random.Generator, channels: int = 3,
            octaves: int = 5) -> np.ndarray:
    """Smooth multi-scale random texture, float32 in [0, 1], ``(height, width, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> texture(16, 24, np.random.default_rng(0)).shape
    (16, 24, 3)
    """
    acc = np.zeros((height, width, channels), np.float32)
    for o in range(octaves):
        cells = 2 ** (o + 2)
        small = rng.random((cells, max(2, cells * width // max(height, 1)), channels)).astype(np.float32)
        acc += cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC).reshape(acc.shape) / 2 ** o
    acc -= acc.min()
    return acc / max(float(acc.max()), 1e-6)


def _limb(mask: np.ndarray, x0: float, y0: float, angle: float, length: float, thick: int) -> None:
    x1 = x0 + length * np.sin(angle)
    y1 = y0 + length * np.cos(angle)
    cv2.line(mask, (round(x0 * 16), round(y0 * 16)), (round(x1 * 16), round(y1 * 16)), 1, thick,
             lineType=cv2.LINE_AA, shift=4)


def _silhouette(height: int, width: int, cx: float, cy: float, size: float, phase: float) -> np.ndarray:
    """Person-like shape centred at (cx, cy) with body height ``size``, limbs swinging with ``phase``."""
    m = np.zeros((height, width), np.uint8)
    s = size
    cv2.ellipse(m, (round(cx * 16), round((cy - 0.38 * s) * 16)), (round(0.09 * s * 16), round(0.11 * s * 16)),
                0, 0, 360, 1, -1, cv2.LINE_AA, 4)
    cv2.ellipse(m, (round(cx * 16), round((cy - 0.08 * s) * 16)), (round(0.13 * s * 16), round(0.2 * s * 16)),
                0, 0, 360, 1, -1, cv2.LINE_AA, 4)
    swing = 0.6 * np.sin(phase)
    thick = max(2, round(0.06 * s))
    for side in (-1, 1):
        _limb(m, cx + side * 0.1 * s, cy - 0.22 * s, side * 0.35 + swing * side, 0.32 * s, thick)
        _limb(m, cx + side * 0.06 * s, cy + 0.1 * s, side * 0.15 - swing * side * 0.7, 0.4 * s, thick + 1)
    return m.astype(bool)


def _smooth_noise(height: int, width: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    small = rng.standard_normal((cells, max(2, cells * width // height))).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def make_clip(n_frames: int = 48, height: int = 144, width: int = 192, *, seed: int = 0,
              speed: float = 1.5, jitter: float = 2.0, p_hole: float = 0.15, p_drop: float = 0.04,
              p_blob: float = 0.15, noise: float = 2.0) -> SyntheticClip:
    """Generate a synthetic clip (see the module docstring for what it contains).

    Parameters
    ----------
    n_frames, height, width : int
        Clip size; at least 1 frame of 32x32.
    seed : int
        Random seed; the same seed gives the same clip.
    speed : float
        Walking speed in pixels per frame at 144 px height (scaled with the height).
    jitter : float
        Boundary jitter amplitude, pixels at 144 px height.
    p_hole, p_drop, p_blob : float
        Per-frame probabilities of a blinking hole, a dropout and a false blob.
    noise : float
        Standard deviation of the sensor noise, grey levels.

    Returns
    -------
    SyntheticClip

    Raises
    ------
    ValueError
        If the size is too small or a probability is outside [0, 1].

    Examples
    --------
    >>> clip = make_clip(n_frames=4, height=48, width=64)
    >>> clip.frames.shape, clip.truth.dtype, clip.masks.dtype
    ((4, 48, 64, 3), dtype('bool'), dtype('float32'))
    """
    if n_frames < 1 or height < 32 or width < 32:
        raise ValueError(f"need n_frames >= 1 and height, width >= 32; got {n_frames}, {height}, {width}")
    for name, p in (("p_hole", p_hole), ("p_drop", p_drop), ("p_blob", p_blob)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {p!r}")
    rng = np.random.default_rng(seed)
    unit = height / 144.0
    pan = np.array([0.7, 0.25]) * unit
    margin = int(np.ceil(np.abs(pan).max() * n_frames)) + 4
    bg = (texture(height + 2 * margin, width + 2 * margin, rng) * 200 + 30).astype(np.float32)
    fg_tex = (texture(height, width, rng) * 160 + 60).astype(np.float32)[..., ::-1]
    frames = np.empty((n_frames, height, width, 3), np.uint8)
    truth = np.empty((n_frames, height, width), bool)
    masks = np.empty((n_frames, height, width), np.float32)
    size = 0.8 * height
    x_start = 0.25 * width
    vx = speed * unit
    hole_left = 0
    hole = None
    for t in range(n_frames):
        cx = x_start + vx * t + 0.1 * width * np.sin(t / 9.0)
        cy = 0.55 * height + 0.03 * height * np.sin(t / 3.0)
        sil = _silhouette(height, width, cx, cy, size, t / 2.5)
        truth[t] = sil
        ox, oy = margin - pan[0] * t, margin - pan[1] * t
        shift = np.float32([[1, 0, ox], [0, 1, oy]])
        frame = cv2.warpAffine(bg, shift, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        # The person's texture moves with the person: sample it shifted by the body position.
        tex = cv2.warpAffine(fg_tex, np.float32([[1, 0, -(cx - x_start)], [0, 1, 0]]), (width, height),
                             borderMode=cv2.BORDER_REFLECT)
        alpha = cv2.GaussianBlur(sil.astype(np.float32), (0, 0), 0.6)[..., None]
        frame = frame * (1 - alpha) + tex * alpha + rng.normal(0, noise, frame.shape)
        frames[t] = np.clip(frame, 0, 255).astype(np.uint8)

        level = cv2.GaussianBlur(sil.astype(np.float32), (0, 0), 2.0 * unit + 0.5)
        level = level + 0.12 * jitter / 2.0 * _smooth_noise(height, width, rng, 6)
        seg = level > 0.5
        if hole_left == 0 and rng.random() < p_hole and sil.any():
            ys, xs = np.nonzero(sil)
            i = rng.integers(len(ys))
            hole = (int(xs[i]), int(ys[i]), int(rng.uniform(0.05, 0.1) * height), int(rng.uniform(0.04, 0.08) * height))
            hole_left = int(rng.integers(1, 3))
        if hole_left > 0:
            hm = np.zeros((height, width), np.uint8)
            cv2.ellipse(hm, hole[:2], hole[2:], 0, 0, 360, 1, -1)
            seg &= hm == 0
            hole_left -= 1
        if rng.random() < p_blob:
            bm = np.zeros((height, width), np.uint8)
            centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            axes = (int(rng.uniform(0.04, 0.1) * height), int(rng.uniform(0.04, 0.1) * height))
            cv2.ellipse(bm, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
            seg |= bm > 0
        if rng.random() < p_drop:
            seg &= _smooth_noise(height, width, rng, 4) > 1.0
        masks[t] = np.clip(cv2.GaussianBlur(seg.astype(np.float32), (0, 0), 1.2 * unit + 0.3), 0, 1)
    return SyntheticClip(frames, truth, masks)
