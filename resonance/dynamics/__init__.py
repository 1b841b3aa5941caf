"""Dynamics stage: what the drive does over time.

* :mod:`~resonance.dynamics.resonators` -- the pulse resonator, the rhythm
  resonator bank and the energy reservoir of each harmonic (linear,
  streaming).
* :mod:`~resonance.dynamics.oscillators` -- driven, delay-coupled
  Stuart-Landau oscillators per region, whose phase locking is synchrony.
"""

from .oscillators import RegionalOscillators, delay_steps, kuramoto_order
from .resonators import PulseResonator, Reservoir, RhythmBank, bank_frequencies_hz, effective_pulse_response

__all__ = [
    "PulseResonator",
    "RhythmBank",
    "Reservoir",
    "effective_pulse_response",
    "bank_frequencies_hz",
    "RegionalOscillators",
    "delay_steps",
    "kuramoto_order",
]
