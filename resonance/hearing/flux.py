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
def _band_sums(x, fb, lo, hi, scale, out):  # pragma: no cover  (compiled)
    """``out[t, j] = sum_f fb[j, f] * x[t, f] / scale`` in float64, over the bins ``lo[j]:hi[j]``.

    Each sum is one chain of fused multiply-adds in bin order (see
    :func:`_fma`); eight frames are summed side by side, so that their
    independent chains fill the pipeline instead of waiting on one another.
    """
    n = x.shape[0]
    t = 0
    while t + 8 <= n:
        for j in range(fb.shape[0]):
            w = fb[j]
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
            for f in range(lo[j], hi[j]):
                wf = w[f]
                a0 = _fma(np.float64(x[t, f]), wf, a0)
                a1 = _fma(np.float64(x[t + 1, f]), wf, a1)
                a2 = _fma(np.float64(x[t + 2, f]), wf, a2)
                a3 = _fma(np.float64(x[t + 3, f]), wf, a3)
                a4 = _fma(np.float64(x[t + 4, f]), wf, a4)
                a5 = _fma(np.float64(x[t + 5, f]), wf, a5)
                a6 = _fma(np.float64(x[t + 6, f]), wf, a6)
                a7 = _fma(np.float64(x[t + 7, f]), wf, a7)
            out[t, j] = a0 / scale
            out[t + 1, j] = a1 / scale
            out[t + 2, j] = a2 / scale
            out[t + 3, j] = a3 / scale
            out[t + 4, j] = a4 / scale
            out[t + 5, j] = a5 / scale
            out[t + 6, j] = a6 / scale
            out[t + 7, j] = a7 / scale
        t += 8
    for t in range(t, n):
        for j in range(fb.shape[0]):
            w = fb[j]
            a0 = 0.0
            for f in range(lo[j], hi[j]):
                a0 = _fma(np.float64(x[t, f]), w[f], a0)
            out[t, j] = a0 / scale


@njit(cache=True, nogil=True)
def _rises(prev, bin_db, hold, rise):  # pragma: no cover  (compiled)
    """Half-wave rectified rise of each bin over the reference, into ``rise`` (n, n_bins).

    The frames are ``prev`` followed by ``bin_db``; frame ``t`` of
    ``bin_db`` is compared with the same bin's maximum over the ``hold``
    frames from ``t`` of the stream (``span`` frames before it).  Only
    maxima and one subtraction: the same values as the NumPy form (written
    as selects, which compile to vector maxima).
    """
    span = prev.shape[0]
    n, nb = bin_db.shape
    m = n + hold - 1
    ext = np.empty((m, nb), dtype=bin_db.dtype)  # the frames the references span, contiguous
    for t in range(m):
        ext[t] = prev[t] if t < span else bin_db[t - span]
    zero = bin_db.dtype.type(0.0)
    for t in range(n):
        r = rise[t]
        r[:] = ext[t]
        for s in range(1, hold):
            f = ext[t + s]
            for k in range(nb):
                v = f[k]
                c = r[k]
                r[k] = v if v > c else c
        x = bin_db[t]
        for k in range(nb):
            d = x[k] - r[k]
            r[k] = d if d > zero else zero


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
    n = bin_db.shape[0]
    fb = np.ascontiguousarray(fb_norm, dtype=np.float64)
    lo, hi = _support(fb)
    rise = np.empty_like(bin_db)
    _rises(np.ascontiguousarray(prev, dtype=bin_db.dtype), np.ascontiguousarray(bin_db), hold, rise)
    # The band sums in float64 (a float32 sum's rounding would depend on how
    # the stream is split into blocks), frame by frame.
    flux = np.empty((fb.shape[0], n))
    _band_sums(rise, fb, lo, hi, 1.0, flux.T)
    state = np.concatenate([prev, bin_db], axis=0)[-span:] if n < span else bin_db[n - span :].copy()
    return flux, state
