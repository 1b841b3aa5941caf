"""Recording a live session to WAV/FLAC as it plays, finished atomically.

The frames go into a temporary file beside the target
(:func:`resonance.io.atomic.atomic_path`, the project's one atomic-write
mechanism) while the session plays, so memory stays flat however long it
runs.  :meth:`Recorder.close` writes the JSON sidecar (same name, ``.json``,
like :func:`stimgen.io.write_track`) and then renames both into place, the
sidecar first; :meth:`Recorder.abort` removes the temporary file and leaves
any existing target untouched.  The PCM conversion is libsndfile's, the same
as :func:`stimgen.io.write_track`'s, so the same float samples give the same
file.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["check_record_path", "Recorder"]


def check_record_path(path) -> Path:
    """Check that ``path`` can take a recording (.wav or .flac in an existing folder).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        Naming the path and what is allowed.

    Examples
    --------
    >>> check_record_path("session.txt")
    Traceback (most recent call last):
    ...
    stimgen.errors.ParameterError: --record 'session.txt' has '.txt'; it must end in .wav or .flac
    """
    from ..io import TRACK_EXTENSIONS, check_output_path

    return check_output_path(path, what="--record", extensions=TRACK_EXTENSIONS)


class Recorder:
    """Write played frames to a WAV/FLAC file; publish it atomically at the end.

    Parameters
    ----------
    path : str or os.PathLike
        Target ``.wav`` or ``.flac`` file (its folder must exist).
    sr : int
        Sample rate in Hz (44100 or 48000).
    bit_depth : int
        16 or 24 (PCM).
    n_channels : int
        Channels of the frames.

    Attributes
    ----------
    n_frames : int
        Frames written so far.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "rec.flac")
    >>> rec = Recorder(path, sr=48000, bit_depth=24)
    >>> rec.write(np.zeros((4800, 2)))
    >>> rec.close({"preset": "x"}).name
    'rec.flac'
    """

    def __init__(self, path, *, sr: int, bit_depth: int = 24, n_channels: int = 2):
        self.path = Path(path)
        self.sr = sr
        self.bit_depth = bit_depth
        self.n_channels = n_channels
        self.n_frames = 0
        self._stack = None
        self._file = None

    def _open(self) -> None:
        import soundfile as sf

        from resonance.io.atomic import atomic_path
        from resonance.io.audio import WRITABLE_EXTENSIONS

        from ..io import TRACK_BIT_DEPTHS, TRACK_SAMPLE_RATES, flac_options

        path = check_record_path(self.path)
        if self.sr not in TRACK_SAMPLE_RATES:
            raise ParameterError(f"sr={self.sr!r} cannot be recorded; allowed: 44100, 48000")
        if self.bit_depth not in TRACK_BIT_DEPTHS:
            raise ParameterError(f"bit_depth={self.bit_depth!r} is not allowed; allowed: 16, 24")
        ext = path.suffix.lower()
        container = WRITABLE_EXTENSIONS[ext][0]
        stack = contextlib.ExitStack()
        try:
            tmp = stack.enter_context(atomic_path(path, suffix=f".tmp{ext}"))
            self._file = sf.SoundFile(str(tmp), "w", samplerate=self.sr, channels=self.n_channels,
                                      format=container, subtype=TRACK_BIT_DEPTHS[self.bit_depth],
                                      **flac_options(ext))
        except (OSError, RuntimeError, sf.LibsndfileError) as exc:
            stack.close()
            raise ParameterError(f"--record '{path}' cannot be written ({exc})") from None
        self._stack = stack

    def write(self, frames: np.ndarray) -> None:
        """Append frames, shape (n, n_channels), values in [-1, 1].

        Raises
        ------
        ParameterError
            If the file cannot be written (e.g. the disk is full).
        """
        if self._stack is None:
            self._open()
        try:
            self._file.write(frames)
        except (OSError, RuntimeError) as exc:
            raise ParameterError(f"--record '{self.path}' cannot be written ({exc})") from None
        self.n_frames += frames.shape[0]

    def close(self, sidecar: dict | None = None) -> Path:
        """Finish the file, write its sidecar, and move both into place.

        Parameters
        ----------
        sidecar : dict or None
            JSON-serialisable facts; an ``"audio"`` entry (file, sr,
            bit_depth, n_channels, n_samples, duration_s) is added.

        Returns
        -------
        pathlib.Path
            The recording.

        Raises
        ------
        ParameterError
            If nothing was recorded or a file cannot be written; the
            temporary file is then removed.
        """
        from resonance.io.atomic import atomic_path

        from ..io import SIDECAR_AUDIO_KEY, sidecar_path

        if self._stack is None:
            raise ParameterError(f"--record '{self.path}': nothing was played, so nothing was recorded")
        content = dict(sidecar or {})
        content[SIDECAR_AUDIO_KEY] = {
            "file": self.path.name, "sr": int(self.sr), "bit_depth": int(self.bit_depth),
            "n_channels": int(self.n_channels), "n_samples": int(self.n_frames),
            "duration_s": self.n_frames / self.sr,
        }
        try:
            self._file.close()
            text = json.dumps(content, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
            with atomic_path(sidecar_path(self.path), suffix=".tmp.json") as tmp_json:
                tmp_json.write_text(text, encoding="utf-8")
        except BaseException as exc:
            self._stack.__exit__(*sys.exc_info())
            self._stack = None
            if isinstance(exc, (OSError, TypeError, ValueError)):
                raise ParameterError(f"--record '{self.path}' cannot be written ({exc})") from None
            raise
        stack, self._stack = self._stack, None
        try:
            stack.close()  # renames the audio into place
        except OSError as exc:
            raise ParameterError(f"--record '{self.path}' cannot be written ({exc.strerror or exc})") from None
        return self.path

    def abort(self) -> None:
        """Remove the temporary file; any existing target stays as it was."""
        if self._stack is None:
            return
        with contextlib.suppress(Exception):
            self._file.close()
        err = RuntimeError("recording aborted")
        self._stack.__exit__(RuntimeError, err, None)
        self._stack = None
