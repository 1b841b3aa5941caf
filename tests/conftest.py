"""Shared fixtures.

The harmonics cache is pointed at a temporary folder for the whole session
(each pytest-xdist worker gets its own, so each computes the default harmonics
at most once) and never touches the user's cache.
"""

from __future__ import annotations

import numpy as np
import pytest

__all__ = []


@pytest.fixture(scope="session", autouse=True)
def stimgen_cache_dir(tmp_path_factory):
    """Session-wide ``STIMGEN_CACHE_DIR`` in a temporary folder."""
    path = tmp_path_factory.mktemp("stimgen-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("STIMGEN_CACHE_DIR", str(path))
    yield path
    patch.undo()


@pytest.fixture(scope="session")
def default_connectome(stimgen_cache_dir):
    """The default connectome (tvb-data 76 regions, CC dropped, with mesh)."""
    from resonance.connectome import load_connectome

    return load_connectome()


@pytest.fixture(scope="session")
def default_harmonics(default_connectome, stimgen_cache_dir):
    """The default harmonics, 200 modes, computed once per session (and cached)."""
    from resonance.harmonics import connectome_harmonics

    return connectome_harmonics(default_connectome, n_modes=200)


@pytest.fixture
def rng():
    """A seeded random generator."""
    return np.random.default_rng(0)
