"""A batch on a Dask distributed cluster (``--cluster``): a LocalCluster of two worker
processes grades a class with the isolation of a local run (a submission's leftover
processes die there too) and gives exactly the local results; a cluster that cannot
be used is one line before any grading."""
import json
import os
import signal

import pytest
from distributed import LocalCluster

from autograder import pools
from autograder.errors import ClusterError
from tests.helpers import run_cli, solution_source
from tests.test_batch import (make_class, notebook, start_batch, stored, wait_for_rows,
                              without_times)
from tests.test_isolation import SPAWN, hostile, processes_with

MARKER = "%d5" % os.getpid()
CLASS = {
    "submitted/ann/knn/knn.py": solution_source("knn"),
    "submitted/ben/knn/knn.ipynb": notebook(solution_source("knn")),
    "submitted/cat/knn/knn.ipynb": '{"cells": [',
    "submitted/dan/knn/knn.py": hostile(SPAWN % {"m": MARKER}, prelude="SPAWNED = []"),
    "submitted/eve/knn/knn.py": solution_source("linear_classifiers"),
    "submitted/fay/linear_classifiers/linear_classifiers.py":
        solution_source("linear_classifiers"),
}


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as local:
        yield local.scheduler_address


def test_a_cluster_batch_gives_the_results_of_a_local_batch(cluster, tmp_path):
    folder = make_class(tmp_path, CLASS)
    here = run_cli("grade", "submitted", "--format", "json", "--store", "here.sqlite",
                   cwd=str(folder))
    there = run_cli("grade", "submitted", "--format", "json", "--store", "there.sqlite",
                    "--cluster", cluster, cwd=str(folder))
    for proc in (here, there):
        assert proc.returncode == 0, proc.stderr
        assert "this run graded 5 and took 0 from" in proc.stderr.splitlines()[-1]
    local, remote = (without_times(json.loads(p.stdout)) for p in (here, there))
    assert remote == local
    dan = next(s for s in remote["submissions"] if s["path"].startswith("submitted/dan"))
    assert (dan["status"], dan["score"]) == ("graded", dan["max_score"])
    assert [s["status"] for s in remote["submissions"]] == [
        "graded", "graded", "error", "graded", "not graded", "graded"]
    assert sorted(stored(folder / "there.sqlite")) == sorted(stored(folder / "here.sqlite"))
    left = [pid for i in (1, 2, 3) for pid in processes_with("1000.%s%d" % (MARKER, i))]
    assert left == [], "the submission's processes outlived grading: %s" % left


def test_ctrl_c_stops_a_cluster_batch_keeping_what_finished(cluster, tmp_path):
    folder = make_class(tmp_path, {"submitted/s%d/knn/knn.py" % i: solution_source("knn")
                                   for i in range(8)})
    db = folder / "store.sqlite"
    proc = start_batch(folder, "--store", str(db), "--cluster", cluster, jobs=None)
    wait_for_rows(db, 1, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out == "" and "Traceback" not in err
    done = len(stored(db))
    assert 1 <= done < 8
    assert err.splitlines()[-1].startswith("interrupted (SIGINT): %d of 8 submissions "
                                           "finished, kept in %s" % (done, db))


def test_an_unreachable_scheduler_is_one_line(monkeypatch):
    monkeypatch.setattr(pools, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ClusterError, match=r"^--cluster tcp://127\.0\.0\.1:9: cannot reach "
                                           r"the scheduler \(Timed out trying to connect"):
        pools.DaskPool("tcp://127.0.0.1:9")


def test_a_scheduler_without_workers_is_one_line(monkeypatch):
    monkeypatch.setattr(pools, "CONNECT_TIMEOUT_S", 1)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        with pytest.raises(ClusterError, match=r"the scheduler has no worker \(none joined "
                                               r"within 1 s\)$"):
            pools.DaskPool(empty.scheduler_address)
