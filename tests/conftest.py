"""How the suite shares two CPU cores (``pytest -n 2``; ``--dist loadgroup`` is in
pyproject.toml).

* Tests that use an expensive module fixture (a student's virtual environment, the
  nbgrader courses, a class graded once, a Dask cluster, a release build) stay on one
  worker, so the fixture is built once, not once per worker.
* The long tests (marked ``slow``) start first, so the run does not end with one worker
  still busy on them while the other has nothing left to do.
"""
import pytest

SHARED_FIXTURES = ("student_python", "course", "fresh_build", "cluster", "mixed",
                   "gradebook", "uninterrupted")


def pytest_collection_modifyitems(config, items):
    for item in items:
        shared = [name for name in SHARED_FIXTURES if name in item.fixturenames]
        if shared:
            item.add_marker(pytest.mark.xdist_group("%s:%s" % (item.path.stem, shared[0])))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)   # stable
