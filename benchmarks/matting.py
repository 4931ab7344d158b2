"""Matting quality: RVM-protocol metrics for raw mattes, the baselines and every preset.

Usage::

    python benchmarks/matting.py DATA_ROOT [--out docs/matting] [--presets balanced] [--clips NAME ...]

DATA_ROOT holds clips in RVM's layout: ``<clip>/com`` (frames), ``<clip>/pha`` (true alpha),
one or more ``<clip>/raw_*`` (per-frame mattes), e.g. ``../shared/data/matting``. Every method
runs with ``kind="alpha"``; metrics are MAD, MSE, Grad, Conn and dtSSD under RVM's protocol
(whole frame, 8-bit quantised predictions by truncation, dtSSD frame 0 = 0). Writes
``matting.md`` / ``matting.csv`` and a dtSSD-vs-MAD scatter per clip and input. Every row carries
the flow ceiling of the flow it uses and which bound against raw it breaks, if any (MAD above
1.02 x raw's, MSE above raw's, dtSSD not below raw's); each scatter shades that region and marks
the ceilings. ``matting.md`` ends with the comparisons against the baselines: per clip, input and
baseline, which preset rows have lower dtSSD at equal or lower MAD, marking a row that reads
fewer future frames than the baseline.

It also measures what the flow allows (``flow_ceiling.md``): the true matte of frame t - 1
carried into frame t along each preset's flow, next to carrying it without motion, scored by MAD
against frame t's true matte (no filter that carries mattes along that flow can be more accurate
than this where it leans on the history) and by dtSSD (how much the history alone would flicker).
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import cv2
import numpy as np

from _common import BASELINE_LATENCY, methods, read_sequence, scatter, timed
from tempcons.flow import estimate_flow
from tempcons.metrics import matting
from tempcons.settings import PRESETS
from tempcons.warp import warp

METRICS = {"MAD": matting.mad, "MSE": matting.mse, "Grad": matting.grad, "Conn": matting.conn,
           "dtSSD": matting.dtssd}


def alpha_methods(presets: list[str], knobs: dict, baselines: bool):
    """The benchmark's methods with the alpha kind fixed (uint8 mattes are soft 0..255)."""
    for name, fn in methods(presets, {"kind": "alpha", **knobs}, baselines):
        yield name, fn


def read_frames(clip: Path) -> np.ndarray:
    """A clip's composited frames (``<clip>/com``), (T, H, W, 3) uint8 RGB."""
    return read_sequence(clip / "com", cv2.IMREAD_COLOR)[..., ::-1].copy()


def score(pred: np.ndarray, truth: np.ndarray, metrics: tuple[str, ...] = tuple(METRICS)) -> dict:
    pred8 = pred if pred.dtype == np.uint8 else (np.clip(pred, 0, 1) * 255).astype(np.uint8)
    return {k: METRICS[k](pred8, truth).value for k in metrics}


#: The judged tolerance on MAD: a stabilized matte may be at most this much less accurate than raw.
MAD_TOLERANCE = 1.02


def ceiling_of(method: str, ceiling: dict) -> float | None:
    """The flow ceiling that bounds ``method``: its preset's flow, no motion for a baseline, none for raw."""
    if method == "raw":
        return None
    return ceiling[method.split("/")[0]] if "/" in method else ceiling["no motion"]


def worse_than_raw(row: dict) -> str:
    """Which judged bound a row breaks, against raw's: "MAD", "MSE", "dtSSD" joined, or "no"."""
    broken = [name for name, bad in (("MAD", row["MAD_ratio"] > MAD_TOLERANCE), ("MSE", row["MSE_ratio"] > 1),
                                     ("dtSSD", row["dtSSD_ratio"] >= 1)) if bad]
    return "no" if row["method"] == "raw" else (", ".join(broken) or "no")


def beats(row: dict, baseline: dict) -> bool:
    """The judged rule against a baseline: lower dtSSD at equal or lower MAD."""
    return row["dtSSD"] < baseline["dtSSD"] and row["MAD"] <= baseline["MAD"]


def look_ahead(method: str) -> float:
    """Frames of look-ahead a preset's row reads: k for ``lat<k>``, unbounded offline."""
    tag = method.split("/")[1]
    return math.inf if tag == "offline" else int(tag.removeprefix("lat"))


