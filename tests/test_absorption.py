"""What the energy sinks absorb: predictable sound drains, varied music keeps building.

docs/model.md: a metronome is ordered but fully predictable, so
the sinks learn it and drain it; repetition habituates; a click track does
not outscore real grooving music.  Every stimulus is made here, at equal
loudness (pyloudnorm, ITU-R BS.1770).
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

import synth_music as M
import synth_signals as S
from resonance import ModelConfig, score_signal
from resonance.expectation.absorption import OnsetAbsorption
from resonance.expectation.loops import SectionRecurrence
from resonance.expectation.sinks import ModulationSink, RecurrenceSink, TimingTolerance

SR = S.SR
DURATION_S = 30.0
LOOP_S = 10.0  # five bars of 4/4 at 120 BPM


def _at_loudness(y, lufs=-23.0):
    return y * 10.0 ** ((lufs - pyloudnorm.Meter(SR).integrated_loudness(y)) / 20.0)


@pytest.fixture(scope="module")
def results(default_harmonics):
    """Scores of a click track, a band mix, its exact loop, a metronome and white noise."""
    mix = M.band_mix(120, DURATION_S, seed=0)
    loop = np.tile(mix[: int(LOOP_S * SR)], int(np.ceil(DURATION_S / LOOP_S)))[: mix.size]
    stimuli = {
        "clicks": S.click_train(120, DURATION_S),
        "mix": mix,
        "loop": loop,
        "metronome": S.metronome(120, DURATION_S),
        "noise": S.white_noise(DURATION_S),
    }
    out = {k: score_signal(_at_loudness(y), SR, harmonics=default_harmonics) for k, y in stimuli.items()}
    # The recurrence sink is on by default (session 6).
    out["mix_rec"], out["loop_rec"] = out["mix"], out["loop"]
    return out


def test_click_track_scores_below_a_band_mix_of_the_same_tempo_and_loudness(results):
    clicks, mix = results["clicks"].score, results["mix"].score
    assert clicks < mix, (clicks, mix)


def test_with_the_recurrence_sink_an_exact_loop_habituates_more_than_the_same_material_varied(results):
    """The loop's first 10 s are the varied version's first 10 s; then it recurs.

    The headline score is the highest level after the first 10 s, so it reads
    both at the level of that shared opening (and each restart of the loop is
    a legitimate surprise: the harmony jumps back); what differs is the fall.
    """
    loop, mix = results["loop_rec"].metrics, results["mix_rec"].metrics
    assert loop["habituation"] > mix["habituation"], (loop["habituation"], mix["habituation"])


def test_an_exact_loop_of_a_band_mix_scores_below_the_mix(results):
    """The recurrence sink learns the 10 s loop once it has come round.

    The model of session 5 (recurrence sink off) scored the loop 1.03x the
    mix; now 0.86x (it has come round only twice in 30 s, and the sink
    predicts as far as the recent sound brought no new events;
    docs/model.md, "Recurrence sink").
    """
    loop, mix = results["loop"].score, results["mix"].score
    assert loop < mix, (loop, mix)


class _PerBandSums(RecurrenceSink):
    """The section recurrence written with the per-band sums of :class:`RecurrenceSink`."""

    def _choose(self):
        r = self._agree.sum(axis=0) / (self._present.sum(axis=0) + self.prior_events)
        self._best = np.full(self.n_bands, int(np.argmax(r)))
        self._r = np.full(self.n_bands, float(r.max()))


def test_section_recurrence_kernel_equals_the_per_band_sums_for_any_split(rng):
    """The compiled pass (band sums, events only) predicts what the per-band sums predict."""
    o = np.zeros((4, 1500))
    bar = rng.random((4, 86)) < 0.1
    for k in range(0, 1500 - 86, 86):  # a recurring bar with 20 % of its events re-drawn
        o[:, k : k + 86] = np.where(rng.random((4, 86)) < 0.8, bar, rng.random((4, 86)) < 0.1)
    o *= rng.uniform(0.3, 1.0, o.shape)
    kw = dict(n_bands=4, frame_rate_hz=43.066, min_lag_s=1.0, max_lag_s=5.0, tau_s=8.0, block_frames=16)
    ref = _PerBandSums(**kw).process(o)
    sink = SectionRecurrence(**kw)
    got = np.concatenate([sink.process(o[:, i : i + 37]) for i in range(0, 1500, 37)], axis=1)
    assert ref.max() > 0.3  # the recurrence is found and predicts
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def _absorb(events, config=None):
    cfg = config or ModelConfig()
    absorb = OnsetAbsorption(frame_rate_hz=4 * 43.066, pool=4, step=64, config=cfg)
    n = 27 * 64
    for i in range(0, events.shape[1] - n + 1, n):
        absorb.process(events[:, i : i + n], np.full(n // 4, 0.6))
    return absorb


def test_band_sinks_forget_sound_with_new_events_and_keep_a_loop(rng):
    """The novelty gate: an exact loop is kept (decay at its floor), a varied one forgotten."""
    n_bar, n_bars = 4 * 86, 60  # 2 s bars at the envelope rate, 2 minutes
    bar = (rng.random((8, n_bar)) < 0.01).astype(float)
    loop = np.tile(bar, n_bars)
    varied = loop.copy()
    for k in range(n_bars):  # every bar re-draws a few events
        extra = rng.random((8, n_bar)) < 0.003
        varied[:, k * n_bar : (k + 1) * n_bar] = np.maximum(bar, extra)
    full = -np.expm1(-(64 / (4 * 43.066)) / ModelConfig().sink_forgetting_tau_s)
    kept, forgot = _absorb(loop)._sinks.l2_decay, _absorb(varied)._sinks.l2_decay
    assert kept < 0.01 * full, (kept, full)
    assert forgot > 0.5 * full, (forgot, full)


def test_gated_absorption_is_block_split_invariant(rng):
    o = (rng.random((8, 64 * 27 * 4)) < 0.02) * rng.uniform(0.3, 1.0, (8, 64 * 27 * 4))
    c = np.full(o.shape[1] // 4, 0.6)
    whole = OnsetAbsorption(frame_rate_hz=4 * 43.066, pool=4, step=64, config=ModelConfig())
    split = OnsetAbsorption(frame_rate_hz=4 * 43.066, pool=4, step=64, config=ModelConfig())
    a = whole.process(o, c)
    b = [split.process(o[:, i : i + 64 * 5], c[i // 4 : (i + 64 * 5) // 4]) for i in range(0, o.shape[1], 64 * 5)]
    for x, y in zip(a, [np.concatenate(parts, axis=1) for parts in zip(*b)]):
        np.testing.assert_array_equal(x, y)


def test_gated_absorption_in_one_compiled_call_equals_the_per_block_form(rng):
    """Whole blocks in one compiled call (_learn_blocks) equal the per-block callback form bit for bit, state included."""
    n_bar, n_bars = 4 * 86, 24
    bar = (rng.random((8, n_bar)) < 0.02) * rng.uniform(0.3, 1.0, (8, n_bar))
    o = np.tile(bar, n_bars)
    o[:, n_bar * 12 :] = np.maximum(o[:, n_bar * 12 :], (rng.random((8, n_bar * 12)) < 0.01) * 0.8)  # new events
    o[:, : n_bar * 12 : 7] *= 0.5  # and varied strengths
    c = rng.uniform(0.2, 1.0, o.shape[1] // 4)
    fused = OnsetAbsorption(frame_rate_hz=4 * 43.066, pool=4, step=64, config=ModelConfig())
    plain = OnsetAbsorption(frame_rate_hz=4 * 43.066, pool=4, step=64, config=ModelConfig())
    plain._fused = False
    n = 64 * 27
    for i in range(0, o.shape[1] - n + 1, n):
        got = fused.process(o[:, i : i + n], c[i // 4 : (i + n) // 4])
        want = plain.process(o[:, i : i + n], c[i // 4 : (i + n) // 4])
        for x, y in zip(got, want):
            np.testing.assert_array_equal(x, y)
    assert fused._rec._state[1] > 0.1  # the recurrence sink found the loop
    for a, b in ((fused._sinks, plain._sinks), (fused._rec, plain._rec)):
        for name in ("w_", "b_", "_hist", "_pending", "l2_decay", "_agree", "_present", "_state", "_best", "_r",
                     "_frame", "reliability_"):
            if hasattr(b, name):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (fused._seen, fused._novel) == (plain._seen, plain._novel)
    np.testing.assert_array_equal(fused._raw, plain._raw)


def test_a_metronome_habituates_and_a_varied_band_mix_does_not(results):
    """The sinks learn a metronome and drain it; music with ongoing variation keeps building.

    (White noise is left out: with loudness compressed per 23 ms frame it
    builds about 1/2000 of the mix, and the relative fall of so little is
    not a measure of anything.)
    """
    metronome = results["metronome"].metrics["habituation"]
    mix = results["mix"].metrics["habituation"]
    assert metronome > mix + 0.2, (metronome, mix)


def test_a_learned_click_track_drains_its_neutral_power(results):
    """Neutral power of the click track falls once the sinks have learned it.

    Before the timing tolerance it rose (0.45 over the first third of 40 s,
    0.85 over the last, onset path).  With the default sinks the modulation
    path keeps a floor (docs/model.md, section 4), so the fall is partial.
    """
    tl = results["clicks"].timeline
    t, p = tl["t_s"], tl["neutral_power"]
    early = float(p[(t >= 2.0) & (t < 10.0)].mean())
    late = float(p[t >= 20.0].mean())
    assert late < 0.75 * early, (early, late)


def test_timing_tolerance_absorbs_an_event_one_frame_late_and_only_then():
    tol = TimingTolerance(n_bands=1, tolerance_frames=1)
    p = np.array([[0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    o = np.array([[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]])
    expected, omitted = tol.process(o, p)
    absorbed = np.minimum(o, expected)
    assert absorbed[0, 2] == pytest.approx(0.9)  # one frame late: expected
    assert absorbed[0, 6] == 0.0  # unexpected
    assert omitted.sum() == 0.0  # the expectation was met within a frame
    exact = TimingTolerance(n_bands=1, tolerance_frames=0)
    expected0, omitted0 = exact.process(o, p)
    assert np.minimum(o, expected0)[0, 2] == 0.0 and omitted0[0, 1] == pytest.approx(0.9)


def test_timing_tolerance_is_block_split_invariant(rng):
    o, p = rng.random((3, 200)), rng.random((3, 200))
    whole = TimingTolerance(n_bands=3, tolerance_frames=2).process(o, p)
    tol = TimingTolerance(n_bands=3, tolerance_frames=2)
    parts = [tol.process(o[:, a:b], p[:, a:b]) for a, b in ((0, 1), (1, 17), (17, 18), (18, 200))]
    for i in range(2):
        np.testing.assert_array_equal(whole[i], np.concatenate([q[i] for q in parts], axis=1))


def test_modulation_sink_absorbs_a_steady_modulation_and_passes_a_changing_one(rng):
    """The delta rule learns a constant modulation power; a changing one keeps erring."""
    n = 200  # steps of 0.37 s: 74 s
    steady = np.full((1, 1, n), 0.4)
    changing = rng.uniform(0.0, 0.8, size=(1, 1, n))  # the same mean, new every step
    err_s = ModulationSink(n_bands=1, n_rates=1, step_s=0.37, tau_s=10.0).process(steady)[0, 0]
    err_c = ModulationSink(n_bands=1, n_rates=1, step_s=0.37, tau_s=10.0).process(changing)[0, 0]
    assert err_s[0] == pytest.approx(0.4)  # blank at the start: all of it passes
    assert err_s[-50:].mean() < 0.01 * 0.4  # learned: absorbed
    assert err_c[-50:].mean() > 0.3 * changing[0, 0, -50:].mean()  # still passing


def test_modulation_sink_is_block_split_invariant(rng):
    u = rng.random((3, 4, 60))
    whole = ModulationSink(n_bands=3, n_rates=4, step_s=0.37).process(u)
    sink = ModulationSink(n_bands=3, n_rates=4, step_s=0.37)
    parts = [sink.process(u[:, :, a:b]) for a, b in ((0, 0), (0, 1), (1, 31), (31, 60))]
    np.testing.assert_allclose(whole, np.concatenate(parts, axis=2), rtol=1e-12, atol=1e-15)


def test_a_steady_amplitude_modulation_habituates(default_harmonics):
    """AM noise drives the model at first (tests/test_model_facts.py) and is absorbed as it stays the same."""
    y = _at_loudness(M.am_noise(4, 40.0, depth=0.5))
    tl = score_signal(y, SR, harmonics=default_harmonics).timeline
    t, p = tl["t_s"], tl["neutral_power"]
    early = float(p[(t >= 2.0) & (t < 10.0)].mean())
    late = float(p[t >= 30.0].mean())
    assert early > 0 and late < 0.5 * early, (early, late)
