"""Segmenters by name: your function, or MediaPipe's selfie models built in.

The MediaPipe tests need MediaPipe 0.10.14 (README: one install line); they skip without it,
and CI runs them after installing it, on the shared clips when they are present.
"""

import sys

import cv2
import numpy as np
import pytest
from PIL import Image

import tempcons as tc
from shared import REAL, needs
from tempcons.cli import main
from tempcons.segmenters import MEDIAPIPE_INSTALL, MediaPipeSelfie, load_segmenter


def test_a_function_by_module_or_by_file(tmp_path):
    (tmp_path / "seg.py").write_text("def segment(frame):\n    return frame[..., 0] > 100\nvalue = 3\n")
    fn = load_segmenter(f"{tmp_path / 'seg.py'}:segment")
    frame = np.full((4, 5, 3), 200, np.uint8)
    assert fn(frame).all()
    assert load_segmenter("numpy:mean")(np.ones(3)) == 1.0
    for spec, says in ((f"{tmp_path / 'nope.py'}:segment", "no such file"),
                       (f"{tmp_path / 'seg.py'}:other", "has no 'other'"),
                       (f"{tmp_path / 'seg.py'}:value", "value is not callable"),
                       ("segment", "'module:function'"),
                       ("mediapipe:portrait", "models here are")):
        with pytest.raises(ValueError, match=says):
            load_segmenter(spec)
    with pytest.raises(TypeError, match="spec must be a str"):
        load_segmenter(print)


def test_a_missing_mediapipe_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe now raises ImportError
    with pytest.raises(ImportError) as caught:
        load_segmenter("mediapipe")
    assert MEDIAPIPE_INSTALL in str(caught.value) and "0.10.14" in str(caught.value)


def test_the_command_names_a_missing_mediapipe_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    tc.io.write_video(tmp_path / "in.avi", tc.synthetic.make_clip(n_frames=3, height=48, width=64).frames)
    assert main(["run", str(tmp_path / "in.avi"), "--segmenter", "mediapipe", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--no-deps mediapipe==0.10.14" in err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def mediapipe():
    return pytest.importorskip("mediapipe")


@pytest.mark.parametrize("model", ["general", "landscape"])
def test_mediapipe_gives_soft_masks_at_the_frames_size(mediapipe, model):
    clip = tc.synthetic.make_clip(n_frames=2, height=96, width=128)
    with MediaPipeSelfie(model) as seg:
        masks = [seg(frame) for frame in clip.frames]
        with pytest.raises(ValueError, match="uint8 RGB"):
            seg(clip.frames[0][..., 0])
    assert all(m.shape == (96, 128) and m.dtype == np.float32 and 0 <= m.min() <= m.max() <= 1 for m in masks)


@needs(REAL)
def test_mediapipe_equals_the_shared_clips_own_mediapipe_output(mediapipe):
    # raw_mediapipe_selfie was made with MediaPipe's legacy general model from the same JPEGs
    # (decoded by Pillow, as tempcons reads them), saved as round(255 p).
    folder = REAL / "parkour"
    seg = load_segmenter("mediapipe")
    for name in ("00000", "00040", "00080"):
        frame = np.asarray(Image.open(folder / "frames" / f"{name}.jpg").convert("RGB"))
        ours = np.clip(np.rint(seg(frame) * 255), 0, 255).astype(int)
        theirs = np.asarray(Image.open(folder / "raw_mediapipe_selfie" / f"{name}.png")).astype(int)
        assert np.abs(ours - theirs).max() <= 1, name


def test_the_command_runs_mediapipe_end_to_end(mediapipe, tmp_path):
    clip = tc.synthetic.make_clip(n_frames=6, height=96, width=128)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    assert main(["run", str(tmp_path / "in.avi"), "--segmenter", "mediapipe:landscape", "-o", str(tmp_path / "out"),
                 "--latency", "1", "--quiet"]) == 0
    masks = [np.asarray(Image.open(p)) for p in sorted((tmp_path / "out").glob("*.png"))]
    assert len(masks) == 6 and all(m.shape == (96, 128) and m.dtype == np.uint8 for m in masks)


@needs(REAL)
def test_run_with_mediapipe_on_a_lossless_video_keeps_raw_and_stable_masks(mediapipe, tmp_path):
    # The judged command: a lossless (FFV1) copy of parkour, MediaPipe, alpha and composite, --raw.
    folder = REAL / "parkour"
    frames = np.stack(list(tc.io.open_frames(folder / "frames")))
    writer = cv2.VideoWriter(str(tmp_path / "parkour.avi"), cv2.VideoWriter_fourcc(*"FFV1"), 24,
                             frames.shape[2:0:-1])
    for frame in frames:
        writer.write(frame[..., ::-1])
    writer.release()
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "parkour.avi"), "--segmenter", "mediapipe", "--output-type", "alpha",
                 "composite", "--raw", "-o", str(out), "--quiet"]) == 0

    def read(sub):
        return np.stack([np.asarray(Image.open(p)) for p in sorted((out / sub).glob("*.png"))])

    raw, alpha, composite = read("raw"), read("alpha"), read("composite")
    shared = np.stack([np.asarray(Image.open(p)) for p in sorted((folder / "raw_mediapipe_selfie").glob("*.png"))])
    assert raw.shape == shared.shape == alpha.shape and np.abs(raw.astype(int) - shared).max() <= 1
    assert all((composite[t] == tc.composite(frames[t], alpha[t], (0, 0xB1, 0x40))).all() for t in (0, 50, 99))
    # The stable mattes score as `stabilize` on the raw masks does (the command stabilizes MediaPipe's
    # floats, the raw PNGs round them to 8 bits).
    again = tc.stabilize(frames, raw, latency=2, preset="balanced")
    gt = np.stack([np.asarray(Image.open(p)) > 127 for p in sorted((folder / "gt").glob("*.png"))])
    j_run = tc.metrics.region_similarity(alpha > 127, gt).mean()
    j_again = tc.metrics.region_similarity(again > 127, gt).mean()
    assert abs(j_run - j_again) < 0.002
    flicker_run = float(tc.metrics.warping_error(alpha > 127, frames))
    flicker_again = float(tc.metrics.warping_error(again > 127, frames))
    assert flicker_run == pytest.approx(flicker_again, rel=0.03)
