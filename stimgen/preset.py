"""Stimulus presets: schema, validation, loading and printing.

A preset is a TOML file (or a plain ``dict`` from the Python API) that
describes a session: its length, loudness, annealing arc and a stack of
1 to :data:`MAX_LAYERS` synthesis layers.  :func:`validate_preset` checks a
preset and *resolves* it: every omitted optional key is filled in with its
documented default, so the result is a complete, JSON-serialisable ``dict``
of plain Python types.  The same function serves preset files and the Python
API, so both report the same messages, e.g.::

    preset 'x.toml': layers[0].gain_db=12 must be a finite number in [-60, 0]

Range and type checks reuse :mod:`resonance.validation`; this module adds the
preset structure (key paths, unknown keys with a did-you-mean suggestion,
layer kinds, automation).

Schema (top level)
------------------
``name`` (str, required; the file stem when loading a file without it),
``purpose`` (str, required), ``duration_s``, ``seed``, ``sr``, ``bit_depth``,
``target_lufs``, ``ceiling_dbtp``, an optional ``[arc]`` table and one or
more ``[[layers]]`` tables.  Each layer has a ``kind`` (see
:data:`LAYER_KINDS`), ``gain_db``, ``follow_arc``, kind-specific keys (see
:data:`LAYER_PARAMS`), an optional ``am`` table (``rate_hz``, ``depth``) and
an optional ``automation`` table mapping a numeric key of the layer to
breakpoints ``[[time_fraction, value], ...]`` with strictly ascending times
in [0, 1].

The ``binaural`` kind only makes sense on stereo headphones: each ear gets a
different carrier and the beat arises in the brainstem.

Limits and defaults are the named constants below; ranges are inclusive
``(low, high)`` tuples.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
import tomllib
from pathlib import Path

from resonance.errors import ParameterError as _ModelParameterError
from resonance.validation import check_bool, check_float, check_int

from .errors import PresetError

__all__ = [
    "load_preset",
    "validate_preset",
    "validate_layer",
    "list_presets",
    "preset_to_toml",
    "schema_rows",
    "schema_markdown",
    "TOP_PARAMS",
    "ARC_PARAMS",
    "COMMON_LAYER_PARAMS",
    "AM_PARAMS",
    "VOICE_SETS",
    "DRONE_VOICINGS",
    "PAD_PROGRESSIONS",
    "bundled_preset_dir",
    "LAYER_KINDS",
    "LAYER_PARAMS",
    "MAX_LAYERS",
    "MIN_LAYERS",
    "DURATION_RANGE_S",
    "SAMPLE_RATES",
    "BIT_DEPTHS",
    "TARGET_LUFS_RANGE",
    "CEILING_DBTP_RANGE",
    "ARC_LEVEL_RANGE",
    "GAIN_RANGE_DB",
    "AM_RATE_RANGE_HZ",
    "AM_DEPTH_RANGE",
    "AUTOMATION_TIME_RANGE",
    "DEFAULT_DURATION_S",
    "DEFAULT_SEED",
    "DEFAULT_SR",
    "DEFAULT_BIT_DEPTH",
    "DEFAULT_TARGET_LUFS",
    "DEFAULT_CEILING_DBTP",
    "DEFAULT_ARC_FRACTIONS",
    "DEFAULT_ARC_LEVELS",
    "DEFAULT_GAIN_DB",
    "DEFAULT_FOLLOW_ARC",
]

# --------------------------------------------------------------------------
# Top-level limits and defaults
# --------------------------------------------------------------------------

DURATION_RANGE_S = (5.0, 14400.0)
"""Allowed session length in seconds: 5 s up to 4 hours."""

MIN_SEED = 0
"""Smallest allowed random seed (seeds are non-negative integers)."""

SAMPLE_RATES = (44100, 48000)
"""Allowed output sample rates in Hz."""

BIT_DEPTHS = (16, 24)
"""Allowed output bit depths (PCM)."""

TARGET_LUFS_RANGE = (-40.0, -16.0)
"""Allowed integrated loudness target in LUFS.  The upper limit is a hearing
safety limit: a preset is never rendered louder than -16 LUFS."""

CEILING_DBTP_RANGE = (-20.0, -1.0)
"""Allowed true-peak ceiling in dBTP (at most -1 dBTP leaves codec headroom)."""

DEFAULT_DURATION_S = 300.0
"""Default session length in seconds (5 minutes)."""

DEFAULT_SEED = 0
"""Default random seed."""

DEFAULT_SR = 48000
"""Default sample rate in Hz."""

DEFAULT_BIT_DEPTH = 24
"""Default bit depth."""

DEFAULT_TARGET_LUFS = -20.0
"""Default integrated loudness target in LUFS."""

DEFAULT_CEILING_DBTP = -1.0
"""Default true-peak ceiling in dBTP."""

# --------------------------------------------------------------------------
# Arc
# --------------------------------------------------------------------------

ARC_PHASE_MIN_S = 0.0
"""Smallest allowed arc phase length in seconds (a phase may be skipped)."""

ARC_LEVEL_RANGE = (0.0, 1.0)
"""Allowed arc envelope levels (fraction of full level)."""

DEFAULT_ARC_FRACTIONS = {"heat": 0.2, "hold": 0.6, "cool": 0.2}
"""Default share of ``duration_s`` for each arc phase when a phase length is
omitted: heat 20 %, hold 60 %, cool 20 %."""

DEFAULT_ARC_LEVELS = {"heat_level": 0.5, "hold_level": 1.0, "cool_level": 0.1}
"""Default arc levels: heating starts at 0.5, holds at 1.0 and cools slowly
to 0.1 at the end (abrupt cooling is considered harmful, docs/model.md)."""

ARC_SUM_RTOL = 1e-9
"""Relative tolerance within which phase lengths are taken to already sum
to ``duration_s``; otherwise they are scaled proportionally."""

# --------------------------------------------------------------------------
# Layers: common keys
# --------------------------------------------------------------------------

MIN_LAYERS = 1
"""Smallest number of layers in a preset."""

MAX_LAYERS = 16
"""Largest number of layers in a preset."""

GAIN_RANGE_DB = (-60.0, 0.0)
"""Allowed layer gain in dB.  0 dB is the limit: layers are never boosted."""

DEFAULT_GAIN_DB = -12.0
"""Default layer gain in dB."""

DEFAULT_FOLLOW_ARC = True
"""By default a layer's level follows the arc envelope."""

