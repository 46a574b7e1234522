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


def truth_draws(folder, plan, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Draws (n_draws x reps) of each rep's bookings in the quarter under the generator's truth,
    given the export: every open deal won in the quarter with its true chance
    (``p_won_next_quarter`` in truth/opportunities_truth.csv, Bayes under the generator's own
    process) plus the true new-business process."""
    opps = pd.read_csv(folder / "opportunities.csv")
    truth = pd.read_csv(folder / "truth" / "opportunities_truth.csv")
    deals = opps.merge(truth, on="opportunity_id")
    deals = deals[deals["is_open"] & (deals["p_won_next_quarter"] > 0)]
    reps = plan.rep_summary
    column = {rep: i for i, rep in enumerate(reps["rep_id"])}
    owner = deals["account_id"].map(plan.assignments.set_index("account_id")["rep_id"]).map(column)
    rng = np.random.default_rng([seed, 19, 2])
    won = rng.random((n_draws, len(deals))) < deals["p_won_next_quarter"].to_numpy()
    open_won = np.zeros((n_draws, len(reps)))
    amount = deals["amount"].to_numpy(float)
    for j in range(len(reps)):
        mine = (owner == j).to_numpy()
        open_won[:, j] = won[:, mine] @ amount[mine]
    return open_won + true_new_business(folder, plan, n_draws, seed)


def truth_share(folder, plan, n_draws: int = 1000, seed: int = 0) -> float:
    """The share of reps at or above quota the generator's truth expects: its mean over the
    truth's draws, so not one quarter's luck (a single realised quarter moves about 0.1 around
    it with 40 reps)."""
    bookings = truth_draws(folder, plan, n_draws, seed)
    return float((bookings >= plan.rep_summary["quota"].to_numpy()).mean())


def realised_share(folder, plan) -> float:
    """The share at quota in the one quarter the generator realised: each open deal's real fate
    plus the true new-business process (for the benchmark's comparison)."""
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


def test_the_truths_open_deal_chances_are_calibrated(sample_data_dir):
    """The truth the share is held to: each open deal's p_won_next_quarter agrees with the fates
    the generator drew (their sum within three standard deviations of the count won)."""
    truth = pd.read_csv(sample_data_dir / "truth" / "opportunities_truth.csv", parse_dates=["true_close_date"])
    open_deals = truth[truth["is_open"]]
    assert open_deals["p_won_next_quarter"].between(0, 1).all()
    assert (open_deals["p_won_next_quarter"] <= open_deals["p_win"] + 1e-9).all()
    assert truth.loc[~truth["is_open"], "p_win"].isna().all()
    p = open_deals["p_won_next_quarter"].to_numpy()
    won = ((open_deals["will_win"] == 1) & (open_deals["true_close_date"].dt.to_period("Q") == PERIOD)).sum()
    assert abs(p.sum() - won) <= 3 * np.sqrt((p * (1 - p)).sum()), (p.sum(), won)


@pytest.mark.slow
def test_share_attaining_within_10_points_of_the_truth_in_most_seeds(tmp_path):
    """Eight small samples (40 reps, 400 accounts): the predicted share at quota within 10
    points of the share the generator's truth expects in at least 6 of 8 seeds (measured: 8),
    inside the model's 80 % interval as often, and no bias over the seeds."""
    from revops.sample_data import generate

    errors, inside = [], []
    for seed in range(1, 9):
        folder = tmp_path / str(seed)
        generate(folder, seed=seed, n_leads=100, n_accounts=400, n_reps=40)
        plan, _, result = outlook(folder, seed=seed, n_simulations=300)
        truth = truth_share(folder, plan, seed=seed)
        errors.append(result.share_attaining - truth)
        inside.append(result.share_p10 <= truth <= result.share_p90)
    errors = np.array(errors)
    assert (np.abs(errors) <= 0.10).sum() >= 6, errors.round(3)
    assert sum(inside) >= 6, (inside, errors.round(3))
    assert abs(errors.mean()) <= 0.05, errors.round(3)


def test_band_warnings():
    reps = pd.DataFrame({"rep_id": ["a", "b", "c", "d"], "quota": [1.0, 1.0, 1.0, np.nan]})
    low = rep_attainment(np.full((10, 4), 0.5), reps)
    assert low.share_attaining == 0 and "below the healthy 50%-75%" in low.warning
    assert np.isnan(low.reps.loc[3, "p_attain"]) and low.reps_with_quota == 3
    high = rep_attainment(np.full((10, 4), 2.0), reps, healthy_band=(0.2, 0.6))
    assert high.share_attaining == 1 and "above the healthy" in high.warning
    ok = rep_attainment(np.tile([2.0, 2.0, 0.0, 0.0], (10, 1)), reps)
    assert ok.warning is None and ok.share_attaining == pytest.approx(2 / 3)
