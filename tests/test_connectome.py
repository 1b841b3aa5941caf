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


def test_tract_lengths_in_the_wrong_unit_are_refused(tmp_path):
    (tmp_path / "weights.txt").write_text("0 1\n1 0\n")
    (tmp_path / "tract_lengths.txt").write_text("0 1.2e5\n1.2e5 0\n")  # micrometres, not mm
    with pytest.raises(ParameterError, match=r"tract_lengths_mm hold 1\.2e\+05 mm at row 0, column 1; .*at most 10000 mm"):
        load_connectome(tmp_path)


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


# --------------------------------------------------------------------------- #
# tvb-data connectomes by name
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("name", "n_regions", "auditory", "premotor"),
    [
        # Hagmann et al. 2008: Desikan-Killiany abbreviations.
        ("tvb:66", 66, {"rTT", "lTT", "rST", "lST"}, {"rCMF", "lCMF"}),
        # Desikan-Killiany full names with an r_/l_ prefix.
        (
            "tvb:68",
            68,
            {"r_transversetemporal", "l_transversetemporal", "r_superiortemporal", "l_superiortemporal"},
            {"r_caudalmiddlefrontal", "l_caudalmiddlefrontal"},
        ),
        # CoCoMac regional map with an _R/_L suffix.
        (
            "tvb:96",
            96,
            {"RM-A1_R", "RM-A1_L", "RM-A2_R", "RM-A2_L"},
            {"RM-PMCm_R", "RM-PMCm_L", "RM-PMCdl_R", "RM-PMCdl_L"},
        ),
    ],
)
def test_tvb_data_connectomes_by_name(name, n_regions, auditory, premotor):
    c = load_connectome(name)
    assert c.name == f"tvb-data connectivity_{name[4:]}"
    assert c.n_regions == n_regions and not c.has_mesh
    assert c.tract_lengths_mm is not None and c.centres_mm is not None
    assert set(c.entry_regions.auditory) == auditory
    assert set(c.entry_regions.premotor) == premotor
    assert c.entry_regions.named == ()
    # Both hemispheres are known from the labels.
    assert set(c.region_hemisphere.tolist()) == {"L", "R"}


def test_tvb_76_by_name_is_the_default(default_connectome):
    c = load_connectome("tvb:76")
    assert c.name == default_connectome.name and c.has_mesh
    np.testing.assert_array_equal(c.weights, default_connectome.weights)
    assert set(c.entry_regions.auditory) == {"rA1", "rA2", "lA1", "lA2"}
    assert set(c.entry_regions.premotor) == {"rPMCM", "rPMCDL", "lPMCM", "lPMCDL"}


def test_unknown_tvb_name_lists_the_allowed_ones():
    with pytest.raises(ParameterError, match=r"'tvb:192' is not a tvb-data connectome; allowed names: tvb:66"):
        load_connectome("tvb:192")


# --------------------------------------------------------------------------- #
# Entry regions: atlas abbreviations, named by label or row
# --------------------------------------------------------------------------- #


def test_entry_labels_of_common_atlases_are_recognised():
    from resonance.connectome.coupling import AUDITORY_REGIONS, MOTOR_REGIONS, find_regions

    auditory = [
        "rTT", "lST",  # Hagmann 2008 / TVB connectivity_66
        "r_transversetemporal", "ctx-lh-transversetemporal", "lh.superiortemporal",  # Desikan-Killiany
        "Heschl_L", "Temporal_Sup_R",  # AAL
        "L_A1_ROI",  # HCP-MMP
        "RM-A1_R", "rA2",  # CoCoMac
    ]
    premotor = ["rCMF", "l_caudalmiddlefrontal", "Supp_Motor_Area_L", "rPMCDL", "RM-PMCm_L"]
    # Neighbours that are not entries: superior temporal sulcus bank, lingual,
    # temporal pole, primary motor and paracentral cortex, CoCoMac TCS.
    others = ["rBSTS", "lingual", "rTP", "rPREC", "r_precentral", "r_paracentral", "lTCS", "rPT", "rM1"]
    labels = auditory + premotor + others
    assert find_regions(labels, AUDITORY_REGIONS).tolist() == list(range(len(auditory)))
    first = len(auditory)
    assert find_regions(labels, MOTOR_REGIONS).tolist() == list(range(first, first + len(premotor)))


