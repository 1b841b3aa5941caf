"""The facts of docs/model.md, measured through the whole pipeline.

Every stimulus is synthesised here (tests/synth_signals.py); nothing in the
model knows interval names, tempi or syncopation indices.  Each fact must
emerge from the stages: resonators, learning sinks, precision, consonance.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

import synth_signals as S
from resonance import Scorer, score_signal

SR = S.SR

# Schwartz, Howe & Purves (2003), median rank of 7 historical studies, most to
# least consonant; tied intervals share the mean rank.
SCHWARTZ_RANK = {
    "P1": 1, "P8": 2, "P5": 3, "P4": 4, "M3": 5.5, "M6": 5.5, "m6": 7, "m3": 8,
    "TT": 9, "M2": 10.5, "m7": 10.5, "M7": 12, "m2": 13,
}
SEMITONES = {"P1": 0, "m2": 1, "M2": 2, "m3": 3, "M3": 4, "P4": 5, "TT": 6, "P5": 7,
             "m6": 8, "M6": 9, "m7": 10, "M7": 11, "P8": 12}


def _score(y, harmonics, **kw):
    return score_signal(S.match_rms(y), SR, harmonics=harmonics, **kw)


def _tone(f0_hz, duration_s, *, n_harmonics=11, seed=0):
    """Harmonic complex tone, amplitudes 1/k, seeded random phases, 20 ms ramps."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(duration_s * SR))) / SR
    y = sum(np.sin(2 * np.pi * k * f0_hz * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, n_harmonics + 1))
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    return y * ramp


def _chord(root_hz, semitones, duration_s=2.0):
    return sum(_tone(root_hz * 2 ** (s / 12), duration_s, seed=i) for i, s in enumerate(semitones))


@pytest.mark.parametrize("f0_hz", [130.81, 261.63, 523.25])
def test_dyad_consonance_follows_schwartz_order(default_harmonics, f0_hz):
    # Complex tones of 11 harmonics with 1/k amplitudes (the default tones of
    # Harrison & Pearce's incon models), rooted at C3, C4 and C5.
    names = list(SEMITONES)
    cons = [_score(_chord(f0_hz, [0, SEMITONES[n]]), default_harmonics).metrics["consonance"] for n in names]
    rho = spearmanr(cons, [-SCHWARTZ_RANK[n] for n in names])[0]
    assert rho >= 0.85, dict(zip(names, np.round(cons, 3)))
    c = dict(zip(names, cons))
    assert min(c["P8"], c["P5"]) > max(c["m2"], c["M7"])


def _espeak(tmp_path, text, voice="en-us"):
    import shutil
    import subprocess

    import librosa
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    speech, sr = sf.read(wav)
    return librosa.resample(speech, orig_sr=sr, target_sr=SR)


def test_unpitched_sound_has_no_consonance_and_never_tops_a_mixed_set(default_harmonics, tmp_path):
    speech = _espeak(tmp_path, "Please call Stella and ask her to bring these things with her from the store.")
    sounds = {
        "major chord": _chord(261.63, [0, 4, 7], 6.0),
        "minor chord": _chord(261.63, [0, 3, 7], 6.0),
        "semitone cluster": _chord(261.63, [0, 1, 2, 3], 6.0),
        "click train": S.click_train(120, 6.0),
        "white noise": S.white_noise(6.0),
        "drum groove": S.groove(120, 6.0, seed=3),
        "speech": speech,
    }
    m = {name: _score(y, default_harmonics).metrics for name, y in sounds.items()}
    cons = {name: v["consonance"] for name, v in m.items()}
    major = cons["major chord"]
    for name in ("click train", "white noise", "drum groove", "speech"):
        assert cons[name] is None or cons[name] < major - 0.5, cons
        assert m[name]["tonalness"] < m["major chord"]["tonalness"], m[name]
    pitched = {k: v for k, v in cons.items() if v is not None}
    assert max(pitched, key=pitched.get) == "major chord", cons
    assert cons["semitone cluster"] < cons["minor chord"] < major


