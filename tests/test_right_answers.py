"""Every right answer is accepted, in every form a learner may write it; every named misconception gets its message;
no wrong answer's feedback shows the expected answer.

The checkers are found from the source (every function decorated with ``@checker(...)`` in helpers/exercises/), so
a new checker without a right answer fails here. The right answers come from each exercise's ``answer_code``.
"""
import ast
import importlib
import inspect
import pkgutil
import re
import time

import numpy as np
import pytest
import sympy as sp
from exercise_answers import answer_arguments, answer_parameters, checkers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpers.exercises
from helpers.derive import symbolic
from helpers.exercises import conv as conv_exercises
from helpers.exercises import pool as pool_exercises
from helpers.exercises import signs as signs_exercises
from helpers.exercises import symbolic as sym
from helpers.exercises import training as training_exercises
from helpers.exercises.feedback import RTOL, Exercise, check_numbers, close
from helpers.nn import network
from helpers.nn.conv import conv2d_backward
from helpers.nn.pool import maxpool2d_backward

CHECKERS = checkers()


def decorated_checkers():
    """(module, function name) of every function decorated with @checker(...) in helpers/exercises/*.py."""
    found = []
    for info in pkgutil.iter_modules(helpers.exercises.__path__):
        module = importlib.import_module(f"helpers.exercises.{info.name}")
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    call = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if getattr(call, "id", getattr(call, "attr", None)) == "checker":
                        found.append((module, node.name))
    return found


def test_every_decorated_checker_has_a_right_answer_that_passes():
    found = decorated_checkers()
    assert len(found) >= 25
    for module, name in found:
        check = getattr(module, name, None)
        assert check is not None and isinstance(getattr(check, "exercise", None), Exercise), f"{module.__name__}.{name}"
        key = check.exercise.key
        assert CHECKERS.get(key) is check, f"{module.__name__}.{name} ({key}) is not among the checkers with answers"
        assert check.exercise.answer_code.strip(), f"{key} has no right answer (answer_code)"
        assert check(*answer_arguments(key)), f"{key}: its own right answer is refused"


# ---------------------------------------------------------------- the forms of one right answer
def _whole(array):
    return array.size and np.all(array == np.round(array))


def numeric_forms(value):
    """{form name: the same numbers written that way}."""
    array = np.asarray(value, dtype=float)
    scale = max(float(np.max(np.abs(array))), 1.0)
    forms = {
        "float64 array": array.copy(), "float32 array": array.astype(np.float32),
        "list": array.tolist(), "×(1+1e-9)": (array * (1 + 1e-9)).tolist(), "×(1−1e-9)": array * (1 - 1e-9),
        "float32 rounding of ×(1+3e-7)": (array * (1 + 3e-7)).astype(np.float32),
        "+1e-12 on every entry": array + 1e-12 * scale,
        "np.float32 of the array": np.float32(array),
    }
    if array.ndim == 0:
        forms.update({"Python float": float(array), "np.float32 scalar": np.float32(array.item()),
                      "np.float64 scalar": np.float64(array.item()), "SymPy Float": sp.Float(array.item()),
                      "0-d array": np.array(array.item())})
    else:
        nested = np.vectorize(np.float64, otypes=[object])(array).tolist()
        forms.update({"nested lists of np.float64": nested,
                      "nested lists of np.float32": np.vectorize(np.float32, otypes=[object])(array).tolist(),
                      "tuples": _tuples(array.tolist()), "list of SymPy Floats": _map(sp.Float, array.tolist())})
        if array.ndim == 2:
            forms["SymPy Matrix"] = sp.Matrix(array.tolist())
    if _whole(array):
        forms.update({"whole numbers as floats (54.0)": _map(float, array.tolist()),
                      "whole numbers as 54.000000000001": _map(lambda v: v + 1e-12 * max(abs(v), 1), array.tolist()),
                      "np.int64": array.astype(np.int64), "SymPy Integers": _map(lambda v: sp.Integer(int(v)),
                                                                                 array.tolist())})
    return forms


