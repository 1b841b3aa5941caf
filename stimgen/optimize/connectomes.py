"""Seeded rewirings of a connectome, for testing that designs are connectome-specific.

Why a plain shuffle is not enough
---------------------------------
In the model, a connectome reaches the score only through its harmonics'
projections on the entry patterns (the auditory regions A1/A2, tonotopically,
and the premotor pulse entry; :mod:`resonance.connectome.coupling`), weighted by each
mode's neural-field response.  The long-range edges carry 0.1 % of the
vertex graph's edge weight (:data:`resonance.harmonics.LONG_RANGE_FRACTION`,
after Pang et al. 2023: geometry dominates), so they mostly move the lowest
modes.  Rewiring every connection of the default connectome uniformly at
random (:func:`rewired_connectome`, seed 0) changes the harmonics visibly
(mode 2, the hemisphere split, moves from 1.4 to 7.8 Hz because half the
weight now crosses the midline), but mode 2 is antisymmetric and does not
couple to the bilateral auditory entry: the entry couplings change by 2-7 %,
almost uniformly, so every stimulus's score changes in about the same
proportion.  Measured (``benchmarks/bench_optimize.py musthold``, 60 s,
budget 240): the optimizer picks the *same* winner on both connectomes
(7.60 on the default, 7.31 on the rewired one).  No stimulus can be specific
to such a connectome in this model.

:func:`rewire_weights` therefore also offers *hub* rewiring: every
connection keeps its weight but is re-attached, at random (seeded), between
one of a few hub regions and any other region.  With the auditory entry
regions as hubs (:func:`entry_hub_rewiring`), the long-range edges all leave
the auditory cortex, its low modes spread over the brain, and the balance
between the auditory entry and the premotor pulse entry shifts (auditory
self-coupling falls to 0.33-0.36 of the default's, premotor coupling rises
by 10 %): stimuli that drive the pulse loop and stimuli that drive the
auditory bands are weighted differently, which is what a connectome-specific
design can exploit (measured: each connectome's winner scores higher on its
own connectome than the other's winner, for seeds 0, 1 and 2).
"""

from __future__ import annotations

import numpy as np

from resonance.validation import check_float, check_int

from ..errors import ParameterError

__all__ = ["rewire_weights", "rewired_connectome", "entry_hub_rewiring"]


