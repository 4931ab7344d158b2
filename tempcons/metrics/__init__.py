"""Metrics: flicker without ground truth and accuracy against it.

Every flow-based number records where its flow came from (``flow_source``): published values
are only comparable when computed with the same flow.
"""

from . import matting, semantic, tracking
from .davis import boundary_accuracy, boundary_f_measure, boundary_map, decay_corrected, region_similarity, statistics
from .flicker import WarpingError, lai_visibility, warping_error
from .evaluate import Evaluation, MetricResult, aggregate, available_metrics, evaluate
from .ruler import ClipRuler
from .stability import DAVIS2016_STABLE_VAL, shape_instability, temporal_stability

__all__ = ["matting", "semantic", "tracking", "ClipRuler", "region_similarity", "boundary_accuracy", "boundary_f_measure", "boundary_map", "statistics", "decay_corrected", "warping_error", "lai_visibility", "WarpingError",
           "shape_instability", "temporal_stability", "DAVIS2016_STABLE_VAL",
           "evaluate", "aggregate", "available_metrics", "Evaluation", "MetricResult"]
