"""What students receive holds no answer key (SPEC.md), and its visible checks still
work: ``python -m autograder release`` builds assignments/checks/ by stripping the
hidden regions and recording the visible checks' expected values."""
import ast
import filecmp
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from autograder import expected, registry
from autograder.judge import release
from tests.helpers import ROOT, SUBMISSIONS, grade_source, with_replacement

CHECKS = os.path.join(ROOT, "assignments", "checks")


def test_strip_hidden_removes_the_regions_and_their_markers():
    text = textwrap.dedent('''\
        a = 1
        # BEGIN HIDDEN TESTS
        from reference import knn as ref
        # END HIDDEN TESTS
        def f():
            x = 1
            # BEGIN HIDDEN TESTS
            secret = ref
            # END HIDDEN TESTS
            return x
        ''')
    assert release.strip_hidden(text) == "a = 1\ndef f():\n    x = 1\n    return x\n"


@pytest.mark.parametrize("text,message", [
    ("# BEGIN HIDDEN TESTS\n", "never closed"),
    ("# END HIDDEN TESTS\n", "without # BEGIN HIDDEN TESTS"),
    ("# BEGIN HIDDEN TESTS\n# BEGIN HIDDEN TESTS\n", "nested"),
    ("from reference import knn\n", "imports the reference outside a hidden region"),
    ("import reference.knn as r\n", "imports the reference outside a hidden region"),
])
def test_strip_hidden_refuses_what_would_leak_or_break(text, message):
    with pytest.raises(release.ReleaseError, match=re.escape(message)):
        release.strip_hidden(text, "checks/x.py")


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory):
    return release.build(str(tmp_path_factory.mktemp("release") / "assignments" / "checks"))


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, subs, names in os.walk(folder)
                  for f in names if "__pycache__" not in d and not f.endswith(".pyc")
                  and ".egg-info" not in d)


def test_committed_release_is_up_to_date(fresh_build):
    """Stale expected values or a check changed since the last release fail here:
    run `python -m autograder release`.  Recorded values compare with tolerance (a
    release recorded on another CPU's SIMD path is not stale); code compares exactly."""
    assert _files(fresh_build) == _files(CHECKS)
    stale = []
    for f in _files(CHECKS):
        fresh, committed = os.path.join(fresh_build, f), os.path.join(CHECKS, f)
        if f.startswith(os.path.join("autograder", "expected", "")) and \
                not f.endswith("points.json"):
            with open(fresh) as a, open(committed) as b:
                tests = expected.stale_entries(json.load(b), json.load(a))
            stale += ["%s: %s" % (f, t) for t in tests]
        elif not filecmp.cmp(fresh, committed, shallow=False):
            stale.append(f)
    assert stale == [], "stale: %s; run python -m autograder release" % stale


def test_stale_entries_sees_a_changed_input_or_value_but_not_rounding():
    """The tolerance is for last bits only: a changed seed, shape or value is stale."""
    import numpy as np
    from autograder import worker as wire

    x = np.random.default_rng(0).standard_normal((4, 3))          # (4, 3)
    def recording(inputs, value):
        return {"t": [dict(expected.summary("f", (inputs, 0.5), {"k": 2}),
                           value=wire.encode(value))]}
    base = recording(x, x * 2)
    nudged = x * (1 + 1e-15 * np.random.default_rng(1).standard_normal(x.shape))
    assert expected.stale_entries(base, recording(nudged, nudged * 2)) == []
    assert expected.stale_entries(base, recording(x + 1e-6, x * 2)) == ["t"]
    assert expected.stale_entries(base, recording(x[:3], x * 2)) == ["t"]
    assert expected.stale_entries(base, recording(x, x * 2 + 1e-3)) == ["t"]
    assert expected.stale_entries(base, {}) == ["t"]


KIT_IMPORTS = textwrap.dedent('''\
    import importlib, json, os, sys
    sys.modules["reference"] = None          # not installed
    sys.path.insert(0, sys.argv[1])
    import autograder
    names = sorted(n[:-3] for n in os.listdir(os.path.dirname(autograder.__file__))
                   if n.endswith(".py") and n != "__main__.py")
    checks = sorted(n[:-3] for n in os.listdir(os.path.join(
        os.path.dirname(autograder.__file__), "checks")) if n.endswith(".py"))
    for name in names:
        importlib.import_module("autograder." + name)
    for name in checks:
        importlib.import_module("autograder.checks." + name)
    print(json.dumps({"modules": names, "engine": sorted(
        m for m in sys.modules if m.startswith("autograder.judge"))}))
    ''')


