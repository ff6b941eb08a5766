"""The OpenAPI document is the contract: schemathesis generates requests from it (a few per operation, bounded
in count and time) and checks every response: no 500s, documented status codes and content types, bodies that
match their schemas (the error envelope included).

The operations are driven with Hypothesis directly (``APIOperation.as_strategy``) rather than through the pytest
plugin, so the app can be built on the module's vault fixture.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import knowme
from knowme.interfaces.http import create_app
from tests.interfaces.http.conftest import auth

MAX_EXAMPLES = 8


def test_api_conforms_to_its_spec(server_vault: knowme.Vault, token: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(server_vault))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth(token))

        conforms()
        checked.append(operation.label)
    assert {"GET /api/search", "POST /api/ask", "POST /api/ingest", "GET /api/records"} <= set(checked)
    assert {"POST /api/forget", "POST /api/feedback", "GET /api/digest", "POST /api/grants"} <= set(checked)


def test_unauthenticated_requests_conform_too(server_vault: knowme.Vault) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(server_vault))
    operation = schema["/api/search"]["GET"]

    @given(case=operation.as_strategy(), bad=st.sampled_from([{}, {"Authorization": "Bearer nope"}]))
    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def refused(case: schemathesis.Case, bad: dict[str, str]) -> None:
        response = case.call_and_validate(headers=bad)
        assert response.status_code == 401

    refused()
