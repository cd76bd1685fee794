"""Exercise checkers for notebooks 01 (convolution by hand) and 02 (the gradient of a filter).

Every checker takes the learner's answer and returns a ``helpers.exercises.feedback.Feedback``: ✔ with why it is
right, the named slip when the answer is a known wrong one, otherwise what is wrong (which entries, which
terms are extra, how many are missing) — never the expected answer. ``hint(k)``, ``solution(k)`` and
``help(k)`` show help for exercise k only when called. The exercise data are module constants, so a
notebook shows exactly the numbers the checker uses; none repeats a cell printed above the exercise.

Symbolic answers are SymPy expressions built by the learner from the notebook's symbols
(e.g. ``I31*W11 + …``, ``I23*delta11 + …``); text is never parsed (no eval, no sympify).
"""
import math
from fractions import Fraction
from numbers import Integral, Real

import numpy as np
import sympy as sp

from helpers.derive import symbolic
from helpers.exercises.feedback import (
    NOT_ANSWERED,
    Exercise,
    OnRequest,
    Slip,
    check_numbers,
    checker,
    entry_names,
    read_numbers,
)

# ---------------------------------------------------------------- exercise data

#: 01, exercise 1: compute the four outputs of this filter on this image by hand
OUTPUTS_IMAGE = ((1, 2, 0),
                 (-1, 3, 1),
                 (2, 0, -2))
OUTPUTS_FILTER = ((1, -1),
                  (0, 2))

#: 01, exercise 2: output side for these (n, k, stride, padding); (9, 4, 2, 0) leaves a remainder
SIZE_CASES = ((7, 3, 1, 0), (7, 3, 2, 1), (10, 3, 1, 1), (9, 4, 2, 0), (5, 3, 3, 0))

#: 01, exercise 3: o21 of a 2×2 filter on a 5×5 image with stride 2 (the last row and column are never read)
STRIDED_CASE = {"n": 5, "k": 2, "stride": 2, "output": (2, 1)}     # output in 1-based math indices

#: 02, exercise 1: ∂L/∂W23 of a 3×3 filter on a 4×4 image (δ is 2×2)
DW_CASE = {"n": 4, "k": 3, "weight": (2, 3)}

#: 02, exercise 2: which pixels multiply W21 (2×2 filter, 5×5 image, stride 2: a remainder of one pixel)
FOOTPRINT_CASE = {"n": 5, "k": 2, "stride": 2, "weight": (2, 1)}   # weight in 1-based math indices

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


# ---------------------------------------------------------------- formulas: judged term by term


def _pretty(term):
    return str(term).replace("delta", "δ").replace("*", "·")


def _as_expression(answer, example):
    """(SymPy expression, None) or (None, the sentence saying why the answer is not a formula)."""
    if answer is None or answer is Ellipsis:
        return None, NOT_ANSWERED
    if isinstance(answer, (str, bytes)):
        return None, ("the answer is text in quotes; write it with the symbols themselves (defined in the cell), "
                      f"e.g. {example} — no quotes")
    if isinstance(answer, (bool, np.bool_)):
        return None, f"the answer is {answer!r}, a truth value; write a formula with the symbols"
    if isinstance(answer, (complex, np.complexfloating)):
        return None, f"the answer is the complex number {answer!r}; the formula is a sum of real products"
    if isinstance(answer, Fraction):
        return sp.Rational(answer.numerator, answer.denominator), None
    if isinstance(answer, (Integral, np.integer)):
        return sp.Integer(int(answer)), None
    if isinstance(answer, (Real, np.floating)):
        if not math.isfinite(float(answer)):
            return None, f"the answer is {answer!r}; write a formula with the symbols"
        return sp.Float(float(answer)), None
    if isinstance(answer, sp.MatrixBase) or isinstance(answer, (list, tuple, np.ndarray)):
        return None, ("the answer is a list or matrix; this exercise asks for one formula, a sum of products "
                      f"like {example}")
    if not isinstance(answer, sp.Expr):
        return None, f"the answer must be one formula built from the symbols; got a {type(answer).__name__}"
    if answer.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None, f"the answer contains {answer}; a gradient or an output is a finite sum of products"
    if answer.has(sp.I):
        return None, "the answer contains the imaginary unit (SymPy's I); every term here is real"
    return answer, None


