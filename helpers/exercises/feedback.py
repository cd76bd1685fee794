"""What exercise checkers say: name the slip, never print the answer.

Every exercise of the course is an ``Exercise``: its key ("01-2": notebook 01, exercise 2), its title, its
hints and worked solution (shown only when the learner asks: ``ex.hint(2)``, ``ex.solution(2)`` or the
buttons of ``ex.help_buttons(2)``), and the cell a right answer would hold (for instructors). Checkers in
the ``*_exercises`` modules compare an answer with

- the expected answer — a right answer gets ✔ and one sentence on why it is right;
- a catalogue of known wrong answers (``Slip``: the answer a named misconception gives, and a message that
  names the slip and the section that explains it);
- otherwise they say *what* is wrong — which entries, which shape, which sign, which terms are extra —
  and never the expected values.

Checkers never raise and never pass a wrong answer: ``read_numbers`` turns any input (None, text, complex,
NaN, SymPy symbols, nested lists of the wrong shape, 54.9 where a whole number is asked, …) into numbers or
into a sentence saying what is wrong with it; ``checker`` turns anything left over into a Feedback.
"""
import functools
import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from html import escape
from numbers import Integral, Real

import numpy as np

NOT_ANSWERED = "not answered yet: replace the placeholder (None or ...) with your answer"
NOT_ANSWERED_ZEROS = "not answered yet: every entry is still 0 — replace the starter values with your answer"
NOT_IMPLEMENTED = ("not answered yet: your function still raises NotImplementedError (or returns None) — "
                   "write its body, then run this cell again")
LIMIT = 1e6   # no answer of the course is larger; beyond it a number is a typo (and 1e200 must not overflow)


