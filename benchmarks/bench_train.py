"""One SGD step of the seed network (batch 64, float32): NumPy (helpers.nn.network) vs the same network in PyTorch,
each in a fresh process with default settings, alternating; then one epoch of 60,000 images, peak memory,
and the accuracy after 3 epochs on Fashion-MNIST (and on the full MNIST when it is in data/cache/).

    .venv/bin/python benchmarks/bench_train.py [--rounds 3] [--steps 300] [--skip-accuracy]

Also rows with both implementations in the same process (1 thread, alternating call by call, median), the
comparison issue 20 asks for: the training step (target ≤ 1.0×), and each conv layer's and the max-pool's
forward + backward (target ≤ 1.5×).

Targets (issue 7): step ≤ 1.0× PyTorch (about 1.5 ms on an idle 2-core machine); one epoch of 60,000
images ≤ 2 s; peak RSS ≤ 300 MB. A step is forward + backward + the SGD update, on batches of real
digits already converted to float32. "1 thread" rows run with OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=
MKL_NUM_THREADS=1 in the child's environment (what notebook 06 sets); the other rows use the defaults.
The machine's load average is printed with the table: other processes make every number noisy.
Peak RSS is resource.getrusage's ru_maxrss of the process that ran the epoch (60,000 uint8 images
held in memory; each BLAS thread adds its own work buffer).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
EPOCH_IMAGES = 60000


# ---------------------------------------------------------------------------- workers (run in a fresh process)

def _peak_rss_mb():
    """Peak resident memory of this process (Linux reports kB). Inherited from the parent at fork, so the
    driver stays small (no torch import) to keep this the worker's own peak."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batches(count=62, size=64):
    from helpers import data

    subset = data.load_subset()
    x = data.to_unit_float(subset.x_train)
    return [(x[i * size:(i + 1) * size], subset.y_train[i * size:(i + 1) * size]) for i in range(count)]


def _layer_pairs():
    """{layer: (numpy forward+backward, torch forward+backward)} for the network's conv and pool layers, float32."""
    import torch
    import torch.nn.functional as F

    from helpers.nn.conv import conv2d, conv2d_backward
    from helpers.nn.pool import maxpool2d, maxpool2d_backward

    rng = np.random.default_rng(0)
    pairs = {}
    for name, (channels, side) in (("conv1 1→6 on 28×28", (1, 28)), ("conv2 6→6 on 13×13", (6, 13))):
        x = rng.standard_normal((64, channels, side, side), dtype=np.float32)
        w = rng.standard_normal((6, channels, 3, 3), dtype=np.float32)
        b = np.zeros(6, np.float32)
        dy = rng.standard_normal((64, 6, side - 2, side - 2), dtype=np.float32)
        tx, tw, tb, tdy = (torch.from_numpy(a) for a in (x, w, b, dy))

        def numpy_conv(x=x, w=w, b=b, dy=dy):
            conv2d(x, w, b)
            conv2d_backward(dy, x, w)

        def torch_conv(tx=tx, tw=tw, tb=tb, tdy=tdy):      # all three gradients, as conv2d_backward gives
            leaves = [t.detach().requires_grad_(True) for t in (tx, tw, tb)]
            torch.autograd.grad(F.conv2d(*leaves), leaves, tdy)

        pairs[f"conv forward + backward, {name}"] = (numpy_conv, torch_conv)
    x = rng.standard_normal((64, 6, 26, 26), dtype=np.float32)
    dy = rng.standard_normal((64, 6, 13, 13), dtype=np.float32)
    tx, tdy = torch.from_numpy(x), torch.from_numpy(dy)

    def numpy_pool():
        maxpool2d(x)
        maxpool2d_backward(dy, x)

    def torch_pool():
        leaf = tx.detach().requires_grad_(True)
        torch.autograd.grad(F.max_pool2d(leaf, 2), leaf, tdy)

    pairs["max-pool 2×2 forward + backward, 64×6×26×26"] = (numpy_pool, torch_pool)
    return pairs


def worker_same_process(steps):
    """Both implementations in this one process, one thread each, alternating call by call; medians (ms)."""
    import torch

    torch.set_num_threads(1)
    numpy_step, _ = _numpy_step()
    torch_step, _ = _torch_step()
    batches = _batches()
    torch_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    calls = {"training step": (lambda i: numpy_step(*batches[i % len(batches)]),
                               lambda i: torch_step(*torch_batches[i % len(batches)]))}
    calls.update({name: (lambda i, f=f: f(), lambda i, g=g: g()) for name, (f, g) in _layer_pairs().items()})
    result = {}
    for name, (numpy_call, torch_call) in calls.items():
        times = {"numpy": [], "torch": []}
        for i in range(20 + steps):
            order = (("numpy", numpy_call), ("torch", torch_call))
            for kind, call in (order if i % 2 == 0 else order[::-1]):    # alternate who goes first
                start = time.perf_counter()
                call(i)
                if i >= 20:                                               # 20 warm-up calls each
                    times[kind].append(time.perf_counter() - start)
        result[name] = {kind: statistics.median(t) * 1e3 for kind, t in times.items()}
    return result


