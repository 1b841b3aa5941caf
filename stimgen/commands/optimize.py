"""``stimgen optimize``: design a stimulus for a connectome.

Steps: build the search space around a base preset (``--preset``) or the
default template (:class:`stimgen.optimize.SearchSpace`), narrowed or fixed
by ``--bound``; load the connectome and its harmonics; search with
differential evolution (:func:`stimgen.optimize.optimize`) on a local Dask
cluster of ``--workers`` processes (1: in this process) or on a running one
(``--scheduler ADDRESS``), every evaluation logged to a checkpoint; score the winner with
each layer left out (credit assignment); write the winner as a preset
(``-o BEST.toml``, loadable by ``stimgen generate``), a JSON report beside
it (``BEST.optimize.json``) and optionally the rendered track
(``--render BEST.wav`` plus its JSON sidecar).

Checkpoint: ``BEST.checkpoint.jsonl`` beside the output unless
``--checkpoint`` says otherwise.  Ctrl-C stops the run and keeps it; the same
command resumes and reaches the same result.  A finished run deletes it.
"""

from __future__ import annotations

import math
import contextlib
import os
from pathlib import Path

import typer

from ._app import app, user_errors
from ._connectome import connectome_option, echo_warnings, entry_regions_option

__all__ = ["optimize_command", "DEFAULT_BUDGET", "DEFAULT_DURATION_S", "default_workers", "report_path",
           "checkpoint_path"]

#: Default evaluation budget: about two minutes for 60 s candidates on two idle cores.
DEFAULT_BUDGET = 240

#: Default duration of every candidate (s).
DEFAULT_DURATION_S = 60.0

#: Exit code after Ctrl-C (128 + SIGINT), as elsewhere in the CLI.
EXIT_INTERRUPTED = 130


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def report_path(out: Path) -> Path:
    """The JSON report written beside ``out`` (``BEST.toml`` -> ``BEST.optimize.json``)."""
    return out.with_suffix(".optimize.json")


def checkpoint_path(out: Path) -> Path:
    """The default checkpoint beside ``out`` (``BEST.toml`` -> ``BEST.checkpoint.jsonl``)."""
    return out.with_suffix(".checkpoint.jsonl")


class _SearchProgress:
    """A rich progress bar on stderr with the best score so far (terminals only).

    It refreshes only when an evaluation ends (no refresh thread), so the
    worker processes are never forked while another thread holds a lock.
    """

    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self.progress = None
        if console.is_terminal:
            self.progress = Progress(
                TextColumn("optimizing"), BarColumn(), MofNCompleteColumn(), TextColumn("best {task.fields[best]}"),
                TimeElapsedColumn(), console=console, auto_refresh=False, transient=False,
            )
            self.task = self.progress.add_task("optimizing", total=total, best="-")
            self.progress.start()
        self.n = 0

    def __call__(self, event: dict) -> None:
        self.n = event["n"]
        if self.progress is not None:
            best = "-" if event["best_score"] is None else f"{event['best_score']:.3g}"
            self.progress.update(self.task, completed=event["n"], total=event["total"], best=best)
            self.progress.refresh()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _check_output(option: str, path: Path, suffixes: tuple, inputs=()) -> None:
    from ..io import check_output_path

    check_output_path(path, what=option, extensions=suffixes, inputs=inputs)


def _console():
    from rich.console import Console

    return Console(width=None if typer.get_text_stream("stdout").isatty() else 160)


def _print_params(space) -> None:
    from rich.table import Table

    table = Table("parameter", "also", "range", "start", title="searched parameters")
    for p in space.params:
        from ..optimize.space import option_text

        start = option_text(p.start) if p.scale == "choice" else f"{p.start:g}"
        rng = p.describe_range() + (" (fixed)" if p.fixed else "")
        table.add_row(p.name, ", ".join(p.aliases), rng, start)
    _console().print(table)


def _toml_text(preset: dict, *, header: list) -> str:
    from ..preset import preset_to_toml

    lines = [f"# {line}" if line else "#" for line in header]
    return "\n".join(lines) + "\n\n" + preset_to_toml(preset)


