"""A float or a bool that reaches a shift, void, refund or closing service directly (not through the
API's schemas: a page, the CLI, the demo, a script) is refused naming the field, and nothing is stored."""
import pytest
from sqlalchemy import func, select

from pos.db import unit_of_work
from pos.errors import InvalidInput
from pos.models import AuditEntry, CashMovement, Refund, Shift, StockMovement, Void
from pos.services.reporting import closing
from pos.services import returns, shifts
from tests.unit.test_shifts import PIN, open_, sell, shop  # noqa: F401  (shop is a fixture)

NOT_INTS = (1.0, 2.5, True, "1")


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def actions(session):
    return [a for (a,) in session.execute(select(AuditEntry.action).order_by(AuditEntry.id))
            if a.startswith(("shift.", "sale.", "fair."))]


def refused(shop, call):
    with pytest.raises(InvalidInput) as err:
        with unit_of_work(shop["session"]) as s:
            call(s)
    return err.value.field


def test_opening_a_shift_refuses_a_till_or_a_float_that_is_not_a_true_int(shop):
    booth, user, till = shop["booth"], shop["cashier"], shop["t1"]
    for bad in NOT_INTS:
        assert refused(shop, lambda s: shifts.open_shift(s, booth, user, shifts.NewShift(bad))) == "till_id"
        assert refused(shop, lambda s: shifts.open_shift(
            s, booth, user, shifts.NewShift(till.id, opening_float_vnd=bad))) == "opening_float_vnd"
    assert count(shop["session"], Shift) == 0
    assert open_(shop, float_vnd=500_000).opening_float_vnd == 500_000


def test_a_cash_movement_refuses_an_amount_that_is_not_a_true_int(shop):
    shift = open_(shop)
    booth, user = shop["booth"], shop["cashier"]
    for bad in (*NOT_INTS, 50_000.0):
        assert refused(shop, lambda s: shifts.record_cash_movement(
            s, booth, user, shift.id, shifts.CashMove("in", bad, "Mua tiền lẻ"))) == "amount_vnd"
    assert refused(shop, lambda s: shifts.record_cash_movement(
        s, booth, user, shift.id, shifts.CashMove("in", 1000, 1.0))) == "reason"
    assert count(shop["session"], CashMovement) == 0


def test_closing_a_shift_refuses_a_number_of_notes_that_is_not_a_true_int(shop):
    shift = open_(shop)
    booth, user = shop["booth"], shop["cashier"]
    for bad in NOT_INTS:
        assert refused(shop, lambda s: shifts.close_shift(
            s, booth, user, shift.id, shifts.CashCount({500_000: 1, 10_000: bad}))) == "counts.10000"
    # A denomination given as a float or a bool is not a note either (True == 1 must not pass for 1 đồng).
    assert refused(shop, lambda s: shifts.close_shift(
        s, booth, user, shift.id, shifts.CashCount({500_000.0: 1}))) == "counts.500000.0"
    assert shop["session"].get(Shift, shift.id).is_open
    assert actions(shop["session"]) == ["shift.open"]


def test_a_void_refuses_a_reason_or_pin_that_is_not_text(shop):
    open_(shop)
    sale = sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    booth, user = shop["booth"], shop["cashier"]
    assert refused(shop, lambda s: returns.void_sale(s, booth, user, sale.id, returns.NewVoid(1.0, PIN))) == "reason"
    assert refused(shop, lambda s: returns.void_sale(
        s, booth, user, sale.id, returns.NewVoid("Bấm nhầm", 2468))) == "manager_pin"
    assert count(shop["session"], Void) == 0
    assert count(shop["session"], StockMovement) == 4  # the two receipts' three lines and the sale


def test_a_refund_refuses_a_line_qty_or_till_that_is_not_a_true_int_and_a_flag_that_is_not_a_bool(shop):
    open_(shop)
    sale = sell(shop, [("que", 3)], [dict(method="cash", tendered_vnd=300_000)])
    booth, user, line_id, till_id = shop["booth"], shop["cashier"], sale.lines[0].id, shop["t1"].id

    def refund(item, till=till_id):
        return lambda s: returns.refund_sale(s, booth, user, sale.id, returns.NewRefund(
            (item,), "Lọ bị nứt", "cash", till, PIN))

    for bad in NOT_INTS:
        assert refused(shop, refund(returns.RefundItem(line_id, bad))) == "lines[0].qty"
        assert refused(shop, refund(returns.RefundItem(bad, 1))) == "lines[0].sale_line_id"
        assert refused(shop, refund(returns.RefundItem(line_id, 1), till=bad)) == "till_id"
    for bad in (1, 0, "false", None):
        assert refused(shop, refund(returns.RefundItem(line_id, 1, bad))) == "lines[0].back_to_stock"
    assert refused(shop, refund(dict(sale_line_id=line_id, qty=1))) == "lines[0]"
    assert count(shop["session"], Refund) == 0
    with unit_of_work(shop["session"]) as s:
        done = returns.refund_sale(s, booth, user, sale.id, returns.NewRefund.of(
            lines=[dict(sale_line_id=line_id, qty=1, back_to_stock=False)], reason="Lọ bị nứt", till_id=till_id,
            manager_pin=PIN))
    assert (done.total_vnd, done.lines[0].back_to_stock) == (95_000, False)


def test_closing_the_fair_takes_only_true_booleans(shop):
    booth = shop["booth"]
    for request, field in ((closing.CloseFair(1), "confirm"), (closing.CloseFair("on"), "confirm"),
                           (closing.CloseFair(False), "confirm"),
                           (closing.CloseFair(True, allow_unpushed=1), "allow_unpushed"),
                           (closing.CloseFair(True, allow_unpushed="yes"), "allow_unpushed")):
        assert refused(shop, lambda s: closing.close_fair(s, booth, shop["manager"], request)) == field
    assert booth.fair.closed_at is None
    assert "fair.close" not in actions(shop["session"])
