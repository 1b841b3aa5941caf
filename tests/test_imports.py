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
