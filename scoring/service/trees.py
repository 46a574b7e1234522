"""HistGradientBoosting evaluated from its fitted node arrays, with numba, one row at a time.

scikit-learn's ``decision_function`` validates its input, loops over trees in Python and starts
OpenMP for every tree: fine for a million rows, milliseconds for one lead. Here every tree of the
fitted model is packed into flat arrays once, and a compiled loop walks them. The walk follows
``sklearn/ensemble/_hist_gradient_boosting/_predictor.pyx`` branch by branch (missing values,
categorical bitsets, unknown categories treated as missing) and adds the leaf values in the same
order, starting from the same baseline, so the sums are the same floats as scikit-learn's.

Reasons for boosting are "what if this column were typical" differences: f(x) - f(x with the
column's features set to the reference row). A tree's answer can only change for a column that
the path of ``x`` through it tests, and only if the reference value would turn off that path
at such a node; where the reference row goes from each node is computed once per model, so a
tree is walked again only from the nodes where the two rows part (see :func:`_evaluate`).
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
    # Node and column indices the walk follows are unsigned: numba then skips the negative-index
    # check on every access (measured ~12% of the walk).
    roots: np.ndarray          # (n_trees,) uint32: first node of each tree
    feature: np.ndarray        # (n_nodes,) uint32: input column tested
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
    max_depth: int             # deepest leaf (the path buffer's size)
    # What the walk reads (derived from the above by _child, so both agree by construction):
    child: np.ndarray          # (n_nodes, 2) uint32: [right, left], indexed by "goes left"; a
                               # leaf's two children are itself (a walk may take extra steps)
    cat_index: np.ndarray      # (n_nodes,) int64: row of cat_bits for categorical splits, else -1
    cat_bits: np.ndarray       # (n_categorical_splits, 5) uint64: bit v set when input code v goes
                               # left; bit 256 is for missing, unseen and non-code values
    tree_depth: np.ndarray     # (n_trees,) int64: deepest leaf of each tree (its walk's steps)
    # Nodes are numbered numeric splits first, then categorical splits, each kind grouped by
    # input column, then leaves: the splits of one column are a range of node ids, decided for
    # a row by one loop over a scalar (numeric) or one copied row of cat_table (categorical)
    # rather than one gathered value per split (measured, CPU per 1,000 sample leads, 201
    # trees: the walk without reasons 2.8 -> 2.0 ms, with them 7.6 -> 6.5 ms).
    num_columns: np.ndarray    # (n_numeric_columns,) uint32: input column of each numeric range
    num_bounds: np.ndarray     # (n_numeric_columns + 1,) int64: node ranges [b[t], b[t + 1])
    cat_columns: np.ndarray    # (n_categorical_columns,) uint32: the same for categorical splits
    cat_bounds: np.ndarray     # (n_categorical_columns + 1,) int64
    cat_table: np.ndarray      # (257, n_categorical_splits) uint8: cat_bits spread out, one row
                               # per input code (256: missing, unseen, not a code), one column
                               # per categorical split (node - cat_bounds[0])


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
    raw = dict(
        baseline=float(np.ravel(model._baseline_prediction)[0]),
        roots=np.asarray(roots, dtype=np.uint32),
        feature=order[nodes["feature_idx"].astype(np.int64)].astype(np.uint32),
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
        max_depth=int(nodes["depth"].max()),
    )
    arrays = _renumber(raw)
    child = np.stack([arrays["right"], arrays["left"]], axis=1)
    leaves = np.flatnonzero(arrays["is_leaf"])
    child[leaves] = leaves[:, None]  # fixed-length walks: a leaf leads to itself
    arrays["child"] = np.ascontiguousarray(child, dtype=np.uint32)
    split = ~arrays["is_leaf"] & arrays["is_categorical"]
    arrays["cat_index"] = np.where(split, np.cumsum(split) - 1, -1).astype(np.int64)
    arrays["cat_bits"] = _categorical_bits(np.flatnonzero(split).astype(np.int64),
                                           *_split_arrays(arrays))
    tree_of = np.repeat(np.arange(len(parts)), [len(p[0]) for p in parts])
    depth = np.zeros(len(parts), dtype=np.int64)
    np.maximum.at(depth, tree_of, nodes["depth"].astype(np.int64))
    arrays["tree_depth"] = depth
    numeric = np.flatnonzero(~arrays["is_leaf"] & ~split)  # 0 .. n_numeric - 1 (_renumber)
    categorical = np.flatnonzero(split)  # then these; the k-th has row k of cat_bits
    arrays["num_columns"], arrays["num_bounds"] = _ranges(numeric, arrays["feature"])
    arrays["cat_columns"], arrays["cat_bounds"] = _ranges(categorical, arrays["feature"])
    codes = np.arange(257, dtype=np.uint64)
    words = arrays["cat_bits"][:, (codes >> np.uint64(6)).astype(np.int64)]  # (n_splits, 257)
    bits = (words >> (codes & np.uint64(63))) & np.uint64(1)
    arrays["cat_table"] = np.ascontiguousarray(bits.T.astype(np.uint8))
    return PackedTrees(**arrays)


def _renumber(arrays: dict) -> dict:
    """``arrays`` with the nodes numbered numeric splits, categorical splits, leaves; splits of
    each kind by input column, and in node order within one (see :class:`PackedTrees`)."""
    is_leaf, is_categorical = arrays["is_leaf"], arrays["is_categorical"]
    n = is_leaf.shape[0]
    kind = np.where(is_leaf, 2, np.where(is_categorical, 1, 0))
    column = np.where(is_leaf, 0, arrays["feature"].astype(np.int64))
    order = np.lexsort((np.arange(n), column, kind))
    new_id = np.empty(n, dtype=np.int64)
    new_id[order] = np.arange(n)
    out = dict(arrays)
    for key in ("feature", "threshold", "missing_left", "is_leaf", "value", "is_categorical",
                "left_cat"):
        out[key] = np.ascontiguousarray(arrays[key][order])
    for key in ("left", "right"):
        out[key] = new_id[arrays[key][order]]
    out["roots"] = new_id[arrays["roots"].astype(np.int64)].astype(np.uint32)
    return out


def _ranges(nodes: np.ndarray, feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(input column, node bounds) of the runs of consecutive ``nodes`` testing one column."""
    if nodes.size == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(1, dtype=np.int64)
    columns = feature[nodes]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(columns.astype(np.int64))) + 1])
    bounds = np.concatenate([nodes[starts], [nodes[-1] + 1]]).astype(np.int64)
    return columns[starts].astype(np.uint32), bounds


