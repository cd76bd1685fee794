"""conv2d forward and backward in NumPy (NCHW): loops to read, im2col + one matrix product to run.

What deep learning calls a convolution is a cross-correlation (no flip):

    y[n, f, r, s] = b[f] + Σ_c Σ_i Σ_j x_pad[n, c, r·stride + i, s·stride + j] · w[f, c, i, j]

and its gradients, with δ = dy = ∂L/∂y:

    ∂L/∂w[f, c, i, j] = Σ_n Σ_r Σ_s x_pad[n, c, r·stride + i, s·stride + j] · δ[n, f, r, s]   (∂L/∂W = I ⋆ δ)
    ∂L/∂b[f]          = Σ_n Σ_r Σ_s δ[n, f, r, s]
    ∂L/∂x_pad[n, c, r·stride + i, s·stride + j] += Σ_f w[f, c, i, j] · δ[n, f, r, s]

Two implementations of the same formulas, checked against each other in tests/test_conv.py:
``conv2d_loops`` / ``conv2d_backward_loops`` write one Python line per formula; ``conv2d`` /
``conv2d_backward`` gather the windows with ``im2col`` and need one matrix product each.

Layout: cols is (C·KH·KW, N·H'·W'), row (c, i, j), column (n, r, s), as in notebook 03. Then

    y     = w (F, C·KH·KW) @ cols + b      (F, N·H'·W'), returned as the NCHW view (N, F, H', W')
    dw    = δ (F, N·H'·W') @ colsᵀ
    dcols = wᵀ @ δ, and ``col2im`` adds each row back onto the pixels it was read from.

The output is a transposed view, channel-major in memory. That costs nothing here, and the next layer's
im2col reads it faster (its slices are then contiguous blocks of images). The backward pass asks for δ in
the same (F, N·H'·W') order, so a δ that comes back in that layout needs no copy.
"""
import numpy as np

from helpers import door
from helpers.door import checked


