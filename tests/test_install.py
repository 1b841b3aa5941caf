"""The installed distribution holds every subpackage (run outside the source tree)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def test_every_package_of_the_source_tree_is_listed_for_installation():
    """A non-editable install (``pip install .``, CI's fresh clone) ships only
    the packages pyproject.toml lists: a new stage folder left out of it
    imports in the source tree and fails in an installed copy."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("resonance", "stimgen")
        for init in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, sorted(found - listed)
