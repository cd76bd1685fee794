"""What notebook 06 shows while and after the seed network trains.

- ``TrainingProgress``: a progress bar and one status line that update in place (no printed lines);
  pass the object as ``on_progress`` to ``helpers.nn.network.train``.
- ``plot_curves``, ``plot_update_signs``, ``plot_filters``, ``plot_responses``, ``plot_layer_moves``,
  ``plot_baselines``, ``plot_top_patches``, ``plot_filter_mosaic``: the figures.
- ``FilterExplorer``: a slider over the training steps; shows the six first-layer filters at that
  step and how far each weight has moved since the start, with a one-line count of negative weights.

Signed values are drawn with the diverging "RdBu_r" colormap centred at zero *and* a + / − glyph in
every cell, so the figures read without colour.

CSS classes: course-train (progress box), course-train-progress, course-train-status,
course-filter-explorer, course-filter-step (the slider), course-filter-readout, course-filter-plot.

Arguments are checked at the door, before anything is drawn: a wrong one raises ValueError or TypeError
naming it. Sizes are bounded so that no figure takes seconds to build: at most MAX_STEPS steps in a curve,
MAX_ROWS rows (moments, banks, filter sets, layers or samples) and MAX_FILTERS filters or patches in one
figure, MAX_WRITTEN values written into cells, MAX_EXAMPLES images, MAX_SNAPSHOTS snapshots.
"""
from collections.abc import Mapping
from html import escape
from numbers import Integral

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.mathtext import MathTextParser

from helpers.door import flag, integer_in, mapping, real_array
from helpers.nn.conv import conv2d
from helpers.nn.network import sign_changes
from helpers.widgets.draw import colour_legend, finite_limit, signed_text, table_html

MAX_STEPS = 10_000_000       # steps in one curve (a history's "loss", "up", "down", a layer's moves)
MAX_ROWS = 16                # rows of one figure: moments, banks, filter sets, layers or named samples
MAX_FILTERS = 32             # filters (columns or rows) or patches per filter in one figure
MAX_WRITTEN = 3_000          # values written as text into the cells of one figure
MAX_SCORES = 100_000         # scores in one sample of plot_baselines
MAX_LAYER_WEIGHTS = 10_000_000  # weights of one layer compared by plot_layer_moves
MAX_EXAMPLES = 50            # images shown by plot_examples
MAX_IMAGE_SIDE = 1_000       # rows or columns of one image in plot_examples
MAX_SNAPSHOTS = 100_000      # snapshots a FilterExplorer steps through
MAX_TEXT = 2_000             # characters in one title or label
MAX_DIGITS = 10              # decimals written in a cell
MAX_SCALE = 1e300            # a colour scale runs at most from −MAX_SCALE to +MAX_SCALE (beyond: saturated)
FILTER_SHAPE = (6, 1, 3, 3)  # conv1.w: six 3×3 filters on one input channel
_MATH = MathTextParser("path")


def _text(value, name):
    """value if it is a string matplotlib can draw: at most MAX_TEXT characters, any $…$ valid math."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string; got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name} has {len(value):,} characters; a title or label holds at most {MAX_TEXT:,}")
    dollars = value.count("$") - value.count(r"\$")
    if dollars and dollars % 2 == 0:  # matplotlib typesets the text between $ signs as math
        try:
            _MATH.parse(value)
        except ValueError as error:
            detail = str(error).strip().splitlines()[-1] if str(error).strip() else ""
            raise ValueError(f"{name} holds $…$ math that matplotlib cannot typeset (write \\$ for a dollar "
                             f"sign): {detail:.200}") from None
    return value


def _texts(values, count, name, what="row"):
    """values as a list of `count` strings (one per row, sample, …)."""
    if not (isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.ndim == 1)):
        raise TypeError(f"{name} must be a list of {count} strings, one per {what}; got {type(values).__name__}")
    if len(values) != count:
        raise ValueError(f"{name} must hold one string per {what} ({count}); got {len(values)}")
    return [_text(value, name) for value in values]


def _items(value, name, low, high, what):
    """value as a list if it is a list, tuple or array of low … high items (what: the items, for the message)."""
    if not (isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim >= 1)):
        raise TypeError(f"{name} must be a list of {what}; got {type(value).__name__}")
    if not low <= len(value) <= high:
        raise ValueError(f"{name} must hold {low} to {high} {what}; got {len(value)}")
    return list(value)


def _array(value, name, shape=None, ndim=None, finite=False):
    """value as a float array of real numbers, of the given shape (or number of dimensions)."""
    array = real_array(value, name)
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {array.shape}")
    array = array.astype(float)
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or ±inf: nothing to draw (did the run diverge?)")
    return array


def _entry(mapping, key, name, what):
    """mapping[key], or a ValueError naming name (what: the dict and the entry it must have)."""
    if key not in mapping:
        raise ValueError(f"{name} must be {what}; it has no {key!r} (keys: {list(mapping)[:8]!r:.120})")
    return mapping[key]


def _scale(*arrays):
    """A symmetric colour scale for the finite values: matplotlib's colorbar breaks if 2·limit overflows."""
    return min(finite_limit(*arrays), MAX_SCALE)


