"""The signs of weight updates, on the course's small example: a 2×2 filter on a 3×3 image.

The model is the smallest one that has everything the question needs — a filter, an optional
ReLU, a downstream weight and a loss:

    o = corr(I, W) + b            (2, 2)  the filter's outputs (valid cross-correlation, stride 1)
    a = ReLU(o)  or  a = o        (2, 2)  the optional ReLU gate
    y = v · mean(a)               ()      a global average pool and one downstream weight v
        or y = mean(v ⊙ a)                one downstream weight per output, v (2, 2): the smallest head whose
                                          downstream weights can differ in sign
    L = ½ (y − t)² + ½ λ ‖W‖²             squared error to the target t, optional L2 weight decay λ

and the chain rule gives, with gate = 1[o > 0] (ReLU; ReLU'(0) is taken as 0) or 1 (no ReLU):

    δ = ∂L/∂o = (y − t) · v · gate / 4      (2, 2)  the upstream gradient (v_mn with per-output weights)
    ∂L/∂W = corr(I, δ) + λ W                (2, 2)
    ∂L/∂b = Σ δ
    ΔW = −η ∂L/∂W                           one step of plain SGD with learning rate η

So the sign of every update is the sign of −Σ input × δ: the gate only decides which terms count; the
sign of δ comes from (y − t) and v. With one v and inputs ≥ 0 all four weights move the same way; with
per-output weights of both signs one step can raise some weights of the filter and lower others.

An image is a plain (H, W) matrix, as learners first meet I11…I33, or a batch (N, H, W) (the loss is then
the mean over the N examples); the correlations are helpers.nn.conv's, on (N, 1, H, W).
"""
import math
import numbers

import numpy as np

from helpers.door import check_memory, checked, finite_array, flag, number, real_array
from helpers.nn.conv import conv2d, conv2d_backward
from helpers.nn.network import TrainingDiverged, divergence

MAX_STEPS = 10_000   # SGD steps of one train / train_two_layer run (notebook 05: 1,500); each is a Python loop turn
_ABSENT = object()   # an argument the checked function does not have


# ---------------------------------------------------------------- checks at the door

def _out_shape(image_shape, kernel_shape):
    """(OH, OW) = (H − kh + 1, W − kw + 1), the valid correlation's output of an (…, H, W) image."""
    return image_shape[-2] - kernel_shape[0] + 1, image_shape[-1] - kernel_shape[1] + 1


def _image_and_filter(image, weights, image_name, weights_name):
    image, weights = finite_array(image, image_name, (2, 3)), finite_array(weights, weights_name, (2,))
    if not (1 <= weights.shape[0] <= image.shape[-2] and 1 <= weights.shape[1] <= image.shape[-1]):
        raise ValueError(f"{weights_name} of shape {weights.shape} do not fit inside an image of shape "
                         f"{image.shape[-2:]} ({image_name} shape {image.shape})")
    windows = image[..., :1, :1].size * math.prod(_out_shape(image.shape, weights.shape))
    check_memory(8 * windows * weights.size, image_name)   # the windows conv2d copies out
    return image, weights


def _downstream(downstream, out_shape):
    """A number, or one weight per filter output (OH, OW)."""
    downstream = finite_array(downstream, "downstream", (0, 2))
    if downstream.ndim and downstream.shape != out_shape:
        raise ValueError(f"downstream must be one number or one weight per output {out_shape}; "
                         f"got shape {downstream.shape}")
    return downstream if downstream.ndim else float(downstream)


def _target(target, image):
    target = finite_array(target, "target", (0, 1))
    if target.shape not in ((), image.shape[:-2]):
        raise ValueError(f"target must be one number or one per image {image.shape[:-2]}; got shape {target.shape} "
                         f"for images of shape {image.shape}")
    return np.broadcast_to(target, image.shape[:-2])


def _steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer from 0 to {MAX_STEPS:,}; got {steps!r:.60}")
    return int(steps)


