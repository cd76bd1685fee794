"""helpers.study.signs, helpers.widgets.signs and helpers.exercises.signs.

Every gradient is checked three ways: against SymPy (the expression is built here, from scratch),
against central finite differences, and against an independent implementation written below
(an explicit patch matrix P with o = P·w + b, so ∂L/∂w = Pᵀ·δ).
"""
import html

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.study import signs
from helpers.widgets.signs import PRESETS, SignsExplorer, glyph_grid

RNG = np.random.default_rng(20261124)


# ---------------------------------------------------------------- independent implementation
def patch_matrix(image, kh, kw):
    """P (OH·OW, kh·kw): row r = the image patch that output r reads, in row-major order."""
    height, width = image.shape
    rows = []
    for m in range(height - kh + 1):
        for n in range(width - kw + 1):
            rows.append([image[m + i, n + j] for i in range(kh) for j in range(kw)])
    return np.array(rows)


def reference_gradients(image, weights, bias, v, target, relu=False, decay=0.0):
    """The model once more, per image, through P: o = P w + b; δ = (y − t) v gate / #outputs / N."""
    images = image if image.ndim == 3 else image[None]
    targets = np.broadcast_to(np.asarray(target, dtype=float), (len(images),))
    kh, kw = weights.shape
    grad_w = np.zeros(kh * kw)
    grad_b = 0.0
    total = 0.0
    for img, t in zip(images, targets, strict=True):
        P = patch_matrix(img, kh, kw)
        o = P @ weights.ravel() + bias
        a = np.where(o > 0, o, 0.0) if relu else o
        y = v * a.sum() / len(o)
        gate = (o > 0).astype(float) if relu else np.ones_like(o)
        delta = (y - t) * v * gate / len(o) / len(images)
        grad_w += P.T @ delta
        grad_b += delta.sum()
        total += 0.5 * (y - t) ** 2 / len(images)
    return grad_w.reshape(kh, kw) + decay * weights, grad_b, total + 0.5 * decay * np.sum(weights ** 2)


def central_difference(f, x, h=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (f(up) - f(down)) / (2 * h)
    return grad


def random_example(relu, batch=None, size=(3, 3), kernel=(2, 2)):
    """Numbers with every pre-activation at least 0.05 away from the ReLU's kink."""
    while True:
        shape = size if batch is None else (batch,) + size
        image = RNG.normal(size=shape)
        weights = RNG.normal(size=kernel)
        bias, v = float(RNG.normal()), float(RNG.normal())
        target = RNG.normal(size=() if batch is None else (batch,))
        o, _, _ = signs.forward(image, weights, bias, v, relu)
        if not relu or np.min(np.abs(o)) > 0.05:
            return image, weights, bias, v, target


# ---------------------------------------------------------------- SymPy
def sympy_gradients(image, weights, bias, v, target, relu, decay):
    I = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"I{i + 1}{j + 1}"))
    W = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"W{i + 1}{j + 1}"))
    b, vv, t, lam = sp.symbols("b v t lambda")
    outputs = [sum(I[m + i, n + j] * W[i, j] for i in range(2) for j in range(2)) + b
               for m in range(2) for n in range(2)]
    if relu:
        outputs = [sp.Max(0, o) for o in outputs]
    y = vv * sum(outputs) / 4
    L = sp.Rational(1, 2) * (y - t) ** 2 + lam / 2 * sum(w ** 2 for w in W)
    values = {I[i, j]: image[i, j] for i in range(3) for j in range(3)}
    values.update({W[i, j]: weights[i, j] for i in range(2) for j in range(2)})
    values.update({b: bias, vv: v, t: target, lam: decay})
    grad_w = np.array([[float(sp.diff(L, W[i, j]).subs(values)) for j in range(2)] for i in range(2)])
    return grad_w, float(sp.diff(L, b).subs(values)), float(L.subs(values))


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("decay", [0.0, 0.3])
def test_gradients_match_sympy(relu, decay):
    for _ in range(3):
        image, weights, bias, v, target = random_example(relu)
        want_w, want_b, want_loss = sympy_gradients(image, weights, bias, v, float(target), relu, decay)
        grad_w, grad_b, _ = signs.gradients(image, weights, bias, v, target, relu, decay)
        assert np.allclose(grad_w, want_w, rtol=1e-10, atol=1e-12)
        assert np.isclose(grad_b, want_b, rtol=1e-10, atol=1e-12)
        assert np.isclose(signs.loss(image, weights, bias, v, target, relu, decay), want_loss, rtol=1e-12)


