"""The converged study: the seed network trained to convergence from many seeds on two data sets, stored.

    python -m helpers.study [--seeds 10] [--data subset fashion_subset] [--out data/study.npz]

Each run uses notebook 06's settings (plain SGD, η = LEARNING_RATE, batches of BATCH_SIZE, He start) and
trains until it has converged by a stated rule: at least MIN_EPOCHS epochs, and then until the held-out
accuracy gains less than PLATEAU_GAIN over the last PLATEAU_EPOCHS epochs (at most MAX_EPOCHS; whether
the rule was met is stored). See run_seed for how a run is seeded: its first epochs are what notebook 06
trains live, so 06 can show that a live rerun matches the stored record.

Stored per data set, one row per seed (the file's keys are "<data set>/<field>"):
  snapshots/<layer>  conv1.w and conv2.w after each epoch of SNAPSHOT_EPOCHS (0 = the start); end/<layer> at the end
  drift              per MOVE_KEYS layer, from start to end: the numbers of DRIFT_FIELDS
  epochs, converged  how long each run trained, and whether the plateau rule was met
  train_loss, test_accuracy  per epoch (NaN after a run's last epoch): the learning curve
  moves              per step and MOVE_KEYS layer, how many weights the step moved up and down (uint16)
  diverged           a run that diverged keeps what it recorded up to then and is marked here, never averaged in
The file is written with fixed zip time stamps, so its bytes depend only on the seeds, the data and the
library versions (recorded in "meta", with the command).
"""
import io
import json
import os
import platform
import time
import zipfile

import numpy as np

from helpers import data
from helpers.door import checked, integer_in, mapping, real_array
from helpers.nn import network
from helpers.study.filter_study import chance_of_at_least, match_filters, orientation_score, pair_scores

LEARNING_RATE, BATCH_SIZE = 0.1, 64            # notebook 06's settings
MIN_EPOCHS, MAX_EPOCHS = 30, 60
PLATEAU_EPOCHS, PLATEAU_GAIN = 5, 0.001        # "gains less than 0.1 point over 5 epochs"
SNAPSHOT_EPOCHS = (0, 1, 3, 10, 30)
DATA_SETS = ("subset", "fashion_subset")
STUDY_PATH = data.DATA_DIR / "study.npz"
SIZES = {k: int(np.prod(network.SHAPES[k])) for k in network.MOVE_KEYS}


def converged(accuracy):
    """The stated rule, on the held-out accuracies after epochs 1, 2, …: True once training may stop."""
    return len(accuracy) >= MIN_EPOCHS and accuracy[-1] - accuracy[-1 - PLATEAU_EPOCHS] < PLATEAU_GAIN


DRIFT_FIELDS = ("ended_higher", "ended_lower", "mean_change", "negative_start", "negative_end",
                "to_negative", "to_positive")


def drift(start, end):
    """One layer's net drift from start to end: the numbers of DRIFT_FIELDS (shares, mean, then counts)."""
    return [np.mean(end > start), np.mean(end < start), np.mean(end - start), np.sum(start < 0), np.sum(end < 0),
            np.sum((start >= 0) & (end < 0)), np.sum((start < 0) & (end >= 0))]


