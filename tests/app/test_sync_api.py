"""The hub's sync API refuses bad pushes whole, naming the bad record, on SQLite and PostgreSQL."""
from __future__ import annotations

import copy
import json

import pytest

from pos.db import unit_of_work
from pos.extensions import db
from pos.models import Payment, Sale, SaleLine, StockMovement, User
from pos.services.sync import booth as sync_booth, hub as sync_hub
from tests.app.test_sync_support import dispose, hub_and_booth

QUE = "Tinh dầu quế 10ml"


@pytest.fixture
def setup(db_url, tmp_path):
    hub, booth, booth_id, token, key = hub_and_booth(db_url, tmp_path)
    que = hub.products[QUE]
    booth.sell({que: 2})
    booth.sell({que: 1})
    with booth.app.app_context():
        batch = sync_booth.build_batch(db.session, sync_booth.plan_batches(db.session)[0])
    client = hub.app.test_client()
    yield hub, booth, booth_id, token, batch, client
    dispose(booth.app)
    dispose(hub.app)


def _post(client, token, body, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if isinstance(body, (dict, list)):
        return client.post("/api/v1/sync/batches", json=body, headers=headers, **kw)
    return client.post("/api/v1/sync/batches", data=body, headers=headers, content_type="application/json", **kw)


def _nothing_stored(hub):
    return all(hub.count(m) == 0 for m in (Sale, SaleLine, Payment, StockMovement))


def _index(batch, table, n=0):
    return [i for i, r in enumerate(batch["records"]) if r["table"] == table][n]


def test_a_good_batch_is_stored_and_answered_with_the_contiguous_sequence(setup):
    hub, booth, booth_id, token, batch, client = setup
    response = _post(client, token, batch)
    assert response.status_code == 200, response.json
    assert response.json["contiguous_seq"] == max(r["seq"] for r in batch["records"])
    assert response.json["stored"] == len(batch["records"]) + len(batch["context"])
    assert hub.count(Sale) == 2


def test_a_missing_or_wrong_token_gets_401_and_stores_nothing(setup):
    hub, booth, booth_id, token, batch, client = setup
    for bad in (None, "fpt_sai-ma", token[:-2] + "xx"):
        response = _post(client, bad, batch)
        assert response.status_code == 401 and response.json["error"] == "BadToken"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/sync/provision").status_code == 401
    assert client.post("/api/v1/sync/compare", json={}, headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert _nothing_stored(hub)


def test_a_replaced_token_stops_working(setup):
    hub, booth, booth_id, token, batch, client = setup
    new_token, _ = hub.credentials(booth_id)
    assert _post(client, token, batch).status_code == 401
    assert _post(client, new_token, batch).status_code == 200


def test_an_oversized_batch_gets_413_and_stores_nothing(setup):
    hub, booth, booth_id, token, batch, client = setup
    hub.app.config["SYNC_MAX_BATCH_BYTES"] = 2000
    response = _post(client, token, batch)
    assert response.status_code == 413 and response.json["error"] == "BatchTooLarge"
    hub.app.config.pop("SYNC_MAX_BATCH_BYTES")
    huge = dict(batch, refs=batch["refs"] * (sync_hub.MAX_BATCH_RECORDS // max(len(batch["refs"]), 1) + 1))
    response = _post(client, token, huge)
    assert response.status_code == 413
    assert _nothing_stored(hub)


def test_malformed_json_gets_422_and_stores_nothing(setup):
    hub, booth, booth_id, token, batch, client = setup
    text = json.dumps(batch)
    response = _post(client, token, text[: len(text) // 2])  # cut off mid-batch
    assert response.status_code == 422 and response.json["field"] == "body"
    assert _post(client, token, "[1, 2]").status_code == 422
    assert _nothing_stored(hub)


def test_unknown_fields_are_refused_naming_the_record_and_field(setup):
    hub, booth, booth_id, token, batch, client = setup
    bad = copy.deepcopy(batch)
    bad["colour"] = "red"
    response = _post(client, token, bad)
    assert response.status_code == 422 and response.json["field"] == "colour"
    bad = copy.deepcopy(batch)
    i = _index(bad, "sale_line", 1)
    bad["records"][i]["discount_percent"] = 5
    response = _post(client, token, bad)
    assert response.status_code == 422
    assert response.json["field"] == f"records[{i}].discount_percent"
    assert bad["records"][i]["uuid"] in response.json["message"] and "sale_line" in response.json["message"]
    assert _nothing_stored(hub)


def test_a_negative_quantity_is_refused_naming_the_record(setup):
    hub, booth, booth_id, token, batch, client = setup
    bad = copy.deepcopy(batch)
    i = _index(bad, "sale_line")
    bad["records"][i]["qty"] = -2
    response = _post(client, token, bad)
    assert response.status_code == 422 and response.json["field"] == f"records[{i}].qty"
    assert bad["records"][i]["uuid"] in response.json["message"]
    assert _nothing_stored(hub)


def test_a_wrong_type_or_an_absurd_number_is_refused_naming_the_field(setup):
    hub, booth, booth_id, token, batch, client = setup
    for field, value in (("qty", "2"), ("qty", 10**12), ("net_vnd", 1.5), ("product_uuid", "not-a-uuid")):
        bad = copy.deepcopy(batch)
        i = _index(bad, "sale_line")
        bad["records"][i][field] = value
        response = _post(client, token, bad)
        assert response.status_code == 422, (field, value)
        assert response.json["field"] == f"records[{i}].{field}"
    assert _nothing_stored(hub)


def test_a_sale_without_its_lines_is_refused_and_nothing_of_the_batch_is_stored(setup):
    hub, booth, booth_id, token, batch, client = setup
    bad = copy.deepcopy(batch)
    first_sale = bad["records"][_index(bad, "sale")]
    bad["records"] = [r for r in bad["records"]
                      if not (r["table"] == "sale_line" and r["sale_uuid"] == first_sale["uuid"])]
    response = _post(client, token, bad)
    assert response.status_code == 422 and first_sale["uuid"] in response.json["message"]
    # Lines that do not add up to the sale's total are refused too.
    bad = copy.deepcopy(batch)
    bad["records"][_index(bad, "sale")]["total_vnd"] += 1000
    assert _post(client, token, bad).status_code == 422
    assert _nothing_stored(hub)


def test_a_line_pointing_at_an_unknown_product_is_refused_naming_it(setup):
    hub, booth, booth_id, token, batch, client = setup
    bad = copy.deepcopy(batch)
    i = _index(bad, "sale_line")
    bad["records"][i]["product_uuid"] = "00000000-0000-4000-8000-000000000000"
    response = _post(client, token, bad)
    assert response.status_code == 422 and response.json["field"] == f"records[{i}].product_uuid"
    assert _nothing_stored(hub)


def test_a_record_claiming_another_booth_is_refused(setup):
    hub, booth, booth_id, token, batch, client = setup
    other = hub.booth("B09", "Gian hàng Đầm Hà")
    bad = copy.deepcopy(batch)
    i = _index(bad, "payment")
    bad["records"][i]["booth_uuid"] = hub.booth_uuid(other)
    response = _post(client, token, bad)
    assert response.status_code == 403 and bad["records"][i]["uuid"] in response.json["message"]
    assert _nothing_stored(hub)


def test_a_push_cannot_make_an_organiser_or_a_login_at_the_hub(setup):
    hub, booth, booth_id, token, batch, client = setup
    bad = copy.deepcopy(batch)
    cashier_ref = next(r for r in bad["refs"] if r["table"] == "user")
    cashier_ref.update(uuid="11111111-1111-4111-8111-111111111111", username="hacker", role="organiser",
                       password_hash="scrypt:known")
    bad["records"][_index(bad, "sale")]["cashier_uuid"] = cashier_ref["uuid"]
    response = _post(client, token, bad)
    assert response.status_code == 422 and response.json["field"].endswith("password_hash")
    del cashier_ref["password_hash"]
    assert _post(client, token, bad).status_code == 200
    with hub.app.app_context():
        made = db.session.query(User).filter_by(uuid=cashier_ref["uuid"]).one()
        assert made.role == "manager" and not made.is_active and made.booth_id == booth_id
        assert not made.check_password("anything") and made.pin_hash is None


def test_the_sync_api_on_a_database_that_is_not_a_hub_answers_404(app):
    client = app.test_client()
    with app.app_context(), unit_of_work(db.session) as s:
        from pos.services import booths

        booths.init_database(s)
    response = client.post("/api/v1/sync/batches", json={}, headers={"Authorization": "Bearer fpt_x"})
    assert response.status_code == 404 and response.json["error"] == "NotAHub"


def test_provisioning_gives_only_this_booths_settings_and_staff_never_an_organiser(setup):
    hub, booth, booth_id, token, batch, client = setup
    other = hub.booth("B09", "Gian hàng Đầm Hà")
    response = client.get("/api/v1/sync/provision", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    records = response.json["records"]
    assert {r["username"] for r in records if r["table"] == "user"} == {"ql.b07", "tn.b07"}
    assert {r["uuid"] for r in records if r["table"] == "booth"} == {hub.booth_uuid(booth_id)}
    assert hub.booth_uuid(other) not in json.dumps(response.json)
    assert len(response.json["signing_key"]) == 64
