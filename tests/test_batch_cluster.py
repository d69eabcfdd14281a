"""A batch on a Dask distributed cluster (``--cluster``): a LocalCluster of two worker
processes grades a class with the isolation of a local run (a submission's leftover
processes die there too) and gives exactly the local results; a cluster that cannot
be used is one line before any grading."""
import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from distributed import LocalCluster

from autograder.judge import cli, pools, processes
from autograder.errors import ClusterError
from tests.helpers import run_cli, solution_source
from tests.test_batch import (cli_env, make_class, notebook, start_batch, stored,
                              wait_for_rows, without_times)
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
                                           r"the scheduler \(Connection refused\)$"):
        pools.DaskPool("tcp://127.0.0.1:9")


# ------------------------------------------------ something else at the address (issue 19)
class _Connected(http.server.ThreadingHTTPServer):
    """An HTTP server on a free loopback port (Dask's dashboard, say) that notes each
    connection it accepts."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        self.connected = threading.Event()

    def verify_request(self, request, client_address):
        self.connected.set()
        return True


@contextlib.contextmanager
def http_server():
    server = _Connected()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "tcp://127.0.0.1:%d" % server.server_address[1], server.connected
    finally:
        server.shutdown()
        server.server_close()


BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"


@contextlib.contextmanager
def banner_server():
    """A raw TCP service on a free loopback port that greets with a banner line and
    then keeps the connection open, reading whatever comes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    done, conns = threading.Event(), []

    def serve():
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conns.append(conn)
            conn.sendall(BANNER)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield "tcp://127.0.0.1:%d" % listener.getsockname()[1], None
    finally:
        done.set()
        thread.join(5)
        for conn in conns:
            conn.close()
        listener.close()


@pytest.mark.parametrize("server, message", [
    (http_server, "not a Dask scheduler: it accepted the connection but sent nothing within "
                  "2 s (a Dask scheduler greets at once; an HTTP server such as Dask's "
                  "dashboard, port 8787, waits for a request; the scheduler's port is 8786 "
                  "by default)"),
    (banner_server, "not a Dask scheduler: it greeted with 'SSH-2.0-OpenSSH_9.6', not "
                    "Dask's protocol"),
], ids=["http", "banner"])
def test_a_service_that_is_not_a_scheduler_is_one_line(tmp_path, monkeypatch, capsys,
                                                        server, message):
    """In-process (``cli.main``): one line, exit 2, within the connect limit (here 2 s),
    nothing graded."""
    monkeypatch.setattr(pools, "CONNECT_TIMEOUT_S", 2)
    monkeypatch.setattr(processes, "become_subreaper", lambda: None)
    monkeypatch.setattr(processes, "kill_children", lambda only=None: None)
    monkeypatch.setattr(pools.DaskPool, "submit", lambda *a: pytest.fail("graded"))
    folder = make_class(tmp_path, {"submitted/a/knn/knn.py": solution_source("knn")})

    def hung(signum, frame):
        raise AssertionError("--cluster %s: still waiting after 15 s" % address)

    previous = signal.signal(signal.SIGALRM, hung)      # bounded, even if it hangs
    signal.alarm(15)
    try:
        with server() as (address, _):
            started = time.monotonic()
            code = cli.main(["grade", str(folder / "submitted"), "--cluster", address,
                             "--store", str(tmp_path / "s.sqlite")])
            took = time.monotonic() - started
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert code == 2
    assert capsys.readouterr().err == "autograder: error: --cluster %s: %s\n" % (
        address, message)
    assert took < 5, took


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_command_waiting_for_a_cluster(tmp_path, sig):
    """The CLI, waiting for the HTTP server to greet as a scheduler would, stops at
    once on Ctrl-C or SIGTERM with one line (it used to wait forever, signals
    ignored)."""
    folder = make_class(tmp_path, {"submitted/a/knn/knn.py": solution_source("knn")})
    with http_server() as (address, connected):
        proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "submitted",
                                 "--cluster", address], cwd=str(folder), env=cli_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert connected.wait(30), "the command never connected"
            proc.send_signal(sig)
            started = time.monotonic()
            out, err = proc.communicate(timeout=5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert time.monotonic() - started < 3
    assert (proc.returncode, out) == (128 + sig, "")
    assert err == "interrupted (%s) while connecting to the cluster at %s: nothing graded\n" \
        % (signal.Signals(sig).name, address)


def test_a_scheduler_without_workers_is_one_line(monkeypatch):
    monkeypatch.setattr(pools, "CONNECT_TIMEOUT_S", 1)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        with pytest.raises(ClusterError, match=r"the scheduler has no worker \(none joined "
                                               r"within 1 s\)$"):
            pools.DaskPool(empty.scheduler_address)
