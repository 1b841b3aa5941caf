"""The scorer: audio in, semantically-neutral energy out, composed from the stages.

:class:`Scorer` feeds each block through the stages of docs/model.md, each a
streaming object with ``process`` and ``reset``:

1. Hearing (:mod:`resonance.hearing`): :class:`~resonance.hearing.FrontEnd`
   (cochlear bands, onset drive, spectral flux, binaural stage, long
   spectra), :class:`~resonance.hearing.EventPeaks` (one event per onset),
   :class:`~resonance.hearing.ModulationFilterbank` (modulation spectra)
   and consonance (:mod:`resonance.hearing.consonance`).
2. Expectation (:mod:`resonance.expectation`): the innate
   :class:`~resonance.expectation.SpeechDetector`, the
   :class:`~resonance.expectation.OnsetSinks` (and the optional
   :class:`~resonance.expectation.SectionRecurrence`) that learn the
   stimulus from scratch and absorb what they predict, their precision
   (:mod:`resonance.expectation.precision`), the metre and harmony models
   (:class:`~resonance.expectation.Expectation`) and the
   :class:`~resonance.expectation.ModulationSink`.
3. Dynamics (:mod:`resonance.dynamics`): the :class:`~resonance.dynamics.RhythmBank`
   (resonance of the drive's rhythm), the :class:`~resonance.dynamics.Reservoir`
   of each harmonic, and the regional Stuart-Landau oscillators
   (:class:`~resonance.dynamics.synchrony.Synchrony`).
4. Harmonics (:mod:`resonance.harmonics`): the onset and modulation paths
   into each harmonic through the connectome's entry regions
   (:mod:`resonance.connectome`) and the corticothalamic field response
   (:mod:`resonance.harmonics.drive`).
5. Metrics (:mod:`resonance.metrics`): score, habituation, arc, tempo,
   mode consonance, top regions.

The same objects run offline on a file (:func:`score_signal`,
:func:`resonance.io.scoring.score_file`) and online block by block
(:meth:`Scorer.process`): a file scored in one call or in any split of blocks
gives the same result.

Units.  Energies are in basis points (1/10,000) of two fixed reference stimuli read at the
auditory entry, before the connectome (so the units do not depend on it): an
unlearnable 120 BPM train of full-strength onsets in every band (onset path)
and a full-depth 4 Hz amplitude modulation in every band (modulation path)
(:func:`entry_references`).
The score is the reservoir's equilibrium level, the mean neutral power
delivered once the model has settled (:mod:`resonance.metrics`): a property of
the stimulus, not of the excerpt's length; ``habituation`` reports how much the
stimulus wears off.  See docs/model.md.
"""

from __future__ import annotations

import functools

import numpy as np
from threadpoolctl import ThreadpoolController

from .config import ModelConfig
from .connectome.coupling import entry_coupling, regional_projection
from .dynamics import Reservoir, RhythmBank, bank_frequencies_hz, effective_pulse_response
from .dynamics.synchrony import Synchrony
from .errors import ParameterError
from .expectation import Expectation
from .expectation.absorption import OnsetAbsorption
from .expectation.precision import PassShare
from .expectation.semantic import SpeechDetector
from .expectation.sinks import ModulationSink, event_strength
from .harmonics.drive import ModulationDrive, OnsetDrive, modulation_coherence, rhythm_coherence
from .harmonics.field import FieldParameters, channel_transfer_power, corticothalamic_transfer
from .hearing.consonance import FrameAnalyzer, HarmonicSeparator, resolve_memory
from .hearing.events import EventPeaks
from .hearing.frontend import MODEL_SR, FrontEnd
from .hearing.modulation import ModulationFilterbank, modulation_rates_hz
from .metrics import arc_metrics, headline, rate_consonance, tempo, top_regions
from .result import ScoreResult
from .validation import check_audio, check_sample_rate

__all__ = ["Scorer", "entry_references", "score_signal"]

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


