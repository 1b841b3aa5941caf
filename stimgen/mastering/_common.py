"""Constants and argument checks shared by the mastering modules (no signal processing)."""

from __future__ import annotations

import contextlib
import math

import numpy as np

from resonance import validation as _validation
from resonance.errors import ParameterError as _ResonanceParameterError

from ..errors import ParameterError

__all__ = [
    "BS1770_BLOCK_S",
    "MAX_TARGET_LUFS",
    "MIN_TARGET_LUFS",
    "MAX_CEILING_DBTP",
    "MIN_CEILING_DBTP",
    "LOUDNESS_TOLERANCE_LU",
    "MAX_LIMITING_DB",
    "TRUE_PEAK_OVERSAMPLE",
    "LIMITER_OVERSAMPLE",
]

#: Gating block of the integrated loudness, in seconds (ITU-R BS.1770-4,
#: section 2.8: 400 ms blocks overlapping by 75 %).  Shorter signals are refused.
BS1770_BLOCK_S = 0.4

#: Loudest allowed loudness target in LUFS.  Louder targets are refused for
#: hearing safety (EBU R128 programmes are normalised to -23 LUFS; -10 LUFS is
#: already far above any listening-test level).
MAX_TARGET_LUFS = -10.0

#: Quietest allowed loudness target in LUFS (quieter stimuli drown in the
#: noise floor of ordinary rooms and 16-bit files).
MIN_TARGET_LUFS = -40.0

#: Highest allowed true-peak ceiling in dBTP (digital full scale).
MAX_CEILING_DBTP = 0.0

#: Lowest allowed true-peak ceiling in dBTP.
MIN_CEILING_DBTP = -20.0

#: The mastered loudness lies within this many LU of the target whenever the
#: target is reachable, and never more than this above it (EBU R128 allows
#: +/-0.5 LU where exact normalisation is impractical; EBU Tech 3341 gives
#: +/-0.1 LU as the meter accuracy).
LOUDNESS_TOLERANCE_LU = 0.5

#: :func:`master` stops adjusting its gain once the loudness is this close to
#: the target, in LU.
_CONVERGED_LU = 0.05

#: Most gain adjustments :func:`master` makes (each one re-runs the limiter).
_MAX_ITERATIONS = 8

#: Deepest gain reduction, in dB, that :func:`master` asks of the limiter to
#: reach the loudness target.  Heavier limiting audibly squashes transients
#: and pumps; peakier material stays below the target instead (the report's
#: ``target_reached`` is then false).
MAX_LIMITING_DB = 12.0

#: Oversampling factor of the true-peak meter (ITU-R BS.1770-4 Annex 2: 4x
#: for 48 kHz material).
TRUE_PEAK_OVERSAMPLE = 4

#: Oversampling factor of the limiter's peak detector.  Twice the standard's
#: factor, so the limiter also holds peaks that a 4x meter under-reads
#: (up to about 0.7 dB for content near the Nyquist frequency).
LIMITER_OVERSAMPLE = 8

#: Oversampling factors at which the limiter verifies its output; the output
#: true peak is at or below the ceiling at each of them.
_VERIFY_OVERSAMPLES = (TRUE_PEAK_OVERSAMPLE, LIMITER_OVERSAMPLE)

#: Relative margin of the limiter's final static trim, so that rounding in
#: the last bit cannot leave a peak above the ceiling (1e-6 = 9e-6 dB).
_TRIM_MARGIN = 1e-6

#: Recovery rate of the limiter's release, in dB per ``release_s``: the
#: initial slope of an exponential release with time constant ``release_s``
#: (20 / ln 10 = 8.686 dB per time constant).
_RELEASE_DB_PER_TIME_CONSTANT = 20.0 / math.log(10.0)

#: Samples per block of the oversampled peak detector's pre-screen (see
#: :func:`_peak_envelope`).
_SCREEN_BLOCK = 64

#: Selected screening blocks at most this many blocks apart are interpolated
#: as one run by the peak detector.
_MERGE_BLOCKS = 8

#: Samples per chunk of the element-wise passes (fits in the L2 cache).
_CHUNK = 1 << 15

#: Half length, in input samples, of scipy's polyphase interpolation filter
#: (:func:`scipy.signal.resample_poly` uses ``10 * up`` output taps each side).
_INTERP_RADIUS = 10

#: Regions of the limiter's smoothing longer than this use FFT convolution.
_DIRECT_CONV_MAX = 4096

_SR_LOW = 8000
_SR_HIGH = 384000


# ----------------------------------------------------------------------------- validation helpers


@contextlib.contextmanager
def _as_stimgen_error():
    """Re-raise :class:`resonance.errors.ParameterError` as :class:`stimgen.errors.ParameterError`."""
    try:
        yield
    except _ResonanceParameterError as exc:
        raise ParameterError(str(exc)) from None


def _check_float(name, value, **bounds) -> float:
    with _as_stimgen_error():
        return _validation.check_float(name, value, **bounds)


def _check_int(name, value, **bounds) -> int:
    with _as_stimgen_error():
        return _validation.check_int(name, value, **bounds)


def _check_sr(sr) -> int:
    return _check_int("sr", sr, low=_SR_LOW, high=_SR_HIGH)


def _as_channels(y, name: str = "y") -> np.ndarray:
    """Validate audio; return a float64 view of shape (n_channels, n_samples), 1 or 2 channels."""
    with _as_stimgen_error():
        arr = _validation.check_audio(y, name=name)  # the one audio validator (finite, sane peak)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[0] not in (1, 2):
        raise ParameterError(
            f"{name} has shape {arr.shape}; it must be (n_samples,) or (n_channels, n_samples) with 1 or 2 "
            "channels (time on the last axis)"
        )
    return arr


def _lin_to_db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else -math.inf
