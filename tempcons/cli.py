"""The ``tempcons`` command: demo, stabilize, eval, batch, run.

Exit codes: 0 success, 2 usage error (argparse), 1 failure (unreadable or missing input,
mismatched frames and masks, an output that exists without ``--overwrite``). Errors are one
line on stderr; ``--debug`` shows the Python traceback instead.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from pathlib import Path

import numpy as np

from . import __version__

_KINDS = ("binary", "soft", "alpha", "labels", "instances", "probs")


def _progress(total: int | None, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="frame", disable=quiet, leave=False, dynamic_ncols=True)


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


def _kind_for(masks, kind: str | None) -> str | None:
    """Palette and 16-bit PNGs hold ids: labels unless told otherwise."""
    if kind is None and masks.mode in ("P", "I;16"):
        return "labels"
    return kind


def _stabilize_clip(frames_path, masks_path, out: Path, *, kind, preset, latency, flow, overwrite,
                    quiet, video=None, composite=None, composite_out=None) -> int:
    """Stabilize one clip from disk to a PNG sequence (and videos); returns the frame count."""
    from collections import deque

    from .composite import composite as blend, parse_background
    from .io import MaskWriter, open_frames, open_masks, write_video
    from .stabilize import Stabilizer, stabilize

    frames, masks = open_frames(frames_path), open_masks(masks_path)
    if not overwrite:
        if out.is_dir() and any(out.glob("*.png")):
            raise FileExistsError(f"{out} already holds PNG masks; pass --overwrite to replace them")
        for path in (video, composite_out):
            if path is not None and Path(path).exists():
                raise FileExistsError(f"{path} exists; pass --overwrite to replace it")
    if len(frames) != len(masks) and frames.path.is_dir() and masks.path.is_dir():
        raise ValueError(f"{frames.path} has {len(frames)} frames but {masks.path} has {len(masks)} masks")
    kind = _kind_for(masks, kind)
    background = None if composite is None else parse_background(composite, frames.size)
    writer = MaskWriter(out, mode=masks.mode if masks.mode in ("L", "I;16", "P") else None,
                        palette=masks.palette, overwrite=overwrite)
    names = iter(masks.names)
    bar = _progress(len(masks), Path(masks_path).name, quiet)

    def results():
        """(frame, stabilized mask) pairs in order."""
        if latency is None:  # the whole clip in memory: forward and backward passes
            all_frames = np.stack(list(frames))
            out_masks = stabilize(all_frames, np.stack(list(masks)), kind=kind, preset=preset, latency=None,
                                  flow=flow)
            yield from zip(all_frames, out_masks)
            return
        stab = Stabilizer(kind=kind, preset=preset, latency=latency, flow=flow)
        held = deque()
        frame_iter, mask_iter = iter(frames), iter(masks)
        seen = 0
        for frame in frame_iter:
            mask = next(mask_iter, None)
            if mask is None:
                raise ValueError(f"{frames.path} has more frames than {masks.path} has masks ({seen})")
            seen += 1
            held.append(frame)
            res = stab.update(frame, mask)
            if res is not None:
                yield held.popleft(), res
        if next(mask_iter, None) is not None:
            raise ValueError(f"{frames.path} gave {seen} frames but {masks.path} has more masks")
        for res in stab.flush():
            yield held.popleft(), res

    def alpha(mask):
        if mask.dtype.kind == "f":
            return mask
        if kind in ("labels", "instances") or masks.mode in ("P", "I;16"):
            return mask > 0  # any object is foreground
        return mask.astype(np.float32) / (255 if mask.max(initial=0) > 1 else 1)

    def outputs():
        """Write each mask; pass on what the video (if any) shows: the mask or the composite."""
        for frame, res in results():
            writer.write(next(names), res)
            bar.update(1)
            yield res if composite_out is None else blend(frame, alpha(res), background)

    sink = composite_out or video
    try:
        if sink is not None:
            write_video(sink, outputs(), fps=frames.fps or 25.0, overwrite=overwrite)
        else:
            for _ in outputs():
                pass
    finally:
        bar.close()
    return writer.count


def _cmd_stabilize(args) -> int:
    if (args.composite is None) != (args.composite_out is None):
        raise ValueError("--composite BG and --composite-out FILE go together")
    if args.video and args.composite_out:
        raise ValueError("write either the mask video (--video) or the composite (--composite-out) in one run")
    n = _stabilize_clip(args.frames, args.masks, Path(args.out), kind=args.kind, preset=args.preset,
                        latency=args.latency, flow=args.flow, overwrite=args.overwrite, quiet=args.quiet,
                        video=args.video, composite=args.composite, composite_out=args.composite_out)
    if not args.quiet:
        print(f"wrote {n} masks to {args.out}")
    return 0


def _load(path, kind=None):
    from .io import open_masks

    src = open_masks(path)
    return np.stack(list(src)), _kind_for(src, kind)


def _cmd_eval(args) -> int:
    from .io import find_sequences, open_frames
    from .metrics import aggregate, evaluate

    clips = []
    pred = Path(args.pred)
    single = args.gt is not None or (pred.is_dir() and any(p.suffix.lower() == ".png" for p in pred.iterdir()))
    if single:  # one clip, with or without ground truth
        clips.append((pred.name, args.pred, args.gt, args.frames))
    else:
        for seq in find_sequences(args.pred, masks=args.masks):
            if seq.masks is None or seq.truth is None:
                continue
            clips.append((seq.name, seq.masks, seq.truth, seq.frames if args.frames else None))
        if not clips:
            raise ValueError(f"{args.pred}: no sequence with both predictions (--masks) and ground truth")
    results = []
    for name, pred_path, gt_path, frames_path in clips:
        pred, kind = _load(pred_path, args.kind)
        gt = None if gt_path is None else _load(gt_path, kind)[0]
        if gt is not None and pred.shape != gt.shape:
            raise ValueError(f"{name}: predictions {pred.shape} and ground truth {gt.shape} differ in shape")
        frames = np.stack(list(open_frames(frames_path))) if frames_path else None
        results.append(evaluate(pred, gt=gt, frames=frames, kind=kind, metrics=args.metrics, name=name,
                                protocols=dict(args.protocol or [])))
    table = aggregate(results)
    names = sorted({k for r in results for k in r.metrics})
    if not args.quiet:
        print("clip".ljust(24) + "".join(n.rjust(16) for n in names))
        for r in results:
            print(str(r.name)[:24].ljust(24) + "".join(f"{r.metrics[n].value:16.5f}" if n in r.metrics else " " * 16
                                                     for n in names))
        print("dataset".ljust(24) + "".join(f"{table[n]['value']:16.5f}" for n in names))
    if args.plot:
        _plot_timelines(results, Path(args.plot), overwrite=args.overwrite)
    if args.json:
        Path(args.json).write_text(json.dumps({"clips": [r.to_dict() for r in results], "dataset": table}, indent=1))
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["clip", *names])
            for r in results:
                w.writerow([r.name, *[r.metrics[n].value if n in r.metrics else "" for n in names]])
            w.writerow(["dataset", *[table[n]["value"] for n in names]])
    return 0


def _plot_timelines(results, folder: Path, overwrite: bool) -> None:
    """One PNG per clip: every per-pair flicker series against the frame index."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install 'tempcons[plot]'") from None
    folder.mkdir(parents=True, exist_ok=True)
    for r in results:
        series = {k: m for k, m in r.metrics.items() if m.per == "pair"}
        if not series:
            continue
        path = folder / f"{r.name}_flicker.png"
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass --overwrite to replace it")
        fig, axes = plt.subplots(len(series), 1, figsize=(8, 1.8 * len(series)), sharex=True, squeeze=False)
        for ax, (name, m) in zip(axes[:, 0], series.items()):
            ax.plot(np.arange(1, len(m.series) + 1), m.series, lw=1)
            ax.set_ylabel(name, fontsize=8)
        axes[-1, 0].set_xlabel("frame (pair t-1, t)")
        fig.suptitle(f"{r.name}: flicker per frame")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)


