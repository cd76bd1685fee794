"""The notebook execution test must fail on errors that nbclient by itself lets pass.

An exception in a Button's on_click, or in a callback that draws into an Output widget, does not fail
the cell: ipywidgets prints the traceback and the cell's reply is "ok". These tests run tiny notebooks
with such callbacks and check that ``find_problems`` reports each one, and nothing for a clean one.
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from test_notebooks_run import execute, find_problems

RAISING_CALLBACKS = {
    "interactive_output": """
import ipywidgets as w
s = w.IntSlider(1)
def f(v):
    if v > 1:
        raise RuntimeError("boom in interactive_output")
display(s, w.interactive_output(f, {"v": s}))
s.value = 2""",
    "button_on_click": """
import ipywidgets as w
b = w.Button(description="x")
def f(_):
    raise RuntimeError("boom in on_click")
b.on_click(f)
display(b)
b.click()""",
    "observe_into_output": """
import ipywidgets as w
o, s = w.Output(), w.IntSlider(1)
def f(change):
    with o:
        raise RuntimeError("boom in observe")
s.observe(f, "value")
display(o)
s.value = 3""",
}


def write_notebook(path, source):
    nb = new_notebook(cells=[new_code_cell(source.strip())])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["course"] = {"timeout": 60}
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("kind", sorted(RAISING_CALLBACKS))
def test_error_in_widget_callback_is_found(tmp_path, kind):
    nb = execute(write_notebook(tmp_path / f"{kind}.ipynb", RAISING_CALLBACKS[kind]))
    problems = find_problems(nb)
    assert any("boom" in p for p in problems), f"{kind}: the error was not found; problems={problems}"


def test_clean_widget_notebook_has_no_problems(tmp_path):
    source = RAISING_CALLBACKS["interactive_output"].replace('raise RuntimeError("boom in interactive_output")',
                                                             "print(v)")
    nb = execute(write_notebook(tmp_path / "clean.ipynb", source))
    assert find_problems(nb) == []
