"""Step-sequenced drum motifs with controlled unpredictability, and their rendering.

The model (docs/model.md) rewards patterns that are ordered enough to
resonate but not so predictable that the listener's predictive "sinks" absorb
them: a metronome is learned and drained, random onsets are incoherent, and a
moderately syncopated groove sits in between.  This module builds such
grooves in three layers:

1. :func:`generate_motif`: a backbeat bar (kick on beat 1, snare on 2 and 4,
   hats on eighths) plus syncopated kick/snare notes on off-beat sixteenths,
   each drawn with probability ``syncopation``.
2. :func:`vary` / :func:`sequence`: bar-to-bar variation (notes displaced,
   dropped or added with probability ``deviation``) and slow evolution of the
   underlying motif (a syncopation slot re-drawn with probability
   ``mutation`` per bar; the change persists).
3. :func:`render_sequence`: sample-accurate mixing of one-shot voices, with
   swing and humanised timing.

:func:`syncopation_index` (Longuet-Higgins & Lee 1984) is for *reporting* only;
the resonance model never sees it.

A bar is 4/4 with ``steps`` (a power of two, 8 to 64) equal steps, so with
16 steps one step is a sixteenth note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import ParameterError
from ._checks import (
    check_finite_array,
    check_float,
    check_int,
    check_option,
)

from .voices import _check_rng

__all__ = [
    "ADDED_VELOCITY",
    "BEATS_PER_BAR",
    "SYNCOPATED_VELOCITY",
    "SYNCOPATION_VOICES",
    "VOICE_NAMES",
    "Motif",
    "generate_motif",
    "metrical_weights",
    "render_sequence",
    "sequence",
    "sequence_notes",
    "syncopation_index",
    "vary",
]

#: Beats (quarter notes) per bar: every motif is in 4/4.
BEATS_PER_BAR = 4
#: Voice names a motif may use.  Roles: "kick" anchors beats 1 (and 3),
#: "snare" the backbeat 2 and 4, "hat" keeps eighths, "click" keeps quarters.
VOICE_NAMES = ("kick", "snare", "hat", "click")
#: Voices that receive syncopated off-beat notes.
SYNCOPATION_VOICES = ("kick", "snare")
#: Velocity range of a syncopated note (softer than the backbeat).
SYNCOPATED_VELOCITY = (0.5, 0.85)
#: Velocity range of a note added by :func:`vary`.
ADDED_VELOCITY = (0.3, 0.7)
#: Velocity of the off-beat hats relative to on-beat hats (accent pattern).
_OFFBEAT_HAT_VELOCITY = 0.6
#: Velocity of the kick on beat 3.
_BEAT3_KICK_VELOCITY = 0.8


@dataclass(frozen=True, eq=False)
class Motif:
    """One bar of a step pattern.

    Parameters
    ----------
    voices : tuple of str
        Voice names, one per row of ``velocities`` (see :data:`VOICE_NAMES`).
    velocities : numpy.ndarray of float64, shape (n_voices, steps)
        Note velocity in (0, 1] per voice and step; 0 means no note.  Stored
        read-only.
    syncopation : float
        Probability with which off-beat slots carry a syncopated note; used
        when :func:`vary` re-draws a slot.

    Examples
    --------
    >>> m = generate_motif(rng=np.random.default_rng(0), syncopation=0.0)
    >>> m.steps, m.voice("snare").nonzero()[0].tolist()
    (16, [4, 12])
    """

    voices: tuple
    velocities: np.ndarray
    syncopation: float = 0.3

    @property
    def steps(self) -> int:
        """Number of steps in the bar."""
        return int(self.velocities.shape[1])

    def voice(self, name) -> np.ndarray:
        """Velocities of voice ``name``, shape (steps,).

        Raises
        ------
        ParameterError
            If the motif has no voice ``name``.
        """
        check_option("name", name, self.voices)
        return self.velocities[self.voices.index(name)]

    def __eq__(self, other):
        if not isinstance(other, Motif):
            return NotImplemented
        return (
            self.voices == other.voices
            and self.velocities.shape == other.velocities.shape
            and bool(np.array_equal(self.velocities, other.velocities))
            and self.syncopation == other.syncopation
        )

    __hash__ = None


def _make_motif(voices, velocities, syncopation):
    vel = np.array(velocities, dtype=np.float64)
    vel.setflags(write=False)
    return Motif(tuple(voices), vel, float(syncopation))


def _check_steps(steps):
    steps = check_int("steps", steps, low=8, high=64)
    if steps & (steps - 1):
        raise ParameterError(f"steps={steps} must be a power of two in [8, 64] (8, 16, 32 or 64)")
    return steps


def _check_voices(voices):
    if isinstance(voices, str) or len(voices) == 0:
        raise ParameterError(f"voices={voices!r} must be a non-empty sequence of names from {VOICE_NAMES}")
    for v in voices:
        check_option("voices", v, VOICE_NAMES)
    if len(set(voices)) != len(voices):
        raise ParameterError(f"voices={tuple(voices)!r} must not repeat a name")
    return tuple(voices)


def _check_motif(motif):
    if not isinstance(motif, Motif):
        raise ParameterError(f"motif={motif!r} must be a Motif (see generate_motif)")
    return motif


def _offbeat_slots(steps):
    """Step indices that are not on a quarter-note beat."""
    per_beat = steps // BEATS_PER_BAR
    return np.array([s for s in range(steps) if s % per_beat], dtype=int)


def _draw_syncopation(vel, voices, slots, probability, rng):
    """Put a syncopated note of one randomly chosen SYNCOPATION_VOICE on each slot with ``probability``."""
    rows = [voices.index(v) for v in SYNCOPATION_VOICES if v in voices]
    hit = rng.random(len(slots)) < probability
    which = rng.integers(0, max(len(rows), 1), len(slots))
    level = rng.uniform(*SYNCOPATED_VELOCITY, len(slots))
    if not rows:
        return
    for slot, h, w, lv in zip(slots, hit, which, level):
        if h:
            vel[rows[w], slot] = lv


def generate_motif(*, rng, steps=16, voices=("kick", "snare", "hat"), syncopation=0.3, density=1.0):
    """Build a backbeat bar with random syncopation.

    The base pattern: kick on beat 1 (velocity 1) and on beat 3 (0.8), snare on
    beats 2 and 4 (velocity 1), hats on every eighth (on-beat 1, off-beat 0.6),
    click on every beat.  ``density`` is the probability that each optional
    base note (the kick on beat 3 and the off-beat hats) is kept; the anchor
    notes are always there.  Then each off-beat step (not on a quarter note)
    gets, with probability ``syncopation``, a note of either kick or snare
    (chosen uniformly) with velocity drawn from :data:`SYNCOPATED_VELOCITY`.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    steps : int
        Steps per bar, a power of two in [8, 64] (16 = sixteenth notes).
    voices : sequence of str
        Voices to use, from :data:`VOICE_NAMES`.
    syncopation : float
        Probability in [0, 1] of a syncopated note on each off-beat step.
        Moderate values (about 0.2-0.4) are the model's sweet spot.
    density : float
        Probability in [0, 1] of keeping each optional base note.

    Returns
    -------
    Motif

    Raises
    ------
    ParameterError
        If an argument is out of range or a voice name is unknown.

    Examples
    --------
    >>> m = generate_motif(rng=np.random.default_rng(1))
    >>> bool(m.voice("kick")[0] == 1.0)
    True
    """
    _check_rng(rng)
    steps = _check_steps(steps)
    voices = _check_voices(voices)
    syncopation = check_float("syncopation", syncopation, low=0, high=1)
    density = check_float("density", density, low=0, high=1)
    per_beat = steps // BEATS_PER_BAR
    beats = np.arange(BEATS_PER_BAR) * per_beat
    vel = np.zeros((len(voices), steps))
    keep = rng.random(steps + 1) < density  # one draw per optional slot, fixed count
    for row, name in enumerate(voices):
        if name == "kick":
            vel[row, beats[0]] = 1.0
            if keep[steps]:
                vel[row, beats[2]] = _BEAT3_KICK_VELOCITY
        elif name == "snare":
            vel[row, beats[[1, 3]]] = 1.0
        elif name == "hat":
            eighth = per_beat // 2
            for s in range(0, steps, eighth):
                if s % per_beat == 0:
                    vel[row, s] = 1.0
                elif keep[s]:
                    vel[row, s] = _OFFBEAT_HAT_VELOCITY
        elif name == "click":
            vel[row, beats] = 1.0
    _draw_syncopation(vel, voices, _offbeat_slots(steps), syncopation, rng)
    return _make_motif(voices, vel, syncopation)


def _mutate(motif, rng):
    """Re-draw one off-beat syncopation slot (the change persists in the returned motif)."""
    vel = np.array(motif.velocities)
    slots = _offbeat_slots(motif.steps)
    slot = slots[rng.integers(len(slots))]
    rows = [motif.voices.index(v) for v in SYNCOPATION_VOICES if v in motif.voices]
    vel[rows, slot] = 0.0
    _draw_syncopation(vel, motif.voices, np.array([slot]), motif.syncopation, rng)
    return _make_motif(motif.voices, vel, motif.syncopation)


def _deviate(motif, rng, deviation):
    """One bar's variation: displace/drop notes, add notes, with probability ``deviation``."""
    vel = np.array(motif.velocities)
    n_voices, steps = vel.shape
    # A fixed number of draws per bar keeps the random stream aligned.
    u = rng.random((n_voices, steps))
    action = rng.integers(0, 2, (n_voices, steps))  # 0 displace, 1 drop
    direction = rng.choice((-1, 1), (n_voices, steps))
    add = rng.random(n_voices) < deviation
    add_slot = rng.integers(0, steps, n_voices)
    add_level = rng.uniform(*ADDED_VELOCITY, n_voices)
    out = vel.copy()
    for r in range(n_voices):
        for s in np.flatnonzero(vel[r]):
            if s == 0 or u[r, s] >= deviation:
                continue  # the downbeat anchors the meter and is never moved
            level = out[r, s]
            out[r, s] = 0.0
            if action[r, s] == 0:
                target = (s + direction[r, s]) % steps
                if target != 0 and out[r, target] == 0.0:
                    out[r, target] = level
                else:
                    out[r, s] = level  # no room: the note stays
        if add[r] and out[r, add_slot[r]] == 0.0:
            out[r, add_slot[r]] = add_level[r]
    return _make_motif(motif.voices, out, motif.syncopation)


