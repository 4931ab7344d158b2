"""Shared pieces of the benchmark scripts: clip loading, the flicker ruler, the method list."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

import tempcons as tc

BASELINES = {
    "ema(0.5)": lambda m: tc.baselines.ema(m, 0.5),
    "median(3)": lambda m: tc.baselines.temporal_median(m, 3),
    "mediapipe(0.7)": lambda m: tc.baselines.mediapipe_smoothing(m, 0.7),
    "modnet_ofd(0.1)": lambda m: tc.baselines.modnet_ofd(m, 0.1),
}
#: Frames of look-ahead each baseline reads: the temporal median(3) and OFD read the next frame.
BASELINE_LATENCY = {"ema(0.5)": 0, "median(3)": 1, "mediapipe(0.7)": 0, "modnet_ofd(0.1)": 1}
LATENCIES = (0, 2, None)


def read_sequence(folder: Path, flags: int) -> np.ndarray:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not files:
        raise FileNotFoundError(f"no images in {folder}")
    images = [cv2.imread(str(p), flags) for p in files]
    for p, im in zip(files, images):
        if im is None:
            raise OSError(f"cannot read {p}")
    return np.stack(images)


def methods(presets: list[str], knobs: dict | None = None, baselines: bool = True):
    """(name, function(frames, masks) -> masks) for raw, every baseline, every preset x latency."""
    knobs = knobs or {}
    yield "raw", lambda f, m: m
    if baselines:
        for name, fn in BASELINES.items():
            yield name, lambda f, m, fn=fn: fn(m)
    for p in presets:
        for lat in LATENCIES:
            tag = "offline" if lat is None else f"lat{lat}"
            yield f"{p}/{tag}", lambda f, m, p=p, lat=lat: tc.stabilize(f, m, preset=p, latency=lat, **knobs)


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def scatter(rows: list[dict], x: str, y: str, path: Path, title: str, xlabel: str, ylabel: str, *,
            worse: tuple[float, float] | None = None, lines: dict | None = None) -> None:
    """One point per method (tempcons presets: circles, raw: a star, baselines: squares); needs matplotlib.

    ``worse = (x_limit, y_limit)`` shades where a method is worse than raw (both axes lower-is-better:
    right of ``x_limit`` or above ``y_limit``); ``lines`` draws labelled vertical lines at x values.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, value in (lines or {}).items():
        ax.axvline(value, color="0.6", lw=0.8, ls="--")
        ax.annotate(label, (value, 1.0), xycoords=("data", "axes fraction"), fontsize=6, rotation=90,
                    va="top", ha="right", color="0.4")
    if worse is not None:
        # Drawn after the points would hide them; the limits come from the points first.
        for r in rows:
            ax.scatter(r[x], r[y], s=0)
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        # Room beyond the limits, so the region shows even when every point is inside it.
        x1, y1 = max(x1, worse[0] + 0.1 * (worse[0] - x0)), max(y1, worse[1] + 0.1 * (worse[1] - y0))
        ax.axvspan(worse[0], x1, color="tab:red", alpha=0.08, lw=0)
        ax.axhspan(worse[1], y1, color="tab:red", alpha=0.08, lw=0)
        ax.annotate("worse than raw", (0.99, 0.99), xycoords="axes fraction", ha="right", va="top", fontsize=7,
                    color="tab:red")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    for r in rows:
        marker = "o" if "/" in r["method"] else ("*" if r["method"] == "raw" else "s")
        ax.scatter(r[x], r[y], marker=marker, s=40)
        ax.annotate(r["method"], (r[x], r[y]), fontsize=6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
