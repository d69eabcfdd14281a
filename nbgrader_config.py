"""nbgrader configuration: solutions/ is the instructor source, assignments/ the release."""
c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"


def _cell_timeout():
    """Seconds a grade cell may take: the first one grades the whole notebook in the
    isolated judge, where every test has its own limit; nbgrader must not cut that
    short (a hang must end in the grader's "timed out" feedback, not CellTimeoutError).
    Worst case: every test times out, and each time-out restarts the worker, which runs
    the submission's cells again (at most the load limit)."""
    try:
        from autograder import config, registry
    except ImportError:        # nbgrader run outside the project's environment
        return 1800
    worst = max(sum(max(config.TIMEOUT_S, t.min_timeout or 0) + config.LOAD_TIMEOUT_S
                    for t in a.tests) for a in registry.all_assignments())
    return int(worst + config.LOAD_TIMEOUT_S + 120)


c.ExecutePreprocessor.timeout = _cell_timeout()


def _autograde_preprocessors():
    """nbgrader's autograde steps, with the isolated judge's around them: it grades the
    submission before its kernel runs, and its points replace whatever the grade cells
    output (autograder/judge/nbgrader_judge.py).  Without the project's package nbgrader stops
    with an import error rather than trusting the kernel."""
    from nbgrader.converters.autograde import Autograde
    from autograder.judge.nbgrader_judge import autograde_steps

    return autograde_steps(Autograde.class_traits()["autograde_preprocessors"].default())


c.Autograde.autograde_preprocessors = _autograde_preprocessors()