def _map(function, value):
    return [_map(function, v) for v in value] if isinstance(value, list) else function(value)


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def formula_forms(expression):
    """{form name: the same formula written that way}: Float coefficients, reordered terms, tiny roundings."""
    terms = list(sp.Add.make_args(sp.expand(expression)))
    first_symbols = sorted(expression.free_symbols, key=sp.default_sort_key)[:2]
    return {
        "as written": expression,
        "Float coefficients, expanded (1.0·…)": sp.expand(1.0 * expression),
        "np.float32 coefficients": sp.Add(*[sp.Float(float(np.float32(1.0))) * t for t in terms]),
        "reversed terms": sp.Add(*reversed(terms), evaluate=False),
        "rotated terms": sp.Add(*(terms[1:] + terms[:1]), evaluate=False),
        "×(1+1e-9)": sp.expand((1 + 1e-9) * expression),
        "each term's own rounding": sp.Add(*[(1 + (k + 1) * 1e-10) * t for k, t in enumerate(terms)]),
        "an extra term of size 1e-15": expression + 1e-15 * sp.Mul(*first_symbols),
        "factored by hand": sp.Add(*terms[:2]) + sp.Add(*terms[2:]) if len(terms) > 2 else expression,
    }


def function_forms(function):
    """{form name: a function whose results are function's, written that way}."""
    def wrap(transform):
        def learner(*args):
            result = function(*args)
            if isinstance(result, tuple):
                return tuple(transform(np.asarray(part)) for part in result)
            return transform(np.asarray(result))
        return learner

    forms = {"as written": function, "float32 results": wrap(lambda a: a.astype(np.float32)),
             "nested-list results": wrap(lambda a: a.tolist()), "×(1+1e-9)": wrap(lambda a: a * (1 + 1e-9))}

    def as_list(*args):
        result = function(*args)
        return list(result) if isinstance(result, tuple) else result

    forms["a list instead of a tuple"] = as_list
    return forms


def forms_of(value):
    if callable(value):
        return function_forms(value)
    if isinstance(value, sp.Expr):
        return formula_forms(value)
    return numeric_forms(value)


CASES = [(key, name, form) for key in CHECKERS for name in answer_parameters(key)
         for form in forms_of(answer_arguments(key)[list(inspect.signature(CHECKERS[key]).parameters).index(name)])]


@pytest.mark.parametrize("key, parameter, form", CASES, ids=[f"{k}-{p}-{f}" for k, p, f in CASES])
def test_the_right_answer_passes_in_every_form(key, parameter, form):
    check, args = CHECKERS[key], answer_arguments(key)
    position = list(inspect.signature(check).parameters).index(parameter)
    args[position] = forms_of(args[position])[form]
    feedback = check(*args)
    assert feedback.ok, f"{key} refused its right answer written as {form}: {feedback}"


@pytest.mark.parametrize("key", [k for k in CHECKERS if not callable(answer_arguments(k)[0])
                                 and not isinstance(answer_arguments(k)[0], sp.Expr)])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_rounding_within_float32_precision_passes(key, data):
    """Every entry rounded on its own by up to 2e-7 of its size (float32's precision is 6e-8), in any container."""
    check, args = CHECKERS[key], answer_arguments(key)
    parameters = list(inspect.signature(check).parameters)
    for name in answer_parameters(key):
        right = np.asarray(args[parameters.index(name)], dtype=float)
        noise = np.array(data.draw(st.lists(st.floats(-2e-7, 2e-7), min_size=right.size, max_size=right.size)))
        rounded = right * (1 + noise.reshape(right.shape))
        container = data.draw(st.sampled_from(["array", "float32", "list"]))
        args[parameters.index(name)] = {"array": rounded, "float32": rounded.astype(np.float32),
                                        "list": rounded.tolist()}[container]
    feedback = check(*args)
    assert feedback.ok, f"{key}: {args} refused: {feedback}"


@pytest.mark.parametrize("key", [k for k in CHECKERS if isinstance(answer_arguments(k)[0], sp.Expr)])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_right_formula_passes_in_any_order_and_with_any_tiny_rounding(key, data):
    check, args = CHECKERS[key], answer_arguments(key)
    terms = list(sp.Add.make_args(args[0]))
    order = data.draw(st.permutations(range(len(terms))))
    factors = data.draw(st.lists(st.floats(1 - 1e-8, 1 + 1e-8), min_size=len(terms), max_size=len(terms)))
    args[0] = sp.Add(*[sp.Float(factors[i]) * terms[i] for i in order], evaluate=False)
    feedback = check(*args)
    assert feedback.ok, f"{key}: {args[0]} refused: {feedback}"


