"""What exercise checkers say: specific feedback, a hint, and a solution to reveal.

Checkers in the topic modules call ``check_values`` and return its ``Feedback``; a notebook
cell that ends with a checker call shows the verdict as a coloured box.
"""
from dataclasses import dataclass, field
from html import escape

import numpy as np


@dataclass
class Feedback:
    """The verdict of one exercise check.

    ok:       True when the answer is right
    title:    one line naming the exercise
    problems: one sentence for each thing that is off (empty when ok)
    hint:     a nudge shown only when something is off
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
            lines.append(f"  Hint: {self.hint}")
        return "\n".join(lines)

    def _repr_html_(self):
        colour, mark = ("#1b7837", "✔") if self.ok else ("#b2182b", "✘")
        items = "".join(f"<li>{escape(p)}</li>" for p in self.problems)
        hint = f"<p><b>Hint:</b> {escape(self.hint)}</p>" if (self.hint and not self.ok) else ""
        return (f'<div class="course-feedback" style="border-left:4px solid {colour};padding:4px 10px">'
                f"<b>{mark} {escape(self.title)}</b><ul>{items}</ul>{hint}</div>")


NOT_ANSWERED = "not answered yet: replace the placeholder (None or ...) with your answer"
NOT_ANSWERED_ZEROS = "not answered yet: every entry is still 0 — replace the starter values with your answer"


def entry_names(prefix, shape):
    """Names of a matrix's entries in the math's 1-based notation: entry_names("o", (2, 2))[0, 1] == "o12"."""
    names = np.empty(shape, dtype=object)
    for row, col in np.ndindex(*shape):
        names[row, col] = f"{prefix}{row + 1}{col + 1}"
    return names


def check_values(title, answer, expected, names=None, atol=1e-8, hint=""):
    """Compare an answer with the expected values entry by entry.

    answer, expected: numbers or array-likes of the same shape
    names: optional array-like of the same shape naming each entry (e.g. "∂L/∂W12");
           default names are the 0-based indices
    Returns a Feedback that names every wrong entry with what was expected. An answer that is None, ``...``
    or all zeros (an untouched starter) is "not answered yet", without giving the expected values away.
    """
    if answer is None or answer is Ellipsis:
        return Feedback(False, title, [NOT_ANSWERED], hint)
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Feedback(False, title, [f"the answer must be numbers; got {answer!r}"], hint)
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return Feedback(False, title, [f"the answer has shape {got.shape}; expected shape {want.shape}"], hint)
    if not np.any(got) and np.any(want):
        # a starter of zeros: say so, and do not give the expected values away on "Run All"
        return Feedback(False, title, [NOT_ANSWERED_ZEROS], hint)
    if names is None:
        names = np.empty(want.shape, dtype=object)
        for index in np.ndindex(want.shape):
            names[index] = f"entry {index}" if index else "the value"
    names = np.asarray(names, dtype=object)
    problems = []
    for index in np.ndindex(want.shape):
        if not np.isclose(got[index], want[index], atol=atol, rtol=1e-6):
            problems.append(f"{names[index]} is {got[index]:.6g}; expected {want[index]:.6g}")
    return Feedback(not problems, title, problems, hint)


def reveal(summary, markdown_text):
    """A collapsed block the learner opens on purpose (a hint or a worked solution).

    Returns an IPython Markdown object; display it as the last line of a cell.
    """
    from IPython.display import Markdown

    return Markdown(f"<details><summary><b>{escape(summary)}</b></summary>\n\n{markdown_text}\n\n</details>")


def reveal_entry(summary, table, name):
    """``reveal(summary, table[name])``, with a clear error for a name the table does not have.

    table: {exercise name: markdown text}, e.g. a module's hints or worked solutions
    """
    if name not in table:
        raise ValueError(f"name must be one of {tuple(table)}; got {name!r}")
    return reveal(summary, table[name])
