"""Step through a convolution one position at a time: the forward pass (01) and both backward passes (02).

``ForwardStepper(image, kernel)`` (CSS class "course-forward-stepper"): pick an output o_mn with the
slider; the grids show the window on the (padded) image, the weight each pixel meets, the k² products
and their sum landing in O. Toggles for stride and zero padding show the window skipping pixels (which
no window then reads) or reading padding.

``BackwardStepper(image, kernel)`` (CSS class "course-backward-stepper"), two modes:
- "∂L/∂W_ij": pick a weight; every (pixel, δ entry) pair that multiplies into ∂L/∂W_ij is numbered in
  both grids, with the running sum: the picture of ∂L/∂W = I ⋆ δ.
- "∂L/∂I_pq": pick a pixel; every (weight, δ entry) pair that reaches it is numbered: as the δ index
  goes up the weight index goes down (the flip), and border pixels get fewer pairs.

Every number comes from ``helpers.nn.conv`` (conv2d, conv2d_backward); the pairs are read off the same
index formula, o_rc = Σ_ij I_pad[r·s + i, c·s + j] · W_ij (0-based), and the tests check that they sum
to helpers.nn.conv's numbers. A stepper has few states, so every state's HTML is built once, when the
widget is made; a key press only swaps one HTML string (no figure is drawn), which repaints in milliseconds.

Arrays: image (n, n), kernel (k, k), upstream δ (m, m) with m = ⌊(n + 2p − k)/s⌋ + 1; math indices
start at 1 (I11 is ``image[0, 0]``).
"""
import re

import ipywidgets as widgets
import matplotlib
import numpy as np

from helpers.door import check_stride_padding
from helpers.nn.conv import conv2d, conv2d_backward, conv_output_shape

_RDBU = matplotlib.colormaps["RdBu_r"]  # diverging, centred at 0 (white)
PAIR_COLOUR = "#fdb863"                  # orange: the entries that meet in the current sum
WINDOW_FRAME = "3px solid #2166ac"       # blue frame: the current window / entry
PADDING_COLOUR = "#e6e6e6"               # grey: zero padding
UNREAD_COLOUR = "#bdbdbd"                # darker grey, dotted: a pixel that no window reads

# δ for every geometry: the first m² of these numbers, row by row (the first four are notebook 02's δ)
DEFAULT_UPSTREAM = (1, -2, 0.5, 3, -1, 2, 1.5, -0.5, 2, 1, -1.5, 0.5, -2, 1, 0.5, -1,
                    1, -1, 2, 0.5, -0.5, 1.5, -1, 2, 1)


# ---------------------------------------------------------------- checks and geometry


def _check_square(name, value, smallest=1):
    array = np.asarray(value)
    if array.dtype == object:  # e.g. a SymPy Matrix of numbers
        try:
            array = array.astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must hold real numbers, not symbols or text") from None
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] < smallest:
        raise ValueError(f"{name} must be a square 2-D array of side ≥ {smallest}; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers")
    return array.astype(float)


def _check_options(name, options, check):
    if not isinstance(options, (tuple, list)) or not options:
        raise ValueError(f"{name} must be a non-empty tuple of integers; got {options!r}")
    values = [check(v) for v in options]
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must not repeat a value; got {options!r}")
    return tuple(values)


MAX_SIDE = 8  # every state is drawn in advance: a stepper is for small examples you can read


def _check_geometry(image, kernel, strides, paddings):
    strides = _check_options("strides", strides, lambda s: check_stride_padding(s, 0)[0])
    paddings = _check_options("paddings", paddings, lambda p: check_stride_padding(1, p)[1])
    n, k = image.shape[0], kernel.shape[0]
    if n > MAX_SIDE or max(paddings) > 2 or max(strides) > MAX_SIDE:
        raise ValueError(f"image side ≤ {MAX_SIDE}, paddings ≤ 2 and strides ≤ {MAX_SIDE} for a stepper; got "
                         f"image {n}×{n}, paddings {paddings}, strides {strides} (image, paddings, strides)")
    if k > n + 2 * min(paddings):
        raise ValueError(f"kernel {k}×{k} is larger than the image {n}×{n} with padding {min(paddings)}")
    return strides, paddings


