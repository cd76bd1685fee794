"""What notebook 06 shows while and after the seed network trains: a progress bar, figures, a filter explorer.

Signed values: "RdBu_r" colours centred at zero *and* a + / − glyph in every cell, so the figures read
without colour; NaN or ±inf (a diverged run) are drawn blank or grey. CSS classes:
course-train, course-train-progress, course-train-status, course-filter-explorer, course-filter-step
(the slider), course-filter-readout, course-filter-plot.
"""
from functools import partial
from html import escape

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from helpers.door import checked, class_names, integer_in, mapping, real_array
from helpers.nn.conv import conv2d
from helpers.nn.network import sign_changes
from helpers.study.converged import names, study_args
from helpers.widgets.draw import colour_legend, finite_limit, signed_text, table_html
from helpers.widgets.ui import classed

FILTER_SHAPE = (6, 1, 3, 3)  # conv1.w: six 3×3 filters on one input channel
SIGNED = plt.get_cmap("RdBu_r").with_extremes(bad="white")   # NaN (gaps, a diverged value) drawn white


def _entry(history, key, what):
    """history[key] of a dict from network.train; ValueError naming history if there is none."""
    mapping(history, "history", "the dict network.train returns")
    if key not in history:
        raise ValueError(f"history must be {what}; it has no {key!r}")
    return history[key]


# ---------------------------------------------------------------------------- progress

class TrainingProgress:
    """A progress bar and a status line for ``helpers.nn.network.train(..., on_progress=progress)``.

    steps_total: the run's number of steps (history["steps_total"], or epochs × steps per epoch)
    Display ``progress.widget``; each call ``progress(history)`` updates both in place.
    """

    def __init__(self, steps_total):
        steps_total = integer_in(steps_total, "steps_total", 1, 2**62)
        self.bar = classed(widgets.IntProgress(value=0, min=0, max=steps_total, description="training",
                                               layout=widgets.Layout(width="420px")), "course-train-progress")
        self.status = classed(widgets.HTML("waiting for the first steps …"), "course-train-status")
        self.widget = classed(widgets.VBox([self.bar, self.status]), "course-train")

    def __call__(self, history):
        step = min(len(history["loss"]), self.bar.max)
        self.bar.value = step
        recent = np.mean(history["loss"][-10:])
        text = f"step {step:,} of {self.bar.max:,} · loss {recent:.3f} (mean of the last 10 batches)"
        if history["test_accuracy"]:
            epochs = len(history["test_accuracy"])
            text += f" · held-out accuracy {100 * history['test_accuracy'][-1]:.1f}% after epoch {epochs}"
        if step == self.bar.max:
            self.bar.bar_style = "success"
            text = "✔ done: " + text
        self.status.value = escape(text)

    def diverged(self, error):
        """Show a network.TrainingDiverged: the bar turns red and says why. Returns the run so far, error.history."""
        self.bar.bar_style = "danger"
        self.status.value = escape(f"✘ {error}")
        return error.history


# ---------------------------------------------------------------------------- figures

