"""Render a resolved preset to a stereo signal (pure: arrays out, no files).

:func:`render_preset` builds every layer of a preset (see
:mod:`stimgen.preset` for the schema) with the synthesiser in
:mod:`stimgen.synth`, applies the layer's amplitude modulation, automation,
gain and the session arc, and sums the layers.  Mono layers are panned to
the centre (the same signal in both channels); ``binaural`` layers are
stereo by nature and the output is always stereo.

Randomness: layer ``i`` draws only from
``numpy.random.default_rng([seed, i])``, so the same preset and seed give
bit-identical samples, and adding a layer does not change the others.

Automation
----------
``gain_db`` automation is exact: its breakpoints become a per-sample glide
(:func:`stimgen.synth.glide`) applied with
:func:`stimgen.synth.apply_gain_db_curve`.  Every other numeric key is
approximated by rendering the layer in segments, each with the parameter's
glided value at the segment's start:

* drums and clicks: phrases of :data:`EVENT_SEGMENT_BARS` bars, each
  rendered at its own tempo / syncopation / ... with a fresh motif; notes
  ringing past a phrase's end overlap the next phrase (no cut tails);
* tonal layers (drone, pad, isochronic, binaural): segments of
  :data:`TONAL_SEGMENT_S` seconds joined by equal-power crossfades of
  :data:`TONAL_CROSSFADE_S`.
"""

from __future__ import annotations

import math
import os

import numpy as np

from . import synth
from .errors import ParameterError
from .preset import validate_preset

__all__ = ["render_preset", "iter_layers", "check_memory", "available_memory_bytes", "GENERATE_BYTES_PER_FRAME", "EVENT_SEGMENT_BARS", "TONAL_SEGMENT_S", "TONAL_CROSSFADE_S", "CONTROL_RATE_HZ"]

EVENT_SEGMENT_BARS = 4
"""Bars per phrase when a drums or clicks layer has non-gain automation."""

TONAL_SEGMENT_S = 2.0
"""Segment length (s) when a tonal layer has non-gain automation."""

TONAL_CROSSFADE_S = 0.5
"""Equal-power crossfade (s) between automated tonal segments."""

CONTROL_RATE_HZ = 100
"""Rate (Hz) at which automation of non-gain keys is evaluated."""

_STEPS = 16
_MONO_NOTE = (
    "binaural layer: the beat exists only on stereo headphones (each ear gets its own carrier); "
    "the output is stereo, and a mono downmix would remove the beat"
)


GENERATE_BYTES_PER_FRAME = 90
"""Peak memory of rendering plus mastering, per stereo sample frame (bytes).

Measured with ``/usr/bin/time`` on ``stimgen generate deep_anneal --duration
600`` at 48 kHz: 2.4 GB peak, i.e. ~75 bytes per frame above the ~250 MB of
the interpreter and libraries; rounded up for other presets."""

GENERATE_BASE_BYTES = 300 * 2**20
"""Memory of the interpreter, libraries and model before rendering (bytes)."""


def available_memory_bytes() -> int | None:
    """Memory the system can give this process now (bytes), or None if unknown.

    Reads ``MemAvailable`` from ``/proc/meminfo`` (Linux), else the free
    physical pages reported by ``os.sysconf``.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(duration_s: float, *, sr: int) -> None:
    """Refuse a session whose render and mastering would not fit in memory.

    Parameters
    ----------
    duration_s : float
        Session length in seconds.
    sr : int
        Sample rate in Hz.

    Raises
    ------
    ParameterError
        If ``GENERATE_BASE_BYTES + GENERATE_BYTES_PER_FRAME * frames`` exceeds
        the available memory (the message gives both and the longest session
        that fits).  Nothing is checked when the available memory is unknown.
    """
    available = available_memory_bytes()
    if available is None:
        return
    need = GENERATE_BASE_BYTES + GENERATE_BYTES_PER_FRAME * duration_s * sr
    if need > available:
        longest_s = max(0.0, (available - GENERATE_BASE_BYTES) / (GENERATE_BYTES_PER_FRAME * sr))
        raise ParameterError(
            f"duration_s={duration_s:g} at sr={sr} needs about {need / 2**30:.1f} GB of memory to render and "
            f"master, but only {available / 2**30:.1f} GB is available; allowed here: up to about "
            f"{longest_s / 60:.0f} minutes (or free memory first)"
        )


def _int_params(kind: str) -> set:
    from .preset import LAYER_PARAMS

    return {k for k, s in LAYER_PARAMS[kind].items() if s["type"] == "int"}


class _Automation:
    """Glided values of a layer's non-gain automation, evaluated at a control rate."""

    def __init__(self, layer: dict, duration_s: float):
        self.duration_s = duration_s
        self.base = layer
        self.ints = _int_params(layer["kind"])
        self.curves = {
            key: synth.glide([(t * duration_s, v) for t, v in points], sr=CONTROL_RATE_HZ, duration_s=duration_s)
            for key, points in layer["automation"].items()
            if key != "gain_db"
        }

    def __bool__(self) -> bool:
        return bool(self.curves)

    def params_at(self, t_s: float) -> dict:
        out = dict(self.base)
        for key, curve in self.curves.items():
            i = min(max(int(t_s * CONTROL_RATE_HZ), 0), len(curve) - 1)
            value = float(curve[i])
            out[key] = int(round(value)) if key in self.ints else value
        return out


