"""Backward warping along a flow: every resampling of an image along a flow lives here.

``out[y, x] = src[y + flow[y, x, 1], x + flow[y, x, 0]]``: the flow lives on the output's grid
and points into ``src`` (so to bring frame t-1 into frame t, pass the flow from t to t-1).

Two general warps, which differ at the border and in speed:

- :func:`warp` (Numba): a sample that falls outside ``src`` takes the value at the nearest
  border position (replication) and is marked invalid, so callers can ignore it. Points
  exactly on the last row or column are inside.
- :func:`warp_fill` (OpenCV ``remap`` with a relative map): a bilinear tap outside ``src``
  reads a constant; positions are quantised to 1/32 px. Several float32 channels cost about
  what one does, and OpenCV's SIMD remap is about twice as fast as a Numba gather, so the
  filters pull their packed state with it.

The others reproduce, bit for bit, how a published evaluation code resamples, and are named
after it; each keeps that code's arithmetic, slips included: :func:`warp_vspw_grid_sample`,
:func:`warp_tcvom`, :func:`warp_erofeev`, :func:`warp_dvm`, :func:`warp_flownet2_resample2d`.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._kernels import warp as _k
from ._validate import check_flow

__all__ = ["warp", "warp_fill", "warp_vspw_grid_sample", "warp_tcvom", "warp_erofeev", "warp_dvm",
           "warp_flownet2_resample2d"]

_RELATIVE_LINEAR = cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP
_RELATIVE_NEAREST = cv2.INTER_NEAREST | cv2.WARP_RELATIVE_MAP


def warp(src: np.ndarray, flow: np.ndarray, *, order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Backward-warp an image or a map along ``flow``.

    Parameters
    ----------
    src : ndarray, (H, W) or (H, W, C)
        Values to warp. ``order=1`` (bilinear, for evidence and images) computes in float32 and
        returns float32; ``order=0`` (nearest, for label and instance ids) keeps the dtype.
    flow : ndarray, float, (H, W, 2)
        x then y displacement into ``src``, on the output grid.
    order : {0, 1}
        Interpolation: 0 nearest, 1 bilinear.

    Returns
    -------
    warped : ndarray, same shape as ``src``
    valid : ndarray of bool, (H, W)
        True where the sample position is inside ``src``.

    Raises
    ------
    ValueError, TypeError
        Mismatched shapes, a flow that is not ``(H, W, 2)`` float, NaNs, a bad ``order``.

    Examples
    --------
    >>> import numpy as np
    >>> src = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> flow = np.zeros((2, 3, 2), np.float32); flow[..., 0] = 1.0
    >>> out, valid = warp(src, flow)
    >>> out.tolist(), valid.tolist()
    ([[1.0, 2.0, 2.0], [4.0, 5.0, 5.0]], [[True, True, False], [True, True, False]])
    """
    if not isinstance(src, np.ndarray) or src.ndim not in (2, 3):
        raise ValueError(f"src must be an array of shape (H, W) or (H, W, C), got {getattr(src, 'shape', type(src))}")
    flow = check_flow(flow, "flow", (*src.shape[:2], 2))
    if order not in (0, 1):
        raise ValueError(f"order must be 0 (nearest) or 1 (bilinear), got {order!r}")
    planes = src[..., None] if src.ndim == 2 else src
    if order == 1:
        if planes.dtype.kind not in "fuib":
            raise TypeError(f"src must be numeric, got dtype {src.dtype}")
        planes = planes.astype(np.float32)
    out = np.empty(planes.shape, planes.dtype)
    valid = np.empty(src.shape[:2], np.bool_)
    plane_out = np.empty(src.shape[:2], planes.dtype)
    for c in range(planes.shape[2]):
        _k.warp_plane(np.ascontiguousarray(planes[..., c]), flow, order == 0, plane_out, valid)
        out[..., c] = plane_out
    return (out[..., 0] if src.ndim == 2 else out), valid


