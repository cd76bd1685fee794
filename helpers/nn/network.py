"""The seed network of the course, its gradients, and plain SGD.

    x (N,1,28,28) → conv1 6@3×3 → (N,6,26,26) → maxpool 2×2 → (N,6,13,13) → ReLU
                  → conv2 6@3×3 → (N,6,11,11) → maxpool 2×2 → (N,6,5,5)   → ReLU   (floor: row/col 10 unused)
                  → flatten (C,H,W) → (N,150) → fc1 → (N,128) → ReLU → fc2 → logits (N,10)

Two implementations of the same mathematics:

- ``loss_and_grads_reference`` is the network written straight from the course's layers
  (``helpers.nn.conv.conv2d``/``conv2d_backward`` and ``helpers.nn.pool.maxpool2d``/``maxpool2d_backward``),
  one line per layer: read it to see the chain rule.
- ``loss_and_grads`` is the same computation arranged for speed, and the tests check that it
  equals the reference to rounding error. Three ideas:
  1. *window offsets instead of im2col*: a 3×3 conv output at offset (di, dj) of a 2×2 pooling window
     reads the 4×4 block of pixels at offsets (u, v) = (di + ki, dj + kj) from the window's corner. So each
     layer copies its input once as 16 offset images (16C, N·P·P), and one product with a (4F, 16C)
     "window matrix" holding the filters at the four shifts gives every conv output, grouped (F, 4, ·)
     by window offset: pooling is a max over four contiguous blocks, and its backward routes to the first
     maximum (helpers.nn.pool's "first" rule). The same two matrices give ∂L/∂W and ∂L/∂input by products;
  2. conv2 is computed only at the 10×10 positions the floor-mode pool reads, not all 11×11;
  3. feature maps are kept as (C, N, H, W), so a layer's pooled output is the next layer's input
     without a transpose; the gradient of the input image, which SGD never uses, is not computed; and
     the megabyte-sized intermediates live in reused scratch arrays (see _scratch).
"""
import threading
from numbers import Integral, Real

import numpy as np

from helpers.door import real_array
from helpers.nn import conv
from helpers.nn.conv import conv2d, conv2d_backward
from helpers.nn.gradcheck import relative_error
from helpers.nn.layers import relu
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
DEAD_UNIT_IMAGES = 1000   # train reports dead ReLU units on up to this many training images
MEMORY_BUDGET = 1 << 30   # bytes of working memory one call may use (Binder gives 2 GB in all)
# working memory per image, in array entries (measured from the arrays the passes create; rounded up)
_ENTRIES_PER_IMAGE = {"forward": 14_000, "backward": 26_000}


class TrainingDiverged(ValueError):
    """``train`` met a non-finite loss (or an update that would make a weight non-finite) and stopped.

    .step:          the step (1, 2, …) that failed; params are as they were after step − 1
    .history:       everything recorded up to then (the same keys as train's result)
    .learning_rate: η of the run; .loss: the loss of the failed step (nan or inf, or finite if the update overflowed)
    """

    def __init__(self, message, *, step, history, learning_rate, loss):
        super().__init__(message)
        self.step, self.history, self.learning_rate, self.loss = step, history, learning_rate, loss


# ---------------------------------------------------------------------------- parameters

def _fans(shape):
    """(fan_in, fan_out) of a conv (F, C, KH, KW) or dense (out, in) weight."""
    receptive = int(np.prod(shape[2:])) if len(shape) == 4 else 1
    return shape[1] * receptive, shape[0] * receptive


def init_params(seed=0, dtype=np.float32, init="he"):
    """Random starting weights and zero biases for the seed network.

    seed:  int for np.random.default_rng
    dtype: np.float32 or np.float64
    init:  "he"     — normal with std sqrt(2 / fan_in), suited to ReLU (the default);
           "glorot" — uniform on ±sqrt(6 / (fan_in + fan_out)), Keras' default
    Returns a dict {name: array} with the shapes of SHAPES.
    """
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        raise ValueError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"init must be one of {INITS}; got {init!r}")
    rng = _rng(seed)
    params = {}
    for name, shape in SHAPES.items():
        if name.endswith(".b"):
            params[name] = np.zeros(shape, dtype=dtype)
            continue
        fan_in, fan_out = _fans(shape)
        if init == "he":
            weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights = rng.uniform(-limit, limit, size=shape)
        params[name] = weights.astype(dtype)
    return params


def _rng(seed):
    """np.random.default_rng(seed) for an integer seed ≥ 0 (or None); ValueError naming seed otherwise."""
    if isinstance(seed, bool) or not (seed is None or isinstance(seed, Integral)) or (seed is not None and seed < 0):
        raise ValueError(f"seed must be an integer ≥ 0 (or None); got {seed!r}")
    return np.random.default_rng(seed)


