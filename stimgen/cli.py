"""The ``stimgen`` command line.

Every command reports user errors (bad files, bad values) as one line on
standard error and exits with code 2; no traceback reaches the user.
"""

from __future__ import annotations

import contextlib
import sys

import typer

from resonance.errors import ResonanceError

from .errors import StimgenError

__all__ = ["app", "main", "user_errors"]

app = typer.Typer(
    name="stimgen",
    help=(
        "Design, score and play audio stimuli with a connectome-harmonics model of "
        "semantically-neutral energy. A model of a research hypothesis, not a medical device."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2


@app.callback()
def _root() -> None:
    """Design, score and play audio stimuli (a model of a hypothesis, not a medical device)."""


def fail(message: str) -> typer.Exit:
    """Print ``stimgen: error: message`` on stderr and return an exit code 2.

    Use as ``raise fail("...")``.
    """
    typer.echo(f"stimgen: error: {message}", err=True)
    return typer.Exit(EXIT_USER_ERROR)


@contextlib.contextmanager
def user_errors():
    """Turn the packages' errors into a one-line message and exit code 2."""
    try:
        yield
    except (ResonanceError, StimgenError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo("stimgen: interrupted", err=True)
        raise typer.Exit(130) from None


def main() -> None:
    """Entry point of the console script."""
    # Import the command modules so they register themselves on ``app``.
    from . import commands  # noqa: F401

    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
