"""The exercise cells of every notebook: marked for grading, starters that give nothing away, and a Run All
(untouched starters) whose outputs show no expected answer, no hint and no worked solution.
"""
import json
import re

import numpy as np
import pytest
import sympy as sp
from conftest import NOTEBOOKS, load_notebook, notebook_ids
from exercise_answers import answer_arguments, checkers

CHECKERS = checkers()
WITH_EXERCISES = [path for path in NOTEBOOKS if path.name[:2] in {key[:2] for key in CHECKERS}]
RUN_DEPENDENT = {"06-2"}          # the expected counts come from the learner's own run
RANGES = {"05-3"}                 # any v in an interval is right: no single expected value


def _source(cell):
    return "".join(cell["source"])


def _course(cell):
    return cell.get("metadata", {}).get("course", {})


def _numbers(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text.replace("−", "-"))]


def _low_information(values):
    """Four or fewer entries of −1, 0, 1 (a sign pattern) occur by chance in any printed matrix."""
    values = np.ravel(values)
    return 2 <= values.size <= 4 and np.isin(values, (-1, 0, 1)).all()


def _printed_forms(values):
    as_int = np.asarray(values).astype(int)
    return [str(as_int.tolist()), np.array2string(as_int), np.array2string(as_int.astype(float))]


def _contains_sequence(numbers, values):
    values = list(np.ravel(values).astype(float))
    window = len(values)
    return any(np.allclose(numbers[i:i + window], values) for i in range(len(numbers) - window + 1))


def _expected(key):
    """The expected answer of exercise key (numbers, a SymPy expression, or None for a function/run answer)."""
    args = answer_arguments(key)
    if key in RUN_DEPENDENT | RANGES or callable(args[0]):
        return None
    if key == "03-1":
        return np.array([*args[0], *args[1]], dtype=float)
    if isinstance(args[0], sp.Expr):
        return args[0]
    return np.asarray(args[0], dtype=float)


def _leak_texts(key):
    """Pieces of text that must never appear in an output before the learner asks: solution lines, hints."""
    exercise = CHECKERS[key].exercise
    texts = [line.strip() for line in exercise.solution.splitlines()
             if len(line.strip()) >= 20 and not line.strip().startswith(("```", "def "))]   # a signature is the task
    texts += [hint[:40] for hint in exercise.hints]
    expected = _expected(key)
    if isinstance(expected, sp.Expr):
        texts += [str(expected), sp.latex(expected)]
    return texts


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_every_exercise_has_marked_answer_check_and_help_cells(path):
    cells = load_notebook(path)["cells"]
    keys = sorted(key for key in CHECKERS if key.startswith(path.name[:2]))
    for key in keys:
        roles = [_course(c)["role"] for c in cells if _course(c).get("exercise") == key]
        assert roles.count("answer") == 1 and roles.count("check") >= 1 and "help" in roles, (key, roles)
        answer = next(c for c in cells if _course(c).get("exercise") == key and _course(c)["role"] == "answer")
        assert answer["cell_type"] == "code" and _course(answer)["points"] == CHECKERS[key].exercise.points, key
        order = [_course(c)["role"] for c in cells if _course(c).get("exercise") == key]
        assert order.index("answer") < order.index("check"), key
    marked = {_course(c).get("exercise") for c in cells if _course(c)}
    assert marked == set(keys), f"cells marked for exercises without a checker: {marked - set(keys)}"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_untouched_starters_give_nothing_away(path):
    cells = load_notebook(path)["cells"]
    for cell in cells:
        course = _course(cell)
        if course.get("role") not in ("answer", "check", "help"):
            continue
        key, text = course["exercise"], _source(cell)
        for leak in _leak_texts(key):
            assert leak not in text, f"{path.name} {key}: the {course['role']} cell gives away {leak!r}"
        expected = _expected(key)
        if isinstance(expected, np.ndarray):
            if _low_information(expected):
                assert not any(form in text for form in _printed_forms(expected)), f"{path.name} {key}: {text!r}"
            elif expected.size > 1:
                assert not _contains_sequence(_numbers(text), expected), f"{path.name} {key}: {text!r}"
            elif course["role"] == "answer":
                assert expected.item() not in _numbers(text.split("#")[0]), f"{path.name} {key}: {text!r}"
        if course["role"] == "answer":
            assert "None" in text or "NotImplementedError" in text, f"{path.name} {key}: starter {text!r}"
        if course["role"] == "help":
            assert "solution(" not in text.split("#")[0] and "hint(" not in text.split("#")[0], (
                f"{path.name} {key}: a help cell must not print a hint or the solution on Run All: {text!r}")


