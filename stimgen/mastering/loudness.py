"""Integrated loudness after ITU-R BS.1770-4 (K-weighting, 400 ms gating blocks), whole or streamed.

The K-weighting filter is stated here from its definition (BS.1770-4, Annex 1):
a high shelf of +4 dB above about 1.5 kHz (the acoustic effect of the head)
and a second-order high pass at 38 Hz (the revised low-frequency B-curve).
Both are designed at the signal's rate from those parameters with the
bilinear-transform biquads of R. Bristow-Johnson's *Audio EQ Cookbook*
(shelf Q = 1/sqrt(2), high-pass Q = 0.5); at 48 kHz they match the
coefficients printed in the standard to 1e-3 or better, and
``tests/test_mastering.py`` compares the loudness with ``pyloudnorm.Meter``.

:class:`LoudnessMeter` keeps only the energy of each 100 ms segment (the hop
of the 400 ms blocks), so a session of any length is measured in constant
memory apart from 10 numbers per second per channel.
"""

from __future__ import annotations

import functools
import math
from array import array

import numpy as np

from ..errors import ParameterError
from ._common import BS1770_BLOCK_S, _as_channels, _check_sr
from ._kernels import sosfilt_pair, sosfilt_rows

__all__ = ["K_SHELF_GAIN_DB", "K_SHELF_HZ", "K_HIGHPASS_HZ", "k_weighting_sos", "integrated_loudness_lufs",
           "KWeighting", "LoudnessMeter"]

#: Gain of the K-weighting high shelf, dB (ITU-R BS.1770-4, Annex 1).
K_SHELF_GAIN_DB = 4.0
#: Centre frequency of the K-weighting high shelf, Hz (BS.1770-4; the 48 kHz
#: coefficients of the standard correspond to about 1.5 kHz).
K_SHELF_HZ = 1500.0
#: Corner of the K-weighting high pass, Hz (BS.1770-4's RLB curve, about 38 Hz).
K_HIGHPASS_HZ = 38.0

#: Gating-block hop as a fraction of the block (75 % overlap).
_HOP_FRACTION = 0.25
#: Segments (hops) per gating block.
_SEGMENTS_PER_BLOCK = 4

def integrated_loudness_lufs(y, *, sr: int) -> float:
    """Integrated loudness of a mono or stereo signal (ITU-R BS.1770-4).

    K-weighting, 400 ms blocks with 75 % overlap, absolute gate at -70 LUFS and
    relative gate at -10 LU (channel weights 1, as for stereo); only complete
    400 ms blocks count.

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values.
    sr : int
        Sample rate in Hz, in [8000, 384000].

    Returns
    -------
    float
        Loudness in LUFS; ``-inf`` for silence (every gating block below the
        absolute gate of -70 LUFS).

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite, has more than 2 channels, or lasts less
        than one gating block (:data:`BS1770_BLOCK_S` = 0.4 s; signals are
        not padded, because padding with silence would change the result), or
        if ``sr`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> sr = 48000
    >>> t = np.arange(5 * sr) / sr
    >>> y = np.tile(0.1 * np.sin(2 * np.pi * 1000 * t), (2, 1))
    >>> round(integrated_loudness_lufs(y, sr=sr), 1)  # 1 kHz at -20 dBFS per channel
    -20.0
    """
    sr = _check_sr(sr)
    arr = _as_channels(y)
    n = arr.shape[1]
    if n < BS1770_BLOCK_S * sr:
        raise ParameterError(
            f"y lasts {n / sr:.3g} s ({n} samples at sr={sr}); integrated loudness needs at least "
            f"{BS1770_BLOCK_S} s (one ITU-R BS.1770 gating block)"
        )
    meter = LoudnessMeter(sr=sr, n_channels=arr.shape[0])
    meter.process(arr)
    return meter.loudness_lufs()


