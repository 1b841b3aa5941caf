"""Hearing stages of version 2: modulation spectrum, spectral flux, binaural stage.

* :mod:`~resonance.hearing.modulation` -- the envelope's modulation spectrum
  0.5-64 Hz in each cochlear band (Dau, Kollmeier & Kohlrausch 1997; Jepsen,
  Ewert & Dau 2008).
* :mod:`~resonance.hearing.flux` -- onsets from spectral change within a band
  (spectral flux with a frequency maximum filter, Boeck & Widmer 2013).
* :mod:`~resonance.hearing.binaural` -- interaural correlation at low
  frequencies, whose fluctuation carries a binaural beat.

:class:`resonance.frontend.FrontEnd` calls the last two per frame; the
modulation filterbank runs on the band envelopes in the scorer.
"""

from .binaural import BINAURAL_MAX_HZ, interaural_correlation
from .flux import band_flux_db
from .modulation import ModulationFilterbank, modulation_rates_hz

__all__ = ["BINAURAL_MAX_HZ", "interaural_correlation", "band_flux_db", "ModulationFilterbank", "modulation_rates_hz"]
