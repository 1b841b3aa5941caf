"""The connectome loader: default data, user formats and bad input."""

from __future__ import annotations

import bz2
import zipfile

import numpy as np
import pytest

from resonance.connectome import (
    Connectome,
    ConnectomeWarning,
    connectome_from_arrays,
    hemisphere_from_label,
    load_connectome,
)
from resonance.errors import DataFileError, ParameterError
from resonance.io.connectome import read_default_mesh, tvb_data_file

__all__ = []

N_DEFAULT_REGIONS = 74  # 76 of connectivity_76 minus rCC and lCC
N_DEFAULT_VERTICES = 16384 - 402  # minus the 231 + 171 CC vertices


# --------------------------------------------------------------------------- #
# The default
# --------------------------------------------------------------------------- #


def test_default_shapes_and_dropped_cc(default_connectome):
    c = default_connectome
    assert isinstance(c, Connectome)
    assert c.n_regions == N_DEFAULT_REGIONS
    assert c.dropped_labels == ("rCC", "lCC")
    assert "rCC" not in c.region_labels and "lCC" not in c.region_labels
    assert c.weights.shape == (74, 74)
    assert c.tract_lengths_mm.shape == (74, 74)
    assert c.centres.shape == (74, 3) and c.centres is c.centres_mm
    assert c.vertices.shape == (N_DEFAULT_VERTICES, 3) and c.vertices is c.vertices_mm
    assert c.triangles.min() == 0 and c.triangles.max() == N_DEFAULT_VERTICES - 1
    assert c.vertex_region.shape == (N_DEFAULT_VERTICES,)
    assert set(np.unique(c.vertex_region)) == set(range(74))


def test_default_auditory_labels_survive(default_connectome):
    for label in ("rA1", "lA1", "rA2", "lA2"):
        assert label in default_connectome.region_labels


def test_default_weights_symmetric_nonnegative(default_connectome):
    w = default_connectome.weights
    np.testing.assert_array_equal(w, w.T)
    assert (w >= 0).all() and np.all(np.diag(w) == 0)
    # connectivity_76 itself is slightly asymmetric (max |W - W.T| = 3).
    raw = np.loadtxt(zipfile.ZipFile(tvb_data_file("connectivity", "connectivity_76.zip")).open("weights.txt"))
    assert np.abs(raw - raw.T).max() > 0


def test_default_arrays_are_read_only(default_connectome):
    with pytest.raises(ValueError):
        default_connectome.weights[0, 1] = 5.0


def test_default_hemisphere_per_vertex(default_connectome):
    c = default_connectome
    assert set(np.unique(c.hemisphere)) == {"L", "R"}
    labels = np.array(c.region_labels)[c.vertex_region]
    np.testing.assert_array_equal(c.hemisphere == "R", np.char.startswith(labels, "r"))
    # In tvb-data's frame +y is the left hemisphere.
    assert c.vertices_mm[c.hemisphere == "L", 1].mean() > 20
    assert c.vertices_mm[c.hemisphere == "R", 1].mean() < -20


def test_default_mesh_edge_length_near_4_mm(default_connectome):
    from resonance.harmonics import mesh_edges

    e = mesh_edges(default_connectome.triangles)
    length = np.linalg.norm(default_connectome.vertices_mm[e[:, 0]] - default_connectome.vertices_mm[e[:, 1]], axis=1)
    assert 3.5 < length.mean() < 4.5


def test_reference_cortex_area_matches_mesh():
    from resonance.harmonics import REFERENCE_CORTEX_AREA_MM2

    mesh = read_default_mesh()
    v, t = mesh.vertices_mm, mesh.triangles
    area_mm2 = 0.5 * np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]), axis=1).sum()
    assert abs(area_mm2 - REFERENCE_CORTEX_AREA_MM2) / REFERENCE_CORTEX_AREA_MM2 < 0.01


# --------------------------------------------------------------------------- #
# Hemisphere from labels
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("rA1", "R"),
        ("lPFCDL", "L"),
        ("r_lateralorbitofrontal", "R"),
        ("RM-TCpol_R", "R"),
        ("ctx-lh-insula", "L"),
        ("Left-Amygdala", "L"),
        ("Right-Thalamus", "R"),
        ("V1_L", "L"),
        ("lateral", "?"),
        ("rostral", "?"),
        ("V1", "?"),
    ],
)
def test_hemisphere_from_label(label, expected):
    assert hemisphere_from_label(label) == expected


