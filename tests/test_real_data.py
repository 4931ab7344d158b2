"""On real DAVIS clips with a real segmenter's output (../shared/data/real; skipped when absent).

The data is licensed for non-commercial research and is never copied into the repository: these
tests read it from beside the checkout, where CI provides it.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

import tempcons as tc
from shared import REAL, needs

pytestmark = needs(REAL)


def _read(folder: Path, flags: int) -> np.ndarray:
    return np.stack([cv2.imread(str(p), flags) for p in sorted(folder.glob("*.*g"))])


@pytest.fixture(scope="module")
def kite_surf():
    d = REAL / "kite-surf"
    frames = _read(d / "frames", cv2.IMREAD_COLOR)[:30]
    truth = _read(d / "gt", cv2.IMREAD_GRAYSCALE)[:30] > 127
    return frames, truth, tc.metrics.ClipRuler(frames, truth), d


@pytest.mark.parametrize("source", ["raw_mediapipe_selfie", "raw_osvos_d17"])
def test_flicker_down_accuracy_kept_on_real_clip(kite_surf, source):
    frames, truth, ruler, d = kite_surf
    masks = _read(d / source, cv2.IMREAD_GRAYSCALE)[:30]
    raw = ruler.score(masks)
    for latency in (0, None):
        out = tc.stabilize(frames, masks, preset="realtime", latency=latency)
        assert out.dtype == masks.dtype and out.shape == masks.shape
        got = ruler.score(out)
        assert got["flicker"] < 0.8 * raw["flicker"], (source, latency, got, raw)
        assert got["J"] >= raw["J"] - 0.005, (source, latency, got, raw)
