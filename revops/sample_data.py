"""A realistic, seeded B2B CRM with known ground truth.

Segments x regions x product lines; three years of leads and opportunities with growth, yearly
seasonality and stage progression; leads whose SQL probability is a known function of their
features; accounts with potential, workload and a (deliberately unbalanced) current owner; reps
with capacity and ramp; targets for the next quarter. The truth (each lead's probability, each
open deal's fate and its true win probability given the export, the expected bookings per
month) goes to ``truth/`` so tests can measure how close a model gets to it. Everything is
vectorised: a million leads take seconds.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from revops.errors import ConfigError

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
REGIONS = ("AMER", "EMEA", "APAC")
PRODUCT_LINES = ("Core", "Analytics", "Platform")
REGION_SHARE = np.array([0.5, 0.3, 0.2])
REGION_CENTRE = {"AMER": (39.8, -98.6), "EMEA": (50.1, 8.7), "APAC": (1.35, 103.8)}
INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Manufacturing", "Retail",
              "Education", "Media", "Logistics", "Energy", "Public Sector")
LEAD_SOURCES = ("Web Form", "Paid Search", "Webinar", "Event", "Partner Referral",
                "Outbound", "Content Download", "Free Trial")
SENIORITY = ("C-Level", "VP", "Director", "Manager", "Individual Contributor")
OPEN_STAGES = ("Prospecting", "Discovery", "Proposal", "Negotiation")


@dataclass(frozen=True)
class SegmentProfile:
    lead_share: float
    monthly_bookings: float  # expected won bookings in the first month of history
    deal_size: float  # mean won deal
    win_rate: float
    cycle_days: float  # mean created -> close
    employees_median: float


PROFILES = {
    "SMB": SegmentProfile(0.55, 420_000, 14_000, 0.30, 35, 60),
    "Mid-Market": SegmentProfile(0.30, 700_000, 48_000, 0.25, 70, 600),
    "Enterprise": SegmentProfile(0.15, 1_150_000, 190_000, 0.20, 130, 6_000),
}
ANNUAL_GROWTH = 0.22
# Q4 push, summer dip, slow January: what most B2B booking curves look like.
SEASONALITY = np.array([0.78, 0.88, 1.08, 0.93, 0.97, 1.07, 0.82, 0.80, 1.05, 1.00, 1.07, 1.55])
SEASONALITY = SEASONALITY / SEASONALITY.mean()

# True lead model: logit = intercept + sum of effects (known, so tests can compare).
SOURCE_EFFECT = dict(zip(LEAD_SOURCES, (0.1, -0.35, 0.15, 0.25, 0.9, -0.6, -0.45, 0.55)))
INDUSTRY_EFFECT = dict(zip(INDUSTRIES, (0.35, 0.2, 0.1, 0.0, -0.15, -0.3, -0.1, 0.05, 0.1, -0.4)))
SENIORITY_EFFECT = dict(zip(SENIORITY, (0.5, 0.45, 0.3, 0.0, -0.45)))
SEGMENT_EFFECT = {"SMB": 0.0, "Mid-Market": -0.1, "Enterprise": -0.25}
LEAD_INTERCEPT = -2.15


def _months(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="MS")


def expected_bookings(months: pd.DatetimeIndex, segment: str, start: pd.Timestamp) -> np.ndarray:
    """The true demand process: level x compound growth x month-of-year seasonality."""
    years = (months.year - start.year) + (months.month - start.month) / 12.0
    profile = PROFILES[segment]
    years = np.asarray(years, dtype=float)
    return profile.monthly_bookings * (1 + ANNUAL_GROWTH) ** years * SEASONALITY[np.asarray(months.month) - 1]


def true_lead_logit(frame: pd.DataFrame) -> np.ndarray:
    """The logit of P(SQL) for generated leads (missing values have their own known effect)."""
    z = np.full(len(frame), LEAD_INTERCEPT)
    z += frame["lead_source"].map(SOURCE_EFFECT).to_numpy(float)
    z += frame["industry"].map(INDUSTRY_EFFECT).to_numpy(float)
    z += frame["_seniority"].map(SENIORITY_EFFECT).fillna(-0.2).to_numpy(float)
    z += frame["segment"].map(SEGMENT_EFFECT).to_numpy(float)
    z += 0.55 * np.log1p(frame["web_visits"].to_numpy(float)) - 0.55
    z += 0.12 * np.minimum(frame["email_opens"].to_numpy(float), 8) - 0.3
    # Speed to lead: answering within minutes matters, after a day it hardly does.
    z += -0.32 * (np.log1p(frame["minutes_to_first_response"].to_numpy(float)) - 3.5)
    # A five-call, two-mail cadence in the first week; returns diminish after that.
    z += 0.35 * np.minimum(frame["calls_first_week"].to_numpy(float), 5) - 0.7
    z += 0.25 * np.minimum(frame["emails_first_week"].to_numpy(float), 2) - 0.25
    z += np.where(frame["demo_requested"].to_numpy() == "Yes", 1.0, 0.0)
    employees = frame["_employees"].to_numpy(float)
    z += np.where(np.isnan(employees), -0.1, 0.15 * (np.log10(np.nan_to_num(employees, nan=1) + 1) - 2))
    return z


def _leads(rng: np.random.Generator, n: int, start: pd.Timestamp, as_of: pd.Timestamp,
           accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    months = _months(start, as_of)
    weights = (1 + ANNUAL_GROWTH) ** (np.arange(len(months)) / 12) * SEASONALITY[months.month - 1]
    month_idx = rng.choice(len(months), size=n, p=weights / weights.sum())
    days = months[month_idx].days_in_month.to_numpy()
    offset = rng.random(n) * days * 86_400
    created = months[month_idx].to_numpy() + (offset * 1e9).astype("timedelta64[ns]")
    created = np.minimum(created, np.datetime64(as_of + pd.Timedelta(hours=23)))
    segment = rng.choice(SEGMENTS, size=n, p=[PROFILES[s].lead_share for s in SEGMENTS])
    region = rng.choice(REGIONS, size=n, p=REGION_SHARE)
    frame = pd.DataFrame({"segment": segment, "region": region})
    frame["lead_source"] = rng.choice(LEAD_SOURCES, size=n, p=[.22, .16, .1, .08, .07, .15, .12, .1])
    frame["industry"] = rng.choice(INDUSTRIES, size=n)
    countries = [f"C{i:02d}" for i in range(45)]
    country_weights = 1 / np.arange(1, 46) ** 1.1
    frame["country"] = rng.choice(countries, size=n, p=country_weights / country_weights.sum())
    median = frame["segment"].map({s: PROFILES[s].employees_median for s in SEGMENTS}).to_numpy()
    employees = np.round(median * rng.lognormal(0, 0.6, n))
    employees[rng.random(n) < 0.08] = np.nan
    frame["_employees"] = employees
    seniority = rng.choice(SENIORITY, size=n, p=[.06, .12, .24, .3, .28]).astype(object)
    seniority[rng.random(n) < 0.1] = None
    frame["_seniority"] = seniority
    frame["web_visits"] = rng.poisson(rng.gamma(1.5, 2.5, n))
    frame["email_opens"] = rng.poisson(2.5, n)
    frame["minutes_to_first_response"] = np.round(rng.lognormal(3.6, 1.5, n), 1)
    frame["calls_first_week"] = rng.binomial(7, 0.45, n)
    frame["emails_first_week"] = rng.binomial(3, 0.55, n)
    frame["demo_requested"] = np.where(rng.random(n) < 0.12, "Yes", "No")
    probability = 1 / (1 + np.exp(-true_lead_logit(frame)))
    converted = rng.random(n) < probability
    order = np.argsort(created, kind="stable")
    lead_ids = np.array([f"L{i:07d}" for i in range(1, n + 1)])
    frame = frame.iloc[order].reset_index(drop=True)
    created, probability, converted = created[order], probability[order], converted[order]
    # A lead younger than two weeks has not been worked yet: its label is still open.
    is_open = created > np.datetime64(as_of - pd.Timedelta(days=14))
    label = np.where(converted, "1", "0").astype(object)
    label[is_open] = ""
    pool = accounts.groupby("segment")["account_id"].apply(np.array).to_dict()
    account = np.full(n, "", dtype=object)
    linked = rng.random(n) < 0.35
    for seg, ids in pool.items():
        mask = linked & (frame["segment"].to_numpy() == seg)
        account[mask] = rng.choice(ids, size=int(mask.sum()))
    placeholders = np.array(["N/A", "", "-", "unknown"], dtype=object)
    seniority_out = frame["_seniority"].to_numpy(object).copy()
    missing = pd.isna(seniority_out)
    seniority_out[missing] = rng.choice(placeholders, size=int(missing.sum()))
    words = np.array(["pricing", "demo", "call me", "integration", "budget", "Q3", "trial",
                      "security review", "renewal", "competitor", "please", "thanks"])
    comment = np.array([" ".join(rng.choice(words, size=k)) for k in rng.integers(2, 7, size=min(n, 5000))])
    leads = pd.DataFrame({
        "lead_id": lead_ids,
        "created_at": pd.to_datetime(created).strftime("%Y-%m-%d %H:%M:%S"),
        "segment": frame["segment"], "region": frame["region"], "account_id": account,
        "lead_source": frame["lead_source"], "industry": frame["industry"], "country": frame["country"],
        "employees": frame["_employees"].astype("Int64"), "seniority": seniority_out,
        "web_visits": frame["web_visits"], "email_opens": frame["email_opens"],
        "minutes_to_first_response": frame["minutes_to_first_response"],
        "calls_first_week": frame["calls_first_week"], "emails_first_week": frame["emails_first_week"],
        "demo_requested": frame["demo_requested"],
        "form_comment": comment[rng.integers(0, len(comment), size=n)],
        "is_sql": label,
    })
    truth = pd.DataFrame({"lead_id": lead_ids, "true_probability": np.round(probability, 8),
                          "is_open": is_open})
    return leads, truth


def _reps(rng: np.random.Generator, n: int, account_share: pd.Series) -> pd.DataFrame:
    pools = account_share.index.tolist()
    counts = np.maximum(1, np.floor(account_share.to_numpy() / account_share.sum() * n)).astype(int)
    while counts.sum() < n:
        counts[np.argmax(account_share.to_numpy() / counts)] += 1
    rows = []
    for (segment, region), count in zip(pools, counts):
        for _ in range(count):
            rows.append((segment, region))
    reps = pd.DataFrame(rows, columns=["segment", "region"])
    n = len(reps)
    reps.insert(0, "rep_id", [f"R{i:03d}" for i in range(1, n + 1)])
    reps["rep_name"] = [f"Rep {i}" for i in range(1, n + 1)]
    reps["capacity"] = np.where(rng.random(n) < 0.1, 0.5, 1.0)
    reps["ramp"] = np.where(rng.random(n) < 0.15, np.round(rng.uniform(0.3, 0.8, n), 2), 1.0)
    lat = reps["region"].map(lambda r: REGION_CENTRE[r][0]).to_numpy() + rng.normal(0, 4, n)
    lon = reps["region"].map(lambda r: REGION_CENTRE[r][1]).to_numpy() + rng.normal(0, 8, n)
    reps["lat"], reps["lon"] = np.round(lat, 4), np.round(lon, 4)
    # One first-line manager per pool.
    reps["manager_id"] = [f"M{SEGMENTS.index(s) + 1}{REGIONS.index(r)}"
                          for s, r in zip(reps["segment"], reps["region"])]
    # A few enterprise overlay reps may take accounts of any region of their segment.
    enterprise = np.flatnonzero(reps["segment"].to_numpy() == "Enterprise")
    if len(enterprise) > 3:
        reps.loc[enterprise[-1], "region"] = ""
    return reps


def _accounts(rng: np.random.Generator, n: int, next_year: dict[str, float]) -> pd.DataFrame:
    segment = rng.choice(SEGMENTS, size=n, p=[0.6, 0.28, 0.12])
    region = rng.choice(REGIONS, size=n, p=REGION_SHARE)
    weight = rng.lognormal(0, 0.9, n)
    potential = np.zeros(n)
    for seg in SEGMENTS:
        mask = segment == seg
        if mask.any():
            potential[mask] = weight[mask] / weight[mask].sum() * next_year[seg] * 1.5
    workload = np.round(np.sqrt(potential) / np.sqrt(potential).mean() * rng.uniform(0.7, 1.3, n), 3)
    lat = np.array([REGION_CENTRE[r][0] for r in region]) + rng.normal(0, 5, n)
    lon = np.array([REGION_CENTRE[r][1] for r in region]) + rng.normal(0, 10, n)
    return pd.DataFrame({
        "account_id": [f"A{i:05d}" for i in range(1, n + 1)],
        "account_name": [f"Account {i}" for i in range(1, n + 1)],
        "segment": segment, "region": region,
        "industry": rng.choice(INDUSTRIES, size=n),
        "potential": np.round(potential, 2), "workload": workload,
        "lat": np.round(lat, 4), "lon": np.round(lon, 4),
        "locked": np.where(rng.random(n) < 0.03, "true", "false"),
    })


def _assign_owners(rng: np.random.Generator, accounts: pd.DataFrame, reps: pd.DataFrame) -> np.ndarray:
    """Today's owners: skewed (some reps hold far more than their share), a few gone or empty."""
    owner = np.full(len(accounts), "", dtype=object)
    for (segment, region), idx in accounts.groupby(["segment", "region"]).indices.items():
        pool = reps[(reps["segment"] == segment) & (reps["region"].isin([region, ""]))]
        if pool.empty:
            continue
        skew = rng.dirichlet(np.full(len(pool), 1.5))
        owner[idx] = rng.choice(pool["rep_id"].to_numpy(), size=len(idx), p=skew)
    left = rng.random(len(owner)) < 0.03  # reps who left: their ids linger in the CRM
    owner[left] = [f"R9{i:02d}" for i in rng.integers(0, 20, size=int(left.sum()))]
    owner[rng.random(len(owner)) < 0.04] = ""
    return owner


