"""Exercise checkers for notebook 04 (max-pool routing).

Each exercise's numbers are constants here, so the notebook shows exactly what the checker checks; none
repeats a number printed above the exercises. Checkers return a ``helpers.exercises.feedback.Feedback``: ✔ with why,
the named slip (δ/4 averaging, copying δ to a whole window, transposed indices, forgetting δ, a flipped
patch, copy-to-all at a tie, …), or which entries are wrong — never the expected values. ``hint(k)``,
``solution(k)`` and ``help(k)`` show help only when called. Exercise 5 runs the course's own tests
(routing on overlapping windows, the subgradient inequality at ties) on the learner's function.
"""
import numpy as np

from helpers.exercises.feedback import (
    Exercise,
    OnRequest,
    Slip,
    as_float_array,
    call_learner,
    check_numbers,
    checker,
    entry_names,
)
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


# ---------------------------------------------------------------- 1: routing by hand


def routing_answer():
    """∂L/∂I for exercise 1 (4×4); + 0.0 turns the −0 of δ · 0 into 0."""
    return maxpool2d_backward(ROUTING_DY[None, None], ROUTING_X[None, None], 2)[0, 0] + 0.0


ROUTING = Exercise(
    "04-1", "Exercise 1: route δ through the 2×2 max-pool",
    hints=("In each 2×2 window find the largest entry; it gets that window's δ, the other three get 0.",
           "The windows are rows 1–2 / 3–4 and columns 1–2 / 3–4; window (1, 2) (rows 1–2, columns 3–4) gets "
           "δ12. Row r, column c of your answer is ∂L/∂I_rc."),
    solution=("Windows (rows 1–2, cols 1–2): max 7 = I12 gets δ = −1. (rows 1–2, cols 3–4): max 6 = I24 gets 2. "
              "(rows 3–4, cols 1–2): max 9 = I41 gets 3. (rows 3–4, cols 3–4): max 8 = I33 gets 0.5. "
              "Everything else is 0:\n\n```python\nanswer = [[0, -1, 0, 0], [0, 0, 0, 2], [0, 0, 0.5, 0], "
              "[3, 0, 0, 0]]\n```"),
    answer_code="answer = [[0, -1, 0, 0], [0, 0, 0, 2], [0, 0, 0.5, 0], [3, 0, 0, 0]]", points=2)


@checker(ROUTING)
def check_routing(answer):
    """Exercise 1: the learner's ∂L/∂I (4×4) for ROUTING_X pooled 2×2 with upstream ROUTING_DY."""
    copied = np.kron(ROUTING_DY, np.ones((2, 2)))
    slips = [
        Slip(copied / 4, "you gave each entry δ/4: that is the derivative of AVERAGE pooling (notebook 04, §5); "
                         "max-pooling routes all of δ to the window's winner"),
        Slip(copied, "you copied δ to all four entries of each window: the three losers do not move the max, so "
                     "their gradient is 0"),
        Slip((routing_answer() != 0).astype(float), "you marked the winners with 1: multiply by each window's δ"),
        Slip(routing_answer().T, "your rows and columns are swapped (transposed): row r, column c of the answer is "
                                 "∂L/∂I_rc — the first index is the row (notebook 00's notation)"),
    ]
    return check_numbers(ROUTING, answer, routing_answer(), names=entry_names("∂L/∂I", (4, 4)), slips=slips,
                         why="each window's δ goes to its winner; the other three entries get 0.")


# ---------------------------------------------------------------- 2: a tie under "split"


def tie_answers():
    """{rule: 2×2 ∂L/∂(window)} for exercise 2."""
    x = TIE_WINDOW[None, None]
    dy = np.full((1, 1, 1, 1), TIE_DY)
    return {rule: maxpool2d_backward(dy, x, 2, ties=rule)[0, 0] + 0.0 for rule in ("first", "split", "all")}


