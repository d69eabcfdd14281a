"""Testing the tester: a corpus of realistic buggy answers to the conv assignment.

Each case is the correct solution (tests/submissions/conv_solution.py) with ONE function
(or the ThreeLayerConvNet class) re-defined the way CS231n students get it wrong; most
are a one-line edit of the solution's own code (``_edit``), the others are written out.

Each case is graded ONCE, in full (every function of the assignment), and:

* its own function loses exactly the tests named, with the status and a verbatim
  feedback substring; the structure tests a gate withholds (a value test of the same
  function failed) score 0; every other test of the function keeps full marks;
* every OTHER function keeps full marks (SPEC, catalog intro: "A bug costs points only
  under the function that has it"), except the ones the SPEC allows by nature, which
  the case names with the feedback every test they lose must show:
  - ThreeLayerConvNet, built from the student's own conv_forward_im2col /
    conv_backward_im2col / max_pool_forward_fast / max_pool_backward_fast: the
    feedback names the failing part;
  - a backward whose forward raises on the backward's input (no cache to feed it):
    the feedback names the forward.

Together the cases catch every test of the assignment failing at least once
(test_every_test_catches_a_bug); the correct solution keeps full marks on a few seeds
(the many-seed run is elsewhere), and so do a few correct answers in other styles.
"""
import pytest

from tests.corpus import (ANY, E, F, check_case, check_well_formed, edit,
                          solution_def, uncaught_tests)
from tests.helpers import lost_points, solution_source, with_replacement

A = "conv"
NET = "ThreeLayerConvNet"
NET_PARTS = ("conv_forward_im2col", "conv_backward_im2col", "max_pool_forward_fast",
             "max_pool_backward_fast")


def _solution_def(name):
    return solution_def(A, name)


def _edit(name, *edits):
    return edit(A, name, *edits)


def _parts_hint(part):
    return "the net is built from your own layers, and on this input %s give" % part


def _not_vectorized(fn, bigger, loop, small="6x6"):
    """The feedback's two parts around the line counts (which depend on the code); the
    pooling checks' images are fitted to their 2x3 windows at stride 2 (6x5, 12x13)."""
    return ("%s is not vectorized: it runs " % fn,
            " Python lines for N=2 and %s images, but " % small,
            " for %s: a Python loop over the %s. Only a loop over the kernel's (or the pooling "
            "window's) offsets is allowed" % (bigger, loop))


def _no_cache(forward):
    """SPEC: a backward is fed its own forward's cache; a forward that raises on the
    backward's input leaves none, and the backward's feedback names it."""
    return {forward.replace("forward", "backward"): "%s raised " % forward}


FLIPPED = ("that is a true convolution (the kernel flipped): a conv layer computes a "
           "cross-correlation, w[f] laid on the window as it is")
NO_BIAS = "that is the output without the bias b[f]: add it to every output of filter f"
FLOOR_HINT = ("the output size takes the floor, 1 + (H + 2*pad - HH) // stride (the trailing "
              "rows/columns no window covers are ignored)")
SUM_OF_WINDOWS = ("a unit that is the maximum of several windows gets the SUM of their "
                  "gradients (dx[...] += ...)")
OVERLAP = "the windows overlap here (stride 1 < window %s): " + SUM_OF_WINDOWS


# col2im with the index arrays of the course's get_im2col_indices; the scatter as
# `+=` loses the repeated indices (overlapping windows), np.add.at adds them.
IM2COL_BACKWARD_INDICES = '''
def conv_backward_im2col(dout, cache):
    x_shape, w, conv_param, cols = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    db = np.sum(dout, axis=(0, 2, 3))
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (dout_mat @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout_mat                     # (C*HH*WW, N*H_out*W_out)
    # get_im2col_indices: row (c, p, q) of cols, column (i, j) of the output
    k = np.repeat(np.arange(C), HH * WW)[:, None]
    p = np.tile(np.repeat(np.arange(HH), WW), C)[:, None]
    q = np.tile(np.arange(WW), C * HH)[:, None]
    i = stride * np.repeat(np.arange(H_out), W_out)[None, :]
    j = stride * np.tile(np.arange(W_out), H_out)[None, :]
    dcols = dcols.reshape(C * HH * WW, N, H_out * W_out).transpose(1, 0, 2)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    dx_pad[:, k, p + i, q + j] += dcols                       # instead of np.add.at
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
'''


