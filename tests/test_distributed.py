"""Clips on a scheduler: worker processes here, a real Dask LocalCluster, a worker killed mid-run.

Every run is compared with the single-process run of the same clips, file by file.
"""

import json
import os
import signal
from io import BytesIO

import numpy as np
import psutil
import pytest
from PIL import Image

from clips import tempcons, write_clip
from tempcons.batch import ClipDone, ClipJob, stabilize_clip
from tempcons.cli import main
from tempcons.distributed import Failure, run_tasks
from tempcons.outputs import MANIFEST


def _dataset(tmp_path, n_clips=4, n_frames=24):
    """Clips as frames/ and masks/ PNG folders; a ClipJob each into tmp_path/<out>/<name>."""
    for k in range(n_clips):
        write_clip(tmp_path / "data" / f"clip{k}", n_frames=n_frames, seed=k, height=96, width=128)
    return [f"clip{k}" for k in range(n_clips)]


def _jobs(tmp_path, names, out, **options):
    return [ClipJob(frames=str(tmp_path / "data" / n / "frames"), masks=str(tmp_path / "data" / n / "masks"),
                    out=str(tmp_path / out / n), name=n, latency=None, **options) for n in names]


def _read(folder):
    return {p.name: np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))}


def _same_outputs(tmp_path, names, a, b):
    for n in names:
        one, two = _read(tmp_path / a / n), _read(tmp_path / b / n)
        assert one.keys() == two.keys() and len(one) > 0, n
        assert all((one[k] == two[k]).all() for k in one), n