def test_sympy_confirms_dL_dW_is_I_star_delta_term_by_term():
    """∂L/∂W_ij = Σ_mn I(i+m, j+n) δ_mn, with δ_mn = ∂L/∂o_mn left as unknown symbols."""
    I = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"I{i + 1}{j + 1}"))
    W = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"W{i + 1}{j + 1}"))
    o = sp.Matrix(2, 2, lambda m, n: sum(I[m + i, n + j] * W[i, j] for i in range(2) for j in range(2)))
    d = sp.Matrix(2, 2, lambda m, n: sp.Symbol(f"d{m + 1}{n + 1}"))
    L_linear = sum(d[m, n] * o[m, n] for m in range(2) for n in range(2))  # any L has this first-order term
    numbers = {s: float(RNG.normal()) for s in list(I) + list(d)}
    image = np.array([[numbers[I[i, j]] for j in range(3)] for i in range(3)])
    delta = np.array([[numbers[d[m, n]] for n in range(2)] for m in range(2)])
    mine = signs.backward(image, np.zeros((2, 2)), delta)[1]
    for i in range(2):
        for j in range(2):
            term = sp.diff(L_linear, W[i, j])
            assert sp.simplify(term - sum(I[i + m, j + n] * d[m, n] for m in range(2) for n in range(2))) == 0
            assert np.isclose(float(term.subs(numbers)), mine[i, j], rtol=1e-12)


# ---------------------------------------------------------------- central differences
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("batch", [None, 5])
@pytest.mark.parametrize("decay", [0.0, 0.2])
def test_gradients_match_central_differences(relu, batch, decay):
    image, weights, bias, v, target = random_example(relu, batch)
    grad_w, grad_b, _ = signs.gradients(image, weights, bias, v, target, relu, decay)
    numeric_w = central_difference(lambda w: signs.loss(image, w, bias, v, target, relu, decay), weights)
    numeric_b = central_difference(lambda b: signs.loss(image, weights, float(b), v, target, relu, decay), bias)
    assert np.allclose(grad_w, numeric_w, rtol=1e-6, atol=1e-8)
    assert np.isclose(grad_b, numeric_b, rtol=1e-6, atol=1e-8)


def test_gradients_other_sizes_match_central_differences():
    image, weights, bias, v, target = random_example(False, 3, size=(5, 4), kernel=(3, 2))
    grad_w, _, _ = signs.gradients(image, weights, bias, v, target)
    numeric = central_difference(lambda w: signs.loss(image, w, bias, v, target), weights)
    assert np.allclose(grad_w, numeric, rtol=1e-6, atol=1e-8)


