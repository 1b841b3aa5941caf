"""The search space of the optimizer: a box of real numbers mapped to valid presets.

A :class:`SearchSpace` holds a *base* preset (a bundled or user preset, or
the default template :data:`TEMPLATE`) and the list of its parameters that
the optimizer may change (:class:`Param`).  A point of the search space is a
vector ``u`` in the unit cube ``[0, 1] ** n_dims``; :meth:`SearchSpace.to_preset`
maps it to a preset dict that :func:`stimgen.preset.validate_preset`
accepts.  The base preset's own values are the starting point
(:meth:`SearchSpace.x0`).

Parameters and their scales
---------------------------
For every layer the kind-specific keys listed in :data:`SEARCH_RANGES` are
searched within the default ranges given there (narrower than the schema in
:mod:`stimgen.preset` where the schema allows values no listener would
want, e.g. a 40 BPM drum kit), widened if needed to include the base
preset's value.  Scales:

``"linear"``
    ``value = low + u (high - low)``, rounded to the parameter's step.
``"log"``
    ``value = low (high / low) ** u`` (frequencies), rounded to the step.
``"int"``
    Integers ``low..high``, each owning an equal share of ``[0, 1]``.
``"choice"``
    A categorical: option ``i`` of ``n`` owns ``[i / n, (i + 1) / n)``.
    Options are chords, voicings, tunings, drum-voice sets and noise
    colours (:data:`VOICE_SETS`, :data:`DRONE_VOICINGS`,
    :data:`PAD_PROGRESSIONS`); the base preset's own value is always option 0
    (added if it is not in the library).

Every value is rounded to its step (:data:`SEARCH_RANGES`), so nearby
vectors give the *same* preset and the evaluation cache can reuse it.

Layers on and off
-----------------
Every layer but the first has a choice ``layers[i].enabled`` (``on`` /
``off``; start ``on``): a layer switched off is left out of the preset.  A
quiet layer is not the same as no layer: the model's front end hears onsets
as level rises in decibels within each cochlear band, so even a layer 40 dB
down adds events in its own bands.  ``--bound pad.enabled=on`` keeps a
layer.

What is not searched
--------------------
* The first layer's ``gain_db``: it is the reference level.  Mastering
  normalises the loudness of the mix, so only the gains of the other layers
  relative to it change the sound.
* Any key that the base preset automates (the automation curve wins over
  the static value in :mod:`stimgen.render`; it is kept as it is).
* ``follow_arc``, the kinds and order of the layers, the render seed,
  the sample rate, the loudness target and true-peak ceiling.
* The arc's ``hold_level`` (the mastering normalises the overall level).

Arc
---
The arc is searched as ``arc.heat_fraction`` and ``arc.cool_fraction``
(shares of the duration; the hold takes the rest) and ``arc.heat_level``,
``arc.cool_level`` (at most the base preset's ``hold_level``).  By default
the cooling phase keeps at least :data:`MIN_COOL_FRACTION` of the duration,
so no design ends abruptly (docs/model.md: abrupt cooling is considered harmful).

Names and bounds
----------------
Each parameter has a canonical name (``layers[0].tempo_bpm``,
``layers[1].am.depth``, ``arc.cool_fraction``) and shorter aliases when they
are unambiguous: ``drums.tempo_bpm`` if the preset has one drums layer,
``tempo_bpm`` if only one parameter has that key.  :func:`parse_bound`
reads user bounds (``"tempo_bpm=90:130"`` narrows a range,
``"pad.tuning=equal"`` or ``"drums.swing=0"`` fixes a parameter); a fixed
parameter leaves the search vector.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ParameterError
from ..preset import (
    AM_PARAMS,
    COMMON_LAYER_PARAMS,
    DRONE_VOICINGS,
    LAYER_PARAMS,
    PAD_PROGRESSIONS,
    VOICE_SETS,
    validate_preset,
)

__all__ = [
    "Param",
    "SearchSpace",
    "TEMPLATE",
    "SEARCH_RANGES",
    "AM_SEARCH_RANGES",
    "AM_KINDS",
    "GAIN_SEARCH_RANGE_DB",
    "ARC_SEARCH_RANGES",
    "MIN_COOL_FRACTION",
    "VOICE_SETS",
    "DRONE_VOICINGS",
    "PAD_PROGRESSIONS",
    "parse_bound",
    "option_text",
    "preset_key",
]

# --------------------------------------------------------------------------
# Search ranges: read from the one preset schema (stimgen.preset)
# --------------------------------------------------------------------------


def _lin(low, high, step):
    return {"scale": "linear", "range": (low, high), "step": step}


SEARCH_RANGES = {
    kind: {key: spec["search"] for key, spec in params.items() if spec.get("search") is not None}
    for kind, params in LAYER_PARAMS.items()
}
"""Searched keys of each layer kind with their default search range, scale
and rounding step (see the module docstring), read from the ``search``
entries of :data:`stimgen.preset.LAYER_PARAMS`: the preset schema is the one
place where allowed and searched ranges are written."""

AM_KINDS = ("drone", "pad", "noise")
"""Layer kinds whose amplitude modulation (``am.rate_hz``, ``am.depth``) is
searched: modulation gives a sustained sound a rhythm in its own cochlear
bands.  A base layer of another kind keeps its ``am`` as it is."""

AM_SEARCH_RANGES = {key: spec["search"] for key, spec in AM_PARAMS.items()}
"""Search ranges of the amplitude modulation of :data:`AM_KINDS` layers
(from :data:`stimgen.preset.AM_PARAMS`)."""

GAIN_SEARCH_RANGE_DB = COMMON_LAYER_PARAMS["gain_db"]["search"]
"""Search range of ``gain_db`` for every layer but the first (from
:data:`stimgen.preset.COMMON_LAYER_PARAMS`)."""

MIN_COOL_FRACTION = 0.1
"""Smallest default share of the duration spent cooling down."""

ARC_SEARCH_RANGES = {
    "heat_fraction": _lin(0.0, 0.3, 0.001),
    "cool_fraction": _lin(MIN_COOL_FRACTION, 0.3, 0.001),
    "heat_level": _lin(0.2, 1.0, 0.001),
    "cool_level": _lin(0.0, 1.0, 0.001),
}
"""Search ranges of the arc; levels are capped at the base ``hold_level``."""

TEMPLATE = {
    "name": "optimized",
    "purpose": "Designed by stimgen optimize.",
    "duration_s": 60.0,
    "seed": 0,
    "target_lufs": -20.0,
    "ceiling_dbtp": -1.0,
    "layers": [
        {"kind": "drums", "gain_db": -6.0, "tempo_bpm": 120.0, "syncopation": 0.4, "deviation": 0.1,
         "mutation": 0.2, "swing": 0.05, "humanize_s": 0.005},
        {"kind": "pad", "gain_db": -18.0, "root_hz": 220.0, "progression": [[0, 4, 7], [5, 9, 12], [7, 11, 14], [0, 4, 7]],
         "chord_s": 8.0, "tuning": "just", "am": {"rate_hz": 2.0, "depth": 0.0}},
        {"kind": "isochronic", "gain_db": -24.0, "freq_hz": 220.0, "rate_hz": 4.5, "duty": 0.5},
    ],
}
"""The preset the optimizer starts from without ``--preset``: syncopated
drums near the preferred 2 Hz pulse, a just-intoned pad (amplitude
modulation available, off at the start) and a 4.5 Hz isochronic tone."""

_ARC_DEFAULT_LEVEL_KEY = {"heat_level": "heat_level", "cool_level": "cool_level"}


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


def option_text(value) -> str:
    """Short text of a categorical option, as users write it in ``--bound``.

    Parameters
    ----------
    value : str or list
        A tuning or colour name, a list of drum voices, a list of semitones
        or a list of chords.

    Returns
    -------
    str

    Examples
    --------
    >>> option_text(["kick", "hat"]), option_text([0, 7, 12]), option_text([[0, 4, 7], [5, 9, 12]])
    ('kick+hat', '0,7,12', '0,4,7|5,9,12')
    >>> option_text(False)
    'off'
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    if value and all(isinstance(v, str) for v in value):
        return "+".join(value)
    if value and all(isinstance(v, list) for v in value):
        return "|".join(",".join(str(int(s)) for s in chord) for chord in value)
    return ",".join(str(int(v)) for v in value)


