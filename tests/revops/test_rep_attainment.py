"""P(attain) per rep: the pipeline forecast's simulation per rep against the generator's truth."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecasting.pipeline import forecast_pipeline
from revops.sample_data import PROFILES, expected_bookings
from revops.steps import PlanState
from revops.steps.territory import rep_draws
from territory.attainment import rep_attainment

AS_OF = pd.Timestamp("2026-12-31")
PERIOD = pd.Period("2027Q1")


def current_plan(folder, seed=0, stretch=1.1):
    """A plan without the solver: every account with its current rep (orphans to a rep of their
    segment), quotas = target x stretch split by territory potential, as the territory plan splits them
    (the sample's targets are a 10% stretch; 0.8 of them puts the share at quota mid-range)."""
    accounts = pd.read_csv(folder / "accounts.csv", dtype={"owner_rep_id": str})
    reps = pd.read_csv(folder / "reps.csv")
    targets = pd.read_csv(folder / "targets.csv")
    rng = np.random.default_rng(seed)
    owner = accounts["owner_rep_id"].fillna("").to_numpy(object)
    known = pd.Series(owner).isin(set(reps["rep_id"])).to_numpy()
    for i in np.flatnonzero(~known):
        pool = reps.loc[reps["segment"] == accounts.at[i, "segment"], "rep_id"].to_numpy()
        owner[i] = rng.choice(pool)
    assignments = pd.DataFrame({"account_id": accounts["account_id"], "rep_id": owner,
                                "segment": accounts["segment"], "potential": accounts["potential"]})
    potential = assignments.groupby("rep_id")["potential"].sum()
    summary = reps[["rep_id", "segment"]].assign(potential=reps["rep_id"].map(potential).fillna(0.0))
    share = summary["potential"] / summary.groupby("segment")["potential"].transform("sum")
    summary["quota"] = summary["segment"].map(targets.set_index("segment")["target"]) * stretch * share
    return SimpleNamespace(assignments=assignments, rep_summary=summary)


def true_new_business(folder, plan, n_draws: int = 400, seed: int = 0) -> np.ndarray:
    """Draws (n_draws x reps) of the generator's own new business in the quarter: won deals per
    month Poisson around the true demand, closing on a uniform day, created after as_of (gamma
    cycle), lognormal amounts, on accounts drawn by potential (as revops.sample_data makes them)."""
    rng = np.random.default_rng([seed, 19, 1])
    reps = plan.rep_summary
    column = {rep: i for i, rep in enumerate(reps["rep_id"])}
    start = pd.Timestamp(pd.read_csv(folder / "truth" / "demand.csv")["month"].min())
    months = pd.date_range(PERIOD.start_time, periods=3, freq="MS")
    out = np.zeros((n_draws, len(reps)))
    accounts = plan.assignments
    for segment, profile in PROFILES.items():
        pool = accounts[accounts["segment"] == segment]
        weight = pool["potential"].to_numpy(float) / pool["potential"].sum()
        owner = np.array([column[r] for r in pool["rep_id"]])
        for month, expected in zip(months, expected_bookings(months, segment, start)):
            counts = rng.poisson(expected / profile.deal_size, n_draws)
            draw = np.repeat(np.arange(n_draws), counts)
            lead = (month - AS_OF).days + rng.random(len(draw)) * 27
            created_after = rng.gamma(2.0, profile.cycle_days / 2.0, len(draw)) < lead
            amount = profile.deal_size * rng.lognormal(-0.18, 0.6, len(draw))
            rep = owner[rng.choice(len(pool), size=len(draw), p=weight)]
            np.add.at(out, (draw[created_after], rep[created_after]), amount[created_after])
    return out


def truth_share(folder, plan) -> float:
    """The expected share of reps at quota under the generator's truth: each open deal's real
    outcome plus the true new-business process."""
    opps = pd.read_csv(folder / "opportunities.csv")
    truth = pd.read_csv(folder / "truth" / "opportunities_truth.csv", parse_dates=["true_close_date"])
    deals = opps.merge(truth, on="opportunity_id")
    won = deals[deals["is_open"] & (deals["will_win"] == 1)
                & (deals["true_close_date"].dt.to_period("Q") == PERIOD)]
    owner = plan.assignments.set_index("account_id")["rep_id"]
    open_won = won.groupby(won["account_id"].map(owner))["amount"].sum()
    reps = plan.rep_summary
    bookings = reps["rep_id"].map(open_won).fillna(0.0).to_numpy() + true_new_business(folder, plan)
    return float((bookings >= reps["quota"].to_numpy()).mean())


def outlook(folder, seed=0, n_simulations=1000, stretch=0.8):
    opps = pd.read_csv(folder / "opportunities.csv")
    pipeline = forecast_pipeline(opps, as_of=AS_OF, n_simulations=n_simulations,
                                 calibration_quarters=0, random_state=seed)
    plan = current_plan(folder, seed, stretch)
    ctx = SimpleNamespace(state=PlanState(pipeline=pipeline), plan_period=PERIOD,
                          config=SimpleNamespace(seed=seed),
                          bundle=SimpleNamespace(has=lambda t: t == "opportunities", get=lambda t: opps))
    draws = rep_draws(ctx, plan)
    return plan, draws, rep_attainment(draws, plan.rep_summary[["rep_id", "quota"]])


def test_p_attain_per_rep_and_the_share_near_the_truth(sample_data_dir):
    plan, draws, result = outlook(sample_data_dir, seed=0)
    assert draws.shape == (1000, len(plan.rep_summary))
    p = result.reps["p_attain"]
    assert p.notna().all() and ((p >= 0) & (p <= 1)).all()
    assert (result.reps["bookings_p10"] <= result.reps["bookings_p90"]).all()
    assert result.share_p10 <= result.share_attaining <= result.share_p90
    assert abs(result.share_attaining - truth_share(sample_data_dir, plan)) <= 0.10


@pytest.mark.slow
def test_share_attaining_over_seeds_unbiased_and_inside_its_interval(tmp_path):
    """Over seeds the truth is one realisation of each open deal's fate: with 40 reps its share at
    quota moves by about 0.1 around its expectation (measured: within 10 points of the prediction
    in 4 of 8 seeds, 3 of 6 with 60 reps), so each seed is held to the model's 80 % interval and
    the seeds together to no bias."""
    from revops.sample_data import generate

    inside, errors = [], []
    for seed in (1, 2, 3, 4):
        folder = tmp_path / str(seed)
        generate(folder, seed=seed, n_leads=500, n_accounts=800, n_reps=40)
        plan, _, result = outlook(folder, seed=seed, n_simulations=500)
        truth = truth_share(folder, plan)
        inside.append(result.share_p10 <= truth <= result.share_p90)
        errors.append(result.share_attaining - truth)
    assert sum(inside) >= 3, (inside, errors)
    assert abs(np.mean(errors)) <= 0.10, errors


def test_band_warnings():
    reps = pd.DataFrame({"rep_id": ["a", "b", "c", "d"], "quota": [1.0, 1.0, 1.0, np.nan]})
    low = rep_attainment(np.full((10, 4), 0.5), reps)
    assert low.share_attaining == 0 and "below the healthy 50%-75%" in low.warning
    assert np.isnan(low.reps.loc[3, "p_attain"]) and low.reps_with_quota == 3
    high = rep_attainment(np.full((10, 4), 2.0), reps, healthy_band=(0.2, 0.6))
    assert high.share_attaining == 1 and "above the healthy" in high.warning
    ok = rep_attainment(np.tile([2.0, 2.0, 0.0, 0.0], (10, 1)), reps)
    assert ok.warning is None and ok.share_attaining == pytest.approx(2 / 3)
