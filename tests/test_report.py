"""The text report's load notes: a notebook's refused ``autograder`` import and the
NameErrors it causes are one note; every other load error keeps its own line.  The
gradebook's notes (cells skipped while loading) and a batch's JSON."""
import csv
import io
import json

from autograder.judge import report
from autograder.judge.report import load_notes
from autograder.runner import SubmissionReport, TestResult as Result

BLOCKED = {"type": "ImportError", "message": "'autograder' cannot be imported during grading",
           "where": " (line 6 of cell 2, in <module>)"}


def name_error(cell, name="data"):
    return {"type": "NameError", "message": "name %r is not defined" % name,
            "where": " (line 1 of cell %d, in <module>)" % cell}


def test_the_blocked_import_and_its_consequences_are_one_note():
    assert load_notes([BLOCKED, name_error(4), name_error(9, "plt")]) == [
        "the project cannot be imported while grading (cell 2), so 2 later cells "
        "using what it defines did not run (cells 4, 9): expected for data, plotting "
        "and check cells"]


def test_a_script_names_lines():
    blocked = dict(BLOCKED, where=" (line 27 of knn.py, in <module>)")
    later = [dict(name_error(0), where=" (line %d of knn.py, in <module>)" % n)
             for n in (45, 46)]
    assert load_notes([blocked] + later) == [
        "the project cannot be imported while grading (line 27), so 2 later statements "
        "using what it defines did not run (lines 45, 46): expected for data, plotting "
        "and check cells"]


def test_other_errors_are_still_listed_one_by_one():
    crash = {"type": "ZeroDivisionError", "message": "division by zero",
             "where": " (line 3 of cell 7, in <module>)"}
    notes = load_notes([BLOCKED, crash, name_error(8)])
    assert notes == [
        "the project cannot be imported while grading (cell 2), so 1 later cell "
        "using what it defines did not run (cell 8): expected for data, plotting and "
        "check cells",
        "while loading, ZeroDivisionError: division by zero (line 3 of cell 7, in <module>)"]


def test_without_a_blocked_import_every_error_is_listed():
    assert load_notes([name_error(3)]) == [
        "while loading, NameError: name 'data' is not defined (line 1 of cell 3, in <module>)"]
    assert load_notes([]) == []


def test_long_lists_of_places_are_cut():
    notes = load_notes([BLOCKED] + [name_error(n) for n in range(3, 20)])
    assert "(cells 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ... (17 in all))" in notes[0]


SKIPPED = {"type": "SkippedCell", "where": " (cell 7)",
           "message": "this cell did not finish within 60 s; the cell was skipped and the "
                      "rest loaded without it"}


def graded(path, assignment, score, points, load_errors=()):
    return SubmissionReport(path, assignment, [Result(
        "f.t", assignment, "f", score, points, "passed" if score == points else "failed",
        "")], list(load_errors), student=path.split("/")[1])


def test_a_cell_skipped_while_loading_is_in_the_csv_note_and_gradescope_output():
    rep = graded("submitted/kim/knn/knn.ipynb", "knn", 2.0, 2.0, [SKIPPED, name_error(9)])
    row, = csv.DictReader(io.StringIO(report.render_csv([rep])))
    assert row["note"] == "cell 7 was skipped while loading: this cell did not finish " \
                          "within 60 s"
    output = json.loads(report.render_gradescope([rep]))["output"]
    assert output.splitlines() == [
        row["note"],
        "while loading, NameError: name 'data' is not defined (line 1 of cell 9, in "
        "<module>)"]
    broken = SubmissionReport("submitted/ivan/knn/knn.ipynb", "knn", [], error="not UTF-8",
                              load_errors=[SKIPPED])
    row, = csv.DictReader(io.StringIO(report.render_csv([broken])))
    assert row["note"] == "not UTF-8; cell 7 was skipped while loading: this cell did not " \
                          "finish within 60 s"
    assert load_notes([SKIPPED]) == [
        "while loading, SkippedCell: this cell did not finish within 60 s; the cell was "
        "skipped and the rest loaded without it (cell 7)"]


def test_a_batchs_json_adds_no_score_across_assignments_one_files_keeps_it():
    reps = [graded("submitted/a/knn/knn.py", "knn", 10.0, 19.0),
            graded("submitted/b/conv/conv.py", "conv", 40.0, 50.0)]
    batch = json.loads(report.render(reps, "json", batch=True))
    assert "score" not in batch and "max_score" not in batch
    assert [(s["assignment"], s["score"], s["max_score"]) for s in batch["submissions"]] == [
        ("knn", 10.0, 19.0), ("conv", 40.0, 50.0)]
    assert {a: (t["score"], t["max_score"]) for a, t in batch["assignments"].items()} == {
        "conv": (40.0, 50.0), "knn": (10.0, 19.0)}
    one = json.loads(report.render(reps[:1], "json"))
    assert (one["score"], one["max_score"]) == (10.0, 19.0)
