"""Programs: what a live session plays, prepared ahead and then produced block by block.

A program has a sample rate :attr:`sr`, a length :attr:`n_frames`, says
whether it starts and ends at silence by itself (:attr:`ramps`), and gives its
frames in order with ``next_frames(n)`` as a frame-major ``(n, 2)`` float64
array (the layout of the playback ring).  Three kinds:

* :func:`fixed_program` -- a preset rendered and mastered by the very code of
  ``stimgen generate`` (:class:`stimgen.session.Session`), streamed block by
  block in constant memory.  Its samples are those ``stimgen generate``
  writes for the same preset, seed and duration; its mastering fades are its
  ramps.
* :func:`file_program` -- an audio file, turned down if needed (never up) to
  the generate stage's limits (:data:`~stimgen.preset.DEFAULT_TARGET_LUFS`,
  :data:`~stimgen.preset.DEFAULT_CEILING_DBTP`) and given fades of
  :data:`FILE_FADE_S`.
* :func:`adaptive_program` -- a preset whose rhythmic layers a
  :class:`~stimgen.live.thermostat.Thermostat` steers while it plays (see
  :class:`AdaptiveProgram`).
"""

from __future__ import annotations

import copy
import math
import threading

import numpy as np

from ..errors import ParameterError
from .safety import LoudnessGovernor, StreamingLimiter, k_weighted_energy
from .thermostat import Thermostat

__all__ = [
    "RHYTHM_KINDS",
    "EVENT_KINDS",
    "MORE_VARIATION",
    "LESS_VARIATION",
    "VARIATION_SEEDS",
    "VARIATION_CROSSFADE_S",
    "FILE_FADE_S",
    "BLOCK_FRAMES",
    "render_session",
    "FixedProgram",
    "SessionProgram",
    "AdaptiveProgram",
    "fixed_program",
    "file_program",
    "adaptive_program",
]

#: Layer kinds whose level the thermostat steers (rhythmic drive).
RHYTHM_KINDS = ("drums", "clicks", "isochronic")

#: Layer kinds whose variation the thermostat steers (sequenced events).
EVENT_KINDS = ("drums", "clicks")

#: The more varied rendering of an event layer: these amounts are added to
#: its values (and to every automation breakpoint of them), clipped to [0, 1].
MORE_VARIATION = {"syncopation": 0.2, "deviation": 0.3, "mutation": 0.35}

#: The less varied rendering: these keys are set to the value (the bar
#: repeats exactly, which the sinks learn).
LESS_VARIATION = {"deviation": 0.0, "mutation": 0.0}

#: Seeds of the more and less varied renderings: ``seed + offset``.
VARIATION_SEEDS = {"more": 1_000_003, "less": 2_000_003}

#: Equal-power crossfade (s) ending at a bar line where the rendering changes.
VARIATION_CROSSFADE_S = 0.01

#: Fade in and out (s) of a played audio file.
FILE_FADE_S = 0.5

#: Frames per block the adaptive program computes at a time.
BLOCK_FRAMES = 512


def render_session(resolved: dict, *, duration_s=None, sr=None, seed=None, on_progress=None):
    """Render and master a preset with the code of ``stimgen generate``.

    :func:`stimgen.render.render_preset` then
    :func:`stimgen.mastering.master_session`, the two calls
    ``stimgen generate`` makes (without ``--mix``).

    Parameters
    ----------
    resolved : dict
        A preset (:func:`stimgen.preset.load_preset`).
    duration_s, sr, seed : float, int, int or None
        Overrides, as in :func:`stimgen.render.render_preset`.
    on_progress : callable or None
        ``on_progress(fraction)`` during the render.

    Returns
    -------
    y : numpy.ndarray of float64, shape (2, n_samples)
        The mastered session.
    info : dict
        The render's info (``duration_s``, ``sr``, ``seed``, ``arc``, ``notes`` ...).
    report : dict
        The mastering report.

    Raises
    ------
    PresetError, ParameterError
        For invalid overrides (the message names the key).
    """
    from ..mastering import master_session
    from ..render import render_preset

    y, info = render_preset(resolved, duration_s=duration_s, sr=sr, seed=seed, on_progress=on_progress)
    mastered, report = master_session(y, sr=info["sr"], duration_s=info["duration_s"],
                                     target_lufs=resolved["target_lufs"], ceiling_dbtp=resolved["ceiling_dbtp"])
    return mastered, info, report


