"""Notebook 06: running a training cell again gives the same run (it draws its own start), not a continuation.

The code of the notebook's own cells is executed in one namespace, without a kernel: everything up to the main
training cell, then that cell a second time; then the five-seed cell twice.
"""
import contextlib
import io
import os

import matplotlib
import numpy as np
from conftest import NOTEBOOK_DIR, load_notebook

matplotlib.use("Agg")

NOTEBOOK = NOTEBOOK_DIR / "06_train_mnist.ipynb"
TRAINING_CELL = "fd477e7c"
SEEDS_CELL = "dcdf5143"


def _cells():
    return {cell["id"]: "".join(cell["source"]) for cell in load_notebook(NOTEBOOK)["cells"]
            if cell["cell_type"] == "code"}


def _run(source, namespace):
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "<notebook cell>", "exec"), namespace)   # the notebook's own code, nothing else
    import matplotlib.pyplot as plt
    plt.close("all")


def test_training_cells_restart_from_the_same_start(monkeypatch):
    monkeypatch.chdir(NOTEBOOK_DIR)
    monkeypatch.syspath_prepend(str(NOTEBOOK_DIR.parent))
    monkeypatch.setitem(os.environ, "OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    cells = _cells()
    assert TRAINING_CELL in cells and SEEDS_CELL in cells
    namespace = {"__name__": "__main__"}
    for cell_id, source in cells.items():
        _run(source, namespace)
        if cell_id == TRAINING_CELL:
            break
    first_history, first_params = namespace["history"], {k: v.copy() for k, v in namespace["params"].items()}
    first_start = {k: v.copy() for k, v in namespace["start"].items()}
    _run(cells[TRAINING_CELL], namespace)
    assert namespace["history"]["loss"] == first_history["loss"]
    assert namespace["history"]["moves"] == first_history["moves"]
    assert namespace["history"]["test_accuracy"] == first_history["test_accuracy"]
    for name, value in first_params.items():
        assert np.array_equal(namespace["params"][name], value), name
    for name, value in first_start.items():
        assert np.array_equal(namespace["start"][name], value), name
    # a second run that continued from the trained weights would start from a much lower loss
    assert namespace["history"]["loss"][0] > 2 * np.mean(first_history["loss"][-20:])

    namespace.setdefault("SEEDS", range(5))
    _run(cells[SEEDS_CELL], namespace)
    trained, starts = namespace["trained"].copy(), namespace["starts"].copy()
    _run(cells[SEEDS_CELL], namespace)
    assert np.array_equal(namespace["trained"], trained) and np.array_equal(namespace["starts"], starts)
