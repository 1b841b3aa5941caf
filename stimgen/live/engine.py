"""The playback engine: a worker produces ahead, the audio callback only copies.

Two sides share one preallocated :class:`~stimgen.live.ring.RingBuffer`:

* :meth:`Engine.pull` is the body of the sound card's callback.  It copies
  the next frames out of the ring (casting to the device's dtype), and does
  nothing else that allocates or blocks.  If the ring holds too few frames
  it writes silence for the rest and counts an *underrun*; the program does
  not skip (the frames play late).  After :meth:`Engine.request_stop` it
  multiplies the frames it plays by a raised-cosine ramp from 1 to 0 over
  :data:`STOP_RAMP_S` and ends with it.
* :meth:`Engine.step` is one turn of the worker.  It first takes the frames
  the callback has played, applies the same stop ramp to them, writes them
  to the recording and feeds them to the model (so the model scores exactly
  the audio played, and the recording holds exactly that audio, without the
  underruns' silence), passes each completed model step to an adaptive
  program's thermostat, and frees their space; then it fills the free space
  with the program's next blocks.

Nothing in the engine reads a clock: a driver calls :meth:`Engine.pull`
(a sound card, :meth:`Engine.run_offline`, or a test's virtual clock) and
:meth:`Engine.step` (a worker thread, :meth:`Engine.run_worker`, or the same
test), so scheduling, underruns and ramps can be checked without a device.

Ramps.  Programs that do not start and end at silence by themselves
(``program.ramps`` false) get raised-cosine ramps of :data:`RAMP_IN_S` at
both ends from the engine.  Presets start and end with their mastering fades
and audio files with :data:`~stimgen.live.program.FILE_FADE_S` fades.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from .ring import RingBuffer

__all__ = ["BLOCK_FRAMES", "RING_S", "STOP_RAMP_S", "RAMP_IN_S", "MODEL_LAG_S", "MODEL_BACKLOG_S", "raised_cosine_ramp", "Engine"]

#: Frames per callback and per produced block.
BLOCK_FRAMES = 512

#: Ring buffer length in seconds: how far the worker produces ahead.
RING_S = 1.0

#: Fade-out when a session is stopped early (s).
STOP_RAMP_S = 0.5

#: Engine ramps for programs without their own fades (s).
RAMP_IN_S = 0.5

#: Most audio (s) played while the model is set up in the background (:meth:`ModelMonitor.start`)
#: before production waits for it: far more than a set-up takes (about half a second), so a sound
#: card never waits; a device that pulls faster than real time (ALSA's null plugin) is held to the
#: model's pace from then on, as with a model set up before the stream.
MODEL_BACKLOG_S = 10.0

#: Upper bound (s) of the model's latency: frames beyond a model step's end
#: that must be fed before the step completes (resampler and front-end
#: windows).  Part of the fixed delay of a thermostat decision.
MODEL_LAG_S = 0.5


def raised_cosine_ramp(n: int) -> np.ndarray:
    """Gains rising from 0 to 1 over ``n`` frames, ``0.5 * (1 - cos(pi * k / n))``.

    Parameters
    ----------
    n : int
        Length (>= 0).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Examples
    --------
    >>> raised_cosine_ramp(4).round(3).tolist()
    [0.0, 0.146, 0.5, 0.854]
    """
    return 0.5 * (1.0 - np.cos(np.pi * np.arange(n) / max(n, 1)))


class Engine:
    """Ring buffer, callback body and worker step of a live session.

    Parameters
    ----------
    program : SessionProgram, FixedProgram, AdaptiveProgram or compatible
        What to play (``sr``, ``n_frames``, ``n_channels``, ``ramps``,
        ``next_frames(n)``; adaptive programs also ``observe`` and
        ``lag_frames``).
    monitor : ModelMonitor or None
        Fed with every played frame.
    recorder : Recorder or None
        Gets every played frame.
    block_frames : int
        Frames per produced block (the callback may ask for any number).
    ring_s : float
        Ring length in seconds.
    stop_ramp_s, ramp_s : float
        Stop fade-out, and the ramps for programs without their own (s).

    Notes
    -----
    An adaptive program's ``lag_frames`` is set to the ring's length plus
    :data:`MODEL_LAG_S`: the worker never runs further ahead of the played
    frames, so a thermostat decision scheduled that far after its model step
    always lands on a frame not yet produced.

    Attributes
    ----------
    underruns : int
        Callbacks that found too few frames in the ring.
    underrun_frames : int
        Frames of silence those callbacks wrote instead of program.
    delivered_frames : int
        Frames handed to the device (program and silence).
    stop_at : int or None
        Program frame where the stop ramp began.
    finished : bool
        The callback has played the last frame (the program's or the stop
        ramp's).
    error : BaseException or None
        What stopped :meth:`run_worker`, if anything.
    device_underflows : int
        Output underflows the device driver reported (set by the driver).
    first_sample_s : float or None
        Seconds from the process's start to the first block handed to the
        device (set by the driver; None offline).

    Examples
    --------
    >>> from stimgen.live.program import FixedProgram
    >>> prog = FixedProgram(0.1 * np.ones((2, 4800)), sr=48000, ramps=False)
    >>> eng = Engine(prog)
    >>> played = eng.run_offline()
    >>> eng.finished, eng.underruns, played
    (True, 0, 4800)
    """

    def __init__(self, program, *, monitor=None, recorder=None, block_frames: int = BLOCK_FRAMES,
                 ring_s: float = RING_S, stop_ramp_s: float = STOP_RAMP_S, ramp_s: float = RAMP_IN_S):
        if block_frames < 1:
            raise ParameterError(f"block_frames={block_frames} must be a positive integer")
        self.program = program
        self.monitor = monitor
        self.recorder = recorder
        self.sr = int(program.sr)
        self.block_frames = int(block_frames)
        capacity = max(int(round(ring_s * self.sr)), 2 * self.block_frames)
        self.ring = RingBuffer(capacity, n_channels=program.n_channels)
        self._scratch = np.zeros((capacity, program.n_channels))
        self._n_stop = max(1, int(round(stop_ramp_s * self.sr)))
        self._stop_gain = raised_cosine_ramp(self._n_stop)[::-1].copy()
        n_ramp = 0 if program.ramps else min(int(round(ramp_s * self.sr)), program.n_frames // 2)
        self._ramp = raised_cosine_ramp(n_ramp)
        self._end = int(program.n_frames)
        self._stop_requested = False
        self.stop_at = None
        self.produced = 0
        self.underruns = 0
        self.underrun_frames = 0
        self.delivered_frames = 0
        self.finished = False
        self.error = None
        self.device_underflows = 0
        self.first_sample_s = None
        self._backlog_frames = int(round(MODEL_BACKLOG_S * self.sr))
        if getattr(program, "adaptive", False):
            program.lag_frames = capacity + int(round(MODEL_LAG_S * self.sr))

    # -- state ---------------------------------------------------------------------
    @property
    def played_frames(self) -> int:
        """Program frames played so far."""
        return self.ring.read

    @property
    def stopped_early(self) -> bool:
        """True if the session was stopped before the program's end."""
        return self.stop_at is not None and self._end < self.program.n_frames

    @property
    def done(self) -> bool:
        """Everything played has also been recorded and scored."""
        return self.finished and self.ring.played == 0

    @property
    def stop_requested(self) -> bool:
        """A stop was asked for (the ramp may not have begun yet)."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Ask the callback to fade out over the stop ramp and end (safe from any thread)."""
        self._stop_requested = True

    # -- callback side -----------------------------------------------------------------
    def pull(self, out: np.ndarray) -> None:
        """Fill ``out`` (frames, channels) with the next frames: the audio callback's whole job.

        Parameters
        ----------
        out : numpy.ndarray, shape (n_frames, n_channels)
            The device buffer (any float dtype); written in place.
        """
        ring = self.ring
        n = out.shape[0]
        if self._stop_requested and self.stop_at is None:
            self.stop_at = ring.read
            self._end = min(self._end, ring.read + self._n_stop)
        want = min(n, self._end - ring.read)
        got = 0
        if want > 0:
            if self.stop_at is None:
                got = ring.read_into(out, want)
            else:
                offset = ring.read - self.stop_at
                got = ring.read_into(out, want, gain=self._stop_gain[offset:offset + want])
            if got < want:
                self.underruns += 1
                self.underrun_frames += want - got
        if got < n:
            out[got:] = 0.0
        self.delivered_frames += n
        if ring.read >= self._end:
            self.finished = True

    # -- worker side --------------------------------------------------------------------
    def drain(self) -> bool:
        """Record and score the played frames, free their space; True if there were any."""
        ring = self.ring
        n = ring.played
        observe = getattr(self.program, "observe", None)
        if n == 0:
            return self._catch_up(observe)
        while n > 0:
            k = ring.copy_played(self._scratch, n)
            frames = self._scratch[:k]
            start = ring.released
            stop_at = self.stop_at
            if stop_at is not None and start + k > stop_at:
                a = max(stop_at - start, 0)
                frames[a:] *= self._stop_gain[start + a - stop_at:start + k - stop_at, np.newaxis]
            if self.recorder is not None:
                self.recorder.write(frames)
            if self.monitor is not None:
                for t_s, temperature in self.monitor.feed(frames):
                    if observe is not None:
                        observe(temperature, t_s=t_s)
            ring.release(k)
            n -= k
        return True

    def _catch_up(self, observe) -> bool:
        """Score the frames that waited for a model set up in the background, once it is ready."""
        monitor = self.monitor
        if monitor is None or not getattr(monitor, "waiting", False) or not monitor.ready:
            return False
        for t_s, temperature in monitor.feed(np.zeros((0, self.program.n_channels))):
            if observe is not None:
                observe(temperature, t_s=t_s)
        return True

    def _produce(self) -> bool:
        ring = self.ring
        did = False
        limit = self._end if self.stop_at is not None else self.program.n_frames
        gate = self._model_gate()
        while self.produced < limit:
            m = min(self.block_frames, limit - self.produced)
            if ring.space < m or (gate is not None and self.produced + m > gate):
                break
            frames = self.program.next_frames(m)
            if frames.shape[0] != m:
                raise ParameterError(f"program gave {frames.shape[0]} frames at {self.produced}; expected {m}")
            n_ramp = self._ramp.size
            if n_ramp:
                frames = np.array(frames, dtype=np.float64)
                idx = np.arange(self.produced, self.produced + m)
                head = idx < n_ramp
                frames[head] *= self._ramp[idx[head], np.newaxis]
                tail = idx >= self.program.n_frames - n_ramp
                frames[tail] *= self._ramp[self.program.n_frames - 1 - idx[tail], np.newaxis]
            ring.write(frames)
            self.produced += m
            did = True
        return did

    def _model_gate(self):
        """The last frame the program may produce while the model lags behind the played frames (None: no limit).

        While the model is being set up in the background
        (:meth:`ModelMonitor.start`), played frames wait for it; production
        runs at most :data:`MODEL_BACKLOG_S` past a ring ahead of the frames
        the model has taken.  An adaptive program's thermostat decisions land
        ``lag_frames`` after their model step, on frames not yet produced,
        only if production runs at most one ring ahead of them: so it is held
        to that bound, except before ``program.model_free_frames`` (frames
        that no decision can change: before the hold begins, plus the lag).
        A model fed as the frames play (set up before) never binds the gate.
        """
        if self.monitor is None:
            return None
        scored = getattr(self.monitor, "n_scored", None)
        if scored is None:
            return None
        gate = scored + self.ring.capacity + self._backlog_frames
        if getattr(self.program, "adaptive", False):
            gate = min(gate, max(scored + self.ring.capacity, int(getattr(self.program, "model_free_frames", 0))))
        return gate

    def step(self) -> bool:
        """One turn of the worker: record and score what was played, then produce ahead.

        Returns
        -------
        bool
            True if there was anything to do.
        """
        drained = self.drain()
        produced = self._produce()
        return drained or produced

    def prefill(self) -> None:
        """Produce until the ring is full or the program is complete (before the stream starts)."""
        while self._produce():
            pass

    def run_worker(self, *, poll_s: float | None = None, stop_event=None) -> None:
        """Loop :meth:`step` until :attr:`done` (the body of the worker thread).

        Sleeps ``poll_s`` (default a quarter of a block) when there is nothing
        to do.  An exception is kept in :attr:`error`, a stop is requested,
        and the loop ends.
        """
        poll_s = self.block_frames / self.sr / 4 if poll_s is None else poll_s
        try:
            while not self.done and not (stop_event is not None and stop_event.is_set()):
                if not self.step():
                    time.sleep(poll_s)
        except BaseException as exc:  # reported by the caller
            self.error = exc
            self.request_stop()

    def run_offline(self, *, on_progress=None) -> int:
        """Play the session without a device, as fast as possible (the same frames a device would get).

        Parameters
        ----------
        on_progress : callable or None
            ``on_progress(frames_played, n_frames)`` after each ring's worth.

        Returns
        -------
        int
            Program frames played.
        """
        out = np.zeros((self.block_frames, self.program.n_channels), dtype=np.float32)
        while not self.done:
            self.step()
            # Pull only what is there (an offline session never underruns).
            while not self.finished and 0 < min(self.block_frames, self._end - self.ring.read) <= self.ring.available:
                self.pull(out)
            if on_progress is not None:
                on_progress(self.played_frames, self.program.n_frames)
        return self.played_frames