@app.command("optimize")
def optimize_command(
    out: Path | None = typer.Option(None, "-o", "--out", show_default=False,
                                    help="Required (except with --list-params): the output preset (.toml) of "
                                         "the best design."),
    connectome: Path | None = connectome_option(),
    entry_regions: list[str] | None = entry_regions_option(),
    preset: str | None = typer.Option(None, "--preset", help="Base preset (name or .toml): its layers and start values."),
    duration: float = typer.Option(DEFAULT_DURATION_S, "--duration", help="Length of every candidate (s)."),
    budget: int = typer.Option(DEFAULT_BUDGET, "--budget", help="Evaluations to spend."),
    seed: int = typer.Option(0, "--seed", help="Seed of the search."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (default: every CPU).",
                                       show_default=False),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Evaluate on a running Dask cluster, e.g. "
                                         "tcp://host:8786 (instead of --workers).", show_default=False),
    bound: list[str] | None = typer.Option(None, "--bound",
                                           help="NAME=LOW:HIGH narrows a parameter, NAME=VALUE fixes it (repeat)."),
    min_consonance: float | None = typer.Option(None, "--min-consonance",
                                                help="Consonance floor; candidates below it are rejected."),
    loudness: float | None = typer.Option(None, "--loudness", help="Loudness target, LUFS (default: the preset's)."),
    render: Path | None = typer.Option(None, "--render", help="Also render the best design (.wav or .flac)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Checkpoint file (default: beside -o).",
                                           show_default=False),
    fresh: bool = typer.Option(False, "--fresh", help="Replace an existing checkpoint instead of resuming it."),
    method: str = typer.Option("de", "--method", help="de (differential evolution) or random (baseline)."),
    list_params: bool = typer.Option(False, "--list-params", help="List the searched parameters and exit."),
) -> None:
    """Search for the stimulus that scores highest on a connectome."""
    with user_errors():
        from ..errors import ParameterError
        from ..optimize.search import MAX_BUDGET, MAX_WORKERS, METHODS, MIN_BUDGET
        from ..optimize.space import SearchSpace, parse_bound
        from ..preset import DURATION_RANGE_S, TARGET_LUFS_RANGE, load_preset

        if not list_params:
            if out is None:
                raise ParameterError("-o BEST.toml is missing; allowed: the .toml file to write the best design to")
            _check_output("-o", out, (".toml",), inputs=[("--preset", preset), ("--connectome", connectome)])
            if render is not None:
                _check_output("--render", render, (".wav", ".flac"))
        if not MIN_BUDGET <= budget <= MAX_BUDGET:
            raise ParameterError(f"--budget={budget} is not allowed; allowed: an integer in [{MIN_BUDGET}, {MAX_BUDGET}]")
        if workers is not None and scheduler is not None:
            raise ParameterError(f"--workers={workers} and --scheduler '{scheduler}' exclude each other; give one")
        n_workers = default_workers() if workers is None else workers
        if not 1 <= n_workers <= MAX_WORKERS:
            raise ParameterError(f"--workers={n_workers} is not allowed; allowed: an integer in [1, {MAX_WORKERS}]")
        if seed < 0:
            raise ParameterError(f"--seed={seed} is not allowed; allowed: an integer >= 0")
        lo, hi = DURATION_RANGE_S
        if not lo <= duration <= hi:
            raise ParameterError(f"--duration={duration:g} is not allowed; allowed: seconds in [{lo:g}, {hi:g}]")
        if loudness is not None and not TARGET_LUFS_RANGE[0] <= loudness <= TARGET_LUFS_RANGE[1]:
            raise ParameterError(
                f"--loudness={loudness:g} is not allowed; allowed: LUFS in [{TARGET_LUFS_RANGE[0]:g}, "
                f"{TARGET_LUFS_RANGE[1]:g}]"
            )
        if method not in METHODS:
            raise ParameterError(f"--method={method!r} is not allowed; allowed: {' or '.join(METHODS)}")

        base = load_preset(preset) if preset is not None else None
        space = SearchSpace.from_preset(base, duration_s=duration, target_lufs=loudness)
        space = space.with_bounds([parse_bound(b) for b in (bound or [])])
        if list_params:
            _print_params(space)
            return
        conn = _load_connectome(connectome, entry_regions)
        _run(space, out=out, connectome=conn, budget=budget, seed=seed, workers=n_workers, scheduler=scheduler,
             min_consonance=min_consonance, render=render,
             checkpoint=checkpoint if checkpoint is not None else checkpoint_path(out), fresh=fresh, method=method)