def _numpy_step():
    from helpers.nn import network

    params = network.init_params(seed=0)

    def step(x, y):
        _, grads = network.loss_and_grads(params, x, y)
        for name, grad in grads.items():       # plain SGD, as network.train does
            params[name] -= np.float32(0.1) * grad

    return step, lambda b: b


def _torch_model():
    import torch
    import torch.nn.functional as F

    from helpers.nn import network

    params = [torch.from_numpy(v.copy()).requires_grad_(True) for v in network.init_params(seed=0).values()]

    def forward(x):
        h = F.relu(F.max_pool2d(F.conv2d(x, params[0], params[1]), 2))
        h = F.relu(F.max_pool2d(F.conv2d(h, params[2], params[3]), 2))
        h = F.relu(F.linear(h.flatten(1), params[4], params[5]))
        return F.linear(h, params[6], params[7])

    def step(x, y):
        loss = F.cross_entropy(forward(x), y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= 0.1 * g

    return step, forward


def _torch_step():
    import torch

    step, _ = _torch_model()
    return step, lambda b: (torch.from_numpy(b[0]), torch.from_numpy(b[1]))


def worker_step(kind, steps):
    step, convert = _numpy_step() if kind == "numpy" else _torch_step()
    batches = [convert(b) for b in _batches()]
    for i in range(20):
        step(*batches[i % len(batches)])
    times = []
    for i in range(steps):
        start = time.perf_counter()
        step(*batches[i % len(batches)])
        times.append(time.perf_counter() - start)
    return {"median_ms": statistics.median(times) * 1e3, "mean_ms": statistics.fmean(times) * 1e3,
            "rss_mb": _peak_rss_mb()}


def _epoch_data():
    """60,000 training images: the full MNIST when it is cached, else the 4,000-digit subset tiled 15×."""
    from helpers import data

    cached = all((data.CACHE_DIR / name).is_file() for name, _ in data.MNIST_FILES.values())
    if cached:
        ds = data.load_mnist(mirrors=())  # no mirrors: the cache only, never a download
        return ds.x_train, ds.y_train, "full MNIST (cached)"
    subset = data.load_subset()
    reps = EPOCH_IMAGES // len(subset.y_train)
    return (np.tile(subset.x_train, (reps, 1, 1, 1)), np.tile(subset.y_train, reps),
            f"the shipped subset tiled {reps}× (full MNIST not cached: offline)")


def worker_epoch(kind):
    x, y, source = _epoch_data()
    if kind == "numpy":
        from helpers.nn import network

        params = network.init_params(seed=0)
        start = time.perf_counter()
        network.train(params, x, y, learning_rate=0.1, batch_size=64, epochs=1, snapshot_every=10**9)
        seconds = time.perf_counter() - start
    else:
        import torch

        step, _ = _torch_model()
        start = time.perf_counter()
        order = np.random.default_rng(0).permutation(len(y))
        for first in range(0, len(y) // 64 * 64, 64):
            batch = order[first:first + 64]
            step(torch.from_numpy(x[batch].astype(np.float32) / np.float32(255)), torch.from_numpy(y[batch]))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_mb": _peak_rss_mb(), "source": source}


def worker_accuracy(name):
    from helpers import data
    from helpers.nn import network

    if name == "fashion":
        ds = data.load_fashion_mnist(mirrors=())
    else:
        if not all((data.CACHE_DIR / n).is_file() for n, _ in data.MNIST_FILES.values()):
            return {"accuracy": None, "note": "not available: offline, and no MNIST download in data/cache/"}
        ds = data.load_mnist(mirrors=())
    params = network.init_params(seed=0)
    start = time.perf_counter()
    history = network.train(params, ds.x_train, ds.y_train, learning_rate=0.1, batch_size=64, epochs=3,
                            x_test=ds.x_test, y_test=ds.y_test, snapshot_every=10**9)
    return {"accuracy": history["test_accuracy"][-1], "per_epoch": history["test_accuracy"],
            "seconds": time.perf_counter() - start, "note": ds.note}


# ---------------------------------------------------------------------------- the driver

def run(args, extra_env=None, timeout=1800):
    env = dict(os.environ, **(extra_env or {}))
    done = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "step":
            result = worker_step(rest[0], int(rest[1]))
        elif kind == "same":
            result = worker_same_process(int(rest[0]))
        elif kind == "epoch":
            result = worker_epoch(rest[0])
        else:
            result = worker_accuracy(rest[0])
        print(json.dumps(result))
        return

    # The driver never imports torch: on Linux a child's ru_maxrss starts from its parent's peak at fork,
    # so a driver that had imported torch would inflate every worker's peak RSS.
    from importlib.metadata import version

    load_before = os.getloadavg()
    steps = {}
    for label, env in (("default settings", None), ("1 thread", ONE_THREAD)):
        for _ in range(args.rounds):
            for kind in ("numpy", "torch"):  # alternate, each in a fresh process
                steps.setdefault((label, kind), []).append(run(["step", kind, str(args.steps)], env))
    same = [run(["same", str(args.steps)], ONE_THREAD) for _ in range(args.rounds)]
    epochs = {kind: run(["epoch", kind]) for kind in ("numpy", "torch")}
    epochs_one = {kind: run(["epoch", kind], ONE_THREAD) for kind in ("numpy", "torch")}
    accuracy = {}
    if not args.skip_accuracy:
        accuracy = {name: run(["accuracy", name], ONE_THREAD) for name in ("fashion", "mnist")}
    load_after = os.getloadavg()

    def median(label, kind, field="median_ms"):
        return statistics.median(r[field] for r in steps[(label, kind)])

    print(f"\nSeed network, SGD step at batch 64, float32. NumPy {np.__version__}, PyTorch {version('torch')}, "
          f"{os.cpu_count()} CPUs; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.")
    print(f"Step times: median over {args.steps} steps in each of {args.rounds} fresh processes per "
          "implementation (alternating), then the median of those medians.\n")
    print("| measurement | NumPy (helpers.nn.network) | PyTorch | NumPy / PyTorch | target |")
    print("|---|---|---|---|---|")
    for label in ("default settings", "1 thread"):
        n_ms, t_ms = median(label, "numpy"), median(label, "torch")
        runs_n = ", ".join(f"{r['median_ms']:.2f}" for r in steps[(label, "numpy")])
        runs_t = ", ".join(f"{r['median_ms']:.2f}" for r in steps[(label, "torch")])
        print(f"| step, {label} (ms; runs: {runs_n} / {runs_t}) | {n_ms:.2f} | {t_ms:.2f} | "
              f"{n_ms / t_ms:.2f}× | ≤ 1.0× |")
    for name in same[0]:
        n_ms = statistics.median(r[name]["numpy"] for r in same)
        t_ms = statistics.median(r[name]["torch"] for r in same)
        target = "≤ 1.0×" if name == "training step" else "≤ 1.5×"
        print(f"| {name}, 1 thread, both in one process, alternating ({args.rounds} processes; ms) | "
              f"{n_ms:.2f} | {t_ms:.2f} | {n_ms / t_ms:.2f}× | {target} |")
    for label, result in (("default settings", epochs), ("1 thread", epochs_one)):
        n_s, t_s = result["numpy"]["seconds"], result["torch"]["seconds"]
        print(f"| one epoch of 60,000 images, {label} (s) | {n_s:.2f} | {t_s:.2f} | {n_s / t_s:.2f}× | ≤ 2 s |")
    for label, result in (("default settings", epochs), ("1 thread", epochs_one)):
        rss_n, rss_t = result["numpy"]["rss_mb"], result["torch"]["rss_mb"]
        print(f"| peak RSS of the epoch process, {label} (MB) | {rss_n:.0f} | {rss_t:.0f} | {rss_n / rss_t:.2f}× "
              "| ≤ 300 MB |")
    for name, title in (("fashion", "Fashion-MNIST"), ("mnist", "full MNIST")):
        if name not in accuracy:
            continue
        result = accuracy[name]
        if result["accuracy"] is None:
            print(f"| test accuracy after 3 epochs, {title} | {result['note']} | – | – | – |")
        else:
            per_epoch = ", ".join(f"{100 * a:.1f}%" for a in result["per_epoch"])
            print(f"| test accuracy after 3 epochs, {title} (η 0.1, batch 64; {result['seconds']:.0f} s) | "
                  f"{100 * result['accuracy']:.2f}% (epochs: {per_epoch}) | – | – | – |")
    print(f"\nEpoch data: {epochs['numpy']['source']}.")
    if "fashion" in accuracy:
        print(f"Fashion-MNIST: {accuracy['fashion']['note']}.")


if __name__ == "__main__":
    main()
