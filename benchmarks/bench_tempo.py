"""Tempo accuracy on real music nobody here wrote: stimgen against librosa and Essentia.

Corpus.  Scores shipped in the ``music21`` corpus (Bach chorales, a Joplin
rag, Mozart, Haydn and Beethoven string quartets, a Mozart sonata, Corelli,
Schubert, Schumann, Verdi, Weber, folk tunes of the Nottingham and O'Neill
collections), each given a known tempo (the score's own metronome mark where
it has one, else a tempo drawn from a seeded generator in 60-160 BPM),
truncated to about ``--seconds`` (a score whose repeats music21 cannot
expand is played through once without them) and rendered through FluidSynth with the
FluidR3 General MIDI soundfont (Debian packages ``fluidsynth`` and
``fluid-soundfont-gm``) on piano, organ, strings or fiddle.  The scores are
public-domain compositions whose encodings music21 distributes (see
``music21/corpus/license.txt``); the soundfont is MIT-licensed.

Truth is the beat: the quarter note, or the dotted quarter in compound
metres (6/8, 9/8, 12/8).  Accuracy 1: estimate within 4 % of the beat
tempo; accuracy 2: within 4 % of half, the same, or double.

The 8 pieces that first rendered in session 5 (``NEWER``, marked ``*``) came after the
metre model's constants were set on the other 21; they are reported apart too.
Session 6-7 changes were then chosen looking at all 29, so a third group,
``HELD_OUT_S7`` (marked ``+``, 14 pieces added 2026-12-02 in session 7, 13 render), is the
held-out group now: no constant may be chosen on it.  Its pieces were picked by
the rule written above the list before any result was seen; their tempo is the
score's metronome mark, else a beat tempo drawn from the seeded generator in
50-180 BPM (the older groups draw a quarter-note tempo in 60-160 BPM).

Systems, all on the same files in the same run:

* stimgen -- ``resonance.score_signal(...).metrics["tempo_bpm"]`` (the metre
  model's pulse; ``None`` counts as wrong);
* ``librosa.feature.tempo`` (default onset envelope and prior);
* ``librosa.beat.beat_track``;
* Essentia ``RhythmExtractor2013(method="multifeature")``, if
  ``import essentia.standard`` works.

Usage::

    python benchmarks/bench_tempo.py                    # ~44 pieces, 30 s each
    python benchmarks/bench_tempo.py --limit 8 --seconds 20
    python benchmarks/bench_tempo.py --cache /tmp/tempo-corpus   # render once, rerun fast
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

__all__ = ["HELD_OUT_S7", "NEWER", "PIECES", "main", "render_piece"]

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

#: (corpus path, movement/tune number or None, General MIDI program).
#: 0 piano, 19 church organ, 48 string ensemble, 40 violin, 110 fiddle.
PIECES = [
    ("bach/bwv1.6", None, 0),
    ("bach/bwv10.7", None, 19),
    ("bach/bwv101.7", None, 0),
    ("bach/bwv102.7", None, 19),
    ("bach/bwv103.6", None, 0),
    ("bach/bwv104.6", None, 48),
    ("bach/bwv108.6", None, 0),
    ("bach/bwv11.6", None, 19),
    ("joplin/maple_leaf_rag", None, 0),
    ("mozart/k545/movement1", None, 0),
    ("mozart/k80/movement1", None, 48),
    ("mozart/k155/movement1", None, 48),
    ("mozart/k156/movement1", None, 48),
    ("mozart/k458/movement1", None, 48),
    ("haydn/opus1no1/movement1", None, 48),
    ("haydn/opus74no1/movement1", None, 48),
    ("beethoven/opus18no1/movement1", None, 48),
    ("corelli/opus3no1/1grave", None, 48),
    ("schubert/Lindenbaum", None, 0),
    ("schumann_robert/dichterliebe_no2", None, 0),
    ("verdi/laDonnaEMobile", None, 0),
    ("weber/concertino_clarinet", None, 0),
    ("leadSheet/fosterBrownHair", None, 0),
    ("nottingham-dataset/reelsa-c.abc", 80, 110),
    ("nottingham-dataset/reelsa-c.abc", 81, 0),
    ("oneills1850/0001-0050.abc", 3, 110),
    ("oneills1850/0001-0050.abc", 1, 110),
    ("oneills1850/0001-0050.abc", 2, 0),
    ("oneills1850/0001-0050.abc", 10, 110),
    ("airdsAirs/book1.abc", 1, 0),
    # HELD_OUT_S7, added 2026-12-02 (session 7) after flux and the metrical level were chosen on all of
    # the above.  Rule, fixed before any result was seen: eligible = first time signature 2/4, 3/4,
    # 4/4 (C) or 6/8 (cut time and anything else excluded: the beat convention is unclear there).
    # From collections already used, the next eligible pieces in file / tune-number order after the
    # ones above: Bach chorales 2 (variant files such as -sc skipped), O'Neill 1850 tunes 3, Aird's
    # Airs book 1 tunes 3 (with their own metronome marks).  From collections not used before, the
    # first eligible ones in file / tune-number order: Ryan's Mammoth 2, Essen folksongs (altdeu10) 2,
    # Monteverdi madrigals 1, C. P. E. Bach 1.  Instruments cycle by position in this group through
    # 73 flute, 24 nylon guitar, 42 cello, 71 clarinet, 46 harp, 0 piano, 48 string ensemble.
    # A piece that fails to render is skipped, not replaced (O'Neill no. 6 does, 2026-12-02: music21's
    # MIDI writer raises "TimeSignature ... already found in this Stream", as for no. 1 above).
    ("bach/bwv110.7", None, 73),
    ("bach/bwv111.6", None, 24),
    ("oneills1850/0001-0050.abc", 4, 42),
    ("oneills1850/0001-0050.abc", 5, 71),
    ("oneills1850/0001-0050.abc", 6, 46),
    ("airdsAirs/book1.abc", 2, 0),
    ("airdsAirs/book1.abc", 3, 48),
    ("airdsAirs/book1.abc", 4, 73),
    ("ryansMammoth/42dHighlandRegimentStrathspey.abc", None, 24),
    ("ryansMammoth/7thRegimentReel.abc", None, 42),
    ("essenFolksong/altdeu10.abc", 6, 71),
    ("essenFolksong/altdeu10.abc", 8, 46),
    ("monteverdi/madrigal.3.1", None, 0),
    ("cpebach/h186", None, 48),
]


#: The pieces that first rendered in session 5 (repeats music21 cannot expand, the Nottingham reels that
#: exist), after the metre model's constants were set on the others: reported apart, as held-out pieces.
NEWER = {"joplin/maple_leaf_rag", "haydn/opus1no1/movement1", "haydn/opus74no1/movement1", "leadSheet/fosterBrownHair",
         "nottingham-dataset/reelsa-c.abc#80", "nottingham-dataset/reelsa-c.abc#81", "oneills1850/0001-0050.abc#3",
         "airdsAirs/book1.abc#1"}

#: The pieces added in session 7 (2026-12-02), held out from every choice made so far: no constant may be
#: chosen on them.  Keys as in ``NEWER`` (corpus path, ``#number`` for a tune of a collection).
HELD_OUT_S7 = {f"{path}{'#' + str(number) if number else ''}" for path, number, _ in PIECES[30:]}


def _beat_factor(score) -> float:
    """Beat per quarter note: 1.5 (dotted quarter) in compound metres, else 1."""
    ts = score.recurse().getElementsByClass("TimeSignature").first()
    if ts is not None and ts.denominator == 8 and ts.numerator in (6, 9, 12):
        return 1.5
    return 1.0


def _without_repeats(score):
    """The score with its repeat barlines and repeat expressions removed (played through once).

    For scores whose repeats music21 cannot expand ("badly formed repeats");
    scores whose repeats expand are rendered with them.
    """
    from music21 import bar, repeat

    for el in list(score.recurse().getElementsByClass(bar.Repeat)):
        site = el.activeSite
        if site is not None and getattr(site, "leftBarline", None) is el:
            site.leftBarline = None
        if site is not None and getattr(site, "rightBarline", None) is el:
            site.rightBarline = None
    for el in list(score.recurse().getElementsByClass(repeat.RepeatExpression)):
        el.activeSite.remove(el)
    return score


def render_piece(index: int, path: str, number, program: int, *, seconds: float, folder: Path):
    """Render one corpus piece to WAV; return (wav path, beat BPM, description)."""
    from music21 import corpus, instrument, tempo

    score = corpus.parse(path, number=number) if number is not None else corpus.parse(path)
    marks = list(score.recurse().getElementsByClass("MetronomeMark"))
    qpm = None
    for mm in marks:
        if mm.number is not None and mm.referent is not None:
            qpm = float(mm.number) * float(mm.referent.quarterLength)
            break
    if qpm is None or not 40 <= qpm <= 220:
        if f"{path}{'#' + str(number) if number else ''}" in HELD_OUT_S7:
            qpm = float(np.random.default_rng(index).uniform(50.0, 180.0)) * _beat_factor(score)
        else:
            qpm = float(np.random.default_rng(index).uniform(60.0, 160.0))
    for mm in marks:
        mm.activeSite.remove(mm)
    for el in list(score.recurse().getElementsByClass("Instrument")):
        el.activeSite.remove(el)
    ts = score.recurse().getElementsByClass("TimeSignature").first()
    bar_q = ts.barDuration.quarterLength if ts is not None else 4.0
    n_bars = int(math.ceil(seconds * qpm / 60.0 / bar_q)) + 1
    try:
        score = score.measures(0, n_bars)
    except Exception:  # scores without measures keep their full length
        pass
    parts = score.parts if score.parts else [score]
    for part in parts:
        first = part.getElementsByClass("Measure").first()
        target = first if first is not None else part
        inst = instrument.Instrument()
        inst.midiProgram = program
        target.insert(0, inst)
        target.insert(0, tempo.MetronomeMark(number=qpm))
    mid = folder / f"{index:02d}.mid"
    raw = folder / f"{index:02d}.raw"
    wav = folder / f"{index:02d}.wav"
    try:
        score.write("midi", fp=str(mid))
    except Exception as exc:  # music21's RepeatException: repeats it cannot expand
        if "repeat" not in str(exc).lower():
            raise
        _without_repeats(score).write("midi", fp=str(mid))
    # Raw 16-bit stereo at 22.05 kHz, stopped once long enough (a stray
    # long note in a score must not render for hours).
    need = int(seconds * 22050) * 4
    proc = subprocess.Popen(
        ["fluidsynth", "-ni", "-q", "-g", "0.8", "-r", "22050", "-T", "raw", "-O", "s16", "-F", str(raw),
         str(SOUNDFONT), str(mid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        while proc.poll() is None and (not raw.exists() or raw.stat().st_size < need):
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
    pcm = np.fromfile(raw, dtype="<i2", count=need // 2).reshape(-1, 2) / 32768.0
    raw.unlink()
    import soundfile as sf

    sf.write(wav, pcm, 22050)
    return wav, qpm / _beat_factor(score), f"{path}{'#' + str(number) if number else ''} (GM {program})"


def _hit(est, truth, factors=(1.0,)):
    if est is None or not np.isfinite(est) or est <= 0:
        return False
    return any(abs(est / (truth * f) - 1.0) <= 0.04 for f in factors)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="audio per piece (s)")
    parser.add_argument("--limit", type=int, default=0, help="first N pieces only")
    parser.add_argument("--json", type=Path, default=None, help="write per-piece results here")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the renderings in this folder and reuse them (default: a temporary folder)")
    args = parser.parse_args(argv)
    if shutil.which("fluidsynth") is None or not SOUNDFONT.exists():
        print("bench_tempo: error: needs FluidSynth and the GM soundfont "
              "(apt-get install -y fluidsynth fluid-soundfont-gm)", file=sys.stderr)
        return 2
    import librosa
    import soundfile as sf

    from resonance import connectome_harmonics, load_connectome, score_signal

    try:
        import essentia.standard as es
    except Exception:  # Essentia is optional
        es = None
    h = connectome_harmonics(load_connectome(), n_modes=200)
    pieces = PIECES[: args.limit] if args.limit else PIECES
    systems = ["stimgen", "librosa.feature.tempo", "librosa.beat.beat_track"] + (["essentia"] if es else [])
    rows, cost = [], {s: 0.0 for s in systems}
    audio_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.cache is None else args.cache
        folder.mkdir(parents=True, exist_ok=True)
        for i, (path, number, program) in enumerate(pieces):
            try:
                meta = folder / f"{i:02d}.json"
                if meta.exists():
                    m = json.loads(meta.read_text())
                    wav, truth, name = folder / f"{i:02d}.wav", m["truth"], m["name"]
                else:
                    wav, truth, name = render_piece(i, path, number, program, seconds=args.seconds, folder=folder)
                    meta.write_text(json.dumps({"truth": truth, "name": name}))
            except Exception as exc:
                print(f"skip {path}: {exc}", file=sys.stderr)
                continue
            y, sr = sf.read(wav, always_2d=True)
            y = y.mean(axis=1)[: int(args.seconds * sr)]
            if np.max(np.abs(y)) < 1e-4:
                print(f"skip {path}: silent rendering", file=sys.stderr)
                continue
            audio_s += y.size / sr
            est = {}
            t = time.perf_counter()
            est["stimgen"] = score_signal(y, sr, harmonics=h).metrics["tempo_bpm"]
            cost["stimgen"] += time.perf_counter() - t
            t = time.perf_counter()
            est["librosa.feature.tempo"] = float(librosa.feature.tempo(y=y, sr=sr)[0])
            cost["librosa.feature.tempo"] += time.perf_counter() - t
            t = time.perf_counter()
            bt, _ = librosa.beat.beat_track(y=y, sr=sr)
            est["librosa.beat.beat_track"] = float(np.atleast_1d(bt)[0])
            cost["librosa.beat.beat_track"] += time.perf_counter() - t
            if es:
                t = time.perf_counter()
                y44 = librosa.resample(y, orig_sr=sr, target_sr=44100).astype(np.float32)
                est["essentia"] = float(es.RhythmExtractor2013(method="multifeature")(y44)[0])
                cost["essentia"] += time.perf_counter() - t
            key = name.split(" (GM")[0]
            newer, held_out = key in NEWER, key in HELD_OUT_S7
            rows.append({"piece": name, "newer": newer, "held_out_s7": held_out, "truth_bpm": round(truth, 2),
                         **{k: (None if v is None else round(v, 2)) for k, v in est.items()}})
            mark = " *" if newer else " +" if held_out else ""
            print(f"{name + mark:55s} truth {truth:6.1f}  " + "  ".join(
                f"{s.split('.')[-1]} {'-' if est[s] is None else f'{est[s]:6.1f}'}" for s in systems), flush=True)
    n = len(rows)
    print(f"\n{n} pieces, {audio_s:.0f} s of audio; accuracy 1 = within 4 %, accuracy 2 = also x2 or x1/2")
    print(f"{'system':26s} {'acc1':>6s} {'acc2':>6s} {'reported':>9s} {'acc1 of reported':>17s} {'s/min audio':>12s}")
    summary = {}
    for s in systems:
        a1 = sum(_hit(r[s], r["truth_bpm"]) for r in rows) / max(n, 1)
        a2 = sum(_hit(r[s], r["truth_bpm"], (0.5, 1.0, 2.0)) for r in rows) / max(n, 1)
        # stimgen reports no tempo where it hears no pulse (None); the others always answer.
        reported = [r for r in rows if r[s] is not None]
        a1r = sum(_hit(r[s], r["truth_bpm"]) for r in reported) / max(len(reported), 1)
        per_min = cost[s] / max(audio_s / 60.0, 1e-9)
        summary[s] = {"acc1": a1, "acc2": a2, "reported": len(reported) / max(n, 1), "acc1_of_reported": a1r,
                      "seconds_per_audio_minute": per_min}
        print(f"{s:26s} {100 * a1:5.0f}% {100 * a2:5.0f}% {100 * len(reported) / max(n, 1):8.0f}% "
              f"{100 * a1r:16.0f}% {per_min:12.2f}")
    groups = {
        "older": [r for r in rows if not r["newer"] and not r["held_out_s7"]],
        "newer": [r for r in rows if r["newer"]],
        "held_out_s7": [r for r in rows if r["held_out_s7"]],
    }
    print(f"\nby group (* = the {len(groups['newer'])} pieces new in session 5; + = the "
          f"{len(groups['held_out_s7'])} pieces new in session 7, held out from every choice of constants): "
          "within 4 % / also x2 or x1/2 / reported")
    print(f"{'system':26s} {str(len(groups['older'])) + ' older':>18s} {str(len(groups['newer'])) + ' session 5 *':>18s} "
          f"{str(len(groups['held_out_s7'])) + ' session 7 +':>18s}")
    for s in systems:
        cells = []
        for label, group in groups.items():
            a1 = sum(_hit(r[s], r["truth_bpm"]) for r in group)
            a2 = sum(_hit(r[s], r["truth_bpm"], (0.5, 1.0, 2.0)) for r in group)
            rep = sum(r[s] is not None for r in group)
            cells.append(f"{a1} / {a2} / {rep}")
            summary[s][label] = {"acc1": a1, "acc2": a2, "reported": rep, "n": len(group)}
        print(f"{s:26s} " + " ".join(f"{c:>18s}" for c in cells))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
