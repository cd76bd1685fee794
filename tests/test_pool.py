"""Max-pooling checked three ways: an independent loops implementation written here, central finite
differences away from ties, and the subgradient property at ties; plus ReLU, the exercise checkers
and the stepping widget (headless)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.nn.layers import relu, relu_backward
from helpers.nn.pool import maxpool2d, maxpool2d_backward
from helpers.widgets.pool_stepper import EXAMPLES, PoolStepper


# --- an independent implementation: plain loops over every window ------------------------------
def loops_maxpool(x, size, stride):
    n, c, h, w = x.shape
    out_h, out_w = (h - size) // stride + 1, (w - size) // stride + 1
    y = np.empty((n, c, out_h, out_w))
    for b in range(n):
        for ch in range(c):
            for r in range(out_h):
                for col in range(out_w):
                    best = -np.inf
                    for i in range(size):
                        for j in range(size):
                            best = max(best, x[b, ch, r * stride + i, col * stride + j])
                    y[b, ch, r, col] = best
    return y


def loops_backward(dy, x, size, stride, ties):
    n, c, h, w = x.shape
    dx = np.zeros(x.shape)
    for b in range(n):
        for ch in range(c):
            for r in range(dy.shape[2]):
                for col in range(dy.shape[3]):
                    cells = [(r * stride + i, col * stride + j) for i in range(size) for j in range(size)]
                    best = max(x[b, ch, p, q] for p, q in cells)
                    winners = [(p, q) for p, q in cells if x[b, ch, p, q] == best]
                    if ties == "first":
                        winners, share = winners[:1], dy[b, ch, r, col]
                    elif ties == "split":
                        share = dy[b, ch, r, col] / len(winners)
                    else:
                        share = dy[b, ch, r, col]
                    for p, q in winners:
                        dx[b, ch, p, q] += share
    return dx


CASES = [((2, 3, 4, 4), 2, None), ((1, 2, 5, 5), 2, None), ((1, 1, 6, 6), 2, 2), ((2, 1, 5, 5), 3, 1),
         ((1, 2, 7, 6), 3, 2), ((1, 1, 6, 7), 2, 3), ((1, 1, 4, 4), 1, 1), ((1, 1, 3, 5), 3, None)]


@pytest.mark.parametrize("shape,size,stride", CASES)
def test_forward_matches_loops(shape, size, stride):
    x = np.random.default_rng(1).standard_normal(shape)
    np.testing.assert_array_equal(maxpool2d(x, size, stride), loops_maxpool(x, size, stride or size))


@pytest.mark.parametrize("ties", ["first", "split", "all"])
@pytest.mark.parametrize("shape,size,stride", CASES)
def test_backward_matches_loops_with_many_ties(shape, size, stride, ties):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 3, size=shape).astype(float)  # small integers: ties in most windows
    y = maxpool2d(x, size, stride)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(maxpool2d_backward(dy, x, size, stride, ties),
                               loops_backward(dy, x, size, stride or size, ties), atol=1e-12)


def central_differences(loss, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        bump = np.zeros_like(x)
        bump[index] = eps
        grad[index] = (loss(x + bump) - loss(x - bump)) / (2 * eps)
    return grad


@pytest.mark.parametrize("ties", ["first", "split", "all"])
@pytest.mark.parametrize("shape,size,stride", CASES)
def test_finite_differences_away_from_ties(shape, size, stride, ties):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)  # continuous random values: no ties, gaps far above eps
    dy = rng.standard_normal(maxpool2d(x, size, stride).shape)
    numeric = central_differences(lambda v: np.sum(dy * maxpool2d(v, size, stride)), x)
    analytic = maxpool2d_backward(dy, x, size, stride, ties)
    assert np.max(np.abs(numeric - analytic)) < 1e-7


def test_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 9, 8))
    for size, stride in [(2, 2), (3, 1), (3, 2)]:
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.functional.max_pool2d(xt, size, stride)
        dy = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(dy))
        np.testing.assert_allclose(maxpool2d(x, size, stride), yt.detach().numpy())
        np.testing.assert_allclose(maxpool2d_backward(dy, x, size, stride), xt.grad.numpy(), atol=1e-12)


def test_first_rule_matches_torch_at_ties():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).integers(0, 2, size=(2, 3, 6, 6)).astype(float)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(maxpool2d_backward(np.ones((2, 3, 3, 3)), x, 2, ties="first"), xt.grad.numpy())


# --- ties: the subgradient property ---------------------------------------------------------------
TIE_INPUTS = [np.full((1, 1, 4, 4), 0.1),                                     # blank background
              np.array([[[[3., 3., 1., 2.], [1., 0., 2., 2.], [5., 5., 0., 1.], [5., 5., 1., 0.]]]])]


@pytest.mark.parametrize("x", TIE_INPUTS)
@pytest.mark.parametrize("ties", ["first", "split"])
def test_subgradient_inequality_at_ties(x, ties):
    """L(x) = Σ δ·maxpool(x) with δ ≥ 0 is convex; g is a subgradient iff L(x + h) ≥ L(x) + ⟨g, h⟩ for all h."""
    rng = np.random.default_rng(6)
    dy = rng.uniform(0.5, 2.0, size=(1, 1, 2, 2))
    loss = lambda v: np.sum(dy * maxpool2d(v, 2))  # noqa: E731
    g = maxpool2d_backward(dy, x, 2, ties=ties)
    for _ in range(300):
        h = rng.standard_normal(x.shape) * rng.choice([1e-3, 1.0])
        assert loss(x + h) >= loss(x) + np.sum(g * h) - 1e-12


@pytest.mark.parametrize("x", TIE_INPUTS)
def test_copy_to_all_violates_the_subgradient_inequality(x):
    dy = np.ones((1, 1, 2, 2))
    loss = lambda v: np.sum(dy * maxpool2d(v, 2))  # noqa: E731
    g = maxpool2d_backward(dy, x, 2, ties="all")
    h = 1e-3 * (g > 0)  # push every tied entry up together: each window's max rises by 1e-3, not by 4e-3
    assert loss(x + h) < loss(x) + np.sum(g * h)


@pytest.mark.parametrize("ties", ["first", "split"])
def test_each_window_routes_a_convex_combination(ties):
    """Clarke subdifferential of max: weights ≥ 0 on the tied maxima only, summing to 1 (times δ)."""
    x = np.random.default_rng(7).integers(0, 3, size=(2, 2, 6, 6)).astype(float)
    g = maxpool2d_backward(np.ones((2, 2, 3, 3)), x, 2, ties=ties)
    for b, ch, r, c in np.ndindex(2, 2, 3, 3):
        window = x[b, ch, 2 * r:2 * r + 2, 2 * c:2 * c + 2]
        weights = g[b, ch, 2 * r:2 * r + 2, 2 * c:2 * c + 2]
        assert np.all(weights >= 0)
        assert np.all(weights[window < window.max()] == 0)
        assert np.isclose(weights.sum(), 1.0)


@pytest.mark.parametrize("ties,expected", [("first", 1.0), ("split", 1.0), ("all", 4.0)])
def test_bias_gradient_per_window_on_blank_background(ties, expected):
    """Every pixel = conv output + b, so ∂L/∂b = Σ ∂L/∂I; the true derivative is 1 per window."""
    b = 0.1
    x = np.full((1, 1, 4, 4), b)
    dx = maxpool2d_backward(np.ones((1, 1, 2, 2)), x, 2, ties=ties)
    for r, c in np.ndindex(2, 2):
        assert dx[0, 0, 2 * r:2 * r + 2, 2 * c:2 * c + 2].sum() == expected
    # the truth, by moving b itself: L(b) = Σ max(window of b's) = 4b, so dL/db = 4 (1 per window)
    eps = 1e-6
    true_db = (np.sum(maxpool2d(x + eps, 2)) - np.sum(maxpool2d(x - eps, 2))) / (2 * eps)
    assert np.isclose(true_db, 4.0)
    assert np.isclose(dx.sum(), 4.0) == (ties != "all")


def test_central_difference_on_one_tied_entry_is_half_and_directional_check_agrees():
    x = np.array([[[[3., 3.], [1., 0.]]]])
    eps = 1e-5
    one = np.zeros_like(x)
    one[0, 0, 0, 0] = eps
    single = (maxpool2d(x + one, 2) - maxpool2d(x - one, 2)).item() / (2 * eps)
    assert np.isclose(single, 0.5)
    direction = (x == x.max()).astype(float)  # move both tied entries together
    along = (maxpool2d(x + eps * direction, 2) - maxpool2d(x - eps * direction, 2)).item() / (2 * eps)
    for ties in ("first", "split"):
        g = maxpool2d_backward(np.ones((1, 1, 1, 1)), x, 2, ties=ties)
        assert np.isclose(along, np.sum(g * direction))
    assert not np.isclose(along, np.sum(maxpool2d_backward(np.ones((1, 1, 1, 1)), x, 2, ties="all") * direction))


def test_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0  # the centre sits in all four 2×2 windows of stride 1
    dy = np.array([[[[1., 2.], [3., 4.]]]])
    dx = maxpool2d_backward(dy, x, 2, 1)
    assert dx[0, 0, 1, 1] == 10.0 and dx.sum() == 10.0


def test_floor_mode_drops_trailing_rows_and_columns():
    x = np.random.default_rng(8).standard_normal((1, 1, 5, 5)) + 10
    x[0, 0, 4, :] = 100.0  # large, but in no window
    x[0, 0, :, 4] = 100.0
    assert maxpool2d(x, 2).shape == (1, 1, 2, 2)
    assert maxpool2d(x, 2).max() < 100
    dx = maxpool2d_backward(np.ones((1, 1, 2, 2)), x, 2)
    assert np.all(dx[0, 0, 4, :] == 0) and np.all(dx[0, 0, :, 4] == 0)


def test_dtype_is_kept():
    x = np.random.default_rng(9).standard_normal((2, 3, 6, 6)).astype(np.float32)
    assert maxpool2d(x).dtype == np.float32
    assert maxpool2d_backward(np.ones((2, 3, 3, 3), np.float32), x).dtype == np.float32




# --- hypothesis ----------------------------------------------------------------------------------
@st.composite
def pooling_problems(draw):
    size = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    h = draw(st.integers(size, size + 4))
    w = draw(st.integers(size, size + 4))
    values = st.one_of(st.integers(-2, 2).map(float), st.floats(-1e3, 1e3, allow_nan=False, width=64))
    x = draw(hnp.arrays(np.float64, (1, 2, h, w), elements=values))
    return x, size, stride


@settings(max_examples=60, deadline=None)
@given(pooling_problems(), st.sampled_from(["first", "split", "all"]))
def test_property_matches_loops(problem, ties):
    x, size, stride = problem
    y = maxpool2d(x, size, stride)
    np.testing.assert_array_equal(y, loops_maxpool(x, size, stride))
    dy = np.arange(1.0, y.size + 1).reshape(y.shape)
    np.testing.assert_allclose(maxpool2d_backward(dy, x, size, stride, ties),
                               loops_backward(dy, x, size, stride, ties), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(pooling_problems(), st.sampled_from(["first", "split"]))
def test_property_gradient_is_conserved(problem, ties):
    """first and split hand each window exactly its δ: Σ dx = Σ dy (copy-to-all does not)."""
    x, size, stride = problem
    dy = np.ones(maxpool2d(x, size, stride).shape)
    assert np.isclose(maxpool2d_backward(dy, x, size, stride, ties).sum(), dy.sum())


@settings(max_examples=60, deadline=None)
@given(pooling_problems())
def test_property_relu_and_maxpool_commute(problem):
    x, size, stride = problem
    np.testing.assert_array_equal(relu(maxpool2d(x, size, stride)), maxpool2d(relu(x), size, stride))


# --- ReLU ----------------------------------------------------------------------------------------
def test_relu_backward_matches_finite_differences():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2, 3, 3))
    dy = rng.standard_normal(x.shape)
    numeric = central_differences(lambda v: np.sum(dy * relu(v)), x)
    np.testing.assert_allclose(relu_backward(dy, x), numeric, atol=1e-8)
    assert relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="dy"):
        relu_backward(np.ones(2), np.ones(3))


# --- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,argument", [
    (lambda: maxpool2d(np.ones((1, 1, 4, 4)), size=0), "size"),
    (lambda: maxpool2d(np.ones((1, 1, 4, 4)), size=2.0), "size"),
    (lambda: maxpool2d(np.ones((1, 1, 4, 4)), stride=0), "stride"),
    (lambda: maxpool2d(np.ones((1, 1, 4, 4)), size=5), "x"),
    (lambda: maxpool2d(np.ones((4, 4)), size=2), "x"),
    (lambda: maxpool2d(np.ones((1, 1, 1, 4, 4)), size=2), "x"),
    (lambda: maxpool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 4, 4)), ties="max"), "ties"),
    (lambda: maxpool2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4))), "dy"),
    (lambda: maxpool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 4, 4)), stride=-1), "stride"),
    (lambda: maxpool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 4, 4))), "x"),
])
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises((ValueError, TypeError), match=rf"^{argument}\b"):
        call()


# --- exercise checkers ---------------------------------------------------------------------------


# --- the stepping widget, headless ---------------------------------------------------------------
def test_widget_steps_through_windows():
    w = PoolStepper()
    assert "course-pool-stepper" in w._dom_classes
    assert w.window_origin == (0, 0) and w.receivers == {(1, 0): 1.0}
    assert "Window 1 of 4" in w.readout.value and "∂L/∂I21 += +1" in w.readout.value
    w.slider.value = 2
    assert w.window_origin == (0, 2) and w.receivers == {(1, 3): -2.0}
    assert "∂L/∂I24 += −2" in w.readout.value
    assert w.grids.value.count("in-window") == 4 + 1 + 4 and w.grids.value.count("'receiver") == 1
    w.next_button.click()
    assert w.slider.value == 3 and w.receivers == {(3, 0): 0.5}
    w.next_button.click()
    w.next_button.click()  # stays at the last window
    assert w.slider.value == 4
    np.testing.assert_array_equal(w.grad_so_far, loops_backward(w.dy[None, None], w.x[None, None], 2, 2,
                                                                "first")[0, 0])
    w.prev_button.click()
    assert w.slider.value == 3 and w.grad_so_far[2, 2] == 0  # window 4's winner not yet filled in


def test_widget_overlapping_windows_accumulate():
    w = PoolStepper(example="5×5 → 3×3 (overlapping 3×3 windows, stride 1)")
    assert w.slider.max == 9
    w.slider.value = 5
    assert w.grad_so_far[1, 1] == 4.0  # the 9 wins windows 1, 2, 4 and 5
    w.slider.value = 9
    np.testing.assert_array_equal(w.grad_so_far, loops_backward(w.dy[None, None], w.x[None, None], 3, 1,
                                                                "first")[0, 0])


@pytest.mark.parametrize("rule,routed,total", [("first", 1, 4.0), ("split", 4, 4.0), ("all", 4, 16.0)])
def test_widget_blank_background_and_tie_rules(rule, routed, total):
    w = PoolStepper()
    w.example.value = next(name for name in EXAMPLES if name.startswith("blank"))
    w.rule.value = rule
    w.slider.value = 4
    assert len(w.tied) == 4 and len(w.receivers) == routed
    assert w.bias_grad_so_far == total
    assert ("NOT equal" in w.readout.value) == (rule == "all")


def test_widget_typed_tie_and_malformed_entries():
    w = PoolStepper()
    w.values_text.value = "1 3 2 0, 3 2 1 5, 0 1 6 2, 2 1 3 4"  # two 3s tie in window 1
    assert w.tied == [(0, 1), (1, 0)] and w.receivers == {(0, 1): 1.0}
    w.rule.value = "split"
    assert w.receivers == {(0, 1): 0.5, (1, 0): 0.5}
    before = w.x.copy()
    w.values_text.value = "1, 2, x"  # not a number: a message, not a traceback
    assert "not a number" in w.message.value and np.array_equal(w.x, before)
    w.upstream_text.value = "1 2 3"  # wrong count
    assert "expected 4 numbers" in w.message.value
    w.upstream_text.value = "1 1 1 1"
    w.values_text.value = "1 3 2 0, 3 2 1 5, 0 1 6 2, 2 1 3 4"
    assert "applied" in w.message.value and w.dy.sum() == 4


