"""Owners for scored leads: the account's rep from the plan, else weighted round robin in the pool.

Rules, in order, per lead:
1. ``account_id`` names an account of the plan and its rep is available: that rep
   (rule ``account_owner``; counted in the rep's daily counts, never refused by a cap).
2. Otherwise the lead's pool (the account's segment and region when the account is known but
   its rep is unavailable; else the lead's ``segment`` and ``region``): the next rep by smooth
   weighted round robin among the available reps under their tier cap (rule ``round_robin``).
3. Nobody eligible (all unavailable or capped, or no rep covers the pool): ``rep_id`` null,
   rule ``unassigned``, and ``unassigned_reason`` says which.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping, Sequence

from scoring.service.errors import ApiError
from scoring.service.hotpath import field_key
from scoring.service.route_state import RouteState
from scoring.service.routing import RoutingPlan


ROUTING_FIELDS = ("account_id", "segment", "region")
ROUTING_KEYS = {field_key(name): name for name in ROUTING_FIELDS}
UNKNOWN = "unknown_field:"
# A batch's leads repeat their keys: each key's spelling-free form is made once (a regex each).
_spelling = functools.lru_cache(maxsize=4096)(field_key)


def _routing_flag(flag: str) -> bool:
    """Whether ``flag`` says a routing field is unknown to the model (any spelling of it)."""
    return flag.startswith(UNKNOWN) and _spelling(flag[len(UNKNOWN):]) in ROUTING_KEYS


def _other_spellings(leads: Sequence[Any]) -> dict[str, frozenset]:
    """Per routing field, the keys of the batch's leads that spell it otherwise (``Segment``,
    ``Account ID``): made once per batch, from its distinct keys."""
    keys = set().union(*(lead for lead in leads if isinstance(lead, dict)))
    found: dict[str, set] = {name: set() for name in ROUTING_FIELDS}
    for key in keys:
        name = ROUTING_KEYS.get(_spelling(key)) if isinstance(key, str) else None
        if name is not None and key != name:
            found[name].add(key)
    return {name: frozenset(others) for name, others in found.items()}


def _field(lead: dict, name: str, others: frozenset) -> Any:
    """The lead's ``name`` field, or the first of its keys in ``others`` (other spellings of it),
    as the scorer reads a model field sent under another spelling."""
    if name in lead:
        return lead[name]
    if others and not others.isdisjoint(lead):
        for key in lead:
            if key in others:
                return lead[key]
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError
    text = str(value).strip()
    return text or None


def routing_fields(leads: Sequence[Any], plan: RoutingPlan) -> list[tuple[Any, Any, Any]]:
    """(account, segment, region) per lead; a 422 naming every bad field at once."""
    problems, out = [], []
    spellings = None  # made at the first lead without one of the fields under its own name
    for i, lead in enumerate(leads):
        if not isinstance(lead, dict):
            out.append((None, None, None))
            continue  # the scorer names it
        values = {}
        for name in ROUTING_FIELDS:
            if spellings is None and name not in lead:
                spellings = _other_spellings(leads)
            try:
                values[name] = _text(_field(lead, name, spellings[name] if spellings else frozenset()))
            except TypeError:
                problems.append((f"leads[{i}].{name}", "expected a string"))
                values[name] = None
        account = plan.account(values["account_id"]) if values["account_id"] else None
        if account is None and not values["segment"] and f"leads[{i}].segment" not in [p for p, _ in problems]:
            problems.append((f"leads[{i}].segment", "required to route a lead whose account_id is not in "
                                                    "the territory plan"))
        out.append((account, values["segment"], values["region"]))
    if problems:
        raise ApiError(422, f"{len(problems)} field(s) cannot be routed", problems, code="invalid_lead")
    return out


def assign_owners(plan: RoutingPlan, state: RouteState, leads: Sequence[Any], scores: list[dict],
                  fields: list[tuple[Any, Any, Any]], caps: Mapping[str, int] | None) -> list[dict]:
    """The route of every scored lead (score fields kept), in one state transaction."""
    away = plan.unavailable_file | state.unavailable_set()
    requests, meta = [], []
    for score, (account, segment, region) in zip(scores, fields):
        lead_id = str(score["lead_id"])
        tier = score.get("tier")
        if account is not None and account.rep_id not in away:
            requests.append((lead_id, account.pool, (account.rep_id,), (1,), tier, True))
            meta.append(("account_owner", account.pool, None))
            continue
        pool = plan.pool(account.segment, account.region) if account is not None else plan.pool(segment, region)
        requests.append((lead_id, pool.name, pool.reps, pool.weights, tier, False))
        meta.append(("round_robin", pool.name, pool))
    reps = state.route(requests, caps, plan.unavailable_file)
    out = []
    for score, rep, (rule, pool_name, pool) in zip(scores, reps, meta):
        route = {"lead_id": score["lead_id"], "rep_id": rep, "pool": pool_name, "rule": rule}
        if rep is None:
            route["rule"] = "unassigned"
            route["unassigned_reason"] = (
                f"no active rep covers pool {pool_name}" if not pool.reps else
                f"every rep of pool {pool_name} is unavailable or at the daily cap for tier {score.get('tier')}")
        route.update({k: v for k, v in score.items() if k != "lead_id"})
        if route.get("flags"):  # the routing fields are known here, whatever the model thinks
            route["flags"] = [f for f in route["flags"] if not _routing_flag(f)]
        out.append(route)
    return out
