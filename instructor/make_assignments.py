"""Turn the course notebooks' exercises into nbgrader assignments, and the package students install (instructors).

    .venv/bin/python instructor/make_assignments.py              # every notebook with exercises -> graded/
    .venv/bin/python instructor/make_assignments.py --help

It writes an nbgrader course directory (default ``graded/``)::

    graded/nbgrader_config.py                      course id, stub for cleared answers, execution timeout
    graded/source/<assignment>/<notebook>.ipynb    instructor version: reference solutions
    graded/release/<assignment>/<notebook>.ipynb   student version, made by ``nbgrader generate_assignment``
    graded/student_package/                        the course package for students (pip install -e it):
                                                   no hints, worked solutions, answer code or grader
    graded/gradebook.db                            nbgrader's gradebook

One notebook is one assignment, named after the notebook (``02_filter_gradient``). The conversion reads
nothing but the cells' metadata (``{"course": {"exercise": "02-1", "role": ...}}``):

- A read-only cell ``graded.start("02")`` goes before the first exercise cell, or the first cell that shows an
  exercise's numbers (``ex.ROUTING_X``): it gives the student their own numbers (classroom/graded.py,
  NUMBERS) and turns off every pointer to help.
- ``"role": "answer"`` (with ``"points": P``) becomes an nbgrader autograded-answer cell: the learner's
  starter stays, the reference solution goes between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  (nbgrader removes it from the student version). The solution is the cell's ``"solution"`` metadata if it
  has one (source text; removed from the copies), otherwise the ``answer_code`` of the exercise's
  ``helpers.exercises.feedback.Exercise`` (same key); for an exercise with per-student numbers, a line that
  computes the right answer for whoever runs it (``grading.right_answer``).
- ``"role": "check"`` becomes a read-only autograder-test cell worth the exercise's points: its checker call
  ``ex.check_dW(answer)`` becomes ``graded.check(ex.check_dW, answer)``, which shows the same check and, when
  ``nbgrader autograde`` runs it, has the points as its value (nbgrader's partial credit). There are no hidden
  tests, so the student's cell is the instructor's, byte for byte: no "checksum has changed" warning
  (nbgrader issue #1961 is about hidden tests in read-only cells).
- ``"role": "help"`` cells (hints, worked solutions) are dropped, and so are the sentences of the markdown that
  point to ``ex.hint``/``ex.solution``/the buttons.
- A cell whose metadata has ``"graded": "drop"`` is dropped; one with ``"graded": {"source": …}`` gets that
  source instead (03's im2col backward pass written out in full, which is exercise 5's answer).
- Every other cell is kept as it is (narrative, set-up and exploration cells stay editable).
"""
import argparse
import ast
import copy
import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
COURSE_ID = "how-filters-learn"
SCHEMA_VERSION = 3  # nbgrader's cell-metadata schema (nbgrader/nbgraderformat/v3.json)

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ""   # what a cleared solution region becomes: nothing, the learner's starter stays and runs
START_ID = "graded-start"
HELP_WORDS = ("ex.hint(", "ex.solution(", "ex.help(", "buttons under")   # a markdown sentence with one goes
#: the public functions of the exercise modules that return an answer: private in the student build
ANSWER_FUNCTION = re.compile(r"\b(reference_\w+|expected_\w+|[a-z]\w*_answers?)\b(?=\s*\()")

CONFIG = f'''"""nbgrader configuration for the course's graded assignments (written by instructor/make_assignments.py).

Run nbgrader from this folder: nbgrader reads this file and keeps its gradebook here (gradebook.db).
"""
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "{COURSE_ID}"
# A cleared solution region leaves nothing, not nbgrader's default `raise NotImplementedError()`: the
# learner's starter stays above it, so "Run All" on the student version runs, as in the course.
c.ClearSolutions.code_stub = {{"python": "{CODE_STUB}"}}
# Notebook 06 trains a network; give every cell time on a slow machine.
c.Execute.timeout = 600
# A submission's cell that reaches the grading machinery, tracing or introspection (e.g. one that replaces
# graded.check) is not run: classroom.grading.AuditAnswers, after nbgrader's own sanitizing steps.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "classroom.grading.AuditAnswers", "nbgrader.preprocessors.CheckCellMetadata"]
# The exchange students fetch from and submit to (nbgrader's default; a folder every student can write):
# c.Exchange.root = "/srv/nbgrader/exchange"
'''