def _series(values, name, low=None, high=None, finite=True, min_length=1):
    """values as a 1-D float array of min_length to MAX_STEPS numbers, finite and in [low, high] if asked."""
    values = real_array(values, name)
    if values.ndim != 1 or not min_length <= len(values) <= MAX_STEPS:
        raise ValueError(f"{name} must be a list of {min_length} to {MAX_STEPS:,} numbers, one per step; got "
                         f"shape {values.shape}")
    values = values.astype(float)
    if finite and not np.all(np.isfinite(values)):
        raise ValueError(f"{name} holds NaN or ±inf")
    if low is not None and len(values) and not (values.min() >= low and values.max() <= high):
        raise ValueError(f"{name} must hold numbers from {low} to {high}; got {values.min():.3g} … "
                         f"{values.max():.3g}")
    return values


def _signed(value, digits=2):
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{abs(value):.{digits}f}"


def _moving_average(values, width):
    values = np.asarray(values, dtype=float)
    width = max(1, min(width, len(values)))
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid"), np.arange(width - 1, len(values)) + 1


# ---------------------------------------------------------------------------- progress

class TrainingProgress:
    """A progress bar and a status line for ``helpers.nn.network.train(..., on_progress=progress)``.

    steps_total: the run's number of steps (history["steps_total"], or epochs × steps per epoch) — or the
                 sum over several runs shown on one bar, each run passing ``on_progress=progress.part(label)``
    title:       the bar's label (a string)
    Display ``progress.widget``; each call ``progress(history)`` updates both in place.
    """

    def __init__(self, steps_total, title="training"):
        if (isinstance(steps_total, (bool, np.bool_)) or not isinstance(steps_total, (Integral, np.integer))
                or steps_total < 1):
            raise ValueError(f"steps_total must be an integer ≥ 1; got {steps_total!r:.80}")
        steps_total = int(steps_total)
        title = _text(title, "title")
        self.bar = widgets.IntProgress(value=0, min=0, max=steps_total, description=title,
                                       layout=widgets.Layout(width="420px"))
        self.bar.add_class("course-train-progress")
        self.status = widgets.HTML("waiting for the first steps …")
        self.status.add_class("course-train-status")
        self.widget = widgets.VBox([self.bar, self.status])
        self.widget.add_class("course-train")
        self._offset, self._label = 0, ""

    def part(self, label):
        """The on_progress callable for the next of several runs on this bar (label: e.g. "seed 3")."""
        self._offset, self._label = self.bar.value, f"{label}: "
        return self

    def __call__(self, history):
        step = min(self._offset + len(history["loss"]), self.bar.max)
        self.bar.value = step
        recent = np.mean(history["loss"][-10:])
        text = (f"{self._label}step {step:,} of {self.bar.max:,} · loss {recent:.3f} "
                "(mean of the last 10 batches)")
        if history["test_accuracy"]:
            epochs = len(history["test_accuracy"])
            text += f" · held-out accuracy {100 * history['test_accuracy'][-1]:.1f}% after epoch {epochs}"
        if step == self.bar.max:
            self.bar.bar_style = "success"
            text = "✔ done: " + text
        self.status.value = escape(text)


# ---------------------------------------------------------------------------- figures

def _history(history, name="history"):
    return mapping(history, name, "the dict network.train returns")


