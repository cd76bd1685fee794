"""helpers.derive.symbolic and helpers.exercises.symbolic, checked against NumPy code written here, independently.

Three ways for every gradient: SymPy's own differentiation of an unknown loss L(o11, …) (prove_gradients),
central finite differences in NumPy, and a loops implementation in this file.
"""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.derive import symbolic

# ---------------------------------------------------------------- independent NumPy reference


def numpy_correlate(image, kernel, stride, padding):
    """Cross-correlation by explicit loops over output positions (0-based)."""
    padded = np.pad(image, padding)
    k = kernel.shape[0]
    m = (padded.shape[0] - k) // stride + 1
    out = np.zeros((m, m))
    for r in range(m):
        for c in range(m):
            out[r, c] = np.sum(padded[r * stride:r * stride + k, c * stride:c * stride + k] * kernel)
    return out


def numeric(matrix, values):
    """A SymPy matrix with symbols replaced by numbers, as a float array."""
    return np.array(matrix.xreplace(values).tolist(), dtype=float)


def random_values(rng, *matrices):
    return {s: sp.Float(rng.normal()) for M in matrices for s in M if isinstance(s, sp.Symbol)}


@st.composite
def geometry(draw):
    """(n, k, stride, padding) with the filter no larger than the padded image."""
    n = draw(st.integers(1, 6))
    padding = draw(st.integers(0, 2))
    k = draw(st.integers(1, min(4, n + 2 * padding)))
    stride = draw(st.integers(1, 3))
    return n, k, stride, padding


# ---------------------------------------------------------------- correlate


def test_two_by_two_on_three_by_three_is_written_term_by_term():
    I, W = symbolic.image_symbols(3), symbolic.filter_symbols(2)
    O = symbolic.correlate(I, W)
    I11, I12, I21, I22, W11, W12, W21, W22 = sp.symbols("I11 I12 I21 I22 W11 W12 W21 W22")
    assert O.shape == (2, 2)
    assert sp.expand(O[0, 0] - (I11 * W11 + I12 * W12 + I21 * W21 + I22 * W22)) == 0


@settings(max_examples=40, deadline=None)
@given(geometry(), st.integers(0, 2**32 - 1))
def test_correlate_agrees_with_numpy_loops(shape, seed):
    n, k, stride, padding = shape
    rng = np.random.default_rng(seed)
    I, W = symbolic.image_symbols(n), symbolic.filter_symbols(k)
    values = random_values(rng, I, W)
    got = numeric(symbolic.correlate(I, W, stride, padding), values)
    want = numpy_correlate(numeric(I, values), numeric(W, values), stride, padding)
    assert got.shape == want.shape == (symbolic.output_size(n, k, stride, padding),) * 2
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_convolve_flips_the_filter_and_correlate_does_not():
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(4, 4)), rng.normal(size=(2, 2))
    got = np.array(symbolic.convolve(sp.Matrix(image), sp.Matrix(kernel)).tolist(), dtype=float)
    np.testing.assert_allclose(got, numpy_correlate(image, kernel[::-1, ::-1], 1, 0), atol=1e-12)
    assert not np.allclose(got, numpy_correlate(image, kernel, 1, 0))


def test_channels_are_summed():
    rng = np.random.default_rng(1)
    images = [rng.normal(size=(4, 4)) for _ in range(3)]
    kernels = [rng.normal(size=(3, 3)) for _ in range(3)]
    got = symbolic.correlate_channels([sp.Matrix(a) for a in images], [sp.Matrix(w) for w in kernels],
                                      stride=1, padding=1)
    want = sum(numpy_correlate(a, w, 1, 1) for a, w in zip(images, kernels, strict=True))
    np.testing.assert_allclose(np.array(got.tolist(), dtype=float), want, atol=1e-12)


def test_dilate_and_rotate():
    d = symbolic.delta_symbols(2)
    spread = symbolic.dilate(d, 3)
    assert spread.shape == (4, 4) and spread[0, 3] == d[0, 1] and spread[1, 1] == 0
    W = symbolic.filter_symbols(3)
    assert symbolic.rotate180(W)[0, 0] == W[2, 2] and symbolic.rotate180(W)[0, 1] == W[2, 1]


# ---------------------------------------------------------------- gradient identities, proved symbolically


