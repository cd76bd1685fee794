"""helpers.nn.conv checked three ways: central differences, an independent loops version written here, and SymPy.

The loops below are deliberately written differently from helpers.nn.conv: the forward pass sums over a
padded copy built by hand, and ∂L/∂x *gathers* for each input pixel every (output, tap) pair that reads it,
where helpers.nn.conv scatters. helpers.nn.conv's own loops reference is checked against them too.
"""
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.derive import symbolic
from helpers.nn.conv import (
    conv2d,
    conv2d_backward,
    conv2d_backward_loops,
    conv2d_loops,
)
from helpers.nn.gradcheck import check_gradient, numerical_gradient, numerical_gradient_of_output, relative_error

# ------------------------------------------------------------------ an independent reference


def reference_conv(x, w, b, stride, padding):
    n_images, channels, height, width = x.shape
    filters, _, kh, kw = w.shape
    padded = [[[[0.0] * (width + 2 * padding) for _ in range(height + 2 * padding)]
               for _ in range(channels)] for _ in range(n_images)]
    for n in range(n_images):
        for c in range(channels):
            for h in range(height):
                for v in range(width):
                    padded[n][c][h + padding][v + padding] = float(x[n, c, h, v])
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n_images, filters, out_h, out_w))
    for n in range(n_images):
        for f in range(filters):
            for r in range(out_h):
                for s in range(out_w):
                    total = float(b[f])
                    for c in range(channels):
                        for i in range(kh):
                            for j in range(kw):
                                total += padded[n][c][r * stride + i][s * stride + j] * float(w[f, c, i, j])
                    y[n, f, r, s] = total
    return y


def reference_backward(dy, x, w, stride, padding):
    n_images, channels, height, width = x.shape
    filters, _, kh, kw = w.shape
    out_h, out_w = dy.shape[2:]

    def x_padded(n, c, row, col):
        row, col = row - padding, col - padding
        return float(x[n, c, row, col]) if 0 <= row < height and 0 <= col < width else 0.0

    db = np.array([sum(float(dy[n, f, r, s]) for n in range(n_images) for r in range(out_h) for s in range(out_w))
                   for f in range(filters)])
    dw = np.zeros(w.shape)
    for f, c, i, j in np.ndindex(w.shape):
        dw[f, c, i, j] = sum(x_padded(n, c, r * stride + i, s * stride + j) * float(dy[n, f, r, s])
                             for n in range(n_images) for r in range(out_h) for s in range(out_w))
    dx = np.zeros(x.shape)
    for n, c, h, v in np.ndindex(x.shape):
        total = 0.0
        for i in range(kh):
            for j in range(kw):
                # which output (r, s) read pixel (h, v) through tap (i, j)?  r·stride + i = h + padding
                r_times, s_times = h + padding - i, v + padding - j
                if r_times % stride or s_times % stride:
                    continue
                r, s = r_times // stride, s_times // stride
                if 0 <= r < out_h and 0 <= s < out_w:
                    total += sum(float(w[f, c, i, j]) * float(dy[n, f, r, s]) for f in range(filters))
        dx[n, c, h, v] = total
    return dx, dw, db


# ------------------------------------------------------------------ random problems


@st.composite
def conv_problems(draw, max_side=6):
    n_images, channels, filters = (draw(st.integers(1, 3)) for _ in range(3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.sampled_from([1, 2, 3])), draw(st.sampled_from([0, 1, 2]))
    height = draw(st.integers(max(1, kh - 2 * padding), max_side))
    width = draw(st.integers(max(1, kw - 2 * padding), max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_images, channels, height, width))
    w = rng.standard_normal((filters, channels, kh, kw))
    b = rng.standard_normal(filters)
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1
    dy = rng.standard_normal((n_images, filters, out_h, out_w))
    return x, w, b, dy, stride, padding


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(conv_problems())
def test_forward_matches_independent_loops(problem):
    x, w, b, _, stride, padding = problem
    expected = reference_conv(x, w, b, stride, padding)
    # entries near zero make an elementwise relative error meaningless; compare at float64 rounding level
    np.testing.assert_allclose(conv2d(x, w, b, stride, padding), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv2d_loops(x, w, b, stride, padding), expected, rtol=1e-10, atol=1e-12)


@FAST
@given(conv_problems())
def test_backward_matches_independent_loops(problem):
    x, w, _, dy, stride, padding = problem
    expected = reference_backward(dy, x, w, stride, padding)
    for got in (conv2d_backward(dy, x, w, stride, padding), conv2d_backward_loops(dy, x, w, stride, padding)):
        for name, g, e in zip(("dx", "dw", "db"), got, expected, strict=True):
            assert g.shape == e.shape, name
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=name)


