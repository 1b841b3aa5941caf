"""``stimgen generate`` against ``binaural-generate`` on the same job, measured in the same run.

The job: 10 minutes of a 10 Hz binaural beat on a 200 Hz carrier over pink
noise, 44.1 kHz, FLAC, 16 bit.  ``binaural-generate`` (pip package
``binaural-generator``, a benchmark-only peer, not a dependency of stimgen)
gets the equivalent YAML script; stimgen gets the equivalent preset (written
to a temporary folder).  Each command runs as a child process pinned to one
core (``taskset -c 0`` where available); its CPU time (user + system) and
peak memory come from ``os.wait4``, which are robust to other load on the
machine; wall-clock time is printed too.  Rows: the peer, stimgen
``--no-score`` and stimgen with the score.  The real-time factor is audio
seconds per CPU second.

Python modules run from their byte-code cache, as in an installed package
(pip compiles it at install time): stimgen's and resonance's modules are
byte-compiled once before the timed runs (and a 5 s scored run fills the
caches of compiled kernels), and the children run without
``PYTHONDONTWRITEBYTECODE`` (where the environment sets it, every run would
compile stimgen's ~60 modules again, about 0.1 s).  ``--no-bytecode`` keeps
the environment as it is.

``--baseline DIR``: also time the stimgen found in ``DIR`` (a checkout of
another commit, e.g. ``git archive main | tar -x -C DIR``), in the same run,
as the rows marked "baseline".

Usage::

    pip install binaural-generator     # the peer, for this benchmark only
    python benchmarks/bench_peer.py [--minutes 10] [--peer PATH/binaural-generate] [--repeats 3]
                                    [--baseline DIR] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

PRESET = """name = "beat10"
purpose = "Benchmark: 10 Hz binaural beat on a 200 Hz carrier over pink noise."
duration_s = {duration_s}
seed = 1
sr = 44100
bit_depth = 16
target_lufs = -20.0

[arc]
heat_s = 0.0
hold_s = {duration_s}
cool_s = 0.0

[[layers]]
kind = "binaural"
gain_db = -6.0
carrier_hz = 200.0
beat_hz = 10.0

[[layers]]
kind = "noise"
gain_db = -20.0
color = "pink"
"""

SCRIPT = """title: Benchmark 10 Hz beat over pink noise
base_frequency: 200
sample_rate: 44100
output_filename: "peer.flac"
background_noise:
  type: "pink"
  amplitude: 0.2
steps:
  - type: stable
    frequency: 10
    duration: {duration_s}
"""


def run(cmd, env=None, cwd=None) -> dict:
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed: {child.stderr.read().decode()[-2000:]}")
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "rss_mb": usage.ru_maxrss / 1024}


def warm_up(env, cwd, preset) -> None:
    """Byte-compile the stimgen and resonance packages that ``env`` imports (as pip does at install),
    and fill their compiled-kernel caches (numba's) with a short scored run; not timed."""
    folders = subprocess.run([sys.executable, "-c", "import stimgen, resonance; print(stimgen.__path__[0]); "
                              "print(resonance.__path__[0])"], env=env, cwd=cwd, capture_output=True, text=True,
                             check=True).stdout.split()
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "stimgen", "generate", preset, "-o", os.path.join(cwd, "warm.flac"),
                    "--duration", "5"], env=env, cwd=cwd, check=True, capture_output=True)


def find_peer() -> str | None:
    """``binaural-generate`` on PATH, else the script next to the environment that holds its package."""
    found = shutil.which("binaural-generate")
    if found:
        return found
    import importlib.util

    spec = importlib.util.find_spec("binaural_generator")
    if spec is None or not spec.origin:
        return None
    # <prefix>/lib/pythonX.Y/site-packages/binaural_generator/__init__.py -> <prefix>/bin/binaural-generate
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(spec.origin)))))
    candidate = os.path.join(prefix, "bin", "binaural-generate")
    return candidate if os.access(candidate, os.X_OK) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--peer", default=find_peer(),
                        help="path of the binaural-generate command (default: on PATH or beside its package)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each command; the one with the least CPU time is shown (a shared machine)")
    parser.add_argument("--baseline", default=None,
                        help="folder holding another stimgen checkout (its stimgen/ and resonance/), timed alongside")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="run as the environment says (no byte-code cache of its own)")
    args = parser.parse_args()
    if not args.peer:
        raise SystemExit("binaural-generate not found: pip install binaural-generator, or give --peer PATH")
    duration_s = args.minutes * 60
    peer = args.peer
    with tempfile.TemporaryDirectory() as folder:
        preset = os.path.join(folder, "beat10.toml")
        script = os.path.join(folder, "beat10.yaml")
        with open(preset, "w") as fh:
            fh.write(PRESET.format(duration_s=duration_s))
        with open(script, "w") as fh:
            fh.write(SCRIPT.format(duration_s=int(duration_s)))
        env = dict(os.environ)
        if not args.no_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        stimgen = [sys.executable, "-m", "stimgen", "generate", preset]
        commands = {
            "binaural-generate": ([peer, script, "-o", os.path.join(folder, "peer.flac")], env),
            "stimgen --no-score": ([*stimgen, "-o", os.path.join(folder, "a.flac"), "--no-score"], env),
            "stimgen (scored)": ([*stimgen, "-o", os.path.join(folder, "b.flac")], env),
        }
        if args.baseline:
            base_env = {**env, "PYTHONPATH": os.pathsep.join([os.path.abspath(args.baseline),
                                                              *filter(None, [env.get("PYTHONPATH")])])}
            where = subprocess.run([sys.executable, "-c", "import stimgen; print(stimgen.__file__)"], env=base_env,
                                   cwd=folder, capture_output=True, text=True, check=True).stdout.strip()
            if not where.startswith(os.path.abspath(args.baseline)):
                raise SystemExit(f"--baseline {args.baseline}: stimgen is imported from {where}, not from there")
            commands["baseline --no-score"] = ([*stimgen, "-o", os.path.join(folder, "c.flac"), "--no-score"],
                                               base_env)
            commands["baseline (scored)"] = ([*stimgen, "-o", os.path.join(folder, "d.flac")], base_env)
        if not args.no_bytecode:  # the byte-code cache, as an installed package has it (not timed)
            warm_up(env, folder, preset)
            if args.baseline:
                warm_up(base_env, folder, preset)
        runs = {name: [] for name in commands}
        for _ in range(max(1, args.repeats)):  # interleaved, so a burst of load hits every command alike
            for name, (cmd, cmd_env) in commands.items():
                runs[name].append(run(cmd, cmd_env, cwd=folder))  # not this checkout's folder: PYTHONPATH rules
        rows = {name: min(r, key=lambda x: x["cpu_s"]) for name, r in runs.items()}
    base = rows["binaural-generate"]["cpu_s"]
    print(f"{args.minutes:g} min, 10 Hz binaural beat + pink noise, 44.1 kHz FLAC 16 bit, one core"
          + (f", least CPU of {args.repeats} runs" if args.repeats > 1 else "")
          + (", as the environment runs Python" if args.no_bytecode else ", byte-code cached"))
    print(f"{'command':<22} {'CPU s':>8} {'x real time':>12} {'vs peer':>8} {'wall s':>8} {'peak RSS':>9}")
    for name, r in rows.items():
        print(f"{name:<22} {r['cpu_s']:8.2f} {duration_s / r['cpu_s']:11.0f}x {base / r['cpu_s']:7.2f}x "
              f"{r['wall_s']:8.1f} {r['rss_mb']:7.0f} MB")


if __name__ == "__main__":
    main()