def plot_curves(history, title="Training the seed network"):
    """Loss per step (raw and smoothed) and held-out accuracy after each epoch.

    history: a dict from ``network.train`` with
             "loss" (S,) one loss per step, 1 ≤ S ≤ MAX_STEPS (NaN or ±inf, from a diverged run, leave gaps);
             "epoch_steps" (E,) the step at each epoch's end and "test_accuracy" (E,) fractions 0…1 there
             (both optional; test_accuracy is empty when train had no x_test)
    title:   the figure's title
    Returns the Figure.
    """
    history = _history(history)
    what = "a dict from network.train with a 'loss' list"
    loss = _series(_entry(history, "loss", "history", what), "history['loss']", finite=False)
    accuracy = _series(history.get("test_accuracy", []), "history['test_accuracy']", 0.0, 1.0, min_length=0)
    if len(accuracy):
        epoch_steps = _series(history.get("epoch_steps", []), "history['epoch_steps']", min_length=0)
        if len(epoch_steps) != len(accuracy):
            raise ValueError(f"history['epoch_steps'] must hold one step per held-out accuracy "
                             f"({len(accuracy)}); got {len(epoch_steps)}")
    title = _text(title, "title")
    loss = np.where(np.isfinite(loss), loss, np.nan)  # a diverged step is a gap, not a line to ±inf
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.6))
    steps = np.arange(1, len(loss) + 1)
    ax_loss.plot(steps, loss, color="0.75", linewidth=0.8, label="each batch")
    with np.errstate(over="ignore", invalid="ignore"):
        smooth, smooth_steps = _moving_average(loss, 25)
    smooth = np.where(np.isfinite(smooth), smooth, np.nan)
    ax_loss.plot(smooth_steps, smooth, color="black", linewidth=2, label="mean of 25 batches")
    ax_loss.set(xlabel="SGD step", ylabel="cross-entropy loss L", title="Loss falls", ylim=(0, None))
    ax_loss.legend()
    accuracy = 100 * accuracy
    if len(accuracy):
        ax_acc.plot(epoch_steps, accuracy, "o-", color="#2166ac")
        ax_acc.annotate(f"{accuracy[-1]:.1f}%", (epoch_steps[-1], accuracy[-1]),
                        textcoords="offset points", xytext=(0, 8), ha="center")
    lowest = min([80.0, *accuracy]) - 2
    ax_acc.set(xlabel="SGD step (end of each epoch)", ylabel="held-out accuracy (%)",
               title="Accuracy on images it never trained on (chance: 10 %)", ylim=(lowest, 100))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_update_signs(history, title="Each step moves some filter weights ↑ and others ↓"):
    """Per step, the share of conv filter weights the step increased (↑) and decreased (↓).

    history: a dict from ``network.train`` with "up" and "down" (S,): per step, the fraction (0…1) of
             conv filter weights the step increased and decreased, 1 ≤ S ≤ MAX_STEPS
    title:   the figure's title
    Returns the Figure.
    """
    history = _history(history)
    what = "a dict from network.train with 'up' and 'down' lists"
    up = _series(_entry(history, "up", "history", what), "history['up']", 0.0, 1.0)
    down = _series(_entry(history, "down", "history", what), "history['down']", 0.0, 1.0)
    if len(up) != len(down):
        raise ValueError(f"history['up'] and history['down'] must hold one fraction per step each; got "
                         f"{len(up)} and {len(down)}")
    title = _text(title, "title")
    up, down = 100 * up, 100 * down
    fig, ax = plt.subplots(figsize=(10, 3.6))
    steps = np.arange(1, len(up) + 1)
    ax.plot(steps, up, color="#b2182b", alpha=0.3, linewidth=0.8)
    ax.plot(steps, down, color="#2166ac", alpha=0.3, linewidth=0.8)
    for values, colour, style, label in ((up, "#b2182b", "-", "↑ increased"), (down, "#2166ac", "--", "↓ decreased")):
        smooth, smooth_steps = _moving_average(values, 25)
        ax.plot(smooth_steps, smooth, color=colour, linestyle=style, linewidth=2,
                label=f"{label} (mean {values.mean():.0f}%, never below {values.min():.0f}%)")
    ax.set(xlabel="SGD step", ylabel="share of the 378 conv weights (%)", ylim=(0, 100), title=title)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def _draw_filter_row(fig, axes, filters, norm, row_title, glyph_digits=2):
    image = None
    for f, ax in enumerate(axes):
        kernel = filters[f, 0]
        image = ax.imshow(kernel, cmap="RdBu_r", norm=norm)
        for (i, j), value in np.ndenumerate(kernel):
            dark = abs(value) > 0.6 * norm.vmax
            ax.text(j, i, _signed(value, glyph_digits), ha="center", va="center", fontsize=7.5,
                    color="white" if dark else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"filter {f + 1}", fontsize=9)
    axes[0].set_ylabel(row_title, fontsize=9)
    return image


def plot_filters(rows, row_titles, title, shared_scale=True, limits=None):
    """The six first-layer 3×3 filters, one row per moment, signed colours centred at 0 and +/− values.

    rows:         a list of 1 to MAX_ROWS conv1.w arrays (6, 1, 3, 3) (NaN or ±inf, from a diverged run,
                  are drawn blank with their value written; the colour scales use the finite values)
    row_titles:   one label (a string) per row
    title:        the figure's title
    shared_scale: True: one colour scale for all rows; False: each row its own
    limits:       optional, one positive number per row: that row's colour scale runs from −limit to +limit
                  (fixed scales, e.g. the largest value of a whole run); overrides shared_scale
    Returns the Figure (one colorbar per row, or one shared when shared_scale).
    """
    rows = _items(rows, "rows", 1, MAX_ROWS, f"conv1.w arrays {FILTER_SHAPE}")
    rows = [_array(row, "rows", shape=FILTER_SHAPE) for row in rows]
    row_titles = _texts(row_titles, len(rows), "row_titles")
    title = _text(title, "title")
    shared_scale = flag(shared_scale, "shared_scale")
    if limits is not None:
        limits = real_array(limits, "limits")
        if limits.shape != (len(rows),) or not np.all((limits > 0) & (limits <= MAX_SCALE)):
            raise ValueError(f"limits must hold one positive number (at most {MAX_SCALE:g}) per row "
                             f"({len(rows)}); got {np.array2string(limits, threshold=8)[:120]}")
    fig, axes = plt.subplots(len(rows), 6, figsize=(11, 2.0 * len(rows) + 0.6), squeeze=False)
    shared = _scale(*rows)
    for k, (row, row_title, ax_row) in enumerate(zip(rows, row_titles, axes, strict=True)):
        limit = shared if shared_scale else _scale(row)
        if limits is not None:
            limit = float(limits[k])
        image = _draw_filter_row(fig, ax_row, row, TwoSlopeNorm(0.0, -limit, limit), row_title)
        fig.colorbar(image, ax=list(ax_row), fraction=0.02, pad=0.01, label="weight")
    fig.suptitle(title)
    return fig


