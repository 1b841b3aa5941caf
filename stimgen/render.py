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

Streaming
---------
:class:`SessionRenderer` renders a session section by section (every
layer is a :mod:`stimgen.synth.streams` source that carries its state --
oscillator phases, the sequencer's notes, chord and segment crossfades,
noise filter state -- across section borders), so memory does not depend on
the session's length.  Each sample is computed from its own index and from
state fixed by the layer's timeline, never by where a section starts, so the
sections join to exactly the samples of a one-shot render, bit for bit,
whatever the section size (``tests/test_generate.py`` checks two section
sizes against :func:`render_preset`).

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

import numpy as np

from . import synth
from .errors import ParameterError
from .preset import validate_preset

__all__ = [
    "render_preset",
    "iter_layers",
    "SessionRenderer",
    "SECTION_FRAMES",
    "EVENT_SEGMENT_BARS",
    "TONAL_SEGMENT_S",
    "TONAL_CROSSFADE_S",
    "CONTROL_RATE_HZ",
]

EVENT_SEGMENT_BARS = 4
"""Bars per phrase when a drums or clicks layer has non-gain automation."""

TONAL_SEGMENT_S = 2.0
"""Segment length (s) when a tonal layer has non-gain automation."""

TONAL_CROSSFADE_S = 0.5
"""Equal-power crossfade (s) between automated tonal segments."""

CONTROL_RATE_HZ = 100
"""Rate (Hz) at which automation of non-gain keys is evaluated."""

SECTION_FRAMES = 1 << 16
"""Default section length of a streamed render, in frames (1.37 s at 48 kHz;
an engineering choice: long enough that per-section overhead is small, short
enough that a section's temporaries stay a few MB)."""

_STEPS = 16
_MONO_NOTE = (
    "binaural layer: the beat exists only on stereo headphones (each ear gets its own carrier); "
    "the output is stereo, and a mono downmix would remove the beat"
)


def _int_params(kind: str) -> set:
    from .preset import LAYER_PARAMS

    return {k for k, s in LAYER_PARAMS[kind].items() if s["type"] == "int"}


class _Automation:
    """Glided values of a layer's non-gain automation, evaluated at a control rate.

    Each value is the control-rate :func:`stimgen.synth.glide` curve's sample
    at the time asked, computed on demand (no curve of the session's length
    is kept).
    """

    def __init__(self, layer: dict, duration_s: float):
        self.duration_s = duration_s
        self.base = layer
        self.ints = _int_params(layer["kind"])
        self.n_control = int(round(duration_s * CONTROL_RATE_HZ))
        self.curves = {
            key: [(t * duration_s, v) for t, v in points]
            for key, points in layer["automation"].items()
            if key != "gain_db"
        }
        self._whole = {}

    def __bool__(self) -> bool:
        return bool(self.curves)

    def params_at(self, t_s: float) -> dict:
        out = dict(self.base)
        for key, points in self.curves.items():
            i = min(max(int(t_s * CONTROL_RATE_HZ), 0), self.n_control - 1)
            curve = self._whole.get(key)
            if curve is None:  # the whole control curve once (each sample depends only on its index)
                curve = self._whole[key] = synth.glide(points, sr=CONTROL_RATE_HZ, duration_s=self.duration_s)
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


def _event_stream(layer: dict, auto: _Automation, *, sr: int, n: int, duration_s: float, rng):
    """Drums or clicks: motifs and sequenced bars in phrases, as a :class:`~stimgen.synth.streams.NotesStream`.

    All the notes are drawn here, phrase by phrase (a few numbers per bar,
    no audio); the stream mixes them section by section.  One silent bar
    after each phrase lets its last notes ring into the next phrase.
    """
    from .synth.streams import NotesStream

    phrases = []
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
        silent = synth.Motif(voices=motif.voices, velocities=np.zeros_like(motif.velocities), syncopation=0.0)
        phrase_s = (n_bars + 1) * bar_s
        notes = synth.sequence_notes(
            list(bars) + [silent], sr=sr, tempo_bpm=p["tempo_bpm"], voices=voices, duration_s=phrase_s,
            swing=swing, humanize_s=humanize_s, rng=rng if humanize_s > 0 else None,
        )
        phrases.append((round(t_s * sr), int(round(phrase_s * sr)), notes))
        t_s += n_bars * bar_s
    return NotesStream(phrases, n_samples=n)


