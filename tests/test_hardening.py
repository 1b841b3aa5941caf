"""Regression tests of issue 15 ("no lost files, no tracebacks, a tool that explains itself").

Each test holds the finding's minimal input: an output that is also an input, a damaged
checkpoint, an over-long file name, a 1 Hz WAV/AIFF, malformed option values, extreme float
samples, a damaged MP3, a tiny arc phase, and the first-hour items (version, help, presets,
schema, units, plots, licence, structure).  Commands run for real (Typer's ``CliRunner`` or a
subprocess of the console script) on files the tests write.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import random
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

import stimgen.commands  # noqa: F401  (registers the commands)
from resonance.errors import ParameterError as ModelParameterError
from resonance.errors import ResonanceError
from stimgen.cli import app
from stimgen.errors import ParameterError, StimgenError

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
LONG = "a" * 300  # a file name of 300 bytes; file systems allow 255


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _one_error_line(result, *needles):
    """The run failed with exit 2 and exactly one line ``stimgen: error: ...`` holding ``needles``."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("stimgen: error: "), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _tone(path, *, sr=22050, seconds=1.0, amplitude=0.3, **kwargs):
    t = np.arange(int(sr * seconds)) / sr
    sf.write(path, amplitude * np.sin(2 * np.pi * 440 * t), sr, **kwargs)
    return path


def _listing(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ----------------------------------------------------------------------------- data loss


def test_generate_refuses_output_that_is_the_mix_input(tmp_path):
    mix = _tone(tmp_path / "mix.wav")
    before = _listing(tmp_path)
    result = _run("generate", "groove", "-o", mix, "--mix", mix, "--duration", 5)
    _one_error_line(result, "-o", "--mix", "choose another output name")
    # The same file named another way is still the same file.
    result = _run("generate", "groove", "-o", tmp_path / "." / "mix.wav", "--mix", mix, "--duration", 5)
    _one_error_line(result, "--mix")
    assert _listing(tmp_path) == before


def test_play_refuses_to_record_over_the_file_it_plays(tmp_path):
    source = _tone(tmp_path / "s.wav", sr=44100)
    before = _listing(tmp_path)
    result = _run("play", source, "--offline", "--record", source)
    _one_error_line(result, "--record", "choose another output name")
    assert _listing(tmp_path) == before


def test_optimize_refuses_output_that_is_its_base_preset(tmp_path):
    base = tmp_path / "mine.toml"
    base.write_text((ROOT / "presets" / "groove.toml").read_text())
    before = _listing(tmp_path)
    _one_error_line(_run("optimize", "--preset", base, "-o", base, "--budget", 5), "--preset")
    assert _listing(tmp_path) == before


def _interrupted_checkpoint(tmp_path, default_harmonics, n_evaluations):
    """A real checkpoint of ``optimize -o BEST.toml --duration 5 --budget 5 --workers 1`` cut after n."""
    from stimgen.optimize import SearchSpace, optimize

    path = tmp_path / "BEST.checkpoint.jsonl"
    space = SearchSpace.from_preset(None, duration_s=5.0, target_lufs=None).with_bounds([])

    def stop(event):
        if event["n"] == n_evaluations:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optimize(space, connectome=None, harmonics=default_harmonics, budget=5, seed=0, workers=1,
                 min_consonance=None, method="de", checkpoint=path, on_evaluation=stop)
    return path


def test_failed_optimize_never_replaces_best_toml(tmp_path, default_harmonics):
    checkpoint = _interrupted_checkpoint(tmp_path, default_harmonics, 2)
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 3
    entry = json.loads(lines[1])
    lines[1] = json.dumps({**entry, "score": "NaN"}).replace('"NaN"', "NaN")  # what JSON readers accept
    checkpoint.write_text("\n".join(lines) + "\n")
    best = tmp_path / "BEST.toml"
    best.write_text("# my earlier best design\n")
    before = _listing(tmp_path)
    result = _run("optimize", "-o", best, "--duration", 5, "--budget", 5, "--workers", 1)
    _one_error_line(result, "BEST.checkpoint.jsonl", "damaged at line 2")
    assert _listing(tmp_path) == before  # best.toml as it was, no report, checkpoint untouched


def test_publish_texts_writes_all_or_nothing(tmp_path):
    from stimgen.optimize.io import json_text, publish_texts

    keep = tmp_path / "best.toml"
    keep.write_text("old\n")
    with pytest.raises(ParameterError, match="missing"):
        publish_texts({keep: "new\n", tmp_path / "missing" / "best.optimize.json": "{}\n"})
    with pytest.raises(ParameterError, match="render failed"):
        def fail():
            raise ParameterError("render failed")
        publish_texts({keep: "new\n"}, before_rename=fail)
    with pytest.raises(ParameterError, match="cannot be written as JSON"):
        json_text(tmp_path / "r.json", {"score": math.nan})
    assert _listing(tmp_path) == {"best.toml": b"old\n"}
    assert publish_texts({keep: "new\n", tmp_path / "r.json": "{}\n"}) == [keep, tmp_path / "r.json"]
    assert keep.read_text() == "new\n"


@pytest.mark.parametrize(
    ("header_settings", "entry"),
    [
        ([1, 2], None),
        (7, None),
        ("seed", None),
        ({}, {"key": ["a"], "score": 1.0, "consonance": 0.0}),
        ({}, {"key": "k", "score": "high", "consonance": 0.0}),
        ({}, {"key": "k", "score": NotImplemented, "consonance": 0.0}),  # Infinity
        ({}, {"key": "k", "score": None, "consonance": None}),  # no score and no error
        ({}, {"key": "k", "score": 1.0, "consonance": 0.0, "error": 3}),
    ],
)
def test_damaged_checkpoint_is_refused_in_one_line(tmp_path, header_settings, entry):
    from stimgen.optimize import EvaluationLog

    path = tmp_path / "cp.jsonl"
    header = {"format": "stimgen-optimize-checkpoint", "version": 1, "settings": header_settings}
    lines = [json.dumps(header)]
    if entry is not None:
        text = json.dumps({k: ("INF" if v is NotImplemented else v) for k, v in entry.items()})
        lines += [text.replace('"INF"', "Infinity"), json.dumps({"key": "z", "score": 1.0, "consonance": 0.0})]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParameterError, match="checkpoint '.*cp.jsonl'") as caught:
        EvaluationLog(path, settings={}).open()
    assert "\n" not in str(caught.value)


