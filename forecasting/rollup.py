"""Forecast roll-up: rep -> manager -> segment -> total, with forecast categories, the model's
interval and each owner's call beside it.

Sales leaders run the quarter on this table. Each row is one node of the hierarchy (``level``
rep / manager / segment / total) with the open pipeline by forecast category (closed, commit,
best_case, pipeline: each category on its own, not cumulative), the model's p10/p50/p90 for the
quarter and, where submitted, the owner's ``call`` and its gap to the model.

The model's numbers come from the pipeline forecast's own simulation
(:func:`forecasting.pipeline.simulate_quarter`), drawn again deal by deal with the same seed and
kept per owner (:func:`simulate_owners`): a segment's draws equal the pipeline forecast's, and a
parent's interval is the quantile of its children's *summed draws*, never a sum of quantiles
(p90s do not add up). Expected new business is shared among a segment's owners by their share
of the segment's won bookings over the last year (or by a share the caller gives, e.g. the
territory plan's potential).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from forecasting.errors import ForecastInputError
from forecasting.pipeline import PipelineResult, canonical_opportunities, known_at

CATEGORIES = ("closed", "commit", "best_case", "pipeline")
LEVELS = ("rep", "manager", "segment", "total")
NO_OWNER = "(no owner)"
TOTAL = "Total"
ROLLUP_COLUMNS = ["level", "id", "parent_id", "segment", *CATEGORIES, "omitted", "model_p10",
                  "model_p50", "model_p90", "call", "call_source", "call_rollup", "call_gap",
                  "call_flag", "call_note"]
# How CRMs spell the categories (Salesforce: Closed, Commit, Best Case, Pipeline, Omitted).
_SPELLINGS = {"closed": "closed", "won": "closed", "commit": "commit", "committed": "commit",
              "best_case": "best_case", "bestcase": "best_case", "upside": "best_case",
              "pipeline": "pipeline", "pipe": "pipeline", "omitted": "omitted", "omit": "omitted"}


def normalise_category(value: object) -> str | None:
    """``'Best Case'`` -> ``'best_case'``; None for an empty or unknown value."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return _SPELLINGS.get(key) if key else None


def deal_categories(opportunities: pd.DataFrame,
                    categories: Mapping[str, str] | None = None) -> pd.Series:
    """Each deal's forecast category (indexed by ``opportunity_id`` as text): the deal's own
    ``forecast_category`` where it has one, else its stage through ``categories`` (stage ->
    category, the plan file's ``[forecast.categories]``), else ``pipeline``.

    An unknown category in the column or the map is an error naming the values."""
    ids = opportunities["opportunity_id"].astype(str).to_numpy()
    out = pd.Series("pipeline", index=ids, dtype=object)
    stage_map = {}
    for stage, name in (categories or {}).items():
        norm = normalise_category(name)
        if norm is None:
            raise ForecastInputError(
                f"forecast categories: stage {stage!r} maps to {name!r}; expected one of "
                "closed, commit, best_case, pipeline, omitted")
        stage_map[str(stage).strip().lower()] = norm
    if stage_map and "stage" in opportunities.columns:
        by_stage = opportunities["stage"].astype(str).str.strip().str.lower().map(stage_map)
        out = pd.Series(np.where(by_stage.notna(), by_stage, out), index=ids, dtype=object)
    if "forecast_category" in opportunities.columns:
        raw = opportunities["forecast_category"]
        norm = raw.map(normalise_category)
        given = raw.notna() & (raw.astype(str).str.strip() != "")
        unknown = sorted(set(raw[given & norm.isna()].astype(str)))
        if unknown:
            raise ForecastInputError(
                f"opportunities: forecast_category has unknown value(s) {', '.join(unknown[:5])}; "
                "expected closed, commit, best case, pipeline or omitted (or empty)")
        out = pd.Series(np.where(norm.notna(), norm, out), index=ids, dtype=object)
    return out


