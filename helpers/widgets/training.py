"""What notebook 06 shows while and after the seed network trains.

``TrainingProgress`` (a progress bar and a status line, updated in place: pass it as ``on_progress`` to
``network.train``); the figures ``plot_curves``, ``plot_responses``, ``plot_layer_moves``,
``plot_baselines``, ``plot_filter_mosaic``, ``plot_top_patches``, ``plot_examples``; ``FilterExplorer``
(a slider over the training steps: the six conv1 filters then and their change since the start).
Signed values: the diverging "RdBu_r" colours centred at zero *and* a + / − glyph in every cell, so the
figures read without colour; NaN or ±inf (a diverged run) are drawn blank or grey. CSS classes:
course-train, course-train-progress, course-train-status, course-filter-explorer, course-filter-step
(the slider), course-filter-readout, course-filter-plot.
"""
from html import escape

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from helpers.door import check_memory, integer_in, mapping, real_array
from helpers.nn.conv import conv2d
from helpers.nn.network import sign_changes
from helpers.widgets.draw import colour_legend, finite_limit, signed_text, table_html
from helpers.widgets.ui import classed

FILTER_SHAPE = (6, 1, 3, 3)  # conv1.w: six 3×3 filters on one input channel
SIGNED = plt.get_cmap("RdBu_r").with_extremes(bad="white")   # NaN (gaps, a diverged value) drawn white


def _signed(value, digits=2):
    """+0.12, −0.12, 0.00: a value written into a figure's cell."""
    return signed_text(value, digits, significant=False)


def _entry(history, key, what):
    """history[key] of a dict from network.train; ValueError naming history if there is none."""
    mapping(history, "history", "the dict network.train returns")
    if key not in history:
        raise ValueError(f"history must be {what}; it has no {key!r}")
    return history[key]


def _moving_average(values, width=25):
    """(means of `width` consecutive values, the step each ends at): conv2d with a filter of 1/width."""
    values = np.asarray(values, dtype=float)
    width = max(1, min(width, len(values)))
    smooth = conv2d(values[None, None, None], np.full((1, 1, 1, width), 1 / width), np.zeros(1))[0, 0, 0]
    return smooth, np.arange(width - 1, len(values)) + 1


# ---------------------------------------------------------------------------- progress

class TrainingProgress:
    """A progress bar and a status line for ``helpers.nn.network.train(..., on_progress=progress)``.

    steps_total: the run's number of steps (history["steps_total"], or epochs × steps per epoch) — or the
                 sum over several runs shown on one bar, each run passing ``on_progress=progress.part(label)``
    title:       the bar's label (a string)
    Display ``progress.widget``; each call ``progress(history)`` updates both in place.
    """

    def __init__(self, steps_total, title="training"):
        steps_total = integer_in(steps_total, "steps_total", 1, 2**62)
        self.bar = classed(widgets.IntProgress(value=0, min=0, max=steps_total, description=str(title),
                                               layout=widgets.Layout(width="420px")), "course-train-progress")
        self.status = classed(widgets.HTML("waiting for the first steps …"), "course-train-status")
        self.widget = classed(widgets.VBox([self.bar, self.status]), "course-train")
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

def plot_curves(history, title="Training the seed network"):
    """Loss per step (raw and smoothed) and held-out accuracy after each epoch.

    history: a dict from ``network.train`` with "loss" (S,) one loss per step (NaN or ±inf, from a
             diverged run, leave gaps); "epoch_steps" (E,) the step at each epoch's end and
             "test_accuracy" (E,) fractions 0…1 there (both optional; empty when train had no x_test)
    title:   the figure's title
    Returns the Figure.
    """
    loss = real_array(_entry(history, "loss", "a dict from network.train with a 'loss' list"), "history['loss']")
    if loss.ndim != 1 or len(loss) < 1:
        raise ValueError(f"history['loss'] must hold one loss per step; got shape {loss.shape}")
    accuracy = 100 * np.asarray(history.get("test_accuracy", []), dtype=float)
    epoch_steps = np.asarray(history.get("epoch_steps", []), dtype=float)[:len(accuracy)]
    loss = np.where(np.isfinite(loss), loss, np.nan)  # a diverged step is a gap, not a line to ±inf
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.6))
    ax_loss.plot(np.arange(1, len(loss) + 1), loss, color="0.75", linewidth=0.8, label="each batch")
    with np.errstate(over="ignore", invalid="ignore"):
        smooth, smooth_steps = _moving_average(loss)
    ax_loss.plot(smooth_steps, smooth, color="black", linewidth=2, label="mean of 25 batches")
    ax_loss.set(xlabel="SGD step", ylabel="cross-entropy loss L", title="Loss falls", ylim=(0, None))
    ax_loss.legend()
    if len(accuracy):
        ax_acc.plot(epoch_steps, accuracy, "o-", color="#2166ac")
        ax_acc.annotate(f"{accuracy[-1]:.1f}%", (epoch_steps[-1], accuracy[-1]),
                        textcoords="offset points", xytext=(0, 8), ha="center")
    lowest = min([80.0, *accuracy]) - 2
    ax_acc.set(xlabel="SGD step (end of each epoch)", ylabel="held-out accuracy (%)",
               title="Accuracy on images it never trained on (chance: 10 %)", ylim=(lowest, 100))
    fig.suptitle(str(title))
    fig.tight_layout()
    return fig


