""":func:`scipy.signal.lfilter` for the model's recursive filters, without importing :mod:`scipy.signal`.

Importing :mod:`scipy.signal` costs 0.6-0.9 s of CPU with SciPy 1.17 (it
loads :mod:`scipy.stats`, :mod:`scipy.interpolate` and parses hundreds of
docstrings), paid once by every process that scores.  The model only needs
:func:`scipy.signal.lfilter` of recursive (IIR) filters on float64 arrays,
which SciPy computes in its compiled ``scipy/signal/_sigtools`` module
(``_linear_filter``).  :func:`lfilter` loads that compiled module on its own,
without the package's ``__init__``, and hands it the arrays exactly as
:func:`scipy.signal.lfilter` does (``atleast_1d`` of the coefficients,
``asarray`` of the signal and state), so the results are the same bits
(``tests/test_lfilter.py`` compares them on random input).  Anything else (a
FIR filter, another dtype, another SciPy layout where the compiled module
cannot be found) goes to :func:`scipy.signal.lfilter` itself.
"""

from __future__ import annotations

import functools

import numpy as np

from ._scipy_compiled import scipy_compiled

__all__ = ["lfilter", "scipy_signal_module"]


@functools.lru_cache(maxsize=4)
def scipy_signal_module(module: str):
    """SciPy's compiled module ``scipy.signal.<module>`` loaded without the package's ``__init__``, or None.

    Used here for ``_sigtools`` and by :mod:`stimgen.mastering._kernels` for
    ``_sosfilt``.  If :mod:`scipy.signal` is already imported, its own module
    is returned; any failure (another SciPy layout) gives None, and the
    callers then use :mod:`scipy.signal` itself.  The loading is
    :func:`resonance._scipy_compiled.scipy_compiled`'s.
    """
    return scipy_compiled("signal", module)


def _linear_filter():
    """SciPy's compiled ``scipy.signal._sigtools._linear_filter``, loaded without ``scipy.signal``; or None."""
    module = scipy_signal_module("_sigtools")
    return None if module is None else getattr(module, "_linear_filter", None)


def lfilter(b, a, x, *, axis: int = -1, zi=None):
    """:func:`scipy.signal.lfilter` ``(b, a, x, axis=axis, zi=zi)``, the same bits.

    Parameters
    ----------
    b, a : array_like, shape (n_b,), (n_a,)
        Numerator and denominator coefficients.
    x : array_like
        Signal, filtered along ``axis``.
    axis : int
        Time axis.
    zi : array_like or None
        Initial filter state, shaped as :func:`scipy.signal.lfilter` takes it
        (None: at rest).

    Returns
    -------
    numpy.ndarray or tuple
        The filtered signal, and the final state if ``zi`` was given.
    """
    b = np.atleast_1d(b)
    a = np.atleast_1d(a)
    x = np.asarray(x)
    if zi is not None:
        zi = np.asarray(zi)
    linear = _linear_filter()
    inputs = (b, a, x) if zi is None else (b, a, x, zi)
    if (linear is None or b.ndim != 1 or a.ndim != 1 or b.size == 0 or a.size < 2
            or np.result_type(*inputs) != np.float64):
        from scipy.signal import lfilter as scipy_lfilter

        return scipy_lfilter(b, a, x, axis=axis, zi=zi)
    if zi is None:
        return linear(b, a, x, axis)
    out, zf = linear(b, a, x, axis, zi)
    return out, zf
