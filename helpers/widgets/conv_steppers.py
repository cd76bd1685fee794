"""Step through a convolution one position at a time: the forward pass (01) and both backward passes (02).

Toggles for stride and padding show windows skipping pixels or reading padding. Every sum comes from
``helpers.nn.conv``; the pairs shown follow o_rc = Σ_ij I_pad[r·s + i, c·s + j] · W_ij (0-based).
Every state's HTML is built once, with the widget: a key press only swaps one HTML string.
Arrays: image (n, n), kernel (k, k), δ (m, m), m = ⌊(n + 2p − k)/s⌋ + 1; I11 is ``image[0, 0]``.
"""
import ipywidgets as widgets
import numpy as np

from helpers.nn.conv import conv2d, conv2d_backward, conv_output_shape
from helpers.widgets.draw import finite_limit, frame, grid_html, signed_cell, signed_text
from helpers.widgets.ui import classed

PAIR_COLOUR = "#fdb863"                  # orange: the entries that meet in the current sum
PADDING_COLOUR = "#e6e6e6"               # grey: zero padding
UNREAD_COLOUR = "#bdbdbd"                # darker grey, dotted: a pixel that no window reads
MAX_SIDE = 8   # every state is drawn in advance (≈ side⁴ cells): a stepper is for small examples you can read
STRIDES, PADDINGS = (1, 2), (0, 1)       # the toggles' choices (the first is where a stepper starts)
KEY = "Grey <i>0</i> = padding; dotted = read by no window; {grad}: red + / blue −, ? = not computed yet."

# δ for every geometry: its first m² numbers row by row, repeated if m² > 25 (the first four: notebook 02's δ)
DEFAULT_UPSTREAM = (1, -2, 0.5, 3, -1, 2, 1.5, -0.5, 2, 1, -1.5, 0.5, -2, 1, 0.5, -1,
                    1, -1, 2, 0.5, -0.5, 1.5, -1, 2, 1)


