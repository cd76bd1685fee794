"""Argument checks shared by the symbolic and the NumPy convolution (validate at the door)."""
from numbers import Integral


def check_stride_padding(stride, padding):
    """stride (an integer ≥ 1) and padding (an integer ≥ 0) as ints; ValueError naming the bad one."""
    if isinstance(stride, bool) or not isinstance(stride, Integral):
        raise ValueError(f"stride must be an integer ≥ 1; got {stride!r} of type {type(stride).__name__}")
    if stride < 1:
        raise ValueError(f"stride must be ≥ 1; got {stride}")
    if isinstance(padding, bool) or not isinstance(padding, Integral):
        raise ValueError(f"padding must be an integer ≥ 0; got {padding!r} of type {type(padding).__name__}")
    if padding < 0:
        raise ValueError(f"padding must be ≥ 0; got {padding}")
    return int(stride), int(padding)
