"""Fuzzing the JSON API with schemathesis, from its own OpenAPI document.

Every operation of /api/v1/openapi.json gets requests generated from the document (valid ones,
and ones that break it), sent to the Flask app in process (WSGI, no network), logged in as a
manager and as a cashier with the session cookie and the X-CSRFToken header the document
describes. A test fails on any 5xx, on a status the document does not list for the route, on a
content type or body that does not match the document, and on an invalid request accepted.

Bounded for CI (a few examples per operation); run longer by hand, e.g.
    POS_FUZZ_EXAMPLES=200 pytest tests/app/test_api_fuzz.py
"""
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.conftest import login

EXAMPLES = int(os.environ.get("POS_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Run last: closing the fair makes the booth read-only, which would hide the other writes' paths.
LAST = ("POST /api/v1/reports/closing/close",)


@pytest.fixture
def fuzz_world(app, world):
    """A booth with products in stock, a sale, a stock document, a manager and a cashier."""
    from tests.app.test_api_edge import _sale_body

    world.booth()
    pid = world.product(price_vnd=60_000, stock=500)
    world.product(name="Mật ong bạc hà", price_vnd=180_000, stock=20)
    world.user("manager", username="quanly")
    world.user("cashier", username="thungan")
    client = app.test_client()
    login(client, "quanly")
    from pos.extensions import db
    from pos.models import Till

    with app.app_context():
        till_id = db.session.query(Till).filter_by(code="T1").one().id
    sale = client.post("/api/v1/sales", json=_sale_body(dict(pid=pid, till_id=till_id), qty=2),
                       headers={"Idempotency-Key": "fuzz-seed"})
    assert sale.status_code == 201, sale.json
    return world


def _session(app, username: str) -> dict:
    """What a logged-in browser sends: the session cookie, and the page's CSRF token as X-CSRFToken."""
    client = app.test_client()
    login(client, username)
    page = client.get("/sell/" if username == "thungan" else "/stock").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    # identity: the app compresses larger answers (Flask-Compress), and the WSGI transport does not
    # inflate them as an HTTP client would.
    return {"cookies": {"session": client.get_cookie("session").value},
            "headers": {"X-CSRFToken": token, "Accept-Encoding": "identity"}}


def _operations(schema):
    ops = [result.ok() for result in schema.get_all_operations()]
    return sorted(ops, key=lambda op: (op.label in LAST, op.label))


def _fuzz(operation, session, mode, checks, path_parameters=None):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case):
        case.call_and_validate(checks=checks, **session)

    run()


@pytest.mark.parametrize("username", ["quanly", "thungan"])
def test_the_api_answers_every_generated_request_as_its_document_says(app, fuzz_world, username):
    session = _session(app, username)
    app.config["WTF_CSRF_ENABLED"] = True  # from here on a write without the token is refused, as in production
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for operation in _operations(schema):
        # Random ids mostly name nothing (404): a second round sends each id in the path as 1, which
        # names the seeded sale, shift, product, document ..., so generated bodies reach the services.
        ids = {p.name: 1 for p in operation.path_parameters if p.definition.get("schema", {}).get("type") == "integer"}
        rounds = [(mode, checks, None) for mode, checks in ((GenerationMode.POSITIVE, CHECKS),
                                                            (GenerationMode.NEGATIVE, [*CHECKS, negative_data_rejection]))]
        if ids:
            rounds += [(mode, checks, ids) for mode, checks, _ in rounds]
        for mode, checks, path_parameters in rounds:
            try:
                _fuzz(operation, session, mode, checks, path_parameters)
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # an operation with no input has no invalid request
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 - collect every failure, report them all
                failures.append(f"{operation.label} ({mode.value}): {str(err)[:1500]}")
    assert not failures, "\n\n".join(failures)
