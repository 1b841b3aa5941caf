"""Exact stand-ins for the few :mod:`scipy.signal` / :mod:`scipy.ndimage` routines the first sample needs.

Importing :mod:`scipy.signal` costs about 0.9 s of CPU (it loads
:mod:`scipy.stats`, :mod:`scipy.interpolate` and more), which was half of
``stimgen play``'s time to its first sample.  The mastering plan and the
first sections only need four things from it, given here with the SAME
results, bit for bit (``tests/test_mastering_kernels.py`` compares them
with SciPy's on random input):

* :func:`sosfilt` -- SciPy's compiled second-order-section kernel
  (``scipy/signal/_sosfilt``), loaded on its own, without the package's
  ``__init__``; the thin argument handling around it (axis, dtype, state) is
  done here.  If the kernel cannot be loaded this way (another SciPy
  layout), :func:`scipy.signal.sosfilt` itself is used.
* :func:`lfilter` -- the same for :func:`scipy.signal.lfilter` of a
  recursive filter (the noise colours), through SciPy's compiled
  ``_linear_filter``: :func:`resonance._lfilter.lfilter`, re-exported (the
  model's filters use it too; one loader for both packages).
* :func:`kaiser_lowpass` -- the windowed-sinc low-pass that
  :func:`scipy.signal.firwin` designs for ``window=("kaiser", beta)``: the
  same formula in the same order of operations, with Cephes' Bessel
  function I0 for the window (:func:`scipy.special.i0`, evaluated here the
  same way: importing :mod:`scipy.special` costs 0.15-0.2 s).
* :func:`ahead_min` -- the running minimum over the next ``size`` samples
  (``scipy.ndimage.minimum_filter1d(..., mode="nearest",
  origin=-(size // 2))``); a minimum is exact whatever the algorithm, so
  this is the van Herk / Gil-Werman block method in NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from resonance._lfilter import lfilter, scipy_signal_module

__all__ = ["sosfilt", "sosfilt_rows", "sosfilt_pair", "lfilter", "kaiser_lowpass", "ahead_min"]


def _sosfilt_kernel():
    """SciPy's compiled ``_sosfilt(sos, x, zi)`` (in place on ``x`` and ``zi``), or None."""
    module = scipy_signal_module("_sosfilt")
    return None if module is None else getattr(module, "_sosfilt", None)


def sosfilt(sos: np.ndarray, x: np.ndarray, *, axis: int = -1, zi: np.ndarray | None = None):
    """:func:`scipy.signal.sosfilt` for real float64 filtering (same values, bit for bit).

    Parameters
    ----------
    sos : numpy.ndarray, shape (n_sections, 6)
        Second-order sections.
    x : numpy.ndarray
        Signal, filtered along ``axis``.
    axis : int
        Time axis.
    zi : numpy.ndarray or None
        Filter state, shape as :func:`scipy.signal.sosfilt` takes it
        (``x.shape`` with ``axis`` replaced by 2, preceded by
        ``n_sections``).

    Returns
    -------
    numpy.ndarray or tuple
        The filtered signal, and the final state if ``zi`` was given.
    """
    kernel = _sosfilt_kernel()
    sos = np.asarray(sos)
    x = np.asarray(x)
    inputs = [sos, x] if zi is None else [sos, x, np.asarray(zi)]
    dtype = np.result_type(*inputs)
    if kernel is None or dtype != np.float64 or sos.ndim != 2 or sos.shape[1] != 6 or x.ndim == 0:
        from scipy.signal import sosfilt as scipy_sosfilt

        return scipy_sosfilt(sos, x, axis=axis) if zi is None else scipy_sosfilt(sos, x, axis=axis, zi=zi)
    n_sections = sos.shape[0]
    axis = axis % x.ndim
    zi_shape = list(x.shape)
    zi_shape[axis] = 2
    zi_shape = (n_sections, *zi_shape)
    if zi is None:
        state = np.zeros(zi_shape)
    else:
        state = np.array(zi, dtype=np.float64)  # a copy: the kernel works in place
        if state.shape != zi_shape:
            raise ValueError(f"zi must have shape {zi_shape}, got {state.shape}")
    moved = np.moveaxis(x, axis, -1)
    work = np.array(moved.reshape(-1, moved.shape[-1]), dtype=np.float64, order="C")
    state = np.moveaxis(state, (0, axis + 1), (-2, -1))
    state_shape = state.shape
    state = np.ascontiguousarray(state.reshape(-1, n_sections, 2))
    kernel(np.array(sos, dtype=np.float64, order="C"), work, state)  # a writable copy: the kernel takes memoryviews
    y = np.moveaxis(work.reshape(moved.shape), -1, axis)
    if zi is None:
        return y
    return y, np.moveaxis(state.reshape(state_shape), (-2, -1), (0, axis + 1))


def sosfilt_rows(sos: np.ndarray, x: np.ndarray, state: np.ndarray) -> None:
    """:func:`sosfilt` of each row of ``x`` in place, with its state in place (no copies; same values).

    Parameters
    ----------
    sos : numpy.ndarray of float64, shape (n_sections, 6), C order
    x : numpy.ndarray of float64, shape (n_rows, n), C order
        Filtered in place.
    state : numpy.ndarray of float64, shape (n_rows, n_sections, 2), C order
        Each row's filter state (:func:`sosfilt`'s ``zi`` with the first two
        axes swapped), updated in place.
    """
    kernel = _sosfilt_kernel()
    if kernel is None:
        y, zf = sosfilt(sos, x, axis=-1, zi=np.swapaxes(state, 0, 1))
        x[...] = y
        state[...] = np.swapaxes(zf, 0, 1)
        return
    kernel(sos, x, state)


