"""Properties of every reader/writer pair, over dtypes, PNG forms, sizes, palettes and contents.

What the mask writer accepts reads back as written (integers exactly, floats within half a
quantisation step, the form and palette kept); what it refuses names the file and leaves no file;
frames come back exactly from image folders and arrays, and with their count and size from videos;
a damaged file is a ValueError that names it, whatever the damage.
"""

import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, note, settings, strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from tempcons.io import MaskWriter, open_frames, open_masks, write_video

DTYPES = ("bool", "uint8", "uint16", "int32", "int64", "float32", "float64")
MODES = (None, "L", "I;16", "P")


def examples(n: int) -> settings:
    """``n`` examples, no deadline (file I/O), no example database left in the working tree."""
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


sizes = st.tuples(st.integers(1, 40), st.integers(1, 40))
# Random full palettes (256 colours, 768 values) and trimmed ones (fewer colours, as PLTE may be).
palettes = st.one_of(st.just(256), st.integers(1, 255)).flatmap(
    lambda n: st.binary(min_size=3 * n, max_size=3 * n)).map(list)


def _form(dtype: np.dtype, mode: str | None) -> str:
    """The PNG form MaskWriter picks: the mode asked for, else from the dtype."""
    if mode is not None:
        return mode
    return "L" if dtype in (np.bool_, np.uint8) or dtype.kind == "f" else "I;16"


