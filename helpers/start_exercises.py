"""Checker for the start notebook's warm-up: one output of a 2×2 filter on a 3×3 image, by hand."""
import numpy as np

from helpers.feedback import NOT_ANSWERED, Feedback, check_values

WARMUP_IMAGE = np.array([[1.0, 2.0, 0.0],
                         [0.0, 1.0, 3.0],
                         [2.0, 2.0, 1.0]])
WARMUP_FILTER = np.array([[1.0, -1.0],
                          [0.0, 2.0]])


def check_o12(answer):
    """Check o12 = I12·W11 + I13·W12 + I22·W21 + I23·W22 for WARMUP_IMAGE and WARMUP_FILTER.

    answer: a number. Returns a Feedback that says which common slip the answer matches.
    """
    I, W = WARMUP_IMAGE, WARMUP_FILTER
    expected = float(np.sum(I[0:2, 1:3] * W))
    title = "o12 of the warm-up"
    slips = {
        float(np.sum(I[0:2, 0:2] * W)): "that is o11: o12 starts one column to the right (I12, I13, I22, I23)",
        float(np.sum(I[1:3, 0:2] * W)): "that is o21: o12 moves right, not down",
        float(I[0, 1] * W[0, 0]): "that is only the first product I12·W11; add I13·W12 + I22·W21 + I23·W22",
        float(np.sum(I[0:2, 1:3] * W[::-1, ::-1])): "you flipped the filter — that is a true convolution; "
                                                    "deep learning's conv does not flip",
    }
    if answer is None or answer is Ellipsis:
        return Feedback(False, title, [NOT_ANSWERED], "start from I[0, 1] * W[0, 0] and add the other three products")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback(False, title, [f"the answer must be a number; got {answer!r}"])
    if not np.isclose(value, expected) and value in slips:
        return Feedback(False, title, [f"you gave {value:g}: {slips[value]}"],
                        "write the four products I12·W11, I13·W12, I22·W21, I23·W22 first")
    return check_values(title, value, expected, names="o12",
                        hint="in code I12 is I[0, 1]: subtract 1 from each math index")


SOLUTION_O12 = (
    r"$o_{12} = I_{12}W_{11} + I_{13}W_{12} + I_{22}W_{21} + I_{23}W_{22}"
    r" = 2\cdot 1 + 0\cdot(-1) + 1\cdot 0 + 3\cdot 2 = 8$."
    "\n\nIn code: `I[0, 1]*W[0, 0] + I[0, 2]*W[0, 1] + I[1, 1]*W[1, 0] + I[1, 2]*W[1, 1]`."
)
