"""Exercise checkers for notebooks 01 (convolution by hand) and 02 (the gradient of a filter), texts in symbolic.md.

References are helpers.derive.symbolic's; ``notebook01`` and ``notebook02`` are this module seen from each notebook,
with its own hint/solution/help. Symbolic answers are SymPy expressions (``I31*W11 + …``); text is never parsed.
"""
import math

import numpy as np
import sympy as sp

from helpers.derive import symbolic
from helpers.exercises.feedback import (
    NOT_ANSWERED,
    OnRequest,
    Slip,
    Wrong,
    check_numbers,
    checker,
    close,
    listed,
    read_exercises,
    read_numbers,
    shown,
)

# ---------------------------------------------------------------- exercise data
#: 01, exercise 1: compute the four outputs of this filter on this image by hand
OUTPUTS_IMAGE = ((1, 2, 0), (-1, 3, 1), (2, 0, -2))
OUTPUTS_FILTER = ((1, -1), (0, 2))

#: 01, exercise 2: output side for these (n, k, stride, padding); (9, 4, 2, 0) leaves a remainder
SIZE_CASES = ((7, 3, 1, 0), (7, 3, 2, 1), (10, 3, 1, 1), (9, 4, 2, 0), (5, 3, 3, 0))

#: 01, exercise 3: o21 of a 2×2 filter on a 5×5 image with stride 2 (the last row and column are never read)
STRIDED_CASE = {"n": 5, "k": 2, "stride": 2, "output": (2, 1)}     # output in 1-based math indices

#: 02, exercise 1: ∂L/∂W23 of a 3×3 filter on a 4×4 image (δ is 2×2); weight in 1-based math indices
#: (a graded notebook gives each student their own weight: classroom/graded.py)
DW_CASE = {"n": 4, "k": 3, "weight": (2, 3)}

#: 02, exercise 2: which pixels multiply W21 (2×2 filter, 5×5 image, stride 2: a remainder of one pixel)
#: (a graded notebook gives each student their own weight, image size and stride)
FOOTPRINT_CASE = {"n": 5, "k": 2, "stride": 2, "weight": (2, 1)}   # weight in 1-based math indices

#: 02, exercise 3: δ for a flatten + dense head, L = ½(z − t)², z = Σ v_rc · o_rc
DENSE_OUTPUTS = ((1, 2), (3, -2))
DENSE_WEIGHTS = ((1, -1), (2, 0))
DENSE_TARGET = 2

#: 02, exercise 4: ∂L/∂W in numbers from this image and this upstream gradient
GRADIENT_IMAGE = ((1, 0, 2), (-1, 1, 0), (0, 3, -2))
GRADIENT_DELTA = ((0.5, -1), (2, 0))

EXERCISES = read_exercises(__file__)   # their titles, hints and solutions: symbolic.md
OUTPUTS, SIZES, STRIDED, DW, FOOTPRINT, DENSE, GRADIENT = EXERCISES.values()


# ---------------------------------------------------------------- formulas: judged term by term
# An answer is expanded only below the course's one symbolic limit (symbolic.TERM_BUDGET terms) and this degree:
# no answer here has more than a few dozen terms, or more than 2 symbols a term
MAX_TERMS, MAX_DEGREE = symbolic.TERM_BUDGET, 8


def _pretty(term):
    return str(term).replace("delta", "δ").replace("*", "·")


def _size(expression):
    """(upper bounds on the number of terms and on the degree of ``expression`` expanded), read off its tree without
    expanding it (each capped just above its limit); Wrong for anything but sums, products and powers ≥ 1."""
    if expression.is_Symbol or expression.is_number:     # a symbol, or a number such as 2, 0.5 or pi
        return 1, int(expression.is_Symbol)
    if expression.is_Add or expression.is_Mul:
        parts = [_size(part) for part in expression.args]
        if expression.is_Add:
            return min(sum(t for t, _ in parts), MAX_TERMS + 1), max(d for _, d in parts)
        terms = math.prod(min(t, MAX_TERMS + 1) for t, _ in parts)
        return min(terms, MAX_TERMS + 1), min(sum(d for _, d in parts), MAX_DEGREE + 1)
    if expression.is_Pow and expression.exp.is_Integer and expression.exp > 0:
        (terms, degree), power = _size(expression.base), min(int(expression.exp), MAX_DEGREE + 1)
        expanded = math.comb(terms + power - 1, power) if terms > 1 else 1
        return min(expanded, MAX_TERMS + 1), min(degree * power, MAX_DEGREE + 1)
    raise Wrong(f"{_pretty(expression)[:80]} is not a sum of products of the symbols (no powers below 1, no "
                "functions): each term is one pixel times one weight (or one δ)")


