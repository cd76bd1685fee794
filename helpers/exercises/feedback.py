"""What exercise checkers say: name the slip, never print the answer.

A checker gives ✔ and why, the message of a known ``Slip``, or *what* is wrong (entries, shape, sign, extra terms),
never the expected values; hints and worked solutions are shown only on request (``OnRequest``).
"""
import functools
import math
import re
from dataclasses import dataclass, field
from html import escape
from numbers import Integral
from pathlib import Path
from typing import NamedTuple

import numpy as np
from IPython.display import Markdown, display

from helpers.nn.conv import conv2d

NOT_ANSWERED = "not answered yet: replace the placeholder (None or ...) with your answer"
NOT_IMPLEMENTED = ("not answered yet: your function still raises NotImplementedError (or returns None) — "
                   "write its body, then run this cell again")
#: False in a graded notebook (classroom.graded.start): no feedback points to hints or worked solutions
HELP_ON_REQUEST = True
LIMIT = 1e6   # no answer of the course is larger; beyond it a number is a typo (and 1e200 must not overflow)


@dataclass
class Feedback:
    """The verdict of one check: ok, a title naming the exercise, one sentence for each thing that is off (or,
    when ok, why it is right), and a hint on how to ask for help, shown only when something is off."""
    ok: bool
    title: str
    problems: list = field(default_factory=list)
    hint: str = ""

    def __bool__(self):
        return self.ok

    def __str__(self):
        lines = [("✔ " if self.ok else "✘ ") + self.title] + [f"  - {p}" for p in self.problems]
        if not self.ok and self.hint:
            lines.append(f"  Stuck? {self.hint}")
        return "\n".join(lines)

    def _repr_html_(self):
        colour, mark = ("#1b7837", "✔") if self.ok else ("#b2182b", "✘")
        items = "".join(f"<li>{escape(p)}</li>" for p in self.problems)
        hint = f"<p><b>Stuck?</b> {escape(self.hint)}</p>" if (self.hint and not self.ok) else ""
        return (f'<div class="course-feedback" style="border-left:4px solid {colour};padding:4px 10px">'
                f"<b>{mark} {escape(self.title)}</b><ul>{items}</ul>{hint}</div>")


class Slip(NamedTuple):
    """A known wrong answer (numbers of the exercise's shape, or a SymPy expression) that a named misconception
    gives, and the message that names the slip and the section that explains it, never the expected answer."""
    answer: object
    message: str


@dataclass
class Exercise:
    """One exercise. key "NN-k" (notebook NN, exercise k) is the cells' {"course": {"exercise": key}} metadata;
    hints (gentlest first) and solution are Markdown, shown only on request; answer_code is the source a right
    answer cell holds (for instructors and the nbgrader converter); points its worth in a graded assignment."""
    key: str
    title: str
    hints: tuple
    solution: str
    answer_code: str
    points: int = 1

    @property
    def number(self):
        return int(self.key.split("-")[1])

    def right(self, why=""):
        return Feedback(True, self.title, [why] if why else [])

    def wrong(self, *problems):
        help_line = ""
        if HELP_ON_REQUEST and (self.hints or self.solution):   # the graded build has neither, and says nothing
            help_line = (f"ex.hint({self.number}) for a hint, ex.solution({self.number}) for the worked solution "
                         "(or the buttons below).")
        return Feedback(False, self.title, [p for p in problems if p], help_line)


def read_exercises(module_file):
    """{key: Exercise} of a checker module, from the Markdown file beside it (conv.py → conv.md). Each exercise
    is a section ``# 03-1 · title · 1 point`` with ``## Hint`` sections (gentlest first; a hint's lines are one
    paragraph) and one ``## Solution``, whose last python code block is the answer_code. The student build of
    the package (instructor/make_assignments.py) keeps the headings only: no hints, solution or answer_code."""
    text = Path(module_file).with_suffix(".md").read_text(encoding="utf-8")
    exercises = {}
    for head, body in re.findall(r"^# (\d\d-\d+ · [^\n]+)\n(.*?)(?=^# \d\d-\d+ · |\Z)", text, flags=re.M | re.S):
        key, title, points = re.fullmatch(r"(\S+) · (.+) · (\d+) points?", head).groups()
        parts = re.split(r"^## (Hint|Solution)\n", body, flags=re.M)[1:]
        sections = list(zip(parts[::2], (part.strip() for part in parts[1::2]), strict=True))
        hints = tuple(" ".join(part.split("\n")) for name, part in sections if name == "Hint")
        solution = next((part for name, part in sections if name == "Solution"), "")
        answer_code = (re.findall(r"```python\n(.*?)\n```", solution, flags=re.S) or [""])[-1]
        exercises[key] = Exercise(key, title, hints, solution, answer_code, int(points))
    return exercises


