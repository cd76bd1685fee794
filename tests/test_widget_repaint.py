"""How 05's SignsExplorer and 06's FilterExplorer repaint, headless: in place, as HTML, and never stale.

Speed itself is measured in benchmarks/bench_widgets.py (a real browser); here we check what makes it
possible — a press creates no matplotlib figure and rewrites HTML values in place — and that bad input
or a diverged run gives a message, not a traceback or a picture of numbers that no longer apply.
"""
import html
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.widgets.signs import SignsExplorer
from helpers.widgets.training import FilterExplorer


def _text(widget):
    return html.unescape(re.sub(r"<[^>]+>", "", widget.value))


def _history(snapshots=5, seed=0):
    rng = np.random.default_rng(seed)
    start = rng.normal(0, 0.4, (6, 1, 3, 3))
    frames = [start + 0.05 * k * rng.normal(size=start.shape) for k in range(snapshots)]
    return {"snapshots": [{"conv1.w": w, "conv2.w": np.zeros((6, 6, 3, 3))} for w in frames],
            "snapshot_steps": [10 * k for k in range(snapshots)]}


# ---------------------------------------------------------------- 05: SignsExplorer
def test_a_step_draws_html_and_no_figure():
    plt.close("all")
    widget = SignsExplorer()
    for _ in range(5):
        widget.step()
    assert plt.get_fignums() == []
    shown = html.unescape(widget.plot.value)
    assert "W after 5 steps" in shown and shown.count("<table") == 3
    for label in widget.last_glyphs["update"].ravel():  # the ↑/↓ glyphs drawn are those in the table
        assert label in shown


@pytest.mark.parametrize("field, text, words", [
    ("image_text", "1 2 3", "expected 9 numbers, got 3"),
    ("lr_text", "abc", "'abc' is not a number"),
    ("start_text", "1 2 3 4 5", "expected 4 numbers, got 5"),
])
def test_a_malformed_entry_clears_the_stale_readout_and_panels_and_says_why(field, text, words):
    widget = SignsExplorer()
    widget.step()
    assert "y = v · mean(a)" in _text(widget.readout) and "<table" in widget.plot.value
    getattr(widget, field).value = text
    assert widget.readout.value == ""                       # no numbers of inputs that are gone
    assert "<table" not in widget.plot.value and words in _text(widget.plot)
    assert words in _text(widget.message) and "⚠" in widget.message.value
    assert "Fix the entry" in widget.tally.value


def test_fixing_the_entry_brings_the_panels_back():
    widget = SignsExplorer()
    widget.image_text.value = "1 2"
    widget.restore_preset()
    assert "<table" in widget.plot.value and "y = v · mean(a)" in _text(widget.readout)
    assert "⚠" not in widget.message.value


def test_an_overflow_clears_the_panels_with_the_message():
    widget = SignsExplorer()
    widget.weights = np.full((2, 2), 1e308)
    widget._show()
    assert "overflowed" in _text(widget.plot) and "<table" not in widget.plot.value and widget.readout.value == ""


# ---------------------------------------------------------------- 06: FilterExplorer
def test_filter_explorer_presses_draw_html_and_reuse_pages():
    plt.close("all")
    explorer = FilterExplorer(_history())
    pages = []
    for index in (1, 2, 1, 0, 2):
        explorer.slider.value = index
        pages.append(explorer.plot.value)
    assert plt.get_fignums() == []
    assert pages[0] == pages[2] and pages[1] == pages[4] and len(explorer._pages) == 3  # built once each
    assert explorer.plot.value.count("<table") == 12                    # 6 filters × (weights, change)
    assert "First-layer filters at step 20" in explorer.plot.value and "step 20 of 40" in explorer.readout.value


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_filter_explorer_shows_a_diverged_run_as_a_message(bad):
    history = _history()
    history["snapshots"][3]["conv1.w"][2, 0, 1, 1] = bad      # the run diverged after step 20
    history["snapshots"][4]["conv1.w"][:] = np.nan
    explorer = FilterExplorer(history)                      # no traceback building the colour scales
    assert np.isfinite(explorer.weight_limit) and np.isfinite(explorer.change_limit)
    every = np.stack([s["conv1.w"] for s in history["snapshots"]])
    assert np.isclose(explorer.weight_limit, np.abs(every[np.isfinite(every)]).max())
    explorer.slider.value = 3
    assert "diverged" in explorer.readout.value and "1 of 54" in explorer.readout.value
    assert "nan" in explorer.plot.value or "inf" in explorer.plot.value
    explorer.slider.value = 4
    assert "54 of 54" in explorer.readout.value
    explorer.slider.value = 1
    assert "diverged" not in explorer.readout.value
    assert "of 54 first-layer weights are negative" in explorer.readout.value


def test_filter_explorer_names_a_mismatched_history():
    history = _history()
    history["snapshot_steps"] = history["snapshot_steps"][:-1]
    with pytest.raises(ValueError, match="snapshot step"):
        FilterExplorer(history)
