"""Comparing banks of filters and how training changed them (notebook 06's evidence).

Every claim about trained filters needs a baseline. Here, in NumPy: how many weights ended higher or lower
(``net_change_table``), the common-mode part of a change (``common_mode``), how alike two banks are when
matched one-to-one by the best of all F! orderings (``match_filters``), against random He banks
(``random_banks``), the patches that excite each filter most (``top_patches``), how edge-like a filter is
(``orientation_score``), and short runs that change one thing (``contrast_runs``) with their tables.
Shapes follow NCHW: a bank of filters is (F, C, KH, KW); a stack of P banks is (P, F, C, KH, KW).
"""
import itertools
import math
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np

from helpers.door import check_memory, checked, integer_in, mapping, real_array
from helpers.nn import network
from helpers.nn.conv import conv2d


def _array(value, name, ndim=None, min_ndim=0):
    """value as a non-empty float array of finite numbers: ValueError naming name."""
    array = real_array(value, name)
    if array.ndim < min_ndim or (ndim is not None and array.ndim != ndim) or not array.size:
        wanted = f"{ndim}-D" if ndim is not None else f"at least {min_ndim}-D"
        raise ValueError(f"{name} must be a non-empty {wanted} array; got shape {array.shape}")
    check_memory(8 * array.size, name)
    array = array.astype(float, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    return array


def _count(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an integer ≥ 1; got {value!r:.60}")
    return int(value)


def _names(value, name):
    """value as a non-empty list of strings (layer names such as "conv1.w")."""
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(key, str) for key in value):
        raise TypeError(f"{name} must be a non-empty list of layer names such as 'conv1.w'; got {value!r:.80}")
    return list(value)


def _layer_pairs(start, end, keys, start_name, end_name):
    """{key: (start[key], end[key])} for every name of keys: float arrays of one shape."""
    start = mapping(start, start_name, "a dict {layer name: weights}")
    end = mapping(end, end_name, "a dict {layer name: weights}")
    keys = _names(keys, "keys")
    missing = [key for key in keys if key not in start or key not in end]
    if missing:
        raise ValueError(f"keys must name arrays present in both {start_name} and {end_name}; missing {missing}")
    pairs = {}
    for key in keys:
        before, after = _array(start[key], f"{start_name}[{key!r}]"), _array(end[key], f"{end_name}[{key!r}]")
        if before.shape != after.shape:
            raise ValueError(f"{start_name}[{key!r}] and {end_name}[{key!r}] must have one shape; got "
                             f"{before.shape} and {after.shape}")
        pairs[key] = before, after
    return pairs


# ---------------------------------------------------------------------------- net change and common mode

def net_change(start, end):
    """How one weight array changed from start to end (arrays of one shape, e.g. conv1.w (6, 1, 3, 3)).

    Returns a dict of numbers: "size", "higher", "lower", "unchanged" (weights that ended above / below / at
    their start), "mean_change" (mean of end − start) and "mean_abs_start" (the scale to compare it with).
    """
    start = np.asarray(start, dtype=float)
    change = np.asarray(end, dtype=float) - start
    return {"size": int(change.size), "higher": int(np.sum(change > 0)), "lower": int(np.sum(change < 0)),
            "unchanged": int(np.sum(change == 0)), "mean_change": float(change.mean()),
            "mean_abs_start": float(np.abs(start).mean())}


def net_change_table(starts, ends, keys):
    """A Markdown table of ``net_change``, one row per layer of keys (names in both dicts {name: array})."""
    rows = ["| layer | weights | ended higher ↑ | ended lower ↓ | mean change | mean \\|w\\| at start |",
            "|---|---|---|---|---|---|"]
    for key, (start, end) in _layer_pairs(starts, ends, keys, "starts", "ends").items():
        c = net_change(start, end)
        rows.append(f"| `{key}` | {c['size']:,} | {c['higher']:,} ({100 * c['higher'] / c['size']:.0f} %) | "
                    f"{c['lower']:,} ({100 * c['lower'] / c['size']:.0f} %) | {c['mean_change']:+.3f} | "
                    f"{c['mean_abs_start']:.3f} |")
    return "\n".join(rows)


@checked(lambda weights: {"weights": _array(weights, "weights", ndim=4)})
def common_mode(weights):
    """Split each kernel of weights (F, C, KH, KW) (filters, ∂L/∂W or ΔW) into its mean and the rest.

    Returns (mean (F, C), rest = weights − mean (F, C, KH, KW), share (F, C) = KH·KW·mean² / Σ weights²): the
    fraction of each kernel's squared norm that moves all its weights one way (0 for an all-zero kernel;
    1/(KH·KW) expected for a direction with no preference, independent normal entries).
    """
    mean = weights.mean(axis=(2, 3))
    energy = np.sum(weights ** 2, axis=(2, 3))
    share = np.divide(weights.shape[2] * weights.shape[3] * mean ** 2, energy, out=np.zeros_like(energy),
                      where=energy > 0)
    return mean, weights - mean[:, :, None, None], share


# ---------------------------------------------------------------------------- matching banks

def _check_banks(bank_a, bank_b, same_count):
    a, b = _array(bank_a, "bank_a", min_ndim=4), _array(bank_b, "bank_b", min_ndim=4)
    if (a.ndim not in (4, 5) or a.ndim != b.ndim or a.shape[-3:] != b.shape[-3:] or a.shape[:-4] != b.shape[:-4]
            or (same_count and a.shape != b.shape)):
        raise ValueError(f"bank_a and bank_b must be (F, C, KH, KW) (or stacks (P, F, C, KH, KW)) with filters of "
                         f"one shape{' and as many filters' if same_count else ''}; got {a.shape} and {b.shape}")
    return a, b


def _check_orderings(count, stacks, name):
    """Refuse a brute-force match whose F! orderings (F entries each, for every stack) would not fit in memory."""
    check_memory(8 * math.factorial(count) * count * (stacks + 1), name)


def _correlation(a, b):
    a, b = a.reshape(a.shape[:-3] + (-1,)), b.reshape(b.shape[:-3] + (-1,))

    def unit(v):
        v = v - v.mean(axis=-1, keepdims=True)
        norm = np.linalg.norm(v, axis=-1, keepdims=True)
        return np.divide(v, norm, out=np.zeros_like(v), where=norm > 1e-12)

    return unit(a) @ np.swapaxes(unit(b), -1, -2)


def filter_correlation(bank_a, bank_b):
    """Signed Pearson correlation of every filter of bank_a (F, C, KH, KW) with every filter of bank_b (G, …).

    Stacks (P, F, C, KH, KW) and (P, G, C, KH, KW) give (P, F, G); else (F, G). +1: the same pattern up to a
    positive scale and an added constant; −1: negated; 0: unrelated (or a filter with no variation).
    """
    return _correlation(*_check_banks(bank_a, bank_b, same_count=False))


def best_assignment(similarity):
    """The one-to-one pairing of rows and columns of similarity (F, F) or (P, F, F) with the largest total.

    Tries all F! orderings (720 for six filters); ties go to the first in itertools order. Returns (order,
    matched), (F,) or (P, F) each: row i is paired with column order[i], matched = similarity[i, order[i]].
    """
    s = np.asarray(similarity, dtype=float)
    count = s.shape[-1]
    stack = s[None] if s.ndim == 2 else s
    orders = np.array(list(itertools.permutations(range(count))), dtype=np.intp)   # (count!, F)
    totals = stack[:, np.arange(count), orders].sum(axis=-1)                        # (P, count!)
    order = orders[np.argmax(totals, axis=1)]                                       # (P, F)
    matched = np.take_along_axis(stack, order[:, :, None], axis=2)[:, :, 0]
    return (order[0], matched[0]) if s.ndim == 2 else (order, matched)


def _match(a, b):
    order, matched = best_assignment(_correlation(a, b))
    score = matched.mean(axis=-1)
    return {"order": order, "correlations": matched, "score": float(score) if a.ndim == 4 else score}


def match_filters(bank_a, bank_b):
    """Pair the filters of two banks one-to-one so that the mean signed correlation is largest.

    bank_a, bank_b: (F, C, KH, KW) of one shape, or stacks (P, F, C, KH, KW).
    Signed, because a ReLU follows the conv: W and −W are different detectors (one answers a bright
    stroke, the other its absence), so a negated copy must not count as a match.
    Returns a dict: "order" (F,) or (P, F) (filter i of a ↔ filter order[i] of b), "correlations" (F,) or
    (P, F) the matched correlations, "score" the mean over the F pairs (a float, or (P,)).
    """
    a, b = _check_banks(bank_a, bank_b, same_count=True)
    _check_orderings(a.shape[-4], len(a) if a.ndim == 5 else 1, "bank_a")
    return _match(a, b)


def random_banks(count, shape=(6, 1, 3, 3), seed=0):
    """``count`` He-initialized banks of ``shape`` (F, C, KH, KW) (normal, std √(2 / fan-in)), as init_params.

    seed: an integer ≥ 0. Returns (count, F, C, KH, KW) float64.
    """
    count = _count(count, "count")
    if not (isinstance(shape, tuple) and len(shape) == 4 and all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in shape)):
        raise ValueError(f"shape must be four positive integers (F, C, KH, KW); got {shape!r:.80}")
    seed = integer_in(seed, "seed", 0, 2**63)
    check_memory(8 * count * math.prod(shape), "count")
    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / math.prod(shape[1:])), size=(count, *shape))


