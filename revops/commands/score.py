"""``revops score train|predict|promote|rollback``: the lead scoring model from the command line.

The same trainer serves any binary outcome: ``--model-name renewal`` trains and registers a
churn/renewal model beside ``lead-scoring`` (its own champion, challenger and history).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

EPILOG_TRAIN = textwrap.dedent("""\
    examples:
      revops score train --leads data/leads.csv --out build/scoring
      revops score train --leads hubspot.csv --target "Lifecycle Stage" --positive SQL \\
          --id "Record ID" --time "Create Date" --exclude "Lead Status"
      revops score train --leads salesforce.csv --target Status --positive Qualified \\
          --negative Unqualified          # other values (Working, ...) are open leads
      revops score train --leads telco_churn.csv --target Churn --positive Yes \\
          --id customerID --time-column none --model-name renewal
      revops score train --leads data/leads.csv --no-register   # a try-out: nothing registered
    writes OUT/metrics.json, lead_scores_holdout.csv, feature_report.csv, deciles.csv and
    roc.png, calibration.png, lift.png, feature_importance.png; logs all to MLflow and
    registers --model-name (alias challenger). It becomes champion on its own only with no
    leak warning, and when there is no champion, or it reads no column the champion does not
    and beats it on the same holdout leads; otherwise 'revops score promote' decides.""")
EPILOG_PREDICT = textwrap.dedent("""\
    examples:
      revops score predict --leads new_leads.csv --out scores.csv
      revops score predict --leads new_leads.csv --out scores.csv --model models:/lead-scoring/3
      revops score predict --leads customers.csv --out churn.csv --model models:/renewal@champion
      revops score predict --leads big.csv.gz --out scores.csv --backend dask --scheduler tcp://10.0.0.5:8786""")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score", help="train, apply, promote or roll back the lead scoring model",
        description="Lead scoring: calibrated P(SQL) per lead, with reasons.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  revops score train --leads data/leads.csv\n"
               "  revops score predict --leads data/leads.csv --out scores.csv\n"
               "  revops score promote 3\n  revops score rollback")
    sub = parser.add_subparsers(dest="score_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    from scoring import ScoringConfig

    from revops.flags import add_config_flags

    train = sub.add_parser("train", help="train, evaluate and register a model",
                           description="Train the lead model. Defaults are those of the plan "
                           "file's [scoring] section.",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_TRAIN)
    train.add_argument("--leads", required=True, help="lead export (CSV, Excel or Parquet)")
    train.add_argument("--out", default="build/scoring", help="output folder (default: build/scoring)")
    train.add_argument("--force", action="store_true",
                       help="replace --out even if it holds files revops did not write")
    train.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_config_flags(train, ScoringConfig, aliases=SCORING_ALIASES,
                     title="model settings (the plan file's [scoring] section)")
    from revops.reading import add_reading_flags

    add_reading_flags(train)
    registry_flags = train.add_argument_group("registry (the plan file's [scoring] model_name, [mlflow])")
    registry_flags.add_argument("--no-register", action="store_true",
                                help="a dry run: every output and the MLflow run, but nothing in "
                                "the model registry (says what the model would have become)")
    _add_registry_flags(registry_flags)
    train.add_argument("--quiet", action="store_true", help="no progress messages")
    train.add_argument("--json", action="store_true", help="print the summary as JSON")
    train.set_defaults(func=run_train)

    predict = sub.add_parser("predict", help="score leads with a registered model",
                             formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_PREDICT)
    predict.add_argument("--leads", required=True, help="leads to score (CSV or Parquet)")
    predict.add_argument("--out", required=True, help="CSV to write")
    predict.add_argument("--model", default=None,
                         help="MLflow model URI (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/..., "
                         "a model folder or a .joblib file; default: models:/lead-scoring@champion, "
                         "or the champion of the plan file's [scoring] model_name)")
    predict.add_argument("--config", metavar="PLAN.toml",
                         help="plan file: its [mlflow] tracking_uri and [scoring] model_name")
    predict.add_argument("--no-reasons", action="store_true", help="skip the reason columns (faster)")
    batch = predict.add_argument_group("large files and clusters")
    batch.add_argument("--chunk-rows", type=int, default=200_000, metavar="N",
                       help="read, score and write N leads at a time, so memory stays flat in the "
                       "size of the file (default: 200000; 0: the whole file at once)")
    batch.add_argument("--backend", choices=("local", "dask"), default="local",
                       help="where chunks are scored: this process (local) or the workers of a "
                       "Dask cluster (dask, with --scheduler; needs pip install \"revops[dask]\")")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (--backend dask)")
    add_reading_flags(predict)
    predict.add_argument("--quiet", action="store_true", help="no progress messages")
    predict.add_argument("--json", action="store_true", help="print the summary as JSON")
    predict.set_defaults(func=run_predict)

    promote = sub.add_parser("promote", help="make a model version the champion",
                             formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog="examples:\n  revops score promote 3\n"
                                    "  revops score promote 2 --model-name renewal")
    promote.add_argument("version", help="registered version of the model")
    _add_registry_flags(promote)
    promote.add_argument("--json", action="store_true", help="print the result as JSON")
    promote.set_defaults(func=run_promote)

    rollback = sub.add_parser("rollback", help="give the champion alias back to the previous champion",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog="examples:\n  revops score rollback\n"
                                     "  revops score rollback --model-name renewal")
    _add_registry_flags(rollback)
    rollback.add_argument("--json", action="store_true", help="print the result as JSON")
    rollback.set_defaults(func=run_rollback)
    _register_service(sub)


def _add_registry_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--model-name", default=None, metavar="NAME",
                        help="registered model (default: lead-scoring, or the plan file's "
                        "[scoring] model_name); e.g. renewal for a churn model")
    parser.add_argument("--config", metavar="PLAN.toml",
                        help="plan file: its [scoring] settings (as defaults) and [mlflow] tracking_uri")