def baseline_report(rows: list[dict]) -> str:
    """Per clip, input and baseline: which preset rows beat it, and the numbers of those that do not.

    A row that reads fewer future frames than the baseline does is marked: a comparison at
    unequal latency, reported, not excused.
    """
    lines = ["| clip | input | baseline (look-ahead) | rows that beat it | rows that do not: MAD (x1e3) / dtSSD "
             "(x1e2) against the baseline's |", "|---|---|---|---|---|"]
    failed = unequal = total = 0
    for key in dict.fromkeys((r["clip"], r["input"]) for r in rows):
        group = [r for r in rows if (r["clip"], r["input"]) == key]
        ours = [r for r in group if "/" in r["method"]]
        for b in (r for r in group if r["method"] in BASELINE_LATENCY):
            ahead = BASELINE_LATENCY[b["method"]]
            lost = [(r, look_ahead(r["method"]) < ahead) for r in ours if not beats(r, b)]
            total, failed = total + len(ours), failed + len(lost)
            unequal += sum(short for _, short in lost)
            detail = "; ".join(f"{r['method']} {r['MAD']:.3f} / {r['dtSSD']:.2f} against {b['MAD']:.3f} / "
                               f"{b['dtSSD']:.2f}" + (" (reads less of the future)" if short else "")
                               for r, short in lost)
            lines.append(f"| {key[0]} | {key[1]} | {b['method']} ({ahead} frame{'' if ahead == 1 else 's'}) | "
                         f"{len(ours) - len(lost)} of {len(ours)} | {detail or '—'} |")
    return (f"Lower dtSSD at equal or lower MAD than the baseline: {total - failed} of {total} comparisons hold; of "
            f"the {failed} that do not, {unequal} set a row against a baseline that reads more future frames than "
            f"the row.\n\n" + "\n".join(lines) + "\n")