def pair_scores(banks):
    """``match_filters`` score of every pair of P ≥ 2 banks (P, F, C, KH, KW): (P·(P−1)/2,), combinations order."""
    banks = _array(banks, "banks", ndim=5)
    if len(banks) < 2:
        raise ValueError(f"banks must hold at least two banks; got {len(banks)}")
    pairs = np.array(list(itertools.combinations(range(len(banks)), 2)))
    _check_orderings(banks.shape[1], len(pairs), "banks")
    return _match(banks[pairs[:, 0]], banks[pairs[:, 1]])["score"]


# ---------------------------------------------------------------------------- what filters respond to

def top_patches(x, filters, bias=None, count=8):
    """For each filter, the ``count`` patches of the data that give its largest output, one per image.

    x: (N, 1, H, W) images; filters: (F, 1, KH, KW); bias: (F,) or None; count ≤ N. One patch per image,
    so that one stroke seen at neighbouring positions does not fill the row. Returns (patches (F, count, KH,
    KW), responses (F, count) largest first, where (F, count, 3): image, row, column of the top-left pixel).
    """
    x, filters = _array(x, "x", ndim=4), _array(filters, "filters", ndim=4)
    if x.shape[1] != 1 or filters.shape[1] != 1 or filters.shape[2] > x.shape[2] or filters.shape[3] > x.shape[3]:
        raise ValueError(f"x (N, 1, H, W) and filters (F, 1, KH, KW) must have one channel, the filters fitting "
                         f"inside the images; got {x.shape} and {filters.shape}")
    bias = np.zeros(len(filters)) if bias is None else _array(bias, "bias", ndim=1)
    if bias.shape != (len(filters),):
        raise ValueError(f"bias must be (F,) = ({len(filters)},); got {bias.shape}")
    count = integer_in(count, "count", 1, len(x))
    kh, kw = filters.shape[2:]
    outputs = conv2d(x, filters, bias)          # (N, F, OH, OW); its door refuses an x too large for memory
    flat = outputs.reshape(len(x), len(filters), -1).transpose(1, 0, 2)         # (F, N, OH·OW)
    best_value = flat.max(axis=2)                                               # (F, N): each image's best
    images = np.argsort(-best_value, axis=1, kind="stable")[:, :count]          # (F, count)
    positions = np.take_along_axis(flat.argmax(axis=2), images, axis=1)
    rows, cols = np.divmod(positions, outputs.shape[3])
    # one KH×KW window per (filter, rank), read by indexing: (F, count, KH, KW)
    patches = x[images[..., None, None], 0, rows[..., None, None] + np.arange(kh)[:, None],
                cols[..., None, None] + np.arange(kw)]
    return patches, np.take_along_axis(best_value, images, axis=1), np.stack([images, rows, cols], axis=-1)


