"""SymPy derivations of a filter's output and gradient: every term written out, every formula proved.

Notation of the course: image I (n×n), filter W (k×k), bias b, output O (m×m) with entries o11…,
upstream gradient δ = ∂L/∂O (m×m), loss L, ⋆ cross-correlation. Indices start at 1 in the math (I11 is the
top-left pixel) and at 0 in code (``I[0, 0]``). One channel in and out (``correlate_channels`` sums over
channels); the NumPy version is ``helpers.nn.conv``. A call that would build, differentiate or draw more than
TERM_BUDGET terms is refused, naming the argument. Nothing here parses text.
"""
from numbers import Integral, Number

import numpy as np
import sympy as sp

from helpers.door import check_stride_padding, checked

TERM_BUDGET = 3000   # symbols, terms, derivatives or figure cells one call may make: about 5 s of SymPy


# ---------------------------------------------------------------- checks at the door
def _check_budget(terms, name, what):
    if terms > TERM_BUDGET:
        raise ValueError(f"{name}: {what} would make {terms:,} terms, over the symbolic limit TERM_BUDGET = "
                         f"{TERM_BUDGET:,} (about 5 s of SymPy); use helpers.nn.conv for numbers of any size")


def _whole(value, name, grid=False):
    """value as a whole number ≥ 1 (with grid: the side of a square grid within TERM_BUDGET)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number ≥ 1; got {value!r:.60}")
    if grid:
        _check_budget(value * value, name, f"{name} = {value}, a {value}×{value} grid,")
    return int(value)


def _matrix(value, name):
    """The side of value, a non-empty square SymPy Matrix within TERM_BUDGET entries."""
    if not isinstance(value, sp.MatrixBase):
        raise ValueError(f"{name} must be a SymPy Matrix; got {type(value).__name__}")
    rows, cols = value.shape
    if rows != cols or rows == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {rows}×{cols}")
    _check_budget(rows * rows, name, f"a {rows}×{rows} matrix")
    return rows


def _output_size(n, k, stride, padding):
    if k > n + 2 * padding:
        raise ValueError(f"k = {k}: the filter W is larger than the padded image: filter {k}×{k}, image {n}×{n} "
                         f"with padding {padding} is {n + 2 * padding}×{n + 2 * padding}")
    return (n + 2 * padding - k) // stride + 1


def _geometry(I, W, stride, padding, names=("I", "W")):
    n, k = _matrix(I, names[0]), _matrix(W, names[1])
    stride, padding = check_stride_padding(stride, padding)
    _check_budget((n + 2 * padding) ** 2, "padding", f"{names[0]} ({n}×{n}) with padding {padding}")
    _output_size(n, k, stride, padding)
    return {"I": I, "W": W, "stride": stride, "padding": padding}


def _channels(images, filters, stride, padding):
    if not isinstance(images, (list, tuple)) or not isinstance(filters, (list, tuple)):
        raise ValueError("images and filters must be lists of SymPy matrices, one per channel")
    if len(images) != len(filters) or not images:
        raise ValueError(f"images and filters need the same number (≥ 1) of channels; "
                         f"got {len(images)} images and {len(filters)} filters")
    for c, (I, W) in enumerate(zip(images, filters, strict=True)):
        _geometry(I, W, stride, padding, (f"images[{c}]", f"filters[{c}]"))
    stride, padding = check_stride_padding(stride, padding)
    sizes = {_output_size(I.shape[0], W.shape[0], stride, padding) for I, W in zip(images, filters, strict=True)}
    if len(sizes) != 1:
        raise ValueError(f"images and filters: every channel must give the same output size; got {sorted(sizes)}")
    return {"images": images, "filters": filters, "stride": stride, "padding": padding}


def _check_delta(m, stride, padding, n, k):
    expected = _output_size(n, k, stride, padding)
    _check_budget((n + 2 * padding) ** 2, "padding", f"an image ({n}×{n}) with padding {padding}")
    if m != expected:
        raise ValueError(f"delta must have the output's shape {expected}×{expected} for a {k}×{k} filter on a "
                         f"{n}×{n} image (stride {stride}, padding {padding}); got {m}×{m}")


def _filter_gradient_args(I, delta, stride, padding, filter_size):
    n, m = _matrix(I, "I"), _matrix(delta, "delta")
    stride, padding = check_stride_padding(stride, padding)
    k = _whole(n + 2 * padding - (m - 1) * stride if filter_size is None else filter_size, "filter_size", grid=True)
    _check_delta(m, stride, padding, n, k)
    return {"I": I, "delta": delta, "stride": stride, "padding": padding, "filter_size": k}


def _input_gradient_args(W, delta, stride, padding, image_size):
    k, m = _matrix(W, "W"), _matrix(delta, "delta")
    stride, padding = check_stride_padding(stride, padding)
    n = _whole((m - 1) * stride + k - 2 * padding if image_size is None else image_size, "image_size", grid=True)
    _check_delta(m, stride, padding, n, k)
    return {"W": W, "delta": delta, "stride": stride, "padding": padding, "image_size": n}


def _direct_args(O, variables, delta):
    m = _matrix(O, "O")
    if not isinstance(variables, sp.MatrixBase):
        raise ValueError(f"variables must be a SymPy Matrix of symbols; got {type(variables).__name__}")
    _check_budget(m * m * len(variables), "variables", f"{len(variables)} variables times {m * m} outputs")
    delta = _symbol_grid(m, "delta") if delta is None else delta
    if _matrix(delta, "delta") != m:
        raise ValueError(f"delta must have O's shape {m}×{m}; got {delta.shape[0]}×{delta.shape[1]}")
    return {"O": O, "variables": variables, "delta": delta}


# ---------------------------------------------------------------- symbols
def _symbol_grid(side, name, channel=None):
    # I11 (typeset I_{11}) up to 9×9, I1_10 beyond, to stay unambiguous; channel c: I_11^(c), typeset I^{(c)}_{11}
    form = f"{name}{{}}{'_' if side > 9 else ''}{{}}" if channel is None else f"{name}_{{}}{{}}^({channel})"
    return sp.Matrix(side, side, lambda i, j: sp.Symbol(form.format(i + 1, j + 1)))


def image_symbols(n, name="I", channel=None):
    """The n×n image of symbols I11 … Inn (SymPy Matrix); ``I[0, 0]`` is I11. channel c gives I^(c)_11 …"""
    return _symbol_grid(_whole(n, "n", grid=True), name, channel)


def filter_symbols(k, name="W", channel=None):
    """The k×k filter of symbols W11 … Wkk (SymPy Matrix, shape (k, k)); channel as in ``image_symbols``."""
    return _symbol_grid(_whole(k, "k", grid=True), name, channel)


def output_symbols(m, name="o"):
    """The m×m output of symbols o11 … omm, the outputs a loss is a function of."""
    return _symbol_grid(_whole(m, "m", grid=True), name)


def delta_symbols(m, name="delta"):
    """The m×m upstream gradient δ11 … δmm, where δ_mn = ∂L/∂o_mn (typeset as \\delta_{mn})."""
    return _symbol_grid(_whole(m, "m", grid=True), name)


def output_size(n, k, stride=1, padding=0):
    """Side m of the output of a k×k filter on an n×n image: m = ⌊(n + 2·padding − k) / stride⌋ + 1 (any size)."""
    return _output_size(_whole(n, "n"), _whole(k, "k"), *check_stride_padding(stride, padding))


# ---------------------------------------------------------------- building blocks
def _padding_args(I, padding):
    n, (_, padding) = _matrix(I, "I"), check_stride_padding(1, padding)
    _check_budget((n + 2 * padding) ** 2, "padding", f"I ({n}×{n}) with padding {padding}")
    return {"I": I, "padding": padding}


@checked(_padding_args)
def pad(I, padding):
    """I (n×n) surrounded by ``padding`` rows and columns of zeros: shape (n + 2p, n + 2p)."""
    n = I.shape[0]
    padded = sp.zeros(n + 2 * padding)
    padded[padding:padding + n, padding:padding + n] = I
    return padded


def _rotate_args(W):
    _matrix(W, "W")
    return {"W": W}


@checked(_rotate_args)
def rotate180(W):
    """W (k×k) turned by 180°: entry (i, j) becomes entry (k−1−i, k−1−j) (0-based)."""
    k = W.shape[0]
    return sp.Matrix(k, k, lambda i, j: W[k - 1 - i, k - 1 - j])


def _dilate_args(delta, stride):
    m, (stride, _) = _matrix(delta, "delta"), check_stride_padding(stride, 0)
    _check_budget(((m - 1) * stride + 1) ** 2, "stride", f"δ ({m}×{m}) dilated by stride {stride}")
    return {"delta": delta, "stride": stride}


@checked(_dilate_args)
def dilate(delta, stride):
    """δ (m×m) with stride − 1 zeros between neighbouring entries: shape ((m−1)·s + 1, (m−1)·s + 1)."""
    size = (delta.shape[0] - 1) * stride + 1
    return sp.Matrix(size, size, lambda i, j: delta[i // stride, j // stride]
                     if i % stride == 0 and j % stride == 0 else 0)


@checked(_geometry)
def correlate(I, W, stride=1, padding=0):
    """Cross-correlation O = I ⋆ W, what deep learning calls a convolution (no flip).

    I: (n, n) and W: (k, k) SymPy matrices; stride ≥ 1; padding: zeros added on every side (≥ 0)
    Returns O: (m, m), m = ⌊(n + 2·padding − k) / stride⌋ + 1, o_rc = Σ_ij I_pad(s(r−1) + i, s(c−1) + j) · W_ij.
    """
    k, m = W.shape[0], _output_size(I.shape[0], W.shape[0], stride, padding)
    P = pad.unchecked(I, padding) if padding else I
    return sp.Matrix(m, m, lambda r, c: sp.Add(*[P[r * stride + i, c * stride + j] * W[i, j]
                                                 for i in range(k) for j in range(k)]))


@checked(_geometry)
def convolve(I, W, stride=1, padding=0):
    """True (flipping) convolution I * W = I ⋆ rotate180(W); shapes as in ``correlate``."""
    return correlate.unchecked(I, rotate180.unchecked(W), stride, padding)


@checked(_channels)
def correlate_channels(images, filters, stride=1, padding=0):
    """One output channel from C input channels: O = Σ_c I_c ⋆ W_c, an (m, m) SymPy Matrix.
    images: C SymPy matrices (n, n); filters: C matrices (k, k), the filter's slice for each channel."""
    outputs = [correlate.unchecked(I, W, stride, padding) for I, W in zip(images, filters, strict=True)]
    return sum(outputs[1:], outputs[0])


