"""Expectation: the listener's models of metre and harmony (docs/model.md).

* :class:`~resonance.expectation.metre.MetreModel` -- an online posterior over
  tempo and beat phase; its certainty is the precision of rhythmic
  prediction errors.
* :class:`~resonance.expectation.harmony.HarmonyModel` -- chords from chroma,
  predicted by a long-term memory learned from a corpus and a short-term
  memory that starts blank for each stimulus (IDyOM, Pearce 2005).
* :mod:`~resonance.expectation.sinks` -- the energy sinks: predictors that
  learn the stimulus from scratch and absorb what they predict;
  :mod:`~resonance.expectation.loops` -- the sink that learns a loop.
* :mod:`~resonance.expectation.semantic` -- the innate speech detector that
  marks legible speech as semantic.
"""

from .metre import MetreModel, MetreOutput
from .stage import Expectation
from .loops import SectionRecurrence
from .semantic import SpeechDetector, speech_probability
from .sinks import (
    ModulationSink,
    OnsetSinks,
    RecurrenceSink,
    SinkOutput,
    TimingTolerance,
    combine_predictions,
    event_strength,
)

__all__ = [
    "Expectation",
    "MetreModel",
    "MetreOutput",
    "ModulationSink",
    "OnsetSinks",
    "RecurrenceSink",
    "SectionRecurrence",
    "SinkOutput",
    "SpeechDetector",
    "TimingTolerance",
    "combine_predictions",
    "event_strength",
    "speech_probability",
]