TIE = Exercise(
    "04-2", 'Exercise 2: a tie under "split"',
    hints=("Find the tied maxima first. Under split, each of the m tied maxima gets δ/m; the rest get 0.",
           "The shares of one window add up to δ — here δ is negative, so the shares are too."),
    solution=(f"I12 and I21 tie at 0.7: m = 2, so each gets δ/2 = {TIE_DY / 2:g}, the others 0; the two shares add "
              f"up to δ = {TIE_DY:g}.\n\n```python\nanswer = [[0, {TIE_DY / 2:g}], [{TIE_DY / 2:g}, 0]]\n```"),
    answer_code=f"answer = [[0, {TIE_DY / 2:g}], [{TIE_DY / 2:g}, 0]]", points=1)


@checker(TIE)
def check_tie_split(answer):
    """Exercise 2: ∂L/∂(window) (2×2) for TIE_WINDOW with upstream TIE_DY under the "split" rule."""
    answers = tie_answers()
    tied = TIE_WINDOW == TIE_WINDOW.max()
    slips = [
        Slip(answers["split"] / TIE_DY, "you forgot δ: the shares are fractions of δ, so multiply by δ = "
                                        f"{TIE_DY:g}"),
        Slip(answers["all"], "that is copy-to-all: the shares add up to 2δ, but the max moves by δ at most "
                             "(notebook 04, §3: Why “first” and “split” are right and “all” is not)"),
        Slip(answers["first"], "that is the 'first' rule (also a valid subgradient); this exercise asks for 'split'"),
        Slip(np.full((2, 2), TIE_DY / 4), "you split δ over all four entries; only the tied maxima share it"),
        Slip(-answers["split"], "the shares have the wrong sign: each is δ/2, and δ is negative"),
        Slip(tied / tied.sum(), "you forgot δ: multiply the shares by δ"),
    ]
    return check_numbers(TIE, answer, answers["split"], names=entry_names("∂L/∂I", (2, 2)), slips=slips,
                         why="the two tied maxima share δ equally; the shares add up to δ.")


# ---------------------------------------------------------------- 3: central differences at a tie


def _central_differences(eps=1e-4):
    """The four single-entry central differences of max(CENTRAL_WINDOW) (2×2)."""
    result = np.zeros((2, 2))
    for index in np.ndindex(2, 2):
        bump = np.zeros((2, 2))
        bump[index] = eps
        up = maxpool2d((CENTRAL_WINDOW + bump)[None, None], 2)[0, 0, 0, 0]
        down = maxpool2d((CENTRAL_WINDOW - bump)[None, None], 2)[0, 0, 0, 0]
        result[index] = (up - down) / (2 * eps)
    return result


def central_difference_answer():
    """The sum of the four single-entry central differences (exercise 3)."""
    return float(round(_central_differences().sum(), 6))


CENTRAL = Exercise(
    "04-3", "Exercise 3: single-entry central differences at a tie",
    hints=("Take one tied entry: pushed up by ε it becomes the only max; pushed down, another tied entry keeps "
           "the max. What does the central difference average?",
           "An entry that is not a max does not move y either way. Add the four single-entry results."),
    solution=("Each of the three tied 4s: up by ε → y rises by ε; down by ε → another 4 keeps y. Central "
              "difference (ε − 0)/(2ε) = 1/2. The 1 never moves y: 0. The sum is 3 · 1/2 = **1.5** — not the true "
              "slope 1 along the direction that moves all tied entries together: single-entry checks overcount at "
              "a tie.\n\n```python\nanswer = 1.5\n```"),
    answer_code="answer = 1.5", points=1)


