"""Run a notebook's code cells in a fresh Python process, as a kernel would, and hand back what they left.

A fresh process matters: the notebooks ask for one BLAS thread before NumPy is imported, and a test process
has imported NumPy long before (with as many BLAS threads as cores, which on a busy machine makes the small
products of the seed network many times slower). Used by tests/test_rerun_06.py and tests/test_guide_numbers.py.

    python tests/notebook_cells.py NOTEBOOK OUT.pkl PLAN.json
PLAN: {"until": cell id or null, "skip": [ids], "again": [ids], "keep": [variable names]}. The code cells run
in order up to the notebook's "## Exercises" heading (or through ``until``); then each cell of "again" runs
once more. OUT.pkl gets {"printed": {id: text}, "phases": [{name: value}, ...]}: one phase after the first
pass and one after each extra cell.
"""
import contextlib
import copy
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(notebook, until=None, skip=(), again=(), keep=(), timeout=300):
    """Run in a child process (one BLAS thread, cwd = the notebook's folder); returns the OUT dict."""
    with tempfile.TemporaryDirectory() as folder:
        out, plan = Path(folder) / "out.pkl", Path(folder) / "plan.json"
        plan.write_text(json.dumps({"until": until, "skip": list(skip), "again": list(again), "keep": list(keep)}))
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, __file__, str(notebook), str(out), str(plan)], check=True, env=env,
                       cwd=Path(notebook).parent, timeout=timeout)
        with out.open("rb") as handle:
            return pickle.load(handle)


def _main(notebook, out, plan_path):
    import matplotlib.pyplot as plt

    plan = json.loads(Path(plan_path).read_text())
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    code = {}
    for cell in cells:
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith("## Exercises"):
            break
        if cell["cell_type"] == "code":
            code[cell["id"]] = "".join(cell["source"])
    namespace, printed, phases = {"__name__": "__main__"}, {}, []

    def execute(cell_id):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code[cell_id], cell_id, "exec"), namespace)
        plt.close("all")
        printed[cell_id] = buffer.getvalue()

    def snapshot():
        phases.append({name: copy.deepcopy(namespace[name]) for name in plan["keep"] if name in namespace})

    for cell_id in code:
        if cell_id not in plan["skip"]:
            execute(cell_id)
        if cell_id == plan["until"]:
            break
    snapshot()
    for cell_id in plan["again"]:
        execute(cell_id)
        snapshot()
    with open(out, "wb") as handle:
        pickle.dump({"printed": printed, "phases": phases}, handle)


if __name__ == "__main__":
    _main(*sys.argv[1:4])
