"""What notebook 06 shows while and after the seed network trains.

- ``TrainingProgress``: a progress bar and one status line that update in place (no printed lines);
  pass the object as ``on_progress`` to ``helpers.network.train``.
- ``plot_curves``, ``plot_update_signs``, ``plot_filters``, ``plot_responses``, ``plot_layer_moves``,
  ``plot_baselines``, ``plot_top_patches``, ``plot_filter_mosaic``: the figures.
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

    steps_total: the run's number of steps (history["steps_total"], or epochs × steps per epoch) — or the
                 sum over several runs shown on one bar, each run passing ``on_progress=progress.part(label)``
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


LAYER_STYLES = {"conv1.w": ("#b2182b", "-"), "conv2.w": ("#2166ac", "--"), "fc1.w": ("0.35", ":")}


def plot_layer_moves(history, start, end, keys=("conv1.w", "conv2.w", "fc1.w"),
                     title="The learner's question, per layer: each step, and start → end"):
    """Left: per step, the share of each layer's weights the step moved ↑ (smoothed over 25 steps).
    Right: from start to end, the share of each layer's weights that ended higher ↑ / lower ↓.

    history: network.train's result (its "moves"); start, end: {name: array} at step 0 and after the run;
    keys: layers to show (names of history["moves"]). Returns the Figure.
    """
    missing = [k for k in keys if k not in history.get("moves", {}) or k not in start or k not in end]
    if missing:
        raise ValueError(f"keys must name layers of history['moves'], start and end; missing {missing}")
    fig, (ax_step, ax_net) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    for key in keys:
        colour, style = LAYER_STYLES.get(key, ("black", "-"))
        up = 100 * np.asarray(history["moves"][key]["up"])
        smooth, smooth_steps = _moving_average(up, 25)
        ax_step.plot(smooth_steps, smooth, color=colour, linestyle=style, linewidth=2,
                     label=f"{key}: ↑ {up.mean():.0f}% per step on average")
    ax_step.axhline(50, color="0.7", linewidth=0.8)
    ax_step.set(xlabel="SGD step", ylabel="weights moved ↑ by the step (%)", ylim=(0, 100),
                title="Each step: about half ↑, half ↓")
    ax_step.legend(loc="lower right", fontsize=8)
    rows = np.arange(len(keys))
    for row, key in enumerate(keys):
        change = np.asarray(end[key], dtype=float) - np.asarray(start[key], dtype=float)
        higher, lower = 100 * np.mean(change > 0), 100 * np.mean(change < 0)
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

    samples: dict {label: 1-D scores} (e.g. random vs random, trained vs trained, trained vs own start)
    Returns the Figure.
    """
    if not samples:
        raise ValueError("samples must hold at least one named sample")
    fig, ax = plt.subplots(figsize=(10, 0.8 * len(samples) + 1.4))
    jitter = np.random.default_rng(0)
    for row, values in enumerate(samples.values()):
        values = np.asarray(values, dtype=float).ravel()
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


def _write_values(ax, tiles, limit, gap=1, glyphs_only=False, digits=1):
    rows, cols, h, w = tiles.shape
    for (r, c, i, j), value in np.ndenumerate(tiles):
        text = ("+" if value > 0 else "−" if value < 0 else "0") if glyphs_only else _signed(value, digits)
        ax.text(c * (w + gap) + j, r * (h + gap) + i, text, ha="center", va="center", fontsize=6.5,
                color="white" if abs(value) > 0.6 * limit else "black")


