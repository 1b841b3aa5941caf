"""``stimgen score``: score audio files with the connectome-harmonics model.

For each file prints the duration, the score (semantically-neutral energy in
reference units, see :mod:`resonance.scorer`), the main metrics and a
one-line reading of them (:func:`stimgen.report.reading`); or one JSON line
per file (``--json``).  ``--plot`` writes one PNG per file (with several
files ``plot.png`` becomes ``plot-<filestem>.png``).

Libraries.  The files are scored by :func:`resonance.io.library.score_rows`:
``--out`` (``.parquet``, ``.csv`` or ``.jsonl``) is the results table, one
row per file (file facts, content hash, score, every metric, model version,
connectome, error), rewritten atomically in batches as files finish and
once more at the end or on Ctrl-C; a rerun with the same ``--out`` skips the
files already scored with the same model, connectome and content.
``--workers N`` (N >= 2) scores on a local Dask cluster of N processes,
``--scheduler ADDRESS`` on a running one; by default a run of
:data:`AUTO_CLUSTER_MIN_FILES` files or more uses a local cluster with one
worker per CPU, fewer files are scored in this process.  ``--timeline DIR``
writes each file's per-step timeline as a Parquet file.  On a terminal a
progress bar shows files done, audio hours done, files/s and the time left.

Folders are searched recursively for audio files (extensions of
:data:`resonance.io.audio.SUPPORTED_EXTENSIONS`, any case), in sorted order.
A bad file is reported as one line on standard error (and gets a row with
its error in ``--out``); the others are still scored, and the exit code is
2 if any file failed, 130 after Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ._app import EXIT_USER_ERROR, app, user_errors
from ._connectome import connectome_option, echo_warnings, entry_regions_option
from .generate import _may_be_terminal

__all__ = ["LONG_FILE_S", "AUTO_CLUSTER_MIN_FILES", "OUT_FORMATS", "expand_inputs", "record_from_row",
           "score_command"]


def __getattr__(name):
    """``OUT_FORMATS`` (:data:`resonance.io.library.OUT_FORMATS`), imported on first use: the library
    module loads hashlib and more, which the other commands (``stimgen generate``) do not need."""
    if name == "OUT_FORMATS":
        from resonance.io.library import OUT_FORMATS

        return OUT_FORMATS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: A single file longer than this (s) gets a progress bar.
LONG_FILE_S = 60.0

#: Without ``--workers`` or ``--scheduler``, this many files or more are
#: scored on a local Dask cluster with one worker per CPU (if there are two
#: or more).  Engineering choice: starting the cluster and sending it the
#: harmonics takes about 2-3 s (benchmarks/bench_library.py), the time the
#: model needs for about a minute of audio.
AUTO_CLUSTER_MIN_FILES = 8



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


def record_from_row(row: dict) -> dict:
    """The record of :func:`stimgen.report.score_record` rebuilt from a flat table row.

    Parameters
    ----------
    row : dict
        A row of :func:`resonance.score_files` without an error.

    Returns
    -------
    dict
        ``file``, ``duration_s``, ``score``, ``score_units``, ``metrics``,
        ``arc``, ``harmonics``, ``top_regions``, ``model_version`` (what
        ``--json`` prints, without the reading).
    """
    regions = []
    for item in (row.get("top_regions") or "").split(";"):
        if item:
            name, _, share = item.rpartition(":")
            try:
                value = float(share)
            except ValueError:
                value = None
            regions.append({"region": name, "share": value})
    return {
        "file": row["file"],
        "duration_s": row.get("duration_s"),
        "score": row.get("score"),
        "score_units": row.get("score_units"),
        "metrics": {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("metrics.")},
        "arc": {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("arc.")},
        "harmonics": row.get("harmonics"),
        "top_regions": regions,
        "model_version": row.get("model_version"),
    }


class _FileProgress:
    """A transient bar for one long file scored in this process (stderr, terminals only)."""

    def __init__(self):
        self._progress = None
        self._task = None

    def __call__(self, index: int, path: str):
        def on_progress(done_s: float, total_s: float) -> None:
            if self._progress is None:
                if total_s <= LONG_FILE_S:
                    return
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                console = Console(stderr=True)
                self._progress = Progress(
                    TextColumn(Path(path).name), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                    TimeRemainingColumn(), console=console, transient=True, disable=not console.is_terminal,
                )
                self._progress.start()
                self._task = self._progress.add_task(Path(path).name, total=max(total_s, 1e-9))
            self._progress.update(self._task, completed=min(done_s, total_s))

        return on_progress

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class _LibraryProgress:
    """Files done, audio hours done, files/s and time left (stderr, terminals only)."""

    def __init__(self):
        self._progress = None
        self._task = None
        self.audio_s = 0.0
        self.n_done = 0

    def start(self, n_files: int) -> None:
        if n_files < 2 or not _may_be_terminal(sys.stderr):  # rich (0.05 s to import) only where it may show
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._progress = Progress(
            TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
            TextColumn("{task.fields[audio_h]:.2f} h audio"), TextColumn("{task.fields[rate]} files/s"),
            TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=True,
        )
        self._task = self._progress.add_task("scoring", total=n_files, audio_h=0.0, rate="-")
        self._progress.start()

    def file_done(self, duration_s) -> None:
        self.n_done += 1
        self.audio_s += float(duration_s or 0.0)
        if self._progress is not None:
            speed = self._progress.tasks[0].speed
            self._progress.update(self._task, advance=1, audio_h=self.audio_s / 3600.0,
                                  rate="-" if not speed else f"{speed:.2f}")

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _cluster_size(workers: int | None, scheduler: str | None, n_files: int) -> int | None:
    """Local cluster processes to start (``None``: no local cluster)."""
    if scheduler is not None:
        return None
    if workers is not None:
        return workers if workers >= 2 else None
    from ..commands.optimize import default_workers

    cpus = default_workers()
    return cpus if n_files >= AUTO_CLUSTER_MIN_FILES and cpus >= 2 else None


@app.command("score")
def score_command(
    files: list[Path] = typer.Argument(..., help="Audio files or folders (searched recursively).", show_default=False),
    connectome: Path | None = connectome_option(),
    entry_regions: list[str] | None = entry_regions_option(),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON line per file instead of the table."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a figure per file: .png, .svg or .pdf (several "
                                     "files: PLOT-<filestem>.png)."),
    plot_ymax: float | None = typer.Option(None, "--plot-ymax", help="Fixed top of the plots' energy scales "
                                           "(% of reference), the same for every file (default: each file's own)."),
    out: Path | None = typer.Option(
        None, "--out", help="Results table (.parquet, .csv or .jsonl), written as files finish; a rerun resumes it."),
    workers: int | None = typer.Option(
        None, "--workers", help="Score on a local Dask cluster of N processes (1: in this process). "
        f"Default: one per CPU for {AUTO_CLUSTER_MIN_FILES} files or more.", show_default=False),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Score on a running Dask cluster, e.g. tcp://host:8786.", show_default=False),
    timeline: Path | None = typer.Option(
        None, "--timeline", help="Folder for one per-step timeline (.parquet) per file.", show_default=False),
) -> None:
    """Score audio files: semantically-neutral energy and the model's metrics."""
    with user_errors():
        from resonance.errors import ResonanceError
        from resonance.io.audio import SUPPORTED_EXTENSIONS
        from resonance.io.library import score_rows

        from .. import report
        from ..errors import ParameterError, StimgenError
        from ..io import check_output_path

        if plot is not None:
            from ..io import check_output_path
            from ..plotting import PLOT_EXTENSIONS

            check_output_path(plot, what="--plot", extensions=PLOT_EXTENSIONS)
        if plot_ymax is not None:
            report.check_plot_ymax(plot_ymax)
        if out is not None:
            from resonance.io.library import OUT_FORMATS

            check_output_path(out, what="--out", extensions=OUT_FORMATS)
        if workers is not None and scheduler is not None:
            raise ParameterError(f"--workers={workers} and --scheduler '{scheduler}' exclude each other; give one")
        if workers is not None and not 1 <= workers <= 1024:
            raise ParameterError(f"--workers={workers} is not allowed; allowed: an integer in [1, 1024]")
        if timeline is not None and not timeline.is_dir():
            raise ParameterError(f"--timeline '{timeline}' is not an existing folder; create it first")

        from resonance.connectome import load_connectome
        from resonance.connectome.coupling import require_entry_regions
        from resonance.harmonics import connectome_harmonics
        from resonance.config import ModelConfig

        with echo_warnings():
            conn = load_connectome(connectome, entry_regions=entry_regions or None)
            harmonics = connectome_harmonics(conn)
        require_entry_regions(harmonics)  # a connectome that sound cannot enter fails here, not per file

        paths = expand_inputs(files)
        n_failed = 0
        for folder in (p for p in paths if p.is_dir()):
            n_failed += 1
            typer.echo(f"stimgen: error: folder '{folder}' holds no audio files (searched for "
                       f"{', '.join(SUPPORTED_EXTENSIONS)})", err=True)
        paths = [p for p in paths if not p.is_dir()]
        several = len(paths) > 1
        arc_threshold = ModelConfig().arc_threshold
        taken: set[str] = set()
        state = {"printed": 0, "failed": 0, "skipped": 0, "scored": 0, "plots_failed": 0}
        progress = _LibraryProgress()
        file_progress = _FileProgress()

        def on_plan(n_todo: int, n_skipped: int) -> None:
            state["skipped"] = n_skipped
            if n_skipped:
                typer.echo(f"skipped {n_skipped} file{'s' if n_skipped != 1 else ''} already in '{out}' (same "
                           f"model, connectome and content); {n_todo} to score", err=True)
            progress.start(n_todo)

        def on_row(row: dict, timeline_arrays) -> None:
            progress.file_done(row.get("duration_s"))
            if row.get("error") is not None:
                state["failed"] += 1
                typer.echo(f"stimgen: error: {_one_line(row['error'], Path(row['file']))}", err=True)
                return
            state["scored"] += 1
            record = record_from_row(row)
            record["reading"] = row["reading"] = report.reading(record)
            record["model_version"] = record.pop("model_version")
            if json_output:
                typer.echo(report.jsonl_line(record))
            else:
                if state["printed"]:
                    typer.echo("")
                typer.echo(report.format_record(record))
            state["printed"] += 1
            if plot is not None:
                target = report.plot_path_for(plot, Path(row["file"]), several=several, taken=taken)
                try:
                    written = report.plot_score(record, timeline_arrays, target, arc_threshold=arc_threshold,
                                               ymax=plot_ymax)
                except (StimgenError, ResonanceError) as exc:
                    state["plots_failed"] += 1
                    typer.echo(f"stimgen: error: {_one_line(exc, target)}", err=True)
                else:
                    typer.echo(f"wrote {written}", err=json_output)

        n_workers = _cluster_size(workers, scheduler, len(paths))
        kwargs = dict(harmonics=harmonics, out=out, timeline_dir=timeline, return_timelines=plot is not None,
                      on_plan=on_plan, on_row=on_row)
        table = None
        try:
            if paths and (n_workers is not None or scheduler is not None):
                from ..cluster import dashboard_address, dask_client

                with dask_client(workers=n_workers, scheduler=scheduler) as client:
                    where = f"{n_workers} local workers" if scheduler is None else f"scheduler {scheduler}"
                    link = dashboard_address(client)
                    typer.echo(f"scoring on a Dask cluster ({where})"
                               + (f"; dashboard: {link}" if link else ""), err=True)
                    table = score_rows(paths, client=client, **kwargs)
            elif paths:
                table = score_rows(paths, file_progress=file_progress if len(paths) == 1 else None, **kwargs)
        except KeyboardInterrupt:
            progress.stop()
            file_progress.stop()
            done = state["scored"] + state["failed"] + state["skipped"]
            kept = f"; '{out}' keeps the {done} file{'s' if done != 1 else ''} finished so far: run the same " \
                   "command again to score the rest" if out is not None else ""
            typer.echo(f"stimgen: interrupted{kept}", err=True)
            raise typer.Exit(130) from None
        finally:
            progress.stop()
            file_progress.stop()
        if state["scored"] and not json_output:
            import textwrap

            typer.echo("\n" + textwrap.fill(report.legend(), width=100))

        n_failed += state["failed"] + state["plots_failed"]
        if out is not None and table is not None:
            n = len(table)
            parts = [f"{n} file{'s' if n != 1 else ''}"]
            if state["failed"]:
                parts.append(f"{state['failed']} failed")
            if state["skipped"]:
                parts.append(f"{state['skipped']} already scored")
            typer.echo(f"wrote {out} ({', '.join(parts)})", err=json_output)
        if n_failed:
            raise typer.Exit(EXIT_USER_ERROR)
