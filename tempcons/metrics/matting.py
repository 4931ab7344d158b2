"""Video-matting metrics under RVM's protocol (``PeterL1n/RobustVideoMatting`` evaluation scripts).

Every metric takes the prediction first and the ground truth second (``pred``, ``gt``; for
foregrounds ``pred_fgr``, ``gt_fgr``, ``gt_alpha``) and returns a :class:`MattingScore` that
converts with ``float()`` and keeps the per-frame series, the protocol and the flow source.

Conventions of that protocol, all reproduced (``reference/metrics.md`` §1.1):

- alphas are read as 8-bit images and divided by 255 in float32; predictions were written by
  RVM's PNG writer, which *truncates* ``alpha * 255`` (``quantize="truncate"``);
- every metric is per frame over the whole frame (no trimap); MAD and MSE are x1e3, Grad and
  Conn /1e3, dtSSD x1e2;
- dtSSD of frame 0 is 0, and the clip value is the mean over all frames, zero included;
- Grad: gradients of a first-derivative-of-Gaussian filter (sigma 1.4, 9x9, L2-normalised,
  replicated border); the low-resolution script (``"rvm"``) min-max normalises each frame first,
  the high-resolution one (``"rvm_hr"``) does not.

Temporal matting metrics under the other published protocols (``reference/metrics.md`` §1.2),
which disagree with RVM and with each other by orders of magnitude:

- ``"tcvom"`` (``yunkezhang/TCVOM`` ``calc_metric.py``, VideoMatting108): trimap unknown region of
  frame t, forward differences (t, t+1), sqrt of the *sum* (no pixel normalisation, no scale),
  the last frame scores 0; MESSDdt with the supplied ground-truth flow, bilinear warp with zero
  padding, invalid flow excluded. :func:`tcvom_frame_metrics` gives the script's whole table.
- ``"dvm"`` (``nowsyn/DVM`` ``evaluation/metric.py``, copied verbatim in OTVM): the mask is
  ``trimap == 128`` (or ``0 < gt < 255``), per-pair sqrt-sums plus the pixel counts the caller
  divides by; MESSDdt on Farneback flow of the ground-truth alpha rounded to whole pixels, with
  the reference's two bugs reproduced: x and y swapped in the lookup, and every pair reading its
  "next" frame from frame 1 of the batch (``whole_clip=True``, what ``run_video`` computes;
  ``whole_clip=False`` is MaGGIe's two-frame-window call, which only keeps the swap).
- ``"erofeev"``: the formulas as Erofeev et al. (BMVC 2015) state them, with the flow source a
  parameter: per transition sqrt of the summed squared derivative error, and
  sum |E_t^2 - E_{t+1}(p + v)^2| over the mask with a bilinear, border-clamped warp.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..masks import as_unit
from ..warp import warp_dvm, warp_erofeev, warp_tcvom

__all__ = ["MattingScore", "mad", "mse", "grad", "conn", "dtssd", "messddt", "tcvom_frame_metrics",
           "fgr_mse", "fgr_mad", "rvm_dataset_mean"]

_QUANTIZE = (None, "truncate", "round")


@dataclass(frozen=True)
class MattingScore:
    """One metric over a clip; ``float(score)`` is its clip value.

    Attributes
    ----------
    name : str
    protocol : str
        Whose convention produced the numbers.
    per_frame : ndarray of float64, (T,)
    value : float
        The clip value: mean over frames (or frame pairs), as the protocol takes it.
    counts : ndarray of float64 or None
        Pixel counts the protocol reports beside the errors (DVM: mask pixels + 1 per pair, the
        denominator its callers divide by; TCVOM MESSDdt: valid-flow pixels), else None.
    flow_source : str or None
        Where the flow of a flow-based metric came from.
    """

    name: str
    protocol: str
    per_frame: np.ndarray
    value: float
    counts: np.ndarray | None = None
    flow_source: str | None = None

    def __float__(self) -> float:
        return float(self.value)


def _alphas(pred: np.ndarray, gt: np.ndarray, quantize: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Both clips as float32 in [0, 1], the way the RVM scripts read them."""
    if quantize not in _QUANTIZE:
        raise ValueError(f"quantize must be one of {_QUANTIZE}, got {quantize!r}")
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 3:
        raise ValueError(f"pred and gt must both be (T, H, W) alphas, got {pred.shape} and {gt.shape}")
    out = []
    for name, a, q in (("pred", pred, quantize), ("gt", gt, None)):
        # 8-bit or 16-bit PNG mattes read as stored: uint8 is always 0..255, even if only 0 and 1.
        unit = as_unit(a, name, uint8_scale=255)
        # RVM quantizes the caller's floats, before any cast to float32.
        if q == "truncate" and a.dtype.kind == "f":
            unit = (a * 255).astype(np.uint8).astype(np.float32) / np.float32(255)
        elif q == "round" and a.dtype.kind == "f":
            unit = np.round(a * 255).astype(np.uint8).astype(np.float32) / np.float32(255)
        out.append(unit)
    return out[0], out[1]


