"""Exercise checkers for notebook 05 (signs of weight updates).

The small model of the notebook, written out here so the checkers stand on their own:
o = corr(I, W) + b, a = ReLU(o) (or a = o), y = v · mean(a), L = ½(y − t)², so δ = (y − t)·v/4·1[o > 0] and
ΔW = −η corr(I, δ). Each checker returns a ``helpers.exercises.feedback.Feedback``: ✔ with why, the named slip (a
dropped minus, the gradient's sign given instead of the move, transposed indices, a flipped δ, …), or which
entries are wrong — never the expected values. ``hint(k)``, ``solution(k)`` and ``help(k)`` show help only
when called.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from helpers.exercises.feedback import (
    Exercise,
    OnRequest,
    Slip,
    check_numbers,
    checker,
    read_numbers,
)

WEIGHT_NAMES = np.array([["ΔW11", "ΔW12"], ["ΔW21", "ΔW22"]], dtype=object)
SIGN_NAMES = np.array([["W11", "W12"], ["W21", "W22"]], dtype=object)

# 1. one update by hand: ΔW = −η corr(I, δ) with a given δ of both signs
UPDATE = {"image": np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 0.0]]),
          "delta": np.array([[0.5, -1.0], [0.0, 0.25]]),
          "lr": 0.1}

# 2. signs with a ReLU gate: two outputs closed
SIGNS = {"image": np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 1.0], [0.0, 2.0, 2.0]]),
         "weights": np.array([[0.5, -0.4], [-0.3, 0.2]]), "bias": 0.0, "downstream": 1.0, "target": 1.0,
         "relu": True, "lr": 0.1}

# 3. choose the downstream weight v so that every filter weight goes up
DOWNSTREAM = {"image": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
              "weights": np.full((2, 2), 0.1), "bias": 0.0, "target": -1.0, "relu": True, "lr": 0.1}

# 4. weight decay alone: the data are fitted (δ = 0), only ½ λ ‖W‖² pulls
DECAY = {"weights": np.array([[0.8, -0.6], [0.3, -0.1]]), "lr": 0.5, "weight_decay": 0.2}


# ---------------------------------------------------------------- the model


def _corr(image, kernel):
    """Valid cross-correlation of a 2-D image with a 2-D kernel (no flip)."""
    return np.einsum("rcij,ij->rc", sliding_window_view(image, kernel.shape), kernel)


def _forward(image, weights, bias, downstream, relu=True):
    """(o, a, y) of the model: o = corr(I, W) + b, a = ReLU(o) or o, y = v · mean(a)."""
    o = _corr(image, weights) + bias
    a = np.maximum(o, 0.0) if relu else o
    return o, a, downstream * a.mean()


def _filter_gradient(image, weights, bias, downstream, target, relu=True):
    """(∂L/∂W, δ) for L = ½(y − t)²: δ = (y − t)·v/4·1[o > 0], ∂L/∂W = corr(I, δ)."""
    o, a, y = _forward(image, weights, bias, downstream, relu)
    gate = (o > 0) if relu else np.ones_like(o, dtype=bool)
    delta = (y - target) * downstream / a.size * gate
    return _corr(image, delta), delta


# ---------------------------------------------------------------- 1


def update_answer():
    """ΔW (2, 2) of exercise 1."""
    return -UPDATE["lr"] * _corr(UPDATE["image"], UPDATE["delta"])


UPDATE_EXERCISE = Exercise(
    "05-1", "Exercise 1: one update ΔW = −η corr(I, δ)",
    hints=("ΔW_ij = −η Σ_mn I(i+m, j+n) δ_mn: slide δ over I like a filter (no flip), multiply entry by entry, "
           "add, then multiply by −η.",
           "ΔW12 uses the 2×2 patch of I one column to the right of the top-left one (rows 1–2, columns 2–3)."),
    solution="",
    answer_code="", points=2)


def _update_solution():
    I, d, lr = UPDATE["image"], UPDATE["delta"], UPDATE["lr"]
    grad = _corr(I, d)
    rows = []
    for (i, j), value in np.ndenumerate(grad):
        terms = " + ".join(f"{I[i + m, j + n]:g}·({d[m, n]:g})" for m in range(2) for n in range(2))
        rows.append(f"- $\\partial L/\\partial W_{{{i + 1}{j + 1}}}$ = {terms} = **{value:g}**, "
                    f"so $\\Delta W_{{{i + 1}{j + 1}}} = -{lr:g} \\cdot {value:g}$ = **{-lr * value:g}**")
    answer = [[round(float(v), 6) for v in row] for row in update_answer() + 0.0]
    text = ("Slide the 2×2 δ over the 3×3 image; each position of δ's top-left corner is one weight:\n\n"
            + "\n".join(rows)
            + "\n\nThe input is never negative here, yet two weights go ↓ and two go ↑: the signs come from δ."
            + f"\n\n```python\nmy_update = {answer}\n```")
    return text, f"my_update = {answer}"


UPDATE_EXERCISE.solution, UPDATE_EXERCISE.answer_code = _update_solution()


@checker(UPDATE_EXERCISE)
def check_update(answer):
    """Exercise 1: answer is the (2, 2) update ΔW = −η corr(I, δ)."""
    I, d, lr = UPDATE["image"], UPDATE["delta"], UPDATE["lr"]
    slips = [
        Slip(-update_answer(), "every entry has the opposite sign: the update is −η ∂L/∂W — did you drop the minus?"),
        Slip(-lr * _corr(I, d[::-1, ::-1]), "these are the numbers δ rotated by 180° gives: ∂L/∂W = corr(I, δ) has no "
                                           "flip (notebook 02)"),
        Slip(update_answer().T, "your rows and columns are swapped (transposed): ΔW12 is row 1, column 2 — the "
                                "first index is the row (notebook 00's notation)"),
        Slip(-_corr(I, d), "you left out η: ΔW = −η · ∂L/∂W"),
    ]
    return check_numbers(UPDATE_EXERCISE, answer, update_answer(), names=WEIGHT_NAMES, slips=slips,
                         why="−η times the sum of input × δ over each weight's patch; the signs come from δ.")


# ---------------------------------------------------------------- 2


def signs_answer():
    """The directions (+1 ↑, −1 ↓, 0 no move) of the four updates of exercise 2, (2, 2) ints."""
    s = SIGNS
    grad, _ = _filter_gradient(s["image"], s["weights"], s["bias"], s["downstream"], s["target"], s["relu"])
    return np.sign(-s["lr"] * grad).astype(int) + 0


SIGNS_EXERCISE = Exercise(
    "05-2", "Exercise 2: which way does each weight move?",
    hints=("Find the open outputs (o > 0) first: only they pass δ back.",
           "y < t and v > 0 make every open δ negative; the inputs are ≥ 0, so each weight's sum Σ I·δ has one sign "
           "— or is 0 when all its open inputs are 0. The move is −η times that sum."),
    solution="",
    answer_code="", points=2)


def _signs_solution():
    s = SIGNS
    o, _, y = _forward(s["image"], s["weights"], s["bias"], s["downstream"], s["relu"])
    grad, delta = _filter_gradient(s["image"], s["weights"], s["bias"], s["downstream"], s["target"], s["relu"])
    outputs = ", ".join(f"o{m + 1}{n + 1} = {o[m, n]:g}" for m in range(2) for n in range(2))
    open_delta = delta[delta != 0][0]
    text = (f"Outputs: {outputs}. Two are ≤ 0, so their gates are closed and their δ is 0.\n\n"
            f"y = {y:g} < t = {s['target']:g} and v = {s['downstream']:g} > 0, so each open δ = (y − t)·v/4 "
            f"= {open_delta:g} < 0.\n\n"
            f"∂L/∂W = corr(I, δ) = {np.round(grad, 4).tolist()}: three entries < 0 (those weights go ↑), and W21 "
            "gets 0 — the two open outputs have input 0 under W21 (I22 for o12 and I31 for o21).\n\n"
            f"```python\nmy_signs = {signs_answer().tolist()}\n```\n\nThe ReLU's derivative never flipped a sign; "
            "it only removed terms.")
    return text, f"my_signs = {signs_answer().tolist()}"


SIGNS_EXERCISE.solution, SIGNS_EXERCISE.answer_code = _signs_solution()


@checker(SIGNS_EXERCISE)
def check_signs(answer):
    """Exercise 2: answer (2, 2) of +1 / −1 / 0, the direction of each weight's next update."""
    got, problem = read_numbers(answer, (2, 2), integer=True)
    if problem:
        return SIGNS_EXERCISE.wrong(problem)
    if not np.isin(got, (-1, 0, 1)).all():
        return SIGNS_EXERCISE.wrong("give each weight's direction as +1 (↑), −1 (↓) or 0 (no move), not the size "
                                    "of the step")
    s = SIGNS
    no_gate, _ = _filter_gradient(s["image"], s["weights"], s["bias"], s["downstream"], s["target"], relu=False)
    slips = [
        Slip(-signs_answer(), "you gave the sign of the gradient ∂L/∂W; the weight moves by −η ∂L/∂W, the opposite "
                              "way (notebook 05 §2: a blue, negative gradient makes the weight go ↑)"),
        Slip(np.sign(-no_gate).astype(int), "you ignored the ReLU gates: outputs with o ≤ 0 pass back δ = 0 "
                                            "(notebook 05 §1, The gate, in numbers)"),
        Slip(signs_answer().T, "your rows and columns are swapped (transposed): W12 is row 1, column 2"),
    ]
    return check_numbers(SIGNS_EXERCISE, got, signs_answer(), names=SIGN_NAMES, slips=slips, integer=True,
                         why="the closed gates remove terms; every open term pushes the same way, so the ReLU never "
                             "chose a direction — δ did.")