def _plan(args: argparse.Namespace):
    """The plan file given with ``--config`` (None without one)."""
    if not getattr(args, "config", None):
        return None
    from revops.config import load_config

    return load_config(args.config)


def _model_name(args: argparse.Namespace, plan) -> str:
    import re

    from revops.errors import ConfigError
    from scoring.config import MODEL_NAME_PATTERN

    name = args.model_name or (plan.scoring.model_name if plan is not None else "lead-scoring")
    if not re.match(MODEL_NAME_PATTERN, name):
        raise ConfigError(f"--model-name {name!r}: a registered model name is 1-100 letters, digits, "
                          "'.', '_' or '-', starting with a letter or digit (e.g. renewal).")
    return name


def _store(args: argparse.Namespace, plan, *, create: bool) -> str:
    """Open the store, saying which one on stderr (unless --quiet)."""
    from revops.tracking import open_store

    quiet = getattr(args, "quiet", False)
    return open_store(say=(lambda _: None) if quiet else None, create=create,
                      tracking_uri=plan.mlflow.tracking_uri if plan is not None else None)


def _register_service(sub: argparse._SubParsersAction) -> None:
    """``revops score serve``: the HTTP endpoint for the lead router (revops/commands/serve.py)."""
    from revops.commands.serve import add_serve_parser

    add_serve_parser(sub)


def _quiet_mlflow() -> None:
    # MLflow draws a download progress bar on every model load; the CLI reports its own progress.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def _read(path: str, args: argparse.Namespace, keep: tuple[str, ...] = ()):
    from revops.reading import read_input, reading_from_flags

    return read_input(path, None, reading_from_flags(args), like="leads", keep=keep)


def _say(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False) and not getattr(args, "json", False):
        print(message, file=sys.stderr)


# Flags of earlier versions, kept working.
SCORING_ALIASES = {"id_column": ["--id"], "time_column": ["--time"], "tier_thresholds": ["--tiers"]}


