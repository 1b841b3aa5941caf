"""Recurrence of the whole sound: the sink that learns a loop.

:class:`~resonance.expectation.sinks.RecurrenceSink` picks, for each cochlear band on its
own, the lag at which that band's events recur best.  Any groove has bands
that recur exactly at the beat (the hi-hat band of a drum kit recurs every
eighth note whatever the kick and snare do), so band by band a varied groove
is absorbed as far as its loudest steady voice goes: with the sink on, a
varied drum groove fell to ~4x white noise.

A listener who learns a loop learns the recurrence of the *whole* sound: a
frozen noise cycle is learned as one segment (Kaernbach 2004; Agus, Thorpe &
Pressnitzer 2010), and what is learned is that everything heard one cycle
ago comes again.  :class:`SectionRecurrence` therefore chooses one lag for
all bands, the lag whose recurring event strength, summed over the bands,
is the largest share of the events present then or now: the frame sequence
of every band must recur together.  Lags start at the reach of the band
sinks (``sink_memory_s``), which already predict what recurs within a bar
or two; beyond it the sound must recur as a section to be absorbed.
"""

from __future__ import annotations

import numpy as np

from .sinks import RecurrenceSink

__all__ = ["SectionRecurrence"]


class SectionRecurrence(RecurrenceSink):
    """A recurrence sink with one lag for all bands (see the module docstring).

    Parameters are those of :class:`~resonance.expectation.sinks.RecurrenceSink`.

    Examples
    --------
    >>> sink = SectionRecurrence(n_bands=2, frame_rate_hz=43.0, min_lag_s=0.5, max_lag_s=3.0)
    >>> o = np.zeros((2, 43 * 20)); o[0, ::86] = 1.0; o[1, 20::43] = 1.0
    >>> _ = sink.process(o)
    >>> round(float(sink.lags_[sink._best[0]] / 43.0), 2), bool(sink._best[0] == sink._best[1])
    (2.0, True)
    """

    def _choose(self) -> None:
        r = self._agree.sum(axis=0) / (self._present.sum(axis=0) + self.prior_events)
        best = int(np.argmax(r))
        self._best = np.full(self.n_bands, best)
        self._r = np.full(self.n_bands, float(r[best]))
