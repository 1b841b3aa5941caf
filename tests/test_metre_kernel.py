"""The metre filter's compiled parts against their plain NumPy forms (resonance.expectation.metre).

The filter's per-frame work runs in compiled loops arranged for speed
(several partial sums, likelihoods gathered before the products, chunks of
fixed length): each slot's new value must be that of the plain form bit for
bit, and every sum must equal the plain sum to rounding (relative 1e-12).
The state is a real one: a model that has followed a click train with a
tempo change (so some tempi are followed and most are dormant).
"""

from __future__ import annotations

import numpy as np
import pytest

from resonance.expectation import MetreModel
from resonance.expectation.metre import _dormant_accents, _live_frame, _tempo_changes

FRAME_HZ = 43.066
RTOL = 1e-12


@pytest.fixture(scope="module")
def model():
    """A model after 20 s of clicks at 100 BPM, then 8 s at 130 BPM (mid-change: tempi live and dormant)."""
    o = np.zeros((1, int(28 * FRAME_HZ)))
    for t_s in np.concatenate([np.arange(0.0, 20.0, 0.6), np.arange(20.0, 28.0, 60.0 / 130.0)]):
        o[0, int(round(t_s * FRAME_HZ))] = 0.8
    m = MetreModel(frame_rate_hz=FRAME_HZ)
    m.process(o)
    assert 0 < m._live.sum() < m._live.size  # some tempi followed, some dormant
    return m


def _likelihoods(m, o):
    """The soft Bernoulli likelihood of accent ``o`` for each distinct onset probability (as the filter computes it)."""
    return (1.0 - m._q_levels) * np.exp(o * m._logit_levels)


def _position_index(m, j):
    """Indices into the doubled position tables of the slots of cycle ``j``, in slot order."""
    s0, L = m._starts[j], m._lengths[j]
    return 2 * s0 + L - m._offset[j] + np.arange(L)


@pytest.mark.parametrize("accent", [0.0, 0.37])
@pytest.mark.parametrize("read", [False, True])
def test_live_frame_equals_its_plain_form(model, accent, read):
    m = model
    d = m._d
    rng = np.random.default_rng(3)
    theta = rng.uniform(0.05, 0.95, m.n_bins)
    lik = _likelihoods(m, accent)
    scale = 1.0 / m._alpha[np.repeat(m._live, m._lengths)].sum()
    alpha = m._alpha.copy()
    ring = np.full(m._lengths.size, np.nan)
    mb4 = np.zeros(4 * m.n_bins)
    got = _live_frame(alpha, m._live, m._starts, m._lengths, m._offset, ring, scale, d["q"], d["omq"], d["beat_w"],
                      theta, d["bin_of"], lik, d["level"], mb4, accent > 0.0, read, d["cos"], d["sin"],
                      np.empty(m._lengths.max()))
    # Plain form: one cycle at a time, whole-array NumPy.
    want_alpha = m._alpha.copy()
    want_ring = np.zeros(m._lengths.size)
    mb = np.zeros(m.n_bins)
    p_ltm = b_t = p_stm = r_now = 0.0
    for j in np.flatnonzero(m._live):
        s0, L = m._starts[j], m._lengths[j]
        ix = _position_index(m, j)
        v = m._alpha[s0:s0 + L] * scale
        p_ltm += v @ d["q"][ix]
        b_t += v @ d["beat_w"][ix]
        p_stm += v @ theta[d["bin_of"][ix]]
        w = v * (lik[d["level"][ix]] if accent > 0.0 else 1.0 - d["q"][ix])
        w[w <= 1e-200] = 0.0
        want_alpha[s0:s0 + L] = w
        want_ring[j] = w.sum()
        r_now += np.hypot(w @ d["cos"][ix], w @ d["sin"][ix])
        mb += np.bincount(d["bin_of"][ix], weights=w, minlength=m.n_bins)
    np.testing.assert_array_equal(alpha, want_alpha)  # every slot bit for bit (dormant ones untouched)
    np.testing.assert_allclose(ring, want_ring, rtol=RTOL, atol=0.0)
    np.testing.assert_allclose(mb4.reshape(4, m.n_bins).sum(axis=0), mb, rtol=RTOL, atol=0.0)
    want = (p_ltm, b_t, p_stm, want_ring.sum(), r_now if read else 0.0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0.0)


def test_dormant_accents_equal_their_plain_form(model):
    m = model
    d = m._d
    frame = m.n_frames_  # the next frame
    lik = _likelihoods(m, 0.61)
    alpha, last, lnorm, dmass = m._alpha.copy(), m._last.copy(), m._lnorm.copy(), m._dmass.copy()
    last[np.flatnonzero(~m._live)[0]] = frame  # one cycle pruned on this frame: already in its units, left alone
    _dormant_accents(alpha, m._live, m._starts, m._lengths, m._offset, last, lnorm, dmass, m._pre, m._ipre,
                     m._pstart, lik, d["level"], np.empty(m._lengths.max()), frame)
    want_alpha, want_dmass = m._alpha.copy(), m._dmass.copy()
    n_updated = 0
    for j in np.flatnonzero(~m._live)[1:]:
        s0, L, off = m._starts[j], m._lengths[j], m._offset[j]
        r = frame - 1 - m._last[j]
        assert 0 <= r < L  # the filter brings a dormant cycle up to date at least once a cycle
        b1 = m._pstart[j] + 2 * L - off
        w = m._alpha[s0:s0 + L] * m._lnorm[j] * m._pre[b1:b1 + L] * m._ipre[b1 - r:b1 - r + L]
        w = w * lik[d["level"][_position_index(m, j)]]
        w[w <= 1e-200] = 0.0
        want_alpha[s0:s0 + L] = w
        want_dmass[j] = w.sum()
        n_updated += 1
    assert n_updated > 10
    np.testing.assert_array_equal(alpha, want_alpha)  # every slot bit for bit (live ones untouched)
    np.testing.assert_allclose(dmass, want_dmass, rtol=RTOL, atol=0.0)
    dormant = ~m._live
    assert np.all(last[dormant] == frame) and np.all(lnorm[dormant][1:] == 1.0)
    np.testing.assert_array_equal(last[m._live], m._last[m._live])


def test_tempo_changes_equal_the_banded_matrix_product(model):
    m = model
    T = m._lengths.size
    rng = np.random.default_rng(4)
    leave = np.zeros(T + m._A_band.shape[1])
    leave[:T] = rng.exponential(1e-3, T)
    enter = np.full(T, np.nan)
    entered = _tempo_changes(m._A_band, m._a_lo, leave, enter)
    # The full transition matrix from its band (row i: columns a_lo[i]..a_hi[i]).
    full = np.zeros((T, T))
    for i in range(T):
        full[i, m._a_lo[i]:m._a_hi[i]] = m._A_band[i, : m._a_hi[i] - m._a_lo[i]]
    assert np.all(m._A_band[np.arange(m._A_band.shape[1]) >= (m._a_hi - m._a_lo)[:, None]] == 0.0)  # padding
    np.testing.assert_allclose(enter, full @ leave[:T], rtol=RTOL, atol=0.0)
    assert entered == pytest.approx(enter.sum(), rel=RTOL)
