"""Checkout through the JSON API: idempotent, all-or-nothing, and safe with two tills at once."""
import multiprocessing

import pytest

from tests.conftest import login


@pytest.fixture
def till_id(app, world):
    from pos.extensions import db
    from pos.models import Till

    world.booth()
    with app.app_context():
        return db.session.query(Till).filter_by(code="T1").one().id


def _checkout(client, till_id, product_id, qty=1, tendered=500000, key="key-1", **extra):
    body = dict(till_id=till_id, lines=[dict(product_id=product_id, qty=qty)],
                payments=[dict(method="cash", tendered_vnd=tendered)], **extra)
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/sales", json=body, headers=headers)


def test_a_sale_over_the_api_is_made_once_however_often_it_is_sent(client, world, till_id):
    pid = world.product(price_vnd=60000, stock=5)
    world.user("cashier", username="thungan")
    login(client, "thungan")
    first = _checkout(client, till_id, pid, qty=2, tendered=200000)
    assert first.status_code == 201
    assert first.json["receipt_no"] == "X20-B07-T1-000001" and first.json["change_vnd"] == 80000
    again = _checkout(client, till_id, pid, qty=2, tendered=200000)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert world.on_hand(pid) == 3
    assert len(client.get("/api/v1/sales").json["sales"]) == 1
    conflict = _checkout(client, till_id, pid, qty=1, tendered=200000)
    assert conflict.status_code == 422 and conflict.json["error"] == "IdempotencyConflict"


def test_a_checkout_without_a_key_is_refused(client, world, till_id):
    pid = world.product(stock=5)
    world.user("cashier", username="thungan")
    login(client, "thungan")
    response = _checkout(client, till_id, pid, key=None)
    assert response.status_code == 422 and response.json["field"] == "Idempotency-Key"
    assert world.on_hand(pid) == 5


def test_underpayment_and_bad_quantities_are_refused_and_nothing_is_written(client, world, till_id):
    pid = world.product(price_vnd=95000, stock=5)
    world.user("cashier", username="thungan")
    login(client, "thungan")
    under = _checkout(client, till_id, pid, tendered=50000, key="a")
    assert under.status_code == 422 and under.json["error"] == "Underpaid" and "45.000 ₫" in under.json["message"]
    zero = _checkout(client, till_id, pid, qty=0, key="b")
    assert zero.status_code == 422 and zero.json["field"] == "lines[0].qty"
    unknown = _checkout(client, till_id, 9999, key="c")
    assert unknown.status_code == 404
    assert world.on_hand(pid) == 5
    assert client.get("/api/v1/sales").json["sales"] == []


def test_a_vietqr_of_zero_is_refused_and_a_real_one_carries_the_amount(client, world, till_id):
    world.user("cashier", username="thungan")
    login(client, "thungan")
    zero = client.post("/api/v1/sales/vietqr", json=dict(till_id=till_id, amount_vnd=0, idempotency_key="q"))
    assert zero.status_code == 422
    qr = client.post("/api/v1/sales/vietqr", json=dict(till_id=till_id, amount_vnd=250000, idempotency_key="q")).json
    assert "5406250000" in qr["payload"] and qr["svg"].startswith("<svg")


def test_a_parked_cart_can_be_picked_up_again_once(client, world, till_id):
    world.user("cashier", username="thungan")
    login(client, "thungan")
    cart = {"lines": [{"product_id": 1, "qty": 2}], "total_vnd": 120000}
    parked = client.post("/api/v1/parked-carts", json=dict(till_id=till_id, label="Chị áo đỏ", content=cart))
    assert parked.status_code == 201
    listed = client.get(f"/api/v1/parked-carts?till_id={till_id}").json["carts"]
    assert [(c["label"], c["total_vnd"], c["lines_count"]) for c in listed] == [("Chị áo đỏ", 120000, 1)]
    resumed = client.post(f"/api/v1/parked-carts/{parked.json['id']}/resume")
    assert resumed.json["content"] == cart
    assert client.post(f"/api/v1/parked-carts/{parked.json['id']}/resume").status_code == 404


def test_the_cashier_sees_todays_sales_and_a_receipt_page(client, world, till_id):
    pid = world.product(name="Mật ong rừng", price_vnd=250000, stock=5)
    world.user("cashier", username="thungan")
    login(client, "thungan")
    client.post("/sell/till", data={"till_id": till_id})
    sale = _checkout(client, till_id, pid, tendered=300000).json
    listing = client.get("/sell/sales").get_data(as_text=True)
    assert sale["receipt_no"] in listing and "250.000 ₫" in listing
    receipt = client.get(f"/sell/sales/{sale['id']}").get_data(as_text=True)
    assert "PHIẾU THANH TOÁN" in receipt and "HÓA ĐƠN" not in receipt and "50.000 ₫" in receipt


def _sell_last_jar(db_path, product_id, till_id, user_id, key, barrier, results):
    from pos import create_app
    from pos.config import TestConfig
    from pos.db import unit_of_work
    from pos.errors import DomainError
    from pos.extensions import db
    from pos.models import User
    from pos.services import booths, sales

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        user = db.session.get(User, user_id)
        booth = booths.current_booth(db.session)
        db.session.commit()
        barrier.wait(timeout=30)
        try:
            with unit_of_work(db.session) as s:
                result = sales.record_sale(s, booth, user, sales.Checkout.of(
                    till_id=till_id, lines=[dict(product_id=product_id, qty=1)],
                    payments=[dict(method="cash", tendered_vnd=500000)]), key)
            results.put(("sold", result.sale.receipt_no))
        except DomainError as err:
            results.put((type(err).__name__, str(err)))
        except Exception as err:  # noqa: BLE001 - the test must see "database is locked" if it happens
            results.put(("crash", repr(err)))


def test_two_processes_selling_the_last_jar_one_sells_and_the_other_is_told_clearly(app, world, till_id, tmp_path):
    pid = world.product(name="Mật ong rừng", price_vnd=250000, stock=1)
    user_id = world.user("cashier", username="thungan")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_sell_last_jar, args=(tmp_path / "pos.sqlite", pid, till_id, user_id, f"k{i}",
                                                      barrier, results)) for i in range(2)]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert [o[0] for o in outcomes] == ["OutOfStock", "sold"], outcomes
    assert "Mật ong rừng" in outcomes[0][1]
    assert world.on_hand(pid) == 0
