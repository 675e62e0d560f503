"""Voids and refunds on a bare SQLAlchemy session: the sale is never edited, the ledger is reversed."""
import pytest
from sqlalchemy import func, select

from pos.db import unit_of_work
from pos.errors import InvalidInput, NoOpenShift, WrongPin
from pos.models import AuditEntry, Refund, RefundLine, StockMovement, Void
from pos.printing import lay_out
from pos.services import returns, stock
from pos.services.returns import AlreadyVoided, RefundOfVoided, RefundTooMuch, VoidAfterClose, VoidAfterRefund
from tests.unit.test_shifts import PIN, close, open_, sell, shop  # noqa: F401  (shop is a fixture)


def on_hand(shop, product):
    return stock.on_hand(shop["session"], shop["booth"].id).get(shop[product].id, 0)


def void(shop, sale, pin=PIN, reason="Bấm nhầm sản phẩm", user="cashier"):
    with unit_of_work(shop["session"]) as s:
        return returns.void_sale(s, shop["booth"], shop[user], sale.id, returns.NewVoid(reason=reason, manager_pin=pin))


def refund(shop, sale, lines, pin=PIN, method="cash", till="t1", reason="Lọ bị nứt"):
    data = dict(lines=[dict(sale_line_id=line.id, qty=qty, **({} if back else {"back_to_stock": False}))
                       for line, qty, back in lines],
                reason=reason, method=method, manager_pin=pin)
    if till:
        data["till_id"] = shop[till].id
    with unit_of_work(shop["session"]) as s:
        return returns.refund_sale(s, shop["booth"], shop["cashier"], sale.id, returns.NewRefund.of(**data))


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_void_puts_every_unit_back_on_hand_with_a_record_pointing_at_the_sale(shop):
    s = shop["session"]
    open_(shop)
    sale = sell(shop, [("que", 2), ("mien", 3)], [dict(method="cash", tendered_vnd=500_000)])
    assert (on_hand(shop, "que"), on_hand(shop, "mien")) == (8, 17)
    done = void(shop, sale)
    assert (on_hand(shop, "que"), on_hand(shop, "mien")) == (10, 20)
    assert done.sale_id == sale.id and done.shift_id == sale.shift_id and done.approved_by_id == shop["manager"].id
    assert done.origin_seq and done.origin_db and done.booth_id == shop["booth"].id
    moves = s.scalars(select(StockMovement).where(StockMovement.kind == "void")).all()
    assert sorted((m.product_id, m.qty) for m in moves) == sorted([(shop["que"].id, 2), (shop["mien"].id, 3)])
    assert all(m.sale_id == sale.id and m.origin_seq for m in moves)
    assert sale.total_vnd == 370_000 and len(sale.lines) == 2  # the sale itself is untouched
    entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "sale.void")).one()
    assert entry.target == sale.receipt_no and "Bấm nhầm" in entry.details


def test_a_sale_voided_twice_is_refused_and_the_stock_is_returned_once(shop):
    open_(shop)
    sale = sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    void(shop, sale)
    with pytest.raises(AlreadyVoided):
        void(shop, sale)
    assert on_hand(shop, "que") == 10 and count(shop["session"], Void) == 1


def test_a_void_after_the_shift_closed_is_refused_pointing_to_a_refund(shop):
    shift = open_(shop)
    sale = sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    close(shop, shift, {"500000": 1, "50000": 1, "20000": 2, "5000": 1})
    with pytest.raises(VoidAfterClose) as err:
        void(shop, sale)
    assert "hoàn tiền" in str(err.value) and sale.receipt_no in str(err.value)
    assert on_hand(shop, "que") == 9 and count(shop["session"], Void) == 0


def test_a_wrong_or_missing_pin_refuses_the_void_and_the_refund_and_writes_nothing(shop):
    s = shop["session"]
    open_(shop)
    sale = sell(shop, [("que", 2)], [dict(method="cash", tendered_vnd=200_000)])
    moves_before = count(s, StockMovement)
    for pin in ("0000", ""):
        with pytest.raises(WrongPin) as err:
            void(shop, sale, pin=pin)
        assert err.value.field == "pin"
        with pytest.raises(WrongPin):
            refund(shop, sale, [(sale.lines[0], 1, True)], pin=pin)
    assert (count(s, Void), count(s, Refund), count(s, RefundLine)) == (0, 0, 0)
    assert count(s, StockMovement) == moves_before and on_hand(shop, "que") == 8
    assert s.scalars(select(AuditEntry).where(AuditEntry.action.in_(("sale.void", "sale.refund")))).all() == []


def test_a_voided_sale_cannot_be_refunded_and_a_refunded_sale_cannot_be_voided(shop):
    open_(shop)
    voided = sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    void(shop, voided)
    with pytest.raises(RefundOfVoided):
        refund(shop, voided, [(voided.lines[0], 1, True)])
    refunded = sell(shop, [("mien", 2)], [dict(method="cash", tendered_vnd=120_000)])
    refund(shop, refunded, [(refunded.lines[0], 1, True)])
    with pytest.raises(VoidAfterRefund):
        void(shop, refunded)
    assert on_hand(shop, "que") == 10 and on_hand(shop, "mien") == 19


