"""``njit`` for the model's compiled kernels: Numba's, with a lighter load from the on-disk cache.

Every kernel of the model is compiled once and kept in Numba's on-disk cache
(``cache=True``).  Loading a kernel from that cache is cheap except for the
first one in a process: Numba's :meth:`numba.core.caching.Cache.load_overload`
starts by refreshing the CPU target (``target_context.refresh()``), which
imports and registers Numba's whole library of typing and lowering rules
(NumPy and linear-algebra support, which imports ``scipy.linalg``; CFFI
support, which builds ``pycparser``'s lexer; typed containers, jitclass...):
about 0.25-0.3 s of CPU in every process that scores, a third of Numba's start.
Code loaded from the cache is already machine code: it needs none of those
rules, only Numba's runtime (NRT) and the C helpers registered when Numba is
imported.  :func:`njit` is :func:`numba.njit`; with ``cache=True`` its
dispatcher loads cached code with just that (:class:`LightCache`), and leaves
the full refresh to a real compilation (Numba's compiler refreshes the
contexts itself before compiling).  The machine code run is the same either way,
so results are bit-identical.  Loading also registers SciPy's compiled BLAS
table first (:func:`resonance._scipy_compiled.cython_blas`): the loading of
many kernels imports Numba's NumPy support, whose BLAS check would otherwise
run :mod:`scipy.linalg`'s ``__init__`` (0.1-0.4 s of CPU).

A kernel whose cached object refers to a symbol that only the full refresh
registers (the hash secret of ``numba.cpython.hashing``, used by hashing in
compiled code; no kernel of the model hashes) gets the full refresh, as do
objects in a layout this module does not know (another Numba version).
"""

from __future__ import annotations

import functools

import numba
from numba.core.caching import FunctionCache
from numba.core.cpu import CPUTargetOptions
from numba.core.options import TargetOptions
from numba.core.runtime import rtsys

from ._scipy_compiled import cython_blas

__all__ = ["njit", "LightCache"]

# Numba's compiler has a flag ``noalias`` (no two array arguments share memory: LLVM then
# vectorises a loop without testing at run time whether its stores overlap its loads) that its
# jit options do not list; this lists it, so that ``njit(noalias=True)`` sets it.  A kernel may
# ask for it only if its callers never pass arrays that share memory.  The machine code is that
# of the same loop without the tests: the same results.
_NOALIAS = isinstance(getattr(TargetOptions, "Mapping", None), type)
if _NOALIAS and not hasattr(CPUTargetOptions, "noalias"):
    CPUTargetOptions.noalias = TargetOptions.Mapping("noalias")

#: Symbols that only modules imported by the target's full refresh register with LLVM (a kernel
#: referring to one is loaded after the full refresh).  ``numba.cpython.hashing`` adds the hash secret.
_REFRESH_ONLY_SYMBOLS = (b"_numba_hashsecret_",)


def _object_code(data):
    """The object code in a cache entry (:meth:`numba.core.compiler.CompileResult._reduce`), or None."""
    try:
        libdata = data[0]
        name, kind, payload = libdata
        if kind != "object":
            return None
        code = payload[0]
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return code if isinstance(code, bytes) else None


class LightCache(FunctionCache):
    """Numba's function cache, loading cached machine code without refreshing the whole target.

    Saving, the index and the file layout are Numba's.  Loading initialises
    Numba's runtime (what the loaded code links against) instead of
    importing every typing and lowering rule; an entry that may need more
    (see :data:`_REFRESH_ONLY_SYMBOLS`) is loaded after the full refresh.
    """

    def load_overload(self, sig, target_context):
        cython_blas()  # before Numba's NumPy support checks for BLAS: no scipy.linalg
        rtsys.initialize(target_context)  # the runtime (NRT) the loaded code calls; cheap after the first
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)

    def _load_overload(self, sig, target_context):
        if not self._enabled:
            return None
        key = self._index_key(sig, target_context.codegen())
        data = self._cache_file.load(key)
        if data is None:
            return None
        code = _object_code(data)
        if code is None or any(symbol in code for symbol in _REFRESH_ONLY_SYMBOLS):
            target_context.refresh()
        return self._impl.rebuild(target_context, data)


def njit(function=None, **options):
    """:func:`numba.njit`; with ``cache=True`` the dispatcher's cache is a :class:`LightCache`.

    Use as ``@njit(cache=True, nogil=True)`` (options only) or ``@njit``.  ``noalias=True``:
    the kernel's array arguments never share memory (see above; ignored by a Numba without the
    flag).
    """
    if function is None:
        return functools.partial(njit, **options)
    if not _NOALIAS:
        options.pop("noalias", None)
    dispatcher = numba.njit(**options)(function)
    # NUMBA_DISABLE_JIT gives back the Python function (no cache); a dispatcher caching to disk has
    # exactly a FunctionCache.
    if options.get("cache") and type(getattr(dispatcher, "_cache", None)) is FunctionCache:
        dispatcher._cache = LightCache(dispatcher.py_func)
    return dispatcher
