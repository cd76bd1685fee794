"""helpers.widgets.network_view: notebook 06's linked view of one digit, driven headless by `.value`.

Its δ and ∂L/∂W contributions are checked against network.loss_and_grads on the same single image.
"""
import html
import re

import numpy as np
import pytest

from helpers import data
from helpers.nn import network
from helpers.widgets.network_view import NetworkView, compute_digit, where_delta_stops


@pytest.fixture(scope="module")
def trained():
    subset = data.load_subset()
    params = network.init_params(seed=0)
    network.train(params, subset.x_train[:320], subset.y_train[:320], learning_rate=0.1, batch_size=32, epochs=1)
    return params, subset.x_test[:12], subset.y_test[:12]


@pytest.fixture()
def view(trained):
    params, images, labels = trained
    return NetworkView(params, images, labels, learning_rate=0.1, digit=0)


def test_starts_on_the_digit_with_the_largest_loss(trained):
    params, images, labels = trained
    view = NetworkView(params, images, labels)
    losses = []
    for index in range(len(labels)):
        view.digit.value = index
        losses.append(view.state["loss"])
    assert NetworkView(params, images, labels).digit.value == int(np.argmax(losses))


def _reference(params, view):
    params64 = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    x = view.state["x"][None, None]
    y = np.array([view.state["label"]])
    return network.loss_and_grads(params64, x, y)


