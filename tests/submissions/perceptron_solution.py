"""A correct student-style perceptron submission (the solution notebook's code)."""
import numpy as np


def AND(x1, x2):
    x = np.array([x1, x2])
    w = np.array([0.5, 0.5])
    b = -0.7
    tmp = np.sum(w * x) + b
    if tmp <= 0:
        return 0
    else:
        return 1


def NAND(x1, x2):
    x = np.array([x1, x2])
    w = np.array([-0.5, -0.5])          # only the weights and the bias differ from AND
    b = 0.7
    tmp = np.sum(w * x) + b
    if tmp <= 0:
        return 0
    else:
        return 1


def OR(x1, x2):
    x = np.array([x1, x2])
    w = np.array([0.5, 0.5])
    b = -0.2
    tmp = np.sum(w * x) + b
    if tmp <= 0:
        return 0
    else:
        return 1


def XOR(x1, x2):
    s1 = NAND(x1, x2)                   # first layer
    s2 = OR(x1, x2)
    y = AND(s1, s2)                     # second layer
    return y


def step_function(x):
    y = np.asarray(x) > 0               # boolean array
    return y.astype(int)


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    # 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0: exp never
    # sees a positive argument, so it cannot overflow
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def relu(x):
    return np.maximum(0, x)


def softmax(a):
    a = np.asarray(a, dtype=float)
    c = np.max(a, axis=-1, keepdims=True)      # the largest score of each row
    exp_a = np.exp(a - c)                       # every entry <= 1: no overflow
    sum_exp_a = np.sum(exp_a, axis=-1, keepdims=True)
    y = exp_a / sum_exp_a
    return y


def mean_squared_error(y, t):
    return 0.5 * np.sum((np.asarray(y) - np.asarray(t)) ** 2)


def cross_entropy_error(y, t):
    y = np.asarray(y, dtype=float)
    t = np.asarray(t)
    if y.ndim == 1:                     # a single example: a batch of one
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:                # one-hot labels -> the index of the 1
        t = t.argmax(axis=1)
    t = t.reshape(-1).astype(int)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h            # f(x + h)
        fxh1 = f(x)
        x[idx] = tmp_val - h            # f(x - h)
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val                # put the saved value back
        it.iternext()
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.array(init_x, dtype=float)   # a copy: init_x stays as it is
    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x
