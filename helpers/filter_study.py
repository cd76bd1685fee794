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
"""
import itertools
from numbers import Integral

import numpy as np

MAX_MATCH_FILTERS = 8   # 8! = 40,320 orderings; beyond that brute force is the wrong tool


def _array(value, name, ndim=None, min_ndim=None):
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers; got {type(value).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {array.shape}")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions; got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    return array


def _count(value, name, low=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer ≥ {low}; got {value!r}")
    return int(value)


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

    starts, ends: dicts {name: array} (e.g. {"conv1.w": (6, 1, 3, 3), ...}); keys: the names to show, in order.
    Returns a Markdown string: one row per layer with the counts higher ↑ / lower ↓, the mean change and
    the mean |w| at the start.
    """
    keys = list(keys)
    missing = [k for k in keys if k not in starts or k not in ends]
    if not keys or missing:
        raise ValueError(f"keys must name arrays present in both starts and ends; missing {missing}")
    rows = ["| layer | weights | ended higher ↑ | ended lower ↓ | mean change | mean \\|w\\| at start |",
            "|---|---|---|---|---|---|"]
    for key in keys:
        c = net_change(starts[key], ends[key])
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
    windows = np.lib.stride_tricks.sliding_window_view(x[:, 0], (kh, kw), axis=(1, 2))   # (N, OH, OW, KH, KW)
    responses = np.einsum("nmkij,fij->fnmk", windows, filters[:, 0]) + bias[:, None, None, None]
    flat = responses.reshape(len(filters), len(x), -1)
    best_position = flat.argmax(axis=2)                                        # (F, N)
    best_value = np.take_along_axis(flat, best_position[:, :, None], axis=2)[:, :, 0]
    images = np.argsort(-best_value, axis=1, kind="stable")[:, :count]         # (F, count)
    positions = np.take_along_axis(best_position, images, axis=1)
    rows, cols = np.divmod(positions, responses.shape[3])
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
