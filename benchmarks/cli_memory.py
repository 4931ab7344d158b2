"""Peak memory of ``tempcons stabilize`` on a long 1080p clip: it must not load the clip whole.

Usage::

    python benchmarks/cli_memory.py [--frames 3000] [--workdir /tmp/tempcons-mem]

Writes a synthetic 1080p video (MJPG) and a folder of 8-bit mask PNGs one frame at a time,
then runs the real command in a subprocess (``--preset realtime --latency 2``) and reads its
peak resident memory from ``resource.getrusage(RUSAGE_CHILDREN)``. For scale: the clip decoded
whole would take frames x 1920 x 1080 x 3 bytes (18.7 GB at 3000 frames).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np


def write_clip(folder: Path, n: int, size=(1080, 1920)) -> None:
    h, w = size
    rng = np.random.default_rng(0)
    bg = cv2.resize(rng.integers(0, 255, (h // 8 + 40, w // 8 + 40, 3), np.uint8), (w + 320, h + 320))
    video = cv2.VideoWriter(str(folder / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h))
    (folder / "masks").mkdir()
    for t in range(n):
        ox, oy = (t * 2) % 320, (t // 2) % 320
        frame = bg[oy:oy + h, ox:ox + w].copy()
        cx, cy = int(w / 2 + w / 3 * np.sin(t / 40)), int(h / 2 + h / 5 * np.cos(t / 55))
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (cx, cy), (160, 300), 0, 0, 360, 255, -1)
        if rng.random() < 0.2:  # segmenter flicker: a blinking false blob
            cv2.circle(mask, (int(rng.integers(0, w)), int(rng.integers(0, h))), 60, 255, -1)
        frame[mask > 0] = frame[mask > 0] // 2 + 100
        video.write(frame)
        cv2.imwrite(str(folder / "masks" / f"{t:05d}.png"), mask)
    video.release()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tempcons-mem"))
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    t0 = time.perf_counter()
    write_clip(args.workdir, args.frames)
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "tempcons.cli", "stabilize", str(args.workdir / "clip.avi"),
                          str(args.workdir / "masks"), "-o", str(args.workdir / "out"), "--preset", "realtime",
                          "--latency", "2", "--quiet"], capture_output=True, text=True)
    ran = time.perf_counter() - t0
    if res.returncode:
        sys.exit(f"tempcons stabilize failed: {res.stderr}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    written = len(list((args.workdir / "out").glob("*.png")))
    print(f"{args.frames} frames of 1920x1080 (clip written in {made:.0f} s); tempcons stabilize took {ran:.0f} s "
          f"({args.frames / ran:.1f} fps incl. decoding and PNG writing), wrote {written} masks; "
          f"peak resident memory {peak_mb:.0f} MB (the decoded clip would be "
          f"{args.frames * 1920 * 1080 * 3 / 2 ** 30:.1f} GB)")
    shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