def test_two_layer_gradients_match_central_differences():
    while True:
        x, w1, w2 = RNG.normal(size=(3, 4, 4)), RNG.normal(size=(2, 2)), RNG.normal(size=(2, 2))
        b1, b2, v = RNG.normal(size=3)
        target = RNG.normal(size=3)
        pre1 = signs.correlate_valid(x, w1) + b1
        pre2 = signs.correlate_valid(np.maximum(pre1, 0), w2) + b2
        if np.min(np.abs(pre1)) > 0.05 and np.min(np.abs(pre2)) > 0.05 and (pre2 > 0).any():
            break
    grads = signs.two_layer_gradients(x, w1, b1, w2, b2, v, target)

    def total(w1_, b1_, w2_, b2_):
        return signs.two_layer_gradients(x, w1_, float(b1_), w2_, float(b2_), v, target)["loss"]

    assert np.allclose(grads["w1"], central_difference(lambda p: total(p, b1, w2, b2), w1), rtol=1e-6, atol=1e-8)
    assert np.allclose(grads["w2"], central_difference(lambda p: total(w1, b1, p, b2), w2), rtol=1e-6, atol=1e-8)
    assert np.isclose(grads["b1"], central_difference(lambda p: total(w1, p, w2, b2), b1), rtol=1e-6, atol=1e-8)
    assert np.isclose(grads["b2"], central_difference(lambda p: total(w1, b1, w2, p), b2), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- independent implementation
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("batch", [None, 4])
def test_gradients_match_patch_matrix_implementation(relu, batch):
    for _ in range(5):
        image, weights, bias, v, target = random_example(relu, batch)
        want_w, want_b, want_loss = reference_gradients(image, weights, bias, v, target, relu, 0.1)
        grad_w, grad_b, _ = signs.gradients(image, weights, bias, v, target, relu, 0.1)
        assert np.allclose(grad_w, want_w, rtol=1e-12, atol=1e-14)
        assert np.isclose(grad_b, want_b, rtol=1e-12, atol=1e-14)
        assert np.isclose(signs.loss(image, weights, bias, v, target, relu, 0.1), want_loss, rtol=1e-12)


def test_correlate_valid_matches_the_written_out_formula():
    I = RNG.normal(size=(3, 3))
    W = RNG.normal(size=(2, 2))
    o = signs.correlate_valid(I, W)
    o11 = I[0, 0] * W[0, 0] + I[0, 1] * W[0, 1] + I[1, 0] * W[1, 0] + I[1, 1] * W[1, 1]
    o22 = I[1, 1] * W[0, 0] + I[1, 2] * W[0, 1] + I[2, 1] * W[1, 0] + I[2, 2] * W[1, 1]
    assert o.shape == (2, 2)
    assert np.isclose(o[0, 0], o11) and np.isclose(o[1, 1], o22)
    assert np.allclose(o.ravel(), patch_matrix(I, 2, 2) @ W.ravel())


def test_input_grad_is_the_transpose_of_the_forward_map():
    delta, W = RNG.normal(size=(2, 2)), RNG.normal(size=(2, 2))
    # o = P(W) · vec(I) with P(W) built by the patch matrix of unit images; dI = P(W)ᵀ δ
    columns = [signs.correlate_valid(np.eye(9)[k].reshape(3, 3), W).ravel() for k in range(9)]
    forward_matrix = np.array(columns).T  # (4, 9)
    assert np.allclose(signs.backward(np.zeros((3, 3)), W, delta)[0].ravel(), forward_matrix.T @ delta.ravel())


# ---------------------------------------------------------------- the claims of notebook 05
@settings(max_examples=60, deadline=None)
@given(arrays(float, (3, 3), elements=st.floats(0, 5)),
       arrays(float, (2, 2), elements=st.floats(-2, 2)),
       st.floats(-2, 2), st.floats(-3, 3), st.floats(-3, 3), st.booleans())
def test_with_non_negative_input_all_four_updates_share_the_sign_of_minus_error_times_v(image, W, b, v, t, relu):
    grad_w, _, _ = signs.gradients(image, W, b, v, t, relu)
    _, _, y = signs.forward(image, W, b, v, relu)
    carrier = np.sign((y - t) * v)
    # the ReLU gate may zero a term, never flip one
    assert np.all((np.sign(grad_w) == carrier) | (grad_w == 0))


def test_relu_gate_only_removes_terms():
    image = np.array([[1.0, -2.0, 0.5], [0.3, 1.0, -1.0], [2.0, 0.0, 1.0]])
    W = np.array([[0.5, 0.4], [-0.3, 0.2]])
    o, _, _ = signs.forward(image, W, 0.0, 1.0, relu=True)
    gated = signs.upstream_grad(image, W, 0.0, 1.0, 3.0, relu=True)
    assert (o <= 0).any() and (o > 0).any(), "the example must have an open and a closed gate"
    assert np.all(gated[o <= 0] == 0)
    assert np.all(np.sign(gated[o > 0]) == -1)  # y < t and v > 0: every open δ is negative


def test_relu_derivative_at_zero_is_taken_as_zero():
    # o = 0 exactly at every output (zero image, zero bias): the documented convention ReLU'(0) = 0 closes every gate
    delta = signs.upstream_grad(np.zeros((3, 3)), np.ones((2, 2)), 0.0, 1.0, 5.0, relu=True)
    assert np.all(delta == 0) and not np.signbit(delta).any()
    assert np.all(signs.upstream_grad(np.zeros((3, 3)), np.ones((2, 2)), 0.0, 1.0, 5.0, relu=False) == -1.25)


def test_big_learning_rate_alternates_the_direction():
    image = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [1.0, 2.0, 0.0]])
    history = signs.train(image, np.full((2, 2), 0.1), 0.0, 1.0, 2.0, lr=0.15, steps=4)
    moves = signs.move_signs(history["weights"][:-1], history["weights"][1:])
    per_step = moves.reshape(4, -1)
    assert np.all(per_step[:, :1] == per_step)  # all four weights move together each step
    assert list(per_step[:, 0]) == [1, -1, 1, -1]
    assert history["loss"][-1] < history["loss"][0]  # overshooting, yet converging


