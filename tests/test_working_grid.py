"""Refined kinds filter on a reduced grid (the refinement's, never below 240 px on the short side),
or on the masks' own when coarser; label maps vote on ``work_side`` and upsample their decision."""

import cv2
import numpy as np
import pytest

import tempcons as tc
from tempcons.engine import Engine
from tempcons.guided import grid_size
from tempcons.metrics.davis import region_similarity


def _engine(frames, masks, preset="realtime", kind=None, **knobs):
    engine = Engine(kind, tc.settings.settings_for(preset, knobs), latency=0, flow=None, given=frozenset(knobs))
    engine.push(frames[0], masks[0])
    return engine


def _shrink(masks, h, w):
    return np.stack([cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA) for m in masks])


@pytest.mark.parametrize("size, grid, coef", [((1080, 1920), (270, 480), (270, 480)),
                                               ((480, 854), (240, 427), (120, 214))])
def test_a_refined_kind_works_on_a_reduced_grid_never_below_240_px(size, grid, coef):
    clip = tc.synthetic.make_clip(n_frames=2, height=size[0], width=size[1])
    engine = _engine(clip.frames, clip.masks)
    radius = round(0.008 * np.hypot(*size))
    assert engine.grid == grid and engine._coef == coef == grid_size(size, radius, 0.25)
    view = engine._view(clip.frames[1])
    assert view.look.shape[:2] == engine.strategy.encode(view, clip.masks[1]).value.shape == grid
    assert view.coarse_guide.shape[:2] == coef and view.guide.shape[:2] == size


def test_small_frames_are_filtered_at_their_own_size():
    clip = tc.synthetic.make_clip(n_frames=2, height=144, width=256)  # radius 2 px: coefficients at 1 / 2
    engine = _engine(clip.frames, clip.masks)
    assert engine.grid == (144, 256) and engine._coef == (72, 128)


@pytest.mark.parametrize("knobs", [{"refine": False}, {"refine_scale": 1.0}])
def test_without_a_coarse_refinement_the_grid_is_the_frames(knobs):
    clip = tc.synthetic.make_clip(n_frames=2, height=144, width=256)
    assert _engine(clip.frames, clip.masks, **knobs).grid == (144, 256)


@pytest.mark.parametrize("kind", ["labels", "instances"])
@pytest.mark.parametrize("preset, knobs, grid", [("realtime", {}, (240, 320)), ("balanced", {}, (360, 480)),
                                                 ("quality", {}, (480, 640)), ("realtime", {"refine": False}, (480, 640)),
                                                 ("realtime", {"work_side": 120}, (120, 160))])
def test_label_maps_work_on_a_reduced_grid_in_the_frames_colours(kind, preset, knobs, grid):
    clip = tc.synthetic.make_multi_clip(n_frames=2, height=480, width=640)
    engine = _engine(clip.frames, getattr(clip, kind), preset=preset, kind=kind, **knobs)
    assert engine.grid == engine._coef == grid
    view = engine._view(clip.frames[1])
    assert view.look.shape[:2] == view.coarse_guide.shape[:2] == grid
    assert view.guide.shape == view.frame.shape and view.coarse_guide.shape[2] == 3  # colours, for the upsampling


def test_label_maps_at_a_segmenters_resolution_are_voted_on_their_own_grid():
    clip = tc.synthetic.make_multi_clip(n_frames=2, height=480, width=640)
    labels = clip.labels[:, ::4, ::4]  # 120 x 160
    assert _engine(clip.frames, labels, kind="labels").grid == (120, 160)
    out = tc.stabilize(clip.frames, labels, kind="labels", latency=0)
    assert out.shape == clip.labels.shape and out.dtype == labels.dtype


def test_label_maps_come_back_at_frame_size_without_new_labels_and_with_every_ignored_pixel():
    clip = tc.synthetic.make_multi_clip(n_frames=6, height=480, width=640, seed=2)
    labels = clip.labels.copy()
    labels[:, 100:103, :] = 255  # a 3-px void line, thinner than a grid pixel
    labels[:, :, 300] = 255
    for latency in (0, 2, None):
        out = tc.stabilize(clip.frames, labels, kind="labels", ignore_index=255, latency=latency)
        assert out.shape == labels.shape and out.dtype == labels.dtype
        np.testing.assert_array_equal(out == 255, labels == 255)
        assert set(np.unique(out)) <= set(np.unique(labels))