class FixedProgram:
    """A program held in memory as one array.

    Parameters
    ----------
    y : numpy.ndarray, shape (2, n_samples)
        The audio, in [-1, 1].
    sr : int
        Sample rate in Hz.
    ramps : bool
        True if ``y`` starts and ends at silence by itself (fades).
    info : dict or None
        Facts for the summary and the recording's sidecar.

    Examples
    --------
    >>> prog = FixedProgram(np.zeros((2, 1000)), sr=48000, ramps=True)
    >>> prog.next_frames(600).shape, prog.next_frames(600).shape
    ((600, 2), (400, 2))
    """

    adaptive = False

    def __init__(self, y, *, sr: int, ramps: bool, info: dict | None = None):
        self.y = y
        self.sr = int(sr)
        self.ramps = bool(ramps)
        self.info = {} if info is None else info
        self.n_frames = int(y.shape[-1])
        self.n_channels = int(y.shape[0])
        self.position = 0

    def next_frames(self, n: int) -> np.ndarray:
        """The next ``n`` frames (fewer at the end), shape (m, n_channels)."""
        a = self.position
        b = min(a + int(n), self.n_frames)
        self.position = b
        return self.y[:, a:b].T


class SessionProgram:
    """A preset's session streamed block by block (:class:`stimgen.session.Session`, pass 2).

    Memory does not grow with the session: the mastered blocks are produced
    as the ring buffer asks for them.

    Parameters
    ----------
    session : stimgen.session.Session
        A planned session (pass 1 done).
    info : dict
        Facts for the summary and the recording's sidecar.
    """

    adaptive = False
    ramps = True

    def __init__(self, session, *, info: dict):
        self.session = session
        self.sr = int(session.sr)
        self.n_frames = int(session.n_frames)
        self.n_channels = 2
        self.info = info
        self.position = 0
        self._blocks = session.blocks()
        self._buffer = np.zeros((0, 2))

    def next_frames(self, n: int) -> np.ndarray:
        """The next ``n`` frames (fewer at the end), shape (m, 2)."""
        n = max(0, min(int(n), self.n_frames - self.position))
        parts = [self._buffer]
        have = self._buffer.shape[0]
        while have < n:
            block = next(self._blocks).T
            parts.append(block)
            have += block.shape[0]
        joined = parts[0] if len(parts) == 1 else np.concatenate(parts)
        out, self._buffer = joined[:n], joined[n:]
        self.position += n
        if self.position >= self.n_frames and self._blocks is not None:
            for _ in self._blocks:  # ends the mastering: its report measures what was played
                pass
            self._blocks = None
            self.info["mastering"] = self.session.report
        return out


def fixed_program(resolved: dict, *, duration_s=None, seed=None, on_progress=None) -> SessionProgram:
    """The fixed program of a preset: the samples ``stimgen generate`` writes, streamed.

    The mastering's gain is planned here (:meth:`stimgen.session.Session.plan`,
    from probe windows: well under a second for any length), before the
    first sample; the session is rendered and mastered as it plays.

    Parameters
    ----------
    resolved : dict
        A preset.
    duration_s, seed : float, int or None
        Overrides.
    on_progress : callable or None
        ``on_progress(fraction)`` during pass 1.

    Returns
    -------
    SessionProgram
        With ``info``: ``kind`` "preset", ``preset``, ``resolved`` (the
        preset with the overrides), ``seed``, ``duration_s``, ``arc``,
        ``notes``, ``mastering`` (the report).

    Examples
    --------
    >>> from stimgen.preset import load_preset
    >>> prog = fixed_program(load_preset("groove"), duration_s=5.0)
    >>> prog.n_frames, prog.sr, prog.next_frames(600).shape
    (240000, 48000, (600, 2))
    """
    from ..preset import validate_preset
    from ..session import Session

    session = Session(resolved, duration_s=duration_s, seed=seed)
    session.plan(on_progress=on_progress)
    info = session.info
    final = validate_preset({**resolved, "duration_s": info["duration_s"], "seed": info["seed"], "arc": info["arc"]},
                            source=resolved["name"])
    facts = {"kind": "preset", "preset": resolved["name"], "resolved": final, "seed": info["seed"],
             "duration_s": info["duration_s"], "arc": info["arc"], "notes": list(info["notes"]),
             "mastering": session.master.plan_report(), "bit_depth": final["bit_depth"]}
    return SessionProgram(session, info=facts)


