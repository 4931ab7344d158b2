"""Long clips cut into chunks that run apart, on other cores or machines, and join without seams.

The filter is recursive: frame t's output depends on every frame before it (and, with look-ahead,
on the frames after it), but less and less the further away they are. In the steady state the
history's share of a frame's value is ``memory`` (the carried weight settles at ``c / (1 -
memory)`` against the frame's own ``c``), so a difference in the state k frames back reaches
frame t scaled by at most about ``memory ** k``. A chunk therefore starts its filter
:func:`warmup_frames` frames early and throws those outputs away: with the default memory 0.95
and a tolerance of half an 8-bit step, 122 frames. With latency k a chunk also reads the k frames
after its last one (its look-ahead, exactly); offline, the backward sweep needs the same warm-up
after the chunk as the forward filter before it.

Two things make the seams exact where they can be: a chunk's first frame read sits where the
single pass would start a backward sweep (a multiple of ``(k + 1) // 2`` frames), so both
passes sweep the same windows; and every chunk reads the clip's mask format, not its own (a chunk
of all-zero masks would otherwise take another dtype or scale). What stays is the filter's
decayed memory, and decisions with hysteresis (binary masks, labels), which can carry a
difference further inside their dead band. ``benchmarks/chunks.py`` measures both.

Instance ids are made per chunk by its own tracker; each chunk's ids are then renamed
(:func:`join_ids`) to the ids the chunks before gave the same objects, matched (Hungarian assignment
on overlap) over the warm-up frames, which the chunk before output too, so an object keeps its id
through the clip. (From files, over the last ``max_lost + 1`` warm-up frames: all the tracker
itself can recall an object from.)

:func:`run_chunk` is the unit of work on arrays (picklable arguments, no shared state), so any
``map`` runs the chunks: the built-in one, a process pool's, or a Dask client's;
:func:`walk_chunk` streams one, which :func:`tempcons.batch.stabilize_files_chunked` uses to run a
clip stored as files chunk by chunk, each chunk reading its own frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import zip_longest
from typing import Any, Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from . import kinds  # noqa: F401  (registers the built-in kinds)
from ._validate import check_frames, check_latency
from .engine import Engine
from .kind import kind_class
from .masks import MaskFormat, mask_format
from .settings import Settings, settings_for

__all__ = ["Chunk", "warmup_frames", "plan_chunks", "walk_chunk", "run_chunk", "join_ids", "relabel",
           "stabilize_chunked"]

#: Default tolerance of the warm-up: half an 8-bit step of a soft mask.
TOLERANCE = 0.5 / 255


@dataclass(frozen=True)
class Chunk:
    """A piece of a clip: it outputs frames ``start:stop`` and reads frames ``first:last``.

    ``first <= start < stop <= last``; frames ``first:start`` warm the filter up, frames
    ``stop:last`` are its look-ahead (latency k) or the backward sweep's warm-up (offline).
    """

    start: int
    stop: int
    first: int
    last: int


def warmup_frames(memory: float, tolerance: float = TOLERANCE) -> int:
    """Frames a chunk's filter runs before its first output: ``ceil(log(tolerance) / log(memory))``.

    Parameters
    ----------
    memory : float
        The filter's per-frame decay (:class:`tempcons.settings.FilterSettings`), in [0, 1).
    tolerance : float
        The share of a difference in the state allowed to reach the first output, in (0, 1).

    Returns
    -------
    int
        The warm-up length, >= 0 (0 for a filter without memory).

    Raises
    ------
    ValueError
        ``memory`` or ``tolerance`` out of range.

    Examples
    --------
    >>> warmup_frames(0.95)
    122
    >>> warmup_frames(0.8, tolerance=0.01)
    21
    """
    if not 0 <= memory < 1:
        raise ValueError(f"memory must be in [0, 1), got {memory!r}")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance!r}")
    return 0 if memory == 0 else math.ceil(math.log(tolerance) / math.log(memory))


def plan_chunks(n_frames: int, chunk_frames: int, *, warmup: int, latency: int | None) -> list[Chunk]:
    """Cut ``n_frames`` into chunks of ``chunk_frames`` outputs with their warm-up and look-ahead.

    Parameters
    ----------
    n_frames : int
        The clip's length, >= 1.
    chunk_frames : int
        Frames each chunk outputs (the last may output fewer), >= 1.
    warmup : int
        Frames read before a chunk's first output (:func:`warmup_frames`), >= 0; moved earlier
        to the start of a backward sweep of the single pass when ``latency`` > 2.
    latency : int or None
        The look-ahead: the chunk reads ``latency`` frames after its last output; None (offline)
        reads ``warmup`` frames after it.

    Returns
    -------
    list of Chunk
        In order; their ``start:stop`` ranges tile ``0:n_frames``.

    Raises
    ------
    ValueError
        An argument out of range.

    Examples
    --------
    >>> plan_chunks(10, 4, warmup=2, latency=1)
    [Chunk(start=0, stop=4, first=0, last=5), Chunk(start=4, stop=8, first=2, last=9), Chunk(start=8, stop=10, first=6, last=10)]
    """
    for name, value, low in (("n_frames", n_frames, 1), ("chunk_frames", chunk_frames, 1), ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    latency = check_latency(latency, allow_none=True)
    sweep = 1 if latency is None or latency == 0 else (latency + 1) // 2  # the engine's sweep period
    after = warmup if latency is None else latency
    chunks = []
    for start in range(0, n_frames, chunk_frames):
        stop = min(start + chunk_frames, n_frames)
        first = max(0, start - warmup) // sweep * sweep
        chunks.append(Chunk(start, stop, first, min(n_frames, stop + after)))
    return chunks


@dataclass(frozen=True)
class _Result:
    outputs: np.ndarray  # frames start:stop
    warm: np.ndarray | None  # frames first:start, for renumbering a tracked kind's ids


def walk_chunk(frames: Iterable[np.ndarray], masks: Iterable[np.ndarray], chunk: Chunk, *, fmt: MaskFormat,
               settings: Settings, latency: int | None, flow: Any = None,
               given: frozenset[str] = frozenset()) -> Iterator[np.ndarray]:
    """The outputs of frames ``chunk.first:chunk.stop``, in order, from the clip's frames and masks
    ``chunk.first:chunk.last`` (the look-ahead's own outputs are never made). One frame at a time:
    the caller keeps what it needs (:func:`run_chunk` all of it, a file writer one frame).

    Raises
    ------
    ValueError
        Fewer or more frames or masks than the chunk reads.
    """
    engine = Engine(fmt.kind, settings, latency=latency, flow=flow, given=given, fmt=fmt)
    wanted = chunk.stop - chunk.first
    given_frames = 0
    emitted = 0
    for frame, mask in zip_longest(frames, masks):
        if frame is None or mask is None:
            raise ValueError(f"chunk {chunk}: the frames and the masks differ in length")
        given_frames += 1
        for out in engine.push(frame, mask):
            if emitted < wanted:
                yield out
            emitted += 1
    if given_frames != chunk.last - chunk.first:
        raise ValueError(f"chunk {chunk} reads {chunk.last - chunk.first} frames, got {given_frames}")
    for out in engine.flush():
        if emitted >= wanted:
            break
        yield out
        emitted += 1


def run_chunk(frames: np.ndarray, masks: np.ndarray, chunk: Chunk, *, fmt: MaskFormat, settings: Settings,
              latency: int | None, flow: Any = None, given: frozenset[str] = frozenset()) -> _Result:
    """Stabilize one chunk: ``frames`` and ``masks`` are the clip's frames ``chunk.first:chunk.last``.

    The unit of work of :func:`stabilize_chunked`: everything it needs comes in its arguments,
    which pickle, so it runs in another process or on another machine.

    Returns
    -------
    _Result
        The outputs of frames ``chunk.start:chunk.stop`` and, for a kind that tracks ids, those of
        the warm-up frames (which :func:`stabilize_chunked` matches with the chunk before).
    """
    outputs = list(walk_chunk(frames, masks, chunk, fmt=fmt, settings=settings, latency=latency, flow=flow,
                              given=given))
    skip = chunk.start - chunk.first
    warm = np.stack(outputs[:skip]) if kind_class(fmt.kind).tracks and skip else None
    return _Result(np.stack(outputs[skip:]), warm)


def _id_lut(previous: np.ndarray, warm: np.ndarray, ours: np.ndarray, next_id: int,
           min_iou: float) -> tuple[np.ndarray, np.ndarray, int]:
    """How one chunk's ids are renamed: to the ids ``previous`` (the joined output of the warm-up
    frames ``warm`` shows) gave the same objects, by Hungarian assignment on intersection over
    union (pairs under ``min_iou`` left apart); ids the chunk before never had get new ones from
    ``next_id``.

    Parameters
    ----------
    previous, warm : ndarray
        ``(n, H, W)`` ids of the same frames: as joined so far, and as this chunk made them.
    ours : ndarray
        Every id this chunk outputs (its warm-up's included).
    next_id : int
        The smallest id not given yet.
    min_iou : float

    Returns
    -------
    keys, values : ndarray
        Sorted ids of the chunk (0 included) and what each becomes (0 stays 0).
    next_id : int
    """
    ours = np.unique(np.concatenate([[0], np.asarray(ours).ravel()]))
    theirs = np.unique(previous)
    lut = {0: 0}
    mine, other = ours[ours != 0], theirs[theirs != 0]
    if len(mine) and len(other) and len(warm):
        a = np.searchsorted(mine, warm.ravel())
        b = np.searchsorted(other, previous.ravel())
        in_a, in_b = warm.ravel() != 0, previous.ravel() != 0
        inter = np.zeros((len(mine), len(other)))
        np.add.at(inter, (a[in_a & in_b], b[in_a & in_b]), 1)
        area_a = np.bincount(a[in_a], minlength=len(mine))
        area_b = np.bincount(b[in_b], minlength=len(other))
        iou = inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1)
        for i, j in zip(*linear_sum_assignment(-iou)):
            if iou[i, j] >= min_iou:
                lut[int(mine[i])] = int(other[j])
    for i in mine:
        if int(i) not in lut:
            lut[int(i)] = next_id
            next_id += 1
    return ours, np.array([lut[int(k)] for k in ours]), next_id


def relabel(ids: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``ids`` with each of ``keys`` replaced by its value (:func:`join_ids`), in ``ids``' dtype."""
    return values.astype(ids.dtype)[np.searchsorted(keys, ids)]


def join_ids(plan: list[Chunk], found: Iterable[tuple[np.ndarray | None, np.ndarray]],
             raw: Callable[[int], np.ndarray], min_iou: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The renaming of each chunk's ids that carries every object across the seams.

    Parameters
    ----------
    plan : list of Chunk
    found : iterable of (warm, ids)
        Per chunk: its outputs of the last warm-up frames before its start (None for the first
        chunk) and every id it output.
    raw : callable
        ``raw(t)``: frame ``t``'s ids as its own chunk output them.
    min_iou : float
        The tracker's: pairs that overlap less stay apart.

    Returns
    -------
    list of (keys, values)
        Per chunk, for :func:`relabel`: the first chunk keeps its ids; each later one takes the
        ids the chunks before gave the same objects on its warm-up frames, and new ids for the rest.
    """
    luts: list[tuple[np.ndarray, np.ndarray]] = []

    def joined(t: int) -> np.ndarray:  # frame t's ids as renamed so far
        k = next(i for i, c in enumerate(plan) if c.start <= t < c.stop)
        return relabel(raw(t), *luts[k])

    next_id = 1
    for c, (warm, ids) in zip(plan, found):
        if not luts:
            keys = np.unique(np.concatenate([[0], np.asarray(ids).ravel()]))
            luts.append((keys, keys))
            next_id = int(keys.max()) + 1
            continue
        # A later chunk always has warm frames: ids are joined only after a warm-up.
        previous = np.stack([joined(t) for t in range(c.start - len(warm), c.start)])
        keys, values, next_id = _id_lut(previous, warm, ids, next_id, min_iou)
        luts.append((keys, values))
    return luts


def stabilize_chunked(frames: np.ndarray, masks: np.ndarray, *, chunk_frames: int = 600,
                      warmup: int | None = None, tolerance: float = TOLERANCE, map: Callable = map,
                      kind: str | None = None, preset: str | Settings = "balanced", latency: int | None = None,
                      flow: Any = None, **knobs: Any) -> np.ndarray:
    """:func:`tempcons.stabilize` cut into chunks that run apart and join without seams.

    Parameters
    ----------
    frames, masks : ndarray
        As :func:`tempcons.stabilize` takes them (``(T, H, W[, 3])`` and ``(T, h, w[, C])``).
    chunk_frames : int
        Frames each chunk outputs, >= 1.
    warmup : int, optional
        Frames each chunk reads before its first output (and, offline, after its last);
        default :func:`warmup_frames` of the settings' ``memory`` at ``tolerance``.
    tolerance : float
        The warm-up's tolerance (see :func:`warmup_frames`).
    map : callable
        ``map(function, *iterables)`` that runs the chunks, e.g. a process pool's
        ``executor.map`` or a Dask ``client.map`` followed by ``client.gather`` (default: in
        order, here). Chunks are independent.
    kind, preset, latency, flow, **knobs
        As :func:`tempcons.stabilize`; ``flow`` is a name or a function (no flow arrays).

    Returns
    -------
    ndarray
        ``(T, H, W[, C])`` as :func:`tempcons.stabilize` returns: equal to it within the
        tolerance for soft masks and mattes (``benchmarks/chunks.py`` measures it), with instance
        ids carried across chunks.

    Raises
    ------
    ValueError, TypeError
        As :func:`tempcons.stabilize`, and bad ``chunk_frames``, ``warmup`` or ``tolerance``.

    Examples
    --------
    >>> import numpy as np, tempcons as tc
    >>> clip = tc.synthetic.make_clip(n_frames=12, height=48, width=64)
    >>> one = tc.stabilize(clip.frames, clip.masks, preset="realtime", latency=0)
    >>> split = stabilize_chunked(clip.frames, clip.masks, chunk_frames=4, warmup=0, preset="realtime", latency=0)
    >>> split.shape == one.shape, bool((split[:4] == one[:4]).all())
    (True, True)
    """
    frames = check_frames(frames)
    if not isinstance(masks, np.ndarray) or len(masks) != len(frames):
        raise ValueError(f"masks must be an array of {len(frames)} masks, one per frame, got "
                         f"{type(masks).__name__} of length {len(masks) if hasattr(masks, '__len__') else '?'}")
    if isinstance(flow, (np.ndarray, tuple)):
        raise TypeError("flow: stabilize_chunked takes a flow name or function, not flow arrays")
    settings = settings_for(preset, knobs)
    fmt = mask_format(masks, kind) if kind is None else kind_class(kind).read_format(masks, "masks")
    if warmup is None:
        warmup = warmup_frames(settings.filter.memory, tolerance)
    plan = plan_chunks(len(frames), chunk_frames, warmup=warmup, latency=latency)

    task = partial(run_chunk, fmt=fmt, settings=settings, latency=latency, flow=flow, given=frozenset(knobs))
    results = map(task, (frames[c.first:c.last] for c in plan), (masks[c.first:c.last] for c in plan), plan)
    out, found = None, []
    for chunk, result in zip(plan, results):
        if out is None:
            out = np.empty((len(frames), *result.outputs.shape[1:]), result.outputs.dtype)
        out[chunk.start:chunk.stop] = result.outputs
        if kind_class(fmt.kind).tracks:
            ids = np.unique(result.outputs) if result.warm is None else np.union1d(result.warm, result.outputs)
            found.append((result.warm, ids))
    if found:  # every chunk's own ids until now: renamed across the seams
        luts = join_ids(plan, found, out.__getitem__, settings.tracking.min_iou)
        for chunk, lut in zip(plan, luts):
            out[chunk.start:chunk.stop] = relabel(out[chunk.start:chunk.stop], *lut)
    return out
