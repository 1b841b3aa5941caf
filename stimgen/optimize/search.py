"""The search: differential evolution (and a random-search baseline) over a :class:`SearchSpace`.

:func:`optimize` maximises the model's score of a candidate preset (render,
master to the preset's loudness, score on the connectome's harmonics; see
:mod:`stimgen.optimize.evaluate`) with
:func:`scipy.optimize.differential_evolution`:

* seeded (``rng``), ``updating="deferred"`` (a whole generation is proposed
  before any result is used), ``polish=False``, ``tol=0`` (the budget, not a
  convergence test, ends the run);
* the population is :func:`de_schedule` members drawn by a seeded Latin
  hypercube, the first replaced by the base preset (the starting point);
  the number of generations is what the ``budget`` of evaluations allows;
* each generation is evaluated in parallel on a Dask cluster (a local one of
  ``workers`` processes, or an existing ``client``'s;
  :class:`~stimgen.optimize.evaluate.EvaluationPool`) through the solver's
  ``workers`` map.  Every evaluation is deterministic and independent of the
  others, and results are read back in the order asked, so the result does
  not depend on the number of workers.

Candidates are cached by their preset (values are rounded to each
parameter's step, so nearby points are the same preset): a repeated
candidate costs nothing, and the checkpoint log is keyed the same way.

:func:`random_search` spends the same budget on the starting point plus
uniformly drawn points (seeded), through the same machinery: the baseline
the optimizer must beat.

Consonance floor
----------------
With ``min_consonance`` set, a candidate whose consonance (the model's
``metrics["consonance"]`` of the sound: harmonicity minus roughness) is below
the floor is *infeasible*.  The objective that the optimizer minimises is
``-score`` for a feasible candidate (always <= 0) and
``1 + (min_consonance - consonance)`` for an infeasible one (always > 0): any
feasible candidate beats any infeasible one, and among infeasible ones the
search is pulled towards the floor.  A candidate without pitch (consonance
``None``: clicks, noise, drums, speech) is below any floor; it counts as a
consonance of :data:`NO_PITCH_CONSONANCE`.  A candidate that cannot be rendered or
scored gets :data:`FAILED_OBJECTIVE`.  The best candidate is the one with the
lowest objective (the earliest on ties).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from resonance.validation import check_float, check_int, check_option

from ..errors import ParameterError
from .evaluate import EvaluationPool, load_harmonics
from .io import EvaluationLog
from .space import SearchSpace, preset_key

__all__ = [
    "OptimizeResult",
    "optimize",
    "random_search",
    "de_schedule",
    "objective",
    "run_settings",
    "METHODS",
    "MIN_BUDGET",
    "MAX_BUDGET",
    "MAX_WORKERS",
    "FAILED_OBJECTIVE",
    "NO_PITCH_CONSONANCE",
    "DE_MUTATION",
    "DE_RECOMBINATION",
    "DE_STRATEGY",
]

#: Search methods: differential evolution, or the random-search baseline.
METHODS = ("de", "random")

#: Smallest evaluation budget (scipy's differential evolution needs a
#: population of at least 5).
MIN_BUDGET = 5

#: Largest evaluation budget.
MAX_BUDGET = 100_000

#: Largest number of worker processes.
MAX_WORKERS = 64

#: Objective of a candidate that could not be rendered or scored.
FAILED_OBJECTIVE = 1e9

#: Consonance counted for a candidate without pitch (consonance ``None``)
#: under a floor: the lowest floor allowed, so it ranks below every pitched
#: candidate.
NO_PITCH_CONSONANCE = -10.0

#: Differential weight F of differential evolution, dithered per generation
#: in this range (scipy's default).
DE_MUTATION = (0.5, 1.0)

#: Crossover probability of differential evolution (scipy's default).
DE_RECOMBINATION = 0.7

#: Mutation strategy: ``best1bin`` moves trials around the best member,
#: which suits the small budgets of a render-and-score objective.
DE_STRATEGY = "best1bin"


def de_schedule(budget: int, n_dims: int) -> tuple[int, int]:
    """Population size and number of generations for a budget of evaluations.

    The population is ``n_dims`` members (at least 8; at least 5 whatever
    the budget), shrunk if the budget cannot pay for it and two generations;
    then as many generations as the budget allows.  ``population * (1 +
    generations) <= budget``.

    Parameters
    ----------
    budget : int
        Evaluations allowed, >= :data:`MIN_BUDGET`.
    n_dims : int
        Dimensions of the search space.

    Returns
    -------
    (int, int)
        ``(population, generations)``.

    Examples
    --------
    >>> de_schedule(200, 22)
    (22, 8)
    >>> de_schedule(12, 22)
    (6, 1)
    """
    population = max(8, n_dims)
    population = max(5, min(population, budget // 2))
    generations = budget // population - 1
    return population, max(generations, 0)


def objective(result: dict, min_consonance: float | None = None) -> float:
    """The value the optimizer minimises for one evaluation (see the module docstring).

    Examples
    --------
    >>> objective({"score": 2.5, "consonance": -0.2})
    -2.5
    >>> objective({"score": 2.5, "consonance": -0.2}, min_consonance=0.0)
    1.2
    """
    if result.get("error") is not None or result.get("score") is None:
        return FAILED_OBJECTIVE
    if min_consonance is not None:
        consonance = result.get("consonance")
        consonance = NO_PITCH_CONSONANCE if consonance is None else float(consonance)
        if consonance < min_consonance:
            return 1.0 + (min_consonance - consonance)
    return -float(result["score"])


@dataclass
class OptimizeResult:
    """Outcome of :func:`optimize` or :func:`random_search`.

    Attributes
    ----------
    method : str
        ``"de"`` or ``"random"``.
    best_preset : dict
        The best candidate, a resolved preset.
    best_values : dict
        Its parameter values, by canonical name.
    best_x : numpy.ndarray, shape (n_dims,)
        Its point in the unit cube.
    best_score : float
        Its score (basis points of the model's reference build-up).
    best_consonance : float
        Its consonance.
    feasible : bool
        Whether it meets the consonance floor (always true without one).
    best_evaluation : int
        1-based number of the evaluation that found it.
    start_score : float or None
        Score of the starting point (the base preset), or ``None`` if it failed.
    n_evaluations : int
        Evaluations spent (candidates asked for, repeats included).
    n_computed : int
        Evaluations computed in this call (the rest came from the cache or
        the checkpoint).
    n_resumed : int
        Evaluations read back from the checkpoint.
    history : list of float or None
        Best feasible score after each evaluation (``None`` before the first).
    settings : dict
        The run's settings (as in the checkpoint header).
    """

    method: str
    best_preset: dict
    best_values: dict
    best_x: np.ndarray
    best_score: float
    best_consonance: float
    feasible: bool
    best_evaluation: int
    start_score: float | None
    n_evaluations: int
    n_computed: int
    n_resumed: int
    history: list = field(repr=False)
    settings: dict = field(repr=False)


def run_settings(space: SearchSpace, *, harmonics, method: str, budget: int, seed: int,
                 min_consonance: float | None) -> dict:
    """Settings that identify a run (the checkpoint header).

    Everything that decides which candidates are asked for and how they
    score; not the number of workers, which changes neither.
    """
    import resonance

    from .. import __version__

    base = space.base
    return {
        "stimgen_version": __version__,
        "resonance_version": resonance.__version__,
        "connectome": str(harmonics.connectome_name),
        # Entry regions the user named change the scores, not the harmonics.
        **({"entry_regions": harmonics.entry_regions.as_dict()}
           if getattr(harmonics.entry_regions, "named", ()) else {}),
        "harmonics": str(harmonics.cache_key),
        "method": method,
        "budget": int(budget),
        "seed": int(seed),
        "duration_s": float(base["duration_s"]),
        "target_lufs": float(base["target_lufs"]),
        "ceiling_dbtp": float(base["ceiling_dbtp"]),
        "sr": int(base["sr"]),
        "render_seed": int(base["seed"]),
        "min_consonance": None if min_consonance is None else float(min_consonance),
        "space": space.signature(),
    }


class _Run:
    """Bookkeeping of one search: cache, checkpoint, pool, records, best so far."""

    def __init__(self, space, *, pool, log, planned, min_consonance, on_evaluation):
        self.space = space
        self.pool = pool
        self.log = log
        self.planned = planned
        self.min_consonance = min_consonance
        self.on_evaluation = on_evaluation
        self.cache: dict = {}
        self.records: list = []  # (x, key, result, objective)
        self.history: list = []
        self.best_index = None
        self.n_computed = 0

    def evaluate(self, xs) -> list[float]:
        xs = [np.clip(np.asarray(x, dtype=float), 0.0, 1.0) for x in xs]
        presets = [self.space.to_preset(x) for x in xs]
        keys = [preset_key(p) for p in presets]
        todo, seen = [], set()
        for p, k in zip(presets, keys):
            if k not in self.cache and k not in seen and (self.log is None or self.log.get(k) is None):
                todo.append(p)
                seen.add(k)
        computed = self.pool.imap(todo) if todo else iter(())
        out = []
        for x, k in zip(xs, keys):
            reused = True
            if k in self.cache:
                result = self.cache[k]
            elif self.log is not None and self.log.get(k) is not None:
                result = self.log.get(k)
            else:
                result = next(computed)
                reused = False
                self.n_computed += 1
                if self.log is not None:
                    self.log.append(k, result)
            self.cache[k] = result
            out.append(self._record(x, k, result, reused))
        return out

    def _record(self, x, key, result, reused) -> float:
        value = objective(result, self.min_consonance)
        self.records.append((x, key, result, value))
        i = len(self.records) - 1
        if self.best_index is None or value < self.records[self.best_index][3]:
            self.best_index = i
        best = self.records[self.best_index]
        best_score = -best[3] if best[3] <= 0 else None
        self.history.append(best_score)
        if self.on_evaluation is not None:
            self.on_evaluation({
                "n": len(self.records), "total": self.planned, "score": result.get("score"),
                "consonance": result.get("consonance"), "error": result.get("error"),
                "best_score": best_score, "reused": reused,
            })
        return value


def _check_common(space, budget, seed, workers, min_consonance, method):
    if not isinstance(space, SearchSpace):
        raise ParameterError(f"space={type(space).__name__} is not allowed; pass a SearchSpace")
    budget = _as_stimgen(check_int, "budget", budget, low=MIN_BUDGET, high=MAX_BUDGET)
    seed = _as_stimgen(check_int, "seed", seed, low=0)
    workers = _as_stimgen(check_int, "workers", workers, low=1, high=MAX_WORKERS)
    if min_consonance is not None:
        min_consonance = _as_stimgen(check_float, "min_consonance", min_consonance, low=-10.0, high=10.0)
    _as_stimgen(check_option, "method", method, METHODS)
    if space.n_dims == 0:
        raise ParameterError("every parameter is fixed by --bound; allowed: leave at least one parameter free")
    return budget, seed, workers, min_consonance


def _as_stimgen(func, *args, **kwargs):
    from resonance.errors import ParameterError as ModelParameterError

    try:
        return func(*args, **kwargs)
    except ModelParameterError as exc:
        raise ParameterError(str(exc)) from None


def optimize(
    space: SearchSpace,
    *,
    connectome=None,
    harmonics=None,
    budget: int = 200,
    seed: int = 0,
    workers: int = 1,
    min_consonance: float | None = None,
    method: str = "de",
    checkpoint=None,
    fresh: bool = False,
    on_evaluation=None,
    client=None,
) -> OptimizeResult:
    """Search for the preset with the highest score on a connectome.

    Parameters
    ----------
    space : SearchSpace
        Base preset and searched parameters (duration and loudness are the
        base preset's).
    connectome : str, os.PathLike or None
        Connectome file (``None`` = the default); worker processes load it.
    harmonics : resonance.Harmonics or None
        Its harmonics, if already loaded (else loaded here, from the cache).
    budget : int
        Evaluations to spend, in [:data:`MIN_BUDGET`, :data:`MAX_BUDGET`].
    seed : int
        Seed of the search (>= 0).
    workers : int
        Worker processes of a local Dask cluster started for the run (1 =
        evaluate in this process); ignored with ``client``.
    min_consonance : float or None
        Consonance floor (see the module docstring).
    method : {"de", "random"}
        Differential evolution, or the random-search baseline.
    checkpoint : str, os.PathLike or None
        Checkpoint log; an existing one with the same settings is resumed.
        It stays on disk after the run (``stimgen optimize`` deletes it once
        its outputs are written).
    fresh : bool
        Replace an existing checkpoint instead of resuming it.
    on_evaluation : callable or None
        Called after each evaluation with a dict: ``n``, ``total``,
        ``score``, ``consonance``, ``error``, ``best_score``, ``reused``.
    client : distributed.Client or None
        Evaluate on this existing Dask cluster (e.g. from a notebook, or
        ``stimgen optimize --scheduler``).

    Returns
    -------
    OptimizeResult

    Raises
    ------
    ParameterError
        If an argument is invalid, or the checkpoint belongs to another run.
    KeyboardInterrupt
        Passed on after the pool is stopped; the checkpoint keeps every
        evaluation finished so far.

    Examples
    --------
    >>> space = SearchSpace.from_preset(None, duration_s=20.0)   # doctest: +SKIP
    >>> result = optimize(space, budget=40, seed=0, workers=2)   # doctest: +SKIP
    >>> result.best_score > result.start_score                   # doctest: +SKIP
    True
    """
    budget, seed, workers, min_consonance = _check_common(space, budget, seed, workers, min_consonance, method)
    if harmonics is None:
        harmonics = load_harmonics(connectome)
    settings = run_settings(space, harmonics=harmonics, method=method, budget=budget, seed=seed,
                            min_consonance=min_consonance)
    log = None
    n_resumed = 0
    if checkpoint is not None:
        log = EvaluationLog(checkpoint, settings=settings)
        n_resumed = log.open(fresh=fresh)
    rng = np.random.default_rng(seed)
    n_dims = space.n_dims
    if method == "de":
        population, generations = de_schedule(budget, n_dims)
        planned = population * (1 + generations)
    else:
        planned = budget
    try:
        with EvaluationPool(connectome=connectome, harmonics=harmonics, workers=workers, client=client) as pool:
            run = _Run(space, pool=pool, log=log, planned=planned, min_consonance=min_consonance,
                       on_evaluation=on_evaluation)
            if method == "de":
                _run_de(run, space, rng=rng, population=population, generations=generations)
            else:
                xs = np.vstack([space.x0()[None, :], rng.random((budget - 1, n_dims))])
                run.evaluate(list(xs))
    finally:
        if log is not None:
            log.close()
    x, _, result, value = run.records[run.best_index]
    start = run.records[0][2]
    return OptimizeResult(
        method=method,
        best_preset=space.to_preset(x),
        best_values=space.values(x),
        best_x=np.asarray(x, dtype=float),
        best_score=float(result["score"]) if result.get("score") is not None else math.nan,
        best_consonance=float(result["consonance"]) if result.get("consonance") is not None else math.nan,
        feasible=value <= 0,
        best_evaluation=run.best_index + 1,
        start_score=start.get("score"),
        n_evaluations=len(run.records),
        n_computed=run.n_computed,
        n_resumed=n_resumed,
        history=run.history,
        settings=settings,
    )


def _run_de(run: _Run, space: SearchSpace, *, rng, population: int, generations: int) -> None:
    from scipy.optimize import differential_evolution
    from scipy.stats import qmc

    n_dims = space.n_dims
    init = qmc.LatinHypercube(d=n_dims, rng=rng).random(population)

    def map_objectives(func, xs):
        # scipy passes its wrapped objective; the whole generation is scored here instead.
        return run.evaluate(list(xs))

    def never_called(x):  # pragma: no cover - every evaluation goes through map_objectives
        raise AssertionError("evaluations go through the workers map")

    differential_evolution(
        never_called,
        bounds=[(0.0, 1.0)] * n_dims,
        strategy=DE_STRATEGY,
        maxiter=generations,
        popsize=1,
        tol=0.0,
        atol=0.0,
        mutation=DE_MUTATION,
        recombination=DE_RECOMBINATION,
        rng=rng,
        polish=False,
        init=init,
        x0=space.x0(),
        updating="deferred",
        workers=map_objectives,
    )


def random_search(space: SearchSpace, **kwargs) -> OptimizeResult:
    """The random-search baseline: :func:`optimize` with ``method="random"``.

    The same budget is spent on the starting point and ``budget - 1`` points
    drawn uniformly from the unit cube by ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    space : SearchSpace
    **kwargs
        As for :func:`optimize` (``method`` excepted).

    Returns
    -------
    OptimizeResult
    """
    if "method" in kwargs:
        raise ParameterError("random_search takes no method; it is method='random'")
    return optimize(space, method="random", **kwargs)
