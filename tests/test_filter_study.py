"""helpers.study.filter_study: net change, common mode, one-to-one matching, baselines, top patches, orientation."""
import itertools
import math
import re

import numpy as np
import pytest

from helpers.study import filter_study as fs

RNG = np.random.default_rng(20261202)


# ---------------------------------------------------------------- net change
def test_net_change_counts_match_a_direct_count_per_layer():
    for shape in ((6, 1, 3, 3), (6, 6, 3, 3), (128, 150)):
        start = RNG.normal(size=shape).astype(np.float32)
        end = start + RNG.normal(0.1, 1.0, size=shape).astype(np.float32)
        end.flat[:7] = start.flat[:7]                       # a few weights that did not move
        counted = fs.net_change(start, end)
        higher = lower = same = 0
        for before, after in zip(start.ravel().tolist(), end.ravel().tolist(), strict=True):
            higher += after > before
            lower += after < before
            same += after == before
        assert (counted["higher"], counted["lower"], counted["unchanged"]) == (higher, lower, same)
        assert counted["size"] == start.size == higher + lower + same
        assert counted["mean_change"] == pytest.approx(np.mean(end.astype(float) - start), rel=1e-6)
        assert counted["mean_abs_start"] == pytest.approx(np.mean(np.abs(start.astype(float))), rel=1e-6)


def test_net_change_table_has_one_row_per_layer_with_its_counts():
    starts = {"a": np.zeros((2, 3)), "b": np.ones(4)}
    ends = {"a": np.array([[1.0, 1.0, -1.0], [0.0, 2.0, 3.0]]), "b": np.zeros(4)}
    table = fs.net_change_table(starts, ends, ["a", "b"])
    lines = table.splitlines()
    assert len(lines) == 4
    assert "| `a` | 6 | 4 (67 %) | 1 (17 %) | +1.000 |" in lines[2]
    assert "| `b` | 4 | 0 (0 %) | 4 (100 %) | -1.000 |" in lines[3]


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
    assert fs.filter_correlation(bank, -bank).diagonal() == pytest.approx(-np.ones(6))


def test_match_filters_against_brute_force_over_720_orderings():
    a, b = RNG.normal(size=(2, 6, 1, 3, 3))
    corr = fs.filter_correlation(a, b)
    expected, total = brute_force(corr.tolist())
    result = fs.match_filters(a, b)
    assert list(result["order"]) == expected
    assert result["score"] == pytest.approx(total / 6)


