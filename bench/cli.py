"""Start-up benchmark: ``attrition --help``, ``check FILE`` and ``assess FILE`` beside a bare Python that
imports what every file command needs anyway (``python -c "import pydantic, yaml"``).

Each command runs as a fresh process, in alternating rounds (so that noise from other processes on a
shared machine falls on all of them alike); the script prints the median wall time of each and the
median of the per-round ratios command / bare Python. The target is a ratio of at most 2.0.

``import pydantic`` is lazy: it does not build pydantic's model machinery, which any validation needs.
So a second, informational line times ``python -c "import pydantic, yaml; pydantic.BaseModel"``, the
floor of any command that validates a file before the engine's own model classes are built.

Run by hand: ``uv run python bench/cli.py [--rounds N] [--file CONTRACT]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "contracts" / "wedding-block-cliff.yaml"
TARGET_RATIO = 2.0


# An installed package has its bytecode (pip and uv compile it, or the first run writes it); a machine that
# sets PYTHONDONTWRITEBYTECODE would have every run compile every module again, which no user pays.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=ENVIRONMENT,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="runs of each command (default 7)")
    parser.add_argument("--file", type=Path, default=SAMPLE, help="contract file for check and assess")
    args = parser.parse_args()

    attrition = str(Path(sys.executable).parent / "attrition")
    baseline = [sys.executable, "-c", "import pydantic, yaml"]
    with_models = [sys.executable, "-c", "import pydantic, yaml; pydantic.BaseModel"]
    commands = {
        "(pydantic.BaseModel too)": with_models,
        "attrition --help": [attrition, "--help"],
        "attrition check FILE": [attrition, "check", str(args.file)],
        "attrition assess FILE": [attrition, "assess", str(args.file)],
    }
    for command in [baseline, *commands.values()]:  # warm the file cache and the bytecode
        wall_time(command)
    base_times: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        base = wall_time(baseline)
        base_times.append(base)
        for name, command in commands.items():
            elapsed = wall_time(command)
            times[name].append(elapsed)
            ratios[name].append(elapsed / base)

    print(f"Python {platform.python_version()} on {platform.machine()}, {args.rounds} rounds, medians")
    bare = 'python -c "import pydantic, yaml"'
    print(f"{bare:<32} {statistics.median(base_times) * 1000:7.0f} ms")
    worst = 0.0
    for name in commands:
        ratio = statistics.median(ratios[name])
        if name.startswith("attrition"):
            worst = max(worst, ratio)
        print(f"{name:<32} {statistics.median(times[name]) * 1000:7.0f} ms   {ratio:4.2f}x")
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(f"target: at most {TARGET_RATIO:.1f}x the bare import -> {verdict} (worst {worst:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
