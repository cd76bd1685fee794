"""Notebook 06: running a training cell again gives the same run (it draws its own start), not a continuation.

The notebook's own code cells run in a fresh process (tests/notebook_cells.py), without a kernel: everything up
to the main training cell, then that cell a second time, then the five-seed cell twice.
"""
import numpy as np
from conftest import NOTEBOOK_DIR
from notebook_cells import run

TRAINING_CELL = "fd477e7c"
SEEDS_CELL = "dcdf5143"


def test_training_cells_restart_from_the_same_start():
    result = run(NOTEBOOK_DIR / "06_train_mnist.ipynb", until=TRAINING_CELL,
                 again=[TRAINING_CELL, SEEDS_CELL, SEEDS_CELL],
                 keep=["history", "params", "start", "trained", "starts"])
    first, second, seeds_once, seeds_twice = result["phases"]
    for key in ("loss", "moves", "test_accuracy", "dead_units"):
        assert second["history"][key] == first["history"][key], key
    for name, value in first["params"].items():
        assert np.array_equal(second["params"][name], value), name
    for name, value in first["start"].items():
        assert np.array_equal(second["start"][name], value), name
    # a second run that continued from the trained weights would start from a much lower loss
    assert second["history"]["loss"][0] > 2 * np.mean(first["history"]["loss"][-20:])
    assert np.array_equal(seeds_once["trained"], seeds_twice["trained"])
    assert np.array_equal(seeds_once["starts"], seeds_twice["starts"])
    assert not np.array_equal(seeds_once["trained"], seeds_once["starts"])
