"""Every notebook top to bottom on ONE core, as a learner's kernel runs it: wall time and peak kernel memory.

    .venv/bin/python benchmarks/bench_notebooks.py [--only 00,06] [--rounds 3] [--core 0] [--against PATH]

Each round starts a fresh kernel (nbclient) pinned to one core, with the notebook's folder as working directory,
and runs every code cell in order. It prints, per notebook, the median over rounds of the kernel start, the
cells' time and the total, and the kernel's peak RSS (VmHWM), and the slowest cells of the last round.
--against PATH times the same notebooks in another checkout of the course (e.g. a `git worktree` of an earlier
commit), alternating with this one round by round, so that both see the same machine load.

Targets (the course's budgets): each notebook ≤ 15 s in all on one core, kernel peak RSS ≤ 1 GB; notebook 00
≤ 3 s. The machine's load average is printed with the table: other processes make every number noisy.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _worker(notebook, core):
    """Run one notebook in a fresh kernel pinned to `core`; print one line: start cells total rss_mb slowest."""
    import nbformat
    from nbclient import NotebookClient

    os.sched_setaffinity(0, {core})          # the kernel inherits this process's single core
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(notebook).parent)}})
    began = time.perf_counter()
    times = []
    with client.setup_kernel():
        started = time.perf_counter()
        pid = client.km.provisioner.pid
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t = time.perf_counter()
            client.execute_cell(cell, index)
            times.append((time.perf_counter() - t, cell.get("id", str(index))))
        with open(f"/proc/{pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    total = time.perf_counter() - began
    slowest = ",".join(f"{cid}={t:.2f}" for t, cid in sorted(times, reverse=True)[:4])
    print(f"{started - began:.3f} {sum(t for t, _ in times):.3f} {total:.3f} {rss:.0f} {slowest}")


def _time(checkout, notebook, core):
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(checkout)}
    result = subprocess.run([sys.executable, __file__, "--worker", str(checkout / "notebooks" / notebook),
                             "--core", str(core)], env=env, capture_output=True, text=True, check=True)
    start, cells, total, rss, slowest = result.stdout.strip().splitlines()[-1].split(" ", 4)
    return {"start": float(start), "cells": float(cells), "total": float(total), "rss": float(rss),
            "slowest": slowest}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated notebook numbers, e.g. 00,06")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--core", type=int, default=0)
    parser.add_argument("--against", type=Path, help="another checkout of the course to time alongside")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.core)
        return
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        wanted = set(args.only.split(","))
        notebooks = [n for n in notebooks if n[:2] in wanted]
    checkouts = [("this", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
    print(f"load average {os.getloadavg()[0]:.2f}; one core (#{args.core}); {args.rounds} rounds; medians")
    print("| notebook | checkout | kernel start (s) | cells (s) | total (s) | kernel peak RSS (MB) | slowest cells "
          "(last round) |\n|---|---|---|---|---|---|---|")
    for notebook in notebooks:
        runs = {name: [] for name, _ in checkouts}
        for _ in range(args.rounds):
            for name, checkout in checkouts:
                if (checkout / "notebooks" / notebook).exists():
                    runs[name].append(_time(checkout, notebook, args.core))
        for name, measured in runs.items():
            if not measured:
                continue
            med = {key: statistics.median(m[key] for m in measured) for key in ("start", "cells", "total", "rss")}
            print(f"| {notebook} | {name} | {med['start']:.2f} | {med['cells']:.2f} | {med['total']:.2f} | "
                  f"{med['rss']:.0f} | {measured[-1]['slowest']} |")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
