"""Where sound enters the connectome, and how each harmonic receives it.

Sound reaches the cortex at the auditory regions (docs/model.md).  Within
them, frequency is mapped in a tonotopic gradient (Formisano et al. 2003;
Saenz & Langers 2014): here each cochlear band enters a Gaussian patch centred
at its place along the principal axis of the auditory regions of each
hemisphere.  The beat additionally reaches the premotor/supplementary motor
cortex through the auditory-motor loop (Grahn & Brett 2007; Patel & Iversen
2014, the ASAP hypothesis), which is where the pulse resonator's output enters.

A harmonic's coupling to an entry pattern is the projection of its spatial
vector onto that pattern (docs/model.md); its response to the drive's rhythm
is its neural-field frequency response (:meth:`Harmonics.transfer`).

Which regions are the entries is decided once per connectome
(:class:`EntryRegions`, on :attr:`resonance.connectome.Connectome.entry_regions`
and carried by its harmonics): found by label with the usual atlas names and
abbreviations (:data:`AUDITORY_REGIONS`, :data:`MOTOR_REGIONS`,
:func:`find_regions`), or named by the user by label or row index
(:func:`parse_entry_regions`, :func:`resolve_entry_regions`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..validation import check_float

__all__ = [
    "AUDITORY_REGIONS",
    "ENTRY_KINDS",
    "MOTOR_REGIONS",
    "Coupling",
    "EntryRegions",
    "entry_coupling",
    "find_regions",
    "parse_entry_regions",
    "regional_projection",
    "require_entry_regions",
    "resolve_entry_regions",
]

#: Labels of the auditory entry regions, compared without hemisphere prefix
#: or suffix, case and separators (see :func:`find_regions`).
#:
#: * Primary auditory cortex (the core, on Heschl's gyrus): CoCoMac/TVB
#:   ``A1`` (``connectivity_76``/``_96``), Desikan-Killiany
#:   ``transversetemporal`` (Desikan et al. 2006), its Hagmann et al. 2008
#:   abbreviation ``TT`` (``connectivity_66``), AAL ``Heschl`` and ``HG``.
#: * Secondary auditory cortex (belt and parabelt on the superior temporal
#:   plane and gyrus; Kaas & Hackett 2000): CoCoMac ``A2``, Desikan-Killiany
#:   ``superiortemporal``, Hagmann ``ST``, AAL ``Temporal_Sup``.  The
#:   Desikan-Killiany superior temporal gyrus also holds non-auditory cortex
#:   of the upper bank of the superior temporal sulcus; it is the only region
#:   of that atlas that holds the belt and parabelt, so it stands for ``A2``.
AUDITORY_REGIONS = (
    "A1", "transversetemporal", "TT", "heschl", "HG",
    "A2", "superiortemporal", "ST", "Temporal_Sup",
)

#: Labels of the auditory-motor (beat) entry: premotor cortex, where beat
#: perception engages the motor system (Grahn & Brett 2007; Chen, Penhune &
#: Zatorre 2008: dorsal premotor cortex and SMA).
#:
#: * CoCoMac/TVB ``PMCM`` (medial premotor, i.e. SMA) and ``PMCDL``
#:   (dorsolateral premotor); AAL ``Supp_Motor_Area`` and ``SMA``.
#: * Desikan-Killiany ``caudalmiddlefrontal`` (Hagmann ``CMF``): the caudal
#:   middle frontal gyrus in front of the precentral sulcus, i.e. dorsal
#:   premotor cortex (BA 6) with the frontal eye field.  Not used:
#:   ``precentral`` (mostly primary motor cortex, BA 4), ``paracentral``
#:   (the medial primary motor and somatosensory cortex of the leg) and
#:   ``superiorfrontal`` (holds the SMA on its medial face, but is mostly
#:   prefrontal cortex).  Name them with ``entry_regions`` to use them.
MOTOR_REGIONS = ("PMCM", "PMCDL", "SMA", "Supp_Motor_Area", "caudalmiddlefrontal", "CMF")

#: The kinds of entry region that :func:`parse_entry_regions` accepts.
ENTRY_KINDS = ("auditory", "premotor")

# Hemisphere prefixes: FreeSurfer ("lh.", "lh-", "ctx-rh-"), words ("Left-",
# "right_"), a letter and a separator ("L_A1", "r_superiortemporal"), or
# TVB's single lower-case letter before an upper-case name ("rA1", "lTT").  A
# bare lower-case letter is not stripped, so "lingual" keeps its first letter.
_HEMI_PREFIX = re.compile(
    r"^(?:(?:ctx[-_])?(?:lh|rh)[-_.]|(?i:left|right)[-_ ]?|[lrLR][-_.]|[lr](?=[A-Z0-9]))"
)
# Hemisphere suffixes ("Heschl_L", "RM-A1_R", "A1-lh", "A1.right") and the
# "_ROI" of the HCP multimodal parcellation ("L_A1_ROI").
_HEMI_SUFFIX = re.compile(r"[-_. ](?i:l|r|lh|rh|left|right)$")
_ROI_SUFFIX = re.compile(r"[-_](?i:roi)$")


def _plain(text: str) -> str:
    """Lower case, separators removed: ``"Temporal_Sup"`` -> ``"temporalsup"``."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _label_keys(label: str) -> set:
    """The forms under which a region label matches a name (see find_regions)."""
    full = label.strip()
    core = _ROI_SUFFIX.sub("", full)
    core = _HEMI_PREFIX.sub("", core, count=1)
    core = _HEMI_SUFFIX.sub("", core)
    core = _ROI_SUFFIX.sub("", core)
    keys = {_plain(full), _plain(core)}
    # An atlas namespace before a dash: "RM-A1" (Kötter & Wanke's regional map).
    if "-" in core:
        keys.add(_plain(core.rsplit("-", 1)[1]))
    keys.discard("")
    return keys


