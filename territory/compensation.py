"""Sales compensation: what a pay plan pays for a given attainment, and what it costs the plan.

A plan pays each rep a multiple of their *variable pay at target*: attainment (bookings / quota)
is cut into bands at ``rate_thresholds`` and each band pays at its rate, so with rates 1.0 up to
quota and 2.0 above, 120 % attainment pays 1.0 x 1.0 + 0.2 x 2.0 = 1.4 x variable pay; ``cap``
limits that multiple. SPIFs (sales performance incentive funds: "45 cold calls a day for three
months earns a $500 bonus") pay a fixed bonus to every rep whose metric reaches a target, on top.

    from territory.compensation import CompensationConfig, compute_payouts, simulate_payouts
    config = CompensationConfig(variable_pay=10_000, rates=(1.0, 2.0), rate_thresholds=(1.0,), cap=2.0)
    payouts = compute_payouts(attainment_table, config)    # rep_id, quota, bookings -> payout

Never imports ``revops``; writes no files. numpy and pandas are imported where used, so the plan
file (which reads :class:`CompensationConfig`) stays light.
"""
from __future__ import annotations

from dataclasses import dataclass as plain_dataclass
from dataclasses import field
from typing import TYPE_CHECKING, Annotated, Mapping

from pydantic import ConfigDict, Field, model_validator, with_config
from pydantic.dataclasses import dataclass
from typing_extensions import Required, TypedDict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

EVERYONE = "default"   # a variable_pay key that covers every rep not named otherwise
PAYOUT_COLUMNS = ["rep_id", "attainment", "payout"]


class CompensationInputError(ValueError):
    """The attainment table or the reps do not fit the pay plan (names the column or reps)."""


@with_config(ConfigDict(extra="forbid"))
class Spif(TypedDict, total=False):
    """A bonus for reaching an activity or product target over a period (the plan file's
    ``[[compensation.spifs]]``; a plain table, so the plan file is written back as it was read).
    ``name``, ``metric``, ``target`` and ``bonus`` are required."""

    name: Required[Annotated[str, Field(min_length=1, description="what the SPIF is called, e.g. cold-calls-q1")]]
    metric: Required[Annotated[str, Field(
        min_length=1, description="the column of the attainment table the target is on (e.g. "
        "calls, or the bookings of one product); 'attainment' and 'bookings' are always there")]]
    target: Required[Annotated[float, Field(ge=0, allow_inf_nan=False, description="the metric a rep must reach")]]
    bonus: Required[Annotated[float, Field(ge=0, allow_inf_nan=False, description="paid once to every rep who reaches it")]]
    period: Annotated[str, Field(min_length=1, description="the period it runs over, e.g. 2027Q1 (for the record)")]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CompensationConfig:
    """A pay plan: variable pay at target, rates by attainment band, a cap, and SPIFs."""

    variable_pay: Annotated[float | dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None, Field(
        description="variable pay at target for the period: one amount for every rep, or "
        "rep_id or segment -> amount (default: everyone else); none: no pay plan (the plan skips it)")] = None
    rate_thresholds: Annotated[tuple[Annotated[float, Field(gt=0, allow_inf_nan=False)], ...], Field(
        description="attainment levels (1.0 = quota) where the rate changes, increasing")] = (1.0,)
    rates: Annotated[tuple[Annotated[float, Field(ge=0, allow_inf_nan=False)], ...], Field(
        min_length=1, description="multiple of variable pay per unit of attainment in each band: one "
        "more than rate_thresholds (1.0,2.0: 1x up to quota, 2x above)")] = (1.0, 2.0)
    cap: Annotated[float | None, Field(
        gt=0, allow_inf_nan=False, description="payout at most this multiple of variable pay at "
        "target (2.0: twice the target pay), SPIFs excluded; none: uncapped")] = None
    spifs: Annotated[tuple[Spif, ...], Field(description="bonuses for activity or product targets")] = ()

    @model_validator(mode="after")
    def _bands(self) -> "CompensationConfig":
        if len(self.rates) != len(self.rate_thresholds) + 1:
            raise ValueError(
                f"rates needs one rate per band, len(rate_thresholds) + 1 = "
                f"{len(self.rate_thresholds) + 1}; got {len(self.rates)} rate(s) {list(self.rates)} "
                f"for thresholds {list(self.rate_thresholds)}")
        steps = list(self.rate_thresholds)
        if any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"rate_thresholds must increase; got {steps}")
        if isinstance(self.variable_pay, (int, float)) and self.variable_pay < 0:
            raise ValueError(f"variable_pay must be >= 0; got {self.variable_pay}")
        names = [s["name"] for s in self.spifs]
        if len(set(names)) != len(names):
            raise ValueError(f"two SPIFs share a name: {names}")
        return self

    @property
    def active(self) -> bool:
        """A pay plan is set (``variable_pay`` is not None)."""
        return self.variable_pay is not None


