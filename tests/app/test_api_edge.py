"""The API's checked edge: a JSON number reaches the database as sent, or the request is refused
with 422 naming the field and nothing is written. Ids beyond the database, nesting, size and
unknown fields are refused with a 4xx, never a 500."""
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.money import MAX_VND
from tests.conftest import login


@pytest.fixture
def shop(app, world):
    """A booth with its till T1 (shift open), one product of 60.000 ₫ with 50 on hand, a cashier logged in."""
    from pos.extensions import db
    from pos.models import Till

    world.booth()
    pid = world.product(price_vnd=60_000, stock=50)
    world.user("cashier", username="thungan")
    with app.app_context():
        till_id = db.session.query(Till).filter_by(code="T1").one().id
    return dict(pid=pid, till_id=till_id)


def _sale_body(shop, qty=1, product_id=None, tendered=500_000, **extra):
    return dict(till_id=shop["till_id"], lines=[dict(product_id=product_id or shop["pid"], qty=qty)],
                payments=[dict(method="cash", tendered_vnd=tendered)], **extra)


def _sell(client, body, key=None):
    return client.post("/api/v1/sales", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def _sales_count(app):
    from pos.extensions import db
    from pos.models import Sale

    with app.app_context():
        return db.session.query(Sale).count()


@pytest.mark.parametrize("qty", [1.5, 1.0, "1", True, None, [1]])
def test_a_quantity_that_is_not_a_json_integer_is_refused_and_nothing_is_sold(client, app, world, shop, qty):
    login(client, "thungan")
    response = _sell(client, _sale_body(shop, qty=qty))
    assert response.status_code == 422
    assert response.json["error"] == "InvalidInput" and response.json["field"] == "lines[0].qty"
    assert _sales_count(app) == 0 and world.on_hand(shop["pid"]) == 50


def test_a_float_quantity_is_told_apart_in_the_message(client, shop):
    login(client, "thungan")
    response = _sell(client, _sale_body(shop, qty=1.0))
    assert "2.0" in response.json["message"]  # "Phải là số nguyên, không có phần thập phân (ví dụ 2, không phải 2.0)"


def test_the_message_is_in_the_users_language(client, world, shop):
    world.user("cashier", username="cashier.en", language="en")
    login(client, "cashier.en")
    response = _sell(client, _sale_body(shop, qty=1.5))
    assert response.status_code == 422 and response.json["message"].startswith("Must be a whole number")


def test_a_product_id_of_one_point_zero_is_refused_not_read_as_product_ten(client, app, world, shop):
    login(client, "thungan")
    response = _sell(client, _sale_body(shop, product_id=1.0))
    assert response.status_code == 422 and response.json["field"] == "lines[0].product_id"
    assert _sales_count(app) == 0


def test_a_tendered_amount_with_a_decimal_point_is_refused(client, app, shop):
    login(client, "thungan")
    response = _sell(client, _sale_body(shop, tendered=100000.0))
    assert response.status_code == 422 and response.json["field"] == "payments[0].tendered_vnd"
    assert _sales_count(app) == 0


def test_an_id_beyond_the_database_in_a_body_is_refused(client, app, shop):
    login(client, "thungan")
    response = _sell(client, dict(_sale_body(shop), till_id=2**64))
    assert response.status_code == 422 and response.json["field"] == "till_id"
    assert _sales_count(app) == 0


@pytest.mark.parametrize("body, field", [
    (lambda shop: dict(_sale_body(shop), total_vnd=1), "total_vnd"),
    (lambda shop: dict(_sale_body(shop), lines=[dict(product_id=shop["pid"], qty=1, unit_price_vnd=1)]),
     "lines[0].unit_price_vnd"),
])
def test_an_unknown_field_is_refused_by_name(client, app, shop, body, field):
    login(client, "thungan")
    response = _sell(client, body(shop))
    assert response.status_code == 422 and response.json["field"] == field
    assert _sales_count(app) == 0


@pytest.mark.parametrize("qty", [2.0, 2.5, "2"])
def test_a_stock_document_line_of_two_point_zero_is_refused_and_stock_is_unchanged(client, world, shop, qty):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = client.post("/api/v1/stock/documents", json={"kind": "sample", "reason": "thử",
                                                              "lines": [{"product_id": shop["pid"], "qty": qty}]})
    assert response.status_code == 422 and response.json["field"] == "lines[0].qty"
    assert world.on_hand(shop["pid"]) == 50


@pytest.mark.parametrize("path", ["/api/v1/sales/18446744073709551616", "/api/v1/products/9223372036854775808",
                                  "/api/v1/print-jobs/18446744073709551616",
                                  "/api/v1/shifts/sales/18446744073709551616/returns"])
def test_an_id_beyond_the_database_in_a_path_is_not_found(client, shop, path):
    login(client, "thungan")
    response = client.get(path)
    assert response.status_code == 404 and response.json["error"] == "NotFound"


@pytest.mark.parametrize("query, field", [
    ("till_id=18446744073709551616", "till_id"), ("till_id=abc", "till_id"), ("till_id=1.0", "till_id"),
    ("till_id=-1", "till_id"), ("colour=red", "colour"),
])
def test_a_query_parameter_of_the_wrong_type_or_range_is_refused(client, shop, query, field):
    login(client, "thungan")
    response = client.get(f"/api/v1/sales?{query}")
    assert response.status_code == 422 and response.json["field"] == field


def test_a_report_filter_beyond_the_database_is_refused(client, world, shop):
    world.user("organiser", username="btc")
    login(client, "btc")
    response = client.get("/api/v1/reports/dashboard/sales?product_id=99999999999999999999")
    assert response.status_code == 422 and response.json["field"] == "product_id"


def test_json_nested_ten_thousand_deep_is_refused_not_a_server_error(client, app, shop):
    login(client, "thungan")
    deep = "[" * 10_000 + "]" * 10_000
    for path in ("/api/v1/sales", "/api/v1/parked-carts", "/api/v1/stock/documents"):
        response = client.post(path, data=deep, content_type="application/json",
                               headers={"Idempotency-Key": "deep"})
        assert response.status_code in (403, 422), path  # stock documents: a cashier is refused first
    cart = {"till_id": shop["till_id"], "content": {"a": json.loads("[" * 40 + "]" * 40)}}
    nested = client.post("/api/v1/parked-carts", json=cart)
    assert nested.status_code == 422 and nested.json["field"] == "body"
    assert _sales_count(app) == 0


def test_a_body_over_the_size_limit_is_refused_with_413_as_json(client, app, shop):
    login(client, "thungan")
    body = dict(_sale_body(shop), note="x" * (2 * 1024 * 1024))
    response = _sell(client, body)
    assert response.status_code == 413 and response.json["error"] == "TooLarge"
    assert _sales_count(app) == 0


def test_malformed_json_is_refused_naming_the_body(client, shop):
    login(client, "thungan")
    response = client.post("/api/v1/sales", data=b"{\"till_id\": 1,", content_type="application/json",
                           headers={"Idempotency-Key": "k"})
    assert response.status_code == 422 and response.json["field"] == "body"
    junk = client.post("/api/v1/sales", data=b"\xff\xfe\x00junk", content_type="application/json",
                       headers={"Idempotency-Key": "k2"})
    assert junk.status_code == 422


def test_a_refusal_that_says_when_to_try_again_sets_retry_after(app):
    from pos.web.errors import domain_error_response
    from pos.errors import DomainError

    class Delayed(DomainError):
        retry_after_s = 29.2

    with app.test_request_context("/api/v1/sales"):
        body, status, headers = domain_error_response(Delayed())
    assert status == 409 and headers["Retry-After"] == "30" and set(body) == {"error", "message", "field"}


@pytest.fixture
def big_shop(app, world, shop):
    """shop, with a manager (she approves her own discounts) and a product with plenty on hand."""
    world.user("manager", username="quanly")
    return dict(shop, pid=world.product(name="Miến dong 500g", price_vnd=60_000, stock=10_000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(qty=st.integers(1, 5), over=st.integers(0, MAX_VND - 5 * 60_000), discount=st.integers(0, 299_999))
def test_any_json_integer_in_range_is_stored_exactly_as_sent(client, big_shop, qty, over, discount):
    login(client, "quanly")
    discount = min(discount, qty * 60_000 - 1)
    total = qty * 60_000 - discount
    tendered = total + over
    response = _sell(client, _sale_body(big_shop, qty=qty, tendered=tendered, order_discount_vnd=discount))
    assert response.status_code == 201, response.json
    sale = client.get(f"/api/v1/sales/{response.json['id']}").json
    assert sale["lines"][0]["qty"] == qty and sale["discount_vnd"] == discount
    assert sale["payments"][0]["tendered_vnd"] == tendered and sale["change_vnd"] == tendered - total


def test_the_openapi_document_is_generated_from_every_api_route_with_its_refusals(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    seen = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "{%s}" % name).replace(f"<{name}>", "{%s}" % name)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = doc["paths"][path][method.lower()]
            seen += 1
            if "requestBody" in op:
                assert {"413", "422"} <= set(op["responses"]), (path, method)
            if rule.arguments:
                assert {"404", "422"} <= set(op["responses"]), (path, method)
            if "public" not in op["x-roles"]:
                assert {"401", "403"} <= set(op["responses"]), (path, method)
    assert seen == sum(len(ops) for ops in doc["paths"].values())
    line = doc["components"]["schemas"]["SaleLineIn"]
    assert line["additionalProperties"] is False
    assert line["properties"]["qty"] == {"maximum": 10_000, "minimum": 1, "title": "Qty", "type": "integer"}
    sale = doc["paths"]["/api/v1/sales"]["post"]
    assert {"200", "201", "403", "409", "429"} <= set(sale["responses"])


def test_a_display_link_with_non_ascii_characters_is_not_found_not_a_server_error(client, shop):
    response = client.get("/api/v1/display/%C3%A9t%C3%A9/state")
    assert response.status_code == 404 and response.json["error"] == "NotFound"


def test_the_shift_return_and_closing_bodies_declare_exactly_the_fields_their_services_take():
    # Each body's typed() builds the service's value field by field: a field added to one side
    # only would be refused by the schema or never reach the service.
    from dataclasses import fields

    from pos.web import schemas as sc
    from pos.services.reporting import closing
    from pos.services import returns, shifts

    for model, typed in ((sc.OpenShiftIn, shifts.NewShift), (sc.CashMovementIn, shifts.CashMove),
                         (sc.CloseShiftIn, shifts.CashCount), (sc.VoidIn, returns.NewVoid),
                         (sc.RefundIn, returns.NewRefund), (sc.RefundLineIn, returns.RefundItem),
                         (sc.CloseFairIn, closing.CloseFair)):
        assert set(model.model_fields) == {f.name for f in fields(typed)}, model
