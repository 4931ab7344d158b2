"""`tempcons run` with MediaPipe at 480p: what each stage costs per frame, and the whole command.

Usage::

    python benchmarks/run_speed.py [--clip ../shared/data/real/parkour/frames] [--repeats 2]

Needs MediaPipe 0.10.14 (README). Each stage is timed alone over the clip, in this process, best
of ``--repeats``: reading the frames, MediaPipe's general model, the stabilizer (`realtime` and
`balanced`, latency 2, on MediaPipe's float masks), and the outputs of ``--output-type alpha
composite --raw`` (the composite and three PNGs per frame). Then the command itself,
``tempcons run CLIP --segmenter mediapipe --output-type alpha composite --raw``, in a subprocess,
start-up included, per preset. Prints a markdown table (ms per frame).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tempcons as tc
from tempcons.io import MaskWriter, open_frames, stored_values, write_image
from tempcons.segmenters import load_segmenter

PRESETS = ("realtime", "balanced")


def per_frame(fn, n: int, repeats: int) -> float:
    """Best ms per frame of ``fn()`` over ``repeats`` runs."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
                    / "parkour" / "frames")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    frames = np.stack(list(open_frames(args.clip)))
    n = len(frames)
    segment = load_segmenter("mediapipe")
    masks = [segment(f) for f in frames]  # also warms MediaPipe up
    rows = {"read frames": per_frame(lambda: list(open_frames(args.clip)), n, args.repeats),
            "MediaPipe (general)": per_frame(lambda: [segment(f) for f in frames], n, args.repeats)}
    stable = {}
    for preset in PRESETS:
        def run(preset=preset):
            stab = tc.Stabilizer(preset=preset, latency=2)
            out = [o for f, m in zip(frames, masks) if (o := stab.update(f, m)) is not None]
            stable[preset] = out + stab.flush()
        run()  # compiles the kernels outside the timing
        rows[f"stabilize, {preset}"] = per_frame(run, n, args.repeats)
    with tempfile.TemporaryDirectory() as work:
        def outputs():
            folder = Path(tempfile.mkdtemp(dir=work))
            alpha_w, raw_w = MaskWriter(folder / "alpha"), MaskWriter(folder / "raw")
            (folder / "composite").mkdir()
            for t, (frame, mask, out) in enumerate(zip(frames, masks, stable["balanced"])):
                alpha = stored_values(out)
                alpha_w.write(f"{t:05d}", alpha)
                raw_w.write(f"{t:05d}", mask)
                write_image(folder / "composite" / f"{t:05d}.png", tc.composite(frame, alpha, (0, 177, 64)))

        rows["composite + 3 PNGs"] = per_frame(outputs, n, args.repeats)
        for preset in PRESETS:
            def command(preset=preset):
                out = Path(tempfile.mkdtemp(dir=work)) / "out"
                subprocess.run([sys.executable, "-m", "tempcons.cli", "run", str(args.clip), "--segmenter", "mediapipe",
                                "--output-type", "alpha", "composite", "--raw", "--preset", preset, "-o", str(out),
                                "--quiet"], check=True, capture_output=True)
            rows[f"the command, {preset} (start-up included)"] = per_frame(command, n, args.repeats)
    h, w = frames.shape[1:3]
    print(f"`tempcons run` stages on {args.clip.name if args.clip.name != 'frames' else args.clip.parent.name} "
          f"({n} frames, {w}x{h}), best of {args.repeats}\n")
    print("| stage | ms per frame | fps |")
    print("|---|---:|---:|")
    for name, ms in rows.items():
        print(f"| {name} | {ms:.1f} | {1e3 / ms:.1f} |")


if __name__ == "__main__":
    main()
