"""The signs of weight updates, on the course's small example: a 2×2 filter on a 3×3 image.

The model is the smallest one that has everything the question needs — a filter, an optional
ReLU, a downstream weight and a loss:

    o = corr(I, W) + b            (2, 2)  the filter's outputs (valid cross-correlation, stride 1)
    a = ReLU(o)  or  a = o   (2, 2)  the optional ReLU gate
    y = v · mean(a)          ()      a global average pool and one downstream weight v
        or y = mean(v ⊙ a)            one downstream weight per output, v (2, 2): the smallest head whose
                                      downstream weights can differ in sign
    L = ½ (y − t)² + ½ λ ‖W‖²         squared error to the target t, optional L2 weight decay λ

and the chain rule gives, with gate = 1[o > 0] (ReLU; ReLU'(0) is taken as 0) or 1 (no ReLU):

    δ = ∂L/∂o = (y − t) · v · gate / 4      (2, 2)  the upstream gradient (v_mn with per-output weights)
    ∂L/∂W = corr(I, δ) + λ W                     (2, 2)
    ∂L/∂b = Σ δ
    ΔW = −η ∂L/∂W                           one step of plain SGD with learning rate η

So the sign of every update is the sign of −Σ input × δ: the gate (0 or 1) only decides which
terms count, while the sign of δ comes from (y − t) and from v. With one v and inputs ≥ 0 every δ has
one sign, so all four weights move the same way; with per-output weights of both signs δ has both
signs, and one step can raise some weights of the filter and lower others.

This module works on one channel, so an image is a plain (H, W) matrix, as learners first meet
I11…I33, and a batch of images is (N, H, W) — the NCHW layout with C = 1 squeezed out. With a batch
the loss is the mean over the N examples. Sizes other than 3×3 and 2×2 work too (H ≥ kh, W ≥ kw), up to
MAX_ELEMENTS entries an array.
``helpers.nn.conv`` has the full NCHW convolution; this module needs only NumPy (and ``helpers.door``).
"""
import math
import numbers

import numpy as np

from helpers.door import real_array

# Far beyond the course's 3×3 images and 2×2 filters; a bigger array or product is a mistake, and checking
# it for NaN, or computing with it, would take gigabytes or minutes.
MAX_ELEMENTS = 10**7  # entries of one array argument
MAX_WORK = 2 * 10**7  # multiply-adds of one layer's correlation: N · OH · OW · kh · kw
MAX_STEPS = 10_000    # SGD steps of one train / train_two_layer run (notebook 05: at most 1,500)
MAX_RUN_WORK = 10**8  # multiply-adds of a whole run: steps · N · OH · OW · kh · kw


def _check_work(batch_shape, out_shape, kernel_shape, what):
    """The multiply-adds of one correlation, N · OH · OW · kh · kw, if at most MAX_WORK; else a ValueError.

    what: the arguments with their shapes, for the message, e.g. "x (1, 2000, 2000) with w1 (2, 2)"
    """
    work = int(np.prod(batch_shape, dtype=np.int64)) * int(np.prod(out_shape)) * int(np.prod(kernel_shape))
    if work > MAX_WORK:
        raise ValueError(f"{what} needs {work:,} multiply-adds in one layer; at most {MAX_WORK:,}")
    return work


def _check_steps(steps, work_per_step):
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be an integer ≥ 0; got {steps!r:.60}")
    if steps > MAX_STEPS or steps * max(work_per_step, 1) > MAX_RUN_WORK:
        raise ValueError(f"steps must be at most {MAX_STEPS:,}, and steps × {work_per_step:,} multiply-adds a step "
                         f"at most {MAX_RUN_WORK:,}; got {steps:,}")
    return int(steps)


def _finite_number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite real number; got {type(value).__name__} {value!r:.60}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be a finite real number; got an integer beyond float's range") from None
    except (TypeError, ValueError):  # a Real that float() refuses
        raise ValueError(f"{name} must be a finite real number; got {type(value).__name__}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite real number; got {number}")
    return number


