"""Exercise checkers for notebook 06 (train the seed network).

Each checker returns a ``helpers.exercises.feedback.Feedback``: ✔ with why, the named slip (moving with the gradient,
swapped counts, a pool side rounded up, …), or which entries are wrong — never the expected values.
``hint(k)``, ``solution(k)`` and ``help(k)`` show help only when called. Exercise 2 reads the learner's own
run: the snapshot steps come from ``history["snapshot_steps"]`` (whatever SNAPSHOT_EVERY was), and a run
without snapshots gets a message, not a traceback.
"""
import numpy as np

from helpers.exercises.feedback import (
    Exercise,
    OnRequest,
    Slip,
    check_numbers,
    checker,
    read_numbers,
)

FILTER_KEYS = ("conv1.w", "conv2.w")

# 1. one SGD step on one filter weight, by hand
STEP = {"weight": 0.12, "grad": 0.5, "lr": 0.3}

# 2. numbers from the learner's own run, between the snapshots nearest these two steps (no cell prints them)
BETWEEN = (100, 300)

# 3. shapes through the network for another image size
SIZE = 32


# ---------------------------------------------------------------- 1


def step_answer():
    """The weight after one step W ← W − η ∂L/∂W of exercise 1."""
    return STEP["weight"] - STEP["lr"] * STEP["grad"]


STEP_EXERCISE = Exercise(
    "06-1", "Exercise 1: one SGD step on a filter weight",
    hints=("SGD moves against the gradient.",
           "W_new = W − η · ∂L/∂W: multiply the gradient by η first, then subtract it from the old weight."),
    solution=(f"$W_{{new}} = W - \\eta\\,\\partial L/\\partial W = {STEP['weight']:g} - {STEP['lr']:g} \\cdot "
              f"{STEP['grad']:g} = {STEP['weight']:g} - {STEP['lr'] * STEP['grad']:g} = {step_answer():+.2f}$.\n\n"
              "A positive weight became negative in one step: nothing in the update rule keeps a weight on its side "
              f"of zero — only the size of η·g compared with |W| matters.\n\n```python\nmy_weight = "
              f"{step_answer():.2f}\n```"),
    answer_code=f"my_weight = {STEP['weight']:g} - {STEP['lr']:g} * {STEP['grad']:g}", points=1)


@checker(STEP_EXERCISE)
def check_step(answer):
    """Exercise 1: answer is the new value of the weight (a number)."""
    w, g, lr = STEP["weight"], STEP["grad"], STEP["lr"]
    slips = [
        Slip(w + lr * g, "you moved *with* the gradient (W + η·g); SGD subtracts η·g (W ← W − η ∂L/∂W, the "
                         "table at the top)"),
        Slip(-lr * g, f"that is the update ΔW alone; add it to the old weight {w:g}"),
        Slip(w - g, "you left out η: the step is η·∂L/∂W"),
        Slip(w - lr, "you subtracted η itself; the step is η times the gradient"),
    ]
    return check_numbers(STEP_EXERCISE, answer, step_answer(), slips=slips, what="the new weight",
                         why="W − η·∂L/∂W: one step took a positive weight below zero.")


# ---------------------------------------------------------------- 2


def _snapshot_steps(history):
    """The snapshot steps of a run (list of ints), or (None, the sentence saying what is missing)."""
    if not isinstance(history, dict):
        return None, (f"history must be the dict network.train returned; got {type(history).__name__} — run the "
                      "training cell first")
    steps, snapshots = history.get("snapshot_steps"), history.get("snapshots")
    if not steps or not snapshots or len(steps) != len(snapshots):
        return None, ("this run kept no filter snapshots (history['snapshot_steps'] is empty): train with "
                      "snapshot_every set, e.g. SNAPSHOT_EVERY = 10, and run this cell again")
    if len(steps) < 2:
        return None, "this run kept only one snapshot; train longer or with a smaller SNAPSHOT_EVERY"
    return [int(s) for s in steps], None


def exercise_steps(history, near=BETWEEN):
    """(first, last): the snapshot steps of this run nearest to ``near`` (two distinct, increasing), or None."""
    steps, problem = _snapshot_steps(history)
    if problem:
        return None
    first = min(steps, key=lambda s: abs(s - near[0]))
    later = [s for s in steps if s > first] or [steps[-1]]
    last = min(later, key=lambda s: abs(s - near[1]))
    return (first, last) if first < last else None


