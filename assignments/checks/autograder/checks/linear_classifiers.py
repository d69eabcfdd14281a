"""Checks of the linear_classifiers assignment (catalog: SPEC.md, "linear_classifiers")."""
import numpy as np


from ..cases import cases, sizes
from ..compare import as_number, as_tuple, check_array, check_scalar
from ..compare import fmt as compare_fmt
from ..context import Helper
from ..errors import CheckFailed
from ..gradcheck import check_gradient
from ..registry import CONSISTENCY, STRUCTURE, Assignment

ASSIGNMENT = Assignment("linear_classifiers", "SVM and softmax linear classifiers")
LOSSES = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
          "softmax_loss_vectorized")
for _name in LOSSES:
    ASSIGNMENT.function(_name, ("W", "X", "y", "reg"), loops_allowed="naive" in _name)
ASSIGNMENT.function("train_linear_classifier", ("loss_fn", "W", "X", "y", "learning_rate",
                                                "reg", "num_iters", "batch_size", "seed"))
ASSIGNMENT.function("predict_linear_classifier", ("W", "X"))

# The course notes' example: three images (rows), three classes (columns).
COURSE_SCORES = np.array([[3.2, 5.1, -1.7],     # cat
                          [1.3, 4.9, 2.0],      # car
                          [2.2, 2.5, -3.1]])    # frog
COURSE_LABELS = np.array([0, 1, 2])
KINK_MARGIN = 1e-3      # generated hinge margins stay this far from 0
LARGE_OFFSET = 1000.0   # added to every score: exp overflows unless the max is shifted


def unstable_softmax(prefix, loss, grad_name, grad):
    """Feedback for a softmax loss that is not finite when every score is near 1000."""
    finite = isinstance(grad, np.ndarray) and grad.dtype.kind == "f" and \
        bool(np.all(np.isfinite(grad)))
    return ("%sloss is %s when every score is near 1000 (%s %s): exp(1000) overflows; "
            "subtract each row's maximum from the scores before exp (the softmax does not "
            "change)" % (prefix, compare_fmt(loss), grad_name,
                         "finite" if finite else "has non-finite entries"))


def _loss_and_grad(label, got, shape):
    loss, dW = as_tuple(label, got, ("loss", "dW"))
    loss = as_number("loss", loss)
    if not isinstance(dW, np.ndarray) or dW.shape != shape:
        check_array("dW", dW, np.zeros(shape))      # fails with the shape in the message
    return loss, dW


def _problem(rng, N, D, C, reg, svm):
    """W (D, C), X (N, D), y (N,); for the SVM, no margin within KINK_MARGIN of 0."""
    for _ in range(100):
        W = rng.standard_normal((D, C)) * 0.5
        X = rng.standard_normal((N, D))
        y = rng.integers(0, C, size=N)
        if not svm:
            return W, X, y, reg
        scores = X @ W                                           # (N, C)
        margins = scores - scores[np.arange(N), y][:, None] + 1
        margins[np.arange(N), y] = 1.0
        if np.min(np.abs(margins)) > KINK_MARGIN:
            return W, X, y, reg
    raise RuntimeError("could not draw a hinge problem away from kinks")


def _loss_case():
    return cases(N=sizes(1, 8), D=sizes(1, 6), C=sizes(2, 5), reg=sizes(0, 2))


