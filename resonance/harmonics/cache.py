"""The on-disk cache of decompositions (:mod:`resonance.io.cache`).

An entry is keyed by a hash of the connectome's arrays and every parameter
(plus the NumPy and SciPy versions); an unreadable or inconsistent entry is
recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy

from ..connectome import Connectome
from ..errors import DataFileError
from ..io import cache as _cache
from .eigen import DENSE_LIMIT

__all__ = ["CACHE_KIND", "CACHE_FORMAT"]

#: Sub-folder of the cache for harmonics entries.
CACHE_KIND = "harmonics"

#: Version of the cache layout; bump to invalidate every entry.
CACHE_FORMAT = 2


@dataclass
class _Decomposition:
    eigenvalues: np.ndarray
    vectors: np.ndarray
    edge_length_mm: float
    length_scale: str
    regional: list  # of (eigenvalues, vectors) per region, vertex level only


def _hash_array(digest, name: str, array) -> None:
    digest.update(name.encode())
    if array is None:
        digest.update(b"<none>")
        return
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "U":
        data = "\x00".join(array.ravel().tolist()).encode()
    else:
        data = array.tobytes()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(data)


def _cache_key(connectome: Connectome, parameters: dict) -> str:
    digest = hashlib.sha256()
    meta = dict(parameters, format=CACHE_FORMAT, numpy=np.__version__, scipy=scipy.__version__)
    digest.update(json.dumps(meta, sort_keys=True).encode())
    _hash_array(digest, "labels", np.array(connectome.region_labels))
    _hash_array(digest, "weights", connectome.weights)
    _hash_array(digest, "centres", connectome.centres_mm)
    _hash_array(digest, "tracts", connectome.tract_lengths_mm)
    _hash_array(digest, "hemisphere", connectome.region_hemisphere)
    if parameters["level"] == "vertex":
        _hash_array(digest, "vertices", connectome.vertices_mm)
        _hash_array(digest, "triangles", connectome.triangles)
        _hash_array(digest, "vertex_region", connectome.vertex_region)
    return digest.hexdigest()


def _to_cache_arrays(dec: _Decomposition, key: str) -> dict:
    n_vertices = [len(v) for _, v in dec.regional]
    n_reg_modes = [len(e) for e, _ in dec.regional]
    return {
        "format": np.array(CACHE_FORMAT),
        "key": np.array(key),
        "eigenvalues": dec.eigenvalues,
        "vectors": dec.vectors,
        "edge_length_mm": np.array(dec.edge_length_mm),
        "length_scale": np.array(dec.length_scale),
        "regional_n_vertices": np.array(n_vertices, dtype=np.int64),
        "regional_n_modes": np.array(n_reg_modes, dtype=np.int64),
        "regional_eigenvalues": np.concatenate([e for e, _ in dec.regional]) if dec.regional else np.zeros(0),
        "regional_vectors": (np.concatenate([v.ravel() for _, v in dec.regional]) if dec.regional else np.zeros(0)),
    }


class _StaleCache(Exception):
    """A cache entry does not match what was asked for."""


def _load_cached(path: Path, key: str, connectome: Connectome, parameters: dict) -> _Decomposition | None:
    try:
        arrays = _cache.read_cache_entry(path)
        if not arrays:
            return None
        return _from_cache_arrays(arrays, key, connectome, parameters)
    except (DataFileError, _StaleCache) as exc:
        warnings.warn(
            f"ignoring the harmonics cache entry '{path}': {exc}; recomputing",
            _cache.CacheWarning,
            stacklevel=3,
        )
        return None


def _get(arrays: dict, name: str, *, dtype_kind: str, shape: tuple | None = None) -> np.ndarray:
    if name not in arrays:
        raise _StaleCache(f"it lacks '{name}'")
    value = arrays[name]
    if value.dtype.kind not in dtype_kind:
        raise _StaleCache(f"'{name}' has dtype {value.dtype}")
    if shape is not None and value.shape != shape:
        raise _StaleCache(f"'{name}' has shape {value.shape}, expected {shape}")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise _StaleCache(f"'{name}' holds NaN or infinite values")
    return value


def _from_cache_arrays(arrays: dict, key: str, connectome: Connectome, parameters: dict) -> _Decomposition:
    if int(_get(arrays, "format", dtype_kind="iu", shape=())) != CACHE_FORMAT:
        raise _StaleCache("it was written by another version")
    if str(_get(arrays, "key", dtype_kind="U", shape=())) != key:
        raise _StaleCache("its key does not match the inputs")
    vertex = parameters["level"] == "vertex"
    n_nodes = connectome.n_vertices if vertex else connectome.n_regions
    n_modes = parameters["n_modes"]
    vals = _get(arrays, "eigenvalues", dtype_kind="f", shape=(n_modes,))
    vecs = _get(arrays, "vectors", dtype_kind="f", shape=(n_nodes, n_modes))
    if (vals < 0).any() or (vals > 2.0 + 1e-9).any() or (np.diff(vals) < 0).any():
        raise _StaleCache("its eigenvalues are not ascending within [0, 2]")
    if not np.allclose(np.einsum("ij,ij->j", vecs, vecs), 1.0, atol=1e-8):
        raise _StaleCache("its vectors are not unit length")
    h = float(_get(arrays, "edge_length_mm", dtype_kind="f", shape=()))
    if not h > 0:
        raise _StaleCache(f"edge_length_mm={h} is not > 0")
    source = str(_get(arrays, "length_scale", dtype_kind="U", shape=()))

    regional = []
    if vertex:
        n_regions = connectome.n_regions
        counts = np.bincount(connectome.vertex_region, minlength=n_regions)
        expected_modes = np.minimum(parameters["n_regional_modes"], np.where(counts <= DENSE_LIMIT, counts, counts - 2))
        n_v = _get(arrays, "regional_n_vertices", dtype_kind="iu", shape=(n_regions,))
        n_m = _get(arrays, "regional_n_modes", dtype_kind="iu", shape=(n_regions,))
        if not (np.array_equal(n_v, counts) and np.array_equal(n_m, expected_modes)):
            raise _StaleCache("its regional harmonics do not match the regions")
        all_vals = _get(arrays, "regional_eigenvalues", dtype_kind="f", shape=(int(n_m.sum()),))
        all_vecs = _get(arrays, "regional_vectors", dtype_kind="f", shape=(int((n_v * n_m).sum()),))
        v_off = np.concatenate([[0], np.cumsum(n_m)])
        w_off = np.concatenate([[0], np.cumsum(n_v * n_m)])
        for r in range(n_regions):
            reg_vals = all_vals[v_off[r] : v_off[r + 1]]
            reg_vecs = all_vecs[w_off[r] : w_off[r + 1]].reshape(n_v[r], n_m[r])
            regional.append((reg_vals, reg_vecs))
    return _Decomposition(vals, vecs, h, source, regional)
