"""The seed network: shapes and dtypes, an independent loop implementation, central differences,
the network against the same layers composed from the loop versions, and training that lowers the loss."""
import numpy as np
import pytest

from helpers import data
from helpers.nn import network

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

    wrong.unchecked = wrong
    monkeypatch.setattr(network, "loss_and_grads", wrong)
    assert network.gradient_check(params, x, y, entries=4)["conv1.w"] > 0.5


def loop_pool_backward(dy, z):
    """2×2 max-pool routing with loops: the first maximum of each window (row-major) gets the gradient."""
    dz = np.zeros_like(z)
    for n, c, r, s in np.ndindex(dy.shape):
        window = z[n, c, 2 * r:2 * r + 2, 2 * s:2 * s + 2]
        i, j = np.unravel_index(np.argmax(window), (2, 2))     # argmax returns the first maximum
        dz[n, c, 2 * r + i, 2 * s + j] = dy[n, c, r, s]
    return dz


def loops_loss_and_grads(params, x, y):
    """The network composed of other implementations: conv from the loop versions, pooling from a loop."""
    from helpers.nn.conv import conv2d_backward_loops, conv2d_loops

    p = params
    z1 = conv2d_loops(x, p["conv1.w"], p["conv1.b"])
    m1 = z1.reshape(len(x), 6, 13, 2, 13, 2).max(axis=(3, 5))
    a1 = np.maximum(m1, 0)
    z2 = conv2d_loops(a1, p["conv2.w"], p["conv2.b"])
    m2 = z2[:, :, :10, :10].reshape(len(x), 6, 5, 2, 5, 2).max(axis=(3, 5))
    a2 = np.maximum(m2, 0).reshape(len(x), 150)
    h = np.maximum(a2 @ p["fc1.w"].T + p["fc1.b"], 0)
    logits = h @ p["fc2.w"].T + p["fc2.b"]
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    loss = -np.mean(np.log(probabilities[np.arange(len(y)), y]))
    dlogits = (probabilities - np.eye(10)[y]) / len(y)
    grads = {"fc2.w": dlogits.T @ h, "fc2.b": dlogits.sum(0)}
    dh = (dlogits @ p["fc2.w"]) * (h > 0)
    grads["fc1.w"], grads["fc1.b"] = dh.T @ a2, dh.sum(0)
    dm2 = (dh @ p["fc1.w"]).reshape(m2.shape) * (m2 > 0)
    da1, grads["conv2.w"], grads["conv2.b"] = conv2d_backward_loops(loop_pool_backward(dm2, z2), a1, p["conv2.w"])
    dz1 = loop_pool_backward(da1 * (m1 > 0), z1)
    _, grads["conv1.w"], grads["conv1.b"] = conv2d_backward_loops(dz1, x, p["conv1.w"])
    return loss, grads


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_network_equals_the_same_layers_written_as_loops(digits, dtype):
    """loss_and_grads (im2col, strided pooling views) against loops for conv and pooling, ties included."""
    x = np.concatenate([digits[0][:5], rng.random((1, 1, 28, 28))]).astype(dtype)  # real digits have tied windows
    y = np.concatenate([digits[1][:5], [3]])
    for seed in (0, 1):
        params = network.init_params(seed=seed, dtype=dtype)
        if seed:
            with_random_biases(params)
        loss, grads = network.loss_and_grads(params, x, y)
        ref_loss, ref_grads = loops_loss_and_grads(params, x, y)
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
    _, ref = loops_loss_and_grads(params, x, np.array([0]))
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
    for call, argument in [
        (lambda: network.init_params(init="xavier"), "init"),
        (lambda: network.init_params(dtype=np.int32), "dtype"),
        (lambda: network.init_params(seed=-1), "seed"),
        (lambda: network.loss_and_grads({k: v for k, v in params.items() if k != "fc2.b"}, x, y), r"params\['fc2.b'\]"),
        (lambda: network.loss_and_grads(dict(params, **{"fc1.w": params["fc1.w"].T}), x, y), r"params\['fc1.w'\]"),
        (lambda: network.loss_and_grads(dict(params, **{"fc2.b": params["fc2.b"].astype(np.float64)}), x, y),
         r"params\['fc2.b'\]"),
        (lambda: network.loss_and_grads(params, x[:, 0], y), "x"),
        (lambda: network.loss_and_grads(params, np.full_like(x, np.inf), y), "x"),
        (lambda: network.loss_and_grads(params, x, y[:1]), "y"),
        (lambda: network.loss_and_grads(params, x, np.array([0, 10])), "y"),
        (lambda: network.loss_and_grads(network.init_params(dtype=np.float64), np.zeros((20000, 1, 28, 28)),
                                        np.zeros(20000, int)), "x"),
        (lambda: network.train(params, x, y, batch_size=5), "batch_size"),
        (lambda: network.gradient_check(params, x, y), "params"),
    ]:
        with pytest.raises((ValueError, TypeError), match=rf"^{argument}"):
            call()
    assert np.isfinite(network.loss_and_grads(params, x * 255, y)[0])          # any finite float is an input