def test_mode_consonance_follows_the_rates_the_stimulus_drives(default_harmonics):
    # Two click streams at 2 Hz and 3 Hz (a 3:2 polyrhythm) against 2 Hz and
    # 2 x 1.618 Hz: the energised harmonics ring at the rates of the drive,
    # including the isochronous second stream that the sinks learn (they
    # absorb its energy, not its rate).
    def two_streams(ratio):
        c = S.click()
        events = [(t, c, 1.0) for t in np.arange(0.0, 20.0, 0.5)]
        events += [(t, c, 0.8) for t in np.arange(0.0, 20.0, 0.5 / ratio)]
        return S.render_events(events, 20.0)

    simple = _score(two_streams(1.5), default_harmonics).metrics["mode_consonance"]
    golden = _score(two_streams(1.618034), default_harmonics).metrics["mode_consonance"]
    assert simple > golden, (simple, golden)


def test_entrainment_peaks_near_two_hertz(default_harmonics):
    bpms = [40, 60, 80, 100, 120, 140, 160, 200]
    ent = {b: _score(S.click_train(b, 30.0), default_harmonics).metrics["entrainment"] for b in bpms}
    best = max(ent, key=ent.get)
    assert 100 <= best <= 140, ent
    assert ent[best] > 2.0 * ent[40] and ent[best] > 2.0 * ent[200], ent
    # Monotone falls on both sides of the preferred rate, at the extremes.
    assert ent[60] > ent[40] and ent[160] > ent[200], ent


def test_tempo_estimate_follows_the_click_rate(default_harmonics):
    for bpm in (100, 120, 140):
        tempo = _score(S.click_train(bpm, 30.0), default_harmonics).metrics["tempo_bpm"]
        assert abs(tempo - bpm) / bpm < 0.04, (bpm, tempo)


@pytest.mark.parametrize("bpm", [96, 120, 132])
def test_groove_tempo_is_the_beat_not_the_hi_hat(default_harmonics, bpm):
    """Eighth-note hats make a stronger 2x line; the pulse resonance picks the beat."""
    tempo = _score(S.groove(bpm, 30.0, syncopation=0.5, seed=1), default_harmonics).metrics["tempo_bpm"]
    assert abs(tempo - bpm) / bpm < 0.04, (bpm, tempo)


def test_no_tempo_is_reported_without_a_pulse(default_harmonics):
    for y in (S.white_noise(20.0), S.harmonic_tone(220.0, 20.0), S.random_onsets(S.groove_rate(120), 20.0)):
        m = _score(y, default_harmonics).metrics
        assert m["tempo_bpm"] is None and m["pulse_salience"] < 3.0, m
    m = _score(S.click_train(100, 20.0), default_harmonics).metrics
    assert m["tempo_bpm"] is not None and m["pulse_salience"] > 3.0, m


@pytest.fixture(scope="module")
def rhythm_scores(default_harmonics):
    """Scores of a metronome, grooves and random onsets (90 s, equal RMS)."""
    d = 90.0
    rate = S.groove_rate(120, syncopation=0.5)
    out = {"metronome": _score(S.metronome(120, d), default_harmonics).score}
    out["groove"] = [
        _score(S.groove(120, d, syncopation=0.5, variation=0.5, seed=s), default_harmonics).score for s in (0, 1)
    ]
    out["random"] = [_score(S.random_onsets(rate, d, seed=s), default_harmonics).score for s in (0, 1, 2)]
    out["noise"] = _score(S.white_noise(d), default_harmonics).score
    return out


def test_groove_beats_metronome(rhythm_scores):
    assert min(rhythm_scores["groove"]) > 1.5 * rhythm_scores["metronome"], rhythm_scores


def test_groove_beats_random_onsets_of_same_density(rhythm_scores):
    assert min(rhythm_scores["groove"]) > 2.0 * max(rhythm_scores["random"]), rhythm_scores


def test_white_noise_scores_low(rhythm_scores):
    assert rhythm_scores["noise"] < 0.1 * min(rhythm_scores["groove"]), rhythm_scores
    assert rhythm_scores["noise"] < rhythm_scores["metronome"], rhythm_scores


