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
    if feedback or answer is None or answer is Ellipsis or np.ndim(answer) != 0:
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


# 2. numbers from the learner's own run, between two snapshots no cell prints
BETWEEN = (100, 300)  # steps; the run keeps a snapshot every SNAPSHOT_EVERY = 10 steps


def _snapshot(history, step, key):
    steps = list(history["snapshot_steps"])
    if step not in steps:
        raise ValueError(f"step {step} has no snapshot in this run; snapshots exist at steps "
                         f"{steps[0]}, {steps[1]}, …, {steps[-1]}")
    return history["snapshots"][steps.index(step)][key]


def crossing_counts(history, key="conv1.w", steps=BETWEEN):
    """(weights of `key` that crossed + → −, weights that crossed − → +) between two snapshots.

    steps: (first, last) training steps that both have a snapshot in history["snapshot_steps"]
    """
    if key not in FILTER_KEYS:
        raise ValueError(f"key must be one of {FILTER_KEYS}; got {key!r}")
    first, last = steps
    if not first < last:
        raise ValueError(f"steps must be two snapshot steps in increasing order; got {steps!r}")
    changes = sign_changes(_snapshot(history, first, key), _snapshot(history, last, key))
    return len(changes["to_negative"]), len(changes["to_positive"])


def check_run_counts(answer, history, key="conv1.w", steps=BETWEEN):
    """Exercise 2: answer = (crossings + → −, crossings − → +) of `key` between the snapshots at `steps`."""
    expected = crossing_counts(history, key, steps)
    first, last = steps
    title = f"Exercise 2: zero crossings of {key} between step {first} and step {last} of your run"
    hint = (f"history['snapshot_steps'] lists the step of each snapshot: find the positions of {first} and {last}, "
            "take those two snapshots of the filter bank, and count the entries that are ≥ 0 at the first and "
            "< 0 at the second (+ → −), and the other way round (− → +).")
    names = np.array(["the number of weights that crossed + → −", "the number of weights that crossed − → +"],
                     dtype=object)
    return check_values(title, answer, expected, names=names, hint=hint)


def solution_run_counts(history, key="conv1.w", steps=BETWEEN):
    to_negative, to_positive = crossing_counts(history, key, steps)
    first, last = steps
    return reveal("Worked solution (exercise 2)",
                  "```python\n"
                  "positions = history['snapshot_steps']\n"
                  f"before = history['snapshots'][positions.index({first})]['{key}']\n"
                  f"after = history['snapshots'][positions.index({last})]['{key}']\n"
                  "to_negative = int(((before >= 0) & (after < 0)).sum())\n"
                  "to_positive = int(((before < 0) & (after >= 0)).sum())\n"
                  "```\n"
                  f"In this run: **{to_negative}** weights crossed + → − and **{to_positive}** crossed − → + "
                  f"between step {first} and step {last}.")


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