AM_RATE_RANGE_HZ = (0.1, 64.0)
"""Allowed amplitude-modulation rate in Hz."""

AM_DEPTH_RANGE = (0.0, 1.0)
"""Allowed amplitude-modulation depth (0 none, 1 full)."""

AUTOMATION_TIME_RANGE = (0.0, 1.0)
"""Automation breakpoint times are fractions of ``duration_s``."""

# --------------------------------------------------------------------------
# Layers: kind-specific keys
# --------------------------------------------------------------------------

DRUMS_TEMPO_RANGE_BPM = (40.0, 200.0)
"""Allowed drums tempo in beats per minute."""
CLICKS_TEMPO_RANGE_BPM = (20.0, 300.0)
"""Allowed clicks tempo in beats per minute."""
UNIT_RANGE = (0.0, 1.0)
"""Range of the unit-interval controls (syncopation, deviation, mutation,
drift)."""
SWING_RANGE = (0.0, 0.5)
"""Allowed swing (fraction of the off-beat delay; 0.5 is maximal)."""
HUMANIZE_RANGE_S = (0.0, 0.03)
"""Allowed timing jitter of drum hits in seconds (at most 30 ms)."""
CLICK_FREQ_RANGE_HZ = (200.0, 8000.0)
"""Allowed click centre frequency in Hz."""
ROOT_RANGE_HZ = (30.0, 1000.0)
"""Allowed root frequency of drones and pads in Hz."""
SEMITONE_RANGE = (0, 36)
"""Allowed interval above the root in semitones (up to three octaves)."""
DRONE_INTERVALS_COUNT = (1, 8)
"""Allowed number of drone intervals."""
CHORD_SIZE = (1, 8)
"""Allowed number of notes in a pad chord."""
PROGRESSION_LENGTH = (1, 16)
"""Allowed number of chords in a pad progression."""
N_HARMONICS_RANGE = (1, 20)
"""Allowed number of harmonics per drone tone."""
CHORD_RANGE_S = (0.5, 60.0)
"""Allowed length of one pad chord in seconds."""
ISOCHRONIC_FREQ_RANGE_HZ = (40.0, 2000.0)
"""Allowed isochronic tone frequency in Hz."""
PULSE_RATE_RANGE_HZ = (0.5, 40.0)
"""Allowed isochronic pulse rate and binaural beat in Hz."""
DUTY_RANGE = (0.1, 0.9)
"""Allowed isochronic duty cycle (fraction of a period the tone is on)."""
BINAURAL_CARRIER_RANGE_HZ = (40.0, 1000.0)
"""Allowed binaural carrier frequency in Hz."""

DRUM_VOICES = ("kick", "snare", "hat")
"""Drum voices a drums layer may use."""
TUNINGS = ("just", "equal")
"""Tunings for drones and pads."""
NOISE_COLORS = ("white", "pink", "brown")
"""Noise colours."""


# --------------------------------------------------------------------------
# The declarative schema
# --------------------------------------------------------------------------
#
# Every key of a preset is described once, below: its type, allowed range
# (or options), default, unit, a one-line description and, for the keys the
# optimizer searches, its search range, scale and rounding step.  The same
# entries serve validation (:func:`validate_preset`), the optimizer's search
# space (:data:`stimgen.optimize.space.SEARCH_RANGES` is derived from them)
# and the listing for preset authors (:func:`schema_rows`, ``stimgen presets
# schema``, ``docs/presets.md``).

VOICE_SETS = tuple(
    list(combo) for n in (3, 2, 1) for combo in itertools.combinations(DRUM_VOICES, n)
)
"""Drum-voice sets the optimizer tries: every non-empty subset of kick, snare,
hat (the full kit first)."""

DRONE_VOICINGS = (
    [0, 7, 12],
    [0, 12],
    [0, 7],
    [0, 5, 12],
    [0, 4, 7, 12],
    [0, 7, 12, 19],
    [0, 12, 19, 24],
    [0, 3, 7, 12],
)
"""Drone voicings the optimizer tries (semitones above the root): fifths and
octaves, fourths, major and minor triads with octave doubling."""

PAD_PROGRESSIONS = (
    [[0, 4, 7]],
    [[0, 4, 7], [5, 9, 12], [7, 11, 14], [0, 4, 7]],
    [[0, 4, 7], [9, 12, 16], [5, 9, 12], [7, 11, 14]],
    [[0, 3, 7], [5, 8, 12], [7, 10, 14], [0, 3, 7]],
    [[0, 3, 7], [8, 12, 15], [3, 7, 10], [10, 14, 17]],
    [[0, 4, 7, 11], [5, 9, 12, 16]],
    [[0, 7, 12], [5, 12, 17]],
)
"""Pad progressions the optimizer tries (semitones above the root): a held
major triad, I-IV-V-I, I-vi-IV-V, i-iv-v-i, i-VI-III-VII, two major
sevenths, open fifths."""


