"""Library scoring and distributed optimization on a real Dask ``LocalCluster``.

``resonance.score_files`` and ``stimgen score --workers/--scheduler/--out``:
the cluster gives the same rows as the serial loop, a killed worker loses no
result, Ctrl-C (SIGINT to a real subprocess) leaves a readable table with
every finished file, a rerun skips what is done.  ``stimgen optimize`` on the
cluster equals the serial search.  The cluster has 2 worker processes with
one thread each; the audio files are a few seconds long.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from typer.testing import CliRunner

import stimgen.commands  # noqa: F401  (registers the commands)
from resonance.io.library import content_hash, read_table, score_files
from stimgen.cli import app
from stimgen.commands.score import expand_inputs

distributed = pytest.importorskip("distributed")

SR = 22050
# Columns that differ between two copies of the same run by design.
VOLATILE = ("mtime_s",)


def clicks(duration_s, *, bpm, sr=SR, seed=0):
    """A 2 kHz click on every beat over a faint noise floor (seeded)."""
    rng = np.random.default_rng(seed)
    y = 0.003 * rng.standard_normal(int(duration_s * sr))
    n = int(0.03 * sr)
    t = np.arange(n) / sr
    click = 0.5 * np.sin(2 * np.pi * 2000 * t) * np.exp(-t / 0.004)
    for start in np.arange(0, duration_s - 0.03, 60.0 / bpm):
        i = int(start * sr)
        y[i : i + n] += click
    return y


def make_library(folder: Path, *, n_good: int, duration_s: float = 4.0) -> tuple[list[Path], list[Path]]:
    """``n_good`` click tracks at different tempos and three bad files, in nested folders."""
    good = []
    for i in range(n_good):
        path = folder / ("a" if i % 2 else "b") / f"track{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), clicks(duration_s, bpm=80 + 9 * i, seed=i), SR, subtype="PCM_16")
        good.append(path)
    bad = [folder / "junk.wav", folder / "a" / "empty.flac", folder / "b" / "truncated.wav"]
    bad[0].write_bytes(b"this is not a RIFF file" * 50)
    bad[1].write_bytes(b"")
    sf.write(str(bad[2]), clicks(3.0, bpm=100), SR)
    bad[2].write_bytes(bad[2].read_bytes()[:5000])
    return good, bad


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    table = table.drop(columns=[c for c in VOLATILE if c in table]).sort_values("file").reset_index(drop=True)
    return table.fillna(np.nan).infer_objects()  # a metric missing from every row: None in CSV, NaN in Parquet


@pytest.fixture(scope="module")
def cluster(stimgen_cache_dir):
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("library")
    good, bad = make_library(folder, n_good=5)
    return folder, good, bad


@pytest.fixture(scope="module")
def serial_table(library, default_harmonics, tmp_path_factory):
    folder, good, bad = library
    out = tmp_path_factory.mktemp("serial") / "serial.parquet"
    return score_files(sorted(good + bad), harmonics=default_harmonics, out=out)


def run_cli(*args):
    return CliRunner().invoke(app, [*map(str, args)])


# -- same rows, serial or distributed ---------------------------------------------------------


def test_serial_rows_have_file_facts_metrics_and_errors(serial_table, library, default_harmonics):
    folder, good, bad = library
    table = serial_table.set_index("file")
    assert len(table) == len(good) + len(bad)
    for path in good:
        row = table.loc[str(path)]
        assert pd.isna(row["error"]) and np.isfinite(row["score"])
        assert row["size_bytes"] == path.stat().st_size and row["content_hash"] == content_hash(path)
        assert abs(row["duration_s"] - 4.0) < 0.01
    for path in bad:
        row = table.loc[str(path)]
        assert path.name in row["error"] and pd.isna(row["score"])
    # Every metric of the result is a column, and the model is named.
    assert {"metrics.consonance", "metrics.tempo_bpm", "arc.peak"} <= set(table.columns)
    assert set(table["connectome"]) == {default_harmonics.connectome_name}
    from resonance.io.library import harmonics_identity

    assert set(table["harmonics_key"]) == {harmonics_identity(default_harmonics)}
    assert harmonics_identity(default_harmonics).startswith(default_harmonics.cache_key)
    # Different tempos give different scores (nothing is copied between rows).
    assert table.loc[[str(p) for p in good], "score"].nunique() == len(good)


def test_cli_workers_2_gives_the_same_rows_as_serial(serial_table, library, tmp_path):
    folder, good, bad = library
    out = tmp_path / "cluster.parquet"
    result = run_cli("score", "--json", "--workers", 2, "--out", out, folder)
    assert result.exit_code == 2, result.output  # some files failed
    assert "scoring on a Dask cluster (2 local workers)" in result.stderr
    assert f"wrote {out} ({len(good) + len(bad)} files, {len(bad)} failed)" in result.stderr
    assert sum(line.startswith("stimgen: error: ") for line in result.stderr.splitlines()) == len(bad)
    assert len(result.stdout.splitlines()) == len(good)
    table = pd.read_parquet(out)
    assert list(table["file"]) == [str(p) for p in expand_inputs([folder])]  # input order, not finishing order
    assert table["reading"].notna().sum() == len(good)  # the CLI adds the one-line reading
    pd.testing.assert_frame_equal(comparable(table.drop(columns="reading")), comparable(serial_table),
                                  check_like=True)


# -- resuming, failures ------------------------------------------------------------------------


def test_rerun_skips_what_is_done_and_redoes_changed_files(library, default_harmonics, tmp_path):
    folder, good, bad = library
    files = sorted(good[:3] + bad[:1])
    out = tmp_path / "r.jsonl"
    plans = []
    score_files(files, harmonics=default_harmonics, out=out, on_plan=lambda n, s: plans.append((n, s)))
    # Same files: only the failed one is tried again.
    score_files(files, harmonics=default_harmonics, out=out, on_plan=lambda n, s: plans.append((n, s)))
    # A changed file (same name, new content) is scored again; the others are skipped.
    changed = tmp_path / "changed.wav"
    sf.write(str(changed), clicks(4.0, bpm=100), SR)
    score_files(files + [changed], harmonics=default_harmonics, out=out)
    sf.write(str(changed), clicks(4.0, bpm=150), SR)
    before = {r["file"]: r for r in read_table(out)}
    table = score_files(files + [changed], harmonics=default_harmonics, out=out,
                        on_plan=lambda n, s: plans.append((n, s)))
    assert plans == [(4, 0), (1, 3), (2, 3)]
    after = {r["file"]: r for r in read_table(out)}
    assert len(after) == 5 and list(table["file"]) == [str(f) for f in files + [changed]]
    assert after[str(changed)]["content_hash"] != before[str(changed)]["content_hash"]
    assert after[str(changed)]["score"] != before[str(changed)]["score"]


def test_api_on_a_cluster_loses_no_result_when_a_worker_is_killed(serial_table, library, client, default_harmonics,
                                                                   tmp_path):
    folder, good, bad = library
    out = tmp_path / "killed.csv"
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_after_first(row, timeline):
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    table = score_files(sorted(good + bad), harmonics=default_harmonics, client=client, out=out,
                        on_row=kill_after_first)
    assert killed
    # The run completes: every file has its row, equal to the serial one.
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_like=True)
    back = pd.DataFrame(read_table(out))
    pd.testing.assert_frame_equal(comparable(back), comparable(serial_table), check_like=True, check_dtype=False)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it
    assert pids[0] not in client.run(os.getpid).values()


def test_ctrl_c_leaves_every_finished_file_and_a_rerun_completes(library, tmp_path, default_harmonics):
    folder = tmp_path / "lib"
    good, _ = make_library(folder, n_good=10, duration_s=5.0)
    out = tmp_path / "r.parquet"
    cmd = [sys.executable, "-m", "stimgen", "score", "--json", "--workers", "2", "--out", str(out), str(folder)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.exists(), proc.communicate()[1]
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C on a terminal: the whole process group
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    rows = read_table(out)  # a valid, complete Parquet file
    n = len(rows)
    assert f"keeps the {n} file" in stderr
    assert 1 <= n < len(good) + 3
    printed = {json.loads(line)["file"] for line in stdout.splitlines()}
    ok = {r["file"] for r in rows if r["error"] is None}
    assert printed <= {r["file"] for r in rows}  # every file reported done is in the table
    for row in rows:
        if row["error"] is None:
            assert row["content_hash"] == content_hash(row["file"]) and np.isfinite(row["score"])
    assert not list(tmp_path.glob(".r.parquet*"))  # no temporary file left
    # The rerun scores only what is missing.
    result = run_cli("score", "--json", "--workers", 1, "--out", out, folder)
    if ok:
        assert f"skipped {len(ok)} file" in result.stderr
    else:  # only failed files had finished: all are tried again
        assert "skipped" not in result.stderr
    assert len(result.stdout.splitlines()) == len(good) - len(ok)
    final = read_table(out)
    assert sorted(r["file"] for r in final) == sorted(str(p) for p in folder.rglob("*") if p.is_file())
    assert {r["file"] for r in final if r["error"] is None} == {str(p) for p in good}


def test_timeline_files_hold_every_step_and_harmonic(library, default_harmonics, tmp_path):
    folder, good, bad = library
    timelines = tmp_path / "tl"
    timelines.mkdir()
    seen = {}
    table = score_files(good[:2] + bad[:1], harmonics=default_harmonics, timeline_dir=timelines,
                        return_timelines=True, on_row=lambda row, tl: seen.update({row["file"]: tl}))
    assert table["timeline"].isna().tolist() == [False, False, True]
    for name, path in zip(table["timeline"][:2], good[:2]):
        frame = pd.read_parquet(timelines / name)
        expected = seen[str(path)]
        np.testing.assert_allclose(frame["sne"], expected["sne"])
        modes = frame[[c for c in frame.columns if c.startswith("mode_")]].to_numpy().T
        assert modes.shape == (default_harmonics.n_modes, len(frame))
        np.testing.assert_allclose(modes, expected["mode_energy"])
    assert sorted(p.name for p in timelines.iterdir()) == sorted(table["timeline"][:2])


def test_bad_options_are_one_line(tmp_path, library, monkeypatch):
    import stimgen.cluster

    monkeypatch.setattr(stimgen.cluster, "CONNECT_TIMEOUT_S", 1.0)
    folder, good, _ = library
    result = run_cli("score", "--workers", 2, "--scheduler", "tcp://127.0.0.1:1", good[0])
    assert result.exit_code == 2 and "exclude each other" in result.stderr
    result = run_cli("score", "--scheduler", "tcp://127.0.0.1:1", good[0])
    assert result.exit_code == 2 and "--scheduler 'tcp://127.0.0.1:1' cannot be reached within 1 s" in result.stderr
    assert "Traceback" not in result.output
    not_a_table = tmp_path / "r.csv"
    not_a_table.write_text("name,value\nx,1\n")
    result = run_cli("score", "--out", not_a_table, good[0])
    assert result.exit_code == 2 and "not a results table" in result.stderr
    assert not_a_table.read_text() == "name,value\nx,1\n"  # never overwritten


# -- optimization on the cluster ------------------------------------------------------------------


def test_optimize_on_the_cluster_equals_serial_and_resumes(client, default_harmonics, tmp_path):
    # The differential-evolution search with --workers 2 against serial is in
    # tests/test_optimize.py; here the same holds for an existing client (random
    # search, to stay short), and its checkpoint resumes serially.
    from stimgen.optimize import SearchSpace, optimize

    space = SearchSpace.from_preset(None, duration_s=5.0)
    kwargs = dict(harmonics=default_harmonics, budget=5, seed=5, method="random")
    serial = optimize(space, workers=1, **kwargs)
    on_cluster = optimize(space, client=client, checkpoint=tmp_path / "c.jsonl", **kwargs)
    assert on_cluster.best_preset == serial.best_preset
    assert on_cluster.best_score == serial.best_score
    assert on_cluster.history == serial.history
    assert on_cluster.n_computed == serial.n_computed == 5
    resumed = optimize(space, workers=1, checkpoint=tmp_path / "c.jsonl", **kwargs)
    assert resumed.n_computed == 0 and resumed.best_preset == serial.best_preset