def _opportunities(rng: np.random.Generator, start: pd.Timestamp, as_of: pd.Timestamp,
                   accounts: pd.DataFrame, reps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deals generated from the demand process on their close month, then walked back in time."""
    close_months = _months(start, as_of + pd.DateOffset(months=8))
    frames = []
    rep_ids = set(reps["rep_id"])
    loss_rates: dict[str, float] = {}  # lost deals per close month (the truth's posterior needs it)
    for seg in SEGMENTS:
        profile = PROFILES[seg]
        expected = expected_bookings(close_months, seg, start)
        wins = rng.poisson(expected / profile.deal_size)
        losses = rng.poisson(wins.mean() * (1 - profile.win_rate) / profile.win_rate,
                             size=len(close_months))
        loss_rates[seg] = float(wins.mean() * (1 - profile.win_rate) / profile.win_rate)
        for is_won, counts in ((1, wins), (0, losses)):
            total = int(counts.sum())
            month = np.repeat(close_months.to_numpy(), counts)
            day = (rng.random(total) * 27 * 86_400 * 1e9).astype("timedelta64[ns]")
            close = month + day
            cycle = rng.gamma(2.0, profile.cycle_days / 2.0, total)
            if not is_won:
                cycle = cycle * 0.8  # lost deals die a little faster
            created = close - (cycle * 86_400 * 1e9).astype("timedelta64[ns]")
            amount = profile.deal_size * rng.lognormal(-0.18, 0.6, total)
            frames.append(pd.DataFrame({"segment": seg, "created": created, "close": close,
                                        "won": is_won, "amount": np.round(amount, -1),
                                        "cycle": cycle}))
    opps = pd.concat(frames, ignore_index=True)
    cutoff = np.datetime64(as_of + pd.Timedelta(hours=23, minutes=59))
    opps = opps[opps["created"] >= np.datetime64(start)]
    opps = opps[opps["created"] <= cutoff].sort_values(["created", "segment"], kind="stable")
    opps = opps.reset_index(drop=True)
    n = len(opps)
    account = np.empty(n, dtype=object)
    region = np.empty(n, dtype=object)
    for seg in SEGMENTS:
        mask = (opps["segment"] == seg).to_numpy()
        pool = accounts[accounts["segment"] == seg]
        pick = rng.choice(len(pool), size=int(mask.sum()), p=pool["potential"] / pool["potential"].sum())
        account[mask] = pool["account_id"].to_numpy()[pick]
        region[mask] = pool["region"].to_numpy()[pick]
    owners = accounts.set_index("account_id")["owner_rep_id"]
    owner = owners.reindex(account).to_numpy(object)
    owner = np.where(pd.Series(owner).isin(rep_ids | {f"R9{i:02d}" for i in range(20)}), owner, "")
    closed = opps["close"].to_numpy() <= cutoff
    elapsed = (cutoff - opps["created"].to_numpy()) / np.timedelta64(1, "D")
    progress = np.clip(elapsed / np.maximum(opps["cycle"].to_numpy(), 1), 0, 0.999)
    stage = np.where(opps["won"].to_numpy() == 1, "Closed Won", "Closed Lost").astype(object)
    open_stage = np.array(OPEN_STAGES, dtype=object)[(progress * len(OPEN_STAGES)).astype(int)]
    stage[~closed] = open_stage[~closed]
    # Reps forecast close dates with error; for open deals only the expectation is known.
    expected_close = opps["close"].to_numpy() + (
        rng.normal(0, 12, n) * 86_400 * 1e9).astype("timedelta64[ns]")
    expected_close = np.maximum(expected_close, cutoff + np.timedelta64(1, "D"))
    close_date = np.where(closed, opps["close"].to_numpy(), expected_close)
    is_won = np.where(closed, opps["won"].astype(str).to_numpy(), "")
    ids = np.array([f"O{i:06d}" for i in range(1, n + 1)])
    out = pd.DataFrame({
        "opportunity_id": ids, "account_id": account, "segment": opps["segment"], "region": region,
        "product_line": rng.choice(PRODUCT_LINES, size=n, p=[0.5, 0.3, 0.2]),
        "created_at": pd.to_datetime(opps["created"]).dt.strftime("%Y-%m-%d"),
        "stage": stage, "amount": opps["amount"].to_numpy(),
        "close_date": pd.to_datetime(close_date).strftime("%Y-%m-%d"),
        "is_won": is_won, "owner_rep_id": owner,
        "closed_at": np.where(closed, pd.to_datetime(opps["close"]).dt.strftime("%Y-%m-%d"), ""),
    })
    truth = pd.DataFrame({"opportunity_id": ids, "will_win": opps["won"].to_numpy(),
                          "true_close_date": pd.to_datetime(opps["close"]).dt.strftime("%Y-%m-%d"),
                          "is_open": ~closed})
    posterior = open_deal_truth(out, loss_rates, start, as_of)
    truth["p_win"] = posterior["p_win"].to_numpy()
    truth["p_won_next_quarter"] = posterior["p_won_next_quarter"].to_numpy()
    return out, truth


CLOSE_ERROR_DAYS = 12.0  # sd of a rep's close-date guess around the true close (days)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (error < 1.5e-7): numpy only, no scipy at import.
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    erf = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496735) * t
                 + 0.254829592) * t * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def open_deal_truth(export: pd.DataFrame, loss_rates: dict[str, float], start: pd.Timestamp,
                    as_of: pd.Timestamp) -> pd.DataFrame:
    """Each open deal's true chance, given what the export shows of it, to be won
    (``p_win``) and to be won closing in the quarter after ``as_of`` (``p_won_next_quarter``);
    NaN for closed deals.

    Bayes under the generator's own process: won deals close per month at the demand's rate
    (expected bookings / deal size), lost ones at ``loss_rates`` (per segment), on a uniform day
    of the first 27; the cycle is gamma(2, cycle_days/2) (lost: 0.8 of it); the export shows the
    created day, the stage (elapsed / cycle) and the rep's close date (true close + N(0, 12 days),
    never before the day after ``as_of``); amount and account say nothing of the outcome. The
    true close is summed over a grid of 27 days per month (the created time taken at noon).
    This is what "the truth" expects of the open pipeline, free of one quarter's luck.
    """
    cutoff = as_of + pd.Timedelta(hours=23, minutes=59)
    quarter = (as_of + pd.Timedelta(days=1)).to_period("Q")
    close_months = _months(start, as_of + pd.DateOffset(months=8))
    close_months = close_months[close_months + pd.Timedelta(days=27) > cutoff]
    offsets = ((np.arange(27) + 0.5) * 86_400e9).astype("timedelta64[ns]")
    grid = (close_months.to_numpy()[:, None] + offsets[None, :]).ravel()
    after = grid > np.datetime64(cutoff)
    grid = grid[after]
    t = ((grid - np.datetime64(cutoff)) / np.timedelta64(1, "D"))[None, :]  # days after the cutoff
    in_quarter = (pd.DatetimeIndex(grid).to_period("Q") == quarter)[None, :]
    clip_day = (pd.Timestamp(cutoff + pd.Timedelta(days=1)).normalize() - cutoff) / pd.Timedelta(days=1)
    stage_index = {stage: i for i, stage in enumerate(OPEN_STAGES)}
    out = pd.DataFrame({"p_win": np.full(len(export), np.nan), "p_won_next_quarter": np.nan})
    is_open = export["is_won"].astype(str).isin(["", "nan"]).to_numpy()
    for seg, profile in PROFILES.items():
        rows = np.flatnonzero(is_open & (export["segment"] == seg).to_numpy())
        if not len(rows) or seg not in loss_rates:
            continue
        won_rate = np.repeat(expected_bookings(close_months, seg, start) / profile.deal_size, 27)[after]
        created = pd.to_datetime(export["created_at"].to_numpy()[rows]) + pd.Timedelta(hours=12)
        c = ((created.to_numpy() - np.datetime64(cutoff)) / np.timedelta64(1, "D"))[:, None]
        stage = export["stage"].iloc[rows].map(stage_index).to_numpy(float)[:, None]
        guess = pd.to_datetime(export["close_date"].to_numpy()[rows])
        d = ((guess.to_numpy() - np.datetime64(cutoff)) / np.timedelta64(1, "D"))[:, None]
        # The guess's day: P(guess in that day), or, on the clipped first day, P(guess <= it).
        close_likelihood = np.where(
            np.isclose(d, clip_day), _normal_cdf((d + 1 - t) / CLOSE_ERROR_DAYS),
            np.exp(-0.5 * ((d + 0.5 - t) / CLOSE_ERROR_DAYS) ** 2) / (CLOSE_ERROR_DAYS * np.sqrt(2 * np.pi)))
        cycle = t - c
        progress = np.clip(-c / np.maximum(cycle, 1.0), 0, 0.999)
        same_stage = (progress * len(OPEN_STAGES)).astype(int) == stage
        weight = {}
        for outcome, scale, rate in (("won", profile.cycle_days / 2.0, won_rate[None, :]),
                                     ("lost", 0.8 * profile.cycle_days / 2.0, loss_rates[seg])):
            density = np.where(cycle > 0, cycle * np.exp(-np.maximum(cycle, 0) / scale) / scale ** 2, 0.0)
            weight[outcome] = rate * density * same_stage * close_likelihood
        total = weight["won"].sum(axis=1) + weight["lost"].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.loc[rows, "p_win"] = np.round(weight["won"].sum(axis=1) / total, 6)
            out.loc[rows, "p_won_next_quarter"] = np.round((weight["won"] * in_quarter).sum(axis=1) / total, 6)
    return out


REJECTION_REASONS = ("no budget", "not a decision maker", "no need now", "bad contact data",
                     "competitor chosen", "too small")


def _activities(seed: int, leads: pd.DataFrame, reps: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The touches behind each lead's first-week features, and sales' verdicts (issue 17).

    The first touch comes ``minutes_to_first_response`` after arrival (a call when the lead got
    calls, else an email, else another channel); the rest of ``calls_first_week`` and
    ``emails_first_week`` fall within the first seven days, so the cadence the SLA checks is the
    one that drives the true SQL probability. A few follow-ups come later, a meeting for each
    SQL, and sales' verdict as an activity (outcome ``accepted`` for SQLs, ``rejected: <reason>``
    for about half the others). Nothing after ``as_of``. A random stream of its own: the other
    tables keep their bytes for a seed.
    """
    rng = np.random.default_rng([seed, 17])
    n = len(leads)
    day = np.timedelta64(86_400_000_000_000, "ns")
    day_ns = day.astype("int64")
    created = pd.to_datetime(leads["created_at"], format="%Y-%m-%d %H:%M:%S").to_numpy()
    first = created + (leads["minutes_to_first_response"].to_numpy(float) * 60e9).astype("timedelta64[ns]")
    calls = leads["calls_first_week"].to_numpy(int)
    emails = leads["emails_first_week"].to_numpy(int)
    first_channel = np.where(calls > 0, "call", np.where(emails > 0, "email", "other")).astype(object)
    week_end = created + 7 * day
    # Later first-week touches fall between the first touch and the end of the week.
    span = np.where(first < week_end, (week_end - first).astype("int64"), 2 * day_ns)
    label = leads["is_sql"].to_numpy(object)
    none = lambda k: np.full(k, None, dtype=object)  # noqa: E731
    parts = [(np.arange(n), first, first_channel, none(n))]
    for channel, rest in (("call", calls - (first_channel == "call")),
                          ("email", emails - (first_channel == "email"))):
        idx = np.repeat(np.arange(n), np.maximum(rest, 0))
        at = first[idx] + (rng.random(len(idx)) * span[idx]).astype("timedelta64[ns]")
        parts.append((idx, at, np.full(len(idx), channel, dtype=object), none(len(idx))))
    idx = np.repeat(np.arange(n), rng.poisson(0.8, n))
    at = created[idx] + 7 * day + (rng.random(len(idx)) * 23 * day_ns).astype("timedelta64[ns]")
    parts.append((idx, at, np.where(rng.random(len(idx)) < 0.6, "call", "email").astype(object), none(len(idx))))
    sql = np.flatnonzero(label == "1")
    at = first[sql] + ((1 + rng.random(len(sql)) * 9) * day_ns).astype("timedelta64[ns]")
    parts.append((sql, at, np.full(len(sql), "meeting", dtype=object), np.full(len(sql), "held", dtype=object)))
    # Sales' verdict, within the two weeks a lead takes to be decided.
    verdict_at = created + ((8 + rng.random(n) * 5.9) * day_ns).astype("timedelta64[ns]")
    parts.append((sql, verdict_at[sql], np.full(len(sql), "other", dtype=object),
                  np.full(len(sql), "accepted", dtype=object)))
    rejected = np.flatnonzero((label == "0") & (rng.random(n) < 0.55))
    seniority = leads["seniority"].to_numpy(object)[rejected]
    source = leads["lead_source"].to_numpy(object)[rejected]
    employees = pd.to_numeric(leads["employees"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[rejected]
    reason = np.array(REJECTION_REASONS, dtype=object)[
        rng.choice(len(REJECTION_REASONS), size=len(rejected), p=[0.3, 0.1, 0.2, 0.15, 0.15, 0.1])]
    likely = rng.random(len(rejected)) < 0.6
    reason = np.where(likely & (seniority == "Individual Contributor"), "not a decision maker", reason)
    reason = np.where(likely & np.isin(source, ["Outbound", "Content Download"]), "no need now", reason)
    reason = np.where(likely & (employees < 30), "too small", reason)
    parts.append((rejected, verdict_at[rejected], np.full(len(rejected), "other", dtype=object),
                  np.array([f"rejected: {r}" for r in reason], dtype=object)))
    frame = pd.DataFrame({"lead": np.concatenate([p[0] for p in parts]),
                          "at": np.concatenate([p[1] for p in parts]),
                          "channel": np.concatenate([p[2] for p in parts]),
                          "outcome": np.concatenate([p[3] for p in parts])})
    frame = frame[frame["at"] < np.datetime64(as_of + pd.Timedelta(days=1))]
    frame = frame.sort_values(["at", "lead"], kind="stable").reset_index(drop=True)
    # Each lead is worked by one rep of its segment.
    owner = np.empty(n, dtype=object)
    segment = leads["segment"].to_numpy(object)
    for seg, ids in reps.groupby("segment")["rep_id"]:
        mask = segment == seg
        owner[mask] = rng.choice(ids.to_numpy(), size=int(mask.sum()))
    lead = frame["lead"].to_numpy()
    return pd.DataFrame({
        "activity_id": [f"T{i:08d}" for i in range(1, len(frame) + 1)],
        "lead_id": leads["lead_id"].to_numpy(object)[lead],
        # datetime_as_string: strftime takes most of the generator's time at a million leads
        "at": np.char.replace(np.datetime_as_string(frame["at"].to_numpy().astype("datetime64[s]")), "T", " "),
        "channel": frame["channel"].to_numpy(), "rep_id": owner[lead],
        "outcome": frame["outcome"].to_numpy(),
    })


def generate(
    out_dir: str | os.PathLike[str],
    seed: int = 0,
    n_leads: int = 50_000,
    n_accounts: int = 2_000,
    n_reps: int = 60,
    as_of: str = "2026-12-31",
    years: int = 3,
) -> dict[str, Path]:
    """Write the sample CRM to ``out_dir`` and return the paths written, by table name."""
    if n_leads < 100 or n_accounts < 30 or n_reps < 9:
        raise ConfigError("sample data needs at least 100 leads, 30 accounts and 9 reps "
                         f"(got {n_leads}, {n_accounts}, {n_reps})")
    rng = np.random.default_rng(seed)
    as_of_ts = pd.Timestamp(as_of)
    start = (as_of_ts - pd.DateOffset(years=years)).to_period("M").to_timestamp() + pd.DateOffset(months=1)
    next_year = _months(as_of_ts + pd.DateOffset(days=1), as_of_ts + pd.DateOffset(years=1))
    next_year_demand = {s: float(expected_bookings(next_year, s, start).sum()) for s in SEGMENTS}
    accounts = _accounts(rng, n_accounts, next_year_demand)
    share = accounts.groupby(["segment", "region"]).size()
    reps = _reps(rng, n_reps, share)
    accounts["owner_rep_id"] = _assign_owners(rng, accounts, reps)
    leads, leads_truth = _leads(rng, n_leads, start, as_of_ts, accounts)
    opportunities, opp_truth = _opportunities(rng, start, as_of_ts, accounts, reps)
    horizon = _months(start, as_of_ts + pd.DateOffset(months=12))
    demand = pd.concat([
        pd.DataFrame({"segment": s, "month": horizon.strftime("%Y-%m-%d"),
                      "expected_bookings": np.round(expected_bookings(horizon, s, start), 2)})
        for s in SEGMENTS
    ])
    next_quarter = (as_of_ts + pd.DateOffset(days=1)).to_period("Q")
    quarter_months = pd.date_range(next_quarter.start_time, periods=3, freq="MS")
    targets = pd.DataFrame({
        "segment": list(SEGMENTS),
        "period": str(next_quarter),
        # A stretch of 10% over the expected demand, rounded as a CFO would.
        "target": [round(expected_bookings(quarter_months, s, start).sum() * 1.10, -4) for s in SEGMENTS],
    })
    revenue_rng = np.random.default_rng([seed, 18])  # its own stream: the tables above keep their bytes
    subscriptions, subscriptions_truth = _subscriptions(revenue_rng, accounts, start, as_of_ts)
    spend, cac_truth = _spend(revenue_rng, subscriptions, start, as_of_ts)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    paths = {
        "leads": out / "leads.csv", "opportunities": out / "opportunities.csv",
        "accounts": out / "accounts.csv", "reps": out / "reps.csv", "targets": out / "targets.csv",
        "leads_truth": out / "truth" / "leads_truth.csv",
        "opportunities_truth": out / "truth" / "opportunities_truth.csv",
        "demand": out / "truth" / "demand.csv",
        "activities": out / "activities.csv",
        "subscriptions": out / "subscriptions.csv", "spend": out / "spend.csv",
        "subscriptions_truth": out / "truth" / "subscriptions_truth.csv",
        "cac_truth": out / "truth" / "cac_truth.csv",
    }
    tables = {"leads": leads, "opportunities": opportunities, "accounts": accounts, "reps": reps,
              "targets": targets, "leads_truth": leads_truth, "opportunities_truth": opp_truth,
              "demand": demand, "subscriptions": subscriptions, "spend": spend,
              "subscriptions_truth": subscriptions_truth, "cac_truth": cac_truth}
    tables["activities"] = _activities(seed, leads, reps, as_of_ts)
    tables["forecast_calls"] = _forecast_calls(seed, opportunities, reps, next_quarter)
    paths["forecast_calls"] = out / "forecast_calls.csv"
    for name, frame in tables.items():
        frame.to_csv(paths[name], index=False, lineterminator="\n")
    return paths


# Recurring revenue (issue 18): subscriptions and spend from a random stream of their own, so
# the tables above stay byte-identical for a seed. The renewal hazard is known: logit P(renew).
RENEW_INTERCEPT = 1.45
RENEW_SEGMENT = {"SMB": -0.45, "Mid-Market": 0.0, "Enterprise": 0.55}
RENEW_REGION = {"AMER": 0.0, "EMEA": 0.15, "APAC": -0.3}
RENEW_INDUSTRY = dict(zip(INDUSTRIES, (0.3, 0.2, 0.1, 0.0, -0.25, -0.4, -0.1, 0.0, 0.1, 0.25)))
RENEW_PRODUCT = {"Core": 0.0, "Analytics": -0.4, "Platform": -0.15}
RENEW_PER_RENEWAL = 0.3  # each renewal so far (up to three) makes the next one likelier
SUBSCRIPTION_ARR = {"SMB": 12_000, "Mid-Market": 45_000, "Enterprise": 170_000}
TRUE_CAC = {"SMB": 9_000, "Mid-Market": 40_000, "Enterprise": 160_000}  # spend per new customer
SPEND_CHANNELS = {"Paid Search": 0.3, "Events": 0.25, "Content": 0.15, "Sales": 0.3}
CUSTOMER_SHARE = 0.7  # accounts that are or were customers
OPEN_ENDED_SHARE = 0.04  # monthly contracts without an end date (they do not churn here)
ADD_ON_RATE = 0.25  # chance per term that an account buys an add-on product, co-terminated


def true_renewal_probability(segment: str, region: str, industry: str, product: str, renewals: int) -> float:
    z = (RENEW_INTERCEPT + RENEW_SEGMENT[segment] + RENEW_REGION[region] + RENEW_INDUSTRY[industry]
         + RENEW_PRODUCT[product] + RENEW_PER_RENEWAL * min(renewals, 3))
    return float(1 / (1 + np.exp(-z)))


def _subscriptions(rng: np.random.Generator, accounts: pd.DataFrame, start: pd.Timestamp,
                   as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subscriptions of the customer accounts (acquired over the three years before ``start``
    and up to ``as_of``), renewed or not each year by the known hazard, with add-ons and price
    changes at renewal; simulated a year past ``as_of`` so the truth knows the coming renewals.
    Returns the export (rows started by ``as_of``) and the truth of every renewal decision."""
    customers = accounts[rng.random(len(accounts)) < CUSTOMER_SHARE].reset_index(drop=True)
    first = start - pd.DateOffset(years=3)
    span = (as_of - first).days
    acquired = first + pd.to_timedelta(rng.integers(0, span + 1, len(customers)), unit="D")
    horizon = as_of + pd.DateOffset(years=1)
    rows: list[dict] = []
    counter = 0

    def new_row(account, segment, product, begin, end, arr, renewals):
        nonlocal counter
        counter += 1
        rows.append({"subscription_id": f"S{counter:06d}", "account_id": account, "segment": segment,
                     "product": product, "start_date": begin, "end_date": end, "arr": float(arr),
                     "renewals": renewals})
        return rows[-1]

    for c, day in zip(customers.itertuples(index=False), acquired):
        arr = round(SUBSCRIPTION_ARR[c.segment] * rng.lognormal(-0.1, 0.5), -1)
        if rng.random() < OPEN_ENDED_SHARE:
            new_row(c.account_id, c.segment, "Core", day, pd.NaT, arr, 0)
            continue
        term_end = day + pd.DateOffset(years=1) - pd.Timedelta(days=1)
        live = [new_row(c.account_id, c.segment, "Core", day, term_end, arr, 0)]
        while live and live[0]["start_date"] <= horizon:
            term_start, term_end = live[0]["start_date"], live[0]["end_date"]
            if rng.random() < ADD_ON_RATE and not any(r["product"] != "Core" for r in live):
                offset = int(rng.integers(30, 300))
                product = "Analytics" if rng.random() < 0.6 else "Platform"
                add_arr = round(live[0]["arr"] * rng.uniform(0.2, 0.5), -1)
                live.append(new_row(c.account_id, c.segment, product, term_start + pd.Timedelta(days=offset),
                                    term_end, add_arr, 0))
            renewed = []
            next_start = term_end + pd.Timedelta(days=1)
            for sub in live:
                p = true_renewal_probability(c.segment, c.region, c.industry, sub["product"], sub["renewals"])
                sub["true_p_renew"] = p
                sub["renews"] = bool(rng.random() < p)
                if sub["renews"]:
                    # Price changes at renewal: mostly a small uplift, sometimes a cut.
                    arr = round(sub["arr"] * rng.lognormal(0.03, 0.1), -1)
                    nxt = new_row(c.account_id, c.segment, sub["product"], next_start,
                                  next_start + pd.DateOffset(years=1) - pd.Timedelta(days=1), arr,
                                  sub["renewals"] + 1)
                    sub["renewed_by"], sub["renewed_arr"] = nxt["subscription_id"], nxt["arr"]
                    renewed.append(nxt)
            # The add-on may renew while the core product lapses: it carries the account on.
            renewed.sort(key=lambda r: r["product"] != "Core")
            live = renewed
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["start_date", "subscription_id"], kind="stable").reset_index(drop=True)
    exported = frame[frame["start_date"] <= as_of]
    out = pd.DataFrame({
        "subscription_id": exported["subscription_id"], "account_id": exported["account_id"],
        "segment": exported["segment"], "product": exported["product"],
        "start_date": exported["start_date"].dt.strftime("%Y-%m-%d"),
        "end_date": exported["end_date"].dt.strftime("%Y-%m-%d").fillna(""),
        "arr": exported["arr"],
    })
    decided = frame[frame["end_date"].notna() & frame["start_date"].le(as_of)]
    truth = pd.DataFrame({
        "subscription_id": decided["subscription_id"], "segment": decided["segment"],
        "arr": decided["arr"],
        "renewal_date": (decided["end_date"] + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"),
        "true_p_renew": decided["true_p_renew"].round(8),
        "renews": decided["renews"].astype(bool),
        "renewed_by": decided["renewed_by"].fillna(""),
        "renewed_arr": decided["renewed_arr"],
    })
    return out.reset_index(drop=True), truth.reset_index(drop=True)


def _spend(rng: np.random.Generator, subscriptions: pd.DataFrame, start: pd.Timestamp,
           as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quarterly marketing and sales spend per segment and channel: the new customers each
    quarter x the segment's true CAC, with noise. Returns spend and the true CAC per segment."""
    first = subscriptions.assign(start=pd.to_datetime(subscriptions["start_date"])) \
        .groupby("account_id").agg(segment=("segment", "first"), start=("start", "min"))
    quarters = pd.period_range(start, as_of, freq="Q")
    rows = []
    for segment in SEGMENTS:
        starts = first.loc[first["segment"] == segment, "start"].dt.to_period("Q")
        for quarter in quarters:
            n_new = int((starts == quarter).sum())
            total = n_new * TRUE_CAC[segment] * rng.lognormal(0, 0.1)
            for channel, share in SPEND_CHANNELS.items():
                rows.append({"period": str(quarter), "segment": segment, "channel": channel,
                             "amount": round(total * share, 2)})
    truth = pd.DataFrame({"segment": list(SEGMENTS), "true_cac": [TRUE_CAC[s] for s in SEGMENTS]})
    return pd.DataFrame(rows), truth


def revenue_sample(seed: int = 0, n_accounts: int = 2_000, as_of: str = "2026-12-31",
                   years: int = 3) -> dict[str, pd.DataFrame]:
    """The accounts, subscriptions, spend and their truth that :func:`generate` writes for the
    same arguments, without the leads and opportunities (fast: for tests and benchmarks that
    need many seeds)."""
    rng = np.random.default_rng(seed)
    as_of_ts = pd.Timestamp(as_of)
    start = (as_of_ts - pd.DateOffset(years=years)).to_period("M").to_timestamp() + pd.DateOffset(months=1)
    next_year = _months(as_of_ts + pd.DateOffset(days=1), as_of_ts + pd.DateOffset(years=1))
    next_year_demand = {s: float(expected_bookings(next_year, s, start).sum()) for s in SEGMENTS}
    accounts = _accounts(rng, n_accounts, next_year_demand)
    revenue_rng = np.random.default_rng([seed, 18])
    subscriptions, truth = _subscriptions(revenue_rng, accounts, start, as_of_ts)
    spend, cac_truth = _spend(revenue_rng, subscriptions, start, as_of_ts)
    return {"accounts": accounts, "subscriptions": subscriptions, "spend": spend,
            "subscriptions_truth": truth, "cac_truth": cac_truth}


# Forecast calls (issue 19): each manager's call of the coming quarter, and some reps', from a
# random stream of their own, so the tables above stay byte-identical for a seed.
LATE_STAGES = ("Proposal", "Negotiation")


def _forecast_calls(seed: int, opportunities: pd.DataFrame, reps: pd.DataFrame,
                    quarter: pd.Period) -> pd.DataFrame:
    """A call per manager (its reps' late-stage deals expected to close in the quarter, times a
    win rate with the manager's optimism or caution) and per third rep (the same on their own
    deals, rounded), with
    a revised call of one manager (category 'commit' beside it) so the roll-up has overrides."""
    rng = np.random.default_rng([seed, 19])
    closes = pd.to_datetime(opportunities["close_date"]).dt.to_period("Q")
    late = opportunities[(opportunities["is_won"] == "") & opportunities["stage"].isin(LATE_STAGES)
                         & (closes == quarter).to_numpy()]
    by_rep = late.groupby("owner_rep_id")["amount"].sum()
    rows = []
    for rep in reps["rep_id"].iloc[::3]:
        rows.append({"owner_id": rep, "period": str(quarter), "category": "",
                     "amount": round(float(by_rep.get(rep, 0.0)) * rng.uniform(0.3, 0.6), -3),
                     "note": ""})
    for manager, team in reps.groupby("manager_id")["rep_id"]:
        base = float(by_rep.reindex(team).fillna(0.0).sum())
        rows.append({"owner_id": manager, "period": str(quarter), "category": "",
                     "amount": round(base * rng.uniform(0.35, 0.65), -3), "note": ""})
    if rows:
        first = next(r for r in rows if r["owner_id"] in set(reps["manager_id"]))
        rows.append({**first, "category": "commit", "amount": round(first["amount"] * 0.8, -3),
                     "note": "commit: the deals already in negotiation"})
    return pd.DataFrame(rows, columns=["owner_id", "period", "category", "amount", "note"])
