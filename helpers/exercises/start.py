"""Checker for the start notebook's warm-up: one output of a 2×2 filter on a 3×3 image, by hand."""
import numpy as np

from helpers.exercises.feedback import Exercise, OnRequest, Slip, check_numbers, checker

WARMUP_IMAGE = np.array([[1.0, 2.0, 0.0],
                         [0.0, 1.0, 3.0],
                         [2.0, 2.0, 1.0]])
WARMUP_FILTER = np.array([[1.0, -1.0],
                          [0.0, 2.0]])


def _output(row, col, image=WARMUP_IMAGE, weights=WARMUP_FILTER):
    """o_(row+1)(col+1) = Σ_ij I[row + i, col + j]·W[i, j] (0-based row, col)."""
    return float(np.sum(image[row:row + 2, col:col + 2] * weights))


def expected_o12():
    """o12 = I12·W11 + I13·W12 + I22·W21 + I23·W22 for WARMUP_IMAGE and WARMUP_FILTER."""
    return _output(0, 1)


O12 = Exercise(
    "00-1", "Warm-up: o12 by hand",
    hints=("o12 is the window one column to the right of o11's: its four pixels are I12, I13, I22, I23.",
           "In code, subtract 1 from each math index: I12 is I[0, 1] and W11 is W[0, 0]. "
           "Add the four products I[0, 1]*W[0, 0] + I[0, 2]*W[0, 1] + I[1, 1]*W[1, 0] + I[1, 2]*W[1, 1]."),
    solution=(r"$o_{12} = I_{12}W_{11} + I_{13}W_{12} + I_{22}W_{21} + I_{23}W_{22}"
              r" = 2\cdot 1 + 0\cdot(-1) + 1\cdot 0 + 3\cdot 2 = 8$."
              "\n\nIn code: `o12 = I[0, 1]*W[0, 0] + I[0, 2]*W[0, 1] + I[1, 1]*W[1, 0] + I[1, 2]*W[1, 1]`."),
    answer_code="o12 = I[0, 1]*W[0, 0] + I[0, 2]*W[0, 1] + I[1, 1]*W[1, 0] + I[1, 2]*W[1, 1]",
    points=1)

EXERCISES = {1: O12}


def _slips():
    I, W = WARMUP_IMAGE, WARMUP_FILTER
    return [
        Slip(_output(1, 0), "that is o21: the first index is the row, so o12 is row 1, column 2 — you swapped "
                            "the two indices (see the notation table: I12 is I[0, 1])"),
        Slip(_output(0, 0), "that is o11: o12's window starts one column to the right"),
        Slip(_output(1, 1), "that is o22, the window that starts at I[1, 1]: you used the math indices in code — "
                            "subtract 1 from each (I12 is I[0, 1])"),
        Slip(float(I[0, 1] * W[0, 0]), "that is only the first product I12·W11; o12 adds four products"),
        Slip(_output(0, 1, weights=W[::-1, ::-1]), "you flipped the filter (a true convolution); deep learning's "
                                                   "conv lays W on the window as it is"),
    ]


@checker(O12)
def check_o12(answer):
    """Check the warm-up's o12. answer: one number. Returns a Feedback that names a known slip."""
    return check_numbers(O12, answer, expected_o12(), slips=_slips(), what="o12",
                         why="o12 = I12·W11 + I13·W12 + I22·W21 + I23·W22: four pixel × weight products.")


hint, solution, help = OnRequest(EXERCISES).trio()  # noqa: A001 - the names a learner types
CHECKERS = {"00-1": check_o12}
