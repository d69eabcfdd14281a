"""Structural checks read from the submission's source (parsed, never executed)."""
import ast
import threading

from .worker import strip_magics

# ast.parse is not thread-safe in CPython 3.11 (python/cpython#106905); the runner
# grades several submissions on threads.
_PARSE_LOCK = threading.Lock()

LOOP_NODES = {
    ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
    ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression",
}
# Calls that are loops in disguise.
LOOP_CALLS = {"reduce", "starmap", "accumulate", "vectorize", "apply_along_axis",
              "apply_over_axes", "frompyfunc", "fromiter", "map", "filter"}


class Source:
    """The top-level function definitions of a submission, by name (last one wins,
    as when the cells run in order)."""

    def __init__(self, cells):
        self.defs = {}
        self.labels = {}
        for cell in cells:
            tree = _parse(cell["source"])
            if tree is None:
                continue
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.defs[node.name] = node
                    self.labels[node.name] = cell["label"]

    def defined_names(self):
        return set(self.defs)

    def unimplemented(self, name):
        """True when ``name`` is still a stub: its body raises NotImplementedError at
        the top level (nbgrader's ``# YOUR CODE HERE`` / ``raise NotImplementedError()``)."""
        node = self.defs.get(name)
        if node is None:
            return False
        for stmt in node.body:
            if isinstance(stmt, ast.Raise) and stmt.exc is not None:
                exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
                if _call_name(exc) == "NotImplementedError":
                    return True
        return False

    def loop_in(self, name, _seen=None):
        """A description of the first Python loop in ``name`` or in a submission
        function it calls, or None when it has none."""
        seen = _seen if _seen is not None else set()
        if name in seen:
            return None
        seen.add(name)
        node = self.defs.get(name)
        if node is None:
            return ("its definition (def %s) was not found in the source, so it cannot be "
                    "checked" % name) if _seen is None else None
        for sub in ast.walk(node):
            where = "line %d of %s" % (getattr(sub, "lineno", 0), self.labels[name])
            kind = LOOP_NODES.get(type(sub))
            if kind:
                return "%s uses %s (%s)" % (name, kind, where)
            if isinstance(sub, ast.Call):
                callee = _call_name(sub.func)
                if callee in LOOP_CALLS:
                    return "%s calls %s(), a loop in disguise (%s)" % (name, callee, where)
                if isinstance(sub.func, ast.Name) and callee in self.defs and callee != name:
                    found = self.loop_in(callee, seen)
                    if found:
                        return found
        return None


def read_names(source):
    """The global names the cell reads: at its top level, or inside its functions and
    classes where they are not local (a parameter or a local variable is not).  Empty
    when it is not Python."""
    table = _symbols(source)
    if table is None:
        return set()
    names, todo = set(), [table]
    while todo:
        scope = todo.pop()
        top = scope.get_type() == "module"
        names |= {sym.get_name() for sym in scope.get_symbols()
                  if sym.is_referenced() and (top or not sym.is_local())}
        todo.extend(scope.get_children())
    return names


def bound_names(source):
    """The global names the cell binds (definitions, imports, assignments, ``global``
    declarations); None when it is not Python."""
    table = _symbols(source)
    if table is None:
        return None
    names, todo = set(), [table]
    while todo:
        scope = todo.pop()
        top = scope.get_type() == "module"
        names |= {sym.get_name() for sym in scope.get_symbols()
                  if (sym.is_assigned() or sym.is_imported() or sym.is_namespace())
                  and (top or sym.is_declared_global())}
        todo.extend(scope.get_children())
    return names


def _symbols(source):
    import symtable

    for text in (source, strip_magics(source)):
        try:
            with _PARSE_LOCK:
                return symtable.symtable(text, "<cell>", "exec")
        except SyntaxError:
            continue
    return None


def _parse(source):
    """The cell's syntax tree as the worker compiles it (as written, else with IPython
    magics stripped, line numbers kept); None when it is not Python."""
    for text in (source, strip_magics(source)):
        try:
            with _PARSE_LOCK:
                return ast.parse(text)
        except SyntaxError:
            continue
    return None


def _call_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
