"""Exercise checkers for notebook 03 (vectorize in NumPy); their texts are in conv.md.

The implement-it exercises (2, 4 and 5) run the course's own tests on the learner's function, against the
engine's conv2d, conv2d_backward, im2col and col2im.
"""
import numpy as np

from helpers.exercises.feedback import (
    OnRequest,
    Slip,
    Wrong,
    call_learner,
    check_numbers,
    checker,
    close,
    corr2d,
    read_exercises,
    read_numbers,
    same,
)
from helpers.nn.conv import col2im, conv2d, conv2d_backward, im2col
from helpers.nn.gradcheck import numerical_gradient_of_output, relative_error

#: exercise 1: the shapes of im2col (section 4's layout) for this layer; 14 − 3 = 11 leaves a remainder at stride 2
SHAPES_CASE = {"x": (32, 6, 14, 14), "w": (10, 6, 3, 3), "stride": 2}   # no padding

#: exercise 2: the learner vectorizes ∂L/∂W = corr(I, δ) for one image and one channel; checked on these
#: (image side n, filter side k) pairs with random numbers
FILTER_GRADIENT_CASES = ((3, 2), (5, 3), (6, 2), (4, 4))

#: exercise 3: how many windows read each pixel? (6×6 image, 3×3 filter, stride 2: the last row is never read)
COVERAGE_CASE = {"n": 6, "k": 3, "stride": 2}

#: exercise 4: col2im checked on these (x shape, k, stride, padding): overlapping windows, padding, a remainder
COL2IM_CASES = (((2, 3, 5, 5), 3, 1, 0), ((1, 2, 7, 7), 3, 2, 1), ((2, 1, 8, 8), 3, 2, 0), ((1, 1, 4, 4), 2, 2, 0))

#: exercise 5: conv2d_backward checked by central differences on (x shape, w shape, stride, padding);
#: 8 − 3 = 5 is odd, so at stride 2 the last row and column are never read
BACKWARD_CASES = (((2, 2, 8, 8), (3, 2, 3, 3), 2, 0), ((1, 2, 8, 8), (2, 2, 3, 3), 2, 1))

EXERCISES = read_exercises(__file__)   # their titles, hints and solutions: conv.md
SHAPES, FILTER_GRADIENT, COVERAGE, COL2IM, BACKWARD = EXERCISES.values()


# ---------------------------------------------------------------- reference code: the engine's
def reference_im2col(x, k, stride, padding):
    """Section 4's im2col (the engine's): x (N, C, H, W) → cols (C·k·k, N·H'·W'), rows (c, i, j), columns (n, r, s)."""
    return im2col(np.asarray(x, dtype=float), k, k, stride, padding)


def reference_col2im(dcols, x_shape, k, stride, padding):
    """The engine's col2im, the adjoint of im2col: dcols (C·k·k, N·H'·W') → dx (N, C, H, W), windows added."""
    return col2im(np.asarray(dcols, dtype=float), tuple(x_shape), k, k, stride, padding)


def _coverage(shape, window, stride, padding=0):
    """How many windows of the shape ``window`` read each pixel of a 2-D image of ``shape``: col2im of ones."""
    ones = np.ones_like(im2col(np.zeros((1, 1, *shape)), *window, stride, padding))
    return col2im(ones, (1, 1, *shape), *window, stride, padding)[0, 0].astype(int)