def _load_connectome(connectome, entry_regions):
    """The connectome with its entry regions, with any loading note printed once."""
    from resonance.connectome import load_connectome

    with echo_warnings():
        conn = load_connectome(connectome, entry_regions=entry_regions or None)
    return conn


def _load(connectome):
    """Connectome harmonics of a loaded connectome (passed on to the workers)."""
    from resonance.connectome.coupling import require_entry_regions
    from resonance.harmonics import connectome_harmonics

    with echo_warnings():
        harmonics = connectome_harmonics(connectome)
    require_entry_regions(harmonics)  # refuses a connectome without an auditory entry, up front
    return harmonics


def _run(space, *, out, connectome, budget, seed, workers, scheduler, min_consonance, render, checkpoint, fresh,
         method):
    from .. import __version__
    from ..optimize.evaluate import layer_contributions
    from ..optimize.io import json_text, publish_texts
    from ..optimize.search import de_schedule, optimize
    from ..preset import validate_preset

    _check_output("--checkpoint", checkpoint, (".jsonl",))
    harmonics = _load(connectome)
    planned = de_schedule(budget, space.n_dims) if method == "de" else None
    total = planned[0] * (1 + planned[1]) if planned else budget
    progress = None
    try:
        with contextlib.ExitStack() as stack:
            client = None
            if scheduler is not None or workers > 1:
                from ..cluster import dashboard_address, dask_client

                local = None if scheduler is not None else workers
                client = stack.enter_context(dask_client(workers=local, scheduler=scheduler))
                where = f"scheduler {scheduler}" if scheduler is not None else f"{workers} local workers"
                link = dashboard_address(client)
                typer.echo(f"evaluating on a Dask cluster ({where})" + (f"; dashboard: {link}" if link else ""),
                           err=True)
            progress = _SearchProgress(total)
            result = optimize(
                space, connectome=connectome, harmonics=harmonics,
                budget=budget, seed=seed, workers=workers, min_consonance=min_consonance, method=method,
                checkpoint=checkpoint, fresh=fresh, on_evaluation=progress, client=client,
            )
    except KeyboardInterrupt:
        if progress is None:
            raise
        progress.stop()
        typer.echo(
            f"stimgen: interrupted after {progress.n} evaluation{'' if progress.n == 1 else 's'}; the checkpoint "
            f"'{checkpoint}' keeps {'it' if progress.n == 1 else 'them'}: run the same command again to resume",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if progress is not None:
            progress.stop()

    credit = layer_contributions(result.best_preset, harmonics=harmonics)
    duration_s = result.best_preset["duration_s"]
    purpose = (
        f"Designed by stimgen optimize for {harmonics.connectome_name}: score {result.best_score:.3g} at "
        f"{duration_s:g} s (search {method}, seed {seed}, budget {budget})."
    )
    best = validate_preset({**result.best_preset, "name": out.stem or "optimized", "purpose": purpose},
                           source=str(out))
    header = [
        f"Designed by `stimgen optimize` (stimgen {__version__}) for {harmonics.connectome_name}.",
        (f"Score {result.best_score:.4g} (basis points of the model's reference build-up) at {duration_s:g} s and "
         f"{best['target_lufs']:g} LUFS; the starting point scored "
         + ("-" if result.start_score is None else f"{result.start_score:.4g}") + "."),
        (f"Search: {method}, seed {seed}, budget {budget}: {result.n_evaluations} evaluations, best at "
         f"evaluation {result.best_evaluation}."),
        "Layer contributions (score with the layer left out, re-mastered to the same loudness):",
        *[
            f"  layers[{c['index']}] {c['kind']}: without {c['score_without']:.4g}, contribution "
            f"{c['contribution']:+.4g}"
            for c in credit["layers"]
        ],
        "`stimgen generate` scores on the default connectome; a model of a hypothesis, not a medical device.",
    ]
    text = _toml_text(best, header=header)
    import tomllib

    if validate_preset(tomllib.loads(text), source=str(out)) != best:  # pragma: no cover - a writer bug
        raise AssertionError("BEST.toml does not read back to the optimised preset")
    report = {
        "preset": out.name,
        "connectome": harmonics.connectome_name,
        "entry_regions": harmonics.entry_regions.as_dict(),
        "score": result.best_score,
        "consonance": None if math.isnan(result.best_consonance) else result.best_consonance,  # null: no pitch
        "feasible": result.feasible,
        "metrics": credit["full"]["metrics"],
        "loudness_lufs": credit["full"]["loudness_lufs"],
        "start_score": result.start_score,
        "best_evaluation": result.best_evaluation,
        "n_evaluations": result.n_evaluations,
        "n_computed": result.n_computed,
        "n_resumed": result.n_resumed,
        "parameters": result.best_values,
        "contributions": credit["layers"],
        "history": result.history,
        "settings": result.settings,
        "resolved": best,
    }
    # Everything published is prepared and checked before any of it is written: the JSON report is
    # serialised (finite numbers only), then the texts go to temporary files, the track (if any) is
    # rendered and written, and only then are BEST.toml and its report renamed into place.
    texts = {out: text, report_path(out): json_text(report_path(out), report)}
    tracks = []
    if render is not None:
        def render_track():
            tracks.append(_render(best, render, harmonics=harmonics, score=credit["full"]))
    written = publish_texts(texts, before_rename=render_track if render is not None else None) + tracks
    try:
        checkpoint.unlink(missing_ok=True)  # the run is finished; its log has done its job
    except OSError as exc:
        typer.echo(f"note: the checkpoint '{checkpoint}' could not be removed ({exc.strerror})", err=True)
    _summary(result, credit, harmonics=harmonics, method=method, written=written)


def _render(best: dict, path: Path, *, harmonics, score: dict) -> Path:
    """Render, master and write the best design like ``stimgen generate``: streamed, in constant memory.

    The samples are those the optimizer scored (:class:`stimgen.session.Session`,
    the path of ``stimgen generate`` and of the evaluations), so ``score`` is theirs.
    """
    from .. import __version__
    from ..io import TrackWriter, check_disk_space
    from ..optimize.evaluate import single_thread
    from ..session import Session

    with single_thread():
        session = Session(best)
        check_disk_space(path, n_frames=session.n_frames, sr=session.sr, bit_depth=best["bit_depth"])
        session.plan()
        with TrackWriter(path, sr=session.sr, bit_depth=best["bit_depth"]) as writer:
            for block in session.blocks():
                writer.write(block)
            rep, info = session.report, session.info
            sidecar = {
                "preset": best["name"],
                "resolved": best,
                "seed": best["seed"],
                "stimgen_version": __version__,
                "duration_s": info["duration_s"],
                "loudness_lufs": rep["loudness_lufs"],
                "true_peak_dbtp": rep["true_peak_dbtp"],
                "mastering": {k: rep[k] for k in ("gain_db", "gain_range_db", "limited", "target_reached", "message")},
                "notes": info["notes"],
                "connectome": harmonics.connectome_name,
                "score": {"score": score["score"], "metrics": score["metrics"]},
            }
            return writer.close(sidecar)


def _summary(result, credit, *, harmonics, method, written) -> None:
    from rich.table import Table

    start = "-" if result.start_score is None else f"{result.start_score:.3g}"
    typer.echo(f"connectome {harmonics.connectome_name}")
    typer.echo(
        f"evaluations {result.n_evaluations} ({result.n_computed} computed, "
        f"{result.n_evaluations - result.n_computed} from cache or checkpoint; {result.n_resumed} resumed)"
    )
    typer.echo(f"best score {result.best_score:.4g} (start {start}), found at evaluation {result.best_evaluation}")
    cons = "-" if math.isnan(result.best_consonance) else f"{result.best_consonance:.3f}"
    typer.echo(f"consonance {cons}" + ("" if result.feasible else " (below the floor: no "
                                                                                   "candidate met it)"))
    table = Table("layer", "kind", "gain dB", "score without", "contribution", title="credit assignment")
    for c in credit["layers"]:
        table.add_row(f"layers[{c['index']}]", c["kind"], f"{c['gain_db']:g}", f"{c['score_without']:.4g}",
                      f"{c['contribution']:+.4g}")
    _console().print(table)
    for path in written:
        typer.echo(f"wrote {path}")