def test_named_entry_regions_by_label_and_row():
    from resonance.connectome.coupling import resolve_entry_regions

    labels = ["rTT", "lTT", "rCMF", "lCMF", "rV1"]
    # A core name finds both hemispheres; a full label only its own.
    assert resolve_entry_regions(labels, "TT").auditory == ("rTT", "lTT")
    assert resolve_entry_regions(labels, "auditory=rTT").auditory == ("rTT",)
    both = resolve_entry_regions(labels, ["auditory=rTT", "premotor=4"])
    assert both.auditory == ("rTT",) and both.premotor == ("rV1",) and both.named == ("auditory", "premotor")
    mapping = resolve_entry_regions(labels, {"auditory": [1], "premotor": "lCMF"})
    assert mapping.auditory == ("lTT",) and mapping.premotor == ("lCMF",)
    semicolons = resolve_entry_regions(labels, "auditory=0,1;premotor=rCMF")
    assert semicolons.auditory == ("rTT", "lTT") and semicolons.premotor == ("rCMF",)
    # Kinds not named are still found by label.
    assert resolve_entry_regions(labels, "premotor=rV1").auditory == ("rTT", "lTT")


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("auditory=7", r"w\.csv'.*auditory=7 is not a row of its 3 x 3 matrix; allowed row indices are 0 to 2"),
        ("auditory=rXX", r"w\.csv'.*auditory='rXX' matches no region label; its labels are rA1, lA1, rV1"),
        ("motor=rA1", r"the kind 'motor' is unknown; allowed: 'auditory=LABEL"),
        ("premotor=", r"premotor= names no region"),
        (";", r"name no region"),
    ],
)
def test_bad_entry_regions_name_the_problem(tmp_path, spec, match):
    path = _write(tmp_path, "w.csv", "rA1,lA1,rV1\n0,1,2\n1,0,1\n2,1,0\n")
    with pytest.raises(ParameterError, match=match):
        load_connectome(path, entry_regions=spec)


def test_entry_rows_refer_to_the_file_even_when_a_region_is_dropped(tmp_path):
    # Row 0 has no connection and is dropped; row 2 is still "row 2".
    path = _write(tmp_path, "w.txt", "0 0 0 0\n0 0 1 2\n0 1 0 1\n0 2 1 0\n")
    with pytest.warns(ConnectomeWarning, match="dropped 1 region"):
        c = load_connectome(path, entry_regions="auditory=2;premotor=3")
    assert c.region_labels == ("region_1", "region_2", "region_3")
    assert c.entry_regions.auditory == ("region_2",) and c.entry_regions.premotor == ("region_3",)
    with pytest.warns(ConnectomeWarning), pytest.raises(ParameterError, match="entry region 'region_0' has no connection"):
        load_connectome(path, entry_regions="auditory=0")
    # connectome_harmonics on the path: rows of the file too.
    from resonance.harmonics import connectome_harmonics

    with pytest.warns(ConnectomeWarning):
        h = connectome_harmonics(path, entry_regions="auditory=2;premotor=3", cache=False)
    assert h.entry_regions.auditory == ("region_2",) and h.entry_regions.premotor == ("region_3",)


def test_labelled_csv_couples_without_region_centres(tmp_path):
    """Regression (issue 10/15): a labelled CSV ended in IndexError in coupling.py."""
    from resonance.connectome.coupling import entry_coupling
    from resonance.harmonics import connectome_harmonics

    path = _write(tmp_path, "lab.csv", ",rA1,lA1,rPMCM,lV1\nrA1,0,1,2,1\nlA1,1,0,1,2\nrPMCM,2,1,0,1\nlV1,1,2,1,0\n")
    h = connectome_harmonics(load_connectome(path), cache=False)
    assert h.positions_mm is None
    cp = entry_coupling(h, n_bands=4)
    assert cp.auditory_regions == ("rA1", "lA1") and cp.motor_regions == ("rPMCM",)
    assert cp.auditory.shape == (h.n_modes, 4) and np.all(np.isfinite(cp.auditory))
    # Every band enters the two auditory nodes equally (no map inside a region).
    np.testing.assert_allclose(cp.auditory, cp.auditory[:, :1] * np.ones((1, 4)))


def test_unlabelled_matrix_needs_named_entry_regions(tmp_path, rng):
    from resonance.connectome.coupling import entry_coupling, require_entry_regions
    from resonance.harmonics import connectome_harmonics

    w = rng.random((5, 5))
    path = tmp_path / "w.npy"
    np.save(path, w + w.T)
    plain = connectome_harmonics(path, cache=False)
    with pytest.raises(ParameterError, match=r"connectome file '.*w\.npy' has no auditory entry region: its 5 rows "
                                             r"have no labels; .*--entry-regions auditory="):
        require_entry_regions(plain)
    # Named through connectome_harmonics (a path: rows of the file) ...
    named = connectome_harmonics(path, entry_regions={"auditory": [0, 1], "premotor": [4]}, cache=False)
    assert named.entry_regions.auditory == ("region_0", "region_1")
    # ... or on a loaded connectome; the modes do not depend on them.
    other = connectome_harmonics(load_connectome(path), entry_regions="auditory=3", cache=False)
    np.testing.assert_array_equal(named.vectors, other.vectors)
    a, b = entry_coupling(named, n_bands=2), entry_coupling(other, n_bands=2)
    assert a.motor_regions == ("region_4",) and b.auditory_regions == ("region_3",)
    assert not np.allclose(np.abs(a.auditory), np.abs(b.auditory))