def test_exact_loop_habituates_while_varied_version_holds(default_harmonics):
    d = 600.0
    loop = _score(S.groove(120, d, syncopation=0.5, loop=True, seed=3), default_harmonics).timeline
    varied = _score(S.groove(120, d, syncopation=0.5, variation=0.5, seed=3), default_harmonics).timeline

    def window(tl, a_s, b_s):
        t = tl["t_s"]
        return float(tl["sne"][(t >= a_s) & (t < b_s)].mean())

    # Early: after the first build-up (30-90 s); late: the last two minutes.
    loop_early, loop_late = window(loop, 30, 90), window(loop, 480, 600)
    var_early, var_late = window(varied, 30, 90), window(varied, 480, 600)
    assert loop_late < 0.5 * loop_early, (loop_early, loop_late)
    assert var_late > 0.7 * var_early, (var_early, var_late)
    assert var_late > 3.0 * loop_late


def test_sinks_start_blank_for_each_stimulus(default_harmonics):
    """A learned pattern is forgotten at reset: the second run equals the first."""
    y = S.match_rms(S.metronome(120, 30.0))
    scorer = Scorer(default_harmonics)
    scorer.process(y)
    first = scorer.result()
    scorer.reset()
    scorer.process(y)
    second = scorer.result()
    assert first.to_dict() == second.to_dict()
    assert first.metrics["absorbed_fraction"] > 0.5


def test_a_metronome_is_learned_within_seconds(default_harmonics):
    """Absorption of a metronome rises from ~0 to most of its energy."""
    y = S.match_rms(S.metronome(120, 40.0))
    early, late = Scorer(default_harmonics), Scorer(default_harmonics)
    early.process(y[: 3 * SR])
    late.process(y)
    assert early.result().metrics["absorbed_fraction"] < 0.5
    assert late.result().metrics["absorbed_fraction"] > 0.75


def test_speech_is_semantic_music_is_not(default_harmonics, tmp_path):
    import shutil
    import subprocess

    import librosa
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = tmp_path / "speech.wav"
    text = (
        "The quick brown fox jumps over the lazy dog. A sound model listens to music, "
        "meditation and rhythm, and tells how much energy builds up."
    )
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
    speech, sr = sf.read(wav)
    speech = librosa.resample(speech, orig_sr=sr, target_sr=SR)
    music = S.groove(120, 15.0, seed=2) + 0.3 * S.dyad(220.0, 7, 15.0)
    s_speech = _score(speech, default_harmonics).metrics["semantic_fraction"]
    s_music = _score(music, default_harmonics).metrics["semantic_fraction"]
    assert s_speech > 0.5 > 0.2 > s_music, (s_speech, s_music)


def test_same_signal_same_result_bit_for_bit(default_harmonics):
    y = S.groove(120, 20.0, seed=4)
    a = _score(y, default_harmonics)
    b = _score(y, default_harmonics)
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.timeline["sne"], b.timeline["sne"])


