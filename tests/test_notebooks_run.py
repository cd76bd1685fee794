"""Every notebook runs top to bottom in a fresh kernel, with its folder as working directory.

nbclient fails on an error raised by a cell, but not on a traceback printed into an Output widget by a
widget callback, nor on text written to stderr; this test looks for those too (cell outputs and the
saved widget state).
"""
import nbformat
import pytest
from conftest import NOTEBOOKS, notebook_ids
from nbclient import NotebookClient

DEFAULT_TIMEOUT_S = 120


def _problem_in_output(output):
    kind = output.get("output_type")
    if kind == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    if kind == "stream" and output.get("name") == "stderr":
        text = "".join(output.get("text", ""))
        if text.strip():
            return "stderr: " + text.strip()[:500]
    for value in (output.get("data") or {}).values():
        text = value if isinstance(value, str) else "".join(value) if isinstance(value, list) else ""
        if "Traceback (most recent call last)" in text:
            return "a printed traceback: " + text[:500]
    return None


def find_problems(nb):
    """All error outputs of the executed notebook, including those inside widgets."""
    problems = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            problem = _problem_in_output(output)
            if problem:
                problems.append(f"cell {index}: {problem}")
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model_id, model in state.get("state", {}).items():
        for output in model.get("state", {}).get("outputs", []) or []:
            problem = _problem_in_output(output)
            if problem:
                problems.append(f"widget {model.get('model_name')} {model_id[:8]}: {problem}")
    return problems


def execute(path):
    nb = nbformat.read(path, as_version=4)
    timeout = nb.metadata.get("course", {}).get("timeout", DEFAULT_TIMEOUT_S)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}, store_widget_state=True)
    client.execute()
    return nb


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_notebook_runs_clean(path):
    nb = execute(path)
    problems = find_problems(nb)
    assert not problems, f"{path.name} ran with errors:\n" + "\n".join(problems)
