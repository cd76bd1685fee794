"""What notebook 06 shows while and after the seed network trains.

- ``TrainingProgress``: a progress bar and one status line that update in place (no printed lines);
  pass the object as ``on_progress`` to ``helpers.network.train``.
- ``plot_curves``, ``plot_update_signs``, ``plot_filters``, ``plot_responses``: the figures.
- ``FilterExplorer``: a slider over the training steps; shows the six first-layer filters at that
  step and how far each weight has moved since the start, with a one-line count of negative weights.

Signed values are drawn with the diverging "RdBu_r" colormap centred at zero *and* a + / − glyph in
every cell, so the figures read without colour.

CSS classes: course-train (progress box), course-train-progress, course-train-status,
course-filter-explorer, course-filter-step (the slider), course-filter-readout, course-filter-plot.
"""
from html import escape

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from helpers.conv import conv2d
from helpers.network import sign_changes
from helpers.widget_draw import colour_legend, finite_limit, signed_text, table_html


def _signed(value, digits=2):
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{abs(value):.{digits}f}"


def _moving_average(values, width):
    values = np.asarray(values, dtype=float)
    width = max(1, min(width, len(values)))
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid"), np.arange(width - 1, len(values)) + 1


# ---------------------------------------------------------------------------- progress

class TrainingProgress:
    """A progress bar and a status line for ``helpers.network.train(..., on_progress=progress)``.

    steps_total: the run's number of steps (history["steps_total"], or epochs × steps per epoch)
    Display ``progress.widget``; each call ``progress(history)`` updates both in place.
    """

    def __init__(self, steps_total, title="training"):
        if not (isinstance(steps_total, int) and steps_total >= 1):
            raise ValueError(f"steps_total must be an integer ≥ 1; got {steps_total!r}")
        self.bar = widgets.IntProgress(value=0, min=0, max=steps_total, description=title,
                                       layout=widgets.Layout(width="420px"))
        self.bar.add_class("course-train-progress")
        self.status = widgets.HTML("waiting for the first steps …")
        self.status.add_class("course-train-status")
        self.widget = widgets.VBox([self.bar, self.status])
        self.widget.add_class("course-train")

    def __call__(self, history):
        step = len(history["loss"])
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


# ---------------------------------------------------------------------------- figures

