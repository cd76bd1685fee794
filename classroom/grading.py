"""The instructor's side of graded mode: each exercise's points for nbgrader autograde. NOT in the student build.

``graded.check`` calls ``score(key, *answer)`` while ``nbgrader autograde`` runs a submission (the value of the
check cell is the points, which nbgrader reads as partial credit). The numbers are the submission's student's
own (``graded.student_id`` reads nbgrader's autograded/<student>/<assignment>/ folder). Implementation
exercises run the student's function on inputs drawn now, at grading time, which the student never saw, and
compare with the engine's result; meanwhile every course function that computes what the exercise asks for is
watched (``graded.watching``): a function that reaches one of them, however wrapped, scores 0.
Exercises with parts earn a share of their points per part right.
"""
import importlib
import json
import pkgutil
import secrets
from pathlib import Path

import numpy as np
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from classroom import graded
from helpers.exercises.feedback import Wrong, call_learner, read_numbers, same
from helpers.nn.conv import col2im, conv2d, conv2d_backward, im2col
from helpers.nn.pool import maxpool2d_backward


def checkers():
    """{exercise key: checker} of every helpers/exercises module."""
    import helpers.exercises

    found = {}
    for info in pkgutil.iter_modules(helpers.exercises.__path__):
        if info.name != "feedback":
            for value in vars(importlib.import_module(f"helpers.exercises.{info.name}")).values():
                exercise = getattr(value, "exercise", None)
                if callable(value) and getattr(exercise, "key", None):
                    found[exercise.key] = value
    return found


def _notebook(key):
    return key.split("-")[0]


def score(key, *args, **kwargs):
    """The points (a float from 0 to the exercise's points) of an answer to exercise ``key``."""
    check = checkers()[key]
    with graded.personalised(_notebook(key), graded.student_id()):
        try:
            share = PARTS[key](*args, **kwargs) if key in PARTS else float(bool(check(*args, **kwargs).ok))
        except Wrong:
            share = 0.0
        except Exception:  # noqa: BLE001 - a submission that breaks the grader scores 0, the class goes on
            share = 0.0
    return round(check.exercise.points * min(max(share, 0.0), 1.0), 4)


def right_answer(key, student=None):
    """The right answer to a per-student exercise for ``student`` (default: this notebook's), as lists (a SymPy
    formula for a formula exercise, whose repr is its Python source): what the instructor's source notebook fills
    in, and what the tests submit."""
    import sympy as sp

    student = graded.student_id() if student is None else student
    with graded.personalised(_notebook(key), student):
        answer = ANSWERS[key]()
        return answer if isinstance(answer, sp.Expr) else np.asarray(answer, dtype=float).tolist()


def _dw_formula():
    """02-1: ∂L/∂W_ij of DW_CASE as a SymPy formula of the notebook's I… and delta… symbols."""
    from helpers.derive import symbolic
    from helpers.exercises.symbolic import DW_CASE

    n, k, (i, j) = DW_CASE["n"], DW_CASE["k"], DW_CASE["weight"]
    gradient = symbolic.filter_gradient(symbolic.image_symbols(n), symbolic.delta_symbols(n - k + 1))
    return gradient[i - 1, j - 1]


def _footprint():
    """02-2: the 0/1 map of the pixels in ∂L/∂W_ij of FOOTPRINT_CASE."""
    from helpers.exercises import symbolic as exercises

    case = exercises.FOOTPRINT_CASE
    return exercises._footprint(case["weight"], case["stride"])


def _symbolic_gradient():
    import sympy as sp

    from helpers.derive import symbolic
    from helpers.exercises import symbolic as exercises

    matrix = symbolic.filter_gradient(sp.Matrix(exercises.GRADIENT_IMAGE), sp.Matrix(exercises.GRADIENT_DELTA))
    return np.array(matrix.tolist(), dtype=float)


def _dense_delta():
    from helpers.exercises import symbolic as exercises

    outputs, weights = np.array(exercises.DENSE_OUTPUTS, float), np.array(exercises.DENSE_WEIGHTS, float)
    return (float((outputs * weights).sum()) - exercises.DENSE_TARGET) * weights


def _module(name):
    return importlib.import_module(f"helpers.exercises.{name}")