def vary(motif, *, rng, deviation=0.1, mutation=0.2):
    """Return a varied copy of ``motif`` (one bar).

    First, with probability ``mutation``, one off-beat slot is re-drawn as in
    :func:`generate_motif` (motif evolution).  Then each note except the
    downbeat on step 0 is, with probability ``deviation``, either displaced
    by one step (if the neighbour is free) or dropped (equally likely), and
    each voice gets, with probability ``deviation``, one extra note of
    velocity in :data:`ADDED_VELOCITY` on a random free step.  With
    ``deviation = mutation = 0`` the result equals ``motif``.

    Parameters
    ----------
    motif : Motif
        The bar to vary.
    rng : numpy.random.Generator
        Source of randomness.
    deviation : float
        Per-note probability in [0, 1] of a displacement or drop; per-voice
        probability of an added note.
    mutation : float
        Probability in [0, 1] of re-drawing one syncopation slot.

    Returns
    -------
    Motif

    Raises
    ------
    ParameterError
        If ``motif`` is not a Motif or an argument is out of range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> m = generate_motif(rng=rng)
    >>> vary(m, rng=rng, deviation=0.0, mutation=0.0) == m
    True
    """
    motif = _check_motif(motif)
    _check_rng(rng)
    deviation = check_float("deviation", deviation, low=0, high=1)
    mutation = check_float("mutation", mutation, low=0, high=1)
    if rng.random() < mutation:
        motif = _mutate(motif, rng)
    return _deviate(motif, rng, deviation)


