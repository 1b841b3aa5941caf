"""Energy sinks: predictive models that learn a stimulus from scratch.

An energy sink (MODEL.md 2.6) is a top-down predictive model.  What it
predicts it absorbs; what surprises it passes on as energy.  Here each
cochlear band has one sink: an online logistic predictor of the band's
onset events from the recent past of that band and of all bands together.

* It starts blank for every stimulus (weights zero, prior event rate only):
  no pre-training on anything (Byrnes 2024, "learning from scratch").
* It learns only from prediction errors ``o - p`` (what arrived minus what
  was expected) -- the delta rule of Rescorla & Wagner (1972), i.e. a
  temporal-difference error with zero discount, applied online after each
  short block of frames (Sutton & Barto 2018, ch. 6 and 9: semi-gradient
  updates of a linear function approximator).
* Its history features reach back ``memory_s`` seconds, so a pattern that
  repeats within that span can be learned exactly: repetition habituates,
  and it does so over as many repetitions as the learning rate needs.

Predictions are Bernoulli probabilities per frame, so surprise (information
content, -log2 p of what happened) and uncertainty (entropy of the
predictive distribution) are in bits, as in IDyOM (Pearce 2005) and Cheung
et al. (2019).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .validation import check_float, check_int

__all__ = ["OnsetSinks", "SinkOutput", "event_strength"]

_EPS = 1e-6


def event_strength(onset_db: np.ndarray, *, jnd_db: float = 1.0, scale_db: float = 6.0) -> np.ndarray:
    """Salience of onsets in [0, 1) from the onset drive in dB.

    A level rise below the intensity just-noticeable difference (~1 dB,
    Jesteadt, Wier & Green 1977) is not an event; above it, salience grows
    and saturates with a scale of ``scale_db`` (6 dB = a doubling of
    amplitude).

    Parameters
    ----------
    onset_db : ndarray
        Onset drive (level rise above the adapted level) in dB.
    jnd_db : float
        Intensity just-noticeable difference (dB).
    scale_db : float
        Saturation scale (dB).

    Returns
    -------
    ndarray
        Event strength, same shape as ``onset_db``.

    Examples
    --------
    >>> float(event_strength(np.array([0.5]))[0])
    0.0
    """
    x = np.maximum(np.asarray(onset_db, dtype=float) - jnd_db, 0.0)
    return -np.expm1(-x / scale_db)


@dataclass
class SinkOutput:
    """What the sinks made of one block.

    Attributes
    ----------
    p : ndarray, shape (n_bands, n)
        Predicted probability of an event in each sink frame, made before
        the frame arrived.
    o : ndarray, shape (n_bands, n)
        Event strength that arrived (pooled to the sink rate).
    surprise_bits : ndarray, shape (n_bands, n)
        Information content of what arrived, ``-[o log2 p + (1-o) log2(1-p)]``.
    entropy_bits : ndarray, shape (n_bands, n)
        Entropy of the predictive distribution, ``H(p)``.
    """

    p: np.ndarray
    o: np.ndarray
    surprise_bits: np.ndarray
    entropy_bits: np.ndarray


class OnsetSinks:
    """Per-band online predictors of onset events (the energy sinks).

    Parameters
    ----------
    n_bands : int
        Number of bands (one sink each).
    frame_rate_hz : float
        Rate of the sink frames (events are pooled to this rate).
    memory_s : float
        How far back the history features reach (s).  Patterns that repeat
        within this span can be learned; a bar of 4/4 at 60 BPM is 4 s.
    learning_rate : float
        Step size of the delta rule (per block, normalised by the squared
        norm of the features, as in normalised LMS).  Sets how many
        repetitions habituation takes.
    block_frames : int
        Frames per learning block (weights change after each block).
    prior_rate : float
        Event probability per frame before anything is learned.
    l2_decay : float
        Weight decay per block (forgetting), keeping weights bounded.

    Examples
    --------
    >>> sinks = OnsetSinks(n_bands=1, frame_rate_hz=43.0)
    >>> o = np.zeros((1, 430)); o[0, ::43] = 1.0
    >>> out = sinks.process(o)
    >>> out.p.shape
    (1, 430)
    """

    def __init__(
        self,
        *,
        n_bands: int = 8,
        frame_rate_hz: float = 43.066,
        memory_s: float = 4.0,
        learning_rate: float = 0.5,
        block_frames: int = 16,
        prior_rate: float = 0.02,
        l2_decay: float = 1e-4,
    ):
        self.n_bands = n_bands
        self.frame_rate_hz = frame_rate_hz
        self.memory_s = memory_s
        self.learning_rate = learning_rate
        self.block_frames = block_frames
        self.prior_rate = prior_rate
        self.l2_decay = l2_decay
        self._ready = False

    def _setup(self) -> None:
        check_int("n_bands", self.n_bands, low=1)
        check_float("frame_rate_hz", self.frame_rate_hz, low=0.0, low_inclusive=False)
        check_float("memory_s", self.memory_s, low=0.0, low_inclusive=False)
        check_float("learning_rate", self.learning_rate, low=0.0)
        check_int("block_frames", self.block_frames, low=1)
        check_float("prior_rate", self.prior_rate, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_float("l2_decay", self.l2_decay, low=0.0, high=1.0)
        self.n_lags_ = max(1, int(round(self.memory_s * self.frame_rate_hz)))
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Return to a blank state: no weights, no history."""
        n_lags = max(1, int(round(self.memory_s * self.frame_rate_hz)))
        self.n_lags_ = n_lags
        # Features: own-band history (n_lags) + all-band mean history (n_lags).
        self.w_ = np.zeros((self.n_bands, 2 * n_lags))
        self.b_ = np.full(self.n_bands, np.log(self.prior_rate / (1.0 - self.prior_rate)))
        self._hist = np.zeros((self.n_bands, n_lags))
        self._pending = np.zeros((self.n_bands, 0))

    def process(self, o: np.ndarray) -> SinkOutput:
        """Predict, then learn from, the next frames of event strength.

        Parameters
        ----------
        o : ndarray, shape (n_bands, n)
            Event strength in [0, 1] per band and sink frame.

        Returns
        -------
        SinkOutput
            Predictions made before each frame arrived, and the surprise.
        """
        if not self._ready:
            self._setup()
        o = np.asarray(o, dtype=float)
        n = o.shape[1]
        p_all = np.empty_like(o)
        L = self.n_lags_
        # The whole history at once: the last L learned frames, the pending
        # ones, then the new frames; each frame is predicted from the L frames
        # before it in this record (own band, newest first, and the band mean).
        ext = np.concatenate([self._hist, self._pending, o], axis=1)
        win_own = sliding_window_view(ext, L, axis=1)[:, :-1, ::-1]  # frame L + j from window j
        win_all = sliding_window_view(ext.mean(axis=0), L)[:-1, ::-1]
        q = L + self._pending.shape[1]  # next frame of ext to predict
        first = L  # first pending frame
        start = 0
        while start < n:
            # Blocks are aligned to the stimulus clock so that any split of
            # the input gives the same learning schedule.
            stop = min(n, start + self.block_frames - (q - first))
            q_stop = q + stop - start
            m = q_stop - first
            n_new = stop - start
            # Predictions for the pending frames of this block (features: past only).
            phi_own, phi_all = win_own[:, first - L : q_stop - L], win_all[first - L : q_stop - L]
            z = np.einsum("bnl,bl->bn", phi_own, self.w_[:, :L]) + (phi_all @ self.w_[:, L:].T).T + self.b_[:, None]
            p = 1.0 / (1.0 + np.exp(-z))
            p_all[:, start:stop] = p[:, m - n_new :]
            if m == self.block_frames:
                self._learn(phi_own, phi_all, p, ext[:, first:q_stop])
                first = q_stop
            q = q_stop
            start = stop
        self._hist = ext[:, first - L : first].copy()
        self._pending = ext[:, first:].copy()
        p = np.clip(p_all, _EPS, 1.0 - _EPS)
        log_p, log_q = np.log2(p), np.log2(1.0 - p)
        surprise = -(o * log_p + (1.0 - o) * log_q)
        entropy = -(p * log_p + (1.0 - p) * log_q)
        return SinkOutput(p=p, o=o, surprise_bits=surprise, entropy_bits=entropy)

    def _features(self, full: np.ndarray, m: int):
        """History features for the last ``m`` frames of ``full``."""
        L = self.n_lags_
        # windows[:, j, :] = full[:, j : j + L]; frame L + j is predicted from it.
        win = sliding_window_view(full, L, axis=1)[:, -m - 1 : -1, ::-1]  # (bands, m, L) newest first
        phi_own = win
        phi_all = win.mean(axis=0)  # (m, L)
        return phi_own, phi_all

    def _learn(self, phi_own, phi_all, p, target) -> None:
        err = target - p  # prediction error per band and frame
        norm = np.einsum("bnl,bnl->b", phi_own, phi_own) + np.einsum("nl,nl->", phi_all, phi_all) + 1.0
        step = self.learning_rate / norm
        grad_own = np.einsum("bn,bnl->bl", err, phi_own)
        grad_all = err @ phi_all
        L = self.n_lags_
        self.w_ *= 1.0 - self.l2_decay
        self.w_[:, :L] += step[:, None] * grad_own
        self.w_[:, L:] += step[:, None] * grad_all
        self.b_ += step * err.sum(axis=1)
