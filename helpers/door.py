"""The door: the learner-facing API (LEARNER_FACING) and the few argument checks it uses.

A function a notebook calls directly checks its arguments once, here, and names the wrong one
(ValueError or TypeError). Everything behind it (engine internals, helpers calling helpers) trusts
its input and does not check again. The one memory guard of the course is check_memory."""
import functools
import inspect
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np

# The learner-facing API, {module: names}: every function and class a notebook calls directly, and the
# hint/solution a learner types. tests/test_door.py keeps it equal to what the notebooks call.
LEARNER_FACING = {
    "helpers.data": ("from_files", "load", "to_unit_float"),
    "helpers.derive.shared_weights": ("batch_timing_figure", "col2im", "conv_matrix_figure", "im2col_figure",
                                      "weight_copies", "window_count"),
    "helpers.derive.symbolic": ("convolve", "correlate", "correlate_channels", "delta_symbols", "dilate",
                                "direct_gradient", "filter_gradient", "filter_symbols", "grids_figure", "image_symbols",
                                "input_gradient", "is_zero", "latex_equations", "latex_gradient", "latex_row",
                                "output_size", "output_symbols", "pad", "proof_table", "rotate180"),
    "helpers.exercises.conv": ("check_col2im", "check_conv2d_backward", "check_coverage",
                               "check_filter_gradient_function", "check_shapes", "help", "hint", "solution"),
    "helpers.exercises.pool": ("check_filter_grad", "check_maxpool_backward", "check_routing", "check_tie_split",
                               "check_tied_central_difference", "help", "hint", "solution"),
    "helpers.exercises.signs": ("check_decay", "check_downstream", "check_signs", "check_update", "help", "hint",
                                "solution"),
    "helpers.exercises.start": ("check_o12", "help", "hint", "solution"),
    "helpers.exercises.symbolic": ("notebook01.check_output_sizes", "notebook01.check_outputs",
                                   "notebook01.check_strided_output", "notebook01.help", "notebook01.hint",
                                   "notebook01.solution", "notebook02.check_dW", "notebook02.check_dense_delta",
                                   "notebook02.check_filter_gradient", "notebook02.check_footprint", "notebook02.help",
                                   "notebook02.hint", "notebook02.solution"),
    "helpers.exercises.training": ("check_run_counts", "check_shapes", "check_step", "exercise_steps", "help", "hint",
                                   "solution"),
    "helpers.nn.conv": ("conv2d", "conv2d_backward", "conv2d_backward_loops", "conv2d_loops"),
    "helpers.nn.gradcheck": ("check_gradient", "numerical_gradient_of_output", "relative_error"),
    "helpers.nn.layers": ("relu", "relu_backward"),
    "helpers.nn.network": ("TrainingDiverged", "forward", "gradient_check", "init_params", "loss_and_grads", "train"),
    "helpers.nn.pool": ("maxpool2d", "maxpool2d_backward"),
    "helpers.study.converged": ("as_history", "compare_with_record", "crossings_table", "drift_table", "edge_counts",
                                "edge_epochs_table", "edge_table", "load", "names", "raw_pixels_table", "runs_table",
                                "seeds_table"),
    "helpers.study.filter_study": ("common_mode", "orientation_score", "random_banks"),
    "helpers.study.signs": ("forward", "gradients", "tally_moves", "train", "train_two_layer", "two_layer_gradients",
                            "upstream_grad"),
    "helpers.widgets.conv_steppers": ("BackwardStepper", "ForwardStepper"),
    "helpers.widgets.env_check": ("live_widget", "version_report"),
    "helpers.widgets.network_view": ("NetworkView", "compute_digit", "where_delta_stops"),
    "helpers.widgets.pool_stepper": ("PoolStepper",),
    "helpers.widgets.signs": ("SignsExplorer", "plot_signed_maps", "plot_weight_paths"),
    "helpers.widgets.training": ("FilterExplorer", "TrainingProgress", "plot_curves", "plot_examples",
                                 "plot_filter_mosaic", "plot_study_curves"),
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


def finite_array(value, name, ndims=None):
    """value as a non-empty float64 array of finite numbers, with one of the numbers of dimensions in ndims
    (any when None): ValueError naming name. Guarded by check_memory."""
    array = real_array(value, name)
    if (ndims is not None and array.ndim not in ndims) or not array.size:
        wanted = "" if ndims is None else " " + " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be a non-empty{wanted} array; got shape {array.shape}")
    check_memory(8 * array.size, name)
    array = array.astype(float, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers; it has {np.count_nonzero(~np.isfinite(array))} "
                         "NaN or ±inf value(s)")
    return array