# (case id, function, buggy source, {failing test of the function: (status, feedback)},
#  {other function allowed to lose by nature: feedback substring of its lost tests})
CASES = [
    # ============================================================ conv_forward_naive
    ("conv_naive_flipped_kernel", "conv_forward_naive", _edit(
        "conv_forward_naive",
        ("np.sum(patch * w[f])", "np.sum(patch * w[f, :, ::-1, ::-1])")), {
        "conv_forward_naive.d2l_example":
            (F, "conv_forward_naive: out = [[5.0, 11.0], [23.0, 29.0]] is the true convolution "
                "(kernel flipped); deep learning's conv layer is a cross-correlation: expected "
                "[[19.0, 25.0], [37.0, 43.0]]"),
        "conv_forward_naive.output_sizes": (F, FLIPPED),
        "conv_forward_naive.channels_and_rectangles": (F, FLIPPED),
        "conv_forward_naive.generated_shapes": (F, FLIPPED),
    }, {}),
    ("conv_naive_pad_ignored", "conv_forward_naive", '''
def conv_forward_naive(x, w, b, conv_param):
    out = None
    stride = conv_param['stride']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H - HH) // stride
    W_out = 1 + (W - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    patch = x[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
''', {
        "conv_forward_naive.d2l_example":
            (F, "conv_forward_naive (d2l example, pad 1): out: expected shape (1, 1, 4, 4), "
                "got shape (1, 1, 2, 2)"),
        "conv_forward_naive.output_sizes":
            (F, "conv_forward_naive (x (1, 3, 32, 32), w (10, 3, 5, 5), stride 1, pad 2): out: "
                "expected shape (1, 10, 32, 32), got shape (1, 10, 28, 28)"),
        "conv_forward_naive.channels_and_rectangles":
            (F, "stride 2, pad 1): out: expected shape (2, 4, 3, 4), got shape (2, 4, 2, 3)"),
        "conv_forward_naive.generated_shapes": (ANY, "conv_forward_naive (x ("),
    }, {}),
    ("conv_naive_stride_ignored", "conv_forward_naive", _edit(
        "conv_forward_naive", ("hs = i * stride", "hs = i"), ("ws = j * stride", "ws = j")),
     {
        "conv_forward_naive.output_sizes":
            (F, "conv_forward_naive (x (1, 1, 7, 7), w (1, 1, 3, 3), stride 2, pad 0): out["),
        "conv_forward_naive.channels_and_rectangles":
            (F, "conv_forward_naive (x (2, 3, 6, 7), w (4, 3, 3, 2), stride 2, pad 1): out["),
        "conv_forward_naive.generated_shapes": (ANY, "conv_forward_naive (x ("),
    }, {}),
    ("conv_naive_bias_missing", "conv_forward_naive", _edit(
        "conv_forward_naive", ("np.sum(patch * w[f]) + b[f]", "np.sum(patch * w[f])")),
     {
        "conv_forward_naive.output_sizes": (F, NO_BIAS),
        "conv_forward_naive.channels_and_rectangles": (F, NO_BIAS),
        "conv_forward_naive.generated_shapes": (F, NO_BIAS),
    }, {}),
    ("conv_naive_bias_added_per_channel", "conv_forward_naive", '''
def conv_forward_naive(x, w, b, conv_param):
    out = None
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        window = x_pad[n, c, i * stride:i * stride + HH,
                                       j * stride:j * stride + WW]
                        out[n, f, i, j] += np.sum(window * w[f, c]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
''', {
        "conv_forward_naive.output_sizes":
            (F, "conv_forward_naive (x (1, 3, 32, 32), w (10, 3, 5, 5), stride 1, pad 2): out["),
        "conv_forward_naive.channels_and_rectangles":
            (F, "conv_forward_naive (x (2, 3, 6, 7), w (4, 3, 3, 2), stride 2, pad 1): out["),
        "conv_forward_naive.generated_shapes": (ANY, "conv_forward_naive (x ("),
    }, {}),
    ("conv_naive_square_kernels_only", "conv_forward_naive", _edit(
        "conv_forward_naive",
        ("F, _, HH, WW = w.shape", "F, _, HH, _ = w.shape\n    WW = HH    # square filters")),
     {
        "conv_forward_naive.channels_and_rectangles":
            (E, "conv_forward_naive raised ValueError: operands could not be broadcast together "
                "with shapes (3,3,3) (3,3,2)"),
        "conv_forward_naive.generated_shapes": (E, "conv_forward_naive raised ValueError"),
    }, _no_cache("conv_forward_naive")),
    ("conv_naive_requires_exact_division", "conv_forward_naive", _edit(
        "conv_forward_naive",
        ("    H_out = 1 +", "    assert (W + 2 * pad - WW) % stride == 0, 'width does not work'\n"
                          "    assert (H + 2 * pad - HH) % stride == 0, 'height does not work'\n"
                          "    H_out = 1 +")), {
        "conv_forward_naive.output_sizes":
            (E, ("conv_forward_naive raised AssertionError: width does not work (line ",
                 "; here H + 2*pad - HH = 4 and W + 2*pad - WW = 4 are not both multiples of "
                 "the stride 3: " + FLOOR_HINT)),
        "conv_forward_naive.channels_and_rectangles":
            (E, "; here H + 2*pad - HH = 5 and W + 2*pad - WW = 7 are not both multiples of the "
                "stride 2: " + FLOOR_HINT),
        "conv_forward_naive.generated_shapes": (E, FLOOR_HINT),
    }, {}),       # SPEC: conv_backward_naive's tests use shapes this forward handles
    ("conv_naive_output_size_rounded_up", "conv_forward_naive", _edit(
        "conv_forward_naive",
        ("H_out = 1 + (H + 2 * pad - HH) // stride",
         "H_out = 1 + int(np.ceil((H + 2 * pad - HH) / stride))"),
        ("W_out = 1 + (W + 2 * pad - WW) // stride",
         "W_out = 1 + int(np.ceil((W + 2 * pad - WW) / stride))")), {
        "conv_forward_naive.output_sizes":
            (F, "conv_forward_naive (x (1, 1, 7, 7), w (1, 1, 3, 3), stride 3, pad 0): out: "
                "expected shape (1, 1, 2, 2), got shape (1, 1, 3, 3); that is rounding up: the "
                "output size is 1 + (H + 2*pad - HH) // stride (floor)"),
        "conv_forward_naive.channels_and_rectangles":
            (E, ("conv_forward_naive raised ValueError: operands could not be broadcast",
                 "; here H + 2*pad - HH = 5 and W + 2*pad - WW = 7 are not both multiples of "
                 "the stride 2: " + FLOOR_HINT)),
        "conv_forward_naive.generated_shapes": (ANY, "floor"),
    }, {}),       # on the backward's exact shapes, rounding up is the floor
    ("conv_naive_channels_not_summed", "conv_forward_naive", _edit(
        "conv_forward_naive",
        ("patch = x_pad[n, :, hs:hs + HH, ws:ws + WW]",
         "patch = x_pad[n, 0, hs:hs + HH, ws:ws + WW]"),
        ("np.sum(patch * w[f])", "np.sum(patch * w[f, 0])")), {
        "conv_forward_naive.output_sizes":
            (F, "conv_forward_naive (x (1, 3, 32, 32), w (10, 3, 5, 5), stride 1, pad 2): out["),
        "conv_forward_naive.channels_and_rectangles":
            (F, "conv_forward_naive (x (2, 3, 6, 7), w (4, 3, 3, 2), stride 2, pad 1): out["),
        "conv_forward_naive.generated_shapes": (ANY, "conv_forward_naive (x ("),
    }, {}),
    # ============================================================ conv_backward_naive
    ("conv_naive_backward_dx_still_padded", "conv_backward_naive", _edit(
        "conv_backward_naive",
        ("dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad")), {
        "conv_backward_naive.gradients":
            (F, "conv_backward_naive: dx: expected shape (2, 2, 7, 6), got shape (2, 2, 9, 8)"),
        "conv_backward_naive.generated_shapes": (ANY, "conv_backward_naive: dx: expected shape"),
    }, {}),
    ("conv_naive_backward_unpad_empty_for_pad_0", "conv_backward_naive", _edit(
        "conv_backward_naive",
        ("dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad[:, :, pad:-pad, pad:-pad]")),
     {
        "conv_backward_naive.pad_zero":
            (F, "conv_backward_naive: dx: expected shape (2, 2, 5, 5), got shape (2, 2, 0, 0)"),
        "conv_backward_naive.generated_shapes": (ANY, "conv_backward_naive: dx: expected shape"),
    }, {}),
    ("conv_naive_backward_dw_overwritten", "conv_backward_naive", _edit(
        "conv_backward_naive", ("dw[f] += g *", "dw[f] = g *")), {
        "conv_backward_naive.gradients": (F, "conv_backward_naive: dw["),
        "conv_backward_naive.pad_zero": (F, "conv_backward_naive: dw["),
        "conv_backward_naive.generated_shapes": (ANY, "conv_backward_naive: dw"),
    }, {}),
    ("conv_naive_backward_db_averaged", "conv_backward_naive", _edit(
        "conv_backward_naive",
        ("db = np.sum(dout, axis=(0, 2, 3))", "db = np.sum(dout, axis=(0, 2, 3)) / N")), {
        "conv_backward_naive.gradients": (F, "conv_backward_naive: db["),
        "conv_backward_naive.pad_zero": (F, "conv_backward_naive: db["),
        "conv_backward_naive.generated_shapes": (ANY, "conv_backward_naive: db["),
    }, {}),
    ("conv_naive_backward_dx_from_x", "conv_backward_naive", _edit(
        "conv_backward_naive",
        ("+= g * w[f]", "+= g * x_pad[n, :, hs:hs + HH, ws:ws + WW]")), {
        "conv_backward_naive.gradients": (F, "conv_backward_naive: dx["),
        "conv_backward_naive.pad_zero": (F, "conv_backward_naive: dx["),
        "conv_backward_naive.generated_shapes": (ANY, "conv_backward_naive: dx"),
    }, {}),
    # ============================================================ max_pool_forward_naive
    ("pool_naive_average", "max_pool_forward_naive", _edit(
        "max_pool_forward_naive", ("np.max(x[n, c,", "np.mean(x[n, c,")), {
        "max_pool_forward_naive.two_by_two":
            (F, "max_pool_forward_naive (x (2, 3, 4, 6), 2x2 windows, stride 2): out["),
        "max_pool_forward_naive.overlapping_and_rectangular":
            (F, "max_pool_forward_naive (x (2, 2, 5, 7), 3x2 windows, stride 1): out["),
        "max_pool_forward_naive.generated_shapes": (ANY, "max_pool_forward_naive (x ("),
    }, {}),
    ("pool_naive_stride_is_window", "max_pool_forward_naive", _edit(
        "max_pool_forward_naive",
        ("stride = pool_param['stride']", "stride = pool_param['pool_height']")), {
        "max_pool_forward_naive.overlapping_and_rectangular":
            (F, "max_pool_forward_naive (x (2, 2, 5, 7), 3x2 windows, stride 1): out: expected "
                "shape (2, 2, 3, 6), got shape (2, 2, 1, 2)"),
        "max_pool_forward_naive.generated_shapes": (ANY, "max_pool_forward_naive (x ("),
    }, {}),
    ("pool_naive_square_windows_only", "max_pool_forward_naive", _edit(
        "max_pool_forward_naive",
        ("ph, pw = pool_param['pool_height'], pool_param['pool_width']",
         "ph = pw = pool_param['pool_height']")), {
        "max_pool_forward_naive.overlapping_and_rectangular":
            (F, "max_pool_forward_naive (x (2, 2, 5, 7), 3x2 windows, stride 1): out: expected "
                "shape (2, 2, 3, 6), got shape (2, 2, 3, 5)"),
        "max_pool_forward_naive.generated_shapes": (ANY, "max_pool_forward_naive"),
    }, _no_cache("max_pool_forward_naive")),
    # ============================================================ max_pool_backward_naive
    ("pool_naive_backward_spread_evenly", "max_pool_backward_naive", '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dx[n, c, hs:hs + ph, ws:ws + pw] += dout[n, c, i, j] / (ph * pw)
    return dx
''', {
        "max_pool_backward_naive.gradients": (F, "max_pool_backward_naive: dx["),
        "max_pool_backward_naive.overlapping_windows_add": (F, "max_pool_backward_naive: dx["),
        "max_pool_backward_naive.generated_shapes": (ANY, "max_pool_backward_naive: dx"),
    }, {}),
    ("pool_naive_backward_overlap_overwritten", "max_pool_backward_naive", _edit(
        "max_pool_backward_naive",
        ("dx[n, c, hs + r, ws + s] += dout", "dx[n, c, hs + r, ws + s] = dout")), {
        "max_pool_backward_naive.overlapping_windows_add": (F, OVERLAP % "3x3"),
        "max_pool_backward_naive.generated_shapes": (F, SUM_OF_WINDOWS),
    }, {}),
    ("pool_naive_backward_to_the_minimum", "max_pool_backward_naive", _edit(
        "max_pool_backward_naive", ("np.argmax(window)", "np.argmin(window)")), {
        "max_pool_backward_naive.gradients": (F, "max_pool_backward_naive: dx["),
        "max_pool_backward_naive.overlapping_windows_add": (F, "max_pool_backward_naive: dx["),
        "max_pool_backward_naive.generated_shapes": (ANY, "max_pool_backward_naive: dx"),
    }, {}),
    # ============================================================ conv_forward_im2col
    ("im2col_forward_loops_over_examples", "conv_forward_im2col", _edit(
        "conv_forward_im2col",
        ("""    for p in range(HH):
        for q in range(WW):
            shifted = x_pad[:, :, p:p + stride * (H_out - 1) + 1:stride,
                            q:q + stride * (W_out - 1) + 1:stride]   # (N, C, H_out, W_out)
            cols[:, p, q] = shifted.transpose(1, 0, 2, 3)            # (C, N, H_out, W_out)
""", """    for n in range(N):
        for p in range(HH):
            for q in range(WW):
                cols[:, p, q, n] = x_pad[n, :, p:p + stride * (H_out - 1) + 1:stride,
                                         q:q + stride * (W_out - 1) + 1:stride]
""")), {
        "conv_forward_im2col.vectorized": (F, _not_vectorized("conv_forward_im2col", "N=7",
                                                             "examples (N)")),
    }, {}),
    ("im2col_forward_loops_over_positions", "conv_forward_im2col", _edit(
        "conv_forward_im2col",
        ("""    for p in range(HH):
        for q in range(WW):
            shifted = x_pad[:, :, p:p + stride * (H_out - 1) + 1:stride,
                            q:q + stride * (W_out - 1) + 1:stride]   # (N, C, H_out, W_out)
            cols[:, p, q] = shifted.transpose(1, 0, 2, 3)            # (C, N, H_out, W_out)
""", """    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            cols[:, :, :, :, i, j] = window.transpose(1, 2, 3, 0)   # (C, HH, WW, N)
""")), {
        "conv_forward_im2col.vectorized":
            (F, _not_vectorized("conv_forward_im2col", "13x13 images", "output rows/columns")),
    }, {}),
    ("im2col_forward_output_reshaped_in_wrong_order", "conv_forward_im2col", _edit(
        "conv_forward_im2col",
        ("out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)",
         "out = out.reshape(N, F, H_out, W_out)")), {
        "conv_forward_im2col.matches_reference":
            (F, "conv_forward_im2col (x (2, 3, 7, 8), w (4, 3, 3, 2), stride 1, pad 0): out["),
        "conv_forward_im2col.generated_shapes": (ANY, "conv_forward_im2col (x ("),
    }, {NET: _parts_hint("conv_forward_im2col")}),
    # ============================================================ conv_backward_im2col
    ("im2col_backward_loops_over_examples", "conv_backward_im2col", _edit(
        "conv_backward_im2col",
        ("""    for p in range(HH):
        for q in range(WW):
            dx_pad[:, :, p:p + stride * (H_out - 1) + 1:stride,
                   q:q + stride * (W_out - 1) + 1:stride] += dcols[:, p, q].transpose(1, 0, 2, 3)
""", """    for n in range(N):
        for p in range(HH):
            for q in range(WW):
                dx_pad[n, :, p:p + stride * (H_out - 1) + 1:stride,
                       q:q + stride * (W_out - 1) + 1:stride] += dcols[:, p, q, n]
""")), {
        "conv_backward_im2col.vectorized": (F, _not_vectorized("conv_backward_im2col", "N=7",
                                                              "examples (N)")),
    }, {}),
    ("im2col_backward_not_unpadded", "conv_backward_im2col", _edit(
        "conv_backward_im2col",
        ("dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad")), {
        "conv_backward_im2col.gradients":
            (F, "conv_backward_im2col: dx: expected shape (2, 2, 7, 6), got shape (2, 2, 9, 8)"),
        "conv_backward_im2col.generated_shapes":
            (ANY, "conv_backward_im2col: dx: expected shape"),
    }, {}),
    ("im2col_backward_fancy_index_add_loses_overlaps", "conv_backward_im2col",
     IM2COL_BACKWARD_INDICES, {
        "conv_backward_im2col.gradients": (F, "conv_backward_im2col: dx["),
        "conv_backward_im2col.generated_shapes": (ANY, "conv_backward_im2col: dx"),
    }, {}),
    ("im2col_backward_dw_transposed", "conv_backward_im2col", _edit(
        "conv_backward_im2col",
        ("dw = (dout_mat @ cols.T).reshape(w.shape)",
         "dw = (cols @ dout_mat.T).reshape(w.shape)")), {
        "conv_backward_im2col.gradients": (F, "conv_backward_im2col: dw["),
        "conv_backward_im2col.generated_shapes": (ANY, "conv_backward_im2col: dw"),
    }, {NET: _parts_hint("conv_backward_im2col")}),
    # ============================================================ max_pool_forward_fast
    ("pool_fast_forward_loops_over_examples", "max_pool_forward_fast", _edit(
        "max_pool_forward_fast",
        ("""    for p in range(ph):
        for q in range(pw):
            candidates[p * pw + q] = x[:, :, p:p + stride * (H_out - 1) + 1:stride,
                                       q:q + stride * (W_out - 1) + 1:stride]
""", """    for n in range(N):
        for p in range(ph):
            for q in range(pw):
                candidates[p * pw + q, n] = x[n, :, p:p + stride * (H_out - 1) + 1:stride,
                                              q:q + stride * (W_out - 1) + 1:stride]
""")), {
        "max_pool_forward_fast.vectorized": (F, _not_vectorized("max_pool_forward_fast", "N=7",
                                                               "examples (N)", "6x5")),
    }, {}),
    ("pool_fast_forward_average", "max_pool_forward_fast", _edit(
        "max_pool_forward_fast",
        ("out = np.max(candidates, axis=0)", "out = np.mean(candidates, axis=0)")), {
        "max_pool_forward_fast.matches_reference":
            (F, "max_pool_forward_fast (x (3, 2, 6, 6), 2x2 windows, stride 2): out["),
        "max_pool_forward_fast.generated_shapes": (ANY, "max_pool_forward_fast (x ("),
    }, {NET: _parts_hint("max_pool_forward_fast")}),
    # ============================================================ max_pool_backward_fast
    ("pool_fast_backward_loops_over_examples", "max_pool_backward_fast", _edit(
        "max_pool_backward_fast",
        ("""    for p in range(ph):
        for q in range(pw):
            # the windows whose max sits at offset (p, q) send their gradient there
            dx[:, :, p:p + stride * (H_out - 1) + 1:stride,
               q:q + stride * (W_out - 1) + 1:stride] += dout * (arg == p * pw + q)
""", """    for n in range(dout.shape[0]):
        for p in range(ph):
            for q in range(pw):
                dx[n, :, p:p + stride * (H_out - 1) + 1:stride,
                   q:q + stride * (W_out - 1) + 1:stride] += dout[n] * (arg[n] == p * pw + q)
""")), {
        "max_pool_backward_fast.vectorized": (F, _not_vectorized("max_pool_backward_fast", "N=7",
                                                                "examples (N)", "6x5")),
    }, {}),
    ("pool_fast_backward_overlap_overwritten", "max_pool_backward_fast", '''
def max_pool_backward_fast(dout, cache):
    x_shape, pool_param, arg = cache
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x_shape)
    for p in range(ph):
        for q in range(pw):
            rows = slice(p, p + stride * (H_out - 1) + 1, stride)
            cols = slice(q, q + stride * (W_out - 1) + 1, stride)
            mask = arg == p * pw + q
            dx[:, :, rows, cols][mask] = dout[mask]
    return dx
''', {
        "max_pool_backward_fast.gradients": (F, OVERLAP % "3x2"),
        "max_pool_backward_fast.generated_shapes": (ANY, "max_pool_backward_fast: dx"),
    }, {}),
    ("pool_fast_backward_offsets_transposed", "max_pool_backward_fast", _edit(
        "max_pool_backward_fast", ("(arg == p * pw + q)", "(arg == q * ph + p)")), {
        "max_pool_backward_fast.gradients": (F, "max_pool_backward_fast: dx["),
        "max_pool_backward_fast.generated_shapes": (ANY, "max_pool_backward_fast: dx"),
    }, {NET: _parts_hint("max_pool_backward_fast")}),
    # ============================================================ ThreeLayerConvNet
    ("net_conv_pad_zero", NET, _edit(
        NET, ("self.conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}",
              "self.conv_param = {'stride': 1, 'pad': 0}")), {
        "ThreeLayerConvNet.init":
            (F, "ThreeLayerConvNet(input_dim=(3, 10, 10), num_filters=32, filter_size=5, "
                "hidden_dim=30, num_classes=7, weight_scale=0.05).params['W2']: expected an "
                "array of shape (800, 30), got an array of shape (288, 30)"),
        "ThreeLayerConvNet.scores": (E, "ThreeLayerConvNet raised ValueError: matmul"),
        "ThreeLayerConvNet.loss_and_grads": (E, "ThreeLayerConvNet raised ValueError: matmul"),
        "ThreeLayerConvNet.regularization": (E, "ThreeLayerConvNet raised ValueError: matmul"),
        "ThreeLayerConvNet.gradient_check": (E, "ThreeLayerConvNet raised ValueError: matmul"),
        "ThreeLayerConvNet.generated_sizes": (E, "ThreeLayerConvNet raised ValueError"),
    }, {}),
    ("net_penalty_without_half", NET, _edit(
        NET, ("loss += 0.5 * self.reg *", "loss += self.reg *")), {
        "ThreeLayerConvNet.loss_and_grads":
            (F, "ThreeLayerConvNet(reg=0.3).loss(X, y) (N=4, input 1x6x8, 2 filters 5x5, "
                "hidden 6, 3 classes): loss: expected "),
        "ThreeLayerConvNet.regularization":
            (F, "ThreeLayerConvNet.loss: loss(reg=0.7) - loss(reg=0), the penalty 0.5 * reg * "
                "(sum(W1**2) + sum(W2**2) + sum(W3**2)): expected "),
        "ThreeLayerConvNet.gradient_check":        # loss reg * W**2, gradient reg * W
            (F, "but the numerical gradient of ThreeLayerConvNet's own output is"),
        "ThreeLayerConvNet.generated_sizes": (ANY, "ThreeLayerConvNet(reg="),
    }, {}),
    ("net_biases_penalised", NET, _edit(
        NET, ("loss += 0.5 * self.reg * sum(np.sum(p[k] ** 2) for k in ('W1', 'W2', 'W3'))",
              "loss += 0.5 * self.reg * sum(np.sum(v ** 2) for v in p.values())"),
        ("for k in ('W1', 'W2', 'W3'):\n            grads[k] += self.reg * p[k]",
         "for k in p:\n            grads[k] += self.reg * p[k]")), {
        "ThreeLayerConvNet.loss_and_grads": (F, "ThreeLayerConvNet(reg=0.3).loss(X, y) ("),
        "ThreeLayerConvNet.regularization":
            (F, "the penalty 0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)): expected "),
        "ThreeLayerConvNet.generated_sizes": (ANY, "ThreeLayerConvNet(reg="),
    }, {}),
    ("net_weights_not_scaled", NET, _edit(
        NET, ("'W1': weight_scale * rng", "'W1': rng"), ("'W2': weight_scale * rng", "'W2': rng"),
        ("'W3': weight_scale * rng", "'W3': rng")), {
        "ThreeLayerConvNet.init":
            (F, ("weight_scale=0.05).params['W1']: mean ", " and standard deviation 1.0",
                 "; expected weight_scale * (standard normal): mean 0, std 0.05")),
    }, {}),
    ("net_no_relu_after_conv", NET, _edit(
        NET, ("act1, relu1_cache = relu_forward(conv)\n"
              "        pooled, pool_cache = max_pool_forward_fast(act1, self.pool_param)",
              "pooled, pool_cache = max_pool_forward_fast(conv, self.pool_param)"),
        ("dact1 = relu_backward(max_pool_backward_fast(dpooled, pool_cache), relu1_cache)",
         "dact1 = max_pool_backward_fast(dpooled, pool_cache)")), {
        "ThreeLayerConvNet.scores":
            (F, "ThreeLayerConvNet.loss(X): scores (N=3, input 2x6x6, 3 filters 3x3, hidden 5, "
                "4 classes)["),
        "ThreeLayerConvNet.loss_and_grads": (F, "ThreeLayerConvNet(reg=0.3).loss(X, y) ("),
        # a pooling window whose conv outputs are all negative (the only place a missing
        # ReLU shows): the generated nets (even sizes up to 8x8) have one
        "ThreeLayerConvNet.generated_sizes": (ANY, "ThreeLayerConvNet.loss(X): scores["),
    }, {}),
]


# Correct answers in other styles than the solution's: they lose nothing.
CORRECT_VARIANTS = [
    ("im2col_forward_as_strided", '''
def conv_forward_im2col(x, w, b, conv_param):
    from numpy.lib.stride_tricks import as_strided
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    sN, sC, sH, sW = x_pad.strides
    windows = as_strided(x_pad, shape=(C, HH, WW, N, H_out, W_out),
                         strides=(sC, sH, sW, sN, stride * sH, stride * sW))
    cols = np.ascontiguousarray(windows).reshape(C * HH * WW, -1)
    out = w.reshape(F, -1) @ cols + b[:, None]
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    cache = (x.shape, w, conv_param, cols)
    return out, cache
'''),
    ("im2col_backward_np_add_at", IM2COL_BACKWARD_INDICES.replace(
        "dx_pad[:, k, p + i, q + j] += dcols                       # instead of np.add.at",
        "np.add.at(dx_pad, (slice(None), k, p + i, q + j), dcols)")),
    ("net_global_random_state", _edit(
        NET, ("reg=0.0, seed=0):", "reg=0.0):"),
        ("rng = np.random.default_rng(seed)", "rng = np.random"),
        ("'W1': weight_scale * rng.standard_normal((num_filters, C, filter_size, filter_size))",
         "'W1': np.random.normal(0, weight_scale, (num_filters, C, filter_size, filter_size))"))),
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
    check_well_formed(A, CASES, 24)
    for case_id, function, _, _, dependents in CASES:
        for fn, feedback in dependents.items():
            # SPEC: the net built from the student's own fast layers shows their bugs;
            # a forward that leaves no cache costs its backward
            assert (fn == NET and function in NET_PARTS
                    or "_forward_" in function
                    and fn == function.replace("_forward_", "_backward_")), (case_id, fn)


def test_every_test_catches_a_bug():
    assert uncaught_tests(A, CASES) == set(), "tests no buggy answer exercises"


@pytest.mark.parametrize("seed", range(5))
def test_correct_solution_full_marks(seed):
    lost, report = lost_points(solution_source(A), A, seed=seed)
    assert lost == []
    assert report.score == report.max_score > 0
