"""Checks of the conv assignment (catalog: SPEC.md, "conv").

Convolutions are cross-correlations (no kernel flip) with zero padding and a stride;
output sizes take the floor (in a forward's own tests only: a backward test uses shapes
the stride divides exactly, which CS231n's forward asserts, so a backward is never
charged for its forward's refusal).  Pooling inputs hold distinct values (a
permutation), so no window has a tie and the maximum leads the runner-up by far more
than the finite-difference step; their windows divide the input exactly, `(H -
pool_height) % stride == 0` (SPEC; course code asserts it).  The fast versions are
checked for vectorization by behaviour: the number of Python lines a call runs
(counted in the submission's process, any file) must not grow with N or with the
output's height and width; a loop over the kernel's (or the pooling window's) offsets
is allowed, since those stay the same.
"""
import numpy as np

from ..compare import as_number, as_tuple, check_array, check_scalar, describe, fmt
from ..context import Call, Helper, Ref, StudentFn
from ..errors import CheckFailed, StudentError
from ..gradcheck import check_gradient
from ..layercheck import check_layer, forward_out
from ..registry import CONSISTENCY, STRUCTURE, Assignment

ASSIGNMENT = Assignment("conv", "Convolution and pooling, naive and fast; a three-layer convnet")
for _kind in ("naive", "im2col"):
    ASSIGNMENT.function("conv_forward_%s" % _kind, ("x", "w", "b", "conv_param"))
    ASSIGNMENT.function("conv_backward_%s" % _kind, ("dout", "cache"))
for _kind in ("naive", "fast"):
    ASSIGNMENT.function("max_pool_forward_%s" % _kind, ("x", "pool_param"))
    ASSIGNMENT.function("max_pool_backward_%s" % _kind, ("dout", "cache"))
NET = "ThreeLayerConvNet"
ASSIGNMENT.function(NET, ("input_dim", "num_filters", "filter_size", "hidden_dim",
                          "num_classes", "weight_scale", "reg"))

CONV_NAMES = ("dx", "dw", "db")
KINK = 1e-3          # ReLU inputs and pooling runner-ups stay this far away (1000x the step)
LINE_SLACK = 2       # Python lines a bigger input may add (one more loop pass adds >= 1 each)


# ------------------------------------------------------------------ data
def _conv_problem(rng, N, C, H, W, F, HH, WW):
    """x (N, C, H, W), w (F, C, HH, WW) scaled so outputs are O(1), b (F,)."""
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, HH, WW)) / np.sqrt(C * HH * WW)
    b = rng.standard_normal(F)
    return x, w, b


def _distinct(rng, shape):
    """Values in [-2, 2], all different (at least 4 / size apart): no ties anywhere."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * (4.0 / max(size - 1, 1)) - 2.0).reshape(shape)


def _conv_param(stride, pad):
    return {"stride": stride, "pad": pad}


def _pool_param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def _out_size(size, k, pad, stride):
    return 1 + (size + 2 * pad - k) // stride


def _fit(size, k, pad, stride):
    """The size nearest ``size`` (down, unless that leaves none) whose windows divide
    exactly: (size + 2*pad - k) % stride == 0."""
    r = (size + 2 * pad - k) % stride
    return size - r if size - r >= 1 else size + stride - r


def _divides(x_shape, k_shape, pad, stride):
    return all((s + 2 * pad - k) % stride == 0 for s, k in zip(x_shape[2:], k_shape))


def _pool_shape(shape, pool_param):
    """``shape`` (N, C, H, W) with H and W fitted to the pooling windows."""
    stride = pool_param["stride"]
    return tuple(shape[:2]) + (_fit(shape[2], pool_param["pool_height"], 0, stride),
                               _fit(shape[3], pool_param["pool_width"], 0, stride))


def _conv_label(x, w, conv_param):
    return "x %s, w %s, stride %d, pad %d" % (x.shape, w.shape, conv_param["stride"],
                                              conv_param["pad"])


def _pool_label(x, pool_param):
    return "x %s, %dx%d windows, stride %d" % (x.shape, pool_param["pool_height"],
                                               pool_param["pool_width"], pool_param["stride"])


# ------------------------------------------------------------------ forward checks
def _check_conv_forward(t, fn, x, w, b, conv_param, ref="conv_forward_im2col"):
    label = "%s (%s): out" % (fn, _conv_label(x, w, conv_param))
    expected = t.reference(ref, x, w, b, conv_param)[0]
    try:
        out = forward_out(t, fn, (x, w, b, conv_param))
    except StudentError as exc:
        raise StudentError("%s%s" % (exc, _division_hint(x, w, conv_param, exc))) from None
    try:
        check_array(label, out, expected)
    except CheckFailed as exc:
        raise CheckFailed("%s%s" % (exc, _conv_hint(t, out, x, w, b, conv_param,
                                                    expected, ref))) from None


def _division_hint(x, w, conv_param, error):
    """The floor rule, on an input where the stride does not divide, when the error is
    what an exact-division assumption gives: an assert or a complaint about integers,
    or a window cut short past the edge (a broadcast or index error)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    span = [x.shape[2] + 2 * pad - w.shape[2], x.shape[3] + 2 * pad - w.shape[3]]
    text = str(error).lower()
    refusal = any(word in text for word in ("assertionerror", "divis", "integer", "exact",
                                            "fit", "broadcast", "index"))
    if refusal and any(s % stride for s in span):
        return ("; here H + 2*pad - HH = %d and W + 2*pad - WW = %d are not both multiples "
                "of the stride %d: the output size takes the floor, 1 + (H + 2*pad - HH) "
                "// stride (the trailing rows/columns no window covers are ignored)"
                % (span[0], span[1], stride))
    return ""


