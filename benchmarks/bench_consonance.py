"""Consonance: agreement with a psychoacoustic reference, and its share of scoring time.

Three parts, on signals synthesised or rendered here:

1. **Roughness against mosqito.**  ``resonance``'s roughness (Hutchinson &
   Knopoff 1978, on the partials of the audio's long spectra, as the pipeline
   computes it) is compared with ``mosqito.sq_metrics.roughness_dw`` (Daniel
   & Weber 1997, a model of the auditory filterbank's envelope modulation) on
   the same audio: 100 %-modulated AM tones on a 1 kHz carrier at 10 to
   200 Hz modulation, the 12 dyads of 11-harmonic complex tones on C4, and
   pairs of pure tones around 500 Hz.  Reported: Spearman's rank correlation
   per family and over all signals pooled.
2. **Share of scoring time.**  ``resonance.score_signal`` on a minute of a
   tonal mix (chords changing every 2 s over a drum groove) with the
   consonance methods of :class:`resonance.Scorer` wrapped by timers:
   seconds in consonance (frame analysis, rate accumulation, mode
   consonance) as a share of the whole, and the real-time factor of both;
   then cProfile of ``resonance.score_file`` on a 2-minute WAV of the same
   mix: cumulative seconds of each consonance function as a share of all.
3. **Rendered music** (if ``fluidsynth`` and a General MIDI soundfont are
   installed): Bach chorales of the ``music21`` corpus (BWV 66.6 with four
   General MIDI programs, BWV 269 and 347 on organ) and the four triads
   (close on C4, open on C3) on organ, strings and piano, next to espeak-ng
   speech, white noise and a click train: tonalness, consonance and
   familiarity of each, the triad order per timbre and voicing, and which
   sound is the most consonant.

4. **Real mixes** (if the Debian packages ``wesnoth-1.16-music`` and
   ``hedgewars-data`` are installed): 40 s excerpts of 16 produced game-music
   mixes with drums and reverberation, analysed on the raw long frames (as
   before the harmonic/percussive separation, :func:`analyze_spectrum` with
   the previous frame) and by :class:`resonance.hearing.consonance.FrameAnalyzer`
   (harmonic part, harmonic-share gate): tonalness, consonance, familiarity,
   harmonic share; and the cost of the separation per second of audio.

Usage::

    python benchmarks/bench_consonance.py              # 60 s timed (best of 2), 120 s profiled
    python benchmarks/bench_consonance.py --seconds 30 --repeat 1 --profile-seconds 60
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

__all__ = ["main", "roughness_agreement", "consonance_share", "consonance_profile", "rendered_music",
           "real_mixes"]

SR = 22050
MOSQITO_SR = 48000
#: Level of the mosqito signals: 60 dB SPL (RMS 0.02 Pa), mosqito's own example level.
LEVEL_PA = 0.02


def _am_tone(mod_hz, duration_s, sr, *, carrier_hz=1000.0):
    t = np.arange(int(duration_s * sr)) / sr
    return (1.0 + np.sin(2 * np.pi * mod_hz * t)) * np.sin(2 * np.pi * carrier_hz * t)


def _complex(f0_hz, duration_s, sr, *, n_harmonics=11, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * sr)) / sr
    return sum(np.sin(2 * np.pi * k * f0_hz * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, n_harmonics + 1)
               if k * f0_hz < sr / 2 - 200)


def _signals(duration_s, sr):
    fam = {"AM tones (1 kHz, 10-200 Hz)": [], "complex dyads (C4)": [], "sine pairs (500 Hz)": []}
    for mod_hz in (10, 20, 30, 40, 50, 70, 100, 150, 200):
        fam["AM tones (1 kHz, 10-200 Hz)"].append(_am_tone(mod_hz, duration_s, sr))
    for st in range(1, 13):
        fam["complex dyads (C4)"].append(_complex(261.63, duration_s, sr) +
                                         _complex(261.63 * 2 ** (st / 12), duration_s, sr, seed=1))
    t = np.arange(int(duration_s * sr)) / sr
    for gap_hz in (5, 10, 20, 30, 50, 80, 120, 200):
        fam["sine pairs (500 Hz)"].append(np.sin(2 * np.pi * 500 * t) + np.sin(2 * np.pi * (500 + gap_hz) * t))
    return fam


def _ours(y):
    """Tonalness-weighted roughness over the pipeline's long frames (Hann 4096, hop 2048)."""
    from resonance.hearing.consonance import analyze_spectrum, summarize_frames

    n, hop = 4096, 2048
    w = np.hanning(n + 1)[:-1]
    freqs = np.fft.rfftfreq(n, 1 / SR)
    rows, prev = [], None
    for s in range(0, y.size - n + 1, hop):
        mag = np.abs(np.fft.rfft(y[s : s + n] * w)) * 2 / w.sum()
        if prev is not None:
            a = analyze_spectrum(mag, freqs, previous=prev)
            rows.append((float(np.sum(mag**2)), a["tonalness"], a["roughness"]))
        prev = mag
    p, t, r = zip(*rows)
    out = summarize_frames(p, t, {"roughness": r}, min_tonalness=0.0)
    return out["roughness"]