class ConversionError(ValueError):
    """A notebook's exercise metadata cannot be turned into an assignment (the message says why)."""


def source_text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def course_meta(cell):
    meta = cell.get("metadata", {}).get("course", {})
    return meta if isinstance(meta, dict) else {}


def has_exercises(nb):
    return any(course_meta(cell).get("role") == "answer" for cell in nb["cells"])


def nbgrader_meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    """nbgrader's cell metadata (schema 3), exactly the keys nbgrader's own cell toolbar writes."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _exercise_objects(value):
    """The course exercises (helpers.exercises.feedback.Exercise: .key and .answer_code) in a module attribute."""
    if isinstance(value, dict):
        value = tuple(value.values())
    if isinstance(value, (tuple, list)):
        return [item for item in value if _is_exercise(item)]
    return [value] if _is_exercise(value) else []


def _is_exercise(value):
    return isinstance(getattr(value, "key", None), str) and isinstance(getattr(value, "answer_code", None), str)


def helper_exercises():
    """{exercise key: Exercise} for every Exercise in the helpers/exercises/*.py modules."""
    import helpers.exercises

    found = {}
    for info in pkgutil.iter_modules(helpers.exercises.__path__):
        if info.name != "feedback":
            module = importlib.import_module(f"helpers.exercises.{info.name}")
            for value in vars(module).values():
                for exercise in _exercise_objects(value):
                    found[exercise.key] = exercise
    return found


def helper_solutions():
    """{exercise key: answer_code} of every Exercise in the helpers/exercises/*.py modules."""
    return {key: exercise.answer_code for key, exercise in helper_exercises().items()}


def exercises_of(nb, where=""):
    """{exercise id: {"answers": [cell index, ...], "checks": [...], "points": P}} in notebook order."""
    found = {}
    for index, cell in enumerate(nb["cells"]):
        meta = course_meta(cell)
        role, exercise = meta.get("role"), meta.get("exercise")
        if role not in ("answer", "check"):
            continue
        if not isinstance(exercise, str) or not exercise:
            raise ConversionError(f"{where}cell {index}: a {role} cell needs 'exercise' (e.g. \"02-1\") in its "
                                  f"course metadata; got {exercise!r}")
        entry = found.setdefault(exercise, {"answers": [], "checks": [], "points": 0})
        if role == "answer":
            points = meta.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
                raise ConversionError(f"{where}exercise {exercise}: the answer cell {index} needs positive "
                                      f"'points' in its course metadata; got {points!r}")
            entry["answers"].append(index)
            entry["points"] += points
        else:
            entry["checks"].append(index)
    for exercise, entry in found.items():
        if not entry["answers"] or not entry["checks"]:
            missing = "answer cell" if not entry["answers"] else "check cell"
            raise ConversionError(f"{where}exercise {exercise} has no {missing}; "
                                  "every exercise needs both to be graded")
    return found


def answer_source(starter, solution):
    """The learner's starter, then the reference solution in the region nbgrader clears."""
    starter = starter.rstrip("\n")
    parts = [starter] if starter.strip() else []
    parts += [BEGIN_SOLUTION, solution.strip("\n"), END_SOLUTION]
    return "\n".join(parts)


def _called_name(statement):
    """The name of the function an expression statement calls (check_dW for ex.check_dW(answer)), or ""."""
    value = statement.value
    if not isinstance(value, ast.Call):
        return ""
    func = value.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def check_source(source, exercise, where=""):
    """The check cell with its checker call ``ex.check_dW(answer)`` made ``graded.check(ex.check_dW, answer)``.

    The checker call is the cell's last top-level call of a function named check…, or else its last
    expression (so a help-button call after the check does not become the test).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ConversionError(f"{where}exercise {exercise}: the check cell is not plain Python ({error})") from None
    expressions = [statement for statement in tree.body if isinstance(statement, ast.Expr)]
    checks = [statement for statement in expressions if _called_name(statement).startswith("check")]
    if not expressions or (not checks and expressions[-1] is not tree.body[-1]) or \
            not isinstance((checks or expressions)[-1].value, ast.Call):
        raise ConversionError(f"{where}exercise {exercise}: the check cell must end with the checker call "
                              "(e.g. ex.check_dW12(answer)) whose Feedback it shows")
    statement = (checks or expressions)[-1]
    call = statement.value
    arguments = [ast.get_source_segment(source, node) for node in [*call.args, *call.keywords]]
    graded = f"graded.check({', '.join([ast.get_source_segment(source, call.func), *arguments])})"
    lines = source.splitlines()
    first, last = statement.lineno - 1, statement.end_lineno - 1
    lines[first:last + 1] = [lines[first][:statement.col_offset] + graded + lines[last][statement.end_col_offset:]]
    return "\n".join(lines)


def strip_help(text):
    """Markdown without the sentences that point to hints, worked solutions or help buttons."""
    kept = []
    for line in text.split("\n"):
        sentences = re.split(r"(?<=[.!?])\s+", line)
        kept.append(" ".join(part for part in sentences if not any(word in part for word in HELP_WORDS)))
    return "\n".join(kept)


def _assigned_name(code):
    """The first name an answer's code assigns (``answer`` in ``answer = [[1, 2], [3, 4]]``)."""
    for statement in ast.parse(code).body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            return statement.targets[0].id
    return None


def per_student_exercises():
    """The exercise keys whose numbers are each student's own (classroom/graded.py, NUMBERS)."""
    from classroom import graded

    return {key for keys, _ in graded.NUMBERS.values() for key in keys}


def personal_solution(exercise, starter):
    """The reference solution of a per-student exercise: computed, at run time, for whoever runs it."""
    name = _assigned_name(starter) or "answer"
    return f"from classroom import grading\n\n{name} = grading.right_answer({exercise!r})"


def start_cell(notebook):
    source = (f"from classroom import graded\n\n"
              f"graded.start({notebook!r})   # graded version: your own numbers, checks without hints")
    return {"cell_type": "code", "execution_count": None, "id": "graded-start",
            "metadata": {"nbgrader": nbgrader_meta(START_ID, locked=True)}, "outputs": [], "source": source}


def _starts_exercises(cell, imported):
    """Whether the start cell goes before this one: the first exercise cell, or the first that reads an
    exercise's numbers (ex.UPPER_CASE), once the exercises are imported (or in this cell)."""
    text = source_text(cell)
    imports = cell["cell_type"] == "code" and re.search(r"^\s*from helpers\.exercises", text, re.M)
    reads = cell["cell_type"] == "code" and re.search(r"\bex\.[A-Z]", text)
    return (imported or imports) and (course_meta(cell).get("role") in ("answer", "check") or reads), \
        bool(imported or imports)


def convert(nb, solutions=None, where=""):
    """The instructor version (nbgrader source) of a course notebook, and {exercise id: points}.

    nb: the notebook as a dict (nbformat 4); it is not changed
    solutions: {exercise id: source} used where an answer cell has no "solution" metadata
               (None: the answer_code of the helpers' Exercise objects, looked up when needed)
    """
    found = exercises_of(nb, where)
    out = copy.deepcopy(nb)
    personal = per_student_exercises()
    for exercise, entry in found.items():
        for k, index in enumerate(entry["answers"]):
            cell = out["cells"][index]
            if cell["cell_type"] != "code":
                raise ConversionError(f"{where}exercise {exercise}: answer cell {index} must be a code cell")
            solution = course_meta(cell).pop("solution", None)
            if solution is None and exercise in personal:
                solution = personal_solution(exercise, source_text(cell))
            if solution is None:
                if solutions is None:
                    solutions = helper_solutions()
                solution = solutions.get(exercise)
                if isinstance(solution, (list, tuple)):   # one solution per answer cell, in order
                    solution = solution[k] if k < len(solution) else None
            if isinstance(solution, list):
                solution = "".join(solution)
            if not isinstance(solution, str) or not solution.strip():
                raise ConversionError(f"{where}exercise {exercise}: no reference solution; give the answer cell "
                                      "a 'solution' in its course metadata, or give its Exercise (key "
                                      f"{exercise!r}) an answer_code in its helpers/exercises/*.py module")
            suffix = "" if k == 0 else f"-{k + 1}"
            cell["source"] = answer_source(source_text(cell), solution)
            cell["metadata"]["nbgrader"] = nbgrader_meta(f"ex{exercise}-answer{suffix}", solution=True)
            cell["outputs"], cell["execution_count"] = [], None
        share = entry["points"] / len(entry["checks"])
        for k, index in enumerate(entry["checks"]):
            cell = out["cells"][index]
            if cell["cell_type"] != "code":
                raise ConversionError(f"{where}exercise {exercise}: check cell {index} must be a code cell")
            suffix = "" if k == 0 else f"-{k + 1}"
            cell["source"] = check_source(source_text(cell), exercise, where)
            cell["metadata"]["nbgrader"] = nbgrader_meta(f"ex{exercise}-check{suffix}", grade=True, locked=True,
                                                         points=share)
            cell["outputs"], cell["execution_count"] = [], None
    cells, imported, started = [], False, False
    notebook = next(iter(found)).split("-")[0]
    for cell in out["cells"]:
        meta = course_meta(cell)
        meta.pop("solution", None)
        graded = cell.get("metadata", {}).pop("graded", None)   # this cell in the graded build: "drop" or {"source"}
        if meta.get("role") == "help" or graded == "drop":
            continue
        if isinstance(graded, dict) and isinstance(graded.get("source"), str):
            cell["source"] = graded["source"]
        if cell["cell_type"] == "markdown":
            cell["source"] = strip_help(source_text(cell))
        elif "checkers, hints and solutions" in source_text(cell):
            cell["source"] = source_text(cell).replace("checkers, hints and solutions", "checkers")
        here, imported = _starts_exercises(cell, imported)
        if here and not started:
            cells.append(start_cell(notebook))
            started = True
        cells.append(cell)
    if not started:
        raise ConversionError(f"{where}no cell imports the exercises (from helpers.exercises import …)")
    out["cells"] = cells
    return out, {exercise: entry["points"] for exercise, entry in found.items()}


# ---------------------------------------------------------------- the package students install
STUDENT_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "how-filters-learn"
version = "{version}+graded"
description = "The course package for graded homework: no hints, worked solutions or grader (make_assignments.py)."
requires-python = ">=3.11"
dependencies = {dependencies}

[tool.setuptools.packages.find]
include = ["helpers*", "classroom*"]

[tool.setuptools.package-data]
"helpers.exercises" = ["*.md"]
"""
INSTRUCTOR_ONLY = ("grading.py",)   # classroom/ files the student build leaves out: the grader
EXERCISE_MODULES = ("start.py", "symbolic.py", "conv.py", "pool.py", "signs.py", "training.py")


def student_markdown(text):
    """An exercise module's .md with the headings only (title and points): no hints, no solution, no code."""
    heads = re.findall(r"^# \d\d-\d+ · [^\n]+$", text, flags=re.M)
    return "<!-- student build: titles and points only -->\n\n" + "\n\n".join(heads) + "\n"


def write_student_package(target):
    """target/: pyproject.toml, helpers/ without hint and solution texts, answer code or answer functions (made
    private), classroom/ without the grader (graded mode only), and data/ (the shipped subsets). Install with
    ``pip install -e target``."""
    import tomllib

    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "helpers", target / "helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "classroom", target / "classroom",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *INSTRUCTOR_ONLY))
    exercises = target / "helpers" / "exercises"
    for md in exercises.glob("*.md"):
        md.write_text(student_markdown(md.read_text(encoding="utf-8")), encoding="utf-8")
    for name in EXERCISE_MODULES:
        module = exercises / name
        if module.exists():
            text = ANSWER_FUNCTION.sub(lambda m: "_" + m.group(1).replace("reference_", "engine_"),
                                       module.read_text(encoding="utf-8"))
            module.write_text(text, encoding="utf-8")
    (target / "data").mkdir()
    for path in (ROOT / "data").glob("*"):
        if path.is_file():
            shutil.copy2(path, target / "data" / path.name)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (target / "pyproject.toml").write_text(STUDENT_PYPROJECT.format(
        version=project["version"], dependencies=json.dumps(project["dependencies"])), encoding="utf-8")
    return target


def course_notebooks():
    """The course notebooks (notebooks/NN_*.ipynb) that have exercise metadata."""
    paths = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    return [path for path in paths if has_exercises(json.loads(path.read_text(encoding="utf-8")))]


def write_course(out, notebooks, solutions=None):
    """Write out/nbgrader_config.py (if missing) and out/source/<stem>/<name>.ipynb for each notebook.

    Every notebook is read and converted before anything is written. Returns [(assignment, {exercise: points})].
    """
    converted = []
    for path in map(Path, notebooks):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = nb["cells"]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            raise ConversionError(f"{path}: not a readable notebook ({error})") from None
        if not isinstance(cells, list) or not has_exercises(nb):
            raise ConversionError(f"{path.name}: no exercise cells (cell metadata "
                                  '{"course": {"exercise": "NN-k", "role": "answer", "points": P}})')
        converted.append((path, *convert(nb, solutions, where=f"{path.name}: ")))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / ".gitignore").write_text("# made by instructor/make_assignments.py; holds solutions and grades\n*\n")
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG)
    for path, nb, _ in converted:
        target = out / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_student_package(out / "student_package")
    return [(path.stem, points) for path, _, points in converted]


def nbgrader_env():
    """The environment for nbgrader: it runs `alembic` from PATH, so this interpreter's bin/ goes first."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate(out, assignment):
    """Run `nbgrader generate_assignment` in the course folder: the student version goes to release/."""
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"]
    result = subprocess.run(cmd, cwd=out, capture_output=True, text=True, env=nbgrader_env())
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed in {out}:\n{result.stdout}{result.stderr}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Turn the course notebooks' exercises into nbgrader assignments: solutions stripped, "
                    "the course's checks as graded cells (points, partial credit), per-student numbers, "
                    "and a student package without hints, solutions or grader.",
        epilog="Re-running rewrites source/ and release/ from the notebooks; nbgrader_config.py, the gradebook "
               "and submissions stay. Then grade with nbgrader in the course folder: "
               "docs/instructor_guide.md, 'Grading with nbgrader'.")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to convert (default: every notebooks/NN_*.ipynb that has exercises)")
    parser.add_argument("--out", type=Path, default=ROOT / "graded",
                        help="the nbgrader course folder to write (default: graded/ in the repository)")
    parser.add_argument("--source-only", action="store_true",
                        help="write source/ only; do not run `nbgrader generate_assignment`")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or course_notebooks()
    if not notebooks:
        parser.error("no notebook has exercise cells (cell metadata {\"course\": {\"role\": \"answer\", ...}})")
    missing = [str(path) for path in notebooks if not Path(path).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    try:
        made = write_course(args.out, notebooks)
    except ConversionError as error:
        sys.exit(f"make_assignments: {error}")
    for assignment, points in made:
        if not args.source_only:
            try:
                generate(args.out, assignment)
            except RuntimeError as error:
                sys.exit(f"make_assignments: {error}")
        where = "source/" if args.source_only else "release/"
        print(f"{assignment}: {len(points)} exercises, {sum(points.values()):g} points -> "
              f"{args.out / where / assignment}")
    if not args.source_only:
        print(f"Student versions are in {args.out / 'release'}; grade from {args.out} "
              "(docs/instructor_guide.md, 'Grading with nbgrader').")


if __name__ == "__main__":
    main()
