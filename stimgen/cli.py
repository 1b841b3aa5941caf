"""The ``stimgen`` command line.

Every command reports user errors (bad files, bad values, malformed option
values) as one line on standard error and exits with code 2; no traceback
reaches the user.  The application and its error handling live in
:mod:`stimgen.commands._app`; this module registers the commands (by
importing :mod:`stimgen.commands`) and is the console script's entry point.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from . import commands  # noqa: F401  (registers the commands on the app)
from .commands._app import EXIT_INTERRUPTED, EXIT_USER_ERROR, app, fail, user_errors

__all__ = ["app", "main", "fail", "user_errors", "EXIT_USER_ERROR", "EXIT_INTERRUPTED"]


def _terminate(signum, frame):
    """SIGTERM: the same clean-up as Ctrl-C (temporary files removed, fades, one line).

    An exception raised inside a callback that C code calls through ctypes is
    printed and dropped, so a signal that lands in llvmlite's callbacks (numba
    compiling the metre model's filter on its first use) would be lost: it is
    sent again 50 ms later, once control is back in Python code.
    """
    if frame is not None and "llvmlite" in frame.f_code.co_filename:
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the console script.

    SIGTERM (``kill``, a job scheduler's time-out) is turned into
    :class:`KeyboardInterrupt`, so it cleans up exactly as Ctrl-C does: no
    temporary file is left behind.
    """
    signal.signal(signal.SIGTERM, _terminate)
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