# ---------------------------------------------------------------- the general gradient formulas
@checked(_filter_gradient_args)
def filter_gradient(I, delta, stride=1, padding=0, filter_size=None):
    """∂L/∂W = I ⋆ δ: a valid cross-correlation of the (padded) input with the upstream gradient, no flip.

    I: (n, n) image of the forward pass; delta: (m, m) upstream gradient δ = ∂L/∂O, dilated first by stride s.
    filter_size: k; needed only when stride > 1 leaves it ambiguous (default: n + 2p − (m−1)s).
    Returns ∂L/∂W: (k, k) SymPy Matrix, ∂L/∂W_ij = Σ_rc I_pad(s(r−1) + i, s(c−1) + j) · δ_rc.
    """
    # the valid correlation is larger than k×k when the last window stops short; only k×k weights exist
    full = correlate.unchecked(I, dilate.unchecked(delta, stride), 1, padding)
    return full[:filter_size, :filter_size]


def bias_gradient(delta):
    """∂L/∂b = Σ_rc δ_rc, for delta (m, m); returns a SymPy expression."""
    return sp.Add(*delta)


@checked(_input_gradient_args)
def input_gradient(W, delta, stride=1, padding=0, image_size=None):
    """∂L/∂I = the full cross-correlation of δ with the 180°-rotated W (= a true full convolution δ * W).

    W: (k, k) filter of the forward pass; delta: (m, m) upstream gradient δ = ∂L/∂O, dilated first by stride s.
    Pixels that padding hid are dropped; those no window reached get 0.
    image_size: n; needed only when stride > 1 leaves it ambiguous (default: (m−1)s + k − 2p).
    Returns ∂L/∂I: (n, n) SymPy Matrix.
    """
    n, k = image_size, W.shape[0]
    full = correlate.unchecked(dilate.unchecked(delta, stride), rotate180.unchecked(W), 1, k - 1)  # (m−1)s + k
    padded = sp.zeros(n + 2 * padding)   # (m−1)s + k ≤ n + 2p: rows and columns no window reached stay 0
    padded[:full.shape[0], :full.shape[1]] = full
    return padded[padding:padding + n, padding:padding + n]


