"""The results store of a batch: one SQLite row per graded submission, committed as
each submission finishes, so that Ctrl-C or a kill loses no finished result and the
same command run again grades only what is missing or changed.

A row is found by the submission's path relative to the batch's folder (so that the
course folder can move) and its key: a hash of what is graded (the code of each cell
as Python reads it, so that a comment or whitespace edit keeps the result, its
labels, the submission's other files, the assignment it is graded as), the grader's
version (a hash of its checks and references) and the options that change a verdict
(seed, limits, --only, --visible-only, --assignment).  Changed code, another seed or a
changed check gives another key, hence a fresh grading; the old row stays and is
simply not used.
"""
import ast
import dataclasses
import functools
import hashlib
import importlib.util
import io
import json
import os
import sqlite3
import time
import tokenize

from ..errors import StoreError
from ..runner import SubmissionReport, TestResult

DEFAULT_NAME = "autograder-results.sqlite"
SCHEMA = 1                 # PRAGMA user_version of a store this code writes
CODE_SUFFIXES = (".py", ".json")
VERDICT_OPTIONS = ("assignment", "only", "timeout", "memory_mb", "seed", "hidden")


@functools.lru_cache(maxsize=None)
def grader_version():
    """A hash of the grader's code and data: every .py and .json file of the installed
    ``autograder`` and ``reference`` packages, by path inside the package (so the same
    code installed elsewhere, on a cluster's worker say, has the same version)."""
    digest = hashlib.sha256()
    for package in ("autograder", "reference"):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        for top in (spec and spec.submodule_search_locations) or ():
            for folder, subfolders, names in os.walk(top):
                subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
                for name in sorted(n for n in names if n.endswith(CODE_SUFFIXES)):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as f:
                        content = f.read()
                    digest.update(("%s/%s\0" % (package, os.path.relpath(path, top))).encode())
                    digest.update(content + b"\0")
    return digest.hexdigest()[:16]


def submission_key(sub, options):
    """The key of a submission's result (see the module's docstring)."""
    verdict = {name: getattr(options, name) for name in VERDICT_OPTIONS}
    files = {name: code_key(data.decode("utf-8", "replace")) if name.endswith(".py")
             else hashlib.sha256(data).hexdigest()
             for name, data in (sub.files or {}).items()}
    text = json.dumps({"cells": [[code_key(c["source"]), c.get("label")] for c in sub.cells],
                       "files": files, "assignment": sub.assignment,
                       "options": verdict, "grader": grader_version()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def code_key(source):
    """What of a cell's source the verdict depends on: its syntax tree (as the worker
    compiles it: as written, else with IPython magics stripped), without comments,
    blank lines or layout; where it does not parse, its tokens without comments; else
    the text itself."""
    from ..structure import _PARSE_LOCK
    from ..worker import strip_magics

    for text in (source, strip_magics(source)):
        try:
            with _PARSE_LOCK:
                return ast.dump(ast.parse(text))
        except (SyntaxError, ValueError):          # ValueError: a null byte
            continue
    kept, end = [], (1, 0)
    try:
        for t in tokenize.generate_tokens(io.StringIO(source).readline):
            if t.type not in (tokenize.COMMENT, tokenize.NL):
                kept.append((t.type, "" if t.type == tokenize.INDENT else t.string))
            end = t.end
    except (tokenize.TokenError, SyntaxError, ValueError):
        # Past the point where tokenizing failed, the text itself.
        lines = source.splitlines(keepends=True)
        kept.append("".join(lines[end[0] - 1:])[end[1]:] if lines else "")
    return repr(kept)


def to_record(report):
    """A SubmissionReport as plain JSON-able data (rows of the store, replies of a
    cluster's task)."""
    return dataclasses.asdict(report)


def from_record(record):
    record = dict(record)
    record["results"] = [TestResult(**r) for r in record["results"]]
    return SubmissionReport(**record)


class Store:
    """An SQLite file of graded results (``results``: path, key, report as JSON,
    when it was graded)."""

    def __init__(self, path):
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=60)
            self._check_and_create()
        except sqlite3.Error as exc:
            raise StoreError("--store %s: %s" % (path, _why(exc))) from None

    def _check_and_create(self):
        tables = {row[0] for row in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if tables and (version != SCHEMA or tables != {"results"}):
            names = sorted(tables)
            raise sqlite3.DatabaseError("not an autograder results store (it holds the "
                                        "tables %s%s)" % (", ".join(names[:3]),
                                                          ", ..." if len(names) > 3 else ""))
        self.db.execute("CREATE TABLE IF NOT EXISTS results (path TEXT NOT NULL, key TEXT "
                        "NOT NULL, report TEXT NOT NULL, graded_at REAL NOT NULL, "
                        "PRIMARY KEY (path, key))")
        self.db.execute("PRAGMA user_version = %d" % SCHEMA)
        self.db.commit()

    def get(self, path, key):
        """The stored report of ``path`` (relative to the batch's folder) graded under
        ``key``, or None."""
        row = self.db.execute("SELECT report FROM results WHERE path = ? AND key = ?",
                              (path, key)).fetchone()
        if row is None:
            return None
        try:
            return from_record(json.loads(row[0]))
        except (ValueError, TypeError, KeyError):
            return None            # unreadable row: grade again (and replace it)

    def put(self, path, key, report):
        """Store (or replace) one result and commit it at once."""
        try:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                                (path, key, json.dumps(to_record(report)),
                                 time.time()))
        except sqlite3.Error as exc:
            raise StoreError("--store %s: cannot record a result (%s)"
                             % (self.path, _why(exc))) from None

    def close(self):
        self.db.close()


def _why(exc):
    text = str(exc)
    if text == "unable to open database file":
        text += " (does its folder exist, and may it be written?)"
    return text
