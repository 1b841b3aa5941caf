"""The fixed cost of scoring: the light stand-ins give SciPy's bits, and scoring imports none of SciPy's heavy packages."""

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


def test_scoring_imports_no_heavy_scipy_package(default_harmonics):
    """Load the default connectome, its cached harmonics, score a short block: none of SciPy's heavy packages."""
    code = (
        "import sys, numpy as np\n"
        "from resonance import Scorer, connectome_harmonics\n"
        "from resonance.connectome import load_connectome\n"
        "from resonance.hearing.frontend import MODEL_SR\n"
        f"h = connectome_harmonics(load_connectome(), n_modes={default_harmonics.n_modes})\n"
        "s = Scorer(h)\n"
        "s.process(0.1 * np.sin(2 * np.pi * 440 * np.arange(2 * MODEL_SR) / MODEL_SR))\n"
        "r = s.result()\n"
        "heavy = ('scipy.signal', 'scipy.sparse', 'scipy.fft', 'scipy.ndimage', 'scipy.linalg', 'scipy._lib._array_api')\n"
        "print(h.from_cache, np.isfinite(r.score), [m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True []"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_light_fft_is_scipys_bits(dtype):
    """rfft / irfft / next_fast_len through the compiled FFT: scipy.fft's bits (cut, padded, either axis)."""
    import scipy.fft

    from resonance import _scipy_compiled as sc

    assert sc.pocketfft() is not None  # this SciPy's layout is known: the light path is what runs
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 96)).astype(dtype)
    for n, axis in ((None, -1), (64, 1), (200, 1), (None, 0), (7, 0)):
        got, want = sc.rfft(x, n, axis=axis), scipy.fft.rfft(x, n=n, axis=axis)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        m = 2 * (x.shape[axis] if n is None else n)
        assert np.array_equal(sc.irfft(got, m, axis=axis), scipy.fft.irfft(want, n=m, axis=axis))
        power = got.real**2 + got.imag**2  # real spectra, as the speech detector hands them
        assert np.array_equal(sc.irfft(power, m, axis=axis), scipy.fft.irfft(power, n=m, axis=axis))
    out = np.empty((5, 49), dtype=np.complex128 if dtype == np.float64 else np.complex64)
    assert sc.rfft(x, axis=-1, out=out) is out and np.array_equal(out, scipy.fft.rfft(x, axis=-1))
    for target in (1, 97, 1000, 4097, 30011):
        assert sc.next_fast_len(target, real=True) == scipy.fft.next_fast_len(target, real=True)


def test_light_image_filters_are_scipys_bits():
    """median_filter / uniform_filter1d through the compiled filters: scipy.ndimage's bits."""
    from scipy import ndimage

    from resonance import _scipy_compiled as sc

    assert sc._nd_image("rank_filter") is not None and sc._nd_image("uniform_filter1d") is not None
    rng = np.random.default_rng(4)
    for shape in ((1, 9), (2, 7), (12, 30), (40, 3)):
        x = rng.standard_normal(shape) ** 2
        for mode in ("mirror", "nearest", "reflect", "wrap", "constant"):
            for size in ((5, 1), (3, 3), (1, 5)):
                got, want = sc.median_filter(x, size=size, mode=mode), ndimage.median_filter(x, size=size, mode=mode)
                assert np.array_equal(got, want), (shape, mode, size)
            for axis in (0, 1):
                got = sc.uniform_filter1d(x, size=5, axis=axis, mode=mode)
                assert np.array_equal(got, ndimage.uniform_filter1d(x, size=5, axis=axis, mode=mode)), (shape, mode)
        xt = np.asfortranarray(x.T)  # the speech detector's layout (a transposed band)
        assert np.array_equal(sc.uniform_filter1d(xt, size=4, axis=1, mode="nearest"),
                              ndimage.uniform_filter1d(xt, size=4, axis=1, mode="nearest"))


def test_light_loaders_fall_back_to_scipy(monkeypatch):
    """Without the compiled modules (another SciPy layout) every stand-in calls SciPy's public function."""
    import scipy.fft
    from scipy import ndimage

    from resonance import _scipy_compiled as sc

    assert sc.scipy_compiled("fft", "no_such_module") is None
    monkeypatch.setattr(sc, "pocketfft", lambda: None)
    monkeypatch.setattr(sc, "_nd_image", lambda entry: None)
    x = np.random.default_rng(5).standard_normal((6, 40))
    assert np.array_equal(sc.rfft(x, 64, axis=1), scipy.fft.rfft(x, n=64, axis=1))
    assert np.array_equal(sc.irfft(sc.rfft(x, axis=1), 40, axis=1), scipy.fft.irfft(scipy.fft.rfft(x, axis=1), n=40))
    assert sc.next_fast_len(1001, real=True) == scipy.fft.next_fast_len(1001, real=True)
    assert np.array_equal(sc.median_filter(x, size=(5, 1), mode="mirror"),
                          ndimage.median_filter(x, size=(5, 1), mode="mirror"))
    assert np.array_equal(sc.uniform_filter1d(x, size=3, axis=1, mode="nearest"),
                          ndimage.uniform_filter1d(x, size=3, axis=1, mode="nearest"))
    # Input the compiled path does not take (integers, other modes) goes to SciPy even when loaded.
    monkeypatch.undo()
    xi = np.arange(24).reshape(4, 6)
    assert np.array_equal(sc.rfft(xi, axis=1), scipy.fft.rfft(xi, axis=1))
    assert np.array_equal(sc.median_filter(xi, size=(3, 1), mode="mirror"),
                          ndimage.median_filter(xi, size=(3, 1), mode="mirror"))


def test_mode_energy_rate_is_the_ordered_sum():
    """_mode_energy's per-frequency total (a loop since the light start-up) is the sum in order from 0, bit for bit."""
    from resonance.harmonics.drive import _mode_energy

    rng = np.random.default_rng(6)
    K, n_j, n, J = 3, 2, 27, 4
    a = rng.standard_normal((K, 2 * n_j * n))
    transfer = rng.random((K, J))
    gain = rng.random((J, n))
    e = np.zeros((K, 2, n))
    rate = np.zeros((K, J))
    _mode_energy(a, transfer, gain, 1, 1, e, rate)
    for k in range(K):
        for jj in range(n_j):
            pairs = a[k, 2 * n * jj : 2 * n * (jj + 1)].reshape(n, 2)
            total = 0.0
            for re, im in pairs:
                total += (re * re + im * im) * transfer[k, 1 + jj]
            assert rate[k, 1 + jj] == total