def _search(low, high, step, scale="linear"):
    return {"scale": scale, "range": (low, high), "step": step}


def _choices(options):
    return {"scale": "choice", "options": tuple(options)}


def _num(rng, default, *, integer=False, unit="", doc="", search=None):
    """A numeric key: type, inclusive range, default, unit, description, search range."""
    return {"type": "int" if integer else "float", "range": rng, "default": default, "unit": unit, "doc": doc,
            "search": search}


def _opt(options, default, *, doc="", search=None):
    return {"type": "option", "options": tuple(options), "default": default, "unit": "", "doc": doc,
            "search": search}


def _other(kind, default, *, doc="", search=None):
    return {"type": kind, "default": default, "unit": "", "doc": doc, "search": search}


def _unit(spec, unit):
    return {**spec, "unit": unit}


TOP_PARAMS = {
    "name": _other("text", None, doc="Name of the preset (required; a file's stem when omitted in a file)."),
    "purpose": _other("text", None, doc="One line: what the preset is for (required)."),
    "duration_s": _num(DURATION_RANGE_S, DEFAULT_DURATION_S, unit="s", doc="Length of the session."),
    "seed": _num((MIN_SEED, None), DEFAULT_SEED, integer=True, doc="Random seed: same seed, same samples."),
    "sr": _unit(_opt(SAMPLE_RATES, DEFAULT_SR, doc="Sample rate of the output."), "Hz"),
    "bit_depth": _opt(BIT_DEPTHS, DEFAULT_BIT_DEPTH, doc="PCM bit depth of the output."),
    "target_lufs": _num(TARGET_LUFS_RANGE, DEFAULT_TARGET_LUFS, unit="LUFS",
                        doc="Integrated loudness (ITU-R BS.1770); -16 is a hearing-safety cap."),
    "ceiling_dbtp": _num(CEILING_DBTP_RANGE, DEFAULT_CEILING_DBTP, unit="dBTP", doc="True-peak ceiling."),
}
"""Top-level keys of a preset (besides the ``[arc]`` table and ``[[layers]]``)."""

ARC_PARAMS = {
    "heat_s": _num((ARC_PHASE_MIN_S, None), None, unit="s",
                   doc="Heating phase (default 20 % of duration_s); phases are scaled to sum to duration_s."),
    "hold_s": _num((ARC_PHASE_MIN_S, None), None, unit="s", doc="Hold phase (default 60 % of duration_s)."),
    "cool_s": _num((ARC_PHASE_MIN_S, None), None, unit="s", doc="Cooling phase (default 20 % of duration_s)."),
    "heat_level": _num(ARC_LEVEL_RANGE, DEFAULT_ARC_LEVELS["heat_level"], doc="Level at the start of heating."),
    "hold_level": _num(ARC_LEVEL_RANGE, DEFAULT_ARC_LEVELS["hold_level"], doc="Level during the hold."),
    "cool_level": _num(ARC_LEVEL_RANGE, DEFAULT_ARC_LEVELS["cool_level"], doc="Level at the end of cooling."),
}
"""Keys of the ``[arc]`` table: the heat/hold/cool envelope every layer with
``follow_arc`` follows."""

COMMON_LAYER_PARAMS = {
    "gain_db": _num(GAIN_RANGE_DB, DEFAULT_GAIN_DB, unit="dB", doc="Level of the layer (never above 0 dB).",
                    search=_search(-40.0, 0.0, 0.1)),
    "follow_arc": _other("bool", DEFAULT_FOLLOW_ARC, doc="Whether the layer's level follows the arc."),
}
"""Keys every layer has besides ``kind``, ``am`` and ``automation``."""

AM_PARAMS = {
    "rate_hz": _num(AM_RATE_RANGE_HZ, None, unit="Hz", doc="Amplitude-modulation rate (searched on drone, pad and noise layers).",
                    search=_search(0.5, 16.0, 0.01)),
    "depth": _num(AM_DEPTH_RANGE, None, doc="Amplitude-modulation depth (0 none, 1 full).",
                  search=_search(0.0, 1.0, 0.001)),
}
"""Keys of a layer's optional ``am`` table (both required when it is given)."""