def _drum_voices(p: dict, *, sr: int, rng) -> dict:
    if p["kind"] == "clicks":
        return {"click": synth.click(sr=sr, freq_hz=p["freq_hz"])}
    makers = {
        "kick": lambda: synth.kick(sr=sr),
        "snare": lambda: synth.snare(sr=sr, rng=rng),
        "hat": lambda: synth.hat(sr=sr, rng=rng),
    }
    return {name: makers[name]() for name in p["voices"]}


def _render_events(layer: dict, auto: _Automation, *, sr: int, duration_s: float, rng, progress) -> np.ndarray:
    """Drums or clicks: motifs, sequenced bars, one-shot voices; phrases if automated."""
    n = round(duration_s * sr)
    out = np.zeros(n)
    voices = None
    t_s = 0.0
    while t_s < duration_s - 1e-9:
        p = auto.params_at(t_s)
        if voices is None or (p["kind"] == "clicks" and "freq_hz" in auto.curves):
            voices = _drum_voices(p, sr=sr, rng=rng)
        bar_s = 240.0 / p["tempo_bpm"]
        n_bars = max(1, math.ceil((duration_s - t_s) / bar_s - 1e-9))
        if auto:
            n_bars = min(n_bars, EVENT_SEGMENT_BARS)
        if p["kind"] == "clicks":
            motif = synth.generate_motif(rng=rng, steps=_STEPS, voices=("click",), syncopation=0.0)
            bars = synth.sequence(motif, rng=rng, n_bars=n_bars, deviation=p["deviation"], mutation=0.0)
            swing, humanize_s = 0.0, 0.0
        else:
            motif = synth.generate_motif(
                rng=rng, steps=_STEPS, voices=tuple(p["voices"]), syncopation=p["syncopation"]
            )
            bars = synth.sequence(motif, rng=rng, n_bars=n_bars, deviation=p["deviation"], mutation=p["mutation"])
            swing, humanize_s = p["swing"], p["humanize_s"]
        # One silent bar after the phrase lets the last notes ring into the next phrase.
        silent = synth.Motif(voices=motif.voices, velocities=np.zeros_like(motif.velocities), syncopation=0.0)
        y = synth.render_sequence(
            list(bars) + [silent], sr=sr, tempo_bpm=p["tempo_bpm"], voices=voices,
            duration_s=(n_bars + 1) * bar_s, swing=swing, humanize_s=humanize_s,
            rng=rng if humanize_s > 0 else None,
        )
        start = round(t_s * sr)
        m = min(len(y), n - start)
        if m > 0:
            out[start:start + m] += y[:m]
        t_s += n_bars * bar_s
        progress(min(t_s / duration_s, 1.0))
    return out


def _tonal(p: dict, *, sr: int, duration_s: float, rng) -> np.ndarray:
    kind = p["kind"]
    if kind == "drone":
        freqs = synth.chord_frequencies(p["root_hz"], intervals=p["intervals"], tuning=p["tuning"])
        return synth.drone(freqs, sr=sr, duration_s=duration_s, n_harmonics=p["n_harmonics"],
                           drift_depth=p["drift"], rng=rng)
    if kind == "pad":
        chords = [synth.chord_frequencies(p["root_hz"], intervals=c, tuning=p["tuning"]) for c in p["progression"]]
        n_rep = max(1, math.ceil(duration_s / (len(chords) * p["chord_s"]) - 1e-9))
        y = synth.pad(chords * n_rep, sr=sr, chord_s=p["chord_s"], crossfade_s=min(1.0, p["chord_s"] / 2), rng=rng)
        n = round(duration_s * sr)
        if len(y) < n:  # rounding only
            y = np.pad(y, (0, n - len(y)))
        return y[:n]
    if kind == "isochronic":
        ramp_s = min(0.005, p["duty"] / p["rate_hz"] / 4)
        return synth.isochronic(p["freq_hz"], sr=sr, duration_s=duration_s, rate_hz=p["rate_hz"],
                                duty=p["duty"], ramp_s=ramp_s)
    if kind == "binaural":
        return synth.binaural(p["carrier_hz"], beat_hz=p["beat_hz"], sr=sr, duration_s=duration_s)
    if kind == "noise":
        return synth.noise(p["color"], sr=sr, duration_s=duration_s, rng=rng)
    raise AssertionError(f"unknown layer kind {kind!r}")  # pragma: no cover