def test_the_kit_is_what_a_kernel_needs_and_not_the_engine(fresh_build):
    """Students get the check cells, the in-kernel runner and the loaders, not the judge
    (sandbox, batches, store, CLI): every kit module imports without the engine."""
    proc = subprocess.run([sys.executable, "-I", "-c", KIT_IMPORTS, fresh_build],
                          capture_output=True, text=True, cwd=str(os.path.dirname(ROOT)),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)
    assert found["engine"] == []
    shipped = {name + ".py" for name in found["modules"]}
    assert shipped == set(release.kit_modules())
    assert {"notebook.py", "local.py", "data.py", "carry.py"} <= shipped
    assert not os.path.exists(os.path.join(fresh_build, "autograder", "judge"))
    for engine in ("sandbox.py", "batch.py", "cli.py", "store.py", "release.py"):
        assert os.path.exists(os.path.join(ROOT, "autograder", "judge", engine))
        assert not os.path.exists(os.path.join(fresh_build, "autograder", engine))
    # Nor the engine's code under another name: the isolated process's confinement and
    # supervisor, the grading loop, the instructor's judge call.
    engine = {name for module in ("worker_process", "grading", "check_cells")
              for name in _top_level_names(os.path.join(ROOT, "autograder", "judge",
                                                        module + ".py"))}
    assert {"confine", "main", "grade_submission", "run_judge"} <= engine
    for module in release.kit_modules():
        kit = _top_level_names(os.path.join(fresh_build, "autograder", module))
        assert kit & engine == set(), module
    main = subprocess.run([sys.executable, "-I", "-c", "import runpy, sys; "
                           "sys.path.insert(0, sys.argv[1]); "
                           "runpy.run_module('autograder', run_name='__main__')",
                           fresh_build, "grade", "x.ipynb"], capture_output=True, text=True,
                          timeout=60, cwd=str(os.path.dirname(ROOT)))
    assert main.returncode == 2 and main.stdout == ""
    assert main.stderr.count("\n") == 1 and "student's copy of the checks" in main.stderr


def _top_level_names(path):
    """The functions and classes a module defines at its top level."""
    with open(path) as f:
        tree = ast.parse(f.read())
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def _reference_bodies(assignments):
    """Pairs of consecutive statements from the body of every reference function and
    method, whitespace removed: what a copy of its code would contain."""
    import importlib

    bodies = []
    for a in assignments:
        module = importlib.import_module("reference.%s" % a)
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                lines = [_flat(ast.unparse(stmt)) for stmt in body]
                bodies += [(a, node.name, lines[i] + lines[i + 1])
                           for i in range(len(lines) - 1)]
    return bodies


def _flat(code):
    """Code without comments, whitespace and quote style: copies compare equal."""
    code = re.sub(r"#[^\n]*", "", code)
    return re.sub(r"\s+", "", code).replace("'", '"')


def _text(path):
    """A file as code: a notebook's cell sources, else the file itself."""
    import json
    with open(path, errors="replace") as f:
        text = f.read()
    if path.endswith(".ipynb"):
        text = "\n".join("".join(c["source"]) if isinstance(c["source"], list)
                         else c["source"] for c in json.loads(text)["cells"])
    return text


def _solution_pairs(assignment):
    """Pairs of consecutive lines of the instructor's solution regions (### BEGIN
    SOLUTION ... ### END SOLUTION): the answer key of a notebook."""
    path = os.path.join(ROOT, "solutions", assignment, "%s.ipynb" % assignment)
    pairs, inside = [], False
    for line in _text(path).splitlines():
        if "### BEGIN SOLUTION" in line:
            inside, lines = True, []
        elif "### END SOLUTION" in line:
            inside = False
            lines = [l for l in lines if len(l) >= 8]
            pairs += [(assignment, "solution", lines[i] + lines[i + 1])
                      for i in range(len(lines) - 1)]
        elif inside:
            lines.append(_flat(line))
    return pairs


def test_release_holds_no_reference_and_no_hidden_test():
    """The checks package holds no reference function's code and no hidden test; no
    assignment's release holds the code of any assignment's solution regions (its own
    starter lines, such as reading bn_param's running statistics, are the student's to
    see): a later notebook loads the student's own earlier functions instead."""
    hidden = {t.name for a in registry.all_assignments() for t in a.tests if t.hidden}
    assert len(hidden) > 30
    answers = [pair for a in registry.ASSIGNMENT_MODULES for pair in _solution_pairs(a)]
    places = [(CHECKS, _reference_bodies(registry.ASSIGNMENT_MODULES))] + [
        (os.path.join(ROOT, "assignments", a), answers) for a in registry.ASSIGNMENT_MODULES]
    leaks = []
    for folder, bodies in places:
        assert len(bodies) > 2
        for rel in _files(folder):
            text = _text(os.path.join(folder, rel))
            flat = _flat(text)
            leaks += ["%s: hidden test %s" % (rel, h) for h in hidden if h in text]
            leaks += ["%s: code of reference %s.%s: %s" % (rel, a, fn, pair)
                      for a, fn, pair in bodies if pair in flat]
            if re.search(r"^\s*(from|import)\s+reference\b", text, re.M):
                leaks.append("%s imports reference" % rel)
    assert leaks == []
    assert not os.path.exists(os.path.join(CHECKS, "reference"))


