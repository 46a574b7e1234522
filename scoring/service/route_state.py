"""Who gets the next lead of a pool: smooth weighted round robin, its state in one SQLite file.

Why this design:
- **Smooth weighted round robin** (nginx's): each pick adds every eligible rep's weight to its
  credit, gives the lead to the rep with the most credit and takes the pool's eligible weight
  off that rep. Over any stretch each rep gets its weight's share to within one lead, and
  picks interleave (no run of ten leads to the biggest rep). A rep who is unavailable or at
  a daily cap simply earns no credit meanwhile, so on return there is no catch-up burst.
- **State in SQLite, one transaction per request** (``BEGIN IMMEDIATE``): the credits, the daily
  counts per rep and tier, the reps marked unavailable through the endpoint and the leads
  already routed live in one file that every uvicorn worker opens. Workers therefore share one
  sequence (four workers still give exact shares and exact caps), a restart continues where the
  last process stopped, and the same inputs in the same order give the same owners.
- **A retried lead keeps its rep**: a lead_id routed before (kept two days) gets the same rep
  again, without advancing the credits or the counts, as long as that rep is still eligible.
  A hash of lead_id would need no state, but spreads only statistically (6,000 leads over 3
  reps: a 1-point standard deviation), cannot enforce daily caps across workers, and
  moves every lead of a rep when the pool changes.
Weights are integers (capacity x ramp x 1000), so the picks are the same on every machine.
WAL mode with ``synchronous=NORMAL``: a pick costs tens of microseconds, not an fsync.
Each process remembers the unavailable reps and the pools' credits it last read or wrote, and
reads them again only when ``PRAGMA data_version`` says another connection (another worker)
committed since: a pick is then one read (the lead's earlier route) and two writes.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Mapping

SCHEMA = """
CREATE TABLE IF NOT EXISTS credit (pool TEXT PRIMARY KEY, credits TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS daily (day TEXT NOT NULL, rep_id TEXT NOT NULL, tier TEXT NOT NULL,
                                  leads INTEGER NOT NULL, PRIMARY KEY (day, rep_id, tier));
CREATE TABLE IF NOT EXISTS routed (lead_id TEXT PRIMARY KEY, day TEXT NOT NULL, pool TEXT NOT NULL,
                                   rep_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unavailable (rep_id TEXT PRIMARY KEY, since TEXT NOT NULL);
"""
KEEP_ROUTED_DAYS = 2
KEEP_DAILY_DAYS = 31


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def smooth_pick(reps: tuple[str, ...], weights: tuple[int, ...], credit: dict[str, int]) -> str:
    """One step of smooth weighted round robin over ``reps`` (updates ``credit`` in place).
    Ties go to the rep listed first (reps are sorted by id)."""
    total = 0
    best, best_credit = None, None
    for rep, weight in zip(reps, weights):
        value = credit.get(rep, 0) + weight
        credit[rep] = value
        total += weight
        if best_credit is None or value > best_credit:
            best, best_credit = rep, value
    credit[best] -= total
    return best


class RouteState:
    """The shared routing state in ``path`` (created if need be); safe across threads and processes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # One connection per process, used under the lock (requests on the event loop and
        # batches on worker threads); other processes are kept out by SQLite's own locks.
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            # CREATE ... IF NOT EXISTS: workers starting together may all run it.
            self._db.executescript(SCHEMA)
        self._pruned_on: str | None = None
        # What this connection last read or wrote; valid while no other connection commits.
        self._seen_version: int | None = None
        self._away: frozenset[str] | None = None
        self._credits: dict[str, dict[str, int]] = {}

    def _refresh(self, db: sqlite3.Connection) -> None:
        """Forget what was remembered if another connection committed since (under the lock)."""
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._seen_version:
            self._seen_version = version
            self._away = None
            self._credits = {}

    def _away_reps(self, db: sqlite3.Connection) -> frozenset[str]:
        if self._away is None:
            self._away = frozenset(r for (r,) in db.execute("SELECT rep_id FROM unavailable"))
        return self._away

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------- unavailable reps
    def unavailable(self) -> list[str]:
        """Reps marked unavailable through the endpoint (by any worker), sorted."""
        with self._lock:
            self._refresh(self._db)
            return sorted(self._away_reps(self._db))

    def unavailable_set(self) -> frozenset[str]:
        """The same as a set, for a request's hot path (no sorting, usually no query)."""
        with self._lock:
            self._refresh(self._db)
            return self._away_reps(self._db)

    def set_unavailable(self, rep_id: str, unavailable: bool) -> None:
        with self._lock:
            if unavailable:
                self._db.execute("INSERT OR IGNORE INTO unavailable VALUES (?, ?)",
                                 (rep_id, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
            else:
                self._db.execute("DELETE FROM unavailable WHERE rep_id = ?", (rep_id,))
            self._away = None  # this connection's own commits do not change data_version

    # ------------------------------------------------------------- routing
    def route(self, requests: Iterable[tuple[str, str, tuple[str, ...], tuple[int, ...], str | None, bool]],
              caps: Mapping[str, int] | None, unavailable_file: frozenset[str] = frozenset(),
              day: str | None = None) -> list[str | None]:
        """The rep per request, in one transaction.

        A request is ``(lead_id, pool, reps, weights, tier, counted_only)``: ``counted_only``
        (an account owner's lead, the rep given as the only member) records the lead in the
        daily counts (kept only with caps) without a round-robin pick; without caps, owners'
        leads need no transaction at all. None: no eligible rep (all unavailable or at
        their cap for the lead's tier).
        """
        requests = list(requests)
        if not caps and all(r[5] for r in requests):
            # Account owners only and nothing to count: the plan alone decides, no transaction.
            return [r[2][0] for r in requests]
        day = day or today()
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                self._refresh(db)  # inside the write lock: no other commit can follow unseen
                out = self._route(db, requests, caps or {}, unavailable_file, day)
                if self._pruned_on != day:
                    self._prune(db, day)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                self._credits = {}  # changed in place by the picks rolled back
                raise
            if self._pruned_on != day:
                self._pruned_on = day
        return out

    @staticmethod
    def _prune(db: sqlite3.Connection, day: str) -> None:
        d = dt.date.fromisoformat(day)
        db.execute("DELETE FROM routed WHERE day < ?", ((d - dt.timedelta(days=KEEP_ROUTED_DAYS)).isoformat(),))
        db.execute("DELETE FROM daily WHERE day < ?", ((d - dt.timedelta(days=KEEP_DAILY_DAYS)).isoformat(),))

    def _route(self, db, requests, caps, unavailable_file, day) -> list[str | None]:
        # Daily counts are kept only with caps: they are what caps need, and writing them costs.
        counting = bool(caps)
        away = frozenset(unavailable_file) | self._away_reps(db)
        counts: dict[tuple[str, str], int] = {}   # (rep_id, tier) -> leads today, read on demand
        credits = self._credits                   # pool -> rep -> credit, read on demand
        touched: set[str] = set()
        changed: set[tuple[str, str]] = set()
        out: list[str | None] = []

        def count(rep: str, tier: str) -> int:
            key = (rep, tier)
            if key not in counts:
                row = db.execute("SELECT leads FROM daily WHERE day = ? AND rep_id = ? AND tier = ?",
                                 (day, rep, tier)).fetchone()
                counts[key] = row[0] if row else 0
            return counts[key]

        for lead_id, pool, reps, weights, tier, counted_only in requests:
            tier = tier or ""
            if counted_only and not counting:
                out.append(reps[0])
                continue
            prior = db.execute("SELECT pool, rep_id FROM routed WHERE lead_id = ?", (lead_id,)).fetchone()
            if counted_only:
                rep = reps[0]
                if prior is None or prior[1] != rep:
                    if counting:
                        counts[(rep, tier)] = count(rep, tier) + 1
                        changed.add((rep, tier))
                    db.execute("INSERT OR REPLACE INTO routed VALUES (?, ?, ?, ?)", (lead_id, day, pool, rep))
                out.append(rep)
                continue
            cap = caps.get(tier)
            eligible = [(r, w) for r, w in zip(reps, weights)
                        if r not in away and (cap is None or count(r, tier) < cap)]
            if prior is not None and prior[0] == pool and prior[1] in reps and prior[1] not in away:
                out.append(prior[1])  # a retry: same rep (its cap counted it already), nothing twice
                continue
            if not eligible:
                out.append(None)
                continue
            credit = credits.get(pool)
            if credit is None:
                row = db.execute("SELECT credits FROM credit WHERE pool = ?", (pool,)).fetchone()
                credit = credits[pool] = json.loads(row[0]) if row else {}
            rep = smooth_pick(tuple(r for r, _ in eligible), tuple(w for _, w in eligible), credit)
            touched.add(pool)
            if counting:
                counts[(rep, tier)] = count(rep, tier) + 1
                changed.add((rep, tier))
            db.execute("INSERT OR REPLACE INTO routed VALUES (?, ?, ?, ?)", (lead_id, day, pool, rep))
            out.append(rep)
        # One row per pool: a pick rewrites one page, not one per rep (each page written costs
        # ~50 us of a one-lead request).
        db.executemany("INSERT OR REPLACE INTO credit VALUES (?, ?)",
                       [(pool, json.dumps(credits[pool], separators=(",", ":"))) for pool in touched])
        if counting:
            db.executemany("INSERT OR REPLACE INTO daily VALUES (?, ?, ?, ?)",
                           [(day, rep, tier, counts[(rep, tier)]) for rep, tier in changed])
        return out
