"""The signs of weight updates, on the course's small example: a 2×2 filter on a 3×3 image, an optional ReLU,
a downstream weight and a loss, the smallest model that has everything the question needs:

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

An image is an (H, W) matrix, as learners first meet I11…I33, or a batch (N, H, W) (the loss is then the
mean over the N examples); the correlations are helpers.nn.conv's, on (N, 1, H, W).
"""
import math
import numbers

import numpy as np

from helpers.door import check_memory, checked, finite_array, flag, number, real_array
from helpers.nn.conv import conv2d, conv2d_backward
from helpers.nn.network import TrainingDiverged, divergence

MAX_STEPS = 10_000   # SGD steps of one train / train_two_layer run (notebook 05: 1,500); each is a Python loop turn


# ---------------------------------------------------------------- checks at the door

def _filter(weights, name, shape, image_name, inside):
    """weights (kh, kw) that fit inside images of shape (…, H, W), within the memory of conv2d's windows,
    and the valid correlation's output shape (…, OH, OW) = (…, H − kh + 1, W − kw + 1)."""
    weights = finite_array(weights, name, (2,))
    out_shape = shape[:-2] + (shape[-2] - weights.shape[0] + 1, shape[-1] - weights.shape[1] + 1)
    if min(out_shape[-2:]) < 1:
        raise ValueError(f"{name} of shape {weights.shape} {inside} {shape[-2:]}")
    check_memory(8 * math.prod(out_shape) * weights.size, image_name)
    return weights, out_shape


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
        raise ValueError(f"target must be one number or one per image {image.shape[:-2]}; got shape {target.shape}")
    return np.broadcast_to(target, image.shape[:-2])


def _run(lr, steps):
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer from 0 to {MAX_STEPS:,}; got {steps!r:.60}")
    return {"lr": number(lr, "lr", 0.0, strict=True), "steps": int(steps)}


def _example(image, weights, bias, downstream, relu, **rest):
    """The one-layer model's arguments, checked and converted (and of target, weight_decay, lr and steps those
    the function has)."""
    image = finite_array(image, "image", (2, 3))
    weights, out_shape = _filter(weights, "weights", image.shape, "image", "do not fit inside an image of shape")
    arguments = {"image": image, "weights": weights, "bias": number(bias, "bias"), "relu": flag(relu, "relu"),
                 "downstream": _downstream(downstream, out_shape[-2:]), **rest}
    if "target" in rest:
        arguments["target"] = _target(rest["target"], image)
    if "weight_decay" in rest:
        arguments["weight_decay"] = number(rest["weight_decay"], "weight_decay", low=0.0)
    if "lr" in rest:
        arguments.update(_run(rest["lr"], rest["steps"]))
    return arguments


def _moves(before, after, tol):
    before, after = real_array(before, "before"), real_array(after, "after")
    if before.shape != after.shape:
        raise ValueError(f"before and after must have the same shape; got {before.shape} and {after.shape}")
    return {"before": before, "after": after, "tol": number(tol, "tol", low=0.0)}


def _two_layer(x, w1, b1, w2, b2, downstream, target, **run):
    x = finite_array(x, "x", (2, 3))
    w1, hidden_shape = _filter(w1, "w1", x.shape, "x", "do not fit inside an image of shape")
    w2, out_shape = _filter(w2, "w2", hidden_shape, "x", "does not fit inside the first layer's output")
    return {"x": x, "w1": w1, "b1": number(b1, "b1"), "w2": w2, "b2": number(b2, "b2"),
            "downstream": _downstream(downstream, out_shape[-2:]), "target": _target(target, x),
            **(_run(**run) if run else {})}


# ---------------------------------------------------------------- the model

def _as_batch(images):
    """(H, W) or (N, H, W) as (N, 1, H, W), the NCHW layout of helpers.nn.conv."""
    return images.reshape((-1, 1) + images.shape[-2:])


def correlate_valid(image, weights):
    """Valid cross-correlation, no flip: out[m, n] = Σ_ij image[m+i, n+j] · weights[i, j] (o11 is out[0, 0]);
    image (H, W) or (N, H, W), weights (kh, kw) -> (H−kh+1, W−kw+1), or (N, …) for a batch."""
    out = conv2d.unchecked(_as_batch(image), weights[None, None], np.zeros(1))
    return out.reshape(image.shape[:-2] + out.shape[-2:])


