"""Regional oscillators and the corticothalamic field response (docs/model.md).

Locking, golden-ratio avoidance and the field's resonances must come out of
the equations; the Stuart-Landau network is cross-checked against TVB's
``SupHopf`` model with ``Difference`` coupling on the same connectome.
"""

from __future__ import annotations

import numpy as np
import pytest

from resonance.harmonics.field import FieldParameters, channel_transfer_power, corticothalamic_transfer
from resonance.dynamics.oscillators import RegionalOscillators, delay_steps, kuramoto_order
from resonance.errors import ParameterError

GOLDEN = (1.0 + 5.0**0.5) / 2.0


def _small_network(rng, n=4):
    w = rng.uniform(0, 1, (n, n))
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0)
    lengths = rng.uniform(10, 60, (n, n))
    lengths = (lengths + lengths.T) / 2
    np.fill_diagonal(lengths, 0)
    return w, lengths


def test_stuart_landau_network_matches_tvb(rng):
    """Same equations, parameters, delays and start: trajectories agree within 1 %."""
    pytest.importorskip("tvb.simulator")
    import warnings

    from tvb.datatypes.connectivity import Connectivity
    from tvb.simulator import coupling, integrators, models, monitors, simulator

    n = 4
    w, lengths = _small_network(rng, n)
    speed_mm_per_ms, dt_ms = 3.0, 0.05
    a, omega, g = 0.05, 2 * np.pi * 0.010, 0.2  # TVB units: per ms (a 10 Hz oscillator)
    x0, y0 = rng.uniform(-0.3, 0.3, n), rng.uniform(-0.3, 0.3, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conn = Connectivity(weights=w, tract_lengths=lengths, region_labels=np.array([f"r{i}" for i in range(n)]),
                            centres=np.zeros((n, 3)), speed=np.array([speed_mm_per_ms]))
        conn.configure()
        horizon = int(np.rint(lengths.max() / speed_mm_per_ms / dt_ms)) + 1
        ic = np.zeros((horizon, 2, n, 1))
        ic[:, 0, :, 0], ic[:, 1, :, 0] = x0, y0
        sim = simulator.Simulator(
            model=models.SupHopf(a=np.array([a]), omega=np.array([omega])), connectivity=conn,
            coupling=coupling.Difference(a=np.array([g])), integrator=integrators.HeunDeterministic(dt=dt_ms),
            monitors=(monitors.Raw(),), initial_conditions=ic, simulation_length=300.0,
        )
        sim.configure()
        (_, x), = sim.run()
    ref = x[:, 0, :, 0]
    # The same network in seconds: rates x 1000, cubic coefficient 1/ms = 1000/s.
    osc = RegionalOscillators(
        w, delay_steps(lengths, speed_mm_per_s=speed_mm_per_ms * 1e3, dt_s=dt_ms * 1e-3),
        [omega * 1e3 / (2 * np.pi)], dt_s=dt_ms * 1e-3, a_per_s=a * 1e3, b_per_s=1e3, coupling_per_s=g * 1e3,
    )
    osc.reset((x0 + 1j * y0)[:, None])
    ours = osc.process(np.zeros((n, 1, ref.shape[0])))[:, 0, :].real.T
    amplitude = np.abs(ref).max()
    assert np.abs(ours - ref).max() < 0.01 * amplitude
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.9999


def test_oscillators_are_block_split_invariant(rng):
    w, lengths = _small_network(rng, 5)
    args = dict(dt_s=0.02, a_per_s=-2.0, b_per_s=1.0, coupling_per_s=0.5)
    d = delay_steps(lengths, speed_mm_per_s=3000.0, dt_s=0.02)
    u = rng.standard_normal((5, 1, 300))
    whole = RegionalOscillators(w, d, [1.0, 2.0, 4.0], **args).process(u)
    split = RegionalOscillators(w, d, [1.0, 2.0, 4.0], **args)
    parts = np.concatenate([split.process(u[..., i : i + 37]) for i in range(0, 300, 37)], axis=2)
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-14)


