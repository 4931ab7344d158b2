"""The ``tempcons`` command: demo, stabilize, eval, batch, compare, run.

Exit codes: 0 success, 2 usage error (argparse), 1 failure (unreadable or missing input,
mismatched frames and masks, an output that exists without ``--overwrite``, an error in the
user's segmenter), 130 interrupted (Ctrl-C or SIGTERM). Errors are one line on stderr;
``--debug`` shows the Python traceback instead.

Results are never written over an input, and never over an earlier result without
``--overwrite``; each clip appears whole or not at all (:mod:`tempcons.outputs`).
"""

from __future__ import annotations

import argparse
import csv
import json
import signal
import sys
from pathlib import Path

import numpy as np

from ._version import __version__
from .batch import (make_manifest, manifest_differences, matte_of, progress_bar, stabilize_files,
                    stabilize_files_chunked, storage, stored_kind)
from .outputs import abandon

_KINDS = ("binary", "soft", "alpha", "labels", "instances", "probs")


def _latency(text: str) -> int | None:
    if text == "offline":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"latency must be an int >= 0 or 'offline', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"latency must be >= 0, got {value}")
    return value


def _protocol(text: str) -> tuple[str, str]:
    metric, sep, name = text.partition("=")
    if not sep or not metric or not name:
        raise argparse.ArgumentTypeError(f"--protocol takes METRIC=NAME, got {text!r}")
    return metric, name


def _cmd_stabilize(args) -> int:
    from .io import open_frames, open_masks
    from .outputs import ClipFolder, check_new_file, check_placement

    if (args.composite is None) != (args.composite_out is None):
        raise ValueError("--composite BG and --composite-out FILE go together")
    if args.video and args.composite_out:
        raise ValueError("write either the mask video (--video) or the composite (--composite-out) in one run")
    inputs = [args.frames, args.masks]
    check_placement(args.out, inputs)
    for option, path in (("--video", args.video), ("--composite-out", args.composite_out)):
        if path is not None:
            check_placement(path, inputs, option=option)
            check_new_file(path, overwrite=args.overwrite, option=option)
    chunked = args.chunk_frames is not None
    if chunked and (args.video or args.composite):
        raise ValueError("--chunk-frames writes the mask PNGs only; make --video or --composite-out in a run "
                         "without it")
    if not chunked and (args.scheduler or args.jobs):
        raise ValueError("--scheduler and -j run the chunks of --chunk-frames N; give it, or leave them out")
    if chunked and args.chunk_frames < 1:
        raise ValueError(f"--chunk-frames must be at least 1, got {args.chunk_frames}")
    frames, masks = open_frames(args.frames), open_masks(args.masks)
    manifest = make_manifest(command="stabilize", kind=args.kind, preset=args.preset, latency=args.latency,
                             flow=args.flow, bits=args.bits, inputs={"frames": frames, "masks": masks},
                             **({"chunk_frames": args.chunk_frames} if chunked else {}))
    folder = ClipFolder(args.out, manifest, overwrite=args.overwrite)
    if chunked:
        n = stabilize_files_chunked(frames, masks, folder, chunk_frames=args.chunk_frames,
                                    scheduler=args.scheduler or "processes", jobs=args.jobs or 1, kind=args.kind,
                                    preset=args.preset, latency=args.latency, flow=args.flow, bits=args.bits,
                                    quiet=args.quiet)
    else:
        n = stabilize_files(frames, masks, folder, kind=args.kind, preset=args.preset, latency=args.latency,
                            flow=args.flow, bits=args.bits, quiet=args.quiet, video=args.video,
                            composite=args.composite, composite_out=args.composite_out, overwrite=args.overwrite)
    if not args.quiet:
        print(f"wrote {n} masks to {args.out}")
    return 0


def _eval_clips(args) -> list[tuple[str, Path, Path | None, Path | None]]:
    """(name, predictions, ground truth, frames) of every clip ``tempcons eval`` was pointed at."""
    from .io import ARRAY_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES, find_sequences

    pred = Path(args.pred)
    clip_like = pred.is_file() and pred.suffix.lower() in VIDEO_SUFFIXES + ARRAY_SUFFIXES
    images = pred.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in pred.iterdir() if p.is_file())
    empty = pred.is_dir() and not any(p.is_dir() for p in pred.iterdir())  # no clip and no dataset: say so
    if args.gt is not None or clip_like or images or empty or not pred.exists():
        return [(pred.stem if pred.is_file() else pred.name, pred, args.gt, args.frames)]
    clips = [(seq.name, seq.masks, seq.truth, seq.frames if args.frames else None)
             for seq in find_sequences(pred, masks=args.masks or "masks")
             if seq.masks is not None and seq.truth is not None]
    if not clips:
        raise ValueError(f"{args.pred}: no sequence with both predictions (--masks {args.masks or 'masks'}) "
                         "and ground truth")
    return clips