def test_positive_filter_crosses_zero_and_loss_falls():
    image = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [1.0, 2.0, 0.0]])
    history = signs.train(image, np.array([[0.5, 0.4], [0.3, 0.6]]), 0.0, 1.0, 0.3, lr=0.05, steps=60, relu=True)
    assert np.all(history["weights"][0] > 0) and (history["weights"][-1] < 0).any()
    assert history["loss"][-1] < 1e-6 * history["loss"][0]


def test_input_inversion_mirrors_training_exactly():
    image, weights, bias, v, target = random_example(False, 4)
    for relu, decay in [(False, 0.0), (True, 0.1)]:
        plain = signs.train(image, weights, bias, v, target, 0.3, 25, relu, decay)
        flipped = signs.train(-image, -weights, bias, v, target, 0.3, 25, relu, decay)
        assert np.allclose(flipped["weights"], -plain["weights"])
        assert np.allclose(flipped["bias"], plain["bias"])


def test_weight_decay_pulls_toward_zero_from_both_sides():
    image = np.ones((3, 3))
    W = np.array([[0.8, -0.6], [0.3, -0.1]])
    bias = 0.0
    target = signs.forward(image, W, bias, 1.0)[2]  # the data are already fitted: δ = 0
    _, _, update = signs.sgd_step(image, W, bias, 1.0, target, lr=0.5, weight_decay=0.2)
    assert np.allclose(update, -0.5 * 0.2 * W)
    assert np.all(np.sign(update) == -np.sign(W))


def test_two_layer_relu_counterexample_from_notebook_05():
    strokes = np.zeros((4, 4, 4))
    strokes[0][:, 1] = strokes[1][1, :] = strokes[2][:, 2] = strokes[3][2, :] = 1
    w1, w2 = np.array([[0.4, 0.6], [0.5, 0.1]]), np.array([[0.5, 0.1], [0.5, 0.2]])
    history = signs.train_two_layer(strokes, w1, 0.0, w2, 0.0, 1.0, np.array([1.0, 0.0, 1.0, 0.0]), 0.5, 300)
    assert np.all(history["w2"][0] > 0) and (history["w2"][-1] < 0).sum() >= 2
    assert history["loss"][-1] < 1e-4
    hidden = signs.two_layer_gradients(strokes, history["w1"][-1], history["b1"][-1], history["w2"][-1],
                                       history["b2"][-1], 1.0, 0.0)["hidden"]
    assert hidden.min() >= 0  # the second layer's inputs are ReLU outputs


def test_tally_counts_ups_and_downs():
    assert signs.tally_moves([[1, 2], [3, 4]], [[2, 1], [3, 5]]) == (2, 1, 1)


# ---------------------------------------------------------------- one downstream weight per output
def test_per_output_downstream_weights_match_central_differences_and_the_patch_matrix():
    image, weights, bias, _, target = random_example(relu=True)
    v = np.array([[1.5, -0.7], [-1.2, 0.4]])
    for relu in (False, True):
        grad_w, grad_b, _ = signs.gradients(image, weights, bias, v, target, relu)
        numeric_w = central_difference(lambda w, relu=relu: signs.loss(image, w, bias, v, target, relu), weights)
        numeric_b = central_difference(lambda b, relu=relu: signs.loss(image, weights, float(b), v, target, relu), bias)
        assert np.allclose(grad_w, numeric_w, rtol=1e-6, atol=1e-8)
        assert np.isclose(grad_b, numeric_b, rtol=1e-6, atol=1e-8)
        # independently: y = Σ v_r a_r / 4, so ∂L/∂w = (y − t) Σ_r v_r gate_r P_r / 4
        P = patch_matrix(image, 2, 2)
        o = P @ weights.ravel() + bias
        gate = (o > 0) if relu else np.ones(4, bool)
        y = np.sum(v.ravel() * np.where(gate, o, 0.0)) / 4
        assert np.allclose(grad_w.ravel(), P.T @ ((y - target) * v.ravel() * gate / 4), rtol=1e-12)