@dataclass(frozen=True)
class Param:
    """One searched parameter.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"layers[0].tempo_bpm"`` or ``"arc.heat_level"``.
    aliases : tuple of str
        Shorter unambiguous names (``"drums.tempo_bpm"``, ``"tempo_bpm"``).
    scale : {"linear", "log", "int", "choice"}
    low, high : float
        Search range in the parameter's units (``0, n_options - 1`` for a
        choice).
    step : float
        Rounding step of the value (1 for int and choice).
    options : tuple
        The options of a choice (empty otherwise).
    start : object
        The base preset's value (the starting point).
    allowed : tuple of (float, float)
        The schema's range, the limit for user bounds (empty for a choice).
    """

    name: str
    aliases: tuple
    scale: str
    low: float
    high: float
    step: float
    options: tuple = ()
    start: object = None
    allowed: tuple = ()

    @property
    def fixed(self) -> bool:
        """Whether the range holds a single value (the parameter is not searched)."""
        return self.low == self.high

    def value(self, u: float):
        """Map ``u`` in [0, 1] to a value of this parameter (rounded to the step)."""
        u = min(max(float(u), 0.0), 1.0)
        if self.scale == "choice":
            i = min(int(self.low) + int(u * (self.high - self.low + 1)), int(self.high))
            return copy.deepcopy(self.options[i])
        if self.scale == "int":
            span = self.high - self.low + 1
            return int(min(self.low + math.floor(u * span), self.high))
        if self.scale == "log":
            raw = self.low * (self.high / self.low) ** u if self.low > 0 else self.low + u * (self.high - self.low)
        else:
            raw = self.low + u * (self.high - self.low)
        return min(max(_round_step(raw, self.step), self.low), self.high)

    def unit(self, value) -> float:
        """Inverse of :meth:`value`: the centre of the cell holding ``value`` (clipped to the range)."""
        if self.fixed:
            return 0.5
        if self.scale == "choice":
            i = next((k for k, o in enumerate(self.options) if o == value), 0)
            i = min(max(i, int(self.low)), int(self.high))
            return (i - self.low + 0.5) / (self.high - self.low + 1)
        v = min(max(float(value), self.low), self.high)
        if self.scale == "int":
            return (round(v) - self.low + 0.5) / (self.high - self.low + 1)
        if self.scale == "log" and self.low > 0:
            return math.log(v / self.low) / math.log(self.high / self.low)
        return (v - self.low) / (self.high - self.low)

    def describe_range(self) -> str:
        """The range as users write it (``90:130``, ``just|equal``)."""
        if self.scale == "choice":
            shown = [option_text(o) for o in self.options[int(self.low): int(self.high) + 1]]
            return " | ".join(shown)
        if self.fixed:
            return f"{self.low:g}"
        return f"{self.low:g}:{self.high:g}"