def _terms(expression, symbols, what="your formula"):
    """{monomial (exponents of ``symbols``): coefficient as a float} of a polynomial in ``symbols``; its size is
    checked before it is expanded, so a huge power gets a message at once."""
    terms, degree = _size(expression)
    if terms > MAX_TERMS:
        raise Wrong(f"{what} would expand into more than {MAX_TERMS:,} terms (a power of a long sum?); the answer is "
                    "a short sum of products — write its terms out")
    if degree > MAX_DEGREE:
        raise Wrong(f"{what} has terms that multiply more than {MAX_DEGREE} symbols (a high power?); each term here "
                    "is one pixel times one weight (or one δ)")
    try:
        coefficients = sp.Poly(expression, *symbols).as_dict()
    except sp.PolynomialError:
        raise Wrong(f"{_pretty(expression)[:80]} is not a sum of products of the symbols: each term is one pixel "
                    "times one weight (or one δ)") from None
    return {monomial: float(read_numbers(c, (), what=f"a coefficient of {what}")) for monomial, c in
            coefficients.items()}


def _same_terms(mine, want):
    """{monomial: True when its coefficient in ``mine`` equals the one in ``want``} over the terms of both, by the
    one tolerance on the scale of want's coefficients (a term missing from a sum has coefficient 0)."""
    monomials = list(mine) + [m for m in want if m not in mine]
    verdicts = close([mine.get(m, 0.0) for m in monomials], [want.get(m, 0.0) for m in monomials])
    return dict(zip(monomials, verdicts.tolist(), strict=True))


def _judge_formula(exercise, answer, expected, symbols, slips=(), example="I11*W11 + …", why=""):
    """Judge a SymPy answer against the expected polynomial in ``symbols`` (the exercise's; others are named as
    foreign) by its coefficients, numerically: right (Float coefficients, tiny roundings and any order of the terms
    included), one of the ``slips`` (SymPy answers), or its extra terms and wrong coefficients (the learner's own
    terms) and how many are missing, never naming an expected term the learner did not write."""
    if answer is None or answer is Ellipsis:
        raise Wrong(NOT_ANSWERED)
    if isinstance(answer, (str, bytes)):
        raise Wrong("the answer is text in quotes; write it with the symbols themselves (defined in the cell), "
                    f"e.g. {example} — no quotes")
    if not isinstance(answer, sp.Expr) or answer.has(sp.oo, -sp.oo, sp.zoo, sp.nan, sp.I):
        raise Wrong(f"the answer (of type {type(answer).__name__}) is not a formula: this exercise asks for one "
                    f"built from the symbols, a finite sum of real products like {example}")
    foreign = sorted(answer.free_symbols - set(symbols), key=sp.default_sort_key)
    if foreign:
        raise Wrong(f"{', '.join(_pretty(s) for s in foreign)} {'is' if len(foreign) == 1 else 'are'} not among "
                    "this exercise's symbols (those defined in the cell above)")
    mine, want = _terms(answer, symbols), _terms(expected, symbols)
    verdicts = _same_terms(mine, want)
    if all(verdicts.values()):
        return exercise.right(why)
    for slip in slips:
        slip_terms = _terms(slip.answer, symbols)
        if all(_same_terms(mine, slip_terms).values()) and not all(_same_terms(slip_terms, want).values()):
            return exercise.wrong(slip.message)

    def term(monomial, coefficient=1.0):
        product = _pretty(sp.Mul(*[g ** e for g, e in zip(symbols, monomial, strict=True)]))
        number = "" if coefficient == 1 else "−" if coefficient == -1 else shown(coefficient, 0) + "·"
        return number + product

    absent = close(list(mine.values()), 0, scale=max(abs(c) for c in want.values()))
    present = {m for m, zero in zip(mine, absent.tolist(), strict=True) if not zero}
    extra = [m for m in mine if m in present and m not in want and not verdicts[m]]
    wrong_coefficient = [m for m in mine if m in present and m in want and not verdicts[m]]
    missing = [m for m in want if m not in present]
    problems = []
    if extra:
        shown_terms = ", ".join(term(m, mine[m]) for m in extra[:5]) + (" …" if len(extra) > 5 else "")
        problems.append(f"{shown_terms}: {'this term does' if len(extra) == 1 else 'these terms do'} not belong in "
                        "the sum")
    problems += [f"the term {term(m)} has coefficient {shown(mine[m], want[m])}; it belongs in the sum, but not "
                 f"{shown(mine[m], want[m])} times" for m in wrong_coefficient[:5]]
    if missing:
        problems.append(f"{len(missing)} term{'s are' if len(missing) > 1 else ' is'} missing")
    right = sum(1 for m in present if m in want and verdicts[m])
    if right:
        problems.append(f"{right} of your terms {'is' if right == 1 else 'are'} right")
    return exercise.wrong(*problems)