def _example(image, weights, bias, downstream, relu, target=_ABSENT, weight_decay=_ABSENT, **rest):
    """The one-layer model's arguments, checked and converted (the ones the function has)."""
    image, weights = _image_and_filter(image, weights, "image", "weights")
    checked_args = {"image": image, "weights": weights, "bias": number(bias, "bias"), "relu": flag(relu, "relu"),
                    "downstream": _downstream(downstream, _out_shape(image.shape, weights.shape)), **rest}
    if target is not _ABSENT:
        checked_args["target"] = _target(target, image)
    if weight_decay is not _ABSENT:
        checked_args["weight_decay"] = number(weight_decay, "weight_decay", low=0.0)
    return checked_args


def _run(lr, steps, train_bias, **example):
    return {**_example(**example), "lr": number(lr, "lr", 0.0, strict=True), "steps": _steps(steps),
            "train_bias": flag(train_bias, "train_bias")}


def _moves(before, after, tol):
    before, after = real_array(before, "before"), real_array(after, "after")
    if before.shape != after.shape:
        raise ValueError(f"before and after must have the same shape; got {before.shape} and {after.shape}")
    return {"before": before, "after": after, "tol": number(tol, "tol", low=0.0)}


def _two_layer(x, w1, b1, w2, b2, downstream, target):
    x, w1 = _image_and_filter(x, w1, "x", "w1")
    hidden_shape = _out_shape(x.shape, w1.shape)
    w2 = finite_array(w2, "w2", (2,))
    if not (1 <= w2.shape[0] <= hidden_shape[0] and 1 <= w2.shape[1] <= hidden_shape[1]):
        raise ValueError(f"w2 of shape {w2.shape} does not fit inside the first layer's output {hidden_shape} "
                         f"(x {x.shape} correlated with w1 {w1.shape})")
    check_memory(8 * x[..., :1, :1].size * math.prod(_out_shape(hidden_shape, w2.shape)) * w2.size, "w2")
    return {"x": x, "w1": w1, "b1": number(b1, "b1"), "w2": w2, "b2": number(b2, "b2"),
            "downstream": _downstream(downstream, _out_shape(hidden_shape, w2.shape)), "target": _target(target, x)}


def _two_layer_run(lr, steps, **model):
    return {**_two_layer(**model), "lr": number(lr, "lr", 0.0, strict=True), "steps": _steps(steps)}


# ---------------------------------------------------------------- the model

def _as_batch(images):
    """(H, W) or (N, H, W) as (N, 1, H, W), the NCHW layout of helpers.nn.conv."""
    return images.reshape((-1, 1) + images.shape[-2:])


def correlate_valid(image, weights):
    """Valid cross-correlation, no flip: out[m, n] = Σ_ij image[m+i, n+j] · weights[i, j] (o11 is out[0, 0]).

    image: (H, W) or (N, H, W); weights: (kh, kw). Returns (H−kh+1, W−kw+1), or (N, …) for a batch.
    """
    out = conv2d.unchecked(_as_batch(image), weights[None, None], np.zeros(1))
    return out.reshape(image.shape[:-2] + out.shape[-2:])


def backward(image, weights, delta):
    """Both gradients of corr(image, weights) from δ = ∂L/∂o (image (…, H, W), weights (kh, kw), δ (…, OH, OW)).

    Returns (∂L/∂I with the shape of image: δ fully correlated with W rotated by 180°, the layer below's δ;
    ∂L/∂W = corr(I, δ) (kh, kw), summed over a batch).
    """
    d_image, d_weights, _ = conv2d_backward.unchecked(_as_batch(delta), _as_batch(image), weights[None, None])
    return d_image.reshape(image.shape), d_weights[0, 0]


@checked(_example)
def forward(image, weights, bias=0.0, downstream=1.0, relu=False):
    """The forward pass of the small model.

    image:      (H, W) or (N, H, W)   the input I
    weights:    (kh, kw)              the filter W
    bias:       number                the filter's bias b
    downstream: number, or (OH, OW)   the downstream weight v, or one weight per output
    relu:       bool                  put a ReLU after the filter
    Returns (o, a, y): o = corr(I, W) + b and a = ReLU(o) (or o), both (OH, OW) or (N, OH, OW);
    y = mean(v · a) over the outputs, a number or (N,) (v · mean(a) for one v).
    """
    o = correlate_valid(image, weights) + bias
    a = np.maximum(o, 0.0) if relu else o
    return o, a, (downstream * a).mean(axis=(-2, -1))


