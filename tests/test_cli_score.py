"""``stimgen score``: table, reading, JSON lines, CSV/JSONL, PNG and one-line errors.

Every test runs the real command (Typer's ``CliRunner`` on ``stimgen.cli.app``,
or ``python -m stimgen`` in a subprocess) on the files in ``samples/`` or on
real audio files written to ``tmp_path`` with soundfile.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from resonance.result import SCORE_UNITS
import soundfile as sf
from typer.testing import CliRunner

import stimgen
import stimgen.commands  # noqa: F401  (registers the commands)
from stimgen import report
from stimgen.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SR = 22050

REQUIRED_METRICS = (
    "consonance", "roughness", "harmonicity", "entrainment", "tempo_bpm", "surprise", "uncertainty",
    "absorbed_fraction", "semantic_fraction", "neutral_energy", "synchrony",
)
REQUIRED_ARC = ("peak", "time_above_threshold_s", "heating_rate", "cooling_smoothness")


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@pytest.fixture(autouse=True)
def _warm_cache(default_harmonics):
    """Compute the default harmonics once per worker (the CLI then reads the cache)."""


def run(runner, *args):
    return runner.invoke(app, ["score", *map(str, args)])


def clicks(duration_s=10.0, *, bpm=120.0, sr=SR):
    """A 2 kHz click (30 ms, 4 ms decay) on every beat, at -6 dBFS."""
    y = np.zeros(int(duration_s * sr))
    n = int(0.03 * sr)
    t = np.arange(n) / sr
    click = 0.5 * np.sin(2 * np.pi * 2000 * t) * np.exp(-t / 0.004)
    for start in np.arange(0, duration_s - 0.03, 60.0 / bpm):
        i = int(start * sr)
        y[i : i + n] += click
    return y


def write_wav(path, y, *, sr=SR, subtype="PCM_16"):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, sr, subtype=subtype)
    return path


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_one_line_error(result, name):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("stimgen: error: ") and name in lines[0]
    assert "Traceback" not in result.output


# -- output ------------------------------------------------------------------------


def test_human_output_shows_score_metrics_and_reading(runner):
    path = SAMPLES / "metronome_120bpm.flac"
    record = json_lines(run(runner, "--json", path).stdout)[0]
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert str(path) in out
    assert f"{record['score']:.3g}" in out
    for name in ("duration", "score", "consonance", "entrainment", "tempo", "surprise", "absorbed", "semantic",
                 "synchrony", "reading"):
        assert name in out
    assert record["reading"] in out
    assert result.stderr == ""


def test_json_lines_have_every_required_key(runner):
    files = [SAMPLES / "groove_120bpm.flac", SAMPLES / "drone_consonant.flac"]
    result = run(runner, "--json", *files)
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    assert [r["file"] for r in records] == [str(f) for f in files]
    for rec in records:
        for key in ("file", "duration_s", "score", "metrics", "arc", "harmonics", "score_units", "model_version",
                    "reading"):
            assert key in rec
        assert set(REQUIRED_METRICS) <= set(rec["metrics"])
        assert set(REQUIRED_ARC) <= set(rec["arc"])
        assert rec["harmonics"] in ("vertex", "region")
        assert rec["model_version"] == stimgen.__version__
        assert rec["score_units"] == SCORE_UNITS and "reference" in rec["score_units"]
        assert rec["duration_s"] == pytest.approx(20.0, abs=0.01)
        assert isinstance(rec["score"], float) and rec["score"] >= 0


def test_json_is_byte_identical_across_runs(tmp_path):
    """Two separate processes give the same bytes for the same files."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "stimgen", "score", "--json",
           str(SAMPLES / "metronome_120bpm.flac"), str(SAMPLES / "speech_espeak.flac")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err
    assert outs[0][0] == outs[1][0]
    assert len(json_lines(outs[0][0].decode())) == 2