def find_regions(region_labels, names) -> np.ndarray:
    """Indices of the regions whose label matches one of ``names``.

    A label matches a name when they are equal after dropping case and
    separators (``-``, ``_``, ``.``, spaces), or when the label without its
    hemisphere prefix or suffix equals the name.  Hemisphere prefixes are
    ``l``/``r`` before an upper-case letter (TVB: ``rA1``, ``lTT``),
    ``L_``/``r_``/``l.``, ``lh.``/``rh-``/``ctx-lh-`` (FreeSurfer) and
    ``Left-``/``right_``; suffixes are ``_L``/``_R``/``-lh``/``.right``; an
    HCP ``_ROI`` suffix and an atlas namespace before a dash (``RM-A1_R``)
    are ignored.  So ``"A1"`` finds both ``rA1`` and ``lA1``, while
    ``"rA1"`` finds only ``rA1``.

    Parameters
    ----------
    region_labels : sequence of str
        Labels of the connectome's regions, e.g. ``"rA1"`` or ``"lh-transversetemporal"``.
    names : sequence of str
        Region names to look for.

    Returns
    -------
    ndarray of int
        Matching region indices, ascending (possibly empty).

    Examples
    --------
    >>> find_regions(["rA1", "rV1", "lA1"], ["A1"]).tolist()
    [0, 2]
    >>> labels = ["rTT", "lTT", "RM-A1_R", "Heschl_L", "rST"]
    >>> find_regions(labels, ["transversetemporal", "TT", "A1", "heschl"]).tolist()
    [0, 1, 2, 3]
    """
    wanted = {_plain(str(n)) for n in names} - {""}
    return np.array(
        [i for i, lab in enumerate(region_labels) if _label_keys(str(lab)) & wanted], dtype=int
    )