@FAST
@given(conv_problems(max_side=5))
def test_backward_matches_central_differences(problem):
    x, w, b, dy, stride, padding = problem
    # L = Σ y·δ is linear in each of x, w and b, so the central difference has no truncation error at all;
    # only rounding (≈ ε·|terms|/h) is left, and a larger step than the default 1e-5 makes it smaller.
    step = 1e-3
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding)
    numeric_dx = numerical_gradient_of_output(lambda v: conv2d(v, w, b, stride, padding), x.copy(), dy, step)
    numeric_dw = numerical_gradient_of_output(lambda v: conv2d(x, v, b, stride, padding), w.copy(), dy, step)
    numeric_db = numerical_gradient_of_output(lambda v: conv2d(x, w, v, stride, padding), b.copy(), dy, step)
    assert relative_error(dx, numeric_dx) < 1e-7
    assert relative_error(dw, numeric_dw) < 1e-7
    assert relative_error(db, numeric_db) < 1e-7






# ------------------------------------------------------------------ agreement with SymPy


@pytest.mark.parametrize("n, k, stride, padding", [(3, 2, 1, 0), (4, 2, 2, 0), (5, 3, 1, 1), (5, 3, 2, 1),
                                                    (4, 3, 3, 2)])
def test_agrees_with_sympy_formulas(n, k, stride, padding):
    I, W = symbolic.image_symbols(n), symbolic.filter_symbols(k)
    m = symbolic.output_size(n, k, stride, padding)
    delta, bias = symbolic.delta_symbols(m), sp.Symbol("b")
    O = symbolic.correlate(I, W, stride, padding) + bias * sp.ones(m, m)
    dW = symbolic.filter_gradient(I, delta, stride, padding, filter_size=k)
    dI = symbolic.input_gradient(W, delta, stride, padding, image_size=n)
    db = symbolic.bias_gradient(delta)
    arguments = [list(I), list(W), list(delta), bias]
    evaluate = sp.lambdify(arguments, [O, dW, dI, db], modules="numpy")

    rng = np.random.default_rng(n * 100 + k * 10 + stride + padding)
    image, kernel, upstream = rng.standard_normal((n, n)), rng.standard_normal((k, k)), rng.standard_normal((m, m))
    b = rng.standard_normal()
    O_num, dW_num, dI_num, db_num = evaluate(image.ravel(), kernel.ravel(), upstream.ravel(), b)

    x, w = image[None, None], kernel[None, None]
    np.testing.assert_allclose(conv2d(x, w, np.array([b]), stride, padding)[0, 0], np.array(O_num, dtype=float))
    dx, dw, dbias = conv2d_backward(upstream[None, None], x, w, stride, padding)
    np.testing.assert_allclose(dw[0, 0], np.array(dW_num, dtype=float))
    np.testing.assert_allclose(dx[0, 0], np.array(dI_num, dtype=float))
    np.testing.assert_allclose(dbias[0], float(db_num))


def test_agrees_with_sympy_over_channels():
    n, k, channels = 4, 2, 3
    images = [symbolic.image_symbols(n, channel=c + 1) for c in range(channels)]
    filters = [symbolic.filter_symbols(k, channel=c + 1) for c in range(channels)]
    O = symbolic.correlate_channels(images, filters, stride=1, padding=1)
    evaluate = sp.lambdify([[s for I in images for s in I], [s for W in filters for s in W]], O, modules="numpy")
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, channels, n, n)), rng.standard_normal((1, channels, k, k))
    expected = np.array(evaluate(x.ravel(), w.ravel()), dtype=float)
    np.testing.assert_allclose(conv2d(x, w, np.zeros(1), stride=1, padding=1)[0, 0], expected)


# ------------------------------------------------------------------ dtypes, memory


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_dtype_is_kept(dtype, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 7)).astype(dtype)
    w, b = rng.standard_normal((4, 3, 3, 3)).astype(dtype), rng.standard_normal(4).astype(dtype)
    y = conv2d(x, w, b, stride, padding)
    assert y.dtype == dtype
    grads = conv2d_backward(np.ones_like(y), x, w, stride, padding)
    assert [g.dtype for g in grads] == [dtype] * 3
    if dtype == np.float32:  # float32 agrees with float64 to float32 precision
        y64 = conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), stride, padding)
        assert relative_error(y, y64) < 1e-4


def test_results_are_fresh_arrays_not_reused_buffers():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    for padding in (0, 1):
        y1 = conv2d(x, w, b, padding=padding)
        grads1 = conv2d_backward(np.ones_like(y1), x, w, padding=padding)
        kept = [a.copy() for a in (y1, *grads1)]
        y2 = conv2d(2 * x, w, b, padding=padding)  # same shapes: the same scratch space is reused
        grads2 = conv2d_backward(3 * np.ones_like(y2), 2 * x, w, padding=padding)
        for before, after in zip(kept, (y1, *grads1), strict=True):
            np.testing.assert_array_equal(before, after)
        for first in (y1, *grads1):
            assert not any(np.shares_memory(first, second) for second in (y2, *grads2))