# ---------------------------------------------------------------- EPOCHS = 1, 2, 3 or 30: exercise 06-2 works
def history_like_train(epochs, steps_per_epoch=62, every=10, seed=0):
    """A history with the snapshot steps network.train keeps: 0, every, 2·every, …, and the last step."""
    end, rng = epochs * steps_per_epoch, np.random.default_rng(seed)
    steps = sorted(set(range(0, end + 1, every)) | {end})
    weights = {"conv1.w": rng.standard_normal((6, 1, 3, 3)), "conv2.w": rng.standard_normal((6, 6, 3, 3))}
    snapshots = []
    for _ in steps:
        weights = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in weights.items()}
        snapshots.append({k: v.copy() for k, v in weights.items()})
    return {"snapshot_steps": steps, "snapshots": snapshots}


@pytest.mark.parametrize("epochs", [1, 2, 3, 30])
def test_run_counts_work_for_every_epochs_a_learner_may_set(epochs):
    history = history_like_train(epochs)
    first, last = training_exercises.exercise_steps(history)
    assert first < last == history["snapshot_steps"][-1] or last == 300
    assert training_exercises.check_run_counts(*answer_arguments("06-2", history))
    wrong = training_exercises.check_run_counts((-1, 99), history)
    assert not wrong and "steps must be" not in str(wrong)


def test_run_counts_on_a_real_one_epoch_run():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (62 * 8, 1, 28, 28), dtype=np.uint8), rng.integers(0, 10, 62 * 8)
    history = network.train(network.init_params(seed=0), x, y, learning_rate=0.05, batch_size=8, epochs=1,
                            snapshot_every=10)
    assert history["snapshot_steps"][-1] == 62
    assert training_exercises.exercise_steps(history) == (20, 62)
    assert training_exercises.check_run_counts(*answer_arguments("06-2", history))


def test_a_run_without_snapshots_is_told_in_terms_of_history_not_steps():
    for history in ({"snapshot_steps": [0], "snapshots": [{}]}, {"snapshot_steps": [], "snapshots": []}):
        feedback = training_exercises.check_run_counts((1, 2), history)
        assert not feedback and "snapshot" in str(feedback) and "steps must be" not in str(feedback)


# ---------------------------------------------------------------- the one tolerance
def test_the_verdict_and_the_list_of_wrong_entries_use_the_one_tolerance():
    exercise = CHECKERS["02-4"].exercise
    want = np.array([[1.0, 2.0], [3.0, 4.0]])
    tolerance = RTOL * 4
    assert check_numbers(exercise, want + 0.9 * tolerance, want)
    feedback = check_numbers(exercise, want + np.array([[0, 0], [0, 1.1 * tolerance]]), want)
    assert not feedback and feedback.problems[0] == "entry 2, 2 is wrong; the other 3 are right"
    assert close(4 + 0.9 * tolerance, 4) and not close(4 + 1.1 * tolerance, 4)


def test_a_wrong_number_is_never_printed_as_the_right_one():
    right = training_exercises.step_answer()
    for off in (4e-8, 1e-7, 2e-6, 1e-3, -5e-8):
        feedback = training_exercises.check_step(right + off)
        assert not feedback
        printed = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", str(feedback).replace("−", "-"))]
        assert printed and not any(close(v, right) for v in printed), str(feedback)
    assert training_exercises.check_step(right + 2e-9)


def test_a_huge_formula_gets_a_message_at_once():
    image, weights = symbolic.image_symbols(5), symbolic.filter_symbols(2)
    for huge in (sum(image) ** 4 * sum(weights) ** 4, image[0, 0] ** 10 ** 9, (image[0, 0] + weights[0, 0]) ** 10 ** 6,
                 sp.sin(sum(image) ** 40)):
        began = time.perf_counter()
        feedback = sym.check_strided_output(huge)
        assert time.perf_counter() - began < 2 and not feedback, str(feedback)
        assert "could not read" not in str(feedback)


# ---------------------------------------------------------------- each misconception, named
I5, W2 = symbolic.image_symbols(5), symbolic.filter_symbols(2)


