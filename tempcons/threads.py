"""One knob for the two thread pools tempcons uses (OpenCV's and Numba's), and how they share
the cores."""

from __future__ import annotations

import functools
import os

import cv2
import numba

__all__ = ["set_threads", "start_pools"]


def set_threads(n: int) -> None:
    """Use ``n`` threads in both OpenCV (flow, remap, filters) and the Numba kernels.

    On 2 cores a second thread gave 1.3-1.6x at 720p/1080p and nothing at 480p; more threads
    than cores only add contention. Applies to the whole process (OpenCV's setting is global,
    Numba's is per calling thread).

    Parameters
    ----------
    n : int
        At least 1, and at most Numba's pool size (``NUMBA_NUM_THREADS``, set before import;
        by default the number of cores).

    Raises
    ------
    ValueError
        If ``n`` is out of range.

    Examples
    --------
    >>> import numba
    >>> set_threads(1)
    >>> numba.get_num_threads()
    1
    >>> set_threads(numba.config.NUMBA_NUM_THREADS)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    limit = numba.config.NUMBA_NUM_THREADS
    if n > limit:
        raise ValueError(f"n = {n} exceeds Numba's pool of {limit} threads; set the environment "
                         f"variable NUMBA_NUM_THREADS={n} before importing tempcons")
    start_pools()
    cv2.setNumThreads(n)
    numba.set_num_threads(n)


@functools.cache
def start_pools() -> None:
    """Start Numba's thread pool, its OpenMP workers sleeping between kernels instead of spinning.

    GNU OpenMP (Numba's default layer on Linux) lets an idle worker spin for a while after each
    parallel kernel; OpenCV's own threads then find a core taken. On 2 cores a 480p ``realtime``
    frame took 8.31 and 7.65 ms against 7.81 and 7.16 ms with sleeping workers (medians of 8
    alternated runs, twice), and running the two flow directions at once
    (:meth:`tempcons.flow.FlowEstimator.both`) gained only with them. ``OMP_WAIT_POLICY=PASSIVE`` is set only while the pool starts (GNU OpenMP
    reads it then) and removed afterwards, so nothing else in the process sees it. Nothing changes
    when the caller set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``, or the pool already runs
    (another library's kernels, or a layer other than OpenMP). Called by every engine; later
    calls do nothing.
    """
    ours = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    if ours:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        numba.get_num_threads()  # starts the pool: this is when GNU OpenMP reads its environment
    finally:
        if ours:
            del os.environ["OMP_WAIT_POLICY"]
