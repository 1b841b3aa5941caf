"""The model on real recordings: produced music, recorded voices, renderings and controls.

``resonance`` is tested on synthetic audio; this benchmark checks it on
recordings nobody in the project made, as a user or researcher would judge the
result.  Everything it scores is reproducible from the Debian archive and the
``music21`` corpus:

* **music mixes**: produced game soundtracks, orchestral (``wesnoth-1.16-music``)
  and mixed genres: rock, electronic, world, ensemble (``hedgewars-data``);
* **speech**: recorded human voices (``alsa-utils``' channel announcements,
  the voice actors of ``hedgewars-data``) and ``espeak-ng`` synthetic speech;
* **renderings**: scores of the ``music21`` corpus through FluidSynth and the
  FluidR3 General MIDI soundfont, solo (organ, piano, fiddle) and ensemble
  (choir, string quartets, trio sonata), at a tempo set here;
* **controls**: white and pink noise, click tracks at 120 BPM, steady tones.

Every excerpt (``--seconds`` long, 40 s by default, from a fixed offset) is
written as a float WAV at the same integrated loudness (``--lufs``, -23 LUFS
by default; ITU-R BS.1770 via pyloudnorm) and scored with
``resonance.score_file`` on one core.  Reported, as Markdown tables:

1. per file: score, habituation, consonance, tonalness, tempo, metre
   certainty, surprise, semantic fraction, scoring cost (x real time);
2. per-category medians;
3. ranking checks a user would expect (music above noise, above a steady tone
   and above a click track; speech low; no consonance for noise and clicks;
   speech less consonant than tonal music), each PASS or FAIL with figures;
4. tempo agreement of the model with ``librosa.beat.beat_track`` and
   Essentia's ``RhythmExtractor2013`` (within 4 %, also allowing double and
   half).  The mixes have no ground truth: this is agreement, not accuracy.
   For the renderings the score's tempo is known and shown too;
5. connectome sensitivity: Spearman's rank correlation of the music files'
   scores between ``tvb:76`` (default), ``tvb:66``, ``tvb:68``, ``tvb:96`` and
   the default harmonics with a random orthonormal eigenvector basis (as in
   ``tests/test_model_facts.py``); ``tvb:76`` is scored at the vertex level,
   the others at the region level, so ``tvb:76`` at the region level is shown too;
6. level dependence: one mix at -30, -23 and -16 LUFS; duration dependence:
   the same mix at 20, 40 and 60 s; repetition: about 10 s of it (whole bars,
   cut at librosa's beats) looped to the same length; the
   click track peak-limited to -1 dBTP (a click track is very peaky: at
   -23 LUFS its true peak is above 0 dBFS);
7. cost: scoring as a multiple of real time, against librosa's and
   Essentia's beat trackers on the same audio (measured in the same run).

Missing packages are named (``apt-get install -y ...``) and their files
skipped.

Usage::

    python benchmarks/bench_real.py                       # about 5 min on one core
    python benchmarks/bench_real.py --seconds 30 --cache /tmp/real --json real.json
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

__all__ = ["CORPUS", "RENDERINGS", "Item", "build_corpus", "main"]

SR = 44100
WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
HEDGEWARS = Path("/usr/share/games/hedgewars/Data")
ALSA = Path("/usr/share/sounds/alsa")
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
GAP_S = 0.3  # silence between concatenated voice clips

#: Produced music mixes: (name, Debian package, file, excerpt start in s).
CORPUS = [
    ("wesnoth battle", "wesnoth-1.16-music", WESNOTH / "battle.ogg", 30.0),
    ("wesnoth elvish-theme", "wesnoth-1.16-music", WESNOTH / "elvish-theme.ogg", 30.0),
    ("wesnoth heroes_rite", "wesnoth-1.16-music", WESNOTH / "heroes_rite.ogg", 30.0),
    ("wesnoth knalgan_theme", "wesnoth-1.16-music", WESNOTH / "knalgan_theme.ogg", 30.0),
    ("wesnoth loyalists", "wesnoth-1.16-music", WESNOTH / "loyalists.ogg", 30.0),
    ("wesnoth nunc_dimittis", "wesnoth-1.16-music", WESNOTH / "nunc_dimittis.ogg", 30.0),
    ("wesnoth traveling_minstrels", "wesnoth-1.16-music", WESNOTH / "traveling_minstrels.ogg", 30.0),
    ("wesnoth wanderer", "wesnoth-1.16-music", WESNOTH / "wanderer.ogg", 30.0),
    ("hedgewars Rock", "hedgewars-data", HEDGEWARS / "Music/Rock.ogg", 30.0),
    ("hedgewars City", "hedgewars-data", HEDGEWARS / "Music/City.ogg", 30.0),
    ("hedgewars Freeway", "hedgewars-data", HEDGEWARS / "Music/Freeway.ogg", 30.0),
    ("hedgewars Jungle", "hedgewars-data", HEDGEWARS / "Music/Jungle.ogg", 30.0),
    ("hedgewars oriental", "hedgewars-data", HEDGEWARS / "Music/oriental.ogg", 30.0),
    ("hedgewars pirate", "hedgewars-data", HEDGEWARS / "Music/pirate.ogg", 30.0),
    ("hedgewars Castle", "hedgewars-data", HEDGEWARS / "Music/Castle.ogg", 30.0),
    ("hedgewars Halloween", "hedgewars-data", HEDGEWARS / "Music/Halloween.ogg", 30.0),
]

#: Recorded voices: (name, package, list of clips), concatenated with GAP_S silences.
VOICES = [
    ("alsa voice (real)", "alsa-utils",
     [ALSA / f"{n}.wav" for n in ("Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left",
                                  "Rear_Right", "Side_Left", "Side_Right")]),
    ("hedgewars British (real)", "hedgewars-data", HEDGEWARS / "Sounds/voices/British"),
    ("hedgewars Default (real)", "hedgewars-data", HEDGEWARS / "Sounds/voices/Default"),
]

SPEECH_TEXT = (
    "The weather service expects light rain in the morning, clearing towards noon. "
    "Trains on the northern line will run every twenty minutes until the repairs are finished. "
    "Please remember to bring your library card when you return the books on Tuesday. "
    "The committee met on Thursday to discuss the budget for next year, and agreed to postpone "
    "the decision until the accounts have been checked by an independent reviewer. "
    "Visitors are asked to keep to the marked paths and to take their litter home."
)

#: music21 renderings: (name, category, corpus path, parts kept (None: all), GM program per part,
#: quarter notes per minute).
RENDERINGS = [
    ("organ chorale BWV 66.6", "solo", "bach/bwv66.6", None, (19,), 80.0),
    ("piano Mozart K545/1", "solo", "mozart/k545/movement1", None, (0,), 126.0),
    ("piano Joplin Maple Leaf", "solo", "joplin/maple_leaf_rag", None, (0,), 96.0),
    ("violin line Beethoven op18/1", "solo", "beethoven/opus18no1/movement1", (0,), (40,), 120.0),
    ("choir chorale BWV 66.6", "ensemble", "bach/bwv66.6", None, (52,), 80.0),
    ("string quartet Mozart K80/1", "ensemble", "mozart/k80/movement1", None, (40, 40, 41, 42), 66.0),
    ("string quartet Beethoven op18/1", "ensemble", "beethoven/opus18no1/movement1", None, (40, 40, 41, 42), 120.0),
    ("trio sonata Corelli op3/1", "ensemble", "corelli/opus3no1/1grave", None, (48, 48, 32), 60.0),
]

CATEGORIES = ("mix", "solo", "ensemble", "speech", "noise", "clicks", "tone")
CONNECTOMES = ("tvb:76", "tvb:66", "tvb:68", "tvb:96")


@dataclasses.dataclass
class Item:
    """One excerpt of the corpus, written at the target loudness."""

    name: str
    category: str
    source: str
    path: Path
    score_bpm: float | None = None  # tempo of the rendered score (beats per minute), None if unknown


# --------------------------------------------------------------------------- audio helpers


def _read_excerpt(path: Path, start_s: float, seconds: float) -> tuple[np.ndarray, int]:
    """``seconds`` of a file from ``start_s`` (earlier if the file is short), shape (channels, n)."""
    import soundfile as sf

    with sf.SoundFile(str(path)) as f:
        n = int(seconds * f.samplerate)
        start = int(min(start_s * f.samplerate, max(0, f.frames - n)))
        f.seek(start)
        y = f.read(n, dtype="float64", always_2d=True)
        return y.T, f.samplerate


def _to_sr(y: np.ndarray, sr: int) -> np.ndarray:
    if sr == SR:
        return y
    import soxr

    return soxr.resample(y.T, sr, SR, quality="HQ").T


def _concat_clips(clips, seconds: float) -> np.ndarray:
    """Clips one after another with GAP_S silences, mono at SR, up to ``seconds``."""
    import soundfile as sf

    out, total = [], 0
    gap = np.zeros(int(GAP_S * SR))
    for clip in clips:
        y, sr = sf.read(str(clip), dtype="float64", always_2d=True)
        y = _to_sr(y.T.mean(axis=0, keepdims=True), sr)[0]
        out += [y, gap]
        total += y.size + gap.size
        if total >= seconds * SR:
            break
    return np.concatenate(out)[: int(seconds * SR)][None, :]


def loudness_lufs(y: np.ndarray, sr: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4, pyloudnorm) of ``y`` (channels, n)."""
    import pyloudnorm

    return float(pyloudnorm.Meter(sr).integrated_loudness(y.T if y.shape[0] > 1 else y[0]))


