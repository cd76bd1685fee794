"""Every exercise checker of the course: never raises, never passes a wrong answer, names each misconception.

The checkers are enumerated from the helpers/exercises/ modules (anything carrying ``.exercise``), so a
new checker cannot be skipped; the right answers come from each exercise's ``answer_code``.
"""
import inspect

import numpy as np
import pytest
import sympy as sp
from exercise_answers import answer_arguments, answer_parameters, checkers, fake_history, public_check_functions

from helpers.derive import symbolic
from helpers.exercises import conv as conv_exercises
from helpers.exercises import pool as pool_exercises
from helpers.exercises import signs as signs_exercises
from helpers.exercises import start as start_exercises
from helpers.exercises import symbolic as sym
from helpers.exercises import training as training_exercises
from helpers.exercises.feedback import NOT_ANSWERED, NOT_IMPLEMENTED, Feedback, corr2d
from helpers.nn.conv import conv2d_backward
from helpers.nn.pool import maxpool2d_backward

CHECKERS = checkers()


def _raise_not_implemented(*args):
    raise NotImplementedError


def _raise_other(*args):
    raise KeyError("boom")


class _Weird:
    def __float__(self):
        raise RuntimeError("no float for you")

    def __len__(self):
        raise RuntimeError("no len either")


MALFORMED = [
    None, ..., "abc", "8", "", b"8", ["a", "b"], [["a", "b"], ["c", "d"]], ["a"] * 5, [["1", "2"], ["3", "4"]],
    1 + 2j, [1 + 2j, 1], np.array([1 + 1j, 2]), float("nan"), float("inf"), -float("inf"), [float("nan")] * 5,
    np.full((2, 2), np.nan), np.full((4, 4), np.inf), sp.Symbol("x"), sp.oo, -sp.oo, sp.zoo, sp.nan, sp.I,
    sp.Matrix([[1, 2], [3, 4]]), 1e200, -1e200, 10 ** 400, -10 ** 5000, [1e200] * 5, [[1e200] * 2] * 2,
    True, False, {}, set(),
    {"a": 1}, object(), _Weird(), [], [[]], [[], []], np.zeros((7, 7)), np.zeros((3, 3, 3)), (1, 2, 3),
    [[1, 2], [3]], [None, None], [[None, None], [None, None]], 54.9, (54.9, 7744.99), np.array(["a", "b"]),
    lambda: 0, _raise_not_implemented, _raise_other, lambda *a: None, lambda *a: "junk", lambda *a: (1, 2),
    lambda *a: np.full((2, 2), np.nan), lambda *a: np.zeros((1, 1)), lambda *a: [["a"]], lambda *a: 1 + 2j,
    lambda *a: np.ones((2, 2, 2, 2)) * (1 + 1j), lambda *a: (np.zeros(1), "b", None),
    sp.sin(sp.Symbol("I11")), 1 / sp.Symbol("I11"), sp.Symbol("I11") ** 2,
]


def _ids(values):
    return [f"{i}-{type(v).__name__}" for i, v in enumerate(values)]


def test_every_public_check_function_is_a_checker():
    missing = [f"{module}.{name}" for module, name, function in public_check_functions()
               if not hasattr(function, "exercise")]
    assert not missing, f"these check_* functions have no Exercise (use @checker): {missing}"
    assert len(CHECKERS) == 25


@pytest.mark.parametrize("key", list(CHECKERS))
def test_the_right_answer_passes(key):
    feedback = CHECKERS[key](*answer_arguments(key))
    assert isinstance(feedback, Feedback) and feedback.ok, str(feedback)
    assert "✔" in str(feedback) and "course-feedback" in feedback._repr_html_()


def _other_forms(value):
    """The same numbers as float32, as plain lists, as tuples and as SymPy numbers or a SymPy Matrix."""
    array = np.asarray(value, dtype=float)
    forms = [array.astype(np.float32), array.tolist()]
    if array.ndim == 0:
        forms += [sp.Float(array.item()), sp.nsimplify(array.item())]
    if array.ndim == 1:
        forms.append(tuple(array.tolist()))
    if array.ndim == 2:
        forms += [tuple(map(tuple, array.tolist())), sp.Matrix(array.tolist())]
    return forms