def _tonal_stream(p: dict, *, sr: int, n: int, rng):
    """The source of a tonal or noise layer with parameters ``p`` (``n`` samples)."""
    from .synth import streams
    from .synth.tonal import EDGE_FADE_S

    kind = p["kind"]
    if kind == "drone":
        freqs = synth.chord_frequencies(p["root_hz"], intervals=p["intervals"], tuning=p["tuning"])
        return streams.DroneStream(freqs, sr=sr, n_samples=n, n_harmonics=p["n_harmonics"], drift_depth=p["drift"],
                                   rng=rng, fade_s=EDGE_FADE_S)
    if kind == "pad":
        chords = [synth.chord_frequencies(p["root_hz"], intervals=c, tuning=p["tuning"]) for c in p["progression"]]
        n_rep = max(1, math.ceil(n / sr / (len(chords) * p["chord_s"]) - 1e-9))
        return streams.PadStream(chords * n_rep, sr=sr, chord_s=p["chord_s"], crossfade_s=min(1.0, p["chord_s"] / 2),
                                 n_samples=n, rng=rng, fade_s=EDGE_FADE_S)
    if kind == "isochronic":
        ramp_s = min(0.005, p["duty"] / p["rate_hz"] / 4)
        return streams.IsochronicStream(p["freq_hz"], sr=sr, n_samples=n, rate_hz=p["rate_hz"], duty=p["duty"],
                                        ramp_s=ramp_s)
    if kind == "binaural":
        return streams.BinauralStream(p["carrier_hz"], beat_hz=p["beat_hz"], sr=sr, n_samples=n, fade_s=EDGE_FADE_S)
    if kind == "noise":
        # A generator of its own (seeded from the layer's), so that crossfaded segments never share one.
        return streams.NoiseStream(p["color"], sr=sr, n_samples=n,
                                   rng=np.random.default_rng(int(rng.integers(0, 2**63))))
    raise AssertionError(f"unknown layer kind {kind!r}")  # pragma: no cover


