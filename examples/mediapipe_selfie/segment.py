"""Per-frame MediaPipe Selfie Segmentation of a video or image folder, written as 8-bit PNG masks.

Runs in its own environment (see run.sh): mediapipe 0.10.21, the newest release that still ships
its model, pins numpy < 2 and its own OpenCV wheel, which cannot share an environment with
tempcons (numpy >= 2, opencv-contrib-python-headless 5).

usage: python segment.py INPUT OUT_DIR      (INPUT: a video file or a folder of images)
"""

import sys
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np


def frames(source: Path):
    if source.is_dir():
        for path in sorted(p for p in source.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
            yield path.stem, cv2.imread(str(path))[..., ::-1]
        return
    cap = cv2.VideoCapture(str(source))
    t = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        yield f"{t:05d}", bgr[..., ::-1]
        t += 1
    cap.release()


def main(source: str, out: str) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
        for name, rgb in frames(Path(source)):
            prob = seg.process(np.ascontiguousarray(rgb)).segmentation_mask  # float32 HxW in [0, 1]
            cv2.imwrite(str(out_dir / f"{name}.png"), np.clip(np.rint(prob * 255), 0, 255).astype(np.uint8))
            count += 1
    print(f"segmented {count} frames into {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
