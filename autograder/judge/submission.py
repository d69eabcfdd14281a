"""Read a submission (notebook or .py) into labelled code cells, without running it."""
import ast
import bisect
import json
import os
import re
from dataclasses import dataclass

from ..errors import SubmissionError

SUFFIXES = (".ipynb", ".py")


@dataclass
class Submission:
    path: str
    cells: list            # [{"source": str, "label": str}]
    assignment: str = None  # from the notebook metadata or file name, if known
    # In a batch's submitted/<student>/<assignment>/ folder: the folder's other files
    # ({path relative to the folder: bytes}), there for the submission while it is
    # graded (a helper module it imports, a data file it reads).
    files: dict = None

    @property
    def source(self):
        """What the structural checks read: the cells and, before them (so that the
        submission's own definitions win), the functions of its helper .py files."""
        from ..structure import Source
        helpers = [{"source": _text(data), "label": name}
                   for name, data in sorted((self.files or {}).items())
                   if name.endswith(".py")]
        return Source(helpers + [c for c in self.cells if not c.get(FILES_CELL)])


FILES_CELL = "files"       # the key that marks ``files_cell``'s cell


def files_cell(files):
    """A cell, run before the submission's own, that writes ``files`` (``{relative
    path: bytes}``) into the worker's working folder (its scratch folder) and puts
    that folder on ``sys.path``, as next to the notebook: ``import utils`` finds the
    student's ``utils.py``.  It binds no name in the submission's namespace."""
    import base64

    encoded = {name: base64.b64encode(data).decode("ascii")
               for name, data in sorted(files.items())}
    code = (
        "def install(files):\n"
        "    import base64, os, sys\n"
        "    here = os.getcwd()\n"
        "    for name, data in files.items():\n"
        "        path = os.path.join(here, name)\n"
        "        os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "        with open(path, 'wb') as f:\n"
        "            f.write(base64.b64decode(data))\n"
        "    if here not in sys.path:\n"
        "        sys.path.insert(0, here)\n"
        "install(%r)\n" % (encoded,))
    return {"source": "exec(%r, {'__builtins__': __builtins__})\n" % code,
            "label": "the submission's files", FILES_CELL: True}


def _text(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)


def find(path):
    """The submission files at ``path``: the file itself, or the notebooks and .py
    files anywhere below a folder (sorted; hidden folders and checkpoints skipped)."""
    if not os.path.exists(path):
        raise SubmissionError("%s: no such file or folder" % path)
    if os.path.isdir(path):
        files = []
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith((".", "__")))
            files += [os.path.join(folder, f) for f in names
                      if f.endswith(SUFFIXES) and not f.startswith((".", "__"))]
        files.sort()
        if not files:
            raise SubmissionError("%s: folder holds no .ipynb or .py file" % path)
        return files
    if not path.endswith(SUFFIXES):
        raise SubmissionError("%s: expected a .ipynb notebook or a .py file" % path)
    return [path]


def read(path):
    if path.endswith(".ipynb"):
        return _read_notebook(path)
    return _read_python(path)


def _read_text(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise SubmissionError("%s: cannot be read (%s)" % (path, exc.strerror))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError("%s: not UTF-8 text (byte %d)" % (path, exc.start))


def _read_notebook(path):
    text = _read_text(path)
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise SubmissionError("%s: not a valid notebook (broken JSON: %s)" % (path, exc))
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionError("%s: not a valid notebook (no list of cells)" % path)
    cells = []
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade") and not meta.get("solution"):
            continue          # check and test cells are the grader's, not the student's
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            raise SubmissionError("%s: cell %d has a malformed source" % (path, number))
        own = (cell.get("metadata") or {}).get("autograder") or {}
        cells.append({"source": source, "label": str(own.get("label") or "cell %d" % number),
                      "demo": bool(own.get("demo"))})
    assignment = ((nb.get("metadata") or {}).get("autograder") or {}).get("assignment")
    return Submission(path, _without_unused_demos(cells), assignment or _stem(path))


def _without_unused_demos(cells):
    """The cells minus the demo cells (``"autograder": {"demo": true}`` in a cell's
    metadata: timing tables, training runs, plots) that no other cell needs: a demo
    cell still runs when a name it binds at the top level is read by a cell that is
    not a demo (a student's helper written there, say), or when it does not parse."""
    from ..structure import bound_names, read_names

    used = set()
    for cell in cells:
        if not cell["demo"]:
            used |= read_names(cell["source"])
    kept = []
    for cell in cells:
        if cell.pop("demo"):
            bound = bound_names(cell["source"])
            if bound is not None and not bound & used:
                continue
        kept.append(cell)
    return kept


def _read_python(path):
    """A .py file runs statement by statement, so that one failing statement (an
    import of the notebook check helpers, say) does not hide the definitions after it;
    line numbers stay those of the file.  A file that does not parse is split at its
    top-level statements and what parses is kept (``_split_unparsed``)."""
    text = _read_text(path)
    name = os.path.basename(path)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):      # ValueError: a null byte
        spans = _split_unparsed(text)
    else:
        spans = [((node.decorator_list[0].lineno if getattr(node, "decorator_list", None)
                   else node.lineno) - 1, node.end_lineno) for node in tree.body]
    lines = text.splitlines(keepends=True)
    cells = [{"source": "\n" * start + "".join(lines[start:end]), "label": name}
             for start, end in spans]
    return Submission(path, cells, _stem(path))


CONTINUATIONS = re.compile(r"(else|elif|except|finally)\b|[)\]}]")


def _split_unparsed(text):
    """(start, end) line spans (0-based, end excluded) of a file that does not parse.

    A statement starts at a line that begins at column 0 and is not blank, a comment,
    a closing bracket or the ``else``/``except``... of a compound statement.  From each
    start the shortest run of lines up to a later start (or the end) that parses is one
    span, so decorators, multi-line strings and expressions stay whole; where none
    parses, the lines up to the next start are a span of their own, whose syntax error
    the worker reports with the file's line numbers."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines)
              if line[:1] and not line[:1].isspace() and not line.startswith("#")
              and not CONTINUATIONS.match(line)]
    ends = starts[1:] + [len(lines)]
    spans, k = [], 0
    while k < len(starts):
        start, last, j = starts[k], len(starts) - 1, k
        while j <= last:
            if _error_line("".join(lines[start:ends[j]])) is None:
                break
            if j == k + 2:
                # No extension past the line where the rest of the file fails can help
                # (this keeps a file of many bad statements from costing n^2 parses).
                error = _error_line("".join(lines[start:]))
                if error is not None:
                    last = bisect.bisect_right(starts, start + error - 1) - 1
            j += 1
        if j <= last:
            spans.append((start, ends[j]))
            k = j + 1
        else:
            spans.append((start, ends[k]))
            k += 1
    return spans


def _error_line(source):
    """The line (1-based) of ``source``'s syntax error, or None when it parses."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return exc.lineno or 1
    except ValueError:            # a null byte
        return 1
    return None


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]
