"""Exercise checkers for notebook 04 (max-pool routing).

Each exercise's numbers are constants here, so the notebook shows exactly what the checker checks.
Checkers return a ``helpers.feedback.Feedback`` naming every wrong entry and what was expected, and
recognise the typical mistakes (copying δ to every tied entry, forgetting δ, routing to every output).
"""
import numpy as np

from helpers.feedback import NOT_ANSWERED, NOT_ANSWERED_ZEROS, Feedback, check_values, entry_names
from helpers.pool import maxpool2d, maxpool2d_backward

# Exercise 1: route δ through a 2×2 max-pool by hand (no ties).
ROUTING_X = np.array([[2., 7., 1., 0.],
                      [5., 3., 4., 6.],
                      [1., 0., 8., 2.],
                      [9., 4., 3., 7.]])
ROUTING_DY = np.array([[-1., 2.],
                       [3., 0.5]])

# Exercise 2: a tied window (a blank patch: every value is the conv bias 0.1), δ = 2.
TIE_WINDOW = np.full((2, 2), 0.1)
TIE_DY = 2.0

# Exercise 3: a central difference on ONE tied entry of max(I11, I12, I21, I22).
CENTRAL_WINDOW = np.array([[3., 3.],
                           [1., 0.]])

# Exercise 4: a 2×2 filter on a 3×3 image, then a max over the 2×2 output; L = 3 · max(O).
FILTER_IMAGE = np.array([[2., 0., 1.],
                         [1., 3., 0.],
                         [2., 1., 1.]])
FILTER_W = np.array([[1., 2.],
                     [0., -1.]])
FILTER_LOSS_SCALE = 3.0


def _grid(values):
    """2-D float array from the learner's answer, or None when it is not numbers."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None


def _not_answered(feedback):
    """True when check_values said the starter is untouched (then no extra remarks are added)."""
    return bool(feedback.problems) and feedback.problems[0] in (NOT_ANSWERED, NOT_ANSWERED_ZEROS)


def routing_answer():
    """∂L/∂I for exercise 1 (4×4); + 0.0 turns the −0 of δ · 0 into 0."""
    return maxpool2d_backward(ROUTING_DY[None, None], ROUTING_X[None, None], 2)[0, 0] + 0.0


def check_routing(answer):
    """Exercise 1: the learner's ∂L/∂I (4×4) for ROUTING_X pooled 2×2 with upstream ROUTING_DY."""
    feedback = check_values("Exercise 1: route δ through the 2×2 max-pool", answer, routing_answer(),
                            names=entry_names("∂L/∂I", (4, 4)),
                            hint="In each 2×2 window find the largest entry; it gets that window's δ, "
                                 "the other three get 0.")
    got = _grid(answer)
    if not feedback.ok and not _not_answered(feedback) and got is not None and got.shape == (4, 4):
        if np.allclose(got, np.kron(ROUTING_DY, np.ones((2, 2)))):
            feedback.problems.append("you copied δ to all four entries of each window: that is average pooling "
                                     "without the 1/4, not max-pooling")
        elif np.allclose(got, routing_answer() != 0):
            feedback.problems.append("you marked the winners with 1: multiply by each window's δ")
    return feedback


def tie_answers():
    """{rule: 2×2 ∂L/∂(window)} for exercise 2."""
    x = TIE_WINDOW[None, None]
    dy = np.full((1, 1, 1, 1), TIE_DY)
    return {rule: maxpool2d_backward(dy, x, 2, ties=rule)[0, 0] for rule in ("first", "split", "all")}


def check_tie_split(answer):
    """Exercise 2: ∂L/∂(window) (2×2) for the blank window under the "split" rule."""
    answers = tie_answers()
    feedback = check_values('Exercise 2: the blank window under "split"', answer, answers["split"],
                            names=entry_names("∂L/∂I", (2, 2)),
                            hint="Four entries tie; split shares δ equally, so the four shares add up to δ.")
    got = _grid(answer)
    if not feedback.ok and not _not_answered(feedback) and got is not None and got.shape == (2, 2):
        if np.allclose(got, answers["all"]):
            feedback.problems.append(f"that is copy-to-all: the shares add up to {got.sum():g}, "
                                     f"but the window's output moved by δ = {TIE_DY:g} at most")
        elif np.allclose(got, answers["first"]):
            feedback.problems.append("that is the 'first' rule (also a valid subgradient); this exercise asks "
                                     "for 'split'")
    return feedback


