"""Damaged inputs, each one named error.

From the library: a ValueError naming the damaged file or folder. From the command line
(``tempcons stabilize`` and ``tempcons eval``): exit code 1, exactly one line on stderr that names
it, no traceback, and no output (nor a hidden ``.*tempcons*`` sibling) left behind.

Every case is built and both commands are run once, in parallel, by the module fixture.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import tempcons as tc
from tempcons.io import open_frames, open_masks, write_video

PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0] + [7] * (768 - 9)
OTHER_PALETTE = [0, 0, 0, 0, 0, 255, 255, 255, 0] + [7] * (768 - 9)  # index 1 is another colour


@dataclass
class Case:
    """A damaged clip: what the commands read, which file or folder is damaged, what the error says."""

    root: Path
    frames: Path
    masks: Path
    damaged: Path
    side: str  # "frames" or "masks": which input is damaged
    says: str  # words the error must contain
    gt: Path | None = None  # a good copy of the masks, for eval --gt
    runs: dict = field(default_factory=dict)


def _frames(folder: Path, frames, suffix=".png") -> Path:
    folder.mkdir(parents=True)
    for t, frame in enumerate(frames):
        assert cv2.imwrite(str(folder / f"{t:05d}{suffix}"), frame[..., ::-1])
    return folder


def _masks(folder: Path, masks) -> Path:
    folder.mkdir(parents=True)
    for t, mask in enumerate(masks):
        assert cv2.imwrite(str(folder / f"{t:05d}.png"), np.round(mask * 255).astype(np.uint8))
    return folder


def _palette_masks(folder: Path, ids, palettes) -> Path:
    folder.mkdir(parents=True)
    for t, (frame, palette) in enumerate(zip(ids, palettes)):
        im = Image.fromarray(frame.astype(np.uint8), "P")
        im.putpalette(palette)
        im.save(folder / f"{t:05d}.png")
    return folder


def _cut(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return path


def _build(root: Path) -> dict[str, Case]:
    clip = tc.synthetic.make_clip(n_frames=6, height=48, width=64, seed=3)
    long = tc.synthetic.make_clip(n_frames=10, height=48, width=64, seed=5)
    cases = {}

    def case(name, side, says, make):
        d = root / name
        d.mkdir()
        frames, masks, damaged = make(d)
        gt = _masks(d / "gt", clip.masks) if side == "masks" else None
        cases[name] = Case(d, frames, masks, damaged, side, says, gt)

    def png_mask_damaged(cut_to=None, replace=None):
        def make(d):
            masks = _masks(d / "masks", clip.masks)
            target = masks / "00003.png"
            if cut_to is not None:
                _cut(target, cut_to)
            else:
                target.write_bytes(replace)
            return _frames(d / "frames", clip.frames), masks, target
        return make

    case("truncated png mask", "masks", "truncated", png_mask_damaged(cut_to=0.5))
    case("zero-length png mask", "masks", "unreadable", png_mask_damaged(replace=b""))

    def truncated_jpg(d):
        frames = _frames(d / "frames", clip.frames, ".jpg")
        return frames, _masks(d / "masks", clip.masks), _cut(frames / "00002.jpg", 0.5)
    case("truncated jpg frame", "frames", "truncated", truncated_jpg)

    def zero_video(d):
        (d / "clip.avi").write_bytes(b"")
        return d / "clip.avi", _masks(d / "masks", clip.masks), d / "clip.avi"
    case("zero-length video", "frames", "cannot open", zero_video)

    def truncated_video(d):
        write_video(d / "clip.avi", long.frames, fps=10)
        return d / "clip.avi", _masks(d / "masks", long.masks), _cut(d / "clip.avi", 0.6)
    case("truncated video", "frames", "truncated", truncated_video)

    def text_as_png(d):  # one more file than frames: must be unreadable, not a count mismatch
        masks = _masks(d / "masks", clip.masks)
        (masks / "00010.png").write_text("not an image\n")
        return _frames(d / "frames", clip.frames), masks, masks / "00010.png"
    case("text file named 00010.png", "masks", "unreadable", text_as_png)

    def mixed_sizes(d):
        masks = _masks(d / "masks", clip.masks)
        cv2.imwrite(str(masks / "00002.png"), np.zeros((40, 56), np.uint8))
        return _frames(d / "frames", clip.frames), masks, masks / "00002.png"
    case("mixed mask sizes", "masks", "differs", mixed_sizes)

    def other_palette(d):
        ids = clip.truth.astype(np.uint8)
        palettes = [OTHER_PALETTE if t == 3 else PALETTE for t in range(6)]
        masks = _palette_masks(d / "masks", ids, palettes)
        return _frames(d / "frames", clip.frames), masks, masks / "00003.png"
    case("palette differs", "masks", "palette differs", other_palette)

    def empty_frames(d):
        (d / "frames").mkdir()
        return d / "frames", _masks(d / "masks", clip.masks), d / "frames"
    case("empty frames folder", "frames", "no images", empty_frames)

    def empty_masks(d):
        (d / "masks").mkdir()
        return _frames(d / "frames", clip.frames), d / "masks", d / "masks"
    case("empty masks folder", "masks", "no images", empty_masks)

    def no_images(d):
        masks = d / "masks"
        masks.mkdir()
        (masks / "notes.txt").write_text("masks to come\n")
        (masks / "scores.csv").write_text("frame,score\n0,0.5\n")
        (masks / "masks.png.part").write_bytes(b"\x89PNG")
        return _frames(d / "frames", clip.frames), masks, masks
    case("folder of other files", "masks", "no images", no_images)

    def float_frames_npy(d):
        np.save(d / "frames.npy", clip.frames.astype(np.float32) / 255)
        return d / "frames.npy", _masks(d / "masks", clip.masks), d / "frames.npy"
    case("frames npy of floats", "frames", "uint8", float_frames_npy)

    def flat_masks_npy(d):
        np.save(d / "masks.npy", clip.masks.reshape(6, -1))
        return _frames(d / "frames", clip.frames), d / "masks.npy", d / "masks.npy"
    case("masks npy of the wrong shape", "masks", "(T, H, W)", flat_masks_npy)

    def text_masks_npy(d):
        np.save(d / "masks.npy", clip.masks.astype(str))
        return _frames(d / "frames", clip.frames), d / "masks.npy", d / "masks.npy"
    case("masks npy of strings", "masks", "bool, integers or floats", text_masks_npy)

    def truncated_npy(d):
        np.save(d / "masks.npy", clip.masks)
        return _frames(d / "frames", clip.frames), d / "masks.npy", _cut(d / "masks.npy", 0.5)
    case("truncated npy", "masks", "unreadable", truncated_npy)

    def two_arrays(d):
        np.savez(d / "masks.npz", masks=clip.masks, truth=clip.truth)
        return _frames(d / "frames", clip.frames), d / "masks.npz", d / "masks.npz"
    case("npz with two arrays", "masks", "exactly one array", two_arrays)
    return cases


def _commands(case: Case) -> dict[str, list]:
    stabilize = ["stabilize", case.frames, case.masks, "-o", case.root / "out"]
    if case.side == "masks":
        evaluate = ["eval", case.masks, "--gt", case.gt, "--json", case.root / "report.json"]
    else:
        evaluate = ["eval", case.masks, "--frames", case.frames, "--json", case.root / "report.json"]
    return {"stabilize": stabilize, "eval": evaluate}


def _run(args) -> subprocess.CompletedProcess:
    # As a user's shell runs it: without what this test process set for OpenCV.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_")}
    return subprocess.run([sys.executable, "-m", "tempcons.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Case]:
    cases = _build(tmp_path_factory.mktemp("damaged"))
    jobs = [(case, command, args) for case in cases.values() for command, args in _commands(case).items()]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for (case, command, _), result in zip(jobs, pool.map(lambda job: _run(job[2]), jobs)):
            case.runs[command] = result
    return cases


CASES = ["truncated png mask", "zero-length png mask", "truncated jpg frame", "zero-length video", "truncated video",
         "text file named 00010.png", "mixed mask sizes", "palette differs", "empty frames folder",
         "empty masks folder", "folder of other files", "frames npy of floats", "masks npy of the wrong shape",
         "masks npy of strings", "truncated npy", "npz with two arrays"]


@pytest.mark.parametrize("name", CASES)
def test_the_library_raises_a_value_error_naming_the_damage(corpus, name):
    case = corpus[name]
    source = case.frames if case.side == "frames" else case.masks
    with pytest.raises(ValueError) as info:
        list((open_frames if case.side == "frames" else open_masks)(source))
    assert str(case.damaged) in str(info.value) and case.says in str(info.value), str(info.value)


@pytest.mark.parametrize("command", ["stabilize", "eval"])
@pytest.mark.parametrize("name", CASES)
def test_the_command_fails_in_one_line_naming_the_damage_and_leaves_nothing(corpus, name, command):
    case = corpus[name]
    res = case.runs[command]
    lines = res.stderr.splitlines()
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith(f"tempcons {command}: error: "), lines[0]
    assert str(case.damaged) in lines[0] and case.says in lines[0], lines[0]
    assert not (case.root / "out").exists() and not (case.root / "report.json").exists()
    assert sorted(p.name for p in case.root.glob(".*tempcons*")) == []


def test_a_text_file_among_masks_is_named_when_the_folder_is_opened(corpus):
    """Before any frame is read or counted: not '6 frames but 7 masks' after the work has started."""
    case = corpus["text file named 00010.png"]
    with pytest.raises(ValueError, match="00010.png: unreadable image"):
        open_masks(case.masks)
    assert "7 masks" not in case.runs["stabilize"].stderr and "unreadable" in case.runs["stabilize"].stderr
