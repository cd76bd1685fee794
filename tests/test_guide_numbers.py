"""Every number docs/instructor_guide.md quotes from a run of notebook 05 is printed by a fresh run.

The notebook's own code cells run in one namespace, without a kernel; each quoted number is looked up in the
printed output of the cell that makes it, and in the guide. Notebook 06 answers from the stored study: the
numbers its prose and the guide quote are checked against data/study.npz in tests/test_study.py.
"""
import pytest
from conftest import NOTEBOOK_DIR, ROOT
from notebook_cells import run

GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")


def _plain(text):
    return text.replace("−", "-")


# (cell id, what the guide says, what the cell prints)
QUOTES_05 = [
    ("2b6f5e8a", "−1.425, +0.619, −0.269", ["-1.425", "+0.619", "-0.269"]),
    ("2b6f5e8a", "alternates 4 ↑ / 4 ↓", ["4 weights ↑, 0 weights ↓", "0 weights ↑, 4 weights ↓"]),
    ("b0th-code1", "2 weights ↑, 2 weights ↓", ["2 weights ↑, 2 weights ↓"]),
    ("22912300", "W12 = −0.012 and W21 = −0.053", ["-0.012", "-0.053"]),
    ("7d5ffb84", "[[0.834, −0.332], [0.696, −0.37]]", ["0.834 -0.332", "0.696 -0.37"]),
]


@pytest.fixture(scope="module")
def notebook_05():
    return run(NOTEBOOK_DIR / "05_update_signs.ipynb")["printed"]


@pytest.mark.parametrize("cell_id, quoted, printed", QUOTES_05, ids=[q[1] for q in QUOTES_05])
def test_05_numbers_in_the_guide_are_printed_by_the_notebook(notebook_05, cell_id, quoted, printed):
    assert quoted in GUIDE, f"the guide no longer quotes {quoted!r}: update QUOTES_05"
    output = " ".join(_plain(notebook_05[cell_id]).split())
    for text in printed:
        assert text in output, f"cell {cell_id} no longer prints {text!r}; it printed:\n{notebook_05[cell_id]}"