def expected_outputs(weights=None):
    """O = I ⋆ W of 01 exercise 1 (2×2 NumPy, o11 at [0, 0]); with W rotated by 180°, a true convolution's.
    weights: default OUTPUTS_FILTER as it is now (a graded notebook gives each student their own)."""
    weights = OUTPUTS_FILTER if weights is None else weights
    return np.array(symbolic.correlate(sp.Matrix(OUTPUTS_IMAGE), sp.Matrix(weights)).tolist(), dtype=float)


@checker(OUTPUTS)
def check_outputs(answer):
    """01, exercise 1: answer is a 2×2 list [[o11, o12], [o21, o22]] of numbers."""
    image, weights = np.array(OUTPUTS_IMAGE, float), np.array(OUTPUTS_FILTER, float)
    slips = [
        Slip(expected_outputs(weights[::-1, ::-1]), "you flipped W (a true convolution); deep learning's conv does "
             "not: W11 meets each window's top-left pixel (“Convolution” in deep learning is a cross-correlation)"),
        Slip(image[:2, :2] * weights, "you multiplied the top-left 2×2 block of I by W entry by entry; each "
                                      "output is the *sum* of four products, over its own window"),
        Slip(image[:2, :2] * weights[0, 0], "each entry is only its first product I_rc·W11; an output adds four"),
    ]
    return check_numbers(OUTPUTS, answer, expected_outputs(), names="o", slips=slips,
                         why="each output is the sum of four pixel × weight products over its own window.")


