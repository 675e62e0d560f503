"""The booth's sync page and the hub's pages, as the manager and the organiser use them."""
from __future__ import annotations

import io
import json

import pytest

from pos import create_app
from pos.config import TestConfig
from pos.extensions import db
from pos.models import Sale
from tests.app.test_sync_support import client_transport, dispose, hub_and_booth
from tests.conftest import login

QUE = "Tinh dầu quế 10ml"


@pytest.fixture
def pair(db_url, tmp_path):
    hub, booth, booth_id, token, key = hub_and_booth(db_url, tmp_path)
    booth.app.config["SYNC_TRANSPORT_FACTORY"] = lambda url, tok: client_transport(hub.app, tok)
    yield hub, booth, booth_id, token, key
    dispose(booth.app)
    dispose(hub.app)


def test_the_booth_page_shows_what_is_not_on_the_hub_and_the_button_pushes_it(pair):
    hub, booth, booth_id, token, key = pair
    for _ in range(3):
        booth.sell({hub.products[QUE]: 1})
    client = booth.app.test_client()
    login(client, "tn.b07")
    page = client.get("/sync").get_data(as_text=True)
    assert f'data-unpushed="{booth.unpushed()}"' in page and "chưa có trên hub" in page
    assert client.get("/api/v1/sync/status").json["unpushed"] == booth.unpushed()
    response = client.post("/sync/push")
    assert response.status_code == 302
    page = client.get("/sync").get_data(as_text=True)
    assert "Mọi bản ghi đã có trên hub" in page and "khớp nhau" in page
    assert hub.totals(booth_id) == booth.totals()
    assert "Xuất tệp" not in page  # exporting is a manager's job


def test_the_push_button_with_javascript_goes_batch_by_batch(pair):
    hub, booth, booth_id, token, key = pair
    booth.app.config["SYNC_BATCH_RECORDS"] = 5
    for _ in range(6):
        booth.sell({hub.products[QUE]: 1})
    client = booth.app.test_client()
    login(client, "ql.b07")
    steps = []
    while True:
        answer = client.post("/api/v1/sync/push-step").json
        steps.append(answer["remaining"])
        if answer["done"]:
            break
    assert len(steps) > 2 and steps == sorted(steps, reverse=True) and steps[-1] == 0
    assert answer["differences"] == {"products": [], "records": []}


def test_a_push_with_the_hub_down_says_so_and_keeps_everything(pair):
    hub, booth, booth_id, token, key = pair
    booth.app.config["SYNC_TRANSPORT_FACTORY"] = lambda url, tok: client_transport(hub.app, tok, cut_after=0)
    booth.sell({hub.products[QUE]: 1})
    client = booth.app.test_client()
    login(client, "ql.b07")
    step = client.post("/api/v1/sync/push-step")
    assert step.status_code == 503 and "an toàn" in step.json["message"]
    client.post("/sync/push")
    page = client.get("/sync").get_data(as_text=True)
    assert "Lần gửi gần nhất lỗi" in page and booth.unpushed() > 0


def test_a_manager_downloads_the_signed_export_file(pair):
    hub, booth, booth_id, token, key = pair
    booth.sell({hub.products[QUE]: 1})
    client = booth.app.test_client()
    login(client, "ql.b07")
    response = client.get("/sync/export")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert json.loads(response.data)["kind"] == "push"


def test_the_hub_pages_show_each_booth_and_import_an_uploaded_file(pair):
    hub, booth, booth_id, token, key = pair
    booth.sell({hub.products[QUE]: 2})
    client = booth.app.test_client()
    login(client, "ql.b07")
    data = client.get("/sync/export").data

    organiser = hub.app.test_client()
    login(organiser, "btc")
    assert organiser.get("/sync").status_code == 302
    overview = organiser.get("/sync/hub").get_data(as_text=True)
    assert "X20-B07" in overview and "chưa gửi" in overview
    tampered = data.replace(b'"signature": "', b'"signature": "00')
    refused = organiser.post("/sync/hub/import", data={"booth_id": booth_id, "file": (io.BytesIO(tampered), "b07.fpsync")})
    assert refused.status_code == 422 and "bị sửa" in refused.get_data(as_text=True)
    assert hub.count(Sale) == 0
    response = organiser.post("/sync/hub/import", data={"booth_id": booth_id, "file": (io.BytesIO(data), "b07.fpsync")})
    assert response.status_code == 302
    page = organiser.get(f"/sync/hub/booths/{booth_id}").get_data(as_text=True)
    assert f'id="records">{hub.status(booth_id)["records"]}' in page
    assert hub.count(Sale) == 1


