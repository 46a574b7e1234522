"""Candidate models on the encoded matrix, and the calibrator that makes them probabilities.

Both candidates take the encoder's float matrix (categorical codes as floats, NaN = missing) and
return a raw score on the logit scale; :class:`Calibrator` maps that to P(SQL).
Hyper-parameters are fixed and sensible, not searched: leads tables are large enough that
regularisation strength matters little, and a fixed setting keeps training time predictable.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from scoring.encoder import EncodedFeature

LOGIT_CLIP = 1e-6
HINGE_QUANTILES = (0.25, 0.5, 0.75)
MAX_GBM_ROWS = 400_000


class LinearDesign:
    """Numpy design matrix for the linear model: imputed, log-scaled, standardised, one-hot.

    Numeric: missing -> training median (+ a missing-indicator column when training had gaps),
    log1p for skewed non-negative columns, then z-scored, plus hinge columns max(0, x - knot) at
    the quartiles so the linear model can bend (saturation, diminishing returns) like a small
    additive spline model. Categorical: one column per code, plus
    one for "missing" when training had gaps. ``groups_`` names the input column of each column.
    """

    def fit(self, X: np.ndarray, features: Sequence[EncodedFeature]) -> "LinearDesign":
        self.features = list(features)
        self.plan_ = []
        groups = []
        for j, feat in enumerate(self.features):
            col = X[:, j]
            finite = col[np.isfinite(col)]
            has_missing = bool(finite.size < col.size)
            if feat.kind == "cat":
                self.plan_.append(("cat", feat.n_levels, has_missing, 0.0, 0.0, 1.0, False))
                groups += [feat.group] * (feat.n_levels + has_missing)
                continue
            median = float(np.median(finite)) if finite.size else 0.0
            skewed = bool(finite.size and finite.min() >= 0 and _skew(finite) > 2.0)
            values = np.log1p(finite) if skewed else finite
            mean = float(values.mean()) if values.size else 0.0
            std = float(values.std()) if values.size else 1.0
            std = std if std > 0 else 1.0
            z = (values - mean) / std
            knots = np.unique(np.quantile(z, HINGE_QUANTILES)) if z.size else np.array([])
            # A knot at the maximum (or minimum) adds a column that is always zero (or linear).
            knots = tuple(float(k) for k in knots if z.min() < k < z.max())
            self.plan_.append(("num", knots, has_missing, median, mean, std, skewed))
            groups += [feat.group] * (1 + len(knots) + has_missing)
        self.groups_ = np.array(groups, dtype=object)
        self.n_columns_ = len(groups)
        self._compile()
        return self

    def _compile(self) -> None:
        """Index arrays so that ``transform`` is a few numpy calls whatever the column count."""
        num_src, num_out, med, mean, std, skew = [], [], [], [], [], []
        hinge_of, hinge_out, knots_all, miss_src, miss_out = [], [], [], [], []
        cat_src, cat_off, cat_levels, cat_missing = [], [], [], []
        k = 0
        for j, (kind, levels, has_missing, median, mu, sd, skewed) in enumerate(self.plan_):
            if kind == "cat":
                cat_src.append(j), cat_off.append(k), cat_levels.append(levels)
                cat_missing.append(has_missing)
                k += levels + has_missing
                continue
            num_src.append(j), num_out.append(k), med.append(median), mean.append(mu)
            std.append(sd), skew.append(skewed)
            k += 1
            for knot in levels:  # for numbers this slot holds the hinge knots
                hinge_of.append(len(num_src) - 1), hinge_out.append(k), knots_all.append(knot)
                k += 1
            if has_missing:
                miss_src.append(j), miss_out.append(k)
                k += 1
        as_int = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
        self.index_ = {
            "num_src": as_int(num_src), "num_out": as_int(num_out), "median": np.asarray(med, float),
            "mean": np.asarray(mean, float), "std": np.asarray(std, float), "skew": np.asarray(skew, bool),
            "hinge_of": as_int(hinge_of), "hinge_out": as_int(hinge_out), "knots": np.asarray(knots_all, float),
            "miss_src": as_int(miss_src), "miss_out": as_int(miss_out), "cat_src": as_int(cat_src),
            "cat_off": as_int(cat_off), "cat_levels": as_int(cat_levels), "cat_missing": np.asarray(cat_missing, bool),
        }

    def _scaled_numbers(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Numeric columns imputed and log-scaled where skewed (``filled``), then standardised (``z``)."""
        ix = self.index_
        num = X[:, ix["num_src"]]
        filled = np.where(np.isnan(num), ix["median"], num)
        if ix["skew"].any():
            filled[:, ix["skew"]] = np.log1p(np.maximum(filled[:, ix["skew"]], 0.0))
        return filled, (filled - ix["mean"]) / ix["std"]

    def transform(self, X: np.ndarray) -> np.ndarray:
        ix = self.index_
        n = X.shape[0]
        out = np.zeros((n, self.n_columns_), dtype=np.float64)
        if ix["num_src"].size:
            filled, z = self._scaled_numbers(X)
            out[:, ix["num_out"]] = z
            if ix["hinge_of"].size:
                out[:, ix["hinge_out"]] = np.maximum(z[:, ix["hinge_of"]] - ix["knots"], 0.0)
        if ix["miss_src"].size:
            out[:, ix["miss_out"]] = np.isnan(X[:, ix["miss_src"]])
        if ix["cat_src"].size:
            cats = X[:, ix["cat_src"]]
            levels = ix["cat_levels"]
            missing = np.isnan(cats)
            codes = np.clip(np.where(missing, 0.0, cats), 0, levels - 1).astype(np.int64)
            codes = np.where(missing, levels, codes)          # the "missing" slot after the levels
            keep = ~missing | ix["cat_missing"]               # no slot if training had no gaps
            rows = np.broadcast_to(np.arange(n)[:, None], codes.shape)
            out[rows[keep], (ix["cat_off"] + codes)[keep]] = 1.0
        return out


    def dot(self, X: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """``transform(X) @ coef`` without building the one-hot matrix (the batch scoring path)."""
        ix = self.index_
        n = X.shape[0]
        total = np.zeros(n)
        if ix["num_src"].size:
            filled, z = self._scaled_numbers(X)
            total += z @ coef[ix["num_out"]]
            if ix["hinge_of"].size:
                total += np.maximum(z[:, ix["hinge_of"]] - ix["knots"], 0.0) @ coef[ix["hinge_out"]]
        if ix["miss_src"].size:
            total += np.isnan(X[:, ix["miss_src"]]) @ coef[ix["miss_out"]]
        if ix["cat_src"].size:
            cats = X[:, ix["cat_src"]]
            levels = ix["cat_levels"]
            missing = np.isnan(cats)
            codes = np.clip(np.where(missing, 0.0, cats), 0, levels - 1).astype(np.int64)
            codes = np.where(missing, levels, codes)
            # A missing value in a column that had no gaps in training has no slot: weight 0.
            padded = np.append(coef, 0.0)
            slot = np.where(~missing | ix["cat_missing"], ix["cat_off"] + codes, len(coef))
            total += padded[slot].sum(axis=1)
        return total


def _skew(values: np.ndarray) -> float:
    std = values.std()
    return float(((values - values.mean()) ** 3).mean() / std**3) if std > 0 else 0.0


class LogisticCandidate:
    """L2-regularised logistic regression on :class:`LinearDesign` columns."""

    name = "logistic_regression"

    def __init__(self, C: float = 1.0, random_state: int = 0):
        self.C = C
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, features: Sequence[EncodedFeature]) -> "LogisticCandidate":
        self.design_ = LinearDesign().fit(X, features)
        Z = self.design_.transform(X)
        # Newton-Cholesky: leads tables have many rows and ~100 design columns, where a few
        # Newton steps (each one X'WX) beat hundreds of L-BFGS gradient passes.
        self.model_ = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=100, tol=1e-6)
        self.model_.fit(Z, y)
        self.coef_ = self.model_.coef_.ravel().copy()
        self.intercept_ = float(self.model_.intercept_[0])
        self.design_mean_ = Z.mean(axis=0)
        return self

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.design_.dot(X, self.coef_) + self.intercept_

    def params(self) -> dict:
        return {"C": self.C, "penalty": "l2", "solver": "newton-cholesky"}