def orientation_score(filters):
    """How much of each kernel of filters (..., KH, KW) is an oriented ramp, an edge detector's shape: (...,).

    The share of the centred kernel's squared norm that the best ramp a·(column − centre) + b·(row − centre)
    explains: 1 for a perfect oriented edge, 0 for no linear trend (or a constant kernel); 2/8 = 0.25
    expected for a 3×3 kernel of independent normal numbers (two of the eight zero-sum directions).
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


def scale_inputs(x, how):
    """uint8 pixels x (N, 1, H, W) as float32 in one of INPUT_SCALES.

    "unit": x / 255, the course's default, all ≥ 0; "standardized": (x / 255 − mean) / std over x, background
    < 0 and ink > 0; "pixels": the raw numbers 0…255.
    """
    if how == "pixels":
        return x.astype(np.float32)
    unit = x.astype(np.float32) / np.float32(255)
    if how == "unit":
        return unit
    return (unit - unit.mean()) / unit.std()


def short_run(x, y, seed, steps, batch_size=64, learning_rate=0.1, init="he", on_progress=None, progress_every=25):
    """Train a fresh seed network (``network.init_params(seed, init=init)``) for about ``steps`` SGD steps.

    x: (N, 1, 28, 28) images, scaled; y: (N,) labels. The run uses the first min(N, steps · batch_size) images
    for as many epochs as needed (a partial last batch is skipped: history["steps_total"] counts the steps).
    Returns a dict: "start" and "end" {name: array} for network.MOVE_KEYS and "conv1.b"; "history" (train's,
    or the recorded part of a diverged run); "diverged_at": the failing step, or None; "seed".
    """
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

    x: (N, 1, 28, 28) uint8 pixels; y: (N,) labels; settings: {label: (scale in INPUT_SCALES, init in
    network.INITS, learning rate)}; seeds: a list of integers; steps, batch_size: each run's (``short_run``);
    progress: None, or an object whose ``.part(label)`` gives the next run's on_progress (a TrainingProgress).
    Every argument is checked before the first run. Returns {label: [short_run result, one per seed]}.
    """
    if not isinstance(settings, dict) or not settings:
        raise ValueError(f"settings must be a non-empty dict {{label: (scale, init, learning rate)}}; got "
                         f"{type(settings).__name__}")
    for label, setting in settings.items():
        if not (isinstance(setting, tuple) and len(setting) == 3 and setting[0] in INPUT_SCALES
                and setting[1] in network.INITS and isinstance(setting[2], Real) and not isinstance(setting[2], bool)
                and np.isfinite(setting[2]) and setting[2] > 0):
            raise ValueError(f"settings[{label!r}] must be (scale in {INPUT_SCALES}, init in {network.INITS}, "
                             f"learning rate > 0); got {setting!r}"[:300])
    seeds = list(seeds) if isinstance(seeds, (list, tuple, range)) else None
    if not seeds or not all(isinstance(seed, Integral) and not isinstance(seed, bool) for seed in seeds):
        raise ValueError("seeds must be a non-empty list or range of integers")
    x, y = real_array(x, "x"), real_array(y, "y")
    if y.ndim != 1 or not len(y):
        raise ValueError(f"y must be labels (N,) with N ≥ 1; got shape {y.shape}")
    if x.dtype != np.uint8 or x.shape != (len(y), 1, 28, 28):
        raise ValueError(f"x must be uint8 pixels (N, 1, 28, 28), one image per label of y ({len(y)}); got "
                         f"{x.dtype} {x.shape}")
    steps, batch_size = _count(steps, "steps"), integer_in(batch_size, "batch_size", 1, len(y))
    if progress is not None and not callable(getattr(progress, "part", None)):
        raise ValueError(f"progress must be None or have a .part(label) method; got {type(progress).__name__}")
    runs = {}
    for label, (scale, init, rate) in settings.items():
        scaled = scale_inputs(x, scale)
        runs[label] = [short_run(scaled, y, seed, steps, batch_size, rate, init,
                                 on_progress=None if progress is None else progress.part(f"{label}, seed {seed}"))
                       for seed in seeds]
    return runs


