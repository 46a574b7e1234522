"""``revops score serve``: the HTTP scoring endpoint for the lead router.

Wired in by ``revops/commands/score.py`` calling :func:`add_serve_parser` on its subparsers.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import textwrap

EPILOG = textwrap.dedent("""\
    examples:
      revops score serve                                   # models:/lead-scoring@champion on 127.0.0.1:8000
      REVOPS_API_KEY=s3cret revops score serve --host 0.0.0.0 --port 8080 --workers 2
      revops score serve --model models:/lead-scoring/3    # a fixed version (not followed)
      curl -s localhost:8000/v1/score -H 'content-type: application/json' \\
           -d '{"leads": [{"lead_id": "L1", "lead_source": "Webinar", "employees": 120}]}'
      revops score serve --territory-plan out/ --tier-cap A=20 --unavailable away.csv   # POST /v1/route
      curl -s localhost:8000/v1/route -H 'content-type: application/json' \\
           -d '{"leads": [{"lead_id": "L2", "account_id": "A00042", "segment": "SMB", "region": "EMEA"}]}'
      revops score serve --max-connections 4000 --header-timeout-seconds 5   # a busier router
      REVOPS_PORT=8080 REVOPS_TERRITORY_PLAN=/plan REVOPS_WORKERS=2 revops score serve   # no flags
    routes: POST /v1/score, GET /healthz /readyz /v1/model /metrics /openapi.json /docs; with a
    territory plan also POST /v1/route, GET /v1/route/plan, GET /v1/route/unavailable and
    PUT/DELETE /v1/route/unavailable/REP_ID.
    Every setting is also an environment variable: REVOPS_ and the setting in capitals
    (REVOPS_MODEL_URI, REVOPS_HOST, REVOPS_PORT, REVOPS_WORKERS, REVOPS_TERRITORY_PLAN,
    REVOPS_TIER_CAPS='{"A": 20}', ...); a flag given wins over its variable.
    With REVOPS_API_KEY set, every route but /healthz needs 'Authorization: Bearer <key>'.
    The champion alias and the territory plan's files are polled every --poll-seconds and a new
    version is swapped in live. With --workers N, /metrics adds up all workers (prometheus_client
    multiprocess files in --metrics-dir or a temporary folder).
    At start the open-file limit is raised to its hard limit, and --max-connections lowered to
    fit it if need be (a warning says so).""")


# Settings with a flag of the same name (``--header-timeout-seconds``); the help text is the
# setting's own description.
GUARDS = (("header_timeout_seconds", float), ("body_timeout_seconds", float), ("keep_alive_seconds", int),
          ("max_connections", int), ("max_header_bytes", int), ("batch_threads", int))
ROUTING = (("territory_plan", "DIR"), ("unavailable", "FILE"), ("route_state", "FILE"))
# Flags whose name is not the setting's.
FLAG_OF = {"model_uri": "--model", "tier_caps": "--tier-cap"}
# Every setting a flag can give (the API key only comes from REVOPS_API_KEY).
FLAGGED = ("model_uri", "host", "port", "workers", "max_batch", "max_body_bytes", "max_string_chars",
           "poll_seconds", "log_level", *(n for n, _ in GUARDS), *(n for n, _ in ROUTING), "tier_caps",
           "metrics_dir")


def _description(name: str) -> str:
    from scoring.service.settings import ServiceSettings

    return ServiceSettings.__pydantic_fields__[name].description.replace("%", "%%")


def _env(name: str) -> str:
    return "REVOPS_" + name.upper()


def _tier_cap(text: str) -> tuple[str, str]:
    tier, sep, cap = text.partition("=")
    if not sep or not tier.strip() or not cap.strip():
        raise argparse.ArgumentTypeError(f"expected TIER=N (e.g. A=20), got {text!r}")
    return tier.strip(), cap.strip()


def add_serve_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``serve`` to the ``revops score`` subcommands.

    Flags default to None ("not given"): the setting then comes from its REVOPS_* variable, else
    from the ServiceSettings default shown in the help.
    """
    from scoring.service.settings import ServiceSettings

    d = ServiceSettings()
    serve = subparsers.add_parser("serve", help="serve the champion model over HTTP for the lead router",
                                  formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)

    def env(name: str) -> str:
        return f"env {_env(name)}"

    serve.add_argument("--model", default=None,
                       help=f"MLflow model URI; an @alias is followed live (default: {d.model_uri}; {env('model_uri')})")
    serve.add_argument("--host", default=None,
                       help=f"address to bind (default: {d.host}, this machine only; {env('host')})")
    serve.add_argument("--port", type=int, default=None, help=f"port (default: {d.port}; {env('port')})")
    serve.add_argument("--workers", type=int, default=None,
                       help=f"worker processes, each with its own copy of the model (default: 1; {env('workers')})")
    serve.add_argument("--max-batch", type=int, default=None,
                       help=f"most leads per request; more is a 413 (default: {d.max_batch}; {env('max_batch')})")
    serve.add_argument("--max-body-bytes", type=int, default=None,
                       help=f"largest request body; larger is a 413 (default: {d.max_body_bytes}; "
                            f"{env('max_body_bytes')})")
    serve.add_argument("--max-string-chars", type=int, default=None,
                       help=f"longest text value in a lead; longer is a 422 (default: {d.max_string_chars}; "
                            f"{env('max_string_chars')})")
    serve.add_argument("--poll-seconds", type=float, default=None,
                       help=f"how often the model alias and the territory plan are checked (default: "
                            f"{d.poll_seconds}; {env('poll_seconds')})")
    serve.add_argument("--log-level", default=None, choices=["critical", "error", "warning", "info", "debug"],
                       help=f"server log level (default: {d.log_level}; {env('log_level')})")
    serve.add_argument("--metrics-dir", default=None, metavar="DIR",
                       help=f"{_description('metrics_dir')} ({env('metrics_dir')})")
    routing = serve.add_argument_group("routing (POST /v1/route)")
    for name, metavar in ROUTING:
        routing.add_argument("--" + name.replace("_", "-"), default=None, metavar=metavar,
                             help=f"{_description(name)} ({env(name)})")
    routing.add_argument("--tier-cap", action="append", type=_tier_cap, default=None, metavar="TIER=N",
                         help="most leads of TIER (A-D) one rep gets by round robin per UTC day; repeat "
                              "for several tiers (default: no caps; env REVOPS_TIER_CAPS='{\"A\": 20}')")
    limits = serve.add_argument_group("connection limits (per worker)")
    for name, kind in GUARDS:
        limits.add_argument("--" + name.replace("_", "-"), type=kind, default=None,
                            help=f"{_description(name)} (default: {getattr(d, name)}; {env(name)})")
    serve.add_argument("--quiet", action="store_true", help="no start-up message")
    serve.set_defaults(func=run_serve)
    return serve


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_from_args(args: argparse.Namespace, environ: dict[str, str] | None = None):
    """The service settings of a ``serve`` command line over the REVOPS_* variables; a bad value
    is a ConfigError naming the flag when one was given, else the variable."""
    from pydantic import ValidationError

    from revops.errors import config_error
    from scoring.service.settings import ServiceSettings

    dest = {"model_uri": "model", "tier_caps": "tier_cap"}  # argparse's names for FLAG_OF's flags
    given = {name: getattr(args, dest.get(name, name), None) for name in FLAGGED}
    if given["tier_caps"] is not None:
        given["tier_caps"] = dict(given["tier_caps"])

    def name(loc: tuple) -> str:
        if not loc:
            return ""
        setting = str(loc[0])
        if given.get(setting) is not None:
            flag = FLAG_OF.get(setting, "--" + setting.replace("_", "-"))
            return flag + (f" {loc[1]}" if setting == "tier_caps" and len(loc) > 1 else "")
        return _env(setting)

    try:
        return ServiceSettings.from_env(environ, **given)
    except ValidationError as exc:
        raise config_error(exc, "command line", name) from None


