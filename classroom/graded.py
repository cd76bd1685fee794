"""Graded mode of the exercises (nbgrader): whose numbers these are, the graded check, and honest implementations.

A graded notebook (made by instructor/make_assignments.py) runs ``graded.start("02")`` before its exercises:

- the student is nbgrader's: during ``nbgrader autograde`` the submission's folder
  (``autograded/<student>/<assignment>/``, the executed notebook's working directory), otherwise nbgrader's own
  user name (the unix user; ``JUPYTERHUB_USER`` when the unix user is ``jovyan``, as on a Docker-spawned hub);
  grading never reads anything else, so a student who sets STUDENT_VARIABLE only sees someone else's numbers;
- each numeric exercise of NUMBERS draws its image, filter, upstream gradient … from a seed of (course, notebook,
  student), so every student works their own numbers; the cells that show an exercise's numbers show these;
- feedback no longer points to hints or worked solutions (the student build of the package has none).

Each check cell is ``graded.check(ex.check_…, answer)``: it shows the course's check; under ``nbgrader
validate`` a wrong answer fails the cell; under ``nbgrader autograde`` the cell's value is the points, computed
by ``classroom.grading``, which only the instructor's install has. An implementation exercise
(ENGINE_FUNCTIONS) that calls the course's own function for the thing it asks for scores 0, and says so.
Self-study never calls this module: its numbers stay the notebooks' own.
"""
import contextlib
import hashlib
import importlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from IPython.display import Markdown, display

from helpers.exercises import feedback

COURSE_ID = "how-filters-learn"
GRADING_FOLDERS = ("autograded", "submitted", "feedback")   # nbgrader's <folder>/<student>/<assignment>/
STUDENT_VARIABLE = "HOW_FILTERS_LEARN_STUDENT"   # whose numbers, outside nbgrader's grading folders
STATE = {"notebook": None, "student": None}

#: implementation exercises: the course functions whose use (directly or through anything that calls them)
#: makes an answer a copy of the course's code
ENGINE_FUNCTIONS = {
    "03-2": ("helpers.exercises.feedback:corr2d", "helpers.nn.conv:conv2d", "helpers.nn.conv:conv2d_loops",
             "helpers.nn.conv:conv2d_backward", "helpers.nn.conv:conv2d_backward_loops",
             "helpers.derive.symbolic:filter_gradient", "helpers.derive.symbolic:correlate"),
    "03-4": ("helpers.nn.conv:col2im", "helpers.nn.conv:conv2d_backward", "helpers.nn.conv:conv2d_backward_loops"),
    "03-5": ("helpers.nn.conv:conv2d_backward", "helpers.nn.conv:conv2d_backward_loops"),   # col2im: exercise 4
    "04-5": ("helpers.nn.pool:maxpool2d_backward",),
}


# ---------------------------------------------------------------- whose numbers
def nbgrader_username():
    """The student id nbgrader's exchange uses (nbgrader.utils.get_username, without importing nbgrader)."""
    try:
        import pwd

        name = pwd.getpwuid(os.getuid())[0]
    except (ImportError, KeyError):
        import getpass

        name = getpass.getuser()
    return os.environ.get("JUPYTERHUB_USER", "jovyan") if name == "jovyan" else name


def student_id(cwd=None):
    """The student whose notebook this is: the folder nbgrader grades it in; else STUDENT_VARIABLE (an
    instructor's preview of a student's numbers, the tests' students); else nbgrader's user name."""
    cwd = Path.cwd() if cwd is None else Path(cwd)
    if len(cwd.parts) >= 3 and cwd.parent.parent.name in GRADING_FOLDERS:
        return cwd.parent.name
    return os.environ.get(STUDENT_VARIABLE) or nbgrader_username()


def seed(notebook, student):
    """A 64-bit seed of (course, notebook, student): the same on the student's side and the grader's."""
    return int.from_bytes(hashlib.sha256(f"{COURSE_ID}/{notebook}/{student}".encode()).digest()[:8], "big")


def _corr(image, kernel):
    return feedback.corr2d(image, kernel)


