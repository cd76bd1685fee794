"""Exercise checkers for notebook 03 (vectorize in NumPy).

Every checker returns a ``helpers.feedback.Feedback`` naming each wrong entry with what was expected;
``hint(name)`` and ``solution(name)`` give collapsed blocks the learner opens on purpose. The exercise
data are module constants, so the notebook shows exactly the numbers the checker uses.
"""
import numpy as np

from helpers.conv import conv2d_backward, conv_output_shape
from helpers.feedback import Feedback, check_values, reveal_entry

#: exercise 1: the shapes of im2col for the seed network's second layer (input already pooled to 13×13)
SHAPES_CASE = {"x": (64, 6, 13, 13), "w": (6, 6, 3, 3), "stride": 1, "padding": 0}

#: exercise 2: the learner vectorizes ∂L/∂W = corr(I, δ) for one image and one channel; checked on these
#: (image side n, filter side k) pairs with random numbers
FILTER_GRADIENT_CASES = ((3, 2), (5, 3), (6, 2), (4, 4))

#: exercise 3: how many windows read each pixel? (5×5 image, 3×3 filter, stride 1, padding 0)
COVERAGE_CASE = {"n": 5, "k": 3}

EXERCISES = ("shapes", "filter_gradient", "coverage")
_MOST_PROBLEMS_LISTED = 4


def _untouched(title, answer, hint):
    """Feedback for an answer still all zeros (the notebook's starter), without giving the solution away."""
    try:
        if np.size(answer) and not np.any(np.asarray(answer, dtype=float)):
            return Feedback(False, title, ["not answered yet: every entry is still 0 — replace the zeros "
                                           "with your answer and run the cell again"], hint)
    except (TypeError, ValueError):
        pass
    return None


def _shortened(feedback):
    """Name at most a few wrong entries, so that a first try does not print the whole solution."""
    if len(feedback.problems) > _MOST_PROBLEMS_LISTED:
        hidden = len(feedback.problems) - _MOST_PROBLEMS_LISTED
        feedback.problems = feedback.problems[:_MOST_PROBLEMS_LISTED] + [f"… and {hidden} more wrong entries"]
    return feedback


def expected_shapes():
    """(cols rows, cols columns, y's N, F, H', W') for SHAPES_CASE, layout (C·KH·KW, N·H'·W')."""
    n_images, channels, height, width = SHAPES_CASE["x"]
    filters, _, kh, kw = SHAPES_CASE["w"]
    out_h, out_w = conv_output_shape((height, width), (kh, kw), SHAPES_CASE["stride"], SHAPES_CASE["padding"])
    return (channels * kh * kw, n_images * out_h * out_w, n_images, filters, out_h, out_w)


def check_shapes(cols_shape, y_shape):
    """Exercise 1: cols_shape = (rows, columns) of the im2col matrix; y_shape = (N, F, H', W')."""
    try:
        answer = tuple(int(v) for v in cols_shape) + tuple(int(v) for v in y_shape)
    except (TypeError, ValueError):
        return Feedback(False, "Exercise 1: shapes of im2col", ["write both shapes as tuples of whole numbers, "
                        f"e.g. (9, 100) and (1, 2, 3, 4); got {cols_shape!r} and {y_shape!r}"], _HINTS["shapes"])
    untouched = _untouched("Exercise 1: shapes of im2col", answer, _HINTS["shapes"])
    if untouched is not None:
        return untouched
    if len(answer) != 6:
        return Feedback(False, "Exercise 1: shapes of im2col",
                        [f"cols_shape needs 2 numbers and y_shape 4; got {len(tuple(cols_shape))} and "
                         f"{len(tuple(y_shape))}"], _HINTS["shapes"])
    names = ["cols rows (C·KH·KW)", "cols columns (N·H'·W')", "y: N", "y: F", "y: H'", "y: W'"]
    return check_values("Exercise 1: shapes of im2col", answer, expected_shapes(), names=names,
                        hint=_HINTS["shapes"])