def true_peak_dbtp(y: np.ndarray) -> float:
    """Peak of the 4x oversampled signal (dBTP, as BS.1770-4 Annex 2)."""
    from scipy.signal import resample_poly

    return float(20 * np.log10(np.max(np.abs(resample_poly(y, 4, 1, axis=-1))) + 1e-12))


def write_at_loudness(y: np.ndarray, path: Path, lufs: float) -> dict:
    """Scale ``y`` (channels, n) at SR to ``lufs``, write a float WAV; return its measured level."""
    import soundfile as sf

    gain_db = lufs - loudness_lufs(y, SR)
    y = y * 10 ** (gain_db / 20)
    sf.write(str(path), y.T, SR, subtype="FLOAT")
    return {"lufs": round(loudness_lufs(y, SR), 2), "true_peak_dbtp": round(true_peak_dbtp(y), 2)}


# --------------------------------------------------------------------------- synthetic controls


def _controls(seconds: float) -> dict:
    """White and pink noise, click tracks at 120 BPM, steady tones: (category, mono signal)."""
    n = int(seconds * SR)
    rng = np.random.default_rng(0)
    t = np.arange(n) / SR
    white = rng.standard_normal(n)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    pink = np.fft.irfft(spec, n)
    click = np.zeros(int(0.02 * SR))
    tc = np.arange(click.size) / SR
    click = np.sin(2 * np.pi * 1500 * tc) * np.exp(-tc / 0.004)  # woodblock-like 20 ms click
    plain, accented = np.zeros(n), np.zeros(n)
    for k, start in enumerate(range(0, n - click.size, SR // 2)):  # 120 BPM
        plain[start : start + click.size] += click
        accented[start : start + click.size] += click * (1.0 if k % 4 == 0 else 0.5)
    sine = np.sin(2 * np.pi * 440.0 * t)
    complex_tone = sum(np.sin(2 * np.pi * 220.0 * k * t) / k for k in range(1, 11))
    return {
        "white noise": ("noise", white),
        "pink noise": ("noise", pink),
        "click track 120 BPM": ("clicks", plain),
        "click track 120 BPM, accented 4/4": ("clicks", accented),
        "steady sine 440 Hz": ("tone", sine),
        "steady complex tone A3": ("tone", complex_tone),
    }


# --------------------------------------------------------------------------- renderings


def _render(entry, seconds: float, folder: Path) -> tuple[np.ndarray, float]:
    """Render a music21 score at its set tempo through FluidSynth; return (stereo at SR, beat BPM)."""
    import soundfile as sf
    from music21 import corpus, instrument, tempo

    name, _, path, keep, programs, qpm = entry
    score = corpus.parse(path)
    if keep is not None:
        for i, part in enumerate(list(score.parts)):
            if i not in keep:
                score.remove(part)
    for el in list(score.recurse().getElementsByClass(("MetronomeMark", "Instrument"))):
        el.activeSite.remove(el)
    ts = score.recurse().getElementsByClass("TimeSignature").first()
    bar_q = ts.barDuration.quarterLength if ts is not None else 4.0
    try:
        score = score.measures(0, int(math.ceil(1.3 * seconds * qpm / 60.0 / bar_q)) + 2)
    except Exception:  # a score without measures keeps its length
        pass
    parts = list(score.parts) if score.parts else [score]
    for i, part in enumerate(parts):
        first = part.getElementsByClass("Measure").first()
        target = first if first is not None else part
        inst = instrument.Instrument()
        inst.midiProgram = programs[min(i, len(programs) - 1)]
        target.insert(0, inst)
        target.insert(0, tempo.MetronomeMark(number=qpm))
    stem = "".join(c if c.isalnum() else "_" for c in name)
    mid, wav = folder / f"{stem}.mid", folder / f"{stem}.render.wav"
    score.write("midi", fp=str(mid))
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SR), "-F", str(wav), str(SOUNDFONT), str(mid)],
                   check=True, capture_output=True, timeout=600)
    y, sr = sf.read(str(wav), dtype="float64", always_2d=True)
    compound = ts is not None and ts.denominator == 8 and ts.numerator in (6, 9, 12)
    return _to_sr(y.T, sr)[:, : int(seconds * SR)], qpm / (1.5 if compound else 1.0)


