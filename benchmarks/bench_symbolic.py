"""Speed of the symbolic derivations (helpers.derive.symbolic) and of notebooks 01 and 02, each in a fresh process.

A "derivation" builds the symbols, the outputs O = I ⋆ W, ∂L/∂W = I ⋆ δ, ∂L/∂b and ∂L/∂I, then
lambdifies all of them into one NumPy function and calls it once — what notebook 03 does. It runs in a
fresh Python process (cold SymPy caches, as a learner's kernel would have them); the time excludes the
imports (sympy, helpers.derive.symbolic, and the NumPy namespace that lambdify loads on its first call),
which are paid once per kernel and reported in their own column. The proof (direct differentiation of an
unknown L(O) and simplification of every difference, `prove_gradients`) is timed the same way, without a
target. Notebooks are executed top to bottom with nbclient, kernel start included, as the tests do.
Each row runs ROUNDS times; the table gives the median and the best (the machine is shared).

Run:  .venv/bin/python benchmarks/bench_symbolic.py [--rounds 3]
Targets: 3×3/2×2 derivation incl. lambdify ≤ 100 ms; 8×8/3×3 ≤ 1 s; each notebook ≤ 20 s.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = {"derive 3×3 image, 2×2 filter (+ lambdify)": (3, 2, 0.100),
               "derive 8×8 image, 3×3 filter (+ lambdify)": (8, 3, 1.0)}
PROOFS = {"prove 3×3 image, 2×2 filter": (3, 2, 1, 0),
          "prove 5×5 image, 3×3 filter, stride 2, padding 1": (5, 3, 2, 1)}
NOTEBOOKS = {"run notebook 01 (nbclient)": "01_convolution_by_hand.ipynb",
             "run notebook 02 (nbclient)": "02_filter_gradient.ipynb"}
NOTEBOOK_TARGET_S = 20.0


def derive_worker(n, k):
    """Fresh process: one full derivation plus lambdify and one numeric call; prints JSON timings."""
    start = time.perf_counter()
    import numpy as np
    import sympy as sp

    from helpers.derive import symbolic
    # lambdify's first call executes `from numpy import *`, loading NumPy's submodules once per process
    # (about 0.1 s); that one-time load is counted with the imports, not with the derivation
    sp.lambdify([sp.Symbol("x")], sp.Symbol("x") + 1, "numpy")
    imported = time.perf_counter()
    I, W = symbolic.image_symbols(n), symbolic.filter_symbols(k)
    O = symbolic.correlate(I, W)
    delta = symbolic.delta_symbols(O.shape[0])
    dW = symbolic.filter_gradient(I, delta)
    db = symbolic.bias_gradient(delta)
    dI = symbolic.input_gradient(W, delta)
    derived = time.perf_counter()
    numeric = sp.lambdify([I.tolist(), W.tolist(), delta.tolist()], [O, dW, db, dI], "numpy")
    rng = np.random.default_rng(0)
    numeric(rng.normal(size=(n, n)), rng.normal(size=(k, k)), rng.normal(size=delta.shape))
    done = time.perf_counter()
    print(json.dumps({"import": imported - start, "derive": derived - imported, "lambdify": done - derived,
                      "work": done - imported}))


def prove_worker(n, k, stride, padding):
    start = time.perf_counter()
    from helpers.derive import symbolic
    imported = time.perf_counter()
    result = symbolic.prove_gradients(n, k, stride, padding)
    done = time.perf_counter()
    if not result["proved"]:
        raise SystemExit(f"not proved: {result}")
    print(json.dumps({"import": imported - start, "work": done - imported}))


def notebook_worker(name):
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    print(json.dumps({"work": time.perf_counter() - start}))


def run_fresh(*args):
    cmd = [sys.executable, __file__, "--worker", *map(str, args)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def fmt(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "derive":
            derive_worker(*map(int, rest))
        elif kind == "prove":
            prove_worker(*map(int, rest))
        else:
            notebook_worker(rest[0])
        return

    rows = []
    for label, (n, k, target) in DERIVATIONS.items():
        rows.append((label, [run_fresh("derive", n, k) for _ in range(args.rounds)], target))
    for label, case in PROOFS.items():
        rows.append((label, [run_fresh("prove", *case) for _ in range(args.rounds)], None))
    for label, name in NOTEBOOKS.items():
        rows.append((label, [run_fresh("notebook", name) for _ in range(args.rounds)], NOTEBOOK_TARGET_S))

    header = (f"{'case (fresh process each round)':<50} {'import':>8} {'derive':>8} {'lambdify':>9}"
              f" {'median':>9} {'best':>9} {'target':>9}  ok")
    print(header)
    for label, results, target in rows:
        work = [r["work"] for r in results]
        median, best = statistics.median(work), min(work)
        parts = [fmt(statistics.median(r[key] for r in results)) if key in results[0] else "—"
                 for key in ("import", "derive", "lambdify")]
        verdict = "—" if target is None else ("✔" if median <= target else "✘")
        target_text = "—" if target is None else fmt(target)
        print(f"{label:<50} {parts[0]:>8} {parts[1]:>8} {parts[2]:>9} {fmt(median):>9} {fmt(best):>9}"
              f" {target_text:>9}  {verdict}")
    print(f"\n{args.rounds} rounds; median and best are of the timed work (derive + lambdify, the proof, or the "
          "whole notebook run including kernel start); 'import' is not part of the target.")


if __name__ == "__main__":
    main()