@dataclass
class OwnerDraws:
    """The pipeline forecast's simulation kept per (segment, owner): the model's bookings of the
    quarter for every owner, so any group of owners can be summed draw by draw."""

    keys: pd.DataFrame          # segment, owner: one row per column of ``draws``
    draws: np.ndarray           # simulations x owners: closed + won open deals + new business
    closed: np.ndarray          # per owner: won so far in the quarter (the floor of a widening)
    spread: float = 1.0         # the pipeline forecast's widening (applied by :meth:`node`)

    def node(self, mask: np.ndarray) -> np.ndarray:
        """The summed draws of the owners in ``mask``, widened around their median as the
        pipeline forecast widens a segment's, never below what they have closed."""
        draws = self.draws[:, mask].sum(axis=1)
        if self.spread != 1.0:
            middle = np.median(draws)
            draws = np.maximum(middle + self.spread * (draws - middle), self.closed[mask].sum())
        return draws


def _owners(opportunities: pd.DataFrame, owner_of: Mapping[str, str] | pd.Series | None) -> pd.Series:
    """Owner per opportunity id (text): ``owner_of`` where it names one, else owner_rep_id."""
    ids = opportunities["opportunity_id"].astype(str).to_numpy()
    own = (opportunities["owner_rep_id"].astype("string").fillna("").str.strip().to_numpy(object)
           if "owner_rep_id" in opportunities.columns else np.full(len(ids), "", dtype=object))
    owners = pd.Series(own, index=ids, dtype=object)
    if owner_of is not None:
        given = pd.Series(owner_of, dtype=object).reindex(ids)
        owners = pd.Series(np.where(given.notna() & (given.astype(str) != ""), given, owners),
                           index=ids, dtype=object)
    return owners.replace("", NO_OWNER)


def won_in_quarter(opps: pd.DataFrame, pipeline: PipelineResult) -> pd.DataFrame:
    """Won deals closed in the quarter up to ``as_of`` (canonical columns)."""
    known = known_at(opps, pipeline.as_of)
    period = pipeline.period
    return known[(known["won"] == 1) & (known["closed"] >= period.start_time)
                 & (known["closed"] <= pipeline.as_of)]


def history_shares(opps: pd.DataFrame, owners: pd.Series, as_of: pd.Timestamp,
                   days: int = 365) -> pd.DataFrame:
    """Each owner's share of its segment's won bookings over the last ``days`` (segment, owner,
    share): how the segment's expected new business is split among its owners."""
    known = known_at(opps, as_of)
    won = known[(known["won"] == 1) & (known["closed"] > as_of - pd.Timedelta(days=days))
                & (known["amount"] > 0)]
    won = won.assign(owner=owners.reindex(won["opportunity_id"]).fillna(NO_OWNER).to_numpy())
    sums = won.groupby(["segment", "owner"])["amount"].sum()
    shares = sums / sums.groupby(level="segment").transform("sum")
    return shares.rename("share").reset_index()


