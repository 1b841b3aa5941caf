"""Count the chord types shipped in ``resonance/data/chord_types.npz``.

This is the long-term harmonic memory of the consonance measure
(:class:`resonance.hearing.consonance.ChordTypeMemory`): how often each chord type
(pitch-class set up to transposition) sounds in a corpus, the "cultural
familiarity" of Harrison & Pearce (2020).

Corpus.  The four-part chorales of J. S. Bach (the ``bach/bwv*`` files of the
corpus that ships inside the ``music21`` package, ~400 chorales), the corpus
of ``scripts/train_harmony.py``.  The compositions are in the public domain;
the encodings are distributed with music21 (BSD-licensed software) "with the
permission of the encoders" (``music21/corpus/license.txt``).  Only counts of
chord types are stored (a few hundred numbers), no score content.  No rating
data is used.

Method.  Each chorale is chordified (every change of any voice starts a new
sonority).  The pitch classes of each sonority form its chord type
(:func:`resonance.hearing.consonance.chord_type`); consecutive sonorities with the
same pitch-class set are one chord (a voice leaping within the chord does
not make a new one), and each chord adds one count to its type, as
Harrison & Pearce count the chords of their corpus.

Usage::

    python scripts/train_chord_types.py                 # writes resonance/data/chord_types.npz
    python scripts/train_chord_types.py --limit 20 -o /tmp/types.npz
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from resonance.hearing.consonance import chord_type
from resonance.io.atomic import atomic_path

_ROOT = Path(__file__).resolve().parents[1]
CORPUS = "J. S. Bach four-part chorales, music21 corpus (bach/bwv*)"


def chorale_chord_types(score) -> list[int]:
    """Chord types of a score's successive chords (repeated pitch-class sets merged)."""
    out: list[int] = []
    last = None
    for ch in score.chordify().flatten().getElementsByClass("Chord"):
        pcs = frozenset(p.pitchClass for p in ch.pitches)
        if pcs and pcs != last:
            out.append(chord_type(pcs))
        last = pcs or last
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", type=Path, default=_ROOT / "resonance" / "data" / "chord_types.npz")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N chorales (0 = all)")
    args = parser.parse_args(argv)
    from music21 import corpus

    paths = sorted(p for p in corpus.getComposer("bach") if Path(p).name.startswith("bwv"))
    if args.limit:
        paths = paths[: args.limit]
    counts: Counter = Counter()
    n_pieces = 0
    for i, path in enumerate(paths):
        try:
            counts.update(chorale_chord_types(corpus.parse(path)))
        except Exception as exc:  # a malformed encoding is skipped, and said so
            print(f"skip {Path(path).name}: {exc}", file=sys.stderr)
            continue
        n_pieces += 1
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(paths)} chorales", file=sys.stderr)
    types = np.array(sorted(counts), dtype=np.int64)
    n = np.array([counts[t] for t in types], dtype=np.int64)
    with atomic_path(args.out, suffix=".tmp.npz") as tmp:
        np.savez(tmp, types=types, counts=n, corpus=np.array(CORPUS), n_pieces=np.array(n_pieces))
    print(f"{args.out}: {n_pieces} chorales, {int(n.sum())} chords of {types.size} types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
