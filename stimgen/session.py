"""One streamed session: render, master (two passes) and optionally score, section by section.

``stimgen generate``, ``stimgen play`` (fixed sessions, ``--offline
--record`` included) and ``stimgen optimize`` all produce a preset's audio
through :class:`Session`, so they give the same samples for the same preset,
seed and duration, and none of them holds the session in memory.  The
mastering's gain is planned from probe windows
(:func:`stimgen.mastering.probe_windows`: at most about a minute of audio,
rendered by skipping forward through the session), then the session is
rendered once, section by section, and mastered as it goes.

Examples
--------
>>> from stimgen.preset import load_preset
>>> s = Session(load_preset("groove"), duration_s=6.0)
>>> s.plan()
>>> blocks = list(s.blocks())
>>> sum(y.shape[1] for y in blocks), round(s.report["loudness_lufs"])
(288000, -20)
"""

from __future__ import annotations

import copy

import numpy as np

from .mastering import PROBE_PREROLL_S, StreamMaster, session_fade_s
from .mastering.master import WHOLE_PREROLL_S
from .render import SessionRenderer

__all__ = ["Session", "StreamScorer"]

_DENSITY_POINTS = 256


class Session:
    """A preset's session, streamed.

    Parameters
    ----------
    resolved : dict
        A preset.
    duration_s, sr, seed : float, int, int or None
        Overrides (as :func:`stimgen.render.render_preset`).
    mix : numpy.ndarray or None
        A user's track, shape (2, m), added under the layers at 0 dB (looped
        if shorter than the session, trimmed if longer) before mastering.
    section_frames : int or None
        Frames per rendered section (does not change the output); default:
        the mastering's block (:data:`~stimgen.mastering.MASTER_BLOCK_S`), so
        no section is cut.
    exclude : collection of int
        Layers left out (credit assignment), see :class:`stimgen.render.SessionRenderer`.

    :attr:`info` is the renderer's without the layers' RMS (``rms`` None:
    a pass over every sample that no caller needs).
    """

    def __init__(self, resolved, *, duration_s=None, sr=None, seed=None, mix=None, section_frames=None,
                 exclude=()):
        self.resolved = resolved
        self._args = {"duration_s": duration_s, "sr": sr, "seed": seed, "exclude": tuple(exclude)}
        first = SessionRenderer(resolved, **self._args, layer_rms=False)  # nobody reads a streamed layer's RMS
        self._fresh = first  # never read: each pass renders a copy (cheaper than drawing the notes again)
        self.p = first.p
        self.sr, self.n_frames = first.sr, first.n_frames
        self.duration_s = first.duration_s
        self.info = first.info
        self.mix = mix
        self.section_frames = (32 * self.sr) // 10 if section_frames is None else section_frames
        self.master = None
        self.report = None
        self.renderer = None

    @property
    def fresh_renderer(self):
        """The session's renderer before any frame is read (not to be read: copy it)."""
        return self._fresh

    def _with_mix(self, y, a):
        """Section ``y`` of frames from ``a``, with the user's track (looped) added."""
        if self.mix is None:
            return y
        idx = np.arange(a, a + y.shape[1]) % self.mix.shape[1]
        return y + self.mix[:, idx]

    def _sections(self, on_progress=None):
        renderer = copy.deepcopy(self._fresh)
        self.renderer = renderer
        for y in renderer.sections(self.section_frames, on_progress=on_progress):
            yield self._with_mix(y, renderer.position - y.shape[1])

    def _probes(self, windows, on_progress=None):
        """The probe windows ``(lo, y)`` of the mastering, rendered by skipping forward between them."""
        renderer = copy.deepcopy(self._fresh)
        pre = int(round((PROBE_PREROLL_S if self.master.sampled else WHOLE_PREROLL_S) * self.sr))
        total = sum(stop - start for start, stop in windows)
        done = 0
        tail = np.zeros((2, 0))  # the end of the last window: the pre-roll of a window that follows it
        for start, stop in windows:
            lo = max(0, start - pre)
            if lo > renderer.position:
                renderer.seek(lo)
                tail = np.zeros((2, 0))
            lo = max(lo, renderer.position - tail.shape[1])
            y = np.empty((2, stop - lo))
            y[:, :renderer.position - lo] = tail[:, tail.shape[1] - (renderer.position - lo):]
            while renderer.position < stop:
                a = renderer.position
                y[:, a - lo:min(stop, a + self.section_frames) - lo] = self._with_mix(
                    renderer.read(min(self.section_frames, stop - a)), a)
            tail = y[:, max(0, y.shape[1] - pre):]
            done += stop - start
            if on_progress is not None:
                on_progress(done / total)
            yield lo, y

    def plan(self, on_progress=None) -> None:
        """Fix the mastering gain from the probe windows (:func:`stimgen.mastering.probe_windows`).

        About :data:`~stimgen.mastering.PROBE_FULL_S` of audio is rendered
        whatever the session's length (the whole session if it is shorter).
        """
        fade_s = session_fade_s(self.duration_s)
        # The arc's energy at 256 points: where the session is loud the probe windows lie closer together.
        points = np.linspace(0, self.n_frames - 1, _DENSITY_POINTS).astype(np.int64)
        density = self._fresh.envelope_at(points) ** 2
        self.master = StreamMaster(sr=self.sr, n_frames=self.n_frames, n_channels=2,
                                   target_lufs=self.p["target_lufs"], ceiling_dbtp=self.p["ceiling_dbtp"],
                                   fade_in_s=fade_s, fade_out_s=fade_s, density=density)
        self.master.plan(self._probes(self.master.windows, on_progress), own=True)

    def blocks(self, on_progress=None):
        """The mastered session in blocks (2, m); :attr:`report` is set after the last."""
        if self.master is None:
            self.plan()
        yield from self.master.apply(self._sections(on_progress), own=True)  # each section is a new array
        self.report = self.master.report
        self.info = self.renderer.info


