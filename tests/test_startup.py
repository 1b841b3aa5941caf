"""The fixed cost of scoring: the light stand-ins give SciPy's bits, and scoring imports neither scipy.signal nor scipy.sparse."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import lfilter as scipy_lfilter

from resonance._lfilter import lfilter


@pytest.mark.parametrize("shape,axis", [((257,), -1), ((3, 200), 1), ((4, 5, 90), 2), ((60, 3), 0)])
def test_same_bits_as_scipy(shape, axis):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    for b, a in (([0.2], [1.0, -0.8]), ([0.1, 0.3, 0.05], [1.0, -1.2, 0.5])):
        n = max(len(a), len(b)) - 1
        zi_shape = list(shape)
        zi_shape[axis] = n
        zi = rng.standard_normal(zi_shape)
        np.testing.assert_array_equal(lfilter(b, a, x, axis=axis), scipy_lfilter(b, a, x, axis=axis))
        got, got_state = lfilter(b, a, x, axis=axis, zi=zi)
        want, want_state = scipy_lfilter(b, a, x, axis=axis, zi=zi)
        assert np.array_equal(got, want) and np.array_equal(got_state, want_state)


def test_fir_and_other_dtypes_go_to_scipy():
    x = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(lfilter([0.5, 0.5], [1.0], x), scipy_lfilter([0.5, 0.5], [1.0], x))
    np.testing.assert_array_equal(lfilter([0.5], [1.0, -0.5], x), scipy_lfilter([0.5], [1.0, -0.5], x))


def test_region_means_are_the_sparse_membership_sums(default_harmonics):
    """entry_coupling's region means: the same bits as summing by a 0/1 scipy.sparse membership matrix."""
    from scipy import sparse

    from resonance.connectome.coupling import entry_coupling

    vecs = np.asarray(default_harmonics.vectors)
    vreg = np.asarray(default_harmonics.vertex_region)
    n_regions = len(default_harmonics.region_labels)
    members = sparse.csr_matrix((np.ones(vreg.size), (vreg, np.arange(vreg.size))), shape=(n_regions, vreg.size))
    want = np.asarray(members @ vecs) / np.maximum(np.bincount(vreg, minlength=n_regions), 1.0)[:, None]
    got = entry_coupling(default_harmonics, n_bands=8).region_means
    assert got.shape == want.shape and np.array_equal(got, want)


def test_scoring_imports_neither_scipy_signal_nor_sparse(default_harmonics):
    """Load the default connectome, its cached harmonics, score a short block: no scipy.signal, no scipy.sparse."""
    code = (
        "import sys, numpy as np\n"
        "from resonance import Scorer, connectome_harmonics\n"
        "from resonance.connectome import load_connectome\n"
        "from resonance.hearing.frontend import MODEL_SR\n"
        f"h = connectome_harmonics(load_connectome(), n_modes={default_harmonics.n_modes})\n"
        "s = Scorer(h)\n"
        "s.process(0.1 * np.sin(2 * np.pi * 440 * np.arange(2 * MODEL_SR) / MODEL_SR))\n"
        "r = s.result()\n"
        "print(h.from_cache, np.isfinite(r.score), [m for m in ('scipy.signal', 'scipy.sparse') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True []"
