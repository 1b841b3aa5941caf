"""Reports of ``stimgen score``: text, one-line reading, JSON/CSV rows, plot.

Pure formatting plus atomic file writes; nothing here runs the model.  Every
function takes the JSON-ready record of one scored file (:func:`score_record`,
built from :meth:`resonance.ScoreResult.to_dict`) so that the table, the
JSON lines, the CSV rows and the reading all show the same rounded numbers.

Units.  The score and every energy are in *basis points of the references*
(:data:`resonance.result.SCORE_UNITS`): 10,000 is the energy that an
unlearnable isochronous 120 BPM train of full-strength onsets in every band
(and a full-depth 4 Hz amplitude modulation in every band) delivers at the
auditory entry.  The score is the level the reservoir settles at under the
sound, read after the first 10 s, so it compares across durations: over 16
steady grooves, 20 s, 60 s and 3-minute excerpts score alike within 12 %
(README.md, "Score").

The reading
-----------
:func:`reading` turns the metrics into one line.  It looks at the numbers
only (never at the file name), in this order:

1. ``semantic_fraction >= SEMANTIC_FRACTION_MOSTLY`` -> "mostly semantic:
   speech detected".
2. ``absorbed_fraction >= ABSORBED_FRACTION_MOSTLY`` -> "mostly absorbed:
   highly predictable".
3. ``score >= SCORE_BUILDS`` -> "builds neutral energy: ..."; otherwise
   "little resonance: ...".  The part after the colon says what kind of
   drive it is: a coherent rhythm (``entrainment >= ENTRAINMENT_COHERENT``,
   with its tempo), noise-like (no pitch: ``consonance`` is None, or
   ``harmonicity < HARMONICITY_TONAL``), or
   steady consonant / dissonant tones without a pulse (sign of
   ``consonance``), or, when a tempo was found but the entrainment is below
   the threshold, a "weak pulse" with its tempo (so the reading never says
   "no pulse" beside a tempo); then how much of it the sinks predict
   (``absorbed_fraction`` against ``ABSORBED_FRACTION_PARTLY``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import ParameterError

__all__ = [
    "SCORE_BUILDS",
    "SEMANTIC_FRACTION_MOSTLY",
    "ABSORBED_FRACTION_MOSTLY",
    "ABSORBED_FRACTION_PARTLY",
    "ENTRAINMENT_COHERENT",
    "HARMONICITY_TONAL",
    "HEATMAP_MAX_ROWS",
    "LEGEND",
    "legend",
    "score_record",
    "reading",
    "format_record",
    "jsonl_line",
    "write_results",
    "plot_path_for",
    "plot_score",
    "check_plot_ymax",
]

#: Score (basis points of the references, :data:`resonance.result.SCORE_UNITS`)
#: from which a stimulus "builds neutral energy".  Engineering choice, set
#: between the groups measured on the 20 s samples (groove 0.48, metronome
#: 0.013, semitone cluster 0.0023 (its beating), consonant drone 0.0005; white
#: noise 0.0001) and on real recordings at -23 LUFS (benchmarks/bench_real.py:
#: produced music mixes 0.0013-0.1, median 0.015; solo and ensemble renderings
#: 0.0026-0.08; noise 0.0002 or less, steady tones 0.00003 or less).  Kept at
#: 0.001 when the modulation sink (resonance.expectation.sinks.ModulationSink) raised
#: music 2-3x: it still separates noise and steady tones from every mix.
#: Speech (samples 0.0012, recorded voices 0.002-0.009 in their non-semantic
#: part) is read by its semantic fraction before the score.
SCORE_BUILDS = 0.001

#: Share of the onset drive marked as speech above which the stimulus is read
#: as "mostly semantic" (more than half of the drive is legible speech).
SEMANTIC_FRACTION_MOSTLY = 0.5

#: Share of the onset drive absorbed by the sinks above which the stimulus is
#: read as "mostly absorbed" (the sinks predict four onsets in five).
ABSORBED_FRACTION_MOSTLY = 0.8

#: Share absorbed below which the sinks "barely predict" the drive; between
#: this and :data:`ABSORBED_FRACTION_MOSTLY` they "only partly predict" it.
ABSORBED_FRACTION_PARTLY = 0.3

#: Entrainment (coherent pulse power relative to the reference) from which the
#: drive counts as a coherent rhythm (engineering choice for the reading).
#: Since onsets are single events (:mod:`resonance.hearing.events`) every value is
#: about 9x lower than before: the sample rhythms reach 0.022 (groove) and
#: 0.69 (metronome); white noise, the consonant drone and steady tones stay
#: below 0.001, the beating semitone cluster 0.008.
ENTRAINMENT_COHERENT = 0.015

#: Harmonicity (bits, :mod:`resonance.hearing.consonance`) below which a drive
#: without a pulse reads as noise-like.  Sounds without pitch have no
#: harmonicity at all (None); pitched sounds give about 0.6 (six-note
#: semitone clusters) to 2 (a single harmonic tone).
HARMONICITY_TONAL = 0.4

#: The heat map of energy per harmonic shows at most this many rows; more
#: modes are averaged in groups of consecutive indices.
HEATMAP_MAX_ROWS = 64

def score_record(file: str, result, *, model_version: str) -> dict:
    """The JSON-ready record of one scored file.

    Parameters
    ----------
    file : str
        The file name as it will be shown.
    result : resonance.ScoreResult
    model_version : str
        Version of the package that scored it (``stimgen.__version__``).

    Returns
    -------
    dict
        ``file``, then :meth:`~resonance.ScoreResult.to_dict`'s keys
        (``duration_s``, ``score``, ``metrics``, ``arc``, ``harmonics``,
        ``top_regions``), then ``reading``, ``score_units`` and
        ``model_version``.  Numbers are rounded to 6 significant digits,
        non-finite ones are ``None``.

    Examples
    --------
    >>> rec = score_record("a.wav", result, model_version="0.1.0")  # doctest: +SKIP
    >>> rec["metrics"]["tempo_bpm"]  # doctest: +SKIP
    119.88
    """
    record = {"file": str(file)}
    record.update(result.to_dict())
    record["reading"] = reading(record)
    record["model_version"] = str(model_version)
    return record


def _get(mapping: dict, key: str) -> float | None:
    value = mapping.get(key)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def reading(record: dict) -> str:
    """One line that says what the numbers of a record mean.

    Parameters
    ----------
    record : dict
        A record of :func:`score_record` (needs ``score`` and ``metrics``).

    Returns
    -------
    str
        E.g. ``"builds neutral energy: coherent rhythm (~120 BPM) that the
        sinks only partly predict (69 % absorbed)"``.  The thresholds are the
        module's constants (see the module docstring).

    Examples
    --------
    >>> reading({"score": 3e-11, "metrics": {"entrainment": 0.02, "harmonicity": 0.25,
    ...          "absorbed_fraction": 0.5, "semantic_fraction": 0.0}})
    'little resonance: incoherent (noise-like), the sinks only partly predict it (50 % absorbed)'
    """
    m = record.get("metrics") or {}
    score = _get(record, "score") or 0.0
    semantic = _get(m, "semantic_fraction") or 0.0
    absorbed = _get(m, "absorbed_fraction") or 0.0
    entrainment = _get(m, "entrainment") or 0.0
    tempo = _get(m, "tempo_bpm")
    harmonicity = _get(m, "harmonicity") or 0.0
    consonance = _get(m, "consonance")  # None: no pitch

    if semantic >= SEMANTIC_FRACTION_MOSTLY:
        return f"mostly semantic: speech detected ({100 * semantic:.0f} % of the drive)"
    if absorbed >= ABSORBED_FRACTION_MOSTLY:
        return f"mostly absorbed: highly predictable ({100 * absorbed:.0f} % of the drive absorbed)"
    head = "builds neutral energy" if score >= SCORE_BUILDS else "little resonance"
    share = f"({100 * absorbed:.0f} % absorbed)"
    if entrainment >= ENTRAINMENT_COHERENT:
        beat = f" (~{tempo:.0f} BPM)" if tempo else ""
        kind = f"coherent rhythm{beat}"
        if absorbed >= ABSORBED_FRACTION_PARTLY:
            return f"{head}: {kind} that the sinks only partly predict {share}"
        return f"{head}: {kind} that the sinks barely predict {share}"
    no_pitch = consonance is None or harmonicity is None or harmonicity < HARMONICITY_TONAL
    if tempo:  # a pulse was found (pulse salience), but it drives little coherent power
        sound = "noise-like" if no_pitch else "tonal"
        kind = f"weak pulse (~{tempo:.0f} BPM, {sound})"
    elif no_pitch:
        kind = "incoherent (noise-like)"
    elif consonance >= 0:
        kind = "steady consonant tones, no pulse"
    else:
        kind = "steady dissonant tones, no pulse"
    if absorbed >= ABSORBED_FRACTION_PARTLY:
        return f"{head}: {kind}, the sinks only partly predict it {share}"
    return f"{head}: {kind}, the sinks barely predict it {share}"


#: What the units of the terminal output mean and what a high score is, printed
#: once under the results of ``stimgen score`` (figures from README.md).
LEGEND = (
    "units: score and energies in basis points of the references (bp ref: 10,000 = what an unpredictable "
    "120 BPM train of full-strength onsets delivers at the auditory entry); higher = more "
    f"semantically-neutral energy builds up. Above {SCORE_BUILDS:g} a sound builds neutral energy: the 20 s "
    "sample groove scores ~0.6, the metronome ~0.1, drones ~0.0002, speech ~0.0001, white noise ~0.00002. "
    "entrainment: coherent 2 Hz-loop power "
    "(x ref: times the reference's); consonance: 1.78 harmonicity - 1.62 roughness + 0.089 familiarity (higher = more consonant; - = no pitch); "
    "surprise: bits per onset of the metre model's predictions plus bits per chord change; absorbed: share of the "
    "onset drive the sinks predicted; semantic: share marked as speech; synchrony: phase locking, 0-1."
)


def legend() -> str:
    """The units line printed under ``stimgen score``'s results (:data:`LEGEND`)."""
    return LEGEND


