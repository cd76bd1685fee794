"""The start notebook's environment check: versions, and a tiny live widget."""
import platform
import sys
from importlib import metadata

import ipywidgets as widgets

from helpers.door import number
from helpers.widgets.ui import classed

PACKAGES = ["numpy", "sympy", "matplotlib", "ipywidgets", "pooch", "jupyterlab"]


def versions():
    """{package: version} for Python and the course's packages ("missing" when not installed), read from
    their metadata without importing them (importing jupyterlab took 8 s of the start notebook's 8.6 s)."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def version_report():
    """A printable report; says what to do when something is missing or too old."""
    found = versions()
    lines = [f"{name:<11} {version}" for name, version in found.items()]
    problems = [name for name, version in found.items() if version == "missing"]
    if sys.version_info < (3, 11):
        problems.append("python (3.11 or newer is needed)")
    lines += ["", "All set." if not problems else
              "Missing or too old: " + ", ".join(problems) + ". Re-run the README's launch command."]
    return "\n".join(lines)


def live_widget(pixel=2.0):
    """A slider for one filter weight and the output it makes: proof that widgets talk to the kernel.

    pixel: the value of the single image pixel I11 (a finite number)
    Returns a VBox (CSS class "course-env-check") whose readout (class "course-env-readout") updates
    when the slider (class "course-env-slider") moves.
    """
    pixel = number(pixel, "pixel")
    slider = classed(widgets.FloatSlider(value=0.5, min=-2.0, max=2.0, step=0.25, description="W11",
                                         continuous_update=True, readout_format=".2f"), "course-env-slider")
    readout = classed(widgets.HTML(), "course-env-readout")

    def update(change=None):
        w = slider.value
        sign = "positive" if pixel * w > 0 else "negative" if pixel * w < 0 else "zero"
        readout.value = (f"o11 = I11 · W11 = {pixel:g} × {w:+.2f} = <b>{pixel * w:+.2f}</b> ({sign}). "
                         "Move the slider: if this number changes, widgets work.")

    slider.observe(update, names="value")
    update()
    return classed(widgets.VBox([slider, readout]), "course-env-check")