def test_a_constant_downstream_array_is_the_single_weight():
    image, weights, bias, v, target = random_example(relu=True, batch=3)
    one = signs.gradients(image, weights, bias, v, target, relu=True)
    many = signs.gradients(image, weights, bias, np.full((2, 2), v), target, relu=True)
    assert np.allclose(one[0], many[0], rtol=1e-14) and np.isclose(one[1], many[1], rtol=1e-14)


def test_opposite_downstream_weights_move_one_filter_both_ways_in_one_step_under_relu():
    # notebook 05: input ≥ 0, every gate open, one step: two weights ↑ and two ↓
    image = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [1.0, 2.0, 0.0]])
    W = np.full((2, 2), 0.1)
    v = np.array([[1.0, -1.0], [1.0, -1.0]])
    o, _, _ = signs.forward(image, W, 0.0, v, relu=True)
    assert np.all(o > 0)
    new_w, _, _ = signs.sgd_step(image, W, 0.0, v, 2.0, lr=0.05, relu=True)
    assert signs.tally_moves(W, new_w) == (2, 2, 0)


def test_downstream_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match="downstream"):
        signs.forward(np.ones((3, 3)), np.ones((2, 2)), downstream=np.ones((3, 3)))
    with pytest.raises(ValueError, match="downstream"):
        signs.gradients(np.ones((3, 3)), np.ones((2, 2)), 0.0, [[1.0, np.nan], [1.0, 1.0]], 1.0)


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("call, words", [
    (lambda: signs.forward(np.ones((3, 3)), np.ones((4, 2))), "weights"),
    (lambda: signs.forward(np.ones(9), np.ones((2, 2))), "image"),
    (lambda: signs.forward(np.full((3, 3), np.nan), np.ones((2, 2))), "image"),
    (lambda: signs.forward(np.ones((3, 3)), np.ones((2, 2)), bias="1"), "bias"),
    (lambda: signs.forward(np.ones((3, 3)), np.ones((2, 2)), downstream=np.inf), "downstream"),
    (lambda: signs.forward([["a", 1], [2, 3]], np.ones((1, 1))), "image"),
    (lambda: signs.upstream_grad(np.ones((2, 3, 3)), np.ones((2, 2)), 0, 1, [1, 2, 3]), "target"),
    (lambda: signs.gradients(np.ones((3, 3)), np.ones((2, 2)), 0, 1, 1, weight_decay=-1), "weight_decay"),
    (lambda: signs.train(np.ones((3, 3)), np.ones((2, 2)), 0, 1, 1, lr=0, steps=1), "lr"),
    (lambda: signs.train(np.ones((3, 3)), np.ones((2, 2)), 0, 1, 1, 0.1, steps=-1), "steps"),
    (lambda: signs.train(np.ones((3, 3)), np.ones((2, 2)), 0, 1, 1, 0.1, steps=2.5), "steps"),
    (lambda: signs.tally_moves(np.ones(3), np.ones(4)), "same shape"),
    (lambda: signs.train_two_layer(np.ones((4, 4)), np.ones((2, 2)), 0, np.ones((2, 2)), 0, 1, 1, -1, 3), "lr"),
])
def test_bad_arguments_raise_value_error_naming_them(call, words):
    with pytest.raises(ValueError, match=words):
        call()


TWO_LAYER = dict(x=np.ones((2, 4, 4)), w1=np.ones((2, 2)), b1=0.0, w2=np.ones((2, 2)), b2=0.0, downstream=1.0,
                 target=np.zeros(2))


