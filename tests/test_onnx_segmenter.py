"""The ``onnx:`` segmenter on tiny models the tests build with the onnx package's helpers.

Each model computes something a NumPy line can repeat (the mean of the RGB channels, its logit,
a running average held in a recurrent state), so every value OnnxSegmenter returns is checked,
not only its shape.
"""

import sys

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image

import tempcons as tc
from tempcons.cli import main
from tempcons.segmenters import ONNX_INSTALL, OnnxSegmenter, load_segmenter

FLOAT = TensorProto.FLOAT


def _save(path, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _scalar(name, value):
    return helper.make_tensor(name, FLOAT, [], [value])


def mean_model(path, shape=(1, 3, None, None), *, logits=False):
    """alpha = the mean of the image's channels (in [0, 1] when fed [0, 1]); ``logits``: 20 (mean - 0.5)."""
    last = shape[3] == 3
    nodes = [helper.make_node("ReduceMean", ["image"], ["m"], axes=[3 if last else 1], keepdims=1)]
    if logits:
        nodes += [helper.make_node("Sub", ["m", "half"], ["c"]), helper.make_node("Mul", ["c", "gain"], ["alpha"])]
    else:
        nodes += [helper.make_node("Identity", ["m"], ["alpha"])]
    return _save(path, nodes, [helper.make_tensor_value_info("image", FLOAT, list(shape))],
                 [helper.make_tensor_value_info("alpha", FLOAT, [None] * 4)],
                 [_scalar("half", 0.5), _scalar("gain", 20.0)] if logits else [])


def recurrent_model(path):
    """RobustVideoMatting's interface in miniature: src, a state r1i -> r1o, a downsample_ratio;
    r1o = (r1i + mean(src)) / 2, pha = r1o * downsample_ratio, and a second output fgr = src."""
    nodes = [helper.make_node("ReduceMean", ["src"], ["m"], axes=[1], keepdims=1),
             helper.make_node("Add", ["r1i", "m"], ["s"]),
             helper.make_node("Mul", ["s", "half"], ["r1o"]),
             helper.make_node("Mul", ["r1o", "downsample_ratio"], ["pha"]),
             helper.make_node("Identity", ["src"], ["fgr"])]
    inputs = [helper.make_tensor_value_info("src", FLOAT, [1, 3, None, None]),
              helper.make_tensor_value_info("r1i", FLOAT, [1, 1, None, None]),
              helper.make_tensor_value_info("downsample_ratio", FLOAT, [1])]
    outputs = [helper.make_tensor_value_info(n, FLOAT, [1, c, None, None]) for n, c in (("fgr", 3), ("pha", 1), ("r1o", 1))]
    return _save(path, nodes, inputs, outputs, [_scalar("half", 0.5)])


@pytest.fixture
def frames():
    return tc.synthetic.make_clip(n_frames=4, height=48, width=64).frames


def test_a_free_size_model_sees_the_frame_in_0_1_and_gives_its_mask(tmp_path, frames):
    seg = load_segmenter(f"onnx:{mean_model(tmp_path / 'm.onnx')}")
    mask = seg(frames[0])
    assert mask.shape == (48, 64) and mask.dtype == np.float32
    np.testing.assert_allclose(mask, frames[0].mean(axis=2) / 255, atol=1e-6)
    # mean and std normalise before the model: (x - 0.5) / 0.5 moves the mean to 2 m - 1
    with pytest.raises(ValueError, match=r"not \[0, 1\].*activation"):
        OnnxSegmenter(tmp_path / "m.onnx", mean=0.5, std=0.5)(np.zeros((4, 4, 3), np.uint8))
    grey = np.full((4, 4, 3), 255, np.uint8)
    np.testing.assert_allclose(OnnxSegmenter(tmp_path / "m.onnx", mean=0.5, std=0.5)(grey), 1.0, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 3, 16, 24), (1, 16, 24, 3)], ids=["channels-first", "channels-last"])