# ---------------------------------------------------------------------------- learning

def test_a_training_step_moves_every_weight_against_its_gradient(digits):
    x, y = digits[0][:8], digits[1][:8]
    params = network.init_params(dtype=np.float64)
    before = {k: v.copy() for k, v in params.items()}
    _, grads = network.loss_and_grads(before, x, y)
    network.train(params, x, y, learning_rate=0.5, batch_size=8, seed=0)      # one step on the whole batch
    assert all(np.allclose(params[k], before[k] - 0.5 * grads[k]) for k in params)


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


# ---------------------------------------------------------------------------- issue 11: inputs, divergence, moves

def test_standardized_inputs_give_central_difference_gradients(digits):
    """x_std = (x − mean) / std (PyTorch's Normalize): accepted, and its gradients are the loss's own."""
    x, y = digits[0][:4], digits[1][:4]
    x_std = (x - x.mean()) / x.std()
    assert x_std.min() < -0.3 and x_std.max() > 2          # outside [0, 1] on both sides
    params = with_random_biases(network.init_params(seed=2, dtype=np.float64))
    loss, grads = network.loss_and_grads(params, x_std, y)
    for name in network.SHAPES:
        size = params[name].size
        for index in (range(size) if size <= 60 else rng.choice(size, 30, replace=False)):
            numeric = central_difference(params, x_std, y, name, index)
            analytic = grads[name].reshape(-1)[index]
            assert abs(analytic - numeric) <= 1e-6 * max(abs(analytic) + abs(numeric), 1e-3), (name, index)
    # raw 0…255 floats too, in float32 (a learner who forgot to divide)
    assert np.isfinite(network.loss_and_grads(network.init_params(), x * 255, y)[0])


def snapshots_of_params(history_list, params):
    """on_progress callback (progress_every=1) that keeps a copy of params after every step (history_list[0]: start)."""
    def record(history):
        if len(history_list) < len(history["loss"]) + 1:
            history_list.append({k: v.copy() for k, v in params.items()})
    return record


