"""Reading connectome and cortical-mesh files.

Everything that touches a connectome file on disk lives here, so that
:mod:`resonance.connectome` and :mod:`resonance.harmonics` work on arrays only.
The readers parse the files and check their *form* (can the text be read, does
every row have the same length, is the file empty or cut short); the *content*
(square, finite, non-negative, labels of the right length) is checked by
:func:`resonance.connectome.connectome_from_arrays`.

Supported sources
-----------------
* The default data of the PyPI package ``tvb-data`` (GPL-3.0-or-later), found
  through :mod:`importlib.resources`: ``connectivity/connectivity_76.zip``,
  ``surfaceData/cortex_16384.zip`` and
  ``regionMapping/regionMapping_16k_76.txt``.
* A TVB-style connectivity, zipped or as a folder: ``weights.txt`` (required),
  ``tract_lengths.txt``, ``centres.txt`` (``label x y z`` per line, further
  fields ignored) and
  ``hemispheres.txt`` (1 for right, 0 for left, the TVB convention), each
  possibly bz2-compressed (``*.txt.bz2``) and possibly in a sub-folder of the
  zip.
* A square weight matrix: ``.npy`` (loaded with ``allow_pickle=False``),
  ``.csv`` (comma-separated, optional header row and/or first column of
  labels), or ``.txt``/``.tsv`` (whitespace-separated, same label rules).
* A label file for a matrix: one label per line.

Every problem is reported as :class:`resonance.errors.DataFileError` with a
message that names the file and the problem; no raw NumPy or ``zipfile``
traceback reaches the caller.
"""

from __future__ import annotations

import bz2
import csv
import importlib.resources
import io
import tokenize
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataFileError

__all__ = [
    "DEFAULT_CONNECTIVITY_FILE",
    "DEFAULT_SURFACE_FILE",
    "DEFAULT_REGION_MAPPING_FILE",
    "MAX_FILE_BYTES",
    "MATRIX_EXTENSIONS",
    "NPY_MAX_HEADER_BYTES",
    "ConnectomeFileData",
    "MeshFileData",
    "tvb_data_file",
    "read_connectome_file",
    "read_tvb_connectivity",
    "read_weight_matrix",
    "read_labels",
    "read_tvb_surface",
    "read_region_mapping",
    "read_default_mesh",
]

#: Default connectivity inside the ``tvb_data`` package: 76 regions of the
#: CoCoMac-derived macaque-to-human parcellation (Kötter & Wanke 2005; Bezgin
#: et al. 2012), shipped by The Virtual Brain (Sanz Leon et al. 2013).
DEFAULT_CONNECTIVITY_FILE = ("connectivity", "connectivity_76.zip")

#: Default cortical surface inside ``tvb_data``: 16,384 vertices (8,192 per
#: hemisphere), 32,760 triangles, mean edge length about 4 mm.
DEFAULT_SURFACE_FILE = ("surfaceData", "cortex_16384.zip")

#: Region of each vertex of :data:`DEFAULT_SURFACE_FILE`, as indices into the
#: regions of :data:`DEFAULT_CONNECTIVITY_FILE`.
DEFAULT_REGION_MAPPING_FILE = ("regionMapping", "regionMapping_16k_76.txt")

#: Largest file (or zip member, once decompressed) that is read, in bytes.
#: A 5,000-region weight matrix as text is about 0.5 GB; anything larger is
#: refused rather than exhausting memory.
MAX_FILE_BYTES = 512 * 1024 * 1024

