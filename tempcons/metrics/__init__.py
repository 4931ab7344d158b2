"""Metrics: flicker without ground truth and accuracy against it.

Every flow-based number records where its flow came from (``flow_source``): published values
are only comparable when computed with the same flow.
"""

from .davis import region_similarity
from .flicker import WarpingError, lai_visibility, warping_error
from .ruler import ClipRuler

__all__ = ["ClipRuler", "region_similarity", "warping_error", "lai_visibility", "WarpingError"]
