"""``stimgen harmonics``: list, export and plot the connectome harmonics.

Prints a table of modes (index, graph eigenvalue, physical eigenvalue,
ringing frequency, damping ratio, the coordinate axis the mode follows most),
or one JSON document with the same data (``--json``), and optionally writes a
PNG with a few modes painted on the cortex and the spectrum (``--plot``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import typer

from ._app import app, user_errors
from ._connectome import connectome_option, echo_warnings, entry_regions_option

__all__ = ["MIN_AXIS_CORRELATION", "harmonics_command", "harmonics_document"]

_AXES = ("x", "y", "z")

#: A mode whose largest |correlation| with a coordinate is below this follows
#: no axis (e.g. mode 1, which is nearly flat); shown as "-".
MIN_AXIS_CORRELATION = 0.1


def _dominant_axes(harmonics) -> list[tuple[str | None, float | None]]:
    from resonance.harmonics import spatial_axis_correlations

    corr = spatial_axis_correlations(harmonics)
    out = []
    for row in corr:
        if np.all(np.isnan(row)):
            out.append((None, None))
            continue
        k = int(np.nanargmax(np.abs(row)))
        out.append((_AXES[k] if abs(row[k]) >= MIN_AXIS_CORRELATION else None, float(row[k])))
    return out


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def harmonics_document(harmonics, connectome) -> dict:
    """The JSON document of ``stimgen harmonics --json``.

    Parameters
    ----------
    harmonics : resonance.harmonics.Harmonics
    connectome : resonance.connectome.Connectome

    Returns
    -------
    dict
        ``{"connectome": {...}, "parameters": {...}, "regional": {...},
        "modes": [{"index", "eigenvalue", "eigenvalue_per_mm2",
        "frequency_hz", "damping_ratio", "dominant_axis", "axis_correlation"},
        ...]}``; mode indices start at 1.

    Examples
    --------
    >>> doc = harmonics_document(connectome_harmonics(), load_connectome())  # doctest: +SKIP
    >>> doc["modes"][1]["dominant_axis"]  # doctest: +SKIP
    'y'
    """
    axes = _dominant_axes(harmonics)
    modes = []
    for k in range(harmonics.n_modes):
        axis, corr = axes[k]
        modes.append(
            {
                "index": k + 1,
                "eigenvalue": float(harmonics.eigenvalues[k]),
                "eigenvalue_per_mm2": float(harmonics.eigenvalues_per_mm2[k]),
                "frequency_hz": float(harmonics.frequencies_hz[k]),
                "damping_ratio": float(harmonics.damping_ratio[k]),
                "dominant_axis": axis,
                "axis_correlation": None if corr is None else _finite(corr),
            }
        )
    regional_counts = [r.n_modes for r in harmonics.regional]
    return {
        "connectome": {
            "name": connectome.name,
            "level": harmonics.level,
            "n_regions": connectome.n_regions,
            "n_vertices": harmonics.n_vertices,
            "has_mesh": connectome.has_mesh,
            "region_labels": list(harmonics.region_labels),
            "dropped_regions": list(connectome.dropped_labels),
            "entry_regions": connectome.entry_regions.as_dict(),
        },
        "parameters": dict(
            harmonics.parameters,
            edge_length_mm=harmonics.edge_length_mm,
            length_scale=harmonics.length_scale,
        ),
        "regional": {
            "available": harmonics.has_regional_harmonics,
            "note": harmonics.regional_note,
            "n_modes_per_region": dict(zip(harmonics.region_labels, regional_counts, strict=False)),
        },
        "from_cache": harmonics.from_cache,
        "modes": modes,
    }


def _print_table(harmonics, connectome, rows: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=True)
    console.print(f"[bold]source[/bold]      {connectome.name}")
    dropped = f"; dropped {', '.join(connectome.dropped_labels)}" if connectome.dropped_labels else ""
    console.print(
        f"[bold]level[/bold]       {harmonics.level} ({connectome.n_regions} regions, "
        f"{harmonics.n_vertices} graph nodes{dropped})"
    )
    entry = connectome.entry_regions
    console.print(
        f"[bold]entry[/bold]       auditory {', '.join(entry.auditory) or 'none (cannot be scored)'}; "
        f"premotor {', '.join(entry.premotor) or 'none'}"
    )
    console.print(
        f"[bold]dispersion[/bold]  gamma = {harmonics.gamma_per_s:g} /s, r = {harmonics.r_mm:g} mm, "
        f"h = {harmonics.edge_length_mm:.3f} mm ({harmonics.length_scale})"
    )
    if harmonics.has_regional_harmonics:
        counts = [r.n_modes for r in harmonics.regional]
        console.print(f"[bold]regional[/bold]    {min(counts)}-{max(counts)} modes in each of {len(counts)} regions")
    else:
        console.print(f"[bold]regional[/bold]    none ({harmonics.regional_note})")
    table = Table(show_lines=False, header_style="bold")
    for name, justify in (
        ("mode", "right"),
        ("eigenvalue", "right"),
        ("lambda (1/mm^2)", "right"),
        ("frequency (Hz)", "right"),
        ("damping", "right"),
        ("axis (r)", "left"),
    ):
        table.add_column(name, justify=justify)
    axes = _dominant_axes(harmonics)
    n_shown = harmonics.n_modes if rows == 0 else min(rows, harmonics.n_modes)
    for k in range(n_shown):
        axis, corr = axes[k]
        table.add_row(
            str(k + 1),
            f"{harmonics.eigenvalues[k]:.3e}",
            f"{harmonics.eigenvalues_per_mm2[k]:.3e}",
            f"{harmonics.frequencies_hz[k]:.2f}",
            f"{harmonics.damping_ratio[k]:.3f}",
            "-" if axis is None else f"{axis} ({corr:+.2f})",
        )
    console.print(table)
    if n_shown < harmonics.n_modes:
        console.print(
            f"... {harmonics.n_modes - n_shown} more modes up to {harmonics.frequencies_hz[-1]:.1f} Hz "
            "(--rows 0 shows all; --json exports all)"
        )


@app.command("harmonics")
def harmonics_command(
    connectome: Path | None = connectome_option(),
    entry_regions: list[str] | None = entry_regions_option(),
    labels: Path | None = typer.Option(None, "--labels", help="Region labels for a matrix, one per line."),
    n_modes: int = typer.Option(200, "--n-modes", help="Number of harmonics (capped at the number of graph nodes)."),
    level: str = typer.Option("auto", "--level", help="auto, vertex (needs the mesh) or region."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document instead of the table."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a figure (.png, .svg or .pdf) of a few modes and the spectrum."),
    rows: int = typer.Option(20, "--rows", help="Table rows to print (0 = all)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute instead of using the on-disk cache."),
) -> None:
    """Compute the connectome harmonics and their resonance frequencies."""
    with user_errors():
        from resonance.connectome import load_connectome
        from resonance.harmonics import connectome_harmonics
        from resonance.validation import check_int

        from ..errors import ParameterError

        check_int("--rows", rows, low=0)
        if plot is not None:
            from ..io import check_output_path
            from ..plotting import PLOT_EXTENSIONS

            check_output_path(plot, what="--plot", extensions=PLOT_EXTENSIONS)
        if labels is not None and connectome is None:
            raise ParameterError("--labels needs --connectome (the default connectome has its own labels)")
        with echo_warnings():
            conn = load_connectome(connectome, labels=labels, entry_regions=entry_regions or None)
            harmonics = connectome_harmonics(conn, n_modes=n_modes, level=level, cache=not no_cache)

        if json_output:
            typer.echo(json.dumps(harmonics_document(harmonics, conn), indent=1))
        else:
            _print_table(harmonics, conn, rows)
        if plot is not None:
            from ..plotting import plot_harmonics

            written = plot_harmonics(harmonics, plot)
            typer.echo(f"wrote {written}", err=json_output)