def _conv_hint(t, out, x, w, b, conv_param, expected, ref):
    """A known mistake the output matches: a flipped kernel, a missing bias, ceil sizes."""
    if not isinstance(out, np.ndarray):
        return ""
    if out.shape != expected.shape:
        stride, pad = conv_param["stride"], conv_param["pad"]
        ceil = tuple(-(-(s + 2 * pad - k) // stride) + 1
                     for s, k in zip(x.shape[2:], w.shape[2:]))
        if out.shape[2:] == ceil and ceil != expected.shape[2:]:
            return ("; that is rounding up: the output size is 1 + (H + 2*pad - HH) // "
                    "stride (floor)")
        return ""
    if np.allclose(out, expected - b[None, :, None, None], rtol=1e-6, atol=1e-8):
        return "; that is the output without the bias b[f]: add it to every output of filter f"
    flipped = _reference_if_at_hand(t, ref, x, w[:, :, ::-1, ::-1].copy(), b, conv_param)
    if flipped is not None and np.allclose(out, flipped[0], rtol=1e-6, atol=1e-8):
        return ("; that is a true convolution (the kernel flipped): a conv layer computes a "
                "cross-correlation, w[f] laid on the window as it is")
    return ""


def _reference_if_at_hand(t, name, *args):
    """The reference's value for a hint (a call only failures make), or None in a
    student's copy, which has values recorded only for the calls a correct answer
    makes."""
    from ..expected import StaleExpectations

    try:
        return t.reference(name, *args)
    except StaleExpectations:
        return None


def _check_pool_forward(t, fn, x, pool_param):
    _require_exact_pooling(x, pool_param)
    label = "%s (%s): out" % (fn, _pool_label(x, pool_param))
    check_array(label, forward_out(t, fn, (x, pool_param)),
                t.reference("max_pool_forward_fast", x, pool_param)[0])


def _require_exact_pooling(x, pool_param):
    """SPEC: graded pooling windows divide the input exactly (a judge invariant)."""
    if not _divides(x.shape, (pool_param["pool_height"], pool_param["pool_width"]), 0,
                    pool_param["stride"]):
        raise RuntimeError("the judge drew pooling windows that do not divide %s: %s"
                           % (x.shape, pool_param))


# ------------------------------------------------------------------ backward checks
def _conv_layer(t, forward, backward, x, w, b, conv_param):
    """A backward fed its own forward's cache, on a shape the stride divides exactly
    (SPEC: a backward test uses shapes its own forward handles)."""
    if not _divides(x.shape, w.shape[2:], conv_param["pad"], conv_param["stride"]):
        raise RuntimeError("the judge drew a conv backward case the stride does not divide: "
                           "%s" % _conv_label(x, w, conv_param))
    check_layer(t, forward, backward, (x, w, b, conv_param), CONV_NAMES,
                "conv_forward_im2col", "conv_backward_im2col")


def _pool_layer(t, forward, backward, x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _require_exact_pooling(x, pool_param)
    try:
        check_layer(t, forward, backward, (x, pool_param), ("dx",),
                    "max_pool_forward_fast", "max_pool_backward_fast")
    except CheckFailed as exc:
        if stride < max(ph, pw):
            raise CheckFailed("%s; the windows overlap here (stride %d < window %dx%d): a "
                              "unit that is the maximum of several windows gets the SUM of "
                              "their gradients (dx[...] += ...)" % (exc, stride, ph, pw)
                              ) from None
        raise


# ------------------------------------------------------------------ vectorization
def _lines(t, fn, args, keep=None, backward=None):
    """Python lines run by ``fn(*args)`` (or, with ``backward``, by the backward fed
    that call's cache)."""
    if backward is None:
        return t.calls([Call(fn, tuple(args), ret=[0], count_lines=True)])[0].python_lines
    out = forward_out(t, fn, args, keep="lines")
    dout = t.rng.standard_normal(np.shape(out))
    return t.calls([Call(backward, (dout, Ref("lines", 1)), ret="none",
                         count_lines=True)])[0].python_lines


def _require_vectorized(t, fn, make_args, backward=None):
    """``make_args(N, size)`` -> the arguments; the line count must not grow with N nor
    with the image size (hence the output's)."""
    counts, images = {}, {}
    for key, (N, size) in {"small": (2, 6), "more examples": (7, 6),
                           "larger images": (2, 13)}.items():
        args = make_args(N, size)
        images[key] = "%dx%d images" % args[0].shape[2:]
        counts[key] = _lines(t, fn, args, backward=backward)
        if counts[key] is None:
            raise CheckFailed("the submission's process did not report how many Python "
                              "lines %s ran" % (backward or fn))
    name = backward or fn
    for key, what in (("more examples", "examples (N)"),
                      ("larger images", "output rows/columns")):
        if counts[key] > counts["small"] + LINE_SLACK:
            raise CheckFailed(
                "%s is not vectorized: it runs %d Python lines for N=2 and %s, but "
                "%d for %s: a Python loop over the %s. Only a loop over the kernel's (or "
                "the pooling window's) offsets is allowed; do the rest with array "
                "operations (im2col / as_strided, one matrix product, np.add.at)"
                % (name, counts["small"], images["small"], counts[key],
                   "N=7" if key == "more examples" else images[key], what))


def _conv_args(seed, stride=1, pad=1):
    def make(N, size):
        rng = np.random.default_rng(seed)
        x, w, b = _conv_problem(rng, N, 2, size, size, 3, 3, 2)
        return (x, w, b, _conv_param(stride, pad))
    return make


def _pool_args(seed):
    def make(N, size):
        pool_param = _pool_param(2, 3, 2)           # fitted: 6x5 and 12x13 images
        return (_distinct(np.random.default_rng(seed), _pool_shape((N, 2, size, size),
                                                                   pool_param)),
                pool_param)
    return make


# ------------------------------------------------------------------ naive conv
D2L_X = np.arange(9.0).reshape(1, 1, 3, 3)                  # [[0,1,2],[3,4,5],[6,7,8]]
D2L_K = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
D2L_OUT = np.array([[19.0, 25.0], [37.0, 43.0]])
D2L_PADDED = np.array([[0.0, 3.0, 8.0, 4.0], [9.0, 19.0, 25.0, 10.0],
                       [21.0, 37.0, 43.0, 16.0], [6.0, 7.0, 8.0, 0.0]])
D2L_FLIPPED = np.array([[5.0, 11.0], [23.0, 29.0]])          # the kernel flipped


def _declare_seed_example(fn):
    @ASSIGNMENT.test(fn, points=1, name="d2l_example")
    def d2l_example(t):
        """d2l's example: [[0,1,2],[3,4,5],[6,7,8]] cross-correlated with [[0,1],[2,3]]
        gives [[19,25],[37,43]]; with padding 1, the 4x4 result of the course."""
        for pad, expected in ((0, D2L_OUT), (1, D2L_PADDED)):
            out = forward_out(t, fn, (D2L_X, D2L_K, np.zeros(1), _conv_param(1, pad)))
            if pad == 0 and isinstance(out, np.ndarray) and out.shape == (1, 1, 2, 2) and \
                    np.allclose(out[0, 0], D2L_FLIPPED):
                raise CheckFailed("%s: out = %s is the true convolution (kernel flipped); "
                                  "deep learning's conv layer is a cross-correlation: "
                                  "expected %s" % (fn, out[0, 0].tolist(), D2L_OUT.tolist()))
            check_array("%s (d2l example, pad %d): out" % (fn, pad), out,
                        expected.reshape((1, 1) + expected.shape))


_declare_seed_example("conv_forward_naive")


@ASSIGNMENT.test("conv_forward_naive", points=2)
def output_sizes(t):
    """A 7x7 input with a 3x3 filter: 5x5 at stride 1, 3x3 at stride 2, and 2x2 at
    stride 3, where the filter does not fit evenly (floor); a 32x32x3 input with ten
    5x5 filters at stride 1, pad 2 keeps 32x32 (x10 channels).  Values as the reference."""
    x, w, b = _conv_problem(t.rng, 1, 1, 7, 7, 1, 3, 3)
    for stride in (1, 2, 3):
        _check_conv_forward(t, "conv_forward_naive", x, w, b, _conv_param(stride, 0))
    x, w, b = _conv_problem(t.rng, 1, 3, 32, 32, 10, 5, 5)
    _check_conv_forward(t, "conv_forward_naive", x, w, b, _conv_param(1, 2))


@ASSIGNMENT.test("conv_forward_naive", points=1)
def channels_and_rectangles(t):
    """Several input channels are summed, each filter gives its own output channel;
    non-square kernels and images, pad 1, stride 2 (not an exact division)."""
    x, w, b = _conv_problem(t.rng, 2, 3, 6, 7, 4, 3, 2)
    _check_conv_forward(t, "conv_forward_naive", x, w, b, _conv_param(2, 1))


@ASSIGNMENT.test("conv_backward_naive", points=3)
def gradients(t):
    """dx, dw, db with the forward's own cache: as the reference, as the numerical
    gradient of the forward, zero for a zero upstream gradient (pad 1, stride 2,
    non-square kernel; the stride divides the padded input exactly)."""
    x, w, b = _conv_problem(t.rng, 2, 2, 7, 6, 3, 3, 2)
    _conv_layer(t, "conv_forward_naive", "conv_backward_naive", x, w, b, _conv_param(2, 1))


@ASSIGNMENT.test("conv_backward_naive", points=1)
def pad_zero(t):
    """pad = 0 works (slicing dx_pad[:, :, pad:-pad] is empty when pad is 0)."""
    x, w, b = _conv_problem(t.rng, 2, 2, 5, 5, 2, 3, 3)
    _conv_layer(t, "conv_forward_naive", "conv_backward_naive", x, w, b, _conv_param(1, 0))


# ------------------------------------------------------------------ naive pool
@ASSIGNMENT.test("max_pool_forward_naive", points=1)
def two_by_two(t):
    """2x2 windows, stride 2: the maximum of each window."""
    x = _distinct(t.rng, (2, 3, 4, 6))
    _check_pool_forward(t, "max_pool_forward_naive", x, _pool_param(2, 2, 2))


@ASSIGNMENT.test("max_pool_forward_naive", points=1)
def overlapping_and_rectangular(t):
    """Windows that overlap (3x2, stride 1) and non-square windows at stride 2 (2x3),
    on non-square inputs they divide exactly."""
    for pool_param in (_pool_param(3, 2, 1), _pool_param(2, 3, 2)):
        x = _distinct(t.rng, _pool_shape((2, 2, 5, 7), pool_param))
        _check_pool_forward(t, "max_pool_forward_naive", x, pool_param)


@ASSIGNMENT.test("max_pool_backward_naive", points=1)
def gradients(t):    # noqa: F811 - one test of the same name per function
    """dx with the forward's own cache, 2x2 windows at stride 2: the upstream gradient
    goes to each window's maximum only (as the reference and the numerical gradient)."""
    x = _distinct(t.rng, (2, 2, 4, 4))
    _pool_layer(t, "max_pool_forward_naive", "max_pool_backward_naive", x, _pool_param(2, 2, 2))


@ASSIGNMENT.test("max_pool_backward_naive", points=1)
def overlapping_windows_add(t):
    """Overlapping windows (3x3, stride 1; 2x3, stride 1): a unit that is the maximum
    of several windows gets the sum of their gradients."""
    x = _distinct(t.rng, (2, 2, 5, 6))
    for pool_param in (_pool_param(3, 3, 1), _pool_param(2, 3, 1)):
        _pool_layer(t, "max_pool_forward_naive", "max_pool_backward_naive", x, pool_param)


# ------------------------------------------------------------------ fast conv and pool
@ASSIGNMENT.test("conv_forward_im2col", points=2)
def matches_reference(t):
    """The same output as the naive version: channels, non-square kernels, pad 0 and
    2, strides 1 to 3 (3 not dividing evenly)."""
    for stride, pad in ((1, 0), (2, 2), (3, 1)):
        x, w, b = _conv_problem(t.rng, 2, 3, 7, 8, 4, 3, 2)
        _check_conv_forward(t, "conv_forward_im2col", x, w, b, _conv_param(stride, pad))


@ASSIGNMENT.test("conv_forward_im2col", points=2, kind=STRUCTURE)
def vectorized(t):
    """The Python work does not grow with N or with the output size."""
    _require_vectorized(t, "conv_forward_im2col", _conv_args(int(t.rng.integers(2**31))))


@ASSIGNMENT.test("conv_backward_im2col", points=2)
def gradients(t):    # noqa: F811
    """dx, dw, db with the forward's own cache, as the reference and the numerical
    gradient; pad 1 stride 2, and pad 0 (no dx[pad:-pad] slip)."""
    for stride, pad, H, W in ((2, 1, 7, 6), (1, 0, 5, 5)):   # the stride divides exactly
        x, w, b = _conv_problem(t.rng, 2, 2, H, W, 3, 3, 2)
        _conv_layer(t, "conv_forward_im2col", "conv_backward_im2col", x, w, b,
                    _conv_param(stride, pad))


@ASSIGNMENT.test("conv_backward_im2col", points=2, kind=STRUCTURE)
def vectorized(t):   # noqa: F811
    """The Python work does not grow with N or with the output size."""
    _require_vectorized(t, "conv_forward_im2col", _conv_args(int(t.rng.integers(2**31))),
                        backward="conv_backward_im2col")


@ASSIGNMENT.test("max_pool_forward_fast", points=1)
def matches_reference(t):    # noqa: F811
    """The same output as the naive version, windows overlapping or not."""
    for pool_param in (_pool_param(2, 2, 2), _pool_param(3, 2, 1), _pool_param(2, 3, 2)):
        x = _distinct(t.rng, _pool_shape((3, 2, 7, 6), pool_param))
        _check_pool_forward(t, "max_pool_forward_fast", x, pool_param)


@ASSIGNMENT.test("max_pool_forward_fast", points=2, kind=STRUCTURE)
def vectorized(t):   # noqa: F811
    """The Python work does not grow with N or with the output size."""
    _require_vectorized(t, "max_pool_forward_fast", _pool_args(int(t.rng.integers(2**31))))


@ASSIGNMENT.test("max_pool_backward_fast", points=1)
def gradients(t):    # noqa: F811
    """dx with the forward's own cache, as the reference and the numerical gradient;
    overlapping windows add."""
    for pool_param in (_pool_param(2, 2, 2), _pool_param(3, 2, 1)):
        x = _distinct(t.rng, _pool_shape((2, 2, 6, 5), pool_param))
        _pool_layer(t, "max_pool_forward_fast", "max_pool_backward_fast", x, pool_param)


@ASSIGNMENT.test("max_pool_backward_fast", points=2, kind=STRUCTURE)
def vectorized(t):   # noqa: F811
    """The Python work does not grow with N or with the output size."""
    _require_vectorized(t, "max_pool_forward_fast", _pool_args(int(t.rng.integers(2**31))),
                        backward="max_pool_backward_fast")




# ------------------------------------------------------------------ ThreeLayerConvNet
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
WEIGHTS = ("W1", "W2", "W3")
HELPERS = '''
def cnet_params(cls, args, kwargs):
    return cls(*args, **kwargs).params

def cnet_loss(cls, reg, W1, b1, W2, b2, W3, b3, X, y=None):
    net = cls(input_dim=tuple(X.shape[1:]), num_filters=W1.shape[0],
              filter_size=W1.shape[2], hidden_dim=W2.shape[1], num_classes=W3.shape[1],
              reg=reg)
    net.params.update(W1=W1.copy(), b1=b1.copy(), W2=W2.copy(), b2=b2.copy(),
                      W3=W3.copy(), b3=b3.copy())
    return net.loss(X) if y is None else net.loss(X, y)
'''
LOSS = Helper("cnet_loss", NET, ("ThreeLayerConvNet", "reg") + PARAMS + ("X", "y"))
POOL = _pool_param(2, 2, 2)
PARTS = ("conv_forward_im2col", "max_pool_forward_fast", "conv_backward_im2col",
         "max_pool_backward_fast")


def _net_param_shapes(input_dim, F, k, hidden, classes):
    C, H, W = input_dim
    pad = (k - 1) // 2
    H2 = _out_size(_out_size(H, k, pad, 1), 2, 0, 2)
    W2 = _out_size(_out_size(W, k, pad, 1), 2, 0, 2)
    return {"W1": (F, C, k, k), "b1": (F,), "W2": (F * H2 * W2, hidden), "b2": (hidden,),
            "W3": (hidden, classes), "b3": (classes,)}


def _reference_forward(t, params, X):
    """Reference intermediates of conv - relu - pool - affine - relu - affine."""
    k = params["W1"].shape[2]
    a1, c1 = t.reference("conv_forward_im2col", X, params["W1"], params["b1"],
                         _conv_param(1, (k - 1) // 2))                      # (N, F, H, W)
    r1, cr1 = t.reference("relu_forward", a1)
    h1, cp = t.reference("max_pool_forward_fast", r1, POOL)                 # (N, F, H/2, W/2)
    a2, c2 = t.reference("affine_forward", h1, params["W2"], params["b2"])  # (N, hidden)
    r2, cr2 = t.reference("relu_forward", a2)
    scores, c3 = t.reference("affine_forward", r2, params["W3"], params["b3"])
    return {"a1": a1, "r1": r1, "a2": a2, "scores": scores,
            "caches": (c1, cr1, cp, c2, cr2, c3)}


def _reference_net(t, params, reg, X, y=None):
    """The reference net's scores, or (loss, grads), from the reference layers."""
    f = _reference_forward(t, params, X)
    if y is None:
        return f["scores"]
    c1, cr1, cp, c2, cr2, c3 = f["caches"]
    data_loss, dscores = t.reference("softmax_loss", f["scores"], y)
    loss = data_loss + 0.5 * reg * sum(np.sum(params[k] ** 2) for k in WEIGHTS)
    grads = {}
    dr2, grads["W3"], grads["b3"] = t.reference("affine_backward", dscores, c3)
    da2 = t.reference("relu_backward", dr2, cr2)
    dh1, grads["W2"], grads["b2"] = t.reference("affine_backward", da2, c2)
    dr1 = t.reference("max_pool_backward_fast", dh1, cp)
    da1 = t.reference("relu_backward", dr1, cr1)
    _, grads["W1"], grads["b1"] = t.reference("conv_backward_im2col", da1, c1)
    for k in WEIGHTS:
        grads[k] = grads[k] + reg * params[k]
    return loss, grads


def _away_from_kinks(f):
    """Every ReLU input at least KINK from 0 and, in every 2x2 pooling window, the
    largest ReLU output at least KINK above the runner-up (or all of them 0)."""
    if np.min(np.abs(f["a1"])) <= KINK or np.min(np.abs(f["a2"])) <= KINK:
        return False
    r1 = f["r1"]
    N, F, H, W = r1.shape
    H2, W2 = H // 2, W // 2
    windows = r1[:, :, :2 * H2, :2 * W2].reshape(N, F, H2, 2, W2, 2)
    windows = np.sort(windows.transpose(0, 1, 2, 4, 3, 5).reshape(N, F, H2, W2, 4), axis=-1)
    top, second = windows[..., -1], windows[..., -2]
    return bool(np.all((top == 0) | (top - second > KINK)))


MIN_PROBABILITY = 1e-10     # SPEC: a graded net keeps every class probability above it


def _probabilities_in_range(scores):
    """Every softmax probability of the scores (N, classes) above MIN_PROBABILITY, so
    the course's log(p + eps) is right."""
    shifted = scores - scores.max(axis=1, keepdims=True)                # (N, classes)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return bool(log_probs.min() > np.log(MIN_PROBABILITY))


def _net_problem(t, N, input_dim, F, k, hidden, classes):
    """X, y and params whose ReLU inputs and pooling windows are away from kinks and
    whose class probabilities all stay above MIN_PROBABILITY (the input's H and W are
    even: the 2x2 pooling windows divide them exactly)."""
    if input_dim[1] % 2 or input_dim[2] % 2:
        raise RuntimeError("the judge drew a net input the 2x2 pooling does not divide: %s"
                           % (input_dim,))
    shapes = _net_param_shapes(input_dim, F, k, hidden, classes)
    for _ in range(50):
        X = t.rng.standard_normal((N,) + tuple(input_dim))                  # (N, C, H, W)
        params = {}
        for name, shape in shapes.items():
            fan_in = int(np.prod(shape[1:])) if name == "W1" else shape[0]
            params[name] = (t.rng.standard_normal(shape) / np.sqrt(fan_in) if name[0] == "W"
                            else 0.5 * t.rng.standard_normal(shape))
        f = _reference_forward(t, params, X)
        if _away_from_kinks(f) and _probabilities_in_range(f["scores"]):
            return X, t.rng.integers(0, classes, size=N), params
    raise RuntimeError("could not draw a ThreeLayerConvNet problem away from the kinks "
                       "with every class probability above %g" % MIN_PROBABILITY)


def _args(params, reg, X, y=None):
    args = (StudentFn(NET), float(reg)) + tuple(params[k] for k in PARAMS) + (X,)
    return args if y is None else args + (y,)


def _parts_hint(t, params, X):
    """Which of the student's own layers the net is built from give wrong values on
    this net's inputs (SPEC: such a net shows their bugs, naming the failing part)."""
    from ..expected import StaleExpectations

    try:
        return _broken_parts(t, params, X)
    except StaleExpectations:       # a student's copy: no reference for these calls
        return ""


def _broken_parts(t, params, X):
    f = _reference_forward(t, params, X)
    k = params["W1"].shape[2]
    conv_param = _conv_param(1, (k - 1) // 2)
    wrong = []
    probes = (("conv_forward_im2col", "conv_backward_im2col", (X, params["W1"], params["b1"],
                                                               conv_param), CONV_NAMES),
              ("max_pool_forward_fast", "max_pool_backward_fast", (f["r1"], POOL), ("dx",)))
    for forward, backward, args, names in probes:
        expected_out, ref_cache = t.reference(forward, *args)
        try:
            out = forward_out(t, forward, args, keep="part")
            check_array(forward, out, expected_out)
        except (CheckFailed, StudentError):
            wrong.append(forward)
            continue
        dout = t.rng.standard_normal(expected_out.shape)
        expected = t.reference(backward, dout, ref_cache)
        expected = expected if isinstance(expected, tuple) else (expected,)
        try:
            got = t.call(backward, dout, Ref("part", 1))
            got = (got,) if len(names) == 1 and isinstance(got, np.ndarray) else got
            for name, g, e in zip(names, as_tuple(backward, got, names), expected):
                check_array(name, g, e)
        except (CheckFailed, StudentError):
            wrong.append(backward)
    if not wrong:
        return ""
    return ("; the net is built from your own layers, and on this input %s give%s wrong "
            "values (see %s own checks)" % (", ".join(wrong), "s" if len(wrong) == 1 else "",
                                            "its" if len(wrong) == 1 else "their"))


def _with_parts_hint(t, params, X, check):
    try:
        check()
    except (CheckFailed, StudentError) as exc:
        raise type(exc)("%s%s" % (exc, _parts_hint(t, params, X))) from None


def _loss_grads(t, params, reg, X, y):
    t.define(HELPERS)
    label = "%s.loss(X, y)" % NET
    loss, grads = as_tuple(label, t.call(LOSS, *_args(params, reg, X, y)), ("loss", "grads"))
    loss = as_number("%s: loss" % label, loss)
    if not isinstance(grads, dict) or set(PARAMS) - set(grads):
        raise CheckFailed("%s: grads must be a dict with keys %s (like params); got %s"
                          % (label, ", ".join(PARAMS), sorted(grads) if isinstance(grads, dict)
                             else describe(grads)))
    for k in PARAMS:
        if not isinstance(grads[k], np.ndarray) or grads[k].shape != params[k].shape:
            check_array("%s: grads['%s']" % (label, k), grads[k], params[k])   # names it
    return loss, grads


def _check_scores(t, params, X, what=""):
    t.define(HELPERS)
    _with_parts_hint(t, params, X, lambda: check_array(
        "%s.loss(X): scores%s" % (NET, what), t.call(LOSS, *_args(params, 0.0, X)),
        _reference_net(t, params, 0.0, X)))


def _check_against_reference(t, params, reg, X, y, what=""):
    label = "%s%s.loss(X, y)%s" % (NET, "(reg=%g)" % reg if reg else "", what)

    def check():
        loss, grads = _loss_grads(t, params, reg, X, y)
        expected_loss, expected_grads = _reference_net(t, params, reg, X, y)
        check_scalar("%s: loss" % label, loss, expected_loss)
        for k in PARAMS:
            check_array("%s: grads['%s']" % (label, k), grads[k], expected_grads[k])
    _with_parts_hint(t, params, X, check)


@ASSIGNMENT.test(NET, points=2)
def init(t):
    """params: W1 (F, C, k, k), b1 (F,), W2 (F * H/2 * W/2, hidden), b2, W3 (hidden,
    classes), b3; biases zero, weights of mean 0 and standard deviation weight_scale
    (default 1e-3), for the default sizes and for 3x10x10 inputs with 5x5 filters."""
    t.define(HELPERS)
    for args, kwargs in ((((3, 10, 10), 32, 5, 30, 7), {"weight_scale": 0.05}), ((), {})):
        full = dict(zip(("input_dim", "num_filters", "filter_size", "hidden_dim",
                         "num_classes"), args or ((1, 8, 8), 16, 3, 64, 10)))
        scale = kwargs.get("weight_scale", 1e-3)
        label = "%s(%s).params" % (NET, ", ".join(
            ["%s=%s" % kv for kv in zip(full, args)] + ["%s=%g" % kv for kv in kwargs.items()]))
        params = t.call(Helper("cnet_params", NET), StudentFn(NET), args, kwargs)
        if not isinstance(params, dict) or set(PARAMS) - set(params):
            raise CheckFailed("%s: expected a dict with keys %s, got %s" % (
                label, ", ".join(PARAMS), sorted(params) if isinstance(params, dict)
                else describe(params)))
        shapes = _net_param_shapes(full["input_dim"], full["num_filters"], full["filter_size"],
                                   full["hidden_dim"], full["num_classes"])
        for k in PARAMS:
            if not isinstance(params[k], np.ndarray) or params[k].shape != shapes[k]:
                raise CheckFailed("%s['%s']: expected an array of shape %s, got %s"
                                  % (label, k, shapes[k], describe(params[k])))
        for k in ("b1", "b2", "b3"):
            check_array("%s['%s'] (biases start at zero)" % (label, k), params[k],
                        np.zeros(shapes[k]))
        for k in WEIGHTS:
            if params[k].size < 600:    # too few draws to judge the spread at >= 6 sd
                continue
            std, mean = float(np.std(params[k])), float(np.mean(params[k]))
            if abs(std / scale - 1) > 0.25 or abs(mean) > 0.25 * scale:
                raise CheckFailed("%s['%s']: mean %s and standard deviation %s; expected "
                                  "weight_scale * (standard normal): mean 0, std %s"
                                  % (label, k, fmt(mean), fmt(std), fmt(scale)))


@ASSIGNMENT.test(NET, points=2)
def scores(t):
    """loss(X) returns the scores (N, classes) of conv - relu - pool - affine - relu -
    affine, as the reference (2 channels, 6x6 images, 3x3 filters)."""
    X, _, params = _net_problem(t, 3, (2, 6, 6), 3, 3, 5, 4)
    _check_scores(t, params, X, " (N=3, input 2x6x6, 3 filters 3x3, hidden 5, 4 classes)")


@ASSIGNMENT.test(NET, points=2)
def loss_and_grads(t):
    """loss(X, y) returns the softmax loss with the L2 penalty and every gradient, as
    the reference (reg = 0.3; 5x5 filters, non-square images)."""
    X, y, params = _net_problem(t, 4, (1, 6, 8), 2, 5, 6, 3)
    _check_against_reference(t, params, 0.3, X, y,
                             " (N=4, input 1x6x8, 2 filters 5x5, hidden 6, 3 classes)")


@ASSIGNMENT.test(NET, points=1)
def regularization(t):
    """The penalty is 0.5 * reg * sum(W**2) over W1, W2, W3 (biases not penalised), its
    gradient reg * W."""
    X, y, params = _net_problem(t, 3, (1, 6, 6), 2, 3, 4, 3)
    reg = 0.7
    loss0, grads0 = _loss_grads(t, params, 0.0, X, y)
    loss1, grads1 = _loss_grads(t, params, reg, X, y)
    penalty = 0.5 * reg * sum(np.sum(params[k] ** 2) for k in WEIGHTS)
    label = ("%s.loss: loss(reg=0.7) - loss(reg=0), the penalty 0.5 * reg * (sum(W1**2) + "
             "sum(W2**2) + sum(W3**2))" % NET)
    wrong = {"twice the penalty: it is 0.5 * reg * sum(W**2) (gradient reg * W)": 2 * penalty,
             "the penalty with the biases: only W1, W2, W3 are penalised":
             0.5 * reg * sum(np.sum(v ** 2) for v in params.values())}
    for hint, value in wrong.items():
        if abs((loss1 - loss0) - value) <= 1e-6 * abs(value) and abs(value - penalty) > \
                1e-6 * penalty:
            raise CheckFailed("%s: expected %s, got %s: that is %s" % (
                label, fmt(penalty), fmt(loss1 - loss0), hint))
    check_scalar(label, loss1 - loss0, penalty)
    for k in PARAMS:
        expected = reg * params[k] if k[0] == "W" else np.zeros_like(params[k])
        check_array("%s.loss: grads['%s'](reg=0.7) - grads['%s'](reg=0), expected %s"
                    % (NET, k, k, "reg * %s" % k if k[0] == "W" else "0 (biases are not "
                       "penalised)"), grads1[k] - grads0[k], expected)


@ASSIGNMENT.test(NET, points=1, kind=CONSISTENCY)
def gradient_check(t):
    """Every gradient agrees with central differences of the net's own loss."""
    X, y, params = _net_problem(t, 2, (2, 4, 4), 2, 3, 4, 3)
    reg = 0.2
    _, grads = _loss_grads(t, params, reg, X, y)
    args = _args(params, reg, X, y)

    def loss_of(value):
        return as_number("%s.loss(X, y): loss" % NET, as_tuple(NET, value, ("loss", "grads"))[0])

    for i, k in enumerate(PARAMS):
        _with_parts_hint(t, params, X, lambda: check_gradient(
            t, LOSS, args, 2 + i, grads[k], loss_of, "%s.loss(X, y): grads['%s']" % (NET, k)))