@pytest.mark.parametrize("learning_rate", [1e6, 1000, 30, 5])
def test_divergence_raises_naming_the_step_and_keeps_the_last_good_params(learning_rate):
    """Non-finite, blown-up (over BLOW_UP × the first loss) or all-dead: one notion, one exception, never a result."""
    subset = data.load_subset()
    params = network.init_params(seed=0)
    after_step = [{k: v.copy() for k, v in params.items()}]
    with pytest.raises(network.TrainingDiverged) as caught:
        network.train(params, subset.x_train[:640], subset.y_train[:640], learning_rate=learning_rate,
                      batch_size=32, epochs=10, on_progress=snapshots_of_params(after_step, params), progress_every=1)
    error = caught.value
    assert isinstance(error, ValueError) and error.learning_rate == learning_rate and error.reason
    message = str(error)
    assert f"diverged at step {error.step} of 200" in message and f"η = {learning_rate:g}" in message
    assert f"try {learning_rate / 10:g}" in message and "standardize" in message
    history = error.history
    good = len(history["loss"])                     # the steps that were taken
    assert good in (error.step - 1, error.step) and len(history["up"]) == good == len(after_step) - 1
    assert all(np.isfinite(history["loss"])) and len(history["moves"]["fc1.w"]["up"]) == good
    assert history["snapshot_steps"][-1] == good and f"params are as after step {good}" in message
    for name in params:  # as after the last good step, never touched by a failed one
        assert np.array_equal(params[name], after_step[-1][name]) and np.isfinite(params[name]).all()


def test_training_twice_from_the_same_start_gives_the_same_history():
    subset = data.load_subset()
    runs = []
    for _ in range(2):
        params = network.init_params(seed=4)
        history = network.train(params, subset.x_train[:320], subset.y_train[:320], learning_rate=0.1,
                                batch_size=32, epochs=2, seed=7, x_test=subset.x_test[:50], y_test=subset.y_test[:50],
                                snapshot_every=5)
        runs.append((params, history))
    (p1, h1), (p2, h2) = runs
    snapshots = [h.pop("snapshots") for h in (h1, h2)]
    assert h1 == h2
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(*snapshots, strict=True) for k in network.FILTER_KEYS)
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)


def test_per_layer_move_fractions_against_a_direct_computation():
    subset = data.load_subset()
    x, y = subset.x_train[:192], subset.y_train[:192]
    params = network.init_params(seed=1)
    start = {k: v.copy() for k, v in params.items()}
    after_step = []
    history = network.train(params, x, y, learning_rate=0.1, batch_size=32, epochs=1, seed=3,
                            on_progress=snapshots_of_params(after_step, params), progress_every=1)
    assert set(history["moves"]) == set(network.MOVE_KEYS) == {"conv1.w", "conv2.w", "fc1.w"}
    order = np.random.default_rng(3).permutation(len(y))         # train's shuffle, written out again
    before = [start] + after_step[:-1]
    for step in range(6):
        batch = order[32 * step:32 * (step + 1)]
        _, grads = network.loss_and_grads(before[step], x[batch].astype(np.float32) / np.float32(255), y[batch])
        pooled_up = pooled_down = 0
        for key in network.MOVE_KEYS:
            g = grads[key]
            up, down = np.sum(g < 0) / g.size, np.sum(g > 0) / g.size
            assert history["moves"][key]["up"][step] == up and history["moves"][key]["down"][step] == down
            # and the weights really moved that way (a gradient below rounding may leave a weight unmoved)
            moved = after_step[step][key] - before[step][key]
            assert np.sum(moved > 0) / g.size <= up and np.sum(moved < 0) / g.size <= down
            assert up - np.sum(moved > 0) / g.size < 0.02
            if key in network.FILTER_KEYS:
                pooled_up, pooled_down = pooled_up + np.sum(g < 0), pooled_down + np.sum(g > 0)
        assert history["up"][step] == pytest.approx(pooled_up / 378) and history["down"][step] == pytest.approx(
            pooled_down / 378)