# ---------------------------------------------------------------- direct differentiation and proof
@checked(_direct_args)
def direct_gradient(O, variables, delta=None):
    """Differentiate L(o11, …, omm) with L an unknown function, straight from the outputs' expressions.

    O: (m, m) outputs as expressions of the variables (e.g. ``correlate(I, W)``); variables: a Matrix of
    symbols (W, I, or b as a 1×1 Matrix); delta: (m, m) symbols for ∂L/∂o_rc (default ``delta_symbols(m)``).
    Returns ∂L/∂variables, shaped like variables, in the δ symbols: SymPy's own chain rule, no formula of ours.
    """
    L, flat_delta = sp.Function("L"), list(delta)

    def delta_for(derivative):   # ∂L/∂(argument q of L) → δ_q
        (variable, order), = derivative.variable_count
        if order != 1 or derivative.expr.func != L:
            raise ValueError(f"expected a first derivative of the loss; got {derivative}")
        return flat_delta[derivative.expr.args.index(variable)]

    def chained(expr):   # SymPy writes ∂L/∂o as Subs(Derivative(L(…), ξ), ξ, o), or as Derivative(L(…), o)
        expr = expr.xreplace({s: delta_for(s.expr) for s in expr.atoms(sp.Subs)})   # Subs first: they hold one
        return expr.xreplace({d: delta_for(d) for d in expr.atoms(sp.Derivative)})

    return variables.applyfunc(lambda v: chained(sp.diff(L(*O), v)))