def test_block_splits_do_not_change_the_result(default_harmonics):
    y = S.match_rms(S.groove(120, 20.0, seed=5))
    whole = Scorer(default_harmonics)
    whole.process(y)
    split = Scorer(default_harmonics)
    for i in range(0, y.size, 4097):
        split.process(y[i : i + 4097])
    a, b = whole.result(), split.result()
    np.testing.assert_allclose(a.timeline["sne"], b.timeline["sne"], rtol=1e-9, atol=1e-15)
    assert a.score == pytest.approx(b.score, rel=1e-9)
    for key, value in a.metrics.items():  # every metric, synchrony's running averages included
        if value is None:  # e.g. consonance of a sound without pitch
            assert b.metrics[key] is None, key
            continue
        assert b.metrics[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


# --------------------------------------------------------------------------- #
# Version 2: the whole sound, the connectome, durations (issue 10)
# --------------------------------------------------------------------------- #

import dataclasses  # noqa: E402

import synth_music as M  # noqa: E402
from resonance import ModelConfig  # noqa: E402


def _level(y, rms=0.1):
    return y * (rms / np.sqrt(np.mean(y**2)))


def _score2(y, harmonics, **kw):
    return score_signal(_level(y), SR, harmonics=harmonics, **kw)


def test_amplitude_modulation_at_every_rate_drives_the_model(default_harmonics):
    control = _score2(M.am_noise(0, 15.0), default_harmonics).score
    scores = {r: _score2(M.am_noise(r, 15.0), default_harmonics).score for r in (1, 2, 4, 8, 16, 32, 64)}
    assert all(s > 1.2 * control for s in scores.values()), (control, scores)


def test_binaural_beat_drives_less_than_the_monaural_beat_and_more_than_none(default_harmonics):
    d = 20.0
    binaural = _score2(M.binaural_beat(d), default_harmonics)
    monaural = _score2(M.binaural_beat(d, binaural=False), default_harmonics)
    none = _score2(M.binaural_beat(d, beat_hz=0.0), default_harmonics)
    assert monaural.score > binaural.score > none.score, (monaural.score, binaural.score, none.score)


def test_steady_tone_builds_about_nothing_a_beating_drone_does(default_harmonics):
    steady = _score2(M.steady_tone(20.0), default_harmonics)
    beating = _score2(M.beat_pair(20.0), default_harmonics)
    assert steady.score < 0.1 * beating.score, (steady.score, beating.score)
    # Synchrony measures what the stimulus does to the regions: a drone
    # that drives nothing synchronises nothing.
    assert steady.metrics["synchrony"] < 0.2, steady.metrics["synchrony"]


def test_legato_chorale_and_dense_mix_build_more_than_white_noise(default_harmonics):
    noise = _score2(S.white_noise(20.0), default_harmonics).score
    chorale = _score2(M.chorale(20.0), default_harmonics).score
    mix = _score2(M.band_mix(120, 20.0), default_harmonics).score
    assert chorale > 3.0 * noise and mix > 3.0 * noise, (noise, chorale, mix)



def test_click_track_does_not_outscore_a_band_groove_of_the_same_tempo(default_harmonics):
    """At the same RMS, sparse clicks are far less loud than a sustained mix
    (loudness is compressed per 23 ms frame before it is integrated; ISO
    532-1 gives 1.2 vs 18 sone for these two), and the sinks learn a click
    track at once."""
    click = _score2(M.click_over_silence(120, 20.0), default_harmonics).score
    band = _score2(M.band_mix(120, 20.0, voice=False), default_harmonics).score
    assert band > 2.0 * click, (click, band)


def _duration_reads(harmonics, *, seed=0, config=None):
    """Scores of one steady groove's 20 s, 60 s and 180 s excerpts, read on the same music.

    The groove (180 s, at the level of the whole groove, shared by its
    excerpts) is cut into 10 s blocks.  Its 20 s excerpts starting at 0, 10,
    ..., 140 s are each scored over their second block; its 60 s excerpts
    starting at 0, 50 and 100 s over their last five; so the mean score of
    each tiles the same stretch, 10-160 s, which is also read from the 180 s
    excerpt (the mean neutral power it delivers over 10-160 s; its score
    reads 10-180 s).  Returns the three means.
    """
    y = _level(S.groove(120, 180.0, syncopation=0.5, variation=0.5, seed=seed))
    n10 = int(10 * SR)

    def excerpt(a, b):
        return score_signal(y[a * n10 : b * n10], SR, harmonics=harmonics, config=config)

    s20 = np.mean([excerpt(i, i + 2).score for i in range(15)])
    s60 = np.mean([excerpt(i, i + 6).score for i in (0, 5, 10)])
    whole = excerpt(0, 18)
    t, p = whole.timeline["t_s"], whole.timeline["neutral_power"]
    return np.array([s20, s60, p[(t > 10.0) & (t <= 160.0)].mean()])


def test_steady_groove_scores_alike_on_20_60_and_180_s(default_harmonics):
    """A steady groove scores alike on its 20 s, 60 s and 180 s excerpts.

    "A steady groove" is the random process, not one draw of it: the mean
    score over 16 grooves (seeds 0-15) of each duration's excerpt, all cut from
    the start.  A settled 10 s stretch of one groove varies with a
    coefficient of variation of 0.3-0.6, so fewer grooves measure which bars
    an opening happened to hold: a listener that does not depend on time at
    all (each groove's 10 s stretches shuffled in time) fails this comparison
    at 15 % in 63 % of draws with 4 grooves, 23 % with 16.  The model is
    causal and an excerpt is scored at the level of the whole groove, so
    each excerpt's score is the mean neutral power of one 180 s run over
    10 s to its end (checked here for one excerpt).  The design fails a model
    whose read depends on duration: with ``sink_precision_exponent=1`` (the
    model before session 5, whose sink precision rose over 30-100 s) these
    16 grooves read 0.260 / 0.350 / 0.354 (ratio 1.36).  The model of
    session 5 read 0.982 / 1.037 / 0.946; this one 1.009 / 1.108 / 1.121
    (ratio 1.11).  The stricter same-music control is the next test.
    """
    reads = np.zeros(3)
    for seed in range(16):
        y = _level(S.groove(120, 180.0, syncopation=0.5, variation=0.5, seed=seed))
        r = score_signal(y, SR, harmonics=default_harmonics)
        t, p = r.timeline["t_s"], r.timeline["neutral_power"]
        reads += [p[(t > 10.0) & (t <= d)].mean() for d in (20.0, 60.0, 180.0)]
        if seed == 0:
            excerpt = score_signal(y[: int(20.0 * SR)], SR, harmonics=default_harmonics).score
            assert excerpt == pytest.approx(p[(t > 10.0) & (t <= 20.0)].mean(), rel=1e-9)
    reads /= 16
    assert reads.max() < 1.15 * reads.min(), reads


def test_the_same_music_reads_alike_however_long_the_model_has_listened(default_harmonics):
    """A steady groove's 20 s, 60 s and 180 s excerpts read alike on the same music.

    Why the excerpts tile one groove: the score of an excerpt is the mean
    neutral power after ``settle_s`` (10 s), so a 20 s excerpt reads one 10 s
    stretch of music.  Over grooves of this process, settled 10 s stretches
    vary with a coefficient of variation of 0.2-0.5 (16 grooves, 180 s each),
    so comparing a 20 s excerpt of a few grooves with their 180 s excerpts
    measures which bars the opening happened to hold: a listener whose
    delivery does not depend on time at all (those grooves' 10 s stretches
    shuffled in time) fails a four-groove comparison at 15 % in 60 % of
    draws.  Here each duration's mean score reads the same 150 s of music
    (10-160 s), so only the model's dependence on how long it has been
    listening is left (how it differs between grooves: docs/model.md).
    One groove (seed 0) keeps the cost at 660 s of
    audio (the previous four-groove design scored 1040 s).  The design fails
    a model whose read depends on duration: a read-out that accumulates (the
    reservoir's final level) gives 0.405 / 0.674 / 0.535 here; the model
    itself read the same music lower the longer it had listened,
    0.943 / 0.807 / 0.686 in session 5, when its band sinks kept learning
    a varied groove for minutes; with the band sinks forgetting sound that
    does not recur (``sink_forgetting_tau_s``, session 6) 0.983 / 0.897 /
    0.887 (seeds 1-3: ratios 1.02, 1.09, 1.03).  (With
    ``sink_precision_exponent=1``, the model
    before session 5, whose sink precision rose as the sinks learned, this
    groove reads 0.255 / 0.273 / 0.260 -- the rise and the decline cancel
    here -- and seed 1 0.306 / 0.374 / 0.382.)  docs/model.md, "Duration".
    """
    reads = _duration_reads(default_harmonics)
    assert reads.max() < 1.15 * reads.min(), reads


def test_habituation_is_reported_for_an_exact_loop(default_harmonics):
    loop = _score2(S.groove(120, 180.0, syncopation=0.5, loop=True, seed=3), default_harmonics).metrics
    varied = _score2(S.groove(120, 180.0, syncopation=0.5, variation=0.5, seed=3), default_harmonics).metrics
    assert loop["habituation"] > varied["habituation"] + 0.2, (loop["habituation"], varied["habituation"])


@pytest.fixture(scope="module")
def varied_set():
    """Stimuli of different kinds, 15 s each (mono)."""
    return {
        "groove": S.groove(120, 15.0, seed=1),
        "slow_groove": S.groove(80, 15.0, seed=2),
        "am4": M.am_noise(4, 15.0),
        "am16": M.am_noise(16, 15.0),
        "am40": M.am_noise(40, 15.0),
        "beating": M.beat_pair(15.0),
        "chorale": M.chorale(15.0),
        "mix": M.band_mix(100, 15.0, seed=3),
    }


def _scores(stimuli, harmonics, **kw):
    return np.array([_score2(y, harmonics, **kw).score for y in stimuli.values()])


def test_random_eigenvectors_change_the_ranking(default_harmonics, varied_set):
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal(default_harmonics.vectors.shape))
    shuffled = dataclasses.replace(default_harmonics, vectors=q, regional=())
    a = _scores(varied_set, default_harmonics)
    b = _scores(varied_set, shuffled)
    # Random modes couple far worse to the auditory entry (fixed units), and
    # the order of the stimuli changes.
    assert np.all(b < 0.2 * a), b / a
    assert spearmanr(a, b)[0] < 0.99, (a, b)


