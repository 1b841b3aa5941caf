"""Start-up of the command line: `stimgen generate --no-score` loads only what it uses, and the
Pydantic-free conversion of plain option values gives Typer's own values and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from stimgen.commands._app import _plain_value, app

#: Modules that `stimgen generate --no-score` has no use for.
UNUSED = ("pydantic", "rich", "librosa", "numba", "dask", "scipy.stats", "scipy.signal", "matplotlib",
          "sounddevice", "resonance.scorer", "resonance.harmonics", "resonance.io.library", "soxr")


PRESET = """name = "beat"
purpose = "A 10 Hz binaural beat over pink noise (the job of benchmarks/bench_peer.py)."
duration_s = 5.0
seed = 1
sr = 44100
bit_depth = 16
target_lufs = -20.0
[[layers]]
kind = "binaural"
gain_db = -6.0
carrier_hz = 200.0
beat_hz = 10.0
[[layers]]
kind = "noise"
gain_db = -20.0
color = "pink"
"""


@pytest.mark.parametrize("preset", ["groove", "beat.toml"])
def test_generate_without_score_loads_only_what_it_uses(tmp_path, preset):
    (tmp_path / "beat.toml").write_text(PRESET)
    preset = str(tmp_path / preset) if preset.endswith(".toml") else preset
    out = tmp_path / "t.flac"
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['stimgen', 'generate', {preset!r}, '-o', {str(out)!r}, '--duration', '5', '--no-score']\n"
        "try:\n"
        "    runpy.run_module('stimgen', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print(','.join(m for m in {UNUSED!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.is_file()
    assert done.stdout.splitlines()[-1] == "", done.stdout  # the list of unused modules loaded: empty


def _generate_params():
    command = typer.main.get_command(app)
    sub = command.commands["generate"]
    ctx = sub.make_context("generate", ["focus", "-o", "x.flac"], resilient_parsing=True)
    return ctx, {p.name: p for p in sub.params}


def _ours_and_typers(param):
    """The parameter's conversion after ``_plain_value``, and Typer's own (Pydantic) one; not the same object."""
    typers = type(param).get_runtime_param(param)
    _plain_value(param)
    ours = param.get_runtime_param()
    assert ours is not typers
    return ours, typers


@pytest.mark.parametrize("name, spellings", [
    ("duration", ["5", "12.5", "-0.25", "1e3", ".5", "5.", "007.5", "1E-2", "600"]),
    ("seed", ["0", "7", "-3", "123456789012345678"]),
    ("mix_gain_db", ["0", "-6", "-6.5"]),
    ("preset", ["calm", "", "a b.toml", "ü.toml"]),
    ("out", ["x.flac", "", "a/b.wav", "."]),
])
def test_plain_values_are_typers_values(name, spellings):
    ctx, params = _generate_params()
    param = params[name]
    ours, typers = _ours_and_typers(param)
    for text in spellings:
        got = ours.coerce(text, param=param, ctx=ctx)
        want = typers.coerce(text, param=param, ctx=ctx)
        assert type(got) is type(want) and got == want, text


@pytest.mark.parametrize("name, text", [
    ("duration", "abc"), ("duration", " 5"), ("duration", "1_000"), ("duration", "inf"), ("duration", "nan"),
    ("seed", "1.5"), ("seed", "007"), ("seed", "+3"), ("seed", "99999999999999999999999"), ("seed", "x"),
])
def test_other_spellings_go_to_typer(name, text):
    """Anything outside the plain spellings gets Typer's result, or its error message."""
    import typer._click.exceptions as exceptions

    ctx, params = _generate_params()
    param = params[name]
    typers = type(param).get_runtime_param(param)
    _plain_value(param)
    ours = param.get_runtime_param()
    try:
        want = typers.coerce(text, param=param, ctx=ctx)
    except exceptions.BadParameter as exc:
        with pytest.raises(exceptions.BadParameter) as caught:
            ours.coerce(text, param=param, ctx=ctx)
        assert caught.value.format_message() == exc.format_message()
    else:
        got = ours.coerce(text, param=param, ctx=ctx)
        assert type(got) is type(want) and (got == want or got != got and want != want)


def test_bad_option_values_are_one_line_errors(tmp_path):
    cases = [(["--duration", "abc"], "Invalid value for '--duration'"), (["--seed", "1.5"], "Invalid value for '--seed'")]
    for extra, message in cases:
        done = subprocess.run([sys.executable, "-m", "stimgen", "generate", "focus", "-o", str(tmp_path / "x.flac"),
                               *extra], capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stderr.startswith("stimgen: error: ") and message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not any(Path(tmp_path).iterdir())


@pytest.mark.parametrize("name, values", [
    ("files", [("a.flac",), ("a.flac", "b dir/c.wav", ""), ()]),
    ("entry_regions", [("auditory=0,1",), ("rA1", "premotor=2;3"), (), None]),
])
def test_plain_lists_are_typers_lists(name, values):
    """`stimgen score FILE...` and `--entry-regions`: the same values as Typer's (Pydantic) conversion."""
    command = typer.main.get_command(app)
    sub = command.commands["score"]
    ctx = sub.make_context("score", ["a.flac"], resilient_parsing=True)
    param = {p.name: p for p in sub.params}[name]
    ours, typers = _ours_and_typers(param)
    for value in values:
        got = ours.coerce(value, param=param, ctx=ctx)
        want = typers.coerce(value, param=param, ctx=ctx)
        assert type(got) is type(want) and got == want and [type(v) for v in got] == [type(v) for v in want], value


def test_score_starts_without_pydantic(tmp_path):
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['stimgen', 'score', {str(tmp_path / 'missing.flac')!r}, '--entry-regions', 'auditory=0']\n"
        "try:\n"
        "    runpy.run_module('stimgen', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('pydantic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "False", done.stdout + done.stderr