_BENCHMARK_ONLY = ("results", "out", "set", "sequences")
_CLIP_ONLY = ("gt", "frames", "masks", "kind", "metrics", "protocol", "json", "csv", "plot")


def _cmd_eval(args) -> int:
    from contextlib import ExitStack
    from functools import partial

    if args.task is not None:
        return _cmd_davis(args)
    given = [name for name in _BENCHMARK_ONLY if getattr(args, name) is not None]
    if given:
        raise ValueError(f"--{given[0]} belongs to the DAVIS benchmark: add --task semi-supervised or unsupervised")

    from tqdm import tqdm

    from .distributed import ordered_map
    from .metrics import aggregate
    from .outputs import atomic_file, check_new_file, check_placement

    clips = _eval_clips(args)
    inputs = [args.pred] + [p for clip in clips for p in clip[1:]]
    for option, path in (("--json", args.json), ("--csv", args.csv), ("--plot", args.plot)):
        if path is not None:
            check_placement(path, inputs, option=option)
            if option != "--plot":
                check_new_file(path, overwrite=args.overwrite, option=option)
    if args.plot:
        _pyplot()  # before the work: a missing matplotlib should not cost the evaluation
        for name, *_ in clips:
            check_new_file(Path(args.plot) / f"{name}_flicker.png", overwrite=args.overwrite, option="--plot")
    jobs = 1 if args.jobs is None else args.jobs
    results = []
    # Per-frame bars only here: workers' bars would write over each other.
    frame_bars = jobs == 1 and (args.scheduler or "processes") == "processes" and not args.quiet
    with tqdm(total=len(clips), desc="clips", unit="clip", disable=True if args.quiet or len(clips) == 1 else None) \
            as bar, ordered_map(args.scheduler or "processes", jobs) as run:
        one = partial(_evaluate_clip, kind=args.kind, metrics=args.metrics, protocols=dict(args.protocol or []),
                      bar=frame_bars)
        for result in run(one, *zip(*clips)):
            results.append(result)
            bar.update(1)
    table = aggregate(results)
    names = sorted({k for r in results for k in r.metrics})
    print("clip".ljust(24) + "".join(n.rjust(16) for n in names))
    for r in results:
        print(str(r.name)[:24].ljust(24) + "".join(f"{r.metrics[n].value:16.5f}" if n in r.metrics else " " * 16
                                                 for n in names))
    print("dataset".ljust(24) + "".join(f"{table[n]['value']:16.5f}" for n in names))
    if args.plot:
        _plot_timelines(results, Path(args.plot), overwrite=args.overwrite)
    with ExitStack() as stack:
        if args.json:
            path = stack.enter_context(atomic_file(args.json, overwrite=args.overwrite, option="--json"))
            path.write_text(json.dumps({"clips": [r.to_dict() for r in results], "dataset": table}, indent=1))
        if args.csv:
            path = stack.enter_context(atomic_file(args.csv, overwrite=args.overwrite, option="--csv"))
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["clip", *names])
                for r in results:
                    w.writerow([r.name, *[r.metrics[n].value if n in r.metrics else "" for n in names]])
                w.writerow(["dataset", *[table[n]["value"] for n in names]])
    return 0


def _evaluate_clip(name: str, pred_path, gt_path, frames_path, *, kind, metrics, protocols: dict, bar: bool):
    """One clip's evaluation from its files: one task of ``tempcons eval`` on a scheduler."""
    from .io import open_frames, open_masks
    from .metrics import evaluate

    pred = open_masks(pred_path)
    gt = None if gt_path is None else open_masks(gt_path)
    frames = None if frames_path is None else open_frames(frames_path)
    with progress_bar(len(pred), name, not bar) as frames_done:
        return evaluate(pred, gt=gt, frames=frames, kind=stored_kind(pred, kind), metrics=metrics, name=name,
                        protocols=protocols, progress=frames_done.update)