def _finite_array(value, name, ndims):
    array = real_array(value, name)
    if array.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be {wanted}; got shape {array.shape}")
    if array.size > MAX_ELEMENTS:
        raise ValueError(f"{name} has {array.size:,} entries (shape {array.shape}); at most {MAX_ELEMENTS:,}")
    array = np.asarray(array, dtype=float)
    bad = np.count_nonzero(~np.isfinite(array))
    if bad:
        raise ValueError(f"{name} must hold finite numbers; it has {bad} NaN or ±inf value(s)")
    return array


def _check_image_weights(image, weights, image_name="image", weights_name="weights"):
    image = _finite_array(image, image_name, (2, 3))
    weights = _finite_array(weights, weights_name, (2,))
    if weights.shape[0] < 1 or weights.shape[1] < 1:
        raise ValueError(f"{weights_name} must have at least one row and column; got shape {weights.shape}")
    if weights.shape[0] > image.shape[-2] or weights.shape[1] > image.shape[-1]:
        raise ValueError(f"{weights_name} of shape {weights.shape} do not fit inside an image of shape "
                         f"{image.shape[-2:]} ({image_name} shape {image.shape})")
    _check_work(image.shape[:-2], _out_shape(image.shape, weights.shape), weights.shape,
                f"{image_name} {image.shape} with {weights_name} {weights.shape}")
    return image, weights


def _check_target(target, image):
    batch_shape = image.shape[:-2]
    target = _finite_array(target, "target", (0, 1))
    if target.shape not in ((), batch_shape):
        raise ValueError(f"target must be one number or one per image {batch_shape}; got shape {target.shape} "
                         f"for images of shape {image.shape}")
    return np.broadcast_to(target, batch_shape)


def _check_downstream(downstream, image, weights):
    """A number, or one weight per filter output: (OH, OW) = (H − kh + 1, W − kw + 1)."""
    return _check_downstream_for(downstream, _out_shape(image.shape, weights.shape))


def _out_shape(image_shape, kernel_shape):
    """(OH, OW) = (H − kh + 1, W − kw + 1), the valid correlation's output of an (…, H, W) image."""
    return (image_shape[-2] - kernel_shape[0] + 1, image_shape[-1] - kernel_shape[1] + 1)


def _check_downstream_for(downstream, out_shape):
    if isinstance(downstream, numbers.Real) and not isinstance(downstream, bool):
        return _finite_number(downstream, "downstream")
    downstream = _finite_array(downstream, "downstream", (0, 2))
    if downstream.ndim == 0:
        return float(downstream)
    if downstream.shape != out_shape:
        raise ValueError(f"downstream must be one number or one weight per output {out_shape}; "
                         f"got shape {downstream.shape}")
    return downstream


def _check_example(image, weights, bias, downstream, target, weight_decay):
    image, weights = _check_image_weights(image, weights)
    bias = _finite_number(bias, "bias")
    downstream = _check_downstream(downstream, image, weights)
    target = _check_target(target, image)
    weight_decay = _finite_number(weight_decay, "weight_decay")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be ≥ 0; got {weight_decay}")
    return image, weights, bias, downstream, target, weight_decay


def _windows(image, kernel_shape):
    """View (..., OH, OW, kh, kw): the patch of the image under each filter position; never a copy."""
    return np.lib.stride_tricks.sliding_window_view(image, kernel_shape, axis=(-2, -1))


def correlate_valid(image, weights):
    """Valid cross-correlation, stride 1, no flip: out[m, n] = Σ_ij image[m+i, n+j] · weights[i, j].

    image:   (H, W), or a batch (N, H, W)
    weights: (kh, kw) with kh ≤ H, kw ≤ W
    Returns (H−kh+1, W−kw+1), or (N, H−kh+1, W−kw+1) for a batch. For a 3×3 image and a 2×2 filter that is (2, 2):
    out[0, 0] = o11 = I11·W11 + I12·W12 + I21·W21 + I22·W22 (indices from 1 in the math, 0 in code).
    """
    image, weights = _check_image_weights(image, weights)
    return _correlate(image, weights)