def _judge_formula(exercise, answer, expected, symbols, slips=(), example="I11*W11 + …", why=""):
    """Judge a SymPy answer against the expected polynomial: right, a known slip, or what is wrong.

    symbols: the symbols the exercise defines (others are named as foreign)
    slips:   ``Slip``s whose answer is a SymPy expression
    Names extra terms and wrong coefficients (the learner's own terms) and counts missing ones, never naming
    an expected term the learner did not write.
    """
    got, problem = _as_expression(answer, example)
    if problem:
        return exercise.wrong(problem)
    foreign = sorted((s for s in got.free_symbols if s not in set(symbols)), key=sp.default_sort_key)
    if foreign:
        return exercise.wrong(f"{', '.join(_pretty(s) for s in foreign)} {'is' if len(foreign) == 1 else 'are'} "
                              "not among this exercise's symbols (those defined in the cell above)")
    ordered = sorted(set(symbols), key=sp.default_sort_key)
    try:
        mine = sp.Poly(sp.expand(got), *ordered).as_dict()
    except sp.PolynomialError:
        return exercise.wrong(f"{_pretty(got)} is not a sum of products of the symbols (no powers below 0, no "
                              "functions): each term is one pixel times one weight (or one δ)")
    want = sp.Poly(sp.expand(expected), *ordered).as_dict()
    if mine == want:
        return exercise.right(why)
    for slip in slips:
        if sp.expand(got - slip.answer) == 0:
            return exercise.wrong(slip.message)
    generator = sp.Poly(sp.expand(expected), *ordered).gens

    def term(monomial):
        return sp.Mul(*[g ** e for g, e in zip(generator, monomial, strict=True)])

    problems = []
    extra = [m for m in mine if m not in want]
    wrong_coefficient = [m for m in mine if m in want and mine[m] != want[m]]
    missing = [m for m in want if m not in mine]
    if extra:
        shown = [_pretty(mine[m] * term(m)) for m in extra[:5]]
        problems.append(f"{', '.join(shown)}{' …' if len(extra) > 5 else ''}: "
                        f"{'this term does' if len(extra) == 1 else 'these terms do'} not belong in the sum")
    for m in wrong_coefficient[:5]:
        problems.append(f"the term {_pretty(term(m))} has coefficient {mine[m]}; it belongs in the sum, but not "
                        f"{mine[m]} times")
    if missing:
        problems.append(f"{len(missing)} term{'s are' if len(missing) > 1 else ' is'} missing")
    right = len(mine) - len(extra) - len(wrong_coefficient)
    if right and (extra or wrong_coefficient or missing):
        problems.append(f"{right} of your terms {'is' if right == 1 else 'are'} right")
    return exercise.wrong(*problems)


# ---------------------------------------------------------------- 01, exercise 1: four outputs


def expected_outputs():
    """The 2×2 outputs of 01 exercise 1 (NumPy array, o11 at [0, 0])."""
    O = symbolic.correlate(sp.Matrix(OUTPUTS_IMAGE), sp.Matrix(OUTPUTS_FILTER))
    return np.array(O.tolist(), dtype=float)


def flipped_outputs():
    """The outputs of 01 exercise 1 with W flipped in both directions: what a true convolution gives."""
    flipped = sp.Matrix(OUTPUTS_FILTER)[::-1, ::-1]
    return np.array(symbolic.correlate(sp.Matrix(OUTPUTS_IMAGE), flipped).tolist(), dtype=float)


