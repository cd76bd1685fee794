"""Exercise checkers for notebook 04 (max-pool routing); their texts are in pool.md.

The numbers are constants here, so the notebook shows exactly what the checker checks. Every reference is
the engine's maxpool2d / maxpool2d_backward / conv2d.
"""
import numpy as np

from helpers.exercises.feedback import (
    OnRequest,
    Slip,
    Wrong,
    call_learner,
    check_numbers,
    checker,
    close,
    corr2d,
    read_exercises,
    read_numbers,
    same,
)
from helpers.nn.gradcheck import numerical_gradient_of_output
from helpers.nn.pool import maxpool2d, maxpool2d_backward

# Exercise 1: route δ through a 2×2 max-pool by hand (no ties).
ROUTING_X = np.array([[2., 7., 1., 0.],
                      [5., 3., 4., 6.],
                      [1., 0., 8., 2.],
                      [9., 4., 3., 7.]])
ROUTING_DY = np.array([[-1., 2.],
                       [3., 0.5]])

# Exercise 2: a window with a two-way tie, δ = −3, under the "split" rule.
TIE_WINDOW = np.array([[0.3, 0.7],
                       [0.7, 0.1]])
TIE_DY = -3.0

# Exercise 3: the sum of the four single-entry central differences at a three-way tie.
CENTRAL_WINDOW = np.array([[4., 1.],
                           [4., 4.]])

# Exercise 4: a 2×2 filter on a 3×3 image, then a max over the 2×2 output; L = 3 · max(O).
FILTER_IMAGE = np.array([[2., 0., 1.],
                         [1., 3., 0.],
                         [2., 1., 1.]])
FILTER_W = np.array([[1., 2.],
                     [0., -1.]])
FILTER_LOSS_SCALE = 3.0

# Exercise 5: the learner's maxpool backward is tested on these (x side, size, stride): overlapping windows
MAXPOOL_CASES = ((6, 2, 2), (7, 3, 2), (5, 2, 1))
SUBGRADIENT_DIRECTIONS = 500

EXERCISES = read_exercises(__file__)   # their titles, hints and solutions: pool.md
ROUTING, TIE, CENTRAL, FILTER_GRAD, MAXPOOL = EXERCISES.values()


# ---------------------------------------------------------------- 1: routing by hand
def routing_answer():
    """∂L/∂I for exercise 1 (4×4); + 0.0 turns the −0 of δ · 0 into 0."""
    return maxpool2d_backward.unchecked(ROUTING_DY[None, None], ROUTING_X[None, None], 2)[0, 0] + 0.0


@checker(ROUTING)
def check_routing(answer):
    """Exercise 1: the learner's ∂L/∂I (4×4) for ROUTING_X pooled 2×2 with upstream ROUTING_DY."""
    copied = np.kron(ROUTING_DY, np.ones((2, 2)))
    slips = [
        Slip(copied / 4, "you gave each entry δ/4: that is the derivative of AVERAGE pooling (notebook 04, §5); "
                         "max-pooling routes all of δ to the window's winner"),
        Slip(copied, "you copied δ to all four entries of each window: the three losers do not move the max, so "
                     "their gradient is 0 (§1, The derivative of max, by cases)"),
        Slip((routing_answer() != 0).astype(float), "you marked the winners with 1: multiply by each window's δ"),
        Slip(routing_answer().T, "your rows and columns are swapped (transposed): row r, column c of the answer is "
                                 "∂L/∂I_rc — the first index is the row (notebook 00's notation)"),
    ]
    return check_numbers(ROUTING, answer, routing_answer(), names="∂L/∂I", slips=slips,
                         why="each window's δ goes to its winner; the other three entries get 0.")


# ---------------------------------------------------------------- 2: a tie under "split"
def tie_answers():
    """{rule: 2×2 ∂L/∂(window)} for exercise 2."""
    dy = np.full((1, 1, 1, 1), TIE_DY)
    return {rule: maxpool2d_backward.unchecked(dy, TIE_WINDOW[None, None], 2, ties=rule)[0, 0] + 0.0
            for rule in ("first", "split", "all")}


@checker(TIE)
def check_tie_split(answer):
    """Exercise 2: ∂L/∂(window) (2×2) for TIE_WINDOW with upstream TIE_DY under the "split" rule."""
    answers = tie_answers()
    slips = [
        Slip(answers["split"] / TIE_DY, "you forgot δ: the shares are fractions of δ, not of 1"),
        Slip(answers["all"], "that is copy-to-all: the shares add up to 2δ, but the max moves by δ at most "
                             "(notebook 04, §3: Why “first” and “split” are right and “all” is not)"),
        Slip(answers["first"], "that is the 'first' rule (also a valid subgradient); this exercise asks for 'split'"),
        Slip(np.full((2, 2), TIE_DY / 4), "δ/4 on every entry is the derivative of AVERAGE pooling (§5, Contrast: "
                                          "average pooling); at a tie only the tied maxima share δ"),
        Slip(-answers["split"], "the shares have the wrong sign: each is δ/2, and δ is negative"),
    ]
    return check_numbers(TIE, answer, answers["split"], names="∂L/∂I", slips=slips,
                         why="the two tied maxima share δ equally; the shares add up to δ.")


