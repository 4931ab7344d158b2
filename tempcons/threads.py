"""One knob for the two thread pools tempcons uses (OpenCV's and Numba's)."""

from __future__ import annotations

import cv2
import numba

__all__ = ["set_threads"]


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
    cv2.setNumThreads(n)
    numba.set_num_threads(n)
