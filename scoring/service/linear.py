"""The logistic regression candidate for one lead at a time, in plain Python arithmetic.

``LinearDesign.transform`` builds the one-hot/hinge design matrix with some twenty numpy calls,
which is the right trade for many rows and ~100 us of call overhead for one. Here the fitted
plan (medians, means, scales, knots, level counts) is read once and a lead is scored feature by
feature: a category costs one lookup (its one-hot dot product is one coefficient), a number a few
float operations. The result equals the matrix path up to the order of the additions (~1e-15);
:class:`~scoring.service.served.LeadScorerModel` checks that on load and falls back to the matrix
path if the fitted design ever stops matching this reading of it.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np


class LinearRowPath:
    """Decision and per-column contributions of a fitted ``LogisticCandidate`` for one row."""

    def __init__(self, model: Any, feature_groups: Sequence[int], n_groups: int):
        design = model.design_
        coef = np.asarray(model.coef_, dtype=np.float64)
        mean = np.asarray(model.design_mean_, dtype=np.float64)
        self.intercept = float(model.intercept_)
        self.n_groups = n_groups
        self.steps: list[tuple] = []
        k = 0
        for j, (kind, levels, has_missing, median, mu, sd, skewed) in enumerate(design.plan_):
            group = int(feature_groups[j])
            if kind == "cat":
                width = levels + has_missing
                cols = slice(k, k + width)
                # Contribution of a one-hot block: coef[active] - sum(mean * coef) over the block.
                offset = float(np.dot(mean[cols], coef[cols]))
                self.steps.append(("cat", j, group, coef[cols].tolist(), levels, bool(has_missing), offset))
                k += width
                continue
            width = 1 + len(levels) + has_missing
            cols = slice(k, k + width)
            self.steps.append(("num", j, group, coef[cols].tolist(), mean[cols].tolist(), tuple(levels),
                               bool(has_missing), float(median), float(mu), float(sd), bool(skewed)))
            k += width
        if k != design.n_columns_:
            raise ValueError("the fitted design has columns this fast path does not know")

    def decide(self, row: Sequence[float]) -> tuple[float, list[float]]:
        """(raw logit, contribution per input column before calibration scaling)."""
        total = 0.0
        contributions = [0.0] * self.n_groups
        for step in self.steps:
            if step[0] == "cat":
                _, j, group, coef, levels, has_missing, offset = step
                x = row[j]
                if math.isnan(x):
                    c = coef[levels] if has_missing else 0.0
                else:
                    c = coef[int(min(max(x, 0.0), levels - 1))]
                total += c
                contributions[group] += c - offset
                continue
            _, j, group, coef, means, knots, has_missing, median, mu, sd, skewed = step
            x = row[j]
            missing = math.isnan(x)
            filled = median if missing else x
            if skewed:
                filled = math.log1p(max(filled, 0.0))
            z = (filled - mu) / sd
            part = z * coef[0]
            contribution = (z - means[0]) * coef[0]
            for i, knot in enumerate(knots, start=1):
                hinge = max(z - knot, 0.0)
                part += hinge * coef[i]
                contribution += (hinge - means[i]) * coef[i]
            if has_missing:
                indicator = 1.0 if missing else 0.0
                part += indicator * coef[-1]
                contribution += (indicator - means[-1]) * coef[-1]
            total += part
            contributions[group] += contribution
        return total + self.intercept, contributions