def _child(node, x, f, threshold, missing_left, left, right, is_categorical, left_cat,
           known_cat, cat_map):
    """The child ``x`` (the value of input column ``f``) goes to from ``node``.

    Mirrors ``_predict_one_from_raw_data`` in scikit-learn's ``_predictor.pyx``, preceded by the
    OrdinalEncoder step for categorical nodes (values never seen in training count as missing).
    """
    if is_categorical[node]:
        code = -1
        if not np.isnan(x) and 0 <= x < 256 and x == np.floor(x):
            code = cat_map[f, np.int64(x)]
        if code < 0:
            return left[node] if missing_left[node] else right[node]
        if (left_cat[node, code >> 5] >> (code & 31)) & 1:
            return left[node]
        if (known_cat[f, code >> 5] >> (code & 31)) & 1:
            return right[node]
        return left[node] if missing_left[node] else right[node]
    if np.isnan(x):
        return left[node] if missing_left[node] else right[node]
    return left[node] if x <= threshold[node] else right[node]


def _categorical_bits(nodes, feature, threshold, missing_left, left, right, is_categorical,
                      left_cat, known_cat, cat_map):
    """Per categorical split in ``nodes``: which input codes 0-255 (and NaN, bit 256) go left."""
    bits = np.zeros((nodes.shape[0], 5), dtype=np.uint64)
    for k in range(nodes.shape[0]):
        node = nodes[k]
        f = feature[node]
        for v in range(257):
            x = np.float64(v) if v < 256 else np.nan
            if _child(node, x, f, threshold, missing_left, left, right, is_categorical, left_cat,
                      known_cat, cat_map) == left[node]:
                bits[k, v >> 6] |= np.uint64(1) << np.uint64(v & 63)
    return bits


