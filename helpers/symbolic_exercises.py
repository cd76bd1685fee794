"""Exercise checkers for notebooks 01 (convolution by hand) and 02 (the gradient of a filter).

Every checker takes the learner's answer and returns a ``helpers.feedback.Feedback`` that names each
wrong entry (or each missing or extra term of a formula) with what was expected. ``hint(name)`` and
``solution(name)`` give collapsed blocks the learner opens on purpose. The exercise data are module
constants, so a notebook shows exactly the numbers the checker uses.

Symbolic answers are SymPy expressions built by the learner from the symbols of the notebook
(e.g. ``I13*W11 + …`` in 01, ``I12*delta11 + …`` in 02); text is never parsed.
"""
from numbers import Number

import numpy as np
import sympy as sp

from helpers import symbolic
from helpers.feedback import NOT_ANSWERED, Feedback, check_values, entry_names, reveal_entry

# ---------------------------------------------------------------- exercise data

#: 01, exercise 1: compute the four outputs of this filter on this image by hand
OUTPUTS_IMAGE = ((1, 2, 0),
                 (-1, 3, 1),
                 (2, 0, -2))
OUTPUTS_FILTER = ((1, -1),
                  (0, 2))

#: 01, exercise 2: output side for these (n, k, stride, padding)
SIZE_CASES = ((7, 3, 1, 0), (7, 3, 2, 1), (28, 3, 1, 1), (6, 2, 2, 0), (5, 3, 3, 0))

#: 02, exercise 2: which pixels multiply W21 (2×2 filter, 4×4 image, stride 2)?
FOOTPRINT_CASE = {"n": 4, "k": 2, "stride": 2, "weight": (2, 1)}   # weight in 1-based math indices

#: 02, exercise 3: δ for a flatten + dense head, L = ½(z − t)², z = Σ v_rc · o_rc
DENSE_OUTPUTS = ((1, 2),
                 (3, -2))
DENSE_WEIGHTS = ((1, -1),
                 (2, 0))
DENSE_TARGET = 2

#: 02, exercise 4: ∂L/∂W in numbers from this image and this upstream gradient
GRADIENT_IMAGE = ((1, 0, 2),
                  (-1, 1, 0),
                  (0, 3, -2))
GRADIENT_DELTA = ((0.5, -1),
                  (2, 0))


_HINTS = {
    "outputs": "o_rc multiplies the 2×2 patch whose top-left pixel is I_rc by W entry by entry, "
               "then adds the four products.",
    "sizes": "m = ⌊(n + 2·padding − k) / stride⌋ + 1; round down before adding 1.",
    "strided": "With stride 2 the window of o12 starts two columns to the right of o11's: its top-left pixel is I13.",
    "dW12": "W12 appears once in each of o11, o12, o21, o22. In each, find the pixel it multiplies, "
            "and weight that pixel by the δ of that output.",
    "footprint": "W21 sits in row 2, column 1 of every window. List the four windows' top-left pixels "
                 "(stride 2), then step one row down from each.",
    "dense": "First compute z with the given numbers. Then ∂L/∂o_rc = (z − t) · ∂z/∂o_rc, "
             "and ∂z/∂o_rc is the dense weight v_rc.",
    "gradient": "Slide δ (2×2) over I like a filter, without flipping it: ∂L/∂W11 uses the top-left 2×2 "
                "patch of I, ∂L/∂W12 the patch one column to the right.",
}


# ---------------------------------------------------------------- formulas: missing and extra terms


def _pretty(term):
    return str(term).replace("delta", "δ").replace("*", "·")