# ---------------------------------------------------------------- help, only on request
class OnRequest:
    """One notebook's ``hint``, ``solution`` and ``help``, shown only when asked; each checker module binds its
    own: ``hint, solution, help = OnRequest(EXERCISES).trio()``."""

    def __init__(self, exercises):
        self.EXERCISES = {exercise.number: exercise for exercise in exercises.values()}

    def _exercise(self, number):
        valid = isinstance(number, Integral) and not isinstance(number, bool)
        return self.EXERCISES.get(int(number)) if valid else None

    def _exercise_with(self, number, part):
        """Exercise ``number`` when it has ``part`` ("hints" or "solution") to show, else Markdown saying why not."""
        exercise = self._exercise(number)
        if exercise is None:
            return Markdown(f"There is no exercise {number!r} here; the exercises are {sorted(self.EXERCISES)}.")
        if not getattr(exercise, part):
            return Markdown(f"Exercise {exercise.number} is graded: this version has no hints or worked solutions.")
        return exercise

    def hint(self, number, level=1):
        """The hint ``level`` (1 = gentlest) of exercise ``number`` — shown only when you call this."""
        exercise = self._exercise_with(number, "hints")
        if isinstance(exercise, Markdown):
            return exercise
        hints = exercise.hints
        if isinstance(level, bool) or not isinstance(level, Integral) or not 1 <= level <= len(hints):
            return Markdown(f"Exercise {exercise.number} has hints 1 to {len(hints)}; got {level!r}.")
        more = f" (hint {level} of {len(hints)})" if len(hints) > 1 else ""
        return Markdown(f"**Hint, exercise {exercise.number}{more}.** {hints[level - 1]}")

    def solution(self, number):
        """The worked solution of exercise ``number`` — shown only when you call this."""
        exercise = self._exercise_with(number, "solution")
        if isinstance(exercise, Markdown):
            return exercise
        return Markdown(f"**Worked solution, exercise {exercise.number}.**\n\n{exercise.solution}")

    def help(self, number):  # noqa: A003 - the name a learner types
        """Buttons that show the hints and the worked solution of exercise ``number`` when clicked."""
        return HelpButtons(self, number)

    def trio(self):
        return self.hint, self.solution, self.help


class HelpButtons:
    """An exercise's hint and solution buttons (``.buttons``, in ``.widget``): nothing is shown before a click;
    ``.shown`` lists what was revealed."""

    def __init__(self, on_request, number):
        import ipywidgets as widgets

        self.output, self.shown, self.buttons = widgets.Output(), [], []
        exercise = on_request._exercise(number)
        hints = exercise.hints if exercise else ()
        shows = {f"Hint {level}": functools.partial(on_request.hint, number, level)
                 for level in range(1, len(hints) + 1)}
        if exercise and exercise.solution:
            shows["Worked solution"] = functools.partial(on_request.solution, number)
        if not shows:   # no such exercise, or a graded one: solution() says which
            self.widget = widgets.HTML(escape(on_request.solution(number).data))
            return
        for label, show in shows.items():
            button = widgets.Button(description=label, tooltip=f"{label} for exercise {exercise.number}")
            button.on_click(functools.partial(self._reveal, label, show))
            self.buttons.append(button)
        self.widget = widgets.VBox([widgets.HBox(self.buttons), self.output])
        self.widget.add_class("course-help")

    def _reveal(self, label, show, _button=None):
        self.shown.append(label)
        self.output.clear_output()
        with self.output:
            display(show())

    def _ipython_display_(self):
        display(self.widget)


# ---------------------------------------------------------------- the one entry point of every checker
class Wrong(ValueError):
    """An answer the checker cannot judge as given, with the sentence that says what is off."""


def checker(exercise, retitle=None):
    """Decorator: whatever the learner's answer makes go wrong inside the checker, the learner gets a
    Feedback saying what is off, never a traceback. The checker carries its ``.exercise``. retitle: a function
    of the title giving the one the verdict shows (a graded student's own numbers in it)."""
    def wrap(function):
        @functools.wraps(function)
        def safe(*args, **kwargs):
            try:
                verdict = function(*args, **kwargs)
            except Wrong as wrong:
                verdict = exercise.wrong(str(wrong))
            except Exception as error:  # the learner's input reached a corner we did not foresee
                verdict = exercise.wrong(f"the checker could not read this answer ({type(error).__name__}: "
                                         f"{str(error)[:200]}); write it as the exercise asks")
            if retitle:
                verdict.title = retitle(verdict.title)
            return verdict
        safe.exercise = exercise
        return safe
    return wrap