LANES = 4  # leads walked at once by _evaluate (its loops are written out for four)


def _decide_splits(row, goes_left, threshold, missing_left, num_columns, num_bounds, cat_columns,
                   cat_bounds, cat_table):
    """``goes_left[node]`` (0/1) for every split of every tree, for one input ``row``.

    The numeric splits of one input column are a range of nodes, decided by one comparison
    loop over that range (or copied from where missing values go); the categorical splits of
    one column are the row of ``cat_table`` for the row's code, precomputed by :func:`_child`
    (so the branch logic lives in one place). Leaves stay 0."""
    first_cat = cat_bounds[0]
    # (Slices and an explicit uint8 let LLVM vectorise these loops: 1.1 -> 0.85 ms.)
    for t in range(num_columns.shape[0]):
        x = row[num_columns[t]]
        lo, hi = num_bounds[t], num_bounds[t + 1]
        if np.isnan(x):
            goes_left[lo:hi] = missing_left[lo:hi]
        else:
            for node in range(lo, hi):
                goes_left[node] = np.uint8(threshold[node] >= x)
    for t in range(cat_columns.shape[0]):
        x = row[cat_columns[t]]
        code = 256  # missing, negative, fractional or too large
        if 0 <= x < 256 and x == np.floor(x):
            code = np.int64(x)
        lo, hi = cat_bounds[t], cat_bounds[t + 1]
        goes_left[lo:hi] = cat_table[code, lo - first_cat:hi - first_cat]


def _drops_of_tree(i, lane, parts, parting, path, goes_left, r, depth, leaf_value, parted, node_group,
                   ref_child, child, value, drops):
    """Add tree ``r``'s part to ``drops[i]``: for each group whose reference row parts from the
    path of lead ``i`` (walked in ``lane``: its ``path`` and the ``parts`` steps of ``parting``
    where the reference goes the other way), the leaf value minus that of the row with the
    group's features from the reference (see :func:`_evaluate`)."""
    for q in range(parts):
        s = parting[lane, q]
        at = path[lane, s]
        g = node_group[at]
        if parted[lane, g] == r:  # parted earlier on this path: the first parting decides
            continue
        parted[lane, g] = r
        node = ref_child[at]
        for _ in range(depth - s - 1):
            node = ref_child[node] if node_group[node] == g else child[node, goes_left[node]]
        drops[i, g] += leaf_value - value[node]


