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
    from ipywidgets import Output
    from matplotlib.figure import Figure

    if not isinstance(output, Output):
        raise ValueError(f"output must be an ipywidgets.Output; got {type(output).__name__}")
    if not isinstance(figure, Figure):
        raise ValueError(f"figure must be a matplotlib Figure; got {type(figure).__name__}")
    with output:
        output.clear_output(wait=True)
        display(figure)
    plt.close(figure)


MESSAGE_KINDS = ("info", "ok", "error")
ECHO_LIMIT = 20   # characters of a learner's token a message repeats; longer tokens end in "…"
MESSAGE_LIMIT = 2000  # characters of one message; longer ones are cut, ending in "…"


def message_html(text, kind="info"):
    """HTML for a one-line message (escaped; cut to MESSAGE_LIMIT characters); kind is "info", "ok" or "error"."""
    if not isinstance(kind, str) or kind not in MESSAGE_KINDS:
        raise ValueError(f"kind must be one of {MESSAGE_KINDS}; got {kind!r}")
    colour = {"info": "#333333", "ok": "#1b7837", "error": "#b2182b"}[kind]
    mark = {"info": "", "ok": "✔ ", "error": "⚠ "}[kind]
    return f'<span style="color:{colour}">{mark}{escape(_clip(str(text), MESSAGE_LIMIT))}</span>'


def _clip(text, limit=ECHO_LIMIT):
    """text itself, or its first ``limit`` characters and "…" (a message never echoes a long token whole)."""
    return text if len(text) <= limit else text[:limit] + "…"


def _short(number):
    """1e6 → "1e6", 250 → "250": a limit as a learner would write it."""
    mantissa, exponent = f"{number:.0e}".split("e")
    if float(f"{mantissa}e{exponent}") == number and abs(int(exponent)) >= 4:
        return f"{mantissa}e{int(exponent)}"
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))          # 1234567, not 1.23457e+06
    return f"{number:.6g}"


def parse_numbers(text, count, name, limit=1e6):
    """Numbers from a learner's text field, checked without eval.

    text:  e.g. "1, -2.5, 3 4" (commas and/or spaces; "−1" with the Unicode minus the widgets print works too)
    count: how many numbers are required
    name:  what the field is called, for the message
    limit: the largest magnitude accepted (bigger numbers overflow the widgets' arithmetic and plots)
    Returns a list of floats; raises InputError with a message for the learner, which repeats at most
    ECHO_LIMIT characters of what was typed.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string (a text field's value); got {type(text).__name__}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an integer ≥ 0; got {count!r}")
    if not isinstance(name, str):
        raise ValueError(f"name must be a string; got {type(name).__name__}")
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise ValueError(f"limit must be a positive number; got {limit!r}")
    parts = [p for p in text.replace("\u2212", "-").replace(",", " ").replace(";", " ").split() if p]
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{name}: '{_clip(part)}' is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"{name}: '{_clip(part)}' is not a finite number")
        if abs(value) > limit:
            raise InputError(f"{name}: {_clip(part)} is too large (limit ±{_short(limit)})")
        values.append(value)
    if len(values) != count:
        raise InputError(f"{name}: expected {count} numbers, got {len(values)}")
    return values
