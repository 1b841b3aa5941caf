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
import re
import sys
import typing
import warnings
from pathlib import Path

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
                _plain_value(option)  # made anew for each context
            return option

        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _tidy_help(sub)


#: Option values in these plain spellings are converted by :class:`_PlainValue` (``int(s)``,
#: ``float(s)``): exactly what Typer's Pydantic conversion gives for them.  Other spellings (``" 5"``,
#: ``"1_000"``, ``"inf"``, ...) go to Typer's own conversion, with its error messages.
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_PLAIN_FLOAT = re.compile(r"-?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][-+]?[0-9]{1,3})?")


#: What :meth:`_PlainValue.plain` returns for a value that Typer must convert.
_NOT_PLAIN = object()


class _PlainValue:
    """Typer's conversion of a plain ``str`` / ``int`` / ``float`` / ``Path`` parameter, without Pydantic.

    Typer (0.2x) converts every option value through a Pydantic
    ``TypeAdapter``; importing Pydantic and building the adapters costs
    about 0.1 s of CPU at every start of ``stimgen``, a quarter of the
    start-up of ``stimgen generate``.  For the parameters that need no more
    than ``str``, ``int(s)``, ``float(s)`` or ``Path(s)`` (no parser, no
    bounds, no choices), this gives the same values: strings as they are,
    numbers in the plain spellings of :data:`_PLAIN_INT` /
    :data:`_PLAIN_FLOAT`, paths through Typer's own path checks
    (``coerce_cli_path``) given ``Path(s)``, as Pydantic would give it.
    Anything else (another spelling, a bad value, a path those checks
    refuse) goes to Typer's conversion unchanged, so its results and error
    messages are Typer's.
    """

    def __init__(self, kind, typer_runtime, coerce_path=None):
        self.kind = kind
        self.typer_runtime = typer_runtime  # the parameter's own get_runtime_param (builds the adapter)
        self.coerce_path = coerce_path

    def coerce(self, value, param, ctx):
        if value is None:  # as Typer's RuntimeParam.coerce for a single value
            return None
        got = self.plain(value, param, ctx)
        return self.typer_runtime().coerce(value, param=param, ctx=ctx) if got is _NOT_PLAIN else got

    def plain(self, value, param, ctx):
        """``value`` converted as Typer would, or :data:`_NOT_PLAIN` (Typer must convert it)."""
        kind = self.kind
        if isinstance(value, str):
            if kind is str:
                return value
            if kind is int and _PLAIN_INT.fullmatch(value):
                return int(value)
            if kind is float and _PLAIN_FLOAT.fullmatch(value):
                return float(value)
            if kind is Path:
                try:
                    return self.coerce_path(Path(value), param.type_descriptor.parameter_info, path_type=Path,
                                            param=param, ctx=ctx)
                except Exception:  # noqa: BLE001 - a refused path: Typer's message names it as typed
                    pass
        elif type(value) is kind and kind in (int, float):  # a default of the right type
            return value
        return _NOT_PLAIN


class _PlainList:
    """Typer's conversion of a ``list[str]`` / ``list[Path]`` parameter (``nargs=-1`` or repeated), without Pydantic.

    Typer gives ``()`` for no value and a list of the items, each converted
    as one value (:class:`_PlainValue`); a value with an item that is not
    plain goes to Typer's conversion whole (its results and messages).
    ``stimgen score FILE...`` and ``--entry-regions`` are such parameters.
    """

    def __init__(self, item: _PlainValue):
        self.item = item

    def coerce(self, value, param, ctx):
        if value is None:  # as Typer's RuntimeParam.coerce for a multi-value parameter
            return ()
        if isinstance(value, (list, tuple)):
            items = [self.item.plain(v, param, ctx) if isinstance(v, str) else _NOT_PLAIN for v in value]
            if not any(v is _NOT_PLAIN for v in items):
                return items
        return self.item.typer_runtime().coerce(value, param=param, ctx=ctx)


def _plain_kind(param):
    """``str``, ``int``, ``float`` or ``Path`` if :class:`_PlainValue` may convert ``param``, else None.

    For a multi-value parameter (``nargs=-1`` or repeated) annotated ``list[str]`` or
    ``list[Path]``: ``(list, str)`` or ``(list, Path)`` (:class:`_PlainList`).
    """
    desc = getattr(param, "type_descriptor", None)
    info = getattr(desc, "parameter_info", None)
    if info is None or desc.file_annotation is not None:
        return None
    if getattr(info, "parser", None) is not None:
        return None
    annotation = desc.annotation
    if param.multiple or param.nargs == -1:
        if param.multiple and param.nargs != 1:
            return None
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is not list or len(args) != 1:
            return None
        if args[0] is str or (args[0] is Path and getattr(info, "path_type", None) in (None, Path)):
            return (list, args[0])
        return None
    if param.nargs != 1:
        return None
    if annotation in (str, bool):  # bool: an unset flag's None (Typer converts true/false values itself)
        return annotation
    if annotation in (int, float) and info.min is None and info.max is None and not info.clamp:
        return annotation
    if annotation is Path and getattr(info, "path_type", None) in (None, Path):
        return Path
    return None


def _plain_values(command) -> None:
    """Give the plain parameters of ``command`` and its sub-commands a :class:`_PlainValue` conversion.

    Nothing happens with a Typer that does not convert through
    ``get_runtime_param`` (older releases convert with Click's types, which
    need no Pydantic).
    """
    for param in command.params:
        _plain_value(param)
    for sub in getattr(command, "commands", {}).values():
        _plain_values(sub)


def _plain_value(param) -> None:
    """Give ``param`` a :class:`_PlainValue` conversion if it is plain (see :func:`_plain_values`)."""
    if getattr(param, "_stimgen_plain", False) or not callable(getattr(type(param), "get_runtime_param", None)):
        return
    try:
        from typer._param_types import coerce_cli_path
    except ImportError:
        return
    param._stimgen_plain = True
    kind = _plain_kind(param)
    if isinstance(kind, tuple):  # (list, item kind)
        plain = _PlainList(_PlainValue(kind[1], param.get_runtime_param, coerce_cli_path))
        param.get_runtime_param = lambda plain=plain: plain
    elif kind is not None:
        plain = _PlainValue(kind, param.get_runtime_param, coerce_cli_path)
        param.get_runtime_param = lambda plain=plain: plain


class _Group(TyperGroup):
    """The root group: Click's usage errors become one ``stimgen: error:`` line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        _tidy_help(self)
        _plain_values(self)
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
