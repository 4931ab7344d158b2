"""Per-frame segmenters chosen by name: MediaPipe's selfie models and ONNX models built in, or any function of yours.

:func:`load_segmenter` turns a name into a function from an RGB frame to a mask, which
:func:`tempcons.wrap.stabilized` and ``tempcons run --segmenter`` call on every frame:

- ``mediapipe`` (= ``mediapipe:general``) and ``mediapipe:landscape``: MediaPipe's Selfie
  Segmentation, its general model (256x256 input) or its landscape one (144x256, faster), soft
  masks at the frame's size. MediaPipe 0.10.14 is the last release that ships these models and
  runs beside numpy 2 and OpenCV 5; install it without its own dependencies (which would put
  the GUI OpenCV wheel over the headless one)::

      pip install "protobuf>=4.25.3,<5" absl-py attrs flatbuffers matplotlib && pip install --no-deps mediapipe==0.10.14

- ``onnx:path/to/model.onnx``: any person-segmentation or matting model exported to ONNX
  (MODNet, RobustVideoMatting, BiRefNet, ...), run by onnxruntime (``pip install
  "tempcons[onnx]"``); :class:`OnnxSegmenter` states the contract: what the model is fed,
  which output is the mask, how a recurrent model's state is carried from frame to frame.
- ``module:function`` (a module on the path or in the current folder) or
  ``path/to/file.py:function``: your own segmenter.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

__all__ = ["load_segmenter", "MediaPipeSelfie", "OnnxSegmenter", "MEDIAPIPE_INSTALL", "ONNX_INSTALL"]

#: How to install the MediaPipe release the built-in segmenter runs on.
MEDIAPIPE_INSTALL = ('pip install "protobuf>=4.25.3,<5" absl-py attrs flatbuffers matplotlib && '
                     "pip install --no-deps mediapipe==0.10.14")

_MEDIAPIPE_MODELS = {"general": 0, "landscape": 1}

#: How to install the runtime of the ``onnx:`` segmenter.
ONNX_INSTALL = 'pip install "tempcons[onnx]"  (or: pip install onnxruntime)'


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


_ALPHA_NAMES = ("alpha", "pha", "matte", "mask")  # the mask among several outputs, when not named
_STATE_SUFFIXES = (("i", "o"), ("_in", "_out"), ("_i", "_o"))  # RVM's r1i -> r1o, and the like
_FLOATS = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}
_ONNX_TYPES = {**_FLOATS, "tensor(int64)": np.int64, "tensor(int32)": np.int32}


class OnnxSegmenter:
    """An ONNX segmentation or matting model as a function of a frame: ``segmenter(rgb) -> (H, W) float32``.

    The contract, which MODNet, RobustVideoMatting and BiRefNet exports meet with the options below:

    - **Input.** The model's first input is the image: float, rank 4, RGB, channels first
      ``(1, 3, h, w)`` or last ``(1, h, w, 3)`` as its declared shape says (channels first when
      the shape does not say). It is fed ``(frame / 255 - mean) / std``. A model with a fixed
      ``h, w`` is fed the frame resized to it (area when shrinking, bilinear when growing); a
      model with free ``h, w`` is fed ``size`` or, without it, the frame as it is.
    - **Output.** The mask is the model's only output, else the one named ``output``, else the
      first named one of alpha, pha, matte, mask. Its shape is ``(1, 1, h, w)``, ``(1, h, w, 1)``,
      ``(1, h, w)`` or ``(h, w)``; an output with several channels needs ``channel``. After
      ``activation`` (none, sigmoid, or softmax over the channels) its values must lie in [0, 1]:
      a model that gives logits raises, naming ``activation``, rather than being clipped. The mask
      is resized back to the frame's size (bilinear).
    - **Recurrent state.** An input ``X`` with an output named after it (``r1i`` / ``r1o``,
      ``state_in`` / ``state_out``, ``h_i`` / ``h_o``) is a state: zeros on the first frame (its
      free dimensions 1, as RobustVideoMatting starts), then that output of the frame before.
    - **Constants.** Any other input is given in ``constants`` (RobustVideoMatting's
      ``downsample_ratio``, for example) and fed on every frame; an input left unexplained raises.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    size : (int, int), optional
        ``(height, width)`` to feed a model whose input size is free (MODNet wants multiples of 32).
    mean, std : float or 3 floats
        Normalisation of the RGB values in [0, 1]: 0 and 1 feed them as they are (RVM), 0.5 and
        0.5 give [-1, 1] (MODNet), ImageNet's (0.485, 0.456, 0.406) and (0.229, 0.224, 0.225) BiRefNet's.
    output : str, optional
        The output that is the mask.
    channel : int, optional
        The channel that is the mask, for an output with several (after ``activation``).
    activation : {None, "sigmoid", "softmax"}
        What turns the output into values in [0, 1].
    constants : dict, optional
        Values of the model's other inputs, by name.
    providers : list of str, optional
        onnxruntime execution providers (default: the CPU).
    threads : int, optional
        onnxruntime's threads within an operator (default: onnxruntime's choice).

    Raises
    ------
    ImportError
        onnxruntime is missing; the message says what to install.
    ValueError
        A missing file, a model this contract does not cover, an option that does not fit the
        model, each named; when called, a frame that is not ``(H, W, 3)`` uint8 or an output
        outside [0, 1].

    Examples
    --------
    >>> seg = OnnxSegmenter("modnet.onnx", size=(512, 512), mean=0.5, std=0.5)     # doctest: +SKIP
    >>> rvm = OnnxSegmenter("rvm_mobilenetv3_fp32.onnx",
    ...                     constants={"downsample_ratio": 0.25})                # doctest: +SKIP
    >>> rvm(frame).shape == frame.shape[:2]                                       # doctest: +SKIP
    True
    """

    def __init__(self, path, *, size: tuple[int, int] | None = None, mean=0.0, std=1.0,
                 output: str | None = None, channel: int | None = None, activation: str | None = None,
                 constants: dict | None = None, providers: list[str] | None = None,
                 threads: int | None = None) -> None:
        try:
            import onnxruntime
        except ImportError as e:
            raise ImportError(f"the segmenter 'onnx:' needs onnxruntime ({e}): {ONNX_INSTALL}") from None
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"path: no such ONNX file {path}")
        if channel is not None and (isinstance(channel, bool) or not isinstance(channel, (int, np.integer))
                                    or channel < 0):
            raise ValueError(f"channel must be a channel's index (an int >= 0), got {channel!r}")
        if activation not in (None, "sigmoid", "softmax"):
            raise ValueError(f"activation must be None, 'sigmoid' or 'softmax', got {activation!r}")
        self._mean, self._std = _per_channel(mean, "mean"), _per_channel(std, "std")
        if (self._std == 0).any():
            raise ValueError(f"std must not be 0, got {std!r}")
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = int(threads)
        try:
            self._session = onnxruntime.InferenceSession(str(path), options,
                                                         providers=providers or ["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own types for a file that is not a model
            raise ValueError(f"path: onnxruntime cannot load {path}: {e}") from None
        inputs = self._session.get_inputs()
        outputs = [o.name for o in self._session.get_outputs()]
        image = inputs[0]
        if len(image.shape) != 4 or image.type not in _FLOATS:
            raise ValueError(f"{path.name}: the first input is the image and must be a rank-4 float tensor, "
                             f"got {image.name} {image.type} {image.shape}")
        self._image, self._dtype = image.name, _FLOATS[image.type]
        self._last = image.shape[3] == 3 and image.shape[1] != 3  # channels last
        declared = image.shape[1:3] if self._last else image.shape[2:4]
        fixed = tuple(d if isinstance(d, int) and d > 0 else None for d in declared)
        if size is not None:
            size = _pair(size)
            if any(f is not None and f != s for f, s in zip(fixed, size)):
                raise ValueError(f"size {size} does not fit {path.name}, whose input {image.name} is {image.shape}")
        elif None not in fixed:
            size = fixed
        elif fixed != (None, None):
            raise ValueError(f"{path.name}'s input {image.name} is {image.shape}: give size=(height, width)")
        self._size = size
        self._states, self._feeds = {}, {}
        constants = dict(constants or {})
        for i in inputs[1:]:
            if i.name in constants:
                self._feeds[i.name] = _constant(i, constants.pop(i.name))
                continue
            out = next((i.name[: -len(a)] + b for a, b in _STATE_SUFFIXES
                        if i.name.endswith(a) and i.name[: -len(a)] + b in outputs), None)
            if out is None:
                raise ValueError(f"{path.name}: input {i.name} {i.shape} is neither the image nor a recurrent "
                                 f"state (no output named for it); give its value in constants={{{i.name!r}: ...}} "
                                 f"(tempcons run: --segmenter-option {i.name}=VALUE)")
            self._states[i.name] = out
            self._feeds[i.name] = np.zeros([d if isinstance(d, int) and d > 0 else 1 for d in i.shape],
                                           _ONNX_TYPES.get(i.type, np.float32))
        if constants:
            raise ValueError(f"constants names {sorted(constants)}, which {path.name} has no input for; "
                             f"its inputs are {[i.name for i in inputs]}")
        candidates = [o for o in outputs if o not in self._states.values()]
        if output is None:
            named = [o for o in candidates if o.lower() in _ALPHA_NAMES]
            if len(candidates) != 1 and not named:
                raise ValueError(f"{path.name} has outputs {candidates}: give output= the one that is the mask")
            output = candidates[0] if len(candidates) == 1 else named[0]
        elif output not in candidates:
            raise ValueError(f"output must be one of {path.name}'s outputs {candidates}, got {output!r}")
        self.output, self._channel, self._activation = output, channel, activation
        self._fetch = [output, *self._states.values()]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame must be an (H, W, 3) uint8 RGB image, got {frame.dtype} {frame.shape}")
        height, width = frame.shape[:2]
        fed = frame
        if self._size is not None and self._size != (height, width):
            shrink = self._size[0] * self._size[1] < height * width
            fed = cv2.resize(frame, self._size[::-1], interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        x = (fed.astype(np.float32) / 255 - self._mean) / self._std
        x = x[None] if self._last else x.transpose(2, 0, 1)[None]
        result = self._session.run(self._fetch, {self._image: x.astype(self._dtype), **self._feeds})
        for name, value in zip(self._states, result[1:]):
            self._feeds[name] = value
        mask = self._mask(np.asarray(result[0], np.float32))
        if mask.shape != (height, width):
            mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
        return mask

    def _mask(self, out: np.ndarray) -> np.ndarray:
        """The ``(h, w)`` mask in [0, 1] from the output tensor."""
        shape = out.shape
        if out.ndim == 4:
            last = out.shape[3] < out.shape[1]  # (1, h, w, C) rather than (1, C, h, w)
            out = np.moveaxis(out[0], -1, 0) if last else out[0]
        elif out.ndim == 3:  # (C, h, w): a batch of one without its axis
            pass
        elif out.ndim == 2:
            out = out[None]
        else:
            raise ValueError(f"output {self.output} has shape {shape}; a mask is (1, 1, h, w), (1, h, w) or (h, w)")
        if self._activation == "sigmoid":
            out = 1 / (1 + np.exp(-out))
        elif self._activation == "softmax":
            out = np.exp(out - out.max(axis=0))
            out /= out.sum(axis=0)
        if out.shape[0] > 1 and self._channel is None:
            raise ValueError(f"output {self.output} has {out.shape[0]} channels {shape}: give channel= the mask's")
        out = out[self._channel or 0]
        low, high = float(out.min()), float(out.max())
        if low < -1e-3 or high > 1 + 1e-3:
            raise ValueError(f"output {self.output} holds values in [{low:.3g}, {high:.3g}], not [0, 1]: "
                             f"for logits give activation='sigmoid' (or 'softmax' over channels)")
        return np.clip(out, 0, 1).astype(np.float32, copy=False)


def _per_channel(value, name: str) -> np.ndarray:
    try:
        return np.broadcast_to(np.asarray(value, np.float32), (3,)).copy()
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a number or 3 numbers (R, G, B), got {value!r}") from None


def _pair(size) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (height, width), got {size!r}") from None
    if height < 1 or width < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return height, width


def _constant(node, value) -> np.ndarray:
    """A constant input's value in the dtype and rank the model declares (a scalar fills a [1])."""
    value = np.asarray(value, _ONNX_TYPES.get(node.type, np.float32))
    if value.ndim < len(node.shape):
        value = value.reshape((1,) * (len(node.shape) - value.ndim) + value.shape)
    return value


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


