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

from autograder import registry
from autograder.judge import batch, cli, pools, processes, progress, report, store
from autograder.errors import ClusterError
from autograder import runner
from autograder.runner import Options, SubmissionReport
from autograder.judge.submission import Submission
from tests.helpers import ROOT, run_cli, solution_source

KNN = registry.load("knn")
LINEAR = registry.load("linear_classifiers")


def notebook(source, *more, assignment=None):
    """A notebook whose code cells are ``source`` and ``more``; ``assignment``: the
    one its metadata names."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5,
                       "metadata": {"autograder": {"assignment": assignment}}
                       if assignment else {},
                       "cells": [{"cell_type": "code", "source": text, "metadata": {},
                                  "outputs": [], "execution_count": None}
                                 for text in (source,) + more]})


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
# One entry per student and assignment folder: alice's notes.py goes with her knn.py.
ENTRIES = sorted(p for p in MIXED if p != "submitted/alice/knn/notes.py")
ERRORS = {
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
    assert sorted(entries) == ENTRIES
    for path, reason in ERRORS.items():
        entry = entries[path]
        assert (entry["status"], entry["score"], entry["max_score"]) == (
            "error", 0, KNN.max_score), entry
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
    assert frank["problem"].endswith(": not graded as knn; if it is frank's "
                                     "linear_classifiers submission, put it in "
                                     "submitted/frank/linear_classifiers/")
    assert {t["submission"] for t in data["tests"]} == set(ENTRIES)
    # totals per assignment, never added across assignments (no top-level total)
    assert "score" not in data and "max_score" not in data
    assert data["assignments"] == {
        "knn": {"submissions": 6, "graded": 2, "not graded": 1, "error": 3,
                "score": 2 * KNN.max_score, "max_score": 6 * KNN.max_score,
                "graded_score": 2 * KNN.max_score, "graded_max_score": 2 * KNN.max_score},
        "linear_classifiers": {"submissions": 1, "graded": 1, "not graded": 0, "error": 0,
                               "score": LINEAR.max_score, "max_score": LINEAR.max_score,
                               "graded_score": LINEAR.max_score,
                               "graded_max_score": LINEAR.max_score}}


def test_progress_is_a_line_per_graded_submission_then_a_summary(mixed):
    _, proc = mixed
    lines = proc.stderr.splitlines()
    assert lines[0] == ("7 submissions in submitted: 4 to grade, 0 graded before (in %s), "
                        "3 that cannot be read or graded"
                        % os.path.join(mixed[0], store.DEFAULT_NAME))
    progress_lines = [line for line in lines if line.startswith("[")]
    assert sorted(line.split()[1] for line in progress_lines) == sorted(
        set(GRADED) | {OTHERS})
    assert [line.split("]")[0] for line in progress_lines] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert "submitted/bob/knn/knn.ipynb  knn  %g / %g  " % (KNN.max_score, KNN.max_score) \
        in proc.stderr
    table = lines[lines.index(next(l for l in lines if l.startswith("submission "))):]
    assert len([l for l in table if l.startswith("submitted/")]) == len(ENTRIES)
    assert any(l.split()[:6] == ["knn", "6", "2", "1", "3", "%g" % KNN.max_score]
               for l in table), table
    assert lines[-1].startswith("7 submissions: 3 graded, 1 not graded, 3 in error; this "
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
    assert sorted(by_path) == ENTRIES
    assert {k: by_path["submitted/bob/knn/knn.ipynb"][k] for k in ("student", "assignment",
                                                                   "score", "max_score",
                                                                   "status", "note")} == {
        "student": "bob", "assignment": "knn", "score": "%g" % KNN.max_score,
        "max_score": "%g" % KNN.max_score, "status": "graded", "note": ""}
    carol = by_path["submitted/carol/knn/knn.ipynb"]
    assert (carol["student"], carol["score"], carol["max_score"], carol["status"]) == (
        "carol", "0", "%g" % KNN.max_score, "error")
    assert carol["note"].startswith("not a valid notebook")
    assert by_path[OTHERS]["status"] == "not graded"
    assert by_path[OTHERS]["note"].endswith("put it in submitted/frank/linear_classifiers/")

    found = sorted(str(p.relative_to(folder / "gradescope"))
                   for p in (folder / "gradescope").rglob("*") if p.is_file())
    assert found == sorted(os.path.join(os.path.splitext(os.path.relpath(p, "submitted"))[0],
                                        "results.json") for p in ENTRIES)
    alice = json.loads((folder / "gradescope/alice/knn/knn/results.json").read_text())
    assert alice["score"] == KNN.max_score
    assert [t["name"] for t in alice["tests"]] == [t.name for t in KNN.tests]
    assert alice["extra_data"]["submissions"] == [{
        "path": "submitted/alice/knn/knn.py", "student": "alice", "assignment": "knn",
        "status": "graded"}]
    erin = json.loads((folder / "gradescope/erin/knn/knn/results.json").read_text())
    assert (erin["score"], erin["output"]) == (0, "not UTF-8 text (byte 0)")
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["output"])
            for t in erin["tests"]] == [(t.name, 0, t.points, "failed", "not UTF-8 text "
                                         "(byte 0)") for t in KNN.tests]

    suites = ElementTree.parse(str(folder / "junit.xml")).getroot().findall("testsuite")
    assert sorted(s.get("name").split(":", 1)[1] for s in suites) == ENTRIES
    for suite in suites:
        path = suite.get("name").split(":", 1)[1]
        cases = suite.findall("testcase")
        assert {c.get("file") for c in cases} == {path}
        assert int(suite.get("tests")) == len(cases)
        if path in ERRORS:
            assert [c.get("name") for c in cases] == [t.name for t in KNN.tests]
            assert all(c.find("error").get("message").startswith(ERRORS[path])
                       for c in cases)
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
    assert "submitted/carol/knn/knn.ipynb  (knn)  0 / %g points\n  error: not a valid " \
           "notebook (broken JSON: " % KNN.max_score in out
    tail = out[out.index("\nsubmission "):].splitlines()
    assert len([line for line in tail if line.startswith("submitted/")]) == len(ENTRIES)
    assert [line.split()[0] for line in tail if line.split() and line.split()[0] in (
        "knn", "linear_classifiers") and line.split()[1].isdigit()] == [
        "knn", "linear_classifiers"]
    # the summary is in the report, not printed a second time on stderr
    assert "\nsubmission " not in proc.stderr


# ---------------------------------------------------------------- a gradebook to import
# (issue 19) One row per student and assignment folder, with its assignment's max;
# the folder's other files go with its notebook; --only skips the other assignments.
ONLY = "predict_labels"
ONLY_POINTS = sum(t.points for t in KNN.tests if t.function == ONLY)
REFERENCE = os.path.join(ROOT, "reference", "knn.py")
GRADEBOOK = {
    # imports its own utils.py and reads its own data file; still cannot read the project
    "submitted/zoe/knn/knn.ipynb": notebook(
        "import utils\nfrom utils import helper\nwith open('data/k.txt') as f:\n"
        "    K = int(f.read())\nassert helper() == K == 42\n",
        solution_source("knn"), "open(%r).read()" % REFERENCE),
    "submitted/zoe/knn/utils.py": "def helper():\n    return 42\n",
    "submitted/zoe/knn/data/k.txt": "42\n",
    "submitted/alice/knn/knn.ipynb": notebook(solution_source("knn")),
    "submitted/alice/knn/notes.py": "# what I tried\nx = 1\n",          # her stray file
    "submitted/ivan/knn/knn.ipynb": '{"cells": [',                        # broken
    "submitted/kim/knn/knn.ipynb": notebook(solution_source("knn"),       # cell 2 kills
                                            "import os\nos._exit(3)"),    # the worker
    "submitted/frank/knn/knn.py": solution_source("linear_classifiers"),  # other one's
    "submitted/gina/linear_classifiers/linear_classifiers.py":            # skipped by
        solution_source("linear_classifiers"),                            # --only
    "submitted/hal/linear_classifiers/linear_classifiers.ipynb": "",      # skipped too
    "submitted/lee/notes.py": "x = 1\n",                                  # no assignment
}


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """The class graded once with --only (CSV), then exported as JSON and Gradescope
    (from the store)."""
    folder = make_class(tmp_path_factory.mktemp("gradebook"), GRADEBOOK)
    runs = [run_cli("grade", "submitted", "--only", ONLY, "--format", fmt, "--out", out,
                    cwd=str(folder))
            for fmt, out in (("csv", "grades.csv"), ("json", "report.json"),
                             ("gradescope", "gradescope"))]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
    rows = list(csv.DictReader(io.StringIO((folder / "grades.csv").read_text())))
    return folder, runs, {r["student"]: r for r in rows}, rows


def test_a_students_folder_is_one_row_graded_with_its_other_files(gradebook):
    """Item 1: zoe's notebook imports her utils.py and reads her data file (one row,
    full marks, no load error but the project file it may not read); alice's stray
    notes.py is not a row of its own."""
    folder, runs, by_student, rows = gradebook
    assert [(r["student"], r["assignment"]) for r in rows] == [
        ("alice", "knn"), ("frank", "knn"), ("ivan", "knn"), ("kim", "knn"), ("lee", ""),
        ("zoe", "knn")]
    for student in ("alice", "zoe"):
        row = by_student[student]
        assert (row["score"], row["max_score"], row["status"], row["submission"]) == (
            "%g" % ONLY_POINTS, "%g" % ONLY_POINTS, "graded",
            "submitted/%s/knn/knn.ipynb" % student), row
    data = json.loads((folder / "report.json").read_text())
    zoe = next(s for s in data["submissions"] if s["student"] == "zoe")
    assert len(zoe["load_errors"]) == 1, zoe["load_errors"]
    assert zoe["load_errors"][0].startswith("PermissionError: ")
    assert zoe["load_errors"][0].endswith("(line 1 of cell 3, in <module>)")


def test_a_row_that_could_not_be_graded_carries_its_assignments_max(gradebook):
    """Item 3: a broken notebook's row is 0 out of its assignment's max (of the --only
    tests), never 0 / 0."""
    _, _, by_student, _ = gradebook
    ivan = by_student["ivan"]
    assert (ivan["score"], ivan["max_score"], ivan["status"]) == (
        "0", "%g" % ONLY_POINTS, "error")
    assert ivan["note"].startswith("not a valid notebook (broken JSON: ")


def test_only_skips_the_other_assignments_and_hints_fit_a_batch(gradebook):
    """Item 6: with --only, the submissions of assignments without that function are
    left out (not error rows) and the summary says so; the hints say where a file
    belongs, not "pass --assignment"."""
    folder, runs, by_student, _ = gradebook
    assert not {"gina", "hal"} & set(by_student)
    first = runs[0].stderr.splitlines()
    skipped = ("(2 more skipped, not in the report: --only predict_labels names no "
               "function of their assignment)")
    assert first[0] == ("6 submissions in submitted: 4 to grade, 0 graded before (in %s), "
                        "2 that cannot be read or graded %s"
                        % (folder / store.DEFAULT_NAME, skipped))
    assert first[-1].startswith("6 submissions: 3 graded, 1 not graded, 2 in error %s; "
                                "this run graded 4 and took 0 from " % skipped)
    assert by_student["lee"]["note"] == (
        "cannot tell which assignment this is: put it in submitted/lee/<assignment>/ or set "
        "its notebook's metadata autograder.assignment (one of %s)"
        % ", ".join(registry.ASSIGNMENT_MODULES))
    frank = by_student["frank"]
    assert (frank["score"], frank["max_score"], frank["status"]) == (
        "0", "%g" % ONLY_POINTS, "not graded")
    assert frank["note"].startswith("this submission defines none of knn's functions but ")
    assert frank["note"].endswith(": not graded as knn; if it is frank's linear_classifiers "
                                  "submission, put it in submitted/frank/linear_classifiers/")
    for proc in runs:
        assert "--assignment" not in proc.stderr


def test_cells_skipped_while_loading_are_in_the_gradebook_and_gradescope(gradebook):
    """Item 7: kim's cell 2 killed the worker and was skipped: the CSV note and the
    Gradescope output say so."""
    folder, _, by_student, _ = gradebook
    kim = by_student["kim"]
    assert (kim["score"], kim["status"]) == ("%g" % ONLY_POINTS, "graded")
    assert kim["note"].startswith("cell 2 was skipped while loading: "), kim
    results = json.loads((folder / "gradescope/kim/knn/knn/results.json").read_text())
    assert results["output"] == kim["note"]


def test_a_batchs_json_has_totals_per_assignment_only(gradebook):
    """Item 8: no top-level score adding assignments together; each submission and
    each assignment has its own."""
    folder, _, _, _ = gradebook
    data = json.loads((folder / "report.json").read_text())
    assert "score" not in data and "max_score" not in data
    assert data["assignments"]["knn"]["max_score"] == 5 * ONLY_POINTS
    assert {s["student"]: s["max_score"] for s in data["submissions"]} == {
        "alice": ONLY_POINTS, "frank": ONLY_POINTS, "ivan": ONLY_POINTS, "kim": ONLY_POINTS,
        "lee": 0, "zoe": ONLY_POINTS}


def test_the_folder_names_the_assignment(tmp_path):
    """Item 2: a notebook of another assignment in an assignment's folder is a 0 out
    of the folder's assignment's max, with a note; a folder whose notebook cannot be
    told is one error row.  (Nothing here is graded: plain rows.)"""
    conv = registry.load("conv")
    folder = make_class(tmp_path, {
        "submitted/jack/conv/knn.ipynb": notebook(solution_source("knn"), assignment="knn"),
        "submitted/mia/conv/conv_v1.ipynb": notebook("x = 1"),
        "submitted/mia/conv/conv_final.ipynb": notebook("y = 2"),
    })
    proc = run_cli("grade", "submitted", "--format", "csv", cwd=str(folder))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["student"], r["assignment"], r["score"], r["max_score"], r["status"],
             r["submission"], r["note"]) for r in rows] == [
        ("jack", "conv", "0", "%g" % conv.max_score, "not graded",
         "submitted/jack/conv/knn.ipynb",
         "knn.ipynb is knn's notebook (its file name says so), in the folder of conv: not "
         "graded as conv; if it is jack's knn submission, put it in submitted/jack/knn/"),
        ("mia", "conv", "0", "%g" % conv.max_score, "error", "submitted/mia/conv",
         "cannot tell which file is the submission: 2 notebooks (conv_final.ipynb, "
         "conv_v1.ipynb), none named conv.ipynb")]


def test_a_flat_folders_hint_grades_that_file_on_its_own(tmp_path):
    """Item 6 in a flat folder (no student folders): a file whose name says knn but
    whose code is conv's is not graded, and its hint is to grade that one file with
    --assignment, never the batch (where it would apply to every file)."""
    folder = make_class(tmp_path, {"knn.py": solution_source("conv"),
                                   "a.py": solution_source("knn")})
    proc = run_cli("grade", ".", "--format", "csv", cwd=str(folder))
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(proc.stdout))}
    assert (rows["a"]["score"], rows["a"]["status"]) == (
        "%g" % registry.load("knn").max_score, "graded")
    note = rows["knn"]["note"]
    assert (rows["knn"]["score"], rows["knn"]["status"]) == ("0", "not graded")
    assert note.startswith("this submission defines none of knn's functions but ")
    assert note.endswith(": not graded as knn; if it is a conv submission, grade this file "
                         "on its own (--assignment conv)"), note


def test_a_comment_edit_or_a_moved_course_keeps_the_result(tmp_path):
    """Item 5: the store's key is the code as Python reads it (comments and blank
    lines do not count) and its path below the batch's folder (the course may move);
    a code edit is graded again."""
    source = solution_source("knn")
    course = make_class(tmp_path / "course", {
        "submitted/s1/knn/knn.ipynb": notebook(source)})
    nb = course / "submitted/s1/knn/knn.ipynb"

    def run(where):
        proc = run_cli("grade", "submitted", "--only", ONLY, "--format", "csv",
                       cwd=str(where))
        assert proc.returncode == 0, proc.stderr
        return proc.stderr.splitlines()[-1]

    assert "this run graded 1 and took 0 from" in run(course)
    commented = source.replace("def predict_labels(", "# a comment added later\n\n\n"
                               "def predict_labels(", 1).replace(
        "\n    return ", "\n    # why it returns this\n    return ", 1) + "\n   \n# end\n"
    assert commented != source
    nb.write_text(notebook(commented))
    assert "this run graded 0 and took 1 from" in run(course)
    moved = tmp_path / "elsewhere"
    os.rename(str(course), str(moved))
    assert "this run graded 0 and took 1 from %s" % os.path.join(
        os.path.realpath(moved), store.DEFAULT_NAME) in run(moved)
    (moved / "submitted/s1/knn/knn.ipynb").write_text(notebook(commented + "\nLATE = 1\n"))
    assert "this run graded 1 and took 0 from" in run(moved)


def test_the_code_key_ignores_comments_and_layout_only():
    code = "def f(x):\n    return x + 1\n"
    same = "# f\ndef f(x):   # adds one\n\n    return x + 1  # here\n\n"
    assert store.code_key(same) == store.code_key(code)
    assert store.code_key("def f(x):\n    return x + 2\n") != store.code_key(code)
    assert store.code_key("%time f(1)\n# c\n") == store.code_key("%time f(1)\n")
    broken = "def f(x:\n    return x\n"                     # does not parse
    assert store.code_key(broken + "# c\n") == store.code_key(broken)
    assert store.code_key(broken.replace("x\n", "y\n")) != store.code_key(broken)
    sub = Submission("a.ipynb", [{"source": code, "label": "cell 1"}], "knn")
    assert store.submission_key(sub, Options()) == store.submission_key(
        Submission("b.ipynb", [{"source": same, "label": "cell 1"}], "knn"), Options())
    assert store.submission_key(sub, Options()) != store.submission_key(
        Submission("a.ipynb", [{"source": code, "label": "cell 2"}], "knn"), Options())
    with_files = Submission("a.ipynb", sub.cells, "knn", files={"utils.py": b"A = 1\n"})
    assert store.submission_key(with_files, Options()) != store.submission_key(sub, Options())
    assert store.submission_key(with_files, Options()) == store.submission_key(
        Submission("a.ipynb", sub.cells, "knn", files={"utils.py": b"A = 1  # one\n"}),
        Options())


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
    assert sorted(line.split()[0] for line in table) == sorted(     # rows: below the
        os.path.join("submitted", p) for p, _ in kept)                 # batch's folder
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
