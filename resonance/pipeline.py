"""The scoring pipeline: audio in, semantically-neutral energy out.

:class:`Scorer` composes the model's stages (MODEL.md 2, items 4-10):

1. :class:`~resonance.frontend.FrontEnd` -- cochlear bands, onset drive, long
   spectra.
2. :class:`~resonance.semantic.SpeechDetector` -- the innate detector that
   marks legible speech as semantic.
3. :class:`~resonance.sinks.OnsetSinks` -- predictors that learn the stimulus
   from scratch and absorb what they predict.
4. :class:`~resonance.dynamics.RhythmBank` -- resonance of the drive's
   rhythm; the auditory-motor loop passes the bank's output through the
   pulse resonance (:func:`~resonance.dynamics.effective_pulse_response`).
5. Mode coupling (:mod:`resonance.coupling`) and the neural-field response of
   each harmonic, divisive normalisation across the harmonics (only energy
   concentrated in a few resonances stands out of the pool), and the slow
   :class:`~resonance.dynamics.Reservoir` of each harmonic.
6. Metrics: consonance (:mod:`resonance.consonance`), expectation, synchrony,
   entrainment, tempo, annealing arc.

The same objects run offline on a file (:func:`score_signal`,
:func:`resonance.io.score_file`) and online block by block
(:meth:`Scorer.process`): a file scored in one call or in any split of blocks
gives the same result.

Units.  The score and every energy are expressed in percent of a reference
computed by the same stages: the build-up of an isochronous 120 BPM train of
full-strength onsets in every band, fully coherent, that no sink absorbs and
whose prediction errors carry full precision (an "unlearnable metronome").
A score of 100 means a stimulus builds as much semantically-neutral energy as
that reference; real stimuli score far lower, because sinks absorb what they
learn and unlearnable drive carries little precision.  Scores are time
averages, so they are comparable across files and durations.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, fields

import numpy as np

from .consonance import analyze_spectrum, mode_consonance
from .coupling import entry_coupling, regional_projection
from .dynamics import Reservoir, RhythmBank, bank_frequencies_hz, effective_pulse_response
from .errors import ParameterError
from .expectation import Expectation
from .frontend import MODEL_SR, FrontEnd
from .semantic import SpeechDetector
from .sinks import OnsetSinks, event_strength
from scipy.signal import lfilter

from .validation import check_float, check_int

__all__ = ["SCORE_UNITS", "ModelConfig", "Scorer", "ScoreResult", "score_signal", "score_file", "arc_metrics"]

#: Reference energies already computed, keyed by (id(harmonics), config).
_REFERENCE_CACHE: dict = {}

#: Units of the score and of every energy in the results.
SCORE_UNITS = "percent of reference build-up (unlearnable 120 BPM full-band onset train)"

#: Envelope frames per sink frame (sinks run at 172.3 / 4 = 43 Hz).
_POOL = 4
#: Envelope frames per long-spectrum frame (2048 / 128).
_LONG = 16
#: Envelope frames per model step (0.37 s): bank, modes and reservoir update.
_STEP = 64


@dataclass(frozen=True)
class ModelConfig:
    """Every constant of the model, with its source.

    Parameters
    ----------
    n_bands : int
        Cochlear bands (tonotopic entry channels).
    sink_memory_s : float
        Reach of the sinks' history (s); see :class:`~resonance.sinks.OnsetSinks`.
    sink_learning_rate : float
        Delta-rule step of the sinks.  With 20, a metronome is mostly absorbed
        within ~10 s and an exactly repeated drum bar over ~3 minutes
        (MODEL.md 2.6: repetition habituates over minutes).
    onset_hold_s : float
        Forward-masking span of the onset reference
        (:class:`~resonance.frontend.FrontEnd`, Jesteadt, Bacon & Lehman
        1982): a rise counts only above the highest level of the last 50 ms.
    onset_jnd_db, onset_scale_db : float
        Event-strength transduction (:func:`~resonance.sinks.event_strength`).
    bank_fmin_hz, bank_fmax_hz : float
        Range of the rhythm resonators: the delta-theta range of cortical
        entrainment to rhythm (0.5-8 Hz; Ding et al. 2017 show the modulation
        spectra of music and speech peak at 2 and 5 Hz within it).
    bank_per_octave : int
        Resonators per octave.
    bank_q : float
        Quality factor of the rhythm resonators.  Q = 16 gives a build-up time
        ``Q / (pi f)`` of 2.5 s at 2 Hz: neural entrainment to a beat builds
        over a few cycles (Lakatos et al. 2008; Nozaradan et al. 2011).
    pulse_period_s, pulse_damping_ratio : float
        The perceptual-motor pulse resonator (van Noorden & Moelants 1999).
    motor_gain : float
        Gain of the auditory-motor loop relative to the auditory entry.
    gamma_per_s, r_mm : float or None
        Neural-field parameters for the modes' response; ``None`` uses the
        values stored in the harmonics (Pang et al. 2023 defaults).
    normalization_floor : float
        Semi-saturation constant of the divisive normalisation (Carandini &
        Heeger 2012), in the same units as the resonator power; keeps silence
        from having infinite gain.
    coherence_tau_s : float
        Time over which a resonance's drive must persist to count as
        coherent (s).  8 s is about four bars at 120 BPM, the span over which
        listeners settle on a beat and a metre (e.g. Toiviainen & Snyder 2003
        report pulse finding within a few bars).
    tempo_min_salience : float
        A pulse (``tempo_bpm``) is reported only where the periodicity
        salience peaks at least this many times above its median over the
        candidate pulse rates (0.5-4 Hz); otherwise ``tempo_bpm`` is None.
        Measured on 30 s signals: click trains (60-120 BPM) and grooves
        4.2-12; white noise, steady tones, espeak speech and random onsets
        1.8-1.9.
    precision_tau_s : float
        Time over which the reliabilities that make the precision of
        rhythmic prediction errors are averaged (s): each band sink's
        realised information gain and the metre model's certainty
        (:class:`~resonance.expectation.metre.MetreModel`).
    sync_tau_s : float
        Averaging time of the phase-locking measure of synchrony (s).
    normalization_exponent : float
        Exponent of the normalisation gain ``(P / (floor + <P>)) ** n``.  With
        1, a resonance's response grows with the square of its amplitude
        relative to the pool (the exponent of 2 on amplitude typical of
        cortical normalisation, Carandini & Heeger 2012).
    reservoir_tau_s : float
        Leak time constant of the per-mode energy reservoir (s).
    arc_threshold : float
        Fraction of the peak above which the arc is "above threshold".
    energised_share, max_energised_modes : float, int
        The energised harmonics whose consonance is the valence proxy: the
        strongest modes that together hold this share of the neutral energy,
        at most this many.
    consonance_every : int
        Analyse consonance on every n-th long frame (10.8 frames/s; every
        8th = 1.3 analyses per second, ample for a time-averaged measure).
    """

    n_bands: int = 8
    sink_memory_s: float = 4.0
    sink_learning_rate: float = 20.0
    onset_hold_s: float = 0.05
    onset_jnd_db: float = 1.0
    onset_scale_db: float = 6.0
    bank_fmin_hz: float = 0.5
    bank_fmax_hz: float = 8.0
    bank_per_octave: int = 12
    bank_q: float = 16.0
    pulse_period_s: float = 0.5
    pulse_damping_ratio: float = 0.3
    motor_gain: float = 1.0
    gamma_per_s: float | None = None
    r_mm: float | None = None
    normalization_floor: float = 1e-12
    coherence_tau_s: float = 8.0
    precision_tau_s: float = 2.0
    tempo_min_salience: float = 3.0
    sync_tau_s: float = 10.0
    normalization_exponent: float = 1.0
    reservoir_tau_s: float = 30.0
    arc_threshold: float = 0.5
    consonance_every: int = 8
    energised_share: float = 0.5
    max_energised_modes: int = 16

    def validate(self) -> "ModelConfig":
        """Check every value; return ``self``.

        Raises
        ------
        ParameterError
            Naming the first invalid parameter.
        """
        check_int("n_bands", self.n_bands, low=1, high=64)
        check_float("sink_memory_s", self.sink_memory_s, low=0.1, high=30.0)
        check_float("sink_learning_rate", self.sink_learning_rate, low=0.0)
        check_float("onset_hold_s", self.onset_hold_s, low=0.0, high=0.5)
        check_float("tempo_min_salience", self.tempo_min_salience, low=1.0)
        check_float("onset_jnd_db", self.onset_jnd_db, low=0.0)
        check_float("onset_scale_db", self.onset_scale_db, low=0.0, low_inclusive=False)
        check_float("bank_fmin_hz", self.bank_fmin_hz, low=0.05, high=20.0)
        check_float("bank_fmax_hz", self.bank_fmax_hz, low=self.bank_fmin_hz, high=80.0, low_inclusive=False)
        check_int("bank_per_octave", self.bank_per_octave, low=1, high=48)
        check_float("bank_q", self.bank_q, low=0.5, high=200.0)
        check_float("pulse_period_s", self.pulse_period_s, low=0.1, high=5.0)
        check_float("pulse_damping_ratio", self.pulse_damping_ratio, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_float("motor_gain", self.motor_gain, low=0.0)
        if self.gamma_per_s is not None:
            check_float("gamma_per_s", self.gamma_per_s, low=0.0, low_inclusive=False)
        if self.r_mm is not None:
            check_float("r_mm", self.r_mm, low=0.0, low_inclusive=False)
        check_float("normalization_floor", self.normalization_floor, low=0.0, low_inclusive=False)
        check_float("coherence_tau_s", self.coherence_tau_s, low=0.1, high=600.0)
        check_float("precision_tau_s", self.precision_tau_s, low=0.05, high=600.0)
        check_float("sync_tau_s", self.sync_tau_s, low=0.5, high=600.0)
        check_float("normalization_exponent", self.normalization_exponent, low=0.0, high=4.0)
        check_float("reservoir_tau_s", self.reservoir_tau_s, low=0.1)
        check_float("arc_threshold", self.arc_threshold, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_int("consonance_every", self.consonance_every, low=1)
        check_float("energised_share", self.energised_share, low=0.0, high=1.0, low_inclusive=False)
        check_int("max_energised_modes", self.max_energised_modes, low=2, high=1000)
        return self

    def to_dict(self) -> dict:
        """Parameters as a plain dictionary."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class ScoreResult:
    """What the model predicts for one stimulus.

    Attributes
    ----------
    duration_s : float
        Duration of the audio scored (s).
    score : float
        Semantically-neutral energy build-up: the time average of the SNE
        reservoir, in percent of the reference build-up (see the module docstring).
    metrics : dict
        Named metrics (see :meth:`Scorer.result`).
    arc : dict
        Annealing-arc metrics of the SNE time course.
    timeline : dict of ndarray
        Per model step (0.37 s): ``t_s`` (end of the step, s), ``sne`` (the
        SNE reservoir, i.e. the model's temperature), ``absorbed`` (what the
        total drive would have stored minus ``sne``: energy predicted by the
        sinks, marked semantic, or carried by low-precision errors),
        ``neutral_power`` (neutral power delivered in the step), ``semantic``
        (mean speech probability); and ``mode_energy`` (SNE per harmonic,
        n_modes x n_steps, float32).
    harmonics_level : str
        ``"vertex"`` or ``"region"``: which harmonics were used.
    regions : list of (str, float)
        Regions whose regional harmonics hold the most neutral energy.
    mode_frequencies_hz : ndarray
        Natural frequency of each harmonic.
    """

    duration_s: float
    score: float
    metrics: dict
    arc: dict
    timeline: dict = field(repr=False)
    harmonics_level: str = "vertex"
    regions: list = field(default_factory=list)
    mode_frequencies_hz: np.ndarray = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """JSON-ready summary (no time series)."""
        return {
            "duration_s": round(float(self.duration_s), 6),
            "score": _num(self.score),
            "score_units": SCORE_UNITS,
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "arc": {k: _num(v) for k, v in self.arc.items()},
            "harmonics": self.harmonics_level,
            "top_regions": [{"region": r, "share": _num(s)} for r, s in self.regions],
        }