@pytest.mark.parametrize("changes, words", [
    (dict(x=5.0), r"^x must be a non-empty 2-D or 3-D"),
    (dict(x=None), r"^x must hold real numbers; got dtype object"),
    (dict(x=np.full((4, 4), 1j)), r"^x must hold real numbers; got dtype complex"),
    (dict(x=np.full((2, 4, 4), np.nan)), r"^x must hold finite numbers; it has 32 NaN"),
    (dict(x=np.broadcast_to(0.0, (10**4, 1000, 100))), r"^x is too large"),  # no copy, no NaN scan
    (dict(w1=np.ones((5, 2))), r"^w1 of shape \(5, 2\) do not fit"),
    (dict(w1="abc"), r"^w1 must hold real numbers"),
    (dict(b1=np.nan), r"^b1 must be a finite real number"),
    (dict(b1=10**400), r"^b1 must be a finite real number"),
    (dict(w2=np.ones((4, 4))), r"^w2 of shape \(4, 4\) does not fit inside the first layer's output \(3, 3\)"),
    (dict(w2=np.ones((0, 2))), r"^w2 must be a non-empty 2-D"),
    (dict(b2="1"), r"^b2 must be a finite real number"),
    (dict(downstream=np.ones((3, 3))), r"^downstream must be one number or one weight per output \(2, 2\)"),
    (dict(target=[1.0, 2.0, 3.0]), r"^target must be one number or one per image"),
    (dict(x=np.ones((1, 2000, 2000)), w1=np.ones((1000, 1000))), r"^x is too large"),
    (dict(x=np.full((2, 4, 4), 1e200)), r"^x, w1, b1, w2, b2, downstream and target are too large"),
])
def test_two_layer_gradients_name_the_wrong_argument(changes, words):
    with pytest.raises(ValueError, match=words) as caught:
        signs.two_layer_gradients(**{**TWO_LAYER, **changes})
    assert len(str(caught.value)) < 300


def test_two_layer_accepts_one_downstream_weight_per_second_layer_output():
    per_output = signs.two_layer_gradients(**{**TWO_LAYER, "downstream": np.full((2, 2), 1.0)})
    single = signs.two_layer_gradients(**TWO_LAYER)
    for key in ("w1", "b1", "w2", "b2", "loss"):
        assert np.allclose(per_output[key], single[key], rtol=1e-14)


def test_train_two_layer_checks_its_arguments_before_the_first_step():
    with pytest.raises(ValueError, match="^w1 must hold real numbers"):
        signs.train_two_layer(**{**TWO_LAYER, "w1": "abc"}, lr=0.1, steps=1)


# ---------------------------------------------------------------- the widget, headless
def make_widget(**changes):
    widget = SignsExplorer()
    for name, value in changes.items():
        getattr(widget, name).value = value
    return widget


def test_widget_steps_sgd_and_tallies_moves():
    widget = make_widget()
    assert widget.steps == 0 and "0 steps" in widget.tally.value
    expected_w, _, update = signs.sgd_step(widget.example["image"], widget.example["weights"], 0.0,
                                           widget.example["downstream"], widget.example["target"],
                                           widget.example["lr"], widget.example["relu"])
    widget.step_button.click()
    assert widget.steps == 1
    assert np.allclose(widget.weights, expected_w)
    up, down, _ = signs.tally_moves(expected_w - update, expected_w)
    assert (widget.ups, widget.downs) == (up, down)
    assert f"{up} ↑ up" in widget.tally.value and f"{down} ↓ down" in widget.tally.value
    assert "1 step" in widget.tally.value


def test_widget_glyphs_follow_the_update_signs():
    widget = make_widget()
    grad_w, _, _ = signs.gradients(widget.example["image"], widget.weights, widget.bias,
                                   widget.example["downstream"], widget.example["target"],
                                   relu=widget.example["relu"])
    glyphs = widget.last_glyphs
    for index in np.ndindex(2, 2):
        assert glyphs["gradient"][index].startswith("+" if grad_w[index] > 0 else "−")
        assert glyphs["update"][index].startswith("↓" if grad_w[index] > 0 else "↑")
    assert glyph_grid(np.array([[0.5, -0.5], [0.0, 2.0]]), "arrows")[1][0].startswith("·")