class GradientBoostingCandidate:
    """Histogram gradient boosting with native categorical splits and early stopping."""

    name = "gradient_boosting"

    def __init__(self, random_state: int = 0, learning_rate: float = 0.1, max_iter: int = 300,
                 max_leaf_nodes: int = 31, min_samples_leaf: int = 40, l2_regularization: float = 1.0,
                 max_rows: int = MAX_GBM_ROWS):
        self.random_state = random_state
        self.max_rows = max_rows
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization

    def fit(self, X: np.ndarray, y: np.ndarray, features: Sequence[EncodedFeature]) -> "GradientBoostingCandidate":
        categorical = np.array([f.kind == "cat" for f in features], dtype=bool)
        self.model_ = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate, max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=categorical if categorical.any() else None,
            early_stopping=True, validation_fraction=0.1, n_iter_no_change=20,
            random_state=self.random_state,
        )
        if len(y) > self.max_rows:
            # Beyond a few hundred thousand leads more rows barely move a 31-leaf boosting model,
            # but they cost linear time; a seeded sample keeps 1M-lead training within minutes.
            rows = np.sort(np.random.default_rng(self.random_state).choice(len(y), self.max_rows, replace=False))
            X, y = X[rows], y[rows]
        self.model_.fit(X, y)
        self.n_rows_ = int(len(y))
        return self

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.model_.decision_function(X)

    def params(self) -> dict:
        return {
            "learning_rate": self.learning_rate, "max_iter": self.max_iter,
            "n_iter": int(self.model_.n_iter_), "max_leaf_nodes": self.max_leaf_nodes,
            "min_samples_leaf": self.min_samples_leaf, "l2_regularization": self.l2_regularization,
            "rows_used": self.n_rows_,
        }