def sequence(motif, *, rng, n_bars, deviation=0.1, mutation=0.2):
    """A list of ``n_bars`` bars that vary around an evolving motif.

    Each bar: with probability ``mutation`` the underlying motif mutates
    (one syncopation slot re-drawn) and the mutation *persists* for later
    bars; then the bar is a ``deviation``-variation of the current motif that
    does not persist (see :func:`vary`).

    Parameters
    ----------
    motif : Motif
        Starting motif.
    rng : numpy.random.Generator
        Source of randomness; the same state gives the same bars.
    n_bars : int
        Number of bars (>= 1).
    deviation, mutation : float
        Probabilities in [0, 1], as in :func:`vary`.

    Returns
    -------
    list of Motif

    Raises
    ------
    ParameterError
        If an argument is out of range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bars = sequence(generate_motif(rng=rng), rng=rng, n_bars=8)
    >>> len(bars)
    8
    """
    motif = _check_motif(motif)
    _check_rng(rng)
    n_bars = check_int("n_bars", n_bars, low=1)
    deviation = check_float("deviation", deviation, low=0, high=1)
    mutation = check_float("mutation", mutation, low=0, high=1)
    bars = []
    for _ in range(n_bars):
        if rng.random() < mutation:
            motif = _mutate(motif, rng)
        bars.append(_deviate(motif, rng, deviation))
    return bars