def test_the_hub_status_page_shows_gaps_mismatches_and_a_clock_warning(pair):
    hub, booth, booth_id, token, key = pair
    from pos.services.sync import booth as sync_booth

    for _ in range(4):
        booth.sell({hub.products[QUE]: 1})
    with booth.app.app_context():
        plans = sync_booth.plan_batches(db.session, 4)
        last = sync_booth.build_batch(db.session, plans[-1])
    last["sent_at"] = "2020-01-15T07:00:00"  # a booth whose clock was never set
    hub.transport(token)("POST", sync_booth.BATCHES_PATH, last)
    # The booth compares totals: the hub holds only the last sale of four.
    with booth.app.app_context():
        from pos.services.sync import hub as sync_hub

        mine = sync_booth.local_totals(db.session)
    mine["records"] = booth.totals()["records"]
    mine["products"] = booth.totals()["products"]
    hub.transport(token)("POST", sync_booth.COMPARE_PATH, mine)
    organiser = hub.app.test_client()
    login(organiser, "btc")
    page = organiser.get(f"/sync/hub/booths/{booth_id}").get_data(as_text=True)
    assert 'id="gaps"' in page and 'id="clock-warning"' in page and "Khác nhau" in page
    overview = organiser.get("/sync/hub").get_data(as_text=True)
    assert "lệch" in overview
    assert sync_hub.CLOCK_WARN_S == 300


def test_a_token_is_shown_once_and_only_its_hint_afterwards(pair):
    hub, booth, booth_id, token, key = pair
    organiser = hub.app.test_client()
    login(organiser, "btc")
    response = organiser.post(f"/sync/hub/booths/{booth_id}/token", data={"new_key": "1"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    new_token = page.split('id="token">')[1].split("<")[0]
    new_key = page.split('id="signing-key">')[1].split("<")[0]
    assert new_token.startswith("fpt_") and len(new_key) == 64
    status = organiser.get(f"/sync/hub/booths/{booth_id}").get_data(as_text=True)
    assert new_token not in status and new_key not in status and new_token[:10] in status
    # The old token no longer works; the new one does.
    assert hub.app.test_client().get("/api/v1/sync/provision", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert hub.app.test_client().get("/api/v1/sync/provision",
                                     headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    download = organiser.get(f"/sync/hub/booths/{booth_id}/provision-file")
    assert download.status_code == 200 and json.loads(download.data)["kind"] == "provision"


def test_a_manager_provisions_a_fresh_laptop_from_the_page(pair, tmp_path):
    hub, booth, booth_id, token, key = pair
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
                                  "SYNC_TRANSPORT_FACTORY": lambda url, tok: client_transport(hub.app, tok)})
    app.instance_path = str(tmp_path / "fresh")
    with app.app_context():
        from pos.db import unit_of_work
        from pos.services import booths, users

        db.create_all()
        with unit_of_work(db.session) as s:
            booths.init_database(s)
            users.save_user(s, dict(username="caidat", full_name="Người cài đặt", role="organiser",
                                    password="matkhau123"))
    try:
        client = app.test_client()
        login(client, "caidat")
        assert "chưa phục vụ gian hàng" in client.get("/sync").get_data(as_text=True)
        refused = client.post("/sync/provision", data={"hub": "http://hub.ocop.vn", "token": token})
        assert refused.status_code == 422 and "https://" in refused.get_data(as_text=True)
        response = client.post("/sync/provision", data={"hub": "https://hub.ocop.vn", "token": token})
        assert response.status_code == 302
        page = client.get("/sync").get_data(as_text=True)
        assert "Gian hàng Bình Liêu" in page and "hub.ocop.vn" in page
    finally:
        dispose(app)


def test_the_hub_api_needs_no_csrf_token_but_the_booths_push_button_does(pair, tmp_path):
    hub, booth, booth_id, token, key = pair
    hub.app.config["WTF_CSRF_ENABLED"] = True
    booth.app.config["WTF_CSRF_ENABLED"] = True
    booth.sell({hub.products[QUE]: 1})
    client = booth.app.test_client()
    client.post("/login", data={"username": "ql.b07", "password": "matkhau123"})  # refused: no CSRF token
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"username": "ql.b07", "password": "matkhau123", "csrf_token": csrf})
    page = client.get("/sync").get_data(as_text=True)
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/api/v1/sync/push-step").status_code == 400
    answer = client.post("/api/v1/sync/push-step", headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200 and answer.json["done"]
    assert hub.count(Sale) == 1