def _evaluate(X, with_drops, ref_child, ref_left, node_group, n_groups, max_depth, baseline, roots,
              is_leaf, value, child, tree_depth, threshold, missing_left, num_columns, num_bounds, cat_columns,
              cat_bounds, cat_table):
    """(f(x), f(x) - f(x with group g's features from the reference row) for every g), per row.

    First every split of every tree is decided for the row at once (:func:`_decide_splits`).
    Then each tree is walked a fixed number of steps (its depth; a leaf leads to itself), so the
    walk is a chain of loads with no unpredictable branch. Deciding every split costs less than
    the branch misses of deciding along the way (measured 2x on the walk without reasons). Four
    leads (LANES) are walked through each tree at once, their loops written out: four chains of
    loads the CPU runs side by side, where one lead's chain waits on each load (measured on
    1,000 sample leads, calls of the two versions taking turns: with reasons and the top three
    picked, 0.90-0.93x the time of one lead at once; without reasons 0.79x. In a first draft,
    two lanes were 0.8-0.94x and eight 0.84-1.04x where four were 0.74-0.91x).

    For each tree, the path of ``x`` is recorded, and the steps where the reference row would
    go the other way (``ref_left``). Along it, a node testing group g sends the reference row
    to ``ref_child[node]``; while that is the child ``x`` took, the modified row follows the
    same path, so only the first node where they part is walked on (with g's features from
    the reference: :func:`_drops_of_tree`). Groups that never part keep the same leaf: their
    drop gets nothing from this tree (listing the parting steps during the walk, rather than
    testing every step after it, measured 6.8 -> 6.0 ms per 1,000 sample leads). Leaf values
    are added tree by tree from the baseline, in scikit-learn's order, so f(x) is the same
    float as ``decision_function``, and each lead's drops are added in tree order as before.
    """
    n = X.shape[0]
    base = np.empty(n)
    drops = np.zeros((n, n_groups if with_drops else 0))
    path = np.empty((LANES, max_depth + 1), dtype=np.int64)
    parting = np.empty((LANES, max_depth + 1), dtype=np.int64)  # where on the path the reference parts
    parted = np.full((LANES, max(n_groups, 1)), -1, dtype=np.int64)  # tree in which group g last parted
    goes_left = np.zeros((LANES, is_leaf.shape[0]), dtype=np.uint8)  # stays 0 for leaves
    missing_left = missing_left.view(np.uint8)
    full = n - n % LANES
    for i in range(0, full, LANES):
        for lane in range(LANES):
            _decide_splits(X[i + lane], goes_left[lane], threshold, missing_left, num_columns, num_bounds,
                           cat_columns, cat_bounds, cat_table)
        g0, g1, g2, g3 = goes_left[0], goes_left[1], goes_left[2], goes_left[3]
        a0 = a1 = a2 = a3 = baseline
        if not with_drops:
            for r in range(roots.shape[0]):
                n0 = n1 = n2 = n3 = roots[r]
                for _ in range(tree_depth[r]):
                    n0 = child[n0, g0[n0]]
                    n1 = child[n1, g1[n1]]
                    n2 = child[n2, g2[n2]]
                    n3 = child[n3, g3[n3]]
                a0 += value[n0]
                a1 += value[n1]
                a2 += value[n2]
                a3 += value[n3]
        else:
            for r in range(roots.shape[0]):
                n0 = n1 = n2 = n3 = roots[r]
                depth = tree_depth[r]
                p0 = p1 = p2 = p3 = 0
                for d in range(depth):
                    path[0, d] = n0
                    path[1, d] = n1
                    path[2, d] = n2
                    path[3, d] = n3
                    e0, e1, e2, e3 = g0[n0], g1[n1], g2[n2], g3[n3]
                    # Each step is kept when the reference goes the other way (no branch); 0 at
                    # leaves: both "go" right.
                    parting[0, p0] = d
                    parting[1, p1] = d
                    parting[2, p2] = d
                    parting[3, p3] = d
                    p0 += e0 ^ ref_left[n0]
                    p1 += e1 ^ ref_left[n1]
                    p2 += e2 ^ ref_left[n2]
                    p3 += e3 ^ ref_left[n3]
                    n0, n1, n2, n3 = child[n0, e0], child[n1, e1], child[n2, e2], child[n3, e3]
                v0, v1, v2, v3 = value[n0], value[n1], value[n2], value[n3]
                a0 += v0
                a1 += v1
                a2 += v2
                a3 += v3
                # (Written out too: a loop over the lanes measured 1.2x the time of one lane.)
                if p0:
                    _drops_of_tree(i, 0, p0, parting, path, g0, r, depth, v0, parted, node_group, ref_child,
                                   child, value, drops)
                if p1:
                    _drops_of_tree(i + 1, 1, p1, parting, path, g1, r, depth, v1, parted, node_group, ref_child,
                                   child, value, drops)
                if p2:
                    _drops_of_tree(i + 2, 2, p2, parting, path, g2, r, depth, v2, parted, node_group, ref_child,
                                   child, value, drops)
                if p3:
                    _drops_of_tree(i + 3, 3, p3, parting, path, g3, r, depth, v3, parted, node_group, ref_child,
                                   child, value, drops)
            parted[:] = -1
        base[i], base[i + 1], base[i + 2], base[i + 3] = a0, a1, a2, a3
    # The last n % LANES leads one at a time (in lane 0): a lone lead, the endpoint's most
    # common call, walked in four lanes took 1.46x the time of one (three lanes of stale rows).
    for i in range(full, n):
        _decide_splits(X[i], goes_left[0], threshold, missing_left, num_columns, num_bounds, cat_columns,
                       cat_bounds, cat_table)
        g0 = goes_left[0]
        acc = baseline
        for r in range(roots.shape[0]):
            node = roots[r]
            depth = tree_depth[r]
            parts = 0
            for d in range(depth):
                if with_drops:
                    path[0, d] = node
                    parting[0, parts] = d
                    parts += g0[node] ^ ref_left[node]
                node = child[node, g0[node]]
            acc += value[node]
            if parts:
                _drops_of_tree(i, 0, parts, parting, path, g0, r, depth, value[node], parted, node_group,
                               ref_child, child, value, drops)
        parted[:] = -1
        base[i] = acc
    return base, drops


