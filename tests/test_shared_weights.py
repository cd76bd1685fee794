"""helpers.derive.shared_weights: M(W) against correlate, Mᵀδ and Σ-over-copies against the gradient formulas;
im2col/col2im against helpers.nn.conv and the adjoint identity ⟨cols(I), D⟩ = ⟨I, col2im(D)⟩."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402

from helpers.derive import shared_weights as sw  # noqa: E402
from helpers.derive import symbolic  # noqa: E402
from helpers.nn.conv import conv2d  # noqa: E402

CASES = [(3, 2, 1, 0), (4, 2, 1, 0), (4, 3, 2, 0), (5, 2, 2, 0), (3, 2, 1, 1), (4, 2, 2, 1)]  # (n, k, s, p)


@pytest.mark.parametrize("n, k, stride, padding", CASES)
def test_matrix_times_image_is_the_correlation(n, k, stride, padding):
    I, W = symbolic.image_symbols(n), symbolic.filter_symbols(k)
    M = sw.conv_matrix(W, n, stride, padding)
    m = symbolic.output_size(n, k, stride, padding)
    assert M.shape == (m * m, n * n)
    O = symbolic.correlate(I, W, stride, padding)
    assert sp.expand(M * sp.Matrix(list(I)) - sp.Matrix(list(O))) == sp.zeros(m * m, 1)


@pytest.mark.parametrize("n, k, stride, padding", CASES)
def test_transpose_gives_input_gradient_and_copies_give_filter_gradient(n, k, stride, padding):
    I, W = symbolic.image_symbols(n), symbolic.filter_symbols(k)
    m = symbolic.output_size(n, k, stride, padding)
    delta = symbolic.delta_symbols(m)
    M = sw.conv_matrix(W, n, stride, padding)
    dI = (M.T * sp.Matrix(list(delta))).reshape(n, n)
    expected_dI = symbolic.input_gradient(W, delta, stride, padding, image_size=n)
    assert sp.expand(dI - expected_dI) == sp.zeros(n, n)
    copies = sw.weight_copies(M, W)
    dW = sp.Matrix(k, k, lambda i, j: sum((delta[row] * I[column] for row, column in copies[(i, j)]),
                                         sp.Integer(0)))
    expected_dW = symbolic.filter_gradient(I, delta, stride, padding, filter_size=k)
    assert sp.expand(dW - expected_dW) == sp.zeros(k, k)


def test_weight_copies_of_the_two_by_two_on_three_by_three():
    W = symbolic.filter_symbols(2)
    copies = sw.weight_copies(sw.conv_matrix(W, 3), W)
    assert {key: len(v) for key, v in copies.items()} == {(0, 0): 4, (0, 1): 4, (1, 0): 4, (1, 1): 4}
    assert copies[(0, 0)] == [(0, 0), (1, 1), (2, 3), (3, 4)]        # W11 meets I11, I12, I21, I22
    padded = sw.weight_copies(sw.conv_matrix(W, 3, padding=1), W)
    assert all(len(v) == 9 for v in padded.values())                 # 16 outputs, 7 read padding per weight


def test_numeric_filter_gives_a_numeric_matrix():
    M = sw.conv_matrix(sp.Matrix([[1, 0], [-1, 2]]), 3)
    image = np.array([[2, -1, 0], [1, 3, -2], [0, 1, 1]])
    assert list(M * sp.Matrix(image.ravel())) == [7, -8, 3, 4]


@pytest.mark.parametrize("n, k, stride", [(4, 2, 1), (5, 3, 1), (5, 2, 2), (7, 3, 2), (4, 3, 2)])
def test_window_matrix_and_col2im(n, k, stride):
    rng = np.random.default_rng(n * 10 + k + stride)
    image, kernel = rng.standard_normal((n, n)), rng.standard_normal((k, k))
    cols = sw.window_matrix(image, k, stride)
    m = sw.window_count(n, k, stride)
    assert cols.shape == (m * m, k * k)
    expected = conv2d(image[None, None], kernel[None, None], np.zeros(1), stride)[0, 0]
    np.testing.assert_allclose((cols @ kernel.ravel()).reshape(m, m), expected, rtol=1e-12, atol=1e-12)
    dcols = rng.standard_normal(cols.shape)
    back = sw.col2im(dcols, n, k, stride)
    assert np.sum(cols * dcols) == pytest.approx(np.sum(image * back))      # col2im is im2col's transpose


def test_col2im_counts_copies_and_leaves_unread_pixels_at_zero():
    ones = np.ones((9, 4))
    np.testing.assert_array_equal(sw.col2im(ones, 4, 2), [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    skipped = sw.col2im(np.ones((1, 9)), 4, 3, stride=2)                    # (4 − 3) // 2 + 1 = 1 window
    assert skipped[3].sum() == 0 and skipped[:, 3].sum() == 0 and skipped[:3, :3].sum() == 9


def test_figures_show_each_weight_and_every_copy():
    fig, M = sw.conv_matrix_figure(symbolic.filter_symbols(2), 3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert M.shape == (4, 9) and texts.count("W11") == 4 and texts.count("0") == 20
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["W11: 4 copies", "W12: 4 copies", "W21: 4 copies", "W22: 4 copies"]
    plt.close(fig)
    fig, image, cols, copies = sw.im2col_figure(4, 2)
    assert image.tolist()[0] == [1, 2, 3, 4] and cols.shape == (9, 4) and copies.sum() == cols.size
    assert "36 entries for 16 pixels" in fig.axes[1].get_title()
    plt.close(fig)


@pytest.mark.parametrize("call, name", [
    (lambda: sw.conv_matrix(np.ones((2, 2)), 3), "W"),
    (lambda: sw.conv_matrix(symbolic.filter_symbols(2), 0), "n"),
    (lambda: sw.conv_matrix(symbolic.filter_symbols(2), 3, stride=0), "stride"),
    (lambda: sw.conv_matrix(symbolic.filter_symbols(4), 3), "W"),
    (lambda: sw.weight_copies(sp.ones(4, 9), sp.Matrix([[1, 2], [3, 4]])), "W"),
    (lambda: sw.weight_copies("M", symbolic.filter_symbols(2)), "M"),
    (lambda: sw.window_count(3, 4), "k"),
    (lambda: sw.col2im(np.ones((9, 4)), 4, 2, stride=0), "stride"),
    (lambda: sw.conv_matrix_figure(symbolic.filter_symbols(2), 12), "n"),
    (lambda: sw.col2im(np.ones((4, 4)), 4, 2), "dcols"),
    (lambda: sw.window_count(4, 2, stride=1.5), "stride"),
    (lambda: sw.conv_matrix_figure(symbolic.filter_symbols(4), 5), "W"),
    (lambda: sw.im2col_figure(n=20, k=2), "n"),
])
def test_bad_arguments_name_themselves(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_batch_timing_figure_draws_total_and_per_image_and_names_a_wrong_argument():
    import matplotlib.pyplot as plt

    from helpers.derive.shared_weights import batch_timing_figure

    sizes, timings = [1, 2, 4], {"a": [1e-3, 1.5e-3, 2e-3], "b": [2e-3, 2e-3, 4e-3]}
    fig = batch_timing_figure(sizes, timings, 0.01)
    total, each = fig.axes
    loops, a_total, b_total = total.get_lines()
    np.testing.assert_allclose(loops.get_ydata(), [10, 20, 40])                 # N × one image, in ms
    np.testing.assert_allclose(b_total.get_ydata(), [2, 2, 4])
    np.testing.assert_allclose(each.get_lines()[0].get_ydata(), [1000, 750, 500])   # µs per image
    plt.close(fig)
    with pytest.raises(ValueError, match="timings"):
        batch_timing_figure(sizes, {"a": [1e-3]}, 0.01)
    with pytest.raises(ValueError, match="batch_sizes"):
        batch_timing_figure([0, 1, 2], timings, 0.01)
    with pytest.raises(ValueError, match="loops_one"):
        batch_timing_figure(sizes, timings, -1)
    with pytest.raises(TypeError, match="timings"):
        batch_timing_figure(sizes, [1, 2, 3], 0.01)