def simulate_owners(pipeline: PipelineResult, opportunities: pd.DataFrame, *,
                    owner_of: Mapping[str, str] | pd.Series | None = None,
                    new_business_share: pd.DataFrame | None = None,
                    owners: pd.DataFrame | None = None,
                    n_simulations: int | None = None, random_state: int | None = 0) -> OwnerDraws:
    """The pipeline forecast's quarter, simulated per owner.

    ``pipeline``: the result of :func:`forecasting.pipeline.forecast_pipeline` (its open deals,
    probabilities, closed-to-date, new-business parameters and widening). ``opportunities``: the
    table it was made from (for ``owner_rep_id``). ``owner_of``: opportunity_id -> owner, where
    the owner differs from owner_rep_id (accounts moved by a territory plan). ``new_business_share``
    (segment, owner, share summing to 1 per segment): how each segment's new business is split;
    default :func:`history_shares`. ``owners`` (segment, owner): owners to keep even without deals
    or share (a rep with nothing gets a column of zeros). ``n_simulations`` and ``random_state``
    must be the pipeline forecast's for its draws to be met exactly (default: as many draws as
    it kept). Deals are drawn in the order :func:`~forecasting.pipeline.simulate_quarter` draws
    them, so every segment's summed draws are the forecast's draw for draw.
    """
    n = n_simulations or len(next(iter(pipeline.draws.values()), np.zeros(10_000)))
    opps = canonical_opportunities(opportunities)
    owner = _owners(opportunities, owner_of)
    params = pipeline.new_business
    if params is None:
        raise ForecastInputError("pipeline: no new-business parameters; expected the result of "
                                 "forecast_pipeline")
    params = params.set_index("segment")
    shares = (new_business_share if new_business_share is not None
              else history_shares(opps, owner, pipeline.as_of))
    won = won_in_quarter(opps, pipeline)
    closed = (won.assign(owner=owner.reindex(won["opportunity_id"]).fillna(NO_OWNER).to_numpy())
              .groupby(["segment", "owner"])["amount"].sum())
    deals = pipeline.open_deals.assign(
        owner=owner.reindex(pipeline.open_deals["opportunity_id"].astype(str)).fillna(NO_OWNER).to_numpy())
    rng = np.random.default_rng(random_state)
    keys, columns, floors = [], [], []
    for segment in params.index:
        seg_deals = deals[deals["segment"] == segment]
        seg_share = shares[shares["segment"] == segment].groupby("owner")["share"].sum()
        names = set(seg_deals["owner"]) | set(seg_share.index) | {
            o for (s, o) in closed.index if s == segment}
        if owners is not None:
            names |= set(owners.loc[owners["segment"].astype(str) == segment, "owner"].astype(str))
        names = sorted(names)
        # The same random numbers in the same order as simulate_quarter: one uniform per deal
        # and draw, then the segment's gamma draw of new business.
        mean, sd = float(params.at[segment, "new_mean"]), float(params.at[segment, "new_sd"])
        wins = rng.random((n, len(seg_deals))) < seg_deals["probability"].to_numpy()
        if mean > 0 and sd > 0:
            shape = (mean / sd) ** 2
            new_draw = rng.gamma(shape, mean / shape, n)
        else:
            new_draw = np.full(n, mean)
        index = {name: i for i, name in enumerate(names)}
        value = np.zeros((len(seg_deals), len(names)))
        value[np.arange(len(seg_deals)), [index[o] for o in seg_deals["owner"]]] = seg_deals["amount"].to_numpy()
        per_owner = wins.astype(float) @ value
        share = seg_share.reindex(names, fill_value=0.0).to_numpy(dtype=float)
        if share.sum() <= 0:   # nobody won anything last year: new business spread evenly
            share = np.full(len(names), 1.0 / max(len(names), 1))
        share = share / share.sum()
        floor = np.array([float(closed.get((segment, o), 0.0)) for o in names])
        columns.append(floor + per_owner + np.outer(new_draw, share))
        keys += [(segment, o) for o in names]
        floors.append(floor)
    return OwnerDraws(keys=pd.DataFrame(keys, columns=["segment", "owner"]),
                      draws=np.column_stack(columns) if columns else np.zeros((n, 0)),
                      closed=np.concatenate(floors) if floors else np.zeros(0),
                      spread=float(pipeline.spread))


@dataclass
class RollupResult:
    table: pd.DataFrame                          # ROLLUP_COLUMNS, one row per node
    notes: list[str] = field(default_factory=list)

    def managers(self) -> pd.DataFrame:
        return self.table[self.table["level"] == "manager"]