def test_train_refuses_bad_arguments_before_touching_params():
    subset = data.load_subset()
    x, y = subset.x_train[:4000].copy(), subset.y_train[:4000].copy()
    params = network.init_params(seed=0)
    start = {k: v.copy() for k, v in params.items()}
    late_label = y.copy()
    late_label[3000] = 10
    late_nan = x.astype(np.float32) / 255
    late_nan[3999, 0, 5, 5] = np.nan
    calls = [
        (dict(y=late_label), "y"), (dict(x=late_nan), "x"), (dict(x_test=subset.x_test[:10]), "x_test and y_test"),
        (dict(y_test=subset.y_test[:10]), "x_test and y_test"),
        (dict(x_test=subset.x_test[:10], y_test=subset.y_test[:9]), "y_test"),
        (dict(x_test=subset.x_test[:10, 0], y_test=subset.y_test[:10]), "x_test"),
        (dict(progress_every=0), "progress_every"), (dict(snapshot_every=-1), "snapshot_every"),
        (dict(snapshot_every=2.5), "snapshot_every"), (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(learning_rate=float("inf")), "learning_rate"), (dict(learning_rate=0), "learning_rate"),
        (dict(learning_rate="0.1"), "learning_rate"), (dict(on_progress="print"), "on_progress"),
        (dict(batch_size=0), "batch_size"), (dict(batch_size=True), "batch_size"), (dict(epochs=0), "epochs"),
        (dict(seed=-1), "seed"), (dict(seed="a"), "seed"), (dict(y=y[:-1]), "y"), (dict(y=y.astype(float)), "y"),
        (dict(x=x.astype(complex)), "x"),
    ]
    for change, argument in calls:
        arguments = dict(x=x, y=y, learning_rate=0.1, batch_size=64, epochs=1) | change
        with pytest.raises((ValueError, TypeError), match=rf"^{argument}"):
            network.train(params, arguments.pop("x"), arguments.pop("y"), **arguments)
        assert all(np.array_equal(params[k], start[k]) for k in params), change
    # uint8 pixels and floats still train
    assert len(network.train(params, x[:128], y[:128], batch_size=64)["loss"]) == 2
    assert len(network.train(network.init_params(), x[:128] / 255.0, y[:128], batch_size=64)["loss"]) == 2


def test_accuracy_and_cross_entropy():
    params = network.init_params(dtype=np.float64)
    subset = data.load_subset()
    x, y = subset.x_test[:20], subset.y_test[:20]
    logits = network.predict(params, x)
    assert network.accuracy(params, x, y) == np.mean(logits.argmax(1) == y)
    loss, dlogits = network.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(np.log(4)) and np.allclose(dlogits.sum(axis=1), 0)


def test_dead_units_against_the_layers_and_in_the_history():
    from helpers.nn.conv import conv2d
    from helpers.nn.pool import maxpool2d

    subset = data.load_subset()
    x = subset.x_train[:300]
    params = network.init_params(seed=0, dtype=np.float64)
    params["conv1.b"][2] = -50.0                    # conv1 filter 2 never fires on pixels in [0, 1]
    params["conv2.b"][4] = -50.0
    params["fc1.b"][[7, 90]] = -50.0
    dead = network.dead_units(params, x)
    # the same from the course's layers, written out
    images = x.astype(np.float64) / 255
    a1 = np.maximum(maxpool2d(conv2d(images, params["conv1.w"], params["conv1.b"])), 0)
    a2 = np.maximum(maxpool2d(conv2d(a1, params["conv2.w"], params["conv2.b"])), 0)
    h = np.maximum(a2.reshape(len(x), 150) @ params["fc1.w"].T + params["fc1.b"], 0)
    expected = {"conv1": np.flatnonzero(a1.max(axis=(0, 2, 3)) == 0),
                "conv2": np.flatnonzero(a2.max(axis=(0, 2, 3)) == 0),
                "fc1": np.flatnonzero(h.max(axis=0) == 0)}
    assert dead == {k: list(v) for k, v in expected.items()}
    assert dead["conv1"] == [2] and 4 in dead["conv2"] and {7, 90} <= set(dead["fc1"])
    history = network.train(params, x[:64], subset.y_train[:64], learning_rate=0.01, batch_size=32)
    assert history["dead_units"] == network.dead_units(params, x[:64])


