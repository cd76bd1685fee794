"""One notion of divergence (helpers.nn.network.divergence), raised as TrainingDiverged by every trainer: the
network's train, notebook 05's train and train_two_layer, and the study's runs, which mark it instead of
averaging it in. For each: a non-finite loss, a loss over BLOW_UP × the first, and a model that is dead."""
import numpy as np
import pytest

from helpers import data
from helpers.nn import network
from helpers.study import converged, signs


@pytest.fixture(scope="module")
def digits():
    subset = data.load("subset")
    return subset.x_train[:256], subset.y_train[:256]


def _diverges(call, reason):
    with pytest.raises(network.TrainingDiverged) as caught:
        call()
    assert isinstance(caught.value, ValueError) and reason in caught.value.reason, caught.value.reason
    return caught.value


def test_the_network_s_train(digits):
    x, y = digits
    broken = network.init_params(seed=0)
    broken["fc2.b"][:] = np.inf                                         # non-finite from the first step
    error = _diverges(lambda: network.train(broken, x, y, epochs=2), "the loss was")
    assert error.step == 1 and error.history["loss"] == []
    params = network.init_params(seed=0)
    error = _diverges(lambda: network.train(params, x, y, learning_rate=1000, epochs=2), "up from")   # blow-up
    assert len(error.history["loss"]) == error.step - 1 and np.isfinite(params["conv1.w"]).all()
    dead = network.init_params(seed=0)
    dead["conv1.b"][:] = -50.0                                          # no conv1 filter can ever fire
    error = _diverges(lambda: network.train(dead, x, y, epochs=2), "every unit of conv1 is dead")
    assert error.step == len(y) // 64                                   # found at the first epoch's end


def test_notebook_05_s_train():
    image = np.arange(9.0).reshape(3, 3) / 9
    weights = np.full((2, 2), 0.1)
    _diverges(lambda: signs.train(image, weights, 0.0, 1.0, 2.0, lr=1e200, steps=5), "the loss was")
    error = _diverges(lambda: signs.train(image, weights, 0.0, 1.0, 2.0, lr=50.0, steps=20), "up from")
    assert len(error.history["loss"]) == error.step
    error = _diverges(lambda: signs.train(image, weights, -10.0, 1.0, 2.0, lr=0.1, steps=5, relu=True),
                      "every gradient is 0")
    assert error.step == 0
    assert len(signs.train(image, weights, 0.0, 1.0, 2.0, lr=0.15, steps=6, relu=True)["loss"]) == 7  # healthy


def test_notebook_05_s_train_two_layer():
    strokes = np.zeros((2, 4, 4))
    strokes[0][:, 1] = strokes[1][1, :] = 1.0
    w1, w2, target = np.array([[0.4, 0.6], [0.5, 0.1]]), np.array([[0.5, 0.1], [0.5, 0.2]]), np.array([1.0, 0.0])
    _diverges(lambda: signs.train_two_layer(strokes, w1, 0.0, w2, 0.0, 1.0, 1000 + target, lr=1e100, steps=5),
              "overflowed")
    _diverges(lambda: signs.train_two_layer(strokes, w1, 0.0, w2, 0.0, 1.0, 1000 + target, lr=30.0, steps=30),
              "up from")
    _diverges(lambda: signs.train_two_layer(strokes, w1, -100.0, w2, 0.0, 1.0, target, lr=0.5, steps=5),
              "every gradient is 0")


def test_a_diverged_study_run_is_marked_and_left_out_of_every_table(monkeypatch):
    monkeypatch.setattr(converged, "LEARNING_RATE", 1000.0)
    monkeypatch.setattr(converged, "MIN_EPOCHS", 1)
    subset = data.load("subset")
    row = converged.run_seed(subset, 0)
    assert row["diverged"] and row["epochs"] == 0 and not row["converged"]
    study, meta = converged.load()
    marked = {key: value.copy() for key, value in study.items()}
    marked["subset/diverged"][3] = True
    table = converged.runs_table(marked, meta)
    assert "| subset | 10 | " in table and "| 1 (left out of every table) |" in table
    assert converged.edge_counts(marked, "subset", 0.6).shape == (9,)