def _square(name, value):
    """value (numbers, or a SymPy Matrix of numbers) as a square float array of finite numbers."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold real numbers, not symbols or text") from None
    if array.ndim != 2 or array.shape[0] != array.shape[1] or not 1 <= len(array) <= MAX_SIDE:
        raise ValueError(f"{name} must be a square 2-D array of side 1 to {MAX_SIDE}; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers")
    return array


def _factor(value):
    """A factor in a product: 2, (−1), 0.5."""
    text = f"{value:.3g}".replace("-", "−")
    return f"({text})" if value < 0 else text


def _name(letter, row, col):
    """1-based name of a 0-based entry: ('I', 0, 2) -> 'I13' (with a comma beyond 9)."""
    index = f"{row + 1}{col + 1}" if row < 9 and col < 9 else f"{row + 1},{col + 1}"
    return f"{letter}<sub>{index}</sub>"


def _badge(number):
    """The number of a pair in a small circle, shown in both grids it joins."""
    return (f"<span class='badge' style='display:inline-block;min-width:13px;padding:0 2px;border:1px solid #333;"
            f"border-radius:8px;font-size:10px;line-height:13px'>{number}</span>")


def _sum(terms, pairs):
    """A sum by name, then by number: "I11·W11 + I12·W12<br>= 2·1 + (−1)·0"; pairs [(…, …, a, b, a·b)]."""
    return " + ".join(terms) + "<br>= " + " + ".join(f"{_factor(a)}·{_factor(b)}" for *_, a, b, _ in pairs)


def _grid(title, values, cell, css_class, labels=None):
    """A grid with 1-based row/column labels (or `labels` for both, e.g. the padded image's)."""
    labels = labels or [str(i + 1) for i in range(values.shape[0])]
    return f"<div>{grid_html(values.shape, cell, css_class, title, labels, labels, (44, 34))}</div>"


def _value_cell(values, padding=0, read=None, marks=None, box=None, target=None):
    """A cell function for the padded image (or a plain grid): padding grey, unread dotted, marks orange.

    marks: {(row, col): html shown under the value}, e.g. the weight a pixel meets or a pair's badge;
    box: (top, left, side) of the framed window or entry; target: (row, col) of the pixel picked (orange).
    """
    n, marks = values.shape[0] - 2 * padding, marks or {}

    def cell(r, c):
        real = padding <= r < padding + n and padding <= c < padding + n
        text = f"{values[r, c]:g}".replace("-", "−") if real else "<i>0</i>"
        spec = {"text": text, "cls": "" if real else "pad", "frame": frame(r, c, *box) if box else (False,) * 4}
        if not real:
            spec.update(background=PADDING_COLOUR, ink="#666666")
        elif read is not None and not read[r, c]:
            spec.update(background=UNREAD_COLOUR, border="2px dotted #555555", cls="unread",
                        text=f"{text}<br><small>unread</small>")
        if (r, c) in marks:  # a paired padding zero in a paler orange: it adds nothing
            spec.update(background=PAIR_COLOUR if real else "#fee0b6", ink="#000000",
                        cls=(spec["cls"] + " paired").strip(), text=f"<b>{text}</b><br><small>{marks[(r, c)]}</small>")
        if (r, c) == target:
            spec.update(background=PAIR_COLOUR, cls=(spec["cls"] + " target").strip())
        return spec
    return cell


class _Stepper(widgets.VBox):
    """Shared plumbing: stride/padding toggles, a slider, and one HTML view of precomputed states."""

    modes = ()   # the (label, value) choices of a "pick" toggle: the forward pass has none

    def __init__(self, image, kernel, mode=None):
        self.image, self.kernel = _square("image", image), _square("kernel", kernel)
        self.n, self.k = len(self.image), len(self.kernel)
        if self.k > self.n:
            raise ValueError(f"kernel {self.k}×{self.k} is larger than the image {self.n}×{self.n}")
        mode_values = [value for _, value in self.modes] or [None]
        if mode not in mode_values:
            raise ValueError(f"mode must be one of {mode_values}; got {mode!r:.80}")

        def toggle(name, options, value, width, description=None):
            control = widgets.ToggleButtons(options=options, value=value, description=description or name,
                                            style={"button_width": width})
            control.observe(self._on_geometry, names="value")
            return classed(control, f"{self.prefix}-{name}")
        self.mode = toggle("mode", list(self.modes), mode, "190px", "pick") if self.modes else None
        self.stride = toggle("stride", [(f"stride {s}", s) for s in STRIDES], STRIDES[0], "80px")
        self.padding = toggle("padding", [(f"padding {p}", p) for p in PADDINGS], PADDINGS[0], "80px")
        self.slider = classed(widgets.IntSlider(value=1, min=1, max=1, description=self.slider_label,
                                                continuous_update=True, style={"description_width": "70px"}),
                              f"{self.prefix}-slider")
        self.slider.observe(self._on_slider, names="value")
        # the readout and the grids in one widget: one message per press
        self.view = classed(widgets.HTML(), f"{self.prefix}-view")
        controls = [self.mode] if self.mode else []
        super().__init__([*controls, widgets.HBox([self.stride, self.padding]), self.slider, self.view])
        self.add_class(f"{self.prefix}-stepper")
        self._states = {(m, s, p): self._build(m, s, p) for m in mode_values for s in STRIDES for p in PADDINGS}
        self._on_geometry()

    def _key(self):
        return (self.mode.value if self.mode else None, self.stride.value, self.padding.value)

    def _on_geometry(self, change=None):
        count = len(self._states[self._key()])
        with self.slider.hold_sync():  # max and value in one message
            self.slider.max = count
            self.slider.value = min(self.slider.value, count)
        self._on_slider()

    def _on_slider(self, change=None):
        self.view.value = self.state["html"]   # the same string twice sends nothing

    @property
    def state(self):
        """The current state: a dict with the numbers shown (see the subclass docstring) and its HTML."""
        return self._states[self._key()][self.slider.value - 1]

    def _finish(self, state, readout, panels, key):
        """Put a state's readout and grids into the view's HTML (classes "<prefix>-readout", "-grids")."""
        state["readout"] = readout
        state["grids"] = (f"<div style='display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start'>"
                          f"{''.join(panels)}</div><div style='font-size:12px;color:#333;margin-top:6px'>{key}</div>")
        state["html"] = (f"<div class='{self.prefix}-readout' style='margin:4px 0 8px 0;line-height:1.6'>"
                         f"{readout}</div><div class='{self.prefix}-grids'>{state['grids']}</div>")
        return state

    def _geometry(self, stride, padding):
        """What every state of one stride and padding shares: the padded image, the windows' top-left
        corners (padded, 0-based, row-major), the output side m, the row/column labels (1 … n, 'p' for
        padding) and which padded pixels some window reads (conv2d_backward's ∂L/∂I for δ = 1 and a
        filter of ones is each pixel's window count)."""
        n, k = self.n, self.k
        m, side = conv_output_shape((n, n), (k, k), stride, padding)[0], n + 2 * padding
        coverage = conv2d_backward.unchecked(np.ones((1, 1, m, m)), np.zeros((1, 1, side, side)), np.ones((1, 1, k, k)),
                                             stride)[0]
        return {"stride": stride, "padding": padding, "m": m, "x_pad": np.pad(self.image, padding),
                "corners": [(r * stride, c * stride) for r in range(m) for c in range(m)],
                "labels": [str(i - padding + 1) if padding <= i < padding + n else "p" for i in range(side)],
                "read": coverage[0, 0] > 0}

    def _image_grid(self, ctx, title, marks=None, box=None, target=None):
        """The (padded) image with its row/column labels; title follows "image I[, padding p]"."""
        cell = _value_cell(ctx["x_pad"], ctx["padding"], ctx["read"], marks, box, target)
        padded = f", padding {ctx['padding']}" if ctx["padding"] else ""
        return _grid(f"image I{padded}{title}", ctx["x_pad"], cell, f"{self.prefix}-image", ctx["labels"])

    def _filter_grid(self, title, marks=None, box=None):
        return _grid(title, self.kernel, _value_cell(self.kernel, marks=marks, box=box), f"{self.prefix}-filter")

    def _inside(self, r, c, padding):
        """True when padded position (r, c) holds a real pixel, not padding."""
        return padding <= r < padding + self.n and padding <= c < padding + self.n

    def _pixel_name(self, r, c, padding):
        """I_pq for a padded position that holds a real pixel, 0_pad for padding."""
        return _name("I", r - padding, c - padding) if self._inside(r, c, padding) else "0<sub>pad</sub>"


class ForwardStepper(_Stepper):
    """Pick an output o_rc; see its window, the weight each pixel meets, the k² products and their sum.

    image:  (n, n) numbers; kernel: (k, k) numbers, k ≤ n
    ``.slider.value`` is the output's number, 1 … m² row by row. ``.state`` holds:
    position (r, c) 0-based, origin (row, col) of the window in the padded image, products
    [(i, j, pixel, weight, pixel·weight)], value (helpers.nn.conv.conv2d's o_rc, the products' sum),
    output (m, m) from conv2d, unread [(row, col)] 0-based image pixels that no window reads.
    """

    prefix, slider_label = "course-forward", "output"

    def __init__(self, image, kernel):
        super().__init__(image, kernel)

    def _build(self, _mode, stride, padding):
        ctx, k = self._geometry(stride, padding), self.k
        x_pad, m, labels = ctx["x_pad"], ctx["m"], ctx["labels"]
        output = conv2d.unchecked(self.image[None, None], self.kernel[None, None], np.zeros(1), stride, padding)[0, 0]
        unread = [(r - padding, c - padding) for r, c in zip(*np.nonzero(~ctx["read"]), strict=True)
                  if self._inside(r, c, padding)]
        key = (f"Blue frame = the window; <span style='background:{PAIR_COLOUR}'>&nbsp;orange&nbsp;</span> = the "
               "pixels it multiplies (×W<sub>ij</sub>: the weight each meets); " + KEY.format(grad="O"))
        states = []
        for t, (r0, c0) in enumerate(ctx["corners"]):
            (r, c) = position = divmod(t, m)
            products = [(i, j, float(x_pad[r0 + i, c0 + j]), float(self.kernel[i, j]),
                         float(x_pad[r0 + i, c0 + j] * self.kernel[i, j])) for i in range(k) for j in range(k)]
            state = {"position": position, "origin": (r0, c0), "products": products,
                     "value": float(output[position]), "output": output, "unread": unread,
                     "stride": stride, "padding": padding}
            marks = {(r0 + i, c0 + j): "×" + _name("W", i, j) for i, j, *_ in products}
            panels = [self._image_grid(ctx, f" (window of {_name('o', r, c)})", marks, (r0, c0, k)),
                      self._filter_grid("filter W"),
                      _grid(f"output O = I ⋆ W ({m}×{m})", output,
                            signed_cell(output, finite_limit(output), (r, c, 1), {divmod(u, m) for u in range(t + 1)}),
                            "course-forward-output")]
            names = [self._pixel_name(r0 + i, c0 + j, padding) + "·" + _name("W", i, j) for i, j, *_ in products]
            text = (f"<b>{_name('o', r, c)}</b> (output {t + 1} of {m * m}), window rows {labels[r0]}–"
                    f"{labels[r0 + k - 1]}, columns {labels[c0]}–{labels[c0 + k - 1]}"
                    f"{' (p = padding)' if padding else ''}: {_name('o', r, c)} = {_sum(names, products)} = "
                    f"<b class='course-forward-sum'>{signed_text(state['value'])}</b>")
            dropped = sum(not self._inside(r0 + i, c0 + j, padding) for i, j, *_ in products)
            if dropped:
                text += f"<br>{dropped} of the {k ** 2} products read padding and are 0."
            if stride > 1 and m > 1:
                text += f"<br>Stride {stride}: each window starts {stride} pixels after the last."
            elif stride > 1:
                text += (f"<br>Stride {stride}: a second window would start {stride} pixels "
                         f"further on, where the {k}×{k} filter no longer fits.")
            if unread:
                text += f" No window reads {', '.join(_name('I', *u) for u in unread)}: these pixels cannot change O."
            states.append(self._finish(state, text, panels, key))
        return states


class BackwardStepper(_Stepper):
    """Pick a weight W_ij (mode "weight") or a pixel I_pq (mode "pixel"); see every pair that reaches it.

    image: (n, n); kernel: (k, k), k ≤ n; mode: the first view. δ is ``DEFAULT_UPSTREAM``'s first m² numbers.
    ``.mode.value`` is "weight" or "pixel"; ``.slider.value`` numbers the weights (1 … k²) or the image
    pixels (1 … n²) row by row. ``.state`` holds:
    target (row, col) 0-based; pairs [(first, second, a, b, a·b)] where first/second are 0-based
    positions — mode weight: (padded pixel, δ entry), mode pixel: (weight, δ entry); running [partial
    sums]; value (= helpers.nn.conv.conv2d_backward's ∂L/∂W_ij or ∂L/∂I_pq); grad (the whole gradient);
    delta (m, m).
    """

    prefix, slider_label = "course-backward", "entry"
    modes = (("∂L/∂W_ij: pick a weight", "weight"), ("∂L/∂I_pq: pick a pixel", "pixel"))

    def __init__(self, image, kernel, mode="weight"):
        super().__init__(image, kernel, mode)

    def _build(self, mode, stride, padding):
        ctx = self._geometry(stride, padding)
        ctx["delta"] = delta = np.resize(np.array(DEFAULT_UPSTREAM, dtype=float), (ctx["m"], ctx["m"]))
        dx, dw, _ = conv2d_backward.unchecked(delta[None, None], self.image[None, None], self.kernel[None, None],
                                              stride, padding)
        if mode == "weight":
            return [self._weight_state(i, j, dw[0, 0], ctx) for i in range(self.k) for j in range(self.k)]
        return [self._pixel_state(p, q, dx[0, 0], ctx) for p in range(self.n) for q in range(self.n)]

    def _pairs_state(self, ctx, target, pairs, grad, grad_title, terms):
        """One target's state, its δ and gradient grids, and its sum (" = terms<br>= numbers<br>running …")."""
        running = [float(v) for v in np.cumsum([pair[4] for pair in pairs])]
        state = {"target": target, "pairs": pairs, "running": running, "grad": grad, "value": float(grad[target]),
                 "delta": ctx["delta"]}
        side = len(grad)
        shown = {divmod(u, side) for u in range(target[0] * side + target[1] + 1)}   # computed up to the target
        delta_marks = {second: _badge(t + 1) for t, (_, second, *_) in enumerate(pairs)}
        grids = [_grid("upstream δ = ∂L/∂O", ctx["delta"], _value_cell(ctx["delta"], marks=delta_marks),
                       "course-backward-delta"),
                 _grid(grad_title, grad, signed_cell(grad, finite_limit(grad), (*target, 1), shown),
                       "course-backward-grad")]
        total = (f" = {_sum(terms, pairs)}<br>running sum: {', '.join(signed_text(v) for v in running)} → "
                 f"<b class='course-backward-sum'>{signed_text(state['value'])}</b>")
        return state, grids, total

    def _weight_state(self, i, j, dw, ctx):
        m, delta, x_pad, padding = ctx["m"], ctx["delta"], ctx["x_pad"], ctx["padding"]
        pairs = [((r0 + i, c0 + j), divmod(t, m), float(x_pad[r0 + i, c0 + j]), float(delta.flat[t]),
                  float(x_pad[r0 + i, c0 + j] * delta.flat[t])) for t, (r0, c0) in enumerate(ctx["corners"])]
        terms = [f"{self._pixel_name(r, c, padding)}·{_name('δ', *second)}" for (r, c), second, *_ in pairs]
        state, (delta_grid, grad_grid), total = self._pairs_state(ctx, (i, j), pairs, dw, "∂L/∂W = I ⋆ δ", terms)
        pixel_marks = {first: _badge(t + 1) + "×δ" for t, (first, *_) in enumerate(pairs)}
        panels = [self._image_grid(ctx, f": the pixels {_name('W', i, j)} met", pixel_marks), delta_grid,
                  self._filter_grid("filter W", box=(i, j, 1)), grad_grid]
        key = (f"Pair {_badge(1)} is the pixel and the δ of window 1, {_badge(2)} of window 2, …: each window used "
               f"{_name('W', i, j)} once, so its gradient is a sum over the windows. " + KEY.format(grad="∂L/∂W"))
        padded = sum(not self._inside(*first, padding) for first, *_ in pairs)
        note = f"; {padded} of them read a padding zero and add 0" if padded else ""
        readout = (f"<b>∂L/∂{_name('W', i, j)}</b> (weight {i * self.k + j + 1} of {self.k ** 2}){total}"
                   f" ({len(pairs)} windows, {len(pairs)} pairs{note})")
        return self._finish(state, readout, panels, key)

    def _pixel_state(self, p, q, dx, ctx):
        m, delta, k, padding = ctx["m"], ctx["delta"], self.k, ctx["padding"]
        row, col = p + padding, q + padding  # the pixel in the padded image
        pairs = [((row - r0, col - c0), divmod(t, m), float(self.kernel[row - r0, col - c0]), float(delta.flat[t]),
                  float(self.kernel[row - r0, col - c0] * delta.flat[t]))
                 for t, (r0, c0) in enumerate(ctx["corners"]) if 0 <= row - r0 < k and 0 <= col - c0 < k]
        terms = [f"{_name('W', *first)}·{_name('δ', *second)}" for first, second, *_ in pairs]
        state, grids, total = self._pairs_state(ctx, (p, q), pairs, dx, "∂L/∂I", terms)
        weight_marks = {first: _badge(t + 1) for t, (first, *_) in enumerate(pairs)}
        panels = [self._image_grid(ctx, f": pixel {_name('I', p, q)}", box=(row, col, 1), target=(row, col)),
                  self._filter_grid("filter W: who meets it", weight_marks), *grids]
        key = (f"Pair {_badge(1)} is the weight and the δ of the first window that reads the pixel, "
               f"{_badge(2)} of the next, …. " + KEY.format(grad="∂L/∂I"))
        name = _name("I", p, q)
        readout = f"<b>∂L/∂{name}</b> (pixel {p * self.n + q + 1} of {self.n ** 2})"
        if not pairs:
            return self._finish(state, readout + f": no window reads {name} (stride {ctx['stride']}), so ∂L/∂{name} "
                                "= <b class='course-backward-sum'>0</b>.", panels, key)
        readout += f"{total} ({len(pairs)} of {m * m} windows read it)"
        if len(pairs) > 1:
            readout += "<br>As the δ index goes up, the W index goes down: the filter is read in reverse (the flip)."
        return self._finish(state, readout, panels, key)
