"""Notebook 06: running the training cell again gives the same run (it draws its own start), not a continuation,
and both runs equal the stored record of seed 0 weight for weight.

The notebook's own code cells run in a fresh process (tests/notebook_cells.py), without a kernel: everything up
to the cell that compares the run with the stored study, then the training cell and that cell again.
"""
import numpy as np
from conftest import NOTEBOOK_DIR
from notebook_cells import run

from helpers.study import converged

TRAINING_CELL = "fd477e7c"
RECORD_CELL = "s2-record-code"


def test_the_training_cell_restarts_from_the_same_start_and_matches_the_record():
    result = run(NOTEBOOK_DIR / "06_train_mnist.ipynb", until=RECORD_CELL, again=[TRAINING_CELL, RECORD_CELL],
                 keep=["history", "params", "start", "study", "meta", "dataset", "EPOCHS"])
    first, second, _ = result["phases"]
    for key in ("loss", "moves", "test_accuracy", "dead_units"):
        assert second["history"][key] == first["history"][key], key
    for name, value in first["params"].items():
        assert np.array_equal(second["params"][name], value), name
    for name, value in first["start"].items():
        assert np.array_equal(second["start"][name], value), name
    # a second run that continued from the trained weights would start from a much lower loss
    assert second["history"]["loss"][0] > 2 * np.mean(first["history"]["loss"][-20:])
    for phase in (first, second):
        sentence = converged.compare_with_record(phase["params"], phase["study"], phase["meta"], "subset", 3)
        assert phase["EPOCHS"] == 3 and "the same numbers, weight for weight" in sentence
