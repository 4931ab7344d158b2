"""DAVIS J&F over the shared clips: tempcons against davis2017-evaluation in the same run, and -j 2 against -j 1.

Usage::

    git clone https://github.com/davisvideochallenge/davis2017-evaluation /tmp/davis2017-evaluation
    python benchmarks/davis_eval.py [--reference /tmp/davis2017-evaluation] [--repeats 3]

Builds a DAVIS-2017 root from ``../shared/data/real`` (five sequences, 376 frames at 854x480;
``tests/shared.py:davis2017_layout``) with four methods, then times, best of ``--repeats``:

- on one core (the process pinned to CPU 0): ``DAVISEvaluation(...).evaluate(results)``, the
  reference's own loop, against :func:`tempcons.metrics.davis_benchmark.evaluate_davis` with
  ``jobs=1``, per task and method, alternating which runs first; and checks that both give the
  same per-object J and F means;
- on every core: the command, ``tempcons eval ROOT --task ... --results M1 M2 ... -j 2`` against
  ``-j 1``, all of a task's methods in one run (median; start-up included).

Without ``--reference`` only the second table is made. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from shared import REAL, davis2017_layout  # noqa: E402

from tempcons.metrics.davis_benchmark import evaluate_davis  # noqa: E402

TASKS = {"semi-supervised": ("raw_key", "raw_osvos_d17", "raw_mediapipe_selfie"),
         "unsupervised": ("raw_key", "raw_osvos_d17", "raw_mediapipe_selfie", "two_objects")}


def race(a, b, repeats: int, statistic=min) -> tuple[float, float, object, object]:
    """Times of ``a`` and ``b`` (the best, or ``statistic`` of them) and their outputs, run in turn,
    which goes first alternating."""
    times, outs = ([], []), [None, None]
    for i in range(repeats):
        for k in ((0, 1) if i % 2 == 0 else (1, 0)):
            t0 = time.perf_counter()
            outs[k] = (a, b)[k]()
            times[k].append(time.perf_counter() - t0)
    return statistic(times[0]), statistic(times[1]), outs[0], outs[1]


def reference_means(metrics: dict) -> list:
    return [round(v, 12) for pair in zip(metrics["J"]["M"], metrics["F"]["M"]) for v in pair]


def ours_means(result) -> list:
    return [round(v, 12) for _, j, f in result.per_sequence() for v in (j, f)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", type=Path, help="a checkout of davis2017-evaluation")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not REAL.is_dir():
        sys.exit(f"shared clips not found at {REAL}")
    every_core = os.sched_getaffinity(0)
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "davis"
        methods = davis2017_layout(root)
        frames = sum(1 for _ in (root / "Annotations" / "480p").glob("*/*.png"))
        if args.reference is not None:
            sys.path.insert(0, str(args.reference))
            from davis2017.evaluation import DAVISEvaluation

            os.sched_setaffinity(0, {min(every_core)})
            print("One core: tempcons vs davis2017-evaluation (best of %d, seconds)\n" % args.repeats)
            print("| task | method | davis2017-evaluation | tempcons | speed-up | same J, F means |")
            print("|---|---|---:|---:|---:|---|")
            total = [0.0, 0.0]
            for task, names in TASKS.items():
                for name in names:
                    t_ref, t_ours, r, o = race(
                        lambda: DAVISEvaluation(str(root), task, "val").evaluate(str(methods[name])),
                        lambda: evaluate_davis(root, methods[name], task=task), args.repeats)
                    total[0] += t_ref
                    total[1] += t_ours
                    same = np.allclose(reference_means(r), ours_means(o), atol=1e-12, rtol=0)
                    print(f"| {task} | {name} | {t_ref:.2f} | {t_ours:.2f} | {t_ref / t_ours:.2f}x | {same} |")
            print(f"| all | | {total[0]:.2f} | {total[1]:.2f} | {total[0] / total[1]:.2f}x | |\n")
            os.sched_setaffinity(0, every_core)
        print(f"The command on {len(every_core)} cores, all of a task's methods in one run, -j 2 against -j 1 "
              f"(median of {args.repeats}, seconds, start-up included)\n")
        print("| task | methods | frames | -j 1 | -j 2 | speed-up |")
        print("|---|---:|---:|---:|---:|---:|")
        for task, names in TASKS.items():
            def command(jobs: int) -> None:
                out = Path(work) / f"out-{jobs}"
                shutil.rmtree(out, ignore_errors=True)
                subprocess.run([sys.executable, "-m", "tempcons.cli", "eval", str(root), "--task", task, "--results",
                                *[str(methods[n]) for n in names], "-o", str(out), "--quiet", "-j", str(jobs)],
                               check=True, stdout=subprocess.DEVNULL)
            t1, t2 = race(lambda: command(1), lambda: command(2), args.repeats, statistic=np.median)[:2]
            print(f"| {task} | {len(names)} | {frames * len(names)} | {t1:.2f} | {t2:.2f} | {t1 / t2:.2f}x |")


if __name__ == "__main__":
    main()
