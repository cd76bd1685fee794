"""Exercise checkers for notebook 05 (signs of weight updates); their texts are in signs.md.

The notebook's small model, on the engine's correlation and ReLU: o = corr(I, W) + b, a = ReLU(o) (or a = o),
y = v · mean(a), L = ½(y − t)², so δ = (y − t)·v/4·1[o > 0] and ΔW = −η corr(I, δ).
"""
import numpy as np

from helpers.exercises.feedback import (
    OnRequest,
    Slip,
    Wrong,
    check_numbers,
    checker,
    corr2d,
    read_exercises,
    read_numbers,
)
from helpers.nn.layers import relu, relu_backward

BOTH_SIGNS = ("ΔW = −η corr(I, δ) takes each sign from δ and the inputs, and this δ has both signs (§1, Where the "
              "sign comes from: all four cases)")
ONE_WAY = ("ReLU's derivative is never negative, yet an update's sign follows −(y − t)·v·input, which δ and the "
           "inputs set weight by weight (§1, Where the sign comes from: all four cases; §2, The first misconception, "
           "refuted)")

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

EXERCISES = read_exercises(__file__)   # their titles, hints and solutions: signs.md
UPDATE_EXERCISE, SIGNS_EXERCISE, DOWNSTREAM_EXERCISE, DECAY_EXERCISE = EXERCISES.values()


# ---------------------------------------------------------------- the model
def _forward(case, v, gate):
    """(o, y) of the model for one of the cases above: o = corr(I, W) + b, y = v · mean(ReLU(o) if gate else o)."""
    o = corr2d(case["image"], case["weights"]) + case["bias"]
    return o, v * (relu.unchecked(o) if gate else o).mean()


def _filter_gradient(case, downstream=None, gate=None):
    """(∂L/∂W, δ) for L = ½(y − t)²: δ = relu_backward((y − t)·v/4, o), ∂L/∂W = corr(I, δ).

    downstream: v (default the case's); gate: put the ReLU in (default the case's "relu")."""
    v = case["downstream"] if downstream is None else downstream
    gate = case["relu"] if gate is None else gate
    o, y = _forward(case, v, gate)
    upstream = np.full(o.shape, (y - case["target"]) * v / o.size)       # ∂L/∂a
    delta = relu_backward.unchecked(upstream, o) if gate else upstream
    return corr2d(case["image"], delta), delta


# ---------------------------------------------------------------- 1
def update_answer():
    """ΔW (2, 2) of exercise 1."""
    return -UPDATE["lr"] * corr2d(UPDATE["image"], UPDATE["delta"])


@checker(UPDATE_EXERCISE)
def check_update(answer):
    """Exercise 1: answer is the (2, 2) update ΔW = −η corr(I, δ)."""
    I, d, lr, update = UPDATE["image"], UPDATE["delta"], UPDATE["lr"], update_answer()
    slips = [
        Slip(-update, "every entry has the opposite sign: the update is −η ∂L/∂W — did you drop the minus?"),
        Slip(-lr * corr2d(I, d[::-1, ::-1]), "these are the numbers δ rotated by 180° gives: ∂L/∂W = corr(I, δ) has "
                                             "no flip (notebook 02)"),
        Slip(update.T, "your rows and columns are swapped (transposed): ΔW12 is row 1, column 2 — the first index is "
                       "the row (notebook 00's notation)"),
        Slip(-corr2d(I, d), "you left out η: ΔW = −η · ∂L/∂W"),
        Slip(-np.abs(update), f"every weight goes down in your ΔW, as if weights always decreased: {BOTH_SIGNS}"),
        Slip(np.abs(update), f"every weight goes up in your ΔW, as if weights only moved one way: {BOTH_SIGNS}"),
    ]
    return check_numbers(UPDATE_EXERCISE, answer, update, names="ΔW", slips=slips,
                         why="−η times the sum of input × δ over each weight's patch; the signs come from δ.")


# ---------------------------------------------------------------- 2
def signs_answer():
    """The directions (+1 ↑, −1 ↓, 0 no move) of the four updates of exercise 2, (2, 2) ints."""
    return np.sign(-SIGNS["lr"] * _filter_gradient(SIGNS)[0]).astype(int) + 0


