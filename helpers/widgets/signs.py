"""The update-signs explorer: step SGD on the 3×3-image / 2×2-filter example and watch which way each weight moves.

The learner edits (or picks a preset for) I, the filter's start, the target t, η, the downstream weight v
and whether a ReLU follows the filter. Three 2×2 maps (diverging colours centred at zero *and* glyphs)
show W, ∂L/∂W and the update ΔW = −η ∂L/∂W; "Step" applies it and adds to a tally of ↑ and ↓ moves.
Typed text goes through ``helpers.widgets.ui.parse_numbers``, never eval. CSS classes: signs-explorer,
signs-preset, -image, -start, -target, -lr, -downstream, -relu, -step, -reset, -message, -readout, -tally, -plot.
"""
from html import escape

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from helpers.door import finite_array
from helpers.study import signs
from helpers.widgets.draw import colour_legend, finite_limit, signed_text, table_html
from helpers.widgets.ui import InputError, classed, message_html, parse_numbers

NAMES = np.array([["W11", "W12"], ["W21", "W22"]], dtype=object)
BLOW_UP = 1e12  # beyond this the weights have diverged (steps too large); stepping stops
POST_RELU = "0 1 2  0 3 1  1 2 0"   # an input ≥ 0, as after a ReLU

# Each preset fills the text fields; the comments say what the learner should see.
PRESETS = {
    # post-ReLU input (≥ 0), y < t, v > 0: δ < 0, every weight ↑
    "output too small: every weight ↑": dict(
        image=POST_RELU, start="0.1 0.1 0.1 0.1", target="2", lr="0.05", downstream="1", relu=True),
    # same input, y > t: every weight ↓, and two of them cross zero while every gate stays open
    "output too large: weights ↓ and cross zero": dict(
        image=POST_RELU, start="0.5 0.4 0.3 0.6", target="0.3", lr="0.05", downstream="1", relu=True),
    # only v changes sign: every arrow flips; once every gate closes, nothing moves any more
    "negative downstream weight v: arrows flip": dict(
        image=POST_RELU, start="0.1 0.1 0.1 0.1", target="2", lr="0.05", downstream="-1", relu=True),
    # η too large: y jumps over t every step, so δ and every arrow alternate
    "big η: overshoot, arrows alternate": dict(
        image=POST_RELU, start="0.1 0.1 0.1 0.1", target="2", lr="0.15", downstream="1", relu=False),
    # first layer: raw inputs of both signs, so one step moves some weights up and others down
    "first layer, mixed-sign input: ↑ and ↓ at once": dict(
        image="1 -2 0.5  -1 1 -0.5  0.5 -1 1", start="0.2 -0.1 0.1 0.3", target="1", lr="0.1", downstream="1",
        relu=False),
    # ReLU gate: the outputs at or below 0 drop their terms (δ = 0 there), the others keep their sign
    "ReLU gate closes some outputs": dict(
        image="1 -2 0.5  0.3 1 -1  2 0 1", start="0.5 0.4 -0.3 0.2", target="3", lr="0.1", downstream="1", relu=True),
}
TEXT_FIELDS = ("image", "start", "target", "lr", "downstream")


def glyph_grid(values, style):
    """(2, 2) labels that carry the sign without colour, an object array of strings: style "signs" → "+0.12" /
    "−0.12" / "0"; "arrows" → "↑ +0.012" / "↓ −0.012" / "· 0"."""
    return np.vectorize(lambda value: signed_text(value, arrows=style == "arrows"), otypes=[object])(values)