def _windows(n, k, stride, padding):
    """Top-left corners (padded, 0-based) of every window, row-major, and the output side m."""
    m = conv_output_shape((n, n), (k, k), stride, padding)[0]
    return [(r * stride, c * stride) for r in range(m) for c in range(m)], m


def _read_mask(n, k, stride, padding):
    """(n + 2p, n + 2p) booleans: True where at least one window reads the padded image."""
    read = np.zeros((n + 2 * padding,) * 2, dtype=bool)
    for r0, c0 in _windows(n, k, stride, padding)[0]:
        read[r0:r0 + k, c0:c0 + k] = True
    return read


# ---------------------------------------------------------------- text


def _fmt(value):
    """+2, −0.5, 0: signed, with a real minus sign."""
    if value == 0:
        return "0"
    return f"{value:+.3g}".replace("-", "−")


def _factor(value):
    """A factor in a product: 2, (−1), 0.5."""
    text = f"{value:.3g}".replace("-", "−")
    return f"({text})" if value < 0 else text


def _name(letter, row, col):
    """1-based name of a 0-based entry: ('I', 0, 2) -> 'I13' (with a comma beyond 9)."""
    if row < 9 and col < 9:
        return f"{letter}<sub>{row + 1}{col + 1}</sub>"
    return f"{letter}<sub>{row + 1},{col + 1}</sub>"


def _badge(number):
    """The number of a pair in a small circle, shown in both grids it joins (any number: not a font glyph)."""
    return (f"<span class='badge' style='display:inline-block;min-width:13px;padding:0 2px;border:1px solid #333;"
            f"border-radius:8px;font-size:10px;line-height:13px'>{number}</span>")


def _diverging(value, scale):
    red, green, blue, _ = _RDBU(0.5 + 0.5 * float(np.clip(value / scale, -1, 1)))
    ink = "#ffffff" if abs(value) > 0.6 * scale else "#000000"
    return f"rgb({red * 255:.0f},{green * 255:.0f},{blue * 255:.0f})", ink


# ---------------------------------------------------------------- HTML grids


def _grid(title, shape, cell, css_class, row_labels=None, col_labels=None):
    """An HTML table; cell(r, c) -> dict(text=…, background=…, ink=…, frame=(top, right, bottom, left), cls=…)."""
    rows_n, cols_n = shape
    row_labels = row_labels or [str(r + 1) for r in range(rows_n)]
    col_labels = col_labels or [str(c + 1) for c in range(cols_n)]
    label = "font-weight:normal;color:#555;font-size:11px;padding:0 3px"
    head = "".join(f"<th style='{label}'>{text}</th>" for text in col_labels)
    body = []
    for r in range(rows_n):
        tds = []
        for c in range(cols_n):
            spec = cell(r, c)
            style = [f"background:{spec.get('background', '#ffffff')}", f"color:{spec.get('ink', '#000000')}",
                     "min-width:44px", "height:34px", "text-align:center", "font-size:13px",
                     f"border:{spec.get('border', '1px solid #bbbbbb')}"]
            for side, edge in zip(("top", "right", "bottom", "left"), spec.get("frame", (False,) * 4),
                                  strict=True):
                if edge:
                    style.append(f"border-{side}:{WINDOW_FRAME}")
            tds.append(f"<td class='{spec.get('cls', '')}' style='{';'.join(style)}'>{spec['text']}</td>")
        body.append(f"<tr><th style='{label}'>{row_labels[r]}</th>{''.join(tds)}</tr>")
    return (f"<div><div style='font-size:13px;font-weight:bold;margin-bottom:2px'>{title}</div>"
            f"<table class='{css_class}' style='border-collapse:collapse'>"
            f"<tr><th style='{label}'>row\\col</th>{head}</tr>{''.join(body)}</table></div>")


def _frame(r, c, top, left, side):
    """Which edges of cell (r, c) carry the frame of the side×side box at (top, left)."""
    if not (top <= r < top + side and left <= c < left + side):
        return (False,) * 4
    return (r == top, c == left + side - 1, r == top + side - 1, c == left)


def _padded_labels(n, padding):
    """Row/column labels of the padded image: 1 … n for real pixels, 'p' for padding."""
    return [str(i - padding + 1) if padding <= i < padding + n else "p" for i in range(n + 2 * padding)]


def _row(panels, key):
    cells = "".join(panels)
    return (f"<div style='display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start'>{cells}</div>"
            f"<div style='font-size:12px;color:#333;margin-top:6px'>{key}</div>")


