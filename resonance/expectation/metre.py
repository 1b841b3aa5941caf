"""Metre: an online posterior over tempo and beat phase (forward-only bar pointer).

The listener's model of pulse and metre (docs/model.md) is a hidden
Markov model in the manner of the bar-pointer model of Whiteley, Cemgil &
Godsill (2006) with the efficient state space of Krebs, Böck & Widmer (2015),
run *forward only* (filtering, never smoothing): at every frame the model
knows only the past.

* **State.**  A pointer that moves through a cycle of a few beats, one
  position per frame.  Each tempo is a cycle of ``N`` frames holding ``k``
  beats (integers), so the pointer's position fixes the beat phase and
  ``N / k`` the beat period; cycles of at least ``min_cycle_s`` give a tempo
  grid of 1-2 % at every rate, where one beat per cycle would give 7 %
  at 180 BPM and 43 frames/s.
* **Transitions.**  The pointer advances one position per frame.  At the end
  of a cycle the tempo may change, with probability falling as
  ``exp(-lambda |N_i / N_j - 1|)`` (Krebs, Böck & Widmer 2015, lambda = 100).
* **Prior over tempo.**  The resonance curve of the perceptual-motor pulse
  (van Noorden & Moelants 1999; peak near 2 Hz) sets the initial
  distribution over tempi and weighs the time spent at each tempo
  (``prior_weight`` per second): where the evidence leaves two metrical
  levels nearly tied (a groove's beat and its eighth-note hi-hats) the
  preferred rate wins; the evidence of an isochronous sequence is stronger
  and wins against it.
* **Onset detection function.**  The input rows are the bands' spectral
  flux (log-compressed, SuperFlux: Böck & Widmer 2013), summed over bands;
  only local peaks count, by what they rise above an adaptive threshold
  (the recent mean; Bello et al. 2005), divided by a running peak.  A chord
  change on an organ is an onset as a drum hit is.
* **Observation.**  A metrical expectation: the probability of an onset in a
  frame depends on where the frame falls in the beat -- high on the beat,
  lower on the half beat, lower still on the quarter beat, a small floor
  elsewhere (the metrical hierarchy of Lerdahl & Jackendoff 1983 and the
  event frequencies by metrical position of Palmer & Krumhansl 1990).  Each
  frame's accent ``o`` in [0, 1] is scored as a soft Bernoulli,
  ``q ** o * (1 - q) ** (1 - o)``: an expected beat that stays silent
  costs ``log (1 - q)`` -- omitted beats are evidence too.

The predictive probability of an onset in the next frame,
``p = sum_s P(s | past) q(s)``, gives the rhythmic surprise (information
content of what arrived, bits) and uncertainty (entropy of the prediction,
bits), as in IDyOM (Pearce 2005).  The **metre certainty** is the geometric
mean of (1) the concentration of the beat phase the posterior predicts
``horizon_s`` ahead (the length of the mean resultant vector within each
tempo, summed over tempi, Fisher 1993: hypotheses at two metrical levels
that agree on the grid are not a disagreement) and (2) the beat contrast,
how much stronger the accents have been where the model expected a beat
than the accents at large, ``(<o>_beat - <o>) / (1 - <o>)``, both averaged
over ``certainty_tau_s`` (exponential averages with their start-up bias
divided out, so the certainty is that of the frames heard so far): 1 when
the model is sure where the coming beats fall and the beats come there,
near 0 when onsets leave the phase undetermined (random onsets, speech, or
so much syncopation that the accents no longer mark the beats).  Extra
notes off the beat, with the beats still marked, lower it little.  The
scorer uses it as the precision of rhythmic prediction errors (Vuust &
Witek 2014; Koelsch, Vuust & Friston 2019).

Whether there is a pulse at all is a separate question from how sure the
model is of it: :meth:`MetreModel.pulse_z` measures how far the accents fall
on the beats the model predicted *before* they came, beyond chance, in
standard errors (soft-onset music has a low beat contrast but a clear
``z``; accents that do not depend on the past give ``z ~ N(0, 1)``).

The **metrical level** reported (:meth:`MetreModel.tempo_bpm`) is chosen
among the peak of the tempo posterior and its metrical relatives (ratios 2
and 3) that the filter entertained, by pulse salience as in Parncutt (1994):
a period preference (Ellis 2007) times the accents' recurrence at the
pulse period and its multiples up to a bar (their autocorrelation, kept
online); the filter alone favours the fastest level whose beats catch the
onsets.

The filter is compiled (numba, a dependency of librosa) and runs in float64;
each tempo's cycle is a ring buffer (advancing the pointers moves offsets,
not the posterior), and tempi left with a small share of the posterior are
pruned (``prune``): they go dormant, keeping their phase posterior and its
evidence (updated lazily, on frames with an accent only), and their tempo
changes, so a tempo the music moves to comes back as it would in the full
filter.  It is deterministic and gives the same result for any split into
blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import uint64

from .._jit import njit
from ..dynamics import effective_pulse_response
from ..validation import check_float, check_int

__all__ = ["MetreModel", "MetreOutput"]

_EPS = 1e-6
#: Ratios of a pulse to its metrical relatives: tatum, tactus and measure
#: periods stand in ratios of 2 and 3 (Klapuri, Eronen & Astola 2006).
_LEVEL_RATIOS = (1.0, 1.0 / 3.0, 0.5, 2.0 / 3.0, 1.5, 2.0, 3.0)


# --------------------------------------------------------------------- kernel
@njit(cache=True, nogil=True)
def _accent_kernel(s, sc, accent_a, thr_a, floor):  # pragma: no cover - compiled
    """Adaptive-threshold peak picking of the summed event strength (see :meth:`MetreModel.accent`)."""
    n = s.size
    out = np.empty(n)
    last0, last1, peak, thr = sc[0], sc[1], sc[2], sc[3]
    for t in range(n):
        # Frame t of the output is input frame t - 1 (one frame of look-ahead
        # for the local-maximum test).
        nxt = s[t]
        centre = last1
        x = centre if (centre > last0 and centre >= nxt) else 0.0
        # Adaptive threshold: what rises above the recent mean of the summed
        # strength (causal, before this frame) is an event.
        x = max(x - thr, 0.0)
        thr = thr_a * thr + (1.0 - thr_a) * centre
        peak = max(x, peak * accent_a, floor)
        out[t] = x / peak
        last0, last1 = last1, nxt
    sc[0], sc[1], sc[2], sc[3] = last0, last1, peak, thr
    return out


@njit(cache=True, nogil=True)
def _autocorr_update(x, n_hist, ac):  # pragma: no cover - compiled
    """Add the lagged products of the accents ``x[n_hist:]`` to ``ac`` (lags 0 .. ac.size - 1).

    ``x`` holds the ``n_hist`` accents before the block, then the block;
    frame by frame, lags in order, so any split into blocks gives the same
    sums.  Accents are sparse (peaks only): frames without one add nothing.
    """
    L = ac.size - 1
    for t in range(n_hist, x.size):
        v = x[t]
        if v == 0.0:
            continue
        top = min(L, t)
        for lag in range(top + 1):
            ac[lag] += v * x[t - lag]


@njit(cache=True, nogil=True)
def _catch_up(alpha, s0, L, off_end, r, pre, ipre, p0, factor):  # pragma: no cover - compiled
    """Apply ``r`` frames without an accent to a dormant cycle, the last of them at ring offset ``off_end``.

    Slot ``m`` was at position ``(m - off_end) mod L`` on the last of them
    and at the ``r - 1`` positions before on the others; the product of the
    no-accent likelihoods over them is ``pfull ** (r // L)`` times a ratio of
    prefix products.  Every slot is also multiplied by ``factor``.
    """
    if r <= 0:
        if factor != 1.0:
            for m in range(L):
                alpha[s0 + m] *= factor
        return
    k = r // L
    rem = r % L
    base = factor * pre[p0 + L] ** k
    for m in range(L):
        a = m - off_end - rem + 1  # (position on the last frame) - rem + 1, mod L
        while a < 0:
            a += L
        while a >= L:
            a -= L
        w = alpha[s0 + m] * base * pre[p0 + a + rem] * ipre[p0 + a]
        alpha[s0 + m] = w if w > 1e-200 else 0.0


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _tempo_changes(A, a_lo, leave, enter):  # pragma: no cover - compiled
    """The mass entering each cycle from the ends of the cycles (``enter``, in place); return its sum.

    ``enter[i] = sum_k A[i, k] leave[a_lo[i] + k]``: row ``i`` of the banded
    transition matrix, left-aligned and zero-padded to whole chunks of 8
    (``leave`` holds zeros past the cycles), so the products run in
    fixed-length chunks the compiler vectorises (the padding adds exact
    zeros; the sum differs from one accumulator's by rounding only).
    Unsigned indices, as in :func:`_dormant_accents`.
    """
    n_chunks = uint64(A.shape[1] // 8)
    entered = 0.0
    for i in range(A.shape[0]):
        j0 = uint64(a_lo[i])
        e = 0.0
        for c in range(n_chunks):
            k0 = uint64(8) * c
            e8 = 0.0
            for jj in range(uint64(8)):
                e8 += A[i, k0 + jj] * leave[j0 + k0 + jj]
            e += e8
        enter[i] = e
        entered += e
    return entered


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _dormant_accents(alpha, live, starts, lengths, offset, last, lnorm, dmass, pre, ipre, pstart, lik, level, g,
                     frame):  # pragma: no cover - compiled
    """Bring every dormant cycle up to date and observe the accent of frame ``frame`` (see :func:`_forward_kernel`).

    Slot ``m`` of a dormant cycle is multiplied by the normalisers since
    its last update (``lnorm``), the no-accent likelihoods of the positions
    it passed since (a ratio of prefix products, ``pre * ipre``) and the
    accent's likelihood at its position now (``lik[level]``); the cycle's
    mass becomes its share ``dmass``.  Cycles pruned on this frame
    (``last == frame``) are in this frame's units already.

    A separate function, called once per frame with an accent: the
    compiler keeps the loops tighter than inside the filter's frame loop,
    and the arrays are passed whole (each array passed to a compiled
    function costs two atomic updates of its reference count per call).
    The likelihoods are gathered into the scratch ``g`` first, so that the
    products run on contiguous arrays and are vectorised (each slot's
    value is that of the one-loop form bit for bit; the mass is summed in
    several partial sums, which differ from one accumulator's by rounding
    only).
    """
    for j in range(starts.size):
        if live[j] or last[j] == frame:
            continue
        off = offset[j]
        r = frame - 1 - last[j]  # frames since its update (none with an accent)
        f = lnorm[j]
        # Slot m is at position (m - off) mod L: index d0 + m of the doubled
        # position tables; its frames since the update were at the r
        # positions before (the prefix products hold the cycle three times
        # from pstart[j], so no index wraps).  Unsigned indices: the
        # compiler adds no test for negative ones, and the loads stay
        # contiguous.
        s0 = uint64(starts[j])
        L = uint64(lengths[j])
        d0 = uint64(2 * starts[j] + lengths[j] - off)
        b1 = uint64(pstart[j] + 2 * lengths[j] - off)
        b0 = uint64(pstart[j] + 2 * lengths[j] - off - r)
        for m in range(L):
            g[m] = lik[level[d0 + m]]
        tot = 0.0
        for m in range(L):
            w = alpha[s0 + m] * f * pre[b1 + m] * ipre[b0 + m] * g[m]
            w = w if w > 1e-200 else 0.0
            alpha[s0 + m] = w
            tot += w
        dmass[j] = tot
        last[j] = frame
        lnorm[j] = 1.0


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _live_frame(alpha, live, starts, lengths, offset, ring, scale, q, omq, beat_w, theta, bin_of, lik, level, mb4,
                accent, read, cos_a, sin_a, g):  # pragma: no cover - compiled
    """Predict, observe and read every followed cycle for one frame (see :func:`_forward_kernel`).

    Returns the onset prediction (``p_ltm``), the beat expectation
    (``b_t``) and the short-term prediction (``p_stm``) from the
    posterior before the frame, the posterior's mass after it (``tot``;
    per cycle in ``ring``) and, on read frames (``read``), the phase
    concentration summed over cycles.  Each slot is multiplied by the
    likelihood of the frame's accent (``lik[level]``) or, without one, of
    no onset (``1 - q``); slots below 1e-200 of the whole are dropped
    (subnormal numbers would slow the arithmetic a hundredfold).  The
    posterior's mass per beat position is scattered into ``mb4``: four
    banks by slot mod 4 (neighbouring positions often share a bin, and one
    accumulator would chain each addition to the one before).

    Separate loops per cycle, so that the compiler vectorises the sums
    (several partial sums per quantity: the sums differ from one
    accumulator's by rounding only): the predictions read the ring and
    write nothing; the accent's likelihoods are gathered into the scratch
    ``g`` first (a loop that gathers from one array and writes another is
    not vectorised: they might overlap); then the update writes the ring
    from contiguous tables only; the scatter into ``mb4`` comes last.
    Each slot's new value is that of the one-loop form bit for bit.  One
    call per frame with the arrays whole, as :func:`_dormant_accents`.
    """
    n_bins = uint64(theta.size)
    p_ltm = 0.0
    b_t = 0.0
    p_stm = 0.0
    tot = 0.0
    r_now = 0.0
    for j in range(starts.size):
        if not live[j]:
            ring[j] = 0.0
            continue
        # Slot s holds position (s - off) mod L: index s + L - off of the
        # ring's doubled position tables (positions 0..L-1, twice).
        # Unsigned indices, as in _dormant_accents.
        s0 = uint64(starts[j])
        L = uint64(lengths[j])
        d0 = uint64(2 * starts[j] + lengths[j] - offset[j])
        rt = 0.0
        cs = 0.0
        sn = 0.0
        # The short-term prediction first (a gather of theta, no stores);
        # then one loop per case that predicts from the ring, multiplies by
        # the likelihood (gathered into g first on accent frames; 1 - q
        # from its own table otherwise) and writes the ring back.
        for m in range(L):
            p_stm += alpha[s0 + m] * scale * theta[bin_of[d0 + m]]
        if accent:
            for m in range(L):
                g[m] = lik[level[d0 + m]]
            if read:
                for m in range(L):
                    v = alpha[s0 + m] * scale
                    p_ltm += v * q[d0 + m]
                    b_t += v * beat_w[d0 + m]
                    w = v * g[m]
                    w = w if w > 1e-200 else 0.0
                    alpha[s0 + m] = w
                    rt += w
                    cs += w * cos_a[d0 + m]
                    sn += w * sin_a[d0 + m]
            else:
                for m in range(L):
                    v = alpha[s0 + m] * scale
                    p_ltm += v * q[d0 + m]
                    b_t += v * beat_w[d0 + m]
                    w = v * g[m]
                    w = w if w > 1e-200 else 0.0
                    alpha[s0 + m] = w
                    rt += w
        elif read:
            for m in range(L):
                v = alpha[s0 + m] * scale
                p_ltm += v * q[d0 + m]
                b_t += v * beat_w[d0 + m]
                w = v * omq[d0 + m]
                w = w if w > 1e-200 else 0.0
                alpha[s0 + m] = w
                rt += w
                cs += w * cos_a[d0 + m]
                sn += w * sin_a[d0 + m]
        else:
            for m in range(L):
                v = alpha[s0 + m] * scale
                p_ltm += v * q[d0 + m]
                b_t += v * beat_w[d0 + m]
                w = v * omq[d0 + m]
                w = w if w > 1e-200 else 0.0
                alpha[s0 + m] = w
                rt += w
        for m in range(L):
            mb4[(m & uint64(3)) * n_bins + bin_of[d0 + m]] += alpha[s0 + m]
        ring[j] = rt
        tot += rt
        if read:
            r_now += np.sqrt(cs * cs + sn * sn)
    return p_ltm, b_t, p_stm, tot, r_now


# The helpers above are inlined into this kernel by Numba (inline="always"), so the whole frame loop is
# one function compiled with one set of flags.  Called as separate compiled functions, their fastmath
# sums came out differently (last bits) in a process that compiled the kernel and in one that loaded
# it from Numba's cache, so two processes disagreed (tests/test_optimize.py's workers-vs-serial check
# caught it); inlined, the fresh and the cached kernel give the same bits.
@njit(cache=True, nogil=True, fastmath=True)
def _forward_kernel(o, alpha, offset, live, q, omq, level, q_levels, logit_levels, beat_w, starts, lengths, a_lo, a_hi, A, bin_of,
                    n_bins, n1, n_all, cos_a, sin_a, evidence, occupancy, sc, frame0, cert_a, stm_bias, every,
                    prune, last, lnorm, dmass, pre, ipre, pstart):  # pragma: no cover
    """Forward filter over ``o`` (one accent per frame); state arrays are updated in place.

    Each tempo's cycle is a ring buffer: ``alpha[starts[j] + (p + offset[j])
    mod lengths[j]]`` holds the posterior of the pointer at position ``p``,
    so advancing every pointer by one frame only decrements the offsets, and the
    prediction, the observation and the reads of one frame are one pass over
    the states.  The position-indexed tables (``q``, ``omq`` = 1 - q, ``level``, ``beat_w``,
    ``bin_of``, ``cos_a``, ``sin_a``) hold each cycle twice in a row, at
    ``2 * starts[j] + position`` and ``2 * starts[j] + lengths[j] + position``,
    so that a cycle is read in one contiguous run whatever its offset.
    ``sc`` holds the scalar state: smoothed phase concentration, accent x
    beat expectation, beat expectation, accent rate (all exponential
    averages), the last phase concentration read, and the weight
    ``1 - a ** n`` of the averages after ``n`` frames, and ``sc[6]`` the
    log of the product of the per-frame normalisers so far.

    A pruned (dormant) tempo keeps its phase posterior in its ring,
    stored in the units of the frame ``last[j]`` at which it was last
    brought up to date (``lnorm[j]``: the log normaliser then; ``dmass[j]``:
    its share, kept up to date with the mass that enters and leaves it).
    Its slots are brought up to date on frames with an accent, once per
    cycle, and when it is followed again; the frames in between carry no
    accent, and the product of their likelihoods ``1 - q`` along the
    positions a slot passes is a ratio of prefix products (``pre``, each
    cycle three times from ``pstart[j]``).  Each frame, the one slot that leaves
    the end of the cycle is read and replaced by what enters, so tempo
    changes into and out of a dormant tempo are those of the full filter:
    the pruned filter differs from the full one only in the predictions,
    phase concentration and tempo evidence, which leave out the dormant
    tempi (each below ``prune`` of the posterior), and in the normaliser.
    """
    n = o.size
    T = starts.size
    p_out = np.empty(n)
    pm_out = np.empty(n)
    c_out = np.empty(n)
    b_out = np.empty(n)
    leave = np.zeros(T + A.shape[1])  # (zeros past T: the band's padding reads them)
    enter = np.empty(T)
    ring = np.empty(T)
    mb = np.empty(n_bins)
    mb4 = np.zeros(4 * n_bins)  # mb in 4 banks (position mod 4): see below
    theta = np.empty(n_bins)
    gbuf = np.empty(lengths.max())  # scratch of _live_pass
    lik = np.empty(q_levels.size)
    lik1 = np.empty(q_levels.size)  # the likelihoods of a full accent (o = 1)
    have1 = False
    lk = lik
    dfac = np.zeros(T)
    # The no-accent likelihood of each whole cycle, read for every dormant
    # cycle every frame: a table of T values that stays in the core's cache
    # (the prefix products span hundreds of kilobytes; same values).
    pfull = np.empty(T)
    for j in range(T):
        pfull[j] = pre[pstart[j] + lengths[j]]
    r_s, ob, bb, rate, r_now, wn = sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
    eps = 1e-6
    scale = 1.0  # alpha is kept unnormalised within a call; its sum is 1 / scale
    for t in range(n):
        # Predict: every pointer advances one frame; the pointer that leaves
        # the end of a cycle may change tempo (A is banded: a_lo..a_hi per row).
        g = frame0 + t
        left = 0.0
        for j in range(T):
            L = lengths[j]
            s0 = starts[j]
            if not live[j]:
                r = g - 1 - last[j]  # frames since its last update (none with an accent)
                if dmass[j] > prune:
                    # Its share has grown: followed again, brought up to date.
                    _catch_up(alpha, s0, L, offset[j], r, pre, ipre, pstart[j], lnorm[j] / scale)
                    live[j] = True
                elif r >= L:
                    # Once a cycle: brought up to date (the runs stay shorter than a cycle).
                    _catch_up(alpha, s0, L, offset[j], r, pre, ipre, pstart[j], lnorm[j])
                    last[j] = g - 1
                    lnorm[j] = 1.0
            # (offset in [0, L): the slot before it, without an integer division)
            end = s0 + (offset[j] - 1 if offset[j] > 0 else L - 1)
            if live[j]:
                leave[j] = alpha[end] * scale
            else:
                # The end slot spent the frames since the update at the
                # positions just before the end.
                r = g - 1 - last[j]
                f = pfull[j] * ipre[pstart[j] + L - r] * lnorm[j]
                dfac[j] = f
                leave[j] = alpha[end] * f
            left += leave[j]
        entered = _tempo_changes(A, a_lo, leave, enter)
        norm = 1.0 / (1.0 - left + entered)
        for j in range(T):
            # The slot that held the end of the cycle now holds position 0.
            off = offset[j] - 1 if offset[j] > 0 else lengths[j] - 1
            offset[j] = off
            if live[j]:
                alpha[starts[j] + off] = enter[j] / scale
            else:
                # In the units of the dormant cycle's last update.
                alpha[starts[j] + off] = enter[j] / dfac[j] if dfac[j] > 0.0 else 0.0
                dmass[j] = max(dmass[j] + enter[j] - leave[j], 0.0)
        for k in range(n_bins):
            mb[k] = 0.0
            theta[k] = (n1[k] + 0.5) / (n_all[k] + 1.0)
        ot = o[t]
        # Soft Bernoulli likelihood of the accent for each distinct onset
        # probability (the states share a few thousand values); read on
        # frames with an accent only (without one, the live states use
        # 1 - q directly and the dormant ones wait).
        # A full accent (o = 1: the running peak) recurs in about one accent
        # frame in ten; its likelihoods are computed once per call.
        if ot == 1.0:
            if not have1:
                for k in range(q_levels.size):
                    lik1[k] = (1.0 - q_levels[k]) * np.exp(ot * logit_levels[k])
                have1 = True
            lk = lik1
        elif ot > 0.0:
            for k in range(q_levels.size):
                lik[k] = (1.0 - q_levels[k]) * np.exp(ot * logit_levels[k])
            lk = lik
        read = (frame0 + t) % every == 0
        # The long-term (metrical template) and short-term (this stimulus)
        # predictions of an onset and the beat expectation from the
        # prediction; then the soft Bernoulli likelihood of the accent; the
        # posterior's mass per beat position and per tempo.
        p_ltm, b_t, p_stm, tot, r_now_new = _live_frame(
            alpha, live, starts, lengths, offset, ring, scale, q, omq, beat_w, theta, bin_of, lk, level, mb4, ot > 0.0,
            read, cos_a, sin_a, gbuf)
        # Pruning: a cycle (tempo) left with less than ``prune`` of the
        # posterior goes dormant (see above) until its share grows past
        # ``prune`` again; the full update runs over the tempi that matter (a
        # few dozen once a pulse is found).
        for j in range(T):
            if live[j] and ring[j] < prune * tot:
                live[j] = False
                tot -= ring[j]
                dmass[j] = ring[j]
                ring[j] = 0.0
                last[j] = -1 - g  # pruned on this frame
        itot = 1.0 / tot
        for j in range(T):
            if live[j]:
                continue
            lnorm[j] *= itot
            if last[j] == -1 - g:
                # Dormant from now: its ring in the units of this frame.
                s0 = starts[j]
                for m in range(lengths[j]):
                    alpha[s0 + m] *= itot
                dmass[j] *= itot
                last[j] = g
                lnorm[j] = 1.0
        if ot > 0.0:
            # An accent: the dormant cycles are brought up to date (the
            # frames since their update had none) and observe it.
            _dormant_accents(alpha, live, starts, lengths, offset, last, lnorm, dmass, pre, ipre, pstart, lk, level, gbuf, g)
        for k in range(n_bins):
            mb[k] = mb4[k] + mb4[n_bins + k] + mb4[2 * n_bins + k] + mb4[3 * n_bins + k]
        mb4[:] = 0.0  # (the banks' sum differs from one accumulator's by rounding only)
        p_ltm = min(max(p_ltm * norm, eps), 1.0 - eps)
        b_t *= norm
        b_out[t] = b_t
        p_stm = min(max(p_stm * norm, eps), 1.0 - eps)
        pm_out[t] = p_ltm
        # IDyOM combination: weights = relative entropy ** -b (Pearce 2005).
        h_l = -(p_ltm * np.log2(p_ltm) + (1.0 - p_ltm) * np.log2(1.0 - p_ltm))
        h_s = -(p_stm * np.log2(p_stm) + (1.0 - p_stm) * np.log2(1.0 - p_stm))
        w_l = h_l ** -stm_bias
        w_s = h_s ** -stm_bias
        p_out[t] = min(max((w_l * p_ltm + w_s * p_stm) / (w_l + w_s), eps), 1.0 - eps)
        scale = 1.0 / tot
        for k in range(n_bins):
            m_ = mb[k] * scale
            n1[k] += ot * m_
            n_all[k] += m_
        if read:
            # Phase concentration ahead within each tempo, summed over tempi:
            # hypotheses at different metrical levels (beat and half-beat
            # rate) that agree on the grid do not count as disagreement.
            r_now = r_now_new * scale
        # Certainty: geometric mean of the phase concentration ahead and the
        # beat contrast -- how much stronger the accents are where the model
        # expected a beat than the accents at large.  The averages start
        # empty: each is divided by the weight of the frames seen so far
        # (bias correction), so the certainty is that of the frames heard,
        # not diluted by a blank past.
        r_s = cert_a * r_s + (1.0 - cert_a) * r_now
        wn = cert_a * wn + (1.0 - cert_a)
        ob = cert_a * ob + (1.0 - cert_a) * ot * b_t
        bb = cert_a * bb + (1.0 - cert_a) * b_t
        rate = cert_a * rate + (1.0 - cert_a) * ot
        contrast = 0.0
        if bb > 0.0 and wn > 0.0:
            on_beat = ob / bb
            overall = rate / wn
            if overall < 1.0:
                contrast = min(max((on_beat - overall) / (1.0 - overall), 0.0), 1.0)
        c = np.sqrt(r_s / wn * contrast)
        c_out[t] = c
        if read:
            for j in range(T):
                v = ring[j] * scale
                evidence[j] += c * v
                occupancy[j] += v
    for j in range(T):
        if live[j]:
            for m in range(lengths[j]):
                alpha[starts[j] + m] *= scale
    sc[0], sc[1], sc[2], sc[3], sc[4], sc[5] = r_s, ob, bb, rate, r_now, wn
    return p_out, pm_out, c_out, b_out


@dataclass
class MetreOutput:
    """What the metre model made of one block of frames.

    Attributes
    ----------
    o : ndarray, shape (n,)
        Accent (combined event strength, in [0, 1]) of each frame.
    p : ndarray, shape (n,)
        Predicted probability of an onset in each frame, made before it arrived.
    surprise_bits, entropy_bits : ndarray, shape (n,)
        Information content of what arrived and entropy of the prediction.
    certainty : ndarray, shape (n,)
        Metre certainty after each frame, in [0, 1].
    p_metre : ndarray, shape (n,)
        The metrical template's own prediction (long-term part of ``p``).
    beat_expectation : ndarray, shape (n,)
        How much the model expected a beat in each frame (the predicted
        posterior mass within the beat level's timing spread), made before
        the frame arrived.
    """

    o: np.ndarray
    p: np.ndarray
    surprise_bits: np.ndarray
    entropy_bits: np.ndarray
    certainty: np.ndarray
    p_metre: np.ndarray
    beat_expectation: np.ndarray


class MetreModel:
    """Forward-only bar-pointer model of tempo and beat phase (streaming).

    Parameters
    ----------
    frame_rate_hz : float
        Rate of the frames passed to :meth:`process` (Hz).
    min_bpm, max_bpm : float
        Range of beat rates the model considers.  40-200 BPM covers the
        range of perceived pulse (0.67-3.3 Hz; London 2012, ch. 2 puts the
        limits of metrical entrainment near 30 and 240 BPM) with a margin
        around the 50-180 BPM the model must find.
    prior_weight : float
        Exponent of the pulse resonance applied as a preference, per second
        spent at a tempo (applied at the end of each cycle, scaled by the
        cycle's length, so the preference does not depend on how the state
        space is cut): the log-preference between two rates an octave apart
        is 0.4-0.6 nats per second, less than the evidence an isochronous
        train gives against the wrong octave (about 2 nats per second),
        more than a hi-hat's eighth notes give for the double tempo
        (engineering choice: 0.8 per second).
    tempo_step : float
        Relative spacing of the tempo grid (1 %: a quarter of the 4 %
        accuracy asked of a pulse estimate; engineering choice).  A 2 % grid
        loses slow click trains to their double: a train between two grid
        tempi drifts off both.
    min_cycle_s : float
        Shortest cycle of the pointer (s).  A cycle holds a whole number of
        beats and of frames; the longer it is, the finer the tempi it can
        represent, and the more states the filter updates every frame
        (tempi x cycle length).  Engineering choice: 1.2 s (about one
        frame in 50; the 1 % grid keeps about 110 distinct tempi, 7,500
        states, where 2.4 s cycles keep 163 tempi and 19,000 states for the
        same pulse on the test signals).
        The observation model treats every beat alike, so the cycle does
        not impose a bar.
    tempo_lambda : float
        Tempo-change sharpness (Krebs, Böck & Widmer 2015 use 100).
    prior_period_s, prior_damping_ratio : float
        The van Noorden & Moelants (1999) pulse resonance used as the prior
        over tempo (their fit: 0.5 s, damping 0.3 -- literature values).
    beat_prob, half_prob, quarter_prob, floor_prob : float
        Probability of an onset on the beat, half beat, quarter beat, and
        anywhere else (per frame).  Engineering choices ordered as the
        metrical hierarchy (Palmer & Krumhansl 1990 find event frequency
        falls from beat to half beat to quarter beat in Western music).
    timing_sd_s : float
        Standard deviation of onset timing around a metrical position (s).
        15 ms: the timing variability of tapping to a metronome (Repp 2005,
        SD of asynchronies ~10-20 ms) -- literature value.
    accent_tau_s : float
        Decay time of the running peak that normalises the accent
        (engineering choice: a few beats).
    threshold_tau_s : float
        Averaging time of the adaptive threshold subtracted from the summed
        event strength before peak picking (s): the moving-average
        threshold of onset detection (Bello et al. 2005; Böck, Krebs &
        Schedl 2012), so the steady small spectral changes of sustained
        notes are not events.  Engineering choice: 0.5 s, a beat at the
        preferred rate.
    certainty_tau_s : float
        Averaging time of the certainty's two parts (s; the scorer passes its
        ``precision_tau_s``, 2 s: a bar at 120 BPM; engineering choice).
    horizon_s : float
        The certainty is the concentration of the beat phase each state
        predicts this far ahead (s).  Right after an onset every
        hypothesis agrees that a beat just passed; only a model that also
        knows the tempo knows where the beats of the next second fall
        (engineering choice: 1 s, two beats at the preferred rate).
    n_bins : int
        Positions within the beat at which the short-term memory counts
        onsets (16: finer than a 32nd note at any tempo up to 200 BPM at
        43 frames/s; engineering choice).
    stm_bias : float
        Exponent ``b`` of the entropy weights that combine the long- and
        short-term predictions (Pearce 2005, weighted arithmetic mean;
        engineering choice: 1).
    accent_floor : float
        The least value of the running peak that divides the accent, in the
        input's units (one band's event of ``onset_scale_db``, 6 dB, is 1):
        accents of a stimulus whose onsets are all soft (bowed strings, whose
        spectral flux rises a few dB) are scaled by the stimulus's own
        loudest onsets, down to this floor, so a soft onset on the beat is
        evidence for the beat; below the floor, faint fluctuations (noise,
        a steady tone) stay weak accents.  Engineering choice: 0.5 (a 3 dB
        rise in one band, a doubling of power), chosen on
        ``benchmarks/bench_tempo.py``'s 21 older pieces (floors 1 / 0.5 /
        0.3 / 0.1 / 0.03: 15 / 17 / 16 / 16 / 16 within 4 %; its 8 newer
        pieces 4 at every floor); it was 1 (one band's full event).
    prune : float
        A tempo whose cycle holds less than this share of the posterior goes
        dormant: it leaves the predictions, the phase concentration and the
        tempo evidence, and its phase posterior is updated lazily (on frames
        with an accent; its tempo changes every frame), until its share grows
        past ``prune`` again.  Its evidence is kept, so pruning changes a
        prediction by at most the dormant tempi's share (below ``prune``
        each).  Engineering choice: 1e-4; on the 16 real mixes of
        ``benchmarks/bench_score_stages.py`` played back to back (10.7 min)
        the tempo is that of the full filter, ``pulse_z`` within 0.1 % and
        the mean certainty within 0.05 %, each frame's certainty within 0.012
        and onset probability within 0.045, at about the cost of the earlier
        pruning (which dropped the pruned tempi's evidence: tempo 119.9
        against the full filter's 159.8 BPM there).  0 keeps every tempo
        followed.
    bar_beats : int
        The level choice (:meth:`metrical_salience`) counts the accents'
        recurrence at a pulse's period and at its multiples up to this
        many beats: the bar of 2/4, 3/4 and 4/4 (Parncutt 1994's
        supporting, consonant pulses; the measure level of Klapuri, Eronen
        & Astola 2006).  Engineering choice: 4, the bar of 4/4.  Looked at
        on ``benchmarks/bench_tempo.py``'s 29 pieces (front end / true MIDI
        onsets, within 4 %): 1, 2, 3, 4 give 23 / 22 / 23 / 22 and
        23 / 22 / 22 / 24; only 4 loses no piece against the peak of the
        posterior on either (1 loses K545 and a reel on the true onsets).
    level_window : float
        Half-width (natural log of the tempo ratio) of the window of the
        tempo posterior that counts as a candidate level's share:
        engineering choice, 0.03 (three steps of the 1 % grid, within the
        4 % a tempo estimate is allowed).
    level_share : float
        A metrical relative of the filter's peak is a candidate only where
        the filter entertained it: at least this share of the
        certainty-weighted tempo posterior.  Engineering choice: 0.05,
        looked at on the tempo corpus (0.01 / 0.05 / 0.1 / 0.2: 21 / 22 /
        22 / 22 of 29 with the front end, 24 / 24 / 23 / 23 with the true
        onsets; 0.01 loses Mozart's K156 to its double).
    level_margin : float
        A relative replaces the filter's peak only where the accents
        support it more than the peak by this fraction: an isochronous
        click train supports its half and double as much as its own rate,
        and the period preference alone must not overturn the filter's
        level there.  Engineering choice: 0.2.  0.1 is the least of
        0 / 0.05 / 0.1 that halves no click train from 150 to 190 BPM after
        10 or 20 s (0 halved 177.5 BPM after 20 s); with 0.1,
        ``benchmarks/bench_real.py`` read the hedgewars "oriental" mix at
        80 BPM where it had read 160 and librosa and Essentia read 161-162
        (no annotated tempo), which 0.2 does not.  On the tempo corpus
        0 / 0.05 / 0.1 / 0.2 give 22 of 29 with the front end each, and
        25 / 24 / 24 / 23 with the true MIDI onsets (against 22 / 22 for
        the posterior's peak).
    salience_bpm, salience_octaves : float
        Centre and width of the period preference of the level choice:
        Ellis's (2007) log-Gaussian tempo weighting of the onset
        autocorrelation, centred at 120 BPM with a standard deviation of
        1.4 octaves (literature values).

    Examples
    --------
    >>> m = MetreModel(frame_rate_hz=43.066)
    >>> o = np.zeros((1, 860)); o[0, ::22] = 1.0   # ~117 BPM
    >>> out = m.process(o)
    >>> bool(out.certainty[-1] > 0.5)
    True
    """

    def __init__(
        self,
        *,
        frame_rate_hz: float = 43.066,
        min_bpm: float = 40.0,
        max_bpm: float = 200.0,
        prior_weight: float = 0.8,
        tempo_step: float = 0.01,
        min_cycle_s: float = 2.4,
        tempo_lambda: float = 100.0,
        prior_period_s: float = 0.5,
        prior_damping_ratio: float = 0.3,
        beat_prob: float = 0.9,
        half_prob: float = 0.15,
        quarter_prob: float = 0.06,
        floor_prob: float = 0.01,
        timing_sd_s: float = 0.015,
        accent_tau_s: float = 3.0,
        threshold_tau_s: float = 0.5,
        certainty_tau_s: float = 2.0,
        horizon_s: float = 1.0,
        n_bins: int = 16,
        stm_bias: float = 1.0,
        prune: float = 1e-4,
        accent_floor: float = 0.5,
        bar_beats: int = 4,
        level_window: float = 0.03,
        level_share: float = 0.05,
        level_margin: float = 0.2,
        salience_bpm: float = 120.0,
        salience_octaves: float = 1.4,
    ):
        self.frame_rate_hz = frame_rate_hz
        self.min_bpm = min_bpm
        self.max_bpm = max_bpm
        self.prior_weight = prior_weight
        self.tempo_step = tempo_step
        self.min_cycle_s = min_cycle_s
        self.tempo_lambda = tempo_lambda
        self.prior_period_s = prior_period_s
        self.prior_damping_ratio = prior_damping_ratio
        self.beat_prob = beat_prob
        self.half_prob = half_prob
        self.quarter_prob = quarter_prob
        self.floor_prob = floor_prob
        self.timing_sd_s = timing_sd_s
        self.accent_tau_s = accent_tau_s
        self.threshold_tau_s = threshold_tau_s
        self.certainty_tau_s = certainty_tau_s
        self.horizon_s = horizon_s
        self.n_bins = n_bins
        self.stm_bias = stm_bias
        self.prune = prune
        self.accent_floor = accent_floor
        self.bar_beats = bar_beats
        self.level_window = level_window
        self.level_share = level_share
        self.level_margin = level_margin
        self.salience_bpm = salience_bpm
        self.salience_octaves = salience_octaves
        self._ready = False

    # -- set-up -----------------------------------------------------------------
    def _setup(self) -> None:
        fr = check_float("frame_rate_hz", self.frame_rate_hz, low=1.0, high=1000.0)
        lo = check_float("min_bpm", self.min_bpm, low=10.0, high=400.0)
        hi = check_float("max_bpm", self.max_bpm, low=lo, high=600.0, low_inclusive=False)
        check_float("prior_weight", self.prior_weight, low=0.0, high=10.0)
        check_float("tempo_step", self.tempo_step, low=1e-3, high=0.2)
        check_float("min_cycle_s", self.min_cycle_s, low=0.0, high=20.0)
        check_float("tempo_lambda", self.tempo_lambda, low=0.0)
        for name in ("beat_prob", "half_prob", "quarter_prob", "floor_prob"):
            check_float(name, getattr(self, name), low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        sd = check_float("timing_sd_s", self.timing_sd_s, low=0.0, high=0.2, low_inclusive=False)
        check_float("accent_tau_s", self.accent_tau_s, low=0.01)
        check_float("accent_floor", self.accent_floor, low=0.0, high=100.0, low_inclusive=False)
        check_float("threshold_tau_s", self.threshold_tau_s, low=0.01)
        check_float("certainty_tau_s", self.certainty_tau_s, low=0.01)
        check_float("horizon_s", self.horizon_s, low=0.0, high=10.0)
        check_int("n_bins", self.n_bins, low=1, high=96)
        check_float("stm_bias", self.stm_bias, low=0.0, high=16.0)
        check_float("prune", self.prune, low=0.0, high=1e-3)
        check_int("bar_beats", self.bar_beats, low=1, high=16)
        check_float("level_window", self.level_window, low=0.0, high=0.2)
        check_float("level_share", self.level_share, low=0.0, high=1.0)
        check_float("level_margin", self.level_margin, low=0.0, high=10.0)
        check_float("salience_bpm", self.salience_bpm, low=10.0, high=600.0)
        check_float("salience_octaves", self.salience_octaves, low=0.01, high=10.0)
        # Tempo grid: geometric in steps of ``tempo_step``; each tempo's cycle
        # holds as many beats as make it at least ``min_cycle_s`` long, so
        # that an integer number of frames per cycle resolves the tempo
        # finely at every rate.
        n_tempi = int(np.ceil(np.log(hi / lo) / np.log1p(self.tempo_step))) + 1
        grid = np.geomspace(lo, hi, n_tempi)
        beat_frames = 60.0 * fr / grid
        beats = np.maximum(np.ceil(self.min_cycle_s * fr / beat_frames), 1).astype(int)
        pairs = sorted(set(zip(np.round(beats * beat_frames).astype(int).tolist(), beats.tolist())),
                       key=lambda nb_: nb_[1] * 60.0 * fr / nb_[0])
        lengths = np.array([n_ for n_, _ in pairs])
        n_beats = np.array([b_ for _, b_ in pairs])
        self.cycle_frames_ = lengths
        self.cycle_beats_ = n_beats
        self.bpm_ = n_beats * 60.0 * fr / lengths
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self._starts = starts
        self._ends = starts + lengths - 1
        n_states = int(lengths.sum())
        tempo_of = np.repeat(np.arange(lengths.size), lengths)
        pos = np.arange(n_states) - starts[tempo_of]
        self._tempo_of = tempo_of
        beat_frames = (lengths / n_beats)[tempo_of]
        phase = (pos / beat_frames) % 1.0  # beat phase of each state, [0, 1)
        beat_s = beat_frames / fr
        # Metrical expectation: per-frame onset probability at each state.
        frame_s = 1.0 / fr
        q = np.full(n_states, self.floor_prob)
        for level, prob in ((4, self.quarter_prob), (2, self.half_prob), (1, self.beat_prob)):
            x = phase * level
            dist_s = np.abs(x - np.round(x)) * beat_s / level
            mass = frame_s / (sd * np.sqrt(2.0 * np.pi)) * np.exp(-0.5 * (dist_s / sd) ** 2)
            q = np.maximum(q, prob * np.minimum(mass, 1.0))
            if level == 1:
                # Where a beat is due: the beat level's own timing spread.
                self._beat_w = np.minimum(mass, 1.0)
        q = np.clip(q, _EPS, 1.0 - _EPS)
        self._q = q
        q_levels, level = np.unique(q, return_inverse=True)
        self._q_levels = q_levels
        # Narrow index types (the filter streams these tables every frame; a
        # smaller working set stays in the core's cache).
        self._level = level.astype(np.uint16 if q_levels.size <= 65536 else np.int64)
        self._logit_levels = np.log(q_levels) - np.log1p(-q_levels)
        self._bin_of = (np.floor(phase * self.n_bins + 0.5).astype(np.int64) % self.n_bins).astype(np.uint8)  # n_bins <= 96
        # Certainty is judged on where each state puts the beat
        # ``horizon_s`` ahead: a sure phase with an unsure tempo is unsure.
        ahead = phase + self.horizon_s / beat_s
        self._cos = np.cos(2.0 * np.pi * ahead)
        self._sin = np.sin(2.0 * np.pi * ahead)
        # Tempo transitions at the end of a cycle (row i: to tempo i; column j: from tempo j).
        period = lengths / n_beats
        ratio = period[:, None] / period[None, :]
        A = np.exp(-self.tempo_lambda * np.abs(ratio - 1.0))
        A[A < 1e-3] = 0.0  # changes less likely than 1 in 1000 of staying are dropped (band of +-7 %)
        A = A / A.sum(axis=0, keepdims=True)
        # Prior over tempo: the pulse resonance (only its positive part).
        g = effective_pulse_response(
            self.bpm_ / 60.0, period_s=self.prior_period_s, damping_ratio=self.prior_damping_ratio
        )
        g = np.maximum(g, 0.05 * g.max())
        self.tempo_prior_ = g / g.sum()
        # The preference acts at every cycle, in proportion to the cycle's
        # length (weights < 1 drain mass from the less preferred rates; the
        # posterior is renormalised each frame).
        A = A * ((g / g.max()) ** (self.prior_weight * lengths / fr))[:, None]
        self._A = np.ascontiguousarray(A)
        # Dormant cycles (see _forward_kernel): prefix products of the
        # no-accent likelihood 1 - q along each cycle three times, from
        # pstart[j] = 3 starts[j] + j.
        self._pstart = (3 * starts + np.arange(lengths.size)).astype(np.int64)
        pre = np.empty(int(3 * lengths.sum() + lengths.size))
        for j_, (st_, n_) in enumerate(zip(starts, lengths)):
            z_ = 1.0 - q[st_:st_ + n_]
            pre[self._pstart[j_]:self._pstart[j_] + 3 * n_ + 1] = np.concatenate([[1.0], np.cumprod(np.tile(z_, 3))])
        self._pre = pre
        self._ipre = 1.0 / pre
        nz = A > 0
        self._a_lo = np.argmax(nz, axis=1).astype(np.int64)
        self._a_hi = (A.shape[1] - np.argmax(nz[:, ::-1], axis=1)).astype(np.int64)
        # The band of each row, left-aligned (row i: A[i, a_lo[i]:a_hi[i]]):
        # a table of a few kilobytes the filter reads every frame, where the
        # full matrix spans hundreds.
        width = int((self._a_hi - self._a_lo).max())
        band = np.zeros((A.shape[0], -(-width // 8) * 8))  # zero-padded to whole chunks of 8 (see _forward_kernel)
        for i_, (lo_, hi_) in enumerate(zip(self._a_lo, self._a_hi)):
            band[i_, : hi_ - lo_] = A[i_, lo_:hi_]
        self._A_band = band
        self._starts = self._starts.astype(np.int64)
        self._lengths = lengths.astype(np.int64)
        # Position tables with each cycle stored twice in a row (see _forward_kernel).
        twice = np.concatenate([np.arange(st, st + n_) for st, n_ in zip(starts, lengths) for _ in range(2)])
        self._d = {name: np.ascontiguousarray(arr[twice]) for name, arr in (
            ("q", self._q), ("omq", 1.0 - self._q), ("level", self._level), ("beat_w", self._beat_w), ("bin_of", self._bin_of),
            ("cos", self._cos), ("sin", self._sin))}
        self._accent_a = float(np.exp(-1.0 / (fr * self.accent_tau_s)))
        self._thr_a = float(np.exp(-1.0 / (fr * self.threshold_tau_s)))
        self._cert_a = float(np.exp(-1.0 / (fr * self.certainty_tau_s)))
        # Accent autocorrelation: lags up to ``bar_beats`` beats of the slowest tempo.
        self._ac_lags = int(np.ceil(self.bar_beats * 60.0 * fr / lo)) + 1
        self._ready = True
        self.reset()

    def reset(self) -> None:
        """Return to the prior: no tempo or phase known."""
        if not self._ready:
            self._setup()
            return
        lengths = self.cycle_frames_
        # Uniform phase within each tempo; the tempo prior spread over its positions.
        self._alpha = np.repeat(self.tempo_prior_ / lengths, lengths)
        self._offset = np.zeros(lengths.size, dtype=np.int64)  # ring-buffer offset of each cycle
        self._live = np.ones(lengths.size, dtype=np.bool_)  # cycles not pruned
        self._last = np.zeros(lengths.size, dtype=np.int64)  # dormant cycles: frame of their last update
        self._lnorm = np.ones(lengths.size)  # ... the product of the normalisers since, inverted
        self._dmass = np.zeros(lengths.size)  # ... and their share then
        # Accent state: last two frames, running peak, adaptive threshold.
        self._acc_state = np.array([0.0, 0.0, float(self.accent_floor), 0.0])
        self._n1 = np.zeros(self.n_bins)
        self._n = np.zeros(self.n_bins)
        # Filter scalars: smoothed phase concentration, IC of model and of
        # rate, onset rate, last phase concentration read, averaging weight.
        self._state = np.zeros(6)
        self.tempo_evidence_ = np.zeros(lengths.size)
        self.tempo_occupancy_ = np.zeros(lengths.size)
        self.n_frames_ = 0
        # Sums of accent o and beat expectation b over the stimulus: n, o, o^2, b, b^2, o*b.
        self._ob_sums = np.zeros(6)
        # Lagged products of the accents (see _metrical_level) and the accents of the last frames.
        self._ac = np.zeros(self._ac_lags + 1)
        self._ac_hist = np.zeros(self._ac_lags)

    # -- streaming ----------------------------------------------------------------
    def accent(self, o_bands: np.ndarray) -> np.ndarray:
        """Combined event strength (accent) of each frame, in [0, 1], updating the running state.

        The band event strengths are summed (an onset in more bands, e.g.
        kick plus hi-hat, is a stronger accent than a hi-hat alone; Povel &
        Okkerman 1981, accents from intensity).  Only local peaks of the sum
        count (one event whose drive spans two frames is one event; one
        frame of delay: output frame t holds the accent of input frame
        t - 1), and only by what they rise above the recent mean of the sum
        (adaptive threshold, ``threshold_tau_s``); the result is divided by
        the running peak (``accent_tau_s``), never by less than
        ``accent_floor`` (half of one band's full event).
        """
        if not self._ready:
            self._setup()
        s = np.ascontiguousarray(np.asarray(o_bands, dtype=float).sum(axis=0))
        return _accent_kernel(s, self._acc_state, self._accent_a, self._thr_a, float(self.accent_floor))

    def process(self, o_bands: np.ndarray) -> MetreOutput:
        """Predict, then observe, the next frames.

        Parameters
        ----------
        o_bands : ndarray, shape (n_bands, n)
            Event strength in [0, 1] per band and frame.

        Returns
        -------
        MetreOutput
        """
        if not self._ready:
            self._setup()
        o = self.accent(o_bands)
        # The phase concentration is read, and the tempo evidence
        # accumulated, every 4th frame (they change slowly; 2 s averaging).
        p, p_metre, cert, beat = _forward_kernel(
            o, self._alpha, self._offset, self._live, self._d["q"], self._d["omq"], self._d["level"], self._q_levels, self._logit_levels,
            self._d["beat_w"], self._starts, self._lengths, self._a_lo, self._a_hi, self._A_band, self._d["bin_of"], self.n_bins,
            self._n1, self._n, self._d["cos"], self._d["sin"], self.tempo_evidence_, self.tempo_occupancy_, self._state,
            self.n_frames_, self._cert_a, float(self.stm_bias), 4, float(self.prune), self._last, self._lnorm,
            self._dmass, self._pre, self._ipre, self._pstart,
        )
        self.n_frames_ += o.size
        x = np.concatenate([self._ac_hist, o])
        _autocorr_update(x, self._ac_hist.size, self._ac)
        self._ac_hist = x[x.size - self._ac_lags:].copy()
        self._ob_sums += (o.size, o.sum(), o @ o, beat.sum(), beat @ beat, o @ beat)
        log_p, log_q = np.log2(p), np.log2(1.0 - p)
        surprise = -(o * log_p + (1.0 - o) * log_q)
        entropy = -(p * log_p + (1.0 - p) * log_q)
        return MetreOutput(o=o, p=p, surprise_bits=surprise, entropy_bits=entropy, certainty=cert,
                           p_metre=p_metre, beat_expectation=beat)

    def pulse_z(self) -> float:
        """How far the accents fall on the predicted beats beyond chance, in standard errors.

        The correlation over frames between the accent ``o_t`` and the beat
        expectation ``b_t`` the model formed *before* frame ``t``, times the
        square root of the number of frames: ``z = sum (o - <o>) (b - <b>) /
        sqrt(var(o) sum (b - <b>)^2)``.  Since ``b_t`` is a prediction from
        the past, accents that are independent of the past (noise, random
        onsets) give ``z`` near 0 however the model locks on to them, with
        standard deviation 1; accents that come where the model expected
        beats give a large ``z`` even where they are soft and the beat
        contrast is low (bowed strings, a legato organ).  0 before two
        frames or without variation.
        """
        n, so, soo, sb, sbb, sob = self._ob_sums
        if n < 2:
            return 0.0
        var_o = soo / n - (so / n) ** 2
        ss_b = sbb - sb * sb / n
        if var_o <= 0.0 or ss_b <= 0.0:
            return 0.0
        return float((sob - so * sb / n) / np.sqrt(var_o * ss_b))

    def tempo_bpm(self) -> float | None:
        """The pulse: the metrical level the evidence of beat and bar favours (BPM).

        The posterior over tempo, accumulated over the stimulus with the
        metre certainty as weight, gives a peak (refined by a parabola on
        the log-tempo axis); the level is then chosen among the peak and
        its metrical relatives (:meth:`metrical_salience`).  ``None``
        before any evidence.
        """
        peak = self._peak_bpm()
        if peak is None:
            return None
        levels = self.metrical_salience(peak)
        return max(levels, key=levels.get) if levels else peak

    def metrical_salience(self, peak_bpm: float) -> dict[float, float]:
        """Pulse salience of the tempo ``peak_bpm`` and of its metrical relatives (BPM -> salience).

        The filter's beat-level evidence tends to the fastest level whose
        beats catch the onsets (continuous eighth notes are all "on the
        beat" at twice the notated tempo), and it sees one beat at a time,
        never the bar.  Which of the levels it entertained is the pulse is
        decided as in Parncutt (1994): the salience of a pulse is its
        period salience times the evidence for it, and the evidence counts
        the accents that recur at the pulse period *and at its multiples*
        (the slower, consonant pulses that support it -- up to the bar,
        the measure level of Klapuri, Eronen & Astola 2006):

        * period salience: the log-Gaussian tempo preference of Ellis
          (2007), centred at ``salience_bpm`` (120 BPM) with a standard
          deviation of ``salience_octaves`` (1.4 octaves);
        * evidence: the mean, over ``k = 1 .. bar_beats``, of the accents'
          autocorrelation at ``k`` beat periods (the mean lagged product
          of the accents per pair of frames, the largest of the three
          nearest frame lags, relative to the accents' mean square).

        Candidates: ``peak_bpm`` and its relatives at the ratios 1/3, 1/2,
        2/3, 3/2, 2 and 3 (the ratios between tatum, tactus and measure,
        Klapuri et al. 2006) that the filter entertained -- at least
        ``level_share`` of the certainty-weighted tempo posterior within
        ``level_window`` of them -- within ``min_bpm``..``max_bpm`` and
        with ``bar_beats`` of their beats heard.  A level the filter ruled
        out (an isochronous click train's half or double) is never
        chosen, whatever the preference.  An empty dict before any accent.
        """
        if not self._ready:
            self._setup()
        peak_bpm = check_float("peak_bpm", peak_bpm, low=0.0, high=10_000.0, low_inclusive=False)
        n = self.n_frames_
        ac = self._ac
        if n < 2 or ac[0] <= 0.0:
            return {}
        pairs = np.maximum(n - np.arange(ac.size), 1)
        acn = ac / pairs / (ac[0] / n)
        fr = float(self.frame_rate_hz)
        ev = self.tempo_evidence_
        total = float(ev.sum())
        log_bpm = np.log(self.bpm_)
        out = {}
        peak_support = 0.0
        for r in _LEVEL_RATIOS:
            c = float(peak_bpm * r)
            period = 60.0 * fr / c
            if r != 1.0:
                if not self.min_bpm <= c <= self.max_bpm or self.bar_beats * period + 1 >= min(n, ac.size - 1):
                    continue
                near = np.abs(log_bpm - np.log(c)) <= self.level_window
                if float(ev[near].sum()) < self.level_share * total:
                    continue
            support = 0.0
            for k in range(1, self.bar_beats + 1):
                i = min(int(round(k * period)), ac.size - 2)
                support += float(acn[max(i - 1, 0): i + 2].max())
            support /= self.bar_beats
            if r == 1.0:
                peak_support = support
            elif support <= peak_support * (1.0 + self.level_margin):
                continue
            prefer = np.exp(-0.5 * (np.log2(c / self.salience_bpm) / self.salience_octaves) ** 2)
            out[c] = float(prefer * support)
        return out

    def _peak_bpm(self) -> float | None:
        """The peak of the certainty-weighted tempo posterior (BPM), refined by a parabola; ``None`` before any evidence."""
        if not self._ready:
            self._setup()
        ev = self.tempo_evidence_
        if not np.any(ev > 0):
            return None
        j = int(np.argmax(ev))
        bpm = self.bpm_
        if 0 < j < ev.size - 1:
            y0, y1, y2 = np.log(ev[j - 1 : j + 2] + 1e-300)
            denom = y0 - 2.0 * y1 + y2
            if denom < 0:
                shift = float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5))
                lo, hi = (j - 1, j) if shift < 0 else (j, j + 1)
                frac = abs(shift)
                return float(np.exp((1 - frac) * np.log(bpm[j]) + frac * np.log(bpm[hi if shift > 0 else lo])))
        return float(bpm[j])
