"""A correct answer never loses a point: the student-style solutions score full marks
through the CLI on 50 different seeds, the reference implementations (graded as
submissions) on the first 10 of them."""
import glob
import os
import shutil

import pytest

from autograder import registry
from tests.helpers import ROOT, SUBMISSIONS, cli_json

# cnn_training trains two CNNs per grading (~15 s): its own test below, on 20 seeds.
ASSIGNMENTS = tuple(a for a in registry.ASSIGNMENT_MODULES if a != "cnn_training")
# reference/conv.py builds its net on reference/backprop.py, which a submission may not
# import: the conv reference is tested in tests/test_reference_conv.py instead.
REFERENCE_AS_SUBMISSION = tuple(a for a in ASSIGNMENTS if a != "conv")
SEEDS = range(50)
REFERENCE_SEEDS = range(10)    # the checks' expected values come from the reference itself


@pytest.fixture(scope="module")
def correct_answers(tmp_path_factory):
    """Two folders: the solutions, and the solutions with the references."""
    solutions = tmp_path_factory.mktemp("solutions")
    both = tmp_path_factory.mktemp("correct")
    for a in ASSIGNMENTS:
        if a in REFERENCE_AS_SUBMISSION:
            shutil.copy(os.path.join(ROOT, "reference", "%s.py" % a), both / ("%s.py" % a))
        for folder in (solutions, both):
            shutil.copy(os.path.join(SUBMISSIONS, "%s_solution.py" % a), folder)
    return {"solutions": str(solutions), "both": str(both)}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_full_marks_on_every_seed(correct_answers, seed):
    folder = correct_answers["both" if seed in REFERENCE_SEEDS else "solutions"]
    report = cli_json("grade", folder, "--seed", str(seed))
    lost = ["%s %s: %s" % (os.path.basename(t["submission"]), t["name"], t["feedback"])
            for t in report["tests"] if t["status"] != "passed"]
    assert lost == [], "seed %d: %s" % (seed, lost)
    assert all(s["score"] == s["max_score"] > 0 for s in report["submissions"])  # a batch:
    assert {s["assignment"] for s in report["submissions"]} == set(ASSIGNMENTS)  # per file


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_cnn_training_full_marks_on_every_seed(seed):
    """The PyTorch assignment's solution: full marks on 10 seeds (the training runs'
    threshold has a margin measured over 20 seeds: see autograder/checks/cnn_training)."""
    report = cli_json("grade", os.path.join(SUBMISSIONS, "cnn_training_solution.py"),
                      "--assignment", "cnn_training", "--seed", str(seed))
    lost = ["%s: %s" % (t["name"], t["feedback"]) for t in report["tests"]
            if t["status"] != "passed"]
    assert lost == [], "seed %d: %s" % (seed, lost)
    assert report["score"] == report["max_score"] > 0
