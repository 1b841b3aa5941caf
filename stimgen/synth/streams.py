"""Streaming sources: layers synthesised section by section, with their state carried across borders.

Every source here renders ``n_samples`` of one layer in consecutive pieces:
``read(m)`` returns the next ``m`` samples (time on the last axis).  Each
sample is computed from its absolute index and from state drawn once, at
construction or at a fixed point of the layer's own timeline (a chord's
start, a noise block), never from where a section begins; so any split of
``n_samples`` into reads gives the same samples, bit for bit, as one read of
the whole (``tests/test_synth.py`` and ``tests/test_generate.py`` check it).
Memory does not grow with ``n_samples``.

The array functions of :mod:`stimgen.synth.tonal` (:func:`~stimgen.synth.tonal.drone`,
:func:`~stimgen.synth.tonal.pad`, ...) are these sources read in one piece,
except :func:`~stimgen.synth.tonal.noise`, which shapes a whole FFT; the
streaming noise (:class:`NoiseStream`) filters white noise instead.
"""

from __future__ import annotations

import copy
import functools

import numpy as np

from resonance.errors import ParameterError
from resonance.validation import check_int, check_option

from ..mastering._kernels import lfilter
from .modulation import raised_cosine
from .tonal import DRIFT_RATE_HZ, NOISE_KINDS, _phases, _tone_into, _wavetable

__all__ = [
    "PINK_FILTER",
    "BROWN_POLE",
    "Stream",
    "DroneStream",
    "PadStream",
    "IsochronicStream",
    "BinauralStream",
    "NoiseStream",
    "NotesStream",
    "SegmentStream",
    "edge_gain",
]

#: Pink-noise filter ``(b, a)``: three poles and three zeros that approximate
#: a -3.01 dB/octave slope within about 0.5 dB from 10 Hz to 20 kHz at
#: 44.1 kHz (J. O. Smith, *Spectral Audio Signal Processing*, "Example:
#: Synthesis of 1/F Noise (Pink Noise)"; literature values).
PINK_FILTER = (
    (0.049922035, -0.095993537, 0.050612699, -0.004408786),
    (1.0, -2.494956002, 2.017265875, -0.522189400),
)

#: Pole of the leaky integrator that makes brown noise (-6.02 dB/octave above
#: ``(1 - BROWN_POLE) * sr / (2 pi)``, 3.8 Hz at 48 kHz, flat below, so the
#: level cannot wander off).  Engineering choice.
BROWN_POLE = 0.9995

#: Samples between the coarse points of a drone's drift (interpolated linearly).
_DRIFT_HOP = 64

#: Samples per chunk of the oscillators (keeps temporaries in the CPU cache).
_CHUNK = 1 << 15


