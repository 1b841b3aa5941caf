"""Reading and writing audio files.

Everything that touches an audio file on disk lives here, so that the rest of
:mod:`resonance` works on arrays only.  Files are decoded by libsndfile
(through :mod:`soundfile`) and resampled by libsoxr (through :mod:`soxr`).

Long recordings are never read whole: :class:`AudioReader` (and its shortcut
:func:`iter_audio_blocks`) decodes a file block by block, mixes it to mono and
resamples it with soxr's streaming resampler, so memory stays bounded whatever
the length of the file.  :func:`load_audio` is the convenience loader for short
files; it applies the same checks.

Every problem with a file is reported as
:class:`resonance.errors.DataFileError` with a message that names the file,
the problem and what is allowed; no raw libsndfile or NumPy traceback reaches
the caller.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ..errors import DataFileError, ParameterError
from .atomic import atomic_path
from ..validation import MAX_SAMPLE_ABS, check_audio, check_float, check_int, check_sample_rate

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "WRITABLE_EXTENSIONS",
    "SILENT_PEAK",
    "AudioInfo",
    "AudioReader",
    "audio_info",
    "iter_audio_blocks",
    "load_audio",
    "write_audio",
]

#: File extensions that :func:`audio_info`, :class:`AudioReader` and
#: :func:`load_audio` accept (case-insensitive).  Each one was checked to be
#: both writable and readable by the libsndfile (1.2) that :mod:`soundfile`
#: ships with; ``.oga`` is Ogg audio (Vorbis or Opus) like ``.ogg``.
SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")

#: Extensions that :func:`write_audio` writes, with the libsndfile container
#: and the default subtype used for each.
WRITABLE_EXTENSIONS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
}

# Sample-rate and channel limits checked before writing, because libsndfile
# 1.2 crashes (segmentation fault) instead of failing for some out-of-range
# Vorbis settings (e.g. sr=250000 Hz or 256 channels).
_MAX_CHANNELS = {"WAV": 1024, "FLAC": 8, "OGG": 255}
_MAX_SR = {"WAV": 2**31 - 1, "FLAC": 655350, "VORBIS": 192000}
_OPUS_SRS = (8000, 12000, 16000, 24000, 48000)

#: A file whose absolute sample values never exceed this level is treated as
#: digitally silent (the smallest non-zero 16-bit sample is about 3e-5).
SILENT_PEAK = 1e-7

# Integer PCM encodings read as integers and scaled by NumPy: libsndfile's own
# conversion to float64 multiplies the same integers by the same power of two
# (1/32768 for 16 bits; 24-bit samples come left-aligned in 32 bits, scaled by
# 2**-31), so the floats are equal bit for bit, and reading integers and
# scaling them costs a fifth of libsndfile's float64 read.
_INT_READ = {"PCM_16": ("int16", 2.0**-15), "PCM_24": ("int32", 2.0**-31), "PCM_32": ("int32", 2.0**-31)}

# Errors that soundfile, libsndfile and the OS raise on a bad file.
_READ_ERRORS = (sf.LibsndfileError, sf.SoundFileError, RuntimeError, OSError, ValueError, TypeError)

# MP3 files store no exact frame count unless they carry a Xing/LAME header, so
# libsndfile's count can be an estimate.  A shortfall up to this fraction (plus
# two MPEG frames of 1152 samples) is not treated as truncation.
_MP3_FRAME_SLACK = 0.01
_MP3_FRAME_SLACK_FRAMES = 2 * 1152

_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS)

# Longest file or folder name, in bytes, of the common file systems.
_MAX_NAME_BYTES = 255


@dataclass(frozen=True)
class AudioInfo:
    """What the header of an audio file says.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    sr : int
        Native sample rate in Hz.
    n_channels : int
        Number of channels.
    n_frames : int
        Number of frames (samples per channel).  For MP3 files without a
        Xing/LAME header libsndfile estimates this from the bit rate, so the
        frames actually decoded may differ slightly; :attr:`AudioReader.frames_read`
        is the exact count after a read.
    duration_s : float
        ``n_frames / sr`` in seconds.
    format : str
        libsndfile container name, e.g. ``"WAV"``, ``"FLAC"``, ``"OGG"``, ``"MP3"``.
    subtype : str
        libsndfile sample encoding, e.g. ``"PCM_16"``, ``"FLOAT"``, ``"VORBIS"``.
    """

    path: Path
    sr: int
    n_channels: int
    n_frames: int
    duration_s: float
    format: str
    subtype: str


def audio_info(path) -> AudioInfo:
    """Check an audio file and return what its header says.

    The file must exist, be a regular non-empty file with one of
    :data:`SUPPORTED_EXTENSIONS`, be decodable by libsndfile, hold at least one
    frame, and (for WAV and AIFF) contain all the audio data its header
    declares.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.

    Returns
    -------
    AudioInfo
        Sample rate, channels, frames, duration and format of the file.

    Raises
    ------
    DataFileError
        If the file is missing, a directory, unreadable, empty (0 bytes), has
        an unsupported extension, is not audio that libsndfile can decode, is
        a truncated WAV/AIFF, or holds zero frames.  The message names the
        file.
    ParameterError
        If ``path`` is not a string or path.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> tmp = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(tmp, 0.1 * np.ones(800), 8000)
    >>> info = audio_info(tmp)
    >>> info.sr, info.n_channels, info.n_frames, info.duration_s, info.format
    (8000, 1, 800, 0.1, 'WAV')
    """
    path = _check_path(path)
    _check_readable_file(path)
    try:
        with _quiet_decoder(path):
            raw = sf.info(str(path))
    except _READ_ERRORS as exc:
        raise DataFileError(
            f"'{path}': cannot be decoded as audio ({_why(exc)}); it may be damaged or not an "
            f"audio file; supported: {_SUPPORTED_TEXT}"
        ) from None
    sr = int(raw.samplerate)
    n_channels = int(raw.channels)
    n_frames = int(raw.frames)
    if sr <= 0 or n_channels <= 0 or n_frames < 0:
        raise DataFileError(
            f"'{path}': header is damaged (sample rate {sr} Hz, {n_channels} channel(s), "
            f"{n_frames} frames); a positive sample rate and channel count are required"
        )
    try:
        check_sample_rate("sample rate", sr)
    except ParameterError as exc:
        raise DataFileError(f"'{path}': header is damaged or not audio: {exc}") from None
    _check_declared_length(path, raw.format, n_frames)
    if n_frames == 0:
        size = path.stat().st_size
        hint = f" although the file is {size} bytes long, so it may be truncated or damaged" if size > 4096 else ""
        raise DataFileError(f"'{path}': holds zero frames of audio{hint}; at least one frame is required")
    return AudioInfo(
        path=path,
        sr=sr,
        n_channels=n_channels,
        n_frames=n_frames,
        duration_s=n_frames / sr,
        format=str(raw.format),
        subtype=str(raw.subtype),
    )


class AudioReader:
    """Stream an audio file as mono blocks at a chosen sample rate.

    Iterating over the reader decodes the file ``block_s`` seconds at a time,
    mixes the channels to mono (their mean), checks the samples, and resamples
    with soxr's streaming resampler (quality ``'HQ'``).  Only one block is in
    memory at a time, so a three-hour recording costs no more memory than a
    ten-second one.  The concatenated blocks equal a one-shot resample of the
    whole file.

    Creating the reader checks the arguments and reads the file header
    (:func:`audio_info`); decoding starts when iteration starts.  Each
    iteration re-opens the file and resets :attr:`frames_read` and
    :attr:`peak`.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file; see :data:`SUPPORTED_EXTENSIONS`.
    sr : int or None
        Output sample rate in Hz; ``None`` keeps the file's own rate.
    block_s : float
        Length of each decoded block in seconds of input audio (> 0).
    dtype : {numpy.float32, numpy.float64}
        Data type of the yielded blocks.  Resampling runs in this type: the
        "HQ" resampler (20-bit quality) computes in single precision either
        way, so float32 blocks hold the same samples as float64 blocks
        rounded to float32, at less cost.
    mono : bool
        Mix the channels down to mono (default).  With ``False`` a two-channel
        file yields (2, n_samples) blocks (left, right) for the binaural front
        end; files with one or more than two channels are still mixed to mono.
        Identical channels (a mono recording stored as stereo) are resampled
        once, the same samples at half the cost.

    Attributes
    ----------
    info : AudioInfo
        Header of the file.
    sr : int
        Output sample rate in Hz.
    frames_read : int
        Input frames decoded so far in the current iteration.
    peak : float
        Largest absolute input sample (any channel) seen so far.

    Yields
    ------
    numpy.ndarray, shape (n_samples,), dtype ``dtype``
        Consecutive mono blocks at ``sr`` (with ``mono=False``, two-channel
        blocks of shape (2, n_samples); at the file's own rate a transposed
        view of the decoded frames, not C-contiguous).  Block lengths are close to
        ``block_s * sr``; the first block is shorter by the resampler delay
        and the last one carries the resampler's flushed tail.

    Raises
    ------
    DataFileError
        At creation, for anything :func:`audio_info` refuses.  During
        iteration: if a block holds NaN or infinite samples, if decoding fails
        or stops before the frames the header promised (truncated file), and,
        after the last block, if the whole file was silent (peak below
        :data:`SILENT_PEAK`) or its channels cancel out in the mono mix.
    ParameterError
        If ``sr``, ``block_s`` or ``dtype`` is not allowed.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> tmp = os.path.join(tempfile.mkdtemp(), "tone.flac")
    >>> t = np.arange(3 * 44100) / 44100
    >>> sf.write(tmp, 0.5 * np.sin(2 * np.pi * 440 * t), 44100)
    >>> reader = AudioReader(tmp, sr=22050, block_s=1.0)
    >>> n_samples = sum(len(block) for block in reader)
    >>> n_samples, reader.frames_read, round(reader.peak, 2)
    (66150, 132300, 0.5)
    """

    def __init__(self, path, *, sr: int | None = 22050, block_s: float = 10.0, dtype=np.float32, mono: bool = True):
        if not isinstance(mono, (bool, np.bool_)):
            raise ParameterError(f"mono={mono!r} must be true or false")
        self.mono = bool(mono)
        self.info = audio_info(path)
        self.sr = self.info.sr if sr is None else check_int("sr", sr, low=1)
        self.block_s = check_float("block_s", block_s, low=0.0, low_inclusive=False)
        self.dtype = _check_dtype(dtype)
        self.frames_read = 0
        self.peak = 0.0

    def __repr__(self) -> str:
        return f"AudioReader('{self.info.path}', sr={self.sr}, block_s={self.block_s:g})"

    def __iter__(self) -> Iterator[np.ndarray]:
        if not self.mono and self.info.n_channels == 2:
            yield from self._iter_stereo()
            return
        resampler = None
        work = np.dtype(self.dtype).name  # the resampler's input and output type
        if self.sr != self.info.sr:
            resampler = soxr.ResampleStream(self.info.sr, self.sr, 1, dtype=work, quality="HQ")
        mono_peak = 0.0
        for block in self._iter_raw():
            mono = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
            mono_peak = max(mono_peak, float(np.max(np.abs(mono))))
            if resampler is not None:
                mono = resampler.resample_chunk(np.ascontiguousarray(mono, dtype=work))
            if mono.size:
                yield mono.astype(self.dtype, copy=False)
        if mono_peak < SILENT_PEAK:
            raise DataFileError(
                f"'{self.info.path}': its channels cancel out when mixed to mono (peak {self.peak:.3g} per "
                f"channel, {mono_peak:.3g} after mix-down); nothing to score; use channels that are not "
                "phase-inverted copies"
            )
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros(0, dtype=work), last=True)
            if tail.size:
                yield tail.astype(self.dtype, copy=False)

    def _iter_stereo(self) -> Iterator[np.ndarray]:
        """Two-channel blocks, shape (2, n), for the binaural front end.

        Each ear has its own one-channel resampler (the same samples as one
        two-channel resampler: soxr filters the channels independently).
        While the ears have been identical from the start (a mono recording
        stored as stereo), only the left one is resampled and the right ear
        is its copy; at the first block where they differ, the right
        resampler is brought up to date by feeding it the right channel of
        the blocks so far (read again), so the output is the same either way.
        """
        work = np.dtype(self.dtype).name
        single = work == "float32"
        if self.sr == self.info.sr:
            for block in self._iter_raw(single=single):
                # A transposed view, not a copy: the front end copies each ear
                # into its framing buffer anyway.
                yield block.astype(self.dtype, copy=False).T
            return
        ears = [soxr.ResampleStream(self.info.sr, self.sr, 1, dtype=work, quality="HQ") for _ in range(2)]
        same, n_same = True, 0  # ears identical so far; blocks fed to the left resampler only
        for block in self._iter_raw(single=single):
            if same and not _same_channels(block):
                same = False
                for _, old in zip(range(n_same), self._iter_raw(single=single, track=False)):
                    ears[1].resample_chunk(np.ascontiguousarray(old[:, 1], dtype=work))
            if same:
                n_same += 1
                left = ears[0].resample_chunk(np.ascontiguousarray(block[:, 0], dtype=work))
                out = np.stack([left, left])
            else:
                out = np.stack([ear.resample_chunk(np.ascontiguousarray(block[:, c], dtype=work))
                                for c, ear in enumerate(ears)])
            if out.size:
                yield out.astype(self.dtype, copy=False)
        tails = [ear.resample_chunk(np.zeros(0, dtype=work), last=True) for ear in ears[: 1 if same else 2]]
        if tails[0].size:
            yield np.stack([tails[0], tails[-1]]).astype(self.dtype, copy=False)

    def _iter_raw(self, *, single: bool = False, track: bool = True) -> Iterator[np.ndarray]:
        """Yield checked native-rate blocks of shape (n_frames, n_channels), float64.

        ``single``: fixed-point files are converted straight to float32 (the
        same values as float64 rounded to float32: a 16- or 24-bit sample is
        exact in float32 and a 32-bit one rounds once either way), and
        need no check (integer samples are finite and within full scale).
        Other files still yield float64.

        ``track=False`` reads the file again without touching
        :attr:`frames_read` and :attr:`peak` (and without the checks made
        at the end of a read).
        """
        info = self.info
        path = info.path
        block_frames = max(1, int(round(self.block_s * info.sr)))
        int_dtype, int_scale = _INT_READ.get(info.subtype, (None, 1.0))
        if track:
            self.frames_read = 0
            self.peak = 0.0
        try:
            with _quiet_decoder(path):
                handle = sf.SoundFile(str(path))
        except _READ_ERRORS as exc:
            raise DataFileError(f"'{path}': cannot be opened as audio ({_why(exc)}); it may be damaged") from None
        with handle:
            while True:
                try:
                    with _quiet_decoder(path):
                        if int_dtype is None:
                            block = handle.read(block_frames, dtype="float64", always_2d=True)
                        elif single:
                            raw = handle.read(block_frames, dtype=int_dtype, always_2d=True)
                            # Scaled in one pass into channel rows: the block
                            # is their transposed view, so each channel is a
                            # contiguous column (what the resamplers take).
                            block = np.multiply(raw.T, np.float32(int_scale),
                                                out=np.empty(raw.shape[::-1], dtype=np.float32)).T
                        else:
                            block = handle.read(block_frames, dtype=int_dtype, always_2d=True).astype(np.float64)
                            block *= int_scale
                except _READ_ERRORS as exc:
                    raise DataFileError(
                        f"'{path}': decoding failed after {self.frames_read} of {info.n_frames} frames "
                        f"({self.frames_read / info.sr:.2f} s; {_why(exc)}); the file is truncated or damaged"
                    ) from None
                if block.shape[0] == 0:
                    break
                if not track:  # read again: checked the first time
                    yield block
                    continue
                if block.dtype == np.float32:  # fixed point: finite and within full scale
                    # The peak from the integers (times a power of two: exact).
                    hi, lo = float(raw.max()) * int_scale, float(raw.min()) * int_scale
                else:
                    try:
                        check_audio(block.T, name=f"'{path}'", max_abs=MAX_SAMPLE_ABS, sr=info.sr,
                                    start_sample=self.frames_read, hint="the file is damaged or mis-scaled")
                    except ParameterError as exc:
                        raise DataFileError(str(exc)) from None
                    hi, lo = float(block.max()), float(block.min())  # no |block| temporary
                self.frames_read += block.shape[0]
                self.peak = max(self.peak, hi, -lo)
                yield block
        if not track:
            return
        if self.frames_read == 0:
            raise DataFileError(f"'{path}': no frames could be decoded; at least one frame is required")
        if self.frames_read < _min_expected_frames(info):
            raise DataFileError(
                f"'{path}': only {self.frames_read} of the {info.n_frames} frames its header promises could be "
                f"decoded ({self.frames_read / info.sr:.2f} of {info.duration_s:.2f} s); the file is truncated "
                "or damaged"
            )
        if self.peak < SILENT_PEAK:
            raise DataFileError(
                f"'{path}': is silent (peak {self.peak:.3g}, below {SILENT_PEAK:g}); nothing to score; "
                "the file must contain sound"
            )


def _same_channels(block: np.ndarray) -> bool:
    """Whether the two channels of a (n, 2) block are identical (every 97th frame compared first)."""
    return bool(np.array_equal(block[::97, 0], block[::97, 1]) and np.array_equal(block[:, 0], block[:, 1]))


def iter_audio_blocks(path, *, sr: int | None = 22050, block_s: float = 10.0, dtype=np.float32) -> Iterator[np.ndarray]:
    """Stream an audio file as mono blocks resampled to ``sr``.

    Shortcut for ``iter(AudioReader(path, sr=sr, block_s=block_s, dtype=dtype))``;
    use :class:`AudioReader` directly to learn the number of input frames read
    and the peak level afterwards.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file; see :data:`SUPPORTED_EXTENSIONS`.
    sr : int or None
        Output sample rate in Hz; ``None`` keeps the file's own rate.
    block_s : float
        Seconds of input audio decoded per block (> 0).
    dtype : {numpy.float32, numpy.float64}
        Data type of the yielded blocks.

    Returns
    -------
    iterator of numpy.ndarray, each of shape (n_samples,) and dtype ``dtype``
        Consecutive mono blocks; see :class:`AudioReader`.

    Raises
    ------
    DataFileError
        As for :class:`AudioReader`: a bad file is refused when this function
        is called; NaN/inf samples, truncation and silence are reported during
        or at the end of the iteration.
    ParameterError
        If ``sr``, ``block_s`` or ``dtype`` is not allowed.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> tmp = os.path.join(tempfile.mkdtemp(), "noise.wav")
    >>> sf.write(tmp, np.random.default_rng(0).uniform(-0.5, 0.5, (2, 48000)).T, 48000)
    >>> y = np.concatenate(list(iter_audio_blocks(tmp, sr=16000, block_s=0.25)))
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    """
    return iter(AudioReader(path, sr=sr, block_s=block_s, dtype=dtype))


def load_audio(path, *, sr: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read a whole (short) audio file into memory.

    The file gets the same checks as in :class:`AudioReader` (header, NaN/inf
    samples, truncation, silence).  For long recordings use
    :class:`AudioReader`, which keeps memory bounded.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file; see :data:`SUPPORTED_EXTENSIONS`.
    sr : int or None
        Sample rate in Hz to resample to (soxr, quality ``'HQ'``); ``None``
        keeps the file's own rate.
    mono : bool
        Mix the channels down to mono (their mean).

    Returns
    -------
    y : numpy.ndarray, float32
        Shape (n_samples,) if ``mono``, else (n_channels, n_samples).
    sr : int
        Sample rate of ``y`` in Hz.

    Raises
    ------
    DataFileError
        If the file is refused by :func:`audio_info`, holds NaN/inf samples,
        is truncated, or is silent.
    ParameterError
        If ``sr`` or ``mono`` is not allowed.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> tmp = os.path.join(tempfile.mkdtemp(), "stereo.flac")
    >>> sf.write(tmp, 0.25 * np.ones((4410, 2)), 44100)
    >>> y, sr = load_audio(tmp, sr=22050, mono=False)
    >>> y.shape, sr
    ((2, 2205), 22050)
    """
    if not isinstance(mono, (bool, np.bool_)):
        raise ParameterError(f"mono={mono!r} must be true or false")
    reader = AudioReader(path, sr=sr, block_s=60.0, dtype=np.float64)
    frames = np.concatenate(list(reader._iter_raw()), axis=0)
    if mono:
        frames = frames.mean(axis=1, keepdims=True)
        if float(np.max(np.abs(frames))) < SILENT_PEAK:
            raise DataFileError(
                f"'{reader.info.path}': its channels cancel out when mixed to mono (peak {reader.peak:.3g} per "
                "channel); nothing to score; use channels that are not phase-inverted copies"
            )
    if reader.sr != reader.info.sr:
        frames = soxr.resample(np.ascontiguousarray(frames), reader.info.sr, reader.sr, quality="HQ")
    y = np.ascontiguousarray(frames.T, dtype=np.float32)
    return (y[0] if mono else y), reader.sr


