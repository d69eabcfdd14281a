"""Feedback when the submission did not load as graded (issue 7, "Feedback that
misleads"): a cell that failed names itself, near misses never name another catalog
function, a .py file with a syntax error keeps what parses, and a submission graded
as the wrong assignment says so in one line."""
import json
import textwrap

from autograder import registry, runner
from autograder.judge import grading, report, submission
from autograder.judge.submission import Submission
from tests.helpers import cli_json, grade_source, run_cli, solution_source

HEADER = "import numpy as np\n"
PREDICT_OK = '''
def predict_labels(dists, y_train, k=1):
    order = np.argsort(dists, axis=1, kind="stable")[:, :k]
    votes = y_train[order]
    return np.array([np.bincount(row).argmax() for row in votes])
'''
MISSING = "predict_labels is not defined in the submission"


def grade_cells(sources, assignment="knn", only=("predict_labels",)):
    """Grade notebook-like cells labelled "cell 1", "cell 2", ...; {name: result}, report."""
    sub = Submission("<test>", [{"source": textwrap.dedent(s), "label": "cell %d" % i}
                                for i, s in enumerate(sources, start=1)], assignment)
    rep = grading.grade_submission(sub, runner.Options(assignment=assignment, only=only))
    return {r.name: r for r in rep.results}, rep


def feedback_of(results, function):
    """The feedback of every test of ``function`` (a hypothesis case suffix removed)."""
    return {r.feedback.split(" [case: ")[0] for r in results.values()
            if r.function == function}


# ---------------------------------------------------------------- 1. a failing cell
def test_a_syntax_error_names_the_cell_the_line_and_the_error():
    broken = PREDICT_OK.replace("    votes = y_train[order]", "    votes = = y_train[order]")
    results, rep = grade_cells([HEADER, "x = 1\n", broken])
    assert feedback_of(results, "predict_labels") == {
        MISSING + ": cell 3 did not run (SyntaxError at line 4: invalid syntax)"}
    assert all(r.score == 0 and r.status == "error" for r in results.values())
    assert report.load_notes(rep.load_errors) == [
        "while loading, SyntaxError: invalid syntax (line 4 of cell 3)"]


def test_an_indentation_error_is_named_too():
    broken = "def predict_labels(dists, y_train, k=1):\nreturn y_train\n"
    results, _ = grade_cells([HEADER, broken])
    assert feedback_of(results, "predict_labels") == {
        MISSING + ": cell 2 did not run (IndentationError at line 2: expected an indented "
                  "block after function definition on line 1)"}


def test_a_cell_that_raises_before_the_definition():
    raising = "scale = 1 / 0\n" + PREDICT_OK
    results, _ = grade_cells([HEADER, raising])
    assert feedback_of(results, "predict_labels") == {
        MISSING + ": cell 2 stopped before defining it (ZeroDivisionError at line 1: "
                  "division by zero)"}


def test_an_error_without_a_message():
    results, _ = grade_cells([HEADER, "raise ValueError\n" + PREDICT_OK])
    assert feedback_of(results, "predict_labels") == {
        MISSING + ": cell 2 stopped before defining it (ValueError at line 1)"}


def test_a_cell_that_killed_the_worker_is_named():
    crashing = "import ctypes\nctypes.string_at(0)\n" + PREDICT_OK
    results, _ = grade_cells([HEADER, crashing])
    assert feedback_of(results, "predict_labels") == {
        MISSING + ": cell 2 was skipped (the submission's process was killed by SIGSEGV "
                  "while running this cell)"}


def test_a_failing_cell_that_defines_something_else_is_not_blamed():
    results, _ = grade_cells([HEADER, "def helper(:\n    pass\n"])
    assert feedback_of(results, "predict_labels") == {MISSING}


def test_a_definition_that_ran_in_a_later_cell_is_graded():
    broken = PREDICT_OK.replace("    votes = y_train[order]", "    votes = = y_train[order]")
    results, _ = grade_cells([HEADER, broken, PREDICT_OK])
    assert all(r.status == "passed" for r in results.values()), results


# ---------------------------------------------------------------- 2. near misses
def test_another_catalog_function_is_never_suggested():
    source = """
        def add_backward(dout, cache):
            return dout, dout
    """
    results, _ = grade_source(source, "backprop", only=("add_forward",))
    assert feedback_of(results, "add_forward") == {
        "add_forward is not defined in the submission"}


def test_a_near_miss_of_the_students_own_is_suggested():
    results, _ = grade_source(HEADER + PREDICT_OK.replace("def predict_labels",
                                                          "def predict_label"), "knn")
    assert feedback_of(results, "predict_labels") == {
        MISSING + " (did you mean predict_label?)"}