def plot_responses(image, filter_sets, set_titles, title):
    """What each first-layer filter responds to in one image: conv1's output maps (before pooling).

    image:       (28, 28) finite floats, drawn on a grey scale from 0 (paper) to 1 (ink)
    filter_sets: a list of 1 to MAX_ROWS (conv1.w (6, 1, 3, 3), conv1.b (6,)) pairs of finite numbers
    set_titles:  one label (a string) per filter set
    title:       the figure's title
    Returns the Figure: the image, then one row of six 26×26 signed maps per filter set.
    """
    image = _array(image, "image", shape=(28, 28), finite=True)
    filter_sets = _items(filter_sets, "filter_sets", 1, MAX_ROWS, "(conv1.w, conv1.b) pairs")
    checked = []
    for pair in filter_sets:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise ValueError(f"filter_sets must hold (conv1.w (6, 1, 3, 3), conv1.b (6,)) pairs; got {pair!r:.80}")
        checked.append((_array(pair[0], "filter_sets: each set's conv1.w", shape=FILTER_SHAPE, finite=True),
                        _array(pair[1], "filter_sets: each set's conv1.b", shape=(6,), finite=True)))
    set_titles = _texts(set_titles, len(checked), "set_titles", "filter set")
    title = _text(title, "title")
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights may overflow: drawn blank, not a traceback
        maps = [conv2d(image[None, None], w, b)[0] for w, b in checked]
    side = maps[0].shape[-1]  # 26: the six maps of a row are one image with gaps (14 axes took 0.3 s to draw)
    fig, axes = plt.subplots(len(maps), 2, figsize=(12, 2.0 * len(maps) + 0.6), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 6 * 1.08], "wspace": 0.02})
    centres = [f * (side + 2) + (side - 1) / 2 for f in range(6)]
    for row, (response, row_title) in enumerate(zip(maps, set_titles, strict=True)):
        ax_digit, ax_maps = axes[row]
        ax_digit.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax_digit.set_title("input digit", fontsize=9)
        ax_digit.set_ylabel(row_title, fontsize=9)
        limit = _scale(response)
        cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
        shown = ax_maps.imshow(_mosaic(response[None], gap=2), cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit))
        ax_maps.set_xticks(centres, [f"filter {f + 1}" for f in range(6)], fontsize=9)
        ax_maps.xaxis.tick_top()
        for ax in (ax_digit, ax_maps):
            ax.tick_params(length=0)
            ax.set_yticks([])
        ax_digit.set_xticks([])
        ax_digit.set_anchor("E")
        ax_maps.set_anchor("W")
        for spine in ax_maps.spines.values():
            spine.set_visible(False)
        fig.colorbar(shown, ax=ax_maps, fraction=0.02, pad=0.01, label="response (+ red, − blue)")
    fig.suptitle(title)
    return fig


LAYER_STYLES = {"conv1.w": ("#b2182b", "-"), "conv2.w": ("#2166ac", "--"), "fc1.w": ("0.35", ":")}


