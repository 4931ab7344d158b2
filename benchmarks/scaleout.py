"""Scale-out on this machine: 2 workers against 1, memory per worker, the schedulers' overhead.

Usage::

    python benchmarks/scaleout.py [--data ../shared/data/real] [--masks raw_mediapipe_selfie] [--repeats 3]

1. ``tempcons batch`` over the clips ``--copies`` times (so that the workers' start-up, about a
   second each, is not most of the run), preset balanced, latency 2, as a whole command, start-up
   included, best of ``--repeats``, alternating: the ``processes`` scheduler with ``-j 1`` (in
   the command's process, with one thread, then with its default two) and ``-j 2``, the Dask
   ``local`` scheduler with ``-j 1`` and ``-j 2``. Each worker process has one thread. While a
   run goes, the resident memory of every process under the command is sampled every 50 ms: the
   largest worker's peak is reported.
2. The schedulers' own cost: ``run_tasks`` over tasks that do nothing, with 1 task (the
   start-up) and with 200 (start-up plus the per-task cost), best of 3.
3. One long clip split across workers: the shared clips end to end, ``--loops`` times, as one clip
   (their frames resized to the first's size; the joins are scene cuts) in .npy files, through
   ``tempcons stabilize``: one process with one thread, one process with its default two, and
   ``--chunk-frames`` half the clip on 2 one-thread worker processes (the default warm-up). Then
   the largest difference between the chunked and the single-pass masks.

Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil

from tempcons.distributed import run_tasks
from tempcons.io import find_sequences, open_frames, open_masks


def nothing(task):
    return task


def command(data: Path, masks: str, scheduler: str, jobs: int, out: Path, env=None) -> tuple[float, float]:
    """Seconds of one ``tempcons batch`` run, and the peak resident MB of its largest worker."""
    peak: dict[int, float] = {}
    args = [sys.executable, "-m", "tempcons.cli", "batch", str(data), "--masks", masks, "-o", str(out),
            "--scheduler", scheduler, "-j", str(jobs), "--quiet", "--overwrite"]
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env)
    done = threading.Event()

    def sample():
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                for p in [root, *root.children(recursive=True)]:
                    peak[p.pid] = max(peak.get(p.pid, 0.0), p.memory_info().rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=sample)
    watcher.start()
    code = proc.wait()
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed with {code}")
    workers = [mb for pid, mb in peak.items() if pid != proc.pid] or [peak.get(proc.pid, 0.0)]
    return seconds, max(workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "real")
    ap.add_argument("--masks", default="raw_mediapipe_selfie")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--copies", type=int, default=3, help="times each clip is in the data set of part 1")
    ap.add_argument("--loops", type=int, default=3, help="times the clips are repeated to make the long clip "
                                                         "(0: no long clip)")
    args = ap.parse_args()
    seqs = [s for s in find_sequences(args.data, masks=args.masks) if s.masks is not None]
    links = tempfile.TemporaryDirectory()
    dataset = Path(links.name)
    for copy in range(args.copies):  # the clips again under other names, as links: more clips, no copying
        for s in seqs:
            (dataset / f"{s.name}-{copy}").mkdir()
            (dataset / f"{s.name}-{copy}" / "frames").symlink_to(s.frames.resolve())
            (dataset / f"{s.name}-{copy}" / args.masks).symlink_to(s.masks.resolve())
    n_frames = args.copies * sum(len(open_masks(s.masks)) for s in seqs)
    print(f"{args.copies * len(seqs)} clips ({args.copies} times each of {len(seqs)}), {n_frames} frames "
          f"({args.data.name}, masks {args.masks}); 2 cores\n")

    one_thread = {**os.environ, "NUMBA_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
    # (scheduler, workers, threads of the one in-process worker: "one" or "two")
    runs = [("processes", 1, "one"), ("processes", 1, "two"), ("processes", 2, "one"), ("local", 1, "one"),
            ("local", 2, "one")]
    best = {r: (np.inf, 0.0) for r in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for run in runs:
                scheduler, jobs, threads = run
                env = one_thread if (scheduler, jobs, threads) == ("processes", 1, "one") else None
                seconds, mb = command(dataset, args.masks, scheduler, jobs, Path(tmp) / f"{scheduler}{jobs}", env)
                best[run] = (min(best[run][0], seconds), max(best[run][1], mb))
    print("| scheduler | workers | threads each | seconds (best) | frames/s | speed-up over 1 one-thread worker "
          "| peak MB of a worker |")
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        scheduler, jobs, threads = run
        seconds, mb = best[run]
        gain = best[scheduler, 1, "one"][0] / seconds
        print(f"| {scheduler} | {jobs} | {threads} | {seconds:.1f} | {n_frames / seconds:.1f} | {gain:.2f}x | {mb:.0f} |")

    print("\n| scheduler (2 workers) | start-up, 1 task (s) | per task after it (ms) |")
    print("|---|---|---|")
    for scheduler in ("processes", "local"):
        one = many = np.inf
        for _ in range(3):  # best of 3: a start-up of 1-3 s moves by more than 200 empty tasks cost
            t0 = time.perf_counter()
            run_tasks(nothing, [0], names=["0"], scheduler=scheduler, jobs=2)
            one = min(one, time.perf_counter() - t0)
            t0 = time.perf_counter()
            run_tasks(nothing, list(range(200)), names=[str(i) for i in range(200)], scheduler=scheduler, jobs=2)
            many = min(many, time.perf_counter() - t0)
        print(f"| {scheduler} | {one:.2f} | {1e3 * (many - one) / 199:.1f} |")

    if args.loops == 0:
        return
    # 3. One long clip from files: the shared clips end to end, --loops times, as .npy (memory-mapped).
    size = open_frames(seqs[0].frames).size
    frames, masks = [], []
    for s in seqs:
        frames += [cv2.resize(f, size[::-1], interpolation=cv2.INTER_AREA) for f in open_frames(s.frames)]
        masks += [cv2.resize(m, size[::-1], interpolation=cv2.INTER_NEAREST) for m in open_masks(s.masks)]
    n = len(frames) * args.loops
    chunk = -(-n // 2)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "frames.npy", np.stack(frames * args.loops))
        np.save(tmp / "masks.npy", np.stack(masks * args.loops))
        del frames, masks
        base = [sys.executable, "-m", "tempcons.cli", "stabilize", str(tmp / "frames.npy"), str(tmp / "masks.npy"),
                "--quiet", "--overwrite"]
        one_thread = {**os.environ, "NUMBA_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
        runs = {"one process, one thread": ([], one_thread),
                "one process, two threads (the default)": ([], None),
                f"2 chunks of {chunk} on 2 one-thread workers": (["--chunk-frames", str(chunk), "-j", "2"], None)}
        best = dict.fromkeys(runs, np.inf)
        for _ in range(args.repeats):
            for k, (label, (extra, env)) in enumerate(runs.items()):
                t0 = time.perf_counter()
                subprocess.run([*base, "-o", str(tmp / f"out{k}"), *extra], check=True, env=env)
                best[label] = min(best[label], time.perf_counter() - t0)
        one, two = (np.stack([cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted((tmp / out).glob("*.png"))])
                    for out in ("out1", "out2"))
    print(f"\nOne clip of {n} frames of {size[1]}x{size[0]} from .npy files (the clips end to end, {args.loops} "
          f"times), `tempcons stabilize` (latency 2, balanced), whole command, best of {args.repeats}:\n")
    print("| run | seconds | frames/s | speed-up over one thread |")
    print("|---|---|---|---|")
    for label, seconds in best.items():
        print(f"| {label} | {seconds:.1f} | {n / seconds:.1f} | {best['one process, one thread'] / seconds:.2f}x |")
    print(f"\nLargest difference between the chunked and the single-pass masks: "
          f"{np.abs(one.astype(int) - two).max()} (8-bit steps), over {one.size} pixels")


if __name__ == "__main__":
    main()
