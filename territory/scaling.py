"""The numbers the solver sees: every row in a unit where its coefficients are near 1.

HiGHS works in doubles with absolute tolerances: it rejects matrix values of 1e15 or more, drops
values of 1e-9 or less, and treats rows as met within 1e-7. A book with potentials around 1e15,
or from 1e-6 to 1e15, therefore used to crash inside PuLP or come back without a plan. Here:

- potential and workload are expressed per pool in units of the pool's mean fair share, so a
  rep's balance row reads "between 0.9 and 1.1" whatever the currency;
- the moved-potential cap is expressed as a share of total potential;
- the objective of each block is divided by its mean positive coefficient (solve.solve_block
  multiplies the reported objective and bound back).

What stays below the solver's resolution (RESOLUTION of a pool's mean fair share) is entered as 0,
and each rep's upper bound is lowered by the total of such values in its pool, so every plan the
solver accepts still meets the rule in the real numbers. When those values together are not
negligible against the narrowest balance band, or a band itself is narrower than the solver can
resolve, the book is refused with a TerritoryInputError that names the column, pool, accounts or
rep, and what to change.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory.errors import TerritoryInputError
from territory.pools import Instance

RESOLUTION = 1e-9      # HiGHS' small_matrix_value: it ignores coefficients at or below this
MIN_BAND = 1e-5        # narrowest band (in fair-share units) kept: 100 x HiGHS' 1e-7 row tolerance
HIDDEN_SHARE = 1e-3    # values entered as 0 may add up to this share of the narrowest band
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class ModelNumbers:
    """Potential, workload and moved potential in the solver's units (see the module doc)."""

    potential: np.ndarray         # per account, in its pool's mean fair share; 0 if too small
    workload: np.ndarray
    fair_potential: np.ndarray    # per rep, same unit (0 for reps outside every pool)
    fair_workload: np.ndarray
    potential_margin: np.ndarray  # per rep: total of its pool's values entered as 0
    workload_margin: np.ndarray
    moved: np.ndarray             # per pair: moved potential / total potential; 0 if too small
    moved_unit: float             # total potential
    moved_margin: float           # total of the moved values entered as 0, in the moved unit
    hidden_accounts: tuple[str, ...]  # accounts with a potential or workload entered as 0

    def moved_cap(self, cap: float | None) -> float | None:
        """An absolute cap on moved potential in the solver's unit, tightened by the margin."""
        if cap is None:
            return None
        return max(cap / self.moved_unit - self.moved_margin, 0.0)


def _pool_unit(inst: Instance, fair: np.ndarray) -> np.ndarray:
    """Mean fair share of each pool's active reps (1 where the pool has nothing to share)."""
    active = (inst.capacity > 0) & (inst.rep_pool >= 0) & (fair > 0)
    sums = np.bincount(inst.rep_pool[active], fair[active], inst.n_pools)
    counts = np.bincount(inst.rep_pool[active], minlength=inst.n_pools)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)