def _layer_source(layer: dict, auto: _Automation, *, sr: int, n: int, duration_s: float, rng):
    """The synthesis stream of one layer (before AM, gain and arc)."""
    from .synth.streams import SegmentStream

    if layer["kind"] in ("drums", "clicks"):
        return _event_stream(layer, auto, sr=sr, n=n, duration_s=duration_s, rng=rng)
    if not auto:
        return _tonal_stream(layer, sr=sr, n=n, rng=rng)
    n_x = round(TONAL_CROSSFADE_S * sr)
    n_seg = max(1, math.ceil(duration_s / TONAL_SEGMENT_S - 1e-9))
    bounds = []
    for k in range(n_seg):
        a = max(0, round(k * TONAL_SEGMENT_S * sr) - n_x // 2)
        b = n if k == n_seg - 1 else min(n, round((k + 1) * TONAL_SEGMENT_S * sr) + n_x - n_x // 2)
        bounds.append((a, b))

    def make(k, m):
        return _tonal_stream(auto.params_at(k * TONAL_SEGMENT_S), sr=sr, n=m, rng=rng)

    return SegmentStream(bounds, make, n_samples=n, n_channels=2 if layer["kind"] == "binaural" else 1, n_xfade=n_x)


class _Layer:
    """Layer ``index`` of a validated preset as a stream: synthesis, AM, gain (or its automation), arc."""

    def __init__(self, p: dict, index: int):
        self.sr = p["sr"]
        self.duration_s = p["duration_s"]
        self.n = round(self.duration_s * self.sr)
        self.layer = p["layers"][index]
        rng = np.random.default_rng([p["seed"], index])
        auto = _Automation(self.layer, self.duration_s)
        self.source = _layer_source(self.layer, auto, sr=self.sr, n=self.n, duration_s=self.duration_s, rng=rng)
        self.stereo = self.source.n_channels == 2
        self.gain_points = None
        if "gain_db" in self.layer["automation"]:
            self.gain_points = [(t * self.duration_s, v) for t, v in self.layer["automation"]["gain_db"]]
        self.sum_squares = 0.0
        self.track_rms = True

    def read(self, a: int, b: int, envelope: np.ndarray) -> np.ndarray:
        """Samples ``[a, b)`` (the next ones) after AM, gain and the arc ``envelope[: b - a]``."""
        y = self.source.read(b - a)
        layer, sr = self.layer, self.sr
        if layer["am"] is not None:
            y = synth.amplitude_modulate(y, sr=sr, rate_hz=layer["am"]["rate_hz"], depth=layer["am"]["depth"],
                                         offset=a)
        if self.gain_points is not None:
            y = y * 10.0 ** (synth.glide(self.gain_points, sr=sr, duration_s=self.duration_s, start=a, stop=b) / 20.0)
        else:
            y *= 10.0 ** (layer["gain_db"] / 20.0)  # y is this layer's own array
        if layer["follow_arc"] and not (isinstance(envelope, float) and envelope == 1.0):
            y *= envelope
        if self.track_rms:
            self.sum_squares += float(np.square(y).sum())  # (not BLAS vdot: its threads stall on a busy machine)
        return y


class SessionRenderer:
    """A preset rendered section by section, before mastering.

    Parameters
    ----------
    resolved : dict
        A preset from :func:`stimgen.preset.load_preset` or
        :func:`stimgen.preset.validate_preset`.
    duration_s, sr, seed : float, int, int or None
        Overrides, as in :func:`render_preset`.
    exclude : collection of int
        Layers left out of the mix (the others keep their random streams:
        layer ``i`` always draws from ``default_rng([seed, i])``).
    layer_rms : bool
        Keep each layer's RMS for :attr:`info` (one pass over its samples);
        without it the layers' ``rms`` is None.

    Attributes
    ----------
    p : dict
        The validated preset with the overrides applied.
    sr, n_frames : int
        Sample rate and length of the session.
    position : int
        Frames read so far.

    Examples
    --------
    >>> from stimgen.preset import load_preset
    >>> r = SessionRenderer(load_preset("groove"), duration_s=5.0)
    >>> [y.shape for y in r.sections(100000)]
    [(2, 100000), (2, 100000), (2, 40000)]
    """

    def __init__(self, resolved: dict, *, duration_s=None, sr=None, seed=None, exclude=(), layer_rms=True):
        self.p = p = _resolve(resolved, duration_s=duration_s, sr=sr, seed=seed)
        self.exclude = frozenset(exclude)
        self.sr = p["sr"]
        self.duration_s = p["duration_s"]
        self.n_frames = round(self.duration_s * self.sr)
        arc = p["arc"]
        self._arc = {"sr": self.sr, "duration_s": self.duration_s, "heat_s": arc["heat_s"], "hold_s": arc["hold_s"],
                     "cool_s": arc["cool_s"], "heat_level": arc["heat_level"], "hold_level": arc["hold_level"],
                     "cool_level": arc["cool_level"]}
        synth.arc_envelope(**self._arc, start=0, stop=0)  # validates the arc before any work
        heat_s, hold_s, cool_s = synth.arc_boundaries_s(duration_s=self.duration_s, heat_s=arc["heat_s"],
                                                        hold_s=arc["hold_s"], cool_s=arc["cool_s"])
        self._hold = (heat_s, heat_s + hold_s, float(arc["hold_level"]), cool_s > 0)
        self.layers = [_Layer(p, index) for index in range(len(p["layers"]))]  # excluded ones are never read
        for layer in self.layers:
            layer.track_rms = bool(layer_rms)
        self.position = 0

    def envelope(self, start: int, stop: int) -> np.ndarray:
        """The session arc's gains for frames ``[start, stop)``."""
        return synth.arc_envelope(**self._arc, start=start, stop=stop)

    def envelope_at(self, frames) -> np.ndarray:
        """The session arc's gains at the frames ``frames`` (the same values as :meth:`envelope`'s)."""
        return synth.arc_envelope(**self._arc, frames=frames)

    def _section_envelope(self, a: int, b: int):
        """The arc's gains for frames ``[a, b)``: the hold level (a float) if they all lie in the hold.

        The test is :func:`~stimgen.synth.arc_envelope`'s own (frame ``k`` at
        ``k / sr``, which grows with ``k``, so the first and last frames
        decide), so the values are the same as :meth:`envelope`'s.
        """
        heat_s, cool_start_s, level, cools = self._hold
        if b > a and a / self.sr >= heat_s and not (cools and (b - 1) / self.sr >= cool_start_s):
            return level
        return self.envelope(a, b)

    def read(self, m: int) -> np.ndarray:
        """The next ``m`` frames (fewer at the end), float64, shape (2, m)."""
        a = self.position
        b = min(self.n_frames, a + max(0, int(m)))
        self.position = b
        envelope = self._section_envelope(a, b)
        mix = None
        for index, layer in enumerate(self.layers):
            if index in self.exclude:
                continue
            y = layer.read(a, b, envelope)  # the layer's own array
            if mix is None:  # the first layer is the mix so far (0 + y is y)
                mix = y if y.ndim == 2 else np.broadcast_to(y, (2, b - a)).copy()
            else:
                mix += y  # a mono layer broadcasts to both channels (centre)
        return np.zeros((2, b - a)) if mix is None else mix

    def seek(self, frame: int) -> None:
        """Skip forward to ``frame`` without rendering what lies before it.

        Frames read after a seek are those of a sequential render except in
        noise layers, whose generator and filter restart (same colour and
        level, other values); so a seek serves estimates such as the
        mastering's loudness probe, never the output.
        """
        frame = int(frame)
        if frame < self.position:
            raise ParameterError(f"seek to frame {frame}: a render only moves forward (at frame {self.position})")
        self.position = min(frame, self.n_frames)
        for layer in self.layers:
            layer.source.seek(self.position)

    def sections(self, section_frames: int = SECTION_FRAMES, *, on_progress=None):
        """Yield the rest of the session in sections of ``section_frames`` (the last may be shorter).

        ``on_progress(fraction)`` is called after each section.
        """
        if isinstance(section_frames, bool) or not isinstance(section_frames, (int, np.integer)) or section_frames < 1:
            raise ParameterError(f"section_frames={section_frames!r} must be a positive integer")
        while self.position < self.n_frames:
            y = self.read(section_frames)
            if on_progress is not None:
                on_progress(self.position / self.n_frames)
            yield y

    @property
    def info(self) -> dict:
        """``duration_s``, ``sr``, ``seed``, ``n_samples``, ``arc``, ``layers`` and ``notes``, as :func:`render_preset`.

        The layers' ``rms`` covers the frames read so far (None if not kept: ``layer_rms=False``).
        """
        p = self.p
        notes = [_MONO_NOTE] if any(layer["kind"] == "binaural" for layer in p["layers"]) else []
        layers = []
        for layer in self.layers:
            size = max(1, self.position) * (2 if layer.stereo else 1)
            layers.append({"kind": layer.layer["kind"], "stereo": layer.stereo,
                           "rms": float(np.sqrt(layer.sum_squares / size)) if layer.track_rms else None})
        return {"duration_s": p["duration_s"], "sr": p["sr"], "seed": p["seed"], "n_samples": self.n_frames,
                "arc": p["arc"], "layers": layers, "notes": notes}


def iter_layers(resolved: dict, *, duration_s=None, sr=None, seed=None, on_progress=None):
    """Render a preset layer by layer (the stems that :func:`render_preset` sums).

    Each stem is held whole, so memory grows with the session; the streamed
    path is :class:`SessionRenderer`.

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
    renderer = SessionRenderer(resolved, duration_s=duration_s, sr=sr, seed=seed)
    p, n = renderer.p, renderer.n_frames
    envelope = renderer.envelope(0, n)
    n_layers = len(renderer.layers)
    if on_progress is not None:
        on_progress(0.0)
    for index, layer in enumerate(renderer.layers):
        y = layer.read(0, n, envelope)
        if on_progress is not None:
            on_progress((index + 1) / n_layers)
        yield index, y, p


def render_preset(resolved: dict, *, duration_s=None, sr=None, seed=None, on_progress=None):
    """Render a resolved preset to stereo audio in one piece, before mastering.

    The one-shot form of :class:`SessionRenderer` (its samples equal the
    sections of a streamed render, bit for bit).

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
        Called as ``on_progress(fraction)`` with a fraction in [0, 1].

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
        hold level is below its heat or cool level).

    Examples
    --------
    >>> from stimgen.preset import load_preset
    >>> y, info = render_preset(load_preset("groove"), duration_s=5.0, sr=48000)
    >>> y.shape, info["seed"]
    ((2, 240000), 0)
    """
    renderer = SessionRenderer(resolved, duration_s=duration_s, sr=sr, seed=seed)
    if on_progress is not None:
        on_progress(0.0)
    y = renderer.read(renderer.n_frames)
    if on_progress is not None:
        on_progress(1.0)
    return y, renderer.info