@checker(CENTRAL)
def check_tied_central_difference(answer):
    """Exercise 3: the sum of the four single-entry central differences of max(CENTRAL_WINDOW)."""
    tied = int((CENTRAL_WINDOW == CENTRAL_WINDOW.max()).sum())
    slips = [
        Slip(1.0, "1 is the slope along the direction that moves all tied entries together — the check that works "
                  "at a tie; single-entry checks each report 1/2, and there are three tied entries"),
        Slip(0.5, "1/2 is ONE tied entry's central difference; add all four entries' results"),
        Slip(float(tied), "that counts each tied entry as 1, the one-sided slope going up; going down it is 0, "
                          "and the central difference averages the two"),
        Slip(2.0, "2 is the blank window's sum (four tied entries × 1/2, notebook 04 §3); count the tied entries "
                  "of THIS window"),
        Slip(0.0, "0 is the one-sided slope going down; going up, a tied entry becomes the max"),
    ]
    return check_numbers(CENTRAL, answer, central_difference_answer(), slips=slips, atol=1e-6, what="your sum",
                         why="three tied entries × 1/2, and 0 for the loser: single-entry checks overcount at a tie.")


# ---------------------------------------------------------------- 4: through the max into the filter


def filter_outputs():
    """The 2×2 output O = corr(I, W) of exercise 4 (no bias)."""
    return np.array([[np.sum(FILTER_IMAGE[r:r + 2, c:c + 2] * FILTER_W) for c in range(2)] for r in range(2)])


def _winner():
    outputs = filter_outputs()
    return np.unravel_index(np.argmax(outputs), outputs.shape)


def filter_answer():
    """∂L/∂W for L = FILTER_LOSS_SCALE · max(O): the winning output's image patch times the upstream 3."""
    r, c = _winner()
    return FILTER_LOSS_SCALE * FILTER_IMAGE[r:r + 2, c:c + 2]


FILTER_GRAD = Exercise(
    "04-4", "Exercise 4: ∂L/∂W through a max",
    hints=("Compute the four outputs o11 … o22 first; only the largest one reaches L.",
           "∂L/∂W is the winning output's image patch, laid as it is (no flip), times ∂L/∂max = 3."),
    solution="",   # filled in below from the numbers
    answer_code="", points=2)


def _filter_solution():
    outputs = filter_outputs()
    r, c = _winner()
    patch = FILTER_IMAGE[r:r + 2, c:c + 2]
    answer = (FILTER_LOSS_SCALE * patch).astype(int).tolist()
    return (f"O = I ⋆ W = {outputs.astype(int).tolist()}; the max is o{r + 1}{c + 1} = {outputs.max():g}. Only "
            f"o{r + 1}{c + 1} reaches L, so ∂L/∂W = 3 · (its patch) = 3 · {patch.astype(int).tolist()}.\n\n"
            f"```python\nanswer = {answer}\n```"), f"answer = {answer}"


FILTER_GRAD.solution, FILTER_GRAD.answer_code = _filter_solution()


@checker(FILTER_GRAD)
def check_filter_grad(answer):
    """Exercise 4: the learner's ∂L/∂W (2×2)."""
    expected = filter_answer()
    r, c = _winner()
    winner_patch = FILTER_IMAGE[r:r + 2, c:c + 2]
    patches = {(i, j): FILTER_IMAGE[i:i + 2, j:j + 2] for i in range(2) for j in range(2)}
    slips = [
        Slip(FILTER_LOSS_SCALE * winner_patch[::-1, ::-1], "you flipped the patch (rotated it by 180°): ∂L/∂W = "
             "corr(I, δ) lays the winner's patch on W as it is — W11 gets the patch's top-left pixel (§6, The chain "
             "back into the filter)"),
        Slip(FILTER_LOSS_SCALE * winner_patch.T, "you transposed the patch: ∂L/∂W_ij gets the patch's pixel in "
                                                 "row i, column j"),
        Slip(winner_patch, "the right patch, but multiply by the upstream gradient ∂L/∂max = 3"),
        Slip(FILTER_LOSS_SCALE * sum(patches.values()), "you summed all four patches, as if every output reached L; "
                                                        "the max passes the gradient to its winner only (§6)"),
        Slip(sum(patches.values()), "you summed all four patches (and left out the 3); only the winner reaches L"),
    ] + [Slip(scale * patch, f"that is the patch of o{i + 1}{j + 1}; is o{i + 1}{j + 1} the largest output?")
         for (i, j), patch in patches.items() if (i, j) != (r, c) for scale in (FILTER_LOSS_SCALE, 1.0)]
    return check_numbers(FILTER_GRAD, answer, expected, names=entry_names("∂L/∂W", (2, 2)), slips=slips,
                         why="only the winning output reaches L: its patch, times ∂L/∂max = 3.")


