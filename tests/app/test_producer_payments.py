"""Paying producers: a manager or organiser records money paid against a producer's statement; the
statement shows paid and still owed, the list shows who is still owed, the producer sees it, the slip
prints on A4 and on the receipt printer with both signatures, the exports carry it, and it reaches the hub."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pos.db import unit_of_work
from pos.extensions import db
from pos.models import AuditEntry, ProducerPayment
from pos.workers import print_pending
from pos.timeutil import local_today
from tests.app.test_print_queue import _set_printer, decoded, printer  # noqa: F401 - printer is a fixture
from tests.app.test_reports import fair  # noqa: F401 - a fixture
from tests.conftest import login


def _statement(app, producer_id):
    from pos.services import booths
    from pos.services.reporting import settlement

    with app.app_context():
        st = settlement.statement(db.session, booths.current_booth(db.session), producer_id)
        return st.payable_vnd, st.paid_vnd, st.owed_vnd


def _pay(client, producer_id, **data):
    form = dict(method="transfer", amount_vnd="100.000", paid_on="", reference="FT20012345678",
                received_by="Nguyễn Thị Lâm", note="")
    form.update(data)
    return client.post(f"/reports/settlements/{producer_id}/payments", data=form)


def _money(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " ₫"


def _count(app) -> int:
    with app.app_context():
        return db.session.query(ProducerPayment).count()


def test_a_manager_records_payments_and_the_statement_shows_paid_and_still_owed(app, client, fair):
    login(client, "quanly")
    payable, paid, owed = _statement(app, fair["tl"])
    assert (paid, owed) == (0, payable) and payable == 3 * 95_000 - 5000  # no commission in the fixture
    first = _pay(client, fair["tl"], amount_vnd="100.000")
    assert first.status_code == 302 and "/reports/payments/" in first.location
    slip = client.get(first.location).get_data(as_text=True)
    assert "PHIẾU CHI TRẢ CHỦ THỂ" in slip and 'id="payment-amount">100.000 ₫<' in slip
    assert "Người nhận tiền" in slip and "Người chi tiền" in slip and "FT20012345678" in slip
    assert f'id="payment-owed-after">{_money(payable - 100_000)}<' in slip
    _pay(client, fair["tl"], method="cash", amount_vnd="50000", reference="")
    assert _statement(app, fair["tl"]) == (payable, 150_000, payable - 150_000)
    page = client.get(f"/reports/settlements/{fair['tl']}").get_data(as_text=True)
    assert f'id="statement-paid">{_money(150_000)}<' in page
    assert f'id="statement-owed">{_money(payable - 150_000)}<' in page
    assert 'id="statement-payments"' in page and "Tiền mặt" in page and "Chuyển khoản" in page
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "producer.payment")).all()
        assert len(entries) == 2
        payments = db.session.scalars(select(ProducerPayment)).all()
        assert all(p.origin_db and p.origin_seq and len(p.uuid) == 36 for p in payments)
        assert [p.paid_on for p in payments] == [local_today()] * 2


def test_the_settlement_list_shows_who_is_still_owed(app, client, fair):
    login(client, "quanly")
    payable, _paid, _owed = _statement(app, fair["tl"])
    html = client.get("/reports/settlements").get_data(as_text=True)
    assert re.search(r'id="still-owed">2 chủ thể còn chờ được trả', html)
    _pay(client, fair["tl"], amount_vnd=str(payable))
    html = client.get("/reports/settlements").get_data(as_text=True)
    row = re.search(rf'data-producer="{fair["tl"]}">(.*?)</tr>', html, re.S).group(1)
    assert "đã trả đủ" in row
    assert re.search(r'id="still-owed">1 chủ thể còn chờ được trả', html)
    waiting = html[html.index('id="still-owed"'):html.index('id="settlements"')]
    assert "HTX Miến dong Đồng Tâm" in waiting and "HTX Thảo mộc Tuệ Lâm" not in waiting
    # Paid in full: the form is gone, and another payment is refused.
    refused = _pay(client, fair["tl"], amount_vnd="1000")
    assert refused.status_code == 422 and "Đã trả đủ" in refused.get_data(as_text=True)


@pytest.mark.parametrize("data,field,message", [
    (dict(amount_vnd="99.000.000"), "amount_vnd", "Lớn hơn số còn phải trả"),
    (dict(amount_vnd="0"), "amount_vnd", "Số tiền phải lớn hơn 0"),
    (dict(amount_vnd="một trăm"), "amount_vnd", "Số tiền phải là số nguyên đồng"),
    (dict(reference=""), "reference", "Không được để trống"),
    (dict(method="bitcoin"), "method", "Chọn tiền mặt hoặc chuyển khoản"),
    (dict(paid_on="31/02/2020"), "paid_on", "Ngày không hợp lệ"),
    (dict(paid_on="tomorrow"), "paid_on", "Ngày trả chưa tới"),
])
def test_a_bad_payment_is_refused_naming_the_field_and_nothing_is_written(app, client, fair, data, field, message):
    login(client, "quanly")
    if data.get("paid_on") == "tomorrow":
        data = dict(paid_on=(local_today() + timedelta(days=1)).strftime("%d/%m/%Y"))
    response = _pay(client, fair["tl"], **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert re.search(rf'class="field has-error">\s*<span>[^<]*(<b class="req">\*</b>)?</span>\s*<(input|select)[^>]*'
                     rf'name="{field}"', html), field
    assert _count(app) == 0


def test_cashiers_and_producers_cannot_record_a_payment(app, client, fair):
    with app.app_context(), unit_of_work(db.session) as s:
        from pos.services import users
        users.save_user(s, dict(username="tuelam", full_name="Tuệ Lâm", role="producer", password="matkhau123",
                                producer_id=fair["tl"]))
    for user in ("ca.t1", "tuelam"):
        login(client, user)
        assert _pay(client, fair["tl"]).status_code == 403
        client.post("/logout")
    assert _count(app) == 0


def test_the_producer_sees_its_payments_in_the_portal_and_only_its_own(app, client, fair):
    with app.app_context(), unit_of_work(db.session) as s:
        from pos.services import users
        users.save_user(s, dict(username="tuelam", full_name="Tuệ Lâm", role="producer", password="matkhau123",
                                producer_id=fair["tl"]))
    login(client, "quanly")
    _pay(client, fair["tl"], amount_vnd="100.000")
    _pay(client, fair["md"], amount_vnd="60.000", reference="FT-MIEN-1")
    client.post("/logout")
    login(client, "tuelam")
    payable, _p, _o = _statement(app, fair["tl"])
    home = client.get("/portal").get_data(as_text=True)
    assert re.search(rf'class="num paid"[^>]*>{_money(100_000)}<', home)
    assert re.search(rf'class="num owed"[^>]*>{_money(payable - 100_000)}<', home)
    booth_id = client.get("/api/v1/portal/stock").json["booths"][0]["booth"]["id"]
    statement = client.get(f"/portal/settlements/{booth_id}").get_data(as_text=True)
    assert "FT20012345678" in statement and "FT-MIEN-1" not in statement
    link = re.search(r'href="(/portal/payments/\d+)"', statement).group(1)
    slip = client.get(link).get_data(as_text=True)
    assert "PHIẾU CHI TRẢ CHỦ THỂ" in slip and "100.000 ₫" in slip and "In trên máy in phiếu" not in slip
    api = client.get(f"/api/v1/portal/settlements/{booth_id}").json
    assert api["paid_vnd"] == 100_000 and api["owed_vnd"] == payable - 100_000
    assert [p["reference"] for p in api["payments"]] == ["FT20012345678"]
    with app.app_context():
        other = db.session.scalars(select(ProducerPayment).where(ProducerPayment.producer_id == fair["md"])).one()
    refused = client.get(f"/portal/payments/{other.id}")
    assert refused.status_code == 404 and "FT-MIEN-1" not in refused.get_data(as_text=True)


def test_the_payment_slip_prints_on_the_receipt_printer_with_both_signatures(app, client, fair, printer):
    login(client, "quanly")
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    payable, _p, _o = _statement(app, fair["tl"])
    _pay(client, fair["tl"], amount_vnd="30.000", method="cash", reference="")
    slip_url = _pay(client, fair["tl"], amount_vnd="100.000").location
    payment_id = int(slip_url.rsplit("/", 1)[1])
    page = client.get(slip_url).get_data(as_text=True)
    assert 'id="print-payment-slip"' in page
    response = client.post(f"/reports/payments/{payment_id}/slip")
    assert response.status_code == 302 and "Đã gửi phiếu chi ra máy in phiếu." in \
        client.get(response.location).get_data(as_text=True)
    assert print_pending(app) == 1
    lines = [x.strip() for x in decoded(printer.received).split("\n")]
    assert "PHIẾU CHI TRẢ CHỦ THỂ" in lines and "Chủ thể: HTX Thảo mộc Tuệ Lâm" in lines

    def amount(label):
        line = next(x for x in lines if x.startswith(label))
        return int(re.search(r"([\d.]+) đ$", line).group(1).replace(".", ""))

    assert amount("Số tiền trả chủ thể") == payable
    assert amount("Đã trả trước đó") == 30_000 and amount("Lần này") == 100_000
    assert amount("Còn phải trả") == payable - 130_000
    assert "Người nhận tiền" in lines and "Người chi tiền" in lines
    assert max(len(x) for x in decoded(printer.received).split("\n")) <= 32


def test_exports_carry_the_payments(app, client, fair):
    login(client, "quanly")
    payable, _p, _o = _statement(app, fair["tl"])
    _pay(client, fair["tl"], amount_vnd="100.000")
    wb = load_workbook(io.BytesIO(client.get(f"/reports/settlements/{fair['tl']}?format=xlsx").data))
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Đã trả"] == 100_000 and summary["Còn phải trả"] == payable - 100_000
    rows = list(wb["Chi trả chủ thể"].iter_rows(values_only=True))
    body = next(r for r in rows if r[5] == "FT20012345678")
    assert body[8] == 100_000 and body[1].date() == local_today()
    overview = load_workbook(io.BytesIO(client.get("/reports/settlements?format=xlsx").data)).active
    header = next(r for r in overview.iter_rows(values_only=True) if r[0] == "Chủ thể")
    tl = next(r for r in overview.iter_rows(values_only=True) if r[0] == "HTX Thảo mộc Tuệ Lâm")
    assert tl[header.index("Đã trả")] == 100_000 and tl[header.index("Còn phải trả")] == payable - 100_000


def test_a_payment_recorded_at_the_booth_reaches_the_hub_and_the_hubs_statement_counts_it(db_url, tmp_path):
    from pos.models import Booth, Producer, User
    from pos.services.reporting import producer_payments, settlement
    from tests.app.test_sync_support import dispose, hub_and_booth

    hub, booth, booth_id, token, _key = hub_and_booth(db_url, tmp_path)
    try:
        que = hub.products["Tinh dầu quế 10ml"]
        booth.sell({que: 2})
        with booth.app.app_context(), unit_of_work(db.session) as s:
            here, _till, manager, _cashier = booth._ids(s)
            producer = s.scalars(select(Producer)).one()
            payment = producer_payments.record_payment(s, here, manager, producer.id, dict(
                method="transfer", amount_vnd="150.000", reference="FT-B07-0001", received_by="Chị Lâm"))
            wanted = (payment.uuid, payment.amount_vnd, payment.reference, payment.paid_on)
        assert booth.unpushed() > 0
        result = booth.push(hub.transport(token))
        assert result.remaining == 0 and booth.unpushed() == 0
        with hub.app.app_context():
            held = db.session.scalars(select(ProducerPayment)).one()
            assert (held.uuid, held.amount_vnd, held.reference, held.paid_on) == wanted
            assert held.booth_id == booth_id and held.created_by.username == db.session.scalars(
                select(User.username).where(User.id == held.created_by_id)).one()
            st = settlement.statement(db.session, db.session.get(Booth, booth_id), held.producer_id)
            assert st.paid_vnd == 150_000 and st.owed_vnd == st.payable_vnd - 150_000 == 2 * 95_000 - 150_000
        # Pushed again, nothing doubles.
        booth.push(hub.transport(token))
        with hub.app.app_context():
            assert db.session.query(ProducerPayment).count() == 1
    finally:
        dispose(booth.app)
        dispose(hub.app)
