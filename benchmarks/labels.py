"""Label maps and instance ids: flicker, accuracy, identity, memory and speed.

Usage::

    python benchmarks/labels.py [--seeds 3] [--out docs/labels.md]

Content is ``tempcons.synthetic.make_multi_clip``: three people walking both ways at different
depths (crossing, occluding each other, leaving and re-entering), floor and sign classes, a
hard cut; per-frame instance ids permuted at random, missed detections, class flicker at
boundaries and one-frame wrong-class blobs.

- Labels: label-change rate on pixels whose ground truth does not change ("flicker"), mIoU
  (VSPW rule) and VC_8 (all windows, no length skip) for raw, latency 0, 2 and offline.
- Instances: CLEAR-MOT ID switches for raw ids, the max-overlap baseline (no flow), the tracker
  alone, and stabilize(kind="instances") at each latency; J per instance (each ground-truth
  person against the predicted instance that overlaps it most, per frame); whether any id is
  used on both sides of the cut.
- Working grid: labels and instances voted at frame size (``refine=False``) against on the
  working grid (the default: ``work_side`` px, the decision upsampled guided by the frame), for
  ``realtime`` and ``balanced`` at ``--grid-height`` x ``--grid-width``; with ``--real DIR``,
  also every DAVIS clip's binary masks (each ``raw_*`` input) read as label maps, J and flicker
  against ``gt/``.
- Memory: peak traced allocation while streaming 720p label maps with 2 and with 150 classes.
- Speed: streaming ms per frame at 720p for soft masks, labels and instances, per preset, with
  labels at frame size and on the working grid.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import read_sequence  # noqa: E402

import tempcons as tc  # noqa: E402
from tempcons.metrics import semantic  # noqa: E402
from tempcons.metrics.davis import region_similarity  # noqa: E402
from tempcons.metrics.tracking import id_switches  # noqa: E402

LATENCIES = (0, 2, None)
PRESETS = ("realtime", "balanced")
GRIDS = {"frame size": {"refine": False}, "working grid": {}}


def change_rate(out: np.ndarray, truth: np.ndarray) -> float:
    stable = truth[1:] == truth[:-1]
    return float(((out[1:] != out[:-1]) & stable).sum() / stable.sum())


def instance_j(gt: np.ndarray, pred: np.ndarray) -> float:
    """Mean over (person, frame) of the IoU with the predicted instance overlapping it most."""
    scores = []
    for t in range(len(gt)):
        for g in (i for i in np.unique(gt[t]) if i):
            mask = gt[t] == g
            cand = pred[t][mask]
            cand = cand[cand > 0]
            if cand.size == 0:
                scores.append(0.0)
                continue
            p = pred[t] == np.bincount(cand).argmax()
            scores.append((mask & p).sum() / (mask | p).sum())
    return float(np.mean(scores))


def carried(ids: np.ndarray, cut: int) -> int:
    return len((set(np.unique(ids[:cut])) - {0}) & (set(np.unique(ids[cut:])) - {0}))


def label_rows(seeds: int, size: tuple[int, int]) -> list:
    rows = []
    for seed in range(seeds):
        clip = tc.synthetic.make_multi_clip(n_frames=48, height=size[0], width=size[1], seed=seed, cut_at=30)
        outs = {"raw": clip.labels}
        for lat in LATENCIES:
            outs[f"latency {lat}" if lat is not None else "offline"] = tc.stabilize(
                clip.frames, clip.labels, kind="labels", latency=lat)
        for name, out in outs.items():
            rows.append((seed, name, change_rate(out, clip.classes), semantic.miou(out, clip.classes, 4).value,
                         semantic.video_consistency(out, clip.classes, n=8).value))
    return rows


def instance_rows(seeds: int, size: tuple[int, int]) -> list:
    rows = []
    for seed in range(seeds):
        clip = tc.synthetic.make_multi_clip(n_frames=48, height=size[0], width=size[1], seed=seed, cut_at=30)
        t0 = time.perf_counter()
        tracked = tc.track_instances(clip.frames, clip.instances).ids
        track_ms = (time.perf_counter() - t0) * 1e3 / len(clip.frames)
        outs = {"raw": clip.instances, "max-overlap (no flow)": tc.baselines.max_overlap_ids(clip.instances),
                "tracker only": tracked}
        for lat in LATENCIES:
            outs[f"stabilized, latency {lat}" if lat is not None else "stabilized, offline"] = tc.stabilize(
                clip.frames, clip.instances, kind="instances", latency=lat)
        for name, out in outs.items():
            sw = id_switches(out, clip.ids)
            rows.append((seed, name, sw.count, sw.recall, instance_j(clip.ids, out), carried(out, clip.cut), track_ms))
    return rows


def grid_rows(seeds: int, size: tuple[int, int]) -> list:
    """(preset, latency, grid, label flicker, mIoU, ID switches, J per instance), summed or
    averaged over the seeds."""
    rows = []
    clips = [tc.synthetic.make_multi_clip(n_frames=36, height=size[0], width=size[1], seed=s, cut_at=24)
             for s in range(seeds)]
    for preset in PRESETS:
        for lat in LATENCIES:
            for grid, knobs in GRIDS.items():
                lab = [tc.stabilize(c.frames, c.labels, kind="labels", latency=lat, preset=preset, **knobs)
                       for c in clips]
                inst = [tc.stabilize(c.frames, c.instances, kind="instances", latency=lat, preset=preset, **knobs)
                        for c in clips]
                rows.append((preset, "offline" if lat is None else lat, grid,
                             np.mean([change_rate(o, c.classes) for o, c in zip(lab, clips)]),
                             np.mean([semantic.miou(o, c.classes, 4).value for o, c in zip(lab, clips)]),
                             sum(id_switches(o, c.ids).count for o, c in zip(inst, clips)),
                             np.mean([instance_j(c.ids, o) for o, c in zip(inst, clips)])))
    return rows


def real_rows(root: Path) -> list:
    """(clip, input, preset, latency, grid, J, flicker) for every DAVIS clip's binary masks read
    as label maps {0, 1}; raw first (preset and latency "-")."""
    rows = []
    for d in sorted(p for p in root.iterdir() if (p / "frames").is_dir() and (p / "gt").is_dir()):
        frames = read_sequence(d / "frames", cv2.IMREAD_COLOR)[..., ::-1]
        truth = read_sequence(d / "gt", cv2.IMREAD_GRAYSCALE) > 127
        for inp in sorted(p for p in d.glob("raw_*") if p.is_dir()):
            labels = (read_sequence(inp, cv2.IMREAD_GRAYSCALE) > 127).astype(np.uint8)
            rows.append((d.name, inp.name, "-", "-", "raw", region_similarity(labels > 0, truth).mean(),
                         change_rate(labels, truth)))
            for preset in PRESETS:
                for lat in LATENCIES:
                    for grid, knobs in GRIDS.items():
                        out = tc.stabilize(frames, labels, kind="labels", latency=lat, preset=preset, **knobs)
                        rows.append((d.name, inp.name, preset, "offline" if lat is None else lat, grid,
                                     region_similarity(out > 0, truth).mean(), change_rate(out, truth)))
    return rows


def peak_memory(classes: int, frames: int = 6, size=(720, 1280)) -> float:
    """Peak traced MB while streaming ``frames`` label maps with ``classes`` classes (latency 0)."""
    rng = np.random.default_rng(0)
    frame = (rng.random((*size, 3)) * 255).astype(np.uint8)
    labels = rng.integers(0, classes, (frames, *size)).astype(np.int32)
    stab = tc.Stabilizer(kind="labels", preset="realtime")
    stab.update(frame, labels[0])  # compile and allocate once
    tracemalloc.start()
    for t in range(1, frames):
        stab.update(frame, labels[t])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def speed(clip, kind: str, preset: str, **knobs) -> float:
    """Streaming ms per frame (latency 0), the frames after the first."""
    masks = {"soft": (clip.instances > 0).astype(np.uint8) * 255, "labels": clip.labels,
             "instances": clip.instances}[kind]
    stab = tc.Stabilizer(kind=kind, preset=preset, **knobs)
    stab.update(clip.frames[0], masks[0])
    t0 = time.perf_counter()
    for t in range(1, len(masks)):
        stab.update(clip.frames[t], masks[t])
    return (time.perf_counter() - t0) * 1e3 / (len(masks) - 1)


def table(header: list, rows: list, fmt: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f.format(v) for f, v in zip(fmt, r)) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--height", type=int, default=144)
    ap.add_argument("--width", type=int, default=192)
    ap.add_argument("--grid-height", type=int, default=480)
    ap.add_argument("--grid-width", type=int, default=640)
    ap.add_argument("--real", type=Path, default=None,
                    help="a folder of DAVIS clips (frames/, gt/, raw_*/) whose masks are also read as labels")
    ap.add_argument("--out", type=Path, default=Path("docs/labels.md"))
    args = ap.parse_args()
    size = (args.height, args.width)

    lab = label_rows(args.seeds, size)
    names = list(dict.fromkeys(r[1] for r in lab))
    lab_mean = [(n, *np.mean([r[2:] for r in lab if r[1] == n], axis=0)) for n in names]
    raw_flicker = lab_mean[0][1]
    lab_table = table(["labels", "flicker", "x raw", "mIoU", "VC8"],
                      [(n, f, f / raw_flicker, m, v) for n, f, m, v in lab_mean],
                      ["{}", "{:.4f}", "{:.2f}", "{:.4f}", "{:.4f}"])

    inst = instance_rows(args.seeds, size)
    names = list(dict.fromkeys(r[1] for r in inst))
    inst_table = table(["instances", "ID switches (sum)", "recall", "J per instance", "ids across the cut"],
                       [(n, sum(r[2] for r in inst if r[1] == n), np.mean([r[3] for r in inst if r[1] == n]),
                         np.mean([r[4] for r in inst if r[1] == n]), sum(r[5] for r in inst if r[1] == n))
                        for n in names], ["{}", "{}", "{:.3f}", "{:.4f}", "{}"])
    per_seed = table(["seed", "raw", "max-overlap", "tracker", "stabilized offline"],
                     [(s, *[next(r[2] for r in inst if r[0] == s and r[1] == n)
                            for n in ("raw", "max-overlap (no flow)", "tracker only", "stabilized, offline")])
                      for s in range(args.seeds)], ["{}", "{}", "{}", "{}", "{}"])

    grid = grid_rows(args.seeds, (args.grid_height, args.grid_width))
    grid_table = table(["preset", "latency", "vote on", "label flicker", "mIoU", "ID switches (sum)", "J per instance"],
                       grid, ["{}", "{}", "{}", "{:.4f}", "{:.4f}", "{}", "{:.4f}"])
    real_text = ""
    if args.real is not None:
        real = real_rows(args.real)
        keyed = {r[:5]: r[5:] for r in real}
        moved = [(*k[:4], *keyed[(*k[:4], "frame size")], *v, v[0] - keyed[(*k[:4], "frame size")][0])
                 for k, v in keyed.items() if k[4] == "working grid"]
        real_table = table(["clip", "input", "preset", "latency", "J frame size", "flicker frame size",
                            "J working grid", "flicker working grid", "J moved"],
                           moved, ["{}", "{}", "{}", "{}", "{:.4f}", "{:.5f}", "{:.4f}", "{:.5f}", "{:+.4f}"])
        raw_table = table(["clip", "input", "J", "flicker"], [(r[0], r[1], r[5], r[6]) for r in real if r[4] == "raw"],
                          ["{}", "{}", "{:.4f}", "{:.5f}"])
        dj = [m[-1] for m in moved]
        dflicker = [m[7] - m[5] for m in moved]
        real_text = f"""
