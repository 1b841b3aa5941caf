"""``stimgen score``: score audio files with the connectome-harmonics model.

For each file prints the duration, the score (semantically-neutral energy in
reference units, see :mod:`resonance.pipeline`), the main metrics and a
one-line reading of them (:func:`stimgen.report.reading`); or one JSON line
per file (``--json``).  ``--out`` collects every scored file in a CSV or
JSON-lines file, written atomically once all files are done; ``--plot``
writes one PNG per file (with several files ``plot.png`` becomes
``plot-<filestem>.png``).

Folders are searched recursively for audio files (extensions of
:data:`resonance.io.audio.SUPPORTED_EXTENSIONS`, any case), in sorted order.
A bad file is reported as one line on standard error and skipped; the others
are still scored, and the exit code is 2 if any file failed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from ._app import EXIT_USER_ERROR, app, user_errors

__all__ = ["LONG_FILE_S", "expand_inputs", "score_command"]

#: A single file longer than this (s) gets a progress bar.
LONG_FILE_S = 60.0


def expand_inputs(paths) -> list[Path]:
    """Files to score: files as given, folders searched recursively.

    Parameters
    ----------
    paths : iterable of str or Path
        Command-line arguments.

    Returns
    -------
    list of Path
        Files given directly (kept even if missing or of another type, so
        that scoring reports them), and, for each folder, the files below it
        whose extension is supported (case-insensitive), sorted.  A folder with
        no audio file is kept as is (scoring it reports the problem).
    """
    from resonance.io.audio import SUPPORTED_EXTENSIONS

    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                (p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS and p.is_file()),
                key=lambda p: p.as_posix(),
            )
            out.extend(found if found else [path])
        else:
            out.append(path)
    return out


def _one_line(message: str, path: Path) -> str:
    message = " ".join(str(message).split())
    return message if str(path) in message else f"'{path}': {message}"


class _Progress:
    """A transient rich progress bar on stderr, started only when worth it."""

    def __init__(self, n_files: int):
        self.n_files = n_files
        self._progress = None
        self._task = None
        self._task_label = None

    def _start(self):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            # Not on a terminal (a pipe, a log file): no bar and no blank line.
            disable=not console.is_terminal,
        )
        self._progress.start()

    def file(self, index: int, path: Path):
        """Return the ``on_progress`` callback for one file."""
        label = f"[{index + 1}/{self.n_files}] {path.name}" if self.n_files > 1 else path.name

        def on_progress(done_s: float, total_s: float) -> None:
            if self._progress is None:
                if self.n_files == 1 and total_s <= LONG_FILE_S:
                    return
                self._start()
            if self._task_label != label:
                if self._task is not None:
                    self._progress.remove_task(self._task)
                self._task = self._progress.add_task(label, total=max(total_s, 1e-9))
                self._task_label = label
            self._progress.update(self._task, completed=min(done_s, total_s))

        return on_progress

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@app.command("score")
def score_command(
    files: list[Path] = typer.Argument(..., help="Audio files or folders (searched recursively).", show_default=False),
    connectome: Path | None = typer.Option(
        None,
        "--connectome", metavar="tvb:NN|PATH",
        help="Connectome: tvb:66, tvb:68, tvb:76 (default), tvb:96, a TVB connectivity (.zip or folder) "
        "or a square weight matrix (.npy, .csv, .txt, .tsv; labels optional).",
    ),
    entry_regions: list[str] | None = typer.Option(
        None,
        "--entry-regions", metavar="KIND=REGIONS",
        help="Entry regions of --connectome: auditory=LABEL,... and/or premotor=LABEL,... (labels, or 0-based "
        "matrix rows); repeat or separate with ';'. Default: found by label (A1/A2, transversetemporal/TT, "
        "superiortemporal/ST; PMCM/PMCDL, caudalmiddlefrontal/CMF).",
        show_default=False,
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON line per file instead of the table."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a figure per file: .png, .svg or .pdf (several "
                                     "files: PLOT-<filestem>.png)."),
    plot_ymax: float | None = typer.Option(None, "--plot-ymax", help="Fixed top of the plots' energy scales "
                                           "(% of reference), the same for every file (default: each file's own)."),
    out: Path | None = typer.Option(None, "--out", help="Also write all results to a .csv or .jsonl file."),
) -> None:
    """Score audio files: semantically-neutral energy and the model's metrics."""
    with user_errors():
        from resonance.errors import ResonanceError
        from resonance.io.audio import SUPPORTED_EXTENSIONS

        from .. import __version__, report
        from ..errors import ParameterError, StimgenError

        if plot is not None:
            from ..io import check_output_path
            from ..plotting import PLOT_EXTENSIONS

            check_output_path(plot, what="--plot", extensions=PLOT_EXTENSIONS)
        if plot_ymax is not None:
            report.check_plot_ymax(plot_ymax)
        if out is not None:
            report.check_out_path(out)

        from resonance.connectome import load_connectome
        from resonance.coupling import require_entry_regions
        from resonance.harmonics import connectome_harmonics
        from resonance.pipeline import ModelConfig, score_file

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            conn = load_connectome(connectome, entry_regions=entry_regions or None)
            harmonics = connectome_harmonics(conn)
        for warning in caught:
            typer.echo(f"stimgen: warning: {warning.message}", err=True)
        require_entry_regions(harmonics)  # a connectome that sound cannot enter fails here, not per file

        paths = expand_inputs(files)
        several = len(paths) > 1
        arc_threshold = ModelConfig().arc_threshold
        records: list[dict] = []
        n_failed = 0
        taken: set[str] = set()
        progress = _Progress(len(paths))
        try:
            for index, path in enumerate(paths):
                try:
                    if path.is_dir():
                        raise ParameterError(
                            f"folder '{path}' holds no audio files (searched for {', '.join(SUPPORTED_EXTENSIONS)})"
                        )
                    result = score_file(path, harmonics=harmonics, on_progress=progress.file(index, path))
                    record = report.score_record(str(path), result, model_version=__version__)
                    if plot is not None:
                        target = report.plot_path_for(plot, path, several=several, taken=taken)
                        written = report.plot_score(record, result.timeline, target, arc_threshold=arc_threshold,
                                                   ymax=plot_ymax)
                except (ResonanceError, StimgenError) as exc:
                    n_failed += 1
                    typer.echo(f"stimgen: error: {_one_line(exc, path)}", err=True)
                    continue
                records.append(record)
                if json_output:
                    typer.echo(report.jsonl_line(record))
                else:
                    if len(records) > 1:
                        typer.echo("")
                    typer.echo(report.format_record(record))
                if plot is not None:
                    typer.echo(f"wrote {written}", err=json_output)
        finally:
            progress.stop()
        if records and not json_output:
            import textwrap

            typer.echo("\n" + textwrap.fill(report.legend(), width=100))

        if out is not None:
            if records:
                written = report.write_results(records, out)
                n = len(records)
                typer.echo(f"wrote {written} ({n} file{'s' if n != 1 else ''})", err=json_output)
            else:
                typer.echo(f"stimgen: error: no file was scored; --out '{out}' not written", err=True)
        if n_failed:
            raise typer.Exit(EXIT_USER_ERROR)
