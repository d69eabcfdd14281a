"""Carry your own functions forward from an earlier assignment's notebook.

A later notebook's experiments use the layers you wrote before, as CS231n students
carry their ``layers.py`` from one assignment to the next::

    from autograder.carry import load_functions
    affine_forward, relu_forward = load_functions("../backprop/backprop.ipynb",
                                                  "affine_forward", "relu_forward")

It reads the saved notebook's code cells and runs only the top-level statements that
define the names asked for and what they use (their imports, helpers and constants):
no demo, no training run, no cell's output, nothing that imports ``autograder``.
Graded functions never depend on this: the grader runs each notebook alone, and skips
the cells that import ``autograder``.
"""
import ast
import builtins
import json
import os
import re
import symtable

from .errors import AutograderError

__all__ = ["CarryError", "load_functions"]


class CarryError(AutograderError):
    """A one-line reason the functions could not be loaded (a notebook shows just the
    line, no traceback)."""


_MAGIC = re.compile(r"^\s*[%!]")


def load_functions(path, *names):
    """The objects ``names`` (functions, classes) as the notebook at ``path`` defines
    them, in a namespace of their own; one object for one name, else a tuple.

    Raises CarryError (one line) when the notebook is missing or unreadable, defines
    no such name, or one of them (or a function it uses) still raises
    NotImplementedError."""
    if not names:
        raise CarryError("load_functions: name the functions to load from %s" % path)
    statements = _statements(path)
    binders = {}                       # name -> index of the last statement binding it
    for i, st in enumerate(statements):
        for name in st["binds"]:
            binders[name] = i
    missing = [n for n in names if n not in binders]
    if missing:
        raise CarryError("load_functions: %s defines no %s (finish it there and save the "
                         "notebook)" % (path, ", ".join(missing)))
    chosen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        i = binders.get(name)
        if i is None or i in chosen:
            continue
        chosen.add(i)
        todo.extend(statements[i]["reads"])
    asked = [binders[n] for n in names]
    for i in asked + sorted(chosen - set(asked)):      # the names asked for first
        st = statements[i]
        if st["stub"]:
            uses = "" if i in asked else " (used by %s)" % ", ".join(names)
            raise CarryError("load_functions: %s in %s still raises NotImplementedError%s: "
                             "finish it there and save the notebook"
                             % (", ".join(sorted(st["binds"])), path, uses))
    namespace = {"__name__": "carried_" + re.sub(r"\W", "_", _stem(path))}
    for i in sorted(chosen):
        st = statements[i]
        try:
            exec(compile(st["tree"], "%s, cell %d" % (path, st["cell"]), "exec"), namespace)
        except Exception as exc:
            raise CarryError("load_functions: running cell %d of %s failed: %s: %s"
                             % (st["cell"], path, type(exc).__name__, exc)) from None
    values = tuple(namespace[n] for n in names)
    return values[0] if len(values) == 1 else values


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _statements(path):
    """The notebook's top-level statements, in order, with the names each binds and
    reads; statements that import autograder are left out."""
    try:
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
        cells = notebook["cells"]
    except FileNotFoundError:
        raise CarryError("load_functions: %s not found (the earlier assignment's "
                         "notebook, saved next to this assignment's folder)" % path) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CarryError("load_functions: cannot read %s: %s" % (path, exc)) from None
    out = []
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        source = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue                   # a cell that cannot run defines nothing
        for node in tree.body:
            if _imports_autograder(node):
                continue
            binds, reads = _names(node)
            out.append({"tree": ast.Module([node], []), "binds": binds, "reads": reads,
                        "stub": _is_stub(node), "cell": number})
    return out


def _imports_autograder(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Import) and any(a.name.split(".")[0] == "autograder"
                                               for a in sub.names):
            return True
        if isinstance(sub, ast.ImportFrom) and (sub.module or "").split(".")[0] == \
                "autograder" and not sub.level:
            return True
    return False


def _names(node):
    """(names the statement binds at top level, global names it reads, those of the
    functions and classes it defines included)."""
    table = symtable.symtable(ast.unparse(node), "<cell>", "exec")
    binds, reads = set(), set()
    for sym in table.get_symbols():
        if sym.is_assigned() or sym.is_imported():
            binds.add(sym.get_name())
        if sym.is_referenced():
            reads.add(sym.get_name())
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        stack.extend(child.get_children())
        for sym in child.get_symbols():
            if sym.is_global() and not sym.is_declared_global() or \
                    child.get_type() == "class" and sym.is_referenced() and \
                    not sym.is_assigned() and not sym.is_free():
                reads.add(sym.get_name())
    builtin = set(dir(builtins))
    return binds, {n for n in reads if n not in builtin} - binds


def _is_stub(node):
    """A function (or a class with a method) whose body raises NotImplementedError at
    its top level: nbgrader's ``raise NotImplementedError()`` left in place."""
    if isinstance(node, ast.ClassDef):
        return any(_is_stub(n) for n in node.body)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for st in node.body:
            if isinstance(st, ast.Raise) and st.exc is not None:
                exc = st.exc.func if isinstance(st.exc, ast.Call) else st.exc
                if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                    return True
    return False
