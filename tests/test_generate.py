"""``stimgen generate`` and ``stimgen presets``: rendering, mastering, sidecar, CLI, and the must-hold scores.

Renders are short (10-20 s) except the score comparison, which renders every
bundled preset at 60 s as the issue asks.
"""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

import stimgen
import stimgen.commands  # noqa: F401  (registers the commands)
from stimgen import synth
from stimgen.cli import app
from stimgen.commands.generate import match_length
from stimgen.errors import ParameterError, PresetError
from stimgen.mastering import master
from stimgen.preset import list_presets, load_preset, validate_preset
from stimgen.render import render_preset

NAMES = [name for name, _ in list_presets()]
SR = 48000
LOUDNESS_TOL_LU = 0.5
SCORE_DURATION_S = 60.0


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


# ---------------------------------------------------------------- render


def test_render_is_deterministic_per_seed():
    preset = load_preset("groove")
    a, _ = render_preset(preset, duration_s=10.0, seed=7)
    b, _ = render_preset(preset, duration_s=10.0, seed=7)
    c, _ = render_preset(preset, duration_s=10.0, seed=8)
    assert a.shape == (2, 10 * SR) and a.dtype == np.float64
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_render_overrides_and_scales_arc():
    y, info = render_preset(load_preset("deep_anneal"), duration_s=27.0, sr=44100, seed=1)
    assert y.shape == (2, 27 * 44100)
    assert info["sr"] == 44100 and info["seed"] == 1
    arc = info["arc"]
    assert arc["heat_s"] == pytest.approx(4.5) and arc["hold_s"] == pytest.approx(13.5)
    assert arc["cool_s"] == pytest.approx(9.0)


def test_render_bad_override_names_key():
    with pytest.raises(PresetError, match="sr=22050"):
        render_preset(load_preset("groove"), duration_s=10.0, sr=22050)


def test_disk_too_small_is_refused_before_rendering(monkeypatch, tmp_path):
    import shutil
    from collections import namedtuple

    # A disk with 100 MB free: a 4-hour 16-bit track (about 2.6 GB) cannot fit.
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(2**40, 2**40 - 100 * 2**20, 100 * 2**20))
    out = tmp_path / "long.wav"
    result = _run("generate", "groove", "-o", out, "--duration", 14400)
    assert result.exit_code == 2 and "MB free" in result.output and "minutes" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- streaming


@pytest.mark.parametrize("name", ["gentle_cooldown", "deep_anneal"])
def test_section_size_does_not_change_the_render(name):
    from stimgen.render import SessionRenderer

    preset = load_preset(name)
    whole, _ = render_preset(preset, duration_s=9.0, seed=4)
    for section_frames in (4801, 1 << 16):
        r = SessionRenderer(preset, duration_s=9.0, seed=4)
        streamed = np.concatenate(list(r.sections(section_frames)), axis=1)
        np.testing.assert_array_equal(streamed, whole)  # bit-identical, tolerance 0


def test_section_size_does_not_change_the_mastered_session():
    from stimgen.session import Session

    outs = []
    for section_frames in (3000, 1 << 16, 10**7):
        s = Session(load_preset("groove"), duration_s=8.0, seed=2, section_frames=section_frames)
        outs.append(np.concatenate(list(s.blocks()), axis=1))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_streams_to_target_loudness_under_the_ceiling(name):
    from stimgen.mastering import integrated_loudness_lufs, true_peak_dbtp
    from stimgen.session import Session

    preset = load_preset(name)
    s = Session(preset, duration_s=20.0)
    y = np.concatenate(list(s.blocks()), axis=1)
    assert abs(integrated_loudness_lufs(y, sr=s.sr) - preset["target_lufs"]) <= LOUDNESS_TOL_LU
    for factor in (4, 8):
        assert true_peak_dbtp(y, sr=s.sr, oversample=factor) <= preset["ceiling_dbtp"]


def test_generate_writes_what_the_session_streams_and_leaves_no_temp(tmp_path):
    from stimgen.session import Session

    out = tmp_path / "g.wav"
    result = _run("generate", "groove", "-o", out, "--duration", 6, "--no-score", "--bit-depth", 24)
    assert result.exit_code == 0, result.output
    written, sr = sf.read(out, dtype="float64")
    s = Session(load_preset("groove"), duration_s=6.0)
    y = np.concatenate(list(s.blocks()), axis=1)
    assert sr == s.sr and written.shape == y.T.shape
    assert np.max(np.abs(written - y.T)) <= 2.0**-23  # 24-bit rounding only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.json", "g.wav"]


