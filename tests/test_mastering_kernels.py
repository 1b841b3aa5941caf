"""The exact stand-ins for scipy.signal / scipy.ndimage routines give SciPy's values, bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from stimgen.mastering import k_weighting_sos
from stimgen.mastering._kernels import ahead_min, kaiser_lowpass, lfilter, sosfilt, sosfilt_pair
from stimgen.synth.streams import BROWN_POLE, PINK_FILTER


def test_play_path_does_not_import_scipy_signal():
    """What `stimgen play` needs before its first sample loads neither scipy.signal nor scipy.ndimage."""
    code = (
        "import sys, numpy as np, stimgen.cli\n"
        "from stimgen.live import Engine, ModelMonitor, fixed_program\n"
        "from stimgen.preset import load_preset\n"
        "from stimgen.mastering._kernels import ahead_min, kaiser_lowpass, lfilter, sosfilt\n"
        "sosfilt(np.eye(1, 6)[0][None] + [[0, 0, 0, 1, 0.5, 0]], np.ones((2, 64)), zi=np.zeros((1, 2, 2)))\n"
        "lfilter([1.0], [1.0, -0.5], np.ones(64), zi=np.zeros(1))\n"
        "kaiser_lowpass(81, 0.25, 5.0); ahead_min(np.arange(9.0), 3)\n"
        "print([m for m in ('scipy.signal', 'scipy.ndimage', 'scipy.stats', 'scipy.special') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("axis", [-1, 0])
def test_sosfilt_equals_scipy(axis):
    rng = np.random.default_rng(3)
    sos = np.array(k_weighting_sos(48000))  # writable: scipy.signal.sosfilt needs that
    shape = (2, 3001) if axis == -1 else (3001, 2)
    x = rng.standard_normal(shape)
    x_before = x.copy()
    zi_shape = (2, 2, 2)
    zi = rng.standard_normal(zi_shape)
    y, zf = sosfilt(sos, x, axis=axis, zi=zi)
    y_ref, zf_ref = scipy.signal.sosfilt(sos, x, axis=axis, zi=zi)
    assert np.array_equal(y, y_ref) and np.array_equal(zf, zf_ref)
    x32 = x.astype(np.float32)
    assert np.array_equal(sosfilt(sos, x32, axis=axis), scipy.signal.sosfilt(sos, x32, axis=axis))
    assert np.array_equal(x, x_before)  # the input is not filtered in place


@pytest.mark.parametrize("sr", [44100, 48000])
def test_sosfilt_pair_equals_scipy_on_each_signal(sr):
    """Two signals as one complex row: each part is scipy's sosfilt of that signal, state carried, bit for bit."""
    rng = np.random.default_rng(4)
    sos = np.array(k_weighting_sos(sr))
    x = 0.3 * rng.standard_normal((2, 5000))
    x[:, 100:140] = 0.0  # exact zeros inside (the sign of a zero may differ; its square may not)
    zi = np.zeros((2, 2, 2))  # scipy's layout: (n_sections, n_signals, 2)
    pair_sos = sos.astype(np.complex128)
    state = np.zeros((1, 2, 2), dtype=np.complex128)
    for a, b in [(0, 1234), (1234, 5000)]:
        ref, zi = scipy.signal.sosfilt(sos, x[:, a:b], axis=-1, zi=zi)
        pair = x[0, a:b] + 1j * x[1, a:b]
        sosfilt_pair(pair_sos, pair, state)
        assert np.array_equal(pair.real, ref[0]) and np.array_equal(pair.imag, ref[1])
        assert np.array_equal(state[0].real, zi[:, 0]) and np.array_equal(state[0].imag, zi[:, 1])


@pytest.mark.parametrize("b, a", [(PINK_FILTER[0], PINK_FILTER[1]), ([1.0], [1.0, -BROWN_POLE])])
def test_lfilter_equals_scipy(b, a):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(4000)
    zi = rng.standard_normal(max(len(a), len(b)) - 1)
    y, zf = lfilter(np.asarray(b), np.asarray(a), x, zi=zi)
    y_ref, zf_ref = scipy.signal.lfilter(b, a, x, zi=zi)
    assert np.array_equal(y, y_ref) and np.array_equal(zf, zf_ref)
    assert np.array_equal(lfilter(np.asarray(b), np.asarray(a), x), scipy.signal.lfilter(b, a, x))


@pytest.mark.parametrize("oversample", [2, 4, 8, 16])
def test_kaiser_lowpass_equals_firwin(oversample):
    numtaps = 20 * oversample + 1
    h = kaiser_lowpass(numtaps, 1.0 / oversample, 5.0)
    assert np.array_equal(h, scipy.signal.firwin(numtaps, 1.0 / oversample, window=("kaiser", 5.0)))


def test_i0_equals_scipy():
    """The window's Bessel function, evaluated without scipy.special, gives SciPy's values bit for bit."""
    import scipy.special

    from stimgen.mastering._kernels import _i0

    rng = np.random.default_rng(5)
    x = np.concatenate([np.linspace(0.0, 40.0, 4001), rng.uniform(0.0, 700.0, 2000), [8.0, -3.5, 5.0]])
    assert np.array_equal(_i0(x), scipy.special.i0(x))


@pytest.mark.parametrize("n", [1, 2, 7, 240, 1001])
@pytest.mark.parametrize("size", [1, 2, 3, 241])
def test_ahead_min_equals_minimum_filter1d(n, size):
    v = np.random.default_rng(n * 1000 + size).standard_normal(n)
    ref = scipy.ndimage.minimum_filter1d(v, size=size, mode="nearest", origin=-(size // 2))
    assert np.array_equal(ahead_min(v, size), ref)
