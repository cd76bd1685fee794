"""What a learner types into a widget: numbers parsed without eval, and one-line messages instead of tracebacks."""
from html import escape


class InputError(ValueError):
    """A learner typed something the widget cannot use; its text is shown inside the widget."""


def message_html(text, kind="info"):
    """HTML for a one-line message (escaped); kind is "info", "ok" or "error"."""
    colour, mark = {"info": ("#333333", ""), "ok": ("#1b7837", "✔ "), "error": ("#b2182b", "⚠ ")}[kind]
    return f'<span style="color:{colour}">{mark}{escape(str(text))}</span>'


def _clip(text, limit=20):
    """text itself, or its first ``limit`` characters and "…" (a message never echoes a long token whole)."""
    return text if len(text) <= limit else text[:limit] + "…"


def parse_numbers(text, count, name, limit=1e6):
    """Numbers from a learner's text field, checked without eval.

    text:  e.g. "1, -2.5, 3 4" (commas, semicolons and/or spaces; the Unicode minus "−" the widgets print too)
    count: how many numbers are required; name: what the field is called, for the message
    limit: the largest magnitude accepted (bigger numbers overflow the widgets' arithmetic and plots)
    Returns a list of floats; raises InputError with a message for the learner that names the field.
    """
    parts = text.replace("\u2212", "-").replace(",", " ").replace(";", " ").split()
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{name}: '{_clip(part)}' is not a number") from None
        if value != value or abs(value) == float("inf"):
            raise InputError(f"{name}: '{_clip(part)}' is not a finite number")
        if abs(value) > limit:
            shown = f"{limit:g}".replace("e+0", "e")   # 1e6, as a learner would write it
            raise InputError(f"{name}: {_clip(part)} is too large (limit ±{shown})")
        values.append(value)
    if len(values) != count:
        raise InputError(f"{name}: expected {count} numbers, got {len(values)}")
    return values


def classed(widget, css_class):
    """widget, with the CSS class the browser tests and the benchmark find it by."""
    widget.add_class(css_class)
    return widget
