"""Drawing for widgets that must repaint within 100 ms: small signed arrays as HTML tables, maps as tiny PNGs.

A matplotlib figure costs 0.3–1 s to render and ship at every key press. An HTML table of a few dozen
cells, or a PNG of a 26×26 map at its own resolution (the browser scales it up with sharp pixels), costs
about a millisecond in the kernel, and the widget updates in place. Static HTML exports show the same HTML.

Signed values: the diverging "RdBu_r" colours centred at zero (white), and a glyph in every cell
(+ / −, or ↑ / ↓ for updates), so nothing is carried by colour alone. Non-finite values (a diverged run)
are drawn grey with "nan" / "inf" instead of failing.
"""
import base64
import io
from html import escape

import matplotlib
import numpy as np
from PIL import Image  # Pillow: a dependency of matplotlib

_RDBU = matplotlib.colormaps["RdBu_r"]
_LUT = np.round(_RDBU(np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)  # 256 colours, white at 127.5
NON_FINITE_RGB = (160, 160, 160)


def finite_limit(*arrays, floor=1e-9):
    """The largest |value| over the finite entries of the arrays (at least floor): a symmetric colour scale."""
    largest = floor
    for values in arrays:
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size:
            largest = max(largest, float(np.abs(finite).max()))
    return largest


def signed_text(value, digits=2, arrows=False, significant=False):
    """A value with its sign as a glyph: "+0.12", "−0.12", "0"; arrows: "↑ +0.12", "↓ −0.12", "· 0".

    digits: decimals, or significant digits when significant ("+0.00041" rather than "+0.0004")
    """
    value = float(value)
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("+inf" if value > 0 else "−inf")
    if value == 0:
        return "· 0" if arrows else "0"
    number = f"{abs(value):.{digits}g}" if significant else f"{abs(value):.{digits}f}"
    text = f"{'+' if value > 0 else '−'}{number}"
    return f"{'↑' if value > 0 else '↓'} {text}" if arrows else text


def signed_colour(value, limit):
    """(background, ink) CSS colours of a signed value on RdBu_r, centred at 0 (white); grey if not finite."""
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
    """
    colour = colour or signed_colour
    values = np.asarray(values, dtype=float)
    width, height = cell_px
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
            background, ink = colour(values[r, c], limit)
            border = "3px solid #111" if frame == (r, c) else "1px solid #bbb"
            tds.append(f"<td style='background:{background};color:{ink};width:{width}px;height:{height}px;"
                       f"text-align:center;border:{border};padding:0 2px;white-space:nowrap;line-height:1.25'>"
                       f"{escape(str(labels[r][c])).replace(chr(10), '<br>')}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return (f"<table class='{css_class}' style='border-collapse:collapse;font-size:{font_px}px;"
            f"font-family:sans-serif'>" + "".join(rows) + "</table>")


def colour_legend(limit, label, width_px=180):
    """A horizontal colour bar: −limit (blue) … 0 (white) … +limit (red), with its meaning."""
    stops = ", ".join(signed_colour(v, 1.0)[0] for v in np.linspace(-1.0, 1.0, 9))
    third = width_px // 3
    return (f"<div class='course-colour-legend' style='margin-top:4px;font-size:11px;line-height:1.3;"
            f"white-space:nowrap'>{escape(label)}<br>"
            f"<div style='display:inline-block;width:{width_px}px;height:10px;"
            f"background:linear-gradient(to right, {stops});border:1px solid #999'></div><br>"
            f"<span style='display:inline-block;width:{third}px'>−{limit:.3g}</span>"
            f"<span style='display:inline-block;width:{third}px;text-align:center'>0</span>"
            f"<span style='display:inline-block;width:{third}px;text-align:right'>+{limit:.3g}</span></div>")


def grey_colour(value, vmax=1.0):
    """(background, ink) CSS colours of an unsigned value (a pixel): 0 white … vmax black."""
    level = round(255 * (1.0 - float(np.clip(value / vmax, 0.0, 1.0)))) if np.isfinite(value) else 160
    return f"rgb({level},{level},{level})", "#ffffff" if level < 110 else "#000000"


def signed_rgb(values, limit):
    """(H, W) signed values → (H, W, 3) uint8 RdBu_r colours, centred at 0; non-finite entries grey."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    index = np.round(127.5 + 127.5 * np.clip(np.where(finite, values, 0.0) / limit, -1.0, 1.0)).astype(np.intp)
    rgb = _LUT[index]
    rgb[~finite] = NON_FINITE_RGB
    return rgb


def grey_rgb(values, vmin=0.0, vmax=1.0):
    """(H, W) values → (H, W, 3) uint8 grey: vmin white, vmax black (ink on paper, like a digit)."""
    scaled = np.clip((np.asarray(values, dtype=float) - vmin) / (vmax - vmin), 0.0, 1.0)
    level = np.round(255 * (1.0 - scaled)).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def png_uri(rgb):
    """(H, W, 3) uint8 → a "data:image/png;base64,…" URI (a PNG at the array's own resolution)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def boxes_html(shape, boxes):
    """Outlines over an image of `shape` (rows, cols): boxes = [(row, col, height, width, css colour), …]."""
    rows, cols = shape
    parts = []
    for row, col, height, width, colour in boxes:
        parts.append(f"<div style='position:absolute;box-sizing:border-box;border:2px solid {colour};"
                     f"left:{100 * col / cols:.3f}%;top:{100 * row / rows:.3f}%;"
                     f"width:{100 * width / cols:.3f}%;height:{100 * height / rows:.3f}%'></div>")
    return "".join(parts)


def image_html(uri, shape, size_px, title="", overlay="", alt=""):
    """A tiny PNG shown at size_px wide with sharp pixels, an optional title above and HTML overlaid on it."""
    rows, cols = shape
    height_px = round(size_px * rows / cols)
    return (f"<div style='display:inline-block;vertical-align:top;margin:0 6px 4px 0;font-size:11px;"
            f"text-align:center'>{escape(title)}"
            f"<div style='position:relative;width:{size_px}px;height:{height_px}px;border:1px solid #999'>"
            f"<img src='{uri}' alt='{escape(alt or title)}' style='width:100%;height:100%;"
            f"image-rendering:pixelated;display:block'>{overlay}</div></div>")