# ---------------------------------------------------------------- 5: implement maxpool backward

MAXPOOL = Exercise(
    "04-5", "Exercise 5: implement max-pool backward, with a tie rule",
    hints=("Loop over the windows (r, c): find the window's maximum, choose ONE winner among the tied maxima "
           "(e.g. the first in row-major order), and add the window's δ to that pixel.",
           "Windows overlap when stride < size: a pixel that wins several windows collects from each (+=). A mask "
           "`window == window.max()` gives δ to every tied maximum — that is copy-to-all; keep one (np.argmax)."),
    solution="""```python
def my_maxpool_backward(dy, x, size, stride):
    dx = np.zeros_like(x, dtype=float)
    n_images, channels, out_h, out_w = dy.shape
    for n in range(n_images):
        for c in range(channels):
            for r in range(out_h):
                for s in range(out_w):
                    window = x[n, c, r * stride:r * stride + size, s * stride:s * stride + size]
                    i, j = np.unravel_index(np.argmax(window), window.shape)   # tie rule: the first maximum
                    dx[n, c, r * stride + i, s * stride + j] += dy[n, c, r, s]   # +=: windows may overlap
    return dx
```
`np.argmax` returns the first maximum in row-major order: PyTorch's rule, a corner of the subdifferential.
Splitting δ equally between the tied maxima is valid too; giving every tied maximum all of δ is not.""",
    answer_code='''def my_maxpool_backward(dy, x, size, stride):
    dx = np.zeros_like(x, dtype=float)
    n_images, channels, out_h, out_w = dy.shape
    for n in range(n_images):
        for c in range(channels):
            for r in range(out_h):
                for s in range(out_w):
                    window = x[n, c, r * stride:r * stride + size, s * stride:s * stride + size]
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, r * stride + i, s * stride + j] += dy[n, c, r, s]
    return dx''', points=3)


def _assigned(dy, x, size, stride):
    """Max-pool backward with = instead of += (the overwrite slip): the last window to write a pixel wins."""
    dx = np.zeros(x.shape)
    _, _, out_h, out_w = dy.shape
    for r in range(out_h):
        for s in range(out_w):
            window = x[:, :, r * stride:r * stride + size, s * stride:s * stride + size]
            flat = window.reshape(window.shape[0], window.shape[1], -1).argmax(axis=2)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    i, j = divmod(int(flat[n, c]), size)
                    dx[n, c, r * stride + i, s * stride + j] = dy[n, c, r, s]
    return dx


def _run(function, dy, x, size, stride, where):
    result, problem = call_learner(function, dy, x, size, stride, where=where)
    if problem:
        return None, problem
    return as_float_array(result, x.shape, f"{where} your dx")