def _cmd_davis(args) -> int:
    """``tempcons eval ROOT --task ...``: davis2017-evaluation's result files for each method."""
    from tqdm import tqdm

    from .metrics.davis_benchmark import GLOBAL_COLUMNS, evaluate_davis, write_davis_csv
    from .outputs import check_new_file, check_placement

    given = [name for name in _CLIP_ONLY if getattr(args, name) is not None]
    if given:
        raise ValueError(f"--{given[0]} does not apply to the DAVIS benchmark (--task)")
    if not args.results or args.out is None:
        raise ValueError("--task needs --results (each method's folder) and -o (where the result files go)")
    subset, jobs = args.set or "val", 1 if args.jobs is None else args.jobs
    if jobs < 1:
        raise ValueError(f"-j must be at least 1, got {jobs}")
    methods = [Path(r) for r in args.results]
    names = [m.resolve().name for m in methods]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two --results folders are named {twice[0]!r}; their files would share OUT/{twice[0]}")
    for name in names:  # every check before any work
        check_placement(Path(args.out) / name, [args.pred, *methods, args.sequences], option="-o")
        for file in (f"global_results-{subset}.csv", f"per-sequence_results-{subset}.csv"):
            check_new_file(Path(args.out) / name / file, overwrite=args.overwrite, option="-o")
    with tqdm(desc="sequences", unit="seq", disable=True if args.quiet else None) as bar:
        results = evaluate_davis(args.pred, methods, task=args.task, subset=subset, sequences=args.sequences,
                                 jobs=jobs, scheduler=args.scheduler or "processes", progress=lambda _: bar.update())
    for name, result in zip(names, results):
        write_davis_csv(result, Path(args.out) / name, overwrite=args.overwrite)
        table = result.table()
        print(f"{name} ({args.task}, {subset}, {len(result.sequences)} sequences, {table['n_objects']} objects)")
        print("".join(c.rjust(10) for c in GLOBAL_COLUMNS))
        print("".join(f"{table[c]:10.3f}" for c in GLOBAL_COLUMNS))
    return 0


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install 'tempcons[plot]'") from None
    return plt


def _plot_timelines(results, folder: Path, overwrite: bool) -> None:
    """One PNG per clip: every per-pair flicker series against the frame index."""
    from .outputs import atomic_file

    plt = _pyplot()
    for r in results:
        series = {k: m for k, m in r.metrics.items() if m.per == "pair"}
        if not series:
            continue
        fig, axes = plt.subplots(len(series), 1, figsize=(8, 1.8 * len(series)), sharex=True, squeeze=False)
        for ax, (name, m) in zip(axes[:, 0], series.items()):
            ax.plot(np.arange(1, len(m.series) + 1), m.series, lw=1)
            ax.set_ylabel(name, fontsize=8)
        axes[-1, 0].set_xlabel("frame (pair t-1, t)")
        fig.suptitle(f"{r.name}: flicker per frame")
        fig.tight_layout()
        with atomic_file(folder / f"{r.name}_flicker.png", overwrite=overwrite, option="--plot") as path:
            fig.savefig(path, dpi=100)
        plt.close(fig)


