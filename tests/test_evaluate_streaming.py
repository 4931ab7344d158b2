"""evaluate() reads a clip frame by frame: arrays and iterables of frames give the same Evaluation,
equal to the metric functions on whole clips, without ever holding the clip; a frame that does not
fit is named."""

import json
import tracemalloc

import cv2
import numpy as np
import pytest

import tempcons as tc
from tempcons.flow import clip_flows
from tempcons.io import open_frames, open_masks
from tempcons.metrics import evaluate, matting, semantic
from tempcons.metrics.davis import boundary_f_measure, evaluate_sequence, global_table, region_similarity, statistics
from tempcons.metrics.flicker import area_jitter, boundary_jitter, flip_rate, temporal_change, warping_error
from tempcons.metrics.stability import temporal_stability


def frames_of(video):
    """A generator of copies of the frames: nothing of the array reaches evaluate()."""
    return (np.array(frame) for frame in video)


def streamed(**inputs):
    """The same inputs with every per-frame array (and the flow) as generators."""
    out = dict(inputs)
    for key in ("pred", "gt", "frames", "trimap"):
        if isinstance(inputs.get(key), np.ndarray):
            out[key] = frames_of(inputs[key])
    if inputs.get("flow") is not None:
        out["flow"] = tuple(frames_of(f) for f in inputs["flow"])
    return out


def assert_same(a, b):
    """Equal Evaluations. boundary_jitter within 1e-6: OpenCV's precise distance transform gives
    float32 distances that differ in the last bit from one call to another."""
    assert (a.name, a.kind, a.n_frames, list(a.metrics)) == (b.name, b.kind, b.n_frames, list(b.metrics))
    for name, m in a.metrics.items():
        if name == "boundary_jitter":
            assert b[name].series == pytest.approx(m.series, rel=1e-6, nan_ok=True)
            assert b[name].value == pytest.approx(m.value, rel=1e-6, nan_ok=True)
        else:  # JSON spells NaN the same way twice
            assert json.dumps(b.to_dict()["metrics"][name]) == json.dumps(a.to_dict()["metrics"][name]), name


@pytest.fixture(scope="module")
def clip():
    return tc.synthetic.make_clip(n_frames=7, height=40, width=56, seed=5)


def _labels(clip, classes=3):
    rng = np.random.default_rng(0)
    gt = np.minimum((clip.masks * classes).astype(np.uint8), classes - 1)
    gt[:, 0] = 255
    pred = gt.copy()
    pred[pred == 255] = 0
    flips = rng.random(pred.shape) < 0.05
    pred[flips] = rng.integers(0, classes, flips.sum())
    return pred, gt


def _alpha(clip):
    truth = cv2.GaussianBlur(clip.truth.astype(np.float32).transpose(1, 2, 0), (5, 5), 0).transpose(2, 0, 1)
    alpha = np.clip(clip.masks, 0, 1).astype(np.float32)
    trimap = np.where(truth <= 0, 0, np.where(truth >= 1, 255, 128)).astype(np.uint8)
    return alpha, np.ascontiguousarray(truth), trimap


def _cases(clip):
    masks, truth, frames = clip.masks, clip.truth, clip.frames
    still = np.zeros((len(masks) - 1, *masks.shape[1:], 2), np.float32)
    labels, label_gt = _labels(clip)
    alpha, alpha_gt, trimap = _alpha(clip)
    mask_metrics = ["warping_error", "boundary_jitter", "flip_rate", "area_jitter", "temporal_change", "J", "F",
                    "J&F", "T"]
    return {
        "binary bool": (dict(pred=masks >= 0.5, gt=truth, frames=frames), mask_metrics),
        "binary uint8 0/255": (dict(pred=(masks >= 0.5).astype(np.uint8) * 255, gt=truth.astype(np.uint8),
                                    frames=frames), mask_metrics),
        "soft uint8, caller flow": (dict(pred=(masks * 255).astype(np.uint8), gt=truth, flow=(still, still),
                                         flow_source="zero"), mask_metrics),
        "soft float, no truth": (dict(pred=masks), None),
        "alpha rvm / dvm": (dict(pred=alpha, gt=alpha_gt, kind="alpha", trimap=trimap), None),
        "alpha tcvom": (dict(pred=(alpha * 255).astype(np.uint8), gt=alpha_gt, kind="alpha", trimap=trimap,
                             frames=frames, protocols={"dtSSD": "tcvom", "MESSDdt": "tcvom"}), None),
        "alpha dvm / erofeev": (dict(pred=alpha, gt=alpha_gt, kind="alpha", frames=frames,
                                     protocols={"dtSSD": "dvm", "MESSDdt": "erofeev"}), None),
        "labels tempcons": (dict(pred=labels, gt=label_gt, kind="labels", frames=frames), None),
        "labels vspw, classes given": (dict(pred=labels, gt=label_gt, kind="labels", frames=frames, num_classes=4,
                                            protocols={"TC": "vspw"}), None),
        "labels etc, no truth": (dict(pred=labels.astype(np.int32), kind="labels", flow=(still, still),
                                      protocols={"TC": "etc"}), None),
    }