# ---------------------------------------------------------------- 3


def _downstream_updates(v):
    d = DOWNSTREAM
    grad, _ = _filter_gradient(d["image"], d["weights"], d["bias"], v, d["target"], d["relu"])
    return -d["lr"] * grad


DOWNSTREAM_EXERCISE = Exercise(
    "05-3", "Exercise 3: a downstream weight that makes every filter weight go up",
    hints=("The sign of every update is the sign of −(y − t)·v here (inputs ≥ 0, gates open).",
           "The target is negative: which sign of v lets y = v·mean(a) sit above t — and how far can v go before y "
           "falls below t?"),
    solution="",
    answer_code="my_v = -1.0", points=1)


def _downstream_solution():
    d = DOWNSTREAM
    _, a, _ = _forward(d["image"], d["weights"], d["bias"], 1.0, d["relu"])
    mean = float(a.mean())
    return (f"The outputs do not depend on v: every o = {a[0, 0]:g} > 0, so mean(a) = {mean:g} and y = {mean:g}·v. "
            f"Every update has the sign of −(y − t)·v = −({mean:g}v + 1)·v.\n\n"
            f"That is positive exactly when v < 0 and {mean:g}v + 1 > 0, i.e. **−{1 / mean:g} < v < 0** (for example "
            f"v = −1). At v = 0 or v = −{1 / mean:g} nothing moves; beyond −{1 / mean:g} y undershoots t and every "
            "arrow flips to ↓.\n\n```python\nmy_v = -1.0\n```\n\nThe same filter, the same non-negative input and "
            "the same ReLU: only the weight *after* the filter decided the direction.")


