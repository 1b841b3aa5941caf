"""Hearing stage: the auditory front end and what it hears in the sound.

* :mod:`~resonance.hearing.frontend` -- :class:`FrontEnd`: cochlear band
  envelopes, onset drive, long spectra, at :data:`MODEL_SR`.
* :mod:`~resonance.hearing.events` -- one event per onset, at its peak.
* :mod:`~resonance.hearing.consonance` -- roughness, harmonicity, tonalness
  and familiarity of the spectrum (imported on its own: it is not loaded by
  this package).
* :mod:`~resonance.hearing.modulation` -- the envelope's modulation spectrum
  0.5-64 Hz in each cochlear band (Dau, Kollmeier & Kohlrausch 1997; Jepsen,
  Ewert & Dau 2008).
* :mod:`~resonance.hearing.flux` -- onsets from spectral change within a band
  (spectral flux with a frequency maximum filter, Boeck & Widmer 2013).
* :mod:`~resonance.hearing.binaural` -- interaural correlation at low
  frequencies, whose fluctuation carries a binaural beat.

The front end calls the flux and binaural stages per frame; the modulation
filterbank runs on the band envelopes in the scorer.
"""

from .binaural import BINAURAL_MAX_HZ, interaural_correlation
from .events import EventPeaks
from .flux import band_flux_db
from .frontend import MODEL_SR, FrontEnd, FrontEndFrames, erb_filterbank
from .modulation import ModulationFilterbank, modulation_rates_hz

__all__ = [
    "MODEL_SR",
    "FrontEnd",
    "FrontEndFrames",
    "erb_filterbank",
    "EventPeaks",
    "BINAURAL_MAX_HZ",
    "interaural_correlation",
    "band_flux_db",
    "ModulationFilterbank",
    "modulation_rates_hz",
]