@functools.lru_cache(maxsize=16)
def k_weighting_sos(sr: int) -> np.ndarray:
    """Second-order sections (2, 6) of the K-weighting filter at ``sr`` (read-only).

    Stage 1: high shelf, +:data:`K_SHELF_GAIN_DB` dB at :data:`K_SHELF_HZ`,
    Q = 1/sqrt(2); stage 2: high pass at :data:`K_HIGHPASS_HZ`, Q = 0.5; both
    Audio-EQ-Cookbook biquads normalised to a0 = 1.

    Examples
    --------
    >>> k_weighting_sos(48000)[0, :3].round(3).tolist()  # BS.1770-4 Table 1: 1.535, -2.692, 1.198
    [1.535, -2.692, 1.198]
    """
    gain = 10.0 ** (K_SHELF_GAIN_DB / 40.0)  # the cookbook's A
    w0 = 2.0 * math.pi * K_SHELF_HZ / sr
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * (1.0 / math.sqrt(2.0)))
    root = 2.0 * math.sqrt(gain) * alpha
    shelf = [
        gain * ((gain + 1) + (gain - 1) * cos_w0 + root),
        -2.0 * gain * ((gain - 1) + (gain + 1) * cos_w0),
        gain * ((gain + 1) + (gain - 1) * cos_w0 - root),
        (gain + 1) - (gain - 1) * cos_w0 + root,
        2.0 * ((gain - 1) - (gain + 1) * cos_w0),
        (gain + 1) - (gain - 1) * cos_w0 - root,
    ]
    w0 = 2.0 * math.pi * K_HIGHPASS_HZ / sr
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * 0.5)
    highpass = [(1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2, 1 + alpha, -2.0 * cos_w0, 1 - alpha]
    sos = np.array([shelf, highpass], dtype=np.float64)
    sos /= sos[:, 3:4]
    sos.setflags(write=False)
    return sos


def _segment_bound(k: int, sr: int) -> int:
    """First sample of 100 ms segment ``k`` (segments of ``sr // 10`` samples, exact for 44.1 and 48 kHz)."""
    return (k * sr) // 10


class KWeighting:
    """The K-weighting filter of a 1- or 2-channel signal fed in pieces: the squares of its output.

    The filter starts at rest; its state is carried from piece to piece.  Two
    channels are filtered at once as the real and imaginary parts of one
    complex signal (:func:`~stimgen.mastering._kernels.sosfilt_pair`: the
    same values as filtering each; its kernel is 20-25 % faster on its own,
    a few per cent within ``stimgen generate``).

    Not a compiled (numba) kernel: in a process that does not already use
    numba (``stimgen generate --no-score``, ``stimgen play``), importing it
    and loading one cached kernel costs 0.65-0.68 s of CPU (its typing and
    target registries, and SciPy's BLAS check), more than a fused filter,
    square and sum would save on 10 minutes of stereo (about 0.2 s).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_channels : int
        1 or 2.
    """

    def __init__(self, *, sr: int, n_channels: int):
        self.n_channels = int(n_channels)
        self._sos = np.array(k_weighting_sos(sr))
        if self.n_channels == 2:
            self._sos = self._sos.astype(np.complex128)
            self._state = np.zeros((1, self._sos.shape[0], 2), dtype=np.complex128)
        else:
            self._state = np.zeros((self.n_channels, self._sos.shape[0], 2))
        self._work = np.empty((self.n_channels, 0))  # reused while the pieces keep their length
        self._pair = np.empty(0, dtype=np.complex128)

    def squares(self, y: np.ndarray) -> np.ndarray:
        """Squares of the K-weighted ``y`` (float64, shape (n_channels, m)); a buffer reused by the next call."""
        m = y.shape[1]
        if self._work.shape != y.shape:
            self._work = np.empty(y.shape)
            self._pair = np.empty(m if self.n_channels == 2 else 0, dtype=np.complex128)
        sq = self._work
        if self.n_channels == 2:
            pair = self._pair
            pair.real, pair.imag = y  # one row at a time (a strided 2-D copy is several times slower)
            sosfilt_pair(self._sos, pair, self._state)
            np.square(pair.real, out=sq[0])
            np.square(pair.imag, out=sq[1])
        else:
            np.copyto(sq, y)
            sosfilt_rows(self._sos, sq, self._state)
            np.square(sq, out=sq)
        return sq

    def segment_sums(self, y: np.ndarray, starts: list) -> np.ndarray:
        """``np.add.reduceat(self.squares(y), starts, axis=-1)``, the same values, with one pass fewer.

        Two channels are squared in place in the filtered complex row's
        (frames, 2) float view (contiguous) and each range ``[starts[j],
        starts[j + 1])`` is summed down that view's columns: the same
        reduction of the same values, so the same bits
        (``tests/test_mastering.py``).
        """
        if self.n_channels != 2:
            return np.add.reduceat(self.squares(y), starts, axis=-1)
        m = y.shape[1]
        if self._pair.size != m:
            self._pair = np.empty(m, dtype=np.complex128)
            self._work = np.empty((self.n_channels, 0))  # squares() sizes its buffers again
        pair = self._pair
        pair.real, pair.imag = y  # one row at a time (a strided 2-D copy is several times slower)
        sosfilt_pair(self._sos, pair, self._state)
        both = pair.view(np.float64).reshape(m, 2)  # (frames, [left, right])
        np.square(both, out=both)
        return np.add.reduceat(both, starts, axis=0).T


class LoudnessMeter:
    """Integrated loudness of a signal fed in pieces (ITU-R BS.1770-4).

    The K-weighted signal is squared and summed per 100 ms segment (the hop
    of the 400 ms gating blocks) with the filter state carried from piece to
    piece; only those sums are kept (10 per second per channel).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_channels : int
        1 or 2.
    hop : int or None
        If given, also keep the K-weighted energy (summed over channels) of
        every ``hop`` samples, for :meth:`cumulative_energy` (the reference
        of the live loudness governor; 8 bytes per hop).

    Examples
    --------
    >>> import numpy as np
    >>> sr = 48000
    >>> y = np.tile(0.1 * np.sin(2 * np.pi * 1000 * np.arange(5 * sr) / sr), (2, 1))
    >>> meter = LoudnessMeter(sr=sr, n_channels=2)
    >>> for a in range(0, y.shape[1], 10000):
    ...     meter.process(y[:, a:a + 10000])
    >>> round(meter.loudness_lufs(), 1)
    -20.0
    """

    def __init__(self, *, sr: int, n_channels: int, hop: int | None = None):
        self.sr = _check_sr(sr)
        self.hop = None if hop is None else int(hop)
        self._hops = array("d")
        self._hop_acc = 0.0
        self.n_channels = int(n_channels)
        self._filter = KWeighting(sr=self.sr, n_channels=self.n_channels)
        self._segments = [array("d") for _ in range(self.n_channels)]  # per channel: sums of complete segments
        self._acc = np.zeros(self.n_channels)
        self.n_samples = 0

    def process(self, y) -> None:
        """Add the next samples, shape (n_channels, m)."""
        y = np.asarray(y, dtype=np.float64)
        m = y.shape[-1]
        if m == 0:
            return
        if y.shape != (self.n_channels, m):
            raise ParameterError(f"a block of shape {y.shape} fed to a {self.n_channels}-channel loudness meter; "
                                 f"expected ({self.n_channels}, n_samples)")
        a = self.n_samples
        k = len(self._segments[0]) + 1  # the segment after the one being filled
        cuts = []
        while _segment_bound(k, self.sr) <= a + m:
            cuts.append(_segment_bound(k, self.sr) - a)
            k += 1
        # sums[:, j] covers [starts[j], starts[j + 1]): piece 0 completes the open segment (with _acc),
        # the pieces before the last cut are whole segments, a piece after it opens the next one.
        starts = [0] + [c for c in cuts if c < m]
        if self.hop is not None:
            sq = self._filter.squares(y)
            self._add_hops(sq.sum(axis=0), a)
            sums = np.add.reduceat(sq, starts, axis=-1)
        else:
            sums = self._filter.segment_sums(y, starts)
        if cuts:
            sums[:, 0] += self._acc
            for channel, values in zip(self._segments, sums[:, :len(cuts)].tolist()):
                channel.extend(values)
            self._acc = sums[:, len(cuts)].copy() if len(starts) > len(cuts) else np.zeros(self.n_channels)
        else:
            self._acc += sums[:, 0]
        self.n_samples = a + m

    def _add_hops(self, e: np.ndarray, a: int) -> None:
        hop, m = self.hop, e.size
        offset, i = a % hop, 0
        if offset:
            i = min(hop - offset, m)
            self._hop_acc += float(e[:i].sum())
            if offset + i < hop:
                return
            self._hops.append(self._hop_acc)
            self._hop_acc = 0.0
        n_full = (m - i) // hop
        if n_full:
            self._hops.extend(e[i:i + n_full * hop].reshape(n_full, hop).sum(axis=1).tolist())
            i += n_full * hop
        self._hop_acc += float(e[i:].sum())

    def cumulative_energy(self, *, gain: float = 1.0) -> np.ndarray:
        """``c[j]``: K-weighted energy (sum over channels) of samples before ``j * hop``, times ``gain ** 2``.

        Shape ``(ceil(n_samples / hop) + 1,)``; ``c[0] = 0`` and the last
        entry covers everything fed.
        """
        if self.hop is None:
            raise ParameterError("cumulative_energy needs a LoudnessMeter made with hop=")
        parts = np.frombuffer(self._hops, dtype=np.float64)
        if self.n_samples % self.hop:
            parts = np.append(parts, self._hop_acc)
        return np.concatenate([[0.0], np.cumsum(parts)]) * (gain * gain)

    def block_energies(self, first: int = 0) -> np.ndarray:
        """Mean squares (n_channels, n_blocks) of the K-weighted signal over the complete 400 ms blocks.

        ``first``: leave out the blocks before block ``first`` (the others
        have the same values as in the whole list).
        """
        first = max(0, int(first))
        if len(self._segments[0]) - first < _SEGMENTS_PER_BLOCK:
            return np.zeros((self.n_channels, 0))
        seg = np.stack([np.frombuffer(channel, dtype=np.float64)[first:] for channel in self._segments])
        n_blocks = seg.shape[1] - _SEGMENTS_PER_BLOCK + 1
        total = sum(seg[:, j:j + n_blocks] for j in range(_SEGMENTS_PER_BLOCK))
        bounds = (np.arange(first, first + seg.shape[1] + 1, dtype=np.int64) * self.sr) // 10  # _segment_bound
        width = bounds[_SEGMENTS_PER_BLOCK:] - bounds[:n_blocks]
        return total / width

    def loudness_lufs(self, *, gain: float = 1.0) -> float:
        """Integrated loudness (LUFS) of what was fed, times a static ``gain``; ``-inf`` if silent.

        A static gain scales the K-weighted energies by ``gain ** 2`` exactly
        (the filter is linear), so a planned gain needs no second measurement.
        """
        return _gated_loudness(self.block_energies() * (gain * gain))


def _gated_loudness(z: np.ndarray) -> float:
    """Integrated loudness in LUFS from block energies, with pyloudnorm's gating (channel gains 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(np.sum(z, axis=0))
        above_abs = block_lufs >= -70.0
        if not np.any(above_abs):
            return -math.inf
        gamma_r = -0.691 + 10.0 * np.log10(np.sum(np.mean(z[:, above_abs], axis=1))) - 10.0
        gated = (block_lufs > gamma_r) & (block_lufs > -70.0)
        if not np.any(gated):
            return -math.inf
        return float(-0.691 + 10.0 * np.log10(np.sum(np.mean(z[:, gated], axis=1))))


