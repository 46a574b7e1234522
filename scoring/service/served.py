"""What the endpoint serves: a ``ServedModel`` (name, version, schema, score), and the real one.

:class:`LeadScorerModel` wraps a fitted :class:`~scoring.model.LeadScorer` with the fast paths:
:class:`~scoring.service.hotpath.RecordEncoder` for the rows, a dot product for logistic
regression, the packed trees of :mod:`scoring.service.trees` for gradient boosting, and the
scorer's own calibrator, tiers and reason format. Every number equals what
``LeadScorer.score_records`` / ``predict_proba`` give for the same leads (tested).
"""
from __future__ import annotations

import functools
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from scoring.reasons import MAX_VALUE_CHARS, format_value
from scoring.service.hotpath import CACHE_SIZE, ID_FIELD, RecordEncoder, clean_text
from scoring.service.linear import LinearRowPath
from scoring.service.trees import HAVE_NUMBA, pack_hgb, raw_predict_with_drops, reference_layout

log = logging.getLogger("scoring.service")

N_REASONS = 3
ROW_PATH_MAX = 8      # up to this many leads, the linear model is evaluated row by row
CHECK_TOLERANCE = 1e-9
PARALLEL_MIN = 256    # rows from which the tree walk is split over two threads
FIRST_PART = 0.45     # share of those rows in the first part (answered while the second is walked)
CACHED_TYPES = frozenset({str, float, int})  # value types whose reason texts are remembered


@functools.lru_cache(maxsize=None)
def _walkers() -> ThreadPoolExecutor:
    """Two threads for the tree walk, shared by every model of the process (made on first use)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="tree-walk")


class ServedModel(Protocol):
    """The endpoint's view of a model; tests use a fake with the same attributes."""

    name: str
    version: str

    def info(self) -> dict: ...

    def lead_schema(self) -> dict: ...

    def score(self, leads: Sequence[Any]) -> list[dict]: ...


@dataclass(frozen=True)
class ModelMeta:
    """Where a loaded model came from (filled from the MLflow registry)."""

    name: str
    version: str
    alias: str | None = None
    uri: str | None = None
    run_id: str | None = None
    trained_at: str | None = None
    tags: dict = field(default_factory=dict)


def _format_value(value: Any) -> str:
    """``scoring.reasons.format_value`` with a shortcut for short plain strings."""
    kind = type(value)
    if kind is str and len(value) <= MAX_VALUE_CHARS:
        token = clean_text(value)
        return "missing" if token is None else token
    if kind is float and math.isfinite(value):
        return f"{value:.4g}"
    if kind is int and -10**39 < value < 10**39:
        return str(value)
    return format_value(value)


def _round4(values: np.ndarray) -> np.ndarray:
    """``round(v, 4)`` for every value, vectorised: numpy's scaled rounding agrees with Python's
    correctly rounded one except next to a tie, and those few are done by Python."""
    scaled = values * 1e4
    out = np.round(values, 4)
    near_tie = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    for index in zip(*np.nonzero(near_tie)):
        out[index] = round(float(values[index]), 4)
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


