"""``stimgen presets``: list the bundled presets, or show one resolved.

``stimgen presets`` prints a table of every bundled preset's name and
purpose; ``stimgen presets show NAME`` prints the resolved preset (every
default filled in) as TOML, which can be saved, edited and passed back to
``stimgen generate FILE.toml``.
"""

from __future__ import annotations

import typer

from ._app import app, user_errors

__all__ = ["presets_app", "list_command", "show_command"]

presets_app = typer.Typer(help="List the bundled presets, or show one resolved.", no_args_is_help=False)


@presets_app.callback(invoke_without_command=True)
def list_command(ctx: typer.Context) -> None:
    """List the bundled presets: name and purpose."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        from rich.console import Console
        from rich.table import Table

        from ..preset import list_presets

        table = Table("name", "purpose", show_lines=False)
        for name, purpose in list_presets():
            table.add_row(name, purpose)
        Console(width=200 if not typer.get_text_stream("stdout").isatty() else None).print(table)


@presets_app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Bundled preset name or path to a .toml preset.", show_default=False),
) -> None:
    """Print a preset resolved (every default filled in) as TOML."""
    with user_errors():
        from ..preset import load_preset, preset_to_toml

        typer.echo(preset_to_toml(load_preset(name)), nl=False)


app.add_typer(presets_app, name="presets", invoke_without_command=True)