# --------------------------------------------------------------------------- corpus


def build_corpus(folder: Path, *, seconds: float, lufs: float) -> tuple[list, set, dict]:
    """Write every available excerpt to ``folder``; return (items, missing packages, levels)."""
    folder.mkdir(parents=True, exist_ok=True)
    items, missing, levels = [], set(), {}

    def add(name, category, source, y, score_bpm=None):
        stem = "".join(c if c.isalnum() else "_" for c in name)
        path = folder / f"{category}__{stem}.wav"
        levels[name] = write_at_loudness(np.atleast_2d(y), path, lufs)
        items.append(Item(name, category, source, path, score_bpm))

    for name, package, path, start_s in CORPUS:
        if not path.exists():
            missing.add(package)
            continue
        y, sr = _read_excerpt(path, start_s, seconds)
        add(name, "mix", f"{package}: {path} from {start_s:g} s", _to_sr(y, sr))
    for name, package, clips in VOICES:
        clips = sorted(clips.glob("*.ogg")) if isinstance(clips, Path) and clips.is_dir() else clips
        if not clips or not all(Path(c).exists() for c in clips):
            missing.add(package)
            continue
        add(name, "speech", f"{package}: {len(clips)} clips, {GAP_S:g} s gaps", _concat_clips(clips, seconds))
    if shutil.which("espeak-ng"):
        wav = folder / "espeak.raw.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(wav), SPEECH_TEXT],
                       check=True, capture_output=True)
        import soundfile as sf

        y, sr = sf.read(str(wav), dtype="float64", always_2d=True)
        add("espeak-ng en-us", "speech", "espeak-ng -v en-us -s 165", _to_sr(y.T, sr)[:, : int(seconds * SR)])
    else:
        missing.add("espeak-ng")
    if shutil.which("fluidsynth") and SOUNDFONT.exists():
        for entry in RENDERINGS:
            y, bpm = _render(entry, seconds, folder)
            parts = "" if entry[3] is None else f" part {entry[3]}"
            add(entry[0], entry[1], f"music21 {entry[2]}{parts} at {entry[5]:g} qpm, GM {entry[4]}", y, bpm)
    else:
        missing.update({"fluidsynth", "fluid-soundfont-gm"})
    for name, (category, y) in _controls(seconds).items():
        add(name, category, "synthetic", y)
    return items, missing, levels