def plot_responses(image, filter_sets, set_titles, title):
    """What each first-layer filter responds to in one image: conv1's output maps (before pooling).

    image:       (28, 28) floats, drawn on a grey scale from 0 (paper) to 1 (ink)
    filter_sets: a list of (conv1.w (6, 1, 3, 3), conv1.b (6,)) pairs
    set_titles:  one label (a string) per filter set
    title:       the figure's title
    Returns the Figure: the image, then one row of six 26×26 signed maps per filter set.
    """
    image = real_array(image, "image")
    if image.shape != (28, 28):
        raise ValueError(f"image must be one (28, 28) digit; got shape {image.shape}")
    if not (len(filter_sets) == len(set_titles) >= 1
            and all(len(pair) == 2 and np.shape(pair[0]) == FILTER_SHAPE for pair in filter_sets)):
        raise ValueError("filter_sets must be (conv1.w (6, 1, 3, 3), conv1.b (6,)) pairs, one per title in set_titles")
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights may overflow: drawn blank, not a traceback
        maps = [conv2d(image[None, None], w, b)[0] for w, b in filter_sets]
    side = maps[0].shape[-1]  # 26: the six maps of a row are one image with gaps (14 axes took 0.3 s to draw)
    fig, axes = plt.subplots(len(maps), 2, figsize=(12, 2.0 * len(maps) + 0.6), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 6 * 1.08], "wspace": 0.02})
    centres = [f * (side + 2) + (side - 1) / 2 for f in range(6)]
    for (ax_digit, ax_maps), response, row_title in zip(axes, maps, set_titles, strict=True):
        ax_digit.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax_digit.set_title("input digit", fontsize=9)
        ax_digit.set_ylabel(str(row_title), fontsize=9)
        limit = finite_limit(response)
        shown = ax_maps.imshow(_mosaic(response[None], gap=2), cmap=SIGNED, norm=TwoSlopeNorm(0.0, -limit, limit))
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
    fig.suptitle(str(title))
    return fig


LAYER_STYLES = {"conv1.w": ("#b2182b", "-"), "conv2.w": ("#2166ac", "--"), "fc1.w": ("0.35", ":")}


def plot_layer_moves(history, start, end, keys=("conv1.w", "conv2.w", "fc1.w"),
                     title="The learner's question, per layer: each step, and start → end"):
    """Left: per step, the share of each layer's weights the step moved ↑ (smoothed over 25 steps).
    Right: from start to end, the share of each layer's weights that ended higher ↑ / lower ↓.

    history: a dict from ``network.train`` with "moves": {name: {"up": (S,) fractions 0…1, one per step}}
    start, end: {name: array} the weights at step 0 and after the run (each layer's two arrays of one shape)
    keys:    the layer names, found in history["moves"], start and end
    title:   the figure's title
    Returns the Figure.
    """
    moves = _entry(history, "moves", "a dict from network.train with 'moves'")
    mapping(start, "start", "a dict {layer name: weights at step 0}")
    mapping(end, "end", "a dict {layer name: weights after the run}")
    missing = [k for k in keys if k not in moves or k not in start or k not in end]
    if missing:
        raise ValueError(f"keys must name layers of history['moves'], start and end; missing {missing}")
    if any(np.shape(start[k]) != np.shape(end[k]) for k in keys):
        raise ValueError("start and end must hold arrays of one shape for each layer of keys")
    fig, (ax_step, ax_net) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    for key in keys:
        colour, style = LAYER_STYLES.get(key, ("black", "-"))
        up = 100 * np.asarray(moves[key]["up"], dtype=float)
        smooth, smooth_steps = _moving_average(up)
        ax_step.plot(smooth_steps, smooth, color=colour, linestyle=style, linewidth=2,
                     label=f"{key}: ↑ {up.mean():.0f}% per step on average")
    ax_step.axhline(50, color="0.7", linewidth=0.8)
    ax_step.set(xlabel="SGD step", ylabel="weights moved ↑ by the step (%)", ylim=(0, 100),
                title="Each step: about half ↑, half ↓")
    ax_step.legend(loc="lower right", fontsize=8)
    for row, key in enumerate(keys):
        with np.errstate(over="ignore", invalid="ignore"):
            change = np.asarray(end[key], dtype=float) - np.asarray(start[key], dtype=float)
        higher, lower = 100 * np.mean(change > 0), 100 * np.mean(change < 0)
        ax_net.barh(row, higher, color="#b2182b", label="↑ ended higher" if row == 0 else None)
        ax_net.barh(row, -lower, color="#2166ac", label="↓ ended lower" if row == 0 else None)
        ax_net.text(higher + 2, row, f"↑ {higher:.0f}%", va="center", fontsize=9)
        ax_net.text(-lower - 2, row, f"↓ {lower:.0f}%", va="center", ha="right", fontsize=9)
    ax_net.axvline(0, color="black", linewidth=0.8)
    ax_net.set(yticks=np.arange(len(keys)), yticklabels=keys, xlim=(-130, 130),
               xlabel="share of the layer's weights (%)", title="Start → end: which weights ended higher")
    ax_net.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
    ax_net.invert_yaxis()
    ax_net.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8)
    fig.suptitle(str(title))
    fig.tight_layout()
    return fig


