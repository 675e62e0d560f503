"""Cash shifts on a bare SQLAlchemy session: the drawer's expected cash, the count, the Z report."""
import json

import pytest

from pos.printing.layout import slip_from_json, slip_to_json
from sqlalchemy import func, select

from pos.db import unit_of_work
from pos.errors import Forbidden, InvalidInput, NoOpenShift
from pos.models import AuditEntry, CashMovement, Sale, Shift
from pos.printing import lay_out
from pos.services import booths, catalogue, returns, sales, shifts, stock, users
from pos.services.shifts import ShiftAlreadyOpen, ShiftClosed

PIN = "2468"


@pytest.fixture
def shop(session):
    booths.init_database(session)
    fair = booths.save_fair(session, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020"))
    booth = booths.save_booth(session, dict(fair_id=fair.id, code="B07", name="Gian hàng Bình Liêu",
                                            bank_bin="970405", bank_account="8002205012345"))
    booths.make_this_booth(session, booth)
    t1 = booths.save_till(session, booth, dict(code="T1", name="Quầy 1"))
    t2 = booths.save_till(session, booth, dict(code="T2", name="Quầy 2"))
    manager = users.save_user(session, dict(username="quanly", full_name="Lý Văn Sáng", role="manager",
                                            password="matkhau123", pin=PIN))
    cashier = users.save_user(session, dict(username="thungan", full_name="Hoàng Thị Mai", role="cashier",
                                            password="matkhau123"))
    other = users.save_user(session, dict(username="thungan2", full_name="Vi Thị Lan", role="cashier",
                                          password="matkhau123"))
    tl = catalogue.save_producer(session, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx"))
    md = catalogue.save_producer(session, dict(name="HTX Miến dong Đồng Tâm", kind="htx"))
    que = catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu quế", unit="lọ", price_vnd=95_000))
    hoi = catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu hồi", unit="lọ", price_vnd=110_000))
    mien = catalogue.save_product(session, dict(producer_id=md.id, name="Miến dong 500g", unit="gói", price_vnd=60_000))
    stock.record_document(session, booth, manager, stock.NewDocument.of("receive", producer_id=tl.id, lines=[
        dict(product_id=que.id, qty=10), dict(product_id=hoi.id, qty=5)]))
    stock.record_document(session, booth, manager, stock.NewDocument.of("receive", producer_id=md.id, lines=[
        dict(product_id=mien.id, qty=20)]))
    session.commit()
    return dict(session=session, booth=booth, t1=t1, t2=t2, manager=manager, cashier=cashier, other=other,
                que=que, hoi=hoi, mien=mien, keys=iter(range(1, 10_000)))


def open_(shop, till="t1", user="cashier", float_vnd=500_000):
    with unit_of_work(shop["session"]) as s:
        return shifts.open_shift(s, shop["booth"], shop[user], shifts.NewShift(till_id=shop[till].id,
                                                                     opening_float_vnd=float_vnd))


def sell(shop, lines, payments, till="t1", **extra):
    data = dict(till_id=shop[till].id, lines=[dict(product_id=shop[p].id, qty=q) for p, q in lines],
                payments=payments, **extra)
    with unit_of_work(shop["session"]) as s:
        return sales.record_sale(s, shop["booth"], shop["cashier"], sales.Checkout.of(**data), f"key-{next(shop['keys'])}").sale


def cash_move(shop, shift, kind, amount, reason="Mua tiền lẻ"):
    with unit_of_work(shop["session"]) as s:
        return shifts.record_cash_movement(s, shop["booth"], shop["cashier"], shift.id,
                                           shifts.CashMove(kind=kind, amount_vnd=amount, reason=reason))


def close(shop, shift, counts, user="cashier", note=""):
    with unit_of_work(shop["session"]) as s:
        return shifts.close_shift(s, shop["booth"], shop[user], shift.id, shifts.CashCount.of(counts, note))


def count_rows(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_expected_cash_is_float_plus_cash_taken_less_voids_and_cash_refunds_plus_cash_in_less_cash_out(shop):
    s = shop["session"]
    shift = open_(shop, float_vnd=500_000)
    cash_sale = sell(shop, [("que", 2)], [dict(method="cash", tendered_vnd=200_000)])           # 190.000, change 10.000
    sell(shop, [("mien", 3)], [dict(method="transfer", amount_vnd=180_000)])                   # 180.000 by transfer
    sell(shop, [("hoi", 1), ("mien", 1)], [dict(method="transfer", amount_vnd=100_000),         # 170.000 split:
                                           dict(method="cash", tendered_vnd=100_000)])         # 70.000 cash, change 30.000
    voided = sell(shop, [("mien", 1)], [dict(method="cash", tendered_vnd=60_000)])             # 60.000, voided below
    discounted = sell(shop, [("que", 3)], [dict(method="cash", tendered_vnd=300_000)],         # 285.000 − 10.000
                      order_discount_vnd=10_000)
    with unit_of_work(s) as u:
        returns.void_sale(u, shop["booth"], shop["cashier"], voided.id, returns.NewVoid(reason="Bấm nhầm", manager_pin=PIN))
    line = discounted.lines[0]
    with unit_of_work(s) as u:  # one of three jars back in cash: floor(275.000 / 3) = 91.666
        returns.refund_sale(u, shop["booth"], shop["cashier"], discounted.id, returns.NewRefund.of(
            lines=[dict(sale_line_id=line.id, qty=1)], reason="Lọ bị nứt", method="cash", manager_pin=PIN,
            till_id=shop["t1"].id))
    with unit_of_work(s) as u:  # a second jar by transfer: 183.333 − 91.666 = 91.667, not cash
        returns.refund_sale(u, shop["booth"], shop["cashier"], discounted.id, returns.NewRefund.of(
            lines=[dict(sale_line_id=line.id, qty=1)], reason="Khách đổi ý", method="transfer", manager_pin=PIN,
            till_id=shop["t1"].id))
    cash_move(shop, shift, "in", 200_000, "Mua tiền lẻ")
    cash_move(shop, shift, "out", 150_000, "Trả HTX Miến dong")

    cash_taken = 190_000 + 70_000 + 60_000 + 275_000
    expected = 500_000 + cash_taken - 60_000 - 91_666 + 200_000 - 150_000
    assert expected == 993_334
    x = shifts.shift_report(s, shift)
    assert x["expected_cash_vnd"] == expected and x["kind"] == "X" and x["counted_cash_vnd"] is None
    assert count_rows(s, Shift) == 1 and s.get(Shift, shift.id).z_report == ""  # an X report stores nothing

    counts = {"500000": 1, "200000": 2, "50000": 1, "20000": 2, "2000": 1, "1000": 1}
    counted = 500_000 + 400_000 + 50_000 + 40_000 + 2_000 + 1_000
    closed = close(shop, shift, counts, note="Thiếu tiền lẻ")
    assert (closed.expected_cash_vnd, closed.counted_cash_vnd, closed.difference_vnd) == (expected, counted, -334)
    z = json.loads(closed.z_report)
    assert z["kind"] == "Z" and z["sales"] == {"count": 5, "gross_vnd": 885_000, "discounts_vnd": 10_000,
                                               "net_vnd": 875_000}
    assert z["payments"] == {"cash": cash_taken, "transfer": 280_000, "card": 0}
    assert z["voids"] == {"count": 1, "amount_vnd": 60_000, "by_method": {"cash": 60_000, "transfer": 0, "card": 0}}
    assert z["refunds"] == {"count": 2, "amount_vnd": 183_333,
                            "by_method": {"cash": 91_666, "transfer": 91_667, "card": 0}}
    assert (z["cash_in_vnd"], z["cash_out_vnd"]) == (200_000, 150_000)
    assert z["net_after_returns_vnd"] == 875_000 - 60_000 - 183_333
    assert (z["expected_cash_vnd"], z["counted_cash_vnd"], z["difference_vnd"]) == (expected, counted, -334)
    assert z["denominations"]["200000"] == 2 and z["denominations"]["100000"] == 0
    assert cash_sale.shift_id == shift.id and all(x.shift_id == shift.id for x in s.scalars(select(Sale)))


def test_a_till_has_one_open_shift_at_a_time_numbered_per_till(shop):
    first = open_(shop)
    with pytest.raises(ShiftAlreadyOpen) as err:
        open_(shop, user="manager")
    assert "T1" in str(err.value) and err.value.field == "till_id"
    assert open_(shop, till="t2").number == 1
    close(shop, first, {"500000": 1})
    assert open_(shop).number == 2
    assert [x.number for x in shifts.list_shifts(shop["session"], shop["booth"], till_id=shop["t1"].id)] == [2, 1]


def test_a_sale_at_a_till_without_an_open_shift_is_refused_and_nothing_is_written(shop):
    s = shop["session"]
    with pytest.raises(NoOpenShift) as err:
        sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    assert "T1" in str(err.value) and err.value.field == "till_id"
    assert count_rows(s, Sale) == 0 and s.get(type(shop["t1"]), shop["t1"].id).last_number == 0
    assert stock.on_hand(s, shop["booth"].id)[shop["que"].id] == 10


def test_sales_after_a_close_belong_to_the_next_shift(shop):
    first = open_(shop)
    sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    close(shop, first, {"100000": 5, "50000": 1, "20000": 2, "5000": 1})
    with pytest.raises(NoOpenShift):
        sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    second = open_(shop, float_vnd=0)
    sale = sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    assert sale.shift_id == second.id
    assert shifts.shift_report(shop["session"], second)["expected_cash_vnd"] == 95_000


def test_a_cash_movement_needs_an_amount_a_reason_and_an_open_shift(shop):
    s = shop["session"]
    shift = open_(shop)
    for data, field in ((dict(kind="in", amount_vnd=0, reason="x"), "amount_vnd"),
                        (dict(kind="in", amount_vnd=50_000, reason=" "), "reason"),
                        (dict(kind="sideways", amount_vnd=1000, reason="x"), "kind"),
                        (dict(kind="out", amount_vnd=-5, reason="x"), "amount_vnd")):
        with pytest.raises(InvalidInput) as err:
            with unit_of_work(s) as u:
                shifts.record_cash_movement(u, shop["booth"], shop["cashier"], shift.id, shifts.CashMove(**data))
        assert err.value.field == field
    assert cash_move(shop, shift, "in", 50_000).amount_vnd == 50_000
    close(shop, shift, {})
    with pytest.raises(ShiftClosed):
        cash_move(shop, shift, "out", 10_000)
    assert count_rows(s, CashMovement) == 1


def test_a_cashier_closes_only_a_shift_they_opened_and_a_manager_closes_any(shop):
    shift = open_(shop, user="cashier")
    with pytest.raises(Forbidden) as err:
        close(shop, shift, {"500000": 1}, user="other")
    assert "Hoàng Thị Mai" in str(err.value)
    assert shop["session"].get(Shift, shift.id).is_open
    assert close(shop, shift, {"500000": 1}, user="manager").closed_by_id == shop["manager"].id
    with pytest.raises(ShiftClosed):
        close(shop, shift, {"500000": 1}, user="manager")


def test_a_count_with_an_unknown_note_or_a_negative_number_is_refused_naming_the_note(shop):
    shift = open_(shop)
    for counts, field in (({"300000": 1}, "counts.300000"), ({"500000": -1}, "counts.500000"),
                          ({"1000": "mười"}, "counts.1000")):
        with pytest.raises(InvalidInput) as err:
            close(shop, shift, counts)
        assert err.value.field == field
    with pytest.raises(InvalidInput) as err:
        close(shop, shift, "500000")
    assert err.value.field == "counts"
    assert shop["session"].get(Shift, shift.id).is_open


def test_the_z_report_stays_as_signed_when_a_later_shift_refunds_one_of_its_sales(shop):
    s = shop["session"]
    first = open_(shop)
    sale = sell(shop, [("que", 2)], [dict(method="cash", tendered_vnd=190_000)])
    close(shop, first, {"500000": 1, "100000": 1, "50000": 1, "20000": 2})
    z_before = s.get(Shift, first.id).z_report
    second = open_(shop, float_vnd=300_000)
    with unit_of_work(s) as u:
        refund = returns.refund_sale(u, shop["booth"], shop["cashier"], sale.id, returns.NewRefund.of(
            lines=[dict(sale_line_id=sale.lines[0].id, qty=1)], reason="Lọ vỡ", manager_pin=PIN,
            till_id=shop["t1"].id))
    assert refund.shift_id == second.id
    assert s.get(Shift, first.id).z_report == z_before
    assert shifts.shift_report(s, second)["expected_cash_vnd"] == 300_000 - 95_000
    actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.id)) if a.startswith(("shift.", "sale."))]
    assert actions == ["shift.open", "shift.close", "shift.open", "sale.refund"]


@pytest.mark.parametrize("columns", [32, 48])
def test_the_z_report_slip_fits_the_paper_and_says_what_is_missing(shop, columns):
    shift = open_(shop, float_vnd=200_000)
    sell(shop, [("mien", 1)], [dict(method="cash", tendered_vnd=100_000)])
    closed = close(shop, shift, {"200000": 1, "50000": 1, "5000": 1, "2000": 1, "500": 1})
    slip = shifts.build_z_report_slip(shifts.z_report(closed))
    lines = lay_out(slip, columns)
    assert all(len(line) <= columns for line in lines)
    text = "\n".join(lines)
    assert "BÁO CÁO CHỐT CA (Z)" in text and "Tiền mặt phải có" in text and "260.000 ₫" in text
    assert "THIẾU" in text and "-2.500 ₫" in text  # counted 257.500 against 260.000
    assert "Thu ngân" in text and "Trưởng gian hàng" in text
    again = slip_from_json(slip_to_json(slip))
    assert lay_out(again, columns) == lines
