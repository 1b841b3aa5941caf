"""Regional oscillators: driven, delay-coupled Stuart-Landau (Hopf) oscillators.

Each region of the connectome holds a small bank of oscillators, one per
rhythm frequency ``f`` (the gradient-frequency idea of Large et al. 2010,
whose canonical oscillator is the Stuart-Landau normal form of the Hopf
bifurcation).  Oscillator ``i`` at frequency ``f`` obeys::

    dz_i/dt = (a_f + i w_f) z_i - b |z_i|^2 z_i
              + G sum_j W_ij (z_j(t - tau_ij) - z_i(t)) + u_i(t)

with ``w_f = 2 pi f``; this is TVB's ``SupHopf`` model with ``Difference``
coupling (Deco et al. 2017), written in complex form, plus a stimulus
``u``.  The delays ``tau_ij`` are the connectome's tract lengths divided by a
conduction speed.  Oscillators at the same frequency are coupled; a drive
near an oscillator's frequency captures its phase (injection locking, within
an Arnold tongue whose width grows with the drive), and a drive whose
frequency stands in a ratio far from small integers -- the golden ratio is
the farthest -- locks it least.  None of this is a rule: it is what the
equations do.

Integration splits each step into the linear flow (exact: exponential Euler,
so an oscillator rings at its frequency even with a step of a quarter of its
period), the delayed coupling and drive, and the exact flow of the cubic
saturation ``|z|^2 -> |z|^2 / (1 + 2 b dt |z|^2)`` (stable for any drive),
with a ring buffer of past states for the delays.  The step loop is compiled
(numba, a dependency of librosa; cached on disk) and sums the delayed
coupling over the connectome's nonzero weights only.  It streams: processing
a drive in one call or in blocks gives the same trajectory.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit
from ..errors import ParameterError
from ..validation import check_float

__all__ = ["RegionalOscillators", "delay_steps", "kuramoto_order"]


def delay_steps(tract_lengths_mm, *, speed_mm_per_s: float, dt_s: float) -> np.ndarray:
    """Delays in whole integration steps: ``round(length / speed / dt)``.

    Examples
    --------
    >>> delay_steps([[0.0, 30.0], [30.0, 0.0]], speed_mm_per_s=3000.0, dt_s=0.005).tolist()
    [[0, 2], [2, 0]]
    """
    lengths = np.asarray(tract_lengths_mm, dtype=float)
    return np.rint(lengths / speed_mm_per_s / dt_s).astype(int)


def kuramoto_order(z: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """Amplitude-weighted Kuramoto order parameter ``|sum z| / sum |z|``.

    1 when every oscillator has the same phase, ~0 for scattered phases;
    0 where all amplitudes vanish.

    Examples
    --------
    >>> float(kuramoto_order(np.array([1.0, 1j, -1.0, -1j])))
    0.0
    """
    num = np.abs(z.sum(axis=axis))
    den = np.abs(z).sum(axis=axis)
    return np.where(den > 0, num / np.maximum(den, 1e-300), 0.0)


@njit(cache=True, nogil=True, error_model="numpy", noalias=True)
def _integrate(x, u, kick, decay, phi, indptr, offset, col, val, two_b_dt, n_hist, out, c):  # pragma: no cover
    """Integrate one step per column of the drive ``u``; states into ``out`` and the ring ``x``.

    ``x`` is the flat (re, im) view of the states, time-major, shape
    (n_hist + n, R, F) complex: the last ``n_hist`` known states, then room
    for the ``n`` new ones.  ``u`` (R, 1 or F, n) is the drive, ``kick`` (F,)
    its gain.  Row ``r`` of the coupling (global gain and self term folded
    in) is the sparse sum of ``val[i]`` times the state of region ``col[i]``
    at ring offset ``offset[i]`` (``x[t + offset[i]]`` for step ``t``), over
    ``i`` in ``indptr[r]:indptr[r + 1]``.  Each new state is ``decay z +
    kick u + phi c``, then the exact flow of the saturation divides it by
    ``sqrt(1 + 2 b dt |z|^2)`` (``two_b_dt`` 0: none).  Indices into ``x``
    are unsigned, so that the coupling's inner loop compiles to vector loads;
    ``c`` (2 F,) is the work row of the coupling's sums.  No two arguments
    share memory (``noalias``: the coupling's loops run without run-time
    overlap tests); NumPy's error model spares the division a zero test (its
    divisor is at least 1).
    """
    R, F, n = out.shape
    per_freq = u.shape[1] == F
    F2 = np.uint64(2 * F)
    step = np.uint64(R) * F2
    dr, di = decay.real.copy(), decay.imag.copy()
    qr, qi = phi.real.copy(), phi.imag.copy()
    # Where each coupling term reads, relative to step 0 (hoisted out of the step loop).
    base = np.empty(val.size, dtype=np.uint64)
    for i in range(val.size):
        base[i] = np.uint64(offset[i]) * step + np.uint64(col[i]) * F2
    for t in range(n):
        tb = np.uint64(t) * step
        now = np.uint64(n_hist + t) * step
        for r in range(R):
            # c[q] = ((0 + w_0 x_0[q]) + w_1 x_1[q]) + ... in the order of the
            # entries, as a plain loop adds them; eight (then four, then one)
            # entries per pass over the F2 values, so that the vectorised pass
            # and its overhead serve eight products per value.
            c[:] = 0.0
            i = indptr[r]
            end = indptr[r + 1]
            while i + 8 <= end:
                s0, s1, s2, s3 = tb + base[i], tb + base[i + 1], tb + base[i + 2], tb + base[i + 3]
                s4, s5, s6, s7 = tb + base[i + 4], tb + base[i + 5], tb + base[i + 6], tb + base[i + 7]
                w0, w1, w2, w3, w4, w5, w6, w7 = val[i], val[i + 1], val[i + 2], val[i + 3], val[i + 4], val[
                    i + 5], val[i + 6], val[i + 7]
                for q in range(F2):
                    c[q] = (((((((c[q] + w0 * x[s0 + q]) + w1 * x[s1 + q]) + w2 * x[s2 + q]) + w3 * x[s3 + q])
                             + w4 * x[s4 + q]) + w5 * x[s5 + q]) + w6 * x[s6 + q]) + w7 * x[s7 + q]
                i += 8
            while i + 4 <= end:
                s0, s1, s2, s3 = tb + base[i], tb + base[i + 1], tb + base[i + 2], tb + base[i + 3]
                w0, w1, w2, w3 = val[i], val[i + 1], val[i + 2], val[i + 3]
                for q in range(F2):
                    c[q] = (((c[q] + w0 * x[s0 + q]) + w1 * x[s1 + q]) + w2 * x[s2 + q]) + w3 * x[s3 + q]
                i += 4
            while i < end:
                s0 = tb + base[i]
                w0 = val[i]
                for q in range(F2):
                    c[q] += w0 * x[s0 + q]
                i += 1
            new = now + np.uint64(r) * F2
            prev = new - step
            for f in range(F):
                k = np.uint64(2 * f)
                d = kick[f] * u[r, f if per_freq else 0, t]
                pr, pi, cr, ci = x[prev + k], x[prev + k + 1], c[k], c[k + 1]
                re = (dr[f] * pr - di[f] * pi) + d.real + (cr * qr[f] - ci * qi[f])
                im = (dr[f] * pi + di[f] * pr) + d.imag + (cr * qi[f] + ci * qr[f])
                if two_b_dt != 0.0:
                    scale = 1.0 / math.sqrt((re * re + im * im) * two_b_dt + 1.0)
                    re *= scale
                    im *= scale
                x[new + k] = re
                x[new + k + 1] = im
                out[r, f, t] = complex(re, im)


class RegionalOscillators:
    """A network of Stuart-Landau oscillators, one bank per region (streaming).

    Parameters
    ----------
    weights : array_like, shape (n_regions, n_regions)
        Coupling weights ``W`` (used as given).
    delays : array_like of int, shape (n_regions, n_regions)
        Delay of each connection in steps (:func:`delay_steps`).
    freqs_hz : array_like, shape (n_freqs,)
        Natural frequency of each oscillator of a bank.
    dt_s : float
        Integration step (s).
    a_per_s : float or array_like, shape (n_freqs,)
        Bifurcation parameter ``a_f`` (negative: damped, below the Hopf
        bifurcation; positive: self-sustained).
    b_per_s : float
        Saturation coefficient ``b`` of the cubic term.
    coupling_per_s : float
        Global coupling ``G``.

    Examples
    --------
    >>> osc = RegionalOscillators(np.ones((2, 2)) - np.eye(2), np.zeros((2, 2), int), [2.0], dt_s=0.01,
    ...                           a_per_s=-1.0, b_per_s=1.0, coupling_per_s=0.5)
    >>> z = osc.process(np.ones((2, 1, 5)))
    >>> z.shape
    (2, 1, 5)
    """

    def __init__(self, weights, delays, freqs_hz, *, dt_s: float, a_per_s=-1.0, b_per_s: float = 1.0,
                 coupling_per_s: float = 0.0):
        w = np.asarray(weights, dtype=float)
        d = np.asarray(delays)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or d.shape != w.shape:
            raise ParameterError(
                f"weights {w.shape} and delays {d.shape} must be the same square (n_regions, n_regions) shape"
            )
        if np.any(d < 0):
            raise ParameterError("delays must be >= 0 steps")
        dt = check_float("dt_s", dt_s, low=0.0, low_inclusive=False)
        self.freqs_hz = np.asarray(freqs_hz, dtype=float).reshape(-1)
        self.dt_s = dt
        self.b = check_float("b_per_s", b_per_s, low=0.0)
        self.g = check_float("coupling_per_s", coupling_per_s, low=0.0)
        a = np.broadcast_to(np.asarray(a_per_s, dtype=float), self.freqs_hz.shape)
        lam = a + 2j * np.pi * self.freqs_hz
        self._decay = np.exp(lam * dt)  # (F,)
        self._phi = (self._decay - 1.0) / lam  # integral of exp(lam s) over a step
        self._w = w
        self._rowsum = w.sum(axis=1)
        self._delays = np.array(sorted(int(x) for x in np.unique(d)))
        # All delayed couplings in one product: [W_d0 W_d1 ...] @ [z(t-d0); z(t-d1); ...].
        self._w_cat = np.concatenate([np.where(d == k, w, 0.0) for k in self._delays], axis=1)
        self._len = int(self._delays[-1]) + 1
        self.n_regions = w.shape[0]
        # The same product for the step loop, with the self term -rowsum z(t)
        # folded in, on the (re, im) view of the states: slot i of the last
        # ``_len`` states (oldest first) holds the delay ``_len - 1 - i``.
        with_now = sorted({0, *self._delays.tolist()}, reverse=True)
        self._slots = np.array([self._len - 1 - k for k in with_now])
        self._dense = len(with_now) == self._len
        blocks = [np.where(d == k, w, 0.0) for k in with_now]
        blocks[-1] = blocks[-1] - np.diag(self._rowsum)
        self._w_slots = np.concatenate(blocks, axis=1)
        # Its nonzero entries, row by row (CSR), with the global gain: entry
        # (r, s R + j) reads region j at ring offset slots[s].
        w_g = self.g * self._w_slots if self.g else np.zeros_like(self._w_slots)
        rows, cols = np.nonzero(w_g)
        self._indptr = np.searchsorted(rows, np.arange(self.n_regions + 1)).astype(np.int64)
        self._offset = self._slots[cols // self.n_regions].astype(np.int64)
        self._col = (cols % self.n_regions).astype(np.int64)
        self._val = w_g[rows, cols]
        self.reset()

    def reset(self, z0=None) -> None:
        """Set every oscillator (and the whole history) to ``z0`` (default 0)."""
        shape = (self.n_regions, self.freqs_hz.size)
        z = np.zeros(shape, dtype=complex) if z0 is None else np.broadcast_to(np.asarray(z0, dtype=complex), shape)
        self._hist = np.repeat(z[None], self._len, axis=0).copy()  # the last states, oldest first
        self._ring = np.empty((0,) + shape, dtype=complex)  # work space of process, kept between calls

    @property
    def state(self) -> np.ndarray:
        """Current state, shape (n_regions, n_freqs), complex."""
        return self._hist[-1]

    def process(self, u: np.ndarray) -> np.ndarray:
        """Advance one step per column of the drive.

        Parameters
        ----------
        u : ndarray, shape (n_regions, n_freqs, n) or (n_regions, 1, n)
            Drive integrated over each step (added to ``z`` as a kick of
            ``phi * u / dt``, i.e. ``u`` is in units of ``z`` per step).

        Returns
        -------
        ndarray, shape (n_regions, n_freqs, n), complex
            State after each step.
        """
        u = np.asarray(u)
        n = u.shape[-1]
        R, F, L = self.n_regions, self.freqs_hz.size, self._len
        if u.ndim != 3 or u.shape[0] != R or u.shape[1] not in (1, F):
            raise ParameterError(f"u has shape {u.shape}; expected ({R}, {F} or 1, n_steps)")
        # Time-major ring: the last L states, then the n new ones, so that the
        # delayed states of each step lie side by side.
        # Its memory is kept from call to call (no fresh 2 MB array, and its
        # page faults, per 10 s block).
        if self._ring.shape[0] < L + n:
            self._ring = np.empty((L + n, R, F), dtype=complex)
        x = self._ring[: L + n]
        x[:L] = self._hist
        out = np.empty((R, F, n), dtype=complex)
        _integrate(x.reshape(-1).view(np.float64), np.asarray(u, dtype=complex), self._phi / self.dt_s, self._decay,
                   self._phi, self._indptr, self._offset, self._col, self._val, 2.0 * self.b * self.dt_s, L, out,
                   np.empty(2 * F))
        self._hist = x[n:].copy()
        return out
