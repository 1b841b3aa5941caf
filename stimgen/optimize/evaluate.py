"""Scoring a candidate preset exactly as ``stimgen generate`` would.

:func:`evaluate_preset` streams a preset through ``stimgen generate``'s own
path (:class:`stimgen.session.Session`: the mastering gain planned from
probe windows, then rendered and mastered in one pass, section by section) and scores the mastered blocks as they come
(:class:`stimgen.session.StreamScorer`).  So a preset that the optimizer
scored gets the same score when ``stimgen generate`` renders it (on the same
connectome), and a candidate's memory does not grow with its duration: long
candidates do not multiply memory by the number of workers.

:func:`layer_contributions` does the credit assignment: the session is
streamed again with one layer left out at a time (the other layers keep
their random streams), mastered to the same loudness and scored; a layer's
contribution is the full score minus the score without it.

:class:`EvaluationPool` runs evaluations on a Dask cluster (a local one of
``workers`` processes, or an existing one); the harmonics are sent to each
worker once.  Every evaluation, on a worker or in this process, runs with
one BLAS/OpenMP thread, so a score does not depend on how many workers
computed it.
"""

from __future__ import annotations

import contextlib

import numpy as np

from resonance.errors import ResonanceError

from ..errors import StimgenError

__all__ = [
    "evaluate_preset",
    "evaluate_mix",
    "safe_evaluate",
    "layer_contributions",
    "load_harmonics",
    "single_thread",
    "EvaluationPool",
]


