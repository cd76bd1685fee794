"""The real network, linked: one digit through the seed network, forward and backward, one conv1 output at a time.

The bridge from notebook 02's 2×2 toy to notebook 06's network. For the chosen digit: the conv1 maps, the
pooled maps with each window's winner, the conv2 maps and the prediction. Pick a conv1 filter and an output
o[r, c]: its 3×3 receptive field, whether it won its pool window and passed ReLU, the δ = ∂L/∂o that arrives,
and its term δ · patch of ∂L/∂W; the terms of all 26 × 26 positions add up to ∂L/∂conv1.w.

Each digit (``compute_digit``: the course's own layers) is computed once and kept, and so are its neighbours
right after it is drawn; a position press only rewrites two small HTML widgets. CSS classes: course-net-view,
course-net-digit, -filter, -row, -col (sliders), -message, -readout, -maps, -focus, -update.
"""
import asyncio
from functools import partial
from html import escape

import ipywidgets as widgets
import numpy as np

from helpers.door import (
    check_images,
    check_labels,
    check_params,
    checked,
    class_names,
    finite_array,
    integer_in,
    mapping,
    number,
)
from helpers.nn.conv import conv2d, conv2d_backward, im2col
from helpers.nn.layers import linear_backward, relu_backward, softmax_cross_entropy
from helpers.nn.network import SHAPES, forward, predict
from helpers.nn.pool import maxpool2d_backward
from helpers.widgets.draw import (
    boxes_html,
    colour_legend,
    finite_limit,
    grey_colour,
    grey_rgb,
    image_html,
    png_uri,
    signed_colour,
    signed_rgb,
    signed_text,
    table_html,
)
from helpers.widgets.ui import classed, message_html

POOL = 2      # the network's 2×2 max-pool windows (stride 2)
KERNEL = 3    # its 3×3 filters
PREFETCH_DELAY_S = 0.05   # let the kernel send a press's drawing before it computes the neighbouring digits


def _params(params):
    """The network's parameters (network.SHAPES) as float64 arrays, and whether they are all finite."""
    check_params(params)
    params = {key: params[key].astype(np.float64) for key in SHAPES}
    return params, all(np.isfinite(value).all() for value in params.values())


def _digit_args(params, x, label):
    """The door of compute_digit: params as float64 and finite, x one (28, 28) image of floats in [0, 1]."""
    params, finite = _params(params)
    if not finite:
        raise ValueError("params holds NaN or ±inf (the run diverged): nothing to compute")
    if np.asarray(x).dtype.kind in "iub":
        raise ValueError(f"x must be floats in [0, 1], the course's pixels / 255; got {np.asarray(x).dtype} "
                         "(for uint8 pixels 0…255 pass data.to_unit_float(x, np.float64))")
    x = finite_array(x, "x", (2,))
    if x.shape != (28, 28):
        raise ValueError(f"x must be one (28, 28) image; got shape {x.shape}")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"x must be floats in [0, 1], the course's pixels / 255; its values run from {x.min():.3g} "
                         f"to {x.max():.3g}")
    return {"params": params, "x": x, "label": integer_in(label, "label", 0, 9)}


