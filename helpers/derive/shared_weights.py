"""A convolution as a matrix product, both ways round: O = M(W)·vec(I) (``conv_matrix``, a dense layer whose
weights are copies of W's k² entries) and O = cols(I)·vec(W) (``window_matrix``, im2col in notebook 03's first
layout, one row per window, and ``col2im`` back: the engine's two, on one image).

Indices: the math names entries from 1 (I11, W11, o11); arrays are 0-based.
"""
import numpy as np
import sympy as sp

from helpers.derive import symbolic
from helpers.door import finite_array, mapping, number, real_array
from helpers.nn.conv import col2im as engine_col2im
from helpers.nn.conv import im2col

# Okabe–Ito: distinguishable with every common colour-vision deficiency; one colour per filter weight
WEIGHT_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                  "#999999", "#882255")


# ---------------------------------------------------------------- O = M(W) · vec(I)

def conv_matrix(W, n, stride=1, padding=0):
    """M(W), the matrix of the convolution: vec(I ⋆ W) = M(W) · vec(I).

    W: (k, k) SymPy Matrix (symbols or numbers); n: the image side; stride, padding as in symbolic.correlate.
    Returns M: (m², n²) SymPy Matrix, m = ⌊(n + 2p − k)/s⌋ + 1; row r·m + c is output o_(r+1)(c+1), column
    p·n + q is pixel I_(p+1)(q+1): M = ∂O/∂I, read off the outputs notebook 01 wrote out.
    """
    I = symbolic.image_symbols(n)
    O = symbolic.correlate(I, W, stride, padding)
    return sp.Matrix(list(O)).jacobian(sp.Matrix(list(I)))


def weight_copies(M, W):
    """Where each filter weight sits in M(W): {(i, j) 0-based: [(row, column) of M, …]}.

    M: (m², n²) from ``conv_matrix`` with a W of distinct symbols; W: (k, k) those symbols.
    """
    k = symbolic._matrix(W, "W")
    if not isinstance(M, sp.MatrixBase):
        raise ValueError(f"M must be a SymPy Matrix from conv_matrix; got {type(M).__name__}")
    symbols = list(W)
    if len(set(symbols)) != len(symbols) or not all(isinstance(s, sp.Symbol) for s in symbols):
        raise ValueError("W must hold k² distinct symbols (e.g. symbolic.filter_symbols(k)) to find its copies")
    copies = {(i, j): [] for i in range(k) for j in range(k)}
    for (row, column), entry in np.ndenumerate(np.array(M.tolist(), dtype=object)):
        if entry != 0:
            copies[divmod(symbols.index(entry), k)].append((row, column))
    return copies