LAYER_PARAMS = {
    "drums": {
        "tempo_bpm": _num(DRUMS_TEMPO_RANGE_BPM, 100.0, unit="BPM", doc="Tempo.", search=_search(60.0, 180.0, 0.1)),
        "syncopation": _num(UNIT_RANGE, 0.3, doc="Probability of a syncopated note on each off-beat step.",
                            search=_search(0.0, 1.0, 0.001)),
        "deviation": _num(UNIT_RANGE, 0.1, doc="Per-note probability that a bar displaces or drops a note (or adds one).",
                          search=_search(0.0, 0.5, 0.001)),
        "mutation": _num(UNIT_RANGE, 0.2, doc="Per-bar probability that one syncopation slot is re-drawn.",
                         search=_search(0.0, 0.6, 0.001)),
        "swing": _num(SWING_RANGE, 0.0, doc="Off-beat delay (0.5 maximal).", search=_search(0.0, 0.4, 0.001)),
        "humanize_s": _num(HUMANIZE_RANGE_S, 0.005, unit="s", doc="Timing jitter of each hit.",
                           search=_search(0.0, 0.02, 0.0001)),
        # Last, as in the optimizer's search vector since version 0.1 (same seed, same search).
        "voices": _other("voices", list(DRUM_VOICES), doc="Distinct drum voices: 'kick', 'snare', 'hat'.",
                         search=_choices(VOICE_SETS)),
    },
    "clicks": {
        "tempo_bpm": _num(CLICKS_TEMPO_RANGE_BPM, 60.0, unit="BPM", doc="Click rate.",
                          search=_search(40.0, 200.0, 0.1)),
        "deviation": _num(UNIT_RANGE, 0.1, doc="Per-click probability that a bar displaces or drops a click (or adds one).", search=_search(0.0, 0.6, 0.001)),
        "freq_hz": _num(CLICK_FREQ_RANGE_HZ, 2000.0, unit="Hz", doc="Centre frequency of a click.",
                        search=_search(300.0, 6000.0, 1.0, "log")),
    },
    "drone": {
        "root_hz": _num(ROOT_RANGE_HZ, 110.0, unit="Hz", doc="Root frequency.",
                        search=_search(50.0, 400.0, 0.1, "log")),
        "intervals": _other("intervals", [0, 7, 12], doc="1-8 semitones above the root, each 0-36.",
                            search=_choices(DRONE_VOICINGS)),
        "tuning": _opt(TUNINGS, "just", doc="Just or equal intonation.", search=_choices(TUNINGS)),
        "n_harmonics": _num(N_HARMONICS_RANGE, 6, integer=True, doc="Harmonics per tone.",
                            search=_search(1, 12, 1, "int")),
        "drift": _num(UNIT_RANGE, 0.1, doc="Depth of each tone's slow level drift (0 none).", search=_search(0.0, 0.5, 0.001)),
    },
    "pad": {
        "root_hz": _num(ROOT_RANGE_HZ, 220.0, unit="Hz", doc="Root frequency.",
                        search=_search(100.0, 600.0, 0.1, "log")),
        "progression": _other("progression", [[0, 4, 7]],
                              doc="1-16 chords, each 1-8 semitones (0-36) above the root.",
                              search=_choices(PAD_PROGRESSIONS)),
        "chord_s": _num(CHORD_RANGE_S, 8.0, unit="s", doc="Length of one chord.", search=_search(2.0, 16.0, 0.01)),
        "tuning": _opt(TUNINGS, "just", doc="Just or equal intonation.", search=_choices(TUNINGS)),
    },
    "isochronic": {
        "freq_hz": _num(ISOCHRONIC_FREQ_RANGE_HZ, 220.0, unit="Hz", doc="Tone frequency.",
                        search=_search(60.0, 1500.0, 0.1, "log")),
        "rate_hz": _num(PULSE_RATE_RANGE_HZ, 4.5, unit="Hz", doc="Pulse rate.", search=_search(0.5, 12.0, 0.01)),
        "duty": _num(DUTY_RANGE, 0.5, doc="Share of each period the tone is on.", search=_search(0.2, 0.8, 0.001)),
    },
    "binaural": {
        "carrier_hz": _num(BINAURAL_CARRIER_RANGE_HZ, 200.0, unit="Hz", doc="Carrier (headphones only).",
                           search=_search(80.0, 600.0, 0.1, "log")),
        "beat_hz": _num(PULSE_RATE_RANGE_HZ, 4.5, unit="Hz", doc="Difference between the ears.",
                        search=_search(0.5, 12.0, 0.01)),
    },
    "noise": {
        "color": _opt(NOISE_COLORS, "pink", doc="Spectrum: white, pink or brown.", search=_choices(NOISE_COLORS)),
    },
}
"""Kind-specific keys of each layer kind: type, allowed range (or options),
default, unit, description and the optimizer's search range (``search``:
scale, range and rounding step, or the options tried).

Defaults: drums tempo_bpm 100, voices kick/snare/hat, syncopation 0.3,
deviation 0.1, mutation 0.2, swing 0, humanize_s 0.005; clicks tempo_bpm 60,
deviation 0.1, freq_hz 2000; drone root_hz 110, intervals [0, 7, 12], tuning
just, n_harmonics 6, drift 0.1; pad root_hz 220, progression [[0, 4, 7]],
chord_s 8, tuning just; isochronic freq_hz 220, rate_hz 4.5, duty 0.5;
binaural carrier_hz 200, beat_hz 4.5; noise color pink.
"""

LAYER_KINDS = tuple(LAYER_PARAMS)
"""The layer kinds a preset may use."""

