import numpy as np

from helpers.start_exercises import WARMUP_FILTER, WARMUP_IMAGE, check_o12


def test_right_answer_passes():
    assert check_o12(8.0)


def test_independent_value():
    # written out from the definition: o12 = I12 W11 + I13 W12 + I22 W21 + I23 W22 (1-based)
    I, W = WARMUP_IMAGE, WARMUP_FILTER
    assert I[0, 1] * W[0, 0] + I[0, 2] * W[0, 1] + I[1, 1] * W[1, 0] + I[1, 2] * W[1, 1] == 8.0


def test_common_slips_get_specific_feedback():
    assert "o11" in str(check_o12(float(np.sum(WARMUP_IMAGE[:2, :2] * WARMUP_FILTER))))
    assert "flipped" in str(check_o12(float(np.sum(WARMUP_IMAGE[:2, 1:] * WARMUP_FILTER[::-1, ::-1]))))
    wrong = check_o12(7)
    assert not wrong and "expected 8" in str(wrong)
    assert "must be a number" in str(check_o12("eight"))


def test_starter_and_first_product_only():
    assert "not answered yet" in str(check_o12(None)) and "expected" not in str(check_o12(None))
    assert "only the first product" in str(check_o12(WARMUP_IMAGE[0, 1] * WARMUP_FILTER[0, 0]))
