"""Comparing banks of filters and how training changed them (notebook 06's evidence).

Every claim about trained filters needs a baseline. This module measures, in NumPy:

- ``net_change``: how many weights of a layer ended higher / lower than at the start, and by how much;
- ``common_mode``: a filter's gradient (or change) split into its mean over the kernel's KH·KW weights
  (the part that moves all of them the same way) and the rest; with inputs ≥ 0 the mean part is
  Σ δ · (patch mean), the bias gradient Σ δ weighted by how bright each patch is;
- ``filter_correlation`` and ``match_filters``: how alike two banks are, matched one-to-one by the best
  of all F! orderings (720 for six filters), with the *signed* Pearson correlation;
- ``random_banks``: He-initialized banks, the "chance alone" baseline for any similarity statistic;
- ``top_patches``: the patches of the data that excite each filter most;
- ``orientation_score``: how much of a 3×3 filter is an oriented ramp (an edge detector's shape).

Shapes follow NCHW: a bank of filters is (F, C, KH, KW); a stack of P banks is (P, F, C, KH, KW).

Arguments are checked at the door: a wrong one raises ValueError or TypeError naming it, before any work.
Sizes are bounded so that no call takes seconds or gigabytes: at most MAX_ELEMENTS entries in one array (and
in all the layers or samples of one table), MAX_ROWS rows in a table, MAX_PIXELS pixels to scale, and
MAX_RUN_STEPS steps of MAX_RUN_IMAGES images in all for one short run.
"""
import itertools
import math
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np

from helpers.door import mapping, real_array
from helpers.nn import network

MAX_MATCH_FILTERS = 8   # 8! = 40,320 orderings; beyond that brute force is the wrong tool
MAX_TOP_PATCH_PRODUCTS = 10**9   # top_patches' multiply-adds (seconds of work): 1,000 MNIST digits need 37 M
MAX_ELEMENTS = 10**7    # entries of one array argument (80 MB as float64); the seed network has 21,000 weights
MAX_ROWS = 100          # rows of one table: layers, named samples, settings, or the seeds of one setting
MAX_PIXELS = 70_000 * 28 * 28   # pixels scale_inputs converts at once: all of MNIST (220 MB as float32)
MAX_RUN_STEPS = 1_000   # SGD steps of one short run (notebook 06: 100)
MAX_RUN_IMAGES = 32_000   # steps · batch_size of one short run, about 3 s on one core (notebook 06: 1,600)