@pytest.mark.parametrize("bit_depth", [16, 24])
def test_flac_track_is_byte_for_byte_what_libsndfile_writes_from_the_floats(tmp_path, bit_depth):
    """TrackWriter makes the FLAC integers itself (a cheaper encode): the file is unchanged."""
    from stimgen.io import FLAC_COMPRESSION_LEVEL, TrackWriter

    rng = np.random.default_rng(3)
    y = np.clip(0.3 * rng.standard_normal((2, 60000)), -1.0, 1.0)
    scale = 2.0 ** (bit_depth - 1)
    # Both rails, exact halves (ties to even), and values a hair either side of a half.
    edges = np.array([1.0, -1.0, 0.5, 1.5, 2.5, -0.5, -2.5, scale - 1.5, -scale + 0.5, -0.0, 1e-300, -1e-300,
                      scale - 0.25]) / scale  # the last rounds to full scale: clipped, as libsndfile does
    y[0, :edges.size] = edges
    y[1, :edges.size] = np.nextafter(edges, 0.0)
    ours, theirs = tmp_path / "a.flac", tmp_path / "b.flac"
    subtype = {16: "PCM_16", 24: "PCM_24"}[bit_depth]
    with TrackWriter(ours, sr=44100, bit_depth=bit_depth) as writer, \
            sf.SoundFile(theirs, "w", samplerate=44100, channels=2, subtype=subtype, format="FLAC",
                         compression_level=FLAC_COMPRESSION_LEVEL) as reference:
        for a in range(0, y.shape[1], 7001):
            writer.write(y[:, a:a + 7001])
            reference.write(y[:, a:a + 7001].T)
        writer.close({})
    assert ours.read_bytes() == theirs.read_bytes()


def test_16_bit_integers_by_one_addition_are_rint_of_the_scaled_samples():
    """_to_int's rounding by addition gives rint(y * 32768) (halves to even, +1.0 clipped) on every half step."""
    from stimgen.io import _to_int

    k = np.arange(-65536, 65537) / 65536.0  # every multiple of 2**-16 in [-1, 1]: the integers and the halves
    grid = np.concatenate([k, np.nextafter(k, 2.0), np.nextafter(k, -2.0), [0.0, -0.0, 1e-300, -1e-300, 5e-324]])
    y = np.clip(np.stack([grid, grid[::-1]]), -1.0, 1.0)
    for full_scale, x in ((True, y), (False, np.clip(y, -0.99998, 0.99998))):  # below 32767.5 / 32768: no clip
        expected = np.rint(x * 32768.0)
        if full_scale:
            expected = np.minimum(expected, 32767.0)
        got = _to_int(x, 32768.0, np.int16, full_scale=full_scale)
        assert got.dtype == np.int16 and got.shape == x.shape[::-1]
        np.testing.assert_array_equal(got, expected.T)


def test_track_samples_that_round_to_full_scale_are_clipped_as_libsndfile_clips(tmp_path):
    """A section whose peak is under 1 but rounds to 32768 (or 2**23) is clipped, not wrapped."""
    from stimgen.io import TrackWriter

    for bit_depth in (16, 24):
        y = np.full((2, 100), 1.0 - 2.0 ** -(bit_depth + 1))  # (scale - 1/2) / scale: a half, rounds up
        with TrackWriter(tmp_path / f"c{bit_depth}.flac", sr=44100, bit_depth=bit_depth) as writer:
            writer.write(y)
            writer.write(-y)
            writer.close({})
        written, _ = sf.read(tmp_path / f"c{bit_depth}.flac", dtype="int32")
        assert written[:100].min() == written[:100].max() == 2**31 - 2**(32 - bit_depth)  # the largest value
        assert written[100:].min() == written[100:].max() == -2**31  # -(scale - 1/2) rounds to -scale, which fits


def test_flac_track_on_a_disk_that_fills_up_is_a_user_error_and_leaves_nothing(tmp_path, monkeypatch, capfd):
    """A write error inside libsndfile's buffered FLAC output is one clear error: no traceback, no file left."""
    import errno

    from stimgen import io as stimgen_io

    class FullDisk:  # the buffered file, failing once 200 kB have been written
        def __init__(self, path, mode, buffering):
            self.inner = open(path, mode, buffering=buffering)
            self.written = 0
            self.closed = False

        def write(self, data):
            self.written += len(data)
            if self.written > 200_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.inner.write(data)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def close(self):
            self.closed = True
            self.inner.close()

    monkeypatch.setattr(stimgen_io, "open", FullDisk, raising=False)
    y = 0.3 * np.random.default_rng(0).standard_normal((2, 441000)).clip(-3, 3) / 3
    with pytest.raises(ParameterError, match="cannot be written.*No space left on device"):
        with stimgen_io.TrackWriter(tmp_path / "t.flac", sr=44100, bit_depth=16) as writer:
            for a in range(0, y.shape[1], 44100):
                writer.write(y[:, a:a + 44100])
            writer.close({})
    assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in capfd.readouterr().err  # not printed from inside the C callback


