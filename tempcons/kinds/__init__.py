"""The built-in mask kinds, each a :class:`tempcons.kind.Kind` registered under its name.

=============  ==========================================================================
``binary``     0/1 masks: filtered as evidence in [0, 1], decided with hysteresis
``soft``       probabilities in [0, 1]: filtered and refined, returned as values
``alpha``      mattes: as ``soft``, with defaults that keep fine structure
``labels``     class ids: a flow-aligned vote, decided with a margin
``instances``  instance ids: renumbered by a tracker as they arrive, then voted as labels
``probs``      ``(h, w, C)`` class probabilities: one weight per pixel for all classes
=============  ==========================================================================

Importing this package registers them.
"""

from . import labels, mask, probs

__all__ = ["labels", "mask", "probs"]