@pytest.mark.parametrize("key", [k for k in CHECKERS if not callable(answer_arguments(k)[0])
                                 and not isinstance(answer_arguments(k)[0], sp.Expr)])
def test_a_right_answer_passes_in_any_reasonable_form(key):
    check, right = CHECKERS[key], answer_arguments(key)
    parameters = list(inspect.signature(check).parameters)
    for name in answer_parameters(key):
        for form in _other_forms(right[parameters.index(name)]):
            args = list(right)
            args[parameters.index(name)] = form
            feedback = check(*args)
            assert feedback, (key, type(form).__name__, str(feedback))


@pytest.mark.parametrize("key", list(CHECKERS))
@pytest.mark.parametrize("bad", MALFORMED, ids=_ids(MALFORMED))
def test_malformed_answers_get_feedback_never_an_exception_never_a_pass(key, bad):
    check = CHECKERS[key]
    right = answer_arguments(key)
    answers = answer_parameters(key)
    calls = [[bad if name in answers else value for name, value in
              zip(inspect.signature(check).parameters, right, strict=False)]]
    parameters = list(inspect.signature(check).parameters)
    if len(answers) > 1:
        for name in answers:     # one answer malformed, the others right
            call = list(right)
            call[parameters.index(name)] = bad
            calls.append(call)
    for args in calls:
        feedback = check(*args)
        assert isinstance(feedback, Feedback), f"{key}: {feedback!r}"
        assert not feedback.ok, f"{key} passed the malformed answer {bad!r}"
        assert feedback.problems and str(feedback) and feedback._repr_html_()
        assert "Traceback" not in str(feedback)


@pytest.mark.parametrize("history", [None, {}, "abc", [], {"snapshot_steps": [], "snapshots": []},
                                     {"snapshot_steps": [0], "snapshots": [{}]}, fake_history(snapshot_every=7),
                                     fake_history(snapshot_every=1000)])
def test_run_counts_with_any_history_answers_with_feedback(history):
    feedback = training_exercises.check_run_counts((1, 2), history)
    assert isinstance(feedback, Feedback)
    steps = training_exercises.exercise_steps(history)
    if steps is None:
        assert not feedback and feedback.problems
    feedback = training_exercises.check_run_counts((1, 2), history, steps=(100, 300))
    assert isinstance(feedback, Feedback)


def test_run_counts_follow_snapshot_every():
    # SNAPSHOT_EVERY = 7: the steps nearest 100 and 300 are 98 and 301; the checker reads them from the run
    history = fake_history(snapshot_every=7)
    assert training_exercises.exercise_steps(history) == (98, 301)
    first, last = 98, 301
    before = history["snapshots"][history["snapshot_steps"].index(first)]["conv1.w"]
    after = history["snapshots"][history["snapshot_steps"].index(last)]["conv1.w"]
    counts = (int(((before >= 0) & (after < 0)).sum()), int(((before < 0) & (after >= 0)).sum()))
    assert training_exercises.check_run_counts(counts, history)
    assert not training_exercises.check_run_counts((counts[0] + 1, counts[1]), history)
    assert not training_exercises.check_run_counts((counts[0] + 0.5, counts[1]), history)