def _signs_crossed(before, after):
    before, after = np.asarray(before), np.asarray(after)
    return int(np.sum((before >= 0) & (after < 0))), int(np.sum((before < 0) & (after >= 0)))


def crossing_counts(history, key="conv1.w", steps=None):
    """(weights of `key` that crossed + → −, that crossed − → +) between two snapshot steps of the run.

    steps: (first, last) snapshot steps; default ``exercise_steps(history)``.
    Raises ValueError with a sentence when the run has no such snapshots (the checker turns it into feedback).
    """
    snapshot_steps, problem = _snapshot_steps(history)
    if problem:
        raise ValueError(problem)
    if key not in FILTER_KEYS:
        raise ValueError(f"key must be one of {FILTER_KEYS}; got {key!r}")
    steps = exercise_steps(history) if steps is None else steps
    if (not isinstance(steps, (tuple, list)) or len(steps) != 2 or steps[0] not in snapshot_steps
            or steps[1] not in snapshot_steps or not steps[0] < steps[1]):
        raise ValueError(f"steps must be two snapshot steps of this run in increasing order; got {steps!r}, and "
                         f"this run's snapshots are at steps {snapshot_steps[0]}, {snapshot_steps[1]}, …, "
                         f"{snapshot_steps[-1]}")
    snapshots = history["snapshots"]
    before = snapshots[snapshot_steps.index(steps[0])][key]
    after = snapshots[snapshot_steps.index(steps[1])][key]
    return _signs_crossed(before, after)


RUN_COUNTS = Exercise(
    "06-2", "Exercise 2: zero crossings between two snapshots of your run",
    hints=("history['snapshot_steps'] lists the step of each snapshot: find the positions of your two steps, and "
           "take those two snapshots of conv1.w.",
           "Count the entries that are ≥ 0 in the first snapshot and < 0 in the second (+ → −), and the other way "
           "round (− → +). Boolean arrays combine with & and count with .sum()."),
    solution="""```python
first, last = ex.exercise_steps(history)
positions = history["snapshot_steps"]
before = history["snapshots"][positions.index(first)]["conv1.w"]
after = history["snapshots"][positions.index(last)]["conv1.w"]
to_negative = int(((before >= 0) & (after < 0)).sum())
to_positive = int(((before < 0) & (after >= 0)).sum())
my_counts = (to_negative, to_positive)
```
The numbers depend on the run (seed, data, SNAPSHOT_EVERY); the checker computes them from your history.""",
    answer_code='''first, last = ex.exercise_steps(history)
positions = history["snapshot_steps"]
before = history["snapshots"][positions.index(first)]["conv1.w"]
after = history["snapshots"][positions.index(last)]["conv1.w"]
my_counts = (int(((before >= 0) & (after < 0)).sum()), int(((before < 0) & (after >= 0)).sum()))''', points=2)


@checker(RUN_COUNTS)
def check_run_counts(answer, history, key="conv1.w", steps=None):
    """Exercise 2: answer = (crossings + → −, crossings − → +) of `key` between two snapshots of the run.

    steps: (first, last) snapshot steps; default ``exercise_steps(history)`` (nearest to BETWEEN).
    """
    _, problem = _snapshot_steps(history)
    if problem:
        return RUN_COUNTS.wrong(problem)
    steps = exercise_steps(history) if steps is None else steps
    try:
        expected = crossing_counts(history, key, steps)
    except ValueError as error:
        return RUN_COUNTS.wrong(str(error))
    got, problem = read_numbers(answer, (2,), integer=True, what="my_counts")
    if problem:
        return RUN_COUNTS.wrong(problem + ("" if answer is None else " — my_counts is (crossed + → −, crossed − → +)"))
    snapshots = history["snapshots"]
    start, end = snapshots[0][key], snapshots[-1][key]
    whole_run = _signs_crossed(start, end)
    names = np.array([f"the number of weights that crossed + → − between step {steps[0]} and step {steps[1]}",
                      "the number that crossed − → +"], dtype=object)
    slips = [
        Slip(expected[::-1], "your two counts are swapped: the first is + → − (≥ 0 before, < 0 after), the second "
                             "− → +, in the order section 4 prints them"),
        Slip(whole_run, "those are the crossings from the first snapshot to the last (the whole run, as section 4 "
                        f"counts them); count between step {steps[0]} and step {steps[1]}"),
    ]
    return check_numbers(RUN_COUNTS, got, expected, names=names, slips=slips, integer=True,
                         why=f"between step {steps[0]} and step {steps[1]} of your run — crossings happen in the "
                             "middle of training too, not only from the start.")