def backward(image, weights, delta):
    """The gradients of corr(image, weights) from δ = ∂L/∂o: image (…, H, W), weights (kh, kw), δ (…, OH, OW)
    -> ∂L/∂I (the shape of image: the layer below's δ), ∂L/∂W = corr(I, δ) (kh, kw; summed over a batch)."""
    d_image, d_weights, _ = conv2d_backward.unchecked(_as_batch(delta), _as_batch(image), weights[None, None])
    return d_image.reshape(image.shape), d_weights[0, 0]


@checked(_example)
def forward(image, weights, bias=0.0, downstream=1.0, relu=False):
    """The forward pass of the small model: image I (H, W) or (N, H, W); weights W (kh, kw); bias b a number;
    downstream v a number, or one weight per output (OH, OW); relu: put a ReLU after the filter.

    Returns (o, a, y): o = corr(I, W) + b and a = ReLU(o) (or o), both (OH, OW) or (N, OH, OW);
    y = mean(v · a) over the outputs, a number or (N,) (v · mean(a) for one v).
    """
    o = correlate_valid(image, weights) + bias
    a = np.maximum(o, 0.0) if relu else o
    return o, a, (downstream * a).mean(axis=(-2, -1))


@checked(_example)
def upstream_grad(image, weights, bias, downstream, target, relu=False):
    """δ = ∂L/∂o = (y − t) · v · gate / (OH·OW) / N, the shape of o (the data loss only; gate = 1[o > 0] with
    ReLU, else 1); arguments as in gradients."""
    o, _, y = forward.unchecked(image, weights, bias, downstream, relu)
    dl_da = (y - target)[..., None, None] * downstream / o.size
    return np.where((o > 0) | (not relu), dl_da, 0.0)   # a closed gate passes back exactly 0 (never −0)


@checked(_example)
def gradients(image, weights, bias, downstream, target, relu=False, weight_decay=0.0):
    """All the gradients of one step; arguments as in forward, target t a number or (N,), weight_decay λ ≥ 0.

    Returns (grad_w, grad_b, delta): grad_w = corr(I, δ) + λ W (kh, kw); grad_b = Σ δ (float); delta = ∂L/∂o
    with the shape of o.
    """
    delta = upstream_grad.unchecked(image, weights, bias, downstream, target, relu)
    return backward(image, weights, delta)[1] + weight_decay * weights, float(delta.sum()), delta


def loss(image, weights, bias, downstream, target, relu=False, weight_decay=0.0):
    """L = mean over images of ½ (y − t)², plus ½ λ ‖W‖²; arguments as in ``gradients``. Returns a float."""
    y = forward.unchecked(image, weights, bias, downstream, relu)[2]
    return float(np.mean(0.5 * (y - target) ** 2) + 0.5 * weight_decay * np.sum(weights ** 2))


def sgd_step(image, weights, bias, downstream, target, lr, relu=False, weight_decay=0.0):
    """One step of plain SGD, W ← W − η ∂L/∂W and b ← b − η ∂L/∂b, lr = η
    -> (new_weights (kh, kw), new_bias float, update ΔW (kh, kw))."""
    grad_w, grad_b, _ = gradients.unchecked(image, weights, bias, downstream, target, relu, weight_decay)
    return weights - lr * grad_w, float(bias) - lr * grad_b, -lr * grad_w


def _descend(loss_and_grads, params, lr, steps):
    """Plain SGD from params {name: value}, loss_and_grads(params) -> (loss, {name: gradient}) or ValueError on an
    overflow. Returns the history {name: (steps+1, …), "loss": (steps+1,)}, entry k after k steps."""
    history = {name: [] for name in (*params, "loss")}
    for k in range(steps + 1):
        try:
            value, grads = loss_and_grads(params)
            reason = divergence(value, history["loss"][0] if history["loss"] else None,
                                list(grads.values()) if k < steps else None)
        except ValueError:                               # the model overflowed: its loss is not a number
            if k == 0:
                raise
            value, reason = math.inf, "the weights grew until the model overflowed"
        if reason:
            raise TrainingDiverged(
                f"training diverged at step {k} of {steps} with lr = {lr:g}: {reason}; use a smaller lr (about "
                f"{lr / 10:g})", step=k, reason=reason, history={name: np.array(v) for name, v in history.items()},
                learning_rate=lr, loss=value)
        for name in params:
            history[name].append(params[name])
        history["loss"].append(value)
        if k < steps:
            params = {name: params[name] - lr * grads[name] for name in params}
    return {name: np.array(values) for name, values in history.items()}


