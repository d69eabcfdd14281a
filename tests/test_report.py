"""The text report's load notes: a notebook's refused ``autograder`` import and the
NameErrors it causes are one note; every other load error keeps its own line."""
from autograder.report import load_notes

BLOCKED = {"type": "ImportError", "message": "'autograder' cannot be imported during grading",
           "where": " (line 6 of cell 2, in <module>)"}


def name_error(cell, name="data"):
    return {"type": "NameError", "message": "name %r is not defined" % name,
            "where": " (line 1 of cell %d, in <module>)" % cell}


def test_the_blocked_import_and_its_consequences_are_one_note():
    assert load_notes([BLOCKED, name_error(4), name_error(9, "plt")]) == [
        "cell 2 imports the project (not available while grading), so 2 later cells "
        "that use what it defines did not run (cells 4, 9): expected for data and "
        "plotting cells"]


def test_other_errors_are_still_listed_one_by_one():
    crash = {"type": "ZeroDivisionError", "message": "division by zero",
             "where": " (line 3 of cell 7, in <module>)"}
    notes = load_notes([BLOCKED, crash, name_error(8)])
    assert notes == [
        "cell 2 imports the project (not available while grading), so 1 later cell that "
        "uses what it defines did not run (cell 8): expected for data and plotting cells",
        "while loading, ZeroDivisionError: division by zero (line 3 of cell 7, in <module>)"]


def test_without_a_blocked_import_every_error_is_listed():
    assert load_notes([name_error(3)]) == [
        "while loading, NameError: name 'data' is not defined (line 1 of cell 3, in <module>)"]
    assert load_notes([]) == []