def _catalog():
    return {f: a.id for a in registry.all_assignments() for f in a.functions}


def _release_notebook(assignment):
    return os.path.join(ROOT, "assignments", assignment, "%s.ipynb" % assignment)


def _code_cells(path):
    import json
    with open(path) as f:
        cells = json.load(f)["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


def _grafts():
    """(release, assignment, catalog functions of that assignment the release defines,
    the submission: the assignment's released stubs with the release's definitions
    grafted on, its helpers and imports included)."""
    catalog, grafts = _catalog(), []
    for release in registry.ASSIGNMENT_MODULES:
        defs = [d for cell in _code_cells(_release_notebook(release))
                for d in _top_level_source(cell)]
        for assignment in registry.ASSIGNMENT_MODULES:
            names = sorted({n for n, _ in defs if catalog.get(n) == assignment})
            if not names or assignment == release:     # its own stubs: test_notebooks
                continue
            stubs = [src for cell in _code_cells(_release_notebook(assignment))
                     for _, src in _top_level_source(cell)]
            grafts.append((release, assignment, names,
                           "\n\n".join(stubs + [src for _, src in defs])))
    return grafts


def _top_level_source(cell):
    try:
        tree = ast.parse("\n".join("" if re.match(r"\s*[%!]", line) else line
                                   for line in cell.splitlines()))
    except SyntaxError:
        return []
    out = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            if not any(m.split(".")[0] == "autograder" for m in modules):
                out.append((None, ast.unparse(node)))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append((node.name, ast.unparse(node)))
    return out


def test_no_released_notebook_earns_points_in_any_assignment():
    """SPEC: what students receive contains no code that earns points in any assignment.
    Every definition of a catalog name in any released notebook (a layer a later
    notebook needs, a loss, a helper), grafted with that notebook's helpers onto the
    owning assignment's released stubs, scores 0 on that function's tests, hidden ones
    included.  (A later notebook loads the student's own earlier functions instead.)"""
    grafts = _grafts()
    # conv's net needs the backprop layers: its release defines them, as stubs
    assert ("conv", "backprop") in {(r, a) for r, a, _, _ in grafts}
    earned = []
    for release, assignment, names, source in grafts:
        results, report = grade_source(source, assignment, only=names)
        assert results and {r.name.split(".")[0] for r in results.values()} == set(names)
        earned += ["%s's release: %s %g / %g" % (release, name, r.score, r.max_score)
                   for name, r in results.items() if r.score > 0]
    assert earned == []


def test_the_graft_scan_finds_a_released_answer(monkeypatch):
    """The scan above is not vacuous: a release that still gave backprop's layers as
    working code (conv's notebook did) earns points there."""
    real = _code_cells
    layers = [c["source"] for c in __import__("nbformat").read(
        os.path.join(ROOT, "solutions", "conv", "conv.ipynb"), as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "backprop_layers"]
    assert len(layers) == 1
    monkeypatch.setattr(sys.modules[__name__], "_code_cells", lambda path: real(path) + (
        [layers[0]] if path == _release_notebook("conv") else []))
    (release, assignment, names, source), = [g for g in _grafts() if g[:2] == ("conv",
                                                                               "backprop")]
    results, _ = grade_source(source, assignment, only=names)
    assert {n.split(".")[0] for n, r in results.items() if r.score > 0} == set(names)


def test_the_leak_scan_finds_a_planted_copy(tmp_path):
    """The scan above is not vacuous: a copied reference function is found."""
    import reference.knn
    planted = inspect.getsource(reference.knn.compute_distances_no_loops)
    flat = _flat(planted)
    assert any(pair in flat for a, fn, pair in _reference_bodies(("knn",))
               if fn == "compute_distances_no_loops")


STUDENT_MODE = textwrap.dedent('''\
    import json, sys
    sys.modules["reference"] = None          # not installed: import reference fails
    sys.path.insert(0, sys.argv[1])
    from autograder import local, registry
    assert "/assignments/checks/" in local.__file__.replace("\\\\", "/"), local.__file__
    out = {}
    for path, assignment in json.loads(sys.argv[2]):
        source = open(path).read()
        namespace = {"__name__": "__main__"}
        exec(compile(source, path, "exec"), namespace)
        for fn in registry.load(assignment).functions:
            report = local.grade_here(fn, namespace, [source])
            for r in report.results:
                out[r.name] = [r.status, r.feedback, r.score]
    print(json.dumps(out))
    ''')


def _student_grade(sources, checks=CHECKS, env=None):
    """Grade (path, assignment) pairs with the released package only, as a student's
    kernel would: the reference cannot be imported there."""
    proc = subprocess.run([sys.executable, "-I", "-c", STUDENT_MODE, checks,
                           json.dumps(sources)], capture_output=True, text=True,
                          cwd=os.path.dirname(ROOT), timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _solutions():
    return [(os.path.join(SUBMISSIONS, "%s_solution.py" % a), a)
            for a in registry.ASSIGNMENT_MODULES]


def test_visible_checks_pass_on_correct_answers_without_the_reference():
    results = _student_grade(_solutions())
    visible = {t.name for a in registry.all_assignments() for t in a.tests if not t.hidden}
    assert set(results) == visible
    assert [(n, r) for n, r in results.items() if r[0] != "passed"] == []


def _other_simd_path():
    """An environment in which NumPy takes another SIMD path than in this process: every
    SIMD target it dispatches to on this CPU switched off (``NPY_DISABLE_CPU_FEATURES``)
    or, when this process already runs with some switched off (the suite run as on an
    older CPU), all of them back on.  ``10.0 ** x`` and ``np.exp`` then round
    differently in their last bits, as on another machine.  None where NumPy dispatches
    to nothing beyond its baseline here."""
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    if os.environ.get("NPY_DISABLE_CPU_FEATURES", "").strip():
        return env
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    switched = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    if not switched:
        return None
    return dict(env, NPY_DISABLE_CPU_FEATURES=" ".join(switched))


def test_the_other_simd_path_is_really_another():
    """The test below is not vacuous: with the features switched, NumPy computes
    different last bits for the inputs the checks generate (``10.0 ** x``, ``exp``)."""
    env = _other_simd_path()
    if env is None:
        pytest.skip("NumPy dispatches to no SIMD target beyond its baseline on this CPU")
    code = ("import numpy as np, sys; x = np.random.default_rng(0).uniform(-8, 8, 4096); "
            "sys.stdout.write((10.0 ** x).tobytes().hex() + (np.exp(x)).tobytes().hex())")
    bits = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=e, check=True).stdout for e in (None, env)]
    assert bits[0] != bits[1]


def test_a_release_recorded_on_one_simd_path_checks_on_another(fresh_build, tmp_path):
    """Same verdict on every machine (SPEC): values recorded with one set of CPU features
    serve a student whose NumPy takes another SIMD path, both ways round."""
    env = _other_simd_path()
    if env is None:
        pytest.skip("NumPy dispatches to no SIMD target beyond its baseline on this CPU")
    switched = str(tmp_path / "switched" / "assignments" / "checks")
    subprocess.run([sys.executable, "-c", "import sys; from autograder.judge import release; "
                    "release.build(sys.argv[1])", switched], env=dict(
                        env, PYTHONPATH=ROOT), cwd=ROOT, check=True, timeout=300)
    visible = {t.name for a in registry.all_assignments() for t in a.tests if not t.hidden}
    for checks, run_env in ((switched, None), (fresh_build, env)):
        results = _student_grade(_solutions(), checks, run_env)
        assert set(results) == visible
        assert [(n, r) for n, r in results.items() if r[0] != "passed"] == []


BUGS = [   # (assignment, function, wrong answer)
    ("knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    return y_train[np.argmax(dists, axis=1)]
'''),
    ("linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    loss = margins.sum() / N + reg * np.sum(W * W)
    return loss, np.zeros_like(W)
'''),
    ("optimizers", "adam", '''
def adam(w, dw, config=None):
    config = config if config is not None else {}
    for k, v in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(k, v)
    config["m"] = config["beta1"] * config.get("m", 0) + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config.get("v", 0) + (1 - config["beta2"]) * dw ** 2
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config
'''),
]


def test_wrong_answers_get_the_same_feedback_as_from_the_judge(tmp_path):
    sources = []
    for i, (assignment, function, bug) in enumerate(BUGS):
        path = tmp_path / ("bug%d.py" % i)
        path.write_text(with_replacement(assignment, bug))
        sources.append((str(path), assignment))
    student = _student_grade(sources)
    for (assignment, function, bug), (path, _) in zip(BUGS, sources):
        judge, _ = grade_source(open(path).read(), assignment, only=(function,),
                                hidden=False)
        lost = [n for n, r in judge.items() if r.status != "passed"]
        assert lost, function
        for name, r in judge.items():
            assert student[name][:2] == [r.status, r.feedback], name