def plot_layer_moves(history, start, end, keys=("conv1.w", "conv2.w", "fc1.w"),
                     title="The learner's question, per layer: each step, and start → end"):
    """Left: per step, the share of each layer's weights the step moved ↑ (smoothed over 25 steps).
    Right: from start to end, the share of each layer's weights that ended higher ↑ / lower ↓.

    history: a dict from ``network.train`` with "moves": {name: {"up": (S,) fractions 0…1, one per step}}
    start, end: {name: array} the weights at step 0 and after the run (each layer's two arrays of one shape,
             at most MAX_LAYER_WEIGHTS weights)
    keys:    1 to MAX_ROWS layer names (strings) found in history["moves"], start and end
    title:   the figure's title
    Returns the Figure.
    """
    history = _history(history)
    start = mapping(start, "start", "a dict {layer name: weights at step 0}")
    end = mapping(end, "end", "a dict {layer name: weights after the run}")
    keys = _items(keys, "keys", 1, MAX_ROWS, "layer names")
    if not all(isinstance(key, str) for key in keys):
        raise TypeError(f"keys must be layer names (strings) such as 'conv1.w'; got {keys!r:.80}")
    moves = history.get("moves", {})
    if not isinstance(moves, Mapping):
        raise TypeError(f"history['moves'] must be a dict {{layer name: {{'up': [...]}}}}; got {type(moves).__name__}")
    missing = [k for k in keys if k not in moves or k not in start or k not in end]
    if missing:
        raise ValueError(f"keys must name layers of history['moves'], start and end; missing {missing}")
    ups, changes = {}, {}
    for key in keys:
        name = f"history['moves'][{key!r}]"
        layer = mapping(moves[key], name, "a dict with an 'up' list")
        ups[key] = _series(_entry(layer, "up", name, "a dict with an 'up' list"), f"{name}['up']", 0.0, 1.0)
        before = real_array(start[key], f"start[{key!r}]")
        after = real_array(end[key], f"end[{key!r}]")
        if before.shape != after.shape or not 1 <= before.size <= MAX_LAYER_WEIGHTS:
            raise ValueError(f"start[{key!r}] and end[{key!r}] must be arrays of one shape with 1 to "
                             f"{MAX_LAYER_WEIGHTS:,} weights; got {before.shape} and {after.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            changes[key] = after.astype(float) - before.astype(float)
    title = _text(title, "title")
    fig, (ax_step, ax_net) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    for key in keys:
        colour, style = LAYER_STYLES.get(key, ("black", "-"))
        up = 100 * ups[key]
        smooth, smooth_steps = _moving_average(up, 25)
        ax_step.plot(smooth_steps, smooth, color=colour, linestyle=style, linewidth=2,
                     label=f"{key}: ↑ {up.mean():.0f}% per step on average")
    ax_step.axhline(50, color="0.7", linewidth=0.8)
    ax_step.set(xlabel="SGD step", ylabel="weights moved ↑ by the step (%)", ylim=(0, 100),
                title="Each step: about half ↑, half ↓")
    ax_step.legend(loc="lower right", fontsize=8)
    rows = np.arange(len(keys))
    for row, key in enumerate(keys):
        higher, lower = 100 * np.mean(changes[key] > 0), 100 * np.mean(changes[key] < 0)
        ax_net.barh(row, higher, color="#b2182b", label="↑ ended higher" if row == 0 else None)
        ax_net.barh(row, -lower, color="#2166ac", label="↓ ended lower" if row == 0 else None)
        ax_net.text(higher + 2, row, f"↑ {higher:.0f}%", va="center", fontsize=9)
        ax_net.text(-lower - 2, row, f"↓ {lower:.0f}%", va="center", ha="right", fontsize=9)
    ax_net.axvline(0, color="black", linewidth=0.8)
    ax_net.set(yticks=rows, yticklabels=keys, xlim=(-130, 130), xlabel="share of the layer's weights (%)",
               title="Start → end: which weights ended higher")
    ax_net.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
    ax_net.invert_yaxis()
    ax_net.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_baselines(samples, title="Is a similarity high? Only next to its baseline",
                   xlabel="mean signed correlation of the six filters, matched one-to-one "
                          "(box: middle half, whiskers: 5–95 %)"):
    """One row per named sample of scores: a box (middle half, whiskers 5–95 %) and every value as a dot.

    samples: a dict of 1 to MAX_ROWS {label (a string): scores}, each 1 to MAX_SCORES finite numbers (any
             shape, flattened; a single float counts as one score), e.g. random vs random, trained vs
             trained, trained vs own start
    title, xlabel: the figure's title and the x axis label
    Returns the Figure.
    """
    samples = mapping(samples, "samples", "a dict {label: scores}")
    if not 1 <= len(samples) <= MAX_ROWS:
        raise ValueError(f"samples must hold 1 to {MAX_ROWS} named samples; got {len(samples)}")
    checked = {}
    for label, values in samples.items():
        label = _text(label, "samples: each label")
        values = real_array(values, f"samples[{label!r:.40}]")
        if not 1 <= values.size <= MAX_SCORES:
            raise ValueError(f"samples[{label!r:.40}] must hold 1 to {MAX_SCORES:,} scores; got {values.size:,}")
        values = values.astype(float).ravel()
        if not np.all(np.isfinite(values)):
            raise ValueError(f"samples[{label!r:.40}] holds NaN or ±inf scores")
        checked[label] = values
    samples = checked
    title, xlabel = _text(title, "title"), _text(xlabel, "xlabel")
    fig, ax = plt.subplots(figsize=(10, 0.8 * len(samples) + 1.4))
    jitter = np.random.default_rng(0)
    for row, values in enumerate(samples.values()):
        ax.boxplot(values, positions=[row], orientation="horizontal", whis=(5, 95), showfliers=False, widths=0.5)
        ax.scatter(values, row + jitter.uniform(-0.15, 0.15, values.size), s=8 if values.size > 50 else 24,
                   alpha=0.25 if values.size > 50 else 0.9, color="#2166ac" if values.size > 50 else "#b2182b")
    ax.set_yticks(range(len(samples)), [f"{label} ({np.size(v)})" for label, v in samples.items()])
    ax.set(xlabel=xlabel, xlim=(-0.2, 1.05), title=title)
    ax.invert_yaxis()
    ax.grid(axis="x", color="0.9")
    fig.tight_layout()
    return fig


def _mosaic(tiles, gap=1):
    """(R, C, h, w) tiles → one (R·(h+gap)−gap, C·(w+gap)−gap) image with NaN between tiles."""
    rows, cols, h, w = tiles.shape
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tiles[r, c]
    return out


def _write_values(ax, tiles, limit, gap=1, digits=1):
    rows, cols, h, w = tiles.shape
    for (r, c, i, j), value in np.ndenumerate(tiles):
        ax.text(c * (w + gap) + j, r * (h + gap) + i, _signed(value, digits), ha="center", va="center",
                fontsize=6.5, color="white" if abs(value) > 0.6 * limit else "black")


def _mark_signs(ax, tiles, limit, gap=1, size=40):
    """A + or − mark in each cell (the sign, readable without colour): four scatter calls, not one text a cell."""
    rows, cols, h, w = tiles.shape
    r, c, i, j = np.indices(tiles.shape).reshape(4, -1)
    x, y, value = c * (w + gap) + j, r * (h + gap) + i, tiles.ravel()
    strong = np.abs(value) > 0.6 * limit
    limits, width = (ax.get_xlim(), ax.get_ylim()), 1.4 * (size / 40) ** 0.5
    for marker, sign in (("+", value > 0), ("_", value < 0)):
        for colour, keep in (("white", strong), ("black", ~strong)):
            ax.scatter(x[sign & keep], y[sign & keep], marker=marker, s=size, linewidths=width, color=colour)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])


