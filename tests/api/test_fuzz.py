"""A schemathesis run over the OpenAPI document: whatever the request, no 5xx."""

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from redflags import ingest  # noqa: E402
from redflags.api import create_app  # noqa: E402
from redflags.api.keys import create_key  # noqa: E402
from redflags.store import Store  # noqa: E402

SKIPPED = {("POST", "/lists/update"), ("POST", "/screen")}
"""Tested on their own: fuzzing them would fetch lists from the network and start jobs."""

# schemathesis collects the operations when this module is imported, so the app (over a
# real SQLite store loaded from a fixture) is made here rather than in a pytest fixture.
_TMP = tempfile.TemporaryDirectory(prefix="redflags-fuzz-")
_STORE = Store(f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}")
ingest.load(_STORE, [Path(__file__).parents[1] / "fixtures/sources/us_csl/good.csv"], force=True)
_APP = create_app(_STORE)
_APP.state.holder.refresh()
_KEY = create_key(_STORE, "analyst")[1]
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP, headers={"Authorization": f"Bearer {_KEY}"})


@schema.parametrize()
@hypothesis_settings(max_examples=int(os.environ.get("REDFLAGS_FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    if (case.method.upper(), case.path) in SKIPPED:
        return
    response = case.call(headers={"Authorization": f"Bearer {_KEY}"})
    case.validate_response(response, checks=[not_a_server_error])
