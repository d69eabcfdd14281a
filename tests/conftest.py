"""How the suite shares two CPU cores (``pytest -n 2``).

* The long tests (marked ``slow``) start first, so the run does not end with one
  worker still busy on them while the other has nothing left to do.
* One BLAS/OpenMP thread per process (the grader's own worker processes already run
  so): two test workers, each running a kernel or a judge, on two cores, would
  otherwise each spin two threads and slow every heavy test down two- to threefold.
  Set the variables yourself to override.
* Expensive fixtures (the student's virtual environment, the nbgrader courses, a
  release build) are session-scoped, so moving between test files does not rebuild
  them; the student's environment is built once per run for all workers.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)   # stable