def load_segmenter(spec: str, **options) -> Callable[[np.ndarray], np.ndarray]:
    """The segmenter a name stands for: a function from an RGB frame ``(H, W, 3)`` uint8 to a mask.

    Parameters
    ----------
    spec : str
        ``"mediapipe"``, ``"mediapipe:general"``, ``"mediapipe:landscape"``, ``"onnx:path/to/model.onnx"``,
        ``"module:function"`` or ``"path/to/file.py:function"``.
    **options
        For ``onnx:``, the options of :class:`OnnxSegmenter` (``size``, ``mean``, ``std``, ``output``,
        ``channel``, ``activation``, ``constants``, ...); the other segmenters take none.

    Returns
    -------
    callable
        The built-in segmenter (:class:`MediaPipeSelfie`, :class:`OnnxSegmenter`) or your function.

    Raises
    ------
    ValueError
        A malformed name, a missing file or function, an unknown MediaPipe model, an ONNX model
        outside :class:`OnnxSegmenter`'s contract, options given to a segmenter that takes none.
    ImportError
        The module, MediaPipe or onnxruntime is missing (for the built-in ones, with the line that
        installs it).
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
    if family == "onnx":
        if not variant:
            raise ValueError(f"segmenter {spec}: give the model's path, as onnx:path/to/model.onnx")
        return OnnxSegmenter(variant, **options)
    if options:
        raise ValueError(f"segmenter {spec} takes no options (only onnx: does), got {sorted(options)}")
    if family == "mediapipe":
        if (variant or "general") not in _MEDIAPIPE_MODELS:
            raise ValueError(f"segmenter {spec}: MediaPipe's models here are {sorted(_MEDIAPIPE_MODELS)}")
        return MediaPipeSelfie(variant or "general")
    source, _, name = spec.rpartition(":")
    if not source or not name:
        raise ValueError(f"segmenter must be 'mediapipe[:general|landscape]', 'onnx:path/to/model.onnx', "
                         f"'module:function' or 'path/to/file.py:function', got {spec!r}")
    return _function(spec)