def plot_curves(history, title="Training the seed network"):
    """Loss per step (raw and smoothed) and held-out accuracy after each epoch."""
    loss = np.asarray(history["loss"])
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.6))
    steps = np.arange(1, len(loss) + 1)
    ax_loss.plot(steps, loss, color="0.75", linewidth=0.8, label="each batch")
    smooth, smooth_steps = _moving_average(loss, 25)
    ax_loss.plot(smooth_steps, smooth, color="black", linewidth=2, label="mean of 25 batches")
    ax_loss.set(xlabel="SGD step", ylabel="cross-entropy loss L", title="Loss falls", ylim=(0, None))
    ax_loss.legend()
    accuracy = 100 * np.asarray(history["test_accuracy"])
    if len(accuracy):
        ax_acc.plot(history["epoch_steps"], accuracy, "o-", color="#2166ac")
        ax_acc.annotate(f"{accuracy[-1]:.1f}%", (history["epoch_steps"][-1], accuracy[-1]),
                        textcoords="offset points", xytext=(0, 8), ha="center")
        ax_acc.axhline(93, color="0.5", linestyle=":", label="93%")
        ax_acc.legend(loc="lower right")
    lowest = min([80.0, *accuracy]) - 2
    ax_acc.set(xlabel="SGD step (end of each epoch)", ylabel="held-out accuracy (%)",
               title="Accuracy on images it never trained on", ylim=(lowest, 100))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_update_signs(history, title="Each step moves some filter weights ↑ and others ↓"):
    """Per step, the share of conv filter weights the step increased (↑) and decreased (↓)."""
    up, down = 100 * np.asarray(history["up"]), 100 * np.asarray(history["down"])
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

    rows: list of conv1.w arrays (6, 1, 3, 3); row_titles: one label per row
    limits: optional, one positive number per row: that row's colour scale runs from −limit to +limit
            (fixed scales, e.g. the largest value of a whole run); overrides shared_scale
    Returns the Figure (one colorbar per row, or one shared when shared_scale).
    """
    rows = [np.asarray(r, dtype=float) for r in rows]
    if not rows or any(r.shape != (6, 1, 3, 3) for r in rows) or len(row_titles) != len(rows):
        raise ValueError(f"rows must be conv1.w arrays (6, 1, 3, 3), one title each; got shapes "
                         f"{[r.shape for r in rows]} and {len(row_titles)} titles")
    if limits is not None and (len(limits) != len(rows) or not all(np.isfinite(x) and x > 0 for x in limits)):
        raise ValueError(f"limits must hold one positive number per row; got {limits!r} for {len(rows)} rows")
    fig, axes = plt.subplots(len(rows), 6, figsize=(11, 2.0 * len(rows) + 0.6), squeeze=False)
    shared = max(float(np.abs(np.stack(rows)).max()), 1e-9)
    for k, (row, row_title, ax_row) in enumerate(zip(rows, row_titles, axes, strict=True)):
        limit = shared if shared_scale else max(float(np.abs(row).max()), 1e-9)
        if limits is not None:
            limit = float(limits[k])
        image = _draw_filter_row(fig, ax_row, row, TwoSlopeNorm(0.0, -limit, limit), row_title)
        fig.colorbar(image, ax=list(ax_row), fraction=0.02, pad=0.01, label="weight")
    fig.suptitle(title)
    return fig


def plot_responses(image, filter_sets, set_titles, title):
    """What each first-layer filter responds to in one image: conv1's output maps (before pooling).

    image: (28, 28) floats in [0, 1]; filter_sets: list of (conv1.w (6,1,3,3), conv1.b (6,)) pairs
    Returns the Figure: the image, then one row of six 26×26 signed maps per filter set.
    """
    image = np.asarray(image, dtype=float)
    if image.shape != (28, 28):
        raise ValueError(f"image must be (28, 28); got {image.shape}")
    maps = [conv2d(image[None, None], np.asarray(w, float), np.asarray(b, float))[0] for w, b in filter_sets]
    fig, axes = plt.subplots(len(maps), 7, figsize=(12, 2.0 * len(maps) + 0.6), squeeze=False)
    for row, (response, row_title) in enumerate(zip(maps, set_titles, strict=True)):
        axes[row, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
        axes[row, 0].set_title("input digit", fontsize=9)
        axes[row, 0].set_ylabel(row_title, fontsize=9)
        limit = max(float(np.abs(response).max()), 1e-9)
        for f in range(6):
            shown = axes[row, f + 1].imshow(response[f], cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -limit, limit))
            axes[row, f + 1].set_title(f"filter {f + 1}", fontsize=9)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(shown, ax=list(axes[row]), fraction=0.02, pad=0.01, label="response (+ red, − blue)")
    fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------- the explorer

class FilterExplorer:
    """A slider over the snapshots of a run: the six first-layer filters then, and their change since step 0.

    history: what ``helpers.network.train`` returns (its "snapshots" and "snapshot_steps")
    Display ``explorer.widget``. Press → / ← on the slider to move through training.
    The filters are HTML tables (a matplotlib figure took ~1 s a press); each snapshot's HTML is built once,
    the first time it is shown. ``shown`` is what is on screen: {"index", "step", "weights", "change"}
    ((6, 1, 3, 3) arrays); ``weight_limit`` and ``change_limit`` are the two rows' fixed colour scales
    (−limit … +limit over the whole run, finite values only). A diverged run (NaN or ±inf weights) is
    shown with grey "nan" cells and a message, never a traceback.
    """

    def __init__(self, history):
        snapshots = history.get("snapshots", [])
        if len(snapshots) < 2:
            raise ValueError("history must hold at least two snapshots (train with snapshot_every ≤ the steps)")
        if len(history.get("snapshot_steps", [])) != len(snapshots):
            raise ValueError(f"history must hold one snapshot step per snapshot; got "
                             f"{len(history.get('snapshot_steps', []))} steps for {len(snapshots)} snapshots")
        self.history = history
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
        self._start = np.asarray(snapshots[0]["conv1.w"], dtype=float)
        every = np.stack([np.asarray(snapshot["conv1.w"], dtype=float) for snapshot in snapshots])
        self.weight_limit = finite_limit(every)
        self.change_limit = finite_limit(every - self._start)
        self._pages = {}  # snapshot index -> (readout, plot) HTML: a revisited step costs nothing
        self.shown = None
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.show(0)

    def describe(self, index):
        now = np.asarray(self.history["snapshots"][index]["conv1.w"], dtype=float)
        step = self.history["snapshot_steps"][index]
        of = f"step {step:,} of {self.history['snapshot_steps'][-1]:,}"
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
            now = np.asarray(self.history["snapshots"][index]["conv1.w"], dtype=float)
            step = self.history["snapshot_steps"][index]
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
        readout, plot = self._page(index)
        self.readout.value = readout
        self.plot.value = plot
        now = np.asarray(self.history["snapshots"][index]["conv1.w"], dtype=float)
        self.shown = {"index": index, "step": self.history["snapshot_steps"][index], "weights": now,
                      "change": now - self._start}


def _filter_row_html(filters, limit, row_title, legend):
    """One row of six 3×3 filters (F, 1, 3, 3) as HTML tables, signed colours on −limit … +limit, a legend."""
    tables = []
    for f in range(filters.shape[0]):
        kernel = filters[f, 0]
        labels = [[_signed(value) if np.isfinite(value) else signed_text(value) for value in row] for row in kernel]
        tables.append(f"<div style='margin-right:8px;text-align:center;font-size:11px'>filter {f + 1}"
                      + table_html(kernel, labels, limit, "course-filter-kernel", cell_px=(40, 26), font_px=11)
                      + "</div>")
    return (f"<div style='display:flex;align-items:flex-end;margin-bottom:6px'>"
            f"<div style='width:120px;font-size:11px;align-self:center'>{escape(row_title)}</div>"
            + "".join(tables) + colour_legend(limit, legend, width_px=150) + "</div>")


def plot_examples(images, labels, classes, count=12, title="Some training images and their labels"):
    """The first `count` images (N, 1, 28, 28) uint8 with their class names."""
    count = min(count, len(labels))
    fig, axes = plt.subplots(1, count, figsize=(1.0 * count, 1.5))
    for ax, image, label in zip(np.atleast_1d(axes), images[:count], labels[:count], strict=True):
        ax.imshow(image[0], cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(classes[int(label)], fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
