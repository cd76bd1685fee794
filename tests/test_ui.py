"""helpers.widgets.ui.parse_numbers: what a learner may type into a widget's text field."""
import pytest

from helpers.widgets.ui import InputError, parse_numbers


def test_parse_numbers_reads_commas_spaces_and_semicolons():
    assert parse_numbers("1, -2.5; 3  4e-1", 4, "input I") == [1.0, -2.5, 3.0, 0.4]


@pytest.mark.parametrize(("text", "count", "fragment"), [
    ("1 two", 2, "'two' is not a number"),
    ("nan", 1, "not a finite number"),
    ("-inf", 1, "not a finite number"),
    ("1 2", 3, "expected 3 numbers, got 2"),
])
def test_parse_numbers_names_the_field_and_the_problem(text, count, fragment):
    with pytest.raises(InputError) as problem:
        parse_numbers(text, count, "target t")
    assert str(problem.value).startswith("target t: ")
    assert fragment in str(problem.value)


@pytest.mark.parametrize("text", ["1e308", "-1e200", "1000000.5", "1000001", "−2000000"])
def test_parse_numbers_refuses_huge_values_naming_the_field_and_the_limit(text):
    """The message repeats the number as typed: "1000001 is too large", not "1e+06 is too large"."""
    with pytest.raises(InputError) as problem:
        parse_numbers(text, 1, "target t")
    assert str(problem.value) == f"target t: {text.replace('−', '-')} is too large (limit ±1e6)"


def test_parse_numbers_accepts_the_unicode_minus_the_widgets_print():
    assert parse_numbers("−1, −2.5 3", 3, "δ") == [-1.0, -2.5, 3.0]
    assert parse_numbers("\u22121e-3", 1, "η") == [-0.001]


def test_messages_never_echo_a_long_token_whole():
    token = "x" * 5000
    for text in (token, "9" * 5000):
        with pytest.raises(InputError) as problem:
            parse_numbers(text, 1, "input I")
        message = str(problem.value)
        assert len(message) < 80 and "…" in message and message.startswith("input I: ")
    from helpers.widgets.ui import message_html

    assert message_html("<b>", "error") == '<span style="color:#b2182b">⚠ &lt;b&gt;</span>'   # escaped


def test_parse_numbers_accepts_the_limit_itself_and_a_custom_limit():
    assert parse_numbers("1e6 -1e6", 2, "v") == [1e6, -1e6]
    assert parse_numbers("250", 1, "v", limit=250) == [250.0]
    with pytest.raises(InputError, match=r"v: 251 is too large \(limit ±250\)"):
        parse_numbers("251", 1, "v", limit=250)
