"""On-disk cache of computed arrays (``.npz``, written atomically).

The cache lives in ``platformdirs.user_cache_dir("stimgen")/<kind>``; the
environment variable :data:`CACHE_ENV` replaces the root
``user_cache_dir("stimgen")`` (the ``<kind>`` sub-folder is kept), which is how
the test suite points it at a temporary folder.

Entries are plain ``.npz`` archives of numeric (and string) arrays, read with
``allow_pickle=False``.  Writing goes to a temporary file in the same folder
followed by :func:`os.replace`, so a reader never sees half a file.  This
module only moves arrays between memory and disk; deciding whether an entry is
complete and consistent is the job of the code that owns it
(:mod:`resonance.harmonics`), which recomputes on any doubt.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import platformdirs

from ..errors import DataFileError
from .atomic import atomic_path

__all__ = ["CACHE_ENV", "CacheWarning", "cache_dir", "read_cache_entry", "write_cache_entry"]

#: Environment variable that, when set and non-empty, replaces the root cache
#: folder ``platformdirs.user_cache_dir("stimgen")``.
CACHE_ENV = "STIMGEN_CACHE_DIR"


class CacheWarning(UserWarning):
    """A cache entry was unusable (and recomputed) or could not be written."""


def cache_dir(kind: str) -> Path:
    """Folder that holds cache entries of one kind (not created here).

    Parameters
    ----------
    kind : str
        Sub-folder name, e.g. ``"harmonics"``.

    Returns
    -------
    pathlib.Path
        ``$STIMGEN_CACHE_DIR/kind`` if the variable is set, else
        ``platformdirs.user_cache_dir("stimgen")/kind``.

    Examples
    --------
    >>> cache_dir("harmonics").name
    'harmonics'
    """
    root = os.environ.get(CACHE_ENV, "").strip()
    base = Path(root).expanduser() if root else Path(platformdirs.user_cache_dir("stimgen"))
    return base / kind


def read_cache_entry(path) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` cache entry.

    Parameters
    ----------
    path : str or os.PathLike
        The entry.

    Returns
    -------
    dict of str to ndarray
        Empty if the file does not exist.

    Raises
    ------
    DataFileError
        If the file exists but is truncated, corrupt (CRC mismatch), holds
        pickled objects or cannot be read.

    Examples
    --------
    >>> read_cache_entry("/nonexistent/entry.npz")
    {}
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, RuntimeError) as exc:
        raise DataFileError(f"cache file '{path}' is unreadable ({type(exc).__name__}: {exc})") from None


def write_cache_entry(path, arrays: dict[str, np.ndarray]) -> Path:
    """Write arrays to an ``.npz`` cache entry atomically.

    The folder is created if needed; the data go to a temporary file in the
    same folder, which then replaces ``path`` in one step.

    Parameters
    ----------
    path : str or os.PathLike
        Target file (``.npz``).
    arrays : dict of str to array_like
        Arrays to store; must not need pickling.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    DataFileError
        If the folder cannot be created or the file cannot be written.

    Examples
    --------
    >>> write_cache_entry(tmp / "x.npz", {"a": np.arange(3)})  # doctest: +SKIP
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **{name: np.asarray(value) for name, value in arrays.items()})
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cache file '{path}' cannot be written ({exc})") from None
    return path
