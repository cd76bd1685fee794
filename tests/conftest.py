"""Shared paths for the tests."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def notebook_ids():
    return [nb.stem for nb in NOTEBOOKS]


def load_notebook(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _hypothesis_profiles():
    """Under CI, property tests draw the same examples every run (reproducible); locally they explore."""
    import os

    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", derandomize=True, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        settings.load_profile("ci")


_hypothesis_profiles()