@contextlib.contextmanager
def single_thread():
    """Run the block with one BLAS/OpenMP thread (results independent of thread counts)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=1):
        yield


def load_harmonics(connectome=None):
    """Load a connectome (``None`` = the default, or a path) and its harmonics.

    Parameters
    ----------
    connectome : str, os.PathLike, resonance.Connectome or None

    Returns
    -------
    resonance.Harmonics
        The default 200 modes (cached on disk; see
        :func:`resonance.harmonics.connectome_harmonics`).

    Raises
    ------
    resonance.errors.DataFileError, resonance.errors.ParameterError
        If the connectome file is unusable.
    """
    import warnings

    from resonance.connectome import ConnectomeWarning
    from resonance.harmonics import connectome_harmonics

    with warnings.catch_warnings():
        # Dropped regions are reported once by the caller, not by every worker.
        warnings.simplefilter("ignore", ConnectomeWarning)
        return connectome_harmonics(connectome)


def evaluate_mix(y, resolved: dict, *, sr: int, duration_s: float, harmonics, config=None) -> dict:
    """Master a rendered mix like ``stimgen generate`` and score it.

    Parameters
    ----------
    y : numpy.ndarray, shape (2, n_samples)
        The summed layers, before mastering.
    resolved : dict
        The preset (its ``target_lufs`` and ``ceiling_dbtp`` are used).
    sr : int
        Sample rate of ``y`` (Hz).
    duration_s : float
        Duration (s), for the fade lengths.
    harmonics : resonance.Harmonics
    config : resonance.ModelConfig or None

    Returns
    -------
    dict
        ``score`` (float, basis points of the reference build-up), ``consonance``
        (float, or None for a sound without pitch),
        ``metrics`` (every metric of :class:`resonance.ScoreResult`),
        ``loudness_lufs`` and ``true_peak_dbtp`` of the mastered audio.  A
        silent mix scores 0 (``metrics`` empty).
    """
    from resonance import score_signal

    from ..mastering import master_session

    if not np.any(np.abs(y) > 0):
        return {"score": 0.0, "consonance": None, "metrics": {}, "loudness_lufs": None, "true_peak_dbtp": None}
    mastered, report = master_session(
        y, sr=sr, duration_s=duration_s, target_lufs=resolved["target_lufs"], ceiling_dbtp=resolved["ceiling_dbtp"],
    )
    result = score_signal(mastered, sr, harmonics=harmonics, config=config)
    metrics = result.to_dict()["metrics"]
    return {
        "score": float(result.score),
        "consonance": metrics.get("consonance"),  # None without pitch
        "metrics": metrics,
        "loudness_lufs": float(report["loudness_lufs"]),
        "true_peak_dbtp": float(report["true_peak_dbtp"]),
    }


def _evaluate_session(session, *, harmonics) -> dict:
    """Master a :class:`stimgen.session.Session` (planned gain, one streamed pass) and score its blocks as they come."""
    from ..session import StreamScorer

    session.plan()
    scorer = StreamScorer(harmonics, sr=session.sr)
    for block in session.blocks():
        scorer.process(block)
    result = scorer.result()
    report = session.report
    return {
        "score": float(result.score),
        "consonance": result.metrics.get("consonance"),  # None without pitch
        "metrics": result.to_dict()["metrics"],
        "loudness_lufs": float(report["loudness_lufs"]),
        "true_peak_dbtp": float(report["true_peak_dbtp"]),
    }


def evaluate_preset(resolved: dict, *, harmonics, config=None) -> dict:
    """Render, master and score one preset at its own duration, streamed like ``stimgen generate``.

    Parameters
    ----------
    resolved : dict
        A resolved preset (:func:`stimgen.preset.validate_preset`).
    harmonics : resonance.Harmonics
        The connectome harmonics to score on.
    config : resonance.ModelConfig or None
        Model constants; only the defaults stream (a custom config is scored
        from the array, as :func:`evaluate_mix`).

    Returns
    -------
    dict
        See :func:`evaluate_mix`.

    Raises
    ------
    StimgenError, ResonanceError
        If the preset cannot be rendered or the audio cannot be scored.

    Examples
    --------
    >>> from stimgen.preset import load_preset  # doctest: +SKIP
    >>> evaluate_preset(load_preset("groove"), harmonics=h)["score"]  # doctest: +SKIP
    1.14
    """
    from ..session import Session

    with single_thread():
        if config is not None:
            from ..render import render_preset

            y, info = render_preset(resolved)
            return evaluate_mix(y, resolved, sr=info["sr"], duration_s=info["duration_s"], harmonics=harmonics,
                                config=config)
        return _evaluate_session(Session(resolved), harmonics=harmonics)


def layer_contributions(resolved: dict, *, harmonics, config=None) -> dict:
    """Score a preset with each layer left out in turn (credit assignment), streamed.

    Each partial session keeps the other layers' samples (layer ``i``
    always draws from its own random stream), is mastered to the same
    loudness as the full one and scored.

    Parameters
    ----------
    resolved : dict
        A resolved preset.
    harmonics : resonance.Harmonics
    config : resonance.ModelConfig or None
        Must be None (the default model) for streaming; kept for the signature.

    Returns
    -------
    dict
        ``full`` (the evaluation of the whole mix, see :func:`evaluate_mix`)
        and ``layers``: one dict per layer with ``index``, ``kind``,
        ``gain_db``, ``score_without`` and ``contribution`` (full score minus
        ``score_without``; negative when the layer lowers the score).
    """
    from ..session import Session

    with single_thread():
        full = _evaluate_session(Session(resolved), harmonics=harmonics)
        layers = []
        for i, layer in enumerate(resolved["layers"]):
            try:
                without = _evaluate_session(Session(resolved, exclude=(i,)), harmonics=harmonics)
            except (StimgenError, ResonanceError):  # e.g. what is left is silent or too quiet to measure
                without = {"score": 0.0}
            layers.append({
                "index": i,
                "kind": layer["kind"],
                "gain_db": layer["gain_db"],
                "score_without": without["score"],
                "contribution": full["score"] - without["score"],
            })
    return {"full": full, "layers": layers}


# Distributing evaluations
# --------------------------------------------------------------------------


def safe_evaluate(resolved: dict, *, harmonics) -> dict:
    """:func:`evaluate_preset`, with a user-level failure returned as ``{"error": message}``."""
    try:
        return evaluate_preset(resolved, harmonics=harmonics)
    except (StimgenError, ResonanceError) as exc:
        return {"error": str(exc)}


class EvaluationPool:
    """Evaluate presets on a Dask cluster, or in this process.

    Use as a context manager; :meth:`imap` yields results in input order.
    With ``client`` the evaluations run on that cluster (e.g.
    ``stimgen optimize --scheduler``); else with ``workers >= 2`` on a local
    cluster of that many processes (:func:`stimgen.cluster.dask_client`),
    started on entry and closed on exit; else in this process.  The
    harmonics are sent to every worker once (``scatter(broadcast=True)``),
    not with each candidate.  A whole generation is submitted at once and
    the results are read back in order, so the search sees the same values
    whatever the number of workers.

    Parameters
    ----------
    connectome : str, os.PathLike or None
        Connectome path (kept for the record; the workers get ``harmonics``).
    harmonics : resonance.Harmonics
        The harmonics every evaluation uses.
    workers : int
        Local worker processes (1 = this process); ignored with ``client``.
    client : distributed.Client or None
        An existing cluster to use (left running).
    """

    def __init__(self, *, connectome, harmonics, workers: int, client=None):
        self.connectome = connectome
        self.harmonics = harmonics
        self.workers = workers
        self.client = client
        self._stack = None
        self._client = None
        self._shared = None

    def __enter__(self) -> "EvaluationPool":
        client = self.client
        if client is None and self.workers > 1:
            from ..cluster import dask_client

            self._stack = contextlib.ExitStack()
            client = self._stack.enter_context(dask_client(workers=self.workers))
        if client is not None:
            self._client = client
            self._shared = client.scatter(self.harmonics, broadcast=True, hash=False)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._client is not None and self._shared is not None:
            with contextlib.suppress(Exception):
                self._client.cancel([self._shared])
        self._client = self._shared = None
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def imap(self, presets):
        """Yield the evaluation of each preset, in order.

        Raises
        ------
        StimgenError
            If a worker died on an evaluation more often than the cluster
            allows (the checkpoint keeps the evaluations finished before).
        """
        if self._client is None:
            for preset in presets:
                yield safe_evaluate(preset, harmonics=self.harmonics)
            return
        futures = [self._client.submit(safe_evaluate, preset, harmonics=self._shared, pure=False) for preset in presets]
        try:
            for future in futures:
                try:
                    yield future.result()
                except (StimgenError, ResonanceError):
                    raise
                except Exception as exc:  # noqa: BLE001 - a lost worker, not a bad candidate
                    raise StimgenError(
                        f"an evaluation was lost on the Dask cluster ({type(exc).__name__}: {exc}); "
                        "run the same command again to resume from the checkpoint"
                    ) from None
        finally:
            self._client.cancel([f for f in futures if not f.done()])