def conv_output_shape(input_hw, kernel_hw, stride=1, padding=0):
    """(H', W') of a conv: H' = (H + 2·padding − KH) // stride + 1, W' likewise."""
    (height, width), (kh, kw) = input_hw, kernel_hw
    return (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1


def _float(*arrays):
    """The dtype the conv computes in: np.result_type(arrays, float32), so float32 unless one is float64 (or int64)."""
    return np.result_type(*arrays, np.float32)


@checked(door.conv_args)
def conv2d_loops(x, w, b, stride=1, padding=0):
    """conv2d written as explicit loops, one line per formula; same arguments and result as ``conv2d``."""
    (n_images, _, height, width), (filters, _, kh, kw) = x.shape, w.shape
    out_h, out_w = conv_output_shape((height, width), (kh, kw), stride, padding)
    x_pad = np.pad(x.astype(_float(x, w, b)), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((n_images, filters, out_h, out_w), dtype=x_pad.dtype)
    for n in range(n_images):
        for f in range(filters):
            for r in range(out_h):
                for s in range(out_w):
                    patch = x_pad[n, :, r * stride:r * stride + kh, s * stride:s * stride + kw]
                    y[n, f, r, s] = np.sum(patch * w[f]) + b[f]  # y = Σ_c,i,j x·w + b
    return y


@checked(door.conv_args)
def conv2d_backward_loops(dy, x, w, stride=1, padding=0):
    """conv2d_backward written as explicit loops, one line per formula; same arguments and results."""
    x_pad = np.pad(x.astype(_float(dy, x, w)), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros(w.shape, dtype=x_pad.dtype)
    (n_images, filters, out_h, out_w), (kh, kw) = dy.shape, w.shape[2:]
    for n in range(n_images):
        for f in range(filters):
            for r in range(out_h):
                for s in range(out_w):
                    rows, cols = slice(r * stride, r * stride + kh), slice(s * stride, s * stride + kw)
                    dw[f] += x_pad[n, :, rows, cols] * dy[n, f, r, s]  # ∂L/∂W = I ⋆ δ
                    dx_pad[n, :, rows, cols] += w[f] * dy[n, f, r, s]  # ∂L/∂I: each window gets W·δ back
    db = dy.sum(axis=(0, 2, 3)).astype(x_pad.dtype)  # ∂L/∂b = Σ δ
    return dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]].copy(), dw, db


def im2col(x, kh, kw, stride=1, padding=0):
    """The windows of x as the columns of one matrix.

    x: (N, C, H, W); kh, kw: the filter's size
    Returns cols (C·KH·KW, N·H'·W'): cols[(c, i, j), (n, r, s)] = x_pad[n, c, r·stride + i, s·stride + j].
    Slice copies, one per filter tap, never a loop over images or positions. The columns a tap reads are
    copied once per j: then every row offset i is a contiguous block of that copy, which copies about
    twice as fast as short strided rows.
    """
    (n, c, height, width), dtype = x.shape, _float(x)
    out_h, out_w = conv_output_shape((height, width), (kh, kw), stride, padding)
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
    cols = np.empty((c, kh, kw, n, out_h, out_w), dtype=dtype)
    # In one line per filter tap (i, j), 03's windows in the (c, i, j) × (n, r, s) layout:
    #     cols[:, i, j] = x_pad[:, :, i:i + stride·out_h:stride, j:j + stride·out_w:stride].transpose(1, 0, 2, 3)
    # Done in two steps only for speed: the columns of tap j once (copied channel-first), then each row offset i.
    for j in range(kw):
        columns = x_pad[:, :, :, j:j + stride * out_w:stride].transpose(1, 0, 2, 3).astype(dtype)   # (C, N, Hp, W')
        for i in range(kh):
            cols[:, i, j] = columns[:, :, i:i + stride * out_h:stride]
    return cols.reshape(c * kh * kw, n * out_h * out_w)


def col2im(dcols, x_shape, kh, kw, stride=1, padding=0):
    """The way back from im2col: add each column entry onto the pixel it was read from (``+=``: windows overlap).

    dcols: (C·KH·KW, N·H'·W'), laid out as im2col's cols; x_shape: (N, C, H, W)
    Returns dx (N, C, H, W), channel-major in memory like dcols. The same two steps as im2col, backwards.
    """
    n, c, height, width = x_shape
    out_h, out_w = conv_output_shape((height, width), (kh, kw), stride, padding)
    dx_pad = np.zeros((c, n, height + 2 * padding, width + 2 * padding), dtype=dcols.dtype)
    dcols = dcols.reshape(c, kh, kw, n, out_h, out_w)
    for j in range(kw):
        columns = np.zeros((c, n, height + 2 * padding, out_w), dtype=dcols.dtype)   # (C, N, Hp, W'), as in im2col
        for i in range(kh):
            columns[:, :, i:i + stride * out_h:stride] += dcols[:, i, j]
        dx_pad[:, :, :, j:j + stride * out_w:stride] += columns
    return dx_pad.transpose(1, 0, 2, 3)[:, :, padding:padding + height, padding:padding + width]


@checked(door.conv_args)
def conv2d(x, w, b, stride=1, padding=0):
    """Forward pass of a conv layer (cross-correlation, as in PyTorch).

    x: (N, C, H, W) input; w: (F, C, KH, KW) filters; b: (F,) biases
    stride, padding: integers (≥ 1, ≥ 0); padding adds zeros on all four sides
    Returns y (N, F, H', W'), H' = (H + 2·padding − KH) // stride + 1, W' likewise; float32 unless an input is
    float64 (or int64): then float64.
    """
    (n, _, height, width), (filters, _, kh, kw) = x.shape, w.shape
    out_h, out_w = conv_output_shape((height, width), (kh, kw), stride, padding)
    dtype = _float(x, w, b)
    cols = im2col(x.astype(dtype, copy=False), kh, kw, stride, padding)
    y = w.reshape(filters, -1).astype(dtype, copy=False) @ cols + b.astype(dtype)[:, None]   # (F, N·H'·W')
    return y.reshape(filters, n, out_h, out_w).transpose(1, 0, 2, 3)


@checked(door.conv_args)
def conv2d_backward(dy, x, w, stride=1, padding=0, need_dx=True):
    """Gradients of conv2d with respect to its input, weights and bias.

    dy: (N, F, H', W') upstream gradient ∂L/∂y; x: (N, C, H, W) input of the forward pass; w: (F, C, KH, KW)
    stride, padding: as in the forward pass
    need_dx: False skips ∂L/∂x (a network's first layer: nothing upstream of the image needs it)
    Returns dx (N, C, H, W) or None, dw (F, C, KH, KW), db (F,), in the dtype of dy, x and w taken together.
    """
    (filters, _, kh, kw), dtype = w.shape, _float(dy, x, w)
    cols = im2col(x.astype(dtype, copy=False), kh, kw, stride, padding)
    delta = dy.transpose(1, 0, 2, 3).astype(dtype, copy=False).reshape(filters, -1)     # (F, N·H'·W')
    dw = (delta @ cols.T).reshape(w.shape)                                              # ∂L/∂W = I ⋆ δ
    db = delta.sum(axis=1)                                                              # ∂L/∂b = Σ δ
    if not need_dx:
        return None, dw, db
    dcols = w.reshape(filters, -1).T.astype(dtype, copy=False) @ delta                   # what each window sends back
    return col2im(dcols, x.shape, kh, kw, stride, padding), dw, db