def _correlate(image, weights):
    return np.einsum("...mnij,ij->...mn", _windows(image, weights.shape), weights)


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
    image, weights = _check_image_weights(image, weights)
    bias = _finite_number(bias, "bias")
    downstream = _check_downstream(downstream, image, weights)
    return _forward(image, weights, bias, downstream, relu)


def _forward(image, weights, bias, downstream, relu):
    o = _correlate(image, weights) + bias
    a = np.maximum(o, 0.0) if relu else o
    y = (downstream * a).mean(axis=(-2, -1))
    return o, a, y


def loss(image, weights, bias, downstream, target, relu=False, weight_decay=0.0):
    """L = mean over images of ½ (y − t)², plus ½ λ ‖W‖² when weight_decay λ > 0.

    image (H, W) or (N, H, W); weights (kh, kw); bias, weight_decay numbers; downstream a number or (OH, OW);
    target a number or (N,). Returns a float.
    """
    image, weights, bias, downstream, target, weight_decay = _check_example(
        image, weights, bias, downstream, target, weight_decay)
    _, _, y = forward(image, weights, bias, downstream, relu)
    return float(np.mean(0.5 * (y - target) ** 2) + 0.5 * weight_decay * np.sum(weights ** 2))


def upstream_grad(image, weights, bias, downstream, target, relu=False):
    """δ = ∂L/∂o, the upstream gradient at the filter's outputs (the data loss only).

    image (H, W) or (N, H, W); weights (kh, kw); bias a number; downstream a number or (OH, OW);
    target a number or (N,).
    Returns δ with the shape of o: (OH, OW) or (N, OH, OW);
    δ = (y − t) · v · gate / (OH·OW) / N (v_mn per output when given), where gate = 1[o > 0] with ReLU
    (0 at o = 0) and 1 without.
    """
    image, weights, bias, downstream, target, _ = _check_example(image, weights, bias, downstream, target, 0.0)
    o, _, y = forward(image, weights, bias, downstream, relu)
    return _upstream(o, y, downstream, target, relu)


def _upstream(o, y, downstream, target, relu):
    count = o.shape[-2] * o.shape[-1] * (o.shape[0] if o.ndim == 3 else 1)
    dl_da = (y - target)[..., None, None] * downstream / count
    if not relu:
        return np.broadcast_to(dl_da, o.shape).copy()
    return np.where(o > 0, dl_da, 0.0)  # a closed gate passes back exactly 0 (never −0)


def filter_grad(image, delta):
    """∂L/∂W from the data: corr(I, δ), summed over a batch.

    image: (H, W) or (N, H, W)
    delta: (OH, OW) or (N, OH, OW), the upstream gradient ∂L/∂o
    Returns (H−OH+1, W−OW+1): for a 3×3 image and a 2×2 δ, ∂L/∂W_ij = Σ_mn I(i+m, j+n) · δ_mn, (2, 2).
    """
    image = _finite_array(image, "image", (2, 3))
    delta = _finite_array(delta, "delta", (2, 3))
    if delta.ndim != image.ndim or delta.shape[:-2] != image.shape[:-2]:
        raise ValueError(f"delta must have the batch shape of image; got delta {delta.shape}, image {image.shape}")
    if delta.shape[-2] > image.shape[-2] or delta.shape[-1] > image.shape[-1]:
        raise ValueError(f"delta of shape {delta.shape} is larger than the image {image.shape}")
    _check_work(image.shape[:-2], delta.shape[-2:], _out_shape(image.shape, delta.shape[-2:]),
                f"image {image.shape} with delta {delta.shape}")
    return _filter_grad(image, delta)