# ---------------------------------------------------------------- 3: central differences at a tie
def central_difference_answer():
    """The sum of the four single-entry central differences of max(CENTRAL_WINDOW) (exercise 3)."""
    differences = numerical_gradient_of_output.unchecked(lambda v: maxpool2d.unchecked(v, 2),
                                                         CENTRAL_WINDOW[None, None].copy(), np.ones((1, 1, 1, 1)), 1e-4)
    return float(round(differences.sum(), 6))


@checker(CENTRAL)
def check_tied_central_difference(answer):
    """Exercise 3: the sum of the four single-entry central differences of max(CENTRAL_WINDOW)."""
    tied = int((CENTRAL_WINDOW == CENTRAL_WINDOW.max()).sum())
    slips = [
        Slip(1.0, "1 is the slope along the direction that moves all tied entries together — the check that works "
                  "at a tie. This exercise asks for another number: the sum of the four single-entry central "
                  "differences, each entry nudged alone (§3, Why a central difference on one tied entry says 1/2)"),
        Slip(0.5, "that is one entry's central difference; the exercise asks for the sum over all four entries, "
                  "each nudged alone"),
        Slip(float(tied), "that counts each tied entry's slope going up; a central difference nudges the entry both "
                          "ways and averages the slopes up and down (§3, Why a central difference on one tied entry "
                          "says 1/2)"),
        Slip(2.0, "2 is the sum for §3's blank window, where all four entries tie; this window's entries are not all "
                  "tied"),
        Slip(0.0, "0 is the slope going down only; a central difference nudges each entry both ways"),
    ]
    return check_numbers(CENTRAL, answer, central_difference_answer(), slips=slips, what="your sum",
                         why="three tied entries × 1/2, and 0 for the loser: single-entry checks overcount at a tie.")


# ---------------------------------------------------------------- 4: through the max into the filter
def filter_answer():
    """∂L/∂W for L = FILTER_LOSS_SCALE · max(O), O = corr(I, W): back through the max-pool, then the filter."""
    scale = np.full((1, 1, 1, 1), FILTER_LOSS_SCALE)
    outputs = corr2d(FILTER_IMAGE, FILTER_W)[None, None]
    return corr2d(FILTER_IMAGE, maxpool2d_backward.unchecked(scale, outputs, 2)[0, 0])


def _patch(r, c):
    """The image patch under output o_(r+1)(c+1): ∂o_rc/∂W = corr(I, δ) with δ one-hot."""
    return corr2d(FILTER_IMAGE, np.eye(4)[2 * r + c].reshape(2, 2))


@checker(FILTER_GRAD)
def check_filter_grad(answer):
    """Exercise 4: the learner's ∂L/∂W (2×2)."""
    scale = FILTER_LOSS_SCALE
    r, c = np.unravel_index(np.argmax(corr2d(FILTER_IMAGE, FILTER_W)), (2, 2))
    winner, every_patch = _patch(r, c), corr2d(FILTER_IMAGE, np.ones((2, 2)))
    slips = [
        Slip(scale * winner[::-1, ::-1], "you flipped the patch (rotated it by 180°): ∂L/∂W = corr(I, δ) lays the "
             "winner's patch on W as it is — W11 gets the patch's top-left pixel (§6, The chain back into the "
             "filter)"),
        Slip(scale * winner.T, "you transposed the patch: ∂L/∂W_ij gets the patch's pixel in row i, column j"),
        Slip(winner, "the right patch, but L = 3 · max(O): you left out ∂L/∂max"),
        Slip(scale * every_patch, "you summed all four patches, as if every output reached L because every output "
                                  "uses every weight; the max passes the gradient to its winner only (§6, The chain "
                                  "back into the filter)"),
        Slip(every_patch, "you summed all four patches (and left out ∂L/∂max), as if every output reached L; only the "
                          "winner does (§6, The chain back into the filter)"),
    ] + [Slip(factor * _patch(i, j), f"that is the patch of o{i + 1}{j + 1}; is o{i + 1}{j + 1} the largest output?")
         for i, j in np.ndindex(2, 2) if (i, j) != (r, c) for factor in (scale, 1.0)]
    return check_numbers(FILTER_GRAD, answer, filter_answer(), names="∂L/∂W", slips=slips,
                         why="only the winning output reaches L: its patch, times ∂L/∂max = 3.")


# ---------------------------------------------------------------- 5: implement maxpool backward
def _run(function, dy, x, size, stride, where):
    return read_numbers(call_learner(function, dy, x, size, stride, where=where), x.shape, what=f"your dx {where}")


