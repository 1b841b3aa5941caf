"""How much of what arrives the sinks explain: their precision and the share they pass.

* :class:`SinkPrecision` -- the realised precision of each band's sink: the
  information it gains over a predictor that knows only the band's event
  rate.  It weights the sinks' prediction errors.
* :class:`PassShare` -- the share of each band's events that its sinks did
  not predict; the band's envelope modulation passes in the same share.
"""

from __future__ import annotations

import numpy as np
from .._lfilter import lfilter

__all__ = ["PASS_EVENTS", "PassShare", "SinkPrecision"]

#: Regularising event strength per step of the share of a band's events that
#: its sinks did not predict (:class:`PassShare`; engineering choice: a band
#: with less than ~1 full event every 20 steps, 7 s, counts as event-free and
#: passes its modulation to the modulation sink).
PASS_EVENTS = 0.05


class SinkPrecision:
    """Realised precision of each sink, per envelope frame, in [0, 1].

    The information the sink actually gains over a predictor that knows
    only the band's event rate: ``1 - <IC_model> / <IC_rate>``, with both
    information contents (bits) averaged over ``precision_tau_s``.  A metre
    that the sink has learned gives a high value; onsets that no model can
    anticipate give ~0, even if the sink is overconfident (then its own
    surprise exceeds the rate model's).

    Parameters
    ----------
    frame_s : float
        Duration of one sink frame (s).
    tau_s : float
        Averaging time ``precision_tau_s`` (s).
    repeat : int
        Envelope frames per sink frame (the output is held over them).
    """

    def __init__(self, *, frame_s: float, tau_s: float, repeat: int):
        self.frame_s = frame_s
        self.tau_s = tau_s
        self.repeat = repeat
        self._a = float(np.exp(-frame_s / tau_s))
        self.reset()

    def reset(self) -> None:
        """Start a new stimulus."""
        self._rate_state = None
        self._state = None

    def process(self, sink_out) -> np.ndarray:
        """Precision per envelope frame, shape (B, n * repeat), of a :class:`~resonance.expectation.sinks.SinkOutput`."""
        o = sink_out.o
        B, n = o.shape
        a = self._a
        # Event rate known before each frame (running mean, causal).
        rate0 = np.full((B, 1), 0.02) if self._rate_state is None else self._rate_state
        rate_after, _ = lfilter([1.0 - a], [1.0, -a], o, axis=1, zi=a * rate0)
        rate = np.clip(np.concatenate([rate0, rate_after[:, :-1]], axis=1), 1e-4, 1 - 1e-4)
        self._rate_state = rate_after[:, -1:]
        ic_rate = -(o * np.log2(rate) + (1.0 - o) * np.log2(1.0 - rate))
        both = np.concatenate([ic_rate, sink_out.surprise_bits], axis=0)
        zi = a * (both[:, :1] if self._state is None else self._state)
        avg, _ = lfilter([1.0 - a], [1.0, -a], both, axis=1, zi=zi)
        self._state = avg[:, -1:]
        gain = 1.0 - avg[B:] / np.maximum(avg[:B], 1e-9)
        return np.repeat(np.clip(gain, 0.0, 1.0), self.repeat, axis=1)


class PassShare:
    """Share of each band's events that its sinks did not predict, per model step.

    ``1 - sum(predicted) / (sum(o) + e)`` over running sums of
    ``coherence_tau_s``, with ``e`` = :data:`PASS_EVENTS` events per step.
    The band's envelope modulation (and binaural fluctuation) is absorbed in
    the same share: modulation made of learned events goes with them (an
    exact loop, a metronome).  A band with (almost) no events passes its
    modulation (a beating drone, amplitude-modulated noise); what of it
    passes is then decided by the
    :class:`~resonance.expectation.sinks.ModulationSink`, which learns the
    modulation itself.

    Parameters
    ----------
    step : int
        Envelope frames per model step.
    a : float
        Pole of the running sums per step.
    """

    def __init__(self, *, step: int, a: float):
        self.step = step
        self.a = a
        self.reset()

    def reset(self) -> None:
        """Start a new stimulus."""
        self._state = None

    def process(self, predicted: np.ndarray, o: np.ndarray) -> np.ndarray:
        """Pass share, shape (B, n_steps), of events ``o`` (B, n_env) of which ``predicted`` was predicted."""
        B = o.shape[0]
        n = o.shape[1] // self.step
        ps = predicted.reshape(B, n, self.step).sum(axis=2)
        os_ = o.reshape(B, n, self.step).sum(axis=2)
        both = np.concatenate([ps, os_], axis=0)
        a = self.a
        zi = np.zeros((2 * B, 1)) if self._state is None else self._state
        avg, self._state = lfilter([1.0 - a], [1.0, -a], both, axis=1, zi=zi)
        return 1.0 - avg[:B] / (avg[B:] + PASS_EVENTS)
