"""Drawing for widgets that must repaint within 100 ms: small signed arrays as HTML tables, maps as tiny PNGs.

A matplotlib figure costs 0.3–1 s to render and ship at every key press. An HTML table of a few dozen
cells, or a PNG of a 26×26 map at its own resolution (the browser scales it up with sharp pixels), costs
about a millisecond in the kernel, and the widget updates in place. Static HTML exports show the same HTML.

Signed values: the diverging "RdBu_r" colours centred at zero (white), and a glyph in every cell
(+ / −, or ↑ / ↓ for updates), so nothing is carried by colour alone. Non-finite values (a diverged run)
are drawn grey with "nan" / "inf" instead of failing.

Arguments are checked at the door (a few isinstance / shape checks, cheap enough for every key press):
a wrong one raises ValueError or TypeError naming it. Sizes: a table has at most MAX_CELLS cells, an
image at most MAX_PIXELS pixels.
"""
import base64
import io
from html import escape
from numbers import Real

import matplotlib
import numpy as np
from PIL import Image  # Pillow: a dependency of matplotlib

from helpers.door import flag, integer_in, real_array

_RDBU = matplotlib.colormaps["RdBu_r"]
_LUT = np.round(_RDBU(np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)  # 256 colours, white at 127.5
NON_FINITE_RGB = (160, 160, 160)
MAX_CELLS = 10_000          # an HTML table is for a few dozen cells
MAX_PIXELS = 4096 * 4096    # a PNG map is for a few hundred pixels a side
MAX_DIGITS = 20
MAX_PX = 10_000             # sizes on screen (cells, fonts, images, legends) in pixels
MAX_SIDE = 100_000          # rows or columns of an image that boxes or an <img> are placed on


def _real(value, name):
    """value as a float if it is one real number (not a bool); TypeError naming name otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    return float(value)


def _positive(value, name, high=None):
    """value as a float if it is a finite real number > 0 (and ≤ high); ValueError / TypeError naming name."""
    value = _real(value, name)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high}; got {value!r}")
    return value


def _pixels(value, name):
    """A size on screen: a number of pixels > 0 and ≤ MAX_PX, as an int when it is a whole number."""
    value = _positive(value, name, MAX_PX)
    return int(value) if value == int(value) else value


def _count(value, name, low=1, high=MAX_SIDE):
    """value as an int if it is an integer from low to high (not a bool); ValueError / TypeError naming name."""
    return integer_in(value, name, low, high)


def _text(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string; got {type(value).__name__}")
    return value


def _shape(value, name):
    """(rows, cols) as two ints ≥ 1."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"{name} must be (rows, cols); got {value!r:.80}")
    return _count(value[0], name), _count(value[1], name)


def _map(values, name):
    """values as a 2-D float array of real numbers (non-finite allowed) with at most MAX_PIXELS entries."""
    values = real_array(values, name)
    if values.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (H, W); got shape {values.shape}")
    if values.size > MAX_PIXELS:
        raise ValueError(f"{name} has {values.size} entries; at most {MAX_PIXELS} can be drawn")
    return values.astype(float, copy=False)


def finite_limit(*arrays, floor=1e-9):
    """The largest |value| over the finite entries of the arrays (at least floor): a symmetric colour scale."""
    largest = floor
    for values in arrays:
        values = real_array(values, "arrays").astype(float, copy=False)
        finite = values[np.isfinite(values)]
        if finite.size:
            largest = max(largest, float(np.abs(finite).max()))
    return largest


def signed_text(value, digits=2, arrows=False, significant=False):
    """A value with its sign as a glyph: "+0.12", "−0.12", "0"; arrows: "↑ +0.12", "↓ −0.12", "· 0".

    digits: decimals, or significant digits when significant ("+0.00041" rather than "+0.0004"), 0…20
    """
    value = _real(value, "value")
    digits = _count(digits, "digits", low=0, high=MAX_DIGITS)
    arrows, significant = flag(arrows, "arrows"), flag(significant, "significant")
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("+inf" if value > 0 else "−inf")
    if value == 0:
        return "· 0" if arrows else "0"
    number = f"{abs(value):.{digits}g}" if significant else f"{abs(value):.{digits}f}"
    text = f"{'+' if value > 0 else '−'}{number}"
    return f"{'↑' if value > 0 else '↓'} {text}" if arrows else text


def signed_colour(value, limit):
    """(background, ink) CSS colours of a signed value on RdBu_r, centred at 0 (white); grey if not finite.

    limit: a finite number > 0 (the value drawn full red; −limit full blue)
    """
    return _signed_colour(_real(value, "value"), _positive(limit, "limit"))


def _signed_colour(value, limit):
    value = float(value)
    if not np.isfinite(value):
        return "rgb(160,160,160)", "#000000"
    red, green, blue = _LUT[int(round(127.5 + 127.5 * float(np.clip(value / limit, -1.0, 1.0))))]
    ink = "#ffffff" if abs(value) > 0.6 * limit else "#000000"
    return f"rgb({red},{green},{blue})", ink


def table_html(values, labels, limit, css_class="", cell_px=(46, 34), font_px=13, frame=None, row_names=None,
               col_names=None, colour=None):
    """An HTML table of a 2-D array: each cell coloured by its signed value and showing its label.

    values:   (H, W) numbers (coloured on a scale from −limit to +limit)
    labels:   (H, W) strings (HTML-escaped here; a newline becomes a line break), e.g. from ``signed_text``
    frame:    optional (row, col): that cell gets a thick dark outline
    row_names, col_names: optional header labels (strings) for the rows and columns
    colour:   optional colour(value, limit) -> (background, ink); default ``signed_colour``
    limit: a finite number > 0; cell_px: (width, height) and font_px in pixels ≤ MAX_PX; at most MAX_CELLS cells
    """
    values = real_array(values, "values")
    if values.ndim != 2:
        raise ValueError(f"values must be a 2-D array (H, W); got shape {values.shape}")
    if values.size > MAX_CELLS:
        raise ValueError(f"values has {values.size} cells; a table shows at most {MAX_CELLS}")
    values = values.astype(float, copy=False)
    _check_labels(labels, values.shape)
    limit = _positive(limit, "limit")
    css_class = _text(css_class, "css_class")
    if not (isinstance(cell_px, (tuple, list)) and len(cell_px) == 2):
        raise ValueError(f"cell_px must be (width, height) in pixels; got {cell_px!r:.80}")
    width, height = _pixels(cell_px[0], "cell_px"), _pixels(cell_px[1], "cell_px")
    font_px = _pixels(font_px, "font_px")
    if frame is not None:
        frame = _cell(frame)
    row_names = _names(row_names, values.shape[0], "row_names")
    col_names = _names(col_names, values.shape[1], "col_names")
    if colour is None:
        colour = _signed_colour
    elif not callable(colour):
        raise TypeError(f"colour must be a function colour(value, limit) -> (background, ink); "
                        f"got {type(colour).__name__}")
    rows = []
    if col_names is not None:
        head = "".join(f"<th style='font-weight:normal;color:#555;font-size:11px'>{escape(n)}</th>" for n in col_names)
        rows.append(f"<tr>{'<th></th>' if row_names is not None else ''}{head}</tr>")
    for r in range(values.shape[0]):
        tds = []
        if row_names is not None:
            tds.append(f"<th style='font-weight:normal;color:#555;font-size:11px;padding-right:3px'>"
                       f"{escape(row_names[r])}</th>")
        for c in range(values.shape[1]):
            try:
                background, ink = colour(values[r, c], limit)
            except (TypeError, ValueError) as error:
                raise TypeError(f"colour must be a function colour(value, limit) -> (background, ink); "
                                f"calling it failed: {error}") from None
            border = "3px solid #111" if frame == (r, c) else "1px solid #bbb"
            tds.append(f"<td style='background:{background};color:{ink};width:{width}px;height:{height}px;"
                       f"text-align:center;border:{border};padding:0 2px;white-space:nowrap;line-height:1.25'>"
                       f"{escape(str(labels[r][c])).replace(chr(10), '<br>')}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return (f"<table class='{escape(css_class)}' style='border-collapse:collapse;font-size:{font_px}px;"
            f"font-family:sans-serif'>" + "".join(rows) + "</table>")


def _check_labels(labels, shape):
    """labels: an (H, W) array or H sequences of W items, to match values of `shape`."""
    rows, cols = shape
    if isinstance(labels, np.ndarray):
        if labels.shape != shape:
            raise ValueError(f"labels must have the shape of values {shape}; got {labels.shape}")
        return
    if not (isinstance(labels, (list, tuple)) and len(labels) == rows
            and all(isinstance(row, (list, tuple, np.ndarray)) and len(row) == cols for row in labels)):
        raise ValueError(f"labels must be {rows} rows of {cols} labels each (the shape of values)")


def _cell(frame):
    if not (isinstance(frame, (tuple, list)) and len(frame) == 2):
        raise ValueError(f"frame must be None or a (row, col) pair; got {frame!r:.80}")
    return _count(frame[0], "frame", low=0, high=MAX_CELLS), _count(frame[1], "frame", low=0, high=MAX_CELLS)


def _names(names, count, name):
    """None, or `count` header labels as strings."""
    if names is None:
        return None
    if not (isinstance(names, (list, tuple, np.ndarray)) and len(names) == count):
        raise ValueError(f"{name} must be None or a list of {count} labels")
    return [str(n) for n in names]


def colour_legend(limit, label, width_px=180):
    """A horizontal colour bar: −limit (blue) … 0 (white) … +limit (red), with its meaning.

    limit: a finite number > 0; label: a string; width_px: an integer from 3 to MAX_PX
    """
    limit = _positive(limit, "limit")
    label = _text(label, "label")
    width_px = _count(width_px, "width_px", low=3, high=MAX_PX)
    stops = ", ".join(_signed_colour(v, 1.0)[0] for v in np.linspace(-1.0, 1.0, 9))
    third = width_px // 3
    return (f"<div class='course-colour-legend' style='margin-top:4px;font-size:11px;line-height:1.3;"
            f"white-space:nowrap'>{escape(label)}<br>"
            f"<div style='display:inline-block;width:{width_px}px;height:10px;"
            f"background:linear-gradient(to right, {stops});border:1px solid #999'></div><br>"
            f"<span style='display:inline-block;width:{third}px'>−{limit:.3g}</span>"
            f"<span style='display:inline-block;width:{third}px;text-align:center'>0</span>"
            f"<span style='display:inline-block;width:{third}px;text-align:right'>+{limit:.3g}</span></div>")


def grey_colour(value, vmax=1.0):
    """(background, ink) CSS colours of an unsigned value (a pixel): 0 white … vmax black (a finite number > 0)."""
    value, vmax = _real(value, "value"), _positive(vmax, "vmax")
    level = round(255 * (1.0 - float(np.clip(value / vmax, 0.0, 1.0)))) if np.isfinite(value) else 160
    return f"rgb({level},{level},{level})", "#ffffff" if level < 110 else "#000000"


def signed_rgb(values, limit):
    """(H, W) signed values → (H, W, 3) uint8 RdBu_r colours, centred at 0; non-finite entries grey.

    limit: a finite number > 0; at most MAX_PIXELS values
    """
    values = _map(values, "values")
    limit = _positive(limit, "limit")
    finite = np.isfinite(values)
    index = np.round(127.5 + 127.5 * np.clip(np.where(finite, values, 0.0) / limit, -1.0, 1.0)).astype(np.intp)
    rgb = _LUT[index]
    rgb[~finite] = NON_FINITE_RGB
    return rgb


def grey_rgb(values, vmin=0.0, vmax=1.0):
    """(H, W) values → (H, W, 3) uint8 grey: vmin white, vmax black (ink on paper, like a digit).

    vmin < vmax, both finite; at most MAX_PIXELS values; ±inf are drawn as the nearest end, NaN grey
    """
    values = _map(values, "values")
    vmin, vmax = _real(vmin, "vmin"), _real(vmax, "vmax")
    if not (np.isfinite(vmin) and np.isfinite(vmax) and vmax - vmin > 0 and np.isfinite(vmax - vmin)):
        raise ValueError(f"vmin and vmax must be finite numbers with vmin < vmax; got vmin={vmin!r}, vmax={vmax!r}")
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.clip((values - vmin) / (vmax - vmin), 0.0, 1.0)
    missing = np.isnan(scaled)
    level = np.round(255 * (1.0 - np.where(missing, 0.0, scaled))).astype(np.uint8)
    rgb = np.repeat(level[..., None], 3, axis=-1)
    rgb[missing] = NON_FINITE_RGB
    return rgb


def png_uri(rgb):
    """(H, W, 3) uint8 → a "data:image/png;base64,…" URI (a PNG at the array's own resolution).

    At most MAX_PIXELS pixels; H, W ≥ 1.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        got = f"dtype {rgb.dtype}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
        raise TypeError(f"rgb must be a uint8 NumPy array (H, W, 3), e.g. from signed_rgb; got {got}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"rgb must have shape (H, W, 3) with H, W ≥ 1; got {rgb.shape}")
    if rgb.shape[0] * rgb.shape[1] > MAX_PIXELS:
        raise ValueError(f"rgb has {rgb.shape[0] * rgb.shape[1]} pixels; at most {MAX_PIXELS} can be drawn")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def boxes_html(shape, boxes):
    """Outlines over an image of `shape` (rows, cols): boxes = [(row, col, height, width, css colour), …].

    shape: two integers from 1 to MAX_SIDE; at most MAX_CELLS boxes, their numbers finite
    """
    rows, cols = _shape(shape, "shape")
    if not isinstance(boxes, (list, tuple)) or len(boxes) > MAX_CELLS:
        raise TypeError(f"boxes must be a list of (row, col, height, width, colour); got {type(boxes).__name__}")
    checked = []
    for box in boxes:
        if not (isinstance(box, (tuple, list)) and len(box) == 5):
            raise ValueError(f"boxes must hold (row, col, height, width, colour) tuples; got {box!r:.80}")
        *numbers, colour = box
        numbers = [_real(number, "boxes") for number in numbers]
        if not all(np.isfinite(number) for number in numbers):
            raise ValueError(f"boxes must hold finite row, col, height and width; got {box!r:.80}")
        checked.append((*numbers, escape(_text(colour, "boxes"))))
    parts = []
    for row, col, height, width, colour in checked:
        parts.append(f"<div style='position:absolute;box-sizing:border-box;border:2px solid {colour};"
                     f"left:{100 * col / cols:.3f}%;top:{100 * row / rows:.3f}%;"
                     f"width:{100 * width / cols:.3f}%;height:{100 * height / rows:.3f}%'></div>")
    return "".join(parts)


def image_html(uri, shape, size_px, title="", overlay="", alt=""):
    """A tiny PNG shown at size_px wide with sharp pixels, an optional title above and HTML overlaid on it.

    uri: e.g. from ``png_uri``; shape: the image's (rows, cols), each ≤ MAX_SIDE; size_px: pixels ≤ MAX_PX;
    title, alt: text (escaped here); overlay: HTML, e.g. from ``boxes_html``
    """
    uri, title, overlay, alt = (_text(uri, "uri"), _text(title, "title"), _text(overlay, "overlay"),
                                _text(alt, "alt"))
    rows, cols = _shape(shape, "shape")
    size_px = _pixels(size_px, "size_px")
    height_px = round(size_px * rows / cols)
    return (f"<div style='display:inline-block;vertical-align:top;margin:0 6px 4px 0;font-size:11px;"
            f"text-align:center'>{escape(title)}"
            f"<div style='position:relative;width:{size_px}px;height:{height_px}px;border:1px solid #999'>"
            f"<img src='{escape(uri)}' alt='{escape(alt or title)}' style='width:100%;height:100%;"
            f"image-rendering:pixelated;display:block'>{overlay}</div></div>")
