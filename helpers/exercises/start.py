"""Checker for the start notebook's warm-up: one output of a 2×2 filter on a 3×3 image, by hand."""
import numpy as np

from helpers.exercises.feedback import OnRequest, Slip, check_numbers, checker, corr2d, read_exercises

WARMUP_IMAGE = np.array([[1.0, 2.0, 0.0],
                         [0.0, 1.0, 3.0],
                         [2.0, 2.0, 1.0]])
WARMUP_FILTER = np.array([[1.0, -1.0],
                          [0.0, 2.0]])


def expected_o12():
    """o12 = I12·W11 + I13·W12 + I22·W21 + I23·W22 for WARMUP_IMAGE and WARMUP_FILTER."""
    return float(corr2d(WARMUP_IMAGE, WARMUP_FILTER)[0, 1])


EXERCISES = read_exercises(__file__)
O12 = EXERCISES["00-1"]


@checker(O12)
def check_o12(answer):
    """Check the warm-up's o12. answer: one number. Returns a Feedback that names a known slip."""
    outputs = corr2d(WARMUP_IMAGE, WARMUP_FILTER)     # O (2×2): o_(r+1)(c+1) is O[r, c]
    slips = [
        Slip(outputs[1, 0], "that is o21: the first index is the row, so o12 is row 1, column 2 — you swapped "
                            "the two indices (see the notation table: I12 is I[0, 1])"),
        Slip(outputs[0, 0], "that is o11: o12's window starts one column to the right"),
        Slip(outputs[1, 1], "that is o22, the window that starts at I[1, 1]: you used the math indices in code — "
                            "subtract 1 from each (I12 is I[0, 1])"),
        Slip(WARMUP_IMAGE[0, 1] * WARMUP_FILTER[0, 0], "that is only the first product I12·W11; o12 adds four "
                                                       "products"),
        Slip(corr2d(WARMUP_IMAGE, WARMUP_FILTER[::-1, ::-1])[0, 1], "you flipped the filter (a true convolution); "
             "deep learning's conv lays W on the window as it is (notebook 01, “Convolution” in deep learning is a "
             "cross-correlation)"),
    ]
    return check_numbers(O12, answer, expected_o12(), slips=slips, what="o12",
                         why="o12 = I12·W11 + I13·W12 + I22·W21 + I23·W22: four pixel × weight products.")


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