def run_train(args: argparse.Namespace) -> int:
    from revops.artifacts.scoring import log_training, training_record, write_training
    from revops.flags import config_from_flags
    from revops.outputs import atomic_output_dir, check_output_dir, write_csv, write_json
    from revops.tracking import command_run, log_folder
    from scoring import ScoringConfig
    from scoring.model import LeadScorer

    plan = _plan(args)
    config = config_from_flags(ScoringConfig, args, base=plan.scoring.engine() if plan else None)
    model_name = _model_name(args, plan)
    check_output_dir(args.out, inputs=[args.leads], force=args.force)
    frame = _read(args.leads, args, keep=(config.id_column, config.target))
    _say(args, f"read {len(frame)} leads from {args.leads}")
    scorer = LeadScorer.from_config(config, random_state=args.seed)
    scorer.fit(frame)  # every input error is raised here, before anything is written or registered
    _say(args, _label_line(scorer))
    for warning in scorer.warnings_:
        print(f"warning: {warning}", file=sys.stderr)
    if scorer.leaks_:
        names = [leak["column"] for leak in scorer.leaks_]
        print(f"warning: a likely leak keeps this model challenger; to drop it: --exclude "
              f"{','.join(names)} (plan file: [scoring] exclude = {json.dumps(names)})", file=sys.stderr)
    holdout = scorer.holdout(frame)

    _quiet_mlflow()
    from scoring import registry

    with atomic_output_dir(args.out, inputs=[args.leads], force=args.force) as tmp:
        write_training(scorer, config, tmp)
        write_csv(tmp / "lead_scores_holdout.csv", scorer.score_frame(holdout))
        summary = training_record(scorer, config)
        summary["labels"] = scorer.label_counts_
        with command_run(model_name, "score-train", "scoring", quiet=args.quiet,
                         tracking_uri=plan.mlflow.tracking_uri if plan else None) as run:
            log_training(scorer, config, args.seed, leads_file=Path(args.leads).name, model_name=model_name)
            if args.no_register:
                # What the model would become, read from the registry; nothing written there.
                decision = registry.decide(scorer, holdout, model_name=model_name)
                decision = {**decision, "would_be": decision["status"], "status": "not registered",
                            "promoted": False, "version": None, "model_uri": None}
            else:
                decision = registry.register(scorer, holdout, model_name=model_name)
            summary["registry"] = {**decision, "registered": not args.no_register,
                                   "run_id": run.info.run_id, "store": _store_uri()}
            write_json(tmp / "metrics.json", summary)  # with the registry's decision
            log_folder(tmp, "scoring")
    _report_train(args, summary)
    return 0


def _store_uri() -> str:
    import mlflow

    return mlflow.get_tracking_uri()


def _label_line(scorer) -> str:
    """``label Status: 412 positive (Qualified), 1,200 negative (Unqualified), 388 open (Working:
    380, (empty): 8)``: what the label values were read as."""
    parts = []
    for cls in ("positive", "negative", "open"):
        counts = scorer.label_counts_[cls]
        values = (next(iter(counts)) if len(counts) == 1 else
                  ", ".join(f"{value}: {n:,}" for value, n in list(counts.items())[:6]))
        more = ", ..." if len(counts) > 6 else ""
        parts.append(f"{sum(counts.values()):,} {cls}" + (f" ({values}{more})" if counts else ""))
    return f"label {scorer.target_}: " + ", ".join(parts)


def _report_train(args: argparse.Namespace, summary: dict) -> None:
    m, reg = summary["metrics"], summary["registry"]
    if args.json:
        from revops.outputs import json_safe

        print(json.dumps(json_safe({"out": os.path.abspath(args.out), "metrics": m, "registry": reg,
                                    "labels": summary["labels"], "warnings": summary["warnings"]}),
                         indent=2, sort_keys=True, default=str))
        return
    if args.quiet:
        return
    print(f"model: {m['model']} (calibration {m['calibration']}), {m['holdout']} holdout of "
          f"{m['n_holdout']} leads")
    print(f"ROC AUC {m['roc_auc']:.3f}  PR AUC {m['pr_auc']:.3f}  log loss {m['log_loss']:.4f}  "
          f"Brier {m['brier']:.4f}  ECE {m['ece']:.4f}  top-decile lift {m['top_decile_lift']:.2f}")
    dropped = [f for f in summary["features"] if not f["used"] and f["kind"] not in ("label",)]
    for f in dropped:
        print(f"  not used: {f['column']} ({f['kind']}: {f['reason']})")
    name = reg["model_name"]
    if not reg["registered"]:
        print(f"not registered (--no-register); as {name} it would be {reg['would_be']}: {reg['reason']}")
    else:
        verdict = "now champion" if reg["promoted"] else "challenger only"
        print(f"registered {name} v{reg['version']} ({verdict}: {reg['reason']})")
        if reg["blocked_by"]:
            flag = "" if name == "lead-scoring" else f" --model-name {name}"
            print(f"  not promoted on its own ({', '.join(reg['blocked_by'])}); once checked, a person "
                  f"may: revops score promote {reg['version']}{flag}")
    print(f"outputs: {os.path.abspath(args.out)}")


