"""The ``stimgen`` command line.

Every command reports user errors (bad files, bad values, malformed option
values) as one line on standard error and exits with code 2; no traceback
reaches the user.  The application and its error handling live in
:mod:`stimgen.commands._app`; this module registers the commands (by
importing :mod:`stimgen.commands`) and is the console script's entry point.
"""

from __future__ import annotations

import signal
import sys

from . import commands  # noqa: F401  (registers the commands on the app)
from .commands._app import EXIT_INTERRUPTED, EXIT_USER_ERROR, app, fail, user_errors

__all__ = ["app", "main", "fail", "user_errors", "EXIT_USER_ERROR", "EXIT_INTERRUPTED"]


def _terminate(signum, frame):
    """SIGTERM: the same clean-up as Ctrl-C (temporary files removed, fades, one line)."""
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