def test_reading_follows_the_numbers_not_the_file_names(runner, tmp_path):
    # Speech under a rhythm's name, a metronome and noise under speech-like names.
    shutil.copy(SAMPLES / "speech_espeak.flac", tmp_path / "a_metronome_120bpm.flac")
    shutil.copy(SAMPLES / "metronome_120bpm.flac", tmp_path / "b_speech.flac")
    shutil.copy(SAMPLES / "white_noise.flac", tmp_path / "c_groove.flac")
    result = run(runner, "--json", tmp_path)
    assert result.exit_code == 0, result.output
    speech, metronome, noise = json_lines(result.stdout)
    assert speech["metrics"]["semantic_fraction"] >= report.SEMANTIC_FRACTION_MOSTLY
    assert speech["reading"].startswith("mostly semantic: speech detected")
    assert metronome["score"] >= report.SCORE_BUILDS
    assert metronome["metrics"]["entrainment"] >= report.ENTRAINMENT_COHERENT
    assert metronome["reading"].startswith("builds neutral energy: coherent rhythm (~120 BPM)")
    assert noise["score"] < report.SCORE_BUILDS
    assert noise["reading"].startswith("little resonance: incoherent (noise-like)")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"score": 0.01, "metrics": {"semantic_fraction": 0.9, "absorbed_fraction": 0.9}}, "mostly semantic"),
        ({"score": 0.01, "metrics": {"semantic_fraction": 0.1, "absorbed_fraction": 0.85}}, "mostly absorbed"),
        (
            {"score": 1.0, "metrics": {"entrainment": 2.0, "tempo_bpm": 119.6, "absorbed_fraction": 0.6}},
            "builds neutral energy: coherent rhythm (~120 BPM) that the sinks only partly predict (60 % absorbed)",
        ),
        (
            {"score": 1.0, "metrics": {"entrainment": 2.0, "tempo_bpm": 90.0, "absorbed_fraction": 0.1}},
            "builds neutral energy: coherent rhythm (~90 BPM) that the sinks barely predict (10 % absorbed)",
        ),
        ({"score": 1e-6, "metrics": {"entrainment": 0.01, "harmonicity": 0.2}}, "little resonance: incoherent"),
        ({"score": 1e-6, "metrics": {"harmonicity": 0.8, "consonance": 0.3}}, "little resonance: steady consonant"),
        ({"score": 1e-6, "metrics": {"harmonicity": 0.8, "consonance": -0.9}}, "little resonance: steady dissonant"),
        ({"score": None, "metrics": {"entrainment": None}}, "little resonance"),
    ],
)
def test_reading_thresholds(record, expected):
    assert report.reading(record).startswith(expected)


# -- inputs ------------------------------------------------------------------------


def test_folders_are_searched_recursively_for_audio_only(runner, tmp_path):
    root = tmp_path / "set"
    write_wav(root / "b" / "deep" / "two.wav", clicks(10.0))
    write_wav(root / "a" / "ONE.WAV", clicks(10.0, bpm=100.0))
    (root / "a" / "notes.txt").write_text("not audio")
    (root / "b" / "cover.xyz").write_bytes(b"\x00\x01")
    result = run(runner, "--json", root)
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    assert [Path(r["file"]).relative_to(root).as_posix() for r in records] == ["a/ONE.WAV", "b/deep/two.wav"]
    assert "stimgen: error" not in result.stderr


def test_one_bad_file_among_good_ones(runner, tmp_path):
    good1 = write_wav(tmp_path / "good1.wav", clicks(10.0))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not a RIFF file" * 100)
    good2 = write_wav(tmp_path / "good2.wav", clicks(10.0, bpm=90.0))
    out = tmp_path / "all.jsonl"
    result = run(runner, "--json", "--out", out, good1, bad, good2)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("stimgen: error: ")]
    assert len(errors) == 1 and "bad.wav" in errors[0]
    assert result.stderr.splitlines() == [errors[0], f"wrote {out} (3 files, 1 failed)"]
    assert "Traceback" not in result.output
    records = json_lines(result.stdout)
    assert [r["file"] for r in records] == [str(good1), str(good2)]
    # --out holds one row per file; the bad one with its error and no score.
    rows = {r["file"]: r for r in json_lines(out.read_text())}
    assert set(rows) == {str(good1), str(bad), str(good2)}
    assert rows[str(bad)]["error"] == errors[0].removeprefix("stimgen: error: ")
    assert rows[str(bad)].get("score") is None
    assert rows[str(good1)]["error"] is None and rows[str(good1)]["score"] == records[0]["score"]