def _measure(inst: Instance, measure: str, tolerance: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(values, fair shares, margins per rep, hidden-value mask) of one measure in model units."""
    values = inst.potential if measure == "potential" else inst.workload
    fair = inst.fair_potential if measure == "potential" else inst.fair_workload
    unit = _pool_unit(inst, fair)
    in_pool = inst.rep_pool >= 0
    rep_unit = np.where(in_pool, unit[np.maximum(inst.rep_pool, 0)], 1.0)
    scaled = values / unit[inst.acc_pool]
    fair_scaled = np.where(in_pool, fair / rep_unit, 0.0)
    active = (inst.capacity > 0) & in_pool & (fair_scaled > 0)
    band = tolerance * fair_scaled
    rep_ids = inst.reps["rep_id"].to_numpy()
    acc_ids = inst.accounts["account_id"].to_numpy()

    narrow = np.flatnonzero(active & (band < MIN_BAND))
    if narrow.size:
        if tolerance * float(fair_scaled[active].max()) < MIN_BAND:
            raise TerritoryInputError(
                f"balance_tolerance={tolerance:g} is narrower than the solver can resolve: it "
                f"tells loads apart to about {MIN_BAND:g} of a fair share. Hint: raise "
                f"balance_tolerance to at least {MIN_BAND:g}.")
        r = int(narrow[np.argmin(band[narrow])])
        pool = inst.pool_names[inst.rep_pool[r]]
        raise TerritoryInputError(
            f"reps: rep {rep_ids[r]} in pool {pool} has a fair share of {measure} of "
            f"{fair[r]:.6g}, {fair_scaled[r]:.2g} of the pool's mean fair share ({unit[inst.rep_pool[r]]:.6g}); "
            f"the solver cannot keep so small a share within +/-{100 * tolerance:.3g}% (it resolves about "
            f"{MIN_BAND:g} of a fair share). Hint: give rep {rep_ids[r]} capacity 0 (no accounts) "
            f"or a capacity nearer its pool's other reps (it has {inst.capacity[r]:g}); or, if its "
            f"region holds almost no {measure}, put that region's accounts into another pool.")

    hidden = (scaled > 0) & (scaled < RESOLUTION)
    hidden_sum = np.bincount(inst.acc_pool[hidden], scaled[hidden], inst.n_pools)
    narrowest = np.full(inst.n_pools, np.inf)
    np.minimum.at(narrowest, inst.rep_pool[active], band[active])
    too_much = np.flatnonzero(hidden_sum > HIDDEN_SHARE * narrowest)
    if too_much.size:
        p = int(too_much[0])
        here = np.flatnonzero(hidden & (inst.acc_pool == p))
        shown = ", ".join(f"{acc_ids[a]} ({values[a]:.3g})" for a in here[:MAX_EXAMPLES])
        more = f" and {here.size - MAX_EXAMPLES} more" if here.size > MAX_EXAMPLES else ""
        raise TerritoryInputError(
            f"accounts: column '{measure}' of pool {inst.pool_names[p]} spans more orders of "
            f"magnitude than the solver can resolve: {here.size} account(s), e.g. {shown}{more}, "
            f"each hold less than {RESOLUTION:g} of the pool's mean fair share "
            f"({unit[p]:.6g}), yet together {hidden_sum[p] / narrowest[p]:.2g} of the narrowest "
            f"balance band (+/-{100 * tolerance:.3g}%). Hint: set the {measure} of such accounts to 0 if "
            f"it is negligible, or give them a pool of their own (a segment or region), or "
            f"measure {measure} in a unit in which the accounts differ by less than a factor "
            f"{1 / RESOLUTION:.0e}.")
    margin = np.where(in_pool, hidden_sum[np.maximum(inst.rep_pool, 0)], 0.0)
    return np.where(hidden, 0.0, scaled), fair_scaled, margin, hidden


def model_numbers(inst: Instance, moved: np.ndarray, tolerance: float) -> ModelNumbers:
    """The solver's numbers for ``inst``; raises TerritoryInputError when they cannot be scaled.

    ``moved``: potential moved per eligible pair (original unit). ``tolerance``: the requested
    balance tolerance (best effort only ever widens it, so it gives the narrowest bands).
    """
    pot, fair_pot, margin_pot, hidden_pot = _measure(inst, "potential", tolerance)
    wl, fair_wl, margin_wl, hidden_wl = _measure(inst, "workload", tolerance)
    total = float(inst.potential.sum())
    moved_unit = total if total > 0 else 1.0
    moved_scaled = moved / moved_unit
    tiny = (moved_scaled > 0) & (moved_scaled < RESOLUTION)
    # A moved pair carries its account's whole potential; each account counts once.
    tiny_accounts = np.unique(inst.pair_acc[tiny])
    moved_margin = float(inst.potential[tiny_accounts].sum() / moved_unit)
    hidden = hidden_pot | hidden_wl
    return ModelNumbers(
        potential=pot, workload=wl, fair_potential=fair_pot, fair_workload=fair_wl,
        potential_margin=margin_pot, workload_margin=margin_wl,
        moved=np.where(tiny, 0.0, moved_scaled), moved_unit=moved_unit,
        moved_margin=moved_margin,
        hidden_accounts=tuple(inst.accounts["account_id"].to_numpy()[hidden]),
    )
