"""Graded assignments: instructor/make_assignments.py and nbgrader's whole cycle.

make the course folder → generate → release → fetch → submit (five students) → collect → autograde
→ generate_feedback → export, through a temporary exchange; the marks and nbgrader's logs are asserted.
Everything runs in a temporary folder with its own home, Jupyter config and gradebook; no network.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import NOTEBOOKS, ROOT, load_notebook, notebook_ids

FIXTURE = ROOT / "tests" / "fixtures" / "graded_example.ipynb"
ASSIGNMENT = FIXTURE.stem
# A wrong answer for each fixture exercise, run after the correct one in the answer cell.
WRONG = {"99-1": "sizes = [side + 1 for side in sizes]   # off by one",
         "99-2": "routed = routed.T   # transposed indices"}


def _load_script():
    spec = importlib.util.spec_from_file_location("make_assignments", ROOT / "instructor" / "make_assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _load_script()


def _require_nbgrader():
    if importlib.util.find_spec("nbgrader") is None:
        message = "nbgrader is not installed (pip install -r requirements-instructor.txt)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "; CI installs it through requirements-dev.txt")
        pytest.skip(message)


def _source(cell):
    return make.source_text(cell)


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _by_grade_id(nb):
    return {_nbgrader(cell)["grade_id"]: cell for cell in nb["cells"] if "grade_id" in _nbgrader(cell)}


def _solution_region(source):
    lines = source.splitlines()
    start, end = lines.index(make.BEGIN_SOLUTION), lines.index(make.END_SOLUTION)
    return "\n".join(lines[start + 1:end])


# ------------------------------------------------------------------ conversion (no nbgrader needed)


def test_convert_makes_solution_and_test_cells_from_the_metadata_alone():
    nb = load_notebook(FIXTURE)
    converted, points = make.convert(nb, solutions={})
    assert points == {"99-1": 2, "99-2": 3}
    cells = _by_grade_id(converted)
    assert set(cells) == {"graded-start", "ex99-1-answer", "ex99-1-check", "ex99-2-answer", "ex99-2-check"}
    answer = cells["ex99-1-answer"]
    assert _nbgrader(answer) == {"grade": False, "grade_id": "ex99-1-answer", "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    assert _source(answer).startswith("sizes = None")                      # the learner's starter stays
    assert "SIZE_CASES" in _solution_region(_source(answer))               # the reference solution is marked
    assert "solution" not in answer["metadata"]["course"]                  # and not left in the metadata
    check = cells["ex99-2-check"]
    assert _nbgrader(check) == {"grade": True, "grade_id": "ex99-2-check", "locked": True, "points": 3.0,
                                "schema_version": 3, "solution": False, "task": False}
    assert _source(check) == "graded.check(pool_exercises.check_routing, routed)"   # the course's check, graded
    start = cells[make.START_ID]
    ids = [_nbgrader(cell).get("grade_id") for cell in converted["cells"]]
    assert _nbgrader(start)["locked"] and ids.index(make.START_ID) == ids.index("ex99-1-answer") - 1
    assert _source(start).endswith("graded.start('99')   # graded version: your own numbers, checks without hints")
    roles = [cell["metadata"].get("course", {}).get("role") for cell in converted["cells"]]
    assert "help" not in roles and len(converted["cells"]) == len(nb["cells"]) - 2 + 1
    assert load_notebook(FIXTURE) == nb, "convert must not change the notebook it reads"


def test_convert_takes_solutions_from_the_helpers_table_and_splits_points_over_checks():
    nb = load_notebook(FIXTURE)
    for cell in nb["cells"]:
        cell["metadata"].get("course", {}).pop("solution", None)
    extra_check = json.loads(json.dumps(nb["cells"][4]))
    nb["cells"].insert(5, extra_check)
    converted, _ = make.convert(nb, solutions={"99-1": "sizes = [1, 2, 3]", "99-2": "routed = 0"})
    cells = _by_grade_id(converted)
    assert _solution_region(_source(cells["ex99-2-answer"])) == "routed = 0"
    assert _nbgrader(cells["ex99-1-check"])["points"] == 1.0 and _nbgrader(cells["ex99-1-check-2"])["points"] == 1.0


@pytest.mark.parametrize("change, message", [
    (lambda nb: nb["cells"][3]["metadata"]["course"].pop("points"), "points"),
    (lambda nb: nb["cells"][3]["metadata"]["course"].pop("solution"), "no reference solution"),
    (lambda nb: nb["cells"][4]["metadata"]["course"].update(exercise="99-7"), "no check cell"),
    (lambda nb: nb["cells"][4].update(source="x = check(sizes)"), "must end with the checker call"),
])
def test_convert_names_what_is_missing(change, message):
    nb = load_notebook(FIXTURE)
    change(nb)
    with pytest.raises(make.ConversionError, match=message):
        make.convert(nb, solutions={})


def test_nbgrader_is_for_instructors_only():
    """nbgrader is pinned in requirements-instructor.txt (which the tests install), not in the learner files."""
    instructor = (ROOT / "requirements-instructor.txt").read_text()
    assert re.search(r"^nbgrader==\d+\.\d+", instructor, re.M)
    assert re.search(r"^-r requirements-instructor\.txt", (ROOT / "requirements-dev.txt").read_text(), re.M)
    for learner in ("requirements.txt", "environment.yml", "binder/environment.yml"):
        assert "nbgrader" not in (ROOT / learner).read_text(), f"{learner} is the learner environment"


def test_readme_gives_the_assignments_command():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- assignments-command -->\s*```bash\n(.+?)\n```", readme)
    assert match, "README.md needs a bash block right after <!-- assignments-command -->"
    command = match.group(1)
    assert "-r requirements-instructor.txt" in command
    assert command.endswith(".venv/bin/python instructor/make_assignments.py")


def test_instructor_script_is_ruff_clean():
    """tests/test_lint.py lints helpers/, tests/, benchmarks/ and notebooks/; the script lives in instructor/."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "instructor"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_script_refuses_bad_notebooks_before_writing_anything(tmp_path):
    broken, plain = tmp_path / "broken.ipynb", tmp_path / "plain.ipynb"
    broken.write_text("{not json")
    plain.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "hi"}],
                                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    script = [sys.executable, str(ROOT / "instructor" / "make_assignments.py"), "--out", str(tmp_path / "course")]
    for args, message in [([str(broken)], "not a readable notebook"), ([str(plain)], "no exercise cells"),
                          ([str(FIXTURE), str(tmp_path / "missing.ipynb")], "no such notebook")]:
        result = subprocess.run([*script, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "course").exists()


def test_script_explains_itself():
    result = subprocess.run([sys.executable, str(ROOT / "instructor" / "make_assignments.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "nbgrader" in result.stdout and "--out" in result.stdout


# ------------------------------------------------------------------ the course's own notebooks


EXERCISE_NOTEBOOKS = [path for path in NOTEBOOKS if make.has_exercises(load_notebook(path))]


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS, ids=[path.stem for path in EXERCISE_NOTEBOOKS])
def test_every_course_exercise_becomes_a_graded_exercise(path):
    """Cheap (no execution): each exercise gets its solution cell(s) and test cell(s); the points add up."""
    nb = load_notebook(path)
    converted, points = make.convert(nb, where=f"{path.name}: ")
    declared = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("course", {})
        if meta.get("role") == "answer":
            declared[meta["exercise"]] = declared.get(meta["exercise"], 0) + meta["points"]
    assert points == declared
    graded = {}
    for cell in converted["cells"]:
        meta, course = _nbgrader(cell), cell["metadata"].get("course", {})
        assert course.get("role") != "help", "hint and solution cells must not reach the students"
        if meta.get("solution"):
            assert _solution_region(_source(cell)).strip(), f"{course['exercise']}: empty reference solution"
        if meta.get("grade"):
            assert _source(cell).startswith("graded.check(ex.check_")
            graded[course["exercise"]] = graded.get(course["exercise"], 0) + meta["points"]
    assert graded == pytest.approx(declared)
    student_view = []   # what nbgrader leaves: everything but the solution regions (and no outputs)
    for cell in converted["cells"]:
        lines, inside = [], False
        for line in _source(cell).splitlines():
            inside = (inside or make.BEGIN_SOLUTION in line) and make.END_SOLUTION not in line
            if not inside and make.END_SOLUTION not in line:
                lines.append(line)
        student_view += ["\n".join(lines), json.dumps(cell["metadata"])]
    student_view = "\n".join(student_view)
    known = make.helper_exercises()
    for exercise in declared:
        code = getattr(known.get(exercise), "answer_code", "").strip()
        assert not code or code not in student_view, f"{exercise}: the student version shows its reference solution"
    for exercise, value in declared.items():
        if exercise in known and hasattr(known[exercise], "points"):
            assert value == known[exercise].points, f"{exercise}: the cell says {value} points, its Exercise says " \
                                                    f"{known[exercise].points}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_every_checker_call_is_in_a_check_cell(path):
    """An exercise without the metadata would be missing from the graded version without a word."""
    for index, cell in enumerate(load_notebook(path)["cells"]):
        if cell["cell_type"] == "code" and re.search(r"\bex\.check_\w+\(", _source(cell)):
            assert cell["metadata"].get("course", {}).get("role") == "check", \
                f"{path.name} cell {index} calls a checker but has no {{'course': {{'role': 'check', ...}}}} metadata"


# ------------------------------------------------------------------ the whole nbgrader cycle


def _env(home):
    env = make.nbgrader_env()
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env.pop(name, None)
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / ".ipython"),
               JUPYTER_PLATFORM_DIRS="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(cmd, cwd, env, timeout=180):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _make_course(tmp_path, notebook):
    """Run the README's command on one notebook in tmp_path/course; returns env, course, source, release, stdout."""
    _require_nbgrader()
    home, course = tmp_path / "home", tmp_path / "course"
    home.mkdir()
    env = _env(home)
    made = _run([sys.executable, str(ROOT / "instructor" / "make_assignments.py"), str(notebook), "--out",
                 str(course)], cwd=tmp_path, env=env)
    source = load_notebook(course / "source" / notebook.stem / notebook.name)
    release = load_notebook(course / "release" / notebook.stem / notebook.name)
    return env, course, source, release, made.stdout


def _student_env(env, course, tmp_path):
    """The environment of a student's install: graded/student_package instead of this repository's editable
    install (a sitecustomize takes setuptools' editable finder off the import path, as if never installed)."""
    site = tmp_path / "student_site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', "
        "type(f).__module__)]\n")
    return {**env, "PYTHONPATH": os.pathsep.join([str(site), str(course / "student_package")])}


def _answers(source, student, wrong=False):
    """{answer grade_id: code} for ``student``: per-student exercises get that student's right numbers; the
    others their reference solution; wrong: an answer of the right shape that is wrong."""
    from classroom import grading

    answers = {}
    for cell in source["cells"]:
        meta = _nbgrader(cell)
        if not meta.get("solution"):
            continue
        key, solution = cell["metadata"]["course"]["exercise"], _solution_region(_source(cell))
        name = solution.split("=")[0].split()[-1]
        if "right_answer" in solution:
            value = grading.right_answer(key, student)   # lists, or a SymPy formula (02-1) whose repr is its code
            solution = f"{name} = {value!r}"
            if wrong:
                solution = (f"{name} = {json.dumps((np.asarray(value) + 1).tolist())}" if isinstance(value, list)
                            else f"{solution}\n{name} = {name} + 1")
        elif wrong:
            flip = f"[[1 - v for v in row] for row in {name}]"
            solution += f"\n{name} = {name} + 1" if key == "02-1" else f"\n{name} = {flip}"
        answers[meta["grade_id"]] = solution
    return answers


def _fill(nb, answers):
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if _nbgrader(cell).get("grade_id") in answers:
            cell["source"] = _source(cell).rstrip() + "\n" + answers[_nbgrader(cell)["grade_id"]] + "\n"
    return nb


# The cycle grades 02 (every exercise per-student: a formula, a 0/1 map, δ and ∂L/∂W in numbers): each run of
# nbgrader executes it once per student. The other notebooks' conversion is tested above and in tests/test_release.py.
CYCLE = NOTEBOOKS[2]
STUDENTS = ("alice", "bob", "carol", "dave", "eve")


def test_the_nbgrader_cycle_with_five_students_gives_each_their_marks_and_no_warning(tmp_path):
    """alice and bob answer right (each with their own numbers), carol wrong, dave not at all, and eve hands in
    alice's answers: per-student exercises (all four of 02) score her 0."""
    from nbgrader.api import Gradebook

    env, course, source, release, made = _make_course(tmp_path, CYCLE)
    assignment, exchange = CYCLE.stem, tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)   # nbgrader's exchange is writable by every student (it says so, and fixes it, if not)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"c.Exchange.root = {str(exchange)!r}\n")
    logs = [made]
    def run(*args, cwd=course):   # a student's commands run in their own home (their own nbgrader cache)
        own = env if cwd == course else _env(cwd)
        logs.append(_run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=own, timeout=600).stderr)

    run("release_assignment", assignment)
    per_student = {key for key in graded_keys() if key.startswith("02")}
    points = {cell["metadata"]["course"]["exercise"]: _nbgrader(cell)["points"]
              for cell in source["cells"] if _nbgrader(cell).get("grade")}
    assert per_student == set(points) == {"02-1", "02-2", "02-3", "02-4"}, "every exercise of 02 is per-student"
    assert all(_case(key, "eve") != _case(key, "alice") for key in points), \
        "eve's cases must differ from alice's, so that alice's answers are wrong for eve"
    answers = {"alice": _answers(source, "alice"), "bob": _answers(source, "bob"),
               "carol": _answers(source, "carol", wrong=True), "dave": {}, "eve": _answers(source, "alice")}
    assert answers["alice"] != answers["bob"], "two students' right answers must differ in their numbers"
    said, student_env = {}, _student_env(env, course, tmp_path)
    for student in STUDENTS:
        home = tmp_path / "students" / student
        home.mkdir(parents=True)
        # a student's nbgrader_config.py: on a hub the administrator's /etc/jupyter one says the same
        (home / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
        flags = ["--course", make.COURSE_ID]
        run("fetch_assignment", assignment, *flags, cwd=home)
        fetched = home / assignment / CYCLE.name
        fetched.write_text(json.dumps(_fill(load_notebook(fetched), answers[student]), indent=1), encoding="utf-8")
        if student in ("alice", "dave"):   # Validate, as the student's button runs it, with the student package
            validated = _run([sys.executable, "-m", "nbgrader", "validate", str(fetched)], cwd=home, timeout=600,
                             env={**student_env, "HOW_FILTERS_LEARN_STUDENT": student})
            logs.append(validated.stdout + validated.stderr)
            said[student] = validated.stdout
        run("submit", assignment, *flags, "--student", student, cwd=home)
    probe = subprocess.run([sys.executable, "-c", "import helpers; print(helpers.__file__)"], capture_output=True,
                           text=True, env=student_env, cwd=tmp_path, timeout=60)
    assert probe.stdout.startswith(str(course / "student_package")), probe   # Validate ran the student package
    run("collect", assignment)
    run("autograde", assignment)
    run("generate_feedback", assignment)
    run("release_feedback", assignment)
    run("fetch_feedback", assignment, "--course", make.COURSE_ID, "--student", "eve", cwd=tmp_path / "students" / "eve")
    fetched_feedback = list((tmp_path / "students" / "eve" / assignment / "feedback").glob(f"*/{CYCLE.stem}.html"))
    assert len(fetched_feedback) == 1, "eve fetches her feedback through the exchange"
    run("export")
    assert "Success! Your notebook passes all the tests." in said["alice"], said["alice"]
    assert "VALIDATION FAILED ON 4 CELL(S)!" in said["dave"] and "not right yet" in said["dave"], said["dave"]
    assert "Traceback" not in said["dave"]
    total = sum(points.values())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: {grade.name[2:].split("-check")[0]: grade.score for grade in
                            gradebook.find_submission_notebook(CYCLE.stem, assignment, student).grades}
                  for student in STUDENTS}
    print("\nnbgrader scores per exercise:", scores)
    assert scores["alice"] == scores["bob"] == points
    assert sum(scores["carol"].values()) == 0 and sum(scores["dave"].values()) == 0
    assert scores["eve"] == {key: 0.0 for key in points}   # alice's answers: 0 on every exercise of 02
    feedback = (course / "feedback" / "eve" / assignment / f"{CYCLE.stem}.html").read_text()
    assert f"0.0 / {total:.1f}" in feedback
    for leak in ("ex.hint(", "ex.solution(", "Worked solution"):
        assert leak not in feedback
    rows = (course / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(STUDENTS)
    log = "\n".join(logs)
    assert "Attribute 'checksum'" not in log and "has changed" not in log, log
    assert "cannot be converted to a float" not in log, log
    # nbgrader's other warnings here are not about grading: an empty line from collect, the kernel's "TCP
    # without encryption" and generate_feedback's "Alternative text is missing" on the notebook's figures
    assert not [line for line in log.splitlines() if "WARNING" in line and "Permissions" in line], log


def _case(key, student):
    """The right answer of ``student`` to a per-student exercise of 02, as something comparable."""
    from classroom import grading

    return str(grading.right_answer(key, student))


def graded_keys():
    from classroom import graded

    return {key for keys, _ in graded.NUMBERS.values() for key in keys}


OWN_MAXPOOL_BACKWARD = """def my_maxpool_backward(dy, x, size, stride):
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dy.shape):
        window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
        r, s = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * stride + r, j * stride + s] += dy[n, c, i, j]
    return dx"""
WRAPPED_MAXPOOL_BACKWARD = """def my_maxpool_backward(dy, x, size, stride):
    return maxpool2d_backward(dy, x, size, stride)"""
# three ways round the grader a reviewer found; the audit (grading.AuditAnswers) does not run such cells
UNTRACED_MAXPOOL_BACKWARD = """import sys
def my_maxpool_backward(dy, x, size, stride):
    sys.settrace(None)   # switch the engine watcher off
    return maxpool2d_backward(dy, x, size, stride)"""
EXECUTED_MAXPOOL_BACKWARD = """import inspect
import helpers.nn.pool
space = {}
exec(inspect.getsource(helpers.nn.pool.maxpool2d_backward).split("\\n", 1)[1], vars(helpers.nn.pool) | space, space)
my_maxpool_backward = space["maxpool2d_backward"]"""
PATCHED_CHECK = """from classroom import graded as _g
_g.check = lambda checker, *a, **k: float(checker.exercise.points)"""


def test_an_implementation_exercise_scores_its_own_code_and_not_the_course_function(tmp_path):
    """04: exercise 5 (max-pool backward) with a student's own loop, with a wrapper around the course's
    maxpool2d_backward (imported by the notebook) and untouched; the hidden grading draws new inputs."""
    from nbgrader.api import Gradebook

    notebook = NOTEBOOKS[4]
    env, course, source, release, _ = _make_course(tmp_path, notebook)
    assignment = notebook.stem
    answers = {student: _answers(source, student) for student in ("own", "wrapper")}
    answers["own"]["ex04-5-answer"] = OWN_MAXPOOL_BACKWARD
    answers["wrapper"]["ex04-5-answer"] = WRAPPED_MAXPOOL_BACKWARD
    answers["untouched"] = {}
    answers["untraced"] = {**_answers(source, "untraced"), "ex04-5-answer": UNTRACED_MAXPOOL_BACKWARD}
    answers["executed"] = {**_answers(source, "executed"), "ex04-5-answer": EXECUTED_MAXPOOL_BACKWARD}
    answers["patcher"] = {"ex04-1-answer": PATCHED_CHECK}   # every answer blank, graded.check replaced
    for student, filled in answers.items():
        target = course / "submitted" / student / assignment / notebook.name
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(_fill(release, filled), indent=1), encoding="utf-8")
    result = _run([sys.executable, "-m", "nbgrader", "autograde", assignment], cwd=course, env=env, timeout=600)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: {grade.name[2:].split("-check")[0]: grade.score for grade in
                            gradebook.find_submission_notebook(notebook.stem, assignment, student).grades}
                  for student in answers}
    print("\nnbgrader scores per exercise:", scores)
    points = {cell["metadata"]["course"]["exercise"]: _nbgrader(cell)["points"]
              for cell in source["cells"] if _nbgrader(cell).get("grade")}
    assert scores["own"] == points
    assert scores["wrapper"] == {**points, "04-5": 0.0}
    assert sum(scores["untouched"].values()) == 0
    assert scores["untraced"] == scores["executed"] == {**points, "04-5": 0.0}
    assert sum(scores["patcher"].values()) == 0
    log = result.stdout + result.stderr
    for student, reason in (("untraced", "uses settrace"), ("executed", "uses exec"), ("patcher", "uses graded")):
        assert f"{student} / {notebook.stem}: a cell was not run by the grader" in log and reason in log, log
    assert "Attribute 'checksum'" not in log and "cannot be converted to a float" not in log, log
    autograded = load_notebook(course / "autograded" / "wrapper" / assignment / notebook.name)
    shown = json.dumps([cell.get("outputs") for cell in autograded["cells"]])
    assert "calls the course's own" in shown and "helpers.nn.pool.maxpool2d_backward" in shown


def test_the_audit_runs_every_worked_solution_and_stops_what_reaches_the_grader():
    """No right answer of the course is refused by the audit (a false alarm costs a student the exercise), and
    each way round the grader is named."""
    from classroom.grading import untouchable_uses

    solutions = {key: exercise.answer_code for key, exercise in make.helper_exercises().items()}
    assert len(solutions) >= 25
    assert {key: untouchable_uses(code) for key, code in solutions.items() if untouchable_uses(code)} == {}
    assert untouchable_uses(OWN_MAXPOOL_BACKWARD) == [] and untouchable_uses(WRAPPED_MAXPOOL_BACKWARD) == []
    assert "uses graded" in untouchable_uses(PATCHED_CHECK)
    assert "uses settrace" in untouchable_uses(UNTRACED_MAXPOOL_BACKWARD)
    assert "uses exec" in untouchable_uses(EXECUTED_MAXPOOL_BACKWARD)
    assert untouchable_uses("ex.check_dW = print") == ["changes ex.check_dW, which it did not make"]
    assert untouchable_uses("class A:\n    pass\na = A()\na.x = 1") == []      # its own object: fine
    assert untouchable_uses("f = getattr(__builtins__, 'ex' + 'ec')") == ["uses __builtins__", "uses getattr"]