def payout_multiple(attainment: "np.ndarray | float", config: CompensationConfig) -> "np.ndarray":
    """Commission as a multiple of variable pay at target, for attainment(s) (1.0 = quota).

    Piecewise linear: each band [t_i, t_i+1) pays its rate per unit of attainment inside it, then
    the cap. Negative attainment (refunds above bookings) pays nothing.
    """
    import numpy as np

    a = np.clip(np.asarray(attainment, dtype=float), 0.0, None)
    edges = np.array((0.0, *config.rate_thresholds, np.inf))
    inside = np.clip(a[..., None] - edges[:-1], 0.0, edges[1:] - edges[:-1])
    multiple = inside @ np.asarray(config.rates, dtype=float)
    if config.cap is not None:
        multiple = np.minimum(multiple, config.cap)
    return multiple


def variable_pay_of(reps: "pd.DataFrame", config: CompensationConfig) -> "pd.Series":
    """Variable pay at target per rep (``reps``: rep_id, optional segment), indexed by rep_id:
    the rep's own amount, else its segment's, else ``'default'``. A rep matched by none is an error."""
    import pandas as pd

    ids = reps["rep_id"].astype(str)
    pay = config.variable_pay
    if pay is None:
        raise CompensationInputError("no pay plan: variable_pay is not set (e.g. variable_pay = 10000)")
    if not isinstance(pay, Mapping):
        return pd.Series(float(pay), index=ids.to_numpy(), name="variable_pay")
    segments = (reps["segment"].astype(str) if "segment" in reps.columns
                else pd.Series("", index=reps.index))
    values = [pay.get(rep, pay.get(seg, pay.get(EVERYONE))) for rep, seg in zip(ids, segments)]
    missing = [rep for rep, v in zip(ids, values) if v is None]
    if missing:
        raise CompensationInputError(
            f"variable_pay names no amount for {len(missing)} rep(s) ({', '.join(missing[:5])}"
            f"{', ...' if len(missing) > 5 else ''}); expected their rep_id, their segment, or "
            f"'default' for everyone else among its keys ({', '.join(map(str, pay))})")
    return pd.Series([float(v) for v in values], index=ids.to_numpy(), name="variable_pay")