def check_filter_gradient_function(function):
    """Exercise 2: function(I, delta) -> ∂L/∂W for I (n, n) and delta (m, m), compared on FILTER_GRADIENT_CASES."""
    title = "Exercise 2: ∂L/∂W = corr(I, δ), vectorized"
    if not callable(function):
        return Feedback(False, title, [f"pass your function itself (no parentheses); got {type(function).__name__}"],
                        _HINTS["filter_gradient"])
    rng = np.random.default_rng(3)
    for n, k in FILTER_GRADIENT_CASES:
        image = rng.integers(-3, 4, size=(n, n)).astype(float)
        delta = rng.integers(-2, 3, size=(n - k + 1, n - k + 1)).astype(float)
        _, dw, _ = conv2d_backward(delta[None, None], image[None, None], np.zeros((1, 1, k, k)))
        try:
            answer = function(image.copy(), delta.copy())
        except Exception as error:  # the learner's code: report, do not crash the notebook
            return Feedback(False, title, [f"on a {n}×{n} image with a {k}×{k} filter your function raised "
                                           f"{type(error).__name__}: {error}"], _HINTS["filter_gradient"])
        untouched = _untouched(title, answer, _HINTS["filter_gradient"])
        if untouched is not None:
            return untouched
        names = np.array([[f"∂L/∂W{r + 1}{c + 1}" for c in range(k)] for r in range(k)], dtype=object)
        verdict = check_values(f"{title} ({n}×{n} image, {k}×{k} filter)", answer, dw[0, 0], names=names,
                               hint=_HINTS["filter_gradient"])
        if not verdict:
            verdict.problems.insert(0, f"image I = {image.astype(int).tolist()}, δ = {delta.astype(int).tolist()}")
            return verdict
    return Feedback(True, title + f" — right on all {len(FILTER_GRADIENT_CASES)} sizes")


def expected_coverage():
    """How many k×k windows (stride 1) contain each pixel of an n×n image: (n, n)."""
    n, k = COVERAGE_CASE["n"], COVERAGE_CASE["k"]
    m = n - k + 1
    # ∂L/∂I with W = 1 and δ = 1 counts, for each pixel, the windows that read it
    dx, _, _ = conv2d_backward(np.ones((1, 1, m, m)), np.zeros((1, 1, n, n)), np.ones((1, 1, k, k)))
    return dx[0, 0]


def check_coverage(answer):
    """Exercise 3: answer (n, n), the number of windows that read each pixel."""
    n = COVERAGE_CASE["n"]
    names = np.array([[f"pixel I{r + 1}{c + 1}" for c in range(n)] for r in range(n)], dtype=object)
    title = "Exercise 3: how many windows read each pixel"
    untouched = _untouched(title, answer, _HINTS["coverage"])
    if untouched is not None:
        return untouched
    return _shortened(check_values(title, answer, expected_coverage(), names=names, hint=_HINTS["coverage"]))


_HINTS = {
    "shapes": "One row of cols per filter weight of one output channel (C·KH·KW), one column per output "
              "position of the whole batch (N·H'·W'). H' = (H + 2·padding − KH) // stride + 1.",
    "filter_gradient": "∂L/∂W is corr(I, δ): slide δ over I like a filter. sliding_window_view(I, delta.shape) "
                       "has shape (k, k, m, m); multiply by δ and sum the last two axes.",
    "coverage": "A pixel is read by every window that contains it. Along one axis, pixel r (1-based) lies in "
                "windows starting at max(1, r−k+1) … min(r, n−k+1). Multiply the counts of the two axes.",
}

_SOLUTIONS = {
    "shapes": """For x (64, 6, 13, 13) and w (6, 6, 3, 3): H' = W' = (13 − 3) // 1 + 1 = 11.

- cols has C·KH·KW = 6·3·3 = **54** rows and N·H'·W' = 64·11·11 = **7744** columns;
- y = w.reshape(6, 54) @ cols has shape (6, 7744), reshaped and transposed to **(64, 6, 11, 11)**.

```python
check_shapes((54, 7744), (64, 6, 11, 11))
```""",
    "filter_gradient": """```python
from numpy.lib.stride_tricks import sliding_window_view

def my_filter_gradient(I, delta):
    windows = sliding_window_view(I, delta.shape)      # (k, k, m, m): windows[i, j] = I[i:i+m, j:j+m]
    return np.einsum("ijrc,rc->ij", windows, delta)    # ∂L/∂W_ij = Σ_rc I[i+r, j+c]·δ_rc
```
The same windows as the forward pass, with δ in the place of W — no flip.""",
    "coverage": """Along one axis of a 5-wide image with a 3-wide window, pixels 1…5 lie in 1, 2, 3, 2, 1 windows.
A pixel's count is the product of its row count and its column count:

```python
counts = np.array([1, 2, 3, 2, 1])
check_coverage(np.outer(counts, counts))
```
This is ∂L/∂I for W = 1 and δ = 1: the centre pixel is read 9 times, a corner once.""",
}


def hint(name):
    """A collapsed hint for exercise ``name`` (one of EXERCISES)."""
    return reveal_entry("Hint", _HINTS, name)


def solution(name):
    """A collapsed worked solution for exercise ``name`` (one of EXERCISES)."""
    return reveal_entry("Worked solution", _SOLUTIONS, name)