def _array(value, name, ndim=None, min_ndim=None):
    array = real_array(value, name)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {array.shape}")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions; got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if array.size > MAX_ELEMENTS:
        raise ValueError(f"{name} has {array.size:,} entries (shape {array.shape}); at most {MAX_ELEMENTS:,}")
    array = np.asarray(array, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    return array


def _count(value, name, low=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer ≥ {low}; got {value!r}")
    return int(value)


def _names(value, name):
    """value as a list of 1 to MAX_ROWS strings (layer names such as "conv1.w")."""
    if not (isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1)):
        raise TypeError(f"{name} must be a list or tuple of layer names; got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_ROWS:
        raise ValueError(f"{name} must hold 1 to {MAX_ROWS} layer names; got {len(value)}")
    if not all(isinstance(key, str) for key in value):
        raise TypeError(f"{name} must be layer names (strings) such as 'conv1.w'; got {list(value)!r:.80}")
    return list(value)


def _layer_pairs(start, end, keys, start_name, end_name):
    """{key: (start[key], end[key])} for every name of keys: float arrays of one shape, MAX_ELEMENTS in all."""
    start = mapping(start, start_name, "a dict {layer name: weights}")
    end = mapping(end, end_name, "a dict {layer name: weights}")
    keys = _names(keys, "keys")
    missing = [key for key in keys if key not in start or key not in end]
    if missing:
        raise ValueError(f"keys must name arrays present in both {start_name} and {end_name}; missing {missing}")
    pairs, total = {}, 0
    for key in keys:
        before, after = _array(start[key], f"{start_name}[{key!r}]"), _array(end[key], f"{end_name}[{key!r}]")
        if before.shape != after.shape:
            raise ValueError(f"{start_name}[{key!r}] and {end_name}[{key!r}] must have one shape; got "
                             f"{before.shape} and {after.shape}")
        total += before.size
        if total > MAX_ELEMENTS:
            raise ValueError(f"keys name more than {MAX_ELEMENTS:,} weights in all; show fewer layers")
        pairs[key] = before, after
    return pairs


# ---------------------------------------------------------------------------- net change

def net_change(start, end):
    """How one weight array changed from start to end of a run.

    start, end: arrays of the same shape (e.g. conv1.w (6, 1, 3, 3) at step 0 and after training)
    Returns a dict of numbers: "size", "higher", "lower", "unchanged" (how many weights ended above / below /
    exactly at their start), "mean_change" (mean of end − start, signed) and "mean_abs_start" (mean |w| at
    the start: the scale the change should be compared with).
    """
    start, end = _array(start, "start"), _array(end, "end")
    if start.shape != end.shape:
        raise ValueError(f"start and end must have the same shape; got {start.shape} and {end.shape}")
    change = end - start
    return {"size": int(change.size), "higher": int(np.sum(change > 0)), "lower": int(np.sum(change < 0)),
            "unchanged": int(np.sum(change == 0)), "mean_change": float(change.mean()),
            "mean_abs_start": float(np.abs(start).mean())}


def net_change_table(starts, ends, keys):
    """A Markdown table of ``net_change`` for several layers.

    starts, ends: dicts {name: array} (e.g. {"conv1.w": (6, 1, 3, 3), ...}), finite numbers, each layer's two
    arrays of one shape; keys: 1 to MAX_ROWS names (strings) of both, in order, at most MAX_ELEMENTS weights
    in all.
    Returns a Markdown string: one row per layer with the counts higher ↑ / lower ↓, the mean change and
    the mean |w| at the start.
    """
    pairs = _layer_pairs(starts, ends, keys, "starts", "ends")
    rows = ["| layer | weights | ended higher ↑ | ended lower ↓ | mean change | mean \\|w\\| at start |",
            "|---|---|---|---|---|---|"]
    for key, (start, end) in pairs.items():
        c = net_change(start, end)
        rows.append(f"| `{key}` | {c['size']:,} | {c['higher']:,} ({100 * c['higher'] / c['size']:.0f} %) | "
                    f"{c['lower']:,} ({100 * c['lower'] / c['size']:.0f} %) | {c['mean_change']:+.3f} | "
                    f"{c['mean_abs_start']:.3f} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------- common mode

def common_mode(weights):
    """Split each kernel into its mean over the KH·KW weights and the rest.

    weights: (F, C, KH, KW): filters, a gradient ∂L/∂W or a change ΔW
    Returns (mean, rest, share): mean (F, C) the kernel means; rest (F, C, KH, KW) = weights − mean, which
    sums to 0 over each kernel; share (F, C) = KH·KW·mean² / Σ weights², the fraction of each kernel's
    squared norm that moves all its weights the same way (0 when there is no kernel energy). For a
    direction with no preference (independent normal entries) the expected share is 1/(KH·KW).
    """
    weights = _array(weights, "weights", ndim=4)
    mean = weights.mean(axis=(2, 3))
    rest = weights - mean[:, :, None, None]
    energy = np.sum(weights ** 2, axis=(2, 3))
    size = weights.shape[2] * weights.shape[3]
    share = np.divide(size * mean ** 2, energy, out=np.zeros_like(energy), where=energy > 0)
    return mean, rest, share


def patch_means(x, kernel_shape=(3, 3)):
    """The mean of every KH×KW patch a stride-1 valid conv reads.

    x: (N, C, H, W) inputs; kernel_shape: (KH, KW)
    Returns (N, C, H−KH+1, W−KW+1). With these, the mean over a kernel of ∂L/∂W (one input channel) is
    Σ_{n, m, k} δ[n, f, m, k] · patch_mean[n, c, m, k], while ∂L/∂b_f = Σ δ[n, f, m, k].
    """
    x = _array(x, "x", ndim=4)
    kh, kw = kernel_shape
    if not (1 <= kh <= x.shape[2] and 1 <= kw <= x.shape[3]):
        raise ValueError(f"kernel_shape must fit inside the images {x.shape[2:]}; got {kernel_shape}")
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return windows.mean(axis=(-2, -1))


# ---------------------------------------------------------------------------- matching banks

def filter_correlation(bank_a, bank_b):
    """Signed Pearson correlation of every filter of bank_a with every filter of bank_b.

    bank_a: (F, C, KH, KW) and bank_b: (G, C, KH, KW), or stacks (P, F, C, KH, KW) and (P, G, C, KH, KW).
    Returns (F, G) (or (P, F, G)): +1 the same pattern up to a positive scale and an added constant,
    −1 the same pattern negated, 0 unrelated. A filter with no variation counts as 0 against everything.
    """
    a, b = _array(bank_a, "bank_a", min_ndim=4), _array(bank_b, "bank_b", min_ndim=4)
    if a.ndim not in (4, 5) or a.ndim != b.ndim or a.shape[-3:] != b.shape[-3:] or a.shape[:-4] != b.shape[:-4]:
        raise ValueError(f"bank_a and bank_b must be (F, C, KH, KW) (or stacks (P, F, C, KH, KW)) with filters of "
                         f"one shape; got {a.shape} and {b.shape}")
    a = a.reshape(a.shape[:-3] + (-1,))
    b = b.reshape(b.shape[:-3] + (-1,))

    def unit(v):
        v = v - v.mean(axis=-1, keepdims=True)
        norm = np.linalg.norm(v, axis=-1, keepdims=True)
        return np.divide(v, norm, out=np.zeros_like(v), where=norm > 1e-12)

    return unit(a) @ np.swapaxes(unit(b), -1, -2)


def _permutations(count):
    return np.array(list(itertools.permutations(range(count))), dtype=np.intp)


def best_assignment(similarity):
    """The one-to-one pairing with the largest total similarity, by trying every ordering.

    similarity: (F, F) matrix, or a stack (P, F, F); F ≤ MAX_MATCH_FILTERS (6 filters: 720 orderings)
    Returns (order, matched): order (F,) or (P, F) ints, row i is paired with column order[i]; matched
    (F,) or (P, F): similarity[i, order[i]]. Ties go to the first ordering in itertools order.
    """
    s = _array(similarity, "similarity", min_ndim=2)
    if s.ndim not in (2, 3) or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"similarity must be square (F, F) or a stack (P, F, F); got {s.shape}")
    count = s.shape[-1]
    if count > MAX_MATCH_FILTERS:
        raise ValueError(f"similarity has {count} filters; brute force handles at most {MAX_MATCH_FILTERS}")
    stack = s[None] if s.ndim == 2 else s
    orders = _permutations(count)                                      # (count!, F)
    totals = stack[:, np.arange(count), orders].sum(axis=-1)           # (P, count!)
    order = orders[np.argmax(totals, axis=1)]                          # (P, F)
    matched = np.take_along_axis(stack, order[:, :, None], axis=2)[:, :, 0]
    return (order[0], matched[0]) if s.ndim == 2 else (order, matched)


def match_filters(bank_a, bank_b):
    """Pair the filters of two banks one-to-one so that the mean signed correlation is largest.

    bank_a, bank_b: (F, C, KH, KW) of one shape, or stacks (P, F, C, KH, KW); F ≤ MAX_MATCH_FILTERS.
    Signed, because a ReLU follows the conv: W and −W are different detectors (one answers a bright
    stroke, the other its absence), so a negated copy must not count as a match.
    Returns a dict: "order" (F,) or (P, F) (filter i of a ↔ filter order[i] of b), "correlations" (F,) or
    (P, F) the matched correlations, "score" the mean over the F pairs (a float, or (P,)).
    """
    a, b = _array(bank_a, "bank_a", min_ndim=4), _array(bank_b, "bank_b", min_ndim=4)
    if a.shape != b.shape or a.ndim not in (4, 5):
        raise ValueError(f"bank_a and bank_b must both be (F, C, KH, KW) or (P, F, C, KH, KW) of one shape; "
                         f"got {a.shape} and {b.shape}")
    order, matched = best_assignment(filter_correlation(a, b))
    score = matched.mean(axis=-1)
    return {"order": order, "correlations": matched, "score": float(score) if a.ndim == 4 else score}


def random_banks(count, shape=(6, 1, 3, 3), seed=0):
    """``count`` independent He-initialized banks (normal, std √(2 / fan-in)), as init_params draws them.

    count: integer ≥ 1; shape: (F, C, KH, KW); seed: for np.random.default_rng
    Returns (count, F, C, KH, KW) float64. (The Pearson statistics above are scale-free, so the std only
    matters for statistics of raw values.)
    """
    count = _count(count, "count")
    if len(shape) != 4 or any(isinstance(s, bool) or not isinstance(s, Integral) or s < 1 for s in shape):
        raise ValueError(f"shape must be four positive integers (F, C, KH, KW); got {shape!r}")
    fan_in = shape[1] * shape[2] * shape[3]
    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / fan_in), size=(count,) + tuple(shape))


