"""Where this environment's versions differ from the lock: ``python requirements/drift.py LOCK``.

``make test-latest`` prints it before testing the newest versions, so a failure there can be read
against the packages that moved. Standard library only (it runs in any venv).
"""
from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path) -> dict[str, str]:
    pins = (PIN.match(line) for line in lock.read_text(encoding="utf-8").splitlines())
    return {normalise(m.group(1)): m.group(2) for m in pins if m}


def installed_versions() -> dict[str, str]:
    return {normalise(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}


def main(argv: list[str]) -> int:
    lock = Path(argv[0] if argv else "requirements/lock.txt")
    locked, installed = locked_versions(lock), installed_versions()
    moved = sorted((name, locked[name], installed[name]) for name in locked.keys() & installed.keys()
                   if locked[name] != installed[name])
    added = sorted(set(installed) - set(locked) - {"revops", "pip", "uv", "setuptools", "wheel"})
    print(f"{len(moved)} of {len(locked.keys() & installed.keys())} locked packages at other versions than {lock}:")
    for name, was, now in moved:
        print(f"  {name:30} {was:>14} -> {now}")
    if added:
        print(f"not in the lock: {', '.join(added)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