@pytest.mark.parametrize("case", ["binary bool", "binary uint8 0/255", "soft uint8, caller flow",
                                  "soft float, no truth", "alpha rvm / dvm", "alpha tcvom", "alpha dvm / erofeev",
                                  "labels tempcons", "labels vspw, classes given", "labels etc, no truth"])
def test_arrays_and_generators_give_the_same_evaluation(clip, case):
    inputs, metrics = _cases(clip)[case]
    assert_same(evaluate(**inputs, metrics=metrics), evaluate(**streamed(**inputs), metrics=metrics))


def test_mask_values_equal_the_metric_functions_on_whole_clips(clip):
    binary, truth, frames = clip.masks >= 0.5, clip.truth, clip.frames
    r = evaluate(clip.masks, gt=truth, frames=frames, metrics=["warping_error", "boundary_jitter", "flip_rate",
                                                               "area_jitter", "temporal_change", "J", "F", "T"])
    lai = warping_error(binary, frames)
    assert (r["warping_error"].value, r["warping_error"].series) == (lai.value, lai.per_pair.tolist())
    jitter = boundary_jitter(binary, frames)
    assert r["boundary_jitter"].series == pytest.approx(jitter.per_pair.tolist(), rel=1e-6)
    assert r["flip_rate"].series == flip_rate(binary).tolist()
    assert r["temporal_change"].series == temporal_change(clip.masks).tolist()
    assert r["area_jitter"].value == area_jitter(clip.masks)
    inner = slice(1, -1)
    assert r["J"].value == statistics(region_similarity(binary[inner], truth[inner]))["mean"]
    assert r["F"].series == boundary_f_measure(binary[inner], truth[inner]).tolist()
    assert r["T"].value == 5 * np.nanmean(temporal_stability(binary[:-1], first=truth[0]))


def test_matting_values_equal_the_metric_functions_on_whole_clips(clip):
    alpha, truth, trimap = _alpha(clip)
    for name, fn in (("MAD", matting.mad), ("MSE", matting.mse), ("Grad", matting.grad), ("Conn", matting.conn),
                     ("dtSSD", matting.dtssd), ("MESSDdt", matting.messddt)):
        r = evaluate(alpha, gt=truth, kind="alpha", trimap=trimap, metrics=[name])[name]
        whole = fn(alpha, truth, trimap=trimap) if name == "MESSDdt" else fn(alpha, truth)
        assert (r.value, r.series) == (whole.value, whole.per_frame.tolist()), name
    forward = np.stack([f for f, _ in clip_flows(clip.frames)])
    for protocol in ("tcvom", "dvm", "erofeev"):
        r = evaluate(alpha, gt=truth, kind="alpha", trimap=trimap, frames=clip.frames, metrics=["dtSSD", "MESSDdt"],
                     protocols={"dtSSD": protocol, "MESSDdt": protocol})
        whole = matting.dtssd(alpha, truth, protocol=protocol, trimap=trimap)
        assert (r["dtSSD"].value, r["dtSSD"].series) == (whole.value, whole.per_frame.tolist()), protocol
        flow = None if protocol == "dvm" else forward  # DVM's flow is its own, on the truth
        whole = matting.messddt(alpha, truth, protocol=protocol, trimap=trimap, flow=flow)
        assert (r["MESSDdt"].value, r["MESSDdt"].series) == (whole.value, whole.per_frame.tolist()), protocol


def test_label_values_equal_the_metric_functions_on_whole_clips(clip):
    pred, gt = _labels(clip)
    r = evaluate(pred, gt=gt, kind="labels", frames=clip.frames, metrics=["TC", "mIoU", "VC8", "J&F"])
    c = 3  # the largest id is 2; void (255) is no class
    tc_whole = semantic.temporal_consistency(pred, c, frames=clip.frames, protocol="tempcons")
    assert (r["TC"].value, r["TC"].series) == (tc_whole.value, tc_whole.per_pair[0].tolist())
    assert r["TC"].extra["counts"] == tc_whole.counts.tolist()
    assert r["mIoU"].value == semantic.miou(pred, gt, c).value
    assert r["VC8"].series == semantic.video_consistency(pred, gt, n=8).windows.tolist() == []  # 7 frames: no window
    assert r["J&F"].value == global_table({"clip": evaluate_sequence(pred, gt)})["J&F-Mean"]
    long_pred, long_gt = np.concatenate([pred] * 3), np.concatenate([gt] * 3)
    vc = evaluate(frames_of(long_pred), gt=frames_of(long_gt), kind="labels", metrics=["VC8", "VC16"])
    for n in (8, 16):
        assert vc[f"VC{n}"].series == semantic.video_consistency(long_pred, long_gt, n=n).windows.tolist()


