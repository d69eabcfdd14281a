"""Reading submissions: notebooks, .py files, folders, and every way they can be bad."""
import json

import pytest

from autograder import runner
from autograder.judge import grading, submission
from autograder.errors import SubmissionError


def write_nb(path, cells, metadata=None):
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5,
                                "metadata": metadata or {}, "cells": cells}))
    return str(path)


def code(src, **nbgrader):
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "source": src, "metadata": meta, "outputs": [],
            "execution_count": None}


def test_notebook_cells_are_labelled_and_grade_cells_skipped(tmp_path):
    path = write_nb(tmp_path / "knn.ipynb", [
        {"cell_type": "markdown", "source": "# hi", "metadata": {}},
        code(["import numpy as np\n", "x = 1"]),
        code("check('f')", grade=True, solution=False, points=1),
        code("def f(): pass", grade=False, solution=True),
    ])
    sub = submission.read(path)
    assert sub.assignment == "knn"
    assert sub.cells == [{"source": "import numpy as np\nx = 1", "label": "cell 2"},
                         {"source": "def f(): pass", "label": "cell 4"}]


def test_python_file_is_split_into_statements_keeping_line_numbers(tmp_path):
    path = tmp_path / "whatever.py"
    path.write_text("import autograder_missing\n\ndef f():\n    return 1\n")
    sub = submission.read(str(path))
    assert sub.cells[0]["source"].splitlines() == ["import autograder_missing"]
    assert sub.cells[1]["source"].splitlines()[2] == "def f():"     # still line 3
    assert {c["label"] for c in sub.cells} == {"whatever.py"}


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a valid notebook (broken JSON"),
    ('{"cells": 3}', "not a valid notebook (no list of cells)"),
])
def test_broken_notebooks(tmp_path, content, message):
    path = tmp_path / "x.ipynb"
    path.write_text(content)
    with pytest.raises(SubmissionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        submission.read(str(path))


def test_missing_and_wrong_kind_of_file(tmp_path):
    with pytest.raises(SubmissionError, match="no such file or folder"):
        submission.find(str(tmp_path / "nope.ipynb"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SubmissionError, match="expected a .ipynb notebook or a .py file"):
        submission.find(str(tmp_path / "notes.txt"))
    with pytest.raises(SubmissionError, match="folder holds no .ipynb or .py file"):
        submission.find(str(tmp_path))
    (tmp_path / "bad.py").write_bytes(b"\xff\xfe")
    with pytest.raises(SubmissionError, match="not UTF-8 text"):
        submission.read(str(tmp_path / "bad.py"))


def test_assignment_inferred_from_definitions(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("def svm_loss_naive(W, X, y, reg):\n    pass\n")
    assert grading.infer_assignment(submission.read(str(path))) == "linear_classifiers"
    path.write_text("x = 1\n")
    with pytest.raises(SubmissionError, match="cannot tell which assignment"):
        grading.infer_assignment(submission.read(str(path)))


def test_percent_continuation_line_is_code_not_a_magic():
    from tests.helpers import grade_source

    source = '''
        import numpy as np
        message = ("k=%d"
                   % 3)
        %matplotlib inline
        def predict_labels(dists, y_train, k=1):
            raise NotImplementedError
    '''
    results, report = grade_source(source, "knn", only=("predict_labels",))
    assert report.load_errors == []
    assert all("not implemented" in r.feedback for r in results.values())


def test_a_time_cell_magic_keeps_its_definitions_and_loop_checks_see_them():
    """``%%time`` runs its body in the kernel (definitions stay); the structure check
    reads the same body, so a vectorized answer timed this way loses nothing."""
    from autograder.judge.submission import Submission
    from tests.helpers import solution_source

    source = solution_source("knn")
    at = source.index("def compute_distances_no_loops")
    sub_cells = [source[:at], "%%time\n" + source[at:]]

    sub = Submission("<test>", [{"source": c, "label": "cell %d" % (i + 1)}
                                for i, c in enumerate(sub_cells)], "knn")
    report = grading.grade_submission(sub, runner.Options(
        assignment="knn", only=("compute_distances_no_loops",)))
    assert report.load_errors == []
    assert report.score == report.max_score, [(r.name, r.feedback) for r in report.results]


def test_demo_cells_nothing_needs_are_not_run(tmp_path):
    """A cell marked ``"autograder": {"demo": true}`` (a training run, a timing table)
    is left out unless a cell that is not a demo reads a name it binds: a student's
    helper written in a demo cell still runs."""
    def cell(source, demo=False):
        meta = {"autograder": {"demo": True}} if demo else {}
        return {"cell_type": "code", "source": source, "metadata": meta, "outputs": [],
                "execution_count": None}

    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [cell("import numpy as np"),
                    cell("import time\nwhile True:\n    time.sleep(1)\n", demo=True),
                    cell("def helper(x):\n    return x\nlosses = []\n", demo=True),
                    cell("def f(x):\n    y = x + 1\n    return helper(y)\n"),
                    cell("%%bash\necho not python\n", demo=True),
                    cell("print(1 +\n", demo=True)]}
    path = tmp_path / "knn.ipynb"
    path.write_text(json.dumps(nb))
    sub = submission.read(str(path))
    # kept: the helper's cell (f reads helper), and the one that does not parse (so
    # that its load error is reported); left out: the endless loop and the shell cell
    assert [c["label"] for c in sub.cells] == ["cell 1", "cell 3", "cell 4", "cell 6"]
    assert all(set(c) == {"source", "label"} for c in sub.cells)
