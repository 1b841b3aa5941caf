"""``stimgen optimize`` on a user's connectome: --connectome formats and --entry-regions.

Real command (Typer's ``CliRunner``), real renders, a 6-region weight matrix
written here, the smallest budget and duration the optimizer allows.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import stimgen.commands  # noqa: F401  (registers the commands)
from stimgen.cli import app

__all__ = []


def _run(*args):
    return CliRunner().invoke(app, ["optimize", *map(str, args)])


@pytest.fixture(scope="module")
def plain_csv(tmp_path_factory):
    rng = np.random.default_rng(2)
    w = rng.random((6, 6))
    path = tmp_path_factory.mktemp("optimize-connectome") / "plain.csv"
    np.savetxt(path, w + w.T, delimiter=",")
    return path


def test_unlabelled_matrix_with_entry_rows_in_worker_processes(tmp_path, plain_csv):
    out = tmp_path / "BEST.toml"
    result = _run("--connectome", plain_csv, "--entry-regions", "auditory=0,1;premotor=2,3", "--budget", 5,
                  "--duration", 5, "--workers", 2, "-o", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.with_suffix(".optimize.json").read_text())
    assert report["connectome"] == f"connectome file '{plain_csv}'"
    assert report["entry_regions"]["auditory"] == ["region_0", "region_1"]
    assert report["entry_regions"]["premotor"] == ["region_2", "region_3"]
    # A resumed run must not mix scores of other entry regions: they are part of the run's settings.
    assert report["settings"]["entry_regions"]["named_by_user"] == ["auditory", "premotor"]
    assert len(report["history"]) == 5 and all(np.isfinite(report["history"]))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "plain.csv' has no auditory entry region: its 6 rows have no labels"),
        (("--entry-regions", "auditory=6"), "plain.csv': entry region auditory=6 is not a row of its 6 x 6 matrix"),
    ],
)
def test_connectome_errors_are_one_line_and_write_nothing(tmp_path, plain_csv, args, words):
    out = tmp_path / "BEST.toml"
    result = _run("--connectome", plain_csv, *args, "--budget", 5, "--duration", 5, "--workers", 1, "-o", out)
    assert result.exit_code == 2, result.output
    assert result.output.count("stimgen: error:") == 1 and words in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_tvb_name_is_checked_up_front(tmp_path):
    result = _run("--connectome", "tvb:1", "-o", tmp_path / "BEST.toml")
    assert result.exit_code == 2
    assert "'tvb:1' is not a tvb-data connectome; allowed names: tvb:66, tvb:68, tvb:76, tvb:96" in result.output


def test_labelled_csv_optimizes(tmp_path):
    """Regression (issue 15): a labelled CSV crashed optimize with IndexError in resonance/coupling.py."""
    labels = ["rA1", "lA1", "rPMCM", "lPMCM", "rV1", "lV1"]
    rng = np.random.default_rng(3)
    w = rng.random((6, 6))
    w = w + w.T
    path = tmp_path / "labelled.csv"
    path.write_text(",".join(labels) + "\n" + "\n".join(",".join(f"{v:.4f}" for v in row) for row in w) + "\n")
    out = tmp_path / "BEST.toml"
    result = _run("--connectome", path, "--budget", 5, "--duration", 5, "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.with_suffix(".optimize.json").read_text())
    assert report["entry_regions"] == {"auditory": ["rA1", "lA1"], "premotor": ["rPMCM", "lPMCM"], "named_by_user": []}
    assert "entry_regions" not in report["settings"]  # found by label: old checkpoints stay valid
