"""Reading and writing clips: videos, image folders, arrays; masks as PNG sequences or videos.

Everything reads lazily: a source knows its length and frame size up front and decodes one
frame at a time, so a long video never sits in memory whole.

- Frames: a video file (OpenCV), a folder of images (sorted by name), or ``.npy`` / ``.npz``
  (memory-mapped where possible). Frames come out RGB uint8.
- Masks: a folder of PNGs -- 8-bit grey, 16-bit grey, or **palette PNGs, read as their exact
  indices with the palette kept** (never resampled or converted, so object ids survive) -- a
  video (grey), or arrays.
- Writing: :class:`MaskWriter` writes a PNG sequence in the same form as the input (palette and
  bit depth kept) and never replaces a file unless ``overwrite=True``; :func:`write_video`
  writes frames or masks to a video file.
- Damage is an error that names the file: a folder's files are identified when it is opened (a
  file that is no image, or a mask of another size or form, fails before any work starts); a
  file that decodes only partly fails when it is reached. FFmpeg's own log lines are silenced
  (``OPENCV_FFMPEG_LOGLEVEL``, unless already set): they would only repeat these errors.
- Dataset layouts recognised by :func:`find_sequences`: DAVIS (``JPEGImages/480p/<seq>``,
  ``Annotations/480p/<seq>``, results in ``<method>/480p/<seq>``), RVM VideoMatte (``<clip>/com``, ``<clip>/pha``), VSPW
  (``data/<video>/origin``, ``data/<video>/mask``), and plain ``<seq>/frames`` + ``<seq>/masks``
  (or a top-level ``frames/`` + ``masks/``).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from PIL import Image, ImageOps

__all__ = ["FrameSource", "MaskSource", "MaskWriter", "open_frames", "open_masks", "write_video",
           "find_sequences", "Sequence", "IMAGE_SUFFIXES", "VIDEO_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
ARRAY_SUFFIXES = (".npy", ".npz")


def _images(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    return files


# What a PIL decoder raises on a damaged file (SyntaxError: "broken PNG file").
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def _identify(path: Path) -> tuple[str, tuple[int, int]]:
    """The PIL mode and (H, W) of an image file from its header, without decoding it."""
    try:
        with Image.open(path) as im:
            return im.mode, im.size[::-1]
    except _DAMAGED as e:
        raise ValueError(f"{path}: unreadable image ({e})") from None


def _array(path: Path) -> np.ndarray:
    found = None
    try:
        if path.suffix.lower() == ".npy":
            array = np.load(path, mmap_mode="r")
        else:
            with np.load(path) as z:
                found = z.files
                array = z[found[0]] if len(found) == 1 else None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path}: unreadable {path.suffix.lower()} array ({e})") from None
    if found is not None and len(found) != 1:
        raise ValueError(f"{path}: an .npz must hold exactly one array, found {found}")
    if array.ndim == 0 or 0 in array.shape:
        raise ValueError(f"{path}: the array is empty (shape {array.shape}); nothing to read")
    return array


def _quiet_ffmpeg() -> None:
    # Read by OpenCV when it first loads FFmpeg: -8 is AV_LOG_QUIET. Without it a damaged video
    # prints FFmpeg lines ("[mjpeg @ 0x...] overread 8") beside the error that names the file.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def _exists(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return path


class _Source:
    """A lazily decoded sequence: ``len``, ``size`` (H, W), ``names``, iteration."""

    path: Path
    names: list[str]
    size: tuple[int, int]
    fps: float | None = None

    def __len__(self) -> int:
        return len(self.names)


class FrameSource(_Source):
    """Video frames as RGB uint8 ``(H, W, 3)``, decoded one at a time (see :func:`open_frames`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = path = _exists(path)
        self._array = None
        self._files = None
        if path.is_dir():
            self._files = _images(path)
            for p in self._files[1:]:
                _identify(p)  # a file that is no image is named now, not after hours of work
            first = self._read_image(self._files[0])
            self.names = [p.stem for p in self._files]
        elif path.suffix.lower() in ARRAY_SUFFIXES:
            self._array = _array(path)
            if self._array.ndim != 4 or self._array.shape[-1] != 3 or self._array.dtype != np.uint8:
                raise ValueError(f"{path}: frames must be a (T, H, W, 3) uint8 array, got "
                                 f"{self._array.dtype} {self._array.shape}")
            first = self._array[0]
            self.names = [f"{t:05d}" for t in range(len(self._array))]
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            _quiet_ffmpeg()
            cap = cv2.VideoCapture(str(path))
            if not cap.isOpened():
                raise ValueError(f"{path}: OpenCV cannot open this video")
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            self.fps = cap.get(cv2.CAP_PROP_FPS) or None
            ok, first = cap.read()
            cap.release()
            if not ok:
                raise ValueError(f"{path}: the video has no readable frame")
            first = first[..., ::-1]
            self.names = [f"{t:05d}" for t in range(max(count, 1))]
        else:
            raise ValueError(f"{path}: not a folder of images, a video ({', '.join(VIDEO_SUFFIXES)}) "
                             "or an .npy/.npz array")
        self.size = first.shape[:2]

    @staticmethod
    def _read_image(path: Path) -> np.ndarray:
        # Pillow, not cv2.imread: OpenCV decodes a truncated JPEG or PNG into a partly grey
        # frame with only a warning, and the damage would pass as data.
        try:
            with Image.open(path) as im:
                im = ImageOps.exif_transpose(im)  # as cameras and cv2.imread orient them
                return np.asarray(im.convert("RGB"))
        except _DAMAGED as e:
            raise ValueError(f"{path}: unreadable image ({e})") from None

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.range()

    def range(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Frames ``start:stop``, decoded one at a time (a video decodes the frames before ``start``
        too, and drops them: seeking by frame number is not exact in every codec)."""
        if self._files is not None:
            for p in self._files[start:stop]:
                img = self._read_image(p)
                if img.shape[:2] != self.size:
                    raise ValueError(f"{p}: size {img.shape[:2]} differs from the first frame's {self.size} "
                                     f"({self._files[0].name})")
                yield img
        elif self._array is not None:
            for frame in self._array[start:stop]:
                yield np.ascontiguousarray(frame)
        else:
            cap = cv2.VideoCapture(str(self.path))
            count = 0
            end = len(self.names) if stop is None else min(stop, len(self.names))
            try:
                while stop is None or count < end:
                    ok = cap.grab()
                    if ok and count >= start:
                        ok, img = cap.retrieve()
                    if not ok:
                        break
                    count += 1
                    if count > start:
                        yield np.ascontiguousarray(img[..., ::-1])
            finally:
                cap.release()
            if count < end:
                raise ValueError(f"{self.path}: decoding stopped after {count} frames, but the file says it holds "
                                 f"{len(self.names)} (a truncated or damaged video)")


class MaskSource(_Source):
    """Masks or id maps ``(H, W)`` in their stored form (see :func:`open_masks`).

    Attributes
    ----------
    mode : {"L", "I;16", "P", "video", "array"}
        How they are stored: 8-bit grey, 16-bit grey, palette (indices), video, array.
    palette : list of int or None
        The palette of palette PNGs (768 values), to write results back with it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path = _exists(path)
        self.palette = None
        self._files = None
        self._array = None
        if path.is_dir():
            self._files = [p for p in _images(path) if p.suffix.lower() == ".png"] or _images(path)
            first, self.mode, self.palette = self._read_png(self._files[0])
            self.names = [p.stem for p in self._files]
            for p in self._files[1:]:  # headers only: damage and mixed sizes named before any work
                mode, size = _identify(p)
                if size != first.shape[:2] or _MASK_MODES.get(mode) != self.mode:
                    raise ValueError(f"{p}: {_MASK_MODES.get(mode, mode)} {size} differs from the first mask's "
                                     f"{self.mode} {first.shape[:2]} ({self._files[0].name})")
        elif path.suffix.lower() in ARRAY_SUFFIXES:
            self._array = _array(path)
            if self._array.ndim not in (3, 4) or self._array.dtype.kind not in "buif":
                raise ValueError(f"{path}: masks must be a (T, H, W) or (T, H, W, C) array of bool, integers or "
                                 f"floats, got {self._array.dtype} {self._array.shape}")
            first, self.mode = self._array[0], "array"
            self.names = [f"{t:05d}" for t in range(len(self._array))]
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            self._frames = FrameSource(path)
            first, self.mode = np.zeros(self._frames.size, np.uint8), "video"
            self.names, self.fps = self._frames.names, self._frames.fps
        else:
            raise ValueError(f"{path}: not a folder of PNGs, a video or an .npy/.npz array")
        self.size = first.shape[:2]

    @staticmethod
    def _read_png(path: Path) -> tuple[np.ndarray, str, list | None]:
        try:
            with Image.open(path) as im:
                im.load()
                mode = _MASK_MODES.get(im.mode)
                if mode == "P":
                    values, palette = np.asarray(im), im.getpalette()
                elif mode == "I;16":
                    values, palette = np.asarray(im), None
                elif mode == "L":
                    # Colour masks: the grey value (as a segmenter writing RGB PNGs means it).
                    values, palette = np.asarray(im.convert("L")), None
                else:
                    values = palette = None
        except _DAMAGED as e:
            raise ValueError(f"{path}: unreadable image ({e})") from None
        if mode is None:
            raise ValueError(f"{path}: unsupported PNG mode {im.mode!r}; tempcons reads 8-bit, 16-bit and "
                             "palette PNGs")
        if mode == "I;16":
            if values.min(initial=0) < 0 or values.max(initial=0) > 65535:
                raise ValueError(f"{path}: {im.mode} values {values.min()}..{values.max()} do not fit "
                                 "16 bits; tempcons reads 8-bit, 16-bit and palette PNGs")
            values = values.astype(np.uint16)
        return values, mode, palette

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.range()

    def range(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Masks ``start:stop``, decoded one at a time."""
        if self._files is not None:
            for p in self._files[start:stop]:
                mask, mode, palette = self._read_png(p)
                if mask.shape[:2] != self.size or mode != self.mode:
                    raise ValueError(f"{p}: {mode} {mask.shape} differs from the first mask's {self.mode} {self.size}")
                common = min(len(palette or ()), len(self.palette or ()))  # PLTE may be trimmed to the colours used
                if (palette or [])[:common] != (self.palette or [])[:common]:
                    # The same index would mean another object or colour here than in the first mask.
                    raise ValueError(f"{p}: its palette differs from the first mask's ({self._files[0].name}); "
                                     "one clip's palette PNGs must share one palette")
                yield mask
        elif self._array is not None:
            for mask in self._array[start:stop]:
                yield np.asarray(mask)
        else:
            for frame in self._frames.range(start, stop):
                yield cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


# How MaskSource stores each PIL mode: palette indices, 16-bit grey, or 8-bit grey (colour -> grey).
_MASK_MODES = {"P": "P", "I;16": "I;16", "I;16B": "I;16", "I": "I;16",
               "L": "L", "1": "L", "RGB": "L", "RGBA": "L", "LA": "L"}


def open_frames(path: str | Path) -> FrameSource:
    """Frames from a video file, a folder of images or an ``.npy`` / ``.npz`` array.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing path, unknown format, unreadable file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); np.save(d / "f.npy", np.zeros((3, 8, 8, 3), np.uint8))
    >>> src = open_frames(d / "f.npy"); len(src), src.size
    (3, (8, 8))
    """
    return FrameSource(path)


def open_masks(path: str | Path) -> MaskSource:
    """Masks from a folder of PNGs (grey, 16-bit, palette), a video or an array; see :class:`MaskSource`."""
    return MaskSource(path)


_DEPTH = {"L": 255, "I;16": 65535, "P": 255}


def _stored(mask: np.ndarray, mode: str, where, colours: int = 256) -> np.ndarray:
    """The integers that store ``mask`` in ``mode``, or an error that says why they cannot hold it exactly.

    ``colours``: for "P", how many colours the palette has; an index beyond them has no colour,
    and Pillow writes a palette of up to 16 colours at 1, 2 or 4 bits, which would cut it.
    """
    top = _DEPTH[mode] if mode != "P" else colours - 1
    if mask.dtype == np.bool_:
        if mode == "P":
            if mask.any() and colours < 2:
                raise ValueError(f"{where}: a bool mask is stored as indices 0 and 1, but the palette has "
                                 f"{colours} colour; pass a palette of 2 or more")
            return mask.astype(np.uint8)  # indices 0 and 1
        return mask.astype(np.uint16 if mode == "I;16" else np.uint8) * top
    if mask.dtype.kind == "f":
        if mode == "P":
            raise ValueError(f"{where}: palette PNGs hold integer ids, got {mask.dtype} values")
        finite = np.isfinite(mask)
        if not finite.all() or mask.min(initial=0) < 0 or mask.max(initial=0) > 1:
            bad = mask[~finite | (mask < 0) | (mask > 1)]
            seen = mask[finite]
            span = f"finite values {seen.min()!r}..{seen.max()!r}" if seen.size else "no finite value"
            raise ValueError(f"{where}: a {mask.dtype} mask is stored as values in [0, 1], got {bad[0]!r} "
                             f"({bad.size} such, {span}); clip or rescale it first")
        return np.round(mask.astype(np.float64) * top).astype(np.uint16 if top > 255 else np.uint8)
    if mask.dtype.kind not in "ui":
        raise TypeError(f"{where}: masks are bool, integer or float arrays, got dtype {mask.dtype}")
    low, high = int(mask.min(initial=0)), int(mask.max(initial=0))
    if low < 0 or high > top:
        if mode == "P":
            what = f"a palette PNG with {colours} colours"
            fix = "give the palette a colour for each index" if 0 <= low and high <= 255 else \
                "palette indices are 0..255; write 16-bit PNGs (mode='I;16') or an .npy array"
        else:
            what = f"a {'16' if top > 255 else '8'}-bit image"
            fix = "write 16-bit PNGs (mode='I;16')" if top == 255 and low >= 0 else "store them as an .npy array"
        raise ValueError(f"{where}: values {low}..{high} do not fit {what} (0..{top}); {fix}")
    return mask.astype(np.uint16 if top > 255 else np.uint8)


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write an RGB ``(H, W, 3)`` or RGBA ``(H, W, 4)`` uint8 image as a PNG (OpenCV's encoder: on
    photographs about 5x faster than Pillow's default and 1.7x faster than its fastest level).

    Raises
    ------
    ValueError
        Not uint8 RGB or RGBA, or OpenCV cannot write the file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> path = write_image(pathlib.Path(tempfile.mkdtemp()) / "a.png", np.zeros((4, 6, 4), np.uint8))
    >>> path.stat().st_size > 0
    True
    """
    path, image = Path(path), np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"{path}: an image is (H, W, 3) or (H, W, 4) uint8, got {image.dtype} {image.shape}")
    order = cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
    if not cv2.imwrite(str(path), cv2.cvtColor(image, order)):
        raise ValueError(f"{path}: OpenCV could not write this file")
    return path


def stored_values(mask: np.ndarray, mode: str = "L") -> np.ndarray:
    """The integers a PNG of ``mode`` stores for ``mask``: what :class:`MaskWriter` writes and reads back.

    Parameters
    ----------
    mask : ndarray, (H, W)
        bool, integers, or floats in [0, 1] (scaled to the depth and rounded half to even).
    mode : {"L", "I;16"}
        8-bit or 16-bit grey.

    Returns
    -------
    ndarray of uint8 ("L") or uint16 ("I;16")

    Raises
    ------
    ValueError, TypeError
        Values the form cannot hold exactly (see :class:`MaskWriter`).

    Examples
    --------
    >>> import numpy as np
    >>> stored_values(np.array([[0.0, 0.7, 1.0]], np.float32)).tolist()
    [[0, 178, 255]]
    """
    if mode not in ("L", "I;16"):
        raise ValueError(f"mode must be 'L' or 'I;16', got {mode!r}")
    return _stored(np.asarray(mask), mode, "mask")


class MaskWriter:
    """Write masks as a PNG sequence, one file per frame, in a form that reads back as written.

    What is stored, by the mask's dtype:

    - **float** (soft masks, mattes, probabilities of one class): values in [0, 1], scaled to the
      PNG's depth and rounded: 8-bit grey (``mode="L"``, the default) or 16-bit grey
      (``mode="I;16"``). They read back within half a quantisation step (1/510 or 1/131070).
      NaN or values outside [0, 1] are refused.
    - **bool**: 0 / 255 in 8-bit grey (0 / 65535 in 16-bit), indices 0 / 1 in a palette PNG.
    - **integers** (0/255 masks, labels, instance ids): stored exactly, never scaled; a value
      the chosen form cannot hold (negative, above 255 for "L", above 65535, an index with no
      colour in the palette for "P") is refused.

    Parameters
    ----------
    folder : path
        Created if missing.
    mode : {"L", "I;16", "P"} or None
        8-bit grey, 16-bit grey, or palette indices (needs ``palette``; integers only). None
        picks from the dtype: bool, uint8 and float -> "L"; other integers -> "I;16".
    palette : list of int, optional
        For palette PNGs: R, G, B in 0..255 per colour, 768 values or fewer (as read by
        :class:`MaskSource`; a trimmed palette is kept as it is).
    overwrite : bool
        Replace existing files; otherwise an existing file raises ``FileExistsError``.

    Raises
    ------
    ValueError
        Unknown mode, "P" without a palette, or a palette that is not 1 to 256 colours of 0..255.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> d = tempfile.mkdtemp()
    >>> path = MaskWriter(d).write("0", np.full((4, 4), 0.7, np.float32))
    >>> int(next(iter(open_masks(d)))[0, 0])     # 0.7 * 255 = 178.5, rounded half to even
    178
    """

    def __init__(self, folder: str | Path, *, mode: str | None = None, palette: list | None = None,
                 overwrite: bool = False) -> None:
        if mode not in (None, *_DEPTH):
            raise ValueError(f"mode must be 'L', 'I;16', 'P' or None, got {mode!r}")
        if mode == "P" and palette is None:
            raise ValueError("palette PNGs need the palette (palette=)")
        if palette is not None:
            palette = list(palette)
            if (not 3 <= len(palette) <= 768 or len(palette) % 3
                    or not all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in palette)):
                raise ValueError(f"{folder}: a palette is R, G, B integers in 0..255 for 1 to 256 colours "
                                 f"(3 to 768 values), got {len(palette)} values")
            palette = [int(v) for v in palette]
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.mode, self.palette, self.overwrite = mode, palette, overwrite
        self.count = 0

    def write(self, name: str, mask: np.ndarray) -> Path:
        """Write ``mask`` (H, W) as ``<folder>/<name>.png``; returns the path.

        Raises
        ------
        FileExistsError
            The file exists and ``overwrite`` is False.
        ValueError, TypeError
            A mask this form cannot hold exactly (see the class docstring); nothing is written.
        """
        path = self.folder / f"{name}.png"
        if path.exists() and not self.overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite to replace it")
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise ValueError(f"{path}: a mask is (H, W), got shape {mask.shape}")
        mode = self.mode or ("L" if mask.dtype in (np.bool_, np.uint8) or mask.dtype.kind == "f" else "I;16")
        stored = _stored(mask, mode, path, len(self.palette or ()) // 3)
        if mode == "P":
            im = Image.fromarray(stored, mode="P")
            im.putpalette(self.palette)
            im.save(path)
        elif not cv2.imwrite(str(path), stored):
            raise ValueError(f"{path}: OpenCV could not write this file")
        self.count += 1
        return path


def write_video(path: str | Path, images, fps: float = 25.0, overwrite: bool = False) -> int:
    """Write RGB frames ``(H, W, 3)`` or masks ``(H, W)`` (bool, uint8, float in [0, 1]) to a video.

    The codec follows the suffix (``.mp4``: mp4v, ``.avi``: MJPG); both are lossy and store
    only even heights and widths (an odd size is refused: the codec would crop it); MJPG also
    needs a width of 8 or more (OpenCV's FFmpeg writer overruns its buffer on narrower frames and
    the process aborts). Returns the frame count. On any error the file is removed: a video is
    written whole or not at all.

    Raises
    ------
    FileExistsError
        The file exists and ``overwrite`` is False.
    ValueError
        Unknown suffix, no frames, a size the codec cannot store, frames of different sizes,
        OpenCV cannot write.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite to replace it")
    codecs = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
    if path.suffix.lower() not in codecs:
        raise ValueError(f"{path}: write .mp4, .mov, .m4v, .avi or .mkv")
    writer = None
    count = 0
    _quiet_ffmpeg()
    try:
        for img in images:
            img = np.asarray(img)
            if img.ndim == 2:
                img = cv2.cvtColor(_stored(img, "L", f"{path} frame {count}"), cv2.COLOR_GRAY2BGR)
            elif img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8:
                img = img[..., ::-1]
            else:
                raise ValueError(f"{path}: frame {count} must be (H, W, 3) uint8 RGB or an (H, W) mask, "
                                 f"got {img.dtype} {img.shape}")
            if writer is None:
                size = (img.shape[1], img.shape[0])
                if size[0] % 2 or size[1] % 2:
                    raise ValueError(f"{path}: frames are {img.shape[0]}x{img.shape[1]}; video codecs store only "
                                     "even heights and widths (they would crop it): pad or crop to an even size, "
                                     "or write PNGs")
                if codecs[path.suffix.lower()] == "MJPG" and size[0] < 8:
                    raise ValueError(f"{path}: frames are {img.shape[0]}x{img.shape[1]}; MJPG (.avi, .mkv) needs a "
                                     "width of 8 or more (narrower frames crash OpenCV's writer): write .mp4 or PNGs")
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codecs[path.suffix.lower()]), fps, size)
                if not writer.isOpened():
                    raise ValueError(f"{path}: OpenCV cannot write this video")
            elif (img.shape[1], img.shape[0]) != size:
                raise ValueError(f"{path}: frame {count} is {img.shape[:2]}, earlier ones {size[::-1]}")
            writer.write(np.ascontiguousarray(img))
            count += 1
        if count == 0:
            raise ValueError(f"{path}: no frames to write")
    except BaseException:
        if writer is not None:
            writer.release()
            path.unlink(missing_ok=True)  # half a video is no result
        raise
    writer.release()
    return count


@dataclass(frozen=True)
class Sequence:
    """One clip of a dataset: its name, frames and (optionally) masks and ground truth."""

    name: str
    frames: Path
    masks: Path | None = None
    truth: Path | None = None
    layout: str = "plain"


def find_sequences(root: str | Path, masks: str | None = None) -> list[Sequence]:
    """Every clip of a dataset folder, recognising DAVIS, RVM VideoMatte, VSPW and plain layouts.

    Parameters
    ----------
    root : path
    masks : str, optional
        Where the segmenter's masks are: for plain and RVM layouts the per-clip folder name
        (plain: default ``masks``; RVM: e.g. ``raw_mediapipe``); for DAVIS a results folder under
        the root (``<masks>/480p/<seq>`` or ``<masks>/<seq>``, DAVIS's own result layout).

    Returns
    -------
    list of Sequence, sorted by name

    Raises
    ------
    FileNotFoundError, ValueError
        Missing root, or no layout recognised.
    """
    root = _exists(root)
    davis = root / "JPEGImages" / "480p"
    if davis.is_dir():
        def results(name):  # a method's results beside the dataset: <masks>/480p/<seq> or <masks>/<seq>
            return (_maybe(root / masks / "480p" / name) or _maybe(root / masks / name)) if masks else None
        return [Sequence(d.name, d, results(d.name), _maybe(root / "Annotations" / "480p" / d.name), layout="davis")
                for d in sorted(davis.iterdir()) if d.is_dir()]
    vspw = root / "data"
    if vspw.is_dir() and any((d / "origin").is_dir() for d in vspw.iterdir() if d.is_dir()):
        return [Sequence(d.name, d / "origin", None, _maybe(d / "mask"), layout="vspw")
                for d in sorted(vspw.iterdir()) if (d / "origin").is_dir()]
    if (root / "frames").is_dir():
        return [Sequence(root.name, root / "frames", _maybe(root / (masks or "masks")), _maybe(root / "gt"))]
    found = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if (d / "com").is_dir():
            found.append(Sequence(d.name, d / "com", _maybe(d / masks) if masks else None, _maybe(d / "pha"),
                                  layout="rvm"))
        elif (d / "frames").is_dir():
            found.append(Sequence(d.name, d / "frames", _maybe(d / (masks or "masks")), _maybe(d / "gt")))
    if not found:
        raise ValueError(f"{root}: no dataset layout recognised (DAVIS JPEGImages/480p, VSPW data/*/origin, "
                         "RVM <clip>/com, or <clip>/frames)")
    return found


def _maybe(path: Path) -> Path | None:
    return path if path.is_dir() else None
