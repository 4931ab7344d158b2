"""Reading and writing: palette and 16-bit PNGs kept exactly, videos, arrays, dataset layouts."""

import numpy as np
import pytest
from PIL import Image

from tempcons.io import MaskWriter, find_sequences, open_frames, open_masks, write_video
from tempcons.synthetic import make_clip

PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [7] * (768 - 12)


def _palette_pngs(folder, ids):
    folder.mkdir(parents=True)
    for t, frame in enumerate(ids):
        im = Image.fromarray(frame, "P")
        im.putpalette(PALETTE)
        im.save(folder / f"{t:05d}.png")


def test_palette_png_round_trip_keeps_indices_and_palette(tmp_path):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 4, (3, 10, 12)).astype(np.uint8)
    _palette_pngs(tmp_path / "in", ids)
    src = open_masks(tmp_path / "in")
    assert src.mode == "P" and src.palette == PALETTE and len(src) == 3
    read = np.stack(list(src))
    np.testing.assert_array_equal(read, ids)
    writer = MaskWriter(tmp_path / "out", mode=src.mode, palette=src.palette)
    for name, frame in zip(src.names, read):
        writer.write(name, frame)
    for t in range(3):
        a, b = Image.open(tmp_path / "in" / f"{t:05d}.png"), Image.open(tmp_path / "out" / f"{t:05d}.png")
        assert b.mode == "P" and b.getpalette() == a.getpalette()
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_sixteen_bit_pngs_are_kept(tmp_path):
    ids = (np.arange(2 * 6 * 7).reshape(2, 6, 7) * 997 % 65536).astype(np.uint16)
    writer = MaskWriter(tmp_path / "a", mode="I;16")
    for t in range(2):
        writer.write(f"{t}", ids[t])
    src = open_masks(tmp_path / "a")
    assert src.mode == "I;16"
    np.testing.assert_array_equal(np.stack(list(src)), ids)


def test_writer_never_overwrites_unless_told(tmp_path):
    writer = MaskWriter(tmp_path / "w")
    writer.write("a", np.zeros((4, 4), np.uint8))
    with pytest.raises(FileExistsError, match="overwrite"):
        MaskWriter(tmp_path / "w").write("a", np.ones((4, 4), np.uint8))
    MaskWriter(tmp_path / "w", overwrite=True).write("a", np.ones((4, 4), np.uint8))
    assert np.asarray(Image.open(tmp_path / "w" / "a.png")).max() == 1


def test_video_write_read_keeps_count_and_size(tmp_path):
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 255, (7, 32, 48, 3), np.uint8)
    assert write_video(tmp_path / "v.avi", frames, fps=10) == 7
    src = open_frames(tmp_path / "v.avi")
    assert src.size == (32, 48) and src.fps == pytest.approx(10)
    read = list(src)
    assert len(read) == 7 and read[0].shape == (32, 48, 3) and read[0].dtype == np.uint8
    with pytest.raises(FileExistsError):
        write_video(tmp_path / "v.avi", frames)


def test_frames_from_arrays_and_folders(tmp_path):
    frames = np.random.default_rng(2).integers(0, 255, (4, 8, 10, 3), np.uint8)
    np.save(tmp_path / "f.npy", frames)
    np.testing.assert_array_equal(np.stack(list(open_frames(tmp_path / "f.npy"))), frames)
    (tmp_path / "imgs").mkdir()
    for t in range(4):
        Image.fromarray(frames[t]).save(tmp_path / "imgs" / f"{t:03d}.png")
    np.testing.assert_array_equal(np.stack(list(open_frames(tmp_path / "imgs"))), frames)  # RGB kept


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        open_frames(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images"):
        open_frames(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "0.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="0.png"):
        open_masks(tmp_path / "broken")
    np.save(tmp_path / "bad.npy", np.zeros((3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        open_frames(tmp_path / "bad.npy")


def test_dataset_layouts_are_recognised(tmp_path):
    for rel in ("davis/JPEGImages/480p/bear", "davis/Annotations/480p/bear", "davis/mymethod/bear",
                "vspw/data/v1/origin",
                "vspw/data/v1/mask", "rvm/clip1/com", "rvm/clip1/pha", "rvm/clip1/raw_x",
                "plain/s1/frames", "plain/s1/masks", "plain/s1/gt"):
        (tmp_path / rel).mkdir(parents=True)
    davis = find_sequences(tmp_path / "davis", masks="mymethod")
    assert [(s.name, s.layout, s.masks.parent.name, s.truth.parent.name) for s in davis] == [
        ("bear", "davis", "mymethod", "480p")]
    assert find_sequences(tmp_path / "davis")[0].masks is None
    vspw = find_sequences(tmp_path / "vspw")
    assert vspw[0].layout == "vspw" and vspw[0].truth.name == "mask"
    rvm = find_sequences(tmp_path / "rvm", masks="raw_x")
    assert rvm[0].layout == "rvm" and rvm[0].masks.name == "raw_x" and rvm[0].truth.name == "pha"
    plain = find_sequences(tmp_path / "plain")
    assert plain[0].masks.name == "masks" and plain[0].truth.name == "gt"
    (tmp_path / "nothing").mkdir()
    with pytest.raises(ValueError, match="no dataset layout"):
        find_sequences(tmp_path / "nothing")


def test_a_range_of_frames_or_masks_is_that_slice_of_the_whole(tmp_path):
    # What a chunk of a long clip reads: folders, arrays and videos alike (a video decodes and
    # drops the frames before the range).
    clip = make_clip(n_frames=9, height=48, width=64)
    write_video(tmp_path / "clip.avi", clip.frames)
    np.save(tmp_path / "frames.npy", clip.frames)
    writer = MaskWriter(tmp_path / "masks")
    for t, m in enumerate(clip.masks):
        writer.write(f"{t:05d}", m)
    np.save(tmp_path / "masks.npy", clip.masks)
    sources = [open_frames(tmp_path / "clip.avi"), open_frames(tmp_path / "frames.npy"),
               open_masks(tmp_path / "masks"), open_masks(tmp_path / "masks.npy"),
               open_masks(tmp_path / "clip.avi")]
    for source in sources:
        whole = list(source)
        for start, stop in ((0, 3), (4, 9), (6, None), (8, 9)):
            part = list(source.range(start, stop))
            assert len(part) == len(whole[start:stop]) and all((a == b).all() for a, b in zip(part, whole[start:stop]))