def plot_baselines(samples, title="Is a similarity high? Only next to its baseline",
                   xlabel="mean signed correlation of the six filters, matched one-to-one "
                          "(box: middle half, whiskers: 5–95 %)"):
    """One row per named sample of scores: a box (middle half, whiskers 5–95 %) and every value as a dot.

    samples: a dict {label (a string): scores}, each one or more finite numbers (any shape, flattened),
             e.g. random vs random, trained vs trained, trained vs own start
    title, xlabel: the figure's title and the x axis label
    Returns the Figure.
    """
    mapping(samples, "samples", "a dict {label: scores}")
    samples = {str(label): real_array(values, f"samples[{label!r:.40}]") for label, values in samples.items()}
    check_memory(8 * sum(values.size for values in samples.values()), "samples")
    samples = {label: values.astype(float).ravel() for label, values in samples.items()}
    if not samples or any(values.size == 0 or not np.all(np.isfinite(values)) for values in samples.values()):
        raise ValueError("samples must hold at least one named sample, each one or more finite scores")
    fig, ax = plt.subplots(figsize=(10, 0.8 * len(samples) + 1.4))
    jitter = np.random.default_rng(0)
    for row, values in enumerate(samples.values()):
        ax.boxplot(values, positions=[row], orientation="horizontal", whis=(5, 95), showfliers=False, widths=0.5)
        ax.scatter(values, row + jitter.uniform(-0.15, 0.15, values.size), s=8 if values.size > 50 else 24,
                   alpha=0.25 if values.size > 50 else 0.9, color="#2166ac" if values.size > 50 else "#b2182b")
    ax.set_yticks(range(len(samples)), [f"{label} ({np.size(v)})" for label, v in samples.items()])
    ax.set(xlabel=str(xlabel), xlim=(-0.2, 1.05), title=str(title))
    ax.invert_yaxis()
    ax.grid(axis="x", color="0.9")
    fig.tight_layout()
    return fig


