"""Render grading results: text for people, JSON for CI (the SPEC's format), JUnit for
CI dashboards, a CSV gradebook and Gradescope's results.json for instructors."""
import collections
import csv
import io
import json
import os
import re

# What became of a submission: graded, or read but not graded (it is another
# assignment's: ``problem``), or not even read/graded (``error``).
GRADED, NOT_GRADED, ERROR = "graded", "not graded", "error"


def status_of(rep):
    if rep.error:
        return ERROR
    return NOT_GRADED if rep.problem else GRADED


def to_dict(reports, batch=False):
    """The SPEC's JSON.  ``batch`` (a folder's submissions): no top-level score or
    max_score, which would add up different assignments; each submission has its
    own, and ``assignments`` the totals per assignment."""
    tests = []
    for rep in reports:
        for r in rep.results:
            tests.append({"name": r.name, "assignment": r.assignment, "function": r.function,
                          "score": r.score, "max_score": r.max_score, "status": r.status,
                          "feedback": r.feedback, "hidden": r.hidden, "submission": rep.path})
    top = {} if batch else {"score": sum(rep.score for rep in reports),
                            "max_score": sum(rep.max_score for rep in reports)}
    return top | {
        "tests": tests,
        "submissions": [{"path": rep.path, "student": rep.student,
                         "assignment": rep.assignment, "score": rep.score,
                         "max_score": rep.max_score, "seconds": round(rep.seconds, 3),
                         "status": status_of(rep), "error": rep.error,
                         "load_errors": [_load_error(e) for e in rep.load_errors],
                         "problem": rep.problem}
                        for rep in reports],
        "assignments": totals(reports),
    }


def totals(reports):
    """Per assignment (never added across assignments): how many submissions were
    graded, not graded (another assignment's) or in error, and the points of all of
    them and of the graded ones."""
    out = {}
    for rep in reports:
        entry = out.setdefault(rep.assignment or "", dict.fromkeys(
            ("submissions", GRADED, NOT_GRADED, ERROR), 0) | dict.fromkeys(
            ("score", "max_score", "graded_score", "graded_max_score"), 0.0))
        status = status_of(rep)
        entry["submissions"] += 1
        entry[status] += 1
        entry["score"] += rep.score
        entry["max_score"] += rep.max_score
        if status == GRADED:
            entry["graded_score"] += rep.score
            entry["graded_max_score"] += rep.max_score
    return dict(sorted(out.items()))


def _load_error(e):
    return "%s: %s%s" % (e.get("type"), e.get("message"), e.get("where", ""))


BLOCKED_IMPORT = "cannot be imported during grading"
MAX_PLACES = 10       # cells or lines listed in a note


def _places(errors):
    """Where errors happened: "cell 4", "cells 4, 9" (notebooks), "lines 45, 46" (.py)."""
    cells, lines = [], []
    for e in errors:
        where = e.get("where", "")
        cell = re.search(r"of cell (\d+)", where)
        line = re.search(r"line (\d+)", where)
        if cell:
            cells.append(cell.group(1))
        elif line:
            lines.append(line.group(1))
    parts = []
    for kind, found in (("cell", cells), ("line", lines)):
        found = list(dict.fromkeys(found))
        if found:
            shown = ", ".join(found[:MAX_PLACES]) + (
                ", ... (%d in all)" % len(found) if len(found) > MAX_PLACES else "")
            parts.append("%s %s" % (kind if len(found) == 1 else kind + "s", shown))
    return "; ".join(parts) or "?"