DOWNSTREAM_EXERCISE.solution = _downstream_solution()


@checker(DOWNSTREAM_EXERCISE)
def check_downstream(v):
    """Exercise 3: v, one number, must make all four filter weights go ↑ in the next step."""
    got, problem = read_numbers(v, (), what="v")
    if problem:
        return DOWNSTREAM_EXERCISE.wrong(problem)
    v = float(got)
    d = DOWNSTREAM
    _, _, y = _forward(d["image"], d["weights"], d["bias"], v, d["relu"])
    update = _downstream_updates(v)
    if np.all(update > 0):
        return DOWNSTREAM_EXERCISE.right(f"with v = {v:g}: y = {y:g} > t = {d['target']:g} and v < 0, so δ < 0 and "
                                         "all four weights go ↑.")
    if np.all(update == 0):
        why = "v = 0 blocks the error: δ = (y − t)·v/4 = 0" if v == 0 else f"y = {y:g} equals t exactly: δ = 0"
        return DOWNSTREAM_EXERCISE.wrong(f"with v = {v:g} nothing moves: {why}")
    if v > 0:
        return DOWNSTREAM_EXERCISE.wrong(f"with v = {v:g} > 0, y = {y:g} lies above t = {d['target']:g}, so δ > 0 "
                                         "and all four go ↓")
    return DOWNSTREAM_EXERCISE.wrong(f"with v = {v:g}, y = {y:g} undershoots t = {d['target']:g}: y − t < 0 and "
                                     "v < 0 make δ > 0, so all four go ↓")


