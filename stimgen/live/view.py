"""What a live session shows: the live terminal view and the summary at the end.

:func:`session_state` reads the engine, the program and the model into one
plain dict; :func:`live_panel` draws it with rich (refreshed a few times a
second while the session plays, only on a terminal); :func:`session_record`
and :func:`format_summary` give the end-of-session summary, whose model part
is the record of ``stimgen score`` (:func:`stimgen.report.score_record`) for
the audio that was played.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SPARK_STEPS", "N_ACTIONS_SHOWN", "sparkline", "session_state", "live_panel", "session_record",
           "format_summary"]

#: Model steps shown in the temperature sparkline (0.37 s each: about 30 s).
SPARK_STEPS = 80

#: Thermostat actions shown in the live view.
N_ACTIONS_SHOWN = 4

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values, *, width: int = SPARK_STEPS) -> str:
    """The last ``width`` values as a line of block characters (scaled to their own maximum).

    Examples
    --------
    >>> sparkline([0.0, 1.0, 2.0, 4.0])
    '▁▃▅█'
    """
    v = np.asarray(values, dtype=float)[-width:]
    if v.size == 0:
        return ""
    top = float(v.max())
    if top <= 0:
        return _BARS[0] * v.size
    idx = np.clip(np.round(v / top * (len(_BARS) - 1)), 0, len(_BARS) - 1).astype(int)
    return "".join(_BARS[i] for i in idx)


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def session_state(engine, *, title: str, device: str | None, record: str | None) -> dict:
    """Everything the live view shows, read from the engine, its program and its model monitor.

    Returns
    -------
    dict
        ``title``, ``device``, ``record``, ``elapsed_s``, ``duration_s``,
        ``phase`` (or None for an audio file), ``model`` (the monitor's
        snapshot or None), ``adaptive`` (the program's :meth:`state` or
        None), ``band`` and ``actions`` (thermostat), ``underruns``,
        ``underrun_s``, ``stopping``.
    """
    from ..synth import arc_phase

    program = engine.program
    sr = engine.sr
    elapsed = engine.played_frames / sr
    duration = program.n_frames / sr
    arc = program.info.get("arc")
    phase = None
    if arc is not None:
        phase = arc_phase(min(elapsed, duration), duration_s=duration, heat_s=arc["heat_s"],
                          hold_s=arc["hold_s"], cool_s=arc["cool_s"])
    thermostat = getattr(program, "thermostat", None)
    return {
        "title": title,
        "device": device,
        "record": record,
        "elapsed_s": elapsed,
        "duration_s": duration,
        "phase": phase,
        "model": None if engine.monitor is None else engine.monitor.snapshot,
        "adaptive": program.state() if getattr(program, "adaptive", False) else None,
        "band": None if thermostat is None else thermostat.band_,
        "actions": [] if thermostat is None else thermostat.log[-N_ACTIONS_SHOWN:],
        "underruns": engine.underruns,
        "underrun_s": engine.underrun_frames / sr,
        "stopping": engine.stop_requested,
    }


def live_panel(state: dict):
    """A rich renderable of :func:`session_state`."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    done = state["elapsed_s"] / state["duration_s"] if state["duration_s"] > 0 else 1.0
    width = 30
    filled = int(round(min(max(done, 0.0), 1.0) * width))
    bar = "█" * filled + "░" * (width - filled)
    left = state["duration_s"] - state["elapsed_s"]
    grid.add_row("time", f"{bar} {_clock(state['elapsed_s'])} / {_clock(state['duration_s'])} ({_clock(left)} left)")
    if state["phase"] is not None:
        grid.add_row("arc phase", state["phase"])
    model = state["model"]
    if model is None:
        grid.add_row("temperature", "(the model needs 0.4 s of audio)")
    else:
        band = state["band"]
        band_text = "" if band is None else f"   band {band[0]:.3g}-{band[1]:.3g}"
        grid.add_row("temperature", f"{model['temperature']:.3g} bp ref{band_text}   {sparkline(model['history'])}")
        neutral, absorbed = model["temperature"], model["absorbed"]
        total = neutral + absorbed
        share = f" ({100 * absorbed / total:.0f} % absorbed)" if total > 0 else ""
        grid.add_row("energy", f"neutral {neutral:.3g}   absorbed {absorbed:.3g}{share}")
        strongest = ", ".join(f"#{k} {f:.1f} Hz {100 * s:.0f} %" for k, f, s in model["strongest"])
        grid.add_row("harmonics", strongest)
    adaptive = state["adaptive"]
    if adaptive is not None:
        grid.add_row("thermostat", f"variation {adaptive['variation']:+.2f}   rhythm {adaptive['rhythm_gain_db']:+.1f} dB"
                                   f"   loudness governor {adaptive['governor_gain_db']:+.1f} dB")
        for entry in state["actions"]:
            grid.add_row("", Text(f"{_clock(entry['t_s'])}  {entry['action']}", style="dim"))
    under = f"{state['underruns']}" + (f" ({state['underrun_s']:.2f} s of silence)" if state["underruns"] else "")
    grid.add_row("underruns", under)
    foot = "fading out ..." if state["stopping"] else "Ctrl-C: fade out and stop"
    subtitle = " · ".join(x for x in (state["device"], f"recording {state['record']}" if state["record"] else None) if x)
    return Panel(grid, title=state["title"], subtitle=f"{subtitle} · {foot}" if subtitle else foot)


