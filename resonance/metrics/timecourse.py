"""Headline score, habituation and annealing-arc metrics of an SNE time course.

The reservoir of each harmonic integrates the neutral power ``P(t)`` that the
stimulus delivers and leaks with time constant ``tau``:
``dE/dt = P - E / tau`` (:class:`~resonance.dynamics.Reservoir`).  Its
reading ``E / tau`` (the timeline's ``sne``, the model's temperature) starts
empty and charges over ``tau`` (30 s), so any reading of it -- its maximum,
its final value -- grows with the length of the file for the first minutes.

The headline score is instead the reservoir's **equilibrium**: under a
stimulus that goes on as it does, ``E / tau`` settles where the build rate
equals the leak, at the mean delivered power ``<P>``.  That mean is
estimated from the power delivered once the model's stages have settled
(the sinks, the metre and the coherence averages start blank, so the first
seconds of any file deliver less than the same music does later):

``score = mean(P(t) for settle_s < t <= T)``

It does not depend on ``tau`` nor on how long the excerpt is, only on what
the stimulus delivers; a longer excerpt gives a better estimate of the same
quantity.  For an excerpt shorter than ``2 * settle_s`` the second half is
averaged (``score_window_s`` in the metrics says over how many seconds the
score was read).  A stimulus that habituates (an exact loop, a metronome)
delivers less as it goes on, so its equilibrium is lower than that of its
opening: repetition does not pay.  How much it wears off is reported as
``habituation``.  See docs/model.md, "Score".
"""

from __future__ import annotations

import numpy as np

__all__ = ["equilibrium_score", "habituation", "arc_metrics"]


def _settled_start(n: int, *, dt_s: float, settle_s: float) -> int:
    """Index of the first settled step: ``settle_s``, or half the excerpt if that is shorter than ``2 settle_s``."""
    return min(n // 2, int(round(settle_s / dt_s)))


def equilibrium_score(neutral_power: np.ndarray, *, dt_s: float, settle_s: float) -> tuple[float, float]:
    """The reservoir's equilibrium level: mean neutral power after the model has settled.

    Parameters
    ----------
    neutral_power : ndarray, shape (n,)
        Neutral power delivered per model step (score units).
    dt_s : float
        Model step (s).
    settle_s : float
        Time the model's stages need to settle (s); the power before it is
        not averaged (before half the excerpt, if that comes first).

    Returns
    -------
    score : float
        Equilibrium level ``E / tau`` of the reservoir (score units).
    window_s : float
        Length of the averaged stretch (s).

    Examples
    --------
    >>> p = np.r_[np.zeros(10), np.ones(30)]
    >>> equilibrium_score(p, dt_s=1.0, settle_s=10.0)
    (1.0, 30.0)
    """
    p = np.asarray(neutral_power, dtype=float)
    if p.size == 0:
        return 0.0, 0.0
    k = _settled_start(p.size, dt_s=dt_s, settle_s=settle_s)
    return float(p[k:].mean()), float((p.size - k) * dt_s)


def habituation(neutral_power: np.ndarray, *, dt_s: float, settle_s: float, window_s: float) -> float:
    """How much the stimulus wears off: the relative fall of the delivered power.

    The mean power over the first ``window_s`` after settling against the
    mean over the last ``window_s`` of the excerpt (each at most a third of
    the settled stretch, so that the two do not overlap).

    Parameters
    ----------
    neutral_power : ndarray, shape (n,)
        Neutral power per model step.
    dt_s, settle_s : float
        Model step and settling time (s), as :func:`equilibrium_score`.
    window_s : float
        Length of the early and late stretches (s): the reservoir's time
        constant, the span over which it forgets.

    Returns
    -------
    float
        In [0, 1]: 0 = delivers as much at the end as after settling (or
        more), 1 = everything wore off.  0 when the excerpt is too short
        (fewer than three settled steps) or nothing was delivered.

    Examples
    --------
    >>> p = np.r_[np.ones(10), np.ones(30), 0.25 * np.ones(30)]
    >>> habituation(p, dt_s=1.0, settle_s=10.0, window_s=20.0)
    0.75
    """
    p = np.asarray(neutral_power, dtype=float)
    k = _settled_start(p.size, dt_s=dt_s, settle_s=settle_s)
    q = p[k:]
    if q.size < 3:
        return 0.0
    w = max(1, min(q.size // 3, int(round(window_s / dt_s))))
    early = float(q[:w].mean())
    if early <= 0:
        return 0.0
    late = float(q[-w:].mean())
    return float(np.clip(1.0 - late / early, 0.0, 1.0))


def arc_metrics(sne: np.ndarray, *, dt_s: float, threshold: float = 0.5) -> dict:
    """Annealing-arc metrics of an SNE time course (docs/model.md).

    Parameters
    ----------
    sne : ndarray, shape (n,)
        SNE (temperature) per step.
    dt_s : float
        Step (s).
    threshold : float
        Fraction of the peak that counts as "above threshold".

    Returns
    -------
    dict
        ``peak`` (score units), ``time_to_peak_s``, ``time_above_threshold_s``,
        ``heating_rate`` (score units per minute, from start to peak),
        ``cooling_rate`` (largest drop per minute after the peak, over 10 s),
        ``cooling_smoothness`` in [0, 1] (net drop after the peak divided by
        the total variation there: 1 = a steady glide down, lower = jagged).

    Examples
    --------
    >>> arc = arc_metrics(np.r_[np.linspace(0, 1, 11), np.linspace(1, 0.5, 6)[1:]], dt_s=1.0)
    >>> arc["peak"], arc["time_to_peak_s"], arc["cooling_smoothness"]
    (1.0, 11.0, 1.0)
    """
    sne = np.asarray(sne, dtype=float)
    i_peak = int(np.argmax(sne))
    peak = float(sne[i_peak])
    above = float(np.count_nonzero(sne >= threshold * peak) * dt_s) if peak > 0 else 0.0
    t_peak = (i_peak + 1) * dt_s
    heating = (peak - float(sne[0])) / (t_peak / 60.0) if t_peak > 0 else 0.0
    tail = sne[i_peak:]
    if tail.size > 1:
        tv = float(np.abs(np.diff(tail)).sum())
        smooth = (float(tail[0] - tail[-1]) / tv) if tv > 0 else 1.0
        w = max(1, int(round(10.0 / dt_s)))
        drops = tail[:-w] - tail[w:] if tail.size > w else np.array([tail[0] - tail[-1]])
        cooling_rate = float(max(drops.max(), 0.0)) / (min(w, tail.size - 1) * dt_s / 60.0)
    else:
        smooth, cooling_rate = 1.0, 0.0
    return {
        "peak": peak,
        "time_to_peak_s": t_peak,
        "time_above_threshold_s": above,
        "heating_rate": heating,
        "cooling_rate": cooling_rate,
        "cooling_smoothness": smooth,
    }