# ---------------------------------------------------------------- 3. a .py file
def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_py_file_that_does_not_parse_is_split_at_top_level_statements(tmp_path):
    text = textwrap.dedent('''\
        import numpy as np

        @staticmethod
        def a(x):
            return x
        TEXT = """
        column 0 inside a string
        """
        X = (1,
        2)
        if X:
            pass
        else:
            pass
        # a comment
        def b(x):
            return x +
        def c(x):
        # a comment at column 0 inside a function
            return x
    ''')
    cells = submission.read(write(tmp_path, "mine.py", text)).cells
    chunks = [(len(c["source"]) - len(c["source"].lstrip("\n")) + 1,
               c["source"].lstrip("\n").splitlines()) for c in cells]
    assert chunks == [
        (1, ["import numpy as np", ""]),
        (3, ["@staticmethod", "def a(x):", "    return x"]),
        (6, ['TEXT = """', "column 0 inside a string", '"""']),
        (9, ["X = (1,", "2)"]),
        (11, ["if X:", "    pass", "else:", "    pass", "# a comment"]),
        (16, ["def b(x):", "    return x +"]),                 # the one that does not parse
        (18, ["def c(x):", "# a comment at column 0 inside a function", "    return x"]),
    ]
    assert {c["label"] for c in cells} == {"mine.py"}


def test_a_syntax_error_in_one_function_of_a_py_file_costs_only_that_function(tmp_path):
    source = solution_source("knn")
    assert "        dists[i, :] = np.sqrt(" in source.splitlines()[16]       # line 17
    path = write(tmp_path, "knn.py", source.replace("        dists[i, :] = np.sqrt(",
                                                    "        dists[i, :] = = np.sqrt("))
    data = cli_json("grade", path)
    knn = registry.load("knn")
    lost = {t["name"]: t["feedback"] for t in data["tests"] if t["score"] != t["max_score"]}
    assert set(lost) == {
        t.name for t in knn.tests if t.function == "compute_distances_one_loop"}
    assert {f.split(" [case: ")[0] for f in lost.values()} == {
        "compute_distances_one_loop is not defined in the submission: the statement at "
        "line 14 of knn.py did not run (SyntaxError at line 17: invalid syntax)"}
    lost_points = sum(t.points for t in knn.tests if t.function == "compute_distances_one_loop")
    assert data["score"] == knn.max_score - lost_points
    assert data["submissions"][0]["load_errors"] == [
        "SyntaxError: invalid syntax (line 17 of knn.py)"]
    text = run_cli("grade", path, "--only", "compute_distances_two_loops").stdout
    assert "  note: while loading, SyntaxError: invalid syntax (line 17 of knn.py)\n" in text


# ---------------------------------------------------------------- 4. wrong assignment
WRONG = ("this submission defines none of backprop's functions but 5 of knn's "
         "(compute_distances_two_loops, compute_distances_one_loop, "
         "compute_distances_no_loops, ...): grade it with --assignment knn")


def write_notebook(tmp_path, name, source, assignment):
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"autograder": {"assignment": assignment}},
          "cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
                     "execution_count": None}]}
    return write(tmp_path, name, json.dumps(nb))


def test_the_wrong_assignment_from_metadata_is_one_line_of_text(tmp_path):
    path = write_notebook(tmp_path, "homework.ipynb", solution_source("knn"), "backprop")
    proc = run_cli("grade", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "%s  (backprop)  0 / %g points\n  %s\n" % (
        path, registry.load("backprop").max_score, WRONG)


def test_the_wrong_assignment_in_json_keeps_every_test(tmp_path):
    path = write(tmp_path, "knn.py", solution_source("knn"))
    data = cli_json("grade", path, "--assignment", "backprop")
    backprop = registry.load("backprop")
    assert (data["score"], data["max_score"]) == (0, backprop.max_score)
    assert [t["name"] for t in data["tests"]] == [t.name for t in backprop.tests]
    assert {(t["score"], t["status"], t["feedback"]) for t in data["tests"]} == {
        (0, "error", WRONG)}
    assert data["submissions"][0]["problem"] == WRONG


def test_the_wrong_assignment_is_not_claimed_without_another_assignments_functions():
    sub = Submission("<test>", [{"source": "x = 1\n", "label": "cell 1"}], "knn")
    assert grading.wrong_assignment(sub.source, registry.load("knn")) is None
    results, rep = grade_source("x = 1\n", "knn", only=("predict_labels",))
    assert rep.problem is None
    assert feedback_of(results, "predict_labels") == {MISSING}
    assert json.loads(report.render_json([rep]))["submissions"][0]["problem"] is None


def test_one_function_of_another_assignment_is_named():
    source = "def relu_forward(x):\n    return x, x\n"
    sub = Submission("<test>", [{"source": source, "label": "cell 1"}], "knn")
    assert grading.wrong_assignment(sub.source, registry.load("knn")) == (
        "this submission defines none of knn's functions but 1 of backprop's "
        "(relu_forward): grade it with --assignment backprop")