def _signed_cell(values, shown, current):
    """A cell function for a signed grid: entries in ``shown`` coloured, others '?', ``current`` framed."""
    scale = max(float(np.abs(values).max()), 1e-12)

    def cell(r, c):
        spec = {"frame": _frame(r, c, current[0], current[1], 1) if current else (False,) * 4}
        if (r, c) in shown:
            background, ink = _diverging(values[r, c], scale)
            spec.update(text=_fmt(values[r, c]), background=background, ink=ink)
        else:
            spec.update(text="?", ink="#999999")
        return spec
    return cell


def _value_cell(values, padding, unread, marks):
    """A cell function for the padded image (or a plain grid): padding grey, unread dotted, marks orange.

    marks: {(row, col): html shown under the value}, e.g. the weight a pixel meets or a pair's badge.
    """
    n = values.shape[0] - 2 * padding

    def cell(r, c):
        real = padding <= r < padding + n and padding <= c < padding + n
        value = values[r, c]
        text = f"{value:g}".replace("-", "−") if real else "<i>0</i>"
        spec = {"text": text, "cls": "pad" if not real else ""}
        if not real:
            spec.update(background=PADDING_COLOUR, ink="#666666")
        elif unread is not None and not unread[r, c]:
            spec.update(background=UNREAD_COLOUR, border="2px dotted #555555", cls="unread",
                        text=f"{text}<br><small>unread</small>")
        if (r, c) in marks:  # a paired padding zero in a paler orange: it adds nothing
            spec.update(background=PAIR_COLOUR if real else "#fee0b6", ink="#000000",
                        cls=(spec["cls"] + " paired").strip(),
                        text=f"<b>{text}</b><br><small>{marks[(r, c)]}</small>")
        return spec
    return cell


# ---------------------------------------------------------------- the widgets


class _Stepper(widgets.VBox):
    """Shared plumbing: stride/padding toggles, a slider, a readout and grids from precomputed states."""

    css = "course-stepper"     # the widget's class; its parts get prefix + "-slider", "-view", …
    prefix = "course-step"
    slider_label = "position"

    def __init__(self, image, kernel, strides, paddings, modes=None, mode=None):
        self.image = _check_square("image", image)
        self.kernel = _check_square("kernel", kernel)
        self.strides, self.paddings = _check_geometry(self.image, self.kernel, strides, paddings)
        self.n, self.k = self.image.shape[0], self.kernel.shape[0]
        self._states = {}
        self._loading = True
        controls = []
        self.mode = None
        if modes:
            values = [value for _, value in modes]
            if mode not in values:
                raise ValueError(f"mode must be one of {values}; got {mode!r}")
            self.mode = widgets.ToggleButtons(options=modes, value=mode, description="pick",
                                              style={"button_width": "190px"})
            self.mode.add_class(f"{self.prefix}-mode")
            controls.append(self.mode)
        self.stride = widgets.ToggleButtons(options=[(f"stride {s}", s) for s in self.strides],
                                            value=self.strides[0], description="stride",
                                            style={"button_width": "80px"})
        self.stride.add_class(f"{self.prefix}-stride")
        self.padding = widgets.ToggleButtons(options=[(f"padding {p}", p) for p in self.paddings],
                                             value=self.paddings[0], description="padding",
                                             style={"button_width": "80px"})
        self.padding.add_class(f"{self.prefix}-padding")
        self.slider = widgets.IntSlider(value=1, min=1, max=1, description=self.slider_label,
                                        continuous_update=True, style={"description_width": "70px"})
        self.slider.add_class(f"{self.prefix}-slider")
        # one HTML widget holds the readout and the grids: one message per press, one repaint
        self.view = widgets.HTML()
        self.view.add_class(f"{self.prefix}-view")
        for control in (self.mode, self.stride, self.padding):
            if control is not None:
                control.observe(self._on_geometry, names="value")
        self.slider.observe(self._on_slider, names="value")
        super().__init__([*controls, widgets.HBox([self.stride, self.padding]), self.slider, self.view])
        self.add_class(self.css)
        self._loading = False
        self._on_geometry()

    def _key(self):
        return (self.mode.value if self.mode else None, self.stride.value, self.padding.value)

    def _on_geometry(self, change=None):
        if self._loading:
            return
        key = self._key()
        if key not in self._states:
            self._states[key] = self._build(*key)
        count = len(self._states[key])
        self._loading = True  # set max and value together (one message), then show one state
        try:
            with self.slider.hold_sync():
                self.slider.max = count
                self.slider.value = min(self.slider.value, count)
        finally:
            self._loading = False
        self._show()

    def _on_slider(self, change=None):
        if not self._loading:
            self._show()

    def _show(self):
        self.view.value = self.state["html"]

    def _finish(self, state):
        """Wrap a state's readout and grids into the view's HTML (classes "<prefix>-readout", "-grids")."""
        state["html"] = (f"<div class='{self.prefix}-readout' style='margin:4px 0 8px 0;line-height:1.6'>"
                         f"{state['readout']}</div><div class='{self.prefix}-grids'>{state['grids']}</div>")
        return state

    @property
    def state(self):
        """The current state: a dict with the numbers shown (see the subclass docstring) and its HTML."""
        return self._states[self._key()][self.slider.value - 1]

    def precompute(self):
        """Build the states of every mode × stride × padding now (the first view's are built at once)."""
        modes = [value for _, value in self.mode.options] if self.mode else [None]
        for mode in modes:
            for stride in self.strides:
                for padding in self.paddings:
                    if (mode, stride, padding) not in self._states:
                        self._states[(mode, stride, padding)] = self._build(mode, stride, padding)
        return self


