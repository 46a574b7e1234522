"""A bounded schema-driven fuzz run (schemathesis) against /openapi.json: never a 5xx.

Driven through Hypothesis directly: schemathesis' pytest plugin does not work with the pytest
in use here (it reads a private attribute pytest no longer has).
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow

EXAMPLES = 100  # per operation; five operations


def test_api_never_fails(real_server):
    schema = schemathesis.openapi.from_url(f"{real_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {"POST /v1/score", "GET /v1/model"}
    calls = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call_and_validate(base_url=real_server.url)
            calls.append((operation.path, response.status_code))

        run()
    scored = [status for path, status in calls if path == "/v1/score"]
    assert scored and all(status < 500 for _, status in calls)
    assert 200 in scored  # valid leads were generated and scored, not only rejected
