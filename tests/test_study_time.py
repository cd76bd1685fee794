"""instructor/study_time.py: the counts behind the guide's read-and-run estimate, and the checkpoint times it
measures from notebooks saved with JupyterLab's execution timing (metadata.execution)."""
import importlib.util

import nbformat
from conftest import NOTEBOOK_DIR, ROOT

spec = importlib.util.spec_from_file_location("study_time", ROOT / "instructor" / "study_time.py")
study_time = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study_time)


def test_checkpoints_are_the_cells_that_call_a_checker():
    path = NOTEBOOK_DIR / "05_update_signs.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    calls = [c for c in cells if c.cell_type == "code" and c.source.lstrip().startswith("ex.check_")]
    held = study_time.counts(path)
    assert held["checkpoints"] == len(calls) >= 3
    assert held["narrative words"] > held["exercise words"] > 0


def test_the_estimate_says_it_is_made_at_assumed_rates():
    table = study_time.estimate_table([NOTEBOOK_DIR / "00_start_here.ipynb"])
    assert "00_start_here" in table and "assumed rates" in table and "measure them" in table


def _saved(tmp_path, name, minutes):
    """A student's saved notebook: a first cell, then two checks run `minutes` after it (None: never run)."""
    def timed(source, at):
        cell = nbformat.v4.new_code_cell(source)
        if at is not None:
            cell.metadata["execution"] = {"iopub.execute_input": f"2026-12-04T10:{at:02d}:00.000Z"}
        return cell
    nb = nbformat.v4.new_notebook(cells=[timed("import numpy", 0), timed("ex.check_update(my_update)", minutes[0]),
                                         timed("ex.check_signs(my_signs)", minutes[1])])
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_checkpoint_times_are_measured_from_the_first_cell(tmp_path):
    saved = [_saved(tmp_path, "ada", (6, 20)), _saved(tmp_path, "grace", (10, None)), _saved(tmp_path, "alan", (8, 30))]
    assert study_time.checkpoint_minutes(saved[0]) == {"ex.check_update": 6.0, "ex.check_signs": 20.0}
    table = study_time.measure_table(saved)
    assert "| `ex.check_update` | 3 of 3 | 8.0 | 6.0–10.0 |" in table
    assert "| `ex.check_signs` | 2 of 3 | 25.0 | 20.0–30.0 |" in table


def test_a_notebook_saved_without_timing_is_named(tmp_path):
    path = tmp_path / "untimed.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("ex.check_update(1)")]), path)
    assert study_time.checkpoint_minutes(path) == {}
    assert "untimed.ipynb" in study_time.measure_table([path])
