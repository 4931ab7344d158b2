"""Video-matting metrics under RVM's protocol (``PeterL1n/RobustVideoMatting`` evaluation scripts).

Conventions of that protocol, all reproduced (``reference/metrics.md`` §1.1):

- alphas are read as 8-bit images and divided by 255 in float32; predictions were written by
  RVM's PNG writer, which *truncates* ``alpha * 255`` (``quantize="truncate"``);
- every metric is per frame over the whole frame (no trimap); MAD and MSE are x1e3, Grad and
  Conn /1e3, dtSSD x1e2;
- dtSSD of frame 0 is 0, and the clip value is the mean over all frames, zero included;
- Grad: gradients of a first-derivative-of-Gaussian filter (sigma 1.4, 9x9, L2-normalised,
  replicated border); the low-resolution script (``"rvm"``) min-max normalises each frame first,
  the high-resolution one (``"rvm_hr"``) does not.

Results carry the protocol that produced them. Other protocols (TCVOM, DVM, Erofeev) are not
implemented yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["MattingScore", "mad", "mse", "grad", "conn", "dtssd", "fgr_mse", "fgr_mad", "rvm_dataset_mean"]

_QUANTIZE = (None, "truncate", "round")


@dataclass(frozen=True)
class MattingScore:
    """One metric over a clip.

    Attributes
    ----------
    name : str
    protocol : str
        Whose convention produced the numbers.
    per_frame : ndarray of float64, (T,)
    value : float
        The clip value: mean over frames, as the protocol takes it.
    """

    name: str
    protocol: str
    per_frame: np.ndarray
    value: float


def _alphas(pred: np.ndarray, true: np.ndarray, quantize: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Both clips as float32 in [0, 1], the way the RVM scripts read them."""
    if quantize not in _QUANTIZE:
        raise ValueError(f"quantize must be one of {_QUANTIZE}, got {quantize!r}")
    pred, true = np.asarray(pred), np.asarray(true)
    if pred.shape != true.shape or pred.ndim != 3:
        raise ValueError(f"pred and true must both be (T, H, W) alphas, got {pred.shape} and {true.shape}")
    out = []
    for name, a, q in (("pred", pred, quantize), ("true", true, None)):
        if a.dtype == np.uint8:
            out.append(a.astype(np.float32) / np.float32(255))
            continue
        if a.dtype.kind != "f":
            raise TypeError(f"{name} must be uint8 or float in [0, 1], got dtype {a.dtype}")
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise ValueError(f"{name} must be finite and in [0, 1]")
        if q == "truncate":
            a = (a * 255).astype(np.uint8).astype(np.float32) / np.float32(255)
        elif q == "round":
            a = np.round(a * 255).astype(np.uint8).astype(np.float32) / np.float32(255)
        out.append(a.astype(np.float32))
    return out[0], out[1]


def _score(name: str, protocol: str, values: list[float]) -> MattingScore:
    per = np.asarray(values, dtype=np.float64)
    return MattingScore(name, protocol, per, float(np.mean(per)))


def _check_protocol(protocol: str, allowed: tuple[str, ...]) -> None:
    if protocol not in allowed:
        raise ValueError(f"protocol must be one of {allowed}, got {protocol!r}")


def mad(pred: np.ndarray, true: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Mean absolute difference x1e3 per frame.

    Parameters
    ----------
    pred, true : ndarray, (T, H, W)
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
    >>> mad(np.full((2, 4, 4), 255, np.uint8), np.zeros((2, 4, 4), np.uint8)).value
    1000.0
    """
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, true, quantize)
    return _score("MAD", protocol, [np.abs(p[t] - g[t]).mean() * 1e3 for t in range(len(p))])


def mse(pred: np.ndarray, true: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Mean squared difference x1e3 per frame (arguments as :func:`mad`)."""
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, true, quantize)
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


