"""Notebooks are committed without outputs or execution counts (nbstripout-clean)."""
import pytest
from conftest import NOTEBOOKS, load_notebook, notebook_ids


def test_there_are_notebooks():
    assert any(nb.name == "00_start_here.ipynb" for nb in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_notebook_has_no_outputs(path):
    nb = load_notebook(path)
    dirty = [i for i, cell in enumerate(nb["cells"])
             if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; strip them"
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: saved widget state in metadata; strip it"
