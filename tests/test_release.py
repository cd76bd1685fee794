"""The graded build leaks nothing: the student release and the student package hold no hint, worked solution,
answer code, reference function or grader; a student's own numbers differ from another's; grading gives
partial credit by parts and 0 to a copy of the course's own function.

The release is made once (instructor/make_assignments.py, every notebook, `nbgrader generate_assignment`).
"""
import json
import re
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
from conftest import ROOT
from test_nbgrader import _env, _require_nbgrader, make

SECRETS_TOO_SHORT = 24   # a solution line shorter than this ("answer = 5") may occur by chance


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    _require_nbgrader()
    tmp = tmp_path_factory.mktemp("release")
    home = tmp / "home"
    home.mkdir()
    out = tmp / "course"
    result = subprocess.run([sys.executable, str(ROOT / "instructor" / "make_assignments.py"), "--out", str(out)],
                            cwd=tmp, env=_env(home), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _public_text():
    """What the self-study notebooks show outside their help cells, and the checkers' code (a solution may reuse
    a line of either, e.g. ``n, c, height, width = x_shape``)."""
    cells = [make.source_text(cell) for path in make.course_notebooks()
             for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
             if make.course_meta(cell).get("role") != "help"]
    return "\n".join(cells + [path.read_text(encoding="utf-8") for path in (ROOT / "helpers").rglob("*.py")])


def _secrets():
    """(what, text) pairs that must not reach a student: hint texts, solution lines, answer code lines."""
    found, public = [], _public_text()
    for key, exercise in make.helper_exercises().items():
        found += [(f"{key} hint", hint[:60]) for hint in exercise.hints]
        lines = [line.strip() for line in exercise.solution.splitlines() + exercise.answer_code.splitlines()]
        found += [(f"{key} solution", line) for line in lines
                  if len(line) >= SECRETS_TOO_SHORT and not line.startswith(("```", "def ", '"""', "from ", "import "))
                  and line not in public]
    return found


REFERENCE_NAMES = re.compile(r"\b(reference_\w+|grading|right_answer|BEGIN SOLUTION|HIDDEN TESTS)\b")
PUBLIC_ANSWER = re.compile(r"^(?!_)(reference_\w+|expected_\w+|\w+_answers?)$")


def _student_texts(course):
    for path in sorted((course / "release").rglob("*")) + sorted((course / "student_package").rglob("*")):
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".toml"):
            yield path, path.read_text(encoding="utf-8")


def test_the_release_and_the_student_package_hold_no_solution_hint_or_reference(course):
    secrets, texts = _secrets(), dict(_student_texts(course))
    assert len(secrets) > 50 and len(texts) > 20
    assert sorted(p.name for p in (course / "release").glob("*")) == [p.stem for p in make.course_notebooks()]
    for path, text in texts.items():
        where = path.relative_to(course)
        for what, secret in secrets:
            assert secret not in text, f"{where} holds {what}: {secret!r}"
        if path.suffix == ".ipynb":
            cells = json.loads(text)["cells"]
            sources = "\n".join("".join(cell["source"]) for cell in cells)
            for pointer in ("ex.hint(", "ex.solution(", "ex.help(", "buttons under", "reference_", "grading",
                            "right_answer", "HIDDEN TESTS", "BEGIN SOLUTION"):
                assert pointer not in sources, f"{where} points to {pointer!r}"
            assert all(not cell.get("outputs") for cell in cells if cell["cell_type"] == "code")
        elif path.name != "graded.py":   # graded.py names the grader it imports only on the instructor's side
            match = REFERENCE_NAMES.search(text)
            assert not match, f"{where} names {match.group(0)!r}"
    assert (course / "student_package" / "classroom" / "graded.py").exists()
    assert not (course / "student_package" / "classroom" / "grading.py").exists()
    three = (course / "release" / "03_vectorize_numpy" / "03_vectorize_numpy.ipynb").read_text()
    assert "dx_pad[:, :, rows, columns] += dcols" not in three, "03 prints exercise 5's backward pass"


