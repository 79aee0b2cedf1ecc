"""Property tests of the HTTP API against its own OpenAPI document: generated requests (valid
and invalid) to every route never get a 5xx, and every response matches its documented
status codes and schema. Generation is derandomized, so every run sends the same requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from interview_graph.api.app import create_app
from interview_graph.settings import Settings
from tests.integration.cli_helpers import SAMPLES, base_env, run_cli


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[OpenApiSchema, dict[str, str]]]:
    """The app with tokens required, and an admin's token in the schema's headers: every
    route is reached, and the checks also send requests with missing or invalid tokens."""
    data = tmp_path_factory.mktemp("schema") / "data"
    env = base_env(data, ENABLE_EVENT_SOURCING="true", API_AUTH="true")
    processed = run_cli(["process", str(SAMPLES / "pricing-call.md"), "--json"], env)
    assert processed.returncode == 0, processed.stderr
    added = run_cli(["users", "add", "fuzzer", "--role", "admin"], env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    with pytest.MonkeyPatch.context() as patch:
        for key in ("DATA_DIR", "FALKORDB_IDLE_SECONDS", "ENABLE_EVENT_SOURCING", "API_AUTH"):
            patch.setenv(key, env[key])
        app = create_app(Settings())
        headers = {"Authorization": f"Bearer {token}"}
        yield schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers), headers


def excluded_checks(label: str) -> list[Any]:
    """A request the schema allows may still be refused with a 400 by design (a cursor of no
    listing, a search query that does not parse). An upload's form fields are all text on
    the wire, so an "invalid" generated value (a null project) arrives as valid text, and too
    many files are refused with a 413; its invalid requests are checked by the upload tests.
    Every other check runs."""
    if label == "POST /api/transcripts":
        return [positive_data_acceptance, negative_data_rejection]
    return [positive_data_acceptance]


# Generated requests per route, for each of the valid and the invalid (negative) kinds.
EXAMPLES_PER_ROUTE = 25


def test_the_api_keeps_its_own_contract(
    api_schema: tuple[OpenApiSchema, dict[str, str]],
) -> None:
    schema, headers = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_ROUTE,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def keeps_contract(case: schemathesis.Case) -> None:
                # A case whose token was left out on purpose goes without one.
                negated = schema.is_security_param_negated(case)
                case.call_and_validate(
                    headers=None if negated else headers,
                    excluded_checks=excluded_checks(case.operation.label),
                )

            try:
                keeps_contract()
            except Unsatisfiable:
                # Only for invalid requests: a route whose every parameter takes any string
                # (or that has none) has no invalid request to send.
                assert mode is GenerationMode.NEGATIVE, operation.label