def die_once(marker: str) -> str:
    """Kills its own worker process the first time (a crash, not an exception), then succeeds."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return "survived"


def die_or_echo(task: str) -> str:
    return die_once(task) if task.endswith("died") else task


def fail_always(task: str) -> str:
    raise RuntimeError(f"{task} is broken")


def test_worker_processes_survive_a_dead_worker_and_name_what_fails(tmp_path):
    marker = str(tmp_path / "died")
    tasks = [marker, "b", "c"]
    seen = []
    out = run_tasks(die_or_echo, tasks, names=["dies", "b", "c"], jobs=2, retries=1,
                    progress=lambda name, result: seen.append(name))
    assert out.results == {"dies": "survived", "b": "b", "c": "c"} and not out.failures
    assert os.path.exists(marker) and sorted(seen) == ["b", "c", "dies"]
    bad = run_tasks(fail_always, ["x", "y"], names=["x", "y"], jobs=2, retries=2)
    assert bad.results == {} and [(f.name, f.attempts) for f in bad.failures] == [("x", 3), ("y", 3)]
    assert bad.failures[0].error == "RuntimeError: x is broken"


def test_bad_scheduler_arguments_are_named():
    for kwargs, says in (({"scheduler": "yarn"}, "scheduler must be"), ({"jobs": 0}, "jobs must be"),
                         ({"retries": -1}, "retries must be"), ({"names": ["a"]}, "names must name each task")):
        with pytest.raises(ValueError, match=says):
            run_tasks(str, [1, 2], **{"names": ["a", "b"], **kwargs})
    with pytest.raises(ValueError, match="unique"):
        run_tasks(str, [1, 2], names=["a", "a"])


def test_a_local_cluster_with_a_worker_killed_mid_run_gives_the_single_process_result(tmp_path):
    names = _dataset(tmp_path, n_clips=6)
    alone = run_tasks(stabilize_clip, _jobs(tmp_path, names, "alone"), names=names, jobs=1)
    assert not alone.failures and all(d.written == 24 for d in alone.results.values())

    killed = []

    def kill_a_worker(name, result):
        # After the first clip ends, the other worker is still on one: kill a worker process
        # (spawned by its nanny, which runs in this process) outright. Dask's nanny starts a new one and
        # the scheduler gives the lost clip to a worker again.
        if killed:
            return
        for worker in psutil.Process().children(recursive=True):
            if "spawn_main" in " ".join(worker.cmdline()):
                worker.send_signal(signal.SIGKILL)
                killed.append(worker.pid)
                return

    on_dask = run_tasks(stabilize_clip, _jobs(tmp_path, names, "dask"), names=names, scheduler="local", jobs=2,
                        retries=1, progress=kill_a_worker)
    assert killed
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE
    assert not on_dask.failures and list(on_dask.results) == names
    # A clip the killed worker had finished, but not yet reported, is found complete on its retry
    # and kept (0 written): its files are the first attempt's, checked below like the others.
    assert all(isinstance(d, ClipDone) and d.written in (24, 0) for d in on_dask.results.values())
    assert sum(d.written == 24 for d in on_dask.results.values()) >= 5
    _same_outputs(tmp_path, names, "alone", "dask")
    assert not [p for p in (tmp_path / "dask").iterdir() if p.name.startswith(".")]  # no partial folder left


def test_a_local_cluster_names_a_clip_that_fails_and_keeps_the_others(tmp_path):
    names = _dataset(tmp_path, n_clips=3, n_frames=6)
    (tmp_path / "data" / "clip1" / "masks" / "00003.png").write_bytes(b"not a png")
    out = run_tasks(stabilize_clip, _jobs(tmp_path, names, "out"), names=names, scheduler="local", jobs=2, retries=1)
    assert list(out.results) == ["clip0", "clip2"]
    assert [f.name for f in out.failures] == ["clip1"] and "00003.png" in out.failures[0].error
    assert isinstance(out.failures[0], Failure) and not (tmp_path / "out" / "clip1").exists()


def test_the_batch_command_on_a_local_cluster_resumes_and_reports_failures(tmp_path):
    root = tmp_path / "DAVIS"
    for k, seq in enumerate(("bear", "dog", "cat")):
        write_clip(tmp_path / "tmp" / seq, n_frames=5, seed=k)
        for src, dst in (("frames", "JPEGImages"), ("masks", "method")):
            (root / dst / "480p").mkdir(parents=True, exist_ok=True)
            (tmp_path / "tmp" / seq / src).rename(root / dst / "480p" / seq)
    # A fault the checks before the run cannot see: it shows only when the clip is read whole.
    (root / "method" / "480p" / "dog" / "00002.png").unlink()
    res = tempcons("batch", root, "--masks", "method", "-o", tmp_path / "out", "--scheduler", "local", "-j", "2",
                   "--quiet")
    assert res.returncode == 1 and "dog failed after 2 attempt(s): ValueError:" in res.stderr
    assert "1 of 3 sequences failed: dog" in res.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bear", "cat"]
    # Mended, the same command does only what is left.
    write_clip(tmp_path / "again", n_frames=5, seed=1)
    for p in (tmp_path / "again" / "masks").iterdir():
        p.replace(root / "method" / "480p" / "dog" / p.name)
    res = tempcons("batch", root, "--masks", "method", "-o", tmp_path / "out", "--scheduler", "local", "-j", "2")
    assert res.returncode == 0, res.stderr
    assert "stabilized 1 sequences (5 masks), skipped 2 already done" in res.stdout


def test_clips_and_results_at_fsspec_urls(tmp_path, capsys):
    # memory:// lives in this process: the in-process scheduler. file:// goes through a real cluster.
    import fsspec

    names = _dataset(tmp_path, n_clips=2, n_frames=6)
    memory = fsspec.filesystem("memory")
    for n in names:
        for sub in ("frames", "masks"):
            memory.put(str(tmp_path / "data" / n / sub) + "/", f"/bucket/{n}/{sub}/", recursive=True)
    jobs = [ClipJob(frames=f"memory://bucket/{n}/frames", masks=f"memory://bucket/{n}/masks",
                    out=f"memory://bucket/stable/{n}", latency=None) for n in names]
    out = run_tasks(stabilize_clip, jobs, names=names, jobs=1)
    assert [d.written for d in out.results.values()] == [6, 6] and not out.failures
    alone = run_tasks(stabilize_clip, _jobs(tmp_path, names, "alone"), names=names, jobs=1)
    assert not alone.failures
    for n in names:
        local = _read(tmp_path / "alone" / n)
        remote = {p.rsplit("/", 1)[1]: memory.cat_file(p) for p in memory.ls(f"/bucket/stable/{n}", detail=False)}
        assert ".tempcons-manifest.json" in remote and not memory.exists(f"/bucket/stable/.{n}.partial")
        assert sorted(k for k in remote if k.endswith(".png")) == sorted(local)
        for k, image in local.items():
            assert (np.asarray(Image.open(BytesIO(remote[k]))) == image).all()
    # Done already: the same jobs skip; made differently: refused without overwrite.
    again = run_tasks(stabilize_clip, jobs, names=names, jobs=1)
    assert [d.written for d in again.results.values()] == [0, 0]
    other = [ClipJob(frames=j.frames, masks=j.masks, out=j.out, latency=0) for j in jobs]
    refused = run_tasks(stabilize_clip, other, names=names, jobs=1, retries=0)
    assert len(refused.failures) == 2 and "made differently" in refused.failures[0].error
    memory.pipe("/bucket/mine/clip0/notes.txt", b"mine")
    theirs = run_tasks(stabilize_clip, [ClipJob(frames=jobs[0].frames, masks=jobs[0].masks,
                                                out="memory://bucket/mine/clip0", overwrite=True)],
                       names=["clip0"], jobs=1, retries=0)
    assert "tempcons did not write" in theirs.failures[0].error and memory.cat_file("/bucket/mine/clip0/notes.txt")
    # file:// URLs through a LocalCluster.
    urls = [ClipJob(frames=f"file://{tmp_path}/data/{n}/frames", masks=f"file://{tmp_path}/data/{n}/masks",
                    out=f"file://{tmp_path}/viaurl/{n}", latency=None) for n in names]
    assert not run_tasks(stabilize_clip, urls, names=names, scheduler="local", jobs=2).failures
    _same_outputs(tmp_path, names, "alone", "viaurl")
    # The command, to a URL (in this process, where memory:// lives): resumable as on disk.
    for said in ("stabilized 2 sequences", "stabilized 0 sequences"):
        assert main(["batch", str(tmp_path / "data"), "-o", "memory://bucket/cli", "--latency", "offline"]) == 0
        assert said in capsys.readouterr().out
    assert sorted(memory.ls("/bucket/cli", detail=False)) == [f"/bucket/cli/{n}" for n in names]


def test_a_job_carries_any_settings_and_its_manifest_records_them(tmp_path):
    import pickle

    from tempcons.settings import settings_for

    names = _dataset(tmp_path, n_clips=1, n_frames=6)
    custom = settings_for("realtime", {"memory": 0.8})
    job = _jobs(tmp_path, names, "out", preset=custom)[0]
    assert pickle.loads(pickle.dumps(job)) == job
    assert stabilize_clip(job).written == 6
    made = json.loads((tmp_path / "out" / names[0] / MANIFEST).read_text())
    assert made["preset"] == "custom" and made["settings"]["filter"]["memory"] == 0.8
    assert stabilize_clip(job).written == 0  # made the same way: kept


def test_eval_of_a_dataset_on_workers_and_on_dask_equals_the_single_process_report(tmp_path):
    _dataset(tmp_path, n_clips=3, n_frames=6)
    reports = []
    for k, options in enumerate(([], ["-j", "2"], ["--scheduler", "local", "-j", "2"])):
        report = tmp_path / f"report{k}.json"
        assert main(["eval", str(tmp_path / "data"), "--masks", "masks", "--frames", "each", "--json", str(report),
                     "--quiet", *options]) == 0
        reports.append(json.loads(report.read_text()))
    assert [c["name"] for c in reports[0]["clips"]] == ["clip0", "clip1", "clip2"]
    assert reports[1] == reports[0] and reports[2] == reports[0]
