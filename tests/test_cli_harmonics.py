"""``stimgen harmonics``: table, JSON, PNG and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import stimgen.commands  # noqa: F401  (registers the commands)
from stimgen.cli import app

__all__ = []

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(app, ["harmonics", *args])


def test_table_of_the_default(runner, default_harmonics):
    result = run(runner, "--rows", "5")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "tvb-data connectivity_76" in out and "vertex" in out
    assert "frequency (Hz)" in out and "damping" in out
    # Mode 2 row: its frequency and its dominant axis (y, left-right).
    assert f"{default_harmonics.frequencies_hz[1]:.2f}" in out
    assert "y (" in out
    assert "195 more modes" in out


def test_json_document(runner, default_harmonics):
    result = run(runner, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["connectome"]["level"] == "vertex"
    assert doc["connectome"]["dropped_regions"] == ["rCC", "lCC"]
    assert "rA1" in doc["connectome"]["region_labels"]
    modes = doc["modes"]
    assert len(modes) == 200 and modes[0]["index"] == 1
    np.testing.assert_allclose([m["frequency_hz"] for m in modes], default_harmonics.frequencies_hz)
    np.testing.assert_allclose([m["damping_ratio"] for m in modes], default_harmonics.damping_ratio)
    assert modes[1]["dominant_axis"] == "y"
    assert doc["parameters"]["gamma_per_s"] == 116.0 and doc["parameters"]["r_mm"] == 28.9
    assert doc["regional"]["available"] is True
    assert doc["regional"]["n_modes_per_region"]["rA1"] == 8


def test_png_plot(runner, tmp_path, default_harmonics):
    out = tmp_path / "modes.png"
    result = run(runner, "--rows", "1", "--plot", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 800 and height > 1000
    assert not [p for p in tmp_path.iterdir() if p.name != "modes.png"]  # no temp file left


def test_region_level_csv(runner, tmp_path, default_connectome):
    path = tmp_path / "w.csv"
    labels = [f"n{k}" for k in range(default_connectome.n_regions)]
    rows = [",".join(labels)] + [",".join(f"{x:g}" for x in row) for row in default_connectome.weights]
    path.write_text("\n".join(rows) + "\n")
    png = tmp_path / "regions.png"
    result = run(runner, "--connectome", str(path), "--json", "--plot", str(png))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["connectome"]["level"] == "region" and len(doc["modes"]) == 74
    assert doc["regional"]["available"] is False
    assert png.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    ("name", "n_regions", "auditory"),
    [
        ("tvb:66", 66, ["rST", "rTT", "lST", "lTT"]),
        ("tvb:68", 68, ["r_superiortemporal", "r_transversetemporal", "l_superiortemporal", "l_transversetemporal"]),
        ("tvb:96", 96, ["RM-A2_R", "RM-A1_R", "RM-A2_L", "RM-A1_L"]),
    ],
)
def test_tvb_data_connectomes_by_name(runner, name, n_regions, auditory):
    result = run(runner, "--connectome", name, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)["connectome"]
    assert doc["name"] == f"tvb-data connectivity_{name[4:]}" and doc["n_regions"] == n_regions
    assert doc["level"] == "region"
    assert doc["entry_regions"]["auditory"] == auditory and doc["entry_regions"]["named_by_user"] == []
    assert doc["entry_regions"]["premotor"]


def test_table_shows_the_entry_regions(runner, default_harmonics):
    result = run(runner, "--rows", "1", "--entry-regions", "premotor=PMCVL")
    assert result.exit_code == 0, result.output
    assert "auditory rA1, rA2, lA1, lA2; premotor rPMCVL, lPMCVL" in result.stdout


@pytest.mark.parametrize("suffix", [".csv", ".txt", ".npy"])
def test_unlabelled_matrix_with_entry_rows(runner, tmp_path, suffix):
    w = np.array([[0, 1, 2, 0], [1, 0, 1, 1], [2, 1, 0, 3], [0, 1, 3, 0]], dtype=float)
    path = tmp_path / f"w{suffix}"
    if suffix == ".npy":
        np.save(path, w)
    else:
        np.savetxt(path, w, delimiter="," if suffix == ".csv" else " ")
    result = run(runner, "--connectome", str(path), "--json", "--entry-regions", "auditory=0,1;premotor=3")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["connectome"]["entry_regions"]
    assert entry == {"auditory": ["region_0", "region_1"], "premotor": ["region_3"],
                     "named_by_user": ["auditory", "premotor"]}
    # Without names the harmonics still work: nothing is scored here.
    plain = run(runner, "--connectome", str(path), "--rows", "1")
    assert plain.exit_code == 0 and "auditory none (cannot be scored)" in plain.stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("--n-modes", "0"), "n_modes=0"),
        (("--level", "mesh"), "level='mesh'"),
        (("--plot", "out.jpg"), "must end in .png or .svg or .pdf"),
        (("--plot", "/nonexistent-folder/x.png"), "does not exist"),
        (("--rows", "-1"), "--rows=-1"),
        (("--connectome", "/nonexistent/w.csv"), "does not exist"),
        (("--connectome", "tvb:77"), "'tvb:77' is not a tvb-data connectome; allowed names: tvb:66, tvb:68"),
        (("--entry-regions", "auditory=A7"), "entry region auditory='A7' matches no region label"),
    ],
)
def test_user_errors_are_one_line(runner, args, match):
    result = run(runner, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("stimgen: error: ")
    assert match in result.stderr
    assert "Traceback" not in result.output and result.stderr.count("\n") == 1


def test_bad_matrix_names_the_file(runner, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("0,1,2\n1,0,3\n2,3\n")
    result = run(runner, "--connectome", str(path))
    assert result.exit_code == 2
    assert "broken.csv" in result.stderr and "line 3" in result.stderr


def test_dropped_regions_are_reported_as_warnings(runner, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("a,b,c\n0,1,0\n1,0,0\n0,0,0\n")
    result = run(runner, "--connectome", str(path), "--json")
    assert result.exit_code == 0
    assert "stimgen: warning:" in result.stderr and "dropped 1 region" in result.stderr
    assert json.loads(result.stdout)["connectome"]["dropped_regions"] == ["c"]


def test_console_script_entry_point(default_harmonics):
    """The real entry point, as a user runs it (reads the session cache)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, "-m", "stimgen", "harmonics", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["from_cache"] is True