def is_zero(expr):
    """True when expr (a SymPy expression or a number) simplifies to 0; expand first settles polynomials.
    Text is refused, never parsed: SymPy would run a string as code."""
    if isinstance(expr, bool) or not isinstance(expr, (sp.Basic, Number)) or isinstance(expr, sp.MatrixBase):
        raise ValueError(f"expr must be a SymPy expression or a number (text is never parsed); "
                         f"got {type(expr).__name__}")
    return sp.expand(expr) == 0 or sp.simplify(expr) == 0


def prove_gradients(n, k, stride=1, padding=0):
    """Prove, entry by entry, that filter_gradient, input_gradient and bias_gradient equal SymPy's own
    differentiation of an unknown loss L(O), O = I ⋆ W + b (n×n image, k×k filter).
    Returns {"dW": (entries proved, entries), "dI": (…, …), "db": (…, …), "proved": bool}."""
    m = _output_size(n, k, stride, padding)
    I, W, b, delta = _symbol_grid(n, "I"), _symbol_grid(k, "W"), sp.Symbol("b"), _symbol_grid(m, "delta")
    O = correlate.unchecked(I, W, stride, padding) + b * sp.ones(m, m)
    differentiate = direct_gradient.unchecked
    checks = {
        "dW": (differentiate(O, W, delta), filter_gradient.unchecked(I, delta, stride, padding, k)),
        "dI": (differentiate(O, I, delta), input_gradient.unchecked(W, delta, stride, padding, n)),
        "db": (differentiate(O, sp.Matrix([[b]]), delta), sp.Matrix([[bias_gradient(delta)]])),
    }
    result = {name: (sum(is_zero(d - f) for d, f in zip(direct, formula, strict=True)), len(formula))
              for name, (direct, formula) in checks.items()}
    result["proved"] = all(proved == total for proved, total in result.values())
    return result


def proof_table(cases):
    """prove_gradients for each (n, k, stride, padding) of cases, a non-empty list all checked before the first
    proof runs: a Markdown table, one row a case with the entries proved of ∂L/∂W, ∂L/∂I, ∂L/∂b and ✔ if all are."""
    if not isinstance(cases, (list, tuple)) or not cases:
        raise ValueError(f"cases must be a non-empty list of (n, k, stride, padding) tuples; got {cases!r:.80}")
    for case in cases:
        try:
            n, k, stride, padding = case
            m = output_size(n, k, stride, padding)
            _check_budget((n * n + k * k + 1) * m * m, f"n = {n}, k = {k}", "the proof's (n² + k² + 1)·m² derivatives")
        except (TypeError, ValueError) as error:   # not four values, or a bad one
            raise ValueError(f"cases: each case is (n, k, stride, padding); {case!r:.60}: {error}") from None
    rows = ["| image | filter | stride | padding | ∂L/∂W | ∂L/∂I | ∂L/∂b | all proved |",
            "|---|---|---|---|---|---|---|---|"]
    for n, k, stride, padding in cases:
        result = prove_gradients(n, k, stride, padding)
        counts = " | ".join(f"{result[key][0]} of {result[key][1]}" for key in ("dW", "dI", "db"))
        rows.append(f"| {n}×{n} | {k}×{k} | {stride} | {padding} | {counts} | {'✔' if result['proved'] else '✘'} |")
    return "\n".join(rows)