def rewire_weights(weights, *, seed: int, hubs=None, fraction: float = 1.0) -> np.ndarray:
    """Move connections of a weight matrix to new region pairs (seeded).

    Every connection (region pair ``i < j`` with a positive weight) is
    rewired with probability ``fraction``: its weight moves to a new pair,
    drawn uniformly among all pairs (``hubs=None``) or with one end drawn
    uniformly from ``hubs`` and the other from all other regions.  Weights
    landing on the same pair add up.  A region left without any connection
    gets back its strongest original one, so no region (and no part of the
    cortical mesh) is dropped.

    Parameters
    ----------
    weights : array_like, shape (n, n)
        Symmetric non-negative weights.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    hubs : sequence of int or None
        Region indices that every rewired connection must touch.
    fraction : float
        Share of the connections rewired, in [0, 1].

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        Symmetric, zero diagonal; the same total weight as the input, plus
        the weight of any connection given back to an isolated region.

    Raises
    ------
    ParameterError
        If the matrix is not square and non-negative, a hub index is out of
        range, or an argument is invalid.

    Examples
    --------
    >>> w = np.ones((6, 6)) - np.eye(6)
    >>> r = rewire_weights(w, seed=0, hubs=[0])
    >>> bool(np.allclose(r, r.T)), float(r[1:, 1:].sum())  # every connection now touches region 0
    (True, 0.0)
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 2:
        raise ParameterError(f"weights have shape {w.shape}; a square matrix of at least 2 regions is needed")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ParameterError("weights must be finite and non-negative")
    seed = _check(check_int, "seed", seed, low=0)
    fraction = _check(check_float, "fraction", fraction, low=0.0, high=1.0)
    n = w.shape[0]
    sym = 0.5 * (w + w.T)
    iu, ju = np.triu_indices(n, 1)
    values = sym[iu, ju]
    conn = np.flatnonzero(values > 0)
    hub_idx = None
    if hubs is not None:
        hub_idx = np.unique(np.asarray(list(hubs), dtype=int))
        if hub_idx.size == 0 or hub_idx.min() < 0 or hub_idx.max() >= n:
            raise ParameterError(f"hubs={list(map(int, hub_idx))} must be region indices in [0, {n - 1}], at least one")
    rng = np.random.default_rng(seed)
    move = rng.random(conn.size) < fraction
    out = np.zeros_like(sym)
    keep = conn[~move]
    out[iu[keep], ju[keep]] += values[keep]
    moved = conn[move]
    if hub_idx is None:
        a = rng.integers(0, n, size=moved.size)
        b = (a + rng.integers(1, n, size=moved.size)) % n  # any region but a
    else:
        a = hub_idx[rng.integers(0, hub_idx.size, size=moved.size)]
        b = (a + rng.integers(1, n, size=moved.size)) % n
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    np.add.at(out, (lo, hi), values[moved])
    out = out + out.T
    for r in np.flatnonzero(out.sum(axis=1) <= 0):
        if sym[r].max() > 0:
            s = int(np.argmax(sym[r]))
            out[r, s] += sym[r, s]
            out[s, r] += sym[r, s]
    return out


def _check(func, *args, **kwargs):
    from resonance.errors import ParameterError as ModelParameterError

    try:
        return func(*args, **kwargs)
    except ModelParameterError as exc:
        raise ParameterError(str(exc)) from None


def rewired_connectome(connectome, *, seed: int, hubs=None, fraction: float = 1.0, name: str | None = None):
    """A copy of a connectome with its weights rewired (see :func:`rewire_weights`).

    Labels, hemispheres and centres are kept; tract lengths are dropped (they
    belonged to the old connections); the default cortical mesh is attached
    again when the labels name its regions.

    Parameters
    ----------
    connectome : resonance.Connectome
    seed : int
    hubs : sequence of int or None
    fraction : float
    name : str or None
        Name of the result (default: the original's name plus the rewiring).

    Returns
    -------
    resonance.Connectome
    """
    from resonance.connectome import connectome_from_arrays
    from resonance.io.connectome import read_default_mesh

    weights = rewire_weights(connectome.weights, seed=seed, hubs=hubs, fraction=fraction)
    label = name or f"{connectome.name}, rewired (seed {seed}{', hubs' if hubs is not None else ''})"
    return connectome_from_arrays(
        weights,
        region_labels=connectome.region_labels,
        centres_mm=connectome.centres_mm,
        right_hemisphere=np.asarray(connectome.region_hemisphere) == "R",
        mesh=read_default_mesh() if connectome.has_mesh else None,
        name=label,
        warn=False,
    )


def entry_hub_rewiring(connectome, *, seed: int = 0):
    """Rewire every connection to start at an auditory entry region (A1/A2), seeded.

    The "clearly different connectome" of the optimizer's specificity check:
    :func:`rewired_connectome` with the regions of
    :data:`resonance.connectome.coupling.AUDITORY_REGIONS` as hubs and ``fraction=1``.

    Parameters
    ----------
    connectome : resonance.Connectome
    seed : int

    Returns
    -------
    resonance.Connectome

    Raises
    ------
    ParameterError
        If the connectome has no auditory entry region.

    Examples
    --------
    >>> from resonance import load_connectome      # doctest: +SKIP
    >>> entry_hub_rewiring(load_connectome()).name  # doctest: +SKIP
    'tvb-data connectivity_76 + cortex_16384, auditory-hub rewired (seed 0)'
    """
    from resonance.connectome.coupling import AUDITORY_REGIONS, find_regions

    hubs = find_regions(connectome.region_labels, AUDITORY_REGIONS)
    if hubs.size == 0:
        raise ParameterError(f"{connectome.name} has no auditory entry region ({', '.join(AUDITORY_REGIONS)})")
    return rewired_connectome(connectome, seed=seed, hubs=hubs,
                              name=f"{connectome.name}, auditory-hub rewired (seed {seed})")