def flow_ceiling(frames: np.ndarray, truth: np.ndarray, preset: str | None) -> tuple[float, float]:
    """MAD (x1e3) and dtSSD (x1e2) of the true matte of frame t - 1 pulled into frame t along the
    preset's flow (None: without motion). The MAD is over frames 1 on; dtSSD is RVM's, frame 0
    its own truth."""
    alpha = truth.astype(np.float32) / 255.0
    carried = np.concatenate([alpha[:1], alpha[:-1]])
    if preset is not None:
        s = PRESETS[preset].flow
        for t in range(1, len(frames)):
            flow = estimate_flow(frames[t], frames[t - 1], method=s.flow_method, preset=s.flow_preset,
                                 scale=s.flow_scale)
            carried[t], _ = warp(alpha[t - 1], flow)
    mad = 1e3 * float(np.mean([np.abs(c - a).mean() for c, a in zip(carried[1:], alpha[1:])]))
    return mad, score(carried, truth, ("dtSSD",))["dtSSD"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_root", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/matting"))
    ap.add_argument("--presets", nargs="+", default=["realtime", "balanced", "quality"])
    ap.add_argument("--clips", nargs="*")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--set", nargs="*", default=[], metavar="KNOB=VALUE")
    args = ap.parse_args()
    knobs = {k: type_cast(v) for k, v in (s.split("=", 1) for s in args.set)}
    args.out.mkdir(parents=True, exist_ok=True)
    clips = sorted(d for d in args.data_root.iterdir() if (d / "com").is_dir() and (not args.clips or d.name in args.clips))
    rows, ceilings, flicker = [], [], []
    for clip in clips:
        frames = read_frames(clip)
        truth = read_sequence(clip / "pha", cv2.IMREAD_GRAYSCALE)
        both = {"no motion": flow_ceiling(frames, truth, None),
                **{p: flow_ceiling(frames, truth, p) for p in args.presets}}
        ceilings.append({"clip": clip.name, **{k: v[0] for k, v in both.items()}})
        flicker.append({"clip": clip.name, **{k: v[1] for k, v in both.items()}})
        for raw_dir in sorted(clip.glob("raw_*")):
            if not raw_dir.is_dir():
                continue
            raw = read_sequence(raw_dir, cv2.IMREAD_GRAYSCALE)
            group = []
            for name, fn in alpha_methods(args.presets, knobs, not args.no_baselines):
                out, seconds = timed(fn, frames, raw)
                row = {"clip": clip.name, "input": raw_dir.name, "method": name, **score(out, truth),
                       "seconds": seconds}
                group.append(row)
                print(f"{clip.name:24s} {raw_dir.name:22s} {name:18s} " + " ".join(
                    f"{k} {row[k]:8.3f}" for k in METRICS), flush=True)
            base = group[0]
            for r in group:
                r["dtSSD_ratio"] = r["dtSSD"] / base["dtSSD"]
                r["MAD_ratio"] = r["MAD"] / base["MAD"]
                r["MSE_ratio"] = r["MSE"] / base["MSE"]
                r["ceiling"] = ceiling_of(r["method"], ceilings[-1])
            scatter(group, "MAD", "dtSSD", args.out / f"{clip.name}__{raw_dir.name}.png",
                    f"{clip.name} / {raw_dir.name}", "MAD (x1e3, lower is better)", "dtSSD (x1e2, lower is better)",
                    worse=(MAD_TOLERANCE * base["MAD"], base["dtSSD"]),
                    lines={f"flow ceiling {k}": v for k, v in ceilings[-1].items() if k != "clip"})
            rows.extend(group)
    keys = ["clip", "input", "method", *METRICS, "dtSSD_ratio", "MAD_ratio", "MSE_ratio", "ceiling", "seconds"]
    with open(args.out / "matting.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    lines = ["| clip | input | method | MAD | MSE | Grad | Conn | dtSSD | dtSSD x raw | MAD x raw | MSE x raw | "
             "flow ceiling | worse than raw |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['clip']} | {r['input']} | {r['method']} | {r['MAD']:.2f} | {r['MSE']:.2f} | {r['Grad']:.2f} | "
              f"{r['Conn']:.2f} | {r['dtSSD']:.2f} | {r['dtSSD_ratio']:.2f} | {r['MAD_ratio']:.3f} | "
              f"{r['MSE_ratio']:.3f} | {'—' if r['ceiling'] is None else format(r['ceiling'], '.1f')} | "
              f"{worse_than_raw(r)} |" for r in rows]
    (args.out / "matting.md").write_text(
        "# Matting benchmark (RVM protocol)\n\n"
        f"`flow ceiling`: MAD (x1e3) of the true matte of frame t - 1 carried into frame t along the flow the "
        f"method uses (the preset's; no motion for the baselines): where the method leans on the history it "
        f"cannot be more accurate (flow_ceiling.md). `worse than raw`: MAD above {MAD_TOLERANCE} x raw's, MSE "
        f"above raw's, or dtSSD not below raw's.\n\n" + "\n".join(lines) + "\n"
        + ("\n## Against the baselines\n\n" + baseline_report(rows) if not args.no_baselines else ""))
    cols = ["no motion", *args.presets]
    inputs = list(dict.fromkeys(r["input"] for r in rows))
    table = ["| clip | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    table += [f"| {c['clip']} | " + " | ".join(f"{c[k]:.1f}" for k in cols) + " |" for c in ceilings]
    raw = {(r["clip"], r["input"]): r["dtSSD"] for r in rows if r["method"] == "raw"}
    spread = ["| clip | " + " | ".join(cols) + " | " + " | ".join(f"raw: {i}" for i in inputs) + " |",
              "|---|" + "---|" * (len(cols) + len(inputs))]
    spread += [f"| {c['clip']} | " + " | ".join(f"{c[k]:.2f}" for k in cols) + " | "
               + " | ".join(f"{raw[c['clip'], i]:.2f}" if (c["clip"], i) in raw else "—" for i in inputs) + " |"
               for c in flicker]
    (args.out / "flow_ceiling.md").write_text(
        "# What the flow allows: the true matte of frame t - 1 carried into frame t\n\n"
        "Along each preset's flow, and without motion.\n\n"
        "## MAD (x1e3)\n\nCompare with the raw mattes' MAD in matting.md: where a filter leans on the history it "
        "cannot be more accurate than this.\n\n" + "\n".join(table) + "\n\n"
        "## dtSSD (x1e2)\n\nHow much the carried true matte flickers against the truth: what a filter that took "
        "the history alone would flicker by, beside the raw mattes' dtSSD. Not a bound: a filter that averages "
        "an input's zero-mean noise along time goes below it (the synthetic mattes do); it says how far leaning "
        "on the history can take an input whose errors persist.\n\n" + "\n".join(spread) + "\n")


def type_cast(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


if __name__ == "__main__":
    main()
