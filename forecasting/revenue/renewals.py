"""Renewals: which subscription renewed which, the renewal model's training frame, and the
simulation of renewed ARR from per-subscription P(renew).

A subscription is renewed by another subscription of the same account (and the same product,
when both name one) starting within ``grace_days`` of its renewal date (the day after its last
day). Its status is *renewed* once that successor is in the table, *churned* once the renewal
date is more than ``grace_days`` before the plan date without one, and *open* otherwise. The
label a model learns from (``renewed``) is set only when the renewal date is more than
``grace_days`` old: nearer the plan date a renewal already shows but a churn does not yet.

Features are what is known when the subscription starts, so a subscription due next quarter is
described exactly as the decided ones the model learnt from: its ARR and term, the product, how
many times the chain has renewed, the account's tenure, ARR and subscriptions then, the change
of ARR at its last renewal, and the account table's columns (region, industry, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.revenue.arr import OVERALL, account_arr, prepare_subscriptions
from forecasting.revenue.config import RevenueConfig
from forecasting.revenue.errors import RevenueInputError

LABEL = "renewed"
ID = "subscription_id"
TIME = "renewal_date"
# Account-table columns that say nothing about renewing (names, places, owners, flags).
ACCOUNT_SKIP = ("account_name", "owner_rep_id", "lat", "lon", "locked", "segment")
FORECAST_COLUMNS = ["segment", "period", "subscriptions_due", "due_arr", "expected_renewed_arr",
                    "renewed_arr_p10", "renewed_arr_p50", "renewed_arr_p90", "arr_now", "not_due_arr",
                    "ending_arr_p10", "ending_arr_p50", "ending_arr_p90", "probability_source"]


def renewal_links(subs: pd.DataFrame, grace_days: int) -> pd.Series:
    """subscription_id -> the subscription_id renewing it (missing: none in the table)."""
    keys = ["account_id"] + (["product"] if "product" in subs.columns else [])
    left = subs[[ID, "start_date", "end_date", *keys]].dropna(subset=["end_date"])
    right = subs[[ID, "start_date", *keys]].rename(columns={ID: "next_id", "start_date": "next_start"})
    if "product" in keys:  # an empty product matches any product
        left = left.assign(product=left["product"].fillna("")).astype({"product": str})
        right = right.assign(product=right["product"].fillna("")).astype({"product": str})
    pairs = left.merge(right, on=keys, how="inner")
    due = pairs["end_date"] + pd.Timedelta(days=1)
    grace = pd.Timedelta(days=grace_days)
    ok = ((pairs["next_id"] != pairs[ID]) & (pairs["next_start"] > pairs["start_date"])
          & (pairs["next_start"] >= due - grace) & (pairs["next_start"] <= due + grace))
    pairs = pairs[ok].assign(gap=(pairs["next_start"] - due).abs())
    pairs = pairs.sort_values([ID, "gap", "next_start", "next_id"], kind="stable")
    # One successor per subscription, and one predecessor per successor (the closest).
    pairs = pairs.drop_duplicates(ID).drop_duplicates("next_id")
    return pairs.set_index(ID)["next_id"]


def renewal_frame(subscriptions: pd.DataFrame, as_of: str | pd.Timestamp, *,
                  accounts: pd.DataFrame | None = None, grace_days: int = 30) -> pd.DataFrame:
    """One row per subscription with an end date: its features, ``renewal_date``, the label
    ``renewed`` (1, 0, or empty while open), ``status`` (renewed / churned / open) and, for a
    renewed one, ``renewed_by`` and ``renewed_arr`` (the successor's ARR)."""
    subs = prepare_subscriptions(subscriptions)
    as_of = pd.Timestamp(as_of).normalize()
    links = renewal_links(subs, grace_days)
    subs = subs.sort_values(["start_date", ID], kind="stable").reset_index(drop=True)
    predecessor = pd.Series(links.index.to_numpy(), index=links.to_numpy())
    by_id = subs.set_index(ID)
    # Renewals so far and the ARR change at the last renewal: walk each chain in start order.
    count: dict[str, int] = {}
    change = np.full(len(subs), np.nan)
    for i, sid in enumerate(subs[ID]):
        prev = predecessor.get(sid)
        count[sid] = count.get(prev, -1) + 1 if prev is not None else 0
        if prev is not None:
            before = float(by_id.at[prev, "arr"])
            change[i] = float(subs.at[i, "arr"]) / before - 1 if before > 0 else np.nan
    first_start = subs.groupby("account_id")["start_date"].transform("min")
    account_at_start, n_active = _account_at_start(subs)
    end = subs["end_date"]
    frame = pd.DataFrame({
        ID: subs[ID], "account_id": subs["account_id"], "segment": subs["segment"],
        **({"product": subs["product"]} if "product" in subs.columns else {}),
        "arr": subs["arr"],
        "term_months": ((end - subs["start_date"]).dt.days + 1) / 30.4375,
        "renewals_so_far": subs[ID].map(count).astype(int),
        "tenure_months": (subs["start_date"] - first_start).dt.days / 30.4375,
        "account_arr_at_start": account_at_start,
        "active_subscriptions_at_start": n_active.astype(int),
        "arr_change_at_last_renewal": change,
        "start_date": subs["start_date"], "end_date": end,
        TIME: end + pd.Timedelta(days=1),
    })
    frame = frame[end.notna().to_numpy()].reset_index(drop=True)
    successor = frame[ID].map(links)
    seen = successor.notna() & frame[ID].map(links).map(by_id["start_date"]).le(as_of)
    lapsed = ~seen & (frame[TIME] + pd.Timedelta(days=grace_days) <= as_of)
    frame["status"] = np.select([seen, lapsed], ["renewed", "churned"], "open")
    # The label only once both outcomes could be seen: a renewal within the grace period of the
    # plan date shows while a churn there does not yet, so labelling those would bias P(renew) up.
    settled = (frame[TIME] + pd.Timedelta(days=grace_days) <= as_of).to_numpy()
    frame[LABEL] = np.select([seen & settled, lapsed], ["1", "0"], "").astype(object)
    frame["renewed_by"] = successor.where(seen)
    frame["renewed_arr"] = successor.where(seen).map(by_id["arr"])
    if accounts is not None and "account_id" in accounts.columns:
        extra = accounts.drop(columns=[c for c in ACCOUNT_SKIP if c in accounts.columns])
        extra = extra.drop_duplicates("account_id")
        clash = [c for c in extra.columns if c in frame.columns and c != "account_id"]
        extra = extra.rename(columns={c: f"account_{c}" for c in clash})
        frame = frame.merge(extra, on="account_id", how="left")
    return frame


def _account_at_start(subs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The account's ARR and number of active subscriptions on each subscription's first day
    (itself included): a self-join within each account."""
    left = subs[["account_id", "start_date"]].reset_index().rename(columns={"index": "row"})
    right = subs[["account_id", "start_date", "end_date", "arr"]].rename(
        columns={"start_date": "other_start", "end_date": "other_end"})
    pairs = left.merge(right, on="account_id")
    active = (pairs["other_start"] <= pairs["start_date"]) & (
        pairs["other_end"].isna() | (pairs["other_end"] >= pairs["start_date"]))
    pairs = pairs[active.to_numpy()]
    arr = np.bincount(pairs["row"], weights=pairs["arr"], minlength=len(subs))
    count = np.bincount(pairs["row"], minlength=len(subs))
    return arr, count


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The decided renewals, and the columns a renewal model may read (not the outcome's own
    columns: status, renewed_by, renewed_arr, nor the account id or the end date)."""
    decided = frame[frame[LABEL] != ""]
    return decided.drop(columns=["status", "renewed_by", "renewed_arr", "account_id", "end_date"])


def model_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` as a renewal model scores them (training columns without the label)."""
    return frame.drop(columns=["status", "renewed_by", "renewed_arr", "account_id", "end_date"], errors="ignore")


def due_in(frame: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    """Subscriptions whose renewal date falls in ``period`` (decided early, or still open)."""
    when = frame[TIME]
    mask = (when >= period.start_time.normalize()) & (when <= period.end_time.normalize())
    return frame[mask.to_numpy()].reset_index(drop=True)


def segment_renewal_rates(frame: pd.DataFrame) -> pd.Series:
    """Past renewal rate per segment (decided renewals; ``ALL`` for segments with none)."""
    decided = frame[frame[LABEL] != ""]
    if decided.empty:
        raise RevenueInputError("subscriptions: no renewal has been decided yet (every subscription "
                                "is open-ended or its renewal date is still to come); P(renew) cannot "
                                "be estimated. Expected subscriptions that ended before the plan date.")
    y = (decided[LABEL] == "1").astype(float)
    rates = y.groupby(decided["segment"]).mean()
    rates.loc[OVERALL] = y.mean()
    return rates


def segment_rate_uncertainty(frame: pd.DataFrame) -> pd.Series:
    """Per segment, the standard error of the logit of its past renewal rate (1 / sqrt(n p (1-p))
    over its decided renewals): how far the level of P(renew) learnt from them may be off."""
    decided = frame[frame[LABEL] != ""]
    y = (decided[LABEL] == "1").astype(float)
    stats = y.groupby(decided["segment"]).agg(["sum", "count"])
    p = (stats["sum"] + 0.5) / (stats["count"] + 1.0)  # never 0 or 1: a segment without churn yet
    return 1.0 / np.sqrt(stats["count"] * p * (1 - p))


def segment_offsets(training: pd.DataFrame, probability: np.ndarray) -> pd.Series:
    """Per segment, the shift on the logit scale that makes the model's mean P(renew) over the
    segment's decided renewals equal their renewal rate (calibration in the large per segment:
    a regularised model pulls small segments towards the mean; the simulation then spreads the
    level by :func:`segment_rate_uncertainty`). ``probability``: the model's P(renew) of each row
    of ``training`` (:attr:`RenewalPlan.training`)."""
    p = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    y = (training[LABEL] == "1").to_numpy(float)
    segments = training["segment"].to_numpy()
    out = {}
    for segment in sorted(set(segments)):
        mask = segments == segment
        target = y[mask].mean()
        if target in (0.0, 1.0) or np.isnan(logit[mask]).any():
            out[segment] = 0.0
            continue
        shift = 0.0
        for _ in range(50):  # Newton on the mean probability (monotone in the shift)
            q = 1 / (1 + np.exp(-(logit[mask] + shift)))
            gap = q.mean() - target
            if abs(gap) < 1e-10:
                break
            shift -= gap / max((q * (1 - q)).mean(), 1e-9)
        out[segment] = float(shift)
    return pd.Series(out, dtype=float)


def shift_probability(probability: np.ndarray, segments: pd.Series | np.ndarray, offsets: pd.Series) -> np.ndarray:
    """``probability`` moved by each row's segment offset on the logit scale (0 and 1 stay)."""
    p = np.asarray(probability, dtype=float)
    shift = pd.Series(segments).map(offsets).fillna(0.0).to_numpy(float)
    inner = (p > 0) & (p < 1)
    q = np.clip(p, 1e-9, 1 - 1e-9)
    moved = 1 / (1 + np.exp(-(np.log(q / (1 - q)) + shift)))
    return np.where(inner, moved, p)


def simulate_renewals(due: pd.DataFrame, probability: np.ndarray | pd.Series, *, period: pd.Period | str,
                      config: RevenueConfig | None = None, arr_now: pd.Series | None = None,
                      source: str = "model", rate_uncertainty: pd.Series | None = None) -> pd.DataFrame:
    """Renewed ARR per segment (and ``ALL``) of the subscriptions ``due`` in ``period``:
    ``n_simulations`` draws, each subscription renewing independently with its probability;
    p10/p50/p90 of the draws, and the ending ARR of today's book (``arr_now`` per segment, less
    what is due, plus what renews) before new business and expansion.

    ``rate_uncertainty``: per segment, a standard deviation on the logit scale; each draw first
    moves the segment's probabilities together by a normal shift of that size (the level of
    P(renew) is estimated, not known), so the range holds that uncertainty too. Decided renewals
    (probability 0 or 1) stay as they are."""
    config = config or RevenueConfig()
    p = np.asarray(probability, dtype=float)
    if len(p) != len(due):
        raise RevenueInputError(f"simulate_renewals: {len(p)} probabilities for {len(due)} due subscriptions; "
                                "expected one per row.")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise RevenueInputError("simulate_renewals: probabilities must lie in [0, 1] with none missing; "
                                f"got {int(np.isnan(p).sum())} missing and "
                                f"{int(((p < 0) | (p > 1)).sum())} outside.")
    rng = np.random.default_rng(config.seed)
    arr = due["arr"].to_numpy(float)
    segments = sorted(set(due["segment"]) | set(arr_now.index if arr_now is not None else []) - {OVERALL})
    totals = {}
    chunk = max(1, 2_000_000 // max(len(due), 1))
    draws = np.zeros((config.n_simulations, len(segments)))
    codes = pd.Index(segments).get_indexer(due["segment"])
    sigma = np.zeros(len(segments))
    if rate_uncertainty is not None:
        sigma = pd.Series(rate_uncertainty).reindex(segments).fillna(0.0).to_numpy(float)
    open_ = (p > 0) & (p < 1)
    logit = np.log(np.clip(p, 1e-9, 1 - 1e-9) / (1 - np.clip(p, 1e-9, 1 - 1e-9)))
    for start in range(0, config.n_simulations, chunk):
        n = min(chunk, config.n_simulations - start)
        if sigma.any():
            shift = rng.normal(0.0, 1.0, (n, len(segments))) * sigma
            p_draw = np.where(open_, 1 / (1 + np.exp(-(logit + shift[:, codes]))), p)
        else:
            p_draw = p
        renewed = rng.random((n, len(due))) < p_draw
        for k in range(len(segments)):
            cols = codes == k
            draws[start:start + n, k] = renewed[:, cols] @ arr[cols]
    for k, segment in enumerate(segments):
        totals[segment] = (draws[:, k], codes == k)
    totals[OVERALL] = (draws.sum(axis=1), np.ones(len(due), dtype=bool))
    rows = []
    for segment, (values, mask) in totals.items():
        now = (float(arr_now.get(segment, 0.0)) if arr_now is not None else np.nan)
        due_arr = float(arr[mask].sum())
        q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9])
        rows.append({"segment": segment, "period": str(period), "subscriptions_due": int(mask.sum()),
                     "due_arr": due_arr, "expected_renewed_arr": float(arr[mask] @ p[mask]),
                     "renewed_arr_p10": float(q10), "renewed_arr_p50": float(q50),
                     "renewed_arr_p90": float(q90), "arr_now": now, "not_due_arr": now - due_arr,
                     "ending_arr_p10": now - due_arr + q10, "ending_arr_p50": now - due_arr + q50,
                     "ending_arr_p90": now - due_arr + q90, "probability_source": source})
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


@dataclass
class RenewalPlan:
    """What the hub needs to train a renewal model and score the renewals due: ``frame`` (every
    subscription with an end), ``training`` (decided ones, model columns), ``due`` (renewal date
    in the plan period), ``arr_now`` (ARR per segment at the plan date)."""

    frame: pd.DataFrame
    training: pd.DataFrame
    due: pd.DataFrame
    arr_now: pd.Series
    period: pd.Period
    notes: list[str] = field(default_factory=list)

    def trainable(self, min_renewals: int) -> bool:
        y = self.training[LABEL]
        return len(y) >= min_renewals and y.nunique() == 2


def plan_renewals(subscriptions: pd.DataFrame, as_of: str | pd.Timestamp, period: pd.Period | str, *,
                  accounts: pd.DataFrame | None = None, config: RevenueConfig | None = None) -> RenewalPlan:
    """The renewal frame, its decided rows and the renewals due in ``period`` (a quarter or month)."""
    config = config or RevenueConfig()
    as_of = pd.Timestamp(as_of).normalize()
    period = pd.Period(period) if isinstance(period, str) else period
    frame = renewal_frame(subscriptions, as_of, accounts=accounts, grace_days=config.renewal_grace_days)
    subs = prepare_subscriptions(subscriptions)
    now = account_arr(subs, [as_of]).iloc[:, 0]
    from forecasting.revenue.arr import account_segments

    by_segment = now.groupby(account_segments(subs).reindex(now.index)).sum()
    by_segment.loc[OVERALL] = float(now.sum())
    due = due_in(frame, period)
    notes = []
    if due.empty:
        notes.append(f"no subscription is due for renewal in {period}")
    return RenewalPlan(frame, training_rows(frame), due, by_segment, period, notes)


def renewal_table(due: pd.DataFrame, probability: np.ndarray, reasons: pd.DataFrame | None = None,
                  source: str = "model") -> pd.DataFrame:
    """renewals.csv: every subscription due, with P(renew), expected renewed ARR and reasons."""
    out = due[[c for c in (ID, "account_id", "segment", "product", "arr", "start_date", "end_date",
                           TIME, "status", "renewals_so_far") if c in due.columns]].copy()
    for column in ("start_date", "end_date", TIME):
        out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    out["p_renew"] = np.asarray(probability, dtype=float)
    out["expected_renewed_arr"] = out["arr"] * out["p_renew"]
    out["arr_at_risk"] = out["arr"] - out["expected_renewed_arr"]
    out["probability_source"] = np.where(out["status"] == "open", source, "decided")
    if reasons is not None:
        for column in reasons.columns:
            out[column] = reasons[column].to_numpy()
    return out.sort_values(["arr_at_risk", ID], ascending=[False, True], kind="stable").reset_index(drop=True)
