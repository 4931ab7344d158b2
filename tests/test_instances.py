"""Instance ids: consistent under renumbering, recovered after occlusion and exit, reset at cuts."""

import numpy as np
import pytest

import tempcons as tc
from tempcons.metrics.tracking import id_switches


def _scene(rng, t, h=64, w=80, colours=((220, 40, 40), (40, 220, 40), (40, 40, 220))):
    frames = np.repeat((rng.random((1, h, w, 3)) * 60 + 90).astype(np.uint8), t, axis=0)
    boxes = [(8, 8), (8, 48), (36, 28)]
    truth = np.zeros((t, h, w), np.int32)
    for k, ((y, x), colour) in enumerate(zip(boxes, colours)):
        frames[:, y:y + 16, x:x + 16] = colour
        truth[:, y:y + 16, x:x + 16] = k + 1
    return frames, truth


def _renumber(truth, rng):
    out = np.zeros_like(truth)
    for t in range(len(truth)):
        perm = rng.permutation(3) + 10 + int(rng.integers(0, 20))
        for k in range(3):
            out[t][truth[t] == k + 1] = perm[k]
    return out


def test_ids_are_consistent_under_renumbering():
    rng = np.random.default_rng(0)
    frames, truth = _scene(rng, 8)
    result = tc.track_instances(frames, _renumber(truth, rng))
    assert id_switches(result.ids, truth).count == 0
    assert len(np.unique(result.ids)) == 4 and result.cuts == []
    assert all(len(m) == 3 for m in result.mappings)


def test_an_occluded_instance_gets_its_id_back():
    rng = np.random.default_rng(1)
    frames, truth = _scene(rng, 14)
    seen = _renumber(truth, rng)
    seen[6:9][truth[6:9] == 1] = 0  # the first object is missed for three frames
    ids = tc.track_instances(frames, seen).ids
    assert ids[2, 10, 10] == ids[12, 10, 10] != 0
    assert id_switches(ids, truth).count == 0


def test_an_instance_that_leaves_comes_back_by_appearance():
    rng = np.random.default_rng(2)
    frames, truth = _scene(rng, 16)
    background = frames[0, 0, 0].copy()
    frames[5:10, 8:24, 8:24] = background  # the red object leaves the picture ...
    truth[5:10][truth[5:10] == 1] = 0
    frames[10:, 8:24, 8:24] = background
    frames[10:, 40:56, 60:76] = (220, 40, 40)  # ... and comes back somewhere else
    truth[10:][truth[10:] == 1] = 0
    truth[10:, 40:56, 60:76] = 1
    ids = tc.track_instances(frames, _renumber(truth, rng)).ids
    assert ids[0, 10, 10] == ids[12, 45, 65]
    assert id_switches(ids, truth).count == 0


