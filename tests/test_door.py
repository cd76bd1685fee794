"""helpers.door.LEARNER_FACING is the learner-facing API: exactly what the notebooks call directly (plus the
hint/solution a learner types), and every name on it exists."""
import importlib
import json
import re
from pathlib import Path

import pytest

from helpers import door

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
TYPED = {"hint", "solution", "notebook01.hint", "notebook01.solution", "notebook02.hint", "notebook02.solution",
         "notebook01.help", "notebook02.help"}


def _resolve(dotted):
    """(module name, attribute path, object) for a dotted name under helpers; None if it is a module."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        obj = module
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return ".".join(parts[:cut]), ".".join(parts[cut:]), obj
    raise ImportError(dotted)


def called_by_notebooks():
    """{module: {names}} of the callables under helpers that the notebooks' code cells use."""
    found = {}
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        aliases = {}
        for match in re.finditer(r"from (helpers[\w.]*) import (?:\(([^)]*)\)|([^(\n]+))", code):
            names = re.sub(r"#[^\n]*", "", match.group(2) or match.group(3))
            for part in names.replace("\n", " ").split(","):
                bits = part.strip().split(" as ")
                if bits[0]:
                    aliases[bits[-1].strip()] = f"{match.group(1)}.{bits[0].strip()}"
        used = set()
        for alias, target in aliases.items():
            used |= {f"{target}.{a}" for a in re.findall(r"\b" + re.escape(alias) + r"\.(\w+)", code)}
            if re.search(r"\b" + re.escape(alias) + r"\s*\(", code):
                used.add(target)
        for dotted in used:
            module, name, obj = _resolve(dotted)
            if callable(obj) and name:
                found.setdefault(module, set()).add(name)
    return found


def test_the_list_is_what_the_notebooks_call():
    listed = {module: set(names) - TYPED for module, names in door.LEARNER_FACING.items()}
    assert listed == {module: names - TYPED for module, names in called_by_notebooks().items()}


@pytest.mark.parametrize("dotted", [f"{m}.{n}" for m, names in door.LEARNER_FACING.items() for n in names])
def test_every_listed_name_exists_and_is_callable(dotted):
    assert callable(_resolve(dotted)[2])
