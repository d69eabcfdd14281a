"""The numerical gradient check: passes true gradients, names a wrong element."""
import time

import numpy as np
import pytest

from autograder import registry
from autograder.context import TestContext
from autograder.errors import CheckFailed
from autograder.gradcheck import check_gradient
from autograder.judge.sandbox import Worker
from autograder.structure import Source

FUNCTIONS = """
import numpy as np
def cubic(x):
    return float(np.sum(x ** 3)), 3 * x ** 2
def cubic_one_wrong(x):
    g = 3 * x ** 2
    g[1, 2] *= 2
    return float(np.sum(x ** 3)), g
"""


@pytest.fixture(scope="module")
def ctx():
    cells = [{"source": FUNCTIONS, "label": "cell 1"}]
    worker = Worker(cells)
    worker.start()
    assignment = registry.load("linear_classifiers")
    yield TestContext(assignment, assignment.tests[0], worker, time.monotonic() + 60, 0,
                      Source(cells))
    worker.stop()


def loss_of(value):
    return value[0]


def test_true_gradient_passes(ctx):
    x = np.random.default_rng(0).standard_normal((3, 4))
    loss, grad = ctx.call("cubic", x)
    check_gradient(ctx, "cubic", (x,), 0, grad, loss_of, "dx")


def test_wrong_element_is_named(ctx):
    x = np.random.default_rng(1).standard_normal((3, 4)) + 2.0
    loss, grad = ctx.call("cubic_one_wrong", x)
    with pytest.raises(CheckFailed) as info:
        check_gradient(ctx, "cubic_one_wrong", (x,), 0, grad, loss_of, "dx")
    message = str(info.value)
    assert message.startswith("dx[1, 2]: analytic gradient ")
    assert "numerical gradient of cubic_one_wrong's own output is" in message
    assert "1 of 12 checked entries disagree" in message


def test_scaled_gradient_fails(ctx):
    x = np.random.default_rng(2).standard_normal((2, 3))
    loss, grad = ctx.call("cubic", x)
    with pytest.raises(CheckFailed, match=r"6 of 6 checked entries disagree"):
        check_gradient(ctx, "cubic", (x,), 0, grad * 1.01 + 0.01, loss_of, "dx")
