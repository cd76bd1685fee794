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
In float32 rounding dominates (ε ≈ 1e-7): expect ~1e-3 and check in float64.
"""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """∂f/∂x by central differences, one entry of x at a time.

    f: a function of x returning a number (the loss); it is called 2·x.size times
    x: float array; it is changed in place during the check and restored afterwards
    h: the step (float64: 1e-5 balances truncation error ∝ h² against rounding ∝ ε/h)
    Returns an array shaped like x.
    """
    x = _check_float_array(x, "x")
    if not (isinstance(h, (int, float, np.floating)) and h > 0):
        raise ValueError(f"h must be a positive number; got {h!r}")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        kept = x[index]
        x[index] = kept + h
        f_plus = float(f(x))
        x[index] = kept - h
        f_minus = float(f(x))
        x[index] = kept
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_of_output(f, x, upstream, h=1e-5):
    """∂L/∂x for L = Σ f(x) · upstream, by central differences — for an f that returns an array.

    f: function of x returning an array shaped like upstream (e.g. a layer's forward pass)
    x: float array (changed in place during the check, then restored)
    upstream: δ = ∂L/∂f(x), the array that weighs f's outputs
    Returns an array shaped like x: what the layer's backward pass must return for dx given dy = upstream.
    """
    upstream = np.asarray(upstream)
    return numerical_gradient(lambda value: np.sum(f(value) * upstream), x, h)


def relative_error(a, b):
    """max_i |a_i − b_i| / max(|a_i| + |b_i|, 1e-12): 0 for equal arrays, up to 1 for unrelated ones.

    a, b: array-likes of the same shape. See the module docstring for the sizes to expect.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def check_gradient(f, x, analytic, h=1e-5, tolerance=1e-7):
    """Compare an analytic gradient with central differences of f at x.

    f: function of x returning a number; x: float array; analytic: ∂f/∂x from a backward pass
    tolerance: largest acceptable relative error (default 1e-7, right for float64)
    Returns (ok, relative error).
    """
    analytic = np.asarray(analytic)
    x = _check_float_array(x, "x")
    if analytic.shape != x.shape:
        raise ValueError(f"analytic must be shaped like x {x.shape}; got {analytic.shape}")
    error = relative_error(analytic, numerical_gradient(f, x, h))
    return error < tolerance, error


def _check_float_array(x, name):
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise ValueError(f"{name} must be a float NumPy array (it is perturbed in place); "
                         f"got {type(x).__name__} {getattr(x, 'dtype', '')}")
    return x