def _empty(path):
    path.write_bytes(b"")


def _not_audio(path):
    path.write_bytes(b"PK\x03\x04 this is a zip, not a wave " * 64)


def _truncated(path):
    write_wav(path, clicks(5.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _zero_length(path):
    write_wav(path, np.zeros(0))


def _silence(path):
    write_wav(path, np.zeros(3 * SR))


def _nan(path):
    y = clicks(5.0).astype(np.float32)
    y[SR] = np.nan
    write_wav(path, y, subtype="FLOAT")


def _too_short(path):
    write_wav(path, clicks(0.05))


def _unsupported(path):
    path.write_bytes(b"\x00" * 64)


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("empty.wav", _empty, "empty"),
        ("noise_bytes.wav", _not_audio, "audio"),
        ("truncated.wav", _truncated, "truncated"),
        ("zero.wav", _zero_length, "zero frames"),
        ("silence.wav", _silence, "silent"),
        ("nan.wav", _nan, "NaN"),
        ("short.wav", _too_short, "at least"),
        ("data.xyz", _unsupported, ".xyz"),
        ("missing.wav", None, "no such file"),
    ],
)
def test_bad_inputs_give_one_line_naming_the_file(runner, tmp_path, name, make, words):
    path = tmp_path / name
    if make is not None:
        make(path)
    result = run(runner, path)
    assert_one_line_error(result, name)
    assert words in result.stderr
    assert result.stdout == ""


def test_folder_without_audio_is_an_error(runner, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "readme.txt").write_text("no audio here")
    result = run(runner, folder)
    assert_one_line_error(result, "docs")
    assert "no audio files" in result.stderr


def test_bad_connectome_is_one_line(runner, tmp_path):
    result = run(runner, "--connectome", tmp_path / "nope.zip", SAMPLES / "metronome_120bpm.flac")
    assert_one_line_error(result, "nope.zip")
    assert result.stdout == ""


# -- custom connectomes and entry regions ---------------------------------------------

SMALL_LABELS = ("rA1", "lA1", "rPMCM", "lPMCM", "rV1", "lV1")


@pytest.fixture(scope="module")
def small_connectomes(tmp_path_factory):
    """A 6-region connectome as labelled CSV, plain CSV, TXT and NPY, and a 4 s click track."""
    folder = tmp_path_factory.mktemp("connectomes")
    rng = np.random.default_rng(1)
    w = rng.random((6, 6))
    w = np.round(w + w.T, 4)
    rows = [",".join(SMALL_LABELS)] + [f"{lab}," + ",".join(f"{v:g}" for v in row) for lab, row in zip(SMALL_LABELS, w)]
    (folder / "labelled.csv").write_text("," + "\n".join(rows) + "\n")
    np.savetxt(folder / "plain.csv", w, delimiter=",")
    np.savetxt(folder / "plain.txt", w)
    np.save(folder / "plain.npy", w)
    audio = write_wav(folder / "tone.wav", clicks(4.0))
    return folder, audio


def _score_json(runner, *args):
    result = run(runner, "--json", *args)
    assert result.exit_code == 0, result.output
    return json_lines(result.stdout)[0]["score"]


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("labelled.csv", []),  # regression: IndexError in resonance/coupling.py
        ("plain.csv", ["--entry-regions", "0,1"]),
        ("plain.txt", ["--entry-regions", "auditory=0,1;premotor=2,3"]),
        ("plain.npy", ["--entry-regions", "auditory=0,1", "--entry-regions", "premotor=2,3"]),
    ],
)
def test_matrix_connectomes_score_end_to_end(runner, small_connectomes, name, entry):
    folder, audio = small_connectomes
    score = _score_json(runner, "--connectome", folder / name, *entry, audio)
    assert np.isfinite(score) and score >= 0