def _check_params(params):
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict like init_params() returns; got {type(params).__name__}")
    missing = [k for k in SHAPES if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}")
    dtype = np.asarray(params["conv1.w"]).dtype
    for name, shape in SHAPES.items():
        value = params[name]
        if not isinstance(value, np.ndarray) or value.shape != shape:
            got = getattr(value, "shape", type(value).__name__)
            raise ValueError(f"params[{name!r}] must be an array of shape {shape}; got {got}")
        if value.dtype != dtype or dtype not in (np.float32, np.float64):
            raise ValueError(f"params must all be float32 or all float64; params[{name!r}] is {value.dtype}, "
                             f"params['conv1.w'] is {dtype}")
    return dtype


def _as_array(value, name):
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array; could not make one from a {type(value).__name__}: "
                         f"{error}") from None




def _validate_images(x, dtype, name="x", allow_uint8=False):
    """x as an array (not converted): shape (N, 1, 28, 28), N ≥ 1, floats that are all finite (or uint8 pixels)."""
    x = _as_array(x, name)
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28) or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, 1, 28, 28) with N ≥ 1; got {x.shape}")
    if allow_uint8 and x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        uint8 = "uint8 pixels (0…255) or " if allow_uint8 else ""
        raise ValueError(f"{name} must hold {uint8}finite floats (pixels in [0, 1], standardized values, … ; "
                         f"divide uint8 pixels by 255); got dtype {x.dtype}")
    low, high = x.min(), x.max()            # NaN propagates through min and max
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = np.argwhere(~np.isfinite(x))
        raise ValueError(f"{name} must hold finite numbers; it has {len(bad)} NaN or inf value(s), "
                         f"the first at index {tuple(int(i) for i in bad[0])}")
    limit = float(np.finfo(dtype).max)
    if max(-float(low), float(high)) > limit:
        raise ValueError(f"{name} has values up to {max(-float(low), float(high)):.3g} in magnitude, beyond "
                         f"{np.dtype(dtype).name}'s range (±{limit:.3g}), the dtype of params")
    return x


def _check_images(x, dtype, name="x"):
    return np.ascontiguousarray(_validate_images(x, dtype, name), dtype=dtype)


def _check_labels(y, n, name="y", classes=10):
    y = _as_array(y, name)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be {n} integer labels, shape ({n},) to match the images; got shape "
                         f"{y.shape}, dtype {y.dtype}")
    if y.min() < 0 or y.max() > classes - 1:
        raise ValueError(f"{name} must hold labels 0…{classes - 1}; got min {y.min()}, max {y.max()}")
    return y


def _check_int(value, name, low, high=None, what=""):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low or (high is not None
                                                                                  and value > high):
        limits = f"from {low} to {high}{what}" if high is not None else f"≥ {low}"
        raise ValueError(f"{name} must be an integer {limits}; got {value!r}")
    return int(value)


