"""The shared data set beside the checkout (../shared), and the skip for machines without it.

It is licensed for non-commercial research and never copied into the repository; CI provides
it, so the tests below run there and skip on a user's machine.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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


# DAVIS's palette: index 0 black, 1 dark red, 2 dark green, 3 olive.
_PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * (768 - 12)


def save_indexed(folder: Path, labels, names=None) -> None:
    """Label frames as palette PNGs of object indices (DAVIS-2017's form), named 00000.png... or ``names``."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(labels):
        image = Image.fromarray(np.asarray(frame).astype(np.uint8), "P")
        image.putpalette(_PALETTE)
        image.save(folder / f"{names[t] if names else f'{t:05d}'}.png")


def davis2017_layout(root: Path) -> dict:
    """The shared DAVIS-2016 clips as a DAVIS-2017 root, and method folders beside it.

    Object index 1 where a mask is > 127 (the ground truth, and the KEY, OSVOS and MediaPipe
    masks as three methods); ``two_objects`` cuts KEY's masks at the frame's middle into indices
    1 and 2 (a method for the unsupervised task). ``ImageSets/2017/val.txt`` lists the sequences
    deliberately unsorted. Returns method name -> results folder.
    """
    methods = {}
    for seq in ("soapbox", "breakdance", "parkour", "kite-surf", "scooter-black"):
        def binary(source):
            files = sorted((REAL / seq / source).glob("*.png"))
            return np.stack([np.asarray(Image.open(p).convert("L")) > 127 for p in files]), [p.stem for p in files]

        gt, names = binary("gt")
        (root / "JPEGImages" / "480p").mkdir(parents=True, exist_ok=True)
        (root / "JPEGImages" / "480p" / seq).symlink_to(REAL / seq / "frames")  # read by the reference only
        save_indexed(root / "Annotations" / "480p" / seq, gt, names)
        save_indexed(root / "Annotations_unsupervised" / "480p" / seq, gt, names)
        for method in ("raw_key", "raw_osvos_d17", "raw_mediapipe_selfie"):
            masks, names = binary(method)
            methods[method] = root / "results" / method
            save_indexed(methods[method] / seq, masks, names)
            if method == "raw_key":
                methods["two_objects"] = root / "results" / "two_objects"
                right = np.arange(masks.shape[2]) >= masks.shape[2] // 2
                save_indexed(methods["two_objects"] / seq, masks * (1 + right), names)
    (root / "ImageSets" / "2017").mkdir(parents=True)
    (root / "ImageSets" / "2017" / "val.txt").write_text("soapbox\nbreakdance\nparkour\nkite-surf\nscooter-black\n")
    return methods
