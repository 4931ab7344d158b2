"""Thin structures in mattes: the error on the lines and on the translucent band, against raw's.

Usage::

    python benchmarks/thin_mattes.py [--sizes 144x192 288x512 480x854 720x1280] [--frames 30]
                                     [--out docs/matting]

The clip is :func:`tempcons.synthetic.make_thin_matte_clip` (seed 0) at each size: lines 1, 2 and
3 px wide and a translucent band of alpha 0.45, whose values the corrupted mattes scale down by a
factor drawn every frame. For every preset, at latency 0 and offline, it reports the mean absolute
error on the line pixels and on the band pixels, each over raw's: above 1, the stabilized matte
lost what the segmenter had there. Writes ``thin.md`` and ``thin.csv``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

import tempcons as tc
from tempcons.synthetic import make_thin_matte_clip

LATENCIES = {"latency 0": 0, "offline": None}


def region_error(mattes: np.ndarray, alpha: np.ndarray, where: np.ndarray) -> float:
    """Mean absolute error of float mattes in [0, 1] against the true alpha over ``where``."""
    return float(np.abs(np.asarray(mattes, np.float32) - alpha)[where].mean())


def size_of(text: str) -> tuple[int, int]:
    h, _, w = text.partition("x")
    return int(h), int(w)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=size_of, default=[(144, 192), (288, 512), (480, 854), (720, 1280)],
                    metavar="HxW")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--presets", nargs="+", default=["realtime", "balanced", "quality"])
    ap.add_argument("--out", type=Path, default=Path("docs/matting"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for h, w in args.sizes:
        clip = make_thin_matte_clip(n_frames=args.frames, height=h, width=w, seed=0)
        raw = {k: region_error(clip.mattes, clip.alpha, m) for k, m in (("lines", clip.lines), ("band", clip.band))}
        for preset in args.presets:
            for tag, latency in LATENCIES.items():
                out = tc.stabilize(clip.frames, clip.mattes, kind="alpha", preset=preset, latency=latency)
                row = {"size": f"{h}x{w}", "preset": preset, "latency": tag,
                       "lines": region_error(out, clip.alpha, clip.lines) / raw["lines"],
                       "band": region_error(out, clip.alpha, clip.band) / raw["band"],
                       "raw lines": raw["lines"], "raw band": raw["band"]}
                rows.append(row)
                print(" ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()), flush=True)
    with open(args.out / "thin.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cols = [f"{p}, {tag}" for p in args.presets for tag in LATENCIES]
    lines = ["| size | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for size in dict.fromkeys(r["size"] for r in rows):
        cells = {f"{r['preset']}, {r['latency']}": f"{r['lines']:.3f} / {r['band']:.3f}" for r in rows
                 if r["size"] == size}
        lines.append(f"| {size} | " + " | ".join(cells[c] for c in cols) + " |")
    (args.out / "thin.md").write_text(
        "# Thin structures: the thin-matte clip's error on the lines / on the band, x raw's\n\n"
        f"`tempcons.synthetic.make_thin_matte_clip`, {args.frames} frames, seed 0, at each size; above 1 the "
        "stabilized matte lost what the input had there.\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
