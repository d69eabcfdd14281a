"""The one comparison helper: every kind of mismatch is caught and explained."""
import numpy as np
import pytest

from autograder.compare import check_labels, as_tuple, check_array, check_scalar
from autograder.errors import CheckFailed
from autograder.worker import Unsupported


def fails(fn, *args, **kwargs):
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_equal_arrays_pass_and_tolerance_is_scaled():
    expected = np.array([[1.0, 2.0], [3.0, 1e6]])
    check_array("x", expected + 1e-4, expected)          # atol scaled by 1e6
    check_array("x", expected * (1 + 1e-7), expected)


def test_worst_element_named_with_expected_got_and_count():
    expected = np.arange(12.0).reshape(3, 4)
    got = expected.copy()
    got[2, 1] = 42.0
    got[0, 3] += 0.5
    msg = fails(check_array, "dW", got, expected)
    assert msg.startswith("dW[2, 1]: expected 9, got 42 (rel. error 0.79)")
    assert "dW[0, 3]: expected 3, got 3.5" in msg
    assert "2 of 12 entries differ" in msg


def test_shape_dtype_type_nan():
    e = np.zeros((2, 3))
    assert fails(check_array, "dW", np.zeros((3, 2)), e) == \
        "dW: expected shape (2, 3), got shape (3, 2)"
    assert "expected an array of shape (2, 3), got a list" in fails(check_array, "dW", [1], e)
    assert "expected integer labels, got dtype bool" in fails(
        check_array, "y_pred", np.zeros(3, dtype=bool), np.zeros(3, dtype=int), integer=True)
    assert "got nan" in fails(check_array, "d", np.array([np.nan]), np.array([1.0]))
    assert "not plain data" in fails(check_array, "d", Unsupported("Foo"), e)


def test_scalars_and_tuples():
    check_scalar("loss", 5.27, 5.27 + 1e-9)
    check_scalar("loss", np.array(2.0), 2.0)
    assert fails(check_scalar, "loss", 5.0, 5.27) == \
        "loss: expected 5.27, got 5 (rel. error 0.051)"
    assert "expected a number, got a bool" in fails(check_scalar, "loss", True, 1.0)
    assert "expected a tuple (loss, dW), got a float" in fails(
        as_tuple, "svm_loss_naive", 1.0, ("loss", "dW"))


def test_lying_objects_cannot_pass():
    class Liar(float):
        def __eq__(self, other):
            return True
    # What crosses the wire is plain data; a decoded value is a real float.
    from autograder.worker import decode, encode
    value = decode(encode(Liar(1.0)))
    assert type(value) is float
    assert "expected 2, got 1" in fails(check_scalar, "loss", value, 2.0)


def test_labels_compared_by_value():
    """Float64 holding integral values, lists and any integer dtype are labels; what
    is wrong is a wrong label or a non-integral one, and feedback counts them."""
    expected = np.array([2, 0, 1, 1, 3])
    for got in (expected.astype(np.float64), expected.tolist(), expected.astype(np.int8),
                expected.astype(np.uint64)):
        check_labels("y_pred", got, expected)
    assert fails(check_labels, "y_pred (k=3)", np.array([2, 1, 1, 0, 3.0]), expected) == \
        "y_pred (k=3): 2 of 5 labels differ: y_pred[1] expected 0, got 1; " \
        "y_pred[3] expected 1, got 0"
    assert fails(check_labels, "y_pred", np.array([2, 0, 1.5, 1, 3]), expected) == \
        "y_pred: labels must be whole numbers, but y_pred[2] = 1.5 is not " \
        "(1 of 5 entries are non-integral)"
    assert fails(check_labels, "y_pred", np.array([4, 4, 4, 4, 4]), expected).endswith(
        "y_pred[2] expected 1, got 4; ...")
    assert fails(check_labels, "y_pred", [1, 2], expected) == \
        "y_pred: expected shape (5,), got shape (2,)"
    assert fails(check_labels, "y_pred", None, expected) == \
        "y_pred: expected an array of 5 labels, got None"
