"""The seed network of the course, built from the layers of notebooks 03 and 04, and plain SGD.

    x (N,1,28,28) → conv1 6@3×3 → (N,6,26,26) → maxpool 2×2 → (N,6,13,13) → ReLU
                  → conv2 6@3×3 → (N,6,11,11) → maxpool 2×2 → (N,6,5,5)   → ReLU   (floor: row/col 10 unused)
                  → flatten (C,H,W) → (N,150) → fc1 → (N,128) → ReLU → fc2 → logits (N,10)

``forward`` runs the layers in order; ``loss_and_grads`` adds the loss and runs their backward passes in
reverse: the chain rule, one line per layer (a ReLU shares its line with the layer before it). The layers
are conv2d, maxpool2d and relu themselves, called through ``.unchecked`` (the same functions without their
door's argument checks: the network checks its own arguments once, at its door).
"""
import numpy as np

from helpers import door
from helpers.door import checked
from helpers.nn.conv import conv2d, conv2d_backward
from helpers.nn.gradcheck import numerical_gradient, relative_error
from helpers.nn.layers import linear, linear_backward, relu, relu_backward, softmax_cross_entropy
from helpers.nn.pool import maxpool2d, maxpool2d_backward

SHAPES = {
    "conv1.w": (6, 1, 3, 3), "conv1.b": (6,),
    "conv2.w": (6, 6, 3, 3), "conv2.b": (6,),
    "fc1.w": (128, 150), "fc1.b": (128,),
    "fc2.w": (10, 128), "fc2.b": (10,),
}
FILTER_KEYS = ("conv1.w", "conv2.w")
MOVE_KEYS = ("conv1.w", "conv2.w", "fc1.w")   # the layers whose per-step moves train records
INITS = ("he", "glorot")
BYTES_PER_IMAGE = 120_000    # working memory of one image's forward + backward pass, float64 (measured, rounded up)
BLOW_UP = 10   # a loss over BLOW_UP × the run's first loss means the run diverged


class TrainingDiverged(ValueError):
    """``train`` stopped because the run diverged: the one notion of divergence in the course.

    A run diverges when a step's loss is NaN or inf, when it climbs over BLOW_UP × the run's first loss,
    when an update would make a weight non-finite, or when every unit of a layer is dead at an epoch's end
    (the network then answers the same for every image and can never learn again).
    .step: the step that failed; .reason: what happened; .learning_rate; .loss: that step's loss;
    .history: the run so far (train's keys). params are left as they were after the last good step.
    """

    def __init__(self, message, *, step, reason, history, learning_rate, loss):
        super().__init__(message)
        self.step, self.reason, self.history, self.learning_rate, self.loss = step, reason, history, learning_rate, loss


def divergence(loss, first_loss=None, grads=None):
    """Why a run diverged at a step with this loss, or None: the rule every trainer of the course shares.

    The loss is NaN or inf; or it is over BLOW_UP × first_loss (the run's first); or grads are given, all
    exactly 0, while the loss is not (every gate closed: the model can never change again). network.train
    adds the two checks only a network needs: an update that would overflow, and a layer whose units all died.
    """
    if not np.isfinite(loss):
        return f"the loss was {loss}"
    if first_loss is not None and loss > BLOW_UP * first_loss:
        return f"the loss was {loss:.3g}, up from {first_loss:.3g}"
    if grads is not None and loss > 0 and not any(np.any(g) for g in grads):
        return "every gradient is 0 while the loss is not (every ReLU gate closed): the model cannot learn again"
    return None