def write_audio(path, y, *, sr: int, subtype: str | None = None) -> Path:
    """Write audio to a file atomically.

    The samples go to a temporary file in the target's directory, which then
    replaces the target in one step (:func:`os.replace`); on any error the
    temporary file is removed, so a half-written file never appears under
    ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        Target file; the extension picks the format (see
        :data:`WRITABLE_EXTENSIONS`: ``.wav``, ``.flac``, ``.ogg``).  Its
        directory must exist.  An existing file is replaced.
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Samples in [-1, 1], time on the last axis.
    sr : int
        Sample rate in Hz (> 0).
    subtype : str or None
        libsndfile sample encoding, e.g. ``"PCM_16"``, ``"PCM_24"``,
        ``"FLOAT"`` (WAV) or ``"VORBIS"``/``"OPUS"`` (Ogg).  ``None`` means
        ``"PCM_16"`` for WAV and FLAC and ``"VORBIS"`` for Ogg.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataFileError
        If the extension is not writable, the directory does not exist or is
        not writable, ``path`` is a directory, or libsndfile fails.
    ParameterError
        If ``sr`` is not a positive integer, ``y`` is empty, has the wrong
        shape, holds NaN/inf or values outside [-1, 1], or ``subtype`` does
        not suit the format.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> tmp = os.path.join(tempfile.mkdtemp(), "out.wav")
    >>> t = np.arange(8000) / 8000
    >>> write_audio(tmp, 0.5 * np.sin(2 * np.pi * 440 * t), sr=8000).name
    'out.wav'
    >>> audio_info(tmp).n_frames
    8000
    """
    path = _check_path(path)
    sr = check_int("sr", sr, low=1)
    ext = path.suffix.lower()
    if ext not in WRITABLE_EXTENSIONS:
        shown = f"extension '{path.suffix}'" if path.suffix else "no extension"
        raise DataFileError(
            f"'{path}': cannot write {shown}; writable: {', '.join(WRITABLE_EXTENSIONS)}"
        )
    container, default_subtype = WRITABLE_EXTENSIONS[ext]
    subtype = default_subtype if subtype is None else subtype
    allowed = sorted(sf.available_subtypes(container))
    if not isinstance(subtype, str) or subtype.upper() not in allowed:
        raise ParameterError(
            f"subtype={subtype!r} cannot be written to '{path}' ({container}); allowed: {', '.join(allowed)}"
        )
    subtype = subtype.upper()
    frames = _check_signal(y)
    _check_write_limits(path, container, subtype, sr, frames.shape[1])
    parent = path.parent
    if not parent.is_dir():
        raise DataFileError(f"'{path}': directory '{parent}' does not exist; create it first")
    if path.is_dir():
        raise DataFileError(f"'{path}': is a directory; give a file name ending in {ext}")

    try:
        with atomic_path(path) as tmp:
            with sf.SoundFile(str(tmp), "w", samplerate=sr, channels=frames.shape[1], format=container,
                              subtype=subtype) as out:
                step = 1 << 16
                for start in range(0, frames.shape[0], step):
                    out.write(frames[start:start + step])
    except _READ_ERRORS as exc:
        raise DataFileError(f"'{path}': could not be written ({_why(exc)}); nothing was written") from None
    return path