def number(value, name, low=-np.inf, strict=False):
    """value as a finite float, ≥ low (> low when strict): ValueError naming name."""
    try:
        result = float(value) if isinstance(value, Real) and not isinstance(value, bool) else np.nan
    except OverflowError:   # an int beyond float's range
        result = np.nan
    if not np.isfinite(result) or result < low or (strict and result == low):
        bound = "" if low == -np.inf else f" {'>' if strict else '≥'} {low:g}"
        raise ValueError(f"{name} must be a finite real number{bound}; got {value!r:.60}")
    return result


def check_stride_padding(stride, padding):
    """stride (an integer ≥ 1) and padding (an integer ≥ 0) as ints; ValueError naming the bad one."""
    for name, value, low in (("stride", stride, 1), ("padding", padding, 0)):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"{name} must be an integer ≥ {low}; got {value!r} of type {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name} must be ≥ {low}; got {value}")
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


def class_names(value, name, low, high):
    """value as a tuple of low to high distinct class names (strings; integers are written as strings):
    TypeError / ValueError naming name. The network has 10 outputs, so high is at most 10."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of class names (strings); got {type(value).__name__}")
    for k, item in enumerate(value):
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (str, Integral)):
            raise TypeError(f"{name}[{k}] must be a class name (a string); got {type(item).__name__}")
    names = tuple(str(item).strip() for item in value)
    if not low <= len(names) <= high:
        raise ValueError(f"{name} must name {low} to {high} classes (the network has 10 outputs); got {len(names)}")
    if not all(names) or len(set(names)) < len(names) or max(map(len, names)) > 40:
        raise ValueError(f"{name} must be distinct, non-empty names of up to 40 characters; got {names!r:.200}")
    return names


# ---------------------------------------------------------------------------- the engine's doors
# One check function per door of helpers/nn (conv, pool, layers, gradcheck, network), used as @checked(...)
# there, so that the engine's files hold the engine. They import the engine lazily (it imports this module).

def conv_args(x, w, stride, padding, b=None, dy=None, **rest):
    """The door of the four conv functions: arrays of real numbers with matching shapes."""
    from helpers.nn import conv  # lazily: the engine imports this module
    x, w = real_array(x, "x"), real_array(w, "w")
    stride, padding = check_stride_padding(stride, padding)
    if x.ndim != 4 or min(x.shape) == 0:
        raise ValueError(f"x must be a non-empty 4-D array (N, C, H, W); got shape {x.shape}")
    if w.ndim != 4 or min(w.shape) == 0 or w.shape[1] != x.shape[1]:
        raise ValueError(f"w must be (F, C, KH, KW) with C = {x.shape[1]}, the channels of x; got shape {w.shape}")
    if w.shape[2] > x.shape[2] + 2 * padding or w.shape[3] > x.shape[3] + 2 * padding:
        raise ValueError(f"w: a {w.shape[2]}×{w.shape[3]} filter does not fit the padded input "
                         f"{x.shape[2] + 2 * padding}×{x.shape[3] + 2 * padding}")
    out_h, out_w = conv.conv_output_shape(x.shape[2:], w.shape[2:], stride, padding)
    check_memory(2 * w[0].size * x.shape[0] * out_h * out_w * 8, "x")   # cols, and dcols backward
    arguments = {"x": x, "w": w, "stride": stride, "padding": padding, **rest}
    if "need_dx" in rest:
        arguments["need_dx"] = flag(rest["need_dx"], "need_dx")
    if b is not None:
        arguments["b"] = real_array(b, "b")
        if arguments["b"].shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter; got {arguments['b'].shape}")
    if dy is not None:
        arguments["dy"] = real_array(dy, "dy")
        if arguments["dy"].shape != (x.shape[0], w.shape[0], out_h, out_w):
            raise ValueError(f"dy must have the output's shape {(x.shape[0], w.shape[0], out_h, out_w)}; "
                             f"got {arguments['dy'].shape}")
    return arguments


def pool_args(x, size, stride, dy=None, ties="first"):
    """The door of maxpool2d and maxpool2d_backward."""
    from helpers.nn import pool  # lazily: the engine imports this module
    x = real_array(x, "x")
    if x.ndim != 4 or min(x.shape) == 0:
        raise ValueError(f"x must be a non-empty 4-D array (N, C, H, W); got shape {x.shape}")
    size = integer_in(size, "size", 1, 2**31)
    if size > min(x.shape[2:]):
        raise ValueError(f"x is {x.shape[2]}×{x.shape[3]}: smaller than one window of size {size}×{size}")
    stride = size if stride is None else integer_in(stride, "stride", 1, 2**31)
    arguments = {"x": x, "size": size, "stride": stride}
    if dy is not None:
        if not isinstance(ties, str) or ties not in pool.TIE_RULES:
            raise ValueError(f"ties must be one of {pool.TIE_RULES}; got {ties!r}")
        dy = real_array(dy, "dy")
        expected = x.shape[:2] + pool.pool_output_shape(x.shape[2:], size, stride)
        if dy.shape != expected:
            raise ValueError(f"dy must have the forward output's shape {expected}; got {dy.shape}")
        if x.dtype.kind == "f" and np.isnan(x).any():
            raise ValueError("x holds NaN: a window's maximum, and so where its gradient goes, is undefined")
        arguments.update(dy=dy, ties=ties)
    return arguments


def relu_args(x, dy=None):
    arguments = {"x": real_array(x, "x")}
    if dy is not None:
        arguments["dy"] = real_array(dy, "dy")
        if arguments["dy"].shape != arguments["x"].shape:
            raise ValueError(f"dy must have the shape of x {arguments['x'].shape}; got {arguments['dy'].shape}")
    return arguments


def relative_args(a, b):
    a, b = real_array(a, "a").astype(float), real_array(b, "b").astype(float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return {"a": a, "b": b}


def gradcheck_args(f, x, h, upstream=None, analytic=None, tolerance=None):
    """The door of the gradient checks: x a writeable float array (it is perturbed in place), f callable, h > 0."""
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64) or not x.flags.writeable:
        raise ValueError(f"x must be a writeable float32 or float64 NumPy array (it is perturbed in place); got "
                         f"{type(x).__name__} {getattr(x, 'dtype', '')}")
    if not callable(f):
        raise ValueError(f"f must be a function of x; got {type(f).__name__}")
    arguments = {"x": x, "f": f, "h": number(h, "h", 0.0, strict=True)}
    if upstream is not None:
        upstream = arguments["upstream"] = real_array(upstream, "upstream").astype(float)
        if np.shape(f(x)) != upstream.shape:   # a broadcast would weigh the outputs wrongly, silently
            raise ValueError(f"upstream must have the shape of f(x) {np.shape(f(x))}; got {upstream.shape}")
    if analytic is not None:
        arguments["analytic"] = real_array(analytic, "analytic").astype(float)
        if arguments["analytic"].shape != x.shape:
            raise ValueError(f"analytic must be shaped like x {x.shape}; got {arguments['analytic'].shape}")
        arguments["tolerance"] = number(tolerance, "tolerance", 0.0, strict=True)
    return arguments


def init_args(seed, dtype, init):
    from helpers.nn import network  # lazily: the engine imports this module
    try:
        float_dtype = np.dtype(dtype) in (np.float32, np.float64)
    except (TypeError, ValueError):
        float_dtype = False
    if not float_dtype:
        raise ValueError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
    if not isinstance(init, str) or init not in network.INITS:
        raise ValueError(f"init must be one of {network.INITS}; got {init!r}")
    return {"seed": integer_in(seed, "seed", 0, 2**63), "dtype": np.dtype(dtype), "init": init}


def check_params(params):
    from helpers.nn import network  # lazily: the engine imports this module
    mapping(params, "params", "a dict like init_params() returns")
    dtype = np.asarray(params.get("conv1.w", 0.0)).dtype
    for name, shape in network.SHAPES.items():
        value = params.get(name)
        if not isinstance(value, np.ndarray) or value.shape != shape or value.dtype != dtype:
            raise ValueError(f"params[{name!r}] must be an array of shape {shape} in the dtype of conv1.w ({dtype})")
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"params must be float32 or float64; got {dtype}")


def check_images(x, name):
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28) or len(x) == 0 or x.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold real (N, 1, 28, 28) images, N ≥ 1; got {x.dtype} of shape {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"{name} holds NaN or inf")
    return x


def check_labels(y, n, name):
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu" or not np.isin(y, range(10)).all():
        raise ValueError(f"{name} must be {n} integer labels 0…9, one per image")
    return y


def forward_args(params, x):
    from helpers.nn import network  # lazily: the engine imports this module
    check_params(params)
    x = check_images(x, "x")
    check_memory(len(x) * network.BYTES_PER_IMAGE, "x")
    return {"params": params, "x": network._images(x, params["conv1.w"].dtype)}


def loss_args(params, x, y):
    return {**forward_args(params, x), "y": check_labels(y, len(np.asarray(x)), "y")}


def train_args(params, x, y, learning_rate, batch_size, epochs, seed, x_test, y_test, on_progress,
                progress_every, snapshot_every):
    from helpers.nn import network  # lazily: the engine imports this module
    check_params(params)
    x = check_images(x, "x")
    if (x_test is None) != (y_test is None):
        raise ValueError("x_test and y_test come as a pair: pass both or neither")
    if x_test is not None:
        x_test = check_images(x_test, "x_test")
        y_test = check_labels(y_test, len(x_test), "y_test")
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be a callable(history) or None; got {type(on_progress).__name__}")
    batch_size = integer_in(batch_size, "batch_size", 1, len(x))
    check_memory(batch_size * network.BYTES_PER_IMAGE, "batch_size")
    return {"params": params, "x": x, "y": check_labels(y, len(x), "y"), "x_test": x_test, "y_test": y_test,
            "learning_rate": number(learning_rate, "learning_rate", 0.0, strict=True), "batch_size": batch_size,
            "epochs": integer_in(epochs, "epochs", 1, 10**6), "seed": integer_in(seed, "seed", 0, 2**63),
            "on_progress": on_progress, "progress_every": integer_in(progress_every, "progress_every", 1, 10**9),
            "snapshot_every": integer_in(snapshot_every, "snapshot_every", 1, 10**9)}


def gradient_check_args(params, x, y, entries, eps, seed):
    arguments = loss_args(params, x, y)
    if params["conv1.w"].dtype != np.float64:
        raise ValueError("params must be float64 for a gradient check (init_params(dtype=np.float64))")
    return {**arguments, "entries": integer_in(entries, "entries", 1, 10**6), "eps": number(eps, "eps", 0.0, True),
            "seed": integer_in(seed, "seed", 0, 2**63)}