def test_entry_regions_change_where_sound_enters(runner, small_connectomes):
    folder, audio = small_connectomes

    def record(*args):
        result = run(runner, "--json", *args, audio)
        assert result.exit_code == 0, result.output
        rec = json_lines(result.stdout)[0]
        values = {"score": rec["score"], **rec["metrics"]}
        return {k: v for k, v in values.items() if isinstance(v, (int, float))}

    by_label = record("--connectome", folder / "labelled.csv")
    same_rows = record("--connectome", folder / "plain.npy", "--entry-regions", "auditory=0,1;premotor=2,3")
    elsewhere = record("--connectome", folder / "labelled.csv", "--entry-regions", "auditory=V1")
    assert same_rows == pytest.approx(by_label, rel=1e-9, abs=1e-12)
    assert elsewhere != pytest.approx(by_label, rel=1e-6, abs=1e-12)


def test_unlabelled_connectome_error_names_the_connectome_not_the_audio(runner, small_connectomes):
    folder, audio = small_connectomes
    result = run(runner, "--connectome", folder / "plain.csv", audio)
    assert_one_line_error(result, "plain.csv")
    assert "tone.wav" not in result.stderr
    assert "no auditory entry region" in result.stderr and "--entry-regions auditory=" in result.stderr


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("auditory=6", "not a row of its 6 x 6 matrix; allowed row indices are 0 to 5"),
        ("auditory=A9", "matches no region label"),
        ("beat=rA1", "the kind 'beat' is unknown"),
    ],
)
def test_bad_entry_regions_are_one_line(runner, small_connectomes, entry, words):
    folder, audio = small_connectomes
    result = run(runner, "--connectome", folder / "labelled.csv", "--entry-regions", entry, audio)
    assert_one_line_error(result, "entry region")
    assert words in result.stderr and "tone.wav" not in result.stderr


def test_tvb_66_scores_with_its_abbreviated_labels(runner, small_connectomes):
    _, audio = small_connectomes
    assert _score_json(runner, "--connectome", "tvb:66", audio) >= 0


def test_npy_with_a_huge_declared_shape_is_one_line(runner, tmp_path, small_connectomes):
    import io

    _, audio = small_connectomes
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (200_000, 200_000)})
    path = tmp_path / "huge.npy"
    path.write_bytes(header.getvalue() + bytes(64))
    result = run(runner, "--connectome", path, audio)
    assert_one_line_error(result, "huge.npy")
    assert "declares shape (200000, 200000)" in result.stderr


@pytest.mark.parametrize(
    ("option", "name", "words"),
    [("--out", "results.txt", ".csv or .jsonl"), ("--plot", "fig.jpg", ".png"), ("--out", "no/such/r.csv", "folder")],
)
def test_bad_output_names_fail_before_scoring(runner, tmp_path, option, name, words):
    result = run(runner, option, tmp_path / name, SAMPLES / "metronome_120bpm.flac")
    assert_one_line_error(result, name.split("/")[-1])
    assert words in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / name).exists()


def test_interrupt_exits_130_and_out_keeps_the_finished_files(runner, tmp_path, monkeypatch):
    import resonance.io.scoring

    real = resonance.io.scoring.score_file
    calls = []

    def interrupted_on_second_file(path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(path, **kwargs)

    monkeypatch.setattr(resonance.io.scoring, "score_file", interrupted_on_second_file)
    a = write_wav(tmp_path / "a.wav", clicks(5.0))
    b = write_wav(tmp_path / "b.wav", clicks(5.0))
    out = tmp_path / "r.csv"
    result = run(runner, "--out", out, a, b)
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and "Traceback" not in result.output
    assert "keeps the 1 file finished so far" in result.stderr
    # The file finished before Ctrl-C is in --out (complete, no temporary file left).
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["file"] for r in rows] == [str(a)] and rows[0]["error"] == "" and rows[0]["score"] != ""
    assert abs(float(rows[0]["duration_s"]) - 5.0) < 0.01
    assert list(tmp_path.glob(".r.csv*")) == []


