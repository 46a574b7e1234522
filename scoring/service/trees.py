"""HistGradientBoosting evaluated from its fitted node arrays, with numba, one row at a time.

scikit-learn's ``decision_function`` validates its input, loops over trees in Python and starts
OpenMP for every tree: fine for a million rows, milliseconds for one lead. Here every tree of the
fitted model is packed into flat arrays once, and a compiled loop walks them. The walk follows
``sklearn/ensemble/_hist_gradient_boosting/_predictor.pyx`` branch by branch (missing values,
categorical bitsets, unknown categories treated as missing) and adds the leaf values in the same
order, starting from the same baseline, so the sums are the same floats as scikit-learn's.

Reasons for boosting are "what if this column were typical" differences: f(x) - f(x with the
column's features set to the reference row). A tree's answer can only change for a column that
the path of ``x`` through it tests, so each tree is re-walked only for the few columns on that
path, not for every column.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # numba is optional: without it scikit-learn does the work (same numbers, slower)
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is absent
    numba = None

HAVE_NUMBA = numba is not None


@dataclass(frozen=True)
class PackedTrees:
    """All trees of a binary HistGradientBoostingClassifier in flat arrays (node ids are global)."""

    baseline: float
    roots: np.ndarray          # (n_trees,) int64: first node of each tree
    feature: np.ndarray        # (n_nodes,) int64
    threshold: np.ndarray      # (n_nodes,) float64
    missing_left: np.ndarray   # (n_nodes,) bool
    left: np.ndarray           # (n_nodes,) int64 (global)
    right: np.ndarray          # (n_nodes,) int64 (global)
    is_leaf: np.ndarray        # (n_nodes,) bool
    value: np.ndarray          # (n_nodes,) float64
    is_categorical: np.ndarray  # (n_nodes,) bool
    left_cat: np.ndarray       # (n_nodes, 8) uint32: categories that go left (for categorical nodes)
    known_cat: np.ndarray      # (n_features, 8) uint32: categories seen in training, per feature
    cat_map: np.ndarray        # (n_features, 256) int64: input code -> category rank, -1 unseen


def _input_layout(model) -> tuple[np.ndarray, np.ndarray]:
    """(input column of each of the model's internal columns, code -> category index table).

    With categorical features, HistGradientBoosting puts an OrdinalEncoder in front of the trees:
    categorical columns first, then numeric ones, and each category value replaced by its rank
    among the values seen in training (unseen values become missing). The trees' feature indices
    and bitsets refer to that internal layout; the table lets the walk read the input row as is.
    """
    n_features = int(model.n_features_in_)
    cat_map = np.full((n_features, 256), -1, dtype=np.int64)
    if getattr(model, "_preprocessor", None) is None:
        return np.arange(n_features, dtype=np.int64), cat_map
    is_cat = np.asarray(model.is_categorical_, dtype=bool)
    order = np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)]).astype(np.int64)
    encoder = model._preprocessor.named_transformers_["encoder"]
    for column, categories in zip(np.flatnonzero(is_cat), encoder.categories_):
        for rank, value in enumerate(np.asarray(categories, dtype=np.float64)):
            if np.isfinite(value) and 0 <= value < 256 and value == np.floor(value):
                cat_map[column, int(value)] = rank
    return order, cat_map


def pack_hgb(model) -> PackedTrees:
    """Pack a fitted binary ``HistGradientBoostingClassifier`` (``model``)."""
    if model.n_trees_per_iteration_ != 1:
        raise ValueError("only binary HistGradientBoostingClassifier models can be packed")
    order, cat_map = _input_layout(model)
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    n_features = int(model.n_features_in_)
    known_cat = np.zeros((n_features, 8), dtype=np.uint32)  # indexed by *input* column
    internal_cat = getattr(model, "_is_categorical_remapped", None)
    if internal_cat is None:
        internal_cat = model.is_categorical_
    for internal in range(n_features):
        if internal_cat is not None and internal_cat[internal] and known.shape[0]:
            known_cat[order[internal]] = known[f_idx_map[internal]]
    parts, roots, offset = [], [], 0
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        left_cat = np.zeros((len(nodes), 8), dtype=np.uint32)
        cat = nodes["is_categorical"].astype(bool) & ~nodes["is_leaf"].astype(bool)
        if cat.any():
            left_cat[cat] = predictor.raw_left_cat_bitsets[nodes["bitset_idx"][cat]]
        parts.append((nodes, left_cat, offset))
        roots.append(offset)
        offset += len(nodes)
    nodes = np.concatenate([p[0] for p in parts])
    shift = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
    return PackedTrees(
        baseline=float(np.ravel(model._baseline_prediction)[0]),
        roots=np.asarray(roots, dtype=np.int64),
        feature=order[nodes["feature_idx"].astype(np.int64)],
        threshold=nodes["num_threshold"].astype(np.float64),
        missing_left=nodes["missing_go_to_left"].astype(bool),
        left=nodes["left"].astype(np.int64) + shift,
        right=nodes["right"].astype(np.int64) + shift,
        is_leaf=nodes["is_leaf"].astype(bool),
        value=nodes["value"].astype(np.float64),
        is_categorical=nodes["is_categorical"].astype(bool),
        left_cat=np.ascontiguousarray(np.concatenate([p[1] for p in parts]).astype(np.int64)),
        known_cat=known_cat.astype(np.int64),
        cat_map=cat_map,
    )


def _walk(row, ref, group_of, sub_group, first, record, root, feature, threshold, missing_left,
          left, right, is_leaf, is_categorical, left_cat, known_cat, cat_map):
    """Leaf reached by ``row`` from ``root``, reading group ``sub_group``'s features from ``ref``.

    Mirrors ``_predict_one_from_raw_data`` in scikit-learn's ``_predictor.pyx``, preceded by the
    OrdinalEncoder step for categorical nodes. With ``record``, ``first[g]`` receives the first
    node on the way that tests group g (for groups still at -1).
    """
    node = root
    while not is_leaf[node]:
        f = feature[node]
        g = group_of[f]
        if record and first[g] < 0:
            first[g] = node
        x = ref[f] if g == sub_group else row[f]
        if is_categorical[node]:
            go_missing = np.isnan(x)
            if not go_missing:
                # Rank among training values; values never seen in training count as missing.
                if x < 0 or x >= 256 or x != np.floor(x) or cat_map[f, np.int64(x)] < 0:
                    go_missing = True
            if go_missing:
                node = left[node] if missing_left[node] else right[node]
                continue
            code = cat_map[f, np.int64(x)]
            if (left_cat[node, code >> 5] >> (code & 31)) & 1:
                node = left[node]
            elif (known_cat[f, code >> 5] >> (code & 31)) & 1:
                node = right[node]
            else:
                node = left[node] if missing_left[node] else right[node]
        elif np.isnan(x):
            node = left[node] if missing_left[node] else right[node]
        elif x <= threshold[node]:
            node = left[node]
        else:
            node = right[node]
    return node


def _raw_predict(X, group_of, n_groups, baseline, roots, feature, threshold, missing_left, left,
                 right, is_leaf, value, is_categorical, left_cat, known_cat, cat_map):
    n = X.shape[0]
    out = np.empty(n)
    first = np.full(max(n_groups, 1), -1, dtype=np.int64)
    for i in range(n):
        row = X[i]
        acc = baseline
        for r in range(roots.shape[0]):
            node = _walk(row, row, group_of, -1, first, True, roots[r], feature, threshold,
                         missing_left, left, right, is_leaf, is_categorical, left_cat, known_cat,
                         cat_map)
            acc += value[node]
        out[i] = acc
    return out


def _raw_predict_with_reference(X, ref, group_of, n_groups, baseline, roots, feature, threshold,
                                missing_left, left, right, is_leaf, value, is_categorical,
                                left_cat, known_cat, cat_map):
    """(f(x), f(x with group g's features taken from ``ref``) for every g), per row.

    Leaf values are added tree by tree in the order scikit-learn adds them, so both results
    are the same floats as ``decision_function`` on the (modified) rows.
    """
    n = X.shape[0]
    base = np.empty(n)
    alt = np.empty((n, n_groups))
    first = np.empty(n_groups, dtype=np.int64)
    for i in range(n):
        row = X[i]
        acc = baseline
        for g in range(n_groups):
            alt[i, g] = baseline
        for r in range(roots.shape[0]):
            first[:] = -1
            node = _walk(row, row, group_of, -1, first, True, roots[r], feature, threshold,
                         missing_left, left, right, is_leaf, is_categorical, left_cat, known_cat,
                         cat_map)
            leaf_value = value[node]
            acc += leaf_value
            for g in range(n_groups):
                if first[g] < 0:  # the path never reads this group: same leaf
                    alt[i, g] += leaf_value
                    continue
                # Up to the first node testing g both rows take the same way: start there.
                node = _walk(row, ref, group_of, g, first, False, first[g], feature, threshold,
                             missing_left, left, right, is_leaf, is_categorical, left_cat,
                             known_cat, cat_map)
                alt[i, g] += value[node]
        base[i] = acc
    return base, alt


if HAVE_NUMBA:
    _walk = numba.njit(cache=True, nogil=True)(_walk)
    _raw_predict = numba.njit(cache=True, nogil=True)(_raw_predict)
    _raw_predict_with_reference = numba.njit(cache=True, nogil=True)(_raw_predict_with_reference)


def _arrays(t: PackedTrees) -> tuple:
    return (t.baseline, t.roots, t.feature, t.threshold, t.missing_left, t.left, t.right,
            t.is_leaf, t.value, t.is_categorical, t.left_cat, t.known_cat, t.cat_map)


def raw_predict(trees: PackedTrees, X: np.ndarray) -> np.ndarray:
    """Raw (logit-scale) prediction per row, equal to ``model.decision_function(X)``."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    group_of = np.zeros(X.shape[1], dtype=np.int64)
    return _raw_predict(X, group_of, 1, *_arrays(trees))


def raw_predict_with_reference(trees: PackedTrees, X: np.ndarray, ref: np.ndarray,
                               group_of: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(raw prediction, raw prediction with each group's features set to ``ref``)."""
    return _raw_predict_with_reference(
        np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(ref, dtype=np.float64),
        np.ascontiguousarray(group_of, dtype=np.int64), int(n_groups), *_arrays(trees))