def test_generate_scores_the_two_ears_as_score_does_for_the_written_file(tmp_path, default_harmonics):
    """The sidecar's score is the file's: a binaural beat is scored as two ears, not as their (beating) mean."""
    from resonance import score_file
    from stimgen.io import TrackWriter
    from stimgen.session import Session, StreamScorer

    preset = validate_preset({"name": "b", "purpose": "p", "layers": [{"kind": "binaural", "beat_hz": 10.0}]})
    s = Session(preset, duration_s=12.0)
    s.plan()
    scorer = StreamScorer(default_harmonics, sr=s.sr)
    with TrackWriter(tmp_path / "b.flac", sr=s.sr, bit_depth=24) as writer:
        for block in s.blocks():
            writer.write(block)
            scorer.process(block)
        writer.close({})
    ours = scorer.result().score
    theirs = score_file(tmp_path / "b.flac", harmonics=default_harmonics).score
    assert theirs > 0 and ours == pytest.approx(theirs, rel=0.02)


def test_stream_scorer_gathers_sections_into_blocks_without_changing_the_score(default_harmonics):
    """Sections gathered into 10 s scorer blocks score as when each section is its own block (float rounding)."""
    from stimgen.session import StreamScorer

    rng = np.random.default_rng(5)
    y = 0.05 * rng.standard_normal((2, 44100 * 14))
    y[0] += 0.2 * np.sin(2 * np.pi * 200.0 * np.arange(y.shape[1]) / 44100)
    cuts = [0, 30000, 141120, 141121, 400000, y.shape[1]]
    scores, calls = [], []
    for block_s in (10.0, 1e-6):
        s = StreamScorer(default_harmonics, sr=44100, block_s=block_s)
        n = []
        process = s.scorer.process
        s.scorer.process = lambda b, n=n, process=process: n.append(b.shape[-1]) or process(b)
        for a, b in zip(cuts[:-1], cuts[1:]):
            s.process(y[:, a:b])
        scores.append(s.result().score)
        calls.append(n)
    # Gathered: one full block and the rest; per section: the sections with output (a 1-sample one has none
    # yet) and the resamplers' tail.
    assert len(calls[0]) == 2 and calls[0][0] >= 220500 and len(calls[1]) == 5
    assert sum(calls[0]) == sum(calls[1])
    assert scores[0] > 0 and scores[0] == pytest.approx(scores[1], rel=1e-9)


def test_stream_scorer_keeps_its_own_copy_of_model_rate_blocks(default_harmonics):
    """At the model rate a block is kept until the scorer block is full: reusing the caller's buffer changes nothing."""
    from resonance.hearing.frontend import MODEL_SR
    from stimgen.session import StreamScorer

    rng = np.random.default_rng(6)
    y = 0.1 * rng.standard_normal((2, MODEL_SR * 6))
    want = StreamScorer(default_harmonics, sr=MODEL_SR)
    want.process(y)
    got = StreamScorer(default_harmonics, sr=MODEL_SR)
    buf = np.empty((2, MODEL_SR * 2))
    for i in range(3):
        buf[...] = y[:, i * buf.shape[1] : (i + 1) * buf.shape[1]]
        got.process(buf)
    buf[...] = 0.0
    assert got.result().score == want.result().score


def test_binaural_is_stereo_and_noted():
    preset = validate_preset({"name": "b", "purpose": "p", "layers": [{"kind": "binaural", "follow_arc": False}]})
    y, info = render_preset(preset, duration_s=5.0)
    assert not np.allclose(y[0], y[1])
    assert any("binaural" in note for note in info["notes"])


