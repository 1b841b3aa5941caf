"""A seeded fuzz run over what a user can hand the tool (issue 15's "must hold").

Hypothesis draws mutated audio files, presets, connectome files, option values, checkpoints
and output paths; every example must end in a result or in one error of the packages
(:class:`resonance.errors.ResonanceError` or :class:`stimgen.errors.StimgenError`, which the
command line prints as one line ``stimgen: error: ...``) whose message is one line.  Also: no
hang (each example runs under an alarm), no partial or temporary file left behind, and no
existing file changed by a failed run.  The run is derandomized (the same examples every time)
and bounded to about a minute in total.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import stimgen.commands  # noqa: F401  (registers the commands)
from resonance.errors import ResonanceError
from stimgen.cli import app
from stimgen.errors import StimgenError


def fuzz(n_examples: int):
    return settings(max_examples=n_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@contextlib.contextmanager
def no_hang(seconds: int = 60):
    """Fail an example that runs longer than ``seconds`` (a hang) instead of waiting forever."""
    def alarm(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_one_line_error(exc: BaseException) -> None:
    assert isinstance(exc, (ResonanceError, StimgenError)), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message.strip() and "\n" not in message, repr(message)


def listing(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


@contextlib.contextmanager
def scratch():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


# ----------------------------------------------------------------------------- audio files


def _base_audio(fmt: str) -> bytes:
    t = np.arange(6615) / 22050
    y = 0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([y, -0.5 * y], axis=1), 22050, format=fmt,
             subtype={"WAV": "FLOAT", "FLAC": "PCM_16", "AIFF": "PCM_16"}[fmt])
    return buffer.getvalue()


BASE_AUDIO = {fmt: _base_audio(fmt) for fmt in ("WAV", "FLAC", "AIFF")}
EXTENSIONS = {"WAV": ".wav", "FLAC": ".flac", "AIFF": ".aiff"}

mutations = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=40)
field_values = st.sampled_from([0, 1, 2, 7, 255, 2**16 - 1, 2**31 - 1, 2**32 - 1])


@fuzz(30)
@given(fmt=st.sampled_from(sorted(BASE_AUDIO)), edits=mutations, cut=st.one_of(st.none(), st.integers(0, 8000)),
       header=st.one_of(st.none(), st.tuples(st.integers(0, 63), field_values)),
       extreme=st.one_of(st.none(), st.sampled_from([1e7, 3e38, float("nan"), float("inf")])))
def test_fuzz_audio_files(default_harmonics, fmt, edits, cut, header, extreme):
    from resonance.io.audio import audio_info
    from resonance.io.scoring import score_file

    data = bytearray(BASE_AUDIO[fmt])
    if extreme is not None and fmt == "WAV":  # a FLOAT sample far beyond full scale
        data[-400:-396] = np.float32(extreme).tobytes()
    if header is not None:
        at, value = header
        data[at:at + 4] = int(value).to_bytes(4, "little")[: max(0, min(4, len(data) - at))]
    for position, value in edits:
        if position < len(data):
            data[position] = value
    if cut is not None:
        data = data[:cut]
    with scratch() as folder:
        path = folder / f"fuzz{EXTENSIONS[fmt]}"
        path.write_bytes(bytes(data))
        before = listing(folder)
        with no_hang(60):
            try:
                audio_info(path)
                result = score_file(path, harmonics=default_harmonics)
            except Exception as exc:  # noqa: BLE001 - the point: only the packages' errors may come out
                assert_one_line_error(exc)
            else:
                assert np.isfinite(result.score)
        assert listing(folder) == before


# ----------------------------------------------------------------------------- presets

junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
              st.text(max_size=12), st.sampled_from(["drums", "pad", "noise", "just", "kick", "pink", 5e-324])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)


@st.composite
def presets(draw):
    from stimgen.preset import ARC_PARAMS, LAYER_PARAMS, TOP_PARAMS

    preset = {"name": "fuzz", "purpose": "fuzz"}
    for key in draw(st.lists(st.sampled_from(sorted(TOP_PARAMS) + ["bogus"]), max_size=3)):
        preset[key] = draw(junk)
    if draw(st.booleans()):
        preset["arc"] = {k: draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), junk))
                         for k in draw(st.lists(st.sampled_from(sorted(ARC_PARAMS)), max_size=4))}
    layers = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(sorted(LAYER_PARAMS) + ["bogus"]))
        layer = {"kind": kind}
        keys = sorted(LAYER_PARAMS.get(kind, {})) + ["gain_db", "am", "automation", "follow_arc"]
        for key in draw(st.lists(st.sampled_from(keys), max_size=3)):
            layer[key] = draw(junk)
        layers.append(layer)
    preset["layers"] = draw(st.one_of(st.just(layers), junk)) if draw(st.integers(0, 9)) == 0 else layers
    return preset


@fuzz(200)
@given(preset=presets())
def test_fuzz_presets(preset):
    from stimgen.preset import preset_to_toml, validate_preset
    import tomllib

    try:
        resolved = validate_preset(preset, source="fuzz.toml")
    except Exception as exc:  # noqa: BLE001
        assert_one_line_error(exc)
        return
    assert validate_preset(tomllib.loads(preset_to_toml(resolved)), source="fuzz.toml") == resolved
    arc = resolved["arc"]
    assert sum(arc[k] for k in ("heat_s", "hold_s", "cool_s")) == pytest.approx(resolved["duration_s"])


@fuzz(40)
@given(text=st.text(max_size=200), groove_edits=st.lists(st.tuples(st.integers(0, 600), st.characters()), max_size=6))
def test_fuzz_preset_files(text, groove_edits):
    from stimgen.preset import bundled_preset_dir, load_preset

    groove = list((bundled_preset_dir() / "groove.toml").read_text())
    for position, char in groove_edits:
        if position < len(groove):
            groove[position] = char
    with scratch() as folder:
        for name, content in (("random.toml", text), ("edited.toml", "".join(groove))):
            path = folder / name
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
            try:
                load_preset(path)
            except Exception as exc:  # noqa: BLE001
                assert_one_line_error(exc)


# ----------------------------------------------------------------------------- connectome files

finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@fuzz(40)
@given(n=st.integers(0, 6), values=st.lists(finite_or_not, min_size=0, max_size=49),
       fmt=st.sampled_from([".npy", ".csv", ".txt", ".csv-labels"]), raw=st.one_of(st.none(), st.binary(max_size=64)))
def test_fuzz_connectome_files(n, values, fmt, raw):
    from resonance.connectome import load_connectome

    with scratch() as folder:
        ext = ".csv" if fmt == ".csv-labels" else fmt
        path = folder / f"weights{ext}"
        matrix = np.resize(np.asarray(values or [0.0], dtype=float), (n, n)) if n else np.zeros((0, 0))
        if raw is not None:
            path.write_bytes(raw)
        elif fmt == ".npy":
            np.save(path, matrix, allow_pickle=False)
        else:
            rows = [",".join(repr(v) for v in row) for row in matrix]
            if fmt == ".csv-labels":
                rows.insert(0, ",".join(f"R{i}" for i in range(n)))
            path.write_text("\n".join(rows).replace(",", " " if fmt == ".txt" else ","))
        before = listing(folder)
        with no_hang(60):
            try:
                load_connectome(path)
            except Exception as exc:  # noqa: BLE001
                assert_one_line_error(exc)
        assert listing(folder) == before


# ----------------------------------------------------------------------------- option values

option_text = st.one_of(st.text(max_size=10).filter(lambda s: "\x00" not in s),
                        st.sampled_from(["x", "5s", "1e999", "nan", "-1", "0", "inf", "", " ", "1_0", "0x10"]))


@fuzz(40)
@given(command=st.sampled_from([
    ("generate", "groove", "--seed"), ("generate", "groove", "--duration"), ("generate", "groove", "--sr"),
    ("generate", "groove", "--bit-depth"), ("generate", "groove", "--mix-gain-db"),
    ("optimize", "--budget"), ("optimize", "--workers"), ("optimize", "--duration"), ("optimize", "--seed"),
    ("play", "groove", "--duration"), ("play", "groove", "--band"),
]), value=option_text)
def test_fuzz_option_values(command, value):
    *head, option = command
    with scratch() as folder:
        # The output lies in a missing folder, so every run ends before any long work.
        out = ["-o", str(folder / "missing" / ("best.toml" if head[0] == "optimize" else "x.wav"))]
        if head[0] == "play":
            out = ["--offline", "--record", str(folder / "missing" / "x.wav")]
        with no_hang(60):
            result = CliRunner().invoke(app, [*head, *out, f"{option}={value}"])
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("stimgen: error: "), result.output
        assert listing(folder) == {}


# ----------------------------------------------------------------------------- checkpoints

json_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=6), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                                st.integers(), max_size=2))


@st.composite
def checkpoint_lines(draw):
    header = {"format": "stimgen-optimize-checkpoint", "version": draw(st.sampled_from([1, 1, 1, 2, "1"])),
              "settings": draw(st.one_of(st.just({}), json_values))}
    lines = [json.dumps(header) if draw(st.integers(0, 9)) else draw(st.text(max_size=20))]
    for _ in range(draw(st.integers(0, 5))):
        entry = {"key": draw(st.one_of(st.text(min_size=1, max_size=6), json_values)),
                 "score": draw(json_values), "consonance": draw(json_values)}
        if draw(st.booleans()):
            entry["error"] = draw(json_values)
        if draw(st.integers(0, 5)) == 0:
            entry.pop(draw(st.sampled_from(sorted(entry))))
        lines.append(json.dumps(entry))  # writes NaN and Infinity as JSON readers accept them
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n{\"key\": \"cut"]))


@fuzz(120)
@given(text=checkpoint_lines())
def test_fuzz_checkpoints(text):
    import math

    from stimgen.optimize import EvaluationLog

    with scratch() as folder:
        path = folder / "cp.jsonl"
        path.write_text(text, encoding="utf-8")
        before = listing(folder)
        log = EvaluationLog(path, settings={})
        try:
            log.open()
        except Exception as exc:  # noqa: BLE001
            assert_one_line_error(exc)
            assert listing(folder) == before  # a refused checkpoint is left as it was
            return
        finally:
            log.close()
        for result in log.entries_.values():
            for key in ("score", "consonance"):
                value = result.get(key)
                assert value is None or (isinstance(value, (int, float)) and math.isfinite(value))


# ----------------------------------------------------------------------------- output paths

name_parts = st.one_of(
    st.text(st.characters(blacklist_characters="\x00/", blacklist_categories=("Cs",)), min_size=1, max_size=20),
    st.sampled_from(["a" * 256, "é" * 130, "existing.wav", "folder", "input.wav", "x.WAV", "y.flac", ".wav", " "]),
)


@fuzz(80)
@given(parts=st.lists(name_parts, min_size=1, max_size=3), ext=st.sampled_from(["", ".wav", ".flac", ".mp3", ".WAV"]))
def test_fuzz_output_paths(parts, ext):
    from stimgen.io import check_output_path, write_track

    with scratch() as folder:
        (folder / "folder").mkdir()
        (folder / "existing.wav").write_bytes(b"the user's file")
        (folder / "input.wav").write_bytes(b"the input")
        before = listing(folder)
        target = folder.joinpath(*[p for p in parts if p not in (".", "..")]).with_name(parts[-1] + ext) \
            if parts[-1] not in (".", "..") else folder / ("x" + ext)
        y = 0.1 * np.ones((2, 441))
        try:
            check_output_path(target, what="-o", extensions=(".wav", ".flac"), inputs=[("--mix", folder / "input.wav")])
            written = write_track(target, y, sr=44100)
        except Exception as exc:  # noqa: BLE001
            assert_one_line_error(exc)
            assert listing(folder) == before, "a failed write changed or left a file"
            return
        assert written.is_file() and written.with_suffix(".json").is_file()
        after = listing(folder)
        changed = {k for k in before if after.get(k) != before[k]}
        assert changed <= {written.relative_to(folder).as_posix(), written.with_suffix(".json").relative_to(folder).as_posix()}
        assert "input.wav" not in changed
        assert not [k for k in after if ".tmp" in k]
