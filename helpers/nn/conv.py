"""conv2d forward and backward in NumPy (NCHW): explicit loops to read, im2col + one matrix product to run.

What deep learning calls a convolution is a cross-correlation (no flip):

    y[n, f, r, s] = b[f] + Σ_c Σ_i Σ_j x_pad[n, c, r·stride + i, s·stride + j] · w[f, c, i, j]

and its gradients, with δ = dy = ∂L/∂y:

    ∂L/∂w[f, c, i, j] = Σ_n Σ_r Σ_s x_pad[n, c, r·stride + i, s·stride + j] · δ[n, f, r, s]   (∂L/∂W = I ⋆ δ)
    ∂L/∂b[f]          = Σ_n Σ_r Σ_s δ[n, f, r, s]
    ∂L/∂x_pad[n, c, r·stride + i, s·stride + j] += Σ_f w[f, c, i, j] · δ[n, f, r, s]

Two implementations of the same formulas:

- ``conv2d_loops`` / ``conv2d_backward_loops``: one Python line per formula, for the notebook;
- ``conv2d`` / ``conv2d_backward``: im2col + a BLAS matrix product, for training.

im2col layout (see the comment above ``_geometry`` for why): each padded image plane is flattened
to Hp·Wp pixels and ``cols`` has shape (N, KH·KW·C + 1, Hp·Wp): row (i, j, c) of image n is plane c
shifted by i·Wp + j, so it is filled by one long contiguous copy per filter tap; the last row is all
ones, the input of the bias. The product ``[w | b] (F, KH·KW·C + 1) @ cols[n]`` gives the output at
every grid position; the valid ones are picked out.
Each product is one image's, small enough that OpenBLAS runs it on one core: nothing waits for a
second core that another program is using.

With stride > 1 the grid would be mostly wasted (and its memory would not shrink with the stride), so
``conv2d`` and ``conv2d_backward`` then build cols only at the windows that exist, (N, KH·KW·C + 1, H'·W'),
from the input cropped to the rows and columns the windows read: memory grows with the output, not the input.

Internal scratch arrays (padded input, cols, δ on the grid, products) live in a small module-level
workspace keyed by purpose, geometry, shape and dtype, and are reused between calls: allocating and
freeing megabyte arrays on every call made glibc hand the memory back to the operating system each
time, which cost about 3× in a fresh process. Arrays returned to callers are never views into it.
The workspace keeps at most WORKSPACE_BYTES (bigger arrays are used once and freed);
``release_workspace()`` frees it. A lock makes calls from several threads take turns.

Size guards: a call whose working memory would exceed MEMORY_BUDGET (1 GiB; Binder gives 2 GB in all) is
refused with a message naming x, before anything is allocated; the loops refuse more than LOOP_BUDGET
window products (about 5 s) — use ``conv2d`` for big inputs.
Non-finite inputs give what the loops give: the grid's wasted positions multiply 0 by the input, so a
NaN or inf there would leak into dw (0·inf = NaN); when a result is not finite it is recomputed from
the valid windows only.
"""
import functools
import math
import threading
from numbers import Integral

import numpy as np

from helpers.door import check_stride_padding, real_array

MEMORY_BUDGET = 1 << 30        # bytes of working memory one call may use
WORKSPACE_BYTES = 64 << 20     # the workspace kept between calls never holds more than this
LOOP_BUDGET = 10**6            # window products the loops versions may run (N·F·H'·W')
_WORKSPACE = {}
_WORKSPACE_MAX_ENTRIES = 32
_LOCK = threading.Lock()


def _workspace(purpose, shape, dtype, prepare=None):
    """A reusable scratch array (never returned to callers); zero-filled, then ``prepare(array)``, when first made.

    An array that would take the workspace over WORKSPACE_BYTES is made for this call only and not kept.
    """
    key = (purpose, tuple(shape), np.dtype(dtype).str)
    array = _WORKSPACE.get(key)
    if array is None:
        if len(_WORKSPACE) >= _WORKSPACE_MAX_ENTRIES:
            _WORKSPACE.clear()  # many different shapes: forget them rather than grow without bound
        array = np.zeros(shape, dtype=dtype)
        if prepare is not None:
            prepare(array)
        if array.nbytes + sum(kept.nbytes for kept in _WORKSPACE.values()) <= WORKSPACE_BYTES:
            _WORKSPACE[key] = array
    return array