def run_predict(args: argparse.Namespace) -> int:
    from revops.errors import ConfigError
    from revops.outputs import write_csv

    plan = _plan(args)
    model = args.model or (plan.scoring.champion_uri() if plan else "models:/lead-scoring@champion")

    out = Path(args.out)
    if out.exists() and (out.is_dir() or out.resolve() == Path(args.leads).resolve()):
        raise ConfigError(f"--out {args.out}: " + ("that is the --leads file; scores go to a new file."
                          if out.is_file() else "a folder of that name is in the way; --out is a CSV file."))
    if args.chunk_rows < 0:
        raise ConfigError(f"--chunk-rows {args.chunk_rows}: expected a number of rows, or 0 for the "
                          "whole file at once.")
    if (args.backend == "dask") != (args.scheduler is not None):
        raise ConfigError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)"
                          if args.backend == "dask" else
                          "--scheduler is only used with --backend dask; add --backend dask.")
    frame = _read(args.leads, args) if args.chunk_rows == 0 and args.backend == "local" else None
    if Path(model).suffix == ".joblib" and Path(model).is_file():
        import joblib

        scorer, version = joblib.load(model), None
    else:
        if not Path(model).exists():  # a model folder needs no store; models:/ and runs:/ do
            _store(args, plan, create=False)
        _quiet_mlflow()
        from scoring import registry

        scorer = registry.load(model)
        version = registry.resolve(model).get("version") if model.startswith("models:/") else None
    tmp = out.with_name(f".{out.name}.partial")
    if frame is not None:
        scores = scorer.score_frame(frame, reasons=not args.no_reasons)
        write_csv(tmp, scores)
        n_leads, n_bad = len(scores), int((~scores["scored"]).sum())
        tiers = {t: int((scores["tier"] == t).sum()) for t in "ABCD"}
    else:
        n_leads, n_bad, tiers = _predict_in_chunks(args, scorer, tmp)
    os.replace(tmp, out)
    result = {"out": str(out.resolve()), "leads": n_leads, "scored": n_leads - n_bad,
              "not_scored": n_bad, "model": model, "version": version, "tiers": tiers}
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    elif not args.quiet:
        print(f"scored {result['scored']} of {result['leads']} leads with {model}"
              + (f" (v{version})" if version else "") + f" -> {out}")
        if n_bad:
            print(f"{n_bad} leads could not be scored; see the 'problem' column", file=sys.stderr)
    return 0


def _predict_in_chunks(args: argparse.Namespace, scorer, tmp: Path) -> tuple[int, int, dict]:
    """Read, score and write ``--chunk-rows`` leads at a time (here or on a Dask cluster's
    workers, in input order); the bytes are those of the whole-file run."""
    from revops.outputs import spreadsheet_safe
    from revops.reading import reading_from_flags
    from revops.streaming import iter_input_chunks
    from scoring.batch import connect, score_chunks

    chunk_rows = args.chunk_rows or 200_000
    chunks = iter_input_chunks(args.leads, reading_from_flags(args), like="leads",
                               chunk_rows=chunk_rows)
    client = connect(args.scheduler) if args.backend == "dask" else None
    n_leads = n_bad = 0
    tiers = dict.fromkeys("ABCD", 0)
    try:
        options: dict = {}
        if client is not None:
            workers = max(1, len(client.scheduler_info()["workers"]))
            # the model travels once to every worker, not with every chunk
            options = dict(executor=client, scorer_on_workers=client.scatter(scorer, broadcast=True),
                           in_flight=2 * workers)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            for i, scores in enumerate(score_chunks(scorer, chunks, reasons=not args.no_reasons,
                                                    **options)):
                # write_csv's format, one chunk after the other
                spreadsheet_safe(scores).to_csv(handle, header=i == 0, index=False,
                                                float_format="%.6f", lineterminator="\n")
                n_leads += len(scores)
                n_bad += int((~scores["scored"]).sum())
                for t in tiers:
                    tiers[t] += int((scores["tier"] == t).sum())
                if i:  # progress on files of more than one chunk
                    _say(args, f"scored {n_leads:,} leads")
                del scores  # before the next chunk is read
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if client is not None:
            client.close()
    return n_leads, n_bad, tiers


def run_promote(args: argparse.Namespace) -> int:
    plan = _plan(args)
    name = _model_name(args, plan)
    _store(args, plan, create=False)
    from scoring import registry

    result = registry.promote(args.version, model_name=name)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"{name} champion: v{result['champion']}"
              + (f" (was v{result['previous']})" if result["previous"] and result["changed"] else "")
              + ("" if result["changed"] else " (unchanged)"))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    plan = _plan(args)
    name = _model_name(args, plan)
    _store(args, plan, create=False)
    from scoring import registry

    result = registry.rollback(model_name=name)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"{name} champion: v{result['champion']} (rolled back from v{result['rolled_back']})")
    return 0