def check_expression(title, answer, expected, hint="", example="I11*W11 + …"):
    """Compare a SymPy expression with the expected one, term by term.

    answer, expected: SymPy expressions (polynomials in the course's symbols)
    example: how a formula is typed in this exercise, shown when the answer is text in quotes
    Returns a Feedback naming every missing term, extra term and wrong coefficient. An answer that is
    None or ``...`` (an untouched starter) is "not answered yet", without giving the expected terms away.
    """
    if answer is None or answer is Ellipsis:
        return Feedback(False, title, [NOT_ANSWERED], hint)
    if isinstance(answer, str):
        return Feedback(False, title, ["the answer is text in quotes; write it with the symbols themselves, "
                                       f"e.g. {example} (no quotes)"], hint)
    if isinstance(answer, Number) and not isinstance(answer, bool):
        answer = sp.Float(answer) if isinstance(answer, float) else sp.Integer(answer)
    if not isinstance(answer, sp.Expr):
        return Feedback(False, title, [f"the answer must be a formula built from the symbols; got "
                                       f"{type(answer).__name__}"], hint)
    got = sp.expand(answer).as_coefficients_dict()
    want = sp.expand(expected).as_coefficients_dict()
    problems = []
    for term in sorted(set(got) | set(want), key=sp.default_sort_key):
        have, need = got.get(term, 0), want.get(term, 0)
        if have == need:
            continue
        if need == 0:
            problems.append(f"extra term {_pretty(have * term)}: it does not belong in the sum")
        elif have == 0:
            problems.append(f"missing term {_pretty(need * term)}")
        else:
            problems.append(f"the term {_pretty(term)} has coefficient {have}; expected {need}")
    return Feedback(not problems, title, problems, hint)


# ---------------------------------------------------------------- notebook 01


def expected_outputs():
    """The 2×2 outputs of exercise 1 (NumPy array, o11 at [0, 0])."""
    O = symbolic.correlate(sp.Matrix(OUTPUTS_IMAGE), sp.Matrix(OUTPUTS_FILTER))
    return np.array(O.tolist(), dtype=float)


def check_outputs(answer):
    """01, exercise 1: answer is a 2×2 list [[o11, o12], [o21, o22]] of numbers."""
    feedback = check_values("Exercise 1: the four outputs by hand", answer, expected_outputs(),
                            names=entry_names("o", (2, 2)),
                            hint=_HINTS["outputs"])
    if not feedback.ok and _matches(answer, flipped_outputs()):
        feedback.problems.insert(0, "you flipped W (a true convolution) — deep learning's conv does not flip: "
                                    "W11 multiplies the top-left pixel of each window")
    return feedback


def flipped_outputs():
    """The outputs of exercise 1 with W flipped in both directions: what a true convolution gives."""
    flipped = sp.Matrix(OUTPUTS_FILTER)[::-1, ::-1]
    return np.array(symbolic.correlate(sp.Matrix(OUTPUTS_IMAGE), flipped).tolist(), dtype=float)


def _matches(answer, values):
    """True when answer is numbers of the shape of values and equal to them."""
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == values.shape and bool(np.allclose(got, values))


def check_output_sizes(answer):
    """01, exercise 2: answer is a list of output sides, one for each case in SIZE_CASES."""
    expected = [symbolic.output_size(*case) for case in SIZE_CASES]
    names = [f"n={n}, k={k}, stride {s}, padding {p}" for n, k, s, p in SIZE_CASES]
    return check_values("Exercise 2: output sizes", answer, expected, names=names,
                        hint=_HINTS["sizes"])


def check_strided_output(answer):
    """01, exercise 3: answer is o12 for a 2×2 filter on a 4×4 image with stride 2 (a SymPy expression)."""
    expected = symbolic.correlate(symbolic.image_symbols(4), symbolic.filter_symbols(2), stride=2)[0, 1]
    return check_expression("Exercise 3: o12 with stride 2", answer, expected,
                            hint=_HINTS["strided"], example="I13*W11 + …")


# ---------------------------------------------------------------- notebook 02