@checker(SIGNS_EXERCISE)
def check_signs(answer):
    """Exercise 2: answer (2, 2) of +1 / −1 / 0, the direction of each weight's next update."""
    got = read_numbers(answer, (2, 2), integer=True)
    if not np.isin(got, (-1, 0, 1)).all():
        raise Wrong("give each weight's direction as +1 (↑), −1 (↓) or 0 (no move), not the size of the step")
    slips = [
        Slip(-np.ones((2, 2)), f"every weight ↓: “weights always decrease” is the belief this notebook refutes. "
                               f"{ONE_WAY}"),
        Slip(np.ones((2, 2)), "every weight ↑, as if weights only moved one way — or as if closed ReLU gates passed δ "
                              f"back (o ≤ 0 passes back δ = 0: §1, The gate, in numbers). {ONE_WAY}"),
        Slip(-signs_answer(), "you gave the sign of the gradient ∂L/∂W; the weight moves by −η ∂L/∂W, the opposite "
                              "way (notebook 05 §2: a blue, negative gradient makes the weight go ↑)"),
        Slip(np.sign(-_filter_gradient(SIGNS, gate=False)[0]), "you ignored the ReLU gates: outputs with o ≤ 0 pass "
                                                               "back δ = 0 (notebook 05 §1, The gate, in numbers)"),
        Slip(signs_answer().T, "your rows and columns are swapped (transposed): W12 is row 1, column 2"),
    ]
    return check_numbers(SIGNS_EXERCISE, got, signs_answer(), names="W", slips=slips, integer=True,
                         why="the closed gates remove terms; every open term pushes the same way, so the ReLU never "
                             "chose a direction — δ did.")


# ---------------------------------------------------------------- 3
@checker(DOWNSTREAM_EXERCISE)
def check_downstream(v):
    """Exercise 3: v, one number, must make all four filter weights go ↑ in the next step."""
    v = float(read_numbers(v, (), what="v"))
    d = DOWNSTREAM
    y = _forward(d, v, d["relu"])[1]
    update = -d["lr"] * _filter_gradient(d, v)[0]
    if np.all(update > 0):
        return DOWNSTREAM_EXERCISE.right(f"with v = {v:g}: y = {y:g} > t = {d['target']:g} and v < 0, so δ < 0 and "
                                         "all four weights go ↑.")
    if np.all(update == 0):
        why = "v = 0 blocks the error: δ = (y − t)·v/4 = 0" if v == 0 else f"y = {y:g} equals t exactly: δ = 0"
        raise Wrong(f"with v = {v:g} nothing moves: {why}")
    if v > 0:
        raise Wrong(f"with v = {v:g} > 0, y = {y:g} lies above t = {d['target']:g}, so δ > 0 and all four go ↓")
    raise Wrong(f"with v = {v:g}, y = {y:g} undershoots t = {d['target']:g}: y − t < 0 and v < 0 make δ > 0, so "
                "all four go ↓")


# ---------------------------------------------------------------- 4
def decay_answer():
    """ΔW (2, 2) of exercise 4: −η λ W."""
    return -DECAY["lr"] * DECAY["weight_decay"] * DECAY["weights"]


@checker(DECAY_EXERCISE)
def check_decay(answer):
    """Exercise 4: answer is the (2, 2) update from weight decay alone."""
    W, lr, lam, update = DECAY["weights"], DECAY["lr"], DECAY["weight_decay"], decay_answer()
    toward_zero = "(§3 (c), L2 weight decay pulls toward zero from both sides)"
    slips = [
        Slip(-update, "every entry has the wrong sign: the update is −η·λW — decay pulls each weight toward 0"),
        Slip(-lam * W, "you left out η: ΔW = −η · λW"),
        Slip(-lr * W, "you left out λ: the gradient of ½λ‖W‖² is λW"),
        Slip(W + update, "that is the new weight W + ΔW; the exercise asks for the update ΔW"),
        Slip(-lr * lam * W / 2, "the ½ of ½λ‖W‖² cancels when you differentiate: the gradient is λW"),
        Slip(-np.abs(update), "every weight goes down in your ΔW, as if decay made weights smaller: it pulls each "
                              f"weight toward 0, so a negative weight goes up {toward_zero}"),
        Slip(np.abs(update), "every weight goes up in your ΔW; decay pulls each weight toward 0, so a positive weight "
                             f"goes down {toward_zero}"),
    ]
    return check_numbers(DECAY_EXERCISE, answer, update, names="ΔW", slips=slips,
                         why="−ηλW: every weight moves toward 0, from whichever side it is on.")


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
