"""tempcons.compare and `tempcons compare`: mask sets side by side, changed pixels, flicker timeline."""

import numpy as np
import pytest
from PIL import Image

from tempcons.cli import main
from tempcons.compare import changed_pixels, compare_strip, side_by_side
from tempcons.demo import run_demo
from tempcons.io import open_frames


def _sets(t=5, h=32, w=48):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (t, h, w, 3), dtype=np.uint8)
    raw = np.zeros((t, h, w), np.uint8)
    raw[:, 8:24, 10:30] = 255
    raw[2, 0:4, 0:8] = 255  # a one-frame blob: it appears at frame 2 and leaves at frame 3
    stable = raw.copy()
    stable[2, 0:4, 0:8] = 0
    return frames, raw, stable


def test_changed_pixels_of_values_and_of_ids():
    assert changed_pixels(np.array([0.0, 0.3, 1.0]), np.array([0.2, 0.6, 0.0])).tolist() == [False, True, True]
    assert changed_pixels(np.array([0.0]), np.array([0.2]), threshold=0.1).tolist() == [True]
    assert changed_pixels(np.array([1, 2, 2]), np.array([1, 3, 2])).tolist() == [False, True, False]


def test_side_by_side_marks_what_changed_and_counts_it():
    frames, raw, stable = _sets()
    out = list(side_by_side(frames, {"raw": raw, "stable": stable}))
    assert len(out) == 5
    image, shares = out[2]
    assert image.shape == (32 + 22, 2 * 48 + 4, 3)
    assert shares == {"raw": 32 / (32 * 48), "stable": 0.0}
    assert out[3][1]["raw"] == 32 / (32 * 48) and out[0][1] == {"raw": 0.0, "stable": 0.0}
    # The blob's pixels are magenta on the raw side only.
    assert (image[22 + 1, 2] == [255, 0, 255]).all() and not (image[22 + 1, 48 + 4 + 2] == [255, 0, 255]).all()
    ids = np.where(raw > 0, 1, 0).astype(np.uint8)
    ids[3] = np.where(raw[3] > 0, 2, 0)  # the same region under a new id: every pixel of it changed
    _, shares = list(side_by_side(frames, {"a": ids, "b": ids}, ids=True))[3]
    assert shares["a"] == (16 * 20 + 32) / (32 * 48)


def test_bad_inputs_are_named():
    frames, raw, stable = _sets()
    with pytest.raises(ValueError, match="stable mask 0 has shape"):
        list(side_by_side(frames, {"raw": raw, "stable": stable[:, :16]}))
    with pytest.raises(ValueError, match="frame 0 must be an .H, W, 3. uint8"):
        list(side_by_side(frames[..., 0], {"raw": raw}))
    with pytest.raises(ValueError, match="at least 2 frames"):
        compare_strip(frames[:1], {"raw": raw[:1]})
    with pytest.raises(ValueError, match="stable ended at frame 4, before the frames, raw"):
        list(side_by_side(frames, {"raw": raw, "stable": stable[:4]}))


def test_strip_has_a_row_per_set_below_the_frames():
    frames, raw, stable = _sets()
    strip, shares = compare_strip(frames, {"raw": raw, "stable": stable}, columns=3)
    assert strip.shape == (3 * (32 + 22), 3 * 48, 3)
    assert shares == {label: [s[label] for _, s in side_by_side(frames, {"raw": raw, "stable": stable})]
                      for label in ("raw", "stable")}


def _write(folder, images):
    folder.mkdir()
    for t, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{t:05d}.png")


def test_command_writes_a_video_a_strip_and_a_timeline(tmp_path, capsys):
    frames, raw, stable = _sets(t=6, h=64, w=80)
    for name, images in (("frames", frames), ("raw", raw), ("stable", stable)):
        _write(tmp_path / name, images)
    base = ["compare", str(tmp_path / "frames"), str(tmp_path / "raw"), str(tmp_path / "stable"), "--quiet"]
    assert main(base + ["-o", str(tmp_path / "side.avi"), "--fps", "12"]) == 0
    video = open_frames(tmp_path / "side.avi")
    assert len(video) == 6 and video.size == (64 + 22, 2 * 80 + 4) and video.fps == pytest.approx(12)
    assert (tmp_path / "side_timeline.png").stat().st_size > 1000
    av = pytest.importorskip("av")
    assert main(base + ["-o", str(tmp_path / "side.mp4"), "--fps", "12", "--no-timeline"]) == 0
    with av.open(str(tmp_path / "side.mp4")) as video:  # H.264, which browsers play
        stream = video.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.average_rate == 12
        assert (stream.height, stream.width) == (64 + 22, 2 * 80 + 4) and sum(1 for _ in video.decode(video=0)) == 6
    assert main(base + ["-o", str(tmp_path / "strip.png"), "--labels", "before", "after", "--no-timeline"]) == 0
    assert np.asarray(Image.open(tmp_path / "strip.png")).shape == (3 * (64 + 22), 5 * 80, 3)
    assert not (tmp_path / "strip_timeline.png").exists()
    for extra, says in ((["-o", str(tmp_path / "side.avi")], "--overwrite"),
                        (["-o", str(tmp_path / "raw" / "x.png")], "lies inside the input"),
                        (["-o", str(tmp_path / "x.gif")], "write a video"),
                        (["-o", str(tmp_path / "y.png"), "--labels", "one"], "2 different names")):
        assert main(base + extra) == 1 and says in capsys.readouterr().err
    assert main(base[:3] + ["-o", str(tmp_path / "z.png")]) == 1
    assert "at least two mask sets" in capsys.readouterr().err


def test_demo_picture_comes_from_compare(tmp_path):
    run_demo(tmp_path / "demo.png", n_frames=6, height=48, width=64, echo=lambda *_: None)
    strip = np.asarray(Image.open(tmp_path / "demo.png"))
    assert strip.shape == (4 * (48 + 22), 5 * 64, 3)  # frame, raw, stabilized, truth; 5 of 6 frames