@dataclass(frozen=True)
class EntryRegions:
    """The regions where sound enters a connectome.

    Attributes
    ----------
    auditory : tuple of str
        Labels of the auditory entry regions (may be empty: such a connectome
        has harmonics but cannot be scored).
    premotor : tuple of str
        Labels of the premotor (beat) entry regions (may be empty: the beat
        then has no motor entry).
    named : tuple of str
        The kinds (``"auditory"``, ``"premotor"``) the user named; the others
        were found by label (:data:`AUDITORY_REGIONS`, :data:`MOTOR_REGIONS`).
    """

    auditory: tuple[str, ...]
    premotor: tuple[str, ...]
    named: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """``{"auditory": [...], "premotor": [...], "named_by_user": [...]}`` (for JSON)."""
        return {"auditory": list(self.auditory), "premotor": list(self.premotor), "named_by_user": list(self.named)}


_SYNTAX = (
    "allowed: 'auditory=LABEL,...' and/or 'premotor=LABEL,...' (labels, or 0-based row indices "
    "of the matrix), several separated by ';'; a list without 'KIND=' names the auditory regions"
)


def parse_entry_regions(spec) -> dict:
    """Parse an entry-region specification.

    Parameters
    ----------
    spec : str, sequence of str, mapping or None
        ``"auditory=A1,A2;premotor=PMCM"``; a list of such strings (one per
        ``--entry-regions`` option); or a mapping ``{"auditory": ["rTT",
        "lTT"], "premotor": [12, 45]}``.  A string without ``KIND=`` names
        the auditory regions.  Items are region labels (matched as in
        :func:`find_regions`) or non-negative integers (0-based rows of the
        weight matrix as read from its file).

    Returns
    -------
    dict
        ``{kind: tuple of str or int}`` for the kinds given (possibly empty).

    Raises
    ------
    ParameterError
        If a kind is unknown or names no region.

    Examples
    --------
    >>> parse_entry_regions("auditory=rTT,lTT;premotor=3")
    {'auditory': ('rTT', 'lTT'), 'premotor': (3,)}
    """
    if spec is None:
        return {}
    out: dict = {}

    def add(kind, items, shown):
        kind = str(kind).strip().lower()
        if kind not in ENTRY_KINDS:
            raise ParameterError(f"entry regions {shown!r}: the kind {kind!r} is unknown; {_SYNTAX}")
        tokens = []
        for item in items:
            if isinstance(item, (bool, np.bool_)):
                raise ParameterError(f"entry regions {shown!r}: {item!r} is not a label or row index; {_SYNTAX}")
            if isinstance(item, (int, np.integer)):
                tokens.append(int(item))
                continue
            if not isinstance(item, str):
                raise ParameterError(f"entry regions {shown!r}: {item!r} is not a label or row index; {_SYNTAX}")
            item = item.strip()
            if item:
                tokens.append(int(item) if item.isdecimal() else item)
        if not tokens:
            raise ParameterError(f"entry regions {shown!r}: {kind}= names no region; {_SYNTAX}")
        out[kind] = tuple(dict.fromkeys(out.get(kind, ()) + tuple(tokens)))

    if isinstance(spec, Mapping):
        for kind, items in spec.items():
            add(kind, [items] if isinstance(items, (str, int, np.integer)) else list(items), f"{kind}={items}")
        return out
    strings = [spec] if isinstance(spec, str) else list(spec)
    for text in strings:
        if not isinstance(text, str):
            raise ParameterError(f"entry regions {text!r} must be text; {_SYNTAX}")
        for part in text.split(";"):
            if not part.strip():
                continue
            kind, sep, items = part.partition("=")
            if not sep:
                kind, items = "auditory", part
            add(kind, items.split(","), part.strip())
    if not out:
        raise ParameterError(f"entry regions {spec!r} name no region; {_SYNTAX}")
    return out


def _sample(labels, k: int = 8) -> str:
    shown = ", ".join(labels[:k])
    return shown + (f", ... ({len(labels)} in all)" if len(labels) > k else "")