def sosfilt_pair(sos: np.ndarray, pair: np.ndarray, state: np.ndarray) -> None:
    """Two real signals filtered at once, as the real and imaginary parts of one complex row, in place.

    With real coefficients (given as complex numbers with zero imaginary
    parts) the complex recursion does, on each part, the same multiplications
    and additions in the same order as :func:`sosfilt_rows` on each row: the
    same values, bit for bit (up to the sign of an exact zero), in about
    three quarters of the time (one pass of the compiled kernel, whose
    latency-bound recursion then carries two signals).

    Parameters
    ----------
    sos : numpy.ndarray of complex128, shape (n_sections, 6), C order
        Second-order sections with zero imaginary parts.
    pair : numpy.ndarray of complex128, shape (n,)
        ``x0 + 1j * x1``; filtered in place.
    state : numpy.ndarray of complex128, shape (1, n_sections, 2), C order
        The two filter states (real: ``x0``'s, imaginary: ``x1``'s), updated in place.
    """
    kernel = _sosfilt_kernel()
    if kernel is None:
        from scipy.signal import sosfilt as scipy_sosfilt

        pair[...], state[0] = scipy_sosfilt(sos, pair, zi=state[0])
        return
    kernel(sos, pair.reshape(1, -1), state)


def kaiser_lowpass(numtaps: int, cutoff: float, beta: float) -> np.ndarray:
    """``scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta))`` (same values, bit for bit).

    Parameters
    ----------
    numtaps : int
        Odd number of taps.
    cutoff : float
        Cut-off as a fraction of the Nyquist frequency, in (0, 1).
    beta : float
        Kaiser window shape.

    Returns
    -------
    numpy.ndarray, shape (numtaps,)
        Unit-DC-gain low-pass taps.
    """
    alpha = 0.5 * (numtaps - 1)
    m = np.arange(0, numtaps, dtype=np.float64) - alpha
    right = np.float64(cutoff)
    h = 0
    h += right * np.sinc(right * m)
    h -= np.float64(0.0) * np.sinc(np.float64(0.0) * m)
    # Symmetric Kaiser window.
    n = np.arange(0, numtaps, dtype=np.float64)
    w_alpha = (numtaps - 1) / 2.0
    win = _i0(beta * np.sqrt(1 - ((n - w_alpha) / w_alpha) ** 2.0)) / _i0(np.asarray(beta, dtype=np.float64))
    h *= win
    c = np.cos(np.pi * m * 0.0)
    h /= np.sum(h * c)
    return h


# Chebyshev coefficients of the modified Bessel function I0 in Cephes (S. L. Moshier, Cephes Math
# Library, i0.c; the same in SciPy's and NumPy's i0): exp(-x) I0(x) on [0, 8], and
# exp(-x) sqrt(x) I0(x) on (8, inf) in the variable 32 / x - 2.  Literature values.
_I0_A = (
    -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15,
    -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13, 2.95505266312964e-12,
    -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
    -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07, 1.1173875391201037e-06,
    -4.4167383584587505e-06, 1.6448448070728896e-05, -5.754195010082104e-05, 0.00018850288509584165,
    -0.0005763755745385824, 0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
    -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
    -0.3046826723431984, 0.6767952744094761,
)
_I0_B = (
    -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17,
    -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15, 3.8116806693526224e-15,
    -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
    7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11, -3.1499165279632416e-11,
    1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-09, 2.266668990498178e-08,
    2.0489185894690638e-07, 2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943,
    0.8044904110141088,
)


def _chbevl(x: float, coefficients) -> float:
    """Clenshaw sum of a Chebyshev series, in Cephes' order of operations."""
    b0, b1, b2 = coefficients[0], 0.0, 0.0
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _i0_scalar(x: float) -> float:
    x = abs(x)
    if x <= 8.0:
        return math.exp(x) * _chbevl(x / 2.0 - 2.0, _I0_A)
    return math.exp(x) * _chbevl(32.0 / x - 2.0, _I0_B) / math.sqrt(x)


def _i0(x) -> np.ndarray:
    """:func:`scipy.special.i0` (Cephes) without importing :mod:`scipy.special` (0.15-0.2 s).

    The same series and order of operations with the C library's ``exp``
    and ``sqrt`` (as Cephes' C code): the same values, bit for bit
    (``tests/test_mastering_kernels.py``).  Element by element in Python:
    for the few hundred window points of a filter design.
    """
    x = np.asarray(x, dtype=np.float64)
    return np.array([_i0_scalar(v) for v in x.ravel().tolist()]).reshape(x.shape)


def ahead_min(values: np.ndarray, size: int) -> np.ndarray:
    """``out[k] = min(values[k : k + size])`` along the last axis of a 1-D array, the last value repeating.

    Parameters
    ----------
    values : numpy.ndarray, shape (n,)
        Input, n >= 1.
    size : int
        Window length, >= 1.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if size <= 1 or n == 0:
        return values.copy()
    # Pad with the last value to a whole number of blocks covering n + size - 1 samples.
    n_blocks = -(-(n + size - 1) // size)
    padded = np.full(n_blocks * size, values[-1])
    padded[:n] = values
    blocks = padded.reshape(n_blocks, size)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()  # min from each block's start to k
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()  # min from k to its block's end
    # The window [k, k + size - 1] spans the end of k's block and the start of the next one.
    return np.minimum(suffix[:n], prefix[size - 1:size - 1 + n])
