"""Recording sales, on a bare SQLAlchemy session (no Flask app)."""
import pytest
from sqlalchemy import func, select

from pos import vietqr
from pos.errors import (DiscountOverLimit, IdempotencyConflict, InvalidInput, OutOfStock, Underpaid, UnknownProduct,
                        WrongPin)
from pos.models import Payment, Sale, SaleLine, StockMovement
from pos.services import booths, catalogue, sales, shifts, stock, users


@pytest.fixture
def shop(session):
    booths.init_database(session)
    fair = booths.save_fair(session, dict(code="X20", name="Xuân 2020"))
    booth = booths.save_booth(session, dict(fair_id=fair.id, code="B07", name="Bình Liêu", bank_bin="970405",
                                            bank_account="8002205012345", cashier_discount_limit_percent="10"))
    booths.make_this_booth(session, booth)
    till = booths.save_till(session, booth, dict(code="T1", name="Quầy 1"))
    manager = users.save_user(session, dict(username="quanly", full_name="QL", role="manager", password="matkhau123",
                                            pin="2468"))
    cashier = users.save_user(session, dict(username="thungan", full_name="TN", role="cashier", password="matkhau123"))
    shifts.open_shift(session, booth, cashier, shifts.NewShift(till_id=till.id))  # sales belong to the till's open shift
    tl = catalogue.save_producer(session, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx"))
    md = catalogue.save_producer(session, dict(name="HTX Miến dong", kind="htx"))
    que = catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu quế", unit="lọ", price_vnd=95000))
    hoi = catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu hồi", unit="lọ", price_vnd=110000))
    mien = catalogue.save_product(session, dict(producer_id=md.id, name="Miến dong 500g", unit="gói", price_vnd=60000))
    stock.record_document(session, booth, manager, stock.NewDocument.of("receive", producer_id=tl.id, lines=[
        dict(product_id=que.id, qty=10), dict(product_id=hoi.id, qty=1)]))
    stock.record_document(session, booth, manager, stock.NewDocument.of("receive", producer_id=md.id, lines=[
        dict(product_id=mien.id, qty=20)]))
    session.commit()
    return dict(session=session, booth=booth, till=till, manager=manager, cashier=cashier, que=que, hoi=hoi, mien=mien)


def sell(shop, lines, payments, key="k1", user=None, **extra):
    data = dict(till_id=shop["till"].id, lines=lines, payments=payments, **extra)
    return sales.record_sale(shop["session"], shop["booth"], user or shop["cashier"], sales.Checkout.of(**data), key)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_cash_sale_takes_stock_out_and_gives_change(shop):
    s = shop["session"]
    result = sell(shop, [dict(product_id=shop["que"].id, qty=2), dict(product_id=shop["mien"].id, qty=1)],
                  [dict(method="cash", tendered_vnd=300000)])
    sale = result.sale
    assert (sale.subtotal_vnd, sale.total_vnd, sale.change_vnd) == (250000, 250000, 50000)
    assert sale.receipt_no == "X20-B07-T1-000001"
    assert stock.on_hand(s, shop["booth"].id)[shop["que"].id] == 8
    assert [m.qty for m in sale.movements] == [-2, -1]
    assert not result.is_replay


def test_receipt_numbers_are_gap_free_per_till(shop):
    numbers = [sell(shop, [dict(product_id=shop["mien"].id, qty=1)], [dict(method="cash", tendered_vnd=60000)],
                    key=f"k{i}").sale.receipt_no for i in range(3)]
    assert numbers == ["X20-B07-T1-000001", "X20-B07-T1-000002", "X20-B07-T1-000003"]


def test_the_same_key_and_content_return_the_same_sale(shop):
    s = shop["session"]
    args = ([dict(product_id=shop["que"].id, qty=1)], [dict(method="cash", tendered_vnd=100000)])
    first = sell(shop, *args, key="double-click")
    again = sell(shop, *args, key="double-click")
    assert again.is_replay and again.sale.id == first.sale.id
    assert count(s, Sale) == 1 and stock.on_hand(s, shop["booth"].id)[shop["que"].id] == 9


def test_the_same_key_with_other_content_is_refused(shop):
    sell(shop, [dict(product_id=shop["que"].id, qty=1)], [dict(method="cash", tendered_vnd=100000)], key="k")
    with pytest.raises(IdempotencyConflict):
        sell(shop, [dict(product_id=shop["que"].id, qty=2)], [dict(method="cash", tendered_vnd=200000)], key="k")


def test_a_missing_idempotency_key_is_refused(shop):
    with pytest.raises(InvalidInput) as err:
        sell(shop, [dict(product_id=shop["que"].id, qty=1)], [dict(method="cash", tendered_vnd=100000)], key="")
    assert err.value.field == "Idempotency-Key"


def test_underpayment_is_refused_saying_how_much_is_missing(shop):
    s = shop["session"]
    with pytest.raises(Underpaid) as err:
        sell(shop, [dict(product_id=shop["que"].id, qty=1)], [dict(method="cash", tendered_vnd=50000)])
    assert "45.000 ₫" in str(err.value)
    s.rollback()
    assert count(s, Sale) == 0 and count(s, Payment) == 0


def test_the_last_unit_cannot_be_sold_twice_when_the_booth_blocks_negative_stock(shop):
    sell(shop, [dict(product_id=shop["hoi"].id, qty=1)], [dict(method="cash", tendered_vnd=110000)], key="a")
    with pytest.raises(OutOfStock) as err:
        sell(shop, [dict(product_id=shop["hoi"].id, qty=1)], [dict(method="cash", tendered_vnd=110000)], key="b")
    assert "Tinh dầu hồi" in str(err.value)


def test_a_booth_that_allows_negative_stock_records_the_sale_and_flags_it(shop):
    shop["booth"].allow_negative_stock = True
    result = sell(shop, [dict(product_id=shop["hoi"].id, qty=3)], [dict(method="cash", tendered_vnd=330000)])
    assert result.sale.went_below_zero
    assert stock.on_hand(shop["session"], shop["booth"].id)[shop["hoi"].id] == -2


def test_an_order_discount_is_allocated_to_the_lines_to_the_dong(shop):
    # 100.001 đ off 95.000 + 110.000 + 3 × 60.000 = 385.000 (26 %): over the cashier's limit, the manager sells.
    result = sell(shop, [dict(product_id=shop["que"].id, qty=1), dict(product_id=shop["hoi"].id, qty=1),
                         dict(product_id=shop["mien"].id, qty=3)],
                  [dict(method="cash", tendered_vnd=300000)], user=shop["manager"], order_discount_vnd=100001)
    sale = result.sale
    assert sum(ln.order_discount_vnd for ln in sale.lines) == 100001
    assert sum(ln.net_vnd for ln in sale.lines) == sale.total_vnd == 284999
    assert [ln.order_discount_vnd for ln in sale.lines] == [24675, 28572, 46754]
    assert sale.discount_approved_by_id == shop["manager"].id


def test_a_discount_over_the_cashiers_limit_needs_a_managers_pin(shop):
    lines = [dict(product_id=shop["que"].id, qty=2)]  # 190.000; the limit is 10 % = 19.000
    pay = [dict(method="cash", tendered_vnd=200000)]
    assert sell(shop, lines, pay, key="ok", order_discount_vnd=19000).sale.discount_vnd == 19000
    with pytest.raises(DiscountOverLimit):
        sell(shop, lines, pay, key="no-pin", order_discount_vnd=19001)
    with pytest.raises(WrongPin):
        sell(shop, lines, pay, key="bad-pin", order_discount_vnd=19001, manager_pin="0000")
    sale = sell(shop, lines, pay, key="pin", order_discount_vnd=30000, manager_pin="2468").sale
    assert sale.discount_approved_by_id == shop["manager"].id and sale.total_vnd == 160000


def test_a_split_payment_takes_cash_for_what_the_transfer_leaves(shop):
    result = sell(shop, [dict(product_id=shop["que"].id, qty=2)],
                  [dict(method="transfer", amount_vnd=100000), dict(method="cash", tendered_vnd=100000)], key="split")
    transfer, cash = result.sale.payments
    assert (transfer.amount_vnd, cash.amount_vnd, cash.change_vnd) == (100000, 90000, 10000)
    ref = sales.transfer_reference(shop["booth"], shop["till"], "split")
    assert transfer.reference == ref and ref.isalnum() and len(ref) <= 25
    fields = vietqr.parse_payload(transfer.qr_payload)
    assert fields["54"] == "100000" and ref in fields["62"]["08"]


def test_the_qr_shown_before_paying_carries_the_reference_the_sale_records(shop):
    qr = sales.vietqr_for_checkout(shop["session"], shop["booth"], shop["till"], 95000, "key-123")
    sale = sell(shop, [dict(product_id=shop["que"].id, qty=1)], [dict(method="transfer", amount_vnd=95000)],
                key="key-123").sale
    assert sale.payments[0].reference == qr["reference"] and sale.payments[0].qr_payload == qr["payload"]
    with pytest.raises(InvalidInput):
        sales.vietqr_for_checkout(shop["session"], shop["booth"], shop["till"], 0, "key-124")


@pytest.mark.parametrize("lines, field", [
    ([], "lines"), ([dict(product_id=1, qty=0)], "lines[0].qty"), ([dict(product_id=1, qty=-2)], "lines[0].qty"),
    ([dict(product_id="abc", qty=1)], "lines[0].product_id"),
])
def test_bad_lines_are_refused_naming_the_field(shop, lines, field):
    with pytest.raises(InvalidInput) as err:
        sell(shop, lines, [dict(method="cash", tendered_vnd=100000)])
    assert err.value.field == field


def test_an_unknown_product_is_refused_and_nothing_is_written(shop):
    s = shop["session"]
    with pytest.raises(UnknownProduct):
        sell(shop, [dict(product_id=shop["que"].id, qty=1), dict(product_id=9999, qty=1)],
             [dict(method="cash", tendered_vnd=500000)])
    s.rollback()
    assert count(s, Sale) == 0 and count(s, SaleLine) == 0
    assert count(s, StockMovement) == 3  # only the three receipt lines
    assert shop["till"].last_number == 0


@pytest.mark.parametrize("qty", [1.5, 1.0, "1", True])
def test_a_quantity_that_is_not_a_true_int_is_refused_whoever_built_the_checkout(shop, qty):
    s = shop["session"]
    with pytest.raises(InvalidInput) as err:
        sell(shop, [dict(product_id=shop["que"].id, qty=qty)], [dict(method="cash", tendered_vnd=500000)])
    assert err.value.field == "lines[0].qty"
    s.rollback()
    assert count(s, Sale) == 0 and stock.on_hand(s, shop["booth"].id)[shop["que"].id] == 10


def test_a_tendered_amount_given_as_a_float_is_refused(shop):
    with pytest.raises(InvalidInput) as err:
        sell(shop, [dict(product_id=shop["que"].id, qty=1)], [dict(method="cash", tendered_vnd=100000.0)])
    assert err.value.field == "payments[0].tendered_vnd"


def test_best_sellers_lead_with_what_sold_most(shop):
    sell(shop, [dict(product_id=shop["mien"].id, qty=5)], [dict(method="cash", tendered_vnd=300000)], key="a")
    sell(shop, [dict(product_id=shop["que"].id, qty=1)], [dict(method="cash", tendered_vnd=95000)], key="b")
    top = [p.name for p, _ in sales.best_sellers(shop["session"], shop["booth"], limit=3)]
    assert top[:2] == ["Miến dong 500g", "Tinh dầu quế"]