def forecast_rollup(pipeline: PipelineResult, opportunities: pd.DataFrame,
                    reps: pd.DataFrame | None = None, calls: pd.DataFrame | None = None, *,
                    categories: Mapping[str, str] | None = None,
                    n_simulations: int | None = None, random_state: int | None = 0) -> RollupResult:
    """The roll-up table of the pipeline forecast's quarter (see the module docstring).

    ``reps`` (rep_id, optional manager_id) places reps under managers; reps without a manager,
    and owners the reps table does not know, sit directly under their segment. ``calls``
    (owner_id, period, amount, optional category, note): submitted calls for the quarter; an
    owner's call is its row without a category, else its commit call, else its last row; a node without one shows the sum of its children's calls
    (``call_source`` 'rolled up'); ``call_rollup`` always keeps that sum, so a manager's call
    that replaces its reps' keeps theirs beside it. A call above the model's p90 or below its
    p10 is flagged. ``categories``: stage -> category (see :func:`deal_categories`).
    ``n_simulations``/``random_state``: the pipeline forecast's (see :func:`simulate_owners`).
    """
    notes: list[str] = []
    sims = simulate_owners(pipeline, opportunities, n_simulations=n_simulations,
                           random_state=random_state)
    keys = sims.keys.copy()
    manager = {}
    if reps is not None and "manager_id" in reps.columns:
        m = reps.assign(rep_id=reps["rep_id"].astype(str),
                        manager_id=reps["manager_id"].astype("string").fillna("").str.strip())
        manager = dict(zip(m["rep_id"], m["manager_id"]))
    keys["manager"] = keys["owner"].map(manager).fillna("")
    unknown = sorted(set(keys.loc[keys["manager"] == "", "owner"]) - {NO_OWNER})
    if reps is not None and unknown:
        notes.append(f"{len(unknown)} owner(s) without a manager in the reps table (e.g. "
                     f"{', '.join(unknown[:3])}) sit directly under their segment.")
    # Categories: open deals by owner and category, and won-to-date as 'closed'.
    opps = canonical_opportunities(opportunities)
    owner = _owners(opportunities, None)
    category = deal_categories(opportunities, categories)
    deals = pipeline.open_deals
    ids = deals["opportunity_id"].astype(str)
    cat = category.reindex(ids).fillna("pipeline").to_numpy()
    # An open deal cannot be closed yet: one a CRM calls "closed" counts as commit.
    cat = np.where(cat == "closed", "commit", cat)
    open_frame = pd.DataFrame({"segment": deals["segment"].to_numpy(),
                               "owner": owner.reindex(ids).fillna(NO_OWNER).to_numpy(),
                               "category": cat, "amount": deals["amount"].to_numpy(dtype=float)})
    won = won_in_quarter(opps, pipeline)
    won_frame = pd.DataFrame({"segment": won["segment"].to_numpy(),
                              "owner": owner.reindex(won["opportunity_id"]).fillna(NO_OWNER).to_numpy(),
                              "category": "closed", "amount": won["amount"].fillna(0.0).to_numpy()})
    amounts = (pd.concat([open_frame, won_frame]).groupby(["segment", "owner", "category"])["amount"]
               .sum().unstack("category"))
    amounts = amounts.reindex(columns=[*CATEGORIES, "omitted"], fill_value=0.0).fillna(0.0)
    per_owner = amounts.reindex(pd.MultiIndex.from_frame(keys[["segment", "owner"]]), fill_value=0.0)
    values = per_owner.to_numpy(dtype=float)

    rows = []

    def add(level: str, node_id: str, parent: str, segment: str, mask: np.ndarray) -> None:
        draws = sims.node(mask)
        p10, p50, p90 = np.quantile(draws, [0.1, 0.5, 0.9])
        row = {"level": level, "id": node_id, "parent_id": parent, "segment": segment,
               "model_p10": float(p10), "model_p50": float(p50), "model_p90": float(p90)}
        row.update(dict(zip([*CATEGORIES, "omitted"], values[mask].sum(axis=0).tolist())))
        rows.append(row)

    segment_of = keys["segment"].to_numpy()
    for segment in sorted(keys["segment"].unique()):
        in_segment = segment_of == segment
        for mgr in sorted(keys.loc[in_segment, "manager"].unique()):
            in_manager = in_segment & (keys["manager"].to_numpy() == mgr)
            for rep in sorted(keys.loc[in_manager, "owner"]):
                add("rep", rep, mgr or segment, segment, in_manager & (keys["owner"].to_numpy() == rep))
            if mgr:
                add("manager", mgr, segment, segment, in_manager)
        add("segment", segment, TOTAL, segment, in_segment)
    add("total", TOTAL, "", TOTAL, np.ones(len(keys), dtype=bool))
    table = pd.DataFrame(rows)
    table = _with_calls(table, calls, pipeline.period, notes)
    # The level order a reader expects: total first, then each segment with its managers and reps.
    level = table["level"].to_numpy()
    managed = (level == "rep") & (table["parent_id"] != table["segment"]).to_numpy()
    table["_seg"] = np.where(level == "total", "", table["segment"])
    table["_group"] = np.select([level == "segment", (level == "rep") & ~managed], [0, 1], 2)
    table["_mgr"] = np.where(level == "manager", table["id"], np.where(managed, table["parent_id"], ""))
    table["_lv"] = (level == "rep").astype(int)
    table = (table.sort_values(["_seg", "_group", "_mgr", "_lv", "id"], kind="stable")
             .drop(columns=["_seg", "_group", "_mgr", "_lv"]).reset_index(drop=True))
    if not (table["omitted"] > 0).any():
        table = table.drop(columns=["omitted"])
    return RollupResult(table=table[[c for c in ROLLUP_COLUMNS if c in table.columns]], notes=notes)


