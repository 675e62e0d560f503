"""Voids and refunds through the forms and the JSON API, with a manager's PIN; one run on PostgreSQL too."""
import pytest

from tests.conftest import World, login

PIN = "2468"  # World gives managers this PIN


@pytest.fixture
def shop(app, world, client):
    from pos.extensions import db
    from pos.models import Till

    que = world.product(name="Tinh dầu quế Tuệ Lâm", price_vnd=95_000, stock=10)
    mien = world.product(name="Miến dong Bình Liêu 500g", price_vnd=60_000, stock=20)
    world.user("manager", username="quanly")
    world.user("cashier", username="thungan")
    login(client, "thungan")
    with app.app_context():
        t1 = db.session.query(Till).filter_by(code="T1").one().id
    client.post("/sell/till", data={"till_id": t1})
    return dict(que=que, mien=mien, t1=t1)


def _sell(client, till_id, lines, key, payments=None):
    response = client.post("/api/v1/sales", headers={"Idempotency-Key": key}, json=dict(
        till_id=till_id, lines=[dict(product_id=p, qty=q) for p, q in lines],
        payments=payments or [dict(method="cash", tendered_vnd=1_000_000)]))
    assert response.status_code == 201, response.json
    return response.json


def _counts(app, model):
    from pos.extensions import db

    with app.app_context():
        return db.session.query(model).count()


def test_a_void_on_the_form_needs_the_managers_pin_and_puts_the_goods_back(app, client, world, shop):
    from pos.models import Void

    sale = _sell(client, shop["t1"], [(shop["que"], 2)], "k1")
    form = client.get(f"/shifts/sales/{sale['id']}/void").get_data(as_text=True)
    assert "Mã PIN của quản lý" in form and sale["receipt_no"] in form
    no_pin = client.post(f"/shifts/sales/{sale['id']}/void", data={"reason": "Bấm nhầm", "manager_pin": ""})
    assert no_pin.status_code == 403 and "Cần mã PIN của quản lý" in no_pin.get_data(as_text=True)
    wrong = client.post(f"/shifts/sales/{sale['id']}/void", data={"reason": "Bấm nhầm", "manager_pin": "1111"})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 403 and "Mã PIN của quản lý không đúng" in page and 'value="Bấm nhầm"' in page
    assert _counts(app, Void) == 0 and world.on_hand(shop["que"]) == 8

    done = client.post(f"/shifts/sales/{sale['id']}/void", data={"reason": "Bấm nhầm", "manager_pin": PIN})
    assert done.status_code == 302 and "/shifts/voids/" in done.location
    slip = client.get(done.location).get_data(as_text=True)
    assert "PHIẾU HỦY ĐƠN" in slip and sale["receipt_no"] in slip and "Bấm nhầm" in slip
    assert world.on_hand(shop["que"]) == 10
    twice = client.post(f"/shifts/sales/{sale['id']}/void", data={"reason": "Lại", "manager_pin": PIN})
    assert twice.status_code == 409 and "đã bị hủy" in twice.get_data(as_text=True)
    assert _counts(app, Void) == 1 and world.on_hand(shop["que"]) == 10


def test_a_partial_refund_on_the_form_writes_off_a_damaged_jar_and_refuses_more_than_was_sold(app, client, world,
                                                                                               shop):
    from pos.models import Refund

    sale = _sell(client, shop["t1"], [(shop["que"], 2), (shop["mien"], 1)], "k1")
    que_line, mien_line = [ln for ln in client.get(f"/api/v1/shifts/sales/{sale['id']}/returns").json["lines"]]
    form = client.get(f"/shifts/sales/{sale['id']}/refund").get_data(as_text=True)
    assert f'name="qty-{que_line["sale_line_id"]}"' in form and "hỏng, không bán lại" in form

    too_many = client.post(f"/shifts/sales/{sale['id']}/refund", data={
        f"qty-{que_line['sale_line_id']}": "3", "method": "cash", "till_id": shop["t1"], "reason": "Vỡ",
        "manager_pin": PIN})
    assert too_many.status_code == 409 and "Tinh dầu quế Tuệ Lâm: đã bán 2" in too_many.get_data(as_text=True)
    assert _counts(app, Refund) == 0

    done = client.post(f"/shifts/sales/{sale['id']}/refund", data={
        f"qty-{que_line['sale_line_id']}": "1", f"damaged-{que_line['sale_line_id']}": "1",
        f"qty-{mien_line['sale_line_id']}": "1", "method": "cash", "till_id": shop["t1"],
        "reason": "Lọ nứt, khách trả cả miến", "manager_pin": PIN})
    assert done.status_code == 302 and "/shifts/refunds/" in done.location
    slip = client.get(done.location).get_data(as_text=True)
    assert "PHIẾU HOÀN TIỀN" in slip and f"{sale['receipt_no']}-HT1" in slip and "155.000 ₫" in slip
    assert "hàng hỏng" in slip
    assert world.on_hand(shop["que"]) == 8 and world.on_hand(shop["mien"]) == 20
    state = client.get(f"/api/v1/shifts/sales/{sale['id']}/returns").json
    assert [ln["refundable_qty"] for ln in state["lines"]] == [1, 0] and not state["can_void"]