def conv_matrix_figure(W, n):
    """Figure of M(W) with each weight's copies in one colour and named in every cell (stride 1, no padding).

    W: (k, k) SymPy Matrix of distinct symbols (k ≤ 3, one colour each); n: the image side.
    Returns (figure, M).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    k = symbolic._matrix(W, "W")
    if k * k > len(WEIGHT_COLOURS):
        raise ValueError(f"W: at most {len(WEIGHT_COLOURS)} weights get their own colour; got {k}×{k}")
    m = symbolic.output_size(n, k)
    if (m * n) ** 2 > symbolic.TERM_BUDGET:
        raise ValueError(f"n: M(W) would be {m * m}×{n * n}, too many cells to label; use a smaller n")
    M = conv_matrix(W, n)
    copies = weight_copies(M, W)
    rows, columns = M.shape
    which = np.zeros((rows, columns), dtype=int)  # 0 = structural zero, 1 + index of the weight otherwise
    for index, places in enumerate(copies.values()):
        for row, column in places:
            which[row, column] = 1 + index
    fig, ax = plt.subplots(figsize=(0.62 * columns + 2.8, 0.55 * rows + 1.6))
    ax.imshow(which, cmap=ListedColormap(["#ffffff", *WEIGHT_COLOURS[:k * k]]), vmin=0, vmax=k * k,
              aspect="auto")
    for (row, column), index in np.ndenumerate(which):
        label = "0" if index == 0 else f"W{(index - 1) // k + 1}{(index - 1) % k + 1}"
        ax.text(column, row, label, ha="center", va="center", fontsize="medium",
                color="#aaaaaa" if index == 0 else "#000000", fontweight="normal" if index == 0 else "bold")
    ax.set_xticks(range(columns), [f"I{p + 1}{q + 1}" for p in range(n) for q in range(n)], fontsize="small")
    ax.set_yticks(range(rows), [f"o{r + 1}{c + 1}" for r in range(m) for c in range(m)])
    ax.set_xticks(np.arange(-0.5, columns), minor=True)
    ax.set_yticks(np.arange(-0.5, rows), minor=True)
    ax.grid(which="minor", color="#cccccc", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.set(xlabel="column: the pixel of vec(I) it multiplies", ylabel="row: the output it makes")
    legend = [Patch(facecolor=WEIGHT_COLOURS[index], edgecolor="#444444",
                    label=f"W{i + 1}{j + 1}: {len(places)} copies")
              for index, ((i, j), places) in enumerate(copies.items())]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"M(W), {rows}×{columns}: vec(O) = M(W)·vec(I) for a {k}×{k} filter on a {n}×{n} image",
                 fontsize="large")
    fig.tight_layout()
    return fig, M


# ---------------------------------------------------------------- O = cols(I) · vec(W)

def window_count(n, k, stride=1):
    """Side m of the grid of windows of a k×k filter on an n×n image (no padding): ⌊(n − k)/s⌋ + 1."""
    return symbolic.output_size(n, k, stride)


def window_matrix(image, k, stride=1):
    """im2col, one row per window: cols[r·m + c, i·k + j] = image[r·s + i, c·s + j].

    image: (n, n); k: the filter side; stride: the window's step. Returns cols: (m², k²), a copy in the
    image's dtype (each pixel appears once per window that reads it). Then vec(O) = cols @ vec(W).
    """
    return im2col(image[None, None], k, k, stride).T.astype(image.dtype)


def col2im(dcols, n, k, stride=1):
    """The way back: add row r·m + c of dcols (m², k²) onto the k×k window it came from; returns (n, n).

    ``+=``, not ``=``: a pixel read by several windows receives a share from each of them; assigning
    would keep only the last window's share. Pixels no window reads stay 0.
    """
    m = window_count(n, k, stride)
    dcols = real_array(dcols, "dcols")
    if dcols.shape != (m * m, k * k):
        raise ValueError(f"dcols must have shape (m², k²) = {(m * m, k * k)} for n={n}, k={k}, stride={stride}; "
                         f"got {dcols.shape}")
    return engine_col2im(dcols.T.astype(float), (1, 1, n, n), k, k, stride)[0, 0]


def im2col_figure(n=4, k=2):
    """The image with pixels numbered 1 … n² and its im2col matrix at stride 1, each entry coloured by copies.

    Returns (figure, image (n, n) of ints, cols (m², k²), copies (n, n): how many windows read each pixel).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    m = window_count(n, k)
    if n > 8:
        raise ValueError(f"n: the picture numbers every pixel, so n ≤ 8 keeps it readable; got n={n}")
    image = np.arange(1, n * n + 1).reshape(n, n)
    cols = window_matrix(image, k)
    copies = col2im(np.ones((m * m, k * k)), n, k).astype(int)
    copies_of_entry = copies.ravel()[cols - 1]
    top = max(int(copies.max()), 1)
    # light colours only (black numbers stay readable): white = read by no window, darker = more copies
    cmap = ListedColormap(["#ffffff", *plt.get_cmap("YlGnBu")(np.linspace(0.08, 0.55, top))])
    fig, (ax_image, ax_cols) = plt.subplots(1, 2, figsize=(4.2 + 0.6 * k * k + 0.5 * n, 0.36 * m * m + 1.6),
                                            gridspec_kw={"width_ratios": [n, k * k]}, layout="constrained")
    for ax, grid, values in ((ax_image, copies, image), (ax_cols, copies_of_entry, cols)):
        shown = ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=top + 0.5)
        for (r, c), value in np.ndenumerate(values):
            ax.text(c, r, str(value), ha="center", va="center", fontsize="medium")
    ax_image.set_xticks(range(n), [str(q + 1) for q in range(n)])
    ax_image.set_yticks(range(n), [str(p + 1) for p in range(n)])
    ax_image.set(xlabel="column", ylabel="row", title=f"image I ({n}×{n}): pixel numbers")
    ax_cols.set_xticks(range(k * k), [f"W{i + 1}{j + 1}" for i in range(k) for j in range(k)])
    ax_cols.set_yticks(range(m * m), [f"o{r + 1}{c + 1}" for r in range(m) for c in range(m)])
    ax_cols.set(xlabel="column: the weight it meets", ylabel="row: one window",
                title=f"cols ({m * m}×{k * k}): {cols.size} entries for {image.size} pixels")
    fig.colorbar(shown, ax=[ax_image, ax_cols], ticks=range(top + 1), shrink=0.6,
                 label="copies of the pixel in cols")
    fig.suptitle(f"im2col: a {k}×{k} filter, stride 1: {m * m} windows", fontsize="large")
    return fig, image, cols, copies


def batch_timing_figure(batch_sizes, timings, loops_one):
    """Notebook 03, section 8: time of forward + backward against batch size, in total and per image.

    batch_sizes: (B,) positive numbers; timings: {name: (B,) seconds, one per batch size}; loops_one: seconds
    the loops took for ONE image (drawn as N times that). Returns the figure.
    """
    import matplotlib.pyplot as plt

    sizes = finite_array(batch_sizes, "batch_sizes", ndims=(1,))
    mapping(timings, "timings", "a dict {name: seconds per batch size}")
    seconds = {str(name): finite_array(values, f"timings[{name!r}]", ndims=(1,)) for name, values in timings.items()}
    if any(values.shape != sizes.shape for values in seconds.values()):
        raise ValueError(f"timings must hold one time per batch size ({sizes.size} each)")
    if (sizes <= 0).any() or any((values <= 0).any() for values in seconds.values()):
        raise ValueError("batch_sizes and timings must be positive (both axes are logarithmic)")
    loops_one = number(loops_one, "loops_one", 0.0, strict=True)
    fig, (ax_total, ax_each) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    ax_total.plot(sizes, loops_one * sizes * 1e3, "k--", label="loops (1 image measured, × N)")
    for (name, values), marker in zip(seconds.items(), "osd^v" * len(seconds), strict=False):
        ax_total.plot(sizes, values * 1e3, marker=marker, label=name)
        ax_each.plot(sizes, values / sizes * 1e6, marker=marker, label=name)
    ax_total.set(ylabel="time per forward + backward (ms)", title="Conv 1→6, 28×28, 3×3: total time", yscale="log")
    ax_total.yaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:g}"))
    ax_each.set(ylabel="time per image (µs)", title="The same, per image", ylim=(0, None))
    for ax in (ax_total, ax_each):
        ax.set(xscale="log", xlabel="batch size N (images)")
        ax.set_xticks(sizes, [f"{v:g}" for v in sizes])
        ax.grid(True, alpha=0.3)
        ax.legend()
    return fig
