"""The one exception hierarchy of the autograder.

Everything the grader raises on purpose derives from ``AutograderError``; the CLI
turns any of them into a one-line message and exit status 2.  Outcomes that student
code must never swallow derive from ``BaseException`` (as pytest's outcomes do).
"""


class AutograderError(Exception):
    """Base class: a problem the grader can explain in one line."""

    def _render_traceback_(self):
        """What IPython (a notebook's kernel) shows instead of a traceback: the line."""
        return ["%s: %s" % (type(self).__name__, self)]


class UsageError(AutograderError):
    """Fires when the command line or an API call is malformed (unknown assignment,
    unknown function in ``--only``, bad option value)."""


class SubmissionError(AutograderError):
    """Fires when a submission cannot be read: missing file, broken notebook JSON,
    unsupported file type, assignment that cannot be inferred."""


class DataError(AutograderError):
    """Fires when a dataset file or folder is missing or malformed."""


class CheckFailed(AutograderError):
    """Raised by a check when the submission's answer is wrong; the message is the
    student-facing feedback."""


class StudentError(AutograderError):
    """The submission raised while a test called it; the message names the function
    and the exception (student-side traceback summarised, never the judge's)."""


class WorkerLost(BaseException):
    """The worker process died or hit its wall-clock limit while a test ran.  A
    ``BaseException`` so that no ``except Exception`` in a check (or in hypothesis)
    swallows it; ``status`` is ``"timeout"`` or ``"error"``."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class StoreError(AutograderError):
    """Fires when the results store of a batch (``--store``) cannot be opened or
    written: a folder that does not exist or is not writable, a file that is not an
    SQLite database or not an autograder store (nbgrader's gradebook, say)."""


class ClusterError(AutograderError):
    """Fires when a batch cannot run on the Dask cluster of ``--cluster``: Dask is not
    installed, the scheduler cannot be reached or has no workers, or the workers run
    another version of the grader than this checkout."""