class ForwardStepper(_Stepper):
    """Pick an output o_rc; see its window, the weight each pixel meets, the k² products and their sum.

    image:  (n, n) numbers; kernel: (k, k) numbers
    strides, paddings: the choices offered by the toggles (first = initial)
    ``.slider.value`` is the output's number, 1 … m² row by row. ``.state`` holds:
    position (r, c) 0-based, origin (row, col) of the window in the padded image, products
    [(i, j, pixel, weight, pixel·weight)], value (their sum = helpers.nn.conv.conv2d's o_rc),
    output (m, m) from conv2d, unread [(row, col)] 0-based image pixels that no window reads.
    """

    css, prefix = "course-forward-stepper", "course-forward"
    slider_label = "output"

    def __init__(self, image, kernel, strides=(1, 2), paddings=(0, 1)):
        super().__init__(image, kernel, strides, paddings)
        self.precompute()

    def _build(self, _mode, stride, padding):
        n, k = self.n, self.k
        x_pad = np.pad(self.image, padding)
        output = conv2d(self.image[None, None], self.kernel[None, None], np.zeros(1), stride, padding)[0, 0]
        corners, m = _windows(n, k, stride, padding)
        read = _read_mask(n, k, stride, padding)
        unread = [(r - padding, c - padding) for r, c in zip(*np.nonzero(~read), strict=True)
                  if padding <= r < padding + n and padding <= c < padding + n]
        labels = _padded_labels(n, padding)
        states = []
        for t, (r0, c0) in enumerate(corners):
            position = divmod(t, m)
            products = [(i, j, float(x_pad[r0 + i, c0 + j]), float(self.kernel[i, j]),
                         float(x_pad[r0 + i, c0 + j] * self.kernel[i, j])) for i in range(k) for j in range(k)]
            state = {"position": position, "origin": (r0, c0), "products": products,
                     "value": float(sum(p[4] for p in products)), "output": output, "unread": unread,
                     "stride": stride, "padding": padding}
            marks = {(r0 + i, c0 + j): "×" + _name("W", i, j) for i, j, *_ in products}
            image_cell = _value_cell(x_pad, padding, read, marks)

            def framed(r, c, image_cell=image_cell, r0=r0, c0=c0):
                return {**image_cell(r, c), "frame": _frame(r, c, r0, c0, k)}
            shown = {divmod(u, m) for u in range(t + 1)}
            panels = [
                _grid(f"image I{', padding ' + str(padding) if padding else ''} (window of "
                      f"{_name('o', *position)})", x_pad.shape, framed, "course-forward-image", labels, labels),
                _grid("filter W", self.kernel.shape,
                      _value_cell(self.kernel, 0, None, {}), "course-forward-filter"),
                _grid(f"output O = I ⋆ W ({m}×{m})", output.shape, _signed_cell(output, shown, position),
                      "course-forward-output"),
            ]
            key = (f"Blue frame = the window of {_name('o', *position)}; "
                   f"<span style='background:{PAIR_COLOUR}'>&nbsp;orange&nbsp;</span> = the pixels it "
                   f"multiplies (×W<sub>ij</sub>: the weight each meets); "
                   f"<span style='background:{PADDING_COLOUR}'>&nbsp;grey <i>0</i>&nbsp;</span> = padding; "
                   f"<span style='background:{UNREAD_COLOUR}'>&nbsp;dotted&nbsp;</span> = read by no window; "
                   "O: red + / blue −, ? = not computed yet.")
            state["readout"] = self._readout(state, m, labels)
            state["grids"] = _row(panels, key)
            states.append(self._finish(state))
        return states

    def _readout(self, state, m, labels):
        (r, c), (r0, c0), padding = state["position"], state["origin"], state["padding"]
        names = []
        for i, j, *_ in state["products"]:
            row, col = r0 + i - padding, c0 + j - padding
            inside = 0 <= row < self.n and 0 <= col < self.n
            names.append((_name("I", row, col) if inside else "0<sub>pad</sub>") + "·" + _name("W", i, j))
        numbers = " + ".join(f"{_factor(p)}·{_factor(w)}" for _, _, p, w, _ in state["products"])
        rows = f"{labels[r0]}–{labels[r0 + self.k - 1]}"
        cols = f"{labels[c0]}–{labels[c0 + self.k - 1]}"
        where = f"window rows {rows}, columns {cols}" + (" (p = padding)" if padding else "")
        text = (f"<b>{_name('o', r, c)}</b> (output {r * m + c + 1} of {m * m}), {where}: "
                f"{_name('o', r, c)} = {' + '.join(names)}"
                f"<br>= {numbers} = <b class='course-forward-sum'>{_fmt(state['value'])}</b>")
        dropped = sum(not (0 <= r0 + i - padding < self.n and 0 <= c0 + j - padding < self.n)
                      for i, j, *_ in state["products"])
        if dropped:
            text += f"<br>{dropped} of the {self.k ** 2} products read padding and are 0."
        if state["stride"] > 1 and m > 1:
            text += f"<br>Stride {state['stride']}: each window starts {state['stride']} pixels after the last."
        elif state["stride"] > 1:
            text += (f"<br>Stride {state['stride']}: a second window would start {state['stride']} pixels "
                     f"further on, where the {self.k}×{self.k} filter no longer fits.")
        if state["unread"]:
            unread = ", ".join(_name("I", *u) for u in state["unread"])
            text += f" No window reads {unread}: these pixels cannot change O."
        return text