def plot_curves(history):
    """Loss per step (raw and smoothed) and held-out accuracy after each epoch.

    history: a dict from ``network.train`` with "loss" (S,) one loss per step (NaN or ±inf, from a
             diverged run, leave gaps); "epoch_steps" (E,) the step at each epoch's end and
             "test_accuracy" (E,) fractions 0…1 there (both optional; empty when train had no x_test)
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
    width = min(25, len(loss))   # the mean of `width` consecutive losses: conv2d with a filter of 1/width
    with np.errstate(over="ignore", invalid="ignore"):
        smooth = conv2d.unchecked(loss[None, None, None], np.full((1, 1, 1, width), 1 / width), np.zeros(1))[0, 0, 0]
    ax_loss.plot(np.arange(width, len(loss) + 1), smooth, color="black", linewidth=2, label="mean of 25 batches")
    falls = len(smooth) > 1 and smooth[-1] < smooth[0]
    ax_loss.set(xlabel="SGD step", ylabel="cross-entropy loss L", ylim=(0, None),
                title="Loss falls" if falls else "The loss does not fall")
    ax_loss.legend()
    if len(accuracy):
        ax_acc.plot(epoch_steps, accuracy, "o-", color="#2166ac")
        ax_acc.annotate(f"{accuracy[-1]:.1f}%", (epoch_steps[-1], accuracy[-1]),
                        textcoords="offset points", xytext=(0, 8), ha="center")
    lowest = min([80.0, *accuracy]) - 2
    ax_acc.set(xlabel="SGD step (end of each epoch)", ylabel="held-out accuracy (%)",
               title="Accuracy on images it never trained on (chance: 10 %)", ylim=(lowest, 100))
    fig.suptitle("Training the seed network")
    fig.tight_layout()
    return fig


@checked(study_args)
def plot_study_curves(study, meta):
    """The stored study's learning curves: held-out accuracy and training loss per epoch, one line per seed.

    study, meta: what helpers.study.converged.load() returns. Returns the Figure.
    """
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 3.6))
    for name, colour in zip(names.unchecked(meta), ("#b2182b", "#2166ac", "#1b7837", "#762a83"), strict=False):
        epochs = np.arange(1, meta["max_epochs"] + 1)
        for seed, (accuracy, loss) in enumerate(zip(study[f"{name}/test_accuracy"], study[f"{name}/train_loss"],
                                                    strict=True)):
            label = f"{name} ({len(study[f'{name}/epochs'])} seeds)" if seed == 0 else None
            ax_acc.plot(epochs, 100 * accuracy, color=colour, linewidth=0.8, alpha=0.7, label=label)
            ax_loss.plot(epochs, loss, color=colour, linewidth=0.8, alpha=0.7, label=label)
    ax_acc.axvline(meta["min_epochs"], color="0.5", linestyle=":", linewidth=1)
    ax_acc.set(xlabel="epoch", ylabel="held-out accuracy (%)", title="Held-out accuracy (each run ends with its line)")
    ax_loss.set(xlabel="epoch", ylabel="training loss (mean of the epoch)", yscale="log", title="Training loss")
    ax_acc.legend()
    fig.suptitle("Ten seeds trained until they stop improving")
    fig.tight_layout()
    return fig


def _mosaic(tiles, gap=1):
    """(R, C, h, w) tiles → one (R·(h+gap)−gap, C·(w+gap)−gap) image with NaN between tiles."""
    rows, cols, h, w = tiles.shape
    spaced = np.pad(tiles.astype(float), ((0, 0), (0, 0), (0, gap), (0, gap)), constant_values=np.nan)
    return spaced.transpose(0, 2, 1, 3).reshape(rows * (h + gap), cols * (w + gap))[:-gap, :-gap]


def _mark_signs(ax, tiles, limit):
    """A + or − mark in each cell (the sign, readable without colour): four scatter calls, not one text a cell."""
    h, w = tiles.shape[2:]
    r, c, i, j = np.indices(tiles.shape).reshape(4, -1)
    x, y, value = c * (w + 1) + j, r * (h + 1) + i, tiles.ravel()
    strong = np.abs(value) > 0.6 * limit
    xlim, ylim = ax.get_xlim(), ax.get_ylim()   # scatter would widen them: the marks must not move the image
    for marker, sign in (("+", value > 0), ("_", value < 0)):
        for colour, keep in (("white", strong), ("black", ~strong)):
            ax.scatter(x[sign & keep], y[sign & keep], marker=marker, s=40, linewidths=1.4, color=colour)
    ax.set(xlim=xlim, ylim=ylim)


def plot_filter_mosaic(rows, row_titles, title, colorbar_label="value (+ red, − blue)", digits=1):
    """Several banks of filters in one picture (fast: one image), one row per bank, one column per filter.

    rows:           a list of R banks (F, 1, KH, KW) of one shape (e.g. conv1.w (6, 1, 3, 3)); NaN or ±inf
                    are drawn blank with their value written, the colour scale uses the finite values
    row_titles:     R labels (strings); title: the figure's title; colorbar_label: the colorbar's label
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
        for (r, c, i, j), value in np.ndenumerate(tiles):
            ax.text(c * (w + 1) + j, r * (h + 1) + i, signed_text(value, digits, significant=False), ha="center",
                    va="center", fontsize="x-small", color="white" if abs(value) > 0.6 * limit else "black")
    ax.set_xticks([f * (w + 1) + (w - 1) / 2 for f in range(filters)], [f"filter {f + 1}" for f in range(filters)])
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(count)], [str(t) for t in row_titles])
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    fig.colorbar(shown, ax=ax, fraction=0.03, pad=0.02, label=str(colorbar_label))
    ax.set_title(str(title))
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
    label = partial(signed_text, digits=2, significant=False)   # +0.12, −0.12, 0.00
    tables = "".join(f"<div style='margin-right:6px;text-align:center;font-size:11px'>filter {f + 1}"
                     + table_html(kernel[0], label, limit, "course-filter-kernel", (36, 24), 11) + "</div>"
                     for f, kernel in enumerate(filters))
    return (f"<div style='display:flex;align-items:flex-end;margin-bottom:6px'>"
            f"<div style='width:90px;font-size:11px;line-height:1.3;align-self:center'>{escape(row_title)}</div>"
            + tables + colour_legend(limit, legend, width_px=120) + "</div>")


def plot_examples(images, labels, classes, count=12):
    """The first `count` images with their class names.

    images:  (N, 1, H, W) pixel values drawn on a grey scale from 0 to 255 (e.g. MNIST's uint8 (N, 1, 28, 28))
    labels:  (N,) integer classes, each an index into classes
    classes: the class names (strings), e.g. dataset.classes
    count:   how many images to show, 1 to 50 (fewer if there are fewer images)
    Returns the Figure.
    """
    images, labels = real_array(images, "images"), real_array(labels, "labels")
    if images.ndim != 4 or images.shape[1] != 1 or min(images.shape) < 1:
        raise ValueError(f"images must be (N, 1, H, W) with N ≥ 1; got shape {images.shape}")
    classes = class_names(classes, "classes", 1, 10)
    known = np.isin(labels, range(len(classes))).all()
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu" or not known:
        raise ValueError(f"labels must be {len(images)} integer classes, each an index into classes")
    count = min(integer_in(count, "count", 1, 50), len(labels))
    h, w = images.shape[2:]
    fig, ax = plt.subplots(figsize=(1.0 * count, 1.5))  # one image with gaps: a dozen axes took 0.3 s to draw
    grey = plt.get_cmap("gray_r").with_extremes(bad="white")
    gap = max(2, w // 6)
    ax.imshow(_mosaic(images[None, :count, 0].astype(float), gap), cmap=grey, vmin=0, vmax=255)
    ax.set_xticks([k * (w + gap) + (w - 1) / 2 for k in range(count)],
                  [classes[int(label)] for label in labels[:count]], fontsize="small")
    ax.xaxis.tick_top()
    ax.set_yticks([])
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    ax.set_title("Some training images and their labels", fontsize="medium", pad=18)
    return fig
