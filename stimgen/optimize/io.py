"""Files of the optimizer: the checkpoint log, BEST.toml, the JSON report, connectome CSVs.

Every file is created through :func:`resonance.io.atomic.atomic_path` (a
temporary file renamed into place), so a reader never sees a half-written
one.  The checkpoint is then *appended to*, one JSON line per evaluation,
flushed and synced to disk before the next evaluation starts.

Checkpoint format (JSON Lines)
------------------------------
Line 1 is a header ``{"format": "stimgen-optimize-checkpoint", "version": 1,
"settings": {...}}``: everything that decides which candidates a run asks
for and what they score (stimgen and resonance versions, connectome and its
harmonics, duration, loudness, seed, budget, method, search space, consonance
floor).  Each further line is one evaluation: ``{"key": SHA-256 of the
candidate preset, "score": ..., "consonance": ..., "error": ...}``.

Resuming (:meth:`EvaluationLog.open`) reads the log back; the search is
replayed with the same seed and takes logged results instead of
re-evaluating, so it reaches the same result as an uninterrupted run.  A
last line cut short or garbled by an interruption is dropped (and cut from
the file); a damaged line before the end, a file that is not a checkpoint,
or a checkpoint written with other settings is refused with a message naming
the file and what differs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path

import numpy as np

from resonance.io.atomic import atomic_path

from ..errors import ParameterError

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "EvaluationLog",
    "write_text_atomic",
    "write_json_atomic",
    "json_text",
    "publish_texts",
    "write_connectome_csv",
]

#: Value of ``"format"`` in a checkpoint header.
CHECKPOINT_FORMAT = "stimgen-optimize-checkpoint"

#: Layout version of the checkpoint.
CHECKPOINT_VERSION = 1


def _canonical(value):
    """JSON round trip: the form settings take once written and read back."""
    return json.loads(json.dumps(value, sort_keys=True, allow_nan=False))


class EvaluationLog:
    """Append-only log of evaluations, keyed by candidate (the checkpoint).

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file (``.jsonl``).
    settings : dict
        JSON-serialisable settings of the run; a log with other settings is
        refused.

    Examples
    --------
    >>> log = EvaluationLog("run.checkpoint.jsonl", settings={"seed": 0})  # doctest: +SKIP
    >>> n_loaded = log.open()                                              # doctest: +SKIP
    >>> log.append("ab12...", {"score": 1.5, "consonance": 0.1})           # doctest: +SKIP
    """

    def __init__(self, path, *, settings: dict):
        self.path = Path(path)
        self.settings = settings
        self.entries_: dict = {}
        self._file = None

    def open(self, *, fresh: bool = False) -> int:
        """Open the log: resume an existing one, or create it.

        Parameters
        ----------
        fresh : bool
            Ignore (replace) an existing log.

        Returns
        -------
        int
            Number of evaluations read back from an existing log.

        Raises
        ------
        ParameterError
            If the existing file is not a checkpoint, is damaged before its
            last line, or was written with other settings; or if the file
            cannot be written.
        """
        settings = _canonical(self.settings)
        self.entries_ = {}
        if self.path.exists() and not fresh:
            good_end = self._read(settings)
            try:
                with open(self.path, "r+b") as fh:
                    fh.truncate(good_end)
            except OSError as exc:
                raise ParameterError(f"checkpoint '{self.path}' cannot be written ({exc.strerror})") from None
        else:
            header = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "settings": settings}
            try:
                with atomic_path(self.path, suffix=".tmp.jsonl") as tmp:
                    tmp.write_text(json.dumps(header, sort_keys=True) + "\n", encoding="utf-8")
            except OSError as exc:
                raise ParameterError(f"checkpoint '{self.path}' cannot be written ({exc.strerror})") from None
        try:
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise ParameterError(f"checkpoint '{self.path}' cannot be written ({exc.strerror})") from None
        return len(self.entries_)

    def _read(self, settings: dict) -> int:
        """Read header and entries; return the byte offset after the last good line."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ParameterError(f"checkpoint '{self.path}' cannot be read ({exc.strerror})") from None
        lines = data.split(b"\n")
        offsets = np.cumsum([len(line) + 1 for line in lines])
        try:
            header = json.loads(lines[0].decode("utf-8"))
            ok = isinstance(header, dict) and header.get("format") == CHECKPOINT_FORMAT
        except (UnicodeDecodeError, json.JSONDecodeError):
            ok = False
        if not ok or len(lines) < 2:
            raise ParameterError(
                f"checkpoint '{self.path}' is not a stimgen optimize checkpoint (bad first line); "
                "delete it, pass another --checkpoint, or use --fresh to replace it"
            )
        if not isinstance(header.get("settings"), dict):
            raise ParameterError(
                f"checkpoint '{self.path}' is damaged: its header's settings are a "
                f"{type(header.get('settings')).__name__}, not a JSON object; delete it or use --fresh to start over"
            )
        if header.get("version") != CHECKPOINT_VERSION or header.get("settings") != settings:
            raise ParameterError(f"checkpoint '{self.path}' {_differences(header, settings)}")
        good_end = int(offsets[0])
        complete = lines[1:-1]  # the text after the final newline is a partial line
        for k, raw in enumerate(complete):
            if not raw.strip():
                good_end = int(offsets[k + 1])
                continue
            try:
                entry = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
                key = entry["key"]
                result = {"score": entry["score"], "consonance": entry["consonance"], "error": entry.get("error")}
                _check_entry(key, result)
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError):
                if k == len(complete) - 1:
                    break  # a damaged last line: dropped
                raise ParameterError(
                    f"checkpoint '{self.path}' is damaged at line {k + 2} (of {len(complete) + 1}); "
                    "delete it or use --fresh to start over"
                ) from None
            if result["error"] is None:
                del result["error"]
            self.entries_[key] = result
            good_end = int(offsets[k + 1])
        return good_end

    def get(self, key: str):
        """The logged result of a candidate, or ``None``."""
        return self.entries_.get(key)

    def append(self, key: str, result: dict) -> None:
        """Log one evaluation; the line is on disk when this returns."""
        entry = {
            "key": key,
            "score": result.get("score"),
            "consonance": result.get("consonance"),
            "error": result.get("error"),
        }
        self.entries_[key] = {k: v for k, v in entry.items() if k != "key" and (k != "error" or v is not None)}
        if self._file is None:
            return
        try:
            self._file.write(json.dumps(entry, sort_keys=True, allow_nan=False) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise ParameterError(f"checkpoint '{self.path}' cannot be written ({exc.strerror})") from None

    def close(self) -> None:
        """Close the file (the log stays on disk)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        """Close and delete the log (after a finished run)."""
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ParameterError(f"checkpoint '{self.path}' cannot be removed ({exc.strerror})") from None


def _refuse_constant(name: str):
    """JSON readers accept ``NaN`` and ``Infinity``; a checkpoint may not hold them."""
    raise ValueError(f"{name} is not a finite number")


def _finite_or_none(value) -> bool:
    if value is None:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_entry(key, result: dict) -> None:
    """Refuse an entry of the wrong shape (``TypeError``) or with non-finite numbers (``ValueError``)."""
    if not isinstance(key, str) or not key:
        raise TypeError("key must be a non-empty string")
    if not _finite_or_none(result["score"]) or not _finite_or_none(result["consonance"]):
        raise TypeError("score and consonance must be finite numbers or null")
    if result["error"] is not None and not isinstance(result["error"], str):
        raise TypeError("error must be a string or null")
    if result["score"] is None and result["error"] is None:
        raise TypeError("an entry without a score must say its error")


def _differences(header: dict, settings: dict) -> str:
    old = header.get("settings") or {}
    if header.get("version") != CHECKPOINT_VERSION:
        return (f"has layout version {header.get('version')!r}, this stimgen writes {CHECKPOINT_VERSION}; "
                "delete it or use --fresh to start over")
    parts = []
    for key in sorted(set(old) | set(settings)):
        a, b = old.get(key), settings.get(key)
        if a == b:
            continue
        if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
            parts.append(f"{key} differs")
        else:
            parts.append(f"{key}={a!r} there, {b!r} here")
    return (
        "was written by a run with other settings (" + "; ".join(parts) + "); rerun with the same settings to "
        "resume, or pass --fresh to start over (the checkpoint is replaced)"
    )


def write_text_atomic(path, text: str) -> Path:
    """Write a text file atomically (UTF-8).

    Raises
    ------
    ParameterError
        If the file cannot be written (the message names it).
    """
    path = Path(path)
    try:
        with atomic_path(path, suffix=".tmp" + path.suffix) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"'{path}' cannot be written ({exc.strerror or exc}); an existing file is unchanged") from None
    return path


def json_text(path, data: dict) -> str:
    """``data`` as the text of a JSON document (sorted keys, indent 2, finite numbers only).

    Raises
    ------
    ParameterError
        If ``data`` cannot be written as strict JSON (the message names ``path``).
    """
    try:
        return json.dumps(data, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"'{path}' cannot be written as JSON ({exc}); no file was written") from None


def publish_texts(texts: dict, *, before_rename=None) -> list:
    """Write several text files as one: all of them, or none.

    Every file is first written completely under a temporary name in its
    folder; ``before_rename`` (if given) then runs (e.g. writing a track);
    only when all of that succeeded are the files renamed into place.  On
    any error the temporary files are removed and existing files are
    unchanged.

    Parameters
    ----------
    texts : dict of path -> str
        Files and their UTF-8 contents.
    before_rename : callable or None
        Called with no arguments after the temporary files are written.

    Returns
    -------
    list of pathlib.Path
        The paths written, in the order given.

    Raises
    ------
    ParameterError
        If a file cannot be written (the message names it).
    """
    paths = [Path(p) for p in texts]
    current = None
    try:
        with contextlib.ExitStack() as stack:
            for path, text in zip(paths, texts.values()):
                current = path
                tmp = stack.enter_context(atomic_path(path, suffix=".tmp" + path.suffix))
                tmp.write_text(text, encoding="utf-8")
            current = None
            if before_rename is not None:
                before_rename()
    except OSError as exc:
        name = current if current is not None else (exc.filename or paths[0])
        raise ParameterError(f"'{name}' cannot be written ({exc.strerror or exc}); existing files are unchanged") from None
    return paths


def write_json_atomic(path, data: dict) -> Path:
    """Write a JSON document atomically (sorted keys, indent 2, finite numbers only).

    Raises
    ------
    ParameterError
        If the data cannot be written as JSON or the file cannot be written.
    """
    try:
        text = json.dumps(data, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"'{path}' cannot be written as JSON ({exc})") from None
    return write_text_atomic(path, text)


def write_connectome_csv(path, connectome) -> Path:
    """Write a connectome's weights as a CSV matrix with a header row of labels.

    :func:`resonance.load_connectome` reads it back; when the labels name
    the default mesh's regions, the mesh is attached again.

    Parameters
    ----------
    path : str or os.PathLike
        Output ``.csv`` file.
    connectome : resonance.Connectome

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If the path does not end in ``.csv`` or cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ParameterError(f"connectome file '{path}' must end in .csv")
    weights = np.asarray(connectome.weights, dtype=float)
    rows = [",".join(connectome.region_labels)]
    rows.extend(",".join(repr(float(v)) for v in row) for row in weights)
    return write_text_atomic(path, "\n".join(rows) + "\n")
