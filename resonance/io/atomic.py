"""Atomic file replacement: the one way every output of the project is written.

A file is written under a temporary name in its target folder and renamed
over the target in one step (:func:`os.replace`).  Readers see the old file
or the new one, never a half-written one; on any error (or Ctrl-C) the
temporary file is removed and an existing target is left untouched.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path, *, suffix: str = ".tmp"):
    """Yield a temporary path next to ``path``; move it over ``path`` on success.

    Parameters
    ----------
    path : str or os.PathLike
        Final file.  Its folder must exist.
    suffix : str
        Ending of the temporary name (some writers choose the format from it,
        e.g. ``".tmp.png"``).

    Yields
    ------
    pathlib.Path
        A fresh, empty file (created with the umask's permissions) that the
        caller writes.

    Raises
    ------
    OSError
        If the temporary file cannot be created or the rename fails; callers
        turn it into their own error naming the file.

    Examples
    --------
    >>> with atomic_path("out.txt") as tmp:  # doctest: +SKIP
    ...     tmp.write_text("done")
    """
    path = Path(path)
    for _ in range(100):
        # os.urandom, not the secrets module: the same random hex name, without importing
        # random, base64, hmac and OpenSSL into every process that writes.
        tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}{suffix}"
        try:
            # os.open with 0o666 honours the umask, unlike tempfile's 0o600.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 random collisions
        raise FileExistsError(f"no free temporary name in {path.parent}")
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # the data reach the disk before the rename
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