@checker(MAXPOOL)
def check_maxpool_backward(function):
    """Exercise 5: function(dy, x, size, stride) -> dx (N, C, H, W) for max-pooling with a valid tie rule.

    The course's tests: (1) routing without ties on overlapping and non-overlapping windows, against
    helpers.nn.pool; (2) at ties (a blank map), each window's shares are ≥ 0 fractions of δ on its tied maxima
    and add up to δ; (3) the subgradient inequality L(x + h) ≥ L(x) + ⟨g, h⟩ in random directions h, for
    overlapping windows with ties.
    """
    rng = np.random.default_rng(4)
    for side, size, stride in MAXPOOL_CASES:
        x = rng.permutation(2 * side * side).reshape(1, 2, side, side).astype(float)  # distinct values: no ties
        out = (side - size) // stride + 1
        dy = rng.standard_normal((1, 2, out, out))
        where = f"for a {side}×{side} input, {size}×{size} windows, stride {stride} (no ties)"
        got, problem = _run(function, dy, x, size, stride, where)
        if problem:
            return MAXPOOL.wrong(problem)
        want = maxpool2d_backward(dy, x, size, stride)
        if np.allclose(got, want):
            continue
        if stride < size and np.allclose(got, _assigned(dy, x, size, stride)):
            return MAXPOOL.wrong(f"{where}: overlapping windows overwrite each other — a pixel that wins several "
                                 "windows must collect every window's δ: use += (add), not = (assign) (§2, the "
                                 "overlapping example)")
        views = np.kron(dy, np.ones((size, size))) if stride == size and side % size == 0 else None
        if views is not None and np.allclose(got, views / size ** 2):
            return MAXPOOL.wrong(f"{where}: you spread δ/{size * size} over each window — that is average pooling")
        wrong = np.mean(~np.isclose(got, want))
        return MAXPOOL.wrong(f"{where}: your dx is wrong in {wrong:.0%} of the pixels; each window's δ must go to "
                             "its maximum only")
    # ties: a blank map (every value the conv bias), non-overlapping windows, δ of both signs
    blank = np.full((1, 1, 4, 4), 0.1)
    dy = np.array([[[[1.0, -2.0], [0.5, 3.0]]]])
    where = "at ties (a blank 4×4 map, every value 0.1, 2×2 windows, stride 2)"
    got, problem = _run(function, dy, blank, 2, 2, where)
    if problem:
        return MAXPOOL.wrong(problem)
    shares = got.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4) / dy[0, 0][..., None]
    if np.allclose(shares.sum(axis=2), 4):
        return MAXPOOL.wrong(f"{where}: your function gives δ to every tied maximum (copy-to-all: each window's "
                             "shares add up to 4δ). Choose a rule — the first maximum, or δ split equally — so the "
                             "shares add up to δ (notebook 04, §3)")
    if not np.allclose(shares.sum(axis=2), 1) or np.any(shares < -1e-12):
        return MAXPOOL.wrong(f"{where}: each window's shares must be non-negative fractions of its δ that add up to "
                             "δ; yours do not")
    # the subgradient inequality, overlapping windows with ties (L = Σ δ·maxpool(x) with δ ≥ 0 is convex)
    x = np.array([[[[1., 1., 0., 2.], [1., 1., 2., 2.], [0., 3., 3., 1.], [0., 3., 3., 1.]]]])
    dy = rng.uniform(0.5, 1.5, (1, 1, 3, 3))
    where = "at ties with overlapping windows (a 4×4 input with tied blocks, 2×2 windows, stride 1)"
    got, problem = _run(function, dy, x, 2, 1, where)
    if problem:
        return MAXPOOL.wrong(problem)

    def loss(v):
        return float(np.sum(dy * maxpool2d(v, 2, 1)))

    directions = rng.standard_normal((SUBGRADIENT_DIRECTIONS,) + x.shape) * 1e-3
    broken = sum(loss(x + h) < loss(x) + np.sum(got * h) - 1e-12 for h in directions)
    if broken:
        return MAXPOOL.wrong(f"{where}: the subgradient inequality L(x + h) ≥ L(x) + ⟨g, h⟩ fails in {broken} of "
                             f"{SUBGRADIENT_DIRECTIONS} random directions, so your dx is not a valid gradient there")
    return MAXPOOL.right(f"routing right on {len(MAXPOOL_CASES)} geometries (overlapping windows add up), shares add "
                         f"up to δ at ties, and the subgradient inequality holds in all {SUBGRADIENT_DIRECTIONS} "
                         "random directions.")


# ---------------------------------------------------------------- help, on request only

EXERCISES = {1: ROUTING, 2: TIE, 3: CENTRAL, 4: FILTER_GRAD, 5: MAXPOOL}
CHECKERS = {"04-1": check_routing, "04-2": check_tie_split, "04-3": check_tied_central_difference,
            "04-4": check_filter_grad, "04-5": check_maxpool_backward}


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
