"""The student kit's carry loader (``autograder.carry.load_functions``): a later
notebook loads the student's own functions from an earlier notebook, running only what
defines them, and says in one line (no traceback in a notebook) what is missing."""
import contextlib
import io

import nbformat
import pytest

from autograder.carry import CarryError, load_functions
from autograder.errors import AutograderError

EARLIER = [
    "import numpy as np\nfrom autograder.notebook import check",
    "SCALE = 2.0\n\ndef _helper(x):\n    return np.maximum(x, 0)",
    "def relu_forward(x):\n    return _helper(x) * SCALE / SCALE, x",
    "def affine_forward(x, w, b):\n    raise NotImplementedError()",
    "def uses_stub(x):\n    return affine_forward(x, 1, 0)",
    "raise RuntimeError('a demo cell that must not run')",
    "%matplotlib inline\nprint('a demo')",
    "THRESHOLD = undefined_name\n\ndef uses_threshold(x):\n    return x > THRESHOLD",
    "def syntax error here",
]


@pytest.fixture
def earlier(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in EARLIER]
    path = tmp_path / "backprop.ipynb"
    nbformat.write(nb, str(path))
    return str(path)


def test_loads_a_function_with_what_it_uses_and_nothing_else(earlier):
    relu_forward = load_functions(earlier, "relu_forward")
    import numpy as np
    out, cache = relu_forward(np.array([-1.0, 2.0]))
    assert out.tolist() == [0.0, 2.0] and cache.tolist() == [-1.0, 2.0]
    namespace = relu_forward.__globals__
    assert {"np", "SCALE", "_helper"} <= set(namespace)
    assert "check" not in namespace and "uses_threshold" not in namespace   # not asked


def test_several_names_come_back_as_a_tuple(earlier):
    relu_forward, helper = load_functions(earlier, "relu_forward", "_helper")
    assert relu_forward.__globals__ is helper.__globals__


@pytest.mark.parametrize("names,message", [
    (("nope",), "load_functions: {path} defines no nope (finish it there and save the "
                "notebook)"),
    (("affine_forward",), "load_functions: affine_forward in {path} still raises "
                          "NotImplementedError: finish it there and save the notebook"),
    (("uses_stub",), "load_functions: affine_forward in {path} still raises "
                     "NotImplementedError (used by uses_stub): finish it there and save "
                     "the notebook"),
    (("uses_threshold",), "load_functions: running cell 8 of {path} failed: NameError: "
                          "name 'undefined_name' is not defined"),
    ((), "load_functions: name the functions to load from {path}"),
])
def test_what_cannot_be_loaded_is_one_line_naming_it(earlier, names, message):
    with pytest.raises(CarryError) as raised:
        load_functions(earlier, *names)
    assert str(raised.value) == message.format(path=earlier)


def test_a_missing_or_broken_notebook_is_one_line(tmp_path):
    missing = str(tmp_path / "knn" / "knn.ipynb")
    with pytest.raises(CarryError, match=r"^load_functions: .*knn\.ipynb not found \(the "
                                         r"earlier assignment's notebook"):
        load_functions(missing, "f")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(CarryError, match=r"^load_functions: cannot read .*broken\.ipynb: "):
        load_functions(str(broken), "f")


def test_a_notebook_shows_the_line_not_a_traceback(tmp_path):
    """IPython renders the grader's errors (CarryError among them: one hierarchy) as
    their one line."""
    from IPython.core.interactiveshell import InteractiveShell

    assert issubclass(CarryError, AutograderError)
    shell = InteractiveShell.instance()
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        result = shell.run_cell("from autograder.carry import load_functions\n"
                                "load_functions(%r, 'affine_forward')"
                                % str(tmp_path / "gone.ipynb"))
    assert isinstance(result.error_in_exec, CarryError)
    assert shown.getvalue().splitlines() == [
        "CarryError: load_functions: %s not found (the earlier assignment's notebook, "
        "saved next to this assignment's folder)" % (tmp_path / "gone.ipynb")]
