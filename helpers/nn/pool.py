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

Both passes work on size·size strided views of x, one per offset (i, j) inside a window: the
forward pass is an elementwise maximum over them, the backward pass compares each with the maximum.
A NaN makes a window's maximum, and so where its gradient goes, undefined: the door (helpers.door.pool_args)
refuses it.
"""
import numpy as np

from helpers import door
from helpers.door import checked

TIE_RULES = ("first", "split", "all")


def pool_output_shape(input_hw, size=2, stride=None):
    """(H', W') of a size × size pooling with the given stride (default size) on an (H, W) input, floor mode."""
    stride = size if stride is None else stride
    return (input_hw[0] - size) // stride + 1, (input_hw[1] - size) // stride + 1


def _window_views(a, size, stride, out_h, out_w):
    """size·size strided views of a, one per offset (i, j) in a window, in row-major order.

    view[..., r, s] = a[..., r·stride + i, s·stride + j]. Views, not copies: writing into one writes into a.
    """
    rows, columns = stride * (out_h - 1) + 1, stride * (out_w - 1) + 1
    return [a[:, :, i:i + rows:stride, j:j + columns:stride] for i in range(size) for j in range(size)]


def _maximum(views):
    """The elementwise maximum of the views, a new array laid out in memory like them."""
    y = views[0].copy(order="K")
    for view in views[1:]:
        np.maximum(y, view, out=y)
    return y


@checked(door.pool_args)
def maxpool2d(x, size=2, stride=None):
    """Max over every size × size window.

    x: (N, C, H, W) input; size: window side; stride: step between windows (default size: no overlap)
    Returns y (N, C, H', W'), H' = (H − size) // stride + 1, W' likewise (floor mode), in the dtype of x.
    """
    stride = stride or size
    return _maximum(_window_views(x, size, stride, *pool_output_shape(x.shape[2:], size, stride)))


@checked(door.pool_args)
def maxpool2d_backward(dy, x, size=2, stride=None, ties="first"):
    """Gradient of maxpool2d with respect to its input: route each upstream value to its window's max.

    dy: (N, C, H', W') upstream gradient ∂L/∂y; x: (N, C, H, W) input of the forward pass
    size, stride: as in maxpool2d; ties: "first" | "split" | "all" (see the module docstring)
    Returns dx (N, C, H, W), float, laid out in memory like x; pixels in no window (floor mode) and
    non-winners get 0; overlapping windows (stride < size) add up. The window maxima are recomputed from x.
    """
    stride = stride or size
    out_h, out_w = pool_output_shape(x.shape[2:], size, stride)
    x_views = _window_views(x, size, stride, out_h, out_w)
    y = _maximum(x_views)
    hits = [view == y for view in x_views]          # the indicator of each offset: is it the window's max?
    share = dy
    if ties == "first":
        free = np.ones(y.shape, dtype=bool)         # windows whose winner is still to be chosen
        for hit in hits:
            hit &= free
            free ^= hit                             # hit ⊆ free now, so this takes the winners out
    elif ties == "split":
        share = dy / np.sum(hits, axis=0)
    # ties == "all": every hit keeps its indicator, so each tied maximum gets all of dy
    dx = np.zeros_like(x, dtype=np.result_type(dy, x, 1.0))
    for hit, dx_view in zip(hits, _window_views(dx, size, stride, out_h, out_w), strict=True):
        if stride < size:
            dx_view += share * hit                   # a pixel shared by overlapping windows collects from each
        else:                                        # no overlap: each pixel is in one window, so = is +=
            np.multiply(share, hit, out=dx_view)
    return dx