def plot_filter_mosaic(rows, row_titles, title, column_title="filter", xlabel=None,
                       colorbar_label="value (+ red, − blue)", digits=1):
    """Several banks of 3×3 filters in one picture (fast: one image), one row per bank.

    rows: list of R arrays (F, 1, 3, 3); row_titles: R labels; xlabel: optional label under the columns.
    Signed colours centred at 0 on one shared scale, each value written (``digits`` decimals) in its cell.
    Returns the Figure.
    """
    tiles = np.stack([np.asarray(r, dtype=float)[:, 0] for r in rows])          # (R, F, 3, 3)
    if tiles.ndim != 4 or len(row_titles) != len(rows):
        raise ValueError(f"rows must be banks (F, 1, KH, KW), one title each; got {tiles.shape}, {len(row_titles)}")
    limit = max(float(np.abs(tiles).max()), 1e-9)
    count, filters, h, w = tiles.shape
    fig, ax = plt.subplots(figsize=(1.45 * filters + 1.6, 1.3 * count + 1.1))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    shown = ax.imshow(_mosaic(tiles), cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit))
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
    """Each filter (signed colours, values written) next to the data patches that excite it most.

    filters: (F, 1, 3, 3); patches: (F, K, 3, 3) pixel values in [0, 1]; responses: (F, K) the outputs there
    (as filter_study.top_patches returns them). Returns the Figure.
    """
    filters, patches = np.asarray(filters, dtype=float), np.asarray(patches, dtype=float)
    responses = np.asarray(responses, dtype=float)
    if filters.ndim != 4 or patches.ndim != 4 or len(filters) != len(patches) or responses.shape != patches.shape[:2]:
        raise ValueError(f"filters (F, 1, 3, 3), patches (F, K, 3, 3) and responses (F, K) must match; got "
                         f"{filters.shape}, {patches.shape}, {responses.shape}")
    count, shown = patches.shape[:2]
    fig, (ax_w, ax_p) = plt.subplots(1, 2, figsize=(2.0 + 0.75 * (shown + 1), 0.75 * count + 1.6),
                                     gridspec_kw={"width_ratios": [3, 4 * shown - 1], "wspace": 0.05})
    limit = max(float(np.abs(filters).max()), 1e-9)
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    kernels = filters[:, :1].reshape(count, 1, *filters.shape[2:])
    weights = ax_w.imshow(_mosaic(kernels), cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit))
    _write_values(ax_w, kernels, limit, glyphs_only=True)
    grey = plt.get_cmap("gray_r").with_extremes(bad="#cfd8e3")
    pixels = ax_p.imshow(_mosaic(patches), cmap=grey, vmin=0, vmax=1)
    centres = [r * (patches.shape[2] + 1) + 1 for r in range(count)]
    ax_w.set_yticks(centres, [f"filter {f + 1}" for f in range(count)])
    ax_w.set_xticks([])
    ax_w.set_title("trained W", fontsize=9)
    ax_p.set_yticks(centres, [f"best output {_signed(responses[f, 0])}" for f in range(count)], fontsize=8)
    ax_p.yaxis.tick_right()
    ax_p.set_xticks([k * (patches.shape[3] + 1) + 1 for k in range(shown)], [f"#{k + 1}" for k in range(shown)],
                    fontsize=8)
    ax_p.set_xlabel("one patch per image, strongest output first")
    ax_p.set_title("the 3×3 patches of the data with the largest output", fontsize=9)
    for ax in (ax_w, ax_p):
        ax.tick_params(length=0)
    fig.colorbar(weights, ax=ax_w, location="bottom", fraction=0.05, pad=0.04, label="weight (+ red, − blue)")
    fig.colorbar(pixels, ax=ax_p, location="bottom", fraction=0.05, pad=0.12, label="pixel (0 paper, 1 ink)")
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
        tables.append(f"<div style='margin-right:6px;text-align:center;font-size:11px'>filter {f + 1}"
                      + table_html(kernel, labels, limit, "course-filter-kernel", cell_px=(36, 24), font_px=11)
                      + "</div>")
    return (f"<div style='display:flex;align-items:flex-end;margin-bottom:6px'>"
            f"<div style='width:90px;font-size:11px;line-height:1.3;align-self:center'>{escape(row_title)}</div>"
            + "".join(tables) + colour_legend(limit, legend, width_px=120) + "</div>")


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
