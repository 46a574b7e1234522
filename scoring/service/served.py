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
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from typing import Any, Iterator, Protocol, Sequence

import numpy as np
import orjson

from scoring.service.columns import FlagSets, encode_columns, encode_distinct, with_unknown_fields
from scoring.service.hotpath import CACHE_SIZE, ID_FIELD, RecordEncoder, field_key
from scoring.service.linear import LinearRowPath
from scoring.service.scan import FieldNames, read_batch
from scoring.service.scanned import FieldValues
from scoring.service.texts import ValueTexts, value_text
from scoring.service.writer import HAVE_NUMBA as HAVE_WRITER
from scoring.service.writer import Pieces, write_answers
from scoring.service.trees import (HAVE_NUMBA, pack_hgb, raw_predict_top, raw_predict_with_drops,
                                   reference_layout)

log = logging.getLogger("scoring.service")

N_REASONS = 3
ROW_PATH_MAX = 8      # up to this many leads, the linear model is evaluated row by row
# From this many leads, answers are written as bytes (_answer_items), below as dicts lead by lead
# (_answers): per batch, bytes cost ~0.1 ms more to start and less per lead. Measured (median of
# 400, server's GC setting, gradient boosting): 16 leads 0.20 ms as dicts vs 0.25 as bytes, 32
# 0.29 vs 0.32, 64 0.27 vs 0.27, 300 1.05 vs 0.68.
BYTES_MIN = 64
CHECK_TOLERANCE = 1e-9
PARALLEL_MIN = 256    # from this many leads, a boosting batch's first part is walked on a walker thread
WALKERS = 2           # walker threads, shared by every model of the process (one per batch at a time)
# Where such a batch is cut into parts (shares of it): each part but the last is walked on a
# walker thread while the ones after it are encoded, and the last on the answering thread
# itself, which would otherwise wait (on the project's 2-core VM, a thread woken from a wait
# took 1-2 ms to run again while the other core walked). Measured on the 1,000-lead sample
# batch over HTTP, 8 rounds of 40 alternating with the walk on two walker threads: median p50
# 20.3 vs 22.4 ms; in-process, first parts of 0.5-0.6 and (0.35, 0.7) were within noise of
# each other, 0.7 was slower.
PARTS = (0.6,)
# A batch read from its body (score_body) is encoded at once: a walker thread walks this share
# of it while the answering thread walks and answers the rest, then answers the walker's part.
# Measured with ``python -m bench.bench_batch_path --walker-shares 0.5,0.6,0.65,0.7`` (median
# wall time per 1,000-lead batch, three runs): 0.6 was fastest each time, 0.06-0.95 ms below
# 0.5; 0.7 was the slowest.
WALKER_SHARE = 0.6
CACHED_TYPES = frozenset({str, float, int})  # value types whose reason texts are remembered
# The constant parts of an answer's JSON (_answer_items), as orjson writes them.
OPEN_FIRST, OPEN_NEXT = b'{"lead_id":', b'},{"lead_id":'
PROBABILITY = b',"probability":'
# Before a reason: nothing (not shown), "{" (the lead's first), "},{" (a later one).
REASON_OPEN = np.array([b"", b"{", b"},{"], dtype=object)
# After its field and value: nothing (not shown), its direction (by "contribution > 0").
DIRECTION = np.array([b"", b',"direction":"-","contribution":', b',"direction":"+","contribution":'],
                     dtype=object)
FLAGS = np.array([b'],"flags":', b'}],"flags":'], dtype=object)  # by "has a reason"
NO_FLAGS = b"[]"


_COMPILED = threading.Event()  # the body reader and the answer writer are compiled (_compile)


