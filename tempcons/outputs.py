"""Where results go: never over an input, never over a result without ``overwrite``, complete or absent.

Every result the command line writes goes through this module:

- :func:`check_placement` refuses an output that is, lies inside, or contains an input (even
  with ``overwrite``: a result must never replace what it is computed from).
- :class:`ClipFolder` writes one clip into a hidden temporary sibling and moves it into place
  only when it is complete, with a manifest of how it was made (:data:`MANIFEST`). A run killed
  at any point leaves the previous complete result or nothing; a later run removes what a killed
  one left behind. A folder holding files that tempcons did not write (no manifest) is never
  replaced.
- :func:`atomic_file` does the same for one file (a JSON report, a video, a plot);
  :func:`check_new_file` tells before the work starts whether it may be written.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["MANIFEST", "check_placement", "check_new_file", "ClipFolder", "atomic_file", "abandon", "read_manifest"]

MANIFEST = ".tempcons-manifest.json"  # hidden: a folder of masks lists as masks
# Hidden siblings: ".<name>.tempcons-partial" while a result is written, ".<name>.tempcons-old"
# while a complete one is swapped for the previous one.
_PARTIAL, _OLD = ".tempcons-partial", ".tempcons-old"
# Results this process has begun and not yet finished or cleaned up (see abandon()).
_BEGUN: set[Path] = set()


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def check_placement(out: str | Path, inputs: Iterable[str | Path | None], *, option: str = "-o") -> None:
    """Refuse an output that is, lies inside, or contains an input, whatever ``--overwrite`` says.

    Parameters
    ----------
    out : path
        The output file or folder.
    inputs : iterable of path or None
        Every file or folder the run reads (None entries are skipped).
    option : str
        The command-line option that named ``out``, for the message.

    Raises
    ------
    ValueError
        ``out`` overlaps an input (symbolic links and ``..`` resolved).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_placement(d / "masks" / "stable", [d / "masks"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: -o .../masks/stable lies inside the input .../masks; write the result somewhere else
    """
    target = _resolved(out)
    for inp in inputs:
        if inp is None:
            continue
        source = _resolved(inp)
        if _overlaps(target, source):
            where = ("is the input" if target == source else
                     "lies inside the input" if target.is_relative_to(source) else "contains the input")
            raise ValueError(f"{option} {out} {where} {inp}; write the result somewhere else")


def check_new_file(path: str | Path, *, overwrite: bool, option: str = "-o") -> None:
    """Refuse to write the file ``path`` over an existing one without ``overwrite``, or over a folder.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    ValueError
        ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder; name a file")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{option} {path} exists; pass --overwrite to replace it")


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of a result folder, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _sibling(path: Path, tag: str) -> Path:
    # The suffix stays last, so writers that choose a format by it (videos, images) still do.
    return path.with_name(f".{path.stem}{tag}{path.suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _recover(path: Path) -> None:
    """Undo what a killed run left: a half-written result goes, a swapped-out complete one returns."""
    _remove(_sibling(path, _PARTIAL))
    old = _sibling(path, _OLD)
    if old.exists():
        if path.exists():
            _remove(old)
        else:  # killed between moving the old result away and the new one in
            old.rename(path)


def _commit(partial: Path, path: Path) -> None:
    """Move a complete result into place; the previous one is kept aside until the move is done."""
    old = _sibling(path, _OLD)
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()
    if path.exists():
        path.rename(old)
    partial.rename(path)
    if old.exists():
        _remove(old)


class ClipFolder:
    """One clip's result folder, written whole or not at all.

    Use as a context manager: files go into :attr:`partial`, and on a clean exit the manifest is
    written and the folder moved into place; on an exception (including ``KeyboardInterrupt``)
    the partial folder is removed and the previous result, if any, is left as it was.

    Parameters
    ----------
    path : path
        The final folder. An existing one is replaced only if ``overwrite`` and only if tempcons
        wrote it (it holds :data:`MANIFEST`, or is empty).
    manifest : dict
        How the result is made (version, settings, inputs); written as :data:`MANIFEST`.
    overwrite : bool

    Attributes
    ----------
    previous : dict or None
        The manifest of the earlier result in ``path``, if there is one.

    Raises
    ------
    FileExistsError
        The folder exists and ``overwrite`` is False.
    ValueError
        The folder exists and holds files tempcons did not write, or is a file.
    """

    def __init__(self, path: str | Path, manifest: dict, *, overwrite: bool) -> None:
        self.path = Path(path)
        self.manifest = manifest
        _recover(self.path)
        self.previous = None  # the manifest of the earlier result there
        if self.path.exists():
            if not self.path.is_dir():
                raise ValueError(f"{self.path} is a file; the output must be a folder")
            if any(self.path.iterdir()):
                self.previous = read_manifest(self.path)
                if self.previous is None:
                    raise ValueError(f"{self.path} holds files tempcons did not write; choose a new or empty "
                                     "folder (nothing there is replaced, even with --overwrite)")
                if not overwrite:
                    raise FileExistsError(f"{self.path} holds an earlier result; pass --overwrite to replace it")
        self.partial = _sibling(self.path, _PARTIAL)

    def __enter__(self) -> Path:
        _BEGUN.add(self.path)  # before the folder exists: an interrupt may come between any two steps
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial.mkdir()
        return self.partial

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            _remove(self.partial)
        else:
            (self.partial / MANIFEST).write_text(json.dumps(self.manifest, indent=1, sort_keys=True) + "\n")
            _commit(self.partial, self.path)
        _BEGUN.discard(self.path)


@contextmanager
def atomic_file(path: str | Path, *, overwrite: bool, option: str = "-o") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; it replaces ``path`` only when complete.

    Raises
    ------
    FileExistsError, ValueError
        As :func:`check_new_file`.
    """
    path = Path(path)
    _recover(path)
    check_new_file(path, overwrite=overwrite, option=option)
    _BEGUN.add(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _sibling(path, _PARTIAL)
    try:
        yield partial
        os.replace(partial, path)
    finally:
        _remove(partial)
        _BEGUN.discard(path)


def abandon() -> None:
    """Undo what this process began and did not finish: partial results go, a swapped-out one returns.

    The context managers clean up after an exception raised inside them; an interrupt (Ctrl-C)
    can also land between two of their own steps, so the command calls this when it stops on one.
    """
    while _BEGUN:
        _recover(_BEGUN.pop())