@checked(_example)
def train(image, weights, bias, downstream, target, lr, steps, relu=False, weight_decay=0.0):
    """``steps`` steps of plain SGD (full batch) on W and b; arguments as in ``gradients``, lr η > 0, steps from 0
    to MAX_STEPS.

    Returns the history: "weights" (steps+1, kh, kw), "bias" (steps+1,), "loss" (steps+1,), entry k after k
    steps. A run that diverges (helpers.nn.network.divergence) raises TrainingDiverged with the history so far.
    """
    def loss_and_grads(params):
        model = (image, params["weights"], params["bias"], downstream, target, relu, weight_decay)
        with np.errstate(over="ignore", invalid="ignore"):       # reported as a divergence
            grad_w, grad_b, _ = gradients.unchecked(*model)
            return loss(*model), {"weights": grad_w, "bias": grad_b}
    return _descend(loss_and_grads, {"weights": weights, "bias": bias}, lr, steps)


@checked(_moves)
def tally_moves(before, after, tol=1e-12):
    """Count the moves from before to after (arrays of one shape): (went_up, went_down, unchanged) as ints."""
    signs = move_signs(before, after, tol)
    return int(np.sum(signs > 0)), int(np.sum(signs < 0)), int(np.sum(signs == 0))


def move_signs(before, after, tol=1e-12):
    """Which way each weight moved: +1 up, −1 down, 0 unchanged (|change| ≤ tol); ints, the shape of before."""
    change = np.subtract(after, before)
    return np.where(change > tol, 1, np.where(change < -tol, -1, 0))


@checked(_two_layer)
def two_layer_gradients(x, w1, b1, w2, b2, downstream, target):
    """Gradients of a two-layer model with ReLU after both filters (a counterexample's model):

        I = ReLU(corr(x, W1) + b1)      the first layer's output: never negative
        o = corr(I, W2) + b2;  y = v · mean(ReLU(o));  L = mean of ½ (y − t)²

    x: (H, W) or (N, H, W); w1 (k1h, k1w) fitting inside x; w2 (k2h, k2w) fitting inside I; b1, b2 numbers;
    downstream v a number, or one weight per output of the second layer (OH, OW); target a number or (N,).
    Returns {"w1", "b1", "w2", "b2": the gradients, "loss": float, "hidden": I ((H−k1h+1, W−k1w+1) or (N, …))};
    raises ValueError naming all the arguments when the model overflows.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # finite arguments can still overflow: checked below
        pre_hidden = correlate_valid(x, w1) + b1
        hidden = np.maximum(pre_hidden, 0.0)
        delta2 = upstream_grad.unchecked(hidden, w2, b2, downstream, target, relu=True)
        d_hidden, grad_w2 = backward(hidden, w2, delta2)
        delta1 = d_hidden * (pre_hidden > 0)
        result = {"w1": backward(x, w1, delta1)[1], "b1": float(delta1.sum()), "w2": grad_w2,
                  "b2": float(delta2.sum()), "loss": loss(hidden, w2, b2, downstream, target, True), "hidden": hidden}
    if not all(np.all(np.isfinite(value)) for value in result.values()):
        raise ValueError("x, w1, b1, w2, b2, downstream and target are too large: the model's outputs or "
                         "gradients overflow to ±inf or NaN; use numbers of smaller magnitude")
    return result


@checked(_two_layer)
def train_two_layer(x, w1, b1, w2, b2, downstream, target, lr, steps):
    """Plain SGD on both layers of ``two_layer_gradients``' model (lr η > 0, 0 ≤ steps ≤ MAX_STEPS).

    Returns the history, "w1" (steps+1, k1h, k1w), "w2", "b1", "b2", "loss": entry k after k steps. A run
    that diverges (network.divergence, or an overflow) raises TrainingDiverged (a ValueError) with the history.
    """
    def loss_and_grads(params):
        grads = two_layer_gradients.unchecked(x, **params, downstream=downstream, target=target)
        return grads["loss"], {name: grads[name] for name in params}
    return _descend(loss_and_grads, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}, lr, steps)
