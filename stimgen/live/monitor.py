"""The model listening along: :class:`resonance.Scorer` fed with the frames that were played.

The frames are mixed to mono (the mean of the channels, as
:func:`resonance.score_signal` does), resampled to the model rate with
soxr's streaming resampler (quality ``'HQ'``, whose output equals a one-shot
resample), and passed to :meth:`resonance.Scorer.process`, the same stage
objects ``stimgen score`` runs.  After each completed model step (0.37 s) a
:attr:`ModelMonitor.snapshot` is taken from :meth:`resonance.Scorer.result`
(its public read-out).
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["N_STRONGEST", "ModelMonitor"]

#: Harmonics listed as the strongest in a snapshot.
N_STRONGEST = 5


class ModelMonitor:
    """Feed played audio to the model; keep its latest state.

    Parameters
    ----------
    harmonics : resonance.Harmonics or None
        Connectome harmonics (None: the default connectome's, computed in
        :meth:`start`).
    sr : int
        Sample rate of the frames fed.
    config : resonance.ModelConfig or None
        Model constants.

    Attributes
    ----------
    snapshot : dict or None
        After the first model step: ``t_s`` (model time, s), ``temperature``
        (SNE, score units), ``absorbed`` (absorbed energy, score units),
        ``neutral_power``, ``n_steps``, ``strongest`` (list of
        ``(mode index, frequency Hz, share of the SNE)``), and ``history``
        (the temperature of every step so far, 1-D array).
    n_fed : int
        Frames fed so far.
    n_scored : int
        Frames the model has taken so far (behind :attr:`n_fed` while a
        background set-up runs).

    Examples
    --------
    >>> from resonance import connectome_harmonics       # doctest: +SKIP
    >>> mon = ModelMonitor(connectome_harmonics(), sr=48000)   # doctest: +SKIP
    >>> steps = mon.feed(frames)                         # doctest: +SKIP
    >>> result = mon.finish()                            # doctest: +SKIP
    """

    def __init__(self, harmonics=None, *, sr: int, config=None):
        self.harmonics = harmonics
        self.sr = int(sr)
        self.config = config
        self.snapshot = None
        self.n_fed = 0
        self.n_scored = 0
        self._scorer = None
        self._resampler = None
        self._n_steps = 0
        self._thread = None
        self._ready = threading.Event()
        self._start_lock = threading.Lock()
        self._error = None
        self._backlog = []

    @property
    def ready(self) -> bool:
        """The model is set up (frames fed now are scored at once)."""
        return self._ready.is_set()

    @property
    def waiting(self) -> bool:
        """Frames fed during a background set-up wait to be scored."""
        return bool(self._backlog)

    def start(self, *, background: bool = False) -> None:
        """Set the model up now (its imports and reference energies take a moment), not on the first block.

        Parameters
        ----------
        background : bool
            Set it up in a thread (``stimgen play`` does so once the stream
            has started, so the first sample does not wait for the model).
            Frames fed meanwhile are kept (copied) and scored, in order, by
            the first :meth:`feed` after the set-up; :attr:`n_scored` counts
            the frames the model has taken.
        """
        with self._start_lock:  # one set-up, whichever thread asks first
            if self._thread is not None or self.ready:
                return
            if not background:
                self._setup()
                return
            self._thread = threading.Thread(target=self._setup_caught, name="stimgen-model", daemon=True)
            self._thread.start()

    def _setup_caught(self) -> None:
        try:
            self._setup()
        except BaseException as exc:  # re-raised by feed() or finish(), in the caller's thread
            self._error = exc

    def _setup(self) -> None:
        import soxr

        from resonance import Scorer
        from resonance.hearing.frontend import MODEL_SR

        if self.harmonics is None:
            from resonance import connectome_harmonics

            self.harmonics = connectome_harmonics()
        scorer = Scorer(self.harmonics, config=self.config)
        scorer.process(np.zeros(0))  # runs the set-up (an empty block changes no state)
        if self.sr != MODEL_SR:
            self._resampler = soxr.ResampleStream(self.sr, MODEL_SR, 1, dtype="float64", quality="HQ")
        self._scorer = scorer
        self._ready.set()

    def _wait(self) -> None:
        """Wait for a background set-up (or run it here); re-raise its error."""
        if self._thread is not None:
            self._thread.join()
        elif not self.ready:
            self._setup()
        if self._error is not None:
            raise self._error

    def feed(self, frames: np.ndarray) -> list[tuple[float, float]]:
        """Feed played frames; return the model steps they completed.

        Parameters
        ----------
        frames : numpy.ndarray, shape (n_frames, n_channels)
            The next played frames.

        Returns
        -------
        list of (float, float)
            ``(t_s, temperature)`` of each model step completed, in order
            (none while a background set-up runs: the frames wait).
        """
        n = frames.shape[0]
        if self._error is not None:
            raise self._error
        if not self.ready:
            if self._thread is None:
                self.start()
            else:
                if n:
                    self._backlog.append(np.array(frames, dtype=np.float64))
                    self.n_fed += n
                return []
        completed = 0
        if self._backlog:
            waiting, self._backlog = self._backlog, []
            completed += self._score(np.concatenate(waiting))
        if n:
            self.n_fed += n
            completed += self._score(frames)
        return self._read() if completed else []

    def _score(self, frames: np.ndarray) -> int:
        """Give frames to the model; return the number of model steps completed."""
        mono = frames.mean(axis=1)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(np.ascontiguousarray(mono))
        self.n_scored += frames.shape[0]
        return self._scorer.process(mono) if mono.size else 0

    def _read(self) -> list[tuple[float, float]]:
        result = self._scorer.result()
        tl = result.timeline
        new = [(float(t), float(s)) for t, s in zip(tl["t_s"][self._n_steps:], tl["sne"][self._n_steps:], strict=True)]
        self._n_steps = tl["sne"].size
        energy = tl["mode_energy"][:, -1].astype(float)
        total = float(energy.sum())
        order = np.argsort(energy)[::-1][:N_STRONGEST]
        freqs = result.mode_frequencies_hz
        self.snapshot = {
            "t_s": float(tl["t_s"][-1]),
            "temperature": float(tl["sne"][-1]),
            "absorbed": float(tl["absorbed"][-1]),
            "neutral_power": float(tl["neutral_power"][-1]),
            "n_steps": int(tl["sne"].size),
            "strongest": [(int(k), float(freqs[k]), float(energy[k] / total) if total > 0 else 0.0) for k in order],
            "history": tl["sne"],
        }
        return new

    def finish(self):
        """Flush the resampler and return the model's summary of everything fed.

        Returns
        -------
        resonance.ScoreResult

        Raises
        ------
        resonance.ParameterError
            If too little audio was played for one model step.
        """
        self._wait()
        if self._backlog:
            self.feed(np.zeros((0, 1)))
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0), last=True)
            if tail.size:
                self._scorer.process(tail)
            self._resampler = None
        return self._scorer.result()
