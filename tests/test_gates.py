"""Structure and self-consistency points go only to code whose values are right
(SPEC.md, "What is graded is behaviour"): ``runner.apply_gates``."""
import pytest

from autograder import registry, runner
from autograder.registry import CONSISTENCY, STRUCTURE, VALUE, Assignment
from autograder.runner import TestResult as Result
from tests.helpers import GATE_FEEDBACK, grade_source, with_replacement


def _toy():
    a = Assignment("toy", "toy")
    a.function("f", ("x",))
    for name, kind in (("value", VALUE), ("loops", STRUCTURE), ("grad", CONSISTENCY)):
        a.test("f", 1, name=name, kind=kind)(lambda t: None)
    return a


def _result(name, status):
    return Result("f." + name, "toy", "f", 1.0 if status == "passed" else 0.0, 1.0,
                      status, "" if status == "passed" else "wrong")


@pytest.mark.parametrize("value_status", ["failed", "error", "timeout"])
def test_gated_tests_lose_their_points_when_a_value_test_fails(value_status):
    a = _toy()
    results = [_result("value", value_status), _result("loops", "passed"),
               _result("grad", "passed")]
    gated = runner.apply_gates(a.tests, results)
    assert [r.score for r in gated] == [0.0, 0.0, 0.0]
    assert gated[1].status == "failed"
    assert gated[1].feedback == ("no points for this structure check until f's values are "
                                 "right (f.value failed); it passed on its own")
    assert gated[2].feedback.startswith("no points for this consistency check until")


def test_gated_tests_keep_their_points_when_values_are_right():
    a = _toy()
    results = [_result("value", "passed"), _result("loops", "passed"),
               _result("grad", "failed")]
    assert [r.score for r in runner.apply_gates(a.tests, results)] == [1.0, 1.0, 0.0]


def test_unknown_kind_is_refused():
    with pytest.raises(registry.UsageError):
        _toy().test("f", 1, kind="vibes")


def test_every_gated_function_has_a_visible_value_test():
    """Check cells (visible tests only) must be able to open the gate too."""
    for a in registry.all_assignments():
        for fn in {t.function for t in a.tests if t.gated}:
            visible_values = [t.name for t in a.tests
                              if t.function == fn and not t.gated and not t.hidden]
            assert visible_values, "%s.%s has gated tests but no visible value test" % (
                a.id, fn)


def test_do_nothing_loss_scores_zero_despite_its_structure():
    """The measured case: `return 0.0, np.zeros_like(W)` used to keep no_python_loops and
    gradient_check (3 of 7 points)."""
    source = with_replacement("linear_classifiers", '''
def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
''')
    results, _ = grade_source(source, "linear_classifiers", only=("svm_loss_vectorized",))
    assert sum(r.score for r in results.values()) == 0
    assert results["svm_loss_vectorized.no_python_loops"].feedback.startswith(
        GATE_FEEDBACK + "structure check until svm_loss_vectorized's values are right")
    assert results["svm_loss_vectorized.gradient_check"].feedback.startswith(
        GATE_FEEDBACK + "consistency check until svm_loss_vectorized's values are right")