class LeadScorerModel:
    """A fitted LeadScorer behind the ``ServedModel`` interface (see the module docstring)."""

    def __init__(self, scorer: Any, meta: ModelMeta, max_chars: int = 1000):
        self.scorer = scorer
        self.meta = meta
        self.name = meta.name
        self.version = str(meta.version)
        self.records = RecordEncoder(scorer.encoder_, max_chars=max_chars)
        self.groups = list(scorer.groups_)
        features = scorer.encoder_.features_
        self.group_of = np.array([self.groups.index(f.group) for f in features], dtype=np.int64)
        self._text_caches: list[dict[tuple, str]] = [{} for _ in self.groups]
        self.family = scorer.model_.name
        calibrator = scorer.calibrator_
        self.scale = calibrator.a_ if calibrator.method == "sigmoid" else 1.0
        self.tier_cuts = tuple(float(t) for t in scorer.tier_thresholds_)
        self.trees = None
        self.linear_row = None
        self.reference_row = np.ascontiguousarray(scorer.reference_row_, dtype=np.float64)
        if self.family == "logistic_regression":
            design = scorer.model_.design_
            self.group_matrix = (design.groups_[:, None] == np.array(self.groups, dtype=object)[None, :]).astype(float)
            try:
                self.linear_row = LinearRowPath(scorer.model_, self.group_of, len(self.groups))
            except (ValueError, AttributeError, TypeError) as exc:
                log.warning("one-row linear path unavailable (%s); using the matrix path", exc)
        elif HAVE_NUMBA:
            self.trees = pack_hgb(scorer.model_.model_)
            self.layout = reference_layout(self.trees, self.reference_row, self.group_of,
                                           len(self.groups))
        self._check_fast_paths()

    def _check_rows(self) -> np.ndarray:
        """Rows that exercise every branch: typical, all missing, extreme codes and values."""
        ref = np.nan_to_num(self.reference_row, nan=0.0)
        rng = np.random.default_rng(0)
        rows = [ref, np.full_like(ref, np.nan), ref * 0 + 1e6, ref * 0 - 1e6, ref * 0]
        for _ in range(27):
            row = ref * rng.lognormal(0, 1, ref.shape) + rng.integers(0, 40, ref.shape)
            row[rng.random(ref.shape) < 0.2] = np.nan
            rows.append(row)
        return np.vstack(rows)

    def _check_fast_paths(self) -> None:
        """Compare the fast paths with the scorer's own code on probe rows; drop any that differ."""
        from scoring.reasons import group_contributions

        X = self._check_rows()
        expected_z = self.scorer.model_.decision(X)
        expected_c = group_contributions(self.scorer, X)
        if self.linear_row is not None:
            got = [self.linear_row.decide(row) for row in X.tolist()]
            z = np.array([g[0] for g in got])
            c = self.scale * np.array([g[1] for g in got])
            if not (np.allclose(z, expected_z, rtol=0, atol=CHECK_TOLERANCE)
                    and np.allclose(c, expected_c, rtol=0, atol=CHECK_TOLERANCE)):
                log.warning("one-row linear path disagrees with LinearDesign; using the matrix path")
                self.linear_row = None
        if self.trees is not None:
            base, drops = raw_predict_with_drops(self.trees, X, self.layout)
            c = self.scale * drops
            if not (np.array_equal(base, expected_z) and np.allclose(c, expected_c, rtol=0, atol=CHECK_TOLERANCE)):
                log.warning("packed trees disagree with scikit-learn; using scikit-learn")
                self.trees = None

    # -------------------------------------------------------------- scoring
    def _decide(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(raw logit per lead, per-lead contributions of each input column)."""
        scorer = self.scorer
        model = scorer.model_
        if self.linear_row is not None and X.shape[0] <= ROW_PATH_MAX:
            decided = [self.linear_row.decide(row) for row in X.tolist()]
            return (np.array([d[0] for d in decided]),
                    self.scale * np.array([d[1] for d in decided]).reshape(len(decided), -1))
        if self.family == "logistic_regression":
            # As LogisticCandidate.decision and reasons.group_contributions, sharing one design
            # matrix (the sum may differ from the model's own in the last bit, ~1e-16).
            Z = model.design_.transform(X)
            parts = (Z - model.design_mean_) * model.coef_
            return Z @ model.coef_ + model.intercept_, self.scale * (parts @ self.group_matrix)
        if self.trees is not None:
            base, drops = raw_predict_with_drops(self.trees, X, self.layout)
            return base, self.scale * drops
        from scoring.reasons import group_contributions  # without numba: scikit-learn's path

        return model.decision(X), group_contributions(scorer, X)

    def score(self, leads: Sequence[Any]) -> list[dict]:
        """One answer per lead, in order; raises LeadValidationError for unreadable fields."""
        X, flags, ids = self.records.encode(leads)
        if self.trees is None or len(X) < PARALLEL_MIN:
            return self._answers(leads, 0, *self._decide(X), flags, ids)
        # The compiled walk releases the GIL: two threads walk two parts while this one waits,
        # then turns the first part into answers while the second is still walked. The first
        # part is the smaller one, so that both end about together (FIRST_PART). Each walker
        # takes the GIL only to start and to return (handing over small chunks made walkers
        # wait for this thread's Python loop).
        cut = int(len(X) * FIRST_PART)
        pending = [_walkers().submit(self._decide, X[:cut]), _walkers().submit(self._decide, X[cut:])]
        out = self._answers(leads, 0, *pending[0].result(), flags, ids)
        return out + self._answers(leads, cut, *pending[1].result(), flags, ids)

    def _answers(self, leads: Sequence[Any], start: int, z: np.ndarray, contributions: np.ndarray,
                 flags: list, ids: list) -> list[dict]:
        """Answers for ``leads[start:start + len(z)]`` from their logits and contributions."""
        p = self.scorer.calibrator_.predict(z)
        scores = np.rint(100 * p)
        n = len(p)
        if n <= ROW_PATH_MAX:  # LeadScorer.tiers and _round4 in plain Python: numpy's calls cost more
            a, b, c = self.tier_cuts
            tiers = ["A" if s >= a else "B" if s >= b else "C" if s >= c else "D" for s in scores.tolist()]
        else:
            tiers = self.scorer.tiers(scores).tolist()
        # As scoring.reasons.top_reasons: largest |contribution| first, stable order on ties;
        # near-zero and non-finite contributions are no reason.
        top = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :N_REASONS]
        values = contributions[np.arange(n)[:, None], top]
        shown = (np.abs(values) >= 1e-9) & np.isfinite(values)
        shown_all = bool(shown.all())
        rounded = ([[round(v, 4) for v in row] for row in values.tolist()] if n <= ROW_PATH_MAX
                   else _round4(values).tolist())
        shown = shown.tolist()
        positive, top = (values > 0).tolist(), top.tolist()
        probabilities, scores = p.tolist(), scores.astype(np.int64).tolist()
        groups, texts, value_text = self.groups, self._text_caches, self._value_text
        out = []
        for j in range(len(probabilities)):
            i = start + j
            lead = leads[i]
            reasons = []
            for k, g in enumerate(top[j]):
                if not shown_all and not shown[j][k]:
                    continue
                name = groups[g]
                raw = lead.get(name)
                # Texts of the values seen (categories, numbers) are remembered per field.
                text = texts[g].get((raw, type(raw))) if type(raw) in CACHED_TYPES else None
                if text is None:
                    text = value_text(g, raw)
                reasons.append({"feature": name, "value": text, "direction": "+" if positive[j][k] else "-",
                                "contribution": rounded[j][k]})
            out.append({ID_FIELD: ids[i], "probability": probabilities[j], "score": scores[j],
                        "tier": tiers[j], "reasons": reasons, "flags": flags[i]})
        return out

    def _value_text(self, group: int, raw: Any) -> str:
        """The lead's value as a reason shows it, remembered for text and number values."""
        text = _format_value(raw)
        cache = self._text_caches[group]
        if (type(raw) in CACHED_TYPES and len(cache) < CACHE_SIZE and raw == raw
                and not (type(raw) is float and raw == 0)):
            # Keyed with the type: 1 and 1.0 are equal keys but not the same text (nor are 0.0
            # and -0.0, hence no float zero; nor NaN, which equals nothing).
            cache[(raw, type(raw))] = text
        return text

    # ----------------------------------------------------------- description
    def lead_schema(self) -> dict:
        return self.records.json_schema()

    def info(self) -> dict:
        scorer = self.scorer
        metrics = {k: _finite(v) for k, v in scorer.metrics_.items()}
        features = []
        for rule in self.records.rules:
            entry = {"name": rule.name, "type": rule.kind, "required": False}
            if rule.kind == "categorical":
                entry["known_categories"] = sorted(rule.levels, key=rule.levels.get)
                entry["other"] = "any other value is scored as 'other' and flagged"
            if rule.kind == "date":
                entry["format"] = rule.date_format
            features.append(entry)
        return {
            **{k: v for k, v in asdict(self.meta).items() if k != "tags"},
            "family": self.family,
            "holdout_metrics": metrics,
            "tier_thresholds": dict(zip("ABC", self.tier_cuts)),
            "schema": {"id_field": ID_FIELD, "features": features},
            "fast_path": "numpy" if self.family == "logistic_regression" else (
                "numba trees" if self.trees is not None else "scikit-learn"),
        }

    def warm_up(self) -> None:
        """Compile and run every path once, so the first real request is not the slow one."""
        self.score([{ID_FIELD: "warm-up"}])