# --------------------------------------------------------------------------- #
# User connectomes
# --------------------------------------------------------------------------- #


def test_npy_without_labels_is_region_level(tmp_path, default_connectome):
    path = tmp_path / "w.npy"
    np.save(path, default_connectome.weights)
    c = load_connectome(path)
    assert not c.has_mesh and c.vertices is None and c.hemisphere is None
    assert c.region_labels[0] == "region_0"
    assert set(c.region_hemisphere) == {"?"}


def test_npy_with_matching_labels_gets_the_mesh(tmp_path, default_connectome):
    path = tmp_path / "w.npy"
    # Shuffle the region order: matching is by label, not by position.
    order = np.random.default_rng(1).permutation(default_connectome.n_regions)
    np.save(path, default_connectome.weights[np.ix_(order, order)])
    labels = [default_connectome.region_labels[k] for k in order]
    (tmp_path / "labels.txt").write_text("\n".join(labels) + "\n")
    c = load_connectome(path, labels=tmp_path / "labels.txt")
    assert c.has_mesh and c.n_vertices == N_DEFAULT_VERTICES
    # Each vertex keeps its region (by label) after the renumbering.
    default_labels = np.array(default_connectome.region_labels)[default_connectome.vertex_region]
    np.testing.assert_array_equal(np.array(c.region_labels)[c.vertex_region], default_labels)


def test_csv_with_header_and_label_column(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(",lA,lB,rC\nlA,0,1,2\nlB,1,0,3\nrC,2,3,0\n")
    c = load_connectome(path)
    assert c.region_labels == ("lA", "lB", "rC")
    assert c.region_hemisphere.tolist() == ["L", "L", "R"]
    np.testing.assert_array_equal(c.weights, [[0, 1, 2], [1, 0, 3], [2, 3, 0]])


def test_csv_asymmetric_is_symmetrised_and_diagonal_zeroed(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("5,1,0\n3,5,2\n0,2,5\n")
    c = load_connectome(path)
    np.testing.assert_array_equal(c.weights, [[0, 2, 0], [2, 0, 2], [0, 2, 0]])


def test_tvb_zip_from_tvb_data_other_parcellation():
    c = load_connectome(tvb_data_file("connectivity", "connectivity_68.zip"))  # bz2 members
    assert c.n_regions == 68 and not c.has_mesh
    assert c.centres_mm.shape == (68, 3)
    assert set(c.region_hemisphere) == {"L", "R"}


def test_tvb_folder_with_hemispheres_file(tmp_path):
    (tmp_path / "weights.txt").write_text("0 1 0\n1 0 2\n0 2 0\n")
    (tmp_path / "tract_lengths.txt").write_text("0 10 0\n12 0 20\n0 20 0\n")
    (tmp_path / "centres.txt").write_text("A 0 0 0\nB 10 0 0\nC 20 0 0\n")
    (tmp_path / "hemispheres.txt").write_bytes(bz2.compress(b"1\n1\n0\n"))
    (tmp_path / "hemispheres.txt").rename(tmp_path / "hemispheres.txt.bz2")
    c = load_connectome(tmp_path)
    assert c.region_labels == ("A", "B", "C")
    assert c.region_hemisphere.tolist() == ["R", "R", "L"]
    np.testing.assert_array_equal(c.tract_lengths_mm[0, 1], 11.0)


def test_tvb_zip_with_76_labels_gets_the_mesh(tmp_path):
    with pytest.warns(ConnectomeWarning, match="rCC, lCC"):
        c = load_connectome(tvb_data_file("connectivity", "connectivity_76.zip"))
    assert c.has_mesh and c.n_regions == 74


def test_isolated_region_dropped_with_warning(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("a,b,c\n0,1,0\n1,0,0\n0,0,0\n")
    with pytest.warns(ConnectomeWarning, match=r"w\.csv.*dropped 1 region.*: c"):
        c = load_connectome(path)
    assert c.region_labels == ("a", "b") and c.dropped_labels == ("c",)


def test_disconnected_groups_warn_but_are_kept():
    w = np.zeros((4, 4))
    w[0, 1] = w[1, 0] = w[2, 3] = w[3, 2] = 1.0
    with pytest.warns(ConnectomeWarning, match="2 groups"):
        c = connectome_from_arrays(w, name="two-islands")
    assert c.n_regions == 4


# --------------------------------------------------------------------------- #
# Bad input: clear errors naming file and problem
# --------------------------------------------------------------------------- #


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("rect.csv", "0,1,2\n1,0,3\n", r"rect\.csv.*shape \(2, 3\).*square"),
        ("nan.csv", "0,1,nan\n1,0,3\nnan,3,0\n", r"nan\.csv.*2 NaN or infinite"),
        ("inf.csv", "0,1,inf\n1,0,3\n2,3,0\n", r"inf\.csv.*NaN or infinite"),
        ("neg.csv", "0,-1,2\n1,0,3\n2,3,0\n", r"neg\.csv.*negative value -1 at row 0, column 1"),
        ("text.csv", "0,1,x\n1,0,3\n2,3,0\n", r"text\.csv': line 1 holds 'x'"),
        ("ragged.csv", "0,1,2\n1,0,3\n2,3\n", r"ragged\.csv': line 3 has 2 values.*truncated"),
        ("empty.csv", "", r"empty\.csv' is empty"),
        ("blank.txt", "\n  \n", r"blank\.txt' is empty"),
        ("zero.csv", "0,0\n0,0\n", r"zero\.csv.*no region has a connection"),
        ("one.csv", "0\n", r"one\.csv.*1 region"),
        ("dup.csv", "a,a\n0,1\n1,0\n", r"dup\.csv.*'a' appears twice"),
    ],
)
def test_bad_matrix_files(tmp_path, name, text, match):
    path = _write(tmp_path, name, text)
    with pytest.raises(ParameterError, match=match):
        load_connectome(path)


def test_labels_of_wrong_length(tmp_path):
    path = _write(tmp_path, "w.csv", "0,1\n1,0\n")
    with pytest.raises(ParameterError, match=r"w\.csv.*3 region labels given for 2 regions"):
        load_connectome(path, labels=["a", "b", "c"])


def test_empty_label_file(tmp_path):
    path = _write(tmp_path, "w.csv", "0,1\n1,0\n")
    labels = _write(tmp_path, "labels.txt", "\n\n")
    with pytest.raises(DataFileError, match=r"labels\.txt' is empty"):
        load_connectome(path, labels=labels)


def test_pickled_npy_refused(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match=r"obj\.npy.*pickled"):
        load_connectome(path)


def test_truncated_npy(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, np.ones((20, 20)))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFileError, match=r"cut\.npy.*truncated"):
        load_connectome(path)