#: File extensions read as a plain weight matrix (case-insensitive).
MATRIX_EXTENSIONS = (".npy", ".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class ConnectomeFileData:
    """The raw content of a connectome file, before any validation.

    Attributes
    ----------
    name : str
        The file name, used in every message about its content.
    weights : ndarray, shape (n, m)
        Weight matrix as read (not yet checked to be square).
    labels : tuple of str or None
        Region labels, if the file has them.
    tract_lengths_mm : ndarray or None
        Tract lengths in mm (TVB sources only).
    centres_mm : ndarray or None
        Region centres in mm (TVB sources only).
    right_hemisphere : ndarray of bool or None
        ``True`` for regions of the right hemisphere (TVB ``hemispheres.txt``).
    """

    name: str
    weights: np.ndarray
    labels: tuple[str, ...] | None = None
    tract_lengths_mm: np.ndarray | None = None
    centres_mm: np.ndarray | None = None
    right_hemisphere: np.ndarray | None = None


@dataclass(frozen=True)
class MeshFileData:
    """A cortical mesh with its region mapping, as read from ``tvb-data``.

    Attributes
    ----------
    name : str
        Description of the files.
    vertices_mm : ndarray, shape (n_vertices, 3), float64
    triangles : ndarray, shape (n_triangles, 3), int64
    vertex_region : ndarray, shape (n_vertices,), int64
        Index into ``region_labels`` for every vertex.
    region_labels : tuple of str
        Labels of the regions the mapping refers to.
    """

    name: str
    vertices_mm: np.ndarray
    triangles: np.ndarray
    vertex_region: np.ndarray
    region_labels: tuple[str, ...]


def tvb_data_file(*parts: str) -> Path:
    """Path of a file shipped in the ``tvb_data`` package.

    Parameters
    ----------
    *parts : str
        Path components below the package, e.g. ``"connectivity",
        "connectivity_76.zip"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataFileError
        If ``tvb-data`` is not installed or lacks the file.

    Examples
    --------
    >>> tvb_data_file("connectivity", "connectivity_76.zip").name
    'connectivity_76.zip'
    """
    try:
        root = importlib.resources.files("tvb_data")
    except ModuleNotFoundError:
        raise DataFileError(
            "the default connectome needs the package 'tvb-data' (pip install tvb-data); it is not installed"
        ) from None
    path = Path(str(root.joinpath(*parts)))
    if not path.is_file():
        raise DataFileError(f"tvb-data file '{'/'.join(parts)}' is missing from {root}; reinstall tvb-data")
    return path


# --------------------------------------------------------------------------- #
# Low-level helpers
# --------------------------------------------------------------------------- #


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataFileError(
                f"connectome file '{path}' has {size} bytes; at most {MAX_FILE_BYTES} bytes are read"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"connectome file '{path}' does not exist") from None
    except IsADirectoryError:
        raise DataFileError(f"connectome file '{path}' is a folder; a file was expected") from None
    except PermissionError:
        raise DataFileError(f"connectome file '{path}' cannot be read (permission denied)") from None
    except OSError as exc:
        raise DataFileError(f"connectome file '{path}' cannot be read: {exc.strerror or exc}") from None


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(f"{name} is not a UTF-8 text file; a text matrix or label list was expected") from None


def _parse_numbers(data: bytes, name: str, *, dtype, n_columns: int) -> np.ndarray:
    """Parse whitespace-separated numbers into an ``(n, n_columns)`` array."""
    tokens = data.split()
    if not tokens:
        raise DataFileError(f"{name} is empty; it must hold {n_columns} numbers per line")
    if len(tokens) % n_columns:
        raise DataFileError(
            f"{name} holds {len(tokens)} numbers, not a multiple of {n_columns}; the file is truncated or malformed"
        )
    try:
        values = np.array(tokens, dtype=dtype)
    except (ValueError, OverflowError):
        kind = "integers" if np.issubdtype(np.dtype(dtype), np.integer) else "numbers"
        bad = _first_bad_token(tokens, dtype)
        raise DataFileError(f"{name} holds {bad!r}; only {kind} are allowed") from None
    return values.reshape(-1, n_columns)


def _first_bad_token(tokens, dtype) -> str:
    for token in tokens:
        try:
            np.array([token], dtype=dtype)
        except (ValueError, OverflowError):
            return token.decode("utf-8", "replace") if isinstance(token, bytes) else str(token)
    return "?"  # pragma: no cover - only called after a failed conversion


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _parse_matrix_text(text: str, name: str, *, delimiter: str | None) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Parse a text matrix with an optional header row and label column."""
    if delimiter is None:
        rows = [line.split() for line in text.splitlines()]
    else:
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    rows = [(i + 1, row) for i, row in enumerate(rows) if row and any(cell for cell in row)]
    rows = [(i, row) for i, row in rows if not row[0].startswith("#")]
    if not rows:
        raise DataFileError(f"{name} is empty; it must hold a square weight matrix")

    header: list[str] | None = None
    first_line, first = rows[0]
    if all(not _is_number(cell) for cell in first if cell):
        header = first
        rows = rows[1:]
        if not rows:
            raise DataFileError(f"{name} has a header line but no matrix rows")

    row_labels: list[str] | None = None
    if all(not _is_number(row[0]) for _, row in rows):
        row_labels = [row[0] for _, row in rows]
        rows = [(i, row[1:]) for i, row in rows]

    width = len(rows[0][1])
    for line, row in rows:
        if len(row) != width:
            raise DataFileError(
                f"{name}: line {line} has {len(row)} values but line {rows[0][0]} has {width}; "
                "every row must have the same number of values (is the file truncated?)"
            )
    try:  # every cell by float(), in one pass (a bad cell is then found and named below)
        values = np.array([list(map(float, row)) for _, row in rows], dtype=np.float64).reshape(len(rows), width)
    except ValueError:
        for line, row in rows:
            for cell in row:
                try:
                    float(cell)
                except ValueError:
                    raise DataFileError(f"{name}: line {line} holds {cell!r}; only numbers are allowed") from None
        raise  # pragma: no cover - float() failed above, so a cell fails here too

    labels: list[str] | None = None
    if header is not None:
        if len(header) == width + 1 and row_labels is not None:
            header = header[1:]  # corner cell above the label column
        if len(header) != width:
            raise DataFileError(
                f"{name}: the header line has {len(header)} labels but the rows have {width} values; "
                "they must match"
            )
        labels = header
    if row_labels is not None:
        if labels is not None and list(labels) != row_labels:
            raise DataFileError(f"{name}: the header labels and the first-column labels differ; they must be the same")
        labels = row_labels
    return values, (tuple(labels) if labels is not None else None)


# --------------------------------------------------------------------------- #
# Weight matrices and labels
# --------------------------------------------------------------------------- #


#: Longest ``.npy`` header read, in bytes: NumPy's own limit for files it
#: does not trust (``numpy.load``'s ``max_header_size``).  A matrix saved by
#: ``numpy.save`` has a header of 128 bytes.
NPY_MAX_HEADER_BYTES = 10_000


def _load_npy(data: bytes, name: str) -> np.ndarray:
    """Load a ``.npy`` matrix after checking its header against the file.

    The header is read first, so that a header declaring a shape larger than
    the data that follow is refused before any memory is reserved for it.
    """
    fmt = np.lib.format
    stream = io.BytesIO(data)
    try:
        version = fmt.read_magic(stream)
    except ValueError:
        raise DataFileError(f"{name} is not a .npy file (it does not start with the .npy signature)") from None
    length_bytes = {(1, 0): 2, (2, 0): 4, (3, 0): 4}.get(version)
    if length_bytes is None:
        raise DataFileError(f"{name} has .npy format version {version}; versions 1.0 to 3.0 are read")
    raw = data[stream.tell(): stream.tell() + length_bytes]
    if len(raw) < length_bytes:
        raise DataFileError(f"{name} is truncated inside its .npy header")
    header_bytes = int.from_bytes(raw, "little")
    if header_bytes > NPY_MAX_HEADER_BYTES:
        raise DataFileError(
            f"{name} has a .npy header of {header_bytes} bytes; at most {NPY_MAX_HEADER_BYTES} are read "
            "(numpy.save writes 128 bytes for a plain numeric matrix: save one with numpy.save)"
        )
    try:
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _fortran, dtype = reader(stream, max_header_size=NPY_MAX_HEADER_BYTES)
    except (ValueError, SyntaxError, TypeError, EOFError, tokenize.TokenError, RecursionError, MemoryError) as exc:
        # numpy parses the header as a Python literal: any of these means it is not one.
        detail = " ".join(str(exc).split())[:120]
        raise DataFileError(
            f"{name} has a malformed or truncated .npy header ({type(exc).__name__}: {detail})"
        ) from None
    if dtype.hasobject:
        raise DataFileError(
            f"{name} holds Python objects (pickled data), which are not loaded; save a numeric array"
        )
    if dtype.fields is not None or dtype.subdtype is not None:
        raise DataFileError(f"{name} must hold one plain numeric array, not a structured array")
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise DataFileError(f"{name} holds values of type {dtype}; a numeric matrix is required")
    if np.issubdtype(dtype, np.complexfloating):
        raise DataFileError(f"{name} holds complex numbers; weights must be real")
    n_items = 1
    for size in shape:
        n_items *= int(size)  # Python integers: no overflow for absurd shapes
    needed = n_items * dtype.itemsize
    available = len(data) - stream.tell()
    if needed > available:
        raise DataFileError(
            f"{name}: its .npy header declares shape {tuple(shape)} of {dtype} ({needed} bytes) but only "
            f"{available} bytes of data follow; the file is truncated or its header is wrong"
        )
    try:
        values = np.load(io.BytesIO(data), allow_pickle=False, max_header_size=NPY_MAX_HEADER_BYTES)
    except (ValueError, EOFError, OSError) as exc:  # pragma: no cover - the header checks above come first
        raise DataFileError(f"{name} is not a valid .npy file or is truncated ({exc})") from None
    return values



def read_labels(path) -> tuple[str, ...]:
    """Read region labels, one per line.

    Parameters
    ----------
    path : str or os.PathLike
        Text file; blank lines are ignored, surrounding white space stripped.

    Returns
    -------
    tuple of str

    Raises
    ------
    DataFileError
        If the file cannot be read, is not UTF-8 text or holds no label.

    Examples
    --------
    >>> read_labels("labels.txt")  # doctest: +SKIP
    ('rA1', 'rA2', ...)
    """
    path = Path(path)
    name = f"label file '{path}'"
    text = _decode(_read_bytes(path), name)
    labels = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not labels:
        raise DataFileError(f"{name} is empty; it must hold one region label per line")
    return labels


def read_weight_matrix(path) -> ConnectomeFileData:
    """Read a weight matrix from ``.npy``, ``.csv``, ``.txt`` or ``.tsv``.

    Text files may start with a header line of labels and/or carry a label in
    the first column of every row; lines starting with ``#`` are comments.

    Parameters
    ----------
    path : str or os.PathLike
        The matrix file.

    Returns
    -------
    ConnectomeFileData
        ``weights`` of shape ``(n, m)`` as read, ``labels`` if present.

    Raises
    ------
    DataFileError
        If the file is missing, empty, truncated, pickled, not numeric, or has
        rows of different lengths.

    Examples
    --------
    >>> read_weight_matrix("weights.csv").weights.shape  # doctest: +SKIP
    (76, 76)
    """
    path = Path(path)
    name = f"connectome file '{path}'"
    suffix = path.suffix.lower()
    if suffix not in MATRIX_EXTENSIONS:
        allowed = ", ".join(MATRIX_EXTENSIONS)
        raise DataFileError(
            f"{name} has the extension {suffix or '(none)'!r}; allowed are {allowed}, "
            "a TVB connectivity .zip, or a TVB connectivity folder"
        )
    data = _read_bytes(path)
    if not data.strip():
        raise DataFileError(f"{name} is empty; it must hold a square weight matrix")
    if suffix == ".npy":
        values = _load_npy(data, name)
        return ConnectomeFileData(name=name, weights=values.astype(np.float64))
    text = _decode(data, name)
    delimiter = "," if suffix == ".csv" else None
    values, labels = _parse_matrix_text(text, name, delimiter=delimiter)
    return ConnectomeFileData(name=name, weights=values, labels=labels)


# --------------------------------------------------------------------------- #
# TVB connectivity (zip or folder)
# --------------------------------------------------------------------------- #

_TVB_FILES = ("weights", "tract_lengths", "centres", "hemispheres")


class _TvbSource:
    """Uniform access to the members of a TVB zip or folder by base name."""

    def __init__(self, path: Path):
        self.path = path
        self.name = f"connectome '{path}'"
        self._members: dict[str, object] = {}
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                self._add(child.name, child)
        else:
            data = _read_bytes(path)
            if not data:
                raise DataFileError(f"{self.name} is empty; a TVB connectivity zip was expected")
            try:
                self._zip = zipfile.ZipFile(io.BytesIO(data))
                infos = self._zip.infolist()
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise DataFileError(f"{self.name} is not a readable zip file or is truncated ({exc})") from None
            for info in infos:
                if not info.is_dir():
                    self._add(Path(info.filename).name, info)

    def _add(self, basename: str, member) -> None:
        for stem in _TVB_FILES:
            if basename in (f"{stem}.txt", f"{stem}.txt.bz2"):
                if stem in self._members:
                    raise DataFileError(f"{self.name} holds more than one {stem}.txt; it must hold exactly one")
                self._members[stem] = member

    def read(self, stem: str) -> tuple[bytes, str] | None:
        member = self._members.get(stem)
        if member is None:
            return None
        if isinstance(member, Path):
            data = _read_bytes(member)
            label = f"{self.name}: {member.name}"
            compressed = member.name.endswith(".bz2")
        else:
            label = f"{self.name}: {member.filename}"
            if member.file_size > MAX_FILE_BYTES:
                raise DataFileError(f"{label} is {member.file_size} bytes; at most {MAX_FILE_BYTES} are read")
            try:
                data = self._zip.read(member)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
                raise DataFileError(f"{label} cannot be read; the zip is corrupt or truncated ({exc})") from None
            compressed = member.filename.endswith(".bz2")
        if compressed:
            try:
                data = bz2.decompress(data)
            except (OSError, ValueError, EOFError) as exc:
                raise DataFileError(f"{label} is not valid bz2 data ({exc})") from None
        return data, label


def _square_text_matrix(data: bytes, label: str) -> np.ndarray:
    text = _decode(data, label)
    values, labels = _parse_matrix_text(text, label, delimiter=None)
    if labels is not None:
        raise DataFileError(f"{label} holds text labels; a TVB matrix file holds numbers only")
    return values


def read_tvb_connectivity(path) -> ConnectomeFileData:
    """Read a TVB connectivity from a ``.zip`` file or a folder.

    Parameters
    ----------
    path : str or os.PathLike
        Zip file or folder holding ``weights.txt`` and optionally
        ``tract_lengths.txt``, ``centres.txt`` and ``hemispheres.txt`` (or their
        ``.txt.bz2`` versions), at any depth.

    Returns
    -------
    ConnectomeFileData

    Raises
    ------
    DataFileError
        If the zip is corrupt, ``weights.txt`` is missing, or a member cannot be
        parsed.

    Examples
    --------
    >>> data = read_tvb_connectivity(tvb_data_file("connectivity", "connectivity_76.zip"))
    >>> data.weights.shape, data.labels[0]
    ((76, 76), 'rA1')
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"connectome '{path}' does not exist")
    source = _TvbSource(path)
    weights_member = source.read("weights")
    if weights_member is None:
        raise DataFileError(
            f"{source.name} has no weights.txt; a TVB connectivity holds weights.txt and may hold "
            "tract_lengths.txt, centres.txt and hemispheres.txt"
        )
    weights = _square_text_matrix(*weights_member)

    tract_lengths = None
    member = source.read("tract_lengths")
    if member is not None:
        tract_lengths = _square_text_matrix(*member)

    labels = centres = None
    member = source.read("centres")
    if member is not None:
        data, label = member
        lines = [line.split() for line in _decode(data, label).splitlines() if line.strip()]
        if not lines:
            raise DataFileError(f"{label} is empty; it must hold 'label x y z' per line")
        for k, parts in enumerate(lines):
            if len(parts) < 4:
                raise DataFileError(
                    f"{label}: line {k + 1} has {len(parts)} fields; each line must be 'label x y z'"
                )
        labels = tuple(parts[0] for parts in lines)
        try:
            centres = np.array([[float(x) for x in parts[1:4]] for parts in lines], dtype=np.float64)
        except ValueError:
            raise DataFileError(f"{label} holds a non-numeric coordinate; each line must be 'label x y z'") from None

    right = None
    member = source.read("hemispheres")
    if member is not None:
        data, label = member
        tokens = _decode(data, label).split()
        mapping = {"1": True, "0": False, "true": True, "false": False, "1.0": True, "0.0": False}
        try:
            right = np.array([mapping[t.lower()] for t in tokens], dtype=bool)
        except KeyError as exc:
            raise DataFileError(f"{label} holds {exc.args[0]!r}; only 1 (right) and 0 (left) are allowed") from None
    return ConnectomeFileData(
        name=source.name,
        weights=weights,
        labels=labels,
        tract_lengths_mm=tract_lengths,
        centres_mm=centres,
        right_hemisphere=right,
    )