def test_a_fixed_size_model_is_fed_the_resized_frame_and_its_mask_is_resized_back(tmp_path, frames, shape):
    seg = OnnxSegmenter(mean_model(tmp_path / "m.onnx", shape))
    small = cv2.resize(frames[1], (24, 16), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    expected = cv2.resize(small.mean(axis=2), (64, 48), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(seg(frames[1]), expected, atol=1e-5)
    with pytest.raises(ValueError, match="size .* does not fit"):
        OnnxSegmenter(tmp_path / "m.onnx", size=(32, 32))


def test_a_free_size_model_is_fed_the_size_asked_for(tmp_path, frames):
    seg = OnnxSegmenter(mean_model(tmp_path / "m.onnx"), size=(32, 32))
    small = cv2.resize(frames[0], (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    expected = cv2.resize(small.mean(axis=2), (64, 48), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(seg(frames[0]), expected, atol=1e-5)


def test_logits_are_refused_until_an_activation_is_named(tmp_path, frames):
    path = mean_model(tmp_path / "m.onnx", logits=True)
    with pytest.raises(ValueError, match="activation='sigmoid'"):
        OnnxSegmenter(path)(frames[0])
    expected = 1 / (1 + np.exp(-20 * (frames[0].mean(axis=2) / 255 - 0.5)))
    np.testing.assert_allclose(OnnxSegmenter(path, activation="sigmoid")(frames[0]), expected, atol=1e-5)


def test_a_recurrent_model_carries_its_state_and_takes_constants(tmp_path, frames):
    path = recurrent_model(tmp_path / "rvm.onnx")
    seg = OnnxSegmenter(path, constants={"downsample_ratio": 0.5})
    assert seg.output == "pha"  # chosen by name over fgr; r1o is the state, never the mask
    state = np.zeros((48, 64), np.float32)
    for frame in frames:
        state = (state + frame.mean(axis=2) / 255) / 2
        np.testing.assert_allclose(seg(frame), state * 0.5, atol=1e-6)


def test_a_model_outside_the_contract_is_named_with_the_fix(tmp_path):
    path = recurrent_model(tmp_path / "rvm.onnx")
    with pytest.raises(ValueError, match=r"downsample_ratio .*constants=\{'downsample_ratio'"):
        OnnxSegmenter(path)
    with pytest.raises(ValueError, match=r"constants names \['ratio'\]"):
        OnnxSegmenter(path, constants={"downsample_ratio": 0.25, "ratio": 1})
    with pytest.raises(ValueError, match=r"output must be one of .*'fgr', 'pha'"):
        OnnxSegmenter(path, constants={"downsample_ratio": 0.25}, output="r1o")
    with pytest.raises(ValueError, match="no such ONNX file"):
        load_segmenter(f"onnx:{tmp_path / 'none.onnx'}")
    with pytest.raises(ValueError, match="give the model's path"):
        load_segmenter("onnx:")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="cannot load"):
        OnnxSegmenter(tmp_path / "junk.onnx")
    with pytest.raises(ValueError, match="activation must be"):
        OnnxSegmenter(mean_model(tmp_path / "m.onnx"), activation="relu")
    with pytest.raises(ValueError, match=r"mean must be a number or 3 numbers"):
        OnnxSegmenter(tmp_path / "m.onnx", mean=(0.5, 0.5))
    with pytest.raises(ValueError, match="channel must be"):
        OnnxSegmenter(tmp_path / "m.onnx", channel="1")
    with pytest.raises(ValueError, match="takes no options"):
        load_segmenter("numpy:mean", size=(4, 4))


def test_several_channels_need_the_channel_named(tmp_path, frames):
    # Two channels: background then foreground logits, as a two-class segmentation model gives.
    nodes = [helper.make_node("ReduceMean", ["image"], ["m"], axes=[1], keepdims=1),
             helper.make_node("Neg", ["m"], ["n"]),
             helper.make_node("Concat", ["n", "m"], ["logits"], axis=1)]
    path = _save(tmp_path / "two.onnx", nodes, [helper.make_tensor_value_info("image", FLOAT, [1, 3, None, None])],
                 [helper.make_tensor_value_info("logits", FLOAT, [1, 2, None, None])])
    with pytest.raises(ValueError, match="2 channels .* channel="):
        OnnxSegmenter(path, activation="softmax")(frames[0])
    m = frames[0].mean(axis=2) / 255
    expected = 1 / (1 + np.exp(-2 * m))  # softmax of (-m, m), its second channel
    np.testing.assert_allclose(OnnxSegmenter(path, activation="softmax", channel=1)(frames[0]), expected, atol=1e-5)


def test_a_missing_onnxruntime_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError) as caught:
        load_segmenter(f"onnx:{mean_model(tmp_path / 'm.onnx')}")
    assert ONNX_INSTALL in str(caught.value)


def test_the_command_runs_an_onnx_model_end_to_end(tmp_path, frames):
    # RVM's interface through `tempcons run`: its constant from --segmenter-option, its state carried.
    clip = tc.synthetic.make_clip(n_frames=6, height=48, width=64)
    tc.io.write_video(tmp_path / "in.avi", clip.frames, fps=12)
    model = recurrent_model(tmp_path / "rvm.onnx")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "in.avi"), "--segmenter", f"onnx:{model}", "--segmenter-option",
                 "downsample_ratio=1.0", "--output-type", "alpha", "--raw", "--latency", "1", "-o", str(out),
                 "--quiet"]) == 0
    decoded = list(tc.io.open_frames(tmp_path / "in.avi"))
    state, expected = np.zeros((48, 64), np.float32), []
    for frame in decoded:
        state = (state + frame.mean(axis=2) / 255) / 2
        expected.append(np.rint(state * 255))
    raw = np.stack([np.asarray(Image.open(p)) for p in sorted((out / "raw").glob("*.png"))]).astype(int)
    alpha = [np.asarray(Image.open(p)) for p in sorted((out / "alpha").glob("*.png"))]
    assert raw.shape == (6, 48, 64) and np.abs(raw - np.stack(expected)).max() <= 1
    assert len(alpha) == 6 and all(a.shape == (48, 64) and a.dtype == np.uint8 for a in alpha)


def test_the_command_names_a_bad_segmenter_option(tmp_path, capsys):
    tc.io.write_video(tmp_path / "in.avi", tc.synthetic.make_clip(n_frames=3, height=48, width=64).frames)
    model = recurrent_model(tmp_path / "rvm.onnx")
    for options, says in ((["downsample_ratio"], "KEY=VALUE"),
                          ([], "--segmenter-option downsample_ratio=VALUE"),
                          (["downsample_ratio=1", "ratio=2"], "constants names ['ratio']")):
        given = [arg for option in options for arg in ("--segmenter-option", option)]
        assert main(["run", str(tmp_path / "in.avi"), "--segmenter", f"onnx:{model}", *given,
                     "-o", str(tmp_path / "out")]) == 1
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