def check_dW12(answer):
    """02, exercise 1: answer is ∂L/∂W12 for a 2×2 filter on a 3×3 image, written with I… and delta…."""
    image, delta = symbolic.image_symbols(3), symbolic.delta_symbols(2)
    expected = symbolic.filter_gradient(image, delta)[0, 1]
    feedback = check_expression("Exercise 1: ∂L/∂W12 by hand", answer, expected,
                                hint=_HINTS["dW12"], example="I12*delta11 + …")
    flipped = symbolic.filter_gradient(image, delta[::-1, ::-1])[0, 1]
    if not feedback.ok and isinstance(answer, sp.Expr) and sp.expand(answer - flipped) == 0:
        feedback.problems.insert(0, "you flipped δ: ∂L/∂W = corr(I, δ) slides δ over I without flipping it, "
                                    "so I12 (in o11's window) pairs with δ11")
    return feedback


def expected_footprint():
    """0/1 mask (n×n) of the pixels that multiply the weight of FOOTPRINT_CASE."""
    case = FOOTPRINT_CASE
    n, k, stride = case["n"], case["k"], case["stride"]
    I = symbolic.image_symbols(n)
    i, j = case["weight"]
    gradient = symbolic.filter_gradient(I, symbolic.delta_symbols(symbolic.output_size(n, k, stride)),
                                        stride=stride, filter_size=k)[i - 1, j - 1]
    touched = gradient.free_symbols
    return np.array([[1 if I[r, c] in touched else 0 for c in range(n)] for r in range(n)], dtype=float)


def check_footprint(answer):
    """02, exercise 2: answer is a 4×4 list of 0/1, with 1 where the pixel appears in ∂L/∂W21."""
    return check_values("Exercise 2: the pixels ∂L/∂W21 touches (stride 2)", answer, expected_footprint(),
                        names=entry_names("I", (FOOTPRINT_CASE["n"], FOOTPRINT_CASE["n"])),
                        hint=_HINTS["footprint"])


def expected_dense_delta():
    """δ = (z − t) · v for the flatten + dense head of exercise 3 (2×2 NumPy array)."""
    outputs, weights = np.array(DENSE_OUTPUTS, float), np.array(DENSE_WEIGHTS, float)
    z = float((weights * outputs).sum())
    return (z - DENSE_TARGET) * weights


def check_dense_delta(answer):
    """02, exercise 3: answer is δ (2×2) for L = ½(z − t)² with z = Σ v_rc · o_rc."""
    return check_values("Exercise 3: δ for a flatten + dense head", answer, expected_dense_delta(),
                        names=entry_names("δ", (2, 2)),
                        hint=_HINTS["dense"])


def expected_filter_gradient():
    """∂L/∂W = corr(I, δ) for exercise 4 (2×2 NumPy array)."""
    grad = symbolic.filter_gradient(sp.Matrix(GRADIENT_IMAGE), sp.Matrix(GRADIENT_DELTA))
    return np.array(grad.tolist(), dtype=float)


def check_filter_gradient(answer):
    """02, exercise 4: answer is ∂L/∂W (2×2 numbers) from GRADIENT_IMAGE and GRADIENT_DELTA."""
    return check_values("Exercise 4: ∂L/∂W in numbers", answer, expected_filter_gradient(),
                        names=entry_names("∂L/∂W", (2, 2)),
                        hint=_HINTS["gradient"])


# ---------------------------------------------------------------- hints and worked solutions