ANSWERS = {
    "00-1": lambda: _module("start").expected_o12(),
    "01-1": lambda: _module("symbolic").expected_outputs(),
    "02-1": _dw_formula,
    "02-2": _footprint,
    "02-3": _dense_delta,
    "02-4": _symbolic_gradient,
    "04-1": lambda: _module("pool").routing_answer(),
    "04-2": lambda: _module("pool").tie_answers()["split"],
    "04-4": lambda: _module("pool").filter_answer(),
    "05-1": lambda: _module("signs").update_answer(),
    "06-1": lambda: _module("training").step_answer(),
}


# ---------------------------------------------------------------- exercises with parts
def _share_of_entries(answer, expected, integer=True):
    """The share of the entries of ``answer`` equal to ``expected`` (0 if its shape is not expected's)."""
    expected = np.asarray(expected, dtype=float)
    got = read_numbers(answer, expected.shape, integer=integer)
    return float(np.mean(np.isclose(got, expected)))


def _output_sizes(answer):
    from helpers.derive import symbolic
    from helpers.exercises.symbolic import SIZE_CASES

    return _share_of_entries(answer, [symbolic.output_size(*case) for case in SIZE_CASES])


def _im2col_shapes(cols_shape, y_shape):
    from helpers.exercises.conv import SHAPES_CASE

    x, w = np.zeros(SHAPES_CASE["x"]), np.zeros(SHAPES_CASE["w"])
    k, stride = w.shape[-1], SHAPES_CASE["stride"]
    parts = [(cols_shape, im2col(x, k, k, stride).shape),
             (y_shape, conv2d.unchecked(x, w, np.zeros(len(w)), stride).shape)]
    shares = []
    for answer, want in parts:
        try:
            shares.append(float(read_numbers(answer, (len(want),), integer=True).tolist() == list(want)))
        except Wrong:
            shares.append(0.0)
    return sum(shares) / len(shares)


def _network_shapes(answer):
    from helpers.exercises.training import shapes_answer

    return _share_of_entries(answer, shapes_answer())


# ---------------------------------------------------------------- implementation exercises: fresh inputs
def _rng():
    return np.random.default_rng(secrets.randbits(64))   # drawn at grading time: no student saw these inputs


def _cases_passed(key, function, cases):
    """The share of ``cases`` (each: args, the right result, how to compare) that ``function`` passes; 0 if it
    calls a course function that computes the exercise's answer."""
    codes = graded.engine_codes(key)
    passed = 0
    for args, want, compare in cases:
        with graded.watching(codes) as used:
            try:
                got = call_learner(function, *args)
            except Wrong:
                got = None
        if used:
            return 0.0
        try:
            passed += got is not None and compare(got, want)
        except Exception:  # noqa: BLE001 - a malformed result fails this case
            pass
    return passed / len(cases)


def _equal(got, want):
    return same(read_numbers(got, np.shape(want)), want)


def _filter_gradient_function(function):
    rng, cases = _rng(), []
    for _ in range(4):
        n = int(rng.integers(3, 8))
        k = int(rng.integers(2, n))
        image, delta = rng.standard_normal((n, n)), rng.standard_normal((n - k + 1, n - k + 1))
        want = conv2d.unchecked(image[None, None], delta[None, None], np.zeros(1))[0, 0]
        cases.append(((image, delta), want, _equal))
    return _cases_passed("03-2", function, cases)


def _col2im_function(function):
    rng, cases = _rng(), []
    for _ in range(4):
        k, stride, padding = int(rng.integers(2, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 2))
        x_shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), *[int(rng.integers(k + 2, k + 6))] * 2)
        dcols = rng.standard_normal(im2col(np.zeros(x_shape), k, k, stride, padding).shape)
        cases.append(((dcols, x_shape, k, stride, padding), col2im(dcols, x_shape, k, k, stride, padding), _equal))
    return _cases_passed("03-4", function, cases)


def _conv_backward_function(function):
    rng, cases = _rng(), []
    for _ in range(3):
        k, stride, padding = 3, int(rng.integers(1, 3)), int(rng.integers(0, 2))
        c, f, side = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(6, 10))
        x, w = rng.standard_normal((2, c, side, side)), rng.standard_normal((f, c, k, k))
        dy = rng.standard_normal(conv2d.unchecked(x, w, np.zeros(f), stride, padding).shape)
        want = conv2d_backward.unchecked(dy, x, w, stride, padding)

        def compare(got, want=want):
            return len(got) == 3 and all(_equal(g, v) for g, v in zip(got, want, strict=True))
        cases.append(((dy, x, w, stride, padding), want, compare))
    return _cases_passed("03-5", function, cases)


