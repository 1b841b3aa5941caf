"""One streamed session: render, master (two passes) and optionally score, section by section.

``stimgen generate``, ``stimgen play`` (fixed sessions, ``--offline
--record`` included) and ``stimgen optimize`` all produce a preset's audio
through :class:`Session`, so they give the same samples for the same preset,
seed and duration, and none of them holds the session in memory: the
renderer (:class:`stimgen.render.SessionRenderer`) runs twice, once for the
mastering's measurements (pass 1) and once for the output (pass 2).

Examples
--------
>>> from stimgen.preset import load_preset
>>> s = Session(load_preset("groove"), duration_s=6.0)
>>> s.plan()
>>> sum(y.shape[1] for y in s.blocks()), round(s.report["loudness_lufs"])
(288000, -20)
"""

from __future__ import annotations

import numpy as np

from .mastering import plan_master, session_fade_s
from .render import SECTION_FRAMES, SessionRenderer

__all__ = ["Session", "StreamScorer"]


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
    section_frames : int
        Frames per rendered section (does not change the output).
    energy_hop : int or None
        Keep the K-weighted energy per ``energy_hop`` frames in pass 1
        (``self.master.reference_energy()``).
    exclude : collection of int
        Layers left out (credit assignment), see :class:`stimgen.render.SessionRenderer`.
    """

    def __init__(self, resolved, *, duration_s=None, sr=None, seed=None, mix=None, section_frames=SECTION_FRAMES,
                 energy_hop=None, exclude=()):
        self.resolved = resolved
        self._args = {"duration_s": duration_s, "sr": sr, "seed": seed, "exclude": tuple(exclude)}
        first = SessionRenderer(resolved, **self._args)
        self.p = first.p
        self.sr, self.n_frames = first.sr, first.n_frames
        self.duration_s = first.duration_s
        self.info = first.info
        self.mix = mix
        self.section_frames = section_frames
        self.master = None
        self.report = None
        self.renderer = None
        self.energy_hop = energy_hop

    def _sections(self, on_progress=None):
        renderer = SessionRenderer(self.resolved, **self._args)
        self.renderer = renderer
        for y in renderer.sections(self.section_frames, on_progress=on_progress):
            if self.mix is not None:
                a = renderer.position - y.shape[1]
                idx = np.arange(a, renderer.position) % self.mix.shape[1]
                y = y + self.mix[:, idx]
            yield y

    def plan(self, on_progress=None, *, dry_runs=True) -> None:
        """Pass 1 (and, with ``dry_runs``, any dry runs the limiter needs): fix the mastering gain.

        Without ``dry_runs`` the caller loops over :meth:`blocks` while
        :meth:`another_pass` is true (see ``stimgen generate``).
        """
        fade_s = session_fade_s(self.duration_s)
        self.master = plan_master(lambda: self._sections(on_progress), sr=self.sr, n_frames=self.n_frames,
                                  n_channels=2, target_lufs=self.p["target_lufs"],
                                  ceiling_dbtp=self.p["ceiling_dbtp"], fade_in_s=fade_s, fade_out_s=fade_s,
                                  energy_hop=self.energy_hop, dry_runs=dry_runs)
        self.report = self.master.report

    def another_pass(self) -> bool:
        """After :meth:`blocks`: True if the limiter made the loudness miss and pass 2 must run again."""
        return self.master.another_pass()

    def blocks(self, on_progress=None):
        """Pass 2: yield the mastered session in blocks (2, m); :attr:`report` is set at the end."""
        if self.master is None:
            self.plan()
        yield from self.master.apply(self._sections(on_progress))
        self.report = self.master.report
        self.info = self.renderer.info


class StreamScorer:
    """The model's score of stereo blocks at any rate, fed as they are produced.

    Channels are averaged and resampled to the model rate with a streaming
    ``soxr`` resampler (quality "HQ", as :func:`resonance.score_signal`), then
    given to :meth:`resonance.Scorer.process`.

    Parameters
    ----------
    harmonics : resonance.Harmonics
    sr : int
        Rate of the blocks.
    """

    def __init__(self, harmonics, *, sr: int):
        import soxr

        from resonance import Scorer
        from resonance.frontend import MODEL_SR

        self.scorer = Scorer(harmonics)
        self._resampler = None if sr == MODEL_SR else soxr.ResampleStream(sr, MODEL_SR, 1, dtype="float64",
                                                                          quality="HQ")

    def process(self, y) -> None:
        """Feed a block, shape (n_channels, m) or (m,)."""
        y = np.asarray(y, dtype=np.float64)
        mono = y.mean(axis=0) if y.ndim == 2 else y
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono)
        if mono.size:
            self.scorer.process(mono)

    def result(self):
        """Flush the resampler and return the :class:`resonance.ScoreResult`."""
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0), last=True)
            if tail.size:
                self.scorer.process(tail)
        return self.scorer.result()
