"""Clips stored as files stabilized into result folders: the work of ``tempcons stabilize`` and
``tempcons batch``, and one task of a scheduler.

:func:`stabilize_files` writes one clip's stable masks (and optionally a video) into a
:class:`~tempcons.outputs.ClipFolder`, whole or not at all. :class:`ClipJob` says the same in
plain, picklable values (paths and settings) and :func:`stabilize_clip` carries it out, so a
process pool, a Dask cluster or your own loop can run a dataset one clip per task
(:mod:`tempcons.distributed`)::

    jobs = [ClipJob(frames=f"data/{s}/frames", masks=f"data/{s}/masks", out=f"stable/{s}") for s in names]
    done = client.gather(client.map(stabilize_clip, jobs, retries=1))

The helpers that decide how a result is stored (:func:`stored_kind`, :func:`storage`) and what
its manifest records (:func:`make_manifest`) are here too, since ``tempcons run`` stores its
results the same way.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from ._version import __version__
from .remote import fetch, is_url, publish, remote_manifest

if TYPE_CHECKING:  # the command line imports this module at start-up; the settings bring OpenCV
    from .settings import Settings

__all__ = ["ClipJob", "ClipDone", "stabilize_clip", "stabilize_files", "stabilize_files_chunked", "make_manifest",
           "manifest_differences", "stored_kind", "storage", "matte_of", "progress_bar"]


def progress_bar(total: int | None, desc: str, quiet: bool, unit: str = "frame"):
    """The commands' progress bar: none with ``quiet``, nor when stderr is not a terminal."""
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (a log file gets no escape codes).
    return tqdm(total=total, desc=desc, unit=unit, disable=True if quiet else None, leave=False,
                dynamic_ncols=True)


def stored_kind(masks, kind: str | None) -> str | None:
    """Palette and 16-bit PNGs hold ids (labels) unless told otherwise, or unless tempcons wrote
    them as 16-bit soft masks or mattes (its manifest says so)."""
    if kind is None and masks.mode in ("P", "I;16"):
        from .outputs import read_manifest

        made = read_manifest(masks.path) if masks.mode == "I;16" and masks.path.is_dir() else None
        if made is not None and made.get("values") == "unit":
            return made["kind"] if made["kind"] in ("soft", "alpha") else "soft"
        return "labels"
    return kind


def storage(stored: str | None, kind: str | None, bits: int | None):
    """How results are stored: the writer's PNG mode, a function that prepares each result, and
    what the stored values are ("ids" or "unit": values in [0, 1] times the PNG's depth).

    Ids (palette, 16-bit, integer labels) are stored exactly; soft masks and mattes keep the
    input's depth unless ``--bits`` asks for another, in which case they are rescaled through
    [0, 1] (never cast: 0.7 must not become 0).
    """
    ids = kind in ("labels", "instances") or (kind is None and stored in ("P", "I;16"))
    if bits is not None and (ids or stored == "P"):
        raise ValueError(f"--bits {bits}: labels and instance ids are stored exactly as they came in; "
                         "--bits is for soft masks and mattes")
    if kind == "probs":
        raise ValueError("--kind probs: (T, H, W, C) class probabilities have no PNG form; stabilize them "
                         "with tempcons.stabilize(..., kind='probs') in Python")
    if bits is None:
        return (stored if stored in ("L", "I;16", "P") else None), lambda res: res, "ids" if ids else "unit"
    from .masks import as_unit

    def unit(res: np.ndarray) -> np.ndarray:
        if res.dtype.kind == "f" or res.dtype == np.bool_:
            return res  # the writer scales these itself
        return as_unit(res, f"--bits {bits}: a stabilized mask", uint8_scale=255)

    return ("I;16" if bits == 16 else "L"), unit, "unit"


def make_manifest(*, command: str, kind, preset, latency, flow: str, bits, inputs: dict, **extra) -> dict:
    """What a result folder records of how it was made; a rerun reuses it only if all of this matches."""
    from .settings import settings_for

    return {"tempcons": __version__, "command": command, "kind": kind or "inferred",
            "preset": preset if isinstance(preset, str) else "custom",  # a Settings: its knobs are below
            "latency": "offline" if latency is None else latency, "flow": flow, "bits": bits,
            "settings": settings_for(preset, {}).as_dict(),
            "inputs": {role: {"path": str(Path(src.path).resolve()), "count": len(src)}
                       for role, src in inputs.items()}, **extra}


def manifest_differences(old: dict, new: dict) -> list[str]:
    """What differs between two manifests (the output count aside), as ``key old -> new``."""
    return [f"{key} {old.get(key)!r} -> {new[key]!r}" for key in new if key != "outputs" and old.get(key) != new[key]]


