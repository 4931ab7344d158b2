"""The command line, run as users run it."""

import subprocess
import sys


def test_demo_prints_before_and_after(tmp_path):
    out = tmp_path / "strip.png"
    res = subprocess.run([sys.executable, "-m", "tempcons.cli", "demo", "--frames", "8", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "raw" in res.stdout and "tempcons balanced offline" in res.stdout
    assert out.exists() and out.stat().st_size > 1000
    again = subprocess.run([sys.executable, "-m", "tempcons.cli", "demo", "--frames", "8", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and (tmp_path / "strip-2.png").exists()  # never overwrites


def test_usage_error_exit_code():
    res = subprocess.run([sys.executable, "-m", "tempcons.cli", "demo", "--frames", "1"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "--frames" in res.stderr