def _implementation_lines():
    """The code lines of what the implementation exercises ask for: the engine's functions (source and loop
    versions) and the self-study notebooks' own written-out versions of them (03's conv2d_backward_im2col)."""
    import inspect

    from helpers.nn import conv, pool
    sources = [inspect.getsource(f) for f in (conv.col2im, conv.conv2d_backward, conv.conv2d_backward_loops,
                                              pool.maxpool2d_backward)]
    sources += [make.source_text(cell) for path in make.course_notebooks()
                for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
                if "def conv2d_backward_im2col" in make.source_text(cell)]
    lines = {line.split("#")[0].strip() for source in sources for line in source.splitlines()}
    return {line for line in lines if len(line) >= SECRETS_TOO_SHORT and not line.startswith(('"""', "def ", "@"))
            and "=" in line}


def test_no_release_notebook_prints_the_code_an_implementation_exercise_asks_for(course):
    lines = _implementation_lines()
    assert len(lines) > 15
    for path in (course / "release").rglob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            leaked = [line for line in lines if line in source]
            assert not leaked, f"{path.name} shows the code of an implementation exercise: {leaked[:3]}"
            printed = re.search(r"getsource\((\w+\.)*(col2im|conv2d_backward\w*|maxpool2d_backward)\b", source)
            assert not printed, f"{path.name} prints the source of {printed.group(0)[10:]}"


STUDENT_PROBE = r"""
import contextlib, io, re, sys
sys.path[:0] = [PACKAGE, SITE]
import helpers
assert helpers.__file__.startswith(PACKAGE), helpers.__file__
assert not any(p.rstrip("/") == ROOT for p in sys.path)
from helpers.exercises import conv, pool, signs, start, symbolic, training, feedback
try:
    from classroom import grading
    print("LEAK grading importable")
except ImportError:
    pass
modules = [conv, pool, signs, start, symbolic, training, symbolic.notebook01, symbolic.notebook02]
for module in modules:
    names = [n for n in dir(module) if re.fullmatch(PUBLIC, n)]
    if names:
        print("LEAK public answer functions", names)
    if not hasattr(module, "hint"):
        continue
    for number in range(1, 6):
        for ask in (module.hint, module.solution):
            shown = ask(number)
            text = getattr(shown, "data", str(shown))
            if "Worked solution" in text or "Hint, exercise" in text:
                print("LEAK", ask.__name__, number, text[:80])
        buttons = module.help(number)
        if getattr(buttons, "buttons", []):
            print("LEAK buttons", [b.description for b in buttons.buttons])
    for key, exercise in getattr(module, "EXERCISES", {}).items():
        if exercise.hints or exercise.solution or exercise.answer_code:
            print("LEAK texts of", key)
wrong = pool.check_routing([[0] * 4] * 4)
if "hint(" in str(wrong) or "solution(" in str(wrong):
    print("LEAK help line", str(wrong))
print("probed", len(modules))
"""


def test_a_student_install_reaches_no_solution_through_any_import(course):
    package = course / "student_package"
    site = sysconfig.get_paths()["purelib"]
    probe = STUDENT_PROBE.replace("PACKAGE", repr(str(package))).replace("SITE", repr(site)) \
        .replace("ROOT", repr(str(ROOT))).replace("PUBLIC", repr(PUBLIC_ANSWER.pattern))
    # -S: no site-packages .pth files, so the repository's editable install is not on the path
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=course, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LEAK" not in result.stdout, result.stdout
    assert "probed 8" in result.stdout


