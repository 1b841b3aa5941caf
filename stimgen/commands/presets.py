"""``stimgen presets``: list the bundled presets, show one resolved, or list the schema.

``stimgen presets`` prints a table of every bundled preset's name, length
and purpose; ``stimgen presets show NAME`` prints the resolved preset (every
default filled in) as TOML, which can be saved, edited and passed back to
``stimgen generate FILE.toml``; ``stimgen presets schema`` lists every key a
preset may hold (layer kinds included) with its allowed range, default and
the optimizer's search range, from the one declarative schema in
:mod:`stimgen.preset` (``--markdown`` prints ``docs/presets.md``).
"""

from __future__ import annotations

import typer

from ._app import app, user_errors

__all__ = ["presets_app", "list_command", "show_command", "schema_command", "format_duration", "format_schema"]

presets_app = typer.Typer(help="List the bundled presets, show one resolved, or list the preset schema.",
                          no_args_is_help=False)


def format_duration(seconds: float) -> str:
    """A session length for people: ``"45 min"``, ``"90 s"``, ``"1 h 30 min"``.

    Examples
    --------
    >>> format_duration(2700.0), format_duration(90.0), format_duration(5400.0)
    ('45 min', '90 s', '1 h 30 min')
    """
    if seconds < 120:
        return f"{seconds:g} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _console():
    """A rich console on stdout: the terminal's width, or rich's default (80) in a pipe."""
    from rich.console import Console

    return Console()


@presets_app.callback(invoke_without_command=True)
def list_command(ctx: typer.Context) -> None:
    """List the bundled presets: name, length and purpose."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        from rich.table import Table

        from ..preset import list_presets

        table = Table("name", "length", "purpose", show_lines=False)
        for name, duration_s, purpose in list_presets(with_duration=True):
            table.add_row(name, format_duration(duration_s), purpose)
        console = _console()
        console.print(table)
        console.print("Render one shorter with --duration, e.g. stimgen generate groove -o groove.wav --duration 60. "
                      "Keys and ranges: stimgen presets schema.", highlight=False)


@presets_app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Bundled preset name or path to a .toml preset.", show_default=False),
) -> None:
    """Print a preset resolved (every default filled in) as TOML."""
    with user_errors():
        from ..preset import load_preset, preset_to_toml

        typer.echo(preset_to_toml(load_preset(name)), nl=False)


@presets_app.command("schema")
def schema_command(
    markdown: bool = typer.Option(False, "--markdown", help="Print the Markdown page docs/presets.md instead."),
) -> None:
    """List every preset key (every layer kind) with its range, default and search range."""
    with user_errors():
        from ..preset import schema_markdown, schema_rows

        if markdown:
            typer.echo(schema_markdown(), nl=False)
            return
        typer.echo(format_schema(schema_rows()))


def format_schema(rows: list) -> str:
    """The schema as plain text, one key per line, grouped by section (readable in a pipe too).

    Examples
    --------
    >>> from stimgen.preset import schema_rows
    >>> "[drums]" in format_schema(schema_rows())
    True
    """
    titles = {"preset": "top level", "arc": "the [arc] table", "layers": "keys of every [[layers]] table",
              "layers.am": "a layer's am table (amplitude modulation)"}
    key_w = max(len(r["key"]) for r in rows)
    allowed_w = min(48, max(len(r["allowed"]) for r in rows))
    lines = ["Every key a preset may hold: allowed values, default [unit], the range stimgen optimize searches "
             "by default, and what it does. Ranges are inclusive. Details: docs/presets.md."]
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            title = titles.get(section, f"keys of a '{section}' layer")
            lines.append("")
            lines.append(f"[{section}]  {title}")
        numeric = r["default"].lstrip("-").replace(".", "", 1).isdigit()
        default = r["default"] + (f" {r['unit']}" if r["unit"] and numeric else "")
        searched = f"searched {r['searched']}; " if r["searched"] else ""
        lines.append(f"  {r['key']:<{key_w}}  {r['allowed']:<{allowed_w}}  default {default}; {searched}{r['doc']}")
    return "\n".join(lines)


app.add_typer(presets_app, name="presets", invoke_without_command=True)
