"""The headline score, habituation, events and the section recurrence sink, stage by stage (cheap)."""

from __future__ import annotations

import numpy as np
import pytest

import synth_signals as S
from resonance.hearing.events import EventPeaks
from resonance.hearing.frontend import FrontEnd
from resonance.expectation.loops import SectionRecurrence
from resonance.metrics import equilibrium_score, habituation
from resonance.expectation.sinks import RecurrenceSink, event_strength

SR = S.SR
DT_S = 0.3715


def test_equilibrium_score_is_the_same_for_any_length_of_a_steady_stimulus(rng):
    # A model that settles over its first seconds, then delivers a fluctuating steady power.
    n = int(180.0 / DT_S)
    t = (np.arange(n) + 1) * DT_S
    p = (1.0 - np.exp(-t / 3.0)) * rng.gamma(4.0, 0.25, n)
    scores = [equilibrium_score(p[: int(d / DT_S)], dt_s=DT_S, settle_s=10.0)[0] for d in (20.0, 60.0, 180.0)]
    assert max(scores) < 1.15 * min(scores), scores
    # The old headline, the maximum of the running level, grows with the length.
    a = np.exp(-DT_S / 30.0)
    from scipy.signal import lfilter

    level = lfilter([1 - a], [1, -a], p) / (1 - a ** np.arange(1, n + 1))
    skip = int(10.0 / DT_S)
    old = [level[skip: int(d / DT_S)].max() for d in (20.0, 60.0, 180.0)]
    assert old[2] > old[0]


def test_a_habituating_stimulus_settles_below_its_opening_and_reports_habituation():
    n = int(120.0 / DT_S)
    t = (np.arange(n) + 1) * DT_S
    steady = np.ones(n)
    wearing = np.exp(-np.maximum(t - 10.0, 0.0) / 30.0)
    s_steady, window_s = equilibrium_score(steady, dt_s=DT_S, settle_s=10.0)
    s_wear, _ = equilibrium_score(wearing, dt_s=DT_S, settle_s=10.0)
    assert s_wear < 0.5 * s_steady and window_s == pytest.approx(110.0, abs=DT_S)
    assert habituation(steady, dt_s=DT_S, settle_s=10.0, window_s=30.0) == 0.0
    assert habituation(wearing, dt_s=DT_S, settle_s=10.0, window_s=30.0) > 0.8
    # Shorter than twice the settling time: the second half is read.
    assert equilibrium_score(np.r_[np.zeros(20), np.ones(20)], dt_s=1.0, settle_s=30.0) == (1.0, 20.0)


def _pooled_events(shift_s, *, peaks=True):
    """Front-end events of a 120 BPM click train shifted by ``shift_s``, pooled to the 23 ms sink frames, from 0.5 s on."""
    y = S.click_train(120, 6.0)
    y = np.r_[np.zeros(int(round(shift_s * SR))), y][: y.size]
    fe = FrontEnd(sr=SR, n_bands=8)
    o = event_strength(fe.process(y).onset)
    if peaks:
        o = EventPeaks(n_bands=8).process(o)
    n = o.shape[1] // 4 * 4
    return o[:, :n].reshape(8, -1, 4).max(axis=2)[:, 22:]


def test_each_onset_is_one_event_wherever_it_falls_on_the_frame_grid():
    shifts = np.arange(0.0, 0.024, 0.003)
    counts = {tuple(np.count_nonzero(_pooled_events(s), axis=1)) for s in shifts}
    assert counts == {(11,) * 8}, counts  # 11 clicks from 0.5 s to 6 s, once each in every band
    totals = [_pooled_events(s).sum() for s in shifts]
    assert max(totals) < 1.02 * min(totals), totals
    # The onset drive max-pooled as it is counts a click twice where it straddles two sink frames.
    raw = [np.count_nonzero(_pooled_events(s, peaks=False)) for s in shifts]
    assert max(raw) > 1.1 * min(raw), raw


def test_event_peaks_stream_block_by_block(rng):
    x = rng.random((3, 500)) * (rng.random((3, 500)) < 0.2)
    whole = EventPeaks(n_bands=3).process(x)
    peaks = EventPeaks(n_bands=3)
    parts = [peaks.process(x[:, a:b]) for a, b in ((0, 1), (1, 37), (37, 38), (38, 500))]
    np.testing.assert_array_equal(whole, np.concatenate(parts, axis=1))
    assert np.all((whole == 0) | np.isin(whole, x))


def _section_events(rng, *, loop):
    """Sink-frame events of 8 bands: a steady beat in band 0; random notes elsewhere, exactly looped every 8 s or not."""
    fr, n = 43, 43 * 60
    o = np.zeros((8, n))
    o[0, ::43] = 1.0
    notes = (rng.random((7, n)) < 0.03).astype(float)
    if loop:
        notes = np.tile(notes[:, : 8 * fr], n // (8 * fr) + 1)[:, :n]
    o[1:] = notes
    return o


def test_the_section_sink_learns_an_exact_loop_and_not_a_steady_beat_under_varied_notes(rng):
    kw = dict(n_bands=8, frame_rate_hz=43.0, min_lag_s=4.0, max_lag_s=12.0)
    looped, varied = _section_events(rng, loop=True), _section_events(rng, loop=False)
    r_loop = SectionRecurrence(**kw)
    r_loop.process(looped)
    r_var = SectionRecurrence(**kw)
    r_var.process(varied)
    assert r_loop.reliability.min() > 0.8 and r_var.reliability.max() < 0.3
    # Band by band, the steady beat is a recurrence of its own.
    per_band = RecurrenceSink(**kw)
    per_band.process(varied)
    assert per_band.reliability[0] > 0.8
