"""Every ``revops score serve`` setting is also a REVOPS_* variable; flags win over variables."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from scoring.service.settings import ServiceSettings, env_name


def _parse(argv, environ):
    from revops.commands.serve import add_serve_parser, settings_from_args

    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers(dest="action"))
    return settings_from_args(parser.parse_args(["serve", *argv]), environ)


ENVIRON = {
    "REVOPS_MODEL_URI": "models:/lead-scoring/4", "REVOPS_HOST": "0.0.0.0", "REVOPS_PORT": "9001",
    "REVOPS_WORKERS": "3", "REVOPS_API_KEY": "k", "REVOPS_MAX_BODY_BYTES": "5000", "REVOPS_MAX_BATCH": "7",
    "REVOPS_MAX_STRING_CHARS": "50", "REVOPS_POLL_SECONDS": "0.5", "REVOPS_LOG_LEVEL": "info",
    "REVOPS_HEADER_TIMEOUT_SECONDS": "3", "REVOPS_BODY_TIMEOUT_SECONDS": "4", "REVOPS_KEEP_ALIVE_SECONDS": "6",
    "REVOPS_MAX_CONNECTIONS": "80", "REVOPS_MAX_HEADER_BYTES": "4096", "REVOPS_BATCH_THREADS": "3",
    "REVOPS_TERRITORY_PLAN": "/plan", "REVOPS_UNAVAILABLE": "/plan/away.csv", "REVOPS_ROUTE_STATE": "/var/rr.sqlite",
    "REVOPS_TIER_CAPS": '{"A": 20, "B": 40}', "REVOPS_METRICS_DIR": "/tmp/m",
}


def test_every_setting_has_a_variable_and_the_service_starts_from_them_alone():
    assert sorted(env_name(n) for n in ServiceSettings.__pydantic_fields__) == sorted(ENVIRON)
    settings = _parse([], ENVIRON)
    assert settings == ServiceSettings(
        model_uri="models:/lead-scoring/4", host="0.0.0.0", port=9001, workers=3, api_key="k", max_body_bytes=5000,
        max_batch=7, max_string_chars=50, poll_seconds=0.5, log_level="info", header_timeout_seconds=3.0,
        body_timeout_seconds=4.0, keep_alive_seconds=6, max_connections=80, max_header_bytes=4096, batch_threads=3,
        territory_plan=Path("/plan"), unavailable=Path("/plan/away.csv"), route_state=Path("/var/rr.sqlite"),
        tier_caps={"A": 20, "B": 40}, metrics_dir=Path("/tmp/m"))
    # Worker processes get the resolved settings back (the key through its own variable).
    again = ServiceSettings.from_env({"REVOPS_SERVE_SETTINGS": settings.to_env(), "REVOPS_API_KEY": "k"})
    assert again == settings


def test_flags_win_over_variables_and_empty_variables_are_unset():
    settings = _parse(["--port", "9100", "--tier-cap", "A=5", "--tier-cap", "D=50", "--territory-plan", "p"],
                      {**ENVIRON, "REVOPS_WORKERS": ""})
    assert (settings.port, settings.tier_caps, settings.territory_plan, settings.workers, settings.host) == (
        9100, {"A": 5, "D": 50}, Path("p"), 1, "0.0.0.0")
    assert _parse([], {}) == ServiceSettings()


def test_a_bad_value_names_the_variable_or_the_flag():
    from revops.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _parse([], {"REVOPS_PORT": "eighty"})
    assert str(caught.value).startswith("command line: REVOPS_PORT: Input should be a valid integer")
    with pytest.raises(ConfigError) as caught:
        _parse(["--tier-cap", "E=3"], {"REVOPS_WORKERS": "0"})
    message = str(caught.value)
    assert "REVOPS_WORKERS: Input should be greater than or equal to 1" in message
    assert "--tier-cap E: Input should be 'A', 'B', 'C' or 'D'" in message
