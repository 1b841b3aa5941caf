"""Auditory front end: cochlea-like band envelopes, onsets and long spectra.

The front end turns audio at the model rate (:data:`MODEL_SR`) into

* ``level_db`` -- band levels in dB above the hearing floor, ``(n_bands, n)``,
  at the envelope frame rate ``sr / hop_length`` (172 Hz by default, enough to
  follow amplitude modulation up to 64 Hz, docs/model.md);
* ``onset`` -- the band onset drive: the rise of each band's level over the
  last ~10 ms, in dB, half-wave rectified, ``(n_bands, n)``;
* ``spectrum`` -- long-window magnitude spectra ``(n_fft_long // 2 + 1, m)`` for
  pitch, harmonicity, roughness and the innate speech detector.

It is a streaming stage: :meth:`FrontEnd.process` accepts blocks of any length
and keeps the samples it has not framed yet, so processing a signal in one call
or in many blocks gives the same frames.  Frames are causal (no centring).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._jit import njit
from .._scipy_compiled import pocketfft, rfft
from .binaural import BINAURAL_MAX_HZ, correlation_from_sums
from .flux import _FLUX_CHUNK, _band_flux_cols, _band_sums, _running_max, _support
from ..validation import check_finite_array, check_float, check_int

__all__ = ["MODEL_SR", "FrontEnd", "FrontEndFrames", "erb_filterbank"]

#: Sample rate at which the model runs (Hz).
MODEL_SR = 22050

#: Short frames windowed, transformed, reduced and their flux found at a time (engineering
#: choice: the values do not depend on it; on 10 min of real mixes 64 or 128 cost 10-20 % more
#: per block than 256, in the calls per chunk).
_CHUNK = 256

#: Padding of the rows of the chunk's working arrays (values; see :meth:`FrontEnd._setup`).
_PAD = 16


def _r2c():
    """SciPy's compiled real FFT (``pypocketfft.r2c``), which can write into a given array; or None.

    :func:`scipy.fft.rfft` calls it with a fresh output array each time;
    writing the spectra of each chunk of frames into one reused array
    instead keeps that array in cache and costs about a quarter less per
    transform.  Loaded without :mod:`scipy.fft` by
    :func:`resonance._scipy_compiled.pocketfft` (None: another SciPy layout,
    and :func:`_rfft_rows` calls :func:`scipy.fft.rfft`).
    """
    fft = pocketfft()
    return None if fft is None else fft.r2c


def _rfft_rows(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``scipy.fft.rfft(x, axis=-1)`` of C-contiguous float32 rows, the same bits, written into ``out``.

    ``out`` (complex64, the result's shape) may be strided, e.g. the
    transpose of a C-contiguous array, which stores each frame's spectrum
    as a column: the compiled FFT of :func:`_r2c` writes any strides
    (without it, :func:`scipy.fft.rfft`'s array is copied in).  Returns ``out``.
    """
    if _r2c() is not None:
        return rfft(x, axis=-1, out=out)
    out[...] = rfft(x, axis=-1)
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two equally long sample arrays are equal (a different first sample answers at once)."""
    return a.shape == b.shape and (a.size == 0 or (a[0] == b[0] and np.array_equal(a, b)))


def _copy_ear(both: np.ndarray) -> np.ndarray:
    """Both ears' spectra, ``(2 k, n_bins)``: the left ear's ``k`` rows copied to the right's (identical ears)."""
    k = both.shape[0] // 2
    both[k:] = both[:k]
    return both


@dataclass
class FrontEndFrames:
    """Frames produced by one :meth:`FrontEnd.process` call.

    Attributes
    ----------
    level_db : ndarray, shape (n_bands, n)
        Band level in dB above the hearing floor (>= 0).
    onset : ndarray, shape (n_bands, n)
        Onset drive in dB per frame (>= 0): the larger of the band level's
        rise and the band's spectral flux.
    envelope : ndarray, shape (n_bands, n)
        Band amplitude relative to the hearing floor (linear, >= 1).
    flux_db : ndarray, shape (n_bands, n)
        Spectral flux of each band (dB, >= 0; :mod:`resonance.hearing.flux`).
    binaural : ndarray, shape (n_binaural_bands, n)
        Interaural correlation of the bands below
        :data:`~resonance.hearing.BINAURAL_MAX_HZ` (1 for mono input).
    binaural_onset : ndarray, shape (n_binaural_bands, n)
        Rises of the interaural correlation (dB of ``(1 + rho) / 2``, >= 0),
        measured like the level rises: the events of a binaural beat.
    spectrum : ndarray, shape (n_fft_long // 2 + 1, m)
        Long-window magnitude spectra (linear, full-scale sine = 1).
    """

    level_db: np.ndarray
    onset: np.ndarray
    spectrum: np.ndarray
    envelope: np.ndarray = None
    flux_db: np.ndarray = None
    binaural: np.ndarray = None
    binaural_onset: np.ndarray = None


