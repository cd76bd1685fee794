"""Shared widget plumbing: flicker-free redraws and friendly messages instead of tracebacks.

Every widget of the course redraws through ``redraw`` (an Output widget cleared with
``wait=True``, so the old picture stays until the new one arrives) and reports a malformed
entry through ``message_html``. Errors that are not the learner's fault are *not* swallowed:
they appear as a traceback in the Output widget, where the tests find them.
"""
from html import escape

import matplotlib.pyplot as plt
from IPython.display import display


class InputError(ValueError):
    """A learner typed something the widget cannot use; its text is shown inside the widget."""


def redraw(output, figure):
    """Replace what ``output`` (an ipywidgets.Output) shows by ``figure``, without flicker, then close it."""
    with output:
        output.clear_output(wait=True)
        display(figure)
    plt.close(figure)


def message_html(text, kind="info"):
    """HTML for a one-line message; kind is "info", "ok" or "error"."""
    colour = {"info": "#333333", "ok": "#1b7837", "error": "#b2182b"}[kind]
    mark = {"info": "", "ok": "✔ ", "error": "⚠ "}[kind]
    return f'<span style="color:{colour}">{mark}{escape(text)}</span>'


def _short(number):
    """1e6 → "1e6", 250 → "250": a limit as a learner would write it."""
    mantissa, exponent = f"{number:.0e}".split("e")
    if float(f"{mantissa}e{exponent}") == number and abs(int(exponent)) >= 4:
        return f"{mantissa}e{int(exponent)}"
    return f"{number:g}"


def parse_numbers(text, count, name, limit=1e6):
    """Numbers from a learner's text field, checked without eval.

    text:  e.g. "1, -2.5, 3 4" (commas and/or spaces)
    count: how many numbers are required
    name:  what the field is called, for the message
    limit: the largest magnitude accepted (bigger numbers overflow the widgets' arithmetic and plots)
    Returns a list of floats; raises InputError with a message for the learner.
    """
    if not limit > 0:
        raise ValueError(f"limit must be a positive number; got {limit!r}")
    parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{name}: '{part}' is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"{name}: '{part}' is not a finite number")
        if abs(value) > limit:
            raise InputError(f"{name}: {value:g} is too large (limit ±{_short(limit)})")
        values.append(value)
    if len(values) != count:
        raise InputError(f"{name}: expected {count} numbers, got {len(values)}")
    return values
