"""Where a dataset's clips run: worker processes here, a Dask cluster here, or a Dask scheduler elsewhere.

:func:`run_tasks` runs one function over many tasks (one per clip), each at least once and at
most ``1 + retries`` times, and says which failed, by name, instead of stopping at the first:

- ``"processes"`` (default): a pool of ``jobs`` worker processes on this machine, each with one
  thread for OpenCV and Numba (N workers on N cores, not N thread pools fighting over them). No
  extra install. A worker that dies takes the pool with it; the pool is made again and the
  tasks that were running are tried again.
- ``"local"``: a ``dask.distributed`` LocalCluster of ``jobs`` worker processes, one thread each
  (``pip install "tempcons[distributed]"``). Dask's nanny restarts a worker that dies and
  reschedules its tasks.
- ``"tcp://host:8786"`` (any address a ``dask.distributed.Client`` takes): a running Dask
  cluster, e.g. one started by dask-jobqueue on a batch system. Its workers need tempcons
  installed and the clips' paths readable and the results' paths writable.

:func:`ordered_map` is the same choice for work that stands or falls whole (the sequences of one
benchmark, the chunks of one clip): a ``map`` whose first error is raised as it was.

The tasks and their results must pickle: :class:`tempcons.batch.ClipJob` and
:func:`tempcons.batch.stabilize_clip` do. People who drive Dask themselves map that function
directly (:mod:`tempcons.batch`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from typing import Any

from .threads import set_threads

__all__ = ["run_tasks", "ordered_map", "Failure", "Outcome", "DASK_INSTALL"]

_MMAP_THRESHOLD = 32 * 2**20  # glibc's largest

#: How to install what the Dask schedulers need.
DASK_INSTALL = 'pip install "tempcons[distributed]"'


@dataclass(frozen=True)
class Failure:
    """A task that failed on every attempt: its name, the last error, the attempts made."""

    name: str
    error: str
    attempts: int


@dataclass
class Outcome:
    """What :func:`run_tasks` gives back: each task's result by name (those that succeeded), and
    the failures, in the order the tasks were given."""

    results: dict[str, Any] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)


def _message(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _check(names: Sequence[str], tasks: Sequence, jobs: int | None, retries: int) -> int:
    if len(names) != len(tasks):
        raise ValueError(f"names must name each task: got {len(names)} names for {len(tasks)} tasks")
    if len(set(names)) != len(names):
        raise ValueError("names must be unique: a result is reported by its task's name")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    return _check_jobs(jobs)


def _check_jobs(jobs: int | None) -> int:
    """The number of workers: ``jobs``, or the machine's cores when None."""
    if jobs is None:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1, got {jobs!r}")
    return jobs


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence, *, names: Sequence[str], scheduler: str = "processes",
              jobs: int | None = None, retries: int = 1, progress: Callable[[str, Any], Any] | None = None) -> Outcome:
    """Run ``fn(task)`` for every task on a scheduler; a task that raises is tried again, then reported.

    Parameters
    ----------
    fn : callable
        A module-level function of one task (it must pickle by reference).
    tasks : sequence
        Picklable tasks, e.g. :class:`tempcons.batch.ClipJob`.
    names : sequence of str
        A unique name per task, for progress and failures.
    scheduler : str
        ``"processes"`` (default), ``"local"`` or a Dask scheduler's address (``"tcp://host:8786"``).
    jobs : int, optional
        Worker processes for ``"processes"`` and ``"local"`` (default: the machine's cores); a
        remote cluster has the workers it has.
    retries : int
        Further attempts after a task fails, >= 0 (a worker dying counts as a failure).
    progress : callable, optional
        ``progress(name, result)`` each time a task ends: its result, or its :class:`Failure`
        when it failed for good.

    Returns
    -------
    Outcome
        The results of the tasks that succeeded and the failures, never dropped.

    Raises
    ------
    ValueError
        Unknown scheduler, names that do not fit the tasks, bad ``jobs`` or ``retries``.
    ImportError
        A Dask scheduler without ``distributed`` installed; the message says what to install.

    Examples
    --------
    >>> import math
    >>> out = run_tasks(math.sqrt, [4.0, -1.0], names=["four", "minus one"], jobs=1, retries=0)
    >>> out.results, [(f.name, f.error) for f in out.failures]
    ({'four': 2.0}, [('minus one', 'ValueError: math domain error')])
    """
    tasks, names = list(tasks), [str(n) for n in names]
    jobs = _check(names, tasks, jobs, retries)
    _check_scheduler(scheduler)
    progress = progress or (lambda name, result: None)
    if scheduler == "processes":
        return _on_processes(fn, tasks, names, jobs, retries, progress)
    return _on_dask(fn, tasks, names, scheduler, jobs, retries, progress)


def _pool(jobs: int) -> ProcessPoolExecutor:
    # A fresh interpreter per worker: forking a process that runs OpenCV's threads can deadlock.
    return ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=set_threads, initargs=(1,))


