"""Onsets from spectral change: band-wise spectral flux.

A chord change on an organ or a new note in a dense mix may leave a band's
level unchanged while the partials inside it change.  Spectral flux catches
it: the rise of the log magnitude of each frequency bin, half-wave
rectified, over a reference that, as for the level onsets of
:class:`~resonance.hearing.frontend.FrontEnd`, is the bin's highest level
over a short forward-masking span.  The rises are averaged over each
cochlear band with the band's filter weights, giving a drive in dB
comparable with the rise of the band level.

SuperFlux (Boeck & Widmer 2013) also maximum-filters the reference across
neighbouring bins, so vibrato does not count as change; it does so on a
log-frequency filterbank of 24 bands per octave, where +-1 band is +-50 cents
(wherever the FFT resolves the bands).
The front end's bins are linear, 43 Hz wide (23 ms window): +-1 bin is
+-3.6 semitones at 200 Hz and +-50 cents only from ~1.5 kHz up, so the
filter hid the pitch changes of legato notes (a bowed string's new note
shows as partials moving by a semitone, with no level rise), while a
string's vibrato, a fraction of a semitone either side (Geringer, Allen &
MacLeod 2005), stays within one bin below ~2 kHz.  Engineering choice,
measured on the tempo corpus of ``benchmarks/bench_tempo.py`` (29 rendered
pieces; no other constant changed): without the filter the metre model's
accents fall on a median 77 % of the 12 string pieces' note onsets instead
of 67 %, and ``bench_tempo`` puts stimgen's tempo within 4 % on 22 pieces
instead of 21 (with x2 or x1/2: 26 instead of 24; a tempo reported on 28
instead of 25).  Mozart K80 and K458 and Haydn op. 74 gained; Haydn op. 1
no. 1 (6/8) lost, heard at the quarter note (3:2) once more of its eighth
notes are onsets.  The
forward-masking reference over ``hold`` frames still keeps the
frame-to-frame fluctuation of noise and beating partials below an event.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.extending import intrinsic

from .._jit import njit

__all__ = ["band_flux_db"]


def _running_max(x: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = max(x[i : i + width])`` along axis 0 (exact; also used by the front end).

    By doubling: windows of 2, 4, 8, ... frames, then two overlapping
    power-of-two windows cover any width -- ``log2(width) + 1`` passes over
    contiguous rows instead of one strided reduction per window.
    """
    n = x.shape[0] - width + 1
    m, p = x, 1
    while 2 * p <= width:
        m = np.maximum(m[:-p], m[p:])
        p *= 2
    return np.maximum(m[:n], m[width - p : width - p + n]) if p < width else m[:n]


