"""Per-frame segmenters chosen by name: MediaPipe's selfie models built in, or any function of yours.

:func:`load_segmenter` turns a name into a function from an RGB frame to a mask, which
:func:`tempcons.wrap.stabilized` and ``tempcons run --segmenter`` call on every frame:

- ``mediapipe`` (= ``mediapipe:general``) and ``mediapipe:landscape``: MediaPipe's Selfie
  Segmentation, its general model (256x256 input) or its landscape one (144x256, faster), soft
  masks at the frame's size. MediaPipe 0.10.14 is the last release that ships these models and
  runs beside numpy 2 and OpenCV 5; install it without its own dependencies (which would put
  the GUI OpenCV wheel over the headless one)::

      pip install "protobuf>=4.25.3,<5" absl-py attrs flatbuffers matplotlib && pip install --no-deps mediapipe==0.10.14

- ``module:function`` (a module on the path or in the current folder) or
  ``path/to/file.py:function``: your own segmenter.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["load_segmenter", "MediaPipeSelfie", "MEDIAPIPE_INSTALL"]

#: How to install the MediaPipe release the built-in segmenter runs on.
MEDIAPIPE_INSTALL = ('pip install "protobuf>=4.25.3,<5" absl-py attrs flatbuffers matplotlib && '
                     "pip install --no-deps mediapipe==0.10.14")

_MEDIAPIPE_MODELS = {"general": 0, "landscape": 1}


class MediaPipeSelfie:
    """MediaPipe's Selfie Segmentation as a function of a frame: ``segmenter(rgb) -> (H, W) float32``.

    It holds the MediaPipe graph, so it keeps state between frames; :meth:`close` (or a
    ``with`` block) releases it.

    Parameters
    ----------
    model : {"general", "landscape"}
        The general model (256x256 input) or the landscape one (144x256).

    Raises
    ------
    ValueError
        Unknown model.
    ImportError
        MediaPipe is missing or is a release without these models; the message says what to install.

    Examples
    --------
    >>> seg = MediaPipeSelfie()                          # doctest: +SKIP
    >>> seg(frame).shape == frame.shape[:2]              # doctest: +SKIP
    True
    """

    def __init__(self, model: str = "general") -> None:
        if model not in _MEDIAPIPE_MODELS:
            raise ValueError(f"model must be one of {sorted(_MEDIAPIPE_MODELS)}, got {model!r}")
        try:
            import mediapipe
            solution = mediapipe.solutions.selfie_segmentation
        except (ImportError, AttributeError) as e:
            # Releases after 0.10.21 dropped the legacy solutions and their bundled models.
            raise ImportError(f"the segmenter 'mediapipe' needs MediaPipe 0.10.14 ({e}): {MEDIAPIPE_INSTALL}") from None
        self.model = model
        self._graph = solution.SelfieSegmentation(model_selection=_MEDIAPIPE_MODELS[model])

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame must be an (H, W, 3) uint8 RGB image, got {frame.dtype} {frame.shape}")
        return self._graph.process(np.ascontiguousarray(frame)).segmentation_mask

    def close(self) -> None:
        self._graph.close()

    def __enter__(self) -> "MediaPipeSelfie":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _function(spec: str) -> Callable[[np.ndarray], np.ndarray]:
    source, _, name = spec.rpartition(":")
    if source.endswith(".py") or "/" in source or "\\" in source:
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"segmenter {spec}: no such file {path}")
        loader = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
    else:
        # A console script does not put the current folder on sys.path, as `python -m` does.
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        module = importlib.import_module(source)
    try:
        fn = getattr(module, name)
    except AttributeError:
        raise ValueError(f"segmenter {spec}: {source} has no {name!r}") from None
    if not callable(fn):
        raise ValueError(f"segmenter {spec}: {name} is not callable")
    return fn


def load_segmenter(spec: str) -> Callable[[np.ndarray], np.ndarray]:
    """The segmenter a name stands for: a function from an RGB frame ``(H, W, 3)`` uint8 to a mask.

    Parameters
    ----------
    spec : str
        ``"mediapipe"``, ``"mediapipe:general"``, ``"mediapipe:landscape"``, ``"module:function"``
        or ``"path/to/file.py:function"``.

    Returns
    -------
    callable
        The built-in segmenter (:class:`MediaPipeSelfie`) or your function.

    Raises
    ------
    ValueError
        A malformed name, a missing file or function, an unknown MediaPipe model.
    ImportError
        The module or MediaPipe is missing (for MediaPipe, with the line that installs it).
    Exception
        Whatever your module raises while it is imported.

    Examples
    --------
    >>> import numpy as np
    >>> fn = load_segmenter("numpy:mean")
    >>> float(fn(np.ones((2, 2))))
    1.0
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a str such as 'mediapipe' or 'module:function', got {type(spec).__name__}")
    family, _, variant = spec.partition(":")
    if family == "mediapipe":
        if (variant or "general") not in _MEDIAPIPE_MODELS:
            raise ValueError(f"segmenter {spec}: MediaPipe's models here are {sorted(_MEDIAPIPE_MODELS)}")
        return MediaPipeSelfie(variant or "general")
    source, _, name = spec.rpartition(":")
    if not source or not name:
        raise ValueError(f"segmenter must be 'mediapipe[:general|landscape]', 'module:function' or "
                         f"'path/to/file.py:function', got {spec!r}")
    return _function(spec)
