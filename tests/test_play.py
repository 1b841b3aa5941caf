"""``stimgen play``: engine (virtual clock), thermostat, safety, recording, and real PortAudio sessions.

The engine tests drive :meth:`Engine.pull` (the audio callback's body) and
:meth:`Engine.step` (the worker's turn) from a virtual clock, without a
device.  The CLI tests run ``stimgen play`` in a subprocess whose HOME holds
an ``.asoundrc`` that points ALSA's default device at its null plugin, so a
real PortAudio stream runs end to end (the null device consumes frames as
fast as it can, which also exercises underrun handling).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

import stimgen.commands  # noqa: F401  (registers the commands)
from stimgen.cli import app
from stimgen.errors import DeviceError
from stimgen.live.device import resolve_device
from stimgen.live.engine import Engine, raised_cosine_ramp
from stimgen.live.program import FixedProgram, adaptive_program, file_program
from stimgen.live.record import Recorder
from stimgen.live.ring import RingBuffer
from stimgen.live.thermostat import Thermostat
from stimgen.mastering import integrated_loudness_lufs, true_peak_dbtp
from stimgen.preset import load_preset, validate_preset

SR = 48000
BLOCK = 512
LOUDNESS_TOL_LU = 0.1


# ---------------------------------------------------------------- helpers


class Capture:
    """A recorder stand-in that keeps the frames in memory."""

    def __init__(self):
        self.parts = []

    def write(self, frames):
        self.parts.append(np.array(frames))

    @property
    def y(self):
        return np.concatenate(self.parts) if self.parts else np.zeros((0, 2))


class SyntheticModel:
    """Model stand-in: a model step every 0.37 s of fed audio, reading a given temperature."""

    def __init__(self, temperature):
        self.temperature = temperature
        self.n = 0
        self.t = 0.0

    def feed(self, frames):
        self.n += frames.shape[0]
        steps = []
        while self.t + 0.37 <= self.n / SR:
            self.t += 0.37
            steps.append((self.t, self.temperature))
        return steps


def virtual_clock(engine, *, worker_every=1, stall=(), stop_at_tick=None, max_ticks=100_000):
    """Run the callback every tick (one block of device time) and the worker every few ticks.

    Returns the concatenated device output, frame-major.
    """
    out = []
    buf = np.zeros((BLOCK, 2), dtype=np.float32)
    tick = 0
    while not engine.done and tick < max_ticks:
        if tick % worker_every == 0 and tick not in stall:
            engine.step()
        if stop_at_tick is not None and tick == stop_at_tick:
            engine.request_stop()
        engine.pull(buf)
        out.append(buf.copy())
        tick += 1
        if engine.finished:
            engine.step()
    return np.concatenate(out)


def ramp_program(n, *, ramps=True, level=0.5):
    t = np.arange(n) / SR
    y = level * np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)])
    return FixedProgram(y, sr=SR, ramps=ramps)


# ---------------------------------------------------------------- ring buffer


def test_ring_buffer_wraps_around_and_tracks_three_counters():
    ring = RingBuffer(8, n_channels=1)
    assert ring.write(np.arange(6.0)[:, None]) == 6
    out = np.zeros((5, 1))
    assert ring.read_into(out) == 5
    assert ring.space == 2  # nothing released yet: played frames still hold their space
    kept = np.zeros((5, 1))
    assert ring.copy_played(kept) == 5 and kept[:, 0].tolist() == [0, 1, 2, 3, 4]
    ring.release(5)
    assert ring.write(np.arange(6.0, 13.0)[:, None]) == 7  # wraps past the end of the storage
    out = np.zeros((10, 1))
    assert ring.read_into(out) == 8
    assert out[:8, 0].tolist() == [5, 6, 7, 8, 9, 10, 11, 12]
    assert out[8:, 0].tolist() == [0, 0]  # rows beyond what was read are untouched
    with pytest.raises(ValueError, match="release n=99"):
        ring.release(99)


# ---------------------------------------------------------------- engine on a virtual clock


def test_engine_plays_program_exactly_when_the_worker_keeps_up():
    prog = ramp_program(10 * BLOCK + 100)
    rec = Capture()
    eng = Engine(prog, recorder=rec, ring_s=4 * BLOCK / SR)
    out = virtual_clock(eng)
    n = prog.n_frames
    assert eng.underruns == 0 and eng.finished and not eng.stopped_early
    np.testing.assert_allclose(out[:n], prog.y.T, atol=1e-7)  # float32 device buffers
    assert np.all(out[n:] == 0)
    np.testing.assert_array_equal(rec.y, prog.y.T)  # the recording holds the float64 frames played


def test_underruns_insert_silence_count_it_and_delay_the_program():
    prog = ramp_program(12 * BLOCK)
    rec = Capture()
    eng = Engine(prog, recorder=rec, ring_s=2 * BLOCK / SR)
    # The ring holds two blocks: the one just played (until the worker releases it) and one ahead.
    # The worker misses the turns of ticks 3-6, so ticks 4, 5 and 6 find the ring empty.
    out = virtual_clock(eng, stall=set(range(3, 7)))
    assert eng.underruns == 3 and eng.underrun_frames == 3 * BLOCK
    silent = [k for k in range(out.shape[0] // BLOCK) if not np.any(out[k * BLOCK:(k + 1) * BLOCK])]
    assert silent[:3] == [4, 5, 6]
    played = np.concatenate([out[k * BLOCK:(k + 1) * BLOCK] for k in range(out.shape[0] // BLOCK)
                             if k not in (4, 5, 6)])[:prog.n_frames]
    np.testing.assert_allclose(played, prog.y.T, atol=1e-7)  # nothing skipped, only late
    np.testing.assert_array_equal(rec.y, prog.y.T)  # the recording has no gaps


def test_stop_fades_out_over_the_stop_ramp_and_ends():
    prog = ramp_program(200 * BLOCK, level=0.5)
    rec = Capture()
    eng = Engine(prog, recorder=rec, stop_ramp_s=0.25)
    out = virtual_clock(eng, stop_at_tick=20)
    n_stop = int(0.25 * SR)
    start = eng.stop_at
    assert start == 20 * BLOCK and eng.stopped_early and eng.finished
    assert eng.played_frames == start + n_stop
    expected = prog.y.T[start:start + n_stop] * raised_cosine_ramp(n_stop)[::-1, None]
    np.testing.assert_allclose(out[start:start + n_stop], expected, atol=1e-7)
    assert np.all(out[start + n_stop:] == 0)
    np.testing.assert_array_equal(rec.y[start:], expected)  # the recording ends with the same fade
    np.testing.assert_array_equal(rec.y[:start], prog.y.T[:start])


def test_engine_ramps_programs_without_their_own_fades():
    y = np.full((2, 2 * SR), 0.5)
    rec = Capture()
    eng = Engine(FixedProgram(y, sr=SR, ramps=False), recorder=rec, ramp_s=0.1)
    virtual_clock(eng)
    played = rec.y[:, 0]
    n = int(0.1 * SR)
    assert played[0] == 0.0 and played[-1] == 0.0
    np.testing.assert_allclose(played[:n], 0.5 * raised_cosine_ramp(n))
    assert np.all(np.diff(played[:n]) >= 0) and played[n] == 0.5
    np.testing.assert_allclose(played[-n:], 0.5 * raised_cosine_ramp(n)[::-1])


def test_offline_run_never_underruns_and_matches_the_program():
    prog = ramp_program(7 * BLOCK + 3)
    rec = Capture()
    eng = Engine(prog, recorder=rec)
    assert eng.run_offline() == prog.n_frames
    assert eng.underruns == 0
    np.testing.assert_array_equal(rec.y, prog.y.T)


# ---------------------------------------------------------------- thermostat


def plant(thermostat, *, t_end_s, t0, gain, tau_s=8.0, hold=(10.0, 1e9), dt=0.37):
    """A first-order model of the temperature: it relaxes to t0 * exp(gain * u) with time constant tau_s."""
    temp, t = t0, 0.0
    trace = []
    while t < t_end_s:
        phase = "heat" if t < hold[0] else "hold" if t < hold[1] else "cool"
        u = thermostat.update(temp, t_s=t, phase=phase)
        temp += (t0 * math.exp(gain * u) - temp) * (1 - math.exp(-dt / tau_s))
        trace.append((t, temp, u))
        t += dt
    return trace


@pytest.mark.parametrize("t0, band", [(0.4, (1.0, 1.3)), (3.0, (1.0, 1.3))])
def test_thermostat_drives_a_synthetic_temperature_into_its_band(t0, band):
    th = Thermostat(band=band)
    trace = plant(th, t_end_s=300.0, t0=t0, gain=1.5)
    late = [temp for t, temp, _ in trace if t > 200.0]
    assert band[0] * 0.97 <= min(late) and max(late) <= band[1] * 1.03
    assert all(u == 0.0 for t, _, u in trace if t < 10.0)  # nothing happens before the hold
    us = np.array([u for _, _, u in trace])
    assert np.max(np.abs(np.diff(us))) <= th.rate_per_s * 0.37 + 1e-12  # rate limit
    first = th.log[0]
    assert first["action"].startswith("hold begins") and first["status"] == ("cold" if t0 < band[0] else "hot")
    assert {"t_s", "temperature", "band", "u", "variation", "rhythm_gain_db", "action"} <= set(first)
    assert any(e["status"] == "in band" for e in th.log)
    direction = "warming" if t0 < band[0] else "cooling"
    assert any(e["action"].startswith(direction) for e in th.log)


def test_thermostat_band_defaults_to_the_hold_start_and_releases_in_the_cool():
    th = Thermostat()
    plant(th, t_end_s=120.0, t0=0.5, gain=1.0, hold=(10.0, 60.0))
    assert th.band_ == pytest.approx((0.4, 0.6))
    assert th.u == 0.0  # glided back after the hold
    assert any(e["action"].startswith("hold over") for e in th.log)
    with pytest.raises(ValueError, match="band=\\(2, 1\\)"):
        Thermostat(band=(2.0, 1.0)).update(1.0, t_s=0.0, phase="hold")


# ---------------------------------------------------------------- adaptive program: safety and effect


def short_arc(name, duration_s):
    p = load_preset(name)
    arc = {"heat_s": 0.1 * duration_s, "hold_s": 0.8 * duration_s, "cool_s": 0.1 * duration_s}
    return validate_preset({**p, "duration_s": duration_s, "arc": arc}, source=name)


@pytest.fixture(scope="module")
def adaptive_runs():
    """A 20 s groove pushed to the hot limit (u -> +1) and left alone (u = 0)."""
    runs = {}
    for label, band in (("pushed", (1e3, 2e3)), ("idle", None)):
        prog = adaptive_program(short_arc("groove", 20.0), thermostat=Thermostat(band=band, rate_per_s=1.0))
        rec = Capture()
        temperature = 1e-3 if band else 1.0
        eng = Engine(prog, monitor=SyntheticModel(temperature) if band else None, recorder=rec)
        eng.run_offline()
        runs[label] = (prog, rec.y.T)
    return runs


def test_adaptive_output_stays_within_the_loudness_and_true_peak_limits(adaptive_runs):
    for prog, y in adaptive_runs.values():
        preset = prog.info["resolved"]
        assert true_peak_dbtp(y, sr=SR) <= preset["ceiling_dbtp"]
        assert true_peak_dbtp(y, sr=SR, oversample=8) <= preset["ceiling_dbtp"]
        assert integrated_loudness_lufs(y, sr=SR) <= preset["target_lufs"] + LOUDNESS_TOL_LU
        assert y[:, 0].tolist() == [0.0, 0.0] and np.max(np.abs(y[:, :SR // 10])) < 0.05  # ramps in
        assert prog.late_actions == 0 and prog.limiter.n_trims == 0


def test_thermostat_really_changes_the_adaptive_audio(adaptive_runs):
    pushed, y_pushed = adaptive_runs["pushed"]
    idle, y_idle = adaptive_runs["idle"]
    assert pushed.thermostat.u == 0.0 and pushed.thermostat.log  # acted during the hold, released after
    assert max(e["u"] for e in pushed.thermostat.log) == 1.0
    drums = pushed.rhythm[0]
    assert 1 in drums["choices"]  # bars drawn from the more varied rendering
    assert set(idle.rhythm[0]["choices"]) == {0}
    assert np.array_equal(y_pushed[:, :SR], y_idle[:, :SR])  # same heating phase
    assert not np.allclose(y_pushed[:, 5 * SR:15 * SR], y_idle[:, 5 * SR:15 * SR], atol=1e-3)
    assert pushed.governor.min_gain < 0.9  # louder drums were held to the reference loudness


def test_the_thermostat_actuators_move_the_models_temperature(default_harmonics):
    """Pushed cold (u -> +1: more variation, louder rhythm) the model heats more than pushed hot."""
    from stimgen.live.monitor import ModelMonitor

    ends = {}
    for label, band in (("warm", (1e3, 2e3)), ("cool", (1e-9, 2e-9))):
        prog = adaptive_program(short_arc("groove", 20.0), thermostat=Thermostat(band=band, rate_per_s=1.0))
        monitor = ModelMonitor(default_harmonics, sr=SR)
        Engine(prog, monitor=monitor).run_offline()
        ends[label] = monitor.finish().timeline["sne"][-20:].mean()
    assert ends["warm"] > 1.5 * ends["cool"]


class _LateModel:
    """A real ModelMonitor whose background set-up takes a second longer (a slow start on a busy machine)."""

    def __new__(cls, harmonics):
        from stimgen.live.monitor import ModelMonitor

        monitor = ModelMonitor(harmonics, sr=SR)
        setup = monitor._setup

        def late():
            time.sleep(1.0)
            setup()

        monitor._setup = late
        return monitor


def test_a_model_set_up_in_the_background_changes_neither_audio_nor_score(default_harmonics):
    """stimgen play sets the model up after the first sample: frames wait for it, decisions land as before."""
    from stimgen.live.monitor import ModelMonitor

    runs = {}
    for label in ("at once", "late"):
        prog = adaptive_program(short_arc("groove", 10.0), thermostat=Thermostat(band=(1e3, 2e3), rate_per_s=1.0))
        if label == "late":
            monitor = _LateModel(default_harmonics)
            monitor.start(background=True)
        else:
            monitor = ModelMonitor(default_harmonics, sr=SR)
            monitor.start()
        rec = Capture()
        engine = Engine(prog, monitor=monitor, recorder=rec)
        engine.run_offline()
        runs[label] = (rec.y, monitor.finish(), prog)
    (y0, r0, p0), (y1, r1, p1) = runs["at once"], runs["late"]
    assert p0.thermostat.log and max(e["u"] for e in p0.thermostat.log) > 0  # the thermostat acted
    np.testing.assert_array_equal(y0, y1)
    # The waiting frames reach the model in one piece: the same score to float rounding.
    np.testing.assert_allclose(r1.timeline["sne"], r0.timeline["sne"], rtol=1e-9, atol=0)
    assert p1.late_actions == 0


# ---------------------------------------------------------------- recording


def test_recorder_is_atomic_and_writes_a_sidecar(tmp_path):
    target = tmp_path / "rec.wav"
    target.write_bytes(b"old")
    rec = Recorder(target, sr=SR, bit_depth=16)
    rec.write(np.zeros((1000, 2)))
    assert target.read_bytes() == b"old"  # nothing replaced while recording
    rec.abort()
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["rec.wav"]
    rec = Recorder(target, sr=SR, bit_depth=24)
    rec.write(0.25 * np.ones((SR, 2)))
    rec.close({"preset": "x"})
    y, sr = sf.read(target)
    assert sr == SR and y.shape == (SR, 2) and sf.info(target).subtype == "PCM_24"
    side = json.loads(target.with_suffix(".json").read_text())
    assert side["preset"] == "x" and side["audio"]["n_samples"] == SR
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.json", "rec.wav"]


# ---------------------------------------------------------------- the command line


def _env(home):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["HOME"] = str(home)
    env.pop("ALSA_CONFIG_PATH", None)
    return env


@pytest.fixture(scope="module")
def null_home(tmp_path_factory):
    """A HOME whose .asoundrc makes ALSA's default PCM the null plugin."""
    home = tmp_path_factory.mktemp("alsa-null")
    (home / ".asoundrc").write_text("pcm.!default {\n  type null\n}\n")
    return home


