"""SymPy derivations of a filter's output and gradient: every term written out, every formula proved.

Notation of the course: image I (n×n), filter W (k×k), bias b, output O (m×m) with entries o11…,
upstream gradient δ = ∂L/∂O (m×m), loss L, ⋆ cross-correlation. Indices start at 1 in the math
(the symbol I11 is the top-left pixel) and at 0 in code (that pixel is ``I[0, 0]``).

Everything here takes and returns SymPy matrices of one channel; ``correlate_channels`` sums over
channels. The NumPy version of the same maths lives in ``helpers.nn.conv``; this module sits below it.

Size guards: symbolic work grows fast, so every function refuses, with a message naming the argument,
grids over MAX_SIDE×MAX_SIDE (12×12: a padded image, a filter, δ, a figure's panel), more than
MAX_CHANNELS channels, and derivations beyond DIFF_BUDGET derivative terms (about 5 s): use
helpers.nn.conv (NumPy) for anything bigger. No function here parses text (``is_zero`` refuses strings).
"""
from numbers import Integral, Number

import sympy as sp

from helpers.door import check_stride_padding

MAX_SIDE = 12          # the largest grid of symbols (n, k, m, a padded image) this module builds or accepts
MAX_CHANNELS = 16      # input channels of correlate_channels
MAX_PANELS = 8         # panels of grids_figure
DIFF_BUDGET = 3000     # m² · (number of variables) derivative terms direct_gradient / prove_gradients may take

# ---------------------------------------------------------------- symbols


def _symbol_grid(rows, cols, name, channel=None):
    # I11 for small grids (SymPy typesets it as I_{11}); I1_10 style beyond 9 to stay unambiguous;
    # a channel c gives I_11^(c), typeset as I^{(c)}_{11}
    if channel is not None:
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}^({channel})"))
    if rows <= 9 and cols <= 9:
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i + 1}{j + 1}"))
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i + 1}_{j + 1}"))


def _check_size(value, name, limit=MAX_SIDE):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number ≥ 1; got {value!r}")
    if limit is not None and value > limit:
        raise ValueError(f"{name} = {value} is over the symbolic limit of {limit} (a {limit}×{limit} grid of symbols; "
                         f"bigger ones take SymPy minutes): use helpers.nn.conv for numbers of any size")
    return int(value)


def _check_side(size, name, what):
    """Refuse a grid this call would build beyond MAX_SIDE, naming the argument that made it big."""
    if size > MAX_SIDE:
        raise ValueError(f"{name}: {what} would be {size}×{size}, over the symbolic limit of "
                         f"{MAX_SIDE}×{MAX_SIDE}; use helpers.nn.conv for numbers of any size")


def image_symbols(n, name="I", channel=None):
    """The n×n image of symbols I11 … Inn (SymPy Matrix, shape (n, n)); ``I[0, 0]`` is I11.

    channel: optional channel number c, giving symbols I^(c)_11 … for a several-channel input.
    """
    _check_size(n, "n")
    return _symbol_grid(n, n, name, channel)


def filter_symbols(k, name="W", channel=None):
    """The k×k filter of symbols W11 … Wkk (SymPy Matrix, shape (k, k)); channel as in ``image_symbols``."""
    _check_size(k, "k")
    return _symbol_grid(k, k, name, channel)


def output_symbols(m, name="o"):
    """The m×m output of symbols o11 … omm, standing for the outputs when the loss is a function of them."""
    _check_size(m, "m")
    return _symbol_grid(m, m, name)


def delta_symbols(m, name="delta"):
    """The m×m upstream gradient δ11 … δmm, where δ_mn = ∂L/∂o_mn (typeset as \\delta_{mn})."""
    _check_size(m, "m")
    return _symbol_grid(m, m, name)


# ---------------------------------------------------------------- checks at the door


def _check_matrix(value, name):
    if not isinstance(value, sp.MatrixBase):
        raise ValueError(f"{name} must be a SymPy Matrix; got {type(value).__name__}")
    rows, cols = value.shape
    if rows != cols or rows == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {rows}×{cols}")
    if rows > MAX_SIDE:
        raise ValueError(f"{name} is {rows}×{rows}, over the symbolic limit of {MAX_SIDE}×{MAX_SIDE}; "
                         f"use helpers.nn.conv for numbers of any size")
    return rows