def resolve_entry_regions(region_labels, spec=None, *, name: str = "connectome") -> EntryRegions:
    """Resolve the entry regions of a connectome to region labels.

    Parameters
    ----------
    region_labels : sequence of str
        The region labels, in the order of the rows of the weight matrix.
    spec : str, sequence of str, mapping or None
        What the user named (see :func:`parse_entry_regions`); kinds not named
        are found by label (:data:`AUDITORY_REGIONS`, :data:`MOTOR_REGIONS`).
    name : str
        The connectome, for messages (e.g. ``"connectome file 'w.csv'"``).

    Returns
    -------
    EntryRegions

    Raises
    ------
    ParameterError
        If the specification is malformed, a row index is out of range, or a
        label matches no region.

    Examples
    --------
    >>> resolve_entry_regions(["rTT", "lTT", "rCMF", "lV1"]).auditory
    ('rTT', 'lTT')
    >>> resolve_entry_regions(["region_0", "region_1", "region_2"], "auditory=0;premotor=2").premotor
    ('region_2',)
    """
    labels = tuple(str(label) for label in region_labels)
    n = len(labels)
    named = parse_entry_regions(spec)
    found = {}
    for kind, defaults in (("auditory", AUDITORY_REGIONS), ("premotor", MOTOR_REGIONS)):
        if kind not in named:
            found[kind] = tuple(labels[i] for i in find_regions(labels, defaults))
            continue
        indices: list[int] = []
        for token in named[kind]:
            if isinstance(token, int):
                if not 0 <= token < n:
                    raise ParameterError(
                        f"{name}: entry region {kind}={token} is not a row of its {n} x {n} matrix; "
                        f"allowed row indices are 0 to {n - 1} (0-based)"
                    )
                indices.append(token)
                continue
            hits = find_regions(labels, [token])
            if hits.size == 0:
                raise ParameterError(
                    f"{name}: entry region {kind}={token!r} matches no region label; its labels are "
                    f"{_sample(labels)} (or give 0-based row indices)"
                )
            indices.extend(hits.tolist())
        found[kind] = tuple(labels[i] for i in sorted(set(indices)))
    return EntryRegions(
        auditory=found["auditory"],
        premotor=found["premotor"],
        named=tuple(kind for kind in ENTRY_KINDS if kind in named),
    )


def _entry_indices(harmonics, auditory_regions, motor_regions) -> tuple[np.ndarray, np.ndarray]:
    """Region indices of the auditory and premotor entries of ``harmonics``."""
    labels = tuple(str(x) for x in harmonics.region_labels)
    resolved = getattr(harmonics, "entry_regions", None)
    index = {label: k for k, label in enumerate(labels)}

    def pick(names, kind):
        if names is not None:
            return find_regions(labels, names)
        if resolved is not None:
            return np.array(sorted(index[x] for x in getattr(resolved, kind) if x in index), dtype=int)
        return find_regions(labels, AUDITORY_REGIONS if kind == "auditory" else MOTOR_REGIONS)

    aud = pick(auditory_regions, "auditory")
    if aud.size == 0:
        name = getattr(harmonics, "connectome_name", "connectome")
        if all(label == f"region_{k}" for k, label in enumerate(labels)):
            why = f"its {len(labels)} rows have no labels"
        else:
            looked_for = "A1, A2, transversetemporal/TT, superiortemporal/ST, Heschl"
            if auditory_regions is not None:
                looked_for = ", ".join(auditory_regions)
            why = f"none of its {len(labels)} labels ({_sample(labels, 6)}) is one of {looked_for}"
        raise ParameterError(
            f"{name} has no auditory entry region: {why}; name the auditory entry regions by label or "
            "0-based row index: --entry-regions auditory=LABEL,... (Python: entry_regions=)"
        )
    return aud, pick(motor_regions, "premotor")


