"""The USB stick (signed files both ways) and provisioning, on SQLite and PostgreSQL hubs."""
from __future__ import annotations

import base64
import gzip
import json

import pytest
from sqlalchemy import select

from pos.db import unit_of_work
from pos.extensions import db
from pos.models import Booth, Product, Sale, User
from pos.services.sync import signing, booth as sync_booth, hub as sync_hub
from pos.services import stock
from tests.app.test_sync_support import BoothSide, Hub, dispose, hub_and_booth, make_app

QUE, MIEN = "Tinh dầu quế 10ml", "Miến dong Bình Liêu 500g"


@pytest.fixture
def pair(db_url, tmp_path):
    hub, booth, booth_id, token, key = hub_and_booth(db_url, tmp_path)
    yield hub, booth, booth_id, token, key
    dispose(booth.app)
    dispose(hub.app)


def _export(booth):
    with booth.app.app_context(), unit_of_work(db.session) as s:
        return sync_booth.export_file(s)


def _import(hub, data, booth_id=None):
    with hub.app.app_context(), unit_of_work(db.session) as s:
        booth, results = sync_hub.import_file(s, data, booth=s.get(Booth, booth_id) if booth_id else None)
        return [r.as_json() for r in results]


def test_an_exported_file_imported_at_the_hub_brings_every_record_once(pair):
    hub, booth, booth_id, token, key = pair
    for i in range(5):
        booth.sell({hub.products[QUE]: 1, hub.products[MIEN]: i + 1})
    data, count = _export(booth)
    assert count == booth.unpushed()
    results = _import(hub, data, booth_id)
    assert sum(r["stored"] for r in results) == count
    assert hub.totals(booth_id) == booth.totals()
    again = _import(hub, data)  # the same stick brought twice
    assert sum(r["stored"] for r in again) == 0 and sum(r["duplicates"] for r in again) == count
    assert hub.count(Sale) == 5
    # The next network push sends nothing new and moves the booth's cursor.
    result = booth.push(hub.transport(token))
    assert result.remaining == 0 and result.compare == {"products": [], "records": []}


