"""How long a learner needs per notebook: counted from the notebooks, or measured at their checkpoints.

    .venv/bin/python instructor/study_time.py                          # what the notebooks hold, and an estimate
    .venv/bin/python instructor/study_time.py --measure SAVED.ipynb …  # measured: your students' saved notebooks

Without --measure it counts, per notebook, the words of the narrative and of the exercises, the code lines,
the "Predict" prompts and the checkpoints (the cells that call a checker, ex.check_…), and turns the counts into
a read-and-run estimate at the rates in RATES. The rates are assumptions, not measurements of this course's
learners; the table says so.

--measure reads notebooks that students saved with JupyterLab's execution timing on (Settings → Notebook →
"Recording timing", or {"recordTiming": true} in @jupyterlab/notebook-extension:tracker): each code cell then
carries the time it ran. For each notebook it prints, per checkpoint, the minutes from the first cell run to the
last run of that check (its median and range over the students), and the number of students who reached it.
"""
import argparse
import re
import statistics
import sys
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = re.compile(r"^\s*ex\.check_\w+\(", re.MULTILINE)
# Assumed rates for the estimate (not measured on learners): careful reading of technical prose with formulas,
# reading a line of code, running a cell and looking at its output, thinking before a "Predict" is revealed.
RATES = {"words per minute": 120, "seconds per code line": 6, "seconds per code cell": 20,
         "minutes per prediction": 1}


def counts(path):
    """What one notebook holds: words (narrative, exercises), code cells and lines, predictions, checkpoints."""
    cells = nbformat.read(path, as_version=4).cells
    starts = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    first_exercise = starts[0] if starts else len(cells)
    result = {"narrative words": 0, "exercise words": 0, "code cells": 0, "code lines": 0, "predictions": 0,
              "checkpoints": 0}
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            result["exercise words" if index >= first_exercise else "narrative words"] += len(cell.source.split())
            result["predictions"] += len(re.findall(r"\*\*Predict", cell.source))
        elif cell.cell_type == "code":
            result["code cells"] += 1
            result["code lines"] += len(cell.source.splitlines())
            result["checkpoints"] += bool(CHECKPOINT.search(cell.source))
    return result


def read_and_run_minutes(held):
    """The estimate, in minutes, of reading and running a notebook's narrative (exercises not included)."""
    return (held["narrative words"] / RATES["words per minute"]
            + held["code lines"] * RATES["seconds per code line"] / 60
            + held["code cells"] * RATES["seconds per code cell"] / 60
            + held["predictions"] * RATES["minutes per prediction"])


def estimate_table(notebooks):
    rows = ["| Notebook | narrative words | exercise words | code cells | code lines | predictions | checkpoints "
            "| read-and-run estimate (min) |", "|---|---|---|---|---|---|---|---|"]
    for path in notebooks:
        held = counts(path)
        rows.append(f"| {path.stem} | " + " | ".join(str(held[key]) for key in held)
                    + f" | {read_and_run_minutes(held):.0f} |")
    rates = ", ".join(f"{value} {name}" for name, value in RATES.items())
    return "\n".join(rows) + f"\n\nEstimate at assumed rates ({rates}); the exercises are not in it: measure them."


def _ran_at(cell):
    timing = cell.get("metadata", {}).get("execution", {})
    stamp = timing.get("iopub.execute_input") or timing.get("shell.execute_reply")
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def checkpoint_minutes(path):
    """{checkpoint label: minutes from the notebook's first timed cell to that check's last run} for one saved
    notebook; an empty dict when it carries no timing (recordTiming was off)."""
    cells = nbformat.read(path, as_version=4).cells
    times = [t for t in map(_ran_at, cells) if t]
    if not times:
        return {}
    start = min(times)
    reached = {}
    for cell in cells:
        match = CHECKPOINT.search(cell.source) if cell.cell_type == "code" else None
        ran = _ran_at(cell) if match else None
        if ran:
            reached[match.group(0).strip().rstrip("(")] = (ran - start).total_seconds() / 60
    return reached


def measure_table(saved):
    by_checkpoint, untimed = {}, []
    for path in saved:
        minutes = checkpoint_minutes(path)
        if not minutes:
            untimed.append(path.name)
        for label, value in minutes.items():
            by_checkpoint.setdefault(label, []).append(value)
    rows = ["| checkpoint | students who ran it | median minutes from the first cell | range |", "|---|---|---|---|"]
    for label, values in by_checkpoint.items():
        rows.append(f"| `{label}` | {len(values)} of {len(saved)} | {statistics.median(values):.1f} | "
                    f"{min(values):.1f}–{max(values):.1f} |")
    if untimed:
        rows.append(f"\nNo timing in {len(untimed)} notebook(s) (recordTiming was off): {', '.join(untimed)}")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", nargs="+", type=Path, metavar="SAVED", help="students' saved notebooks")
    args = parser.parse_args(argv)
    if args.measure:
        print(measure_table(args.measure))
    else:
        print(estimate_table(sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))))


if __name__ == "__main__":
    sys.exit(main())