@pytest.mark.xfail(strict=True, reason=(
    "the uniform harmonic, which a vertex permutation keeps, holds 62-98 % of these stimuli's neutral energy, "
    "so the order is kept (bench_connectome.py: Spearman 0.976 in session 4, 1.000 in session 5 after the "
    "precision change; 1.000 with the oscillator-path experiment kept on branch conn4, session 4); docs/model.md"))
def test_shuffled_eigenvectors_change_the_ranking(default_harmonics, varied_set):
    """The "shuffled eigenvectors" control: one permutation of the vertices
    applied to every harmonic (spectra kept, spatial structure destroyed)
    changes which stimuli build most."""
    perm = np.random.default_rng(2).permutation(default_harmonics.vectors.shape[0])
    shuffled = dataclasses.replace(default_harmonics, vectors=default_harmonics.vectors[perm], regional=())
    a = _scores(varied_set, default_harmonics)
    b = _scores(varied_set, shuffled)
    assert spearmanr(a, b)[0] < 0.9, (a, b)


def test_one_percent_weight_noise_changes_no_score_by_more_than_5_percent(default_connectome, default_harmonics,
                                                                      varied_set):
    from resonance.harmonics import connectome_harmonics

    rng = np.random.default_rng(1)
    w = default_connectome.weights * (1.0 + 0.01 * rng.standard_normal(default_connectome.weights.shape))
    w = np.clip((w + w.T) / 2.0, 0.0, None)
    noisy = connectome_harmonics(dataclasses.replace(default_connectome, weights=w), n_modes=200)
    a = _scores(varied_set, default_harmonics)
    b = _scores(varied_set, noisy)
    assert np.all(np.abs(b - a) <= 0.05 * a), np.abs(b - a) / a


def test_wave_speed_moves_the_am_rate_that_builds_most(default_harmonics):
    """Scaling the cortical wave speed ``v = gamma_e r_e`` (gamma_e at fixed
    axonal range) moves the AM rate that builds most, in the direction of the
    corticothalamic field: slow waves (v/2, 1.7 m/s) damp the alpha resonance
    and the slowest rate builds most; fast waves (4 v, 13 m/s, near Robinson
    et al.'s 10 m/s) free it and the rate nearest the alpha peak builds most."""
    rates = (1.0, 4.0, 11.3, 32.0)
    gamma = default_harmonics.gamma_per_s

    def best_rate(scale):
        cfg = ModelConfig(gamma_per_s=gamma * scale)
        s = [_score2(M.am_noise(r, 10.0), default_harmonics, config=cfg).score for r in rates]
        return rates[int(np.argmax(s))], s

    (slow, s_slow), (fast, s_fast) = best_rate(0.5), best_rate(4.0)
    assert slow == 1.0 and 8.0 <= fast <= 16.0, (s_slow, s_fast)