class StreamScorer:
    """The model's score of stereo blocks at any rate, fed as they are produced.

    The blocks are scored as ``stimgen score`` scores the written file
    (:func:`resonance.score_file`, which reads a two-channel file as the
    left and right ear): two channels stay two ears (the model's binaural
    stage compares them; their mean would turn a binaural beat into a
    monaural one), one channel is mono.  They are resampled to the model
    rate with streaming ``soxr`` resamplers (quality "HQ", as
    :func:`resonance.score_signal`), one per channel: soxr resamples each
    channel of a multichannel stream on its own, so the samples are the same
    bits as one (m, n_channels) stream's, without interleaving each block
    into a transposed copy and back.  They are given to
    :meth:`resonance.Scorer.process` as (n_channels, m) rows, gathered into
    blocks of at least ``block_s`` seconds (by default
    :data:`resonance.io.scoring.SCORE_BLOCK_S`, 20 s, as :func:`resonance.score_file`):
    the scorer's cost per block (buffers, per-stage set-up) is then paid
    once per 20 s rather than once per rendered section (~3 s), and
    its result does not depend on the split beyond float rounding (relative
    ~1e-11 on the score).

    Parameters
    ----------
    harmonics : resonance.Harmonics
    sr : int
        Rate of the blocks.
    block_s : float or None
        Least duration (s) of the blocks handed to the scorer; the last one
        may be shorter.  None: :data:`resonance.io.scoring.SCORE_BLOCK_S`.
    """

    def __init__(self, harmonics, *, sr: int, block_s: float | None = None):
        from resonance import Scorer
        from resonance.hearing.frontend import MODEL_SR
        from resonance.io.scoring import SCORE_BLOCK_S

        if block_s is None:
            block_s = SCORE_BLOCK_S
        self.scorer = Scorer(harmonics)
        self._sr, self._model_sr = int(sr), MODEL_SR
        self._resamplers = None
        self._n_channels = None
        self._mono = None  # blocks of shape (m,)
        self._block_n = max(int(round(float(block_s) * MODEL_SR)), 1)
        self._pending: list = []  # resampled samples not yet given to the scorer
        self._n_pending = 0

    def process(self, y) -> None:
        """Feed a block, shape (n_channels, m) or (m,); every block has the channel count of the first."""
        y = np.asarray(y, dtype=np.float64)
        if self._n_channels is None:
            self._mono = y.ndim == 1
            self._n_channels = 1 if self._mono else y.shape[0]
            if self._sr != self._model_sr:
                import soxr

                self._resamplers = [soxr.ResampleStream(self._sr, self._model_sr, 1, dtype="float64", quality="HQ")
                                    for _ in range(self._n_channels)]
        if self._resamplers is None:
            self._feed(y.copy())  # kept until a block is full: the caller may reuse its buffer
        elif y.ndim == 1:
            self._feed(self._resamplers[0].resample_chunk(y))
        else:
            self._feed(np.stack([r.resample_chunk(np.ascontiguousarray(x)) for r, x in zip(self._resamplers, y)]))

    def _feed(self, y) -> None:
        if y.shape[-1]:
            self._pending.append(y)
            self._n_pending += y.shape[-1]
            if self._n_pending >= self._block_n:
                self._flush()

    def _flush(self) -> None:
        """Give the gathered samples to the scorer as one block."""
        if self._n_pending:
            block = self._pending[0] if len(self._pending) == 1 else np.concatenate(self._pending, axis=-1)
            self._pending, self._n_pending = [], 0
            self.scorer.process(block)

    def result(self):
        """Flush the resamplers and the gathered samples; return the :class:`resonance.ScoreResult`."""
        if self._resamplers is not None:
            tails = [r.resample_chunk(np.zeros(0), last=True) for r in self._resamplers]
            self._feed(tails[0] if self._mono else np.stack(tails))
        self._flush()
        return self.scorer.result()