def test_automation_of_every_kind_renders():
    layers = [
        {"kind": "drums", "automation": {"tempo_bpm": [[0.0, 90.0], [1.0, 140.0]], "swing": [[0.0, 0.0], [1.0, 0.3]]}},
        {"kind": "clicks", "automation": {"freq_hz": [[0.0, 800.0], [1.0, 2000.0]]}},
        {"kind": "drone", "automation": {"root_hz": [[0.0, 110.0], [1.0, 220.0]], "n_harmonics": [[0.0, 2], [1.0, 8]]}},
        {"kind": "isochronic", "automation": {"rate_hz": [[0.0, 4.0], [1.0, 8.0]]}},
        {"kind": "noise", "automation": {"gain_db": [[0.0, -40.0], [1.0, -10.0]]}, "follow_arc": False},
    ]
    preset = validate_preset({"name": "a", "purpose": "p", "layers": layers})
    y, info = render_preset(preset, duration_s=10.0)
    assert y.shape == (2, 10 * SR) and np.all(np.isfinite(y))
    noise_rms = info["layers"][-1]["rms"]
    assert noise_rms > 0
    # gain_db automation: the noise layer is louder at the end than at the start.
    alone = validate_preset({"name": "n", "purpose": "p", "layers": [layers[-1]]})
    z, _ = render_preset(alone, duration_s=10.0)
    assert np.std(z[0, -SR:]) > 10 * np.std(z[0, :SR])


def test_progress_is_reported():
    seen = []
    render_preset(load_preset("focus"), duration_s=5.0, on_progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen) and seen == sorted(seen)


def test_match_length_loops_and_trims():
    y = np.arange(6.0).reshape(2, 3)
    assert match_length(y, 7)[1].tolist() == [3, 4, 5, 3, 4, 5, 3]
    assert match_length(y, 2).shape == (2, 2)


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_planned_from_probe_windows_lands_on_target_under_the_ceiling(name):
    """Longer than PROBE_FULL_S: the gain comes from the probe windows alone; the whole output is measured."""
    from stimgen.mastering import PROBE_FULL_S, LoudnessMeter, TruePeakMeter
    from stimgen.session import Session

    preset = load_preset(name)
    s = Session(preset, duration_s=PROBE_FULL_S + 5.0)
    s.plan()
    assert s.master.sampled and len(s.master.windows) > 10  # sampled, not measured whole
    loud = LoudnessMeter(sr=s.sr, n_channels=2)
    peaks = {factor: TruePeakMeter(oversamples=(factor,)) for factor in (4, 8)}
    for block in s.blocks():
        loud.process(block)
        for meter in peaks.values():
            meter.process(block)
    assert abs(loud.loudness_lufs() - preset["target_lufs"]) <= LOUDNESS_TOL_LU
    assert s.report["loudness_lufs"] == pytest.approx(loud.loudness_lufs(), abs=1e-9)  # the report measures
    for meter in peaks.values():
        assert 20 * np.log10(meter.finish()) <= preset["ceiling_dbtp"]


