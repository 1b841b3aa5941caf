"""The installed distribution holds every subpackage (run outside the source tree)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_every_subpackage_imports_outside_the_source_tree(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = (
        "import resonance, resonance.io.audio, resonance.io.connectome, resonance.io.cache, "
        "stimgen, stimgen.cli, stimgen.commands, stimgen.synth, stimgen.preset; "
        "assert len(stimgen.preset.list_presets()) >= 6, 'bundled presets missing'; "
        "print(resonance.__file__)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_stimgen_parameter_errors_are_model_parameter_errors():
    import resonance
    import stimgen

    assert issubclass(stimgen.ParameterError, resonance.ParameterError)
    assert issubclass(stimgen.PresetError, stimgen.StimgenError)
