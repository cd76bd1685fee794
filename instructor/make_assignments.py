"""Turn the course notebooks' exercises into nbgrader assignments (for instructors).

    .venv/bin/python instructor/make_assignments.py              # every notebook with exercises -> graded/
    .venv/bin/python instructor/make_assignments.py --help

It writes an nbgrader course directory (default ``graded/``)::

    graded/nbgrader_config.py                      course id, stub for cleared answers, execution timeout
    graded/source/<assignment>/<notebook>.ipynb    instructor version: reference solutions and hidden tests
    graded/release/<assignment>/<notebook>.ipynb   student version, made by ``nbgrader generate_assignment``
    graded/gradebook.db                            nbgrader's gradebook

One notebook is one assignment, named after the notebook (``02_filter_gradient``). The conversion reads
nothing but the cells' metadata (``{"course": {"exercise": "02-1", "role": ...}}``):

- ``"role": "answer"`` (with ``"points": P``) becomes an nbgrader autograded-answer cell: the learner's
  starter stays, the reference solution goes between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  (nbgrader removes it from the student version). The solution is the cell's ``"solution"`` metadata if it
  has one (source text; removed from the copies), otherwise the ``answer_code`` of the exercise's
  ``helpers.exercises.feedback.Exercise`` (same key) in its ``helpers/exercises/*.py`` module.
- ``"role": "check"`` becomes an autograder-test cell worth the exercise's points: the learner still sees the
  course's check exactly as in the course, and a hidden test runs the same check again and asserts that its
  verdict is ``.ok``. With several check cells the points are split between them.
- ``"role": "help"`` cells (hints, worked solutions) are dropped.
- Every other cell is kept as it is (narrative, set-up and exploration cells stay editable).
"""
import argparse
import ast
import copy
import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
COURSE_ID = "how-filters-learn"
SCHEMA_VERSION = 3  # nbgrader's cell-metadata schema (nbgrader/nbgraderformat/v3.json)

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ""   # what a cleared solution region becomes: nothing, the learner's starter stays and runs
VERDICT = "course_verdict"      # the hidden test's variable

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
    """The check cell as the learner sees it, plus a hidden test: the checker's verdict must be ok.

    The checker call is the cell's last top-level call of a function named check…, or else its last
    expression (so a help-button call after the check does not become the test).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ConversionError(f"{where}exercise {exercise}: the check cell is not plain Python ({error})") from None
    expressions = [statement for statement in tree.body if isinstance(statement, ast.Expr)]
    checks = [statement for statement in expressions if _called_name(statement).startswith("check")]
    if not expressions or (not checks and expressions[-1] is not tree.body[-1]):
        raise ConversionError(f"{where}exercise {exercise}: the check cell must end with the checker call "
                              "(e.g. ex.check_dW12(answer)) whose Feedback it shows")
    call = ast.get_source_segment(source, (checks or expressions)[-1])
    hidden = [BEGIN_HIDDEN,
              f"{VERDICT} = {call}",
              f"display({VERDICT})",
              f'assert {VERDICT}.ok, "exercise {exercise}: " + str({VERDICT})',
              END_HIDDEN]
    return source.rstrip("\n") + "\n" + "\n".join(hidden)


def convert(nb, solutions=None, where=""):
    """The instructor version (nbgrader source) of a course notebook, and {exercise id: points}.

    nb: the notebook as a dict (nbformat 4); it is not changed
    solutions: {exercise id: source} used where an answer cell has no "solution" metadata
               (None: the answer_code of the helpers' Exercise objects, looked up when needed)
    """
    found = exercises_of(nb, where)
    out = copy.deepcopy(nb)
    drop = set()
    for exercise, entry in found.items():
        for k, index in enumerate(entry["answers"]):
            cell = out["cells"][index]
            if cell["cell_type"] != "code":
                raise ConversionError(f"{where}exercise {exercise}: answer cell {index} must be a code cell")
            solution = course_meta(cell).pop("solution", None)
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
    for index, cell in enumerate(out["cells"]):
        meta = course_meta(cell)
        meta.pop("solution", None)
        if meta.get("role") == "help":
            drop.add(index)
    out["cells"] = [cell for index, cell in enumerate(out["cells"]) if index not in drop]
    return out, {exercise: entry["points"] for exercise, entry in found.items()}


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
                    "the course's checks as hidden tests, points per exercise.",
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