@checked(_digit_args)
def compute_digit(params, x, label):
    """Forward and backward pass of the seed network for one image, keeping every layer (float64).

    params: the network's parameters (network.SHAPES); x: (28, 28) floats in [0, 1] (pixels / 255);
    label: the true class 0…9
    Returns a dict: "x" (28, 28); "z1" conv1 outputs (6, 26, 26); "m1" pooled (6, 13, 13); "a1" = ReLU(m1);
    "z2" (6, 11, 11); "m2" (6, 5, 5); "probs" (10,); "loss"; "delta1" = ∂L/∂z1 (6, 26, 26); "won" (6, 26, 26)
    bool, the window winners (first-maximum rule); "tie_count" (6, 13, 13): how many entries equal each window's
    max; "pooled_reached" (13, 13) bool: pooled cells whose gradient can be non-zero (conv2's floor-mode pool
    never reads conv2's last row and column, fed by pooled row and column 13); "contributions"
    (6, 26, 26, 3, 3) = δ[f, r, c] · x[r:r+3, c:c+3]; "grad_w" = ∂L/∂conv1.w (6, 1, 3, 3), their sum.
    """
    p = params                                                                 # float64 arrays: the door made them
    image = x[None, None]                                                      # (1, 1, 28, 28)
    logits, (z1, m1, a1, z2, m2, a2, h) = forward.unchecked(p, image)
    loss, dlogits = softmax_cross_entropy(logits, np.array([label]))
    # backward, the chain rule one layer a line (as network.loss_and_grads), down to δ = ∂L/∂z1
    dh = linear_backward(dlogits, h, p["fc2.w"])[0]
    da2 = linear_backward(relu_backward.unchecked(dh, h), a2, p["fc1.w"])[0]
    dz2 = maxpool2d_backward.unchecked(relu_backward.unchecked(da2.reshape(m2.shape), m2), z2, POOL, POOL, "first")
    da1 = conv2d_backward.unchecked(dz2, a1, p["conv2.w"])[0]
    delta1 = maxpool2d_backward.unchecked(relu_backward.unchecked(da1, m1), z1, POOL, POOL, "first")   # (1, 6, 26, 26)
    grad_w = conv2d_backward.unchecked(delta1, image, p["conv1.w"])[1]
    won = maxpool2d_backward.unchecked(np.ones_like(m1), z1, POOL, POOL, "first")[0] > 0
    tied = maxpool2d_backward.unchecked(np.ones_like(m1), z1, POOL, POOL, "all")[0, :, None]   # 1 at every maximum
    tie_count = conv2d.unchecked(tied, np.ones((1, 1, POOL, POOL)), np.zeros(1), POOL)[:, 0].round().astype(int)
    kept = POOL * (z2.shape[-1] // POOL)            # conv2 rows/columns its floor-mode pool reads: 10
    reach = np.arange(m1.shape[-1]) < kept + KERNEL - 1   # pooled rows some kept conv2 output reads: 1…12
    patches = im2col(image, KERNEL, KERNEL).T.reshape(26, 26, KERNEL, KERNEL)   # the window of each output
    exp = np.exp(logits[0] - logits[0].max())
    return {"x": image[0, 0], "label": int(label), "z1": z1[0], "m1": m1[0], "a1": a1[0], "z2": z2[0],
            "m2": m2[0], "probs": exp / exp.sum(), "loss": float(loss), "delta1": delta1[0], "won": won,
            "tie_count": tie_count, "pooled_reached": reach[:, None] & reach[None, :],
            "contributions": delta1[0][:, :, :, None, None] * patches[None], "grad_w": grad_w}


def where_delta_stops(state):
    """Count, over all 6 × 26 × 26 conv1 outputs of one digit, where the error δ stops on its way back.

    state: what ``compute_digit`` returns. Returns counts that add up to "outputs": "lost window" (another
    entry won, ties included), "closed by ReLU" (won, pooled value ≤ 0), "dropped by the floor pool" (won,
    open, in rows/columns 25–26, which nothing downstream reads), "stopped further downstream" (δ = 0: conv2's
    pool or a later ReLU stopped every path from the loss) and "δ ≠ 0" (the error arrives).
    """
    mapping(state, "state", "the dict compute_digit returns")
    if any(np.shape(state.get(key)) != shape for key, shape in
           (("won", (6, 26, 26)), ("m1", (6, 13, 13)), ("pooled_reached", (13, 13)), ("delta1", (6, 26, 26)))):
        raise ValueError("state must be the dict compute_digit returns (won, m1, pooled_reached, delta1)")
    won, delta1 = np.asarray(state["won"], dtype=bool), np.asarray(state["delta1"])
    pooled = np.asarray(state["m1"]).repeat(POOL, 1).repeat(POOL, 2)
    reached = np.asarray(state["pooled_reached"], dtype=bool).repeat(POOL, 0).repeat(POOL, 1)
    open_gate = won & (pooled > 0)
    arrives = delta1 != 0
    return {"outputs": int(won.size), "lost window": int((~won).sum()), "closed by ReLU": int((won & ~open_gate).sum()),
            "dropped by the floor pool": int((open_gate & ~reached).sum()),
            "stopped further downstream": int((open_gate & reached & ~arrives).sum()), "δ ≠ 0": int(arrives.sum())}


def _sci(value):
    """δ as a learner reads it: "0" when exactly zero, else "+1.23e-04"."""
    return "0" if value == 0 else f"{value:+.2e}".replace("-", "−")


class NetworkView:
    """The linked view of one digit in the trained network (see the module docstring).

    params: the trained network's parameters (network.SHAPES); images: (N, 1, 28, 28) uint8 pixels or floats in
    [0, 1], the digits to choose from; labels: (N,) their classes, each an index into classes; learning_rate: η
    of the SGD step whose ΔW is shown; classes: the class names, 1 to 10, e.g. dataset.classes (default "0" …
    "9"); outputs beyond them (own data with fewer classes) are shown as "(k)"; digit: the image to start on,
    by default the one with the largest loss (where δ is largest: on a digit the network gets right with
    certainty, δ is tiny everywhere).
    """

    def __init__(self, params, images, labels, learning_rate=0.1, classes=None, digit=None):
        self.params, self.finite = _params(params)
        images = check_images(images, "images")
        self.labels = check_labels(labels, len(images), "labels").astype(int)
        self.learning_rate = number(learning_rate, "learning_rate", 0.0, strict=True)
        kind, top = ("floats", 1) if images.dtype.kind == "f" else ("integers", 255)
        if images.min() < 0 or images.max() > top:
            raise ValueError(f"images must be uint8 pixels 0…255 or floats in [0, 1]; these {kind} run from "
                             f"{images.min():.3g} to {images.max():.3g}")
        self.images = images / 255.0 if images.dtype.kind in "iu" else images.astype(np.float64)
        named = class_names(tuple(map(str, range(10))) if classes is None else classes, "classes", 1, 10)
        if self.labels.max() >= len(named):
            raise ValueError(f"labels holds class {self.labels.max()}, but classes names only {len(named)}")
        self.classes = list(named) + [f"({k})" for k in range(len(named), 10)]   # outputs no class uses
        if digit is None:   # the largest loss (all equal, so the first, when the parameters are not finite)
            logits = predict(self.params, self.images) if self.finite else np.zeros((len(images), 10))
            digit = int(np.argmax([softmax_cross_entropy(logits[i:i + 1], self.labels[i:i + 1])[0]
                                   for i in range(len(images))]))
        digit = integer_in(digit, "digit", 0, len(images) - 1)

        def slider(description, high, css, low=1, value=1):
            return classed(widgets.IntSlider(value=value, min=low, max=high, description=description,
                                             continuous_update=True, layout=widgets.Layout(width="360px"),
                                             style={"description_width": "110px"}), css)
        self.digit = slider("digit (image #)", len(images) - 1, "course-net-digit", 0, digit)
        self.filter = slider("conv1 filter", 6, "course-net-filter")
        self.row = slider("output row r", 26, "course-net-row")
        self.col = slider("output column c", 26, "course-net-col")
        self.message, self.maps, self.readout, self.focus, self.update = (
            classed(widgets.HTML(), f"course-net-{name}") for name in ("message", "maps", "readout", "focus", "update"))
        help_line = widgets.HTML("<small>Click a slider's handle, then press ← / → (or ↑ / ↓). Rows and columns "
                                 "are counted from 1, as in the math.</small>")
        self.widget = classed(widgets.VBox([
            widgets.HBox([self.digit, self.filter]), widgets.HBox([self.row, self.col]), help_line,
            self.message, self.maps, self.readout, self.focus, self.update]), "course-net-view")
        self.state, self._uris, self._pages = None, {}, {}   # _pages: digit -> what show_digit computed and drew
        self.digit.observe(lambda change: self.show_digit(), names="value")
        for part in (self.filter, self.row, self.col):
            part.observe(lambda change: self.show_position(), names="value")
        self.show_digit()

    # ------------------------------------------------------------------ per digit (one computation)
    def show_digit(self):
        """Compute the chosen digit's forward and backward pass and draw what depends on it alone."""
        index = self.digit.value
        if not self.finite:
            self.message.value = message_html("The network's parameters hold NaN or ±inf (the run diverged), so "
                                              "there is nothing to show. Lower η and train again.", "error")
            return
        self.message.value = ""
        self.state, self._uris, self._limits, maps, update = self._page(index)
        self.maps.value, self.update.value = maps, update
        self.show_position()
        # the neighbours a → or ← press reaches next: computed once this press's drawing is on its way
        # (in a kernel: a moment after this handler returns; headless: now)
        try:
            asyncio.get_running_loop().call_later(PREFETCH_DELAY_S, self._prefetch, index)
        except RuntimeError:
            self._prefetch(index)

    def _prefetch(self, index):
        for neighbour in (index + 1, index - 1):
            if 0 <= neighbour < len(self.images):
                self._page(neighbour)

    def _page(self, index):
        """(state, PNG URIs, colour limits, maps HTML, ΔW HTML) of one digit, computed once and kept."""
        if index not in self._pages:
            s = compute_digit.unchecked(self.params, self.images[index, 0], self.labels[index])
            limits = {"z1": finite_limit(s["z1"]), "z2": finite_limit(s["z2"]), "delta": finite_limit(s["delta1"])}
            # the pooled maps at conv1's resolution, each window's winner black (grey where all four entries tie)
            pooled = signed_rgb(s["m1"], limits["z1"]).repeat(POOL, 1).repeat(POOL, 2)   # (6, 26, 26, 3)
            ties = (s["tie_count"] == POOL * POOL).repeat(POOL, 1).repeat(POOL, 2)
            pooled[s["won"] & ~ties] = (0, 0, 0)
            pooled[s["won"] & ties] = (150, 150, 150)
            uris = {
                "x": png_uri(grey_rgb(s["x"])),
                "z1": [png_uri(signed_rgb(m, limits["z1"])) for m in s["z1"]],
                "m1": [png_uri(rgb) for rgb in pooled],
                "z2": [png_uri(signed_rgb(m, limits["z2"])) for m in s["z2"]],
                "delta": [png_uri(signed_rgb(d, limits["delta"])) for d in s["delta1"]],
            }
            self._pages[index] = (s, uris, limits, self._maps_html(index, s, uris, limits), self._update_html(s))
        return self._pages[index]

    def _maps_html(self, index, s, uris, limits):
        predicted = int(np.argmax(s["probs"]))
        verdict = "right" if predicted == s["label"] else "wrong"
        digit = image_html(uris["x"], (28, 28), 84, f"digit: a {self.classes[s['label']]}")

        def maps(key, side, px, overlay=""):
            return "".join(image_html(u, (side, side), px, f"filter {f + 1}", overlay) for f, u in enumerate(uris[key]))
        dropped = boxes_html((11, 11), [(10, 0, 1, 11, "rgba(90,90,90,0.8)"), (0, 10, 11, 1, "rgba(90,90,90,0.8)")])
        bars = "".join(
            f"<div style='display:flex;align-items:center;font-size:11px;height:15px'>"
            f"<span style='width:58px'>{escape(self.classes[k])}{' ✔' if k == s['label'] else ''}</span>"
            f"<span style='display:inline-block;height:10px;width:{max(1, round(120 * prob))}px;"
            f"background:{'#1b7837' if k == s['label'] else '#888'}'></span>"
            f"<span style='margin-left:4px'>{100 * prob:.1f}%</span></div>"
            for k, prob in enumerate(s["probs"]))

        def row(title, content, legend=""):
            return (f"<div style='display:flex;align-items:flex-start;margin-bottom:4px'>"
                    f"<div style='width:150px;font-size:11px;padding-top:12px'>{title}</div>{content}{legend}</div>")

        legend = colour_legend(limits["z1"], "conv1 output (+ red, − blue)", 140)
        return (f"<div style='line-height:1.3'><div style='font-size:13px;font-weight:bold'>"
                f"Digit #{index}: forward pass — predicted "
                f"{escape(self.classes[predicted])} ({verdict}), loss L = {s['loss']:.3f}</div>"
                + row("input and prediction", digit + f"<div style='margin:14px 0 0 12px'>{bars}</div>")
                + row("conv1: six 26×26 maps", maps("z1", 26, 78), legend)
                + row("max-pool 2×2 → 13×13<br>■ black: the window's winner<br>■ grey: a 4-way tie "
                      "(first max wins)", maps("m1", 26, 78),
                      "<div style='font-size:11px;padding-top:12px'>same colours;<br>ReLU then sets<br>"
                      "the blue cells to 0</div>")
                + row("conv2: six 11×11 maps<br>(grey: row and column 11,<br>never read by the floor pool)",
                      maps("z2", 11, 66, dropped),
                      colour_legend(limits["z2"], "conv2 output", 140)) + "</div>")

    def _update_html(self, s):
        delta_w = -self.learning_rate * s["grad_w"]
        limit = finite_limit(delta_w)
        tables = [f"<div style='margin-right:8px;text-align:center;font-size:11px'>filter {f + 1}"
                  + table_html(delta_w[f, 0], lambda v: signed_text(v, 2, arrows=True), limit, "course-net-dw",
                               (58, 24), 10) + "</div>" for f in range(6)]
        ups, downs = int(np.sum(delta_w > 0)), int(np.sum(delta_w < 0))
        return (f"<div style='line-height:1.3'><div style='font-size:13px;font-weight:bold;margin-top:6px'>"
                f"One SGD step on this digit alone: "
                f"ΔW = −η ∂L/∂conv1.w with η = {self.learning_rate:g} — {ups} weights ↑, {downs} ↓, "
                f"{54 - ups - downs} unchanged</div>"
                f"<div style='display:flex;flex-wrap:wrap;align-items:flex-end'>{''.join(tables)}"
                + colour_legend(limit, "ΔW (red ↑, blue ↓)", 150) + "</div></div>")

    # ------------------------------------------------------------------ per position (no computation)
    def position_info(self):
        """What the focus panel shows for the chosen filter and position: {"filter", "row", "col" (1-based, as on
        screen), "value" o[r, c], "pooled" its window's max, "won" (bool), "tie" (how many entries of its window
        equal the max), "gate_open" (pooled > 0), "reached" (False in the pooled row/column conv2's floor pool never
        reads), "delta" ∂L/∂o[r, c], "patch" (3, 3) the digit pixels it reads, "contribution" (3, 3) = δ · patch}."""
        s = self.state
        f, r, c = self.filter.value - 1, self.row.value - 1, self.col.value - 1
        pr, pc = r // POOL, c // POOL
        return {"filter": f + 1, "row": r + 1, "col": c + 1, "value": float(s["z1"][f, r, c]),
                "pooled": float(s["m1"][f, pr, pc]), "won": bool(s["won"][f, r, c]),
                "tie": int(s["tie_count"][f, pr, pc]), "gate_open": bool(s["m1"][f, pr, pc] > 0),
                "reached": bool(s["pooled_reached"][pr, pc]), "delta": float(s["delta1"][f, r, c]),
                "patch": s["x"][r:r + KERNEL, c:c + KERNEL], "contribution": s["contributions"][f, r, c]}

    def explain(self, info):
        """The sentence for a position: why δ is what it is there."""
        f, r, c = info["filter"], info["row"], info["col"]
        r0, c0 = POOL * ((r - 1) // POOL) + 1, POOL * ((c - 1) // POOL) + 1
        parts = [f"<b>conv1 filter {f}, output o[{r}, {c}] = {signed_text(info['value'])}</b> reads the digit's "
                 f"rows {r}–{r + KERNEL - 1}, columns {c}–{c + KERNEL - 1}. Its pool window is rows {r0}–{r0 + 1}, "
                 f"columns {c0}–{c0 + 1} (max {signed_text(info['pooled'])}): "]
        if info["tie"] > 1:
            parts.append("all four outputs tie (the blank background: every pixel 0, so o = the bias b) and the "
                         "first-maximum rule gives the window to its top-left entry — " if info["tie"] == POOL * POOL
                         else f"{info['tie']} outputs tie; the first maximum wins — ")
            parts.append("this one: it <b>won</b>. " if info["won"] else "not this one: it <b>lost</b>, δ = 0. ")
        else:
            parts.append("it <b>won</b> its window. " if info["won"] else
                         "another output is larger: it <b>lost</b> its window, so the pool routes it δ = 0. ")
        if info["won"] and not info["gate_open"]:
            parts.append("But the pooled value is ≤ 0, so ReLU closes the gate: δ = 0. ")
        elif info["won"] and info["reached"]:
            parts.append("ReLU passes it (pooled value > 0) and conv2 reads it: the error arrives here. ")
        if not info["reached"]:
            parts.append("Rows and columns 25–26 get δ = 0 in any case: their pooled cell (row or column 13) feeds "
                         "only conv2's row/column 11, which conv2's 2×2 pool (floor mode) drops. ")
        parts.append(f"<br>δ = ∂L/∂o[{r}, {c}] = <b>{_sci(info['delta'])}</b>; its contribution to ∂L/∂W of filter "
                     f"{f} is δ · (the 3×3 patch), the 2×2 toy's corr(I, δ) term for this one position.")
        return "".join(parts)

    def show_position(self):
        """Redraw the focus panel and the sentence for the chosen filter and position (string work only)."""
        if self.state is None:
            return
        info = self.position_info()
        f, r, c = info["filter"] - 1, info["row"] - 1, info["col"] - 1
        field = boxes_html((28, 28), [(r, c, KERNEL, KERNEL, "#e66101")])
        window = (POOL * (r // POOL), POOL * (c // POOL), POOL, POOL, "#5e3c99")
        spot = boxes_html((26, 26), [window, (r, c, 1, 1, "#e66101")])
        grad = self.state["grad_w"][f, 0]
        scale = finite_limit(info["contribution"], grad)
        background, ink = signed_colour(info["delta"], self._limits["delta"])
        short = partial(signed_text, digits=2)
        def panel(title, body):
            return (f"<div style='margin-right:12px;font-size:11px;text-align:center'>"
                    f"<div style='min-height:28px'>{title}</div>{body}</div>")

        self.readout.value = self.explain(info)
        self.focus.value = (
            "<div style='display:flex;flex-wrap:wrap;align-items:flex-start;line-height:1.3'>"
            + panel("receptive field on the digit", image_html(self._uris["x"], (28, 28), 140, overlay=field))
            + panel(f"conv1 filter {f + 1}: o[{r + 1}, {c + 1}]<br>(purple: its pool window)",
                    image_html(self._uris["z1"][f], (26, 26), 130, overlay=spot))
            + panel(f"δ = ∂L/∂o of filter {f + 1}<br>(non-zero only at open winners)",
                    image_html(self._uris["delta"][f], (26, 26), 130, overlay=spot)
                    + f"<div style='background:{background};color:{ink};border:1px solid #999;margin-top:3px'>"
                      f"δ here: {_sci(info['delta'])}</div>")
            + panel("patch of pixels I", table_html(info["patch"], lambda v: f"{v:.2f}", 1.0, "course-net-patch",
                                                     (38, 24), 11, colour=grey_colour))
            + panel(f"contribution δ · patch<br>to ∂L/∂W, filter {f + 1}",
                    table_html(info["contribution"], short, scale, "course-net-contribution", (62, 24), 11))
            + panel(f"∂L/∂W of filter {f + 1} for this digit<br>= Σ over all 676 positions",
                    table_html(grad, short, scale, "course-net-grad", (62, 24), 11)
                    + colour_legend(scale, "both tables (+ red, − blue)", 140))
            + "</div>")