def test_seek_gives_the_sequential_samples_except_in_noise_layers():
    from stimgen.render import SessionRenderer

    preset = load_preset("groove")  # drums and pad: every sample follows from its index and drawn state
    whole, _ = render_preset(preset, duration_s=9.0, seed=4)
    r = SessionRenderer(preset, duration_s=9.0, seed=4)
    r.seek(4 * SR + 17)
    np.testing.assert_array_equal(r.read(SR), whole[:, 4 * SR + 17:5 * SR + 17])
    with pytest.raises(ParameterError, match="only moves forward"):
        r.seek(0)
    noisy = validate_preset({**preset, "layers": [{"kind": "noise", "color": "brown"}]}, source="noisy")
    whole, _ = render_preset(noisy, duration_s=30.0, seed=4)
    r = SessionRenderer(noisy, duration_s=30.0, seed=4)
    r.seek(10 * SR)
    r.read(SR // 4)  # the probe's pre-roll settles the filter
    part = r.read(10 * SR)
    assert not np.array_equal(part, whole[:, 10 * SR + SR // 4:20 * SR + SR // 4])  # new values ...
    # ... of the same level: 10 s against 20 s of brown noise differ by 0.4 dB (one SD over 20 seeds).
    level_db = 20 * np.log10(np.std(part) / np.std(whole[:, 5 * SR:25 * SR]))
    assert abs(level_db) < 1.5


# ---------------------------------------------------------------- must hold


def _metronome(duration_s: float) -> np.ndarray:
    bar = synth.generate_motif(rng=np.random.default_rng(0), voices=("click",), syncopation=0.0)
    y = synth.render_sequence([bar], sr=SR, tempo_bpm=120.0, voices={"click": synth.click(sr=SR)},
                              duration_s=duration_s)
    return np.stack([y, y])


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_preset_scores_above_metronome_and_noise(name, default_harmonics):
    from resonance import score_signal

    preset = load_preset(name)
    kwargs = dict(sr=SR, target_lufs=preset["target_lufs"], ceiling_dbtp=preset["ceiling_dbtp"],
                  fade_in_s=3.0, fade_out_s=3.0)
    y, _ = render_preset(preset, duration_s=SCORE_DURATION_S, sr=SR)
    track, _ = master(y, **kwargs)
    metronome, _ = master(_metronome(SCORE_DURATION_S), **kwargs)
    white, _ = master(np.random.default_rng(1).standard_normal((2, round(SCORE_DURATION_S * SR))), **kwargs)
    scores = {k: score_signal(v, SR, harmonics=default_harmonics).score
              for k, v in (("preset", track), ("metronome", metronome), ("noise", white))}
    assert scores["preset"] > scores["metronome"], scores
    assert scores["preset"] > scores["noise"], scores


# ---------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def groove_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen")
    results = []
    for i in range(2):
        out = folder / f"out{i}.flac"
        results.append((_run("generate", "groove", "-o", out, "--duration", 20, "--seed", 3), out))
    return results


def test_cli_generate_writes_flac_and_sidecar(groove_runs):
    result, out = groove_runs[0]
    assert result.exit_code == 0, result.output
    info = sf.info(out)
    assert info.format == "FLAC" and info.channels == 2 and info.samplerate == SR
    assert info.frames == 20 * SR
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["preset"] == "groove" and side["seed"] == 3
    assert side["stimgen_version"] == stimgen.__version__
    assert side["resolved"]["duration_s"] == 20.0 and side["resolved"]["layers"][0]["kind"] == "drums"
    assert isinstance(side["score"]["score"], float) and "metrics" in side["score"]
    assert abs(side["loudness_lufs"] - (-20.0)) <= LOUDNESS_TOL_LU and side["true_peak_dbtp"] <= -1.0
    for word in ("LUFS", "dBTP", "score", "duration"):
        assert word in result.output


def test_cli_generate_is_bit_identical(groove_runs):
    (_, a), (_, b) = groove_runs
    assert a.read_bytes() == b.read_bytes()


def test_cli_bad_preset_one_line_exit_2(tmp_path):
    result = _run("generate", "no_such_preset", "-o", tmp_path / "x.wav", "--duration", 10)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no_such_preset" in lines[0]
    assert not (tmp_path / "x.wav").exists()


def test_cli_bad_sr_exit_2(tmp_path):
    result = _run("generate", "groove", "-o", tmp_path / "x.wav", "--duration", 10, "--sr", 22050)
    assert result.exit_code == 2
    assert "sr=22050" in result.output
    assert not (tmp_path / "x.wav").exists()


def test_cli_mix_with_user_track(tmp_path):
    user = tmp_path / "user.wav"
    t = np.arange(3 * 44100) / 44100
    sf.write(user, 0.3 * np.sin(2 * np.pi * 330 * t), 44100)  # mono, 3 s: looped, resampled
    out = tmp_path / "mixed.wav"
    result = _run("generate", "focus", "-o", out, "--duration", 10, "--mix", user, "--no-score",
                  "--bit-depth", 16)
    assert result.exit_code == 0, result.output
    info = sf.info(out)
    assert info.channels == 2 and info.frames == 10 * SR and info.subtype == "PCM_16"
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["mix"]["file"] == str(user) and side["mix"]["gain_db"] == 0.0 and side["score"] is None


def test_cli_presets_lists_all():
    result = _run("presets")
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert name in result.output
    assert len(NAMES) >= 6


def test_cli_presets_show_is_toml():
    result = _run("presets", "show", "groove")
    assert result.exit_code == 0, result.output
    assert validate_preset(tomllib.loads(result.output)) == load_preset("groove")


def test_cli_presets_show_unknown_exit_2():
    result = _run("presets", "show", "nope")
    assert result.exit_code == 2 and "nope" in result.output


def test_interrupted_generate_leaves_nothing_and_keeps_an_existing_file(tmp_path, monkeypatch):
    from stimgen.session import StreamScorer

    out = tmp_path / "keep.flac"
    out.write_bytes(b"the user's earlier take")
    calls = []

    def interrupt(self, block):
        calls.append(block.shape)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C in the middle of pass 2, after blocks were written

    monkeypatch.setattr(StreamScorer, "process", interrupt)
    result = CliRunner().invoke(app, ["generate", "groove", "-o", str(out), "--duration", "8"])
    assert result.exit_code != 0 and len(calls) == 2
    assert out.read_bytes() == b"the user's earlier take"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.flac"]
