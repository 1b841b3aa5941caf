"""SciPy's compiled FFT and image filters for the model, without importing :mod:`scipy.fft` or :mod:`scipy.ndimage`.

Whichever of :mod:`scipy.fft`, :mod:`scipy.ndimage` and :mod:`scipy.linalg`
a process imports first pays for SciPy's array-API layer
(``scipy._lib._array_api``, ``array_api_compat``) and, for the first two,
:mod:`scipy.special`: about 0.5 s of CPU with SciPy 1.17, in every process that
scores.  The model needs only a few of their functions, all computed by
compiled modules that import nothing of that: the real FFTs and
:func:`scipy.fft.next_fast_len` (``scipy/fft/_pocketfft/pypocketfft``), and
:func:`scipy.ndimage.median_filter` and :func:`scipy.ndimage.uniform_filter1d`
(``scipy/ndimage/_nd_image``).  :func:`scipy_compiled` loads such a module on
its own, without its package's ``__init__`` (:mod:`resonance._lfilter` uses it
for :func:`scipy.signal.lfilter`), and the functions here hand it the arrays
and arguments exactly as SciPy's public functions do, so the results are the
same bits (``tests/test_startup.py`` compares them on random input).  Anything
else (another dtype, mode or argument, another SciPy layout where the compiled
module or its entry point cannot be found) goes to SciPy's public function.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys

import numpy as np

__all__ = [
    "cython_blas",
    "irfft",
    "median_filter",
    "next_fast_len",
    "pocketfft",
    "rfft",
    "scipy_compiled",
    "uniform_filter1d",
]

#: Extension modes of :mod:`scipy.ndimage` and the codes its compiled filters take
#: (``scipy.ndimage._ni_support._extend_mode_to_code(mode, is_filter=True)``).
_NDIMAGE_MODES = {"nearest": 0, "wrap": 1, "reflect": 2, "mirror": 3, "constant": 4}


@functools.lru_cache(maxsize=8)
def scipy_compiled(package: str, module: str):
    """SciPy's compiled module ``scipy.<package>.<module>``, loaded without the packages' ``__init__``; or None.

    ``package`` is a dotted path below ``scipy`` (``"signal"``,
    ``"fft._pocketfft"``, ``"ndimage"``).  If ``scipy.<package>`` is already
    imported, its own module is returned.  The loaded module is registered
    under its own name, so a later import of the package reuses it.  Any
    failure (another SciPy layout) gives None, and the callers then use the
    public SciPy function.
    """
    parent = f"scipy.{package}"
    name = f"{parent}.{module}"
    try:
        if name in sys.modules or parent in sys.modules:  # already paid for: take it from there
            return importlib.import_module(name)
        import scipy

        folder = os.path.join(os.path.dirname(scipy.__file__), *package.split("."))
        files = [f for f in os.listdir(folder) if f.startswith(module + ".") and f.endswith((".so", ".pyd"))]
        if len(files) != 1:
            return None
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, files[0]))
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        sys.modules.setdefault(name, loaded)
        return sys.modules[name]
    except Exception:  # noqa: BLE001 - any failure: the callers use the public SciPy function
        return None


@functools.cache
def cython_blas():
    """SciPy's compiled BLAS table (``scipy.linalg.cython_blas``), loaded and registered without :mod:`scipy.linalg`.

    Numba's NumPy support (``numba.np.arraymath``, which the loading of many
    cached kernels imports) checks at import that BLAS is there with
    ``import scipy.linalg.cython_blas``; with the module already registered,
    that import takes it as it is instead of running :mod:`scipy.linalg`'s
    ``__init__`` (0.1-0.4 s of CPU).  The module is the same compiled code
    either way.  Returns the module, or None (then Numba imports it itself).
    """
    return scipy_compiled("linalg", "cython_blas")


@functools.cache
def pocketfft():
    """SciPy's compiled FFT module (``scipy.fft._pocketfft.pypocketfft``) if it has what the model calls; or None."""
    module = scipy_compiled("fft._pocketfft", "pypocketfft")
    if module is None or not all(hasattr(module, f) for f in ("r2c", "c2r", "good_size")):
        return None
    return module


def _fft_ready(x) -> bool:
    """Whether SciPy's FFT takes ``x`` as it is (a native, aligned float32/float64 array; no conversion)."""
    return (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)
            and x.dtype.isnative and x.flags.aligned)