def test_negative_downstream_weight_flips_every_arrow():
    plus = make_widget(downstream_text="1")
    minus = make_widget(downstream_text="-1")
    plus.step_button.click()
    minus.step_button.click()
    assert plus.ups == 4 and plus.downs == 0
    assert minus.ups == 0 and minus.downs == 4


def test_every_preset_steps_without_error():
    for name in PRESETS:
        widget = make_widget(preset=name)
        assert widget.example is not None, name
        for _ in range(3):
            widget.step_button.click()
        assert widget.steps == 3 and widget.ups + widget.downs + widget.unchanged == 12
        assert "⚠" not in widget.message.value


def test_negative_v_preset_kills_the_unit_after_one_step():
    widget = make_widget(preset="negative downstream weight v: arrows flip")
    widget.step_button.click()
    assert np.all(widget.weights < 0) and widget.downs == 4
    widget.step_button.click()
    assert widget.unchanged == 4 and "4 · unchanged" in widget.tally.value
    assert "-0 " not in widget.readout.value


def test_overshoot_preset_alternates():
    widget = make_widget(preset="big η: overshoot, arrows alternate")
    directions = []
    for _ in range(4):
        before = widget.weights.copy()
        widget.step_button.click()
        directions.append(int(np.sign(np.sum(widget.weights - before))))
    assert directions == [1, -1, 1, -1]


def test_editing_an_input_resets_the_run():
    widget = make_widget()
    widget.step_button.click()
    widget.step_button.click()
    widget.target_text.value = "0.5"
    assert widget.steps == 0 and widget.ups == widget.downs == 0
    assert widget.example["target"] == 0.5
    widget.reset_button.click()
    assert widget.steps == 0


@pytest.mark.parametrize("field, text, words", [
    ("image_text", "1 2 3", "expected 9 numbers, got 3"),
    ("image_text", "1 2 3 4 5 6 7 8 x", "'x' is not a number"),
    ("target_text", "__import__('os').system('true')", "not a number"),
    ("lr_text", "1 2", "expected 1 numbers, got 2"),
    ("lr_text", "-0.1", "learning rate"),
    ("downstream_text", "nan", "not a finite number"),
    ("start_text", "1 2 3", "expected 4 numbers"),
    ("image_text", "<script>alert(1)</script>", "is not a number"),
])
def test_malformed_entries_show_a_message_and_block_stepping(field, text, words):
    widget = make_widget()
    widget.step_button.click()
    getattr(widget, field).value = text
    assert words in html.unescape(widget.message.value) and "⚠" in widget.message.value
    assert "<script" not in widget.message.value  # typed text is escaped, never markup
    assert widget.example is None
    widget.step_button.click()  # no traceback, nothing happens
    assert widget.steps == 0
    assert "⚠" in widget.message.value
    getattr(widget, field).value = PRESETS[widget.preset.value][field.replace("_text", "")]
    assert widget.example is not None and "⚠" not in widget.message.value


@pytest.mark.parametrize("field, text, words", [
    ("downstream_text", "1e200", "downstream v: 1e200 is too large (limit ±1e6)"),   # the number as typed
    ("target_text", "1e308", "target t: 1e308 is too large (limit ±1e6)"),
    ("image_text", "0 1 2 0 3 1 1 2 -5e7", "input I: -5e7 is too large"),
    ("lr_text", "2e6", "learning rate η: 2e6 is too large"),
])
def test_huge_entries_show_a_message_naming_the_field_not_a_traceback(field, text, words):
    widget = make_widget()
    getattr(widget, field).value = text  # an observer: an exception here would escape the assignment
    assert words in html.unescape(widget.message.value) and "⚠" in widget.message.value
    widget.step()  # called directly, so an exception would escape (a button swallows it into a log)
    assert widget.steps == 0 and "Cannot step" in html.unescape(widget.message.value)