# ---------------------------------------------------------------- 3


def shapes_answer(size=SIZE):
    """(conv1 side, pool1 side, conv2 side, pool2 side, flatten length) for a size × size input (size ≥ 10)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 10 <= size <= 100_000:
        raise ValueError(f"size must be a whole number 10 … 100000 (smaller inputs vanish in pool2); got {size!r}")
    conv1 = size - 2
    pool1 = conv1 // 2
    conv2 = pool1 - 2
    pool2 = conv2 // 2
    return conv1, pool1, conv2, pool2, 6 * pool2 * pool2


SHAPES_EXERCISE = Exercise(
    "06-3", f"Exercise 3: shapes through the network for a {SIZE}×{SIZE} image",
    hints=("A 3×3 conv without padding loses 2 pixels of side length; a 2×2 pool halves it.",
           "Pooling rounds down (floor mode drops an odd last row and column); flatten multiplies channels × "
           "height × width."),
    solution="",
    answer_code=f"my_shapes = {shapes_answer()}", points=1)


def _shapes_solution():
    c1, p1, c2, p2, flat = shapes_answer()
    return (f"{SIZE} → conv 3×3: {SIZE} − 2 = **{c1}** → pool 2×2: ⌊{c1}/2⌋ = **{p1}** → conv 3×3: {p1} − 2 = "
            f"**{c2}** → pool 2×2: ⌊{c2}/2⌋ = **{p2}** (one row and column dropped) → flatten: 6 · {p2} · {p2} = "
            f"**{flat}**. So fc1.w would need shape (128, {flat}) instead of (128, 150): the dense layer is the only "
            f"part tied to the image size.\n\n```python\nmy_shapes = {shapes_answer()}\n```")


SHAPES_EXERCISE.solution = _shapes_solution()


@checker(SHAPES_EXERCISE)
def check_shapes(answer):
    """Exercise 3: the five whole numbers of shapes_answer() for a 32 × 32 input."""
    got, problem = read_numbers(answer, (5,), what="my_shapes")
    if problem:
        return SHAPES_EXERCISE.wrong(problem)
    names = np.array(["conv1 output side", "pool1 output side", "conv2 output side", "pool2 output side",
                      "flatten length (fc1's input)"], dtype=object)
    fractions = [names[i] for i, v in enumerate(got) if not float(v).is_integer()]
    if fractions:
        return SHAPES_EXERCISE.wrong(f"{', '.join(fractions)}: not a whole number — a side counts pixels; the 2×2 "
                                     "pool in floor mode drops an odd last row and column")
    c1, p1, c2 = SIZE - 2, (SIZE - 2) // 2, (SIZE - 2) // 2 - 2
    up = -(-c2 // 2)
    slips = [
        Slip((c1, p1, c2, up, 6 * up * up), "you rounded the second pool's side up; floor mode drops the odd last "
                                            "row and column"),
        Slip((c1, p1, c2, c2 // 2, (c2 // 2) ** 2), "flatten keeps all 6 channels: 6 × height × width"),
        Slip((SIZE, SIZE // 2, SIZE // 2, SIZE // 4, 6 * (SIZE // 4) ** 2), "the convs here have no padding: each "
                                                                            "3×3 conv loses 2 pixels of side"),
    ]
    return check_numbers(SHAPES_EXERCISE, got, shapes_answer(), names=names, slips=slips, integer=True,
                         why="each conv loses 2, each pool halves rounding down; only fc1 depends on the image size.")


# ---------------------------------------------------------------- help, on request only

EXERCISES = {1: STEP_EXERCISE, 2: RUN_COUNTS, 3: SHAPES_EXERCISE}
CHECKERS = {"06-1": check_step, "06-2": check_run_counts, "06-3": check_shapes}


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