class BackwardStepper(_Stepper):
    """Pick a weight W_ij (mode "weight") or a pixel I_pq (mode "pixel"); see every pair that reaches it.

    image: (n, n); kernel: (k, k); upstream: numbers for δ, the first m² used row by row for each
    geometry (default ``DEFAULT_UPSTREAM``); strides, paddings: the toggles' choices; mode: the first view.
    ``.mode.value`` is "weight" or "pixel"; ``.slider.value`` numbers the weights (1 … k²) or the image
    pixels (1 … n²) row by row. ``.state`` holds:
    target (row, col) 0-based; pairs [(first, second, a, b, a·b)] where first/second are 0-based
    positions — mode weight: (padded pixel, δ entry), mode pixel: (weight, δ entry); running [partial
    sums]; value (= helpers.nn.conv.conv2d_backward's ∂L/∂W_ij or ∂L/∂I_pq); grad (the whole gradient);
    delta (m, m).
    """

    css, prefix = "course-backward-stepper", "course-backward"
    slider_label = "entry"
    MODES = (("∂L/∂W_ij: pick a weight", "weight"), ("∂L/∂I_pq: pick a pixel", "pixel"))

    def __init__(self, image, kernel, upstream=DEFAULT_UPSTREAM, strides=(1, 2), paddings=(0, 1), mode="weight"):
        try:
            self.upstream = np.asarray(upstream, dtype=float).ravel() if np.ndim(upstream) else None
        except (TypeError, ValueError):
            self.upstream = None
        if self.upstream is None or not np.all(np.isfinite(self.upstream)):
            raise ValueError("upstream must be a sequence of finite numbers")
        super().__init__(image, kernel, strides, paddings, modes=list(self.MODES), mode=mode)
        self.precompute()

    def _delta(self, m):
        if self.upstream.size < m * m:
            raise ValueError(f"upstream holds {self.upstream.size} numbers but this geometry needs "
                             f"m² = {m * m} (δ is {m}×{m})")
        return self.upstream[:m * m].reshape(m, m)

    def _build(self, mode, stride, padding):
        n, k = self.n, self.k
        corners, m = _windows(n, k, stride, padding)
        delta = self._delta(m)
        dx, dw, _ = conv2d_backward(delta[None, None], self.image[None, None], self.kernel[None, None],
                                    stride, padding)
        x_pad = np.pad(self.image, padding)
        context = {"stride": stride, "padding": padding, "delta": delta, "m": m, "corners": corners,
                   "x_pad": x_pad, "read": _read_mask(n, k, stride, padding),
                   "labels": _padded_labels(n, padding)}
        if mode == "weight":
            return [self._weight_state(i, j, dw[0, 0], context) for i in range(k) for j in range(k)]
        return [self._pixel_state(p, q, dx[0, 0], context) for p in range(n) for q in range(n)]

    @staticmethod
    def _sums(pairs):
        return [float(v) for v in np.cumsum([pair[4] for pair in pairs])] if pairs else []

    def _weight_state(self, i, j, dw, ctx):
        m, delta, x_pad = ctx["m"], ctx["delta"], ctx["x_pad"]
        pairs = [((r0 + i, c0 + j), divmod(t, m), float(x_pad[r0 + i, c0 + j]), float(delta.flat[t]),
                  float(x_pad[r0 + i, c0 + j] * delta.flat[t])) for t, (r0, c0) in enumerate(ctx["corners"])]
        state = {"target": (i, j), "pairs": pairs, "running": self._sums(pairs), "grad": dw,
                 "value": float(dw[i, j]), "delta": delta, "mode": "weight"}
        pixel_marks = {first: _badge(t + 1) + "×δ" for t, (first, *_) in enumerate(pairs)}
        delta_marks = {second: _badge(t + 1) for t, (_, second, *_) in enumerate(pairs)}
        shown = {divmod(u, self.k) for u in range(i * self.k + j + 1)}
        panels = [
            _grid(f"image I{', padding ' + str(ctx['padding']) if ctx['padding'] else ''}: the pixels "
                  f"{_name('W', i, j)} met", x_pad.shape, _value_cell(x_pad, ctx["padding"], ctx["read"],
                                                                      pixel_marks),
                  "course-backward-image", ctx["labels"], ctx["labels"]),
            _grid("upstream δ = ∂L/∂O", delta.shape, _value_cell(delta, 0, None, delta_marks),
                  "course-backward-delta"),
            _grid("filter W", self.kernel.shape, lambda r, c: {**_value_cell(self.kernel, 0, None, {})(r, c),
                                                               "frame": _frame(r, c, i, j, 1)},
                  "course-backward-filter"),
            _grid("∂L/∂W = I ⋆ δ", dw.shape, _signed_cell(dw, shown, (i, j)), "course-backward-grad"),
        ]
        key = (f"Pair {_badge(1)} is the pixel and the δ of window 1, {_badge(2)} of window 2, …: each window used "
               f"{_name('W', i, j)} once, so its gradient is a sum over the windows. Grey <i>0</i> = padding; "
               "dotted = read by no window; ∂L/∂W: red + / blue −, ? = not computed yet.")
        terms = " + ".join(f"{self._pixel_name(r, c, ctx['padding'])}·{_name('δ', *second)}"
                           for (r, c), second, *_ in pairs)
        numbers = " + ".join(f"{_factor(a)}·{_factor(b)}" for _, _, a, b, _ in pairs)
        running = ", ".join(_fmt(v) for v in state["running"])
        padded = sum(not self._inside(*first, ctx["padding"]) for first, *_ in pairs)
        note = f"; {padded} of them read a padding zero and add 0" if padded else ""
        state["readout"] = (f"<b>∂L/∂{_name('W', i, j)}</b> (weight {i * self.k + j + 1} of {self.k ** 2}) "
                            f"= {terms}<br>= {numbers}<br>running sum: {running} → "
                            f"<b class='course-backward-sum'>{_fmt(state['value'])}</b> "
                            f"({len(pairs)} windows, {len(pairs)} pairs{note})")
        state["grids"] = _row(panels, key)
        return self._finish(state)

    def _inside(self, r, c, padding):
        """True when padded position (r, c) holds a real pixel, not padding."""
        return padding <= r < padding + self.n and padding <= c < padding + self.n

    def _pixel_name(self, r, c, padding):
        """I_pq for a padded position that holds a real pixel, 0_pad for padding."""
        return _name("I", r - padding, c - padding) if self._inside(r, c, padding) else "0<sub>pad</sub>"

    def _pixel_state(self, p, q, dx, ctx):
        m, delta, k, padding, stride = ctx["m"], ctx["delta"], self.k, ctx["padding"], ctx["stride"]
        row, col = p + padding, q + padding  # the pixel in the padded image
        pairs = []
        for t, (r0, c0) in enumerate(ctx["corners"]):
            i, j = row - r0, col - c0
            if 0 <= i < k and 0 <= j < k:
                pairs.append(((i, j), divmod(t, m), float(self.kernel[i, j]), float(delta.flat[t]),
                              float(self.kernel[i, j] * delta.flat[t])))
        state = {"target": (p, q), "pairs": pairs, "running": self._sums(pairs), "grad": dx,
                 "value": float(dx[p, q]), "delta": delta, "mode": "pixel"}
        weight_marks = {first: _badge(t + 1) for t, (first, *_) in enumerate(pairs)}
        delta_marks = {second: _badge(t + 1) for t, (_, second, *_) in enumerate(pairs)}
        shown = {divmod(u, self.n) for u in range(p * self.n + q + 1)}

        def image_cell(r, c):
            spec = _value_cell(ctx["x_pad"], padding, ctx["read"], {})(r, c)
            if (r, c) == (row, col):
                spec.update(background=PAIR_COLOUR, cls=(spec.get("cls", "") + " target").strip())
            return {**spec, "frame": _frame(r, c, row, col, 1)}
        panels = [
            _grid(f"image I{', padding ' + str(padding) if padding else ''}: pixel {_name('I', p, q)}",
                  ctx["x_pad"].shape, image_cell, "course-backward-image", ctx["labels"], ctx["labels"]),
            _grid("filter W: who meets it", self.kernel.shape, _value_cell(self.kernel, 0, None, weight_marks),
                  "course-backward-filter"),
            _grid("upstream δ = ∂L/∂O", delta.shape, _value_cell(delta, 0, None, delta_marks),
                  "course-backward-delta"),
            _grid("∂L/∂I", dx.shape, _signed_cell(dx, shown, (p, q)), "course-backward-grad"),
        ]
        key = (f"Pair {_badge(1)} is the weight and the δ of the first window that reads the pixel, "
               f"{_badge(2)} of the next, …. "
               "Grey <i>0</i> = padding; dotted = read by no window; "
               "∂L/∂I: red + / blue −, ? = not computed yet.")
        name = _name("I", p, q)
        if not pairs:
            text = (f"<b>∂L/∂{name}</b> (pixel {p * self.n + q + 1} of {self.n ** 2}): no window reads {name} "
                    f"(stride {stride}), so ∂L/∂{name} = <b class='course-backward-sum'>0</b>.")
        else:
            terms = " + ".join(f"{_name('W', *first)}·{_name('δ', *second)}" for first, second, *_ in pairs)
            numbers = " + ".join(f"{_factor(a)}·{_factor(b)}" for _, _, a, b, _ in pairs)
            running = ", ".join(_fmt(v) for v in state["running"])
            text = (f"<b>∂L/∂{name}</b> (pixel {p * self.n + q + 1} of {self.n ** 2}) = {terms}<br>= {numbers}"
                    f"<br>running sum: {running} → <b class='course-backward-sum'>{_fmt(state['value'])}</b> "
                    f"({len(pairs)} of {m * m} windows read it)")
            if len(pairs) > 1:
                text += ("<br>As the δ index goes up, the W index goes down: "
                         "the filter is read in reverse (the flip).")
        state["readout"] = text
        state["grids"] = _row(panels, key)
        return self._finish(state)


def describe(stepper):
    """The readout of a stepper's current state as plain text (for a print or a test)."""
    if not isinstance(stepper, _Stepper):
        raise ValueError(f"stepper must be a ForwardStepper or BackwardStepper; got {type(stepper).__name__}")
    text = stepper.state["readout"].replace("<br>", "\n")
    return re.sub(r"<[^>]+>", "", text).replace("&nbsp;", " ")
