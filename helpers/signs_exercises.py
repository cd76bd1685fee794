"""Exercise checkers for notebook 05 (signs of weight updates).

Each exercise has its numbers here (so notebook and checker agree), a checker that returns a
``helpers.feedback.Feedback`` naming what is off, and a worked solution to reveal.
Expected answers are computed with ``helpers.signs``, never typed in.
"""
import numpy as np

from helpers import signs
from helpers.feedback import NOT_ANSWERED, NOT_ANSWERED_ZEROS, Feedback, check_values, reveal

WEIGHT_NAMES = np.array([["ΔW11", "ΔW12"], ["ΔW21", "ΔW22"]], dtype=object)

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


# ---------------------------------------------------------------- 1
def update_answer():
    """ΔW (2, 2) of exercise 1."""
    return -UPDATE["lr"] * signs.filter_grad(UPDATE["image"], UPDATE["delta"])


def check_update(answer):
    """Exercise 1: answer is the (2, 2) update ΔW = −η corr(I, δ)."""
    title = "Exercise 1: one update ΔW = −η corr(I, δ)"
    hint = ("ΔW_ij = −η Σ_mn I(i+m, j+n) δ_mn: slide δ over I like a filter (no flip), "
            "multiply entry by entry, add, then multiply by −η.")
    feedback = check_values(title, answer, update_answer(), names=WEIGHT_NAMES, hint=hint)
    if feedback or np.shape(answer) != (2, 2):
        return feedback
    got = np.asarray(answer, dtype=float)
    if np.allclose(got, -update_answer()):
        feedback.problems.append("every entry has the opposite sign: the update is −η ∂L/∂W — did you drop the minus?")
    flipped = -UPDATE["lr"] * signs.filter_grad(UPDATE["image"], UPDATE["delta"][::-1, ::-1])
    if np.allclose(got, flipped):
        feedback.problems.append("these are the numbers you get with δ rotated by 180°: "
                                 "∂L/∂W = corr(I, δ) has no flip.")
    return feedback


def solution_update():
    I, d = UPDATE["image"], UPDATE["delta"]
    grad = signs.filter_grad(I, d)
    rows = []
    for (i, j), value in np.ndenumerate(grad):
        terms = " + ".join(f"{I[i + m, j + n]:g}·({d[m, n]:g})" for m in range(2) for n in range(2))
        step = -UPDATE["lr"] * value
        rows.append(f"- $\\partial L/\\partial W_{{{i + 1}{j + 1}}}$ = {terms} = **{value:g}**, "
                    f"so $\\Delta W_{{{i + 1}{j + 1}}} = -{UPDATE['lr']:g} \\cdot {value:g}$ = **{step:g}**")
    return reveal("Worked solution (exercise 1)",
                  "Slide the 2×2 δ over the 3×3 image; each position of δ's top-left corner is one weight:\n\n"
                  + "\n".join(rows)
                  + "\n\nThe input is never negative here, yet two weights go ↓ and two go ↑: the signs come from δ.")


# ---------------------------------------------------------------- 2
def signs_answer():
    """The signs (+1 ↑, −1 ↓, 0 no move) of the four updates of exercise 2, (2, 2) ints."""
    s = SIGNS
    grad_w, _, _ = signs.gradients(s["image"], s["weights"], s["bias"], s["downstream"], s["target"], s["relu"])
    return np.sign(-s["lr"] * grad_w).astype(int)


def check_signs(answer):
    """Exercise 2: answer (2, 2) of +1 / −1 / 0, the direction of each weight's next update."""
    title = "Exercise 2: which way does each weight move?"
    hint = ("Find the open outputs (o > 0) first: only they pass δ back. y < t and v > 0 make every open δ negative; "
            "the inputs are ≥ 0, so each weight's sum has one sign — or is 0 when all its open inputs are 0.")
    if answer is None or answer is Ellipsis:
        return Feedback(False, title, [NOT_ANSWERED], hint)
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Feedback(False, title, [f"the answer must be a 2×2 array of +1, −1 and 0; got {answer!r}"], hint)
    if got.shape != (2, 2):
        return Feedback(False, title, [f"the answer has shape {got.shape}; expected a 2×2 array"], hint)
    if not np.any(got):
        # the starter of zeros: say so, and do not give the expected signs away on "Run All"
        return Feedback(False, title, [NOT_ANSWERED_ZEROS], hint)
    want = signs_answer()
    words = {1: "+1 (↑ up)", -1: "−1 (↓ down)", 0: "0 (no move)"}
    problems = []
    for index, expected in np.ndenumerate(want):
        if got[index] == expected:
            continue
        name = WEIGHT_NAMES[index]
        if expected == 0:
            why = ("every term I·δ for it is either behind a closed ReLU gate (o ≤ 0, so δ = 0 there) "
                   "or has input 0 under it")
        else:
            why = "y < t and v > 0 make each open δ negative, and the inputs are ≥ 0, so −η·Σ I·δ > 0"
        problems.append(f"{name} is {got[index]:g}; expected {words[int(expected)]}: {why}")
    return Feedback(not problems, title, problems, hint)