def matte_of(mask: np.ndarray, kind: str | None) -> np.ndarray:
    """A stabilized mask as the matte a composite uses: any object of an id map is foreground."""
    from .masks import as_unit

    if kind in ("labels", "instances"):
        return mask > 0
    return as_unit(mask, "stabilized mask")


def stabilize_files(frames, masks, folder, *, kind, preset, latency, flow, bits, quiet,
                    video=None, composite=None, composite_out=None, overwrite=False) -> int:
    """Stabilize one clip from its sources into ``folder`` (a :class:`~tempcons.outputs.ClipFolder`), and
    optionally a mask video or a composite video; returns the frame count."""
    from collections import deque
    from contextlib import ExitStack

    from .composite import composite as blend, parse_background
    from .io import MaskWriter, write_video
    from .outputs import atomic_file
    from .stabilize import Stabilizer, stabilize

    if len(frames) != len(masks) and frames.path.is_dir() and masks.path.is_dir():
        raise ValueError(f"{frames.path} has {len(frames)} frames but {masks.path} has {len(masks)} masks")
    kind = stored_kind(masks, kind)
    mode, prepare, folder.manifest["values"] = storage(masks.mode, kind, bits)
    try:
        background = None if composite is None else parse_background(composite, frames.size)
    except ValueError as e:
        raise ValueError(f"--composite: {e}") from None
    bar = progress_bar(len(masks) * (2 if latency is None else 1), Path(masks.path).name, quiet)

    def tick(items):
        for item in items:
            yield item
            bar.update(1)

    def results():
        """(frame, stabilized mask) pairs in order."""
        if latency is None:  # the whole clip in memory: forward and backward passes
            all_frames = np.stack(list(frames))
            out_masks = stabilize(all_frames, np.stack(list(masks)), kind=kind, preset=preset, latency=None,
                                  flow=flow, progress=tick)
            yield from zip(all_frames, out_masks)
            return
        stab = Stabilizer(kind=kind, preset=preset, latency=latency, flow=flow)
        held = deque()
        mask_iter = iter(masks)
        seen = 0
        for frame in frames:
            mask = next(mask_iter, None)
            if mask is None:
                raise ValueError(f"{frames.path} has more frames than {masks.path} has masks ({seen})")
            seen += 1
            held.append(frame)
            res = stab.update(frame, mask)
            bar.update(1)
            if res is not None:
                yield held.popleft(), res
        if next(mask_iter, None) is not None:
            raise ValueError(f"{frames.path} gave {seen} frames but {masks.path} has more masks")
        for res in stab.flush():
            yield held.popleft(), res

    def alpha(mask):
        return matte_of(mask, kind="labels" if kind is None and masks.mode in ("P", "I;16") else kind)

    names = iter(masks.names)
    with ExitStack() as stack:
        partial = stack.enter_context(folder)
        writer = MaskWriter(partial, mode=mode, palette=masks.palette)
        sink = composite_out or video
        shown = None if sink is None else stack.enter_context(
            atomic_file(sink, overwrite=overwrite, option="--composite-out" if composite_out else "--video"))

        def outputs():
            """Write each mask; pass on what the video (if any) shows: the mask or the composite."""
            for frame, res in results():
                res = prepare(res)
                writer.write(next(names), res)
                yield alpha(res) if composite_out is None else blend(frame, alpha(res), background)

        try:
            if shown is not None:
                write_video(shown, outputs(), fps=frames.fps or 25.0, overwrite=True)
            else:
                for _ in outputs():
                    pass
        finally:
            bar.close()
        folder.manifest["outputs"] = writer.count
    return writer.count


@dataclass(frozen=True)
class ClipJob:
    """One clip to stabilize from files into a result folder, in plain picklable values.

    Attributes
    ----------
    frames, masks : str
        The clip's frames (a folder of images, a video or an .npy) and its masks (a folder of PNGs
        or an .npy), as :func:`tempcons.io.open_frames` and :func:`tempcons.io.open_masks` read them:
        local paths or fsspec URLs (``s3://...``, ``memory://...``: :mod:`tempcons.remote`).
    out : str
        The result folder (written whole or not at all), a local path or an fsspec URL.
    name : str
        What progress and errors call the clip (default: the result folder's name).
    kind, preset, latency, flow, bits
        As ``tempcons stabilize`` takes them; ``preset`` may also be a
        :class:`~tempcons.settings.Settings` (any knobs: it pickles with the job).
    overwrite : bool
        Replace an earlier result; without it, one made the same way is kept (the clip is
        skipped) and one made differently is refused.
    """

    frames: str
    masks: str
    out: str
    name: str = ""
    kind: str | None = None
    preset: str | Settings = "balanced"
    latency: int | None = 2
    flow: str = "dis"
    bits: int | None = None
    overwrite: bool = False

    def manifest(self, frames, masks) -> dict:
        """The manifest of this job's result, from its opened sources."""
        made = make_manifest(command="batch", kind=self.kind, preset=self.preset, latency=self.latency,
                             flow=self.flow, bits=self.bits, inputs={"frames": frames, "masks": masks})
        for role, given in (("frames", self.frames), ("masks", self.masks)):
            if is_url(given):  # not the scratch copy it was read from
                made["inputs"][role]["path"] = given
        return made


