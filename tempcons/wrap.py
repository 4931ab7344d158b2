"""Wrap any per-frame segmenter so that a frame loop gets stable masks in one line.

>>> import numpy as np
>>> import tempcons as tc
>>> clip = tc.synthetic.make_clip(n_frames=5, height=48, width=64)
>>> segment = lambda frame: (frame.mean(axis=2) > 128)       # any f(frame) -> mask
>>> pairs = list(tc.wrap.stabilized(clip.frames, segment, latency=1))
>>> len(pairs), pairs[0][1].dtype
(5, dtype('bool'))
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .stabilize import Stabilizer

__all__ = ["stabilized"]


def stabilized(frames: Iterable[np.ndarray], segmenter: Callable[[np.ndarray], np.ndarray], *,
               latency: int = 0, kind: str | None = None, preset: str = "realtime",
               **knobs: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Run ``segmenter`` on every frame and yield ``(frame, stabilized mask)`` pairs.

    Parameters
    ----------
    frames : iterable of ndarray
        ``(H, W, 3)`` frames (a video reader, a webcam loop, an array).
    segmenter : callable
        ``segmenter(frame) -> mask``: a mask, matte, probabilities, label or instance map
        (anything :class:`tempcons.Stabilizer` takes).
    latency : int
        Frames of delay; each yielded pair is the frame ``latency`` frames back and its mask,
        so the frame and its mask always match.
    kind, preset, **knobs
        As for :class:`tempcons.Stabilizer` (``preset="realtime"`` by default here).

    Yields
    ------
    (ndarray, ndarray)
        The frame and its stabilized mask, in order; the last ``latency`` ones after the
        input ends.

    Raises
    ------
    ValueError, TypeError
        As :meth:`tempcons.Stabilizer.update` for bad frames or masks.
    """
    stab = Stabilizer(kind=kind, preset=preset, latency=latency, **knobs)
    held: deque[np.ndarray] = deque()
    for frame in frames:
        held.append(frame)
        out = stab.update(frame, segmenter(frame))
        if out is not None:
            yield held.popleft(), out
    for out in stab.flush():
        yield held.popleft(), out
