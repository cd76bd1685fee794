"""The README's export command builds executed, self-contained HTML (images inline)."""
import re
import shlex
import subprocess
import sys

import pytest
from conftest import NOTEBOOKS, ROOT

README = (ROOT / "README.md").read_text()


def export_command():
    match = re.search(r"<!-- export-command -->\s*```bash\n(.+?)\n```", README)
    assert match, "README.md needs the export command in a bash block after <!-- export-command -->"
    return match.group(1)


def first_notebook_with_a_figure():
    for nb in NOTEBOOKS:
        if "plt." in nb.read_text() or "helpers.plots" in nb.read_text():
            return nb
    pytest.fail("no notebook draws a figure")


def test_export_command_builds_all_notebooks_into_a_gitignored_folder():
    command = export_command()
    assert "nbconvert --to html --execute" in command and "notebooks/*.ipynb" in command
    assert "--output-dir exports" in command
    assert "exports/" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.notebook
def test_export_of_a_notebook_with_figures_is_self_contained(tmp_path):
    notebook = first_notebook_with_a_figure()
    command = export_command().replace("notebooks/*.ipynb", str(notebook.relative_to(ROOT)))
    command = command.replace("--output-dir exports", f"--output-dir {tmp_path}")
    args = shlex.split(command)
    args[0] = str(ROOT / ".venv" / "bin" / "jupyter") if args[0].startswith(".venv") else args[0]
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        args = [sys.executable, "-m", "jupyter", *args[1:]]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    html = (tmp_path / f"{notebook.stem}.html").read_text()
    assert "data:image/png;base64," in html, "figures must be embedded in the HTML"
    assert "Traceback (most recent call last)" not in html
    assert "**Where you are:**" not in html and "Where you are:" in html, "markdown must be rendered"