def warp_fill(src: np.ndarray, flow: np.ndarray, *, nearest: bool = False, fill: float = 0.0,
              dst: np.ndarray | None = None) -> np.ndarray:
    """Backward-warp ``src`` along ``flow`` with OpenCV; what falls outside reads ``fill``.

    Unchecked, for the filters' inner loops: the caller passes arrays OpenCV's ``remap`` takes.

    Parameters
    ----------
    src : ndarray, (H, W) or (H, W, C)
        Values to warp (float32 for bilinear; any dtype ``cv2.remap`` takes for nearest).
    flow : ndarray, float32, (H, W, 2)
        x then y displacement into ``src``, on the output grid.
    nearest : bool
        Nearest neighbour (ids, labels) instead of bilinear; positions are quantised to 1/32 px
        either way.
    fill : float
        What a tap outside ``src`` reads (per tap: a bilinear sample half outside mixes it in).
    dst : ndarray, optional
        Output buffer of ``src``'s shape and dtype.

    Returns
    -------
    ndarray, ``src``'s shape and dtype

    Examples
    --------
    >>> import numpy as np
    >>> src = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> flow = np.zeros((2, 3, 2), np.float32); flow[..., 0] = 1.0
    >>> warp_fill(src, flow, fill=-1.0).tolist()
    [[1.0, 2.0, -1.0], [4.0, 5.0, -1.0]]
    """
    return cv2.remap(src, flow, None, _RELATIVE_NEAREST if nearest else _RELATIVE_LINEAR, dst=dst,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=(fill, fill, fill, fill))