def _fit(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """``x`` cut or zero-padded to ``n`` along ``axis``, as :func:`scipy.fft.rfft` does (``_fix_shape_1d``)."""
    have = x.shape[axis]
    index = [slice(None)] * x.ndim
    index[axis] = slice(0, min(have, n))
    if have >= n:
        return x[tuple(index)]
    shape = list(x.shape)
    shape[axis] = n
    z = np.zeros(shape, x.dtype)
    z[tuple(index)] = x[tuple(index)]
    return z


def rfft(x, n: int | None = None, *, axis: int = -1, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`scipy.fft.rfft` ``(x, n=n, axis=axis)``, the same bits.

    ``out`` (optional): a C-contiguous complex array of the result's shape and
    dtype that the spectra are written into, if the compiled FFT is loaded
    (check ``result is out``); otherwise a new array is returned.
    """
    fft = pocketfft()
    if fft is None or not _fft_ready(x) or (n is not None and n < 1) or x.ndim == 0:
        import scipy.fft

        return scipy.fft.rfft(x, n=n, axis=axis)
    axis = axis % x.ndim
    if n is not None:
        x = _fit(x, n, axis)
    elif x.shape[axis] < 1:
        import scipy.fft

        return scipy.fft.rfft(x, axis=axis)
    return fft.r2c(x, (axis,), True, 0, out, 1)


def irfft(x, n: int, *, axis: int = -1) -> np.ndarray:
    """:func:`scipy.fft.irfft` ``(x, n=n, axis=axis)``, the same bits."""
    fft = pocketfft()
    if _fft_ready(x):
        x = x + 0.j  # as SciPy does with real spectra
    if (fft is None or not isinstance(x, np.ndarray) or x.dtype not in (np.complex64, np.complex128)
            or not (x.dtype.isnative and x.flags.aligned) or x.ndim == 0 or n < 1):
        import scipy.fft

        return scipy.fft.irfft(x, n=n, axis=axis)
    axis = axis % x.ndim
    return fft.c2r(_fit(x, n // 2 + 1, axis), (axis,), n, False, 2, None, 1)


def next_fast_len(target: int, *, real: bool) -> int:
    """:func:`scipy.fft.next_fast_len` ``(target, real=real)``."""
    fft = pocketfft()
    if fft is None:
        import scipy.fft

        return scipy.fft.next_fast_len(target, real=real)
    return fft.good_size(target, real)


def _nd_image(entry: str):
    """SciPy's compiled ``scipy.ndimage._nd_image.<entry>``, loaded without :mod:`scipy.ndimage`; or None."""
    module = scipy_compiled("ndimage", "_nd_image")
    return None if module is None else getattr(module, entry, None)


def _filter_ready(x) -> bool:
    """Whether the compiled filters below take ``x`` as SciPy would (a float64 array, 1 or more dimensions)."""
    return isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim >= 1


def median_filter(x, *, size: tuple[int, ...], mode: str) -> np.ndarray:
    """:func:`scipy.ndimage.median_filter` ``(x, size=size, mode=mode)`` of a float64 array, the same bits.

    As SciPy does for arrays of two or more dimensions: the compiled rank
    filter with a box footprint of ``size``, rank ``size // 2``, no origin.
    """
    rank_filter = _nd_image("rank_filter")
    size = tuple(int(s) for s in size)
    footprint_size = int(np.prod(size)) if size else 0
    if (rank_filter is None or not _filter_ready(x) or x.ndim < 2 or len(size) != x.ndim
            or min(size) < 1 or mode not in _NDIMAGE_MODES or footprint_size < 3):
        from scipy.ndimage import median_filter as scipy_median_filter

        return scipy_median_filter(x, size=size, mode=mode)
    out = np.zeros(x.shape, dtype=x.dtype.name)
    rank_filter(x, footprint_size // 2, np.ones(size, dtype=bool), out, _NDIMAGE_MODES[mode], 0.0, [0] * x.ndim)
    return out


def uniform_filter1d(x, *, size: int, axis: int, mode: str) -> np.ndarray:
    """:func:`scipy.ndimage.uniform_filter1d` ``(x, size=size, axis=axis, mode=mode)`` of a float64 array, the same bits."""
    uniform = _nd_image("uniform_filter1d")
    if uniform is None or not _filter_ready(x) or size < 1 or mode not in _NDIMAGE_MODES or not -x.ndim <= axis < x.ndim:
        from scipy.ndimage import uniform_filter1d as scipy_uniform_filter1d

        return scipy_uniform_filter1d(x, size=size, axis=axis, mode=mode)
    out = np.zeros(x.shape, dtype=x.dtype.name)
    uniform(x, int(size), axis % x.ndim, out, _NDIMAGE_MODES[mode], 0.0, 0)
    return out
