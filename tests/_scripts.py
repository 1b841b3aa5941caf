"""Run a script of ``scripts/`` as ``python scripts/NAME ARGS`` would, inside the test process."""

import runpy
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def run_script(name, *args) -> int:
    """Run ``scripts/name`` as ``__main__`` with ``args``; return its exit code (it must exit)."""
    script = SCRIPTS / name
    argv = sys.argv
    try:
        sys.argv = [str(script), *map(str, args)]
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    return exit_info.value.code