def test_a_batch_too_big_for_a_binder_is_refused_naming_it():
    float64 = network.init_params(dtype=np.float64)
    float64_start = {k: v.copy() for k, v in float64.items()}
    with pytest.raises(ValueError, match="^batch_size is too large"):
        network.train(float64, np.zeros((9000, 1, 28, 28), np.uint8), np.zeros(9000, int), batch_size=9000)
    assert all(np.array_equal(float64[k], float64_start[k]) for k in float64)


def test_calls_from_several_threads_give_the_serial_results():
    from concurrent.futures import ThreadPoolExecutor

    subset = data.load_subset()
    params = network.init_params()
    batches = [(subset.x_train[i:i + 16 + i % 3].astype(np.float32) / 255, subset.y_train[i:i + 16 + i % 3])
               for i in range(0, 40 * 16, 16)]
    serial = [network.loss_and_grads(params, xb, yb) for xb, yb in batches]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda b: network.loss_and_grads(params, *b), batches * 3))
    for (loss, grads), (want_loss, want) in zip(threaded, serial * 3, strict=True):
        assert loss == want_loss and all(np.array_equal(grads[k], want[k]) for k in grads)


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
    from helpers.widgets.training import TrainingProgress

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
    from helpers.widgets.training import FilterExplorer

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
    from helpers.widgets.training import FilterExplorer

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

    from helpers.widgets import training as tw

    params, history = short_run
    start = history["snapshots"][0]["conv1.w"]
    figures = [tw.plot_curves(history),
               tw.plot_filter_mosaic([start, params["conv1.w"]], ["start", "end"], "filters")]
    for fig in figures:
        assert fig._suptitle is not None or fig.axes[0].get_title()
        plt.close(fig)
    filters = tw.plot_filter_mosaic([start], ["start"], "one row", colorbar_label="weight")
    assert any(ax.get_ylabel() == "weight" for ax in filters.axes), "a colorbar labelled 'weight'"
    plt.close(filters)
    with pytest.raises(ValueError, match="rows"):
        tw.plot_filter_mosaic([np.zeros((6, 3, 3))], ["bad"], "bad")


def test_mosaic_writes_values_or_marks_signs_and_examples_label_every_image():
    import matplotlib.pyplot as plt

    from helpers import data
    from helpers.widgets import training as tw

    bank = np.arange(-27, 27, dtype=float).reshape(6, 1, 3, 3) / 10   # 27 negative, one zero, 26 positive
    written = tw.plot_filter_mosaic([bank], ["a"], "values", digits=2)
    texts = [t.get_text() for t in written.axes[0].texts]
    assert len(texts) == 54 and "−2.70" in texts and "+2.60" in texts and "0.00" in texts
    marked = tw.plot_filter_mosaic([bank, -bank], ["a", "b"], "signs", digits=None)
    assert not marked.axes[0].texts
    counts = {}
    for collection in marked.axes[0].collections:
        marker = collection.get_paths()[0]
        counts[len(marker.vertices)] = counts.get(len(marker.vertices), 0) + len(collection.get_offsets())
    assert sum(counts.values()) == 2 * 53       # every non-zero weight of both banks has a mark, zeros none
    assert marked.axes[0].get_xlim() == written.axes[0].get_xlim()   # the marks do not move the image
    dataset = data.load("subset")
    examples = tw.plot_examples(dataset.x_train, dataset.y_train, dataset.classes, count=5)
    labels = [t.get_text() for t in examples.axes[0].get_xticklabels()]
    assert labels == [dataset.classes[int(k)] for k in dataset.y_train[:5]]
    for fig in (written, marked, examples):
        plt.close(fig)


def test_sign_changes():
    before = np.array([[0.5, -0.2], [0.0, -1.0]])
    after = np.array([[-0.1, 0.3], [0.2, -0.5]])
    changes = network.sign_changes(before, after)
    assert changes["negative_before"] == 2 and changes["negative_after"] == 2
    assert changes["to_negative"] == [(0, 0)] and changes["to_positive"] == [(0, 1)]