def _fmt(value, spec: str, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{format(value, spec)}{unit}"


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def format_record(record: dict) -> str:
    """Aligned text lines for one record (the human output of ``stimgen score``).

    Parameters
    ----------
    record : dict
        A record of :func:`score_record`.

    Returns
    -------
    str
        Several lines, without a trailing newline: the file name, then
        two columns of ``name value`` pairs, then the reading.
    """
    m = record.get("metrics") or {}
    pairs = [
        ("duration", _fmt(record.get("duration_s"), ".1f", " s")),
        ("score", _fmt(record.get("score"), ".3g", " bp ref")),
        ("consonance", _fmt(m.get("consonance"), "+.3f")),
        ("entrainment", _fmt(m.get("entrainment"), ".3g", " x ref")),
        ("tempo", _fmt(m.get("tempo_bpm"), ".1f", " BPM")),
        ("surprise", _fmt(m.get("surprise"), ".3g", " bits")),
        ("absorbed", _pct(m.get("absorbed_fraction"))),
        ("semantic", _pct(m.get("semantic_fraction"))),
        ("synchrony", _fmt(m.get("synchrony"), ".3f")),
    ]
    lines = [str(record.get("file", ""))]
    for i in range(0, len(pairs), 2):
        row = "".join(f"{name:<12} {value:<17}" for name, value in pairs[i : i + 2])
        lines.append("  " + row.rstrip())
    lines.append(f"  {'reading':<12} {record.get('reading') or reading(record)}")
    return "\n".join(lines)


def jsonl_line(record: dict) -> str:
    """One deterministic JSON line (no trailing newline) for a record."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _flatten(record: dict) -> dict:
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v
        elif key == "top_regions":
            flat[key] = ";".join(f"{r['region']}:{r['share']}" for r in value)
        else:
            flat[key] = value
    return flat


def write_results(records: list[dict], path) -> Path:
    """Write records as a results table, atomically (:func:`resonance.io.library.write_table`).

    Parameters
    ----------
    records : list of dict
        Records of :func:`score_record`.
    path : str or os.PathLike
        ``.jsonl`` (the lines of ``--json``, one record a line), or
        ``.csv`` / ``.parquet`` (flattened: ``metrics.X`` and ``arc.Y``
        columns, ``top_regions`` as one ``"region:share;..."`` column; a
        missing value is an empty cell / null).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If the extension is not one of
        :data:`resonance.io.library.OUT_FORMATS`, or the folder does not
        exist or is not writable.
    DataFileError
        If the file cannot be written (an existing file is then untouched).
    """
    from resonance.io.library import OUT_FORMATS, write_table

    from .io import check_output_path

    path = check_output_path(path, what="--out", extensions=OUT_FORMATS)
    rows = records if path.suffix.lower() == ".jsonl" else [_flatten(r) for r in records]
    return write_table(rows, path)


def check_plot_ymax(ymax) -> float:
    """Check ``--plot-ymax``: a finite number above 0 (% of the reference); return it as a float."""
    from resonance.validation import check_float

    try:
        return check_float("--plot-ymax", ymax, low=0.0, low_inclusive=False)
    except ValueError as exc:
        raise ParameterError(f"{exc}; it is the top of the energy scales in % of the reference") from None


def plot_path_for(plot, file, *, several: bool, taken: set | None = None) -> Path:
    """The figure written for one scored file.

    With one input file the plot goes to ``plot`` itself; with several, the
    file's stem is inserted: ``plot.png`` -> ``plot-<filestem>.png``, and a
    stem already used gets ``-2``, ``-3``... (pass the same ``taken`` set for
    every file).

    Examples
    --------
    >>> plot_path_for("out/p.png", "a/groove.flac", several=True).as_posix()
    'out/p-groove.png'
    """
    plot = Path(plot)
    if not several:
        return plot
    stem = Path(file).stem
    name = f"{plot.stem}-{stem}"
    if taken is not None:
        candidate, k = name, 2
        while candidate in taken:
            candidate = f"{name}-{k}"
            k += 1
        taken.add(candidate)
        name = candidate
    return plot.with_name(name + plot.suffix)


def _group_modes(energy, max_rows: int):
    """Average consecutive modes in groups; return (grouped, edges in mode index)."""
    import numpy as np

    n_modes = energy.shape[0]
    size = max(1, math.ceil(n_modes / max_rows))
    starts = np.arange(0, n_modes, size)
    grouped = np.add.reduceat(energy.astype(float), starts, axis=0) / np.diff(np.append(starts, n_modes))[:, None]
    edges = np.append(starts, n_modes) + 0.5  # mode indices are 1-based
    return grouped, edges, size


def plot_score(record: dict, timeline: dict, path, *, arc_threshold: float = 0.5, ymax: float | None = None) -> Path:
    """Write the figure (PNG, SVG or PDF, by extension) of one scored file.

    Three panels on a shared time axis: (1) SNE ("temperature") with its peak
    and the arc threshold; (2) energy stored from the absorbed (predicted)
    drive against the neutral energy (SNE), with the share of speech;
    (3) heat map of the neutral energy stored in each harmonic (log colour
    scale; modes averaged in groups when there are more than
    :data:`HEATMAP_MAX_ROWS`).

    Parameters
    ----------
    record : dict
        Record of :func:`score_record` (file name and score for the title).
    timeline : dict of ndarray
        :attr:`resonance.ScoreResult.timeline`.
    path : str or os.PathLike
        Target ``.png``; its folder must exist.  Written atomically.
    arc_threshold : float
        Fraction of the peak drawn as the arc threshold.
    ymax : float or None
        Fixed top of the energy scales (% of reference): the SNE axis runs
        from 0 to ``ymax`` and the heat map's colours top out at it, so
        figures of several files compare (white noise then looks as flat as
        it is).  The log axis of absorbed versus neutral energy keeps its own
        range (the absorbed store is often far above the neutral one).  ``None`` scales each figure to its own data.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        If the file cannot be written.
    """
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    from .plotting import save_figure_atomic

    t = np.asarray(timeline["t_s"], dtype=float)
    sne = np.asarray(timeline["sne"], dtype=float)
    absorbed = np.asarray(timeline["absorbed"], dtype=float)
    semantic = np.asarray(timeline["semantic"], dtype=float)
    energy = np.asarray(timeline["mode_energy"], dtype=float)
    dt = float(t[0]) if t.size else 1.0
    t_edges = np.concatenate([[t[0] - dt], t]) if t.size else np.array([0.0, 1.0])

    fig = Figure(figsize=(10, 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True, height_ratios=[1, 1, 1.5])
    name = Path(str(record.get("file", ""))).name
    score = record.get("score")
    score_text = "-" if score is None else f"{score:.3g}"
    fig.suptitle(f"{name}  -  score {score_text} (% of reference)\n{record.get('reading', '')}", fontsize=11)

    from .plotting import legend_above

    if ymax is not None:
        ymax = check_plot_ymax(ymax)
    scale_note = f"; fixed scale 0-{ymax:g}" if ymax is not None else "; scaled to this file"

    ax = axes[0]
    ax.plot(t, sne, color="tab:red", lw=1.8, label="SNE")
    if sne.size and sne.max() > 0:
        i = int(np.argmax(sne))
        ax.plot(t[i], sne[i], "o", color="tab:red", ms=5)
        ax.axhline(arc_threshold * sne[i], color="0.5", lw=0.8, ls="--", label=f"{arc_threshold:g} x peak")
    legend_above(ax)
    if ymax is not None:
        ax.set_ylim(0.0, ymax)
    ax.set_ylabel("SNE (% of reference)")
    ax.set_title(f'Semantically-neutral energy ("temperature"{scale_note})', fontsize=10, loc="left")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax.grid(alpha=0.3)

    ax = axes[1]
    # The two stores differ by orders of magnitude: a log axis shows both.
    both = np.concatenate([absorbed, sne])
    positive = both[both > 0]
    floor = max(float(positive.min()), float(positive.max()) * 1e-12) if positive.size else None
    ax.plot(t, absorbed, color="tab:blue", lw=1.5, label="absorbed (predicted drive)")
    ax.plot(t, sne, color="tab:red", lw=1.5, label="neutral (SNE)")
    if floor is not None:
        ax.set_yscale("log")
        ax.set_ylim(bottom=floor)

    ax.set_ylabel("stored energy (% of reference)")
    ax.set_title("Absorbed vs neutral energy", fontsize=10, loc="left")
    ax.grid(alpha=0.3)
    if semantic.size and semantic.max() > 0.05:
        ax2 = ax.twinx()
        ax2.fill_between(t, 0, semantic, step="pre", color="0.5", alpha=0.15, lw=0, label="speech share")
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("speech share (0-1)")
        ax.set_zorder(ax2.get_zorder() + 1)  # the energy lines above the shading
        ax.patch.set_visible(False)
        legend_above(ax, axes=[ax, ax2])
    else:
        legend_above(ax)

    ax = axes[2]
    grouped, m_edges, size = _group_modes(energy, HEATMAP_MAX_ROWS)
    positive = grouped[grouped > 0]
    if positive.size:
        vmax = float(positive.max()) if ymax is None else ymax
        vmin = max(float(positive.min()), vmax * 1e-6)
        vmin = min(vmin, vmax * 1e-6) if vmin >= vmax else vmin
        mesh = ax.pcolormesh(
            t_edges,
            m_edges,
            np.clip(grouped, vmin, None),
            norm=LogNorm(vmin=vmin, vmax=vmax),
            cmap="magma",
            shading="flat",
        )
        fig.colorbar(mesh, ax=ax, label="neutral energy (% of reference)")
    else:
        ax.text(0.5, 0.5, "no neutral energy in any harmonic", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylim(m_edges[0], m_edges[-1])
    group_note = f"; rows average {size} modes" if size > 1 else ""
    ax.set_ylabel(f"harmonic (mode index{group_note})")
    ax.set_xlabel("time (s)")
    ax.set_title("Neutral energy per connectome harmonic", fontsize=10, loc="left")
    ax.set_xlim(t_edges[0], t_edges[-1])
    return save_figure_atomic(fig, path)
