"""The built-in demo: a synthetic flickering clip, stabilized, measured against its truth."""

from __future__ import annotations

import time
from pathlib import Path


from . import baselines, synthetic
from .compare import compare_strip
from .io import write_image
from .metrics import ClipRuler
from .stabilize import stabilize

__all__ = ["run_demo"]


def _free_path(path: Path) -> Path:
    """``path`` if it does not exist yet, else the first ``stem-N.suffix`` that does not."""
    if not path.exists():
        return path
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def run_demo(out: str | Path | None = "tempcons_demo.png", *, n_frames: int = 48, height: int = 240,
             width: int = 320, seed: int = 0, echo=print) -> list[dict]:
    """Stabilize a synthetic clip and print flicker and IoU before and after.

    Parameters
    ----------
    out : path or None
        Where to write the PNG strip (:func:`tempcons.compare.compare_strip`: rows frame / raw /
        stabilized / truth, changed pixels in magenta). An
        existing file is never overwritten: a free name next to it is used instead. None: no
        image.
    n_frames, height, width, seed
        Size and seed of the synthetic clip.
    echo : callable
        Receives each printed line.

    Returns
    -------
    list of dict
        One row per method: ``method``, ``flicker``, ``excess``, ``J``, ``seconds``.
    """
    clip = synthetic.make_clip(n_frames=n_frames, height=height, width=width, seed=seed)
    echo(f"synthetic clip: {n_frames} frames of {width}x{height}, a walking textured figure with "
         "boundary jitter, blinking holes, dropouts and false blobs")
    ruler = ClipRuler(clip.frames, clip.truth)
    candidates = [
        ("raw", lambda: clip.masks),
        ("baseline ema(0.5)", lambda: baselines.ema(clip.masks, 0.5)),
        ("baseline median(3)", lambda: baselines.temporal_median(clip.masks, 3)),
        ("baseline mediapipe(0.7)", lambda: baselines.mediapipe_smoothing(clip.masks, 0.7)),
        ("baseline modnet_ofd", lambda: baselines.modnet_ofd(clip.masks)),
    ]
    for preset in ("realtime", "balanced", "quality"):
        candidates.append((f"tempcons {preset} streaming",
                           lambda p=preset: stabilize(clip.frames, clip.masks, preset=p, latency=0)))
        candidates.append((f"tempcons {preset} offline",
                           lambda p=preset: stabilize(clip.frames, clip.masks, preset=p, latency=None)))
    stabilize(clip.frames[:3], clip.masks[:3], preset="realtime")  # compile the kernels outside the timings
    echo(f"flicker = warping error of the binarised mask (ground truth itself: {ruler.truth_flicker:.5f});"
         " IoU = mean J against the truth")
    echo(f"{'method':34s} {'flicker':>8s} {'excess':>8s} {'IoU':>7s} {'ms/frame':>9s}")
    rows = []
    best = None
    for name, fn in candidates:
        t0 = time.perf_counter()
        result = fn()
        ms = (time.perf_counter() - t0) * 1000 / n_frames
        row = {"method": name, **ruler.score(result), "ms_per_frame": ms}
        rows.append(row)
        echo(f"{name:34s} {row['flicker']:8.5f} {row['excess']:+8.5f} {row['J']:7.4f} {ms:9.1f}")
        if name == "tempcons balanced offline":
            best = result
    raw = rows[0]
    bal = next(r for r in rows if r["method"] == "tempcons balanced offline")
    echo(f"balanced offline vs raw: flicker {raw['flicker']:.5f} -> {bal['flicker']:.5f} "
         f"(ground truth {ruler.truth_flicker:.5f}), IoU {raw['J']:.4f} -> {bal['J']:.4f}")
    if out is not None:
        path = _free_path(Path(out))
        strip, _ = compare_strip(clip.frames, {"raw (segmenter)": clip.masks, "tempcons balanced offline": best,
                                            "ground truth": clip.truth})
        write_image(path, strip)
        echo(f"wrote {path} (rows: frame, raw masks, stabilized, ground truth; green = mask, "
             "magenta = changed since the frame before)")
    return rows
