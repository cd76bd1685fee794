import numpy as np

from helpers.exercises import start as ex
from helpers.exercises.feedback import NOT_ANSWERED
from helpers.exercises.start import WARMUP_FILTER, WARMUP_IMAGE, check_o12


def test_right_answer_passes():
    assert check_o12(8.0) and check_o12(8) and check_o12(np.float64(8))


def test_independent_value():
    # written out from the definition: o12 = I12 W11 + I13 W12 + I22 W21 + I23 W22 (1-based)
    I, W = WARMUP_IMAGE, WARMUP_FILTER
    assert I[0, 1] * W[0, 0] + I[0, 2] * W[0, 1] + I[1, 1] * W[1, 0] + I[1, 2] * W[1, 1] == 8.0 == ex.expected_o12()


def test_common_slips_get_specific_feedback_without_the_answer():
    assert "that is o11" in str(check_o12(float(np.sum(WARMUP_IMAGE[:2, :2] * WARMUP_FILTER))))
    assert "swapped the two indices" in str(check_o12(float(np.sum(WARMUP_IMAGE[1:, :2] * WARMUP_FILTER))))
    assert "flipped" in str(check_o12(float(np.sum(WARMUP_IMAGE[:2, 1:] * WARMUP_FILTER[::-1, ::-1]))))
    wrong = check_o12(7)
    assert not wrong and "8" not in str(wrong)
    assert "text in quotes" in str(check_o12("eight"))


def test_zero_is_an_answer_not_a_placeholder():
    feedback = check_o12(0)
    assert not feedback and NOT_ANSWERED not in str(feedback) and "o22" in str(feedback)


def test_starter_and_first_product_only():
    assert NOT_ANSWERED in str(check_o12(None)) and "8" not in str(check_o12(None))
    assert "only the first product" in str(check_o12(WARMUP_IMAGE[0, 1] * WARMUP_FILTER[0, 0]))


def test_help_is_on_request():
    assert "I12, I13, I22, I23" in ex.hint(1).data and "= 8" in ex.solution(1).data
    assert len(ex.help(1).buttons) == 3
