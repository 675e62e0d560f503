"""Approvals by PIN: a PIN belongs to one person, the approver named on the slip, in the audit log and
in the Z report is the one who typed it, and cash out above the booth's limit needs one."""
import json

import pytest

from pos.extensions import db
from pos.models import AuditEntry, CashMovement, Till, User, Void
from tests.conftest import login

MANAGER_PIN, ORGANISER_PIN = "2468", "3579"


@pytest.fixture
def booth(app, world, client):
    """T1 with its open shift, a manager (PIN 2468), an organiser (PIN 3579) and a cashier at T1."""
    world.user("manager", username="quanly", full_name="Lý Văn Sáng", pin=MANAGER_PIN)
    world.user("organiser", username="btc", full_name="Nguyễn Thị Hương", pin=ORGANISER_PIN)
    world.user("cashier", username="thungan", full_name="Hoàng Thị Mai")
    que = world.product(name="Tinh dầu quế Tuệ Lâm", price_vnd=95_000, stock=10)
    with app.app_context():
        t1 = db.session.query(Till).filter_by(code="T1").one().id
    login(client, "thungan")
    client.post("/sell/till", data={"till_id": t1})
    shift_id = client.get(f"/api/v1/shifts/current?till_id={t1}").json["id"]
    return dict(que=que, t1=t1, shift_id=shift_id)


def _sell(client, booth, key, qty=1):
    response = client.post("/api/v1/sales", headers={"Idempotency-Key": key}, json=dict(
        till_id=booth["t1"], lines=[dict(product_id=booth["que"], qty=qty)],
        payments=[dict(method="cash", tendered_vnd=1_000_000)]))
    assert response.status_code == 201, response.json
    return response.json


def _close_as_manager(client, shift_id):
    """The cashier did not open T1's shift: the manager closes it."""
    client.post("/logout")
    login(client, "quanly")
    closed = client.post(f"/api/v1/shifts/{shift_id}/close", json={"counts": {}})
    assert closed.status_code == 200, closed.json
    return closed.json["z_report"]


def _audit(app, action):
    with app.app_context():
        return [json.loads(e.details) | {"_user": e.username} for e in
                db.session.query(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)]


def _slip_bytes(slip) -> bytes:
    from pos.printing.render import slip_to_bytes
    from pos.printing.settings import PrinterSettings

    return slip_to_bytes(slip, PrinterSettings(url="file:///dev/null", mode="ascii"))


def test_a_pin_another_approver_uses_is_refused_without_saying_whose(app, client, world):
    from pos.db import unit_of_work
    from pos.services import users

    world.user("manager", username="quanly", full_name="Lý Văn Sáng", pin=MANAGER_PIN)
    world.user("organiser", username="btc", full_name="Nguyễn Thị Hương", pin=ORGANISER_PIN)
    login(client, "btc")
    page = client.post("/setup/users/new", data=dict(username="quanly2", full_name="Phó gian hàng", role="manager",
                                                     password="matkhau123", pin=ORGANISER_PIN, language="vi"))
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and "Mã PIN này không dùng được, chọn mã khác" in html
    with app.app_context():
        assert db.session.query(User).filter_by(username="quanly2").count() == 0
    with app.app_context(), pytest.raises(users.PinTaken) as refused, unit_of_work(db.session) as s:
        quanly = s.query(User).filter_by(username="quanly").one()
        users.save_user(s, dict(username="quanly", full_name="Lý Văn Sáng", role="manager", pin=ORGANISER_PIN), quanly)
    assert refused.value.field == "pin" and "btc" not in refused.value.text and "Hương" not in refused.value.text
    # Another PIN is accepted; keeping one's own PIN is not "taken".
    assert client.post("/setup/users/new", data=dict(username="quanly2", full_name="Phó gian hàng", role="manager",
                                                     password="matkhau123", pin="1593", language="vi")).status_code == 302
    with app.app_context(), unit_of_work(db.session) as s:
        quanly = s.query(User).filter_by(username="quanly").one()
        users.save_user(s, dict(username="quanly", full_name="Lý Văn Sáng", role="manager", pin=MANAGER_PIN), quanly)


def test_the_demo_approvers_have_different_pins(app):
    from pos.db import unit_of_work
    from pos.services import demo, users

    pins = [u["pin"] for u in demo.USERS if u.get("pin")]
    assert len(pins) == 2 and len(set(pins)) == 2
    with app.app_context(), unit_of_work(db.session) as s:
        demo.load_demo(s)
    with app.app_context():
        approver = users.verify_manager_pin(db.session, demo.ORGANISER_PIN, actor=None, address="")
        assert approver.username == "btc"
        assert users.verify_manager_pin(db.session, demo.DEMO_PIN, actor=None, address="").username == "quanly"


