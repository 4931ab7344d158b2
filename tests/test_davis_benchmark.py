"""DAVIS benchmark over a dataset folder: davis2017-evaluation's numbers and its result files.

The synthetic layouts below always run. On the shared DAVIS clips, the files are compared cell
by cell with the ones davis2017-evaluation itself wrote (tests/reference/davis2017_evaluation,
README there says how they were made).
"""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

import naive
from shared import REAL, davis2017_layout, needs, save_indexed
from tempcons.cli import main
from tempcons.metrics.davis import evaluate_sequence
from tempcons.metrics.davis_benchmark import DavisBenchmark, evaluate_davis, write_davis_csv

EXPECTED = Path(__file__).parent / "reference" / "davis2017_evaluation"
def _clip(seed: int, n_frames: int = 7, objects: int = 2, size=(40, 56)) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth of ``objects`` moving boxes (one void band) and a noisy prediction of them."""
    rng = np.random.default_rng(seed)
    h, w = size
    gt = np.zeros((n_frames, h, w), np.uint8)
    for k in range(objects):
        y, x = rng.integers(2, h - 16), rng.integers(2, w - 20)
        for t in range(n_frames):
            gt[t, y:y + 12, x + t:x + t + 14] = k + 1
    gt[:, :, -2:] = 255  # a void band, as DAVIS marks uncertain pixels
    pred = np.where(gt == 255, 0, gt).astype(np.uint8)
    flip = rng.random(pred.shape) < 0.03
    pred[flip] = rng.integers(0, objects + 1, flip.sum())
    return pred, gt


def _layout(root: Path, clips: dict, task: str = "semi-supervised", listed=None) -> Path:
    folder = "Annotations" if task == "semi-supervised" else "Annotations_unsupervised"
    for name, (pred, gt) in clips.items():
        save_indexed(root / folder / "480p" / name, gt)
        save_indexed(root / "method" / name, pred)
    if listed is not None:
        (root / "ImageSets" / "2017").mkdir(parents=True)
        (root / "ImageSets" / "2017" / "val.txt").write_text("\n".join(listed) + "\n")
    return root / "method"


@pytest.mark.parametrize("task", ["semi-supervised", "unsupervised"])
def test_sequence_scores_equal_whole_array_reference_and_stream(task):
    for seed in range(3):
        pred, gt = _clip(seed, objects=2 + seed % 2)
        if task == "unsupervised":
            pred[3:, 30:34, 2:6] = 4  # a proposal that appears late: before, it scores as an empty one
        ours = evaluate_sequence(pred, gt, task=task)
        streamed = evaluate_sequence(iter(pred), (g for g in gt), task=task)
        reference = naive.davis_sequence(pred, gt, task)
        assert len(ours["objects"]) == len(reference)
        for obj, again, (j, f) in zip(ours["objects"], streamed["objects"], reference):
            np.testing.assert_allclose(obj["J"], j, atol=1e-12)
            np.testing.assert_allclose(obj["F"], f, atol=1e-12)
            np.testing.assert_array_equal(obj["J"], again["J"])
            np.testing.assert_array_equal(obj["F"], again["F"])


def test_dataset_follows_the_list_and_equals_sequence_evaluation(tmp_path):
    clips = {"b-seq": _clip(1), "a-seq": _clip(2, objects=3), "c-seq": _clip(3)}
    method = _layout(tmp_path, clips, listed=["c-seq", "a-seq"])  # b-seq is not in the set
    result = evaluate_davis(tmp_path, method)
    assert list(result.sequences) == ["c-seq", "a-seq"]
    assert [row[0] for row in result.per_sequence()] == ["c-seq_1", "c-seq_2", "a-seq_1", "a-seq_2", "a-seq_3"]
    for name in ("c-seq", "a-seq"):
        direct = evaluate_sequence(*clips[name])
        for ours, theirs in zip(result.sequences[name]["objects"], direct["objects"]):
            np.testing.assert_array_equal(ours["J"], theirs["J"])
    # Without a list, every annotated sequence, sorted; an explicit list file overrides ImageSets.
    (tmp_path / "ImageSets" / "2017" / "val.txt").unlink()
    assert list(evaluate_davis(tmp_path, method).sequences) == ["a-seq", "b-seq", "c-seq"]
    (tmp_path / "mine.txt").write_text("b-seq\n\n")
    assert list(evaluate_davis(tmp_path, method, sequences=tmp_path / "mine.txt").sequences) == ["b-seq"]


def test_worker_processes_give_the_same_result(tmp_path):
    clips = {f"s{k}": _clip(k) for k in range(3)}
    method = _layout(tmp_path, clips, task="unsupervised")
    one = evaluate_davis(tmp_path, method, task="unsupervised")
    two = evaluate_davis(tmp_path, method, task="unsupervised", jobs=2)
    assert one.per_sequence() == two.per_sequence() and one.table() == two.table()
    both = evaluate_davis(tmp_path, [method, method], task="unsupervised", jobs=2)  # one pool for several methods
    assert [b.per_sequence() for b in both] == [one.per_sequence()] * 2
    # A Dask LocalCluster gives the same, and a sequence's error comes back as it was raised.
    dask = evaluate_davis(tmp_path, method, task="unsupervised", jobs=2, scheduler="local")
    assert dask.per_sequence() == one.per_sequence() and dask.table() == one.table()
    shutil.rmtree(method / "s1")
    with pytest.raises(FileNotFoundError, match="no results for sequence s1"):
        evaluate_davis(tmp_path, method, task="unsupervised", jobs=2, scheduler="local")
    with pytest.raises(ValueError, match="scheduler must be"):
        evaluate_davis(tmp_path, method, task="unsupervised", scheduler="slurm")


def test_semi_supervised_needs_no_result_for_the_first_and_last_frames(tmp_path):
    pred, gt = _clip(4)
    method = _layout(tmp_path, {"seq": (pred, gt)})
    full = evaluate_davis(tmp_path, method).per_sequence()
    (method / "seq" / "00000.png").unlink()
    (method / "seq" / "00006.png").unlink()
    assert evaluate_davis(tmp_path, method).per_sequence() == full
    (method / "seq" / "00003.png").unlink()
    with pytest.raises(ValueError, match="no result for frame 00003"):
        evaluate_davis(tmp_path, method)
    save_indexed(tmp_path / "Annotations_unsupervised" / "480p" / "seq", gt)
    with pytest.raises(ValueError, match="no result for frame 00000"):
        evaluate_davis(tmp_path, method, task="unsupervised")


def test_files_have_the_reference_columns_format_and_empty_nan(tmp_path):
    stats = {"mean": 0.12345, "recall": 1.0, "decay": float("nan")}
    sequences = {"seq": {"objects": [{"J_stats": stats, "F_stats": {**stats, "mean": 0.5}}]}}
    g, s = write_davis_csv(DavisBenchmark("semi-supervised", "test-dev", sequences), tmp_path / "out")
    assert g.name == "global_results-test-dev.csv" and s.name == "per-sequence_results-test-dev.csv"
    assert g.read_bytes() == (b"J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay\n"
                              b"0.312,0.123,1.000,,0.500,1.000,\n")
    assert s.read_bytes() == b"Sequence,J-Mean,F-Mean\nseq_1,0.123,0.500\n"
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_davis_csv(DavisBenchmark("semi-supervised", "test-dev", sequences), tmp_path / "out")


def test_bad_datasets_are_named(tmp_path):
    pred, gt = _clip(5)
    method = _layout(tmp_path, {"seq": (pred, gt)})
    with pytest.raises(FileNotFoundError, match="Annotations_unsupervised"):
        evaluate_davis(tmp_path, method, task="unsupervised")
    with pytest.raises(ValueError, match="task must be one of"):
        evaluate_davis(tmp_path, method, task="semi")
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        evaluate_davis(tmp_path, method, jobs=0)
    with pytest.raises(FileNotFoundError, match="no results for sequence seq"):
        evaluate_davis(tmp_path, tmp_path / "elsewhere")
    with pytest.raises(FileNotFoundError, match="sequence other has no annotations"):
        evaluate_davis(tmp_path, method, sequences=["other"])
    (tmp_path / "twice.txt").write_text("seq\nseq\n")
    with pytest.raises(ValueError, match="'seq' more than once"):
        evaluate_davis(tmp_path, method, sequences=tmp_path / "twice.txt")
    extra = pred.copy()
    extra[2, :3, :3] = 3  # a third object where the first frame annotates two
    save_indexed(method / "seq", extra)
    with pytest.raises(ValueError, match="sequence seq .*object id 3 .* 2 objects"):
        evaluate_davis(tmp_path, method)
    binary = tmp_path / "binary"
    save_indexed(binary / "Annotations" / "480p" / "seq", np.where(gt > 0, 255, 0))
    with pytest.raises(ValueError, match="only 0 and 255.*255 -> 1"):
        evaluate_davis(binary, method)


def test_command_writes_each_method_and_refuses_what_it_should(tmp_path, capsys):
    clips = {"s0": _clip(0), "s1": _clip(1)}
    root = tmp_path / "davis"
    method = _layout(root, clips)
    other = tmp_path / "other"
    for name, (pred, gt) in clips.items():
        save_indexed(other / name, np.where(gt == 255, 0, gt))
    out = tmp_path / "reports"
    args = ["eval", str(root), "--task", "semi-supervised", "--results", str(method), str(other),
            "-o", str(out), "-j", "2", "--quiet"]
    assert main(args) == 0
    api = evaluate_davis(root, method)
    with open(out / "method" / "per-sequence_results-val.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["Sequence"] for r in rows] == ["s0_1", "s0_2", "s1_1", "s1_2"]
    assert [float(r["J-Mean"]) for r in rows] == [round(j, 3) for _, j, _ in api.per_sequence()]
    with open(out / "other" / "global_results-val.csv") as f:
        assert float(next(csv.DictReader(f))["J-Mean"]) == 1.0  # the truth itself
    assert main(args) == 1 and "--overwrite" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0
    for wrong, says in ((["-o", str(root / "x")], "lies inside the input"),
                        (["--json", str(tmp_path / "r.json")], "--json does not apply"),
                        (["--results", str(method), str(method)], "named 'method'")):
        assert main(args + wrong) == 1 and says in capsys.readouterr().err
    assert main(["eval", str(root), "--results", str(method)]) == 1
    assert "add --task" in capsys.readouterr().err


@needs(REAL)
def test_result_files_equal_davis2017_evaluation_cell_by_cell(tmp_path):
    methods = davis2017_layout(tmp_path / "davis")
    for task in ("semi-supervised", "unsupervised"):
        # Two objects where the truth has one: an error in semi-supervised, as in the reference.
        tried = [m for m in methods if task == "unsupervised" or m != "two_objects"]
        out = tmp_path / task
        assert main(["eval", str(tmp_path / "davis"), "--task", task, "--results",
                     *[str(methods[m]) for m in tried], "-o", str(out), "--quiet", "-j", "2"]) == 0
        for method in tried:
            for name in ("global_results-val.csv", "per-sequence_results-val.csv"):
                assert (out / method / name).read_bytes() == (EXPECTED / task / method / name).read_bytes(), \
                    (task, method, name)
