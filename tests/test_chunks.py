"""Chunked runs against the single pass: the seams within the warm-up's tolerance, ids carried."""

import json
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pytest
from PIL import Image

import tempcons as tc
from tempcons.chunks import TOLERANCE, Chunk, plan_chunks, stabilize_chunked, warmup_frames
from tempcons.cli import main
from tempcons.outputs import MANIFEST

# memory 0.8 keeps the warm-up short (28 frames at the default tolerance) so the clips stay small.
MEMORY = 0.8


@pytest.fixture(scope="module")
def clip():
    return tc.synthetic.make_clip(n_frames=90, height=48, width=64, seed=3)


@pytest.fixture(scope="module")
def multi():
    return tc.synthetic.make_multi_clip(n_frames=90, height=48, width=64, cut_at=55, seed=2)


def test_the_warmup_is_where_memory_to_its_power_falls_under_the_tolerance():
    for memory in (0.5, 0.8, 0.95, 0.99):
        n = warmup_frames(memory)
        assert memory ** n <= TOLERANCE < memory ** (n - 1)
    assert warmup_frames(0.0) == 0
    for memory, tolerance, says in ((1.0, TOLERANCE, "memory"), (-0.1, TOLERANCE, "memory"), (0.9, 0, "tolerance")):
        with pytest.raises(ValueError, match=says):
            warmup_frames(memory, tolerance)


@pytest.mark.parametrize("latency", [0, 1, 2, 3, 4, 7, None])
def test_the_plan_tiles_the_clip_and_starts_where_a_sweep_starts(latency):
    plan = plan_chunks(103, 20, warmup=9, latency=latency)
    assert [c.start for c in plan] == list(range(0, 103, 20)) and plan[-1].stop == 103
    assert all(b.start == a.stop for a, b in zip(plan, plan[1:]))
    sweep = 1 if not latency else (latency + 1) // 2
    for c in plan:
        assert c.first % sweep == 0 and c.start - sweep < c.first + 9 <= c.start or c.first == 0
        assert c.last == min(103, c.stop + (9 if latency is None else latency))
    with pytest.raises(ValueError, match="chunk_frames"):
        plan_chunks(10, 0, warmup=2, latency=0)
    with pytest.raises(ValueError, match="warmup"):
        plan_chunks(10, 3, warmup=-1, latency=0)


@pytest.mark.parametrize("latency", [0, 2, 3, None])
def test_soft_masks_match_the_single_pass_within_the_tolerance(clip, latency):
    one = tc.stabilize(clip.frames, clip.masks, latency=latency, preset="realtime", memory=MEMORY)
    split = stabilize_chunked(clip.frames, clip.masks, chunk_frames=30, latency=latency, preset="realtime",
                              memory=MEMORY)
    if latency is not None:  # the first chunk is the single pass itself (offline, its sweep starts earlier)
        assert (split[:30] == one[:30]).all()
    assert np.abs(split - one).max() <= TOLERANCE
    # Without a warm-up the seams show: the test can see one.
    cold = stabilize_chunked(clip.frames, clip.masks, chunk_frames=30, warmup=0, latency=latency,
                             preset="realtime", memory=MEMORY)
    assert np.abs(cold[30] - one[30]).max() > 0.05


@pytest.mark.parametrize("latency", [0, 2, None])
def test_binary_masks_and_labels_match_the_single_pass(clip, multi, latency):
    for frames, masks, kind in ((clip.frames, clip.masks > 0.5, "binary"), (multi.frames, multi.labels, "labels")):
        one = tc.stabilize(frames, masks, kind=kind, latency=latency, memory=MEMORY)
        split = stabilize_chunked(frames, masks, kind=kind, chunk_frames=30, latency=latency, memory=MEMORY)
        assert split.dtype == one.dtype and (split == one).mean() > 0.9999, kind


@pytest.mark.parametrize("latency", [0, None])
def test_instance_ids_are_carried_across_the_seams(multi, latency):
    one = tc.stabilize(multi.frames, multi.instances, kind="instances", latency=latency, memory=MEMORY)
    split = stabilize_chunked(multi.frames, multi.instances, kind="instances", chunk_frames=30, latency=latency,
                              memory=MEMORY)
    # Every id of the single pass is one id of the chunked run, over the whole clip: no switch at a seam.
    present = one > 0
    pairs = set(zip(one[present].tolist(), split[present].tolist()))
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    assert (split == one).mean() > 0.9999