# ---------------------------------------------------------------- per-student numbers and grading, in-process
def test_two_students_get_different_numbers_and_self_study_keeps_its_own():
    from classroom import graded
    from helpers.exercises import pool, symbolic

    before = (symbolic.GRADIENT_IMAGE, pool.ROUTING_X.copy())
    seen = {}
    for student in ("alice", "bob"):
        with graded.personalised("02", student):
            seen[student] = (symbolic.GRADIENT_IMAGE, symbolic.GRADIENT_DELTA, symbolic.DENSE_OUTPUTS)
        with graded.personalised("02", student):
            assert seen[student] == (symbolic.GRADIENT_IMAGE, symbolic.GRADIENT_DELTA, symbolic.DENSE_OUTPUTS)
    assert seen["alice"] != seen["bob"]
    assert (symbolic.GRADIENT_IMAGE, pool.ROUTING_X.tolist()) == (before[0], before[1].tolist())
    assert graded.student_id(ROOT / "autograded" / "alice" / "02_filter_gradient") == "alice"


@pytest.mark.parametrize("notebook", sorted(__import__("classroom.graded").graded.NUMBERS))
def test_each_students_right_answer_is_right_for_them_and_wrong_for_another(notebook):
    from classroom import graded, grading

    keys = graded.NUMBERS[notebook][0]
    if notebook == "02":   # every exercise of 02: a copy of another's answers scores 0 on each (test_nbgrader's eve)
        assert keys == ("02-1", "02-2", "02-3", "02-4")
    check = grading.checkers()
    for key in keys:
        answers = {student: grading.right_answer(key, student) for student in ("alice", "bob", "eve")}
        assert answers["alice"] != answers["bob"] and answers["alice"] != answers["eve"], key
        with graded.personalised(notebook, "alice"):
            assert check[key](answers["alice"]).ok, key
            assert not check[key](answers["bob"]).ok, key
        for other in ("bob", "eve"):   # alice's answer, handed in by another, is wrong for them
            with graded.personalised(notebook, other):
                assert check[key](answers[other]).ok, key
                assert not check[key](answers["alice"]).ok, key


def test_grading_gives_partial_credit_by_parts(monkeypatch, tmp_path):
    from classroom import grading

    monkeypatch.chdir(tmp_path)
    assert grading.score("01-2", [5, 4, 10, 3, 1]) == 1.0
    assert grading.score("01-2", [5, 4, 10, 3, 2]) == pytest.approx(0.8)
    assert grading.score("03-1", (54, 1152), (32, 10, 6, 7)) == pytest.approx(0.5)
    assert grading.score("01-2", None) == 0.0


def _own_maxpool_backward(dy, x, size, stride):
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dy.shape):
        window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
        r, s = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * stride + r, j * stride + s] += dy[n, c, i, j]
    return dx


def test_implementation_exercises_score_a_copy_of_the_course_function_zero():
    from classroom import grading
    from helpers.exercises import conv
    from helpers.nn import network
    from helpers.nn.conv import col2im, conv2d_backward
    from helpers.nn.pool import maxpool2d_backward

    assert grading.score("04-5", _own_maxpool_backward) == 3.0
    assert grading.score("04-5", maxpool2d_backward) == 0.0
    assert grading.score("04-5", lambda dy, x, size, stride: maxpool2d_backward(dy, x, size, stride)) == 0.0
    assert grading.score("03-4", lambda d, s, k, st, p: col2im(d, s, k, k, st, p)) == 0.0
    assert grading.score("03-4", conv._reference_col2im if hasattr(conv, "_reference_col2im")
                         else conv.reference_col2im) == 0.0
    assert grading.score("03-5", lambda *args: conv2d_backward(*args)) == 0.0
    assert grading.score("03-5", conv2d_backward.unchecked) == 0.0
    assert network is not None


def test_the_graded_check_shows_the_check_and_names_the_engine(monkeypatch):
    from classroom import graded
    from helpers.exercises import pool
    from helpers.nn.pool import maxpool2d_backward

    shown = []
    monkeypatch.setattr(graded, "display", shown.append)
    assert graded.check(pool.check_maxpool_backward, lambda *a: maxpool2d_backward(*a)) is None
    assert shown[0].ok is True and "maxpool2d_backward" in shown[1].data and "0 points" in shown[1].data
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    with pytest.raises(graded.NotYetRight):
        graded.check(pool.check_routing, None)
