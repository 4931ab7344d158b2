"""Small clips written to disk as users keep them (PNG frames, 8-bit soft masks, palette ground
truth), and the command run on them as users run it."""

import signal
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image

import tempcons as tc

PALETTE = [0, 0, 0, 200, 0, 0] + [0] * 762


def write_clip(root, *, n_frames=6, seed=4, height=48, width=64):
    """``root/frames``, ``root/masks`` (uint8 0..255) and ``root/gt`` (palette 0/1); returns the clip."""
    clip = tc.synthetic.make_clip(n_frames=n_frames, height=height, width=width, seed=seed)
    for sub in ("frames", "masks", "gt"):
        (root / sub).mkdir(parents=True)
    for t in range(n_frames):
        cv2.imwrite(str(root / "frames" / f"{t:05d}.png"), clip.frames[t][..., ::-1])
        cv2.imwrite(str(root / "masks" / f"{t:05d}.png"), np.round(clip.masks[t] * 255).astype(np.uint8))
        im = Image.fromarray(clip.truth[t].astype(np.uint8), "P")
        im.putpalette(PALETTE)
        im.save(root / "gt" / f"{t:05d}.png")
    return clip


def interruptible():
    """For ``preexec_fn``: the child takes SIGINT as a terminal's Ctrl-C, even when the test run
    itself was started in the background, where the shell leaves SIGINT ignored for children."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tempcons(*args, cwd=None, env=None):
    """``tempcons ARGS`` in a subprocess; the completed process (stdout and stderr as text)."""
    return subprocess.run([sys.executable, "-m", "tempcons.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env, preexec_fn=interruptible)
