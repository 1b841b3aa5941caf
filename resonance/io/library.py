"""Scoring a music library: many files, one table, resumable, serial or on a Dask cluster.

:func:`score_files` scores a list of audio files with
:func:`resonance.score_file` and returns one row per file (a
:class:`pandas.DataFrame`; :func:`score_rows` returns the same rows as
dicts and needs neither pandas nor pyarrow unless ``out`` is Parquet).  With
``client=`` (a :class:`distributed.Client`) the files are scored on the
cluster's workers; without, one after the other in this process.  Both paths
run the same task function (:func:`score_task`), so they give the same rows.

Sharing the model.  The harmonics are computed (or read from the on-disk
cache) once, in the calling process, and sent to every worker once
(``client.scatter(harmonics, broadcast=True)``); each task receives the
worker's copy, so nothing is recomputed or pickled per file.  The pipeline
keeps its reference build-up per harmonics object
(:mod:`resonance.scorer`); each worker process keeps the first harmonics
object of each cache key it receives, so it sets the model up once, also
across runs on the same cluster.

Rows.  One flat row per file: ``file``, ``size_bytes``, ``mtime_s``
(modification time, s since the epoch), ``content_hash``
(:func:`content_hash`), ``duration_s``, ``score``, one ``metrics.<name>``
column per entry of :attr:`resonance.ScoreResult.metrics` and one ``arc.<name>``
per arc metric (built from each result, so new metrics become new columns),
``harmonics``, ``top_regions`` (``"region:share;..."``), ``score_units``,
``model_version`` (:data:`resonance.__version__`), ``model_config`` (a short
hash of the :class:`~resonance.ModelConfig`), ``connectome``,
``harmonics_key`` (the harmonics cache key), ``timeline`` (the file name
under ``timeline_dir``, if any) and ``error`` (``None``, or why the file
could not be scored; its other result columns are then empty).

Output and resuming.  With ``out=`` (``.parquet``, ``.csv`` or ``.jsonl``)
the table is written as results arrive: the whole file is rewritten
atomically (:func:`resonance.io.atomic.atomic_path`) when the first file
finishes, then at most every ``batch_s`` seconds (and never more often than ten times the last write
took, so rewriting costs at most about a tenth of the run), and once more
at the end -- also after Ctrl-C, so the file always holds every finished
file and is never half written.  A rerun with the same ``out`` keeps the
rows already there and skips every file whose row has no error, the same
``model_version``, ``model_config`` and ``harmonics_key``, the same size
and the same content hash (the file is hashed again to check).  Rows of
files not in this run are kept.

Failures.  A file that cannot be scored (any exception in its task, or a
worker that died on it more often than the cluster allows) gets a row with
its ``error``; the other files are scored.

Timelines.  With ``timeline_dir=`` every scored file's per-step timeline
(columns ``t_s``, ``sne``, ``absorbed``, ``neutral_power``, ``semantic``,
``mode_000`` ... one per harmonic: SNE energy per harmonic) is written as
one Parquet file per input, ``<stem>-<8 hex of the path hash>.parquet``, by
the worker that scored it (on a remote cluster the folder must be on a
shared file system).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import math
import os
import time
from pathlib import Path

from ..errors import DataFileError, ParameterError
from .atomic import atomic_path

__all__ = [
    "OUT_FORMATS",
    "HASH_NAME",
    "BATCH_S",
    "content_hash",
    "model_identity",
    "score_task",
    "read_table",
    "write_table",
    "score_rows",
    "score_files",
]

#: File formats of ``out`` (lower-case extensions).
OUT_FORMATS = (".parquet", ".csv", ".jsonl")

#: Hash of the file content: BLAKE2b with a 128-bit digest (``hashlib``).
HASH_NAME = "blake2b-128"

#: Default shortest interval between two rewrites of ``out`` (s); an
#: engineering choice: a Ctrl-C loses nothing either way, this only bounds
#: how stale the file is while the run goes on.
BATCH_S = 5.0

#: A rewrite of ``out`` waits at least this many times the last one took, so
#: rewriting a large table costs at most about 1 / (1 + this) of the run.
_REWRITE_RATIO = 10.0

#: Columns that hold text (the others are numbers), for reading CSV back.
_TEXT_COLUMNS = frozenset({
    "file", "content_hash", "harmonics", "top_regions", "reading", "score_units", "model_version",
    "model_config", "connectome", "harmonics_key", "timeline", "error",
})

#: Columns that identify the model: a row is reused only if all match.
_MODEL_COLUMNS = ("model_version", "model_config", "harmonics_key")

_CHUNK = 1 << 20


def content_hash(path) -> str:
    """Hash of a file's bytes, e.g. ``"blake2b-128:9f86d08..."``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        :data:`HASH_NAME`, a colon and 32 hex digits.

    Raises
    ------
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> content_hash(__file__).startswith("blake2b-128:")
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return f"{HASH_NAME}:{digest.hexdigest()}"