def _half_at_ties(dy, x, size, stride):
    """Max-pool backward that gives each tied maximum δ/2 (a single-entry central difference at a tie), and the
    one maximum of a window without a tie all of δ."""
    dx = np.zeros(x.shape)
    for n, c, r, s in np.ndindex(*dy.shape):
        window = x[n, c, r * stride:r * stride + size, s * stride:s * stride + size]
        tied = window == window.max()
        share = 0.5 if tied.sum() > 1 else 1.0
        dx[n, c, r * stride:r * stride + size, s * stride:s * stride + size] += share * dy[n, c, r, s] * tied
    return dx


MISCONCEPTIONS = {   # name: (checker, arguments, words of the message)
    "05-2 all −1: weights always decrease": (signs_exercises.check_signs, (-np.ones((2, 2)),),
                                             ["weights always decrease", "ReLU's derivative is never negative",
                                              "Where the sign comes from"]),
    "05-2 all +1: weights only move one way": (signs_exercises.check_signs, (np.ones((2, 2)),),
                                               ["only moved one way", "ReLU's derivative is never negative"]),
    "05-1 every ΔW negative": (signs_exercises.check_update, (-np.abs(signs_exercises.update_answer()),),
                               ["always decreased", "Where the sign comes from"]),
    "05-1 every ΔW positive": (signs_exercises.check_update, (np.abs(signs_exercises.update_answer()),),
                               ["only moved one way"]),
    "05-4 decay pulls every weight down": (signs_exercises.check_decay, (-np.abs(signs_exercises.decay_answer()),),
                                           ["toward 0", "L2 weight decay pulls toward zero from both sides"]),
    "06-1 a weight stops at zero": (training_exercises.check_step, (0,), ["nothing stops a weight at zero",
                                                                         "section 7"]),
    "06-1 a weight stays positive": (training_exercises.check_step, (abs(training_exercises.step_answer()),),
                                     ["nothing keeps a weight positive", "section 7"]),
    "06-2 no weight crosses zero": (training_exercises.check_run_counts, ((0, 0), history_like_train(3)),
                                    ["no weight crossed zero", "section 7"]),
    "04-1 1/4 for every input (average pooling)": (
        pool_exercises.check_routing, (np.kron(pool_exercises.ROUTING_DY, np.ones((2, 2))) / 4,), ["AVERAGE pooling"]),
    "04-2 δ/4 at a tie (average pooling)": (pool_exercises.check_tie_split,
                                            (np.full((2, 2), pool_exercises.TIE_DY / 4),), ["AVERAGE pooling"]),
    "04-2 copy-to-all at ties": (pool_exercises.check_tie_split, (pool_exercises.tie_answers()["all"],),
                                 ["copy-to-all", "Why “first” and “split” are right"]),
    "04-3 the directional slope 1": (pool_exercises.check_tied_central_difference, (1,),
                                     ["moves all tied entries together", "Why a central difference on one tied entry"]),
    "04-4 the sum of all four patches": (
        pool_exercises.check_filter_grad, (3 * sum(pool_exercises.FILTER_IMAGE[r:r + 2, c:c + 2] for r in range(2)
                                               for c in range(2)),), ["summed all four patches", "The chain back"]),
    "04-4 a flipped patch": (pool_exercises.check_filter_grad, (pool_exercises.filter_answer()[::-1, ::-1],),
                             ["flipped the patch"]),
    "04-5 copy-to-all at ties": (pool_exercises.check_maxpool_backward,
                                 (lambda dy, x, s, st: maxpool2d_backward(dy, x, s, st, ties="all"),),
                                 ["copy-to-all", "Misconception: “At a tie, just give every max the gradient”"]),
    "04-5 1/2 for each tied entry": (pool_exercises.check_maxpool_backward, (_half_at_ties,),
                                     ["single-entry central difference", "Why a central difference on one tied"]),
    "04-5 1/4 for every input (average pooling)": (
        pool_exercises.check_maxpool_backward, (lambda dy, x, size, stride: np.kron(dy, np.ones((size, size))) / 4,),
        ["AVERAGE pooling"]),
    "03-5 flip twice in ∂L/∂x": (conv_exercises.check_conv2d_backward,
                                 (lambda dy, x, w, s, p: (conv2d_backward(dy, x, w[:, :, ::-1, ::-1], s, p)[0],
                                                          *conv2d_backward(dy, x, w, s, p)[1:]),),
                                 ["rotated twice", "The “flip twice” mistake"]),
    "03-5 flipped δ in ∂L/∂W": (conv_exercises.check_conv2d_backward,
                                (lambda dy, x, w, s, p: (conv2d_backward(dy, x, w, s, p)[0],
                                                         conv2d_backward(dy[:, :, ::-1, ::-1], x, w, s, p)[1],
                                                         conv2d_backward(dy, x, w, s, p)[2]),),
                                ["flipped δ", "The central-difference check"]),
    "01-3 a flipped filter": (sym.check_strided_output, (symbolic.convolve(I5, W2, stride=2)[1, 0],), ["flipped W"]),
    "01-1 a flipped filter": (sym.check_outputs, (sym.expected_outputs(np.array(sym.OUTPUTS_FILTER)[::-1, ::-1]),),
                              ["you flipped W", "cross-correlation"]),
    "02-1 flipped δ": (sym.check_dW, (symbolic.filter_gradient(symbolic.image_symbols(4),
                                                                symbolic.delta_symbols(2)[::-1, ::-1])[1, 2],),
                       ["you flipped δ", "SymPy proves it"]),
}