def plot_filter_mosaic(rows, row_titles, title, column_title="filter", xlabel=None,
                       colorbar_label="value (+ red, − blue)", digits=1):
    """Several banks of filters in one picture (fast: one image), one row per bank.

    rows:           a list of R banks (F, 1, KH, KW) of one shape, 1 ≤ R ≤ MAX_ROWS, 1 ≤ F ≤ MAX_FILTERS,
                    R·F·KH·KW ≤ MAX_WRITTEN (e.g. conv1.w (6, 1, 3, 3)); NaN or ±inf are drawn blank with their
                    value written, the colour scale uses the finite values
    row_titles:     R labels (strings); title: the figure's title; column_title: each column's label, numbered
    xlabel:         optional label under the columns (a string or None)
    colorbar_label: the colorbar's label
    digits:         decimals written in each cell (0 to MAX_DIGITS), or None: only a + or − mark in each
                    cell (a mosaic of many banks draws in a fraction of the time)
    Signed colours centred at 0 on one shared scale, each value (or its sign) written in its cell.
    Returns the Figure.
    """
    rows = _items(rows, "rows", 1, MAX_ROWS, "banks (F, 1, KH, KW)")
    rows = [real_array(row, "rows") for row in rows]
    shape = rows[0].shape
    if len(shape) != 4 or shape[1] != 1 or min(shape) < 1 or any(row.shape != shape for row in rows):
        raise ValueError(f"rows must be banks (F, 1, KH, KW) of one shape, one input channel; got shapes "
                         f"{[row.shape for row in rows][:6]}")
    if not shape[0] <= MAX_FILTERS or len(rows) * np.prod(shape) > MAX_WRITTEN:
        raise ValueError(f"rows: at most {MAX_FILTERS} filters a bank and {MAX_WRITTEN:,} values in all can be "
                         f"written into one mosaic; got {len(rows)} banks {shape}")
    row_titles = _texts(row_titles, len(rows), "row_titles")
    title, column_title = _text(title, "title"), _text(column_title, "column_title")
    if xlabel is not None:
        xlabel = _text(xlabel, "xlabel")
    colorbar_label = _text(colorbar_label, "colorbar_label")
    if digits is not None:
        digits = integer_in(digits, "digits", 0, MAX_DIGITS)
    tiles = np.stack([row[:, 0] for row in rows]).astype(float)          # (R, F, KH, KW)
    limit = _scale(tiles)
    count, filters, h, w = tiles.shape
    fig, ax = plt.subplots(figsize=(1.45 * filters + 1.6, 1.3 * count + 1.1))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    shown = ax.imshow(_mosaic(tiles), cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit))
    if digits is None:
        _mark_signs(ax, tiles, limit)
    else:
        _write_values(ax, tiles, limit, digits=digits)
    ax.set_xticks([f * (w + 1) + (w - 1) / 2 for f in range(filters)],
                  [f"{column_title} {f + 1}" for f in range(filters)])
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(count)], row_titles)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.colorbar(shown, ax=ax, fraction=0.03, pad=0.02, label=colorbar_label)
    ax.set_title(title)
    return fig


def plot_top_patches(filters, patches, responses, title="What each trained conv1 filter answers most"):
    """Each filter (signed colours, + / − written) next to the data patches that excite it most.

    filters:   (F, 1, KH, KW) finite weights, 1 ≤ F ≤ MAX_FILTERS, F·KH·KW ≤ MAX_WRITTEN
    patches:   (F, K, KH, KW) finite pixel values, drawn on a grey scale from 0 (paper) to 1 (ink),
               1 ≤ K ≤ MAX_FILTERS
    responses: (F, K) the filter's outputs at those patches (as filter_study.top_patches returns them)
    title:     the figure's title
    Returns the Figure.
    """
    filters, patches = real_array(filters, "filters"), real_array(patches, "patches")
    responses = real_array(responses, "responses")
    if (filters.ndim != 4 or patches.ndim != 4 or filters.shape[1] != 1 or min(filters.shape) < 1
            or patches.shape[0] != filters.shape[0] or patches.shape[2:] != filters.shape[2:] or min(patches.shape) < 1
            or responses.shape != patches.shape[:2]):
        raise ValueError(f"filters (F, 1, KH, KW), patches (F, K, KH, KW) and responses (F, K) must match; got "
                         f"{filters.shape}, {patches.shape}, {responses.shape}")
    if not (len(filters) <= MAX_FILTERS and patches.shape[1] <= MAX_FILTERS and filters.size <= MAX_WRITTEN):
        raise ValueError(f"filters and patches: at most {MAX_FILTERS} filters, {MAX_FILTERS} patches each and "
                         f"{MAX_WRITTEN:,} filter weights fit in one figure; got filters {filters.shape}, "
                         f"patches {patches.shape}")
    filters = _array(filters, "filters", finite=True)
    patches, responses = _array(patches, "patches", finite=True), _array(responses, "responses")
    title = _text(title, "title")
    count, shown = patches.shape[:2]
    fig, (ax_w, ax_p) = plt.subplots(1, 2, figsize=(2.0 + 0.75 * (shown + 1), 0.75 * count + 1.6),
                                     gridspec_kw={"width_ratios": [3, 4 * shown - 1], "wspace": 0.05})
    limit = _scale(filters)
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    kernels = filters[:, :1].reshape(count, 1, *filters.shape[2:])
    weights = ax_w.imshow(_mosaic(kernels), cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit))
    _mark_signs(ax_w, kernels, limit, size=14)
    grey = plt.get_cmap("gray_r").with_extremes(bad="#cfd8e3")
    pixels = ax_p.imshow(_mosaic(patches), cmap=grey, vmin=0, vmax=1)
    (h, w) = patches.shape[2:]
    centres = [r * (h + 1) + (h - 1) / 2 for r in range(count)]
    ax_w.set_yticks(centres, [f"filter {f + 1}" for f in range(count)])
    ax_w.set_xticks([])
    ax_w.set_title("trained W", fontsize=9)
    ax_p.set_yticks(centres, [f"best output {_signed(responses[f, 0])}" for f in range(count)], fontsize=8)
    ax_p.yaxis.tick_right()
    ax_p.set_xticks([k * (w + 1) + (w - 1) / 2 for k in range(shown)], [f"#{k + 1}" for k in range(shown)],
                    fontsize=8)
    ax_p.set_xlabel("one patch per image, strongest output first")
    ax_p.set_title(f"the {h}×{w} patches of the data with the largest output", fontsize=9)
    for ax in (ax_w, ax_p):
        ax.tick_params(length=0)
    fig.colorbar(weights, ax=ax_w, location="bottom", fraction=0.05, pad=0.04, label="weight (+ red, − blue)")
    fig.colorbar(pixels, ax=ax_p, location="bottom", fraction=0.05, pad=0.12, label="pixel (0 paper, 1 ink)")
    fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------- the explorer

