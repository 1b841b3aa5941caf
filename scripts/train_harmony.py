"""Train the long-term harmonic memory shipped in ``resonance/data/harmony_ltm.npz``.

Corpus.  The four-part chorales of J. S. Bach (the ``bach/bwv*`` files of the
corpus that ships inside the ``music21`` package, ~400 chorales).  The
compositions are in the public domain; the encodings are distributed with
music21 (BSD-licensed software) "with the permission of the encoders"
(``music21/corpus/license.txt``).  Only counts of chord transitions derived
from them are stored, no score content.  No rating data is used.

Method.  Each chorale is chordified; the pitch classes sounding in each beat
(quarter-length), weighted by duration, become a chroma in which every note
is a harmonic complex tone -- the same note model as the audio templates of
:func:`resonance.expectation.harmony.chord_templates` -- and the beat is
labelled with :func:`~resonance.expectation.harmony.label_chroma`, so the
memory is learned in exactly the categories the model hears.  Repeated
labels merge; every change of chord adds one count to the order-1 table
(context: quality of the previous chord) and, from the second change on, to
the order-2 table (context: the two previous chords), both coded relative to
the previous chord's root, so the memory is key-free.

Usage::

    python scripts/train_harmony.py                 # writes resonance/data/harmony_ltm.npz
    python scripts/train_harmony.py --limit 50 -o /tmp/ltm.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from resonance.expectation.harmony import (
    N_SYMBOLS,
    PARTIAL_DECAY,
    _context2,
    label_chroma,
    transition_symbol,
)
from resonance.io.atomic import atomic_path

_ROOT = Path(__file__).resolve().parents[1]


def _note_chroma(pc: int) -> np.ndarray:
    c = np.zeros(12)
    for k in range(1, 7):
        c[(pc + int(round(12 * np.log2(k)))) % 12] += (PARTIAL_DECAY ** (k - 1)) ** 2
    return c


def chorale_chords(score) -> list[int]:
    """Chord labels of a score, one per beat, repeats merged."""
    chords = score.chordify().flatten().getElementsByClass("Chord")
    beats: dict[int, np.ndarray] = {}
    for ch in chords:
        start = float(ch.offset)
        dur = float(ch.quarterLength)
        end = start + dur
        b = int(np.floor(start))
        while b < end:
            overlap = min(end, b + 1) - max(start, b)
            if overlap > 0:
                acc = beats.setdefault(b, np.zeros(12))
                for p in ch.pitches:
                    acc += overlap * _note_chroma(p.pitchClass)
            b += 1
    out: list[int] = []
    for b in sorted(beats):
        lab = int(label_chroma(beats[b]))
        if lab >= 0 and (not out or out[-1] != lab):
            out.append(lab)
    return out


def count_transitions(sequences) -> tuple[np.ndarray, np.ndarray]:
    """Order-1 (2 x 24) and order-2 (48 x 24) transition counts."""
    o1 = np.zeros((2, N_SYMBOLS))
    o2 = np.zeros((48, N_SYMBOLS))
    for seq in sequences:
        for i in range(1, len(seq)):
            sym = transition_symbol(seq[i - 1], seq[i])
            o1[seq[i - 1] // 12, sym] += 1
            if i >= 2:
                o2[_context2(seq[i - 2], seq[i - 1]), sym] += 1
    return o1, o2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", type=Path, default=_ROOT / "resonance" / "data" / "harmony_ltm.npz")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N chorales (0 = all)")
    args = parser.parse_args(argv)
    from music21 import corpus

    paths = sorted(p for p in corpus.getComposer("bach") if Path(p).name.startswith("bwv"))
    if args.limit:
        paths = paths[: args.limit]
    sequences = []
    for i, path in enumerate(paths):
        try:
            seq = chorale_chords(corpus.parse(path))
        except Exception as exc:  # a malformed encoding is skipped, and said so
            print(f"skip {Path(path).name}: {exc}", file=sys.stderr)
            continue
        sequences.append(seq)
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(paths)} chorales", file=sys.stderr)
    o1, o2 = count_transitions(sequences)
    with atomic_path(args.out, suffix=".tmp.npz") as tmp:
        np.savez(tmp, order1=o1, order2=o2,
                 corpus=np.array("J. S. Bach four-part chorales, music21 corpus (bach/bwv*)"),
                 n_pieces=np.array(len(sequences)))
    print(f"{args.out}: {len(sequences)} chorales, {int(o1.sum())} chord changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