def _draw_00(rng):
    while True:   # four different outputs, so each named slip (o11, o21, o22, a flipped filter) means one thing
        image, weights = rng.integers(0, 4, (3, 3)).astype(float), rng.integers(-1, 3, (2, 2)).astype(float)
        out = _corr(image, weights)
        if (len(set(out.ravel())) == 4 and _corr(image, weights[::-1, ::-1])[0, 1] != out[0, 1]
                and image[0, 1] * weights[0, 0] != out[0, 1]):
            return {"helpers.exercises.start": {"WARMUP_IMAGE": image, "WARMUP_FILTER": weights}}


def _draw_01(rng):
    while True:   # four different outputs; the flipped filter and the one-product slips give other numbers
        image, weights = rng.integers(-2, 4, (3, 3)), rng.integers(-1, 3, (2, 2))
        out = _corr(image, weights)
        if (len(set(out.ravel())) == 4 and not np.allclose(out, _corr(image, weights[::-1, ::-1]))
                and not np.allclose(out, image[:2, :2] * weights)):
            return {"helpers.exercises.symbolic": {"OUTPUTS_IMAGE": tuple(map(tuple, image.tolist())),
                                                   "OUTPUTS_FILTER": tuple(map(tuple, weights.tolist()))}}


def _draw_02(rng):
    while True:   # 02-3: z − t not 0 or ±1 (else δ = ±v, a named slip); t ≠ 0 (else (z − t)·v = z·v)
        outputs, weights = rng.integers(-3, 4, (2, 2)), rng.integers(-2, 3, (2, 2))
        target = int(rng.integers(-3, 4))
        if target != 0 and abs(int((outputs * weights).sum()) - target) > 1 and np.count_nonzero(weights) >= 3:
            break
    while True:   # 02-4: a flipped δ must give other numbers than the right ones
        image = rng.integers(-2, 4, (3, 3))
        delta = rng.choice([-1.0, -0.5, 0.5, 1.0, 2.0], (2, 2))
        if not np.allclose(_corr(image, delta), _corr(image, delta[::-1, ::-1])):
            break
    while True:   # 02-2: the right footprint, the swapped weight's, stride 1's and W11's are four different maps
        footprint = {"n": int(rng.choice([5, 6, 7])), "k": 2, "stride": int(rng.choice([2, 3])),
                     "weight": ((1, 2), (2, 1))[int(rng.integers(2))]}
        self_study = (footprint["n"], footprint["stride"], footprint["weight"]) == (5, 2, (2, 1))   # solved in public
        if not self_study and len({_footprint_map(footprint, weight, stride).tobytes() for weight, stride in
                ((footprint["weight"], footprint["stride"]), (footprint["weight"][::-1], footprint["stride"]),
                 (footprint["weight"], 1), ((1, 1), footprint["stride"]))}) == 4:
            break
    # 02-1: an off-diagonal weight of the 3×3 filter, so "you swapped the indices" names another weight; not
    # self-study's W23, whose worked solution is public
    off_diagonal = [(i, j) for i in range(1, 4) for j in range(1, 4) if i != j]
    dw_weight = (2, 3)
    while dw_weight == (2, 3):
        dw_weight = off_diagonal[int(rng.integers(len(off_diagonal)))]
    return {"helpers.exercises.symbolic": {
        "DENSE_OUTPUTS": tuple(map(tuple, outputs.tolist())), "DENSE_WEIGHTS": tuple(map(tuple, weights.tolist())),
        "DENSE_TARGET": target, "GRADIENT_IMAGE": tuple(map(tuple, image.tolist())),
        "GRADIENT_DELTA": tuple(tuple(float(v) for v in row) for row in delta.tolist()),
        "DW_CASE": {"n": 4, "k": 3, "weight": dw_weight}, "FOOTPRINT_CASE": footprint}}


def _footprint_map(case, weight, stride):
    """The 0/1 map of the pixels W_weight multiplies (1-based weight; k×k filter on an n×n image, ``stride``)."""
    n, k, (i, j) = case["n"], case["k"], weight
    mask = np.zeros((n, n), dtype=int)
    starts = range(0, n - k + 1, stride)
    for row in starts:
        for column in starts:
            mask[row + i - 1, column + j - 1] = 1
    return mask