def _check_learning_rate(learning_rate):
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real) or not (
            np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a finite number > 0; got {learning_rate!r}")
    return float(learning_rate)


def _check_memory(n, dtype, passes, name="x"):
    """Refuse, naming the argument, when n images would need more than MEMORY_BUDGET bytes of working memory."""
    per_image = _ENTRIES_PER_IMAGE[passes] * np.dtype(dtype).itemsize
    if n * per_image > MEMORY_BUDGET:
        raise ValueError(f"{name} has {n} images: one call would need about {n * per_image / 2**20:,.0f} MB of "
                         f"working memory, over the budget of {MEMORY_BUDGET / 2**20:,.0f} MB; pass at most "
                         f"{MEMORY_BUDGET // per_image} images at a time")


# ---------------------------------------------------------------------------- shared pieces

def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against labels, and its gradient.

    logits: (N, K) finite floats (K = 10 in the network), N ≥ 1; y: (N,) integer labels 0…K − 1
    Returns loss (a float) and dlogits (N, K) = (softmax(logits) − onehot(y)) / N.
    """
    logits = _as_array(logits, "logits")
    if logits.ndim != 2 or min(logits.shape) < 1 or not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(f"logits must be a (N, K) float array with N, K ≥ 1; got shape {logits.shape}, "
                         f"dtype {logits.dtype}")
    if not np.isfinite(logits).all():
        raise ValueError("logits must be finite; got NaN or inf")
    y = _check_labels(y, logits.shape[0], classes=logits.shape[1])
    return _softmax_cross_entropy(logits, y)


def _softmax_cross_entropy(logits, y):
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # exp never overflows
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
    dlogits = exp / total
    dlogits[rows, y] -= 1
    dlogits /= n
    return loss, dlogits


# ---------------------------------------------------------------------------- reference: layer by layer

def loss_and_grads_reference(params, x, y):
    """The network written straight from the course's conv and pool layers (slow, for reading and checking).

    Same arguments and result as loss_and_grads.
    """
    dtype = _check_params(params)
    x = _check_images(x, dtype)
    y = _check_labels(y, x.shape[0])
    _check_memory(x.shape[0], dtype, "backward")
    n = x.shape[0]
    p = params
    # forward
    z1 = conv2d(x, p["conv1.w"], p["conv1.b"])          # (N, 6, 26, 26)
    m1 = maxpool2d(z1)                                  # (N, 6, 13, 13)
    a1 = relu(m1)
    z2 = conv2d(a1, p["conv2.w"], p["conv2.b"])         # (N, 6, 11, 11)
    m2 = maxpool2d(z2)                                  # (N, 6, 5, 5)
    a2 = relu(m2).reshape(n, 150)                       # flatten in (C, H, W) order
    h = relu(a2 @ p["fc1.w"].T + p["fc1.b"])            # (N, 128)
    logits = h @ p["fc2.w"].T + p["fc2.b"]              # (N, 10)
    loss, dlogits = _softmax_cross_entropy(logits, y)
    # backward: each line is the chain rule through one layer
    grads = {"fc2.w": dlogits.T @ h, "fc2.b": dlogits.sum(axis=0)}
    dh = (dlogits @ p["fc2.w"]) * (h > 0)
    grads["fc1.w"], grads["fc1.b"] = dh.T @ a2, dh.sum(axis=0)
    dm2 = (dh @ p["fc1.w"]).reshape(m2.shape) * (m2 > 0)
    dz2 = maxpool2d_backward(dm2, z2, ties="first")
    da1, grads["conv2.w"], grads["conv2.b"] = conv2d_backward(dz2, a1, p["conv2.w"])
    dz1 = maxpool2d_backward(da1 * (m1 > 0), z1, ties="first")
    _, grads["conv1.w"], grads["conv1.b"] = conv2d_backward(dz1, x, p["conv1.w"])
    return loss, {k: grads[k].astype(dtype, copy=False) for k in SHAPES}


# ---------------------------------------------------------------------------- fast: pool-major layout

_SCRATCH = {}
SCRATCH_BYTES = 128 * 2**20   # the scratch arrays kept between calls never hold more than this
_LOCK = threading.Lock()      # the fast path's scratch arrays are shared: one call at a time


def _scratch(name, shape, dtype):
    """A scratch array reused from step to step: one per name, replaced when the shape or dtype changes.

    Allocating these megabyte arrays afresh at every step made glibc hand them back to the operating
    system and fault them in again at the next step, which doubled the step time in a fresh process.
    An array that would take the kept total over SCRATCH_BYTES is used once and not kept (a large batch
    costs its memory only while it runs). Scratch arrays never leave this module's functions; callers hold
    _LOCK, so calls from several threads are safe (they take turns).
    """
    array = _SCRATCH.get(name)
    if array is not None and array.shape == shape and array.dtype == dtype:
        return array
    _SCRATCH.pop(name, None)
    array = np.empty(shape, dtype=dtype)
    if array.nbytes + sum(kept.nbytes for kept in _SCRATCH.values()) <= SCRATCH_BYTES:
        _SCRATCH[name] = array
    return array


def release_scratch():
    """Free the scratch arrays the fast path (and helpers.nn.conv's workspace) keep between calls."""
    with _LOCK:
        _SCRATCH.clear()
    conv.release_workspace()


def _offsets_view(a, pooled):
    """Every pixel a 3×3 conv reads for a 2×2 max-pool, indexed by its offset from the window's corner.

    a:      (C, N, H, W) feature maps, channels first (the "CNHW" layout)
    pooled: side P of the pooled output
    Returns a strided view (C, 4, 4, N, P, P): view[c, u, v, n, pi, pj] = a[c, n, 2·pi + u, 2·pj + v].
    A conv output at window offset (di, dj) with filter tap (ki, kj) reads offset (u, v) = (di + ki, dj + kj),
    so 16 offsets cover all 36 combinations. view[:, u, v] writes into a.
    """
    sc, sn, sh, sw = a.strides
    shape = (a.shape[0], 4, 4, a.shape[1], pooled, pooled)
    return np.lib.stride_tricks.as_strided(a, shape, (sc, sh, sw, sn, 2 * sh, 2 * sw))


def _window_matrix(w):
    """The filters laid out so that one matrix product gives all four conv outputs of every pooling window.

    w: (F, C, 3, 3). Returns (4F, 16C): row (f, di, dj), column (c, u, v) holds w[f, c, u − di, v − dj]
    (0 where u − di or v − dj falls outside the filter). Times the offsets (16C, N·P·P) of _offsets_view,
    it gives z[f, (di, dj), (n, pi, pj)], the conv output at offset (di, dj) of pooling window (pi, pj).
    """
    filters, channels = w.shape[:2]
    matrix = np.zeros((filters, 2, 2, channels, 4, 4), dtype=w.dtype)
    for di in range(2):
        for dj in range(2):
            matrix[:, di, dj, :, di:di + 3, dj:dj + 3] = w
    return matrix.reshape(4 * filters, 16 * channels)


def _fold_window_matrix(dmatrix, w_shape):
    """The adjoint of _window_matrix: ∂L/∂w from ∂L/∂(window matrix), adding the four places each weight sits."""
    filters, channels = w_shape[:2]
    dmatrix = dmatrix.reshape(filters, 2, 2, channels, 4, 4)
    return sum(dmatrix[:, di, dj, :, di:di + 3, dj:dj + 3] for di in range(2) for dj in range(2))


def _first_winner_routing(z, pooled_z, dpooled, out):
    """Max-pool backward in the pool-major layout, "first" tie rule (as helpers.nn.pool).

    z: (F, 4, M) conv outputs, axis 1 the four offsets of each window in row-major order
    pooled_z, dpooled: (F, M) the window maxima and the upstream gradient
    Returns dz (F, 4, M), written into out: dpooled at the first maximum of each window, 0 elsewhere.
    """
    undecided = np.ones(pooled_z.shape, dtype=bool)
    for offset in range(4):
        winner = z[:, offset] == pooled_z
        winner &= undecided
        undecided &= ~winner
        np.multiply(dpooled, winner, out=out[:, offset])
    return out


def _conv_pool_relu(a, w, b, pooled, tag):
    """conv 3×3 → maxpool 2×2 → ReLU, computed only where the pool looks.

    a: (C, N, H, W); w: (F, C, 3, 3); b: (F,); pooled: P; tag: "conv1" or "conv2" (names the scratch arrays)
    Returns out (F, N, P, P) — the next layer's (C, N, H, W) input — and the cache for the backward pass.
    """
    filters, channels, n = w.shape[0], w.shape[1], a.shape[1]
    offsets = _scratch(tag + ".offsets", (channels, 4, 4, n, pooled, pooled), a.dtype)
    np.copyto(offsets, _offsets_view(a, pooled))
    offsets = offsets.reshape(16 * channels, -1)                     # (16C, N·P·P)
    window_matrix = _window_matrix(w)                                 # (4F, 16C)
    z = _scratch(tag + ".z", (4 * filters, offsets.shape[1]), a.dtype)
    np.matmul(window_matrix, offsets, out=z)
    z += np.repeat(b, 4)[:, None]
    z = z.reshape(filters, 4, -1)                                     # (F, window offset, N·P·P)
    pooled_z = z.max(axis=1)                                          # (F, N·P·P)
    out = relu(pooled_z).reshape(filters, n, pooled, pooled)
    return out, (offsets, window_matrix, z, pooled_z, tag)


def _conv_pool_relu_backward(dout, w, cache, input_shape=None):
    """Gradients of _conv_pool_relu: dw (F, C, 3, 3), db (F,), and da (C, N, H, W) if input_shape is given."""
    offsets, window_matrix, z, pooled_z, tag = cache
    filters = w.shape[0]
    dpooled = dout.reshape(filters, -1) * (pooled_z > 0)             # through ReLU
    dz = _first_winner_routing(z, pooled_z, dpooled, _scratch(tag + ".dz", z.shape, z.dtype))
    dz = dz.reshape(4 * filters, -1)
    dw = _fold_window_matrix(dz @ offsets.T, w.shape)
    db = dz.sum(axis=1).reshape(filters, 4).sum(axis=1)
    if input_shape is None:
        return None, dw, db
    doffsets = np.matmul(window_matrix.T, dz, out=_scratch(tag + ".doffsets", offsets.shape, dz.dtype))
    doffsets = doffsets.reshape((input_shape[0], 4, 4) + dout.shape[1:])
    da = _scratch(tag + ".da", input_shape, dz.dtype)
    da.fill(0)
    da_offsets = _offsets_view(da, dout.shape[2])
    for u in range(4):
        for v in range(4):
            da_offsets[:, u, v] += doffsets[:, u, v]   # offsets u and u + 2 share pixels: add, never assign
    return da, dw, db


def _forward(params, x):
    n = x.shape[0]
    a1, cache1 = _conv_pool_relu(x.reshape(1, n, 28, 28), params["conv1.w"], params["conv1.b"], 13, "conv1")
    a2, cache2 = _conv_pool_relu(a1, params["conv2.w"], params["conv2.b"], 5, "conv2")
    flat = a2.transpose(1, 0, 2, 3).reshape(n, 150)                  # (C, H, W) order per image
    h = relu(flat @ params["fc1.w"].T + params["fc1.b"])
    logits = h @ params["fc2.w"].T + params["fc2.b"]
    return logits, (a1, cache1, cache2, flat, h)


def predict(params, x):
    """Logits of the seed network.

    params: dict from init_params
    x: (N, 1, 28, 28) finite floats — pixels in [0, 1], raw 0…255 values or standardized (x − mean) / std
       all work (converted to the params' dtype); at most about 19,000 float32 / 9,500 float64 images a call
    Returns logits (N, 10) in the dtype of params.
    """
    dtype = _check_params(params)
    x = _check_images(x, dtype)
    _check_memory(x.shape[0], dtype, "forward")
    with _LOCK:
        return _forward(params, x)[0]


def loss_and_grads(params, x, y):
    """Mean softmax cross-entropy of the seed network and its gradient with respect to every parameter.

    params: dict from init_params (all float32 or all float64)
    x:      (N, 1, 28, 28) finite floats — pixels in [0, 1], raw 0…255 values or standardized
            (x − mean) / std all work (converted to the params' dtype); NaN or inf is refused. At most about
            10,000 float32 / 5,000 float64 images a call (MEMORY_BUDGET).
    y:      (N,) integer labels 0…9
    Returns loss (a float) and grads, a dict with the keys, shapes and dtype of params. The loss can be
    inf or nan if the weights or inputs are so large that the logits overflow (train stops there).
    """
    dtype = _check_params(params)
    x = _check_images(x, dtype)
    y = _check_labels(y, x.shape[0])
    _check_memory(x.shape[0], dtype, "backward")
    with _LOCK:
        return _loss_and_grads(params, x, y, dtype)


def _loss_and_grads(params, x, y, dtype):
    """loss_and_grads on checked arguments; the caller holds _LOCK."""
    n = x.shape[0]
    logits, (a1, cache1, cache2, flat, h) = _forward(params, x)
    loss, dlogits = _softmax_cross_entropy(logits, y)
    grads = {"fc2.w": dlogits.T @ h, "fc2.b": dlogits.sum(axis=0)}
    dh = (dlogits @ params["fc2.w"]) * (h > 0)
    grads["fc1.w"], grads["fc1.b"] = dh.T @ flat, dh.sum(axis=0)
    da2 = (dh @ params["fc1.w"]).reshape(n, 6, 5, 5).transpose(1, 0, 2, 3)
    da1, grads["conv2.w"], grads["conv2.b"] = _conv_pool_relu_backward(da2, params["conv2.w"], cache2, a1.shape)
    _, grads["conv1.w"], grads["conv1.b"] = _conv_pool_relu_backward(da1, params["conv1.w"], cache1)
    return loss, {k: np.ascontiguousarray(grads[k], dtype=dtype) for k in SHAPES}


# ---------------------------------------------------------------------------- training

def sgd_step(params, grads, learning_rate):
    """Plain SGD, in place: every parameter moves against its gradient, W ← W − η·∂L/∂W.

    params, grads: dicts with the keys and shapes of SHAPES; learning_rate: η > 0, finite
    Everything is checked before any parameter changes: a missing or misshapen gradient, a NaN or inf in
    one, or an update that would overflow raises ValueError and leaves params as they were.
    Returns params (the same dict, updated).
    """
    learning_rate = _check_learning_rate(learning_rate)
    _check_params(params)
    if not isinstance(grads, dict):
        raise ValueError(f"grads must be a dict like loss_and_grads returns; got {type(grads).__name__}")
    missing = [k for k in SHAPES if k not in grads]
    if missing:
        raise ValueError(f"grads is missing {missing}")
    for name, shape in SHAPES.items():
        value = grads[name]
        if not isinstance(value, np.ndarray) or value.shape != shape or value.dtype.kind not in "fiu":
            got = (f"{value.dtype} array of shape {value.shape}" if isinstance(value, np.ndarray)
                   else type(value).__name__)
            raise ValueError(f"grads[{name!r}] must be a real array of shape {shape}; got {got}")
    updated = _updated(params, grads, learning_rate)
    if isinstance(updated, str):
        raise ValueError(f"grads[{updated!r}]: the update W − η·g would not be finite (a NaN or inf in the "
                         f"gradient, or η = {learning_rate:g} too large); params were left as they were")
    _commit(params, updated)
    return params


def _updated(params, grads, learning_rate):
    """{name: W − η·g} in the params' dtype, or the first name whose update is not finite."""
    updated = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name in SHAPES:
            new = params[name] - learning_rate * grads[name]
            if new.dtype != params[name].dtype:
                new = new.astype(params[name].dtype)
            if not np.isfinite(new).all():
                return name
            updated[name] = new
    return updated


def _commit(params, updated):
    for name, new in updated.items():
        np.copyto(params[name], new)  # in place: the caller's arrays are the ones that move


def accuracy(params, x, y, batch_size=500):
    """Fraction of images whose largest logit is the label.

    x: (N, 1, 28, 28) uint8 pixels (divided by 255) or finite floats; y: (N,) labels 0…9
    batch_size: images per forward pass (bounds the memory)
    """
    dtype = _check_params(params)
    x = _validate_images(x, dtype, allow_uint8=True)
    y = _check_labels(y, x.shape[0])
    batch_size = _check_int(batch_size, "batch_size", 1)
    _check_memory(min(batch_size, x.shape[0]), dtype, "forward", "batch_size")
    return _accuracy(params, x, y, batch_size, dtype)


def _accuracy(params, x, y, batch_size, dtype):
    correct = 0
    for start in range(0, len(y), batch_size):
        batch = _as_float(x[start:start + batch_size], dtype)
        with _LOCK:
            logits = _forward(params, batch)[0]
        correct += int(np.sum(logits.argmax(axis=1) == y[start:start + batch_size]))
    return correct / len(y)


def _as_float(x, dtype):
    """A batch of checked images in the params' dtype: uint8 pixels divided by 255, floats converted."""
    if x.dtype == np.uint8:
        return x.astype(dtype) / dtype.type(255)
    return np.ascontiguousarray(x, dtype=dtype)


def dead_units(params, x, batch_size=500):
    """ReLU units that output 0 on every image of x (a "dead" unit: no gradient reaches its weights).

    params: dict from init_params; x: (N, 1, 28, 28) uint8 pixels or finite floats
    A conv filter counts as dead when its pooled, ReLU'd feature map (what the next layer reads) is 0
    at every position of every image; an fc1 unit when its output is 0 for every image.
    Returns {"conv1": [filter indices], "conv2": [filter indices], "fc1": [unit indices]}, sorted.
    """
    dtype = _check_params(params)
    x = _validate_images(x, dtype, allow_uint8=True)
    batch_size = _check_int(batch_size, "batch_size", 1)
    _check_memory(min(batch_size, x.shape[0]), dtype, "forward", "batch_size")
    return _dead_units(params, x, batch_size, dtype)


def _dead_units(params, x, batch_size, dtype):
    """dead_units on checked arguments. Stops as soon as every unit has fired once: the rest of x cannot revive
    a unit that is already alive (a healthy network is done after its first 100 images)."""
    alive = {"conv1": np.zeros(6, bool), "conv2": np.zeros(6, bool), "fc1": np.zeros(128, bool)}
    step = min(batch_size, 100)
    for start in range(0, len(x), step):
        if all(on.all() for on in alive.values()):
            break
        batch = _as_float(x[start:start + step], dtype)
        with _LOCK:
            _, (a1, _, _, flat, h) = _forward(params, batch)
            alive["conv1"] |= (a1 > 0).any(axis=(1, 2, 3))                      # a1: (6, N, 13, 13)
            alive["conv2"] |= (flat.reshape(len(batch), 6, 25) > 0).any(axis=(0, 2))
            alive["fc1"] |= (h > 0).any(axis=0)
    return {layer: [int(i) for i in np.flatnonzero(~on)] for layer, on in alive.items()}


def train(params, x, y, *, learning_rate=0.05, batch_size=64, epochs=1, seed=0,
          x_test=None, y_test=None, on_progress=None, progress_every=10, snapshot_every=10):
    """Train with plain SGD and a fixed learning rate, in place, and record what happens to the filters.

    params: dict from init_params (updated in place)
    x: (N, 1, 28, 28) uint8 pixels (divided by 255) or any finite floats (e.g. standardized); y: (N,) labels 0…9
    learning_rate: η; batch_size: images per step; epochs: passes over the shuffled data; seed: shuffling
    x_test, y_test: held-out images and labels (both or neither), evaluated after every epoch when given
    on_progress: optional callable(history) called every progress_every steps and at each epoch's end
    snapshot_every: keep a copy of the conv filters every this many steps (and at step 0 and the end)
    Every argument, and all of x, y, x_test and y_test, is checked before the first step: a refused call
    leaves params untouched.
    Returns history, a dict of lists:
      "loss":                     one entry per step (the batch's loss before the step)
      "up", "down":               per step, the fraction of conv filter weights (conv1.w and conv2.w,
                                  378 in all) that the step increased / decreased
      "moves":                    {key: {"up": [...], "down": [...]}} for each key of MOVE_KEYS: the same
                                  fractions for that layer alone (W ← W − η·g: up ⇔ g < 0)
      "epoch_steps", "test_accuracy": the step at each epoch's end and the held-out accuracy there
      "snapshot_steps", "snapshots":  steps and {"conv1.w", "conv2.w"} copies taken there
      "steps_total": how many steps the run will take
      "dead_units":  dead_units(params, first ≤ DEAD_UNIT_IMAGES training images) after the last step
    Raises TrainingDiverged (a ValueError) at the first step whose loss is NaN or inf, or whose update would
    make a weight non-finite: its message names the step and η, .history holds the run so far, and params
    are as after the last good step.
    """
    dtype = _check_params(params)
    x = _validate_images(x, dtype, allow_uint8=True)
    y = _check_labels(y, x.shape[0])
    if (x_test is None) != (y_test is None):
        given, absent = ("x_test", "y_test") if y_test is None else ("y_test", "x_test")
        raise ValueError(f"x_test and y_test come as a pair: {given} was given but {absent} was not")
    if x_test is not None:
        x_test = _validate_images(x_test, dtype, "x_test", allow_uint8=True)
        y_test = _check_labels(y_test, x_test.shape[0], "y_test")
    learning_rate = _check_learning_rate(learning_rate)
    batch_size = _check_int(batch_size, "batch_size", 1, len(y), " (the number of images in x)")
    _check_memory(batch_size, dtype, "backward", "batch_size")
    epochs = _check_int(epochs, "epochs", 1)
    rng = _rng(seed)
    if on_progress is not None and not callable(on_progress):
        raise ValueError(f"on_progress must be a callable(history) or None; got {type(on_progress).__name__}")
    progress_every = _check_int(progress_every, "progress_every", 1)
    snapshot_every = _check_int(snapshot_every, "snapshot_every", 1)

    steps_per_epoch = len(y) // batch_size  # the incomplete last batch of an epoch is skipped
    history = {"loss": [], "up": [], "down": [], "moves": {k: {"up": [], "down": []} for k in MOVE_KEYS},
               "epoch_steps": [], "test_accuracy": [], "snapshot_steps": [], "snapshots": [],
               "steps_total": steps_per_epoch * epochs}
    sizes = {k: int(np.prod(SHAPES[k])) for k in MOVE_KEYS}
    filter_size = sum(sizes[k] for k in FILTER_KEYS)

    def snapshot(step):
        history["snapshot_steps"].append(step)
        history["snapshots"].append({k: params[k].copy() for k in FILTER_KEYS})

    def finish(step):
        if history["snapshot_steps"][-1] != step:
            snapshot(step)
        with np.errstate(over="ignore", invalid="ignore"):
            history["dead_units"] = _dead_units(params, x[:DEAD_UNIT_IMAGES], 500, dtype)

    snapshot(0)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, steps_per_epoch * batch_size, batch_size):
            batch = order[start:start + batch_size]
            xb, yb = _as_float(x[batch], dtype), y[batch]
            with _LOCK, np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, once
                loss, grads = _loss_and_grads(params, xb, yb, dtype)
            updated = _updated(params, grads, learning_rate) if np.isfinite(loss) else None
            if not isinstance(updated, dict):
                finish(step)
                cause = (f"the loss was {loss}" if updated is None else
                         f"the loss was {loss:.4g} and the update of {updated} was not finite")
                raise TrainingDiverged(
                    f"training diverged at step {step + 1} of {history['steps_total']} with learning rate "
                    f"η = {learning_rate:g}: {cause}. Lower η to about {learning_rate / 10:g} (η/10), or "
                    f"standardize the inputs ((x − mean) / std). params are as after step {step}; the "
                    f"exception's .history holds the run so far.",
                    step=step + 1, history=history, learning_rate=learning_rate, loss=loss)
            # W ← W − η·g: a weight goes up exactly when its gradient is negative
            counts = {k: (int(np.count_nonzero(grads[k] < 0)), int(np.count_nonzero(grads[k] > 0)))
                      for k in MOVE_KEYS}
            for k in MOVE_KEYS:
                history["moves"][k]["up"].append(counts[k][0] / sizes[k])
                history["moves"][k]["down"].append(counts[k][1] / sizes[k])
            history["up"].append(sum(counts[k][0] for k in FILTER_KEYS) / filter_size)
            history["down"].append(sum(counts[k][1] for k in FILTER_KEYS) / filter_size)
            history["loss"].append(loss)
            _commit(params, updated)
            step += 1
            if step % snapshot_every == 0:
                snapshot(step)
            if on_progress is not None and step % progress_every == 0:
                on_progress(history)
        history["epoch_steps"].append(step)
        if x_test is not None:
            history["test_accuracy"].append(_accuracy(params, x_test, y_test, 500, dtype))
        if on_progress is not None:
            on_progress(history)
    finish(step)
    return history


# ---------------------------------------------------------------------------- checking

def gradient_check(params, x, y, entries=5, eps=1e-5, seed=0):
    """Compare loss_and_grads with central differences, (L(θ+ε) − L(θ−ε)) / 2ε, on sampled entries.

    params: float64 dict (float32 rounding would swamp ε); x, y: a small batch
    entries: how many entries of each parameter to check (all of them if it has fewer)
    Returns {name: max relative error |g − g_num| / max(|g| + |g_num|, 1e-12)} (helpers.nn.gradcheck's
    relative_error; for every entry of one array use helpers.nn.gradcheck.check_gradient) — expect 1e-7 or less;
    a wrong gradient gives 1e-2 or more. (A kink — a ReLU input or a max-pool tie moved by ±ε — can
    spoil a single entry; that is why biases should not sit exactly at 0 when you check.)
    """
    if _check_params(params) != np.float64:
        raise ValueError("params must be float64 for a gradient check (init_params(dtype=np.float64))")
    entries = _check_int(entries, "entries", 1)
    if isinstance(eps, bool) or not isinstance(eps, Real) or not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0; got {eps!r}")
    rng = _rng(seed)
    x = _check_images(x, np.float64)
    y = _check_labels(y, x.shape[0])
    _check_memory(x.shape[0], np.float64, "backward")
    _, grads = loss_and_grads(params, x, y)
    errors = {}
    for name in SHAPES:
        flat = params[name].reshape(-1)  # a view: writing into it perturbs params
        chosen = rng.choice(flat.size, size=min(entries, flat.size), replace=False)
        worst = 0.0
        for index in chosen:
            saved = flat[index]
            flat[index] = saved + eps
            loss_plus = loss_and_grads(params, x, y)[0]
            flat[index] = saved - eps
            loss_minus = loss_and_grads(params, x, y)[0]
            flat[index] = saved
            numeric = (loss_plus - loss_minus) / (2 * eps)
            analytic = grads[name].reshape(-1)[index]
            worst = max(worst, relative_error(analytic, numeric))
        errors[name] = worst
    return errors


def sign_changes(before, after):
    """How the signs of one weight array changed between two moments of training.

    before, after: arrays of the same shape (e.g. conv1.w at step 0 and at the end)
    Returns a dict: "negative_before", "negative_after" (counts), "to_negative", "to_positive"
    (lists of index tuples of weights that crossed zero downward / upward), and "size".
    """
    before, after = real_array(before, "before"), real_array(after, "after")
    if before.shape != after.shape:
        raise ValueError(f"before and after must have the same shape; got {before.shape} and {after.shape}")
    if before.size > 10**6:  # every crossing becomes a tuple in a list
        raise ValueError(f"before has {before.size:,} entries, over the limit of 1,000,000 (one weight array)")
    return {
        "size": before.size,
        "negative_before": int(np.sum(before < 0)),
        "negative_after": int(np.sum(after < 0)),
        "to_negative": [tuple(int(i) for i in idx) for idx in np.argwhere((before >= 0) & (after < 0))],
        "to_positive": [tuple(int(i) for i in idx) for idx in np.argwhere((before < 0) & (after >= 0))],
    }


def best_match_correlation(filters_a, filters_b):
    """How alike two banks of filters are, whatever their order.

    filters_a, filters_b: (F, C, KH, KW) arrays of the same shape (e.g. conv1.w of two runs)
    Returns (F,): for each filter of a, the largest |Pearson correlation| with any filter of b
    (1.0: the same pattern up to scale and sign; near 0: unrelated).
    """
    a = real_array(filters_a, "filters_a").astype(float)
    b = real_array(filters_b, "filters_b").astype(float)
    if a.shape != b.shape or a.ndim != 4 or a.size == 0:
        raise ValueError(f"filters_a and filters_b must be non-empty (F, C, KH, KW) of one shape; got {a.shape} "
                         f"and {b.shape}")
    if len(a) > 4096:  # an F × F matrix of correlations
        raise ValueError(f"filters_a has {len(a)} filters, over the limit of 4096")
    for name, bank in (("filters_a", a), ("filters_b", b)):
        if not np.isfinite(bank).all():
            raise ValueError(f"{name} must be finite; got NaN or inf")
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(axis=1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(axis=1, keepdims=True)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.abs(a @ b.T).max(axis=1)
