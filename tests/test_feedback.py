import numpy as np

from helpers.feedback import NOT_ANSWERED, NOT_ANSWERED_ZEROS, check_values, reveal_entry


def test_wrong_entry_is_named_with_expected_value():
    result = check_values("t", [[1, 2], [3, 5]], [[1, 2], [3, 4]], names=[["a", "b"], ["c", "d"]])
    assert not result and result.problems == ["d is 5; expected 4"]


def test_right_answer_passes_and_shape_is_checked():
    assert check_values("t", np.eye(2), [[1, 0], [0, 1]])
    assert "shape (3,)" in str(check_values("t", [1, 2, 3], [1, 2]))


def test_untouched_starters_do_not_give_the_answer_away():
    for starter in (None, ..., np.zeros((2, 2)), 0):
        expected = [[5, 4], [-4, -2]] if np.ndim(starter) == 2 or starter is None or starter is ... else 8
        result = check_values("t", starter, expected)
        assert not result
        assert result.problems[0] in (NOT_ANSWERED, NOT_ANSWERED_ZEROS)
        assert "expected" not in str(result)


def test_all_zero_answer_is_right_when_zero_is_expected():
    assert check_values("t", np.zeros(3), [0, 0, 0])


def test_reveal_entry_names_the_choices():
    try:
        reveal_entry("Hint", {"a": "text"}, "b")
    except ValueError as error:
        assert "('a',)" in str(error)
    else:
        raise AssertionError("an unknown name must raise")
