"""How low the filter's own knobs can take a matte's dtSSD without costing accuracy, beside the baselines'.

Usage::

    python benchmarks/matting_frontier.py DATA_ROOT [--input raw_mediapipe_selfie] [--clips NAME ...]
                                          [--preset balanced] [--out docs/matting]

For each clip it stabilizes one input with every combination of the temporal filter's smoothing
knobs in ``GRID`` (on the preset's flow, at latency 0 and offline), and runs every baseline with
each of its parameters in ``BASELINE_GRID``. It writes ``frontier.md`` / ``frontier.csv``: per clip
and latency, the lowest dtSSD among the settings that stay within the matting bounds against raw
(MAD at most 1.02 x raw's, MSE at most raw's) and the setting that reaches it; per baseline, the
same over its parameters; and, for each baseline of ``matting.py``, how many of the filter's
settings have a lower dtSSD at equal or lower MAD. Where no setting reaches a dtSSD target, a
different choice of defaults cannot either: the defaults are one point of this grid.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
from pathlib import Path

import cv2

import tempcons as tc
from _common import BASELINES, read_sequence
from matting import MAD_TOLERANCE, beats, read_frames, score

#: The knobs that set how much a value leans on its history, and the values tried.
GRID = {"memory": (0.95, 0.98), "sigma_color": (0.02, 0.05, 0.1, 0.3), "kappa": (1.0, 0.5, 0.0),
        "confidence_floor": (0.2, 0.05, 0.01)}

#: Each baseline and the values of its parameter tried (``matting.py`` runs one of them, named in BASELINES).
BASELINE_GRID = {
    "ema": (tc.baselines.ema, (0.3, 0.5, 0.7, 0.9)),
    "median": (tc.baselines.temporal_median, (3, 5, 7)),
    "mediapipe": (tc.baselines.mediapipe_smoothing, (0.5, 0.7, 0.9)),
    "modnet_ofd": (tc.baselines.modnet_ofd, (0.05, 0.1, 0.2, 0.4)),
}


def within_bounds(row: dict, raw: dict) -> bool:
    return row["MAD"] <= MAD_TOLERANCE * raw["MAD"] and row["MSE"] <= raw["MSE"]


def lowest(rows: list[dict], raw: dict) -> dict | None:
    """The row with the lowest dtSSD among those within the bounds against raw, or None."""
    ok = [r for r in rows if within_bounds(r, raw)]
    return min(ok, key=lambda r: r["dtSSD"]) if ok else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_root", type=Path)
    ap.add_argument("--input", default="raw_mediapipe_selfie")
    ap.add_argument("--clips", nargs="*")
    ap.add_argument("--preset", default="balanced")
    ap.add_argument("--out", type=Path, default=Path("docs/matting"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clips = sorted(d for d in args.data_root.iterdir()
                   if (d / args.input).is_dir() and (not args.clips or d.name in args.clips))
    rows = []
    for clip in clips:
        frames = read_frames(clip)
        truth = read_sequence(clip / "pha", cv2.IMREAD_GRAYSCALE)
        raw = read_sequence(clip / args.input, cv2.IMREAD_GRAYSCALE)

        def add(method: str, latency: str, setting: str, out) -> None:
            rows.append({"clip": clip.name, "method": method, "latency": latency, "setting": setting,
                         **score(out, truth, ("MAD", "MSE", "dtSSD"))})
            print(json.dumps(rows[-1]), flush=True)

        add("raw", "-", "-", raw)
        for family, (fn, values) in BASELINE_GRID.items():
            for value in values:
                add(family, "-", str(value), fn(raw, value))
        for values in itertools.product(*GRID.values()):
            knobs = dict(zip(GRID, values))
            for latency in (0, None):
                out = tc.stabilize(frames, raw, kind="alpha", preset=args.preset, latency=latency, **knobs)
                add("tempcons", "offline" if latency is None else f"lat{latency}", json.dumps(knobs), out)
    with open(args.out / "frontier.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (args.out / "frontier.md").write_text(report(rows, args))


def report(rows: list[dict], args) -> str:
    settings = len(list(itertools.product(*GRID.values())))
    text = [f"# How low dtSSD goes within the bounds against raw: `{args.input}`, preset `{args.preset}`\n",
            f"The temporal filter with every combination of {', '.join(f'`{k}` {v}' for k, v in GRID.items())} "
            f"({settings} settings), at latency 0 and offline; each baseline over its parameter. Bounds: MAD at most "
            f"{MAD_TOLERANCE} x raw's and MSE at most raw's. Ratios are to raw's.\n",
            "| clip | method | latency | settings within bounds | lowest dtSSD x raw | its MAD x raw | setting |",
            "|---|---|---|---|---|---|---|"]
    dominance = ["| clip | baseline | MAD | dtSSD | latency 0: settings with lower dtSSD at <= MAD | offline |",
                 "|---|---|---|---|---|---|"]
    for clip in dict.fromkeys(r["clip"] for r in rows):
        mine = [r for r in rows if r["clip"] == clip]
        raw = next(r for r in mine if r["method"] == "raw")
        groups = [("tempcons", lat, [r for r in mine if r["method"] == "tempcons" and r["latency"] == lat])
                  for lat in ("lat0", "offline")]
        groups += [(fam, "-", [r for r in mine if r["method"] == fam]) for fam in BASELINE_GRID]
        for method, lat, group in groups:
            best = lowest(group, raw)
            n_ok = sum(within_bounds(r, raw) for r in group)
            cells = ("—", "—", "none within bounds") if best is None else (
                f"{best['dtSSD'] / raw['dtSSD']:.3f}", f"{best['MAD'] / raw['MAD']:.3f}", f"`{best['setting']}`")
            text.append(f"| {clip} | {method} | {lat} | {n_ok} of {len(group)} | " + " | ".join(cells) + " |")
        for name in BASELINES:
            family, value = name[:-1].split("(")
            b = next(r for r in mine if r["method"] == family and r["setting"] == value)
            counts = [sum(beats(r, b) for r in group) for _, _, group in groups[:2]]
            dominance.append(f"| {clip} | {name} | {b['MAD']:.2f} | {b['dtSSD']:.2f} | {counts[0]} of {settings} | "
                             f"{counts[1]} of {settings} |")
    return "\n".join(text) + "\n\n## Against the baselines of matting.py\n\n" + "\n".join(dominance) + "\n"


if __name__ == "__main__":
    main()
