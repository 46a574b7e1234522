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
      revops score serve --max-connections 4000 --header-timeout-seconds 5   # a busier router
    routes: POST /v1/score, GET /healthz /readyz /v1/model /metrics /openapi.json /docs.
    With REVOPS_API_KEY set, every route but /healthz needs 'Authorization: Bearer <key>'.
    The champion alias is polled every --poll-seconds and a new version is swapped in live.
    At start the open-file limit is raised to its hard limit, and --max-connections lowered to
    fit it if need be (a warning says so).""")


# Settings with a flag of the same name (``--header-timeout-seconds``); the help text is the
# setting's own description.
GUARDS = (("header_timeout_seconds", float), ("body_timeout_seconds", float), ("keep_alive_seconds", int),
          ("max_connections", int), ("max_header_bytes", int), ("batch_threads", int))


def _description(name: str) -> str:
    from scoring.service.settings import ServiceSettings

    return ServiceSettings.__pydantic_fields__[name].description.replace("%", "%%")


def add_serve_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``serve`` to the ``revops score`` subcommands."""
    from scoring.service.settings import ServiceSettings

    d = ServiceSettings()
    serve = subparsers.add_parser("serve", help="serve the champion model over HTTP for the lead router",
                                  formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    serve.add_argument("--model", default=d.model_uri,
                       help=f"MLflow model URI; an @alias is followed live (default: {d.model_uri})")
    serve.add_argument("--host", default=d.host, help=f"address to bind (default: {d.host}, this machine only)")
    serve.add_argument("--port", type=int, default=d.port, help=f"port (default: {d.port})")
    serve.add_argument("--workers", type=int, default=d.workers,
                       help="worker processes, each with its own copy of the model (default: 1)")
    serve.add_argument("--max-batch", type=int, default=d.max_batch,
                       help=f"most leads per request; more is a 413 (default: {d.max_batch})")
    serve.add_argument("--max-body-bytes", type=int, default=d.max_body_bytes,
                       help=f"largest request body; larger is a 413 (default: {d.max_body_bytes})")
    serve.add_argument("--max-string-chars", type=int, default=d.max_string_chars,
                       help=f"longest text value in a lead; longer is a 422 (default: {d.max_string_chars})")
    serve.add_argument("--poll-seconds", type=float, default=d.poll_seconds,
                       help=f"how often the model alias is checked (default: {d.poll_seconds})")
    serve.add_argument("--log-level", default=d.log_level,
                       choices=["critical", "error", "warning", "info", "debug"], help="server log level")
    limits = serve.add_argument_group("connection limits (per worker)")
    for name, kind in GUARDS:
        limits.add_argument("--" + name.replace("_", "-"), type=kind, default=getattr(d, name),
                            help=f"{_description(name)} (default: {getattr(d, name)})")
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


def settings_from_args(args: argparse.Namespace):
    """The service settings of a ``serve`` command line; a bad value is a ConfigError naming the flag."""
    from pydantic import ValidationError

    from revops.errors import config_error
    from scoring.service.settings import ServiceSettings

    flags = {"model_uri": "--model"}
    try:
        return ServiceSettings.from_env(
            model_uri=args.model, host=args.host, port=args.port, workers=args.workers,
            max_batch=args.max_batch, max_body_bytes=args.max_body_bytes,
            max_string_chars=args.max_string_chars, poll_seconds=args.poll_seconds, log_level=args.log_level,
            **{name: getattr(args, name) for name, _ in GUARDS})
    except ValidationError as exc:
        raise config_error(exc, "command line", lambda loc: flags.get(str(loc[0]), "--" + str(loc[0]).replace(
            "_", "-")) if loc else "") from None


def run_serve(args: argparse.Namespace) -> int:
    from revops.mlflow_setup import configure
    from scoring.service.server import serve

    settings = settings_from_args(args)
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
    serve(settings)
    return 0
