"""Nothing lost: the command never destroys, truncates or silently mixes a user's data.

Each test here reproduces a failure seen on the command line or in the writers, run as users
run it (in a subprocess, on small generated clips).
"""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import tempcons as tc
from clips import PALETTE, interruptible, tempcons, write_clip
from tempcons.io import MaskWriter, open_masks
from tempcons.outputs import MANIFEST


def _console_script(*args, cwd):
    """As the installed ``tempcons`` command runs: the current folder is not on sys.path
    (``python -m`` would put it there)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-I", "-c", "import sys; from tempcons.cli import main; sys.exit(main())",
                           *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd, env=env,
                          preexec_fn=interruptible)


def _run_segmenter(tmp_path, source, *extra, n_frames=4):
    """``tempcons run`` on a small video with the segmenter ``source`` (a module defining ``segment``)."""
    clip = tc.synthetic.make_clip(n_frames=n_frames, height=48, width=64, seed=5)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    (tmp_path / "seg.py").write_text(source)
    return tempcons("run", "in.avi", "--segmenter", "seg:segment", "-o", "out", *extra, cwd=tmp_path)


def _one_line_error(res, *words):
    """Exit 1, one line on stderr, no traceback, and the words that say what and where."""
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def clip_dir(tmp_path):
    root = tmp_path / "data" / "walker"
    write_clip(root)
    return root


# 1. Float masks are scaled, never cast.

def test_a_float_mask_written_as_png_reads_back_within_half_a_step(tmp_path):
    MaskWriter(tmp_path / "8").write("0", np.full((4, 4), 0.7, np.float32))
    MaskWriter(tmp_path / "16", mode="I;16").write("0", np.full((4, 4), 0.7, np.float32))
    eight, sixteen = next(iter(open_masks(tmp_path / "8"))), next(iter(open_masks(tmp_path / "16")))
    assert eight.dtype == np.uint8 and abs(eight[0, 0] / 255 - 0.7) <= 0.5 / 255
    assert sixteen.dtype == np.uint16 and abs(sixteen[0, 0] / 65535 - 0.7) <= 0.5 / 65535


def test_a_writer_refuses_what_it_cannot_hold_and_writes_nothing(tmp_path):
    writer = MaskWriter(tmp_path / "w")
    for bad in (np.full((4, 4), 1.5, np.float32), np.full((4, 4), np.nan), np.full((4, 4), 70000, np.int32),
                np.full((4, 4), -1, np.int16)):
        with pytest.raises(ValueError, match="0.png"):
            writer.write("0", bad)
    with pytest.raises(ValueError, match="16-bit"):
        MaskWriter(tmp_path / "w", mode="L").write("0", np.full((4, 4), 300, np.uint16))
    with pytest.raises(ValueError, match="palette"):
        MaskWriter(tmp_path / "p", mode="P", palette=PALETTE).write("0", np.zeros((4, 4), np.float32))
    assert not list((tmp_path / "w").iterdir())


def test_stabilize_float_npy_masks_writes_soft_pngs_not_zeros(clip_dir, tmp_path):
    clip = tc.synthetic.make_clip(n_frames=6, height=48, width=64, seed=4)
    np.save(tmp_path / "soft.npy", clip.masks.astype(np.float32))
    for bits, dtype, top in ((None, np.uint8, 255), (16, np.uint16, 65535)):
        out = tmp_path / f"out{bits}"
        extra = ["--bits", bits] if bits else []
        res = tempcons("stabilize", clip_dir / "frames", tmp_path / "soft.npy", "-o", out, "--quiet", *extra)
        assert res.returncode == 0, res.stderr
        written = np.stack(list(open_masks(out))).astype(np.float64) / top
        assert open_masks(out).mode == ("I;16" if bits else "L")
        expected = tc.stabilize(clip.frames, clip.masks.astype(np.float32), latency=2)
        assert np.abs(written - expected).max() <= 0.5 / top + 1e-6
    # read back as soft masks, not as label maps: the manifest says what the 16-bit values are
    res = tempcons("eval", tmp_path / "out16", "--json", tmp_path / "r.json", "--quiet")
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "r.json").read_text())["clips"][0]["kind"] == "soft"


def test_run_with_a_probability_segmenter_writes_soft_pngs(tmp_path):
    res = _run_segmenter(tmp_path, "def segment(frame):\n    return (frame.mean(axis=2) / 255).astype('float32')\n",
                         "--quiet", n_frames=5)
    assert res.returncode == 0, res.stderr
    written = np.stack(list(open_masks(tmp_path / "out")))
    assert written.dtype == np.uint8 and 20 < written.mean() < 235 and len(np.unique(written)) > 16


# 2-3. batch: never over the input, never over a user's file, resume only what matches.

def _davis(tmp_path):
    """A DAVIS-like layout: JPEGImages/480p/<seq>, Annotations/480p/<seq>, method/480p/<seq>."""
    root = tmp_path / "DAVIS"
    for seq, seed in (("bear", 1), ("dog", 2)):
        write_clip(tmp_path / "tmp" / seq, n_frames=5, seed=seed)
        for src, dst in (("frames", "JPEGImages"), ("masks", "method"), ("gt", "Annotations")):
            (root / dst / "480p").mkdir(parents=True, exist_ok=True)
            (tmp_path / "tmp" / seq / src).rename(root / dst / "480p" / seq)
    return root


def test_batch_refuses_to_write_into_its_input(tmp_path):
    root = _davis(tmp_path)
    before = _snapshot(root)
    for out in (root / "method" / "480p", root / "method" / "480p" / "bear", root / "JPEGImages" / "480p"):
        res = tempcons("batch", root, "--masks", "method", "-o", out, "--overwrite", "--quiet")
        _one_line_error(res, "input", "somewhere else")
    assert _snapshot(root) == before


def test_batch_never_replaces_a_users_files(tmp_path):
    root = _davis(tmp_path)
    mine = tmp_path / "out" / "bear" / "00000.png"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own mask")
    for extra in ([], ["--overwrite"]):
        res = tempcons("batch", root, "--masks", "method", "-o", tmp_path / "out", "--quiet", *extra)
        _one_line_error(res, "out/bear", "did not write")
        assert mine.read_bytes() == b"my own mask" and not (tmp_path / "out" / "dog").exists()


def test_batch_resumes_only_results_made_the_same_way(tmp_path):
    root = _davis(tmp_path)
    out = tmp_path / "out"
    first = tempcons("batch", root, "--masks", "method", "-o", out, "--quiet")
    assert first.returncode == 0, first.stderr
    made = _snapshot(out)
    assert json.loads((out / "bear" / MANIFEST).read_text())["latency"] == 2
    same = tempcons("batch", root, "--masks", "method", "-o", out)
    assert same.returncode == 0 and "skipped 2" in same.stdout and _snapshot(out) == made
    for change in (["--latency", "offline"], ["--preset", "realtime"], ["--kind", "soft"]):
        other = tempcons("batch", root, "--masks", "method", "-o", out, "--quiet", *change)
        _one_line_error(other, "2 sequence(s)", "--overwrite")
        assert _snapshot(out) == made
    redo = tempcons("batch", root, "--masks", "method", "-o", out, "--quiet", "--latency", "offline", "--overwrite")
    assert redo.returncode == 0, redo.stderr
    assert json.loads((out / "dog" / MANIFEST).read_text())["latency"] == "offline"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_batch_logs_carry_no_escape_codes(tmp_path):
    root = _davis(tmp_path)
    res = tempcons("batch", root, "--masks", "method", "-o", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stderr + res.stdout and "\r" not in res.stderr + res.stdout
    assert "bear: 5 masks" in res.stdout


# 4. eval: reports and plots never over a file or into an input.

def test_eval_reports_never_overwrite_without_asking(clip_dir, tmp_path):
    report = tmp_path / "report.json"
    report.write_text("my notes")
    for option in ("--json", "--csv"):
        res = tempcons("eval", clip_dir / "masks", "--gt", clip_dir / "gt", option, report, "--quiet")
        _one_line_error(res, option, "--overwrite")
    assert report.read_text() == "my notes"
    ok = tempcons("eval", clip_dir / "masks", "--gt", clip_dir / "gt", "--json", report, "--overwrite", "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(report.read_text())["clips"][0]["metrics"]["J"]["value"] > 0.5


def test_stabilize_never_writes_into_or_around_its_input(clip_dir):
    before = _snapshot(clip_dir)
    for out in (clip_dir / "masks", clip_dir / "masks" / "stable", clip_dir.parent):
        res = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", out, "--overwrite", "--quiet")
        _one_line_error(res, "-o", "input", "somewhere else")
    res = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", clip_dir.parent / "o", "--quiet",
                    "--video", clip_dir / "frames" / "v.avi", "--overwrite")
    _one_line_error(res, "--video", "input")
    assert _snapshot(clip_dir) == before


def test_eval_never_writes_into_an_input(clip_dir):
    before = _snapshot(clip_dir)
    for option, target in (("--json", clip_dir / "masks" / "00000.png"), ("--csv", clip_dir / "gt" / "r.csv"),
                           ("--plot", clip_dir / "frames" / "plots"), ("--json", clip_dir / "report.json")):
        res = tempcons("eval", clip_dir / "masks", "--gt", clip_dir / "gt", "--frames", clip_dir / "frames",
                        option, target, "--overwrite", "--quiet")
        if target.parent == clip_dir:  # beside the inputs, not inside one: allowed
            assert res.returncode == 0, res.stderr
            target.unlink()
            continue
        _one_line_error(res, option, "input")
    assert _snapshot(clip_dir) == before


# 5. run finds the user's segmenter where the user is.

def test_run_finds_a_segmenter_in_the_current_folder_or_by_path(tmp_path):
    clip = tc.synthetic.make_clip(n_frames=4, height=48, width=64, seed=5)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    (tmp_path / "myseg.py").write_text("def segment(frame):\n    return frame.mean(axis=2) > 100\n")
    res = _console_script("run", "in.avi", "--segmenter", "myseg:segment", "-o", "out", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "out").glob("*.png"))) == 4
    (tmp_path / "lib").mkdir()
    (tmp_path / "myseg.py").rename(tmp_path / "lib" / "seg_file.py")
    res = _console_script("run", "in.avi", "--segmenter", "lib/seg_file.py:segment", "-o", "out2", "--quiet",
                          cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "out2").glob("*.png"))) == 4


# 6, 9. eval streams its sources, accepts every mask form stabilize does, --quiet keeps the results.

def test_eval_reads_jpg_masks_and_mask_videos_and_quiet_keeps_the_table(clip_dir, tmp_path):
    masks = np.stack(list(open_masks(clip_dir / "masks")))
    (tmp_path / "jpg").mkdir()
    for t, m in enumerate(masks):
        cv2.imwrite(str(tmp_path / "jpg" / f"{t:05d}.jpg"), m)
    tc.io.write_video(tmp_path / "masks.avi", masks, fps=10)
    for pred in (tmp_path / "jpg", tmp_path / "masks.avi"):
        res = tempcons("eval", pred, "--gt", clip_dir / "gt", "--quiet")
        assert res.returncode == 0, res.stderr
        rows = res.stdout.strip().splitlines()
        assert rows[0].split()[0] == "clip" and rows[-1].startswith("dataset") and "J&F" in rows[0]
        j = float(rows[1].split()[rows[0].split().index("J")])
        assert j > 0.5


# 8. 16-bit mattes through the command.

def test_sixteen_bit_mattes_go_through_and_come_back_sixteen_bit(clip_dir, tmp_path):
    clip = tc.synthetic.make_clip(n_frames=5, height=48, width=64, seed=3)
    matte = np.round(clip.masks * 65535).astype(np.uint16)
    writer = MaskWriter(tmp_path / "pha", mode="I;16")
    for t, m in enumerate(matte):
        writer.write(f"{t:05d}", m)
    np.save(tmp_path / "frames.npy", clip.frames)
    res = tempcons("stabilize", tmp_path / "frames.npy", tmp_path / "pha", "-o", tmp_path / "out", "--kind",
                    "alpha", "--quiet")
    assert res.returncode == 0, res.stderr
    out = open_masks(tmp_path / "out")
    assert out.mode == "I;16"
    values = np.stack(list(out))
    assert values.dtype == np.uint16 and values.max() > 60000 and len(np.unique(values)) > 256


# 10. One line for every failure.

def test_a_failing_segmenter_is_one_line_naming_it_and_the_frame(tmp_path):
    res = _run_segmenter(tmp_path, "n = 0\ndef segment(frame):\n    global n\n    n += 1\n"
                                   "    if n == 3:\n        raise RuntimeError('out of memory')\n"
                                   "    return frame.mean(axis=2) > 100\n", "--quiet")
    _one_line_error(res, "seg:segment", "RuntimeError", "frame 2", "out of memory")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_a_bad_background_names_the_option(clip_dir, tmp_path):
    res = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", tmp_path / "m",
                    "--composite", "#zzzzzz", "--composite-out", tmp_path / "c.avi", "--quiet")
    _one_line_error(res, "--composite", "#zzzzzz")
    assert not (tmp_path / "m").exists() and not (tmp_path / "c.avi").exists()


def test_out_of_range_masks_name_the_value(clip_dir, tmp_path):
    masks = np.stack(list(open_masks(clip_dir / "masks"))).astype(np.float32) / 255
    masks[3, 10, 10] = 1.0000001  # just above 1: a range printed as "[0, 1]" would hide it
    np.save(tmp_path / "m.npy", masks)
    for latency in ("2", "offline"):  # the streaming and the whole-clip checks
        res = tempcons("stabilize", clip_dir / "frames", tmp_path / "m.npy", "-o", tmp_path / "o", "--quiet",
                        "--latency", latency)
        _one_line_error(res, "1.0000001")


def test_a_missing_optional_module_is_one_line(tmp_path):
    res = _run_segmenter(tmp_path, "def segment(frame):\n    import not_installed_runtime\n", "--quiet")
    _one_line_error(res, "seg:segment", "not_installed_runtime", "pip install")


def test_ctrl_c_exits_130_and_leaves_nothing(tmp_path):
    res = _run_segmenter(tmp_path, "import time, signal, os\nn = 0\ndef segment(frame):\n    global n\n"
                                   "    n += 1\n    if n == 2:\n        os.kill(os.getpid(), signal.SIGINT)\n"
                                   "        time.sleep(5)\n    return frame.mean(axis=2) > 100\n")
    assert res.returncode == 130 and res.stderr.strip().splitlines()[-1] == "tempcons run: interrupted", res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