def _words_02():
    from helpers.exercises.symbolic import DW_CASE, FOOTPRINT_CASE

    (i, j), (r, c) = DW_CASE["weight"], FOOTPRINT_CASE["weight"]
    n, k, stride = FOOTPRINT_CASE["n"], FOOTPRINT_CASE["k"], FOOTPRINT_CASE["stride"]
    return (f"Your weight for exercise 1: $W_{{{i}{j}}}$ (row {i}, column {j} of the {DW_CASE['k']}×{DW_CASE['k']} "
            f"filter, on the {DW_CASE['n']}×{DW_CASE['n']} image): write $\\partial L/\\partial W_{{{i}{j}}}$.\n\n"
            f"Your case for exercise 2: a {k}×{k} filter on a **{n}×{n}** image with **stride {stride}**, and the "
            f"weight $W_{{{r}{c}}}$ (row {r}, column {c}): mark the pixels in $\\partial L/\\partial W_{{{r}{c}}}$, "
            f"a {n}×{n} list of lists.")


def _draw_04(rng):
    routing_x = rng.permutation(16).reshape(4, 4).astype(float)            # no ties: every value once
    routing_dy = rng.choice([-3.0, -2.0, -1.0, 0.5, 1.0, 2.0, 3.0], 4, replace=False).reshape(2, 2)
    tie = rng.choice(np.arange(1, 10) / 10, 3, replace=False)               # two tied maxima, two others lower
    tie.sort()
    window = np.array([tie[2], tie[2], tie[0], tie[1]])[rng.permutation(4)].reshape(2, 2)
    while True:   # 04-4: one largest output (no tie at the max), so only its patch reaches L
        image, weights = rng.integers(0, 4, (3, 3)).astype(float), rng.integers(-1, 3, (2, 2)).astype(float)
        out = _corr(image, weights)
        if np.sum(out == out.max()) == 1 and np.any(weights != 0):
            break
    return {"helpers.exercises.pool": {"ROUTING_X": routing_x, "ROUTING_DY": routing_dy, "TIE_WINDOW": window,
                                       "FILTER_IMAGE": image, "FILTER_W": weights}}


def _draw_05(rng):
    while True:   # a δ of both signs whose flip and transpose give other numbers
        image = rng.integers(0, 4, (3, 3)).astype(float)
        delta = rng.choice([-1.0, -0.5, 0.25, 0.5, 1.0], (2, 2))
        update = _corr(image, delta)
        if (delta.min() < 0 < delta.max() and not np.allclose(update, _corr(image, delta[::-1, ::-1]))
                and not np.allclose(update, update.T)):
            return {"helpers.exercises.signs": {"UPDATE": {"image": image, "delta": delta, "lr": 0.1}}}


def _draw_06(rng):
    while True:   # one step takes a positive weight below zero (the checker's why), each slip a different number
        step = {"weight": float(rng.choice([0.06, 0.08, 0.1, 0.12, 0.15, 0.2])),
                "grad": float(rng.choice([0.4, 0.5, 0.6, 0.8, 0.9])), "lr": float(rng.choice([0.2, 0.3, 0.4, 0.5]))}
        w, g, lr = step["weight"], step["grad"], step["lr"]
        values = [round(v, 9) for v in (w - lr * g, w + lr * g, -lr * g, 0.0, abs(w - lr * g), w - g, w - lr)]
        if w - lr * g < 0 and len(set(values)) == len(values):
            return {"helpers.exercises.training": {"STEP": step}}


def _words_06():
    from helpers.exercises.training import STEP

    return (f"Your numbers for exercise 1: $W = {STEP['weight']:g}$, $\\partial L/\\partial W = {STEP['grad']:g}$, "
            f"$\\eta = {STEP['lr']:g}$.")


#: notebook → (exercises whose numbers are each student's own, the draw of those numbers)
NUMBERS = {"00": (("00-1",), _draw_00), "01": (("01-1",), _draw_01),
           "02": (("02-1", "02-2", "02-3", "02-4"), _draw_02),
           "04": (("04-1", "04-2", "04-4"), _draw_04), "05": (("05-1",), _draw_05), "06": (("06-1",), _draw_06)}
#: notebook → the student's numbers in words, for exercises whose notebook states them in prose
IN_WORDS = {"02": _words_02, "06": _words_06}


def numbers(notebook, student):
    """{module: {name: value}}: the student's own numbers for a notebook's per-student exercises ({} if none)."""
    if notebook not in NUMBERS:
        return {}
    return NUMBERS[notebook][1](np.random.default_rng(seed(notebook, student)))