_SOLUTIONS = {
    "outputs": r"""
$o_{11} = 1\cdot1 + 2\cdot(-1) + (-1)\cdot0 + 3\cdot2 = 5$,
$o_{12} = 2\cdot1 + 0\cdot(-1) + 3\cdot0 + 1\cdot2 = 4$,
$o_{21} = (-1)\cdot1 + 3\cdot(-1) + 2\cdot0 + 0\cdot2 = -4$,
$o_{22} = 3\cdot1 + 1\cdot(-1) + 0\cdot0 + (-2)\cdot2 = -2$.

```python
ex.check_outputs([[5, 4], [-4, -2]])
```
""",
    "sizes": r"""
$m = \lfloor (n + 2p - k)/s \rfloor + 1$: $(7-3)/1+1 = 5$; $\lfloor(7+2-3)/2\rfloor+1 = 4$;
$(28+2-3)/1+1 = 28$ (padding 1 keeps a 3×3 filter's output the size of the image);
$\lfloor(6-2)/2\rfloor+1 = 3$; $\lfloor(5-3)/3\rfloor+1 = 1$ (the window cannot take a second step of 3).

```python
ex.check_output_sizes([5, 4, 28, 3, 1])
```
""",
    "strided": r"""
With stride 2, output $o_{12}$'s window starts at row 1, column $1 + 2 = 3$: pixels $I_{13}, I_{14}, I_{23}, I_{24}$.

$o_{12} = I_{13}W_{11} + I_{14}W_{12} + I_{23}W_{21} + I_{24}W_{22}$

```python
ex.check_strided_output(I13*W11 + I14*W12 + I23*W21 + I24*W22)
```
""",
    "dW12": r"""
$W_{12}$ multiplies $I_{12}$ in $o_{11}$, $I_{13}$ in $o_{12}$, $I_{22}$ in $o_{21}$ and $I_{23}$ in $o_{22}$.
The chain rule:

$\dfrac{\partial L}{\partial W_{12}} = \sum_{mn} \delta_{mn}\dfrac{\partial o_{mn}}{\partial W_{12}}
= I_{12}\delta_{11} + I_{13}\delta_{12} + I_{22}\delta_{21} + I_{23}\delta_{22}$

```python
ex.check_dW12(I12*delta11 + I13*delta12 + I22*delta21 + I23*delta22)
```
""",
    "footprint": r"""
With stride 2 the four windows start at $I_{11}, I_{13}, I_{31}, I_{33}$. $W_{21}$ is one row below the window's
top-left corner, so it multiplies $I_{21}, I_{23}, I_{41}, I_{43}$:
$\partial L/\partial W_{21} = I_{21}\delta_{11} + I_{23}\delta_{12} + I_{41}\delta_{21} + I_{43}\delta_{22}$.
Rows 1 and 3 and columns 2 and 4 never meet $W_{21}$.

```python
ex.check_footprint([[0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0]])
```
""",
    "dense": r"""
$z = 1\cdot1 + (-1)\cdot2 + 2\cdot3 + 0\cdot(-2) = 5$, so $z - t = 5 - 2 = 3$ and
$\delta_{rc} = \partial L/\partial o_{rc} = (z-t)\,v_{rc} = 3\,v_{rc}$.

```python
ex.check_dense_delta([[3, -3], [6, 0]])
```
""",
    "gradient": r"""
$\partial L/\partial W_{ij} = \sum_{mn} I_{i+m-1,\,j+n-1}\,\delta_{mn}$ (the patch of $I$ under $\delta$):

- $\partial L/\partial W_{11} = 1(0.5) + 0(-1) + (-1)(2) + 1(0) = -1.5$
- $\partial L/\partial W_{12} = 0(0.5) + 2(-1) + 1(2) + 0(0) = 0$
- $\partial L/\partial W_{21} = (-1)(0.5) + 1(-1) + 0(2) + 3(0) = -1.5$
- $\partial L/\partial W_{22} = 1(0.5) + 0(-1) + 3(2) + (-2)(0) = 6.5$

```python
ex.check_filter_gradient([[-1.5, 0], [-1.5, 6.5]])
```
""",
}

EXERCISES = tuple(_SOLUTIONS)


def hint(name):
    """A collapsed hint for exercise ``name`` (one of EXERCISES)."""
    return reveal_entry("Hint", _HINTS, name)


def solution(name):
    """A collapsed worked solution for exercise ``name`` (one of EXERCISES)."""
    return reveal_entry("Worked solution", _SOLUTIONS, name)