def _cmd_batch(args) -> int:
    from tqdm import tqdm

    from .io import find_sequences

    root_out = Path(args.out)
    todo = [s for s in find_sequences(args.root, masks=args.masks) if s.masks is not None]
    if not todo:
        raise ValueError(f"{args.root}: no sequence has a '{args.masks}' folder of masks to stabilize")
    done = skipped = 0
    for seq in tqdm(todo, desc="sequences", unit="seq", disable=args.quiet):
        out = root_out / seq.name
        marker = out / ".tempcons-done"
        if marker.exists() and not args.overwrite:
            skipped += 1
            continue
        _stabilize_clip(seq.frames, seq.masks, out, kind=args.kind, preset=args.preset, latency=args.latency,
                        flow=args.flow, overwrite=True, quiet=args.quiet)
        marker.write_text("done\n")
        done += 1
    if not args.quiet:
        print(f"stabilized {done} sequences, skipped {skipped} already done, into {root_out}")
    return 0


def _segmenter(spec: str):
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"--segmenter must be 'module:function', got {spec!r}")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"--segmenter {spec}: {e}") from None
    if not callable(fn):
        raise ValueError(f"--segmenter {spec} is not callable")
    return fn


def _cmd_run(args) -> int:
    from .io import MaskWriter, open_frames
    from .wrap import stabilized

    frames = open_frames(args.video)
    fn = _segmenter(args.segmenter)
    out = Path(args.out)
    if out.is_dir() and any(out.glob("*.png")) and not args.overwrite:
        raise FileExistsError(f"{out} already holds PNG masks; pass --overwrite to replace them")
    writer = MaskWriter(args.out, overwrite=args.overwrite)
    bar = _progress(len(frames), Path(args.video).name, args.quiet)
    names = iter(frames.names)
    try:
        for _, mask in stabilized(frames, fn, latency=args.latency, kind=args.kind, preset=args.preset):
            writer.write(next(names), mask)
            bar.update(1)
    finally:
        bar.close()
    if not args.quiet:
        print(f"wrote {writer.count} masks to {args.out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tempcons", description="Temporally consistent video segmentation masks.")
    parser.add_argument("--version", action="version", version=f"tempcons {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress bars or summaries")
    common.add_argument("--debug", action="store_true", help="show the Python traceback on errors")

    tuning = argparse.ArgumentParser(add_help=False)
    tuning.add_argument("--kind", choices=_KINDS, help="mask kind (default: inferred; palette/16-bit PNGs: labels)")
    tuning.add_argument("--preset", default="balanced", choices=("realtime", "balanced", "quality"))
    tuning.add_argument("--latency", type=_latency, default=2,
                        help="frames of delay, or 'offline' (whole clip in memory; default: %(default)s)")
    tuning.add_argument("--flow", default="dis", choices=("dis", "farneback"))
    tuning.add_argument("--overwrite", action="store_true", help="replace existing outputs")

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

    ev = sub.add_parser("eval", parents=[common],
                        help="metrics of predictions against ground truth, per clip and for the dataset")
    ev.add_argument("pred", help="a PNG folder (one clip; flicker only without --gt) or a dataset root (with --masks)")
    ev.add_argument("--gt", help="ground-truth PNG folder of the same clip")
    ev.add_argument("--frames", help="frames of the clip (for flow-based metrics); with a dataset root, any value "
                                     "uses each sequence's frames")
    ev.add_argument("--masks", default="masks", help="per-sequence prediction folder name in a dataset root")
    ev.add_argument("--kind", choices=_KINDS)
    ev.add_argument("--metrics", nargs="+", help="metric names (default: all that apply)")
    ev.add_argument("--protocol", nargs="+", type=_protocol, action="extend", metavar="METRIC=NAME",
                    help="another published convention, e.g. dtSSD=erofeev TC=vspw (see docs/metrics.md)")
    ev.add_argument("--json", help="write per-clip series and the dataset table as JSON")
    ev.add_argument("--csv", help="write the per-clip values as CSV")
    ev.add_argument("--plot", metavar="DIR", help="write flicker-timeline plots (needs matplotlib: tempcons[plot])")
    ev.add_argument("--overwrite", action="store_true", help="replace existing plots")

    ba = sub.add_parser("batch", parents=[common, tuning],
                        help="stabilize every sequence of a dataset layout; resumable")
    ba.add_argument("root")
    ba.add_argument("--masks", default="masks", help="per-sequence folder of masks to stabilize (default: masks)")
    ba.add_argument("-o", "--out", required=True)

    run = sub.add_parser("run", parents=[common, tuning],
                         help="run a per-frame segmenter on a video and stabilize its output on the fly")
    run.add_argument("video")
    run.add_argument("--segmenter", required=True, help="module:function taking an RGB frame, returning a mask")
    run.add_argument("-o", "--out", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        if args.frames < 3:
            parser.error("--frames must be at least 3")
        run_demo(None if args.no_image else args.out, n_frames=args.frames, seed=args.seed)
        return 0
    handler = {"stabilize": _cmd_stabilize, "eval": _cmd_eval, "batch": _cmd_batch, "run": _cmd_run}[args.command]
    try:
        return handler(args)
    except (ValueError, TypeError, OSError) as e:
        if args.debug:
            raise
        print(f"tempcons {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
