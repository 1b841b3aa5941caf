"""The thermostat of an adaptive session: keep the model's temperature inside a band during the hold.

The model's *temperature* is its running semantically-neutral energy (the
SNE reservoir, :attr:`resonance.ScoreResult.timeline` ``["sne"]``).  During
the hold phase of the arc the annealing account wants it to stay up, above
the level the heating reached, without running away (docs/model.md).  Two
things heat the model: drive that its sinks cannot predict (variation) and
strong rhythmic drive.  So the thermostat has one control signal
``u`` in [-1, 1] that moves both actuators together:

* ``variation = u``: for drums and clicks, the share of bars drawn from a
  rendering with more variation (``u > 0``) or less (``u < 0``, exact
  repetition, which the sinks learn and absorb);
* ``rhythm_gain_db = u * rhythm_range_db``: the level of the rhythmic layers
  (drums, clicks, isochronic tones) relative to the rest.

The controller is proportional-integral on the logarithm of the temperature,
with the band as a dead zone: outside the band the error is
``ln(centre / T)`` with ``centre`` the band's geometric mean (too cold:
``u`` rises; too hot: it falls); inside the band the actuators hold still
(and the integral is set to ``u``, so leaving the band resumes smoothly).
``u`` is clamped to [-1, 1], changes by at most ``rate_per_s`` per second,
and the integral stops growing while ``u`` is held at a limit
(anti-windup).  Outside the hold ``u`` glides back to 0, so heating and
cooling follow the preset.

Every change is logged: :attr:`Thermostat.log` holds one entry per change of
``u`` of at least :data:`LOG_STEP`, per crossing of a band edge, and per
phase change.
"""

from __future__ import annotations

import math

from ..errors import ParameterError

__all__ = [
    "BAND_FRACTION",
    "MIN_BAND_CENTER",
    "KP",
    "KI_PER_S",
    "RATE_PER_S",
    "RHYTHM_RANGE_DB",
    "LOG_STEP",
    "Thermostat",
]

#: Half-width of the automatic band, as a fraction of its centre: the band is
#: the temperature at the start of the hold, +/- 20 %.
BAND_FRACTION = 0.2

#: Smallest automatic band centre (score units, basis points of the reference
#: build-up): below it the temperature is too close to zero to steer by ratio.
MIN_BAND_CENTER = 0.02

#: Proportional gain (change of ``u`` per neper of error).
KP = 0.5

#: Integral gain (change of ``u`` per neper of error per second): with
#: ``KP`` an integral time of 25 s, slower than the model's coherence time
#: (8 s) and faster than its reservoir (30 s).
KI_PER_S = 0.02

#: Fastest change of ``u`` per second (full swing from 0 to 1 in 20 s).
RATE_PER_S = 0.05

#: Level range of the rhythmic layers at ``u = +/-1`` (dB).
RHYTHM_RANGE_DB = 6.0

#: A change of ``u`` at least this large since the last logged one is logged.
LOG_STEP = 0.05