@pytest.mark.parametrize("n, k, stride, padding", [
    (3, 2, 1, 0), (4, 2, 1, 0), (5, 3, 1, 0),       # the sizes named in the issue
    (5, 3, 2, 0), (4, 2, 2, 0), (6, 3, 2, 0),       # stride 2, including a last window that stops short
    (3, 2, 1, 1), (5, 3, 1, 1), (4, 3, 2, 1),       # padding 1
    (5, 2, 3, 2), (1, 3, 1, 1),                      # stride 3; padding wider than the image
])
def test_formulas_equal_direct_differentiation(n, k, stride, padding):
    result = symbolic.prove_gradients(n, k, stride, padding)
    assert result["proved"], result
    assert result["dW"] == (k * k, k * k) and result["dI"] == (n * n, n * n) and result["db"] == (1, 1)


@settings(max_examples=12, deadline=None)
@given(geometry())
def test_formulas_equal_direct_differentiation_for_random_geometry(shape):
    assert symbolic.prove_gradients(*shape)["proved"]


def test_the_proof_can_fail_flip_twice_is_caught():
    """Flipping W *and* convolving (a flip twice) gives a wrong ∂L/∂I, and the proof machinery says so."""
    I, W, d = symbolic.image_symbols(3), symbolic.filter_symbols(2), symbolic.delta_symbols(2)
    direct = symbolic.direct_gradient(symbolic.correlate(I, W), I, d)
    flipped_twice = symbolic.convolve(d, symbolic.rotate180(W), padding=1)   # = correlate(δ, W, full)
    assert not all(symbolic.is_zero(a - b) for a, b in zip(direct, flipped_twice, strict=True))
    right = symbolic.input_gradient(W, d)
    assert all(symbolic.is_zero(a - b) for a, b in zip(direct, right, strict=True))


def test_direct_gradient_of_a_known_loss_matches_hand_derivative():
    """With a concrete L the unknown-function machinery must give the ordinary derivative."""
    I, W = symbolic.image_symbols(3), symbolic.filter_symbols(2)
    O = symbolic.correlate(I, W)
    loss = sum((o - 1) ** 2 for o in O)
    delta = O.applyfunc(lambda o: 2 * (o - 1))
    via_formula = symbolic.filter_gradient(I, delta)
    direct = W.applyfunc(lambda w: sp.diff(loss, w))
    assert all(sp.expand(a - b) == 0 for a, b in zip(via_formula, direct, strict=True))


# ---------------------------------------------------------------- gradients in numbers: central differences


