"""A killed ``tempcons batch`` leaves every clip either as it was or complete, and a rerun finishes the job.

The command is killed (SIGINT as Ctrl-C sends it, and SIGKILL, which no program can catch) in the
middle of a clip and between clips, on a fresh output and while ``--overwrite`` replaces an
earlier result made with other settings; what is on disk is compared file by file with clean
runs.
"""

import shutil
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

import tempcons as tc
from tempcons.outputs import MANIFEST, ClipFolder

from clips import interruptible

SEQUENCES = ("s0", "s1", "s2")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A plain layout (<seq>/frames, <seq>/masks) and a clean result of it with two settings."""
    base = tmp_path_factory.mktemp("crash")
    root = base / "root"
    for i, seq in enumerate(SEQUENCES):
        clip = tc.synthetic.make_clip(n_frames=40, height=120, width=160, seed=i)
        for sub in ("frames", "masks"):
            (root / seq / sub).mkdir(parents=True)
        for t in range(len(clip.frames)):
            cv2.imwrite(str(root / seq / "frames" / f"{t:05d}.png"), clip.frames[t][..., ::-1])
            cv2.imwrite(str(root / seq / "masks" / f"{t:05d}.png"), np.round(clip.masks[t] * 255).astype(np.uint8))
    clean = {}
    for label, extra in (("A", ()), ("B", ("--latency", "0"))):
        res = _batch(root, base / f"clean{label}", *extra).communicate(timeout=600)
        clean[label] = {seq: _snapshot(base / f"clean{label}" / seq) for seq in SEQUENCES}
        assert all(len(files) == 41 for files in clean[label].values()), res  # 40 masks and the manifest
    return root, clean


def _batch(root, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "tempcons.cli", "batch", str(root), "-o", str(out), "--quiet",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _partial_pngs(out):
    return max((len(list(p.glob("*.png"))) for p in out.glob(".*tempcons-partial")), default=0)


def _committed(out):
    return [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []


def _kill_when(proc, ready, sig):
    """Send ``sig`` once ``ready()`` holds; fail if the run ended first (the test would prove nothing)."""
    def holds():
        try:
            return ready()
        except OSError:  # a folder renamed while it was read: look again
            return False

    deadline = time.monotonic() + 300
    while not holds():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before the kill point: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the kill point was never reached")
        time.sleep(0.002)
    proc.send_signal(sig)
    return proc.communicate(timeout=120)


def _assert_each_clip_whole(out, clean, allowed):
    """Every visible clip folder equals a clean run's, file by file, for one of the allowed settings."""
    for folder in _committed(out):
        files = _snapshot(folder)
        assert MANIFEST in files, f"{folder.name} has no manifest: a half-written clip is visible"
        assert any(files == clean[label][folder.name] for label in allowed), f"{folder.name} mixes results"


MID_CLIP = lambda out: _partial_pngs(out) >= 5  # noqa: E731
BETWEEN_CLIPS = lambda out: len(_committed(out)) >= 1  # noqa: E731


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("point", [MID_CLIP, BETWEEN_CLIPS], ids=["mid-clip", "between-clips"])
def test_a_killed_run_leaves_whole_clips_and_a_rerun_completes_them(dataset, tmp_path, sig, point):
    root, clean = dataset
    out = tmp_path / "out"
    proc = _batch(root, out)
    _, stderr = _kill_when(proc, lambda: point(out), sig)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and stderr.strip().endswith("interrupted"), stderr
        assert not [p for p in out.iterdir() if p.name.startswith(".")], "Ctrl-C left a partial clip"
    _assert_each_clip_whole(out, clean, "A")
    assert len(_committed(out)) < len(SEQUENCES)
    again = _batch(root, out)
    stdout, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr
    assert {p.name: _snapshot(p) for p in _committed(out)} == clean["A"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_overwrite_never_mixes_old_and_new_frames(dataset, tmp_path, sig):
    root, clean = dataset
    out = tmp_path / "out"
    shutil.copytree(dataset[0].parent / "cleanA", out)
    proc = _batch(root, out, "--latency", "0", "--overwrite")
    _kill_when(proc, lambda: sum(MANIFEST in _snapshot(p) and _snapshot(p) == clean["B"][p.name]
                                 for p in _committed(out)) >= 1 and _partial_pngs(out) >= 5, sig)
    _assert_each_clip_whole(out, clean, "AB")
    assert len(_committed(out)) == len(SEQUENCES)  # nothing lost: the old result stays until the new one is whole
    skipped = _batch(root, out, "--latency", "0")  # without --overwrite: the old clips are refused, none is touched
    _, stderr = skipped.communicate(timeout=600)
    assert skipped.returncode == 1 and "--overwrite" in stderr
    again = _batch(root, out, "--latency", "0", "--overwrite")
    _, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr
    assert {p.name: _snapshot(p) for p in _committed(out)} == clean["B"]


def test_a_result_swapped_out_when_the_run_died_comes_back(tmp_path):
    """Killed between moving the old result aside and the new one in: the next run restores the old one."""
    out = tmp_path / "out"
    with ClipFolder(out, {"v": 1}, overwrite=False) as partial:
        (partial / "a.png").write_bytes(b"old")
    out.rename(tmp_path / ".out.tempcons-old")  # the state a SIGKILL at that instant leaves
    (tmp_path / ".out.tempcons-partial").mkdir()
    (tmp_path / ".out.tempcons-partial" / "a.png").write_bytes(b"half")
    with pytest.raises(FileExistsError, match="--overwrite"):
        ClipFolder(out, {"v": 2}, overwrite=False)
    assert (out / "a.png").read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