# ---------------------------------------------------------------- rendering
def latex_equations(lhs, rhs):
    """LaTeX for 'lhs_rc = rhs_rc' on one aligned line each; lhs, rhs: matrices of the same shape.
    E.g. ``Math(latex_equations(output_symbols(2), correlate(I, W)))`` (IPython.display.Math)."""
    if not isinstance(lhs, sp.MatrixBase) or not isinstance(rhs, sp.MatrixBase) or lhs.shape != rhs.shape:
        raise ValueError("lhs and rhs must be SymPy matrices of the same shape")
    lines = [f"{sp.latex(left)} &= {sp.latex(right)}" for left, right in zip(lhs, rhs, strict=True)]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def latex_row(named_values):
    """LaTeX for (LaTeX name, SymPy object or number) pairs side by side, e.g. [("O", O), (r"\\delta", delta)]."""
    if not isinstance(named_values, (list, tuple)) or not named_values or not all(
            isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str)
            and not isinstance(pair[1], str) for pair in named_values):
        raise ValueError(f"named_values must be a non-empty list of (LaTeX name, SymPy object or number) pairs; "
                         f"got {named_values!r:.80}")
    return r",\qquad ".join(f"{name} = {sp.latex(value)}" for name, value in named_values)


def latex_gradient(gradient, name):
    """LaTeX for '∂L/∂name_ij = entry' on one aligned line per entry (1-based) of gradient, an (h, w) SymPy Matrix
    such as ``filter_gradient(I, delta)``; name e.g. "W"."""
    if not isinstance(gradient, sp.MatrixBase) or not isinstance(name, str):
        raise ValueError(f"gradient must be a SymPy Matrix and name a string such as 'W'; "
                         f"got {type(gradient).__name__} and {type(name).__name__}")
    lines = [rf"\frac{{\partial L}}{{\partial {name}_{{{i + 1}{j + 1}}}}} &= {sp.latex(gradient[i, j])}"
             for i in range(gradient.shape[0]) for j in range(gradient.shape[1])]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def grids_figure(panels, title):
    """A row of small heat maps with every value written in its cell (signed: RdBu_r centred at 0).

    panels: list of (name, values, box) with values an (h, w) array-like of numbers (e.g. a Matrix of numbers)
            and box None or (row, col, size), 0-based, a square to outline (e.g. the window of o11)
    Rows and columns are labelled 1, 2, … as in the math. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if not isinstance(title, str):
        raise ValueError(f"title must be a string; got {type(title).__name__}")
    if not isinstance(panels, (list, tuple)) or not panels:
        raise ValueError("panels must be a list of at least one (name, values, box)")
    grids = []
    for panel in panels:
        if not (isinstance(panel, (list, tuple)) and len(panel) == 3):
            raise ValueError(f"panels must hold (name, values, box) triples; got {panel!r:.60}")
        name, values, box = panel
        try:
            grid = np.array(values.tolist() if isinstance(values, sp.MatrixBase) else values, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"panel {name!r}: values must be a 2-D grid of numbers") from None
        if grid.ndim != 2 or not grid.size or not np.isfinite(grid).all():
            raise ValueError(f"panel {name!r}: values must be 2-D, non-empty and finite; got shape {grid.shape}")
        if box is not None and not (isinstance(box, (list, tuple)) and len(box) == 3 and all(
                isinstance(v, Integral) and not isinstance(v, bool) for v in box) and 0 <= box[0] and 0 <= box[1]
                and 1 <= box[2] and box[0] + box[2] <= grid.shape[0] and box[1] + box[2] <= grid.shape[1]):
            raise ValueError(f"panel {name!r}: box must be None or (row, col, size) integers that fit in the "
                             f"{grid.shape[0]}×{grid.shape[1]} grid; got {box!r:.60}")
        grids.append(grid)
    _check_budget(sum(grid.size for grid in grids), "panels", "writing every value in its cell")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 3.0), squeeze=False)
    for ax, (name, _, box), grid in zip(axes[0], panels, grids, strict=True):
        limit = max(float(np.abs(grid).max()), 1e-12)
        image = ax.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (r, c), v in np.ndenumerate(grid):
            text = "0" if v == 0 else f"{'+' if v > 0 else '−'}{abs(v):.3g}"
            ax.text(c, r, text, ha="center", va="center", fontsize="large",
                    color="white" if abs(v) > 0.6 * limit else "black")
        if box is not None:
            row, col, size = box
            ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), size, size, fill=False, lw=3, ec="#222222"))
        rows, cols = grid.shape
        ax.set(xticks=range(cols), xticklabels=range(1, cols + 1), yticks=range(rows), yticklabels=range(1, rows + 1),
               xlabel="column", ylabel="row", title=name)
        fig.colorbar(image, ax=ax, shrink=0.8, label="value (− blue, + red)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