def test_a_tampered_file_is_refused_with_a_clear_message_and_changes_nothing(pair):
    hub, booth, booth_id, token, key = pair
    booth.sell({hub.products[QUE]: 2})
    data, _ = _export(booth)
    doc = json.loads(data)
    payload = json.loads(gzip.decompress(base64.b64decode(doc["payload"])))
    line = next(r for b in payload["batches"] for r in b["records"] if r["table"] == "sale_line")
    line["qty"] = 20  # more sold than the booth says: the producer would be short-changed
    doc["payload"] = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    with pytest.raises(signing.TamperedFile) as refused:
        _import(hub, json.dumps(doc).encode())
    assert "bị sửa" in str(refused.value)
    truncated = data[: len(data) // 2]
    with pytest.raises(signing.UnreadableFile):
        _import(hub, truncated)
    assert hub.count(Sale) == 0 and hub.status(booth_id)["records"] == 0


def test_a_file_of_another_booth_is_refused(db_url, tmp_path):
    hub, booth_a, a_id, token_a, key_a = hub_and_booth(db_url, tmp_path)
    b_id = hub.booth("B08", "Gian hàng Tiên Yên")
    token_b, key_b = hub.credentials(b_id)
    try:
        booth_a.sell({hub.products[QUE]: 1})
        data, _ = _export(booth_a)
        with pytest.raises(signing.ForeignFile) as refused:
            _import(hub, data, booth_id=b_id)  # uploaded on booth B's page
        assert "X20-B07" in str(refused.value) and "X20-B08" in str(refused.value)
        # A file claiming booth B but signed with booth A's key.
        doc = json.loads(data)
        doc["booth_uuid"], doc["booth"] = hub.booth_uuid(b_id), "X20-B08"
        with pytest.raises(signing.TamperedFile):
            _import(hub, json.dumps(doc).encode())
        # A provisioning file is not a push file, and a push file cannot provision a booth.
        with hub.app.app_context():
            provisioning = sync_hub.provisioning_file(db.session, db.session.get(Booth, a_id))
        with pytest.raises(signing.WrongKindFile):
            _import(hub, provisioning)
        assert hub.count(Sale) == 0
    finally:
        dispose(booth_a.app)
        dispose(hub.app)


def test_a_booth_is_provisioned_from_a_signed_file_with_its_key(db_url, tmp_path):
    hub = Hub(make_app(db_url, tmp_path, "hub"))
    booth_id = hub.booth()
    hub.product(QUE, 95_000, barcode="8936123450014")
    token, key = hub.credentials(booth_id)
    with hub.app.app_context():
        data = sync_hub.provisioning_file(db.session, db.session.get(Booth, booth_id))
    laptop = BoothSide(make_app(f"sqlite:///{tmp_path / 'laptop.sqlite'}", tmp_path, "laptop"))
    try:
        with laptop.app.app_context():
            with pytest.raises(signing.TamperedFile), unit_of_work(db.session) as s:
                sync_booth.provision_from_file(s, data, "ab" * 32)  # the wrong key
            with unit_of_work(db.session) as s:
                result = sync_booth.provision_from_file(s, data, key)
            assert result.booth.code == "B07" and result.created["product"] == 1
            product = db.session.scalars(select(Product)).one()
            assert product.price_vnd == 95_000 and product.barcode_list == ["8936123450014"]
            assert {u.username for u in db.session.scalars(select(User))} == {"ql.b07", "tn.b07"}
            # The staff log in at the booth with the passwords set at the hub.
            assert db.session.scalars(select(User).where(User.username == "tn.b07")).one().check_password("matkhau123")
            assert sync_booth.state(db.session).signing_key == key and sync_booth.state(db.session).token == ""
        laptop.receive({hub.products[QUE]: 10})
        laptop.sell({hub.products[QUE]: 3})
        data, count = _export(laptop)
        assert sum(r["stored"] for r in _import(hub, data)) == count
        assert hub.totals(booth_id) == laptop.totals()
    finally:
        dispose(laptop.app)
        dispose(hub.app)


def test_provisioning_again_updates_prices_and_products_without_touching_sales_or_stock(pair):
    hub, booth, booth_id, token, key = pair
    que = hub.products[QUE]
    booth.sell({que: 4})
    with booth.app.app_context():
        booth_pk = sync_booth.current_booth_id(db.session)
        pid = db.session.scalars(select(Product.id).where(Product.uuid == que)).one()
        on_hand_before = stock.on_hand(db.session, booth_pk)[pid]
        unpushed_before = sync_booth.unpushed_count(db.session)
    totals_before = booth.totals()
    hub.set_price(QUE, 99_000)
    hub.product("Mật ong rừng Bình Liêu 500ml", 250_000, producer="Hộ ông Hoàng Văn Lục")
    result = booth.provision(hub, token)
    assert result["updated"]["product"] == 2 and result["created"] == {"producer": 1, "product": 1}
    with booth.app.app_context():
        assert db.session.scalars(select(Product.price_vnd).where(Product.uuid == que)).one() == 99_000
        assert db.session.scalars(select(Product).where(Product.name.like("Mật ong%"))).one().price_vnd == 250_000
        assert stock.on_hand(db.session, booth_pk)[pid] == on_hand_before
        assert sync_booth.unpushed_count(db.session) == unpushed_before
        sale = db.session.scalars(select(Sale)).one()
        assert sale.lines[0].unit_price_vnd == 95_000  # a sale keeps the price it was made at
    assert booth.totals() == totals_before
    assert booth.sell({que: 1}).endswith("000002")


def test_provisioning_data_for_another_booth_is_refused_on_a_provisioned_booth(pair):
    hub, booth, booth_id, token, key = pair
    other = hub.booth("B08", "Gian hàng Tiên Yên")
    other_token, _ = hub.credentials(other)
    with pytest.raises(sync_booth.WrongBooth):
        booth.provision(hub, other_token)
    with booth.app.app_context():
        assert sync_booth.booth_of_state(db.session).code == "B07"


def test_the_hub_address_must_be_https_unless_local_and_allowed():
    assert sync_booth.check_hub_url("https://hub.ocop-quangninh.vn/") == "https://hub.ocop-quangninh.vn"
    with pytest.raises(sync_booth.InsecureHubUrl):
        sync_booth.check_hub_url("http://192.168.1.10:5000")
    assert sync_booth.check_hub_url("http://192.168.1.10:5000", allow_http=True) == "http://192.168.1.10:5000"
    assert sync_booth.check_hub_url("http://127.0.0.1:8000", allow_http=True)
    with pytest.raises(sync_booth.InvalidInput) as refused:
        sync_booth.check_hub_url("http://8.8.8.8", allow_http=True)
    assert refused.value.field == "hub"
    for bad in ("ftp://hub", "hub.vn", "https://user:pw@hub.vn", ""):
        with pytest.raises(sync_booth.InvalidInput):
            sync_booth.check_hub_url(bad, allow_http=True)