@checked(_example)
def upstream_grad(image, weights, bias, downstream, target, relu=False):
    """δ = ∂L/∂o, the upstream gradient at the filter's outputs (the data loss only); arguments as in gradients.

    Returns δ with the shape of o: δ = (y − t) · v · gate / (OH·OW) / N, gate = 1[o > 0] with ReLU, else 1.
    """
    o, _, y = forward.unchecked(image, weights, bias, downstream, relu)
    dl_da = (y - target)[..., None, None] * downstream / o.size
    if not relu:
        return np.broadcast_to(dl_da, o.shape).copy()
    return np.where(o > 0, dl_da, 0.0)  # a closed gate passes back exactly 0 (never −0)


@checked(_example)
def gradients(image, weights, bias, downstream, target, relu=False, weight_decay=0.0):
    """All the gradients of one step.

    image (H, W) or (N, H, W); weights (kh, kw); bias, weight_decay (λ ≥ 0) numbers; downstream a number or
    (OH, OW); target a number or (N,).
    Returns (grad_w, grad_b, delta): grad_w = corr(I, δ) + λ W (kh, kw); grad_b = Σ δ (float);
    delta = ∂L/∂o with the shape of o.
    """
    delta = upstream_grad.unchecked(image, weights, bias, downstream, target, relu)
    return backward(image, weights, delta)[1] + weight_decay * weights, float(delta.sum()), delta


def loss(image, weights, bias, downstream, target, relu=False, weight_decay=0.0):
    """L = mean over images of ½ (y − t)², plus ½ λ ‖W‖²; arguments as in ``gradients``. Returns a float."""
    y = forward.unchecked(image, weights, bias, downstream, relu)[2]
    return float(np.mean(0.5 * (y - target) ** 2) + 0.5 * weight_decay * np.sum(weights ** 2))


def sgd_step(image, weights, bias, downstream, target, lr, relu=False, weight_decay=0.0, train_bias=True):
    """One step of plain SGD, W ← W − η ∂L/∂W (b too when train_bias), lr = η; arguments as arrays.

    Returns (new_weights (kh, kw), new_bias float, update ΔW (kh, kw)).
    """
    grad_w, grad_b, _ = gradients.unchecked(image, weights, bias, downstream, target, relu, weight_decay)
    return weights - lr * grad_w, float(bias) - lr * grad_b if train_bias else float(bias), -lr * grad_w


@checked(_run)
def train(image, weights, bias, downstream, target, lr, steps, relu=False, weight_decay=0.0, train_bias=True):
    """Run ``steps`` steps of plain SGD (full batch) and keep the whole history.

    Arguments as in ``gradients``; lr η > 0; steps an integer from 0 to MAX_STEPS; train_bias: update b too.
    Returns a dict: "weights" (steps+1, kh, kw), "bias" (steps+1,), "loss" (steps+1,); entry k is after k steps.
    A run that diverges (helpers.nn.network.divergence) raises TrainingDiverged with the history so far.
    """
    history = {"weights": [], "bias": [], "loss": []}
    for k in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):       # reported below, as a divergence
            value = loss(image, weights, bias, downstream, target, relu, weight_decay)
            grad_w, grad_b, _ = gradients.unchecked(image, weights, bias, downstream, target, relu, weight_decay)
        reason = divergence(value, history["loss"][0] if history["loss"] else None,
                            (grad_w, grad_b if train_bias else 0.0) if k < steps else None)
        if reason:
            _diverged(k, steps, lr, reason, value, history)
        history["weights"].append(weights)
        history["bias"].append(bias)
        history["loss"].append(value)
        if k < steps:
            weights, bias = weights - lr * grad_w, float(bias) - lr * grad_b if train_bias else float(bias)
    return {name: np.array(values) for name, values in history.items()}


def _diverged(step, steps, lr, reason, value, history):
    """Raise the course's TrainingDiverged for step `step` of a run of 05's model; history: the run so far."""
    raise TrainingDiverged(
        f"training diverged at step {step} of {steps} with lr = {lr:g}: {reason}; use a smaller lr (about "
        f"{lr / 10:g})", step=step, reason=reason, history={k: np.array(v) for k, v in history.items()},
        learning_rate=lr, loss=value)