def render_sequence(bars, *, sr, tempo_bpm, voices, duration_s, swing=0.0, humanize_s=0.0, rng=None):
    """Mix one-shot voices at the notes of ``bars`` into a mono signal.

    Step ``k`` of bar ``b`` starts at ``(b * steps + k) * step_s`` with
    ``step_s = 60 / tempo_bpm / (steps / 4)`` (120 BPM, 16 steps: 0.125 s),
    rounded to the nearest sample.  ``swing`` delays every odd step by
    ``swing * step_s``; ``humanize_s`` adds Gaussian timing jitter with that
    standard deviation (clipped to +-``step_s / 2``, drawn from ``rng``).
    The bars are looped if they are shorter than ``duration_s`` and cut if
    longer; a voice's tail running past the end is cut.  Each note adds its
    voice sample times its velocity; the mix is not normalised.

    Parameters
    ----------
    bars : Motif or sequence of Motif
        Bars to play in order (all with the same number of steps).
    sr : int
        Sample rate in Hz.
    tempo_bpm : float
        Tempo in quarter notes per minute (> 0).
    voices : dict of str to array_like
        One-shot sample (1-D) for every voice name used by the bars.
    duration_s : float
        Output length in seconds.
    swing : float
        Delay of odd steps as a fraction of a step, in [0, 0.75].
    humanize_s : float
        Standard deviation of timing jitter in seconds (>= 0).
    rng : numpy.random.Generator or None
        Needed when ``humanize_s > 0``.

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)

    Raises
    ------
    ParameterError
        If an argument is out of range, a voice sample is missing, or bars
        differ in their number of steps.

    Examples
    --------
    >>> m = generate_motif(rng=np.random.default_rng(0), voices=("click",))
    >>> y = render_sequence([m], sr=1000, tempo_bpm=120, voices={"click": np.ones(3)}, duration_s=2.0)
    >>> np.flatnonzero(y)[::3].tolist()
    [0, 500, 1000, 1500]
    """
    notes = sequence_notes(bars, sr=sr, tempo_bpm=tempo_bpm, voices=voices, duration_s=duration_s, swing=swing,
                           humanize_s=humanize_s, rng=rng)
    n = int(round(float(duration_s) * int(sr)))
    out = np.zeros(n)
    for sample, starts, gains in notes:
        for start, gain in zip(starts.tolist(), gains.tolist()):
            if start >= n:
                continue
            stop = min(start + len(sample), n)
            out[start:stop] += gain * sample[: stop - start]
    return out