def output_size(n, k, stride=1, padding=0):
    """Side m of the output of a k×k filter on an n×n image: m = ⌊(n + 2·padding − k) / stride⌋ + 1.

    Plain arithmetic: any size (the other functions refuse grids over MAX_SIDE).
    """
    _check_size(n, "n", limit=None)
    _check_size(k, "k", limit=None)
    stride, padding = check_stride_padding(stride, padding)
    if k > n + 2 * padding:
        raise ValueError(f"k = {k}: the filter W is larger than the padded image: filter {k}×{k}, image {n}×{n} "
                         f"with padding {padding} is {n + 2 * padding}×{n + 2 * padding}")
    return (n + 2 * padding - k) // stride + 1


# ---------------------------------------------------------------- building blocks


def pad(I, padding):
    """I (n×n) surrounded by ``padding`` rows and columns of zeros: shape (n + 2p, n + 2p)."""
    n = _check_matrix(I, "I")
    _, padding = check_stride_padding(1, padding)
    size = n + 2 * padding
    _check_side(size, "padding", f"I ({n}×{n}) with padding {padding}")
    return _pad(I, padding)


def _pad(I, padding):
    n = I.shape[0]
    size = n + 2 * padding
    return sp.Matrix(size, size, lambda i, j: I[i - padding, j - padding]
                     if padding <= i < padding + n and padding <= j < padding + n else 0)


def rotate180(W):
    """W (k×k) turned by 180°: entry (i, j) becomes entry (k−1−i, k−1−j) (0-based)."""
    k = _check_matrix(W, "W")
    return sp.Matrix(k, k, lambda i, j: W[k - 1 - i, k - 1 - j])


