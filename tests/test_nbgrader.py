"""Graded assignments: instructor/make_assignments.py and nbgrader's whole cycle.

make the course folder → `nbgrader generate_assignment` → submissions (right, partly wrong, untouched)
→ `nbgrader autograde` → the gradebook's scores → `nbgrader generate_feedback`.
Everything runs in a temporary folder with its own home, Jupyter config and gradebook; no network.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys

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
    assert set(cells) == {"ex99-1-answer", "ex99-1-check", "ex99-2-answer", "ex99-2-check"}
    answer = cells["ex99-1-answer"]
    assert _nbgrader(answer) == {"grade": False, "grade_id": "ex99-1-answer", "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    assert _source(answer).startswith("sizes = None")                      # the learner's starter stays
    assert "SIZE_CASES" in _solution_region(_source(answer))               # the reference solution is marked
    assert "solution" not in answer["metadata"]["course"]                  # and not left in the metadata
    check = cells["ex99-2-check"]
    assert _nbgrader(check) == {"grade": True, "grade_id": "ex99-2-check", "locked": True, "points": 3.0,
                                "schema_version": 3, "solution": False, "task": False}
    lines = _source(check).splitlines()
    assert lines[0] == "pool_exercises.check_routing(routed)"              # the course's check, as it was
    hidden = lines[lines.index(make.BEGIN_HIDDEN) + 1:lines.index(make.END_HIDDEN)]
    assert f"assert {make.VERDICT}.ok" in "\n".join(hidden)
    roles = [cell["metadata"].get("course", {}).get("role") for cell in converted["cells"]]
    assert "help" not in roles and len(converted["cells"]) == len(nb["cells"]) - 2
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
            assert make.BEGIN_HIDDEN in _source(cell)
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


def _submission(release, source, wrong):
    """The student version with each answer cell filled in: the reference solution, then any wrong line."""
    nb = json.loads(json.dumps(release))
    reference = _by_grade_id(source)
    for cell in nb["cells"]:
        meta = _nbgrader(cell)
        if not meta.get("solution"):
            continue
        exercise = cell["metadata"]["course"]["exercise"]
        starter = _source(cell).rstrip()
        lines = [starter, _solution_region(_source(reference[meta["grade_id"]]))]
        if exercise in wrong:
            lines.append(WRONG[exercise])
        cell["source"] = "\n".join(lines) + "\n"
    return nb


def _make_course(tmp_path, notebook):
    """Run the README's command on one notebook in tmp_path/course; returns env, course, source, release."""
    _require_nbgrader()
    home, course = tmp_path / "home", tmp_path / "course"
    home.mkdir()
    env = _env(home)
    made = _run([sys.executable, str(ROOT / "instructor" / "make_assignments.py"), str(notebook), "--out",
                 str(course)], cwd=tmp_path, env=env)
    source = load_notebook(course / "source" / notebook.stem / notebook.name)
    release = load_notebook(course / "release" / notebook.stem / notebook.name)
    return env, course, source, release, made.stdout


def _autograde(env, course, notebook, submissions):
    """Put each {student: notebook} into submitted/, autograde, and read the gradebook.

    Returns {student: (score, max score, {test cell: score})}.
    """
    from nbgrader.api import Gradebook

    assignment = notebook.stem
    for student, nb in submissions.items():
        target = course / "submitted" / student / assignment / notebook.name
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    _run([sys.executable, "-m", "nbgrader", "autograde", assignment], cwd=course, env=env, timeout=600)
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in submissions:
            submission = gradebook.find_submission(assignment, student)
            graded = gradebook.find_submission_notebook(notebook.stem, assignment, student)
            scores[student] = (submission.score, submission.max_score,
                               {grade.name: grade.score for grade in graded.grades})
    print(f"\nnbgrader scores for {assignment} (score, max, per test cell):", scores)
    return scores


def test_nbgrader_cycle_gives_full_marks_only_to_the_right_answers(tmp_path):
    env, course, source, release, made = _make_course(tmp_path, FIXTURE)
    assert f"{ASSIGNMENT}: 2 exercises, 5 points" in made
    text = "\n".join(_source(cell) for cell in release["cells"])
    for secret in ("BEGIN SOLUTION", "SIZE_CASES]", "maxpool2d_backward", "HIDDEN TESTS", "assert",
                   "hint(", "Worked solution"):
        assert secret not in text, f"the student version gives away {secret!r}"
    assert "sizes = None" in text and "symbolic_exercises.check_output_sizes(sizes)" in text

    submissions = {"right": _submission(release, source, set()),
                   "wrong_on_2": _submission(release, source, {"99-2"}),
                   "untouched": release}
    scores = _autograde(env, course, FIXTURE, submissions)
    assert scores["right"][:2] == (5.0, 5.0)
    assert scores["wrong_on_2"][:2] == (2.0, 5.0)
    assert scores["wrong_on_2"][2] == {"ex99-1-check": 2.0, "ex99-2-check": 0.0}
    assert scores["untouched"][:2] == (0.0, 5.0)

    _run([sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT], cwd=course, env=env)
    feedback = (course / "feedback" / "wrong_on_2" / ASSIGNMENT / f"{FIXTURE.stem}.html").read_text()
    assert "2.0 / 5.0" in feedback
    _run([sys.executable, "-m", "nbgrader", "export"], cwd=course, env=env)
    rows = (course / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(submissions) and all(",5.0" in row for row in rows[1:])


# One real notebook through the whole cycle (each run executes it twice; the cheapest notebook with exercises).
REAL_CYCLE = [path for path in EXERCISE_NOTEBOOKS if path.name.startswith("01_")] or EXERCISE_NOTEBOOKS[:1]


@pytest.mark.parametrize("path", REAL_CYCLE, ids=[path.stem for path in REAL_CYCLE])
def test_a_course_notebook_grades_its_reference_solutions_full_and_its_starters_zero(tmp_path, path):
    env, course, source, release, _ = _make_course(tmp_path, path)
    total = sum(_nbgrader(cell)["points"] for cell in source["cells"] if _nbgrader(cell).get("grade"))
    scores = _autograde(env, course, path, {"right": _submission(release, source, set()), "untouched": release})
    assert scores["right"][:2] == (pytest.approx(total), pytest.approx(total)), scores["right"][2]
    assert scores["untouched"][0] == 0.0, scores["untouched"][2]