@dataclass(frozen=True)
class ClipDone:
    """What :func:`stabilize_clip` did: the clip, the masks it wrote (0 when an earlier result
    made the same way was kept), and the seconds it took."""

    name: str
    written: int
    seconds: float


def stabilize_clip(job: ClipJob) -> ClipDone:
    """Carry out a :class:`ClipJob`: stabilize its clip into its result folder, no progress bar.

    A result made the same way (same inputs, settings and version: its manifest) is kept, so a
    rerun resumes where the last one stopped; with ``job.overwrite`` every result is made again.
    Safe to run again after a crash: a clip is written whole or not at all.

    Parameters
    ----------
    job : ClipJob

    Returns
    -------
    ClipDone

    Raises
    ------
    FileExistsError
        The folder holds a result made differently and ``job.overwrite`` is False.
    ValueError
        Unreadable inputs, frames and masks that do not match, a folder of other files.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, tempcons as tc
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> clip = tc.synthetic.make_clip(n_frames=4, height=48, width=64)
    >>> np.save(root / "frames.npy", clip.frames); np.save(root / "masks.npy", clip.masks)
    >>> done = stabilize_clip(ClipJob(frames=str(root / "frames.npy"), masks=str(root / "masks.npy"),
    ...                               out=str(root / "stable"), preset="realtime"))
    >>> done.written, stabilize_clip(ClipJob(frames=str(root / "frames.npy"), masks=str(root / "masks.npy"),
    ...                                      out=str(root / "stable"), preset="realtime")).written
    (4, 0)
    """
    from .io import open_frames, open_masks
    from .outputs import ClipFolder

    start = time.perf_counter()
    name = job.name or PurePosixPath(job.out.rstrip("/")).name
    with tempfile.TemporaryDirectory(prefix="tempcons-") as scratch:
        # A clip at a URL is read from a local copy, a result for a URL written locally, then copied out.
        frames, masks = (open_frames(fetch(job.frames, Path(scratch) / "frames") if is_url(job.frames) else job.frames),
                         open_masks(fetch(job.masks, Path(scratch) / "masks") if is_url(job.masks) else job.masks))
        manifest = job.manifest(frames, masks)
        if is_url(job.out):
            previous = remote_manifest(job.out)
            folder = ClipFolder(Path(scratch) / "out" / name, manifest, overwrite=False)
        else:
            folder = ClipFolder(job.out, manifest, overwrite=True)  # refuses a folder of files tempcons did not write
            previous = folder.previous
        if previous is not None and not job.overwrite:
            differences = manifest_differences(previous, manifest)
            if not differences:
                return ClipDone(name, 0, time.perf_counter() - start)
            raise FileExistsError(f"{job.out} holds a result made differently ({', '.join(differences)[:200]}); "
                                  "pass --overwrite to replace it")
        written = stabilize_files(frames, masks, folder, kind=job.kind, preset=job.preset, latency=job.latency,
                                  flow=job.flow, bits=job.bits, quiet=True)
        if is_url(job.out):
            publish(folder.path, job.out)
    return ClipDone(name, written, time.perf_counter() - start)


@dataclass(frozen=True)
class _ChunkTask:
    """One chunk of a clip stored as files, written into the result's partial folder."""

    frames: str
    masks: str
    folder: str
    chunk: Any
    fmt: Any
    settings: Any
    latency: int | None
    flow: str
    bits: int | None
    match: int  # warm-up frames handed back for renumbering ids (0: the kind keeps no ids)


