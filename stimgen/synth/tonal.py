"""Tonal layers and noises: chords, harmonic tones, drones, pads, isochronic and binaural tones.

Tuning.  ``"just"`` uses the 5-limit just-intonation ratios of
:data:`JUST_RATIOS` (one per semitone class; the usual table of, e.g.,
Partch's *Genesis of a Music* and most tuning references: 1, 16/15, 9/8,
6/5, 5/4, 4/3, 45/32, 3/2, 8/5, 5/3, 9/5, 15/8), ``"equal"`` uses
12-tone equal temperament, ``2 ** (s / 12)``.  Just intervals have simpler
frequency ratios and so less roughness (beating) between partials.

Binaural beats: two tones a few hertz apart, one per ear, are heard as a
beat at the difference frequency although no acoustic beat exists (Oster,
G. 1973, "Auditory beats in the brain", *Scientific American* 229(4):94-102).
Isochronic tones: a single tone switched on and off at a steady rate (here
with raised-cosine edges, so the pulses do not click).

Noise colours are made by the FFT 1/f method: white Gaussian spectrum shaped
by ``f ** (-alpha / 2)`` in amplitude, i.e. power ``~ 1 / f ** alpha``;
``alpha = 1`` (pink) falls 3.01 dB per octave, ``alpha = 2`` (brown) 6.02 dB.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from ._checks import ParameterError
from ._checks import check_float, check_int, check_option

from .modulation import fade_edges, raised_cosine
from .voices import _check_rng

__all__ = [
    "DRIFT_DEPTH",
    "DRIFT_RATE_HZ",
    "EDGE_FADE_S",
    "JUST_RATIOS",
    "NOISE_EXPONENTS",
    "NOISE_KINDS",
    "TUNINGS",
    "WAVETABLE_SIZE",
    "binaural",
    "chord_frequencies",
    "drone",
    "harmonic_tone",
    "isochronic",
    "noise",
    "pad",
]

#: 5-limit just-intonation ratio of each semitone class 0..12 above the root.
JUST_RATIOS = (
    Fraction(1),
    Fraction(16, 15),
    Fraction(9, 8),
    Fraction(6, 5),
    Fraction(5, 4),
    Fraction(4, 3),
    Fraction(45, 32),
    Fraction(3, 2),
    Fraction(8, 5),
    Fraction(5, 3),
    Fraction(9, 5),
    Fraction(15, 8),
    Fraction(2),
)
#: Tuning systems understood by :func:`chord_frequencies`.
TUNINGS = ("just", "equal")
#: Noise colours understood by :func:`noise`.
NOISE_KINDS = ("white", "pink", "brown")
#: Power-spectrum exponent alpha (power ~ 1 / f ** alpha) of each noise colour.
NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
#: Samples in one period of the wavetable used by :func:`harmonic_tone`.  With
#: linear interpolation the error of harmonic k is about (2 pi k / N)^2 / 8,
#: below -100 dB for k <= 16.
WAVETABLE_SIZE = 1 << 14
#: Raised-cosine fade at the start and end of every tonal layer, seconds.
EDGE_FADE_S = 0.02
#: Centre rate (Hz) of a drone's slow amplitude drift: one swell per 20 s.
DRIFT_RATE_HZ = 0.05
#: Default depth of the drift: the gain of each tone wanders between 0.7 and 1.
DRIFT_DEPTH = 0.3


#: Samples per chunk of the oscillators (keeps temporaries in the CPU cache).
_CHUNK = 1 << 15


def _n_samples(sr, duration_s):
    return int(round(duration_s * sr))


def _check_hz(name, value, sr):
    return check_float(name, value, low=0, high=sr / 2, low_inclusive=False, high_inclusive=False)


def chord_frequencies(root_hz, *, intervals=(0, 4, 7), tuning="just"):
    """Frequencies of a chord above ``root_hz``.

    Parameters
    ----------
    root_hz : float
        Root frequency in Hz (> 0).
    intervals : sequence of int, float or Fraction
        Integers are semitones above the root (any integer; octaves are
        handled as powers of 2, e.g. 16 = an octave plus a major third);
        floats and :class:`fractions.Fraction` are frequency ratios (> 0)
        used as given, whatever the tuning.
    tuning : {"just", "equal"}
        How semitones map to ratios: 5-limit just intonation
        (:data:`JUST_RATIOS`) or 12-tone equal temperament.

    Returns
    -------
    numpy.ndarray of float64, shape (len(intervals),)

    Raises
    ------
    ParameterError
        If ``root_hz`` is not positive, ``tuning`` is unknown, or an interval
        is neither an integer nor a positive ratio.

    Examples
    --------
    >>> chord_frequencies(200.0).tolist()
    [200.0, 250.0, 300.0]
    >>> chord_frequencies(200.0, intervals=(0, 12), tuning="equal").tolist()
    [200.0, 400.0]
    """
    root_hz = check_float("root_hz", root_hz, low=0, low_inclusive=False)
    tuning = check_option("tuning", tuning, TUNINGS)
    if isinstance(intervals, (str, bytes)) or not hasattr(intervals, "__len__") or len(intervals) == 0:
        raise ParameterError(f"intervals={intervals!r} must be a non-empty sequence of semitones or ratios")
    ratios = []
    for i, iv in enumerate(intervals):
        if isinstance(iv, bool):
            raise ParameterError(f"intervals[{i}]={iv!r} must be an integer (semitones) or a ratio > 0")
        if isinstance(iv, numbers.Integral):
            s = int(iv)
            if tuning == "just":
                octave, cls = divmod(s, 12)
                ratios.append(float(JUST_RATIOS[cls] * Fraction(2) ** octave))
            else:
                ratios.append(2.0 ** (s / 12.0))
        else:
            ratios.append(check_float(f"intervals[{i}]", iv, low=0, low_inclusive=False))
    return root_hz * np.asarray(ratios)


def _wavetable(n_harmonics, rolloff, f0_hz, sr, phases):
    """One period of the band-limited harmonic waveform, amplitudes summing to 1."""
    k = np.arange(1, n_harmonics + 1)
    k = k[k * f0_hz < sr / 2]  # drop partials at or above Nyquist: no aliasing
    amps = rolloff ** (k - 1.0)
    amps = amps / amps.sum()
    # sum_k a_k sin(2 pi k j / N + phi_k) by one inverse real FFT (14x cheaper than the sines; equal to
    # them within 1e-15): bin k holds N a_k exp(i phi_k) / (2 i).
    n = WAVETABLE_SIZE
    spectrum = np.zeros(n // 2 + 1, dtype=np.complex128)
    spectrum[k] = (-0.5j * n) * amps * np.exp(1j * phases[k - 1])
    table = np.empty(n + 1)
    table[:n] = np.fft.irfft(spectrum, n=n)
    table[n] = table[0]  # one extra point closes the period
    return table


def _tone_into(out, start, table, step):
    """Write ``table`` read at phase ``(start + k) * step`` (cycles) into ``out[k]``, linear interpolation."""
    pos = (np.arange(start, start + out.size, dtype=np.float64)) * step
    pos -= np.floor(pos)
    pos *= WAVETABLE_SIZE
    idx = pos.astype(np.intp)
    pos -= idx  # fractional part
    lo = table[idx]
    np.subtract(table[idx + 1], lo, out=out)
    out *= pos
    out += lo
    return out


def _tone(f0_hz, n, sr, n_harmonics, rolloff, phases):
    """Harmonic tone of n samples by linear-interpolated wavetable lookup (in cache-sized chunks)."""
    table = _wavetable(n_harmonics, rolloff, f0_hz, sr, phases)
    out = np.empty(n)
    for a in range(0, n, _CHUNK):
        _tone_into(out[a:a + _CHUNK], a, table, f0_hz / sr)
    return out


def _phases(n_harmonics, rng):
    if rng is None:
        return np.zeros(n_harmonics)
    _check_rng(rng)
    return rng.uniform(0.0, 2 * np.pi, n_harmonics)


def harmonic_tone(f0_hz, *, sr, duration_s, n_harmonics=8, rolloff=0.8, rng=None):
    """A steady tone with harmonics ``k f0`` of amplitude ``rolloff ** (k - 1)``.

    Harmonics at or above the Nyquist frequency are left out.  Amplitudes are
    scaled to sum to 1, so the peak never exceeds 1.  Phases are 0 (sines)
    or, if ``rng`` is given, uniform random.  The tone is rendered from a
    one-period wavetable (:data:`WAVETABLE_SIZE`), which keeps it cheap for
    any number of harmonics, and faded in and out over :data:`EDGE_FADE_S`.

    Parameters
    ----------
    f0_hz : float
        Fundamental in Hz (> 0, below Nyquist).
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length in seconds.
    n_harmonics : int
        Number of harmonics including the fundamental (1 to 64).
    rolloff : float
        Amplitude ratio between successive harmonics, in (0, 1].
    rng : numpy.random.Generator or None
        Random phases if given.

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)

    Raises
    ------
    ParameterError
        If an argument is out of range.

    Examples
    --------
    >>> y = harmonic_tone(220.0, sr=48000, duration_s=1.0)
    >>> y.shape, bool(np.abs(y).max() <= 1.0)
    ((48000,), True)
    """
    sr = check_int("sr", sr, low=1)
    f0_hz = _check_hz("f0_hz", f0_hz, sr)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    n_harmonics = check_int("n_harmonics", n_harmonics, low=1, high=64)
    rolloff = check_float("rolloff", rolloff, low=0, high=1, low_inclusive=False)
    phases = _phases(n_harmonics, rng)
    y = _tone(f0_hz, _n_samples(sr, duration_s), sr, n_harmonics, rolloff, phases)
    return fade_edges(y, sr=sr, fade_in_s=EDGE_FADE_S)


def drone(freqs_hz, *, sr, duration_s, n_harmonics=6, rolloff=0.7, drift_rate_hz=DRIFT_RATE_HZ,
          drift_depth=DRIFT_DEPTH, rng=None):
    """Sum of harmonic tones whose levels drift slowly and independently.

    Each tone ``i`` is multiplied by ``1 - drift_depth * (1 - cos(2 pi r_i t + p_i)) / 2``
    so the texture keeps moving without a rhythm of its own.  The rates
    ``r_i`` are spread around ``drift_rate_hz`` (uniform in [0.5, 1.5] times
    it, random phases, if ``rng`` is given; otherwise a fixed golden-ratio
    spread).  The sum is divided by the number of tones (peak <= 1).

    Parameters
    ----------
    freqs_hz : sequence of float
        Fundamentals in Hz, e.g. from :func:`chord_frequencies`.
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length in seconds.
    n_harmonics, rolloff : int, float
        As in :func:`harmonic_tone`.
    drift_rate_hz : float
        Centre rate of the drift in Hz (> 0, at most 1).
    drift_depth : float
        Drift depth in [0, 1].
    rng : numpy.random.Generator or None
        Random harmonic phases, drift rates and phases if given.

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)

    Raises
    ------
    ParameterError
        If an argument is out of range or ``freqs_hz`` is empty.

    Examples
    --------
    >>> y = drone(chord_frequencies(110.0), sr=48000, duration_s=2.0, rng=np.random.default_rng(0))
    >>> y.shape
    (96000,)
    """
    sr = check_int("sr", sr, low=1)
    freqs = np.atleast_1d(np.asarray(freqs_hz, dtype=np.float64))
    if freqs.ndim != 1 or freqs.size == 0:
        raise ParameterError(f"freqs_hz={freqs_hz!r} must be a non-empty sequence of frequencies")
    freqs = [_check_hz(f"freqs_hz[{i}]", f, sr) for i, f in enumerate(freqs)]
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    n_harmonics = check_int("n_harmonics", n_harmonics, low=1, high=64)
    rolloff = check_float("rolloff", rolloff, low=0, high=1, low_inclusive=False)
    drift_rate_hz = check_float("drift_rate_hz", drift_rate_hz, low=0, high=1, low_inclusive=False)
    drift_depth = check_float("drift_depth", drift_depth, low=0, high=1)
    if rng is not None:
        _check_rng(rng)
    y = _drone_raw(freqs, _n_samples(sr, duration_s), sr, n_harmonics, rolloff, drift_rate_hz, drift_depth, rng)
    return fade_edges(y, sr=sr, fade_in_s=EDGE_FADE_S)


def _drone_raw(freqs, n, sr, n_harmonics, rolloff, drift_rate_hz, drift_depth, rng):
    """Drone without edge fades (arguments already validated): the streaming drone read in one piece."""
    from .streams import _DroneCore

    core = _DroneCore(freqs, sr=sr, n_harmonics=n_harmonics, rolloff=rolloff, drift_rate_hz=drift_rate_hz,
                      drift_depth=drift_depth, rng=rng)
    return core.render(0, n)


def pad(chords, *, sr, chord_s, crossfade_s=1.0, n_harmonics=6, rolloff=0.7, drift_depth=DRIFT_DEPTH,
        rng=None):
    """A chord progression of drones joined by equal-power crossfades.

    Chord ``i`` occupies ``[i chord_s, (i + 1) chord_s)``; neighbouring chords
    overlap by ``crossfade_s`` centred on the boundary, the outgoing one
    weighted ``cos(pi u / 2)`` and the incoming one ``sin(pi u / 2)``, so the
    summed power stays constant.  Total length: ``len(chords) * chord_s``.

    Parameters
    ----------
    chords : sequence of sequence of float
        Each chord's frequencies in Hz.
    sr : int
        Sample rate in Hz.
    chord_s : float
        Duration of each chord in seconds.
    crossfade_s : float
        Crossfade length in seconds, in [0, chord_s].
    n_harmonics, rolloff, drift_depth, rng
        Passed to :func:`drone`.

    Returns
    -------
    numpy.ndarray of float64, shape (round(len(chords) * chord_s * sr),)

    Raises
    ------
    ParameterError
        If ``chords`` is empty or an argument is out of range.

    Examples
    --------
    >>> chords = [chord_frequencies(r) for r in (220.0, 220.0 * 4 / 3)]
    >>> pad(chords, sr=8000, chord_s=2.0).shape
    (32000,)
    """
    sr = check_int("sr", sr, low=1)
    if isinstance(chords, (str, bytes)) or not hasattr(chords, "__len__") or len(chords) == 0:
        raise ParameterError(f"chords={chords!r} must be a non-empty list of frequency lists")
    chord_s = check_float("chord_s", chord_s, low=0, low_inclusive=False)
    crossfade_s = check_float("crossfade_s", crossfade_s, low=0, high=chord_s)
    n_harmonics = check_int("n_harmonics", n_harmonics, low=1, high=64)
    rolloff = check_float("rolloff", rolloff, low=0, high=1, low_inclusive=False)
    drift_depth = check_float("drift_depth", drift_depth, low=0, high=1)
    if rng is not None:
        _check_rng(rng)
    checked = []
    for i, chord in enumerate(chords):
        freqs = np.atleast_1d(np.asarray(chord, dtype=np.float64))
        if freqs.ndim != 1 or freqs.size == 0:
            raise ParameterError(f"chords[{i}]={chord!r} must be a non-empty sequence of frequencies")
        checked.append([_check_hz(f"chords[{i}][{j}]", f, sr) for j, f in enumerate(freqs)])
    from .streams import PadStream

    n_total = _n_samples(sr, len(chords) * chord_s)
    stream = PadStream(checked, sr=sr, chord_s=chord_s, crossfade_s=crossfade_s, n_samples=n_total,
                       n_harmonics=n_harmonics, rolloff=rolloff, drift_depth=drift_depth, rng=rng, fade_s=EDGE_FADE_S)
    return stream.read(n_total)


def isochronic(freq_hz, *, sr, duration_s, rate_hz, duty=0.5, ramp_s=0.005):
    """A tone switched on and off ``rate_hz`` times per second.

    Within each period ``1 / rate_hz`` the tone is on for the first
    ``duty / rate_hz`` seconds, with raised-cosine ramps of ``ramp_s`` at both
    ends of each pulse (inside the on-time), and silent otherwise.

    Parameters
    ----------
    freq_hz : float
        Carrier frequency in Hz (> 0, below Nyquist).
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length in seconds.
    rate_hz : float
        Pulse rate in Hz (> 0).
    duty : float
        Fraction of each period that the pulse lasts, in (0, 1).
    ramp_s : float
        Edge length in seconds; both edges must fit in the pulse
        (``2 ramp_s <= duty / rate_hz``).

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)

    Raises
    ------
    ParameterError
        If an argument is out of range or the ramps do not fit in a pulse.

    Examples
    --------
    >>> y = isochronic(440.0, sr=48000, duration_s=1.0, rate_hz=10.0)
    >>> float(np.abs(y[2400:4800]).max())  # second half of the first period is silent
    0.0
    """
    sr = check_int("sr", sr, low=1)
    freq_hz = _check_hz("freq_hz", freq_hz, sr)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    rate_hz = _check_hz("rate_hz", rate_hz, sr)
    duty = check_float("duty", duty, low=0, high=1, low_inclusive=False, high_inclusive=False)
    ramp_s = check_float("ramp_s", ramp_s, low=0)
    on_s = duty / rate_hz
    if 2 * ramp_s > on_s:
        raise ParameterError(
            f"ramp_s={ramp_s:g} is too long: both ramps must fit in a pulse of duty / rate_hz = {on_s:g} s "
            f"(ramp_s <= {on_s / 2:g})"
        )
    n = _n_samples(sr, duration_s)
    k = np.arange(n)
    cycles = k * (rate_hz / sr)
    t_in = (cycles - np.floor(cycles)) / rate_hz  # time since the pulse began, seconds
    if ramp_s > 0:
        edge = np.minimum(t_in / ramp_s, (on_s - t_in) / ramp_s)
        gate = raised_cosine(edge)
    else:
        gate = (t_in < on_s).astype(np.float64)
    return gate * np.sin(2 * np.pi * (freq_hz / sr) * k)


def binaural(carrier_hz, *, beat_hz, sr, duration_s):
    """Binaural beat: left ear ``carrier - beat / 2``, right ear ``carrier + beat / 2`` (Oster 1973).

    Parameters
    ----------
    carrier_hz : float
        Centre frequency in Hz.
    beat_hz : float
        Difference between the ears in Hz (> 0).
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length in seconds.

    Returns
    -------
    numpy.ndarray of float64, shape (2, round(duration_s * sr))
        Row 0 left, row 1 right; peak 1, faded over :data:`EDGE_FADE_S`.

    Raises
    ------
    ParameterError
        If an argument is out of range or either ear's tone falls outside
        (0, Nyquist).

    Examples
    --------
    >>> binaural(200.0, beat_hz=6.0, sr=48000, duration_s=1.0).shape
    (2, 48000)
    """
    sr = check_int("sr", sr, low=1)
    carrier_hz = _check_hz("carrier_hz", carrier_hz, sr)
    beat_hz = check_float("beat_hz", beat_hz, low=0, low_inclusive=False)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    left_hz, right_hz = carrier_hz - beat_hz / 2, carrier_hz + beat_hz / 2
    if left_hz <= 0 or right_hz >= sr / 2:
        raise ParameterError(
            f"beat_hz={beat_hz:g} with carrier_hz={carrier_hz:g} gives ear tones {left_hz:g} and {right_hz:g} Hz; "
            f"both must lie in (0, {sr / 2:g})"
        )
    from .streams import BinauralStream

    n = _n_samples(sr, duration_s)
    return BinauralStream(carrier_hz, beat_hz=beat_hz, sr=sr, n_samples=n, fade_s=EDGE_FADE_S).read(n)


def noise(kind, *, sr, duration_s, rng):
    """White, pink (-3 dB/octave) or brown (-6 dB/octave) noise with unit RMS.

    Made by the FFT 1/f method: a white Gaussian spectrum is scaled by
    ``(f / f_1) ** (-alpha / 2)`` (``f_1`` the lowest non-zero bin,
    ``alpha`` from :data:`NOISE_EXPONENTS`), the DC bin is zeroed and the
    inverse FFT is cut to length and scaled to RMS 1.

    Parameters
    ----------
    kind : {"white", "pink", "brown"}
        Noise colour.
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length in seconds.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)
        Unit RMS, zero mean (peaks typically reach 3-5).

    Raises
    ------
    ParameterError
        If ``kind`` is unknown or an argument is out of range.

    Examples
    --------
    >>> y = noise("pink", sr=48000, duration_s=1.0, rng=np.random.default_rng(0))
    >>> round(float(np.sqrt(np.mean(y ** 2))), 6)
    1.0
    """
    kind = check_option("kind", kind, NOISE_KINDS)
    sr = check_int("sr", sr, low=1)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    _check_rng(rng)
    n = _n_samples(sr, duration_s)
    if n < 2:
        raise ParameterError(f"duration_s={duration_s:g} gives {n} sample(s) at sr={sr}; noise needs at least 2")
    # SciPy's compiled FFT without importing scipy.fft (0.3-0.5 s of CPU): the same bits.
    from resonance._scipy_compiled import irfft, next_fast_len

    n_fft = next_fast_len(n, real=True)
    n_bins = n_fft // 2 + 1
    spectrum = rng.standard_normal(n_bins) + 1j * rng.standard_normal(n_bins)
    alpha = NOISE_EXPONENTS[kind]
    scale = np.zeros(n_bins)
    scale[1:] = np.arange(1, n_bins, dtype=np.float64) ** (-alpha / 2)
    y = irfft(spectrum * scale, n_fft)[:n]
    y -= y.mean()
    return y / np.sqrt(np.mean(y**2))
