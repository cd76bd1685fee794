"""Argument checks shared by several modules (validate at the door): stride and padding, real arrays,
integers in a range, truth values, dicts. Each raises ValueError or TypeError naming the argument."""
from collections.abc import Mapping
from numbers import Integral

import numpy as np


def real_array(value, name):
    """value as a NumPy array of real numbers (float, int, uint or bool dtype), not copied.

    Raises ValueError naming ``name`` when no array can be made of value, or when it holds anything else
    (complex, strings, objects).
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers; got {type(value).__name__}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold real numbers; got dtype {array.dtype}")
    return array


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


def integer_in(value, name, low, high):
    """value as an int if it is an integer from low to high (not a bool): TypeError / ValueError naming name."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Integral, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}; got {value}")
    return int(value)


def flag(value, name):
    """value as a bool if it is True or False (a NumPy bool too): TypeError naming name."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__}")
    return bool(value)


def mapping(value, name, what):
    """value if it is a dict (any Mapping): TypeError naming name, saying what it must be."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be {what}; got {type(value).__name__}")
    return value
