"""Speed of the reference conv layer (issue 9): im2col vs torch's CPU conv2d, and naive.

    python benchmarks/conv_speed.py [--threads 1] [--repeat 5]

Forward + backward of the reference's conv_forward_im2col / conv_backward_im2col next to
torch.nn.functional.conv2d + autograd on the issue's input (N=64, C=3, 32x32, F=16, 3x3,
pad 1), timed side by side in one run: each round times every contender once, in turn,
and each figure is the best of --repeat rounds. Torch runs in float64 (the dtype of the
reference and of the assignment; the 2x target is read against it) and, for the record,
in float32. Then a timing table for the notebook on a smaller input: naive, im2col,
torch float64.

Both NumPy's BLAS and torch get --threads threads (default 1; 0 leaves each library's
own default): on a small shared machine, a BLAS pool spinning after its last call
starves torch's pool and the other way round, and a single thread each is the
comparison that repeats. With more threads torch gains more than the reference, whose
copies and col2im run on one core whatever the BLAS does.
"""
import argparse
import os
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for BLAS and torch; 0: each library's default")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best is kept")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.threads:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)    # before numpy and torch are imported

import numpy as np                                                          # noqa: E402
import torch                                                                # noqa: E402
import torch.nn.functional as F                                             # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reference import conv as cv                                            # noqa: E402

if ARGS.threads:
    torch.set_num_threads(ARGS.threads)

BIG = dict(N=64, C=3, H=32, W=32, F=16, K=3, pad=1)       # the input
SMALL = dict(N=4, C=3, H=16, W=16, F=8, K=3, pad=1)       # small enough for the naive loops
TARGET = 2.0                                              # issue 9: within 2x of torch


def problem(N, C, H, W, F, K, pad, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, K, K))
    b = rng.standard_normal(F)
    dout = rng.standard_normal((N, F, H + 2 * pad - K + 1, W + 2 * pad - K + 1))
    return x, w, b, dout, {"stride": 1, "pad": pad}


def numpy_step(forward, backward, x, w, b, dout, conv_param):
    def step():
        _, cache = forward(x, w, b, conv_param)
        backward(dout, cache)
    return step


def torch_step(x, w, b, dout, conv_param, dtype):
    xt, wt, bt = (torch.tensor(a, dtype=dtype, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout, dtype=dtype)

    def step():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, stride=conv_param["stride"], padding=conv_param["pad"]).backward(dt)
    return step


def best_of(steps, repeat):
    """{name: best seconds}; each round runs every step once, in turn (after a warm-up)."""
    for step in steps.values():
        step()
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeat):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def shape(p):
    return "N=%(N)d, C=%(C)d, %(H)dx%(W)d, F=%(F)d, %(K)dx%(K)d, pad %(pad)d" % p


def main():
    threads = ARGS.threads or f"default (torch {torch.get_num_threads()})"
    print(f"threads: {threads} (BLAS and torch), best of {ARGS.repeat}, "
          f"numpy {np.__version__}, torch {torch.__version__}")

    args = problem(**BIG)
    times = best_of({
        "reference im2col (float64)": numpy_step(cv.conv_forward_im2col, cv.conv_backward_im2col,
                                                 *args),
        "torch conv2d (float64)": torch_step(*args, torch.float64),
        "torch conv2d (float32)": torch_step(*args, torch.float32),
    }, ARGS.repeat)
    print(f"\nforward + backward, {shape(BIG)}")
    for name, seconds in times.items():
        print(f"  {name:28s} {seconds * 1e3:8.2f} ms")
    ours = times["reference im2col (float64)"]
    ratio64 = ours / times["torch conv2d (float64)"]
    ratio32 = ours / times["torch conv2d (float32)"]
    verdict = "meets" if ratio64 <= TARGET else "MISSES"
    print(f"  im2col / torch float64: {ratio64:.2f}x  ({verdict} the {TARGET:g}x target)")
    print(f"  im2col / torch float32: {ratio32:.2f}x  (for the record: not the same arithmetic)")

    args = problem(**SMALL)
    times = best_of({
        "naive": numpy_step(cv.conv_forward_naive, cv.conv_backward_naive, *args),
        "im2col": numpy_step(cv.conv_forward_im2col, cv.conv_backward_im2col, *args),
        "torch conv2d (float64)": torch_step(*args, torch.float64),
    }, ARGS.repeat)
    print(f"\ntiming table for the notebook: forward + backward, {shape(SMALL)}")
    print(f"  {'version':28s} {'ms':>8s} {'x torch':>8s}")
    for name, seconds in times.items():
        print(f"  {name:28s} {seconds * 1e3:8.2f} "
              f"{seconds / times['torch conv2d (float64)']:8.1f}")


if __name__ == "__main__":
    main()