def test_filter_correlation_is_pearson():
    a, b = RNG.normal(size=(2, 4, 2, 3, 3))
    corr = fs.filter_correlation(a, b)
    for i in range(4):
        for j in range(4):
            assert corr[i, j] == pytest.approx(np.corrcoef(a[i].ravel(), b[j].ravel())[0, 1])
    assert fs.filter_correlation(np.ones((1, 2, 3, 3)), a[:1])[0, 0] == 0.0


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
def test_top_patches_are_the_largest_responses_one_per_image():
    x = RNG.uniform(0, 1, size=(10, 1, 7, 7))
    filters = RNG.normal(size=(2, 1, 3, 3))
    bias = np.array([0.5, -1.0])
    patches, responses, where = fs.top_patches(x, filters, bias, count=4)
    assert patches.shape == (2, 4, 3, 3) and responses.shape == (2, 4) and where.shape == (2, 4, 3)
    for f in range(2):
        best_per_image = [max(np.sum(x[n, 0, m:m + 3, k:k + 3] * filters[f, 0]) + bias[f]
                              for m in range(5) for k in range(5)) for n in range(10)]
        assert np.allclose(responses[f], sorted(best_per_image, reverse=True)[:4])
        assert len(set(where[f, :, 0].tolist())) == 4
        for c in range(4):
            n, m, k = where[f, c]
            assert np.array_equal(patches[f, c], x[n, 0, m:m + 3, k:k + 3])
            assert np.sum(patches[f, c] * filters[f, 0]) + bias[f] == pytest.approx(responses[f, c])


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
@pytest.mark.parametrize("call, words", [
    (lambda: fs.net_change_table({"a": [np.nan]}, {"a": [1.0]}, ["a"]), "starts"),
    (lambda: fs.net_change_table({"a": np.ones(2)}, {}, ["a"]), "keys"),
    (lambda: fs.common_mode(np.ones((3, 3))), "weights"),
    (lambda: fs.filter_correlation(np.ones((2, 1, 3, 3)), np.ones((2, 1, 2, 2))), "bank_a and bank_b"),
    (lambda: fs.match_filters(np.ones((1000, 10, 1, 1, 1)), np.ones((1000, 10, 1, 1, 1))), "bank_a is too large"),
    (lambda: fs.match_filters(np.ones((6, 1, 3, 3)), np.ones((5, 1, 3, 3))), "bank_a and bank_b"),
    (lambda: fs.random_banks(0), "count"),
    (lambda: fs.random_banks(2, shape=(6, 3, 3)), "shape"),
    (lambda: fs.pair_scores(np.ones((1, 6, 1, 3, 3))), "at least two"),
    (lambda: fs.top_patches(np.ones((2, 1, 5, 5)), np.ones((1, 1, 3, 3)), count=3), "count"),
    (lambda: fs.top_patches(np.ones((2, 1, 5, 5)), np.ones((1, 1, 3, 3)), bias=np.ones(2)), "bias"),
    (lambda: fs.top_patches(np.ones((2, 2, 5, 5)), np.ones((1, 1, 3, 3))), "one channel"),
    (lambda: fs.orientation_score("abc"), "filters"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, words):
    with pytest.raises(ValueError, match=words):
        call()


PIXELS = np.zeros((2, 1, 28, 28), np.uint8)
LABELS = np.array([0, 1])


# each a bad argument of a table or short-run function that used to escape as a KeyError, an AttributeError,
# an unnamed TypeError or ValueError, or no error at all; now a ValueError or TypeError naming that argument
BAD_ARGUMENTS = [
    ("net_change_table", lambda: fs.net_change_table(None, {}, ["a"]), "starts"),
    ("net_change_table", lambda: fs.net_change_table({"a": np.ones(2)}, {"a": np.ones(2)}, None), "keys"),
    ("net_change_table", lambda: fs.net_change_table({"a": np.ones(2)}, {"a": np.ones(3)}, ["a"]), "starts['a']"),
    ("random_banks", lambda: fs.random_banks(2, seed="abc"), "seed"),
    ("contrast_runs", lambda: fs.contrast_runs(5, LABELS, {"a": ("unit", "he", 0.1)}, [0], 10, 1), "x"),
    ("contrast_runs", lambda: fs.contrast_runs(PIXELS, 7, {"a": ("unit", "he", 0.1)}, [0], 10, 1), "y"),
    ("contrast_runs", lambda: fs.contrast_runs(PIXELS, LABELS, {"a": ("unit", "he", 0.1)}, [0], 10, 3),
     "batch_size"),
    ("drift_row", lambda: fs.drift_row([{"start": {}}]), "runs[0]"),
    ("drift_row", lambda: fs.drift_row({"seed": 0}), "runs"),
    ("drift_table", lambda: fs.drift_table({"a": {}}), "rows['a']"),
    ("drift_table", lambda: fs.drift_table(["a"]), "rows"),
    ("step_moves_table", lambda: fs.step_moves_table({"moves": {"a": {"up": [0.5]}}}, ["a"]), "history['moves']['a']"),
    ("step_moves_table", lambda: fs.step_moves_table({"moves": {}}, None), "keys"),
    # arrays of two shapes used to be broadcast against each other
    ("crossing_table", lambda: fs.crossing_table({"a": [1.0]}, {"a": [1.0, -2.0]}, ["a"]), "start['a']"),
    ("crossing_table", lambda: fs.crossing_table(None, {}, ["a"]), "start"),
    ("baseline_table", lambda: fs.baseline_table({"a": []}), "samples['a']"),
    ("baseline_table", lambda: fs.baseline_table([0.5]), "samples"),
    ("drift_summary", lambda: fs.drift_summary({"a": {"conv1_higher": [1]}}), "rows['a']"),
    ("drift_summary", lambda: fs.drift_summary(["a"]), "rows"),
]


@pytest.mark.parametrize("call, argument", [case[1:] for case in BAD_ARGUMENTS],
                         ids=[f"{function}: {argument}" for function, _, argument in BAD_ARGUMENTS])
def test_bad_arguments_of_tables_and_short_runs_are_named(call, argument):
    with pytest.raises((ValueError, TypeError)) as raised:
        call()
    assert re.search(rf"(?<![\w]){re.escape(argument)}(?![\w])", str(raised.value)), str(raised.value)


def test_sizes_are_bounded_before_any_work():
    huge = np.broadcast_to(0.0, (10**5, 3, 100, 100))          # 24 GB if anyone copied it
    with pytest.raises(ValueError, match=r"starts\['a'\] is too large"):
        fs.net_change_table({"a": huge}, {"a": huge}, ["a"])
    with pytest.raises(ValueError, match="count is too large"):
        fs.random_banks(10**9)


# ---------------------------------------------------------------- short runs
def test_short_run_twice_gives_the_same_run_and_the_tables_count_it():
    from helpers import data

    dataset = data.load("subset")
    x = fs.scale_inputs(dataset.x_train[:320], "unit")
    runs = [fs.short_run(x, dataset.y_train[:320], seed, 20, 16) for seed in (0, 0, 1)]
    assert runs[0]["history"]["loss"] == runs[1]["history"]["loss"]
    assert np.array_equal(runs[0]["end"]["conv1.w"], runs[1]["end"]["conv1.w"])
    assert runs[0]["history"]["steps_total"] == 20 and runs[0]["diverged_at"] is None
    row = fs.drift_row(runs)
    direct = int(np.sum(runs[2]["end"]["conv1.w"] > runs[2]["start"]["conv1.w"]))
    assert row["conv1_higher"][2] == direct
    assert row["conv1_lower"][2] == int(np.sum(runs[2]["end"]["conv1.w"] < runs[2]["start"]["conv1.w"]))
    table = fs.drift_table({"a": row})
    assert f"| a | 0 | {row['conv1_higher'][0]} |" in table and f"|  | 1 | {direct} |" in table
    summary = fs.drift_summary({"a": row})
    assert "| a | 3 |" in summary


def test_contrast_runs_are_short_runs_on_the_same_seeds_and_check_settings_first():
    from helpers import data

    dataset = data.load("subset")
    x, y = dataset.x_train[:160], dataset.y_train[:160]
    parts = []

    class Progress:
        def part(self, label):
            parts.append(label)
            return None

    runs = fs.contrast_runs(x, y, {"unit": ("unit", "he", 0.1), "std": ("standardized", "he", 0.05)}, [0, 1],
                            10, 16, progress=Progress())
    assert list(runs) == ["unit", "std"] and [len(r) for r in runs.values()] == [2, 2]
    assert parts == ["unit, seed 0", "unit, seed 1", "std, seed 0", "std, seed 1"]
    direct = fs.short_run(fs.scale_inputs(x, "standardized"), y, 1, 10, 16, 0.05, "he")
    assert runs["std"][1]["history"]["loss"] == direct["history"]["loss"]
    assert np.array_equal(runs["std"][1]["end"]["conv1.w"], direct["end"]["conv1.w"])
    # the same seed starts from the same weights in every setting: one thing changed
    assert np.array_equal(runs["unit"][0]["start"]["conv1.w"], runs["std"][0]["start"]["conv1.w"])
    # a bad second setting is refused before the first setting runs
    parts.clear()
    with pytest.raises(ValueError, match=r"settings\['bad'\]"):
        fs.contrast_runs(x, y, {"unit": ("unit", "he", 0.1), "bad": ("unit", "he", -1.0)}, [0], 10, 16,
                         progress=Progress())
    assert parts == []
    with pytest.raises(ValueError, match="seeds"):
        fs.contrast_runs(x, y, {"unit": ("unit", "he", 0.1)}, [], 10, 16)


def test_scale_inputs_settings():
    pixels = np.array([0, 255, 51, 0], dtype=np.uint8).reshape(1, 1, 2, 2)
    assert np.allclose(fs.scale_inputs(pixels, "unit").ravel(), [0, 1, 0.2, 0])
    assert np.allclose(fs.scale_inputs(pixels, "pixels").ravel(), [0, 255, 51, 0])
    standard = fs.scale_inputs(pixels, "standardized")
    assert abs(standard.mean()) < 1e-6 and abs(standard.std() - 1) < 1e-6


def test_orientation_and_baseline_tables_count_rows():
    reference = fs.orientation_score(fs.random_banks(200, seed=5))
    trained = fs.orientation_score(np.stack([np.tile(np.array([[-1.0, 0, 1]] * 3), (6, 1, 1, 1))] * 2))
    table = fs.orientation_table({"edges": trained}, reference)
    assert "| edges | 12 | 1.00 | 12 (100 %) | < 1 % | 2 of 2 (100 %) |" in table
    assert "| random He filters (the baseline) | 1200 |" in table
    assert "| x | 3 | 2.00 | 1.10 | 2.90 |" in fs.baseline_table({"x": [1.0, 2.0, 3.0]})


# ---------------------------------------------------------------- the figures of notebook 06's evidence
def test_evidence_figures_have_titles_labels_and_colorbars():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.widgets import training as tw

    start = {"conv1.w": RNG.normal(size=(6, 1, 3, 3)), "conv2.w": RNG.normal(size=(6, 6, 3, 3)),
             "fc1.w": RNG.normal(size=(128, 150))}
    end = {name: value + 0.1 for name, value in start.items()}
    history = {"moves": {name: {"up": [0.5] * 30, "down": [0.4] * 30} for name in start}}
    moves = tw.plot_layer_moves(history, start, end)
    assert moves._suptitle is not None and all(ax.get_xlabel() for ax in moves.axes)
    assert any("↑ 100%" in text.get_text() for text in moves.axes[1].texts)     # every weight ended higher
    baselines = tw.plot_baselines({"random": RNG.uniform(size=100), "trained": [0.3, 0.4]})
    assert baselines.axes[0].get_title() and baselines.axes[0].get_xlabel()
    bank = RNG.normal(size=(6, 1, 3, 3))
    mosaic = tw.plot_filter_mosaic([bank, -bank], ["a", "b"], "two banks", colorbar_label="weight")
    assert any(ax.get_ylabel().startswith("weight") for ax in mosaic.axes)
    patches = RNG.uniform(size=(6, 4, 3, 3))
    top = tw.plot_top_patches(bank, patches, RNG.normal(size=(6, 4)))
    labels = [ax.get_xlabel() for ax in top.axes] + [ax.get_ylabel() for ax in top.axes]
    assert any(label.startswith("pixel") for label in labels) and any(label.startswith("weight") for label in labels)
    for fig in (moves, baselines, mosaic, top):
        plt.close(fig)
    with pytest.raises(ValueError, match="keys"):
        tw.plot_layer_moves({"moves": {}}, start, end)
    with pytest.raises(ValueError, match="patches"):
        tw.plot_top_patches(bank, patches[:3], np.zeros((3, 4)))


def test_crossed_weights_table_lists_each_crossing_once_as_sign_changes_counts_it():
    from helpers.nn import network

    rng = np.random.default_rng(5)
    before = rng.normal(size=(6, 1, 3, 3))
    after = before + rng.normal(scale=0.8, size=before.shape)
    after[0, 0, 0, 0], before[0, 0, 0, 0] = -0.25, 0.0          # from exactly 0 to below: + → −
    table = fs.crossed_weights_table(before, after)
    changes = network.sign_changes(before, after)
    lines = [line for line in table.splitlines() if line.startswith("| filter ") and "→" in line]
    assert len(lines) == len(changes["to_negative"]) + len(changes["to_positive"]) > 2
    assert sum("+ → −" in line for line in lines) == len(changes["to_negative"])
    assert f"**The {len(lines)} weights that crossed zero**" in table
    assert "**The 1 conv2 weights" not in fs.crossed_weights_table(before, after, "conv2")
    assert "| filter 1 | $W_{11}$ | +0.000 | -0.250 | + → − |" in table
    short = fs.crossed_weights_table(before, after, limit=2)
    assert short.count(" → ") == 2 and f"… and {len(lines) - 2} more" in short
    two_channels = fs.crossed_weights_table(np.full((1, 2, 1, 1), -1.0), np.ones((1, 2, 1, 1)))
    assert "$W_{2,11}$" in two_channels
    with pytest.raises(ValueError, match="before and after"):
        fs.crossed_weights_table(before, after[:3])
    with pytest.raises(ValueError, match="limit"):
        fs.crossed_weights_table(before, after, limit=0)


def test_huge_losses_are_written_in_powers_of_ten():
    assert fs._loss_text(0.554) == "0.55" and fs._loss_text(6.8e31) == "6.8e+31" and fs._loss_text(999.0) == "999.00"


@pytest.mark.parametrize("count, trials, share", [(0, 5, 0.3), (3, 30, 0.05), (1, 6, 0.05), (6, 6, 0.5), (2, 9, 0.0),
                                                  (4, 4, 1.0), (7, 40, 0.2)])
def test_chance_of_at_least_is_the_binomial_tail(count, trials, share):
    exact = sum(math.comb(trials, i) * share ** i * (1 - share) ** (trials - i) for i in range(count, trials + 1))
    assert fs.chance_of_at_least(count, trials, share) == pytest.approx(exact, rel=1e-9, abs=1e-15)


def test_orientation_table_gives_the_chance_of_as_many_edge_like_filters():
    reference = np.linspace(0, 1, 2000).reshape(-1, 1, 1)       # 5 % of the reference above its 95th percentile
    table = fs.orientation_table({"three of thirty": np.r_[np.ones(3), np.zeros(27)].reshape(5, 6, 1)}, reference)
    share = float(np.mean(reference > np.percentile(reference, 95)))
    expected = 100 * sum(math.comb(30, i) * share ** i * (1 - share) ** (30 - i) for i in range(3, 31))
    assert f"| three of thirty | 30 | 0.10 | 3 (10 %) | {expected:.0f} % | 1 of 5 (20 %) |" in table
    assert "| random He filters (the baseline) | 2000 |" in table and "| – |" in table
