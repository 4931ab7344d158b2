"""Chunked against single pass on a 600-frame clip: what the seams cost, per kind and latency.

Usage::

    python benchmarks/chunks.py [--frames 600] [--chunk 150] [--height 240 --width 320]

Synthetic clips (``make_clip`` for soft and binary, ``make_multi_clip`` with a cut for labels and
instances), preset ``balanced``, default memory (so the warm-up is :func:`warmup_frames` = 122
frames), chunks of ``--chunk`` frames run one after the other in this process. Per kind and
latency (0, 2, offline):

- soft: the largest per-pixel difference at the seam frames, in the ``--after`` frames from each
  seam, and anywhere;
- binary, labels: the fraction of pixels that differ, the same three ways;
- instances: identity switches at the seams (a single-pass id that is one chunked id on the
  frame before a seam and another on the seam frame) and anywhere (a single-pass id that maps to
  several chunked ids over the clip), and the fraction of pixels whose object differs (each
  chunked id read as the single-pass id it overlaps most: the numbers themselves may differ).

Then the warm-up itself, measured: soft masks, latency 0, the largest difference for shorter
warm-ups. And the work the warm-up adds: chunked time over single-pass time, one process.
Prints markdown tables.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tempcons as tc
from tempcons.chunks import plan_chunks, stabilize_chunked, warmup_frames
from tempcons.settings import settings_for

LATENCIES = {"lat0": 0, "lat2": 2, "offline": None}


def switches(one: np.ndarray, split: np.ndarray, seams: list[int]) -> tuple[int, int]:
    """Identity switches at the seams, and single-pass ids that map to several chunked ids."""

    def named(t: int) -> dict:
        ids = one[t][one[t] > 0]
        return {int(a): int(np.bincount(split[t][one[t] == a]).argmax()) for a in np.unique(ids)}

    at_seams = 0
    for s in seams:
        before, after = named(s - 1), named(s)
        at_seams += sum(before[a] != after[a] for a in before.keys() & after.keys())
    present = one > 0
    pairs = set(zip(one[present].tolist(), split[present].tolist()))
    return at_seams, len(pairs) - len({a for a, _ in pairs})


def as_single_pass_ids(one: np.ndarray, split: np.ndarray) -> np.ndarray:
    """The chunked ids renamed to the single-pass id each overlaps most."""
    lut = np.zeros(int(split.max()) + 1, one.dtype)
    for b in np.unique(split[split > 0]):
        lut[b] = np.bincount(one[split == b]).argmax()
    return lut[split]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--chunk", type=int, default=150)
    ap.add_argument("--after", type=int, default=10, help="frames after each seam counted as 'after'")
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--width", type=int, default=320)
    args = ap.parse_args()
    n = args.frames
    clip = tc.synthetic.make_clip(n_frames=n, height=args.height, width=args.width, seed=0)
    multi = tc.synthetic.make_multi_clip(n_frames=n, height=args.height, width=args.width, cut_at=2 * n // 3, seed=0)
    cases = {"soft": (clip.frames, clip.masks), "binary": (clip.frames, clip.masks > 0.5),
             "labels": (multi.frames, multi.labels), "instances": (multi.frames, multi.instances)}
    seams = list(range(args.chunk, n, args.chunk))
    near = sorted({t for s in seams for t in range(s, min(n, s + args.after))})
    warmup = warmup_frames(settings_for("balanced", {}).filter.memory)
    print(f"{n} frames of {args.height}x{args.width}, chunks of {args.chunk} (seams at {seams}), "
          f"warm-up {warmup} frames, preset balanced\n")
    print("| kind | latency | at seams | first %d after seams | anywhere | id switches at seams | ids split "
          "| time chunked / single |" % args.after)
    print("|---|---|---|---|---|---|---|---|")
    for kind, (frames, masks) in cases.items():
        for label, latency in LATENCIES.items():
            t0 = time.perf_counter()
            one = tc.stabilize(frames, masks, kind=kind, latency=latency)
            t1 = time.perf_counter()
            split = stabilize_chunked(frames, masks, kind=kind, latency=latency, chunk_frames=args.chunk)
            t2 = time.perf_counter()
            if kind == "soft":
                diff = np.abs(split.astype(np.float64) - one)
                cells = [f"{diff[seams].max():.2g}", f"{diff[near].max():.2g}", f"{diff.max():.2g}"]
            else:
                # Instances: ids compared as identities, each chunked id read as the single-pass id
                # it overlaps most (the numbers may differ: an id the single pass gave an object
                # that never reached its output is not given again).
                diff = (as_single_pass_ids(one, split) if kind == "instances" else split) != one
                cells = [f"{diff[seams].mean():.2g}", f"{diff[near].mean():.2g}", f"{diff.mean():.2g}"]
            ids = switches(one, split, seams) if kind == "instances" else ("", "")
            print(f"| {kind} | {label} | {' | '.join(cells)} | {ids[0]} | {ids[1]} | {(t2 - t1) / (t1 - t0):.2f} |",
                  flush=True)
    print("\nSoft masks, latency 0: the largest difference anywhere against the warm-up\n")
    print("| warm-up | bound memory^warm-up | largest difference |")
    print("|---|---|---|")
    one = tc.stabilize(clip.frames, clip.masks, latency=0)
    memory = settings_for("balanced", {}).filter.memory
    for w in (0, 15, 30, 60, 90, warmup):
        split = stabilize_chunked(clip.frames, clip.masks, latency=0, chunk_frames=args.chunk, warmup=w)
        print(f"| {w} | {memory ** w:.2g} | {np.abs(split.astype(np.float64) - one).max():.2g} |", flush=True)
    plan = plan_chunks(n, args.chunk, warmup=warmup, latency=None)
    print(f"\nFrames read per frame output: {sum(c.last - c.first for c in plan) / n:.2f} offline, "
          f"{sum(c.last - c.first for c in plan_chunks(n, args.chunk, warmup=warmup, latency=2)) / n:.2f} "
          f"at latency 2")


if __name__ == "__main__":
    main()
