"""Checks of the optimizers assignment (catalog: SPEC.md, "optimizers").

Every rule is ``update(w, dw, config=None) -> (next_w, config)``.  Tests run several
consecutive steps, each fed the config the submission returned (so its state must be
stored there), against the reference run on the same gradients.  Each element of the
gradient keeps one order of magnitude over the steps, from 1e-8 to 1e3: tiny gradients
make epsilon matter (epsilon inside the square root, or a missing bias correction,
changes the step by a large factor), large ones make a wrong state or decay rate show.
The automatic input check fails a rule that changes ``w`` or ``dw`` in place.

Tolerances: next_w is compared with the default rtol 1e-6 and atol 1e-8 times the
largest |w| (about 3): a correct rule differs from the reference by rounding only
(~1e-15 relative), while every bug above moves some entry by more than 1e-5.
"""
import copy

import numpy as np
from hypothesis import strategies as st

# BEGIN HIDDEN TESTS
from reference import optimizers as ref  # noqa: F401 - the hidden tests' own
# END HIDDEN TESTS

from ..cases import cases, sizes
from ..compare import as_tuple, check_array, check_scalar, describe
from ..errors import CheckFailed
from ..registry import Assignment

ASSIGNMENT = Assignment("optimizers", "update rules: SGD, momentum, Nesterov, Adagrad, "
                                      "RMSProp, Adam")

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
STATE = {"sgd": (), "sgd_momentum": ("velocity",), "nesterov_momentum": ("velocity",),
         "adagrad": ("cache",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}
# Hyperparameters of the visible multi-step test: every one differs from its default.
CUSTOM = {
    "sgd": {"learning_rate": 0.3},
    "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.7},
    "nesterov_momentum": {"learning_rate": 0.05, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.2, "epsilon": 1e-7},
    "rmsprop": {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-7},
}
# Values the generated cases draw from.
CHOICES = {
    "learning_rate": (1e-4, 1e-3, 1e-2, 0.1),
    "momentum": (0.5, 0.9, 0.99),
    "epsilon": (1e-8, 1e-6, 1e-4),
    "decay_rate": (0.5, 0.9, 0.99, 0.999),
    "beta1": (0.5, 0.9, 0.95),
    "beta2": (0.9, 0.99, 0.999),
}
STATE_HINT = {"velocity": "the velocity", "cache": "the running sum of squared gradients",
              "m": "the first moment", "v": "the second moment", "t": "the step count"}
SHAPE = (4, 6)
STEPS = 5

for _rule in DEFAULTS:
    ASSIGNMENT.function(_rule, ("w", "dw", "config"), may_modify=("config",))


def _problem(rng, shape, steps):
    """w, and one gradient per step; entry i keeps its magnitude 10**e_i over the steps,
    the exponents spread evenly over [-8, 3] (so 1e-8 and 1e3 both occur)."""
    n = int(np.prod(shape))
    exponents = rng.permutation(np.linspace(-8.0, 3.0, n)).reshape(shape)
    scales = 10.0 ** exponents
    grads = [scales * rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
             for _ in range(steps)]
    return rng.standard_normal(shape), grads


def _step(t, rule, w, dw, config, omit_config=False):
    args = (w, dw) if omit_config else (w, dw, config)
    got = t.call(rule, *args)
    next_w, new_config = as_tuple(rule, got, ("next_w", "config"))
    if not isinstance(new_config, dict):
        raise CheckFailed("%s must return (next_w, config) with config a dict holding the "
                          "hyperparameters and the state for the next step; got %s for "
                          "config" % (rule, describe(new_config)))
    return next_w, new_config


def _non_finite_hint(rule, next_w, step):
    if isinstance(next_w, np.ndarray) and next_w.dtype.kind == "f" and \
            not np.all(np.isfinite(next_w)):
        hint = ""
        if rule == "adam":
            hint = ("; with t = 0 the bias corrections 1 - beta**t are 0: increment t "
                    "before using it")
        raise CheckFailed("%s: next_w after step %d has %d non-finite entries%s"
                          % (rule, step, int(np.sum(~np.isfinite(next_w))), hint))


def _run(t, rule, w, grads, config, what="", omit_config=False):
    """Steps of ``rule`` on ``grads``, each fed the config the submission returned,
    compared with the reference step by step.  What the config holds is the
    submission's business (SPEC.md): only the sequence of next_w is graded."""
    ref_config = copy.deepcopy(config)
    for step, dw in enumerate(grads, 1):
        expected_w, ref_config = t.reference(rule, w, dw, ref_config)
        stored = sorted(config, key=str) if isinstance(config, dict) else []
        stateless = step > 1 and STATE[rule] and not set(stored) - set(DEFAULTS[rule])
        next_w, config = _step(t, rule, w, dw, config, omit_config and step == 1)
        _non_finite_hint(rule, next_w, step)
        try:
            check_array("%s: next_w after step %d%s" % (rule, step, what), next_w, expected_w)
        except CheckFailed as exc:
            if not stateless:
                raise
            raise CheckFailed("%s: the config returned by step %d holds no state (only %s): "
                              "store %s there for the next step. %s" % (
                                  rule, step - 1, ", ".join(map(str, stored)) or "nothing",
                                  STATE_HINT[STATE[rule][0]], exc)) from None
        w = expected_w


def _same_again(t, rule, w, dw, config, first):
    """Whether a second call with a fresh copy of ``config`` returns ``first`` again
    (no state kept outside the config)."""
    again, _ = _step(t, rule, w, dw, dict(config))
    return isinstance(again, np.ndarray) and isinstance(first, np.ndarray) and \
        again.shape == first.shape and np.array_equal(again, first)


def _declare(rule):
    custom = CUSTOM[rule]

    @ASSIGNMENT.test(rule, points=2)
    def several_steps(t):
        """Five steps with non-default hyperparameters, the state carried in the returned
        config, gradients from 1e-8 to 1e3, against the reference."""
        w, grads = _problem(t.rng, SHAPE, STEPS)
        _run(t, rule, w, grads, dict(custom),
             " (config %s)" % ", ".join("%s=%g" % kv for kv in custom.items()))

    def defaults(t):
        w, grads = _problem(t.rng, SHAPE, 3)
        _run(t, rule, w, grads, None, " (called without config: defaults %s)"
             % ", ".join("%s=%g" % kv for kv in DEFAULTS[rule].items()), omit_config=True)
        w, grads = _problem(t.rng, SHAPE, 3)
        lr = custom["learning_rate"]
        _run(t, rule, w, grads, {"learning_rate": lr},
             " (config {'learning_rate': %g}, the rest defaults)" % lr)

    defaults.__doc__ = ("Without a config the catalog's defaults apply (%s); a config with "
                        "only a learning rate gets the other defaults."
                        % ", ".join("%s=%g" % kv for kv in DEFAULTS[rule].items()))
    ASSIGNMENT.test(rule, points=1)(defaults)

    if STATE[rule]:
        def state_in_config(t):
            w_a, grads_a = _problem(t.rng, SHAPE, 3)
            w_b, grads_b = _problem(t.rng, SHAPE, 3)
            ref_a, ref_b = dict(custom), dict(custom)
            config_a, config_b = dict(custom), dict(custom)
            for step in range(3):            # a, b, a, b, ...: two independent runs
                for which, w, dw, config, ref_config in (
                        ("a", w_a, grads_a[step], config_a, ref_a),
                        ("b", w_b, grads_b[step], config_b, ref_b)):
                    expected_w, ref_config = t.reference(rule, w, dw, ref_config)
                    next_w, config = _step(t, rule, w, dw, config)
                    _non_finite_hint(rule, next_w, step + 1)
                    try:
                        check_array("%s: next_w of parameter %s after step %d" % (
                            rule, which, step + 1), next_w, expected_w)
                    except CheckFailed as exc:
                        if step == 0 and which == "a" and _same_again(
                                t, rule, w, dw, custom, next_w):
                            raise           # a wrong formula, not state kept elsewhere
                        raise CheckFailed(
                            "%s; two parameters updated in turn, each with its own config, "
                            "must not share state: keep %s in the config, not in a global "
                            "or a default argument" % (exc, STATE_HINT[STATE[rule][0]])
                        ) from None
                    if which == "a":
                        w_a, config_a, ref_a = expected_w, config, ref_config
                    else:
                        w_b, config_b, ref_b = expected_w, config, ref_config

        state_in_config.__doc__ = ("Two parameters updated in turn, each with its own "
                                   "config, both follow the reference: the state (%s) lives "
                                   "in the config, under whatever keys the submission "
                                   "chooses." % ", ".join(STATE_HINT[k] for k in STATE[rule]))
        ASSIGNMENT.test(rule, points=1)(state_in_config)

    # BEGIN HIDDEN TESTS
    @ASSIGNMENT.test(rule, points=2, hidden=True)
    def matches_reference(t):
        """Generated shapes, step counts and hyperparameters (or none: the defaults)."""
        hyper = st.fixed_dictionaries({k: st.sampled_from(CHOICES[k]) for k in DEFAULTS[rule]})
        strategy = cases(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple),
                         steps=sizes(1, 6), config=st.one_of(st.none(), hyper))

        def body(case):
            w, grads = _problem(case.rng(), case.shape, case.steps)
            _run(t, rule, w, grads, copy.deepcopy(case.config))
        t.examples(strategy, body)
    # END HIDDEN TESTS


for _rule in DEFAULTS:
    _declare(_rule)