def _round_step(value: float, step: float) -> float:
    if step <= 0:
        return float(value)
    decimals = max(0, -int(math.floor(math.log10(step) + 1e-9)))
    return round(round(value / step) * step, decimals)


# --------------------------------------------------------------------------
# The space
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchSpace:
    """A base preset and the parameters the optimizer may change.

    Build one with :meth:`from_preset`; narrow or fix parameters with
    :meth:`with_bounds`.

    Attributes
    ----------
    base : dict
        The resolved base preset (its values are the starting point).
    params : tuple of Param
        Every parameter, fixed ones included.

    Examples
    --------
    >>> space = SearchSpace.from_preset(None)
    >>> preset = space.to_preset(space.x0())
    >>> preset["layers"][0]["tempo_bpm"]
    120.0
    """

    base: dict
    params: tuple = field(default=())

    # -- construction ---------------------------------------------------------
    @classmethod
    def from_preset(cls, preset, *, duration_s: float | None = None, target_lufs: float | None = None) -> "SearchSpace":
        """Build the space around a base preset.

        Parameters
        ----------
        preset : dict or None
            A preset dict (resolved or not; it is validated) or ``None`` for
            :data:`TEMPLATE`.
        duration_s : float or None
            Duration of every candidate (s); default the base preset's
            (60 s for the template).  The arc phases are scaled to it.
        target_lufs : float or None
            Loudness target of every candidate; default the base preset's.

        Returns
        -------
        SearchSpace

        Raises
        ------
        PresetError
            If the preset, ``duration_s`` or ``target_lufs`` is invalid.
        """
        data = copy.deepcopy(TEMPLATE if preset is None else preset)
        source = "<template>" if preset is None else str(data.get("name", "<dict>"))
        base = validate_preset(data, source=source)
        if duration_s is not None or target_lufs is not None:
            changed = dict(base)
            if duration_s is not None:
                scale = float(duration_s) / base["duration_s"]
                changed["arc"] = {k: (v * scale if k.endswith("_s") else v) for k, v in base["arc"].items()}
                changed["duration_s"] = duration_s
            if target_lufs is not None:
                changed["target_lufs"] = target_lufs
            base = validate_preset(changed, source=source)
        return cls(base=base, params=tuple(_build_params(base)))

    def with_bounds(self, bounds) -> "SearchSpace":
        """Return a space with user bounds applied.

        Parameters
        ----------
        bounds : iterable of (str, object)
            ``(name, (low, high))`` narrows a numeric parameter,
            ``(name, value)`` fixes one (a number, or an option's text for a
            choice); see :func:`parse_bound`.

        Returns
        -------
        SearchSpace

        Raises
        ------
        ParameterError
            If a name is unknown or ambiguous, or a bound lies outside what
            the preset schema allows, or ``low > high``.
        """
        params = list(self.params)
        for name, bound in bounds:
            i = self.index(name)
            params[i] = _apply_bound(params[i], name, bound)
        return replace(self, params=tuple(params))

    # -- lookup -----------------------------------------------------------------
    def index(self, name: str) -> int:
        """Index in :attr:`params` of the parameter called ``name`` (or an alias).

        Raises
        ------
        ParameterError
            If no parameter or several parameters answer to ``name``.
        """
        hits = [i for i, p in enumerate(self.params) if name == p.name or name in p.aliases]
        if len(hits) == 1:
            return hits[0]
        if not hits:  # a key that several layers have, e.g. gain_db
            hits = [i for i, p in enumerate(self.params) if p.name.endswith("." + name)]
        if len(hits) > 1:
            listed = ", ".join(self.params[i].name for i in hits)
            raise ParameterError(f"parameter name {name!r} is ambiguous; it matches {listed}; use one of those")
        names = [p.name for p in self.params] + [a for p in self.params for a in p.aliases]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f" did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"parameter name {name!r} is not a parameter of this search;{hint} "
            "allowed: the names listed by `stimgen optimize --list-params`"
        )

    def _off_layers(self) -> set:
        """Layers fixed to ``off`` by a bound: their other parameters are not searched."""
        return {
            _split_layer_key(p.name)[0]
            for p in self.params
            if p.name.endswith(".enabled") and p.fixed and p.value(0.0) is False
        }

    def _searched(self, p: Param, off: set) -> bool:
        return not p.fixed and not (p.name.startswith("layers[") and _split_layer_key(p.name)[0] in off)

    @property
    def free(self) -> tuple:
        """The searched parameters, in vector order: not fixed, and not of a layer fixed off."""
        off = self._off_layers()
        return tuple(p for p in self.params if self._searched(p, off))

    @property
    def n_dims(self) -> int:
        """Length of a search vector."""
        return len(self.free)

    # -- mapping ---------------------------------------------------------------
    def x0(self) -> np.ndarray:
        """The starting point: the base preset's values, shape ``(n_dims,)``."""
        return np.array([p.unit(p.start) for p in self.free], dtype=float)

    def values(self, x) -> dict:
        """Parameter values (by canonical name) of the point ``x``, fixed ones included."""
        x = np.asarray(x, dtype=float).ravel()
        if x.size != self.n_dims:
            raise ParameterError(f"x has {x.size} values; this search space has {self.n_dims} dimensions")
        it = iter(x)
        off = self._off_layers()
        out = {}
        for p in self.params:
            if self._searched(p, off):
                out[p.name] = p.value(next(it))
            else:
                out[p.name] = p.value(0.0) if p.fixed else p.value(p.unit(p.start))
        return out

    def to_preset(self, x, *, name: str | None = None, purpose: str | None = None) -> dict:
        """The resolved preset of the point ``x`` (validated).

        Parameters
        ----------
        x : array_like, shape (n_dims,)
            Point of the unit cube (values outside are clipped).
        name, purpose : str or None
            Override the base preset's name and purpose.

        Returns
        -------
        dict
            A resolved preset (see :func:`stimgen.preset.validate_preset`).
        """
        return self.preset_from_values(self.values(x), name=name, purpose=purpose)

    def preset_from_values(self, values: dict, *, name: str | None = None, purpose: str | None = None) -> dict:
        """The resolved preset with the given parameter values (see :meth:`to_preset`)."""
        data = copy.deepcopy(self.base)
        if name is not None:
            data["name"] = name
        if purpose is not None:
            data["purpose"] = purpose
        arc = {}
        disabled = set()
        for key, value in values.items():
            if key.startswith("arc."):
                arc[key[4:]] = value
                continue
            index, path = _split_layer_key(key)
            layer = data["layers"][index]
            if path[0] == "enabled":
                if not value:
                    disabled.add(index)
            elif path[0] == "am":
                am = dict(layer["am"] or {"rate_hz": AM_SEARCH_RANGES["rate_hz"]["range"][0], "depth": 0.0})
                am[path[1]] = value
                layer["am"] = am
            else:
                layer[path[0]] = value
        data["layers"] = [layer for i, layer in enumerate(data["layers"]) if i not in disabled]
        for layer in data["layers"]:
            if layer.get("am") is not None and layer["am"]["depth"] == 0.0:
                layer["am"] = None  # depth 0 is no modulation (bit-identical); leave it out
        if arc:
            d = data["duration_s"]
            heat = arc.get("heat_fraction", data["arc"]["heat_s"] / d)
            cool = arc.get("cool_fraction", data["arc"]["cool_s"] / d)
            data["arc"] = {
                **data["arc"],
                "heat_s": heat * d,
                "cool_s": cool * d,
                "hold_s": max(d - (heat + cool) * d, 0.0),
                "heat_level": arc.get("heat_level", data["arc"]["heat_level"]),
                "cool_level": arc.get("cool_level", data["arc"]["cool_level"]),
            }
        return validate_preset(data, source=str(data["name"]))

    # -- identity -----------------------------------------------------------------
    def signature(self) -> dict:
        """Everything that defines this space, JSON-ready (for checkpoints)."""
        return {
            "base": preset_key(self.base),
            "params": [
                {"name": p.name, "scale": p.scale, "low": p.low, "high": p.high, "step": p.step,
                 "options": [option_text(o) for o in p.options], "start": _jsonable(p.start)}
                for p in self.params
            ],
        }


