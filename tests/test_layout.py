"""The layout: one folder per stage, the config's sections, the stages' streaming contract."""

from __future__ import annotations

import dataclasses

import numpy as np

from resonance.config import SECTIONS, ModelConfig
from resonance.hearing.frontend import MODEL_SR
from resonance.scorer import Scorer


def test_every_config_field_belongs_to_exactly_one_stage_section():
    names = [f.name for f in dataclasses.fields(ModelConfig)]
    listed = [n for section in SECTIONS.values() for n in section]
    assert len(set(listed)) == len(listed), "a field is listed in two sections"
    assert not set(listed) - set(names), f"not fields of ModelConfig: {sorted(set(listed) - set(names))}"
    missing = sorted(set(names) - set(listed))
    assert not missing, f"ModelConfig fields in no section of resonance.config.SECTIONS: {missing}"
    assert set(SECTIONS) == {"hearing", "expectation", "dynamics", "harmonics", "metrics"}


def test_the_former_homes_still_export_the_same_objects():
    import resonance
    import resonance.harmonics as harmonics
    import resonance.pipeline as pipeline
    from resonance import config, metrics, result, scorer
    from resonance.harmonics import field, modes

    assert pipeline.ModelConfig is config.ModelConfig is resonance.ModelConfig
    assert pipeline.Scorer is scorer.Scorer is resonance.Scorer
    assert pipeline.score_signal is scorer.score_signal is resonance.score_signal
    assert pipeline.ScoreResult is result.ScoreResult is resonance.ScoreResult
    assert pipeline.SCORE_UNITS is result.SCORE_UNITS
    assert pipeline.arc_metrics is metrics.arc_metrics
    # Every public name of the former harmonics.py, and the field, from the package.
    for name in ("connectome_harmonics", "Harmonics", "RegionalHarmonics", "mesh_edges", "vertex_adjacency",
                 "normalized_laplacian", "laplacian_eigenmodes", "physical_eigenvalues", "mode_dispersion",
                 "neural_field_transfer", "spatial_axis_correlations", "LONG_RANGE_FRACTION", "CACHE_FORMAT"):
        assert name in harmonics.__all__ and hasattr(harmonics, name), name
    assert harmonics.connectome_harmonics is modes.connectome_harmonics
    assert harmonics.corticothalamic_transfer is field.corticothalamic_transfer


def _stereo_groove(seconds: float) -> np.ndarray:
    """Clicks at 2 Hz with a syncopated off-beat, over a 200/204 Hz binaural beat."""
    t = np.arange(int(seconds * MODEL_SR)) / MODEL_SR
    clicks = np.zeros_like(t)
    for onset_s in np.concatenate([np.arange(0.0, seconds, 0.5), np.arange(0.375, seconds, 2.0)]):
        i = int(onset_s * MODEL_SR)
        n = min(400, t.size - i)
        clicks[i : i + n] += np.hanning(800)[400 : 400 + n] * np.sin(2 * np.pi * 1500 * t[:n])
    tones = 0.05 * np.stack([np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 204 * t)])
    return 0.3 * clicks[None] + tones


def test_every_stage_returns_to_its_blank_state_at_reset(default_harmonics):
    """Scorer.reset() resets every stage object: a second stimulus scores exactly as the first.

    Stereo (binaural stage), clicks (sinks, absorption, recurrence, metre,
    oscillators) and odd block lengths, so that every stage carries state.
    """
    y = _stereo_groove(12.0)
    scorer = Scorer(default_harmonics, config=ModelConfig(recurrence_max_lag_s=8.0))
    runs = []
    for _ in range(2):
        for i in range(0, y.shape[1], 9_001):
            scorer.process(y[:, i : i + 9_001])
        runs.append(scorer.result())
        scorer.reset()
    first, second = runs
    for key, value in first.timeline.items():
        np.testing.assert_array_equal(second.timeline[key], value, err_msg=key)
    assert first.to_dict() == second.to_dict()
    assert first.metrics["synchrony"] > 0 and first.timeline["sne"].max() > 0
