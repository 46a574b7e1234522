"""Pipeline forecast for the coming quarter: open deals x P(won in the quarter) + new business.

- ``WinProbabilityModel`` (sklearn-style) learns P(won and closed by the period end | open at
  time t) from snapshots of history: at every month start, the deals open then, labelled with
  what happened by the end of that quarter. Features: segment, amount, age, days left in the
  quarter, the quarter of the year (once the snapshots span all four: year-end pushes), and
  stage when the export keeps the open stages of closed deals (if closed deals only show
  'Closed Won/Lost', their stage would leak the outcome and is not used).
- Expected new business: for past quarters, bookings of deals created after the same point of
  the quarter as ``as_of`` and won within the quarter (the create-and-close run-rate), the last
  four quarters' mean scaled for season and growth (``seasonal_ratio``).
- ``simulate``: seeded Monte Carlo, Bernoulli per open deal plus a gamma draw of new business,
  widened by a factor calibrated on the last quarters, forecast the same way (``calibrated_spread``).
- Open deals without an amount (early-stage deals in many exports) get the average won amount of
  similar deals (``estimate_amounts``: same segment and product, else segment, else all), so a
  pipeline of unpriced deals is not worth zero. When an export records amounts only on won deals
  (lost ones at 0 or empty), the amount tells the outcome: it is then no model feature, and every
  deal open at the forecast date is priced the same way (its recorded amount came at the close).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.config import ForecastConfig, configure
from forecasting.errors import ForecastInputError, input_error
from forecasting.history import _closed_dates, _won_flags

TERMINAL_WORDS = ("closed", "won", "lost")
NUMERIC = ["log_amount", "log_age", "days_left", "age_ratio"]
# Columns that make two deals alike when an open deal's amount is estimated (the first present).
SIMILAR_COLUMNS = ("product", "product_line", "product_family", "type")
MIN_SIMILAR = 5        # won deals a group needs before its average prices a deal


def canonical_opportunities(opportunities: pd.DataFrame, table: str = "opportunities") -> pd.DataFrame:
    needed = ["opportunity_id", "segment", "created_at", "amount", "is_won"]
    missing = [c for c in needed if c not in opportunities.columns]
    if missing:
        raise ForecastInputError(
            f"{table}: missing column(s) {', '.join(missing)}; expected the opportunities contract "
            "(opportunity_id, account_id, segment, created_at, stage, amount, close_date, is_won).")
    created = pd.to_datetime(opportunities["created_at"], errors="coerce", format="mixed")
    if created.isna().any():
        rows = list(np.flatnonzero(created.isna().to_numpy()))
        raise input_error(table, "created_at", "values that are not dates", rows,
                          expected="a date such as 2026-03-31")
    won = _won_flags(opportunities)
    closed = _closed_dates(opportunities).where(won.notna())
    raw_amount = opportunities["amount"]
    amount = pd.to_numeric(raw_amount, errors="coerce")
    unreadable = amount.isna() & raw_amount.notna() & (raw_amount.astype(str).str.strip() != "")
    if unreadable.any() or (amount < 0).any():
        rows = list(np.flatnonzero((unreadable | (amount < 0)).to_numpy()))
        raise input_error(table, "amount", "unreadable or negative amounts", rows,
                          expected="an amount >= 0 (or empty)")
    # Real exports leave the amount of early-stage deals empty (Maven's "Engaging" deals): kept
    # empty here, priced from similar deals where the forecast needs it (estimate_amounts).
    stage = (opportunities["stage"].astype(str) if "stage" in opportunities
             else pd.Series("", index=opportunities.index))
    similar = next((c for c in SIMILAR_COLUMNS if c in opportunities.columns), None)
    group = (opportunities[similar].astype("string").fillna("").astype(str) if similar
             else pd.Series("", index=opportunities.index))
    return pd.DataFrame({"opportunity_id": opportunities["opportunity_id"].astype(str),
                         "segment": opportunities["segment"].astype(str),
                         "created": created, "closed": closed, "won": won,
                         "amount": amount.astype(float), "stage": stage,
                         "similar": group.to_numpy()}).reset_index(drop=True)


def amounts_tell_outcome(opps: pd.DataFrame, min_deals: int = 10) -> bool:
    """True when the export records amounts only on won deals: nearly every lost deal has an
    empty or zero amount (>= 90 %) and nearly no won deal does (<= 10 %). Such an amount is
    known only after the close, so it cannot describe a deal that is still open."""
    closed = opps[opps["won"].notna()]
    unpriced = closed["amount"].isna() | (closed["amount"] <= 0)
    won, lost = closed["won"] == 1, closed["won"] == 0
    if won.sum() < min_deals or lost.sum() < min_deals:
        return False
    return bool(unpriced[lost].mean() >= 0.9 and unpriced[won].mean() <= 0.1)


def estimate_amounts(deals: pd.DataFrame, history: pd.DataFrame, as_of: pd.Timestamp,
                     replace: pd.Series | None = None) -> tuple[pd.DataFrame, str]:
    """``deals`` with every empty amount (and those flagged in ``replace``) set to the average
    amount of similar won deals, and a boolean ``amount_estimated`` column; plus the basis in words.

    Similar deals are won deals of ``history`` closed by ``as_of`` with an amount: the same
    segment and product (the first column of ``SIMILAR_COLUMNS`` the export has), else the same
    segment, else all; each group needs ``MIN_SIMILAR`` deals. Deals won in the last year are
    used when there are enough of them (prices drift), else all. The mean, not the median: the
    forecast adds amounts up, and the mean is what a group of deals is worth on average.
    """
    out = deals.copy()
    todo = out["amount"].isna()
    if replace is not None:
        todo |= replace.reindex(out.index, fill_value=False).astype(bool)
    out["amount_estimated"] = todo.to_numpy()
    won = history[(history["won"] == 1) & (history["closed"] <= as_of) & (history["amount"] > 0)]
    recent = won[won["closed"] > as_of - pd.Timedelta(days=365)]
    if len(recent) >= MIN_SIMILAR:
        won = recent
    if not todo.any():
        return out, ""
    if won.empty:
        out.loc[todo, "amount"] = 0.0
        return out, "no won deal with an amount to price them from: counted at 0"
    by_pair = won.groupby(["segment", "similar"])["amount"].agg(["mean", "size"])
    by_segment = won.groupby("segment")["amount"].agg(["mean", "size"])
    overall = float(won["amount"].mean())
    values = []
    for seg, grp in zip(out.loc[todo, "segment"], out.loc[todo, "similar"]):
        if (seg, grp) in by_pair.index and grp and by_pair.at[(seg, grp), "size"] >= MIN_SIMILAR:
            values.append(float(by_pair.at[(seg, grp), "mean"]))
        elif seg in by_segment.index and by_segment.at[seg, "size"] >= MIN_SIMILAR:
            values.append(float(by_segment.at[seg, "mean"]))
        else:
            values.append(overall)
    out.loc[todo, "amount"] = values
    product = bool((won["similar"] != "").any())
    basis = ("the average won amount of similar deals (same segment and product, else the same "
             "segment, else all" if product else
             "the average won amount of the same segment's deals (else of all deals")
    basis += ("; won in the last 12 months)" if len(won) == len(recent) else "; all won deals)")
    return out, basis


def _features(frame: pd.DataFrame, at: pd.Timestamp, period_end: pd.Timestamp,
              typical_cycle: dict[str, float]) -> pd.DataFrame:
    """Model inputs for deals open at ``at``, to be won by ``period_end``."""
    age = (at - frame["created"]).dt.days.clip(lower=0).to_numpy(dtype=float)
    fallback = float(np.nanmedian(list(typical_cycle.values()))) if typical_cycle else 60.0
    cycle = frame["segment"].map(typical_cycle).fillna(fallback).to_numpy(dtype=float)
    return pd.DataFrame({"segment": frame["segment"].to_numpy(), "stage": frame["stage"].to_numpy(),
                         "quarter": f"Q{period_end.quarter}",
                         "log_amount": np.log1p(frame["amount"].fillna(0.0).to_numpy()),
                         "log_age": np.log1p(age),
                         "days_left": np.full(len(frame), float((period_end - at).days)),
                         "age_ratio": age / np.maximum(cycle, 1.0)})


def snapshots(opps: pd.DataFrame, as_of: pd.Timestamp, n_months: int = 24):
    """Training rows: deals open at each month start, label = won by that quarter's end.

    Returns (features, labels, typical cycle per segment, days between snapshot and as_of).
    """
    starts = pd.date_range(end=as_of, periods=n_months + 4, freq="MS")
    won_cycle = (opps["closed"] - opps["created"]).dt.days[opps["won"] == 1]
    typical = won_cycle.groupby(opps.loc[opps["won"] == 1, "segment"]).median().to_dict()
    parts, labels, ages = [], [], []
    for t in starts:
        end = (t.to_period("Q").end_time).normalize()
        if end > as_of:
            continue
        open_mask = (opps["created"] < t) & (opps["closed"].isna() | (opps["closed"] >= t))
        snap = opps[open_mask]
        if snap.empty:
            continue
        parts.append(_features(snap, t, end, typical))
        labels.append(((snap["won"] == 1) & (snap["closed"] <= end)).astype(int).to_numpy())
        ages.append(np.full(len(snap), float((as_of - t).days)))
    if not parts:
        raise ForecastInputError("opportunities: no history before as_of to learn win rates from; "
                                 "expected at least one quarter of closed deals.")
    return (pd.concat(parts, ignore_index=True), np.concatenate(labels), typical,
            np.concatenate(ages))


@dataclass
class WinProbabilityModel:
    """P(an open deal is won by the end of the period), calibrated (isotonic, 3-fold)."""

    random_state: int | None = 0
    use_stage: bool | None = None   # None: decide from the data (see module docstring)
    # Quarter of the year: deals close faster in some quarters (the year-end push). None: used
    # when the snapshots cover all four quarters, so every forecast quarter was seen in training.
    use_quarter: bool | None = None
    # Win rates drift (the sample's rise ~30% in two years): recent snapshots count more.
    half_life_days: float = 180.0
    # OpenMP threads for the booster: on a shared machine more threads are slower (7x here)
    n_threads: int = 1
    # The amount as a feature; None: used unless it tells the outcome (``amounts_tell_outcome``).
    use_amount: bool | None = None

    def fit(self, X: pd.DataFrame, y: np.ndarray, open_stages: set[str],
            closed_stages: set[str], age_days: np.ndarray | None = None,
            amount_tells_outcome: bool = False) -> "WinProbabilityModel":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        if len(np.unique(y)) < 2:
            raise ForecastInputError(
                "opportunities: the history before as_of has "
                f"{'no won' if not np.any(y) else 'only won'} deals among those open at the "
                "month starts; expected both won and not-won deals to learn win rates from.")

        # Stage helps only if closed deals keep a stage an open deal can have; deals still open
        # today would otherwise be the only ones with open stages in the snapshots (all 0s).
        usable = bool(open_stages & closed_stages) and not all(
            any(w in s.lower() for w in TERMINAL_WORDS) for s in closed_stages)
        self.use_stage_ = usable if self.use_stage is None else self.use_stage
        self.use_quarter_ = (X["quarter"].nunique() >= 4 if self.use_quarter is None
                             else self.use_quarter)
        self.use_amount_ = (not amount_tells_outcome) if self.use_amount is None else self.use_amount
        self.categories_ = {c: sorted(X[c].astype(str).unique()) for c in self._categorical()}
        booster = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.05, max_depth=4, random_state=self.random_state,
            categorical_features=list(range(len(self.categories_))))
        weight = (None if age_days is None or not self.half_life_days
                  else 0.5 ** (np.asarray(age_days, dtype=float) / self.half_life_days))
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.n_threads):
            self.model_ = CalibratedClassifierCV(booster, method="isotonic", cv=3).fit(
                self._matrix(X), y, sample_weight=weight)
        self.base_rate_ = float(np.average(y, weights=weight))
        return self

    def _categorical(self) -> list[str]:
        return (["segment"] + (["stage"] if self.use_stage_ else [])
                + (["quarter"] if self.use_quarter_ else []))

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Categories as codes (unknown -> NaN, which the booster treats as missing)."""
        cols = []
        for c, cats in self.categories_.items():
            codes = pd.Categorical(X[c].astype(str), categories=cats).codes.astype(float)
            cols.append(np.where(codes < 0, np.nan, codes))
        cols += [X[c].to_numpy(dtype=float) for c in self._numeric()]
        return np.column_stack(cols)

    def _numeric(self) -> list[str]:
        return [c for c in NUMERIC if c != "log_amount" or getattr(self, "use_amount_", True)]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError("WinProbabilityModel is not fitted; call fit first")
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.n_threads):
            return self.model_.predict_proba(self._matrix(X))[:, 1]


