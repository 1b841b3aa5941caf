"""Tests for resonance.io.audio: reading, streaming, checking and writing audio files.

Every file is a real file written to ``tmp_path`` by soundfile (or ffmpeg) and
read back through libsndfile; nothing is mocked.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
import soxr

from resonance.errors import DataFileError, ParameterError
from resonance.io.audio import (
    SILENT_PEAK,
    SUPPORTED_EXTENSIONS,
    AudioInfo,
    AudioReader,
    audio_info,
    iter_audio_blocks,
    load_audio,
    write_audio,
)

# soundfile format/subtype used to write each supported extension in the tests.
_WRITE_AS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".aif": ("AIFF", "PCM_16"),
    ".aiff": ("AIFF", "PCM_16"),
}
# One step of 16-bit PCM.
PCM16_STEP = 1.0 / 32768


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


def _tone(freq_hz, *, sr, duration_s, amplitude=0.5):
    t = np.arange(int(round(duration_s * sr))) / sr
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def _peak_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spectrum) * sr / len(y), sr / len(y)


# ----------------------------------------------------------------------------- supported formats


@pytest.mark.parametrize("ext", SUPPORTED_EXTENSIONS)
def test_every_supported_extension_is_read(tmp_path, ext):
    path = tmp_path / f"tone{ext}"
    fmt, subtype = _WRITE_AS[ext]
    sf.write(path, np.c_[_tone(440, sr=44100, duration_s=1.0), _tone(660, sr=44100, duration_s=1.0)],
             44100, format=fmt, subtype=subtype)
    info = audio_info(path)
    assert isinstance(info, AudioInfo)
    assert (info.sr, info.n_channels, info.format) == (44100, 2, fmt)
    assert abs(info.duration_s - 1.0) < 0.05
    y, sr = load_audio(path, sr=22050)
    assert sr == 22050 and y.ndim == 1 and y.dtype == np.float32
    assert abs(len(y) - 22050) <= 0.05 * 22050


def test_upper_case_extension_is_accepted(tmp_path):
    path = tmp_path / "TONE.WAV"
    sf.write(path, _tone(440, sr=8000, duration_s=0.5), 8000)
    assert audio_info(path).n_frames == 4000


# ----------------------------------------------------------------------------- mono mix-down and resampling


def test_wav_stereo_is_mixed_to_channel_mean(tmp_path):
    sr = 44100
    left = _tone(440, sr=sr, duration_s=1.0, amplitude=0.6)
    right = _tone(1000, sr=sr, duration_s=1.0, amplitude=0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.c_[left, right], sr, subtype="PCM_16")

    y, out_sr = load_audio(path)
    assert out_sr == sr
    np.testing.assert_allclose(y, (left + right) / 2, atol=PCM16_STEP)

    both, _ = load_audio(path, mono=False)
    assert both.shape == (2, sr)
    np.testing.assert_allclose(both[0], left, atol=PCM16_STEP)
    np.testing.assert_allclose(both[1], right, atol=PCM16_STEP)


@pytest.mark.parametrize(
    ("ext", "native_sr", "target_sr"),
    [(".wav", 44100, 22050), (".flac", 48000, 22050), (".ogg", 44100, 16000), (".flac", 48000, 48000)],
)
def test_resampled_length_and_pitch(tmp_path, ext, native_sr, target_sr):
    duration_s = 2.0
    path = tmp_path / f"tone{ext}"
    sf.write(path, _tone(440, sr=native_sr, duration_s=duration_s), native_sr)
    y, sr = load_audio(path, sr=target_sr)
    assert sr == target_sr
    assert abs(len(y) - duration_s * target_sr) <= 1
    peak_hz, bin_hz = _peak_hz(y, sr)
    assert abs(peak_hz - 440) <= bin_hz


def test_mp3_written_by_soundfile_is_read(tmp_path):
    path = tmp_path / "tone.mp3"
    sf.write(path, _tone(440, sr=44100, duration_s=2.0), 44100, format="MP3", subtype="MPEG_LAYER_III")
    reader = AudioReader(path, sr=22050, block_s=0.5)
    y = np.concatenate(list(reader))
    assert abs(reader.frames_read - 2 * 44100) <= 2 * 1152
    peak_hz, bin_hz = _peak_hz(y, 22050)
    assert abs(peak_hz - 440) <= bin_hz


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed; cannot make an MP3 with it")
def test_mp3_made_by_ffmpeg_without_xing_header_is_read(tmp_path):
    # Without a Xing/LAME header libsndfile only estimates the frame count,
    # so the decoded length differs a little from the header's; that is not truncation.
    wav = tmp_path / "tone.wav"
    sf.write(wav, _tone(440, sr=44100, duration_s=2.0), 44100)
    mp3 = tmp_path / "tone.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k",
         "-write_xing", "0", str(mp3)],
        check=True, timeout=60,
    )
    reader = AudioReader(mp3, sr=None, block_s=0.5)
    y = np.concatenate(list(reader))
    assert abs(reader.frames_read - 2 * 44100) <= 4 * 1152
    peak_hz, bin_hz = _peak_hz(y, 44100)
    assert abs(peak_hz - 440) <= bin_hz


# ----------------------------------------------------------------------------- streaming


def test_streamed_blocks_equal_one_shot_resample(tmp_path, rng):
    native_sr, sr, block_s = 44100, 22050, 0.37
    x = rng.uniform(-0.5, 0.5, size=(native_sr * 4 + 123, 2))
    path = tmp_path / "noise.wav"
    sf.write(path, x, native_sr, subtype="FLOAT")
    stored = sf.read(path)[0]

    reader = AudioReader(path, sr=sr, block_s=block_s)
    blocks = list(reader)
    y = np.concatenate(blocks)
    reference = soxr.resample(stored.mean(axis=1), native_sr, sr, quality="HQ")

    assert len(y) == len(reference)
    assert np.max(np.abs(y - reference)) < 1e-6
    assert all(b.ndim == 1 and b.dtype == np.float32 for b in blocks)
    # Memory stays bounded: no block is much longer than block_s of output.
    assert len(blocks) > 10
    assert max(len(b) for b in blocks) <= block_s * sr + 2048
    assert reader.frames_read == len(x)
    assert reader.peak == pytest.approx(np.max(np.abs(stored)))

    again = np.concatenate(list(reader))  # a second pass re-reads from the start
    np.testing.assert_array_equal(again, y)
    assert reader.frames_read == len(x)


def test_streaming_at_native_rate_is_exact(tmp_path, rng):
    x = rng.uniform(-0.5, 0.5, size=(3 * 16000, 2))
    path = tmp_path / "noise.wav"
    sf.write(path, x, 16000, subtype="FLOAT")
    stored = sf.read(path)[0]
    blocks = list(iter_audio_blocks(path, sr=16000, block_s=0.5, dtype=np.float64))
    assert [len(b) for b in blocks] == [8000] * 6
    np.testing.assert_array_equal(np.concatenate(blocks), stored.mean(axis=1))


@pytest.mark.parametrize("container, subtype", [("WAV", "PCM_16"), ("WAV", "PCM_24"), ("WAV", "PCM_32"),
                                             ("FLAC", "PCM_16"), ("FLAC", "PCM_24"), ("AIFF", "PCM_16")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_integer_pcm_read_as_integers_equals_libsndfile_floats(tmp_path, rng, container, subtype, dtype):
    # The reader decodes integer PCM as integers and scales them itself (a
    # cheaper path; straight to float32 for float32 blocks): the samples must
    # be libsndfile's float64 ones bit for bit (rounded to float32 for
    # float32 blocks), full scale included, and so must the peak.
    x = rng.uniform(-1.0, 1.0, size=(20000, 2))
    x[:2] = [[-1.0, 1.0], [1.0, -1.0]]
    path = tmp_path / f"noise.{container.lower()}"
    sf.write(path, x, 8000, subtype=subtype, format=container)
    stored = sf.read(path, dtype="float64", always_2d=True)[0]
    reader = AudioReader(path, sr=None, block_s=0.7, dtype=dtype, mono=False)
    blocks = list(reader)
    assert all(b.dtype == dtype for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), stored.T.astype(dtype))
    assert reader.peak == np.max(np.abs(stored))


def test_iter_audio_blocks_refuses_bad_file_when_called(tmp_path):
    with pytest.raises(DataFileError, match="absent.wav"):
        iter_audio_blocks(tmp_path / "absent.wav")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"sr": 0}, "sr=0"), ({"block_s": 0.0}, "block_s=0"), ({"block_s": float("nan")}, "block_s=nan"),
     ({"dtype": np.int16}, "dtype=")],
)
def test_reader_refuses_bad_parameters(tmp_path, kwargs, match):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(440, sr=8000, duration_s=0.5), 8000)
    with pytest.raises(ParameterError, match=match):
        AudioReader(path, **kwargs)


# ----------------------------------------------------------------------------- bad files


def _bad_file(kind, tmp_path, rng):
    """Create a bad input file of the given kind and return its path."""
    sr = 8000
    tone = _tone(440, sr=sr, duration_s=1.0)
    if kind == "missing":
        return tmp_path / "missing.wav"
    if kind == "directory":
        path = tmp_path / "folder.wav"
        path.mkdir()
        return path
    if kind == "unsupported":
        path = tmp_path / "notes.xyz"
        path.write_bytes(b"hello")
        return path
    if kind == "no_extension":
        path = tmp_path / "README"
        path.write_bytes(b"hello")
        return path
    if kind == "empty":
        path = tmp_path / "empty.wav"
        path.write_bytes(b"")
        return path
    if kind == "random_bytes_wav":
        path = tmp_path / "random.wav"
        path.write_bytes(rng.bytes(4096))
        return path
    if kind == "random_bytes_mp3":
        path = tmp_path / "random.mp3"
        path.write_bytes(rng.bytes(4096))
        return path
    if kind == "truncated_wav":
        path = tmp_path / "truncated.wav"
        sf.write(path, np.c_[tone, tone], sr)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return path
    if kind == "truncated_aiff":
        path = tmp_path / "truncated.aiff"
        sf.write(path, tone, sr)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return path
    if kind == "header_only_wav":
        path = tmp_path / "header_only.wav"
        sf.write(path, tone, sr)
        path.write_bytes(path.read_bytes()[:44])
        return path
    if kind == "zero_frames":
        path = tmp_path / "zero_frames.wav"
        sf.write(path, np.zeros((0, 2)), sr)
        return path
    if kind == "nan":
        path = tmp_path / "has_nan.wav"
        y = tone.copy()
        y[5000] = np.nan
        sf.write(path, y, sr, subtype="FLOAT")
        return path
    if kind == "inf":
        path = tmp_path / "has_inf.wav"
        y = tone.copy()
        y[10] = -np.inf
        sf.write(path, y, sr, subtype="FLOAT")
        return path
    if kind == "silent":
        path = tmp_path / "silent.flac"
        sf.write(path, np.zeros((sr, 2)), sr)
        return path
    if kind == "nearly_silent_float":
        path = tmp_path / "nearly_silent.wav"
        sf.write(path, 0.1 * SILENT_PEAK * np.sign(tone), sr, subtype="FLOAT")
        return path
    if kind == "phase_inverted":
        path = tmp_path / "phase_inverted.wav"
        sf.write(path, np.c_[tone, -tone], sr, subtype="FLOAT")
        return path
    raise AssertionError(kind)


BAD_FILES = {
    "missing": "no such file",
    "directory": "is a directory",
    "unsupported": r"unsupported extension '\.xyz'; supported: \.wav, \.flac",
    "no_extension": "has no file extension; supported:",
    "empty": r"is empty \(0 bytes\)",
    "random_bytes_wav": "cannot be decoded as audio",
    "random_bytes_mp3": "cannot be decoded as audio",
    "truncated_wav": "is truncated",
    "truncated_aiff": "is truncated",
    "header_only_wav": "cannot be decoded|truncated",
    "zero_frames": "zero frames",
    "nan": "NaN or infinite samples",
    "inf": "NaN or infinite samples",
    "silent": "is silent",
    "nearly_silent_float": "is silent",
    "phase_inverted": "cancel out when mixed to mono",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_raises_data_file_error_naming_the_file(tmp_path, rng, kind):
    path = _bad_file(kind, tmp_path, rng)
    problem = BAD_FILES[kind]
    for read in (
        lambda: list(AudioReader(path, sr=22050, block_s=0.25)),
        lambda: load_audio(path, sr=16000),
    ):
        with pytest.raises(DataFileError, match=problem) as caught:
            read()
        assert path.name in str(caught.value)
        assert isinstance(caught.value, ValueError)


def test_truncated_flac_fails_mid_read_with_data_file_error(tmp_path):
    # FLAC keeps its frame count in the header, so a cut file opens fine and
    # fails (or stops early) only while decoding.
    path = tmp_path / "cut.flac"
    sf.write(path, np.c_[_tone(440, sr=44100, duration_s=2.0), _tone(550, sr=44100, duration_s=2.0)], 44100)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    reader = AudioReader(path, sr=22050, block_s=0.25)
    assert reader.info.n_frames == 2 * 44100
    with pytest.raises(DataFileError, match="cut.flac.*(truncated|damaged)"):
        list(reader)
    assert reader.frames_read < 2 * 44100


def test_truncated_mp3_is_reported_not_silently_shortened(tmp_path):
    path = tmp_path / "cut.mp3"
    sf.write(path, _tone(440, sr=44100, duration_s=3.0), 44100, format="MP3", subtype="MPEG_LAYER_III")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match="cut.mp3.*truncated"):
        list(AudioReader(path, sr=22050, block_s=0.5))


def test_silence_is_reported_after_the_last_block(tmp_path):
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(8000), 8000)
    blocks = iter_audio_blocks(path, sr=8000, block_s=0.25)
    for _ in range(4):
        assert not np.any(next(blocks))
    with pytest.raises(DataFileError, match="quiet.wav': is silent.*nothing to score"):
        next(blocks)


def test_path_of_wrong_type_is_parameter_error():
    with pytest.raises(ParameterError, match="path=42"):
        audio_info(42)


# ----------------------------------------------------------------------------- writing


@pytest.mark.parametrize(("ext", "atol"), [(".wav", PCM16_STEP), (".flac", PCM16_STEP), (".ogg", None)])
def test_write_audio_round_trip(tmp_path, ext, atol):
    sr = 22050
    y = np.stack([_tone(440, sr=sr, duration_s=1.0), _tone(880, sr=sr, duration_s=1.0, amplitude=0.25)])
    path = write_audio(tmp_path / f"out{ext}", y, sr=sr)
    assert path == tmp_path / f"out{ext}"
    info = audio_info(path)
    assert (info.sr, info.n_channels, info.n_frames) == (sr, 2, sr)
    back, _ = load_audio(path, mono=False)
    if atol is not None:
        np.testing.assert_allclose(back, y, atol=atol)
    else:  # lossy Vorbis: check the pitch of each channel instead of samples
        for channel, freq_hz in zip(back, (440, 880)):
            peak_hz, bin_hz = _peak_hz(channel, sr)
            assert abs(peak_hz - freq_hz) <= bin_hz
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out{ext}"]  # no temporary file left


def test_write_audio_mono_float_is_exact(tmp_path, rng):
    y = rng.uniform(-1, 1, 1000).astype(np.float32)
    path = write_audio(tmp_path / "exact.wav", y, sr=8000, subtype="FLOAT")
    np.testing.assert_array_equal(sf.read(path, dtype="float32")[0], y)


@pytest.mark.parametrize(
    ("y", "kwargs", "match"),
    [
        (np.full(100, 1.5), {}, r"peak \|y\|=1.5; samples must lie in \[-1, 1\]"),
        (np.array([0.1, np.nan, 0.2]), {}, "NaN or infinite"),
        (np.zeros((100, 2)), {}, "time must be on the last axis"),
        (np.zeros((2, 2, 10)), {}, "must be"),
        (np.zeros(0), {}, "at least one sample"),
        (np.zeros(100), {"sr": 0}, "sr=0"),
        (np.zeros(100), {"subtype": "PCM_99"}, "subtype='PCM_99'.*allowed"),
        (np.zeros(100), {"sr": 250000, "subtype": "VORBIS"}, "sr=250000.*allowed: 1 to 192000"),
    ],
)
def test_write_audio_refuses_bad_input_and_keeps_existing_file(tmp_path, y, kwargs, match):
    ext = ".ogg" if kwargs.get("subtype") == "VORBIS" else ".wav"
    path = tmp_path / f"keep{ext}"
    original = np.stack([_tone(440, sr=8000, duration_s=0.25)])
    write_audio(path, original, sr=8000)
    before = path.read_bytes()
    kwargs = {"sr": 8000, **kwargs}
    with pytest.raises(ParameterError, match=match):
        write_audio(path, y, **kwargs)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize(
    ("name", "match"),
    [("out.mp3", r"cannot write extension '\.mp3'; writable: \.wav, \.flac, \.ogg"),
     ("no_dir/out.wav", "directory .* does not exist")],
)
def test_write_audio_refuses_bad_paths(tmp_path, name, match):
    path = tmp_path / name
    with pytest.raises(DataFileError, match=match) as caught:
        write_audio(path, np.zeros(10), sr=8000)
    assert path.name in str(caught.value)
    assert not path.exists()


def test_write_audio_into_a_directory_path_is_refused(tmp_path):
    target = tmp_path / "taken.wav"
    target.mkdir()
    with pytest.raises(DataFileError, match="taken.wav': is a directory"):
        write_audio(target, np.zeros(10), sr=8000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.wav"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user for permissions")
def test_write_audio_to_read_only_directory_is_data_file_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DataFileError, match="out.wav': could not be written"):
            write_audio(folder / "out.wav", np.zeros(10), sr=8000)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("subtype, dtype", [("PCM_16", np.float32), ("FLOAT", np.float64)])
@pytest.mark.parametrize("differ_from_s", [None, 0.0, 1.3])
def test_two_ear_blocks_equal_a_two_channel_resampler(tmp_path, rng, subtype, dtype, differ_from_s):
    """Identical ears resampled once (and a stream whose ears differ later) give a stereo resampler's bits."""
    native_sr, sr, block_s = 44100, 22050, 0.37
    left = rng.uniform(-0.5, 0.5, size=native_sr * 2 + 123)
    x = np.stack([left, left], axis=1)
    if differ_from_s is not None:
        x[int(differ_from_s * native_sr) :, 1] *= 0.5
    path = tmp_path / "ears.wav"
    sf.write(path, x, native_sr, subtype=subtype)
    stored = sf.read(path, dtype="float64", always_2d=True)[0].astype(dtype)
    reader = AudioReader(path, sr=sr, block_s=block_s, dtype=dtype, mono=False)
    blocks = list(reader)
    stream = soxr.ResampleStream(native_sr, sr, 2, dtype=np.dtype(dtype).name, quality="HQ")
    step = int(round(block_s * native_sr))
    want = [stream.resample_chunk(stored[i : i + step]) for i in range(0, len(stored), step)]
    want.append(stream.resample_chunk(np.zeros((0, 2), dtype=dtype), last=True))
    want = [w.T for w in want if w.size]
    assert [b.shape for b in blocks] == [w.shape for w in want] and all(b.dtype == dtype for b in blocks)
    for b, w in zip(blocks, want):
        np.testing.assert_array_equal(b, w)
    y = np.concatenate(blocks, axis=1)
    assert (np.abs(y[0] - y[1]).max() > 0.05) == (differ_from_s is not None)
    assert reader.frames_read == len(x) and reader.peak == np.max(np.abs(stored.astype(np.float64)))
