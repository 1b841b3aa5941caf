"""The session arc (heat, hold, cool) and equal-power crossfades.

docs/model.md: a session should follow an *annealing arc*: heat up,
hold above a "recrystallisation" level long enough for reorganisation, then
cool slowly; abrupt cooling is considered harmful.  :func:`arc_envelope`
draws that intensity curve with raised-cosine ramps (zero slope at every
joint, so no kinks), and :func:`arc_phase` names the phase at given times.
"""

from __future__ import annotations

import numpy as np

from ._checks import ParameterError
from ._checks import check_finite_array, check_float, check_int

from .modulation import raised_cosine

__all__ = [
    "COOL_LEVEL",
    "HEAT_LEVEL",
    "HOLD_LEVEL",
    "PHASES",
    "arc_boundaries_s",
    "arc_envelope",
    "arc_phase",
    "crossfade",
]

#: Default intensity at the start of heating (a quiet but present start).
HEAT_LEVEL = 0.2
#: Default intensity of the hold phase (full intensity).
HOLD_LEVEL = 1.0
#: Default intensity at the end of cooling.
COOL_LEVEL = 0.0
#: Names returned by :func:`arc_phase`, in order.
PHASES = ("heat", "hold", "cool")


def arc_boundaries_s(*, duration_s, heat_s, hold_s, cool_s):
    """Phase lengths actually used for a session of ``duration_s``.

    If ``heat_s + hold_s + cool_s`` differs from ``duration_s``, all three are
    scaled by the same factor ``duration_s / (heat_s + hold_s + cool_s)``, so
    their proportions (and in particular the share given to slow cooling) are
    kept.

    Parameters
    ----------
    duration_s : float
        Session length in seconds (> 0).
    heat_s, hold_s, cool_s : float
        Requested phase lengths in seconds (>= 0, not all 0).

    Returns
    -------
    tuple of float
        ``(heat_s, hold_s, cool_s)`` after scaling; they sum to ``duration_s``.

    Raises
    ------
    ParameterError
        If a length is negative or all three are 0.

    Examples
    --------
    >>> arc_boundaries_s(duration_s=60.0, heat_s=10.0, hold_s=10.0, cool_s=10.0)
    (20.0, 20.0, 20.0)
    """
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    heat_s = check_float("heat_s", heat_s, low=0)
    hold_s = check_float("hold_s", hold_s, low=0)
    cool_s = check_float("cool_s", cool_s, low=0)
    total = heat_s + hold_s + cool_s
    if total <= 0:
        raise ParameterError("heat_s + hold_s + cool_s = 0; at least one phase must have a positive length")
    scale = duration_s / total
    return heat_s * scale, hold_s * scale, cool_s * scale


def arc_envelope(*, sr, duration_s, heat_s, hold_s, cool_s, heat_level=HEAT_LEVEL, hold_level=HOLD_LEVEL,
                 cool_level=COOL_LEVEL, start=0, stop=None, frames=None):
    """Session intensity curve in [0, 1]: rise, hold, slow fall.

    The curve starts at ``heat_level``, rises over the heating phase along a
    raised cosine to ``hold_level``, stays there for the hold phase and
    falls along a raised cosine to ``cool_level`` over the cooling phase.
    Phase lengths are scaled proportionally to fill ``duration_s`` (see
    :func:`arc_boundaries_s`).  Sample ``k`` sits at ``k / sr``.  The steepest
    step between samples is ``pi / 2 * |level change| / (ramp_s * sr)``.

    Parameters
    ----------
    sr : int
        Sample (or control) rate in Hz.
    duration_s : float
        Length in seconds.
    heat_s, hold_s, cool_s : float
        Phase lengths in seconds.
    heat_level : float
        Intensity at the start, in [0, 1].
    hold_level : float
        Intensity during the hold, in [0, 1], at least ``heat_level`` and
        ``cool_level``.
    cool_level : float
        Intensity at the end, in [0, 1].
    start, stop : int, int or None
        Return only samples ``start`` to ``stop`` (default: all); each
        sample is computed from its own index, so the pieces of a streamed
        session equal the whole curve bit for bit.
    frames : array_like of int or None
        Instead of ``start`` to ``stop``: only these samples (each in
        ``[0, n)``), the same values as the whole curve's at them.

    Returns
    -------
    numpy.ndarray of float64, shape (stop - start,) or the shape of ``frames``

    Raises
    ------
    ParameterError
        If an argument is out of range or ``hold_level`` is below the other
        levels.

    Examples
    --------
    >>> env = arc_envelope(sr=10, duration_s=60.0, heat_s=10.0, hold_s=20.0, cool_s=30.0)
    >>> float(env[0]), float(env[200]), float(env[-1]) < 0.001
    (0.2, 1.0, True)
    """
    sr = check_int("sr", sr, low=1)
    heat_s, hold_s, cool_s = arc_boundaries_s(duration_s=duration_s, heat_s=heat_s, hold_s=hold_s, cool_s=cool_s)
    heat_level = check_float("heat_level", heat_level, low=0, high=1)
    hold_level = check_float("hold_level", hold_level, low=0, high=1)
    cool_level = check_float("cool_level", cool_level, low=0, high=1)
    if hold_level < max(heat_level, cool_level):
        raise ParameterError(
            f"hold_level={hold_level:g} must be at least heat_level={heat_level:g} and cool_level={cool_level:g}"
        )
    n = int(round(float(duration_s) * sr))
    start = check_int("start", start, low=0, high=n)
    stop = n if stop is None else check_int("stop", stop, low=start, high=n)
    if frames is None:
        t = np.arange(start, stop) / sr
    else:
        frames = np.asarray(frames, dtype=np.int64)
        if frames.size and (frames.min() < 0 or frames.max() >= n):
            raise ParameterError(f"frames must lie in [0, {n}); got {frames.min()} to {frames.max()}")
        t = frames / sr
    env = np.full(t.shape, hold_level)
    if heat_s > 0:
        rising = t < heat_s
        env[rising] = heat_level + (hold_level - heat_level) * raised_cosine(t[rising] / heat_s)
    cool_start = heat_s + hold_s
    if cool_s > 0:
        falling = t >= cool_start
        env[falling] = hold_level + (cool_level - hold_level) * raised_cosine((t[falling] - cool_start) / cool_s)
    return env