def test_the_crashers_of_issue_13_answer_with_feedback():
    from helpers.exercises.conv import check_shapes as conv_shapes
    from helpers.exercises.training import check_shapes as training_shapes

    calls = [
        lambda: training_exercises.check_step("abc"),
        lambda: training_exercises.check_step(sp.Symbol("x")),
        lambda: signs_exercises.check_update([["a", "b"], ["c", "d"]]),
        lambda: training_shapes(["a"] * 5),
        lambda: sym.check_strided_output(1 + 2j),
        lambda: sym.check_dW(sp.oo),
        lambda: signs_exercises.check_downstream(1e200),
        lambda: training_exercises.check_run_counts((0, 0), fake_history(snapshot_every=3)),
        lambda: conv_shapes((54.9, 7744.99), (64.5, 6.2, 11.9, 11.9)),
        lambda: conv_shapes((54.9, 1152.2), (32.5, 10.1, 6.9, 6.3)),
        lambda: conv_shapes((54, 1152, 0), (32, 10, 6, 6)),
        lambda: conv_shapes((54 + 0j, 1152), (32, 10, 6, 6)),
        lambda: conv_shapes((54, 1152), (32, 10, 6, 6 + 1j)),
    ]
    for call in calls:
        feedback = call()
        assert isinstance(feedback, Feedback) and not feedback.ok
    assert "not a whole number" in str(conv_shapes((54.9, 1152), (32, 10, 6, 6)))
    assert "complex" in str(conv_shapes((54 + 0j, 1152), (32, 10, 6, 6)))
    assert "shape (3,)" in str(conv_shapes((54, 1152, 0), (32, 10, 6, 6)))


def test_integers_asked_only_whole_numbers_pass_judged_on_the_rounded_value():
    assert conv_exercises.check_shapes((54, 1152), (32, 10, 6, 6))
    assert conv_exercises.check_shapes((54.0, 1152.0), (32, 10, 6, 6))        # the same whole numbers
    assert conv_exercises.check_shapes((54.000000000001, 1152 * (1 + 1e-9)), (32, 10, 6, 6))   # within the tolerance
    assert conv_exercises.check_shapes((np.int64(54), 1152), (sp.Integer(32), 10, 6, 6))
    assert "not a whole number" in str(conv_exercises.check_shapes((54.4, 1152), (32, 10, 6, 6)))
    for wrong in ((54.001, 1152), (54, 1152.5), (True, 1152), (54.4, 1152)):
        assert not conv_exercises.check_shapes(wrong, (32, 10, 6, 6))
    assert not sym.check_output_sizes([5, 4, 10, 3.5, 1]) and not sym.check_output_sizes([5.9, 4, 10, 3, 1])


# ---------------------------------------------------------------- each named misconception, its message

def _assigning_col2im(dcols, x_shape, k, stride, padding):
    """col2im with = instead of += (the overwrite slip): where windows overlap, the last tap written wins."""
    n, c, height, width = x_shape
    out_h, out_w = (height + 2 * padding - k) // stride + 1, (width + 2 * padding - k) // stride + 1
    patches = dcols.reshape(c, k, k, n, out_h, out_w)
    dx_pad = np.zeros((n, c, height + 2 * padding, width + 2 * padding))
    for i in range(k):
        for j in range(k):
            rows, columns = slice(i, i + stride * out_h, stride), slice(j, j + stride * out_w, stride)
            dx_pad[:, :, rows, columns] = patches[:, i, j].transpose(1, 0, 2, 3)
    return dx_pad[:, :, padding:padding + height, padding:padding + width]


def _assigning_maxpool_backward(dy, x, size, stride):
    """Max-pool backward with = instead of += (the overwrite slip): the last window to write a pixel wins."""
    dx = np.zeros(x.shape)
    for n, c, r, s in np.ndindex(*dy.shape):
        window = x[n, c, r * stride:r * stride + size, s * stride:s * stride + size]
        i, j = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, r * stride + i, s * stride + j] = dy[n, c, r, s]
    return dx


I4, D2 = symbolic.image_symbols(4), symbolic.delta_symbols(2)
I5, W2 = symbolic.image_symbols(5), symbolic.filter_symbols(2)