def _tie_shares_ok(got, dy):
    """At a blank map (every value tied), each 2×2 window's shares are ≥ 0 fractions of its δ adding up to δ."""
    shares = np.asarray(got, float).reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4) / dy[0, 0][..., None]
    return bool(np.allclose(shares.sum(axis=2), 1) and np.all(shares > -1e-12))


def _maxpool_backward_function(function):
    rng, cases = _rng(), []
    for size, stride in ((2, 2), (3, 2), (2, 1)):
        side = int(rng.integers(size + 3, size + 6))
        x = rng.permutation(2 * side * side).reshape(1, 2, side, side).astype(float)   # no ties
        dy = rng.standard_normal(_pooled_shape(x.shape, size, stride))
        cases.append(((dy, x, size, stride), maxpool2d_backward.unchecked(dy, x, size, stride), _equal))
    dy = rng.choice([-2.0, -1.0, 0.5, 1.0, 3.0], (1, 1, 2, 2))
    cases.append(((dy, np.full((1, 1, 4, 4), float(rng.uniform(-1, 1))), 2, 2), dy, _tie_shares_ok))
    return _cases_passed("04-5", function, cases)


def _pooled_shape(shape, size, stride):
    n, c, h, w = shape
    return n, c, (h - size) // stride + 1, (w - size) // stride + 1


PARTS = {"01-2": _output_sizes, "03-1": _im2col_shapes, "06-3": _network_shapes,
         "03-2": _filter_gradient_function, "03-4": _col2im_function, "03-5": _conv_backward_function,
         "04-5": _maxpool_backward_function}


# ---------------------------------------------------------------- the audit: answers that reach the grader
#: names a submission's own code has no business with: the grading machinery, tracing, introspection and
#: dynamic code (with them an answer cell could rewrite graded.check, switch off the engine watcher, or exec the
#: engine's source)
UNTOUCHABLE = frozenset({
    "classroom", "graded", "grading", "sys", "settrace", "setprofile", "gettrace", "getprofile", "inspect", "getsource",
    "getsourcelines", "exec", "eval", "compile", "__import__", "importlib", "builtins", "__builtins__", "globals",
    "locals", "vars", "getattr", "setattr", "delattr", "__dict__", "__code__", "__globals__", "__subclasses__",
    "get_ipython", "ctypes", "gc"})


def untouchable_uses(source):
    """The reasons a cell's code must not run under the grader: the UNTOUCHABLE names it uses, and the
    attributes it assigns on objects it did not make (``ex.check_dW = …``), or "not Python" if it does not parse
    (IPython magics: %, !)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ["not plain Python (a magic or a shell line?)"] if source.lstrip().startswith(("%", "!")) else []
    bound = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    bound |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
              for arg in node.posonlyargs + node.args + node.kwonlyargs}
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    used |= {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names} | {(node.module or "").split(".")[-1] for node in ast.walk(tree)
                                         if isinstance(node, ast.ImportFrom)}
    reasons = [f"uses {name}" for name in sorted(used & UNTOUCHABLE)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id not in bound:
                reasons.append(f"changes {ast.unparse(node)}, which it did not make")
    return reasons


class AuditAnswers(Preprocessor):
    """nbgrader's sanitize step, after OverwriteCells (nbgrader_config.py): a code cell of a submission that is
    not one of the release's own cells and reaches the grading machinery (untouchable_uses) is not run; it is
    replaced by a line that says why, so the exercises it answers score 0 and the feedback shows the reason. The
    release's cells (release/<assignment>/<notebook>.ipynb, from the course folder) are trusted as they are."""

    enabled = Bool(True)   # nbconvert runs a preprocessor registered by name only when it is enabled

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        release = Path("release") / str(info.get("assignment")) / f"{info.get('notebook')}.ipynb"
        cells = json.loads(release.read_text(encoding="utf-8"))["cells"] if release.is_file() else []
        trusted = {"".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"] for cell in cells}
        for cell in nb.cells:
            locked = cell.get("metadata", {}).get("nbgrader", {}).get("locked", False)
            reasons = [] if cell.cell_type != "code" or locked or cell.source in trusted else \
                untouchable_uses(cell.source)
            if reasons:
                self.log.warning("%s / %s: a cell was not run by the grader: %s", info.get("student"),
                                 info.get("notebook"), "; ".join(reasons))
                cell.source = (f"print({'This cell was not run by the grader: it ' + '; '.join(reasons)!r})\n"
                               "# (an answer may not reach the grading machinery, tracing or introspection)")
        return nb, resources