def _text(widget):
    """What the learner reads in an HTML widget: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", widget.value))


def _select(view, f, r, c):
    """Choose a filter and a position as a learner would, through the sliders (1-based)."""
    view.filter.value, view.row.value, view.col.value = f, r, c
    return view.position_info()


@pytest.mark.parametrize("digit", [0, 5])
def test_contributions_sum_to_the_reference_gradient_of_that_image(trained, view, digit):
    params, _, _ = trained
    view.digit.value = digit
    loss, reference = _reference(params, view)
    s = view.state
    assert np.isclose(s["loss"], loss)
    summed = s["contributions"].sum(axis=(1, 2))[:, None]           # over all 26 × 26 positions
    assert np.allclose(summed, reference["conv1.w"], rtol=1e-9, atol=1e-12)
    assert np.allclose(s["grad_w"], reference["conv1.w"], rtol=1e-9, atol=1e-12)
    # δ itself: its sum per filter is ∂L/∂conv1.b, and δ · patch is one position's term of ∂L/∂W
    assert np.allclose(s["delta1"].sum(axis=(1, 2)), reference["conv1.b"], rtol=1e-9, atol=1e-12)
    assert np.abs(s["delta1"]).max() > 0
    # the ΔW panel is one SGD step on this image alone
    assert f"η = {view.learning_rate:g}" in view.update.value
    ups = int(np.sum(-view.learning_rate * reference["conv1.w"] > 0))
    assert f"{ups} weights ↑" in view.update.value


def test_one_position_matches_delta_times_its_patch(trained, view):
    s = view.state
    f, r, c = np.unravel_index(np.argmax(np.abs(s["delta1"])), s["delta1"].shape)   # where δ is largest
    info = _select(view, f + 1, r + 1, c + 1)
    assert info["won"] and info["gate_open"] and info["reached"] and info["delta"] != 0
    assert np.allclose(info["contribution"], info["delta"] * s["x"][r:r + 3, c:c + 3])
    assert "won" in _text(view.readout) and "error arrives here" in _text(view.readout)
    assert f"o[{r + 1}, {c + 1}]" in view.focus.value


def test_corners_and_a_tie_on_the_blank_background(view):
    info = _select(view, 1, 1, 1)                    # top-left corner: blank, o = the bias in all four entries
    assert info["tie"] == 4 and info["won"]          # the first maximum (top-left) takes the window
    assert np.all(info["patch"] == 0) and np.all(info["contribution"] == 0)
    assert "all four outputs tie" in _text(view.readout) and "won" in _text(view.readout)
    info = _select(view, 1, 2, 2)                    # the same window's bottom-right entry
    assert info["tie"] == 4 and not info["won"] and info["delta"] == 0
    assert "lost" in _text(view.readout)
    info = _select(view, 6, 26, 26)                  # bottom-right corner
    assert info["patch"].shape == (3, 3) and info["delta"] == 0 and not info["reached"]


def test_a_position_that_lost_its_window_gets_no_delta(view):
    s = view.state
    lost = np.argwhere(~s["won"] & (np.repeat(np.repeat(s["tie_count"], 2, 1), 2, 2) == 1))
    f, r, c = lost[0]
    info = _select(view, f + 1, r + 1, c + 1)
    assert not info["won"] and info["tie"] == 1 and info["delta"] == 0
    assert np.all(info["contribution"] == 0)
    assert "lost its window" in _text(view.readout)


def test_the_floor_mode_row_and_column_never_receive_delta(view):
    s = view.state
    assert np.all(s["delta1"][:, 24:, :] == 0) and np.all(s["delta1"][:, :, 24:] == 0)
    assert not s["pooled_reached"][12].any() and s["pooled_reached"][:12, :12].all()
    # a winner with an open gate in row 25/26 would be the telling case; take any winner there
    rows = np.argwhere(s["won"][:, 24:, :24])
    f, r, c = rows[0]
    info = _select(view, f + 1, r + 25, c + 1)
    assert not info["reached"] and info["delta"] == 0
    assert "floor" in _text(view.readout)


def test_changing_the_digit_recomputes_and_every_press_rewrites_in_place(trained, view):
    before_maps, before_focus = view.maps.value, view.focus.value
    view.col.value = 5
    assert view.maps.value == before_maps and view.focus.value != before_focus   # a position press: maps stay
    view.digit.value = 3
    assert view.maps.value != before_maps and "Digit #3" in view.maps.value
    params, images, labels = trained
    again = compute_digit(params, images[3, 0] / 255.0, labels[3])
    assert np.array_equal(again["delta1"], view.state["delta1"])
    assert {2, 3, 4} <= set(view._pages)   # the neighbours are ready for the next ← / →
    view.digit.value = 4
    assert np.array_equal(view.state["delta1"], compute_digit(params, images[4, 0] / 255.0, labels[4])["delta1"])


def test_parts_carry_css_classes(view):
    parts = {"course-net-view": view.widget, "course-net-digit": view.digit, "course-net-row": view.row,
             "course-net-col": view.col, "course-net-filter": view.filter, "course-net-readout": view.readout,
             "course-net-focus": view.focus, "course-net-maps": view.maps, "course-net-update": view.update}
    for css, part in parts.items():
        assert css in part._dom_classes, css


def test_a_diverged_network_shows_a_message_not_a_traceback(trained):
    params, images, labels = trained
    broken = {k: np.array(v, copy=True) for k, v in params.items()}
    broken["conv1.w"][0, 0, 0, 0] = np.nan
    view = NetworkView(broken, images, labels)
    assert "NaN" in view.message.value and "⚠" in view.message.value and view.state is None
    view.row.value = 3  # presses do nothing, raise nothing
    assert view.focus.value == ""


@pytest.mark.parametrize("kwargs, words", [
    (dict(images=np.zeros((2, 28, 28), np.uint8)), "images"),
    (dict(labels=np.zeros(3, int)), "labels"),
    (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(digit=12), "digit"),
])
def test_bad_arguments_name_the_argument(trained, kwargs, words):
    params, images, labels = trained
    arguments = dict(params=params, images=images, labels=labels) | kwargs
    with pytest.raises(ValueError, match=words):
        NetworkView(**arguments)


def test_where_delta_stops_accounts_for_every_output(view):
    counts = where_delta_stops(view.state)
    assert sum(v for k, v in counts.items() if k != "outputs") == counts["outputs"] == 6 * 26 * 26
    assert counts["lost window"] == 3 * 6 * 13 * 13          # one winner in each 2×2 window, ties included
    assert counts["δ ≠ 0"] == np.count_nonzero(view.state["delta1"]) > 0
    assert counts["dropped by the floor pool"] > 0


@pytest.mark.parametrize("classes, error, words", [
    (5, TypeError, "classes must be a list of class names"),                  # was a TypeError from inside
    ("0123456789", TypeError, "classes must be a list"),
    ([None] * 10, TypeError, r"classes\[0\] must be a class name"),           # was an AttributeError
    ([str(k) for k in range(11)], ValueError, "classes must name 1 to 10"),
    (["a", "b"], ValueError, "labels holds class .*, but classes names only 2"),   # was an IndexError
    (["a"] * 10, ValueError, "classes must be distinct"),
])
def test_classes_are_checked_at_the_door(trained, classes, error, words):
    """The probe of issue 22 met an IndexError, a TypeError and an AttributeError from inside."""
    params, images, labels = trained
    with pytest.raises(error, match=words):
        NetworkView(params, images, labels, classes=classes)


def test_fewer_classes_name_their_outputs_and_the_rest_by_number(trained):
    params, images, labels = trained
    keep = labels < 3
    view = NetworkView(params, images[keep], labels[keep], classes=("zero", "one", "two"), digit=0)
    text = _text(view.maps)
    assert "zero" in text and "two" in text and "(3)" in text and "(9)" in text


def test_compute_digit_refuses_raw_pixels_naming_x(trained):
    params, images, labels = trained
    with pytest.raises(ValueError, match=r"x must be floats in \[0, 1\].*uint8.*to_unit_float"):
        compute_digit(params, images[0, 0], labels[0])
    with pytest.raises(ValueError, match=r"x must be floats in \[0, 1\].*run from 0 to 255"):
        compute_digit(params, images[0, 0].astype(float), labels[0])
    assert compute_digit(params, data.to_unit_float(images[0, 0], np.float64), labels[0])["x"].max() <= 1


def test_images_outside_the_pixel_range_are_refused(trained):
    params, images, labels = trained
    with pytest.raises(ValueError, match="images must be uint8 pixels 0…255 or floats in"):
        NetworkView(params, images.astype(float), labels)