def test_the_approver_on_the_slip_the_audit_log_and_the_z_report_is_the_one_who_typed_the_pin(app, client, booth):
    from pos.services import returns, shifts

    first, second = _sell(client, booth, "k1"), _sell(client, booth, "k2", qty=2)
    voided = client.post(f"/api/v1/shifts/sales/{first['id']}/void",
                         json=dict(reason="Bấm nhầm", manager_pin=ORGANISER_PIN))
    assert voided.status_code == 201 and voided.json["approved_by"] == "btc"
    refunded = client.post(f"/api/v1/shifts/sales/{second['id']}/refunds", json=dict(
        lines=[dict(sale_line_id=client.get(f"/api/v1/shifts/sales/{second['id']}/returns").json["lines"][0]["sale_line_id"],
                    qty=1)], reason="Lọ bị nứt", method="cash",
        till_id=booth["t1"], manager_pin=MANAGER_PIN))
    assert refunded.status_code == 201 and refunded.json["approved_by"] == "quanly"

    with app.app_context():
        void = db.session.get(Void, voided.json["id"])
        printed = _slip_bytes(returns.build_void_slip(void))
        assert b"Quan ly duyet: Nguyen Thi Huong" in printed and b"Ly Van Sang" not in printed
    page = client.get(f"/shifts/voids/{voided.json['id']}").get_data(as_text=True)
    assert "Nguyễn Thị Hương" in page and "Lý Văn Sáng" not in page

    assert [(e["approved_by"], e["_user"]) for e in _audit(app, "sale.void")] == [("btc", "thungan")]
    assert [(e["approved_by"], e["_user"]) for e in _audit(app, "sale.refund")] == [("quanly", "thungan")]
    assert [e["approver"] for e in _audit(app, "auth.pin_ok")] == ["btc", "quanly"]

    z = _close_as_manager(client, booth["shift_id"])
    assert [(a["kind"], a["ref"], a["approved_by"]) for a in z["approvals"]] == [
        ("void", first["receipt_no"], "Nguyễn Thị Hương"), ("refund", f"{second['receipt_no']}-HT1", "Lý Văn Sáng")]
    printed = _slip_bytes(shifts.build_z_report_slip(z))
    assert b"QUAN LY DUYET" in printed and b"duyet: Nguyen Thi Huong" in printed and b"duyet: Ly Van Sang" in printed
    report_page = client.get(f"/shifts/{booth['shift_id']}").get_data(as_text=True)
    assert "Quản lý duyệt" in report_page and "Nguyễn Thị Hương" in report_page


def test_a_cashier_takes_out_cash_within_the_limit_alone_and_above_it_with_a_managers_pin(app, client, booth):
    shift_id = booth["shift_id"]
    small = client.post(f"/api/v1/shifts/{shift_id}/cash", json=dict(kind="out", amount_vnd=150_000,
                                                                     reason="Mua túi giấy"))
    assert small.status_code == 201
    big = dict(kind="out", amount_vnd=900_000, reason="Trả tiền HTX Tuệ Lâm")
    refused = client.post(f"/api/v1/shifts/{shift_id}/cash", json=big)
    assert refused.status_code == 403 and refused.json["error"] == "CashOutOverLimit"
    assert refused.json["field"] == "manager_pin" and "200.000 ₫" in refused.json["message"]
    wrong = client.post(f"/api/v1/shifts/{shift_id}/cash", json=dict(big, manager_pin="1111"))
    assert wrong.status_code == 403 and wrong.json["error"] == "WrongPin"
    with app.app_context():
        assert db.session.query(CashMovement).count() == 1  # only the small one

    approved = client.post(f"/api/v1/shifts/{shift_id}/cash", json=dict(big, manager_pin=MANAGER_PIN))
    assert approved.status_code == 201
    with app.app_context():
        movements = db.session.query(CashMovement).order_by(CashMovement.id).all()
        assert [(m.amount_vnd, m.approved_by.username if m.approved_by else None) for m in movements] == [
            (150_000, None), (900_000, "quanly")]
    outs = _audit(app, "shift.cash_out")
    assert [(e["amount_vnd"], e.get("approved_by"), e["_user"]) for e in outs] == [
        (150_000, None, "thungan"), (900_000, "quanly", "thungan")]

    # On the page the same rule holds, and the till's figures say who approved it.
    page = client.post(f"/shifts/{shift_id}/cash", data=dict(kind="out", amount_vnd="300.000", reason="Trả HTX"))
    assert page.status_code == 403 and "Rút quá 200.000 ₫ khỏi két cần mã PIN của quản lý" in page.get_data(as_text=True)
    ok = client.post(f"/shifts/{shift_id}/cash", data=dict(kind="out", amount_vnd="300.000", reason="Trả HTX",
                                                           manager_pin=ORGANISER_PIN))
    assert ok.status_code == 302
    till = client.get(ok.location).get_data(as_text=True)
    assert "quản lý duyệt: Lý Văn Sáng" in till and "quản lý duyệt: Nguyễn Thị Hương" in till

    z = _close_as_manager(client, shift_id)
    assert [(a["kind"], a["amount_vnd"], a["approved_by"]) for a in z["approvals"]] == [
        ("cash_out", 900_000, "Lý Văn Sáng"), ("cash_out", 300_000, "Nguyễn Thị Hương")]