def release_workspace():
    """Free the scratch arrays conv2d and conv2d_backward keep between calls (they are rebuilt when needed)."""
    with _LOCK:
        _WORKSPACE.clear()


def workspace_bytes():
    """How many bytes the workspace holds now (at most WORKSPACE_BYTES)."""
    return sum(array.nbytes for array in _WORKSPACE.values())


# ---------------------------------------------------------------------------------------------
# shapes and validation
# ---------------------------------------------------------------------------------------------

def _pair(value, name):
    """Two integers ≥ 1, e.g. (H, W)."""
    try:
        pair = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a pair of integers ≥ 1; got {value!r}") from None
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, Integral) or v < 1 for v in pair):
        raise ValueError(f"{name} must be a pair of integers ≥ 1; got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_output_shape(input_hw, kernel_hw, stride=1, padding=0):
    """(H', W') of a conv: H' = (H + 2·padding - KH) // stride + 1, W' likewise.

    input_hw: (H, W); kernel_hw: (KH, KW), each at most the padded input's side.
    """
    (height, width), (kh, kw) = _pair(input_hw, "input_hw"), _pair(kernel_hw, "kernel_hw")
    stride, padding = check_stride_padding(stride, padding)
    if kh > height + 2 * padding or kw > width + 2 * padding:
        raise ValueError(f"kernel_hw {kh}×{kw} is larger than the padded input "
                         f"{height + 2 * padding}×{width + 2 * padding}")
    return (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1


def _as_float_array(name, value):
    return real_array(value, name)


def _check_memory(x_shape, w_shape, stride, padding, itemsize, backward, what):
    """Refuse (naming x) a conv whose working memory would exceed MEMORY_BUDGET; sizes in exact integers.

    Counts the arrays the call allocates (the caller's x, w, b and dy are not counted).
    """
    n, c, h, w = (int(v) for v in x_shape)
    f, _, kh, kw = (int(v) for v in w_shape)
    hp, wp = h + 2 * padding, w + 2 * padding
    out_h, out_w = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    rows, positions, padded = kh * kw * c + 1, out_h * out_w, n * c * hp * wp
    if what == "loops":
        entries = padded + n * f * positions + (padded if backward else 0)
    elif stride == 1:                          # the grid: every padded position
        area = hp * wp
        entries = n * rows * area + (padded if padding else 0)
        if backward:
            entries += n * f * area + n * f * rows + n * kh * kw * min(c, f) * area + 2 * n * c * area
        else:
            entries += n * f * area + n * f * positions
    else:                                      # the real windows only, from the input cropped to what they read
        entries = n * rows * positions + (padded if padding else 0)
        if backward:
            entries += n * f * rows + n * (rows - 1) * positions + (padded if padding else 0) + n * c * h * w
        else:
            entries += n * f * positions
    needed = entries * itemsize
    if needed > MEMORY_BUDGET:
        fits = MEMORY_BUDGET // max(needed // max(n, 1), 1)
        advice = (f"pass at most {fits} images at a time" if fits else
                  "even one image is too big: use a smaller image, less padding or a larger stride")
        raise ValueError(f"x of shape {tuple(x_shape)} with w of shape {tuple(w_shape)} (stride {stride}, padding "
                         f"{padding}): {what} would need about {needed / 2**20:,.0f} MB of working memory, over the "
                         f"budget of {MEMORY_BUDGET / 2**20:,.0f} MB; {advice}")
    if what == "loops" and n * f * out_h * out_w > LOOP_BUDGET:
        raise ValueError(f"x of shape {tuple(x_shape)} with w of shape {tuple(w_shape)}: the loops would run "
                         f"N·F·H'·W' = {n * f * out_h * out_w:,} window products, over LOOP_BUDGET "
                         f"({LOOP_BUDGET:,}, about 5 s); use conv2d / conv2d_backward for inputs this big")



def _check_conv_args(x, w, stride, padding):
    """Validate x (N, C, H, W), w (F, C, KH, KW), stride and padding; return (stride, padding, H', W')."""
    stride, padding = check_stride_padding(stride, padding)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W); got ndim={x.ndim} with shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must be 4-D (F, C, KH, KW); got ndim={w.ndim} with shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"w has {w.shape[1]} input channels but x has {x.shape[1]}: "
                         f"w shape {w.shape} (F, C, KH, KW), x shape {x.shape} (N, C, H, W)")
    if min(x.shape) == 0 or min(w.shape) == 0:
        raise ValueError(f"x and w must not be empty; got x shape {x.shape}, w shape {w.shape}")
    kh, kw = w.shape[2:]
    padded_h, padded_w = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
    if kh > padded_h or kw > padded_w:
        raise ValueError(f"w: the filter KH×KW = {kh}×{kw} is larger than the padded input "
                         f"{padded_h}×{padded_w} (x shape {x.shape}, padding {padding}, w shape {w.shape})")
    out_h, out_w = (padded_h - kh) // stride + 1, (padded_w - kw) // stride + 1
    return stride, padding, out_h, out_w