def read_connectome_file(path) -> ConnectomeFileData:
    """Read any supported connectome source (dispatch on its type).

    Parameters
    ----------
    path : str or os.PathLike
        A TVB connectivity ``.zip`` or folder, or a ``.npy``/``.csv``/``.txt``/
        ``.tsv`` weight matrix.

    Returns
    -------
    ConnectomeFileData

    Raises
    ------
    DataFileError
        If the path does not exist or the file cannot be read.

    Examples
    --------
    >>> read_connectome_file("my_weights.csv").labels  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".zip":
        return read_tvb_connectivity(path)
    if not path.exists():
        raise DataFileError(f"connectome file '{path}' does not exist")
    return read_weight_matrix(path)


# --------------------------------------------------------------------------- #
# Cortical mesh (tvb-data)
# --------------------------------------------------------------------------- #


def read_tvb_surface(path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``vertices.txt`` and ``triangles.txt`` from a TVB surface zip.

    Parameters
    ----------
    path : str or os.PathLike
        A TVB surface ``.zip``.

    Returns
    -------
    vertices_mm : ndarray, shape (n_vertices, 3), float64
    triangles : ndarray, shape (n_triangles, 3), int64

    Raises
    ------
    DataFileError
        If the zip or a member is missing, corrupt or malformed, or a triangle
        refers to a vertex that does not exist.

    Examples
    --------
    >>> v, t = read_tvb_surface(tvb_data_file("surfaceData", "cortex_16384.zip"))
    >>> v.shape, t.shape
    ((16384, 3), (32760, 3))
    """
    path = Path(path)
    name = f"surface '{path}'"
    data = _read_bytes(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {Path(i.filename).name: i for i in archive.infolist() if not i.is_dir()}
            missing = [m for m in ("vertices.txt", "triangles.txt") if m not in members]
            if missing:
                raise DataFileError(f"{name} lacks {', '.join(missing)}; a TVB surface needs both")
            vertices_raw = archive.read(members["vertices.txt"])
            triangles_raw = archive.read(members["triangles.txt"])
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise DataFileError(f"{name} is not a readable zip file or is truncated ({exc})") from None
    vertices = _parse_numbers(vertices_raw, f"{name}: vertices.txt", dtype=np.float64, n_columns=3)
    triangles = _parse_numbers(triangles_raw, f"{name}: triangles.txt", dtype=np.int64, n_columns=3)
    if not np.all(np.isfinite(vertices)):
        raise DataFileError(f"{name}: vertices.txt holds NaN or infinite coordinates")
    if triangles.min() < 0 or triangles.max() >= len(vertices):
        raise DataFileError(
            f"{name}: triangles.txt refers to vertex {int(triangles.max())}; "
            f"vertex indices must lie in [0, {len(vertices) - 1}]"
        )
    return vertices, triangles


def read_region_mapping(path) -> np.ndarray:
    """Read a TVB region mapping (one region index per vertex).

    Parameters
    ----------
    path : str or os.PathLike
        Text file of non-negative integers.

    Returns
    -------
    ndarray, shape (n_vertices,), int64

    Raises
    ------
    DataFileError
        If the file is missing, empty or holds anything but non-negative integers.

    Examples
    --------
    >>> read_region_mapping(tvb_data_file("regionMapping", "regionMapping_16k_76.txt")).shape
    (16384,)
    """
    path = Path(path)
    name = f"region mapping '{path}'"
    mapping = _parse_numbers(_read_bytes(path), name, dtype=np.int64, n_columns=1)[:, 0]
    if mapping.min() < 0:
        raise DataFileError(f"{name} holds the region index {int(mapping.min())}; indices must be >= 0")
    return mapping


def read_default_mesh() -> MeshFileData:
    """Read the default cortical mesh and region mapping from ``tvb-data``.

    Returns
    -------
    MeshFileData
        16,384 vertices, 32,760 triangles, the region of each vertex and the
        76 labels of ``connectivity_76`` the mapping refers to.

    Raises
    ------
    DataFileError
        If ``tvb-data`` is missing or its files are inconsistent.

    Examples
    --------
    >>> mesh = read_default_mesh()
    >>> mesh.vertices_mm.shape, len(mesh.region_labels)
    ((16384, 3), 76)
    """
    connectivity = read_tvb_connectivity(tvb_data_file(*DEFAULT_CONNECTIVITY_FILE))
    vertices, triangles = read_tvb_surface(tvb_data_file(*DEFAULT_SURFACE_FILE))
    mapping = read_region_mapping(tvb_data_file(*DEFAULT_REGION_MAPPING_FILE))
    if connectivity.labels is None:
        raise DataFileError("tvb-data connectivity_76.zip has no centres.txt with labels; reinstall tvb-data")
    if len(mapping) != len(vertices) or mapping.max() >= len(connectivity.labels):
        raise DataFileError(
            f"tvb-data region mapping has {len(mapping)} entries (max {int(mapping.max())}) for "
            f"{len(vertices)} vertices and {len(connectivity.labels)} regions; reinstall tvb-data"
        )
    return MeshFileData(
        name="tvb-data cortex_16384 + regionMapping_16k_76",
        vertices_mm=vertices,
        triangles=triangles,
        vertex_region=mapping,
        region_labels=connectivity.labels,
    )