def _hz_to_erb_rate(f_hz):
    """ERB-rate (Cams) of a frequency, Glasberg & Moore (1990) eq. 4."""
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(f_hz, dtype=float))


def _erb_rate_to_hz(erb):
    return (10.0 ** (np.asarray(erb, dtype=float) / 21.4) - 1.0) / 0.00437


def _erb_edges_hz(n_bands: int, fmin_hz: float, fmax_hz: float) -> np.ndarray:
    """``n_bands + 2`` frequencies equally spaced on the ERB-rate scale."""
    return _erb_rate_to_hz(np.linspace(_hz_to_erb_rate(fmin_hz), _hz_to_erb_rate(fmax_hz), n_bands + 2))


def erb_filterbank(*, sr: int, n_fft: int, n_bands: int, fmin_hz: float, fmax_hz: float) -> np.ndarray:
    """Triangular filters equally spaced on the ERB-rate scale.

    The cochlea's frequency map is close to uniform on the ERB-rate scale
    (Glasberg & Moore 1990), so equal spacing there gives each band a similar
    length of basilar membrane.  Each triangle peaks at 1 at its centre; a band
    always keeps at least the FFT bin nearest its centre.

    Parameters
    ----------
    sr : int
        Sample rate (Hz).
    n_fft : int
        FFT size the filters apply to.
    n_bands : int
        Number of bands.
    fmin_hz, fmax_hz : float
        Lower edge of the first band and upper edge of the last.

    Returns
    -------
    ndarray, shape (n_bands, n_fft // 2 + 1)
        Filter weights.
    """
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    edges = _erb_edges_hz(n_bands, fmin_hz, fmax_hz)
    fb = np.zeros((n_bands, freqs.size))
    for b in range(n_bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        fb[b] = np.clip(np.minimum(up, down), 0.0, None)
        fb[b, np.argmin(np.abs(freqs - mid))] = max(fb[b, np.argmin(np.abs(freqs - mid))], 1.0)
    return fb


@njit(cache=True, nogil=True)
def _short_bins(spec, k, stereo, dual, scale, floor, fb, lo, hi, pref, n_bin_bins, fb_bin, lo_bin, hi_bin,
                pw, low, acc, bin_pow, band, bin_sums):  # pragma: no cover  (compiled)
    """Ear powers, bin levels and band sums of ``k`` short frames in one pass.

    ``spec`` holds the frames' spectra as columns, bins along axis 0, each
    complex64 value as its (re, im) pair of float32 (loads that vectorise):
    the left ear's ``k`` columns then, for stereo, the right ear's (the
    left's again if ``dual``: identical ears).  Per frame: the power of
    each bin averaged over the ears in float32 (``(p_l + p_r) * 0.5``, each
    ``p = re * re + im * im``, as NumPy rounds them), into ``pw`` and, as
    ``max(power * scale, floor)``, into ``bin_pow`` (n_bins, k; the caller
    takes the log); each band's power ``sum_f fb[j, f] * power_f / pref``
    into ``band`` (n_bands, k; :func:`~resonance.hearing.flux._band_sums`,
    the frames side by side in ``acc``); for stereo, per binaural band, the
    sums of the interaural cross-power ``re_l re_r + im_l im_r`` and of each
    ear's power over the first ``n_bin_bins`` bins (kept in ``low``), into
    ``bin_sums`` (3, n_binaural_bands, k).  Every frame's values are its
    own (no sum runs across frames).
    """
    n_bins = spec.shape[0]
    right = 0 if dual else k  # first column of the right ear
    half = np.float32(0.5)
    for f in range(n_bins):
        a = spec[f, : 2 * k]
        b = spec[f, 2 * right : 2 * (right + k)]
        p = pw[f]
        if stereo:
            for t in range(k):
                p0 = a[2 * t] * a[2 * t] + a[2 * t + 1] * a[2 * t + 1]
                p1 = b[2 * t] * b[2 * t] + b[2 * t + 1] * b[2 * t + 1]
                p[t] = (p0 + p1) * half
            if f < n_bin_bins:
                cr, pl, pr = low[0, f], low[1, f], low[2, f]
                for t in range(k):
                    pl[t] = a[2 * t] * a[2 * t] + a[2 * t + 1] * a[2 * t + 1]
                    pr[t] = b[2 * t] * b[2 * t] + b[2 * t + 1] * b[2 * t + 1]
                    cr[t] = a[2 * t] * b[2 * t] + a[2 * t + 1] * b[2 * t + 1]
        else:
            for t in range(k):
                p[t] = a[2 * t] * a[2 * t] + a[2 * t + 1] * a[2 * t + 1]
        row = bin_pow[f]
        for t in range(k):
            v = p[t] * scale
            row[t] = v if v > floor else floor
    _band_sums(pw, k, fb, lo, hi, pref, acc, band)
    if stereo:
        for q in range(3):
            _band_sums(low[q], k, fb_bin, lo_bin, hi_bin, 1.0, acc, bin_sums[q])


@njit(cache=True, nogil=True)
def _long_magnitude(spec, k, scale2, out):  # pragma: no cover  (compiled)
    """Root-mean-square of the two ears' magnitudes: ``sqrt((p_l + p_r) * scale2)``.

    Each ear's power ``re * re + im * im`` in float32 (as NumPy rounds it),
    the sum and scaling in float64 -- the operations of the NumPy form.
    """
    n_bins = spec.shape[1]
    for t in range(k):
        a = spec[t]
        b = spec[k + t]
        o = out[t]
        for f in range(n_bins):
            x = a[f]
            y = b[f]
            p0 = x.real * x.real + x.imag * x.imag
            p1 = y.real * y.real + y.imag * y.imag
            o[f] = np.sqrt((np.float64(p0) + np.float64(p1)) * scale2)


class _Framer:
    """Cut one ear's stream into overlapping short and long windows, keeping the unframed tails.

    Both window lengths are cut from one buffer per block (the stream's
    unframed tail followed by the block), so the block is copied once, into
    a buffer kept across blocks (fresh memory costs a page fault per 4 kB
    the first time it is written: more than the copy).
    """

    def __init__(self, sizes):
        self.sizes = tuple(sizes)  # ((n_fft, hop), ...)
        self.left = [0] * len(self.sizes)  # unframed samples at the end of the buffer, per window length
        self._store = np.zeros(0, dtype=np.float32)
        self._start = self._end = 0  # the unframed tail is _store[_start:_end]

    @property
    def buf(self) -> np.ndarray:
        """The unframed tail of the stream (float32)."""
        return self._store[self._start : self._end]

    def push(self, y: np.ndarray) -> list:
        tail = self._end - self._start
        size = tail + y.size
        if size > self._store.size:
            store = np.empty(size, dtype=np.float32)
            store[:tail] = self.buf
            self._store = store
        elif self._start:
            self._store[:tail] = self.buf  # (NumPy copies overlapping ranges correctly)
        buf = self._store[:size]
        buf[tail:] = y  # single precision: the frames only feed float32 FFTs
        out = []
        for i, (n_fft, hop) in enumerate(self.sizes):
            left = self.left[i] + y.size
            start = buf.size - left
            n_frames = 1 + (left - n_fft) // hop if left >= n_fft else 0
            # Overlapping windows as a read-only strided view (sliding_window_view
            # costs more than the FFT of a short live block).
            step = buf.strides[0]
            out.append(as_strided(buf[start:], shape=(n_frames, n_fft), strides=(hop * step, step), writeable=False))
            self.left[i] = left - n_frames * hop
        self._start, self._end = size - max(self.left), size
        return out


class FrontEnd:
    """Cochlea-like band analysis of a mono signal, block by block.

    Parameters
    ----------
    sr : int
        Sample rate of the input (Hz).  The model runs at :data:`MODEL_SR`.
    n_bands : int
        Number of cochlear bands, equally spaced on the ERB-rate scale
        (:func:`erb_filterbank`).  Each band is one tonotopic entry channel.
    fmin_hz, fmax_hz : float
        Range covered by the bands.
    n_fft : int
        Window of the envelope analysis (samples); 512 at 22.05 kHz = 23 ms,
        close to the ~20 ms temporal window of auditory envelope coding.
    hop_length : int
        Hop of the envelope analysis; 128 samples = 5.8 ms, i.e. 172 frames/s
        (modulations up to 86 Hz are represented).
    n_fft_long, hop_length_long : int
        Window and hop of the long spectra used for pitch and consonance
        (4096 / 2048 samples: 5.4 Hz bins, 10.8 frames/s).
    floor_db : float
        Level of the hearing floor relative to a full-scale sine (dB).  With
        full scale played at ~100 dB SPL, -90 dB is near the absolute threshold
        (ISO 226 at mid frequencies).
    onset_lag_s : float
        The onset drive is the rise of the level over this span (s).  About
        10 ms: onset-sensitive neurons of the auditory pathway respond to
        rises over a few milliseconds (Heil 2003), and a lag of two frames
        makes the drive of one onset last about one window (23 ms), so that
        each event is one brief pulse of drive.
    onset_hold_s : float
        The level rise is measured against the highest level of the frames
        in the ``onset_hold_s`` before the lag (forward masking: a sound
        raises the threshold for what follows it for tens of milliseconds,
        decaying over ~100-200 ms; Jesteadt, Bacon & Lehman 1982).  50 ms
        keeps the frame-to-frame fluctuation of a steady noise or a rough
        chord (a few dB in a narrow band) below the intensity JND, while an
        onset above a steady bed still rises by its full amount above the
        bed.  ``0`` compares with the single frame one lag back.
    binaural_gain : float
        Kept for the scorer's configuration (the scorer weighs binaural
        events and modulation by it); the front end reports binaural rises
        unscaled.

    Examples
    --------
    >>> fe = FrontEnd()
    >>> y = np.random.default_rng(0).standard_normal(MODEL_SR) * 0.1
    >>> frames = fe.process(y)
    >>> frames.level_db.shape[0]
    8
    """

    def __init__(
        self,
        *,
        sr: int = MODEL_SR,
        n_bands: int = 8,
        fmin_hz: float = 40.0,
        fmax_hz: float = 10000.0,
        n_fft: int = 512,
        hop_length: int = 128,
        n_fft_long: int = 4096,
        hop_length_long: int = 2048,
        floor_db: float = -90.0,
        onset_lag_s: float = 0.01,
        onset_hold_s: float = 0.05,
        binaural_gain: float = 0.3,
    ):
        self.binaural_gain = binaural_gain
        self.sr = sr
        self.n_bands = n_bands
        self.fmin_hz = fmin_hz
        self.fmax_hz = fmax_hz
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_fft_long = n_fft_long
        self.hop_length_long = hop_length_long
        self.floor_db = floor_db
        self.onset_lag_s = onset_lag_s
        self.onset_hold_s = onset_hold_s
        self._ready = False

    # -- set-up -----------------------------------------------------------------
    def _setup(self) -> None:
        sr = check_int("sr", self.sr, low=8000)
        check_int("n_bands", self.n_bands, low=1, high=64)
        check_int("n_fft", self.n_fft, low=64)
        check_int("hop_length", self.hop_length, low=1, high=self.n_fft)
        check_int("n_fft_long", self.n_fft_long, low=256)
        check_int("hop_length_long", self.hop_length_long, low=1, high=self.n_fft_long)
        check_float("fmin_hz", self.fmin_hz, low=0.0)
        check_float("fmax_hz", self.fmax_hz, low=self.fmin_hz, high=sr / 2, low_inclusive=False)
        check_float("floor_db", self.floor_db, high=0.0)
        check_float("onset_lag_s", self.onset_lag_s, low=0.0, low_inclusive=False, high=0.1)
        check_float("onset_hold_s", self.onset_hold_s, low=0.0, high=0.5)
        win = np.hanning(self.n_fft + 1)[:-1]
        self._win = win
        self._win32 = win.astype(np.float32)
        self._chunk_buf = np.empty((2 * _CHUNK, self.n_fft), dtype=np.float32)  # both ears' windowed frames
        # The chunk's spectra, bin powers and band sums with one frame per
        # column: the compiled pass then reads and sums each bin over the
        # frames with vector instructions.
        # (Rows padded by _PAD values: rows a power of two apart in memory
        # compete for the same cache sets.)
        self._pw_buf = np.empty((self.n_fft // 2 + 1, _CHUNK + _PAD), dtype=np.float32)
        self._spec_buf = np.empty((self.n_fft // 2 + 1, 2 * _CHUNK + _PAD), dtype=np.complex64)
        self._spec_pairs = self._spec_buf.view(np.float32)  # (re, im) pairs
        self._acc_buf = np.empty(_CHUNK)
        self._bins_buf = np.empty((self.n_fft // 2 + 1) * _CHUNK, dtype=np.float32)
        # 0 dB = a full-scale sine: its power summed over all positive-
        # frequency bins is n_fft * sum(win^2) / 4 (Parseval), so a sine read
        # through a band that spans its main lobe has the right level.
        self._pref = self.n_fft * float(np.sum(win**2)) / 4.0
        fb = erb_filterbank(
            sr=sr, n_fft=self.n_fft, n_bands=self.n_bands, fmin_hz=self.fmin_hz, fmax_hz=self.fmax_hz
        )
        self._fb = fb
        self._fb_lo, self._fb_hi = _support(fb)
        self._fb_norm = fb / np.maximum(fb.sum(axis=1, keepdims=True), 1e-12)
        self._fb_norm_lo, self._fb_norm_hi = _support(self._fb_norm)
        # Binaural bands: those centred below the limit of phase locking,
        # restricted to the bins below it.
        centres = self.band_centres_hz
        self.n_binaural_bands = int(np.count_nonzero(centres <= BINAURAL_MAX_HZ))
        freqs = np.fft.rfftfreq(self.n_fft, d=1.0 / sr)
        self._n_bin_bins = int(np.count_nonzero(freqs <= BINAURAL_MAX_HZ))
        self._fb_bin = np.ascontiguousarray(fb[: self.n_binaural_bands, : self._n_bin_bins])
        self._fb_bin_lo, self._fb_bin_hi = _support(self._fb_bin)
        self._low_buf = np.empty((3, self._n_bin_bins, _CHUNK + _PAD), dtype=np.float32)  # cross power, left, right
        self._win_long = np.hanning(self.n_fft_long + 1)[:-1]
        self._win_long32 = self._win_long.astype(np.float32)
        self._long_chunk = max(1, _CHUNK * self.n_fft // self.n_fft_long)
        self._long_chunk_buf = np.empty((2 * self._long_chunk, self.n_fft_long), dtype=np.float32)
        self._long_spec_buf = np.empty((2 * self._long_chunk, self.n_fft_long // 2 + 1), dtype=np.complex64)
        self._long_scale = 2.0 / self._win_long.sum()
        self._buffers = {}  # working arrays by name (_work)
        self._lag = max(1, int(round(self.onset_lag_s * sr / self.hop_length)))
        self._hold = max(1, int(round(self.onset_hold_s * sr / self.hop_length)))
        self.reset()
        self._ready = True

    @property
    def frame_rate_hz(self) -> float:
        """Envelope frame rate (frames per second)."""
        return self.sr / self.hop_length

    @property
    def long_frame_rate_hz(self) -> float:
        """Frame rate of the long spectra (frames per second)."""
        return self.sr / self.hop_length_long

    @property
    def band_centres_hz(self) -> np.ndarray:
        """Centre frequency of each band (Hz), shape (n_bands,)."""
        return _erb_edges_hz(self.n_bands, self.fmin_hz, self.fmax_hz)[1:-1]

    @property
    def long_freqs_hz(self) -> np.ndarray:
        """Frequency of each bin of the long spectra (Hz)."""
        return np.fft.rfftfreq(self.n_fft_long, d=1.0 / self.sr)

    def _work(self, key: str, shape: tuple, dtype) -> np.ndarray:
        """A working array of ``shape``: a view of a buffer kept across calls (uninitialised).

        Fresh memory costs a page fault per 4 kB the first time it is
        written, about as much as the front end's arithmetic on it; the
        arrays a block works in are reused instead (never those returned).
        """
        size = int(np.prod(shape))
        buf = self._buffers.get(key)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self._buffers[key] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)

    def reset(self) -> None:
        """Forget all state (buffers, adaptation)."""
        self._framers = [_Framer([(self.n_fft, self.hop_length), (self.n_fft_long, self.hop_length_long)])
                         for _ in range(2)]
        self._prev = None
        self._bin_prev = None
        self._flux_prev = None
        self._n_channels = None

    # -- processing -------------------------------------------------------------
    def process(self, y: np.ndarray) -> FrontEndFrames:
        """Analyse the next block of a mono or stereo signal.

        Parameters
        ----------
        y : ndarray, shape (n_samples,) or (2, n_samples)
            Next samples of the signal at ``sr`` (any length, may be empty):
            mono, or left and right ear.  A stream keeps the channel count of
            its first block.

        Returns
        -------
        FrontEndFrames
            The frames completed by this block.  Band levels, envelopes and
            onsets are read from the power averaged over the ears; the long
            spectra are the root-mean-square of the ears' magnitudes.

        Raises
        ------
        ParameterError
            If ``y`` is not 1-D or (2, n), changes channel count within a
            stream, or holds NaN or infinite values.
        """
        from ..errors import ParameterError

        if not self._ready:
            self._setup()
        y = np.asarray(y)
        if y.dtype != np.float32:  # float32 blocks (AudioReader's) are analysed as they are
            y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            chans = (y,)
        elif y.ndim == 2 and y.shape[0] == 2:
            chans = (y[0], y[1])
        else:
            raise ParameterError(
                f"y has shape {y.shape}; the front end takes a mono (n,) or stereo (2, n) block"
            )
        if self._n_channels is None:
            self._n_channels = len(chans)
        elif len(chans) != self._n_channels:
            raise ParameterError(
                f"y has {len(chans)} channel(s) but this stream started with {self._n_channels}; "
                "keep the channel count within a stream (reset() to start a new one)"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            finite_sum = bool(np.isfinite(y.sum()))  # a finite sum: every sample is finite
        if y.size and not finite_sum:
            check_finite_array("y", y)
        # Single precision once for both framers (they feed float32 FFTs).
        chans = tuple(x.astype(np.float32, copy=False) for x in chans)
        # Identical ears (a mono recording stored as stereo): the right ear's
        # frames are the left's, so their spectra are computed once and
        # copied (the same bits as transforming both).
        dual = len(chans) == 2 and _same(self._framers[0].buf, self._framers[1].buf) and _same(*chans)
        frames, lframes = zip(*(self._framers[c].push(x) for c, x in enumerate(chans)))
        n = len(frames[0])
        B = self.n_bands
        if n:
            # Single precision is ample for levels in dB (~1e-6 dB) and halves
            # the cost; the band powers are summed in float64 (a float32
            # product's rounding would depend on how the stream is split).
            # The frames are windowed and transformed _CHUNK at a time (both
            # ears into one reused buffer, one FFT call), then reduced by one
            # compiled pass (_short_bins): the working set stays in cache, and
            # every value is computed frame by frame (each FFT row alone), so
            # the same for any split of the stream.
            floor = 10.0 ** (self.floor_db / 10.0)
            stereo = len(frames) == 2
            n_ears = len(frames)
            n_bins = self.n_fft // 2 + 1
            band = self._work("band", (n, B), np.float64)
            bin_sums = self._work("bin_sums", (3, n, self.n_binaural_bands) if stereo else (3, 0, 0), np.float64)
            win = self._chunk_buf
            bin_scale, bin_floor = np.float32(1.0 / self._pref), np.float32(floor)
            span = self._lag + self._hold - 1
            flux = np.empty((B, n))
            rise = self._work("rise", (n_bins, _FLUX_CHUNK + _PAD), np.float32)
            for i in range(0, n, _CHUNK):
                k = min(_CHUNK, n - i)
                for c, f in enumerate(frames[:1] if dual else frames):
                    np.multiply(f[i : i + k], self._win32, out=win[c * k : (c + 1) * k])
                m = k if dual else n_ears * k  # identical ears: the right ear's columns are the left's
                bins = self._bins_buf[: n_bins * k].reshape(n_bins, k)  # the chunk's bin powers, then levels
                _rfft_rows(win[:m], self._spec_buf[:, :m].T)  # each row as if alone, into columns
                _short_bins(
                    self._spec_pairs, k, stereo, dual, bin_scale, bin_floor, self._fb, self._fb_lo, self._fb_hi,
                    self._pref, self._n_bin_bins, self._fb_bin, self._fb_bin_lo, self._fb_bin_hi,
                    self._pw_buf, self._low_buf, self._acc_buf, bins, band[i : i + k].T,
                    bin_sums[:, i : i + k].transpose(0, 2, 1),
                )
                # Level of each bin (dB above the floor), one frame per column.
                np.log10(bins, out=bins)
                bins *= np.float32(10.0)
                bins -= np.float32(self.floor_db)
                # Spectral change within each band (chord changes, new notes in
                # a dense mix): band-wise SuperFlux against the reference of the
                # level onsets below (the previous frames carried across chunks
                # and blocks).
                if self._flux_prev is None:
                    self._flux_prev = np.repeat(bins[:, :1], span, axis=1)
                _, self._flux_prev = _band_flux_cols(
                    bins, self._flux_prev, hold=self._hold, fb=self._fb_norm, lo=self._fb_norm_lo,
                    hi=self._fb_norm_hi, rise=rise, out=flux[:, i : i + k],
                )
            level = 10.0 * np.log10(np.maximum(band, floor)) - self.floor_db
            level = level.T  # (n_bands, n)
            envelope = np.sqrt(np.maximum(band, floor) / floor).T
            # Onset drive: rise of the level over the last ``onset_lag`` frames.
            # The previous frames of the stream are carried across blocks.
            # The reference is the highest level heard in the ``hold`` frames
            # before that span (forward masking): a rise counts only above
            # what was just heard, so the frame-to-frame fluctuation of a
            # steady noise or a rough chord is not taken for onsets.
            prev = np.repeat(level[:, :1], span, axis=1) if self._prev is None else self._prev
            ext = np.concatenate([prev, level], axis=1)
            if self._hold == 1:
                ref = ext[:, :n]
            else:
                ref = _running_max(ext[:, : n + self._hold - 1].T, self._hold).T
            onset = level - ref
            self._prev = ext[:, -span:]
            np.maximum(onset, 0.0, out=onset)
            np.maximum(onset, flux, out=onset)
            if stereo:
                binaural = correlation_from_sums(bin_sums[0], bin_sums[1], bin_sums[2], floor=floor * self._pref)
                # Binaural events: rises of the interaural correlation.
                bdb = 20.0 * np.log10(np.maximum(0.5 * (1.0 + binaural), 0.01))
                prev = np.repeat(bdb[:, :1], span, axis=1) if self._bin_prev is None else self._bin_prev
                bext = np.concatenate([prev, bdb], axis=1)
                if self._hold == 1:
                    bref = bext[:, :n]
                else:
                    bref = _running_max(bext[:, : n + self._hold - 1].T, self._hold).T
                self._bin_prev = bext[:, -span:]
                binaural_onset = np.maximum(bdb - bref, 0.0)
            else:
                binaural = np.ones((self.n_binaural_bands, n))
                binaural_onset = np.zeros((self.n_binaural_bands, n))
        else:
            level = np.zeros((B, 0))
            onset = np.zeros((B, 0))
            envelope = np.ones((B, 0))
            flux = np.zeros((B, 0))
            binaural = np.ones((self.n_binaural_bands, 0))
            binaural_onset = np.zeros((self.n_binaural_bands, 0))
        if len(lframes[0]):
            # In chunks of frames, as the short frames (the same values).
            m = len(lframes[0])
            out = np.empty((m, self.n_fft_long // 2 + 1))  # returned transposed: (bins, frames)
            win = self._long_chunk_buf
            step = self._long_chunk
            for i in range(0, m, step):
                k = min(step, m - i)
                for c, f in enumerate(lframes[:1] if dual else lframes):
                    np.multiply(f[i : i + k], self._win_long32, out=win[c * k : (c + 1) * k])
                if dual:
                    _rfft_rows(win[:k], self._long_spec_buf[:k])
                    lspec = _copy_ear(self._long_spec_buf[: 2 * k])
                else:
                    lspec = _rfft_rows(win[: len(lframes) * k], self._long_spec_buf[: len(lframes) * k])
                o = out[i : i + k]
                if len(lframes) == 2:
                    # Power of each ear from (re, im) in float32 (relative
                    # rounding ~1e-7), summed over the ears in float64.
                    _long_magnitude(lspec, k, 0.5 * self._long_scale**2, o)
                else:
                    o[...] = np.abs(lspec)
                    o *= self._long_scale
            spectrum = out.T
        else:
            spectrum = np.zeros((self.n_fft_long // 2 + 1, 0))
        return FrontEndFrames(
            level_db=level, onset=onset, spectrum=spectrum, envelope=envelope, flux_db=flux, binaural=binaural,
            binaural_onset=binaural_onset,
        )
