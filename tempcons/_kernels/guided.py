"""The guided filter's per-pixel arithmetic (He, Sun and Tang 2013; fast variant He and Sun 2015).

The kernels form the products whose means the filter needs, solve for the linear coefficients,
and apply the coefficients, bilinearly upsampled, to the full-resolution guide: along x once per
coarse row, then along y within the full-resolution pass (no full-size coefficient image is ever
written). The first two run on the coarse grid (a
sixteenth of the frame's pixels by default) in one thread: there a parallel launch costs more
than the work, and much more when another process (the segmenter) holds a core. The box means
between them are OpenCV's ``boxFilter`` on groups of four planes: its four-channel path is
about twice as fast per plane as its many-channel one, and faster than a Numba running sum here.
"""

import numpy as np
from numba import njit, prange

from .sampling import taps


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def moments(guide, src, out):
    """The planes whose box means the filter needs, guide scaled to [0, 1], in groups of four.

    ``guide`` is uint8 ``(h, w, c)`` with c = 1 or 3; ``out`` is ``(g, h, w, 4)``, plane ``i`` at
    ``out[i // 4, ..., i % 4]``. Grey (one group): I, p, I p, I I. Colour (four groups, the last
    three planes unused): I0 I1 I2, p, I0 p, I1 p, I2 p, I0 I0, I0 I1, I0 I2, I1 I1, I1 I2, I2 I2.
    """
    h, w, c = guide.shape
    s = np.float32(1.0 / 255.0)
    for y in range(h):
        for x in range(w):
            p = src[y, x]
            if c == 1:
                i = np.float32(guide[y, x, 0]) * s
                out[0, y, x, 0] = i
                out[0, y, x, 1] = p
                out[0, y, x, 2] = i * p
                out[0, y, x, 3] = i * i
            else:
                i0 = np.float32(guide[y, x, 0]) * s
                i1 = np.float32(guide[y, x, 1]) * s
                i2 = np.float32(guide[y, x, 2]) * s
                out[0, y, x, 0] = i0
                out[0, y, x, 1] = i1
                out[0, y, x, 2] = i2
                out[0, y, x, 3] = p
                out[1, y, x, 0] = i0 * p
                out[1, y, x, 1] = i1 * p
                out[1, y, x, 2] = i2 * p
                out[1, y, x, 3] = i0 * i0
                out[2, y, x, 0] = i0 * i1
                out[2, y, x, 1] = i0 * i2
                out[2, y, x, 2] = i1 * i1
                out[2, y, x, 3] = i1 * i2
                out[3, y, x, 0] = i2 * i2


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def coefficients(means, c, eps, out):
    """Per pixel, the a (c values) and b of ``q = a . I + b`` from the box means of :func:`moments`
    (same layout).

    ``out`` is ``(h, w, 4)``: a0, a1, a2, b (a1 = a2 = 0 for a grey guide). The colour case
    solves ``(Sigma + eps U) a = cov(I, p)`` with the adjugate of the symmetric 3 x 3 matrix.
    """
    h, w = means.shape[1], means.shape[2]
    zero = np.float32(0.0)
    for y in range(h):
        for x in range(w):
            if c == 1:
                i = means[0, y, x, 0]
                p = means[0, y, x, 1]
                a = (means[0, y, x, 2] - i * p) / (means[0, y, x, 3] - i * i + eps)
                out[y, x, 0] = a
                out[y, x, 1] = zero
                out[y, x, 2] = zero
                out[y, x, 3] = p - a * i
            else:
                i0 = means[0, y, x, 0]
                i1 = means[0, y, x, 1]
                i2 = means[0, y, x, 2]
                p = means[0, y, x, 3]
                c0 = means[1, y, x, 0] - i0 * p
                c1 = means[1, y, x, 1] - i1 * p
                c2 = means[1, y, x, 2] - i2 * p
                s00 = means[1, y, x, 3] - i0 * i0 + eps
                s01 = means[2, y, x, 0] - i0 * i1
                s02 = means[2, y, x, 1] - i0 * i2
                s11 = means[2, y, x, 2] - i1 * i1 + eps
                s12 = means[2, y, x, 3] - i1 * i2
                s22 = means[3, y, x, 0] - i2 * i2 + eps
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
def widen(coef, width, out):
    """The mean coefficients ``coef`` ``(h, w, 4)`` sampled bilinearly along x only, at ``width``
    columns (:func:`~tempcons._kernels.sampling.taps`), into the planes ``out`` ``(4, h, width)``.

    Interpolating along x once per coarse row, not once per output row, takes the scattered
    reads (two per sample) off the full-resolution pass; ``apply`` then reads only contiguous rows.
    """
    h, w = coef.shape[0], coef.shape[1]
    xs, fxs = taps(width, w)
    one = np.float32(1.0)
    for y in prange(h):
        for x in range(width):
            x0 = xs[x]
            x1 = min(x0 + 1, w - 1)
            ax = fxs[x]
            bx = one - ax
            for k in range(4):
                out[k, y, x] = bx * coef[y, x0, k] + ax * coef[y, x1, k]


@njit(cache=True, parallel=True, fastmath=True, nogil=True, error_model="numpy")
def apply(wide, guide, out):
    """``out = a . I + b`` at the guide's resolution: the coefficient planes ``wide``
    ``(4, h, W)`` (from :func:`widen`) blended between their two nearest rows, times the guide's
    planes ``guide`` ``(c, H, W)`` uint8, c = 1 or 3.

    The guide comes as planes, not as interleaved pixels: the loop over a row then reads only
    contiguous arrays and is vectorized (reading three interleaved bytes per pixel was not, and
    cost most of the pass).
    """
    c, hh, ww = guide.shape
    h = wide.shape[1]
    ys, fys = taps(hh, h)
    s = np.float32(1.0 / 255.0)
    for y in prange(hh):
        y0 = ys[y]
        y1 = min(y0 + 1, h - 1)
        ay = fys[y]
        a0, a1, a2, a3 = wide[0, y0], wide[1, y0], wide[2, y0], wide[3, y0]
        b0, b1, b2, b3 = wide[0, y1], wide[1, y1], wide[2, y1], wide[3, y1]
        row = out[y]
        if c == 1:
            g = guide[0, y]
            for x in range(ww):
                row[x] = ((a0[x] + ay * (b0[x] - a0[x])) * (np.float32(g[x]) * s)
                          + (a3[x] + ay * (b3[x] - a3[x])))
        else:
            g0, g1, g2 = guide[0, y], guide[1, y], guide[2, y]
            for x in range(ww):
                row[x] = ((a0[x] + ay * (b0[x] - a0[x])) * (np.float32(g0[x]) * s)
                          + (a1[x] + ay * (b1[x] - a1[x])) * (np.float32(g1[x]) * s)
                          + (a2[x] + ay * (b2[x] - a2[x])) * (np.float32(g2[x]) * s)
                          + (a3[x] + ay * (b3[x] - a3[x])))