def preset_key(resolved: dict) -> str:
    """SHA-256 hex digest of a resolved preset's canonical JSON (the cache key).

    Examples
    --------
    >>> from stimgen.preset import load_preset
    >>> len(preset_key(load_preset("groove")))
    64
    """
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _jsonable(value):
    return value if isinstance(value, (str, int, float, list)) or value is None else str(value)


def _split_layer_key(key: str) -> tuple[int, list]:
    head, _, rest = key.partition("].")
    return int(head[len("layers["):]), rest.split(".")


def _widen(spec: dict, value) -> tuple[float, float]:
    low, high = spec["range"]
    if value is not None:
        low, high = min(low, float(value)), max(high, float(value))
    return low, high


def _numeric_param(name, aliases, spec, start, allowed) -> Param:
    low, high = _widen(spec, start)
    return Param(name=name, aliases=aliases, scale=spec["scale"], low=float(low), high=float(high),
                 step=float(spec["step"]), start=start, allowed=tuple(float(a) for a in allowed))


def _choice_param(name, aliases, options, start) -> Param:
    opts = [copy.deepcopy(start)] + [copy.deepcopy(o) for o in options if o != start]
    return Param(name=name, aliases=aliases, scale="choice", low=0.0, high=float(len(opts) - 1), step=1.0,
                 options=tuple(opts), start=copy.deepcopy(start))