def _check_bias(b, w):
    if b.ndim != 1 or b.shape[0] != w.shape[0]:
        raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter of w {w.shape}; got shape {b.shape}")


def _check_upstream(dy, x_shape, w, out_h, out_w):
    want = (x_shape[0], w.shape[0], out_h, out_w)
    if dy.shape != want:
        raise ValueError(f"dy must have the output's shape (N, F, H', W') = {want} for x shape {tuple(x_shape)} "
                         f"and w shape {w.shape}; got {dy.shape}")


def _float_dtype(*arrays):
    """float32 stays float32, float64 stays float64; integers compute in float64."""
    return np.result_type(*[a.dtype for a in arrays], np.float32)


# ---------------------------------------------------------------------------------------------
# the loops: one line per formula (for reading and for checking, not for speed)
# ---------------------------------------------------------------------------------------------

def conv2d_loops(x, w, b, stride=1, padding=0):
    """conv2d written as explicit loops, one line per formula; same arguments and result as ``conv2d``."""
    x, w, b = (_as_float_array(name, a) for name, a in (("x", x), ("w", w), ("b", b)))
    stride, padding, out_h, out_w = _check_conv_args(x, w, stride, padding)
    _check_bias(b, w)
    dtype = _float_dtype(x, w, b)
    _check_memory(x.shape, w.shape, stride, padding, dtype.itemsize, False, "loops")
    x_pad = np.pad(x.astype(dtype), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n_images, (filters, _, kh, kw) = x.shape[0], w.shape
    y = np.zeros((n_images, filters, out_h, out_w), dtype=dtype)
    for n in range(n_images):
        for f in range(filters):
            for r in range(out_h):
                for s in range(out_w):
                    patch = x_pad[n, :, r * stride:r * stride + kh, s * stride:s * stride + kw]
                    y[n, f, r, s] = np.sum(patch * w[f]) + b[f]  # y = Σ_c,i,j x·w + b
    return y


def conv2d_backward_loops(dy, x, w, stride=1, padding=0):
    """conv2d_backward written as explicit loops, one line per formula; same arguments and results."""
    dy, x, w = (_as_float_array(name, a) for name, a in (("dy", dy), ("x", x), ("w", w)))
    stride, padding, out_h, out_w = _check_conv_args(x, w, stride, padding)
    _check_upstream(dy, x.shape, w, out_h, out_w)
    dtype = _float_dtype(dy, x, w)
    _check_memory(x.shape, w.shape, stride, padding, dtype.itemsize, True, "loops")
    x_pad = np.pad(x.astype(dtype), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros(w.shape, dtype=dtype)
    (n_images, filters), (kh, kw) = dy.shape[:2], w.shape[2:]
    for n in range(n_images):
        for f in range(filters):
            for r in range(out_h):
                for s in range(out_w):
                    rows, cols = slice(r * stride, r * stride + kh), slice(s * stride, s * stride + kw)
                    dw[f] += x_pad[n, :, rows, cols] * dy[n, f, r, s]  # ∂L/∂W = I ⋆ δ
                    dx_pad[n, :, rows, cols] += w[f] * dy[n, f, r, s]  # ∂L/∂I: each window gets W·δ back
    db = dy.sum(axis=(0, 2, 3)).astype(dtype)  # ∂L/∂b = Σ δ
    dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx.copy(), dw, db


# ---------------------------------------------------------------------------------------------
# the vectorized conv: im2col on the padded grid + one matrix product per image
# ---------------------------------------------------------------------------------------------
#
# Flatten each padded image plane to a row of A = Hp·Wp pixels. The pixel under filter tap (i, j)
# for the window that starts at grid position p is then simply pixel p + (i·Wp + j): one shift of
# the whole flattened image per tap. So im2col is KH·KW slice copies of long contiguous runs, and
# the product computes the output at *every* grid position p; the valid outputs are the grid points
# (r·stride, s·stride), picked out afterwards. Positions near the right and bottom edges are wasted
# work (and exactly what makes the copies contiguous). Backward, δ is placed on the same grid
# (dilated by the stride, zeros elsewhere), so the zeros cancel everything that wraps around.


@functools.lru_cache(maxsize=64)
def _geometry(x_shape, w_shape, stride, padding):
    """Sizes of one conv problem (cached: the training loop asks for the same few again and again; never mutated)."""
    n_images, channels, height, width = x_shape
    filters, _, kh, kw = w_shape
    hp, wp = height + 2 * padding, width + 2 * padding
    out_h, out_w = conv_output_shape((height, width), (kh, kw), stride, padding)
    return {"n": n_images, "c": channels, "h": height, "w": width, "f": filters, "kh": kh, "kw": kw,
            "stride": stride, "padding": padding, "hp": hp, "wp": wp, "area": hp * wp,
            "out_h": out_h, "out_w": out_w, "offsets": tuple(i * wp + j for i in range(kh) for j in range(kw))}


def _key(g):
    """What fixes which entries of a scratch array are written (the rest stay zero)."""
    return (g["c"], g["h"], g["w"], g["kh"], g["kw"], g["stride"], g["padding"])


def _on_grid(array4d, g):
    """The valid outputs inside an (N, ·, Hp, Wp) grid: rows 0, s, 2s, … and columns likewise (a view)."""
    s = g["stride"]
    return array4d[:, :, :s * (g["out_h"] - 1) + 1:s, :s * (g["out_w"] - 1) + 1:s]


def im2col_shape(x_shape, kh, kw, stride=1, padding=0):
    """Shape (N, KH·KW·C + 1, Hp·Wp) of the cols array for an input of shape x_shape = (N, C, H, W).

    The last row is all ones: the input that the bias multiplies, so that one product adds the bias
    in the forward pass and gives ∂L/∂b = Σ δ next to ∂L/∂W in the backward pass.
    """
    try:
        shape = tuple(x_shape)
    except TypeError:
        shape = ()
    if len(shape) != 4 or any(isinstance(v, bool) or not isinstance(v, Integral) or v < 1 for v in shape):
        raise ValueError(f"x_shape must be (N, C, H, W), four integers ≥ 1; got {x_shape!r}")
    kh, kw = _pair((kh, kw), "kh, kw")
    stride, padding = check_stride_padding(stride, padding)
    n_images, channels, height, width = (int(v) for v in shape)
    return n_images, kh * kw * channels + 1, (height + 2 * padding) * (width + 2 * padding)


def _set_bias_row(cols):
    cols[:, -1, :] = 1


def _flat_padded_input(x, g, dtype):
    """x as (N, C·Hp·Wp): each padded plane flattened; a reshape when there is nothing to pad."""
    if g["padding"] == 0 and x.dtype == dtype and x.flags.c_contiguous:
        return x.reshape(g["n"], -1)
    p = g["padding"]
    x_pad = _workspace(("x_pad", _key(g)), (g["n"], g["c"], g["hp"], g["wp"]), dtype)
    x_pad[:, :, p:p + g["h"], p:p + g["w"]] = x  # the border stays zero
    return x_pad.reshape(g["n"], -1)


def _fill_cols(x_flat, cols, g):
    """cols[n, (k, c), p] = x_pad[n, c, p + offset_k]: one long slice copy per filter tap k = (i, j).

    A workspace's tails and bias row never change, so only the copies are redone.
    """
    taps = np.reshape(cols[:, :-1, :], (g["n"], g["kh"] * g["kw"], -1), copy=False)
    length = taps.shape[2]
    for k, offset in enumerate(g["offsets"]):
        np.copyto(taps[:, k, :length - offset], x_flat[:, offset:])


def _weights_by_tap(w, dtype):
    """w (F, C, KH, KW) as (F, KH·KW·C), the row order of cols."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1).astype(dtype, copy=False)


def _forward_from_cols(cols, w, b, g, dtype):
    grid = _workspace(("y_grid", _key(g)), (g["n"], g["f"], g["area"]), dtype)
    weights_and_bias = np.concatenate([_weights_by_tap(w, dtype), b.astype(dtype)[:, None]], axis=1)
    np.matmul(weights_and_bias, cols, out=grid)  # (F, KH·KW·C + 1) @ (KH·KW·C + 1, Hp·Wp) per image
    y = np.empty((g["n"], g["f"], g["out_h"], g["out_w"]), dtype=dtype)
    np.copyto(y, _on_grid(grid.reshape(g["n"], g["f"], g["hp"], g["wp"]), g))
    return y



def conv2d(x, w, b, stride=1, padding=0):
    """2-D convolution (cross-correlation, as in deep learning) of a batch of images with a bank of filters.

    x: (N, C, H, W)   input images
    w: (F, C, KH, KW) filters
    b: (F,)           one bias per filter
    stride: step between windows (int ≥ 1); padding: zeros added on each side of H and W (int ≥ 0)
    Returns y (N, F, H', W'), H' = (H + 2·padding - KH) // stride + 1, W' likewise.
    float32 in → float32 out, float64 → float64 (integers compute in float64).
    """
    x, w, b = (_as_float_array(name, a) for name, a in (("x", x), ("w", w), ("b", b)))
    stride, padding, _, _ = _check_conv_args(x, w, stride, padding)
    _check_bias(b, w)
    dtype = _float_dtype(x, w, b)
    _check_memory(x.shape, w.shape, stride, padding, dtype.itemsize, False, "conv2d")
    g = _geometry(tuple(x.shape), tuple(w.shape), stride, padding)
    if stride > 1:
        return _forward_valid(_valid_cols(x, g, dtype), w, b, g, dtype)
    with _LOCK:
        cols = _workspace(("cols", _key(g)), im2col_shape(x.shape, g["kh"], g["kw"], stride, padding), dtype,
                          prepare=_set_bias_row)
        _fill_cols(_flat_padded_input(x, g, dtype), cols, g)
        return _forward_from_cols(cols, w, b, g, dtype)



def _upstream_on_grid(dy, g, dtype):
    """δ placed on the padded grid at the window starts (dilated by the stride), zeros elsewhere: (N, F, Hp·Wp)."""
    grid = _workspace(("dy_grid", _key(g)), (g["n"], g["f"], g["hp"], g["wp"]), dtype)
    _on_grid(grid, g)[...] = dy  # only these entries are ever written; the rest stay zero
    return grid.reshape(g["n"], g["f"], g["area"])


def _input_gradient(delta_grid, w, g, dtype):
    """∂L/∂x (N, C, H, W) from δ on the grid (N, F, Hp·Wp)."""
    n_images, channels, area = g["n"], g["c"], g["area"]
    if g["padding"] == 0:
        dx_flat = np.empty((n_images, channels * area), dtype=dtype)  # returned: a fresh array
    else:
        dx_flat = _workspace(("dx_pad", _key(g)), (n_images, channels * area), dtype)
    if channels >= g["f"]:
        # ∂L/∂x_pad[p] = Σ_k Σ_f w[f, c, k] · δ[p - offset_k]: im2col of δ shifted the other way, one product
        shifted = _workspace(("dy_cols", _key(g)), (n_images, len(g["offsets"]), g["f"] * area), dtype)
        delta_flat = delta_grid.reshape(n_images, -1)
        for k, offset in enumerate(g["offsets"]):
            np.copyto(shifted[:, k, offset:], delta_flat[:, :delta_flat.shape[1] - offset])
        w_by_tap = w.transpose(1, 2, 3, 0).reshape(channels, -1).astype(dtype, copy=False)  # (C, KH·KW·F)
        np.matmul(w_by_tap, shifted.reshape(n_images, -1, area), out=dx_flat.reshape(n_images, channels, area))
    else:
        # fewer input than output channels: one product to (N, KH·KW·C, Hp·Wp), then shift-and-add per tap
        dcols = _workspace(("dcols", _key(g)), (n_images, len(g["offsets"]) * channels, area), dtype)
        np.matmul(_weights_by_tap(w, dtype).T, delta_grid, out=dcols)
        taps = dcols.reshape(n_images, len(g["offsets"]), channels * area)
        np.copyto(dx_flat, taps[:, 0])  # the first tap has offset 0 and covers every pixel
        for k, offset in enumerate(g["offsets"][1:], start=1):
            dx_flat[:, offset:] += taps[:, k, :channels * area - offset]
    if g["padding"] == 0:
        return dx_flat.reshape(n_images, channels, g["h"], g["w"])
    p = g["padding"]
    return dx_flat.reshape(n_images, channels, g["hp"], g["wp"])[:, :, p:p + g["h"], p:p + g["w"]].copy()


def _backward_from_cols(dy, cols, w, g, dtype, need_dx):
    delta_grid = _upstream_on_grid(dy, g, dtype)
    # ∂L/∂W = I ⋆ δ and, from the row of ones, ∂L/∂b = Σ δ: per image (F, A) @ (A, KH·KW·C + 1), summed
    total = np.matmul(delta_grid, cols.transpose(0, 2, 1)).sum(axis=0)
    dw, db = _dw_db(total, g)
    if not math.isfinite(total.sum()):   # (a finite sum that overflows only costs the recomputation)
        # a NaN or inf at a wasted grid position met a 0 of δ: redo the sum over the real windows only
        valid = _on_grid(cols.reshape(g["n"], -1, g["hp"], g["wp"]), g).reshape(g["n"], cols.shape[1], -1)
        dw, db = _dw_db(np.matmul(dy.reshape(g["n"], g["f"], -1), valid.transpose(0, 2, 1)).sum(axis=0), g)
    if not need_dx:
        return None, dw, db
    if not math.isfinite(w.sum()):   # an inf in w would meet the wasted 0s of δ on the grid: real windows only
        return _input_gradient_valid(dy, w, g, dtype), dw, db
    dx = _input_gradient(delta_grid, w, g, dtype)
    return dx, dw, db


def _dw_db(total, g):
    """dw (F, C, KH, KW) and db (F,) from the summed products (F, KH·KW·C + 1) in cols' row order."""
    dw = total[:, :-1].reshape(g["f"], g["kh"], g["kw"], g["c"]).transpose(0, 3, 1, 2).copy()
    return dw, total[:, -1].copy()


# ---------------------------------------------------------------------------------------------
# stride > 1: cols only at the windows that exist, from the input cropped to what they read
# ---------------------------------------------------------------------------------------------

def _read_extent(g):
    """Rows and columns of the padded input that some window reads: [0, used_h) × [0, used_w)."""
    return g["stride"] * (g["out_h"] - 1) + g["kh"], g["stride"] * (g["out_w"] - 1) + g["kw"]


def _tap_view(a, i, j, g):
    """a[..., r·s + i, c·s + j] for every window (r, c): a strided (N, ·, H', W') view."""
    s = g["stride"]
    return a[:, :, i:i + s * (g["out_h"] - 1) + 1:s, j:j + s * (g["out_w"] - 1) + 1:s]


def _valid_cols(x, g, dtype):
    """cols (N, KH·KW·C + 1, H'·W') at the real windows only: row (i, j, c) holds x_pad[n, c, r·s + i, c·s + j]."""
    used_h, used_w = _read_extent(g)
    p, (n, c, h, w) = g["padding"], (g["n"], g["c"], g["h"], g["w"])
    if p == 0:
        source = x[:, :, :used_h, :used_w]                  # a view: unread rows and columns are never touched
    else:                                                   # padded, and cropped to what the windows read
        source = np.zeros((n, c, used_h, used_w), dtype=dtype)
        rows, cols = min(h, used_h - p), min(w, used_w - p)
        if rows > 0 and cols > 0:
            source[:, :, p:p + rows, p:p + cols] = x[:, :, :rows, :cols]
    out = np.empty((n, g["kh"] * g["kw"] * c + 1, g["out_h"], g["out_w"]), dtype=dtype)
    for k, (i, j) in enumerate((i, j) for i in range(g["kh"]) for j in range(g["kw"])):
        out[:, k * c:(k + 1) * c] = _tap_view(source, i, j, g)
    out[:, -1] = 1
    return out.reshape(n, out.shape[1], -1)


def _forward_valid(cols, w, b, g, dtype):
    weights_and_bias = np.concatenate([_weights_by_tap(w, dtype), b.astype(dtype)[:, None]], axis=1)
    return np.matmul(weights_and_bias, cols).reshape(g["n"], g["f"], g["out_h"], g["out_w"])


def _input_gradient_valid(dy, w, g, dtype):
    """∂L/∂x (N, C, H, W): each window's w·δ added back onto the pixels it read (scatter per tap)."""
    n, c, h, width, p = g["n"], g["c"], g["h"], g["w"], g["padding"]
    used_h, used_w = _read_extent(g)
    dcols = np.matmul(_weights_by_tap(w, dtype).T, dy.reshape(n, g["f"], -1))   # (N, KH·KW·C, H'·W')
    dcols = dcols.reshape(n, g["kh"] * g["kw"], c, g["out_h"], g["out_w"])
    dx = np.zeros((n, c, h, width), dtype=dtype)
    # without padding, scatter straight into dx (the pixels no window reads stay 0)
    dx_pad = dx[:, :, :used_h, :used_w] if p == 0 else np.zeros((n, c, used_h, used_w), dtype=dtype)
    for k, (i, j) in enumerate((i, j) for i in range(g["kh"]) for j in range(g["kw"])):
        _tap_view(dx_pad, i, j, g)[...] += dcols[:, k]
    if p == 0:
        return dx
    rows, cols = min(h, used_h - p), min(width, used_w - p)
    if rows > 0 and cols > 0:
        dx[:, :, :rows, :cols] = dx_pad[:, :, p:p + rows, p:p + cols]
    return dx


def _backward_valid(dy, x, w, g, dtype):
    cols = _valid_cols(x, g, dtype)
    dw, db = _dw_db(np.matmul(dy.reshape(g["n"], g["f"], -1), cols.transpose(0, 2, 1)).sum(axis=0), g)
    return _input_gradient_valid(dy, w, g, dtype), dw, db


def conv2d_backward(dy, x, w, stride=1, padding=0):
    """Gradients of conv2d with respect to its input, weights and bias.

    dy: (N, F, H', W') upstream gradient dL/dy
    x:  (N, C, H, W)   input of the forward pass
    w:  (F, C, KH, KW) filters
    stride, padding: as in the forward pass
    Returns dx (N, C, H, W), dw (F, C, KH, KW), db (F,), in the dtype of the inputs.
    """
    dy, x, w = (_as_float_array(name, a) for name, a in (("dy", dy), ("x", x), ("w", w)))
    stride, padding, out_h, out_w = _check_conv_args(x, w, stride, padding)
    _check_upstream(dy, x.shape, w, out_h, out_w)
    dtype = _float_dtype(dy, x, w)
    _check_memory(x.shape, w.shape, stride, padding, dtype.itemsize, True, "conv2d_backward")
    g = _geometry(tuple(x.shape), tuple(w.shape), stride, padding)
    if stride > 1:
        return _backward_valid(dy.astype(dtype, copy=False), x, w, g, dtype)
    with _LOCK:
        cols = _workspace(("cols", _key(g)), im2col_shape(x.shape, g["kh"], g["kw"], stride, padding), dtype,
                          prepare=_set_bias_row)
        _fill_cols(_flat_padded_input(x, g, dtype), cols, g)
        return _backward_from_cols(dy.astype(dtype, copy=False), cols, w, g, dtype, need_dx=True)