def _before(a, b):
    """numpy's sort order: ``a`` before ``b`` (NaN after every number)."""
    return a < b or (b != b and a == a)


def top_columns(values, k):
    """(columns, values) of the ``k`` largest ``|value|`` of each row, largest first: the same
    as ``np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]`` (equal sizes in column
    order, NaN last) and the values there, without sorting whole rows."""
    n, m = values.shape
    top = np.empty((n, k), dtype=np.int64)
    chosen = np.empty((n, k))
    for i in range(n):
        row = values[i]
        for s in range(k):
            best = -1
            for j in range(m):
                taken = False
                for t in range(s):
                    taken |= top[i, t] == j
                if not taken and (best < 0 or _before(-abs(row[j]), -abs(row[best]))):
                    best = j
            top[i, s] = best
            chosen[i, s] = row[best]
    return top, chosen


def _evaluate_top(X, ref_child, ref_left, node_group, n_groups, scale, k, max_depth, baseline, roots,
                  is_leaf, value, child, tree_depth, threshold, missing_left, num_columns, num_bounds,
                  cat_columns, cat_bounds, cat_table):
    """:func:`_evaluate` with reasons, the drops times ``scale``, and their :func:`top_columns`:
    one call, so a walker thread holds the GIL only to start and to return.

    ``top_columns`` is compiled without numba's file cache: once this function was loaded
    from the cache, a direct call of a cached ``top_columns`` failed to hand back its arrays
    ("In 'NRT_adapt_ndarray_to_python', 'descr' is NULL", numba 0.68.1; seen in the tests)."""
    base, drops = _evaluate(X, True, ref_child, ref_left, node_group, n_groups, max_depth, baseline,
                            roots, is_leaf, value, child, tree_depth, threshold, missing_left,
                            num_columns, num_bounds, cat_columns, cat_bounds, cat_table)
    contributions = scale * drops
    top, chosen = top_columns(contributions, k)
    return base, contributions, top, chosen


if HAVE_NUMBA:
    _child = numba.njit(cache=True, nogil=True)(_child)
    _categorical_bits = numba.njit(cache=True)(_categorical_bits)
    _decide_splits = numba.njit(cache=True, nogil=True)(_decide_splits)
    _drops_of_tree = numba.njit(cache=True, nogil=True, inline="always")(_drops_of_tree)
    _evaluate = numba.njit(cache=True, nogil=True)(_evaluate)
    _before = numba.njit(cache=True, nogil=True)(_before)
    top_columns = numba.njit(nogil=True)(top_columns)  # not cached: see _evaluate_top
    _evaluate_top = numba.njit(cache=True, nogil=True)(_evaluate_top)