def _mosqito(y):
    from mosqito.sq_metrics import roughness_dw

    y = LEVEL_PA * y / np.sqrt(np.mean(y**2))
    r, _, _, _ = roughness_dw(y, MOSQITO_SR, overlap=0.5)
    return float(np.mean(r))


def roughness_agreement(duration_s: float = 1.0) -> dict:
    """Spearman correlation between our roughness and mosqito's, per family and pooled.

    Returns
    -------
    dict
        ``{family: (rho, ours, mosqito)}`` plus ``"pooled"``: ``(rho, None, None)``.
    """
    ours_fam = _signals(duration_s, SR)
    ref_fam = _signals(duration_s, MOSQITO_SR)
    out, all_ours, all_ref = {}, [], []
    for name in ours_fam:
        ours = [_ours(y) for y in ours_fam[name]]
        ref = [_mosqito(y) for y in ref_fam[name]]
        out[name] = (float(spearmanr(ours, ref)[0]), ours, ref)
        all_ours += ours
        all_ref += ref
    out["pooled"] = (float(spearmanr(all_ours, all_ref)[0]), None, None)
    return out


def _tonal_mix(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chords = [[0, 4, 7], [5, 9, 12], [7, 11, 14, 17], [0, 4, 7, 12], [9, 12, 16], [2, 5, 9]]
    y = np.zeros(int(seconds * SR))
    seg = int(2.0 * SR)
    for i in range(0, y.size, seg):
        st = chords[rng.integers(len(chords))]
        n = min(seg, y.size - i)
        y[i : i + n] += sum(_complex(196.0 * 2 ** (s / 12), n / SR, SR, seed=j) for j, s in enumerate(st))[:n]
    t = np.arange(y.size) / SR
    beat = (np.mod(t, 0.5) < 0.08) * np.sin(2 * np.pi * 60 * t) * np.exp(-np.mod(t, 0.5) / 0.05)
    return 0.1 * y / np.sqrt(np.mean(y**2)) + 0.2 * beat


def consonance_share(seconds: float = 60.0, repeat: int = 2) -> dict:
    """Seconds of ``score_signal`` spent in the consonance methods (best of ``repeat``)."""
    import resonance
    from resonance import scorer

    h = resonance.connectome_harmonics()
    y = _tonal_mix(seconds)
    spent = {"t": 0.0}
    # The scorer's consonance of sound, and the consonance of the modes' rates
    # (a read-out the scorer looks up in its own namespace).
    originals = {(scorer.Scorer, "_consonance"): scorer.Scorer._consonance,
                 (scorer, "rate_consonance"): scorer.rate_consonance}

    def timed(fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent["t"] += time.perf_counter() - t0
        return wrapper

    best = None
    try:
        for (owner, name), fn in originals.items():
            setattr(owner, name, timed(fn))
        resonance.score_signal(y[: 10 * SR], SR, harmonics=h)  # warm-up (reference energy, caches)
        for _ in range(repeat):
            spent["t"] = 0.0
            t0 = time.perf_counter()
            result = resonance.score_signal(y, SR, harmonics=h)
            total = time.perf_counter() - t0
            if best is None or total < best[0]:
                best = (total, spent["t"], result.metrics["consonance"])
    finally:
        for (owner, name), fn in originals.items():
            setattr(owner, name, fn)
    total, cons, value = best
    return {"seconds": seconds, "total_s": total, "consonance_s": cons, "share": cons / total,
            "score_rtf": seconds / total, "consonance": value}


def consonance_profile(seconds: float = 120.0) -> dict:
    """cProfile of ``score_file`` on a written file: cumulative seconds of the consonance functions.

    The file is the tonal mix of :func:`consonance_share` (chords over a drum
    groove), written to a temporary WAV so that reading and resampling are
    part of the total, as in ``stimgen score``.
    """
    import cProfile
    import pstats
    import tempfile
    from pathlib import Path

    import soundfile as sf

    import resonance

    h = resonance.connectome_harmonics()
    resonance.score_signal(_tonal_mix(10.0), SR, harmonics=h)  # warm-up
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mix.wav"
        sf.write(path, _tonal_mix(seconds), SR)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        resonance.score_file(path, harmonics=h)
        prof.disable()
        wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    total = max(v[3] for v in stats.stats.values())  # the outermost call's cumulative time
    wanted = {"_consonance": "scorer.py", "rate_consonance": "readout.py",
              "_familiarity": "consonance.py", "_harmonicities": "consonance.py", "_roughness": "consonance.py",
              "_peaks": "consonance.py"}
    out = {"seconds": seconds, "wall_s": wall, "profiled_s": total}
    for (file, _, name), v in stats.stats.items():
        if name in wanted and file.endswith(wanted[name]):
            out[name] = out.get(name, 0.0) + v[3]
    return out


SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2")

#: Triads rendered as notes (MIDI numbers above the root) for part 3.
TRIADS = {"major": [0, 4, 7], "minor": [0, 3, 7], "diminished": [0, 3, 6], "augmented": [0, 4, 8]}


def _fluidsynth(score, name, folder, font):
    import subprocess

    import soundfile as sf

    mid, wav = folder / f"{name}.mid", folder / f"{name}.wav"
    score.write("midi", fp=str(mid))
    subprocess.run(["fluidsynth", "-ni", "-F", str(wav), "-r", str(SR), "-g", "0.6", font, str(mid)],
                   check=True, capture_output=True)
    y = sf.read(wav)[0]
    return y.mean(axis=1) if y.ndim == 2 else y


def rendered_music(folder) -> dict:
    """Consonance of rendered chorales, rendered triads and unpitched sounds (None without FluidSynth).

    Chorales of the music21 corpus and triads (root C4, close; C3, open) are
    rendered by FluidSynth with General MIDI instruments; next to them
    espeak-ng speech, white noise and a click train.  Each sound is scored
    by ``resonance.score_signal`` (so consonance includes the shipped
    familiarity, as ``stimgen score`` reports it).

    Returns
    -------
    dict or None
        ``{name: (tonalness, consonance, familiarity)}``.
    """
    import shutil
    import subprocess
    from pathlib import Path

    import soundfile as sf

    import resonance

    font = next((f for f in SOUNDFONTS if Path(f).exists()), None)
    if shutil.which("fluidsynth") is None or font is None:
        return None
    from music21 import chord, corpus, instrument, stream

    folder = Path(folder)
    sounds = {}
    timbres = (("organ", instrument.PipeOrgan), ("strings", instrument.StringInstrument),
               ("piano", instrument.Piano), ("choir", instrument.Choir))
    for name, program in timbres:
        score = corpus.parse("bach/bwv66.6")
        for part in score.parts:
            part.insert(0, program())
        sounds[f"chorale BWV 66.6 ({name})"] = _fluidsynth(score, f"bwv66-{name}", folder, font)
    for bwv in ("bwv269", "bwv347"):
        score = corpus.parse(f"bach/{bwv}")
        for part in score.parts:
            part.insert(0, instrument.PipeOrgan())
        sounds[f"chorale {bwv.upper()} (organ)"] = _fluidsynth(score, bwv, folder, font)
    for name, program in timbres[:3]:
        for voicing, root, spread in (("close C4", 60, (0, 0, 0)), ("open C3", 48, (0, 12, 0))):
            for triad, st in TRIADS.items():
                notes = [root + s for s in st]
                if spread[1]:  # open: root, fifth, third an octave up (as the tests' OPEN voicing)
                    notes = [notes[0], notes[2], notes[1] + 12]
                s = stream.Stream([program(), chord.Chord(notes, quarterLength=6)])
                sounds[f"{triad} triad {voicing} ({name})"] = _fluidsynth(s, f"{triad}-{voicing}-{name}".replace(" ", ""),
                                                                         folder, font)
    if shutil.which("espeak-ng"):
        wav = folder / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav),
                        "Please call Stella and ask her to bring these things with her from the store."],
                       check=True, capture_output=True)
        y, sr = sf.read(wav)
        import librosa

        sounds["speech (espeak-ng)"] = librosa.resample(y, orig_sr=sr, target_sr=SR)
    sounds["white noise"] = np.random.default_rng(0).standard_normal(10 * SR)
    clicks = np.zeros(10 * SR)
    clicks[:: SR // 2] = 1.0
    sounds["click train"] = clicks
    h = resonance.connectome_harmonics()
    out = {}
    for name, y in sounds.items():
        m = resonance.score_signal(0.1 * y / np.sqrt(np.mean(y**2)), SR, harmonics=h).metrics
        out[name] = (m["tonalness"], m["consonance"], m["familiarity"])
    return out


WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music/"
HEDGEWARS = "/usr/share/games/hedgewars/Data/Music/"
#: The 16 mixes of the real-recordings benchmark (branch ``r``, ``benchmarks/bench_real.py``).
MIXES = [WESNOTH + n + ".ogg" for n in ("battle", "elvish-theme", "heroes_rite", "knalgan_theme", "loyalists",
                                         "nunc_dimittis", "traveling_minstrels", "wanderer")] + [
    HEDGEWARS + n + ".ogg" for n in ("Rock", "City", "Freeway", "Jungle", "oriental", "pirate", "Castle", "Halloween")]


def real_mixes(excerpt_s: float = 40.0, offset_s: float = 30.0, every: int = 8) -> dict:
    """Old (raw frame) and new (harmonic part) consonance of the installed real mixes.

    Returns
    -------
    dict
        ``{name: (old, new)}`` with the summaries of both analyses, and
        ``"_cost"``: seconds of the new and the old analysis per second of
        audio (the STFT excluded).
    """
    from pathlib import Path

    import librosa

    from resonance.hearing.consonance import ChordTypeMemory, FrameAnalyzer, analyze_spectrum, summarize_frames

    n_fft, hop = 4096, 2048
    window = np.hanning(n_fft + 1)[:-1]
    freqs = np.fft.rfftfreq(n_fft, 1 / SR)
    memory = ChordTypeMemory.load()
    out, cost, audio_s = {}, [0.0, 0.0], 0.0
    for path in MIXES:
        if not Path(path).exists():
            continue
        y, _ = librosa.load(path, sr=SR, mono=True, offset=offset_s, duration=excerpt_s)
        audio_s += y.size / SR
        mags = [np.abs(np.fft.rfft(y[s : s + n_fft] * window)) for s in range(0, y.size - n_fft + 1, hop)]
        t0 = time.perf_counter()
        frames = []
        for i in range(1, len(mags)):
            if (i - 1) % every or np.sum(mags[i] ** 2) < 1e-12:
                continue
            a = analyze_spectrum(mags[i], freqs, previous=mags[i - 1], memory=memory)
            frames.append((float(np.sum(mags[i] ** 2)), a["tonalness"], a["consonance"], a["familiarity"]))
        cols = list(zip(*frames)) if frames else [()] * 4
        old = summarize_frames(cols[0], cols[1], {"consonance": cols[2], "familiarity": cols[3]})
        t1 = time.perf_counter()
        analyzer = FrameAnalyzer(freqs, every=every, memory=memory)
        for m in mags:
            analyzer.push(m)
        new = analyzer.summary()
        t2 = time.perf_counter()
        cost[0] += t2 - t1
        cost[1] += t1 - t0
        name = ("wesnoth " if "wesnoth" in path else "hedgewars ") + Path(path).stem
        out[name] = (old, new)
    if audio_s:
        out["_cost"] = (cost[0] / audio_s, cost[1] / audio_s)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length for the timing part")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs (best is kept)")
    parser.add_argument("--profile-seconds", type=float, default=120.0, help="length of the profiled file")
    parser.add_argument("--only-real", action="store_true", help="run part 4 (real mixes) only")
    args = parser.parse_args(argv)
    if args.only_real:
        _print_real()
        return

    print("1. roughness: resonance (Hutchinson & Knopoff on partials) vs mosqito roughness_dw (Daniel & Weber)")
    for name, (rho, ours, ref) in roughness_agreement().items():
        print(f"   {name:<30} Spearman rho = {rho:+.2f}")
        if ours is not None:
            print(f"   {'':<30} ours    " + " ".join(f"{v:.3f}" for v in ours))
            print(f"   {'':<30} mosqito " + " ".join(f"{v:.3f}" for v in ref))
    s = consonance_share(args.seconds, args.repeat)
    print(f"2. share of scoring time ({s['seconds']:.0f} s tonal mix, one core)")
    print(f"   score_signal     {s['total_s']:.2f} s ({s['score_rtf']:.0f}x real time)")
    print(f"   consonance parts {s['consonance_s']:.2f} s = {100 * s['share']:.1f} % of scoring")
    print(f"   consonance of the mix {s['consonance']:+.3f}")
    pr = consonance_profile(args.profile_seconds)
    print(f"   cProfile of score_file on a {pr['seconds']:.0f} s WAV: {pr['profiled_s']:.2f} s profiled "
          f"({pr['wall_s']:.2f} s wall)")
    for name in ("_consonance", "rate_consonance", "_peaks", "_roughness", "_harmonicities",
                 "_familiarity"):
        v = pr.get(name, 0.0)
        print(f"   {name:<18} {v:6.3f} s = {100 * v / pr['profiled_s']:5.2f} % of scoring")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        music = rendered_music(folder)
    if music is None:
        print("3. rendered music: skipped (needs fluidsynth and a General MIDI soundfont)")
        return
    print("3. rendered music (FluidSynth, FluidR3 GM) and unpitched sounds: tonalness, consonance, familiarity")
    for name, (tonal, cons, fam) in music.items():
        print(f"   {name:<34} tonalness {tonal:.2f}  consonance " + ("   -  " if cons is None else f"{cons:+.3f}")
              + "  familiarity " + ("-" if fam is None else f"{fam:+.2f}"))
    for timbre in ("organ", "strings", "piano"):
        for voicing in ("close C4", "open C3"):
            c = [music[f"{t} triad {voicing} ({timbre})"][1] for t in TRIADS]
            ok = all(a is not None and b is not None and a > b for a, b in zip(c, c[1:]))
            print(f"   triad order major > minor > diminished > augmented, {timbre}, {voicing}: "
                  + ("holds" if ok else "does not hold"))
    pitched = {k: v[1] for k, v in music.items() if v[1] is not None}
    top = max(pitched, key=pitched.get)
    print(f"   most consonant sound: {top}")
    for name in ("speech (espeak-ng)", "white noise", "click train"):
        cons = music[name][1]
        print(f"   {name}: " + ("null (no pitch)" if cons is None else f"{cons:+.3f}"))
    _print_real()


