"""helpers.widgets.conv_steppers driven headless by .value: every state's numbers against helpers.nn.conv and SymPy.

The pairs a stepper highlights are checked against an independent loop written here from the index
formula o_rc = Σ_ij I_pad[r·s + i, c·s + j]·W_ij, and their sums against helpers.nn.conv (NumPy) and
helpers.derive.symbolic (SymPy, exact).
"""
import re

import numpy as np
import pytest
import sympy as sp

from helpers.derive import symbolic
from helpers.nn.conv import conv2d, conv2d_backward
from helpers.widgets.conv_steppers import DEFAULT_UPSTREAM, BackwardStepper, ForwardStepper

IMAGE = np.array([[2, -1, 0], [1, 3, -2], [0, 1, 1]])   # notebook 01's numbers
KERNEL = np.array([[1, 0], [-1, 2]])
GEOMETRIES = [(1, 0), (2, 0), (1, 1), (2, 1)]           # (stride, padding): every toggle combination


def _set(stepper, stride, padding, mode=None):
    if mode is not None:
        stepper.mode.value = mode
    stepper.stride.value = stride
    stepper.padding.value = padding


def _side(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def _delta(m):
    return np.array(DEFAULT_UPSTREAM[:m * m], dtype=float).reshape(m, m)


def describe(stepper):
    """The readout of a stepper's current state as plain text."""
    return re.sub(r"<[^>]+>", "", stepper.state["readout"].replace("<br>", "\n")).replace("&nbsp;", " ")


def _count(html, css):
    return len(re.findall(rf"class='[^']*\b{css}\b[^']*'", html))


# ---------------------------------------------------------------- forward


@pytest.mark.parametrize("stride, padding", GEOMETRIES)
def test_forward_every_position_matches_conv_and_sympy(stride, padding):
    stepper = ForwardStepper(IMAGE, KERNEL)
    _set(stepper, stride, padding)
    m = _side(3, 2, stride, padding)
    assert stepper.slider.max == m * m
    numpy_out = conv2d(IMAGE[None, None].astype(float), KERNEL[None, None].astype(float), np.zeros(1),
                       stride, padding)[0, 0]
    sympy_out = symbolic.correlate(sp.Matrix(IMAGE), sp.Matrix(KERNEL), stride, padding)
    x_pad = np.pad(IMAGE, padding)
    for number in range(1, m * m + 1):
        stepper.slider.value = number
        state = stepper.state
        r, c = divmod(number - 1, m)
        assert state["position"] == (r, c)
        assert state["origin"] == (r * stride, c * stride)
        expected = [(i, j, x_pad[r * stride + i, c * stride + j], KERNEL[i, j]) for i in range(2) for j in range(2)]
        assert [p[:4] for p in state["products"]] == expected
        assert state["value"] == pytest.approx(numpy_out[r, c]) == float(sympy_out[r, c])
        assert stepper.view.value == state["html"]
        assert state["readout"] in state["html"] and state["grids"] in state["html"]
        # the k² pixels of the window are the highlighted ones, and the output so far is shown
        assert _count(state["grids"], "paired") == 4
        assert state["grids"].count(">?</td>") == m * m - number


def test_forward_padded_corner_reads_three_zeros():
    stepper = ForwardStepper(IMAGE, KERNEL)
    _set(stepper, 1, 1)
    stepper.slider.value = 1
    state = stepper.state
    assert state["value"] == IMAGE[0, 0] * KERNEL[1, 1]
    assert [p[2] for p in state["products"]] == [0, 0, 0, IMAGE[0, 0]]
    text = describe(stepper)
    assert "3 of the 4 products read padding" in text and "0pad·W11" in text
    stepper.slider.value = 16                         # the opposite corner
    assert stepper.state["value"] == IMAGE[2, 2] * KERNEL[0, 0]


def test_forward_stride_two_names_the_pixels_no_window_reads():
    stepper = ForwardStepper(IMAGE, KERNEL)
    stepper.slider.value = 4
    _set(stepper, 2, 0)
    assert stepper.slider.max == 1 and stepper.slider.value == 1   # clamped when the geometry shrank
    assert stepper.state["unread"] == [(0, 2), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert "No window reads I13, I23, I31, I32, I33" in describe(stepper)
    assert _count(stepper.view.value, "unread") == 5
    _set(stepper, 2, 1)                                 # with padding every real pixel is read again
    assert stepper.state["unread"] == [] and stepper.slider.max == 4


def test_forward_larger_image_stride_skips_a_column():
    image = np.arange(16).reshape(4, 4) - 7
    kernel = np.array([[1, -1, 0], [2, 0, 1], [0, 1, -2]])
    stepper = ForwardStepper(image, kernel)
    _set(stepper, 2, 0)
    assert stepper.slider.max == 1                      # (4 − 3) // 2 + 1 = 1: the remainder case
    assert stepper.state["unread"] == [(0, 3), (1, 3), (2, 3), (3, 0), (3, 1), (3, 2), (3, 3)]
    assert stepper.state["value"] == pytest.approx(np.sum(image[:3, :3] * kernel))


# ---------------------------------------------------------------- backward, mode "weight"


@pytest.mark.parametrize("stride, padding", GEOMETRIES)
def test_backward_weight_pairs_and_sums(stride, padding):
    stepper = BackwardStepper(IMAGE, KERNEL)
    _set(stepper, stride, padding, "weight")
    m = _side(3, 2, stride, padding)
    delta = _delta(m)
    _, dw, _ = conv2d_backward(delta[None, None], IMAGE[None, None].astype(float),
                               KERNEL[None, None].astype(float), stride, padding)
    exact = symbolic.filter_gradient(sp.Matrix(IMAGE), sp.Matrix(delta), stride, padding, filter_size=2)
    x_pad = np.pad(IMAGE, padding)
    assert stepper.slider.max == 4
    for number in range(1, 5):
        stepper.slider.value = number
        state = stepper.state
        i, j = divmod(number - 1, 2)
        expected = [((r * stride + i, c * stride + j), (r, c)) for r in range(m) for c in range(m)]
        assert [p[:2] for p in state["pairs"]] == expected
        assert [p[2] for p in state["pairs"]] == [x_pad[a] for a, _ in expected]
        assert [p[3] for p in state["pairs"]] == [delta[b] for _, b in expected]
        assert state["running"][-1] == pytest.approx(state["value"])
        assert state["value"] == pytest.approx(dw[0, 0, i, j]) == pytest.approx(float(exact[i, j]))
        assert _count(state["grids"], "paired") == 2 * m * m   # the pixel and its δ, once per window
        assert f"({m * m} windows, {m * m} pairs" in describe(stepper)


def test_backward_weight_readout_for_w12():
    stepper = BackwardStepper(IMAGE, KERNEL)
    stepper.slider.value = 2
    text = describe(stepper)
    assert "∂L/∂W12 (weight 2 of 4) = I12·δ11 + I13·δ12 + I22·δ21 + I23·δ22" in text
    assert "running sum: −1, −1, +0.5, −5.5 → −5.5" in text


def test_backward_weight_with_padding_counts_the_padding_zeros():
    stepper = BackwardStepper(IMAGE, KERNEL)
    _set(stepper, 1, 1)
    stepper.slider.value = 2                             # W12 over 16 windows, 7 of them on padding
    assert len(stepper.state["pairs"]) == 16
    assert sum(pair[2] == 0 for pair in stepper.state["pairs"][:4]) == 4     # the top padding row
    assert "7 of them read a padding zero and add 0" in describe(stepper)


# ---------------------------------------------------------------- backward, mode "pixel"


@pytest.mark.parametrize("stride, padding", GEOMETRIES)
def test_backward_pixel_pairs_and_sums(stride, padding):
    stepper = BackwardStepper(IMAGE, KERNEL)
    _set(stepper, stride, padding, "pixel")
    m = _side(3, 2, stride, padding)
    delta = _delta(m)
    dx, _, _ = conv2d_backward(delta[None, None], IMAGE[None, None].astype(float),
                               KERNEL[None, None].astype(float), stride, padding)
    exact = symbolic.input_gradient(sp.Matrix(KERNEL), sp.Matrix(delta), stride, padding, image_size=3)
    assert stepper.slider.max == 9
    for number in range(1, 10):
        stepper.slider.value = number
        state = stepper.state
        p, q = divmod(number - 1, 3)
        expected = [((p + padding - r * stride, q + padding - c * stride), (r, c))
                    for r in range(m) for c in range(m)
                    if 0 <= p + padding - r * stride < 2 and 0 <= q + padding - c * stride < 2]
        assert [pair[:2] for pair in state["pairs"]] == expected
        assert state["value"] == pytest.approx(dx[0, 0, p, q]) == pytest.approx(float(exact[p, q]))
        assert state["value"] == pytest.approx(sum(KERNEL[a] * delta[b] for a, b in expected))


def test_backward_pixel_corner_centre_and_the_flip():
    stepper = BackwardStepper(IMAGE, KERNEL)
    stepper.mode.value = "pixel"
    stepper.slider.value = 1                             # corner I11: one window, W11·δ11
    assert [pair[:2] for pair in stepper.state["pairs"]] == [((0, 0), (0, 0))]
    stepper.slider.value = 2                             # edge I12: two windows
    assert len(stepper.state["pairs"]) == 2
    stepper.slider.value = 5                             # centre I22: four windows, W read in reverse
    weights = [pair[0] for pair in stepper.state["pairs"]]
    deltas = [pair[1] for pair in stepper.state["pairs"]]
    assert deltas == [(0, 0), (0, 1), (1, 0), (1, 1)] and weights == [(1, 1), (1, 0), (0, 1), (0, 0)]
    text = describe(stepper)
    assert "W22·δ11 + W21·δ12 + W12·δ21 + W11·δ22" in text and "read in reverse" in text
    assert _count(stepper.view.value, "paired") == 8


def test_backward_pixel_that_no_window_reads_gets_zero():
    stepper = BackwardStepper(IMAGE, KERNEL)
    _set(stepper, 2, 0, "pixel")
    stepper.slider.value = 9                             # I33: stride 2 skips it
    assert stepper.state["pairs"] == [] and stepper.state["value"] == 0
    assert "no window reads I33" in describe(stepper)
    _set(stepper, 2, 1, "pixel")                         # padding 1: I33 is read, by window (2, 2) only
    assert [pair[:2] for pair in stepper.state["pairs"]] == [((1, 1), (1, 1))]   # as its W22


def test_mode_switch_keeps_a_valid_position():
    stepper = BackwardStepper(IMAGE, KERNEL)
    stepper.mode.value = "pixel"
    stepper.slider.value = 9
    stepper.mode.value = "weight"                        # 4 weights: the slider is clamped to 4
    assert stepper.slider.max == 4 and stepper.slider.value == 4
    assert stepper.state["target"] == (1, 1)


def test_every_state_is_precomputed():
    stepper = BackwardStepper(IMAGE, KERNEL)
    assert len(stepper._states) == 2 * len(GEOMETRIES)
    assert len(ForwardStepper(IMAGE, KERNEL)._states) == len(GEOMETRIES)


def test_css_classes_for_the_browser_tests():
    forward, backward = ForwardStepper(IMAGE, KERNEL), BackwardStepper(IMAGE, KERNEL)
    assert "course-forward-stepper" in forward._dom_classes
    assert "course-forward-slider" in forward.slider._dom_classes
    assert "course-forward-view" in forward.view._dom_classes
    assert "class='course-forward-readout'" in forward.view.value
    assert "class='course-backward-grids'" in backward.view.value
    assert "course-backward-stepper" in backward._dom_classes
    assert "course-backward-mode" in backward.mode._dom_classes
    assert "course-backward-slider" in backward.slider._dom_classes


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("kwargs, name", [
    (dict(image=np.zeros((3, 2)), kernel=KERNEL), "image"),
    (dict(image=IMAGE, kernel=np.zeros(4)), "kernel"),
    (dict(image=IMAGE, kernel=np.array([["a", "b"], ["c", "d"]])), "kernel"),
    (dict(image=IMAGE * np.nan, kernel=KERNEL), "image"),
    (dict(image=IMAGE, kernel=np.ones((4, 4))), "kernel"),
    (dict(image=np.zeros((9, 9)), kernel=KERNEL), "image"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    for widget in (ForwardStepper, BackwardStepper):
        with pytest.raises(ValueError, match=name):
            widget(**kwargs)


def test_bad_mode_and_symbols_are_refused():
    with pytest.raises(ValueError, match="mode"):
        BackwardStepper(IMAGE, KERNEL, mode="bias")
    with pytest.raises(ValueError, match="image"):
        ForwardStepper(sp.Matrix(symbolic.image_symbols(3)), KERNEL)


def test_sympy_numbers_and_the_pixel_mode_start():
    stepper = BackwardStepper(sp.Matrix(IMAGE), sp.Matrix(KERNEL), mode="pixel")
    assert stepper.mode.value == "pixel" and stepper.slider.max == 9
    assert stepper.state["target"] == (0, 0) and stepper.state["value"] == 1.0