def run_seed(dataset, seed):
    """One run to convergence (or divergence). Returns a dict of arrays: one row of the study's fields.

    The first MIN_EPOCHS epochs are one call, network.train(..., epochs=MIN_EPOCHS, seed=seed): exactly
    the run notebook 06 trains live (its first epochs give the same weights). Each later epoch e is a call
    of its own with seed 1000·seed + e, until the plateau rule is met.
    """
    params = network.init_params(seed=seed)
    start = {k: params[k].copy() for k in network.MOVE_KEYS}
    steps = len(dataset.y_train) // BATCH_SIZE
    histories, diverged = [], False
    while not diverged:
        epochs_done = sum(len(h["epoch_steps"]) for h in histories)
        try:
            histories.append(network.train(
                params, dataset.x_train, dataset.y_train, learning_rate=LEARNING_RATE, batch_size=BATCH_SIZE,
                epochs=MIN_EPOCHS if not histories else 1, seed=1000 * seed + epochs_done if histories else seed,
                x_test=dataset.x_test, y_test=dataset.y_test, snapshot_every=steps))
        except network.TrainingDiverged as error:
            histories.append(error.history)
            diverged = True
        accuracy = [a for h in histories for a in h["test_accuracy"]]
        if converged(accuracy) or len(accuracy) >= MAX_EPOCHS:
            break
    first = histories[0]
    at = dict(zip(first["snapshot_steps"], first["snapshots"], strict=True))
    last = [at.get(epoch * steps, at[max(at)]) for epoch in SNAPSHOT_EPOCHS]   # a diverged run: its last good one
    row = {f"snapshots/{k}": np.array([snapshot[k] for snapshot in last]) for k in network.FILTER_KEYS}
    row.update({f"end/{k}": params[k].copy() for k in network.FILTER_KEYS})
    row["drift"] = np.array([drift(start[k], params[k]) for k in network.MOVE_KEYS])
    losses = [np.mean(h["loss"][i * steps:(i + 1) * steps]) for h in histories for i in range(len(h["epoch_steps"]))]
    padding = [np.nan] * (MAX_EPOCHS - len(accuracy))
    moves = [[(round(h["moves"][k]["up"][i] * SIZES[k]), round(h["moves"][k]["down"][i] * SIZES[k]))
              for k in network.MOVE_KEYS] for h in histories for i in range(len(h["loss"]))]
    row.update(epochs=len(accuracy), converged=converged(accuracy), diverged=diverged,
               train_loss=np.array(losses + padding, np.float32), test_accuracy=np.array(accuracy + padding),
               moves=np.array(moves, np.uint16))
    return row