def test_sigterm_during_play_record_leaves_no_temporary_file(tmp_path):
    record = tmp_path / "rec.wav"
    stimgen = Path(sys.executable).parent / "stimgen"
    proc = subprocess.Popen([str(stimgen), "play", "groove", "--duration", "40", "--offline", "--record",
                             str(record), "--json"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name.startswith(".rec.wav.") for p in tmp_path.iterdir()):
                break  # the recording's temporary file exists: the session is playing
            time.sleep(0.05)
        assert proc.poll() is None, "the session ended before the test could interrupt it"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert [p.name for p in tmp_path.iterdir()] == [], "a temporary or partial file was left behind"


# ----------------------------------------------------------------------------- tracebacks and hangs


@pytest.mark.parametrize(
    "args",
    [
        ("score", f"{LONG}.wav"),
        ("generate", LONG, "-o", "x.wav"),
        ("generate", f"{LONG}.toml", "-o", "x.wav"),
        ("generate", "groove", "-o", f"{LONG}.wav"),
        ("play", "groove", "--offline", "--record", f"{LONG}.wav"),
        ("optimize", "-o", f"{LONG}.toml"),
        ("optimize", "--preset", f"{LONG}.toml", "-o", "best.toml"),
    ],
    ids=["score", "generate-preset", "generate-toml", "generate-o", "play-record", "optimize-o", "optimize-preset"],
)
def test_over_long_file_names_give_one_line(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    _one_error_line(_run(*args))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sr", [0, 1])
@pytest.mark.parametrize("container", ["WAV", "AIFF"])
def test_audio_claiming_0_or_1_hz_is_refused_from_its_header(tmp_path, sr, container):
    path = tmp_path / f"tone.{container.lower()}"
    _tone(path, sr=8000, seconds=0.5, format=container)
    data = bytearray(path.read_bytes())
    if container == "WAV":
        data[24:28] = int(sr).to_bytes(4, "little")
    else:  # the COMM chunk's 80-bit float sample rate (8000 Hz written above)
        at = data.index(b"COMM") + 8 + 8
        data[at:at + 10] = (b"\x00" * 10) if sr == 0 else bytes.fromhex("3fff8000000000000000")
    path.write_bytes(bytes(data))
    line = _one_error_line(_run("score", path))
    assert path.name in line


def test_extreme_float_samples_give_one_line_naming_the_file(tmp_path):
    path = tmp_path / "extreme.wav"
    y = np.random.default_rng(0).uniform(-0.5, 0.5, 22050).astype(np.float32)
    y[100] = 3e38
    sf.write(path, y, 22050, subtype="FLOAT")
    stimgen = Path(sys.executable).parent / "stimgen"
    proc = subprocess.run([str(stimgen), "score", str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("stimgen: error: "), proc.stderr
    assert "extreme.wav" in proc.stderr and "peak" in proc.stderr
    assert "Warning" not in proc.stderr and "energies" not in proc.stderr


def test_damaged_mp3_keeps_the_decoder_off_stderr(tmp_path):
    good = tmp_path / "a.mp3"
    try:
        _tone(good, sr=44100, seconds=2.0, format="MP3")
    except (sf.LibsndfileError, TypeError, ValueError):
        pytest.skip("this libsndfile cannot write MP3")
    data = bytearray(good.read_bytes())
    rng = random.Random(0)
    for _ in range(2000):
        data[rng.randrange(len(data))] = rng.randrange(256)
    bad = tmp_path / "damaged.mp3"
    bad.write_bytes(bytes(data))
    stimgen = Path(sys.executable).parent / "stimgen"
    proc = subprocess.run([str(stimgen), "score", str(bad)], capture_output=True, text=True, timeout=300)
    lines = proc.stderr.splitlines()
    assert all(line.startswith("stimgen: ") for line in lines), proc.stderr  # no "Note: Illegal Audio-MPEG-Header"


# ----------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("generate", "groove", "-o", "x.wav", "--seed", "x"), "--seed"),
        (("generate", "groove", "-o", "x.wav", "--duration", "5s"), "--duration"),
        (("optimize", "-o", "best.toml", "--budget", "x"), "--budget"),
        (("play", "groove", "--duration", "ten"), "--duration"),
        (("score",), "FILES"),
        (("nonsense",), "nonsense"),
        (("generate", "groove", "--bogus"), "--bogus"),
    ],
)
def test_malformed_options_give_one_error_line(tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    line = _one_error_line(_run(*args), option)
    assert "╭" not in line and "Usage" not in line


def test_tiny_arc_phase_is_resolved_not_infinite():
    from stimgen.preset import validate_preset

    for arc in ({"heat_s": 5e-324, "hold_s": 0.0, "cool_s": 0.0}, {"heat_s": 1e308, "hold_s": 1e308, "cool_s": 1e308}):
        resolved = validate_preset({"name": "n", "purpose": "p", "duration_s": 60.0, "arc": arc,
                                    "layers": [{"kind": "noise"}]})["arc"]
        phases = [resolved[k] for k in ("heat_s", "hold_s", "cool_s")]
        assert all(math.isfinite(p) for p in phases) and math.fsum(phases) == pytest.approx(60.0)


def test_one_audio_validator_gives_the_same_message_everywhere(tmp_path, default_harmonics):
    from resonance import score_signal
    from resonance.io.audio import write_audio
    from stimgen.io import write_track

    y = np.zeros((2, 4410))
    y[1, 7] = np.nan
    messages = []
    for call in (lambda: write_audio(tmp_path / "a.wav", y, sr=44100),
                 lambda: write_track(tmp_path / "t.wav", y, sr=44100),
                 lambda: score_signal(y, 44100, harmonics=default_harmonics)):
        with pytest.raises(ModelParameterError) as caught:
            call()
        messages.append(str(caught.value))
    assert all("holds NaN or infinite samples (1 of them, the first" in m and "sample 7" in m for m in messages)
    with pytest.raises(ModelParameterError, match="sr=1 Hz is not an audio sample rate"):
        score_signal(np.ones(100), 1, harmonics=default_harmonics)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the first hour


def test_version_and_plain_help():
    from stimgen import __version__

    result = _run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"stimgen {__version__}"
    for command in ("score", "generate", "play", "optimize", "presets", "harmonics"):
        text = _run(command, "--help").output
        assert "<bool>" not in text and "{" not in text.split("\n\n")[0], text
    assert "FILES..." in _run("score", "--help").output
    help_text = re.sub(r"[│╭╮╰╯─]", " ", _run("optimize", "--help").output)  # rich's box may wrap the line
    assert "Required (except with --list-params)" in " ".join(help_text.split())


def test_presets_list_fits_a_pipe_and_shows_lengths():
    result = _run("presets")
    assert result.exit_code == 0
    assert max(len(line) for line in result.output.splitlines()) <= 100
    assert "deep_anneal" in result.output and "45 min" in result.output and "5 min" in result.output


def test_presets_schema_lists_every_kind_and_key_and_docs_match():
    from stimgen.preset import AM_PARAMS, ARC_PARAMS, LAYER_PARAMS, TOP_PARAMS, schema_markdown, validate_preset

    text = _run("presets", "schema").output
    for kind, params in LAYER_PARAMS.items():
        assert f"[{kind}]" in text and f"'{kind}'" in text
        section = text.split(f"[{kind}]", 1)[1]
        for key in params:
            assert f"  {key} " in section
    for key in (*TOP_PARAMS, *ARC_PARAMS, *AM_PARAMS, "automation", "follow_arc", "gain_db"):
        assert f"  {key} " in text
    assert "tempo_bpm     number in [40, 200]" in text and "searched [60, 180]" in text
    docs = (ROOT / "docs" / "presets.md").read_text(encoding="utf-8")
    assert docs == schema_markdown(), "docs/presets.md is stale: run stimgen presets schema --markdown > docs/presets.md"
    assert _run("presets", "schema", "--markdown").output == docs
    example = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    assert validate_preset(tomllib.loads(example))["layers"][1]["am"] == {"rate_hz": 2.0, "depth": 0.3}


def test_one_schema_serves_validation_and_the_search_space():
    from stimgen.optimize.space import AM_SEARCH_RANGES, GAIN_SEARCH_RANGE_DB, SEARCH_RANGES
    from stimgen.preset import AM_PARAMS, COMMON_LAYER_PARAMS, LAYER_PARAMS

    for kind, params in LAYER_PARAMS.items():
        for key, spec in params.items():
            assert SEARCH_RANGES[kind][key] is spec["search"]
            if spec["type"] in ("int", "float"):
                low, high = spec["search"]["range"]
                assert spec["range"][0] <= low < high <= spec["range"][1], (kind, key)
    assert all(AM_SEARCH_RANGES[k] is AM_PARAMS[k]["search"] for k in AM_PARAMS)
    assert GAIN_SEARCH_RANGE_DB is COMMON_LAYER_PARAMS["gain_db"]["search"]


def test_reading_never_contradicts_a_tempo_and_the_units_are_explained():
    from stimgen import report

    record = {"score": 0.05, "metrics": {"entrainment": 0.005, "tempo_bpm": 118.7, "harmonicity": 0.8,
                                         "consonance": 0.2, "absorbed_fraction": 0.2}}
    text = report.reading(record)
    assert "no pulse" not in text and "weak pulse (~119 BPM" in text
    result = _run("score", SAMPLES / "metronome_120bpm.flac")
    assert result.exit_code == 0
    legend = " ".join(result.output.split("units:", 1)[1].split())
    for explained in ("bp ref", "x ref", "bits per onset", "higher = more"):
        assert explained in legend


def test_mix_gain_is_applied_and_recorded(tmp_path):
    user = _tone(tmp_path / "user.wav", sr=44100, seconds=2.0)
    levels = {}
    for gain in (0.0, -40.0):
        out = tmp_path / f"m{int(-gain)}.wav"
        result = _run("generate", "focus", "-o", out, "--duration", 5, "--mix", user, "--mix-gain-db", gain,
                      "--no-score", "--sr", 44100)
        assert result.exit_code == 0, result.output
        side = json.loads(out.with_suffix(".json").read_text())
        assert side["mix"]["file"] == str(user) and side["mix"]["gain_db"] == gain
        y, sr = sf.read(out)
        spectrum = np.abs(np.fft.rfft(y[:, 0]))
        freqs = np.fft.rfftfreq(len(y), 1 / sr)
        tone = spectrum[np.abs(freqs - 440) < 3].sum() ** 2
        levels[gain] = tone / (spectrum ** 2).sum()
    assert levels[0.0] > 10 * levels[-40.0]  # the track's 440 Hz share falls when it is turned down
    _one_error_line(_run("generate", "focus", "-o", tmp_path / "x.wav", "--mix", user, "--mix-gain-db", 6),
                    "--mix-gain-db=6")
    _one_error_line(_run("generate", "focus", "-o", tmp_path / "x.wav", "--mix-gain-db", -6), "add --mix")


def test_list_devices_without_devices_says_what_to_do(monkeypatch):
    from stimgen.live import device

    monkeypatch.setattr(device, "output_devices", lambda: [])  # no sound card can be made to vanish for real
    result = _run("play", "--list-devices")
    assert result.exit_code == 0
    assert "aplay -l" in result.output and "--offline --record" in result.output


@pytest.mark.parametrize("ext", [".png", ".svg", ".pdf"])
def test_plots_by_extension_with_a_fixed_scale(tmp_path, ext):
    plot = tmp_path / f"noise{ext}"
    result = _run("score", SAMPLES / "white_noise.flac", "--plot", plot, "--plot-ymax", 3)
    assert result.exit_code == 0, result.output
    head = plot.read_bytes()[:64]
    assert {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[ext] in head
    if ext == ".svg":
        assert "fixed scale 0-3" in plot.read_text()
    _one_error_line(_run("score", SAMPLES / "white_noise.flac", "--plot", tmp_path / "x.jpg"), ".png or .svg or .pdf")
    _one_error_line(_run("score", SAMPLES / "white_noise.flac", "--plot", plot, "--plot-ymax", 0), "--plot-ymax=0")


def test_legend_sits_above_the_axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from stimgen.plotting import legend_above

    fig = Figure()
    canvas = FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="a")
    ax.plot([0, 1], [1, 0], label="b")
    legend_above(ax)
    canvas.draw()
    renderer = canvas.get_renderer()
    assert ax.get_legend().get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 1


def test_pyproject_licence_is_an_spdx_string():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "GPL-3.0-or-later"
    assert "setuptools>=77" in project["build-system"]["requires"]
    assert any(dep.startswith("hypothesis") for dep in project["project"]["optional-dependencies"]["test"])


# ----------------------------------------------------------------------------- structure


def _imports(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(f"{base}.{a.name}" if base.endswith(".") is False else base + a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_import_cycle_between_cli_and_commands():
    for path in (ROOT / "stimgen" / "commands").glob("*.py"):
        imported = _imports(path)
        assert not any(n in ("..cli", "stimgen.cli") or n.startswith(("..cli.", "stimgen.cli.")) for n in imported), path
    assert any("commands" in n for n in _imports(ROOT / "stimgen" / "cli.py"))


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.amplitude_modulate(np.ones(100), sr=48000, rate_hz=-1.0, depth=0.5),
        lambda s: s.kick(sr=0),
        lambda s: s.arc_envelope(sr=48000, duration_s=3.0, heat_s=-1.0, hold_s=1.0, cool_s=1.0),
        lambda s: s.isochronic(440.0, sr=48000, duration_s=1.0, rate_hz=4.0, duty=2.0),
    ],
)
def test_synth_errors_are_stimgen_errors(call):
    from stimgen import synth

    with pytest.raises(StimgenError) as caught:
        call(synth)
    assert isinstance(caught.value, ModelParameterError) and isinstance(caught.value, ValueError)
