"""One truth for the environment: conda file, its Binder copy and the pip pins agree."""
import re

from conftest import ROOT

# conda-forge name -> PyPI name, where they differ
CONDA_TO_PIP = {"matplotlib-base": "matplotlib", "jupyterlab_rise": "jupyterlab-rise"}
NOT_PINNED_BY_PIP = {"python", "pip"}


def conda_pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*(.*)$", line)
        if not match or line.strip().startswith("- conda-forge"):
            continue
        name, spec = match.groups()
        pins[name] = spec.strip()
    return pins


def pip_pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, spec = line.partition("==")
            pins[name.strip().lower()] = spec.strip()
    return pins


def test_binder_environment_is_identical_to_root():
    root = (ROOT / "environment.yml").read_bytes()
    binder = (ROOT / "binder" / "environment.yml").read_bytes()
    assert binder == root, ("binder/environment.yml differs from environment.yml; repo2docker reads only "
                            "binder/ when it exists, so copy the root file over it")


def test_conda_pins_python_and_every_package_to_a_minor_version():
    pins = conda_pins(ROOT / "environment.yml")
    assert "matplotlib" not in pins, "use matplotlib-base on conda-forge"
    assert pins.get("python", "").startswith("=3."), "pin the Python version"
    assert pins.get("ipywidgets", "").startswith("=8."), "ipywidgets 8, never 7"
    for name, spec in pins.items():
        if name == "pip":
            continue
        assert re.fullmatch(r"=\d+\.\d+", spec), f"{name}: pin to a minor version like '=1.2', got {spec!r}"


def test_pip_pins_match_conda_package_for_package():
    conda = conda_pins(ROOT / "environment.yml")
    pip = pip_pins(ROOT / "requirements.txt")
    expected = {CONDA_TO_PIP.get(name, name).lower(): spec.lstrip("=") + ".*"
                for name, spec in conda.items() if name not in NOT_PINNED_BY_PIP}
    missing = sorted(set(expected) - set(pip))
    extra = sorted(set(pip) - set(expected))
    assert not missing, f"in environment.yml but not pinned in requirements.txt: {missing}"
    assert not extra, f"pinned in requirements.txt but not in environment.yml: {extra}"
    for name, spec in expected.items():
        assert pip[name] == spec, f"{name}: requirements.txt pins =={pip[name]}, environment.yml says {spec}"


def test_postbuild_installs_helpers_without_dependencies():
    post = ROOT / "binder" / "postBuild"
    text = post.read_text()
    assert "set -euo pipefail" in text
    assert re.search(r"pip install --no-deps (-e )?\.", text)
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"


def test_binder_start_hands_over_to_the_server():
    start = ROOT / "binder" / "start"
    text = start.read_text()
    assert start.stat().st_mode & 0o111, "binder/start must be executable"
    assert text.rstrip().endswith('exec "$@"'), "repo2docker's start script must end with exec \"$@\""