# ---------------------------------------------------------------- 4


def decay_answer():
    """ΔW (2, 2) of exercise 4: −η λ W."""
    return -DECAY["lr"] * DECAY["weight_decay"] * DECAY["weights"]


DECAY_EXERCISE = Exercise(
    "05-4", "Exercise 4: weight decay alone",
    hints=("With δ = 0 the gradient of L + ½λ‖W‖² is λW alone.",
           "ΔW = −η · (that gradient): each weight moves against its own sign."),
    solution="",
    answer_code="", points=1)


def _decay_solution():
    d = DECAY
    step = d["lr"] * d["weight_decay"]
    rows = "\n".join(f"- $\\Delta W_{{{i + 1}{j + 1}}} = -{step:g} \\cdot ({w:g}) = {-step * w:g}$ "
                     f"({'↓ toward 0 from above' if w > 0 else '↑ toward 0 from below'})"
                     for (i, j), w in np.ndenumerate(d["weights"]))
    answer = [[round(float(v), 6) for v in row] for row in decay_answer() + 0.0]
    return (f"∂L/∂W = corr(I, δ) + λW = 0 + λW, so ΔW = −ηλW = −{d['lr']:g}·{d['weight_decay']:g}·W "
            f"= −{step:g}·W:\n\n{rows}\n\nPositive weights go down, negative ones go up: decay pulls toward 0 from "
            f"both sides, and never pushes a weight across 0 (as long as ηλ < 1).\n\n"
            f"```python\nmy_decay_update = {answer}\n```"), f"my_decay_update = {answer}"


DECAY_EXERCISE.solution, DECAY_EXERCISE.answer_code = _decay_solution()


@checker(DECAY_EXERCISE)
def check_decay(answer):
    """Exercise 4: answer is the (2, 2) update from weight decay alone."""
    d = DECAY
    W, lr, lam = d["weights"], d["lr"], d["weight_decay"]
    slips = [
        Slip(-decay_answer(), "every entry has the wrong sign: the update is −η·λW — decay pulls each weight toward 0"),
        Slip(-lam * W, "you left out η: ΔW = −η · λW"),
        Slip(-lr * W, "you left out λ: the gradient of ½λ‖W‖² is λW"),
        Slip(W + decay_answer(), "that is the new weight W + ΔW; the exercise asks for the update ΔW"),
        Slip(-lr * lam * W / 2, "the ½ of ½λ‖W‖² cancels when you differentiate: the gradient is λW"),
    ]
    return check_numbers(DECAY_EXERCISE, answer, decay_answer(), names=WEIGHT_NAMES, slips=slips,
                         why="−ηλW: every weight moves toward 0, from whichever side it is on.")


# ---------------------------------------------------------------- help, on request only

EXERCISES = {1: UPDATE_EXERCISE, 2: SIGNS_EXERCISE, 3: DOWNSTREAM_EXERCISE, 4: DECAY_EXERCISE}
CHECKERS = {"05-1": check_update, "05-2": check_signs, "05-3": check_downstream, "05-4": check_decay}


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
