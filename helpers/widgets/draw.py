"""Drawing for widgets that must repaint within 100 ms: small arrays as HTML tables, maps as tiny PNGs.

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

_LUT = np.round(matplotlib.colormaps["RdBu_r"](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)
FRAME = "3px solid #2166ac"   # the thick blue frame around the current window or entry


def finite_limit(*arrays):
    """The largest |value| over the finite entries of the arrays (at least 1e-9): a symmetric colour scale."""
    largest = 1e-9
    for values in arrays:
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size:
            largest = max(largest, float(np.abs(finite).max()))
    return largest


def signed_text(value, digits=3, arrows=False, significant=True):
    """A value with its sign as a glyph: "+2", "−0.5", "0"; arrows: "↑ +0.012", "↓ −0.012", "· 0".

    digits: significant digits ("+0.00041"), or decimals when not significant ("+0.00", "0.00")
    """
    value = float(value)
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("+inf" if value > 0 else "−inf")
    number = f"{abs(value):.{digits}g}" if significant else f"{abs(value):.{digits}f}"
    if value == 0:
        return "· 0" if arrows else number
    text = f"{'+' if value > 0 else '−'}{number}"
    return f"{'↑' if value > 0 else '↓'} {text}" if arrows else text


def signed_colour(value, limit):
    """(background, ink) CSS colours of a signed value on RdBu_r from −limit to +limit; grey if not finite."""
    red, green, blue = signed_rgb(value, limit)
    return f"rgb({red},{green},{blue})", "#ffffff" if np.isfinite(value) and abs(value) > 0.6 * limit else "#000000"


def grey_colour(value, limit):
    """(background, ink) CSS colours of a pixel value in [0, 1] (limit unused): 0 white … 1 black."""
    level = grey_rgb(value)[0]
    return f"rgb({level},{level},{level})", "#ffffff" if level < 110 else "#000000"


def frame(r, c, top, left, side):
    """Which edges (top, right, bottom, left) of cell (r, c) carry the frame of the side×side box at (top, left)."""
    if not (top <= r < top + side and left <= c < left + side):
        return (False,) * 4
    return (r == top, c == left + side - 1, r == top + side - 1, c == left)


def signed_cell(values, limit, box=None, shown=None):
    """A cell function for ``grid_html``: values[r, c] as signed text in signed colours on −limit … +limit, the
    box (top, left, side) framed; an entry not in ``shown`` (a set of (r, c); None: every entry) is a grey "?"."""
    def cell(r, c):
        edges = frame(r, c, *box) if box else (False,) * 4
        if shown is not None and (r, c) not in shown:
            return {"frame": edges, "text": "?", "ink": "#999999"}
        background, ink = signed_colour(values[r, c], limit)
        return {"frame": edges, "text": signed_text(values[r, c]), "background": background, "ink": ink}
    return cell


def grid_html(shape, cell, css_class, title="", row_names=None, col_names=None, cell_px=(46, 34), font_px=13):
    """An HTML table of shape (rows, cols), one call of cell(r, c) per cell.

    cell(r, c) -> dict: "text" (HTML) and optionally "background", "ink", "border", "cls" (CSS classes) and
    "frame" (top, right, bottom, left: the edges that get the thick blue FRAME, e.g. from ``frame``; a framed
    cell also gets the class "in-window").
    row_names, col_names: header labels (HTML) or None; title: HTML above the table.
    """
    # what every cell shares is one style rule, not repeated in each cell: the browser draws half the HTML
    grid = f"course-grid-{cell_px[0]}x{cell_px[1]}"
    rule = (f"<style>.{grid} td{{min-width:{cell_px[0]}px;height:{cell_px[1]}px;padding:0 2px;border:1px solid #bbb;"
            f"background:#fff;color:#000}}.{grid} th{{font-weight:normal;color:#555;font-size:11px;padding:0 3px}}"
            "</style>")
    rows = []
    if col_names is not None:
        corner = "<th></th>" if row_names is not None else ""
        rows.append(f"<tr>{corner}" + "".join(f"<th>{name}</th>" for name in col_names) + "</tr>")
    for r in range(shape[0]):
        tds = [] if row_names is None else [f"<th>{row_names[r]}</th>"]
        for c in range(shape[1]):
            spec = cell(r, c)
            edges = spec.get("frame", (False,) * 4)
            style = [f"{key}:{spec[name]}" for key, name in (("background", "background"), ("color", "ink"),
                                                             ("border", "border")) if name in spec]
            style += [f"border-{side}:{FRAME}" for side, edge in zip(("top", "right", "bottom", "left"), edges,
                                                                      strict=True) if edge]
            cls = f"{spec.get('cls', '')} in-window".strip() if any(edges) else spec.get("cls", "")
            tds.append(f"<td class='{cls}' style='{';'.join(style)}'>{spec['text']}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    heading = f"<div style='font-size:13px;font-weight:bold;margin-bottom:2px'>{title}</div>" if title else ""
    return (f"{rule}{heading}<table class='{css_class} {grid}' style='border-collapse:collapse;font-size:{font_px}px;"
            f"font-family:sans-serif;text-align:center;white-space:nowrap;line-height:1.25'>"
            + "".join(rows) + "</table>")


def table_html(values, labels, limit, css_class="", cell_px=(46, 34), font_px=13, row_names=None,
               col_names=None, colour=signed_colour):
    """An HTML table of a 2-D array: each cell coloured by colour(value, limit) and showing its label.

    values: (H, W) numbers; labels: (H, W) strings (escaped here; a newline becomes a line break), or a
            function label(value) -> string, e.g. ``signed_text``
    colour: (value, limit) -> (background, ink); the default is signed, from −limit (blue) to +limit (red)
    """
    def cell(r, c):
        background, ink = colour(values[r][c], limit)
        label = labels(values[r][c]) if callable(labels) else labels[r][c]
        return {"text": escape(str(label)).replace("\n", "<br>"), "background": background, "ink": ink}
    return grid_html(np.shape(values), cell, css_class, "", row_names, col_names, cell_px, font_px)


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


def signed_rgb(values, limit):
    """(H, W) signed values → (H, W, 3) uint8 RdBu_r colours, centred at 0; non-finite entries grey."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    index = np.round(127.5 + 127.5 * np.clip(np.where(finite, values, 0.0) / limit, -1.0, 1.0)).astype(np.intp)
    rgb = _LUT[index]
    rgb[~finite] = 160   # grey
    return rgb