def file_program(path, *, duration_s=None, target_lufs=None, ceiling_dbtp=None) -> FixedProgram:
    """The program of an audio file, made safe to play.

    The file is decoded whole, made stereo (mono is duplicated), cut to
    ``duration_s`` if given, then: a static gain that brings its integrated
    loudness *down* to ``target_lufs`` if it is louder (never up); the
    true-peak limiter of :func:`stimgen.mastering.limit_true_peak` at
    ``ceiling_dbtp``; raised-cosine fades of :data:`FILE_FADE_S` in and out.
    It plays at its own rate if that is 44,100 or 48,000 Hz, else resampled
    to 48,000 Hz.

    Parameters
    ----------
    path : str or Path
        Audio file (any format of :data:`resonance.io.audio.SUPPORTED_EXTENSIONS`).
    duration_s : float or None
        Play at most this long (s).
    target_lufs, ceiling_dbtp : float or None
        Limits; default the generate stage's (-20 LUFS, -1 dBTP).

    Returns
    -------
    FixedProgram
        With ``info``: ``kind`` "file", ``file``, ``duration_s``,
        ``file_duration_s``, ``loudness_in_lufs``, ``gain_db``,
        ``loudness_lufs``, ``true_peak_dbtp``, ``notes``.

    Raises
    ------
    DataFileError
        If the file is missing, unreadable or silent.
    ParameterError
        If it has more than 2 channels, or is shorter than 0.4 s.
    """
    from resonance.io.audio import audio_info, load_audio

    from ..mastering import fade, integrated_loudness_lufs, limit_true_peak, true_peak_dbtp
    from ..preset import DEFAULT_CEILING_DBTP, DEFAULT_TARGET_LUFS, SAMPLE_RATES

    target_lufs = DEFAULT_TARGET_LUFS if target_lufs is None else float(target_lufs)
    ceiling_dbtp = DEFAULT_CEILING_DBTP if ceiling_dbtp is None else float(ceiling_dbtp)
    header = audio_info(path)
    sr = header.sr if header.sr in SAMPLE_RATES else 48000
    y, sr = load_audio(path, sr=sr, mono=False)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y[np.newaxis]
    if y.shape[0] == 1:
        y = np.concatenate([y, y])
    elif y.shape[0] > 2:
        raise ParameterError(f"'{path}' has {y.shape[0]} channels; allowed: 1 or 2")
    notes = []
    file_duration_s = y.shape[1] / sr
    if duration_s is not None:
        n = int(round(float(duration_s) * sr))
        if n < y.shape[1]:
            y = y[:, :n]
        elif n > y.shape[1]:
            notes.append(f"the file lasts {file_duration_s:.1f} s, less than --duration {float(duration_s):g} s")
    loudness_in = integrated_loudness_lufs(y, sr=sr)
    gain_db = min(0.0, target_lufs - loudness_in) if math.isfinite(loudness_in) else 0.0
    y = limit_true_peak(y * 10.0 ** (gain_db / 20.0), sr=sr, ceiling_dbtp=ceiling_dbtp)
    y = fade(y, sr=sr, fade_in_s=FILE_FADE_S, fade_out_s=FILE_FADE_S)
    loudness = integrated_loudness_lufs(y, sr=sr)
    if gain_db < 0:
        notes.append(f"turned down by {-gain_db:.1f} dB to the {target_lufs:g} LUFS limit")
    info = {"kind": "file", "file": str(path), "duration_s": y.shape[1] / sr, "file_duration_s": file_duration_s,
            "loudness_in_lufs": loudness_in if math.isfinite(loudness_in) else None, "gain_db": gain_db,
            "loudness_lufs": loudness if math.isfinite(loudness) else None,
            "true_peak_dbtp": true_peak_dbtp(y, sr=sr), "target_lufs": target_lufs, "ceiling_dbtp": ceiling_dbtp,
            "notes": notes, "bit_depth": 24}
    return FixedProgram(y, sr=sr, ramps=True, info=info)