def compute_payouts(attainment: "pd.DataFrame", config: CompensationConfig) -> "pd.DataFrame":
    """What the pay plan pays each rep: ``attainment`` has ``rep_id``, ``quota``, ``bookings``
    (optional ``segment``, and the columns SPIFs are measured on). Returns ``rep_id``,
    ``attainment`` (bookings / quota), ``payout`` (commission + SPIF bonuses), then
    ``variable_pay``, ``commission``, ``spif`` and one ``spif_<name>`` column per SPIF."""
    import numpy as np
    import pandas as pd

    missing = [c for c in ("rep_id", "quota", "bookings") if c not in attainment.columns]
    if missing:
        raise CompensationInputError(
            f"attainment: missing column(s) {', '.join(missing)}; expected rep_id, quota, bookings "
            "(one row per rep)")
    quota = pd.to_numeric(attainment["quota"], errors="coerce").to_numpy(dtype=float)
    bookings = pd.to_numeric(attainment["bookings"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(quota > 0) | ~np.isfinite(bookings))
    if len(bad):
        raise CompensationInputError(
            f"attainment: {len(bad)} row(s) without a positive quota or a bookings number (rows "
            f"{', '.join(str(i + 1) for i in bad[:5])}); expected quota > 0 and bookings as numbers")
    reps = attainment.reset_index(drop=True)
    pay = variable_pay_of(reps, config).to_numpy()
    ratio = bookings / quota
    commission = pay * payout_multiple(ratio, config)
    out = pd.DataFrame({"rep_id": reps["rep_id"].astype(str), "attainment": ratio})
    metrics = reps.assign(attainment=ratio, bookings=bookings)
    spif_total = np.zeros(len(reps))
    spif_columns = {}
    for spif in config.spifs:
        if spif["metric"] not in metrics.columns:
            raise CompensationInputError(
                f"SPIF {spif['name']!r} is measured on {spif['metric']!r}, which the attainment table "
                f"does not have; its columns: {', '.join(map(str, reps.columns))}")
        value = pd.to_numeric(metrics[spif["metric"]], errors="coerce").to_numpy(dtype=float)
        paid = np.where(value >= spif["target"], spif["bonus"], 0.0)
        spif_columns[f"spif_{spif['name']}"] = paid
        spif_total += paid
    out["payout"] = commission + spif_total
    out["variable_pay"] = pay
    out["commission"] = commission
    out["spif"] = spif_total
    for name, values in spif_columns.items():
        out[name] = values
    return out


@plain_dataclass
class PayoutSimulation:
    """The pay plan applied to simulated bookings: per rep and for the whole plan."""

    reps: "pd.DataFrame"      # rep_id, quota, variable_pay, payout_mean, payout_p10/p50/p90, p_above_target
    total_payout: "np.ndarray"   # one total per draw
    total_bookings: "np.ndarray"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """Headline numbers: expected cost, cost of sales as % of bookings, its 80 % interval."""
        import numpy as np

        share = self.total_payout / np.maximum(self.total_bookings, 1e-9)
        lo, hi = np.quantile(self.total_payout, [0.1, 0.9])
        return {"payout_expected": float(self.total_payout.mean()),
                "payout_p10": float(lo), "payout_p90": float(hi),
                "bookings_expected": float(self.total_bookings.mean()),
                "cost_of_sales_pct": float(100 * self.total_payout.mean()
                                           / max(self.total_bookings.mean(), 1e-9)),
                "cost_of_sales_pct_p10": float(100 * np.quantile(share, 0.1)),
                "cost_of_sales_pct_p90": float(100 * np.quantile(share, 0.9)),
                "share_paid_above_target": float(self.reps["p_above_target"].mean())}


def simulate_payouts(draws: "np.ndarray", reps: "pd.DataFrame",
                     config: CompensationConfig) -> PayoutSimulation:
    """The pay plan on simulated bookings: ``draws`` is (simulations x reps), the bookings of each
    rep of ``reps`` (rep_id, quota, optional segment) in each draw, in the same order.

    Per rep: payout mean, p10/p50/p90 and the probability of being paid above target pay. SPIFs
    are counted when measured on ``bookings`` or ``attainment`` (the only metrics simulated);
    others are left out with a note. Cost of sales: total payout / total bookings.
    """
    import numpy as np
    import pandas as pd

    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != len(reps):
        raise CompensationInputError(
            f"draws: expected (simulations x {len(reps)} reps); got shape {draws.shape}")
    quota = pd.to_numeric(reps["quota"], errors="coerce").to_numpy(dtype=float)
    if not (quota > 0).all():
        bad = reps.loc[~(quota > 0), "rep_id"].astype(str).tolist()
        raise CompensationInputError(f"reps without a positive quota: {', '.join(bad[:5])}")
    pay = variable_pay_of(reps.reset_index(drop=True), config).to_numpy()
    ratio = draws / quota
    payout = pay * payout_multiple(ratio, config)
    notes = []
    for spif in config.spifs:
        if spif["metric"] in ("bookings", "attainment"):
            value = draws if spif["metric"] == "bookings" else ratio
            payout = payout + np.where(value >= spif["target"], spif["bonus"], 0.0)
        else:
            notes.append(f"SPIF {spif['name']!r} on {spif['metric']!r} not costed: the plan simulates "
                         "bookings only.")
    p10, p50, p90 = np.quantile(payout, [0.1, 0.5, 0.9], axis=0)
    table = pd.DataFrame({"rep_id": reps["rep_id"].astype(str).to_numpy(), "quota": quota,
                          "variable_pay": pay, "payout_mean": payout.mean(axis=0),
                          "payout_p10": p10, "payout_p50": p50, "payout_p90": p90,
                          "p_above_target": (payout > pay + 1e-9).mean(axis=0)})
    return PayoutSimulation(table, payout.sum(axis=1), draws.sum(axis=1), notes)


def bookings_by_rep_quarter(opportunities: "pd.DataFrame", as_of: "pd.Timestamp | str",
                            quarters: int = 8) -> "pd.DataFrame":
    """Won bookings per rep (``owner_rep_id``) in each of the last ``quarters`` whole quarters
    before ``as_of``: one row per rep (index rep_id, with its segment), one column per quarter.
    Past quarters as draws of a rep's quarter: what a pay plan would have paid, quarter by quarter."""
    import pandas as pd

    needed = [c for c in ("owner_rep_id", "segment", "amount", "is_won") if c not in opportunities.columns]
    if needed:
        raise CompensationInputError(f"opportunities: missing column(s) {', '.join(needed)}")
    closed = pd.Series(pd.NaT, index=opportunities.index, dtype="datetime64[ns]")
    for column in ("close_date", "closed_at"):
        if column in opportunities.columns:
            values = pd.to_datetime(opportunities[column], errors="coerce", format="mixed")
            closed = values.where(values.notna(), closed)
    won = pd.to_numeric(opportunities["is_won"], errors="coerce") == 1
    owner = opportunities["owner_rep_id"].astype("string").fillna("").str.strip()
    last = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_period("Q") - 1
    periods = pd.period_range(end=last, periods=quarters, freq="Q")
    frame = pd.DataFrame({"rep_id": owner, "segment": opportunities["segment"].astype(str),
                          "quarter": closed.dt.to_period("Q"),
                          "amount": pd.to_numeric(opportunities["amount"], errors="coerce").fillna(0.0)})
    frame = frame[won.to_numpy() & (owner != "").to_numpy() & frame["quarter"].isin(periods).to_numpy()]
    table = frame.pivot_table(index=["rep_id", "segment"], columns="quarter", values="amount",
                              aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=periods, fill_value=0.0)
    table.columns = [str(p) for p in table.columns]
    return table.reset_index().set_index("rep_id")


def compare_pay_plans(draws: "np.ndarray", reps: "pd.DataFrame",
                      plans: Mapping[str, CompensationConfig],
                      uplift: Mapping[str, float] | None = None,
                      base: str | None = None) -> "pd.DataFrame":
    """Pay plans side by side on the same simulated (or past) bookings: ``draws`` (draws x reps
    of ``reps``: rep_id, quota, optional segment); ``plans``: name -> pay plan.

    ``uplift``: name -> the extra bookings the plan is assumed to bring (0.03: reps book 3 %
    more under it; an assumption of the analyst, since incentives move effort and nothing in the
    data says by how much). Per plan: expected cost, bookings, cost of sales in %, share of rep
    quarters paid above target pay, and against ``base`` (default: the first plan) the extra
    cost, the extra bookings and the cost per extra booking (NaN without extra bookings).
    """
    import numpy as np
    import pandas as pd

    if not plans:
        raise CompensationInputError("plans: expected at least one pay plan to compare")
    uplift = dict(uplift or {})
    unknown = sorted(set(uplift) - set(plans))
    if unknown:
        raise CompensationInputError(f"uplift names plans that are not compared: {', '.join(unknown)}")
    base = base or next(iter(plans))
    if base not in plans:
        raise CompensationInputError(f"base {base!r} is not one of the plans ({', '.join(plans)})")
    rows = []
    for name, config in plans.items():
        sim = simulate_payouts(np.asarray(draws, dtype=float) * (1.0 + uplift.get(name, 0.0)), reps, config)
        summary = sim.summary()
        rows.append({"plan": name, "cost": summary["payout_expected"],
                     "bookings": summary["bookings_expected"],
                     "cost_of_sales_pct": summary["cost_of_sales_pct"],
                     "share_paid_above_target": float((sim.reps["p_above_target"]).mean()),
                     "uplift": uplift.get(name, 0.0)})
    table = pd.DataFrame(rows)
    ref = table.set_index("plan").loc[base]
    table["extra_cost"] = table["cost"] - ref["cost"]
    table["extra_bookings"] = table["bookings"] - ref["bookings"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["cost_per_extra_booking"] = np.where(table["extra_bookings"] > 1e-9,
                                                   table["extra_cost"] / table["extra_bookings"], np.nan)
    return table
