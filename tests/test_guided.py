"""The guided filter against a plain NumPy reference, and its argument checks."""

import cv2
import numpy as np
import pytest

import naive
from tempcons._validate import shrink_area
from tempcons.guided import _guided_up, guided_filter, guided_upsample
from tempcons.synthetic import texture


def _guide(rng, h, w, c):
    g = cv2.GaussianBlur((rng.random((h, w, c)) * 255).astype(np.uint8), (5, 5), 1)
    return g.reshape(h, w, c)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size, grid, radius", [((31, 47), (31, 47), 3), ((40, 60), (10, 15), 8),
                                                ((50, 70), (20, 28), 3)])
def test_kernels_match_the_reference(channels, size, grid, radius):
    rng = np.random.default_rng(channels * 10 + radius)
    guide = _guide(rng, *size, channels)
    small = cv2.resize(guide, grid[::-1], interpolation=cv2.INTER_AREA).reshape(*grid, channels)
    src = rng.random(grid).astype(np.float32)
    squeeze = (lambda a: a[..., 0]) if channels == 1 else (lambda a: a)
    got = _guided_up(squeeze(guide), squeeze(small), src, radius, 1e-3)
    r = max(1, round(radius * grid[1] / size[1]))
    np.testing.assert_allclose(got, naive.guided_upsample(guide, small, src, r, 1e-3), atol=2e-5)


def test_guided_filter_is_the_fast_filter_on_the_shrunk_images():
    rng = np.random.default_rng(3)
    guide = _guide(rng, 48, 64, 3)
    src = rng.random((48, 64)).astype(np.float32)
    got = guided_filter(guide, src, 8, 1e-3, scale=0.25)
    ref = naive.guided_upsample(guide, shrink_area(guide, 12, 16), shrink_area(src, 12, 16), 2, 1e-3)
    np.testing.assert_allclose(got, ref, atol=2e-5)


def test_shrink_area_halves_exactly_as_area_resampling_does():
    rng = np.random.default_rng(0)
    image = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    got = shrink_area(image, 12, 16).astype(int)  # two exact halvings: one rounding in between
    assert np.abs(got - cv2.resize(image, (16, 12), interpolation=cv2.INTER_AREA)).max() <= 1


@pytest.mark.parametrize("size, target", [((480, 854), (120, 214)), ((97, 61), (40, 30))])
def test_shrink_area_stays_close_to_area_resampling_on_video_like_content(size, target):
    """A last bilinear step below two differs from one area pass by under a level on average on smooth
    content (frames, masks); on noise it differs more, which the refinement does not see."""
    image = (texture(*size, np.random.default_rng(1)) * 255).astype(np.uint8)
    got = shrink_area(image, *target).astype(int)
    ref = cv2.resize(image, target[::-1], interpolation=cv2.INTER_AREA).astype(int)
    assert got.shape == ref.shape
    assert np.abs(got - ref).mean() < 1.0 and np.abs(got - ref).max() <= 6


def test_upsampled_edges_follow_the_guide():
    guide = np.zeros((96, 128), np.uint8)
    guide[:, 61:] = 255  # the true edge, between frame columns 60 and 61
    coarse = np.zeros((24, 32), np.float32)
    coarse[:, 16:] = 1  # the coarse mask's edge lands 3 frame pixels off
    out = guided_upsample(guide, coarse, radius=8, eps=1e-4)
    assert (out[:, 61] - out[:, 60]).min() > 0.5  # the step is where the guide's is
    plain = cv2.resize(coarse, (128, 96), interpolation=cv2.INTER_LINEAR)
    assert ((out > 0.5) == (guide > 0)).all()  # decided at 0.5, it is exactly the guide's region
    assert ((plain > 0.5) != (guide > 0)).sum() == 3 * 96  # bilinear alone stays 3 px off


@pytest.mark.parametrize("kwargs, match", [
    (dict(radius=0), "radius must be >= 1"),
    (dict(eps=0.0), "eps must be > 0"),
    (dict(scale=0.0), r"scale must be in \(0, 1\]"),
    (dict(src=np.zeros((8, 9), np.float32)), r"src shape \(8, 9\) must equal"),
])
def test_guided_filter_names_a_bad_argument(kwargs, match):
    args = dict(guide=np.zeros((8, 8), np.uint8), src=np.zeros((8, 8), np.float32))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        guided_filter(**args)


def test_guided_upsample_refuses_a_larger_src():
    with pytest.raises(ValueError, match=r"src \(9, 8\) must be no larger than the guide \(8, 8\)"):
        guided_upsample(np.zeros((8, 8), np.uint8), np.zeros((9, 8), np.float32))