def test_empty_npy_file(tmp_path):
    path = _write(tmp_path, "nothing.npy", "")
    with pytest.raises(DataFileError, match=r"nothing\.npy' is empty"):
        load_connectome(path)


def test_string_npy_refused(tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(DataFileError, match=r"s\.npy.*numeric"):
        load_connectome(path)


def test_corrupt_zip(tmp_path):
    good = tvb_data_file("connectivity", "connectivity_76.zip").read_bytes()
    path = tmp_path / "cut.zip"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataFileError, match=r"cut\.zip.*zip"):
        load_connectome(path)


def test_zip_without_weights(tmp_path):
    path = tmp_path / "nothing.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("centres.txt", "A 0 0 0\n")
    with pytest.raises(DataFileError, match=r"nothing\.zip.*no weights\.txt"):
        load_connectome(path)


def test_tvb_tract_lengths_wrong_shape(tmp_path):
    (tmp_path / "weights.txt").write_text("0 1\n1 0\n")
    (tmp_path / "tract_lengths.txt").write_text("0 1 1\n1 0 1\n1 1 0\n")
    with pytest.raises(ParameterError, match=r"tract_lengths_mm has shape \(3, 3\); it must be 2 x 2"):
        load_connectome(tmp_path)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(DataFileError, match=r"missing\.csv' does not exist"):
        load_connectome(tmp_path / "missing.csv")
    path = _write(tmp_path, "w.xlsx", "0")
    with pytest.raises(DataFileError, match=r"w\.xlsx.*extension '\.xlsx'"):
        load_connectome(path)


def test_labels_without_source_refused():
    with pytest.raises(ParameterError, match="labels"):
        load_connectome(None, labels=["a"])
