"""Exercise checkers for notebook 03 (vectorize in NumPy).

Every checker returns a ``helpers.exercises.feedback.Feedback``: ✔ with why, the named slip, or what is wrong (which
entries, which shape, how large the error against central differences) — never the expected values.
``hint(k)``, ``solution(k)`` and ``help(k)`` show help only when called. Implement-it exercises (4 and 5)
run the course's own tests on the learner's function: a function that raises or returns junk gets a
Feedback, not a traceback.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from helpers.door import check_stride_padding
from helpers.exercises.feedback import (
    Exercise,
    OnRequest,
    Slip,
    as_float_array,
    call_learner,
    check_numbers,
    checker,
    entry_names,
    read_numbers,
)
from helpers.nn.conv import conv2d, conv2d_backward, conv_output_shape
from helpers.nn.gradcheck import numerical_gradient_of_output, relative_error

#: exercise 1: the shapes of im2col (section 4's layout) for this layer; 14 − 3 = 11 leaves a remainder at stride 2
SHAPES_CASE = {"x": (32, 6, 14, 14), "w": (10, 6, 3, 3), "stride": 2, "padding": 0}

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
MOST_ENTRIES = 20_000_000   # the reference im2col/col2im refuse larger arrays (a typo, not an exercise)
TOLERANCE = 1e-7   # relative error against central differences below which a gradient is right (float64)


# ---------------------------------------------------------------- reference code (the course's own)


def _check_geometry(k, stride, padding, height, width):
    """k, stride, padding as ints, ValueError naming the bad one (a k×k window must fit the padded input)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number ≥ 1; got {k!r}")
    stride, padding = check_stride_padding(stride, padding)
    if padding > 64:
        raise ValueError(f"padding must be at most 64 here; got {padding}")
    if k > min(height, width) + 2 * padding:
        raise ValueError(f"k = {k} does not fit the input ({height}×{width} with padding {padding})")
    return int(k), stride, padding


def reference_im2col(x, k, stride, padding):
    """Section 4's im2col: x (N, C, H, W) → cols (C·k·k, N·H'·W'), rows (c, i, j), columns (n, r, s)."""
    x = np.asarray(x) if isinstance(x, (np.ndarray, list, tuple)) else None
    if x is None or x.ndim != 4 or x.dtype.kind not in "biuf" or x.size == 0:
        raise ValueError("x must be a non-empty (N, C, H, W) array of numbers")
    k, stride, padding = _check_geometry(k, stride, padding, *x.shape[2:])
    out_h, out_w = conv_output_shape(x.shape[2:], (k, k), stride, padding)
    if x.shape[1] * k * k * x.shape[0] * out_h * out_w > MOST_ENTRIES:
        raise ValueError(f"x of shape {x.shape} with k={k} makes too large a cols for this reference code (at most "
                         f"{MOST_ENTRIES:,} entries)")
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    n, c, out_h, out_w = windows.shape[:4]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * k * k, n * out_h * out_w)


def reference_col2im(dcols, x_shape, k, stride, padding, add=True):
    """The adjoint of reference_im2col: dcols (C·k·k, N·H'·W') → dx (N, C, H, W), overlapping windows added.

    add=False assigns instead of adding (the "=" slip): where windows overlap, the last one wins.
    """
    if (not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 1 <= v <= 4096
                       for v in x_shape)):
        raise ValueError(f"x_shape must be (N, C, H, W), four whole numbers 1 … 4096; got {x_shape!r:.60}")
    n, c, height, width = (int(v) for v in x_shape)
    if n * c * (height + 2 * 8) * (width + 2 * 8) > MOST_ENTRIES:
        raise ValueError(f"x_shape {tuple(x_shape)} is too large for this reference code (at most "
                         f"{MOST_ENTRIES:,} entries)")
    if not isinstance(add, (bool, np.bool_)):
        raise ValueError(f"add must be True or False; got {add!r}")
    k, stride, padding = _check_geometry(k, stride, padding, height, width)
    out_h, out_w = conv_output_shape((height, width), (k, k), stride, padding)
    dcols = np.asarray(dcols) if isinstance(dcols, (np.ndarray, list, tuple)) else None
    if dcols is None or dcols.dtype.kind not in "biuf" or dcols.shape != (c * k * k, n * out_h * out_w):
        raise ValueError(f"dcols must be a ({c * k * k}, {n * out_h * out_w}) array of numbers for x_shape "
                         f"{tuple(x_shape)}, k={k}, stride {stride}, padding {padding}")
    patches = dcols.reshape(c, k, k, n, out_h, out_w)
    dx_pad = np.zeros((n, c, height + 2 * padding, width + 2 * padding))
    for i in range(k):
        for j in range(k):
            rows, columns = slice(i, i + stride * out_h, stride), slice(j, j + stride * out_w, stride)
            if add:
                dx_pad[:, :, rows, columns] += patches[:, i, j].transpose(1, 0, 2, 3)
            else:
                dx_pad[:, :, rows, columns] = patches[:, i, j].transpose(1, 0, 2, 3)
    return dx_pad[:, :, padding:padding + height, padding:padding + width]


