"""Writing generated tracks: stereo WAV/FLAC audio plus a JSON sidecar.

The audio and its sidecar (same name, suffix ``.json``) are written together:
both are first written completely under temporary names in the target folder
(:func:`resonance.io.atomic.atomic_path`), then renamed into place.  Any error
before the renames (invalid input, a full disk, a value JSON cannot hold)
leaves existing files untouched and no new file behind.  Pure computation
(mastering) lives in :mod:`stimgen.mastering`; this module only validates and
writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from resonance.errors import ParameterError as _ModelParameterError
from resonance.errors import ResonanceError
from resonance.io.atomic import atomic_path
from resonance.validation import check_audio

from .errors import ParameterError

__all__ = [
    "check_output_path", "check_path_names", "MAX_NAME_BYTES", "TRACK_EXTENSIONS", "TRACK_SAMPLE_RATES",
    "TRACK_BIT_DEPTHS", "SIDECAR_AUDIO_KEY", "sidecar_path", "write_track", "read_sidecar", "estimate_track_bytes",
    "check_disk_space", "TrackWriter", "FLAC_COMPRESSION_LEVEL", "FLAC_BUFFER_BYTES", "flac_options"]

#: File extensions of generated tracks (lossless, read everywhere).
TRACK_EXTENSIONS = (".wav", ".flac")

#: Sample rates of generated tracks in Hz (CD and professional video/audio).
TRACK_SAMPLE_RATES = (44100, 48000)

#: Bit depths of generated tracks and the libsndfile subtype of each.
TRACK_BIT_DEPTHS = {16: "PCM_16", 24: "PCM_24"}

#: libsndfile's FLAC compression level of written tracks (0 to 1; FLAC's levels 0 to 8): 0.125 is FLAC
#: level 1.  Engineering choice, measured on 2 minutes of a binaural beat over pink noise (44.1 kHz,
#: 16 bit): 27 % less CPU than libsndfile's default (FLAC level 5) for a file 2 % larger.  Level 0
#: (no mid/side stereo) is about 10 % cheaper again but made the 10-minute beat-over-pink-noise file
#: 56 % larger (73 MB against 46 MB: the noise is the same in both ears).  The samples are the same
#: at every level (FLAC is lossless).  Re-measured on that 10-minute file's int16 samples (least CPU
#: of 3, one core): level 0 0.70 s, level 1 0.70 s, libsndfile's default 0.88 s (45.5 MB; from floats,
#: as ``binaural-generate`` writes, 1.13 s).  What remains is libFLAC's fixed work (the MD5 of the
#: samples, about a quarter, cannot be switched off through libsndfile; the widening to int32; the
#: residual coding and CRCs); pieces of 141 120 frames or more cost the same (35 280: 10 % more).
FLAC_COMPRESSION_LEVEL = 0.125

#: Buffer (bytes) between libsndfile and a FLAC track being written (:class:`TrackWriter`).  libFLAC hands
#: libsndfile each encoded frame (a few KB) and asks for the file position after it; written to a path,
#: that is a ``write`` and an ``lseek`` system call per frame (46,000 for 10 minutes of 44.1 kHz stereo,
#: 0.05-0.1 s of system CPU); through a buffered file they are copies into this buffer.  Engineering
#: choice: large enough that the kernel sees few, large writes; the file's bytes are the same.
FLAC_BUFFER_BYTES = 1 << 20

#: Key of the sidecar entry that :func:`write_track` fills with facts about
#: the audio file (file name, sample rate, bit depth, channels, samples,
#: duration); callers' sidecars may not use it.
SIDECAR_AUDIO_KEY = "audio"


def flac_options(ext: str) -> dict:
    """Keyword arguments of :class:`soundfile.SoundFile` for a written track: the FLAC compression level."""
    return {"compression_level": FLAC_COMPRESSION_LEVEL} if ext.lower() == ".flac" else {}


def sidecar_path(path) -> Path:
    """Path of the JSON sidecar of an audio file: the suffix replaced by ``.json``.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file path (or the sidecar path itself).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If ``path`` is not a path.

    Examples
    --------
    >>> sidecar_path("out/track.flac").as_posix()
    'out/track.json'
    """
    try:
        return Path(path).with_suffix(".json")
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"path={path!r} must be a file path with a name ({exc})") from None


#: Longest file or folder name (one path component) in bytes that the
#: common file systems accept (ext4, XFS, APFS, NTFS: 255).
MAX_NAME_BYTES = 255


def _name_bytes(name: str) -> int:
    return len(os.fsencode(name))


def check_path_names(path, *, what: str) -> Path:
    """Refuse a path with a file or folder name longer than the file system allows.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        How the message names the path, e.g. ``"-o"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If ``path`` is not a path, or one of its names is longer than
        :data:`MAX_NAME_BYTES` bytes.

    Examples
    --------
    >>> check_path_names("a" * 300 + ".wav", what="-o")
    Traceback (most recent call last):
    ...
    stimgen.errors.ParameterError: -o 'aaaaaaaaaaaaaaaaaaaaaaaa...': the name 'aaaaaaaaaaaaaaaaaaaaaaaa...' is 304 bytes long; file and folder names may be at most 255 bytes
    """
    try:
        path = Path(path)
    except TypeError:
        raise ParameterError(f"{what} {path!r} must be a file path (str or os.PathLike)") from None
    for part in path.parts:
        n_bytes = _name_bytes(part)
        if n_bytes > MAX_NAME_BYTES:
            raise ParameterError(
                f"{what} '{_short(str(path))}': the name '{_short(part)}' is {n_bytes} bytes long; file and "
                f"folder names may be at most {MAX_NAME_BYTES} bytes"
            )
    return path


def _short(text: str, n_chars: int = 24) -> str:
    return text if len(text) <= n_chars + 3 else text[:n_chars] + "..."


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def check_output_path(path, *, what: str, extensions: tuple, inputs=()) -> Path:
    """Check a path the tool is about to write, before any work is done.

    The one check behind every output option (``-o``, ``--out``,
    ``--record``, ``--plot``, ...), so they all report the same way.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written.
    what : str
        How the message names it, e.g. ``"-o"`` or ``"track"``.
    extensions : tuple of str
        Allowed lower-case extensions with the dot, e.g. ``(".wav", ".flac")``.
    inputs : iterable of (str, os.PathLike or None)
        ``(option, path)`` pairs of the files the same run reads (e.g.
        ``("--mix", mix)``); writing over one of them is refused, because the
        input would be lost.  ``None`` paths are skipped.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If ``path`` is not a path, has another extension, has a name longer
        than :data:`MAX_NAME_BYTES` bytes, names a folder or one of the
        ``inputs``, or its folder does not exist or is not writable.

    Examples
    --------
    >>> check_output_path("take.mp3", what="-o", extensions=(".wav", ".flac"))
    Traceback (most recent call last):
    ...
    stimgen.errors.ParameterError: -o 'take.mp3' has '.mp3'; it must end in .wav or .flac
    >>> check_output_path("mix.wav", what="-o", extensions=(".wav",), inputs=[("--mix", "mix.wav")])
    Traceback (most recent call last):
    ...
    stimgen.errors.ParameterError: -o 'mix.wav' is also the --mix file; writing it would replace that input: choose another output name
    """
    path = check_path_names(path, what=what)
    allowed = " or ".join(extensions)
    if path.suffix.lower() not in extensions:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise ParameterError(f"{what} '{path}' has {shown}; it must end in {allowed}")
    for option, source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise ParameterError(
                f"{what} '{path}' is also the {option} file; writing it would replace that input: choose another "
                "output name"
            )
    folder = path.parent
    if not folder.is_dir():
        raise ParameterError(f"{what} '{path}': the folder '{folder}' does not exist; create it first")
    if path.is_dir():
        raise ParameterError(f"{what} '{path}' is a folder; give a file name ending in {allowed}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParameterError(f"{what} '{path}': the folder '{folder}' is not writable")
    return path


def _check_track(path, y, sr, bit_depth) -> tuple[Path, np.ndarray]:
    path = check_output_path(path, what="track", extensions=TRACK_EXTENSIONS)
    if isinstance(sr, bool) or sr not in TRACK_SAMPLE_RATES:
        raise ParameterError(f"sr={sr!r} is not allowed for a track; choose one of 44100, 48000")
    if isinstance(bit_depth, bool) or bit_depth not in TRACK_BIT_DEPTHS:
        raise ParameterError(f"bit_depth={bit_depth!r} is not allowed for a track; choose one of 16, 24")
    try:
        arr = check_audio(y, name="y", max_abs=1.0, n_channels=2, sr=sr,
                          hint="run stimgen.mastering.master first")
    except _ModelParameterError as exc:
        message = str(exc)
        if "shape" in message:
            message += " (a track is stereo: duplicate a mono signal with np.stack([y, y]) if that is meant)"
        raise ParameterError(message) from None
    return path, arr


def write_track(path, y, *, sr: int, bit_depth: int = 16, sidecar: dict | None = None) -> Path:
    """Write a stereo track and its JSON sidecar.

    The sidecar (``path`` with suffix ``.json``, keys sorted, indent 2,
    UTF-8) holds the caller's ``sidecar`` entries plus an ``"audio"`` entry
    with the file name, ``sr``, ``bit_depth``, ``n_channels``, ``n_samples``
    and ``duration_s``.  It is always written, so a stale sidecar of an
    earlier track never stays beside new audio.

    Both files are written completely under temporary names, then renamed
    into place, the sidecar first and the audio second.  If anything fails
    before the renames, existing files are untouched and no new file
    remains; only a failure of the audio rename itself (which does not copy
    data) could leave a new sidecar beside the old audio.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file ending in ``.wav`` or ``.flac`` (any case); its folder must
        exist.  An existing file is replaced.
    y : array_like, shape (2, n_samples)
        Stereo samples in [-1, 1], time on the last axis (mono is refused:
        duplicate it explicitly if that is meant).
    sr : int
        Sample rate in Hz: 44100 or 48000.
    bit_depth : int
        16 or 24 (PCM; TPDF dither is not applied).
    sidecar : dict or None
        JSON-serialisable metadata (finite numbers only) without the key
        ``"audio"``.

    Returns
    -------
    pathlib.Path
        The audio path written.

    Raises
    ------
    ParameterError
        If the extension, folder, ``sr``, ``bit_depth``, shape or values of
        ``y`` are not allowed, if ``sidecar`` is not a JSON-serialisable dict
        or uses the key ``"audio"``, or if a file cannot be written (the
        message names the file).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> y = 0.1 * np.ones((2, 4800))
    >>> write_track(os.path.join(folder, "t.flac"), y, sr=48000, bit_depth=24, sidecar={"preset": "calm"}).name
    't.flac'
    >>> read_sidecar(os.path.join(folder, "t.flac"))["audio"]["bit_depth"]
    24
    """
    path, arr = _check_track(path, y, sr, bit_depth)
    if sidecar is None:
        sidecar = {}
    if not isinstance(sidecar, dict):
        raise ParameterError(f"sidecar={type(sidecar).__name__} must be a dict or None")
    if SIDECAR_AUDIO_KEY in sidecar:
        raise ParameterError(f"sidecar key '{SIDECAR_AUDIO_KEY}' is reserved for the facts about the audio file")
    n_samples = int(arr.shape[1])
    content = dict(sidecar)
    content[SIDECAR_AUDIO_KEY] = {
        "file": path.name,
        "sr": int(sr),
        "bit_depth": int(bit_depth),
        "n_channels": int(arr.shape[0]),
        "n_samples": n_samples,
        "duration_s": n_samples / sr,
    }
    try:
        text = json.dumps(content, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"sidecar cannot be written as JSON ({exc}); use str, numbers, lists and dicts") from None
    json_path = sidecar_path(path)
    ext = path.suffix.lower()
    from resonance.io.audio import write_audio  # (soxr and the reading code: not needed to stream a track)

    try:
        with atomic_path(path, suffix=f".tmp{ext}") as tmp_audio:
            write_audio(tmp_audio, arr, sr=sr, subtype=TRACK_BIT_DEPTHS[bit_depth])
            with atomic_path(json_path, suffix=".tmp.json") as tmp_json:
                tmp_json.write_text(text, encoding="utf-8")
    except (ResonanceError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ParameterError(f"track '{path}' cannot be written ({reason}); existing files are unchanged") from None
    return path


def read_sidecar(path) -> dict:
    """Read the JSON sidecar of a track.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file (or the sidecar itself); the sidecar is ``path`` with
        suffix ``.json``.

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        If the sidecar does not exist, cannot be read, or is not a JSON
        object.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> track = os.path.join(tempfile.mkdtemp(), "t.wav")
    >>> _ = write_track(track, np.zeros((2, 100)), sr=44100, sidecar={"seed": 3})
    >>> read_sidecar(track)["seed"]
    3
    """
    json_path = sidecar_path(path)
    try:
        text = json_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"sidecar '{json_path}' cannot be read ({exc.strerror or exc})") from None
    try:
        content = json.loads(text)
    except ValueError as exc:
        raise ParameterError(f"sidecar '{json_path}' is not valid JSON ({exc})") from None
    if not isinstance(content, dict):
        raise ParameterError(f"sidecar '{json_path}' holds a {type(content).__name__}; expected a JSON object")
    return content


def estimate_track_bytes(n_frames: int, *, n_channels: int = 2, bit_depth: int = 16) -> int:
    """Upper estimate of a track's size in bytes: the PCM data plus 1 MB of headers and slack.

    FLAC is usually smaller, but noise-like audio barely compresses, so the
    PCM size is the estimate for both formats.
    """
    return int(n_frames) * int(n_channels) * (int(bit_depth) // 8) + 2**20


def check_disk_space(path, *, n_frames: int, sr: int, n_channels: int = 2, bit_depth: int = 16) -> None:
    """Refuse up front a track that would not fit on the disk of ``path``'s folder.

    Raises
    ------
    ParameterError
        If :func:`estimate_track_bytes` exceeds the free space (the message
        gives both and the longest track that fits).
    """
    import shutil

    path = Path(path)
    try:
        free = shutil.disk_usage(path.parent if str(path.parent) else ".").free
    except OSError:
        return
    need = estimate_track_bytes(n_frames, n_channels=n_channels, bit_depth=bit_depth)
    if need > free:
        per_s = n_channels * (bit_depth // 8) * sr
        longest_min = max(0.0, (free - 2**20) / per_s / 60.0)
        raise ParameterError(
            f"'{path}': {n_frames / sr / 60:.1f} minutes at {sr} Hz, {bit_depth} bit need about "
            f"{need / 2**20:.0f} MB, but the disk holding '{path.parent}' has only {free / 2**20:.0f} MB free; "
            f"allowed here: up to about {longest_min:.0f} minutes (or free space, or write elsewhere)"
        )


#: 1.5 * 2 ** 52: a double of this size has no fraction bits, so adding it rounds to an integer (nearest,
#: halves to even) held in the low bits of the sum (|x| < 2 ** 51).
_ROUNDING_OFFSET = 1.5 * 2.0**52


def _to_int(y: np.ndarray, scale: float, dtype, *, full_scale: bool = True) -> np.ndarray:
    """Samples (2, m) in [-1, 1] as integers (m, 2) for libsndfile, the very values it writes from floats.

    libsndfile (1.2, FLAC) rounds ``y * scale`` to the nearest integer
    (``lrint``: halves to even) and clips at ``scale - 1``, with ``scale`` =
    2 ** (bits - 1); 24-bit samples are passed as int32 in the top 24 bits.
    ``tests/test_generate.py`` checks that the files are byte for byte those
    written from the floats.  ``full_scale``: some ``y * scale`` may round
    to ``scale`` (``max |y| >= (scale - 1/2) / scale``; else the clip is
    skipped).
    """
    if dtype is np.int16 and sys.byteorder == "little":
        # y * scale rounded by one addition: y + 1.5 * 2 ** 52 / scale lies where the doubles are the
        # multiples of 1 / scale (scale is a power of two), so the sum is y rounded to the nearest of them,
        # halves to even (rint(y * scale) / scale, exactly), and the low 16 bits of the double hold that
        # multiple as an integer (two's complement): read as int16, with no multiplication, rint pass or
        # float-to-int conversion.
        if full_scale:  # only values rounding to +scale need the clip (before rounding: the same integers)
            work = np.minimum(y, (scale - 1.0) / scale)
            work += _ROUNDING_OFFSET / scale
        else:
            work = np.add(y, _ROUNDING_OFFSET / scale)  # in y's (2, m) order: a contiguous pass
        low = work.view(np.int16)[:, ::4]  # the lowest 16 bits of each double (little-endian)
        out = np.empty(work.shape[::-1], dtype=np.int16)
        for channel in range(work.shape[0]):
            out[:, channel] = low[channel]
        return out
    work = np.multiply(y, scale)  # in y's (2, m) order: contiguous passes
    np.rint(work, out=work)
    if full_scale:  # |y| <= 1 was checked; only values rounding to +scale need the clip
        np.minimum(work, scale - 1.0, out=work)
    if dtype is not np.int16:
        work *= 256.0  # the top 24 bits of an int32 (exact: a power of two, at most 2 ** 31 in size)
    # Interleaved (m, 2) in C order, as libsndfile takes it: one row at a time (numpy's copy of the
    # whole transpose walks memory far less kindly, 3x the time), cast to integers on the way (exact:
    # the values are whole numbers in the type's range), so there is no integer temporary.
    out = np.empty(work.shape[::-1], dtype=dtype)
    for channel in range(work.shape[0]):
        out[:, channel] = work[channel]
    return out


class _BufferedSink:
    """A file opened for libsndfile's virtual I/O (soundfile's file-object mode), through a write buffer.

    libsndfile calls these methods from C; an :class:`OSError` (a full disk)
    is kept in :attr:`error` and reported as a failed write (0 bytes, or -1
    for a seek), not raised inside the C callback, where it would be printed
    and lost; :class:`TrackWriter` then raises it as a user error.
    """

    def __init__(self, path):
        self.file = open(path, "wb", buffering=FLAC_BUFFER_BYTES)  # noqa: SIM115 - closed by TrackWriter
        self.error = None
        # libFLAC asks for the position after every frame: the buffered file's own method (no Python frame;
        # it reads a counter, no system call).
        self.tell = self.file.tell

    def write(self, data) -> int:
        try:
            return self.file.write(data)
        except OSError as exc:
            self.error = self.error or exc
            return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        try:
            return self.file.seek(offset, whence)
        except OSError as exc:
            self.error = self.error or exc
            return -1

    def close(self) -> None:
        """Flush and close the file (an :class:`OSError` of the flush is raised)."""
        self.file.close()
        if self.error is not None:
            raise self.error


class TrackWriter:
    """Write a stereo track section by section, then publish it with its sidecar atomically.

    The audio goes to a temporary file next to ``path``
    (:func:`resonance.io.atomic.atomic_path`); :meth:`close` writes the
    sidecar and renames both into place (sidecar first, as
    :func:`write_track`).  Leaving the ``with`` block without :meth:`close`
    (an error, Ctrl-C) removes the temporary file and leaves existing files
    untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file ending in ``.wav`` or ``.flac``.
    sr : int
        44100 or 48000.
    bit_depth : int
        16 or 24.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with TrackWriter(os.path.join(folder, "t.wav"), sr=48000, bit_depth=16) as w:
    ...     w.write(0.1 * np.ones((2, 4800)))
    ...     w.write(0.1 * np.ones((2, 4800)))
    ...     path = w.close({"preset": "calm"})
    >>> read_sidecar(os.path.join(folder, "t.wav"))["audio"]["n_samples"]
    9600
    """

    def __init__(self, path, *, sr: int, bit_depth: int = 16):
        self.path = check_output_path(path, what="track", extensions=TRACK_EXTENSIONS)
        if isinstance(sr, bool) or sr not in TRACK_SAMPLE_RATES:
            raise ParameterError(f"sr={sr!r} is not allowed for a track; choose one of 44100, 48000")
        if isinstance(bit_depth, bool) or bit_depth not in TRACK_BIT_DEPTHS:
            raise ParameterError(f"bit_depth={bit_depth!r} is not allowed for a track; choose one of 16, 24")
        self.sr, self.bit_depth = int(sr), int(bit_depth)
        self.n_frames = 0
        self._stack = None
        self._file = None
        self._sink = None
        self._int_scale, self._int_type = None, None
        self._closed = False

    def __enter__(self):
        import soundfile as sf

        self._stack = contextlib.ExitStack()
        ext = self.path.suffix.lower()
        try:
            self._tmp = self._stack.enter_context(atomic_path(self.path, suffix=f".tmp{ext}"))
            # FLAC: the samples are made integers here (as libsndfile would, bit for bit: ``_to_int``),
            # which halves the cost of the encode; WAV takes the floats (libsndfile's conversion is cheap).
            flac = ext == ".flac"
            self._int_scale = None if not flac else float(1 << (self.bit_depth - 1))
            self._int_type = np.int16 if self.bit_depth == 16 else np.int32
            # FLAC through a buffered file (FLAC_BUFFER_BYTES: few system calls); WAV (a few large writes)
            # to the path.
            self._sink = _BufferedSink(self._tmp) if flac else None
            self._file = sf.SoundFile(self._tmp if self._sink is None else self._sink, "w", samplerate=self.sr,
                                      channels=2, subtype=TRACK_BIT_DEPTHS[self.bit_depth], format=ext[1:].upper(),
                                      **flac_options(ext))
        except (OSError, RuntimeError) as exc:
            self._close_sink()
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise ParameterError(f"track '{self.path}' cannot be written ({exc}); existing files are unchanged") from None
        return self

    def _close_sink(self) -> None:
        """Close the buffered file of a track that will not be published (errors ignored: it is removed)."""
        if self._sink is not None and not self._sink.file.closed:
            with contextlib.suppress(OSError):
                self._sink.close()

    def write(self, y, *, peak: float | None = None) -> None:
        """Append stereo samples, shape (2, m), in [-1, 1].

        ``peak``: ``max |y|`` exactly, if the caller has it (the mastering's
        :attr:`~stimgen.mastering.StreamMaster.block_peak`), so that it is not
        measured again; None: measured here.
        """
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] != 2:
            raise ParameterError(f"y has shape {arr.shape}; a track section must have shape (2, n_samples)")
        if peak is None:
            # max |y| from the extremes (no temporary); NaN if any sample is NaN, inf if any is infinite.
            peak = max(float(arr.max()), -float(arr.min())) if arr.size else 0.0
        if not peak <= 1.0:
            raise ParameterError("a track section holds samples outside [-1, 1] or NaN/inf (master it first)")
        try:
            self._file.write(arr.T if self._int_scale is None
                             else _to_int(arr, self._int_scale, self._int_type,
                                     full_scale=peak * self._int_scale >= self._int_scale - 0.5))
        except (OSError, RuntimeError, AssertionError) as exc:  # soundfile asserts on a short write
            exc = exc if self._sink is None or self._sink.error is None else self._sink.error
            raise ParameterError(f"track '{self.path}' cannot be written ({exc}); existing files are unchanged") from None
        self.n_frames += arr.shape[1]

    def close(self, sidecar: dict | None = None) -> Path:
        """Finish the audio, write the sidecar, and rename both into place."""
        content = dict(sidecar or {})
        if SIDECAR_AUDIO_KEY in content:
            raise ParameterError(f"sidecar key '{SIDECAR_AUDIO_KEY}' is reserved for the facts about the audio file")
        content[SIDECAR_AUDIO_KEY] = {"file": self.path.name, "sr": self.sr, "bit_depth": self.bit_depth,
                                      "n_channels": 2, "n_samples": self.n_frames,
                                      "duration_s": self.n_frames / self.sr}
        try:
            text = json.dumps(content, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"sidecar cannot be written as JSON ({exc}); use str, numbers, lists and dicts") from None
        try:
            try:
                self._file.close()
            finally:
                if self._sink is not None:
                    self._sink.close()  # the buffer's last bytes (a full disk raises here)
            with atomic_path(sidecar_path(self.path), suffix=".tmp.json") as tmp_json:
                tmp_json.write_text(text, encoding="utf-8")
            self._closed = True
            self._stack.close()  # renames the audio into place
        except (OSError, RuntimeError) as exc:
            exc = exc if self._sink is None or self._sink.error is None else self._sink.error
            raise ParameterError(f"track '{self.path}' cannot be written ({exc}); existing files are unchanged") from None
        return self.path

    def __exit__(self, exc_type, exc, tb):
        if self._closed:
            return False
        if self._file is not None and not self._file.closed:
            with contextlib.suppress(OSError, RuntimeError):
                self._file.close()
        self._close_sink()
        # Not closed: an error, Ctrl-C or a forgotten close(); the temporary file goes.
        self._stack.__exit__(exc_type or RuntimeError, exc or RuntimeError("track not closed"), tb)
        return False