def test_masks_coarser_than_the_grid_are_filtered_and_flowed_on_their_own_grid():
    clip = tc.synthetic.make_clip(n_frames=2, height=288, width=512)
    masks = _shrink(clip.masks, 27, 48)  # a segmenter's own resolution, coarser than 72 x 128
    engine = _engine(clip.frames, masks)
    assert engine.grid == engine._coef == (27, 48)
    assert engine._view(clip.frames[1]).small.shape == (27, 48)  # no motion finer than the masks


def test_masks_at_a_segmenters_resolution_come_back_at_frame_size_along_the_frames_edges():
    clip = tc.synthetic.make_clip(n_frames=12, height=480, width=854, seed=3)
    masks = _shrink(clip.masks, 144, 256)  # MediaPipe landscape's output on 480p frames
    out = tc.stabilize(clip.frames, masks, preset="realtime", latency=0)
    assert out.shape == clip.masks.shape and out.dtype == np.float32
    upsampled = np.stack([cv2.resize(m, (854, 480), interpolation=cv2.INTER_LINEAR) for m in masks])
    j_out = region_similarity(out > 0.5, clip.truth > 0.5).mean()
    j_up = region_similarity(upsampled > 0.5, clip.truth > 0.5).mean()
    assert j_out > j_up  # the guided filter puts the edges back where the frames have them


def test_a_new_clip_after_reset_takes_its_own_grid():
    big = tc.synthetic.make_clip(n_frames=2, height=288, width=512)
    stab = tc.Stabilizer(preset="realtime")
    stab.update(big.frames[0], _shrink(big.masks, 27, 48)[0])
    assert stab._engine.grid == (27, 48) and stab._engine.flows.finest == (27, 48)
    stab.reset()
    out = stab.update(big.frames[0], big.masks[0])
    assert out.shape == (288, 512)
    assert stab._engine.grid == (240, 427) and stab._engine.flows.finest is None


@pytest.mark.parametrize("work_side, grid", [(None, (480, 854)), (100, (120, 214)), (360, (360, 640))])
def test_work_side_sets_the_coarsest_working_grid(work_side, grid):
    clip = tc.synthetic.make_clip(n_frames=2, height=480, width=854)
    assert _engine(clip.frames, clip.masks, work_side=work_side).grid == grid


def test_the_quality_preset_filters_at_frame_size():
    clip = tc.synthetic.make_clip(n_frames=2, height=480, width=854)
    engine = _engine(clip.frames, clip.masks, preset="quality")
    assert engine.grid == (480, 854) and engine._coef == (240, 427)


@pytest.mark.parametrize("value", [0, -3, 2.5, True])
def test_work_side_is_checked_where_it_is_set(value):
    with pytest.raises(ValueError, match="work_side must be None or an int >= 1"):
        tc.settings.settings_for("realtime", {"work_side": value})


@pytest.mark.parametrize("kind, knob", [("probs", "work_side"), ("labels", "refine_radius")])
def test_a_grid_knob_a_kind_does_not_read_says_so(kind, knob):
    clip = tc.synthetic.make_multi_clip(n_frames=2, height=48, width=64)
    masks = np.eye(4, dtype=np.float32)[clip.labels] if kind == "probs" else clip.labels
    with pytest.raises(ValueError, match=rf"knob\(s\) \['{knob}'\] do nothing for kind='{kind}'"):
        tc.stabilize(clip.frames, masks, kind=kind, **{knob: 0.01 if knob == "refine_radius" else 100})


def test_instances_on_a_reduced_grid_agree_with_the_frame_size_vote():
    clip = tc.synthetic.make_multi_clip(n_frames=8, height=480, width=640, seed=1)
    grid = tc.stabilize(clip.frames, clip.instances, kind="instances", latency=0)
    full = tc.stabilize(clip.frames, clip.instances, kind="instances", latency=0, refine=False)
    assert grid.shape == full.shape == clip.instances.shape
    # the same objects under the same ids, boundaries within a grid pixel of the frame-size vote
    assert np.mean(grid == full) > 0.99
    assert set(np.unique(grid)) == set(np.unique(full))

