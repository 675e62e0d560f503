"""The stock ledger, on a bare SQLAlchemy session (no Flask app)."""
import pytest
from sqlalchemy import func, select

from pos.errors import InvalidInput, OutOfStock, UnknownProduct
from pos.models import StockDocument, StockMovement
from pos.services import booths, catalogue, stock, users


@pytest.fixture
def shop(session):
    booths.init_database(session)
    fair = booths.save_fair(session, dict(code="X20", name="Xuân 2020"))
    booth = booths.save_booth(session, dict(fair_id=fair.id, code="B07", name="Bình Liêu", low_stock_qty="5"))
    booths.make_this_booth(session, booth)
    manager = users.save_user(session, dict(username="quanly", full_name="Quản lý", role="manager", password="matkhau123"))
    tuelam = catalogue.save_producer(session, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx"))
    mien = catalogue.save_producer(session, dict(name="HTX Miến dong Đồng Tâm", kind="htx"))
    que = catalogue.save_product(session, dict(producer_id=tuelam.id, name="Tinh dầu quế", unit="lọ", price_vnd=95000))
    hoi = catalogue.save_product(session, dict(producer_id=tuelam.id, name="Tinh dầu hồi", unit="lọ", price_vnd=110000))
    md = catalogue.save_product(session, dict(producer_id=mien.id, name="Miến dong 500g", unit="gói", price_vnd=60000))
    session.commit()
    return dict(booth=booth, manager=manager, tuelam=tuelam, mien=mien, que=que, hoi=hoi, md=md, session=session)


def _receive(shop, producer, lines):
    return stock.record_document(shop["session"], shop["booth"], shop["manager"], stock.NewDocument.of("receive",
                                 producer_id=producer.id, lines=[dict(product_id=p.id, qty=q) for p, q in lines]))


def test_on_hand_is_the_sum_of_the_movements(shop):
    s = shop["session"]
    _receive(shop, shop["tuelam"], [(shop["que"], 10), (shop["hoi"], 4)])
    stock.record_document(s, shop["booth"], shop["manager"], stock.NewDocument.of("sample",
                          reason="Mở cho khách thử", lines=[dict(product_id=shop["que"].id, qty=1)]))
    levels = stock.on_hand(s, shop["booth"].id)
    assert levels == {shop["que"].id: 9, shop["hoi"].id: 4}
    ledger_sum = s.scalar(select(func.sum(StockMovement.qty)).where(StockMovement.product_id == shop["que"].id))
    assert ledger_sum == 9


def test_stock_is_grouped_by_producer_with_low_stock_flagged(shop):
    _receive(shop, shop["tuelam"], [(shop["que"], 10), (shop["hoi"], 4)])
    _receive(shop, shop["mien"], [(shop["md"], 30)])
    groups = stock.stock_by_producer(shop["session"], shop["booth"])
    assert [g.producer.name for g in groups] == ["HTX Miến dong Đồng Tâm", "HTX Thảo mộc Tuệ Lâm"]
    tuelam = groups[1]
    assert [(r.product.name, r.on_hand, r.is_low) for r in tuelam.rows] == [
        ("Tinh dầu hồi", 4, True), ("Tinh dầu quế", 10, False)]
    assert tuelam.total_units == 14
    assert tuelam.value_vnd == 10 * 95000 + 4 * 110000


def test_a_return_of_more_than_is_on_hand_is_refused_and_writes_nothing(shop):
    s = shop["session"]
    _receive(shop, shop["tuelam"], [(shop["que"], 3)])
    s.commit()
    before = s.scalar(select(func.count()).select_from(StockMovement))
    with pytest.raises(OutOfStock):
        stock.record_document(s, shop["booth"], shop["manager"], stock.NewDocument.of("return",
                              producer_id=shop["tuelam"].id, lines=[dict(product_id=shop["que"].id, qty=4)]))
    s.rollback()
    assert s.scalar(select(func.count()).select_from(StockMovement)) == before
    assert s.scalar(select(func.count()).select_from(StockDocument).where(StockDocument.kind == "return")) == 0


def test_a_receipt_takes_only_the_named_producers_products(shop):
    with pytest.raises(InvalidInput):
        _receive(shop, shop["tuelam"], [(shop["md"], 5)])


def test_a_count_writes_the_difference_as_an_adjustment(shop):
    s = shop["session"]
    _receive(shop, shop["tuelam"], [(shop["que"], 10)])
    doc = stock.record_count(s, shop["booth"], shop["manager"],
                             stock.NewDocument.of("count", lines=[dict(product_id=shop["que"].id, qty=7), dict(product_id=shop["hoi"].id, qty=2)]))
    moves = {m.product_id: m for m in doc.movements}
    assert (moves[shop["que"].id].qty, moves[shop["que"].id].counted_qty, moves[shop["que"].id].expected_qty) == (-3, 7, 10)
    assert moves[shop["hoi"].id].qty == 2
    assert stock.on_hand(s, shop["booth"].id) == {shop["que"].id: 7, shop["hoi"].id: 2}
    assert doc.number == "KK-000001"


def test_a_count_of_minus_three_is_refused(shop):
    with pytest.raises(InvalidInput) as err:
        stock.record_count(shop["session"], shop["booth"], shop["manager"],
                           stock.NewDocument.of("count", lines=[dict(product_id=shop["que"].id, qty=-3)]))
    assert err.value.field == "lines[0].qty"


def test_samples_and_damage_need_a_reason(shop):
    _receive(shop, shop["tuelam"], [(shop["que"], 10)])
    with pytest.raises(InvalidInput) as err:
        stock.record_document(shop["session"], shop["booth"], shop["manager"], stock.NewDocument.of("damage",
                              reason=" ", lines=[dict(product_id=shop["que"].id, qty=1)]))
    assert err.value.field == "reason"


def test_unknown_products_and_zero_quantities_are_refused(shop):
    with pytest.raises(UnknownProduct):
        _receive(shop, shop["tuelam"], [(type("P", (), {"id": 999})(), 1)])
    with pytest.raises(InvalidInput):
        _receive(shop, shop["tuelam"], [(shop["que"], 0)])


def test_every_movement_carries_a_uuid_and_a_gap_free_sequence(shop):
    s = shop["session"]
    _receive(shop, shop["tuelam"], [(shop["que"], 10), (shop["hoi"], 4)])
    _receive(shop, shop["mien"], [(shop["md"], 3)])
    seqs = sorted([d.origin_seq for d in s.scalars(select(StockDocument))] +
                  [m.origin_seq for m in s.scalars(select(StockMovement))])
    assert seqs == list(range(1, 6))
    uuids = {m.uuid for m in s.scalars(select(StockMovement))}
    assert len(uuids) == 3


def test_document_numbers_run_per_kind(shop):
    a = _receive(shop, shop["tuelam"], [(shop["que"], 10)])
    b = _receive(shop, shop["mien"], [(shop["md"], 3)])
    c = stock.record_document(shop["session"], shop["booth"], shop["manager"], stock.NewDocument.of("return",
                              producer_id=shop["tuelam"].id, lines=[dict(product_id=shop["que"].id, qty=1)]))
    assert (a.number, b.number, c.number) == ("PN-000001", "PN-000002", "PT-000001")


def test_history_shows_the_running_balance(shop):
    s = shop["session"]
    _receive(shop, shop["tuelam"], [(shop["que"], 10)])
    stock.record_document(s, shop["booth"], shop["manager"], stock.NewDocument.of("sample",
                          reason="thử", lines=[dict(product_id=shop["que"].id, qty=2)]))
    rows = stock.movement_history(s, shop["booth"], shop["que"].id)
    assert [(m.kind, m.qty, running) for m, running in rows] == [("receive", 10, 10), ("sample", -2, 8)]
