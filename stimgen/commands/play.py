"""``stimgen play``: play a session live while the model listens, optionally steering it.

Steps: check the options and the output device (before any long work);
prepare the program (:mod:`stimgen.live.program`: a preset rendered and
mastered by ``stimgen generate``'s own code, an adaptive preset, or an audio
file made safe); start the worker that produces ahead into the ring buffer
and the PortAudio stream whose callback only copies out of it
(:mod:`stimgen.live.engine`); show the live view until the end or Ctrl-C
(which fades out over :data:`~stimgen.live.engine.STOP_RAMP_S`); close the
stream; finish the recording atomically; print the summary (the metrics of
``stimgen score`` for the audio played, underruns, thermostat log).

``--offline`` runs the same engine without a sound card, as fast as the
machine can, to render a session (adaptive ones included) with ``--record``.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from pathlib import Path

import typer

from ._app import app, user_errors

__all__ = ["play_command", "parse_band", "VIEW_REFRESH_S", "LONG_PREPARE_S"]

#: Seconds between refreshes of the live view.
VIEW_REFRESH_S = 0.25

#: Sessions longer than this (s) show a progress bar while they are prepared.
LONG_PREPARE_S = 60.0

#: What ``--list-devices`` says when PortAudio sees no output device.
NO_DEVICE_HINT = (
    "PortAudio sees no sound output. Connect or switch on a sound card or headphones; on Linux, `aplay -l` "
    "lists the ALSA cards (none: install the driver or add yourself to the 'audio' group; PulseAudio or "
    "PipeWire: install their ALSA plugin, e.g. pipewire-alsa), then run stimgen play --list-devices again. "
    "Without a sound card, render the session to a file: stimgen play PRESET --offline --record OUT.wav"
)


def parse_band(text: str) -> tuple[float, float]:
    """Parse ``--band LOW:HIGH`` (score units, 0 < LOW < HIGH).

    Examples
    --------
    >>> parse_band("0.5:1.5")
    (0.5, 1.5)
    """
    from ..errors import ParameterError

    parts = text.split(":")
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise ParameterError(f"--band '{text}' must be LOW:HIGH, two numbers (score units), e.g. 0.8:1.2") from None
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        raise ParameterError(f"--band '{text}' must satisfy 0 < LOW < HIGH")
    return low, high


class _Progress:
    """A transient progress bar on stderr, only on a terminal and only when asked."""

    def __init__(self, label: str, enabled: bool):
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            console = Console(stderr=True)
            if console.is_terminal:
                self._progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(),
                                          console=console, transient=True)
                self._progress.start()
                self._task = self._progress.add_task(label, total=1.0)

    def __call__(self, fraction: float) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=fraction)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _source_kind(source: str) -> str:
    from resonance.io.audio import SUPPORTED_EXTENSIONS

    from ..errors import ParameterError

    path = Path(source)
    if path.suffix.lower() in SUPPORTED_EXTENSIONS:
        if not path.is_file():
            raise ParameterError(f"audio file '{source}' not found")
        return "file"
    return "preset"


@app.command("play")
def play_command(
    source: str | None = typer.Argument(
        None, help="Bundled preset name, .toml preset, or audio file (WAV, FLAC, OGG, MP3, AIFF).", show_default=False
    ),
    duration: float | None = typer.Option(None, "--duration", help="Length in seconds (default: the preset's or the file's)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed of a preset (default: the preset's)."),
    device: str | None = typer.Option(None, "--device", help="Output device: index, or (part of) its name."),
    record: Path | None = typer.Option(None, "--record", help="Also write what is played to a .wav or .flac file."),
    adaptive: bool = typer.Option(False, "--adaptive/--no-adaptive",
                                  help="Steer the rhythmic layers to hold the model's temperature in a band."),
    band: str | None = typer.Option(None, "--band", help="Thermostat band LOW:HIGH in score units "
                                    "(default: the temperature at the start of the hold +/- 20 %)."),
    list_devices: bool = typer.Option(False, "--list-devices", help="List the output devices and exit."),
    offline: bool = typer.Option(False, "--offline", help="No sound card: run the session as fast as possible "
                                 "(needs --record)."),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
) -> None:
    """Play a session live while the model listens (a model of a hypothesis, not a medical device)."""
    with user_errors():
        from .. import __version__
        from ..errors import ParameterError
        from ..live import device as dev
        from ..live.record import check_record_path

        if list_devices:
            devices = dev.output_devices()
            typer.echo(dev.format_devices(devices))
            if not devices:
                typer.echo(NO_DEVICE_HINT)
            return
        if source is None:
            raise ParameterError("give a preset name, a .toml preset or an audio file to play (or --list-devices)")
        if duration is not None and not (math.isfinite(duration) and duration > 0):
            raise ParameterError(f"--duration {duration:g} must be a positive number of seconds")
        if record is not None:
            check_record_path(record)
            from ..io import TRACK_EXTENSIONS, check_output_path

            check_output_path(record, what="--record", extensions=TRACK_EXTENSIONS, inputs=[("played", source)])
        if offline and record is None:
            raise ParameterError("--offline plays to no device, so it needs --record OUT.wav to keep the session")
        if offline and device is not None:
            raise ParameterError("--device and --offline exclude each other")
        thermostat_band = parse_band(band) if band is not None else None
        if band is not None and not adaptive:
            raise ParameterError("--band steers the thermostat; add --adaptive")
        kind = _source_kind(source)
        if kind == "file" and adaptive:
            raise ParameterError(f"--adaptive needs a preset; '{source}' is an audio file, which cannot be steered")
        if kind == "file" and seed is not None:
            raise ParameterError(f"--seed applies to presets; '{source}' is an audio file")

        from ..live import Engine, ModelMonitor, Recorder, Thermostat
        from ..live.program import adaptive_program, file_program, fixed_program

        if kind == "file":
            from resonance.io.audio import audio_info

            audio_info(source)  # a bad file is reported before the model loads
            resolved = None
            title = Path(source).name
            mode = "file"
        else:
            from ..preset import load_preset

            resolved = load_preset(source)
            if duration is not None:
                from ..preset import validate_preset

                validate_preset({**resolved, "duration_s": duration}, source=resolved["name"])
            title = resolved["name"]
            mode = "adaptive" if adaptive else "fixed"

        # The device before any long work: a missing sound card is reported at once.
        chosen = None
        if not offline:
            chosen = dev.resolve_device(device, devices=dev.output_devices())
        device_label = None if chosen is None else f"{chosen['index']} '{chosen['name']}' ({chosen['hostapi']})"

        length = duration if duration is not None else (resolved["duration_s"] if resolved else 0.0)
        progress = _Progress("preparing", enabled=length > LONG_PREPARE_S)
        try:
            if kind == "file":
                program = file_program(source, duration_s=duration)
            elif adaptive:
                program = adaptive_program(resolved, duration_s=duration, seed=seed,
                                           thermostat=Thermostat(band=thermostat_band), on_progress=progress)
            else:
                program = fixed_program(resolved, duration_s=duration, seed=seed, on_progress=progress)
        finally:
            progress.stop()

        recorder = None
        if record is not None:
            recorder = Recorder(record, sr=program.sr, bit_depth=program.info.get("bit_depth", 24))
        monitor = ModelMonitor(sr=program.sr)  # the default connectome's harmonics, computed in its set-up
        if offline:
            monitor.start()
        # Live, the model is set up in the background once the stream has started (_run_device): the
        # first sample does not wait for its imports; the frames played meanwhile wait for it.
        engine = Engine(program, monitor=monitor, recorder=recorder)

        presses = []

        def on_sigint(signum, frame):
            presses.append(time.monotonic())
            engine.request_stop()

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            if offline:
                _run_offline(engine, title=title, record=record, show=not json_output)
            else:
                _run_device(engine, chosen, title=title, device_label=device_label, record=record,
                            show=not json_output, presses=presses, monitor=monitor)
        except BaseException:
            if recorder is not None:
                recorder.abort()
            raise
        finally:
            signal.signal(signal.SIGINT, previous)
        if engine.error is not None:  # the worker failed (e.g. the recording's disk is full)
            if recorder is not None:
                recorder.abort()
            raise engine.error

        from resonance.errors import ParameterError as ModelParameterError

        try:
            result = monitor.finish()
        except ModelParameterError:
            result = None  # less than one model step was played
        summary = _summary(result, engine=engine, title=title, mode=mode, device=device_label, record=record,
                           version=__version__)
        if recorder is not None and recorder.n_frames == 0:
            recorder.abort()
            summary["session"]["record"] = None
            summary["session"]["source"].setdefault("notes", []).append("nothing was played; --record not written")
        elif recorder is not None:
            final = program.info.get("resolved")
            sidecar = {
                "preset": resolved["name"] if resolved else None,
                "resolved": final,
                "seed": program.info.get("seed"),
                "stimgen_version": __version__,
                "duration_s": engine.played_frames / program.sr,
                "session": summary["session"],
                "score": None if result is None else result.to_dict(),
            }
            recorder.close(sidecar)
        _print_summary(summary, json_output=json_output)


def _summary(result, *, engine, title, mode, device, record, version):
    from ..live.view import session_record

    return session_record(result, engine=engine, title=title, mode=mode, device=device, record_path=record,
                          model_version=version)


def _print_summary(summary: dict, *, json_output: bool) -> None:
    from .. import report
    from ..live.view import format_summary

    if json_output:
        typer.echo(report.jsonl_line(summary))
    else:
        typer.echo(format_summary(summary))


def _live(show: bool):
    """A rich Live view on stdout if it is a terminal, else None."""
    if not show:
        return None
    from rich.console import Console
    from rich.live import Live

    console = Console()
    if not console.is_terminal:
        return None
    return Live(console=console, refresh_per_second=1 / VIEW_REFRESH_S, transient=False)


def _run_offline(engine, *, title, record, show) -> None:
    from ..live.view import live_panel, session_state

    live = _live(show)
    last = [0.0]

    def on_progress(done, total):
        now = time.monotonic()
        if live is not None and now - last[0] >= VIEW_REFRESH_S:
            last[0] = now
            live.update(live_panel(session_state(engine, title=f"{title} (offline)", device=None,
                                                 record=str(record))))

    if live is not None:
        live.start()
    try:
        engine.run_offline(on_progress=on_progress)
    finally:
        if live is not None:
            live.update(live_panel(session_state(engine, title=f"{title} (offline)", device=None,
                                                 record=str(record))))
            live.stop()


def _process_age_s() -> float | None:
    """Seconds since this process started (Linux ``/proc``; None elsewhere)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime_s = float(f.read().split()[0])
        return max(0.0, uptime_s - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _run_device(engine, chosen, *, title, device_label, record, show, presses, monitor=None) -> None:
    from ..errors import DeviceError
    from ..live import device as dev
    from ..live.engine import BLOCK_FRAMES, STOP_RAMP_S
    from ..live.view import live_panel, session_state

    device_flags = {"underflows": 0}
    age0 = _process_age_s()
    clock0 = time.monotonic()

    def callback(outdata, frames, time_info, status):
        if status.output_underflow:
            device_flags["underflows"] += 1
        engine.pull(outdata)
        if engine.first_sample_s is None and engine.delivered_frames and age0 is not None:
            engine.first_sample_s = age0 + (time.monotonic() - clock0)

    stream = dev.open_stream(chosen, sr=engine.sr, n_channels=engine.program.n_channels, block_frames=BLOCK_FRAMES,
                             callback=callback)
    engine.prefill()
    stop_worker = threading.Event()
    worker = threading.Thread(target=engine.run_worker, kwargs={"stop_event": stop_worker}, name="stimgen-play",
                              daemon=True)
    live = None
    sd = dev.import_sounddevice()
    lost = None
    try:
        try:
            stream.start()
        except sd.PortAudioError as exc:
            raise DeviceError(f"cannot start output device {device_label} ({exc}); it may be busy: choose another "
                              f"with --device (see --list-devices), {dev.RENDER_HINT}") from None
        # The ring holds a second of audio: the model's set-up starts now, in the background, before
        # the worker (which would otherwise set it up itself on the first played frames).
        if monitor is not None:
            monitor.start(background=True)
        worker.start()
        warm_up = getattr(engine.program, "warm_up", None)
        if warm_up is not None:  # an adaptive program's varied renderings, off the audio's path
            threading.Thread(target=warm_up, name="stimgen-warm-up", daemon=True).start()
        live = _live(show)  # (rich is imported after the first sample)
        if live is None and show:
            typer.echo(f"playing {title} on {device_label} for {engine.program.n_frames / engine.sr:.1f} s "
                       "(Ctrl-C fades out and stops)", err=True)
        if live is not None:
            live.start()
        deadline = None
        while not engine.finished:
            time.sleep(VIEW_REFRESH_S / 2)
            if live is not None:
                live.update(live_panel(session_state(engine, title=title, device=device_label,
                                                     record=None if record is None else str(record))))
            if len(presses) >= 2:
                break  # a second Ctrl-C: stop at once (the fade has begun)
            if engine.error is not None or engine.stop_requested:
                deadline = deadline or time.monotonic() + STOP_RAMP_S + 2.0
                if time.monotonic() > deadline:
                    break
            if not stream.active:
                lost = DeviceError(f"the output device {device_label} stopped playing; {dev.RENDER_HINT}")
                break
    finally:
        if live is not None:
            live.update(live_panel(session_state(engine, title=title, device=device_label,
                                                 record=None if record is None else str(record))))
            live.stop()
        try:
            stream.stop()
            stream.close()
        except sd.PortAudioError:
            pass
        if not engine.finished:
            stop_worker.set()
        if worker.ident is not None:
            worker.join()
    engine.drain()
    engine.device_underflows = device_flags["underflows"]
    if lost is not None:
        raise lost