def _stabilize_chunk(task: _ChunkTask) -> tuple[np.ndarray | None, np.ndarray]:
    """Write one chunk's masks; its last ``match`` warm-up outputs and every id it made (for a
    kind that tracks ids), to be renumbered by the caller."""
    from collections import deque

    from .chunks import walk_chunk
    from .io import MaskWriter, open_frames, open_masks

    frames, masks = open_frames(task.frames), open_masks(task.masks)
    mode, prepare, _ = storage(masks.mode, task.fmt.kind, task.bits)
    # A chunk tried again after its worker died writes its files again.
    writer = MaskWriter(task.folder, mode=mode, palette=masks.palette, overwrite=True)
    c = task.chunk
    warm, ids = deque(maxlen=task.match or None), set()
    outputs = walk_chunk(frames.range(c.first, c.last), masks.range(c.first, c.last), c, fmt=task.fmt,
                         settings=task.settings, latency=task.latency, flow=task.flow)
    for t, out in enumerate(outputs, c.first):
        if task.match:
            ids.update(np.unique(out).tolist())
            if t < c.start:
                warm.append(out)
        if t >= c.start:
            writer.write(masks.names[t], prepare(out))
    return (np.stack(warm) if task.match and warm else None), np.array(sorted(ids), np.int64)


def _relabel_files(folder: str, names: list[str], keys: np.ndarray, values: np.ndarray, mode: str | None,
                   palette: list | None) -> int:
    """Rewrite a chunk's id maps with its ids renamed (:func:`tempcons.chunks.relabel`)."""
    from PIL import Image

    from .chunks import relabel
    from .io import MaskWriter

    writer = MaskWriter(folder, mode=mode, palette=palette, overwrite=True)
    for name in names:
        with Image.open(Path(folder) / f"{name}.png") as im:
            ids = np.asarray(im)
        writer.write(name, relabel(ids, keys, values))
    return len(names)


def stabilize_files_chunked(frames, masks, folder, *, chunk_frames: int, scheduler: str = "processes",
                            jobs: int | None = None, kind=None, preset="balanced", latency=2,
                            flow: str = "dis", bits=None, quiet: bool = True) -> int:
    """:func:`stabilize_files` cut into chunks of ``chunk_frames`` that run on a scheduler
    (:func:`tempcons.distributed.ordered_map`) and join without seams (:mod:`tempcons.chunks`).

    Each task reads its chunk with its warm-up and look-ahead from the files and writes its masks
    into the result's folder, so no worker holds more than a chunk; a kind with ids then has its
    chunks' ids renamed to match across the seams and rewritten. The mask format is read from the
    first mask, as the streaming stabilizer reads it. Returns the number of masks written.
    """
    from PIL import Image

    from .chunks import join_ids, plan_chunks, warmup_frames
    from .distributed import ordered_map
    from .kind import kind_class
    from .masks import mask_format
    from .settings import settings_for

    if len(frames) != len(masks):
        raise ValueError(f"{frames.path} has {len(frames)} frames but {masks.path} has {len(masks)} masks")
    kind = stored_kind(masks, kind)
    mode, _, folder.manifest["values"] = storage(masks.mode, kind, bits)
    settings = settings_for(preset, {})
    first = next(masks.range(0, 1))
    fmt = mask_format(first, None, "mask #0") if kind is None else kind_class(kind).read_format(first, "mask #0")
    warmup = warmup_frames(settings.filter.memory)
    plan = plan_chunks(len(masks), chunk_frames, warmup=warmup, latency=latency)
    # The tracker forgets an object lost for max_lost frames: the frames it can still recall it from.
    match = min(warmup, settings.tracking.max_lost + 1) if kind_class(fmt.kind).tracks else 0
    with folder as partial, progress_bar(len(plan), Path(masks.path).name, quiet, unit="chunk") as bar:
        tasks = [_ChunkTask(str(frames.path), str(masks.path), str(partial), c, fmt, settings, latency, flow, bits,
                            match) for c in plan]
        with ordered_map(scheduler, jobs) as run:
            results = []
            for result in run(_stabilize_chunk, tasks):
                results.append(result)
                bar.update(1)
            if match:
                names = masks.names

                def raw(t: int) -> np.ndarray:  # frame t's ids as its chunk wrote them
                    with Image.open(partial / f"{names[t]}.png") as im:
                        return np.asarray(im)

                luts = join_ids(plan, results, raw, settings.tracking.min_iou)
                renamed = [(c, lut) for c, lut in zip(plan, luts) if (lut[0] != lut[1]).any()]
                list(run(_relabel_files, [str(partial)] * len(renamed), [names[c.start:c.stop] for c, _ in renamed],
                         [lut[0] for _, lut in renamed], [lut[1] for _, lut in renamed], [mode] * len(renamed),
                         [masks.palette] * len(renamed)))
        folder.manifest["outputs"] = len(masks)
    return len(masks)
