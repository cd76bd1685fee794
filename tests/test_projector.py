"""Projector mode: one switch (HOW_FILTERS_LEARN_PROJECTOR) scales every text of the course's figures and zooms the
widgets; unset it changes nothing, and a value it does not understand is named in a message, not a traceback."""
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from helpers.widgets import projector

# Every figure-making function of helpers/ that the notebooks call, drawn once; prints each text's font size.
FIGURES = """
import json, matplotlib
matplotlib.use("Agg")
import numpy as np, sympy as sp
from helpers.derive import shared_weights, symbolic
from helpers.widgets import signs, training
figures = [
    symbolic.grids_figure([("I", np.arange(9).reshape(3, 3), (0, 0, 2)), ("W", np.eye(2), None)], "title"),
    shared_weights.conv_matrix_figure(symbolic.filter_symbols(2), 3)[0],
    shared_weights.im2col_figure(4, 2)[0],
    signs.plot_signed_maps([np.array([[1.0, -1.0], [0.5, 0.0]])], ["map"], "maps"),
    signs.plot_signed_maps([np.array([[1.0, -1.0], [0.5, 0.0]])], ["map"], "maps", style="arrows"),
    signs.plot_weight_paths(np.linspace(-1, 1, 12).reshape(3, 2, 2), "paths"),
    training.plot_examples(np.zeros((2, 1, 28, 28), np.uint8), np.array([0, 1]), ["zero", "one"], count=2),
    training.plot_filter_mosaic([np.ones((6, 1, 3, 3))], ["bank"], "mosaic"),
]
print(json.dumps([[t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()] for fig in figures]))
"""


def font_sizes(switch):
    env = {k: v for k, v in os.environ.items() if k != projector.VARIABLE}
    if switch is not None:
        env[projector.VARIABLE] = switch
    result = subprocess.run([sys.executable, "-c", FIGURES], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    *messages, sizes = result.stdout.strip().splitlines()
    return messages, json.loads(sizes)


@pytest.mark.parametrize("value, factor", [("", 1.0), ("0", 1.0), ("off", 1.0), ("1", 1.6), ("on", 1.6),
                                           ("1.3", 1.3), ("3", 3.0), ("big", None), ("0.5", None), ("9", None)])
def test_the_switch_reads_on_off_and_a_scale(value, factor):
    assert projector.scale(value) == factor


def test_projector_mode_scales_every_text_of_every_figure():
    _, off = font_sizes(None)
    _, on = font_sizes("1")
    assert all(off) and len(on) == len(off)
    for figure, (sizes_off, sizes_on) in enumerate(zip(off, on, strict=True)):
        # the sizes each figure uses (larger type may leave room for fewer tick labels, so not text by text)
        expected = {round(size * projector.ON_SCALE, 6) for size in sizes_off}
        assert {round(size, 6) for size in sizes_on} == expected, f"figure {figure}: a text keeps a fixed size"


def test_a_value_it_does_not_understand_is_named_and_changes_nothing():
    messages, sizes = font_sizes("huge")
    _, off = font_sizes(None)
    assert sizes == off
    assert any(projector.VARIABLE in m and "'huge'" in m and "stays off" in m for m in messages)


def test_widgets_are_zoomed_by_the_same_factor():
    assert ".jp-OutputArea-output > .jupyter-widgets {zoom:1.6}" in projector.css(1.6)