def plot_signed_maps(maps, titles, suptitle, style="signs"):
    """Side-by-side 2×2 signed maps (filters or updates) with glyphs, colorbars and titles.

    maps: a list of (2, 2) arrays of finite numbers; titles: one title per map; suptitle: the figure's title;
    style: "signs" (+ / − labels, for weights and gradients) or "arrows" (↑ / ↓, for updates).
    Returns the matplotlib Figure.
    """
    maps = finite_array(maps, "maps", (3,))
    if maps.shape[1:] != (2, 2):
        raise ValueError(f"maps must be a list of (2, 2) arrays; got shape {maps.shape}")
    if not isinstance(titles, (list, tuple)) or len(titles) != len(maps):
        raise ValueError(f"titles must be a list of one title per map ({len(maps)})")
    if style not in ("signs", "arrows"):
        raise ValueError(f"style must be 'signs' or 'arrows'; got {style!r:.80}")
    fig, axes = plt.subplots(1, len(maps), figsize=(3.9 * len(maps), 3.3), squeeze=False)
    for ax, values, title in zip(axes[0], maps, titles, strict=True):
        limit = finite_limit(values)
        image = ax.imshow(values, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -limit, limit))
        for (i, j), label in np.ndenumerate(glyph_grid(values, style)):
            ax.text(j, i, f"{NAMES[i, j]}\n{label}", ha="center", va="center", fontsize="large",
                    color="white" if abs(values[i, j]) > 0.6 * limit else "black")
        ax.set_xticks([0, 1], ["column 1", "column 2"])
        ax.set_yticks([0, 1], ["row 1", "row 2"])
        ax.set_title(str(title), fontsize="medium")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(str(suptitle), fontsize="large")
    fig.tight_layout()
    return fig


def plot_weight_paths(history, title):
    """Each weight against the SGD step, with the zero line and a ✕ where a weight first crosses zero.

    history: (steps+1, 2, 2) finite weights, entry k after k steps (as ``helpers.study.signs.train`` returns);
    title: the figure's title. Returns the matplotlib Figure.
    """
    history = finite_array(history, "history", (3,))
    if history.shape[1:] != (2, 2):
        raise ValueError(f"history must be (steps+1, 2, 2) finite weights; got shape {history.shape}")
    paths = history.reshape(len(history), 4)
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.axhline(0.0, color="black", linewidth=1)
    for k, (name, style) in enumerate(zip(NAMES.ravel(), ["-", "--", "-.", ":"], strict=True)):   # not colour alone
        crossed = np.flatnonzero(np.sign(paths[1:, k]) != np.sign(paths[:-1, k]))
        if crossed.size:
            step = crossed[0] + 1
            name = f"{name}: {'−' if paths[step, k] < 0 else '+'} from step {step} (✕)"
            ax.plot(step, paths[step, k], "kx", markersize=9, zorder=3)
        ax.plot(paths[:, k], style, linewidth=2, label=name)
    ax.set(xlabel="SGD step", ylabel="weight value")
    ax.set_title(str(title), fontsize="large")
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