# -- files written -----------------------------------------------------------------


def _check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 10_000


def test_plot_one_file(runner, tmp_path):
    target = tmp_path / "score.png"
    result = run(runner, "--plot", target, SAMPLES / "groove_120bpm.flac")
    assert result.exit_code == 0, result.output
    _check_png(target)
    assert f"wrote {target}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["score.png"]  # no temporary file left


def test_plot_several_files_inserts_the_stem(runner, tmp_path):
    a = write_wav(tmp_path / "in" / "x" / "take.wav", clicks(10.0))
    b = write_wav(tmp_path / "in" / "y" / "take.wav", clicks(10.0, bpm=90.0))
    c = write_wav(tmp_path / "in" / "other.wav", clicks(10.0, bpm=140.0))
    result = run(runner, "--json", "--plot", tmp_path / "p.png", a, b, c)
    assert result.exit_code == 0, result.output
    assert len(json_lines(result.stdout)) == 3  # "wrote" lines go to stderr with --json
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["p-other.png", "p-take-2.png", "p-take.png"]
    for name in names:
        _check_png(tmp_path / name)


def test_out_csv_has_flattened_columns(runner, tmp_path):
    files = [SAMPLES / "metronome_120bpm.flac", SAMPLES / "white_noise.flac"]
    records = json_lines(run(runner, "--json", *files).stdout)
    out = tmp_path / "results.csv"
    result = run(runner, "--out", out, *files)
    assert result.exit_code == 0, result.output
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2
    columns = rows[0].keys()
    assert {"file", "duration_s", "score", "harmonics", "score_units", "model_version"} <= set(columns)
    assert {f"metrics.{k}" for k in REQUIRED_METRICS} <= set(columns)
    assert {f"arc.{k}" for k in REQUIRED_ARC} <= set(columns)
    for row, rec in zip(rows, records):
        assert row["file"] == rec["file"]
        assert float(row["score"]) == rec["score"]
        tempo = row["metrics.tempo_bpm"]
        assert (float(tempo) if tempo else None) == rec["metrics"]["tempo_bpm"]
        assert float(row["arc.peak"]) == rec["arc"]["peak"]
        assert row["reading"] == rec["reading"]
    # The metronome has a pulse; white noise has none (an empty cell, not a made-up tempo).
    assert rows[0]["metrics.tempo_bpm"] and not rows[1]["metrics.tempo_bpm"]
    assert f"wrote {out}" in result.stdout


def test_out_jsonl_rows_match_json_output(runner, tmp_path):
    files = [SAMPLES / "drone_consonant.flac", SAMPLES / "cluster_dissonant.flac"]
    out = tmp_path / "results.jsonl"
    result = run(runner, "--json", "--out", out, *files)
    assert result.exit_code == 0, result.output
    rows, records = json_lines(out.read_text()), json_lines(result.stdout)
    assert [r["file"] for r in rows] == [r["file"] for r in records] == [str(f) for f in files]
    for row, rec in zip(rows, records):
        # One flat row per file: the same numbers as --json, plus the file facts and the model.
        assert row["score"] == rec["score"] and row["reading"] == rec["reading"]
        assert {k: row[f"metrics.{k}"] for k in rec["metrics"]} == rec["metrics"]
        assert {k: row[f"arc.{k}"] for k in rec["arc"]} == rec["arc"]
        assert row["size_bytes"] == Path(row["file"]).stat().st_size
        assert row["content_hash"].startswith("blake2b-128:") and row["error"] is None
        assert row["model_version"] == rec["model_version"] and row["connectome"]