def study(seeds=10, data_sets=DATA_SETS):
    """Every (data set, seed) run; returns {key: array} and the metadata, as write() stores them."""
    arrays, began = {}, time.perf_counter()
    loaded = {name: data.load(name) for name in data_sets}
    for name, dataset in loaded.items():
        if dataset.name != name:            # full MNIST or Fashion-MNIST is an option: only when it is there
            print(f"skipping {name}: {dataset.note}")
    runs = [(name, seed) for name in data_sets if loaded[name].name == name for seed in range(seeds)]
    for done, (name, seed) in enumerate(runs):
        row = run_seed(loaded[name], seed)
        for key, value in row.items():
            arrays.setdefault(f"{name}/{key}", []).append(value)
        elapsed, bar = time.perf_counter() - began, "#" * (20 * (done + 1) // len(runs))
        print(f"[{bar:20s}] {done + 1}/{len(runs)} {name} seed {seed}: {row['epochs']} epochs, held-out "
              f"accuracy {100 * row['test_accuracy'][row['epochs'] - 1]:.1f} %{' (DIVERGED)' * row['diverged']}; "
              f"{elapsed:.0f} s so far, ETA {elapsed / (done + 1) * (len(runs) - done - 1):.0f} s")
    longest = {key: max(len(v) for v in values) for key, values in arrays.items() if key.endswith("/moves")}
    for key, length in longest.items():        # runs differ in length: pad the per-step counts with zeros
        arrays[key] = [np.pad(v, ((0, length - len(v)), (0, 0), (0, 0))) for v in arrays[key]]
    meta = {"command": f"python -m helpers.study --seeds {seeds} --data {' '.join(data_sets)}", "seeds": seeds,
            "data_sets": sorted({name for name, _ in runs}), "learning_rate": LEARNING_RATE, "batch_size": BATCH_SIZE,
            "min_epochs": MIN_EPOCHS, "max_epochs": MAX_EPOCHS, "plateau_epochs": PLATEAU_EPOCHS,
            "plateau_gain": PLATEAU_GAIN, "snapshot_epochs": list(SNAPSHOT_EPOCHS),
            "drift_fields": list(DRIFT_FIELDS), "move_keys": list(network.MOVE_KEYS),
            "steps_per_epoch": {name: len(loaded[name].y_train) // BATCH_SIZE for name, _ in set(runs)},
            "versions": {"python": platform.python_version(), "numpy": np.__version__}}
    return {key: np.stack(values) for key, values in arrays.items()}, meta


def write(arrays, meta, path=STUDY_PATH):
    """An .npz whose bytes depend only on its contents (fixed zip time stamps, sorted keys)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(arrays[key]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue(),
                             compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(zipfile.ZipInfo("meta.json", date_time=(1980, 1, 1, 0, 0, 0)),
                         json.dumps(meta, indent=1, sort_keys=True), compress_type=zipfile.ZIP_DEFLATED)


def _load_args(path):
    if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
        raise ValueError(f"path must be the study's .npz file (python -m helpers.study writes one); got {path!r:.80}")
    return {"path": path}


@checked(_load_args)
def load(path=STUDY_PATH):
    """The stored study: ({key: array}, meta)."""
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("meta.json"))
    with np.load(path) as stored:
        return {key: stored[key] for key in stored.files if key != "meta.json"}, meta


# ---------------------------------------------------------------------------- reading the study (notebook 06)

FIELDS = ("epochs", "converged", "diverged", "train_loss", "test_accuracy", "moves", "drift", "snapshots/conv1.w",
          "snapshots/conv2.w", "end/conv1.w", "end/conv2.w")
META = ("data_sets", "seeds", "snapshot_epochs", "steps_per_epoch", "drift_fields", "move_keys", "max_epochs")


def study_args(study, meta, **rest):
    """The door of the functions that read the study: (study, meta) as load() returns them."""
    mapping(study, "study", "the arrays converged.load() returns")
    mapping(meta, "meta", "the metadata converged.load() returns")
    if any(key not in meta for key in META) or not all(isinstance(name, str) for name in meta["data_sets"]):
        raise ValueError(f"meta must be the metadata converged.load() returns, with {', '.join(META)}")
    missing = [f"{name}/{field}" for name in meta["data_sets"] for field in FIELDS if f"{name}/{field}" not in study]
    if missing:
        raise ValueError(f"study lacks {missing[0]}: pass the arrays converged.load() returns")
    return {"study": study, "meta": meta, **rest}


def _cut(cut):
    if isinstance(cut, bool) or not isinstance(cut, (int, float, np.floating)) or not 0 <= cut <= 1:
        raise ValueError(f"cut must be an orientation score from 0 to 1; got {cut!r:.40}")
    return float(cut)


def _edge_args(study, meta, cut):
    return study_args(study, meta, cut=_cut(cut))


def _seeds_args(study, meta, random):
    random = real_array(random, "random")
    if random.ndim != 5 or len(random) < 2 or random.shape[1:] != network.SHAPES["conv1.w"]:
        raise ValueError(f"random must be a stack of at least two conv1 banks (P, 6, 1, 3, 3); got {random.shape}")
    return study_args(study, meta, random=random)


def _record_args(params, study, meta, name, epochs):
    arguments = study_args(study, meta, name=str(name), epochs=integer_in(epochs, "epochs", 0, 10**6))
    mapping(params, "params", "a dict like init_params() returns")
    if any(np.shape(params.get(k)) != network.SHAPES[k] for k in network.FILTER_KEYS):
        raise ValueError("params must hold conv1.w and conv2.w of the network's shapes, as init_params() returns")
    return {"params": params, **arguments}


def _history_args(study, meta, name, seed):
    arguments = study_args(study, meta)
    if name not in meta["data_sets"]:
        raise ValueError(f"name must be one of the study's data sets {meta['data_sets']}; got {name!r:.40}")
    return {**arguments, "name": name, "seed": integer_in(seed, "seed", 0, meta["seeds"] - 1)}


def _raw_args(dataset):
    if not all(hasattr(dataset, key) for key in ("x_train", "y_train", "x_test", "y_test")):
        raise TypeError(f"dataset must be what helpers.data.load returns; got {type(dataset).__name__}")
    return {"dataset": dataset}


def finished(study, name):
    """{field: its rows} of the runs on `name` that did not diverge: the only runs any table summarizes."""
    keep = ~study[f"{name}/diverged"].astype(bool)
    return {field: study[f"{name}/{field}"][keep] for field in FIELDS}


def _names_args(meta):
    if not isinstance(meta, dict) or not isinstance(meta.get("data_sets"), list):
        raise TypeError(f"meta must be the metadata converged.load() returns; got {type(meta).__name__}")
    return {"meta": meta}


@checked(_names_args)
def names(meta):
    """The study's data sets, the course's own digits first."""
    return sorted(meta["data_sets"], key=lambda name: DATA_SETS.index(name) if name in DATA_SETS else len(DATA_SETS))


@checked(study_args)
def runs_table(study, meta):
    """How long every run trained and where it ended, one row per data set (Markdown)."""
    rows = ["| data set | seeds | epochs trained | plateau rule met | diverged | held-out accuracy at the end "
            "(mean, lowest–highest) | training loss, last epoch (mean) |", "|---|---|---|---|---|---|---|"]
    for name in names.unchecked(meta):
        runs = finished(study, name)
        epochs, accuracy = runs["epochs"], runs["test_accuracy"]
        final = accuracy[np.arange(len(epochs)), epochs - 1]
        loss = runs["train_loss"][np.arange(len(epochs)), epochs - 1]
        diverged = study[f"{name}/diverged"].sum()
        rows.append(f"| {name} | {len(study[f'{name}/epochs'])} | {epochs.min()}–{epochs.max()} "
                    f"| {study[f'{name}/converged'].sum()} | {diverged}{' (left out of every table)' * bool(diverged)} "
                    f"| {100 * final.mean():.1f} % ({100 * final.min():.1f}–{100 * final.max():.1f} %) "
                    f"| {loss.mean():.3f} |")
    return "\n".join(rows)


def _counts_args(study, name, cut, moment):
    mapping(study, "study", "the arrays converged.load() returns")
    if not isinstance(name, str) or f"{name}/end/conv1.w" not in study or f"{name}/diverged" not in study:
        raise ValueError(f"name must be a data set of the study; got {name!r:.40}")
    if moment not in ("end", "start"):
        raise ValueError(f"moment must be 'end' or 'start'; got {moment!r:.40}")
    return {"study": study, "name": name, "cut": _cut(cut), "moment": moment}


@checked(_counts_args)
def edge_counts(study, name, cut, moment="end"):
    """Per seed, how many conv1 filters score above cut (orientation_score) at the end or at the start."""
    runs = finished(study, name)
    filters = runs["end/conv1.w"] if moment == "end" else runs["snapshots/conv1.w"][:, 0]
    return (orientation_score(filters[:, :, 0]) > cut).sum(axis=1)


@checked(_edge_args)
def edge_table(study, meta, cut):
    """Filters above the random filters' 95th-percentile cut, trained and at the start, against chance (Markdown)."""
    rows = ["| data set, filters | above the cut (of all) | chance alone: 5 % ± binomial spread | P(chance ≥ this) "
            "| seeds with at least one (chance: 26 %) |", "|---|---|---|---|---|"]
    for name in names.unchecked(meta):
        for moment in ("end", "start"):
            counts = edge_counts.unchecked(study, name, cut, moment)
            trials = 6 * len(counts)
            rows.append(f"| {name}, {'trained' if moment == 'end' else 'start (random)'} | {counts.sum()} of {trials} "
                        f"| {0.05 * trials:.1f} ± {np.sqrt(trials * 0.05 * 0.95):.1f} "
                        f"| {chance_of_at_least(int(counts.sum()), trials, 0.05):.2g} "
                        f"| {np.sum(counts > 0)} of {len(counts)} |")
    return "\n".join(rows)


@checked(_edge_args)
def edge_epochs_table(study, meta, cut):
    """Trained conv1 filters above the cut after each stored epoch, summed over the seeds (Markdown)."""
    epochs = [f"after epoch {e}" if e else "start" for e in meta["snapshot_epochs"]] + ["end"]
    rows = ["| data set | " + " | ".join(epochs) + " |", "|---|" + "---|" * len(epochs)]
    for name in names.unchecked(meta):
        runs = finished(study, name)
        banks = list(np.moveaxis(runs["snapshots/conv1.w"], 1, 0)) + [runs["end/conv1.w"]]
        counts = [int((orientation_score(bank[:, :, 0]) > cut).sum()) for bank in banks]
        rows.append(f"| {name} | " + " | ".join(f"{c} of {6 * len(runs['epochs'])}" for c in counts) + " |")
    return "\n".join(rows)


@checked(_seeds_args)
def seeds_table(study, meta, random):
    """How alike banks are, each pair matched one-to-one: trained seeds against each other, each trained bank
    against its own start, and pairs of random banks (Markdown)."""
    rows = ["| pairs of banks | mean matched correlation (median over pairs) | lowest–highest |", "|---|---|---|"]
    samples = {}
    for name in names.unchecked(meta):
        runs = finished(study, name)
        start, end = runs["snapshots/conv1.w"][:, 0], runs["end/conv1.w"]
        samples[f"{name}: trained bank against trained bank, seed against seed"] = pair_scores(end)
        samples[f"{name}: trained bank against its own start"] = match_filters(end, start)["score"]
    samples["random He banks, pair against pair"] = match_filters(random[0::2], random[1::2])["score"]
    for label, scores in samples.items():
        rows.append(f"| {label} | {np.median(scores):.2f} | {scores.min():.2f}–{scores.max():.2f} |")
    return "\n".join(rows)


@checked(study_args)
def drift_table(study, meta):
    """Per data set and layer: per-step shares moving up / down, and the net drift start → end (Markdown)."""
    rows = ["| data set, layer | per step: share moved up / down (mean) | steps that moved none up / none down "
            "| start → end: ended higher / lower (mean) | ended higher, lowest–highest seed | mean change "
            "| seeds with more weights lower than higher |", "|---|---|---|---|---|---|---|"]
    for name in names.unchecked(meta):
        runs = finished(study, name)
        moves, steps = runs["moves"].astype(float), runs["epochs"] * meta["steps_per_epoch"][name]
        for i, layer in enumerate(meta["move_keys"]):
            up, down = (np.mean([moves[s, :n, i, way].mean() / SIZES[layer] for s, n in enumerate(steps)])
                        for way in (0, 1))
            one_way = [sum(int(np.sum(moves[s, :n, i, way] == 0)) for s, n in enumerate(steps)) for way in (0, 1)]
            by_field = dict(zip(meta["drift_fields"], runs["drift"][:, i].T, strict=True))   # {field: (seeds,)}
            higher, lower = by_field["ended_higher"], by_field["ended_lower"]
            rows.append(f"| {name}, {layer} | {100 * up:.0f} % / {100 * down:.0f} % | {one_way[0]} / {one_way[1]} "
                        f"of {steps.sum():,} | {100 * higher.mean():.0f} % / "
                        f"{100 * lower.mean():.0f} % | {100 * higher.min():.0f}–{100 * higher.max():.0f} % "
                        f"| {by_field['mean_change'].mean():+.4f} | {np.sum(lower > higher)} of {len(higher)} |")
    return "\n".join(rows)


@checked(study_args)
def crossings_table(study, meta):
    """Per data set and layer, means over seeds: negative weights at the start and end, and the crossings (Markdown)."""
    rows = ["| data set, layer | weights | negative at the start | negative at the end | crossed + → − | "
            "crossed − → + | runs that crossed both ways |", "|---|---|---|---|---|---|---|"]
    for name in names.unchecked(meta):
        drift_rows = finished(study, name)["drift"]
        for i, layer in enumerate(meta["move_keys"]):
            by_field = dict(zip(meta["drift_fields"], drift_rows[:, i].T, strict=True))   # {field: (seeds,)}
            mean = {field: values.mean() for field, values in by_field.items()}
            both = np.sum((by_field["to_negative"] > 0) & (by_field["to_positive"] > 0))
            rows.append(f"| {name}, {layer} | {SIZES[layer]:,} | {mean['negative_start']:,.1f} | "
                        f"{mean['negative_end']:,.1f} | {mean['to_negative']:,.1f} | {mean['to_positive']:,.1f} "
                        f"| {both} of {len(drift_rows)} |")
    return "\n".join(rows)


@checked(_history_args)
def as_history(study, meta, name, seed):
    """The stored snapshots of one run (epochs SNAPSHOT_EPOCHS, then the end) as train's history, for FilterExplorer."""
    steps, epochs = meta["steps_per_epoch"][name], int(study[f"{name}/epochs"][seed])
    banks = list(study[f"{name}/snapshots/conv1.w"][seed]) + [study[f"{name}/end/conv1.w"][seed]]
    return {"snapshot_steps": [steps * e for e in meta["snapshot_epochs"]] + [steps * epochs],
            "snapshots": [{"conv1.w": bank} for bank in banks]}


@checked(_record_args)
def compare_with_record(params, study, meta, name, epochs):
    """A sentence: do these weights (a live run of seed 0 for `epochs` epochs) equal the stored record's?"""
    if name not in meta["data_sets"] or epochs not in meta["snapshot_epochs"]:
        return (f"No stored snapshot to compare with: the stored study is about the course's shipped data "
                f"({', '.join(meta['data_sets'])}), after epochs {', '.join(map(str, meta['snapshot_epochs']))} "
                f"(this run: {name}, {epochs} epochs).")
    at = meta["snapshot_epochs"].index(epochs)
    worst = {k: float(np.abs(params[k] - study[f"{name}/snapshots/{k}"][0, at]).max()) for k in network.FILTER_KEYS}
    same = all(value == 0 for value in worst.values())
    return (f"Your run after {epochs} epochs against the stored record of seed 0 ({name}) after {epochs} epochs: "
            f"largest difference {worst['conv1.w']:g} in conv1.w and {worst['conv2.w']:g} in conv2.w — "
            + ("the same numbers, weight for weight." if same else "they differ (another NumPy or BLAS, or a "
               "changed setting above)."))


@checked(_raw_args)
def raw_pixels_table(dataset):
    """One epoch from seed 0 on raw 0…255 pixels (the division by 255 forgotten) and, as the baseline, on
    pixels / 255, at η = 0.1 (06's) and 0.1 / 255: what happens (Markdown). Short on purpose: the raw runs stop learning
    within one epoch, and one epoch of the scaled runs is the fair comparison.
    """
    rows = ["| inputs | η | how long it trained | outcome | weights that ended lower: conv1 / conv2 / fc1 |",
            "|---|---|---|---|---|"]
    for inputs, scale in (("pixels / 255 (the course's)", 255.0), ("raw pixels 0…255", 1.0)):
        x, x_test = dataset.x_train.astype(np.float32) / scale, dataset.x_test.astype(np.float32) / scale
        for eta in (LEARNING_RATE, LEARNING_RATE / 255):
            params = network.init_params(seed=0)
            start = {k: params[k].copy() for k in network.MOVE_KEYS}
            try:
                history = network.train(params, x, dataset.y_train, learning_rate=eta, batch_size=BATCH_SIZE,
                                        seed=0, x_test=x_test, y_test=dataset.y_test)
                steps = len(history["loss"])
                outcome = (f"loss {history['loss'][0]:.3g} → {history['loss'][-1]:.2f}; held-out accuracy "
                           f"{100 * history['test_accuracy'][-1]:.1f} % (chance: 10 %)")
            except network.TrainingDiverged as error:
                steps, outcome = len(error.history["loss"]), f"**diverged** at step {error.step}: {error.reason}"
            lower = " / ".join(f"{100 * np.mean(params[k] < start[k]):.0f} %" for k in network.MOVE_KEYS)
            rows.append(f"| {inputs} | {eta:.3g} | {steps} of the epoch's {len(dataset.y_train) // BATCH_SIZE} "
                        f"steps | {outcome} | {lower} |")
    return "\n".join(rows)
