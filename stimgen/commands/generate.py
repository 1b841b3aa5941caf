"""``stimgen generate``: render a preset, master it, score it and write it, in constant memory.

Steps: load the preset (bundled name or ``.toml`` file); check that the
output fits on its disk; stream the session (:class:`stimgen.session.Session`):
the mastering gain is planned from probe windows (about a minute of audio
whatever the length), then the session is rendered once, section by
section, and given the gain, the limiter and the fades
(:mod:`stimgen.mastering`, which refuses anything louder than -10 LUFS;
presets cap at -16); each mastered block is written to a temporary
file next to the output and, unless ``--no-score``, fed to the model's
streaming scorer, so the score is that of the very samples written.  At the
end the sidecar and the audio are renamed into place
(:class:`stimgen.io.TrackWriter`): an error or Ctrl-C leaves no partial file.
Memory does not grow with the duration.

``--mix FILE``: the user's track is loaded at the render's sample rate,
made stereo (a mono track is duplicated), then matched to the render's
length: a shorter track is looped (joined end to start), a longer one is
trimmed.  The rendered layers, at their own gains, are added under the
track at ``--mix-gain-db`` (default 0 dB), and the sum is mastered.  The
sidecar's ``mix`` entry records the file and its gain.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import typer

from ._app import app, user_errors

__all__ = ["generate_command", "match_length", "LONG_RENDER_S"]

#: Renders longer than this (s) show a progress bar.
LONG_RENDER_S = 60.0

#: Freed memory (bytes) the C allocator may keep at the top of its heap while generating (glibc's
#: ``M_TOP_PAD``).  Engineering choice: a render allocates and frees arrays of a few MB per 3.2 s
#: section, and glibc otherwise gives the top of its heap back after each, so the next section faults
#: its pages in again (about 96,000 page faults and 0.2 s of system CPU per 10 minutes of the
#: ``benchmarks/bench_peer.py`` job; 24,000 with the pad).  Peak memory is unchanged (117 MB): the
#: pad is memory that is reused, not added.
HEAP_TOP_PAD_BYTES = 64 << 20


def _pad_heap() -> None:
    """Ask glibc to keep :data:`HEAP_TOP_PAD_BYTES` of freed heap; nothing where there is no ``mallopt``."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(-2, HEAP_TOP_PAD_BYTES)  # M_TOP_PAD in glibc's <malloc.h>


def match_length(y: np.ndarray, n_samples: int) -> np.ndarray:
    """Loop (if shorter) or trim (if longer) ``y`` to ``n_samples`` along the last axis.

    Parameters
    ----------
    y : numpy.ndarray, shape (..., n)
        Audio with at least one sample.
    n_samples : int
        Wanted length.

    Returns
    -------
    numpy.ndarray, shape (..., n_samples)

    Examples
    --------
    >>> match_length(np.arange(3.0), 7).tolist()
    [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0]
    """
    n = y.shape[-1]
    if n >= n_samples:
        return y[..., :n_samples]
    reps = -(-n_samples // n)
    return np.concatenate([y] * reps, axis=-1)[..., :n_samples]


def _may_be_terminal(stream) -> bool:
    """Whether rich could take ``stream`` for a terminal: a TTY, or an environment that tells rich so.

    False means rich's own test (``Console.is_terminal``) would say no, so
    the progress bar would not show and rich need not be imported.
    """
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class _RenderProgress:
    """A transient rich progress bar on stderr (only on a terminal)."""

    def __init__(self, duration_s: float, enabled: bool):
        self.duration_s = duration_s
        self.progress = None
        self.task = None
        if enabled and _may_be_terminal(sys.stderr):  # rich (0.05 s to import) only where it may show
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            console = Console(stderr=True)
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(),
                console=console, transient=True, disable=not console.is_terminal,
            )
            self.progress.start()
            self.task = self.progress.add_task("rendering", total=1.0)

    def __call__(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=fraction)

    def step(self, label: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=label)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@app.command("generate")