def _shift_variation(layer: dict, changes: dict, *, add: bool) -> dict:
    """A copy of an event layer with its variation keys shifted (``add``) or set."""
    from ..preset import LAYER_PARAMS

    spec = LAYER_PARAMS[layer["kind"]]
    out = {**layer, "automation": {k: [list(p) for p in v] for k, v in layer["automation"].items()}}
    for key, amount in changes.items():
        if key not in spec:
            continue
        low, high = spec[key]["range"]

        def new(value, key=key, amount=amount, low=low, high=high):
            return min(max(value + amount if add else amount, low), high)

        out[key] = new(layer[key])
        if key in out["automation"]:
            if add:
                out["automation"][key] = [[t, new(v)] for t, v in out["automation"][key]]
            else:
                del out["automation"][key]
    return out


class AdaptiveProgram:
    """A preset mixed live from its layers, with the thermostat steering the rhythmic ones.

    Use :func:`adaptive_program` to build one.  Output frame ``i`` is::

        limiter(governor(g0 * fade(i) * (bed(i) + r(i) * sum_k rhythm_k(i))))

    where ``bed`` is the sum of the non-rhythmic layers, ``rhythm_k`` a
    rhythmic layer (drums and clicks: each bar taken from the preset's
    rendering, a more varied one or a less varied one, with equal-power
    crossfades of :data:`VARIATION_CROSSFADE_S` ending at the bar line),
    ``r`` the thermostat's rhythm level (glided across each block), ``g0``
    the static gain of ``stimgen generate``'s mastering of the same preset,
    ``fade`` its fades, ``governor`` a :class:`~stimgen.live.safety.LoudnessGovernor`
    whose reference is that session as generated (``u = 0``: the preset's
    own bars at their own level, times ``g0`` and the fades, mixed alongside),
    and ``limiter`` a
    :class:`~stimgen.live.safety.StreamingLimiter` at the preset's ceiling.
    With ``u = 0`` throughout it plays the preset as rendered.

    Bar lines are those of the layer's ``tempo_bpm``; with tempo automation
    the switch points drift from the actual bar lines (they are still
    crossfaded).

    Controller decisions reach the audio at a fixed frame, ``lag_frames``
    after the model step that caused them (:meth:`observe`), never at a
    frame that depends on thread timing; so the same preset, seed and
    duration give the same samples live and offline.
    """

    adaptive = True
    ramps = True

    def __init__(self, *, sr, n_frames, sources, rhythm, g0, ceiling_dbtp, fade_in, fade_out,
                 arc, duration_s, thermostat, seed, info):
        self.sr = int(sr)
        self.n_frames = int(n_frames)
        self.n_channels = 2
        self.sources = sources
        self.rhythm = rhythm
        self.g0 = float(g0)
        self.fade_in = fade_in
        self.fade_out = fade_out
        self.arc = arc
        self.duration_s = float(duration_s)
        self.thermostat = thermostat
        self.info = info
        self.governor = LoudnessGovernor(sr=self.sr)
        self.limiter = StreamingLimiter(sr=self.sr, ceiling_dbtp=ceiling_dbtp)
        self.lag_frames = 0
        self.position = 0
        self.late_actions = 0
        self._actions: list[tuple[int, float]] = []  # (first frame, u), in order
        self._u = 0.0  # u of the last mixed frame
        self._xf = max(1, int(round(VARIATION_CROSSFADE_S * self.sr)))
        for k, layer in enumerate(self.rhythm):
            layer["choices"] = [0]  # bar 0: the preset's rendering
            layer["rng"] = np.random.default_rng([seed, 7919, k])
        self._mix_pos = 0
        self._pending = None

    def warm_up(self) -> None:
        """Build what the thermostat may need later (the varied renderings), off the audio's path.

        Safe to call from another thread while the session plays; otherwise
        it happens on the first bar drawn from them.
        """
        self.sources.warm_up()

    # -- control -----------------------------------------------------------------
    @property
    def model_free_frames(self) -> int:
        """Output frames that no model reading can change: those before the hold begins, plus the lag.

        Before the hold the thermostat keeps ``u`` at 0 (:meth:`Thermostat.update`),
        so the first decision that can change the audio comes from a step
        at or after the hold's start and lands ``lag_frames`` later.  The
        engine lets a program run ahead of a model still being set up as far
        as this frame.
        """
        from ..synth import arc_boundaries_s

        a = self.arc
        heat_s, _, _ = arc_boundaries_s(duration_s=self.duration_s, heat_s=a["heat_s"], hold_s=a["hold_s"],
                                        cool_s=a["cool_s"])
        return max(0, int(math.floor(heat_s * self.sr)) + int(self.lag_frames) - BLOCK_FRAMES)

    def observe(self, temperature: float, *, t_s: float) -> None:
        """Give the thermostat one model reading; schedule its decision.

        Parameters
        ----------
        temperature : float
            The model's SNE at the step.
        t_s : float
            Session time of the model step (s of played audio).
        """
        from ..synth import arc_phase

        a = self.arc
        phase = arc_phase(min(max(t_s, 0.0), self.duration_s), duration_s=self.duration_s,
                          heat_s=a["heat_s"], hold_s=a["hold_s"], cool_s=a["cool_s"])
        u = self.thermostat.update(temperature, t_s=t_s, phase=phase)
        if u == (self._actions[-1][1] if self._actions else self._u):
            return  # no change to schedule (e.g. before the hold, where u stays 0)
        # The mix runs ahead of the output by the limiter's delay and at most one block.
        at = int(round(t_s * self.sr)) + self.lag_frames + self.limiter.delay + BLOCK_FRAMES
        if at < self._mix_pos:
            self.late_actions += 1
            at = self._mix_pos
        if self._actions and self._actions[-1][0] == at:
            self._actions[-1] = (at, u)
        else:
            self._actions.append((at, u))

    def _u_at(self, start: int) -> float:
        u = self._u
        while self._actions and self._actions[0][0] <= start:
            u = self._actions.pop(0)[1]
        return u

    # -- synthesis -----------------------------------------------------------------
    def _variation_weights(self, layer: dict, start: int, n: int, u: float) -> np.ndarray:
        """Weights (3, n) of the preset / more / less varied renderings."""
        bar = layer["bar_frames"]
        xf = self._xf
        t = np.arange(start, start + n, dtype=np.float64)
        j = np.floor((t + xf) / bar).astype(np.int64)
        choices = layer["choices"]
        while len(choices) <= int(j[-1]):
            draw = float(layer["rng"].random())
            choices.append(1 if (u > 0 and draw < u) else 2 if (u < 0 and draw < -u) else 0)
        c = np.asarray(choices)
        new = c[j]
        old = c[np.maximum(j - 1, 0)]
        phi = np.clip((t - (j * bar - xf)) / xf, 0.0, 1.0)
        w_new = np.where(old == new, 1.0, np.sin(0.5 * np.pi * phi))
        w_old = np.where(old == new, 0.0, np.cos(0.5 * np.pi * phi))
        w = np.zeros((3, n))
        for s in range(3):
            w[s] = w_new * (new == s) + w_old * (old == s)
        return w

    def _mix(self, start: int, n: int):
        """Frames [start, start + n) before the governor and limiter, and the reference's, each (n, 2).

        The reference is the preset as generated (``u = 0``) at the same
        frames and gain; silence past the end.
        """
        out = np.zeros((n, 2))
        k = max(0, min(start + n, self.n_frames) - start)
        u_new = self._u_at(start)
        if k == 0:
            self._u = u_new
            return out, out.copy()
        bed, stems_now = self.sources.read(start, k)
        out[:k] = bed.T if bed.ndim == 2 else bed[:, np.newaxis]
        ref = out.copy()
        if self.rhythm:
            u_ramp = self._u + (u_new - self._u) * (np.arange(1, k + 1) / k)
            level = 10.0 ** (u_ramp * self.thermostat.rhythm_range_db / 20.0)
            acc = np.zeros(k)
            own = np.zeros(k)
            varied = None
            for slot, (layer, stems) in enumerate(zip(self.rhythm, stems_now)):
                own += stems[0]
                if layer["kind"] not in EVENT_KINDS or not self.sources.variants:
                    acc += stems[0]
                else:
                    w = self._variation_weights(layer, start, k, u_new)
                    if np.any(w[0]):
                        acc += w[0] * stems[0]
                    if np.any(w[1:]):
                        # The varied renderings are rendered only where they sound (from the hold on).
                        varied = self.sources.read_variants(start, k) if varied is None else varied
                        for s_index in (1, 2):
                            if np.any(w[s_index]):
                                acc += w[s_index] * varied[slot][s_index - 1]
            out[:k] += (acc * level)[:, np.newaxis]
            ref[:k] += own[:, np.newaxis]
        self._u = u_new
        gain = np.full(k, self.g0)
        idx = np.arange(start, start + k)
        n_in, n_out = self.fade_in.size, self.fade_out.size
        head = idx < n_in
        gain[head] *= self.fade_in[idx[head]]
        tail = idx >= self.n_frames - n_out
        gain[tail] *= self.fade_out[idx[tail] - (self.n_frames - n_out)]
        out[:k] *= gain[:, np.newaxis]
        ref[:k] *= gain[:, np.newaxis]
        return out, ref

    def _out(self, n: int) -> np.ndarray:
        """Mix, govern and limit the next ``n`` frames; return the limiter's output."""
        x, ref = self._mix(self._mix_pos, n)
        x = self.governor.process(x, reference=ref)
        self._mix_pos += n
        return self.limiter.process(x)

    def next_frames(self, n: int) -> np.ndarray:
        """The next ``n`` output frames (fewer at the end), shape (m, 2)."""
        n = max(0, min(int(n), self.n_frames - self.position))
        if self._pending is None:
            # Pre-roll: the limiter's delay is filled with the first frames (its output is silence).
            self._out(self.limiter.delay)
            self._pending = np.zeros((0, 2))
        while self._pending.shape[0] < n:
            self._pending = np.concatenate([self._pending, self._out(BLOCK_FRAMES)])
        out, self._pending = self._pending[:n], self._pending[n:]
        self.position += n
        return out

    def state(self) -> dict:
        """Current actuators: ``u``, ``variation``, ``rhythm_gain_db``, ``governor_gain_db``, ``limiter_min_gain_db``."""
        return {
            "u": self.thermostat.u,
            "variation": self.thermostat.variation,
            "rhythm_gain_db": self.thermostat.rhythm_gain_db,
            "governor_gain_db": 20.0 * math.log10(max(self.governor.gain, 1e-12)),
            "limiter_min_gain_db": 20.0 * math.log10(max(self.limiter.min_gain, 1e-12)),
        }