@checked(door.init_args)
def init_params(seed=0, dtype=np.float32, init="he"):
    """Random starting weights and zero biases for the seed network.

    seed: int for np.random.default_rng; dtype: np.float32 or np.float64
    init: "he" — normal with std sqrt(2 / fan_in), suited to ReLU (the default);
          "glorot" — uniform on ±sqrt(6 / (fan_in + fan_out)), Keras' default
    Returns a dict {name: array} with the shapes of SHAPES.
    """
    rng, params = np.random.default_rng(seed), {}
    for name, shape in SHAPES.items():
        if name.endswith(".b"):
            params[name] = np.zeros(shape, dtype=dtype)
            continue
        receptive = int(np.prod(shape[2:]))          # 1 for a dense layer
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
        if init == "he":
            weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights = rng.uniform(-limit, limit, size=shape)
        params[name] = weights.astype(dtype)
    return params


def _images(x, dtype):
    """Images as floats in the params' dtype: uint8 pixels divided by 255, other numbers converted."""
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return x.astype(dtype) / dtype.type(255)
    return x.astype(dtype, copy=False)


@checked(door.forward_args)
def forward(params, x):
    """The forward pass, layer by layer. x: (N, 1, 28, 28) images (uint8 pixels are divided by 255).

    Returns logits (N, 10) and every layer's output, in order, for the backward pass.
    """
    p = params
    z1 = conv2d.unchecked(x, p["conv1.w"], p["conv1.b"])     # (N, 6, 26, 26)
    m1 = maxpool2d.unchecked(z1, 2, 2)                       # (N, 6, 13, 13)
    a1 = relu.unchecked(m1)
    z2 = conv2d.unchecked(a1, p["conv2.w"], p["conv2.b"])    # (N, 6, 11, 11)
    m2 = maxpool2d.unchecked(z2, 2, 2)                       # (N, 6, 5, 5)
    a2 = relu.unchecked(m2).reshape(len(x), 150)             # flattened in (C, H, W) order
    h = relu.unchecked(linear(a2, p["fc1.w"], p["fc1.b"]))    # (N, 128)
    logits = linear(h, p["fc2.w"], p["fc2.b"])               # (N, 10)
    return logits, (z1, m1, a1, z2, m2, a2, h)


@checked(door.loss_args)
def loss_and_grads(params, x, y):
    """Mean softmax cross-entropy of the seed network and its gradient with respect to every parameter.

    params: dict from init_params; x: (N, 1, 28, 28) images (uint8 pixels are divided by 255, other
    numbers used as they are); y: (N,) integer labels 0…9
    Returns loss (a float) and grads, a dict with the keys, shapes and dtype of params.
    """
    p, grads = params, {}
    logits, (z1, m1, a1, z2, m2, a2, h) = forward.unchecked(p, x)
    loss, dlogits = softmax_cross_entropy(logits, y)
    # backward: the same layers in reverse, each taking ∂L/∂(its output) and giving ∂L/∂(its input)
    dh, grads["fc2.w"], grads["fc2.b"] = linear_backward(dlogits, h, p["fc2.w"])
    da2, grads["fc1.w"], grads["fc1.b"] = linear_backward(relu_backward.unchecked(dh, h), a2, p["fc1.w"])
    dm2 = relu_backward.unchecked(da2.reshape(m2.shape), m2)
    dz2 = maxpool2d_backward.unchecked(dm2, z2, 2, 2, "first")
    da1, grads["conv2.w"], grads["conv2.b"] = conv2d_backward.unchecked(dz2, a1, p["conv2.w"])
    dz1 = maxpool2d_backward.unchecked(relu_backward.unchecked(da1, m1), z1, 2, 2, "first")
    _, grads["conv1.w"], grads["conv1.b"] = conv2d_backward.unchecked(dz1, x, p["conv1.w"], need_dx=False)
    return loss, {name: grads[name].astype(p[name].dtype, copy=False) for name in SHAPES}


def predict(params, x, batch_size=500):
    """Logits (N, 10) of the network for images x (N, 1, 28, 28), uint8 or float, batch_size at a time."""
    dtype = params["conv1.w"].dtype
    return np.concatenate([forward.unchecked(params, _images(x[i:i + batch_size], dtype))[0]
                           for i in range(0, len(x), batch_size)])


def accuracy(params, x, y):
    """Fraction of images x (N, 1, 28, 28) whose largest logit is the label y (N,)."""
    return float(np.mean(predict(params, x).argmax(axis=1) == y))