def pair_scores(banks):
    """``match_filters`` score of every pair of banks in a list.

    banks: (P, F, C, KH, KW) or a list of P banks (F, C, KH, KW), P ≥ 2
    Returns (P·(P−1)/2,) scores in itertools.combinations order.
    """
    banks = _array(banks, "banks", ndim=5)
    if len(banks) < 2:
        raise ValueError(f"banks must hold at least two banks; got {len(banks)}")
    pairs = np.array(list(itertools.combinations(range(len(banks)), 2)))
    return match_filters(banks[pairs[:, 0]], banks[pairs[:, 1]])["score"]


def spread(values):
    """(mean, 5th percentile, 95th percentile) of a 1-D sample, as floats."""
    values = _array(values, "values").ravel()
    low, high = np.percentile(values, [5, 95])
    return float(values.mean()), float(low), float(high)


# ---------------------------------------------------------------------------- what filters respond to

def top_patches(x, filters, bias=None, count=8):
    """For each filter, the ``count`` patches of the data that give its largest output, one per image.

    x: (N, 1, H, W) images (floats); filters: (F, 1, KH, KW); bias: (F,) or None; count ≤ N
    One patch per image, so that the same stroke seen at neighbouring positions does not fill the row.
    Returns (patches, responses, where): patches (F, count, KH, KW); responses (F, count), largest first;
    where (F, count, 3) the (image, row, column) of each patch's top-left pixel.
    """
    x = _array(x, "x", ndim=4)
    filters = _array(filters, "filters", ndim=4)
    if x.shape[1] != 1 or filters.shape[1] != 1:
        raise ValueError(f"x (N, 1, H, W) and filters (F, 1, KH, KW) must have one channel; got {x.shape} and "
                         f"{filters.shape}")
    kh, kw = filters.shape[2:]
    if kh > x.shape[2] or kw > x.shape[3]:
        raise ValueError(f"filters {filters.shape} do not fit inside images {x.shape}")
    bias = np.zeros(len(filters)) if bias is None else _array(bias, "bias", ndim=1)
    if bias.shape != (len(filters),):
        raise ValueError(f"bias must be (F,) = ({len(filters)},); got {bias.shape}")
    count = _count(count, "count")
    if count > len(x):
        raise ValueError(f"count must be at most the number of images {len(x)}; got {count}")
    n, oh, ow = len(x), x.shape[2] - kh + 1, x.shape[3] - kw + 1
    per_image = oh * ow * kh * kw
    if n * per_image * len(filters) > MAX_TOP_PATCH_PRODUCTS or per_image > 10**7:
        raise ValueError(f"x {x.shape} with filters {filters.shape} needs more than {MAX_TOP_PATCH_PRODUCTS:,} "
                         "multiply-adds; pass fewer images or filters")
    windows = np.lib.stride_tricks.sliding_window_view(x[:, 0], (kh, kw), axis=(1, 2))   # (N, OH, OW, KH, KW)
    # the outputs of a chunk of images: (F, KH·KW) times the chunk's shifted copies, one BLAS product
    kernels = filters.reshape(len(filters), -1)
    best_position = np.empty((len(filters), n), np.intp)                       # (F, N)
    best_value = np.empty((len(filters), n))
    step = max(1, 10**6 // per_image)   # images per chunk (164 digits): the working arrays stay in cache
    for first in range(0, n, step):
        chunk = x[first:first + step, 0]
        shifted = np.stack([chunk[:, i:i + oh, j:j + ow] for i in range(kh) for j in range(kw)])
        flat = (kernels @ shifted.reshape(kh * kw, -1)).reshape(len(filters), len(chunk), -1)
        best_position[:, first:first + step] = flat.argmax(axis=2)
        best_value[:, first:first + step] = flat.max(axis=2) + bias[:, None]
    images = np.argsort(-best_value, axis=1, kind="stable")[:, :count]         # (F, count)
    positions = np.take_along_axis(best_position, images, axis=1)
    rows, cols = np.divmod(positions, ow)
    patches = windows[images, rows, cols]                                      # (F, count, KH, KW)
    where = np.stack([images, rows, cols], axis=-1)
    return patches.copy(), np.take_along_axis(best_value, images, axis=1), where


def orientation_score(filters):
    """How much of each kernel is an oriented ramp — the shape of an edge detector (Sobel, Prewitt).

    filters: (..., KH, KW), e.g. (6, 1, 3, 3) or (P, 6, 1, 3, 3)
    Each kernel minus its mean is projected on the two ramps (column − centre) and (row − centre); the score
    is the share of its squared norm the best-fitting ramp a·column + b·row explains, in [0, 1]:
    1 for a pure ramp (a perfect oriented edge), 0 for a kernel with no linear trend. For a 3×3 kernel of
    independent normal numbers the expected score is 2/8 = 0.25 (two ramp directions out of the eight
    that sum to zero). Returns (...,); a constant kernel scores 0.
    """
    filters = _array(filters, "filters", min_ndim=2)
    kh, kw = filters.shape[-2:]
    rows, cols = np.meshgrid(np.arange(kh) - (kh - 1) / 2, np.arange(kw) - (kw - 1) / 2, indexing="ij")
    ramps = np.stack([cols.ravel(), rows.ravel()])                             # (2, KH·KW), orthogonal
    ramps = ramps / np.maximum(np.linalg.norm(ramps, axis=1, keepdims=True), 1e-12)
    flat = filters.reshape(filters.shape[:-2] + (kh * kw,))
    centred = flat - flat.mean(axis=-1, keepdims=True)
    energy = np.sum(centred ** 2, axis=-1)
    explained = np.sum((centred @ ramps.T) ** 2, axis=-1)
    return np.divide(explained, energy, out=np.zeros_like(energy), where=energy > 1e-24)


# ---------------------------------------------------------------------------- short contrast runs

INPUT_SCALES = ("unit", "standardized", "pixels")


def _pixels(value, name):
    """value as uint8 images (N, C, H, W), N ≥ 1, at most MAX_PIXELS pixels."""
    images = real_array(value, name)
    if images.dtype != np.uint8 or images.ndim != 4 or not images.size:
        raise ValueError(f"{name} must be uint8 pixels (N, 1, H, W) with N ≥ 1; got {images.dtype} {images.shape}")
    if images.size > MAX_PIXELS:
        raise ValueError(f"{name} has {images.size:,} pixels {images.shape}; scale at most {MAX_PIXELS:,} at once")
    return images


def scale_inputs(x, how, reference=None):
    """The images as the network should see them in one of three settings.

    x: (N, 1, H, W) uint8 pixels, N ≥ 1, at most MAX_PIXELS in all; how: "unit" (x / 255, the course's
    default, all ≥ 0), "standardized" ((x / 255 − mean) / std, the usual normalization: background < 0,
    ink > 0) or "pixels" (the raw numbers 0…255 as floats); reference: (M, 1, H, W) uint8 images whose mean
    and std are used for "standardized" (default: x itself — pass the training images for test images); the
    images standardized by must not all be one value (std 0).
    Returns (N, 1, H, W) float32.
    """
    if not isinstance(how, str) or how not in INPUT_SCALES:
        raise ValueError(f"how must be one of {INPUT_SCALES}; got {how!r:.80}")
    x = _pixels(x, "x")
    if reference is not None:
        reference = _pixels(reference, "reference")
    if how == "standardized":
        name, images = ("x", x) if reference is None else ("reference", reference)
        if images.min() == images.max():
            raise ValueError(f"{name} holds one value everywhere ({images.min()}): its std is 0, nothing to "
                             "standardize by")
    if how == "pixels":
        return x.astype(np.float32)
    unit = x.astype(np.float32) / np.float32(255)
    if how == "unit":
        return unit
    reference = unit if reference is None else reference.astype(np.float32) / np.float32(255)
    return (unit - reference.mean()) / reference.std()


def _run_length(steps, batch_size, images):
    """steps and batch_size of a short run as ints: at most MAX_RUN_STEPS steps of at most `images` images,
    MAX_RUN_IMAGES in all."""
    steps, batch_size = _count(steps, "steps"), _count(batch_size, "batch_size")
    if steps > MAX_RUN_STEPS or batch_size > images or steps * batch_size > MAX_RUN_IMAGES:
        raise ValueError(f"steps and batch_size must be at most {MAX_RUN_STEPS:,} steps of at most N = {images} "
                         f"images, {MAX_RUN_IMAGES:,} images in all (a short run); got {steps:,} and {batch_size:,}")
    return steps, batch_size


def short_run(x, y, seed, steps, batch_size=64, learning_rate=0.1, init="he", on_progress=None, progress_every=25):
    """Train a fresh seed network (``network.init_params(seed, init=init)``) for about ``steps`` SGD steps.

    x: (N, 1, 28, 28) images as the network should see them (uint8 or floats, see ``scale_inputs``), N ≥ 1;
    y: (N,) labels; seed: init and shuffling; steps, batch_size: the run uses the first
    min(N, steps · batch_size) images for as many epochs as the steps need (a partial last batch is skipped,
    so history["steps_total"] says how many steps ran); 1 ≤ steps ≤ MAX_RUN_STEPS, 1 ≤ batch_size ≤ N,
    steps · batch_size ≤ MAX_RUN_IMAGES; on_progress, progress_every: passed to ``network.train``
    (a short run reports every 25 steps: each report repaints a widget).
    seed and init are checked by ``network.init_params``; learning_rate, on_progress, progress_every and the
    values of the images and labels the run uses by ``network.train``, before its first step.
    Returns a dict: "start" and "end" {name: array} for network.MOVE_KEYS and "conv1.b"; "history" (train's,
    or the recorded part when the run diverged); "diverged_at": the failing step, or None; "seed".
    """
    x, y = real_array(x, "x"), real_array(y, "y")
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28) or not len(x):
        raise ValueError(f"x must be images (N, 1, 28, 28) with N ≥ 1; got shape {x.shape}")
    if y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x and y must hold as many images as labels, y (N,); got {x.shape} and {y.shape}")
    steps, batch_size = _run_length(steps, batch_size, len(y))
    images = min(len(y), steps * batch_size)
    epochs = -(-steps * batch_size // images)
    images = min(len(y), (steps // epochs) * batch_size) if steps % epochs == 0 else images
    params = network.init_params(seed=seed, init=init)
    keys = (*network.MOVE_KEYS, "conv1.b")
    start = {key: params[key].copy() for key in keys}
    diverged_at = None
    try:
        history = network.train(params, x[:images], y[:images], learning_rate=learning_rate, batch_size=batch_size,
                                 epochs=epochs, seed=seed, on_progress=on_progress, progress_every=progress_every,
                                 snapshot_every=10 ** 9)
    except network.TrainingDiverged as error:
        history, diverged_at = error.history, error.step
    return {"start": start, "end": {key: params[key].copy() for key in keys}, "history": history,
            "diverged_at": diverged_at, "seed": seed}


def contrast_runs(x, y, settings, seeds, steps, batch_size, progress=None):
    """Short runs of several settings on the same seeds: same starts, same batches, one thing changed.

    x: (N, 1, H, W) uint8 pixels; y: (N,) labels; settings: {label: (input scale, init, learning rate)},
    the scale one of INPUT_SCALES (see ``scale_inputs``), the init "he" or "glorot"; seeds: the seeds every
    setting runs with; steps, batch_size: each run's (see ``short_run``); progress: None, or an object whose
    ``.part(label)`` returns the on_progress callable of the next run, e.g. a
    ``training_widget.TrainingProgress(len(settings) · len(seeds) · steps)``.
    Every setting is checked before the first run. Returns {label: [short_run result, one per seed]}.
    """
    if not isinstance(settings, dict) or not settings:
        raise ValueError(f"settings must be a non-empty dict {{label: (scale, init, learning rate)}}; got "
                         f"{type(settings).__name__}")
    for label, setting in settings.items():
        if not (isinstance(setting, tuple) and len(setting) == 3 and setting[0] in INPUT_SCALES
                and setting[1] in network.INITS and isinstance(setting[2], Real) and not isinstance(setting[2], bool)
                and np.isfinite(setting[2]) and setting[2] > 0):
            raise ValueError(f"settings[{label!r}] must be (scale in {INPUT_SCALES}, init in {network.INITS}, "
                             f"learning rate); got {setting!r}"[:300])
    seeds = list(seeds) if isinstance(seeds, (list, tuple, range)) else None
    if not seeds or not all(isinstance(seed, Integral) and not isinstance(seed, bool) for seed in seeds):
        raise ValueError("seeds must be a non-empty list or range of integers")
    y = real_array(y, "y")
    if y.ndim != 1:
        raise ValueError(f"y must be labels (N,); got shape {y.shape}")
    steps, batch_size = _run_length(steps, batch_size, len(y))
    if progress is not None and not callable(getattr(progress, "part", None)):
        raise ValueError(f"progress must be None or have a .part(label) method; got {type(progress).__name__}")
    runs = {}
    for label, (scale, init, rate) in settings.items():
        scaled = scale_inputs(x, scale)
        runs[label] = [short_run(scaled, y, seed, steps, batch_size, rate, init,
                                 on_progress=None if progress is None else progress.part(f"{label}, seed {seed}"))
                       for seed in seeds]
    return runs


def _short_run_result(run, name):
    """Check that run looks like a short_run result (name: how messages call it, e.g. "runs[0]")."""
    what = "a short_run result with 'start', 'end', 'history' and 'diverged_at'"
    run = mapping(run, name, what)
    missing = [key for key in ("start", "end", "history", "diverged_at") if key not in run]
    if missing:
        raise ValueError(f"{name} must be {what}; it has no {missing}")
    for part in ("start", "end"):
        weights = mapping(run[part], f"{name}[{part!r}]", "a dict {layer name: weights}")
        for key in network.MOVE_KEYS:
            if key not in weights:
                raise ValueError(f"{name}[{part!r}] must hold the weights {network.MOVE_KEYS}; it has no {key!r}")
            shape = _array(weights[key], f"{name}[{part!r}][{key!r}]").shape
            if shape != network.SHAPES[key]:
                raise ValueError(f"{name}[{part!r}][{key!r}] must have shape {network.SHAPES[key]}; got {shape}")
    history = mapping(run["history"], f"{name}['history']", "the history network.train returns")
    if "loss" not in history or real_array(history["loss"], f"{name}['history']['loss']").ndim != 1:
        raise ValueError(f"{name}['history'] must hold 'loss', a list of one number per step")
    dead = history.get("dead_units")
    if dead and not (isinstance(dead, Mapping) and all(isinstance(dead.get(layer), (list, tuple, np.ndarray))
                                                       for layer in ("conv1", "conv2", "fc1"))):
        raise ValueError(f"{name}['history']['dead_units'] must be None or a dict {{'conv1', 'conv2', 'fc1': "
                         f"[unit indices]}}; got {dead!r:.80}")
    step = run["diverged_at"]
    if step is not None and (isinstance(step, bool) or not isinstance(step, Integral) or step < 1):
        raise ValueError(f"{name}['diverged_at'] must be None or the step (≥ 1) that diverged; got {step!r:.80}")


def drift_row(runs):
    """The numbers of one setting, over its seeds, for the drift table.

    runs: list of 1 to MAX_ROWS ``short_run`` results (one per seed): "start" and "end" with the seed
          network's conv1.w (6, 1, 3, 3), conv2.w (6, 6, 3, 3) and fc1.w (128, 150), finite; "history" with
          "loss" (and "dead_units"); "diverged_at" None or a step
    Returns a dict of lists (one entry per seed): "conv1_higher", "conv1_lower" (of 54), "conv1_mean_change",
    "conv1_common_mode" (mean over the six filters of the common-mode share of ΔW), "conv2_higher_share",
    "conv2_lower_share",
    "fc1_higher_share" (fractions), "final_loss" (mean of the last 10 batches), "dead" (dead conv1, conv2, fc1
    units after the run, from history["dead_units"]; None if the run diverged), "diverged_at" and "seeds".
    """
    if not isinstance(runs, (list, tuple)):
        raise TypeError(f"runs must be a list of short_run results; got {type(runs).__name__}")
    if not 1 <= len(runs) <= MAX_ROWS:
        raise ValueError(f"runs must hold 1 to {MAX_ROWS} short_run results; got {len(runs)}")
    for k, run in enumerate(runs):
        _short_run_result(run, f"runs[{k}]")
    row = {key: [] for key in ("conv1_higher", "conv1_lower", "conv1_mean_change", "conv1_common_mode",
                               "conv2_higher_share", "conv2_lower_share", "fc1_higher_share", "final_loss", "dead",
                               "diverged_at", "seeds")}
    for run in runs:
        row["seeds"].append(run.get("seed"))
        conv1 = net_change(run["start"]["conv1.w"], run["end"]["conv1.w"])
        row["conv1_higher"].append(conv1["higher"])
        row["conv1_lower"].append(conv1["lower"])
        row["conv1_mean_change"].append(conv1["mean_change"])
        row["conv1_common_mode"].append(float(common_mode(run["end"]["conv1.w"] - run["start"]["conv1.w"])[2].mean()))
        for layer in ("conv2", "fc1"):
            change = net_change(run["start"][f"{layer}.w"], run["end"][f"{layer}.w"])
            row[f"{layer}_higher_share"].append(change["higher"] / change["size"])
            if layer == "conv2":
                row["conv2_lower_share"].append(change["lower"] / change["size"])
        losses = run["history"]["loss"][-10:]
        row["final_loss"].append(float(np.mean(losses)) if losses else float("nan"))
        dead = run["history"].get("dead_units")
        row["dead"].append(tuple(len(dead[layer]) for layer in ("conv1", "conv2", "fc1")) if dead else None)
        row["diverged_at"].append(run["diverged_at"])
    return row


DRIFT_NUMBERS = ("conv1_higher", "conv1_lower", "conv1_mean_change", "conv1_common_mode", "conv2_higher_share",
                 "conv2_lower_share", "fc1_higher_share", "final_loss")   # drift_row's columns of numbers


def _drift_rows(rows):
    """rows if it is a dict of 1 to MAX_ROWS {setting label: drift_row result}, each column one entry per seed."""
    rows = mapping(rows, "rows", "a dict {setting label: drift_row(...)}")
    if not 1 <= len(rows) <= MAX_ROWS:
        raise ValueError(f"rows must hold 1 to {MAX_ROWS} settings; got {len(rows)}")
    for label, row in rows.items():
        name = f"rows[{label!r:.40}]"
        row = mapping(row, name, "a drift_row result")
        missing = [key for key in (*DRIFT_NUMBERS, "dead", "diverged_at", "seeds") if key not in row]
        if missing:
            raise ValueError(f"{name} must be a drift_row result; it has no {missing}")
        seeds = row["seeds"]
        if not isinstance(seeds, (list, tuple)) or not 1 <= len(seeds) <= MAX_ROWS:
            raise ValueError(f"{name}['seeds'] must be a list of 1 to {MAX_ROWS} seeds; got {seeds!r:.80}")
        for key in DRIFT_NUMBERS:
            shape = real_array(row[key], f"{name}[{key!r}]").shape
            if shape != (len(seeds),):
                raise ValueError(f"{name}[{key!r}] must hold one number per seed ({len(seeds)}); got shape {shape}")
        dead, diverged = row["dead"], row["diverged_at"]
        if not (isinstance(dead, (list, tuple)) and len(dead) == len(seeds) and all(
                units is None or (isinstance(units, tuple) and len(units) == 3
                                  and all(isinstance(count, Integral) for count in units)) for units in dead)):
            raise ValueError(f"{name}['dead'] must hold, per seed, None or three counts (conv1, conv2, fc1); got "
                             f"{dead!r:.80}")
        if not (isinstance(diverged, (list, tuple)) and len(diverged) == len(seeds) and all(
                step is None or (isinstance(step, Integral) and not isinstance(step, bool)) for step in diverged)):
            raise ValueError(f"{name}['diverged_at'] must hold, per seed, None or a step; got {diverged!r:.80}")
    return rows


def _loss_text(loss):
    """A loss with two decimals; one far above chance (a run blowing up) in powers of ten: "6.8e+31"."""
    return f"{loss:.2f}" if not abs(loss) >= 1000 else f"{loss:.2g}"


def drift_table(rows):
    """A Markdown table with one line per setting and seed (the setting named on its first line).

    rows: dict of 1 to MAX_ROWS {setting label: drift_row(...)}, each of 1 to MAX_ROWS seeds
    """
    rows = _drift_rows(rows)
    lines = ["| setting | seed | conv1 ended higher (of 54) | conv1 mean change | conv1 ΔW common-mode share "
             "(no preference: 0.11) | conv2 ended higher | fc1 ended higher | loss at the end (chance: 2.30) "
             "| dead units conv1 / conv2 / fc1 (of 6 / 6 / 128) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, row in rows.items():
        for k in range(len(row["conv1_higher"])):
            loss = (f"diverged at step {row['diverged_at'][k]}" if row["diverged_at"][k]
                    else _loss_text(row["final_loss"][k]))
            dead = " / ".join(map(str, row["dead"][k])) if row["dead"][k] else "–"
            lines.append(f"| {label if k == 0 else ''} | {row['seeds'][k]} "
                         f"| {row['conv1_higher'][k]} | {row['conv1_mean_change'][k]:+.3g} "
                         f"| {row['conv1_common_mode'][k]:.2f} | {100 * row['conv2_higher_share'][k]:.0f} % "
                         f"| {100 * row['fc1_higher_share'][k]:.0f} % | {loss} | {dead} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- tables for notebook 06

def step_moves_table(history, keys):
    """Per layer, what each step did: a Markdown table of the shares moved ↑ and ↓ per step.

    history: ``network.train``'s result: "moves" {name: {"up": (S,), "down": (S,)}}, the fractions of the
             layer's weights each of S ≥ 1 steps moved up and down (MAX_ELEMENTS steps in all the layers shown)
    keys:    1 to MAX_ROWS layer names (strings) of history["moves"]
    """
    moves = mapping(history, "history", "the dict network.train returns").get("moves", {})
    moves = mapping(moves, "history['moves']", "a dict {layer name: {'up': [...], 'down': [...]}}")
    keys = _names(keys, "keys")
    missing = [key for key in keys if key not in moves]
    if missing:
        raise ValueError(f"keys must name layers of history['moves']; missing {missing}")
    total = 0
    for key in keys:
        name = f"history['moves'][{key!r}]"
        layer = mapping(moves[key], name, "a dict {'up': [...], 'down': [...]}")
        if "up" not in layer or "down" not in layer:
            raise ValueError(f"{name} must hold 'up' and 'down', one fraction per step; it has {list(layer)!r:.80}")
        up, down = real_array(layer["up"], f"{name}['up']"), real_array(layer["down"], f"{name}['down']")
        if up.ndim != 1 or up.shape != down.shape or not len(up):
            raise ValueError(f"{name}['up'] and ['down'] must be lists of one fraction per step, of one length ≥ 1; "
                             f"got shapes {up.shape} and {down.shape}")
        total += len(up)
        if total > MAX_ELEMENTS:
            raise ValueError(f"history['moves'] holds more than {MAX_ELEMENTS:,} steps for these keys")
    lines = ["| layer | ↑ per step: mean (lowest–highest) | ↓ per step: mean (lowest–highest) | "
             "steps that moved every weight one way |", "|---|---|---|---|"]
    for key in keys:
        up, down = 100 * np.asarray(moves[key]["up"]), 100 * np.asarray(moves[key]["down"])
        one_way = int(np.sum((up == 0) | (down == 0)))
        lines.append(f"| `{key}` | {up.mean():.1f} % ({up.min():.1f}–{up.max():.1f}) | {down.mean():.1f} % "
                     f"({down.min():.1f}–{down.max():.1f}) | {one_way} of {len(up)} |")
    return "\n".join(lines)


def crossing_table(start, end, keys):
    """Per layer: negative weights before and after, and how many crossed zero each way (Markdown).

    start, end: dicts {name: array} of finite numbers, each layer's two arrays of one shape;
    keys: 1 to MAX_ROWS names (strings) of both, at most MAX_ELEMENTS weights in all
    """
    pairs = _layer_pairs(start, end, keys, "start", "end")
    lines = ["| layer | negative at step 0 | negative at the end | crossed + → − | crossed − → + |",
             "|---|---|---|---|---|"]
    for key, (before, after) in pairs.items():
        down = int(np.sum((before >= 0) & (after < 0)))
        up = int(np.sum((before < 0) & (after >= 0)))
        lines.append(f"| `{key}` | {int(np.sum(before < 0))} of {before.size} | {int(np.sum(after < 0))} | "
                     f"{down} | {up} |")
    return "\n".join(lines)


def crossed_weights_table(before, after, layer="", limit=60):
    """The weights of one conv layer that crossed zero, one line each: filter, weight, before, after (Markdown).

    before, after: (F, C, KH, KW) finite weights of one shape, e.g. conv1.w at step 0 and after training;
    layer: the layer's name for the heading, e.g. "conv1" (a string, may be empty);
    limit: at most this many lines (1 to MAX_ROWS), then one line saying how many more crossed.
    A weight crossed when it went from ≥ 0 to < 0 (+ → −) or from < 0 to ≥ 0 (− → +); indices from 1, as
    in the math ($W_{ij}$, with the channel too when C > 1).
    """
    before, after = _array(before, "before", ndim=4), _array(after, "after", ndim=4)
    if before.shape != after.shape:
        raise ValueError(f"before and after must have one shape (F, C, KH, KW); got {before.shape} and {after.shape}")
    if not isinstance(layer, str) or len(layer) > 40:
        raise ValueError(f"layer must be a short name such as 'conv1'; got {layer!r:.60}")
    limit = _count(limit, "limit")
    if limit > MAX_ROWS:
        raise ValueError(f"limit must be at most {MAX_ROWS}; got {limit}")
    crossed = [("+ → −", index) for index in zip(*np.nonzero((before >= 0) & (after < 0)), strict=True)]
    crossed += [("− → +", index) for index in zip(*np.nonzero((before < 0) & (after >= 0)), strict=True)]
    heading = f"**The {len(crossed)} {layer + ' ' if layer else ''}weights that crossed zero**"
    lines = [heading + " (indices from 1, as in the math)", "", "| filter | weight | before | after | crossed |",
             "|---|---|---|---|---|"]
    for arrow, (f, c, i, j) in crossed[:limit]:
        channel = f"{c + 1}," if before.shape[1] > 1 else ""
        lines.append(f"| filter {f + 1} | $W_{{{channel}{i + 1}{j + 1}}}$ | {before[f, c, i, j]:+.3f} "
                     f"| {after[f, c, i, j]:+.3f} | {arrow} |")
    if len(crossed) > limit:
        lines.append(f"| … and {len(crossed) - limit} more | | | | |")
    return "\n".join(lines)


def baseline_table(samples):
    """Mean and 5–95 % range of each named sample of scores (Markdown).

    samples: dict of 1 to MAX_ROWS {label: scores}, each a number or an array of finite numbers (flattened),
             MAX_ELEMENTS in all; e.g. {"random vs random": (1000,), "trained vs trained": (10,)}
    """
    samples = mapping(samples, "samples", "a dict {label: scores}")
    if not 1 <= len(samples) <= MAX_ROWS:
        raise ValueError(f"samples must hold 1 to {MAX_ROWS} named samples; got {len(samples)}")
    checked, total = {}, 0
    for label, values in samples.items():
        checked[label] = _array(values, f"samples[{label!r:.40}]")
        total += checked[label].size
        if total > MAX_ELEMENTS:
            raise ValueError(f"samples hold more than {MAX_ELEMENTS:,} scores in all")
    lines = ["| comparison | pairs | mean | 5 % | 95 % |", "|---|---|---|---|---|"]
    for label, values in checked.items():
        mean, low, high = spread(values)
        lines.append(f"| {label} | {values.size} | {mean:.2f} | {low:.2f} | {high:.2f} |")
    return "\n".join(lines)


def chance_of_at_least(count, trials, share):
    """P(X ≥ count) for X ~ Binomial(trials, share): how often chance alone gives `count` or more successes.

    count, trials: integers with 0 ≤ count ≤ trials ≤ MAX_ELEMENTS; share: a probability, 0 ≤ share ≤ 1
    """
    trials = _count(trials, "trials", low=0)
    count = _count(count, "count", low=0)
    if count > trials or trials > MAX_ELEMENTS:
        raise ValueError(f"count must be at most trials (and trials at most {MAX_ELEMENTS:,}); got {count} of {trials}")
    if isinstance(share, bool) or not isinstance(share, Real) or not 0 <= share <= 1:
        raise ValueError(f"share must be a probability from 0 to 1; got {share!r:.40}")
    if count == 0 or share == 1:
        return 1.0
    if share == 0:
        return 0.0
    k = np.arange(count, trials + 1)
    log_terms = (math.lgamma(trials + 1) - np.array([math.lgamma(i + 1) + math.lgamma(trials - i + 1) for i in k])
                 + k * math.log(share) + (trials - k) * math.log1p(-share))
    return float(min(1.0, np.exp(log_terms).sum()))


def _percent(probability):
    return "< 1 %" if probability < 0.005 else f"{100 * probability:.0f} %"


def orientation_table(samples, reference):
    """How edge-like filters are against random filters (Markdown).

    samples: dict {label: ``orientation_score`` of one bank, (F, C), or of a stack of banks, (B, F, C)};
    reference: the same of random He banks, (P, F, C)
    Each row: how many filters, their mean score, how many score above the random filters' 95th percentile
    (by chance alone: 5 %), how often that many or more would pass by chance (random filters, as many as the
    row has), and how many banks hold at least one such filter.
    """
    reference = _array(reference, "reference", min_ndim=2)
    cut = float(np.percentile(reference, 95))
    share = float(np.mean(reference > cut))
    lines = [f"| filters | count | mean score | above the random 95th percentile ({cut:.2f}) | as many or more by "
             "chance | banks with at least one filter above it |", "|---|---|---|---|---|---|"]
    for row, (label, values) in enumerate({"random He filters (the baseline)": reference, **samples}.items()):
        values = _array(values, "samples", min_ndim=2)
        banks = values.reshape(-1, values.shape[-2] * values.shape[-1])      # one row per bank
        above = int(np.sum(banks > cut))
        with_one = int(np.sum((banks > cut).any(axis=1)))
        chance = "–" if row == 0 else _percent(chance_of_at_least(above, banks.size, share))
        lines.append(f"| {label} | {banks.size} | {banks.mean():.2f} | {above} ({100 * above / banks.size:.0f} %) | "
                     f"{chance} | {with_one} of {len(banks)} ({100 * with_one / len(banks):.0f} %) |")
    return "\n".join(lines)


def drift_summary(rows):
    """A Markdown table that counts, per setting, the seeds in which each layer drifted down.

    rows: dict of 1 to MAX_ROWS {setting label: drift_row(...)}, each of 1 to MAX_ROWS seeds
    Columns: seeds; seeds where most conv1 weights ended lower; where all 54 did; where most conv2 weights did;
    the mean over seeds of |conv1 mean change| and of the conv1 ΔW common-mode share; the mean final loss.
    """
    rows = _drift_rows(rows)
    lines = ["| setting | seeds | most conv1 weights ended lower | all 54 conv1 weights ended lower | most conv2 "
             "weights ended lower | mean \\|conv1 mean change\\| | mean conv1 common-mode share | mean final loss |",
             "|---|---|---|---|---|---|---|---|"]
    for label, row in rows.items():
        seeds = len(row["conv1_higher"])
        conv1_lower = sum(lower > higher for lower, higher in zip(row["conv1_lower"], row["conv1_higher"], strict=True))
        all_lower = sum(lower == 54 for lower in row["conv1_lower"])
        conv2_lower = sum(share > 0.5 for share in row["conv2_lower_share"])
        lines.append(f"| {label} | {seeds} | {conv1_lower} of {seeds} | {all_lower} of {seeds} "
                     f"| {conv2_lower} of {seeds} | {np.mean(np.abs(row['conv1_mean_change'])):.3g} "
                     f"| {np.mean(row['conv1_common_mode']):.2f} "
                     f"| {_loss_text(np.nanmean(row['final_loss']))} |")
    return "\n".join(lines)
