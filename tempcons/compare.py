"""Mask sets of one clip side by side, each with the pixels that changed since the frame before.

What a person wants to see before trusting a flicker number: :func:`side_by_side` draws, for
every frame, each mask set over the frame (foreground tinted green, or each id in its own
colour) with the pixels that changed since the previous frame in magenta and the share of them
written above; :func:`compare_strip` lays a few such frames out as labelled rows of one picture
(the demo's); :func:`plot_flicker` draws each set's share of changed pixels per frame on one
timeline. ``tempcons compare`` writes all three.

A pixel of a mask or matte changed when its value moved by more than ``threshold`` (default
0.25 of the full range); a pixel of a label or id map, when its id did.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from .masks import as_unit

__all__ = ["changed_pixels", "side_by_side", "compare_strip", "plot_flicker"]

_CHANGED = np.array([255, 0, 255], np.float32)  # magenta: nothing in a mask overlay is this colour
_FOREGROUND = np.array([40, 200, 80], np.float32)


def _reading(ids: bool):
    """A function from one stored mask to what is drawn and compared: ids, or values in [0, 1]."""
    scale = [1]

    def read(mask: np.ndarray) -> np.ndarray:
        mask = np.asarray(mask)
        if ids:
            if mask.dtype.kind not in "biu":
                raise TypeError(f"id maps must hold integers, got {mask.dtype}")
            return mask.astype(np.int64)
        if mask.dtype == np.uint8 and mask.max(initial=0) > 1:
            scale[0] = 255  # 0/255 masks: from the first value above 1 on (0/1 masks never show one)
        return as_unit(mask, uint8_scale=scale[0] if mask.dtype == np.uint8 else None)

    return read


def changed_pixels(previous: np.ndarray, current: np.ndarray, *, threshold: float = 0.25) -> np.ndarray:
    """Where a mask changed between two frames: (H, W) bool.

    Parameters
    ----------
    previous, current : ndarray, (H, W)
        Values in [0, 1] (float) or ids (integers).
    threshold : float
        For values: the change that counts, in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> changed_pixels(np.array([[0.0, 0.5]]), np.array([[0.1, 1.0]])).tolist()
    [[False, True]]
    """
    if np.asarray(current).dtype.kind in "biu":
        return previous != current
    return np.abs(current - previous) > threshold


def _id_colours(ids: np.ndarray) -> np.ndarray:
    # A fixed colour per id (golden-ratio hues), black for 0.
    hue = (ids * 0.618034) % 1.0
    hsv = np.stack([hue * 179, np.full_like(hue, 200), np.full_like(hue, 230)], -1).astype(np.uint8)
    colours = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)
    colours[ids == 0] = 0
    return colours


def _titled(image: np.ndarray, title: str) -> np.ndarray:
    bar = np.full((22, image.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, title, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bar, image])


def _panel(frame: np.ndarray, value: np.ndarray, changed: np.ndarray, title: str) -> np.ndarray:
    """One side: the frame dimmed, the mask tinted over it, the changed pixels in magenta, a title."""
    base = frame.astype(np.float32) * 0.55
    if value.dtype.kind == "i":
        tint, weight = _id_colours(value), (value != 0)[..., None] * 0.6
    else:
        tint, weight = _FOREGROUND, value[..., None] * 0.6
    image = base * (1 - weight) + tint * weight
    image[changed] = _CHANGED
    return _titled(np.clip(image, 0, 255).astype(np.uint8), title)


_END = object()


def _walk(frames: Iterable, sets: dict, ids: bool, threshold: float) -> Iterator[tuple]:
    """(t, frame, [(label, value, changed, share)]) for every frame; every set must last as long
    as the frames (a shorter or longer one is an error, never a silent cut)."""
    readers = {label: _reading(ids) for label in sets}
    previous = dict.fromkeys(sets)
    names = ["the frames", *sets]
    sources = [iter(frames), *(iter(masks) for masks in sets.values())]
    for t in itertools.count():
        items = [next(source, _END) for source in sources]
        ended = [name for name, item in zip(names, items) if item is _END]
        if len(ended) == len(items):
            return
        if ended:
            going = ", ".join(n for n in names if n not in ended)
            raise ValueError(f"{', '.join(ended)} ended at frame {t}, before {going}; "
                             "compare takes one mask per frame in every set")
        frame, *masks = items
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame {t} must be an (H, W, 3) uint8 RGB image, got {frame.dtype} {frame.shape}")
        sides = []
        for label, mask in zip(sets, masks):
            value = readers[label](mask)
            if value.shape != frame.shape[:2]:
                raise ValueError(f"{label} mask {t} has shape {value.shape}, the frame {frame.shape[:2]}; "
                                 "compare draws masks at the frames' size")
            changed = (np.zeros(value.shape, bool) if previous[label] is None
                       else changed_pixels(previous[label], value, threshold=threshold))
            previous[label] = value
            sides.append((label, value, changed, float(changed.mean())))
        yield t, frame, sides


def side_by_side(frames: Iterable, sets: dict, *, ids: bool = False,
                 threshold: float = 0.25) -> Iterator[tuple[np.ndarray, dict]]:
    """Per frame, an RGB image of each mask set over the frame, side by side, changed pixels in magenta.

    Parameters
    ----------
    frames : iterable of ndarray, uint8, (H, W, 3)
        RGB frames.
    sets : dict of str -> iterable of (H, W) masks
        Label -> that set's masks (bool, uint8, uint16 or float in [0, 1]; ids with ``ids``), one
        per frame, at the frames' size. Each is read once, frame by frame.
    ids : bool
        The masks are label or instance id maps (each id its own colour; a change is a new id).
    threshold : float
        The value change that counts as changed, for masks and mattes.

    Yields
    ------
    image : ndarray, uint8, (H + 22, n_sets * W + 4 * (n_sets - 1), 3)
        Each side titled with its label and the share of its pixels that changed since the
        frame before.
    shares : dict of str -> float
        That share per set (0 at the first frame).

    Raises
    ------
    ValueError
        A frame that is not RGB uint8, a mask of another size.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((2, 32, 40, 3), np.uint8)
    >>> a = np.zeros((2, 32, 40), bool); a[1, :8] = True
    >>> (image, shares), = list(side_by_side(frames, {"raw": a, "stable": np.zeros_like(a)}))[1:]
    >>> image.shape, shares
    ((54, 84, 3), {'raw': 0.25, 'stable': 0.0})
    """
    for t, frame, sides in _walk(frames, sets, ids, threshold):
        panels = [_panel(frame, value, changed, f"{label}  frame {t}  changed {100 * share:.1f}%")
                  for label, value, changed, share in sides]
        gap = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)
        yield np.hstack([p for panel in panels for p in (panel, gap)][:-1]), {s[0]: s[3] for s in sides}


def compare_strip(frames: np.ndarray, sets: dict, *, columns: int = 6, ids: bool = False,
                  threshold: float = 0.25) -> tuple[np.ndarray, dict]:
    """A picture of a few frames: one labelled row per mask set, changed pixels in magenta.

    Parameters
    ----------
    frames : ndarray, uint8, (T, H, W, 3)
    sets : dict of str -> ndarray (T, H, W)
        Label -> masks; the first row is the frames themselves.
    columns : int
        Frames shown, spread evenly over the clip (never the first: nothing changed before it).

    Returns
    -------
    picture : ndarray, uint8, RGB
    shares : dict of str -> list of float
        Per set, the share of pixels changed at every frame of the clip (0 at the first), as
        :func:`plot_flicker` takes them.
    """
    n = len(frames)
    if n < 2:
        raise ValueError(f"frames must hold at least 2 frames to show changes, got {n}")
    shown = set(np.linspace(1, n - 1, min(columns, n - 1)).round().astype(int).tolist())
    rows = {"frame": [], **{label: [] for label in sets}}
    shares = {label: [] for label in sets}
    for t, frame, sides in _walk(frames, sets, ids, threshold):
        for label, value, changed, share in sides:
            shares[label].append(share)
            if t in shown:
                rows[label].append(_panel(frame, value, changed, f"{label}: changed {100 * share:.1f}%"))
        if t in shown:
            rows["frame"].append(_titled(frame, f"frame {t}"))
    return np.vstack([np.hstack(row) for row in rows.values()]), shares


def plot_flicker(series: dict, path: str | Path, *, title: str = "changed pixels per frame") -> None:
    """Each set's share of changed pixels per frame on one timeline, written as a PNG (matplotlib).

    Parameters
    ----------
    series : dict of str -> sequence of float
        Label -> share of pixels changed at each frame (frame 0 first).
    path : path
        The PNG to write (replaced if it exists: the caller checks).

    Raises
    ------
    ImportError
        matplotlib is missing (``pip install 'tempcons[plot]'``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.6))
    for label, values in series.items():
        values = 100 * np.asarray(values, float)
        ax.plot(np.arange(len(values)), values, lw=1.2,
                label=f"{label} (mean {values[1:].mean() if len(values) > 1 else 0:.2f}%)")
    ax.set_xlabel("frame")
    ax.set_ylabel("pixels changed since\nthe frame before (%)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