def _top(dtype: np.dtype, form: str, colours: int) -> int:
    """The largest integer the form holds (and the dtype can express)."""
    top = {"L": 255, "I;16": 65535, "P": colours - 1}[form]
    return min(top, int(np.iinfo(dtype).max)) if dtype.kind in "ui" else top


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@st.composite
def writable(draw):
    """(mode, palette, mask) the writer must accept: values each form holds exactly."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    mode = draw(st.sampled_from(MODES))
    palette = draw(palettes) if mode == "P" else None
    if mode == "P" and dtype.kind == "f":
        mode = draw(st.sampled_from((None, "L", "I;16")))  # floats never go into a palette PNG
        palette = None
    form, shape = _form(dtype, mode), draw(sizes)
    colours = len(palette) // 3 if palette else 256
    if dtype == np.bool_:
        if form == "P" and colours < 2:
            elements = st.just(False)
        else:
            elements = st.booleans()
    elif dtype.kind == "f":
        width = 32 if dtype == np.float32 else 64
        content = draw(st.sampled_from(("binary", "soft")))
        elements = (st.sampled_from((0.0, 1.0)) if content == "binary"
                    else st.floats(0, 1, width=width, allow_subnormal=True))
    else:
        top = _top(dtype, form, colours)
        content = draw(st.sampled_from(("binary", "labels", "ids")))
        elements = {"binary": st.sampled_from(sorted({0, min(255, top)})),
                    "labels": st.integers(0, min(top, 20)),
                    "ids": st.integers(0, top)}[content]
    mask = draw(hnp.arrays(dtype, shape, elements=elements))
    if draw(st.booleans()):
        mask = mask.T  # a non-contiguous view is written as the array it shows
    return mode, palette, mask


@examples(200)
@given(case=writable())
def test_what_the_writer_accepts_reads_back_as_written(case):
    mode, palette, mask = case
    form = _form(mask.dtype, mode)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "masks"
        path = MaskWriter(folder, mode=mode, palette=palette).write("00000", mask)
        assert path == folder / "00000.png" and _files(folder) == ["00000.png"]
        src = open_masks(folder)
        (read,) = list(src)
        assert src.mode == form and src.size == mask.shape and read.shape == mask.shape
        assert src.palette == palette  # full or trimmed, kept as given (None for grey)
        assert read.dtype == (np.uint16 if form == "I;16" else np.uint8)
        top = 65535 if form == "I;16" else 255
        if mask.dtype == np.bool_:
            np.testing.assert_array_equal(read, mask * (1 if form == "P" else top))
        elif mask.dtype.kind == "f":
            error = np.abs(read / top - mask.astype(np.float64))
            assert error.max() <= 0.5 / top + 1e-12, (error.max(), top)
        else:
            np.testing.assert_array_equal(read, mask)


@st.composite
def unwritable(draw):
    """(mode, palette, mask, what) the writer must refuse: one value or shape the form cannot hold."""
    mode, palette, mask = draw(writable())
    form = _form(mask.dtype, mode)
    colours = len(palette) // 3 if palette else 256
    flaws = ["shape", "dtype"]
    if mask.dtype.kind == "f":
        flaws += ["nan", "inf", "below 0", "above 1", "float into a palette"]
    elif mask.dtype.kind in "ui":
        if mask.dtype.kind == "i":
            flaws.append("negative")
        if _top(mask.dtype, form, colours) < int(np.iinfo(mask.dtype).max):
            flaws.append("too large")
    elif form == "P" and colours < 2:
        flaws.append("bool without a second colour")
    flaw = draw(st.sampled_from(flaws))
    if flaw == "shape":
        extra = draw(st.sampled_from(((1,), (3,), (0,))))
        bad = mask.reshape(-1) if draw(st.booleans()) else np.broadcast_to(mask[..., None], mask.shape + extra)
        return mode, palette, bad, flaw
    if flaw == "dtype":
        other = draw(st.sampled_from(("complex64", "U3", "object")))
        return mode, palette, mask.astype(other), flaw
    if flaw == "float into a palette":
        return "P", draw(palettes), mask, flaw
    bad = np.array(mask)  # a copy: a transposed view is read-only in places
    where = (draw(st.integers(0, bad.shape[0] - 1)), draw(st.integers(0, bad.shape[1] - 1)))
    if flaw == "nan":
        value = np.nan
    elif flaw == "inf":
        value = draw(st.sampled_from((np.inf, -np.inf)))
    elif flaw == "below 0":
        value = -draw(st.floats(1e-30, 1e30))
    elif flaw == "above 1":
        value = draw(st.sampled_from((np.nextafter(np.float32(1), np.float32(2)), 1.5, 255.0, 1e30)))
    elif flaw == "negative":
        value = draw(st.integers(int(np.iinfo(bad.dtype).min), -1))
    elif flaw == "too large":
        value = draw(st.integers(_top(bad.dtype, form, colours) + 1, int(np.iinfo(bad.dtype).max)))
    else:
        value = True
    bad[where] = value
    return mode, palette, bad, flaw


@examples(200)
@given(case=unwritable())
# Pillow writes a palette of up to 16 colours at 1, 2 or 4 bits: index 5 of 4 colours would be cut.
@example(case=("P", [9] * 12, np.array([[0, 5], [3, 1]], np.uint8), "index beyond a trimmed palette"))
@example(case=("P", [0, 0, 0], np.ones((2, 3), bool), "bool without a second colour"))
def test_what_the_writer_refuses_names_the_file_and_leaves_nothing(case):
    mode, palette, mask, flaw = case
    note(f"flaw: {flaw}, dtype {mask.dtype}, shape {mask.shape}, mode {mode}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "masks"
        writer = MaskWriter(folder, mode=mode, palette=palette)
        with pytest.raises((ValueError, TypeError)) as info:
            writer.write("00007", mask)
        assert str(folder / "00007.png") in str(info.value)
        assert _files(folder) == [] and writer.count == 0


@examples(30)
@given(bad=st.one_of(st.integers(0, 767).filter(lambda n: n % 3).map(lambda n: [0] * n),
                     st.just([0] * 771), st.just([]), st.just([0, 256, 0]), st.just([0, -1, 0]),
                     st.just([0.5, 0, 0])))
def test_a_palette_that_is_not_whole_colours_of_bytes_is_refused(bad):
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(ValueError, match="palette"):
        MaskWriter(Path(tmp) / "m", mode="P", palette=bad)


@examples(40)
@given(dtype=st.sampled_from(DTYPES), t=st.integers(1, 4), size=sizes, channels=st.sampled_from((None, 1, 3)),
       suffix=st.sampled_from((".npy", ".npz")), data=st.data())
def test_mask_arrays_read_back_exactly(dtype, t, size, channels, suffix, data):
    shape = (t, *size) + (() if channels is None else (channels,))
    masks = data.draw(hnp.arrays(np.dtype(dtype), shape))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"masks{suffix}"
        (np.save if suffix == ".npy" else np.savez)(path, masks)
        src = open_masks(path)
        assert src.mode == "array" and len(src) == t and src.size == size
        read = np.stack(list(src))
        assert read.dtype == masks.dtype
        np.testing.assert_array_equal(read, masks)


@examples(40)
@given(t=st.integers(1, 4), size=sizes, store=st.sampled_from(("png", "rgba png", "grey png", "npy", "npz")),
       data=st.data())
def test_frames_read_back_exactly(t, size, store, data):
    frames = data.draw(hnp.arrays(np.uint8, (t, *size, 3)))
    with tempfile.TemporaryDirectory() as tmp:
        if store in ("npy", "npz"):
            path = Path(tmp) / f"frames.{store}"
            (np.save if store == "npy" else np.savez)(path, frames)
            names = [f"{i:05d}" for i in range(t)]
        else:
            path = Path(tmp) / "frames"
            path.mkdir()
            names = [f"f{i:03d}" for i in range(t)]
            if store == "grey png":
                frames = np.repeat(frames[..., :1], 3, axis=-1)  # read back as grey in all three channels
            for name, frame in zip(names, frames):
                if store == "rgba png":  # alpha is dropped: RGB as stored
                    alpha = np.full((*size, 1), 77, np.uint8)
                    Image.fromarray(np.concatenate([frame, alpha], -1)).save(path / f"{name}.png")
                elif store == "grey png":
                    assert cv2.imwrite(str(path / f"{name}.png"), frame[..., 0])
                else:
                    assert cv2.imwrite(str(path / f"{name}.png"), frame[..., ::-1])
        src = open_frames(path)
        assert len(src) == t and src.size == size and src.names == names
        read = np.stack(list(src))
        assert read.dtype == np.uint8
        np.testing.assert_array_equal(read, frames)


def _smooth(t: int, h: int, w: int, seed: int) -> np.ndarray:
    """Slow gradients that drift from frame to frame, in [0, 1]: (T, H, W, 3)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / 40.0
    a, b, c = rng.uniform(-1, 1, (3, 3))
    return np.stack([np.clip(0.5 + 0.2 * np.sin(a[:, None, None] * 3 * yy + b[:, None, None] * 3 * xx
                                                 + c[:, None, None] + 0.3 * k), 0, 1).transpose(1, 2, 0)
                     for k in range(t)])