OUTPUTS = Exercise(
    "01-1", "Exercise 1: the four outputs by hand",
    hints=("o_rc multiplies the 2×2 patch whose top-left pixel is I_rc by W entry by entry, then adds the "
           "four products.",
           "o12's patch is rows 1–2, columns 2–3 of I; o21's is rows 2–3, columns 1–2. W11 always multiplies "
           "the patch's top-left pixel."),
    solution=r"""
$o_{11} = 1\cdot1 + 2\cdot(-1) + (-1)\cdot0 + 3\cdot2 = 5$,
$o_{12} = 2\cdot1 + 0\cdot(-1) + 3\cdot0 + 1\cdot2 = 4$,
$o_{21} = (-1)\cdot1 + 3\cdot(-1) + 2\cdot0 + 0\cdot2 = -4$,
$o_{22} = 3\cdot1 + 1\cdot(-1) + 0\cdot0 + (-2)\cdot2 = -2$.

```python
answer = [[5, 4], [-4, -2]]
```
""",
    answer_code="answer = [[5, 4], [-4, -2]]", points=2)


@checker(OUTPUTS)
def check_outputs(answer):
    """01, exercise 1: answer is a 2×2 list [[o11, o12], [o21, o22]] of numbers."""
    image, weights = np.array(OUTPUTS_IMAGE, float), np.array(OUTPUTS_FILTER, float)
    slips = [
        Slip(flipped_outputs(), "you flipped W (a true convolution) — deep learning's conv does not flip: W11 "
                                "multiplies the top-left pixel of each window (notebook 01, “Convolution” in deep "
                                "learning is a cross-correlation)"),
        Slip(image[:2, :2] * weights, "you multiplied the top-left 2×2 block of I by W entry by entry; each "
                                      "output is the *sum* of four products, over its own window"),
        Slip(np.array([[image[r, c] * weights[0, 0] for c in range(2)] for r in range(2)]),
             "each entry is only its first product I_rc·W11; an output adds four products"),
    ]
    return check_numbers(OUTPUTS, answer, expected_outputs(), names=entry_names("o", (2, 2)), slips=slips,
                         why="each output is the sum of four pixel × weight products over its own window.")


# ---------------------------------------------------------------- 01, exercise 2: output sizes


def expected_sizes():
    """The output sides of SIZE_CASES (list of ints)."""
    return [symbolic.output_size(*case) for case in SIZE_CASES]