def test_a_process_pool_runs_the_chunks_as_the_builtin_map_does(clip):
    here = stabilize_chunked(clip.frames, clip.masks, chunk_frames=45, latency=1, preset="realtime", memory=MEMORY)
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        there = stabilize_chunked(clip.frames, clip.masks, chunk_frames=45, latency=1, preset="realtime",
                                  memory=MEMORY, map=pool.map)
    assert (here == there).all()


def test_bad_arguments_are_named(clip):
    with pytest.raises(ValueError, match="masks must be an array of 90"):
        stabilize_chunked(clip.frames, clip.masks[:5])
    with pytest.raises(TypeError, match="flow"):
        stabilize_chunked(clip.frames, clip.masks, flow=np.zeros((89, 48, 64, 2), np.float32))
    with pytest.raises(ValueError, match="chunk_frames"):
        stabilize_chunked(clip.frames, clip.masks, chunk_frames=0)
    assert Chunk(0, 4, 0, 6).last == 6


def _pngs(folder):
    return np.stack([np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))])


def test_the_command_chunks_a_long_clip_on_workers_as_one_pass_makes_it(tmp_path):
    # 200 frames in chunks of 50: with the default warm-up (122 frames) the later chunks start
    # their filter mid-clip, in other processes, reading their frames from the files.
    clip = tc.synthetic.make_clip(n_frames=200, height=48, width=64, seed=5)
    np.save(tmp_path / "frames.npy", clip.frames)
    writer = tc.io.MaskWriter(tmp_path / "masks", mode="L")
    for t, mask in enumerate(clip.masks):
        writer.write(f"{t:05d}", mask)
    common = ["stabilize", str(tmp_path / "frames.npy"), str(tmp_path / "masks"), "--latency", "2", "--quiet"]
    assert main([*common, "-o", str(tmp_path / "one")]) == 0
    assert main([*common, "-o", str(tmp_path / "split"), "--chunk-frames", "50", "-j", "2"]) == 0
    one, split = _pngs(tmp_path / "one"), _pngs(tmp_path / "split")
    assert one.shape == split.shape == (200, 48, 64) and np.abs(one.astype(int) - split).max() <= 1
    made = json.loads((tmp_path / "split" / MANIFEST).read_text())
    assert made["chunk_frames"] == 50 and made["outputs"] == 200


def test_the_command_carries_instance_ids_across_chunks(tmp_path):
    multi = tc.synthetic.make_multi_clip(n_frames=200, height=48, width=64, cut_at=120, seed=4)
    np.save(tmp_path / "frames.npy", multi.frames)
    np.save(tmp_path / "ids.npy", multi.instances)
    common = ["stabilize", str(tmp_path / "frames.npy"), str(tmp_path / "ids.npy"), "--kind", "instances",
              "--latency", "0", "--quiet"]
    assert main([*common, "-o", str(tmp_path / "one")]) == 0
    assert main([*common, "-o", str(tmp_path / "split"), "--chunk-frames", "40"]) == 0
    one, split = _pngs(tmp_path / "one"), _pngs(tmp_path / "split")
    present = one > 0
    pairs = set(zip(one[present].tolist(), split[present].tolist()))
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})  # one id each way: no switch
    # The same objects, pixel for pixel (their numbers may differ: the single pass spends ids on
    # objects that never reach its output).
    named = np.zeros_like(split)
    for a, b in pairs:
        named[split == b] = a
    assert (named == one).mean() > 0.999


def test_the_command_names_what_chunks_do_not_do(tmp_path, capsys):
    clip = tc.synthetic.make_clip(n_frames=4, height=48, width=64)
    np.save(tmp_path / "f.npy", clip.frames)
    np.save(tmp_path / "m.npy", clip.masks)
    base = ["stabilize", str(tmp_path / "f.npy"), str(tmp_path / "m.npy"), "-o", str(tmp_path / "out")]
    for extra, says in ((["--chunk-frames", "2", "--video", str(tmp_path / "v.avi")], "mask PNGs only"),
                        (["-j", "2"], "run the chunks of --chunk-frames"),
                        (["--chunk-frames", "0"], "at least 1")):
        assert main([*base, *extra]) == 1
        assert says in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