# ----------------------------------------------------------------------------- helpers


def _why(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_path(path) -> Path:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"path={path!r} must be a file path (str or os.PathLike)")
    path = Path(path)
    if str(path) in ("", "."):
        raise ParameterError("path='' is empty; give an audio file path")
    for part in path.parts:
        n_bytes = len(os.fsencode(part))
        if n_bytes > _MAX_NAME_BYTES:
            shown = part if len(part) <= 27 else part[:24] + "..."
            raise DataFileError(
                f"'{shown}': the name is {n_bytes} bytes long; file and folder names may be at most "
                f"{_MAX_NAME_BYTES} bytes, so no such file can exist"
            )
    return path


@contextlib.contextmanager
def _quiet_decoder(path: Path):
    """Keep libmpg123's own messages about a damaged MP3 off the user's terminal.

    libmpg123 (inside libsndfile) prints warnings straight to file
    descriptor 2; the problems it reports reach the caller as errors or as
    a short decode, which this module turns into one-line messages.  For
    MP3 files only, file descriptor 2 points to ``/dev/null`` while the
    decoder runs.
    """
    if path.suffix.lower() != ".mp3":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2: nothing to protect
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _check_readable_file(path: Path) -> None:
    if not path.exists():
        raise DataFileError(f"'{path}': no such file; give the path of an existing audio file")
    if path.is_dir():
        raise DataFileError(f"'{path}': is a directory; expected an audio file ({_SUPPORTED_TEXT})")
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = f"unsupported extension '{path.suffix}'" if path.suffix else "has no file extension"
        raise DataFileError(f"'{path}': {shown}; supported: {_SUPPORTED_TEXT}")
    if not path.is_file():
        raise DataFileError(f"'{path}': is not a regular file; expected an audio file ({_SUPPORTED_TEXT})")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        size = path.stat().st_size
    except OSError as exc:
        raise DataFileError(f"'{path}': cannot be opened ({_why(exc)}); the file must be readable") from None
    if size == 0:
        raise DataFileError(f"'{path}': is empty (0 bytes); expected audio data ({_SUPPORTED_TEXT})")