def model_identity(harmonics, config=None) -> dict:
    """The columns that say which model scored a row.

    Parameters
    ----------
    harmonics : resonance.Harmonics
    config : resonance.ModelConfig or None

    Returns
    -------
    dict
        ``model_version``, ``model_config`` (12 hex digits of the SHA-256 of
        the configuration), ``connectome`` and ``harmonics_key``.
    """
    from .. import __version__
    from ..config import ModelConfig

    cfg = (config or ModelConfig()).to_dict()
    text = json.dumps(cfg, sort_keys=True, default=repr)
    return {
        "model_version": __version__,
        "model_config": hashlib.sha256(text.encode()).hexdigest()[:12],
        "connectome": str(getattr(harmonics, "connectome_name", "")),
        "harmonics_key": harmonics_identity(harmonics),
    }


def harmonics_identity(harmonics) -> str:
    """The harmonics' cache key plus the entry regions and labels that sound uses.

    Two connectome files with the same weights share a cache key, but they
    can name different entry regions (``--entry-regions``) or labels; those
    change the scores, so they are part of the identity that resume and the
    per-worker model cache go by.
    """
    key = str(getattr(harmonics, "cache_key", "") or "")
    if not key:
        return ""
    extra = repr((getattr(harmonics, "entry_regions", None), tuple(getattr(harmonics, "region_labels", ()))))
    return f"{key}-{hashlib.sha256(extra.encode()).hexdigest()[:8]}"


def _timeline_name(path: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(path).stem) or "audio"
    return f"{stem}-{hashlib.blake2b(path.encode(), digest_size=4).hexdigest()}.parquet"