class Thermostat:
    """PI controller with a dead band on the log of the model's temperature.

    Parameters
    ----------
    band : tuple of float or None
        ``(low, high)`` temperatures (score units); ``None`` sets it at the
        start of the hold to the temperature then +/- ``band_fraction``.
    band_fraction : float
        Half-width of the automatic band relative to its centre, in (0, 1).
    kp, ki_per_s : float
        Proportional and integral gains (>= 0).
    rate_per_s : float
        Fastest change of ``u`` per second (> 0).
    rhythm_range_db : float
        Level of the rhythmic layers at ``u = 1`` (dB, >= 0).
    min_center : float
        Smallest automatic band centre (> 0).

    Attributes
    ----------
    u : float
        Current control signal in [-1, 1].
    band_ : tuple of float or None
        The band in use (``None`` before the hold).
    log : list of dict
        The logged changes: ``t_s``, ``phase``, ``temperature``, ``band``,
        ``status`` ("cold", "in band", "hot"), ``u``, ``variation``,
        ``rhythm_gain_db`` and ``action`` (a sentence).

    Examples
    --------
    >>> th = Thermostat(band=(1.0, 2.0))
    >>> for k in range(80):
    ...     u = th.update(0.5, t_s=float(k), phase="hold")
    >>> round(th.u, 2), th.log[0]["status"]
    (1.0, 'cold')
    """

    def __init__(self, *, band=None, band_fraction: float = BAND_FRACTION, kp: float = KP,
                 ki_per_s: float = KI_PER_S, rate_per_s: float = RATE_PER_S,
                 rhythm_range_db: float = RHYTHM_RANGE_DB, min_center: float = MIN_BAND_CENTER):
        self.band = band
        self.band_fraction = band_fraction
        self.kp = kp
        self.ki_per_s = ki_per_s
        self.rate_per_s = rate_per_s
        self.rhythm_range_db = rhythm_range_db
        self.min_center = min_center
        self.u = 0.0
        self.band_ = None
        self.log: list[dict] = []
        self._integral = 0.0
        self._t = None
        self._phase = None
        self._status = None
        self._u_logged = 0.0
        self._checked = False

    # -- helpers -----------------------------------------------------------------
    def _check(self) -> None:
        if self._checked:
            return
        if self.band is not None:
            try:
                low, high = (float(v) for v in self.band)
            except (TypeError, ValueError):
                raise ParameterError(f"band={self.band!r} must be two numbers (low, high)") from None
            if not (math.isfinite(low) and math.isfinite(high) and 0.0 < low < high):
                raise ParameterError(f"band=({low:g}, {high:g}) must satisfy 0 < low < high (score units)")
            self.band = (low, high)
        if not 0.0 < self.band_fraction < 1.0:
            raise ParameterError(f"band_fraction={self.band_fraction!r} must be in (0, 1)")
        for name in ("kp", "ki_per_s", "rhythm_range_db"):
            if not getattr(self, name) >= 0.0:
                raise ParameterError(f"{name}={getattr(self, name)!r} must be >= 0")
        for name in ("rate_per_s", "min_center"):
            if not getattr(self, name) > 0.0:
                raise ParameterError(f"{name}={getattr(self, name)!r} must be > 0")
        self._checked = True

    @property
    def variation(self) -> float:
        """Variation actuator: share of bars from the more (> 0) or less (< 0) varied rendering."""
        return self.u

    @property
    def rhythm_gain_db(self) -> float:
        """Level of the rhythmic layers relative to the preset (dB)."""
        return self.u * self.rhythm_range_db

    def _entry(self, t_s, phase, temperature, action) -> None:
        self.log.append({
            "t_s": round(float(t_s), 3),
            "phase": phase,
            "temperature": float(f"{temperature:.6g}"),
            "band": None if self.band_ is None else [float(f"{b:.6g}") for b in self.band_],
            "status": self._status,
            "u": round(self.u, 4),
            "variation": round(self.variation, 4),
            "rhythm_gain_db": round(self.rhythm_gain_db, 3),
            "action": action,
        })
        self._u_logged = self.u

    def _describe(self, u_old: float) -> str:
        return (f"variation {u_old:+.2f} -> {self.u:+.2f}, rhythm {u_old * self.rhythm_range_db:+.1f} -> "
                f"{self.rhythm_gain_db:+.1f} dB")

    # -- control -------------------------------------------------------------------
    def update(self, temperature: float, *, t_s: float, phase: str) -> float:
        """Take one reading of the model and return the new control signal ``u``.

        Parameters
        ----------
        temperature : float
            The model's temperature (SNE, score units) at ``t_s``.
        t_s : float
            Session time of the reading (s), increasing.
        phase : {"heat", "hold", "cool"}
            Arc phase at ``t_s``.

        Returns
        -------
        float
            ``u`` in [-1, 1].

        Raises
        ------
        ParameterError
            If a setting is invalid or ``phase`` is unknown.
        """
        self._check()
        if phase not in ("heat", "hold", "cool"):
            raise ParameterError(f"phase={phase!r} is not allowed; allowed: heat, hold, cool")
        t_s = float(t_s)
        dt = 0.0 if self._t is None else max(t_s - self._t, 0.0)
        self._t = t_s
        temp = max(float(temperature), 1e-12)
        entering = phase != self._phase
        self._phase = phase
        u_old = self.u
        if phase == "hold":
            if self.band_ is None:
                if self.band is not None:
                    self.band_ = self.band
                    how = "band set by the user"
                else:
                    center = max(temp, self.min_center)
                    self.band_ = (center * (1.0 - self.band_fraction), center * (1.0 + self.band_fraction))
                    how = f"band = the temperature at the start of the hold +/- {100 * self.band_fraction:g} %"
                self._status = self._classify(temp)
                self._entry(t_s, phase, temp, f"hold begins: {how}: [{self.band_[0]:.3g}, {self.band_[1]:.3g}]")
            low, high = self.band_
            status = self._classify(temp)
            if status == "in band":
                wanted = self.u  # hold the actuators; leaving the band resumes from here
                self._integral = self.u
            else:
                error = math.log(math.sqrt(low * high) / temp)
                saturated = (self.u >= 1.0 and error > 0) or (self.u <= -1.0 and error < 0)
                if not saturated:
                    self._integral += self.ki_per_s * error * dt
                    self._integral = min(max(self._integral, -1.0), 1.0)
                wanted = min(max(self.kp * error + self._integral, -1.0), 1.0)
        else:
            if entering and self.band_ is not None and phase == "cool":
                self._status = "released"
                self._entry(t_s, phase, temp, "hold over: returning to the preset's levels")
            self._integral = 0.0
            wanted = 0.0
            status = self._status if self.band_ is None else "released"
        step = self.rate_per_s * dt
        self.u = min(max(wanted, self.u - step), self.u + step)
        self.u = min(max(self.u, -1.0), 1.0)
        if status != self._status:
            self._status = status
            if status == "in band":
                action = f"in band: holding variation {self.u:+.2f}, rhythm {self.rhythm_gain_db:+.1f} dB"
            else:
                action = f"{status}: " + self._describe(u_old)
            self._entry(t_s, phase, temp, action)
        elif abs(self.u - self._u_logged) >= LOG_STEP or (self.u == 0.0 and self._u_logged != 0.0):
            verb = {"cold": "warming", "hot": "cooling"}.get(status, "adjusting")
            self._entry(t_s, phase, temp, f"{verb}: " + self._describe(self._u_logged))
        return self.u

    def _classify(self, temp: float) -> str:
        low, high = self.band_
        return "cold" if temp < low else "hot" if temp > high else "in band"
