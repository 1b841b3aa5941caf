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

from .._jit import njit
from .sinks import RecurrenceSink

__all__ = ["SectionRecurrence"]


@njit(cache=True, nogil=True)
def _section_block(full, j0, m, lo, hi, agree, present, a, prior, choose, state, pred):  # pragma: no cover - compiled
    """One block of :class:`SectionRecurrence` (choose the lag, predict, learn), in place.

    ``full[:, j0 : j0 + m]`` is the block (or the rest of one), the frames
    before it its past; ``agree`` and ``present`` are the band-summed leaky
    sums per lag ``lo..hi``; ``state`` holds the chosen lag's index and
    reliability, chosen anew when ``choose``.
    The present sum uses ``max(x, y) = x + y - min(x, y)``, so only frames
    with an event cost a pass over the lags.  Indices that run backwards
    through memory are unsigned (all are >= 0: the block has ``hi + 1``
    frames of past before it), so that the loops over the lags compile
    without a wrap-around test per element and vectorise.
    """
    B = full.shape[0]
    n_l = hi - lo + 1
    if choose:
        best = 0
        r_best = -1.0
        for i in range(n_l):
            r = agree[i] / (present[i] + prior)
            if r > r_best:
                r_best = r
                best = i
        state[0] = best
        state[1] = r_best
    r_best = state[1]
    lag = lo + int(state[0])
    for b in range(B):
        for t in range(m):
            k = j0 + t - lag
            pred[b, t] = r_best * max(full[b, k - 1], max(full[b, k], full[b, k + 1]))
    am = a**m
    for i in range(n_l):
        agree[i] *= am
        present[i] *= am
    # Band sums, and each band's widened strength, of the frames that the
    # lags read, newest first (index u is frame j0 + m - 1 - lo - u), so that
    # the loops over the lags run forward through memory.
    n_q = hi + m - lo
    top = j0 + m - 1 - lo
    col = np.zeros(n_q)
    top_u = np.uint64(top)
    for b in range(B):
        for u in range(n_q):
            col[u] += full[b, top_u - np.uint64(u)]
    w = a ** (m - 1)
    for t in range(m):
        now_sum = 0.0
        for b in range(B):
            now_sum += full[b, j0 + t]
        u0 = np.uint64(m - 1 - t)  # frame j0 + t - lo - i is index u0 + i
        for i in range(n_l):
            present[i] += w * (now_sum + col[u0 + np.uint64(i)])
        w /= a
    # Recurring strength min(x, widened past), and the min(x, past) that the
    # present sum takes off, only for frames with an event.
    row = np.empty(n_q)
    wrow = np.empty(n_q)
    for b in range(B):
        for u in range(n_q):
            k = top_u - np.uint64(u)
            row[u] = full[b, k]
            wrow[u] = max(full[b, k - 1], max(full[b, k], full[b, k + 1]))
        w = a ** (m - 1)
        for t in range(m):
            x = full[b, j0 + t]
            if x > 0.0:
                u0 = np.uint64(m - 1 - t)
                for i in range(n_l):
                    agree[i] += w * min(x, wrow[u0 + np.uint64(i)])
                    present[i] -= w * min(x, row[u0 + np.uint64(i)])
            w /= a


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

    def reset(self) -> None:
        """Blank state: no history, no reliabilities."""
        super().reset()
        n_l = self.lags_.size
        self._agree = np.zeros((1, n_l))  # summed over the bands
        self._present = np.zeros((1, n_l))
        self._state = np.zeros(2)
        # Work space kept from call to call: the history (the last
        # lag_max_ + 1 frames) ends at column _pos, the new frames follow it;
        # the history moves back to the start only when the room runs out
        # (no fresh concatenation of the whole history per model step).
        H = self.lag_max_ + 1
        self._full = np.zeros((self.n_bands, H + max(4 * H, 64 * self.block_frames)))
        self._pos = H

    def process(self, o: np.ndarray) -> np.ndarray:
        """Predict each frame from the section's recurrence, then learn from it.

        Parameters
        ----------
        o : ndarray, shape (n_bands, n)
            Event strength per band and sink frame.

        Returns
        -------
        ndarray, shape (n_bands, n)
            Predicted event strength, made before each frame arrived; the
            reliability of the lag used is left in ``reliability_``.
        """
        o = np.asarray(o, dtype=float)
        B, n = o.shape
        full, pos = self._room(n)
        full[:, pos : pos + n] = o  # frame pos + j is o[:, j]; the frames before it its past
        self._pos = pos + n
        out = np.empty((B, n))
        self.reliability_ = np.empty((B, n))
        start = 0
        while start < n:
            # Blocks are counted from the start of the stimulus; a block cut
            # by the input's end is finished, with the lag kept, next time.
            offset = self._frame % self.block_frames
            stop = min(n, start + self.block_frames - offset)
            m = stop - start
            pred = out if m == n else np.empty((B, m))
            _section_block(full, pos + start, m, self.lag_min_, self.lag_max_, self._agree[0], self._present[0],
                           self.decay_, self.prior_events, offset == 0, self._state, pred)
            if m != n:
                out[:, start:stop] = pred
            self._best[:] = int(self._state[0])
            self._r[:] = self._state[1]
            self.reliability_[:, start:stop] = self._state[1]
            self._frame += m
            start = stop
        return out

    def _room(self, n: int) -> tuple[np.ndarray, int]:
        """The work space with room for ``n`` new frames, and the column where they go."""
        H = self.lag_max_ + 1
        pos = self._pos
        if pos + n > self._full.shape[1]:
            full = np.zeros((self.n_bands, H + max(4 * H, 64 * self.block_frames, n)))
            full[:, :H] = self._full[:, pos - H : pos]
            self._full, self._pos = full, H
        return self._full, self._pos

    @property
    def lag_s(self) -> float:
        """The current recurrence period (s)."""
        return float(self.lags_[int(self._state[0])] / self.frame_rate_hz)
