"""Notebook 06: running a training cell again gives the same run (it draws its own start), not a continuation.

The notebook's own code cells run in a fresh process (tests/notebook_cells.py), without a kernel: everything up
to the five-seed cell of section 6, then the main training cell again, then the contrast runs of section 3b
(whose first row are the five seeds) and the five-seed cell again.
"""
import numpy as np
from conftest import NOTEBOOK_DIR
from notebook_cells import run

TRAINING_CELL = "fd477e7c"
CONTRAST_CELL = "h3-drift-code3"
SEEDS_CELL = "dcdf5143"


def test_training_cells_restart_from_the_same_start():
    result = run(NOTEBOOK_DIR / "06_train_mnist.ipynb", until=SEEDS_CELL,
                 again=[TRAINING_CELL, CONTRAST_CELL, SEEDS_CELL],
                 keep=["history", "params", "start", "trained", "starts"])
    first, second, _, seeds_twice = result["phases"]
    seeds_once = first
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