def _kick_locking(f_osc_hz, rate_hz, *, kick=0.3, duration_s=60.0, dt_s=0.005, a_per_s=2.0):
    """Phase consistency of a self-sustained oscillator at the moments of periodic kicks."""
    osc = RegionalOscillators(np.zeros((1, 1)), np.zeros((1, 1), int), [f_osc_hz], dt_s=dt_s,
                              a_per_s=a_per_s, b_per_s=a_per_s)
    osc.reset(np.ones((1, 1)))
    n = int(duration_s / dt_s)
    u = np.zeros((1, 1, n))
    idx = np.round(np.arange(0.0, duration_s, 1.0 / rate_hz) / dt_s).astype(int)
    idx = idx[idx < n]
    u[0, 0, idx] = kick
    z = osc.process(u)[0, 0]
    late = idx[idx > n // 2]
    before = z[late - 1]
    return float(np.abs(np.mean(before / np.abs(before))))


def test_injection_locking_and_the_golden_ratio():
    """A kicked self-sustained oscillator locks to a nearby rate and to a 1:2
    subharmonic drive, not to a drive a golden ratio away (narrowest tongue)."""
    f = 2.0
    near = _kick_locking(f, f * 1.03)
    half = _kick_locking(f, f / 2.0 * 1.01)
    golden = _kick_locking(f, f / GOLDEN)
    assert near > 0.95 and half > 0.9, (near, half, golden)
    assert golden < 0.5, (near, half, golden)


def test_coupled_oscillators_lock_near_unison_but_not_at_the_golden_ratio():
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    d = np.zeros((2, 2), int)

    def locking(ratio):
        # Two self-sustained oscillators, frequencies 2 Hz and 2 * ratio Hz,
        # as two "frequencies" of one bank would not couple: use two regions
        # with one oscillator each and a per-region frequency via two runs.
        dt, n = 0.005, 24000
        f1, f2 = 2.0, 2.0 * ratio
        z1, z2 = 1.0 + 0j, 1j
        e1 = np.exp((1.0 + 2j * np.pi * f1) * dt)
        e2 = np.exp((1.0 + 2j * np.pi * f2) * dt)
        g = 0.6
        rel = []
        for _ in range(n):
            n1 = e1 * z1 + dt * g * (z2 - z1)
            n2 = e2 * z2 + dt * g * (z1 - z2)
            n1 /= np.sqrt(1 + 2 * dt * abs(n1) ** 2)
            n2 /= np.sqrt(1 + 2 * dt * abs(n2) ** 2)
            z1, z2 = n1, n2
            rel.append(z1 * np.conj(z2) / abs(z1 * z2))
        return float(np.abs(np.mean(rel[n // 2 :])))

    assert locking(1.03) > 0.9
    assert locking(GOLDEN) < 0.3
    assert kuramoto_order(np.array([1.0, 1.0 + 0j])) == pytest.approx(1.0)
    del w, d


def test_damped_oscillators_resonate_least_to_a_golden_ratio_drive():
    """The scorer's damped oscillators: a kick train whose rate or harmonic
    meets the oscillator drives it; one a golden ratio away drives it least."""
    f = 2.0

    def energy(rate):
        dt, T = 0.02, 60.0
        osc = RegionalOscillators(np.zeros((1, 1)), np.zeros((1, 1), int), [f], dt_s=dt,
                                  a_per_s=-np.pi * f / 4.0, b_per_s=2.0)
        n = int(T / dt)
        u = np.zeros((1, 1, n))
        idx = np.round(np.arange(0.0, T, 1.0 / rate) / dt).astype(int)
        u[0, 0, idx[idx < n]] = 0.1
        z = osc.process(u)[0, 0, n // 2 :]
        return float(np.mean(np.abs(z) ** 2)) / rate  # per kick

    e1, e2, eg = energy(f), energy(f / 2.0), energy(f / GOLDEN)
    assert eg < 0.5 * e2 < 0.5 * e1, (e1, e2, eg)


def test_field_response_depends_on_the_eigenvalue():
    """Low modes carry the loop's alpha resonance; large eigenvalues damp it."""
    f = np.linspace(0.5, 64.0, 512)
    t = np.abs(corticothalamic_transfer([0.0, 3e-4, 3e-3], f)) ** 2
    alpha = (f > 7) & (f < 13)
    low = (f > 2) & (f < 5)
    ratio = t[:, alpha].max(axis=1) / t[:, low].mean(axis=1)
    assert ratio[0] > 1.5  # the uniform mode resonates at alpha
    strength = t[:, alpha].max(axis=1)
    assert strength[0] > strength[1] > strength[2]
    shapes = t / t.max(axis=1, keepdims=True)
    assert np.abs(shapes[0] - shapes[2]).max() > 0.2  # the modes differ in shape, not only in scale
    peak = f[alpha][np.argmax(t[0, alpha])]
    assert 8.0 < peak < 12.0, peak
    # Normalised: the uniform mode's static gain is 1, whatever the connectome.
    assert abs(corticothalamic_transfer([0.0], [0.0])[0, 0]) == pytest.approx(1.0)


def test_field_wave_speed_moves_the_mode_resonances():
    """Scaling the cortical wave speed (r_e) shifts where a given mode responds."""
    f = np.geomspace(0.5, 64.0, 200)
    lam = 3e-3
    slow = np.abs(corticothalamic_transfer([lam], f, params=FieldParameters(r_mm=28.9)))[0]
    fast = np.abs(corticothalamic_transfer([lam], f, params=FieldParameters(r_mm=2 * 28.9)))[0]
    assert not np.allclose(slow / slow.max(), fast / fast.max(), rtol=0.05)


def test_band_averaged_field_gain_follows_the_wave_speed():
    """Each modulation filter hands a harmonic the field's power gain
    averaged over its passband.  For the uniform mode, slow waves (gamma_e / 2)
    damp the alpha resonance so the slowest filter gains most; fast waves
    (4 gamma_e) free it and the filter over the alpha band gains most."""
    rates = 2.0 ** np.arange(0.0, 6.01, 0.5)  # 1-64 Hz, half-octave filters
    fs = 172.27

    def best(scale):
        g = channel_transfer_power([0.0], rates, q=2.0, fs_hz=fs, params=FieldParameters(gamma_per_s=116.0 * scale))
        return rates[np.argmax(g[0])]

    assert best(0.5) == 1.0
    assert 8.0 <= best(4.0) <= 13.0
    # The band average differs from the gain at the centre rates: the alpha
    # peak between the 8 and 11.3 Hz centres reaches both filters.
    g = channel_transfer_power([0.0], [8.0, 11.3], q=2.0, fs_hz=fs, params=FieldParameters(gamma_per_s=464.0))
    centre = np.abs(corticothalamic_transfer([0.0], [8.0, 11.3], params=FieldParameters(gamma_per_s=464.0))) ** 2
    assert np.all(g > 0.0) and not np.allclose(g, centre, rtol=0.05)


def test_compiled_oscillators_follow_the_equations_step_by_step(rng):
    """The compiled sparse step loop against the equations written out with dense arrays:
    several delays (some absent, so the ring skips slots), drive per frequency."""
    n_reg, freqs, dt, g, b = 6, [1.0, 3.0], 0.02, 0.7, 1.5
    w = rng.uniform(0.0, 1.0, (n_reg, n_reg)) * (rng.random((n_reg, n_reg)) < 0.5)
    np.fill_diagonal(w, 0.0)
    d = rng.choice([0, 1, 3], size=(n_reg, n_reg))
    a = -np.array([1.0, 2.0])
    osc = RegionalOscillators(w, d, freqs, dt_s=dt, a_per_s=a, b_per_s=b, coupling_per_s=g)
    u = rng.standard_normal((n_reg, 2, 40))
    ours = np.concatenate([osc.process(u[..., :17]), osc.process(u[..., 17:])], axis=2)
    lam = a + 2j * np.pi * np.asarray(freqs)
    decay, phi = np.exp(lam * dt), (np.exp(lam * dt) - 1.0) / lam
    hist = [np.zeros((n_reg, 2), complex)] * 4  # oldest first; hist[-1] is z(t - 1)
    ref = []
    for t in range(u.shape[2]):
        now = hist[-1]
        delayed = np.stack([hist[-1 - d[i, j]][j] for i in range(n_reg) for j in range(n_reg)])
        delayed = delayed.reshape(n_reg, n_reg, 2)
        c = g * ((w[:, :, None] * delayed).sum(axis=1) - w.sum(axis=1)[:, None] * now)
        z = decay * now + phi * (u[:, :, t] / dt + c)
        z = z / np.sqrt(1.0 + 2.0 * b * dt * np.abs(z) ** 2)
        hist = hist[1:] + [z]
        ref.append(z)
    np.testing.assert_allclose(ours, np.stack(ref, axis=2), rtol=1e-12, atol=1e-14)
    with pytest.raises(ParameterError, match="u has shape"):
        osc.process(np.zeros((n_reg, 3, 5)))


def test_compiled_locking_sums_equal_the_array_form(rng):
    """The synchrony read-out's compiled pass against NumPy: drive-weighted phases averaged by
    step_average, the power at the model steps and its sum; states that vanish or whose squares
    underflow (the hypot path) included."""
    from resonance.dynamics.synchrony import _locking_sums, _step_weights, step_average

    n_reg, n_f, per, a = 3, 4, 8, 0.93
    states = rng.standard_normal((n_reg, n_f, 5 * per)) + 1j * rng.standard_normal((n_reg, n_f, 5 * per))
    states[0, 1, 3:9] *= 1e-160  # squares underflow: |z| from hypot
    states[1, 2, 10:12] = 0.0  # no phase at all
    pre = rng.standard_normal((n_reg, n_f)) + 1j * rng.standard_normal((n_reg, n_f))
    pre[2, 3] = 1e-170
    u = np.abs(rng.standard_normal((n_reg, 5 * per)))
    last = rng.standard_normal((n_reg, n_f)) + 1j * rng.standard_normal((n_reg, n_f))
    num, power, total = _locking_sums(states, pre, u, _step_weights(a, per), a**per, last)
    before = np.concatenate([pre[..., None], states[..., :-1]], axis=2)
    mag = np.abs(before)
    phase = np.where(mag > 0, before / np.maximum(mag, 1e-300), 0.0)
    ref, _ = step_average(phase * u[:, None, :], a, per, last)
    np.testing.assert_allclose(num, ref, rtol=1e-12, atol=1e-15)
    at_steps = states[..., per - 1 :: per]
    np.testing.assert_array_equal(power, at_steps.real**2 + at_steps.imag**2)
    assert total == pytest.approx(float((states.real**2 + states.imag**2).sum()), rel=1e-13)
