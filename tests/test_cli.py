"""The command line, run as users run it (in a subprocess, on small generated clips)."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

import tempcons as tc
from clips import PALETTE, tempcons, write_clip
from tempcons.metrics import evaluate


def test_demo_prints_before_and_after(tmp_path):
    out = tmp_path / "strip.png"
    res = subprocess.run([sys.executable, "-m", "tempcons.cli", "demo", "--frames", "8", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "raw" in res.stdout and "tempcons balanced offline" in res.stdout
    assert out.exists() and out.stat().st_size > 1000
    again = subprocess.run([sys.executable, "-m", "tempcons.cli", "demo", "--frames", "8", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and (tmp_path / "strip-2.png").exists()  # never overwrites


def test_usage_error_exit_code():
    res = subprocess.run([sys.executable, "-m", "tempcons.cli", "demo", "--frames", "1"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "--frames" in res.stderr



@pytest.fixture
def clip_dir(tmp_path):
    """A small clip on disk: PNG frames, soft 8-bit masks, palette ground truth."""
    root = tmp_path / "data" / "walker"
    write_clip(root)
    return root


def test_stabilize_writes_the_same_form(clip_dir, tmp_path):
    out = tmp_path / "out"
    res = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", out, "--quiet")
    assert res.returncode == 0, res.stderr
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == sorted(f.name for f in (clip_dir / "masks").glob("*.png"))
    im = Image.open(files[0])
    assert im.mode == "L" and im.size == (64, 48)
    # palette ground truth in, palette labels out, palette kept
    res = tempcons("stabilize", clip_dir / "frames", clip_dir / "gt", "-o", tmp_path / "ids", "--quiet",
                    "--latency", "offline", "--video", tmp_path / "ids.avi")
    assert res.returncode == 0, res.stderr
    im = Image.open(tmp_path / "ids" / "00003.png")
    assert im.mode == "P" and im.getpalette()[:6] == PALETTE[:6] and set(np.unique(np.asarray(im))) <= {0, 1}
    assert len(list(tc.io.open_frames(tmp_path / "ids.avi"))) == 6


def test_overwrite_bad_paths_and_mismatches_fail_in_one_line(clip_dir, tmp_path):
    out = tmp_path / "out"
    assert tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", out, "--quiet").returncode == 0
    again = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", out, "--quiet")
    assert again.returncode == 1 and "--overwrite" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", out, "--quiet",
                     "--overwrite").returncode == 0
    missing = tempcons("stabilize", tmp_path / "nope", clip_dir / "masks", "-o", tmp_path / "o2", "--quiet")
    assert missing.returncode == 1 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    (clip_dir / "masks" / "00005.png").unlink()
    short = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", tmp_path / "o3", "--quiet")
    assert short.returncode == 1 and "6 frames" in short.stderr and "5 masks" in short.stderr
    usage = tempcons("stabilize", clip_dir / "frames", "--latency", "-3", "-o", tmp_path / "o4")
    assert usage.returncode == 2


def test_eval_numbers_equal_the_library(clip_dir, tmp_path):
    report = tmp_path / "report.json"
    res = tempcons("eval", clip_dir / "masks", "--gt", clip_dir / "gt", "--frames", clip_dir / "frames",
                    "--json", report, "--csv", tmp_path / "report.csv", "--quiet")
    assert res.returncode == 0, res.stderr
    data = json.loads(report.read_text())
    masks = np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((clip_dir / "masks").glob("*.png"))])
    gt = np.stack([np.asarray(Image.open(p)) for p in sorted((clip_dir / "gt").glob("*.png"))])
    frames = np.stack([cv2.imread(str(p))[..., ::-1] for p in sorted((clip_dir / "frames").glob("*.png"))])
    direct = evaluate(masks, gt=gt, frames=frames)
    for name, metric in direct.metrics.items():
        assert data["clips"][0]["metrics"][name]["value"] == pytest.approx(metric.value, rel=1e-9, abs=1e-12)
    assert (tmp_path / "report.csv").read_text().startswith("clip,")


def test_batch_is_resumable(clip_dir, tmp_path):
    root = clip_dir.parent
    first = tempcons("batch", root, "-o", tmp_path / "b", "--quiet")
    assert first.returncode == 0, first.stderr
    assert len(list((tmp_path / "b" / "walker").glob("*.png"))) == 6
    second = tempcons("batch", root, "-o", tmp_path / "b")
    assert second.returncode == 0 and "skipped 1" in second.stdout


def test_run_wraps_a_users_segmenter(tmp_path):
    clip = tc.synthetic.make_clip(n_frames=5, height=48, width=64, seed=5)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    (tmp_path / "myseg.py").write_text("def segment(frame):\n    return frame.mean(axis=2) > 100\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    res = tempcons("run", tmp_path / "in.avi", "--segmenter", "myseg:segment", "-o", tmp_path / "out",
                    "--latency", "1", "--quiet", env=env)
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "out").glob("*.png"))) == 5
    bad = tempcons("run", tmp_path / "in.avi", "--segmenter", "myseg:nothing", "-o", tmp_path / "o2", "--quiet",
                    env=env)
    assert bad.returncode == 1 and "nothing" in bad.stderr


def test_composite_over_a_colour(clip_dir, tmp_path):
    res = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", tmp_path / "m",
                    "--composite", "#00ff00", "--composite-out", tmp_path / "call.avi", "--quiet")
    assert res.returncode == 0, res.stderr
    frames = list(tc.io.open_frames(tmp_path / "call.avi"))
    assert len(frames) == 6 and frames[0].shape == (48, 64, 3)
    assert frames[0][0, 0, 1] > 200 and frames[0][0, 0, 0] < 60  # the corner is background: green
    lonely = tempcons("stabilize", clip_dir / "frames", clip_dir / "masks", "-o", tmp_path / "n",
                       "--composite", "blur", "--quiet")
    assert lonely.returncode == 1 and "--composite-out" in lonely.stderr


def test_eval_without_ground_truth_measures_flicker(clip_dir):
    res = tempcons("eval", clip_dir / "masks", "--frames", clip_dir / "frames", "--metrics", "flip_rate",
                    "warping_error")
    assert res.returncode == 0, res.stderr
    assert "flip_rate" in res.stdout and "warping_error" in res.stdout and "dataset" in res.stdout


def test_a_video_longer_than_its_masks_is_an_error(clip_dir, tmp_path):
    frames = np.stack(list(tc.io.open_frames(clip_dir / "frames")))
    tc.io.write_video(tmp_path / "clip.avi", frames, fps=10)
    (clip_dir / "masks" / "00005.png").unlink()
    res = tempcons("stabilize", tmp_path / "clip.avi", clip_dir / "masks", "-o", tmp_path / "o", "--quiet")
    assert res.returncode == 1 and "more frames" in res.stderr


def test_eval_plots_flicker_timelines(clip_dir, tmp_path):
    res = tempcons("eval", clip_dir / "masks", "--frames", clip_dir / "frames", "--plot", tmp_path / "plots",
                    "--quiet")
    assert res.returncode == 0, res.stderr
    plot = tmp_path / "plots" / "masks_flicker.png"
    assert plot.exists() and plot.stat().st_size > 5000
    again = tempcons("eval", clip_dir / "masks", "--plot", tmp_path / "plots", "--quiet")
    assert again.returncode == 1 and "--overwrite" in again.stderr


def test_run_writes_each_output_type_and_the_raw_masks(tmp_path):
    clip = tc.synthetic.make_clip(n_frames=5, height=48, width=64, seed=6)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    (tmp_path / "myseg.py").write_text("def segment(frame):\n    return (frame.mean(axis=2) / 255.0).astype('float32')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = tmp_path / "out"
    res = tempcons("run", tmp_path / "in.avi", "--segmenter", "myseg:segment", "-o", out, "--latency", "1",
                   "--output-type", "alpha", "composite", "foreground", "--background", "10,20,30", "--raw",
                   "--quiet", env=env)
    assert res.returncode == 0, res.stderr
    frames = list(tc.io.open_frames(tmp_path / "in.avi"))
    for t, frame in enumerate(frames):
        alpha = np.asarray(Image.open(out / "alpha" / f"{t:05d}.png"))
        raw = np.asarray(Image.open(out / "raw" / f"{t:05d}.png"))
        assert alpha.dtype == np.uint8 and alpha.shape == (48, 64)
        np.testing.assert_array_equal(raw, np.round(frame.mean(axis=2) / 255.0 * 255).astype(np.uint8))
        np.testing.assert_array_equal(np.asarray(Image.open(out / "composite" / f"{t:05d}.png")),
                                      tc.composite(frame, alpha, (10, 20, 30)))
        foreground = np.asarray(Image.open(out / "foreground" / f"{t:05d}.png"))
        assert foreground.shape == (48, 64, 4)
        np.testing.assert_array_equal(foreground[..., 3], alpha)
    # The stable mattes are the stabilized raw ones (the raw PNGs round the segmenter's floats).
    raw = np.stack([np.asarray(Image.open(out / "raw" / f"{t:05d}.png")) for t in range(5)])
    again = tc.stabilize(np.stack(frames), raw, latency=1, preset="balanced")
    stable = np.stack([np.asarray(Image.open(out / "alpha" / f"{t:05d}.png")) for t in range(5)])
    assert np.abs(stable.astype(int) - again.astype(int)).max() <= 2
    one = tempcons("run", tmp_path / "in.avi", "--segmenter", "myseg:segment", "-o", tmp_path / "one",
                   "--output-type", "composite", "--quiet", env=env)
    assert one.returncode == 0 and len(list((tmp_path / "one").glob("*.png"))) == 5  # one output: the folder is it
    bad = tempcons("run", tmp_path / "in.avi", "--segmenter", "myseg:segment", "-o", tmp_path / "bad",
                   "--output-type", "composite", "--background", "nope", "--quiet", env=env)
    assert bad.returncode == 1 and "--background" in bad.stderr and not (tmp_path / "bad").exists()


def test_run_composites_a_segmenter_of_instance_ids(tmp_path):
    clip = tc.synthetic.make_clip(n_frames=4, height=48, width=64, seed=7)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    (tmp_path / "ids.py").write_text("import numpy as np\ndef segment(frame):\n"
                                     "    return np.where(frame.mean(axis=2) > 100, 300, 0).astype(np.int32)\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    res = tempcons("run", tmp_path / "in.avi", "--segmenter", "ids:segment", "-o", tmp_path / "out",
                   "--kind", "instances", "--output-type", "mask", "alpha", "--quiet", env=env)
    assert res.returncode == 0, res.stderr
    ids = np.asarray(Image.open(tmp_path / "out" / "mask" / "00000.png"))
    alpha = np.asarray(Image.open(tmp_path / "out" / "alpha" / "00000.png"))
    np.testing.assert_array_equal(alpha, np.where(ids > 0, 255, 0))  # any object is foreground


def _video_with_audio(path, frames, fps=12):
    """An H.264 MP4 of ``frames`` with a second of AAC tone, as a phone records."""
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        for frame in frames:
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        tone = av.AudioFrame.from_ndarray((0.2 * np.sin(np.arange(48000, dtype=np.float32) / 8))[None],
                                          format="fltp", layout="mono")
        tone.sample_rate = 48000
        for packet in [*audio.encode(tone), *audio.encode(), *video.encode()]:
            out.mux(packet)


def test_run_writes_h264_videos_with_the_inputs_rate_and_audio(tmp_path):
    av = pytest.importorskip("av")
    clip = tc.synthetic.make_clip(n_frames=6, height=48, width=64, seed=8)
    _video_with_audio(tmp_path / "in.mp4", clip.frames)
    (tmp_path / "myseg.py").write_text("def segment(frame):\n    return (frame.mean(axis=2) / 255.0).astype('float32')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    res = tempcons("run", tmp_path / "in.mp4", "--segmenter", "myseg:segment", "-o", tmp_path / "out", "--mp4",
                   "--output-type", "mask", "composite", "foreground", "--raw", env=env)
    assert res.returncode == 0, res.stderr
    assert "audio copied (aac)" in res.stdout
    for name, streams in (("composite.mp4", ["h264", "aac"]), ("mask.mp4", ["h264"]), ("raw.mp4", ["h264"])):
        with av.open(str(tmp_path / "out" / name)) as video:
            assert [s.codec_context.name for s in video.streams] == streams, name
            assert video.streams.video[0].average_rate == 12
            assert sum(1 for _ in video.decode(video=0)) == 6
    assert len(list((tmp_path / "out" / "foreground").glob("*.png"))) == 6  # MP4 holds no alpha
