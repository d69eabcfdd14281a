"""Testing the tester: a corpus of realistic buggy answers to the perceptron assignment.

Each case is the correct solution (tests/submissions/perceptron_solution.py) with ONE
function re-defined the way students of "deep learning from scratch" get it wrong; most
are a one-line edit of the solution's own code (``_edit``), the others are written out.

Each case is graded ONCE, in full (every function of the assignment), and:

* its own function loses exactly the tests named, with the status and a verbatim
  feedback substring; the structure tests a gate withholds (a value test of the same
  function failed) score 0; every other test of the function keeps full marks;
* every OTHER function keeps full marks (SPEC, catalog intro: "A bug costs points only
  under the function that has it"), except the ones the SPEC allows by nature, which
  the case names with the feedback every test they lose must show:
  - XOR, built from the student's own AND, NAND and OR: the feedback names the gate
    with the wrong truth table;
  - gradient_descent, which steps along the student's own numerical_gradient: the
    feedback says that numerical_gradient gives a wrong gradient.

Together the cases catch every test of the assignment failing at least once
(test_every_test_catches_a_bug); the correct solution keeps full marks on a few seeds,
and so do a few correct answers in the book's own styles.
"""
import pytest

from tests.corpus import (ANY, E, F, check_case, check_well_formed, edit,
                          solution_def, uncaught_tests)
from tests.helpers import lost_points, solution_source, with_replacement

A = "perceptron"
XOR, DESCENT = "XOR", "gradient_descent"
GATES = ("AND", "NAND", "OR")


def _solution_def(name):
    return solution_def(A, name)


def _edit(name, *edits):
    return edit(A, name, *edits)


def _gates_hint(gate):
    """SPEC: XOR is built from the student's gates; its feedback names the wrong one."""
    return {XOR: "; XOR is built from your gates, and %s has a wrong truth table (see its "
                 "own checks)" % gate}


GRADIENT_HINT = {DESCENT: "; gradient_descent steps along your numerical_gradient, which gives "
                          "a wrong gradient here (see its own checks)"}
XOR_TWO_LAYERS = ("build XOR from the gates in two layers, as the book does: "
                  "AND(NAND(x1, x2), OR(x1, x2))")
BOOK_WEIGHTS = "a gate is 1 if w1*x1 + w2*x2 + b > 0 else 0, for any real inputs"
WEIGHTS = {"AND": "w = (0.5, 0.5), b = -0.7", "NAND": "w = (-0.5, -0.5), b = 0.7",
           "OR": "w = (0.5, 0.5), b = -0.2"}


def _book_weights(gate, want):
    """The hidden test's feedback on a real input where the gate gives 1 - want."""
    return ("expected %d, got %d: the perceptron with the book's weights %s has w . x + b = "
            % (want, 1 - want, WEIGHTS[gate]), BOOK_WEIGHTS)
ON_THE_LINE = ("w . x + b is exactly 0 here, and a perceptron gives 1 only if w . x + b > 0 (0 "
               "when it is <= 0)")
GREATER = ": compare with > 0, not >= 0"
FORWARD = ("these are forward differences (f(x + h) - f(x)) / h; use central differences "
           "(f(x + h) - f(x - h)) / (2h), h = 1e-4 (their error is ~h**2 instead of ~h)")


