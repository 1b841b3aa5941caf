"""Figures (PNG, SVG or PDF, by the file's extension) for the command line.

Matplotlib is used through :class:`matplotlib.figure.Figure` and its Agg
canvas only: no ``pyplot``, no global backend switch, nothing shown on screen.
Import this module lazily (inside a command), since matplotlib is heavy.
Every figure is written atomically by :func:`save_figure_atomic`.

Mesh views
----------
Cortical meshes are painted with a painter's algorithm: triangles are
projected onto a plane, sorted from far to near and filled with the mode value
(mean of their three vertices, blue negative, red positive), lightly shaded by
the angle between triangle and viewer.  The views assume the axes of the
tvb-data mesh: ``x`` posterior to anterior, ``y`` right to left, ``z``
inferior to superior (see :mod:`resonance.connectome`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from resonance.harmonics import Harmonics

from resonance.io.atomic import atomic_path

from .errors import ParameterError

__all__ = ["HARMONICS_PLOT_MODES", "MESH_VIEWS", "PLOT_EXTENSIONS", "plot_harmonics", "save_figure_atomic",
           "legend_above"]

#: Figure formats, chosen by the file's extension: raster PNG, or vector SVG
#: and PDF for papers.
PLOT_EXTENSIONS = (".png", ".svg", ".pdf")

#: Modes (1-based) painted by default: the hemisphere split, the first two
#: within-hemisphere modes and a finer one.
HARMONICS_PLOT_MODES = (2, 3, 4, 10)

#: Mesh views: name -> (horizontal axis, its sign, vertical axis, its sign,
#: depth axis, its sign); the viewer looks from +depth.  Axis 0 = x
#: (anterior), 1 = y (left), 2 = z (superior).
MESH_VIEWS = {
    "dorsal": (1, -1.0, 0, 1.0, 2, 1.0),
    "left lateral": (0, -1.0, 2, 1.0, 1, 1.0),
    "right lateral": (0, 1.0, 2, 1.0, 1, -1.0),
}


def save_figure_atomic(figure: Figure, path, *, dpi: int = 110) -> Path:
    """Save a figure as PNG, SVG or PDF (by extension) via a temporary file in the same folder.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or os.PathLike
        Target ``.png``, ``.svg`` or ``.pdf`` file; its folder must exist.
    dpi : int
        Resolution (of PNG, and of raster parts of SVG/PDF).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If the name does not end in one of :data:`PLOT_EXTENSIONS`, the
        folder does not exist or the file cannot be written.

    Examples
    --------
    >>> save_figure_atomic(Figure(), "out.svg")  # doctest: +SKIP
    PosixPath('out.svg')
    """
    from .io import check_output_path

    path = check_output_path(path, what="plot file", extensions=PLOT_EXTENSIONS)
    ext = path.suffix.lower()
    # SVG and PDF embed a creation date by default; without it the same data give the same bytes.
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(ext[1:])
    try:
        with atomic_path(path, suffix=".tmp" + ext) as tmp, open(tmp, "wb") as fh:
            figure.savefig(fh, format=ext[1:], dpi=dpi, metadata=metadata)
    except OSError as exc:
        raise ParameterError(f"plot file '{path}' cannot be written ({exc.strerror or exc})") from None
    return path


def legend_above(ax, **kwargs):
    """A legend above the axes, right-aligned (the title stays left): it never covers a curve."""
    handles, labels = [], []
    for axis in kwargs.pop("axes", [ax]):
        h, lab = axis.get_legend_handles_labels()
        handles += h
        labels += lab
    if handles:
        ax.legend(handles, labels, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(handles),
                  frameon=False, borderaxespad=0.2, **{"fontsize": 8, **kwargs})


def _paint_mesh(ax, vertices, triangles, values, view, norm, cmap) -> None:
    h_axis, h_sign, v_axis, v_sign, d_axis, d_sign = MESH_VIEWS[view]
    xy = np.column_stack([h_sign * vertices[:, h_axis], v_sign * vertices[:, v_axis]])
    depth = d_sign * vertices[triangles, d_axis].mean(axis=1)
    order = np.argsort(depth, kind="stable")
    tri = triangles[order]
    p0, p1, p2 = (vertices[tri[:, k]] for k in range(3))
    normal = np.cross(p1 - p0, p2 - p0)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    facing = np.abs(normal[:, d_axis])
    colours = cmap(norm(values[tri].mean(axis=1)))
    colours[:, :3] *= (0.55 + 0.45 * facing)[:, None]
    ax.add_collection(PolyCollection(xy[tri], facecolors=colours, edgecolors="none", antialiaseds=False))
    ax.set_xlim(xy[:, 0].min() - 2, xy[:, 0].max() + 2)
    ax.set_ylim(xy[:, 1].min() - 2, xy[:, 1].max() + 2)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _paint_regions(ax, centres, values, view, norm, cmap) -> None:
    h_axis, h_sign, v_axis, v_sign, d_axis, d_sign = MESH_VIEWS[view]
    order = np.argsort(d_sign * centres[:, d_axis])
    ax.scatter(
        h_sign * centres[order, h_axis],
        v_sign * centres[order, v_axis],
        c=values[order],
        cmap=cmap,
        norm=norm,
        s=60,
        edgecolors="0.3",
        linewidths=0.5,
    )
    ax.set_aspect("equal")
    ax.set_axis_off()


def plot_harmonics(harmonics: Harmonics, path, *, modes=HARMONICS_PLOT_MODES, dpi: int = 110) -> Path:
    """Paint a few modes on the cortex and plot the frequency spectrum.

    One row per mode with dorsal, left and right lateral views (vertex level:
    the painted mesh; region level: region centres as dots, or a bar per
    region without centres), then two panels: the ringing frequency of every
    mode against its index (colour = damping ratio), and the response
    ``|H_k(f)|`` of the painted modes to a drive from 0.5 to 100 Hz.

    Parameters
    ----------
    harmonics : resonance.harmonics.Harmonics
    path : str or os.PathLike
        Output ``.png``, ``.svg`` or ``.pdf``; written atomically.
    modes : sequence of int
        1-based mode numbers to paint; those beyond ``n_modes`` are skipped.
    dpi : int
        Resolution.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If no requested mode exists or the file cannot be written.

    Examples
    --------
    >>> plot_harmonics(connectome_harmonics(), "modes.png")  # doctest: +SKIP
    """
    from matplotlib import colormaps

    shown = [int(m) for m in modes if 1 <= int(m) <= harmonics.n_modes]
    if not shown:
        raise ParameterError(f"modes={list(modes)}: none lies in [1, {harmonics.n_modes}]")
    cmap = colormaps["RdBu_r"]
    views = list(MESH_VIEWS)
    n_rows = len(shown)
    height_in = 2.4 * n_rows + 3.6
    figure = Figure(figsize=(9.5, height_in))
    figure.subplots_adjust(left=0.07, right=0.97, top=1.0 - 0.75 / height_in, bottom=0.06)
    outer = figure.add_gridspec(2, 1, height_ratios=[2.4 * n_rows, 2.6], hspace=0.12)
    grid = outer[0].subgridspec(n_rows, 3, hspace=0.22, wspace=0.02)
    bottom = outer[1].subgridspec(1, 2, width_ratios=[1.7, 1.0], wspace=0.38)
    name = harmonics.connectome_name
    if len(name) > 70:
        name = name[:20] + "..." + name[-47:]
    figure.suptitle(
        f"Connectome harmonics ({harmonics.level} level, {harmonics.n_vertices} nodes): {name}",
        fontsize=10,
        y=1.0 - 0.2 / height_in,
    )
    for row, mode in enumerate(shown):
        values = harmonics.vectors[:, mode - 1]
        limit = float(np.abs(values).max()) or 1.0
        norm = Normalize(-limit, limit)
        for col, view in enumerate(views):
            ax = figure.add_subplot(grid[row, col])
            if harmonics.level == "vertex":
                _paint_mesh(ax, harmonics.positions_mm, harmonics.triangles, values, view, norm, cmap)
            elif harmonics.positions_mm is not None:
                _paint_regions(ax, harmonics.positions_mm, values, view, norm, cmap)
            elif col == 0:
                ax.bar(np.arange(len(values)), values, color=cmap(norm(values)))
                ax.set_xlabel("region", fontsize=8)
                ax.tick_params(labelsize=7)
            else:
                ax.set_axis_off()
            if col == 0:
                ax.set_title(
                    f"mode {mode}: {harmonics.frequencies_hz[mode - 1]:.1f} Hz, "
                    f"damping {harmonics.damping_ratio[mode - 1]:.2f}",
                    fontsize=9,
                    loc="left",
                )
            if row == 0 and (harmonics.level == "vertex" or harmonics.positions_mm is not None):
                ax.text(0.5, -0.02, view, transform=ax.transAxes, ha="center", va="top", fontsize=7, color="0.35")

    index = np.arange(1, harmonics.n_modes + 1)
    ax = figure.add_subplot(bottom[0, 0])
    points = ax.scatter(
        index, harmonics.frequencies_hz, c=harmonics.damping_ratio, cmap="viridis", s=10, vmin=0, vmax=1
    )
    ax.set_xlabel("mode", fontsize=9)
    ax.set_ylabel("ringing frequency (Hz)", fontsize=9)
    ax.set_title(
        f"Spectrum (gamma = {harmonics.gamma_per_s:g} /s, r = {harmonics.r_mm:g} mm, "
        f"h = {harmonics.edge_length_mm:.2f} mm)",
        fontsize=9,
        loc="left",
    )
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    bar = figure.colorbar(points, ax=ax, pad=0.01)
    bar.set_label("damping ratio", fontsize=8)
    bar.ax.tick_params(labelsize=7)

    ax = figure.add_subplot(bottom[0, 1])
    freqs = np.geomspace(0.5, 100.0, 300)
    response = np.abs(harmonics.transfer(freqs))
    for mode in shown:
        ax.plot(freqs, response[mode - 1], label=f"mode {mode}", lw=1.2)
    ax.set_xscale("log")
    ax.set_xlabel("drive frequency (Hz)", fontsize=9)
    ax.set_ylabel("|H(f)|", fontsize=9)
    ax.set_title("Response to a drive", fontsize=9, loc="left", pad=14)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return save_figure_atomic(figure, path, dpi=dpi)