# ---------------------------------------------------------------- 1: shapes
@checker(SHAPES)
def check_shapes(cols_shape, y_shape):
    """Exercise 1: cols_shape = (rows, columns) of the im2col matrix; y_shape = (N, F, H', W')."""
    cols = read_numbers(cols_shape, (2,), integer=True, what="cols_shape")
    y = read_numbers(y_shape, (4,), integer=True, what="y_shape")
    (n, c, h, _), (f, _, k, _), stride = SHAPES_CASE["x"], SHAPES_CASE["w"], SHAPES_CASE["stride"]
    x, w = np.zeros(SHAPES_CASE["x"]), np.zeros(SHAPES_CASE["w"])   # the engine's shapes are the right ones
    right = im2col(x, k, k, stride).shape + conv2d.unchecked(x, w, np.zeros(f), stride).shape
    side, no_stride, rounded_up = right[-1], h - k + 1, -(-(h - k) // stride) + 1
    slips = [
        Slip((c * k * k, n * no_stride ** 2, n, f, no_stride, no_stride), "you ignored the stride: with stride 2 "
             "the windows start two pixels apart (H' = (H − KH) // stride + 1)"),
        Slip((c * k * k, n * rounded_up ** 2, n, f, rounded_up, rounded_up), "you rounded (H − KH)/stride up; a "
             "window that does not fit is not used, so round down"),
        Slip((n * side * side, c * k * k) + right[2:], "that cols is section 3's layout (one row per window); "
             "section 4's cols has one row per weight and one column per output position"),
        Slip((f * k * k,) + right[1:], "cols has one row per weight of ONE filter: C·KH·KW uses the input channels "
             "C, not the number of filters F"),
        Slip(right[:2] + (f, n, side, side), "y is (N, F, H', W'): the product w @ cols is (F, N·H'·W'), and the "
             "notebook transposes it back to batch first"),
        Slip((c * k * k, side * side) + right[2:], "cols has one column per output position of the whole batch: "
             "N·H'·W'"),
    ]
    names = ["cols rows (C·KH·KW)", "cols columns (N·H'·W')", "y: N", "y: F", "y: H'", "y: W'"]
    return check_numbers(SHAPES, np.concatenate([cols, y]), right, names=names, slips=slips,
                         integer=True, why="one row per weight of a filter, one column per output position; "
                                           "H' rounds down where the stride leaves a remainder.")


# ---------------------------------------------------------------- 2: ∂L/∂W vectorized
@checker(FILTER_GRADIENT)
def check_filter_gradient_function(function):
    """Exercise 2: function(I, delta) -> ∂L/∂W for I (n, n) and delta (m, m), compared on FILTER_GRADIENT_CASES."""
    rng = np.random.default_rng(3)
    for n, k in FILTER_GRADIENT_CASES:
        image = rng.integers(-3, 4, size=(n, n)).astype(float)
        delta = rng.integers(-2, 3, size=(n - k + 1, n - k + 1)).astype(float)
        where = f"on a {n}×{n} image with a {k}×{k} filter (δ {n - k + 1}×{n - k + 1})"
        result = call_learner(function, image, delta, where=where)
        got = read_numbers(result, (k, k), what=f"your ∂L/∂W {where}")
        want = corr2d(image, delta)
        if same(got, want):
            continue
        slips = [Slip(corr2d(image, delta[::-1, ::-1]), "you flipped δ — ∂L/∂W = corr(I, δ) has no flip "
                      "(section 6 measured it: a flipped δ gives a relative error near 1)")]
        verdict = check_numbers(FILTER_GRADIENT, got, want, names="∂L/∂W", slips=slips)
        verdict.problems[0] = f"{where}: {verdict.problems[0]}"
        return verdict
    return FILTER_GRADIENT.right(f"right on all {len(FILTER_GRADIENT_CASES)} sizes: δ slides over I like a filter.")


# ---------------------------------------------------------------- 3: coverage
@checker(COVERAGE)
def check_coverage(answer):
    """Exercise 3: answer (n, n) whole numbers, the number of windows that read each pixel."""
    n, k, stride = COVERAGE_CASE["n"], COVERAGE_CASE["k"], COVERAGE_CASE["stride"]
    per_axis = _coverage((1, n), (1, k), stride)[0]
    slips = [
        Slip(_coverage((n, n), (k, k), 1), "those are the counts for stride 1; with stride 2 the windows start two "
                                           "pixels apart and fewer of them overlap"),
        Slip(np.add.outer(per_axis, per_axis), "you added the row count and the column count; a window covers "
                                               "pixel (r, c) when it covers row r AND column c: multiply"),
        Slip(np.ones((n, n)), "not every pixel is read once: windows overlap where the stride is smaller than the "
                              "filter, and some pixels are never read"),
    ]
    return check_numbers(COVERAGE, answer, _coverage((n, n), (k, k), stride), names="pixel I",
                         slips=slips, integer=True, why="(windows covering the row) × (windows covering the "
                                                        "column); the last row and column are never read.")


# ---------------------------------------------------------------- 4: col2im (implement it)
@checker(COL2IM)
def check_col2im(function):
    """Exercise 4: function(dcols, x_shape, k, stride, padding) -> dx (N, C, H, W), checked on COL2IM_CASES.

    dx must equal the engine's col2im, the adjoint of im2col; "=" for "+=" (overlaps overwritten) is named.
    """
    rng = np.random.default_rng(13)
    for x_shape, k, stride, padding in COL2IM_CASES:
        n, c, height, width = x_shape
        dcols = rng.standard_normal(reference_im2col(np.zeros(x_shape), k, stride, padding).shape)
        where = f"for x of shape {x_shape}, k={k}, stride {stride}, padding {padding}"
        result = call_learner(function, dcols, tuple(x_shape), k, stride, padding, where=where)
        padded = (n, c, height + 2 * padding, width + 2 * padding)
        if padding and np.shape(result) == padded:
            raise Wrong(f"{where} your dx has the padded shape {padded}: cut the {padding} ring(s) of padding off "
                        f"— dx has x's shape {tuple(x_shape)}")
        got = read_numbers(result, x_shape, what=f"your dx {where}")
        want = reference_col2im(dcols, x_shape, k, stride, padding)
        if same(got, want):
            continue
        shared = np.broadcast_to(_coverage((height, width), (k, k), stride, padding) > 1, x_shape)
        if np.all(close(got, want)[~shared]):
            raise Wrong(f"{where} your dx is right where one window reads a pixel, wrong where several share it: "
                        "overlapping windows overwrite each other. Use += (add), not = (assign), as section 4's "
                        "col2im loop does")
        x = rng.standard_normal(x_shape)
        gap = abs(np.sum(reference_im2col(x, k, stride, padding) * dcols) - np.sum(x * got))
        return COL2IM.wrong(f"{where} your dx is wrong in {np.mean(~close(got, want)):.0%} of the "
                            "pixels", f"the course's adjoint test fails: ⟨im2col(x), dcols⟩ and ⟨x, col2im(dcols)⟩ "
                                      f"differ by {gap:.3g} for a random x (they must be equal)")
    return COL2IM.right(f"right in all {len(COL2IM_CASES)} cases (overlapping windows, padding, a stride that "
                        "leaves a remainder): col2im is the adjoint of im2col.")


# ---------------------------------------------------------------- 5: conv2d_backward (implement it)
def _diagnosis(got, dy, x, w, b, stride, padding):
    """(relative errors {dx, dw, db} against central differences, the names of those that differ by more than
    the one tolerance, the named slips among them)."""
    differences, conv = numerical_gradient_of_output.unchecked, conv2d.unchecked
    numeric = {
        "dx": differences(lambda v: conv(v, w, b, stride, padding), x.copy(), dy, 1e-3),
        "dw": differences(lambda v: conv(x, v, b, stride, padding), w.copy(), dy, 1e-3),
        "db": differences(lambda v: conv(x, w, v, stride, padding), b.copy(), dy, 1e-3),
    }    # h = 1e-3: L = Σ conv2d(x, w, b)·dy is linear in each
    errors = {name: relative_error(got[name], numeric[name]) for name in numeric}
    off = [name for name in numeric if not same(got[name], numeric[name])]
    slips = []
    flipped = conv2d_backward.unchecked(dy[:, :, ::-1, ::-1], x, w, stride, padding)[1]
    if "dw" in off and same(got["dw"], flipped):
        slips.append("dw: you flipped δ, as if a convolution's gradient needed the flip too — ∂L/∂W = corr(x, δ) "
                     "has no flip (section 6, The central-difference check)")
    if "dx" in off:
        unread = _coverage(x.shape[2:], w.shape[2:], stride, padding) == 0
        if np.any(got["dx"][:, :, unread] != 0):
            slips.append("dx is not 0 in the last row and column, yet no window reads them — the stride leaves a "
                         "remainder — so the loss cannot depend on them")
        if same(got["dx"], conv2d_backward.unchecked(dy, x, w[:, :, ::-1, ::-1], stride, padding)[0]):
            slips.append("dx: W must be rotated by 180° in ∂L/∂x, once (the one flip of the backward pass); yours "
                         "is not rotated, or rotated twice (notebook 02, The “flip twice” mistake)")
    if "db" in off and same(got["db"], dy.sum(axis=(0, 2, 3)) / dy.shape[0]):
        slips.append("db: you averaged over the images; ∂L/∂b = Σ δ over images and positions")
    return errors, off, slips


@checker(BACKWARD)
def check_conv2d_backward(function):
    """Exercise 5: function(dy, x, w, stride, padding) -> (dx, dw, db), checked by central differences."""
    rng = np.random.default_rng(5)
    reports = []
    for x_shape, w_shape, stride, padding in BACKWARD_CASES:
        x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
        dy = rng.standard_normal(conv2d.unchecked(x, w, b, stride, padding).shape)
        where = f"for x {x_shape}, w {w_shape}, stride {stride}, padding {padding}"
        result = call_learner(function, dy, x, w, stride, padding, where=where)
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            length = f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""
            raise Wrong(f"{where} your function must return three arrays (dx, dw, db); got a "
                        f"{type(result).__name__}{length}")
        got = {name: read_numbers(value, shape, what=f"your {name} {where}") for name, value, shape
               in zip(("dx", "dw", "db"), result, (x_shape, w_shape, (w_shape[0],)), strict=True)}
        errors, off, slips = _diagnosis(got, dy, x, w, b, stride, padding)
        if off:
            verb = "disagrees" if len(off) == 1 else "disagree"
            return BACKWARD.wrong(f"{where}: your {' and '.join(off)} {verb} with central differences (relative "
                                  "error " + ", ".join(f"{name} {errors[name]:.1e}" for name in off) + ")", *slips)
        reports.append(", ".join(f"{name} {error:.0e}" for name, error in errors.items()))
    return BACKWARD.right("central differences agree in both cases (relative errors " + "; ".join(reports) +
                          "), including the unread last row and column.")


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
