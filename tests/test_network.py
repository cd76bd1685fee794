"""The seed network: shapes and dtypes, an independent loop implementation, central differences,
the fast path against the layer-by-layer reference, and training that lowers the loss on real digits."""
import numpy as np
import pytest

from helpers import data, network

rng = np.random.default_rng(1234)


@pytest.fixture(scope="module")
def digits():
    subset = data.load_subset()
    return data.to_unit_float(subset.x_train[:256], np.float64), subset.y_train[:256]


def with_random_biases(params, seed=0):
    """Biases away from 0, so no ReLU input sits exactly on its kink (blank pixels give conv output = bias)."""
    generator = np.random.default_rng(seed)
    for name in params:
        if name.endswith(".b"):
            params[name] = generator.normal(0, 0.1, params[name].shape).astype(params[name].dtype)
    return params


# ---------------------------------------------------------------------------- an independent implementation

def loop_logits(params, x):
    """The network with explicit loops over every output position: no im2col, no strides, no layout tricks."""
    logits = []
    for image in x:                                           # image (1, 28, 28)
        maps = image
        for layer in ("conv1", "conv2"):
            w, b = params[layer + ".w"], params[layer + ".b"]
            size = maps.shape[1] - 2
            conv = np.empty((6, size, size))
            for f in range(6):
                for r in range(size):
                    for s in range(size):
                        conv[f, r, s] = np.sum(maps[:, r:r + 3, s:s + 3] * w[f]) + b[f]
            pooled = np.empty((6, size // 2, size // 2))
            for f in range(6):
                for r in range(size // 2):
                    for s in range(size // 2):
                        pooled[f, r, s] = max(conv[f, 2 * r, 2 * s], conv[f, 2 * r, 2 * s + 1],
                                              conv[f, 2 * r + 1, 2 * s], conv[f, 2 * r + 1, 2 * s + 1])
            maps = np.where(pooled > 0, pooled, 0.0)
        features = [maps[c, r, s] for c in range(6) for r in range(5) for s in range(5)]   # (C, H, W) order
        hidden = [max(0.0, sum(params["fc1.w"][j, k] * features[k] for k in range(150)) + params["fc1.b"][j])
                  for j in range(128)]
        logits.append([sum(params["fc2.w"][i, j] * hidden[j] for j in range(128)) + params["fc2.b"][i]
                       for i in range(10)])
    return np.array(logits)


def loop_loss(logits, y):
    losses = []
    for row, label in zip(logits, y, strict=True):
        top = max(row)
        losses.append(np.log(sum(np.exp(v - top) for v in row)) - (row[label] - top))
    return sum(losses) / len(losses)


def test_forward_and_loss_match_explicit_loops(digits):
    x, y = digits[0][:2], digits[1][:2]
    params = with_random_biases(network.init_params(seed=3, dtype=np.float64))
    expected = loop_logits(params, x)
    assert np.allclose(network.predict(params, x), expected, rtol=1e-10, atol=1e-12)
    loss, _ = network.loss_and_grads(params, x, y)
    assert loss == pytest.approx(loop_loss(expected, y), rel=1e-12)
    assert np.allclose(network.loss_and_grads_reference(params, x, y)[0], loss, rtol=1e-12)


# ---------------------------------------------------------------------------- gradients

def central_difference(params, x, y, name, index, eps=1e-6):
    flat = params[name].reshape(-1)
    saved = flat[index]
    flat[index] = saved + eps
    plus = network.loss_and_grads(params, x, y)[0]
    flat[index] = saved - eps
    minus = network.loss_and_grads(params, x, y)[0]
    flat[index] = saved
    return (plus - minus) / (2 * eps)


def test_whole_network_gradient_against_central_differences(digits):
    """Every conv weight and bias, and a sample of the dense weights, float64, on 4 real digits."""
    x, y = digits[0][:4], digits[1][:4]
    params = with_random_biases(network.init_params(seed=0, dtype=np.float64))
    _, grads = network.loss_and_grads(params, x, y)
    for name in network.SHAPES:
        size = params[name].size
        indices = range(size) if size <= 324 else rng.choice(size, 40, replace=False)
        for index in indices:
            numeric = central_difference(params, x, y, name, index)
            analytic = grads[name].reshape(-1)[index]
            error = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-9)
            assert error < 1e-6 or abs(analytic - numeric) < 1e-9, (
                f"∂L/∂{name}[{np.unravel_index(index, params[name].shape)}]: analytic {analytic:.10g}, "
                f"central difference {numeric:.10g}, relative error {error:.2e}")


def test_gradient_check_helper_agrees_and_catches_a_wrong_gradient(digits, monkeypatch):
    x, y = digits[0][:3], digits[1][:3]
    params = with_random_biases(network.init_params(seed=5, dtype=np.float64))
    errors = network.gradient_check(params, x, y, entries=4)
    assert set(errors) == set(network.SHAPES) and max(errors.values()) < 1e-6
    original = network.loss_and_grads

    def wrong(params, x, y):  # a classic bug: the conv1 gradient with the wrong sign
        loss, grads = original(params, x, y)
        grads["conv1.w"] = -grads["conv1.w"]
        return loss, grads

    monkeypatch.setattr(network, "loss_and_grads", wrong)
    assert network.gradient_check(params, x, y, entries=4)["conv1.w"] > 0.5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_path_equals_the_layer_by_layer_reference(digits, dtype):
    """The pool-major fast path and the course's conv/pool layers give the same numbers, ties included."""
    x = np.concatenate([digits[0][:30], rng.random((2, 1, 28, 28))]).astype(dtype)  # real digits have tied windows
    y = np.concatenate([digits[1][:30], [3, 8]])
    for seed in (0, 1):
        params = network.init_params(seed=seed, dtype=dtype)
        if seed:
            with_random_biases(params)
        loss, grads = network.loss_and_grads(params, x, y)
        ref_loss, ref_grads = network.loss_and_grads_reference(params, x, y)
        tolerance = 1e-12 if dtype == np.float64 else 2e-5
        assert loss == pytest.approx(ref_loss, rel=tolerance)
        for name in network.SHAPES:
            scale = np.abs(ref_grads[name]).max() + 1e-30
            assert np.abs(grads[name] - ref_grads[name]).max() / scale < tolerance * 10, name


def test_tied_blank_windows_send_the_bias_gradient_once_per_window():
    """A blank image: every 2×2 window of conv1 is a 4-way tie; the "first" rule counts each window once."""
    params = network.init_params(seed=0, dtype=np.float64)
    params["conv1.b"][:] = 0.5
    x = np.zeros((1, 1, 28, 28))
    _, grads = network.loss_and_grads(params, x, np.array([0]))
    _, ref = network.loss_and_grads_reference(params, x, np.array([0]))
    assert np.allclose(grads["conv1.b"], ref["conv1.b"]) and np.allclose(grads["conv1.w"], 0)
    assert np.allclose(grads["conv1.b"], [central_difference(params, x, np.array([0]), "conv1.b", f)
                                          for f in range(6)], atol=1e-8)


# ---------------------------------------------------------------------------- parameters, shapes, dtypes

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("init", ["he", "glorot"])
def test_init_params_keys_shapes_dtypes(dtype, init):
    params = network.init_params(seed=7, dtype=dtype, init=init)
    assert list(params) == ["conv1.w", "conv1.b", "conv2.w", "conv2.b", "fc1.w", "fc1.b", "fc2.w", "fc2.b"]
    assert {k: v.shape for k, v in params.items()} == network.SHAPES
    assert all(v.dtype == dtype for v in params.values())
    assert all(not v.any() for k, v in params.items() if k.endswith(".b"))
    again = network.init_params(seed=7, dtype=dtype, init=init)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert not np.array_equal(params["conv1.w"], network.init_params(seed=8, dtype=dtype, init=init)["conv1.w"])


def test_init_scales():
    he = network.init_params(seed=0, dtype=np.float64, init="he")
    assert he["fc1.w"].std() == pytest.approx(np.sqrt(2 / 150), rel=0.05)
    assert he["conv2.w"].std() == pytest.approx(np.sqrt(2 / 54), rel=0.15)
    glorot = network.init_params(seed=0, dtype=np.float64, init="glorot")
    limit = np.sqrt(6 / (150 + 128))
    assert np.abs(glorot["fc1.w"]).max() <= limit and np.abs(glorot["fc1.w"]).max() > 0.95 * limit
    conv1_limit = np.sqrt(6 / (1 * 9 + 6 * 9))
    assert np.abs(glorot["conv1.w"]).max() <= conv1_limit


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_and_grads_shapes_and_dtypes(digits, dtype):
    x, y = digits[0][:5], digits[1][:5]
    params = network.init_params(dtype=dtype)
    loss, grads = network.loss_and_grads(params, x, y)   # float64 images are cast to the params' dtype
    assert isinstance(loss, float) and np.isfinite(loss)
    assert list(grads) == list(params)
    assert all(grads[k].shape == params[k].shape and grads[k].dtype == dtype for k in params)
    logits = network.predict(params, x)
    assert logits.shape == (5, 10) and logits.dtype == dtype
    assert loss == pytest.approx(np.log(np.exp(logits).sum(1)).mean() - logits[np.arange(5), y].mean(), rel=1e-4)


def test_bad_arguments_raise_value_errors_naming_them(digits):
    x, y = digits[0][:2], digits[1][:2]
    params = network.init_params()
    with pytest.raises(ValueError, match="init must be one of"):
        network.init_params(init="xavier")
    with pytest.raises(ValueError, match="dtype"):
        network.init_params(dtype=np.int32)
    with pytest.raises(ValueError, match=r"missing \['fc2.b'\]"):
        network.loss_and_grads({k: v for k, v in params.items() if k != "fc2.b"}, x, y)
    with pytest.raises(ValueError, match=r"params\['fc1.w'\] must be an array of shape \(128, 150\); got \(150, 128\)"):
        network.loss_and_grads(dict(params, **{"fc1.w": params["fc1.w"].T}), x, y)
    with pytest.raises(ValueError, match="must all be float32 or all float64"):
        network.loss_and_grads(dict(params, **{"fc2.b": params["fc2.b"].astype(np.float64)}), x, y)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 28, 28\).*\(2, 28, 28\)"):
        network.predict(params, x[:, 0])
    assert network.predict(params, x * 255).shape == (2, 10)          # any finite float is an input
    with pytest.raises(ValueError, match=r"x must hold finite numbers; it has 1 NaN or inf value\(s\), the first "
                                         r"at index \(1, 0, 3, 4\)"):
        network.predict(params, np.where(np.arange(x.size).reshape(x.shape) == 784 + 3 * 28 + 4, np.nan, x))
    with pytest.raises(ValueError, match="x must hold finite numbers"):
        network.loss_and_grads(params, np.full_like(x, np.inf), y)
    with pytest.raises(ValueError, match="beyond float32's range"):
        network.loss_and_grads(params, np.full_like(x, 1e300), y)
    with pytest.raises(ValueError, match="uint8"):
        network.predict(params, (x * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"y must be 2 integer labels"):
        network.loss_and_grads(params, x, y[:1])
    with pytest.raises(ValueError, match="labels 0…9"):
        network.loss_and_grads(params, x, np.array([0, 10]))
    with pytest.raises(ValueError, match="learning_rate"):
        network.sgd_step(params, params, -0.1)
    with pytest.raises(ValueError, match="batch_size"):
        network.train(params, x, y, batch_size=5)
    with pytest.raises(ValueError, match="float64"):
        network.gradient_check(params, x, y)


# ---------------------------------------------------------------------------- learning

def test_sgd_step_moves_against_the_gradient():
    params = network.init_params(dtype=np.float64)
    before = {k: v.copy() for k, v in params.items()}
    grads = {k: np.ones_like(v) for k, v in params.items()}
    network.sgd_step(params, grads, 0.5)
    assert all(np.allclose(params[k], before[k] - 0.5) for k in params)


def test_loss_falls_within_a_few_steps_on_the_shipped_subset():
    subset = data.load_subset()
    x_fixed, y_fixed = data.to_unit_float(subset.x_train[:500]), subset.y_train[:500]
    params = network.init_params(seed=0)
    before = network.loss_and_grads(params, x_fixed, y_fixed)[0]
    history = network.train(params, subset.x_train[500:1140], subset.y_train[500:1140],
                            learning_rate=0.05, batch_size=32, epochs=1)
    after = network.loss_and_grads(params, x_fixed, y_fixed)[0]
    assert len(history["loss"]) == 20
    assert after < 0.75 * before, f"20 SGD steps took the loss only from {before:.3f} to {after:.3f}"
    assert np.mean(history["loss"][-5:]) < np.mean(history["loss"][:5])


def test_train_records_signs_snapshots_and_reports_progress():
    subset = data.load_subset()
    calls = []
    params = network.init_params(seed=1)
    start = params["conv1.w"].copy()
    history = network.train(params, subset.x_train[:640], subset.y_train[:640], learning_rate=0.05,
                            batch_size=64, epochs=2, x_test=subset.x_test[:200], y_test=subset.y_test[:200],
                            on_progress=lambda h: calls.append(len(h["loss"])), progress_every=5,
                            snapshot_every=4)
    assert history["steps_total"] == 20 and len(history["loss"]) == 20
    assert calls == [5, 10, 10, 15, 20, 20]       # every 5 steps and at each epoch's end
    assert history["epoch_steps"] == [10, 20] and len(history["test_accuracy"]) == 2
    assert history["snapshot_steps"] == [0, 4, 8, 12, 16, 20]
    assert np.array_equal(history["snapshots"][0]["conv1.w"], start)
    assert np.array_equal(history["snapshots"][-1]["conv1.w"], params["conv1.w"])
    up, down = np.array(history["up"]), np.array(history["down"])
    assert np.all(up + down <= 1) and up.mean() > 0.2 and down.mean() > 0.2


# ---------------------------------------------------------------------------- notebook 06's widgets and checkers
# (they sit on top of this module; tested headless here by setting values and reading what is shown)

@pytest.fixture(scope="module")
def short_run():
    subset = data.load_subset()
    params = network.init_params(seed=0)
    history = network.train(params, subset.x_train[:320], subset.y_train[:320], learning_rate=0.1, batch_size=32,
                            epochs=2, x_test=subset.x_test[:100], y_test=subset.y_test[:100], snapshot_every=5)
    return params, history


def test_progress_display_updates_in_place(short_run):
    from helpers.training_widget import TrainingProgress

    _, history = short_run
    progress = TrainingProgress(20)
    partial = dict(history, loss=history["loss"][:10], test_accuracy=[])
    progress(partial)
    assert progress.bar.value == 10 and "step 10 of 20" in progress.status.value
    assert "course-train-progress" in progress.bar._dom_classes
    progress(history)
    assert progress.bar.value == 20 and progress.bar.bar_style == "success"
    assert "done" in progress.status.value and "held-out accuracy" in progress.status.value
    with pytest.raises(ValueError, match="steps_total"):
        TrainingProgress(0)


def test_filter_explorer_redraws_for_each_step(short_run):
    from helpers.training_widget import FilterExplorer

    _, history = short_run
    explorer = FilterExplorer(history)
    assert "course-filter-step" in explorer.slider._dom_classes
    assert "negative (" in explorer.readout.value and "(− ;" not in explorer.readout.value
    assert explorer.readout.value.startswith("step 0 of 20")
    assert "First-layer filters at step 0<" in explorer.plot.value and explorer.shown["step"] == 0
    explorer.slider.value = 2
    assert explorer.readout.value.startswith("step 10 of 20")
    changes = network.sign_changes(history["snapshots"][0]["conv1.w"], history["snapshots"][2]["conv1.w"])
    assert f"{changes['negative_after']} of 54" in explorer.readout.value
    assert "First-layer filters at step 10<" in explorer.plot.value
    assert np.allclose(explorer.shown["weights"], history["snapshots"][2]["conv1.w"])
    first = history["snapshots"][2]["conv1.w"][0, 0, 0, 0]
    assert f">{'+' if first > 0 else '−'}{abs(first):.2f}<" in explorer.plot.value  # the value, with its sign
    with pytest.raises(ValueError, match="two snapshots"):
        FilterExplorer(dict(history, snapshots=history["snapshots"][:1]))


def test_filter_explorer_keeps_one_symmetric_scale_for_the_whole_run(short_run):
    from helpers.training_widget import FilterExplorer

    _, history = short_run
    explorer = FilterExplorer(history)
    snapshots = np.stack([s["conv1.w"] for s in history["snapshots"]])
    largest_change = np.abs(snapshots - snapshots[0]).max()
    legends = []
    for index in (0, 2, 4):
        explorer.slider.value = index
        legends.append(explorer.plot.value.count(f"+{largest_change:.3g}<"))
        assert np.isclose(explorer.weight_limit, np.abs(snapshots).max())
        assert np.isclose(explorer.change_limit, largest_change)
    assert legends == [1, 1, 1]  # the change row's legend shows the run's scale at every step
    assert largest_change > 1e-3  # at step 0 the change row still has the run's scale, not 1e-9


def test_figures_have_titles_and_colorbars(short_run):
    import matplotlib.pyplot as plt

    from helpers import training_widget as tw

    params, history = short_run
    start = history["snapshots"][0]["conv1.w"]
    figures = [tw.plot_curves(history), tw.plot_update_signs(history),
               tw.plot_filters([start, params["conv1.w"]], ["start", "end"], "filters"),
               tw.plot_responses(np.zeros((28, 28)), [(start, np.zeros(6))], ["start"], "responses")]
    for fig in figures:
        assert fig._suptitle is not None or fig.axes[0].get_title()
        plt.close(fig)
    filters = tw.plot_filters([start], ["start"], "one row")
    assert any(ax.get_ylabel() == "weight" for ax in filters.axes), "a colorbar labelled 'weight'"
    plt.close(filters)
    with pytest.raises(ValueError, match=r"\(6, 1, 3, 3\)"):
        tw.plot_filters([np.zeros((6, 3, 3))], ["bad"], "bad")


@pytest.mark.parametrize("checker, starter", [
    ("check_step", 0.0), ("check_step", None), ("check_run_counts", None), ("check_run_counts", (0, 0)),
    ("check_shapes", (0, 0, 0, 0, 0)), ("check_shapes", ...),
])
def test_untouched_starters_are_not_answered_yet_and_give_nothing_away(short_run, checker, starter):
    from helpers import training_exercises as ex

    _, history = short_run
    if checker == "check_run_counts":
        # crossings between the first and the last snapshot: the short run has some
        feedback = ex.check_run_counts(starter, history, "conv2.w", (0, 20))
        assert sum(ex.crossing_counts(history, "conv2.w", (0, 20))) > 0
    else:
        feedback = getattr(ex, checker)(starter)
    assert not feedback
    assert "not answered yet" in str(feedback) and "expected" not in str(feedback).lower()


def test_notebook_06_starters_are_placeholders():
    import json
    from pathlib import Path

    notebook = json.loads((Path(__file__).parents[1] / "notebooks" / "06_train_mnist.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    for line in ("my_weight = 0.0", "my_counts = None", "my_shapes = (0, 0, 0, 0, 0)"):
        assert line in code, line


def test_sign_changes_and_similarity():
    before = np.array([[0.5, -0.2], [0.0, -1.0]])
    after = np.array([[-0.1, 0.3], [0.2, -0.5]])
    changes = network.sign_changes(before, after)
    assert changes["negative_before"] == 2 and changes["negative_after"] == 2
    assert changes["to_negative"] == [(0, 0)] and changes["to_positive"] == [(0, 1)]
    filters = rng.normal(size=(6, 1, 3, 3))
    assert np.allclose(network.best_match_correlation(filters, -2 * filters[::-1]), 1)
    with pytest.raises(ValueError, match="same shape"):
        network.sign_changes(before, after[0])


def test_exercise_checkers_name_what_is_off(short_run):
    from helpers import training_exercises as ex

    assert ex.check_step(-0.03)
    wrong = ex.check_step(0.27)
    assert not wrong and any("against" in p or "with" in p for p in wrong.problems)
    assert "ΔW alone" in " ".join(ex.check_step(-0.15).problems)
    _, history = short_run
    steps = (5, 15)  # the short run keeps a snapshot every 5 steps
    before = history["snapshots"][1]["conv2.w"]
    after = history["snapshots"][3]["conv2.w"]
    down = int(np.sum((before >= 0) & (after < 0)))  # written out again, independently of sign_changes
    up = int(np.sum((before < 0) & (after >= 0)))
    assert ex.crossing_counts(history, "conv2.w", steps) == (down, up)
    assert ex.check_run_counts((down, up), history, "conv2.w", steps)
    feedback = ex.check_run_counts((down, up + 1), history, "conv2.w", steps)
    assert not feedback and feedback.problems == [f"the number of weights that crossed − → + is {up + 1:g}; "
                                                  f"expected {up:g}"]
    with pytest.raises(ValueError, match="step 7 has no snapshot"):
        ex.check_run_counts((0, 1), history, "conv1.w", (7, 15))
    with pytest.raises(ValueError, match="key must be one of"):
        ex.crossing_counts(history, "fc1.w", steps)
    assert ex.check_shapes((30, 15, 13, 6, 216))
    feedback = ex.check_shapes((30, 15, 13, 7, 216))
    assert not feedback and "pool2 output side is 7; expected 6" in feedback.problems[0]
    for solution in (ex.solution_step(), ex.solution_run_counts(history, steps=steps), ex.solution_shapes()):
        assert "<details>" in solution.data
