"""Grading a whole class (a folder in nbgrader's submitted/<student>/<assignment>/
layout): one entry per file whatever the file holds, results kept in the store as they
finish (a killed or interrupted batch resumes, grading only what is missing), usage
errors before any grading, progress and a summary on stderr, and the instructor's
exports (CSV gradebook, one Gradescope results.json per submission, JUnit, JSON).

The batches run through the CLI, as an instructor runs them; the store, the layout
rule and the progress display are also tested on their own."""
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from xml.etree import ElementTree

import pytest

from autograder import batch, cli, pools, processes, progress, registry, report, store
from autograder.errors import ClusterError
from autograder import runner
from autograder.runner import Options, SubmissionReport
from autograder.submission import Submission
from tests.helpers import ROOT, run_cli, solution_source

KNN = registry.load("knn")
LINEAR = registry.load("linear_classifiers")


def notebook(source):
    """A notebook with ``source`` as its one code cell."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "source": source, "metadata": {},
                                  "outputs": [], "execution_count": None}]})


def make_class(folder, files):
    """Write {relative path: str or bytes} below ``folder``; returns its real path (as
    the CLI's absolute paths have it)."""
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return type(folder)(os.path.realpath(folder))


def cli_env(**extra):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(extra)
    return env


def stored(path):
    """(path, key) rows of a results store."""
    with sqlite3.connect(str(path), timeout=30) as db:
        return db.execute("SELECT path, key FROM results").fetchall()


def without_times(data):
    """A JSON report minus what depends on the clock."""
    for entry in data["submissions"]:
        entry.pop("seconds")
    return data


# ---------------------------------------------------------------- a mixed folder
MIXED = {
    "submitted/alice/knn/knn.py": solution_source("knn"),
    "submitted/alice/knn/notes.py": "# what I tried\nx = 1\n",            # a stray file
    "submitted/bob/knn/knn.ipynb": notebook(solution_source("knn")),
    "submitted/carol/knn/knn.ipynb": '{"cells": [',                         # broken
    "submitted/dave/knn/knn.ipynb": "",                                     # empty
    "submitted/erin/knn/knn.py": b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary",   # binary
    "submitted/frank/knn/knn.py": solution_source("linear_classifiers"),    # other one's
    "submitted/gina/linear_classifiers/linear_classifiers.py":
        solution_source("linear_classifiers"),
}
ERRORS = {
    "submitted/alice/knn/notes.py": "cannot tell which assignment this is; pass "
                                    "--assignment (one of knn, ",
    "submitted/carol/knn/knn.ipynb": "not a valid notebook (broken JSON: ",
    "submitted/dave/knn/knn.ipynb": "not a valid notebook (broken JSON: Expecting value",
    "submitted/erin/knn/knn.py": "not UTF-8 text (byte 0)",
}
GRADED = {"submitted/alice/knn/knn.py": KNN, "submitted/bob/knn/knn.ipynb": KNN,
          "submitted/gina/linear_classifiers/linear_classifiers.py": LINEAR}
OTHERS = "submitted/frank/knn/knn.py"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The mixed class graded once (JSON report); its store serves the export tests."""
    folder = make_class(tmp_path_factory.mktemp("course"), MIXED)
    proc = run_cli("grade", "submitted", "--format", "json", "--out", "report.json",
                   cwd=str(folder))
    return folder, proc


def test_a_mixed_folder_gives_one_report_with_an_entry_for_each(mixed):
    folder, proc = mixed
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    data = json.loads((folder / "report.json").read_text())
    entries = {s["path"]: s for s in data["submissions"]}
    assert sorted(entries) == sorted(MIXED)
    for path, reason in ERRORS.items():
        entry = entries[path]
        assert (entry["status"], entry["score"], entry["max_score"]) == ("error", 0, 0), entry
        assert entry["error"].startswith(reason), entry
        assert entry["student"] == path.split("/")[1] and entry["assignment"] == "knn"
    for path, assignment in GRADED.items():
        entry = entries[path]
        assert (entry["status"], entry["error"], entry["assignment"]) == (
            "graded", None, assignment.id), entry
        assert entry["score"] == entry["max_score"] == assignment.max_score
    frank = entries[OTHERS]
    assert (frank["status"], frank["score"], frank["max_score"]) == (
        "not graded", 0, KNN.max_score)
    assert frank["problem"].endswith("grade it with --assignment linear_classifiers")
    assert {t["submission"] for t in data["tests"]} == set(GRADED) | {OTHERS}
    # totals per assignment, never added across assignments
    assert data["assignments"] == {
        "knn": {"submissions": 7, "graded": 2, "not graded": 1, "error": 4,
                "score": 2 * KNN.max_score, "max_score": 3 * KNN.max_score,
                "graded_score": 2 * KNN.max_score, "graded_max_score": 2 * KNN.max_score},
        "linear_classifiers": {"submissions": 1, "graded": 1, "not graded": 0, "error": 0,
                               "score": LINEAR.max_score, "max_score": LINEAR.max_score,
                               "graded_score": LINEAR.max_score,
                               "graded_max_score": LINEAR.max_score}}


def test_progress_is_a_line_per_graded_submission_then_a_summary(mixed):
    _, proc = mixed
    lines = proc.stderr.splitlines()
    assert lines[0] == ("8 submissions in submitted: 4 to grade, 0 graded before (in %s), "
                        "4 that cannot be read or graded"
                        % os.path.join(mixed[0], store.DEFAULT_NAME))
    progress_lines = [line for line in lines if line.startswith("[")]
    assert sorted(line.split()[1] for line in progress_lines) == sorted(
        set(GRADED) | {OTHERS})
    assert [line.split("]")[0] for line in progress_lines] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert "submitted/bob/knn/knn.ipynb  knn  %g / %g  " % (KNN.max_score, KNN.max_score) \
        in proc.stderr
    table = lines[lines.index(next(l for l in lines if l.startswith("submission "))):]
    assert len([l for l in table if l.startswith("submitted/")]) == len(MIXED)
    assert any(l.split()[:6] == ["knn", "7", "2", "1", "4", "%g" % KNN.max_score]
               for l in table), table
    assert lines[-1].startswith("8 submissions: 3 graded, 1 not graded, 4 in error; this "
                                "run graded 4 and took 0 from ")
    assert "Total:" not in proc.stderr


def test_exports_reuse_the_store_and_parse(mixed):
    """Each export is another run of the same command: every result comes from the
    store (nothing graded again); CSV, per-submission Gradescope and JUnit parse."""
    folder, _ = mixed
    runs = {fmt: run_cli("grade", "submitted", "--format", fmt, "--out", out, cwd=str(folder))
            for fmt, out in (("csv", "grades.csv"), ("gradescope", "gradescope"),
                             ("junit", "junit.xml"))}
    for proc in runs.values():
        assert proc.returncode == 0, proc.stderr
        assert "this run graded 0 and took 4 from " in proc.stderr.splitlines()[-1]
        assert not [line for line in proc.stderr.splitlines() if line.startswith("[")]

    rows = list(csv.DictReader(io.StringIO((folder / "grades.csv").read_text())))
    assert list(rows[0]) == ["student", "assignment", "score", "max_score", "status",
                             "submission", "note"]
    by_path = {r["submission"]: r for r in rows}
    assert sorted(by_path) == sorted(MIXED)
    assert {k: by_path["submitted/bob/knn/knn.ipynb"][k] for k in ("student", "assignment",
                                                                   "score", "max_score",
                                                                   "status", "note")} == {
        "student": "bob", "assignment": "knn", "score": "%g" % KNN.max_score,
        "max_score": "%g" % KNN.max_score, "status": "graded", "note": ""}
    carol = by_path["submitted/carol/knn/knn.ipynb"]
    assert (carol["student"], carol["score"], carol["max_score"], carol["status"]) == (
        "carol", "0", "0", "error")
    assert carol["note"].startswith("not a valid notebook")
    assert by_path[OTHERS]["status"] == "not graded"
    assert by_path[OTHERS]["note"].endswith("--assignment linear_classifiers")

    found = sorted(str(p.relative_to(folder / "gradescope"))
                   for p in (folder / "gradescope").rglob("*") if p.is_file())
    assert found == sorted(os.path.join(os.path.splitext(os.path.relpath(p, "submitted"))[0],
                                        "results.json") for p in MIXED)
    alice = json.loads((folder / "gradescope/alice/knn/knn/results.json").read_text())
    assert alice["score"] == KNN.max_score
    assert [t["name"] for t in alice["tests"]] == [t.name for t in KNN.tests]
    assert alice["extra_data"]["submissions"] == [{
        "path": "submitted/alice/knn/knn.py", "student": "alice", "assignment": "knn",
        "status": "graded"}]
    erin = json.loads((folder / "gradescope/erin/knn/knn/results.json").read_text())
    assert (erin["score"], erin["tests"], erin["output"]) == (0, [], "not UTF-8 text (byte 0)")

    suites = ElementTree.parse(str(folder / "junit.xml")).getroot().findall("testsuite")
    assert sorted(s.get("name").split(":", 1)[1] for s in suites) == sorted(MIXED)
    for suite in suites:
        path = suite.get("name").split(":", 1)[1]
        cases = suite.findall("testcase")
        assert {c.get("file") for c in cases} == {path}
        assert int(suite.get("tests")) == len(cases)
        if path in ERRORS:
            assert [c.get("name") for c in cases] == ["submission"]
            assert cases[0].find("error").get("message").startswith(ERRORS[path])
        elif path in GRADED:
            assert len(cases) == len(GRADED[path].tests)
            assert not [c for c in cases if len(c)]          # no failure, no error
        else:
            assert {c.find("error").get("type") for c in cases} == {"error"}


def test_the_text_report_ends_with_the_summary_not_a_total_across_assignments(mixed):
    folder, _ = mixed
    proc = run_cli("grade", "submitted", cwd=str(folder))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Total:" not in out
    assert "submitted/carol/knn/knn.ipynb  (knn)  0 / 0 points\n  error: not a valid " \
           "notebook (broken JSON: " in out
    tail = out[out.index("\nsubmission "):].splitlines()
    assert len([line for line in tail if line.startswith("submitted/")]) == len(MIXED)
    assert [line.split()[0] for line in tail if line.split() and line.split()[0] in (
        "knn", "linear_classifiers") and line.split()[1].isdigit()] == [
        "knn", "linear_classifiers"]
    # the summary is in the report, not printed a second time on stderr
    assert "\nsubmission " not in proc.stderr


# ---------------------------------------------------------------- kill, resume
CLASS = {"submitted/s%d/knn/knn.py" % i: solution_source("knn") for i in range(1, 6)}
CLASS["submitted/s6/linear_classifiers/linear_classifiers.py"] = \
    solution_source("linear_classifiers")


def start_batch(folder, *args, jobs=1, **env):
    """The CLI grading ``folder``/submitted, started (one submission at a time)."""
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", "submitted",
                             *(["--jobs", str(jobs)] if jobs else []), *args],
                            cwd=str(folder), env=cli_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_rows(db, at_least, proc, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if db.exists() and len(stored(db)) >= at_least:
                return
        except sqlite3.OperationalError:      # made, but its table not yet
            pass
        time.sleep(0.02)
    raise AssertionError("the batch did not record %d results in time" % at_least)


def running_below(folder):
    """Processes whose command line names something below ``folder``."""
    found = []
    needle = str(folder).encode()
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if needle in f.read():
                    found.append(int(pid))
        except (OSError, ValueError):
            pass
    return found


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The class graded in one go: the results a resumed batch must reproduce."""
    folder = make_class(tmp_path_factory.mktemp("class"), CLASS)
    proc = run_cli("grade", "submitted", "--format", "json", "--store", "whole.sqlite",
                   cwd=str(folder))
    assert proc.returncode == 0, proc.stderr
    return folder, without_times(json.loads(proc.stdout))


def test_a_killed_batch_resumes_with_nothing_lost_or_duplicated(uninterrupted, tmp_path):
    folder, whole = uninterrupted
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    db = tmp_path / "killed.sqlite"
    proc = start_batch(folder, "--store", str(db), TMPDIR=str(scratch))
    wait_for_rows(db, 2, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = len(stored(db))
    assert 2 <= kept < len(CLASS), "killed too late to test a resume"
    deadline = time.monotonic() + 5              # the workers follow their judge
    while running_below(scratch) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_below(scratch) == []

    again = run_cli("grade", "submitted", "--format", "json", "--store", str(db),
                    cwd=str(folder))
    assert again.returncode == 0, again.stderr
    assert "%d to grade, %d graded before" % (len(CLASS) - kept, kept) in again.stderr
    graded_now = [line for line in again.stderr.splitlines() if line.startswith("[")]
    assert len(graded_now) == len(CLASS) - kept
    assert without_times(json.loads(again.stdout)) == whole
    rows = stored(db)
    assert len(rows) == len(set(rows)) == len({p for p, _ in rows}) == len(CLASS)

    # the key is what is graded: a new comment changes nothing, new code is graded
    # again (and only that file); the store keeps one row per result
    changed = folder / "submitted/s3/knn/knn.py"
    for edit, graded in (("\n# a late comment\n", 0), ("\nLATE_FIX = 1\n", 1)):
        changed.write_text(changed.read_text() + edit)
        third = run_cli("grade", "submitted", "--store", str(db), "--format", "csv",
                        cwd=str(folder))
        assert "this run graded %d and took %d from" % (graded, len(CLASS) - graded) \
            in third.stderr
    assert len(stored(db)) == len(CLASS) + 1


def test_an_interrupted_batch_prints_a_partial_summary_and_keeps_its_results(
        uninterrupted, tmp_path):
    folder, whole = uninterrupted
    db = tmp_path / "interrupted.sqlite"
    proc = start_batch(folder, "--store", str(db), "--format", "json")
    wait_for_rows(db, 1, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""
    kept = stored(db)
    done = len(kept)
    assert 1 <= done < len(CLASS)
    assert err.splitlines()[-1] == (
        "interrupted (SIGINT): %d of %d submissions finished, kept in %s; run the same "
        "command again to grade the other %d" % (done, len(CLASS), db, len(CLASS) - done))
    table = [line for line in err.splitlines() if line.startswith("submitted/")
             and line.endswith("graded")]
    assert sorted(line.split()[0] for line in table) == sorted(
        os.path.relpath(p, str(folder)) for p, _ in kept)
    scores = {s["path"]: s["score"] for s in whole["submissions"]}
    assert all(line.split()[2] == "%g" % scores[line.split()[0]] for line in table)


# ---------------------------------------------------------------- usage errors first
def _gradebook(folder):
    """An SQLite file that is not a results store (nbgrader's gradebook, say)."""
    with sqlite3.connect(str(folder / "gradebook.db")) as db:
        db.execute("CREATE TABLE student (id TEXT)")
    return "gradebook.db"


@pytest.mark.parametrize("args, message", [
    (["--out", "/nonexistent/r.json"], "--out /nonexistent/r.json: No such file or directory"),
    (["--out", "submitted"], "--out submitted: is a folder; give the report's file name"),
    (["--jobs", "0"], "--jobs must be at least 1, got 0"),
    (["--jobs", "-3"], "--jobs must be at least 1, got -3"),
    (["--store", "/nonexistent/s.sqlite"], "--store /nonexistent/s.sqlite: unable to open "
                                           "database file (does its folder exist"),
    (["--store", "submitted/s1/knn/knn.py"], "--store submitted/s1/knn/knn.py: file is not a "
                                             "database"),
    (["--store", _gradebook], "--store gradebook.db: not an autograder results store (it "
                              "holds the tables student)"),
    (["--format", "gradescope"], "--format gradescope on a folder writes one results.json "
                                 "per submission: give --out a folder"),
    (["--format", "gradescope", "--out", "submitted/s1/knn/knn.py"],
     "--out submitted/s1/knn/knn.py: not a folder"),
    (["--only", "predict_label"], "--only: predict_label is not a function of any "
                                  "assignment (did you mean predict_labels?)"),
    (["--cluster", "scheduler"], "--cluster scheduler: not a scheduler address (missing "
                                 "port number"),
    (["--cluster", "tcp://127.0.0.1:8786", "--jobs", "2"], "--jobs is for grading here"),
])
def test_usage_errors_come_before_any_grading(tmp_path, monkeypatch, capsys, args, message):
    """In-process (``cli.main``), with grading itself made to fail the test: each bad
    option is one line on stderr, exit 2, and nothing graded nor written."""
    folder = make_class(tmp_path, {p: solution_source("knn") for p in list(CLASS)[:2]})
    monkeypatch.chdir(folder)
    monkeypatch.setattr(processes, "become_subreaper", lambda: None)
    monkeypatch.setattr(processes, "kill_children", lambda only=None: None)
    monkeypatch.setattr(pools.LocalPool, "submit", lambda *a: pytest.fail("graded"))
    args = [a(folder) if callable(a) else a for a in args]
    before = sorted(p.name for p in folder.iterdir())
    assert cli.main(["grade", "submitted", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("autograder: error: " + message), err
    assert sorted(p.name for p in folder.iterdir()) == before


def test_cluster_without_dask_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)       # import fails
    monkeypatch.setattr(processes, "become_subreaper", lambda: None)
    monkeypatch.setattr(processes, "kill_children", lambda only=None: None)
    folder = make_class(tmp_path, {"submitted/a/knn/knn.py": solution_source("knn")})
    assert cli.main(["grade", str(folder / "submitted"), "--cluster",
                     "tcp://127.0.0.1:8786", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert capsys.readouterr().err == (
        "autograder: error: --cluster needs Dask: pip install 'dask[distributed]' (or this "
        "project's [cluster] extra)\n")


# ---------------------------------------------------------------- the parts
def test_the_student_comes_from_the_path():
    assert batch.layout("/c/submitted/alice/knn/knn.ipynb") == ("alice", "knn")
    assert batch.layout("/c/submitted/alice/knn/sub/x.py", "/c/submitted/alice") == (
        "alice", "knn")
    assert batch.layout("/c/class/bob/knn/knn.py", "/c/class") == ("bob", "knn")
    assert batch.layout("/c/class/bob/knn.py", "/c/class") == ("bob", None)
    assert batch.layout("/c/class/carol.ipynb", "/c/class") == ("carol", None)
    assert batch.layout("/c/knn.py") == (None, None)            # one file: not said


def test_the_key_follows_content_options_and_grader(monkeypatch):
    sub = Submission("a.py", [{"source": "x = 1", "label": "a.py"}], "knn")
    key = store.submission_key(sub, Options())
    assert store.submission_key(Submission("elsewhere.py", sub.cells, "knn"),
                                Options()) == key
    assert store.submission_key(Submission("a.py", [{"source": "x = 2", "label": "a.py"}],
                                           "knn"), Options()) != key
    assert store.submission_key(sub, Options(seed=1)) != key
    assert store.submission_key(sub, Options(only=("predict_labels",))) != key
    monkeypatch.setattr(store, "grader_version", lambda: "another")
    assert store.submission_key(sub, Options()) != key


def test_the_store_round_trips_a_report_and_replaces_a_row(tmp_path):
    rep = SubmissionReport("s/a.py", "knn", [runner.TestResult("f.t", "knn", "f", 0.5, 1.0,
                                                        "failed", "wrong", True)],
                           [{"type": "NameError", "message": "x", "where": ""}], "out",
                           1.25, student="a")
    results = store.Store(str(tmp_path / "s.sqlite"))
    results.put("s/a.py", "k1", rep)
    results.put("s/a.py", "k1", rep)
    assert results.get("s/a.py", "k1") == rep
    assert results.get("s/a.py", "k2") is None and results.get("s/b.py", "k1") is None
    results.close()
    assert len(stored(tmp_path / "s.sqlite")) == 1


def test_gradescope_files_never_share_a_folder():
    reps = [SubmissionReport("c/alice/knn/%s" % name, "knn", []) for name in (
        "knn.ipynb", "knn.py", "notes.py")]
    assert [name for name, _ in report.gradescope_files(reps, "c")] == [
        "alice/knn/knn.ipynb/results.json", "alice/knn/knn.py/results.json",
        "alice/knn/notes/results.json"]


def test_progress_lines_off_a_terminal_and_a_bar_on_one():
    rep = SubmissionReport("submitted/a/knn/knn.py", "knn", [
        runner.TestResult("f.t", "knn", "f", 2.0, 2.0, "passed", "")], seconds=1.04)
    broken = SubmissionReport("submitted/b/knn/knn.py", "knn", [], error="not UTF-8 text")
    lines = io.StringIO()
    shown = progress.Progress(2, stream=lines)
    shown.finished(rep)
    shown.finished(broken)
    shown.close()
    assert lines.getvalue() == (
        "[1/2] submitted/a/knn/knn.py  knn  2 / 2  1.0 s  graded\n"
        "[2/2] submitted/b/knn/knn.py  knn  0 / 0  -  error: not UTF-8 text\n")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    bar = progress.Progress(3, stream=terminal)
    bar.finished(rep)
    bar.close()
    text = terminal.getvalue()
    assert "1/3 [" in text and "submission/s" in text and "<" in text   # count, rate, ETA
    assert "[1/3] submitted" not in text


class Finished:
    """A finished task's future: its reply, or the exception it raised."""

    def __init__(self, reply=None, exc=None):
        self.reply, self.exc = reply, exc

    def done(self):
        return True

    def result(self):
        if self.exc:
            raise self.exc
        return self.reply


class Replies:
    """A pool whose tasks have already finished with the given futures."""

    def __init__(self, *futures):
        self.futures = list(futures)

    def submit(self, task):
        return self.futures.pop(0)

    def stop(self, futures):
        raise AssertionError("nothing to stop")


def items_for(*students):
    subs = [Submission("s/%s/knn.py" % n, [{"source": "x = 1", "label": "knn.py"}], "knn")
            for n in students]
    return [batch.Item(s.path, n, s, "knn", "key-" + n) for s, n in zip(subs, students)]


def test_a_lost_task_is_an_error_entry_and_not_stored(tmp_path):
    """A task that raised (a cluster's worker died) or a grader failure gives an error
    entry for that submission only; nothing of it is stored, so a rerun tries again."""
    items = items_for("a", "b")
    results = store.Store(str(tmp_path / "s.sqlite"))
    pool = Replies(Finished(exc=RuntimeError("worker died")),
                   Finished({"error": "internal error while grading: boom"}))
    assert batch.grade(items, Options(), pool, results) is True
    assert [(report.status_of(i.report), i.report.error, i.report.student, i.report.assignment)
            for i in items] == [
        ("error", "the grading task was lost (RuntimeError: worker died); run again to "
                  "retry", "a", "knn"),
        ("error", "internal error while grading: boom", "b", "knn")]
    assert stored(tmp_path / "s.sqlite") == []


def test_a_grader_failure_is_an_error_reply():
    item, = items_for("a")
    task = pools.payload(item.sub, Options())
    task["options"]["assignment"] = "no_such_assignment"
    reply = pools.grade_task(task)
    assert list(reply) == ["error"]
    assert reply["error"].startswith(
        "internal error while grading (not the submission's fault; please report it): "
        "autograder.errors.UsageError: unknown assignment 'no_such_assignment' (choose "
        "from knn, ")


def test_a_worker_with_another_grader_refuses_and_stops_the_batch():
    item, = items_for("a")
    task = dict(pools.payload(item.sub, Options()), grader="0123456789abcdef")
    reply = pools.grade_task(task)
    assert reply == {"refused": "a worker runs grader version %s, this checkout "
                                "0123456789abcdef: install the same checkout on the "
                                "cluster's workers" % store.grader_version()}
    with pytest.raises(ClusterError, match="^a worker runs grader version"):
        batch.grade([item], Options(), Replies(Finished(reply)))
