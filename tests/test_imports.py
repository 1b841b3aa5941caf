"""Importing the packages loads nothing heavy (MNE-style import hygiene)."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_portaudio_or_plotting():
    code = (
        "import sys, stimgen, stimgen.cli, stimgen.commands, resonance\n"
        "heavy = [m for m in ('sounddevice', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_resonance_never_imports_stimgen():
    code = "import sys, resonance, resonance.pipeline, resonance.io.audio; print('stimgen' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_command_line_does_not_load_the_model_until_it_is_used():
    """`stimgen play` starts before the model loads: the CLI and `import resonance` load no model code."""
    code = (
        "import sys, stimgen.cli, resonance\n"
        "from resonance import ParameterError\n"
        "early = [m for m in ('resonance.pipeline', 'resonance.scorer', 'resonance.harmonics', 'numba', 'scipy.sparse')"
        " if m in sys.modules]\n"
        "from resonance import Scorer, connectome_harmonics\n"
        "import resonance as r\n"
        "print(','.join(early), Scorer.__module__, r.connectome_harmonics is connectome_harmonics,"
        " 'Scorer' in dir(r), r.pipeline.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["resonance.scorer", "True", "True", "resonance.pipeline"]


def test_every_model_module_imports_without_stimgen():
    """Each stage folder's modules import on their own (no cycles), and none pulls in stimgen."""
    code = (
        "import importlib, pkgutil, sys, resonance\n"
        "names = [m.name for m in pkgutil.walk_packages(resonance.__path__, 'resonance.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names), 'stimgen' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n, loaded = out.stdout.split()
    assert int(n) >= 40 and loaded == "False"
