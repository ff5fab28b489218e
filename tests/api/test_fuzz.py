"""A schemathesis run over the OpenAPI document: whatever the request, no 5xx."""

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from redflags import ingest  # noqa: E402
from redflags.api import create_app  # noqa: E402
from redflags.api.keys import create_key  # noqa: E402

SKIPPED = {("POST", "/lists/update"), ("POST", "/screen")}
"""Tested on their own: fuzzing them would fetch lists from the network and start jobs."""

KEY: dict[str, str] = {}


@pytest.fixture
def api_schema(store: Any, fixture_path: Any) -> Any:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    app = create_app(store)
    app.state.holder.refresh()
    KEY["analyst"] = create_key(store, "analyst")[1]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    if (case.method.upper(), case.path) in SKIPPED:
        return
    response = case.call(headers={"Authorization": f"Bearer {KEY['analyst']}"})
    case.validate_response(response, checks=[not_a_server_error])
