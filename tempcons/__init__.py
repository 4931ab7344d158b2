"""tempcons: make the output of any video segmenter temporally consistent, and measure it.

>>> import tempcons as tc
>>> out = tc.stabilize(frames, masks)                      # doctest: +SKIP
>>> stab = tc.Stabilizer(preset="realtime", latency=0)     # doctest: +SKIP
"""

from . import baselines, flow, io, metrics, synthetic, wrap
from .kinds import probs
from ._opencv import check_opencv
from .composite import composite, estimate_foreground
from .instances import InstanceTracker, track_instances
from .settings import PRESETS, Settings
from .stabilize import Stabilizer, stabilize
from .threads import set_threads
from ._version import __version__

__all__ = ["stabilize", "Stabilizer", "Settings", "PRESETS", "set_threads", "track_instances", "InstanceTracker",
           "composite", "estimate_foreground",
           "baselines", "flow", "io", "metrics", "probs", "synthetic", "wrap", "__version__"]

check_opencv()
