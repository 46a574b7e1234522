"""Data for the what-if notebooks: a data folder, or the bundled sample CRM generated on demand.

    bundle = load_plan_inputs(None, n_leads=5_000, n_accounts=300, n_reps=15, seed=0)
    bundle.get("accounts"), bundle.get("reps"), bundle.tables.get("targets")

With ``data_dir=None`` the sample data is generated once per (seed, sizes) into a cache folder
(``REVOPS_NOTEBOOK_CACHE`` or the system temp folder) and reused by later runs, so a notebook
starts in seconds. A data folder given by the user is read and validated like ``revops plan``
does (same contracts, same plan-file mapping when a config is given).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from revops.config import PlanConfig, load_config
from revops.inputs import InputBundle
from revops.plan import prepare_inputs
from revops.sample_data import generate

CACHE_ENV = "REVOPS_NOTEBOOK_CACHE"
# Present in every complete sample folder: written last by the generator's loop.
_COMPLETE_MARKER = ".complete"


@dataclass(frozen=True)
class SampleSize:
    """How big the generated sample CRM is (small enough for a notebook to start fast)."""

    n_leads: int = 10_000
    n_accounts: int = 300
    n_reps: int = 15
    seed: int = 0


def sample_data_dir(size: SampleSize = SampleSize(), cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the sample CRM of this size and seed, generated on first use."""
    root = Path(cache_dir or os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "revops-notebooks")
    folder = root / f"sample-s{size.seed}-l{size.n_leads}-a{size.n_accounts}-r{size.n_reps}"
    if (folder / _COMPLETE_MARKER).exists():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    # Generate beside the final folder and rename: two notebooks starting together never read
    # a half-written sample.
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=root))
    generate(partial, seed=size.seed, n_leads=size.n_leads, n_accounts=size.n_accounts, n_reps=size.n_reps)
    (partial / _COMPLETE_MARKER).write_text("", encoding="utf-8")
    try:
        os.replace(partial, folder)
    except OSError:  # another run finished first: use its folder
        import shutil

        shutil.rmtree(partial, ignore_errors=True)
    return folder


@dataclass
class PlanInputs:
    """Validated tables of a data folder, the plan date and the quarter being planned."""

    bundle: InputBundle
    as_of: pd.Timestamp
    period: pd.Period
    config: PlanConfig

    def get(self, table: str) -> pd.DataFrame:
        return self.bundle.get(table)

    def optional(self, table: str) -> pd.DataFrame | None:
        return self.bundle.tables.get(table)

    @property
    def data_dir(self) -> Path:
        return self.bundle.data_dir

    @property
    def notes(self) -> list[str]:
        return self.bundle.notes

    def overview(self) -> pd.DataFrame:
        """One row per table: rows and source file (what a notebook shows first)."""
        return pd.DataFrame([
            {"table": name, "rows": len(frame),
             "file": self.bundle.sources[name].name if name in self.bundle.sources else "(derived)"}
            for name, frame in self.bundle.tables.items()
        ])


def load_plan_inputs(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    config: str | os.PathLike[str] | PlanConfig | None = None,
    n_leads: int = 10_000,
    n_accounts: int = 300,
    n_reps: int = 15,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
) -> PlanInputs:
    """Read and validate ``data_dir`` (or the sample CRM when None) the way the plan job does.

    ``config`` is a plan.toml path or a loaded :class:`PlanConfig` (column mapping, file names,
    as-of date, target growth rule when the export has no targets).
    """
    plan_config = config if isinstance(config, PlanConfig) else load_config(config)
    if data_dir is None:
        data_dir = sample_data_dir(SampleSize(n_leads, n_accounts, n_reps, seed), cache_dir)
    bundle, as_of, period = prepare_inputs(data_dir, plan_config)
    return PlanInputs(bundle=bundle, as_of=as_of, period=period, config=plan_config)
