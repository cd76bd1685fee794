"""ReLU forward and backward (any shape; the course uses NCHW feature maps)."""
import numpy as np

from helpers.door import real_array


def relu(x):
    """max(x, 0) elementwise.

    x: array of any shape, e.g. (N, C, H, W)
    Returns y of the same shape and dtype.
    """
    x = real_array(x, "x")
    return np.maximum(x, 0)




def relu_backward(dy, x):
    """Gradient of relu with respect to its input: dy where x > 0, else 0.

    dy: upstream gradient dL/dy, the shape of x
    x:  input of the forward pass
    Returns dx, the shape of x. At x == 0 the derivative is taken as 0 (PyTorch's choice,
    a valid subgradient: any value in [0, 1] is).
    """
    dy = real_array(dy, "dy")
    x = real_array(x, "x")
    if dy.shape != x.shape:
        raise ValueError(f"dy must have the shape of x {x.shape}; got dy shape {dy.shape}")
    return np.where(x > 0, dy, 0).astype(np.result_type(dy.dtype, 1.0), copy=False)