def _period_text(value: object) -> str:
    return str(value).strip().upper().replace("-", "").replace(" ", "")


def _with_calls(table: pd.DataFrame, calls: pd.DataFrame | None, period: pd.Period,
                notes: list[str]) -> pd.DataFrame:
    table = table.assign(call=np.nan, call_source="", call_rollup=np.nan, call_gap=np.nan,
                         call_flag="", call_note="")
    if calls is None or calls.empty:
        return table
    missing = [c for c in ("owner_id", "period", "amount") if c not in calls.columns]
    if missing:
        raise ForecastInputError(f"forecast_calls: missing column(s) {', '.join(missing)}; "
                                 "expected owner_id, period (e.g. 2027Q1), amount")
    mine = calls[calls["period"].map(_period_text) == str(period)]
    if mine.empty:
        notes.append(f"forecast_calls: no call for {period}; the roll-up shows none.")
        return table
    amount = pd.to_numeric(mine["amount"], errors="coerce")
    latest = mine.assign(amount=amount, owner_id=mine["owner_id"].astype(str).str.strip())
    # One call per owner: the row without a category, else the commit call, else the last row.
    kind = (latest["category"].map(normalise_category) if "category" in latest.columns
            else pd.Series(None, index=latest.index, dtype=object))
    plain = (latest["category"].isna() | (latest["category"].astype(str).str.strip() == "")
             if "category" in latest.columns else pd.Series(True, index=latest.index))
    latest = latest.assign(_rank=np.select([plain.to_numpy(), (kind == "commit").to_numpy()], [2, 1], 0))
    latest = (latest.sort_values("_rank", kind="stable").groupby("owner_id").tail(1)
              .set_index("owner_id"))
    known = set(table["id"])
    strangers = sorted(set(latest.index) - known)
    if strangers:
        notes.append(f"forecast_calls: {len(strangers)} call(s) from owners not in the roll-up "
                     f"({', '.join(strangers[:3])}) left out.")
    # Bottom-up: reps, managers, segments, total; a node's own call replaces its children's.
    call = dict.fromkeys(range(len(table)), np.nan)
    for level in LEVELS:
        for i in np.flatnonzero(table["level"].to_numpy() == level):
            node = table.iloc[i]
            children = [j for j in range(len(table))
                        if table.at[j, "parent_id"] == node["id"] and table.at[j, "segment"] == node["segment"]
                        and LEVELS.index(table.at[j, "level"]) < LEVELS.index(level)] if level != "total" else \
                [j for j in range(len(table)) if table.at[j, "level"] == "segment"]
            child_calls = [call[j] for j in children if not np.isnan(call[j])]
            rolled = float(np.sum(child_calls)) if child_calls else np.nan
            table.at[i, "call_rollup"] = rolled
            if node["id"] in latest.index and not np.isnan(latest.at[node["id"], "amount"]):
                call[i] = float(latest.at[node["id"], "amount"])
                table.at[i, "call_source"] = "submitted"
                if "note" in latest.columns and pd.notna(latest.at[node["id"], "note"]):
                    table.at[i, "call_note"] = str(latest.at[node["id"], "note"])
            elif child_calls:
                call[i] = rolled
                table.at[i, "call_source"] = "rolled up"
            table.at[i, "call"] = call[i]
    table["call_gap"] = table["call"] - table["model_p50"]
    table["call_flag"] = np.select([table["call"] > table["model_p90"], table["call"] < table["model_p10"]],
                                   ["above p90", "below p10"], "")
    return table
