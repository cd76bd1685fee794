"""Projector mode: one switch that makes figures and widgets readable from the back of a lecture hall.

The switch is the environment variable HOW_FILTERS_LEARN_PROJECTOR, set where JupyterLab (or the slide build)
starts, so that no notebook changes and a learner alone never sees it:

    HOW_FILTERS_LEARN_PROJECTOR=1 .venv/bin/jupyter lab …      # type 1.6 times larger
    HOW_FILTERS_LEARN_PROJECTOR=1.3 .venv/bin/jupyter lab …    # or any scale from 1 to 3

When helpers/ is imported (every notebook's setup cell does it) and the switch is on, apply() scales matplotlib's
base font size (the course's figures give their sizes relative to it: "small", "large") and puts one CSS rule on
the page that zooms every widget output by the same factor. Unset, 0 or "off": nothing happens.
"""
import os

VARIABLE = "HOW_FILTERS_LEARN_PROJECTOR"
ON_SCALE = 1.6            # what "1" (or "on") means: 10-point figure type becomes 16-point
LIMITS = (1.0, 3.0)
BASE_FONT_SIZE = 10.0     # matplotlib's default font.size, the course's figures' base


def scale(value):
    """The factor a value of the switch asks for: 1.0 when off, a float in LIMITS when on, None when not understood."""
    text = (value or "").strip().lower()
    if text in ("", "0", "off", "no", "false"):
        return 1.0
    if text in ("1", "on", "yes", "true"):
        return ON_SCALE
    try:
        factor = float(text)
    except ValueError:
        return None
    return factor if LIMITS[0] <= factor <= LIMITS[1] else None


def css(factor):
    """The page rule that zooms every widget (ipywidgets and the course's HTML steppers) by factor: the outermost
    widget of each output only, since a zoom inside a zoom would multiply."""
    return f"<style>.jp-OutputArea-output > .jupyter-widgets {{zoom:{factor:g}}}</style>"


def apply():
    """Read the switch once; when on, scale figure type and widgets; return the factor (1.0: off).

    A value it does not understand leaves projector mode off and says so, naming the variable."""
    value = os.environ.get(VARIABLE, "")
    factor = scale(value)
    if factor is None:
        print(f"{VARIABLE}={value!r} is not understood: use 1 (on, {ON_SCALE:g}× larger type), 0 (off) or a scale "
              f"from {LIMITS[0]:g} to {LIMITS[1]:g}; projector mode stays off.")
        return 1.0
    if factor == 1.0:
        return factor
    import matplotlib
    from IPython import get_ipython  # installed with ipywidgets
    from IPython.display import HTML, display

    matplotlib.rcParams["font.size"] = BASE_FONT_SIZE * factor
    shell = get_ipython()
    if shell is not None and "IPKernelApp" in shell.config:   # a Jupyter kernel: there is a page to put the rule on
        display(HTML(css(factor)))
    return factor