def _support(fb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last nonzero column of each row of ``fb`` (0, 0 for a zero row).

    The bins a band's sum runs over: outside them its weights are 0, and a
    fused multiply-add of 0 leaves a sum unchanged.
    """
    nz = fb != 0
    any_nz = nz.any(axis=1)
    lo = np.where(any_nz, nz.argmax(axis=1), 0)
    hi = np.where(any_nz, fb.shape[1] - nz[:, ::-1].argmax(axis=1), 0)
    return lo.astype(np.int64), hi.astype(np.int64)


@intrinsic
def _fma(typingctx, a, b, c):  # pragma: no cover  (compiled)
    """``a * b + c`` rounded once (LLVM's ``llvm.fma.f64``), in compiled kernels.

    The band sums of the front end are chains of fused multiply-adds over
    the bins, in bin order: the arithmetic of the matrix products they
    replace (OpenBLAS's double-precision kernels accumulate each dot product
    that way), so the sums keep their bits.
    """
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(d, [d, d, d]), "llvm.fma.f64")
        return builder.call(fn, args)

    return sig, codegen


@njit(cache=True, nogil=True)
def _band_sums(x, k, fb, lo, hi, scale, acc, out):  # pragma: no cover  (compiled)
    """``out[j, t] = sum_f fb[j, f] * x[f, t] / scale`` in float64, over the bins ``lo[j]:hi[j]``, for ``t < k``.

    ``x`` holds one frame per column (bins along axis 0).  Each sum is one
    chain of fused multiply-adds in bin order (see :func:`_fma`), starting
    from 0; the frames' chains run side by side in ``acc`` (float64, ``>= k``
    values), one bin at a time, so that they fill vector registers instead
    of waiting on one another.
    """
    for j in range(fb.shape[0]):
        w = fb[j]
        for t in range(k):
            acc[t] = 0.0
        for f in range(lo[j], hi[j]):
            wf = w[f]
            xf = x[f]
            for t in range(k):
                acc[t] = _fma(np.float64(xf[t]), wf, acc[t])
        o = out[j]
        for t in range(k):
            o[t] = acc[t] / scale


#: Frames whose rises are found and summed at a time by :func:`_flux_sums` (engineering choice: the
#: rises of the front end's 257 bins, ~0.25 MB, stay in cache until summed; the values do not
#: depend on it).
_FLUX_CHUNK = 256


@njit(cache=True, nogil=True)
def _flux_sums(prev, cols, hold, fb, lo, hi, rise, out):  # pragma: no cover  (compiled)
    """Band sums of each bin's half-wave rectified rise over its reference, into ``out`` (n_bands, n).

    ``cols`` holds one frame per column (n_bins, n), after the ``span``
    frames of ``prev`` (n_bins, span).  Frame ``t`` of ``cols`` is compared
    with the same bin's maximum over the ``hold`` frames from ``t`` of the
    stream (``span`` frames before it), and
    ``out[j, t] = sum_f fb[j, f] * max(cols[f, t] - ref[f, t], 0)``
    (:func:`_band_sums`), :data:`_FLUX_CHUNK` frames at a time (their rises
    in ``rise``, n_bins x at least :data:`_FLUX_CHUNK`).  Only maxima
    and one subtraction before the sums: the same values as the NumPy form
    (written as selects, which compile to vector maxima).
    """
    nb, n = cols.shape
    span = prev.shape[1]
    chunk = _FLUX_CHUNK
    ext = np.empty(chunk + hold - 1, dtype=cols.dtype)  # one bin's frames that the chunk's references span
    ref = np.empty(chunk, dtype=cols.dtype)
    acc = np.empty(chunk)
    zero = cols.dtype.type(0.0)
    for t0 in range(0, n, chunk):
        c = min(chunk, n - t0)
        rows = c + hold - 1
        n_prev = min(max(span - t0, 0), rows)  # leading frames taken from prev
        # (Indices are loop counters from 0 into views: NumPy-style negative
        # indices would otherwise be checked for, and the loops not vectorised.)
        ext_x = ext[n_prev:]
        for f in range(nb):
            p = prev[f, t0:]
            x = cols[f, max(t0 + n_prev - span, 0) :]
            for s in range(n_prev):
                ext[s] = p[s]
            for s in range(rows - n_prev):
                ext_x[s] = x[s]
            for s in range(c):
                ref[s] = ext[s]
            for h in range(1, hold):
                e = ext[h:]
                for s in range(c):
                    v = e[s]
                    w = ref[s]
                    ref[s] = v if v > w else w
            x = cols[f, t0:]
            q = rise[f]
            for s in range(c):
                d = x[s] - ref[s]
                q[s] = d if d > zero else zero
        _band_sums(rise, c, fb, lo, hi, 1.0, acc, out[:, t0 : t0 + c])


def _band_flux_cols(cols: np.ndarray, prev: np.ndarray, *, hold: int, fb: np.ndarray, lo: np.ndarray,
                    hi: np.ndarray, rise: np.ndarray | None = None,
                    out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`band_flux_db` of frames stored as columns: ``cols`` (n_bins, n), state ``prev`` (n_bins, span).

    ``fb`` is the float64 C-contiguous band weights and ``lo``, ``hi`` its
    :func:`_support`; ``rise`` a working array (n_bins, >= :data:`_FLUX_CHUNK`)
    of ``cols``' dtype, or None.  Returns the flux (n_bands, n; in ``out``
    if given) and the state for the next call (n_bins, span).
    """
    span = prev.shape[1]
    n = cols.shape[1]
    cols = np.ascontiguousarray(cols)
    # The band sums in float64 (a float32 sum's rounding would depend on how
    # the stream is split into blocks), frame by frame.
    flux = np.empty((fb.shape[0], n)) if out is None else out
    if rise is None:
        rise = np.empty((cols.shape[0], _FLUX_CHUNK), dtype=cols.dtype)
    _flux_sums(np.ascontiguousarray(prev, dtype=cols.dtype), cols, hold, fb, lo, hi, rise, flux)
    if n < span:
        state = np.ascontiguousarray(np.concatenate([prev, cols], axis=1)[:, -span:])
    else:
        state = cols[:, n - span :].copy()
    return flux, state


def band_flux_db(bin_db: np.ndarray, prev: np.ndarray, *, lag: int, hold: int, fb_norm: np.ndarray):
    """Band-wise SuperFlux of consecutive frames (streaming).

    Parameters
    ----------
    bin_db : ndarray, shape (n, n_bins)
        Level of each bin in dB above the floor, frame by frame (float32 is
        ample: the rises are read to ~1e-5 dB, and it halves the cost).
    prev : ndarray, shape (lag + hold - 1, n_bins) or None
        The last frames of the previous call (``None`` at the start: the
        first frame stands for the past).
    lag, hold : int
        The rise is measured ``lag`` frames back against the maximum over
        ``hold`` frames.
    fb_norm : ndarray, shape (n_bands, n_bins)
        Band weights, each row summing to 1.

    Returns
    -------
    flux : ndarray, shape (n_bands, n)
        Mean rise (dB) per band and frame, >= 0, float64.
    prev : ndarray
        State for the next call.

    Examples
    --------
    >>> lv = np.zeros((6, 4)); lv[4:, 1] = 30.0
    >>> f, _ = band_flux_db(lv, None, lag=1, hold=2, fb_norm=np.full((1, 4), 0.25))
    >>> f.round(1).tolist()
    [[0.0, 0.0, 0.0, 0.0, 7.5, 0.0]]
    """
    span = lag + hold - 1
    if prev is None:
        prev = np.repeat(bin_db[:1], span, axis=0)
    fb = np.ascontiguousarray(fb_norm, dtype=np.float64)
    lo, hi = _support(fb)
    flux, state = _band_flux_cols(np.asarray(bin_db).T, np.asarray(prev).T, hold=hold, fb=fb, lo=lo, hi=hi)
    return flux, state.T.copy()