@pytest.fixture(scope="module")
def portaudio(null_home):
    code = "import sounddevice as sd; print(len(sd.query_devices()))"
    out = subprocess.run([sys.executable, "-c", code], env=_env(null_home), capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"PortAudio is not available here ({out.stderr.strip().splitlines()[-1:]}); "
                    "apt-get install libportaudio2")
    return null_home


def play(*args, home, extra_env=None):
    env = _env(home)
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "stimgen", "play", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def run_cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, match):
    """Exit code 2 and exactly one line ``stimgen: error: ...`` on stderr, containing ``match``."""
    text = result.stderr
    code = result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    lines = [line for line in text.strip().splitlines() if line]
    assert code == 2, text
    assert len(lines) == 1 and lines[0].startswith("stimgen: error: "), text
    assert "Traceback" not in text
    assert match in lines[0], lines[0]


def test_play_through_portaudio_records_exactly_what_generate_renders(portaudio, tmp_path):
    rec = tmp_path / "played.wav"
    out = play("groove", "--duration", 5, "--seed", 2, "--record", rec, "--json", home=portaudio)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    session = summary["session"]
    assert "ALSA" in session["device"] and session["mode"] == "fixed"
    assert session["played_s"] == 5.0 and not session["stopped_early"]
    assert isinstance(session["underruns"], int)  # the null device pulls faster than real time
    gen = tmp_path / "generated.wav"
    result = run_cli("generate", "groove", "--duration", 5, "--seed", 2, "-o", gen)
    assert result.exit_code == 0, result.output
    played, sr_p = sf.read(rec, dtype="int32")
    generated, sr_g = sf.read(gen, dtype="int32")
    assert sr_p == sr_g == SR and sf.info(rec).subtype == sf.info(gen).subtype == "PCM_24"
    np.testing.assert_array_equal(played, generated)
    # The model scored the very audio played: the same score as generate's.
    side = json.loads(gen.with_suffix(".json").read_text())
    assert summary["score"] == pytest.approx(side["score"]["score"], rel=1e-5)
    assert set(summary["metrics"]) == set(side["score"]["metrics"])
    assert json.loads(rec.with_suffix(".json").read_text())["session"]["played_s"] == 5.0


