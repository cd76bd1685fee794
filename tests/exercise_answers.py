"""Shared by the exercise tests: every checker of the course, and the right answer of every exercise.

The right answer comes from the exercise's own ``answer_code`` (what an instructor's solution cell holds),
run in a namespace like the notebook's — so the tests also prove that every ``answer_code`` is right.
"""
import ast
import importlib
import inspect
import pkgutil

import numpy as np
import sympy as sp

import helpers.exercises
from helpers.derive import symbolic
from helpers.exercises.feedback import Exercise

EXERCISE_MODULES = sorted(info.name for info in pkgutil.iter_modules(helpers.exercises.__path__)
                          if info.name != "feedback")


def modules():
    return [importlib.import_module(f"helpers.exercises.{name}") for name in EXERCISE_MODULES]


def checkers():
    """{exercise key: checker} for every checker of every module (a checker carries ``.exercise``)."""
    found = {}
    for module in modules():
        for name, value in vars(module).items():
            if callable(value) and hasattr(value, "exercise") and isinstance(value.exercise, Exercise):
                assert value.__module__ == module.__name__, name
                found[value.exercise.key] = value
    return dict(sorted(found.items()))


def public_check_functions():
    """(module, name, function) of every public function named check_* defined in an exercises module."""
    found = []
    for module in modules():
        for name, value in vars(module).items():
            if name.startswith("check_") and callable(value) and getattr(value, "__module__", None) == module.__name__:
                found.append((module.__name__, name, value))
    return found


def fake_history(snapshot_every=10, steps=400, seed=0):
    """A history with the keys the 06 checkers read: snapshots of conv1.w / conv2.w every snapshot_every steps."""
    rng = np.random.default_rng(seed)
    snapshot_steps = list(range(0, steps + 1, snapshot_every))
    weights = {"conv1.w": rng.standard_normal((6, 1, 3, 3)), "conv2.w": rng.standard_normal((6, 6, 3, 3))}
    snapshots = []
    for _ in snapshot_steps:
        weights = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in weights.items()}
        snapshots.append({k: v.copy() for k, v in weights.items()})
    return {"snapshot_steps": snapshot_steps, "snapshots": snapshots}


def namespace(key, history=None):
    """What the notebook of exercise ``key`` has defined when its answer cell runs."""
    notebook = key.split("-")[0]
    module = checkers()[key].__module__
    ex = importlib.import_module(module)
    if notebook in ("01", "02"):
        ex = ex.notebook01 if notebook == "01" else ex.notebook02
    names = {"np": np, "sp": sp, "ex": ex, "history": history if history is not None else fake_history()}
    if notebook == "00":
        names.update(I=ex.WARMUP_IMAGE, W=ex.WARMUP_FILTER)
    if notebook in ("01", "02"):
        names.update({str(s): s for s in symbolic.image_symbols(5)})
        names.update({str(s): s for s in symbolic.filter_symbols(2)})
        names.update({str(s): s for s in symbolic.delta_symbols(2)})
    return names


def assigned_names(code):
    """Top-level names an answer cell assigns or defines, in order."""
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef,)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for element in (target.elts if isinstance(target, ast.Tuple) else [target]):
                    if isinstance(element, ast.Name):
                        names.append(element.id)
    return names


def answer_arguments(key, history=None):
    """(args, kwargs) that call checker ``key`` with the right answer (from the exercise's answer_code)."""
    check = checkers()[key]
    names = namespace(key, history)
    exec(check.exercise.answer_code, names)  # noqa: S102 - the course's own solution code
    assigned = assigned_names(check.exercise.answer_code)
    parameters = [p for p in inspect.signature(check).parameters.values() if p.default is inspect.Parameter.empty]
    args = []
    for parameter in parameters:
        if parameter.name == "history":
            args.append(names["history"])
        elif parameter.name in assigned:
            args.append(names[parameter.name])
        else:
            args.append(names[assigned[-1]])
    return args


def answer_parameters(key):
    """Names of the parameters of checker ``key`` that take the learner's answer (not the run's history)."""
    check = checkers()[key]
    return [p.name for p in inspect.signature(check).parameters.values()
            if p.default is inspect.Parameter.empty and p.name != "history"]