def _build_params(base: dict) -> list[Param]:
    layers = base["layers"]
    kinds = [layer["kind"] for layer in layers]
    params: list[Param] = []

    def names(index: int, key: str) -> tuple[str, tuple]:
        kind = kinds[index]
        aliases = (f"{kind}.{key}",) if kinds.count(kind) == 1 else ()
        return f"layers[{index}].{key}", aliases

    for index, layer in enumerate(layers):
        kind = layer["kind"]
        automated = set(layer["automation"])
        if index > 0:
            params.append(_choice_param(*names(index, "enabled"), (True, False), True))
        if index > 0 and "gain_db" not in automated:
            params.append(_numeric_param(*names(index, "gain_db"), GAIN_SEARCH_RANGE_DB, layer["gain_db"],
                                         COMMON_LAYER_PARAMS["gain_db"]["range"]))
        for key, spec in SEARCH_RANGES[kind].items():
            if key in automated:
                continue
            if spec["scale"] == "choice":
                params.append(_choice_param(*names(index, key), spec["options"], layer[key]))
            else:
                params.append(_numeric_param(*names(index, key), spec, layer[key], LAYER_PARAMS[kind][key]["range"]))
        if kind in AM_KINDS:
            am = layer["am"] or {"rate_hz": AM_SEARCH_RANGES["rate_hz"]["range"][0], "depth": 0.0}
            for key, spec in AM_PARAMS.items():
                params.append(_numeric_param(*names(index, f"am.{key}"), AM_SEARCH_RANGES[key], am[key], spec["range"]))

    arc = base["arc"]
    d = base["duration_s"]
    hold_level = arc["hold_level"]
    starts = {
        "heat_fraction": arc["heat_s"] / d,
        "cool_fraction": arc["cool_s"] / d,
        "heat_level": arc["heat_level"],
        "cool_level": arc["cool_level"],
    }
    for key, spec in ARC_SEARCH_RANGES.items():
        start = round(starts[key], 9)
        low, high = _widen(spec, start)
        if key.endswith("_level"):
            high = min(high, hold_level)
            low = min(low, high)
            allowed = (0.0, hold_level)
        else:
            allowed = (0.0, 1.0)
        params.append(Param(name=f"arc.{key}", aliases=(), scale="linear", low=float(low), high=float(high),
                            step=float(spec["step"]), start=start, allowed=allowed))

    # Bare-key aliases where only one parameter has the key.
    bare = {}
    for p in params:
        bare.setdefault(p.name.split(".", 1)[1], []).append(p)
    out = []
    for p in params:
        key = p.name.split(".", 1)[1]
        extra = (key,) if len(bare[key]) == 1 and key not in p.aliases and key != p.name else ()
        out.append(replace(p, aliases=p.aliases + extra))
    return out


