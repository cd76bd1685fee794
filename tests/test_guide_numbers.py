"""Every number docs/instructor_guide.md quotes from a run of notebooks 05 and 06 is printed by a fresh run.

The notebooks' own code cells run in one namespace, without a kernel; each quoted number (or claim) is looked
up in the printed output of the cell that makes it, and in the guide. For 06 the guide points to cells rather
than quoting numbers; the few claims it makes about the default run are checked here.
"""
import numpy as np
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


def test_06_claims_in_the_guide_hold_for_a_fresh_default_run():
    ns = run(NOTEBOOK_DIR / "06_train_mnist.ipynb", until="h3-drift-code4",
             skip={"h3-drift-code3"},          # the centring contrast is not quoted
             keep=["DATASET", "history", "start", "params", "search"])["phases"][0]
    assert ns["DATASET"] == "subset"
    history, start, params = ns["history"], ns["start"], ns["params"]
    # "the count of steps that moved every weight one way (none in the default run)"
    assert "none in the default run" in GUIDE
    for layer in ("conv1.w", "conv2.w", "fc1.w"):
        up, down = np.array(history["moves"][layer]["up"]), np.array(history["moves"][layer]["down"])
        assert not np.any((up == 0) | (down == 0)), layer
    # "in the default run conv1 mostly ends higher"
    assert "in the default run conv1 mostly ends **higher**" in GUIDE
    change = params["conv1.w"] - start["conv1.w"]
    assert np.sum(change > 0) > np.sum(change < 0)
    # "raw 0–255 pixels make most (for some seeds all 54) conv1 weights end lower — with the loss stuck at chance"
    assert "for some seeds all 54" in GUIDE
    raw = ns["search"]["raw pixels 0–255, He, η 0.1"]
    assert all(lower > 27 for lower in raw["conv1_lower"]) and 54 in raw["conv1_lower"]
    assert all(abs(loss - np.log(10)) < 0.1 for loss in raw["final_loss"])