# ---------------------------------------------------------------- 1: shapes


def expected_shapes():
    """(cols rows, cols columns, y's N, F, H', W') for SHAPES_CASE, layout (C·KH·KW, N·H'·W')."""
    n_images, channels, height, width = SHAPES_CASE["x"]
    filters, _, kh, kw = SHAPES_CASE["w"]
    out_h, out_w = conv_output_shape((height, width), (kh, kw), SHAPES_CASE["stride"], SHAPES_CASE["padding"])
    return (channels * kh * kw, n_images * out_h * out_w, n_images, filters, out_h, out_w)


SHAPES = Exercise(
    "03-1", "Exercise 1: shapes of im2col",
    hints=("One row of cols per weight of one filter (C·KH·KW), one column per output position of the whole "
           "batch (N·H'·W').",
           "H' = (H + 2·padding − KH) // stride + 1: round down when the stride leaves a remainder. "
           "y is (N, F, H', W')."),
    solution="""For x (32, 6, 14, 14), w (10, 6, 3, 3), stride 2: H' = W' = (14 − 3) // 2 + 1 = 6 (11/2 leaves a
remainder: the last row and column are never read).

- cols has C·KH·KW = 6·3·3 = **54** rows and N·H'·W' = 32·6·6 = **1152** columns;
- w.reshape(10, 54) @ cols has shape (10, 1152), reshaped and transposed to y **(32, 10, 6, 6)**.

```python
cols_shape, y_shape = (54, 1152), (32, 10, 6, 6)
```""",
    answer_code="cols_shape, y_shape = (54, 1152), (32, 10, 6, 6)", points=1)