def _write_timeline(timeline: dict, target: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {name: np.asarray(timeline[name]) for name in ("t_s", "sne", "absorbed", "neutral_power", "semantic")}
    modes = np.asarray(timeline["mode_energy"])
    width = max(3, len(str(modes.shape[0] - 1)))
    for j in range(modes.shape[0]):
        columns[f"mode_{j:0{width}d}"] = modes[j]
    table = pa.table(columns)
    with atomic_path(target, suffix=".tmp.parquet") as tmp:
        pq.write_table(table, tmp)


def _flat_result(result) -> dict:
    summary = result.to_dict()
    row = {"duration_s": summary["duration_s"], "score": summary["score"]}
    for group in ("metrics", "arc"):
        for name, value in summary[group].items():
            row[f"{group}.{name}"] = value
    row["harmonics"] = summary["harmonics"]
    row["top_regions"] = ";".join(f"{r['region']}:{r['share']}" for r in summary["top_regions"])
    row["score_units"] = summary["score_units"]
    return row


def _file_facts(path: str) -> dict:
    facts = {"file": path, "size_bytes": None, "mtime_s": None, "content_hash": None}
    try:
        st = os.stat(path)
        facts["size_bytes"] = int(st.st_size)
        facts["mtime_s"] = float(st.st_mtime)
        if os.path.isfile(path):
            facts["content_hash"] = content_hash(path)
    except OSError:
        pass  # the scoring reports why the file cannot be read
    return facts


#: Harmonics objects by cache key, per process (each Dask worker has its own):
#: reusing the first object of a key loads the harmonics once per worker, not
#: once per file.  At most :data:`_MAX_MODELS` keys are kept (oldest dropped).
_MODELS: dict = {}
_MAX_MODELS = 2


def _worker_model(harmonics):
    key = harmonics_identity(harmonics)
    if not key:
        return harmonics
    if key not in _MODELS:
        while len(_MODELS) >= _MAX_MODELS:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = harmonics
    return _MODELS[key]


def score_task(path: str, harmonics, *, identity: dict, config=None, timeline_dir=None,
               return_timeline: bool = False, on_progress=None) -> dict:
    """Score one file into one row (the task run on a worker, or serially).

    Parameters
    ----------
    path : str
        Audio file.
    harmonics : resonance.Harmonics
    identity : dict
        :func:`model_identity` of ``harmonics`` and ``config``.
    config : resonance.ModelConfig or None
    timeline_dir : str or None
        Folder for the per-step timeline (Parquet), or ``None``.
    return_timeline : bool
        Also return the timeline arrays under the key ``"_timeline"``.
    on_progress : callable or None
        Passed to :func:`resonance.score_file`.

    Returns
    -------
    dict
        The row (see the module docstring).  Never raises for a bad file:
        the reason is in ``row["error"]``.
    """
    from .scoring import score_file

    harmonics = _worker_model(harmonics)
    row = _file_facts(path)
    row.update(identity)
    row["timeline"] = None
    row["error"] = None
    try:
        result = score_file(path, harmonics=harmonics, config=config, on_progress=on_progress)
        row.update(_flat_result(result))
        if timeline_dir is not None:
            name = _timeline_name(path)
            _write_timeline(result.timeline, Path(timeline_dir) / name)
            row["timeline"] = name
        if return_timeline:
            row["_timeline"] = result.timeline
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a library run
        message = " ".join(str(exc).split()) or type(exc).__name__
        row["error"] = message if path in message else f"'{path}': {message}"
    return row


# -- tables on disk ------------------------------------------------------------------


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in OUT_FORMATS:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise ParameterError(f"out '{path}' has {shown}; it must end in {' or '.join(OUT_FORMATS)}")
    return suffix


_HEAD = ("file", "size_bytes", "mtime_s", "content_hash", "duration_s", "score")
_TAIL = ("harmonics", "top_regions", "reading", "score_units", "model_version", "model_config", "connectome",
         "harmonics_key", "timeline", "error")


def _columns(rows) -> list[str]:
    """Union of the rows' keys: file facts and score, then metrics in order of appearance, then the rest."""
    columns: dict = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    middle = [c for c in columns if c not in _HEAD and c not in _TAIL]
    return [c for c in _HEAD if c in columns] + middle + [c for c in _TAIL if c in columns]


def _from_text(column: str, text: str):
    if text == "":
        return None
    if column in _TEXT_COLUMNS:
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if column == "size_bytes" else value


def read_table(path) -> list[dict]:
    """Rows of an output table written by :func:`write_table` (empty if it does not exist).

    Parameters
    ----------
    path : str or os.PathLike
        ``.parquet``, ``.csv`` or ``.jsonl``.

    Returns
    -------
    list of dict
        One dict per row; missing values are ``None``.

    Raises
    ------
    DataFileError
        If the file exists but cannot be read as a results table (it is then
        left alone: a run never overwrites a file it cannot read).
    """
    path = Path(path)
    fmt = _format_of(path)
    if not path.exists():
        return []
    try:
        if fmt == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        elif fmt == ".csv":
            with open(path, newline="", encoding="utf-8") as fh:
                rows = [{k: _from_text(k, v) for k, v in r.items()} for r in csv.DictReader(fh)]
        else:
            with open(path, encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(f"out '{path}' exists but is not a readable results table ({type(exc).__name__}: "
                            f"{exc}); move it away or choose another --out") from None
    if rows and not all(isinstance(r, dict) and "file" in r for r in rows):
        raise DataFileError(f"out '{path}' exists but has no 'file' column; it is not a results table of "
                            "stimgen score; move it away or choose another --out")
    return rows


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_table(rows: list[dict], path) -> Path:
    """Write rows atomically as Parquet, CSV or JSON lines (by extension).

    Columns are the union of the rows' keys, in order of first appearance;
    a missing value is a null (an empty CSV cell).

    Parameters
    ----------
    rows : list of dict
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If the extension is not one of :data:`OUT_FORMATS`.
    DataFileError
        If the file cannot be written (an existing file is then untouched).
    """
    path = Path(path)
    fmt = _format_of(path)
    columns = _columns(rows)
    full = [{c: _json_value(r.get(c)) for c in columns} for r in rows]
    try:
        if fmt == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            numeric = _numeric_columns(full, columns)
            schema = pa.Table.from_pylist(full).schema if full else None
            if schema is not None:  # metrics that are None for every row stay float columns (NaN), not null
                schema = pa.schema([pa.field(f.name, pa.float64()) if f.name in numeric else f for f in schema])
            table = pa.Table.from_pylist(full, schema=schema) if full else pa.table({})
            with atomic_path(path, suffix=".tmp.parquet") as tmp:
                pq.write_table(table, tmp)
        else:
            if fmt == ".csv":
                buf = io.StringIO()
                writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                for row in full:
                    writer.writerow({k: "" if v is None else v for k, v in row.items()})
                text = buf.getvalue()
            else:
                text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in full)
            with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    except OSError as exc:
        raise DataFileError(f"out '{path}' cannot be written ({exc.strerror or exc})") from None
    return path


# -- the run -------------------------------------------------------------------------


def _reusable(row: dict, path: str, identity: dict, timeline_dir) -> bool:
    if row.get("error") is not None or row.get("score") is None:
        return False
    if any(str(row.get(c)) != identity[c] for c in _MODEL_COLUMNS):
        return False
    if timeline_dir is not None and not (row.get("timeline") and (Path(timeline_dir) / row["timeline"]).is_file()):
        return False
    try:
        if os.path.getsize(path) != row.get("size_bytes"):
            return False
        return content_hash(path) == row.get("content_hash")
    except OSError:
        return False


@contextlib.contextmanager
def _interrupt_deferred():
    """Hold Ctrl-C (SIGINT) back until the block ends (main thread, POSIX; else no effect).

    A table write, and the bookkeeping of one finished file, then complete
    before the KeyboardInterrupt is raised, so what the caller reports as
    finished is what the file on disk holds.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Writer:
    """Rows by file, rewritten atomically to ``out`` in batches."""

    def __init__(self, out, rows, *, batch_s):
        self.out = None if out is None else Path(out)
        self.rows = {str(r["file"]): r for r in rows}
        self.batch_s = batch_s
        self.dirty = False
        self._last = -math.inf  # the first finished file is written at once
        self._cost = 0.0
        self._position: dict = {}

    def order(self, files) -> None:
        """Rows are written in the order of the table read back, then of ``files``."""
        self._position = {f: i for i, f in enumerate(self.rows)}
        for f in files:
            self._position.setdefault(f, len(self._position))

    def add(self, row: dict) -> None:
        self.rows[row["file"]] = row
        self.dirty = True
        if self.out is not None and time.monotonic() - self._last >= max(self.batch_s, _REWRITE_RATIO * self._cost):
            self.flush()

    def flush(self) -> None:
        if self.out is None or not self.dirty:
            return
        with _interrupt_deferred():
            start = time.monotonic()
            position = self._position
            ordered = sorted(self.rows.values(), key=lambda r: position.get(r["file"], len(position)))
            write_table(ordered, self.out)
            self._last = time.monotonic()
            self._cost = self._last - start
            self.dirty = False


def _in_flight(client) -> int:
    try:
        return max(2, 2 * sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a scheduler that does not answer: keep a small window
        return 4


def _require(module: str, what: str):
    """Import an optional package, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ParameterError(
            f"{what} needs the Python package '{module}', which is not installed; install it with "
            "pip install 'stimgen[library]'"
        ) from None


def score_files(paths, **kwargs):
    """Score many audio files, serially or on a Dask cluster, into one table.

    :func:`score_rows` as a :class:`pandas.DataFrame` (needs ``pandas``, in
    the ``library`` extra).

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        Audio files.
    **kwargs
        As for :func:`score_rows`.

    Returns
    -------
    pandas.DataFrame
        One row per input file, in input order; a missing value is NaN.

    Examples
    --------
    >>> from distributed import Client                            # doctest: +SKIP
    >>> client = Client("tcp://scheduler:8786")                   # doctest: +SKIP
    >>> table = score_files(files, client=client, out="lib.parquet")  # doctest: +SKIP
    >>> table.sort_values("score").tail()                         # doctest: +SKIP
    """
    pd = _require("pandas", "score_files")
    rows = score_rows(paths, **kwargs)
    frame = pd.DataFrame(rows)
    for column in _numeric_columns(rows, list(frame.columns)):
        frame[column] = frame[column].astype("float64")  # None -> NaN, whatever the other rows hold
    return frame


def _numeric_columns(rows, columns) -> set:
    """Columns whose values are all numbers or None (metrics a file may lack: None -> NaN)."""
    numeric = set()
    for column in columns:
        if not (column == "score" or column.startswith(("metrics.", "arc."))):
            continue
        values = [r.get(column) for r in rows]
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
            numeric.add(column)
    return numeric


def score_rows(paths, *, harmonics=None, connectome=None, config=None, client=None, out=None,
               timeline_dir=None, batch_s: float = BATCH_S, return_timelines: bool = False,
               on_plan=None, on_row=None, file_progress=None) -> list[dict]:
    """Score many audio files, serially or on a Dask cluster, into rows.

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        Audio files (a repeated file is scored once).
    harmonics : resonance.Harmonics or None
        Connectome harmonics; ``None`` loads ``connectome`` and computes (or
        reads from the cache) its default harmonics.
    connectome : str, os.PathLike or None
        Used only when ``harmonics`` is ``None`` (``None`` = the default).
    config : resonance.ModelConfig or None
        Model constants.
    client : distributed.Client or None
        Score on this cluster; ``None`` scores in this process.
    out : str, os.PathLike or None
        Results table (``.parquet``, ``.csv``, ``.jsonl``), written in batches
        and resumed (see the module docstring).
    timeline_dir : str, os.PathLike or None
        Existing folder for one timeline Parquet file per scored input.
    batch_s : float
        Shortest interval between two rewrites of ``out`` (s).
    return_timelines : bool
        Pass each result's timeline arrays to ``on_row``.
    on_plan : callable or None
        Called once as ``on_plan(n_to_score, n_skipped)`` before scoring.
    on_row : callable or None
        Called in this process as ``on_row(row, timeline)`` for each file
        scored (or failed), in the order they finish, before the row is
        stored; it may add columns to ``row``.  ``timeline`` is ``None``
        unless ``return_timelines``.
    file_progress : callable or None
        Serial runs only: ``file_progress(index, path)`` returns the
        ``on_progress`` callback of :func:`resonance.score_file` (or ``None``).

    Returns
    -------
    list of dict
        One row per input file, in input order (skipped files with their
        stored row).

    Raises
    ------
    ParameterError
        If ``out`` has an unsupported extension or ``timeline_dir`` is not a
        folder.
    DataFileError
        If ``out`` exists but is not a readable results table, or cannot be
        written.
    KeyboardInterrupt
        Passed on after ``out`` was written with every finished file and the
        outstanding tasks were cancelled.
    """
    if out is not None:
        out = Path(out)
        if _format_of(out) == ".parquet":
            _require("pyarrow", f"out '{out}' (Parquet)")
    if timeline_dir is not None:
        timeline_dir = Path(timeline_dir)
        if not timeline_dir.is_dir():
            raise ParameterError(f"timeline_dir '{timeline_dir}' is not an existing folder")
        _require("pyarrow", "timeline files (Parquet)")
    if not (isinstance(batch_s, (int, float)) and math.isfinite(batch_s) and batch_s >= 0):
        raise ParameterError(f"batch_s={batch_s!r} must be a number of seconds >= 0")
    if harmonics is None:
        from ..connectome import load_connectome
        from ..harmonics import connectome_harmonics

        harmonics = connectome_harmonics(load_connectome(connectome))

    files = list(dict.fromkeys(str(p) for p in paths))
    identity = model_identity(harmonics, config)
    writer = _Writer(out, read_table(out) if out is not None else [], batch_s=float(batch_s))
    writer.order(files)
    todo = [f for f in files if not (f in writer.rows and _reusable(writer.rows[f], f, identity, timeline_dir))]
    if on_plan is not None:
        on_plan(len(todo), len(files) - len(todo))
    task_kwargs = {"identity": identity, "config": config, "return_timeline": bool(return_timelines),
                   "timeline_dir": None if timeline_dir is None else str(timeline_dir)}

    def finish(row: dict) -> None:
        timeline = row.pop("_timeline", None)
        with _interrupt_deferred():  # reported and stored together
            if on_row is not None:
                on_row(row, timeline)
            writer.add(row)

    try:
        if client is None:
            for index, path in enumerate(todo):
                progress = file_progress(index, path) if file_progress is not None else None
                finish(score_task(path, harmonics, on_progress=progress, **task_kwargs))
        elif todo:
            _score_on_cluster(client, todo, harmonics, task_kwargs, finish)
    finally:
        writer.flush()
    return [writer.rows[f] for f in files if f in writer.rows]


def _score_on_cluster(client, todo, harmonics, task_kwargs, finish) -> None:
    from distributed import as_completed

    shared = client.scatter(harmonics, broadcast=True, hash=False)
    pending = iter(enumerate(todo))
    owner: dict = {}  # future key -> path, for the futures not finished yet
    live: dict = {}

    def submit(index, path):
        future = client.submit(score_task, path, shared, key=f"stimgen-score-{index}-{os.urandom(6).hex()}",
                               pure=False, **task_kwargs)
        owner[future.key] = path
        live[future.key] = future
        return future

    futures = [submit(i, p) for i, p in itertools.islice(pending, _in_flight(client))]
    queue = as_completed(futures)
    try:
        for future in queue:
            path = owner.pop(future.key)
            live.pop(future.key, None)
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the file gets an error row
                row = _file_facts(path)
                row.update(task_kwargs["identity"])
                row["timeline"] = None
                row["error"] = f"'{path}': the worker scoring it failed ({type(exc).__name__}: {exc})"
            finish(row)
            following = next(pending, None)
            if following is not None:
                queue.add(submit(*following))
    finally:
        if live:
            client.cancel(list(live.values()))
        client.cancel([shared])