def _render_tonal(layer: dict, auto: _Automation, *, sr: int, duration_s: float, rng, progress) -> np.ndarray:
    """Tonal layers and noise; automated ones in crossfaded segments."""
    if not auto:
        y = _tonal(layer, sr=sr, duration_s=duration_s, rng=rng)
        progress(1.0)
        return y
    n = round(duration_s * sr)
    n_x = round(TONAL_CROSSFADE_S * sr)
    n_seg = max(1, math.ceil(duration_s / TONAL_SEGMENT_S - 1e-9))
    out = None
    u = (np.arange(n_x) + 0.5) / n_x
    fade_in, fade_out = np.sin(np.pi * u / 2), np.cos(np.pi * u / 2)
    for k in range(n_seg):
        a = max(0, round(k * TONAL_SEGMENT_S * sr) - n_x // 2)
        b = n if k == n_seg - 1 else min(n, round((k + 1) * TONAL_SEGMENT_S * sr) + n_x - n_x // 2)
        p = auto.params_at(k * TONAL_SEGMENT_S)
        y = _tonal(p, sr=sr, duration_s=(b - a) / sr, rng=rng)[..., : b - a]
        if out is None:
            out = np.zeros(y.shape[:-1] + (n,))
        if k > 0:
            y[..., :n_x] *= fade_in
        if k < n_seg - 1:
            y[..., -n_x:] *= fade_out
        out[..., a:a + y.shape[-1]] += y
        progress((k + 1) / n_seg)
    return out


def _resolve(resolved: dict, *, duration_s, sr, seed) -> dict:
    """Apply the overrides and re-validate (same messages as preset files)."""
    data = dict(resolved)
    if duration_s is not None:
        scale = float(duration_s) / resolved["duration_s"]
        arc = dict(resolved["arc"])
        for key in ("heat_s", "hold_s", "cool_s"):
            arc[key] = arc[key] * scale
        data["arc"] = arc
        data["duration_s"] = duration_s
    if sr is not None:
        data["sr"] = sr
    if seed is not None:
        data["seed"] = seed
    return validate_preset(data, source=str(resolved.get("name", "<dict>")))


def _arc_envelope(p: dict) -> np.ndarray:
    """The session arc of a validated preset, one gain per sample."""
    arc = p["arc"]
    return synth.arc_envelope(
        sr=p["sr"], duration_s=p["duration_s"], heat_s=arc["heat_s"], hold_s=arc["hold_s"], cool_s=arc["cool_s"],
        heat_level=arc["heat_level"], hold_level=arc["hold_level"], cool_level=arc["cool_level"],
    )


def _layer(p: dict, index: int, envelope: np.ndarray, report) -> np.ndarray:
    """Render layer ``index`` of a validated preset: synthesis, AM, gain, arc."""
    duration_s, sr, seed = p["duration_s"], p["sr"], p["seed"]
    n = round(duration_s * sr)
    n_layers = len(p["layers"])
    layer = p["layers"][index]
    rng = np.random.default_rng([seed, index])
    auto = _Automation(layer, duration_s)

    def progress(fraction):
        report((index + 0.9 * fraction) / n_layers)

    if layer["kind"] in ("drums", "clicks"):
        y = _render_events(layer, auto, sr=sr, duration_s=duration_s, rng=rng, progress=progress)
    else:
        y = _render_tonal(layer, auto, sr=sr, duration_s=duration_s, rng=rng, progress=progress)
    if y.shape[-1] != n:
        raise ParameterError(f"layers[{index}] ({layer['kind']}) rendered {y.shape[-1]} samples; expected {n}")
    if layer["am"] is not None:
        y = synth.amplitude_modulate(y, sr=sr, rate_hz=layer["am"]["rate_hz"], depth=layer["am"]["depth"])
    if "gain_db" in layer["automation"]:
        points = [(t * duration_s, v) for t, v in layer["automation"]["gain_db"]]
        y = synth.apply_gain_db_curve(y, synth.glide(points, sr=sr, duration_s=duration_s))
    else:
        y *= 10.0 ** (layer["gain_db"] / 20.0)  # y is this function's own array
    if layer["follow_arc"]:
        y *= envelope
    return y


def iter_layers(resolved: dict, *, duration_s=None, sr=None, seed=None, on_progress=None):
    """Render a preset layer by layer (the stems that :func:`render_preset` sums).

    Parameters
    ----------
    resolved, duration_s, sr, seed, on_progress
        As in :func:`render_preset`.

    Yields
    ------
    index : int
        Layer index in the preset.
    y : numpy.ndarray of float64, shape (n_samples,) or (2, n_samples)
        The layer after amplitude modulation, gain (or gain automation) and
        the arc (if it follows the arc).  Mono layers are 1-D (centre);
        ``binaural`` layers are stereo.
    p : dict
        The validated preset with the overrides applied (the same object at
        every step).

    Notes
    -----
    Layer ``i`` draws only from ``numpy.random.default_rng([seed, i])``, so
    its stem does not depend on the other layers, and summing the stems in
    order into a zero stereo array reproduces :func:`render_preset` bit for
    bit.

    Examples
    --------
    >>> from stimgen.preset import load_preset
    >>> [i for i, y, p in iter_layers(load_preset("groove"), duration_s=5.0)]
    [0, 1]
    """
    p = _resolve(resolved, duration_s=duration_s, sr=sr, seed=seed)
    check_memory(p["duration_s"], sr=p["sr"])
    envelope = _arc_envelope(p)
    n_layers = len(p["layers"])

    def report(done: float) -> None:
        if on_progress is not None:
            on_progress(min(max(done, 0.0), 1.0))

    report(0.0)
    for index in range(n_layers):
        y = _layer(p, index, envelope, report)
        report((index + 1) / n_layers)
        yield index, y, p


def render_preset(resolved: dict, *, duration_s=None, sr=None, seed=None, on_progress=None):
    """Render a resolved preset to stereo audio, before mastering.

    Parameters
    ----------
    resolved : dict
        A preset from :func:`stimgen.preset.load_preset` or
        :func:`stimgen.preset.validate_preset`.
    duration_s, sr, seed : float, int, int or None
        Override the preset's values (validated with the preset rules: sr in
        44100 or 48000, duration in 5 s to 4 h, seed >= 0).  The arc phases
        are scaled in proportion to the new duration.
    on_progress : callable or None
        Called as ``on_progress(fraction)`` with a fraction in [0, 1] after
        each layer (and each phrase or segment of an automated layer).

    Returns
    -------
    y : numpy.ndarray of float64, shape (2, round(duration_s * sr))
        The summed layers (row 0 left, row 1 right), not normalised.
    info : dict
        ``duration_s``, ``sr``, ``seed``, ``n_samples``, ``arc`` (the scaled
        arc), ``layers`` (per layer: ``kind``, ``stereo``, ``rms`` of its
        contribution) and ``notes`` (list of str, e.g. the binaural caveat).

    Raises
    ------
    PresetError
        If an override or the preset is invalid (the message names the key).
    ParameterError
        If a synthesis building block refuses a value (e.g. an arc whose
        hold level is below its heat or cool level), or if rendering and
        mastering the session would not fit in the available memory
        (:func:`check_memory`).

    Examples
    --------
    >>> from stimgen.preset import load_preset
    >>> y, info = render_preset(load_preset("groove"), duration_s=5.0, sr=48000)
    >>> y.shape, info["seed"]
    ((2, 240000), 0)
    """
    mix = None
    info = {"layers": [], "notes": []}
    for index, y, p in iter_layers(resolved, duration_s=duration_s, sr=sr, seed=seed, on_progress=on_progress):
        if mix is None:
            mix = np.zeros((2, y.shape[-1]))
        mix += y  # a mono layer broadcasts to both channels (centre)
        kind = p["layers"][index]["kind"]
        if kind == "binaural" and _MONO_NOTE not in info["notes"]:
            info["notes"].append(_MONO_NOTE)
        info["layers"].append({"kind": kind, "stereo": y.ndim == 2,
                               "rms": float(np.sqrt(np.vdot(y, y) / y.size))})
    info.update({"duration_s": p["duration_s"], "sr": p["sr"], "seed": p["seed"], "n_samples": mix.shape[-1],
                 "arc": p["arc"]})
    return mix, info