def _declare_loss_tests(name):
    svm = name.startswith("svm")

    def reference(t, *args):
        return t.reference(name, *args)

    @ASSIGNMENT.test(name, points=1)
    def course_example(t):
        """The course notes' example (cat/car/frog scores), without and with reg."""
        W, X = COURSE_SCORES.copy(), np.eye(3)     # X @ W == COURSE_SCORES
        if svm:
            y, what = COURSE_LABELS, "the mean hinge loss of the cat/car/frog example (5.27)"
        else:
            X, y = X[:1], COURSE_LABELS[:1]
            what = "the softmax loss of the cat row (2.04)"
        loss, dW = _loss_and_grad(name, t.call(name, W, X, y, 0.0), W.shape)
        expected, expected_dW = reference(t, W, X, y, 0.0)
        check_scalar("loss (%s)" % what, loss, expected)
        check_array("dW", dW, expected_dW)
        # The same example with reg > 0: + reg * sum(W**2) in the loss, + 2 * reg * W in dW.
        reg = 0.1
        loss_r, dW_r = _loss_and_grad(name, t.call(name, W, X, y, reg), W.shape)
        expected_r, expected_dW_r = reference(t, W, X, y, reg)
        penalty = reg * np.sum(W * W)
        for factor, form in ((0.5, "0.5 * reg * sum(W**2)"), (0.0, "no regularisation"),
                             (1.0 / len(y), "reg * sum(W**2) / N")):
            if factor != 1.0 and np.isclose(loss_r, expected + factor * penalty, rtol=1e-9,
                                            atol=1e-12):
                raise CheckFailed(
                    "loss with reg=%g: expected %s, got %s: it adds %s; the catalog's "
                    "regulariser is reg * np.sum(W * W) (gradient 2 * reg * W)"
                    % (reg, compare_fmt(expected_r), compare_fmt(loss_r), form))
        check_scalar("loss (%s, reg=%g)" % (what, reg), loss_r, expected_r)
        if np.allclose(dW_r, expected_dW + reg * W, rtol=1e-9, atol=1e-12):
            raise CheckFailed("dW with reg=%g: the regularisation gradient is reg * W; the "
                              "derivative of reg * sum(W**2) is 2 * reg * W" % reg)
        check_array("dW (reg=%g)" % reg, dW_r, expected_dW_r)


    @ASSIGNMENT.test(name, points=2, kind=CONSISTENCY)
    def gradient_check(t):
        """dW matches central differences of the submission's own loss."""
        for reg in (0.0, 0.7):
            W, X, y, reg = _problem(t.rng, 7, 5, 4, reg, svm)
            loss, dW = _loss_and_grad(name, t.call(name, W, X, y, reg), W.shape)
            check_gradient(t, name, (W, X, y, reg), 0, dW,
                           lambda v: as_number("loss", as_tuple(name, v, ("loss", "dW"))[0]),
                           "dW (reg=%g)" % reg)

    @ASSIGNMENT.test(name, points=1, kind=CONSISTENCY)
    def loss_at_zero_weights(t):
        """With W = 0 every score ties: the loss is C - 1 (hinge) or log C (softmax)."""
        N, D, C = 6, 4, 5
        X = t.rng.standard_normal((N, D))
        y = t.rng.integers(0, C, size=N)
        loss, _ = _loss_and_grad(name, t.call(name, np.zeros((D, C)), X, y, 0.3), (D, C))
        expected = C - 1.0 if svm else np.log(C)
        check_scalar("loss at W = 0 with C = %d classes" % C, loss, expected)

    if not svm:
        @ASSIGNMENT.test(name, points=1)
        def stable_for_large_scores(t):
            """Every score near 1000 (a large common offset) gives the right finite loss
            and dW: subtracting each row's maximum before exp achieves it."""
            W, X, y, _ = _problem(t.rng, 5, 4, 3, 0.0, svm)
            X[:, -1] = 1.0                              # a bias feature ...
            W[-1] += LARGE_OFFSET                       # ... adds ~1000 to every score
            loss, dW = _loss_and_grad(name, t.call(name, W, X, y, 0.0), W.shape)
            expected, expected_dW = reference(t, W, X, y, 0.0)
            if not np.isfinite(loss) or not np.all(np.isfinite(dW)):
                raise CheckFailed(unstable_softmax("", loss, "dW", dW))
            check_scalar("loss (every score near 1000)", loss, expected)
            check_array("dW (every score near 1000)", dW, expected_dW)

        @ASSIGNMENT.test(name, points=1, kind=CONSISTENCY)
        def shift_invariance(t):
            """Adding the same constant to every class score leaves loss and dW unchanged."""
            W, X, y, _ = _problem(t.rng, 6, 4, 3, 0.0, svm)
            X[:, -1] = 1.0                              # a bias feature
            shifted = W.copy()
            shifted[-1] += 3.0                          # every score + 3
            a = _loss_and_grad(name, t.call(name, W, X, y, 0.0), W.shape)
            b = _loss_and_grad(name, t.call(name, shifted, X, y, 0.0), W.shape)
            check_scalar("loss after adding 3 to every score", b[0], a[0], rtol=1e-9)
            check_array("dW after adding 3 to every score", b[1], a[1], rtol=1e-9)

    if not name.endswith("naive"):
        @ASSIGNMENT.test(name, points=1, kind=STRUCTURE)
        def no_python_loops(t):
            """No for/while loop or comprehension (nor in helpers it calls)."""
            t.require_no_loops(name)


for _name in LOSSES:
    _declare_loss_tests(_name)


