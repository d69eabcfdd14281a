"""Hypothesis strategies for test inputs: hypothesis draws the sizes and a data seed,
NumPy builds the float64 arrays (so values stay well scaled and away from kinks)."""
import numpy as np
from hypothesis import strategies as st


class Case(dict):
    """Drawn parameters of one generated case, with attribute access."""

    __getattr__ = dict.__getitem__

    def rng(self):
        return np.random.default_rng(self["seed"])

    def describe(self):
        return ", ".join("%s=%s" % (k, v) for k, v in self.items() if k != "seed")


def cases(**params):
    """``cases(N=st.integers(1, 8), ...)``: a strategy of Case objects with a seed."""
    params.setdefault("seed", st.integers(0, 2**32 - 1))
    return st.fixed_dictionaries(params).map(Case)


def sizes(low, high):
    return st.integers(low, high)