def require_entry_regions(harmonics) -> EntryRegions:
    """The entry regions of ``harmonics``; refuse a connectome without an auditory entry.

    Parameters
    ----------
    harmonics : Harmonics

    Returns
    -------
    EntryRegions
        The labels used by :func:`entry_coupling`.

    Raises
    ------
    ParameterError
        If no auditory entry region is known; the message names the
        connectome and how to name the regions.
    """
    aud, mot = _entry_indices(harmonics, None, None)
    labels = tuple(str(x) for x in harmonics.region_labels)
    resolved = getattr(harmonics, "entry_regions", None)
    return EntryRegions(
        auditory=tuple(labels[i] for i in aud),
        premotor=tuple(labels[i] for i in mot),
        named=getattr(resolved, "named", ()),
    )


@dataclass
class Coupling:
    """Projections of the harmonics onto the entry patterns.

    Attributes
    ----------
    auditory : ndarray, shape (n_modes, n_bands)
        Projection of each mode onto each band's tonotopic entry pattern.
    motor : ndarray, shape (n_modes,)
        Projection of each mode onto the premotor (beat) entry pattern.
    region_means : ndarray, shape (n_regions, n_modes)
        Mean of each mode over each region (to read regional activity).
    auditory_regions, motor_regions : tuple of str
        Labels of the regions used as entries.
    """

    auditory: np.ndarray
    motor: np.ndarray
    region_means: np.ndarray
    auditory_regions: tuple
    motor_regions: tuple


def entry_coupling(
    harmonics,
    *,
    n_bands: int,
    auditory_regions=None,
    motor_regions=None,
    tonotopic_width: float = 0.25,
) -> Coupling:
    """Project the harmonics onto the auditory (tonotopic) and motor entries.

    Parameters
    ----------
    harmonics : Harmonics
        Output of :func:`resonance.connectome_harmonics`.
    n_bands : int
        Number of cochlear bands of the front end.
    auditory_regions, motor_regions : sequence of str, optional
        Region names used as entries (matched as in :func:`find_regions`).
        By default the entry regions of the harmonics' connectome
        (``harmonics.entry_regions``: named by the user or found by
        :data:`AUDITORY_REGIONS` and :data:`MOTOR_REGIONS`).
    tonotopic_width : float
        Width (standard deviation) of a band's entry patch, as a fraction of
        the length of the auditory field along its tonotopic axis.  Cortical
        frequency tuning spans about a quarter of the tonotopic map at
        moderate levels (Formisano et al. 2003).

    Returns
    -------
    Coupling

    Raises
    ------
    ParameterError
        If the connectome has no auditory entry region; the message names the
        connectome and how to name its entry regions.
    """
    check_float("tonotopic_width", tonotopic_width, low=0.0, low_inclusive=False)
    labels = tuple(str(x) for x in harmonics.region_labels)
    vecs = np.asarray(harmonics.vectors)
    vreg = np.asarray(harmonics.vertex_region)
    n_regions = len(labels)
    aud, mot = _entry_indices(harmonics, auditory_regions, motor_regions)
    hemi = np.asarray(harmonics.hemisphere)
    # Region centres are optional (a plain weight matrix has none).
    pos = None if harmonics.positions_mm is None else np.asarray(harmonics.positions_mm, dtype=float)

    # Left-right axis of the brain: from the centroid of the right hemisphere
    # to that of the left (independent of the mesh's coordinate frame).
    lr_axis, midpoint = None, None
    if pos is not None:
        left, right = pos[hemi == "L"], pos[hemi == "R"]
        if len(left) and len(right):
            lr_axis = left.mean(axis=0) - right.mean(axis=0)
            lr_axis /= max(np.linalg.norm(lr_axis), 1e-12)
            midpoint = 0.5 * (left.mean(axis=0) + right.mean(axis=0))

    patterns = np.zeros((vecs.shape[0], n_bands))
    entry_vertices = np.flatnonzero(np.isin(vreg, aud))
    for h in np.unique(hemi[entry_vertices]):
        idx = entry_vertices[hemi[entry_vertices] == h]
        if idx.size < 3 or harmonics.level == "region" or pos is None:
            # A region-level connectome has no map inside a region: every band
            # enters every auditory node equally.
            patterns[idx, :] += 1.0
            continue
        xyz = pos[idx] - pos[idx].mean(axis=0)
        # Tonotopic axis: the long (principal) axis of the auditory field.
        _, _, vt = np.linalg.svd(xyz, full_matrices=False)
        u = xyz @ vt[0]
        # Orient low frequencies to the same anatomical end in each hemisphere
        # (the end nearer the brain's midline; in human A1 the low-frequency
        # end of the main gradient lies medially on Heschl's gyrus in the
        # classic description, e.g. Formisano et al. 2003).
        if lr_axis is not None and np.corrcoef(u, np.abs((pos[idx] - midpoint) @ lr_axis))[0, 1] > 0:
            u = -u
        u = (u - u.min()) / max(np.ptp(u), 1e-12)
        centres = (np.arange(n_bands) + 0.5) / n_bands
        patterns[idx, :] += np.exp(-0.5 * ((u[:, None] - centres[None, :]) / tonotopic_width) ** 2)
    patterns /= np.maximum(np.linalg.norm(patterns, axis=0, keepdims=True), 1e-12)
    motor_pattern = np.isin(vreg, mot).astype(float)
    if motor_pattern.any():
        motor_pattern /= np.linalg.norm(motor_pattern)

    counts = np.bincount(vreg, minlength=n_regions).astype(float)
    # Sum of each region's vertex rows, added in vertex order from 0.0 (a
    # reduction over the rows of a C-ordered block): the same sums, bit for
    # bit, as np.add.at and as a sparse 0/1 membership matrix (3x faster than
    # np.add.at, and scoring needs no scipy.sparse: 0.2-0.3 s to import).
    rows = np.ascontiguousarray(vecs, dtype=float)
    region_means = np.zeros((n_regions, rows.shape[1]))
    for r in np.unique(vreg):
        region_means[r] = rows[vreg == r].sum(axis=0, initial=0.0)
    region_means /= np.maximum(counts, 1.0)[:, None]
    return Coupling(
        auditory=vecs.T @ patterns,
        motor=vecs.T @ motor_pattern,
        region_means=region_means,
        auditory_regions=tuple(labels[i] for i in aud),
        motor_regions=tuple(labels[i] for i in mot),
    )