# --------------------------------------------------------------------------- scoring and references


def _score(path: Path, harmonics):
    import resonance

    t = time.perf_counter()
    r = resonance.score_file(path, harmonics=harmonics)
    return r, time.perf_counter() - t


def _tempo_references(path: Path) -> dict:
    """librosa.beat.beat_track and Essentia RhythmExtractor2013 tempo (BPM) and cost (s)."""
    import librosa

    out = {}
    y, _ = librosa.load(str(path), sr=22050, mono=True)
    t = time.perf_counter()
    bpm, _ = librosa.beat.beat_track(y=y, sr=22050)
    out["librosa"] = (float(np.atleast_1d(bpm)[0]), time.perf_counter() - t)
    try:
        import essentia.standard as es
    except ImportError:
        return out
    y44, _ = librosa.load(str(path), sr=44100, mono=True)
    t = time.perf_counter()
    bpm = es.RhythmExtractor2013(method="multifeature")(y44.astype(np.float32))[0]
    out["essentia"] = (float(bpm), time.perf_counter() - t)
    return out


def agree(a, b, *, tolerance=0.04, octave=False) -> bool:
    """Whether tempo ``a`` is within ``tolerance`` of ``b`` (or of 2b, b/2 if ``octave``)."""
    if a is None or b is None or not (a > 0 and b > 0):
        return False
    factors = (1.0, 2.0, 0.5) if octave else (1.0,)
    return any(abs(a - f * b) <= tolerance * f * b for f in factors)