@pytest.mark.parametrize("name", list(MISCONCEPTIONS))
def test_each_misconception_is_named_with_its_section(name):
    check, args, words = MISCONCEPTIONS[name]
    feedback = check(*args)
    assert not feedback, name
    for word in words:
        assert word in str(feedback), f"{name}: {word!r} not in {feedback}"
    assert "every entry is wrong" not in str(feedback)


def test_the_directional_slope_reply_computes_nothing():
    text = str(pool_exercises.check_tied_central_difference(1))
    for giveaway in ("three", "1.5", "3/2", "×", "each report"):
        assert giveaway not in text, text


# ---------------------------------------------------------------- no wrong answer shows the expected one
def _numbers(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text.replace("−", "-"))]


def _wrong_answers(right):
    """Wrong answers of right's shape: the misconceptions' kinds (negated, all −1, all +1, 0, transposed, ×2)
    and a one-entry slip."""
    right = np.asarray(right, dtype=float)
    one_off = right.copy()
    one_off.flat[0] += 1
    answers = [-right, np.zeros_like(right) - 1, np.ones_like(right), np.zeros_like(right), 2 * right, one_off]
    if right.ndim == 2 and right.shape[0] == right.shape[1]:
        answers.append(right.T)
    return [a for a in answers if not np.allclose(a, right)]


TYPED = [k for k in CHECKERS if not callable(answer_arguments(k)[0]) and k not in ("05-3",)]


@pytest.mark.parametrize("key", TYPED)
def test_no_wrong_answer_shows_the_expected_answer(key):
    check, args = CHECKERS[key], answer_arguments(key)
    parameters = list(inspect.signature(check).parameters)
    for name in answer_parameters(key):
        position = parameters.index(name)
        right = args[position]
        if isinstance(right, sp.Expr):
            terms = sp.Add.make_args(right)
            wrong = [right + I5[4, 4] * W2[1, 1], sp.Add(*terms[1:]), 2 * right, -right, sp.Integer(0)]
        else:
            wrong = _wrong_answers(right)
        for answer in wrong:
            call = list(args)
            call[position] = answer
            feedback = check(*call)
            assert not feedback, (key, answer)
            text = " ".join(feedback.problems)
            if isinstance(right, sp.Expr):    # an expected term the learner did not write is never named
                written = {term.as_coeff_Mul()[1] for term in sp.Add.make_args(sp.expand(answer))}
                for term in sp.Add.make_args(right):
                    shown = str(term).replace("delta", "δ").replace("*", "·")
                    assert term in written or shown not in text, (key, answer, text)
                assert str(right) not in text
                continue
            flat = np.asarray(right, dtype=float).ravel()
            shown = _numbers(text)
            if flat.size == 1:
                assert flat[0] in _numbers(check.exercise.title) or not any(close(v, flat[0]) for v in shown), text
            else:
                assert not any(len(shown[i:i + flat.size]) == flat.size and np.allclose(shown[i:i + flat.size], flat)
                               for i in range(len(shown))), (key, text)
