"""Per-frame cost of the streaming presets, per stage and end to end, against an OpenCV floor.

Usage::

    python benchmarks/speed.py [--threads 2 1] [--frames 40] [--out docs/speed.md]

Content is synthetic (``tempcons.synthetic``) at 480p, 720p and 1080p. The floor, measured in
the same run, is the least any flow-based stabilizer does per frame: DIS ultrafast flow at half
resolution in both directions, one ``cv2.remap`` of the float32 mask at full resolution, and one
fast guided filter with a grey guide subsampled by 4; and the same floor with its two flows
computed at once on two threads, as tempcons computes them. Also reported: masks at a segmenter's own
resolution, one thread against two, look-ahead (latency 2, 8, offline) against latency 0,
instance ids against soft masks of the same people, import time and the cold first call (JIT
compilation with an empty Numba cache) in fresh processes.

Every ratio is taken pair by pair: streams compared frame by frame are updated in turn on each
frame (``interleaved``), other things compared are timed in turn, several times (``paired``),
and the median of the ratios is reported (this machine's speed drifts by 20 % and more within a
minute, which moves a ratio of two separate runs as much as any change being measured).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numba
import numpy as np

import tempcons as tc
from tempcons.engine import Engine

SIZES = {"480p": (480, 854), "720p": (720, 1280), "1080p": (1080, 1920)}
STAGES = ("prepare", "flow", "fb check, resize", "temporal", "refine", "output")


def median_ms(samples):
    return 1000 * statistics.median(samples)


def floor_ms(frames, masks, at_once=False):
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    second = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    h, w = masks.shape[1:]
    times = []
    prev = None
    with ThreadPoolExecutor(1) as thread:
        for f, m in zip(frames, masks):
            t0 = time.perf_counter()
            g = cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
            if prev is not None:
                if at_once:
                    other = thread.submit(second.calc, prev, g, None)
                    fl = dis.calc(g, prev, None)
                    other.result()
                else:
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


def interleaved(frames, preset, *streams, repeats=3):
    """Streaming ms per frame of several ``(masks, latency, kind)`` streams, each frame given to
    every stream in turn: each stream's median, and the median ratio of each later stream to the
    first, frame by frame (the first two frames of each pass left out)."""
    times = [[] for _ in streams]
    for _ in range(repeats):
        stabs = [tc.Stabilizer(preset=preset, latency=lat, kind=kind) for _, lat, kind in streams]
        for t, f in enumerate(frames):
            for stab, (masks, _, _), log in zip(stabs, streams, times):
                t0 = time.perf_counter()
                stab.update(f, masks[t])
                if t >= 2:
                    log.append(time.perf_counter() - t0)
    return ([median_ms(log) for log in times],
            [statistics.median(b / a for a, b in zip(times[0], log)) for log in times[1:]])


def paired(*measures, repeats=3):
    """Each measure's median over ``repeats`` rounds, the measures taken in turn within a round,
    and the median ratio of each later measure to the first, round by round."""
    runs = [[m() for m in measures] for _ in range(repeats)]
    medians = [statistics.median(r[i] for r in runs) for i in range(len(measures))]
    ratios = [statistics.median(r[i] / r[0] for r in runs) for i in range(1, len(measures))]
    return medians, ratios


def stage_ms(frames, masks, preset):
    """Median ms per stage of the causal walk (the calls Engine.push and Engine._emit make)."""
    engine = Engine(None, tc.settings.PRESETS[preset], latency=0, flow=None)
    engine.push(frames[0], masks[0])  # reads the format and makes the kind
    kind = engine.strategy
    stages = {k: [] for k in STAGES}
    prev = state = None
    for f, m in zip(frames, masks):
        t0 = time.perf_counter()
        view = engine._view(f)
        evidence = kind.encode(view, m)
        t1 = time.perf_counter()
        if prev is None:
            state, prev = kind.step(evidence, view, None, None, None), view
            continue
        pair = engine.flows.pair(prev.frame, prev.small, f, view.small, None, engine.grid)
        t2 = time.perf_counter()
        link = pair.into_b
        t3 = time.perf_counter()
        state = kind.step(evidence, view, state, link, None)
        t4 = time.perf_counter()
        value = engine._refine(view, kind.value(state)) if engine._refined() else kind.value(state)
        t5 = time.perf_counter()
        kind.decide(evidence, value, None, link)
        t6 = time.perf_counter()
        for k, a, b in zip(stages, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6)):
            stages[k].append(b - a)
        prev = view
    return {k: median_ms(v) for k, v in stages.items()}


def end_to_end_ms(frames, masks, preset, latency=0, kind=None):
    stab = tc.Stabilizer(preset=preset, latency=latency, kind=kind)
    times = []
    for f, m in zip(frames, masks):
        t0 = time.perf_counter()
        stab.update(f, m)
        times.append(time.perf_counter() - t0)
    return median_ms(times[2:])


def clip_ms(frames, masks, preset, latency):
    """Whole-clip time per frame, everything included (offline has no per-frame time to take a
    median of, so its ratio is to a streaming pass timed the same way)."""
    t0 = time.perf_counter()
    tc.stabilize(frames, masks, preset=preset, latency=latency)
    return 1000 * (time.perf_counter() - t0) / len(frames)


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


def shrink(masks, height, width):
    """Masks at a segmenter's own resolution (what MediaPipe's landscape model returns)."""
    return np.stack([cv2.resize(m, (width, height), interpolation=cv2.INTER_AREA) for m in masks])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1],
                    help="thread counts to measure end to end (the first also for the stage table)")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--out", type=Path, default=None, help="also write the tables to this markdown file")
    args = ap.parse_args(argv)
    most = min(max(args.threads), numba.config.NUMBA_NUM_THREADS)
    lines = [f"OpenCV {cv2.__version__}, numba {numba.__version__}, numpy {np.__version__}; "
             f"{args.frames} frames per clip, median ms per frame (fps)", ""]

    def say(line=""):
        lines.append(line)
        print(line, flush=True)

    warm = tc.synthetic.make_clip(n_frames=4, height=96, width=128)
    tc.stabilize(warm.frames, warm.masks, preset="realtime", latency=1)  # compile outside the timings
    clips = {}
    for res, (h, w) in SIZES.items():
        clip = tc.synthetic.make_clip(n_frames=args.frames, height=h, width=w, seed=1)
        clips[res] = clip.frames, (clip.masks * 255).astype(np.uint8)

    tc.set_threads(most)
    say(f"Per stage, streaming (latency 0), uint8 soft masks at frame size, {most} threads:")
    say()
    say("| res | preset | " + " | ".join(STAGES) + " | stages sum | end to end (fps) | floor | ratio to floor "
        "| floor, flows at once | ratio to it |")
    say("|---|---|" + "---|" * (len(STAGES) + 6))
    for res, (frames, masks) in clips.items():
        unit = masks.astype(np.float32) / 255
        for preset in ("realtime", "balanced", "quality"):
            st = stage_ms(frames, masks, preset)
            (e2e, floor, at_once), (to_floor, to_at_once) = paired(
                lambda: end_to_end_ms(frames, masks, preset), lambda: floor_ms(frames, unit),
                lambda: floor_ms(frames, unit, at_once=True))
            say(f"| {res} | {preset} | " + " | ".join(f"{v:.2f}" for v in st.values())
                + f" | {sum(st.values()):.2f} | {e2e:.2f} ({1000 / e2e:.0f}) | {floor:.2f} | {1 / to_floor:.2f} "
                f"| {at_once:.2f} | {1 / to_at_once:.2f} |")

    say()
    say("End to end by thread count, streaming (latency 0), uint8 soft masks; segmenter-resolution "
        "masks are MediaPipe landscape's 256x144:")
    say()
    say("| res | masks | preset | " + " | ".join(f"{t} thread{'s' * (t > 1)}" for t in args.threads) + " |")
    say("|---|---|---|" + "---|" * len(args.threads))
    for res, (frames, masks) in clips.items():
        for label, ms in (("frame size", masks), ("256x144", shrink(masks, 144, 256))):
            for preset in ("realtime", "balanced"):
                cells = []
                for t in args.threads:
                    tc.set_threads(min(t, numba.config.NUMBA_NUM_THREADS))
                    e2e = end_to_end_ms(frames, ms, preset)
                    cells.append(f"{e2e:.2f} ({1000 / e2e:.0f})")
                say(f"| {res} | {label} | {preset} | " + " | ".join(cells) + " |")
    tc.set_threads(most)

    say()
    say(f"Look-ahead and kinds at 720p, {most} threads (ms per frame; ratio to latency 0, offline to "
        "a whole streaming pass timed the same way, instances to soft masks of the same people):")
    say()
    frames, masks = clips["720p"]
    multi = tc.synthetic.make_multi_clip(n_frames=args.frames, height=720, width=1280, seed=1)
    say("| preset | latency 0 | latency 2 | latency 8 | offline | soft | instances |")
    say("|---|---|---|---|---|---|---|")
    soft_masks = (multi.instances > 0).astype(np.uint8) * 255
    for preset in ("realtime", "balanced"):
        (base, lat2, lat8), (r2, r8) = interleaved(frames, preset, (masks, 0, None), (masks, 2, None),
                                                   (masks, 8, None))
        (one_pass, off), (r_off,) = paired(lambda: clip_ms(frames, masks, preset, 0),
                                           lambda: clip_ms(frames, masks, preset, None))
        (soft, inst), (r_inst,) = interleaved(multi.frames, preset, (soft_masks, 0, "soft"),
                                              (multi.instances, 0, "instances"))
        say(f"| {preset} | {base:.2f} | {lat2:.2f} ({r2:.2f}x) | {lat8:.2f} ({r8:.2f}x) "
            f"| {off:.2f} ({r_off:.2f}x a {one_pass:.2f} pass) | {soft:.2f} | {inst:.2f} ({r_inst:.2f}x) |")

    imp, cold, warm_first = cold_start()
    say()
    say(f"import tempcons: {imp:.2f} s; first clip with an empty Numba cache (JIT): {cold:.2f} s; "
        f"same with the cache filled: {warm_first:.2f} s")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
