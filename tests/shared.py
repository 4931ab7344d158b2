"""The shared data set beside the checkout (../shared), and the skip for machines without it.

It is licensed for non-commercial research and never copied into the repository; CI provides
it, so the tests below run there and skip on a user's machine.
"""

import json
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "data" / "real"
MATTING = SHARED / "data" / "matting"


def fixtures(name: str) -> Path:
    """Folder of one metric's golden fixtures."""
    return SHARED / "fixtures" / "metrics" / name


def needs(path: Path):
    """Skip marker for a test that reads ``path``."""
    return pytest.mark.skipif(not path.is_dir(), reason=f"shared data not found at {path}")


def load_case(folder: Path, case: str):
    """A fixture's inputs (npz) and the reference implementation's outputs for that case."""
    return np.load(folder / f"{case}.npz"), json.load(open(folder / "expected.json"))[case]