# --------------------------------------------------------------------------
# User bounds
# --------------------------------------------------------------------------


def parse_bound(text: str) -> tuple[str, object]:
    """Parse a ``--bound`` argument.

    Parameters
    ----------
    text : str
        ``NAME=LOW:HIGH`` (narrow a numeric parameter), ``NAME=VALUE`` (fix
        it) or ``NAME=OPTION`` (fix a choice, the option written as
        :func:`option_text` prints it, e.g. ``pad.tuning=equal``,
        ``drums.voices=kick+hat``).

    Returns
    -------
    (str, object)
        The name and either ``(low, high)`` floats, a float, or the option text.

    Raises
    ------
    ParameterError
        If the text has no ``=`` or a range is not two numbers.

    Examples
    --------
    >>> parse_bound("tempo_bpm=90:130")
    ('tempo_bpm', (90.0, 130.0))
    >>> parse_bound("pad.tuning=equal")
    ('pad.tuning', 'equal')
    """
    name, sep, rhs = str(text).partition("=")
    name, rhs = name.strip(), rhs.strip()
    if not sep or not name or not rhs:
        raise ParameterError(
            f"--bound {text!r} is not NAME=LOW:HIGH or NAME=VALUE; e.g. --bound tempo_bpm=90:130"
        )
    if ":" in rhs:
        low, _, high = rhs.partition(":")
        try:
            lo, hi = float(low), float(high)
        except ValueError:
            raise ParameterError(f"--bound {text!r}: {rhs!r} is not LOW:HIGH with two numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ParameterError(f"--bound {text!r}: the bounds must be finite numbers")
        return name, (lo, hi)
    try:
        value = float(rhs)
    except ValueError:
        return name, rhs
    if not math.isfinite(value):
        raise ParameterError(f"--bound {text!r}: the value must be a finite number")
    return name, value


def _apply_bound(p: Param, name: str, bound) -> Param:
    shown = f"--bound {name}="
    if p.scale == "choice":
        if not isinstance(bound, (str, float)):
            raise ParameterError(
                f"{shown}{bound[0]:g}:{bound[1]:g}: {p.name} is a choice; fix it to one option, "
                f"allowed: {' | '.join(option_text(o) for o in p.options)}"
            )
        texts = [option_text(o) for o in p.options]
        wanted = bound if isinstance(bound, str) else f"{bound:g}"
        if wanted not in texts:
            raise ParameterError(
                f"{shown}{wanted}: {wanted!r} is not an option of {p.name}; allowed: {' | '.join(texts)}"
            )
        i = float(texts.index(wanted))
        return replace(p, low=i, high=i)
    if isinstance(bound, str):
        raise ParameterError(f"{shown}{bound}: {bound!r} is not a number; allowed: LOW:HIGH or a number")
    low, high = (bound, bound) if isinstance(bound, float) else bound
    shown += f"{low:g}" if low == high else f"{low:g}:{high:g}"
    if low > high:
        raise ParameterError(f"{shown}: the low bound {low:g} is above the high bound {high:g}; allowed: LOW <= HIGH")
    lo_ok, hi_ok = p.allowed
    for v in (low, high):
        if not lo_ok <= v <= hi_ok:
            raise ParameterError(
                f"{shown}: {v:g} is outside the allowed range of {p.name}; allowed: values in [{lo_ok:g}, {hi_ok:g}]"
            )
    if p.scale == "int" and (low != round(low) or high != round(high)):
        raise ParameterError(f"{shown}: {p.name} takes whole numbers; allowed: integers in [{lo_ok:g}, {hi_ok:g}]")
    if p.scale == "log" and low <= 0:
        raise ParameterError(f"{shown}: {p.name} is searched on a log scale; allowed: values above 0")
    start = p.start if p.start is None else min(max(float(p.start), low), high)
    if p.scale == "int" and start is not None:
        start = int(round(start))
    return replace(p, low=float(low), high=float(high), start=start)