class _AdaptiveSources:
    """The layers of an adaptive session, rendered section by section in step with the mix.

    ``read(start, k)`` returns the bed (sum of the non-rhythmic layers, mono
    or stereo) and, per rhythmic layer, its own rendering for frames
    ``[start, start + k)``; calls must follow each other without gaps.
    ``read_variants(start, k)`` returns, per rhythmic slot, the more and less
    varied renderings of drums and clicks for the same frames.  Those are
    built on first use (or by :meth:`warm_up`, which ``stimgen play`` runs in
    the background once the stream has started) and skip forward to
    ``start`` (:meth:`stimgen.render.SessionRenderer.seek`, exact for event
    layers, whose notes follow from their index): so they cost nothing before
    the first sample, nor while no bar is drawn from them.
    """

    def __init__(self, renderer, rhythm, variant_presets):
        self.renderer = renderer
        self.rhythm_index = {r["index"] for r in rhythm}
        self.rhythm = rhythm
        self.variant_presets = variant_presets
        self._variants = None
        self._lock = threading.Lock()
        self.position = 0

    @property
    def variants(self) -> bool:
        """There are varied renderings (the preset has drums or clicks)."""
        return bool(self.variant_presets)

    def warm_up(self) -> None:
        """Build the varied renderings now (their notes are drawn for the whole session)."""
        from ..render import SessionRenderer

        with self._lock:
            if self._variants is None:
                self._variants = [SessionRenderer(v) for v in self.variant_presets]

    def read(self, start: int, k: int):
        if start != self.position:  # pragma: no cover - the program reads in order
            raise ParameterError(f"adaptive sources read at frame {start}, expected {self.position}")
        self.position = start + k
        r = self.renderer
        envelope = r.envelope(start, start + k)
        bed = np.zeros(k)
        own = {}
        for index, layer in enumerate(r.layers):
            y = layer.read(start, start + k, envelope)
            if index in self.rhythm_index:
                own[index] = y
            elif y.ndim == 2 and bed.ndim == 1:
                bed = bed[np.newaxis] + y
            else:
                bed = bed + y
        return bed, [[own[x["index"]]] for x in self.rhythm]

    def read_variants(self, start: int, k: int):
        """Per rhythmic slot, ``[more, less]`` varied renderings of frames ``[start, start + k)`` (event slots only)."""
        self.warm_up()
        out = [[] for _ in self.rhythm]
        event_slots = [i for i, x in enumerate(self.rhythm) if x["kind"] in EVENT_KINDS]
        for variant in self._variants:
            if variant.position < start:
                variant.seek(start)
            v_env = variant.envelope(start, start + k)
            for slot, layer in zip(event_slots, variant.layers):
                out[slot].append(layer.read(start, start + k, v_env))
            variant.position = start + k
        return out


