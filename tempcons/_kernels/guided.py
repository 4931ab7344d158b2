"""The guided filter's per-pixel arithmetic (He, Sun and Tang 2013; fast variant He and Sun 2015).

The box means between these kernels are OpenCV's ``boxFilter``; the kernels form the products
whose means the filter needs, solve for the linear coefficients, and apply the coefficients,
bilinearly upsampled, to the full-resolution guide in one pass (no full-size coefficient
images are ever written).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def moments(guide, src, out):
    """The planes whose box means the filter needs, guide scaled to [0, 1].

    ``guide`` is uint8 ``(h, w, c)`` with c = 1 or 3. Grey: I, p, I p, I I (4 planes). Colour:
    I0 I1 I2, p, I0 p, I1 p, I2 p, I0 I0, I0 I1, I0 I2, I1 I1, I1 I2, I2 I2 (13 planes).
    """
    h, w, c = guide.shape
    s = np.float32(1.0 / 255.0)
    for y in prange(h):
        for x in range(w):
            p = src[y, x]
            if c == 1:
                i = np.float32(guide[y, x, 0]) * s
                out[y, x, 0] = i
                out[y, x, 1] = p
                out[y, x, 2] = i * p
                out[y, x, 3] = i * i
            else:
                i0 = np.float32(guide[y, x, 0]) * s
                i1 = np.float32(guide[y, x, 1]) * s
                i2 = np.float32(guide[y, x, 2]) * s
                out[y, x, 0] = i0
                out[y, x, 1] = i1
                out[y, x, 2] = i2
                out[y, x, 3] = p
                out[y, x, 4] = i0 * p
                out[y, x, 5] = i1 * p
                out[y, x, 6] = i2 * p
                out[y, x, 7] = i0 * i0
                out[y, x, 8] = i0 * i1
                out[y, x, 9] = i0 * i2
                out[y, x, 10] = i1 * i1
                out[y, x, 11] = i1 * i2
                out[y, x, 12] = i2 * i2


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def coefficients(means, c, eps, out):
    """Per pixel, the a (c values) and b of ``q = a . I + b`` from the box means of :func:`moments`.

    ``out`` is ``(h, w, 4)``: a0, a1, a2, b (a1 = a2 = 0 for a grey guide). The colour case
    solves ``(Sigma + eps U) a = cov(I, p)`` with the adjugate of the symmetric 3 x 3 matrix.
    """
    h, w = means.shape[0], means.shape[1]
    zero = np.float32(0.0)
    for y in prange(h):
        for x in range(w):
            if c == 1:
                i = means[y, x, 0]
                p = means[y, x, 1]
                a = (means[y, x, 2] - i * p) / (means[y, x, 3] - i * i + eps)
                out[y, x, 0] = a
                out[y, x, 1] = zero
                out[y, x, 2] = zero
                out[y, x, 3] = p - a * i
            else:
                i0 = means[y, x, 0]
                i1 = means[y, x, 1]
                i2 = means[y, x, 2]
                p = means[y, x, 3]
                c0 = means[y, x, 4] - i0 * p
                c1 = means[y, x, 5] - i1 * p
                c2 = means[y, x, 6] - i2 * p
                s00 = means[y, x, 7] - i0 * i0 + eps
                s01 = means[y, x, 8] - i0 * i1
                s02 = means[y, x, 9] - i0 * i2
                s11 = means[y, x, 10] - i1 * i1 + eps
                s12 = means[y, x, 11] - i1 * i2
                s22 = means[y, x, 12] - i2 * i2 + eps
                m00 = s11 * s22 - s12 * s12
                m01 = s02 * s12 - s01 * s22
                m02 = s01 * s12 - s02 * s11
                m11 = s00 * s22 - s02 * s02
                m12 = s01 * s02 - s00 * s12
                m22 = s00 * s11 - s01 * s01
                det = s00 * m00 + s01 * m01 + s02 * m02
                a0 = (m00 * c0 + m01 * c1 + m02 * c2) / det
                a1 = (m01 * c0 + m11 * c1 + m12 * c2) / det
                a2 = (m02 * c0 + m12 * c1 + m22 * c2) / det
                out[y, x, 0] = a0
                out[y, x, 1] = a1
                out[y, x, 2] = a2
                out[y, x, 3] = p - a0 * i0 - a1 * i1 - a2 * i2


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def apply(coef, guide, out):
    """``out = a . I + b`` at the guide's resolution, the mean coefficients ``coef`` ``(h, w, 4)``
    sampled bilinearly (pixel centres aligned, edges clamped, as ``cv2.resize`` does).

    ``guide`` is uint8 ``(H, W, c)``, c = 1 or 3.
    """
    hh, ww, c = guide.shape
    h, w = coef.shape[0], coef.shape[1]
    sy_scale = np.float32(h / hh)
    sx_scale = np.float32(w / ww)
    half = np.float32(0.5)
    s = np.float32(1.0 / 255.0)
    one = np.float32(1.0)
    for y in prange(hh):
        fy = min(max((np.float32(y) + half) * sy_scale - half, np.float32(0.0)), np.float32(h - 1))
        y0 = min(np.int64(fy), h - 1)
        y1 = min(y0 + 1, h - 1)
        ay = fy - np.float32(y0)
        for x in range(ww):
            fx = min(max((np.float32(x) + half) * sx_scale - half, np.float32(0.0)), np.float32(w - 1))
            x0 = min(np.int64(fx), w - 1)
            x1 = min(x0 + 1, w - 1)
            ax = fx - np.float32(x0)
            w00 = (one - ax) * (one - ay)
            w01 = ax * (one - ay)
            w10 = (one - ax) * ay
            w11 = ax * ay
            b = (w00 * coef[y0, x0, 3] + w01 * coef[y0, x1, 3] + w10 * coef[y1, x0, 3] + w11 * coef[y1, x1, 3])
            v = b
            for k in range(c):
                a = (w00 * coef[y0, x0, k] + w01 * coef[y0, x1, k] + w10 * coef[y1, x0, k] + w11 * coef[y1, x1, k])
                v += a * np.float32(guide[y, x, k]) * s
            out[y, x] = v
