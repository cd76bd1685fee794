"""Speed of conv2d forward + backward: helpers.nn.conv (NumPy) against PyTorch CPU, each in a fresh process.

The two conv layers of the seed network (notebook 06), batch N=64, 3×3 filters, stride 1, no padding:
  conv1: 1 → 6 channels on 28×28;  conv2: 6 → 6 channels on 13×13.
One "step" is the forward pass and the full backward pass (dx, dw, db: PyTorch's x requires grad too,
so both compute the same three gradients). Every (implementation, layer, dtype) runs in its own fresh
Python process, NumPy and PyTorch alternating, several rounds; each process warms up, then reports its
fastest timed block of 10 steps (the least disturbed by other processes on the shared cores).
The table gives the median over rounds and the best round, and the ratio NumPy / PyTorch of the
medians (≤ 1 means NumPy is at least as fast).

Run:  .venv/bin/python benchmarks/bench_conv.py [--rounds 5]
Targets (float32): conv1 ≤ 1.0× PyTorch, conv2 ≤ 1.5× PyTorch.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

LAYERS = {"conv1 1→6 28×28": (64, 1, 6, 28), "conv2 6→6 13×13": (64, 6, 6, 13)}
# conv1 as a network trains it: its input is data, so no dx (NumPy: the cols fast path with need_dx=False;
# PyTorch: x does not require grad). Reported in extra rows, not counted against the targets.
NO_DX_LAYER = "conv1 no dx"
DTYPES = ("float32", "float64")
WARMUP_CALLS, BLOCKS, CALLS_PER_BLOCK = 20, 15, 10


def _timed_blocks(step):
    for _ in range(WARMUP_CALLS):
        step()
    blocks = []
    for _ in range(BLOCKS):
        start = time.perf_counter()
        for _ in range(CALLS_PER_BLOCK):
            step()
        blocks.append((time.perf_counter() - start) / CALLS_PER_BLOCK)
    return min(blocks)  # the least disturbed block: other processes share the 2 cores


def worker(impl, layer, dtype_name):
    """Runs in a fresh process: time one (implementation, layer, dtype); print seconds per step as JSON."""
    import numpy as np

    n_images, channels, filters, size = LAYERS["conv1 1→6 28×28" if layer == NO_DX_LAYER else layer]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n_images, channels, size, size)).astype(dtype_name)
    w = (rng.standard_normal((filters, channels, 3, 3)) * 0.3).astype(dtype_name)
    b = rng.standard_normal(filters).astype(dtype_name)
    upstream = rng.standard_normal((n_images, filters, size - 2, size - 2)).astype(dtype_name)
    if impl == "numpy":
        from helpers.nn.conv import conv2d, conv2d_backward

        def step():
            conv2d(x, w, b)
            conv2d_backward(upstream, x, w)
    else:
        import torch
        import torch.nn.functional as F

        tx = torch.from_numpy(x).requires_grad_(layer != NO_DX_LAYER)
        tw = torch.from_numpy(w).requires_grad_(True)
        tb = torch.from_numpy(b).requires_grad_(True)
        tdy = torch.from_numpy(upstream)

        def step():
            tx.grad = tw.grad = tb.grad = None
            y = F.conv2d(tx, tw, tb)
            y.backward(tdy)
    print(json.dumps({"seconds": _timed_blocks(step)}))


def run_one(impl, layer, dtype_name):
    cmd = [sys.executable, __file__, "--worker", impl, layer, dtype_name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per implementation and case")
    parser.add_argument("--worker", nargs=3, metavar=("IMPL", "LAYER", "DTYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    try:
        import torch  # noqa: F401

        impls = ("numpy", "torch")
    except ImportError:
        impls = ("numpy",)
        print("PyTorch not installed: NumPy only (pip install torch==2.13.0 for the comparison)")
    times = {}
    cases = [*LAYERS]
    for round_index in range(args.rounds):
        for layer in cases:
            for dtype_name in DTYPES:
                order = impls if round_index % 2 == 0 else impls[::-1]  # alternate who goes first
                for impl in order:
                    times.setdefault((layer, dtype_name, impl), []).append(run_one(impl, layer, dtype_name))
    print(f"conv2d forward + backward (dx, dw, db), N=64, 3×3, "
          f"{args.rounds} fresh processes each; ms per step")
    header = f"| {'layer':<16} | {'dtype':<7} | {'NumPy median (best)':>20} |"
    if "torch" in impls:
        header += f" {'PyTorch median (best)':>22} | {'ratio NumPy/PyTorch':>19} |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for layer in cases:
        for dtype_name in DTYPES:
            ours = times[(layer, dtype_name, "numpy")]
            line = f"| {layer:<16} | {dtype_name:<7} | {_cell(ours):>20} |"
            if "torch" in impls:
                theirs = times[(layer, dtype_name, "torch")]
                ratio = statistics.median(ours) / statistics.median(theirs)
                line += f" {_cell(theirs):>22} | {ratio:>18.2f}× |"
            print(line)


def _cell(seconds):
    return f"{statistics.median(seconds) * 1e3:.3f} ({min(seconds) * 1e3:.3f})"


if __name__ == "__main__":
    main()