def _size_slips(n, k, s, p):
    """(wrong side, what it means) for one case: the named slips of m = ⌊(n + 2p − k)/s⌋ + 1."""
    return [
        (math.ceil((n + 2 * p - k) / s) + 1, "rounded up; a window that does not fit is not used: round down"),
        ((n + 2 * p - k) // s, "forgot the + 1 (the first window is there before any step)"),
        ((n - k) // s + 1, "left out the padding"),
        ((n + p - k) // s + 1, "added the padding once; it goes on both sides (2p)"),
        (n + 2 * p - k + 1, "ignored the stride"),
    ]


SIZES = Exercise(
    "01-2", "Exercise 2: output sizes",
    hints=("m = ⌊(n + 2·padding − k) / stride⌋ + 1.",
           "Round down before adding 1: with n = 9, k = 4, stride 2 the window can take ⌊5/2⌋ = 2 steps, so the "
           "last pixel column is never read."),
    solution=r"""
$m = \lfloor (n + 2p - k)/s \rfloor + 1$: $(7-3)/1+1 = 5$; $\lfloor(7+2-3)/2\rfloor+1 = 4$;
$(10+2-3)/1+1 = 10$ (padding 1 keeps a 3×3 filter's output the size of the image);
$\lfloor(9-4)/2\rfloor+1 = 3$ (5/2 leaves a remainder: the last column is never read);
$\lfloor(5-3)/3\rfloor+1 = 1$ (the window cannot take a second step of 3).

```python
answer = [5, 4, 10, 3, 1]
```
""",
    answer_code="answer = [5, 4, 10, 3, 1]", points=1)


@checker(SIZES)
def check_output_sizes(answer):
    """01, exercise 2: answer is a list of output sides (whole numbers), one for each case in SIZE_CASES."""
    names = [f"case {i + 1} (n={n}, k={k}, stride {s}, padding {p})" for i, (n, k, s, p) in enumerate(SIZE_CASES)]
    got, problem = read_numbers(answer, (len(SIZE_CASES),))
    if problem:
        return SIZES.wrong(problem)
    fractions = [names[i] for i, v in enumerate(got) if not float(v).is_integer()]
    if fractions:
        return SIZES.wrong(f"{', '.join(fractions)}: not a whole number — a side counts windows; "
                           "the formula rounds down (⌊…⌋) before adding 1")
    expected = expected_sizes()
    if [int(v) for v in got] == expected:
        return SIZES.right("m = ⌊(n + 2p − k)/s⌋ + 1 in every case, rounding down where the stride leaves a "
                           "remainder.")
    problems = []
    for i, case in enumerate(SIZE_CASES):
        if int(got[i]) == expected[i]:
            continue
        meaning = next((words for value, words in _size_slips(*case)
                        if value == int(got[i]) and value != expected[i]), None)
        problems.append(f"{names[i]} is wrong" + (f": you {meaning}" if meaning else ""))
    right = sum(int(g) == e for g, e in zip(got, expected, strict=True))
    if right:
        problems.append(f"the other {right} {'is' if right == 1 else 'are'} right")
    return SIZES.wrong(*problems)


# ---------------------------------------------------------------- 01, exercise 3: a strided output


def strided_symbols():
    """(image symbols n×n, filter symbols k×k) of STRIDED_CASE."""
    return symbolic.image_symbols(STRIDED_CASE["n"]), symbolic.filter_symbols(STRIDED_CASE["k"])


def expected_strided_output():
    image, weights = strided_symbols()
    r, c = STRIDED_CASE["output"]
    return symbolic.correlate(image, weights, stride=STRIDED_CASE["stride"])[r - 1, c - 1]


STRIDED = Exercise(
    "01-3", "Exercise 3: o21 with stride 2",
    hints=("With stride 2 the windows start two pixels apart, in rows as in columns.",
           "o21 is the window in output row 2, column 1: it starts 2 rows below o11's window, so its top-left "
           "pixel is in image row 3."),
    solution=r"""
With stride 2 the output rows start at image rows 1 and 3, so $o_{21}$'s window starts at row 3, column 1:
pixels $I_{31}, I_{32}, I_{41}, I_{42}$. (Row 5 and column 5 are never read: ⌊(5 − 2)/2⌋ = 1 step.)

$o_{21} = I_{31}W_{11} + I_{32}W_{12} + I_{41}W_{21} + I_{42}W_{22}$

```python
answer = I31*W11 + I32*W12 + I41*W21 + I42*W22
```
""",
    answer_code="answer = I31*W11 + I32*W12 + I41*W21 + I42*W22", points=2)


@checker(STRIDED)
def check_strided_output(answer):
    """01, exercise 3: answer is o21 for a 2×2 filter on a 5×5 image with stride 2 (a SymPy expression)."""
    image, weights = strided_symbols()
    stride = STRIDED_CASE["stride"]
    slips = [
        Slip(symbolic.correlate(image, weights)[1, 0], "that is o21 with stride 1: with stride 2 the window jumps "
                                                       "two rows, not one (notebook 01, Stride, term by term)"),
        Slip(symbolic.correlate(image, weights, stride=stride)[0, 1],
             "that is o12: the first index is the output row, the second the column — you swapped them"),
        Slip(symbolic.convolve(image, weights, stride=stride)[1, 0],
             "you flipped W (a true convolution); deep learning's conv lays W on the window as it is"),
    ]
    return _judge_formula(STRIDED, answer, expected_strided_output(), list(image) + list(weights), slips,
                         example="I11*W11 + …", why="its window starts two rows down: I31, I32, I41, I42.")


# ---------------------------------------------------------------- 02, exercise 1: one weight's gradient


def dw_symbols():
    """(image symbols n×n, δ symbols m×m) of DW_CASE."""
    n, k = DW_CASE["n"], DW_CASE["k"]
    return symbolic.image_symbols(n), symbolic.delta_symbols(n - k + 1)


def expected_dW():
    image, delta = dw_symbols()
    i, j = DW_CASE["weight"]
    return symbolic.filter_gradient(image, delta)[i - 1, j - 1]


DW = Exercise(
    "02-1", "Exercise 1: ∂L/∂W23 by hand",
    hints=("W23 appears once in each of the four outputs. In each, find the pixel it multiplies, and weight that "
           "pixel by the δ of that output.",
           "In o11, W23 multiplies the pixel in row 2, column 3 of o11's window — I23. In o12 the window has moved "
           "one column to the right."),
    solution=r"""
$W_{23}$ multiplies $I_{23}$ in $o_{11}$, $I_{24}$ in $o_{12}$, $I_{33}$ in $o_{21}$ and $I_{34}$ in $o_{22}$.
The chain rule:

$\dfrac{\partial L}{\partial W_{23}} = \sum_{mn} \delta_{mn}\dfrac{\partial o_{mn}}{\partial W_{23}}
= I_{23}\delta_{11} + I_{24}\delta_{12} + I_{33}\delta_{21} + I_{34}\delta_{22}$

```python
answer = I23*delta11 + I24*delta12 + I33*delta21 + I34*delta22
```
""",
    answer_code="answer = I23*delta11 + I24*delta12 + I33*delta21 + I34*delta22", points=2)


@checker(DW)
def check_dW(answer):
    """02, exercise 1: answer is ∂L/∂W23 of a 3×3 filter on a 4×4 image, written with I… and delta…."""
    image, delta = dw_symbols()
    i, j = DW_CASE["weight"]
    gradient = symbolic.filter_gradient(image, delta)
    slips = [
        Slip(symbolic.filter_gradient(image, delta[::-1, ::-1])[i - 1, j - 1],
             "you flipped δ: ∂L/∂W = corr(I, δ) slides δ over I without flipping it, so the pixel of o11's window "
             "pairs with δ11 (notebook 02, “SymPy proves it”; the flip belongs only to ∂L/∂I)"),
        Slip(gradient[j - 1, i - 1], "that is ∂L/∂W32: W23 is row 2, column 3 of the filter — you swapped the indices"),
        Slip(gradient[i - 1, j - 1].subs({d: 1 for d in delta}),
             "you added the pixels but forgot δ: each pixel is weighted by how much the loss cares about its output"),
        Slip(image[i - 1, j - 1] * delta[0, 0], "that is only o11's term; W23 is used in all four outputs, so the "
                                                "chain rule adds four terms"),
    ]
    return _judge_formula(DW, answer, expected_dW(), list(image) + list(delta), slips, example="I23*delta11 + …",
                         why="one term per output: the pixel W23 multiplied there, times that output's δ.")


# ---------------------------------------------------------------- 02, exercise 2: a weight's footprint


def _footprint(weight, stride):
    case = FOOTPRINT_CASE
    n, k = case["n"], case["k"]
    image = symbolic.image_symbols(n)
    m = symbolic.output_size(n, k, stride)
    i, j = weight
    gradient = symbolic.filter_gradient(image, symbolic.delta_symbols(m), stride=stride, filter_size=k)[i - 1, j - 1]
    touched = gradient.free_symbols
    return np.array([[1 if image[r, c] in touched else 0 for c in range(n)] for r in range(n)])


def expected_footprint():
    """0/1 mask (n×n) of the pixels that multiply the weight of FOOTPRINT_CASE."""
    return _footprint(FOOTPRINT_CASE["weight"], FOOTPRINT_CASE["stride"])


FOOTPRINT = Exercise(
    "02-2", "Exercise 2: the pixels ∂L/∂W21 touches (stride 2)",
    hints=("W21 sits in row 2, column 1 of every window. List the windows' top-left pixels (stride 2), then step "
           "one row down from each.",
           "With stride 2 on a 5×5 image a 2×2 window takes ⌊(5 − 2)/2⌋ = 1 step each way: four windows, starting "
           "at I11, I13, I31, I33. Row 5 and column 5 are never read."),
    solution=r"""
The four windows start at $I_{11}, I_{13}, I_{31}, I_{33}$. $W_{21}$ is one row below the window's top-left
corner, so it multiplies $I_{21}, I_{23}, I_{41}, I_{43}$:
$\partial L/\partial W_{21} = I_{21}\delta_{11} + I_{23}\delta_{12} + I_{41}\delta_{21} + I_{43}\delta_{22}$.
Row 5 and column 5 are never read (the stride leaves a remainder of one pixel).

```python
answer = [[0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 0, 0, 0, 0]]
```
""",
    answer_code="answer = [[0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 0, 0, 0, 0]]",
    points=2)


@checker(FOOTPRINT)
def check_footprint(answer):
    """02, exercise 2: answer is a 5×5 list of 0/1, with 1 where the pixel appears in ∂L/∂W21."""
    n, stride = FOOTPRINT_CASE["n"], FOOTPRINT_CASE["stride"]
    got, problem = read_numbers(answer, (n, n), integer=True)
    if problem:
        return FOOTPRINT.wrong(problem)
    if not np.isin(got, (0, 1)).all():
        return FOOTPRINT.wrong("mark each pixel with 1 (it appears in ∂L/∂W21) or 0 (it does not) — not with a "
                               "count or another number")
    i, j = FOOTPRINT_CASE["weight"]
    slips = [
        Slip(_footprint((j, i), stride), "that is ∂L/∂W12's footprint: W21 is row 2, column 1 of the filter — you "
                                         "swapped W12 and W21 (the first index is the row: notebook 00's notation)"),
        Slip(_footprint((i, j), 1), "that is the footprint with stride 1; with stride 2 the windows start two "
                                    "pixels apart (notebook 02, Stride: dilate δ first)"),
        Slip(_footprint((1, 1), stride), "those are the windows' top-left pixels, W11's footprint; W21 sits one "
                                         "row below"),
    ]
    return check_numbers(FOOTPRINT, got, expected_footprint(), names=entry_names("I", (n, n)), slips=slips,
                         integer=True, why="one pixel per window, one row below each window's top-left corner; "
                                           "row 5 and column 5 are never read.")


# ---------------------------------------------------------------- 02, exercise 3: δ of a dense head


def expected_dense_delta():
    """δ = (z − t) · v for the flatten + dense head of 02 exercise 3 (2×2 NumPy array)."""
    outputs, weights = np.array(DENSE_OUTPUTS, float), np.array(DENSE_WEIGHTS, float)
    z = float((weights * outputs).sum())
    return (z - DENSE_TARGET) * weights


DENSE = Exercise(
    "02-3", "Exercise 3: δ for a flatten + dense head",
    hints=("First compute z with the given numbers. Then ∂L/∂o_rc = (z − t) · ∂z/∂o_rc.",
           "∂z/∂o_rc is the dense weight v_rc that reads o_rc (notebook 02, Concrete heads, 2.)."),
    solution=r"""
$z = 1\cdot1 + (-1)\cdot2 + 2\cdot3 + 0\cdot(-2) = 5$, so $z - t = 5 - 2 = 3$ and
$\delta_{rc} = \partial L/\partial o_{rc} = (z-t)\,v_{rc} = 3\,v_{rc}$.

```python
answer = [[3, -3], [6, 0]]
```
""",
    answer_code="answer = [[3, -3], [6, 0]]", points=1)


@checker(DENSE)
def check_dense_delta(answer):
    """02, exercise 3: answer is δ (2×2) for L = ½(z − t)² with z = Σ v_rc · o_rc."""
    outputs, weights = np.array(DENSE_OUTPUTS, float), np.array(DENSE_WEIGHTS, float)
    z = float((weights * outputs).sum())
    slips = [
        Slip(weights, "that is v alone (∂z/∂o): multiply by ∂L/∂z = z − t"),
        Slip((DENSE_TARGET - z) * weights, "every entry has the wrong sign: ∂L/∂z of ½(z − t)² is z − t, not t − z"),
        Slip(z * weights, "you multiplied v by z; the loss's derivative is z − t"),
        Slip((z - DENSE_TARGET) * outputs, "you multiplied by the outputs o; ∂z/∂o_rc is the weight v_rc, not o_rc"),
    ]
    return check_numbers(DENSE, answer, expected_dense_delta(), names=entry_names("δ", (2, 2)), slips=slips,
                         why="δ = (z − t)·v: the error times the dense weight that reads each output.")


# ---------------------------------------------------------------- 02, exercise 4: ∂L/∂W in numbers


def expected_filter_gradient():
    """∂L/∂W = corr(I, δ) for 02 exercise 4 (2×2 NumPy array)."""
    grad = symbolic.filter_gradient(sp.Matrix(GRADIENT_IMAGE), sp.Matrix(GRADIENT_DELTA))
    return np.array(grad.tolist(), dtype=float)


GRADIENT = Exercise(
    "02-4", "Exercise 4: ∂L/∂W in numbers",
    hints=("Slide δ (2×2) over I like a filter: ∂L/∂W11 uses the top-left 2×2 patch of I, ∂L/∂W12 the patch one "
           "column to the right.",
           "Each entry is a sum of four products pixel × δ, with δ laid on the patch as it is (δ11 on the patch's "
           "top-left pixel)."),
    solution=r"""
$\partial L/\partial W_{ij} = \sum_{mn} I_{i+m-1,\,j+n-1}\,\delta_{mn}$ (the patch of $I$ under $\delta$):

- $\partial L/\partial W_{11} = 1(0.5) + 0(-1) + (-1)(2) + 1(0) = -1.5$
- $\partial L/\partial W_{12} = 0(0.5) + 2(-1) + 1(2) + 0(0) = 0$
- $\partial L/\partial W_{21} = (-1)(0.5) + 1(-1) + 0(2) + 3(0) = -1.5$
- $\partial L/\partial W_{22} = 1(0.5) + 0(-1) + 3(2) + (-2)(0) = 6.5$

```python
answer = [[-1.5, 0], [-1.5, 6.5]]
```
""",
    answer_code="answer = [[-1.5, 0], [-1.5, 6.5]]", points=2)


@checker(GRADIENT)
def check_filter_gradient(answer):
    """02, exercise 4: answer is ∂L/∂W (2×2 numbers) from GRADIENT_IMAGE and GRADIENT_DELTA."""
    image, delta = sp.Matrix(GRADIENT_IMAGE), sp.Matrix(GRADIENT_DELTA)
    slips = [
        Slip(np.array(symbolic.filter_gradient(image, delta[::-1, ::-1]).tolist(), dtype=float),
             "you flipped δ (rotated it by 180°): ∂L/∂W = corr(I, δ) has no flip — δ11 meets the patch's top-left "
             "pixel (notebook 02, “SymPy proves it”; the one flip is in ∂L/∂I)"),
        Slip(np.array(image[:2, :2], dtype=float) * np.array(delta, dtype=float),
             "you multiplied δ by the top-left patch entry by entry; each ∂L/∂W_ij is the *sum* of four products, "
             "over its own patch"),
    ]
    return check_numbers(GRADIENT, answer, expected_filter_gradient(), names=entry_names("∂L/∂W", (2, 2)),
                         slips=slips, why="∂L/∂W = corr(I, δ): δ slides over I like a filter, no flip.")


# ---------------------------------------------------------------- help, on request only

EXERCISES_01 = {1: OUTPUTS, 2: SIZES, 3: STRIDED}
EXERCISES_02 = {1: DW, 2: FOOTPRINT, 3: DENSE, 4: GRADIENT}
ALL_EXERCISES = (*EXERCISES_01.values(), *EXERCISES_02.values())
CHECKERS = {"01-1": check_outputs, "01-2": check_output_sizes, "01-3": check_strided_output,
            "02-1": check_dW, "02-2": check_footprint, "02-3": check_dense_delta, "02-4": check_filter_gradient}


class NotebookExercises(OnRequest):
    """This module seen from one notebook: its checkers and data, with ``hint``, ``solution`` and ``help``
    bound to that notebook's exercises (notebooks 01 and 02 share the module): ``ex = notebook01``."""

    def __getattr__(self, name):
        return globals()[name] if name in globals() else object.__getattribute__(self, name)


notebook01 = NotebookExercises(EXERCISES_01)
notebook02 = NotebookExercises(EXERCISES_02)
