"""Modulation spectrum of the band envelopes, 0.5-64 Hz (streaming).

After the envelope of each cochlear band, the auditory system analyses its
fluctuations in a bank of band-pass *modulation filters* (Dau, Kollmeier &
Kohlrausch 1997; Jepsen, Ewert & Dau 2008: roughly octave-spaced filters with
a quality factor of 1-2).  Here each filter is a cascade of two identical
complex one-pole resonators on the envelope (frame rate ~172 Hz; two poles so
that a filter's skirts fall as the fourth power of the detuning) with centre rates log-spaced from 0.5 to
64 Hz, half an octave apart, quality factor 2 (Dau et al. 1997 use Q = 2 for
their filters above 10 Hz; the same Q is used below, in the spirit of Jepsen
et al.'s constant-Q bank).

The input of the filters is the envelope relative to its recent peak,
``env / peak - 1`` in [-1, 0] (the peak follows rises at once and releases
over ``dc_tau_s``), so the measure is independent of the sound's level and a
sound fading in is not a modulation.  The output is the power of that
relative envelope in each filter (in the spirit of the DC-normalised
envelope power of Ewert & Dau 2000): for a sinusoidal amplitude modulation
of depth ``m`` at a filter's centre rate it reads ``(m / (1 + m))^2``.  It is averaged over each
model step.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ..validation import check_float, check_int

__all__ = ["ModulationFilterbank", "modulation_rates_hz"]


def modulation_rates_hz(*, fmin_hz: float = 0.5, fmax_hz: float = 64.0, per_octave: int = 2) -> np.ndarray:
    """Centre rates of the modulation filters (Hz), log-spaced.

    Examples
    --------
    >>> modulation_rates_hz()[[0, -1]].tolist()
    [0.5, 64.0]
    """
    n = int(round(np.log2(fmax_hz / fmin_hz) * per_octave))
    return fmin_hz * 2.0 ** (np.arange(n + 1) / per_octave)


@njit(inline="always")
def _section_step(xt, s, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i):  # pragma: no cover  (compiled)
    """One sample of one filter (:func:`_filter_power`): new state ``s`` and the output power."""
    z0, z1, z2, z3, e0, e1 = s
    y = z0 + xt * 1.0
    z0 = z1 + xt * 0.0 - y * a1
    z1 = z2 + xt * 0.0 - y * a2
    z2 = z3 + xt * 0.0 - y * a3
    z3 = xt * 0.0 - y * a4
    zr = c0r * y
    zr += c1r * e1
    zr += c2r * e0
    zi = c1i * e1
    zi += c2i * e0
    pw = zr * zr
    pw += zi * zi
    return (z0, z1, z2, z3, e1, y), pw


@njit(inline="always")
def _load(z, w, c, j):  # pragma: no cover  (compiled)
    return (z[c, j, 0], z[c, j, 1], z[c, j, 2], z[c, j, 3], w[c, j, 0], w[c, j, 1])


@njit(inline="always")
def _store(z, w, c, j, s):  # pragma: no cover  (compiled)
    z[c, j, 0], z[c, j, 1], z[c, j, 2], z[c, j, 3], w[c, j, 0], w[c, j, 1] = s


@njit(cache=True, nogil=True)
def _filter_power(x, den, num_re, num_im, z, w, power):  # pragma: no cover  (compiled)
    """Power of every channel of ``x`` in every modulation filter, states updated in place.

    Per filter ``j``: the real 4th-order recursion ``1 / den[j]`` in the
    transposed direct form II (the arithmetic of ``scipy.signal.lfilter``
    with numerator ``[1]``, operation for operation), then the 3-tap complex
    FIR ``num`` on its output and the squared modulus.  ``z`` (C, J, 4) is
    the recursion's state, ``w`` (C, J, 2) its last two outputs.

    Four channels are run side by side through the same filter: each
    recursion is a chain of dependent operations (its latency, not the
    arithmetic, sets the pace), and four independent chains overlap in the
    processor.  Each channel's operations and their order are those of one
    channel alone, so the values do not depend on the grouping.
    """
    C, n = x.shape
    J = den.shape[0]
    for j in range(J):
        a1, a2, a3, a4 = den[j, 1], den[j, 2], den[j, 3], den[j, 4]
        c0r, c1r, c2r = num_re[j, 0], num_re[j, 1], num_re[j, 2]
        c1i, c2i = num_im[j, 1], num_im[j, 2]
        c = 0
        while c + 4 <= C:
            sa, sb, sc, sd = _load(z, w, c, j), _load(z, w, c + 1, j), _load(z, w, c + 2, j), _load(z, w, c + 3, j)
            for t in range(n):
                sa, pa = _section_step(x[c, t], sa, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                sb, pb = _section_step(x[c + 1, t], sb, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                sc, pc = _section_step(x[c + 2, t], sc, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                sd, pd = _section_step(x[c + 3, t], sd, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                power[c, j, t] = pa
                power[c + 1, j, t] = pb
                power[c + 2, j, t] = pc
                power[c + 3, j, t] = pd
            _store(z, w, c, j, sa)
            _store(z, w, c + 1, j, sb)
            _store(z, w, c + 2, j, sc)
            _store(z, w, c + 3, j, sd)
            c += 4
        while c < C:  # the channels left over, one at a time
            sa = _load(z, w, c, j)
            for t in range(n):
                sa, pa = _section_step(x[c, t], sa, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                power[c, j, t] = pa
            _store(z, w, c, j, sa)
            c += 1


@njit(inline="always")
def _pairwise_mean(buf, i, step):  # pragma: no cover  (compiled)
    """``buf[i, :step].mean()`` as NumPy computes it for ``step <= 128``, bit for bit.

    NumPy sums a contiguous run of up to 128 float64 values pairwise: below
    8 values one after the other; otherwise eight running sums (element
    ``k`` of every group of eight into sum ``k``), combined as
    ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the values
    left over one by one; the mean divides that sum by ``step``.
    """
    if step < 8:
        res = 0.0
        for k in range(step):
            res += buf[i, k]
        return res / step
    r0, r1, r2, r3 = buf[i, 0], buf[i, 1], buf[i, 2], buf[i, 3]
    r4, r5, r6, r7 = buf[i, 4], buf[i, 5], buf[i, 6], buf[i, 7]
    k = 8
    while k < step - step % 8:
        r0 += buf[i, k]
        r1 += buf[i, k + 1]
        r2 += buf[i, k + 2]
        r3 += buf[i, k + 3]
        r4 += buf[i, k + 4]
        r5 += buf[i, k + 5]
        r6 += buf[i, k + 6]
        r7 += buf[i, k + 7]
        k += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < step:
        res += buf[i, k]
        k += 1
    return res / step


@njit(cache=True, nogil=True)
def _filter_step_means(x, den, num_re, num_im, z, w, step, means):  # pragma: no cover  (compiled)
    """The step means of :func:`_filter_power`'s output, without the per-frame array.

    ``x`` holds whole steps (``means`` is (C, J, n / step)); the power of
    each frame is computed as in :func:`_filter_power` (the same
    operations), kept for the current step only, and averaged as
    ``power.reshape(C, J, m, step).mean(axis=3)`` does (:func:`_pairwise_mean`;
    ``step <= 128``).
    """
    C, n = x.shape
    J = den.shape[0]
    buf = np.empty((4, step))
    for j in range(J):
        a1, a2, a3, a4 = den[j, 1], den[j, 2], den[j, 3], den[j, 4]
        c0r, c1r, c2r = num_re[j, 0], num_re[j, 1], num_re[j, 2]
        c1i, c2i = num_im[j, 1], num_im[j, 2]
        c = 0
        while c < C:
            g = min(4, C - c)  # channels side by side (see _filter_power)
            if g == 4:
                sa, sb, sc, sd = _load(z, w, c, j), _load(z, w, c + 1, j), _load(z, w, c + 2, j), _load(z, w, c + 3, j)
                for t0 in range(0, n, step):
                    for u in range(step):
                        t = t0 + u
                        sa, buf[0, u] = _section_step(x[c, t], sa, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                        sb, buf[1, u] = _section_step(x[c + 1, t], sb, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                        sc, buf[2, u] = _section_step(x[c + 2, t], sc, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                        sd, buf[3, u] = _section_step(x[c + 3, t], sd, a1, a2, a3, a4, c0r, c1r, c2r, c1i, c2i)
                    for i in range(4):
                        means[c + i, j, t0 // step] = _pairwise_mean(buf, i, step)
                _store(z, w, c, j, sa)
                _store(z, w, c + 1, j, sb)
                _store(z, w, c + 2, j, sc)
                _store(z, w, c + 3, j, sd)
            else:
                for i in range(g):
                    sa = _load(z, w, c + i, j)
                    for t0 in range(0, n, step):
                        for u in range(step):
                            sa, buf[0, u] = _section_step(x[c + i, t0 + u], sa, a1, a2, a3, a4, c0r, c1r, c2r, c1i,
                                                          c2i)
                        means[c + i, j, t0 // step] = _pairwise_mean(buf, 0, step)
                    _store(z, w, c + i, j, sa)
            c += g


class ModulationFilterbank:
    """Constant-Q modulation filters on band envelopes, step-averaged power.

    Parameters
    ----------
    fs_hz : float
        Envelope frame rate (Hz).
    rates_hz : array_like
        Centre rates (Hz); those at or above ``fs_hz / 2`` are dropped.
    q : float
        Quality factor (centre rate / bandwidth).
    dc_tau_s : float
        Release time of the peak follower that normalises the envelope (s);
        2 s is longer than one cycle of the slowest filter (0.5 Hz), so a
        0.5 Hz modulation is measured against its own peaks.
    step : int
        Frames per output value (the model step).
    n_channels : int
        Number of envelopes analysed in parallel.

    Examples
    --------
    >>> fs = 22050 / 128
    >>> t = np.arange(64 * 40) / fs
    >>> env = 1.0 + 0.5 * np.sin(2 * np.pi * 4.0 * t)
    >>> mfb = ModulationFilterbank(fs_hz=fs, rates_hz=[4.0, 16.0], step=64)
    >>> p = mfb.process(env[None])
    >>> p.shape
    (1, 2, 40)
    >>> round(float(p[0, 0, -1]), 2), bool(p[0, 0, -1] > 10 * p[0, 1, -1])
    (0.12, True)
    """

    def __init__(self, *, fs_hz: float, rates_hz=None, q: float = 2.0, dc_tau_s: float = 2.0, step: int = 64,
                 n_channels: int = 1):
        self.fs_hz = fs_hz
        self.rates_hz = rates_hz
        self.q = q
        self.dc_tau_s = dc_tau_s
        self.step = step
        self.n_channels = n_channels
        self._ready = False

    def _setup(self) -> None:
        fs = check_float("fs_hz", self.fs_hz, low=0.0, low_inclusive=False)
        q = check_float("q", self.q, low=0.25, high=50.0)
        check_float("dc_tau_s", self.dc_tau_s, low=0.01)
        check_int("step", self.step, low=1)
        check_int("n_channels", self.n_channels, low=1)
        rates = modulation_rates_hz() if self.rates_hz is None else np.asarray(self.rates_hz, dtype=float)
        rates = rates[rates < fs / 2.0]
        self.rates_hz_ = rates
        r = np.exp(-np.pi * rates / (q * fs))
        self._pole = r * np.exp(2j * np.pi * rates / fs)
        # Gain 1 at the centre: |(1 - r) / (1 - pole e^{-iw})| = 1 there for
        # each of the two stages; a real sinusoid of amplitude a gives
        # |z| = a / 2, so the product is scaled by 2.
        self._gain = 2.0 * (1.0 - r) ** 2
        # The same filter, g / (1 - p z^-1)^2, as one real recursion and a
        # short complex FIR (numerator and denominator times (1 - p* z^-1)^2):
        # g (1 - p* z^-1)^2 / (1 - 2 Re(p) z^-1 + |p|^2 z^-2)^2.  A real
        # 4th-order recursion costs a quarter of a complex 2nd-order one.
        self._den = [np.convolve(q, q) for q in ([1.0, -2.0 * pc.real, abs(pc) ** 2] for pc in self._pole)]
        self._num = [g * np.array([1.0, -2.0 * np.conj(pc), np.conj(pc) ** 2]) for g, pc in zip(self._gain, self._pole)]
        self._den_a = np.array(self._den, dtype=np.float64).reshape(rates.size, 5)
        num = np.array(self._num, dtype=np.complex128).reshape(rates.size, 3)
        self._num_re, self._num_im = np.ascontiguousarray(num.real), np.ascontiguousarray(num.imag)
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Bring every filter to rest."""
        if not hasattr(self, "rates_hz_"):
            return
        self._z = np.zeros((self.n_channels, self.rates_hz_.size, 4))  # state of the real recursion
        self._w = np.zeros((self.n_channels, self.rates_hz_.size, 2))  # its last two outputs
        self._dc = None
        self._acc = np.zeros((self.n_channels, self.rates_hz_.size))
        self._n_acc = 0
        self._power_buf = None

    def process(self, env: np.ndarray) -> np.ndarray:
        """Analyse the next envelope frames.

        Parameters
        ----------
        env : ndarray, shape (n_channels, n)
            Envelopes (linear amplitude, > 0).

        Returns
        -------
        ndarray, shape (n_channels, n_rates, n_steps)
            Mean relative modulation power of each completed step.
        """
        if not self._ready:
            self._setup()
        env = np.asarray(env, dtype=float)
        C, n = env.shape
        J = self.rates_hz_.size
        if n == 0:
            return np.zeros((C, J, 0))
        # Reference level: a peak follower with instant attack and an
        # exponential release over dc_tau_s, computed in the log domain as
        # log ref[t] = max(log env[s] - (t - s) k) over s <= t, so that a
        # sound fading in is not taken for modulation while dips below the
        # recent level are.
        k = 1.0 / (self.dc_tau_s * self.fs_hz)
        logenv = np.log(np.maximum(env, 1e-300))
        t = np.arange(1, n + 1)
        prev = logenv[:, :1] + k if self._dc is None else self._dc
        lifted = np.maximum.accumulate(np.concatenate([prev, logenv + k * t], axis=1), axis=1)[:, 1:]
        logref = lifted - k * t
        self._dc = logref[:, -1:]
        x = np.exp(logenv - logref) - 1.0  # in [-1, 0]: dips below the recent peak
        S = self.step
        if self._n_acc == 0 and n % S == 0 and S <= 128:
            # Whole steps (the scorer's blocks): the step means straight from
            # the filters, without the per-frame power (the same values).
            means = np.empty((C, J, n // S))
            _filter_step_means(np.ascontiguousarray(x), self._den_a, self._num_re, self._num_im, self._z, self._w,
                               S, means)
            return means
        # One buffer for the per-frame power, kept while the blocks keep their
        # length (a fresh array of a few MB per block costs its page faults).
        power = self._power_buf
        if power is None or power.shape != (C, J, n):
            power = self._power_buf = np.empty((C, J, n))
        _filter_power(np.ascontiguousarray(x), self._den_a, self._num_re, self._num_im, self._z, self._w, power)
        # Step averages, carrying the partial step across calls.
        S = self.step
        head = (S - self._n_acc) % S
        out = []
        if self._n_acc and n >= head:
            self._acc += power[:, :, :head].sum(axis=2)
            out.append((self._acc / S)[:, :, None])
            self._acc = np.zeros((C, J))
            self._n_acc = 0
            rest = power[:, :, head:]
        elif self._n_acc:
            self._acc += power.sum(axis=2)
            self._n_acc += n
            return np.zeros((C, J, 0))
        else:
            rest = power
        m = rest.shape[2] // S
        if m:
            out.append(rest[:, :, : m * S].reshape(C, J, m, S).mean(axis=3))
        tail = rest[:, :, m * S :]
        if tail.shape[2]:
            self._acc += tail.sum(axis=2)
            self._n_acc += tail.shape[2]
        return np.concatenate(out, axis=2) if out else np.zeros((C, J, 0))