def dead_units(params, x):
    """ReLU units that output 0 on every image of x (N, 1, 28, 28): a "dead" unit gets no gradient, ever.

    A conv filter is dead when its pooled, ReLU'd map (what the next layer reads) is 0 everywhere on every
    image; an fc1 unit when its output is 0 for every image.
    Returns {"conv1": [filter indices], "conv2": [filter indices], "fc1": [unit indices]}, sorted.
    """
    _, (_, _, a1, _, _, a2, h) = forward.unchecked(params, _images(x, params["conv1.w"].dtype))
    alive = {"conv1": (a1 > 0).any(axis=(0, 2, 3)), "conv2": (a2.reshape(len(x), 6, 25) > 0).any(axis=(0, 2)),
             "fc1": (h > 0).any(axis=0)}
    return {layer: [int(i) for i in np.flatnonzero(~on)] for layer, on in alive.items()}


@checked(door.train_args)
def train(params, x, y, *, learning_rate=0.05, batch_size=64, epochs=1, seed=0,
          x_test=None, y_test=None, on_progress=None, progress_every=10, snapshot_every=10):
    """Train with plain SGD (W ← W − η·∂L/∂W) and a fixed learning rate, in place, recording the filters.

    params: dict from init_params (updated in place)
    x: (N, 1, 28, 28) uint8 pixels (divided by 255) or any finite floats (e.g. standardized); y: (N,) labels 0…9
    learning_rate: η; batch_size: images per step; epochs: passes over the shuffled data; seed: shuffling
    x_test, y_test: held-out images and labels (both or neither), evaluated after every epoch when given
    on_progress: optional callable(history), called every progress_every steps and at each epoch's end
    snapshot_every: keep a copy of the conv filters every this many steps (and at step 0 and the end)
    Returns history, a dict:
      "loss":  per step, the batch's loss before the step
      "up", "down": per step, the fraction of conv filter weights (conv1.w and conv2.w, 378) the step
             increased / decreased; "moves": {key: {"up": [...], "down": [...]}} the same per MOVE_KEYS layer
      "epoch_steps", "test_accuracy": the step at each epoch's end and the held-out accuracy there
      "snapshot_steps", "snapshots": steps and {"conv1.w", "conv2.w"} copies taken there
      "steps_total": the steps of the whole run; "dead_units": dead_units on ≤ 1,000 training images at the end
    Raises TrainingDiverged (see there) instead of returning a run that diverged.
    """
    dtype = params["conv1.w"].dtype
    x, rng = _images(x, dtype), np.random.default_rng(seed)
    x_test = None if x_test is None else _images(x_test, dtype)
    steps_per_epoch = len(y) // batch_size               # the incomplete last batch of an epoch is skipped
    history = {"loss": [], "up": [], "down": [], "moves": {k: {"up": [], "down": []} for k in MOVE_KEYS},
               "epoch_steps": [], "test_accuracy": [], "snapshot_steps": [], "snapshots": [],
               "steps_total": steps_per_epoch * epochs}

    def snapshot(step):
        if not history["snapshot_steps"] or history["snapshot_steps"][-1] != step:
            history["snapshot_steps"].append(step)
            history["snapshots"].append({k: params[k].copy() for k in FILTER_KEYS})

    def diverged(step, reason, loss, last_good):
        snapshot(last_good)
        raise TrainingDiverged(
            f"training diverged at step {step} of {history['steps_total']} with learning rate η = {learning_rate:g}: "
            f"{reason}. Lower η (try {learning_rate / 10:g}) or standardize the inputs. params are as after step "
            f"{last_good}; the exception's .history holds the run so far.",
            step=step, reason=reason, history=history, learning_rate=learning_rate, loss=loss)

    snapshot(0)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, steps_per_epoch * batch_size, batch_size):
            batch = order[start:start + batch_size]
            with np.errstate(over="ignore", invalid="ignore"):         # reported below, as a divergence
                loss, grads = loss_and_grads.unchecked(params, x[batch], y[batch])
                updated = {k: params[k] - dtype.type(learning_rate) * grads[k] for k in SHAPES}
            reason = divergence(loss, history["loss"][0] if history["loss"] else None)
            if reason:
                diverged(step + 1, reason, loss, step)
            if not all(np.isfinite(new).all() for new in updated.values()):
                diverged(step + 1, "the update W − η·∂L/∂W would make a weight infinite", loss, step)
            for k in MOVE_KEYS:                                       # W − η·g: a weight goes up when its gradient < 0
                history["moves"][k]["up"].append(float(np.mean(grads[k] < 0)))
                history["moves"][k]["down"].append(float(np.mean(grads[k] > 0)))
            filters = np.concatenate([grads[k].ravel() for k in FILTER_KEYS])
            history["up"].append(float(np.mean(filters < 0)))
            history["down"].append(float(np.mean(filters > 0)))
            history["loss"].append(loss)
            for k in SHAPES:
                params[k][...] = updated[k]                          # in place: the caller's arrays move
            step += 1
            if step % snapshot_every == 0:
                snapshot(step)
            if on_progress is not None and step % progress_every == 0:
                on_progress(history)
        history["epoch_steps"].append(step)
        history["dead_units"] = dead_units(params, x[:1000])
        dead_layers = [layer for layer, units in history["dead_units"].items() if len(units) == SHAPES[layer + ".b"][0]]
        if dead_layers:
            diverged(step, f"every unit of {dead_layers[0]} is dead: the network answers the same for every image",
                     loss, step)
        if x_test is not None:
            history["test_accuracy"].append(accuracy(params, x_test, y_test))
        if on_progress is not None:
            on_progress(history)
    snapshot(step)
    return history


