"""resonance._lfilter.lfilter gives scipy.signal.lfilter's bits, and scoring never imports scipy.signal."""

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


def test_scoring_does_not_import_scipy_signal():
    code = (
        "import sys, numpy as np\n"
        "from resonance.scorer import Scorer\n"
        "from resonance._lfilter import lfilter\n"
        "lfilter([0.5], [1.0, -0.5], np.ones(8))\n"
        "print('scipy.signal' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
