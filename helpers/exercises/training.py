"""Exercise checkers for notebook 06 (train the seed network); their texts are in training.md.

Exercise 2 reads the learner's own run: the snapshot steps come from ``history["snapshot_steps"]`` (whatever
SNAPSHOT_EVERY and EPOCHS were: a one-epoch run of 62 steps works too), and a run without snapshots gets a
message, not a traceback.
"""
import numpy as np

from helpers.exercises.feedback import OnRequest, Slip, Wrong, check_numbers, checker, read_exercises, read_numbers
from helpers.nn.conv import conv2d
from helpers.nn.network import FILTER_KEYS, SHAPES
from helpers.nn.pool import maxpool2d

# 1. one SGD step on one filter weight, by hand
STEP = {"weight": 0.12, "grad": 0.5, "lr": 0.3}

# 2. numbers from the learner's own run, between the snapshots nearest these two steps (no cell prints them); a run
#    that ends before the first is read from a third of the way to its end
BETWEEN = (100, 300)

# 3. shapes through the network for another image size
SIZE = 32

EXERCISES = read_exercises(__file__)   # their titles, hints and solutions: training.md
STEP_EXERCISE, RUN_COUNTS, SHAPES_EXERCISE = EXERCISES.values()


# ---------------------------------------------------------------- 1
def step_answer():
    """The weight after one step W ← W − η ∂L/∂W of exercise 1 (the step network.train takes)."""
    return STEP["weight"] - STEP["lr"] * STEP["grad"]


@checker(STEP_EXERCISE)
def check_step(answer):
    """Exercise 1: answer is the new value of the weight (a number)."""
    w, g, lr = STEP["weight"], STEP["grad"], STEP["lr"]
    slips = [
        Slip(w + lr * g, "you moved *with* the gradient (W + η·g); SGD subtracts η·g (W ← W − η ∂L/∂W, the "
                         "table at the top)"),
        Slip(-lr * g, "that is the update ΔW alone; the exercise asks for the weight after the step"),
        Slip(0.0, "nothing stops a weight at zero: W ← W − η ∂L/∂W has no floor, so a step moves the weight by the "
                  "whole η·∂L/∂W (section 7, Can filter weights become negative — and do they cross zero?)"),
        Slip(abs(step_answer()), "the right size, but on the wrong side of zero: nothing keeps a weight positive — "
                                 "not ReLU, not the sign it started with (section 7, Can filter weights become "
                                 "negative — and do they cross zero?)"),
        Slip(w - g, "you left out η: the step is η·∂L/∂W"),
        Slip(w - lr, "you subtracted η itself; the step is η times the gradient"),
    ]
    return check_numbers(STEP_EXERCISE, answer, step_answer(), slips=slips, what="the new weight",
                         why="W − η·∂L/∂W: one step took a positive weight below zero.")


# ---------------------------------------------------------------- 2
def _snapshot_steps(history):
    """The snapshot steps of a run (list of ints), or Wrong saying what is missing."""
    if not isinstance(history, dict):
        raise Wrong(f"history must be the dict network.train returned; got {type(history).__name__} — run the "
                    "training cell first")
    steps, snapshots = history.get("snapshot_steps"), history.get("snapshots")
    if not steps or not snapshots or len(steps) != len(snapshots):
        raise Wrong("this run kept no filter snapshots (history['snapshot_steps'] is empty): train with "
                    "snapshot_every set, e.g. SNAPSHOT_EVERY = 10, and run this cell again")
    if len(steps) < 2:
        raise Wrong("this run kept only one snapshot; train longer or with a smaller SNAPSHOT_EVERY")
    return [int(s) for s in steps]


def exercise_steps(history):
    """(first, last): the snapshot step of this run nearest to BETWEEN[1], and before it the one nearest to
    BETWEEN[0] (or, when the run ends before it, nearest to the same fraction of its length: 20 of a 62-step run);
    None when the run kept fewer than two snapshots."""
    try:
        steps = _snapshot_steps(history)
    except Wrong:
        return None
    last = min(steps[1:], key=lambda s: abs(s - BETWEEN[1]))
    aim = BETWEEN[0] if BETWEEN[0] < last else last * BETWEEN[0] / BETWEEN[1]
    first = min((s for s in steps if s < last), key=lambda s: abs(s - aim), default=None)
    return None if first is None else (first, last)


def _signs_crossed(before, after):
    """(entries that crossed + → −, that crossed − → +) from before to after."""
    before, after = np.asarray(before), np.asarray(after)
    return int(np.sum((before >= 0) & (after < 0))), int(np.sum((before < 0) & (after >= 0)))


