"""CLI start-up time per command: how long `posebench ...` takes before it does any work.

Run apart from the unit tests (testpaths = tests), on an otherwise idle machine:

    .venv/bin/pytest benchmarks/bench_startup.py --benchmark-enable -q -s

Each command runs in a fresh interpreter (the console script's own start included), 5 rounds after one warm-up
round that fills the OS file cache. The report also lists the heavy packages each command imported at start
(``python -X importtime``): the target is none of torch, pandas, matplotlib, cv2, scipy, mmengine for the
listing commands, and under 0.5 s each on 2 cores. ``tests/test_layers.py`` checks the import list without timing.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

HEAVY = ("torch", "pandas", "matplotlib", "cv2", "scipy", "mmengine", "smplx", "h5py", "joblib")
COMMANDS = {
    "help": ["--help"],
    "version": ["--version"],
    "models": ["models"],
    "datasets": ["datasets"],
    "protocols": ["protocols"],
    "metrics": ["metrics"],
    "train-help": ["train", "--help"],
    "eval-help": ["eval", "--help"],
    "score-help": ["score", "--help"],
    "compare-help": ["compare", "--help"],
    "demo-help": ["demo", "--help"],
}
TIMES: dict[str, tuple[float, list[str]]] = {}


def posebench_argv(args: list[str]) -> list[str]:
    script = shutil.which("posebench")
    return [script, *args] if script else [sys.executable, "-m", "posebench.cli.main", *args]


def heavy_imports(args: list[str]) -> list[str]:
    """The HEAVY packages a command imports, read from ``-X importtime``."""
    code = "import sys; from posebench.cli.main import main; sys.argv = ['posebench'] + sys.argv[1:]; main()"
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], capture_output=True, text=True)
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", run.stderr, flags=re.M))
    return sorted(h for h in HEAVY if h in names)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_startup(benchmark, name):
    argv = posebench_argv(COMMANDS[name])
    subprocess.run(argv, capture_output=True, check=True)  # warm-up: file cache

    def once():
        subprocess.run(argv, capture_output=True, check=True)

    benchmark.pedantic(once, rounds=5, iterations=1)
    heavy = heavy_imports(COMMANDS[name])
    benchmark.extra_info["heavy_imports"] = heavy
    if benchmark.stats is not None:  # None under --benchmark-disable
        TIMES[name] = (benchmark.stats.stats.median, heavy)


def test_report():
    if not TIMES:
        pytest.skip("no start-up measured (run with --benchmark-enable)")
    print("\ncommand            median start-up   heavy packages imported")
    for name, (seconds, heavy) in TIMES.items():
        print(f"posebench {' '.join(COMMANDS[name]):<18} {seconds:6.2f} s   {', '.join(heavy) or '-'}")