def _print_real() -> None:
    mixes = real_mixes()
    if not mixes:
        print("4. real mixes: skipped (needs wesnoth-1.16-music and hedgewars-data)")
        return
    cost = mixes.pop("_cost")
    print("4. real mixes (40 s from 30 s): old = raw frames, new = harmonic part; T tonalness, C consonance,"
          " F familiarity")

    def f(v):
        return "   -  " if v is None else f"{v:+6.2f}"

    for name, (old, new) in mixes.items():
        print(f"   {name:<30} T {old['tonalness']:.2f} -> {new['tonalness']:.2f}  C {f(old['consonance'])} -> "
              f"{f(new['consonance'])}  F {f(old['familiarity'])} -> {f(new['familiarity'])}  "
              f"share {new['harmonic_share']:.2f}")
    n_old = sum(old["consonance"] is not None for old, _ in mixes.values())
    n_new = sum(new["consonance"] is not None for _, new in mixes.values())
    print(f"   with a consonance: old {n_old}/{len(mixes)}, new {n_new}/{len(mixes)}")
    print(f"   analysis cost per second of audio: new {1e3 * cost[0]:.1f} ms, old {1e3 * cost[1]:.1f} ms "
          f"(ratio {cost[0] / cost[1]:.2f})")


if __name__ == "__main__":
    main()