def test_a_manager_takes_out_cash_as_her_own_approver_and_the_limit_is_a_booth_setting(app, client, world, booth):
    client.post("/logout")
    login(client, "quanly")
    shift_id = booth["shift_id"]
    own = client.post(f"/api/v1/shifts/{shift_id}/cash", json=dict(kind="out", amount_vnd=900_000, reason="Trả HTX"))
    assert own.status_code == 201
    page = client.get("/setup/booth").get_data(as_text=True)
    assert 'name="cash_out_limit_vnd"' in page and 'value="200.000"' in page
    saved = client.post("/setup/booth", data=dict(code="B07", name="Gian hàng Bình Liêu", cashier_discount_limit_percent="10",
                                                  low_stock_qty="5", session_idle_minutes="480",
                                                  cash_out_limit_vnd="1.000.000"))
    assert saved.status_code == 302
    client.post("/logout")
    login(client, "thungan")
    alone = client.post(f"/api/v1/shifts/{shift_id}/cash", json=dict(kind="out", amount_vnd=900_000, reason="Trả HTX"))
    assert alone.status_code == 201
    with app.app_context():
        assert [m.approved_by_id is not None for m in db.session.query(CashMovement).order_by(CashMovement.id)] == [
            True, False]
    changed = _audit(app, "settings.booth")[-1]
    assert changed["changes"]["cash_out_limit_vnd"] == [200_000, 1_000_000]


def test_a_delayed_pin_says_how_long_to_wait_in_seconds(app, client, booth):
    from pos.services.security import PinDelayed

    assert PinDelayed(seconds=8).retry_after_s == 8
    big = dict(kind="out", amount_vnd=900_000, reason="Trả HTX")
    for pin in ("1111", "1112", "1113"):
        client.post(f"/api/v1/shifts/{booth['shift_id']}/cash", json=dict(big, manager_pin=pin))
    delayed = client.post(f"/api/v1/shifts/{booth['shift_id']}/cash", json=dict(big, manager_pin=MANAGER_PIN))
    assert delayed.status_code == 429 and delayed.json["error"] == "PinDelayed"
    assert 0 < int(delayed.headers["Retry-After"]) <= 2


def test_probing_for_a_colleagues_pin_by_setting_it_meets_the_pin_waits(app, client, world):
    world.user("manager", username="quanly", full_name="Lý Văn Sáng", pin=MANAGER_PIN)
    world.user("organiser", username="btc", full_name="Nguyễn Thị Hương", pin=ORGANISER_PIN)
    login(client, "quanly")
    with app.app_context():
        me = db.session.query(User).filter_by(username="quanly").one().id

    def set_pin(pin):
        return client.post(f"/setup/users/{me}", data=dict(username="quanly", full_name="Lý Văn Sáng", role="manager",
                                                           pin=pin, language="vi", is_active="on"))

    for _ in range(3):
        assert set_pin(ORGANISER_PIN).status_code == 409
    # The fourth try waits, whatever PIN it is: the refusals were counted as wrong PINs.
    waiting = set_pin("7531")
    assert waiting.status_code == 429 and "chờ 2 giây" in waiting.get_data(as_text=True)
    assert [e["_user"] for e in _audit(app, "auth.pin_failed")] == ["quanly"] * 3


def test_at_a_hub_managers_of_different_booths_may_share_a_pin_but_not_within_one_booth(app):
    from pos.db import unit_of_work
    from pos.services import booths, users

    with app.app_context(), unit_of_work(db.session) as s:
        booths.init_database(s)
        fair = booths.save_fair(s, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020"))
        b07 = booths.save_booth(s, dict(fair_id=fair.id, code="B07", name="Gian hàng Bình Liêu"))
        b09 = booths.save_booth(s, dict(fair_id=fair.id, code="B09", name="Gian hàng Đầm Hà"))
        users.save_user(s, dict(username="ql.b07", full_name="QL B07", role="manager", password="matkhau123", pin="2468"), booth_id=b07.id)
        users.save_user(s, dict(username="ql.b09", full_name="QL B09", role="manager", password="matkhau123", pin="2468"), booth_id=b09.id)
        b07_id = b07.id
    with app.app_context(), pytest.raises(users.PinTaken), unit_of_work(db.session) as s:
        users.save_user(s, dict(username="pho.b07", full_name="Phó B07", role="manager", password="matkhau123", pin="2468"),
                        booth_id=b07_id)
