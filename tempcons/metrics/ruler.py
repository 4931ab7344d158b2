"""Score many outputs of one clip on one flow: flicker (binarised and soft) and accuracy."""

from __future__ import annotations

import numpy as np

from ..flow import clip_flows
from ..masks import as_unit
from .davis import region_similarity
from .flicker import lai_visibility, warping_error

__all__ = ["ClipRuler"]


class ClipRuler:
    """Flicker and accuracy of outputs for one clip, with the flow computed once.

    Flicker is Lai et al.'s warping error (:func:`tempcons.metrics.warping_error`) with flow
    from OpenCV DIS at full resolution on the input frames. Binarising matters: the warping
    error of a soft mask rewards mere blurring. ``excess`` subtracts the ground truth's own
    flicker on the same flow (real shape change and flow errors make it > 0).

    Parameters
    ----------
    frames : ndarray, (T, H, W, 3) or (T, H, W)
        Input frames.
    gt : ndarray, (T, H, W)
        Ground-truth masks (nonzero = foreground).
    preset : str
        DIS preset of the measuring flow ("medium" by default).

    Examples
    --------
    >>> import tempcons as tc
    >>> clip = tc.synthetic.make_clip(n_frames=4, height=48, width=64)
    >>> ruler = ClipRuler(clip.frames, gt=clip.truth)
    >>> sorted(ruler.score(clip.masks))
    ['J', 'excess', 'flicker', 'soft_flicker']
    """

    def __init__(self, frames: np.ndarray, gt: np.ndarray, *, preset: str = "medium") -> None:
        gt = np.asarray(gt)
        if gt.shape != frames.shape[:3]:
            raise ValueError(f"gt {gt.shape} must have the frames' (T, H, W) {frames.shape[:3]}")
        pairs = list(clip_flows(frames, preset=preset, scale=1.0))
        h, w = gt.shape[1:]
        self.flow = (np.stack([p[0] for p in pairs]) if pairs else np.zeros((0, h, w, 2), np.float32),
                     np.stack([p[1] for p in pairs]) if pairs else np.zeros((0, h, w, 2), np.float32))
        self.visibility = (np.stack([lai_visibility(f, b) for f, b in pairs]) if pairs
                           else np.zeros((0, h, w), bool))
        self.flow_source = f"opencv-dis-{preset}-full"
        self.gt = gt.astype(bool)
        # Named for the benchmark tables and the demo, which report it as the ground truth's flicker.
        self.truth_flicker = self.flicker(self.gt)

    def flicker(self, video: np.ndarray) -> float:
        """Warping error of ``video`` on this clip's flow."""
        return warping_error(video, flow=self.flow, visibility=self.visibility,
                             flow_source=self.flow_source).value

    def score(self, out: np.ndarray) -> dict:
        """``flicker`` and ``excess`` of the output binarised at 0.5, ``soft_flicker``, mean ``J`` over frames 1..T-2."""
        # uint8 is 0..255 here, as warping_error reads it for soft_flicker, even if only 0 and 1.
        binary = as_unit(out, "out", uint8_scale=255) > 0.5
        flick = self.flicker(binary)
        inner = slice(1, -1) if len(out) > 2 else slice(None)
        return {"flicker": flick, "excess": flick - self.truth_flicker,
                "J": float(region_similarity(binary[inner], self.gt[inner]).mean()),
                "soft_flicker": self.flicker(out)}