def _check_routing(function, rng):
    """Wrong unless the learner routes like the engine on MAXPOOL_CASES (distinct values: no ties)."""
    for side, size, stride in MAXPOOL_CASES:
        x = rng.permutation(2 * side * side).reshape(1, 2, side, side).astype(float)
        dy = rng.standard_normal(maxpool2d.unchecked(x, size, stride).shape)
        where = f"for a {side}×{side} input, {size}×{size} windows, stride {stride} (no ties)"
        got, want = _run(function, dy, x, size, stride, where), maxpool2d_backward.unchecked(dy, x, size, stride)
        if same(got, want):
            continue
        wins = maxpool2d_backward.unchecked(np.ones_like(dy), x, size, stride)    # how many windows each pixel wins
        if np.any(wins > 1) and np.all(close(got, want)[wins <= 1]):
            raise Wrong(f"{where}: overlapping windows overwrite each other — a pixel that wins several windows "
                        "must collect every window's δ: use += (add), not = (assign) (§2, the overlapping example)")
        if stride == size and side % size == 0 and same(got, np.kron(dy, np.ones((size, size))) / size ** 2):
            raise Wrong(f"{where}: you spread δ evenly over each window — that is the derivative of AVERAGE pooling "
                        "(§5, Contrast: average pooling); max-pooling routes all of δ to the window's maximum")
        raise Wrong(f"{where}: your dx is wrong in {np.mean(~close(got, want)):.0%} of the pixels; each "
                    "window's δ must go to its maximum only")


@checker(MAXPOOL)
def check_maxpool_backward(function):
    """Exercise 5: function(dy, x, size, stride) -> dx (N, C, H, W) for max-pooling with a valid tie rule.

    The course's tests: (1) routing without ties on overlapping and non-overlapping windows, against
    helpers.nn.pool; (2) at ties (a blank map), each window's shares are ≥ 0 fractions of δ on its tied maxima
    and add up to δ; (3) the subgradient inequality L(x + h) ≥ L(x) + ⟨g, h⟩ in random directions h, for
    overlapping windows with ties.
    """
    rng = np.random.default_rng(4)
    _check_routing(function, rng)
    # ties: a blank map (every value the conv bias), non-overlapping windows, δ of both signs
    dy = np.array([[[[1.0, -2.0], [0.5, 3.0]]]])
    where = "at ties (a blank 4×4 map, every value 0.1, 2×2 windows, stride 2)"
    got = _run(function, dy, np.full((1, 1, 4, 4), 0.1), 2, 2, where)
    shares = got.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4) / dy[0, 0][..., None]
    totals = shares.sum(axis=2)
    if np.all(close(totals, 4)):
        raise Wrong(f"{where}: your function gives δ to every tied maximum (copy-to-all: each window's shares add "
                    "up to 4δ), but the max moves by δ at most. Choose a rule — the first maximum, or δ split "
                    "equally — so the shares add up to δ (§3, Misconception: “At a tie, just give every max the "
                    "gradient”)")
    if np.all(close(shares, 0.5)):
        raise Wrong(f"{where}: each tied maximum gets δ/2, what a single-entry central difference reports at a tie — "
                    "but that check is not the gradient: the shares must add up to δ (§3, Why a central difference "
                    "on one tied entry says 1/2)")
    if not np.all(close(totals, 1)) or np.any((shares < 0) & ~close(shares, 0, scale=1)):
        raise Wrong(f"{where}: each window's shares must be non-negative fractions of its δ that add up to δ; "
                    "yours do not")
    # the subgradient inequality, overlapping windows with ties (L = Σ δ·maxpool(x) with δ ≥ 0 is convex)
    x = np.array([[[[1., 1., 0., 2.], [1., 1., 2., 2.], [0., 3., 3., 1.], [0., 3., 3., 1.]]]])
    dy = rng.uniform(0.5, 1.5, (1, 1, 3, 3))
    where = "at ties with overlapping windows (a 4×4 input with tied blocks, 2×2 windows, stride 1)"
    got = _run(function, dy, x, 2, 1, where)
    directions = rng.standard_normal((SUBGRADIENT_DIRECTIONS, 1, 4, 4)) * 1e-3      # one direction an image
    moved = np.sum(dy * maxpool2d.unchecked(x + directions, 2, 1), axis=(1, 2, 3))
    bound = np.sum(dy * maxpool2d.unchecked(x, 2, 1)) + np.sum(got * directions, axis=(1, 2, 3))
    size_of_step = np.sum(np.abs(got * directions), axis=(1, 2, 3))     # the scale of ⟨g, h⟩, for the tolerance
    broken = int(np.sum((moved < bound) & ~close(moved, bound, scale=size_of_step)))
    if broken:
        raise Wrong(f"{where}: the subgradient inequality L(x + h) ≥ L(x) + ⟨g, h⟩ fails in {broken} of "
                    f"{SUBGRADIENT_DIRECTIONS} random directions, so your dx is not a valid gradient there")
    return MAXPOOL.right(f"routing right on {len(MAXPOOL_CASES)} geometries (overlapping windows add up), shares add "
                         f"up to δ at ties, and the subgradient inequality holds in all {SUBGRADIENT_DIRECTIONS} "
                         "random directions.")


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
