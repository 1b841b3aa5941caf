"""Where sound enters the connectome, and how each harmonic receives it.

Sound reaches the cortex at the auditory regions (MODEL.md 2.4).  Within
them, frequency is mapped in a tonotopic gradient (Formisano et al. 2003;
Saenz & Langers 2014): here each cochlear band enters a Gaussian patch centred
at its place along the principal axis of the auditory regions of each
hemisphere.  The beat additionally reaches the premotor/supplementary motor
cortex through the auditory-motor loop (Grahn & Brett 2007; Patel & Iversen
2014, the ASAP hypothesis), which is where the pulse resonator's output enters.

A harmonic's coupling to an entry pattern is the projection of its spatial
vector onto that pattern (MODEL.md 2.4); its response to the drive's rhythm
is its neural-field frequency response (:meth:`Harmonics.transfer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError
from .validation import check_float

__all__ = ["Coupling", "entry_coupling", "find_regions", "regional_projection", "AUDITORY_REGIONS", "MOTOR_REGIONS"]

#: Labels of auditory entry regions: TVB/CoCoMac names (A1, A2) and the
#: Desikan-Killiany names of Heschl's gyrus and the superior temporal plane.
AUDITORY_REGIONS = ("A1", "A2", "transversetemporal", "heschl", "HG")

#: Labels of the auditory-motor (beat) entry: medial premotor (SMA) and
#: dorsolateral premotor cortex in TVB/CoCoMac names, Desikan precentral/
#: paracentral otherwise.
MOTOR_REGIONS = ("PMCM", "PMCDL", "paracentral", "SMA")

# Hemisphere prefixes: FreeSurfer ("lh-", "ctx-rh-"), words ("Left-",
# "right_"), or TVB's single letter before an upper-case name ("rA1") or a
# separator ("L_A1").  A bare lower-case letter is not stripped, so Desikan
# names such as "lingual" keep their first letter.
_HEMI = re.compile(
    r"^(?:(?:ctx[-_])?(?:lh|rh)[-_.]|(?i:left|right)[-_ ]?|[lrLR][-_]|[lr](?=[A-Z]))"
)


def _core_label(label: str) -> str:
    """A region label without its hemisphere prefix, lower case."""
    return _HEMI.sub("", label.strip()).lower()


def find_regions(region_labels, names) -> np.ndarray:
    """Indices of the regions whose label (minus hemisphere prefix) is in ``names``.

    Parameters
    ----------
    region_labels : sequence of str
        Labels of the connectome's regions, e.g. ``"rA1"`` or ``"lh-transversetemporal"``.
    names : sequence of str
        Region names to look for (case-insensitive).

    Returns
    -------
    ndarray of int
        Matching region indices (possibly empty).

    Examples
    --------
    >>> find_regions(["rA1", "rV1", "lA1"], ["A1"]).tolist()
    [0, 2]
    """
    wanted = {n.lower() for n in names}
    return np.array([i for i, lab in enumerate(region_labels) if _core_label(str(lab)) in wanted], dtype=int)


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
    auditory_regions=AUDITORY_REGIONS,
    motor_regions=MOTOR_REGIONS,
    tonotopic_width: float = 0.25,
) -> Coupling:
    """Project the harmonics onto the auditory (tonotopic) and motor entries.

    Parameters
    ----------
    harmonics : Harmonics
        Output of :func:`resonance.connectome_harmonics`.
    n_bands : int
        Number of cochlear bands of the front end.
    auditory_regions, motor_regions : sequence of str
        Region names (without hemisphere prefix) used as entries.
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
        If the connectome has no region matching the auditory entry names.
    """
    check_float("tonotopic_width", tonotopic_width, low=0.0, low_inclusive=False)
    labels = tuple(str(x) for x in harmonics.region_labels)
    vecs = np.asarray(harmonics.vectors)
    vreg = np.asarray(harmonics.vertex_region)
    n_regions = len(labels)
    aud = find_regions(labels, auditory_regions)
    if aud.size == 0:
        raise ParameterError(
            f"connectome has no auditory entry region: none of its {n_regions} labels matches "
            f"{', '.join(auditory_regions)} (with or without a hemisphere prefix)"
        )
    mot = find_regions(labels, motor_regions)
    pos = np.asarray(harmonics.positions_mm, dtype=float)
    hemi = np.asarray(harmonics.hemisphere)

    # Left-right axis of the brain: from the centroid of the right hemisphere
    # to that of the left (independent of the mesh's coordinate frame).
    left, right = pos[hemi == "L"], pos[hemi == "R"]
    if len(left) and len(right):
        lr_axis = left.mean(axis=0) - right.mean(axis=0)
        lr_axis /= max(np.linalg.norm(lr_axis), 1e-12)
        midpoint = 0.5 * (left.mean(axis=0) + right.mean(axis=0))
    else:
        lr_axis, midpoint = None, None

    patterns = np.zeros((vecs.shape[0], n_bands))
    entry_vertices = np.flatnonzero(np.isin(vreg, aud))
    for h in np.unique(hemi[entry_vertices]):
        idx = entry_vertices[hemi[entry_vertices] == h]
        if idx.size < 3 or harmonics.level == "region":
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
    region_means = np.zeros((n_regions, vecs.shape[1]))
    np.add.at(region_means, vreg, vecs)
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
    energy only through the global harmonics (MODEL.md 1).  For region ``r``
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
