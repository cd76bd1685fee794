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