def central_difference_answer(eps=1e-4):
    """The central difference of max(window) on I11 alone, computed (≈ 1/2)."""
    bump = np.zeros_like(CENTRAL_WINDOW)
    bump[0, 0] = eps
    up = maxpool2d((CENTRAL_WINDOW + bump)[None, None], 2)[0, 0, 0, 0]
    down = maxpool2d((CENTRAL_WINDOW - bump)[None, None], 2)[0, 0, 0, 0]
    return float((up - down) / (2 * eps))


def check_tied_central_difference(answer):
    """Exercise 3: what a central difference on I11 alone reports for max(CENTRAL_WINDOW)."""
    title = "Exercise 3: a central difference at a tie"
    hint = ("Push I11 up by ε: the max grows by ε. Push it down by ε: I12 = 3 still holds "
            "the max, so it does not move. Divide the difference by 2ε.")
    got = None if answer is None or answer is Ellipsis else _grid(answer)
    if got is not None and got.shape == () and got == 0:
        # a typed 0 is an answer here (a wrong one), not an untouched starter
        return Feedback(False, title, ["0 is the one-sided slope going down; going up, I11 becomes the max"], hint)
    feedback = check_values(title, answer, 0.5, atol=1e-6, hint=hint)
    if not feedback.ok and got is not None and got.shape == () and np.isclose(got, 1.0):
        feedback.problems.append("1 is the one-sided slope going up; going down the slope is 0 — "
                                 "the central difference averages them")
    return feedback


def filter_outputs():
    """The 2×2 output O = corr(I, W) of exercise 4 (no bias)."""
    return np.array([[np.sum(FILTER_IMAGE[r:r + 2, c:c + 2] * FILTER_W) for c in range(2)] for r in range(2)])


def filter_answer():
    """∂L/∂W for L = FILTER_LOSS_SCALE · max(O): the winning output's image patch times the upstream 3."""
    outputs = filter_outputs()
    r, c = np.unravel_index(np.argmax(outputs), outputs.shape)
    return FILTER_LOSS_SCALE * FILTER_IMAGE[r:r + 2, c:c + 2]


def check_filter_grad(answer):
    """Exercise 4: the learner's ∂L/∂W (2×2)."""
    expected = filter_answer()
    feedback = check_values("Exercise 4: ∂L/∂W through a max", answer, expected, names=entry_names("∂L/∂W", (2, 2)),
                            hint="Compute the four outputs o11 … o22 first; only the largest one reaches L, "
                                 "so ∂L/∂W is that output's image patch times ∂L/∂max = 3.")
    got = _grid(answer)
    if not feedback.ok and not _not_answered(feedback) and got is not None and got.shape == (2, 2):
        patches = {(r, c): FILTER_IMAGE[r:r + 2, c:c + 2] for r in range(2) for c in range(2)}
        if np.allclose(got, expected / FILTER_LOSS_SCALE):
            feedback.problems.append("the right patch, but multiply by the upstream gradient ∂L/∂max = 3")
        elif np.allclose(got, FILTER_LOSS_SCALE * sum(patches.values())) or np.allclose(got, sum(patches.values())):
            feedback.problems.append("you summed all four patches, as if every output reached L; "
                                     "the max passes the gradient to its winner only")
        else:
            for (r, c), patch in patches.items():
                if np.allclose(got, FILTER_LOSS_SCALE * patch) or np.allclose(got, patch):
                    feedback.problems.append(f"that is the patch of o{r + 1}{c + 1}; is o{r + 1}{c + 1} "
                                             "the largest output?")
    return feedback


def solutions():
    """Worked solutions (markdown) keyed by exercise number, for helpers.feedback.reveal."""
    routing_text = np.array2string(routing_answer(), formatter={"float_kind": lambda v: f"{v:g}"})
    outputs = filter_outputs()
    return {
        1: ("Windows (rows 1–2, cols 1–2): max 7 = I12 gets δ = −1. (rows 1–2, cols 3–4): max 6 = I24 gets 2. "
            "(rows 3–4, cols 1–2): max 9 = I41 gets 3. (rows 3–4, cols 3–4): max 8 = I33 gets 0.5. "
            f"Everything else is 0:\n\n```\n{routing_text}\n```"),
        2: f"Four tied entries share δ = {TIE_DY:g}: each gets {TIE_DY / 4:g}, and the shares add up to δ.",
        3: ("Up: max(3 + ε, 3) − 3 = ε. Down: max(3 − ε, 3) − 3 = 0. Central difference "
            "(ε − 0) / (2ε) = **0.5** — the average of the two one-sided slopes 1 and 0."),
        4: (f"O = I ⋆ W = {outputs.tolist()}; the max is o21 = {outputs.max():g}. Only o21 reaches L, so "
            f"∂L/∂W = 3 · (patch under o21) = 3 · {FILTER_IMAGE[1:3, 0:2].tolist()} = {filter_answer().tolist()}."),
    }
