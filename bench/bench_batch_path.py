"""Where a scoring batch's time goes inside the server: the body reader against the parse path.

    python -m bench.bench_batch_path [--rounds 60] [--candidates gradient_boosting] [--leads 20000]
                                     [--walker-shares 0.5,0.6,0.7 | --writer] [--extra-fields 2]

In-process, without HTTP: the model and the 1,000-lead batch ``bench_service`` serves (sample CRM,
seed 3; the scorer fitted on 90 % of it, seed 0; the last 1,000 leads). Each round scores the
batch body both ways, alternating which goes first:

- ours: ``LeadScorerModel.score_body`` (the body read into columns by ``scoring.service.scan``,
  what ``POST /v1/score`` does for a batch), with its stages timed: reading the body, encoding,
  the tree walk and the answers (the walk of part of the batch runs on a walker thread);
- the peer: the same endpoint's parse path, ``orjson.loads`` then ``score_json`` (what every
  batch took before the reader, and what a body the reader gives up on still takes).

With ``--extra-fields N``, every lead carries N fields the model does not know (flagged
``unknown_field:<name>``), as a router that sends its CRM's other columns would.

With ``--writer``, ours only, the answers copied by the compiled writer and joined as objects
(its fallback without numba), alternating: the figures behind ``scoring.service.writer``.

With ``--walker-shares``, ours only, once per share of the batch walked on the walker thread
(``served.WALKER_SHARE``), alternating: the figures behind that setting.

Both must give the same bytes (checked once). Printed: median and 10th percentile wall time of
each, the stages' thread CPU (median), and the machine's single-thread speed in the same run
(``orjson.loads`` of the body alone; this VM's varies about 2x within minutes, so compare the
two paths only within one run).
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def prepare(candidates: str, n_leads: int) -> tuple[object, bytes]:
    import pandas as pd

    from revops.sample_data import generate
    from scoring import LeadScorer, ScoringConfig

    work = Path(tempfile.mkdtemp(prefix="bench-batch-path-"))
    generate(work / "data", seed=3, n_leads=n_leads, n_accounts=200, n_reps=10)
    leads = pd.read_csv(work / "data" / "leads.csv")
    config = ScoringConfig(candidates=tuple(candidates.split(",")))
    scorer = LeadScorer.from_config(config, random_state=0).fit(leads.sample(frac=0.9, random_state=0))
    records = json.loads(leads.drop(columns=["is_sql"]).tail(1000).to_json(orient="records"))
    return scorer, json.dumps({"leads": records}).encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--candidates", default="gradient_boosting")
    parser.add_argument("--leads", type=int, default=20_000, help="sample leads to train on")
    parser.add_argument("--walker-shares", default=None, help="compare these WALKER_SHARE values instead")
    parser.add_argument("--writer", action="store_true",
                        help="compare the compiled answer writer with joined objects instead")
    parser.add_argument("--extra-fields", type=int, default=0,
                        help="fields the model does not know added to every lead (a router's extra columns)")
    args = parser.parse_args(argv)

    import orjson

    import scoring.service.served as served
    from scoring.service.app import YOUNG_OBJECTS

    print("training ...", file=sys.stderr, flush=True)
    scorer, body = prepare(args.candidates, args.leads)
    if args.extra_fields:
        leads = orjson.loads(body)["leads"]
        body = orjson.dumps({"leads": [{**lead, **{f"crm_field_{j}": f"value {i % 7} of {j}"
                                                   for j in range(args.extra_fields)}}
                                       for i, lead in enumerate(leads)]})
    model = served.LeadScorerModel(scorer, served.ModelMeta("lead-scoring", "1"))
    model.warm_up()  # as the server before it serves a model: waits for the reader's compilation
    ours = model.score_body(body, 10_000)
    if ours is None:
        print("the body reader gave up on the sample batch", file=sys.stderr)
        return 1
    if ours[0] != model.score_json(orjson.loads(body)["leads"]):
        print("the two paths disagree", file=sys.stderr)
        return 1

    if args.writer:
        return compare_writers(model, body, args.rounds)
    if args.walker_shares:
        return compare_shares(model, body, [float(v) for v in args.walker_shares.split(",")], args.rounds)
    cpu: dict[str, list[float]] = {}
    recording = [False]  # only ours: the peer path calls the walk and the answers too

    def timed(name: str, function):
        def run(*a, **k):
            start = time.thread_time()
            try:
                return function(*a, **k)
            finally:
                if recording[0]:
                    cpu.setdefault(name, []).append(time.thread_time() - start)
        return run

    # The stages, timed where score_body calls them (this process only).
    served.read_batch = timed("read the body", served.read_batch)
    served.encode_distinct = timed("encode", served.encode_distinct)
    served.raw_predict_top = timed("walk (both threads)", served.raw_predict_top)
    model._answer_items = timed("answers", model._answer_items)

    def parse_path() -> bytes:
        return model.score_json(orjson.loads(body)["leads"])

    # The served app's collector setting (scoring.service.app), and no old garbage to walk.
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    wall: dict[str, list[float]] = {"ours": [], "peer": [], "yardstick": []}
    for r in range(args.rounds + 3):
        order = (("ours", lambda: model.score_body(body, 10_000)), ("peer", parse_path))
        for name, run in (order if r % 2 == 0 else order[::-1]):
            recording[0] = r >= 3 and name == "ours"
            start = time.perf_counter()
            run()
            if r >= 3:
                wall[name].append(time.perf_counter() - start)
        start = time.thread_time()
        orjson.loads(body)
        if r >= 3:
            wall["yardstick"].append(time.thread_time() - start)

    def ms(values: list[float]) -> str:
        values = sorted(values)
        return f"median {1e3 * statistics.median(values):6.2f} ms, q10 {1e3 * values[len(values) // 10]:6.2f} ms"

    extra = f", {args.extra_fields} unknown field(s) per lead" if args.extra_fields else ""
    print(f"batch of 1,000 leads, {args.candidates}{extra}, {args.rounds} rounds, in-process (no HTTP)")
    print(f"ours (score_body):            {ms(wall['ours'])}")
    print(f"peer (orjson + score_json):   {ms(wall['peer'])}")
    print(f"ratio ours / peer (medians):  {statistics.median(wall['ours']) / statistics.median(wall['peer']):.2f}")
    print("ours by stage, thread CPU per batch (median):")
    rounds = len(wall["ours"])
    for name, values in cpu.items():
        per_batch = len(values) // rounds  # calls per batch (a stage may run once per part)
        sums = [sum(values[i * per_batch:(i + 1) * per_batch]) for i in range(rounds)]
        print(f"  {name:22s} {1e3 * statistics.median(sums):6.2f} ms  ({per_batch} call(s))")
    print(f"machine yardstick, orjson.loads of the body: {ms(wall['yardstick'])}")
    return 0


def compare_shares(model, body: bytes, shares: list[float], rounds: int) -> int:
    import scoring.service.served as served
    from scoring.service.app import YOUNG_OBJECTS

    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    wall: dict[float, list[float]] = {share: [] for share in shares}
    for r in range(rounds + 3):
        for share in (shares if r % 2 == 0 else shares[::-1]):
            served.WALKER_SHARE = share
            start = time.perf_counter()
            model.score_body(body, 10_000)
            if r >= 3:
                wall[share].append(time.perf_counter() - start)
    print(f"batch of 1,000 leads, score_body, {rounds} rounds: wall time by WALKER_SHARE")
    for share, values in wall.items():
        values.sort()
        print(f"  {share:.2f}: median {1e3 * statistics.median(values):6.2f} ms, q10 {1e3 * values[len(values) // 10]:6.2f} ms")
    return 0


def compare_writers(model, body: bytes, rounds: int) -> int:
    """``score_body`` with the answers copied by the compiled writer (scoring.service.writer)
    and joined as objects (its fallback without numba), alternating: the answers' thread CPU per
    batch and the batch's wall time, each way; both give the same bytes (checked)."""
    import scoring.service.served as served
    from scoring.service.app import YOUNG_OBJECTS

    compiled = served.HAVE_WRITER
    if not compiled:
        print("numba is missing: no compiled writer to compare", file=sys.stderr)
        return 1
    answers = model._answer_items
    cpu: dict[bool, list[float]] = {True: [], False: []}
    wall: dict[bool, list[float]] = {True: [], False: []}
    recording: list = [None]

    def timed(*a, **k):
        start = time.thread_time()
        try:
            return answers(*a, **k)
        finally:
            if recording[0] is not None:
                cpu[recording[0]].append(time.thread_time() - start)

    model._answer_items = timed
    outputs = {}
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    try:
        for r in range(rounds + 3):
            for writer in ((True, False) if r % 2 == 0 else (False, True)):
                served.HAVE_WRITER = writer
                recording[0] = writer if r >= 3 else None
                start = time.perf_counter()
                outputs[writer] = model.score_body(body, 10_000)
                if r >= 3:
                    wall[writer].append(time.perf_counter() - start)
    finally:
        served.HAVE_WRITER = compiled
        del model._answer_items
    if outputs[True] != outputs[False]:
        print("the two writers disagree", file=sys.stderr)
        return 1
    calls = len(cpu[True]) // rounds
    print(f"batch of 1,000 leads, score_body, {rounds} rounds: answers by writer")
    for writer, name in ((True, "compiled copy"), (False, "joined objects")):
        per_batch = [sum(cpu[writer][i * calls:(i + 1) * calls]) for i in range(rounds)]
        print(f"  {name:15s} answers CPU median {1e3 * statistics.median(per_batch):6.2f} ms, "
              f"batch wall median {1e3 * statistics.median(wall[writer]):6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