MISCONCEPTIONS = {
    "00: transposed indices (o21 for o12)": (start_exercises.check_o12, (3,), "swapped the two indices"),
    "00: an answer of 0 is an answer (o22)": (start_exercises.check_o12, (0,), "that is o22"),
    "00: the first product only": (start_exercises.check_o12, (2,), "only the first product"),
    "00: a flipped filter": (start_exercises.check_o12, (6,), "flipped the filter"),
    "01 Ex1: a flipped filter": (sym.check_outputs, (sym.expected_outputs(np.array(sym.OUTPUTS_FILTER)[::-1, ::-1]),),
                                 "you flipped W"),
    "01 Ex1: transposed": (sym.check_outputs, (sym.expected_outputs().T,), "transposed"),
    "01 Ex2: no + 1": (sym.check_output_sizes, ([4, 3, 9, 2, 0],), "forgot the + 1"),
    "01 Ex3: stride ignored": (sym.check_strided_output, (symbolic.correlate(I5, W2)[1, 0],), "stride 1"),
    "01 Ex3: transposed (o12)": (sym.check_strided_output, (symbolic.correlate(I5, W2, stride=2)[0, 1],),
                                 "swapped them"),
    "02 Ex1: flipped δ": (sym.check_dW, (symbolic.filter_gradient(I4, D2[::-1, ::-1])[1, 2],), "you flipped δ"),
    "02 Ex1: transposed (W32)": (sym.check_dW, (symbolic.filter_gradient(I4, D2)[2, 1],), "swapped the indices"),
    "02 Ex1: forgot δ": (sym.check_dW, (I4[1, 2] + I4[1, 3] + I4[2, 2] + I4[2, 3],), "forgot δ"),
    "02 Ex2: swapped W12/W21": (sym.check_footprint, (sym._footprint((1, 2), 2),), "swapped W12 and W21"),
    "02 Ex3: forgot z − t": (sym.check_dense_delta, (sym.DENSE_WEIGHTS,), "v alone"),
    "02 Ex4: flipped δ": (sym.check_filter_gradient,
                          (np.array(symbolic.filter_gradient(sp.Matrix(sym.GRADIENT_IMAGE),
                                                             sp.Matrix(sym.GRADIENT_DELTA)[::-1, ::-1]).tolist(),
                                    dtype=float),), "you flipped δ"),
    "03 Ex1: stride ignored": (conv_exercises.check_shapes, ((54, 4608), (32, 10, 12, 12)), "ignored the stride"),
    "03 Ex2: flipped δ": (conv_exercises.check_filter_gradient_function,
                          (lambda I, d: corr2d(I, d[::-1, ::-1]),), "you flipped δ"),
    "03 Ex3: stride 1 counts": (conv_exercises.check_coverage, (conv_exercises._coverage((6, 6), (3, 3), 1),),
                                "stride 1"),
    "03 Ex4: = instead of +=": (conv_exercises.check_col2im, (_assigning_col2im,), "+= (add)"),
    "03 Ex5: flipped δ in dw": (conv_exercises.check_conv2d_backward,
                                (lambda dy, x, w, s, p: (conv2d_backward(dy, x, w, s, p)[0],
                                                         conv2d_backward(dy[:, :, ::-1, ::-1], x, w, s, p)[1],
                                                         conv2d_backward(dy, x, w, s, p)[2]),), "flipped δ"),
    "03 Ex5: unrotated W in dx": (conv_exercises.check_conv2d_backward,
                                  (lambda dy, x, w, s, p: (conv2d_backward(dy, x, w[:, :, ::-1, ::-1], s, p)[0],
                                                           *conv2d_backward(dy, x, w, s, p)[1:]),), "rotated by 180°"),
    "04 Ex1: δ/4 averaging": (pool_exercises.check_routing, (np.kron(pool_exercises.ROUTING_DY, np.ones((2, 2))) / 4,),
                              "AVERAGE pooling"),
    "04 Ex1: transposed": (pool_exercises.check_routing, (pool_exercises.routing_answer().T,), "transposed"),
    "04 Ex2: forgot δ": (pool_exercises.check_tie_split, (pool_exercises.tie_answers()["split"] /
                                                         pool_exercises.TIE_DY,), "forgot δ"),
    "04 Ex2: copy-to-all": (pool_exercises.check_tie_split, (pool_exercises.tie_answers()["all"],), "copy-to-all"),
    "04 Ex3: the directional slope": (pool_exercises.check_tied_central_difference, (1,), "moves all tied entries"),
    "04 Ex4: a flipped patch": (pool_exercises.check_filter_grad, (pool_exercises.filter_answer()[::-1, ::-1],),
                                "flipped the patch"),
    "04 Ex4: summed patches": (pool_exercises.check_filter_grad,
                               (3 * sum(pool_exercises.FILTER_IMAGE[r:r + 2, c:c + 2] for r in range(2)
                                        for c in range(2)),), "summed all four patches"),
    "04 Ex5: no tie rule (copy-to-all)": (pool_exercises.check_maxpool_backward,
                                          (lambda dy, x, s, st: maxpool2d_backward(dy, x, s, st, ties="all"),),
                                          "copy-to-all"),
    "04 Ex5: = instead of +=": (pool_exercises.check_maxpool_backward, (_assigning_maxpool_backward,), "+= (add)"),
    "05 Ex1: transposed": (signs_exercises.check_update, (signs_exercises.update_answer().T,), "transposed"),
    "05 Ex1: dropped minus": (signs_exercises.check_update, (-signs_exercises.update_answer(),), "drop the minus"),
    "05 Ex2: the gradient's sign instead of the move": (signs_exercises.check_signs, (-signs_exercises.signs_answer(),),
                                                        "sign of the gradient"),
    "05 Ex4: the new weight instead of the update": (
        signs_exercises.check_decay, (signs_exercises.DECAY["weights"] + signs_exercises.decay_answer(),),
        "the new weight"),
    "06 Ex1: with the gradient": (training_exercises.check_step, (0.27,), "*with* the gradient"),
    "06 Ex3: pool rounded up": (training_exercises.check_shapes, ((30, 15, 13, 7, 294),), "rounded"),
}


