"""Hostile submissions are contained (SPEC, "What grading guarantees").

Each test grades a knn submission in which one function (``TARGET``, two tests worth
3 points) attacks the grader, and checks the exact outcome: the attacked tests score
0 with a clear status and feedback, every other test is still graded (full marks,
the rest of the submission is the correct solution), and nothing is left running
(no child of the judge, no process started by the submission, no scratch folder).

Most attacks are graded in-process (``grade_source``: the judge is this pytest
process, the student code runs in the real isolated worker); the ones about the
report, stdout and exit status go through the CLI (``run_cli``).

Residual gaps (not tested, see ``autograder/judge/worker_process.py``):
* Without Landlock (Linux < 5.13, or a seccomp filter that blocks it) the worker is
  kept from the project's files only by an import blocker and an audit hook on
  ``open``: ``ctypes``, ``os.open`` through a libc call, or a subprocess (``cat
  reference/knn.py``) gets around them; the tests that need Landlock are skipped
  there.  Refusing signals to the judge needs Landlock ABI 6 (Linux 6.12).
* Files the submission writes to ``/dev/shm`` (kept writable for multiprocessing)
  outlive the worker; many files or processes (a disk or fork bomb) are bounded only
  by the per-file size limit and by the kill at the end of the test.
* The worker itself is the student's: what it reports about its own behaviour
  (inputs unchanged, peak memory) can be forged; values are always re-checked here.
"""
import ast
import json
import os
import signal
import time

import pytest

from autograder import registry, runner
from autograder.judge import grading, sandbox
from autograder.judge import worker_process
from autograder.judge.sandbox import Worker
from autograder.judge.submission import Submission
from tests.helpers import ROOT, grade_source, run_cli, solution_source, with_replacement

TARGET = "compute_distances_one_loop"
KNN = registry.load("knn")
ALL_TESTS = sorted(t.name for t in KNN.tests)
TARGET_TESTS = sorted(t.name for t in KNN.tests if t.function == TARGET)
FAST = dict(timeout=5.0, memory_mb=512)
HANG = dict(timeout=2.0, memory_mb=512)   # the whole submission gets this limit: not too tight