# (case id, function, buggy source, {failing test of the function: (status, feedback)},
#  {other function allowed to lose by nature: feedback substring of its lost tests})
CASES = [
    # ======================================================================= gates
    ("and_bias_of_or", "AND", _edit("AND", ("b = -0.7", "b = -0.2")), {
        "AND.truth_table": (F, "AND(1, 0): expected 0, got 1 (the truth table: "),
        "AND.book_weights": (F, _book_weights("AND", 0)),
        "AND.on_the_line": (F, "AND(0.7, 0.7): expected 0, got 1: with the book's weights w = "
                               "(0.5, 0.5), b = -0.7, " + ON_THE_LINE),
    }, _gates_hint("AND")),
    ("or_bias_of_and", "OR", _edit("OR", ("b = -0.2", "b = -0.7")), {
        "OR.truth_table": (F, "OR(1, 0): expected 1, got 0 (the truth table: "),
        "OR.book_weights": (F, _book_weights("OR", 1)),
    }, _gates_hint("OR")),
    ("nand_weights_of_and_kept", "NAND", _edit(
        "NAND", ("w = np.array([-0.5, -0.5])", "w = np.array([0.5, 0.5])")), {
        "NAND.truth_table": (F, "NAND(1, 1): expected 0, got 1 (the truth table: "),
        "NAND.book_weights": (F, _book_weights("NAND", 0)),
        "NAND.on_the_line": (F, "NAND(0.7, 0.7): expected 0, got 1: with the book's weights w "
                                "= (-0.5, -0.5), b = 0.7, " + ON_THE_LINE),
    }, _gates_hint("NAND")),
    # biases and lines that keep the truth table: only the real inputs near the book's
    # line show them
    ("and_bias_slightly_off", "AND", _edit("AND", ("b = -0.7", "b = -0.8")), {
        "AND.book_weights": (F, _book_weights("AND", 1)),
    }, {}),
    ("or_as_sum_above_one_half", "OR", '''
def OR(x1, x2):
    return 1 if x1 + x2 - 0.5 > 0 else 0
''', {
        "OR.book_weights": (F, _book_weights("OR", 1)),
    }, {}),
    ("and_as_a_lookup_of_ones", "AND", '''
def AND(x1, x2):
    if x1 == 1 and x2 == 1:
        return 1
    return 0
''', {
        "AND.book_weights": (F, _book_weights("AND", 1)),
    }, {}),
    ("nand_as_python_not_and", "NAND", '''
def NAND(x1, x2):
    return int(not (x1 and x2))
''', {
        "NAND.book_weights": (F, _book_weights("NAND", 1)),
        "NAND.on_the_line": (F, "NAND(1.4, 0.0): expected 0, got 1"),
    }, {}),
    ("or_as_max_of_inputs", "OR", '''
def OR(x1, x2):
    return max(x1, x2)
''', {
        "OR.book_weights": (F, ("OR(", "): expected 0 or 1, got 0.")),
        "OR.on_the_line": (F, "OR(0.2, 0.2): expected 0 or 1, got 0.2"),
    }, {}),
    # the line itself: w . x + b == 0 gives 0 (the book's tmp <= 0 -> 0)
    ("and_greater_or_equal", "AND", _edit("AND", ("if tmp <= 0:", "if tmp < 0:")), {
        "AND.on_the_line": (F, ("AND(0.7, 0.7): expected 0, got 1: ", ON_THE_LINE + GREATER)),
    }, {}),
    ("nand_greater_or_equal", "NAND", _edit("NAND", ("if tmp <= 0:", "if tmp < 0:")), {
        "NAND.on_the_line": (F, ("NAND(0.7, 0.7): expected 0, got 1: ", ON_THE_LINE + GREATER)),
    }, {}),
    ("or_greater_or_equal", "OR", """
def OR(x1, x2):
    return int(0.5 * x1 + 0.5 * x2 - 0.2 >= 0)
""", {
        "OR.on_the_line": (F, ("OR(0.2, 0.2): expected 0, got 1: ", ON_THE_LINE + GREATER)),
    }, {}),
    # right for 0 and 1, but NOT AND is 1 where AND's w . x + b is 0
    ("nand_as_one_minus_and", "NAND", """
def NAND(x1, x2):
    return 1 - AND(x1, x2)
""", {
        "NAND.on_the_line": (F, ("NAND(0.7, 0.7): expected 0, got 1: ", GREATER,
                                 "; NAND is a perceptron of its own, not 1 - AND")),
    }, {}),
    # ========================================================================= XOR
    ("xor_not_equal", XOR, '''
def XOR(x1, x2):
    return int(x1 != x2)
''', {
        "XOR.built_from_gates": (F, ("XOR uses != (line ", " of cell 1): " + XOR_TWO_LAYERS)),
    }, {}),
    ("xor_caret", XOR, '''
def XOR(x1, x2):
    return x1 ^ x2
''', {
        "XOR.built_from_gates": (F, "XOR uses ^ (line "),
    }, {}),
    ("xor_compares_inputs", XOR, '''
def XOR(x1, x2):
    if x1 == x2:
        return 0
    return 1
''', {
        "XOR.built_from_gates":
            (F, "XOR uses its input x1 other than as an argument of AND, NAND or OR (line "),
    }, {}),
    ("xor_numpy_logical_xor", XOR, '''
def XOR(x1, x2):
    return int(np.logical_xor(x1, x2))
''', {
        "XOR.built_from_gates": (F, "XOR calls logical_xor() (line "),
    }, {}),
    ("xor_second_layer_and_of_and", XOR, _edit("XOR", ("s2 = OR(x1, x2)", "s2 = AND(x1, x2)")),
     {
        "XOR.truth_table": (F, "XOR(1, 0): expected 1, got 0 (the truth table: "),
    }, {}),
    # ================================================================ activations
    ("step_scalar_if", "step_function", '''
def step_function(x):
    if x > 0:
        return 1
    else:
        return 0
''', {
        "step_function.values": (E, "step_function raised ValueError: The truth value of an "
                                    "array with more than one element is ambiguous"),
        "step_function.matches_reference": (ANY, "step_function"),
        "step_function.zero_gives_zero": (E, "step_function raised ValueError"),
    }, {}),
    ("step_sign", "step_function", '''
def step_function(x):
    return np.sign(x)
''', {
        "step_function.values": (F, "step_function(x) (x of shape (4, 5))"),
        "step_function.matches_reference": (F, "step_function(x) [x of shape "),
        "step_function.zero_gives_zero":
            (F, "step_function(x) (x = [-1.5, 0.0, 2.0, 0.0, -0.0, 0.5], shape (6,))[0]: "
                "expected 0, got -1"),
    }, {}),
    ("step_greater_or_equal", "step_function", _edit("step_function", ("> 0", ">= 0")), {
        "step_function.zero_gives_zero":
            (F, "step_function(x) for x = [-1.5, 0.0, 2.0, 0.0, -0.0, 0.5] (shape (6,)) gives 1 "
                "where x is 0: the step is 1 only where x > 0, so step_function(0) is 0 (x > 0, "
                "not x >= 0)"),
    }, {}),
    ("sigmoid_sign_error", "sigmoid", '''
def sigmoid(x):
    return 1 / (1 + np.exp(x))
''', {
        "sigmoid.values": (F, "sigmoid(x) (x of shape (4, 5))"),
        "sigmoid.matches_reference": (F, "sigmoid(x) [x of shape "),
    }, {}),
    ("relu_python_max", "relu", '''
def relu(x):
    return max(0, x)
''', {
        "relu.values": (E, "relu raised ValueError: The truth value of an array with more "
                           "than one element is ambiguous"),
        "relu.matches_reference": (ANY, "relu"),
    }, {}),
    ("relu_in_place", "relu", '''
def relu(x):
    x[x < 0] = 0
    return x
''', {
        "relu.values": (F, "relu modified its input x in place ("),
        "relu.matches_reference": (F, "relu modified its input x in place"),
    }, {}),
    ("softmax_without_max_shift", "softmax", _edit(
        "softmax", ("exp_a = np.exp(a - c)", "exp_a = np.exp(a)")), {
        "softmax.stable": (F, "softmax(a) with scores near 1000 (shape (5,)) returned NaN or "
                              "inf: exp(1000) overflows; subtract the max first"),
        "softmax.matches_reference": (F, "softmax(a) [a of shape "),
        "softmax.each_row_its_own_max":
            (F, "softmax(a) (shape (3, 5), rows near 0, 1000 and -30)[1, "),
    }, {}),
    # the book's 1-D code on a batch: the batch's max, not each row's
    ("softmax_max_of_the_whole_batch", "softmax", _edit(
        "softmax", ("c = np.max(a, axis=-1, keepdims=True)", "c = np.max(a)")), {
        "softmax.each_row_its_own_max":
            (F, ("softmax(a) (shape (3, 5), rows near 0, 1000 and -30)[0, 0]: expected ",
                 "rows 0 and 2 are wrong (NaN), row 1 is right: subtract each row's own max, "
                 "np.max(a, axis=-1, keepdims=True)")),
    }, {}),
    ("softmax_whole_batch", "softmax", _edit(
        "softmax", ("np.sum(exp_a, axis=-1, keepdims=True)", "np.sum(exp_a)")), {
        "softmax.rows_sum_to_one":
            (F, "softmax(a) for a of shape (4, 5) sums to 1 over the whole batch; each ROW "
                "must sum to 1 (sum along the last axis, keepdims=True)"),
        "softmax.stable": (F, "softmax(a) (scores near 1000, shape (3, 4))"),
        "softmax.matches_reference": (F, "softmax(a) [a of shape "),
        "softmax.each_row_its_own_max": (F, "softmax(a) (shape (3, 5), rows near 0, 1000 and "),
    }, {}),
    ("softmax_columns", "softmax", _edit(
        "softmax", ("np.sum(exp_a, axis=-1, keepdims=True)",
                    "np.sum(exp_a, axis=0, keepdims=True)")), {
        "softmax.rows_sum_to_one": (F, "softmax(a) (a of shape (4, 5), one softmax per row)"),
        "softmax.stable": (F, "softmax(a) (scores near 1000, shape (3, 4))"),
        "softmax.matches_reference": (F, "softmax(a) [a of shape "),
        "softmax.each_row_its_own_max": (F, "softmax(a) (shape (3, 5), rows near 0, 1000 and "),
    }, {}),
    # ===================================================================== losses
    ("mse_mean", "mean_squared_error", _edit(
        "mean_squared_error", ("0.5 * np.sum(", "np.mean(")), {
        "mean_squared_error.book_example":
            (F, "mean_squared_error(y, t) (the book's example, 0.0975)"),
        "mean_squared_error.matches_reference": (F, "mean_squared_error(y, t) [y, t of shape "),
    }, {}),
    ("mse_without_half", "mean_squared_error", _edit(
        "mean_squared_error", ("0.5 * np.sum(", "np.sum(")), {
        "mean_squared_error.book_example":
            (F, "mean_squared_error(y, t) (the book's example, 0.0975)"),
        "mean_squared_error.matches_reference": (F, "mean_squared_error(y, t) [y, t of shape "),
    }, {}),
    ("ce_without_delta", "cross_entropy_error", _edit(
        "cross_entropy_error", (" + 1e-7))", "))")), {
        "cross_entropy_error.delta_inside_the_log":
            (F, "cross_entropy_error(y, t) (y[0, label] = 0 and y[1, label] = 2e-7, t labels "
                "[0, 0, 1]): got inf: log(0) is -inf; add the book's delta inside the log, "
                "-log(y[label] + 1e-7)"),
        # elsewhere every probability is >= 1/235: the delta moves the loss by a relative
        # 5e-6 at most, which the other tests' inputs (seed 0) do not show
    }, {}),
    ("ce_sum_over_batch", "cross_entropy_error", _edit(
        "cross_entropy_error", (") / batch_size", ")")), {
        "cross_entropy_error.one_hot_and_labels":
            (F, ("cross_entropy_error(y, t) (a batch of 5, t one-hot of shape (5, 4))",
                 "; got is 5 x the expected value: sum over the batch instead of the mean?")),
        "cross_entropy_error.delta_inside_the_log":
            (F, ("cross_entropy_error(y, t) (y[0, ",
                 "; got is 3 x the expected value: sum over the batch instead of the mean?")),
        "cross_entropy_error.matches_reference":
            (F, ("cross_entropy_error(y, t) [y of shape ",
                 " x the expected value: sum over the batch instead of the mean?")),
    }, {}),
    ("ce_one_hot_only", "cross_entropy_error", '''
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y + 1e-7)) / batch_size
''', {
        "cross_entropy_error.one_hot_and_labels": (E, "cross_entropy_error raised ValueError"),
        "cross_entropy_error.delta_inside_the_log": (F, "cross_entropy_error(y, t) (y[0, "),
        "cross_entropy_error.matches_reference": (ANY, "cross_entropy_error"),
    }, {}),
    ("ce_labels_only", "cross_entropy_error", _edit(
        "cross_entropy_error", ("    if t.size == y.size:                # one-hot labels -> "
                                "the index of the 1\n        t = t.argmax(axis=1)\n", "")), {
        "cross_entropy_error.one_hot_and_labels": (ANY, "cross_entropy_error"),
        "cross_entropy_error.matches_reference": (ANY, "cross_entropy_error"),
    }, {}),
    # ================================================================== gradients
    ("grad_forward_differences", "numerical_gradient", _edit(
        "numerical_gradient", ("x[idx] = tmp_val - h            # f(x - h)",
                               "x[idx] = tmp_val                # f(x)"),
        ("/ (2 * h)", "/ h")), {
        "numerical_gradient.book_example":
            (F, "numerical_gradient(function_2, x) at x = (3, 4): " + FORWARD),
        "numerical_gradient.any_shape":
            (F, "numerical_gradient(weighted_sine, x) (x of shape (5,)): " + FORWARD),
        "numerical_gradient.x_restored":        # its gradient is checked first
            (F, "numerical_gradient(weighted_sine, x) (x of shape (4,)): " + FORWARD),
        "numerical_gradient.generated": (F, FORWARD),
        "numerical_gradient.perturbs_x_in_place":
            (F, "numerical_gradient(f, net.W) (f = lambda W: net.loss(), net.W of shape (2, 3)): "
                + FORWARD),
    }, GRADIENT_HINT),
    ("grad_denominator_h", "numerical_gradient", _edit(
        "numerical_gradient", ("/ (2 * h)", "/ h")), {
        "numerical_gradient.book_example": (F, "numerical_gradient(function_2, x) at x = (3, 4)"),
        "numerical_gradient.any_shape": (F, "numerical_gradient(weighted_sine, x) (x of shape "
                                            "(5,))[4]: expected 2.6628, got 5.32559"),
        "numerical_gradient.x_restored": (F, "numerical_gradient(weighted_sine, x) (x of shape "
                                             "(4,))"),
        "numerical_gradient.generated": (F, "numerical_gradient("),
        "numerical_gradient.perturbs_x_in_place": (F, "numerical_gradient(f, net.W) ("),
    }, GRADIENT_HINT),
    # right on every f that reads its argument, but the book's f = lambda W: net.loss(x, t)
    # reads the weights from the net: it never sees a perturbed copy
    ("grad_perturbs_copies", "numerical_gradient", """
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[idx] += h
        x_minus[idx] -= h
        grad[idx] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
""", {
        "numerical_gradient.perturbs_x_in_place":
            (F, ("numerical_gradient(f, net.W) (f = lambda W: net.loss(), net.W of shape (2, 3))[",
                 "; every entry is 0: f ignores its argument and reads the weights from net (as "
                 "the book's f = lambda W: net.loss(x, t)), so it did not see changes made to a "
                 "copy of x; change x itself in place")),
    }, {}),
    ("grad_one_dimensional_only", "numerical_gradient", '''
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
''', {
        "numerical_gradient.any_shape":
            (E, "numerical_gradient raised IndexError: index 3 is out of bounds for axis 0 "
                "with size 3"),
        "numerical_gradient.x_restored": (E, "numerical_gradient raised IndexError"),
        "numerical_gradient.generated": (ANY, "numerical_gradient"),
        "numerical_gradient.perturbs_x_in_place":
            (E, "numerical_gradient raised IndexError: index 2 is out of bounds for axis 0 with "
                "size 2"),
    }, {DESCENT: ("gradient_descent raised IndexError", ", in numerical_gradient)")}),
    ("grad_forgets_to_restore_x", "numerical_gradient", _edit(
        "numerical_gradient", ("        x[idx] = tmp_val                # put the saved value back\n",
                               "")), {
        # every helper is a sum over entries, so the gradient itself stays right
        "numerical_gradient.x_restored":
            (F, ("numerical_gradient changed x: afterwards x[0] = ",
                 "put each entry back after computing f(x + h) and f(x - h)")),
    }, {DESCENT: "; gradient_descent steps along your numerical_gradient, which leaves x "
                 "changed (see its own checks)"}),
    ("grad_book_rows_of_a_matrix", "numerical_gradient", '''
def _numerical_gradient_no_batch(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


def numerical_gradient(f, X):
    if X.ndim == 1:
        return _numerical_gradient_no_batch(f, X)
    grad = np.zeros_like(X)
    for idx, x in enumerate(X):
        grad[idx] = _numerical_gradient_no_batch(f, x)
    return grad
''', {
        "numerical_gradient.any_shape": (ANY, "numerical_gradient"),
        "numerical_gradient.x_restored": (ANY, "numerical_gradient"),
        "numerical_gradient.generated": (ANY, "numerical_gradient"),
    }, GRADIENT_HINT),
    # ============================================================ gradient_descent
    ("descent_in_place", DESCENT, _edit(
        DESCENT, ("x = np.array(init_x, dtype=float)   # a copy: init_x stays as it is",
                  "x = init_x")), {
        "gradient_descent.init_x_unchanged":
            (F, "gradient_descent changed init_x in place (it now holds the final x): start "
                "from a copy, x = init_x.copy()"),
    }, {}),
    ("descent_ascends", DESCENT, _edit(DESCENT, ("x -= lr * grad", "x += lr * grad")), {
        "gradient_descent.book_descent":
            (F, "gradient_descent(function_2, init_x=(-3, 4), lr=0.1, step_num=100)"),
        "gradient_descent.other_functions":
            (F, "gradient_descent(bowl, init_x of shape (2, 3), lr=0.05, step_num=7)"),
        "gradient_descent.init_x_unchanged":        # its final x is checked first
            (F, "gradient_descent(bowl, init_x of shape (3,), lr=0.1, step_num=5)"),
        "gradient_descent.generated": (F, "gradient_descent(bowl, init_x of shape "),
    }, {}),
    ("descent_one_step_short", DESCENT, _edit(
        DESCENT, ("for i in range(step_num):", "for i in range(1, step_num):")), {
        # 0.8**99 and 0.8**100 are both ~0 (lr 0.1): only the defaults' run shows it
        "gradient_descent.book_descent":
            (F, "gradient_descent(function_2, init_x=(-3, 4)) (defaults lr=0.01, "
                "step_num=100)[1]: expected 0.530478, got 0.541304"),
        "gradient_descent.other_functions":
            (F, "gradient_descent(bowl, init_x of shape (2, 3), lr=0.05, step_num=7)"),
        "gradient_descent.init_x_unchanged":        # its final x is checked first
            (F, "gradient_descent(bowl, init_x of shape (3,), lr=0.1, step_num=5)"),
        "gradient_descent.generated": (F, "gradient_descent(bowl, init_x of shape "),
    }, {}),
]


