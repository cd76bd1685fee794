"""Step through max-pooling's backward pass one window at a time.

``PoolStepper()`` is a VBox (CSS class "course-pool-stepper") with: an example picker, a tie-rule
picker, a play button, a slider and previous/next buttons over the pooling windows, text fields
for the input values and the upstream gradient δ, a message line, a readout sentence and three labelled grids:
the input with the current window outlined and its winner starred, δ with the current entry
outlined, and the input gradient ∂L/∂I filling in window by window (diverging colours centred at 0,
signed numbers). The grids are HTML, not a matplotlib figure, so a step redraws in milliseconds.

Every number the widget shows comes from ``helpers.nn.pool.maxpool2d_backward``, one window at a time.
"""
import ipywidgets as widgets
import matplotlib
import numpy as np

from helpers.nn.pool import maxpool2d, maxpool2d_backward, pool_output_shape
from helpers.widgets.ui import InputError, message_html, parse_numbers

_RDBU = matplotlib.colormaps["RdBu_r"]  # diverging, colour-blind-safe; 0 maps to the white centre

CONV_BIAS = 0.1  # the value of a blank-background pixel after the conv layer: 0·W + b

EXAMPLES = {
    "4×4 → 2×2 (2×2 windows, stride 2)": dict(
        x=[[1, 3, 2, 0],
           [4, 2, 1, 5],
           [0, 1, 6, 2],
           [2, 1, 3, 4]],
        size=2, stride=2, dy=[[1, -2], [0.5, 3]]),
    "6×6 → 3×3 (2×2 windows, stride 2)": dict(
        x=[[1, 0, 2, 4, 0, 1],
           [3, 2, 1, 0, 2, 5],
           [0, 6, 1, 1, 3, 0],
           [2, 1, 1, 1, 2, 4],
           [5, 0, 0, 3, 1, 1],
           [1, 2, 3, 0, 2, 2]],
        size=2, stride=2, dy=[[1, -1, 2], [0.5, 1, -2], [-1, 3, 1]]),
    "5×5 → 3×3 (overlapping 3×3 windows, stride 1)": dict(
        x=[[1, 0, 2, 1, 0],
           [0, 9, 1, 0, 2],
           [2, 1, 3, 1, 0],
           [0, 2, 1, 4, 1],
           [1, 0, 2, 1, 7]],
        size=3, stride=1, dy=[[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
    f"blank background (every value = conv bias {CONV_BIAS})": dict(
        x=[[CONV_BIAS] * 4] * 4, size=2, stride=2, dy=[[1, 1], [1, 1]]),
}

TIE_RULE_OPTIONS = [("first maximum (PyTorch)", "first"), ("split equally", "split"),
                    ("copy to all (wrong)", "all")]


def _fmt(value):
    """A number as the learner would write it: +1, −2, 0.25, 0."""
    if value == 0:
        return "0"
    text = f"{value:+.3g}"
    return text.replace("-", "−")


def _cells(positions):
    """1-based names of input entries, e.g. [(0, 1)] -> 'I12'."""
    return ", ".join(f"I{r + 1}{c + 1}" if r < 9 and c < 9 else f"I[{r + 1},{c + 1}]" for r, c in positions)


class PoolStepper(widgets.VBox):
    """The stepping widget. State for tests and for the notebook's text:

    x, dy, size, stride   the current example (2-D arrays; the batch and channel axes are added inside)
    window_origin         (row, col) of the current window's top-left input pixel (0-based)
    tied                  0-based positions of every maximum of the current window
    receivers             {position: value} routed from the current window under the current rule
    grad_so_far           (H, W) ∂L/∂I accumulated over windows 1 … current
    """

    def __init__(self, example=None, ties="first"):
        if example is not None and (not isinstance(example, str) or example not in EXAMPLES):
            raise ValueError(f"example must be None or one of {list(EXAMPLES)}; got {example!r:.60}")
        if not isinstance(ties, str) or ties not in dict(TIE_RULE_OPTIONS).values():
            raise ValueError(f"ties must be one of {[rule for _, rule in TIE_RULE_OPTIONS]}; got {ties!r:.60}")
        self.example = widgets.Dropdown(options=list(EXAMPLES), value=example or next(iter(EXAMPLES)),
                                        description="example", layout=widgets.Layout(width="420px"),
                                        style={"description_width": "70px"})
        self.example.add_class("course-pool-example")
        self.rule = widgets.Dropdown(options=TIE_RULE_OPTIONS, value=ties, description="tie rule",
                                     layout=widgets.Layout(width="300px"), style={"description_width": "70px"})
        self.rule.add_class("course-pool-rule")
        self.play = widgets.Play(value=1, min=1, max=4, interval=1200, description="play")
        self.play.add_class("course-pool-play")
        self.slider = widgets.IntSlider(value=1, min=1, max=4, description="window", continuous_update=True)
        self.slider.add_class("course-pool-slider")
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.prev_button = widgets.Button(description="◀ previous", layout=widgets.Layout(width="110px"))
        self.prev_button.add_class("course-pool-prev")
        self.next_button = widgets.Button(description="next ▶", layout=widgets.Layout(width="110px"))
        self.next_button.add_class("course-pool-next")
        self.values_text = widgets.Text(description="input I", continuous_update=False,
                                        layout=widgets.Layout(width="720px"), style={"description_width": "70px"})
        self.values_text.add_class("course-pool-values")
        self.upstream_text = widgets.Text(description="δ = ∂L/∂y", continuous_update=False,
                                          layout=widgets.Layout(width="420px"), style={"description_width": "70px"})
        self.upstream_text.add_class("course-pool-upstream")
        self.message = widgets.HTML()
        self.message.add_class("course-pool-message")
        self.readout = widgets.HTML()
        self.readout.add_class("course-pool-readout")
        self.grids = widgets.HTML()
        self.grids.add_class("course-pool-grids")

        self._loading = False
        self.example.observe(self._on_example, names="value")
        self.rule.observe(self._on_change, names="value")
        self.slider.observe(self._on_change, names="value")
        self.values_text.observe(self._on_text, names="value")
        self.upstream_text.observe(self._on_text, names="value")
        self.prev_button.on_click(lambda _: self._step(-1))
        self.next_button.on_click(lambda _: self._step(+1))

        help_line = widgets.HTML("<small>Type the values row by row, separated by commas or spaces, "
                                 "then press Enter. Make a tie by typing two equal maxima in one window.</small>")
        super().__init__([
            widgets.HBox([self.example, self.rule]),
            widgets.HBox([self.play, self.slider, self.prev_button, self.next_button]),
            self.values_text, self.upstream_text, help_line, self.message, self.readout, self.grids,
        ])
        self.add_class("course-pool-stepper")
        self._on_example()

    # --- reacting to the controls ---------------------------------------------------------
    def _on_example(self, change=None):
        spec = EXAMPLES[self.example.value]
        self.x = np.array(spec["x"], dtype=float)
        self.dy = np.array(spec["dy"], dtype=float)
        self.size, self.stride = spec["size"], spec["stride"]
        count = self.dy.size
        self._loading = True  # fill the fields without redrawing once per field
        try:
            self.values_text.value = ", ".join(f"{v:g}" for v in self.x.ravel())
            self.upstream_text.value = ", ".join(f"{v:g}" for v in self.dy.ravel())
            self.slider.value = 1
            self.slider.max = self.play.max = count
            self.play.value = 1
        finally:
            self._loading = False
        self.message.value = ""
        self.update()

    def _on_text(self, change=None):
        """Apply each field that parses, on its own; an invalid field keeps its last good values and says so."""
        if self._loading:
            return
        applied, problems = [], []
        for key, field, name in (("x", self.values_text, "input I"), ("dy", self.upstream_text, "δ")):
            current = getattr(self, key)
            try:
                values = parse_numbers(field.value, current.size, name)
            except InputError as problem:
                problems.append(f"{problem} — the grids keep the last valid {name}")
                continue
            setattr(self, key, np.array(values).reshape(current.shape))
            applied.append(name)
        if problems:
            lines = [message_html(p, "error") for p in problems]
            lines += [message_html(f"{name} applied", "ok") for name in applied]
            self.message.value = "<br>".join(lines)
        else:
            self.message.value = message_html("values applied", "ok")
        self.update()

    def _on_change(self, change=None):
        if not self._loading:
            self.update()

    def _step(self, direction):
        self.slider.value = int(np.clip(self.slider.value + direction, self.slider.min, self.slider.max))

    # --- the arithmetic -------------------------------------------------------------------
    def _window_grad(self, k, upstream):
        """∂L/∂I (H, W) from window k (0-based, row-major) alone, with δ_k = upstream."""
        dy = np.zeros_like(self.dy)
        dy.flat[k] = upstream
        return maxpool2d_backward(dy[None, None], self.x[None, None], self.size, self.stride,
                                  ties=self.rule.value)[0, 0]

    def compute(self):
        """Fill the state attributes for the current window (see the class docstring)."""
        out_h, out_w = pool_output_shape(self.x.shape, self.size, self.stride)
        k = self.slider.value - 1
        row, col = divmod(k, out_w)
        self.window_index = k
        self.window_origin = (row * self.stride, col * self.stride)
        r0, c0 = self.window_origin
        window = self.x[r0:r0 + self.size, c0:c0 + self.size]
        self.window_max = float(window.max())
        self.tied = [(r0 + i, c0 + j) for i, j in zip(*np.nonzero(window == self.window_max), strict=True)]
        unit = self._window_grad(k, 1.0)
        upstream = float(self.dy.flat[k])
        self.receivers = {(int(r), int(c)): float(unit[r, c] * upstream) for r, c in zip(*np.nonzero(unit),
                                                                                            strict=True)}
        self.grad_so_far = sum(self._window_grad(j, self.dy.flat[j]) for j in range(k + 1))
        self.pooled = maxpool2d(self.x[None, None], self.size, self.stride)[0, 0]
        self.upstream = upstream
        self.bias_grad_so_far = float(self.grad_so_far.sum())

    def readout_html(self):
        """The sentence under the controls: which window, its max, what δ it routes where."""
        total = self.dy.size
        r0, c0 = self.window_origin
        rows = f"rows {r0 + 1}–{r0 + self.size}, columns {c0 + 1}–{c0 + self.size}"
        parts = [f"<b>Window {self.window_index + 1} of {total}</b> ({rows}, counted from 1): "
                 f"max = {self.window_max:g} at {_cells(self.tied)}."]
        if len(self.tied) > 1:
            parts.append(f" <b>Tie</b>: {len(self.tied)} entries equal the max; "
                         f"rule <i>{self.rule.value}</i> decides.")
        routed = ", ".join(f"∂L/∂{_cells([p])} += {_fmt(v)}" for p, v in sorted(self.receivers.items()))
        parts.append(f"<br>Upstream δ = {_fmt(self.upstream)} → routed: <span class='course-pool-routed'>"
                     f"{routed or 'nothing (δ is 0)'}</span>; the other entries of the window get 0.")
        delta_sum = float(self.dy.ravel()[:self.window_index + 1].sum())
        verdict = ("equal: a valid subgradient" if np.isclose(self.bias_grad_so_far, delta_sum)
                   else "NOT equal: the gradient is overcounted")
        parts.append(f"<br>Σ ∂L/∂I so far = {_fmt(self.bias_grad_so_far)} vs Σ δ so far = {_fmt(delta_sum)} "
                     f"({verdict}). If every input is a conv output + bias b, Σ ∂L/∂I is ∂L/∂b.")
        return "".join(parts)

    # --- drawing (HTML tables: a matplotlib figure with ~70 numbers took 250–500 ms a step) ----
    def grids_html(self):
        """Three labelled grids for the current state (call compute() first): input I, δ, ∂L/∂I so far."""
        r0, c0 = self.window_origin
        window = (r0, c0, self.size)

        def input_cell(r, c, value):
            receives = (r, c) in self.receivers
            classes = ["receiver"] if receives else ["tied"] if (r, c) in self.tied else []
            background = "#fdb863" if receives else "#fee0b6" if (r, c) in self.tied else "#ffffff"
            text = f"<b>{value:g} ★</b>" if receives else f"{value:g}"
            return classes, background, "#000000", text

        limit = max(float(np.abs(self.dy).max()), 1e-12)
        grad_limit = max(float(np.abs(self.grad_so_far).max()), limit)
        row, col = divmod(self.window_index, self.dy.shape[1])

        def signed_cell(scale):
            def cell(r, c, value):
                background, ink = _diverging(value, scale)
                return [], background, ink, _fmt(value)
            return cell

        panels = [
            _grid_table(f"input I, window {self.window_index + 1} (★ gets δ)",
                        self.x, input_cell, window, "course-pool-input"),
            _grid_table(f"upstream δ (now {_fmt(self.upstream)})", self.dy, signed_cell(limit),
                        (row, col, 1), "course-pool-delta"),
            _grid_table(f"∂L/∂I, windows 1–{self.window_index + 1} ({self.rule.value})",
                        self.grad_so_far, signed_cell(grad_limit), window, "course-pool-grad")
            + _colour_legend(grad_limit),
        ]
        cells = "".join(f"<div>{p}</div>" for p in panels)
        cells = f"<div style='display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start'>{cells}</div>"
        key = ("<div style='font-size:12px;color:#333'>Key: blue frame = current window; "
               "<span style='background:#fdb863'>&nbsp;★ orange&nbsp;</span> receives δ; "
               "<span style='background:#fee0b6'>&nbsp;light orange&nbsp;</span> tied maximum that gets 0; "
               "red + = gradient up, blue − = gradient down (white = 0).</div>")
        return f'<div class="course-pool-grids-inner">{cells}{key}</div>'

    def update(self):
        """Recompute, then rewrite the readout and the grids (HTML updates in place: no flicker)."""
        self.compute()
        self.readout.value = self.readout_html()
        self.grids.value = self.grids_html()


def _diverging(value, scale):
    """Background and ink colours of a signed value on RdBu_r, centred at 0 (white)."""
    red, green, blue, _ = _RDBU(0.5 + 0.5 * float(np.clip(value / scale, -1, 1)))
    ink = "#ffffff" if abs(value) > 0.6 * scale else "#000000" if value != 0 else "#888888"
    return f"rgb({red * 255:.0f},{green * 255:.0f},{blue * 255:.0f})", ink


def _grid_table(title, values, cell, window, css_class):
    """An HTML table of a 2-D array with 1-based row/column labels and a frame around a window.

    cell(r, c, value) -> (css classes, background, ink, inner html); window = (row, col, side).
    """
    r0, c0, side = window
    frame = "3px solid #2166ac"
    head = "".join(f"<th style='font-weight:normal;color:#555'>{c + 1}</th>" for c in range(values.shape[1]))
    rows = []
    for r in range(values.shape[0]):
        tds = []
        for c in range(values.shape[1]):
            classes, background, ink, inner = cell(r, c, values[r, c])
            style = [f"background:{background}", f"color:{ink}", "width:46px", "height:34px",
                     "text-align:center", "border:1px solid #bbbbbb"]
            if r0 <= r < r0 + side and c0 <= c < c0 + side:
                classes = classes + ["in-window"]
                style += [f"border-top:{frame}"] if r == r0 else []
                style += [f"border-bottom:{frame}"] if r == r0 + side - 1 else []
                style += [f"border-left:{frame}"] if c == c0 else []
                style += [f"border-right:{frame}"] if c == c0 + side - 1 else []
            tds.append(f"<td class='{' '.join(classes)}' style='{';'.join(style)}'>{inner}</td>")
        rows.append(f"<tr><th style='font-weight:normal;color:#555;padding-right:4px'>{r + 1}</th>"
                    + "".join(tds) + "</tr>")
    return (f"<div style='font-size:13px;font-weight:bold;margin-bottom:2px'>{title}</div>"
            f"<table class='{css_class}' style='border-collapse:collapse;font-size:14px'>"
            f"<tr><th style='font-weight:normal;color:#555;font-size:11px'>row \\ col</th>{head}</tr>"
            + "".join(rows) + "</table>")


def _colour_legend(scale):
    """A horizontal colour bar for the ∂L/∂I grid: −scale (blue) … 0 (white) … +scale (red)."""
    stops = ", ".join(_diverging(v, 1.0)[0] for v in np.linspace(-1, 1, 9))
    return (f"<div style='margin-top:6px;font-size:12px'>colour scale of ∂L/∂I<br>"
            f"<div style='display:inline-block;width:180px;height:12px;background:linear-gradient(to right, {stops});"
            f"border:1px solid #999'></div><br>"
            f"<span style='display:inline-block;width:60px'>− {scale:g}</span>"
            f"<span style='display:inline-block;width:60px;text-align:center'>0</span>"
            f"<span style='display:inline-block;width:60px;text-align:right'>+ {scale:g}</span></div>")