@pytest.mark.parametrize("name", list(MISCONCEPTIONS))
def test_each_named_misconception_gets_its_message(name):
    check, args, words = MISCONCEPTIONS[name]
    feedback = check(*args)
    assert not feedback and words in str(feedback), str(feedback)
    assert NOT_ANSWERED not in str(feedback)


def test_swapped_counts_are_named():
    history = fake_history()
    down, up = training_exercises.crossing_counts(history)
    assert down != up
    feedback = training_exercises.check_run_counts((up, down), history)
    assert not feedback and "swapped" in str(feedback)


# ---------------------------------------------------------------- never the expected values


def _numbers(text):
    import re

    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text.replace("−", "-"))]


@pytest.mark.parametrize("key", [k for k in CHECKERS if k not in ("03-2", "03-4", "03-5", "04-5", "05-3", "06-2")])
def test_a_wrong_answer_never_shows_the_expected_values(key):
    check = CHECKERS[key]
    right = answer_arguments(key)
    expected = right[0]
    if isinstance(expected, sp.Expr):
        wrong = expected + symbolic.image_symbols(5)[4, 4] * symbolic.filter_symbols(2)[1, 1]
        text = str(check(wrong, *right[1:]))
        assert str(expected) not in text and "Exercise" in text
        return
    values = np.array(expected if key != "03-1" else [*right[0], *right[1]], dtype=float)
    wrong = values + np.where(np.arange(values.size).reshape(values.shape) % 2 == 0, 1, 0)
    args = [wrong.tolist()] + right[1:] if key != "03-1" else [wrong[:2].tolist(), wrong[2:].tolist()]
    feedback = check(*args)
    assert not feedback
    text = " ".join(feedback.problems)
    shown = _numbers(text)
    flat = values.ravel()
    if flat.size == 1:
        assert flat[0] not in shown or flat[0] in _numbers(check.exercise.title), text
    else:
        window = len(flat)
        assert not any(np.allclose(shown[i:i + window], flat) for i in range(len(shown) - window + 1)), text


@pytest.mark.parametrize("key", list(CHECKERS))
def test_not_answered_yet_gives_nothing_away(key):
    check = CHECKERS[key]
    right = answer_arguments(key)
    args = [None if name in answer_parameters(key) else value
            for name, value in zip(inspect.signature(check).parameters, right, strict=False)]
    feedback = check(*args)
    assert not feedback and feedback.problems[0] in (NOT_ANSWERED,)
    assert check.exercise.solution[:40] not in str(feedback)
    for hint in check.exercise.hints:
        assert hint[:30] not in str(feedback)