# Correct answers in the book's own styles: they lose nothing.
CORRECT_VARIANTS = [
    # XOR from NANDs only (three layers of one gate): built from the gates all the same
    ("xor_from_nands_only", '''
def XOR(x1, x2):
    s = NAND(x1, x2)
    return NAND(NAND(x1, s), NAND(x2, s))
'''),
    # the book's own code: AND with a threshold theta, step via np.array(x > 0, dtype=int),
    # the 2-D softmax through the transpose, cross-entropy one-hot as -sum(t * log(y + 1e-7))
    # with a labels branch, gradient_descent from init_x.copy()
    ("book_chapter_code", '''
def AND(x1, x2):
    w1, w2, theta = 0.5, 0.5, 0.7
    tmp = x1 * w1 + x2 * w2
    if tmp <= theta:
        return 0
    elif tmp > theta:
        return 1


def step_function(x):
    return np.array(x > 0, dtype=int)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(x, 0)


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    if t.size == y.size:
        return -np.sum(t * np.log(y + 1e-7)) / batch_size
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x
'''),
    # NAND with np.dot, a step function returning bools, np.ndindex instead of np.nditer
    ("bools_and_ndindex", '''
def NAND(x1, x2):
    return int(np.dot([-0.5, -0.5], [x1, x2]) + 0.7 > 0)


def step_function(x):
    return x > 0


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
'''),
    # np.dot and int(...) gates, XOR's hidden layer in a list, a stable sigmoid via
    # np.where, x = x - lr * grad on a np.copy
    ("dot_products_and_hidden_layer", '''
def OR(x1, x2):
    x = np.array([x1, x2])
    w = np.array([0.5, 0.5])
    b = -0.2
    return int(np.dot(w, x) + b > 0)


def XOR(x1, x2):
    hidden = [NAND(x1, x2), OR(x1, x2)]     # the first layer's two perceptrons
    return AND(*hidden)


def sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                    np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def softmax(a):
    exp_a = np.exp(a - a.max(axis=-1, keepdims=True))
    return exp_a / exp_a.sum(axis=-1, keepdims=True)


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.copy(init_x)
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
'''),
    # np.heaviside, np.atleast_2d, a numerical gradient over a flat view of x
    ("flat_view_and_heaviside", '''
def step_function(x):
    return np.heaviside(x, 0)


def mean_squared_error(y, t):
    return np.sum((y - t) ** 2) / 2


def cross_entropy_error(y, t):
    y = np.atleast_2d(y)
    t = np.asarray(t)
    if t.size == y.size:                       # one-hot, as a vector or a matrix
        t = np.argmax(t.reshape(y.shape), axis=-1)
    t = np.atleast_1d(t)
    return np.mean(-np.log(y[np.arange(len(y)), t] + 1e-7))


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros(x.shape)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)      # views: x itself changes
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + h
        fxh1 = f(x)
        flat[i] = saved - h
        fxh2 = f(x)
        flat[i] = saved
        flat_grad[i] = (fxh1 - fxh2) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.astype(float)
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
'''),
]