class Calibrator:
    """Raw logit -> probability, fitted on rows the model did not train on.

    ``sigmoid`` (Platt scaling: a*z + b through the logistic function) keeps the ranking and is
    stable on small calibration sets; ``isotonic`` is more flexible but creates ties.
    """

    def __init__(self, method: str = "sigmoid"):
        self.method = method

    def fit(self, z: np.ndarray, y: np.ndarray) -> "Calibrator":
        if self.method == "isotonic":
            self.iso_ = IsotonicRegression(out_of_bounds="clip", y_min=LOGIT_CLIP, y_max=1 - LOGIT_CLIP)
            self.iso_.fit(z, y)
        else:
            lr = LogisticRegression(C=1e6, max_iter=200).fit(z.reshape(-1, 1), y)
            self.a_, self.b_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def logit(self, z: np.ndarray) -> np.ndarray:
        """Calibrated log-odds (what reasons are measured in)."""
        if self.method == "isotonic":
            p = np.clip(self.iso_.predict(z), LOGIT_CLIP, 1 - LOGIT_CLIP)
            return np.log(p) - np.log1p(-p)
        return self.a_ * z + self.b_

    def predict(self, z: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return np.clip(self.iso_.predict(z), LOGIT_CLIP, 1 - LOGIT_CLIP)
        return 1.0 / (1.0 + np.exp(-(self.a_ * z + self.b_)))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def logit(p: float) -> float:
    p = min(max(p, LOGIT_CLIP), 1 - LOGIT_CLIP)
    return math.log(p / (1 - p))