Real clips (`--real`): every DAVIS clip's binary masks read as label maps {{0, 1}},
J and flicker (change rate on pixels whose ground truth does not change) against `gt/`, voted at
frame size and on the working grid. Over the {len(moved)} cases J moved by {min(dj):+.4f} ... {max(dj):+.4f}
(mean {np.mean(dj):+.4f}) and flicker by {min(dflicker):+.5f} ... {max(dflicker):+.5f}.

{real_table}

The raw inputs:

{raw_table}
"""

    real_flag = " --real DAVIS_CLIPS" if args.real is not None else ""  # never this machine's path
    mem = {c: peak_memory(c) for c in (2, 150)}
    fast = tc.synthetic.make_multi_clip(n_frames=20, height=720, width=1280, seed=1)
    ms = {(preset, kind, grid): speed(fast, kind, preset, **(knobs if kind != "soft" else {}))
          for preset in PRESETS for kind in ("soft", "labels", "instances") for grid, knobs in GRIDS.items()
          if kind != "soft" or grid == "working grid"}
    speed_table = table(["preset", "soft masks", "labels, frame size", "labels, working grid",
                         "instances, frame size", "instances, working grid"],
                        [(p, ms[p, "soft", "working grid"],
                          *[f"{ms[p, k, g]:.1f} ({ms[p, k, g] / ms[p, 'soft', 'working grid']:.2f}x)"
                            for k in ("labels", "instances") for g in GRIDS]) for p in PRESETS],
                        ["{}", "{:.1f}", "{}", "{}", "{}", "{}"])
    text = f"""# Label maps and instance ids: measured

