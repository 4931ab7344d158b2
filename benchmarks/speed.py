"""Per-frame cost of the streaming presets, per stage and end to end, against an OpenCV floor.

Usage::

    python benchmarks/speed.py [--threads 2] [--frames 40] [--out docs/speed.md]

Content is synthetic (``tempcons.synthetic``) at 480p, 720p and 1080p. The floor, measured in
the same run, is the least any flow-based stabilizer does per frame: DIS ultrafast flow at half
resolution in both directions, one ``cv2.remap`` of the float32 mask at full resolution, and one
fast guided filter with a grey guide subsampled by 4. Also reported: import time and the cold
first call (JIT compilation with an empty Numba cache) in fresh processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numba
import numpy as np

import tempcons as tc
from tempcons.engine import Engine

SIZES = {"480p": (480, 854), "720p": (720, 1280), "1080p": (1080, 1920)}


def median_ms(samples):
    return 1000 * statistics.median(samples)


def floor_ms(frames, masks):
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    h, w = masks.shape[1:]
    times = []
    prev = None
    for f, m in zip(frames, masks):
        t0 = time.perf_counter()
        g = cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        if prev is not None:
            fl = dis.calc(g, prev, None)
            dis.calc(prev, g, None)
            full = cv2.resize(fl, (w, h)) * 2.0
            cv2.remap(m, full, None, cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP)
            gray = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
            cv2.ximgproc.guidedFilter(gray, m, 2, 1e-3 * 255 * 255, dDepth=cv2.CV_32F, scale=0.25)
            times.append(time.perf_counter() - t0)
        prev = g
    # The upsampling of the flow to full resolution is part of what remap needs, so it is counted.
    return median_ms(times)


def stage_ms(frames, masks, preset):
    """Median ms per stage of the causal walk (the calls Engine.push and Engine._emit make)."""
    engine = Engine(None, tc.settings.PRESETS[preset], latency=0, flow=None)
    engine.push(frames[0], masks[0])  # reads the format and makes the kind
    kind = engine.strategy
    stages = {k: [] for k in ("prepare", "flow", "fb check, upsample", "temporal", "refine", "output")}
    prev = state = None
    for f, m in zip(frames, masks):
        t0 = time.perf_counter()
        view = engine._view(f)
        evidence = kind.encode(view, m)
        t1 = time.perf_counter()
        if prev is None:
            state, prev = kind.step(evidence, view, None, None, None), view
            continue
        pair = engine.flows.pair(prev.frame, prev.small, f, view.small)
        t2 = time.perf_counter()
        link = pair.into_b
        t3 = time.perf_counter()
        state = kind.step(evidence, view, state, link, None)
        t4 = time.perf_counter()
        value = engine._refine(view, kind.value(state))
        t5 = time.perf_counter()
        kind.decide(evidence, value, None, link)
        t6 = time.perf_counter()
        for k, a, b in zip(stages, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6)):
            stages[k].append(b - a)
        prev = view
    return {k: median_ms(v) for k, v in stages.items()}


def end_to_end_ms(frames, masks, preset, latency=0):
    stab = tc.Stabilizer(preset=preset, latency=latency)
    times = []
    for f, m in zip(frames, masks):
        t0 = time.perf_counter()
        stab.update(f, m)
        times.append(time.perf_counter() - t0)
    return median_ms(times[2:])


def cold_start():
    code = ("import time; t=time.perf_counter(); import tempcons as tc; t1=time.perf_counter();"
            "c=tc.synthetic.make_clip(n_frames=3, height=96, width=128);"
            "s=tc.Stabilizer(preset='realtime', latency=1); t2=time.perf_counter();"
            "[s.update(f, m) for f, m in zip(c.frames, c.masks)]; s.flush(); t3=time.perf_counter();"
            "print(t1-t, t3-t2)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    imp, first = map(float, cold.stdout.split())
    imp_w, first_w = map(float, warm.stdout.split())
    return imp_w, first, first_w


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--out", type=Path, default=None, help="also write the tables to this markdown file")
    args = ap.parse_args(argv)
    tc.set_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    lines = [f"threads: {args.threads}; OpenCV {cv2.__version__}, numba {numba.__version__}, numpy {np.__version__}", ""]
    warm = tc.synthetic.make_clip(n_frames=4, height=96, width=128)
    tc.stabilize(warm.frames, warm.masks, preset="realtime", latency=1)  # compile outside the timings
    lines += ["| res | preset | prepare | flow | fb check, upsample | temporal | refine | output | stages sum | end to end (fps) | floor | ratio to floor |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for res, (h, w) in SIZES.items():
        clip = tc.synthetic.make_clip(n_frames=args.frames, height=h, width=w, seed=1)
        masks = (clip.masks * 255).astype(np.uint8)
        floor = floor_ms(clip.frames, clip.masks)
        for preset in ("realtime", "balanced", "quality"):
            st = stage_ms(clip.frames, masks, preset)
            e2e = end_to_end_ms(clip.frames, masks, preset)
            lines.append(f"| {res} | {preset} | " + " | ".join(f"{v:.2f}" for v in st.values())
                         + f" | {sum(st.values()):.2f} | {e2e:.2f} ({1000 / e2e:.0f}) | {floor:.2f} | {e2e / floor:.2f} |")
            print(lines[-1], flush=True)
    lines.append("")
    lines.append("Latency and offline cost, balanced, 720p (ms per frame, end to end):")
    clip = tc.synthetic.make_clip(n_frames=args.frames, height=720, width=1280, seed=2)
    for lat in (0, 2, 8):
        lines.append(f"- latency {lat}: {end_to_end_ms(clip.frames, clip.masks, 'balanced', lat):.2f}")
    t0 = time.perf_counter()
    tc.stabilize(clip.frames, clip.masks, preset="balanced", latency=None)
    lines.append(f"- offline: {1000 * (time.perf_counter() - t0) / len(clip.frames):.2f}")
    imp, cold, warm_first = cold_start()
    lines.append("")
    lines.append(f"import tempcons: {imp:.2f} s; first clip with an empty Numba cache (JIT): {cold:.2f} s; "
                 f"same with the cache filled: {warm_first:.2f} s")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
