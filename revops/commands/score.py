"""``revops score train|predict|promote|rollback``: the lead scoring model from the command line."""
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
    writes OUT/metrics.json, lead_scores_holdout.csv, feature_report.csv, deciles.csv and
    roc.png, calibration.png, lift.png, feature_importance.png; logs all to MLflow and
    registers 'lead-scoring' (alias challenger; champion if it beats the champion).""")
EPILOG_PREDICT = textwrap.dedent("""\
    examples:
      revops score predict --leads new_leads.csv --out scores.csv
      revops score predict --leads new_leads.csv --out scores.csv --model models:/lead-scoring/3""")


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
    train.add_argument("--quiet", action="store_true", help="no progress messages")
    train.add_argument("--json", action="store_true", help="print the summary as JSON")
    train.set_defaults(func=run_train)

    predict = sub.add_parser("predict", help="score leads with a registered model",
                             formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_PREDICT)
    predict.add_argument("--leads", required=True, help="leads to score (CSV or Parquet)")
    predict.add_argument("--out", required=True, help="CSV to write")
    predict.add_argument("--model", default="models:/lead-scoring@champion",
                         help="MLflow model URI (default: models:/lead-scoring@champion)")
    predict.add_argument("--no-reasons", action="store_true", help="skip the reason columns (faster)")
    add_reading_flags(predict)
    predict.add_argument("--quiet", action="store_true", help="no progress messages")
    predict.add_argument("--json", action="store_true", help="print the summary as JSON")
    predict.set_defaults(func=run_predict)

    promote = sub.add_parser("promote", help="make a model version the champion",
                             formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog="example:\n  revops score promote 3")
    promote.add_argument("version", help="registered version of lead-scoring")
    promote.add_argument("--json", action="store_true", help="print the result as JSON")
    promote.set_defaults(func=run_promote)

    rollback = sub.add_parser("rollback", help="give the champion alias back to the previous champion",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog="example:\n  revops score rollback")
    rollback.add_argument("--json", action="store_true", help="print the result as JSON")
    rollback.set_defaults(func=run_rollback)
    _register_service(sub)


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
    from revops.mlflow_setup import LEAD_MODEL_NAME
    from revops.outputs import atomic_output_dir, check_output_dir, write_csv
    from revops.tracking import command_run, log_folder
    from scoring import ScoringConfig
    from scoring.model import LeadScorer

    config = config_from_flags(ScoringConfig, args)
    check_output_dir(args.out, inputs=[args.leads], force=args.force)
    frame = _read(args.leads, args, keep=(config.id_column, config.target))
    _say(args, f"read {len(frame)} leads from {args.leads}")
    scorer = LeadScorer.from_config(config, random_state=args.seed)
    scorer.fit(frame)  # every input error is raised here, before anything is written or registered
    for warning in scorer.warnings_:
        print(f"warning: {warning}", file=sys.stderr)
    holdout = frame[frame[config.id_column].isin(scorer.holdout_ids_)]

    _quiet_mlflow()
    from scoring import registry

    with atomic_output_dir(args.out, inputs=[args.leads], force=args.force) as tmp:
        write_training(scorer, config, tmp)
        write_csv(tmp / "lead_scores_holdout.csv", scorer.score_frame(holdout))
        summary = training_record(scorer, config)
        with command_run(LEAD_MODEL_NAME, "score-train", "scoring", quiet=args.quiet) as run:
            log_training(scorer, config, args.seed, leads_file=Path(args.leads).name)
            decision = registry.register(scorer, holdout)
            summary["registry"] = {**decision, "run_id": run.info.run_id}
            log_folder(tmp, "scoring")
    _report_train(args, summary)
    return 0


def _report_train(args: argparse.Namespace, summary: dict) -> None:
    m, reg = summary["metrics"], summary["registry"]
    if args.json:
        from revops.outputs import json_safe

        print(json.dumps(json_safe({"out": os.path.abspath(args.out), "metrics": m, "registry": reg,
                                    "warnings": summary["warnings"]}), indent=2, sort_keys=True,
                         default=str))
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
    verdict = "now champion" if reg["promoted"] else "challenger only"
    print(f"registered lead-scoring v{reg['version']} ({verdict}: {reg['reason']})")
    print(f"outputs: {os.path.abspath(args.out)}")


def run_predict(args: argparse.Namespace) -> int:
    from revops.errors import ConfigError
    from revops.mlflow_setup import configure
    from revops.outputs import write_csv

    out = Path(args.out)
    if out.exists() and (out.is_dir() or out.resolve() == Path(args.leads).resolve()):
        raise ConfigError(f"--out {args.out}: " + ("that is the --leads file; scores go to a new file."
                          if out.is_file() else "a folder of that name is in the way; --out is a CSV file."))
    frame = _read(args.leads, args)
    if Path(args.model).suffix == ".joblib" and Path(args.model).is_file():
        import joblib

        scorer, version = joblib.load(args.model), None
    else:
        configure()
        _quiet_mlflow()
        from scoring import registry

        scorer = registry.load(args.model)
        version = registry.resolve(args.model).get("version") if args.model.startswith("models:/") else None
    scores = scorer.score_frame(frame, reasons=not args.no_reasons)
    tmp = out.with_name(f".{out.name}.partial")
    write_csv(tmp, scores)
    os.replace(tmp, out)
    n_bad = int((~scores["scored"]).sum())
    result = {"out": str(out.resolve()), "leads": len(scores), "scored": len(scores) - n_bad,
              "not_scored": n_bad, "model": args.model, "version": version,
              "tiers": {t: int((scores["tier"] == t).sum()) for t in "ABCD"}}
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    elif not args.quiet:
        print(f"scored {result['scored']} of {result['leads']} leads with {args.model}"
              + (f" (v{version})" if version else "") + f" -> {out}")
        if n_bad:
            print(f"{n_bad} leads could not be scored; see the 'problem' column", file=sys.stderr)
    return 0


def run_promote(args: argparse.Namespace) -> int:
    from revops.mlflow_setup import configure

    configure()
    from scoring import registry

    result = registry.promote(args.version)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"lead-scoring champion: v{result['champion']}"
              + (f" (was v{result['previous']})" if result["previous"] and result["changed"] else "")
              + ("" if result["changed"] else " (unchanged)"))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from revops.mlflow_setup import configure

    configure()
    from scoring import registry

    result = registry.rollback()
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"lead-scoring champion: v{result['champion']} (rolled back from v{result['rolled_back']})")
    return 0