def test_a_scene_cut_resets_the_ids():
    rng = np.random.default_rng(3)
    a, truth_a = _scene(rng, 5)
    b, truth_b = _scene(rng, 5, colours=((250, 250, 0), (0, 250, 250), (250, 0, 250)))
    b = (b.astype(np.int16) // 3 + 150).clip(0, 255).astype(np.uint8)  # another shot: brighter, other colours
    frames = np.concatenate([a, b])
    instances = _renumber(np.concatenate([truth_a, truth_b]), rng)
    result = tc.track_instances(frames, instances)
    assert result.cuts == [5]
    before, after = set(np.unique(result.ids[:5])) - {0}, set(np.unique(result.ids[5:])) - {0}
    assert len(before) == len(after) == 3 and not before & after


def test_bad_instance_input():
    frames = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(TypeError, match="integer"):
        tc.track_instances(frames, np.zeros((2, 8, 8), np.float32))
    with pytest.raises(ValueError, match="negative"):
        tc.track_instances(frames, np.full((2, 8, 8), -1, np.int32))
    with pytest.raises(ValueError, match="like the frames"):
        tc.track_instances(frames, np.zeros((3, 8, 8), np.int32))
    with pytest.raises(ValueError, match="min_iou"):
        tc.InstanceTracker(min_iou=0)


@pytest.fixture(scope="module")
def multi():
    return tc.synthetic.make_multi_clip(n_frames=40, height=96, width=128, n_people=3, seed=0, cut_at=25)


def test_stabilized_instances_switch_ids_rarely_and_not_across_the_cut(multi):
    out = tc.stabilize(multi.frames, multi.instances, kind="instances")
    raw = id_switches(multi.instances, multi.ids).count
    naive = id_switches(tc.baselines.max_overlap_ids(multi.instances), multi.ids).count
    ours = id_switches(out, multi.ids).count
    assert ours <= 0.1 * raw and ours <= naive
    assert not (set(np.unique(out[:25])) - {0}) & (set(np.unique(out[25:])) - {0})


def test_streaming_instances_equal_stabilize(multi):
    stab = tc.Stabilizer(kind="instances", latency=1, preset="realtime")
    outs = [stab.update(f, m) for f, m in zip(multi.frames, multi.instances)]
    outs = np.stack([o for o in outs if o is not None] + stab.flush())
    np.testing.assert_array_equal(outs, tc.stabilize(multi.frames, multi.instances, kind="instances",
                                                     latency=1, preset="realtime"))


def test_id_switch_metric_by_hand():
    gt = np.zeros((5, 4, 4), np.int32)
    gt[:, :2] = 1
    pred = gt * np.array([3, 3, 0, 3, 4])[:, None, None]  # missed at frame 2, renamed at frame 4
    result = id_switches(pred, gt)
    assert result.count == 1 and result.per_frame.tolist() == [0, 0, 0, 0, 1]
    assert result.recall == pytest.approx(0.8) and result.n_objects == 1


def test_stq_penalises_an_id_switch_through_association():
    from tempcons.metrics.tracking import stq
    sem = np.zeros((2, 4, 8), int)
    sem[:, :, :4] = 1
    inst = (sem == 1).astype(int)
    switched = inst * np.array([5, 6])[:, None, None]
    perfect = stq(sem, inst, sem, inst, things=[1], num_classes=2)
    result = stq(sem, switched, sem, inst, things=[1], num_classes=2)
    assert perfect.stq == pytest.approx(1.0) and result.sq == pytest.approx(1.0)
    assert result.aq == pytest.approx(0.5) and result.stq == pytest.approx(np.sqrt(0.5))


def test_vpq_sees_an_id_switch_only_in_windows_across_it():
    from tempcons.metrics.tracking import vpq
    sem = np.zeros((4, 4, 8), int)
    sem[:, :, :4] = 1
    inst = (sem == 1).astype(int)
    switched = inst * np.array([5, 5, 6, 6])[:, None, None]
    result = vpq(sem, switched, sem, inst, things=[1], num_classes=2, windows=(1, 2))
    assert result["per_window"][1] == pytest.approx(1.0)
    assert result["per_window"][2] < 1.0
    assert vpq(sem, inst, sem, inst, things=[1], num_classes=2, windows=(1, 2))["vpq"] == pytest.approx(1.0)


def _pair_that_moves(shift=32, h=48, w=128):
    """Two like boxes moving ``shift`` px right in one frame: without the motion, the first lands on the second."""
    rng = np.random.default_rng(3)
    frames = np.repeat((rng.random((1, h, w, 3)) * 60 + 90).astype(np.uint8), 2, axis=0)
    ids = np.zeros((2, h, w), np.int32)
    for t in range(2):
        for k, x in enumerate((8, 40)):
            frames[t, 16:32, x + t * shift:x + t * shift + 16] = (200, 60, 60)
            ids[t, 16:32, x + t * shift:x + t * shift + 16] = (k + 1) * (1 if t == 0 else 7)
    forward = np.zeros((1, h, w, 2), np.float32)
    forward[..., 0] = shift
    return frames, ids, (forward, -forward)


@pytest.mark.parametrize("latency", [0, None])
def test_a_supplied_flow_is_what_the_instances_are_matched_along(latency):
    frames, ids, (forward, backward) = _pair_that_moves()
    moved = tc.stabilize(frames, ids, kind="instances", latency=latency, flow=(forward, backward))
    assert moved[1, 20, 45] == moved[0, 20, 13] and moved[1, 20, 77] == moved[0, 20, 45]
    still = tc.stabilize(frames, ids, kind="instances", latency=latency, flow=(0 * forward, 0 * backward))
    assert still[1, 20, 45] == still[0, 20, 45]  # the first box took the second's id


def test_the_tracker_takes_a_flow_from_the_caller():
    frames, ids, (_, backward) = _pair_that_moves()
    tracker = tc.InstanceTracker()
    first, _ = tracker.update(frames[0], ids[0])
    second, _ = tracker.update(frames[1], ids[1], flow=backward[0])
    assert second[20, 45] == first[20, 13] and second[20, 77] == first[20, 45]


@pytest.mark.parametrize("latency, calls_per_pair", [(0, 2), (1, 2), (None, 6)])
def test_the_tracker_uses_the_engines_flows_and_computes_none(monkeypatch, latency, calls_per_pair):
    """A callable flow is called for both directions of each pair, once when streaming; offline
    three times (as frames arrive, for the tracker; in the backward sweep; in the emission), as
    offline holds no flows. The tracker computes none of its own."""
    own = []
    monkeypatch.setattr(tc.flow.FlowEstimator, "__call__", lambda self, a, b: own.append(1))
    calls = []

    def flow(a, b):
        calls.append(1)
        return np.zeros((*a.shape[:2], 2), np.float32)

    rng = np.random.default_rng(4)
    frames, truth = _scene(rng, 6)
    out = tc.stabilize(frames, _renumber(truth, rng), kind="instances", latency=latency, flow=flow)
    assert len(calls) == calls_per_pair * (len(frames) - 1) and not own
    assert id_switches(out, truth).count == 0


@pytest.mark.parametrize("latency", [0, None])
def test_instance_maps_smaller_than_the_frames_are_upsampled(latency):
    rng = np.random.default_rng(5)
    frames, truth = _scene(rng, 5)
    seen = _renumber(truth, rng)
    small = seen[:, ::2, ::2]
    out = tc.stabilize(frames, small, kind="instances", latency=latency)
    assert out.shape == seen.shape
    full = tc.stabilize(frames, small.repeat(2, axis=1).repeat(2, axis=2), kind="instances", latency=latency)
    np.testing.assert_array_equal(out, full)
    assert id_switches(out, truth).count == 0