def regional_projection(harmonics):
    """How strongly each global harmonic excites each region's own harmonics.

    Regional harmonics (RSHW) cannot cross region borders; they receive
    energy only through the global harmonics (docs/model.md).  For region ``r``
    with patch modes ``Phi_r`` (vertices of the patch x m) the coupling is
    ``C_r = Phi_r.T @ V[patch, :]`` (m x n_modes).  For incoherent global
    mode energies ``e`` the energy of regional harmonic ``i`` is
    ``sum_k C_r[i, k]^2 e_k``.

    Parameters
    ----------
    harmonics : Harmonics
        Harmonics with regional harmonics (vertex level).

    Returns
    -------
    weights : ndarray, shape (n_regional_total, n_modes)
        Squared couplings, one row per regional harmonic of every region.
    region_of_row : ndarray of int, shape (n_regional_total,)
        Region index of each row.
    order_of_row : ndarray of int, shape (n_regional_total,)
        Index of the regional harmonic within its region (0 = the patch's
        constant mode, i.e. the region's mean activity).
        All three are empty when no regional harmonics exist.
    """
    regional = tuple(getattr(harmonics, "regional", ()) or ())
    vecs = np.asarray(harmonics.vectors)
    if not regional:
        return np.zeros((0, vecs.shape[1])), np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    rows, region_of, order_of = [], [], []
    for rh in regional:
        c = np.asarray(rh.vectors).T @ vecs[np.asarray(rh.vertex_index)]
        rows.append(c**2)
        region_of.extend([rh.region] * c.shape[0])
        order_of.extend(range(c.shape[0]))
    return np.vstack(rows), np.asarray(region_of, dtype=int), np.asarray(order_of, dtype=int)