def load_notes(load_errors):
    """The load errors for people.  A notebook's ``from autograder... import`` is refused
    by design while grading; the NameErrors it causes later (data, plots, check calls)
    are folded into one note instead of one line each."""
    blocked = [e for e in load_errors if e.get("type") == "ImportError"
               and BLOCKED_IMPORT in e.get("message", "")]
    if not blocked:
        return ["while loading, %s" % _load_error(e) for e in load_errors]
    downstream = [e for e in load_errors if e.get("type") == "NameError"]
    others = [e for e in load_errors if e not in blocked and e not in downstream]
    downstream = list({e.get("where", ""): e for e in downstream}.values())  # one a place
    summary = "the project cannot be imported while grading (%s)" % _places(blocked)
    if downstream:
        unit = "cell" if all("of cell " in e.get("where", "") for e in downstream) \
            else "statement"
        summary += ", so %d later %s%s using what it defines did not run (%s): " \
                   "expected for data, plotting and check cells" % (
                       len(downstream), unit, "" if len(downstream) == 1 else "s",
                       _places(downstream))
    return [summary] + ["while loading, %s" % _load_error(e) for e in others]


def skipped_cells(load_errors):
    """One line per cell skipped while loading (it did not finish, or it killed the
    process: an endless loop, a 10 GB allocation): what it defined was not graded."""
    return ["%s was skipped while loading: %s" % (
        e.get("where", "").strip(" ()") or "a cell",
        e.get("message", "").split("; the cell was skipped")[0])
        for e in load_errors if e.get("type") == "SkippedCell"]


def note(rep):
    """A submission's note for a gradebook: why it was not graded, and the cells
    skipped while loading it."""
    return "; ".join(([rep.error or rep.problem] if rep.error or rep.problem else [])
                     + skipped_cells(rep.load_errors))


def render_json(reports, batch=False):
    return json.dumps(to_dict(reports, batch), indent=2)


def render_gradescope(reports):
    """Gradescope's results.json: one test per check, visibility by hidden flag; the
    submission (path, student, assignment, status) in ``extra_data``; its note (why it
    was not graded, the cells skipped while loading) and load errors in ``output``.  A
    batch gets one such file per submission (``gradescope_files``)."""
    data = to_dict(reports)
    result = {
        "score": float(sum(rep.score for rep in reports)),
        "execution_time": round(sum(rep.seconds for rep in reports), 3),
        "tests": [{"name": t["name"], "score": t["score"], "max_score": t["max_score"],
                   "status": "passed" if t["status"] == "passed" else "failed",
                   "output": t["feedback"] or t["status"],
                   "visibility": "after_published" if t["hidden"] else "visible"}
                  for t in data["tests"]],
        "extra_data": {"submissions": [{k: s[k] for k in ("path", "student", "assignment",
                                                          "status")}
                                       for s in data["submissions"]]},
    }
    why = [line for rep in reports for line in [note(rep)] + load_notes(
        [e for e in rep.load_errors if e.get("type") != "SkippedCell"]) if line]
    if why:
        result["output"] = "\n".join(why)
    return json.dumps(result, indent=2)


def gradescope_files(reports, root):
    """One Gradescope results.json per submission of a batch: [(file path relative to
    the output folder, text)], in a folder named after the submission's path below
    ``root`` without its suffix (``alice/knn/knn.ipynb`` -> ``alice/knn/knn/``), or
    with it where two submissions would share one (``knn.ipynb/`` and ``knn.py/``)."""
    folders = [os.path.splitext(os.path.relpath(rep.path, root))[0] for rep in reports]
    shared = {f for f, n in collections.Counter(folders).items() if n > 1}
    return [(os.path.join(os.path.relpath(rep.path, root) if folder in shared else folder,
                          "results.json"), render_gradescope([rep]))
            for rep, folder in zip(reports, folders)]


def render_junit(reports):
    """JUnit XML, one testsuite per submission, for CI dashboards; each test case
    names its submission (``file``).  A submission that could not be read, and so
    has no test, gets one test case in error saying why."""
    from xml.etree import ElementTree as ET

    root = ET.Element("testsuites")
    for rep in reports:
        alone = bool(rep.error and not rep.results)       # the one "submission" case
        suite = ET.SubElement(root, "testsuite", name="%s:%s" % (rep.assignment, rep.path),
                              tests=str(len(rep.results) + alone),
                              failures=str(sum(r.status == "failed" for r in rep.results)),
                              errors=str(sum(r.status in ("error", "timeout")
                                             for r in rep.results) + alone),
                              time="%.3f" % rep.seconds)
        if alone:
            case = ET.SubElement(suite, "testcase", classname=rep.assignment or "submission",
                                 name="submission", file=rep.path)
            ET.SubElement(case, "error", message=rep.error, type=ERROR).text = rep.error
        for r in rep.results:
            case = ET.SubElement(suite, "testcase", classname=r.assignment, name=r.name,
                                 file=rep.path)
            if r.status == "failed":
                ET.SubElement(case, "failure", message=r.feedback).text = r.feedback
            elif r.status != "passed":
                ET.SubElement(case, "error", message=r.feedback, type=r.status).text = r.feedback
    return ET.tostring(root, encoding="unicode") + "\n"