def adaptive_program(resolved: dict, *, duration_s=None, seed=None, thermostat: Thermostat | None = None,
                     on_progress=None) -> AdaptiveProgram:
    """Prepare a preset for adaptive play.

    Plans ``stimgen generate``'s mastering of the same preset
    (:meth:`stimgen.session.Session.plan`: probe windows, well under a
    second), whose static gain becomes ``g0``; the preset as generated, mixed
    alongside, is the loudness governor's reference; the layers, and the more and less varied
    renderings of each drums or clicks layer, are then rendered section by
    section as the session plays (:class:`stimgen.render.SessionRenderer`).

    Parameters
    ----------
    resolved : dict
        A preset.
    duration_s, seed : float, int or None
        Overrides.
    thermostat : Thermostat or None
        The controller (default :class:`~stimgen.live.thermostat.Thermostat()`).
    on_progress : callable or None
        ``on_progress(fraction)`` during the preparation.

    Returns
    -------
    AdaptiveProgram

    Raises
    ------
    PresetError, ParameterError
        For invalid overrides.

    Notes
    -----
    Memory: the renderings are streamed; nothing grows with the session.
    """
    from ..mastering import fade, session_fade_s
    from ..preset import validate_preset
    from ..session import Session

    def report(fraction):
        if on_progress is not None:
            on_progress(min(max(fraction, 0.0), 1.0))

    session = Session(resolved, duration_s=duration_s, seed=seed)
    session.plan(on_progress=report)  # the gain of generate's mastering
    master_report = session.master.plan_report()
    p = session.p
    sr, n_frames, duration = session.sr, session.n_frames, session.duration_s
    rhythm = [{"index": index, "kind": layer["kind"]} for index, layer in enumerate(p["layers"])
              if layer["kind"] in RHYTHM_KINDS]
    events = [r for r in rhythm if r["kind"] in EVENT_KINDS]
    variants = []
    for which, changes, add in (("more", MORE_VARIATION, True), ("less", LESS_VARIATION, False)):
        if not events:
            break
        layers = [_shift_variation(p["layers"][r["index"]], changes, add=add) for r in events]
        variants.append(validate_preset({**p, "layers": layers, "seed": p["seed"] + VARIATION_SEEDS[which]},
                                        source=f"{p['name']} ({which} variation)"))
    # The session's own renderer, unread (a copy: drawing its notes again would cost as much).
    sources = _AdaptiveSources(copy.deepcopy(session.fresh_renderer), rhythm, variants)
    # Fades of the mastering, as gain ramps (the same raised cosines).
    fade_s = session_fade_s(duration)
    n_fade = min(int(round(fade_s * sr)), n_frames // 2)
    ramp = fade(np.ones(2 * n_fade), sr=sr, fade_in_s=fade_s, fade_out_s=0.0)[:n_fade] if n_fade else np.ones(0)
    for r in events:
        tempo = p["layers"][r["index"]]["tempo_bpm"]
        r["bar_frames"] = 240.0 / tempo * sr
    report(1.0)
    final = validate_preset({**resolved, "duration_s": duration, "seed": p["seed"], "arc": p["arc"]},
                            source=resolved["name"])
    info = {"kind": "preset", "preset": resolved["name"], "resolved": final, "seed": p["seed"],
            "duration_s": duration, "arc": p["arc"], "notes": [], "mastering": master_report,
            "bit_depth": final["bit_depth"], "rhythm_layers": [r["kind"] for r in rhythm]}
    if not rhythm:
        info["notes"].append("no rhythmic layer (drums, clicks, isochronic): the thermostat has nothing to steer")
    return AdaptiveProgram(
        sr=sr, n_frames=n_frames, sources=sources, rhythm=rhythm, g0=10.0 ** (master_report["gain_db"] / 20.0),
        ceiling_dbtp=p["ceiling_dbtp"], fade_in=ramp, fade_out=ramp[::-1].copy(),
        arc=p["arc"], duration_s=duration, thermostat=thermostat if thermostat is not None else Thermostat(),
        seed=p["seed"], info=info,
    )