def test_a_clip_from_disk_streams_like_its_arrays(clip, tmp_path):
    masks = (clip.masks * 255).astype(np.uint8)
    for folder, video in (("pred", masks), ("gt", clip.truth.astype(np.uint8) * 255), ("frames", clip.frames)):
        (tmp_path / folder).mkdir()
        for t, frame in enumerate(video):
            cv2.imwrite(str(tmp_path / folder / f"{t:05d}.png"), frame[..., ::-1] if frame.ndim == 3 else frame)
    seen = []
    from_disk = evaluate(open_masks(tmp_path / "pred"), gt=open_masks(tmp_path / "gt"),
                         frames=open_frames(tmp_path / "frames"), progress=seen.append)
    assert seen == [1] * len(masks)  # one call per frame, as tqdm's update takes it
    assert_same(evaluate(masks, gt=clip.truth.astype(np.uint8) * 255, frames=clip.frames), from_disk)


def test_a_generator_clip_is_never_held_whole():
    n, h, w = 200, 256, 256

    def masks(shift):
        for t in range(n):
            m = np.zeros((h, w), np.uint8)
            cv2.circle(m, (128 + int(40 * np.sin(t / 9)) + shift, 128), 60 + t % 3, 255, -1)
            yield m

    def still():
        return (np.zeros((h, w, 2), np.float32) for _ in range(n - 1))

    evaluate(np.zeros((2, 8, 8), np.uint8), flow=(np.zeros((1, 8, 8, 2), np.float32),) * 2)  # compile the kernels
    done = []
    tracemalloc.start()
    try:
        r = evaluate(masks(0), gt=masks(2), flow=(still(), still()), progress=done.append,
                     metrics=["warping_error", "flip_rate", "area_jitter", "temporal_change", "J", "F", "J&F"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.n_frames == n == sum(done) == len(done)
    # The clip as float32 would be 52 MB; evaluate() peaks near 6 MB (11%): the newest pair's
    # frames and flows, and the warping error's buffers, whatever the clip's length.
    assert peak < 0.2 * n * h * w * 4, peak


def _frames(video, bad_at, bad):
    for t, frame in enumerate(video):
        yield bad if t == bad_at else frame


@pytest.mark.parametrize("bad, message", [
    (np.full((40, 56), 0.5, np.float32), r"pred\[3\] has dtype float32, expected uint8"),
    (np.zeros((40, 50), np.uint8), r"pred\[3\] has shape \(40, 50\), expected \(40, 56\)"),
    (np.full((40, 56), 7, np.uint8), r"pred\[3\].*values \{0, 1\} or \{0, 255\}.*kind='binary' from pred\[0\]"),
])
def test_a_frame_that_contradicts_the_first_is_named(clip, bad, message):
    masks = (clip.masks >= 0.5).astype(np.uint8) * 255
    with pytest.raises(ValueError, match=message):
        evaluate(_frames(masks, 3, bad))


def test_bad_iterables_name_the_argument_and_the_frame(clip):
    soft, binary = clip.masks, (clip.masks >= 0.5).astype(np.uint8)
    with pytest.raises(ValueError, match=r"pred\[2\] is float, so its values must be in \[0, 1\]"):
        evaluate(_frames(soft, 2, soft[2] * 2))
    with pytest.raises(ValueError, match=r"pred\[4\] holds values up to 255, but the frames before it held only 0 "):
        evaluate(_frames(binary, 4, binary[4] * 255), kind="binary")
    with pytest.raises(ValueError, match=r"pred\[1\] has dtype float64, expected int64"):
        evaluate(_frames(binary.astype(np.int64), 1, np.zeros((40, 56))), kind="labels")
    with pytest.raises(ValueError, match=r"gt\[3\] is float, so its values must be in \[0, 1\]"):
        evaluate(soft, gt=_frames(soft, 3, soft[3] + 1), kind="alpha")
    with pytest.raises(ValueError, match=r"gt ends after 4 frames, before pred does"):
        evaluate(binary * 255, gt=frames_of(clip.truth[:4]))
    with pytest.raises(ValueError, match=r"gt has more than the 7 frames"):
        evaluate(frames_of(binary * 255), gt=frames_of(np.concatenate([clip.truth, clip.truth[:1]])))
    with pytest.raises(ValueError, match=r"gt\[5\] has shape \(40, 55\), expected \(40, 56\)"):
        evaluate(binary * 255, gt=_frames(clip.truth, 5, clip.truth[5][:, 1:]))
    with pytest.raises(ValueError, match=r"frames\[2\] is \(20, 28\) pixels, expected pred's \(40, 56\)"):
        evaluate(binary * 255, frames=_frames(clip.frames, 2, clip.frames[2][::2, ::2]))
    still = np.zeros((5, 40, 56, 2), np.float32)
    with pytest.raises(ValueError, match=r"flow\[0\] ends after 5 pairs, before pred does"):
        evaluate(frames_of(binary * 255), flow=(frames_of(still), frames_of(still)))
    with pytest.raises(ValueError, match=r"flow\[1\] has 5 pairs, but pred's frames make 6"):
        evaluate(binary * 255, flow=(np.zeros((6, 40, 56, 2), np.float32), still))
    with pytest.raises(ValueError, match=r"pred has no frames"):
        evaluate(iter([]))
    labels, label_gt = _labels(clip)
    with pytest.raises(ValueError, match=r"need at least 3 frames; pred has 2"):
        evaluate(frames_of(labels[:2]), gt=frames_of(label_gt[:2]), kind="labels", metrics=["J"])