def run_serve(args: argparse.Namespace) -> int:
    from revops.mlflow_setup import configure
    from scoring.service.server import serve

    settings = settings_from_args(args)
    for setting in ("territory_plan", "unavailable"):
        path = getattr(settings, setting)
        if path is not None and not path.exists():
            from revops.errors import ConfigError

            flag = "--" + setting.replace("_", "-") if getattr(args, setting, None) else _env(setting)
            raise ConfigError(f"{flag}: no such {'folder' if setting == 'territory_plan' else 'file'} {str(path)!r}")
    # Worker processes read the store from the environment, like every MLflow client.
    os.environ["MLFLOW_TRACKING_URI"] = configure()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if not _is_loopback(settings.host) and not settings.api_key:
        print(f"warning: serving on {settings.host} without REVOPS_API_KEY: anyone who can reach "
              "this port can score leads and read the model's schema", file=sys.stderr)
    if not args.quiet:
        auth = "API key required" if settings.api_key else "no API key"
        print(f"scoring {settings.model_uri} on http://{settings.host}:{settings.port} "
              f"({settings.workers} worker{'s' if settings.workers > 1 else ''}, {auth}); Ctrl-C stops",
              file=sys.stderr)
        if settings.territory_plan is not None:
            print(f"routing with the territory plan in {settings.territory_plan} (POST /v1/route)", file=sys.stderr)
    serve(settings)
    return 0
