"""Summarise ``quality.csv`` against the core issue's targets.

Usage::

    python benchmarks/summarize.py docs/quality/quality.csv > docs/quality/summary.md

Per clip and input: excess flicker of each tempcons preset as a ratio to raw's (offline,
latency 2, latency 0), the change in J, and the best baseline; then how many cases meet the
targets (offline <= 0.4x raw's excess, streaming <= 0.6x, J >= raw - 0.005; where raw's
flicker is within 10% of the ground truth's, only "not worse" is asked).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict


def main(path: str) -> int:
    rows = list(csv.DictReader(open(path)))
    for r in rows:
        for k in ("flicker", "excess", "J", "truth_flicker"):
            r[k] = float(r[k])
    groups = defaultdict(dict)
    for r in rows:
        groups[(r["clip"], r["input"])][r["method"]] = r
    presets = sorted({r["method"].split("/")[0] for r in rows if "/" in r["method"]})
    print("| clip | input | raw excess | " + " | ".join(f"{p} off / lat2 / lat0 (ΔJ off, lat0)" for p in presets)
          + " | best baseline (ratio, ΔJ) |")
    print("|---" * (4 + len(presets)) + "|")
    met = defaultdict(lambda: [0, 0])
    for (clip, inp), g in groups.items():
        raw = g["raw"]
        calm = raw["flicker"] <= 1.1 * raw["truth_flicker"]
        cells = []
        for p in presets:
            ratios = []
            for tag, target in (("offline", 0.4), ("lat2", None), ("lat0", 0.6)):
                r = g[f"{p}/{tag}"]
                ratio = r["excess"] / raw["excess"] if raw["excess"] > 0 else float("nan")
                ratios.append(ratio)
                if target is not None:
                    ok_j = r["J"] >= raw["J"] - 0.005
                    ok_f = r["flicker"] <= raw["flicker"] if calm else ratio <= target
                    met[(p, tag)][0] += ok_j and ok_f
                    met[(p, tag)][1] += 1
            d_off = g[f"{p}/offline"]["J"] - raw["J"]
            d_0 = g[f"{p}/lat0"]["J"] - raw["J"]
            cells.append(" / ".join(f"{x:.2f}" for x in ratios) + f" ({d_off:+.3f}, {d_0:+.3f})")
        base = [(m, r) for m, r in g.items() if "/" not in m and m != "raw"]
        bm, br = min(base, key=lambda mr: mr[1]["excess"])
        bratio = br["excess"] / raw["excess"] if raw["excess"] > 0 else float("nan")
        note = " (calm: raw within 10% of GT)" if calm else ""
        print(f"| {clip} | {inp}{note} | {raw['excess']:+.5f} | " + " | ".join(cells)
              + f" | {bm} ({bratio:.2f}, {br['J'] - raw['J']:+.3f}) |")
    print()
    for (p, tag), (ok, n) in sorted(met.items()):
        print(f"- {p} {tag}: {ok}/{n} cases meet the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
