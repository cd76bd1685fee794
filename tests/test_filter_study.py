"""helpers.study.filter_study: common mode, one-to-one matching against brute force, random baselines, orientation."""
import itertools
import math

import numpy as np
import pytest

from helpers.study import filter_study as fs

RNG = np.random.default_rng(20261202)


# ---------------------------------------------------------------- common mode
def test_common_mode_splits_into_mean_and_a_zero_sum_rest():
    weights = RNG.normal(size=(6, 2, 3, 3))
    mean, rest, share = fs.common_mode(weights)
    assert np.allclose(mean[:, :, None, None] + rest, weights)
    assert np.allclose(rest.sum(axis=(2, 3)), 0)
    direct = 9 * weights.mean(axis=(2, 3)) ** 2 / (weights ** 2).sum(axis=(2, 3))
    assert np.allclose(share, direct)
    flat = np.ones((1, 1, 3, 3)) * -2.0
    assert fs.common_mode(flat)[2][0, 0] == pytest.approx(1.0)
    assert fs.common_mode(np.zeros((1, 1, 3, 3)))[2][0, 0] == 0.0
    # a direction with no preference: about 1/9 of its energy is common mode
    assert fs.common_mode(RNG.normal(size=(4000, 1, 3, 3)))[2].mean() == pytest.approx(1 / 9, abs=0.01)


# ---------------------------------------------------------------- matching
def brute_force(similarity):
    """Plain Python: the ordering with the largest total, first one on ties."""
    count = len(similarity)
    best, best_total = None, -np.inf
    for order in itertools.permutations(range(count)):
        total = sum(similarity[i][order[i]] for i in range(count))
        if total > best_total + 1e-12:
            best, best_total = order, total
    return list(best), best_total


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_best_assignment_equals_brute_force_on_small_cases(count):
    for _ in range(30):
        similarity = RNG.uniform(-1, 1, size=(count, count))
        order, matched = fs.best_assignment(similarity)
        expected, total = brute_force(similarity.tolist())
        assert list(order) == expected
        assert matched.sum() == pytest.approx(total)
        assert sorted(order) == list(range(count))


def test_stacked_assignment_equals_one_at_a_time():
    stack = RNG.uniform(-1, 1, size=(20, 4, 4))
    orders, matched = fs.best_assignment(stack)
    for k in range(20):
        order, values = fs.best_assignment(stack[k])
        assert np.array_equal(orders[k], order) and np.allclose(matched[k], values)


def test_six_filters_planted_permutation_is_recovered_with_signs():
    bank = RNG.normal(size=(6, 1, 3, 3))
    planted = np.array([3, 0, 5, 1, 4, 2])
    other = np.empty_like(bank)
    other[planted] = 2.5 * bank + 0.3 + RNG.normal(0, 0.05, size=bank.shape)   # scaled, shifted, a little noise
    result = fs.match_filters(bank, other)
    assert list(result["order"]) == list(planted)
    assert result["score"] > 0.95
    # a negated copy is a different detector under ReLU: signed matching must not call it a match
    negated = fs.match_filters(bank, -bank)
    assert negated["score"] < 0.5
    assert fs._correlation(bank, -bank).diagonal() == pytest.approx(-np.ones(6))


def test_match_filters_against_brute_force_over_720_orderings():
    a, b = RNG.normal(size=(2, 6, 1, 3, 3))
    corr = fs._correlation(a, b)
    expected, total = brute_force(corr.tolist())
    result = fs.match_filters(a, b)
    assert list(result["order"]) == expected
    assert result["score"] == pytest.approx(total / 6)


def test_random_banks_baseline_and_pair_scores():
    banks = fs.random_banks(400, seed=1)
    assert banks.shape == (400, 6, 1, 3, 3)
    assert banks.std() == pytest.approx(np.sqrt(2 / 9), rel=0.05)
    scores = fs.match_filters(banks[:200], banks[200:])["score"]
    mean, (low, high) = scores.mean(), np.percentile(scores, [5, 95])
    assert 0.15 < low < mean < high < 0.6       # the best of 720 orderings: far above 0 for random banks
    few = banks[:4]
    pairs = fs.pair_scores(few)
    assert len(pairs) == 6
    assert pairs[1] == pytest.approx(fs.match_filters(few[0], few[2])["score"])


# ---------------------------------------------------------------- what filters respond to
def test_orientation_score_of_edges_flat_and_random_kernels():
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    ramp = np.add.outer(np.arange(3.0), 2 * np.arange(3.0))        # an oblique ramp
    checker = np.array([[1.0, -1, 1], [-1, 1, -1], [1, -1, 1]])
    scores = fs.orientation_score(np.stack([sobel, sobel.T, ramp, np.ones((3, 3)), checker]))
    assert scores[0] == pytest.approx(64 / 6 / 12) and scores[1] == pytest.approx(scores[0])
    assert scores[2] == pytest.approx(1.0)
    assert scores[3] == 0.0 and scores[4] == pytest.approx(0.0, abs=1e-12)
    random_scores = fs.orientation_score(fs.random_banks(2000, seed=2))
    assert random_scores.shape == (2000, 6, 1)
    assert random_scores.mean() == pytest.approx(0.25, abs=0.01)


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("call, argument", [
    (lambda: fs.common_mode(np.ones((3, 3))), "weights"),
    (lambda: fs.random_banks(0), "count"),
    (lambda: fs.random_banks(2, seed="abc"), "seed"),
    (lambda: fs.orientation_score("abc"), "filters"),
    (lambda: fs.orientation_score(np.full((2, 3, 3), np.nan)), "filters"),
])
def test_bad_arguments_raise_errors_naming_them(call, argument):
    with pytest.raises((ValueError, TypeError), match=rf"^{argument}"):
        call()


@pytest.mark.parametrize("count, trials, share", [(0, 5, 0.3), (3, 30, 0.05), (1, 6, 0.05), (6, 6, 0.5), (2, 9, 0.0),
                                                  (4, 4, 1.0), (7, 40, 0.2)])
def test_chance_of_at_least_is_the_binomial_tail(count, trials, share):
    exact = sum(math.comb(trials, i) * share ** i * (1 - share) ** (trials - i) for i in range(count, trials + 1))
    assert fs.chance_of_at_least(count, trials, share) == pytest.approx(exact, rel=1e-9, abs=1e-15)