def sequence_notes(bars, *, sr, tempo_bpm, voices, duration_s, swing=0.0, humanize_s=0.0, rng=None):
    """The notes :func:`render_sequence` mixes, without mixing them.

    Parameters
    ----------
    bars, sr, tempo_bpm, voices, duration_s, swing, humanize_s, rng
        As in :func:`render_sequence` (the same draws are made from ``rng``).

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        One ``(sample, starts, gains)`` per voice, in sorted voice order:
        the voice's one-shot sample, the note start indices (int64, >= 0)
        and velocities.  Adding ``gain * sample`` at each start, in this
        order and cut at ``round(duration_s * sr)``, gives
        :func:`render_sequence`'s output; a streaming renderer adds only the
        notes that reach its section, in the same order, and gets the same
        samples.

    Raises
    ------
    ParameterError
        As :func:`render_sequence`.

    Examples
    --------
    >>> m = generate_motif(rng=np.random.default_rng(0), voices=("click",))
    >>> [s.tolist() for _, s, _ in sequence_notes([m], sr=1000, tempo_bpm=120, voices={"click": np.ones(3)},
    ...                                           duration_s=2.0)]
    [[0, 500, 1000, 1500]]
    """
    if isinstance(bars, Motif):
        bars = [bars]
    bars = [_check_motif(b) for b in bars]
    if not bars:
        raise ParameterError("bars is empty; it must hold at least one Motif")
    sr = check_int("sr", sr, low=1)
    tempo_bpm = check_float("tempo_bpm", tempo_bpm, low=0, low_inclusive=False)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    swing = check_float("swing", swing, low=0, high=0.75)
    humanize_s = check_float("humanize_s", humanize_s, low=0)
    if humanize_s > 0:
        _check_rng(rng)
    steps = bars[0].steps
    for i, b in enumerate(bars):
        if b.steps != steps:
            raise ParameterError(f"bars[{i}] has {b.steps} steps; all bars must have {steps}")
    if not isinstance(voices, dict):
        raise ParameterError(f"voices must be a dict of voice name to sample array, not {type(voices).__name__}")
    samples = {}
    for b in bars:
        for name in b.voices:
            if name not in samples:
                if name not in voices:
                    raise ParameterError(
                        f"voices has no sample for voice {name!r} used by the bars; give one of "
                        f"{sorted(voices)} or add {name!r}"
                    )
                samples[name] = check_finite_array(f"voices[{name!r}]", voices[name], ndim=1)

    return _note_events(bars, samples, sr=sr, tempo_bpm=tempo_bpm, duration_s=duration_s, swing=swing,
                        humanize_s=humanize_s, rng=rng)


def _note_events(bars, samples, *, sr, tempo_bpm, duration_s, swing, humanize_s, rng):
    """The notes of :func:`render_sequence` (validated arguments) as ``[(sample, starts, gains), ...]``.

    One entry per voice, in sorted voice order (the order in which the notes
    are mixed and the timing jitter is drawn); ``starts`` are sample indices
    (int64, >= 0), ``gains`` the velocities.  Mixing them in this order
    gives :func:`render_sequence`'s samples; a streaming renderer mixes only
    the notes that reach its section, in the same order, and so gets the
    same samples.
    """
    steps = bars[0].steps
    step_s = 60.0 / tempo_bpm / (steps / BEATS_PER_BAR)
    bar_s = steps * step_s
    n_bars = int(np.ceil(duration_s / bar_s))
    # Gather all notes as (voice name, bar index, step, velocity) without per-sample work.
    events = {name: ([], []) for name in samples}
    for bar_index in range(n_bars):
        bar = bars[bar_index % len(bars)]
        for row, name in enumerate(bar.voices):
            step_idx = np.flatnonzero(bar.velocities[row])
            times = (bar_index * steps + step_idx) * step_s + swing * step_s * (step_idx % 2)
            events[name][0].append(times)
            events[name][1].append(bar.velocities[row, step_idx])
    notes = []
    for name in sorted(events):  # fixed order: the rng stream does not depend on dict order
        if not events[name][0]:
            continue
        times = np.concatenate(events[name][0])
        gains = np.concatenate(events[name][1])
        if humanize_s > 0:
            jitter = np.clip(rng.normal(0.0, humanize_s, times.shape), -step_s / 2, step_s / 2)
            times = times + jitter
        starts = np.maximum(np.round(times * sr).astype(np.int64), 0)
        notes.append((samples[name], starts, gains))
    return notes


