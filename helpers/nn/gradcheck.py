"""Central-difference gradient checks: the numbers a backward pass must agree with.

    ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / (2h)        (error O(h²) plus rounding ≈ ε·|f| / h)

and the relative error used to compare two gradients (as in cs231n):

    rel_error(a, b) = max_i |a_i − b_i| / max(|a_i| + |b_i|, tiny)

What to expect in float64 with h = 1e-5 (the default, as in cs231n) on a smooth function:
    < 1e-7   the gradient is right (typically 1e-10 … 1e-8; entries near 0 are the worst);
    1e-7 … 1e-4  suspicious: fine next to a kink (ReLU, max) or for a very deep expression, otherwise a bug;
    > 1e-4   the gradient is wrong.
The error is the larger of truncation (∝ h²) and rounding (∝ ε·|f|/h, worst for entries near 0).
For a function that is linear in x (a conv layer's loss Σ y·δ in x, w or b) truncation is zero and a
larger h only helps: with h = 1e-3 a conv layer's gradients check to about 1e-9 or better.
In float32 rounding dominates (ε ≈ 1e-7): expect ~1e-3 and check in float64. float16 (ε ≈ 1e-3) is
refused: x + h rounds back to x for h = 1e-5, and the "gradient" comes out 0.
"""
import numpy as np

from helpers import door
from helpers.door import checked


def numerical_gradient(f, x, h=1e-5, entries=None):
    """∂f/∂x by central differences, one entry of x at a time.

    f: a function of x returning a number (the loss); it is called twice per entry
    x: float32 or float64 array (float64 recommended); changed in place during the check, restored after,
       even when f raises
    h: the step (float64: 1e-5 balances truncation error ∝ h² against rounding ∝ ε/h)
    entries: the index tuples to differentiate (default: every entry of x); the others stay 0
    Returns an array shaped like x.
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape) if entries is None else entries:
        kept = x[index]
        try:
            x[index] = kept + h
            f_plus = float(f(x))
            x[index] = kept - h
            f_minus = float(f(x))
        finally:
            x[index] = kept
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


@checked(door.gradcheck_args)
def numerical_gradient_of_output(f, x, upstream, h=1e-5):
    """∂L/∂x for L = Σ f(x) · upstream, by central differences — for an f that returns an array.

    f: function of x returning an array shaped like upstream (e.g. a layer's forward pass)
    x: float array (changed in place during the check, then restored)
    upstream: δ = ∂L/∂f(x), the array that weighs f's outputs
    Returns an array shaped like x: what the layer's backward pass must return for dx given dy = upstream.
    """
    return numerical_gradient(lambda value: np.sum(f(value) * upstream), x, h)


@checked(door.relative_args)
def relative_error(a, b):
    """max_i |a_i − b_i| / max(|a_i| + |b_i|, 1e-12): 0 for equal arrays, up to 1 for unrelated ones.

    a, b: array-likes of the same shape. See the module docstring for the sizes to expect.
    """
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


@checked(door.gradcheck_args)
def check_gradient(f, x, analytic, h=1e-5, tolerance=1e-7):
    """Compare an analytic gradient with central differences of f at x.

    f: function of x returning a number; x: float array; analytic: ∂f/∂x from a backward pass
    tolerance: largest acceptable relative error (default 1e-7, right for float64)
    Returns (ok, relative error).
    """
    error = relative_error.unchecked(analytic, numerical_gradient(f, x, h).astype(float))
    return error < tolerance, error