@functools.lru_cache(maxsize=None)
def _compiling() -> threading.Thread:
    """Compile the body reader and the answer writer once per process, on a thread of their
    own: with an empty numba cache that takes ~45 s (measured), which no request should wait
    for. Until it is done, batches take the parse path (same bytes); ``warm_up`` waits for it."""
    def compile_all() -> None:
        try:
            lead = {ID_FIELD: "a", "n": 1.5, "i": 2, "d": "2026-01-02 03:04:05", "t": "x", "b": True, "z": None,
                    "o": [1], "u": 0}
            body = orjson.dumps({"leads": [lead, lead]})  # read in two halves (split_min=0)
            batch = read_batch(body, [ID_FIELD, "n", "i", "d", "t", "b", "z", "o"], [4, 5], 10,
                               lambda name: 1 if name == "u" else None, _walkers(), 0)  # "u" spells "n"
            if batch is not None:
                batch.days(3)
                batch.floats(1)
                batch.distinct(4)
                batch.pick_distinct(1, np.zeros(1, dtype=np.int64))
                batch.pick_distinct(4, np.zeros(1, dtype=np.int64))
            if HAVE_WRITER:
                one = Pieces.of([b"x"])
                shown, index = np.zeros((1, 1), dtype=bool), np.zeros((1, 1), dtype=np.int64)
                write_answers(one, one, one, np.zeros(1, dtype=np.int64), shown, shown, one, index, one,
                              index, one)
        except Exception:  # never fatal: batches keep the parse path
            log.exception("compiling the batch body reader failed; batches are parsed as before")
            return
        _COMPILED.set()

    thread = threading.Thread(target=compile_all, name="compile-fast-paths", daemon=True)
    thread.start()
    return thread


@functools.lru_cache(maxsize=None)
def _walkers() -> ThreadPoolExecutor:
    """The threads for the tree walk, shared by every model of the process (made on first use)."""
    return ThreadPoolExecutor(max_workers=WALKERS, thread_name_prefix="tree-walk")


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


def _chunks(start: int, X: np.ndarray, flags: list, ids: list, columns: dict | None,
            shares: Sequence[float]) -> Iterator[tuple]:
    """The encoded leads ``start`` on in runs cut at ``shares`` of them: (start, stop, X, flags,
    ids, columns, last), ``last`` for the run that ends them."""
    for a, b in _bounds(X.shape[0], *shares):
        yield (start + a, start + b, X[a:b], flags[a:b], ids[a:b],
               {name: values[a:b] for name, values in columns.items()} if columns else columns,
               b == X.shape[0])


def _flag_pieces(flags: Sequence[list[str]] | FlagSets) -> Pieces:
    """Each lead's flags as JSON (each distinct list of FlagSets dumped once)."""
    if isinstance(flags, FlagSets):
        unique = Pieces.of([orjson.dumps(f) if f else NO_FLAGS for f in flags.lists])
        return Pieces(unique.data, unique.starts[flags.index], unique.stops[flags.index])
    return Pieces.of([orjson.dumps(f) if f else NO_FLAGS for f in flags])


def _id_json(ids: Sequence[Any] | Pieces) -> list[bytes]:
    """The lead ids as JSON (``Pieces``: as the request's body wrote them)."""
    return ids.tolist() if isinstance(ids, Pieces) else list(map(orjson.dumps, ids))


class _ColumnsGaveUp(Exception):
    """A part of a batch needs the lead-by-lead encoding (to be read or reported)."""


def _bounds(n: int, *shares: float) -> list[tuple[int, int]]:
    """(start, stop) of the parts of ``n`` rows cut at the given shares of ``n``."""
    cuts = [0, *(int(n * share) for share in shares), n]
    return list(zip(cuts, cuts[1:]))


def _round4(values: np.ndarray) -> np.ndarray:
    """``round(v, 4)`` for every value, vectorised: numpy's scaled rounding agrees with Python's
    correctly rounded one except next to a tie, and those few are done by Python."""
    scaled = values * 1e4
    out = np.round(values, 4)
    near_tie = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    for index in zip(*np.nonzero(near_tie)):
        out[index] = round(float(values[index]), 4)
    return out


