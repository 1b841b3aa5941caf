"""Discrete events from the onset drive: one impulse per onset, wherever it falls on the frame grid.

The front end's onset drive of one note lasts several envelope frames (its
rise is read over ``onset_lag_s`` and the drive lasts about one 23 ms window).
The sinks work on frames of four envelope frames.  Pooled as it is, a note
whose drive straddles two sink frames counts as two events and one that
falls inside a frame as one, so how much the sinks learn -- and the score --
depended on where the notes fall on the 23 ms grid: a 10 ms shift of the
whole file changed a drum groove's score by 2x, and a tempo change of 0.25
BPM by as much (docs/model.md, "Events").

:class:`EventPeaks` turns the drive into events, as onset detectors do
(the peak picking of Boeck, Krebs & Schedl 2012; ``librosa.util.peak_pick``):
a frame is an event if its drive is the largest within ``pre`` frames before
and ``post`` frames after it, and the event's strength is that peak.  It
streams block by block with a delay of ``post`` frames, and a file processed
in one block or in any split gives the same events.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_int
from .flux import _running_max

__all__ = ["EventPeaks"]


class EventPeaks:
    """Streaming peak picker: the onset drive's local maxima as single-frame events.

    Parameters
    ----------
    n_bands : int
        Number of channels (cochlear bands).
    pre, post : int
        A frame is an event if its drive is at least the largest of the
        ``pre`` frames before it and above the largest of the ``post``
        frames after it (so a flat top gives one event, at its last frame).
        Output is delayed by ``post`` frames.

    Examples
    --------
    >>> peaks = EventPeaks(n_bands=1, pre=2, post=2)
    >>> x = np.array([[0.0, 0.4, 0.9, 0.7, 0.2, 0.0, 0.0, 0.0]])
    >>> peaks.process(x).round(2).tolist()
    [[0.0, 0.0, 0.0, 0.0, 0.9, 0.0, 0.0, 0.0]]
    """

    def __init__(self, *, n_bands: int, pre: int = 4, post: int = 4):
        self.n_bands = n_bands
        self.pre = pre
        self.post = post
        self._ready = False

    def _setup(self) -> None:
        check_int("n_bands", self.n_bands, low=1)
        check_int("pre", self.pre, low=0, high=1000)
        check_int("post", self.post, low=0, high=1000)
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Forget the stream (the frames before it are silent)."""
        self._buf = np.zeros((self.n_bands, self.pre + self.post))

    def process(self, drive: np.ndarray) -> np.ndarray:
        """Events of the next frames.

        Parameters
        ----------
        drive : ndarray, shape (n_bands, n)
            Onset drive (event strength) per frame, >= 0.

        Returns
        -------
        ndarray, shape (n_bands, n)
            The drive's peak at each event frame, 0 elsewhere, delayed by
            ``post`` frames.
        """
        if not self._ready:
            self._setup()
        x = np.concatenate([self._buf, np.asarray(drive, dtype=float)], axis=1)
        self._buf = x[:, x.shape[1] - self._buf.shape[1]:]
        n = drive.shape[1]
        if n == 0:
            return np.zeros((self.n_bands, 0))
        pre, post = self.pre, self.post
        centre = x[:, pre : pre + n]
        peak = centre > 0
        # The largest of the frames before and after each one (running
        # maxima along time: exact, and cheaper than a reduction over
        # sliding windows).
        if pre:
            peak &= centre >= _running_max(x[:, : n + pre - 1].T, pre).T
        if post:
            peak &= centre > _running_max(x[:, pre + 1 : pre + post + n].T, post).T
        return np.where(peak, centre, 0.0)