def _mosaic(tiles, gap=1):
    """(R, C, h, w) tiles → one (R·(h+gap)−gap, C·(w+gap)−gap) image with NaN between tiles."""
    rows, cols, h, w = tiles.shape
    spaced = np.pad(tiles.astype(float), ((0, 0), (0, 0), (0, gap), (0, gap)), constant_values=np.nan)
    return spaced.transpose(0, 2, 1, 3).reshape(rows * (h + gap), cols * (w + gap))[:-gap, :-gap]


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

    rows:           a list of R banks (F, 1, KH, KW) of one shape (e.g. conv1.w (6, 1, 3, 3)); NaN or ±inf
                    are drawn blank with their value written, the colour scale uses the finite values
    row_titles:     R labels (strings); title: the figure's title; column_title: each column's label, numbered
    xlabel:         optional label under the columns (a string or None)
    colorbar_label: the colorbar's label
    digits:         decimals written in each cell, or None: only a + or − mark in each cell (a mosaic of
                    many banks draws in a fraction of the time)
    Signed colours centred at 0 on one shared scale, each value (or its sign) written in its cell.
    Returns the Figure.
    """
    rows = real_array(rows, "rows")                                      # (R, F, 1, KH, KW)
    if rows.ndim != 5 or rows.shape[2] != 1 or min(rows.shape) < 1:
        raise ValueError(f"rows must be a list of banks (F, 1, KH, KW) of one shape; got shape {rows.shape}")
    if not isinstance(row_titles, (list, tuple)) or len(row_titles) != len(rows):
        raise ValueError(f"row_titles must be a list of one label per bank ({len(rows)})")
    if digits is not None:
        digits = integer_in(digits, "digits", 0, 10)
    tiles = rows[:, :, 0].astype(float)                                  # (R, F, KH, KW)
    limit = finite_limit(tiles)
    count, filters, h, w = tiles.shape
    fig, ax = plt.subplots(figsize=(1.45 * filters + 1.6, 1.3 * count + 1.1))
    shown = ax.imshow(_mosaic(tiles), cmap=SIGNED, norm=TwoSlopeNorm(0.0, -limit, limit))
    if digits is None:
        _mark_signs(ax, tiles, limit)
    else:
        _write_values(ax, tiles, limit, digits=digits)
    ax.set_xticks([f * (w + 1) + (w - 1) / 2 for f in range(filters)],
                  [f"{column_title} {f + 1}" for f in range(filters)])
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(count)], [str(t) for t in row_titles])
    if xlabel:
        ax.set_xlabel(str(xlabel))
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.colorbar(shown, ax=ax, fraction=0.03, pad=0.02, label=str(colorbar_label))
    ax.set_title(str(title))
    return fig


def plot_top_patches(filters, patches, responses, title="What each trained conv1 filter answers most"):
    """Each filter (signed colours, + / − written) next to the data patches that excite it most.

    filters:   (F, 1, KH, KW) finite weights
    patches:   (F, K, KH, KW) finite pixel values, drawn on a grey scale from 0 (paper) to 1 (ink)
    responses: (F, K) the filter's outputs at those patches (as filter_study.top_patches returns them)
    title:     the figure's title
    Returns the Figure.
    """
    filters, patches = real_array(filters, "filters"), real_array(patches, "patches")
    responses = real_array(responses, "responses")
    if (patches.ndim != 4 or patches.size == 0 or filters.shape != (len(patches), 1, *patches.shape[2:])
            or responses.shape != patches.shape[:2]):
        raise ValueError(f"filters (F, 1, KH, KW), patches (F, K, KH, KW) and responses (F, K) must match; got "
                         f"{filters.shape}, {patches.shape}, {responses.shape}")
    count, shown = patches.shape[:2]
    fig, (ax_w, ax_p) = plt.subplots(1, 2, figsize=(2.0 + 0.75 * (shown + 1), 0.75 * count + 1.6),
                                     gridspec_kw={"width_ratios": [3, 4 * shown - 1], "wspace": 0.05})
    limit = finite_limit(filters)
    weights = ax_w.imshow(_mosaic(filters), cmap=SIGNED, norm=TwoSlopeNorm(0.0, -limit, limit))
    _mark_signs(ax_w, filters, limit, size=14)
    grey = plt.get_cmap("gray_r").with_extremes(bad="#cfd8e3")
    pixels = ax_p.imshow(_mosaic(patches), cmap=grey, vmin=0, vmax=1)
    h, w = patches.shape[2:]
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
    fig.suptitle(str(title))
    return fig


# ---------------------------------------------------------------------------- the explorer

class FilterExplorer:
    """A slider over the snapshots of a run: the six first-layer filters then, and their change since step 0.

    history: what ``helpers.nn.network.train`` returns: its "snapshots" (two or more dicts, each with a
             "conv1.w" (6, 1, 3, 3)) and "snapshot_steps" (one integer step ≥ 0 per snapshot)
    Display ``explorer.widget``. Press → / ← on the slider to move through training.
    The filters are HTML tables (a matplotlib figure took ~1 s a press); each snapshot's HTML is built once,
    the first time it is shown. ``shown`` is what is on screen: {"index", "step", "weights", "change"}
    ((6, 1, 3, 3) arrays); ``weight_limit`` and ``change_limit`` are the two rows' fixed colour scales
    (−limit … +limit over the whole run, finite values only). A diverged run (NaN or ±inf weights) is
    shown with grey "nan" cells and a message, never a traceback.
    """

    def __init__(self, history):
        what = "a dict from network.train with 'snapshots' and 'snapshot_steps' lists"
        snapshots, steps = _entry(history, "snapshots", what), _entry(history, "snapshot_steps", what)
        if len(snapshots) < 2:
            raise ValueError("history must hold at least two snapshots (train with snapshot_every ≤ the steps)")
        if len(steps) != len(snapshots):
            raise ValueError(f"history must hold one snapshot step per snapshot; got {len(steps)} steps for "
                             f"{len(snapshots)} snapshots")
        if not all(isinstance(s, dict) and np.shape(s.get("conv1.w")) == FILTER_SHAPE for s in snapshots):
            raise ValueError(f"history['snapshots'] must be dicts with a 'conv1.w' of shape {FILTER_SHAPE}")
        self.history = history
        self._steps = [integer_in(step, "history['snapshot_steps']", 0, 2**62) for step in steps]
        self._weights = np.stack([real_array(s["conv1.w"], "history['snapshots']") for s in snapshots]).astype(float)
        self.slider = classed(widgets.IntSlider(value=0, min=0, max=len(snapshots) - 1, step=1,
                                                description="snapshot", readout=False, continuous_update=True,
                                                layout=widgets.Layout(width="420px")), "course-filter-step")
        self.readout = classed(widgets.HTML(), "course-filter-readout")
        self.plot = classed(widgets.HTML(), "course-filter-plot")
        self.widget = classed(widgets.VBox([self.slider, self.readout, self.plot]), "course-filter-explorer")
        # one fixed, symmetric colour scale per row for the whole run, so colours compare across steps
        self._start = self._weights[0]
        with np.errstate(invalid="ignore", over="ignore"):
            self.weight_limit = finite_limit(self._weights)
            self.change_limit = finite_limit(self._weights - self._start)
        self._pages = {}  # snapshot index -> (readout, plot) HTML: a revisited step costs nothing
        self.shown = None
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.show(0)

    def describe(self, index):
        """The readout line for snapshot `index` (0 … snapshots − 1)."""
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
        self.readout.value, self.plot.value = self._page(index)
        now = self._weights[index]
        with np.errstate(invalid="ignore"):
            self.shown = {"index": index, "step": self._steps[index], "weights": now, "change": now - self._start}


def _filter_row_html(filters, limit, row_title, legend):
    """One row of six 3×3 filters (F, 1, 3, 3) as HTML tables, signed colours on −limit … +limit, a legend."""
    tables = []
    for f in range(filters.shape[0]):
        tables.append(f"<div style='margin-right:6px;text-align:center;font-size:11px'>filter {f + 1}"
                      + table_html(filters[f, 0], _signed, limit, "course-filter-kernel", cell_px=(36, 24),
                                   font_px=11) + "</div>")
    return (f"<div style='display:flex;align-items:flex-end;margin-bottom:6px'>"
            f"<div style='width:90px;font-size:11px;line-height:1.3;align-self:center'>{escape(row_title)}</div>"
            + "".join(tables) + colour_legend(limit, legend, width_px=120) + "</div>")


def plot_examples(images, labels, classes, count=12, title="Some training images and their labels"):
    """The first `count` images with their class names.

    images:  (N, 1, H, W) pixel values drawn on a grey scale from 0 to 255 (e.g. MNIST's uint8 (N, 1, 28, 28))
    labels:  (N,) integer classes, each an index into classes
    classes: the class names (strings), e.g. dataset.classes
    count:   how many images to show, 1 to 50 (fewer if there are fewer images)
    title:   the figure's title
    Returns the Figure.
    """
    images, labels = real_array(images, "images"), real_array(labels, "labels")
    if images.ndim != 4 or images.shape[1] != 1 or min(images.shape) < 1:
        raise ValueError(f"images must be (N, 1, H, W) with N ≥ 1; got shape {images.shape}")
    if not isinstance(classes, (list, tuple)):
        raise TypeError(f"classes must be a list of class names; got {type(classes).__name__}")
    known = np.isin(labels, range(len(classes))).all()
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu" or not known:
        raise ValueError(f"labels must be {len(images)} integer classes, each an index into classes")
    count = min(integer_in(count, "count", 1, 50), len(labels))
    h, w = images.shape[2:]
    fig, ax = plt.subplots(figsize=(1.0 * count, 1.5))  # one image with gaps: a dozen axes took 0.3 s to draw
    grey = plt.get_cmap("gray_r").with_extremes(bad="white")
    ax.imshow(_mosaic(images[None, :count, 0].astype(float), gap=max(2, w // 6)), cmap=grey, vmin=0, vmax=255)
    gap = max(2, w // 6)
    ax.set_xticks([k * (w + gap) + (w - 1) / 2 for k in range(count)],
                  [str(classes[int(label)]) for label in labels[:count]], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(str(title), fontsize=10, pad=18)
    return fig