MJPG = (".avi", ".mkv")


@examples(25)
@given(t=st.integers(1, 6), h=st.integers(1, 20).map(lambda k: 2 * k), w=st.integers(1, 20).map(lambda k: 2 * k),
       suffix=st.sampled_from((".avi", ".mp4", ".mkv", ".mov", ".m4v")),
       what=st.sampled_from(("rgb", "float mask", "uint8 mask")), seed=st.integers(0, 2**16))
def test_a_written_video_keeps_count_and_size(t, h, w, suffix, what, seed):
    if suffix in MJPG:
        w = max(w, 8)
    smooth = _smooth(t, h, w, seed)
    if what == "rgb":
        images, expected = (smooth * 255).round().astype(np.uint8), None
    else:
        images = smooth[..., 1] if what == "float mask" else (smooth[..., 1] * 255).round().astype(np.uint8)
        expected = (smooth[..., 1] * 255).round()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"clip{suffix}"
        assert write_video(path, list(images), fps=12) == t
        src = open_frames(path) if what == "rgb" else open_masks(path)
        read = np.stack(list(src)).astype(np.float64)
        assert len(src) == t and src.size == (h, w) and read.shape == images.shape
        error = np.abs(read - (images if expected is None else expected)).mean()
        assert error < 8, error  # lossy codecs: only the mean error is bounded