def edge_gain(start: int, stop: int, *, n_samples: int, n_fade: int):
    """Raised-cosine fade-in/out gains of samples ``[start, stop)`` of an ``n_samples`` signal.

    The gains of :func:`stimgen.synth.fade_edges` with fades of ``n_fade``
    samples (at most ``n_samples // 2``), computed from each sample's index.

    Returns
    -------
    numpy.ndarray of float64, shape (stop - start,), or None
        None when no sample of the range lies in a fade (gain 1 throughout).
    """
    n_fade = min(int(n_fade), n_samples // 2)
    if n_fade < 1 or (start >= n_fade and stop <= n_samples - n_fade):
        return None
    k = np.arange(start, stop)
    gain = np.ones(stop - start)
    head = k < n_fade
    if np.any(head):
        gain[head] = raised_cosine(k[head] / n_fade)
    tail = k >= n_samples - n_fade
    if np.any(tail):
        gain[tail] *= raised_cosine((n_samples - 1 - k[tail]) / n_fade)
    return gain


class Stream:
    """Base of the sources: ``n_samples`` in total, read in order with :meth:`read`."""

    n_channels = 1

    def __init__(self, n_samples: int):
        self.n_samples = int(n_samples)
        self.position = 0

    def read(self, m: int) -> np.ndarray:
        """The next ``m`` samples (fewer at the end), float64, shape (m,) or (2, m)."""
        a = self.position
        b = min(self.n_samples, a + max(0, int(m)))
        self.position = b
        return self._render(a, b)

    def seek(self, position: int) -> None:
        """Skip forward to sample ``position`` (the next :meth:`read` starts there).

        Sources whose samples follow from their index alone give the very
        samples of a sequential read; a source with running state (the
        noise's generator and filter) restarts that state, so its samples
        after a seek are of the same kind, not the same values.  Used by the
        mastering's loudness probe (:func:`stimgen.mastering.probe_windows`).
        """
        position = int(position)
        if position < self.position:
            raise ParameterError(f"seek to sample {position}: streams only move forward (at {self.position})")
        self.position = min(position, self.n_samples)

    def _render(self, a: int, b: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class _DroneCore:
    """The raw drone (no edge fades) of :func:`stimgen.synth.tonal.drone`, samples from any index.

    The random draws are made at construction, in the order of the array
    function: drift rates, drift phases, then each tone's harmonic phases.
    The wavetables are built on first use.
    """

    def __init__(self, freqs, *, sr, n_harmonics, rolloff, drift_rate_hz, drift_depth, rng):
        self.freqs = [float(f) for f in freqs]
        self.sr = int(sr)
        n_tones = len(self.freqs)
        if rng is None:
            self.rates = drift_rate_hz * (1.0 + 0.618 * (np.arange(n_tones) % 3)) / (1.0 + 0.618)
            self.drift_phases = np.arange(n_tones) * 2.399963  # golden angle, radians
        else:
            self.rates = drift_rate_hz * rng.uniform(0.5, 1.5, n_tones)
            self.drift_phases = rng.uniform(0.0, 2 * np.pi, n_tones)
        self.depth = float(drift_depth)
        self.n_harmonics = n_harmonics
        self.rolloff = rolloff
        self.phases = [_phases(n_harmonics, rng) for _ in self.freqs]
        self._tables = None

    def tables(self):
        if self._tables is None:
            self._tables = [_wavetable(self.n_harmonics, self.rolloff, f, self.sr, ph)
                            for f, ph in zip(self.freqs, self.phases)]
        return self._tables

    def render(self, a: int, b: int) -> np.ndarray:
        """Samples ``[a, b)`` of the raw drone (sum of drifting tones / number of tones)."""
        sr, hop = self.sr, _DRIFT_HOP
        y = np.zeros(b - a)
        if b <= a:
            return y
        tables = self.tables()
        tone = np.empty(min(b - a, _CHUNK))
        ramp = np.arange(hop) / hop
        for c0 in range(a, b, _CHUNK):
            c1 = min(b, c0 + _CHUNK)
            j0, j1 = c0 // hop, (c1 - 1) // hop + 1
            t_coarse = np.arange(j0 * hop, j1 * hop + 1, hop) / sr
            lo, hi = c0 - j0 * hop, c1 - j0 * hop
            for f, table, r, p in zip(self.freqs, tables, self.rates, self.drift_phases):
                part = _tone_into(tone[: c1 - c0], c0, table, f / sr)
                g = 1.0 - self.depth * (0.5 - 0.5 * np.cos(2 * np.pi * r * t_coarse + p))
                # Linear interpolation between the coarse points: sample j * hop + i gets
                # g[j] + (g[j + 1] - g[j]) * i / hop (from its index alone, whatever the chunk).
                fine = (g[:-1, np.newaxis] + np.diff(g)[:, np.newaxis] * ramp).ravel()
                part *= fine[lo:hi]
                y[c0 - a:c1 - a] += part
        return y / len(self.freqs)


class DroneStream(Stream):
    """:func:`stimgen.synth.tonal.drone` as a stream (arguments already validated)."""

    def __init__(self, freqs, *, sr, n_samples, n_harmonics=6, rolloff=0.7, drift_rate_hz=DRIFT_RATE_HZ,
                 drift_depth=0.3, rng=None, fade_s=0.02):
        super().__init__(n_samples)
        self.core = _DroneCore(freqs, sr=sr, n_harmonics=n_harmonics, rolloff=rolloff,
                               drift_rate_hz=drift_rate_hz, drift_depth=drift_depth, rng=rng)
        self.n_fade = int(round(fade_s * sr))

    def _render(self, a, b):
        y = self.core.render(a, b)
        g = edge_gain(a, b, n_samples=self.n_samples, n_fade=self.n_fade)
        return y if g is None else y * g


class PadStream(Stream):
    """:func:`stimgen.synth.tonal.pad` as a stream: chords joined by equal-power crossfades.

    Each chord's random draws are made at construction, chord by chord, as
    the array function makes them; a chord's wavetables exist only while it
    sounds.  ``n_samples`` may be shorter than the progression (the rest is
    never rendered) or longer (silence after it).
    """

    def __init__(self, chords, *, sr, chord_s, crossfade_s, n_samples, n_harmonics=6, rolloff=0.7,
                 drift_depth=0.3, rng=None, fade_s=0.02):
        super().__init__(n_samples)
        sr = int(sr)
        n_total = int(round(len(chords) * chord_s * sr))
        self.n_total = n_total  # samples past it (rounding only) are silent
        n_fade = int(round(crossfade_s * sr))
        half = n_fade // 2
        self.n_xfade = n_fade
        u = (np.arange(n_fade) + 0.5) / max(n_fade, 1)
        self.fade_in, self.fade_out = np.sin(0.5 * np.pi * u), np.cos(0.5 * np.pi * u)
        self.chords = []
        last = len(chords) - 1
        for i, chord in enumerate(chords):
            start = max(int(round(i * chord_s * sr)) - half, 0)
            stop = min(int(round((i + 1) * chord_s * sr)) - half + n_fade, n_total) if i < last else n_total
            core = _DroneCore(chord, sr=sr, n_harmonics=n_harmonics, rolloff=rolloff, drift_rate_hz=DRIFT_RATE_HZ,
                              drift_depth=drift_depth, rng=rng)
            self.chords.append((start, stop, i > 0 and n_fade > 0, i < last and n_fade > 0, core))
        self.n_fade = int(round(fade_s * sr))
        self._first = 0  # chords before this one have ended

    def _render(self, a, b):
        out = np.zeros(b - a)
        n_x = self.n_xfade
        for index in range(self._first, len(self.chords)):
            start, stop, xin, xout, core = self.chords[index]
            if start >= b:
                break
            if stop <= a:
                continue
            lo, hi = max(a, start), min(b, stop)
            seg = core.render(lo - start, hi - start)
            if xin and lo - start < n_x:
                k = np.arange(lo - start, min(hi - start, n_x))
                seg[: k.size] *= self.fade_in[k]
            if xout and hi > stop - n_x:
                k = np.arange(max(lo, stop - n_x), hi)
                seg[seg.size - k.size:] *= self.fade_out[k - (stop - n_x)]
            out[lo - a:hi - a] += seg
            if stop <= b:  # the chord has ended: free its wavetables
                core._tables = None
        while self._first < len(self.chords) and self.chords[self._first][1] <= b:
            self._first += 1
        g = edge_gain(a, b, n_samples=self.n_total, n_fade=self.n_fade)
        return out if g is None else out * g


class IsochronicStream(Stream):
    """:func:`stimgen.synth.tonal.isochronic` as a stream (arguments already validated)."""

    def __init__(self, freq_hz, *, sr, n_samples, rate_hz, duty, ramp_s):
        super().__init__(n_samples)
        self.freq_hz, self.sr, self.rate_hz, self.duty, self.ramp_s = freq_hz, int(sr), rate_hz, duty, ramp_s
        self.carrier = _Sine(freq_hz, self.sr)

    def _render(self, a, b):
        """The gate of the array function (its raised cosine evaluated on the ramps only: the same
        values, 0 and 1 being exact elsewhere) times the carrier by angle addition (:class:`_Sine`)."""
        k = np.arange(a, b)
        sr, rate_hz, ramp_s = self.sr, self.rate_hz, self.ramp_s
        on_s = self.duty / rate_hz
        cycles = k * (rate_hz / sr)
        t_in = (cycles - np.floor(cycles)) / rate_hz
        if ramp_s > 0:
            gate = np.minimum(t_in / ramp_s, (on_s - t_in) / ramp_s)
            np.clip(gate, 0.0, 1.0, out=gate)
            ramp = (gate > 0.0) & (gate < 1.0)
            gate[ramp] = raised_cosine(gate[ramp])
        else:
            gate = (t_in < on_s).astype(np.float64)
        y = self.carrier.into(np.empty(b - a), a, b) if b > a else np.zeros(0)
        y *= gate
        return y


#: Grid (samples) of the sine oscillators: at each multiple of it the phase is
#: computed from the absolute index, inside it by angle addition with tables.
_SINE_GRID = 8192


class _Sine:
    """``sin(2 pi (freq / sr) k)`` for absolute indices k, by angle addition on a fixed grid.

    At grid points ``k0 = g * _SINE_GRID`` the phase comes from the index
    (as ``np.sin(2 pi (freq / sr) k)`` would); inside a grid cell
    ``sin(p0 + w j) = sin(p0) cos(w j) + cos(p0) sin(w j)`` with tables of
    ``cos(w j)`` and ``sin(w j)``: about 10x cheaper than ``np.sin`` per
    sample, equal to it within 1e-10 (rounding of the phase), and the same for any
    split of the reads.
    """

    def __init__(self, freq_hz, sr):
        self.step = freq_hz / sr
        j = np.arange(_SINE_GRID)
        self.cos, self.sin = np.cos(2 * np.pi * self.step * j), np.sin(2 * np.pi * self.step * j)

    def into(self, out, a, b):
        # Whole grid cells at once as rows of a (cells, _SINE_GRID) view (the same products and sum per
        # sample as cell by cell, in a few calls); a partial cell at either end on its own.
        g0, g1 = -(-a // _SINE_GRID), b // _SINE_GRID  # the whole cells are [g0, g1)
        if g1 <= g0 or not out.flags.c_contiguous:  # (rows must be a view of out)
            self._cells(out, a, b)
            return out
        lo, hi = g0 * _SINE_GRID, g1 * _SINE_GRID
        if a < lo:
            self._cells(out[:lo - a], a, lo)
        phase = 2 * np.pi * self.step * (np.arange(g0, g1) * _SINE_GRID)
        rows = out[lo - a:hi - a].reshape(g1 - g0, _SINE_GRID)
        np.multiply(self.cos, np.sin(phase)[:, np.newaxis], out=rows)
        rows += np.cos(phase)[:, np.newaxis] * self.sin
        if hi < b:
            self._cells(out[hi - a:], hi, b)
        return out

    def _cells(self, out, a, b):
        for g in range(a // _SINE_GRID, (b - 1) // _SINE_GRID + 1):
            k0 = g * _SINE_GRID
            lo, hi = max(a, k0), min(b, k0 + _SINE_GRID)
            phase = 2 * np.pi * self.step * k0
            seg = out[lo - a:hi - a]
            np.multiply(self.cos[lo - k0:hi - k0], np.sin(phase), out=seg)
            seg += np.cos(phase) * self.sin[lo - k0:hi - k0]


class BinauralStream(Stream):
    """:func:`stimgen.synth.tonal.binaural` as a stream (arguments already validated)."""

    n_channels = 2

    def __init__(self, carrier_hz, *, beat_hz, sr, n_samples, fade_s=0.02):
        super().__init__(n_samples)
        self.sr = int(sr)
        self.left_hz, self.right_hz = carrier_hz - beat_hz / 2, carrier_hz + beat_hz / 2
        self.ears = (_Sine(self.left_hz, self.sr), _Sine(self.right_hz, self.sr))
        self.n_fade = int(round(fade_s * sr))

    def _render(self, a, b):
        y = np.empty((2, b - a))
        if b > a:
            for row, ear in zip(y, self.ears):
                ear.into(row, a, b)
        g = edge_gain(a, b, n_samples=self.n_samples, n_fade=self.n_fade)
        if g is not None:
            y *= g
        return y


@functools.lru_cache(maxsize=8)
def _noise_norm(kind: str) -> float:
    """1 / RMS of white unit noise through the colour's filter (from its impulse response)."""
    if kind == "white":
        return 1.0
    b, a = _noise_filter(kind)
    # 2 ** 16 samples: the energy left after them is below 1e-27 of the total for both colours, too small
    # to change the double sum (the same value as from 2 ** 18, whose tail was slow denormal arithmetic).
    impulse = np.zeros(1 << 16)
    impulse[0] = 1.0
    h = lfilter(b, a, impulse)
    return float(1.0 / np.sqrt(np.sum(h * h)))


def _noise_filter(kind: str):
    if kind == "pink":
        return np.asarray(PINK_FILTER[0]), np.asarray(PINK_FILTER[1])
    return np.array([1.0]), np.array([1.0, -BROWN_POLE])


class NoiseStream(Stream):
    """White, pink or brown noise of unit RMS (in expectation), generated as it is read.

    White noise is Gaussian, drawn from ``rng`` in order (so the split of the
    reads does not matter).  Pink and brown noise filter white noise of unit
    variance (uniform draws on [-sqrt(3), sqrt(3)]; an engineering choice:
    about 3x cheaper than Gaussian draws) by :data:`PINK_FILTER` or a leaky
    integrator (:data:`BROWN_POLE`), with the filter state carried from read
    to read, scaled by the inverse RMS of the filter's impulse response.
    The colour comes from the filter alone: the spectrum and the level are
    those of filtered Gaussian noise, and within any band a listener
    (or the model's front end) resolves, 100 Hz wide or more, the signal is a
    sum of hundreds of draws, hence Gaussian; only the broadband sample
    values of pink noise, whose first filter tap carries a third of the
    energy, are slightly lighter-tailed (excess kurtosis -0.16; brown
    -0.0006; ``tests/test_synth.py`` measures both).  The generator ``rng``
    must belong to this stream alone.

    Parameters
    ----------
    kind : {"white", "pink", "brown"}
    sr : int
        Sample rate in Hz (the pink filter's slope holds from about 10 Hz).
    n_samples : int
        Length.
    rng : numpy.random.Generator
        Source of randomness, used by this stream only.

    Examples
    --------
    >>> s = NoiseStream("pink", sr=48000, n_samples=96000, rng=np.random.default_rng(0))
    >>> y = np.concatenate([s.read(1000), s.read(95000)])
    >>> t = NoiseStream("pink", sr=48000, n_samples=96000, rng=np.random.default_rng(0)).read(96000)
    >>> bool(np.array_equal(y, t))
    True
    """

    def __init__(self, kind, *, sr, n_samples, rng):
        super().__init__(n_samples)
        self.kind = check_option("kind", kind, NOISE_KINDS)
        self.sr = check_int("sr", sr, low=1)
        if not isinstance(rng, np.random.Generator):
            raise ParameterError(f"rng={rng!r} must be a numpy.random.Generator")
        self.rng = rng
        if self.kind != "white":
            b, self.a = _noise_filter(self.kind)
            # Unit RMS: the filter's gain and the draws' scale (sqrt(12): the uniform [-1/2, 1/2) has
            # variance 1/12) folded into its numerator, so filtering is the only pass over the samples.
            self.b = b * (_noise_norm(self.kind) * 12.0 ** 0.5)
            self.zi = np.zeros(max(len(self.a), len(self.b)) - 1)

    def seek(self, position: int) -> None:
        """Skip forward; the filter restarts from rest (the generator draws on, so the noise is new)."""
        super().seek(position)
        if self.kind != "white":
            self.zi = np.zeros_like(self.zi)

    def _render(self, a, b):
        if self.kind == "white":
            return self.rng.standard_normal(b - a)
        x = self.rng.random(b - a)
        x -= 0.5  # exact: uniform on [-1/2, 1/2), scaled by the filter's numerator
        x, self.zi = lfilter(self.b, self.a, x, zi=self.zi)
        return x


class NotesStream(Stream):
    """One-shot samples mixed at given notes, in phrases, rendered section by section.

    Parameters
    ----------
    phrases : list of (int, int, list)
        ``(start, length, notes)``: a phrase starts at sample ``start`` of the
        layer and is cut at ``length`` samples; ``notes`` is
        :func:`~stimgen.synth.sequencer.sequence_notes`'s list (starts
        relative to the phrase).  Phrases are in order of ``start``.
    n_samples : int
        Layer length.

    Notes
    -----
    Each phrase is mixed into a zero buffer note by note in the given
    order, and the phrases are added in order, exactly as rendering every
    phrase with :func:`~stimgen.synth.render_sequence` and adding them would
    do; so the samples do not depend on the sections.
    """

    def __init__(self, phrases, *, n_samples):
        super().__init__(n_samples)
        self.phrases = []
        for start, length, notes in phrases:
            length = min(int(length), self.n_samples - int(start))
            if length <= 0:
                continue
            kept = []
            for sample, starts, gains in notes:
                keep = starts < length
                kept_starts, kept_gains = starts[keep], gains[keep]
                if not kept_starts.size:
                    continue
                # Running max of the ends and suffix min of the starts: both monotone, so a section finds
                # its notes by bisection even if jitter swapped two neighbours.
                reach = np.maximum.accumulate(kept_starts + len(sample))
                later = np.minimum.accumulate(kept_starts[::-1])[::-1]
                kept.append((sample, kept_starts, kept_gains, reach, later))
            self.phrases.append((int(start), length, kept))
        self._first = 0

    def __deepcopy__(self, memo):
        """A copy with its own read position that shares the phrases (never changed once built).

        :class:`stimgen.session.Session` renders each pass from a copy of a
        fresh renderer; copying every note's arrays made that copy 3x
        slower (14 ms against 5 ms for the 45-minute ``deep_anneal``).
        """
        clone = copy.copy(self)
        memo[id(self)] = clone
        return clone

    def _render(self, a, b):
        out = np.zeros(b - a)
        for index in range(self._first, len(self.phrases)):
            p0, length, notes = self.phrases[index]
            if p0 >= b:
                break
            if p0 + length <= a:
                continue
            lo, hi = max(a, p0) - p0, min(b, p0 + length) - p0  # phrase-local range
            buf = np.zeros(hi - lo)
            for sample, starts, gains, reach, later in notes:
                # Notes before `first` have all ended by lo; notes from `last` on all start at or after hi.
                first = int(np.searchsorted(reach, lo, side="right"))
                last = int(np.searchsorted(later, hi, side="left"))
                for s, g in zip(starts[first:last].tolist(), gains[first:last].tolist()):
                    e = min(s + len(sample), length)
                    x0, x1 = max(s, lo), min(e, hi)
                    if x1 > x0:
                        buf[x0 - lo:x1 - lo] += g * sample[x0 - s:x1 - s]
            out[p0 + lo - a:p0 + hi - a] += buf
        while self._first < len(self.phrases) and sum(self.phrases[self._first][:2]) <= b:
            self._first += 1
        return out


class SegmentStream(Stream):
    """Streams made one after another and joined by equal-power crossfades.

    Parameters
    ----------
    bounds : list of (int, int)
        ``(start, stop)`` of each segment in the layer, in order; consecutive
        segments overlap by ``n_xfade`` samples.
    make : callable
        ``make(k, n)`` returns the stream of segment ``k`` (``n`` samples).
        It is called once per segment, in order of ``k``, when the reading
        first reaches the segment's start: so random draws in ``make`` happen
        in segment order whatever the sections.
    n_samples, n_channels : int
        Layer length and channels.
    n_xfade : int
        Crossfade length in samples.
    """

    def __init__(self, bounds, make, *, n_samples, n_channels, n_xfade):
        super().__init__(n_samples)
        self.bounds = bounds
        self.make = make
        self.n_channels = n_channels
        self.n_xfade = int(n_xfade)
        u = (np.arange(self.n_xfade) + 0.5) / max(self.n_xfade, 1)
        self.fade_in, self.fade_out = np.sin(np.pi * u / 2), np.cos(np.pi * u / 2)
        self._live = {}  # k -> stream
        self._next = 0  # next segment to make

    def seek(self, position: int) -> None:
        """Skip forward: the segments before ``position`` are made in order (their draws) but not rendered."""
        super().seek(position)
        a = self.position
        last = len(self.bounds) - 1
        while self._next <= last and self.bounds[self._next][0] < a:
            k = self._next
            self._live[k] = self.make(k, self.bounds[k][1] - self.bounds[k][0])
            self._next += 1
        for k in sorted(self._live):
            start, stop = self.bounds[k]
            if stop <= a:
                del self._live[k]
            elif a - start > self._live[k].position:
                self._live[k].seek(a - start)

    def _render(self, a, b):
        shape = (b - a,) if self.n_channels == 1 else (self.n_channels, b - a)
        out = None
        last = len(self.bounds) - 1
        while self._next <= last and self.bounds[self._next][0] < b:
            k = self._next
            self._live[k] = self.make(k, self.bounds[k][1] - self.bounds[k][0])
            self._next += 1
        for k in sorted(self._live):
            start, stop = self.bounds[k]
            lo, hi = max(a, start), min(b, stop)
            if hi <= lo:
                continue
            stream = self._live[k]
            y = stream.read(hi - lo)
            if out is None:
                out = np.zeros(y.shape[:-1] + (b - a,))
            n_x = self.n_xfade
            if k > 0 and lo - start < n_x:
                idx = np.arange(lo - start, min(hi - start, n_x))
                y[..., : idx.size] *= self.fade_in[idx]
            if k < last and hi > stop - n_x:
                idx = np.arange(max(lo, stop - n_x), hi)
                y[..., y.shape[-1] - idx.size:] *= self.fade_out[idx - (stop - n_x)]
            out[..., lo - a:hi - a] += y
            if stop <= b:
                del self._live[k]
        if out is None:
            out = np.zeros(shape)
        return out