def _check_runs(runs):
    """runs if it is a non-empty list of short_run results: ValueError or TypeError naming the wrong one."""
    if not isinstance(runs, (list, tuple)) or not runs:
        raise TypeError(f"runs must be a non-empty list of short_run results; got {type(runs).__name__}")
    for k, run in enumerate(runs):
        parts = [run.get(part) if isinstance(run, Mapping) else None for part in ("start", "end", "history")]
        if not (all(isinstance(part, Mapping) for part in parts) and "loss" in parts[2] and "diverged_at" in run
                and all(np.shape(part.get(key)) == network.SHAPES[key] for part in parts[:2]
                        for key in network.MOVE_KEYS)):
            raise ValueError(f"runs[{k}] must be a short_run result: 'start' and 'end' with the seed network's "
                             f"{network.MOVE_KEYS}, 'history' with 'loss', and 'diverged_at'")
    return runs


DRIFT_COLUMNS = ("conv1_higher", "conv1_lower", "conv1_mean_change", "conv1_common_mode", "conv2_higher_share",
                 "conv2_lower_share", "fc1_higher_share", "final_loss", "dead", "diverged_at", "seeds")


def drift_row(runs):
    """The numbers of one setting for the drift table: runs, a list of ``short_run`` results (one per seed).

    Returns a dict of DRIFT_COLUMNS, one entry per seed each: conv1 weights that ended higher / lower (of 54),
    conv1's mean change and mean common-mode share of ΔW, the shares of conv2 / fc1 weights that ended higher
    (and conv2 lower), the final loss (mean of the last 10 batches), the dead conv1 / conv2 / fc1 units
    (None if the run diverged), the step it diverged at, and the seed.
    """
    row = {key: [] for key in DRIFT_COLUMNS}
    for run in _check_runs(runs):
        start, end = run["start"], run["end"]
        conv1, conv2, fc1 = (net_change(start[key], end[key]) for key in network.MOVE_KEYS)
        row["conv1_higher"].append(conv1["higher"])
        row["conv1_lower"].append(conv1["lower"])
        row["conv1_mean_change"].append(conv1["mean_change"])
        change = np.asarray(end["conv1.w"], dtype=float) - start["conv1.w"]
        row["conv1_common_mode"].append(float(common_mode.unchecked(change)[2].mean()))
        row["conv2_higher_share"].append(conv2["higher"] / conv2["size"])
        row["conv2_lower_share"].append(conv2["lower"] / conv2["size"])
        row["fc1_higher_share"].append(fc1["higher"] / fc1["size"])
        losses = run["history"]["loss"][-10:]
        row["final_loss"].append(float(np.mean(losses)) if len(losses) else float("nan"))
        dead = run["history"].get("dead_units")
        row["dead"].append(tuple(len(dead[layer]) for layer in ("conv1", "conv2", "fc1")) if dead else None)
        row["diverged_at"].append(run["diverged_at"])
        row["seeds"].append(run.get("seed"))
    return row


