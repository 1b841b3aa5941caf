"""Connectome harmonics: the properties the model relies on."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from resonance.connectome import connectome_from_arrays, load_connectome
from resonance.errors import ParameterError
from resonance.harmonics import (
    GAMMA_PER_S,
    R_MM,
    Harmonics,
    connectome_harmonics,
    laplacian_eigenmodes,
    mesh_edges,
    mode_dispersion,
    neural_field_transfer,
    normalized_laplacian,
    physical_eigenvalues,
    sample_long_range_edges,
    spatial_axis_correlations,
)
from resonance.io.cache import CacheWarning, cache_dir

__all__ = []


def hemisphere_agreement(vector, hemisphere) -> float:
    """Share of vertices whose sign matches their hemisphere (best of both signs)."""
    positive = vector > 0
    return max(np.mean(positive == (hemisphere == "R")), np.mean(positive == (hemisphere == "L")))


# --------------------------------------------------------------------------- #
# The default harmonics
# --------------------------------------------------------------------------- #


def test_default_is_vertex_level_with_all_fields(default_harmonics, default_connectome):
    h = default_harmonics
    assert isinstance(h, Harmonics)
    assert h.level == "vertex" and h.n_modes == 200
    n = default_connectome.n_vertices
    assert h.vectors.shape == (n, 200)
    assert h.vertex_region.shape == (n,) and h.hemisphere.shape == (n,)
    assert h.positions_mm.shape == (n, 3) and h.triangles.shape[1] == 3
    assert h.region_labels == default_connectome.region_labels
    assert h.gamma_per_s == GAMMA_PER_S and h.r_mm == R_MM
    assert 3.5 < h.edge_length_mm < 4.5


def test_mode_2_splits_the_hemispheres(default_harmonics):
    assert hemisphere_agreement(default_harmonics.vectors[:, 1], default_harmonics.hemisphere) >= 0.95


def test_vectors_orthonormal(default_harmonics):
    v = default_harmonics.vectors
    np.testing.assert_allclose(v.T @ v, np.eye(v.shape[1]), rtol=0, atol=1e-8)


def test_vectors_are_eigenvectors(default_harmonics, default_connectome):
    from resonance.harmonics import vertex_adjacency

    lap = normalized_laplacian(vertex_adjacency(default_connectome))
    v, lam = default_harmonics.vectors, default_harmonics.eigenvalues
    residual = np.linalg.norm(lap @ v - v * lam, axis=0)
    assert residual.max() < 1e-8


def test_eigenvalues_ascending_nonnegative(default_harmonics):
    lam = default_harmonics.eigenvalues
    assert lam[0] == 0.0 and (lam >= 0).all() and (lam <= 2).all()
    assert (np.diff(lam) >= 0).all()
    assert lam[1] > 0  # the long-range edges join the hemispheres


def test_frequencies_increase_damping_decreases(default_harmonics):
    f, z = default_harmonics.frequencies_hz, default_harmonics.damping_ratio
    assert f[0] == 0.0 and z[0] == 1.0
    assert (np.diff(f) >= 0).all() and f[-1] > f[1] > 0
    assert (np.diff(z) <= 0).all() and (z > 0).all()


def test_pang_frequency_range(default_harmonics):
    """docs/model.md: with Pang's gamma and r the wave-equation frequencies span
    a few Hz to tens of Hz.  With Atasoy's fibre weighting (each long-range
    edge weighs as much as a mesh edge) the fibres stiffen the low modes: the
    hemisphere split (mode 2) stays slow, the first within-hemisphere mode
    (mode 3) rings near 28 Hz (9 Hz with the earlier 0.1 % share), mode 200 in
    the tens of Hz (our graph covers both hemispheres, twice Pang's
    single-hemisphere area)."""
    f = default_harmonics.frequencies_hz
    assert f[1] < 10.0
    assert 10.0 < f[2] < 40.0
    assert 40.0 < f[199] < 110.0


def test_mode_2_follows_the_left_right_axis(default_harmonics):
    corr = spatial_axis_correlations(default_harmonics)
    assert corr.shape == (200, 3)
    assert np.nanargmax(np.abs(corr[1])) == 1  # y is left-right in tvb-data
    assert abs(corr[1, 1]) > 0.7


def test_physical_scaling_matches_finite_elements(default_connectome):
    """4 lambda_graph / h^2 of the mesh-only graph vs. a cotangent FEM solve."""
    h = connectome_harmonics(default_connectome, n_modes=24, long_range_fraction=0.0, cache=False)
    v, t = default_connectome.vertices_mm, default_connectome.triangles
    n = len(v)
    rows, cols, vals = [], [], []
    for a, b, c in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        u, w = v[t[:, a]] - v[t[:, c]], v[t[:, b]] - v[t[:, c]]
        cot = np.einsum("ij,ij->i", u, w) / np.linalg.norm(np.cross(u, w), axis=1)
        rows += [t[:, a], t[:, b]]
        cols += [t[:, b], t[:, a]]
        vals += [0.5 * cot, 0.5 * cot]
    weight = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    stiffness = sp.diags(np.asarray(weight.sum(axis=1)).ravel()) - weight
    area = 0.5 * np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]), axis=1)
    mass = np.zeros(n)
    for k in range(3):
        np.add.at(mass, t[:, k], area / 3)
    fem = np.sort(eigsh(stiffness.tocsc(), k=24, M=sp.diags(mass).tocsc(), sigma=-1e-4, which="LM")[0])
    # Two zero modes (the hemispheres are separate meshes), then compare.
    np.testing.assert_allclose(h.eigenvalues_per_mm2[2:], fem[2:], rtol=0.10)


def test_transfer_formula(default_harmonics):
    freqs = np.array([0.0, 4.0, 40.0])
    got = default_harmonics.transfer(freqs)
    assert got.shape == (200, 3) and got.dtype == np.complex128
    g, r, lam = GAMMA_PER_S, R_MM, default_harmonics.eigenvalues_per_mm2
    w = 2 * np.pi * freqs
    expected = g**2 / (g**2 * (1 + r**2 * lam[:, None]) - w**2 + 2j * g * w)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got[:, 0].real, 1 / (1 + r**2 * lam))


def test_transfer_peaks_at_the_damped_resonance(default_harmonics):
    """A second-order system peaks at w0 sqrt(1 - 2 zeta^2) when zeta < 1/sqrt(2)."""
    k = 199
    zeta = default_harmonics.damping_ratio[k]
    assert zeta < 1 / math.sqrt(2)
    w0_hz = GAMMA_PER_S * math.sqrt(1 + R_MM**2 * default_harmonics.eigenvalues_per_mm2[k]) / (2 * math.pi)
    freqs = np.arange(0.0, 150.0, 0.01)
    peak_hz = freqs[np.argmax(np.abs(default_harmonics.transfer(freqs)[k]))]
    assert abs(peak_hz - w0_hz * math.sqrt(1 - 2 * zeta**2)) <= 0.01


def test_regional_harmonics(default_harmonics, default_connectome):
    h = default_harmonics
    assert h.has_regional_harmonics and h.regional_note == ""
    assert len(h.regional) == default_connectome.n_regions
    for reg in h.regional:
        np.testing.assert_array_equal(reg.vertex_index, np.flatnonzero(h.vertex_region == reg.region))
        assert reg.label == h.region_labels[reg.region]
        assert reg.n_modes == min(8, len(reg.vertex_index))
        assert reg.vectors.shape == (len(reg.vertex_index), reg.n_modes)
        np.testing.assert_allclose(reg.vectors.T @ reg.vectors, np.eye(reg.n_modes), atol=1e-8)
        assert abs(reg.eigenvalues[0]) < 1e-10 and (np.diff(reg.eigenvalues) >= 0).all()
        assert (np.diff(reg.frequencies_hz) >= 0).all()
    a1 = h.regional[h.region_labels.index("rA1")]
    assert len(a1.vertex_index) == 57


def test_regional_modes_are_patch_eigenvectors(default_harmonics, default_connectome):
    reg = default_harmonics.regional[default_harmonics.region_labels.index("lA1")]
    idx = reg.vertex_index
    edges = mesh_edges(default_connectome.triangles)
    inside = np.isin(edges, idx).all(axis=1)
    local = np.searchsorted(idx, edges[inside])
    adj = sp.coo_matrix((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(len(idx),) * 2)
    lap = normalized_laplacian(adj + adj.T).toarray()
    np.testing.assert_allclose(lap @ reg.vectors, reg.vectors * reg.eigenvalues, atol=1e-10)
    np.testing.assert_allclose(reg.eigenvalues, np.linalg.eigvalsh(lap)[: reg.n_modes], atol=1e-10)


# --------------------------------------------------------------------------- #
# Region-level fallback
# --------------------------------------------------------------------------- #


def test_region_level_splits_the_hemispheres(default_connectome):
    h = connectome_harmonics(default_connectome, level="region")
    assert h.level == "region" and h.n_modes == 74  # capped at n_regions
    np.testing.assert_array_equal(h.vertex_region, np.arange(74))
    assert not h.has_regional_harmonics and "no regional" in h.regional_note
    assert hemisphere_agreement(h.vectors[:, 1], h.hemisphere) >= 0.95
    np.testing.assert_allclose(h.vectors.T @ h.vectors, np.eye(74), atol=1e-8)
    assert h.length_scale.startswith("weighted mean distance")
    assert (np.diff(h.frequencies_hz) >= 0).all()


def test_unlabelled_matrix_falls_back_to_regions(tmp_path, default_connectome):
    path = tmp_path / "w76.npy"
    np.save(path, default_connectome.weights)
    h = connectome_harmonics(path)
    assert h.level == "region" and h.positions_mm is None and h.triangles is None
    assert "spacing of 74 points" in h.length_scale
    assert hemisphere_agreement(h.vectors[:, 1], default_connectome.region_hemisphere) >= 0.95


def test_vertex_level_needs_a_mesh():
    c = connectome_from_arrays([[0, 1], [1, 0]], name="tiny")
    with pytest.raises(ParameterError, match="level='vertex' needs a connectome with a cortical mesh.*tiny"):
        connectome_harmonics(c, level="vertex")


# --------------------------------------------------------------------------- #
# Determinism and the cache
# --------------------------------------------------------------------------- #


def test_deterministic_across_runs(default_connectome):
    a = connectome_harmonics(default_connectome, n_modes=6, cache=False)
    b = connectome_harmonics(default_connectome, n_modes=6, cache=False)
    np.testing.assert_array_equal(a.eigenvalues, b.eigenvalues)
    np.testing.assert_array_equal(a.vectors, b.vectors)


def test_seed_changes_the_long_range_edges(default_connectome):
    a = connectome_harmonics(default_connectome, n_modes=6, cache=False)
    b = connectome_harmonics(default_connectome, n_modes=6, seed=1, cache=False)
    assert not np.allclose(a.eigenvalues[1:], b.eigenvalues[1:], rtol=1e-6)


def test_cache_hit_returns_the_same(default_harmonics, default_connectome):
    again = connectome_harmonics(default_connectome, n_modes=200)
    assert again.from_cache and again.cache_key == default_harmonics.cache_key
    np.testing.assert_array_equal(again.vectors, default_harmonics.vectors)
    for a, b in zip(again.regional, default_harmonics.regional, strict=True):
        np.testing.assert_array_equal(a.vectors, b.vectors)


def test_cache_lives_under_the_env_folder(default_harmonics, stimgen_cache_dir):
    assert cache_dir("harmonics") == stimgen_cache_dir / "harmonics"
    assert (stimgen_cache_dir / "harmonics" / f"harmonics-{default_harmonics.cache_key[:40]}.npz").is_file()


def test_cache_key_covers_every_parameter(default_connectome):
    base = dict(level="region", cache=False)
    keys = {
        connectome_harmonics(default_connectome, **base).cache_key,
        connectome_harmonics(default_connectome, n_modes=20, **base).cache_key,
        connectome_harmonics(default_connectome, gamma_per_s=100.0, **base).cache_key,
        connectome_harmonics(default_connectome, r_mm=86.0, **base).cache_key,
        connectome_harmonics(default_connectome, seed=3, **base).cache_key,
    }
    assert len(keys) == 5
    w = np.array(default_connectome.weights)
    w[0, 1] = w[1, 0] = w[0, 1] + 1.0
    other = connectome_from_arrays(w, region_labels=default_connectome.region_labels, warn=False)
    assert connectome_harmonics(other, **base).cache_key not in keys


def _entry(tmp_path, harmonics):
    return tmp_path / "harmonics" / f"harmonics-{harmonics.cache_key[:40]}.npz"


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STIMGEN_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_corrupt_cache_entry_is_recomputed(private_cache, default_connectome):
    first = connectome_harmonics(default_connectome, level="region")
    path = _entry(private_cache, first)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.warns(CacheWarning, match="recomputing"):
        again = connectome_harmonics(default_connectome, level="region")
    assert not again.from_cache
    np.testing.assert_array_equal(again.vectors, first.vectors)
    # ... and the entry was rewritten, so the next call trusts it silently.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert connectome_harmonics(default_connectome, level="region").from_cache


def test_bit_flip_in_cache_is_detected(private_cache, default_connectome):
    first = connectome_harmonics(default_connectome, level="region")
    path = _entry(private_cache, first)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.warns(CacheWarning):
        again = connectome_harmonics(default_connectome, level="region")
    assert not again.from_cache
    np.testing.assert_array_equal(again.vectors, first.vectors)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda a: a.update(key=np.array("0" * 64)), "key does not match"),
        (lambda a: a.update(vectors=a["vectors"][:, :-1]), "shape"),
        (lambda a: a.update(vectors=np.where(a["vectors"] > 0.3, np.nan, a["vectors"])), "NaN"),
        (lambda a: a.update(vectors=2 * a["vectors"]), "unit length"),
        (lambda a: a.update(eigenvalues=a["eigenvalues"][::-1].copy()), "ascending"),
        (lambda a: a.pop("edge_length_mm"), "lacks 'edge_length_mm'"),
        (lambda a: a.update(format=np.array(999)), "another version"),
    ],
)
def test_stale_or_inconsistent_cache_is_recomputed(private_cache, default_connectome, edit, match):
    first = connectome_harmonics(default_connectome, level="region")
    path = _entry(private_cache, first)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    edit(arrays)
    np.savez(path, **arrays)
    with pytest.warns(CacheWarning, match=match):
        again = connectome_harmonics(default_connectome, level="region")
    assert not again.from_cache
    np.testing.assert_array_equal(again.vectors, first.vectors)


def test_vertex_level_cache_round_trip_with_regional(private_cache, default_connectome):
    first = connectome_harmonics(default_connectome, n_modes=8)
    again = connectome_harmonics(default_connectome, n_modes=8)
    assert not first.from_cache and again.from_cache
    np.testing.assert_array_equal(again.vectors, first.vectors)
    assert [r.n_modes for r in again.regional] == [r.n_modes for r in first.regional]
    for a, b in zip(again.regional, first.regional, strict=True):
        np.testing.assert_array_equal(a.vectors, b.vectors)
        np.testing.assert_array_equal(a.vertex_index, b.vertex_index)


def test_unwritable_cache_warns_and_still_computes(tmp_path, monkeypatch, default_connectome):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("STIMGEN_CACHE_DIR", str(blocker))
    with pytest.warns(CacheWarning, match="cannot be written"):
        h = connectome_harmonics(default_connectome, level="region")
    assert h.n_modes == 74


# --------------------------------------------------------------------------- #
# Building blocks
# --------------------------------------------------------------------------- #


def test_sparse_solver_on_a_cycle_graph():
    """The normalised Laplacian of the cycle C_n has eigenvalues 1 - cos(2 pi k / n)."""
    n = 3001  # above DENSE_LIMIT: exercises the shift-invert path
    i = np.arange(n)
    adj = sp.coo_matrix((np.ones(n), (i, (i + 1) % n)), shape=(n, n))
    vals, vecs = laplacian_eigenmodes(normalized_laplacian(adj + adj.T), 9)
    k = np.array([0, 1, 1, 2, 2, 3, 3, 4, 4])
    np.testing.assert_allclose(vals, 1 - np.cos(2 * np.pi * k / n), atol=1e-12)
    np.testing.assert_allclose(vecs.T @ vecs, np.eye(9), atol=1e-10)


def test_long_range_edges_follow_the_weights(default_connectome):
    c = default_connectome
    edges = sample_long_range_edges(c.vertex_region, c.weights, n_edges=20000, seed=0)
    ri, rj = c.vertex_region[edges[:, 0]], c.vertex_region[edges[:, 1]]
    assert (c.weights[ri, rj] > 0).all()  # only connected regions
    inter = np.mean(c.hemisphere[edges[:, 0]] != c.hemisphere[edges[:, 1]])
    left, right = c.region_hemisphere == "L", c.region_hemisphere == "R"
    expected = c.weights[np.ix_(left, right)].sum() / np.triu(c.weights, 1).sum()
    assert abs(inter - expected) < 0.005  # ~1.4 % interhemispheric
    again = sample_long_range_edges(c.vertex_region, c.weights, n_edges=20000, seed=0)
    np.testing.assert_array_equal(edges, again)


def test_dispersion_examples():
    f, z = mode_dispersion([0.0, 1.0 / R_MM**2], gamma_per_s=GAMMA_PER_S, r_mm=R_MM)
    np.testing.assert_allclose(f, [0.0, GAMMA_PER_S / (2 * np.pi)])
    np.testing.assert_allclose(z, [1.0, 1 / np.sqrt(2)])
    np.testing.assert_allclose(physical_eigenvalues([0.5], edge_length_mm=2.0), [0.5])
    np.testing.assert_allclose(neural_field_transfer([0.0], [0.0]), [[1.0 + 0j]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_modes=0), "n_modes=0"),
        (dict(n_modes=1001), "n_modes=1001"),
        (dict(n_modes=2.5), "n_modes=2.5"),
        (dict(gamma_per_s=-1.0), "gamma_per_s=-1"),
        (dict(r_mm=0.0), "r_mm=0"),
        (dict(long_range_fraction=1.0), "long_range_fraction=1"),
        (dict(n_long_range_edges=-1), "n_long_range_edges=-1"),
        (dict(level="mesh"), "level='mesh'"),
        (dict(n_regional_modes=0), "n_regional_modes=0"),
        (dict(cache="yes"), "cache='yes'"),
    ],
)
def test_bad_parameters(default_connectome, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        connectome_harmonics(default_connectome, **kwargs)


def test_bad_connectome_argument_and_frequencies(default_harmonics):
    with pytest.raises(ParameterError, match="connectome=int"):
        connectome_harmonics(5)
    with pytest.raises(ParameterError, match="freqs_hz"):
        default_harmonics.transfer([1.0, np.nan])
    with pytest.raises(ParameterError, match="negative"):
        mode_dispersion([-1.0])


def test_load_path_argument(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("a,b,c\n0,1,1\n1,0,1\n1,1,0\n")
    h = connectome_harmonics(path, cache=False)
    assert h.level == "region" and h.n_modes == 3
    # The triangle graph: normalised Laplacian eigenvalues 0, 1.5, 1.5.
    np.testing.assert_allclose(h.eigenvalues, [0.0, 1.5, 1.5], atol=1e-12)
    assert load_connectome(path).region_labels == h.region_labels


@pytest.mark.parametrize("chunk", [4, 100])
def test_onset_drive_equals_the_whole_block_array_form(rng, monkeypatch, chunk):
    """OnsetDrive forms the modes' amplitudes a few rhythm frequencies at a time (cache-sized
    products, J not a multiple of the chunk) or all at once: the same energies as one product."""
    import resonance.harmonics.drive as drive_module
    from resonance.harmonics.drive import OnsetDrive, rhythm_coherence

    K, B, J, n = 6, 3, 11, 13
    monkeypatch.setattr(drive_module, "_AMPLITUDE_BYTES", K * n * 16 * chunk)
    auditory, motor = rng.random((K, B)), rng.random(K)
    transfer = rng.standard_normal((K, J)) + 1j * rng.standard_normal((K, J))
    freqs, pulse_gain = np.geomspace(0.5, 8.0, J), rng.random(J)
    args = dict(coherence_a=0.9, floor=0.1, exponent=1.0)
    drive = OnsetDrive(auditory=auditory, motor=motor, transfer=transfer, freqs_hz=freqs, pulse_gain=pulse_gain,
                       motor_gain=0.7, **args)
    z = rng.standard_normal((2 * B, J, n)) + 1j * rng.standard_normal((2 * B, J, n))
    e_n, e_t, rate, pulse = drive.process(z)
    gain, _ = rhythm_coherence(z[B:], None, freqs_hz=freqs, a=0.9, floor=0.1, exponent=1.0)
    entry = np.concatenate([auditory, 0.7 * motor[:, None]], axis=1)
    power = []
    for part in (z[:B], z[B:]):
        loop = part.sum(axis=0) * pulse_gain[:, None]
        amp = np.einsum("kb,bjt->kjt", entry, np.concatenate([part, loop[None]]))
        power.append(np.abs(amp) ** 2 * np.abs(transfer[:, :, None]) ** 2)
    np.testing.assert_allclose(e_n, (power[0] * gain).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(e_t, (power[1] * gain).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(rate, power[1].sum(axis=2), rtol=1e-12)
    np.testing.assert_allclose(pulse, gain * np.abs(z[B:].sum(axis=0) * pulse_gain[:, None]) ** 2, rtol=1e-12)
