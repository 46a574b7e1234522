"""A seeded lead table with known conversion probabilities, for tests and benchmarks.

It exercises everything the scorer must cope with: numbers with form placeholders, low- and
high-cardinality categories, yes/no and true/false flags, dates with times, free text, a constant
column, and open leads (empty label). ``true_probability`` is the probability the label was drawn
with, so a model can be compared to the oracle.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SOURCES = ("Webinar", "Paid Search", "Organic", "Referral", "Event", "Cold Outbound")
SOURCE_EFFECT = (0.3, -0.2, 0.1, 0.9, 0.4, -0.8)
INDUSTRIES = ("Software", "Finance", "Retail", "Healthcare", "Manufacturing", "Education",
              "Media", "Logistics", "Energy", "Government", "Telecom", "Other")


def make_leads(n: int, seed: int = 0, open_share: float = 0.1, start: str = "2024-01-01",
               days: int = 730) -> tuple[pd.DataFrame, np.ndarray]:
    """(lead table, true P(SQL) per row). Label column ``is_sql`` is 1/0, empty for open leads."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp(start) + pd.to_timedelta(
        np.sort(rng.uniform(0, days, n)) * 86_400, unit="s").floor("min")
    source = rng.choice(len(SOURCES), n, p=[0.2, 0.25, 0.2, 0.1, 0.1, 0.15])
    industry_effect = rng.normal(0, 0.4, len(INDUSTRIES))
    industry = rng.choice(len(INDUSTRIES), n)
    n_countries = 80
    country_p = 1.0 / np.arange(1, n_countries + 1) ** 1.1
    country = rng.choice(n_countries, n, p=country_p / country_p.sum())
    country_effect = rng.normal(0, 0.25, n_countries)
    employees = np.round(np.exp(rng.normal(4.0, 1.5, n))).clip(1, 200_000)
    pages = rng.poisson(4, n)
    email_opened = rng.random(n) < 0.45
    demo = rng.random(n) < 0.12
    visit_gap = rng.exponential(10, n)
    has_visit = rng.random(n) < 0.7
    hour = created.hour.to_numpy()
    logit = (
        -2.2
        + np.asarray(SOURCE_EFFECT)[source]
        + industry_effect[industry]
        + country_effect[country]
        + 0.35 * (np.log(employees) - 4.0)
        + 0.5 * np.minimum(pages, 8) / 4.0          # saturating: more pages help up to a point
        + 0.6 * email_opened
        + 1.4 * demo
        - 0.04 * np.where(has_visit, visit_gap, 20.0)
        + 0.3 * ((hour >= 9) & (hour < 17))
    )
    prob = 1.0 / (1.0 + np.exp(-logit))
    label = (rng.random(n) < prob).astype(float)
    open_rows = np.arange(n) >= int(round(n * (1 - open_share)))  # the newest leads are still open
    label_text = np.where(open_rows, "", np.where(label == 1, "1", "0"))
    employees_text = employees.astype(object)
    employees_text[rng.random(n) < 0.03] = "N/A"
    industry_text = np.asarray(INDUSTRIES, dtype=object)[industry]
    industry_text[rng.random(n) < 0.02] = "unknown"
    visit = created + pd.to_timedelta(visit_gap * 86_400, unit="s").floor("min")
    visit_text = np.where(has_visit, visit.strftime("%Y-%m-%d %H:%M:%S"), "")
    words = np.array(["call", "me", "about", "pricing", "need", "a", "demo", "budget", "next", "quarter"])
    notes = [" ".join(rng.choice(words, 6)) + f" #{i}" for i in range(n)]
    frame = pd.DataFrame({
        "lead_id": [f"L{i:07d}" for i in range(n)],
        "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
        "lead_source": np.asarray(SOURCES, dtype=object)[source],
        "industry": industry_text,
        "country": [f"C{c:02d}" for c in country],
        "employees": employees_text,
        "pages_viewed": pages,
        "email_opened": np.where(email_opened, "Yes", "No"),
        "demo_requested": np.where(demo, "true", "false"),
        "last_visit_at": visit_text,
        "notes": notes,
        "form_version": "v2",
        "is_sql": label_text,
    })
    return frame, prob
