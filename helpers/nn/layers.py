"""The layers around the convolutions: ReLU, a dense (fully connected) layer, softmax cross-entropy."""
import numpy as np

from helpers import door
from helpers.door import checked


@checked(door.relu_args)
def relu(x):
    """max(x, 0) elementwise. x: any shape, e.g. (N, C, H, W); returns y, the shape of x."""
    return np.maximum(x, 0)


@checked(door.relu_args)
def relu_backward(dy, x):
    """Gradient of relu with respect to its input: dy where x > 0, else 0.

    dy: upstream gradient ∂L/∂y, the shape of x; x: input of the forward pass (or its output: relu(u) > 0
    exactly where u > 0, so the network passes the output it kept)
    Returns dx, the shape of x. At x == 0 the derivative is taken as 0 (PyTorch's choice, a valid
    subgradient: any value in [0, 1] is).
    """
    return np.where(x > 0, dy, 0).astype(np.result_type(dy, 1.0), copy=False)


def linear(x, w, b):
    """Dense layer. x: (N, D_in); w: (D_out, D_in) as in PyTorch; b: (D_out,). Returns y (N, D_out) = x wᵀ + b."""
    return x @ w.T + b


def linear_backward(dy, x, w):
    """Gradients of linear. dy: (N, D_out). Returns dx (N, D_in), dw (D_out, D_in), db (D_out,)."""
    return dy @ w, dy.T @ x, dy.sum(axis=0)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    logits: (N, K); y: (N,) labels 0 … K − 1
    Returns loss (a float) and dlogits (N, K) = (softmax(logits) − onehot(y)) / N.
    """
    n = len(y)
    shifted = logits - logits.max(axis=1, keepdims=True)   # exp never overflows
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(total[:, 0]) - shifted[np.arange(n), y]))
    dlogits = exp / total
    dlogits[np.arange(n), y] -= 1
    return loss, dlogits / n
