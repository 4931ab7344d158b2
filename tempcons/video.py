"""Videos that play in browsers and editors: H.264 in MP4, through PyAV (the extra ``tempcons[video]``).

OpenCV's writer makes MPEG-4 part 2 (``mp4v``) or Motion JPEG files, which browsers do not play;
:class:`H264Writer` makes H.264 (yuv420p, CRF 18, the ``+faststart`` layout for the web) at the
input's frame rate, and carries the input video's audio over when MP4 can hold its codec.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from .io import stored_values

__all__ = ["H264Writer", "VIDEO_INSTALL"]

#: How to install what :class:`H264Writer` needs.
VIDEO_INSTALL = "pip install 'tempcons[video]'"

# Audio codecs an MP4 file can carry as they are.
_MP4_AUDIO = ("aac", "mp3", "alac", "opus", "flac")


def _av():
    try:
        import av
    except ImportError:
        raise ImportError(f"H.264 video needs PyAV: {VIDEO_INSTALL}") from None
    return av


class H264Writer:
    """Write frames to an H.264 MP4 file one at a time; use as a context manager.

    Parameters
    ----------
    path : path
        The ``.mp4`` file to write (replaced if it exists: the caller decides).
    fps : float
        Frame rate, > 0.
    audio_from : path, optional
        A video whose first audio stream is copied into the file, when MP4 holds its codec
        (AAC, MP3, ALAC, Opus, FLAC); :attr:`audio` then says which, else why not.

    Attributes
    ----------
    count : int
        Frames written.
    audio : str
        What became of the audio: ``"copied (aac)"``, ``"none in the input"``, ``"not asked"`` or why
        it could not be carried.

    Raises
    ------
    ImportError
        PyAV is missing (the message says what to install).
    ValueError
        A bad ``fps`` or suffix.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.mp4"
    >>> with H264Writer(path, fps=24) as video:                   # doctest: +SKIP
    ...     for t in range(3):
    ...         video.write(np.full((48, 64, 3), 40 * t, np.uint8))
    """

    def __init__(self, path: str | Path, *, fps: float, audio_from: str | Path | None = None) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise ValueError(f"{self.path}: H.264 video is written as .mp4")
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps!r}")
        self._av = _av()
        self._fps = Fraction(fps).limit_denominator(1001)
        self._audio_from = audio_from
        self._out = self._stream = self._source = self._audio = None
        self.count = 0
        self.audio = "not asked" if audio_from is None else "none in the input"

    def __enter__(self) -> "H264Writer":
        return self

    def write(self, image: np.ndarray) -> None:
        """Add one frame: RGB ``(H, W, 3)`` uint8, or a mask ``(H, W)`` of uint8 0..255 or floats in [0, 1].

        Raises
        ------
        ValueError, TypeError
            Another size than the first frame's, an odd width or height (H.264 in yuv420p stores
            even sizes only), or a mask 8 bits cannot hold (:func:`tempcons.io.stored_values`).
        """
        image = np.asarray(image)
        if image.ndim == 2:  # stored as an 8-bit grey PNG would store it
            image = np.repeat(stored_values(image, "L")[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"{self.path}: frames are (H, W, 3) uint8 RGB, got {image.dtype} {image.shape}")
        if self._stream is None:
            self._open(*image.shape[:2])
        elif image.shape[:2] != (self._stream.height, self._stream.width):
            raise ValueError(f"{self.path}: frame {self.count} is {image.shape[:2]}, the first was "
                             f"{(self._stream.height, self._stream.width)}")
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        for packet in self._stream.encode(frame):
            self._out.mux(packet)
        self.count += 1

    def _open(self, height: int, width: int) -> None:
        if height % 2 or width % 2:
            raise ValueError(f"{self.path}: H.264 (yuv420p) stores even sizes only, got {width}x{height}; "
                             "write PNGs instead")
        self._out = self._av.open(str(self.path), "w", options={"movflags": "+faststart"})
        self._stream = self._out.add_stream("libx264", rate=self._fps, options={"crf": "18"})
        self._stream.width, self._stream.height, self._stream.pix_fmt = width, height, "yuv420p"
        # Every stream exists before the first packet: the audio's too, copied at the end.
        self._source = self._audio = None
        if self._audio_from is not None and Path(self._audio_from).is_file():
            source = self._av.open(str(self._audio_from))
            if not source.streams.audio:
                source.close()
                return
            name = source.streams.audio[0].codec_context.name
            if name not in _MP4_AUDIO:
                self.audio = f"not carried: MP4 does not hold {name} audio as it is"
                source.close()
                return
            self._source = source
            self._audio = self._out.add_stream_from_template(source.streams.audio[0])
            self.audio = f"copied ({name})"

    def close(self) -> None:
        """Flush the encoder, carry the audio over, and close the file (a file with no frame is an error)."""
        if self._out is None:
            raise ValueError(f"{self.path}: no frame was written")
        for packet in self._stream.encode():
            self._out.mux(packet)
        if self._source is not None:
            for packet in self._source.demux(self._source.streams.audio[0]):
                if packet.dts is not None:
                    packet.stream = self._audio
                    self._out.mux(packet)
            self._source.close()
        self._out.close()

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        elif self._out is not None:
            self._out.close()