# ---------------------------------------------------------------- helpers
def processes_with(marker):
    """Live processes whose command line has ``marker`` as one argument."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid, "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in args and state != b"Z":
            found.append(int(pid))
    return found


_BEFORE = set()     # this process's children when the running test began


@pytest.fixture(autouse=True)
def children_before():
    """What the test process ran before this test (another test file's Dask cluster
    leaves multiprocessing's resource tracker, a child for life) is not this test's
    leftover; anything new is."""
    _BEFORE.clear()
    _BEFORE.update(worker_process.children_of(os.getpid()))
    yield


def assert_nothing_left(*markers):
    """No new child of this process (workers, supervisors) and no process with a
    marker."""
    deadline = time.monotonic() + 2
    while True:
        children = sorted(set(worker_process.children_of(os.getpid())) - _BEFORE)
        left = {m: processes_with(m) for m in markers}
        if not children and not any(left.values()):
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for pids in left.values():          # do not leak them into the other tests
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    assert children == [] and not any(left.values()), \
        "left running: children %s, marked %s" % (children, left)


def assert_contained(results, function, status, *feedback):
    """The tests of ``function`` score 0 with ``status`` and feedback containing every
    string in ``feedback``; every other test is graded and passes."""
    assert sorted(results) == ALL_TESTS
    for name, result in results.items():
        if result.function == function:
            assert (result.status, result.score) == (status, 0), (name, result)
            for text in feedback:
                assert text in result.feedback, (name, result.feedback)
        else:
            assert (result.status, result.score) == ("passed", result.max_score), \
                (name, result.status, result.feedback)
    assert_nothing_left()


def hostile(body, function=TARGET, params="X_test, X_train", prelude=""):
    """The correct solution with ``function`` replaced by one running ``body``."""
    indented = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return with_replacement("knn", "%s\ndef %s(%s):\n%s\n" % (prelude, function, params,
                                                              indented))


def solution_functions():
    """{name: source} of the solution's functions, and its header (imports)."""
    source = solution_source("knn")
    tree = ast.parse(source)
    parts = {node.name: ast.get_source_segment(source, node) for node in tree.body
             if isinstance(node, ast.FunctionDef)}
    return parts, "import numpy as np\n"


def grade_cells(cells, **options):
    sub = Submission("<test>", [{"source": src, "label": "cell %d" % (i + 1)}
                                for i, src in enumerate(cells)], "knn")
    report = grading.grade_submission(sub, runner.Options(assignment="knn", **options))
    return {r.name: r for r in report.results}, report


def write(tmp_path, source, name="knn.py"):
    path = tmp_path / name
    path.write_text(source)
    return str(path)


@pytest.fixture(scope="module")
def confined():
    """The Landlock ABI the worker runs under here (0: none)."""
    worker = Worker([{"source": "x = 1", "label": "cell 1"}])
    try:
        return worker.start()["confined"]
    finally:
        worker.stop()


def needs_landlock(confined, abi=1):
    if confined < abi:
        pytest.skip("Landlock ABI >= %d not available (worker confined at ABI %d)"
                    % (abi, confined))


# ---------------------------------------------------------------- hangs
def test_hanging_function_times_out():
    results, _ = grade_source(hostile("while True:\n    pass"), "knn", **HANG)
    assert_contained(results, TARGET, "timeout",
                     "compute_distances_one_loop timed out during the test "
                     "(limit reached, worker killed)")


def test_sleep_ignoring_sigterm_times_out():
    body = """
import signal, time
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
time.sleep(1000)
"""
    results, _ = grade_source(hostile(body), "knn", **HANG)
    assert_contained(results, TARGET, "timeout", "timed out during the test")


# ---------------------------------------------------------------- exits and signals
@pytest.mark.parametrize("body, feedback", [
    ("exit()", "compute_distances_one_loop called exit() (SystemExit None)"),
    ("import sys\nsys.exit(3)", "compute_distances_one_loop called exit() (SystemExit 3)"),
    ("import os\nos._exit(0)", "compute_distances_one_loop the submission's process "
                               "exited with status 0 during the test"),
    ("raise KeyboardInterrupt", "compute_distances_one_loop raised KeyboardInterrupt"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
     "the submission's process was killed by SIGKILL"),
    ("import ctypes\nctypes.string_at(0)", "compute_distances_one_loop the submission's "
                                           "process was killed by SIGSEGV during the test"),
])
def test_exit_or_crash_inside_a_function(body, feedback):
    results, _ = grade_source(hostile(body), "knn", **FAST)
    assert_contained(results, TARGET, "error", feedback)


def test_crash_while_a_forked_child_holds_the_pipes():
    """The worker dies while a fork of it (inheriting the control pipe) sleeps on: the
    supervisor kills the fork, so the judge sees the death at once, not a timeout."""
    body = """
import os, time
if os.fork() == 0:
    os.execvp("sleep", ["sleep", "1000.4117"])
time.sleep(0.05)
os._exit(0)
"""
    started = time.monotonic()
    results, _ = grade_source(hostile(body), "knn", timeout=30, memory_mb=512)
    assert time.monotonic() - started < 15
    assert_contained(results, TARGET, "error", "exited with status 0 during the test")
    assert_nothing_left("1000.4117")


def test_fork_returning_into_the_worker_does_not_answer():
    """A fork that returns from student code must not reply in the worker's place
    (two replies would shift every later answer by one)."""
    body = """
import os
os.fork()
return compute_distances_two_loops(X_test, X_train)
"""
    results, _ = grade_source(hostile(body), "knn", **FAST)
    assert {r.status for r in results.values()} == {"passed"}
    assert_nothing_left()


# ---------------------------------------------------------------- at import (top level)
@pytest.mark.parametrize("statement, note", [
    ("exit()", "SystemExit: None (line 2 of cell 2, in <module>)"),
    ("sys.exit(3)", "SystemExit: 3 (line 2 of cell 2, in <module>)"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt:  (line 2 of cell 2, in <module>)"),
    ("os._exit(0)", "SkippedCell: the submission's process exited with status 0 while "
                    "running this cell; the cell was skipped and the rest loaded without "
                    "it (cell 2)"),
    ("ctypes.string_at(0)", "SkippedCell: the submission's process was killed by SIGSEGV "
                            "while running this cell"),
    ("x = bytearray(10 ** 10)", "MemoryError: "),
])
def test_exit_or_crash_at_import(statement, note):
    """Cell 2 dies before defining its function: only that function's tests are lost,
    the other cells (before and after it) are loaded and graded."""
    parts, header = solution_functions()
    cells = [header + "\n\n".join(v for k, v in parts.items()
                                  if k not in (TARGET, "cross_validate_k")),
             "import os, sys, ctypes\n%s\n%s" % (statement, parts[TARGET]),
             header + parts["cross_validate_k"]]
    results, report = grade_cells(cells, memory_mb=512)
    assert_contained(results, TARGET, "error",
                     "compute_distances_one_loop is not defined in the submission")
    notes = ["%s: %s%s" % (e["type"], e["message"], e["where"]) for e in report.load_errors]
    assert len(notes) == 1 and notes[0].startswith(note), notes


def test_hang_at_import_skips_the_cell():
    parts, header = solution_functions()
    cells = [{"source": header + parts["predict_labels"], "label": "cell 1"},
             {"source": "while True:\n    pass\n", "label": "cell 2"},
             {"source": header + parts[TARGET], "label": "cell 3"}]
    worker = Worker(cells, memory_mb=512, load_timeout=1)
    try:
        info = worker.start()
        assert {"predict_labels", TARGET} <= set(info["names"])
        assert info["cell_errors"] == [{
            "type": "SkippedCell", "where": " (cell 2)",
            "message": "this cell did not finish within 1 s; the cell was skipped and the "
                       "rest loaded without it"}]
        worker.restart()                 # the skip is remembered: no second 1 s wait
        assert worker.load_info["cell_errors"][0]["type"] == "SkippedCell"
    finally:
        worker.stop()
    assert_nothing_left()


def test_python_file_with_os_exit_between_definitions(tmp_path):
    """A .py submission runs statement by statement: a top-level os._exit costs only
    itself (CLI, JSON report, exit status 0)."""
    source = solution_source("knn").replace(
        "\ndef predict_labels", "\nimport os\nos._exit(0)\n\n\ndef predict_labels")
    proc = run_cli("grade", write(tmp_path, source), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["score"] == report["max_score"] == KNN.max_score
    (note,) = report["submissions"][0]["load_errors"]
    assert note.startswith("SkippedCell: the submission's process exited with status 0")


# ---------------------------------------------------------------- memory
@pytest.mark.parametrize("body, feedback", [
    ("import numpy as np\nreturn np.ones(10 ** 10 // 8)",
     "compute_distances_one_loop raised MemoryError: Unable to allocate 9.31 GiB"),
    ("return bytearray(10 ** 10)", "compute_distances_one_loop raised MemoryError"),
    ("blocks = []\nwhile True:\n    blocks.append(bytearray(10 ** 7))",
     "compute_distances_one_loop raised MemoryError"),
])
def test_memory_bomb_in_a_function(body, feedback):
    results, _ = grade_source(hostile(body), "knn", timeout=10, memory_mb=256)
    assert_contained(results, TARGET, "error", feedback)


def test_shared_memory_bomb_is_killed():
    """Shared mappings escape RLIMIT_DATA; the judge's memory watch kills the worker."""
    body = """
import mmap
m = mmap.mmap(-1, 10 * 2 ** 30)
for i in range(0, len(m), 4096):
    m[i] = 1
"""
    results, _ = grade_source(hostile(body), "knn", timeout=20, memory_mb=128)
    assert_contained(results, TARGET, "error", "the submission's process used",
                     "more than the 128 MB limit, shared memory included) during the test; "
                     "it was killed")


# ---------------------------------------------------------------- output
FLOOD = """
import sys
if not FLOODED:
    FLOODED.append(1)
    chunk = "x" * (1 << 20) + "\\n"
    for _ in range(100):
        print(chunk, end="")
        sys.stderr.write(chunk)
    print('{"score": 999, "max_score": 19, "tests": []}')
return compute_distances_two_loops(X_test, X_train)
"""


def test_output_flood_is_truncated():
    results, report = grade_source(hostile(FLOOD, prelude="FLOODED = []"), "knn", **FAST)
    assert {r.status for r in results.values()} == {"passed"}
    assert len(report.output) < 2 * 64 * 1024
    assert "more bytes of output dropped]" in report.output
    assert_nothing_left()


def test_output_flood_leaves_the_cli_json_valid(tmp_path):
    path = write(tmp_path, hostile(FLOOD, prelude="FLOODED = []"))
    proc = run_cli("grade", path, "--format", "json")
    assert proc.returncode == 0, proc.stderr[-500:]
    report = json.loads(proc.stdout)
    assert report["score"] == report["max_score"] == KNN.max_score
    assert len(proc.stdout) < 100000 and len(proc.stderr) < 1000


# ---------------------------------------------------------------- patching
WRONG = "return np.zeros((X_test.shape[0], X_train.shape[0]))"


@pytest.mark.parametrize("patch", [
    "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
    "np.array_equal = lambda *a, **k: True",
    "np.testing.assert_allclose = lambda *a, **k: None\n"
    "np.testing.assert_array_equal = lambda *a, **k: None",
    "np.isnan = lambda x: np.zeros(np.shape(x), dtype=bool)\n"
    "np.count_nonzero = lambda *a, **k: 0",
])
def test_patching_numpy_changes_no_verdict(patch):
    source = hostile("import numpy as np\n" + WRONG, prelude="import numpy as np\n" + patch)
    results, _ = grade_source(source, "knn", **FAST)
    assert_contained(results, TARGET, "failed", "dists[", "expected", "got 0")


@pytest.mark.parametrize("body, feedback", [
    ("import autograder.compare\n"
     "autograder.compare.check_array = lambda *a, **k: None\n" + WRONG,
     "raised ImportError: 'autograder' cannot be imported during grading"),
    ("import sys, types\n"
     "fake = types.ModuleType('autograder.compare')\n"
     "fake.check_array = lambda *a, **k: None\n"
     "sys.modules['autograder'] = types.ModuleType('autograder')\n"
     "sys.modules['autograder'].compare = fake\n"
     "sys.modules['autograder.compare'] = fake\n"
     "import autograder.compare\n"
     "autograder.compare.check_array('x', 1, 2)\n" + WRONG,
     "dists["),
])
def test_patching_the_grader_changes_no_verdict(body, feedback):
    source = hostile("import numpy as np\n" + body)
    results, _ = grade_source(source, "knn", **FAST)
    status = "error" if "ImportError" in feedback else "failed"
    assert_contained(results, TARGET, status, feedback)


def test_garbage_on_the_control_pipe():
    """A reply forged on the worker's own pipe (nested too deep to parse) is refused,
    and the worker is restarted for the other tests."""
    body = """
import os, sys, struct
data = b"[" * 200000 + b"]" * 200000
os.write(int(sys.argv[2]), struct.pack("<Q", len(data)) + data)
import time; time.sleep(5)
"""
    results, _ = grade_source(hostile(body), "knn", **FAST)
    assert_contained(results, TARGET, "error", "the worker sent a malformed reply")


# ---------------------------------------------------------------- forged reports
FORGE = """
import json, os, numpy as np
fake = json.dumps({"score": 999.0, "max_score": 19.0, "tests": []})
sup = os.getppid()
with open("/proc/%d/stat" % sup) as f:
    judge = int(f.read().rsplit(")", 1)[1].split()[1])
with open("/proc/%d/cmdline" % judge, "rb") as f:
    argv = [a.decode() for a in f.read().split(b"\\0")]
targets = ["results.json"]
if "--out" in argv:
    out = argv[argv.index("--out") + 1]
    targets += [out, os.path.join(os.path.dirname(out), "results.json")]
for target in targets:
    try:
        with open(target, "w") as f:
            f.write(fake)
    except OSError:
        pass
for fd in (1, 2):
    os.write(fd, fake.encode())
if INJECT:     # the judge's own stdout: only Landlock (no ptrace access) refuses it
    try:
        with open("/proc/%d/fd/1" % judge, "w") as f:
            f.write(fake)
    except OSError:
        pass
return np.zeros((X_test.shape[0], X_train.shape[0]))
"""


def test_forged_reports_do_not_reach_the_cli_stdout(tmp_path, confined):
    source = hostile(FORGE, prelude="INJECT = %r" % bool(confined))
    proc = run_cli("grade", write(tmp_path, source), "--format", "json", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)              # valid JSON, nothing injected
    assert report["score"] == KNN.max_score - 3
    assert {t["status"] for t in report["tests"] if t["function"] == TARGET} == {"failed"}
    assert not (tmp_path / "results.json").exists()


def test_forged_reports_do_not_replace_the_out_file(tmp_path, confined):
    out = tmp_path / "reports" / "report.json"
    out.parent.mkdir()
    source = hostile(FORGE, prelude="INJECT = %r" % bool(confined))
    proc = run_cli("grade", write(tmp_path, source), "--format", "json",
                   "--out", str(out), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    report = json.loads(out.read_text())
    assert report["score"] == KNN.max_score - 3
    planted = out.parent / "results.json"
    if confined:                                   # Landlock: no write outside scratch
        assert not planted.exists()
    assert sorted(p.name for p in out.parent.iterdir()) in (
        ["report.json"], ["report.json", "results.json"])


# ---------------------------------------------------------------- the reference
REF = os.path.join(ROOT, "reference", "knn.py")
IMPORT_ATTACKS = [
    ("import reference.knn as r\nreturn r.compute_distances_one_loop(X_test, X_train)",
     "raised ImportError: 'reference' cannot be imported during grading"),
    ("ns = {}\nexec('from reference.knn import *', ns)\n"
     "return ns['compute_distances_one_loop'](X_test, X_train)",
     "raised ImportError: 'reference' cannot be imported during grading"),
    ("import importlib\nr = importlib.import_module('reference.knn')\n"
     "return r.compute_distances_one_loop(X_test, X_train)",
     "raised ImportError: 'reference' cannot be imported during grading"),
    # Remove the import blocker, put the checkout on the path: the files stay unreadable.
    ("import sys\nsys.meta_path[:] = [m for m in sys.meta_path\n"
     "                    if type(m).__name__ != '_BlockProjectImports']\n"
     "sys.path.append(%r)\nimport reference.knn as r\n"
     "return r.compute_distances_one_loop(X_test, X_train)" % ROOT,
     "raised PermissionError: %s/reference/__init__.py: the grader's files cannot be read "
     "during grading" % ROOT),
    ("ns = {}\nexec(open(%r).read(), ns)\n"
     "return ns['compute_distances_one_loop'](X_test, X_train)" % REF,
     "raised PermissionError: %s: the grader's files cannot be read during grading" % REF),
    ("import importlib.util\n"
     "spec = importlib.util.spec_from_file_location('r', %r)\n"
     "r = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(r)\n"
     "return r.compute_distances_one_loop(X_test, X_train)" % REF,
     "the grader's files cannot be read during grading"),
    ("ns = {}\nexec(open(%r).read(), ns)\nreturn None"
     % os.path.join(ROOT, "autograder", "checks", "knn.py"),
     "the grader's files cannot be read during grading"),
]
BYPASS_ATTACKS = [      # past the audit hook: only Landlock stops these
    ("import ctypes, os\nfd = ctypes.CDLL(None).open(%r.encode(), os.O_RDONLY)\n"
     "ns = {}\nexec(os.read(fd, 1 << 20).decode(), ns) if fd >= 0 else None\n"
     "return ns['compute_distances_one_loop'](X_test, X_train)" % REF,
     "raised KeyError: 'compute_distances_one_loop'"),
    ("import subprocess\nns = {}\n"
     "exec(subprocess.check_output(['cat', %r]).decode(), ns)\n"
     "return ns['compute_distances_one_loop'](X_test, X_train)" % REF,
     "raised CalledProcessError"),
]


@pytest.mark.parametrize("body, feedback", IMPORT_ATTACKS)
def test_reference_cannot_be_imported_or_read(body, feedback):
    results, _ = grade_source(hostile(body), "knn", **FAST)
    assert_contained(results, TARGET, "error", feedback)


@pytest.mark.parametrize("body, feedback", BYPASS_ATTACKS)
def test_reference_cannot_be_read_past_python(body, feedback, confined):
    needs_landlock(confined)
    results, _ = grade_source(hostile(body), "knn", **FAST)
    assert_contained(results, TARGET, "error", feedback)


# ---------------------------------------------------------------- lying values
LIARS = [  # (body, feedback...)
    ("class Liar(float):\n"
     "    def __eq__(self, other): return True\n"
     "    def __float__(self): return 0.0\n"
     "return Liar(0.0)",
     "dists: expected an array of shape", "got a float"),
    ("class Liar(np.ndarray):\n"
     "    def __eq__(self, other): return np.ones(self.shape, dtype=bool)\n"
     "    def __array__(self, *a, **k): return np.asarray(EXPECTED)\n"
     "EXPECTED = compute_distances_two_loops(X_test, X_train)\n"
     "return np.zeros(EXPECTED.shape).view(Liar)",
     "dists[", "got 0"),
    ("class Liar:\n"
     "    def __eq__(self, other): return True\n"
     "    def __float__(self): return 1.0\n"
     "    def __array__(self, *a, **k): return compute_distances_two_loops(X_test, X_train)\n"
     "return Liar()",
     "got Liar (not plain data)"),
    ("class Liar:\n"
     "    __class__ = property(lambda self: np.ndarray)\n"
     "    def __eq__(self, other): return True\n"
     "return Liar()",
     "dists: expected an array of shape"),
    ("class Liar(list):\n"
     "    def __eq__(self, other): return True\n"
     "return Liar(compute_distances_two_loops(X_test, X_train).tolist())",
     "got a list"),
]


@pytest.mark.parametrize("case", LIARS, ids=["float", "ndarray", "object", "class", "list"])
def test_lying_results_do_not_pass(case):
    body, *feedback = case
    results, _ = grade_source(hostile("import numpy as np\n" + body), "knn", **FAST)
    assert_contained(results, TARGET, "failed", *feedback)


# ---------------------------------------------------------------- leftover processes
SPAWN = """
import os, subprocess
if not SPAWNED:
    SPAWNED.append(1)
    subprocess.Popen(["sleep", "1000.%(m)s1"])
    if os.fork() == 0:                                  # double fork, new session
        os.setsid()
        if os.fork() == 0:
            os.execvpe("sleep", ["sleep", "1000.%(m)s2"], {})
        os._exit(0)
    subprocess.Popen(["sleep", "1000.%(m)s3"], env={}, start_new_session=True,
                     close_fds=True)
    import time
    time.sleep(0.2)
return compute_distances_two_loops(X_test, X_train)
"""


def test_leftover_processes_are_killed_in_process():
    marker = "%d7" % os.getpid()
    source = hostile(SPAWN % {"m": marker}, prelude="SPAWNED = []")
    results, _ = grade_source(source, "knn", **FAST)
    assert {r.status for r in results.values()} == {"passed"}
    assert_nothing_left(*["1000.%s%d" % (marker, i) for i in (1, 2, 3)])


def test_leftover_processes_are_killed_by_the_cli(tmp_path):
    marker = "%d8" % os.getpid()
    path = write(tmp_path, hostile(SPAWN % {"m": marker}, prelude="SPAWNED = []"))
    proc = run_cli("grade", path, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["score"] == KNN.max_score
    assert_nothing_left(*["1000.%s%d" % (marker, i) for i in (1, 2, 3)])


def test_leftovers_of_a_hanging_function_are_killed():
    marker = "%d9" % os.getpid()
    body = ("import subprocess\nsubprocess.Popen(['sleep', '1000.%s'], env={}, "
            "start_new_session=True)\nwhile True:\n    pass" % marker)
    results, _ = grade_source(hostile(body), "knn", **HANG)
    assert_contained(results, TARGET, "timeout", "timed out during the test")
    assert_nothing_left("1000." + marker)


def test_the_judge_cannot_be_signalled(tmp_path, confined):
    needs_landlock(confined, abi=6)
    body = """
import os, signal
sup = os.getppid()
with open("/proc/%d/stat" % sup) as f:
    judge = int(f.read().rsplit(")", 1)[1].split()[1])
for pid in (judge, sup):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as exc:
        errors = exc
raise errors
"""
    proc = run_cli("grade", write(tmp_path, hostile(body)), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["score"] == KNN.max_score - 3
    feedback = {t["feedback"] for t in report["tests"] if t["function"] == TARGET}
    assert all("raised PermissionError: [Errno 1] Operation not permitted" in f
               for f in feedback), feedback


# ---------------------------------------------------------------- files
def test_worker_runs_in_a_removed_scratch_folder(tmp_path, monkeypatch):
    made = []
    real_mkdtemp = sandbox.tempfile.mkdtemp

    def recording(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sandbox.tempfile, "mkdtemp", recording)
    monkeypatch.chdir(tmp_path)
    body = """
import os, stat
with open("junk.txt", "w") as f:
    f.write(os.getcwd())
os.makedirs("locked/inner", exist_ok=True)
open("locked/inner/file", "w").close()
os.chmod("locked/inner", 0o500)
os.chmod("locked", 0o500)
return compute_distances_two_loops(X_test, X_train)
"""
    results, report = grade_source(hostile(body), "knn", **FAST)
    assert {r.status for r in results.values()} == {"passed"}
    assert list(tmp_path.iterdir()) == []
    assert made and all(os.path.basename(d).startswith("autograder-") for d in made)
    assert [d for d in made if os.path.exists(d)] == []
    assert_nothing_left()


def test_writes_outside_the_scratch_folder_are_refused(tmp_path, confined):
    needs_landlock(confined)
    target = tmp_path / "planted.pth"
    body = "open(%r, 'w').write('import os')\nreturn None" % str(target)
    results, _ = grade_source(hostile(body), "knn", **FAST)
    assert_contained(results, TARGET, "error", "raised PermissionError: [Errno 13] "
                                               "Permission denied")
    assert not target.exists()


# ---------------------------------------------------------------- CLI exit status
def test_cli_exit_status_is_0_for_a_zero_score(tmp_path):
    source = "\n".join("def %s(*args, **kwargs):\n    for _ in ():\n        pass\n"
                       "    raise RuntimeError('no')\n" % f for f in KNN.functions)
    proc = run_cli("grade", write(tmp_path, source), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["score"] == 0 and report["max_score"] == KNN.max_score


def _broken_notebook(tmp_path):
    path = tmp_path / "knn.ipynb"
    path.write_text('{"cells": [')
    return str(path)


@pytest.mark.parametrize("make_args, message", [
    (lambda p: ["grade", str(p / "missing.ipynb")], "missing.ipynb: no such file or folder"),
    (lambda p: ["grade", _broken_notebook(p)], "not a valid notebook (broken JSON"),
    (lambda p: ["grade", write(p, solution_source("knn")), "--assignment", "knnn"],
     "unknown assignment 'knnn' (did you mean knn?)"),
    (lambda p: ["grade", write(p, solution_source("knn")), "--only", "predict_label"],
     "--only: predict_label is not a function of knn (did you mean predict_labels?)"),
    (lambda p: ["grade", write(p, solution_source("knn")), "--timeout", "soon"],
     "argument --timeout: invalid float value: 'soon'"),
    (lambda p: ["grade", write(p, solution_source("knn")), "--timeout", "0"],
     "--timeout must be a positive number of seconds, got 0.0"),
    (lambda p: ["grade", write(p, solution_source("knn")), "--timeout", "nan"],
     "--timeout must be a positive number of seconds, got nan"),
    (lambda p: ["grade", write(p, solution_source("knn")), "--timeout", "inf"],
     "--timeout must be a positive number of seconds, got inf"),
])
def test_cli_usage_errors_exit_2_with_one_line(tmp_path, make_args, message):
    proc = run_cli(*make_args(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("autograder: error: ") and message in lines[0], lines


def test_a_reply_without_the_kept_inputs_fails_closed():
    """The backward-through-the-cache check needs the forward's inputs back from the
    submission's process; a reply that leaves them out (a tampered worker) scores the
    test 0 with a sentence, never a pass."""
    from autograder import local, registry, runner
    from autograder.structure import Source
    from tests.helpers import solution_source

    namespace = {"__name__": "__main__"}
    exec(solution_source("dropout"), namespace)

    class Tampered(local.LocalWorker):
        def request(self, message, deadline, during="the test"):
            reply = super().request(message, deadline, during)
            for result in reply.get("results", []):
                result.pop("kept_args", None)
            return reply

    spec = registry.load("dropout")
    test = next(t for t in spec.tests if t.name == "dropout_backward.uses_forward_mask")
    result = runner.run_test(spec, test, Tampered(namespace, 10.0), runner.Options(),
                             Source([]))
    assert result.status == "failed" and result.score == 0
    assert "the submission's process did not send back the arrays dropout_forward " \
           "received" in result.feedback