def _check_declared_length(path: Path, container: str, n_frames: int) -> None:
    """Refuse WAV/AIFF files whose header declares more audio than is present.

    libsndfile quietly shortens such files to the data that is there, so the
    truncation would otherwise go unnoticed.
    """
    try:
        if container in ("WAV", "WAVEX"):
            declared, present = _riff_data_sizes(path)
            if declared is not None and declared > present:
                raise DataFileError(
                    f"'{path}': is truncated: its header declares {declared} bytes of audio data but only "
                    f"{present} are present; re-export or re-download the complete file"
                )
        elif container == "AIFF":
            declared_frames = _aiff_declared_frames(path)
            if declared_frames is not None and declared_frames > n_frames:
                raise DataFileError(
                    f"'{path}': is truncated: its header declares {declared_frames} frames but only "
                    f"{n_frames} are present; re-export or re-download the complete file"
                )
    except OSError as exc:
        raise DataFileError(f"'{path}': cannot be read ({_why(exc)}); the file must be readable") from None


def _riff_data_sizes(path: Path) -> tuple[int | None, int]:
    """Return (declared, present) byte sizes of a RIFF/WAVE ``data`` chunk.

    ``declared`` is None when it cannot be judged (not plain RIFF, no data
    chunk found, or a streaming writer's placeholder size of 0 or 0xFFFFFFFF).
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None, 0
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                present = size - (offset + 8)
                if chunk_size in (0, 0xFFFFFFFF):
                    return None, present
                return chunk_size, present
            offset += 8 + chunk_size + (chunk_size & 1)
    return None, 0


def _aiff_declared_frames(path: Path) -> int | None:
    """Return the frame count declared by an AIFF/AIFC ``COMM`` chunk, or None."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
            return None
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack(">4sI", handle.read(8))
            if chunk_id == b"COMM":
                body = handle.read(6)
                if len(body) < 6:
                    return None
                _, n_frames = struct.unpack(">hI", body)
                return n_frames
            offset += 8 + chunk_size + (chunk_size & 1)
    return None