CSV_COLUMNS = ("student", "assignment", "score", "max_score", "status", "submission", "note")


def render_csv(reports):
    """A gradebook: one row per submission (student, assignment, score, max_score),
    then its status, path and a note: why it was not graded, the cells skipped while
    loading it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rep in reports:
        writer.writerow([rep.student or "", rep.assignment or "", _num(rep.score),
                         _num(rep.max_score), status_of(rep), rep.path, note(rep)])
    return out.getvalue()


RENDERERS = {"text": None, "json": render_json, "gradescope": render_gradescope,
             "junit": render_junit, "csv": render_csv}


def render(reports, fmt, batch=False):
    """The report of ``reports`` in ``fmt``; ``batch``: a folder's (JSON without a
    total across assignments)."""
    if fmt == "json":
        return render_json(reports, batch)
    return (RENDERERS[fmt] or render_text)(reports)


STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}


def render_text(reports):
    lines = []
    for rep in reports:
        lines.append("%s  (%s)  %s / %s points" % (rep.path, rep.assignment,
                                                  _num(rep.score), _num(rep.max_score)))
        lines += ["  note: %s" % note for note in load_notes(rep.load_errors)]
        if rep.error:             # not read or not graded: one line, not one per test
            lines.append("  error: %s" % rep.error)
            continue
        if rep.problem:           # nothing was graded: one line, not one per test
            lines.append("  %s" % rep.problem)
            continue
        width = max([len(r.name) for r in rep.results] + [10])
        for r in rep.results:
            lines.append("  %-7s %-*s %5s/%-4s" % (STATUS_MARK[r.status], width, r.name,
                                                  _num(r.score), _num(r.max_score)))
            if r.feedback:
                lines.append("          %s" % r.feedback)
    text = "\n".join(lines) + "\n"
    if len(reports) > 1:
        text += "\n" + render_summary(reports)
    return text


def _columns(rep):
    """assignment, score / max, time, status (with the error, if any) of a submission."""
    return (rep.assignment or "?", "%s / %s" % (_num(rep.score), _num(rep.max_score)),
            "%.1f s" % rep.seconds if rep.seconds else "-",
            status_of(rep) + (": " + rep.error if rep.error else ""))


def describe(rep):
    """One line for one submission: assignment, points, time, status (and why)."""
    return "  ".join(_columns(rep))


def render_summary(reports):
    """A table with one line per submission (path, assignment, score / max, time,
    status), then the totals per assignment."""
    header = ("submission", "assignment", "score", "time", "status")
    lines = _table(header, [(rep.path,) + _columns(rep) for rep in reports], right=(2, 3))
    lines += [""] + _table(
        ("assignment", "submissions", GRADED, NOT_GRADED, ERROR, "mean of graded"),
        [(a or "?", str(t["submissions"]), str(t[GRADED]), str(t[NOT_GRADED]),
          str(t[ERROR]), "%s / %s" % (_num(round(t["graded_score"] / t[GRADED], 2)),
                                      _num(t["graded_max_score"] / t[GRADED]))
          if t[GRADED] else "-")
         for a, t in totals(reports).items()], right=(1, 2, 3, 4, 5))
    return "\n".join(lines) + "\n"


def _table(header, rows, right=()):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = []
    for row in [header] + rows:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def _num(x):
    return ("%g" % x)
