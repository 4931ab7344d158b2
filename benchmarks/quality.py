"""Flicker and accuracy of raw masks, the baselines and each preset at latency 0, 2 and offline.

Usage::

    python benchmarks/quality.py DATA_ROOT [--out docs/quality] [--presets realtime balanced quality]
                                           [--set KNOB=VALUE ...] [--no-baselines]

DATA_ROOT holds one folder per clip with ``frames/``, ``gt/`` and one or more ``raw_*/`` input
folders (the layout of ``../shared/data/real``). Synthetic clips from ``tempcons.synthetic`` are
always added. Writes ``quality.md``, ``quality.csv`` and one flicker-vs-J scatter PNG per clip
and input (when matplotlib is installed).

Flicker = Lai et al.'s warping error of the output binarised at 0.5, flow from OpenCV DIS medium
at full resolution on the input frames; **excess** = flicker minus the ground truth's flicker on
the same flow. Accuracy = mean J over frames 1..n-2.
"""

from __future__ import annotations

import argparse
import ast
import csv
import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import methods, read_sequence, scatter, timed  # noqa: E402

import tempcons as tc  # noqa: E402


def clips(root: Path | None, synthetic: int):
    for seed in range(synthetic):
        c = tc.synthetic.make_clip(n_frames=60, height=360, width=480, seed=seed)
        yield f"synthetic{seed}", c.frames, c.truth, {"raw_synthetic_soft": c.masks,
                                                       "raw_synthetic_binary": c.binary_masks}
    if root is None:
        return
    for d in sorted(p for p in root.iterdir() if (p / "frames").is_dir() and (p / "gt").is_dir()):
        frames = read_sequence(d / "frames", cv2.IMREAD_COLOR)
        truth = read_sequence(d / "gt", cv2.IMREAD_GRAYSCALE) > 127
        inputs = {p.name: read_sequence(p, cv2.IMREAD_GRAYSCALE) for p in sorted(d.glob("raw_*")) if p.is_dir()}
        yield d.name, frames, truth, inputs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_root", nargs="?", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/quality"))
    ap.add_argument("--presets", nargs="+", default=["realtime", "balanced", "quality"])
    ap.add_argument("--synthetic", type=int, default=2, help="number of synthetic clips")
    ap.add_argument("--clips", nargs="*", help="only these clip names")
    ap.add_argument("--set", nargs="*", default=[], metavar="KNOB=VALUE",
                    help="override preset knobs, e.g. --set refine=False memory=0.8")
    ap.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    args = ap.parse_args(argv)
    knobs = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    args.out.mkdir(parents=True, exist_ok=True)
    all_rows = []
    for name, frames, truth, inputs in clips(args.data_root, args.synthetic):
        if args.clips and name not in args.clips:
            continue
        ruler = tc.metrics.ClipRuler(frames, truth)
        for inp, masks in inputs.items():
            rows = []
            for method, fn in methods(args.presets, knobs, not args.no_baselines):
                out, secs = timed(fn, frames, masks)
                row = {"clip": name, "input": inp, "method": method, **ruler.score(out),
                       "seconds": secs, "truth_flicker": ruler.truth_flicker}
                rows.append(row)
                print(f"{name:14s} {inp:22s} {method:18s} flicker {row['flicker']:.5f} "
                      f"excess {row['excess']:+.5f} J {row['J']:.4f}  ({secs:.1f}s)", flush=True)
            raw = rows[0]
            for r in rows:
                r["excess_ratio"] = r["excess"] / raw["excess"] if raw["excess"] > 0 else float("nan")
                r["dJ"] = r["J"] - raw["J"]
            scatter(rows, "excess", "J", args.out / f"{name}__{inp}.png", f"{name} / {inp}",
                    "excess flicker (warping error of binarised output - GT's)", "J")
            all_rows.extend(rows)
    write_tables(all_rows, args.out)
    return 0


def write_tables(rows: list[dict], out: Path) -> None:
    keys = ["clip", "input", "method", "flicker", "excess", "excess_ratio", "J", "dJ", "soft_flicker",
            "truth_flicker", "seconds"]
    with open(out / "quality.csv", "w", newline="") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    lines = ["| clip | input | method | flicker | excess | excess / raw | J | ΔJ | soft flicker | s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['clip']} | {r['input']} | {r['method']} | {r['flicker']:.5f} | {r['excess']:+.5f} | "
                     f"{r['excess_ratio']:.2f} | {r['J']:.4f} | {r['dJ']:+.4f} | {r['soft_flicker']:.5f} | "
                     f"{r['seconds']:.1f} |")
    (out / "quality.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