def _min_expected_frames(info: AudioInfo) -> int:
    """Fewest decoded frames that do not count as a truncated file."""
    if info.format == "MP3":
        slack = int(math.ceil(_MP3_FRAME_SLACK * info.n_frames)) + _MP3_FRAME_SLACK_FRAMES
        return max(1, info.n_frames - slack)
    return info.n_frames


def _check_write_limits(path: Path, container: str, subtype: str, sr: int, n_channels: int) -> None:
    max_channels = _MAX_CHANNELS[container]
    if n_channels > max_channels:
        raise ParameterError(
            f"y has {n_channels} channels; '{path}' ({container}) holds at most {max_channels}"
        )
    if subtype == "OPUS":
        if sr not in _OPUS_SRS:
            allowed = ", ".join(str(rate) for rate in _OPUS_SRS)
            raise ParameterError(f"sr={sr} cannot be written to '{path}' (OGG/OPUS); allowed: {allowed}")
        return
    max_sr = _MAX_SR.get(subtype if container == "OGG" else container, _MAX_SR["WAV"])
    if sr > max_sr:
        raise ParameterError(f"sr={sr} cannot be written to '{path}' ({container}/{subtype}); allowed: 1 to {max_sr}")


def _check_dtype(dtype) -> type:
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ParameterError(f"dtype={dtype!r} is not allowed; choose one of float32, float64")
    return resolved.type


def _check_signal(y) -> np.ndarray:
    """Validate samples for writing; return them as (n_frames, n_channels) float64."""
    arr = check_audio(y, name="y", max_abs=1.0, hint="scale or limit it first")
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    return np.ascontiguousarray(arr.T)