@checked(door.gradient_check_args)
def gradient_check(params, x, y, entries=5, eps=1e-5, seed=0):
    """Compare loss_and_grads with central differences, (L(θ+ε) − L(θ−ε)) / 2ε, on sampled entries.

    params: float64 dict (float32 rounding would swamp ε); x, y: a small batch
    entries: how many entries of each parameter to check (all of them if it has fewer)
    Returns {name: max relative error} (helpers.nn.gradcheck.relative_error) — expect 1e-7 or less; a wrong
    gradient gives 1e-2 or more. (A kink — a ReLU input or a max-pool tie moved by ±ε — can spoil a single
    entry; so move the biases off 0 before you check, as notebook 06 does: with zero biases the blank border
    of an image puts every ReLU input exactly on its kink.)
    """
    rng, errors = np.random.default_rng(seed), {}
    _, grads = loss_and_grads.unchecked(params, x, y)
    for name in SHAPES:
        weights = params[name]                  # numerical_gradient perturbs it in place and restores it
        picked = [np.unravel_index(index, weights.shape)
                  for index in rng.choice(weights.size, size=min(entries, weights.size), replace=False)]
        numeric = numerical_gradient(lambda _: loss_and_grads.unchecked(params, x, y)[0], weights, eps, picked)
        errors[name] = max(relative_error.unchecked(np.array(grads[name][where]), np.array(numeric[where]))
                           for where in picked)
    return errors


def sign_changes(before, after):
    """How the signs of one weight array changed between two moments of training.

    before, after: arrays of the same shape (e.g. conv1.w at step 0 and at the end)
    Returns a dict: "size", "negative_before", "negative_after" (counts), "to_negative", "to_positive"
    (lists of index tuples of the weights that crossed zero downward / upward).
    """
    return {
        "size": before.size,
        "negative_before": int(np.sum(before < 0)),
        "negative_after": int(np.sum(after < 0)),
        "to_negative": [tuple(int(i) for i in idx) for idx in np.argwhere((before >= 0) & (after < 0))],
        "to_positive": [tuple(int(i) for i in idx) for idx in np.argwhere((before < 0) & (after >= 0))],
    }
