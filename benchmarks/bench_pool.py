"""2×2 max-pool forward + backward on 64×6×26×26 float32: NumPy (helpers.nn.pool) vs PyTorch's max_pool2d
with autograd, each timed in a fresh process, alternating; then the stepping widget's redraw time.

    .venv/bin/python benchmarks/bench_pool.py [--rounds 5] [--repeats 300]

Target (issue 5): NumPy ≤ 1.5× PyTorch; every widget redraw ≤ 100 ms.
"""
import argparse
import json
import os
import subprocess
import sys
import textwrap

SHAPE = (64, 6, 26, 26)

SETUP = textwrap.dedent(f"""
    import json, time
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal({SHAPE}).astype(np.float32)
    dy = rng.standard_normal({SHAPE[:2]} + ({SHAPE[2] // 2}, {SHAPE[3] // 2})).astype(np.float32)
""")

STEPS = {
    "numpy maxpool2d + maxpool2d_backward": """
from helpers.nn.pool import maxpool2d, maxpool2d_backward
def step():
    y = maxpool2d(x, 2)
    return maxpool2d_backward(dy, x, 2)
""",
    "torch max_pool2d + autograd": """
import torch
xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
def step():
    leaf = xt.detach().requires_grad_(True)
    y = torch.nn.functional.max_pool2d(leaf, 2)
    y.backward(dyt)
    return leaf.grad
""",
}

TIMER = """
for _ in range(20):
    step()
times = []
for _ in range({repeats}):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
print(json.dumps([float(np.median(times)) * 1e3, float(np.min(times)) * 1e3]))
"""

WIDGET = """
import json, time
import numpy as np
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
from helpers.widgets.pool_stepper import EXAMPLES, PoolStepper
widget = PoolStepper()
times = []
for name in EXAMPLES:
    start = time.perf_counter()
    widget.example.value = name
    times.append(time.perf_counter() - start)
    for rule in ("first", "split", "all"):
        widget.rule.value = rule
        for k in list(range(1, widget.slider.max + 1)) * 3:
            start = time.perf_counter()
            widget.slider.value = k
            times.append(time.perf_counter() - start)
print(json.dumps([float(np.median(times)) * 1e3, float(np.max(times)) * 1e3, len(times)]))
"""


def run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per implementation")
    parser.add_argument("--repeats", type=int, default=300, help="timed calls per process")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
        steps = STEPS
    except ImportError:
        print("PyTorch is not installed: timing NumPy only")
        steps = {k: v for k, v in STEPS.items() if not k.startswith("torch")}
    medians = {name: [] for name in steps}
    fastest = {name: [] for name in steps}
    for _ in range(args.rounds):  # alternate, so load from other processes hits every implementation alike
        for name, code in steps.items():
            median_ms, min_ms = run(SETUP + code + TIMER.format(repeats=args.repeats))
            medians[name].append(median_ms)
            fastest[name].append(min_ms)
    best = {name: min(values) for name, values in medians.items()}
    floor = {name: min(values) for name, values in fastest.items()}
    torch_name = "torch max_pool2d + autograd"
    print(f"2×2 max-pool forward + backward, {'×'.join(map(str, SHAPE))} float32, {args.rounds} fresh processes "
          f"per implementation × {args.repeats} calls, alternating; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print("median = median call of the best process; fastest = fastest single call (least disturbed by load)")
    print(f"| {'implementation':<38} | median ms | fastest ms | ratio (median) | ratio (fastest) |")
    print(f"|{'-' * 40}|-----------|------------|----------------|-----------------|")
    for name in steps:
        if torch_name in steps:
            ratios = f"{best[name] / best[torch_name]:13.2f}× | {floor[name] / floor[torch_name]:14.2f}×"
        else:
            ratios = f"{'n/a':>14} | {'n/a':>15}"
        print(f"| {name:<38} | {best[name]:9.3f} | {floor[name]:10.3f} | {ratios} |")
    median_ms, max_ms, count = run(WIDGET)
    print()
    print(f"stepping widget redraw (fresh process, {count} redraws over every example, rule and window): "
          f"median {median_ms:.2f} ms, max {max_ms:.2f} ms (target ≤ 100 ms)")


if __name__ == "__main__":
    main()
