"""The package's layering, declared as import-linter contracts under [tool.importlinter] in pyproject.toml.

The contracts guard what the design rests on:

* the metrics stand apart from the stabilizer: they read masks through tempcons.masks and motion
  through the flow layer, never through the kinds, the engine, the filters or the settings, so
  that a change to the stabilizer can never move a score;
* the engine is kind-free: it reaches a kind only through the tempcons.kind contract, and the
  kinds never reach back into the engine or the front;
* the foundations (masks, motion, warps, settings, kernels and checks) know nothing of what uses
  them, and reading and writing files knows no stabilizer, no metric and no application;
* no module imports one that imports it back.

Every import statement counts, at module level or inside a function: import-linter reads the
graph from the source (not from ``sys.modules``, which after ``import tempcons`` holds the whole
package), and a lazy import only hides a coupling or a circle, it does not break it.
"""

import subprocess
import sys
from pathlib import Path

import importlinter

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    """Run ``lint-imports`` on pyproject.toml; its report names the import chain of a broken contract."""
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.is_file() else [sys.executable, "-c",
                                                      "from importlinter.cli import lint_imports_command as c; c()"]
    result = subprocess.run([*command, str(ROOT / "pyproject.toml"), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (f"import-linter {importlinter.__version__}: a layering contract is "
                                    f"broken\n{result.stdout}\n{result.stderr}")