class FilterExplorer:
    """A slider over the snapshots of a run: the six first-layer filters then, and their change since step 0.

    history: what ``helpers.nn.network.train`` returns: its "snapshots" (2 to MAX_SNAPSHOTS dicts, each with a
             "conv1.w" (6, 1, 3, 3)) and "snapshot_steps" (one integer step ≥ 0 per snapshot)
    Display ``explorer.widget``. Press → / ← on the slider to move through training.
    The filters are HTML tables (a matplotlib figure took ~1 s a press); each snapshot's HTML is built once,
    the first time it is shown. ``shown`` is what is on screen: {"index", "step", "weights", "change"}
    ((6, 1, 3, 3) arrays); ``weight_limit`` and ``change_limit`` are the two rows' fixed colour scales
    (−limit … +limit over the whole run, finite values only). A diverged run (NaN or ±inf weights) is
    shown with grey "nan" cells and a message, never a traceback.
    """

    def __init__(self, history):
        history = _history(history)
        what = "a dict from network.train with 'snapshots' and 'snapshot_steps' lists"
        snapshots = _entry(history, "snapshots", "history", what)
        if not isinstance(snapshots, (list, tuple)):
            raise TypeError(f"history['snapshots'] must be a list of dicts {{'conv1.w': (6, 1, 3, 3)}}; got "
                            f"{type(snapshots).__name__}")
        if len(snapshots) < 2:
            raise ValueError("history must hold at least two snapshots (train with snapshot_every ≤ the steps)")
        if len(snapshots) > MAX_SNAPSHOTS:
            raise ValueError(f"history holds {len(snapshots):,} snapshots; a FilterExplorer steps through at most "
                             f"{MAX_SNAPSHOTS:,} (train with a larger snapshot_every)")
        steps = real_array(_entry(history, "snapshot_steps", "history", what), "history['snapshot_steps']")
        if steps.ndim != 1 or len(steps) != len(snapshots):
            raise ValueError(f"history must hold one snapshot step per snapshot; got "
                             f"{steps.shape[0] if steps.ndim == 1 else steps.shape} steps for {len(snapshots)} "
                             f"snapshots")
        if steps.dtype.kind not in "iu" or np.any(steps < 0):
            raise ValueError(f"history['snapshot_steps'] must hold integer steps ≥ 0; got "
                             f"{np.array2string(steps, threshold=6)[:100]}")
        weights = []
        for snapshot in snapshots:
            snapshot = mapping(snapshot, "history['snapshots']", "a list of dicts {'conv1.w': (6, 1, 3, 3)}")
            conv1 = _entry(snapshot, "conv1.w", "history['snapshots']", "a list of dicts with a 'conv1.w'")
            weights.append(_array(conv1, "history['snapshots'][…]['conv1.w']", shape=FILTER_SHAPE))
        self.history = history
        self._steps = [int(step) for step in steps]
        self._weights = np.stack(weights)                  # (snapshots, 6, 1, 3, 3)
        self.slider = widgets.IntSlider(value=0, min=0, max=len(snapshots) - 1, step=1,
                                        description="snapshot", readout=False, continuous_update=True,
                                        layout=widgets.Layout(width="420px"))
        self.slider.add_class("course-filter-step")
        self.readout = widgets.HTML()
        self.readout.add_class("course-filter-readout")
        self.plot = widgets.HTML()
        self.plot.add_class("course-filter-plot")
        self.widget = widgets.VBox([self.slider, self.readout, self.plot])
        self.widget.add_class("course-filter-explorer")
        # one fixed, symmetric colour scale per row for the whole run, so colours compare across steps
        self._start = self._weights[0]
        with np.errstate(invalid="ignore", over="ignore"):
            self.weight_limit = finite_limit(self._weights)
            self.change_limit = finite_limit(self._weights - self._start)
        self._pages = {}  # snapshot index -> (readout, plot) HTML: a revisited step costs nothing
        self.shown = None
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.show(0)

    def _index(self, index):
        return integer_in(index, "index", 0, len(self._steps) - 1)

    def describe(self, index):
        """The readout line for snapshot `index` (0 … snapshots − 1)."""
        index = self._index(index)
        now, step = self._weights[index], self._steps[index]
        of = f"step {step:,} of {self._steps[-1]:,}"
        broken = int(np.sum(~np.isfinite(now)))
        if broken or not np.all(np.isfinite(self._start)):
            return (f"{of}: the run diverged — {broken} of 54 first-layer weights are not finite numbers "
                    f"(NaN or ±inf), so there is nothing to count. Lower the learning rate η (or standardize "
                    f"the inputs) and train again.")
        changes = sign_changes(self._start, now)
        crossed = len(changes["to_negative"]) + len(changes["to_positive"])
        return (f"{of}: {changes['negative_after']} of 54 "
                f"first-layer weights are negative ({changes['negative_before']} at step 0); {crossed} have "
                f"crossed zero since step 0 ({len(changes['to_negative'])} + → −, "
                f"{len(changes['to_positive'])} − → +)")

    def _page(self, index):
        if index not in self._pages:
            now, step = self._weights[index], self._steps[index]
            with np.errstate(invalid="ignore"):
                rows = [(now, self.weight_limit, f"weights at step {step:,}", "weight"),
                        (now - self._start, self.change_limit, "change since step 0", "change since step 0")]
            body = "".join(_filter_row_html(*row) for row in rows)
            plot = (f"<div class='course-filter-title' style='font-size:13px;font-weight:bold;margin:4px 0'>"
                    f"First-layer filters at step {step:,}</div>{body}"
                    f"<div style='font-size:11px;color:#333'>red + : positive (or grew), blue − : negative "
                    f"(or shrank), white 0; the same colour scale for every step of the run.</div>")
            self._pages[index] = (escape(self.describe(index)), plot)
        return self._pages[index]

    def show(self, index):
        """Put snapshot `index` (0 … snapshots − 1) on screen."""
        index = self._index(index)
        readout, plot = self._page(index)
        self.readout.value = readout
        self.plot.value = plot
        now = self._weights[index]
        with np.errstate(invalid="ignore"):
            change = now - self._start
        self.shown = {"index": index, "step": self._steps[index], "weights": now, "change": change}


