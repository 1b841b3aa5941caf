"""resonance: a model of how sound energy builds up in a connectome's harmonics.

The package is pure computation plus one I/O package.  It never imports
:mod:`stimgen`.  One folder per stage of the pipeline (docs/model.md,
"Layout")::

    connectome/   the network and its entry regions       (Connectome, load_connectome)
    harmonics/    eigenmodes, field response, drive paths  (Harmonics, connectome_harmonics)
    hearing/      front end, events, modulation, binaural, consonance
    expectation/  sinks, precision, speech, metre, harmony
    dynamics/     rhythm bank, reservoir, regional oscillators, synchrony
    metrics/      score, habituation, arc, tempo, read-outs
    io/           audio, connectome and cache files; score_file, score_files
    config.py     ModelConfig          result.py  ScoreResult
    scorer.py     Scorer, score_signal: composes the stages (each has process/reset)

The public names below are loaded on first use (PEP 562), so importing
:mod:`resonance` or one light submodule (``resonance.errors``,
``resonance.validation``) does not load the model, SciPy or Numba;
``from resonance import Scorer`` works as usual.
"""

from __future__ import annotations

import importlib
import importlib.util

from .errors import DataFileError, ParameterError, ResonanceError

__version__ = "0.1.0"

#: Public name -> submodule that defines it (imported on first access).
_LAZY = {
    "Connectome": ".connectome",
    "load_connectome": ".connectome",
    "Harmonics": ".harmonics",
    "RegionalHarmonics": ".harmonics",
    "connectome_harmonics": ".harmonics",
    "score_files": ".io.library",
    "score_file": ".io.scoring",
    "ModelConfig": ".config",
    "Scorer": ".scorer",
    "ScoreResult": ".result",
    "score_signal": ".scorer",
}

__all__ = [
    "ResonanceError",
    "ParameterError",
    "DataFileError",
    "__version__",
    "Connectome",
    "load_connectome",
    "Harmonics",
    "RegionalHarmonics",
    "connectome_harmonics",
    "ModelConfig",
    "Scorer",
    "ScoreResult",
    "score_file",
    "score_signal",
    "score_files",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        # A submodule not imported yet (``import resonance; resonance.pipeline``, as before the laziness).
        if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module 'resonance' has no attribute '{name}'")
        return importlib.import_module(f".{name}", __name__)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