def test_largest_allowed_entries_step_to_a_message_never_a_traceback():
    widget = make_widget(image_text=" ".join(["1e6"] * 9), start_text="1e6 1e6 1e6 1e6", target_text="-1e6",
                         downstream_text="1e6", relu_box=False)
    widget.lr_text.value = "1e6"
    assert widget.example is not None and widget.steps == 0
    assert "blew up" not in widget.message.value  # nothing has been stepped yet
    for _ in range(6):
        widget.step()
    message = html.unescape(widget.message.value)
    assert "⚠" in message and ("blew up" in message or "overflowed" in message), message
    assert widget.steps >= 1 and np.all(np.isfinite(widget.weights))


def test_a_non_finite_quantity_is_named_in_the_message_and_nothing_is_drawn():
    widget = make_widget()
    widget.weights = np.full((2, 2), 1e308)  # as if a run had diverged this far
    widget._show()
    message = html.unescape(widget.message.value)
    assert "overflowed" in message and "⚠" in message
    assert widget.last_glyphs is None


def test_reset_restores_the_presets_numbers():
    widget = make_widget(preset="output too large: weights ↓ and cross zero")
    widget.step()
    widget.target_text.value = "1 2"   # a field the learner broke
    widget.start_text.value = "9 9 9 9"
    widget.relu_box.value = False
    widget.reset_button.click()
    chosen = PRESETS["output too large: weights ↓ and cross zero"]
    assert widget.target_text.value == chosen["target"] and widget.start_text.value == chosen["start"]
    assert widget.relu_box.value is chosen["relu"]
    assert widget.example is not None and widget.steps == 0 and "⚠" not in widget.message.value
    assert np.allclose(widget.weights, np.array(chosen["start"].split(), dtype=float).reshape(2, 2))


def test_each_panel_title_says_what_its_colours_mean():
    import re

    shown = html.unescape(make_widget().plot.value)  # the panels are HTML (a figure took ~1 s a step)
    titles = [re.sub(r"<br>", "\n", t) for t in re.findall(r"class='signs-panel-title'[^>]*>(.*?)</div>", shown)]
    suptitle = re.search(r"class='signs-suptitle'>(.*?)</div>", shown).group(1)
    weights, gradient, update = titles
    assert "red: + positive" in weights
    assert "corr(I, δ)" in gradient and "blue −: weight goes ↑" in gradient
    assert "red: ↑ up, blue: ↓ down" in update
    assert "Blue: down" not in suptitle and not any("⋆" in t for t in titles)
    assert shown.count("course-colour-legend") == 3  # one colour legend per panel


def test_widget_parts_carry_css_classes():
    widget = make_widget()
    parts = {"signs-explorer": widget.ui, "signs-step": widget.step_button, "signs-tally": widget.tally,
             "signs-preset": widget.preset, "signs-image": widget.image_text, "signs-message": widget.message,
             "signs-relu": widget.relu_box, "signs-plot": widget.plot}
    for css, part in parts.items():
        assert css in part._dom_classes, css


@pytest.mark.parametrize("call, words", [
    (lambda: signs.tally_moves(np.zeros(4), np.ones(4), tol=-1.0), "tol must be a finite real number ≥ 0"),
    (lambda: signs.tally_moves(np.zeros(4), np.ones(4), tol=float("nan")), "tol"),
    (lambda: signs.tally_moves(np.zeros(4), np.ones(4), tol="0"), "tol"),
    (lambda: signs.train(np.ones((3, 3)), np.ones((2, 2)), 0.0, 1.0, 1.0, 0.1, signs.MAX_STEPS + 1), "steps"),
    (lambda: signs.train_two_layer(np.ones((3, 3)), np.ones((2, 2)), 0.0, np.ones((1, 1)), 0.0, 1.0, 1.0, 0.1,
                                   10**9), "steps"),
])
def test_tolerances_and_steps_are_bounded_with_a_message(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_a_diverging_two_layer_run_names_the_step_and_lr_and_keeps_its_history():
    x = np.full((3, 3), 2.0)
    with pytest.raises(ValueError, match=r"diverged at step 1 of 400 with lr = 1e\+100") as caught:
        signs.train_two_layer(x, np.full((2, 2), 0.5), 0.1, np.ones((1, 1)), 0.1, 1.0, 100.0, 1e100, 400)
    history = caught.value.history
    assert len(history["loss"]) >= 1 and np.all(np.isfinite(history["loss"]))