def crossing_counts(history, key="conv1.w", steps=None):
    """(weights of `key` that crossed + → −, that crossed − → +) between two snapshot steps of the run.

    steps: (first, last) snapshot steps; default ``exercise_steps(history)``. Wrong when the run has none.
    """
    snapshot_steps = _snapshot_steps(history)
    if key not in FILTER_KEYS:
        raise Wrong(f"key must be one of {FILTER_KEYS}; got {key!r}")
    steps = exercise_steps(history) if steps is None else steps
    if (not isinstance(steps, (tuple, list)) or len(steps) != 2 or steps[0] not in snapshot_steps
            or steps[1] not in snapshot_steps or not steps[0] < steps[1]):
        raise Wrong(f"steps must be two snapshot steps of this run in increasing order; got {steps!r}, and this "
                    f"run's snapshots are at steps {snapshot_steps[0]}, {snapshot_steps[1]}, …, {snapshot_steps[-1]}")
    before, after = (history["snapshots"][snapshot_steps.index(step)][key] for step in steps)
    return _signs_crossed(before, after)


@checker(RUN_COUNTS)
def check_run_counts(answer, history, key="conv1.w", steps=None):
    """Exercise 2: answer = (crossings + → −, crossings − → +) of `key` between two snapshots ``steps``."""
    steps = exercise_steps(history) if steps is None else steps
    expected = crossing_counts(history, key, steps)     # a run without two snapshots: Wrong about history first
    got = read_numbers(answer, (2,), integer=True, what="my_counts (crossed + → −, crossed − → +)")
    snapshots = history["snapshots"]
    names = [f"the number of weights that crossed + → − between step {steps[0]} and step {steps[1]}",
             "the number that crossed − → +"]
    slips = [
        Slip(expected[::-1], "your two counts are swapped: the first is + → − (≥ 0 before, < 0 after), the second "
                             "− → +, in the order section 7's table gives them"),
        Slip(_signs_crossed(snapshots[0][key], snapshots[-1][key]), "those are the crossings from the first "
             f"snapshot to the last (the whole run, as section 7 counts them); count between step {steps[0]} and "
             f"step {steps[1]}"),
        Slip((0, 0), "no weight crossed zero, you say, as if weights stopped at zero or kept their sign; compare "
                     "each weight's sign in the two snapshots again (section 7, Can filter weights become negative — "
                     "and do they cross zero?)"),
    ]
    return check_numbers(RUN_COUNTS, got, expected, names=names, slips=slips, integer=True,
                         why=f"between step {steps[0]} and step {steps[1]} of your run — crossings happen in the "
                             "middle of training too, not only from the start.")


# ---------------------------------------------------------------- 3
def shapes_answer():
    """(conv1 side, pool1 side, conv2 side, pool2 side, flatten length) for a SIZE × SIZE input,
    read off the network's layers (network.SHAPES' filters, 2×2 pools) run on zeros."""
    w1, w2 = np.zeros(SHAPES["conv1.w"]), np.zeros(SHAPES["conv2.w"])
    conv1 = conv2d.unchecked(np.zeros((1, 1, SIZE, SIZE)), w1, np.zeros(len(w1)))
    pool1 = maxpool2d.unchecked(conv1, 2)
    conv2 = conv2d.unchecked(pool1, w2, np.zeros(len(w2)))
    pool2 = maxpool2d.unchecked(conv2, 2)
    return conv1.shape[-1], pool1.shape[-1], conv2.shape[-1], pool2.shape[-1], pool2[0].size


@checker(SHAPES_EXERCISE)
def check_shapes(answer):
    """Exercise 3: the five whole numbers of shapes_answer() for a 32 × 32 input."""
    names = ["conv1 output side", "pool1 output side", "conv2 output side", "pool2 output side",
             "flatten length (fc1's input)"]
    c1, p1, c2, _, _ = shapes_answer()
    up = -(-c2 // 2)
    slips = [
        Slip((c1, p1, c2, up, 6 * up * up), "you rounded the second pool's side up; floor mode drops the odd last "
                                            "row and column"),
        Slip((c1, p1, c2, c2 // 2, (c2 // 2) ** 2), "flatten keeps all 6 channels: 6 × height × width"),
        Slip((SIZE, SIZE // 2, SIZE // 2, SIZE // 4, 6 * (SIZE // 4) ** 2), "the convs here have no padding: each "
                                                                            "3×3 conv loses 2 pixels of side"),
    ]
    return check_numbers(SHAPES_EXERCISE, answer, shapes_answer(), names=names, slips=slips, integer=True,
                         what="my_shapes",
                         why="each conv loses 2, each pool halves rounding down; only fc1 depends on the image size.")


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