@pytest.mark.parametrize("key", ["03-2", "03-4", "03-5", "04-5"])
def test_an_implement_it_stub_is_not_answered_yet(key):
    for stub in (_raise_not_implemented, lambda *a: None):
        feedback = CHECKERS[key](stub)
        assert not feedback and feedback.problems == [NOT_IMPLEMENTED]


# ---------------------------------------------------------------- implement-it: the course's own code passes


def test_implement_it_checkers_accept_the_course_implementations():
    assert conv_exercises.check_col2im(conv_exercises.reference_col2im)
    assert conv_exercises.check_conv2d_backward(lambda dy, x, w, s, p: conv2d_backward(dy, x, w, s, p))
    for rule in ("first", "split"):
        assert pool_exercises.check_maxpool_backward(lambda dy, x, s, st, r=rule: maxpool2d_backward(dy, x, s, st, r))


def test_implement_it_checkers_reject_known_wrong_implementations():
    def padded_col2im(dcols, x_shape, k, stride, padding):
        full = conv_exercises.reference_col2im(dcols, (x_shape[0], x_shape[1], x_shape[2] + 2 * padding,
                                                       x_shape[3] + 2 * padding), k, stride, 0)
        return full

    assert not conv_exercises.check_col2im(lambda d, s, k, st, p: conv_exercises.reference_col2im(d, s, k, st, p) * 2)
    assert "padding" in str(conv_exercises.check_col2im(padded_col2im))

    def leaks_into_unread_rows(dy, x, w, s, p):
        dx, dw, db = conv2d_backward(dy, x, w, s, p)
        dx = dx.copy()
        dx[:, :, -1, :] += 1.0
        return dx, dw, db

    assert "no window reads them" in str(conv_exercises.check_conv2d_backward(leaks_into_unread_rows))

    def averaged_bias(dy, x, w, s, p):
        dx, dw, _ = conv2d_backward(dy, x, w, s, p)
        return dx, dw, dy.sum(axis=(0, 2, 3)) / dy.shape[0]

    assert "averaged" in str(conv_exercises.check_conv2d_backward(averaged_bias))

    def average_pool(dy, x, size, stride):
        return np.kron(dy, np.ones((size, size))) / size ** 2

    assert not pool_exercises.check_maxpool_backward(average_pool)

    def last_maximum(dy, x, size, stride):
        # a valid subgradient too: the LAST tied maximum gets δ
        flipped = maxpool2d_backward(dy[:, :, ::-1, ::-1], x[:, :, ::-1, ::-1], size, stride)
        return flipped[:, :, ::-1, ::-1]

    assert pool_exercises.check_maxpool_backward(last_maximum)


def test_feedback_box_and_help_are_separate():
    feedback = sym.check_outputs([[1, 1], [1, 1]])
    assert "ex.hint(1)" in feedback.hint and "ex.solution(1)" in feedback.hint
    assert "ex.hint(1)" not in " ".join(feedback.problems)


def test_no_text_reaches_eval_or_sympify(monkeypatch):
    import builtins

    import sympy.parsing.sympy_parser as parser

    calls = []
    real_eval = builtins.eval
    monkeypatch.setattr(parser, "parse_expr", lambda *a, **k: calls.append(("parse_expr", a)) or sp.Integer(0))

    def spying_eval(source, *args, **kwargs):
        if isinstance(source, str) and ("__import__" in source or "I11" in source):
            calls.append(("eval", source))
        return real_eval(source, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", spying_eval)
    for key, check in CHECKERS.items():
        right = answer_arguments(key)
        for text in ("I11*W11 + I12*W12", "__import__('os').system('true')", "[[1, 2], [3, 4]]"):
            args = [text if name in answer_parameters(key) else value
                    for name, value in zip(inspect.signature(check).parameters, right, strict=False)]
            feedback = check(*args)
            assert not feedback and ("quotes" in str(feedback) or "function" in str(feedback)), (key, str(feedback))
    assert not calls, calls