class _Timing:
    """Rates and shapes that follow from the config and the model rate (no connectome)."""

    def __init__(self, cfg: ModelConfig, sr: int):
        fe = FrontEnd(sr=sr, n_bands=cfg.n_bands, onset_hold_s=cfg.onset_hold_s, binaural_gain=cfg.binaural_gain)
        fe._setup()
        self.fe = fe
        fr = fe.frame_rate_hz
        self.fr = fr
        self.freqs = bank_frequencies_hz(
            fmin_hz=cfg.bank_fmin_hz,
            fmax_hz=cfg.bank_fmax_hz,
            per_octave_low=cfg.bank_per_octave,
            per_octave_high=cfg.bank_per_octave,
            split_hz=cfg.bank_fmax_hz,
        )
        rates = modulation_rates_hz(fmin_hz=cfg.mod_fmin_hz, fmax_hz=cfg.mod_fmax_hz, per_octave=cfg.mod_per_octave)
        self.mod_rates = rates[rates < fr / 2.0]
        self.n_bin = fe.n_binaural_bands
        # The auditory-motor loop: the band-summed rhythm, filtered by the
        # pulse resonance, enters at the premotor regions.  Its response is
        # complex-free here (magnitude only): the loop's delay is not modelled.
        self.pulse_gain = np.maximum(
            effective_pulse_response(self.freqs, period_s=cfg.pulse_period_s, damping_ratio=cfg.pulse_damping_ratio),
            0.0,
        )
        self.coh_a = float(np.exp(-(_STEP / fr) / cfg.coherence_tau_s))

    def bank(self, cfg: ModelConfig) -> RhythmBank:
        # The bank's resonators stop at bank_fmax_hz (<= 8 Hz by default), so
        # it runs on the drive pooled to the sink rate (43 Hz).
        return RhythmBank(
            fs_hz=self.fr / _POOL, freqs_hz=self.freqs, q=cfg.bank_q, decimate=_STEP // _POOL, n_channels=2 * cfg.n_bands
        )

    def filterbank(self, cfg: ModelConfig) -> ModulationFilterbank:
        return ModulationFilterbank(
            fs_hz=self.fr, rates_hz=self.mod_rates, q=cfg.mod_q, step=_STEP, n_channels=cfg.n_bands + self.n_bin,
        )


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded with NumPy and SciPy (inspected once per process)."""
    return ThreadpoolController()


def _one_blas_thread():
    """Run the block with BLAS on one thread.

    The model's matrix products are small (at most a few hundred rows per
    block): BLAS threads gain nothing on them and, on cores shared with other
    work, spin: scoring a 10-minute file took twice the CPU time (14.6 s
    instead of 7.5 s, ``stimgen score`` on a busy 2-core machine) with
    OpenBLAS's default threads.  Results do not depend on it.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.lru_cache(maxsize=8)