def test_a_cashier_cannot_void_or_refund_without_a_manager_and_the_api_says_which_field(app, client, world, shop):
    from pos.models import Refund, Void

    sale = _sell(client, shop["t1"], [(shop["que"], 1)], "k1")
    void = client.post(f"/api/v1/shifts/sales/{sale['id']}/void", json={"reason": "Nhầm"})
    assert void.status_code == 403 and void.json["error"] == "WrongPin" and void.json["field"] == "pin"
    line_id = client.get(f"/api/v1/shifts/sales/{sale['id']}/returns").json["lines"][0]["sale_line_id"]
    refund = client.post(f"/api/v1/shifts/sales/{sale['id']}/refunds", json={
        "lines": [{"sale_line_id": line_id, "qty": 1}], "reason": "Vỡ", "till_id": shop["t1"], "manager_pin": "9999"})
    assert refund.status_code == 403 and refund.json["error"] == "WrongPin"
    unknown = client.post(f"/api/v1/shifts/sales/{sale['id']}/void", json={"reason": "x", "approved_by": 1})
    assert unknown.status_code == 422 and unknown.json["field"] == "approved_by"
    assert (_counts(app, Void), _counts(app, Refund)) == (0, 0) and world.on_hand(shop["que"]) == 9


def test_a_shift_with_sales_a_void_and_a_cash_refund_counts_out_on_sqlite_and_postgresql(any_app):
    """The whole day over the API, on both databases: expected cash computed here, apart from the app."""
    w = World(any_app)
    que = w.product(name="Tinh dầu quế", price_vnd=95_000, stock=10)
    mien = w.product(name="Miến dong 500g", price_vnd=60_000, stock=10)
    w.user("manager", username="quanly")
    client = any_app.test_client()
    login(client, "quanly")
    t1 = client.get("/api/v1/shifts").json["shifts"][0]["till_id"]
    shift = client.get(f"/api/v1/shifts/current?till_id={t1}").json

    cash_sale = _sell(client, t1, [(que, 3)], "a", [dict(method="cash", tendered_vnd=300_000)])      # 285.000
    transfer_sale = _sell(client, t1, [(mien, 2)], "b", [dict(method="transfer", amount_vnd=120_000)])
    split = _sell(client, t1, [(que, 1), (mien, 1)], "c", [dict(method="card", amount_vnd=55_000),     # 155.000:
                                                             dict(method="cash", tendered_vnd=200_000)])  # 100.000 cash
    assert client.post(f"/api/v1/shifts/sales/{split['id']}/void",
                       json={"reason": "Khách đổi ý", "manager_pin": PIN}).status_code == 201
    line_id = client.get(f"/api/v1/shifts/sales/{cash_sale['id']}/returns").json["lines"][0]["sale_line_id"]
    refund = client.post(f"/api/v1/shifts/sales/{cash_sale['id']}/refunds", json={
        "lines": [{"sale_line_id": line_id, "qty": 1, "back_to_stock": True}], "reason": "Lọ nứt",
        "method": "cash", "till_id": t1, "manager_pin": PIN})
    assert refund.status_code == 201 and refund.json["total_vnd"] == 95_000
    assert refund.json["number"] == f"{cash_sale['receipt_no']}-HT1"
    again = client.post(f"/api/v1/shifts/sales/{cash_sale['id']}/refunds", json={
        "lines": [{"sale_line_id": line_id, "qty": 3}], "reason": "x", "till_id": t1, "manager_pin": PIN})
    assert again.status_code == 409 and again.json["error"] == "RefundTooMuch"
    assert client.post(f"/api/v1/shifts/{shift['id']}/cash",
                       json={"kind": "out", "amount_vnd": 50_000, "reason": "Trả HTX"}).status_code == 201

    expected = shift["opening_float_vnd"] + 285_000 + 100_000 - 100_000 - 95_000 - 50_000
    x = client.get(f"/api/v1/shifts/{shift['id']}/x-report").json
    assert x["expected_cash_vnd"] == expected == 140_000
    assert x["voids"]["by_method"] == {"cash": 100_000, "transfer": 0, "card": 55_000}
    closed = client.post(f"/api/v1/shifts/{shift['id']}/close",
                         json={"counts": {"100000": 1, "20000": 2}, "note": ""}).json
    assert (closed["expected_cash_vnd"], closed["counted_cash_vnd"], closed["difference_vnd"]) == (expected, 140_000, 0)
    assert w.on_hand(que) == 10 - 3 + 1 and w.on_hand(mien) == 10 - 2

    late_void = client.post(f"/api/v1/shifts/sales/{transfer_sale['id']}/void",
                            json={"reason": "Muộn", "manager_pin": PIN})
    assert late_void.status_code == 409 and late_void.json["error"] == "VoidAfterClose"
    assert "hoàn tiền" in late_void.json["message"]
    transfer_line = client.get(f"/api/v1/shifts/sales/{transfer_sale['id']}/returns").json["lines"][0]
    no_shift = client.post(f"/api/v1/shifts/sales/{transfer_sale['id']}/refunds", json={
        "lines": [{"sale_line_id": transfer_line["sale_line_id"], "qty": 1}], "reason": "Gói rách",
        "till_id": t1, "manager_pin": PIN})
    assert no_shift.status_code == 409 and no_shift.json["error"] == "NoOpenShift"
    by_transfer = client.post(f"/api/v1/shifts/sales/{transfer_sale['id']}/refunds", json={
        "lines": [{"sale_line_id": transfer_line["sale_line_id"], "qty": 1, "back_to_stock": False}],
        "reason": "Gói rách", "method": "transfer", "manager_pin": PIN})
    assert by_transfer.status_code == 201 and by_transfer.json["shift_id"] is None
    assert w.on_hand(mien) == 10 - 2  # came back damaged: written off, not on the shelf