@checker(SIZES)
def check_output_sizes(answer):
    """01, exercise 2: answer is a list of output sides (whole numbers), one for each case in SIZE_CASES."""
    names = [f"case {i + 1} (n={n}, k={k}, stride {s}, padding {p})" for i, (n, k, s, p) in enumerate(SIZE_CASES)]
    got = read_numbers(answer, (len(SIZE_CASES),), integer=True, names=names)
    expected = [symbolic.output_size(*case) for case in SIZE_CASES]
    if got.tolist() == expected:
        return SIZES.right("m = ⌊(n + 2p − k)/s⌋ + 1 in every case, rounding down where the stride leaves a remainder.")
    problems = []
    for name, side, want, (n, k, s, p) in zip(names, got, expected, SIZE_CASES, strict=True):
        slips = [   # (the side a named slip of m = ⌊(n + 2p − k)/s⌋ + 1 gives, what it means)
            (math.ceil((n + 2 * p - k) / s) + 1, "rounded up; a window that does not fit is not used: round down"),
            ((n + 2 * p - k) // s, "forgot the + 1 (the first window is there before any step)"),
            ((n - k) // s + 1, "left out the padding"),
            ((n + p - k) // s + 1, "added the padding once; it goes on both sides (2p)"),
            (n + 2 * p - k + 1, "ignored the stride"),
        ]
        if side != want:
            meaning = next((words for value, words in slips if value == side), None)
            problems.append(f"{name} is wrong" + (f": you {meaning}" if meaning else ""))
    right = len(SIZE_CASES) - len(problems)
    if right:
        problems.append(f"the other {right} {'is' if right == 1 else 'are'} right")
    return SIZES.wrong(*problems)


@checker(STRIDED)
def check_strided_output(answer):
    """01, exercise 3: answer is o21 for a 2×2 filter on a 5×5 image with stride 2 (a SymPy expression)."""
    image, weights = symbolic.image_symbols(STRIDED_CASE["n"]), symbolic.filter_symbols(STRIDED_CASE["k"])
    stride, (r, c) = STRIDED_CASE["stride"], STRIDED_CASE["output"]
    O = symbolic.correlate(image, weights, stride=stride)
    slips = [
        Slip(symbolic.correlate(image, weights)[1, 0], "that is o21 with stride 1: with stride 2 the window jumps "
                                                       "two rows, not one (notebook 01, Stride, term by term)"),
        Slip(O[0, 1], "that is o12: the first index is the output row, the second the column — you swapped them"),
        Slip(symbolic.convolve(image, weights, stride=stride)[1, 0],
             "you flipped W (a true convolution); deep learning's conv lays W on the window as it is (“Convolution” "
             "in deep learning is a cross-correlation)"),
    ]
    return _judge_formula(STRIDED, answer, O[r - 1, c - 1], list(image) + list(weights), slips,
                          why="its window starts two rows down: I31, I32, I41, I42.")


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                9: "nine"}


def _in_words(number):
    return NUMBER_WORDS.get(number, str(number))


def _weight_name(weight):
    return f"W{weight[0]}{weight[1]}"


@checker(DW, retitle=lambda title: title.replace("W23", _weight_name(DW_CASE["weight"])))
def check_dW(answer):
    """02, exercise 1: answer is ∂L/∂W_ij (DW_CASE's weight; W23 in self-study) of a 3×3 filter on a 4×4 image,
    written with I… and delta…."""
    n, k, (i, j) = DW_CASE["n"], DW_CASE["k"], DW_CASE["weight"]
    image, delta = symbolic.image_symbols(n), symbolic.delta_symbols(n - k + 1)
    gradient = symbolic.filter_gradient(image, delta)
    weight, swapped, outputs = _weight_name((i, j)), _weight_name((j, i)), (n - k + 1) ** 2
    slips = [
        Slip(symbolic.filter_gradient(image, delta[::-1, ::-1])[i - 1, j - 1],
             "you flipped δ: ∂L/∂W = corr(I, δ) slides δ over I without flipping it, so the pixel of o11's window "
             "pairs with δ11 (notebook 02, “SymPy proves it”; the flip belongs only to ∂L/∂I)"),
        Slip(gradient[j - 1, i - 1], f"that is ∂L/∂{swapped}: {weight} is row {i}, column {j} of the filter — you "
                                     "swapped the indices"),
        Slip(gradient[i - 1, j - 1].subs({d: 1 for d in delta}),
             "you added the pixels but forgot δ: each pixel is weighted by how much the loss cares about its output"),
        Slip(image[i - 1, j - 1] * delta[0, 0], f"that is only o11's term; {weight} is used in all "
                                                f"{_in_words(outputs)} outputs, so the chain rule adds "
                                                f"{_in_words(outputs)} terms"),
    ]
    return _judge_formula(DW, answer, gradient[i - 1, j - 1], list(image) + list(delta), slips,
                          example="I23*delta11 + …",   # a term of no other weight's gradient
                          why=f"one term per output: the pixel {weight} multiplied there, times that output's δ.")


def _footprint(weight, stride):
    """0/1 mask (n×n) of the pixels ∂L/∂W_weight touches, for FOOTPRINT_CASE's image and filter."""
    n, k, (i, j) = FOOTPRINT_CASE["n"], FOOTPRINT_CASE["k"], weight
    image, delta = symbolic.image_symbols(n), symbolic.delta_symbols(symbolic.output_size(n, k, stride))
    touched = symbolic.filter_gradient(image, delta, stride=stride, filter_size=k)[i - 1, j - 1].free_symbols
    return np.array([[int(pixel in touched) for pixel in row] for row in image.tolist()])


def _never_read():
    """The rows (and columns: the image is square) that no window of FOOTPRINT_CASE reads, 1-based."""
    n, k, stride = FOOTPRINT_CASE["n"], FOOTPRINT_CASE["k"], FOOTPRINT_CASE["stride"]
    read = {start + offset for start in range(0, stride * symbolic.output_size(n, k, stride), stride)
            for offset in range(k)}
    return [row + 1 for row in range(n) if row not in read]


def _footprint_title(title):
    """The title with FOOTPRINT_CASE's weight and stride (a graded student's own)."""
    weight, stride = _weight_name(FOOTPRINT_CASE["weight"]), FOOTPRINT_CASE["stride"]
    return title.replace("W21", weight).replace("(stride 2)", f"(stride {stride})")


@checker(FOOTPRINT, retitle=_footprint_title)
def check_footprint(answer):
    """02, exercise 2: answer is an n×n list of 0/1 (FOOTPRINT_CASE's image; 5×5 in self-study), with 1 where the
    pixel appears in ∂L/∂W_ij (FOOTPRINT_CASE's weight; W21 in self-study)."""
    n, stride, (i, j) = FOOTPRINT_CASE["n"], FOOTPRINT_CASE["stride"], FOOTPRINT_CASE["weight"]
    weight, swapped = _weight_name((i, j)), _weight_name((j, i))
    got = read_numbers(answer, (n, n), integer=True)
    if not np.isin(got, (0, 1)).all():
        raise Wrong(f"mark each pixel with 1 (it appears in ∂L/∂{weight}) or 0 (it does not) — not with a count or "
                    "another number")
    # where the weight's pixel is in each window: (before "each window's top-left corner", after "W11's footprint")
    where, beside = {(2, 1): ("one row below", "one row below"),
                     (1, 2): ("one column right of", "one column to the right")}.get(
        (i, j), (f"{i - 1} rows below and {j - 1} columns right of", f"{i - 1} rows lower and {j - 1} columns right"))
    swap_slip = (f"that is ∂L/∂{swapped}'s footprint: {weight} is row {i}, column {j} of the filter — you "
                 f"swapped {min(weight, swapped)} and {max(weight, swapped)} (the first index is the row: "
                 "notebook 00's notation)")
    slips = [
        Slip(_footprint((j, i), stride), swap_slip),
        Slip(_footprint((i, j), 1), f"that is the footprint with stride 1; with stride {stride} the windows start "
                                    f"{_in_words(stride)} pixels apart (notebook 02, Stride: dilate δ first)"),
        Slip(_footprint((1, 1), stride), f"the windows' top-left pixels: W11's footprint; {weight} sits "
                                         f"{beside}"),
    ]
    unread = [str(row) for row in _never_read()]
    plural = "s" if len(unread) > 1 else ""
    remainder = (f"row{plural} {listed(unread)} and column{plural} {listed(unread)} are never read." if unread
                 else "every row and column is read by some window.")
    return check_numbers(FOOTPRINT, got, _footprint((i, j), stride), names="I", slips=slips, integer=True,
                         why=f"one pixel per window, {where} each window's top-left corner; {remainder}")


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
    return check_numbers(DENSE, answer, (z - DENSE_TARGET) * weights, names="δ", slips=slips,
                         why="δ = (z − t)·v: the error times the dense weight that reads each output.")


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
    expected = np.array(symbolic.filter_gradient(image, delta).tolist(), dtype=float)
    return check_numbers(GRADIENT, answer, expected, names="∂L/∂W",
                         slips=slips, why="∂L/∂W = corr(I, δ): δ slides over I like a filter, no flip.")


class NotebookExercises(OnRequest):
    """This module seen from one notebook: its checkers and data, with ``hint``, ``solution`` and ``help``
    bound to that notebook's exercises (notebooks 01 and 02 share the module): ``ex = notebook01``."""

    def __getattr__(self, name):
        return globals()[name] if name in globals() else object.__getattribute__(self, name)


notebook01 = NotebookExercises({key: e for key, e in EXERCISES.items() if key.startswith("01")})
notebook02 = NotebookExercises({key: e for key, e in EXERCISES.items() if key.startswith("02")})
