"""Harmony: chords from chroma, predicted by long- and short-term memories (IDyOM).

The listener's harmonic expectation (docs/model.md) in the design of
IDyOM (Pearce 2005; Harrison & Pearce 2018 for harmony):

* **Events.**  Each long spectrum becomes a 12-bin chroma (pitch-class
  energy).  It is matched against the 24 major and minor triads, each
  template the chroma of its three notes as harmonic complex tones (partial
  amplitudes ``PARTIAL_DECAY ** (k - 1)``, k = 1..6: the harmonic pitch
  class profiles of Gómez 2006).  A chord event is a change of the best
  triad that holds for ``hold_frames`` frames.
* **Viewpoint.**  Transitions are coded relative to the previous chord
  (root interval and quality), so the model is the same in every key.
* **Long-term memory (LTM).**  Counts of those transitions in order 1
  (context: the previous chord's quality) and order 2 (the two previous
  chords), learned once from a corpus of real music by
  ``scripts/train_harmony.py`` and shipped as ``resonance/data/harmony_ltm.npz``
  (see that script for corpus and licence).
* **Short-term memory (STM).**  The same counts, started blank for each
  stimulus and updated after every chord.
* **Prediction.**  Each memory blends its orders by interpolated smoothing
  (PPM escape method C, Moffat 1990: the higher order is trusted in
  proportion to how much it has seen); the LTM and STM distributions are
  combined by a weighted arithmetic mean with weights ``H_rel ** -b``
  (Pearce 2005), so a sure memory outweighs an unsure one.

Surprise is the information content ``-log2 P(chord | context)`` of each
chord event and uncertainty the entropy of the prediction, both in bits.

**What a chord passes** (:func:`harmonic_pass_share`).  Surprise and
uncertainty interact: pleasure is high for surprising chords in predictable
contexts and for predictable chords in uncertain ones (Cheung et al. 2019).
In predictive coding a prediction error counts in proportion to the
precision of the prediction (Friston 2005; Feldman & Friston 2010).  The
precision of a chord prediction is read from its entropy ``H`` before the
event, ``pi = 1 - H / log2(24)`` (1 for a certain prediction, 0 for a
uniform guess over the 24 transitions).  A listener who trusts the
prediction (weight ``pi``) registers its error, the chord's information
content ``IC``.  One who does not (weight ``1 - pi``) registers what the
chord tells about the prediction itself: the log Bayes factor
``log2 P(chord) - (-H) = H - IC`` of "the prediction is right" against "the
outcome is as unpredictable as the prediction's own entropy says" -- the
evidence that resolves the uncertainty (positive for a chord better
predicted than the context promised, negative for one worse).  So a chord
passes ``pi * IC + (1 - pi) * (H - IC)`` bits (never below 0): the saddle of
Cheung et al. follows -- high for (high IC, low H) and for (low IC, high H),
low for (low, low) and (high, high) -- from the precision weighting, with
no constant chosen for it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from ..errors import DataFileError
from ..hearing.consonance import HarmonicSeparator
from ..validation import check_float, check_int

__all__ = [
    "N_CHORDS",
    "PARTIAL_DECAY",
    "HarmonyModel",
    "HarmonyOutput",
    "chord_templates",
    "chroma_from_spectrum",
    "harmonic_pass_share",
    "label_chroma",
    "transition_symbol",
    "load_ltm",
]

#: 12 major triads (index = root pitch class, C = 0) then 12 minor triads.
N_CHORDS = 24
#: Outcomes of a transition: root interval (0-11) x quality (major, minor).
N_SYMBOLS = 24
#: Amplitude decay per partial of the notes in the chord templates (Gómez 2006
#: uses a geometric decay of the harmonics' contribution; engineering choice).
PARTIAL_DECAY = 0.6
_N_PARTIALS = 6
_EPS = 1e-12


def chord_templates() -> np.ndarray:
    """Chroma templates of the 24 triads (rows unit-norm), shape (24, 12)."""
    return _templates().copy()


@functools.lru_cache(maxsize=1)
def _templates() -> np.ndarray:
    """The templates of :func:`chord_templates`, built once (read-only; every chord label reads them)."""
    note = np.zeros(12)
    for k in range(1, _N_PARTIALS + 1):
        note[int(round(12 * np.log2(k))) % 12] += (PARTIAL_DECAY ** (k - 1)) ** 2
    out = np.zeros((N_CHORDS, 12))
    for root in range(12):
        for quality, third in ((0, 4), (1, 3)):
            for iv in (0, third, 7):
                out[quality * 12 + root] += np.roll(note, root + iv)
    out = out / np.linalg.norm(out, axis=1, keepdims=True)
    out.flags.writeable = False
    return out


def chroma_from_spectrum(mag: np.ndarray, freqs_hz: np.ndarray, *, fmin_hz: float = 55.0, fmax_hz: float = 4200.0):
    """Pitch-class energy of magnitude spectra.

    Each bin's power goes to the nearest equal-tempered pitch class, weighted
    by a Gaussian of 0.3 semitone around it (so leakage between semitones
    counts little).

    Parameters
    ----------
    mag : ndarray, shape (n_bins,) or (n_bins, n)
        Magnitude spectra.
    freqs_hz : ndarray, shape (n_bins,)
        Bin frequencies.
    fmin_hz, fmax_hz : float
        Range of bins used.

    Returns
    -------
    ndarray, shape (12,) or (12, n)
        Chroma (C = 0), not normalised.
    """
    mag = np.asarray(mag, dtype=float)
    return _chroma_matrix(freqs_hz, fmin_hz=fmin_hz, fmax_hz=fmax_hz) @ (mag**2)


def _chroma_matrix(freqs_hz, *, fmin_hz: float = 55.0, fmax_hz: float = 4200.0) -> np.ndarray:
    """The (12, n_bins) weights of :func:`chroma_from_spectrum` (power of each bin to each pitch class)."""
    f = np.asarray(freqs_hz, dtype=float)
    keep = (f >= fmin_hz) & (f <= fmax_hz)
    midi = 69.0 + 12.0 * np.log2(f[keep] / 440.0)
    near = np.round(midi)
    w = np.exp(-0.5 * ((midi - near) / 0.3) ** 2)
    M = np.zeros((12, f.size))
    M[near.astype(int) % 12, np.flatnonzero(keep)] = w
    return M


def label_chroma(chroma: np.ndarray, *, min_contrast: float = 0.15) -> np.ndarray:
    """Best triad of each chroma, or -1 where no triad stands out.

    Parameters
    ----------
    chroma : ndarray, shape (12,) or (12, n)
    min_contrast : float
        The best template's cosine similarity must exceed the mean over the
        24 templates by this much (noise and clusters match all alike).

    Returns
    -------
    ndarray of int
        Chord index (0-11 major, 12-23 minor, root C = 0) or -1.
    """
    c = np.asarray(chroma, dtype=float)
    one = c.ndim == 1
    c = c.reshape(12, -1)
    norm = np.linalg.norm(c, axis=0)
    sim = _templates() @ (c / np.maximum(norm, _EPS))
    best = np.argmax(sim, axis=0)
    ok = (norm > _EPS) & (sim.max(axis=0) - sim.mean(axis=0) >= min_contrast)
    lab = np.where(ok, best, -1)
    return int(lab[0]) if one else lab


def transition_symbol(prev: int, nxt: int) -> int:
    """Key-free code of a chord change: root interval (0-11) + 12 * quality."""
    return int((nxt % 12 - prev % 12) % 12 + 12 * (nxt // 12))


def _context2(c2: int, c1: int) -> int:
    """Order-2 context: quality of the chord before last, interval to the last, its quality."""
    return (c2 // 12) * 24 + transition_symbol(c2, c1)


def load_ltm():
    """The long-term memory shipped with the package.

    Returns
    -------
    order1 : ndarray, shape (2, 24)
        Transition counts given the previous chord's quality.
    order2 : ndarray, shape (48, 24)
        Transition counts given the two previous chords.

    Raises
    ------
    DataFileError
        If the file is missing or malformed (reinstall the package).
    """
    ref = resources.files("resonance") / "data" / "harmony_ltm.npz"
    try:
        with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
            o1 = np.asarray(data["order1"], dtype=float)
            o2 = np.asarray(data["order2"], dtype=float)
    except (OSError, KeyError, ValueError) as exc:
        raise DataFileError(f"harmony long-term memory '{ref}' cannot be read ({exc}); reinstall stimgen") from None
    if o1.shape != (2, N_SYMBOLS) or o2.shape != (48, N_SYMBOLS):
        raise DataFileError(f"harmony long-term memory '{ref}' has shapes {o1.shape}, {o2.shape}; expected (2, 24), (48, 24)")
    return o1, o2


#: Order 0 of :func:`_ppm_c`: uniform over the outcomes (read-only; made once).
_UNIFORM = np.full(N_SYMBOLS, 1.0 / N_SYMBOLS)
_UNIFORM.flags.writeable = False


def _ppm_c(counts1: np.ndarray, counts2: np.ndarray) -> np.ndarray:
    """Blend order-1 and order-2 counts (interpolated smoothing, escape method C).

    Order 0 is uniform over the 24 outcomes; each higher order is mixed in
    with weight ``n / (n + t)`` (n events seen in the context, t distinct
    outcomes among them; Moffat 1990).
    """
    p = _UNIFORM
    for c in (counts1, counts2):
        n = float(c.sum())
        if n > 0:
            t = float(np.count_nonzero(c))
            p = (c + t * p) / (n + t)
    return p if p is not _UNIFORM else _UNIFORM.copy()


def harmonic_pass_share(surprise_bits, entropy_bits):
    """Share of a chord event's energy that passes as neutral energy.

    ``pi * IC + (1 - pi) * (H - IC)`` bits with ``pi = 1 - H / log2(24)``
    (see the module text: precision-weighted prediction error, plus the
    evidence the chord gives for the prediction where the context is
    uncertain), relative to the information of a uniform guess among the
    24 transitions, ``log2(24)`` bits, and clipped to [0, 1].  Relating the
    bits to that guess is an engineering choice.

    Parameters
    ----------
    surprise_bits, entropy_bits : float or ndarray
        Information content of the chord and entropy of its prediction
        (bits); NaN (no context) gives 0.

    Returns
    -------
    float or ndarray
        Share in [0, 1].

    Examples
    --------
    >>> round(float(harmonic_pass_share(8.0, 1.0)), 2)   # surprising, predictable context
    1.0
    >>> round(float(harmonic_pass_share(0.3, 1.0)), 2)   # expected, predictable context
    0.08
    >>> round(float(harmonic_pass_share(1.5, 4.0)), 2)   # expected, uncertain context
    0.52
    >>> round(float(harmonic_pass_share(8.0, 4.0)), 2)   # surprising, uncertain context
    0.0
    """
    ic = np.asarray(surprise_bits, dtype=float)
    h = np.asarray(entropy_bits, dtype=float)
    h_max = np.log2(N_SYMBOLS)
    precision = np.clip(1.0 - h / h_max, 0.0, 1.0)
    bits = precision * ic + (1.0 - precision) * (h - ic)
    share = np.clip(bits / h_max, 0.0, 1.0)
    return np.where(np.isfinite(share), share, 0.0)


def _entropy_bits(p: np.ndarray) -> float:
    q = p[p > 0]
    return float(-(q * np.log2(q)).sum())


@dataclass
class HarmonyOutput:
    """Chord events found in one block of long frames.

    Attributes
    ----------
    chords : list of int
        The chords (0-23) of the events, in order.
    surprise_bits, entropy_bits : list of float
        Information content of each event and entropy of its prediction
        (NaN for the first chord, which has no context).
    frames : list of int
        Index, in the block, of the frame at which each event was
        confirmed (the chord began ``hold_frames - 1`` frames earlier).
    pass_share : list of float
        Share of each event's energy that passes as neutral energy
        (:func:`harmonic_pass_share`; 0 for the first chord).
    harmonic_share : list of float
        Share of the energy of the frame that confirmed each event in its
        harmonic (sustained) part, in [0, 1].
    """

    chords: list
    surprise_bits: list
    entropy_bits: list
    frames: list = field(default_factory=list)
    pass_share: list = field(default_factory=list)
    harmonic_share: list = field(default_factory=list)


class HarmonyModel:
    """Chord expectation from long spectra (streaming; the STM starts blank).

    Parameters
    ----------
    freqs_hz : ndarray
        Frequencies of the spectrum bins.
    hold_frames : int
        A new chord counts once it holds this many consecutive frames
        (2 long frames = 0.19 s at 10.8 frames/s; engineering choice).
    min_contrast : float
        See :func:`label_chroma` (engineering choice).
    min_level : float
        Frames whose power is below this fraction of the stimulus's running
        peak frame power are not labelled (engineering choice: -30 dB).
    bias : float
        Exponent ``b`` of the entropy weights combining LTM and STM (Pearce
        2005; engineering choice 1).
    min_harmonic_share : float
        A frame is labelled only if its harmonic (sustained) part carries
        more than this share of its energy, and its chroma is taken from
        that part alone (causal median-filtering separation over
        ``DEFAULT_HPSS_FRAMES`` frames, Fitzgerald 2010:
        :class:`resonance.hearing.consonance.HarmonicSeparator`).  A chord is
        sustained pitch: drum hits and their short ringing are not heard as
        harmony.  0.5 is the point where the soft mask's sustained part
        outweighs the percussive part (engineering choice at that boundary,
        not fitted; measured per frame: white noise 0.29-0.31, a synthetic
        drum groove median 0.30, a chorale 0.99-1.0).
    ltm : tuple of ndarray or None
        ``(order1, order2)`` counts; ``None`` loads the shipped memory.

    Examples
    --------
    >>> freqs = np.fft.rfftfreq(4096, 1 / 22050)
    >>> h = HarmonyModel(freqs)
    >>> h.ltm_[0].shape
    (2, 24)
    """

    def __init__(self, freqs_hz, *, hold_frames: int = 2, min_contrast: float = 0.15, min_level: float = 1e-3,
                 bias: float = 1.0, ltm=None, min_harmonic_share: float = 0.5):
        self.freqs_hz = freqs_hz
        self.hold_frames = hold_frames
        self.min_contrast = min_contrast
        self.min_level = min_level
        self.bias = bias
        self.ltm = ltm
        self.min_harmonic_share = min_harmonic_share
        self._setup()

    def _setup(self) -> None:
        check_int("hold_frames", self.hold_frames, low=1, high=100)
        check_float("min_contrast", self.min_contrast, low=0.0, high=1.0)
        check_float("min_level", self.min_level, low=0.0, high=1.0)
        check_float("bias", self.bias, low=0.0, high=16.0)
        check_float("min_harmonic_share", self.min_harmonic_share, low=0.0, high=1.0)
        self._chroma_m = _chroma_matrix(self.freqs_hz)  # built once, not per block
        self.ltm_ = load_ltm() if self.ltm is None else tuple(np.asarray(a, dtype=float) for a in self.ltm)
        self._ltm_memo = {}  # (quality, order-2 context or None) -> the LTM's prediction and its weight
        self.reset()

    def reset(self) -> None:
        """Blank short-term memory, no chord heard yet."""
        self.stm1_ = np.zeros((2, N_SYMBOLS))
        self.stm2_ = np.zeros((48, N_SYMBOLS))
        self._history = []  # chords of the events so far (last two kept)
        self._candidate = -1
        self._run = 0
        self._current = -1
        self._peak = 0.0
        self._separator = None  # separates the frames here unless process is handed their harmonic part

    def predict(self) -> np.ndarray | None:
        """Distribution over the next transition symbol, or None without context."""
        h = self._history
        if not h:
            return None
        q1 = h[-1] // 12
        ctx = _context2(h[-2], h[-1]) if len(h) >= 2 else None
        s1 = self.stm1_[q1]
        s2 = self.stm2_[ctx] if ctx is not None else np.zeros(N_SYMBOLS)
        h_max = np.log2(N_SYMBOLS)
        # The long-term memory is fixed: its prediction and weight for a
        # context are computed once and kept (the same values).
        key = (q1, ctx)
        if key not in self._ltm_memo:
            l2 = self.ltm_[1][ctx] if ctx is not None else np.zeros(N_SYMBOLS)
            p_l = _ppm_c(self.ltm_[0][q1], l2)
            self._ltm_memo[key] = (p_l, max(_entropy_bits(p_l) / h_max, 1e-6) ** -self.bias)
        p_l, w_l = self._ltm_memo[key]
        p_s = _ppm_c(s1, s2)
        w_s = max(_entropy_bits(p_s) / h_max, 1e-6) ** -self.bias
        return (w_l * p_l + w_s * p_s) / (w_l + w_s)

    def process(self, spectrum: np.ndarray, *, harmonic=None) -> HarmonyOutput:
        """Feed long magnitude spectra; return the chord events they complete.

        Parameters
        ----------
        spectrum : ndarray, shape (n_bins, n)
        harmonic : ndarray, shape (n_bins, n), or None
            The harmonic part of the frames, already separated by a
            :class:`~resonance.hearing.consonance.HarmonicSeparator` of all
            bins fed every block (the scorer's, shared with consonance);
            ``None``: separated here by one of the defaults.  Give it for
            every block or for none.

        Returns
        -------
        HarmonyOutput
        """
        spectrum = np.asarray(spectrum, dtype=float)
        if harmonic is None:
            if self._separator is None:
                self._separator = HarmonicSeparator(self.freqs_hz)
            harmonic = self._separator.process(spectrum)
        harm = np.asarray(harmonic, dtype=float)
        total = (spectrum**2).sum(axis=0)
        harm2 = harm**2
        share = np.where(total > 0, harm2.sum(axis=0) / np.maximum(total, _EPS), 0.0)
        power = total
        labels = label_chroma(self._chroma_m @ harm2, min_contrast=self.min_contrast)
        out = HarmonyOutput([], [], [])
        # Python floats and ints in the frame loop (the same values; no NumPy
        # scalar per frame).
        power_l, share_l, labels_l = power.tolist(), share.tolist(), labels.tolist()
        min_level, min_share = self.min_level, self.min_harmonic_share
        for j in range(spectrum.shape[1]):
            pw, sh = power_l[j], share_l[j]
            self._peak = max(self._peak, pw)
            heard = pw >= min_level * self._peak and pw > _EPS and sh > min_share
            lab = labels_l[j] if heard else -1
            if lab == self._candidate:
                self._run += 1
            else:
                self._candidate, self._run = lab, 1
            if lab >= 0 and lab != self._current and self._run == self.hold_frames:
                self._event(lab, out)
                out.frames.append(j)
                out.harmonic_share.append(min(sh, 1.0))
        # The events' pass shares in one call (elementwise: the same values
        # as one call per event).
        shares = harmonic_pass_share(np.asarray(out.surprise_bits, dtype=float), np.asarray(out.entropy_bits, dtype=float))
        out.pass_share = shares.tolist()
        return out

    def _event(self, chord: int, out: HarmonyOutput) -> None:
        p = self.predict()
        h = self._history
        if p is None:
            ic = ent = float("nan")
        else:
            sym = transition_symbol(h[-1], chord)
            ic = float(-np.log2(max(p[sym], 1e-12)))
            ent = _entropy_bits(p)
            self.stm1_[h[-1] // 12, sym] += 1
            if len(h) >= 2:
                self.stm2_[_context2(h[-2], h[-1]), sym] += 1
        h.append(chord)
        del h[:-2]
        self._current = chord
        out.chords.append(chord)
        out.surprise_bits.append(ic)
        out.entropy_bits.append(ent)
