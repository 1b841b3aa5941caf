"""Scoring an audio file: the model (:class:`resonance.scorer.Scorer`) fed from disk.

:func:`score_file` streams a file block by block through one
:class:`~resonance.scorer.Scorer` (bounded memory), the file-reading
counterpart of :func:`resonance.scorer.score_signal`.  It is re-exported as
:func:`resonance.score_file`; a whole library of files is scored by
:func:`resonance.io.library.score_rows`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataFileError, ParameterError
from ..hearing.frontend import MODEL_SR
from ..config import ModelConfig
from ..scorer import Scorer

__all__ = ["score_file", "SCORE_BLOCK_S"]

#: Seconds of audio handed to the scorer per call when a file is scored (engineering choice, measured
#: on 10.7 min of real mixes, CPU of the whole score, least of 3, one core: 10 s blocks 2.61-2.85 s,
#: 20 s 2.29, 30 s 2.27-2.41, 60 s 2.55; peak RSS 237 / 277 / 304 MB for 10 / 20 / 30 s).  Every
#: stage streams, so the result does not depend on the block size beyond float rounding (scores
#: within 1.3e-11 relative across these sizes); the cost per call (buffers, per-stage set-up,
#: Python) is paid half as often as with 10 s blocks, and memory stays bounded by the block.
SCORE_BLOCK_S = 20.0


def score_file(path, *, harmonics, config: ModelConfig | None = None, block_s: float = SCORE_BLOCK_S, on_progress=None):
    """Score an audio file, streaming it block by block (bounded memory).

    Parameters
    ----------
    path : str or Path
        Audio file (any format of :data:`resonance.io.audio.SUPPORTED_EXTENSIONS`).
    harmonics : Harmonics
        Connectome harmonics.
    config : ModelConfig or None
        Model constants.
    block_s : float
        Seconds of audio decoded per block (default :data:`SCORE_BLOCK_S`, 20 s).
    on_progress : callable or None
        Called as ``on_progress(seconds_done, seconds_total)`` after each block.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataFileError
        If the file is missing, unreadable, truncated, empty, silent or holds
        NaN/inf samples; the message names the file.

    Examples
    --------
    >>> import resonance
    >>> h = resonance.connectome_harmonics()  # doctest: +SKIP
    >>> resonance.score_file("samples/groove_120bpm.flac", harmonics=h).score  # doctest: +SKIP
    """
    from .audio import AudioReader  # on demand: importing resonance loads no audio library

    # float32 blocks: the front end analyses single precision (the same samples, read more cheaply).
    reader = AudioReader(path, sr=MODEL_SR, block_s=block_s, dtype=np.float32, mono=False)
    total_s = reader.info.duration_s
    scorer = Scorer(harmonics, config=config)
    done = 0
    for block in reader:
        scorer.process(block)
        done += block.shape[-1]
        if on_progress is not None:
            on_progress(done / MODEL_SR, total_s)
    try:
        return scorer.result()
    except ParameterError as exc:
        raise DataFileError(f"'{path}': {exc}") from None
