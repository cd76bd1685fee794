"""docs/class_guide.md's learning-platform route: `nbgrader zip_collect` with the guide's FileNameCollectorPlugin
pattern, on a Canvas-style download of two students, files each notebook under its student's id."""
import importlib.util
import os
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest
from conftest import ROOT

GUIDE = (ROOT / "docs" / "class_guide.md").read_text(encoding="utf-8")
ASSIGNMENT = "02_filter_gradient"
# file name in the platform's zip → (student id it must be filed under, or None: skipped)
DOWNLOAD = {f"lovelace_1001_5001_{ASSIGNMENT}.ipynb": "lovelace",
            f"hopper_late_1002_5002_{ASSIGNMENT}-1.ipynb": "hopper",
            "hopper_1002_5003_scratch.ipynb": None}


def guide_config():
    match = re.search(r"<!-- zip-collect-config -->\s*```python\n(.+?)\n```", GUIDE, re.DOTALL)
    assert match, "docs/class_guide.md needs the zip_collect config in a python block after <!-- zip-collect-config -->"
    return match.group(1)


@pytest.fixture
def course(tmp_path):
    if importlib.util.find_spec("nbgrader") is None:
        pytest.skip("nbgrader is not installed (pip install -r requirements-instructor.txt)")
    course = tmp_path / "graded"
    (course / "release" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer = None")]),
                   course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
                                               + guide_config() + "\n")
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as download:
        for name in DOWNLOAD:
            notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"answer = {name!r}")])
            download.writestr(name, nbformat.writes(notebook))
    return course


def test_zip_collect_files_each_students_notebook_under_their_id(course, tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / ".jupyter"),
           "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])}
    result = subprocess.run([sys.executable, "-m", "nbgrader", "zip_collect", ASSIGNMENT], cwd=course, env=env,
                            capture_output=True, text=True, timeout=180)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    submitted = sorted(p.relative_to(course / "submitted").as_posix()
                       for p in (course / "submitted").rglob("*.ipynb"))
    expected = {student: name for name, student in DOWNLOAD.items() if student}
    assert submitted == sorted(f"{student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" for student in expected), log[-3000:]
    for student, name in expected.items():
        notebook = nbformat.read(course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        assert notebook.cells[0].source == f"answer = {name!r}", f"{student} got another student's notebook"
    assert "hopper_1002_5003_scratch.ipynb" in log and "Skipped" in log, "the stray notebook must be named as skipped"