def arc_phase(t_s, *, duration_s, heat_s, hold_s, cool_s):
    """Name the arc phase ("heat", "hold" or "cool") at times ``t_s``.

    Uses the same proportional scaling as :func:`arc_envelope`.  A time on
    a boundary belongs to the later phase; times before 0 count as "heat" and
    times after the end as "cool".

    Parameters
    ----------
    t_s : float or array_like
        Time(s) in seconds.
    duration_s, heat_s, hold_s, cool_s : float
        As in :func:`arc_envelope`.

    Returns
    -------
    str or numpy.ndarray of str
        A string for a scalar ``t_s``, else an array of the same shape.

    Raises
    ------
    ParameterError
        If a time is not finite or a length is invalid.

    Examples
    --------
    >>> arc_phase([0.0, 15.0, 59.0], duration_s=60.0, heat_s=10.0, hold_s=20.0, cool_s=30.0).tolist()
    ['heat', 'hold', 'cool']
    """
    heat_s, hold_s, _ = arc_boundaries_s(duration_s=duration_s, heat_s=heat_s, hold_s=hold_s, cool_s=cool_s)
    t = check_finite_array("t_s", t_s)
    index = (t >= heat_s).astype(int) + (t >= heat_s + hold_s).astype(int)
    names = np.asarray(PHASES)[index]
    return str(names) if names.ndim == 0 else names


def crossfade(a, b, *, sr, fade_s):
    """Join ``a`` and ``b`` with an equal-power crossfade of ``fade_s``.

    The last ``n_fade = round(fade_s * sr)`` samples of ``a`` overlap the
    first ``n_fade`` of ``b``; ``a`` is weighted ``cos(pi u / 2)`` and ``b``
    ``sin(pi u / 2)`` with ``u = (k + 1/2) / n_fade``, so the gains' squares
    sum to 1 (constant power for uncorrelated signals).  Works on mono or
    stereo (time on the last axis; leading shapes must match).

    Parameters
    ----------
    a, b : array_like, shape (..., n_a) and (..., n_b)
        Audio to join.
    sr : int
        Sample rate in Hz.
    fade_s : float
        Crossfade length in seconds (>= 0, at most the shorter input).

    Returns
    -------
    numpy.ndarray of float64, shape (..., n_a + n_b - n_fade)

    Raises
    ------
    ParameterError
        If the inputs' leading shapes differ or the fade is longer than an
        input.

    Examples
    --------
    >>> crossfade(np.ones(10), np.ones(10), sr=10, fade_s=0.4).shape
    (16,)
    """
    a = check_finite_array("a", a)
    b = check_finite_array("b", b)
    sr = check_int("sr", sr, low=1)
    fade_s = check_float("fade_s", fade_s, low=0)
    if a.shape[:-1] != b.shape[:-1]:
        raise ParameterError(f"a has shape {a.shape} and b {b.shape}; all but the last (time) axis must match")
    n_fade = int(round(fade_s * sr))
    if n_fade > min(a.shape[-1], b.shape[-1]):
        raise ParameterError(
            f"fade_s={fade_s:g} ({n_fade} samples) is longer than an input "
            f"({a.shape[-1]} and {b.shape[-1]} samples)"
        )
    n_a = a.shape[-1]
    out = np.zeros(a.shape[:-1] + (n_a + b.shape[-1] - n_fade,))
    u = (np.arange(n_fade) + 0.5) / max(n_fade, 1)
    out[..., :n_a] = a
    out[..., n_a - n_fade : n_a] *= np.cos(0.5 * np.pi * u)
    out[..., n_a - n_fade :] += b * np.concatenate([np.sin(0.5 * np.pi * u), np.ones(b.shape[-1] - n_fade)])
    return out