def move_signs(before, after, tol=1e-12):
    """Which way each weight moved: +1 up, −1 down, 0 unchanged (|change| ≤ tol); ints, the shape of before."""
    change = np.subtract(after, before)
    return np.where(change > tol, 1, np.where(change < -tol, -1, 0))


@checked(_moves)
def tally_moves(before, after, tol=1e-12):
    """Count the moves from before to after (arrays of one shape): (went_up, went_down, unchanged) as ints."""
    signs = move_signs(before, after, tol)
    return int(np.sum(signs > 0)), int(np.sum(signs < 0)), int(np.sum(signs == 0))


@checked(_two_layer)
def two_layer_gradients(x, w1, b1, w2, b2, downstream, target):
    """Gradients of a two-layer model with ReLU after both filters (a counterexample's model).

        I = ReLU(corr(x, W1) + b1)      the first layer's output: never negative
        o = corr(I, W2) + b2;  y = v · mean(ReLU(o));  L = mean of ½ (y − t)²

    x: (H, W) or (N, H, W); w1 (k1h, k1w) fitting inside x; w2 (k2h, k2w) fitting inside I; b1, b2 numbers;
    downstream v a number, or one weight per output of the second layer (OH, OW); target a number or (N,).
    Returns a dict: "w1", "b1", "w2", "b2" the gradients (shapes of the parameters), "loss" (float)
    and "hidden" the first layer's output I ((H−k1h+1, W−k1w+1) or (N, …)).
    Raises ValueError naming the wrong argument, or all of them when the model overflows.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # finite arguments can still overflow: checked below
        pre_hidden = correlate_valid(x, w1) + b1
        hidden = np.maximum(pre_hidden, 0.0)
        delta2 = upstream_grad.unchecked(hidden, w2, b2, downstream, target, relu=True)
        d_hidden, grad_w2 = backward(hidden, w2, delta2)
        delta1 = d_hidden * (pre_hidden > 0)
        y = forward.unchecked(hidden, w2, b2, downstream, relu=True)[2]
        result = {"w1": backward(x, w1, delta1)[1], "b1": float(delta1.sum()), "w2": grad_w2,
                  "b2": float(delta2.sum()), "loss": float(np.mean(0.5 * (y - target) ** 2)), "hidden": hidden}
    if not all(np.all(np.isfinite(value)) for value in result.values()):
        raise ValueError("x, w1, b1, w2, b2, downstream and target are too large: the model's outputs or "
                         "gradients overflow to ±inf or NaN; use numbers of smaller magnitude")
    return result


@checked(_two_layer_run)
def train_two_layer(x, w1, b1, w2, b2, downstream, target, lr, steps):
    """Plain SGD on both layers of ``two_layer_gradients``' model (lr η > 0, 0 ≤ steps ≤ MAX_STEPS).

    Returns the history, "w1" (steps+1, k1h, k1w), "w2", "b1", "b2", "loss": entry k after k steps. A run
    that diverges (helpers.nn.network.divergence, or an overflow) raises TrainingDiverged, a ValueError
    naming the step and lr, with the history so far as ``.history``.
    """
    params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
    history = {name: [] for name in (*params, "loss")}
    for k in range(steps + 1):
        try:
            grads = two_layer_gradients.unchecked(x, **params, downstream=downstream, target=target)
        except ValueError:                               # the model overflowed: its loss is not a number
            if k == 0:
                raise
            _diverged(k, steps, lr, "the weights grew until the model overflowed", math.inf, history)
        reason = divergence(grads["loss"], history["loss"][0] if history["loss"] else None,
                            [grads[name] for name in params] if k < steps else None)
        if reason:
            _diverged(k, steps, lr, reason, grads["loss"], history)
        for name in params:
            history[name].append(params[name])
        history["loss"].append(grads["loss"])
        if k < steps:
            params = {name: params[name] - lr * grads[name] for name in params}
    return {name: np.array(values) for name, values in history.items()}
