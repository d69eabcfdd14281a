"""Read a submission (notebook or .py) into labelled code cells, without running it."""
import ast
import json
import os
from dataclasses import dataclass

from .errors import SubmissionError

SUFFIXES = (".ipynb", ".py")


@dataclass
class Submission:
    path: str
    cells: list            # [{"source": str, "label": str}]
    assignment: str = None  # from the notebook metadata or file name, if known

    @property
    def source(self):
        from .structure import Source
        return Source(self.cells)


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
        label = ((cell.get("metadata") or {}).get("autograder") or {}).get("label")
        cells.append({"source": source, "label": str(label or "cell %d" % number)})
    assignment = ((nb.get("metadata") or {}).get("autograder") or {}).get("assignment")
    return Submission(path, cells, assignment or _stem(path))


def _read_python(path):
    """A .py file runs statement by statement, so that one failing statement (an
    import of the notebook check helpers, say) does not hide the definitions after it;
    line numbers stay those of the file."""
    text = _read_text(path)
    name = os.path.basename(path)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        # One cell that fails to compile: the report shows the syntax error.
        return Submission(path, [{"source": text, "label": name}], _stem(path))
    lines = text.splitlines(keepends=True)
    cells = []
    for node in tree.body:
        start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None)
                 else node.lineno)
        chunk = "".join(lines[start - 1:node.end_lineno])
        cells.append({"source": "\n" * (start - 1) + chunk, "label": name})
    return Submission(path, cells, _stem(path))


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]