@dataclass(frozen=True)
class ReferenceLayout:
    """Per node of :class:`PackedTrees`: the group of its feature and the reference row's child."""

    node_group: np.ndarray  # (n_nodes,) int64, -1 for leaves
    ref_child: np.ndarray   # (n_nodes,) uint32 (unused for leaves)
    ref_left: np.ndarray    # (n_nodes,) uint8: 1 where the reference row goes left, 0 at leaves
    n_groups: int


def reference_layout(trees: "PackedTrees", ref: np.ndarray, group_of: np.ndarray,
                     n_groups: int) -> ReferenceLayout:
    """Where the reference row ``ref`` goes from every split node (it is the same for every lead)."""
    ref = np.ascontiguousarray(ref, dtype=np.float64)
    group_of = np.asarray(group_of, dtype=np.int64)
    node_group = np.full(trees.feature.shape[0], -1, dtype=np.int64)
    ref_child = np.zeros(trees.feature.shape[0], dtype=np.uint32)
    for node in np.flatnonzero(~trees.is_leaf).tolist():
        f = int(trees.feature[node])
        node_group[node] = group_of[f]
        ref_child[node] = _child(node, ref[f], f, trees.threshold, trees.missing_left, trees.left,
                                 trees.right, trees.is_categorical, trees.left_cat,
                                 trees.known_cat, trees.cat_map)
    ref_left = ((ref_child == trees.child[:, 1]) & ~trees.is_leaf).astype(np.uint8)
    return ReferenceLayout(node_group, ref_child, ref_left, int(n_groups))


def _split_arrays(t: dict) -> tuple:
    """The arguments of :func:`_child` after the node, value and column."""
    return (t["feature"], t["threshold"], t["missing_left"], t["left"], t["right"],
            t["is_categorical"], t["left_cat"], t["known_cat"], t["cat_map"])


def _arrays(t: PackedTrees) -> tuple:
    return (t.max_depth, t.baseline, t.roots, t.is_leaf, t.value, t.child, t.tree_depth,
            t.threshold, t.missing_left, t.num_columns, t.num_bounds, t.cat_columns, t.cat_bounds,
            t.cat_table)


NO_NODES = np.zeros(0, dtype=np.int64)
NO_LEFT = np.zeros(0, dtype=np.uint8)


def raw_predict(trees: PackedTrees, X: np.ndarray) -> np.ndarray:
    """Raw (logit-scale) prediction per row, equal to ``model.decision_function(X)``."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    return _evaluate(X, False, NO_NODES, NO_LEFT, NO_NODES, 0, *_arrays(trees))[0]


def raw_predict_with_drops(trees: PackedTrees, X: np.ndarray,
                           layout: ReferenceLayout) -> tuple[np.ndarray, np.ndarray]:
    """(raw prediction, its drop when each group's features are set to the reference row).

    The drop is f(x) - f(x with the group from the reference), accumulated tree by tree (it
    equals the difference of the two sums to ~1e-15, without their cancellation).
    """
    return _evaluate(np.ascontiguousarray(X, dtype=np.float64), True, layout.ref_child, layout.ref_left,
                     layout.node_group, layout.n_groups, *_arrays(trees))


def raw_predict_top(trees: PackedTrees, X: np.ndarray, layout: ReferenceLayout, scale: float,
                    k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(raw prediction, ``scale`` times the drops of :func:`raw_predict_with_drops`, and the
    columns and values of each row's ``k`` largest of those, as :func:`top_columns`)."""
    k = min(k, layout.n_groups)
    return _evaluate_top(np.ascontiguousarray(X, dtype=np.float64), layout.ref_child, layout.ref_left,
                         layout.node_group, layout.n_groups, float(scale), k, *_arrays(trees))