def dilate(delta, stride):
    """δ (m×m) with stride − 1 zeros between neighbouring entries: shape ((m−1)·s + 1, (m−1)·s + 1)."""
    m = _check_matrix(delta, "delta")
    stride, _ = check_stride_padding(stride, 0)
    size = (m - 1) * stride + 1
    _check_side(size, "stride", f"δ ({m}×{m}) dilated by stride {stride}")
    return sp.Matrix(size, size, lambda i, j: delta[i // stride, j // stride]
                     if i % stride == 0 and j % stride == 0 else 0)


def _correlate_valid(P, W, stride, m):
    # o_(r+1)(c+1) = Σ_ij P[r·s + i, c·s + j] · W[i, j]   (0-based r, c, i, j)
    k = W.shape[0]
    return sp.Matrix(m, m, lambda r, c: sp.Add(*[P[r * stride + i, c * stride + j] * W[i, j]
                                                  for i in range(k) for j in range(k)]))


def correlate(I, W, stride=1, padding=0):
    """Cross-correlation O = I ⋆ W, what deep learning calls a convolution (no flip).

    I: (n, n) SymPy Matrix, the image
    W: (k, k) SymPy Matrix, the filter
    stride: step of the window (whole number ≥ 1); padding: zeros added on every side (≥ 0)
    Returns O: (m, m) SymPy Matrix with m = ⌊(n + 2·padding − k) / stride⌋ + 1 and, in 1-based math,
    o_rc = Σ_ij I_pad(s(r−1) + i, s(c−1) + j) · W_ij.
    """
    n = _check_matrix(I, "I")
    k = _check_matrix(W, "W")
    stride, padding = check_stride_padding(stride, padding)
    _check_side(n + 2 * padding, "padding", f"I ({n}×{n}) with padding {padding}")
    m = output_size(n, k, stride, padding)
    return _correlate_valid(_pad(I, padding) if padding else I, W, stride, m)


def convolve(I, W, stride=1, padding=0):
    """True (flipping) convolution I * W = I ⋆ rotate180(W); shapes as in ``correlate``."""
    _check_matrix(W, "W")
    return correlate(I, rotate180(W), stride, padding)


def correlate_channels(images, filters, stride=1, padding=0):
    """One output channel from C input channels: O = Σ_c I_c ⋆ W_c.

    images:  list of C SymPy matrices (n, n), one per input channel
    filters: list of C SymPy matrices (k, k), the filter's slice for each channel
    Returns O: (m, m) SymPy Matrix.
    """
    if not isinstance(images, (list, tuple)) or not isinstance(filters, (list, tuple)):
        raise ValueError("images and filters must be lists of SymPy matrices, one per channel")
    if len(images) > MAX_CHANNELS:
        raise ValueError(f"images: {len(images)} channels, over the symbolic limit of {MAX_CHANNELS}")
    if len(images) != len(filters) or not images:
        raise ValueError(f"images and filters need the same number (≥ 1) of channels; "
                         f"got {len(images)} images and {len(filters)} filters")
    for c, (I, W) in enumerate(zip(images, filters, strict=True)):
        _check_matrix(I, f"images[{c}]")
        _check_matrix(W, f"filters[{c}]")
    outputs = [correlate(I, W, stride, padding) for I, W in zip(images, filters, strict=True)]
    if len({O.shape for O in outputs}) != 1:
        raise ValueError(f"every channel must give the same output size; got {[O.shape for O in outputs]}")
    total = outputs[0]
    for O in outputs[1:]:
        total = total + O
    return total


# ---------------------------------------------------------------- the general gradient formulas


def _check_delta(delta, n, k, stride, padding):
    m = _check_matrix(delta, "delta")
    expected = output_size(n, k, stride, padding)
    if m != expected:
        raise ValueError(f"delta must have the output's shape {expected}×{expected} for a {k}×{k} filter on a "
                         f"{n}×{n} image (stride {stride}, padding {padding}); got {m}×{m}")
    return m


def filter_gradient(I, delta, stride=1, padding=0, filter_size=None):
    """∂L/∂W = I ⋆ δ: a valid cross-correlation of the (padded) input with the upstream gradient, no flip.

    I:     (n, n) image of the forward pass
    delta: (m, m) upstream gradient δ = ∂L/∂O
    With stride s, δ is first dilated by s (s − 1 zeros between entries).
    filter_size: k; needed only when stride > 1 leaves it ambiguous (default: n + 2p − (m−1)s).
    Returns ∂L/∂W: (k, k) SymPy Matrix, ∂L/∂W_ij = Σ_rc I_pad(s(r−1) + i, s(c−1) + j) · δ_rc.
    """
    n = _check_matrix(I, "I")
    m = _check_matrix(delta, "delta")
    stride, padding = check_stride_padding(stride, padding)
    k = n + 2 * padding - (m - 1) * stride if filter_size is None else filter_size
    _check_size(k, "filter_size")
    _check_side(n + 2 * padding, "padding", f"I ({n}×{n}) with padding {padding}")
    _check_delta(delta, n, k, stride, padding)
    spread = dilate(delta, stride)
    # the valid correlation may be larger than k×k when the last window stops short; only k×k weights exist
    return _correlate_valid(_pad(I, padding), spread, 1, k)


def bias_gradient(delta):
    """∂L/∂b = Σ_rc δ_rc, for delta (m, m); returns a SymPy expression."""
    _check_matrix(delta, "delta")
    return sp.Add(*delta)


def input_gradient(W, delta, stride=1, padding=0, image_size=None):
    """∂L/∂I = the full cross-correlation of δ with the 180°-rotated W (= a true full convolution δ * W).

    W:     (k, k) filter of the forward pass
    delta: (m, m) upstream gradient δ = ∂L/∂O
    With stride s, δ is first dilated by s. Pixels that padding hid, or that no window reached, are dropped
    or get 0. image_size: n; needed only when stride > 1 leaves it ambiguous (default: (m−1)s + k − 2p).
    Returns ∂L/∂I: (n, n) SymPy Matrix.
    """
    k = _check_matrix(W, "W")
    m = _check_matrix(delta, "delta")
    stride, padding = check_stride_padding(stride, padding)
    n = (m - 1) * stride + k - 2 * padding if image_size is None else image_size
    _check_size(n, "image_size")
    _check_side(n + 2 * padding, "padding", f"the image ({n}×{n}) with padding {padding}")
    _check_delta(delta, n, k, stride, padding)
    spread = dilate(delta, stride)
    size = spread.shape[0]                                       # full correlation: pad by k − 1 (internal)
    full = _correlate_valid(_pad(spread, k - 1), rotate180(W), 1, size + k - 1)   # shape (m−1)s + k
    reached = full.shape[0]
    padded = sp.Matrix(n + 2 * padding, n + 2 * padding,
                       lambda i, j: full[i, j] if i < reached and j < reached else 0)
    return padded[padding:padding + n, padding:padding + n]


# ---------------------------------------------------------------- direct differentiation and proof


def _chain_factor_to_delta(expr, loss_function, delta):
    """Replace each ∂L/∂(argument number q) that SymPy writes as Subs(Derivative(L(…), ξ), ξ, o) by δ_q."""
    flat_delta = list(delta)

    def delta_for(derivative):
        (variable, order), = derivative.variable_count
        if order != 1 or derivative.expr.func != loss_function:
            raise ValueError(f"expected a first derivative of the loss; got {derivative}")
        return flat_delta[derivative.expr.args.index(variable)]

    # Subs first (they hold a Derivative inside), then any bare Derivative(L(…), o) left over
    expr = expr.xreplace({s: delta_for(s.expr) for s in expr.atoms(sp.Subs)})
    return expr.xreplace({d: delta_for(d) for d in expr.atoms(sp.Derivative)})


def direct_gradient(O, variables, delta=None):
    """Differentiate L(o11, …, omm) with L an unknown function, straight from the outputs' expressions.

    O:         (m, m) outputs as expressions of the variables (e.g. ``correlate(I, W)``)
    variables: a SymPy Matrix of symbols (W, I or b as a 1×1 Matrix) to differentiate with respect to
    delta:     (m, m) symbols standing for ∂L/∂o_rc (default ``delta_symbols(m)``)
    Returns a Matrix shaped like ``variables`` of ∂L/∂variable, written with the δ symbols.
    No formula from this module is used: SymPy applies its own chain rule to L(O(variables)).
    """
    m = _check_matrix(O, "O")
    if not isinstance(variables, sp.MatrixBase):
        raise ValueError(f"variables must be a SymPy Matrix of symbols; got {type(variables).__name__}")
    if m * m * len(variables) > DIFF_BUDGET:
        raise ValueError(f"variables: {len(variables)} variables times {m * m} outputs is {m * m * len(variables)} "
                         f"derivative terms, over DIFF_BUDGET = {DIFF_BUDGET} (about 5 s); use smaller matrices")
    delta = delta_symbols(m) if delta is None else delta
    if _check_matrix(delta, "delta") != m:
        raise ValueError(f"delta must have O's shape {m}×{m}; got {delta.shape[0]}×{delta.shape[1]}")
    loss_function = sp.Function("L")
    loss = loss_function(*O)
    return variables.applyfunc(lambda v: _chain_factor_to_delta(sp.diff(loss, v), loss_function, delta))


def is_zero(expr):
    """True when expr simplifies to 0 (expand first, which settles polynomials; simplify otherwise).

    expr: a SymPy expression or a number. Text is refused, never parsed: SymPy would run a string as code.
    """
    if isinstance(expr, bool) or not isinstance(expr, (sp.Basic, Number)) or isinstance(expr, sp.MatrixBase):
        raise ValueError(f"expr must be a SymPy expression or a number (text is never parsed); "
                         f"got {type(expr).__name__}")
    return sp.expand(expr) == 0 or sp.simplify(expr) == 0


def _check_proof(n, k, stride, padding):
    """The output side m of a proof of prove_gradients' geometry, if its size is within DIFF_BUDGET."""
    _check_size(n, "n")
    _check_size(k, "k")
    m = output_size(n, k, stride, padding)
    _check_side(n + 2 * padding, "padding", f"I ({n}×{n}) with padding {padding}")
    terms = (n * n + k * k + 1) * m * m
    if terms > DIFF_BUDGET:
        raise ValueError(f"n = {n}, k = {k} (stride {stride}, padding {padding}): the proof differentiates "
                         f"(n² + k² + 1)·m² = {terms} terms, over DIFF_BUDGET = {DIFF_BUDGET} (about 5 s); "
                         f"try n ≤ 8")
    return m


def prove_gradients(n, k, stride=1, padding=0):
    """Prove, entry by entry, that the general formulas equal direct differentiation of L(o11, …).

    Builds I (n×n), W (k×k), b and O = I ⋆ W + b; differentiates an unknown loss L(O) with SymPy and
    checks that the difference to ``filter_gradient``, ``input_gradient`` and ``bias_gradient``
    simplifies to 0 for every entry.
    Returns a dict: {"dW": (entries proved, entries), "dI": (…, …), "db": (…, …), "proved": bool}.
    """
    m = _check_proof(n, k, stride, padding)
    I, W, b, delta = image_symbols(n), filter_symbols(k), sp.Symbol("b"), delta_symbols(m)
    O = correlate(I, W, stride, padding) + b * sp.ones(m, m)
    checks = {
        "dW": (direct_gradient(O, W, delta), filter_gradient(I, delta, stride, padding, filter_size=k)),
        "dI": (direct_gradient(O, I, delta), input_gradient(W, delta, stride, padding, image_size=n)),
        "db": (direct_gradient(O, sp.Matrix([[b]]), delta), sp.Matrix([[bias_gradient(delta)]])),
    }
    result = {}
    for name, (direct, formula) in checks.items():
        proved = sum(is_zero(d - f) for d, f in zip(direct, formula, strict=True))
        result[name] = (proved, len(formula))
    result["proved"] = all(p == total for p, total in (result[key] for key in ("dW", "dI", "db")))
    return result


def proof_table(cases):
    """prove_gradients for each (n, k, stride, padding) of cases, as a Markdown table (one row a case).

    cases: a list of 1 to MAX_PANELS · 2 tuples (n, k, stride, padding), each as prove_gradients takes them
    (every case is checked before the first proof runs). Columns: image, filter, stride, padding, the entries
    proved of ∂L/∂W, ∂L/∂I and ∂L/∂b, and ✔ when all are.
    """
    if not isinstance(cases, (list, tuple)) or not 1 <= len(cases) <= 2 * MAX_PANELS:
        raise ValueError(f"cases must be a list of 1 to {2 * MAX_PANELS} (n, k, stride, padding) tuples; got "
                         f"{cases!r:.80}")
    for case in cases:
        if not (isinstance(case, tuple) and len(case) == 4):
            raise ValueError(f"cases: each case must be a tuple (n, k, stride, padding); got {case!r:.60}")
        try:
            _check_proof(*case)
        except ValueError as error:
            raise ValueError(f"cases: {case}: {error}") from None
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

    Use with IPython.display.Math: ``Math(latex_equations(output_symbols(2), correlate(I, W)))``.
    """
    if not isinstance(lhs, sp.MatrixBase) or not isinstance(rhs, sp.MatrixBase) or lhs.shape != rhs.shape:
        raise ValueError("lhs and rhs must be SymPy matrices of the same shape")
    if max(lhs.shape) > MAX_SIDE:
        raise ValueError(f"lhs is {lhs.shape[0]}×{lhs.shape[1]}, over the symbolic limit of {MAX_SIDE}×{MAX_SIDE}")
    lines = [f"{sp.latex(left)} &= {sp.latex(right)}" for left, right in zip(lhs, rhs, strict=True)]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def latex_row(named_values):
    """LaTeX for 'name = value' pairs side by side, e.g. [("O", O), (r"\\delta", delta)].

    named_values: list of (LaTeX name, SymPy object or number); values are typeset with sympy.latex.
    """
    if not isinstance(named_values, (list, tuple)) or not named_values:
        raise ValueError("named_values must be a list of at least one (name, value) pair")
    for pair in named_values:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError(f"named_values must hold (LaTeX name, value) pairs; got {pair!r:.60}")
        if isinstance(pair[1], sp.MatrixBase) and max(pair[1].shape) > MAX_SIDE:
            raise ValueError(f"named_values: {pair[0]} is {pair[1].shape[0]}×{pair[1].shape[1]}, over the "
                             f"symbolic limit of {MAX_SIDE}×{MAX_SIDE}")
        if isinstance(pair[1], str):
            raise ValueError(f"named_values: the value of {pair[0]} is text; pass a SymPy object or a number")
    return r",\qquad ".join(f"{name} = {sp.latex(value)}" for name, value in named_values)


def latex_gradient(gradient, name):
    """LaTeX for '∂L/∂name_ij = entry' on one aligned line per entry (i, j 1-based), e.g. name "W".

    gradient: (h, w) SymPy Matrix, such as ``filter_gradient(I, delta)``
    """
    if not isinstance(gradient, sp.MatrixBase):
        raise ValueError(f"gradient must be a SymPy Matrix; got {type(gradient).__name__}")
    if max(gradient.shape) > MAX_SIDE:
        raise ValueError(f"gradient is {gradient.shape[0]}×{gradient.shape[1]}, over the symbolic limit of "
                         f"{MAX_SIDE}×{MAX_SIDE}")
    if not isinstance(name, str):
        raise ValueError(f"name must be a string such as 'W'; got {type(name).__name__}")
    lines = [rf"\frac{{\partial L}}{{\partial {name}_{{{i + 1}{j + 1}}}}} &= {sp.latex(gradient[i, j])}"
             for i in range(gradient.shape[0]) for j in range(gradient.shape[1])]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def grids_figure(panels, title):
    """A row of small heat maps with every value written in its cell (signed: RdBu_r centred at 0).

    panels: list of (name, values, box) with values an (h, w) array-like of numbers (e.g. a Matrix of numbers)
            and box None or (row, col, size), 0-based, a square to outline (e.g. the window of o11)
    title:  the figure's title
    Rows and columns are labelled 1, 2, … as in the math. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    grids = _check_panels(panels, title, np)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 3.0), squeeze=False)
    for ax, (name, _, box), grid in zip(axes[0], panels, grids, strict=True):
        limit = max(float(np.abs(grid).max()), 1e-12)
        image = ax.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (r, c), v in np.ndenumerate(grid):
            text = "0" if v == 0 else f"{'+' if v > 0 else '−'}{abs(v):.3g}"
            ax.text(c, r, text, ha="center", va="center", fontsize=11,
                    color="white" if abs(v) > 0.6 * limit else "black")
        if box is not None:
            row, col, size = box
            ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), size, size, fill=False, lw=3, ec="#222222"))
        ax.set_xticks(range(grid.shape[1]), [str(j + 1) for j in range(grid.shape[1])])
        ax.set_yticks(range(grid.shape[0]), [str(i + 1) for i in range(grid.shape[0])])
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        ax.set_title(name)
        fig.colorbar(image, ax=ax, shrink=0.8, label="value (− blue, + red)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_panels(panels, title, np):
    """Every panel checked before a figure exists: returns the value grids as float arrays."""
    if not isinstance(title, str):
        raise ValueError(f"title must be a string; got {type(title).__name__}")
    if not isinstance(panels, (list, tuple)) or not panels:
        raise ValueError("panels must be a list of at least one (name, values, box)")
    if len(panels) > MAX_PANELS:
        raise ValueError(f"panels: {len(panels)} panels, over the limit of {MAX_PANELS} in one row")
    grids = []
    for panel in panels:
        if not (isinstance(panel, (list, tuple)) and len(panel) == 3):
            raise ValueError(f"panels must hold (name, values, box) triples; got {panel!r:.60}")
        name, values, box = panel
        try:
            grid = np.array(values.tolist() if isinstance(values, sp.MatrixBase) else values, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"panel {name!r}: values must be a 2-D grid of numbers") from None
        if grid.ndim != 2 or min(grid.shape) < 1:
            raise ValueError(f"panel {name!r}: values must be 2-D and non-empty; got shape {grid.shape}")
        if max(grid.shape) > MAX_SIDE:
            raise ValueError(f"panel {name!r}: values are {grid.shape[0]}×{grid.shape[1]}, over the limit of "
                             f"{MAX_SIDE}×{MAX_SIDE} (every value is written in its cell)")
        if not np.isfinite(grid).all():
            raise ValueError(f"panel {name!r}: values must be finite; got NaN or inf")
        if box is not None:
            if not (isinstance(box, (list, tuple)) and len(box) == 3
                    and all(isinstance(v, Integral) and not isinstance(v, bool) for v in box)):
                raise ValueError(f"panel {name!r}: box must be None or (row, col, size) integers; got {box!r:.60}")
            row, col, size = box
            if not (0 <= row and 0 <= col and 1 <= size and row + size <= grid.shape[0]
                    and col + size <= grid.shape[1]):
                raise ValueError(f"panel {name!r}: box {tuple(box)} does not fit in the {grid.shape[0]}×"
                                 f"{grid.shape[1]} grid")
        grids.append(grid)
    return grids