def test_adaptive_play_through_portaudio_equals_the_offline_render(portaudio, tmp_path):
    args = ("groove", "--duration", 8, "--adaptive", "--band", "50:60", "--json")
    live = play(*args, "--record", tmp_path / "live.flac", home=portaudio)
    offline = play(*args, "--record", tmp_path / "offline.flac", "--offline", home=portaudio)
    assert live.returncode == 0 and offline.returncode == 0, live.stderr + offline.stderr
    log = json.loads(live.stdout)["session"]["thermostat"]["log"]
    assert log and log[0]["band"] == [50.0, 60.0] and any(e["action"].startswith("warming") for e in log)
    a, _ = sf.read(tmp_path / "live.flac", dtype="int32")
    b, _ = sf.read(tmp_path / "offline.flac", dtype="int32")
    np.testing.assert_array_equal(a, b)  # decisions land at fixed frames, whatever the timing


def test_play_an_audio_file_turns_it_down_to_the_limits(portaudio, tmp_path):
    loud = tmp_path / "loud.wav"
    t = np.arange(3 * 44100) / 44100
    sf.write(loud, np.stack([0.9 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1), 44100)
    rec = tmp_path / "out.wav"
    out = play(loud, "--record", rec, "--json", home=portaudio)
    assert out.returncode == 0, out.stderr
    y, sr = sf.read(rec, always_2d=True)
    assert sr == 44100 and y.shape[0] == 3 * 44100
    assert integrated_loudness_lufs(y.T, sr=sr) <= -20.0 + LOUDNESS_TOL_LU
    assert true_peak_dbtp(y.T, sr=sr) <= -1.0 + 1e-3  # 24-bit rounding
    assert y[0].tolist() == [0.0, 0.0] and y[-1].tolist() == [0.0, 0.0]
    summary = json.loads(out.stdout)
    assert summary["session"]["mode"] == "file" and "metrics" in summary


def test_a_quiet_audio_file_is_never_turned_up(tmp_path):
    quiet = tmp_path / "quiet.wav"
    t = np.arange(2 * SR) / SR
    sf.write(quiet, np.stack([0.01 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1), SR, subtype="FLOAT")
    prog = file_program(quiet)
    assert prog.info["gain_db"] == 0.0 and prog.sr == SR
    np.testing.assert_allclose(np.max(np.abs(prog.y)), 0.01, rtol=1e-4)


def test_device_choice_by_index_or_name():
    devices = [{"index": 0, "name": "HDA Intel PCH: ALC257 Analog (hw:0,0)", "default": False},
               {"index": 4, "name": "HDMI 0", "default": False},
               {"index": 5, "name": "default", "default": True}]
    assert resolve_device(None, devices=devices)["index"] == 5
    assert resolve_device("4", devices=devices)["name"] == "HDMI 0"
    assert resolve_device("alc257", devices=devices)["index"] == 0
    assert resolve_device("DEFAULT", devices=devices)["index"] == 5
    with pytest.raises(DeviceError, match="--device 7 is not an output device; output devices: 0, 4, 5"):
        resolve_device(7, devices=devices)
    with pytest.raises(DeviceError, match="matches several output devices"):
        resolve_device("a", devices=devices)
    with pytest.raises(DeviceError, match="no audio output device found"):
        resolve_device(None, devices=[])


def test_list_devices_and_device_errors(portaudio, tmp_path):
    out = play("--list-devices", home=portaudio)
    assert out.returncode == 0 and "default" in out.stdout and "ALSA" in out.stdout
    one_line_error(play("groove", "--device", "no-such-card", home=portaudio), "matches no output device")
    empty = tmp_path / "empty-home"
    empty.mkdir()
    result = play("groove", "--duration", 5, home=empty)
    one_line_error(result, "no audio output device found")
    assert "--list-devices" in result.stderr and "--record OUT.wav --offline" in result.stderr


def test_missing_portaudio_is_one_clear_line(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text(textwrap.dedent("""
        raise OSError("PortAudio library not found")
    """))
    result = play("groove", "--duration", 5, home=tmp_path, extra_env={"PYTHONPATH": str(fake)})
    one_line_error(result, "PortAudio library is missing")
    assert "apt-get install libportaudio2" in result.stderr and "--record OUT.wav --offline" in result.stderr


@pytest.mark.parametrize("args, match", [
    (["no_such_preset", "--offline", "--record", "{tmp}/a.wav"], "no_such_preset"),
    (["{tmp}/missing.wav", "--offline", "--record", "{tmp}/a.wav"], "audio file '{tmp}/missing.wav' not found"),
    (["groove", "--duration", "-3", "--offline", "--record", "{tmp}/a.wav"], "--duration -3 must be a positive"),
    (["groove", "--duration", "nan", "--offline", "--record", "{tmp}/a.wav"], "--duration nan must be a positive"),
    (["groove", "--duration", "2", "--offline", "--record", "{tmp}/a.wav"], "duration_s=2"),
    (["groove", "--offline"], "--offline plays to no device, so it needs --record"),
    (["groove", "--offline", "--record", "{tmp}/a.mp3"], "must end in .wav or .flac"),
    (["groove", "--offline", "--record", "{tmp}/nodir/a.wav"], "does not exist"),
    (["groove", "--band", "2:1", "--adaptive", "--offline", "--record", "{tmp}/a.wav"], "0 < LOW < HIGH"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, match):
    result = run_cli("play", *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    one_line_error(result, match.format(tmp=tmp_path))
    assert not (tmp_path / "a.wav").exists()


def test_importing_the_live_code_loads_neither_portaudio_nor_rich():
    code = ("import sys, stimgen.live, stimgen.commands.play\n"
            "print(','.join(m for m in ('sounddevice', 'rich.live') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_offline_record_equals_generate_for_the_same_preset_seed_and_duration(tmp_path):
    rec = tmp_path / "rec.flac"
    out = play("gentle_cooldown", "--duration", 7, "--seed", 3, "--offline", "--record", rec, "--json", home=tmp_path)
    assert out.returncode == 0, out.stderr
    gen = tmp_path / "gen.flac"
    result = run_cli("generate", "gentle_cooldown", "--duration", 7, "--seed", 3, "-o", gen, "--no-score")
    assert result.exit_code == 0, result.output
    recorded, sr_r = sf.read(rec, dtype="int32")
    generated, sr_g = sf.read(gen, dtype="int32")
    assert sr_r == sr_g and sf.info(rec).subtype == sf.info(gen).subtype
    np.testing.assert_array_equal(recorded, generated)


def test_fixed_program_streams_in_blocks_equal_to_the_session():
    from stimgen.live.program import fixed_program
    from stimgen.session import Session

    prog = fixed_program(load_preset("groove"), duration_s=6.0, seed=1)
    got = np.concatenate([prog.next_frames(n) for n in (1, 4095, 100000, 10**6)])
    s = Session(load_preset("groove"), duration_s=6.0, seed=1)
    want = np.concatenate(list(s.blocks()), axis=1).T
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_a_session_longer_than_the_probe_plays_what_generate_writes(tmp_path):
    """Both plan the gain from the same probe windows, so play's recording equals generate's file."""
    from stimgen.live.program import fixed_program
    from stimgen.live.record import Recorder
    from stimgen.mastering import PROBE_FULL_S

    duration = PROBE_FULL_S + 5.0
    gen = tmp_path / "gen.flac"
    result = run_cli("generate", "groove", "--duration", duration, "--seed", 3, "-o", gen, "--no-score")
    assert result.exit_code == 0, result.output
    prog = fixed_program(load_preset("groove"), duration_s=duration, seed=3)
    assert prog.info["mastering"]["planned"] and prog.session.master.sampled
    rec = Recorder(tmp_path / "rec.flac", sr=prog.sr, bit_depth=prog.info["bit_depth"])
    while prog.position < prog.n_frames:
        rec.write(prog.next_frames(4096))
    rec.close()
    assert not prog.info["mastering"]["planned"]  # the measured report once the session has played
    recorded, _ = sf.read(tmp_path / "rec.flac", dtype="int32")
    generated, _ = sf.read(gen, dtype="int32")
    np.testing.assert_array_equal(recorded, generated)
