"""The door: the learner-facing API (LEARNER_FACING) and the few argument checks it uses.

A function a notebook calls directly checks its arguments once, here, and names the wrong one
(ValueError or TypeError). Everything behind it (engine internals, helpers calling helpers) trusts
its input and does not check again. The one memory guard of the course is check_memory."""
import functools
import inspect
from collections.abc import Mapping
from numbers import Integral

import numpy as np

# The learner-facing API, {module: names}: every function and class a notebook calls directly, and the
# hint/solution a learner types. tests/test_door.py keeps it equal to what the notebooks call. These are the
# doors that check their arguments (through this module) and name the wrong one.
LEARNER_FACING = {
    "helpers.data": (
        "load", "to_unit_float",),
    "helpers.derive.shared_weights": (
        "col2im", "conv_matrix_figure", "im2col_figure", "weight_copies", "window_count",),
    "helpers.derive.symbolic": (
        "convolve", "correlate", "correlate_channels", "delta_symbols", "dilate", "direct_gradient",
        "filter_gradient", "filter_symbols", "grids_figure", "image_symbols", "input_gradient", "is_zero",
        "latex_equations", "latex_gradient", "latex_row", "output_size", "output_symbols", "pad", "proof_table",
        "rotate180",),
    "helpers.exercises.conv": (
        "check_col2im", "check_conv2d_backward", "check_coverage", "check_filter_gradient_function", "check_shapes",
        "help", "hint", "solution",),
    "helpers.exercises.pool": (
        "check_filter_grad", "check_maxpool_backward", "check_routing", "check_tie_split",
        "check_tied_central_difference", "help", "hint", "solution",),
    "helpers.exercises.signs": (
        "check_decay", "check_downstream", "check_signs", "check_update", "help", "hint", "solution",),
    "helpers.exercises.start": (
        "check_o12", "help", "hint", "solution",),
    "helpers.exercises.symbolic": (
        "notebook01.check_output_sizes", "notebook01.check_outputs", "notebook01.check_strided_output",
        "notebook01.help", "notebook01.hint", "notebook01.solution", "notebook02.check_dW",
        "notebook02.check_dense_delta", "notebook02.check_filter_gradient", "notebook02.check_footprint",
        "notebook02.help", "notebook02.hint", "notebook02.solution",),
    "helpers.exercises.training": (
        "check_run_counts", "check_shapes", "check_step", "exercise_steps", "help", "hint", "solution",),
    "helpers.nn.conv": (
        "conv2d", "conv2d_backward", "conv2d_backward_loops", "conv2d_loops",),
    "helpers.nn.gradcheck": (
        "check_gradient", "numerical_gradient_of_output", "relative_error",),
    "helpers.nn.layers": (
        "relu", "relu_backward",),
    "helpers.nn.network": (
        "TrainingDiverged", "forward", "gradient_check", "init_params", "loss_and_grads", "train",),
    "helpers.nn.pool": (
        "maxpool2d", "maxpool2d_backward",),
    "helpers.study.converged": (
        "as_history", "compare_with_record", "crossings_table", "drift_table", "edge_table", "load",
        "raw_pixels_table", "runs_table", "seeds_table",),
    "helpers.study.filter_study": (
        "common_mode", "orientation_score", "random_banks",),
    "helpers.study.signs": (
        "forward", "gradients", "tally_moves", "train", "train_two_layer", "two_layer_gradients", "upstream_grad",),
    "helpers.widgets.conv_steppers": (
        "BackwardStepper", "ForwardStepper",),
    "helpers.widgets.env_check": (
        "live_widget", "version_report",),
    "helpers.widgets.network_view": (
        "NetworkView", "compute_digit", "where_delta_stops",),
    "helpers.widgets.pool_stepper": (
        "PoolStepper",),
    "helpers.widgets.signs": (
        "SignsExplorer", "plot_signed_maps", "plot_weight_paths",),
    "helpers.widgets.training": (
        "FilterExplorer", "TrainingProgress", "plot_curves", "plot_examples", "plot_filter_mosaic",
        "plot_study_curves",),
}


def checked(check):
    """Decorator that puts a function behind the door.

    check(**arguments) receives the call's arguments by name (defaults filled in), raises ValueError or
    TypeError naming the wrong one, and returns the arguments to run with (a dict, e.g. arrays converted).
    The plain function stays reachable as .unchecked: the engine's own calls behind the door use it.
    """
    def wrap(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def door(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return function(**check(**bound.arguments))
        door.unchecked = function
        return door
    return wrap


MEMORY_BUDGET = 1 << 30   # bytes one call may use: the course's one memory guard (a Binder has 2 GB in all)


def check_memory(nbytes, name):
    """Refuse a call that would need more than MEMORY_BUDGET bytes: ValueError naming the argument."""
    if nbytes > MEMORY_BUDGET:
        raise ValueError(f"{name} is too large: the call would need about {nbytes / 2**30:.1f} GB of memory, "
                         f"over the {MEMORY_BUDGET >> 30} GB one call may use (a Binder has 2 GB in all); "
                         f"pass a smaller {name}")


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
