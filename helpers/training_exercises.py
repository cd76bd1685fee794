"""Exercise checkers for notebook 06 (train the seed network).

Each checker returns a ``helpers.feedback.Feedback`` that names what is off; each ``solution_*``
returns a worked solution to reveal. Expected answers are computed, never typed in.
"""
import numpy as np

from helpers.feedback import check_values, reveal
from helpers.network import FILTER_KEYS, sign_changes

# 1. one SGD step on one filter weight, by hand
STEP = {"weight": 0.12, "grad": 0.5, "lr": 0.3}


def step_answer():
    """The weight after one step W ← W − η ∂L/∂W of exercise 1."""
    return STEP["weight"] - STEP["lr"] * STEP["grad"]


def check_step(answer):
    """Exercise 1: answer is the new value of the weight (a number)."""
    title = "Exercise 1: one SGD step on a filter weight"
    hint = "SGD moves against the gradient: W_new = W − η · ∂L/∂W."
    feedback = check_values(title, answer, step_answer(), names="the new weight", atol=1e-9, hint=hint)
    if feedback or np.ndim(answer) != 0:
        return feedback
    got = float(answer)
    if np.isclose(got, STEP["weight"] + STEP["lr"] * STEP["grad"]):
        feedback.problems.append("you moved *with* the gradient (W + η·g); SGD subtracts η·g.")
    elif np.isclose(got, -STEP["lr"] * STEP["grad"]):
        feedback.problems.append("that is the update ΔW alone; add it to the old weight 0.12.")
    return feedback


def solution_step():
    w, g, lr = STEP["weight"], STEP["grad"], STEP["lr"]
    return reveal("Worked solution (exercise 1)",
                  f"$W_{{new}} = W - \\eta\\,\\partial L/\\partial W = {w:g} - {lr:g} \\cdot {g:g} = {w:g} - "
                  f"{lr * g:g} = {step_answer():+.2f}$.\n\nA positive weight became negative in one step: nothing in "
                  "the update rule keeps a weight on its side of zero — only the size of η·g compared with |W| "
                  "matters.")


# 2. numbers from the learner's own run
def run_counts(history, key="conv1.w"):
    """(negative weights at the end, weights that crossed zero) of one filter bank over a run."""
    changes = sign_changes(history["snapshots"][0][key], history["snapshots"][-1][key])
    return changes["negative_after"], len(changes["to_negative"]) + len(changes["to_positive"])


def check_run_counts(answer, history, key="conv1.w"):
    """Exercise 2: answer = (how many weights of `key` are negative after training, how many crossed zero)."""
    if key not in FILTER_KEYS:
        raise ValueError(f"key must be one of {FILTER_KEYS}; got {key!r}")
    title = f"Exercise 2: signs in your own run ({key})"
    hint = ("Compare history['snapshots'][0][key] (step 0) with history['snapshots'][-1][key] (the end): "
            "count entries < 0, and entries whose sign differs between the two.")
    names = np.array([f"the number of negative weights of {key} after training",
                      "the number of weights that crossed zero"], dtype=object)
    return check_values(title, answer, run_counts(history, key), names=names, hint=hint)


def solution_run_counts(history, key="conv1.w"):
    negative, crossed = run_counts(history, key)
    return reveal("Worked solution (exercise 2)",
                  "```python\n"
                  f"start, end = history['snapshots'][0]['{key}'], history['snapshots'][-1]['{key}']\n"
                  "negative = int((end < 0).sum())\n"
                  "crossed = int(((start < 0) != (end < 0)).sum())\n"
                  "```\n"
                  f"In this run: **{negative}** negative weights at the end and **{crossed}** that crossed zero.")


# 3. shapes through the network for another image size
SIZE = 32


def shapes_answer(size=SIZE):
    """(conv1 side, pool1 side, conv2 side, pool2 side, flatten length) for a size × size input."""
    conv1 = size - 2
    pool1 = conv1 // 2
    conv2 = pool1 - 2
    pool2 = conv2 // 2
    return conv1, pool1, conv2, pool2, 6 * pool2 * pool2


def check_shapes(answer):
    """Exercise 3: the five numbers of shapes_answer() for a 32 × 32 input."""
    title = f"Exercise 3: shapes through the network for a {SIZE}×{SIZE} image"
    hint = ("A 3×3 conv without padding loses 2 pixels per side length; a 2×2 pool halves it, rounding "
            "down; flatten multiplies channels × height × width.")
    names = np.array(["conv1 output side", "pool1 output side", "conv2 output side", "pool2 output side",
                      "flatten length (fc1's input)"], dtype=object)
    feedback = check_values(title, answer, shapes_answer(), names=names, hint=hint)
    if not feedback and np.shape(answer) == (5,) and np.isclose(float(np.asarray(answer)[3]), 6.5):
        feedback.problems.append("a pool side must be a whole number: floor mode drops the last odd row/column.")
    return feedback


def solution_shapes():
    c1, p1, c2, p2, flat = shapes_answer()
    return reveal("Worked solution (exercise 3)",
                  f"{SIZE} → conv 3×3: {SIZE} − 2 = **{c1}** → pool 2×2: ⌊{c1}/2⌋ = **{p1}** → conv 3×3: "
                  f"{p1} − 2 = **{c2}** → pool 2×2: ⌊{c2}/2⌋ = **{p2}** (one row and column dropped) → "
                  f"flatten: 6 · {p2} · {p2} = **{flat}**. So fc1.w would need shape (128, {flat}) instead of "
                  "(128, 150): the dense layer is the only part tied to the image size.")
