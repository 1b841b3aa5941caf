"""The optimizer: design a stimulus for a connectome (docs/model.md, the songbird loop).

The synthesiser proposes (a preset from a :class:`SearchSpace`), the
resonance model judges (render, master, score: :mod:`.evaluate`), and
differential evolution improves the proposal (:func:`optimize`), with
checkpoints (:mod:`.io`), a random-search baseline (:func:`random_search`)
and credit assignment per layer (:func:`layer_contributions`).

Example
-------
>>> from stimgen.optimize import SearchSpace, optimize           # doctest: +SKIP
>>> space = SearchSpace.from_preset(None, duration_s=60.0)       # doctest: +SKIP
>>> result = optimize(space, budget=200, seed=0, workers=2)      # doctest: +SKIP
>>> result.best_score, result.best_preset["layers"][0]["tempo_bpm"]  # doctest: +SKIP
"""

from .connectomes import entry_hub_rewiring, rewire_weights, rewired_connectome
from .evaluate import evaluate_preset, layer_contributions, load_harmonics
from .io import EvaluationLog, write_connectome_csv
from .search import OptimizeResult, de_schedule, objective, optimize, random_search
from .space import Param, SearchSpace, parse_bound, preset_key

__all__ = [
    "SearchSpace",
    "Param",
    "parse_bound",
    "preset_key",
    "optimize",
    "random_search",
    "de_schedule",
    "objective",
    "OptimizeResult",
    "evaluate_preset",
    "layer_contributions",
    "load_harmonics",
    "EvaluationLog",
    "write_connectome_csv",
    "rewire_weights",
    "rewired_connectome",
    "entry_hub_rewiring",
]