def metrical_weights(steps):
    """Longuet-Higgins & Lee (1984) metrical weight of each step of a 4/4 bar.

    The downbeat has weight 0 and each halving of the note value lowers the
    weight by 1: with 16 steps, beat 3 is -1, beats 2 and 4 are -2, the
    eighth off-beats -3 and the sixteenth off-beats -4.

    Parameters
    ----------
    steps : int
        Steps per bar, a power of two in [8, 64].

    Returns
    -------
    numpy.ndarray of int, shape (steps,)

    Raises
    ------
    ParameterError
        If ``steps`` is not a power of two in [8, 64].

    Examples
    --------
    >>> metrical_weights(8).tolist()
    [0, -3, -2, -3, -1, -3, -2, -3]
    """
    steps = _check_steps(steps)
    depth = int(np.log2(steps))
    idx = np.arange(1, steps)
    v2 = np.zeros(steps - 1, dtype=int)  # 2-adic valuation of each step index
    rest = idx.copy()
    while np.any(rest % 2 == 0):
        even = rest % 2 == 0
        v2[even] += 1
        rest[even] //= 2
    return np.concatenate([[0], v2 - depth])


def syncopation_index(motif, *, voices=None):
    """Syncopation of a bar after Longuet-Higgins & Lee (1984); for reporting only.

    The onsets of ``voices`` are pooled (by default the accent voices of
    :data:`SYNCOPATION_VOICES` that the motif has, or all its voices if it has
    none of them: steady time-keepers such as eighth-note hats would
    otherwise fill every rest and hide the syncopation).  For each onset, if the silent steps before
    the next onset (the bar repeats cyclically) include a step of higher
    metrical weight (see :func:`metrical_weights`), the onset is syncopated
    by the difference between the heaviest such rest and its own weight.
    The index is the sum over onsets; 0 means no syncopation.  The resonance
    model never uses this number: it is a descriptive statistic for reports.

    Parameters
    ----------
    motif : Motif
        The bar.
    voices : sequence of str or None
        Voices whose onsets count; ``None`` for the default above.

    Returns
    -------
    float
        Sum of syncopation strengths (>= 0).

    Raises
    ------
    ParameterError
        If ``motif`` is not a Motif or a voice is not in it.

    Examples
    --------
    >>> m = generate_motif(rng=np.random.default_rng(0), syncopation=0.0)
    >>> syncopation_index(m)
    0.0
    """
    motif = _check_motif(motif)
    steps = motif.steps
    weights = metrical_weights(steps)
    if voices is None:
        voices = [v for v in SYNCOPATION_VOICES if v in motif.voices] or list(motif.voices)
    rows = [motif.voices.index(check_option("voices", v, motif.voices)) for v in voices]
    onsets = np.flatnonzero(np.any(motif.velocities[rows] > 0, axis=0))
    total = 0
    for i, p in enumerate(onsets):
        q = onsets[i + 1] if i + 1 < len(onsets) else onsets[0] + steps
        rests = np.arange(p + 1, q) % steps
        if len(rests):
            strongest = weights[rests].max()
            if strongest > weights[p]:
                total += strongest - weights[p]
    return float(total)
