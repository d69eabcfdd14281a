"""reference.perceptron against the book's worked examples ("deep learning from scratch",
chapters 2-4), torch (float64) for the activations, and analytic gradients."""
import numpy as np
import pytest
import torch

from reference import perceptron as pc

INPUTS = [(0, 0), (1, 0), (0, 1), (1, 1)]
TRUTH = {"AND": [0, 0, 0, 1], "NAND": [1, 1, 1, 0], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def close(name, got, want, rtol=1e-10, atol=1e-12):
    assert np.shape(got) == np.shape(want), f"{name}: shape {np.shape(got)} != {np.shape(want)}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=name)


# ------------------------------------------------------------------------ gates

@pytest.mark.parametrize("gate", sorted(TRUTH))
def test_truth_tables(gate):
    fn = getattr(pc, gate)
    got = [fn(x1, x2) for x1, x2 in INPUTS]
    assert got == TRUTH[gate]
    assert all(type(v) is int for v in got)


def test_gates_are_the_books_perceptrons_on_real_inputs():
    """w . x + b > 0 with the book's weights, also off the corners; 0 on the line itself."""
    rng = np.random.default_rng(0)
    weights = {"AND": ((0.5, 0.5), -0.7), "NAND": ((-0.5, -0.5), 0.7), "OR": ((0.5, 0.5), -0.2)}
    for x1, x2 in rng.uniform(-1, 2, (50, 2)):
        for gate, (w, b) in weights.items():
            assert getattr(pc, gate)(x1, x2) == int(w[0] * x1 + w[1] * x2 + b > 0), gate
    assert pc.OR(0.25, 0.15) == 0                    # 0.125 + 0.075 - 0.2 = 0: not > 0


def test_xor_is_two_layers_of_the_gates(monkeypatch):
    """XOR = AND(NAND, OR): replacing the output gate changes XOR."""
    monkeypatch.setattr(pc, "AND", lambda a, b: 7)
    assert pc.XOR(1, 0) == 7


# ------------------------------------------------------------------ activations

def test_step_function():
    np.testing.assert_array_equal(pc.step_function(np.array([-1.0, 1.0, 2.0])), [0, 1, 1])
    np.testing.assert_array_equal(pc.step_function(np.array([[0.0, -0.0], [1e-300, -5]])),
                                  [[0, 0], [1, 0]])


def test_sigmoid_book_example_and_torch():
    close("book", pc.sigmoid(np.array([-1.0, 1.0, 2.0])),
          [0.2689414213699951, 0.7310585786300049, 0.8807970779778823])
    x = np.linspace(-40, 40, 161).reshape(7, 23)
    close("torch", pc.sigmoid(x), torch.sigmoid(torch.from_numpy(x)).numpy(), rtol=1e-13)


def test_sigmoid_is_stable_for_large_inputs():
    x = np.array([-1e4, -800.0, -745.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow is fine
        s = pc.sigmoid(x)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[4] == 0.5
    close("tail", s[2], np.exp(-745.0) / (1 + np.exp(-745.0)), rtol=1e-10, atol=0)
    close("symmetry", pc.sigmoid(-x), 1 - s, atol=1e-15)


def test_relu():
    np.testing.assert_array_equal(pc.relu(np.array([[-2.0, 0.0], [0.5, 3.0]])),
                                  [[0.0, 0.0], [0.5, 3.0]])


def test_softmax_book_examples():
    close("book", pc.softmax(np.array([0.3, 2.9, 4.0])),
          [0.01821127329554753, 0.24519181293507392, 0.7365969137693786])
    big = np.array([1010.0, 1000.0, 990.0])          # naive exp overflows: nan
    with np.errstate(all="raise"):
        got = pc.softmax(big)
    close("overflow", got, [9.99954600e-01, 4.53978686e-05, 2.06106005e-09], rtol=1e-8)


def test_softmax_rows_sum_to_one_and_ignore_a_common_shift():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 5)) * 10
    a0 = a.copy()
    p = pc.softmax(a)
    np.testing.assert_array_equal(a, a0)
    close("rows sum", p.sum(axis=1), np.ones(6), rtol=0, atol=1e-14)
    close("torch", p, torch.softmax(torch.from_numpy(a), dim=1).numpy(), rtol=1e-12)
    shift = rng.standard_normal((6, 1)) * 1e3        # a different shift per row
    close("row shift", pc.softmax(a + shift), p, rtol=1e-9)
    close("1-D", pc.softmax(a[2]), p[2])
    close("1-D shift", pc.softmax(a[2] - 1e5), p[2], rtol=1e-9)


# ------------------------------------------------------------------------ losses

T_BOOK = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
Y_GOOD = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y_BAD = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])


def test_mean_squared_error_book_examples():
    close("good", pc.mean_squared_error(Y_GOOD, T_BOOK), 0.0975)
    close("bad", pc.mean_squared_error(Y_BAD, T_BOOK), 0.5975)
    y = np.arange(6.0).reshape(2, 3)
    close("2-D: a sum, not a mean", pc.mean_squared_error(y, np.zeros((2, 3))), 27.5)


def test_cross_entropy_book_examples():
    close("good", pc.cross_entropy_error(Y_GOOD, T_BOOK), 0.510825457099338)
    close("bad", pc.cross_entropy_error(Y_BAD, T_BOOK), 2.302584092994546)
    close("label", pc.cross_entropy_error(Y_GOOD, 2), 0.510825457099338)
    close("zero probability", pc.cross_entropy_error(Y_GOOD, 3), -np.log(1e-7))


