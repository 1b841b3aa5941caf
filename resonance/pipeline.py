"""The scoring pipeline: audio in, semantically-neutral energy out.

:class:`Scorer` composes the model's stages (docs/model.md):

1. :class:`~resonance.frontend.FrontEnd` -- cochlear bands, onset drive, long
   spectra.
2. :class:`~resonance.semantic.SpeechDetector` -- the innate detector that
   marks legible speech as semantic.
3. :class:`~resonance.sinks.OnsetSinks` -- predictors that learn the stimulus
   from scratch and absorb what they predict.
4. :class:`~resonance.dynamics.RhythmBank` -- resonance of the drive's
   rhythm; the auditory-motor loop passes the bank's output through the
   pulse resonance (:func:`~resonance.dynamics.effective_pulse_response`).
5. Mode coupling (:mod:`resonance.coupling`) and the corticothalamic field
   response of each harmonic (:mod:`resonance.field`), for the onset path
   and the modulation path (:mod:`resonance.hearing`), weighted by the
   stimulus's coherence, and the slow :class:`~resonance.dynamics.Reservoir`
   of each harmonic.
   Regional Stuart-Landau oscillators (:mod:`resonance.oscillators`) give
   synchrony.
6. Metrics: consonance (:mod:`resonance.consonance`), expectation, synchrony,
   entrainment, tempo, annealing arc.

The same objects run offline on a file (:func:`score_signal`,
:func:`resonance.io.score_file`) and online block by block
(:meth:`Scorer.process`): a file scored in one call or in any split of blocks
gives the same result.

Units.  Energies are in basis points (1/10,000) of two fixed reference stimuli read at the
auditory entry, before the connectome (so the units do not depend on it): an
unlearnable 120 BPM train of full-strength onsets in every band (onset path)
and a full-depth 4 Hz amplitude modulation in every band (modulation path).
The score is the reservoir's equilibrium level, the mean neutral power
delivered once the model has settled (:mod:`resonance.metrics`): a property of
the stimulus, not of the excerpt's length; ``habituation`` reports how much the
stimulus wears off.  See docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from .consonance import FrameAnalyzer, mode_consonance, resolve_memory
from .coupling import entry_coupling, regional_projection
from .dynamics import Reservoir, RhythmBank, bank_frequencies_hz, effective_pulse_response
from .errors import ParameterError
from .events import EventPeaks
from .expectation import Expectation
from .field import FieldParameters, channel_transfer_power, corticothalamic_transfer
from .frontend import MODEL_SR, FrontEnd
from .oscillators import RegionalOscillators, delay_steps, kuramoto_order
from .hearing.modulation import ModulationFilterbank, modulation_rates_hz
from .loops import SectionRecurrence
from .metrics import arc_metrics, equilibrium_score, habituation
from .semantic import SpeechDetector
from .sinks import ModulationSink, OnsetSinks, TimingTolerance, combine_predictions, event_strength
from scipy.signal import lfilter
from scipy.ndimage import median_filter

from .validation import check_audio, check_float, check_int, check_sample_rate

__all__ = ["SCORE_UNITS", "ModelConfig", "Scorer", "ScoreResult", "score_signal", "arc_metrics"]

#: Reference energies at the entry (connectome-independent), keyed by config.
_REFERENCE_CACHE: dict = {}

#: Units of the score and of every energy in the results.
SCORE_UNITS = (
    "basis points (1/10,000) of fixed references at the auditory entry (unlearnable 120 BPM "
    "full-band onset train; full-depth 4 Hz amplitude modulation)"
)

#: Envelope frames per sink frame (sinks run at 172.3 / 4 = 43 Hz).
_POOL = 4
#: Envelope frames per long-spectrum frame (2048 / 128).
_LONG = 16
#: Envelope frames per model step (0.37 s): bank, modes and reservoir update.
_STEP = 64
#: Score units per reference energy: basis points (1/10,000), so that typical
#: music scores of order 1 (the references are full-strength stimuli read at
#: the entry, before the harmonics' field response and loudness weighting).
_UNITS_PER_REFERENCE = 1e4
#: Envelope frames per oscillator step (5.8 ms x 8 = 46 ms, 21.5 Hz: above
#: twice the highest oscillator frequency, 8 Hz; the exponential integrator
#: is exact for the linear part at any step).
_OSC = 8
#: Oscillator rms amplitude at which synchrony is weighted by one half
#: (engineering choice: a tenth of the saturation amplitude ~1 that a
#: steady beat of full-strength events drives an oscillator to).
_OSC_HALF_AMPLITUDE = 0.1
#: Prior of the stimulus-locked phase consistency, in full events within
#: ``sync_tau_s`` (engineering choice: one or two events alone do not make
#: a rhythm that an oscillator can lock to).
_SYNC_PRIOR_EVENTS = 4.0
#: Regularising event strength per step of the share of a band's events that
#: its sinks did not predict (:meth:`Scorer._pass_share`; engineering choice:
#: a band with less than ~1 full event every 20 steps, 7 s, counts as
#: event-free and passes its modulation to the modulation sink).
_PASS_EVENTS = 0.05

#: Modulation filters over which the floor of the modulation spectrum is the
#: median (:meth:`Scorer._mod_coherence`): five half-octave filters, one octave
#: either side.  Engineering choice: a line (an AM rate, a beat) is one or two
#: filters wide, so the median of five ignores it, while the floor of noise
#: changes little over two octaves.
_MOD_FLOOR_FILTERS = 5


@dataclass(frozen=True)
class ModelConfig:
    """Every constant of the model, with its source.

    Parameters
    ----------
    n_bands : int
        Cochlear bands (tonotopic entry channels).  Engineering choice (8
        ERB-spaced bands, 40 Hz-10 kHz: coarse tonotopy at low cost).
    sink_memory_s : float
        Reach of the sinks' history (s); see :class:`~resonance.sinks.OnsetSinks`.
        Engineering choice (about two bars at 120 BPM).
    sink_learning_rate : float
        Delta-rule step of the sinks.  With 20, a metronome is mostly absorbed
        within ~10 s and an exactly repeated drum bar over ~3 minutes
        (docs/model.md: repetition habituates over minutes).  Engineering
        choice.
    sink_tolerance_frames : int
        Timing tolerance of the sinks' expectations in sink frames (23 ms
        each; :class:`~resonance.sinks.TimingTolerance`): an event up to one
        frame late is absorbed by its expectation, an expectation met within
        one frame is not an omission.  One frame, 23 ms, is close to the
        just-noticeable displacement of a tone in an isochronous sequence at
        500 ms intervals (2.5-5 %, 12-25 ms: Friberg & Sundberg 1995; Repp
        2005).  Literature value rounded to the sink grid.
    recurrence_min_lag_s, recurrence_max_lag_s : float
        Range of periods at which the recurrence sink
        (:class:`~resonance.loops.SectionRecurrence`) looks for the whole
        sound repeating itself as a section.  4 s: the reach of the band
        sinks (``sink_memory_s``), which already predict what recurs within
        a bar or two (engineering choice, tied to that constant).  12 s:
        listeners learn a cyclically repeated noise for cycles up to
        ~10-20 s (Kaernbach 2004; literature value), the value to use when
        switching the sink on (a 10 s loop of a real rock mix then scores
        a quarter of the mix instead of 33 % above it).  Default 0: off,
        because it absorbs part of a varied groove's opening later than
        of its middle (the 20/60/180 s excerpts then spread by 20 %);
        see docs/model.md.  The sink learns the band sinks' residual with one lag for all
        bands, so a varied groove's steady backbeat is not taken for a loop
        (docs/model.md, "Recurrence sink").
    recurrence_tau_s : float
        Time constant of the recurrence sink's reliability sums (s).
        Engineering choice: the same span as ``coherence_tau_s``, about four
        bars at 120 BPM, over which a beat and metre are settled.
    recurrence_prior_events : float
        Regulariser of the recurrence reliability, in events: one full
        event's worth of disagreement is assumed before any evidence
        (engineering choice; a lag is trusted after a few recurrences).
    onset_hold_s : float
        Forward-masking span of the onset reference
        (:class:`~resonance.frontend.FrontEnd`, Jesteadt, Bacon & Lehman
        1982): a rise counts only above the highest level of the last 50 ms.
        Literature value.
    onset_jnd_db, onset_scale_db : float
        Event-strength transduction (:func:`~resonance.sinks.event_strength`):
        1 dB is the intensity JND (literature, e.g. Jesteadt, Wier & Green
        1977); the 6 dB saturation scale is an engineering choice.
    bank_fmin_hz, bank_fmax_hz : float
        Range of the rhythm resonators: the delta-theta range of cortical
        entrainment to rhythm (0.5-8 Hz; Ding et al. 2017 show the modulation
        spectra of music and speech peak at 2 and 5 Hz within it).
        Literature values.
    bank_per_octave : int
        Resonators per octave (engineering choice: 12 gives ~6 % tempo
        resolution).
    bank_q : float
        Quality factor of the rhythm resonators.  Q = 16 gives a build-up time
        ``Q / (pi f)`` of 2.5 s at 2 Hz: neural entrainment to a beat builds
        over a few cycles (Lakatos et al. 2008; Nozaradan et al. 2011).
        Engineering choice within that literature range.
    pulse_period_s, pulse_damping_ratio : float
        The perceptual-motor pulse resonator (van Noorden & Moelants 1999).
        Literature values.
    motor_gain : float
        Gain of the auditory-motor loop relative to the auditory entry
        (engineering choice: equal).
    gamma_per_s, r_mm : float or None
        Cortical damping rate and axonal range of the corticothalamic field
        (:mod:`resonance.field`); ``None`` uses the values stored in the
        harmonics (literature: Pang et al. 2023, gamma = 116 /s,
        r = 28.9 mm).  The loop gains and delay are the published values of
        :class:`resonance.field.FieldParameters`.
    normalization_floor : float
        Semi-saturation constant of the divisive normalisation (Carandini &
        Heeger 2012), in the same units as the resonator power; keeps silence
        from having infinite gain (engineering choice, negligibly small).
    coherence_tau_s : float
        Time over which a resonance's drive must persist to count as
        coherent (s).  8 s is about four bars at 120 BPM, the span over which
        listeners settle on a beat and a metre (e.g. Toiviainen & Snyder 2003
        report pulse finding within a few bars).  Engineering choice.
    tempo_min_salience : float
        A pulse (``tempo_bpm``) is reported only where the periodicity
        salience peaks at least this many times above its median over the
        candidate pulse rates (0.5-4 Hz); otherwise ``tempo_bpm`` is None.
        Measured on 30 s signals: click trains (60-120 BPM) and grooves
        4.2-12; white noise, steady tones, espeak speech and random onsets
        1.8-1.9.  Engineering choice.
    tempo_min_pulse_z : float
        A pulse is also reported where the periodicity salience is low but
        the onsets fall where the metre model predicted beats, beyond chance,
        by at least this many standard errors
        (:meth:`~resonance.expectation.metre.MetreModel.pulse_z`: the
        correlation of each frame's accent with the beat expectation formed
        before it); legato music and soft-onset instruments (organ, bowed
        strings), whose events are weak spectral-flux changes rather than
        level rises.  Accents independent of the past (noise, random
        onsets) give z ~ N(0, 1) whatever the model locks on to; 3 is the
        conventional three-standard-error criterion (one stimulus in ~700
        without a pulse passes by chance).  Sound the speech detector marks
        as mostly speech (semantic fraction above one half) has no pulse to
        report.  Engineering choice, not fitted to any data set.
    precision_tau_s : float
        Time over which the reliabilities that make the precision of
        rhythmic prediction errors are averaged (s): each band sink's
        realised information gain and the metre model's certainty
        (:class:`~resonance.expectation.metre.MetreModel`).
        Engineering choice.
    sync_tau_s : float
        Averaging time of the phase-locking measure of synchrony (s).
        Engineering choice.
    normalization_exponent : float
        Exponent of the normalisation gain ``(P / (floor + <P>)) ** n``.  With
        1, a resonance's response grows with the square of its amplitude
        relative to the pool (the exponent of 2 on amplitude typical of
        cortical normalisation, Carandini & Heeger 2012).  Literature value.
    reservoir_tau_s : float
        Leak time constant of the per-mode energy reservoir (s).  Engineering
        choice (docs/model.md: seconds to minutes); it also sets the early
        and late windows of ``habituation``.  The score does not depend on
        it (:mod:`resonance.metrics`).
    settle_s : float
        Time the model's stages need to settle from their blank start (s):
        the score, the reservoir's equilibrium level, averages the neutral
        power delivered after it (after half the excerpt if that is
        shorter).  10 s: longer than ``coherence_tau_s`` (8 s), the slowest
        of the stages that shape the neutral power, and about five bars at
        120 BPM, within which listeners settle on a beat and metre
        (Toiviainen & Snyder 2003).  Engineering choice.
    arc_threshold : float
        Fraction of the peak above which the arc is "above threshold"
        (engineering choice).
    energised_share, max_energised_modes : float, int
        The energised harmonics whose consonance is the valence proxy: the
        strongest modes that together hold this share of the neutral energy,
        at most this many (engineering choices).
    consonance_every : int
        Analyse consonance on every n-th long frame (10.8 frames/s; every
        8th = 1.3 analyses per second, ample for a time-averaged measure;
        engineering choice), from the second frame on.  Each analysed frame
        is compared with the one before it, so that only steady partials count
        (:func:`~resonance.consonance.analyze_spectrum`).
    mod_fmin_hz, mod_fmax_hz, mod_per_octave, mod_q
        The modulation filterbank (:mod:`resonance.hearing.modulation`):
        0.5-64 Hz, the range of docs/model.md; half-octave spacing and Q = 2
        after Dau, Kollmeier & Kohlrausch (1997) (literature values; the
        half-octave spacing is an engineering choice between their octave
        spacing and denser banks).
    mod_sink_tau_s : float
        Memory of the modulation sink (:class:`~resonance.sinks.ModulationSink`),
        which learns each band's modulation spectrum by the delta rule and
        passes only its prediction error: a modulation that stays the same
        (a click track, a steady amplitude modulation) is absorbed over about
        this time, the changing modulation of music keeps passing.  10 s, the
        duration of the auditory sensory-memory trace against which a change
        is detected (mismatch negativity: Sams, Hari, Rif & Knuutila 1993;
        Cowan 1984).  Engineering choice anchored in that literature value.
    binaural_gain : float
        Weight of binaural events and of the binaural fluctuation against
        monaural ones (engineering choice, 0.3: binaural-beat responses are
        several times weaker than responses to the same beat presented
        monaurally -- Schwarz & Taylor 2005; Pratt et al. 2010 -- without a
        single published ratio).
    modulation_weight : float
        Weight of the modulation path against the onset path, each in
        units of its own reference stimulus (engineering choice: equal).
    loudness_ref_db : float
        Level of the whole sound (dB re a full-scale sine, summed over the
        bands) at which the delivered energy has weight 1; the weight doubles per
        10 dB (Stevens' power law for loudness, exponent 0.3 on intensity:
        literature).  -20 dB, about the level of music mastered near -14 to
        -23 LUFS, is an engineering choice.
        The power law applies to each 23 ms frame before a step's frames are
        averaged (compression before temporal integration: Glasberg & Moore
        2002; ISO 532-1), so sparse clicks weigh far less than a sustained
        sound of the same RMS.
        A fade-out therefore cools the model; a file's level within the
        normal listening range moves the score as loudness moves.
    oscillator_q : float
        Quality factor of the regional Stuart-Landau oscillators, i.e.
        ``a_f = -pi f / Q`` (engineering choice: Q = 4 lets an oscillator
        follow a rhythm that persists for a few cycles, the build-up of
        neural entrainment, Lakatos et al. 2008).
    oscillator_saturation_per_s : float
        Cubic saturation ``b`` (engineering choice: limits an oscillator
        driven by a full-strength beat to an amplitude of order 1).
    oscillator_coupling_per_s : float
        Global coupling ``G`` of the oscillators through the weights
        normalised to a mean row sum of 1 (engineering choice, weak
        coupling: below the damping of the slow oscillators).
    conduction_speed_mm_per_s : float
        Axonal conduction speed turning tract lengths into delays: 3 m/s,
        the default of The Virtual Brain (Sanz Leon et al. 2013).
    """

    n_bands: int = 8
    sink_memory_s: float = 4.0
    sink_learning_rate: float = 20.0
    sink_tolerance_frames: int = 1
    recurrence_min_lag_s: float = 4.0
    recurrence_max_lag_s: float = 0.0
    recurrence_tau_s: float = 8.0
    recurrence_prior_events: float = 1.0
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
    tempo_min_pulse_z: float = 3.0
    sync_tau_s: float = 10.0
    normalization_exponent: float = 1.0
    reservoir_tau_s: float = 30.0
    settle_s: float = 10.0
    arc_threshold: float = 0.5
    consonance_every: int = 8
    energised_share: float = 0.5
    max_energised_modes: int = 16
    mod_fmin_hz: float = 0.5
    mod_fmax_hz: float = 64.0
    mod_per_octave: int = 2
    mod_q: float = 2.0
    mod_sink_tau_s: float = 10.0
    binaural_gain: float = 0.3
    modulation_weight: float = 1.0
    loudness_ref_db: float = -20.0
    oscillator_q: float = 4.0
    oscillator_saturation_per_s: float = 2.0
    oscillator_coupling_per_s: float = 1.0
    conduction_speed_mm_per_s: float = 3000.0

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
        check_int("sink_tolerance_frames", self.sink_tolerance_frames, low=0, high=8)
        check_float("recurrence_min_lag_s", self.recurrence_min_lag_s, low=0.05, high=30.0)
        check_float("recurrence_max_lag_s", self.recurrence_max_lag_s, low=0.0, high=60.0)
        check_float("recurrence_tau_s", self.recurrence_tau_s, low=0.5, high=600.0)
        check_float("recurrence_prior_events", self.recurrence_prior_events, low=0.0, low_inclusive=False)
        check_float("onset_hold_s", self.onset_hold_s, low=0.0, high=0.5)
        check_float("tempo_min_salience", self.tempo_min_salience, low=1.0)
        check_float("tempo_min_pulse_z", self.tempo_min_pulse_z, low=0.0, high=100.0)
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
        check_float("settle_s", self.settle_s, low=0.0, high=600.0)
        check_float("arc_threshold", self.arc_threshold, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_int("consonance_every", self.consonance_every, low=1)
        check_float("energised_share", self.energised_share, low=0.0, high=1.0, low_inclusive=False)
        check_int("max_energised_modes", self.max_energised_modes, low=2, high=1000)
        check_float("mod_fmin_hz", self.mod_fmin_hz, low=0.1, high=20.0)
        check_float("mod_fmax_hz", self.mod_fmax_hz, low=self.mod_fmin_hz, high=80.0, low_inclusive=False)
        check_int("mod_per_octave", self.mod_per_octave, low=1, high=12)
        check_float("mod_q", self.mod_q, low=0.5, high=20.0)
        check_float("mod_sink_tau_s", self.mod_sink_tau_s, low=0.0, low_inclusive=False)
        check_float("binaural_gain", self.binaural_gain, low=0.0, high=1.0)
        check_float("modulation_weight", self.modulation_weight, low=0.0)
        check_float("loudness_ref_db", self.loudness_ref_db, low=-80.0, high=0.0)
        check_float("oscillator_q", self.oscillator_q, low=0.5, high=100.0)
        check_float("oscillator_saturation_per_s", self.oscillator_saturation_per_s, low=0.0)
        check_float("oscillator_coupling_per_s", self.oscillator_coupling_per_s, low=0.0, high=100.0)
        check_float("conduction_speed_mm_per_s", self.conduction_speed_mm_per_s, low=100.0, low_inclusive=True)
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
        Semantically-neutral energy build-up: the SNE reservoir's equilibrium
        level (the mean neutral power delivered after ``settle_s``;
        :func:`~resonance.metrics.equilibrium_score`), in basis points of the
        fixed entry references (:data:`SCORE_UNITS`; see the module docstring).
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
    harmonic_memory : "default", object or None
        Long-term harmonic memory for the familiarity term of consonance
        (Harrison & Pearce 2020): any object with
        ``log_probability(profile) -> float`` (natural log probability of
        the chord whose notes have the 12-bin pitch-class profile
        :func:`~resonance.consonance.note_profile`).  ``"default"``: the
        chord-type counts of the Bach chorales shipped with the package
        (:meth:`~resonance.consonance.ChordTypeMemory.load`).  ``None``:
        consonance is roughness and harmonicity alone.

    Examples
    --------
    >>> from resonance import connectome_harmonics  # doctest: +SKIP
    >>> scorer = Scorer(connectome_harmonics())     # doctest: +SKIP
    >>> for block in blocks:                        # doctest: +SKIP
    ...     scorer.process(block)
    >>> result = scorer.result()                    # doctest: +SKIP
    """

    def __init__(self, harmonics, *, config: ModelConfig | None = None, sr: int = MODEL_SR,
                 harmonic_memory="default"):
        self.harmonics = harmonics
        self.config = config
        self.sr = sr
        self.harmonic_memory = harmonic_memory
        self._ready = False

    # -- set-up -----------------------------------------------------------------
    def _setup(self) -> None:
        if self.sr != MODEL_SR:
            raise ParameterError(f"sr={self.sr} is not the model rate; resample blocks to {MODEL_SR} Hz first")
        cfg = (self.config or ModelConfig()).validate()
        self.config_ = cfg
        self.harmonic_memory_ = resolve_memory(self.harmonic_memory)
        h = self.harmonics
        self._fe = FrontEnd(sr=self.sr, n_bands=cfg.n_bands, onset_hold_s=cfg.onset_hold_s, binaural_gain=cfg.binaural_gain)
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
        # Temporal response of each harmonic: the corticothalamic field
        # (resonance.field), with the cortical damping rate and axonal range
        # of the harmonics (Pang et al. 2023) unless the config sets them.
        self._field = FieldParameters(
            gamma_per_s=float(cfg.gamma_per_s or h.gamma_per_s), r_mm=float(cfg.r_mm or h.r_mm)
        )
        lam = np.asarray(h.eigenvalues_per_mm2, dtype=float)
        self._transfer = corticothalamic_transfer(lam, self._freqs, params=self._field)  # (K, J)
        self._mod_rates = modulation_rates_hz(
            fmin_hz=cfg.mod_fmin_hz, fmax_hz=cfg.mod_fmax_hz, per_octave=cfg.mod_per_octave
        )
        self._mod_rates = self._mod_rates[self._mod_rates < fr / 2.0]
        # Power gain of each harmonic over each modulation filter's band.
        self._mod_gain = channel_transfer_power(lam, self._mod_rates, q=cfg.mod_q, fs_hz=fr, params=self._field)  # (K, R)
        self._aud2 = self._coupling.auditory**2  # (K, B)
        self._n_bin = self._fe.n_binaural_bands
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
        self._setup_oscillators()
        self._reference()
        self.reset()
        self._ready = True

    def _setup_oscillators(self) -> None:
        """Regional Stuart-Landau oscillators (:mod:`resonance.oscillators`).

        One oscillator per region at each rhythm frequency half an octave
        apart in ``bank_fmin_hz``-``bank_fmax_hz`` (the same frequencies as
        rhythm-bank resonators), integrated every :data:`_OSC` envelope
        frames.  The weights are the connectome's, divided by their mean
        row sum (a connectome-independent coupling scale); delays are tract
        lengths over ``conduction_speed_mm_per_s``.  Sound enters each
        region in proportion to the region's share of the tonotopic entry
        patterns (read through the harmonics) and, for the beat, of the
        premotor entry.
        """
        cfg = self.config_
        h = self.harmonics
        c = self._coupling
        n_reg = c.region_means.shape[0]
        per_oct = max(1, cfg.bank_per_octave // 2)
        idx = np.arange(0, self._freqs.size, per_oct)
        self._osc_j = idx
        f = self._freqs[idx]
        w = getattr(h, "weights", None)
        lengths = getattr(h, "tract_lengths_mm", None)
        if w is None or np.shape(w) != (n_reg, n_reg):
            w = np.zeros((n_reg, n_reg))
        w = np.asarray(w, dtype=float).copy()
        np.fill_diagonal(w, 0.0)
        mean_row = w.sum(axis=1).mean()
        if mean_row > 0:
            w /= mean_row
        dt = _OSC / self._fr
        if lengths is None or np.shape(lengths) != w.shape:
            delays = np.zeros(w.shape, dtype=int)
        else:
            delays = delay_steps(lengths, speed_mm_per_s=cfg.conduction_speed_mm_per_s, dt_s=dt)
        self._osc_args = dict(
            weights=w, delays=delays, freqs_hz=f, dt_s=dt,
            a_per_s=-np.pi * f / cfg.oscillator_q, b_per_s=cfg.oscillator_saturation_per_s,
            coupling_per_s=cfg.oscillator_coupling_per_s,
        )
        entry = c.region_means @ c.auditory  # (R, B)
        entry = np.maximum(entry, 0.0)
        entry /= np.maximum(entry.max(axis=0, keepdims=True), 1e-12)
        motor = np.maximum(c.region_means @ c.motor, 0.0)
        if motor.max() > 0:
            motor = cfg.motor_gain * motor / motor.max()
        self._osc_entry = np.concatenate([entry, motor[:, None] / cfg.n_bands], axis=1)  # (R, B+1)
        self._sync_a = float(np.exp(-(_STEP / self._fr) / cfg.sync_tau_s))
        self._sync_a_osc = float(np.exp(-(_OSC / self._fr) / cfg.sync_tau_s))

    def _stages(self):
        cfg = self.config_
        B = cfg.n_bands
        fe = FrontEnd(sr=self.sr, n_bands=B, onset_hold_s=cfg.onset_hold_s, binaural_gain=cfg.binaural_gain)
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
        mfb = ModulationFilterbank(
            fs_hz=self._fr, rates_hz=self._mod_rates, q=cfg.mod_q, step=_STEP,
            n_channels=B + self._n_bin,
        )
        return fe, speech, sinks, bank, reservoir, mfb

    def _expectation(self) -> Expectation:
        # -- expectation stage (resonance.expectation): metre and harmony ------
        return Expectation(
            frame_rate_hz=self._fr / _POOL,
            certainty_tau_s=self.config_.precision_tau_s,
            long_freqs_hz=self._fe.long_freqs_hz,
        )

    def _reference(self) -> None:
        """Energies of the two reference stimuli at the entry, before the connectome.

        * Onset path: an isochronous 120 BPM train of full-strength onsets in
          every band that no sink absorbs (an "unlearnable metronome").
        * Modulation path: a sinusoidal amplitude modulation of full depth at
          4 Hz in every band.

        Both are read at the auditory entry (no harmonics, no field
        response), so the units do not depend on the connectome: a
        connectome that couples better to sound builds more.  Cached per
        configuration for the process.
        """
        key = self.config_
        hit = _REFERENCE_CACHE.get(key)
        if hit is not None:
            self._ref_energy, self._ref_mod, self._ref_pulse = hit
            return
        B = self.config_.n_bands
        n = _STEP * int(np.ceil(40.0 * self._fr / _STEP))
        o = np.zeros((B, n))
        beats = np.arange(0.0, n / self._fr, 0.5)
        o[:, np.round(beats * self._fr).astype(int)] = 1.0
        _, _, _, bank, _, mfb = self._stages()
        pooled = o.reshape(B, -1, _POOL).mean(axis=2)
        z = bank.process(np.concatenate([pooled, pooled], axis=0))
        half = z.shape[2] // 2
        gain, _ = self._coherence(z[B:], None)
        zt = z[B:]
        entry = (gain * (zt.real**2 + zt.imag**2).sum(axis=0)).sum(axis=0)
        pulse = gain * self._loop_power(zt)
        t = np.arange(n) / self._fr
        env = np.ones((B + self._n_bin, n))
        env[:B] = 1.0 + np.sin(2.0 * np.pi * 4.0 * t)
        m = mfb.process(env)[:B]
        mgain, _ = self._mod_coherence(m, None)
        entry_mod = (mgain * m.sum(axis=0)).sum(axis=0)
        # Energies are reported in basis points (1/10,000) of the references.
        self._ref_energy = float(entry[half:].mean()) / _UNITS_PER_REFERENCE
        self._ref_mod = float(entry_mod[half:].mean()) / _UNITS_PER_REFERENCE
        self._ref_pulse = float(pulse[:, half:].sum(axis=0).mean())
        _REFERENCE_CACHE[key] = (self._ref_energy, self._ref_mod, self._ref_pulse)

    def reset(self) -> None:
        """Start a new stimulus: every stage returns to its blank state."""
        (self._fe_s, self._speech, self._sinks, self._bank, self._res, self._mfb) = self._stages()
        self._expect = self._expectation()
        B = self.config_.n_bands
        cfg = self.config_
        self._tol = TimingTolerance(n_bands=B, tolerance_frames=cfg.sink_tolerance_frames)
        self._peaks = EventPeaks(n_bands=B, pre=_POOL, post=_POOL)
        self._rec = None if cfg.recurrence_max_lag_s <= 0 else SectionRecurrence(
            n_bands=B, frame_rate_hz=self._fr / _POOL, min_lag_s=cfg.recurrence_min_lag_s,
            max_lag_s=cfg.recurrence_max_lag_s, tau_s=cfg.recurrence_tau_s,
            prior_events=cfg.recurrence_prior_events, block_frames=_STEP // _POOL,
        )
        self._o_buf = np.zeros((B, 0))
        self._f_buf = np.zeros((B, 0))  # band spectral flux, the metre model's onset function
        self._e_buf = np.zeros((B + self._n_bin, 0))
        self._l_buf = np.zeros((1, 0))
        self._mcoh_state = None
        self._pass_state = None
        self._msink = ModulationSink(
            n_bands=B, n_rates=self._mod_rates.size, step_s=_STEP / self._fr, tau_s=cfg.mod_sink_tau_s
        )
        self._s_buf = np.zeros(0)
        self._n_samples = 0
        self._acc = {
            "drive": 0.0, "absorbed": 0.0, "semantic": 0.0,
            "pulse_power": 0.0, "pulse_n": 0,
        }
        self._tempo_power = np.zeros(self._freqs.size)
        # Consonance of every n-th long frame, on its harmonic (non-percussive) part.
        self._cons = FrameAnalyzer(self._fe_s.long_freqs_hz, every=self.config_.consonance_every,
                                   memory=self.harmonic_memory_)
        self._rate_power = None  # (K, J) power of each mode at each rhythm rate
        self._sync = []  # (energy, order across regions x locking to the stimulus)
        self._osc = RegionalOscillators(**{k: v for k, v in self._osc_args.items() if k not in ("weights", "delays", "freqs_hz")},
                                        weights=self._osc_args["weights"], delays=self._osc_args["delays"],
                                        freqs_hz=self._osc_args["freqs_hz"])
        self._osc_amp = [0.0, 0]
        self._coh_state = None
        self._prec_state = None
        self._rate_state = None
        self._sync_state = None
        self._sync_prev = None
        self._frames_done = 0
        self._steps = {"sne": [], "absorbed": [], "neutral_power": [], "semantic": [], "mode_energy": []}

    # -- streaming ----------------------------------------------------------------
    def process(self, y: np.ndarray) -> int:
        """Feed the next block of mono or stereo audio at ``sr``.

        Parameters
        ----------
        y : ndarray, shape (n_samples,) or (2, n_samples)
            The next samples (mono, or left and right; a stream keeps the
            channel count of its first block).

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
        y = np.asarray(y)
        if y.dtype != np.float32:  # the front end analyses float32 as it is
            y = np.asarray(y, dtype=np.float64)
        frames = self._fe_s.process(y)
        self._n_samples += y.shape[-1]
        cfg = self.config_
        # Long frames: speech probability and consonance.
        if frames.spectrum.shape[1]:
            s = self._speech.process(frames.spectrum)
            self._s_buf = np.concatenate([self._s_buf, s])
            self._consonance(frames.spectrum)
            self._expect.process_spectrum(frames.spectrum)  # harmony (resonance.expectation)
        o = event_strength(frames.onset, jnd_db=cfg.onset_jnd_db, scale_db=cfg.onset_scale_db)
        if frames.binaural_onset is not None and frames.binaural_onset.shape[0]:
            # Binaural events (a binaural beat's swings of interaural
            # correlation) are events of their band, weaker by binaural_gain.
            ob = cfg.binaural_gain * event_strength(
                frames.binaural_onset, jnd_db=cfg.onset_jnd_db, scale_db=cfg.onset_scale_db
            )
            nb = ob.shape[0]
            o[:nb] = np.maximum(o[:nb], ob)
        # One event per onset, at its peak (resonance.events): pooled to the
        # sink frames, a note counts once wherever it falls on the grid.
        o = self._peaks.process(o)
        self._o_buf = np.concatenate([self._o_buf, o], axis=1)
        # The metre model's onset detection function: the bands' spectral flux
        # (SuperFlux, log-compressed; Boeck & Widmer 2013), in units of
        # onset_scale_db, so legato music's chord changes are onsets too.
        flux = frames.flux_db if frames.flux_db is not None else np.maximum(frames.onset, 0.0)
        f = flux / cfg.onset_scale_db
        self._f_buf = np.concatenate([self._f_buf, f], axis=1)
        if frames.envelope.shape[1]:
            env = np.concatenate([frames.envelope, 0.5 * (1.0 + frames.binaural)], axis=0)
            self._e_buf = np.concatenate([self._e_buf, env], axis=1)
            # Power of the whole sound per frame (re the hearing floor), for
            # the loudness weight of each model step.
            power = np.sum(10.0 ** (frames.level_db / 10.0), axis=0, keepdims=True)
            self._l_buf = np.concatenate([self._l_buf, power], axis=1)
        n_steps = min(self._o_buf.shape[1] // _STEP, self._s_buf.size // (_STEP // _LONG))
        if n_steps:
            self._advance(n_steps)
        return n_steps

    def _consonance(self, spectrum: np.ndarray) -> None:
        """Tonalness, roughness, harmonicity and consonance of every n-th long frame."""
        self._cons.process(spectrum)

    def _mode_rates(self, p_t: np.ndarray) -> None:
        """Accumulate the power of each mode at each rhythm rate (for mode consonance).

        The power of the whole drive, not of its neutral share: a harmonic
        oscillates at the rates of the rhythm that arrives, predicted or not
        (entrainment is strongest to a predictable rhythm: Lakatos et al.
        2008; Nozaradan et al. 2011).  What the sinks predict is absorbed from
        its energy (which harmonics are energised), not from its rates.
        """
        p = p_t.sum(axis=2)
        self._rate_power = p if self._rate_power is None else self._rate_power + p

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
        # The recurrence sink predicts from the period at which the stimulus
        # repeats itself (a loop, a metronome); the surer sink wins.
        recurring = np.zeros((B, n_steps))
        if self._rec is not None:
            # It learns what the band sinks leave unpredicted (the level
            # above them: resonance.loops) and adds its expectation to theirs.
            residual = np.maximum(pooled - sink_out.p, 0.0)
            sink_out = combine_predictions(sink_out, np.minimum(sink_out.p + self._rec.process(residual), 1.0))
            recurring = self._rec.reliability_.reshape(B, n_steps, -1).mean(axis=2)
        # Expectations are matched within the timing tolerance (sinks.py).
        expected, omitted_s = self._tol.process(sink_out.o, sink_out.p)
        p = np.repeat(expected, _POOL, axis=1)
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
        f = self._f_buf[:, :n_env]
        self._f_buf = self._f_buf[:, n_env:]
        pooled_f = f.reshape(B, -1, _POOL).max(axis=2)
        # The metre model hears the bands' spectral flux (onsets of percussive
        # and of legato music alike).
        certainty = self._expect.process_onsets(pooled_f)
        precision = self._precision(sink_out) * np.repeat(certainty, _POOL)[None, :]
        predicted = np.minimum(o, p)
        # Loudness weight of each step (0.37 s, about the 400 ms window of
        # momentary loudness, EBU R 128): Stevens' power law, loudness
        # doubles per 10 dB, 1 at loudness_ref_db; the same for every band,
        # so sounds of equal level weigh the same.  The power law applies to
        # each 23 ms frame before the step's average (compression before
        # temporal integration, as in the time-varying loudness of Glasberg
        # & Moore 2002 and ISO 532-1): sparse clicks are far less loud than
        # a sustained sound of the same energy.
        power = self._l_buf[0, :n_env].reshape(n_steps, _STEP)
        self._l_buf = self._l_buf[:, n_env:]
        frame_db = 10.0 * np.log10(np.maximum(power, 1e-30)) + self._fe_s.floor_db
        loud = np.exp2((frame_db - cfg.loudness_ref_db) / 10.0).mean(axis=1)
        loud_step = np.broadcast_to(loud, (B, n_steps))
        # Louder sound drives the cortex harder: the energy delivered to the
        # harmonics in each step is weighted by the step's loudness (the
        # sinks, the rhythm bank, tempo and the oscillators see the events
        # themselves, whatever their level).
        omitted = np.zeros_like(o)
        omitted[:, ::_POOL] = omitted_s
        error = ((o - predicted) ** 2 + omitted**2) * precision
        neutral = error * (1.0 - s)
        # -- end expectation ------------------------------------------------------
        total = o
        acc = self._acc
        acc["drive"] += float(o.sum())
        acc["absorbed"] += float((predicted * (1.0 - s)).sum())
        acc["semantic"] += float((o * s).sum())
        drive = np.concatenate([neutral, total], axis=0)
        drive = drive.reshape(2 * B, -1, _POOL).mean(axis=2)  # to the bank's rate
        z = self._bank.process(drive)  # (2B, J, n_steps)
        e_n, e_t, p_t, pulse, self._coh_state = self._mode_energy(z, self._coh_state)
        self._mode_rates(p_t)
        e_n = e_n * loud_step[:1]
        e_t = e_t * loud_step[:1]
        acc["pulse_power"] += float(pulse.sum())
        acc["pulse_n"] += pulse.shape[1]
        # Tempo: periodicity salience of the whole drive weighted by the pulse
        # resonance (van Noorden & Moelants 1999), without the coherence gain
        # (which grows with power and would count the strongest line twice).
        zt_sum = z[B:].sum(axis=0)
        self._tempo_power += (zt_sum.real**2 + zt_sum.imag**2).sum(axis=1)
        # Modulation path: the envelopes' modulation spectra (and the
        # binaural fluctuation) drive the harmonics through their field
        # response.  What the onset sinks predict of a band, and what is
        # speech, is taken from the band's neutral share.
        env = self._e_buf[:, :n_env]
        self._e_buf = self._e_buf[:, n_env:]
        s_step = s.reshape(n_steps, _STEP).mean(axis=1)
        # Modulation made of events that the sinks predict, or that recur at
        # the band's period (a loop, a metronome), is predicted with them:
        # only the share of the band's events that no sink predicted passes,
        # and of that, only what the modulation sink did not expect
        # (_mod_energy).  A band without events passes its modulation to the
        # modulation sink (AM noise, a beating drone).
        pass_b = self._pass_share(predicted, o) * (1.0 - recurring)  # (B, n_steps)
        m_n, m_t = self._mod_energy(self._mfb.process(env), pass_b * (1.0 - s_step)[None] * loud_step, loud_step)
        w = cfg.modulation_weight
        p_n = e_n / self._ref_energy + w * m_n / self._ref_mod
        p_t = e_t / self._ref_energy + w * m_t / self._ref_mod
        stored = self._res.process(np.concatenate([p_n, p_t], axis=0))
        K = e_n.shape[0]
        sne_modes = stored[:K]
        tot_modes = stored[K:]
        st = self._steps
        st["mode_energy"].append(sne_modes.astype(np.float32))
        st["sne"].append(sne_modes.sum(axis=0))
        st["absorbed"].append(np.maximum(tot_modes.sum(axis=0) - sne_modes.sum(axis=0), 0.0))
        st["neutral_power"].append(p_n.sum(axis=0))
        st["semantic"].append(s_step)
        self._synchrony(z, o)
        self._frames_done += n_env

    def _pass_share(self, predicted: np.ndarray, o: np.ndarray) -> np.ndarray:
        """Share of each band's events that its sinks did not predict, per step.

        ``1 - sum(predicted) / (sum(o) + e)`` over running sums of
        ``coherence_tau_s``, with ``e`` = :data:`_PASS_EVENTS` events per
        step.  The band's envelope modulation (and binaural fluctuation)
        is absorbed in the same share: modulation made of learned events
        goes with them (an exact loop, a metronome).  A band with (almost)
        no events passes its modulation (a beating drone, amplitude-
        modulated noise); what of it passes is then decided by the
        :class:`~resonance.sinks.ModulationSink`, which learns the
        modulation itself.
        """
        B = o.shape[0]
        n = o.shape[1] // _STEP
        ps = predicted.reshape(B, n, _STEP).sum(axis=2)
        os_ = o.reshape(B, n, _STEP).sum(axis=2)
        both = np.concatenate([ps, os_], axis=0)
        a = self._coh_a
        zi = np.zeros((2 * B, 1)) if self._pass_state is None else self._pass_state
        avg, self._pass_state = lfilter([1.0 - a], [1.0, -a], both, axis=1, zi=zi)
        return 1.0 - avg[:B] / (avg[B:] + _PASS_EVENTS)

    def _mod_coherence(self, m: np.ndarray, state):
        """Coherence gain of the modulation spectrum, per rate and step.

        The summed modulation power in each (constant-Q) filter, averaged
        over ``coherence_tau_s``, divided by the floor around it: the median
        of the :data:`_MOD_FLOOR_FILTERS` filters centred on it (one octave
        either side).  The gain is the excess of that ratio over 1.  A
        modulation concentrated at a few rates (a beat, an AM line, a
        rhythm) stands out at its rate, whatever the rate; the intrinsic
        fluctuation of noise, whose relative modulation power is about the
        same in every filter and varies slowly with rate, gives ~0.  Unlike
        the onset path, no precision weighting removes unpredictable drive
        here, so only the coherent excess counts.
        """
        cfg = self.config_
        dens = m.sum(axis=0)  # (R, n): power per constant-Q filter
        a = self._coh_a
        first = a * dens[:, :1] if state is None else state
        avg, state = lfilter([1.0 - a], [1.0, -a], dens, axis=1, zi=first)
        floor = median_filter(avg, size=(_MOD_FLOOR_FILTERS, 1), mode="mirror")
        ratio = avg / (cfg.normalization_floor + floor)
        excess = np.maximum(ratio - 1.0, 0.0)
        gain = excess if cfg.normalization_exponent == 1.0 else excess**cfg.normalization_exponent
        return gain, state

    def _mod_energy(self, m: np.ndarray, neutral_w: np.ndarray, total_w: np.ndarray):
        """Energy that the modulation spectra deliver to each harmonic.

        Parameters
        ----------
        m : ndarray, shape (B + B_bin, R, n)
            Relative modulation power of the band envelopes, then of the
            binaural channels (:class:`~resonance.hearing.ModulationFilterbank`).
        neutral_w, total_w : ndarray, shape (B, n)
            Share of each band's events that no sink predicted (times the
            non-speech share) times its loudness weight, and the loudness
            weight alone.  The neutral energy is made of the modulation
            sink's prediction error (:class:`~resonance.sinks.ModulationSink`),
            the total of the modulation itself.

        Returns
        -------
        m_n, m_t : ndarray, shape (K, n)
            Neutral and total energy per harmonic: for each rate, the
            band's power enters its tonotopic patch (bands add as powers),
            passes the harmonic's field response ``|T_k(f)|^2``, and is
            weighted by the coherence gain.
        """
        cfg = self.config_
        B = cfg.n_bands
        # Saturating transduction of the relative modulation power (full
        # modulation, m^2 = 1, gives one half; sparse clicks, whose m^2 is
        # far above 1, cannot exceed 1): the compression of envelope
        # fluctuations by auditory adaptation (Dau et al. 1997's adaptation
        # loops limit the response to large, fast changes).
        m = m / (1.0 + m)
        bands = m[:B].copy()
        nb = m.shape[0] - B
        if nb:
            bands[:nb] += cfg.binaural_gain**2 * m[B:]
        gain, self._mcoh_state = self._mod_coherence(bands, self._mcoh_state)
        # What the modulation sink expected of each band and rate is
        # absorbed; its prediction error passes (sinks.ModulationSink).
        surprise = self._msink.process(bands)
        R, n = bands.shape[1], bands.shape[2]
        K = self._aud2.shape[0]
        g = self._mod_gain[:, :, None] * gain[None]  # (K, R, n)
        tot = (self._aud2 @ (bands * total_w[:, None, :]).reshape(B, -1)).reshape(K, R, n)
        neu = (self._aud2 @ (surprise * neutral_w[:, None, :]).reshape(B, -1)).reshape(K, R, n)
        return (g * neu).sum(axis=1), (g * tot).sum(axis=1)

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
        p_t : ndarray, shape (K, J, n)
            Power of the total drive's amplitude of each mode at each rhythm frequency.
        pulse : ndarray, shape (J, n)
            Coherent power of the auditory-motor pulse loop (total drive) at
            each rhythm frequency.
        state : ndarray, shape (K, J)
            Updated time-averaged spectral density.
        """
        cfg = self.config_
        B = cfg.n_bands
        zn, zt = z[:B], z[B:]
        K, J, n = self._transfer.shape[0], zn.shape[1], zn.shape[2]
        # Coherence gain of the stimulus at the entry (see _coherence).
        gain, state = self._coherence(zt, state)  # (J, n)
        # Auditory-motor loop: band-summed rhythm through the pulse resonance,
        # entering at the premotor regions.
        loop_n = zn.sum(axis=0) * self._pulse_gain[:, None]
        loop_t = zt.sum(axis=0) * self._pulse_gain[:, None]
        # Auditory entry (tonotopic projection of each band) plus the loop, for
        # the neutral and the total drive: one real product on the (re, im)
        # pairs; each harmonic's response |T_k(f)|^2 then scales the power.
        entry = np.concatenate([self._coupling.auditory, cfg.motor_gain * self._coupling.motor[:, None]], axis=1)
        drive = np.empty((B + 1, 2, J, n), dtype=complex)
        drive[:B, 0], drive[B, 0], drive[:B, 1], drive[B, 1] = zn, loop_n, zt, loop_t
        a = entry @ drive.reshape(B + 1, -1).view(np.float64)
        a *= a
        power = (a[:, 0::2] + a[:, 1::2]).reshape(K, 2, J, n)
        power *= (self._transfer.real**2 + self._transfer.imag**2)[:, None, :, None]
        e = np.einsum("jn,kcjn->kcn", gain, power)
        e_n, e_t = e[:, 0], e[:, 1]
        # Coherent pulse power of the loop.
        pulse = gain * (loop_t.real**2 + loop_t.imag**2)
        return e_n, e_t, power[:, 1], pulse, state

    def _loop_power(self, zt: np.ndarray) -> np.ndarray:
        loop = zt.sum(axis=0) * self._pulse_gain[:, None]
        return loop.real**2 + loop.imag**2

    def _coherence(self, zt: np.ndarray, state):
        """Coherence gain of the stimulus's rhythm, per rhythm frequency and step.

        Energy piles up in a resonance only where the sensory drive is
        persistently concentrated: the drive's spectral density summed over
        the bands (power per bandwidth, so that irregular drive is flat),
        averaged over ``coherence_tau_s``, is divided by its mean over the
        rhythm frequencies (divisive normalisation, Carandini & Heeger 2012).
        Periodic drive keeps its lines in place and gains; irregular drive
        has wandering peaks that average out to ~1.  It is measured on the
        stimulus at the entry, so it does not cancel the harmonics' own
        response.
        """
        cfg = self.config_
        dens = (zt.real**2 + zt.imag**2).sum(axis=0) / self._freqs[:, None]  # (J, n)
        a = self._coh_a
        first = a * dens[:, :1] if state is None else state
        avg, state = lfilter([1.0 - a], [1.0, -a], dens, axis=1, zi=first)
        ratio = avg / (cfg.normalization_floor + avg.mean(axis=0, keepdims=True))
        gain = ratio if cfg.normalization_exponent == 1.0 else ratio**cfg.normalization_exponent
        return gain, state

    def _synchrony(self, z: np.ndarray, o: np.ndarray) -> None:
        """Drive the regional oscillators; record their phase locking.

        Parameters
        ----------
        z : ndarray, shape (2 B, J, n_steps)
            Rhythm-bank amplitudes (the stimulus's phase at each frequency
            comes from the total band channels).
        o : ndarray, shape (B, n_env)
            Event strength per band and envelope frame (total drive).

        Synchrony is measured on the oscillators, i.e. on what the stimulus
        does to the regions: at each oscillator frequency, the Kuramoto
        (1984) order parameter of the regions (amplitude-weighted) times the
        phase-locking value over time of each region's oscillation
        (Lachaux et al. 1999), averaged over ``sync_tau_s``.  Steps are
        weighted by the oscillators' energy.
        """
        B = self.config_.n_bands
        n_env = o.shape[1]
        u_b = np.concatenate([o, o.sum(axis=0, keepdims=True)], axis=0)  # (B+1, n_env)
        u_b = u_b.reshape(B + 1, n_env // _OSC, _OSC).sum(axis=2)
        u = (self._osc_entry @ u_b)[:, None, :]  # (R, 1, n_osc)
        pre = self._osc.state.copy()
        states = self._osc.process(u)  # (R, F, n_osc)
        # Phase of each oscillator just before each step's drive arrives.
        before = np.concatenate([pre[..., None], states[..., :-1]], axis=2)
        ph = before * (1.0 / np.maximum(np.abs(before), 1e-300))
        # Stimulus-locked phase consistency (the inter-trial phase coherence
        # of evoked responses): the drive-weighted mean phasor of the phase
        # at which events arrive, over ``sync_tau_s``, against the drive plus
        # a prior of _SYNC_PRIOR_EVENTS full events.  Events on a steady
        # rhythm find an entrained oscillator at the same phase every time;
        # irregular events find it anywhere.
        a = self._sync_a_osc
        R = u.shape[0]
        if self._sync_state is None:
            self._sync_state = (np.zeros(ph.shape[:2], dtype=complex), np.zeros((R, 1)))
        per = _STEP // _OSC
        # Read at the model steps only; the drive's running sum is the same
        # at every frequency: averaged once.
        num, num_state = _step_average(u * ph, a, per, self._sync_state[0])
        den, den_state = _step_average(u, a, per, self._sync_state[1])
        self._sync_state = (num_state, den_state)
        prior = (1.0 - a) * _SYNC_PRIOR_EVENTS
        x = states[:, :, per - 1 :: per]  # (R, F, n_steps) at the model steps
        plv = np.abs(num) / (den + prior)
        order = kuramoto_order(x, axis=0)  # (F, n)
        xe = x.real**2 + x.imag**2  # (R, F, n)
        locked_time = (xe * plv).sum(axis=0) / np.maximum(xe.sum(axis=0), 1e-300)
        locked = order * locked_time
        energy = xe.sum(axis=0)  # (F, n)
        self._sync.append(np.stack([energy.sum(axis=0), (energy * locked).sum(axis=0)], axis=1))
        amp2 = (states.real**2 + states.imag**2).mean(axis=(0, 1))
        self._osc_amp[0] += float(amp2.sum())
        self._osc_amp[1] += amp2.size

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
        c = self._cons.summary()
        mean_modes = mode_energy.mean(axis=1).astype(float)
        mc = self._mode_consonance(mean_modes)
        sync = np.concatenate(self._sync) if self._sync else np.zeros((0, 2))
        # Energy-weighted locking, times how strongly the oscillators are
        # driven at all (rms amplitude A against OSC_HALF_AMPLITUDE): regions
        # that the stimulus leaves at rest are not synchronised by it.
        amp = float(np.sqrt(self._osc_amp[0] / max(self._osc_amp[1], 1)))
        presence = amp / (amp + _OSC_HALF_AMPLITUDE)
        synchrony = float(sync[:, 1].sum() / sync[:, 0].sum()) * presence if sync.size and sync[:, 0].sum() > 0 else 0.0
        regions, regional_share = self._top_regions(mean_modes)
        score, score_window_s, hab = self._headline(timeline["neutral_power"], dt)
        expect = self._expect.metrics()
        tempo_bpm, pulse_salience = self._tempo()
        # The pulse is the metre model's period, reported where there is one:
        # a salient periodicity, or onsets that fall on the predicted beats
        # beyond chance (legato, soft onsets) in sound that is not speech.
        metre_tempo = expect.pop("metre_tempo_bpm")
        on_beat = expect.pop("metre_pulse_z") >= self.config_.tempo_min_pulse_z and acc["semantic"] / drive <= 0.5
        tempo_bpm = metre_tempo if (tempo_bpm is not None or on_beat) else None
        metrics = {
            "consonance": c["consonance"],
            "roughness": c["roughness"],
            "harmonicity": c["harmonicity"],
            "tonalness": c["tonalness"],
            "familiarity": c["familiarity"],
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
            "habituation": hab,
            "score_window_s": score_window_s,
        }
        return ScoreResult(
            duration_s=self._n_samples / self.sr,
            score=score,
            metrics=metrics,
            arc=arc_metrics(sne, dt_s=dt, threshold=self.config_.arc_threshold),
            timeline=timeline,
            harmonics_level=str(getattr(self.harmonics, "level", "vertex")),
            regions=regions,
            mode_frequencies_hz=self._mode_freqs,
        )

    def _headline(self, neutral_power: np.ndarray, dt: float):
        """Duration-independent score, the seconds it was read over, and habituation.

        The score is the reservoir's equilibrium level, the mean neutral
        power delivered after ``settle_s`` (:func:`~resonance.metrics.equilibrium_score`);
        habituation is the relative fall of the delivered power from the
        first to the last ``reservoir_tau_s`` of the settled stretch
        (:func:`~resonance.metrics.habituation`).  See :mod:`resonance.metrics`.
        """
        cfg = self.config_
        score, window_s = equilibrium_score(neutral_power, dt_s=dt, settle_s=cfg.settle_s)
        hab = habituation(neutral_power, dt_s=dt, settle_s=cfg.settle_s, window_s=cfg.reservoir_tau_s)
        return score, window_s, hab

    def _mode_consonance(self, mean_modes: np.ndarray) -> float | None:
        """Consonance among the energised harmonics (the valence proxy).

        The energised harmonics are the strongest modes that together hold
        ``energised_share`` of the neutral energy (at most
        ``max_energised_modes``; the constant mode, which does not
        oscillate, excluded).  What is measured is the set of rates at which
        they oscillate under this stimulus: their summed power (from the
        whole drive, see :meth:`_mode_rates`) at each
        rhythm rate of the bank (0.5-8 Hz), whose peaks are treated as
        partials and passed through the same roughness and harmonicity as
        sound (:func:`~resonance.consonance.mode_consonance`).  Rates in
        simple ratios (a beat and its subdivisions, 3:2 polyrhythms) are
        consonant; rates near the golden ratio, or a smear of rates, are
        not.  ``None`` when the harmonics were not driven at all.
        """
        cfg = self.config_
        ringing = np.flatnonzero(self._mode_freqs > 0)
        e = mean_modes[ringing]
        if self._rate_power is None or e.sum() <= 0:
            return None
        order = np.argsort(e)[::-1]
        cum = np.cumsum(e[order]) / e.sum()
        n = min(int(np.searchsorted(cum, cfg.energised_share)) + 1, cfg.max_energised_modes)
        keep = ringing[order[:max(n, 2)]]
        power = self._rate_power[keep].sum(axis=0)
        if not power.max() > 0:
            return None
        # Peaks of the rate spectrum (within 30 dB of the strongest), refined
        # by a parabola on the log-log axes of the bank.
        logf = np.log(self._freqs)
        lp = np.log(np.maximum(power, power.max() * 1e-12))
        inner = (lp[1:-1] > lp[:-2]) & (lp[1:-1] >= lp[2:]) & (power[1:-1] >= 1e-3 * power.max())
        idx = np.flatnonzero(inner) + 1
        if idx.size == 0:
            idx = np.array([int(np.argmax(power))])
        f_hz, p = [], []
        for i in idx:
            shift = 0.0
            if 0 < i < lp.size - 1:
                den = lp[i - 1] - 2 * lp[i] + lp[i + 1]
                if den < 0:
                    shift = float(np.clip(0.5 * (lp[i - 1] - lp[i + 1]) / den, -0.5, 0.5))
            f_hz.append(float(np.exp(logf[i] + shift * (logf[min(i + 1, lp.size - 1)] - logf[i]))))
            p.append(float(power[i]))
        return float(mode_consonance(np.array(f_hz), np.array(p))["consonance"])

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


def _step_average(x: np.ndarray, a: float, per: int, last: np.ndarray):
    """Exponential running average along the last axis, read every ``per`` samples.

    ``y[n] = a y[n-1] + (1 - a) x[n]`` (``scipy.signal.lfilter([1 - a], [1, -a], x)``)
    at samples ``per - 1, 2 per - 1, ...``: each group of ``per`` samples is
    summed with weights ``(1 - a) a^(per-1-q)``, and the groups are averaged
    with ``a^per`` (the same values up to rounding, at 1/``per`` of the
    filtering cost).  ``last`` is ``y`` before the first sample (shape of
    ``x`` without its last axis); returns the values read, shape
    ``x.shape[:-1] + (n / per,)``, and ``y`` after the last sample.
    """
    n = x.shape[-1]
    w = (1.0 - a) * a ** np.arange(per - 1, -1, -1, dtype=float)
    g = x.reshape(x.shape[:-1] + (n // per, per)) @ w
    y, _ = lfilter([1.0], [1.0, -(a**per)], g, axis=-1, zi=(a**per) * last[..., None])
    return y, y[..., -1]


def score_signal(y: np.ndarray, sr: int, *, harmonics, config: ModelConfig | None = None, block_s: float = 10.0):
    """Score a signal held in memory.

    Parameters
    ----------
    y : ndarray, shape (n_samples,) or (n_channels, n_samples)
        Audio.  Two channels are the left and right ear (the binaural stage
        compares them); more than two are mixed down to mono.
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
        If the audio is empty, silent, holds NaN/inf or samples beyond
        :data:`resonance.validation.MAX_SAMPLE_ABS` (one validator,
        :func:`resonance.validation.check_audio`), or ``sr`` is not an audio
        sample rate (8 to 768 kHz).
    """
    import soxr

    y = check_audio(y, name="y")
    if y.ndim == 2 and y.shape[0] == 1:
        y = y[0]
    elif y.ndim == 2 and y.shape[0] > 2:
        y = y.mean(axis=0)  # more than two channels: no ears to assign; mix down
    if np.max(np.abs(y)) < 1e-7:
        raise ParameterError("y is silent; nothing to score")
    sr = check_sample_rate("sr", sr)
    if sr != MODEL_SR:
        y = soxr.resample(y.T, sr, MODEL_SR, quality="HQ").T if y.ndim == 2 else soxr.resample(y, sr, MODEL_SR, quality="HQ")
    scorer = Scorer(harmonics, config=config)
    step = max(1, int(block_s * MODEL_SR))
    for i in range(0, y.shape[-1], step):
        scorer.process(y[..., i : i + step])
    return scorer.result()