def entry_references(config: ModelConfig, sr: int = MODEL_SR) -> tuple[float, float, float]:
    """Energies of the two reference stimuli at the entry, before the connectome.

    * Onset path: an isochronous 120 BPM train of full-strength onsets in
      every band that no sink absorbs (an "unlearnable metronome").
    * Modulation path: a sinusoidal amplitude modulation of full depth at
      4 Hz in every band.

    Both are read at the auditory entry (no harmonics, no field response),
    so the units do not depend on the connectome: a connectome that couples
    better to sound builds more.  A pure function of the (frozen, hashable)
    config, so its few recent values are kept (``functools.lru_cache``).

    Returns
    -------
    onset, modulation : float
        Reference energy per score unit of each path.
    pulse : float
        Coherent pulse power of the onset reference (the unit of ``entrainment``).
    """
    cfg = config
    t_ = _Timing(cfg, sr)
    fr = t_.fr
    B = cfg.n_bands
    n = _STEP * int(np.ceil(40.0 * fr / _STEP))
    o = np.zeros((B, n))
    beats = np.arange(0.0, n / fr, 0.5)
    o[:, np.round(beats * fr).astype(int)] = 1.0
    bank, mfb = t_.bank(cfg), t_.filterbank(cfg)
    pooled = o.reshape(B, -1, _POOL).mean(axis=2)
    z = bank.process(np.concatenate([pooled, pooled], axis=0))
    half = z.shape[2] // 2
    coherence = dict(a=t_.coh_a, floor=cfg.normalization_floor, exponent=cfg.normalization_exponent)
    gain, _ = rhythm_coherence(z[B:], None, freqs_hz=t_.freqs, **coherence)
    zt = z[B:]
    entry = (gain * (zt.real**2 + zt.imag**2).sum(axis=0)).sum(axis=0)
    loop = zt.sum(axis=0) * t_.pulse_gain[:, None]
    pulse = gain * (loop.real**2 + loop.imag**2)
    t = np.arange(n) / fr
    env = np.ones((B + t_.n_bin, n))
    env[:B] = 1.0 + np.sin(2.0 * np.pi * 4.0 * t)
    m = mfb.process(env)[:B]
    mgain, _ = modulation_coherence(m, None, **coherence)
    entry_mod = (mgain * m.sum(axis=0)).sum(axis=0)
    # Energies are reported in basis points (1/10,000) of the references.
    return (
        float(entry[half:].mean()) / _UNITS_PER_REFERENCE,
        float(entry_mod[half:].mean()) / _UNITS_PER_REFERENCE,
        float(pulse[:, half:].sum(axis=0).mean()),
    )


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
        :data:`~resonance.hearing.frontend.MODEL_SR`; resample before).
    harmonic_memory : "default", object or None
        Long-term harmonic memory for the familiarity term of consonance
        (Harrison & Pearce 2020): any object with
        ``log_probability(profile) -> float`` (natural log probability of
        the chord whose notes have the 12-bin pitch-class profile
        :func:`~resonance.hearing.consonance.note_profile`).  ``"default"``: the
        chord-type counts of the Bach chorales shipped with the package
        (:meth:`~resonance.hearing.consonance.ChordTypeMemory.load`).  ``None``:
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
        t = _Timing(cfg, self.sr)
        self._t = t
        self._fe, self._fr, self._freqs = t.fe, t.fr, t.freqs
        self._coupling = entry_coupling(h, n_bands=cfg.n_bands)
        self._regional = regional_projection(h)
        # Temporal response of each harmonic: the corticothalamic field
        # (resonance.harmonics.field), with the cortical damping rate and
        # axonal range of the harmonics (Pang et al. 2023) unless the config
        # sets them.
        field = FieldParameters(gamma_per_s=float(cfg.gamma_per_s or h.gamma_per_s), r_mm=float(cfg.r_mm or h.r_mm))
        lam = np.asarray(h.eigenvalues_per_mm2, dtype=float)
        coherence = dict(coherence_a=t.coh_a, floor=cfg.normalization_floor, exponent=cfg.normalization_exponent)
        self._onset_drive = OnsetDrive(
            auditory=self._coupling.auditory, motor=self._coupling.motor,
            transfer=corticothalamic_transfer(lam, t.freqs, params=field),  # (K, J)
            freqs_hz=t.freqs, pulse_gain=t.pulse_gain, motor_gain=cfg.motor_gain, **coherence,
        )
        # Power gain of each harmonic over each modulation filter's band.
        self._mod_drive = ModulationDrive(
            auditory=self._coupling.auditory,
            rate_gain=channel_transfer_power(lam, t.mod_rates, q=cfg.mod_q, fs_hz=t.fr, params=field),  # (K, R)
            binaural_gain=cfg.binaural_gain, **coherence,
        )
        self._mode_freqs = np.asarray(h.frequencies_hz, dtype=float)
        self._sync = Synchrony(
            coupling=self._coupling, weights=getattr(h, "weights", None),
            tract_lengths_mm=getattr(h, "tract_lengths_mm", None), freqs_hz=t.freqs, frame_rate_hz=t.fr,
            step=_STEP, config=cfg,
        )
        self._ref_energy, self._ref_mod, self._ref_pulse = entry_references(cfg, self.sr)
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Start a new stimulus: every stage returns to its blank state."""
        cfg = self.config_
        B = cfg.n_bands
        t = self._t
        self._fe_s = FrontEnd(sr=self.sr, n_bands=B, onset_hold_s=cfg.onset_hold_s, binaural_gain=cfg.binaural_gain)
        self._speech = SpeechDetector(sr=self.sr, n_fft=self._fe_s.n_fft_long, hop_length=self._fe_s.hop_length_long)
        self._bank = t.bank(cfg)
        self._res = Reservoir(dt_s=_STEP / self._fr, tau_s=cfg.reservoir_tau_s, n_channels=2 * self._mode_freqs.size)
        self._mfb = t.filterbank(cfg)
        # -- expectation stage (resonance.expectation): metre and harmony ------
        self._expect = Expectation(
            frame_rate_hz=self._fr / _POOL, certainty_tau_s=cfg.precision_tau_s, long_freqs_hz=self._fe.long_freqs_hz,
        )
        self._peaks = EventPeaks(n_bands=B, pre=_POOL, post=_POOL)
        self._absorb = OnsetAbsorption(frame_rate_hz=self._fr, pool=_POOL, step=_STEP, config=cfg)
        self._pass = PassShare(step=_STEP, a=t.coh_a)
        self._msink = ModulationSink(
            n_bands=B, n_rates=t.mod_rates.size, step_s=_STEP / self._fr, tau_s=cfg.mod_sink_tau_s
        )
        # The harmonic (non-percussive) part of every long frame, separated
        # once for consonance and the chord labeller alike.
        self._hpss = HarmonicSeparator(self._fe_s.long_freqs_hz)
        # Consonance of every n-th long frame, on its harmonic (non-percussive) part.
        self._cons = FrameAnalyzer(self._fe_s.long_freqs_hz, every=cfg.consonance_every, memory=self.harmonic_memory_)
        for stage in (self._onset_drive, self._mod_drive, self._sync):
            stage.reset()
        self._o_buf = np.zeros((B, 0))
        self._f_buf = np.zeros((B, 0))  # band spectral flux, the metre model's onset function
        self._e_buf = np.zeros((B + t.n_bin, 0))
        self._l_buf = np.zeros((1, 0))
        self._s_buf = np.zeros(0)
        self._h_buf = np.zeros(0)  # pass share of the chord events' onset windows, per envelope frame
        # Event energy, delayed to meet the chord event that confirms it.
        self._ev_tail = np.zeros((B, self._expect.harmonic_delay_frames * _LONG))
        self._n_samples = 0
        self._acc = {"drive": 0.0, "absorbed": 0.0, "semantic": 0.0, "pulse_power": 0.0, "pulse_n": 0,
                     "harmonic": 0.0}
        self._tempo_power = np.zeros(self._freqs.size)
        self._rate_power = None  # (K, J) power of each mode at each rhythm rate
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
        with _one_blas_thread():
            if not self._ready:
                self._setup()
            return self._process(y)

    def _process(self, y) -> int:
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
            harm = self._hpss.process(frames.spectrum)
            self._consonance(frames.spectrum, harm)
            h = self._expect.process_spectrum(frames.spectrum, harmonic=harm)  # harmony (resonance.expectation)
            self._h_buf = np.concatenate([self._h_buf, np.repeat(h, _LONG)])
        o = event_strength(frames.onset, jnd_db=cfg.onset_jnd_db, scale_db=cfg.onset_scale_db)
        if frames.binaural_onset is not None and frames.binaural_onset.shape[0]:
            # Binaural events (a binaural beat's swings of interaural
            # correlation) are events of their band, weaker by binaural_gain.
            ob = cfg.binaural_gain * event_strength(
                frames.binaural_onset, jnd_db=cfg.onset_jnd_db, scale_db=cfg.onset_scale_db
            )
            nb = ob.shape[0]
            o[:nb] = np.maximum(o[:nb], ob)
        # One event per onset, at its peak (resonance.hearing.events): pooled to the
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

    def _consonance(self, spectrum: np.ndarray, harmonic: np.ndarray) -> None:
        """Tonalness, roughness, harmonicity and consonance of every n-th long frame."""
        self._cons.process(spectrum, harmonic=harmonic)

    def _advance(self, n_steps: int) -> None:
        from ._pool import pool_max, pool_mean  # strided pooling, the same bits as a reshaped max/mean

        cfg = self.config_
        B = cfg.n_bands
        n_env = n_steps * _STEP
        o = self._o_buf[:, :n_env]
        self._o_buf = self._o_buf[:, n_env:]
        s_long = self._s_buf[: n_steps * (_STEP // _LONG)]
        self._s_buf = self._s_buf[n_steps * (_STEP // _LONG) :]
        s = np.repeat(s_long, _LONG)  # speech probability per envelope frame
        # -- expectation (resonance.expectation) ------------------------------
        # The metre model hears the bands' spectral flux (onsets of percussive
        # and of legato music alike); its certainty and the sinks' own
        # reliability weight the sinks' prediction errors
        # (resonance.expectation.absorption).
        f = self._f_buf[:, :n_env]
        self._f_buf = self._f_buf[:, n_env:]
        certainty = self._expect.process_onsets(pool_max(f, _POOL))
        error, predicted, recurring = self._absorb.process(o, certainty)
        # A chord event's content is predicted apart from its timing (the
        # metrics count its surprise as the sum of the two parts): of the
        # energy its onset left unabsorbed by the sinks, the share that its
        # surprise and its context's uncertainty set passes as neutral
        # energy, beside the precision-weighted rhythmic error
        # (resonance.expectation.harmony.harmonic_pass_share; Cheung et al.
        # 2019).  What the sinks absorbed stays absorbed, so an exact loop's
        # chords habituate with its rhythm.  The energy waits for the chord
        # to be confirmed (a fixed delay, the chord's hold less one long frame).
        ev = np.concatenate([self._ev_tail, (o - predicted) ** 2], axis=1)
        self._ev_tail = ev[:, n_env:]
        harmonic = ev[:, :n_env] * self._h_buf[None, :n_env]
        self._h_buf = self._h_buf[n_env:]
        neutral = (error + harmonic) * (1.0 - s)
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
        total = o
        acc = self._acc
        acc["drive"] += float(o.sum())
        acc["absorbed"] += float((predicted * (1.0 - s)).sum())
        acc["semantic"] += float((o * s).sum())
        acc["harmonic"] += float((harmonic * (1.0 - s)).sum())
        drive = np.concatenate([neutral, total], axis=0)
        drive = pool_mean(drive, _POOL)  # to the bank's rate
        z = self._bank.process(drive)  # (2B, J, n_steps)
        e_n, e_t, rp, pulse = self._onset_drive.process(z)
        # Power of each mode at each rhythm rate (for mode consonance): of the
        # whole drive, not of its neutral share: a harmonic oscillates at the
        # rates of the rhythm that arrives, predicted or not (entrainment is
        # strongest to a predictable rhythm: Lakatos et al. 2008; Nozaradan et
        # al. 2011).  What the sinks predict is absorbed from its energy
        # (which harmonics are energised), not from its rates.
        self._rate_power = rp if self._rate_power is None else self._rate_power + rp
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
        # and of that, only what the modulation sink did not expect.  A band
        # without events passes its modulation to the modulation sink (AM
        # noise, a beating drone).
        pass_b = self._pass.process(predicted, o) * (1.0 - recurring)  # (B, n_steps)
        bands = self._mod_drive.bands(self._mfb.process(env))
        # What the modulation sink expected of each band and rate is
        # absorbed; its prediction error passes (expectation.sinks.ModulationSink).
        surprise = self._msink.process(bands)
        m_n, m_t = self._mod_drive.process(bands, surprise, pass_b * (1.0 - s_step)[None] * loud_step, loud_step)
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
        self._sync.process(o)

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
        with _one_blas_thread():
            if not self._ready:
                self._setup()
            return self._result()

    def _result(self) -> ScoreResult:
        st = self._steps
        if not st["sne"]:
            raise ParameterError(
                f"only {self._n_samples / self.sr:.2f} s of audio; the model needs at least "
                f"{(_STEP * self._fe.hop_length + self._fe.n_fft_long) / self.sr:.2f} s"
            )
        cfg = self.config_
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
        mc = rate_consonance(
            mean_modes, self._rate_power, mode_freqs_hz=self._mode_freqs, freqs_hz=self._freqs,
            energised_share=cfg.energised_share, max_energised_modes=cfg.max_energised_modes,
        )
        regions, regional_share = top_regions(
            mean_modes, regional=self._regional, labels=self.harmonics.region_labels,
            region_means=self._coupling.region_means,
        )
        score, score_window_s, hab = headline(
            timeline["neutral_power"], dt_s=dt, settle_s=cfg.settle_s, window_s=cfg.reservoir_tau_s
        )
        expect = self._expect.metrics()
        tempo_bpm, pulse_salience = tempo(
            self._tempo_power, freqs_hz=self._freqs, pulse_gain=self._t.pulse_gain, min_salience=cfg.tempo_min_salience
        )
        # The pulse is the metre model's period, reported where there is one:
        # onsets that fall on the beats the model predicted before they came,
        # beyond chance, in sound that is not speech.  A salient periodicity
        # of the drive alone is not enough: the beating of a steady chord
        # (amplitude modulation) makes periodic level rises that are not
        # onsets on a beat grid, and the predictive test does not pass them.
        metre_tempo = expect.pop("metre_tempo_bpm")
        on_beat = expect.pop("metre_pulse_z") >= cfg.tempo_min_pulse_z and acc["semantic"] / drive <= 0.5
        tempo_bpm = metre_tempo if on_beat else None
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
            # Neutral energy that chord content passed, per unit of event drive.
            "harmonic_neutral": acc["harmonic"] / drive,
            "absorbed_fraction": acc["absorbed"] / drive,
            "semantic_fraction": acc["semantic"] / drive,
            "neutral_energy": float(timeline["neutral_power"].mean()),
            "synchrony": self._sync.value(),
            "regional_share": regional_share,
            "habituation": hab,
            "score_window_s": score_window_s,
        }
        return ScoreResult(
            duration_s=self._n_samples / self.sr,
            score=score,
            metrics=metrics,
            arc=arc_metrics(sne, dt_s=dt, threshold=cfg.arc_threshold),
            timeline=timeline,
            harmonics_level=str(getattr(self.harmonics, "level", "vertex")),
            regions=regions,
            mode_frequencies_hz=self._mode_freqs,
        )


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