# --------------------------------------------------------------------------- #
# Hostile .npy files and extreme weights (issue 15)
# --------------------------------------------------------------------------- #


def test_npy_with_a_huge_declared_shape_is_refused_from_its_header(tmp_path):
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (200_000, 200_000)})
    path = tmp_path / "huge.npy"
    path.write_bytes(header.getvalue() + bytes(64))
    with pytest.raises(DataFileError, match=r"huge\.npy.*declares shape \(200000, 200000\) of float64 "
                                            r"\(320000000000 bytes\) but only 64 bytes"):
        load_connectome(path)


def test_npy_with_a_long_header_is_not_called_pickled(tmp_path):
    text = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"
    text = text + " " * (20_000 - len(text) - 1) + "\n"
    path = tmp_path / "long.npy"
    path.write_bytes(b"\x93NUMPY\x02\x00" + len(text).to_bytes(4, "little") + text.encode() + np.ones((2, 2)).tobytes())
    with pytest.raises(DataFileError, match=r"long\.npy' has a \.npy header of 20000 bytes; at most 10000") as info:
        load_connectome(path)
    assert "pickled" not in str(info.value)


def test_fortran_order_npy_reads_like_c_order(tmp_path, rng):
    w = rng.random((4, 4))
    np.save(tmp_path / "c.npy", w)
    np.save(tmp_path / "f.npy", np.asfortranarray(w))
    np.testing.assert_array_equal(load_connectome(tmp_path / "c.npy").weights, load_connectome(tmp_path / "f.npy").weights)


def test_weights_near_the_float_maximum_are_refused_without_a_numpy_warning(tmp_path, rng):
    import warnings

    w = rng.random((4, 4))
    path = tmp_path / "big.npy"
    np.save(path, w / w.max() * 1.7e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ParameterError, match=r"big\.npy.*weights hold 1\.7e\+308 .*at most 1e\+100"):
            load_connectome(path)
    # The same matrix at a sane scale gives the same graph as any other scale.
    from resonance.harmonics import connectome_harmonics

    small = connectome_harmonics(connectome_from_arrays(w), cache=False)
    large = connectome_harmonics(connectome_from_arrays(w * 1e99), cache=False)
    np.testing.assert_allclose(small.eigenvalues, large.eigenvalues, atol=1e-9)


def _seed_files() -> dict:
    import io

    rng = np.random.default_rng(5)
    w = rng.random((5, 5))
    w = w + w.T
    labels = ["rA1", "lA1", "rB", "lB", "rC"]
    npy = io.BytesIO()
    np.save(npy, w)
    text = "\n".join(" ".join(f"{v:.3f}" for v in row) for row in w)
    csv = "," + ",".join(labels) + "\n" + "\n".join(
        f"{lab}," + ",".join(f"{v:.3f}" for v in row) for lab, row in zip(labels, w)
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("weights.txt", text)
        z.writestr("tract_lengths.txt", text)
        z.writestr("centres.txt", "\n".join(f"{lab} 0 {k} 0" for k, lab in enumerate(labels)))
    return {".npy": npy.getvalue(), ".csv": csv.encode(), ".txt": text.encode(), ".zip": archive.getvalue()}


def test_mutated_connectome_files_give_a_connectome_or_one_clear_error(tmp_path):
    """Seeded fuzz (issue 15): byte-level mutations of every format; no traceback, no numpy warning."""
    import warnings

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from resonance.connectome.coupling import require_entry_regions
    from resonance.errors import ResonanceError
    from resonance.harmonics import connectome_harmonics

    seeds = _seed_files()
    inserts = [b"nan", b"-1", b"1e308", b"1e999", b"\x00", b",", b"\n", b"x", b"\xff", b"5e-324", b"(", b"'shape': (99999999, 9)"]
    edit = st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 255), st.sampled_from(inserts))

    @settings(max_examples=120, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(sorted(seeds)), st.lists(edit, min_size=1, max_size=5),
           st.sampled_from([None, "auditory=0,1", "premotor=rB", "auditory=9"]))
    def check(suffix, edits, entry):
        data = bytearray(seeds[suffix])
        for op, position, byte, insert in edits:
            i = position % (len(data) + 1)
            if op == 0 and data:
                data[min(i, len(data) - 1)] = byte
            elif op == 1:
                data[i:i] = insert
            elif op == 2:
                del data[i : i + byte % 40 + 1]
            else:
                data = data[:i]
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(bytes(data))
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", ConnectomeWarning)
            try:
                h = connectome_harmonics(load_connectome(path, entry_regions=entry), cache=False)
            except ResonanceError as exc:
                assert "\n" not in str(exc) and "fuzz" in str(exc)  # one line, naming the file
                return
        assert np.all(np.isfinite(h.vectors)) and np.all(np.isfinite(h.eigenvalues))
        try:
            require_entry_regions(h)
        except ResonanceError as exc:
            assert "fuzz" in str(exc) and "\n" not in str(exc)

    check()