def _score(name: str, protocol: str, values, counts=None, flow_source: str | None = None) -> MattingScore:
    per = np.asarray(values, dtype=np.float64)
    return MattingScore(name, protocol, per, float(np.mean(per)),
                        None if counts is None else np.asarray(counts, dtype=np.float64), flow_source)


def _check_protocol(protocol: str, allowed: tuple[str, ...]) -> None:
    if protocol not in allowed:
        raise ValueError(f"protocol must be one of {allowed}, got {protocol!r}")


def mad(pred: np.ndarray, gt: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Mean absolute difference x1e3 per frame.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 (0..255) or float in [0, 1].
    protocol : {"rvm"}
    quantize : {None, "truncate", "round"}
        How a float ``pred`` becomes 8-bit first; ``"truncate"`` is what RVM's writer did.

    Returns
    -------
    MattingScore

    Raises
    ------
    ValueError, TypeError
        Shapes, dtypes or values out of range; unknown protocol.

    Examples
    --------
    >>> import numpy as np
    >>> float(mad(np.full((2, 4, 4), 255, np.uint8), np.zeros((2, 4, 4), np.uint8)))
    1000.0
    """
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, gt, quantize)
    return _score("MAD", protocol, [np.abs(p[t] - g[t]).mean() * 1e3 for t in range(len(p))])


def mse(pred: np.ndarray, gt: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Mean squared difference x1e3 per frame.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 (0..255) or float in [0, 1].
    protocol : {"rvm"}
    quantize : {None, "truncate", "round"}
        How a float ``pred`` becomes 8-bit first; ``"truncate"`` is what RVM's writer did.

    Returns
    -------
    MattingScore

    Raises
    ------
    ValueError, TypeError
        As :func:`mad`.

    Examples
    --------
    >>> import numpy as np
    >>> float(mse(np.full((2, 4, 4), 0.5), np.zeros((2, 4, 4))))
    250.0
    """
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, gt, quantize)
    return _score("MSE", protocol, [((p[t] - g[t]) ** 2).mean() * 1e3 for t in range(len(p))])


