"""Detect the two-OpenCV-wheels trap at import time (every OpenCV wheel installs the same cv2/)."""

from __future__ import annotations

import warnings
from importlib import metadata

_OPENCV_DISTS = ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                 "opencv-contrib-python-headless")


def installed_opencv_distributions() -> list[str]:
    found = []
    for name in _OPENCV_DISTS:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(name)
    return found


def check_opencv() -> None:
    """Warn, with the fix, when several OpenCV wheels are installed."""
    dists = installed_opencv_distributions()
    fix = ("Fix: pip uninstall " + " ".join(_OPENCV_DISTS) + ", then pip install opencv-contrib-python-headless")
    if len(dists) > 1:
        warnings.warn(f"several OpenCV wheels are installed ({', '.join(dists)}); they overwrite each "
                      f"other's cv2 package and the last one installed wins. {fix}", RuntimeWarning, stacklevel=3)
