"""The DAVIS-2017 benchmark over a dataset folder, and the result files ``davis2017-evaluation`` writes.

:func:`evaluate_davis` scores one method's results folder on a DAVIS root (``JPEGImages``,
``Annotations``, ``Annotations_unsupervised``, ``ImageSets``) as ``DAVISEvaluation.evaluate``
does, sequence by sequence (each one read frame by frame, in worker processes when asked), and
:func:`write_davis_csv` writes ``global_results-<set>.csv`` and ``per-sequence_results-<set>.csv``
with that code's columns, row order and number format, so scripts that read those files keep
working.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import open_masks
from ..outputs import atomic_file
from ..distributed import ordered_map
from .davis import TASKS, evaluate_sequence, global_table, object_count

__all__ = ["DavisBenchmark", "evaluate_davis", "write_davis_csv", "sequence_list", "GLOBAL_COLUMNS"]

#: The columns of ``global_results-<set>.csv``, in the reference's order.
GLOBAL_COLUMNS = ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay")


@dataclass
class DavisBenchmark:
    """One method's DAVIS evaluation: every sequence's :func:`~tempcons.metrics.davis.evaluate_sequence` result.

    Attributes
    ----------
    task : str
    subset : str
        The set name that names the result files (``val``, ``test-dev``, ...).
    sequences : dict
        Sequence name -> result, in the order evaluated (the sequence list's order).
    """

    task: str
    subset: str
    sequences: dict

    def table(self) -> dict:
        """The global row (:func:`~tempcons.metrics.davis.global_table`): statistics averaged over objects."""
        return global_table(self.sequences)

    def per_sequence(self) -> list[tuple[str, float, float]]:
        """``(<sequence>_<object>, J-Mean, F-Mean)`` per object, as the per-sequence file lists them."""
        return [(f"{name}_{k + 1}", obj["J_stats"]["mean"], obj["F_stats"]["mean"])
                for name, result in self.sequences.items() for k, obj in enumerate(result["objects"])]


def sequence_list(path: str | Path) -> list[str]:
    """The sequence names of an ImageSets file: one per line, blank lines skipped.

    Parameters
    ----------
    path : path
        A text file such as ``ImageSets/2017/val.txt``.

    Returns
    -------
    list of str
        The names in the file's order.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        It lists no sequence, or a name twice.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sequence list {path} not found")
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not names:
        raise ValueError(f"sequence list {path} lists no sequence")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"sequence list {path} lists {twice[0]!r} more than once")
    return names


def _annotations(root: Path, task: str, resolution: str) -> Path:
    folder = root / ("Annotations" if task == "semi-supervised" else "Annotations_unsupervised") / resolution
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} not found: the {task} task reads its ground truth there "
                                "(davis2017-evaluation's layout)")
    return folder


def _sequences(root: Path, truth: Path, task: str, subset: str, sequences) -> list[str]:
    """The names to evaluate: given, from a list file, from ImageSets, or every annotated sequence."""
    if sequences is None:
        # The reference's rule: 2019 lists for the unsupervised test sets, 2017 otherwise.
        year = "2019" if task == "unsupervised" and subset in ("test-dev", "test-challenge") else "2017"
        listed = root / "ImageSets" / year / f"{subset}.txt"
        names = sequence_list(listed) if listed.is_file() else sorted(d.name for d in truth.iterdir() if d.is_dir())
    elif isinstance(sequences, (str, Path)):
        names = sequence_list(sequences)
    else:
        names = [str(n) for n in sequences]
    if not names:
        raise ValueError(f"{truth}: no sequence to evaluate")
    return names


def _read(gt_dir: Path, results_dir: Path, task: str) -> tuple[Iterable, Iterable]:
    """The truth and the method's frames of one sequence, paired by file name, read lazily (and
    binary DAVIS-2016 truth refused at its first frame)."""
    gt, pred = open_masks(gt_dir), open_masks(results_dir)
    present = set(pred.names)
    scored = gt.names[1:-1] if task == "semi-supervised" else gt.names
    missing = [n for n in scored if n not in present]
    if missing:
        raise ValueError(f"{results_dir}: no result for frame {missing[0]} ({len(missing)} missing); "
                         f"DAVIS results hold one PNG per annotated frame, named as the annotations")

    def frames():
        results = iter(zip(pred.names, pred))  # both sorted by name; extra result files are passed over
        for name in gt.names:
            if name in present:
                yield next(mask for found, mask in results if found == name)
            else:
                # Semi-supervised scores neither the first nor the last frame and the reference
                # does not read their results: an absent one stands in as empty.
                yield np.zeros(gt.size, np.uint8)

    def truths():
        for t, truth in enumerate(gt):
            if t == 0 and object_count(truth) == 0 and (truth == 255).any():
                raise ValueError(f"{gt_dir}: the first frame holds only 0 and 255, which davis2017-evaluation reads "
                                 "as background and void, so no object; DAVIS-2016 binary masks must be written as "
                                 "indices (255 -> 1) for this evaluation")
            yield truth

    return truths(), frames()


def _evaluate_one(name: str, gt_dir: Path, results_dir: Path, task: str) -> dict:
    if not results_dir.is_dir():
        raise FileNotFoundError(f"{results_dir} not found: no results for sequence {name}")
    gt, pred = _read(gt_dir, results_dir, task)
    try:
        return evaluate_sequence(pred, gt, task=task)
    except ValueError as e:
        raise ValueError(f"sequence {name} ({results_dir}): {e}") from None


