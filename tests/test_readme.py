"""Every code block of README.md runs.

* ``python`` blocks run verbatim, each in a fresh interpreter.
* ``bash`` blocks run verbatim, line by line, with ``bash -e`` in a scratch folder that links the
  repository's ``samples/``; ``stimgen`` is this environment's console script.  A block the README
  itself says the tests run with extra options ("The tests run each command of this block with
  `...` added") gets exactly those options appended to each command.
* The quickstart: ``.ci/run`` makes a fresh virtual environment and runs the second command
  (``pip install ".[test]" && python -m pytest -n 2``) verbatim, so the suite itself runs from a
  fresh install; :func:`test_quickstart_score_command` runs the scoring half of the first command
  (``stimgen score samples/groove_120bpm.flac``) with the installed console script.  The whole
  first command, ``pip install .`` included, runs in a new virtual environment in
  :func:`test_quickstart_installs_and_scores_in_a_fresh_venv` (the package is built from a copy of
  the sources, its dependencies come from this environment's site-packages); it takes about two
  minutes (pip fetches the build backend), so it runs only with ``STIMGEN_TEST_FRESH_VENV=1``.
  The second command is not run from inside the suite (it is the suite).
* ``text`` blocks are synopses (option grammar, placeholders for the user's own files) and are not
  run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)
_EXTRA = re.compile(r"\A\s*The tests run each command of this block with `([^`]+)` added")

QUICKSTART_INSTALL = "pip install . && stimgen score samples/groove_120bpm.flac"
QUICKSTART_TESTS = 'pip install ".[test]" && python -m pytest -n 2'
VENV_LINE = "python3 -m venv .venv && . .venv/bin/activate"


def _blocks():
    text = README.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        lang, body = match.group(1), match.group(2)
        after = text[match.end():match.end() + 300]
        extra = _EXTRA.match(after)
        line = text.count("\n", 0, match.start()) + 1
        out.append((lang, body, extra.group(1) if extra else "", line))
    return out


BLOCKS = _blocks()
PYTHON = [(body, line) for lang, body, _, line in BLOCKS if lang == "python"]
BASH = [(body, extra, line) for lang, body, extra, line in BLOCKS
        if lang == "bash" and QUICKSTART_INSTALL not in body and VENV_LINE not in body]


def test_readme_keeps_its_two_quickstart_commands_and_blocks_are_found():
    bodies = [body for _, body, _, _ in BLOCKS]
    quick = [b for b in bodies if QUICKSTART_INSTALL in b]
    assert len(quick) == 1 and quick[0].strip().splitlines() == [QUICKSTART_INSTALL, QUICKSTART_TESTS]
    assert any(VENV_LINE in b for b in bodies)
    assert len(PYTHON) >= 3 and len(BASH) >= 4


def _scratch(tmp_path: Path) -> Path:
    (tmp_path / "samples").symlink_to(ROOT / "samples", target_is_directory=True)
    return tmp_path


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["STIMGEN_CACHE_DIR"] = env.get("STIMGEN_CACHE_DIR") or str(tmp_path / "cache")
    env.pop("PYTHONPATH", None)
    return env


def _check(proc, what):
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("body", [b for b, _ in PYTHON], ids=[f"python-line-{n}" for _, n in PYTHON])
def test_python_block_runs(body, tmp_path):
    proc = subprocess.run([sys.executable, "-c", body], cwd=_scratch(tmp_path), env=_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    _check(proc, "python block")


def _command_lines(body: str, extra: str) -> list[str]:
    lines = []
    for raw in body.splitlines():
        command = raw.split("  #", 1)[0].rstrip()  # comments follow two or more spaces
        if not command or command.startswith("#"):
            continue
        if extra:
            if ">" in command:  # a redirection stays last
                head, tail = command.split(">", 1)
                command = f"{head.rstrip()} {extra} >{tail}"
            else:
                command = f"{command} {extra}"
        lines.append(command)
    return lines


@pytest.mark.parametrize(("body", "extra"), [(b, e) for b, e, _ in BASH], ids=[f"bash-line-{n}" for *_, n in BASH])
def test_bash_block_runs(body, extra, tmp_path):
    folder = _scratch(tmp_path)
    for command in _command_lines(body, extra):
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=folder, env=_env(tmp_path),
                              capture_output=True, text=True, timeout=900)
        _check(proc, f"`{command}`")


def _source_copy(target: Path) -> Path:
    """The tracked sources (git archive of the work tree's files), without build artefacts."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout; cannot list the sources to copy")
    target.mkdir()
    for name in listed.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest)
    return target


def test_quickstart_score_command(tmp_path):
    """The scoring half of the quickstart's first command, with the installed console script."""
    command = QUICKSTART_INSTALL.split(" && ", 1)[1]
    proc = subprocess.run(["bash", "-e", "-c", command], cwd=_scratch(tmp_path), env=_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    _check(proc, command)
    assert "groove_120bpm.flac" in proc.stdout and "score" in proc.stdout and "units:" in proc.stdout


@pytest.mark.skipif(os.environ.get("STIMGEN_TEST_FRESH_VENV") != "1",
                    reason="about two minutes of pip; set STIMGEN_TEST_FRESH_VENV=1 (CI's .ci/run installs from "
                           "scratch anyway)")
def test_quickstart_installs_and_scores_in_a_fresh_venv(tmp_path):
    """README: make a venv, then `pip install . && stimgen score samples/groove_120bpm.flac`."""
    src = _source_copy(tmp_path / "src")
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a virtual environment here: {made.stderr.strip()[-300:]}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["STIMGEN_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run(["bash", "-e", "-c", QUICKSTART_INSTALL.replace("pip install .", "pip install --quiet .")],
                          cwd=src, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 and ("Could not find a version" in proc.stderr or "NewConnectionError" in proc.stderr
                                 or "Temporary failure in name resolution" in proc.stderr):
        pytest.skip("no network to fetch the build backend (setuptools>=77)")
    _check(proc, "the quickstart's first command")
    assert "score" in proc.stdout and "groove_120bpm.flac" in proc.stdout
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import stimgen; print(stimgen.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert str(venv) in where.stdout, "stimgen must be imported from the new environment, not the source tree"
