"""Max-pooling forward and backward in NumPy (NCHW), with an explicit rule for ties.

The derivative of ``y = max(x_1, …, x_k)`` is an indicator: the winner gets the upstream
gradient, every other entry of the window gets 0. At a tie max is not differentiable and a rule
must pick a subgradient:

- ``"first"``  the first maximum in row-major window order gets it all (PyTorch's choice);
- ``"split"``  each of the m tied maxima gets 1/m of it;
- ``"all"``    each tied maximum gets all of it — NOT a subgradient (it sums to m, not 1);
               kept only so the course can show what goes wrong.

Windows are ``size × size`` and start every ``stride`` pixels; trailing rows/columns that do not
fill a window are dropped (PyTorch's floor mode). Overlapping windows (stride < size) add their
routed gradients into the shared pixels.

Inputs must be real numbers; a NaN makes a window's maximum undefined, so the backward functions refuse
it (the forward pass lets it through, as NumPy's maximum does). A call whose working memory would exceed
MEMORY_BUDGET (1 GiB) is refused with a message naming x.
"""
import numpy as np

from helpers.door import real_array

TIE_RULES = ("first", "split", "all")
MEMORY_BUDGET = 1 << 30


def pool_output_shape(input_hw, size=2, stride=None):
    """(H', W') of a size × size pooling with the given stride on an input of (H, W), floor mode."""
    try:
        height, width = input_hw
    except (TypeError, ValueError):
        raise ValueError(f"input_hw must be a pair (H, W) of integers ≥ 1; got {input_hw!r}") from None
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in (height, width)):
        raise ValueError(f"input_hw must be a pair (H, W) of integers ≥ 1; got {input_hw!r}")
    stride = _check_size_and_stride(size, stride)
    if size > height or size > width:
        raise ValueError(f"size {size}: a {size}×{size} window is larger than the input's H×W = {height}×{width}")
    return (height - size) // stride + 1, (width - size) // stride + 1


def _check_size_and_stride(size, stride):
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be an integer ≥ 1; got {size!r}")
    stride = size if stride is None else stride
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be an integer ≥ 1; got {stride!r}")
    return int(stride)




def _check_memory(x_shape, out_shape, size, itemsize, backward):
    """Refuse, naming x, a call whose arrays (output, masks, dx) would exceed MEMORY_BUDGET."""
    inputs, outputs = int(np.prod(x_shape, dtype=object)), int(np.prod(out_shape, dtype=object))
    needed = outputs * itemsize + outputs * size * size   # y and one bool mask per window offset
    if backward:
        needed += inputs * 8 + 3 * outputs * 8
    if needed > MEMORY_BUDGET:
        raise ValueError(f"x of shape {tuple(x_shape)}: pooling would need about {needed / 2**20:,.0f} MB of working "
                         f"memory, over the budget of {MEMORY_BUDGET / 2**20:,.0f} MB; pass fewer images at a time")


def _refuse_nan(y, name="x"):
    if y.dtype.kind == "f" and np.isnan(y).any():   # np.maximum propagates NaN, so y shows every NaN a window read
        raise ValueError(f"{name} holds NaN inside a pooling window: the window's maximum, and so where its "
                         f"gradient goes, is undefined")


def _check_size_stride(x, size, stride):
    """Validate the pooling arguments; return (stride, H', W')."""
    stride = _check_size_and_stride(size, stride)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W); got ndim={x.ndim} with shape {x.shape}")
    height, width = x.shape[2], x.shape[3]
    if size > height or size > width:
        raise ValueError(f"size {size}: a {size}×{size} window is larger than the input's "
                         f"H×W = {height}×{width} (x shape {x.shape})")
    out_h, out_w = pool_output_shape((height, width), size, stride)
    return int(stride), out_h, out_w


def _window_views(a, size, stride, out_h, out_w):
    """For each offset (i, j) inside a window, the strided view of a at that offset in every window.

    Returns a list of size*size views in row-major offset order, each (N, C, H', W'):
    view[..., r, c] = a[..., r*stride + i, c*stride + j]. Views, not copies: writing into them writes into a.
    """
    last_h, last_w = stride * (out_h - 1) + 1, stride * (out_w - 1) + 1
    return [a[:, :, i:i + last_h:stride, j:j + last_w:stride] for i in range(size) for j in range(size)]


def _max_of_views(views):
    y = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()
    for view in views[2:]:
        np.maximum(y, view, out=y)
    return y


def maxpool2d(x, size=2, stride=None):
    """Max over every size × size window.

    x:      (N, C, H, W) input
    size:   window side (int ≥ 1)
    stride: step between windows (int ≥ 1); default size (non-overlapping)
    Returns y (N, C, H', W'), H' = (H - size) // stride + 1, W' likewise (floor mode), dtype of x.
    """
    x = real_array(x, "x")
    stride, out_h, out_w = _check_size_stride(x, size, stride)
    _check_memory(x.shape, x.shape[:2] + (out_h, out_w), size, x.dtype.itemsize, False)
    # one elementwise maximum per window offset: size*size cheap passes instead of a slow 6-D reduction
    return _max_of_views(_window_views(x, size, stride, out_h, out_w))


def maxpool2d_backward(dy, x, size=2, stride=None, ties="first"):
    """Gradient of maxpool2d with respect to its input: route each upstream value to its window's max.

    dy:     (N, C, H', W') upstream gradient dL/dy, the shape maxpool2d(x, size, stride) returns
    x:      (N, C, H, W)   input of the forward pass
    size, stride: as in maxpool2d
    ties:   "first" | "split" | "all" (see the module docstring)
    Returns dx (N, C, H, W), float; pixels in no window (floor mode) and non-winners get 0;
    overlapping windows (stride < size) add up.
    """
    x = real_array(x, "x")
    dy = real_array(dy, "dy")
    stride, out_h, out_w = _check_size_stride(x, size, stride)
    if not isinstance(ties, str) or ties not in TIE_RULES:
        raise ValueError(f"ties must be one of {TIE_RULES}; got {ties!r}")
    expected = x.shape[:2] + (out_h, out_w)
    if dy.shape != expected:
        raise ValueError(f"dy must have the forward output's shape {expected} for x of shape {x.shape}, "
                         f"size={size}, stride={stride}; got dy shape {dy.shape}")
    _check_memory(x.shape, expected, size, x.dtype.itemsize, True)
    x_views = _window_views(x, size, stride, out_h, out_w)
    y = _max_of_views(x_views)
    _refuse_nan(y)
    dtype = np.result_type(dy.dtype, x.dtype, 1.0)
    dx = np.zeros(x.shape, dtype=dtype)
    dx_views = _window_views(dx, size, stride, out_h, out_w)
    hits = [x_view == y for x_view in x_views]
    if ties == "first":
        free = np.ones(y.shape, dtype=bool)  # windows whose winner is still to be chosen
        for hit in hits:
            hit &= free
            free &= ~hit
        share = dy
    elif ties == "split":
        tied_count = np.zeros(y.shape, dtype=dtype)
        for hit in hits:
            tied_count += hit
        share = dy / tied_count
    else:  # "all": every tied max gets the whole value (overcounts; for demonstration only)
        share = dy
    overlapping = stride < size
    for hit, dx_view in zip(hits, dx_views, strict=True):
        if overlapping:
            dx_view += share * hit  # a pixel shared by several windows collects from each
        else:
            np.multiply(share, hit, out=dx_view)
    return dx



