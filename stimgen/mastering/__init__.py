"""Loudness, true peak, fades and limiting for generated tracks (pure, arrays or streamed sections).

Every generated track goes through the mastering before it is written or
played: raised-cosine fades in and out, integrated loudness normalised to a
target (ITU-R BS.1770-4, the measure behind EBU R128), and a look-ahead limiter
that keeps the *true* peak (BS.1770-4 Annex 2) at or below a ceiling.  For
hearing safety the result is never louder than the target (plus
:data:`LOUDNESS_TOLERANCE_LU`) and its true peak never exceeds the ceiling,
whatever the input or preset asks for; very peaky material that cannot reach
the target without heavy limiting stays quieter, and the report says so.

Modules, by job: :mod:`~stimgen.mastering.loudness` (K-weighting, gating,
:class:`LoudnessMeter`), :mod:`~stimgen.mastering.truepeak`
(:func:`true_peak_dbtp`, :class:`TruePeakMeter`),
:mod:`~stimgen.mastering.limiter` (the look-ahead true-peak limiter) and
:mod:`~stimgen.mastering.master` (fades, :func:`master` for arrays and
:class:`StreamMaster` for sessions of any length: a gain planned from probe
windows, then one streamed pass).

Audio ``y`` has time on the last axis: shape ``(n_samples,)`` (mono) or
``(n_channels, n_samples)`` with 1 or 2 channels (stereo = ``(2, n)``).
Nothing here reads or writes files (see :mod:`stimgen.io`).  All functions are
deterministic: the same inputs give bit-identical outputs.
"""

from ._common import (
    BS1770_BLOCK_S,
    LIMITER_OVERSAMPLE,
    LOUDNESS_TOLERANCE_LU,
    MAX_CEILING_DBTP,
    MAX_LIMITING_DB,
    MAX_TARGET_LUFS,
    MIN_CEILING_DBTP,
    MIN_TARGET_LUFS,
    TRUE_PEAK_OVERSAMPLE,
)
from .limiter import limit_true_peak, limiter_gain
from .loudness import LoudnessMeter, integrated_loudness_lufs, k_weighting_sos
from .master import (
    LIMITER_MARGIN_DB,
    MASTER_BLOCK_S,
    PROBE_FULL_S,
    PROBE_PREROLL_S,
    PROBE_WINDOW_S,
    PROBE_WINDOWS,
    SESSION_FADE_MAX_FRACTION,
    SESSION_FADE_S,
    StreamMaster,
    fade,
    master,
    master_session,
    plan_master,
    probe_windows,
    session_fade_s,
)
from .truepeak import TruePeakMeter, true_peak_dbtp

__all__ = [
    "BS1770_BLOCK_S",
    "LIMITER_MARGIN_DB",
    "LIMITER_OVERSAMPLE",
    "LOUDNESS_TOLERANCE_LU",
    "LoudnessMeter",
    "MASTER_BLOCK_S",
    "MAX_CEILING_DBTP",
    "MAX_LIMITING_DB",
    "MAX_TARGET_LUFS",
    "MIN_CEILING_DBTP",
    "MIN_TARGET_LUFS",
    "PROBE_FULL_S",
    "PROBE_PREROLL_S",
    "PROBE_WINDOWS",
    "PROBE_WINDOW_S",
    "SESSION_FADE_MAX_FRACTION",
    "SESSION_FADE_S",
    "StreamMaster",
    "TRUE_PEAK_OVERSAMPLE",
    "TruePeakMeter",
    "fade",
    "integrated_loudness_lufs",
    "k_weighting_sos",
    "limit_true_peak",
    "limiter_gain",
    "master",
    "master_session",
    "plan_master",
    "probe_windows",
    "session_fade_s",
    "true_peak_dbtp",
]
