"""The judge's side: what grades, and never ships to students.

The isolated worker process (sandbox), submission loading, batches and their store,
Dask pools, reports, the command line, nbgrader's autograde preprocessors and the
build of the student kit (release).  Everything above this folder is the kernel's
side and ships in the student kit (``release.kit_modules``)."""