def generate_command(
    preset: str = typer.Argument(..., help="Bundled preset name or path to a .toml preset.", show_default=False),
    out: Path = typer.Option(..., "-o", "--out", help="Output audio file (.wav or .flac).", show_default=False),
    duration: float | None = typer.Option(None, "--duration", help="Length in seconds (default: the preset's)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the preset's)."),
    sr: int | None = typer.Option(None, "--sr", help="Sample rate, 44100 or 48000 (default: the preset's)."),
    bit_depth: int | None = typer.Option(None, "--bit-depth", help="16 or 24 (default: the preset's)."),
    mix: Path | None = typer.Option(None, "--mix", help="Add the layers under this audio file (looped or trimmed)."),
    mix_gain_db: float = typer.Option(0.0, "--mix-gain-db", help="Level of the --mix track before mastering, dB "
                                      "(-60 to 0; the layers keep their own gains)."),
    no_score: bool = typer.Option(False, "--no-score", help="Do not score the result."),
) -> None:
    """Render a preset to a mastered WAV/FLAC track with a JSON sidecar."""
    with user_errors():
        from .. import __version__
        from ..errors import ParameterError
        from ..io import TRACK_EXTENSIONS, TrackWriter, check_disk_space, check_output_path
        from ..preset import BIT_DEPTHS, load_preset

        check_output_path(out, what="-o", extensions=TRACK_EXTENSIONS, inputs=[("--mix", mix), ("preset", preset)])
        if bit_depth is not None and bit_depth not in BIT_DEPTHS:
            raise ParameterError(f"--bit-depth={bit_depth} is not allowed; allowed: 16 or 24")
        if mix is not None and not mix.is_file():
            raise ParameterError(f"--mix '{mix}': file not found")
        if not -60.0 <= mix_gain_db <= 0.0:  # also refuses NaN
            raise ParameterError(f"--mix-gain-db={mix_gain_db:g} is not allowed; allowed: dB in [-60, 0]")
        if mix is None and mix_gain_db != 0.0:
            raise ParameterError("--mix-gain-db sets the level of the --mix track; add --mix FILE")

        resolved = load_preset(preset)
        final_duration = duration if duration is not None else resolved["duration_s"]
        user = None
        from ..session import Session, StreamScorer

        session = Session(resolved, duration_s=duration, sr=sr, seed=seed)
        info = session.info
        sr_out, seed_out = info["sr"], info["seed"]
        out_bits = bit_depth if bit_depth is not None else session.p["bit_depth"]
        check_disk_space(out, n_frames=session.n_frames, sr=sr_out, bit_depth=out_bits)
        if mix is not None:
            from resonance.io.audio import load_audio

            user = np.asarray(load_audio(mix, sr=sr_out, mono=False)[0], dtype=np.float64)
            if user.ndim == 1:
                user = user[np.newaxis]
            if user.shape[0] == 1:
                user = np.concatenate([user, user])
            elif user.shape[0] > 2:
                raise ParameterError(f"--mix '{mix}' has {user.shape[0]} channels; allowed: 1 or 2")
            session.mix = 10.0 ** (mix_gain_db / 20.0) * user[:2]
        _pad_heap()
        progress = _RenderProgress(final_duration, enabled=final_duration > LONG_RENDER_S)
        try:
            progress.step("measuring")
            session.plan(on_progress=lambda f: progress(0.05 * f))
            harmonics = None
            if not no_score:
                from resonance.harmonics import connectome_harmonics

                harmonics = connectome_harmonics()
            progress.step("writing" if no_score else "writing and scoring")
            scorer = None if harmonics is None else StreamScorer(harmonics, sr=sr_out)
            with TrackWriter(out, sr=sr_out, bit_depth=out_bits) as writer:
                for block in session.blocks(on_progress=lambda f: progress(0.05 + 0.95 * f)):
                    writer.write(block, peak=session.master.block_peak)  # known exactly: not measured again
                    if scorer is not None:
                        scorer.process(block)
                master_report = session.report
                score = None if scorer is None else scorer.result().to_dict()
                sidecar = _sidecar(resolved, session, master_report, score, mix=mix, mix_gain_db=mix_gain_db,
                                   bit_depth=bit_depth, version=__version__)
                written = writer.close(sidecar)
        finally:
            progress.stop()

        typer.echo(f"wrote {written}")
        typer.echo(f"duration {info['duration_s']:.1f} s")
        typer.echo(f"loudness {master_report['loudness_lufs']:.1f} LUFS (target {resolved['target_lufs']:g})")
        typer.echo(f"true peak {master_report['true_peak_dbtp']:.1f} dBTP (ceiling {resolved['ceiling_dbtp']:g})")
        if score is not None:
            typer.echo(f"score {score['score']:.3g}")
        for note in info["notes"]:
            typer.echo(f"note: {note}")
        if not master_report["target_reached"]:
            typer.echo(f"note: {master_report['message']}")


def _sidecar(resolved, session, master_report, score, *, mix, mix_gain_db=0.0, bit_depth, version) -> dict:
    """The JSON sidecar of a generated track."""
    from ..preset import validate_preset

    info = session.info
    final = validate_preset(
        {**resolved, "duration_s": info["duration_s"], "sr": info["sr"], "seed": info["seed"], "arc": info["arc"],
         **({"bit_depth": bit_depth} if bit_depth is not None else {})},
        source=resolved["name"],
    )
    return {
        "preset": resolved["name"],
        "resolved": final,
        "seed": info["seed"],
        "stimgen_version": version,
        "duration_s": info["duration_s"],
        "loudness_lufs": master_report["loudness_lufs"],
        "true_peak_dbtp": master_report["true_peak_dbtp"],
        "mastering": {k: master_report[k]
                      for k in ("gain_db", "gain_range_db", "limited", "target_reached", "message")},
        "notes": info["notes"],
        "mix": None if mix is None else {"file": str(mix), "gain_db": mix_gain_db,
                                          "note": "looped or trimmed to the render's length, added under the "
                                                  "layers, then mastered together"},
        "score": score,
    }
