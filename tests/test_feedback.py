"""helpers.exercises.feedback: reading answers, judging numbers, help only on request."""
import numpy as np
import pytest
import sympy as sp

from helpers.exercises.feedback import (
    NOT_ANSWERED,
    Exercise,
    Feedback,
    OnRequest,
    Slip,
    Wrong,
    check_numbers,
    checker,
    read_exercises,
    read_numbers,
)

EXERCISE = Exercise("99-1", "Exercise 1: a test", hints=("first hint", "second hint"),
                    solution="the worked solution", answer_code="answer = [[1, 2], [3, 4]]")


def test_feedback_keeps_its_interface():
    feedback = Feedback(False, "t", ["p"], "h")
    assert not feedback and feedback.problems == ["p"] and "✘ t" in str(feedback) and "h" in str(feedback)
    assert 'class="course-feedback"' in feedback._repr_html_()
    assert Feedback(True, "t") and "✔ t" in str(Feedback(True, "t"))


@pytest.mark.parametrize("answer, shape, words", [
    (None, (2,), NOT_ANSWERED), (..., (), NOT_ANSWERED), ("12", (), "text in quotes"), ([1, "2"], (2,), "quotes"),
    (1 + 2j, (), "complex"), (float("nan"), (), "nan"), (float("inf"), (), "finite"), (sp.oo, (), "finite"),
    (sp.Symbol("x"), (), "SymPy formula"), (1e200, (), "far larger"), (10 ** 400, (), "far larger"),
    ([1, 2, 3], (2,), "shape (3,)"), ([[1, 2], [3]], (2, 2), "different lengths"), (True, (), "truth value"),
    ({1, 2}, (2,), "set"), (object(), (), "write a number"), (sp.I, (), "not a real number"),
    ((54.9, 7), (2,), "entry 1: not a whole number"),
])
def test_read_numbers_refuses_with_a_sentence(answer, shape, words):
    with pytest.raises(Wrong, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_numbers(answer, shape, integer=True)


def test_read_numbers_accepts_numbers_of_every_kind():
    values = read_numbers([[1, np.float64(2.5)], [sp.Integer(3), sp.Rational(1, 2)]], (2, 2))
    assert values.tolist() == [[1, 2.5], [3, 0.5]]
    values = read_numbers((54.0, np.int64(7)), (2,), integer=True)
    assert values.dtype.kind == "i" and values.tolist() == [54, 7]
    values = read_numbers(sp.Matrix([[1, sp.Rational(1, 2)], [sp.Float(2.5), 3]]), (2, 2))
    assert values.tolist() == [[1, 0.5], [2.5, 3]]
    assert read_numbers(np.float32(0.5), ()) == 0.5 and read_numbers([np.float32(1), 2.0], (2,)).tolist() == [1, 2]


def test_the_checker_entry_point_turns_anything_into_feedback():
    @checker(EXERCISE)
    def check(answer):
        if answer == "boom":
            raise KeyError("an unforeseen corner")
        return check_numbers(EXERCISE, answer, [[1, 2], [3, 4]])

    assert check([[1, 2], [3, 4]]) and check.exercise is EXERCISE
    for answer, words in ((None, NOT_ANSWERED), ([1, 2], "shape (2,)"), ("boom", "could not read")):
        feedback = check(answer)
        assert isinstance(feedback, Feedback) and not feedback and words in feedback.problems[0]


def test_check_numbers_names_entries_and_signs_never_values():
    expected = [[1, 2], [3, 4]]
    feedback = check_numbers(EXERCISE, [[1, 2], [3, 5]], expected, names=[["a", "b"], ["c", "d"]])
    assert not feedback and feedback.problems == ["d is wrong; the other 3 are right"]
    flipped = check_numbers(EXERCISE, [[1, -2], [3, 4]], expected, names=[["a", "b"], ["c", "d"]])
    assert "b: the right size but the wrong sign" in str(flipped)
    assert "4" not in " ".join(check_numbers(EXERCISE, [[1, 2], [3, 9]], expected).problems).replace("entry", "")
    assert "transposed" in str(check_numbers(EXERCISE, [[1, 3], [2, 4]], expected))
    assert check_numbers(EXERCISE, [[1, 2], [3, 4]], expected, why="because").problems == ["because"]


def test_a_slip_is_named_and_a_slip_equal_to_the_answer_is_ignored():
    slips = [Slip([[4, 3], [2, 1]], "you reversed it"), Slip([[1, 2], [3, 4]], "never shown")]
    assert "you reversed it" in str(check_numbers(EXERCISE, [[4, 3], [2, 1]], [[1, 2], [3, 4]], slips=slips))
    assert check_numbers(EXERCISE, [[1, 2], [3, 4]], [[1, 2], [3, 4]], slips=slips)


def test_zeros_are_an_answer():
    feedback = check_numbers(EXERCISE, [[0, 0], [0, 0]], [[1, 2], [3, 4]])
    assert not feedback and NOT_ANSWERED not in str(feedback) and "every entry is wrong" in str(feedback)
    assert check_numbers(EXERCISE, np.zeros(3), [0, 0, 0])


def test_hints_and_solutions_only_on_request():
    hint, solution, _ = OnRequest({"99-1": EXERCISE}).trio()
    assert "first hint" in hint(1).data and "second hint" in hint(1, 2).data
    assert "the worked solution" in solution(1).data
    for bad in (7, "1", None, True):
        assert "There is no exercise" in hint(bad).data and "There is no exercise" in solution(bad).data
    assert "hints 1 to 2" in hint(1, 3).data
    feedback = check_numbers(EXERCISE, [[9, 9], [9, 9]], [[1, 2], [3, 4]])
    assert "first hint" not in str(feedback) and "worked solution" in feedback.hint   # only how to ask


def test_help_buttons_reveal_nothing_until_clicked():
    buttons = OnRequest({"99-1": EXERCISE}).help(1)
    assert [b.description for b in buttons.buttons] == ["Hint 1", "Hint 2", "Worked solution"]
    assert buttons.shown == [] and "course-help" in buttons.widget._dom_classes
    buttons.buttons[2].click()
    assert buttons.shown == ["Worked solution"]


def test_the_texts_come_from_the_markdown_beside_each_module(tmp_path):
    module = tmp_path / "demo.py"
    (tmp_path / "demo.md").write_text("# 99-1 · Exercise 1: a test · 2 points\n\n## Hint\nfirst\nline\n\n"
                                      "## Hint\nsecond\n\n## Solution\nBecause:\n\n```python\nx = 1\n```\n\n"
                                      "# 99-2 · Exercise 2: another · 1 point\n\n## Solution\n```python\ny = 2\n```\n")
    first, second = read_exercises(module).values()
    assert (first.key, first.title, first.points, first.hints) == ("99-1", "Exercise 1: a test", 2,
                                                                   ("first line", "second"))
    assert first.solution.startswith("Because:") and first.answer_code == "x = 1" and second.answer_code == "y = 2"


def test_one_tolerance_relative_to_the_answers_scale():
    from helpers.exercises.feedback import RTOL, close, shown

    assert close([100.0, 5e-5], [100.0, 0.0]).tolist() == [True, True]      # scale 100: 5e-5 is within 1e-6·100
    assert close([1e-4], [0.0]).tolist() == [False]                          # alone, 0's scale is the floor
    assert close(np.float32(0.1), 0.1) and not close(0.1 * (1 + 2 * RTOL), 0.1)
    assert read_numbers(54.000000000001, (), integer=True) == 54 and read_numbers(-0.0000000001, (), integer=True) == 0
    with pytest.raises(Wrong, match="not a whole number"):
        read_numbers(54.4, (), integer=True)
    assert shown(-0.03 + 4e-8, -0.03) != "-0.03" and shown(2.5, 1.0) == "2.5"