def _filter_grad(image, delta):
    kernel_shape = (image.shape[-2] - delta.shape[-2] + 1, image.shape[-1] - delta.shape[-1] + 1)
    windows = _windows(image, kernel_shape).reshape((-1,) + delta.shape[-2:] + kernel_shape)
    return np.einsum("bmnij,bmn->ij", windows, delta.reshape((-1,) + delta.shape[-2:]))


def gradients(image, weights, bias, downstream, target, relu=False, weight_decay=0.0):
    """All the gradients of one step.

    image (H, W) or (N, H, W); weights (kh, kw); bias, weight_decay (λ ≥ 0) numbers; downstream a number or
    (OH, OW); target a number or (N,).
    Returns (grad_w, grad_b, delta): grad_w = corr(I, δ) + λ W (kh, kw); grad_b = Σ δ (float);
    delta = ∂L/∂o with the shape of o.
    """
    image, weights, bias, downstream, target, weight_decay = _check_example(
        image, weights, bias, downstream, target, weight_decay)
    delta = upstream_grad(image, weights, bias, downstream, target, relu)
    grad_w = filter_grad(image, delta) + weight_decay * weights
    return grad_w, float(delta.sum()), delta


def sgd_step(image, weights, bias, downstream, target, lr, relu=False, weight_decay=0.0, train_bias=True):
    """One step of plain SGD: W ← W − η ∂L/∂W (and b ← b − η ∂L/∂b when train_bias).

    image (H, W) or (N, H, W); weights (kh, kw); bias a number; downstream a number or (OH, OW);
    target a number or (N,); lr: the learning rate η > 0; weight_decay: λ ≥ 0.
    Returns (new_weights (kh, kw), new_bias float, update ΔW (kh, kw)), with new_weights = weights + ΔW.
    """
    lr = _finite_number(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    grad_w, grad_b, _ = gradients(image, weights, bias, downstream, target, relu, weight_decay)
    update = -lr * grad_w
    new_bias = float(bias) - lr * grad_b if train_bias else float(bias)
    return np.asarray(weights, dtype=float) + update, new_bias, update


def train(image, weights, bias, downstream, target, lr, steps, relu=False, weight_decay=0.0, train_bias=True):
    """Run ``steps`` steps of plain SGD (full batch) and keep the whole history.

    image (H, W) or (N, H, W); weights (kh, kw) the start; bias a number; downstream a number or (OH, OW);
    target a number or (N,); lr η > 0; steps an integer from 0 to MAX_STEPS (and steps × the multiply-adds
    of a step at most MAX_RUN_WORK); weight_decay λ ≥ 0; train_bias: update b too.
    Returns a dict: "weights" (steps+1, kh, kw), "bias" (steps+1,), "loss" (steps+1,) — entry k is
    after k steps, so entry 0 is the start.
    """
    image, weights, bias, downstream, target, weight_decay = _check_example(
        image, weights, bias, downstream, target, weight_decay)
    steps = _check_steps(steps, image[..., :1, :1].size * int(np.prod(_out_shape(image.shape, weights.shape)))
                         * weights.size)
    history_w = np.empty((steps + 1,) + weights.shape)
    history_b = np.empty(steps + 1)
    history_loss = np.empty(steps + 1)
    for k in range(steps + 1):
        history_w[k], history_b[k] = weights, bias
        history_loss[k] = loss(image, weights, bias, downstream, target, relu, weight_decay)
        if k < steps:
            weights, bias, _ = sgd_step(image, weights, bias, downstream, target, lr, relu, weight_decay, train_bias)
    return {"weights": history_w, "bias": history_b, "loss": history_loss}


def move_signs(before, after, tol=1e-12):
    """Which way each weight moved: +1 up, −1 down, 0 unchanged (|change| ≤ tol).

    before, after: arrays of the same shape (e.g. (2, 2) filters, or (steps+1, 2, 2) histories
    compared step by step with before = h[:-1], after = h[1:]). Returns an int array of that shape.
    """
    before = _finite_array(before, "before", range(0, 33))
    after = _finite_array(after, "after", range(0, 33))
    tol = _finite_number(tol, "tol")
    if tol < 0:
        raise ValueError(f"tol must be ≥ 0; got {tol}")
    if before.shape != after.shape:
        raise ValueError(f"before and after must have the same shape; got {before.shape} and {after.shape}")
    change = after - before
    return np.where(change > tol, 1, np.where(change < -tol, -1, 0))


def tally_moves(before, after, tol=1e-12):
    """Count the moves: returns (went_up, went_down, unchanged) as ints. Shapes as in ``move_signs``."""
    signs = move_signs(before, after, tol)
    return int(np.sum(signs > 0)), int(np.sum(signs < 0)), int(np.sum(signs == 0))


def input_grad(delta, weights):
    """∂L/∂I from the upstream gradient: the full cross-correlation of δ with W rotated by 180°.

    delta:   (OH, OW) or (N, OH, OW), the upstream gradient ∂L/∂o
    weights: (kh, kw), the filter of the forward pass
    Returns (OH+kh−1, OW+kw−1) or (N, …): every output o_mn hands δ_mn · W_ij back to the pixel
    I(m+i, n+j) it read. This is what the layer below receives as its own upstream gradient.
    """
    delta = _finite_array(delta, "delta", (2, 3))
    weights = _finite_array(weights, "weights", (2,))
    if min(weights.shape) < 1:
        raise ValueError(f"weights must have at least one row and column; got shape {weights.shape}")
    _check_work(delta.shape[:-2], delta.shape[-2:], weights.shape, f"delta {delta.shape} with weights {weights.shape}")
    return _input_grad(delta, weights)


def _input_grad(delta, weights):
    out_h, out_w = delta.shape[-2:]
    kh, kw = weights.shape
    grad = np.zeros(delta.shape[:-2] + (out_h + kh - 1, out_w + kw - 1))
    for i in range(kh):
        for j in range(kw):
            grad[..., i:i + out_h, j:j + out_w] += delta * weights[i, j]
    return grad


def _check_two_layer(x, w1, b1, w2, b2, downstream, target):
    """The arguments of the two-layer model, checked at the door: ValueError naming the wrong one."""
    x, w1 = _check_image_weights(x, w1, "x", "w1")
    w2 = _finite_array(w2, "w2", (2,))
    hidden_shape = x.shape[:-2] + _out_shape(x.shape, w1.shape)
    if not (1 <= w2.shape[0] <= hidden_shape[-2] and 1 <= w2.shape[1] <= hidden_shape[-1]):
        raise ValueError(f"w2 of shape {w2.shape} does not fit inside the first layer's output "
                         f"{hidden_shape[-2:]} (x {x.shape} correlated with w1 {w1.shape}); w2 needs "
                         f"1…{hidden_shape[-2]} rows and 1…{hidden_shape[-1]} columns")
    batch = x.shape[0] if x.ndim == 3 else 1
    for name, kernel, image_shape in (("w1", w1.shape, x.shape), ("w2", w2.shape, hidden_shape)):
        work = batch * math.prod(_out_shape(image_shape, kernel)) * math.prod(kernel)
        if work > MAX_WORK:
            raise ValueError(f"x {x.shape} with {name} {kernel} needs {work:,} multiply-adds in one layer; "
                             f"at most {MAX_WORK:,}")
    b1, b2 = _finite_number(b1, "b1"), _finite_number(b2, "b2")
    downstream = _check_downstream_for(downstream, _out_shape(hidden_shape, w2.shape))
    target = _check_target(target, x)
    return x, w1, b1, w2, b2, downstream, target


def two_layer_gradients(x, w1, b1, w2, b2, downstream, target):
    """Gradients of a two-layer model with ReLU after both filters (a counterexample's model).

        I = ReLU(corr(x, W1) + b1)      the first layer's output: never negative
        o = corr(I, W2) + b2;  y = v · mean(ReLU(o));  L = mean of ½ (y − t)²

    x: (H, W) or (N, H, W); w1 (k1h, k1w) with k1h ≤ H, k1w ≤ W; w2 (k2h, k2w), fitting inside I;
    b1, b2 numbers; downstream v a number, or one weight per output of the second layer (OH, OW);
    target a number or (N,). All finite; at most MAX_ELEMENTS entries an array, MAX_WORK multiply-adds a layer.
    Returns a dict: "w1", "b1", "w2", "b2" the gradients (shapes of the parameters), "loss" (float)
    and "hidden" the first layer's output I ((H−k1h+1, W−k1w+1) or (N, …)).
    Raises ValueError naming the argument that is wrong, or naming them all when finite arguments are so
    large that the model overflows.
    """
    x, w1, b1, w2, b2, downstream, target = _check_two_layer(x, w1, b1, w2, b2, downstream, target)
    with np.errstate(over="ignore", invalid="ignore"):  # finite arguments can still overflow: checked below
        pre_hidden = _correlate(x, w1) + b1
        hidden = np.maximum(pre_hidden, 0.0)
        o, _, y = _forward(hidden, w2, b2, downstream, relu=True)
        delta2 = _upstream(o, y, downstream, target, relu=True)
        delta1 = _input_grad(delta2, w2) * (pre_hidden > 0)
        result = {"w1": _filter_grad(x, delta1), "b1": float(delta1.sum()), "w2": _filter_grad(hidden, delta2),
                  "b2": float(delta2.sum()), "loss": float(np.mean(0.5 * (y - target) ** 2)), "hidden": hidden}
    if not all(np.all(np.isfinite(value)) for value in result.values()):
        raise ValueError("x, w1, b1, w2, b2, downstream and target are too large: the model's outputs or "
                         "gradients overflow to ±inf or NaN; use numbers of smaller magnitude")
    return result


def train_two_layer(x, w1, b1, w2, b2, downstream, target, lr, steps):
    """Plain SGD on both layers of ``two_layer_gradients``' model, keeping the history.

    Arguments as in ``two_layer_gradients``; lr η > 0; steps an integer from 0 to MAX_STEPS (and steps × the
    multiply-adds of a step at most MAX_RUN_WORK). A run whose steps overflow raises ValueError naming the
    step and lr, with the history so far as the error's ``.history``.
    Returns a dict: "w1" (steps+1, k1h, k1w), "w2" (steps+1, k2h, k2w), "b1", "b2", "loss" (steps+1,);
    entry k is after k steps.
    """
    lr = _finite_number(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    x, w1, b1, w2, b2, downstream, target = _check_two_layer(x, w1, b1, w2, b2, downstream, target)
    hidden_shape = _out_shape(x.shape, w1.shape)
    second = int(np.prod(_out_shape(hidden_shape, w2.shape))) * w2.size
    per_step = int(np.prod(x.shape[:-2], dtype=np.int64)) * (int(np.prod(hidden_shape)) * w1.size + second)
    steps = _check_steps(steps, 3 * per_step)          # forward, and two products a layer backward
    params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
    history = {name: [] for name in ("w1", "b1", "w2", "b2", "loss")}
    for k in range(steps + 1):
        try:
            grads = two_layer_gradients(x, params["w1"], params["b1"], params["w2"], params["b2"], downstream,
                                        target)
        except ValueError:
            if k == 0:
                raise
            error = ValueError(f"training diverged at step {k} of {steps} with lr = {lr:g}: the weights grew "
                               f"until the model overflowed; use a smaller lr (about {lr / 10:g})")
            error.history = {name: np.array(values) for name, values in history.items()}
            raise error from None
        for name in params:
            history[name].append(params[name])
        history["loss"].append(grads["loss"])
        if k < steps:
            params = {name: params[name] - lr * grads[name] for name in params}
    return {name: np.array(values) for name, values in history.items()}
