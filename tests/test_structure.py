"""Loop detection reads the source: loops, comprehensions, disguised loops, helpers."""
import textwrap

from autograder.structure import Source


def loop(source, name="f"):
    return Source([{"source": textwrap.dedent(source), "label": "cell 3"}]).loop_in(name)


def test_vectorized_code_passes():
    assert loop("""
        import numpy as np
        def f(x):
            return np.sum(x ** 2, axis=1)
    """) is None


def test_each_kind_of_loop_is_named():
    assert loop("def f(x):\n    for i in x:\n        pass\n") == \
        "f uses a for loop (line 2 of cell 3)"
    assert "a while loop" in loop("def f(x):\n    while x:\n        x -= 1\n")
    assert "a list comprehension" in loop("def f(x):\n    return [i for i in x]\n")
    assert "a generator expression" in loop("def f(x):\n    return sum(i for i in x)\n")
    assert "calls vectorize(), a loop in disguise" in loop(
        "import numpy as np\ndef f(x):\n    return np.vectorize(abs)(x)\n")


def test_loop_in_a_helper_is_found_and_last_definition_wins():
    src = """
        def helper(x):
            return [v for v in x]
        def f(x):
            return helper(x)
    """
    assert "helper uses a list comprehension" in loop(src)
    redefined = textwrap.dedent(src) + "\ndef f(x):\n    return x\n"
    assert loop(redefined) is None


def test_missing_definition_is_reported():
    assert "was not found in the source" in loop("f = lambda x: x\n")


def test_cells_with_ipython_magics_are_read_as_the_kernel_runs_them():
    """A ``%matplotlib inline`` line does not hide a cell's definitions, a ``%%time``
    cell's body is Python, and a ``%%bash`` cell is not."""
    cells = [{"source": "%matplotlib inline\nimport numpy as np\ndef f(x):\n"
                        "    for i in x:\n        pass\n", "label": "cell 1"},
             {"source": "%%time\ndef g(x):\n    return [i for i in x]\n", "label": "cell 2"},
             {"source": "%%bash\ndef h(x):\n    echo hi\n", "label": "cell 3"}]
    source = Source(cells)
    assert source.defined_names() == {"f", "g"}
    assert source.loop_in("f") == "f uses a for loop (line 4 of cell 1)"
    assert source.loop_in("g") == "g uses a list comprehension (line 3 of cell 2)"
