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

:func:`make_thin_matte_clip` is a matting clip: a body with lines 1-3 px wide and a translucent
band, composited over a panning background with its exact alpha, and mattes corrupted the way a
matting network errs (see its docstring).

:func:`make_multi_clip` stages several such people walking both ways at different depths (so
they cross and occlude each other), leaving the frame and coming back, on a scene with floor
and sign classes, optionally with a hard cut to a new shot. Its corrupted outputs imitate
per-frame instance and semantic segmenters: instance ids permuted at random every frame,
missed detections, jittered outlines; class labels that flicker at class boundaries and in
one-frame blobs of a wrong class.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["SyntheticClip", "make_clip", "MultiClip", "make_multi_clip", "MatteClip", "make_thin_matte_clip",
           "texture", "CLASSES"]

#: Class ids of :func:`make_multi_clip`'s label maps.
CLASSES = {"background": 0, "person": 1, "floor": 2, "sign": 3}


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


def _panning(height: int, width: int, n_frames: int, rng: np.random.Generator, pan: np.ndarray,
             low: float, span: float):
    """A textured plane (values in [low, low + span]) seen through a window that pans ``pan`` px
    per frame: returns the background of frame t, float32 (H, W, 3)."""
    margin = int(np.ceil(np.abs(pan).max() * n_frames)) + 4
    plane = (texture(height + 2 * margin, width + 2 * margin, rng) * span + low).astype(np.float32)

    def at(t: int) -> np.ndarray:
        shift = np.float32([[1, 0, margin - pan[0] * t], [0, 1, margin - pan[1] * t]])
        return cv2.warpAffine(plane, shift, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)

    return at


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
    background = _panning(height, width, n_frames, rng, np.array([0.7, 0.25]) * unit, 30, 200)
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
        frame = background(t)
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


@dataclass(frozen=True)
class MultiClip:
    """A synthetic multi-person, multi-class clip.

    Attributes
    ----------
    frames : ndarray, uint8, (T, H, W, 3)
    ids : ndarray, int32, (T, H, W)
        Ground-truth instance ids (0 = background), the same person keeps one id within a
        shot; people of a new shot get new ids.
    classes : ndarray, uint8, (T, H, W)
        Ground-truth class map (:data:`CLASSES`).
    instances : ndarray, int32, (T, H, W)
        Corrupted per-frame instance ids: arbitrary per frame (randomly permuted and offset),
        with missed detections and jittered outlines.
    labels : ndarray, uint8, (T, H, W)
        Corrupted per-frame class map, flickering at class boundaries and in wrong-class blobs.
    cut : int or None
        First frame of the second shot.
    """

    frames: np.ndarray
    ids: np.ndarray
    classes: np.ndarray
    instances: np.ndarray
    labels: np.ndarray
    cut: int | None