def evaluate_davis(davis_root: str | Path, results: str | Path, *, task: str = "semi-supervised",
                   subset: str = "val", sequences=None, resolution: str = "480p", jobs: int = 1,
                   scheduler: str = "processes", progress: Callable[[str], None] | None = None) -> DavisBenchmark:
    """Evaluate a method's results on a DAVIS dataset as ``davis2017-evaluation`` does.

    Parameters
    ----------
    davis_root : path
        The DAVIS folder holding ``Annotations/<resolution>`` (semi-supervised) or
        ``Annotations_unsupervised/<resolution>`` (unsupervised), and optionally ``ImageSets``.
    results : path, or list of paths
        A method's folder: ``<sequence>/<frame>.png`` palette (or 8-bit) PNGs of object indices,
        named as the annotations. Several methods share one set of worker processes.
    task : {"semi-supervised", "unsupervised"}
    subset : str
        The set: names the result files and, when ``ImageSets/2017/<subset>.txt`` exists (2019 for
        the unsupervised test sets), lists the sequences.
    sequences : path or list of str, optional
        A sequence list file (one name per line) or names; default the ImageSets list, else every
        annotated sequence, sorted.
    resolution : str
    jobs : int
        Worker processes (one sequence each at a time; each holds one frame of it). Starting one
        costs about a second (a fresh interpreter), so they pay off from a few seconds of work.
    scheduler : str
        Where the sequences run (:func:`tempcons.distributed.ordered_map`): ``"processes"`` on
        this machine, ``"local"`` on a Dask LocalCluster of ``jobs`` workers, or a Dask
        scheduler's address. The first sequence that fails stops the run with its error.
    progress : callable, optional
        Called with each sequence's name when it is done.

    Returns
    -------
    DavisBenchmark, or a list of them (one per results folder) when ``results`` is a list

    Raises
    ------
    FileNotFoundError
        A missing annotations or results folder, or sequence list.
    ValueError
        Unknown task, bad ``jobs`` or ``scheduler``, results that do not match the annotations (missing frames,
        more objects than annotated in semi-supervised, sizes), binary 0/255 annotations.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for folder in ("Annotations/480p/seq", "method/seq"):
    ...     (root / folder).mkdir(parents=True)
    ...     for t in range(4):
    ...         m = np.zeros((24, 32), np.uint8); m[4:16, 4 + t:20 + t] = 1
    ...         Image.fromarray(m, "P").save(root / folder / f"{t:05d}.png")
    >>> r = evaluate_davis(root, root / "method")
    >>> r.per_sequence()
    [('seq_1', 1.0, 1.0)]

    References
    ----------
    .. [1] J. Pont-Tuset et al., "The 2017 DAVIS Challenge on Video Object Segmentation", 2017;
       ``davisvideochallenge/davis2017-evaluation``.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    several = isinstance(results, (list, tuple))
    folders = [Path(r) for r in (results if several else [results])]
    root = Path(davis_root)
    if not root.is_dir():
        raise FileNotFoundError(f"DAVIS root {root} not found")
    truth = _annotations(root, task, resolution)
    names = _sequences(root, truth, task, subset, sequences)
    absent = [n for n in names if not (truth / n).is_dir()]
    if absent:
        raise FileNotFoundError(f"{truth / absent[0]} not found: sequence {absent[0]} has no annotations")
    calls = [(n, truth / n, folder / n, task) for folder in folders for n in names]
    done = [{} for _ in folders]
    with ordered_map(scheduler, min(jobs, len(calls))) as run:
        for i, result in enumerate(run(_evaluate_one, *zip(*calls))):
            done[i // len(names)][names[i % len(names)]] = result
            if progress is not None:
                progress(names[i % len(names)])
    found = [DavisBenchmark(task, subset, d) for d in done]
    return found if several else found[0]


def _cell(value) -> str:
    # pandas' to_csv(float_format="%.3f"): three decimals, NaN as an empty cell.
    if isinstance(value, str):
        return value
    return "" if math.isnan(value) else "%.3f" % value


def write_davis_csv(benchmark: DavisBenchmark, folder: str | Path, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Write ``global_results-<set>.csv`` and ``per-sequence_results-<set>.csv`` into ``folder``.

    Columns, row order and number format are ``davis2017-evaluation``'s (``evaluation_method.py``):
    ``J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay`` in one row, then
    ``Sequence,J-Mean,F-Mean`` per object; three decimals, an undefined value as an empty cell.
    Each file appears complete or not at all.

    Parameters
    ----------
    benchmark : DavisBenchmark
        From :func:`evaluate_davis`.
    folder : path
        Created if missing; the reference writes into the results folder, tempcons never does.
    overwrite : bool
        Replace existing files.

    Returns
    -------
    (Path, Path)
        The global and the per-sequence file.

    Raises
    ------
    FileExistsError
        A file exists and ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> stats = {"mean": 0.5, "recall": 1.0, "decay": 0.0}
    >>> result = DavisBenchmark("semi-supervised", "val", {"seq": {"objects": [{"J_stats": stats, "F_stats": stats}]}})
    >>> g, s = write_davis_csv(result, pathlib.Path(tempfile.mkdtemp()))
    >>> print(s.read_text(), end="")
    Sequence,J-Mean,F-Mean
    seq_1,0.500,0.500
    """
    folder = Path(folder)
    table = benchmark.table()
    rows = {f"global_results-{benchmark.subset}.csv": [GLOBAL_COLUMNS, [table[c] for c in GLOBAL_COLUMNS]],
            f"per-sequence_results-{benchmark.subset}.csv": [("Sequence", "J-Mean", "F-Mean"),
                                                             *benchmark.per_sequence()]}
    written = []
    with ExitStack() as stack:
        for name, lines in rows.items():
            path = stack.enter_context(atomic_file(folder / name, overwrite=overwrite, option="--out"))
            with open(path, "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                for line in lines:
                    w.writerow([_cell(v) for v in line])
            written.append(folder / name)
    return written[0], written[1]
