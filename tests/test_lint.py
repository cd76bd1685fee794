"""ruff over helpers/, classroom/, instructor/, tests/, benchmarks/ and the notebooks."""
import subprocess
import sys

from conftest import ROOT


def test_ruff_is_clean():
    folders = [name for name in ("helpers", "classroom", "instructor", "tests", "benchmarks", "notebooks")
               if (ROOT / name).is_dir()]
    cmd = [sys.executable, "-m", "ruff", "check", *folders]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