def test_accepts_non_contiguous_and_integer_input():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 8, 8))[:, :, ::-1, ::2]
    w, b = rng.standard_normal((3, 2, 2, 2)), rng.standard_normal(3)
    np.testing.assert_allclose(conv2d(x, w, b, 1, 1), reference_conv(x, w, b, 1, 1), rtol=1e-10, atol=1e-12)
    ints = np.arange(2 * 1 * 4 * 4).reshape(2, 1, 4, 4)
    y = conv2d(ints, np.ones((1, 1, 2, 2), dtype=int), np.zeros(1, dtype=int))
    assert y.dtype == np.float64 and y[0, 0, 0, 0] == 0 + 1 + 4 + 5


# ------------------------------------------------------------------ bad input


GOOD_X, GOOD_W, GOOD_B = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)


@pytest.mark.parametrize("x, w, b, kwargs, argument", [
    (np.zeros((3, 5, 5)), GOOD_W, GOOD_B, {}, "x"),
    (GOOD_X, np.zeros((4, 3, 3)), GOOD_B, {}, "w"),
    (GOOD_X, np.zeros((4, 2, 3, 3)), GOOD_B, {}, "w"),
    (GOOD_X, GOOD_W, np.zeros(3), {}, "b"),
    (GOOD_X, GOOD_W, np.zeros((4, 1)), {}, "b"),
    (GOOD_X, np.zeros((4, 3, 6, 2)), GOOD_B, {}, "w"),
    (GOOD_X, np.zeros((4, 3, 8, 8)), GOOD_B, {"padding": 1}, "w"),
    (GOOD_X, GOOD_W, GOOD_B, {"stride": 0}, "stride"),
    (GOOD_X, GOOD_W, GOOD_B, {"stride": -2}, "stride"),
    (GOOD_X, GOOD_W, GOOD_B, {"stride": 1.5}, "stride"),
    (GOOD_X, GOOD_W, GOOD_B, {"stride": 2.0}, "stride"),
    (GOOD_X, GOOD_W, GOOD_B, {"stride": True}, "stride"),
    (GOOD_X, GOOD_W, GOOD_B, {"padding": -1}, "padding"),
    (GOOD_X, GOOD_W, GOOD_B, {"padding": 0.5}, "padding"),
])
def test_bad_input_raises_value_error_naming_the_argument(x, w, b, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        conv2d(x, w, b, **kwargs)
    if b is GOOD_B:  # every problem except the bias's is a problem for the backward pass too
        with pytest.raises(ValueError, match=rf"^{argument}\b"):
            conv2d_backward(np.zeros((2, 4, 3, 3)), x, w, **kwargs)


def test_backward_rejects_upstream_of_the_wrong_shape():
    with pytest.raises(ValueError, match="^dy"):
        conv2d_backward(np.zeros((2, 4, 3, 2)), GOOD_X, GOOD_W)
    with pytest.raises(ValueError, match="dy"):
        conv2d_backward(np.zeros((2, 4, 9)), GOOD_X, GOOD_W)




# ------------------------------------------------------------------ the gradient checker itself


def test_numerical_gradient_of_a_known_function():
    x = np.random.default_rng(4).uniform(0.5, 2.0, size=(3, 4))  # no tiny entries: relative error is fragile there
    assert relative_error(numerical_gradient(lambda v: np.sum(v ** 3), x.copy(), h=1e-6), 3 * x ** 2) < 1e-7


def test_numerical_gradient_restores_x():
    x = np.random.default_rng(5).standard_normal(5)
    kept = x.copy()
    numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_array_equal(x, kept)


def test_check_gradient_catches_a_wrong_gradient():
    x = np.random.default_rng(6).standard_normal(6)
    ok, error = check_gradient(lambda v: np.sum(v ** 2), x, 2 * x)
    assert ok and error < 1e-8
    wrong = 2 * x
    wrong[3] *= -1  # one sign slip, as a flipped formula would make
    ok, error = check_gradient(lambda v: np.sum(v ** 2), x, wrong)
    assert not ok and error > 0.5


def test_relative_error_properties():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0
    assert abs(relative_error([1.0], [1.0 + 1e-6]) - 5e-7) < 1e-12
    with pytest.raises(ValueError, match="^a and b"):
        relative_error([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="^x"):
        check_gradient(lambda v: 0.0, np.arange(3), np.zeros(3))


# ------------------------------------------------------------------ the exercise checkers of notebook 03


