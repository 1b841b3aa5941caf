"""Every constant of the model in one frozen dataclass, :class:`ModelConfig`.

Each field says whether it is a literature value (with its source) or an
engineering choice.  The stages take their constants from it
(:class:`~resonance.scorer.Scorer` hands each stage its part; see
:data:`SECTIONS`); none is fitted to a test or a rating data set.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .validation import check_float, check_int

__all__ = ["ModelConfig", "SECTIONS"]


@dataclass(frozen=True)
class ModelConfig:
    """Every constant of the model, with its source.

    Parameters
    ----------
    n_bands : int
        Cochlear bands (tonotopic entry channels).  Engineering choice (8
        ERB-spaced bands, 40 Hz-10 kHz: coarse tonotopy at low cost).
    sink_memory_s : float
        Reach of the sinks' history (s); see :class:`~resonance.expectation.sinks.OnsetSinks`.
        Engineering choice (about two bars at 120 BPM).
    sink_learning_rate : float
        Delta-rule step of the sinks.  With 20, a metronome is mostly absorbed
        within ~10 s and an exactly repeated drum bar over ~3 minutes
        (docs/model.md: repetition habituates over minutes).  Engineering
        choice.
    sink_tolerance_frames : int
        Timing tolerance of the sinks' expectations in sink frames (23 ms
        each; :class:`~resonance.expectation.sinks.TimingTolerance`): an event up to one
        frame late is absorbed by its expectation, an expectation met within
        one frame is not an omission.  One frame, 23 ms, is close to the
        just-noticeable displacement of a tone in an isochronous sequence at
        500 ms intervals (2.5-5 %, 12-25 ms: Friberg & Sundberg 1995; Repp
        2005).  Literature value rounded to the sink grid.
    recurrence_min_lag_s, recurrence_max_lag_s : float
        Range of periods at which the recurrence sink
        (:class:`~resonance.expectation.loops.SectionRecurrence`) looks for the whole
        sound repeating itself as a section.  4 s: the reach of the band
        sinks (``sink_memory_s``), which already predict what recurs within
        a bar or two (engineering choice, tied to that constant).  12 s:
        listeners learn a cyclically repeated noise for cycles up to
        ~10-20 s (Kaernbach 2004; literature value).  On by default since
        session 6: it tells a sound that recurs exactly (a loop) from one
        that does not, which decides how the band sinks forget
        (``sink_forgetting_tau_s``); a 10.3 s loop of a real rock mix
        scores a quarter of the mix instead of a third above it.  0 switches
        it off.  The sink learns the band sinks' residual with one lag for
        all bands, so a varied groove's steady backbeat is not taken for a
        loop (docs/model.md, "Recurrence sink").
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
        (:class:`~resonance.hearing.frontend.FrontEnd`, Jesteadt, Bacon & Lehman
        1982): a rise counts only above the highest level of the last 50 ms.
        Literature value.
    onset_jnd_db, onset_scale_db : float
        Event-strength transduction (:func:`~resonance.expectation.sinks.event_strength`):
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
        (:mod:`resonance.harmonics.field`); ``None`` uses the values stored in the
        harmonics (literature: Pang et al. 2023, gamma = 116 /s,
        r = 28.9 mm).  The loop gains and delay are the published values of
        :class:`resonance.harmonics.field.FieldParameters`.
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
        Periodicity salience (the ``pulse_salience`` metric: its peak over
        its median over the candidate pulse rates, 0.5-4 Hz) below which
        the drive's own periodicity has no pulse.  It no longer decides
        ``tempo_bpm`` (``tempo_min_pulse_z`` does): the beating of a
        sustained semitone cluster reaches a salience of 3.9, because
        amplitude modulation makes periodic level rises.  Measured on 30 s
        signals: click trains (60-120 BPM) and grooves 4.2-12; white noise,
        steady tones, espeak speech and random onsets 1.8-1.9.  Engineering
        choice.
    tempo_min_pulse_z : float
        A pulse (``tempo_bpm``) is reported only where the onsets fall where
        the metre model predicted beats, beyond chance,
        by at least this many standard errors
        (:meth:`~resonance.expectation.metre.MetreModel.pulse_z`: the
        correlation of each frame's accent with the beat expectation formed
        before it): percussive music, and legato music and soft-onset
        instruments (organ, bowed strings), whose events are weak
        spectral-flux changes rather than level rises.  Accents independent of the past (noise, random
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
        shorter).  10 s: longer than ``coherence_tau_s`` (8 s) and about
        five bars at 120 BPM, within which listeners settle on a beat and
        metre (Toiviainen & Snyder 2003).  Engineering choice.  Until
        session 6 not every stage had settled by then: the band sinks kept
        learning a varied groove for minutes, so the same music read lower
        later (20 s excerpts 1.07, the 180 s excerpt 0.90 over 10-160 s of
        grooves of seeds 0-3); they now forget sound that does not recur
        (``sink_forgetting_tau_s``; docs/model.md, "Duration").
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
        (:func:`~resonance.hearing.consonance.analyze_spectrum`).
    mod_fmin_hz, mod_fmax_hz, mod_per_octave, mod_q
        The modulation filterbank (:mod:`resonance.hearing.modulation`):
        0.5-64 Hz, the range of docs/model.md; half-octave spacing and Q = 2
        after Dau, Kollmeier & Kohlrausch (1997) (literature values; the
        half-octave spacing is an engineering choice between their octave
        spacing and denser banks).
    mod_sink_tau_s : float
        Memory of the modulation sink (:class:`~resonance.expectation.sinks.ModulationSink`),
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
    sink_precision_exponent : float
        How much the band sinks' own realised precision
        (:class:`~resonance.expectation.precision.SinkPrecision`, their
        information gain over the band's event rate) weights their prediction
        errors, as ``sink_precision ** sink_precision_exponent`` times the
        metre certainty.  0 (default): the precision of a rhythmic
        prediction error is the metre model's certainty alone, as in the
        predictive coding of rhythm (Vuust & Witek 2014; Koelsch, Vuust &
        Friston 2019) and MODEL.md section 2.7; the band sinks absorb what
        they predict, and what they cannot read passes.  1: the product used
        until session 5, which weights down exactly the drive the sinks
        cannot read (on recorded mixes their precision is 0.002-0.14 against
        0.6-0.8 on synthetic grooves; docs/model.md "Why real mixes scored
        low").  Engineering choice between two readings of precision in
        the literature (0 or 1; not fitted to any file or rating).
    sink_forgetting_tau_s : float
        How long the band sinks (:class:`~resonance.expectation.sinks.OnsetSinks`)
        keep what they learned of sound that does not recur (s): their
        weights decay towards the blank prior with this time constant, gated
        by the novelty of the recent sound
        (:meth:`~resonance.expectation.absorption.OnsetAbsorption._learn_with_recurrence`):
        with new events (a varied groove) they forget over it, a section
        that recurs exactly (a loop) is kept and learned on.  The long
        auditory store holds sound in a partly processed form for 10-20 s
        or more (Cowan 1984; Winkler & Cowan 2005); 20 s, the upper end of
        that range, is used (literature range).  Both ends were measured
        and both hold the duration facts: the same-music control reads
        max/min 1.02-1.09 over seeds 0-3 at 10 s (scores 10-25 % higher,
        exact loop's habituation 0.66) and 1.02-1.11 at 20 s (0.65).
        Without the recurrence sink the decay is not gated.  0: a decay of
        1e-4 per 0.37 s block (about an hour), the model until session 5,
        whose sinks kept learning a varied groove for minutes, so the same
        music read lower the longer the model had listened (docs/model.md,
        "Duration").
    """

    n_bands: int = 8
    sink_memory_s: float = 4.0
    sink_learning_rate: float = 20.0
    sink_tolerance_frames: int = 1
    recurrence_min_lag_s: float = 4.0
    recurrence_max_lag_s: float = 12.0
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
    sink_precision_exponent: float = 0.0
    sink_forgetting_tau_s: float = 20.0

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
        check_float("sink_precision_exponent", self.sink_precision_exponent, low=0.0, high=4.0)
        check_float("sink_forgetting_tau_s", self.sink_forgetting_tau_s, low=0.0, high=36000.0)
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


#: The config's fields by the stage that reads them (docs/model.md); a field
#: added to :class:`ModelConfig` belongs in one section.
SECTIONS = {
    "hearing": (
        "n_bands", "onset_hold_s", "onset_jnd_db", "onset_scale_db", "binaural_gain", "mod_fmin_hz",
        "mod_fmax_hz", "mod_per_octave", "mod_q", "loudness_ref_db", "consonance_every",
    ),
    "expectation": (
        "sink_memory_s", "sink_learning_rate", "sink_tolerance_frames", "recurrence_min_lag_s",
        "recurrence_max_lag_s", "recurrence_tau_s", "recurrence_prior_events", "precision_tau_s", "mod_sink_tau_s",
        "sink_precision_exponent", "sink_forgetting_tau_s",
    ),
    "dynamics": (
        "bank_fmin_hz", "bank_fmax_hz", "bank_per_octave", "bank_q", "pulse_period_s", "pulse_damping_ratio",
        "motor_gain", "reservoir_tau_s", "oscillator_q", "oscillator_saturation_per_s", "oscillator_coupling_per_s",
        "conduction_speed_mm_per_s", "sync_tau_s",
    ),
    "harmonics": (
        "gamma_per_s", "r_mm", "normalization_floor", "coherence_tau_s", "normalization_exponent", "modulation_weight",
    ),
    "metrics": (
        "tempo_min_salience", "tempo_min_pulse_z", "settle_s", "arc_threshold", "energised_share", "max_energised_modes",
    ),
}
