"""Clips and results at fsspec URLs (``s3://``, ``gs://``, ``memory://``, ``file://``, ...).

A worker on a cluster reads its clip from an object store and writes its result back there. The
stabilizer reads and writes local files, so a clip at a URL is copied into a scratch folder first
(:func:`fetch`), and a result is written locally, whole, then copied out (:func:`publish`): into
a hidden sibling ``.<name>.partial`` first, then moved into place, so a run killed while copying
leaves the earlier result or nothing at the name. (On an object store a move is a copy and a
delete: a result is complete when its manifest is there, and :func:`remote_manifest` reads it.)

Needs fsspec (with ``tempcons[distributed]``) and, for a cloud store, its filesystem (``s3fs``,
``gcsfs``, ...).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from .outputs import MANIFEST

__all__ = ["is_url", "fetch", "remote_manifest", "publish", "FSSPEC_INSTALL"]

FSSPEC_INSTALL = 'pip install "tempcons[distributed]" (and s3fs, gcsfs, ... for a cloud store)'


def is_url(path) -> bool:
    """Whether ``path`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(path, str) and "://" in path


def _filesystem(url: str):
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"{url}: URLs need fsspec: {FSSPEC_INSTALL}") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:  # an unknown protocol, or its filesystem not installed
        raise ValueError(f"{url}: {e}") from None


def fetch(url: str, into: Path) -> Path:
    """Copy a file or a folder at ``url`` into the local folder ``into``; its local path.

    Raises
    ------
    FileNotFoundError
        Nothing at ``url``.
    """
    fs, root = _filesystem(url)
    if not fs.exists(root):
        raise FileNotFoundError(f"{url} not found")
    local = Path(into) / PurePosixPath(root.rstrip("/")).name
    local.parent.mkdir(parents=True, exist_ok=True)
    if fs.isdir(root):
        fs.get(root.rstrip("/") + "/", str(local) + "/", recursive=True)
    else:
        fs.get(root, str(local))
    return local


def remote_manifest(url: str) -> dict | None:
    """The manifest of a result folder at ``url``, or None when nothing is there.

    Raises
    ------
    ValueError
        The folder holds files but no readable manifest: tempcons did not write it, and nothing
        there is replaced.
    """
    fs, root = _filesystem(url)
    root = root.rstrip("/")
    if not fs.exists(root):
        return None
    if not fs.isdir(root):
        raise ValueError(f"{url} is a file; the output must be a folder")
    try:
        return json.loads(fs.cat_file(f"{root}/{MANIFEST}"))
    except (OSError, ValueError):
        if fs.ls(root, detail=False):
            raise ValueError(f"{url} holds files tempcons did not write; choose a new or empty folder "
                             "(nothing there is replaced, even with --overwrite)") from None
        return None


def publish(folder: Path, url: str) -> None:
    """Copy the complete local result ``folder`` to ``url``, replacing what tempcons wrote there."""
    fs, root = _filesystem(url)
    root = root.rstrip("/")
    path = PurePosixPath(root)
    partial = str(path.with_name(f".{path.name}.partial"))
    if fs.exists(partial):  # what a killed copy left
        fs.rm(partial, recursive=True)
    fs.makedirs(str(path.parent), exist_ok=True)
    fs.put(str(folder) + "/", partial + "/", recursive=True)
    if fs.exists(root):
        fs.rm(root, recursive=True)
    fs.mv(partial, root, recursive=True)