def test_cross_entropy_batch_mean_one_hot_and_labels_agree():
    rng = np.random.default_rng(2)
    y = pc.softmax(rng.standard_normal((5, 4)))
    labels = np.array([3, 0, 2, 2, 1])
    one_hot = np.eye(4)[labels]
    want = np.mean([-np.log(y[n, labels[n]] + 1e-7) for n in range(5)])
    y0 = y.copy()
    for t in (labels, one_hot, labels.astype(np.float64), list(labels)):
        close(f"t={type(t).__name__}", pc.cross_entropy_error(y, t), want)
    np.testing.assert_array_equal(y, y0)
    close("batch of one", pc.cross_entropy_error(y[1], one_hot[1]),
          pc.cross_entropy_error(y[1:2], labels[1:2]))


# --------------------------------------------------------------------- gradients

def function_2(x):
    return np.sum(x ** 2)


@pytest.mark.parametrize("point, grad", [((3.0, 4.0), (6.0, 8.0)), ((0.0, 2.0), (0.0, 4.0)),
                                         ((3.0, 0.0), (6.0, 0.0))])
def test_numerical_gradient_book_examples(point, grad):
    close("grad", pc.numerical_gradient(function_2, np.array(point)), grad, rtol=1e-8, atol=1e-8)


def quadratic_form(rng):
    A = rng.standard_normal((4, 4))
    return (lambda x: x @ A @ x), (lambda x: (A + A.T) @ x), (4,)


ANALYTIC = {   # name -> rng -> (f, analytic gradient, shape of x)
    "sum of cubes (2, 3)": lambda rng: (lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2, (2, 3)),
    "sum of sin (2, 2, 3)": lambda rng: (lambda x: np.sum(np.sin(x)), np.cos, (2, 2, 3)),
    "quadratic form (4,)": quadratic_form,
    "0-d": lambda rng: (lambda x: float(np.exp(x)), np.exp, ()),
}


@pytest.mark.parametrize("name", sorted(ANALYTIC))
def test_numerical_gradient_vs_analytic_and_x_restored(name):
    rng = np.random.default_rng(3)
    f, grad, shape = ANALYTIC[name](rng)
    x = np.asarray(rng.uniform(-1, 1, shape) + 0.1)   # values like 0.1 + h - h != 0.1
    x0 = x.copy()
    got = pc.numerical_gradient(f, x)
    assert got.dtype == np.float64
    close(name, got, grad(x0), rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(x, x0)              # bit for bit


def test_numerical_gradient_through_a_net_that_ignores_its_argument():
    """The book's simpleNet: f = lambda W: net.loss(x, t) reads the weights through the
    net, so the gradient only works if the SAME array is perturbed."""
    rng = np.random.default_rng(4)
    W = rng.standard_normal((2, 3))
    W0 = W.copy()
    x, t = np.array([0.6, 0.9]), np.array([0, 0, 1])

    def loss(_):
        return pc.cross_entropy_error(pc.softmax(x @ W), t)

    dW = pc.numerical_gradient(loss, W)
    close("dW", dW, np.outer(x, pc.softmax(x @ W0) - t), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(W, W0)


def test_numerical_gradient_restores_x_bit_for_bit():
    """Put back the saved value: x + h - h is not x for tiny or awkward entries."""
    x = np.array([1e-20, -3e-17, 0.1, 0.7, 123.3, -2.9])
    x0 = x.copy()
    close("grad", pc.numerical_gradient(function_2, x), 2 * x0, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x, x0)


def test_numerical_gradient_on_a_view_restores_the_base():
    base = np.random.default_rng(5).standard_normal((3, 6))
    base0 = base.copy()
    view = base[:, ::2]                               # not contiguous
    close("view", pc.numerical_gradient(function_2, view), 2 * base0[:, ::2], rtol=1e-8)
    np.testing.assert_array_equal(base, base0)


def test_gradient_descent_book_examples():
    init_x = np.array([-3.0, 4.0])
    x = pc.gradient_descent(function_2, init_x, lr=0.1, step_num=100)
    np.testing.assert_array_equal(init_x, [-3.0, 4.0])   # a copy was descended
    close("book", x, [-6.11110793e-10, 8.14814391e-10], rtol=1e-8, atol=0)
    close("x * 0.8**100", x, init_x * 0.8 ** 100, rtol=1e-6, atol=0)
    close("lr too small", pc.gradient_descent(function_2, init_x, lr=1e-10),
          [-2.99999994, 3.99999992], rtol=1e-8)
    close("lr too large", pc.gradient_descent(function_2, init_x, lr=10.0),   # diverges until
          [-2.58983747e+13, -1.29524862e+12], rtol=1e-8)                  # x + h == x


def test_gradient_descent_defaults_and_integer_start():
    x = pc.gradient_descent(function_2, [1, 2])          # lr 0.01, 100 steps: x * 0.98**100
    assert x.dtype == np.float64
    close("defaults", x, np.array([1.0, 2.0]) * 0.98 ** 100, rtol=1e-6)
    close("zero steps", pc.gradient_descent(function_2, np.array([1.5, -2.0]), step_num=0),
          [1.5, -2.0])