@contextmanager
def _dask_client(scheduler: str, jobs: int):
    """A Dask client: of a LocalCluster of ``jobs`` one-thread worker processes, or of the cluster
    at an address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(f"scheduler {scheduler!r} needs dask.distributed: {DASK_INSTALL}") from None
    if scheduler != "local":
        with Client(scheduler) as client:
            yield client
        return
    import dask

    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, which also stops glibc from raising
    # its mmap threshold: every frame-sized array is then mapped and unmapped afresh, and a clip
    # runs 40 % slower (page faults). Arrays under 32 MB come from the heap again with this.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": _MMAP_THRESHOLD}), \
            LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def _check_scheduler(scheduler) -> None:
    if not isinstance(scheduler, str) or not (scheduler in ("processes", "local") or "://" in scheduler):
        raise ValueError(f"scheduler must be 'processes', 'local' or a Dask scheduler's address such as "
                         f"'tcp://host:8786', got {scheduler!r}")


@contextmanager
def ordered_map(scheduler: str = "processes", jobs: int | None = None) -> Iterator[Callable[..., Iterator]]:
    """A ``map(fn, *iterables)`` that runs on a scheduler: results in order, the first error raised
    as the task raised it (no retries: for work where one failure spoils the whole, such as one
    benchmark's table or one clip's chunks).

    Parameters
    ----------
    scheduler : str
        As :func:`run_tasks`.
    jobs : int, optional
        As :func:`run_tasks`; ``"processes"`` with 1 job maps in this process.

    Yields
    ------
    callable
        The map; its workers live until the ``with`` block ends. On an error, the tasks not
        started are dropped.

    Raises
    ------
    ValueError
        Unknown scheduler, bad ``jobs``.
    ImportError
        A Dask scheduler without ``distributed`` installed.

    Examples
    --------
    >>> with ordered_map("processes", jobs=1) as run:
    ...     list(run(pow, [2, 3], [2, 2]))
    [4, 9]
    """
    _check_scheduler(scheduler)
    jobs = _check_jobs(jobs)
    if scheduler == "processes" and jobs == 1:
        yield map
    elif scheduler == "processes":
        with _pool(jobs) as pool:
            def run(fn, *iterables):
                try:
                    yield from pool.map(fn, *iterables)
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
            yield run
    else:
        with _dask_client(scheduler, jobs) as client:
            def run(fn, *iterables):
                futures = client.map(_for_workers(fn, scheduler), *iterables, pure=False)
                try:
                    for future in futures:
                        yield future.result()
                finally:
                    client.cancel(futures)
            yield run


def _on_processes(fn, tasks, names, jobs, retries, progress) -> Outcome:
    if jobs == 1:  # no pool: the same process, as a loop would
        outcome = Outcome()
        for task, name in zip(tasks, names):
            for attempt in range(1, retries + 2):
                try:
                    outcome.results[name] = fn(task)
                    progress(name, outcome.results[name])
                    break
                except Exception as e:
                    if attempt == retries + 1:
                        outcome.failures.append(Failure(name, _message(e), attempt))
                        progress(name, outcome.failures[-1])
        return _ordered(outcome, names)
    outcome = Outcome()
    attempts = dict.fromkeys(range(len(tasks)), 0)
    todo = list(range(len(tasks)))
    while todo:
        with _pool(min(jobs, len(todo))) as pool:
            running = {}
            for i in todo:
                attempts[i] += 1
                running[pool.submit(fn, tasks[i])] = i
            todo = []
            broken = False
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = running.pop(future)
                    try:
                        outcome.results[names[i]] = future.result()
                        progress(names[i], outcome.results[names[i]])
                        continue
                    except BrokenProcessPool as e:  # a worker died: every running task is lost
                        broken, error = True, e
                    except Exception as e:
                        error = e
                    if attempts[i] <= retries:
                        if broken:
                            todo.append(i)
                        else:
                            attempts[i] += 1
                            running[pool.submit(fn, tasks[i])] = i
                    else:
                        outcome.failures.append(Failure(names[i], _message(error), attempts[i]))
                        progress(names[i], outcome.failures[-1])
    return _ordered(outcome, names)


def _single_threaded(fn: Callable, *args) -> Any:
    """``fn(*args)`` with one thread for OpenCV and Numba. In the thread that runs it: Numba's
    thread count is per calling thread, and a Dask worker runs its tasks in a thread of its own."""
    set_threads(1)
    return fn(*args)


def _for_workers(fn: Callable, scheduler: str) -> Callable:
    """``fn`` as a Dask worker runs it: single-threaded on the LocalCluster this module starts
    (one-thread workers, one per core); as it is on a cluster someone else sized."""
    return partial(_single_threaded, fn) if scheduler == "local" else fn


def _on_dask(fn, tasks, names, scheduler, jobs, retries, progress) -> Outcome:
    from distributed import as_completed

    outcome = Outcome()
    with _dask_client(scheduler, jobs) as client:
        # pure=False: a rerun of the same clip is new work, never a cached result.
        futures = client.map(_for_workers(fn, scheduler), tasks,
                             key=[f"tempcons-{i}-{n}" for i, n in enumerate(names)], retries=retries, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            if future.status == "finished":
                outcome.results[names[i]] = future.result()
                progress(names[i], outcome.results[names[i]])
            else:
                outcome.failures.append(Failure(names[i], _message(future.exception()), retries + 1))
                progress(names[i], outcome.failures[-1])
    return _ordered(outcome, names)


def _ordered(outcome: Outcome, names: list[str]) -> Outcome:
    order = {n: k for k, n in enumerate(names)}
    outcome.failures.sort(key=lambda f: order[f.name])
    outcome.results = {n: outcome.results[n] for n in names if n in outcome.results}
    return outcome
