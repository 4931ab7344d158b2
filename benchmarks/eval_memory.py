"""Peak memory of ``tempcons eval`` on 720p clips of 60 and 600 frames: it must not grow with the clip.

Usage::

    python benchmarks/eval_memory.py [--frames 60 600] [--how cli library] [--workdir /tmp/tempcons-eval-mem]

Writes one synthetic 1280x720 clip of the longest length, RGB frame PNGs and 8-bit 0/255 mask
PNGs (a textured background panning behind a moving ellipse, and a false blob that blinks in
one frame out of five, as a segmenter's); the shorter clips link to its first frames. Every case
runs in a fresh subprocess, whose peak resident memory comes from ``os.wait4``:

- ``cli``: the real command, ``python -m tempcons.cli eval MASKS --frames FRAMES --quiet``
  (default metrics: warping error, boundary jitter, flip rate, area jitter, temporal change);
- ``library``: ``evaluate(open_masks(MASKS), frames=open_frames(FRAMES))``, the sources handed to
  :func:`tempcons.metrics.evaluate` as they are, which is what the command does once it stops
  stacking them.

Prints a markdown table: peak per case and length, and the ratio of the longest to the shortest.
For scale, a 600-frame clip decoded whole is 1.6 GB of frames and 0.55 GB of masks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

import tempcons as tc

LIBRARY = ("from tempcons.io import open_frames, open_masks; from tempcons.metrics import evaluate; "
           "evaluate(open_masks({masks!r}), frames=open_frames({frames!r}))")


def write_clip(folder: Path, n: int, size=(720, 1280)) -> None:
    h, w = size
    rng = np.random.default_rng(0)
    background = (tc.synthetic.texture(h + 160, w + 320, rng) * 255).astype(np.uint8)
    for sub in ("frames", "masks"):
        (folder / sub).mkdir(parents=True)
    for t in range(n):
        ox, oy = (2 * t) % 320, (t // 2) % 160
        frame = background[oy:oy + h, ox:ox + w].copy()
        mask = np.zeros((h, w), np.uint8)
        centre = (int(w / 2 + w / 3 * np.sin(t / 40)), int(h / 2 + h / 5 * np.cos(t / 55)))
        cv2.ellipse(mask, centre, (110, 200), 0, 0, 360, 255, -1)
        frame[mask > 0] = frame[mask > 0] // 2 + 100
        if rng.random() < 0.2:
            cv2.circle(mask, (int(rng.integers(0, w)), int(rng.integers(0, h))), 40, 255, -1)
        cv2.imwrite(str(folder / "frames" / f"{t:05d}.png"), frame[..., ::-1])
        cv2.imwrite(str(folder / "masks" / f"{t:05d}.png"), mask)


def first_frames(source: Path, folder: Path, n: int) -> None:
    """``folder`` with links to the first ``n`` frames and masks of the clip in ``source``."""
    for sub in ("frames", "masks"):
        (folder / sub).mkdir(parents=True)
        for path in sorted((source / sub).iterdir())[:n]:
            (folder / sub / path.name).symlink_to(path)


def peak_rss(command: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time (s) of a command run in its own process."""
    t0 = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, nargs="+", default=[60, 600])
    ap.add_argument("--how", nargs="+", choices=("cli", "library"), default=["cli", "library"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tempcons-eval-mem"))
    args = ap.parse_args()
    lengths = sorted(args.frames)
    shutil.rmtree(args.workdir, ignore_errors=True)
    longest = args.workdir / str(lengths[-1])
    t0 = time.perf_counter()
    write_clip(longest, lengths[-1])
    print(f"wrote {lengths[-1]} frames of 1280x720 in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    for n in lengths[:-1]:
        first_frames(longest, args.workdir / str(n), n)
    print("| run | " + " | ".join(f"{n} frames" for n in lengths) + f" | {lengths[-1]} / {lengths[0]} |")
    print("|---|" + "---|" * (len(lengths) + 1))
    for how in args.how:
        peaks = []
        for n in lengths:
            masks, frames = str(args.workdir / str(n) / "masks"), str(args.workdir / str(n) / "frames")
            command = ([sys.executable, "-m", "tempcons.cli", "eval", masks, "--frames", frames, "--quiet"]
                       if how == "cli" else [sys.executable, "-c", LIBRARY.format(masks=masks, frames=frames)])
            peak, elapsed = peak_rss(command)
            print(f"{how}, {n} frames: peak {peak:.0f} MB in {elapsed:.0f} s", file=sys.stderr)
            peaks.append(peak)
        print(f"| {how} | " + " | ".join(f"{p:.0f} MB" for p in peaks) + f" | {peaks[-1] / peaks[0]:.2f} |")
    shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
