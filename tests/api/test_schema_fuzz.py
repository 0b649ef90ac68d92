"""The generated schema against the running code (issue 19 point 7): schemathesis draws requests
for every operation from /api/v1/openapi.json, sends them with a read-write token of a unit's
联络员 through Django's test client (inside the test's transaction, on both databases), and
checks that no answer is a server error and that every answer matches the schema. Bounded:
a few examples per operation, derandomised."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.transport import Response

from mofan.api.api import api
from tests.api.helpers import token_of

pytestmark = pytest.mark.django_db
EXAMPLES = 4  # per operation: 15 operations, about seventy requests in all


def _send(client: Client, case: Any, token: str) -> Response:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=headers,
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    path = prepared.path_url
    body = prepared.body or b""
    answer = client.generic(
        prepared.method or "GET",
        path,
        data=body.encode() if isinstance(body, str) else body,
        content_type=prepared.headers.get("Content-Type", ""),
        headers={"Authorization": f"Bearer {token}"},
    )
    return Response(
        status_code=answer.status_code,
        headers={k.lower(): [v] for k, v in answer.headers.items()},
        content=answer.content,
        request=prepared,
        elapsed=0.0,
        verify=False,
    )


def test_every_operation_answers_as_its_schema_says(unit_admin, unit_a, settings_rate):
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
    token = token_of(unit_admin)
    client = Client(raise_request_exception=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    sent: list[int] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = _send(client, case, token)
            sent.append(response.status_code)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        check()
    assert len(sent) >= len(operations) and 200 in sent  # some got past the checks


@pytest.fixture
def settings_rate(settings):
    settings.MOFAN_API_RATE_PER_MINUTE = 10_000