def _output_texts(cell):
    texts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            texts.append("".join(output["text"]))
        for mime, value in (output.get("data") or {}).items():
            if mime.startswith("text/") or mime == "application/json":
                texts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list)
                             else json.dumps(value))
    return texts


def _widget_texts(nb):
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return [json.dumps(model.get("state", {}), ensure_ascii=False) for model in state.get("state", {}).values()]


@pytest.mark.notebook
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_run_all_shows_no_expected_answer_hint_or_solution(path):
    from test_notebooks_run import execute

    nb = execute(path)
    keys = sorted(key for key in CHECKERS if key.startswith(path.name[:2]))
    everywhere = [text for cell in nb.cells for text in _output_texts(cell)] + _widget_texts(nb)
    everywhere_numbers = [_numbers(text) for text in everywhere]
    for key in keys:
        exercise_outputs = [text for cell in nb.cells if _course(cell).get("exercise") == key
                            for text in _output_texts(cell)]
        assert any("not answered yet" in text for text in exercise_outputs), f"{key}: {exercise_outputs}"
        for leak in _leak_texts(key):
            found = [text[:200] for text in everywhere if leak in text]
            assert not found, f"{path.name} {key}: an output shows {leak!r}: {found}"
        expected = _expected(key)
        if isinstance(expected, np.ndarray) and _low_information(expected):
            found = [text[:200] for text in everywhere for form in _printed_forms(expected) if form in text]
            assert not found, f"{path.name} {key}: an output shows the expected {expected.tolist()}: {found}"
        elif isinstance(expected, np.ndarray) and expected.size > 1:
            found = [text[:200] for text, numbers in zip(everywhere, everywhere_numbers, strict=True)
                     if _contains_sequence(numbers, expected)]
            assert not found, f"{path.name} {key}: an output shows the expected {expected.tolist()}: {found}"
        elif isinstance(expected, np.ndarray):
            found = [text[:200] for text in exercise_outputs if expected.item() in _numbers(text)]
            assert not found, f"{path.name} {key}: the exercise's output shows {expected.item()}: {found}"


def test_notebook_ids_cover_the_exercise_notebooks():
    assert [p.stem for p in WITH_EXERCISES] == notebook_ids()


def test_the_instructor_guide_gives_every_exercise_its_answer_and_points():
    from conftest import ROOT

    text = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")
    section = text[text.index("## Exercise answers"):]
    section = section[:section.index("\n## ", 5)]
    entries = re.split(r"\n(?=\d\. \(|\*\*0\d )", section)
    for key, check in CHECKERS.items():
        entry = next((e for e in entries if f"({key}, {check.exercise.points}" in e), None)
        assert entry is not None, f"the guide has no answer for {key} with {check.exercise.points} point(s)"
        expected = _expected(key)
        if isinstance(expected, np.ndarray):
            numbers = _numbers(entry.replace(key, ""))
            if key == "04-1":        # written as "I12 = −1, I24 = 2, …": the non-zero entries with their names
                expected = [v for (r, c), value in np.ndenumerate(expected) if value for v in (10 * r + c + 11, value)]
            if key == "03-3":        # written as np.outer(counts, counts): the counts along one axis
                counts = np.sqrt(np.diag(expected))
                assert np.array_equal(np.outer(counts, counts), expected)
                expected = counts
            assert _contains_sequence(numbers, expected), (key, entry)
        elif isinstance(expected, sp.Expr):
            assert all(str(s).replace("delta", "δ") in entry for s in expected.free_symbols), (key, entry)
