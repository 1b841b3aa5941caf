"""resonance._pool: the same bits as NumPy's reshaped reductions."""

import numpy as np
import pytest

from resonance._pool import pool_max, pool_mean, pool_sum


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 5, 720)) * 10.0 ** rng.uniform(-6, 6, (3, 5, 720))
    x[rng.random(x.shape) < 0.3] = 0.0
    x[rng.random(x.shape) < 0.05] = -0.0
    x[0, 0, :16] = -0.0  # whole groups of negative zeros
    return x


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8, 9])
def test_same_bits_as_numpy(x, k):
    grouped = x.reshape(x.shape[:-1] + (-1, k))
    for got, want in ((pool_sum(x, k), grouped.sum(axis=-1)), (pool_mean(x, k), grouped.mean(axis=-1))):
        assert got.shape == want.shape
        # bit for bit, signs of zero included
        assert got.tobytes() == want.tobytes()
    # the same values (a largest value of zero may carry either sign)
    got = pool_max(x, k)
    assert got.shape == grouped.shape[:-1] and np.array_equal(got, grouped.max(axis=-1))


def test_two_dimensional_and_views(x):
    y = x[1]  # (5, 720), and a non-contiguous slice of it
    for z in (y, y[:, 8:-8], y[::2]):
        assert pool_mean(z, 4).tobytes() == z.reshape(z.shape[0], -1, 4).mean(axis=2).tobytes()
        assert pool_sum(z, 8).tobytes() == z.reshape(z.shape[0], -1, 8).sum(axis=2).tobytes()


def test_input_untouched_and_bad_length(x):
    before = x.copy()
    pool_max(x, 1)[...] = 5.0
    pool_sum(x, 1)
    assert np.array_equal(x, before)
    with pytest.raises(ValueError, match="k=4"):
        pool_max(np.zeros((2, 6)), 4)