def _clothing(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A person's texture: smooth colour plus fine detail (clothing, folds), float32 0..255."""
    fine = cv2.GaussianBlur(rng.random((height, width, 3)).astype(np.float32), (0, 0), 1.0)
    return (texture(height, width, rng) * 110 + (fine - 0.5) * 200 + 70).astype(np.float32)


def _shot(rng: np.random.Generator, height: int, width: int, n_people: int, first_id: int) -> dict:
    """Background, sign and people of one shot."""
    unit = height / 144.0
    people = []
    for k in range(n_people):
        depth = (k + 1) / n_people  # farther people are smaller and higher
        people.append({"id": first_id + k, "size": (0.45 + 0.35 * depth) * height,
                       "y": (0.45 + 0.2 * depth) * height,
                       "x": rng.uniform(0.1, 0.9) * width,
                       "v": rng.choice([-1.0, 1.0]) * rng.uniform(1.5, 3.0) * unit,
                       "phase": rng.uniform(0, 6.28),
                       "tex": _clothing(height, width, rng)})
    return {"bg": (texture(height, width, rng) * 200 + 30).astype(np.float32), "people": people,
            "sign": (int(rng.uniform(0.05, 0.5) * width), int(0.1 * height), int(0.2 * width), int(0.15 * height))}


def _class_jitter(classes: np.ndarray, n_classes: int, rng: np.random.Generator, jitter: float,
                  unit: float) -> np.ndarray:
    """Argmax of blurred one-hot scores plus smooth noise: labels that wander at boundaries."""
    h, w = classes.shape
    scores = np.empty((n_classes, h, w), np.float32)
    for c in range(n_classes):
        scores[c] = cv2.GaussianBlur((classes == c).astype(np.float32), (0, 0), 2.0 * unit + 0.5)
        scores[c] += 0.12 * jitter / 2.0 * _smooth_noise(h, w, rng, 6)
    return scores.argmax(axis=0).astype(np.uint8)


def make_multi_clip(n_frames: int = 40, height: int = 120, width: int = 160, *, n_people: int = 3,
                    seed: int = 0, cut_at: int | None = None, jitter: float = 2.0, p_miss: float = 0.05,
                    p_blob: float = 0.15, noise: float = 2.0) -> MultiClip:
    """Generate a multi-person, multi-class clip (see the module docstring).

    Parameters
    ----------
    n_frames, height, width : int
        Clip size; at least 2 frames of 32x32.
    n_people : int
        People per shot (>= 1).
    seed : int
    cut_at : int, optional
        First frame of a second shot (new background, new people, new ids); None: one shot.
    jitter : float
        Outline and class-boundary jitter, pixels at 144 px height.
    p_miss : float
        Per-frame, per-person probability that the instance segmenter misses the person.
    p_blob : float
        Per-frame probability of a one-frame blob of a wrong class in the label map.
    noise : float
        Sensor noise, grey levels.

    Returns
    -------
    MultiClip

    Raises
    ------
    ValueError
        Size too small, n_people < 1, cut_at outside 1..n_frames-1, probabilities outside [0, 1].

    Examples
    --------
    >>> clip = make_multi_clip(n_frames=3, height=48, width=64, n_people=2)
    >>> clip.ids.shape, int(clip.ids.max()) <= 2, clip.labels.dtype
    ((3, 48, 64), True, dtype('uint8'))
    """
    if n_frames < 2 or height < 32 or width < 32 or n_people < 1:
        raise ValueError(f"need n_frames >= 2, height, width >= 32, n_people >= 1; got {n_frames}, "
                         f"{height}, {width}, {n_people}")
    if cut_at is not None and not 0 < cut_at < n_frames:
        raise ValueError(f"cut_at must be in 1..{n_frames - 1} or None, got {cut_at!r}")
    for name, p in (("p_miss", p_miss), ("p_blob", p_blob)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {p!r}")
    rng = np.random.default_rng(seed)
    unit = height / 144.0
    shape = (n_frames, height, width)
    frames = np.empty((*shape, 3), np.uint8)
    ids = np.zeros(shape, np.int32)
    classes = np.zeros(shape, np.uint8)
    instances = np.zeros(shape, np.int32)
    labels = np.zeros(shape, np.uint8)
    shot = _shot(rng, height, width, n_people, 1)
    floor_y = int(0.78 * height)
    span = width + 0.6 * height  # people leave the frame and come back on the other side
    for t in range(n_frames):
        if t == cut_at:
            shot = _shot(rng, height, width, n_people, n_people + 1)
        local = t - (cut_at if cut_at is not None and t >= cut_at else 0)
        frame = shot["bg"].copy()
        frame[floor_y:] = frame[floor_y:] * 0.6 + 40
        cls = np.zeros((height, width), np.uint8)
        cls[floor_y:] = CLASSES["floor"]
        sx, sy, sw, sh = shot["sign"]
        frame[sy:sy + sh, sx:sx + sw] = (230, 200, 40)
        cls[sy:sy + sh, sx:sx + sw] = CLASSES["sign"]
        truth_ids = np.zeros((height, width), np.int32)
        for person in shot["people"]:  # nearer people are drawn later and occlude
            cx = (person["x"] + person["v"] * local + 0.3 * height) % span - 0.3 * height
            sil = _silhouette(height, width, cx, person["y"], person["size"], person["phase"] + local / 2.5)
            tex = cv2.warpAffine(person["tex"], np.float32([[1, 0, cx - width / 2], [0, 1, 0]]), (width, height),
                                 borderMode=cv2.BORDER_REFLECT)
            alpha = cv2.GaussianBlur(sil.astype(np.float32), (0, 0), 0.6)[..., None]
            frame = frame * (1 - alpha) + tex * alpha
            truth_ids[sil] = person["id"]
            cls[sil] = CLASSES["person"]
        frames[t] = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
        ids[t], classes[t] = truth_ids, cls

        # The per-frame instance segmenter: jittered outlines, misses, arbitrary ids.
        present = [i for i in np.unique(truth_ids) if i > 0]
        new_ids = rng.permutation(len(present)) + 1 + int(rng.integers(0, 50))
        for i, new in zip(present, new_ids):
            if rng.random() < p_miss:
                continue
            level = cv2.GaussianBlur((truth_ids == i).astype(np.float32), (0, 0), 2.0 * unit + 0.5)
            seg = level + 0.12 * jitter / 2.0 * _smooth_noise(height, width, rng, 6) > 0.5
            instances[t][seg] = new  # nearer people come later and cover farther ones
        lab = _class_jitter(cls, len(CLASSES), rng, jitter, unit)
        if rng.random() < p_blob:
            bm = np.zeros((height, width), np.uint8)
            cv2.ellipse(bm, (int(rng.integers(0, width)), int(rng.integers(0, height))),
                        (int(rng.uniform(0.04, 0.1) * height), int(rng.uniform(0.04, 0.1) * height)),
                        float(rng.uniform(0, 180)), 0, 360, 1, -1)
            lab[bm > 0] = int(rng.integers(0, len(CLASSES)))
        labels[t] = lab
    return MultiClip(frames, ids, classes, instances, labels, cut_at)


@dataclass(frozen=True)
class MatteClip:
    """A synthetic matting clip with thin structures.

    Attributes
    ----------
    frames : ndarray, uint8, (T, H, W, 3)
        The composite ``alpha * foreground + (1 - alpha) * background``.
    alpha : ndarray, float32, (T, H, W)
        The exact alpha that made the composite.
    mattes : ndarray, float32, (T, H, W)
        Corrupted per-frame mattes in [0, 1].
    lines : ndarray, bool, (T, H, W)
        The pixels of the thin lines (where their alpha is above 0.1).
    band : ndarray, bool, (T, H, W)
        The pixels of the translucent band.
    """

    frames: np.ndarray
    alpha: np.ndarray
    mattes: np.ndarray
    lines: np.ndarray
    band: np.ndarray


def make_thin_matte_clip(n_frames: int = 40, height: int = 144, width: int = 192, *, seed: int = 0,
                         speed: float = 1.5, edge_noise: float = 0.35, line_flicker: float = 0.4,
                         p_blob: float = 0.1) -> MatteClip:
    """A matte with lines 1, 2 and 3 px wide and a translucent band, moving, with segmenter-like flicker.

    The scene: a body (an ellipse) drifting across a panning textured background, three taut
    lines from the body to a point above it (like kite lines, antialiased), and a translucent band
    of alpha 0.45 beside the body; the foreground is darker than the background, so the lines
    show in the frame as hair and lines do. The corrupted mattes err as matting networks do:

    - **edge noise**: spatially smooth noise of amplitude ``edge_noise``, fresh every frame, in a
      band 4 px around the body's outline (as ``raw_synthetic`` of the shared matting clips);
    - **flickering thin structures**: each line's alpha is scaled by its own factor drawn every
      frame in ``[1 - line_flicker, 1]``, and the band's by one in ``[1 - line_flicker / 2, 1]``;
    - **one-frame blobs**: with probability ``p_blob`` per frame, a soft ellipse added in the
      background or cut out of the body for that frame only.

    Parameters
    ----------
    n_frames, height, width : int
        Clip size; at least 2 frames of 64x64.
    seed : int
    speed : float
        Body speed in pixels per frame at 144 px height.
    edge_noise, line_flicker, p_blob : float
        Amounts of each corruption, each in [0, 1].

    Returns
    -------
    MatteClip

    Raises
    ------
    ValueError
        If the size is too small or an amount is outside [0, 1].

    Examples
    --------
    >>> clip = make_thin_matte_clip(n_frames=3, height=72, width=96)
    >>> clip.frames.shape, clip.alpha.dtype, bool(clip.lines.any())
    ((3, 72, 96, 3), dtype('float32'), True)
    """
    if n_frames < 2 or height < 64 or width < 64:
        raise ValueError(f"need n_frames >= 2 and height, width >= 64; got {n_frames}, {height}, {width}")
    for name, v in (("edge_noise", edge_noise), ("line_flicker", line_flicker), ("p_blob", p_blob)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {v!r}")
    rng = np.random.default_rng(seed)
    unit = height / 144.0
    panning = _panning(height, width, n_frames, rng, np.array([0.6, 0.2]) * unit, 120, 120)
    fg_colour = np.float32([40, 50, 70])
    shape = (n_frames, height, width)
    frames, alpha, mattes = np.empty(shape + (3,), np.uint8), np.empty(shape, np.float32), np.empty(shape, np.float32)
    lines_out, band_out = np.empty(shape, bool), np.empty(shape, bool)
    for t in range(n_frames):
        cx = 0.3 * width + speed * unit * t + 0.05 * width * np.sin(t / 7.0)
        cy = 0.7 * height + 0.03 * height * np.sin(t / 4.0)
        body = np.zeros((height, width), np.float32)
        cv2.ellipse(body, (round(cx * 16), round(cy * 16)), (round(0.09 * height * 16), round(0.16 * height * 16)),
                    0, 0, 360, 1.0, -1, cv2.LINE_AA, 4)
        kite = (cx + 0.25 * width + 0.04 * width * np.sin(t / 5.0), 0.12 * height)
        per_line = []
        for k, thick in enumerate((1, 2, 3)):
            line = np.zeros((height, width), np.float32)
            start = (cx + (k - 1) * 0.03 * height, cy - 0.14 * height)
            end = (kite[0] + (k - 1) * 0.06 * width, kite[1])
            cv2.line(line, (round(start[0] * 16), round(start[1] * 16)), (round(end[0] * 16), round(end[1] * 16)),
                     1.0, thick, cv2.LINE_AA, 4)
            per_line.append(line)
        band = np.zeros((height, width), np.float32)
        band[round(cy - 0.1 * height):round(cy + 0.1 * height),
             round(cx - 0.2 * height):round(cx - 0.1 * height)] = 0.45
        band = cv2.GaussianBlur(band, (0, 0), 0.7)
        truth = np.maximum.reduce([body, band, *per_line])
        alpha[t], lines_out[t], band_out[t] = truth, np.maximum.reduce(per_line) > 0.1, (band > 0.1) & (body < 0.5)

        background = panning(t)
        frame = (truth[..., None] * fg_colour + (1 - truth[..., None]) * background
                 + rng.normal(0, 1.5, background.shape))
        frames[t] = np.clip(frame, 0, 255).astype(np.uint8)

        outline = cv2.morphologyEx((body > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
        weight = cv2.GaussianBlur(cv2.dilate(outline, np.ones((9, 9), np.uint8)).astype(np.float32), (0, 0), 1.5)
        noise = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 1.5)
        noise /= max(float(noise.std()), 1e-6)
        scales = rng.uniform(1 - line_flicker, 1, 3)
        matte = np.maximum.reduce([body, band * rng.uniform(1 - line_flicker / 2, 1),
                                   *[f * line for f, line in zip(scales, per_line)]])
        matte = matte + edge_noise * weight * noise
        if rng.random() < p_blob:
            blob = np.zeros((height, width), np.float32)
            centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            axes = (int(rng.uniform(0.04, 0.12) * height), int(rng.uniform(0.04, 0.12) * height))
            cv2.ellipse(blob, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0.5, 1.0)), -1)
            blob = cv2.GaussianBlur(blob, (0, 0), 2.0)
            matte = matte - blob if body[centre[1], centre[0]] > 0.5 else matte + blob
        mattes[t] = np.clip(matte, 0, 1)
    return MatteClip(frames, alpha, mattes, lines_out, band_out)