_COMMON_NUMERIC = {"gain_db": COMMON_LAYER_PARAMS["gain_db"]}
_COMMON_KEYS = ("kind", *COMMON_LAYER_PARAMS, "am", "automation")
_TOP_KEYS = (*TOP_PARAMS, "arc", "layers")
_ARC_PHASES = ("heat_s", "hold_s", "cool_s")
_ARC_KEYS = tuple(ARC_PARAMS)
_AM_KEYS = tuple(AM_PARAMS)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _fmt(value) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Ctx:
    """Error reporting for one preset source."""

    def __init__(self, source: str):
        self.source = source

    def error(self, message: str) -> PresetError:
        return PresetError(f"preset '{self.source}': {message}")

    def call(self, func, *args, **kwargs):
        """Run a :mod:`resonance.validation` check, re-raising as PresetError."""
        try:
            return func(*args, **kwargs)
        except _ModelParameterError as exc:
            raise self.error(str(exc)) from None

    def number(self, path: str, value, spec: dict):
        low, high = spec["range"]  # None: unbounded
        if spec["type"] == "int":
            return self.call(check_int, path, value, low=low, high=high)
        return self.call(check_float, path, value, low=low, high=high)

    def option(self, path: str, value, options) -> str:
        if isinstance(value, (bool, dict, list)) or value not in options:
            hint = _suggest(value, options) if isinstance(value, str) else ""
            listed = ", ".join(repr(o) for o in options)
            raise self.error(f"{path}={_fmt(value)} is not allowed;{hint} allowed: one of {listed}")
        return value

    def table(self, path: str, value) -> dict:
        if not isinstance(value, dict):
            raise self.error(f"{path}={_fmt(value)} is not a table; allowed: a table of keys")
        return value

    def text(self, path: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{path}={_fmt(value)} is not a non-empty string; allowed: text")
        return value

    def known_keys(self, prefix: str, data: dict, allowed, what: str = "") -> None:
        for key in data:
            if key not in allowed:
                hint = _suggest(key, allowed)
                listed = ", ".join(sorted(allowed))
                raise self.error(
                    f"{prefix}{key}={_fmt(data[key])} is not a known key{what};{hint} allowed: {listed}"
                )


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" did you mean {close[0]!r}?" if close else ""


def _int_list(ctx: _Ctx, path: str, value, count_range, item_range) -> list[int]:
    low_n, high_n = count_range
    if not isinstance(value, list) or not low_n <= len(value) <= high_n:
        raise ctx.error(
            f"{path}={_fmt(value)} is not a list of {low_n} to {high_n} semitone numbers; "
            f"allowed: integers in [{item_range[0]}, {item_range[1]}]"
        )
    return [
        ctx.call(check_int, f"{path}[{i}]", item, low=item_range[0], high=item_range[1])
        for i, item in enumerate(value)
    ]


def _check_param(ctx: _Ctx, path: str, value, spec: dict):
    kind = spec["type"]
    if kind in ("int", "float"):
        return ctx.number(path, value, spec)
    if kind == "option":
        return ctx.option(path, value, spec["options"])
    if kind == "voices":
        if not isinstance(value, list) or not value:
            raise ctx.error(
                f"{path}={_fmt(value)} is not a non-empty list of voices; "
                f"allowed: distinct names from {', '.join(map(repr, DRUM_VOICES))}"
            )
        voices = [ctx.option(f"{path}[{i}]", v, DRUM_VOICES) for i, v in enumerate(value)]
        for i, v in enumerate(voices):
            if v in voices[:i]:
                raise ctx.error(f"{path}[{i}]={v!r} is a repeated voice; allowed: each voice at most once")
        return voices
    if kind == "intervals":
        return _int_list(ctx, path, value, DRONE_INTERVALS_COUNT, SEMITONE_RANGE)
    if kind == "progression":
        low_n, high_n = PROGRESSION_LENGTH
        if not isinstance(value, list) or not low_n <= len(value) <= high_n:
            raise ctx.error(
                f"{path}={_fmt(value)} is not a list of {low_n} to {high_n} chords; "
                "allowed: chords written as lists of semitones, e.g. [[0, 4, 7], [5, 9, 12]]"
            )
        return [_int_list(ctx, f"{path}[{i}]", chord, CHORD_SIZE, SEMITONE_RANGE) for i, chord in enumerate(value)]
    raise AssertionError(f"unknown parameter type {kind!r}")  # pragma: no cover


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def validate_layer(layer: dict, *, source: str = "<dict>", index: int = 0) -> dict:
    """Validate one layer and return it with every default filled in.

    Parameters
    ----------
    layer : dict
        A layer table: ``kind`` plus optional common and kind-specific keys.
    source : str
        Name of the preset used in error messages.
    index : int
        Position of the layer, used in key paths such as ``layers[2].gain_db``.

    Returns
    -------
    dict
        ``kind``, ``gain_db``, ``follow_arc``, every kind-specific key,
        ``am`` (a dict or ``None``) and ``automation`` (a dict, maybe empty).

    Raises
    ------
    PresetError
        If a key is unknown, missing, of the wrong type or out of range.

    Examples
    --------
    >>> validate_layer({"kind": "noise"})["color"]
    'pink'
    """
    ctx = _Ctx(source)
    prefix = f"layers[{index}]."
    ctx.table(f"layers[{index}]", layer)
    if "kind" not in layer:
        raise ctx.error(f"{prefix}kind is missing; allowed: one of {', '.join(map(repr, LAYER_KINDS))}")
    kind = ctx.option(f"{prefix}kind", layer["kind"], LAYER_KINDS)
    params = LAYER_PARAMS[kind]
    ctx.known_keys(prefix, layer, _COMMON_KEYS + tuple(params), f" of a {kind!r} layer")

    out: dict = {"kind": kind}
    out["gain_db"] = ctx.number(f"{prefix}gain_db", layer.get("gain_db", DEFAULT_GAIN_DB), _COMMON_NUMERIC["gain_db"])
    out["follow_arc"] = ctx.call(check_bool, f"{prefix}follow_arc", layer.get("follow_arc", DEFAULT_FOLLOW_ARC))
    for key, spec in params.items():
        value = layer.get(key, spec["default"])
        out[key] = _check_param(ctx, prefix + key, value, spec)

    am = layer.get("am")
    if am is not None:
        ctx.table(f"{prefix}am", am)
        ctx.known_keys(f"{prefix}am.", am, _AM_KEYS)
        for key in _AM_KEYS:
            if key not in am:
                raise ctx.error(f"{prefix}am.{key} is missing; allowed: am needs both rate_hz and depth")
        am = {key: ctx.number(f"{prefix}am.{key}", am[key], spec) for key, spec in AM_PARAMS.items()}
    out["am"] = am

    numeric = {**_COMMON_NUMERIC, **{k: s for k, s in params.items() if s["type"] in ("int", "float")}}
    automation = ctx.table(f"{prefix}automation", layer.get("automation", {}))
    out["automation"] = {}
    for key, points in automation.items():
        path = f"{prefix}automation.{key}"
        if key not in numeric:
            hint = _suggest(key, numeric)
            raise ctx.error(
                f"{path}={_fmt(points)} is not a numeric key of a {kind!r} layer;{hint} "
                f"allowed: {', '.join(sorted(numeric))}"
            )
        out["automation"][key] = _check_breakpoints(ctx, path, points, numeric[key])
    return out


def _check_breakpoints(ctx: _Ctx, path: str, points, spec: dict) -> list[list]:
    if not isinstance(points, list) or not points:
        raise ctx.error(
            f"{path}={_fmt(points)} is not a non-empty list of breakpoints; "
            "allowed: [[time_fraction, value], ...]"
        )
    out = []
    previous = None
    t_low, t_high = AUTOMATION_TIME_RANGE
    for i, point in enumerate(points):
        if not isinstance(point, list) or len(point) != 2:
            raise ctx.error(f"{path}[{i}]={_fmt(point)} is not a pair; allowed: [time_fraction, value]")
        t = ctx.call(check_float, f"{path}[{i}][0]", point[0], low=t_low, high=t_high)
        if previous is not None and t <= previous:
            raise ctx.error(
                f"{path}[{i}][0]={t:g} is not after the previous time {previous:g}; "
                "allowed: strictly ascending time fractions in [0, 1]"
            )
        previous = t
        out.append([t, ctx.number(f"{path}[{i}][1]", point[1], spec)])
    return out


def _check_arc(ctx: _Ctx, arc, duration_s: float) -> dict:
    arc = ctx.table("arc", arc)
    ctx.known_keys("arc.", arc, _ARC_KEYS)
    phases = {}
    for key in _ARC_PHASES:
        default = DEFAULT_ARC_FRACTIONS[key[:-2]] * duration_s
        phases[key] = ctx.number(f"arc.{key}", arc.get(key, default), ARC_PARAMS[key])
    longest = max(phases.values())
    if longest <= 0:
        listed = ", ".join(f"{k}={phases[k]:g}" for k in _ARC_PHASES)
        raise ctx.error(f"arc phases {listed} sum to 0; allowed: at least one phase longer than 0 s")
    # Shares relative to the longest phase, so neither tiny (5e-324 s) nor huge (1e308 s) phases
    # overflow or vanish when they are scaled to the duration.
    shares = {k: v / longest for k, v in phases.items()}
    total_share = math.fsum(shares.values())
    if not math.isclose(longest * total_share, duration_s, rel_tol=ARC_SUM_RTOL):
        phases = {k: duration_s * (v / total_share) for k, v in shares.items()}
    out = dict(phases)
    for key in DEFAULT_ARC_LEVELS:
        out[key] = ctx.number(f"arc.{key}", arc.get(key, ARC_PARAMS[key]["default"]), ARC_PARAMS[key])
    return out


def validate_preset(data: dict, *, source: str = "<dict>") -> dict:
    """Validate a preset and return it resolved, with every default filled in.

    Used by :func:`load_preset` for files and directly by the Python API, so
    both give the same messages.

    Parameters
    ----------
    data : dict
        The preset as parsed from TOML (or built in Python).
    source : str
        Where the preset came from, quoted in every error message
        (``"<dict>"`` for the Python API).  If ``name`` is missing and the
        source ends in ``.toml``, the file stem is used as the name.

    Returns
    -------
    dict
        A new dict of plain Python types (JSON-serialisable) with keys
        ``name, purpose, duration_s, seed, sr, bit_depth, target_lufs,
        ceiling_dbtp, arc, layers``.  ``arc`` phase lengths sum to
        ``duration_s`` (scaled proportionally if needed).

    Raises
    ------
    PresetError
        With a message ``"preset 'SOURCE': KEYPATH=VALUE ..."`` naming what is
        allowed, for unknown keys (with a suggestion), wrong types,
        out-of-range values, missing required keys, an empty or oversized
        layer list, unknown layer kinds and non-ascending automation times.

    Examples
    --------
    >>> p = validate_preset({"name": "n", "purpose": "p", "layers": [{"kind": "noise"}]})
    >>> p["sr"], p["arc"]["hold_s"], p["layers"][0]["gain_db"]
    (48000, 180.0, -12.0)
    """
    ctx = _Ctx(source)
    ctx.table("preset", data)
    ctx.known_keys("", data, _TOP_KEYS)
    out: dict = {}
    if "name" in data:
        out["name"] = ctx.text("name", data["name"])
    elif source.endswith(".toml"):
        out["name"] = Path(source).stem
    else:
        raise ctx.error("name is missing; allowed: a non-empty string")
    if "purpose" not in data:
        raise ctx.error("purpose is missing; allowed: a one-line description of what the preset is for")
    out["purpose"] = ctx.text("purpose", data["purpose"])
    for key, spec in TOP_PARAMS.items():
        if spec["type"] == "text":
            continue
        value = data.get(key, spec["default"])
        if spec["type"] == "option":  # integers from a fixed list (sr, bit_depth)
            out[key] = ctx.option(key, ctx.call(check_int, key, value), spec["options"])
        else:
            out[key] = ctx.number(key, value, spec)
    out["arc"] = _check_arc(ctx, data.get("arc", {}), out["duration_s"])

    if "layers" not in data:
        raise ctx.error(f"layers is missing; allowed: {MIN_LAYERS} to {MAX_LAYERS} [[layers]] tables")
    layers = data["layers"]
    if not isinstance(layers, list) or not MIN_LAYERS <= len(layers) <= MAX_LAYERS:
        shown = f"a list of {len(layers)} layers" if isinstance(layers, list) and layers else _fmt(layers)
        raise ctx.error(f"layers={shown} is not allowed; allowed: {MIN_LAYERS} to {MAX_LAYERS} [[layers]] tables")
    out["layers"] = [validate_layer(layer, source=source, index=i) for i, layer in enumerate(layers)]
    return out


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def bundled_preset_dir() -> Path:
    """Return the folder holding the bundled presets.

    Looks first for ``stimgen/presets/`` inside the installed package, then
    for ``presets/`` at the repository root next to ``stimgen/``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    PresetError
        If neither folder exists.

    Examples
    --------
    >>> bundled_preset_dir().is_dir()
    True
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "presets", here.parent / "presets"):
        if candidate.is_dir():
            return candidate
    raise PresetError(f"bundled presets not found: neither '{here / 'presets'}' nor '{here.parent / 'presets'}' exists")


def _bundled_names() -> list[str]:
    return sorted(p.stem for p in bundled_preset_dir().glob("*.toml"))


def load_preset(name_or_path) -> dict:
    """Load a preset by bundled name or from a ``.toml`` file, and resolve it.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A bundled preset name (``"groove"``) or a path to a TOML file.  A
        string ending in ``.toml`` or holding a path separator, and any
        :class:`pathlib.Path`, is taken as a path.

    Returns
    -------
    dict
        The resolved preset (see :func:`validate_preset`).

    Raises
    ------
    PresetError
        If the preset is not found, the path is a directory, the TOML syntax
        is invalid (the message gives the line) or the content is invalid.

    Examples
    --------
    >>> load_preset("groove")["name"]
    'groove'
    """
    text = str(name_or_path)
    is_path = isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text
    if is_path:
        path = Path(name_or_path)
        source = text
    else:
        path = bundled_preset_dir() / f"{text}.toml"
        source = path.name
        if len(os.fsencode(path.name)) > 255 or not path.is_file():
            names = ", ".join(_bundled_names())
            raise PresetError(
                f"preset {_short(text)!r} is not a bundled preset and not a .toml path; allowed: one of {names} "
                "or a path to a .toml file"
            )
    try:
        if path.is_dir():
            raise PresetError(f"preset '{source}': is a directory; allowed: a .toml file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PresetError(f"preset '{source}': file not found at '{path}'") from None
    except OSError as exc:
        raise PresetError(f"preset '{_short(source)}': cannot be read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PresetError(f"preset '{source}': is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"preset '{source}': invalid TOML syntax: {exc}") from None
    return validate_preset(data, source=source)


def _short(text: str, n_chars: int = 60) -> str:
    return text if len(text) <= n_chars + 3 else text[:n_chars] + "..."


def list_presets(*, with_duration: bool = False) -> list[tuple]:
    """Return ``(name, purpose)`` for every bundled preset, sorted by file name.

    Parameters
    ----------
    with_duration : bool
        Return ``(name, duration_s, purpose)`` instead.

    Returns
    -------
    list of tuple of (str, str) or (str, float, str)

    Raises
    ------
    PresetError
        If a bundled preset is invalid (a packaging bug).

    Examples
    --------
    >>> ("groove", load_preset("groove")["purpose"]) in list_presets()
    True
    """
    out = []
    for path in sorted(bundled_preset_dir().glob("*.toml")):
        preset = load_preset(path.stem)
        if with_duration:
            out.append((preset["name"], preset["duration_s"], preset["purpose"]))
        else:
            out.append((preset["name"], preset["purpose"]))
    return out


# --------------------------------------------------------------------------
# The schema for preset authors
# --------------------------------------------------------------------------


def _number_text(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _allowed_text(spec: dict) -> str:
    kind = spec["type"]
    if kind in ("int", "float"):
        low, high = spec["range"]
        word = "integer" if kind == "int" else "number"
        if high is None:
            return f"{word} >= {_number_text(low)}"
        return f"{word} in [{_number_text(low)}, {_number_text(high)}]"
    if kind == "option":
        return "one of " + ", ".join(repr(o) if isinstance(o, str) else str(o) for o in spec["options"])
    if kind == "bool":
        return "true or false"
    if kind == "text":
        return "non-empty text"
    if kind == "voices":
        return "list of distinct " + ", ".join(map(repr, DRUM_VOICES))
    if kind == "intervals":
        n_low, n_high = DRONE_INTERVALS_COUNT
        return f"list of {n_low}-{n_high} integers in [{SEMITONE_RANGE[0]}, {SEMITONE_RANGE[1]}]"
    if kind == "progression":
        return (f"list of {PROGRESSION_LENGTH[0]}-{PROGRESSION_LENGTH[1]} chords, each {CHORD_SIZE[0]}-{CHORD_SIZE[1]} "
                f"integers in [{SEMITONE_RANGE[0]}, {SEMITONE_RANGE[1]}]")
    raise AssertionError(kind)  # pragma: no cover


def _default_text(spec: dict, key: str) -> str:
    default = spec["default"]
    if default is None:
        if key in ("name", "purpose"):
            return "(required)"
        if key in DEFAULT_ARC_FRACTIONS or key[:-2] in DEFAULT_ARC_FRACTIONS:
            return f"{DEFAULT_ARC_FRACTIONS[key[:-2]]:.0%} of duration_s"
        return "(required in am)"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, str):
        return repr(default)
    if isinstance(default, list):
        return str(default)
    return _number_text(default)


def _search_text(spec: dict) -> str:
    search = spec.get("search")
    if search is None:
        return ""
    if search["scale"] == "choice":
        return f"{len(search['options'])} options"
    low, high = search["range"]
    scale = {"linear": "", "log": ", log scale", "int": ", integers"}[search["scale"]]
    return f"[{_number_text(low)}, {_number_text(high)}]{scale}"


def schema_rows() -> list[dict]:
    """Every key of the preset schema, for listing: read from the one declarative schema.

    Returns
    -------
    list of dict
        One dict per key with ``section`` (``"preset"``, ``"arc"``,
        ``"layers"`` for keys of every layer, ``"layers.am"``, or a layer
        kind), ``key``, ``allowed``, ``default``, ``unit``, ``searched`` (the
        optimizer's search range, empty if not searched) and ``doc``.

    Examples
    --------
    >>> rows = schema_rows()
    >>> {r["section"] for r in rows} >= set(LAYER_KINDS)
    True
    >>> next(r for r in rows if r["key"] == "tempo_bpm")["allowed"]
    'number in [40, 200]'
    """
    def row(section, key, spec):
        return {"section": section, "key": key, "allowed": _allowed_text(spec), "default": _default_text(spec, key),
                "unit": spec["unit"], "searched": _search_text(spec), "doc": spec["doc"]}

    rows = [row("preset", key, spec) for key, spec in TOP_PARAMS.items()]
    rows += [row("arc", key, spec) for key, spec in ARC_PARAMS.items()]
    kinds = ", ".join(map(repr, LAYER_KINDS))
    rows.append({"section": "layers", "key": "kind", "allowed": f"one of {kinds}", "default": "(required)",
                 "unit": "", "searched": "", "doc": f"What the layer synthesises; {MIN_LAYERS}-{MAX_LAYERS} layers."})
    rows += [row("layers", key, spec) for key, spec in COMMON_LAYER_PARAMS.items()]
    rows.append({"section": "layers", "key": "automation", "allowed": "table: numeric key -> [[time, value], ...]",
                 "default": "{}", "unit": "", "searched": "",
                 "doc": "Breakpoints over the session: times are fractions of duration_s in [0, 1], strictly "
                        "ascending; values in the key's range."})
    rows += [row("layers.am", key, spec) for key, spec in AM_PARAMS.items()]
    for kind, params in LAYER_PARAMS.items():
        rows += [row(kind, key, spec) for key, spec in params.items()]
    return rows


SCHEMA_INTRO = """\
# The preset schema

A preset is a TOML file: top-level keys, an optional `[arc]` table and 1 to 16 `[[layers]]` tables.
`stimgen presets show NAME` prints a bundled preset with every default filled in, a good start for
your own; `stimgen generate FILE.toml -o out.wav` renders it and reports any mistake in one line that
names the file, the key and what is allowed. Ranges are inclusive. "searched" is the range
`stimgen optimize` explores by default (`--bound` narrows it; the allowed range is the hard limit).

This page is generated from the one schema in `stimgen/preset.py` (`stimgen presets schema
--markdown`); a test checks that it matches.

```toml
name = "my_session"
purpose = "Syncopated drums over a quiet drone."
duration_s = 600.0

[arc]
heat_s = 120.0
hold_s = 360.0
cool_s = 120.0

[[layers]]
kind = "drums"
gain_db = -6.0
tempo_bpm = 110.0
syncopation = 0.5

[[layers]]
kind = "drone"
gain_db = -20.0
root_hz = 110.0
am = { rate_hz = 2.0, depth = 0.3 }
automation = { gain_db = [[0.0, -30.0], [0.5, -20.0], [1.0, -30.0]] }
```
"""


def schema_markdown() -> str:
    """The schema page for preset authors (``docs/presets.md``) as Markdown.

    Returns
    -------
    str

    Examples
    --------
    >>> "| drums | tempo_bpm |" in schema_markdown()
    True
    """
    titles = {"preset": "Top level", "arc": "`[arc]`", "layers": "Every `[[layers]]` table",
              "layers.am": "A layer's `am` table (amplitude modulation)"}
    lines = [SCHEMA_INTRO]
    lines.append("| section | key | allowed | default | unit | searched | meaning |")
    lines.append("|---|---|---|---|---|---|---|")
    for r in schema_rows():
        cells = [r["section"], r["key"], r["allowed"], r["default"], r["unit"], r["searched"], r["doc"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines.append("")
    lines.append("Sections: " + "; ".join(f"`{k}` = {v}" for k, v in titles.items())
                 + "; a kind's name = the keys of that layer kind only.")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# TOML output
# --------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    parts = []
    for ch in value:
        if ch in '"\\':
            parts.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            parts.append(f"\\u{ord(ch):04X}")
        else:
            parts.append(ch)
    return '"' + "".join(parts) + '"'


def _toml_key(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return _toml_string(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PresetError(f"cannot write {value} to TOML; allowed: finite numbers")
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise PresetError(f"cannot write {type(value).__name__} {value!r} to TOML")


def preset_to_toml(resolved: dict) -> str:
    """Write a resolved preset as TOML text.

    A small emitter for this schema's types (strings, numbers, booleans,
    lists, inline tables); ``None`` values (an absent ``am``) and an empty
    ``automation`` are left out, since they are the defaults.

    Parameters
    ----------
    resolved : dict
        A preset as returned by :func:`validate_preset` or :func:`load_preset`.

    Returns
    -------
    str
        TOML text that :func:`tomllib.loads` reads back to an equal preset.

    Raises
    ------
    PresetError
        If a value has a type TOML cannot hold here (e.g. NaN).

    Examples
    --------
    >>> text = preset_to_toml(load_preset("groove"))
    >>> validate_preset(tomllib.loads(text)) == load_preset("groove")
    True
    """
    lines = []
    tables = []
    for key, value in resolved.items():
        if value is None:
            continue
        if key == "layers" and value:
            continue
        if isinstance(value, dict):
            tables.append((key, value))
            continue
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, table in tables:
        lines.append("")
        lines.append(f"[{_toml_key(key)}]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None)
    for layer in resolved.get("layers", []):
        lines.append("")
        lines.append("[[layers]]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in layer.items() if v is not None and v != {})
    return "\n".join(lines) + "\n"
