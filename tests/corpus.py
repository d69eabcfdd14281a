"""What the corpora of buggy answers share (tests/test_corpus_<assignment>.py).

A case is ``(case id, function, buggy source, {failing test: (status, feedback)},
{other function allowed to lose by nature: feedback its lost tests must show})``: the
correct solution with ONE function redefined, graded once, in full (``check_case``).
A feedback is one substring, or a tuple of substrings that must all appear.
"""
import ast

from autograder import registry
from tests.helpers import grade_source, solution_source, with_replacement, withheld_by_gate

F, E = "failed", "error"
ANY = None          # failed or error: hypothesis decides which generated case fails first


def solution_def(assignment, name):
    """The source of the solution's top-level function or class ``name``."""
    source = solution_source(assignment)
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.get_source_segment(source, node) + "\n"
    raise KeyError(name)


def edit(assignment, name, *edits):
    """The solution's ``name`` with each ``(old, new)`` applied; ``old`` must occur
    exactly once, so a bug never silently turns into the correct code."""
    source = solution_def(assignment, name)
    for old, new in edits:
        assert source.count(old) == 1, (name, old)
        source = source.replace(old, new)
    return source


def has(feedback, expected):
    return all(part in feedback
               for part in ((expected,) if isinstance(expected, str) else expected))


def _by_function(results):
    by_function = {}
    for name, r in results.items():
        by_function.setdefault(r.function, {})[name] = r
    return by_function


def _lost(results):
    """Tests that lost points on their own (a gate's withholding excluded)."""
    return {name for name, r in results.items()
            if (r.status != "passed" or r.score != r.max_score) and not withheld_by_gate(r)}


def check_case(assignment, function, source, expected, dependents):
    """Grade the solution with ``source`` replacing ``function``, once, in full: exactly
    the ``expected`` tests of the function lose (status, feedback, score 0), the tests a
    gate withholds score 0, the others keep full marks; every other function keeps full
    marks except the ``dependents``, whose lost tests show their feedback (SPEC, catalog
    intro: "A bug costs points only under the function that has it")."""
    results, report = grade_source(with_replacement(assignment, source), assignment)
    assert set(results) == {t.name for t in registry.load(assignment).tests}
    by_function = _by_function(results)

    own = by_function[function]
    lost = _lost(own)
    assert lost == set(expected), "failing tests of %s: %s" % (
        function, {n: (own[n].status, own[n].feedback) for n in lost})
    for name, (status, feedback) in expected.items():
        r = own[name]
        if status is ANY:
            assert r.status in (F, E), (name, r.status, r.feedback)
        else:
            assert r.status == status, "%s: %s (%s)" % (name, r.status, r.feedback)
        assert r.score == 0, (name, r.score)
        assert has(r.feedback, feedback), "feedback of %s: %r" % (name, r.feedback)
    for name, r in own.items():
        if withheld_by_gate(r):          # withheld only because a value test failed
            assert r.score == 0, name
        elif name not in lost:
            assert r.score == r.max_score, (name, r.feedback)

    losing = {fn for fn, rs in by_function.items()
              if fn != function and any(r.score != r.max_score for r in rs.values())}
    assert losing == set(dependents), "other functions that lost points: %s" % {
        fn: {n: (r.status, r.feedback) for n, r in by_function[fn].items()
             if r.score != r.max_score} for fn in losing}
    for fn, feedback in dependents.items():
        for name in _lost(by_function[fn]):
            assert has(by_function[fn][name].feedback, feedback), (
                "feedback of %s: %r" % (name, by_function[fn][name].feedback))
    assert report.score < report.max_score


def check_well_formed(assignment, cases, minimum):
    """Unique ids, catalog functions, every expected test of the case's function, a
    status and a feedback each."""
    assert len(cases) >= minimum
    ids = [c[0] for c in cases]
    assert len(ids) == len(set(ids))
    functions = registry.load(assignment).functions
    for case_id, function, _, expected, dependents in cases:
        assert function in functions, case_id
        assert expected, case_id
        for name, (status, feedback) in expected.items():
            assert name.startswith(function + "."), (case_id, name)
            assert status in (F, E, ANY) and feedback, (case_id, name)
        for fn, feedback in dependents.items():
            assert fn in functions and feedback, (case_id, fn)


def uncaught_tests(assignment, cases):
    """The assignment's tests that no case makes fail (should be none)."""
    caught = {name for c in cases for name in c[3]}
    declared = {t.name for t in registry.load(assignment).tests}
    assert caught <= declared
    return declared - caught