def _loop_bounds(y: np.ndarray, target_s: float = 10.0) -> tuple[int, int]:
    """Sample bounds of a loop of whole bars (4 beats, librosa's beat tracker) about ``target_s`` long."""
    import librosa

    _, beats = librosa.beat.beat_track(y=y, sr=SR, units="samples")
    if len(beats) < 9:
        return 0, int(target_s * SR)
    period = float(np.median(np.diff(beats)))
    n = max(4, 4 * int(round(target_s / (4 * period / SR))))
    start = int(beats[0])
    return start, min(y.size, start + int(round(n * period)))


def _random_basis(harmonics, seed: int):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal(harmonics.vectors.shape))
    return dataclasses.replace(harmonics, vectors=q, regional=())


# --------------------------------------------------------------------------- report


def _f(v, digits=3):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _median(values):
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else None


METRICS = ("habituation", "consonance", "tonalness", "tempo_bpm", "metre_certainty", "surprise", "semantic_fraction")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="excerpt length (s), 30-60 recommended")
    parser.add_argument("--lufs", type=float, default=-23.0, help="loudness of every excerpt (LUFS)")
    parser.add_argument("--cache", type=Path, default=None, help="keep the excerpts in this folder")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    parser.add_argument("--no-connectomes", action="store_true", help="skip the connectome comparison")
    args = parser.parse_args(argv)

    import resonance
    from scipy.stats import spearmanr

    tmp = None
    folder = args.cache
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_real_")
        folder = Path(tmp.name)
    t0 = time.perf_counter()
    items, missing, levels = build_corpus(folder, seconds=args.seconds, lufs=args.lufs)
    print(f"# Real recordings: {len(items)} excerpts of {args.seconds:g} s at {args.lufs:g} LUFS "
          f"(built in {time.perf_counter() - t0:.0f} s)\n")
    if missing:
        print(f"Missing (their files skipped): `apt-get install -y {' '.join(sorted(missing))}`\n")
    h = resonance.connectome_harmonics()
    _score(items[-1].path, h)  # warm-up: caches, references, numba

    results, report = {}, {"seconds": args.seconds, "lufs": args.lufs, "missing": sorted(missing), "files": {}}
    for it in items:
        r, dt = _score(it.path, h)
        results[it.name] = r
        refs = _tempo_references(it.path) if it.category in ("mix", "solo", "ensemble") else {}
        report["files"][it.name] = {
            "category": it.category, "source": it.source, **levels[it.name], "score": r.score,
            **{k: r.metrics.get(k) for k in METRICS}, "cost_x_realtime": dt / r.duration_s,
            "librosa_bpm": refs.get("librosa", (None,))[0], "essentia_bpm": refs.get("essentia", (None,))[0],
            "librosa_cost_x_realtime": refs["librosa"][1] / r.duration_s if "librosa" in refs else None,
            "essentia_cost_x_realtime": refs["essentia"][1] / r.duration_s if "essentia" in refs else None,
            "score_bpm": it.score_bpm,
        }
    files = report["files"]

    print("## 1. Per file (default connectome tvb:76)\n")
    print(_table(["file", "category", "LUFS", "dBTP", "score", "habituation", "consonance", "tonalness", "tempo_bpm",
                  "metre_certainty", "surprise", "semantic", "cost (x RT)"],
                 [[n, d["category"], d["lufs"], d["true_peak_dbtp"], d["score"], d["habituation"], d["consonance"],
                   d["tonalness"], d["tempo_bpm"], d["metre_certainty"], d["surprise"], d["semantic_fraction"],
                   d["cost_x_realtime"]] for n, d in files.items()]))

    def cat(c, key="score"):
        return [d[key] for d in files.values() if d["category"] == c]

    print("\n## 2. Per-category medians\n")
    rows = []
    for c in CATEGORIES:
        if cat(c):
            cons = cat(c, "consonance")
            rows.append([c, len(cat(c))] + [_median(cat(c, k)) for k in ("score", "habituation", "consonance",
                                                                           "tonalness", "metre_certainty",
                                                                           "surprise", "semantic_fraction")]
                        + [f"{sum(v is None for v in cons)}/{len(cons)}"])
    report["medians"] = {r[0]: dict(zip(("n", "score", "habituation", "consonance", "tonalness", "metre_certainty",
                                         "surprise", "semantic_fraction", "consonance_null"), r[1:])) for r in rows}
    print(_table(["category", "n", "score", "habituation", "consonance", "tonalness", "metre_certainty", "surprise",
                  "semantic", "consonance null"], rows))

    print("\n## 3. Ranking checks a user would expect\n")
    checks = []
    mixes = cat("mix")
    music = mixes + cat("solo") + cat("ensemble")
    med_mix = _median(mixes)

    def check(name, ok, figures):
        checks.append([name, "PASS" if ok else "FAIL", figures])

    def above(values, ref):
        return f"{sum(v > ref for v in values)}/{len(values)}"

    if mixes:
        for c, label in (("noise", "music mixes > noise"), ("tone", "music mixes > steady tone")):
            if cat(c):
                top = max(cat(c))
                check(label, med_mix > top, f"median mix {med_mix:.3g} vs highest {c} {top:.3g}; "
                                            f"mixes above it: {above(mixes, top)}")
        if cat("noise") and music:
            top = max(cat("noise"))
            check("renderings > noise", _median(cat("solo") + cat("ensemble")) > top,
                  f"median rendering {_median(cat('solo') + cat('ensemble')):.3g} vs highest noise {top:.3g}; "
                  f"renderings above it: {above(cat('solo') + cat('ensemble'), top)}")
        if cat("clicks"):
            top = max(cat("clicks"))
            check("click track not above music mixes", top <= med_mix,
                  f"highest click track {top:.3g} vs median mix {med_mix:.3g}; mixes above the click track: "
                  f"{above(mixes, top)}")
        if cat("speech"):
            sp = cat("speech")
            check("speech scores low (every speech file below the median mix)", max(sp) < med_mix,
                  f"speech {', '.join(f'{v:.3g}' for v in sp)} vs median mix {med_mix:.3g}; semantic fraction "
                  f"{', '.join(_f(v) for v in cat('speech', 'semantic_fraction'))}")
    tonal = [v for v in cat("solo", "consonance") + cat("ensemble", "consonance") + cat("mix", "consonance")
             if v is not None]
    med_tonal = _median(tonal)
    for c in ("noise", "clicks"):
        vals = cat(c, "consonance")
        if vals:
            ok = all(v is None or (med_tonal is not None and v < med_tonal) for v in vals)
            check(f"consonance null or low for {c}", ok,
                  f"consonance {', '.join(_f(v) for v in vals)} (tonalness "
                  f"{', '.join(_f(v) for v in cat(c, 'tonalness'))}); median of tonal music {_f(med_tonal)}")
    if cat("speech"):
        vals = cat("speech", "consonance")
        ok = all(v is None or (med_tonal is not None and v < med_tonal) for v in vals)
        check("speech consonance below tonal music", ok,
              f"speech {', '.join(_f(v) for v in vals)} vs median of tonal music {_f(med_tonal)}")
    null_music = [n for n, d in files.items()
                  if d["category"] in ("mix", "solo", "ensemble") and d["consonance"] is None]
    check("consonance defined for tonal music", not null_music,
          f"null for {len(null_music)}/{len(music)}: {', '.join(null_music) or '-'}")
    print(_table(["check", "result", "figures"], checks))
    report["checks"] = checks

    print("\n## 4. Tempo agreement (music; no ground truth for the mixes)\n")
    tempo_rows, counts = [], {}
    pairs = (("stimgen", "librosa"), ("stimgen", "essentia"), ("librosa", "essentia"))
    for n, d in files.items():
        if d["category"] not in ("mix", "solo", "ensemble"):
            continue
        est = {"stimgen": d["tempo_bpm"], "librosa": d["librosa_bpm"], "essentia": d["essentia_bpm"],
               "score": d["score_bpm"]}
        row = [n, d["category"], est["score"], est["stimgen"], est["librosa"], est["essentia"]]
        for a, b in pairs + (("stimgen", "score"), ("librosa", "score"), ("essentia", "score")):
            if est[a] is None or est[b] is None:
                continue
            for octave in (False, True):
                key = f"{a}~{b}{' (x2, /2)' if octave else ''}"
                hits, total = counts.get(key, (0, 0))
                counts[key] = (hits + agree(est[a], est[b], octave=octave), total + 1)
        row += [agree(est["stimgen"], est["librosa"], octave=True), agree(est["stimgen"], est["essentia"], octave=True)]
        tempo_rows.append(row)
    print(_table(["file", "category", "score BPM", "stimgen", "librosa", "essentia", "~librosa (x2)",
                  "~essentia (x2)"], tempo_rows))
    given = {k: sum(r[i] is not None for r in tempo_rows) for i, k in ((3, "stimgen"), (4, "librosa"), (5, "essentia"))}
    print("\nTempo given (not None): " + ", ".join(f"{k} {v}/{len(tempo_rows)}" for k, v in given.items()) + "\n")
    report["tempo_given"] = given
    print(_table(["pair", "agree within 4 %", "share"],
                 [[k, f"{h}/{t}", h / t] for k, (h, t) in counts.items()]))
    report["tempo_agreement"] = {k: {"agree": h, "n": t} for k, (h, t) in counts.items()}

    music_names = [n for n, d in files.items() if d["category"] in ("mix", "solo", "ensemble")]
    if not args.no_connectomes and len(music_names) >= 3:
        print("\n## 5. Connectome sensitivity (scores of the music files)\n")
        by_name = {it.name: it for it in items}
        scores = {"tvb:76": [files[n]["score"] for n in music_names]}
        cost = {}
        variants = ([(c, None) for c in CONNECTOMES[1:]] + [("tvb:76 region level", "region")]
                    + [("random basis (seed 0)", 0), ("random basis (seed 1)", 1)])
        for label, seed in variants:
            if seed == "region":  # the default connectome's region graph: separates level from connectome
                hv = resonance.connectome_harmonics(level="region")
            elif seed is not None:
                hv = _random_basis(h, seed)
            else:
                hv = resonance.connectome_harmonics(label)
            t = time.perf_counter()
            scores[label] = [_score(by_name[n].path, hv)[0].score for n in music_names]
            cost[label] = time.perf_counter() - t
        labels = list(scores)
        rho = [[label] + [float(spearmanr(scores[label], scores[o])[0]) for o in labels] for label in labels]
        print(_table(["Spearman"] + labels, rho))
        print()
        print(_table(["file"] + labels, [[n] + [scores[k][i] for k in labels] for i, n in enumerate(music_names)]))
        print()
        print(_table(["connectome", "median score", "median ratio to tvb:76"],
                     [[k, _median(scores[k]), _median(list(np.array(scores[k]) / np.array(scores["tvb:76"])))]
                      for k in labels]))
        report["connectomes"] = {"files": music_names, "scores": scores, "spearman": {r[0]: r[1:] for r in rho}}

    mix_items = [it for it in items if it.category == "mix"]
    if mix_items:
        ref = next((it for it in mix_items if "Rock" in it.name), mix_items[0])
        print(f"\n## 6. Level, duration and repetition ({ref.name})\n")
        y = _read_excerpt(ref.path, 0.0, args.seconds)[0]
        rows = []
        for lufs in (-30.0, -23.0, -16.0):
            p = folder / f"level_{int(-lufs)}.wav"
            lv = write_at_loudness(y, p, lufs)
            r, _ = _score(p, h)
            rows.append([f"{lufs:g} LUFS", lv["true_peak_dbtp"], r.score] + [r.metrics.get(k) for k in METRICS[:6]])
        src = next(e for e in CORPUS if e[0] == ref.name)
        for secs in (20.0, 40.0, 60.0):
            yy, sr = _read_excerpt(src[2], src[3], secs)
            p = folder / f"duration_{int(secs)}.wav"
            lv = write_at_loudness(_to_sr(yy, sr), p, args.lufs)
            r, _ = _score(p, h)
            rows.append([f"{secs:g} s", lv["true_peak_dbtp"], r.score] + [r.metrics.get(k) for k in METRICS[:6]])
        a, b = _loop_bounds(y.mean(axis=0))
        loop = np.tile(y[:, a:b], (1, int(math.ceil(y.shape[-1] / (b - a)))))[:, : y.shape[-1]]
        p = folder / "loop.wav"
        lv = write_at_loudness(loop, p, args.lufs)
        r, _ = _score(p, h)
        rows.append([f"{(b - a) / SR:.1f} s (whole bars) looped to {args.seconds:g} s", lv["true_peak_dbtp"], r.score]
                    + [r.metrics.get(k) for k in METRICS[:6]])
        clicks = next((it for it in items if it.category == "clicks"), None)
        if clicks is not None:  # the click track's level, peak-limited as a user's click track would be
            yc = _read_excerpt(clicks.path, 0.0, args.seconds)[0]
            p = folder / "clicks_peak.wav"
            yc = yc * 10 ** ((-1.0 - true_peak_dbtp(yc)) / 20)
            import soundfile as sf

            sf.write(str(p), yc.T, SR, subtype="FLOAT")
            r, _ = _score(p, h)
            rows.append([f"{clicks.name} at -1 dBTP ({loudness_lufs(yc, SR):.1f} LUFS)", true_peak_dbtp(yc), r.score]
                        + [r.metrics.get(k) for k in METRICS[:6]])
        print(_table(["excerpt", "dBTP", "score", *METRICS[:6]], rows))
        report["level_duration"] = rows

    print("\n## 7. Cost (one core, multiple of real time)\n")
    def med(key, cats=None):
        return _median([d[key] for d in files.values() if cats is None or d["category"] in cats])
    mus = ("mix", "solo", "ensemble")
    rows = [["resonance.score_file (all files)", med("cost_x_realtime"), 1.0],
            ["resonance.score_file (music)", med("cost_x_realtime", mus), 1.0],
            ["librosa.beat.beat_track (music)", med("librosa_cost_x_realtime", mus),
             med("cost_x_realtime", mus) / med("librosa_cost_x_realtime", mus)]]
    if med("essentia_cost_x_realtime", mus) is not None:
        rows.append(["essentia RhythmExtractor2013 (music)", med("essentia_cost_x_realtime", mus),
                     med("cost_x_realtime", mus) / med("essentia_cost_x_realtime", mus)])
    print(_table(["what", "median cost (x real time)", "score_file / this"], rows))
    report["cost"] = rows
    print(f"\nTotal wall time {time.perf_counter() - t0:.0f} s.")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=lambda o: None if o is None else float(o)))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