# ---------------------------------------------------------------- reading an answer
def _number(value, name):
    """One entry of an answer as an int or a float, or Wrong naming what is off with it."""
    if value is None or value is Ellipsis:
        raise Wrong(f"{name} is still a placeholder ({value!r}); put a number there")
    if isinstance(value, (bool, np.bool_)):
        raise Wrong(f"{name} is {value!r}, a truth value; write a number")
    if isinstance(value, (str, bytes)):
        raise Wrong(f"{name} is text in quotes ({value!r:.60}); write the number itself, without quotes")
    if isinstance(value, (complex, np.complexfloating)):
        raise Wrong(f"{name} is the complex number {value!r}; every answer here is a real number")
    if getattr(value, "free_symbols", None):
        raise Wrong(f"{name} is the SymPy formula {value}, with symbols in it; compute the number")
    if isinstance(value, Integral):     # Python, NumPy and SymPy integers: exact, however large
        value = int(value)
    else:
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise Wrong(f"{name} is {str(value)[:60]!r} (of type {type(value).__name__}), not a real number: "
                        "write a number") from None
        if not math.isfinite(value):
            raise Wrong(f"{name} is {value}; every entry must be a finite number")
    if abs(value) > LIMIT:
        raise Wrong(f"{name} is far larger than any answer of this exercise (at most {LIMIT:g} in size) — a typo?")
    return value


def _nested(value, name):
    """(shape, flat list of numbers) of a number, or of nested lists / tuples / arrays / SymPy matrices."""
    if hasattr(value, "tolist") and hasattr(value, "shape"):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return (), [_number(value, name)]
    parts = [_nested(item, name) for item in value]
    shapes = {shape for shape, _ in parts}
    if len(shapes) > 1:
        raise Wrong("the rows have different lengths (" + ", ".join(str(len(flat)) for _, flat in parts)
                    + " numbers); every row needs the same number of entries")
    return (len(value), *(shapes.pop() if shapes else ())), [number for _, flat in parts for number in flat]


def _shape_words(shape):
    if len(shape) == 1:
        return f"a list of {shape[0]} number{'s' if shape[0] != 1 else ''}, shape {shape}"
    rows = f" ({shape[0]} rows of {shape[1]} numbers)" if len(shape) == 2 else ""
    return f"an array of shape {shape}{rows}" if shape else "one number"


def read_numbers(answer, shape, integer=False, what="the answer", names=None):
    """The answer as a float array of ``shape`` (() for one number), or Wrong saying what is off; None or ``...``
    is NOT_ANSWERED. integer: only whole numbers pass (54.9 is refused, never truncated) and the result is int.
    names: the entries' names for the messages (default entry_names("", shape))."""
    if answer is None or answer is Ellipsis:
        raise Wrong(NOT_ANSWERED)
    got_shape, flat = _nested(answer, f"an entry of {what}" if shape and not isinstance(answer, str) else what)
    if got_shape != tuple(shape):
        raise Wrong(f"{what} is {_shape_words(got_shape)}; this exercise asks for {_shape_words(tuple(shape))}")
    array = np.array(flat, dtype=float).reshape(shape)
    if not integer:
        return array
    rounded = np.round(array)    # whole within the one tolerance of its own size: 54.000000000001 is 54
    whole = close(array, rounded, scale=np.maximum(np.abs(rounded), 1))
    if not np.all(whole):
        names = np.asarray(names if names is not None else entry_names("", array.shape) if shape else what, object)
        fractions = [names[i] for i in np.ndindex(array.shape) if not whole[i]]
        raise Wrong(f"{listed(fractions)}: not a whole number; {what} counts something, so it is a whole number "
                    "(round nothing: find the step that gave a fraction)")
    return rounded.astype(np.int64)