class SignsExplorer:
    """The widget. Display it as the last line of a cell; ``.ui`` is the ipywidgets VBox.

    State after each step: ``weights`` (2, 2), ``bias``, ``steps``, ``ups``, ``downs``, ``unchanged``
    (running tallies over all weight moves), ``example`` (the parsed inputs, or None when an entry is
    malformed) and ``last_glyphs`` ({"gradient", "update"}: the (2, 2) labels drawn last).
    """

    def __init__(self, preset="output too small: every weight ↑"):
        if not isinstance(preset, str) or preset not in PRESETS:
            raise ValueError(f"preset must be one of {list(PRESETS)}; got {preset!r:.80}")
        wide = {"description_width": "150px"}

        def field(name, description, width):
            return classed(widgets.Text(description=description, style=wide, continuous_update=False,
                                        layout=widgets.Layout(width=width)), f"signs-{name}")
        self.preset = classed(widgets.Dropdown(options=list(PRESETS), value=preset, description="preset",
                                               style=wide, layout=widgets.Layout(width="520px")), "signs-preset")
        self.image_text = field("image", "input I (9 numbers)", "420px")
        self.start_text = field("start", "start W (4 numbers)", "420px")
        self.target_text = field("target", "target t", "260px")
        self.lr_text = field("lr", "learning rate η", "260px")
        self.downstream_text = field("downstream", "downstream v", "260px")
        self.relu_box = classed(widgets.Checkbox(description="ReLU after the filter", indent=False), "signs-relu")
        self.step_button = classed(widgets.Button(description="Step SGD ▶", button_style="primary", tooltip=(
            "apply one update W ← W − η ∂L/∂W (focus and press Enter)")), "signs-step")
        self.reset_button = classed(widgets.Button(
            description="Reset", tooltip="back to the preset's numbers and start W, tally to 0"), "signs-reset")
        # the panels are three HTML tables: a step repaints in milliseconds (a figure took ~1 s)
        self.message, self.readout, self.tally, self.plot = (
            classed(widgets.HTML(), f"signs-{name}") for name in ("message", "readout", "tally", "plot"))
        self.ui = classed(widgets.VBox([
            self.preset,
            widgets.HBox([widgets.VBox([self.image_text, self.start_text, self.relu_box]),
                          widgets.VBox([self.target_text, self.lr_text, self.downstream_text])]),
            widgets.HBox([self.step_button, self.reset_button]),
            self.message, self.tally, self.readout, self.plot,
        ]), "signs-explorer")
        self.preset.observe(lambda change: self.restore_preset(), names="value")
        for part in (*(getattr(self, f"{field}_text") for field in TEXT_FIELDS), self.relu_box):
            part.observe(self._on_edit, names="value")
        self.step_button.on_click(lambda _button: self.step())
        self.reset_button.on_click(lambda _button: self.restore_preset())
        self.restore_preset()

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

    # ---------------------------------------------------------------- inputs
    def restore_preset(self):
        """Refill every field with the chosen preset's numbers (undoing the learner's edits), then reset."""
        chosen = PRESETS[self.preset.value]
        self._filling = True  # one reset for the whole preset, not one per field
        for field in TEXT_FIELDS:
            getattr(self, f"{field}_text").value = chosen[field]
        self.relu_box.value = chosen["relu"]
        self._filling = False
        self.reset()

    def _on_edit(self, change=None):
        if not self._filling:
            self.reset()

    def _read_example(self):
        """The parsed inputs; raises InputError with a message for the learner."""
        image = np.array(parse_numbers(self.image_text.value, 9, "input I")).reshape(3, 3)
        start = np.array(parse_numbers(self.start_text.value, 4, "start W")).reshape(2, 2)
        (target,) = parse_numbers(self.target_text.value, 1, "target t")
        (lr,) = parse_numbers(self.lr_text.value, 1, "learning rate η")
        (downstream,) = parse_numbers(self.downstream_text.value, 1, "downstream v")
        if lr <= 0:
            raise InputError(f"learning rate η: must be > 0, got {lr:g}")
        return {"image": image, "weights": start, "target": target, "lr": lr, "downstream": downstream,
                "relu": bool(self.relu_box.value)}

    # ---------------------------------------------------------------- actions
    def reset(self):
        """Back to the start W and b = 0, tally to zero; shows a message instead if an entry is malformed."""
        self.steps = self.ups = self.downs = self.unchanged = 0
        self.last_moves = None
        try:
            self.example = self._read_example()
        except InputError as problem:
            self.example, self._problem = None, str(problem)
            self._clear(str(problem), "Nothing to show until every entry is a valid number: " + str(problem))
            self.tally.value = "Fix the entry above to start stepping."
            return
        self.message.value = message_html("Press “Step SGD ▶” (or focus it and press Enter) to apply one update.")
        self.weights, self.bias = self.example["weights"].copy(), 0.0
        self._show()

    def _blew_up_message(self):
        return (f"The weights blew up (|W| above {BLOW_UP:.0e} after {self.steps} steps): each step overshoots "
                "more. Lower η (or the sizes of I, v, t), or press Reset.")

    def step(self):
        """Apply one SGD update to W and b and add its moves to the tally."""
        if self.example is None or not np.all(np.abs(self.weights) < BLOW_UP):
            problem = "Cannot step: " + self._problem if self.example is None else self._blew_up_message()
            self.message.value = message_html(problem, "error")
            return
        ex, before = self.example, self.weights
        with np.errstate(over="ignore", invalid="ignore"):
            weights, bias, _ = signs.sgd_step(ex["image"], before, self.bias, ex["downstream"], ex["target"],
                                              ex["lr"], relu=ex["relu"])
        if not (np.all(np.isfinite(weights)) and np.isfinite(bias)):
            self.message.value = message_html(
                f"Step {self.steps + 1} overflowed: the new weights W are too large to represent. "
                "Lower η (or the sizes of I, v, t), or press Reset.", "error")
            return
        self.weights, self.bias = weights, bias
        self.last_moves = signs.move_signs(before, weights)
        up, down, still = signs.tally_moves(before, weights)
        self.ups, self.downs, self.unchanged = self.ups + up, self.downs + down, self.unchanged + still
        self.steps += 1
        self._show()
        if not np.all(np.abs(weights) < BLOW_UP):
            self.message.value = message_html(self._blew_up_message(), "error")

    # ---------------------------------------------------------------- display
    def _clear(self, problem, shown=None):
        """Say what is wrong, and clear the readout and panels: their numbers belong to inputs that are gone."""
        self.last_glyphs, self.readout.value = None, ""
        self.message.value = message_html(problem, "error")
        self.plot.value = (f"<div class='signs-plot-empty' style='color:#666;font-style:italic'>"
                           f"{escape(shown or problem)}</div>")

    def _show_tally(self):
        last = "" if self.last_moves is None else "<br>last step: " + ", ".join(   # a move of −1 reads ↓
            f"{NAMES[i]} {'·↑↓'[int(move)]}" for i, move in np.ndenumerate(self.last_moves))
        self.tally.value = (
            f"<b>{self.steps} step{'' if self.steps == 1 else 's'} taken</b> · weight moves so far: "
            f"<b>{self.ups} ↑ up</b>, <b>{self.downs} ↓ down</b>, {self.unchanged} · unchanged"
            f" · negative weights now: {int(np.sum(self.weights < 0))} of 4{last}")

    def _show(self):
        ex = self.example
        with np.errstate(over="ignore", invalid="ignore"):
            o, _, y = signs.forward(ex["image"], self.weights, self.bias, ex["downstream"], ex["relu"])
            grad_w, _, delta = signs.gradients(ex["image"], self.weights, self.bias, ex["downstream"],
                                               ex["target"], relu=ex["relu"])
            y = float(y) + 0.0  # shows 0 rather than −0 when every gate is closed
            update = -ex["lr"] * grad_w
        quantities = {"the outputs o": o, "the prediction y": y, "y − t": y - ex["target"], "δ": delta,
                      "the gradient ∂L/∂W": grad_w, "the update ΔW": update}
        broken = next((name for name, values in quantities.items() if not np.all(np.isfinite(values))), None)
        self._show_tally()
        if broken is not None:
            self._clear(f"{broken} overflowed (too large to compute): lower the sizes of I, W, v, t or η, "
                        "or press Reset.")
            return
        self.last_glyphs = {"gradient": glyph_grid(grad_w, "signs"), "update": glyph_grid(update, "arrows")}
        self.readout.value = (
            f"y = v · mean(a) = <b>{y:+.4g}</b> · target t = {ex['target']:g} · y − t = <b>{y - ex['target']:+.4g}</b>"
            f" · v = {ex['downstream']:g} · bias b = {self.bias:+.3g}<br>outputs o11, o12, o21, o22 = "
            f"[{', '.join(f'{v:+.3g}' for v in o.ravel())}] → δ = (y − t)·v·gate/4 "
            f"({'gate 1[o > 0]' if ex['relu'] else 'no gate'}) = [{', '.join(f'{v:+.3g}' for v in delta.ravel())}]")
        panels = [(self.weights, glyph_grid(self.weights, "signs"), "W",
                   f"W after {self.steps} steps\n(red: + positive, blue: − negative)"),
                  (grad_w, self.last_glyphs["gradient"], "∂L/∂W",
                   "∂L/∂W = corr(I, δ)\n(blue −: weight goes ↑; red +: weight goes ↓)"),
                  (update, self.last_glyphs["update"], "ΔW", "next update ΔW = −η ∂L/∂W\n(red: ↑ up, blue: ↓ down)")]
        parts = []
        for values, labels, name, title in panels:   # each on its own colour scale, centred at 0
            limit = finite_limit(values)
            heading = "<br>".join(escape(line) for line in title.split("\n"))
            parts.append(f"<div style='margin-right:18px'><div class='signs-panel-title' style='font-size:12px;"
                         f"font-weight:bold;margin-bottom:3px'>{heading}</div>"
                         + table_html(values, NAMES + "\n" + labels, limit, "signs-map", cell_px=(86, 46), font_px=13,
                                      row_names=["row 1", "row 2"], col_names=["column 1", "column 2"])
                         + colour_legend(limit, f"colour scale of {name}", width_px=180) + "</div>")
        self.plot.value = (
            "<div class='signs-panels'><div style='font-size:13px;margin-bottom:4px' class='signs-suptitle'>Which "
            "way will each filter weight move? Each panel's title says what its colours mean</div>"
            "<div style='display:flex;flex-wrap:wrap;align-items:flex-start'>" + "".join(parts) + "</div></div>")