# ------------------------------------------------------------------ training
TRAINING_HELPERS = '''
import numpy as np

def batch_size_loss(W, X, y, reg):
    """Loss = batch size (or -1 when rows and labels got separated); the gradient
    does not depend on the batch, so the final W is known exactly."""
    matched = np.array_equal(np.asarray(y), np.asarray(X[:, 0]).astype(np.int64) % 3)
    return float(len(y)) if matched else -1.0, (W - 1.0) + 2 * reg * W

def softmax_loss(W, X, y, reg):
    """A plain softmax loss, so training is graded apart from the student's own."""
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y])) + reg * np.sum(W * W)
    p[np.arange(len(y)), y] -= 1
    return loss, X.T @ p / len(y) + 2 * reg * W

def row_id_loss(W, X, y, reg):
    """Loss = sum of the sampled row ids: shows which rows were drawn."""
    return float(np.sum(X[:, 0])), np.zeros_like(W)

def row_set_loss(W, X, y, reg):
    """Loss = sum of 2**id over the distinct sampled row ids: the set of rows drawn."""
    ids = np.unique(np.asarray(X[:, 0]).astype(np.int64))
    return float(np.sum(2.0 ** ids)), np.zeros_like(W)
'''


def _training_data(N=50, D=3):
    X = np.zeros((N, D))
    X[:, 0] = np.arange(N)                        # row id in the first feature
    y = np.arange(N) % 3
    return X, y


@ASSIGNMENT.test("train_linear_classifier", points=2)
def sgd_steps_and_batches(t):
    """Each step is W -= learning_rate * grad on a batch of batch_size matching rows."""
    t.define(TRAINING_HELPERS)
    X, y = _training_data()
    W0 = t.rng.standard_normal((3, 2))
    lr, reg, iters, batch = 0.1, 0.05, 7, 10
    got = t.call("train_linear_classifier", Helper("batch_size_loss"), W0, X, y,
                 learning_rate=lr, reg=reg, num_iters=iters, batch_size=batch, seed=1)
    W, history = as_tuple("train_linear_classifier", got, ("W", "loss_history"))
    history = np.asarray(history, dtype=np.float64) if isinstance(history, (list, tuple)) \
        else history
    if isinstance(history, np.ndarray) and history.shape == (iters,) and (history == -1).any():
        raise CheckFailed("loss_fn received X_batch rows and y_batch labels that do not "
                          "belong together: index X and y with the same indices")
    check_array("loss_history (one loss per iteration; here each loss is the batch size)",
                history, np.full(iters, float(batch)), rtol=0, atol=0)
    expected = W0.copy()
    for _ in range(iters):
        expected = expected - lr * ((expected - 1.0) + 2 * reg * expected)
    check_array("W after %d steps of learning_rate=%g" % (iters, lr), W, expected)


@ASSIGNMENT.test("train_linear_classifier", points=1)
def seeded_sampling(t):
    """The same seed draws the same batches; another seed draws others; every row of X
    can be drawn."""
    t.define(TRAINING_HELPERS)
    X, y = _training_data()
    W0 = np.zeros((3, 2))
    runs = [t.call("train_linear_classifier", Helper("row_id_loss"), W0, X, y,
                   num_iters=5, batch_size=10, seed=s) for s in (3, 3, 4)]
    histories = [np.asarray(as_tuple("train_linear_classifier", r, ("W", "loss_history"))[1],
                            dtype=np.float64) for r in runs]
    check_array("loss_history with the same seed twice", histories[1], histories[0],
                rtol=0, atol=0)
    if np.array_equal(histories[0], histories[2]):
        raise CheckFailed("train_linear_classifier drew the same batches with seed=3 and "
                          "seed=4: build the generator from the seed argument")
    # Every row can be drawn: 100 batches of 3 from 6 rows miss one with a chance of
    # (5/6)**300 (with replacement) or 2**-100 (without).
    N, batch, iters = 6, 3, 100
    X, y = _training_data(N=N)
    got = t.call("train_linear_classifier", Helper("row_set_loss"), W0, X, y,
                 num_iters=iters, batch_size=batch, seed=5)
    history = np.asarray(as_tuple("train_linear_classifier", got, ("W", "loss_history"))[1],
                         dtype=np.float64)
    if history.shape != (iters,):
        check_array("loss_history (one loss per iteration)", history, np.zeros(iters))
    drawn = set()
    for code in history.astype(np.int64):
        drawn |= {i for i in range(N) if code >> i & 1}
    never = sorted(set(range(N)) - drawn)
    if never:
        raise CheckFailed("train_linear_classifier never drew row(s) %s of X in %d batches of "
                          "%d from %d rows: sample indices from all num_train rows, e.g. "
                          "rng.choice(num_train, batch_size) (the upper end of "
                          "rng.integers/np.random.randint is excluded)"
                          % (never, iters, batch, N))




@ASSIGNMENT.test("predict_linear_classifier", points=1)
def predicts_highest_score(t):
    """Labels are the argmax of X @ W, as integers."""
    W = t.rng.standard_normal((5, 4))
    X = t.rng.standard_normal((9, 5))
    got = t.call("predict_linear_classifier", W, X)
    check_array("y_pred", got, t.reference("predict_linear_classifier", W, X), integer=True)