@examples(25)
@given(h=st.integers(1, 41), w=st.integers(1, 41), suffix=st.sampled_from((".avi", ".mkv", ".mp4")),
       flaw=st.sampled_from(("odd size", "narrow for MJPG", "a later frame of another size", "no frames")))
def test_a_video_that_cannot_be_written_whole_leaves_no_file(h, w, suffix, flaw):
    """An odd size (the codec would crop it), MJPG narrower than 8 (OpenCV's writer would crash),
    a later frame of another size, no frame at all: an error that names the file, and no file."""
    even = (h + h % 2, w + w % 2)
    if flaw == "odd size":
        size = (h, w) if h % 2 or w % 2 else (h + 1, w)
    elif flaw == "narrow for MJPG":
        suffix, size = MJPG[h % 2], (even[0], 2 * (w % 4) or 2)
    else:
        size = (even[0], max(even[1], 8))
    frames = [np.full((*size, 3), 128, np.uint8)] * 3
    if flaw == "a later frame of another size":
        frames.append(np.zeros((size[0] + 2, size[1], 3), np.uint8))
    elif flaw == "no frames":
        frames = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"clip{suffix}"
        with pytest.raises(ValueError) as info:
            write_video(path, iter(frames))
        assert str(path) in str(info.value)
        assert _files(Path(tmp)) == []


def _damage(data: bytes, how: str, at: int, junk: bytes) -> bytes:
    if how == "cut":
        return data[:at]
    if how == "overwrite":
        return data[:at] + junk + data[at + len(junk):]
    return data[:at] + junk + data[at:]


@examples(40)
@given(form=st.sampled_from(("L", "I;16", "P", "rgb png", "jpg")), how=st.sampled_from(("cut", "overwrite", "insert")),
       junk=st.binary(min_size=1, max_size=8), damaged=st.integers(0, 1), seed=st.integers(0, 2**16),
       further=st.lists(st.integers(64, 10**6), max_size=16), reader=st.sampled_from((open_masks, open_frames)))
# The IDAT chunk's length cut short (PIL then raises SyntaxError), and a JPEG whose first frame's
# height is damaged (the frames after it are the ones that differ).
@example(form="L", how="overwrite", junk=b"\x10", damaged=1, seed=0, further=[], reader=open_masks)
@example(form="jpg", how="overwrite", junk=b"\x01", damaged=0, seed=0, further=[163], reader=open_frames)
def test_a_damaged_image_is_read_whole_or_named(form, how, junk, damaged, seed, further, reader):
    """Whatever the damage (cut, bytes overwritten or inserted), at every byte of the headers and
    anywhere after, the folder reads with the right sizes or fails with a ValueError naming the
    file: never another exception."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "clip"
        folder.mkdir()
        suffix = ".jpg" if form == "jpg" else ".png"
        for t in range(2):
            if form in ("L", "I;16", "P"):
                palette = list(range(48)) if form == "P" else None
                values = rng.integers(0, 16 if form == "P" else 256, (5, 7)).astype(np.uint8)
                MaskWriter(folder, mode=form, palette=palette).write(f"{t:05d}", values)
            else:
                assert cv2.imwrite(str(folder / f"{t:05d}{suffix}"), rng.integers(0, 256, (5, 7, 3), np.uint8))
        path = folder / f"{damaged:05d}{suffix}"
        good = path.read_bytes()
        for at in sorted({*range(min(64, len(good))), *(at % len(good) for at in further)}):
            path.write_bytes(_damage(good, how, at, junk))
            try:
                read = list(reader(folder))
            except ValueError as e:
                # Named as the file, or (a damaged size) as the first file the others differ from.
                assert str(path) in str(e) or (damaged == 0 and f"({path.name})" in str(e)), (at, e)
            else:
                assert len(read) == 2 and all(r.shape[:2] == (5, 7) for r in read), at