def test_a_refund_of_more_than_was_sold_counting_earlier_refunds_is_refused(shop):
    s = shop["session"]
    open_(shop)
    sale = sell(shop, [("que", 3)], [dict(method="cash", tendered_vnd=300_000)])
    line = sale.lines[0]
    with pytest.raises(RefundTooMuch) as err:
        refund(shop, sale, [(line, 4, True)])
    assert err.value.field == "lines[0].qty" and "Tinh dầu quế" in str(err.value)
    refund(shop, sale, [(line, 2, True)])
    with pytest.raises(RefundTooMuch) as err:
        refund(shop, sale, [(line, 2, True)])
    assert "đã hoàn 2" in str(err.value)
    assert count(s, Refund) == 1 and on_hand(shop, "que") == 9


def test_refunding_a_line_unit_by_unit_gives_back_exactly_its_net_and_numbers_each_refund(shop):
    open_(shop)
    # 3 × 95.000 − 15.001 order discount = 269.999 đồng: not a multiple of 3.
    sale = sell(shop, [("que", 3)], [dict(method="cash", tendered_vnd=300_000)], order_discount_vnd=15_001)
    line = sale.lines[0]
    assert line.net_vnd == 269_999
    done = [refund(shop, sale, [(line, 1, True)]) for _ in range(3)]
    assert [r.total_vnd for r in done] == [89_999, 90_000, 90_000]
    assert sum(r.total_vnd for r in done) == line.net_vnd
    assert [r.number for r in done] == [f"{sale.receipt_no}-HT{i}" for i in (1, 2, 3)]
    assert returns.refund_amount(line, 0, 0, 3) == line.net_vnd  # all at once: the same total
    with pytest.raises(RefundTooMuch):
        refund(shop, sale, [(line, 1, True)])


def test_damaged_goods_come_back_and_are_written_off_while_good_ones_go_back_on_the_shelf(shop):
    s = shop["session"]
    open_(shop)
    sale = sell(shop, [("que", 2), ("mien", 2)], [dict(method="cash", tendered_vnd=310_000)])
    que_line, mien_line = sale.lines
    done = refund(shop, sale, [(que_line, 1, False), (mien_line, 2, True)])
    assert done.total_vnd == 95_000 + 120_000
    assert on_hand(shop, "que") == 8 and on_hand(shop, "mien") == 20
    moves = s.scalars(select(StockMovement).where(StockMovement.reason.contains(done.number))
                      .order_by(StockMovement.id)).all()
    assert [(m.product_id, m.kind, m.qty) for m in moves] == [
        (shop["que"].id, "refund", 1), (shop["que"].id, "damage", -1), (shop["mien"].id, "refund", 2)]
    assert [rl.back_to_stock for rl in done.lines] == [False, True]


def test_a_cash_refund_needs_the_till_paying_it_to_have_an_open_shift(shop):
    s = shop["session"]
    open_(shop)
    sale = sell(shop, [("que", 2)], [dict(method="cash", tendered_vnd=200_000)])
    with pytest.raises(InvalidInput) as err:
        refund(shop, sale, [(sale.lines[0], 1, True)], till=None)
    assert err.value.field == "till_id"
    with pytest.raises(NoOpenShift) as err:
        refund(shop, sale, [(sale.lines[0], 1, True)], till="t2")
    assert "T2" in str(err.value)
    assert count(s, Refund) == 0
    by_transfer = refund(shop, sale, [(sale.lines[0], 1, True)], method="transfer", till=None)
    assert by_transfer.shift_id is None and by_transfer.method == "transfer"


def test_a_refund_refuses_unknown_fields_lines_of_another_sale_and_a_bad_method(shop):
    open_(shop)
    sale = sell(shop, [("que", 1)], [dict(method="cash", tendered_vnd=100_000)])
    other = sell(shop, [("mien", 1)], [dict(method="cash", tendered_vnd=100_000)])
    cases = [
        (dict(lines=[dict(sale_line_id=other.lines[0].id, qty=1)], reason="x"), "lines[0].sale_line_id"),
        (dict(lines=[dict(sale_line_id=sale.lines[0].id, qty=0)], reason="x"), "lines[0].qty"),
        (dict(lines=[], reason="x"), "lines"),
        (dict(lines=[dict(sale_line_id=sale.lines[0].id, qty=1)], reason=""), "reason"),
        (dict(lines=[dict(sale_line_id=sale.lines[0].id, qty=1)], reason="x", method="bitcoin"), "method"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInput) as err:
            with unit_of_work(shop["session"]) as s:
                returns.refund_sale(s, shop["booth"], shop["cashier"], sale.id,
                                    returns.NewRefund.of(**data, manager_pin=PIN, till_id=shop["t1"].id))
        assert err.value.field == field, (data, err.value.field)
    assert count(shop["session"], Refund) == 0


def test_the_void_and_refund_slips_name_the_sale_the_amount_and_who_approved(shop):
    open_(shop)
    sale = sell(shop, [("que", 2)], [dict(method="cash", tendered_vnd=200_000)])
    other = sell(shop, [("mien", 1)], [dict(method="cash", tendered_vnd=100_000)])
    done = refund(shop, sale, [(sale.lines[0], 1, False)])
    text = "\n".join(lay_out(returns.build_refund_slip(done), 32))
    assert "PHIẾU HOÀN TIỀN" in text and done.number in text and "95.000 ₫" in text and "Lý Văn Sáng" in text
    assert "(hàng hỏng)" in text
    voided = void(shop, other)
    lines = lay_out(returns.build_void_slip(voided), 32)
    assert all(len(x) <= 32 for x in lines)
    assert "PHIẾU HỦY ĐƠN" in "\n".join(lines) and other.receipt_no in "\n".join(lines)