def grey_rgb(values):
    """(H, W) pixel values in [0, 1] → (H, W, 3) uint8 grey: 0 white, 1 black (ink on paper, like a digit)."""
    level = np.round(255 * (1.0 - np.clip(values, 0.0, 1.0))).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def png_uri(rgb):
    """(H, W, 3) uint8 → a "data:image/png;base64,…" URI (a PNG at the array's own resolution)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def boxes_html(shape, boxes):
    """Outlines over an image of `shape` (rows, cols): boxes = [(row, col, height, width, css colour), …]."""
    rows, cols = shape
    return "".join(f"<div style='position:absolute;box-sizing:border-box;border:2px solid {escape(colour)};"
                   f"left:{100 * col / cols:.3f}%;top:{100 * row / rows:.3f}%;"
                   f"width:{100 * width / cols:.3f}%;height:{100 * height / rows:.3f}%'></div>"
                   for row, col, height, width, colour in boxes)


def image_html(uri, shape, size_px, title="", overlay=""):
    """A tiny PNG shown size_px wide with sharp pixels, an optional title above (and as alt text) and HTML
    overlaid on it. uri: e.g. from ``png_uri``; shape: the image's (rows, cols); overlay: e.g. ``boxes_html``."""
    height_px = round(size_px * shape[0] / shape[1])
    return (f"<div style='display:inline-block;vertical-align:top;margin:0 6px 4px 0;font-size:11px;"
            f"text-align:center'>{escape(title)}"
            f"<div style='position:relative;width:{size_px}px;height:{height_px}px;border:1px solid #999'>"
            f"<img src='{escape(uri)}' alt='{escape(title)}' style='width:100%;height:100%;"
            f"image-rendering:pixelated;display:block'>{overlay}</div></div>")