def _num(v):
    if v is None:
        return None
    v = float(v)
    if not np.isfinite(v):
        return None
    return float(f"{v:.6g}")


class Scorer:
    """Streaming scorer: feed audio blocks, read the model's state.

    Parameters
    ----------
    harmonics : Harmonics
        Connectome harmonics (:func:`resonance.connectome_harmonics`).
    config : ModelConfig or None
        Model constants; ``None`` uses the defaults.
    sr : int
        Sample rate of the blocks passed to :meth:`process` (must be
        :data:`~resonance.frontend.MODEL_SR`; resample before).

    Examples
    --------
    >>> from resonance import connectome_harmonics  # doctest: +SKIP
    >>> scorer = Scorer(connectome_harmonics())     # doctest: +SKIP
    >>> for block in blocks:                        # doctest: +SKIP
    ...     scorer.process(block)
    >>> result = scorer.result()                    # doctest: +SKIP
    """

    def __init__(self, harmonics, *, config: ModelConfig | None = None, sr: int = MODEL_SR):
        self.harmonics = harmonics
        self.config = config
        self.sr = sr
        self._ready = False

    # -- set-up -----------------------------------------------------------------
    def _setup(self) -> None:
        if self.sr != MODEL_SR:
            raise ParameterError(f"sr={self.sr} is not the model rate; resample blocks to {MODEL_SR} Hz first")
        cfg = (self.config or ModelConfig()).validate()
        self.config_ = cfg
        h = self.harmonics
        self._fe = FrontEnd(sr=self.sr, n_bands=cfg.n_bands, onset_hold_s=cfg.onset_hold_s)
        self._fe._setup()
        fr = self._fe.frame_rate_hz
        self._fr = fr
        self._freqs = bank_frequencies_hz(
            fmin_hz=cfg.bank_fmin_hz,
            fmax_hz=cfg.bank_fmax_hz,
            per_octave_low=cfg.bank_per_octave,
            per_octave_high=cfg.bank_per_octave,
            split_hz=cfg.bank_fmax_hz,
        )
        self._coupling = entry_coupling(h, n_bands=cfg.n_bands)
        self._regional = regional_projection(h)
        transfer = np.asarray(h.transfer(self._freqs))  # (K, J)
        self._transfer = transfer
        self._mode_freqs = np.asarray(h.frequencies_hz, dtype=float)
        # The auditory-motor loop: the band-summed rhythm, filtered by the
        # pulse resonance, enters at the premotor regions.  Its response is
        # complex-free here (magnitude only): the loop's delay is not modelled.
        self._pulse_gain = np.maximum(
            effective_pulse_response(self._freqs, period_s=cfg.pulse_period_s, damping_ratio=cfg.pulse_damping_ratio),
            0.0,
        )
        self._coh_a = float(np.exp(-(_STEP / fr) / cfg.coherence_tau_s))
        self._prec_a = float(np.exp(-(_POOL / fr) / cfg.precision_tau_s))
        self._sync_a = float(np.exp(-(_STEP / fr) / cfg.sync_tau_s))
        # Region read-out of each bank channel: region means of the modes,
        # times each mode's response and input weight.
        w_in = np.concatenate(
            [self._coupling.auditory, cfg.motor_gain * self._coupling.motor[:, None]], axis=1
        )  # (K, B+1)
        self._sync_map_j = np.ascontiguousarray(
            np.einsum("rk,kj,kc->jrc", self._coupling.region_means, self._transfer, w_in)
        )
        self._reference()
        self.reset()
        self._ready = True

    def _stages(self):
        cfg = self.config_
        B = cfg.n_bands
        fe = FrontEnd(sr=self.sr, n_bands=B, onset_hold_s=cfg.onset_hold_s)
        speech = SpeechDetector(sr=self.sr, n_fft=fe.n_fft_long, hop_length=fe.hop_length_long)
        sinks = OnsetSinks(
            n_bands=B,
            frame_rate_hz=self._fr / _POOL,
            memory_s=cfg.sink_memory_s,
            learning_rate=cfg.sink_learning_rate,
            block_frames=_STEP // _POOL,
        )
        # The bank's resonators stop at bank_fmax_hz (<= 8 Hz by default), so
        # it runs on the drive pooled to the sink rate (43 Hz).
        bank = RhythmBank(
            fs_hz=self._fr / _POOL, freqs_hz=self._freqs, q=cfg.bank_q, decimate=_STEP // _POOL, n_channels=2 * B
        )
        dt = _STEP / self._fr
        K = self._transfer.shape[0]
        reservoir = Reservoir(dt_s=dt, tau_s=cfg.reservoir_tau_s, n_channels=2 * K)
        return fe, speech, sinks, bank, reservoir

    def _expectation(self) -> Expectation:
        # -- expectation stage (resonance.expectation): metre and harmony ------
        return Expectation(
            frame_rate_hz=self._fr / _POOL,
            certainty_tau_s=self.config_.precision_tau_s,
            long_freqs_hz=self._fe.long_freqs_hz,
        )

    def _reference(self) -> None:
        """Energy of the reference drive (unlearnable 120 BPM, all bands).

        Cached per harmonics object and configuration for the process.
        """
        key = (id(self.harmonics), self.config_)
        hit = _REFERENCE_CACHE.get(key)
        if hit is not None and hit[0]() is self.harmonics:
            self._ref_energy, self._ref_pulse = hit[1]
            return
        B = self.config_.n_bands
        n = _STEP * int(np.ceil(40.0 * self._fr / _STEP))
        o = np.zeros((B, n))
        beats = np.arange(0.0, n / self._fr, 0.5)
        o[:, np.round(beats * self._fr).astype(int)] = 1.0
        _, _, _, bank, _ = self._stages()
        pooled = o.reshape(B, -1, _POOL).mean(axis=2)
        z = bank.process(np.concatenate([pooled, pooled], axis=0))
        half = z.shape[2] // 2
        # In chunks of steps, to keep the set-up's memory small.
        e_parts, p_parts, state = [], [], None
        for i in range(0, z.shape[2], 16):
            e_n, _, _, pulse, state = self._mode_energy(z[..., i : i + 16], state)
            e_parts.append(e_n)
            p_parts.append(pulse)
        e_n = np.concatenate(e_parts, axis=1)[:, half:]
        pulse = np.concatenate(p_parts, axis=1)[:, half:]
        # Energies are reported in percent of the reference build-up.
        self._ref_energy = float(e_n.sum(axis=0).mean()) / 100.0
        self._ref_pulse = float(pulse.sum(axis=0).mean())
        try:
            _REFERENCE_CACHE[key] = (weakref.ref(self.harmonics), (self._ref_energy, self._ref_pulse))
        except TypeError:  # objects without weak references are not cached
            pass

    def reset(self) -> None:
        """Start a new stimulus: every stage returns to its blank state."""
        (self._fe_s, self._speech, self._sinks, self._bank, self._res) = self._stages()
        self._expect = self._expectation()
        B = self.config_.n_bands
        self._o_buf = np.zeros((B, 0))
        self._s_buf = np.zeros(0)
        self._n_long = 0
        self._n_samples = 0
        self._peak = 0.0
        self._acc = {
            "drive": 0.0, "absorbed": 0.0, "semantic": 0.0,
            "pulse_power": 0.0, "pulse_n": 0,
        }
        self._tempo_power = np.zeros(self._freqs.size)
        self._cons = []  # (weight, roughness, harmonicity, consonance)
        self._sync = []  # (weight, order)
        self._coh_state = None
        self._prec_state = None
        self._rate_state = None
        self._sync_state = None
        self._sync_prev = None
        self._frames_done = 0
        self._steps = {"sne": [], "absorbed": [], "neutral_power": [], "semantic": [], "mode_energy": []}

    # -- streaming ----------------------------------------------------------------
    def process(self, y: np.ndarray) -> int:
        """Feed the next block of mono audio at ``sr``.

        Parameters
        ----------
        y : ndarray, shape (n_samples,)
            The next samples.

        Returns
        -------
        int
            Number of model steps completed by this block.

        Raises
        ------
        ParameterError
            If the block is not 1-D or holds NaN/inf.
        """
        if not self._ready:
            self._setup()
        y = np.asarray(y, dtype=np.float64)
        frames = self._fe_s.process(y)
        self._n_samples += y.size
        if y.size:
            self._peak = max(self._peak, float(np.max(np.abs(y))))
        cfg = self.config_
        # Long frames: speech probability and consonance.
        if frames.spectrum.shape[1]:
            s = self._speech.process(frames.spectrum)
            self._s_buf = np.concatenate([self._s_buf, s])
            self._consonance(frames.spectrum)
            self._expect.process_spectrum(frames.spectrum)  # harmony (resonance.expectation)
        o = event_strength(frames.onset, jnd_db=cfg.onset_jnd_db, scale_db=cfg.onset_scale_db)
        self._o_buf = np.concatenate([self._o_buf, o], axis=1)
        n_steps = min(self._o_buf.shape[1] // _STEP, self._s_buf.size // (_STEP // _LONG))
        if n_steps:
            self._advance(n_steps)
        return n_steps

    def _consonance(self, spectrum: np.ndarray) -> None:
        """Roughness, harmonicity and consonance of every n-th long frame."""
        freqs = self._fe_s.long_freqs_hz
        every = self.config_.consonance_every
        for j in range(spectrum.shape[1]):
            index = self._n_long
            self._n_long += 1
            if index % every:
                continue
            mag = spectrum[:, j]
            power = float(np.sum(mag**2))
            if power < 1e-12:
                continue
            a = analyze_spectrum(mag, freqs)
            self._cons.append((power, a["roughness"], a["harmonicity"], a["consonance"]))

    def _advance(self, n_steps: int) -> None:
        cfg = self.config_
        B = cfg.n_bands
        n_env = n_steps * _STEP
        o = self._o_buf[:, :n_env]
        self._o_buf = self._o_buf[:, n_env:]
        s_long = self._s_buf[: n_steps * (_STEP // _LONG)]
        self._s_buf = self._s_buf[n_steps * (_STEP // _LONG) :]
        s = np.repeat(s_long, _LONG)  # speech probability per envelope frame
        # Sinks on pooled events (43 Hz), predictions held over each pool.
        pooled = o.reshape(B, -1, _POOL).max(axis=2)
        sink_out = self._sinks.process(pooled)
        p = np.repeat(sink_out.p, _POOL, axis=1)
        # -- expectation (resonance.expectation) ------------------------------
        # What a sink predicted is absorbed: the arrived strength up to the
        # predicted strength.  What passes is the prediction error -- an
        # onset that came unexpected, and an expected one that did not come
        # (placed at the frame where it was due) -- as precision-weighted
        # squared error, the form of prediction-error energy in predictive
        # coding (Friston 2005: precision x error^2).  The precision of a
        # rhythmic error is the product of two reliabilities: the band
        # sink's own (what it has gained over the event rate, learned from
        # its errors) and the metre model's certainty (Feldman & Friston
        # 2010; Vuust & Witek 2014; Koelsch, Vuust & Friston 2019): a
        # syncopation against a sure metre carries energy, onsets that no
        # metre explains carry little, and the small residual errors of a
        # learned metronome carry almost none.
        certainty = self._expect.process_onsets(pooled)
        precision = self._precision(sink_out) * np.repeat(certainty, _POOL)[None, :]
        predicted = np.minimum(o, p)
        omitted = np.zeros_like(o)
        omitted[:, ::_POOL] = np.maximum(sink_out.p - sink_out.o, 0.0)
        neutral = ((o - predicted) ** 2 + omitted**2) * (1.0 - s) * precision
        # -- end expectation ------------------------------------------------------
        total = o
        acc = self._acc
        acc["drive"] += float(o.sum())
        acc["absorbed"] += float((predicted * (1.0 - s)).sum())
        acc["semantic"] += float((o * s).sum())
        drive = np.concatenate([neutral, total], axis=0)
        drive = drive.reshape(2 * B, -1, _POOL).mean(axis=2)  # to the bank's rate
        z = self._bank.process(drive)  # (2B, J, n_steps)
        e_n, e_t, a_n, pulse, self._coh_state = self._mode_energy(z, self._coh_state)
        acc["pulse_power"] += float(pulse.sum())
        acc["pulse_n"] += pulse.shape[1]
        # Tempo: periodicity salience of the whole drive weighted by the pulse
        # resonance (van Noorden & Moelants 1999), without the coherence gain
        # (which grows with power and would count the strongest line twice).
        zt_sum = z[B:].sum(axis=0)
        self._tempo_power += (zt_sum.real**2 + zt_sum.imag**2).sum(axis=1)
        stored = self._res.process(np.concatenate([e_n, e_t], axis=0) / self._ref_energy)
        K = e_n.shape[0]
        sne_modes = stored[:K]
        tot_modes = stored[K:]
        st = self._steps
        st["mode_energy"].append(sne_modes.astype(np.float32))
        st["sne"].append(sne_modes.sum(axis=0))
        st["absorbed"].append(np.maximum(tot_modes.sum(axis=0) - sne_modes.sum(axis=0), 0.0))
        st["neutral_power"].append(e_n.sum(axis=0) / self._ref_energy)
        st["semantic"].append(s.reshape(n_steps, _STEP).mean(axis=1))
        self._synchrony(z, e_t.sum(axis=0))
        self._frames_done += n_env

    def _precision(self, sink_out) -> np.ndarray:
        """Realised precision of each sink, per envelope frame, in [0, 1].

        The information the sink actually gains over a predictor that knows
        only the band's event rate: ``1 - <IC_model> / <IC_rate>``, with both
        information contents (bits) averaged over ``precision_tau_s``.  A
        metre that the sink has learned gives a high value; onsets that no
        model can anticipate give ~0, even if the sink is overconfident
        (then its own surprise exceeds the rate model's).
        """
        o = sink_out.o
        B, n = o.shape
        a = self._prec_a
        # Event rate known before each frame (running mean, causal).
        rate0 = np.full((B, 1), 0.02) if self._rate_state is None else self._rate_state
        rate_after, _ = lfilter([1.0 - a], [1.0, -a], o, axis=1, zi=a * rate0)
        rate = np.clip(np.concatenate([rate0, rate_after[:, :-1]], axis=1), 1e-4, 1 - 1e-4)
        self._rate_state = rate_after[:, -1:]
        ic_rate = -(o * np.log2(rate) + (1.0 - o) * np.log2(1.0 - rate))
        both = np.concatenate([ic_rate, sink_out.surprise_bits], axis=0)
        zi = a * (both[:, :1] if self._prec_state is None else self._prec_state)
        avg, _ = lfilter([1.0 - a], [1.0, -a], both, axis=1, zi=zi)
        self._prec_state = avg[:, -1:]
        gain = 1.0 - avg[B:] / np.maximum(avg[:B], 1e-9)
        return np.repeat(np.clip(gain, 0.0, 1.0), _POOL, axis=1)

    def _mode_energy(self, z: np.ndarray, state):
        """Normalised energy delivered to each mode, neutral and total.

        Parameters
        ----------
        z : ndarray, shape (2 B, J, n)
            Rhythm-bank amplitudes: neutral band channels then total ones.
        state : ndarray, shape (K, J) or None
            Time-averaged spectral density carried from the previous steps
            (``None`` at the start of a stimulus).

        Returns
        -------
        e_n, e_t : ndarray, shape (K, n)
            Energy delivered to each mode by the neutral and the total drive.
        a_n : ndarray, shape (K, J, n)
            Complex neutral amplitude of each mode at each rhythm frequency.
        pulse : ndarray, shape (J, n)
            Coherent power of the auditory-motor pulse loop (total drive) at
            each rhythm frequency.
        state : ndarray, shape (K, J)
            Updated time-averaged spectral density.
        """
        cfg = self.config_
        B = cfg.n_bands
        zn, zt = z[:B], z[B:]
        H = self._transfer[:, :, None]
        aud = self._coupling.auditory
        # Auditory entry: tonotopic projection of each band.
        K, J, n = H.shape[0], zn.shape[1], zn.shape[2]
        s_n = (aud @ zn.reshape(B, -1)).reshape(K, J, n) * H
        s_t = (aud @ zt.reshape(B, -1)).reshape(K, J, n) * H
        # Coherence gain.  Energy piles up in a resonance only where the
        # sensory drive is persistently concentrated: the drive's spectral
        # density (power per bandwidth, so that irregular drive is flat),
        # averaged over ``coherence_tau_s``, is divided by its mean over the
        # mode's rhythm frequencies (divisive normalisation, Carandini &
        # Heeger 2012).  Periodic drive keeps its lines in place and gains;
        # irregular drive has wandering peaks that average out to ~1.
        p_s = s_t.real**2 + s_t.imag**2
        dens = p_s / self._freqs[None, :, None]
        a = self._coh_a
        first = dens[..., 0] if state is None else state
        avg, _ = lfilter([1.0 - a], [1.0, -a], dens, axis=2, zi=(a * first)[..., None])
        state = avg[..., -1]
        ratio = avg / (cfg.normalization_floor + avg.mean(axis=1, keepdims=True))
        gain = ratio if cfg.normalization_exponent == 1.0 else ratio**cfg.normalization_exponent
        # Auditory-motor loop: band-summed rhythm through the pulse resonance,
        # entering at the premotor regions.
        loop_n = zn.sum(axis=0) * self._pulse_gain[:, None]
        loop_t = zt.sum(axis=0) * self._pulse_gain[:, None]
        motor = cfg.motor_gain * self._coupling.motor[:, None, None] * H
        a_n = s_n + motor * loop_n[None]
        a_t = s_t + motor * loop_t[None]
        e_n = (gain * (a_n.real**2 + a_n.imag**2)).sum(axis=1)
        e_t = (gain * (a_t.real**2 + a_t.imag**2)).sum(axis=1)
        # Coherent pulse power: the loop's energy weighted by the gain
        # averaged over the harmonics.
        pulse = gain.mean(axis=0) * (loop_t.real**2 + loop_t.imag**2)
        return e_n, e_t, a_n, pulse, state

    def _synchrony(self, z: np.ndarray, weight: np.ndarray) -> None:
        """Phase locking of regional oscillations to the stimulus and each other.

        Each region's oscillation at each rhythm frequency is a linear
        read-out of the bank through the harmonics.  Two things are measured:

        * locking over time: the consistency of the phase advance of each
          regional oscillation from one step to the next (a steady rhythm
          advances by the same angle every step; irregular drive does not),
          averaged over ``sync_tau_s`` -- a phase-locking value over time
          (Lachaux et al. 1999);
        * locking across regions: the Kuramoto (1984) order parameter of the
          regions' phases at each rhythm frequency.

        Synchrony is their product, averaged with the regions' energies as
        weights: 1 only when every region is locked to a steady rhythm and
        all regions share its phase.
        """
        B = self.config_.n_bands
        zt = z[B:]
        loop = zt.sum(axis=0) * self._pulse_gain[:, None]
        u = np.concatenate([zt, loop[None]], axis=0)  # (B+1, J, n)
        # (J, R, C) @ (J, C, n) -> (J, R, n), then regions first.
        x = np.matmul(self._sync_map_j, u.transpose(1, 0, 2)).transpose(1, 0, 2)
        prev = x[..., :1] if self._sync_prev is None else self._sync_prev
        step = x * np.conj(np.concatenate([prev, x[..., :-1]], axis=2))
        self._sync_prev = x[..., -1:]
        power = x.real**2 + x.imag**2
        a = self._sync_a
        if self._sync_state is None:
            self._sync_state = (a * step[..., 0], a * np.abs(step[..., 0]), a * power[..., 0])
        zs, zm, zp = self._sync_state
        S, _ = lfilter([1.0 - a], [1.0, -a], step, axis=2, zi=zs[..., None])
        M, _ = lfilter([1.0 - a], [1.0, -a], np.abs(step), axis=2, zi=zm[..., None])
        P, _ = lfilter([1.0 - a], [1.0, -a], power, axis=2, zi=zp[..., None])
        # lfilter's state for this first-order filter is a * (last output).
        self._sync_state = (a * S[..., -1], a * M[..., -1], a * P[..., -1])
        over_time = np.abs(S) / np.maximum(M, 1e-30)  # (R, J, n)
        across = np.abs(x.sum(axis=0)) / np.maximum(np.abs(x).sum(axis=0), 1e-30)  # (J, n)
        order = (P * over_time * across[None]).sum(axis=(0, 1)) / np.maximum(P.sum(axis=(0, 1)), 1e-30)
        self._sync.append(np.stack([weight, order], axis=1))

    # -- results --------------------------------------------------------------------
    def result(self) -> ScoreResult:
        """Summarise everything processed since the last :meth:`reset`.

        Returns
        -------
        ScoreResult

        Raises
        ------
        ParameterError
            If too little audio was processed to complete one model step.
        """
        if not self._ready:
            self._setup()
        st = self._steps
        if not st["sne"]:
            raise ParameterError(
                f"only {self._n_samples / self.sr:.2f} s of audio; the model needs at least "
                f"{(_STEP * self._fe.hop_length + self._fe.n_fft_long) / self.sr:.2f} s"
            )
        sne = np.concatenate(st["sne"])
        dt = _STEP / self._fr
        t_s = (np.arange(sne.size) + 1) * dt
        mode_energy = np.concatenate(st["mode_energy"], axis=1)
        timeline = {
            "t_s": t_s,
            "sne": sne,
            "absorbed": np.concatenate(st["absorbed"]),
            "neutral_power": np.concatenate(st["neutral_power"]),
            "semantic": np.concatenate(st["semantic"]),
            "mode_energy": mode_energy,
        }
        acc = self._acc
        drive = max(acc["drive"], 1e-12)
        cons = np.array(self._cons) if self._cons else np.zeros((0, 4))
        if cons.size:
            w = cons[:, 0] / cons[:, 0].sum()
            roughness, harmonicity, consonance = (float(w @ cons[:, i]) for i in (1, 2, 3))
        else:
            roughness = harmonicity = consonance = 0.0
        mean_modes = mode_energy.mean(axis=1).astype(float)
        mc = self._mode_consonance(mean_modes)
        sync = np.concatenate(self._sync) if self._sync else np.zeros((0, 2))
        synchrony = float(np.average(sync[:, 1], weights=sync[:, 0])) if sync.size and sync[:, 0].sum() > 0 else 0.0
        regions, regional_share = self._top_regions(mean_modes)
        expect = self._expect.metrics()
        tempo_bpm, pulse_salience = self._tempo()
        # The pulse is the metre model's period, reported where there is one.
        tempo_bpm = expect.pop("metre_tempo_bpm") if tempo_bpm is not None else None
        expect.pop("metre_tempo_bpm", None)
        metrics = {
            "consonance": consonance,
            "roughness": roughness,
            "harmonicity": harmonicity,
            "mode_consonance": mc,
            "entrainment": acc["pulse_power"] / max(acc["pulse_n"], 1) / self._ref_pulse,
            "tempo_bpm": tempo_bpm,
            "pulse_salience": pulse_salience,
            **expect,
            "absorbed_fraction": acc["absorbed"] / drive,
            "semantic_fraction": acc["semantic"] / drive,
            "neutral_energy": float(timeline["neutral_power"].mean()),
            "synchrony": synchrony,
            "regional_share": regional_share,
        }
        return ScoreResult(
            duration_s=self._n_samples / self.sr,
            score=float(sne.mean()),
            metrics=metrics,
            arc=arc_metrics(sne, dt_s=dt, threshold=self.config_.arc_threshold),
            timeline=timeline,
            harmonics_level=str(getattr(self.harmonics, "level", "vertex")),
            regions=regions,
            mode_frequencies_hz=self._mode_freqs,
        )

    def _mode_consonance(self, mean_modes: np.ndarray) -> float:
        """Consonance among the energised harmonics (the valence proxy).

        The harmonics that together hold ``energised_share`` of the neutral
        energy (at most ``max_energised_modes``), excluding the constant mode,
        which does not oscillate; their natural frequencies and energies go
        through the same roughness/harmonicity measure as sound.
        """
        cfg = self.config_
        ringing = np.flatnonzero(self._mode_freqs > 0)
        e = mean_modes[ringing]
        if e.sum() <= 0:
            return 0.0
        order = np.argsort(e)[::-1]
        cum = np.cumsum(e[order]) / e.sum()
        n = min(int(np.searchsorted(cum, cfg.energised_share)) + 1, cfg.max_energised_modes)
        keep = ringing[order[:max(n, 2)]]
        return float(mode_consonance(self._mode_freqs[keep], mean_modes[keep])["consonance"])

    def _tempo(self):
        """Perceived tempo (BPM) and pulse salience: the pulse resonance applied to periodicity salience.

        A pulse level is supported by every event on its grid, so its
        salience is the harmonic sum ``S(f) = sum_h P(h f)`` of the drive's
        power (the spectral counterpart of the autocorrelation at lag
        ``1/f``); the tempo is the level, within 0.5-4 Hz, where the pulse
        resonance times the salience peaks (van Noorden & Moelants 1999;
        Moelants 2002).  The pulse salience is ``max S / median S`` over
        those levels; below ``tempo_min_salience`` there is no pulse to
        report (noise, drones, speech) and the tempo is None.
        """
        power = self._tempo_power
        if not np.any(power > 0):
            return None, 1.0
        logf = np.log(self._freqs)
        candidates = np.flatnonzero(self._freqs <= 4.0)
        salience = np.zeros(self._freqs.size)
        for j in candidates:
            for h in range(1, 5):
                fh = h * self._freqs[j]
                if fh > self._freqs[-1] * 1.001:
                    break
                salience[j] += np.interp(np.log(fh), logf, power)
        sal = salience[candidates]
        pulse_salience = float(sal.max() / max(float(np.median(sal)), 1e-300))
        if pulse_salience < self.config_.tempo_min_salience:
            return None, pulse_salience
        weighted = salience * self._pulse_gain**2
        j = candidates[np.argmax(weighted[candidates])]
        f = self._freqs[j]
        if 0 < j < self._freqs.size - 1 and weighted[j + 1] > 0:
            # Parabolic interpolation of the peak on a log-frequency axis.
            y0, y1, y2 = np.log(weighted[j - 1 : j + 2] + 1e-30)
            denom = y0 - 2 * y1 + y2
            if denom < 0:
                shift = 0.5 * (y0 - y2) / denom
                step = np.log(self._freqs[j + 1] / self._freqs[j])
                f = f * np.exp(np.clip(shift, -0.5, 0.5) * step)
        return 60.0 * f, pulse_salience

    def _top_regions(self, mean_modes: np.ndarray, n: int = 5):
        """Regions holding the most neutral energy, and the regional share.

        With regional harmonics (vertex level), a region's energy is the
        energy of its own patch harmonics driven through the global modes
        (:func:`~resonance.coupling.regional_projection`); the regional share
        is the fraction of that energy in patch modes beyond the constant
        one (patterns within regions rather than whole-region activity).
        Without them (region level) the region's mean activity is used and
        the share is ``None``.
        """
        weights, region_of, order_of = self._regional
        labels = self.harmonics.region_labels
        if weights.shape[0]:
            e_rows = weights @ mean_modes
            region_energy = np.bincount(region_of, weights=e_rows, minlength=len(labels))
            total_rows = e_rows.sum()
            share = float(e_rows[order_of > 0].sum() / total_rows) if total_rows > 0 else 0.0
        else:
            region_energy = (self._coupling.region_means**2) @ mean_modes
            share = None
        total = region_energy.sum()
        if total <= 0:
            return [], share
        order = np.argsort(region_energy)[::-1][:n]
        return [(str(labels[i]), float(region_energy[i] / total)) for i in order], share


def arc_metrics(sne: np.ndarray, *, dt_s: float, threshold: float = 0.5) -> dict:
    """Annealing-arc metrics of an SNE time course (MODEL.md 2.10).

    Parameters
    ----------
    sne : ndarray, shape (n,)
        SNE (temperature) per step.
    dt_s : float
        Step (s).
    threshold : float
        Fraction of the peak that counts as "above threshold".

    Returns
    -------
    dict
        ``peak`` (score units), ``time_to_peak_s``, ``time_above_threshold_s``,
        ``heating_rate`` (score units per minute, from start to peak),
        ``cooling_rate`` (largest drop per minute after the peak, over 10 s),
        ``cooling_smoothness`` in [0, 1] (net drop after the peak divided by
        the total variation there: 1 = a steady glide down, lower = jagged).
    """
    sne = np.asarray(sne, dtype=float)
    i_peak = int(np.argmax(sne))
    peak = float(sne[i_peak])
    above = float(np.count_nonzero(sne >= threshold * peak) * dt_s) if peak > 0 else 0.0
    t_peak = (i_peak + 1) * dt_s
    heating = (peak - float(sne[0])) / (t_peak / 60.0) if t_peak > 0 else 0.0
    tail = sne[i_peak:]
    if tail.size > 1:
        tv = float(np.abs(np.diff(tail)).sum())
        smooth = (float(tail[0] - tail[-1]) / tv) if tv > 0 else 1.0
        w = max(1, int(round(10.0 / dt_s)))
        drops = tail[:-w] - tail[w:] if tail.size > w else np.array([tail[0] - tail[-1]])
        cooling_rate = float(max(drops.max(), 0.0)) / (min(w, tail.size - 1) * dt_s / 60.0)
    else:
        smooth, cooling_rate = 1.0, 0.0
    return {
        "peak": peak,
        "time_to_peak_s": t_peak,
        "time_above_threshold_s": above,
        "heating_rate": heating,
        "cooling_rate": cooling_rate,
        "cooling_smoothness": smooth,
    }


def score_signal(y: np.ndarray, sr: int, *, harmonics, config: ModelConfig | None = None, block_s: float = 10.0):
    """Score a signal held in memory.

    Parameters
    ----------
    y : ndarray, shape (n_samples,) or (n_channels, n_samples)
        Audio; channels are averaged.
    sr : int
        Sample rate of ``y`` (resampled to the model rate if different).
    harmonics : Harmonics
        Connectome harmonics.
    config : ModelConfig or None
        Model constants.
    block_s : float
        Block length used to stream the signal through the model (s).

    Returns
    -------
    ScoreResult

    Raises
    ------
    ParameterError
        If the audio is empty, silent, or holds NaN/inf.
    """
    import soxr

    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=0)
    if y.ndim != 1 or y.size == 0:
        raise ParameterError(f"y has shape {y.shape}; expected non-empty mono or (n_channels, n_samples) audio")
    if not np.all(np.isfinite(y)):
        raise ParameterError("y holds NaN or infinite samples")
    if np.max(np.abs(y)) < 1e-7:
        raise ParameterError("y is silent; nothing to score")
    sr = check_int("sr", sr, low=1)
    if sr != MODEL_SR:
        y = soxr.resample(y, sr, MODEL_SR, quality="HQ")
    scorer = Scorer(harmonics, config=config)
    step = max(1, int(block_s * MODEL_SR))
    for i in range(0, y.size, step):
        scorer.process(y[i : i + step])
    return scorer.result()


def score_file(path, *, harmonics, config: ModelConfig | None = None, block_s: float = 10.0, on_progress=None):
    """Score an audio file, streaming it block by block (bounded memory).

    Parameters
    ----------
    path : str or Path
        Audio file (any format of :data:`resonance.io.audio.SUPPORTED_EXTENSIONS`).
    harmonics : Harmonics
        Connectome harmonics.
    config : ModelConfig or None
        Model constants.
    block_s : float
        Seconds of audio decoded per block.
    on_progress : callable or None
        Called as ``on_progress(seconds_done, seconds_total)`` after each block.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataFileError
        If the file is missing, unreadable, truncated, empty, silent or holds
        NaN/inf samples; the message names the file.
    """
    from .errors import DataFileError
    from .io.audio import AudioReader

    reader = AudioReader(path, sr=MODEL_SR, block_s=block_s, dtype=np.float64)
    total_s = reader.info.duration_s
    scorer = Scorer(harmonics, config=config)
    done = 0
    for block in reader:
        scorer.process(block)
        done += block.size
        if on_progress is not None:
            on_progress(done / MODEL_SR, total_s)
    try:
        return scorer.result()
    except ParameterError as exc:
        raise DataFileError(f"'{path}': {exc}") from None
