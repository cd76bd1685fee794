"""Step through max-pooling's backward pass one window at a time (``PoolStepper``, CSS class "course-pool-stepper").

Controls: an example, a tie rule, play / slider / previous / next over the windows, text fields for the
input and δ. Three HTML grids (a step redraws in milliseconds): the input with the current window framed
and its winner starred, δ with the current entry framed, and ∂L/∂I filling in window by window.
Every number comes from ``helpers.nn.pool.maxpool2d_backward``.
"""
import ipywidgets as widgets
import numpy as np

from helpers.nn.pool import maxpool2d_backward, pool_output_shape
from helpers.widgets.draw import colour_legend, finite_limit, frame, grid_html, signed_cell, signed_text
from helpers.widgets.ui import InputError, classed, message_html, parse_numbers

CONV_BIAS = 0.1  # the value of a blank-background pixel after the conv layer: 0·W + b

EXAMPLES = {
    "4×4 → 2×2 (2×2 windows, stride 2)": dict(
        x=[[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 6, 2], [2, 1, 3, 4]], size=2, stride=2, dy=[[1, -2], [0.5, 3]]),
    "6×6 → 3×3 (2×2 windows, stride 2)": dict(
        x=[[1, 0, 2, 4, 0, 1], [3, 2, 1, 0, 2, 5], [0, 6, 1, 1, 3, 0],
           [2, 1, 1, 1, 2, 4], [5, 0, 0, 3, 1, 1], [1, 2, 3, 0, 2, 2]],
        size=2, stride=2, dy=[[1, -1, 2], [0.5, 1, -2], [-1, 3, 1]]),
    "5×5 → 3×3 (overlapping 3×3 windows, stride 1)": dict(
        x=[[1, 0, 2, 1, 0], [0, 9, 1, 0, 2], [2, 1, 3, 1, 0], [0, 2, 1, 4, 1], [1, 0, 2, 1, 7]],
        size=3, stride=1, dy=[[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
    f"blank background (every value = conv bias {CONV_BIAS})": dict(
        x=[[CONV_BIAS] * 4] * 4, size=2, stride=2, dy=[[1, 1], [1, 1]]),
}

TIE_RULE_OPTIONS = [("first maximum (PyTorch)", "first"), ("split equally", "split"),
                    ("copy to all (wrong)", "all")]


def _cells(positions):
    """1-based names of input entries, e.g. [(0, 1)] -> 'I12' (every example is at most 9×9)."""
    return ", ".join(f"I{r + 1}{c + 1}" for r, c in positions)


class PoolStepper(widgets.VBox):
    """The stepping widget. State for tests and for the notebook's text:

    x, dy, size, stride   the current example (2-D arrays; the batch and channel axes are added inside)
    window_origin         (row, col) of the current window's top-left input pixel (0-based)
    tied                  0-based positions of every maximum of the current window
    receivers             {position: value} routed from the current window under the current rule
    grad_so_far           (H, W) ∂L/∂I accumulated over windows 1 … current
    """

    def __init__(self, example=None):
        if example is not None and (not isinstance(example, str) or example not in EXAMPLES):
            raise ValueError(f"example must be None or one of {list(EXAMPLES)}; got {example!r:.60}")
        wide = {"description_width": "70px"}
        self.example = classed(widgets.Dropdown(options=list(EXAMPLES), value=example or next(iter(EXAMPLES)),
                                                description="example", layout=widgets.Layout(width="420px"),
                                                style=wide), "course-pool-example")
        self.rule = classed(widgets.Dropdown(options=TIE_RULE_OPTIONS, value="first", description="tie rule",
                                             layout=widgets.Layout(width="300px"), style=wide), "course-pool-rule")
        self.play = classed(widgets.Play(value=1, min=1, max=4, interval=1200, description="play"), "course-pool-play")
        self.slider = classed(widgets.IntSlider(value=1, min=1, max=4, description="window", continuous_update=True),
                              "course-pool-slider")
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.prev_button = classed(widgets.Button(description="◀ previous", layout=widgets.Layout(width="110px")),
                                   "course-pool-prev")
        self.next_button = classed(widgets.Button(description="next ▶", layout=widgets.Layout(width="110px")),
                                   "course-pool-next")
        self.values_text = classed(widgets.Text(description="input I", continuous_update=False, style=wide,
                                                layout=widgets.Layout(width="720px")), "course-pool-values")
        self.upstream_text = classed(widgets.Text(description="δ = ∂L/∂y", continuous_update=False, style=wide,
                                                  layout=widgets.Layout(width="420px")), "course-pool-upstream")
        self.message, self.readout, self.grids = (
            classed(widgets.HTML(), f"course-pool-{name}") for name in ("message", "readout", "grids"))
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
        self._loading = True  # fill the fields without redrawing once per field
        self.values_text.value = ", ".join(f"{v:g}" for v in self.x.ravel())
        self.upstream_text.value = ", ".join(f"{v:g}" for v in self.dy.ravel())
        self.slider.value = self.play.value = 1
        self.slider.max = self.play.max = self.dy.size
        self._loading = False
        self.message.value = ""
        self.update()

    def _on_text(self, change=None):
        """Apply each field that parses, on its own; an invalid field keeps its last good values and says so."""
        if self._loading:
            return
        problems, applied = [], []
        for key, field, name in (("x", self.values_text, "input I"), ("dy", self.upstream_text, "δ")):
            current = getattr(self, key)
            try:
                setattr(self, key, np.array(parse_numbers(field.value, current.size, name)).reshape(current.shape))
                applied.append(message_html(f"{name} applied", "ok"))
            except InputError as problem:
                problems.append(message_html(f"{problem} — the grids keep the last valid {name}", "error"))
        self.message.value = "<br>".join(problems + applied) if problems else message_html("values applied", "ok")
        self.update()

    def _on_change(self, change=None):
        if not self._loading:
            self.update()

    def _step(self, direction):
        self.slider.value = int(np.clip(self.slider.value + direction, self.slider.min, self.slider.max))

    # --- the arithmetic -------------------------------------------------------------------
    def _routed(self, dy):
        """∂L/∂I (H, W) of the current example for upstream dy (its shape), under the current tie rule."""
        return maxpool2d_backward.unchecked(dy[None, None], self.x[None, None], self.size, self.stride,
                                            self.rule.value)[0, 0]

    def compute(self):
        """Fill the state attributes for the current window (see the class docstring)."""
        k = self.slider.value - 1
        row, col = divmod(k, pool_output_shape(self.x.shape, self.size, self.stride)[1])
        self.window_index, self.window_origin = k, (row * self.stride, col * self.stride)
        r0, c0 = self.window_origin
        window = self.x[r0:r0 + self.size, c0:c0 + self.size]
        self.window_max = float(window.max())
        self.tied = [(r0 + i, c0 + j) for i, j in zip(*np.nonzero(window == self.window_max), strict=True)]
        self.upstream = float(self.dy.flat[k])
        alone = np.zeros_like(self.dy)      # δ of the current window only
        alone.flat[k] = self.upstream
        routed = self._routed(alone)
        self.receivers = {(int(r), int(c)): float(routed[r, c]) for r, c in zip(*np.nonzero(routed), strict=True)}
        so_far = self.dy.copy()             # δ of windows 1 … current: the routing is linear in δ
        so_far.flat[k + 1:] = 0
        self.grad_so_far = self._routed(so_far)
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
        routed = ", ".join(f"∂L/∂{_cells([p])} += {signed_text(v)}" for p, v in sorted(self.receivers.items()))
        parts.append(f"<br>Upstream δ = {signed_text(self.upstream)} → routed: <span class='course-pool-routed'>"
                     f"{routed or 'nothing (δ is 0)'}</span>; the other entries of the window get 0.")
        delta_sum = float(self.dy.ravel()[:self.window_index + 1].sum())
        verdict = ("equal: a valid subgradient" if np.isclose(self.bias_grad_so_far, delta_sum)
                   else "NOT equal: the gradient is overcounted")
        parts.append(f"<br>Σ ∂L/∂I so far = {signed_text(self.bias_grad_so_far)} vs Σ δ so far = "
                     f"{signed_text(delta_sum)} ({verdict}). "
                     "If every input is a conv output + bias b, Σ ∂L/∂I is ∂L/∂b.")
        return "".join(parts)

    # --- drawing (HTML tables: a matplotlib figure with ~70 numbers took 250–500 ms a step) ----
    def grids_html(self):
        """Three labelled grids for the current state (call compute() first): input I, δ, ∂L/∂I so far."""
        window = (*self.window_origin, self.size)
        grad_limit = finite_limit(self.dy, self.grad_so_far)

        def input_cell(r, c):   # the window's receivers ★ orange, its other maxima light orange
            receives, tied = (r, c) in self.receivers, (r, c) in self.tied
            return {"cls": "receiver" if receives else "tied" if tied else "", "frame": frame(r, c, *window),
                    "background": "#fdb863" if receives else "#fee0b6" if tied else "#ffffff",
                    "text": f"<b>{self.x[r, c]:g} ★</b>" if receives else f"{self.x[r, c]:g}"}

        def grid(title, shape, cell, css_class):
            names = [str(i + 1) for i in range(max(shape))]
            return grid_html(shape, cell, css_class, title, names, names, font_px=14)

        current = (*divmod(self.window_index, self.dy.shape[1]), 1)
        panels = [grid(f"input I, window {self.window_index + 1} (★ gets δ)", self.x.shape, input_cell,
                       "course-pool-input"),
                  grid(f"upstream δ (now {signed_text(self.upstream)})", self.dy.shape,
                       signed_cell(self.dy, finite_limit(self.dy), current), "course-pool-delta"),
                  grid(f"∂L/∂I, windows 1–{self.window_index + 1} ({self.rule.value})", self.grad_so_far.shape,
                       signed_cell(self.grad_so_far, grad_limit, window), "course-pool-grad")
                  + colour_legend(grad_limit, "colour scale of ∂L/∂I")]
        key = ("<div style='font-size:12px;color:#333'>Key: blue frame = current window; "
               "<span style='background:#fdb863'>&nbsp;★ orange&nbsp;</span> receives δ; "
               "<span style='background:#fee0b6'>&nbsp;light orange&nbsp;</span> tied maximum that gets 0; "
               "red + = gradient up, blue − = gradient down (white = 0).</div>")
        cells = "".join(f"<div>{p}</div>" for p in panels)
        cells = f"<div style='display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start'>{cells}</div>"
        return f'<div class="course-pool-grids-inner">{cells}{key}</div>'

    def update(self):
        """Recompute, then rewrite the readout and the grids (HTML updates in place: no flicker)."""
        self.compute()
        self.readout.value = self.readout_html()
        self.grids.value = self.grids_html()