@pytest.mark.parametrize("case_id,function,source,expected,dependents", CASES,
                         ids=[c[0] for c in CASES])
def test_bug_costs_points_only_under_its_function(case_id, function, source, expected,
                                                  dependents):
    check_case(A, function, source, expected, dependents)


@pytest.mark.parametrize("case_id,source", CORRECT_VARIANTS,
                         ids=[c[0] for c in CORRECT_VARIANTS])
def test_correct_variant_full_marks(case_id, source):
    lost, report = lost_points(with_replacement(A, source), A)
    assert lost == []
    assert report.score == report.max_score > 0


def test_corpus_is_well_formed():
    check_well_formed(A, CASES, 14)
    for case_id, function, _, _, dependents in CASES:
        for fn, feedback in dependents.items():
            # SPEC: XOR is built from the student's gates, gradient_descent from their
            # numerical_gradient
            assert (fn == XOR and function in GATES
                    or fn == DESCENT and function == "numerical_gradient"), (case_id, fn)


def test_every_test_catches_a_bug():
    assert uncaught_tests(A, CASES) == set(), "tests no buggy answer exercises"


@pytest.mark.parametrize("seed", range(3))
def test_correct_solution_full_marks(seed):
    lost, report = lost_points(solution_source(A), A, seed=seed)
    assert lost == []
    assert report.score == report.max_score > 0
