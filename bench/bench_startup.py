"""Start-up time: ``revops --help``, ``--version`` and every ``<command> --help`` against
``python -c "import pandas"`` (issue 21: none may take longer), best of three each.

    python -m bench.bench_startup [--repeat 3]

Each run is a fresh interpreter, as a user's shell starts it. Exit 1 when a command is slower
than importing pandas. Which modules the parser imports is pinned by tests/revops/test_startup.py;
this measures the seconds, which a test on a shared machine could not.
"""
from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from pathlib import Path


def best_of(runs: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float]]:
    """Best wall time and best CPU time (user + system) of each command. The commands take turns
    within each round, in a shuffled order, so a load that comes and goes on a shared machine
    falls on all of them alike; CPU time moves less with the load."""
    best = {label: (float("inf"), float("inf")) for label in runs}
    order = random.Random(0)
    for _ in range(repeat):
        labels = list(runs)
        order.shuffle(labels)  # no command always runs right after the same one
        for label in labels:
            argv = runs[label]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best[label] = (min(best[label][0], wall), min(best[label][1], cpu))
    return best


def command_paths() -> list[list[str]]:
    """Every sub-command of the parser (``score train``, ``territory solve``...)."""
    from revops.cli import build_parser

    def walk(parser: argparse.ArgumentParser, prefix: list[str]):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                seen = set()
                for name, sub in action.choices.items():
                    if id(sub) not in seen:
                        seen.add(id(sub))
                        yield prefix + [name]
                        yield from walk(sub, prefix + [name])

    return list(walk(build_parser(), []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the best is kept")
    args = parser.parse_args(argv)

    # the console script a user types, when installed beside this interpreter
    script = Path(sys.executable).with_name("revops")
    revops = [str(script)] if script.exists() else [sys.executable, "-m", "revops"]
    baseline = "python -c 'import pandas'"
    runs = {baseline: [sys.executable, "-c", "import pandas"],
            "revops --help": revops + ["--help"],
            "revops --version": revops + ["--version"],
            "python -m revops --help": [sys.executable, "-m", "revops", "--help"]}
    runs.update({f"revops {' '.join(path)} --help": revops + path + ["--help"] for path in command_paths()})
    best = best_of(runs, args.repeat)
    pandas, pandas_cpu = best.pop(baseline)

    print(f"{baseline}: {pandas:.3f} s wall, {pandas_cpu:.3f} s CPU, best of {args.repeat} ({sys.executable})")
    print(f"{'command':40} {'wall s':>8} {'/ pandas':>9} {'CPU s':>8} {'/ pandas':>9}")
    slower = []
    for label, (seconds, cpu) in best.items():
        ratio = seconds / pandas
        print(f"{label:40} {seconds:8.3f} {ratio:9.2f} {cpu:8.3f} {cpu / pandas_cpu:9.2f}")
        if ratio > 1:
            slower.append(label)
    if slower:
        print(f"slower than importing pandas: {', '.join(slower)}")
        return 1
    print("every command starts faster than `import pandas`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
