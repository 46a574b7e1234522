"""The committed lock (requirements/lock.txt) covers what pyproject.toml asks for.

`make demo`, `make test` and CI install with the lock as constraints: a requirement the lock does
not pin would be resolved afresh (and drift), one whose pin pyproject no longer allows would fail
to install. Both mean pyproject.toml changed without `make lock`.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "lock.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            match = PIN.match(line.strip())
            assert match, f"not an exact pin: {line!r}"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def requirements() -> list[tuple[str, Requirement]]:
    """(where, requirement) for the dependencies and every extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [("dependencies", Requirement(r)) for r in project["dependencies"]]
    for extra, listed in project.get("optional-dependencies", {}).items():
        found += [(f"[{extra}]", Requirement(r)) for r in listed]
    return found


def test_lock_pins_every_requirement_of_every_extra_within_its_bounds():
    pins = locked()
    problems = []
    for where, requirement in requirements():
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name == "revops":  # an extra naming another extra of the project itself
            continue
        if name not in pins:
            problems.append(f"{where} {requirement}: not in the lock")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{where} {requirement}: the lock has {pins[name]}")
    assert problems == [], "pyproject.toml changed without `make lock`:\n" + "\n".join(problems)


def test_lock_pins_the_extras_of_requirements():
    # uvicorn[standard] and dask[distributed]: the extras' own packages are locked too
    pins = locked()
    assert {"httptools", "uvloop", "distributed"} <= pins.keys()


def test_private_api_readers_are_bounded_below_the_next_minor():
    # scoring/service/trees.py reads scikit-learn's private tree attributes, protocol.py
    # subclasses uvicorn's protocol internals, store.py clears MLflow's private store caches
    bounded = {canonicalize_name(r.name): r.specifier for where, r in requirements() if where == "dependencies"}
    for name in ("scikit-learn", "uvicorn", "mlflow"):
        assert any(spec.operator == "<" for spec in bounded[name]), name
        pinned = locked()[name]
        major, minor = (int(part) for part in pinned.split(".")[:2])
        assert not bounded[name].contains(f"{major}.{minor + 1}.0"), (name, str(bounded[name]))
