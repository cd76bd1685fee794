"""The README's two commands exist, the Binder badge opens the first notebook, CI runs the test command."""
import re

from conftest import NOTEBOOKS, ROOT

README = (ROOT / "README.md").read_text()


def command_after(marker):
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", README)
    assert match, f"README.md needs a bash block right after <!-- {marker} -->"
    return match.group(1)


def test_launch_command_opens_the_first_notebook():
    command = command_after("launch-command")
    assert command.startswith("python3 -m venv .venv")
    assert command.endswith("jupyter lab --ServerApp.root_dir=. notebooks/00_start_here.ipynb")


def test_test_command_runs_pytest_in_the_same_environment():
    command = command_after("test-command")
    assert command.startswith("python3 -m venv .venv")
    assert "requirements-dev.txt" in command and command.endswith(".venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci and 'bash -c "$test_command"' in ci


def test_binder_badge_opens_jupyterlab_at_the_first_notebook():
    assert "mybinder.org/v2/gh/" in README
    assert "urlpath=lab/tree/notebooks/00_start_here.ipynb" in README


def test_readme_lists_every_notebook_in_order():
    listed = re.findall(r"\(notebooks/(\d\d_[a-z_]+\.ipynb)\)", README)
    assert listed == [nb.name for nb in NOTEBOOKS], "README's table of notebooks must match notebooks/"
