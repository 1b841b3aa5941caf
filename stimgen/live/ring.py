"""A preallocated ring buffer of audio frames, written by one thread and read by two.

The playback engine (:mod:`stimgen.live.engine`) moves audio from a worker
thread to the sound card's callback through one :class:`RingBuffer`:

* the **producer** (the worker) writes program frames into free space;
* the **consumer** (the audio callback) reads the frames it plays;
* the **trailer** (the worker again) then looks at the frames the consumer
  has played (to record them and feed them to the model) and releases
  their space for the producer.

Three monotonically increasing frame counters, each advanced by exactly one
party, carry all the synchronisation: ``written`` (producer), ``read``
(consumer) and ``released`` (trailer), with
``released <= read <= written <= released + capacity``.  A party publishes a
counter only after it has copied the frames, and in CPython a counter update
is a single atomic store, so no lock is needed and the consumer never waits.
The storage is one ``(capacity, n_channels)`` float64 array allocated once:
reading and writing copy into it or out of it, in at most two slices at the
wrap-around.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["RingBuffer"]


class RingBuffer:
    """Single-producer, single-consumer ring of audio frames with a trailing reader.

    Parameters
    ----------
    capacity : int
        Frames the ring holds (>= 1).
    n_channels : int
        Channels per frame (>= 1).

    Attributes
    ----------
    written, read, released : int
        Frames written by the producer, read by the consumer, and released by
        the trailer since creation (never decrease).

    Examples
    --------
    >>> ring = RingBuffer(4, n_channels=1)
    >>> ring.write(np.arange(3.0)[:, None])
    3
    >>> out = np.zeros((2, 1))
    >>> ring.read_into(out)
    2
    >>> out[:, 0].tolist(), ring.available, ring.played
    ([0.0, 1.0], 1, 2)
    """

    def __init__(self, capacity: int, *, n_channels: int = 2):
        if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) or capacity < 1:
            raise ParameterError(f"capacity={capacity!r} must be a positive integer (frames)")
        if isinstance(n_channels, bool) or not isinstance(n_channels, (int, np.integer)) or n_channels < 1:
            raise ParameterError(f"n_channels={n_channels!r} must be a positive integer")
        self.capacity = int(capacity)
        self.n_channels = int(n_channels)
        self._data = np.zeros((self.capacity, self.n_channels))
        self.written = 0
        self.read = 0
        self.released = 0

    # -- state -------------------------------------------------------------------
    @property
    def space(self) -> int:
        """Frames the producer may write now."""
        return self.capacity - (self.written - self.released)

    @property
    def available(self) -> int:
        """Frames written and not yet read by the consumer."""
        return self.written - self.read

    @property
    def played(self) -> int:
        """Frames read by the consumer and not yet released by the trailer."""
        return self.read - self.released

    # -- copies --------------------------------------------------------------------
    def _spans(self, start: int, n: int):
        """(ring offset, length, block offset) of at most two slices for ``n`` frames from ``start``."""
        a = start % self.capacity
        first = min(n, self.capacity - a)
        yield a, first, 0
        if first < n:
            yield 0, n - first, first

    def write(self, frames: np.ndarray) -> int:
        """Producer: copy as many of ``frames`` as fit; return how many.

        Parameters
        ----------
        frames : numpy.ndarray, shape (n_frames, n_channels)
            Frames to append (any float dtype; copied as float64).

        Returns
        -------
        int
            Frames written (``min(n_frames, space)``).
        """
        n = min(int(frames.shape[0]), self.space)
        for a, m, b in self._spans(self.written, n):
            self._data[a:a + m] = frames[b:b + m]
        self.written += n
        return n

    def read_into(self, out: np.ndarray, n: int | None = None, *, gain: np.ndarray | None = None) -> int:
        """Consumer: copy up to ``n`` frames into ``out[:n]``; return how many.

        No allocation: the frames are copied (and cast to ``out``'s dtype) in
        place; with ``gain`` (shape (n,) or longer) each frame ``k`` is also
        multiplied by ``gain[k]``.  Rows of ``out`` beyond the frames read are
        left untouched.

        Parameters
        ----------
        out : numpy.ndarray, shape (>= n, n_channels)
            Destination.
        n : int or None
            Frames wanted (default ``len(out)``).
        gain : numpy.ndarray or None, shape (>= n,)
            Optional per-frame gain.

        Returns
        -------
        int
            Frames read (``min(n, available)``).
        """
        n = min(int(out.shape[0]) if n is None else int(n), self.available)
        for a, m, b in self._spans(self.read, n):
            if gain is None:
                out[b:b + m] = self._data[a:a + m]
            else:
                np.multiply(self._data[a:a + m], gain[b:b + m, np.newaxis], out=out[b:b + m], casting="unsafe")
        self.read += n
        return n

    def copy_played(self, out: np.ndarray, n: int | None = None) -> int:
        """Trailer: copy up to ``n`` played, unreleased frames into ``out`` (does not release them).

        Parameters
        ----------
        out : numpy.ndarray, shape (>= n, n_channels)
        n : int or None
            Frames wanted (default ``len(out)``).

        Returns
        -------
        int
            Frames copied (``min(n, played)``).
        """
        n = min(int(out.shape[0]) if n is None else int(n), self.played)
        for a, m, b in self._spans(self.released, n):
            out[b:b + m] = self._data[a:a + m]
        return n

    def release(self, n: int) -> None:
        """Trailer: give the space of ``n`` played frames back to the producer."""
        if n < 0 or n > self.played:
            raise ParameterError(f"release n={n} must be in [0, {self.played}] (played, unreleased frames)")
        self.released += int(n)
