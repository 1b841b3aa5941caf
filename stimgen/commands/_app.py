"""The Typer application the sub-commands register on, and its error handling.

Kept apart from :mod:`stimgen.cli` so that the command modules import this
module and :mod:`stimgen.cli` imports the command modules, never the other
way round (no import cycle).

Every command reports user errors (bad files, bad values, malformed option
values) as one line ``stimgen: error: ...`` on standard error and exits with
code 2; no traceback, no boxed usage panel, no warning with source lines
reaches the user.
"""

from __future__ import annotations

import contextlib
import sys
import warnings

import typer
import typer.core
from typer.core import TyperArgument, TyperGroup, TyperOption

from resonance.errors import ResonanceError

from ..errors import StimgenError

# Typer 0.2x vendors its own Click (``typer._click``); older releases use Click itself.
click = getattr(typer.core, "_click", None) or getattr(typer.core, "click")
_exceptions = click.exceptions
# ``stimgen`` alone prints the help (Click 8.2+ signals it with this error).
_NO_ARGS_IS_HELP = getattr(_exceptions, "NoArgsIsHelpError", ())

__all__ = ["app", "fail", "user_errors", "one_line", "EXIT_USER_ERROR", "EXIT_INTERRUPTED"]

#: Exit code of every user error (bad value, bad file).
EXIT_USER_ERROR = 2

#: Exit code after Ctrl-C or SIGTERM (128 + SIGINT).
EXIT_INTERRUPTED = 130


def one_line(message) -> str:
    """``message`` with every run of whitespace (newlines included) made one space."""
    return " ".join(str(message).split())


def _echo_error(message: str) -> None:
    click.echo(f"stimgen: error: {one_line(message)}", err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line, without the source file and line that raised them."""
    click.echo(f"stimgen: warning: {one_line(message)}", err=True)


def _tidy_help(command: click.Command) -> None:
    """Plain metavars in ``--help``: no ``<bool>`` on flags, ``FILES...`` for arguments.

    Typer shows a type on every option (``--json <bool>``) and writes
    required arguments as ``{files}...``; flags take no value, and the usual
    convention is upper-case argument names.
    """
    for param in command.params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is None:
            name = (param.name or "arg").upper() + ("..." if param.nargs != 1 else "")
            shown = name if param.required else f"[{name}]"
            param.metavar = name
            param.get_usage_pieces = lambda ctx, shown=shown: [shown]
            param.display_type_rich = lambda ctx: None
            param._rich_display_name = lambda name=name: name
    if not getattr(command, "_stimgen_tidy", False):
        command._stimgen_tidy = True
        original = command.get_help_option

        def get_help_option(ctx, original=original):
            option = original(ctx)
            if option is not None:
                option.metavar = ""
            return option

        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _tidy_help(sub)


class _Group(TyperGroup):
    """The root group: Click's usage errors become one ``stimgen: error:`` line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        _tidy_help(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        previous = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            try:
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            except _NO_ARGS_IS_HELP as exc:  # ``stimgen`` alone: the help, exit 0
                text = exc.format_message()
                if text.strip():  # with rich, the help is already printed
                    click.echo(text)
                code = 0
            except _exceptions.UsageError as exc:
                where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
                _echo_error(exc.format_message().rstrip(".") + where)
                code = EXIT_USER_ERROR
            except _exceptions.ClickException as exc:
                _echo_error(exc.format_message())
                code = exc.exit_code
            except (typer.Abort, KeyboardInterrupt):
                click.echo("stimgen: interrupted", err=True)
                code = EXIT_INTERRUPTED
        finally:
            warnings.showwarning = previous
        sys.exit(code if isinstance(code, int) else 0)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        click.echo(f"stimgen {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    name="stimgen",
    cls=_Group,
    help=(
        "Design, score and play audio stimuli with a connectome-harmonics model of "
        "semantically-neutral energy. A model of a research hypothesis, not a medical device."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Design, score and play audio stimuli (a model of a hypothesis, not a medical device)."""


def fail(message: str) -> typer.Exit:
    """Print ``stimgen: error: message`` on stderr and return an exit code 2.

    Use as ``raise fail("...")``.
    """
    _echo_error(message)
    return typer.Exit(EXIT_USER_ERROR)


@contextlib.contextmanager
def user_errors():
    """Turn the packages' errors (and OS errors on files) into one line and exit code 2."""
    try:
        yield
    except (ResonanceError, StimgenError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:  # e.g. a file name longer than the file system allows
        shown = str(exc.filename) if exc.filename is not None else ""
        shown = shown if len(shown) <= 80 else shown[:60] + "..." + shown[-17:]
        name = f"'{shown}': " if exc.filename is not None else ""
        raise fail(f"{name}{exc.strerror or exc}") from None
    except KeyboardInterrupt:
        click.echo("stimgen: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
