"""Fuzz the learner-facing API (helpers.door.LEARNER_FACING) with wrong types, shapes, dtypes, NaN/inf and sizes.

The only acceptable outcomes of a call are a result, or a ValueError/TypeError whose message names one of
the arguments the call was given (the learner must be able to tell which one is wrong). Anything else — an
IndexError from deep inside, a MemoryError, a call that runs for more than CALL_SECONDS — is a failure.

Only the doors are fuzzed: what a notebook calls directly. Everything behind them trusts its input (it is
called by the course's own code), so it is not fuzzed. SKIP is the explicit list of doors left out, each with
its reason. Checkers (helpers/exercises/) are fuzzed lightly: tests/test_exercises.py feeds them malformed
answers. Every case must pass: none is marked xfail.

Runs derandomized (the same examples every run) with a per-callable example budget.
"""
import importlib
import inspect
import math
import re
import resource
import signal
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.door import LEARNER_FACING

CALL_SECONDS = 10          # a single call may take this long before it counts as a hang
MEMORY_HEADROOM = 3 << 30  # address space a fuzzed call may add to the test process (MemoryError beyond)

# (module, name): why it is not fuzzed
SKIP = {
    # it may download (no network at test time); tests/test_data.py drives it against a fake server on 127.0.0.1
    ("data", "load"): "downloads",
}

ENGINE = {"nn.layers", "nn.conv", "nn.gradcheck", "nn.network", "nn.pool", "derive.symbolic"}   # most examples


def learner_facing():
    """(module name, attribute name, object) for every door in LEARNER_FACING ("notebook01.check_outputs" too)."""
    found = []
    for module_name, names in LEARNER_FACING.items():
        module = importlib.import_module(module_name)
        for name in names:
            obj = module
            for part in name.split("."):
                obj = getattr(obj, part)
            found.append((module_name.removeprefix("helpers."), name, obj))
    return found


# ---------------------------------------------------------------------------- the values thrown at them

def _small_history():
    from helpers import data
    from helpers.nn import network

    subset = data.load_subset()
    return network.train(network.init_params(seed=0), subset.x_train[:64], subset.y_train[:64], batch_size=32,
                         snapshot_every=1)


def _values():
    from helpers.nn import network

    params = network.init_params(seed=0)
    x_sym = sp.Symbol("x")
    fixed = [
        None, True, False, 0, 1, 2, 3, 7, -1, 10**6, 2**63, 0.5, -0.0, 1e-300, 1e308, math.nan, math.inf, -math.inf,
        1j, "", "abc", "1, 2, 3", "−1", "x" * 5000, "__import__('os').system('echo PWNED')", b"bytes",
        [], [1, 2], [[1, 2], [3]], (), (3, 3), (2, 1, 28, 28), {}, {"a": 1}, object(), print,
        lambda *args, **kwargs: 0.0, np.float64(np.nan), np.int64(5),
        np.zeros((2, 1, 28, 28)), np.full((2, 1, 28, 28), np.nan), np.zeros((2, 1, 28, 28), np.uint8),
        np.array([0, 1]), np.array([0, 10]), np.array([-1, 3]), np.zeros((6, 1, 3, 3)), np.zeros((2, 3, 5, 5)),
        np.zeros((4, 3, 3, 3)), np.zeros(4), np.zeros((3, 3)), np.eye(2), np.array(["a", "b"]),
        np.array([object()], dtype=object), np.zeros((0, 3)), np.zeros((1, 1, 4, 4)) + np.inf,
        np.broadcast_to(0.0, (10**5, 3, 100, 100)),          # 24 GB if anyone copied it
        params, {k: v for k, v in params.items() if k != "fc2.b"}, {k: v.T for k, v in params.items()},
        sp.Matrix([[1, 2], [3, 4]]), sp.Matrix(2, 2, sp.symbols("a b c d")), sp.zeros(13, 13), x_sym,
        x_sym**2 - x_sym * x_sym, sp.Integer(3),
    ]
    return fixed


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.uint8, np.bool_,
                                  np.complex128]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4))
    return draw(hnp.arrays(dtype, shape))


_VALUES = None


def values():
    global _VALUES
    if _VALUES is None:
        _VALUES = _values()
        try:
            _VALUES.append(_small_history())
        except Exception:  # a broken train is test_network's business, not this test's
            pass
    return st.one_of(st.sampled_from(_VALUES), arrays(), st.integers(-3, 40),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))


# ---------------------------------------------------------------------------- running one call

class CallTookTooLong(Exception):
    pass


def _alarm(signum, frame):
    raise CallTookTooLong(f"a single call took more than {CALL_SECONDS} s")


def names_an_argument(message, names):
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) for name in names)


def short(value):
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def fuzz_parameters(obj):
    """The parameters to fuzz: (name, required, keyword-only) for each; *args and **kwargs are left alone."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    result = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or parameter.name == "self":
            continue
        result.append((parameter.name, parameter.default is parameter.empty,
                       parameter.kind == parameter.KEYWORD_ONLY))
    return result


def call_once(label, obj, arguments):
    import matplotlib.pyplot as plt

    positional = [value for name, (value, keyword) in arguments.items() if not keyword]
    keywords = {name: value for name, (value, keyword) in arguments.items() if keyword}
    described = ", ".join(f"{name}={short(value)}" for name, (value, _) in arguments.items())
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj(*positional, **keywords)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert names_an_argument(message, list(arguments)), (
            f"{label}({described}) raised {type(error).__name__} naming none of {list(arguments)}: {message[:300]!r}")
    except CallTookTooLong:
        pytest.fail(f"{label}({described}) took more than {CALL_SECONDS} s")
    except Exception as error:  # noqa: BLE001 - everything else is the failure this test looks for
        pytest.fail(f"{label}({described}) raised {type(error).__name__}: {str(error)[:300]}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        plt.close("all")


@pytest.fixture(scope="module", autouse=True)
def bounded_memory():
    """A fuzzed size that escapes a guard becomes a MemoryError (a failure), not a machine out of memory."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# ---------------------------------------------------------------------------- the test

def cases():
    for module, name, obj in learner_facing():
        if (module, name) in SKIP:
            continue
        yield pytest.param(module, name, obj, id=f"{module}.{name}")


def examples_for(module):
    if module.startswith("exercises."):
        return 4
    return 40 if module in ENGINE else 10


@pytest.mark.parametrize("module, name, obj", list(cases()))
def test_bad_input_gets_a_clear_error_or_a_result(module, name, obj):
    parameters = fuzz_parameters(obj)
    label = f"helpers.{module}.{name}"
    if not parameters:
        call_once(label, obj, {})
        return

    @settings(max_examples=examples_for(module), derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])  # no shrinking
    @given(st.data())
    def run(data):
        arguments = {}
        for parameter, required, keyword_only in parameters:
            if required or data.draw(st.booleans(), label=f"give {parameter}"):
                arguments[parameter] = (data.draw(values(), label=parameter), keyword_only or not required)
        call_once(label, obj, arguments)

    run()


def test_every_door_is_fuzzed_or_skipped_with_a_reason():
    listed = {(module, name) for module, name, _ in learner_facing()}
    assert set(SKIP) <= listed, f"SKIP names doors that no longer exist: {set(SKIP) - listed}"
    assert len(listed) == sum(len(names) for names in LEARNER_FACING.values()) > 100
    assert {module for module, _ in listed} >= ENGINE