Generated by `python benchmarks/labels.py --seeds {args.seeds} --height {args.height} --width {args.width}{real_flag}`
on synthetic multi-person clips (48 frames, cut at frame 30; see the script's docstring).
Defaults throughout (preset `balanced`).

## Labels (mean over {args.seeds} clips)

"flicker" = label-change rate on pixels whose ground-truth class does not change.

{lab_table}

## Instances (sum / mean over {args.seeds} clips)

{inst_table}

ID switches per clip:

{per_seed}

Tracking alone costs {np.mean([r[6] for r in inst]):.1f} ms per frame at {args.height}x{args.width}.

## Working grid

Label maps and instance ids vote on the working grid (`work_side` px on the short side: 240 for
`realtime`, 360 for `balanced`) and their decision comes to frame size by joint bilateral
upsampling guided by the frame, the input's own label there weighing 0.3 more; `refine=False`
votes at frame size. Synthetic clips at {args.grid_height}x{args.grid_width} (36 frames, cut at 24; mean or sum over
{args.seeds} seeds):

{grid_table}
{real_text}
## Memory

Peak traced allocation while streaming 720p label maps (latency 0, after the first frame):
{mem[2]:.1f} MB with 2 classes, {mem[150]:.1f} MB with 150 classes (the vote keeps two labels per pixel,
whatever the class count).

## Speed (streaming, latency 0, 720p, 2 threads, ms per frame; ratio to soft masks of the same people)

{speed_table}
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