def grad(pred: np.ndarray, true: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Gradient error /1e3 per frame: sum of squared differences of Gaussian-gradient magnitudes.

    ``protocol="rvm"`` (RVM's low-resolution script) min-max normalises each frame of both clips
    first (a constant frame becomes 0); ``"rvm_hr"`` (its high-resolution script) does not, so
    the two are not comparable. Other arguments as :func:`mad`.
    """
    _check_protocol(protocol, ("rvm", "rvm_hr"))
    p, g = _alphas(pred, true, quantize)
    kx, ky = _gauss_derivative_kernels()
    values = []
    for t in range(len(p)):
        pt, gt = p[t], g[t]
        if protocol == "rvm":
            pt = cv2.normalize(pt, None, 1.0, 0.0, cv2.NORM_MINMAX)
            gt = cv2.normalize(gt, None, 1.0, 0.0, cv2.NORM_MINMAX)
        values.append(((_gradient_magnitude(gt, kx, ky) - _gradient_magnitude(pt, kx, ky)) ** 2).sum() / 1e3)
    return _score("Grad", protocol, values)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def conn(pred: np.ndarray, true: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Connectivity error /1e3 per frame (RVM's low-resolution script; its HR script has none).

    For thresholds 0.1, 0.2, ... 1.0 (``np.arange(0, 1.1, 0.1)``, float64, compared with the
    float32 alphas as the script does: with float64 alphas 153/255 falls below 0.6000000000000001
    and Conn moves by up to 49% on a frame), each pixel's level is the last threshold at which it
    still belonged to the largest 4-connected component of (true >= t) & (pred >= t), 1 if it
    never left; d = alpha - level, phi = 1 - d [d >= 0.15], error = sum |phi_true - phi_pred|.
    Other arguments as :func:`mad`.
    """
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, true, quantize)
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


def dtssd(pred: np.ndarray, true: np.ndarray, *, protocol: str = "rvm", quantize: str | None = None) -> MattingScore:
    """Temporal-derivative error x1e2 per frame: sqrt(mean over pixels of (dp/dt - dg/dt)^2).

    RVM's convention: frame 0 scores 0 and counts in the clip mean (a T-frame clip is scaled by
    (T - 1) / T against the mean over transitions). Other arguments as :func:`mad`.

    Examples
    --------
    >>> import numpy as np
    >>> true = np.zeros((3, 2, 2), np.float32)
    >>> pred = np.stack([np.zeros((2, 2)), np.ones((2, 2)), np.zeros((2, 2))]).astype(np.float32)
    >>> dtssd(pred, true).per_frame.tolist()
    [0.0, 100.0, 100.0]
    """
    _check_protocol(protocol, ("rvm",))
    p, g = _alphas(pred, true, quantize)
    values = [0.0] + [np.sqrt((((p[t] - p[t - 1]) - (g[t] - g[t - 1])) ** 2).sum() / g[t].size) * 1e2
                      for t in range(1, len(p))]
    return _score("dtSSD", protocol, values)


def _foreground(pred_fgr: np.ndarray, true_fgr: np.ndarray, true_alpha: np.ndarray, square: bool,
                protocol: str) -> MattingScore:
    _check_protocol(protocol, ("rvm", "rvm_hr"))
    pred_fgr, true_fgr, true_alpha = np.asarray(pred_fgr), np.asarray(true_fgr), np.asarray(true_alpha)
    if pred_fgr.shape != true_fgr.shape or pred_fgr.ndim != 4 or true_alpha.shape != true_fgr.shape[:3]:
        raise ValueError(f"need pred_fgr, true_fgr (T, H, W, 3) and true_alpha (T, H, W); got "
                         f"{pred_fgr.shape}, {true_fgr.shape}, {true_alpha.shape}")
    p = pred_fgr.astype(np.float32) / np.float32(255) if pred_fgr.dtype == np.uint8 else pred_fgr.astype(np.float32)
    g = true_fgr.astype(np.float32) / np.float32(255) if true_fgr.dtype == np.uint8 else true_fgr.astype(np.float32)
    values = []
    for t in range(len(p)):
        d = (p[t] - g[t])[true_alpha[t] > 0]
        values.append(((d ** 2) if square else np.abs(d)).mean() * 1e3 if d.size else np.nan)
    return _score("fgr_MSE" if square else "fgr_MAD", protocol, values)


def fgr_mse(pred_fgr: np.ndarray, true_fgr: np.ndarray, true_alpha: np.ndarray, *,
            protocol: str = "rvm") -> MattingScore:
    """Foreground MSE x1e3 over pixels where the true alpha is > 0, all three channels (uint8 or float)."""
    return _foreground(pred_fgr, true_fgr, true_alpha, True, protocol)


def fgr_mad(pred_fgr: np.ndarray, true_fgr: np.ndarray, true_alpha: np.ndarray, *,
            protocol: str = "rvm") -> MattingScore:
    """Foreground MAD x1e3 over pixels where the true alpha is > 0 (RVM's low-resolution script only)."""
    return _foreground(pred_fgr, true_fgr, true_alpha, False, protocol)


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