def _set(module, name, value):
    """Set a module's constant; an array in place, so functions that took it as a default see the new numbers."""
    old = getattr(module, name)
    if isinstance(old, np.ndarray) and np.shape(value) == old.shape:
        old[...] = value
    elif isinstance(old, dict):
        old.clear()
        old.update(value)
    else:
        setattr(module, name, value)


def _copy(value):
    return value.copy() if isinstance(value, (np.ndarray, dict)) else value


def personalise(notebook, student):
    """Give the exercise modules ``student``'s numbers for ``notebook``; returns the originals to restore."""
    saved = []
    for module_name, values in numbers(notebook, student).items():
        module = importlib.import_module(module_name)
        for name, value in values.items():
            saved.append((module, name, _copy(getattr(module, name))))
            _set(module, name, value)
    return saved


@contextlib.contextmanager
def personalised(notebook, student):
    """With ``student``'s numbers for ``notebook`` (for tests and the grader); the originals come back after."""
    saved, help_before = personalise(notebook, student), feedback.HELP_ON_REQUEST
    feedback.HELP_ON_REQUEST = False
    try:
        yield
    finally:
        for module, name, value in reversed(saved):
            _set(module, name, value)
        feedback.HELP_ON_REQUEST = help_before


def start(notebook):
    """The graded notebook's first exercise cell: this student's numbers, feedback without help pointers."""
    student = student_id()
    if STATE["student"] is None:
        personalise(notebook, student)
    STATE.update(notebook=notebook, student=student)
    feedback.HELP_ON_REQUEST = False
    own = NUMBERS.get(notebook, ((),))[0]
    mine = (f" Exercises {', '.join(own)} use numbers drawn for you alone: the cells that show them show yours."
            if own else "")
    words = f"\n\n{IN_WORDS[notebook]()}" if notebook in IN_WORDS else ""
    display(Markdown(f"**Graded version** for **{student}**.{mine} Each check says what is off, as in the course; "
                     f"your points come when your instructor grades the notebook.{words}"))


# ---------------------------------------------------------------- the graded check
class NotYetRight(Exception):
    """A graded check that is not right yet, under ``nbgrader validate``: the cell fails with one line."""

    def _render_traceback_(self):   # IPython shows this instead of a traceback
        return [f"✘ {self}"]


def engine_codes(key):
    """The code objects of the course functions exercise ``key`` must not call (empty for other exercises)."""
    codes = {}
    for name in ENGINE_FUNCTIONS.get(key, ()):
        module, function = name.split(":")
        value = getattr(importlib.import_module(module), function)
        codes[getattr(value, "unchecked", value).__code__] = f"{module}.{function}"
    return codes


def _within(frame, code):
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def watching(codes, inside=None):
    """Collect into the yielded list the names of the ``codes`` ({code: name}) called meanwhile — only those
    called from inside the code object ``inside``, if given (the learner's function)."""
    used = []

    def tracer(frame, event, _arg):
        if event == "call" and frame.f_code in codes and (inside is None or _within(frame, inside)):
            used.append(codes[frame.f_code])

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield used
    finally:
        sys.settrace(before)


@contextlib.contextmanager
def quiet():
    """No warnings on stderr: nbgrader gives 0 points to a test cell that wrote to stderr."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _code_of(function):
    function = getattr(function, "func", function)   # functools.partial
    return getattr(function, "__code__", None)


def check(checker, *args, **kwargs):
    """Show the course's check of the answer; under nbgrader, return the points (autograde) or fail (validate)."""
    exercise = checker.exercise
    codes = engine_codes(exercise.key)
    inside = _code_of(args[0]) if codes and args else None
    with quiet(), watching(codes if inside else {}, inside) as used:
        verdict = checker(*args, **kwargs)
    display(verdict)
    if used:
        display(Markdown(f"**Graded version:** your function calls the course's own `{used[0]}`. Grading runs it "
                         "without that function, on new inputs, and gives it 0 points: write the computation "
                         "yourself."))
    mode = os.environ.get("NBGRADER_EXECUTION")
    if mode == "autograde":
        try:
            from classroom import grading  # the instructor's install only
        except ImportError:
            return None
        with quiet():
            return grading.score(exercise.key, *args, **kwargs)
    if mode == "validate" and (not verdict.ok or used):
        title = getattr(verdict, "title", exercise.title)   # a per-student case's own title (02's weights)
        raise NotYetRight(f"{title}: not right yet (the check above says why)")
    return None