@settings(max_examples=25, deadline=None)
@given(geometry(), st.integers(0, 2**32 - 1))
def test_gradients_match_central_differences(shape, seed):
    """L = Σ sin(O): δ = cos(O); compare the formulas in numbers with NumPy central differences."""
    n, k, stride, padding = shape
    rng = np.random.default_rng(seed)
    image, kernel = rng.normal(size=(n, n)), rng.normal(size=(k, k))

    def loss(a, w):
        return np.sin(numpy_correlate(a, w, stride, padding)).sum()

    delta = np.cos(numpy_correlate(image, kernel, stride, padding))
    dW = symbolic.filter_gradient(sp.Matrix(image), sp.Matrix(delta), stride, padding, filter_size=k)
    dI = symbolic.input_gradient(sp.Matrix(kernel), sp.Matrix(delta), stride, padding, image_size=n)
    eps = 1e-6
    for target, formula in ((kernel, dW), (image, dI)):
        numeric_grad = np.zeros_like(target)
        for index in np.ndindex(target.shape):
            saved = target[index]
            target[index] = saved + eps
            up = loss(image, kernel)
            target[index] = saved - eps
            down = loss(image, kernel)
            target[index] = saved
            numeric_grad[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(np.array(formula.tolist(), dtype=float), numeric_grad, rtol=1e-6, atol=1e-7)


def test_bias_gradient_is_the_sum_of_delta():
    d = symbolic.delta_symbols(3)
    assert sp.expand(symbolic.bias_gradient(d) - sum(d)) == 0


# ---------------------------------------------------------------- bad input


I3, W2 = symbolic.image_symbols(3), symbolic.filter_symbols(2)


@pytest.mark.parametrize("args, kwargs, words", [
    ((I3, symbolic.filter_symbols(4)), {}, ["filter W", "4×4", "3×3"]),
    ((I3, symbolic.filter_symbols(6)), {"padding": 1}, ["filter W", "6×6", "padding 1", "5×5"]),
    ((sp.Matrix(2, 3, range(6)), W2), {}, ["I", "2×3"]),
    ((I3, sp.Matrix(2, 1, [1, 2])), {}, ["W", "2×1"]),
    (([[1, 2], [3, 4]], W2), {}, ["I", "SymPy Matrix", "list"]),
    ((I3, np.ones((2, 2))), {}, ["W", "SymPy Matrix", "ndarray"]),
    ((I3, W2), {"stride": 0}, ["stride", "0"]),
    ((I3, W2), {"stride": 1.5}, ["stride", "1.5"]),
    ((I3, W2), {"padding": -1}, ["padding", "-1"]),
    ((I3, W2), {"padding": 0.5}, ["padding", "0.5"]),
])
def test_bad_input_raises_value_error_naming_argument_and_sizes(args, kwargs, words):
    with pytest.raises(ValueError) as error:
        symbolic.correlate(*args, **kwargs)
    for word in words:
        assert word in str(error.value), (word, str(error.value))


def test_gradient_formulas_reject_a_delta_of_the_wrong_shape():
    with pytest.raises(ValueError, match="delta.*2×2.*3×3"):
        symbolic.filter_gradient(I3, symbolic.delta_symbols(3), filter_size=2)
    with pytest.raises(ValueError, match="delta"):
        symbolic.input_gradient(W2, symbolic.delta_symbols(2), image_size=5)


def test_builders_reject_bad_sizes():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n"):
            symbolic.image_symbols(bad)


# ---------------------------------------------------------------- exercise checkers


# ---------------------------------------------------------------- smaller pieces


def test_direct_gradient_handles_an_output_that_is_a_bare_symbol():
    x, y = sp.symbols("x y")
    O = sp.Matrix([[x, x * y], [y, 2 * x]])
    d = symbolic.delta_symbols(2)
    grad = symbolic.direct_gradient(O, sp.Matrix([[x, y]]), d)
    assert sp.expand(grad[0, 0] - (d[0, 0] + y * d[0, 1] + 2 * d[1, 1])) == 0
    assert sp.expand(grad[0, 1] - (x * d[0, 1] + d[1, 0])) == 0


def test_channel_lists_are_checked():
    with pytest.raises(ValueError, match="1 images and 2 filters"):
        symbolic.correlate_channels([I3], [W2, W2])
    with pytest.raises(ValueError, match="lists"):
        symbolic.correlate_channels(I3, W2)


def test_latex_helpers():
    text = symbolic.latex_equations(symbolic.output_symbols(2), symbolic.correlate(I3, W2))
    assert text.count("&=") == 4 and "o_{11}" in text and "I_{11} W_{11}" in text
    grad = symbolic.latex_gradient(symbolic.filter_gradient(I3, symbolic.delta_symbols(2)), "W")
    assert r"\partial W_{12}" in grad and r"I_{13} \delta_{12}" in grad
    assert symbolic.latex_row([("O", 1), (r"\delta", 2)]) == r"O = 1,\qquad \delta = 2"
    with pytest.raises(ValueError, match="same shape"):
        symbolic.latex_equations(symbolic.output_symbols(2), I3)


def test_grids_figure_draws_every_value_with_its_sign():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = symbolic.grids_figure([("image I", [[1, -2], [0, 3]], (0, 0, 1)), ("W", sp.Matrix([[5]]), None)], "t")
    try:
        image_axes = [ax for ax in fig.axes if ax.get_title() in ("image I", "W")]
        assert len(image_axes) == 2 and fig._suptitle.get_text() == "t"
        texts = [t.get_text() for t in image_axes[0].texts]
        assert texts == ["+1", "−2", "0", "+3"]
        assert image_axes[0].get_xlabel() == "column" and image_axes[0].get_ylabel() == "row"
        assert len(fig.axes) == 4                       # a colorbar for each panel
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="2-D"):
        symbolic.grids_figure([("bad", [1, 2, 3], None)], "t")




def test_proof_table_has_one_row_per_case_with_prove_gradients_counts():
    cases = [(3, 2, 1, 0), (4, 3, 2, 0)]
    table = symbolic.proof_table(cases).splitlines()
    assert len(table) == 2 + len(cases)
    for line, case in zip(table[2:], cases, strict=True):
        r = symbolic.prove_gradients(*case)
        n, k, stride, padding = case
        assert line == (f"| {n}×{n} | {k}×{k} | {stride} | {padding} | {r['dW'][0]} of {r['dW'][1]} | "
                        f"{r['dI'][0]} of {r['dI'][1]} | {r['db'][0]} of {r['db'][1]} | ✔ |")
    with pytest.raises(ValueError, match="cases"):
        symbolic.proof_table([(3, 2, 1, 0), (12, 3, 1, 0)])   # the second is refused before the first runs
    with pytest.raises(ValueError, match="cases"):
        symbolic.proof_table("3, 2, 1, 0")
