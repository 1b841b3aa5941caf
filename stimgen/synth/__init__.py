"""Pure-computation synthesiser: drum voices, sequenced motifs, tonal layers, modulation and the session arc.

Everything here takes arrays and numbers and returns arrays (time on the last
axis, stereo as shape ``(2, n)``); randomness comes only from a
:class:`numpy.random.Generator` passed in, so the same inputs give
bit-identical output.  Nothing reads or writes files.

Examples
--------
>>> import numpy as np
>>> from stimgen import synth
>>> rng = np.random.default_rng(0)
>>> bars = synth.sequence(synth.generate_motif(rng=rng), rng=rng, n_bars=4)
>>> voices = {"kick": synth.kick(sr=48000), "snare": synth.snare(sr=48000, rng=rng),
...           "hat": synth.hat(sr=48000, rng=rng)}
>>> synth.render_sequence(bars, sr=48000, tempo_bpm=100, voices=voices, duration_s=4.0).shape
(192000,)
"""

from .arc import arc_boundaries_s, arc_envelope, arc_phase, crossfade
from .modulation import (
    FOCUS_AM_RATE_HZ,
    amplitude_modulate,
    apply_gain_db_curve,
    fade_edges,
    glide,
    modulator,
    raised_cosine,
)
from .sequencer import (
    Motif,
    generate_motif,
    metrical_weights,
    render_sequence,
    sequence,
    sequence_notes,
    syncopation_index,
    vary,
)
from .tonal import (
    JUST_RATIOS,
    binaural,
    chord_frequencies,
    drone,
    harmonic_tone,
    isochronic,
    noise,
    pad,
)
from .voices import click, hat, kick, snare

__all__ = [
    "FOCUS_AM_RATE_HZ",
    "JUST_RATIOS",
    "Motif",
    "amplitude_modulate",
    "apply_gain_db_curve",
    "arc_boundaries_s",
    "arc_envelope",
    "arc_phase",
    "binaural",
    "chord_frequencies",
    "click",
    "crossfade",
    "drone",
    "fade_edges",
    "generate_motif",
    "glide",
    "harmonic_tone",
    "hat",
    "isochronic",
    "kick",
    "metrical_weights",
    "modulator",
    "noise",
    "pad",
    "raised_cosine",
    "render_sequence",
    "sequence",
    "sequence_notes",
    "snare",
    "syncopation_index",
    "vary",
]