def solution_signs():
    s = SIGNS
    o, _, y = signs.forward(s["image"], s["weights"], s["bias"], s["downstream"], s["relu"])
    grad_w, _, delta = signs.gradients(s["image"], s["weights"], s["bias"], s["downstream"], s["target"], s["relu"])
    outputs = ", ".join(f"o{m + 1}{n + 1} = {o[m, n]:g}" for m in range(2) for n in range(2))
    return reveal("Worked solution (exercise 2)",
                  f"Outputs: {outputs}. Two are ≤ 0, so their gates are closed and their δ is 0.\n\n"
                  f"y = {y:g} < t = {s['target']:g} and v = {s['downstream']:g} > 0, so each open δ = (y − t)·v/4 "
                  f"= {delta[0, 1]:g} < 0.\n\n"
                  f"∂L/∂W = I ⋆ δ = {np.round(grad_w, 4).tolist()}: three entries < 0 (those weights go ↑), and "
                  "W21 gets 0 — the two open outputs have input 0 under W21 (I22 for o12 and I31 for o21).\n\n"
                  f"Answer: `{signs_answer().tolist()}`. The ReLU's derivative never flipped a sign; it only "
                  "removed terms.")


# ---------------------------------------------------------------- 3
def _downstream_updates(v):
    d = DOWNSTREAM
    grad_w, _, _ = signs.gradients(d["image"], d["weights"], d["bias"], v, d["target"], d["relu"])
    return -d["lr"] * grad_w


def check_downstream(v):
    """Exercise 3: v, one number, must make all four filter weights go ↑ in the next step."""
    title = "Exercise 3: a downstream weight that makes every filter weight go up"
    hint = ("The sign of every update is the sign of −(y − t)·v here (inputs ≥ 0, gates open). "
            "The target is negative: which sign of v lets y = v·mean(a) sit above t, and how far can v go?")
    if v is None or v is Ellipsis:
        return Feedback(False, title, [NOT_ANSWERED], hint)
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
        return Feedback(False, title, [f"v must be one finite number; got {v!r}"], hint)
    d = DOWNSTREAM
    _, _, y = signs.forward(d["image"], d["weights"], d["bias"], float(v), d["relu"])
    update = _downstream_updates(float(v))
    if np.all(update > 0):
        return Feedback(True, title, [f"with v = {v:g}: y = {y:g} > t = {d['target']:g}, v < 0, so δ < 0 and "
                                      "all four weights go ↑"])
    if np.all(update == 0):
        why = "v = 0 blocks the error: δ = (y − t)·v/4 = 0" if v == 0 else f"y = {y:g} equals t exactly: δ = 0"
        return Feedback(False, title, [f"with v = {v:g} nothing moves: {why}"], hint)
    if v > 0:
        why = f"with v = {v:g} > 0, y = {y:g} lies above t = {d['target']:g}, so δ > 0 and all four go ↓"
    else:
        why = (f"with v = {v:g}, y = {y:g} undershoots t = {d['target']:g}: y − t < 0 and v < 0 make δ > 0, "
               "so all four go ↓")
    return Feedback(False, title, [why], hint)


def solution_downstream():
    d = DOWNSTREAM
    _, a, _ = signs.forward(d["image"], d["weights"], d["bias"], 1.0, d["relu"])
    mean = float(a.mean())
    return reveal("Worked solution (exercise 3)",
                  f"The outputs do not depend on v: every o = {a[0, 0]:g} > 0, so mean(a) = {mean:g} and "
                  f"y = {mean:g}·v. Every update has the sign of −(y − t)·v = −({mean:g}v + 1)·v.\n\n"
                  f"That is positive exactly when v < 0 and {mean:g}v + 1 > 0, i.e. **−{1 / mean:g} < v < 0** "
                  "(for example v = −1). At v = 0 or v = "
                  f"−{1 / mean:g} nothing moves; beyond −{1 / mean:g} y undershoots t and every arrow flips to ↓.\n\n"
                  "The same filter, the same non-negative input and the same ReLU: only the weight *after* the "
                  "filter decided the direction.")


# ---------------------------------------------------------------- 4
def decay_answer():
    """ΔW (2, 2) of exercise 4: −η λ W."""
    return -DECAY["lr"] * DECAY["weight_decay"] * DECAY["weights"]


def check_decay(answer):
    """Exercise 4: answer is the (2, 2) update from weight decay alone."""
    hint = "With δ = 0 the gradient is λW, so ΔW = −η λ W: each weight moves against its own sign."
    return check_values("Exercise 4: weight decay alone", answer, decay_answer(), names=WEIGHT_NAMES, hint=hint)


def solution_decay():
    d = DECAY
    step = d["lr"] * d["weight_decay"]
    rows = "\n".join(f"- $\\Delta W_{{{i + 1}{j + 1}}} = -{step:g} \\cdot ({w:g}) = {-step * w:g}$ "
                     f"({'↓ toward 0 from above' if w > 0 else '↑ toward 0 from below'})"
                     for (i, j), w in np.ndenumerate(d["weights"]))
    return reveal("Worked solution (exercise 4)",
                  f"∂L/∂W = I ⋆ δ + λW = 0 + λW, so ΔW = −ηλW = −{d['lr']:g}·{d['weight_decay']:g}·W "
                  f"= −{step:g}·W:\n\n{rows}\n\nPositive weights go down, negative ones go up: decay pulls toward 0 "
                  "from both sides, and never pushes a weight across 0 (as long as ηλ < 1).")