def _top_reasons(contributions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(columns, values) of each row's ``k`` largest ``|contribution|``, largest first and
    stable on ties, as ``scoring.reasons.top_reasons`` orders them."""
    columns = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :k]
    return columns, np.take_along_axis(contributions, columns, axis=1)


def _numbers(values: np.ndarray) -> list[bytes]:
    """Each number as orjson writes it (a float64 or int64 in numpy as the same Python number),
    from one dump of the array."""
    if values.size == 0:
        return []
    return orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",")


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
        # For score_body: the fields a lead may carry, and those whose texts are looked up
        # (categories, yes/no): their repeated values are found once, by the scan.
        self._field_names = FieldNames(self.records.field_names)
        _compiling()  # the body reader and the writer, on their own thread (once per process)
        self._text_fields = [f for f, rule in enumerate(self.records.rules, start=1)
                             if rule.kind in ("categorical", "boolean")]
        self.groups = list(scorer.groups_)
        features = scorer.encoder_.features_
        self.group_of = np.array([self.groups.index(f.group) for f in features], dtype=np.int64)
        self._text_caches: list[dict[tuple, str]] = [{} for _ in self.groups]
        self._texts = ValueTexts()
        self.family = scorer.model_.name
        calibrator = scorer.calibrator_
        self.scale = calibrator.a_ if calibrator.method == "sigmoid" else 1.0
        self.tier_cuts = tuple(float(t) for t in scorer.tier_thresholds_)
        # The tier of every whole score 0-100, from the scorer's own rule (one lookup per batch).
        self._tier_of_score = np.asarray(scorer.tiers(np.arange(101.0)), dtype=object)
        self._score_tier = np.empty(101, dtype=object)  # the same, as the answer's JSON
        self._score_tier[:] = [b',"score":%d,"tier":%b,"reasons":[' % (s, orjson.dumps(t))
                               for s, t in enumerate(self._tier_of_score.tolist())]
        self._score_tier_pieces = Pieces.of(self._score_tier.tolist())
        self._feature_keys = [b'"feature":' + orjson.dumps(g) + b',"value":' for g in self.groups]
        self._heads: list[dict[str, bytes]] = [{} for _ in self.groups]
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
        answers = self._scored(leads)
        return orjson.loads(answers) if isinstance(answers, bytes) else answers

    def score_json(self, leads: Sequence[Any]) -> bytes:
        """:meth:`score`'s answers as the JSON array the endpoint sends."""
        answers = self._scored(leads)
        return answers if isinstance(answers, bytes) else orjson.dumps(answers)

    def score_body(self, body: bytes, max_batch: int) -> tuple[bytes, int] | None:
        """(:meth:`score_json` of the body's leads, their number) for a request body read by
        :func:`scoring.service.scan.read_batch`, straight into columns: no dict per lead. None
        where that reader or the column path gives up, and for batches under BYTES_MIN leads:
        the caller then parses the body and calls :meth:`score_json` (same bytes, tested)."""
        if not _COMPILED.is_set():  # still compiling (_compiling): the parse path meanwhile
            return None
        records = self.records
        batch = read_batch(body, self._field_names, self._text_fields, max_batch, self._spelled, _walkers())
        if batch is None or batch.n < BYTES_MIN:
            return None
        spans = batch.plain_texts(0, min(records.max_chars, 256))
        if spans is None:  # ids the column path would check or convert lead by lead
            return None
        fields: list[tuple] = []
        for f, rule in enumerate(records.rules, start=1):
            read = (batch.floats(f) if rule.kind == "numeric" else batch.days(f) if rule.kind == "date"
                    else None)
            fields.append((read, None) if read is not None else batch.distinct(f))
        # Each input's values for the reasons, made for the leads whose reason it is.
        columns = {rule.name: batch.values(f) for f, rule in enumerate(records.rules, start=1)}
        encoded = encode_distinct(records, batch.n, fields)
        if encoded is None:
            return None
        X, flags = encoded
        if batch.unknown is not None:
            flags = with_unknown_fields(flags, batch.unknown)
        n = batch.n
        ids = Pieces(np.frombuffer(body, dtype=np.uint8), *spans)  # as the body wrote them
        if self.trees is None or n < PARALLEL_MIN:
            z, contributions = self._decide(X)
            return b"[" + self._answer_items(range(n), z, contributions, flags, ids, columns) + b"]", n
        items = self._walk_and_answer(range(n), _chunks(0, X, flags, ids, columns, (WALKER_SHARE,)))
        return b"[" + b",".join(items) + b"]", n

    def _spelled(self, name: str) -> int | None:
        """The field (its index in the body reader's names) a field name not among them spells
        otherwise, as ``RecordEncoder.match_fields`` renames it (``Lead Source``)."""
        target = self.records.by_key.get(field_key(name))
        return None if target is None else self._field_names.names.index(target)

    def _scored(self, leads: Sequence[Any]) -> list[dict] | bytes:
        """The answers as dicts under BYTES_MIN leads (:meth:`_answers`), else as their JSON
        array written as bytes (:meth:`_answer_items`): no dict per answer to make and dump."""
        n = len(leads)
        # Fields under another spelling renamed once: the answers read the leads as encoded (a
        # reason shows the value the score used, "Industry" sent for industry included).
        leads, extra = self.records.match_fields(leads)
        if self.trees is None or n < PARALLEL_MIN:
            columns: dict = {}
            X, flags, ids = self.records.encode_matched(leads, extra, columns=columns)
            z, contributions = self._decide(X)
            if n < BYTES_MIN:
                return self._answers(leads, 0, z, contributions, flags, ids)
            return b"[" + self._answer_items(leads, z, contributions, flags, ids, columns) + b"]"
        try:
            items = self._walk_and_answer(leads, self._encoded_parts(leads, extra))
        except _ColumnsGaveUp:  # a value the column path does not read: the batch lead by lead
            columns = {}
            X, flags, ids = self.records.encode_matched(leads, extra, columns=columns)  # or LeadValidationError
            items = self._walk_and_answer(leads, _chunks(0, X, flags, ids, columns, PARTS))
        return b"[" + b",".join(items) + b"]"

    def _encoded_parts(self, matched: Sequence[Any], extra: dict[int, list[str]]) -> Iterator[tuple]:
        """(start, stop, X, flags, ids, columns, last) of each part of the batch (PARTS), encoded
        by the column path when asked for; raises _ColumnsGaveUp where that path gives up.
        ``matched``, ``extra``: ``RecordEncoder.match_fields`` of the leads."""
        records = self.records
        for start, stop in _bounds(len(matched), *PARTS):
            columns: dict = {}
            encoded = encode_columns(records, matched[start:stop], None, columns)
            if encoded is None:
                raise _ColumnsGaveUp
            X, flags, ids = encoded
            for i, named in extra.items():
                if start <= i < stop:
                    flags[i - start] = named + flags[i - start]
            yield start, stop, X, flags, ids, columns, stop == len(matched)

    def _walk_and_answer(self, leads: Sequence[Any], runs: Iterator[tuple]) -> list[bytes]:
        """Each run but the last walked on a walker thread as soon as it is encoded, the last on
        this thread, which then answers it (:meth:`_answer_items`) before the others; the
        answers in lead order.

        The tree walk releases the GIL; encoding and building answers hold it. So a walker
        walks the first runs while this thread encodes the next ones, and this thread walks
        the last run itself instead of waiting for a walker: both cores are busy from the end
        of the first part's encoding to the end of the walks. Answering its own run first
        gives the walker that much longer before its result is needed, so this thread rarely
        waits (and sleeps) for it. A walker takes the GIL only to start (when this thread
        yields it, at the latest at the switch interval) and to return its arrays.
        """
        walking: list[tuple] = []
        own = b""
        for start, stop, X, flags, ids, columns, last in runs:
            if not last:
                walking.append((start, stop, flags, ids, columns,
                                _walkers().submit(raw_predict_top, self.trees, X, self.layout, self.scale,
                                                  N_REASONS)))
                continue
            z, contributions, top, values = raw_predict_top(self.trees, X, self.layout, self.scale, N_REASONS)
            own = self._answer_items(leads[start:stop], z, contributions, flags, ids, columns, (top, values))
        out = []
        for begin, end, part_flags, part_ids, part_columns, pending in walking:
            z, contributions, top, values = pending.result()
            out.append(self._answer_items(leads[begin:end], z, contributions, part_flags, part_ids,
                                          part_columns, (top, values)))
        out.append(own)
        return [items for items in out if items]

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
        top, values = _top_reasons(contributions, N_REASONS)
        shown = (np.abs(values) >= 1e-9) & np.isfinite(values)
        shown_all = bool(shown.all())
        rounded = ([[round(v, 4) for v in row] for row in values.tolist()] if n <= ROW_PATH_MAX
                   else _round4(values).tolist())
        shown = shown.tolist()
        positive, top = (values > 0).tolist(), top.tolist()
        probabilities, scores = p.tolist(), scores.astype(np.int64).tolist()
        groups, texts, text_of = self.groups, self._text_caches, self._value_text
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
                    text = text_of(g, raw)
                reasons.append({"feature": name, "value": text, "direction": "+" if positive[j][k] else "-",
                                "contribution": rounded[j][k]})
            out.append({ID_FIELD: ids[i], "probability": probabilities[j], "score": scores[j],
                        "tier": tiers[j], "reasons": reasons, "flags": flags[i]})
        return out

    def _answer_items(self, leads: Sequence[Any], z: np.ndarray, contributions: np.ndarray,
                      flags: list, ids: list, raw: dict[str, Sequence[Any]] | None = None,
                      top: tuple[np.ndarray, np.ndarray] | None = None) -> bytes:
        """The JSON of :meth:`_answers`' answers, the bytes orjson writes for them, without the
        list's brackets (b"" for no lead).

        An answer is a fixed run of byte strings, one column of them per kind: constant parts
        (``OPEN_NEXT``, ``REASON_OPEN``, ``DIRECTION``, ...), the ids and flags dumped one by
        one, the numbers dumped as arrays by orjson and split, and per reason
        '"feature":<name>,"value":<text>', remembered per field and text
        (:meth:`_reason_heads`); a reason not shown is empty strings. The parts fill one
        object array, a row per answer, which one join turns into the body. Measured on the
        1,000-lead sample batch (thread CPU, server's GC setting, same runs): 3.2-3.7 ms where
        the same answers as dicts built column by column and dumped took 4.6-5.4 ms (and
        8-9 ms lead by lead); a ``%`` template of the parts cost 1.1 ms more, and joining the
        columns through ``zip`` 2 ms more. Batches under BYTES_MIN leads are answered lead by
        lead (:meth:`_answers`).

        ``raw``: the leads' values per field name (the columns the encoder gathered); a field
        not in it is read from the leads. ``top``: the columns and values of each lead's
        largest contributions when already known (``raw_predict_top``).
        """
        n = len(z)
        if n == 0:
            return b""
        writer = self._writer()  # once: the compiling thread may finish meanwhile
        p = self.scorer.calibrator_.predict(z)
        scores = np.rint(100 * p)
        whole = scores.astype(np.int64)
        if 0 <= scores.min() and scores.max() <= 100:  # (False for NaN)
            score_tier = None if writer else self._score_tier[whole].tolist()
        else:
            score_tier = [b',"score":' + orjson.dumps(s) + b',"tier":' + orjson.dumps(t) + b',"reasons":['
                          for s, t in zip(whole.tolist(), self.scorer.tiers(scores).tolist())]
        k = min(N_REASONS, contributions.shape[1])
        if top is None:
            columns, values = _top_reasons(contributions, k)
        else:
            columns, values = top
        # Near-zero and non-finite contributions are no reason.
        shown = (np.abs(values) >= 1e-9) & np.isfinite(values)
        all_shown = bool(shown.all())
        picked = None
        if all_shown:
            fields, lead_of = columns.ravel(), np.repeat(np.arange(n), k)
        else:
            picked = np.flatnonzero(shown)
            fields, lead_of = columns.ravel()[picked], picked // k
        # The texts field by field, and within a field lead by lead (a field is at most one of
        # a lead's reasons); ``heads[order[q]]`` is the q-th made.
        order = np.argsort(fields, kind="stable")
        made: list[bytes] = []
        made_at = np.empty(len(fields), dtype=np.int64)  # per reason in ``order``: its text in made
        ends = np.cumsum(np.bincount(fields, minlength=len(self.groups))).tolist()
        first = 0
        for g, end in enumerate(ends):
            if end == first:
                continue
            name = self.groups[g]
            column = raw.get(name) if raw is not None else None
            if isinstance(column, FieldValues) and column.repeats:
                # Read from the body, mostly repeats: the texts of the field's distinct values,
                # made once per batch, and each reason's by its lead's slot.
                heads, slot = column.memo(("heads", g), lambda values: self._reason_heads(
                    g, self._texts.column(values)))
                made_at[first:end] = len(made) + slot[lead_of[order[first:end]]]
                made += heads
                first = end
                continue
            if isinstance(column, FieldValues):
                # Read from the body: each distinct value among these leads' made into a text
                # once (numbers too: a batch repeats them), and each reason's by its index.
                distinct, index = column.pick_distinct(lead_of[order[first:end]])
                made_at[first:end] = len(made) + index
                made += self._reason_heads(g, self._texts.column(distinct))
                first = end
                continue
            rows = lead_of[order[first:end]].tolist()
            if column is None:
                chosen = [leads[j].get(name) for j in rows]
            else:
                chosen = [column[rows[0]]] if len(rows) == 1 else itemgetter(*rows)(column)
            made_at[first:end] = np.arange(len(made), len(made) + len(rows))
            made += self._reason_heads(g, self._texts.column(chosen))
            first = end
        if writer:
            return self._write_items(ids, p, whole, score_tier, shown, values, all_shown, order, picked, made,
                                     made_at, flags, k)
        made = np.array(made, dtype=object)[made_at]
        # One row of parts per answer; a reason is 4 parts (empty when not shown).
        width = 7 + 4 * k
        parts = np.empty((n, width), dtype=object)
        parts[:, 0] = OPEN_NEXT
        parts[0, 0] = OPEN_FIRST
        parts[:, 1] = _id_json(ids)
        parts[:, 2] = PROBABILITY
        parts[:, 3] = _numbers(p)
        parts[:, 4] = score_tier
        reasons = np.full((n * k, 4), b"", dtype=object)
        if all_shown:
            reasons[order, 1] = made
            reasons[:, 0] = np.tile(REASON_OPEN[np.minimum(np.arange(k), 1) + 1], n)  # {, },{, },{
            reasons[:, 2] = DIRECTION[1 + (values > 0).ravel().view(np.uint8)]
            reasons[:, 3] = _numbers(_round4(values).ravel())
        else:
            reasons[picked[order], 1] = made
            later = np.cumsum(shown, axis=1) > 1
            reasons[:, 0] = REASON_OPEN[(shown * (1 + later)).ravel()]
            reasons[:, 2] = DIRECTION[(shown * (1 + (values > 0))).ravel()]
            reasons[picked, 3] = _numbers(_round4(values.ravel()[picked]))
        parts[:, 5:width - 2] = reasons.reshape(n, 4 * k)
        parts[:, width - 2] = FLAGS[shown.any(axis=1).view(np.uint8)] if k else FLAGS[0]
        parts[:, width - 1] = [orjson.dumps(f) if f else NO_FLAGS for f in flags]
        return b"".join(parts.ravel().tolist()) + b"}"

    def _write_items(self, ids: Sequence[Any], p: np.ndarray, whole: np.ndarray, score_tier: list | None,
                     shown: np.ndarray, values: np.ndarray, all_shown: bool, order: np.ndarray,
                     picked: np.ndarray | None, made: list[bytes], made_at: np.ndarray, flags: list,
                     k: int) -> bytes:
        """:meth:`_answer_items`' bytes by :func:`scoring.service.writer.write_answers`: the
        same pieces, copied into one buffer by a compiled loop instead of joined as objects."""
        n = len(p)
        if score_tier is None:  # every score 0-100: the model's table of them
            tiers, score_index = self._score_tier_pieces, whole
        else:
            tiers, score_index = Pieces.of(score_tier), np.arange(n)
        head_index = np.zeros(n * k, dtype=np.int64)
        contribution_index = np.zeros(n * k, dtype=np.int64)
        if all_shown:
            head_index[order] = made_at
            contribution_index[:] = np.arange(n * k)
            rounded = _round4(values).ravel()
        else:
            head_index[picked[order]] = made_at
            contribution_index[picked] = np.arange(len(picked))
            rounded = _round4(values.ravel()[picked])
        id_pieces = ids if isinstance(ids, Pieces) else Pieces.of(_id_json(ids))
        probabilities = Pieces.of_array(orjson.dumps(np.ascontiguousarray(p), option=orjson.OPT_SERIALIZE_NUMPY))
        contributions = Pieces.of_array(orjson.dumps(np.ascontiguousarray(rounded),
                                                     option=orjson.OPT_SERIALIZE_NUMPY))
        heads = Pieces.of(made)
        flag_pieces = _flag_pieces(flags)
        shown = np.ascontiguousarray(shown[:, :k])
        positive = np.ascontiguousarray(values > 0)
        return write_answers(id_pieces, probabilities, tiers, score_index, shown, positive, heads,
                             head_index.reshape(n, k), contributions, contribution_index.reshape(n, k),
                             flag_pieces)

    @staticmethod
    def _writer() -> bool:
        """Whether answers are copied by the compiled writer (compiled already: not in a request)."""
        return HAVE_WRITER and _COMPILED.is_set()

    def _reason_heads(self, group: int, texts: list[str]) -> list[bytes]:
        """'"feature":<name>,"value":<text>' (JSON) for each text of a field, remembered per
        field for up to 4 * CACHE_SIZE texts."""
        table = self._heads[group]
        try:
            return list(map(table.__getitem__, texts))  # one C loop when every text was seen
        except KeyError:
            pass
        key = self._feature_keys[group]
        out = []
        for text in texts:
            head = table.get(text)
            if head is None:
                head = key + orjson.dumps(text)
                if len(table) < 4 * CACHE_SIZE:
                    table[text] = head
            out.append(head)
        return out

    def _value_text(self, group: int, raw: Any) -> str:
        """The lead's value as a reason shows it, remembered for text and number values."""
        text = value_text(raw)
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
        """Compile and run every path once, so the first real request is not the slow one: one
        lead, and a batch body large enough for the body reader and the walker thread."""
        self.score([{ID_FIELD: "warm-up"}])
        _compiling().join()
        body = orjson.dumps({"leads": [{ID_FIELD: f"warm-up-{i}"} for i in range(max(BYTES_MIN, PARALLEL_MIN))]})
        self.score_body(body, max(BYTES_MIN, PARALLEL_MIN))