def _filter_row_html(filters, limit, row_title, legend):
    """One row of six 3×3 filters (F, 1, 3, 3) as HTML tables, signed colours on −limit … +limit, a legend."""
    tables = []
    for f in range(filters.shape[0]):
        kernel = filters[f, 0]
        labels = [[_signed(value) if np.isfinite(value) else signed_text(value) for value in row] for row in kernel]
        tables.append(f"<div style='margin-right:6px;text-align:center;font-size:11px'>filter {f + 1}"
                      + table_html(kernel, labels, limit, "course-filter-kernel", cell_px=(36, 24), font_px=11)
                      + "</div>")
    return (f"<div style='display:flex;align-items:flex-end;margin-bottom:6px'>"
            f"<div style='width:90px;font-size:11px;line-height:1.3;align-self:center'>{escape(row_title)}</div>"
            + "".join(tables) + colour_legend(limit, legend, width_px=120) + "</div>")


def plot_examples(images, labels, classes, count=12, title="Some training images and their labels"):
    """The first `count` images with their class names.

    images:  (N, 1, H, W) pixel values drawn on a grey scale from 0 to 255 (e.g. MNIST's uint8 (N, 1, 28, 28)),
             N ≥ 1, H and W at most MAX_IMAGE_SIDE
    labels:  (N,) integer classes, each an index into classes
    classes: the class names (strings), e.g. dataset.classes
    count:   how many images to show, 1 to MAX_EXAMPLES (fewer if there are fewer images)
    title:   the figure's title
    Returns the Figure.
    """
    images = real_array(images, "images")
    if images.ndim != 4 or images.shape[1] != 1 or min(images.shape) < 1 or max(images.shape[2:]) > MAX_IMAGE_SIDE:
        raise ValueError(f"images must be (N, 1, H, W) with N ≥ 1 and 1 ≤ H, W ≤ {MAX_IMAGE_SIDE}; got shape "
                         f"{images.shape}")
    labels = real_array(labels, "labels")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must be (N,) with one label per image ({len(images)}); got shape {labels.shape}")
    classes = _items(classes, "classes", 1, 10_000, "class names")
    classes = [_text(name, "classes") for name in classes]
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= len(classes):
        raise ValueError(f"labels must be integer classes from 0 to {len(classes) - 1} (one per name in classes); "
                         f"got dtype {labels.dtype}, values {np.array2string(labels, threshold=6)[:80]}")
    count = integer_in(count, "count", 1, MAX_EXAMPLES)
    title = _text(title, "title")
    count = min(count, len(labels))
    h, w = images.shape[2:]
    fig, ax = plt.subplots(figsize=(1.0 * count, 1.5))  # one image with gaps: a dozen axes took 0.3 s to draw
    grey = plt.get_cmap("gray_r").with_extremes(bad="white")
    ax.imshow(_mosaic(images[None, :count, 0].astype(float), gap=max(2, w // 6)), cmap=grey, vmin=0, vmax=255)
    gap = max(2, w // 6)
    ax.set_xticks([k * (w + gap) + (w - 1) / 2 for k in range(count)],
                  [classes[int(label)] for label in labels[:count]], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=10, pad=18)
    return fig