def _drift_rows(rows):
    """rows if it is a dict {setting label: drift_row result}, every column one entry per seed."""
    for label, row in mapping(rows, "rows", "a dict {setting label: drift_row(...)}").items():
        seeds = row.get("seeds") if isinstance(row, Mapping) else None
        if not (isinstance(seeds, (list, tuple)) and seeds and all(
                isinstance(row.get(key), (list, tuple)) and len(row[key]) == len(seeds) for key in DRIFT_COLUMNS)):
            raise ValueError(f"rows[{label!r:.40}] must be a drift_row result: one entry per seed in every column "
                             f"{DRIFT_COLUMNS}")
    return rows


def _loss_text(loss):
    """A loss with two decimals; one far above chance (a run blowing up) in powers of ten: "6.8e+31"."""
    return f"{loss:.2f}" if not abs(loss) >= 1000 else f"{loss:.2g}"


def drift_table(rows):
    """A Markdown table of rows {setting label: drift_row(...)}, one line per setting and seed."""
    lines = ["| setting | seed | conv1 ended higher (of 54) | conv1 mean change | conv1 ΔW common-mode share "
             "(no preference: 0.11) | conv2 ended higher | fc1 ended higher | loss at the end (chance: 2.30) "
             "| dead units conv1 / conv2 / fc1 (of 6 / 6 / 128) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, row in _drift_rows(rows).items():
        for k in range(len(row["seeds"])):
            loss = (f"diverged at step {row['diverged_at'][k]}" if row["diverged_at"][k]
                    else _loss_text(row["final_loss"][k]))
            dead = " / ".join(map(str, row["dead"][k])) if row["dead"][k] else "–"
            lines.append(f"| {label if k == 0 else ''} | {row['seeds'][k]} "
                         f"| {row['conv1_higher'][k]} | {row['conv1_mean_change'][k]:+.3g} "
                         f"| {row['conv1_common_mode'][k]:.2f} | {100 * row['conv2_higher_share'][k]:.0f} % "
                         f"| {100 * row['fc1_higher_share'][k]:.0f} % | {loss} | {dead} |")
    return "\n".join(lines)


def drift_summary(rows):
    """A Markdown table that counts, per setting of rows {label: drift_row(...)}, the seeds that drifted down.

    Columns: seeds where most conv1 weights ended lower, where all 54 did, where most conv2 weights did; the
    means over seeds of |conv1 mean change|, of the conv1 ΔW common-mode share and of the final loss.
    """
    lines = ["| setting | seeds | most conv1 weights ended lower | all 54 conv1 weights ended lower | most conv2 "
             "weights ended lower | mean \\|conv1 mean change\\| | mean conv1 common-mode share | mean final loss |",
             "|---|---|---|---|---|---|---|---|"]
    for label, row in _drift_rows(rows).items():
        seeds = len(row["seeds"])
        conv1_lower = sum(lower > higher for lower, higher in zip(row["conv1_lower"], row["conv1_higher"], strict=True))
        all_lower = sum(lower == 54 for lower in row["conv1_lower"])
        conv2_lower = sum(share > 0.5 for share in row["conv2_lower_share"])
        finite = [loss for loss in row["final_loss"] if np.isfinite(loss)]   # a diverged run has no loss
        lines.append(f"| {label} | {seeds} | {conv1_lower} of {seeds} | {all_lower} of {seeds} "
                     f"| {conv2_lower} of {seeds} | {np.mean(np.abs(row['conv1_mean_change'])):.3g} "
                     f"| {np.mean(row['conv1_common_mode']):.2f} "
                     f"| {_loss_text(np.mean(finite)) if finite else '–'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- tables for notebook 06

def step_moves_table(history, keys):
    """Per layer of keys, the shares of weights each step moved ↑ and ↓ (Markdown).

    history: ``network.train``'s result, with "moves" {name: {"up": (S,), "down": (S,)}}, S ≥ 1 steps
    """
    moves = mapping(history, "history", "the dict network.train returns").get("moves")
    lines = ["| layer | ↑ per step: mean (lowest–highest) | ↓ per step: mean (lowest–highest) | "
             "steps that moved every weight one way |", "|---|---|---|---|"]
    for key in _names(keys, "keys"):
        layer = moves.get(key) if isinstance(moves, Mapping) else None
        if not (isinstance(layer, Mapping) and np.ndim(layer.get("up")) == 1 and len(layer["up"])
                and np.shape(layer["up"]) == np.shape(layer.get("down"))):
            raise ValueError(f"history['moves'][{key!r}] must hold 'up' and 'down', one fraction per step")
        up = 100 * real_array(layer["up"], f"history['moves'][{key!r}]['up']")
        down = 100 * real_array(layer["down"], f"history['moves'][{key!r}]['down']")
        one_way = int(np.sum((up == 0) | (down == 0)))
        lines.append(f"| `{key}` | {up.mean():.1f} % ({up.min():.1f}–{up.max():.1f}) | {down.mean():.1f} % "
                     f"({down.min():.1f}–{down.max():.1f}) | {one_way} of {len(up)} |")
    return "\n".join(lines)


def crossing_table(start, end, keys):
    """Per layer of keys (names in both dicts {name: array}): negative weights before and after, crossings."""
    lines = ["| layer | negative at step 0 | negative at the end | crossed + → − | crossed − → + |",
             "|---|---|---|---|---|"]
    for key, (before, after) in _layer_pairs(start, end, keys, "start", "end").items():
        down = int(np.sum((before >= 0) & (after < 0)))
        up = int(np.sum((before < 0) & (after >= 0)))
        lines.append(f"| `{key}` | {int(np.sum(before < 0))} of {before.size} | {int(np.sum(after < 0))} | "
                     f"{down} | {up} |")
    return "\n".join(lines)


def crossed_weights_table(before, after, layer="", limit=60):
    """The weights of one conv layer that crossed zero, one line each (Markdown), at most ``limit`` lines.

    before, after: (F, C, KH, KW), e.g. conv1.w at step 0 and after training; layer: its name for the heading.
    + → − is from ≥ 0 to < 0, − → + the other way; indices from 1, as in the math ($W_{ij}$, $W_{c,ij}$).
    """
    before, after = _array(before, "before", ndim=4), _array(after, "after", ndim=4)
    if before.shape != after.shape:
        raise ValueError(f"before and after must have one shape (F, C, KH, KW); got {before.shape} and {after.shape}")
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a name such as 'conv1'; got {type(layer).__name__}")
    limit = _count(limit, "limit")
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
    """Mean and 5–95 % range of each sample of samples {label: scores} (scores flattened), as Markdown."""
    samples = mapping(samples, "samples", "a dict {label: scores}")
    if not samples:
        raise ValueError("samples must hold at least one named sample")
    checked = {label: _array(values, f"samples[{label!r:.40}]") for label, values in samples.items()}
    lines = ["| comparison | pairs | mean | 5 % | 95 % |", "|---|---|---|---|---|"]
    for label, values in checked.items():
        low, high = np.percentile(values, [5, 95])
        lines.append(f"| {label} | {values.size} | {values.mean():.2f} | {low:.2f} | {high:.2f} |")
    return "\n".join(lines)


def chance_of_at_least(count, trials, share):
    """P(X ≥ count) for X ~ Binomial(trials, share): how often chance alone gives ``count`` or more successes."""
    if count == 0 or share in (0, 1):
        return float(count == 0 or share == 1)
    log_terms = [math.lgamma(trials + 1) - math.lgamma(i + 1) - math.lgamma(trials - i + 1) + i * math.log(share)
                 + (trials - i) * math.log1p(-share) for i in range(count, trials + 1)]
    return min(1.0, math.fsum(math.exp(term) for term in log_terms))


def orientation_table(samples, reference):
    """How edge-like filters are against random filters (Markdown).

    samples: {label: ``orientation_score`` of a bank (F, C) or a stack (B, F, C)}; reference: that of random
    He banks (P, F, C). Each row: filters, mean score, how many score above the random 95th percentile (5 %
    by chance), how often chance gives that many or more, and how many banks have one such filter.
    """
    reference = _array(reference, "reference", min_ndim=2)
    samples = {label: _array(values, f"samples[{label!r:.40}]", min_ndim=2)
               for label, values in mapping(samples, "samples", "a dict {label: scores}").items()}
    cut = float(np.percentile(reference, 95))
    share = float(np.mean(reference > cut))
    lines = [f"| filters | count | mean score | above the random 95th percentile ({cut:.2f}) | as many or more by "
             "chance | banks with at least one filter above it |", "|---|---|---|---|---|---|"]
    for row, (label, values) in enumerate({"random He filters (the baseline)": reference, **samples}.items()):
        banks = values.reshape(-1, values.shape[-2] * values.shape[-1])      # one row per bank
        above = int(np.sum(banks > cut))
        with_one = int(np.sum((banks > cut).any(axis=1)))
        chance = "–" if row == 0 else _percent(chance_of_at_least(above, banks.size, share))
        lines.append(f"| {label} | {banks.size} | {banks.mean():.2f} | {above} ({100 * above / banks.size:.0f} %) | "
                     f"{chance} | {with_one} of {len(banks)} ({100 * with_one / len(banks):.0f} %) |")
    return "\n".join(lines)


def _percent(probability):
    return "< 1 %" if probability < 0.005 else f"{100 * probability:.0f} %"