def _shape_slips():
    n, c, h, _ = SHAPES_CASE["x"]
    f, _, k, _ = SHAPES_CASE["w"]
    s = SHAPES_CASE["stride"]
    right = expected_shapes()
    side = right[-1]
    no_stride, rounded_up = h - k + 1, -(-(h - k) // s) + 1
    return [
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


@checker(SHAPES)
def check_shapes(cols_shape, y_shape):
    """Exercise 1: cols_shape = (rows, columns) of the im2col matrix; y_shape = (N, F, H', W')."""
    cols, problem = read_numbers(cols_shape, (2,), integer=True, what="cols_shape")
    if problem:
        return SHAPES.wrong(problem + ("" if cols_shape is None else " — cols_shape is (rows, columns)"))
    y, problem = read_numbers(y_shape, (4,), integer=True, what="y_shape")
    if problem:
        return SHAPES.wrong(problem + ("" if y_shape is None else " — y_shape is (N, F, H', W')"))
    names = ["cols rows (C·KH·KW)", "cols columns (N·H'·W')", "y: N", "y: F", "y: H'", "y: W'"]
    return check_numbers(SHAPES, np.concatenate([cols, y]), expected_shapes(), names=names, slips=_shape_slips(),
                         integer=True, why="one row per weight of a filter, one column per output position; "
                                           "H' rounds down where the stride leaves a remainder.")


# ---------------------------------------------------------------- 2: ∂L/∂W vectorized


FILTER_GRADIENT = Exercise(
    "03-2", "Exercise 2: ∂L/∂W = corr(I, δ), vectorized",
    hints=("∂L/∂W is corr(I, δ): slide δ over I like a filter — the same windows as the forward pass, with δ in "
           "the place of W.",
           "sliding_window_view(I, delta.shape) has shape (k, k, m, m); multiply by δ and sum the last two axes "
           "(np.einsum can do both)."),
    solution="""```python
from numpy.lib.stride_tricks import sliding_window_view

def my_filter_gradient(I, delta):
    windows = sliding_window_view(I, delta.shape)      # (k, k, m, m): windows[i, j] = I[i:i+m, j:j+m]
    return np.einsum("ijrc,rc->ij", windows, delta)    # ∂L/∂W_ij = Σ_rc I[i+r, j+c]·δ_rc
```
The same windows as the forward pass, with δ in the place of W — no flip.""",
    answer_code='''from numpy.lib.stride_tricks import sliding_window_view


def my_filter_gradient(I, delta):
    windows = sliding_window_view(I, delta.shape)
    return np.einsum("ijrc,rc->ij", windows, delta)''', points=2)


def _corr(image, delta):
    windows = sliding_window_view(image, delta.shape)
    return np.einsum("ijrc,rc->ij", windows, delta)


@checker(FILTER_GRADIENT)
def check_filter_gradient_function(function):
    """Exercise 2: function(I, delta) -> ∂L/∂W for I (n, n) and delta (m, m), compared on FILTER_GRADIENT_CASES."""
    rng = np.random.default_rng(3)
    for n, k in FILTER_GRADIENT_CASES:
        image = rng.integers(-3, 4, size=(n, n)).astype(float)
        delta = rng.integers(-2, 3, size=(n - k + 1, n - k + 1)).astype(float)
        where = f"on a {n}×{n} image with a {k}×{k} filter (δ {n - k + 1}×{n - k + 1})"
        result, problem = call_learner(function, image, delta, where=where)
        if problem:
            return FILTER_GRADIENT.wrong(problem)
        got, problem = as_float_array(result, (k, k), f"{where}, your result")
        if problem:
            return FILTER_GRADIENT.wrong(problem + " — ∂L/∂W has the filter's shape, k = n − m + 1")
        want = _corr(image, delta)
        if np.allclose(got, want):
            continue
        slips = [Slip(_corr(image, delta[::-1, ::-1]), f"{where}: you flipped δ — ∂L/∂W = corr(I, δ) has no flip "
                      "(section 6 measured it: a flipped δ gives a relative error near 1)")]
        verdict = check_numbers(FILTER_GRADIENT, got, want, names=entry_names("∂L/∂W", (k, k)), slips=slips)
        if not verdict.problems[0].startswith(where):
            verdict.problems[0] = f"{where}: {verdict.problems[0]}"
        return verdict
    return FILTER_GRADIENT.right(f"right on all {len(FILTER_GRADIENT_CASES)} sizes: δ slides over I like a filter.")


# ---------------------------------------------------------------- 3: coverage


def _coverage(n, k, stride):
    m = (n - k) // stride + 1
    counts = np.zeros(n, dtype=int)
    for start in range(0, stride * m, stride):
        counts[start:start + k] += 1
    return np.outer(counts, counts)


def expected_coverage():
    """How many k×k windows (COVERAGE_CASE's stride) contain each pixel of an n×n image: (n, n) ints."""
    return _coverage(COVERAGE_CASE["n"], COVERAGE_CASE["k"], COVERAGE_CASE["stride"])


COVERAGE = Exercise(
    "03-3", "Exercise 3: how many windows read each pixel",
    hints=("A pixel is read by every window that contains it. Count along one axis first: which windows cover "
           "row r?",
           "With stride 2 a 3-wide window starts at rows 1 and 3 of a 6-row image: ⌊(6 − 3)/2⌋ + 1 = 2 windows. "
           "A pixel's count is (windows covering its row) × (windows covering its column)."),
    solution="""Along one axis of a 6-wide image, 3-wide windows with stride 2 start at 1 and 3 and cover 1–3 and
3–5: pixels 1…6 lie in 1, 1, 2, 1, 1, 0 windows (pixel 6 is never read — the stride leaves a remainder).
A pixel's count is the product of its row count and its column count:

```python
counts = np.array([1, 1, 2, 1, 1, 0])
answer = np.outer(counts, counts)
```
Pixel (3, 3) is read 4 times; row 6 and column 6 never: their gradient ∂L/∂I is always 0.""",
    answer_code="answer = np.outer([1, 1, 2, 1, 1, 0], [1, 1, 2, 1, 1, 0])", points=1)


@checker(COVERAGE)
def check_coverage(answer):
    """Exercise 3: answer (n, n) whole numbers, the number of windows that read each pixel."""
    n, k, s = COVERAGE_CASE["n"], COVERAGE_CASE["k"], COVERAGE_CASE["stride"]
    per_axis = _coverage(n, k, s)[:, [np.argmax(_coverage(n, k, s).max(axis=0))]].ravel()
    slips = [
        Slip(_coverage(n, k, 1), "those are the counts for stride 1; with stride 2 the windows start two pixels "
                                 "apart and fewer of them overlap"),
        Slip(np.add.outer(per_axis, per_axis), "you added the row count and the column count; a window covers "
                                               "pixel (r, c) when it covers row r AND column c: multiply"),
        Slip(np.ones((n, n)), "not every pixel is read once: windows overlap where the stride is smaller than the "
                              "filter, and some pixels are never read"),
    ]
    return check_numbers(COVERAGE, answer, expected_coverage(), names=entry_names("pixel I", (n, n)), slips=slips,
                         integer=True, why="(windows covering the row) × (windows covering the column); the last "
                                           "row and column are never read.")


# ---------------------------------------------------------------- 4: col2im (implement it)

COL2IM = Exercise(
    "03-4", "Exercise 4: implement col2im",
    hints=("col2im undoes im2col's copying: every entry of dcols goes back to the pixel it was copied from. "
           "Loop over the k×k taps (i, j), as section 4 does, never over images or positions.",
           "A pixel shared by several windows receives a share from each of them: accumulate with +=, then cut "
           "the padding off."),
    solution="""```python
def my_col2im(dcols, x_shape, k, stride, padding):
    n, c, height, width = x_shape
    out_h = (height + 2 * padding - k) // stride + 1
    out_w = (width + 2 * padding - k) // stride + 1
    patches = dcols.reshape(c, k, k, n, out_h, out_w)
    dx_pad = np.zeros((n, c, height + 2 * padding, width + 2 * padding))
    for i in range(k):
        for j in range(k):
            rows = slice(i, i + stride * out_h, stride)
            columns = slice(j, j + stride * out_w, stride)
            dx_pad[:, :, rows, columns] += patches[:, i, j].transpose(1, 0, 2, 3)   # += : windows overlap
    return dx_pad[:, :, padding:padding + height, padding:padding + width]
```
It is the adjoint of im2col: ⟨im2col(x), dcols⟩ = ⟨x, col2im(dcols)⟩ for every x and dcols.""",
    answer_code='''def my_col2im(dcols, x_shape, k, stride, padding):
    n, c, height, width = x_shape
    out_h = (height + 2 * padding - k) // stride + 1
    out_w = (width + 2 * padding - k) // stride + 1
    patches = dcols.reshape(c, k, k, n, out_h, out_w)
    dx_pad = np.zeros((n, c, height + 2 * padding, width + 2 * padding))
    for i in range(k):
        for j in range(k):
            rows = slice(i, i + stride * out_h, stride)
            columns = slice(j, j + stride * out_w, stride)
            dx_pad[:, :, rows, columns] += patches[:, i, j].transpose(1, 0, 2, 3)
    return dx_pad[:, :, padding:padding + height, padding:padding + width]''', points=3)


@checker(COL2IM)
def check_col2im(function):
    """Exercise 4: function(dcols, x_shape, k, stride, padding) -> dx (N, C, H, W), checked on COL2IM_CASES.

    The course's test: dx must equal the reference col2im (the adjoint of im2col: ⟨im2col(x), dcols⟩ =
    ⟨x, col2im(dcols)⟩); an "=" that lets overlapping windows overwrite each other is named.
    """
    rng = np.random.default_rng(13)
    for x_shape, k, stride, padding in COL2IM_CASES:
        n, c, height, width = x_shape
        out_h, out_w = conv_output_shape((height, width), (k, k), stride, padding)
        dcols = rng.standard_normal((c * k * k, n * out_h * out_w))
        where = f"for x of shape {x_shape}, k={k}, stride {stride}, padding {padding}"
        result, problem = call_learner(function, dcols, tuple(x_shape), k, stride, padding, where=where)
        if problem:
            return COL2IM.wrong(problem)
        padded = (n, c, height + 2 * padding, width + 2 * padding)
        if padding and np.shape(result) == padded:
            return COL2IM.wrong(f"{where} your dx has the padded shape {padded}: cut the {padding} ring(s) of padding "
                                f"off — dx has x's shape {tuple(x_shape)}")
        got, problem = as_float_array(result, x_shape, f"{where} your dx")
        if problem:
            return COL2IM.wrong(problem)
        want = reference_col2im(dcols, x_shape, k, stride, padding)
        if np.allclose(got, want, atol=1e-10):
            continue
        if np.allclose(got, reference_col2im(dcols, x_shape, k, stride, padding, add=False), atol=1e-10):
            return COL2IM.wrong(f"{where} overlapping windows overwrite each other: where two windows share a pixel, "
                                "only the last one's value survives. Use += (add), not = (assign), as section 4's "
                                "col2im loop does")
        x = rng.standard_normal(x_shape)
        gap = abs(np.sum(reference_im2col(x, k, stride, padding) * dcols) - np.sum(x * got))
        wrong_share = np.mean(~np.isclose(got, want, atol=1e-10))
        return COL2IM.wrong(f"{where} your dx is wrong in {wrong_share:.0%} of the pixels",
                            f"the course's adjoint test fails: ⟨im2col(x), dcols⟩ and ⟨x, col2im(dcols)⟩ differ by "
                            f"{gap:.3g} for a random x (they must be equal)")
    return COL2IM.right(f"right in all {len(COL2IM_CASES)} cases (overlapping windows, padding, a stride that "
                        "leaves a remainder): col2im is the adjoint of im2col.")


# ---------------------------------------------------------------- 5: conv2d_backward (implement it)

BACKWARD = Exercise(
    "03-5", "Exercise 5: implement conv2d_backward (stride 2, with a remainder)",
    hints=("Three formulas: ∂L/∂b = Σ δ over images and positions; ∂L/∂W = corr(x, δ) window by window; "
           "∂L/∂x: each window sends W·δ back to its own pixels, and overlapping windows add up.",
           "With im2col: dw = δ (F, N·H'·W') @ cols.T, dcols = w (F, C·K·K).T @ δ, then col2im (exercise 4). "
           "Pixels that no window reads (the remainder of the stride) get 0."),
    solution="""```python
def my_conv2d_backward(dy, x, w, stride, padding):
    f, c, k, _ = w.shape
    cols = reference_im2col(x, k, stride, padding)                 # section 4's im2col
    upstream = dy.transpose(1, 0, 2, 3).reshape(f, -1)             # δ as (F, N·H'·W')
    dw = (upstream @ cols.T).reshape(w.shape)                      # ∂L/∂W = corr(x, δ)
    db = upstream.sum(axis=1)                                      # ∂L/∂b = Σ δ
    dcols = w.reshape(f, -1).T @ upstream                          # what each window sends back
    dx = reference_col2im(dcols, x.shape, k, stride, padding)      # exercise 4: add overlapping windows
    return dx, dw, db
```
(`reference_im2col` and `reference_col2im` are in `helpers.exercises.conv`.) The last row and column of an 8×8
input are read by no window at stride 2, so their ∂L/∂x is exactly 0.""",
    answer_code='''def my_conv2d_backward(dy, x, w, stride, padding):
    f, c, k, _ = w.shape
    cols = ex.reference_im2col(x, k, stride, padding)
    upstream = dy.transpose(1, 0, 2, 3).reshape(f, -1)
    dw = (upstream @ cols.T).reshape(w.shape)
    db = upstream.sum(axis=1)
    dcols = w.reshape(f, -1).T @ upstream
    dx = ex.reference_col2im(dcols, x.shape, k, stride, padding)
    return dx, dw, db''', points=3)


def _central_differences(dy, x, w, b, stride, padding):
    """{"dx", "dw", "db"} of L = Σ conv2d(x, w, b)·dy by central differences (h = 1e-3: L is linear in each)."""
    return {
        "dx": numerical_gradient_of_output(lambda v: conv2d(v, w, b, stride, padding), x.copy(), dy, 1e-3),
        "dw": numerical_gradient_of_output(lambda v: conv2d(x, v, b, stride, padding), w.copy(), dy, 1e-3),
        "db": numerical_gradient_of_output(lambda v: conv2d(x, w, v, stride, padding), b.copy(), dy, 1e-3),
    }


@checker(BACKWARD)
def check_conv2d_backward(function):
    """Exercise 5: function(dy, x, w, stride, padding) -> (dx, dw, db), checked by central differences.

    Cases BACKWARD_CASES: stride 2 on an 8×8 input leaves the last row and column unread.
    """
    rng = np.random.default_rng(5)
    reports = []
    for x_shape, w_shape, stride, padding in BACKWARD_CASES:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        dy = rng.standard_normal(conv2d(x, w, b, stride, padding).shape)
        where = f"for x {x_shape}, w {w_shape}, stride {stride}, padding {padding}"
        result, problem = call_learner(function, dy, x, w, stride, padding, where=where)
        if problem:
            return BACKWARD.wrong(problem)
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            return BACKWARD.wrong(f"{where} your function must return three arrays (dx, dw, db); got a "
                                  f"{type(result).__name__}" + (f" of length {len(result)}"
                                                                if isinstance(result, (tuple, list)) else ""))
        arrays = {}
        for name, value, shape in zip(("dx", "dw", "db"), result, (x_shape, w_shape, (w_shape[0],)), strict=True):
            arrays[name], problem = as_float_array(value, shape, f"{where} your {name}")
            if problem:
                return BACKWARD.wrong(problem)
        numeric = _central_differences(dy, x, w, b, stride, padding)
        errors = {name: relative_error(arrays[name], numeric[name]) for name in arrays}
        if max(errors.values()) < TOLERANCE:
            reports.append(", ".join(f"{name} {error:.0e}" for name, error in errors.items()))
            continue
        problems = [f"{where}: relative error against central differences " +
                    ", ".join(f"{name} {error:.1e}" for name, error in errors.items()) +
                    f" (right is below {TOLERANCE:g})"]
        if errors["dw"] >= TOLERANCE:
            flipped = conv2d_backward(dy[:, :, ::-1, ::-1], x, w, stride, padding)[1]
            if np.allclose(arrays["dw"], flipped):
                problems.append("dw: you flipped δ — ∂L/∂W = corr(x, δ) has no flip (section 6)")
        if errors["dx"] >= TOLERANCE:
            out_h = (x_shape[2] + 2 * padding - w_shape[2]) // stride + 1
            last_read = (out_h - 1) * stride + w_shape[2] - padding   # rows 0 … last_read − 1 are read
            unread = arrays["dx"][:, :, last_read:, :]
            if last_read < x_shape[2] and np.any(unread != 0):
                problems.append(f"dx is not 0 in rows {last_read + 1}…{x_shape[2]} (and the matching columns): "
                                "no window reads them — the stride leaves a remainder — so the loss cannot depend "
                                "on them")
            unrotated = conv2d_backward(dy, x, w[:, :, ::-1, ::-1], stride, padding)[0]
            if np.allclose(arrays["dx"], unrotated):
                problems.append("dx: W must be rotated by 180° in ∂L/∂x (the one flip of the backward pass) — or "
                                "you flipped it twice")
        if errors["db"] >= TOLERANCE and np.allclose(arrays["db"], dy.sum(axis=(0, 2, 3)) / dy.shape[0]):
            problems.append("db: you averaged over the images; ∂L/∂b = Σ δ over images and positions")
        return BACKWARD.wrong(*problems)
    return BACKWARD.right("central differences agree in both cases (relative errors " + "; ".join(reports) +
                          "), including the unread last row and column.")


# ---------------------------------------------------------------- help, on request only

EXERCISES = {1: SHAPES, 2: FILTER_GRADIENT, 3: COVERAGE, 4: COL2IM, 5: BACKWARD}
CHECKERS = {"03-1": check_shapes, "03-2": check_filter_gradient_function, "03-3": check_coverage,
            "03-4": check_col2im, "03-5": check_conv2d_backward}


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