def new_business_history(opps: pd.DataFrame, as_of: pd.Timestamp, period: pd.Period,
                         n_quarters: int = 8) -> pd.DataFrame:
    """Per past quarter and segment: won bookings of deals created after the same offset into
    the quarter as ``as_of`` and closed within the quarter."""
    offset = (as_of + pd.Timedelta(days=1) - period.start_time).days
    rows = []
    for q in pd.period_range(end=period - 1, periods=n_quarters, freq="Q"):
        start, end = q.start_time, q.end_time
        if start < opps["created"].min():
            continue
        cut = start + pd.Timedelta(days=offset)
        mask = ((opps["won"] == 1) & (opps["created"] >= cut) & (opps["closed"] >= start)
                & (opps["closed"] <= end))
        sums = opps[mask].groupby("segment")["amount"].sum()
        for seg in sorted(opps["segment"].unique()):
            rows.append({"quarter": str(q), "segment": seg, "new_bookings": float(sums.get(seg, 0.0))})
    return pd.DataFrame(rows, columns=["quarter", "segment", "new_bookings"])


def known_at(opps: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Deals as they stood at ``as_of``: created by then; those closed later were still open
    (this lets a user back-date the forecast)."""
    known = opps[opps["created"] <= as_of].copy()
    later = known["closed"] > as_of
    known.loc[later, ["closed", "won"]] = [pd.NaT, np.nan]
    return known


def won_per_quarter(opps: pd.DataFrame, period: pd.Period) -> pd.Series:
    """Won bookings of every whole quarter before ``period`` (all segments; zeros kept).

    A quarter that began before the first deal was created is left out: the export covers
    only part of it."""
    first = opps["created"].min().to_period("Q")
    if first.start_time < opps["created"].min():
        first += 1
    quarters = pd.period_range(first, period - 1, freq="Q")
    won = opps[opps["won"] == 1]
    sums = won.groupby(won["closed"].dt.to_period("Q"))["amount"].sum()
    return sums.reindex(quarters, fill_value=0.0).astype(float)


def seasonal_ratio(won: pd.Series, period: pd.Period) -> tuple[float, int]:
    """(ratio, years it rests on): won bookings in the same quarter of past years against the
    four quarters before each (``won`` from :func:`won_per_quarter`), averaged over the years.

    The plain mean of the last four quarters flattens the season (a year-end peak) and lags a
    growing business by half a year; this ratio carries both. It is taken from all won
    bookings, not from the new business it scales: that is a third of the volume and too noisy
    to tell a season from luck (on the sample CRMs the noisier ratio cost more in error than it
    gained in bias). 1 when no past year has the four quarters before it.
    """
    ratios = []
    for years in (1, 2):
        same = period - 4 * years
        before = [same - k for k in range(1, 5)]
        if same in won.index and all(q in won.index for q in before):
            base = float(won[before].mean())
            if base > 0:
                ratios.append(float(won[same]) / base)
    return (float(np.mean(ratios)) if ratios else 1.0), len(ratios)


def new_business_params(new_hist: pd.DataFrame, segments: list[str],
                        ratio: float = 1.0) -> pd.DataFrame:
    """Per segment: mean (last four quarters) and spread (all quarters) of create-and-close
    bookings, both times ``ratio`` (see :func:`seasonal_ratio`)."""
    rows = []
    for segment in segments:
        values = new_hist.loc[new_hist["segment"] == segment, "new_bookings"].to_numpy()
        mean = float(values[-4:].mean()) if len(values) else 0.0
        sd = float(values.std(ddof=1)) if len(values) > 1 else mean * 0.5
        rows.append({"segment": segment, "new_mean": mean * ratio, "new_sd": sd * ratio})
    return pd.DataFrame(rows, columns=["segment", "new_mean", "new_sd"])


def simulate_quarter(open_deals: pd.DataFrame, closed_to_date, new_business: pd.DataFrame,
                     *, n_simulations: int = 10_000, random_state: int | None = 0,
                     probability_col: str = "probability", spread: float = 1.0) -> dict[str, np.ndarray]:
    """Simulated quarter bookings per segment (and ``Total``): closed + won open deals + new.

    Open deals are Bernoulli draws with their probability; new business a gamma draw with the
    segment's mean and spread. ``spread`` widens the draws of each segment and of the total
    around their median (see :func:`calibrated_spread`), never below what is already closed.
    The forecast and its what-if scenarios both call this, so a scenario with unchanged
    probabilities reproduces the forecast draw for draw.
    """
    rng = np.random.default_rng(random_state)
    params = new_business.set_index("segment")
    sims: dict[str, np.ndarray] = {}
    for segment in params.index:
        deals = open_deals[open_deals["segment"] == segment]
        mean, sd = float(params.at[segment, "new_mean"]), float(params.at[segment, "new_sd"])
        wins = rng.random((n_simulations, len(deals))) < deals[probability_col].to_numpy()
        pipeline_draw = wins.astype(float) @ deals["amount"].to_numpy()
        if mean > 0 and sd > 0:
            shape = (mean / sd) ** 2
            new_draw = rng.gamma(shape, mean / shape, n_simulations)
        else:
            new_draw = np.full(n_simulations, mean)
        sims[segment] = float(closed_to_date.get(segment, 0.0)) + pipeline_draw + new_draw
    sims["Total"] = np.sum([sims[s] for s in params.index], axis=0)
    if spread != 1.0:
        for key, draws in sims.items():
            closed = float(sum(closed_to_date.get(s, 0.0) for s in params.index) if key == "Total"
                           else closed_to_date.get(key, 0.0))
            middle = np.median(draws)
            sims[key] = np.maximum(middle + spread * (draws - middle), closed)
    return sims


@dataclass
class PipelineResult:
    table: pd.DataFrame            # one row per segment + Total
    open_deals: pd.DataFrame       # each open deal with its probability (and amount_estimated)
    model: WinProbabilityModel
    as_of: pd.Timestamp
    period: pd.Period
    notes: list[str] = field(default_factory=list)
    spread: float = 1.0            # widening of the simulated spread (calibrated_spread)
    new_business: pd.DataFrame | None = None   # new_business_params the simulation drew from
    # The simulated quarter per segment and "Total" (after the widening): what a combination
    # with another view, or a scenario, draws from.
    draws: dict[str, np.ndarray] = field(default_factory=dict)
    # The same forecast made as of the same day of past quarters (quarter_backtest).
    backtest: pd.DataFrame | None = None
    amounts_estimated: int = 0     # open deals whose amount was estimated (estimate_amounts)


@dataclass
class _QuarterInputs:
    """What the quarter's simulation needs, as known at ``as_of``."""

    period: pd.Period
    open_deals: pd.DataFrame       # with their win probability
    closed_to_date: pd.Series      # won bookings per segment since the quarter started
    new_business: pd.DataFrame     # new_business_params
    model: WinProbabilityModel
    new_ratio: float = 1.0         # seasonal_ratio and the years it rests on
    new_ratio_years: int = 0
    amount_basis: str = ""         # how missing amounts were estimated ("" when none was)


def _quarter_inputs(opps: pd.DataFrame, as_of: pd.Timestamp, segments: list[str],
                    random_state: int | None, amount_tells_outcome: bool = False) -> _QuarterInputs:
    period = (as_of + pd.Timedelta(days=1)).to_period("Q")
    end = period.end_time.normalize()
    known = known_at(opps, as_of)
    # The model learns from deals priced the way the open ones are (an empty amount is not 0).
    priced = known if amount_tells_outcome else estimate_amounts(known, known, as_of)[0]
    X, y, typical, age_days = snapshots(priced, as_of)
    open_deals = known[known["closed"].isna()].reset_index(drop=True)
    # When only won deals carry amounts, a deal open at as_of had none yet: price them all.
    replace = pd.Series(amount_tells_outcome, index=open_deals.index)
    open_deals, basis = estimate_amounts(open_deals, known, as_of, replace=replace)
    model = WinProbabilityModel(random_state=random_state).fit(
        X, y, open_stages=set(open_deals["stage"].unique()),
        closed_stages=set(known.loc[known["closed"].notna(), "stage"].unique()), age_days=age_days,
        amount_tells_outcome=amount_tells_outcome)
    open_deals["probability"] = (model.predict_proba(_features(open_deals, as_of, end, typical))
                                 if len(open_deals) else np.array([]))
    closed_to_date = known[(known["won"] == 1) & (known["closed"] >= period.start_time)
                           & (known["closed"] <= as_of)].groupby("segment")["amount"].sum()
    new_hist = new_business_history(known, as_of, period)
    ratio, years = seasonal_ratio(won_per_quarter(known, period), period)
    params = new_business_params(new_hist, segments, ratio)
    return _QuarterInputs(period, open_deals, closed_to_date, params, model, ratio, years, basis)


BACKTEST_COLUMNS = ["quarter", "as_of", "segment", "actual", "p50", "lo", "hi"]


def quarter_backtest(opps: pd.DataFrame, as_of: pd.Timestamp, quarters: int = 4, *,
                     level: float = 80.0, n_simulations: int = 2000,
                     random_state: int | None = 0) -> pd.DataFrame:
    """The pipeline forecast made again as of the same day of each of the last ``quarters``
    quarters, from the deals known then, against what was won: one row per quarter and segment
    (and ``Total``) with the median and the central ``level`` % interval of the (unwidened)
    simulation. Quarters without enough history before them are left out."""
    period = (as_of + pd.Timedelta(days=1)).to_period("Q")
    offset = as_of - period.start_time
    segments = sorted(opps["segment"].unique())
    tells = amounts_tell_outcome(opps)
    lo_q, hi_q = 0.5 - level / 200, 0.5 + level / 200
    rows = []
    for back in range(1, quarters + 1):
        past = period - back
        past_as_of = past.start_time + offset
        try:
            inputs = _quarter_inputs(opps, past_as_of, segments, random_state, tells)
        except ForecastInputError:  # too little history before that quarter
            continue
        sims = simulate_quarter(inputs.open_deals, inputs.closed_to_date, inputs.new_business,
                                n_simulations=n_simulations, random_state=random_state)
        won = opps[(opps["won"] == 1) & (opps["closed"] >= past.start_time)
                   & (opps["closed"] <= past.end_time)].groupby("segment")["amount"].sum()
        for segment in [*segments, "Total"]:
            lo, middle, hi = np.quantile(sims[segment], [lo_q, 0.5, hi_q])
            actual = float(won.sum() if segment == "Total" else won.get(segment, 0.0))
            rows.append({"quarter": str(past), "as_of": str(past_as_of.date()), "segment": segment,
                         "actual": actual, "p50": float(middle), "lo": float(lo), "hi": float(hi)})
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def _spread_from(backtest: pd.DataFrame, level: float = 80.0) -> tuple[float, int]:
    """(widening, rows it rests on) from :func:`quarter_backtest` (see :func:`calibrated_spread`)."""
    needed = []
    for row in backtest.itertuples():
        half_width = row.hi - row.p50 if row.actual >= row.p50 else row.p50 - row.lo
        if half_width > 0:
            needed.append(abs(row.actual - row.p50) / half_width)
    if len(needed) < 4:
        return 1.0, len(needed)
    return max(1.0, float(np.quantile(needed, level / 100))), len(needed)


def calibrated_spread(opps: pd.DataFrame, as_of: pd.Timestamp, quarters: int = 4, *,
                      level: float = 80.0, n_simulations: int = 2000,
                      random_state: int | None = 0) -> tuple[float, int]:
    """(widening, number of past quarter rows it rests on).

    The forecast is made again as of the same point of each of the last ``quarters`` quarters,
    from the deals known then, and compared with what was won (:func:`quarter_backtest`). Each
    past row (segments and the total) needs its draws widened around the median by some factor
    for its central ``level`` % interval to hold the actual; the factor returned holds ``level`` %
    of them. The simulation draws deals independently, so quarter-wide swings in win rates are
    otherwise missing from its spread. Never below 1 (no narrower than the simulation); 1 with
    fewer than four past points.
    """
    frame = quarter_backtest(opps, as_of, quarters, level=level, n_simulations=n_simulations,
                             random_state=random_state)
    return _spread_from(frame, level)


def forecast_pipeline(opportunities: pd.DataFrame, config: ForecastConfig | None = None, *,
                      as_of=None, targets: pd.DataFrame | None = None,
                      random_state: int | None = 0, **overrides) -> PipelineResult:
    """Coming-quarter bookings per segment from closed-to-date, open pipeline and new business.

    ``config`` is the forecasting engine's ``ForecastConfig``; this forecast reads its
    ``n_simulations`` (Monte Carlo draws), ``calibration_quarters`` (the interval is widened by
    :func:`calibrated_spread` over that many past quarters; 0: the simulation's own spread) and
    ``levels`` (80 always: p10/p90; others as lo_L/hi_L columns). ``overrides`` are
    ``ForecastConfig`` field names, e.g. ``forecast_pipeline(opps, n_simulations=2000)``.
    ``as_of``: the export date (default: the latest date in the table); ``targets`` adds the gap
    and the probability of reaching them.
    """
    config = configure(config, overrides, caller="forecast_pipeline")
    n_simulations, calibration_quarters = config.n_simulations, config.calibration_quarters
    levels = config.interval_levels
    opps = canonical_opportunities(opportunities)
    stamp_max = pd.concat([opps["created"], opps["closed"].dropna()]).max()
    as_of = pd.Timestamp(as_of) if as_of is not None else stamp_max.normalize()
    segments = sorted(opps["segment"].unique())
    tells = amounts_tell_outcome(opps)
    inputs = _quarter_inputs(opps, as_of, segments, random_state, tells)
    period, open_deals, params = inputs.period, inputs.open_deals, inputs.new_business
    closed_to_date = inputs.closed_to_date
    notes = [] if inputs.model.use_stage_ else [
        "stage not used: closed deals only carry their final stage, which would leak the outcome."]
    estimated = int(open_deals["amount_estimated"].sum())
    if estimated:
        which = (f"all {estimated:,} open deals (the export records amounts on won deals only)"
                 if tells else f"{estimated:,} of {len(open_deals):,} open deals had no amount and")
        notes.append(f"{which} priced at {inputs.amount_basis}: "
                     f"{open_deals.loc[open_deals['amount_estimated'], 'amount'].sum():,.0f} in "
                     "all, not zero (amount_estimated in open_deals.csv).")
    if tells:
        notes.append("amount not used to predict wins: only won deals carry one, so it would "
                     "leak the outcome.")
    notes.append(f"expected new business x{inputs.new_ratio:.2f}: won bookings of the same quarter "
                 f"of the last {inputs.new_ratio_years} year(s) against the four quarters before "
                 "it, all segments pooled (season and growth)." if inputs.new_ratio_years else
                 "expected new business: the mean of the last four quarters (no past year has "
                 "the four quarters before its same quarter, so no season or growth is applied).")
    spread, backtest = 1.0, None
    if calibration_quarters:
        backtest = quarter_backtest(opps, as_of, calibration_quarters, random_state=random_state)
        spread, points = _spread_from(backtest)
        notes.append(f"pipeline interval widened x{spread:.2f} so that 80 % of the last "
                     f"{calibration_quarters} quarters' actuals ({points} segment and total rows), "
                     "forecast the same way, fall inside it." if points >= 4 else
                     f"pipeline interval not calibrated: only {points} past quarter rows.")
    sims = simulate_quarter(open_deals, closed_to_date, params, n_simulations=n_simulations,
                            random_state=random_state, spread=spread)
    rows = [_row(seg, period, float(closed_to_date.get(seg, 0.0)), open_deals[open_deals["segment"] == seg],
                 float(params.at[i, "new_mean"]), sims[seg], levels) for i, seg in enumerate(segments)]
    rows.append(_row("Total", period, float(closed_to_date.sum()), open_deals,
                     float(params["new_mean"].sum()), sims["Total"], levels))
    table = pd.DataFrame(rows)
    if targets is not None:
        table = _with_targets(table, targets, period, sims)
    return PipelineResult(table=table, open_deals=open_deals, model=inputs.model, as_of=as_of,
                          period=period, notes=notes, spread=spread, new_business=params,
                          draws=sims, backtest=backtest, amounts_estimated=estimated)


def _row(seg, period, closed, deals, new_mean, total, levels) -> dict:
    row = {"segment": seg, "period": str(period), "closed_to_date": closed,
           "open_deals": int(len(deals)),
           "amounts_estimated": int(deals["amount_estimated"].sum()),
           "open_pipeline": float(deals["amount"].sum()),
           "weighted_pipeline": float((deals["amount"] * deals["probability"]).sum()),
           "expected_new": new_mean}
    row["expected_total"] = closed + row["weighted_pipeline"] + new_mean
    row["p10"], row["p50"], row["p90"] = (float(v) for v in np.quantile(total, [0.1, 0.5, 0.9]))
    for lv in levels:
        if lv != 80:
            lo, hi = np.quantile(total, [0.5 - lv / 200, 0.5 + lv / 200])
            row[f"lo_{lv:g}"], row[f"hi_{lv:g}"] = float(lo), float(hi)
    return row


def _with_targets(table: pd.DataFrame, targets: pd.DataFrame, period: pd.Period, sims) -> pd.DataFrame:
    missing = [c for c in ("segment", "period", "target") if c not in targets.columns]
    if missing:
        raise ForecastInputError(f"targets: missing column(s) {', '.join(missing)}; expected "
                                 "segment, period (e.g. 2027Q1), target.")
    t = targets.copy()
    t["period"] = t["period"].astype(str).str.replace("-", "").str.upper()
    t = t[t["period"] == str(period)]
    if t.empty:
        raise ForecastInputError(f"targets: no row for period {period}; expected targets for the "
                                 f"coming quarter {period}, got periods "
                                 f"{sorted(targets['period'].astype(str).unique())}.")
    goal = t.groupby(t["segment"].astype(str))["target"].sum().to_dict()
    if "Total" not in goal:
        goal["Total"] = sum(goal.values())
    table = table.copy()
    table["target"] = table["segment"].map(goal)
    table["gap_to_target"] = table["target"] - table["expected_total"]
    table["probability_of_target"] = [
        float(np.mean(sims[s] >= goal[s])) if s in goal else np.nan for s in table["segment"]]
    return table
