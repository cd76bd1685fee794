"""Measures on banks of filters, each next to the baseline that gives it meaning (notebook 06's evidence).

Shapes follow NCHW: a bank of filters is (F, C, KH, KW); a stack of P banks is (P, F, C, KH, KW).
"""
import itertools
import math

import numpy as np

from helpers.door import check_memory, checked, finite_array, integer_in
from helpers.nn.network import SHAPES

CONV1 = SHAPES["conv1.w"]   # (F, C, KH, KW) = (6, 1, 3, 3)


@checked(lambda weights: {"weights": finite_array(weights, "weights", (4,))})
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


@checked(lambda filters: {"filters": finite_array(filters, "filters", range(2, 33))})
def orientation_score(filters):
    """How much of each kernel of filters (..., KH, KW) is an oriented ramp, an edge detector's shape: (...,).

    The share of the centred kernel's squared norm that the best ramp a·(column − centre) + b·(row − centre)
    explains: 1 for a perfect oriented edge, 0 for no linear trend (or a constant kernel); 2/8 = 0.25
    expected for a 3×3 kernel of independent normal numbers (two of the eight zero-sum directions).
    """
    kh, kw = filters.shape[-2:]
    rows, cols = np.meshgrid(np.arange(kh) - (kh - 1) / 2, np.arange(kw) - (kw - 1) / 2, indexing="ij")
    ramps = np.stack([cols.ravel(), rows.ravel()])                             # (2, KH·KW), orthogonal
    ramps = ramps / np.maximum(np.linalg.norm(ramps, axis=1, keepdims=True), 1e-12)
    flat = filters.reshape(filters.shape[:-2] + (kh * kw,))
    centred = flat - flat.mean(axis=-1, keepdims=True)
    energy = np.sum(centred ** 2, axis=-1)
    explained = np.sum((centred @ ramps.T) ** 2, axis=-1)
    return np.divide(explained, energy, out=np.zeros_like(energy), where=energy > 1e-24)


def _random_args(count, seed):
    count = integer_in(count, "count", 1, 2**40)
    check_memory(8 * count * math.prod(CONV1), "count")
    return {"count": count, "seed": integer_in(seed, "seed", 0, 2**63)}


@checked(_random_args)
def random_banks(count, seed=0):
    """``count`` He-initialized banks of conv1's shape (normal, std √(2 / fan-in)), as init_params draws them.

    seed: an integer ≥ 0. Returns (count, 6, 1, 3, 3) float64.
    """
    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / math.prod(CONV1[1:])), size=(count, *CONV1))


def _correlation(a, b):
    a, b = a.reshape(a.shape[:-3] + (-1,)), b.reshape(b.shape[:-3] + (-1,))

    def unit(v):
        v = v - v.mean(axis=-1, keepdims=True)
        norm = np.linalg.norm(v, axis=-1, keepdims=True)
        return np.divide(v, norm, out=np.zeros_like(v), where=norm > 1e-12)

    return unit(a) @ np.swapaxes(unit(b), -1, -2)


def best_assignment(similarity):
    """The one-to-one pairing of rows and columns of similarity (F, F) or (P, F, F) with the largest total.

    Tries all F! orderings (720 for six filters); ties go to the first in itertools order. Returns (order,
    matched), (F,) or (P, F) each: row i is paired with column order[i], matched = similarity[i, order[i]].
    """
    count = similarity.shape[-1]
    orders = np.array(list(itertools.permutations(range(count))), dtype=np.intp)   # (count!, F)
    totals = similarity[..., np.arange(count), orders].sum(axis=-1)                 # (count!,) or (P, count!)
    order = orders[np.argmax(totals, axis=-1)]                                      # (F,) or (P, F)
    return order, np.take_along_axis(similarity, order[..., None], axis=-1)[..., 0]


def match_filters(bank_a, bank_b):
    """Pair the filters of two banks one-to-one so that the mean signed correlation is largest.

    bank_a, bank_b: (F, C, KH, KW) of one shape, or stacks (P, F, C, KH, KW).
    Signed, because a ReLU follows the conv: W and −W are different detectors (one answers a bright
    stroke, the other its absence), so a negated copy must not count as a match.
    Returns a dict: "order" (F,) or (P, F) (filter i of a ↔ filter order[i] of b), "correlations" (F,) or
    (P, F) the matched correlations, "score" the mean over the F pairs (a float, or (P,)).
    """
    order, matched = best_assignment(_correlation(bank_a, bank_b))
    score = matched.mean(axis=-1)
    return {"order": order, "correlations": matched, "score": float(score) if np.ndim(bank_a) == 4 else score}


def pair_scores(banks):
    """``match_filters`` score of every pair of P ≥ 2 banks (P, F, C, KH, KW): (P·(P−1)/2,), combinations order."""
    pairs = np.array(list(itertools.combinations(range(len(banks)), 2)))
    return match_filters(banks[pairs[:, 0]], banks[pairs[:, 1]])["score"]


def chance_of_at_least(count, trials, share):
    """P(X ≥ count) for X ~ Binomial(trials, share): how often chance alone gives ``count`` or more successes."""
    if count == 0 or share in (0, 1):
        return float(count == 0 or share == 1)
    log_terms = [math.lgamma(trials + 1) - math.lgamma(i + 1) - math.lgamma(trials - i + 1) + i * math.log(share)
                 + (trials - i) * math.log1p(-share) for i in range(count, trials + 1)]
    return min(1.0, math.fsum(math.exp(term) for term in log_terms))