def _cmd_batch(args) -> int:
    from tqdm import tqdm

    from .io import find_sequences, open_frames, open_masks
    from .outputs import ClipFolder, check_placement

    from .batch import ClipJob, stabilize_clip
    from .distributed import Failure, run_tasks
    from .remote import is_url, remote_manifest

    remote = is_url(args.out)  # an fsspec URL: each clip is written locally, then copied there
    todo = [s for s in find_sequences(args.root, masks=args.masks) if s.masks is not None]
    if not todo:
        raise ValueError(f"{args.root}: no sequence has a '{args.masks}' folder of masks to stabilize")
    plan, skipped, refused = [], [], []
    for seq in todo:  # every check before any work: a refusal must not come after hours of it
        out = f"{args.out.rstrip('/')}/{seq.name}" if remote else str(Path(args.out) / seq.name)
        job = ClipJob(frames=str(seq.frames), masks=str(seq.masks), out=out, name=seq.name, kind=args.kind,
                      preset=args.preset, latency=args.latency, flow=args.flow, bits=args.bits,
                      overwrite=args.overwrite)
        if not remote:
            check_placement(out, [seq.frames, seq.masks, seq.truth])
        frames, masks = open_frames(seq.frames), open_masks(seq.masks)
        manifest = job.manifest(frames, masks)
        # Refuses a folder of files tempcons did not write, --overwrite or not.
        previous = remote_manifest(out) if remote else ClipFolder(out, manifest, overwrite=True).previous
        differences = None if previous is None else manifest_differences(previous, manifest)
        if differences is None or args.overwrite:
            plan.append((len(masks) * frames.size[0] * frames.size[1], job))
        elif differences:
            refused.append(f"{seq.name} ({', '.join(differences)[:200]})")
        else:
            skipped.append(seq.name)
    if refused:
        raise FileExistsError(f"{len(refused)} sequence(s) in {args.out} were made differently: "
                              f"{'; '.join(refused[:3])}{' ...' if len(refused) > 3 else ''}; "
                              "pass --overwrite to replace them or choose another -o")
    # Longest first: a long clip started last would leave the other workers idle at the end.
    jobs = [job for _, job in sorted(plan, key=lambda p: -p[0])]
    with tqdm(total=len(jobs), desc="sequences", unit="seq", disable=True if args.quiet else None) as bar:
        def ended(name, result):
            bar.update(1)
            if not args.quiet and not sys.stderr.isatty():  # logs get one line per sequence instead of a bar
                said = "failed" if isinstance(result, Failure) else f"{result.written} masks"
                print(f"{name}: {said}", flush=True)

        outcome = run_tasks(stabilize_clip, jobs, names=[j.name for j in jobs], scheduler=args.scheduler,
                            jobs=args.jobs, retries=args.retries, progress=ended)
    if not args.quiet:
        frames_written = sum(done.written for done in outcome.results.values())
        print(f"stabilized {len(outcome.results)} sequences ({frames_written} masks), skipped {len(skipped)} "
              f"already done, into {args.out}")
    if outcome.failures:
        for failure in outcome.failures:
            print(f"tempcons batch: {failure.name} failed after {failure.attempts} attempt(s): {failure.error}",
                  file=sys.stderr)
        print(f"tempcons batch: {len(outcome.failures)} of {len(jobs)} sequences failed: "
              f"{', '.join(f.name for f in outcome.failures)}; run the same command again to retry them",
              file=sys.stderr)
        return 1
    return 0


class SegmenterError(RuntimeError):
    """The user's segmenter raised; the message names it and the frame."""