def warp_vspw_grid_sample(src: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """VSPW's TC warp (``VSPW_code/TC_cal.py``): nearest ``grid_sample``, ``align_corners=False``,
    with coordinates normalised by W - 1 (a scale by W / (W - 1) and half a pixel off); outside: 0.

    Parameters
    ----------
    src : ndarray, (H, W)
        Class ids.
    flow : ndarray, float32, (H, W, 2)

    Returns
    -------
    ndarray, (H, W)
        ``src``'s values (or 0), in the dtype NumPy gives ``src`` and a Python int.

    Examples
    --------
    >>> import numpy as np
    >>> ids = np.array([[1, 2, 3, 4]], np.uint8)
    >>> warp_vspw_grid_sample(ids, np.zeros((1, 4, 2), np.float32)).tolist()  # at rest, the slip
    [[1, 2, 3, 0]]
    """
    h, w = src.shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    ix = (xx + flow[..., 0]) * np.float32(w / max(w - 1, 1)) - np.float32(0.5)
    iy = (yy + flow[..., 1]) * np.float32(h / max(h - 1, 1)) - np.float32(0.5)
    xi, yi = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    return np.where(inside, src[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0)


def _bilinear_taps(src: np.ndarray, flow: np.ndarray, border: str) -> np.ndarray:
    """``src`` at the flow's positions, bilinear in NumPy (positions in the flow's precision,
    weights and sums in ``src``'s); an outside tap reads 0 (``"zero"``) or the edge (``"clamp"``)."""
    h, w = src.shape
    yy, xx = np.mgrid[:h, :w].astype(flow.dtype)
    x, y = xx + flow[..., 0], yy + flow[..., 1]
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    ax, ay = (x - x0).astype(src.dtype), (y - y0).astype(src.dtype)
    out = np.zeros(x.shape, src.dtype)
    for dy, wy in ((0, 1 - ay), (1, ay)):
        for dx, wx in ((0, 1 - ax), (1, ax)):
            xi, yi = x0 + dx, y0 + dy
            if border == "zero":
                ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                tap = np.where(ok, src[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0)
            else:
                tap = src[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
            out += wx * wy * tap
    return out


def warp_tcvom(src: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """TCVOM's MESSDdt warp (``calc_metric.py``): bilinear, taps outside read 0.

    Parameters
    ----------
    src : ndarray, float, (H, W)
    flow : ndarray, float, (H, W, 2)
        Positions are computed in the flow's precision, the rest in ``src``'s.

    Returns
    -------
    ndarray, ``src``'s shape and dtype

    Examples
    --------
    >>> import numpy as np
    >>> src = np.ones((2, 2), np.float32)
    >>> flow = np.full((2, 2, 2), 0.5, np.float32)
    >>> warp_tcvom(src, flow).tolist()
    [[1.0, 0.5], [0.5, 0.25]]
    """
    return _bilinear_taps(src, flow, "zero")


def warp_erofeev(src: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """The MESSDdt warp as Erofeev et al. (BMVC 2015) state it: bilinear, border clamp, in NumPy.

    Parameters
    ----------
    src : ndarray, float, (H, W)
    flow : ndarray, float, (H, W, 2)
        Positions are computed in the flow's precision, the rest in ``src``'s.

    Returns
    -------
    ndarray, ``src``'s shape and dtype

    Examples
    --------
    >>> import numpy as np
    >>> src = np.ones((2, 2))
    >>> warp_erofeev(src, np.full((2, 2, 2), 0.5)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    return _bilinear_taps(src, flow, "clamp")


def warp_dvm(src: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """DVM's MESSDdt lookup (also OTVM's and MaGGIe's): whole-pixel flow, x and y swapped.

    The reference stacks (col, row) and reads them as (row, col) into a flattened batch: the
    row is the column plus the x flow, clamped to the rows, and the column the row plus the y
    flow, clamped to the columns.

    Parameters
    ----------
    src : ndarray, (H, W)
    flow : ndarray of int, (H, W, 2)
        x then y displacement in whole pixels (DVM rounds its flow).

    Returns
    -------
    ndarray, ``src``'s shape and dtype

    Examples
    --------
    >>> import numpy as np
    >>> src = np.arange(6).reshape(2, 3)
    >>> warp_dvm(src, np.zeros((2, 3, 2), np.int64)).tolist()  # at rest, the transpose, clamped
    [[0, 3, 3], [1, 4, 4]]
    """
    h, w = src.shape
    rows, cols = np.mgrid[:h, :w]
    r = np.clip(cols + flow[..., 0], 0, h - 1)
    c = np.clip(rows + flow[..., 1], 0, w - 1)
    return src.ravel()[r * w + c]


def warp_flownet2_resample2d(src: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """FlowNet2's ``Resample2d`` (bilinear, kernel size 1), the warp of ETC's TC (``tool/eval_tc.py``).

    The forward arithmetic of ``resample2d_kernel.cu`` (``NVIDIA/flownet2-pytorch``), in NumPy:
    the position ``x + dx`` and its fraction are float32; the four taps, clamped to the image,
    are weighted in double (``1.`` is a double literal there), each product is cast to float and
    the four are summed in float, top-left, top-right, bottom-left, bottom-right. That float sum
    is what makes a uniform region of label L read 2.9999998 for L = 3 under fractional flow, so
    ETC's uint8 truncation turns some of its pixels into L - 1; a float64 warp or ``grid_sample``
    moves about 1 % of the warped pixels and TC by up to a few percent. The golden maps come from
    a CPU emulation of the kernel, as ETC's own code needs CUDA; no GPU run was compared.

    Parameters
    ----------
    src : ndarray, (H, W)
        Values to warp (ETC passes its uint8 predictions as float32, which is exact).
    flow : ndarray, float, (H, W, 2)
        x then y displacement into ``src``, taken as float32 as ETC reads its ``.flo`` files.

    Returns
    -------
    ndarray of float32, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> src = np.full((1, 2), 3, np.uint8)
    >>> flow = np.array([[[0.1, 0.3], [0.3, 0.2]]], np.float32)
    >>> out = warp_flownet2_resample2d(src, flow)  # 3 split into four float terms and summed
    >>> out.tolist(), out.astype(np.uint8).tolist()
    ([[2.999999761581421, 3.000000238418579]], [[2, 3]])
    """
    h, w = src.shape
    flow = np.asarray(flow, np.float32)
    xf = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    yf = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    x0, y0 = np.floor(xf), np.floor(yf)
    alpha, beta = (xf - x0).astype(np.float64), (yf - y0).astype(np.float64)
    # floor + 1 is a float32 sum in the kernel, then truncated to int and clamped (border replicate).
    xl, xr = (np.clip(v.astype(np.int64), 0, w - 1) for v in (x0, x0 + np.float32(1)))
    yt, yb = (np.clip(v.astype(np.int64), 0, h - 1) for v in (y0, y0 + np.float32(1)))
    v = src.astype(np.float64)
    out = np.zeros((h, w), np.float32)
    for wy, rows in ((1.0 - beta, yt), (beta, yb)):
        for wx, cols in ((1.0 - alpha, xl), (alpha, xr)):
            out += (wx * wy * v[rows, cols]).astype(np.float32)
    return out
