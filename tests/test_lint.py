"""ruff over helpers/, tests/, benchmarks/ and the notebooks."""
import subprocess
import sys

from conftest import ROOT


def test_ruff_is_clean():
    cmd = [sys.executable, "-m", "ruff", "check", "helpers", "tests", "benchmarks", "notebooks"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
