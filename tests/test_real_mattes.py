"""On the composited matting clips (../shared/data/matting; skipped when absent).

Each clip pairs real frames with the exact alpha that made them and two per-frame mattes: a real
segmenter's (MediaPipe selfie) and a model-free corrupted one. The assertions hold what
``docs/benchmarks.md`` (Matting) reports for the ``balanced`` preset, so a change that makes the
matte path worse fails here: the issue's targets where they are met, the measured ratios with a
small margin where they are not.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

import tempcons as tc
from shared import MATTING, needs
from tempcons.metrics import matting

pytestmark = needs(MATTING)

CLIPS = ["breakdance-on-kitesurf", "breakdance-on-parkour", "kitesurf-on-parkour", "parkour-on-kitesurf"]
# (clip, input) pairs that meet the targets offline and at latency 0: every synthetic matte
# (kitesurf-on-parkour's since the matte's sigma_color 0.02).
MEETS = {(c, "raw_synthetic") for c in CLIPS}


def _read(folder: Path, flags: int) -> np.ndarray:
    return np.stack([cv2.imread(str(p), flags) for p in sorted(folder.glob("*.*g"))])


@pytest.fixture(scope="module", params=CLIPS)
def clip(request):
    d = MATTING / request.param
    return request.param, _read(d / "com", cv2.IMREAD_COLOR)[..., ::-1].copy(), _read(d / "pha", cv2.IMREAD_GRAYSCALE), d


def _ratios(out: np.ndarray, raw: np.ndarray, truth: np.ndarray) -> dict:
    return {name: fn(out, truth).value / fn(raw, truth).value
            for name, fn in (("dtSSD", matting.dtssd), ("MAD", matting.mad), ("MSE", matting.mse))}


@pytest.mark.parametrize("source", ["raw_mediapipe_selfie", "raw_synthetic"])
@pytest.mark.parametrize("latency", [0, None])
def test_mattes_flicker_less_without_losing_accuracy(clip, source, latency):
    name, frames, truth, d = clip
    raw = _read(d / source, cv2.IMREAD_GRAYSCALE)
    out = tc.stabilize(frames, raw, kind="alpha", latency=latency)
    assert out.dtype == raw.dtype and out.shape == raw.shape
    r = _ratios(out, raw, truth)
    assert r["MSE"] <= 1.0, r
    if (name, source) in MEETS:
        assert r["dtSSD"] <= (0.6 if latency is None else 0.75) and r["MAD"] <= 1.02, r
    else:  # MediaPipe's mattes: never worse than raw, short of the dtSSD targets (docs/benchmarks.md)
        assert r["dtSSD"] <= 0.95 and r["MAD"] <= 1.0, r