def session_record(result, *, engine, title: str, mode: str, device: str | None, record_path,
                   model_version: str) -> dict:
    """The JSON-ready summary of a session: ``stimgen score``'s record of the played audio plus ``session``.

    Parameters
    ----------
    result : resonance.ScoreResult or None
        The model's summary of the played audio (None if too little played).
    engine : Engine
    title : str
        Shown as the record's ``file``.
    mode : {"fixed", "adaptive", "file"}
    device : str or None
        Device label, None offline.
    record_path : Path or None
    model_version : str

    Returns
    -------
    dict
        The score record (:func:`stimgen.report.score_record`), or only
        ``file`` if ``result`` is None, with a ``session`` entry: ``mode``,
        ``device``, ``played_s``, ``program_s``, ``stopped_early``,
        ``underruns``, ``underrun_s``, ``device_underflows`` (reported by
        PortAudio), ``first_sample_s`` (from the process's start to the first
        block handed to the device; None offline), ``record``, ``source`` (the program's
        facts) and, in adaptive mode, ``thermostat`` (band, log) and
        ``safety`` (governor and limiter).
    """
    from .. import report

    program = engine.program
    sr = engine.sr
    rec = {"file": title} if result is None else report.score_record(title, result, model_version=model_version)
    facts = {k: v for k, v in program.info.items() if k not in ("resolved", "mastering")}
    mastering = program.info.get("mastering")
    if mastering is not None:
        facts["mastering"] = {k: mastering[k] for k in ("loudness_lufs", "true_peak_dbtp", "gain_db", "limited")}
    session = {
        "mode": mode,
        "device": device,
        "played_s": round(engine.played_frames / sr, 6),
        "program_s": round(program.n_frames / sr, 6),
        "stopped_early": bool(engine.stopped_early),
        "underruns": int(engine.underruns),
        "underrun_s": round(engine.underrun_frames / sr, 6),
        "device_underflows": int(engine.device_underflows),
        "first_sample_s": None if engine.first_sample_s is None else round(engine.first_sample_s, 3),
        "record": None if record_path is None else str(record_path),
        "source": facts,
    }
    if getattr(program, "adaptive", False):
        th = program.thermostat
        session["thermostat"] = {"band": None if th.band_ is None else list(th.band_), "log": list(th.log),
                                 "late_actions": int(program.late_actions)}
        session["safety"] = {
            "governor_min_gain_db": round(20 * np.log10(max(program.governor.min_gain, 1e-12)), 3),
            "integrated_correction_db": round(program.governor.correction_db, 3),
            "limiter_min_gain_db": round(20 * np.log10(max(program.limiter.min_gain, 1e-12)), 3),
            "limiter_trims": int(program.limiter.n_trims),
        }
    rec["session"] = session
    return rec


def format_summary(record: dict) -> str:
    """Text summary: ``stimgen score``'s lines for the played audio, then the session's."""
    from .. import report

    s = record["session"]
    lines = [report.format_record(record) if "score" in record else str(record["file"])]
    played = f"{s['played_s']:.1f} s of {s['program_s']:.1f} s" + (" (stopped early)" if s["stopped_early"] else "")
    lines.append(f"  {'played':<12} {played}")
    lines.append(f"  {'mode':<12} {s['mode']}" + (f" on {s['device']}" if s["device"] else " (offline, no device)"))
    under = str(s["underruns"])
    if s["underruns"]:
        under += f" ({s['underrun_s']:.2f} s of silence inserted; the machine did not keep up)"
    lines.append(f"  {'underruns':<12} {under}")
    th = s.get("thermostat")
    if th is not None:
        band = "not reached (no hold)" if th["band"] is None else f"{th['band'][0]:.3g}-{th['band'][1]:.3g} bp ref"
        lines.append(f"  {'thermostat':<12} band {band}, {len(th['log'])} logged change(s)")
        for entry in th["log"]:
            lines.append(f"    {_clock(entry['t_s'])}  T {entry['temperature']:.3g}  {entry['action']}")
    for note in s["source"].get("notes", []):
        lines.append(f"  note: {note}")
    if s["record"]:
        lines.append(f"wrote {s['record']}")
    return "\n".join(lines)