def _check_shape(shape, name="shape"):
    """shape as a tuple of ints ≥ 0, or ValueError naming the argument."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of whole numbers; got {shape!r:.60}") from None
    if len(dims) > 8 or not all(isinstance(d, Integral) and not isinstance(d, bool) and 0 <= d <= 10_000
                                for d in dims):
        raise ValueError(f"{name} must be a tuple of at most 8 whole numbers 0 … 10000; got {shape!r:.60}")
    return tuple(int(d) for d in dims)


def _check_text(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text (str); got {type(value).__name__}")
    return value


def _check_exercises(exercises):
    if not isinstance(exercises, dict) or not all(isinstance(e, Exercise) for e in exercises.values()):
        raise TypeError("exercises must be a module's EXERCISES: a dict {number: Exercise}; got "
                        f"{type(exercises).__name__}")
    return exercises


@dataclass
class Feedback:
    """The verdict of one exercise check.

    ok:       True when the answer is right
    title:    one line naming the exercise
    problems: one sentence for each thing that is off (or, when ok, why the answer is right)
    hint:     how to ask for help, shown only when something is off (never the answer)
    """

    ok: bool
    title: str
    problems: list = field(default_factory=list)
    hint: str = ""

    def __bool__(self):
        return self.ok

    def __str__(self):
        head = ("✔ " if self.ok else "✘ ") + self.title
        lines = [head] + [f"  - {p}" for p in self.problems]
        if not self.ok and self.hint:
            lines.append(f"  Stuck? {self.hint}")
        return "\n".join(lines)

    def _repr_html_(self):
        colour, mark = ("#1b7837", "✔") if self.ok else ("#b2182b", "✘")
        items = "".join(f"<li>{escape(p)}</li>" for p in self.problems)
        hint = f"<p><b>Stuck?</b> {escape(self.hint)}</p>" if (self.hint and not self.ok) else ""
        return (f'<div class="course-feedback" style="border-left:4px solid {colour};padding:4px 10px">'
                f"<b>{mark} {escape(self.title)}</b><ul>{items}</ul>{hint}</div>")


# ---------------------------------------------------------------- exercises, slips, help on request


@dataclass
class Slip:
    """A known wrong answer: what a named misconception gives, and the message that names it.

    answer:  the wrong answer (numbers of the exercise's shape, or a SymPy expression)
    message: names the slip and the section that explains it; never the expected answer
    """

    answer: object
    message: str


@dataclass
class Exercise:
    """One exercise: its key (as in the notebook cells' metadata), title, hints, solution and points.

    key:         "NN-k": notebook NN, exercise k (the cells' {"course": {"exercise": key}} metadata)
    title:       what the feedback box says first
    hints:       markdown strings, gentlest first; shown by ``hint(k, level)`` only
    solution:    markdown worked solution; shown by ``solution(k)`` only
    answer_code: the source a right answer cell holds (instructors and the nbgrader converter use it)
    points:      what the exercise is worth in a graded assignment
    """

    key: str
    title: str
    hints: tuple
    solution: str
    answer_code: str
    points: int = 1

    @property
    def number(self):
        return int(self.key.split("-")[1])

    @property
    def help_line(self):
        return (f"ex.hint({self.number}) for a hint, ex.solution({self.number}) for the worked solution "
                f"(or the buttons below).")

    def right(self, why=""):
        return Feedback(True, self.title, [why] if why else [])

    def wrong(self, *problems):
        return Feedback(False, self.title, [p for p in problems if p], self.help_line)


def _markdown(text):
    from IPython.display import Markdown

    return Markdown(text)


def _lookup(exercises, number):
    if isinstance(number, bool) or not isinstance(number, Integral) or int(number) not in exercises:
        return None
    return exercises[int(number)]


def show_hint(exercises, number, level=1):
    """The hint number ``level`` (1 = gentlest) of exercise ``number`` of a module's EXERCISES, as Markdown."""
    exercise = _lookup(_check_exercises(exercises), number)
    if exercise is None:
        return _markdown(f"There is no exercise {number!r} here; the exercises are {sorted(exercises)}.")
    hints = exercise.hints
    if isinstance(level, bool) or not isinstance(level, Integral) or not 1 <= level <= len(hints):
        return _markdown(f"Exercise {exercise.number} has hints 1 to {len(hints)}; got {level!r}.")
    more = f" (hint {level} of {len(hints)})" if len(hints) > 1 else ""
    return _markdown(f"**Hint, exercise {exercise.number}{more}.** {hints[level - 1]}")


def show_solution(exercises, number):
    """The worked solution of exercise ``number`` of a module's EXERCISES, as Markdown."""
    exercise = _lookup(_check_exercises(exercises), number)
    if exercise is None:
        return _markdown(f"There is no exercise {number!r} here; the exercises are {sorted(exercises)}.")
    return _markdown(f"**Worked solution, exercise {exercise.number}.**\n\n{exercise.solution}")


class HelpButtons:
    """Buttons that show an exercise's hints and solution when clicked — nothing is shown before a click.

    Display ``.widget``. ``.shown`` lists what was revealed (for tests: ``.buttons[i].click()``).
    """

    def __init__(self, exercises, number):
        import ipywidgets as widgets

        self.exercise = _lookup(_check_exercises(exercises), number)
        self.output = widgets.Output()
        self.shown = []
        self.buttons = []
        if self.exercise is None:
            self.widget = widgets.HTML(f"There is no exercise {escape(repr(number))} here.")
            return
        labels = [f"Hint {i + 1}" for i in range(len(self.exercise.hints))] + ["Worked solution"]
        for label in labels:
            button = widgets.Button(description=label, tooltip=f"{label} for exercise {self.exercise.number}")
            button.on_click(functools.partial(self._reveal, label))
            button.add_class("course-help-button")
            self.buttons.append(button)
        self.widget = widgets.VBox([widgets.HBox(self.buttons), self.output])
        self.widget.add_class("course-help")

    def _reveal(self, label, _button=None):
        number = self.exercise.number
        text = (show_solution({number: self.exercise}, number) if label == "Worked solution"
                else show_hint({number: self.exercise}, number, int(label.split()[1])))
        self.shown.append(label)
        self.output.clear_output()
        with self.output:
            from IPython.display import display

            display(text)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def help_buttons(exercises, number):
    """``HelpButtons`` for exercise ``number`` of a module's EXERCISES."""
    return HelpButtons(exercises, number)


class OnRequest:
    """The help of one notebook's exercises, written once: ``hint``, ``solution`` and ``help``, shown only
    when asked. Each checker module binds its own: ``hint, solution, help = OnRequest(EXERCISES).trio()``."""

    def __init__(self, exercises):
        self.EXERCISES = exercises

    def hint(self, number, level=1):
        """The hint ``level`` (1 = gentlest) of exercise ``number`` — shown only when you call this."""
        return show_hint(self.EXERCISES, number, level)

    def solution(self, number):
        """The worked solution of exercise ``number`` — shown only when you call this."""
        return show_solution(self.EXERCISES, number)

    def help(self, number):  # noqa: A003 - the name a learner types
        """Buttons that show the hints and the worked solution of exercise ``number`` when clicked."""
        return help_buttons(self.EXERCISES, number)

    def trio(self):
        return self.hint, self.solution, self.help


def checker(exercise):
    """Decorator: whatever goes wrong inside the checker, the learner gets a Feedback, never a traceback."""

    def wrap(function):
        @functools.wraps(function)
        def safe(*args, **kwargs):
            try:
                result = function(*args, **kwargs)
            except Exception as error:  # the learner's input reached a corner we did not foresee
                return exercise.wrong(f"the checker could not read this answer ({type(error).__name__}: "
                                      f"{str(error)[:200]}); write it as the exercise asks")
            return result

        safe.exercise = exercise
        return safe

    return wrap


# ---------------------------------------------------------------- reading an answer as numbers


class _Refused(ValueError):
    """An answer that is not numbers, with the sentence that says why."""


def _type_words(value):
    return type(value).__name__


def _leaf(value, name, integer, limit):
    """One entry of an answer as an int or float, or _Refused naming what is wrong with it."""
    if value is None or value is Ellipsis:
        raise _Refused(f"{name} is still a placeholder ({value!r}); put a number there")
    if isinstance(value, (bool, np.bool_)):
        raise _Refused(f"{name} is {value!r}, a truth value; write a number")
    if isinstance(value, (str, bytes)):
        raise _Refused(f"{name} is text in quotes ({value!r}); write the number itself, without quotes")
    if isinstance(value, (complex, np.complexfloating)):
        raise _Refused(f"{name} is the complex number {value!r}; every answer here is a real number")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
        return _leaf(value, name, integer, limit)
    sp = sys.modules.get("sympy")  # a SymPy answer means SymPy is loaded; importing it here took 0.6 s
    if sp is not None and isinstance(value, sp.Basic):
        if value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise _Refused(f"{name} is {value}; every answer here is a finite number")
        if value.free_symbols:
            raise _Refused(f"{name} is the SymPy formula {value}, with symbols in it; compute the number")
        if not value.is_number:
            raise _Refused(f"{name} is the SymPy object {value!r}; write a number")
        if value.is_real is False or (value.is_real is None and sp.im(value) != 0):
            raise _Refused(f"{name} is {value}, not a real number; every answer here is real")
        if value.is_Integer:
            value = int(value)
        else:
            value = float(value)
    elif isinstance(value, Decimal):
        value = float(value)
    elif isinstance(value, Fraction):
        value = value.numerator if value.denominator == 1 else float(value)
    elif isinstance(value, Integral):
        value = int(value)
    elif isinstance(value, Real):
        value = float(value)
    else:
        raise _Refused(f"{name} is a {_type_words(value)} ({str(value)[:60]!r}); write a number")
    if isinstance(value, float):
        if math.isnan(value):
            raise _Refused(f"{name} is nan (not a number); every entry must be a finite number")
        if math.isinf(value):
            raise _Refused(f"{name} is {value}; every entry must be a finite number")
    if abs(value) > limit:
        shown = (f"{value:.3g}" if isinstance(value, float) or value.bit_length() < 60
                 else f"a number of about {int(value.bit_length() * 0.30103)} digits")
        raise _Refused(f"{name} is {shown}, far larger than any answer of this exercise (at most "
                       f"{limit:g} in size) — a typo?")
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise _Refused(f"{name} is {value:g}, not a whole number; this answer counts something, "
                               "so it is a whole number (round nothing: find the step that gave a fraction)")
            value = int(value)
    return value


def _nested(value, name, integer, limit):
    """(shape, flat list of numbers) of a nested list/tuple/array answer."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        value = value.tolist()
    elif type(value).__module__.startswith("sympy") and hasattr(value, "tolist") and hasattr(value, "shape"):
        value = value.tolist()   # a SymPy Matrix of numbers
    if isinstance(value, (list, tuple)):
        if not value:
            return (0,), []
        parts = [_nested(item, name, integer, limit) for item in value]
        shapes = {shape for shape, _ in parts}
        if len(shapes) != 1:
            raise _Refused("the rows have different lengths (" + ", ".join(str(len(flat)) for _, flat in parts)
                           + " numbers); every row needs the same number of entries")
        shape = shapes.pop()
        return (len(value),) + shape, [number for _, flat in parts for number in flat]
    if isinstance(value, (set, frozenset, dict)):
        raise _Refused(f"the answer is a {_type_words(value)}; write a list (order matters)")
    return (), [_leaf(value, name, integer, limit)]


def _shape_words(shape):
    if shape == ():
        return "one number"
    if len(shape) == 1:
        return f"a list of {shape[0]} number{'s' if shape[0] != 1 else ''}"
    if len(shape) == 2:
        return f"a {shape[0]}×{shape[1]} array ({shape[0]} rows of {shape[1]} numbers)"
    return f"an array of shape {shape}"


def read_numbers(answer, shape, integer=False, limit=LIMIT, what="the answer"):
    """The answer as a float (or int) NumPy array of ``shape``, or (None, the sentence saying what is wrong).

    shape:   the shape the exercise asks for (() for one number)
    integer: only whole numbers pass (54.9 is refused, never truncated); the array is then int
    Returns (array, None) or (None, problem). None or ``...`` gives (None, NOT_ANSWERED).
    """
    shape = _check_shape(shape)
    _check_text(what, "what")
    if isinstance(limit, bool) or not isinstance(limit, Real) or not limit > 0 or math.isnan(limit):
        raise ValueError(f"limit must be a positive number; got {limit!r}")
    if answer is None or answer is Ellipsis:
        return None, NOT_ANSWERED
    if isinstance(answer, (str, bytes)):
        return None, (f"{what} is text in quotes ({str(answer)[:60]!r}); write "
                      f"{'the number itself' if tuple(shape) == () else 'the numbers themselves'}, without quotes")
    if callable(answer) and not isinstance(answer, np.ndarray):
        return None, f"{what} is a function ({getattr(answer, '__name__', '?')}); write numbers"
    try:
        got_shape, flat = _nested(answer, f"an entry of {what}" if shape else what, integer, limit)
    except _Refused as refused:
        return None, str(refused)
    except RecursionError:
        return None, f"{what} is nested too deeply to be numbers"
    if got_shape != shape:
        if got_shape == ():
            return None, f"{what} is one number; this exercise asks for {_shape_words(shape)}"
        return None, (f"{what} has shape {got_shape} ({_shape_words(got_shape)}); this exercise asks for "
                      f"{_shape_words(shape)}")
    array = np.array(flat, dtype=np.int64 if integer else float).reshape(shape)
    return array, None


def entry_names(prefix, shape):
    """Names of a matrix's entries in the math's 1-based notation: entry_names("o", (2, 2))[0, 1] == "o12"."""
    _check_text(prefix, "prefix")
    shape = _check_shape(shape)
    if len(shape) != 2:
        raise ValueError(f"shape must have two entries (rows, columns); got {shape}")
    names = np.empty(shape, dtype=object)
    for row, col in np.ndindex(*shape):
        names[row, col] = f"{prefix}{row + 1}{col + 1}"
    return names


def _listed(names, most=6):
    names = list(names)
    if len(names) > most:
        return ", ".join(names[:most]) + f" and {len(names) - most} more"
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _close(a, b, atol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=1e-9))


def check_numbers(exercise, answer, expected, names=None, slips=(), integer=False, atol=1e-9, why="",
                  limit=LIMIT, what="the answer"):
    """Judge a numeric answer: right, a known slip, or which entries are wrong (never the expected values).

    expected: number or array-like; the answer must have its shape
    names:    array-like of the same shape naming each entry in the math's notation (e.g. "∂L/∂W12")
    slips:    ``Slip``s: known wrong answers with the message that names each
    integer:  only whole numbers pass
    why:      the sentence a right answer gets
    """
    if not isinstance(exercise, Exercise):
        raise TypeError(f"exercise must be an Exercise; got {type(exercise).__name__}")
    try:
        expected_shape, flat = _nested(expected, "expected", False, math.inf)
    except (_Refused, RecursionError) as refused:
        raise ValueError(f"expected must be finite numbers: {refused}") from None
    want = np.array(flat, dtype=float).reshape(expected_shape)
    for value, name in ((atol, "atol"),):
        if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
            raise ValueError(f"{name} must be a number ≥ 0; got {value!r}")
    if names is not None and np.shape(np.asarray(names, dtype=object)) != want.shape:
        raise ValueError(f"names must have the shape of expected {want.shape}; got {np.shape(names)}")
    slips = list(slips) if isinstance(slips, (list, tuple)) else None
    if slips is None or not all(isinstance(slip, Slip) for slip in slips):
        raise TypeError("slips must be a list of Slip")
    got, problem = read_numbers(answer, want.shape, integer=integer, limit=limit, what=what)
    if problem:
        return exercise.wrong(problem)
    if _close(got, want, atol):
        return exercise.right(why)
    for slip in slips:
        if _close(got, slip.answer, atol) and not _close(slip.answer, want, atol):
            return exercise.wrong(slip.message)
    if want.ndim == 0:
        if want != 0 and got != 0 and np.sign(got) != np.sign(want):
            return exercise.wrong(f"{what} = {got.item():g} has the wrong sign")
        return exercise.wrong(f"{what} = {got.item():g} is not right")
    if want.ndim == 2 and want.shape[0] == want.shape[1] and _close(got.T, want, atol):
        return exercise.wrong("your rows and columns are swapped (transposed): the first index is the row, "
                              "the second the column — entry (1, 2) is row 1, column 2")
    names = np.asarray(names, dtype=object) if names is not None else _default_names(want.shape)
    wrong = [index for index in np.ndindex(want.shape) if not np.isclose(got[index], want[index], atol=atol)]
    flipped_sign = [names[i] for i in wrong if want[i] != 0 and np.isclose(got[i], -want[i], atol=atol)]
    other_sign = [names[i] for i in wrong if want[i] != 0 and got[i] != 0 and np.sign(got[i]) != np.sign(want[i])
                  and names[i] not in flipped_sign]
    problems = []
    if len(wrong) == want.size:
        problems.append(f"every entry is wrong ({want.size} of {want.size})")
    else:
        problems.append(f"{_listed([names[i] for i in wrong])} {'is' if len(wrong) == 1 else 'are'} wrong; "
                        f"the other {want.size - len(wrong)} {'is' if want.size - len(wrong) == 1 else 'are'} right")
    if flipped_sign:
        problems.append(f"{_listed(flipped_sign)}: the right size but the wrong sign")
    if other_sign:
        problems.append(f"{_listed(other_sign)}: the wrong sign")
    return exercise.wrong(*problems)


def _default_names(shape):
    names = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        names[index] = "entry " + ", ".join(str(i + 1) for i in index)
    return names


def call_learner(function, *args, where=""):
    """Run the learner's function on copies of args: (result, None), or (None, the sentence saying what failed).

    where: words for the case, e.g. "on a 6×6 input with stride 2", put into the messages
    """
    if function is None or function is Ellipsis:
        return None, NOT_ANSWERED
    if not callable(function):
        return None, (f"pass your function itself (its name, no parentheses); got {_type_words(function)} "
                      f"{function!r:.40}")
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        with np.errstate(all="ignore"):
            result = function(*copies)
    except NotImplementedError:
        return None, NOT_IMPLEMENTED
    except Exception as error:  # the learner's code: report it, do not crash the notebook
        return None, f"{where + ' ' if where else ''}your function raised {type(error).__name__}: {str(error)[:200]}"
    if result is None:
        return None, NOT_IMPLEMENTED
    return result, None


def as_float_array(value, shape, what):
    """value as a float array of ``shape`` (from a learner's function), or (None, the sentence saying why not)."""
    shape = _check_shape(shape)
    _check_text(what, "what")
    try:
        if np.iscomplexobj(value):
            return None, f"{what} is complex; it must be real numbers"
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, f"{what} is a {_type_words(value)}, not an array of numbers"
    if array.shape != tuple(shape):
        return None, f"{what} has shape {array.shape}; it must have shape {tuple(shape)}"
    if not np.all(np.isfinite(array)):
        return None, f"{what} contains nan or inf"
    return array, None


# ---------------------------------------------------------------- the pre-issue-13 API (kept working)


def check_values(title, answer, expected, names=None, atol=1e-8, hint=""):
    """Compare an answer with the expected values entry by entry, without printing the expected values.

    Kept for old callers; exercise checkers use ``check_numbers``. Returns a Feedback.
    """
    exercise = Exercise("00-0", title, (), "", "")
    feedback = check_numbers(exercise, answer, expected, names=names, atol=atol)
    feedback.hint = hint
    return feedback


def reveal(summary, markdown_text):
    """A collapsed block (kept for old callers). Exercises use ``show_hint``/``show_solution`` on request."""
    from IPython.display import Markdown

    _check_text(summary, "summary")
    _check_text(markdown_text, "markdown_text")
    return Markdown(f"<details><summary><b>{escape(summary)}</b></summary>\n\n{markdown_text}\n\n</details>")


def reveal_entry(summary, table, name):
    """``reveal(summary, table[name])`` (kept for old callers), with a clear error for an unknown name."""
    if not isinstance(table, dict):
        raise TypeError(f"table must be a dict {{name: markdown}}; got {type(table).__name__}")
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"name must be one of {tuple(table)}; got {name!r}")
    return reveal(summary, table[name])
