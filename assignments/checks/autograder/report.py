"""Render grading results: text for people, JSON for CI (the SPEC's format)."""
import json
import re


def to_dict(reports):
    tests = []
    for rep in reports:
        for r in rep.results:
            tests.append({"name": r.name, "assignment": r.assignment, "function": r.function,
                          "score": r.score, "max_score": r.max_score, "status": r.status,
                          "feedback": r.feedback, "hidden": r.hidden, "submission": rep.path})
    return {
        "score": sum(rep.score for rep in reports),
        "max_score": sum(rep.max_score for rep in reports),
        "tests": tests,
        "submissions": [{"path": rep.path, "assignment": rep.assignment, "score": rep.score,
                         "max_score": rep.max_score, "seconds": round(rep.seconds, 3),
                         "load_errors": [_load_error(e) for e in rep.load_errors],
                         "problem": rep.problem}
                        for rep in reports],
    }


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


def render_json(reports):
    return json.dumps(to_dict(reports), indent=2)


def render_gradescope(reports):
    """Gradescope's results.json: one test per check, visibility by hidden flag."""
    data = to_dict(reports)
    return json.dumps({
        "score": data["score"],
        "tests": [{"name": t["name"], "score": t["score"], "max_score": t["max_score"],
                   "status": "passed" if t["status"] == "passed" else "failed",
                   "output": t["feedback"] or t["status"],
                   "visibility": "after_published" if t["hidden"] else "visible"}
                  for t in data["tests"]],
    }, indent=2)


def render_junit(reports):
    """JUnit XML, one testsuite per submission, for CI dashboards."""
    from xml.etree import ElementTree as ET

    root = ET.Element("testsuites")
    for rep in reports:
        suite = ET.SubElement(root, "testsuite", name="%s:%s" % (rep.assignment, rep.path),
                              tests=str(len(rep.results)),
                              failures=str(sum(r.status == "failed" for r in rep.results)),
                              errors=str(sum(r.status in ("error", "timeout")
                                             for r in rep.results)),
                              time="%.3f" % rep.seconds)
        for r in rep.results:
            case = ET.SubElement(suite, "testcase", classname=r.assignment, name=r.name)
            if r.status == "failed":
                ET.SubElement(case, "failure", message=r.feedback).text = r.feedback
            elif r.status != "passed":
                ET.SubElement(case, "error", message=r.feedback, type=r.status).text = r.feedback
    return ET.tostring(root, encoding="unicode") + "\n"


RENDERERS = {"text": None, "json": render_json, "gradescope": render_gradescope,
             "junit": render_junit}


def render(reports, fmt):
    return (RENDERERS[fmt] or render_text)(reports)


STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}


def render_text(reports):
    lines = []
    for rep in reports:
        lines.append("%s  (%s)  %s / %s points" % (rep.path, rep.assignment,
                                                  _num(rep.score), _num(rep.max_score)))
        lines += ["  note: %s" % note for note in load_notes(rep.load_errors)]
        if rep.problem:           # nothing was graded: one line, not one per test
            lines.append("  %s" % rep.problem)
            continue
        width = max([len(r.name) for r in rep.results] + [10])
        for r in rep.results:
            lines.append("  %-7s %-*s %5s/%-4s" % (STATUS_MARK[r.status], width, r.name,
                                                  _num(r.score), _num(r.max_score)))
            if r.feedback:
                lines.append("          %s" % r.feedback)
    if len(reports) > 1:
        lines.append("Total: %s / %s points" % (_num(sum(r.score for r in reports)),
                                                 _num(sum(r.max_score for r in reports))))
    return "\n".join(lines) + "\n"


def _num(x):
    return ("%g" % x)