def _segmenter_options(pairs: list[str]) -> dict:
    """``--segmenter-option KEY=VALUE`` as :class:`tempcons.segmenters.OnnxSegmenter`'s options: a
    key that is one of its parameters sets it, any other key is a constant input of the model.
    Values are numbers, comma-separated numbers, or text."""
    import inspect

    from .segmenters import OnnxSegmenter

    def value(text: str):
        parts = text.split(",")
        try:
            numbers = [float(p) if any(c in p for c in ".eE") else int(p) for p in parts]
        except ValueError:
            return text
        return numbers[0] if len(numbers) == 1 else numbers

    parameters = set(inspect.signature(OnnxSegmenter).parameters) - {"path", "constants", "providers"}
    options, constants = {}, {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--segmenter-option takes KEY=VALUE, got {pair!r}")
        (options if key in parameters else constants)[key] = value(text)
    return {**options, "constants": constants} if constants else options


def _segmenter(spec: str, pairs: list[str] | None = None):
    """The segmenter ``--segmenter`` names (:func:`tempcons.segmenters.load_segmenter`) with the
    ``--segmenter-option`` pairs, raising :class:`SegmenterError` with the frame's number when it
    fails on one."""
    from .segmenters import load_segmenter

    try:
        fn = load_segmenter(spec, **_segmenter_options(pairs or []))
    except ValueError:
        raise  # it names the segmenter already
    except ImportError as e:  # a missing module, or MediaPipe (whose message says what to install)
        raise ValueError(f"--segmenter {spec}: {_message(e) if isinstance(e, ModuleNotFoundError) else e}") from None
    except Exception as e:  # the user's module failed while it was imported
        raise SegmenterError(f"--segmenter {spec}: importing it raised {_message(e)}") from e
    count = 0

    def call(frame):
        nonlocal count
        count += 1
        try:
            return fn(frame)
        except Exception as e:
            raise SegmenterError(f"--segmenter {spec} raised on frame {count - 1}: {_message(e)}") from e

    return call


OUTPUT_TYPES = ("mask", "alpha", "foreground", "composite")


def _cmd_run(args) -> int:
    from collections import deque
    from contextlib import ExitStack

    from .composite import composite, estimate_foreground, parse_background
    from .io import MaskWriter, open_frames, stored_values, write_image
    from .masks import mask_format
    from .outputs import ClipFolder, check_placement
    from .video import H264Writer
    from .wrap import stabilized

    check_placement(args.out, [args.video])
    frames = open_frames(args.video)
    made = list(dict.fromkeys(args.output_type)) + (["raw"] if args.raw else [])  # each once, as given
    try:
        background = parse_background(args.background, frames.size) if "composite" in made else None
    except ValueError as e:
        raise ValueError(f"--background: {e}") from None
    fn = _segmenter(args.segmenter, args.segmenter_option)
    raw = deque()

    def segment(frame):
        mask = fn(frame)
        if args.raw:
            raw.append(mask)
        return mask

    manifest = make_manifest(command="run", kind=args.kind, preset=args.preset, latency=args.latency, flow=args.flow,
                         bits=args.bits, inputs={"frames": frames}, segmenter=args.segmenter,
                         segmenter_options=args.segmenter_option or [], made=made)
    mode, prepare, manifest["values"] = storage(None, args.kind, args.bits)
    folder = ClipFolder(args.out, manifest, overwrite=args.overwrite)
    names = iter(frames.names)
    with folder as partial, progress_bar(len(frames), Path(args.video).name, args.quiet) as bar, ExitStack() as files:
        # One output: the folder is it; several: a subfolder each; with --mp4, <output>.mp4 files
        # (the foreground stays RGBA PNGs: MP4 holds no alpha). The input's audio goes with the composite.
        where = {k: partial if len(made) == 1 else partial / k for k in made}
        videos = {k: files.enter_context(H264Writer(partial / f"{k}.mp4", fps=frames.fps or 25.0,
                                                    audio_from=args.video if k == "composite" else None))
                  for k in made if args.mp4 and k != "foreground"}
        depth = "I;16" if args.bits == 16 else "L"
        writers = {k: MaskWriter(where[k], mode=mode if k == "mask" else depth)
                   for k in ("mask", "alpha", "raw") if k in made and k not in videos}
        for k in ("foreground", "composite"):
            if k in made and k not in videos:
                where[k].mkdir(parents=True, exist_ok=True)
        needs_alpha = bool(set(made) - {"mask", "raw"}) or "mask" in videos
        count, kind = 0, args.kind
        for frame, mask in stabilized(frames, segment, latency=args.latency, kind=args.kind, preset=args.preset,
                                      flow=args.flow):
            name = next(names)
            mask = prepare(mask)
            kind = kind or mask_format(mask, None, "the segmenter's output").kind  # ids, or values
            if "mask" in videos and kind in ("labels", "instances"):
                raise ValueError("--mp4: label and instance id maps have no video form; write them as PNGs")
            # The matte as it is written: the foreground and the composite use exactly that.
            alpha = stored_values(matte_of(mask, kind), "L" if videos else depth) if needs_alpha else None
            for k, image in (("mask", mask), ("alpha", alpha), ("raw", raw.popleft() if args.raw else None)):
                if k in writers:
                    writers[k].write(name, image)
                elif k in videos:
                    videos[k].write(alpha if k == "mask" else image)
            if "foreground" in where:
                colour = np.clip(estimate_foreground(frame, alpha) * 255 + 0.5, 0, 255).astype(np.uint8)
                opacity = alpha if alpha.dtype == np.uint8 else (alpha >> 8).astype(np.uint8)  # RGBA PNGs are 8-bit
                write_image(where["foreground"] / f"{name}.png", np.dstack([colour, opacity]))
            if "composite" in videos:
                videos["composite"].write(composite(frame, alpha, background))
            elif "composite" in where:
                write_image(where["composite"] / f"{name}.png", composite(frame, alpha, background))
            count += 1
            bar.update(1)
        folder.manifest["outputs"] = count
    if not args.quiet:
        audio = f"; audio {videos['composite'].audio}" if "composite" in videos else ""
        print(f"wrote {count} frames of {', '.join(made)} to {args.out}{audio}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tempcons", description="Temporally consistent video segmentation masks.")
    parser.add_argument("--version", action="version", version=f"tempcons {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress bars (eval still prints its table)")
    common.add_argument("--debug", action="store_true", help="show the Python traceback on errors")

    tuning = argparse.ArgumentParser(add_help=False)
    tuning.add_argument("--kind", choices=_KINDS, help="mask kind (default: inferred; palette/16-bit PNGs: labels)")
    tuning.add_argument("--preset", default="balanced", choices=("realtime", "balanced", "quality"))
    tuning.add_argument("--latency", type=_latency, default=2,
                        help="frames of delay, or 'offline' (whole clip in memory; default: %(default)s)")
    tuning.add_argument("--flow", default="dis", choices=("dis", "farneback"))
    tuning.add_argument("--bits", type=int, choices=(8, 16),
                        help="PNG depth of soft masks and mattes (default: the input's; 8 for float results)")
    tuning.add_argument("--overwrite", action="store_true",
                        help="replace an earlier tempcons result (never an input, never a folder of other files)")

    demo = sub.add_parser("demo", parents=[common],
                          help="stabilize a built-in synthetic clip and print flicker before/after")
    demo.add_argument("--out", default="tempcons_demo.png",
                      help="side-by-side PNG strip to write (never overwritten; default: %(default)s)")
    demo.add_argument("--no-image", action="store_true", help="do not write the PNG strip")
    demo.add_argument("--frames", type=int, default=48, help="clip length (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0)

    st = sub.add_parser("stabilize", parents=[common, tuning],
                        help="stabilize a clip: frames (video, image folder, .npy) and masks (PNG folder, video, .npy)")
    st.add_argument("frames")
    st.add_argument("masks")
    st.add_argument("-o", "--out", required=True, help="output folder of PNGs (same form and palette as the masks)")
    st.add_argument("--video", help="also write the stabilized masks to this video file")
    st.add_argument("--composite", metavar="BG",
                    help="composite each frame over BG: '#RRGGBB', 'R,G,B', 'blur[:SIGMA]' or an image file")
    st.add_argument("--composite-out", metavar="FILE", help="video file for --composite (.mp4, .avi, ...)")
    st.add_argument("--chunk-frames", type=int, metavar="N",
                    help="cut a long clip into chunks of N frames that run apart (each on a warm-up of the frames "
                         "before it, see docs/scaleout.md) and join without seams")
    st.add_argument("--scheduler", help="where the chunks run: 'processes' (default), 'local' (a Dask LocalCluster) "
                                        "or a Dask scheduler's address (tempcons[distributed])")
    st.add_argument("-j", "--jobs", type=int, help="worker processes for the chunks, one thread each (default: 1)")

    ev = sub.add_parser("eval", parents=[common],
                        help="metrics of predictions against ground truth, per clip and for the dataset")
    ev.add_argument("pred", help="a PNG folder (one clip; flicker only without --gt) or a dataset root (with --masks)")
    ev.add_argument("--gt", help="ground-truth PNG folder of the same clip")
    ev.add_argument("--frames", help="frames of the clip (for flow-based metrics); with a dataset root, any value "
                                     "uses each sequence's frames")
    ev.add_argument("--masks", help="per-sequence prediction folder name in a dataset root (default: masks)")
    ev.add_argument("--kind", choices=_KINDS)
    ev.add_argument("--metrics", nargs="+", help="metric names (default: all that apply)")
    ev.add_argument("--protocol", nargs="+", type=_protocol, action="extend", metavar="METRIC=NAME",
                    help="another published convention, e.g. dtSSD=erofeev TC=vspw (see docs/metrics.md)")
    ev.add_argument("--json", help="write per-clip series and the dataset table as JSON")
    ev.add_argument("--csv", help="write the per-clip values as CSV")
    ev.add_argument("--plot", metavar="DIR", help="write flicker-timeline plots (needs matplotlib: tempcons[plot])")
    ev.add_argument("--overwrite", action="store_true", help="replace existing reports and plots")
    ev.add_argument("-j", "--jobs", type=int, help="worker processes, one clip or sequence each (default: 1)")
    ev.add_argument("--scheduler", help="where the clips or sequences run: 'processes' (here, default), 'local' "
                                        "(a Dask LocalCluster of -j workers) or a Dask scheduler's address "
                                        "(tempcons[distributed])")
    bench = ev.add_argument_group(
        "DAVIS benchmark", "with --task, pred is a DAVIS root, evaluated as davis2017-evaluation does; its result "
                           "files are written to OUT/<method>/")
    bench.add_argument("--task", choices=("semi-supervised", "unsupervised"))
    bench.add_argument("--results", nargs="+", metavar="DIR",
                       help="each method's results folder: <sequence>/<frame>.png of object indices")
    bench.add_argument("-o", "--out", help="folder for <method>/global_results-<set>.csv and "
                                           "per-sequence_results-<set>.csv")
    bench.add_argument("--set", help="names the files and the ImageSets/2017/<set>.txt list (default: val)")
    bench.add_argument("--sequences", metavar="FILE",
                       help="sequence list, one per line (default: the ImageSets list, else every annotated sequence)")

    ba = sub.add_parser("batch", parents=[common, tuning],
                        help="stabilize every sequence of a dataset layout; resumable")
    ba.add_argument("root")
    ba.add_argument("--masks", default="masks", help="per-sequence folder of masks to stabilize (default: masks)")
    ba.add_argument("-o", "--out", required=True,
                    help="output folder, a result folder per sequence; or an fsspec URL (s3://bucket/stable, "
                         "memory://..., needs tempcons[distributed] and the store's filesystem)")
    ba.add_argument("--scheduler", default="processes",
                    help="where the sequences run, one task each: 'processes' (worker processes here, default), "
                         "'local' (a Dask LocalCluster) or a Dask scheduler's address such as tcp://host:8786 "
                         "(both need tempcons[distributed])")
    ba.add_argument("-j", "--jobs", type=int, default=1,
                    help="worker processes for 'processes' and 'local', one thread each (default: %(default)s)")
    ba.add_argument("--retries", type=int, default=1,
                    help="further attempts at a sequence that failed (default: %(default)s)")

    cmp = sub.add_parser("compare", parents=[common],
                         help="mask sets side by side over the frames, changed pixels highlighted, a flicker timeline")
    cmp.add_argument("frames", help="frames of the clip (video, image folder, .npy)")
    cmp.add_argument("masks", nargs="+",
                     help="two or more mask sets of the clip (PNG folder, video, .npy), e.g. raw and stable")
    cmp.add_argument("-o", "--out", required=True,
                     help="a video (.mp4: H.264 through PyAV, tempcons[video]; .avi, ...: OpenCV; every frame, "
                          "sides next to each other) or a .png (a few frames, "
                          "one row per set)")
    cmp.add_argument("--labels", nargs="+", help="a name per mask set (default: the folder or file names)")
    cmp.add_argument("--timeline", help="the flicker timeline PNG (default: OUT's name + _timeline.png; "
                                        "needs matplotlib: tempcons[plot])")
    cmp.add_argument("--no-timeline", action="store_true", help="do not plot the timeline")
    cmp.add_argument("--kind", choices=_KINDS, help="labels or instances: compare ids (default: palette and 16-bit "
                                                    "PNGs hold ids)")
    cmp.add_argument("--threshold", type=float, default=0.25,
                     help="a mask value change that counts as a change (default: %(default)s)")
    cmp.add_argument("--fps", type=float, help="video frame rate (default: the frames' own, else 25)")
    cmp.add_argument("--overwrite", action="store_true", help="replace earlier outputs of compare")

    run = sub.add_parser("run", parents=[common, tuning],
                         help="run a per-frame segmenter on a video and stabilize its output on the fly")
    run.add_argument("video")
    run.add_argument("--segmenter", required=True,
                     help="mediapipe[:general|landscape] (MediaPipe 0.10.14, see README), onnx:MODEL.onnx "
                          "(onnxruntime: tempcons[onnx]), or module:function or path/to/file.py:function taking an "
                          "RGB frame, returning a mask")
    run.add_argument("--segmenter-option", action="append", metavar="KEY=VALUE",
                     help="for onnx: size=512,512, mean=0.5, std=0.5, output=NAME, channel=N, activation=sigmoid, "
                          "threads=N, or NAME=VALUE for a constant input of the model (downsample_ratio=0.25); "
                          "repeat for several")
    run.add_argument("-o", "--out", required=True,
                     help="output folder: PNGs of the one output, or a subfolder per output (mask/, alpha/, ...)")
    run.add_argument("--output-type", nargs="+", choices=OUTPUT_TYPES, default=["mask"],
                     help="mask: the stable masks in their kind's form; alpha: 8-bit (--bits 16: 16-bit) grey mattes; "
                          "foreground: RGBA PNGs of the estimated foreground colour and the matte; composite: RGB "
                          "PNGs over --background (default: mask)")
    run.add_argument("--background", default="#00b140",
                     help="composite background: '#RRGGBB', 'R,G,B', 'blur[:SIGMA]' or an image file "
                          "(default: %(default)s)")
    run.add_argument("--raw", action="store_true", help="also keep the segmenter's own masks, in raw/")
    run.add_argument("--mp4", action="store_true",
                     help="write mask, alpha, composite and raw as H.264 MP4 files (<output>.mp4) at the input's "
                          "frame rate, the input's audio in composite.mp4; foreground stays RGBA PNGs "
                          "(needs PyAV: tempcons[video])")
    return parser


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does: no half-written result stays


def _message(error: BaseException) -> str:
    """One line that names what failed; the exception's own words where they already do."""
    if isinstance(error, ModuleNotFoundError):
        return f"the module {error.name!r} is not installed (pip install {error.name})"
    if isinstance(error, (ValueError, TypeError, OSError, SegmenterError)) and str(error):
        return str(error).replace("\n", " ")
    return f"{type(error).__name__}: {error}".replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo" and args.frames < 3:
        parser.error("--frames must be at least 3")
    signal.signal(signal.SIGTERM, _interrupt)
    handler = {"demo": _cmd_demo, "stabilize": _cmd_stabilize, "eval": _cmd_eval, "batch": _cmd_batch,
               "compare": _cmd_compare, "run": _cmd_run}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        abandon()
        if args.debug:
            raise
        print(f"tempcons {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        abandon()
        if args.debug:
            raise
        print(f"tempcons {args.command}: error: {_message(e)} (--debug shows the traceback)", file=sys.stderr)
        return 1


def _cmd_compare(args) -> int:
    from .compare import compare_strip, plot_flicker, side_by_side
    from .io import VIDEO_SUFFIXES, open_frames, open_masks, write_image, write_video
    from .outputs import atomic_file, check_new_file, check_placement
    from .video import H264Writer

    if len(args.masks) < 2:
        raise ValueError("compare needs at least two mask sets (e.g. raw/ stable/)")
    labels = args.labels or [Path(m).stem if Path(m).is_file() else Path(m).name for m in args.masks]
    if len(labels) != len(args.masks) or len(set(labels)) != len(labels):
        raise ValueError(f"--labels must give {len(args.masks)} different names, one per mask set; got {labels}")
    if not 0 < args.threshold < 1:
        raise ValueError(f"--threshold must be in (0, 1), got {args.threshold}")
    out = Path(args.out)
    video = out.suffix.lower() in VIDEO_SUFFIXES
    if not video and out.suffix.lower() != ".png":
        raise ValueError(f"-o {out}: write a video ({', '.join(VIDEO_SUFFIXES)}) or a .png")
    timeline = None if args.no_timeline else Path(args.timeline or out.with_name(out.stem + "_timeline.png"))
    inputs = [args.frames, *args.masks]
    for option, path in (("-o", out), ("--timeline", timeline)):
        if path is not None:
            check_placement(path, inputs, option=option)
            check_new_file(path, overwrite=args.overwrite, option=option)
    if timeline is not None:
        _pyplot()  # before the work: a missing matplotlib should not cost the video
    frames = open_frames(args.frames)
    sets = {label: open_masks(m) for label, m in zip(labels, args.masks)}
    kinds = {stored_kind(m, args.kind) for m in sets.values()}
    ids = bool(kinds & {"labels", "instances"})
    series = {label: [] for label in labels}

    def images():
        with progress_bar(len(frames), "compare", args.quiet) as bar:
            for image, shares in side_by_side(frames, sets, ids=ids, threshold=args.threshold):
                for label, share in shares.items():
                    series[label].append(share)
                bar.update()
                yield image

    if video:
        fps = args.fps or frames.fps or 25.0
        with atomic_file(out, overwrite=args.overwrite) as partial:
            if out.suffix.lower() == ".mp4":  # H.264, which browsers play (PyAV)
                with H264Writer(partial, fps=fps) as writer:
                    for image in images():
                        writer.write(image)
            else:
                write_video(partial, images(), fps=fps)
    else:
        strip, series = compare_strip(frames, sets, ids=ids, threshold=args.threshold)
        with atomic_file(out, overwrite=args.overwrite) as partial:
            write_image(partial, strip)
    if timeline is not None:
        with atomic_file(timeline, overwrite=args.overwrite, option="--timeline") as partial:
            plot_flicker(series, partial)
    if not args.quiet:
        means = ", ".join(f"{label} {100 * np.mean(v[1:]) if len(v) > 1 else 0:.2f}%" for label, v in series.items())
        print(f"wrote {out}{' and ' + str(timeline) if timeline else ''}; pixels changed per frame: {means}")
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(None if args.no_image else args.out, n_frames=args.frames, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