def call_learner(function, *args, where=""):
    """The learner's function run on copies of args: its result, or Wrong saying what failed.
    where: the case in words for the messages, e.g. "on a 6×6 input with stride 2"."""
    if function is None or function is Ellipsis:
        raise Wrong(NOT_ANSWERED)
    if not callable(function):
        raise Wrong("pass your function itself (its name, no parentheses); got an object of type "
                    f"{type(function).__name__}")
    try:
        with np.errstate(all="ignore"):
            result = function(*(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    except NotImplementedError:
        raise Wrong(NOT_IMPLEMENTED) from None
    except Exception as error:  # the learner's code: report it, do not crash the notebook
        raise Wrong(f"{where + ' ' if where else ''}your function raised {type(error).__name__}: "
                    f"{str(error)[:200]}") from None
    if result is None:
        raise Wrong(NOT_IMPLEMENTED)
    return result


# ---------------------------------------------------------------- judging numbers
def corr2d(image, kernel):
    """image (H, W) ⋆ kernel (KH, KW), a valid cross-correlation by the engine's conv2d: (H − KH + 1, W − KW + 1)."""
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    return conv2d.unchecked(image[None, None], kernel[None, None], np.zeros(1))[0, 0]


def entry_names(prefix, shape):
    """The entries' names in the math's 1-based notation: entry_names("o", (2, 2))[0, 1] == "o12"; "entry 1, 2"
    without a prefix."""
    names = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        numbers = [str(i + 1) for i in index]
        names[index] = prefix + "".join(numbers) if prefix else "entry " + ", ".join(numbers)
    return names


def listed(names):
    """Names (text) in words: "a, b and c", at most six and then how many more."""
    names = list(names)
    shown = names if len(names) <= 6 else names[:6] + [f"{len(names) - 6} more"]
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]


#: The one tolerance of every checker, relative to the answer's scale (its largest entry in size): float32 keeps
#: about 7 digits (rounding ≤ 6e-8 of the value) and a learner's float32 arithmetic a few roundings more, while
#: the course's answers have at most 4 significant digits, so any slip is off by ≥ 1e-3 of the scale.
RTOL = 1e-6
SCALE_FLOOR = 1e-6   # the scale of an answer that is all zeros: there, |got| ≤ 1e-12 passes


def close(got, want, scale=None):
    """Entry by entry, whether got equals want within the one tolerance: |got − want| ≤ RTOL · scale, the scale
    being the largest |want| (at least SCALE_FLOOR) unless given. The verdict and the list of wrong entries
    both use it. got, want: numbers or arrays that broadcast."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if scale is None:
        scale = max(float(np.max(np.abs(want), initial=0.0)), SCALE_FLOOR)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(got - want) <= RTOL * np.asarray(scale, dtype=float)


def same(got, want):
    """True when got has want's shape and every entry is close to want's."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and bool(np.all(close(got, want)))


def shown(value, want):
    """The learner's number as text, with enough digits (6 to 17 significant) not to read as ``want``."""
    for digits in range(6, 18):
        text = f"{value:.{digits}g}"
        if not close(float(text), want):
            return text
    return repr(value)


def check_numbers(exercise, answer, expected, names=None, slips=(), integer=False, why="", what="the answer"):
    """Judge a numeric answer: right (the Feedback says ``why``), a known slip (``slips``), or which entries are
    wrong, never the expected values. expected: a number or array-like, whose shape the answer must have;
    names: the entries' names in the math's notation (e.g. "∂L/∂W12"), same shape, or the prefix they share
    ("∂L/∂W": ∂L/∂W11, ∂L/∂W12, …); integer: only whole numbers. Every comparison, the verdict's and the wrong
    entries', is ``close``: the one tolerance."""
    want = np.asarray(expected, dtype=float)
    names = entry_names(names, want.shape) if isinstance(names, str) else names
    got = read_numbers(answer, want.shape, integer=integer, what=what, names=names)
    if same(got, want):
        return exercise.right(why)
    for slip in slips:
        if same(got, slip.answer) and not same(slip.answer, want):
            return exercise.wrong(slip.message)
    if want.ndim == 0:
        sign = " has the wrong sign" if want * got < 0 else " is not right"
        return exercise.wrong(f"{what} = {shown(got.item(), want)}{sign}")
    if want.ndim == 2 and want.shape[0] == want.shape[1] and same(got.T, want):
        return exercise.wrong("your rows and columns are swapped (transposed): the first index is the row, "
                              "the second the column — entry (1, 2) is row 1, column 2")
    names = np.asarray(names, dtype=object) if names is not None else entry_names("", want.shape)
    right_entries, negated = close(got, want), close(got, -want)
    wrong = [index for index in np.ndindex(want.shape) if not right_entries[index]]
    flipped = [names[i] for i in wrong if negated[i]]
    other_sign = [names[i] for i in wrong if want[i] * got[i] < 0 and names[i] not in flipped]
    right = want.size - len(wrong)
    problems = [f"every entry is wrong ({want.size} of {want.size})" if not right else
                f"{listed([names[i] for i in wrong])} {'is' if len(wrong) == 1 else 'are'} wrong; "
                f"the other {right} {'is' if right == 1 else 'are'} right"]
    if flipped:
        problems.append(f"{listed(flipped)}: the right size but the wrong sign")
    if other_sign:
        problems.append(f"{listed(other_sign)}: the wrong sign")
    return exercise.wrong(*problems)