def _gauss_derivative_kernels(sigma: float = 1.4, epsilon: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """x and y first-derivative-of-Gaussian kernels, truncated where the Gaussian falls below epsilon."""
    half = np.ceil(sigma * np.sqrt(-2 * np.log(np.sqrt(2 * np.pi) * sigma * epsilon)))
    r = np.arange(int(2 * half + 1)) - half
    g = np.exp(-r ** 2 / (2 * sigma ** 2)) / (sigma * np.sqrt(2 * np.pi))
    kx = np.outer(g, -r * g / sigma ** 2)
    kx /= np.sqrt((kx ** 2).sum())
    return kx, kx.T


def _gradient_magnitude(a: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    gx = cv2.filter2D(a, -1, kx, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.filter2D(a, -1, ky, borderType=cv2.BORDER_REPLICATE)
    return np.sqrt(gx ** 2 + gy ** 2)


def grad(pred: np.ndarray, gt: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Gradient error /1e3 per frame: sum of squared differences of Gaussian-gradient magnitudes.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 (0..255) or float in [0, 1].
    protocol : {"rvm", "rvm_hr"}
        ``"rvm"`` (RVM's low-resolution script) min-max normalises each frame of both clips
        first (a constant frame becomes 0); ``"rvm_hr"`` (its high-resolution script) does not,
        so the two are not comparable.
    quantize : {None, "truncate", "round"}
        How a float ``pred`` becomes 8-bit first; ``"truncate"`` is what RVM's writer did.

    Returns
    -------
    MattingScore

    Raises
    ------
    ValueError, TypeError
        As :func:`mad`.

    Examples
    --------
    >>> import numpy as np
    >>> float(grad(np.full((1, 8, 8), 0.5), np.full((1, 8, 8), 0.5)))  # constant frames have no gradient
    0.0
    """
    _check_protocol(protocol, ("rvm", "rvm_hr"))
    p, g = _alphas(pred, gt, quantize)
    kx, ky = _gauss_derivative_kernels()
    values = []
    for t in range(len(p)):
        pred_t, gt_t = p[t], g[t]
        if protocol == "rvm":
            pred_t = cv2.normalize(pred_t, None, 1.0, 0.0, cv2.NORM_MINMAX)
            gt_t = cv2.normalize(gt_t, None, 1.0, 0.0, cv2.NORM_MINMAX)
        values.append(((_gradient_magnitude(gt_t, kx, ky) - _gradient_magnitude(pred_t, kx, ky)) ** 2).sum() / 1e3)
    return _score("Grad", protocol, values)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def conn(pred: np.ndarray, gt: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Connectivity error /1e3 per frame (RVM's low-resolution script; its HR script has none).

    For thresholds 0.1, 0.2, ... 1.0 (``np.arange(0, 1.1, 0.1)``, float64, compared with the
    float32 alphas as the script does: with float64 alphas 153/255 falls below 0.6000000000000001
    and Conn moves by up to 49% on a frame), each pixel's level is the last threshold at which it
    still belonged to the largest 4-connected component of (gt >= t) & (pred >= t), 1 if it
    never left; d = alpha - level, phi = 1 - d [d >= 0.15], error = sum |phi_gt - phi_pred|.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 (0..255) or float in [0, 1].
    protocol : {"rvm"}
    quantize : {None, "truncate", "round"}
        How a float ``pred`` becomes 8-bit first; ``"truncate"`` is what RVM's writer did.

    Returns
    -------
    MattingScore

    Raises
    ------
    ValueError, TypeError
        As :func:`mad`.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((1, 4, 4), np.uint8); gt[0, 1:3, 1:3] = 255
    >>> float(conn(gt, gt))
    0.0
    """
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, gt, quantize)
    steps = np.arange(0, 1.1, 0.1)
    values = []
    for t in range(len(p)):
        level = np.full(p[t].shape, -1.0)
        for i in range(1, len(steps)):
            inside = _largest_component((p[t] >= steps[i]) & (g[t] >= steps[i]))
            level[(level == -1) & ~inside] = steps[i - 1]
        level[level == -1] = 1.0
        dp, dg = p[t] - level, g[t] - level
        phi_p, phi_g = 1 - dp * (dp >= 0.15), 1 - dg * (dg >= 0.15)
        values.append(np.abs(phi_p - phi_g).sum() / 1e3)
    return _score("Conn", protocol, values)


def dtssd(pred: np.ndarray, gt: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None,
          trimap: np.ndarray | None = None) -> MattingScore:
    """Error of the temporal derivative of alpha, under one of four published conventions.

    - ``"rvm"``: per frame t >= 1, sqrt(mean over all pixels of (dp/dt - dg/dt)^2) x1e2 with the
      backward difference; frame 0 scores 0 and counts in the clip mean (a T-frame clip is
      scaled by (T - 1) / T against the mean over transitions).
    - ``"tcvom"``: per frame t, sqrt(sum over the unknown region 0 < trimap_t < 255 of the
      squared forward-difference error); the last frame scores 0 and counts in the mean.
    - ``"dvm"``: per pair (t, t+1), sqrt(sum over mask_t) with mask = ``trimap == 128`` or, with
      no trimap, ``0 < gt < 255``; ``counts`` = mask pixels + 1, the reference's denominator.
    - ``"erofeev"``: the paper's formula, per pair sqrt(sum over all pixels, or over
      ``trimap`` > 0 when given as a mask), mean over the T - 1 pairs.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 (0..255) or float in [0, 1].
    protocol : {"rvm", "tcvom", "dvm", "erofeev"}
    quantize : {None, "truncate", "round"}
        How a float ``pred`` becomes 8-bit first; ``"truncate"`` is what RVM's writer did.
    trimap : ndarray of uint8, (T, H, W), optional
        Required by ``"tcvom"``; optional for ``"dvm"`` and ``"erofeev"``.

    Returns
    -------
    MattingScore

    Raises
    ------
    ValueError, TypeError
        Shapes, dtypes or values out of range; unknown protocol; missing trimap.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((3, 2, 2), np.float32)
    >>> pred = np.stack([np.zeros((2, 2)), np.ones((2, 2)), np.zeros((2, 2))]).astype(np.float32)
    >>> dtssd(pred, gt).per_frame.tolist()
    [0.0, 100.0, 100.0]
    >>> dtssd(pred, gt, protocol="erofeev").per_frame.tolist()
    [2.0, 2.0]
    """
    _check_protocol(protocol, ("rvm", "tcvom", "dvm", "erofeev"))
    p, g = _alphas(pred, gt, quantize)
    if protocol == "rvm":
        values = [0.0] + [np.sqrt((((p[t] - p[t - 1]) - (g[t] - g[t - 1])) ** 2).sum() / g[t].size) * 1e2
                          for t in range(1, len(p))]
        return _score("dtSSD", protocol, values)
    if protocol == "tcvom":
        return _score("dtSSD", protocol, tcvom_frame_metrics(p, g, _trimap(trimap, g, required=True))["dtSSD"])
    mask = _region(protocol, trimap, g)
    err = ((p[1:] - p[:-1]) - (g[1:] - g[:-1])) ** 2 * mask[:-1]
    values = np.sqrt(err.reshape(len(err), -1).sum(axis=1, dtype=np.float32))
    counts = mask[:-1].reshape(len(err), -1).sum(axis=1) + 1.0 if protocol == "dvm" else None
    return _score("dtSSD", protocol, values, counts)


def _trimap(trimap, g: np.ndarray, required: bool) -> np.ndarray | None:
    if trimap is None:
        if required:
            raise ValueError("this protocol needs trimap= (T, H, W) uint8, 0 / 128 / 255")
        return None
    trimap = np.asarray(trimap)
    if trimap.shape != g.shape:
        raise ValueError(f"trimap must have the alphas' shape {g.shape}, got {trimap.shape}")
    return trimap


def _region(protocol: str, trimap, g: np.ndarray) -> np.ndarray:
    """The float32 0/1 mask a protocol evaluates."""
    trimap = _trimap(trimap, g, required=False)
    if protocol == "dvm":
        if trimap is not None:
            return (trimap == 128).astype(np.float32)
        return ((g > 0) & (g < 1)).astype(np.float32)
    return np.ones_like(g) if trimap is None else (trimap > 0).astype(np.float32)


def tcvom_frame_metrics(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray, flow: np.ndarray | None = None,
                        flow_valid: np.ndarray | None = None, *, quantize: str | None = None) -> dict:
    """Every per-frame number of TCVOM's ``calc_metric.py`` (VideoMatting108 protocol).

    Region: the unknown part of frame t's trimap (0 < trimap < 255). Per frame: ``mSAD`` (mean
    |p - g|), ``MSE``, ``SSDA`` (sqrt of the summed squared error), ``dtSSD`` (sqrt of the summed
    squared forward-difference error), ``MESSDdt`` (sum |E_t^2 - W(E_{t+1})^2|, E = p - g, W a
    bilinear warp along the flow t -> t+1 with zero padding, over region pixels whose flow is
    valid) and ``MESSDdt_fix`` (the same with |E_t - W(E_{t+1})|), ``pixel_count``,
    ``flow_pixel_count``. The last frame's temporal values are 0. The script's clip value is
    the mean over all T frames; its dataset value the mean over clips (and its ``main`` skips
    the last clip in sorted order, a bug not reproduced here).

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 or float in [0, 1].
    trimap : ndarray of uint8, (T, H, W)
    flow : ndarray, (T-1, H, W, 2), optional
        Ground-truth flow t -> t+1 in pixels (x, y), as VideoMatting108 supplies it (int16 / 100
        in its PNGs). Without it the MESSDdt columns are NaN.
    flow_valid : ndarray of bool, (T-1, H, W), optional
        False where the supplied flow is invalid.
    quantize : {None, "truncate", "round"}

    Returns
    -------
    dict of str -> ndarray of float64, (T,)

    Raises
    ------
    ValueError, TypeError
        On shapes or dtypes that do not fit.
    """
    p, g = _alphas(pred, gt, quantize)
    trimap = _trimap(trimap, g, required=True)
    n = len(p)
    if flow is not None:
        flow = np.asarray(flow, dtype=np.float32)
        if flow.shape != (n - 1, *g.shape[1:], 2):
            raise ValueError(f"flow must be (T-1, H, W, 2) = {(n - 1, *g.shape[1:], 2)}, got {flow.shape}")
        valid = np.ones(flow.shape[:3], bool) if flow_valid is None else np.asarray(flow_valid).astype(bool)
        if valid.shape != flow.shape[:3]:
            raise ValueError(f"flow_valid must be (T-1, H, W), got {valid.shape}")
    keys = ("mSAD", "MSE", "SSDA", "dtSSD", "MESSDdt_fix", "MESSDdt", "pixel_count", "flow_pixel_count")
    out = {k: np.zeros(n) for k in keys}
    for t in range(n):
        m = (trimap[t] > 0) & (trimap[t] < 255)
        e = p[t] - g[t]
        with np.errstate(invalid="ignore"):
            out["mSAD"][t] = np.abs(e[m]).mean() if m.any() else np.nan
            out["MSE"][t] = (e[m] ** 2).mean() if m.any() else np.nan
        out["SSDA"][t] = np.sqrt(np.sum(e[m] ** 2))
        out["pixel_count"][t] = m.sum()
        if t == n - 1:
            continue
        d = (p[t] - p[t + 1]) - (g[t] - g[t + 1])
        out["dtSSD"][t] = np.sqrt(np.sum(d[m] ** 2))
        if flow is None:
            out["MESSDdt_fix"][t] = out["MESSDdt"][t] = np.nan
            continue
        f = np.where(valid[t][..., None], flow[t], 0)
        keep = m & valid[t]
        warped = warp_tcvom(p[t + 1], f) - warp_tcvom(g[t + 1], f)
        out["MESSDdt_fix"][t] = np.abs(e[keep] - warped[keep]).sum()
        out["MESSDdt"][t] = np.abs(e[keep] ** 2 - warped[keep] ** 2).sum()
        out["flow_pixel_count"][t] = keep.sum()
    return out


def _farneback_on_truth(gt_u8: np.ndarray) -> np.ndarray:
    """DVM's flow: Farneback on consecutive ground-truth alphas with its parameters, float32."""
    return np.stack([cv2.calcOpticalFlowFarneback(gt_u8[t], gt_u8[t + 1], None, 0.5, 5, 10, 2, 7, 1.5,
                                                  cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
                     for t in range(len(gt_u8) - 1)])


def _truth_u8(gt: np.ndarray, g: np.ndarray) -> np.ndarray:
    gt = np.asarray(gt)
    return gt if gt.dtype == np.uint8 else np.round(g * 255).astype(np.uint8)


def messddt(pred: np.ndarray, gt: np.ndarray, *, protocol: str = "dvm", trimap: np.ndarray | None = None,
            flow=None, flow_valid: np.ndarray | None = None, whole_clip: bool = True,
            quantize: str | None = None) -> MattingScore:
    """Motion-aware error of squared alpha errors between frames (Erofeev et al. 2015).

    Per transition t -> t+1: sum over a mask of |E_t(p)^2 - E_{t+1}(p + v_t(p))^2| with
    E = pred - gt and v the motion of the ground truth. No implementation agrees with
    another; ``protocol`` names whose computation this reproduces (module docstring):

    - ``"dvm"`` (default; DVM / OTVM / MaGGIe): Farneback flow of the true alpha rounded to
      whole pixels (or ``flow``), x/y-swapped nearest lookup with border clamp, the next frame's
      mask warped too; ``whole_clip=True`` also reproduces its reading every "next" frame from
      frame 1 (what ``run_video`` returns), ``False`` the two-frame calls MaGGIe makes.
      ``counts`` = mask_t pixels + 1.
    - ``"tcvom"``: supplied ``flow`` (required) and ``flow_valid``; see :func:`tcvom_frame_metrics`
      (T values, the last 0).
    - ``"erofeev"``: the stated formula: ``flow`` an array (T-1, H, W, 2), a callable
      ``f(gt_u8_t, gt_u8_t1) -> (H, W, 2)``, or None for DVM's Farneback on the true alpha
      (not rounded); bilinear warp with border clamp; mask all pixels or ``trimap > 0``.

    Parameters
    ----------
    pred, gt : ndarray, (T, H, W)
        Alphas, uint8 or float in [0, 1].
    protocol : {"dvm", "tcvom", "erofeev"}
    trimap : ndarray of uint8, (T, H, W), optional
    flow : ndarray or callable, optional
    flow_valid : ndarray of bool, (T-1, H, W), optional
    whole_clip : bool
        DVM only; see above.
    quantize : {None, "truncate", "round"}

    Returns
    -------
    MattingScore
        ``per_frame`` holds one value per transition (T - 1; T for ``"tcvom"``), ``value``
        their mean, ``flow_source`` where the flow came from.

    Raises
    ------
    ValueError, TypeError
        Shapes, dtypes, unknown protocol, a missing trimap or flow.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((3, 8, 8), np.uint8)
    >>> float(messddt(gt, gt, protocol="erofeev"))
    0.0
    """
    _check_protocol(protocol, ("dvm", "tcvom", "erofeev"))
    p, g = _alphas(pred, gt, quantize)
    if protocol == "tcvom":
        if flow is None or callable(flow):
            raise ValueError("protocol 'tcvom' needs the supplied ground-truth flow as an array (T-1, H, W, 2)")
        table = tcvom_frame_metrics(p, g, _trimap(trimap, g, required=True), flow, flow_valid)
        return _score("MESSDdt", protocol, table["MESSDdt"], table["flow_pixel_count"], "supplied")
    mask = _region(protocol, trimap, g)
    n, h, w = g.shape
    flows, source = _messddt_flow(flow, protocol, _truth_u8(gt, g), (n - 1, h, w, 2))
    sq = (p - g) ** 2
    values = np.empty(n - 1)
    if protocol == "dvm":
        for t in range(n - 1):
            nxt = 1 if whole_clip else t + 1
            sq_next, mask_next = warp_dvm(sq[nxt], flows[t]), warp_dvm(mask[nxt], flows[t])
            values[t] = np.abs(sq[t] * mask[t] - sq_next * mask_next).sum(dtype=np.float32)
        counts = mask[:-1].reshape(n - 1, -1).sum(axis=1) + 1.0
        return _score("MESSDdt", protocol, values, counts, source)
    for t in range(n - 1):
        warped = warp_erofeev(sq[t + 1].astype(np.float64), flows[t])
        values[t] = np.sum(np.abs(sq[t] - warped) * mask[t])
    return _score("MESSDdt", protocol, values, None, source)


def _messddt_flow(flow, protocol: str, gt_u8: np.ndarray, shape: tuple) -> tuple[np.ndarray, str]:
    if flow is None:
        arr, source = _farneback_on_truth(gt_u8), "farneback on true alpha (DVM parameters)"
    elif callable(flow):
        arr = np.stack([np.asarray(flow(gt_u8[t], gt_u8[t + 1]), dtype=np.float64) for t in range(shape[0])])
        source = f"callable {getattr(flow, '__name__', type(flow).__name__)}"
    else:
        arr, source = np.asarray(flow), "supplied"
    if arr.shape != shape:
        raise ValueError(f"flow must be (T-1, H, W, 2) = {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("flow must be finite")
    # DVM rounds its flow to whole pixels; the stated formula keeps it as it is.
    return (np.rint(arr).astype(np.int64) if protocol == "dvm" else arr.astype(np.float64)), source


def _foreground(pred_fgr: np.ndarray, gt_fgr: np.ndarray, gt_alpha: np.ndarray, square: bool,
                protocol: str) -> MattingScore:
    _check_protocol(protocol, ("rvm", "rvm_hr"))
    pred_fgr, gt_fgr, gt_alpha = np.asarray(pred_fgr), np.asarray(gt_fgr), np.asarray(gt_alpha)
    if pred_fgr.shape != gt_fgr.shape or pred_fgr.ndim != 4 or gt_alpha.shape != gt_fgr.shape[:3]:
        raise ValueError(f"need pred_fgr, gt_fgr (T, H, W, 3) and gt_alpha (T, H, W); got "
                         f"{pred_fgr.shape}, {gt_fgr.shape}, {gt_alpha.shape}")
    p = pred_fgr.astype(np.float32) / np.float32(255) if pred_fgr.dtype == np.uint8 else pred_fgr.astype(np.float32)
    g = gt_fgr.astype(np.float32) / np.float32(255) if gt_fgr.dtype == np.uint8 else gt_fgr.astype(np.float32)
    values = []
    for t in range(len(p)):
        d = (p[t] - g[t])[gt_alpha[t] > 0]
        values.append(((d ** 2) if square else np.abs(d)).mean() * 1e3 if d.size else np.nan)
    return _score("fgr_MSE" if square else "fgr_MAD", protocol, values)


def fgr_mse(pred_fgr: np.ndarray, gt_fgr: np.ndarray, gt_alpha: np.ndarray, *,
            protocol: str = "rvm") -> MattingScore:
    """Foreground MSE x1e3 per frame over the pixels where the ground-truth alpha is > 0.

    Parameters
    ----------
    pred_fgr, gt_fgr : ndarray, (T, H, W, 3)
        Foregrounds, uint8 (0..255) or float in [0, 1]; all three channels count.
    gt_alpha : ndarray, (T, H, W)
        Ground-truth alpha; only where it is > 0 is the foreground scored.
    protocol : {"rvm", "rvm_hr"}

    Returns
    -------
    MattingScore
        A frame with no foreground pixel scores NaN.

    Raises
    ------
    ValueError
        Shapes that do not fit; unknown protocol.

    Examples
    --------
    >>> import numpy as np
    >>> fgr = np.zeros((1, 2, 2, 3), np.uint8)
    >>> float(fgr_mse(fgr + 255, fgr, np.ones((1, 2, 2), np.uint8)))
    1000.0
    """
    return _foreground(pred_fgr, gt_fgr, gt_alpha, True, protocol)


def fgr_mad(pred_fgr: np.ndarray, gt_fgr: np.ndarray, gt_alpha: np.ndarray, *,
            protocol: str = "rvm") -> MattingScore:
    """Foreground MAD x1e3 per frame over the pixels where the ground-truth alpha is > 0.

    RVM's low-resolution script reports it; the high-resolution one does not. Parameters,
    returns and errors as :func:`fgr_mse`.

    Examples
    --------
    >>> import numpy as np
    >>> fgr = np.zeros((1, 2, 2, 3), np.uint8)
    >>> float(fgr_mad(fgr + 255, fgr, np.ones((1, 2, 2), np.uint8)))
    1000.0
    """
    return _foreground(pred_fgr, gt_fgr, gt_alpha, False, protocol)


def rvm_dataset_mean(clips: list) -> float:
    """The dataset number RVM's evaluation workbook reports for one metric, Excel rules included.

    The workbook has one row per clip and one column per frame index. Each column is averaged
    over the clips that have that frame (blank cells ignored), and the summary cell averages
    those column means, but only over the columns written for the *first* clip's length and at
    most 700 of them (columns C..ZZ). For clips of equal length under 700 frames (RVM's test
    set: 100) this is the plain mean over all frames; otherwise it is not, and this function
    reproduces what the workbook shows.

    Parameters
    ----------
    clips : list of MattingScore or of 1-D arrays
        Per-frame values of each clip, in the workbook's row order.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On an empty list or an empty clip.

    Examples
    --------
    >>> rvm_dataset_mean([[1.0, 1.0], [3.0, 3.0, 9.0]])  # the third frame is not averaged
    2.0
    """
    rows = [np.asarray(c.per_frame if isinstance(c, MattingScore) else c, dtype=np.float64) for c in clips]
    if not rows or any(r.ndim != 1 or r.size == 0 for r in rows):
        raise ValueError("clips must be a non-empty list of non-empty per-frame series")
    columns = min(len(rows[0]), 700)
    means = [np.nanmean([r[j] for r in rows if j < len(r)]) for j in range(columns)]
    return float(np.mean(means))
