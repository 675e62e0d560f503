"""The dashboard, its drill-down, fair comparison and the daily report, on a known dataset.

Every total is checked against sums computed here, straight from the tables with
plain SQL, never through the service under test.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from pos.errors import InvalidInput
from pos.services.reporting import reports, settlement
from tests.unit.test_settlement import Fairground, any_session  # noqa: F401  (fixture)


@pytest.fixture
def ground(session):
    return Fairground(session).history()


def _sql(s, query, **params):
    return s.execute(text(query), params).all()


def _independent_totals(s, fair_id):
    """Revenue, units and transactions of a fair from the tables: non-voided lines less refunds."""
    net, units = _sql(s, """
        SELECT COALESCE(SUM(sl.net_vnd), 0), COALESCE(SUM(sl.qty), 0)
        FROM sale_line sl JOIN sale s ON s.id = sl.sale_id JOIN booth b ON b.id = s.booth_id
        WHERE b.fair_id = :f AND NOT EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id)""", f=fair_id)[0]
    r_amount, r_units = _sql(s, """
        SELECT COALESCE(SUM(rl.amount_vnd), 0), COALESCE(SUM(rl.qty), 0)
        FROM refund_line rl JOIN sale_line sl ON sl.id = rl.sale_line_id JOIN booth b ON b.id = sl.booth_id
        WHERE b.fair_id = :f""", f=fair_id)[0]
    tx = _sql(s, """SELECT COUNT(*) FROM sale s JOIN booth b ON b.id = s.booth_id
                    WHERE b.fair_id = :f AND NOT EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id)""",
              f=fair_id)[0][0]
    return int(net) - int(r_amount), int(units) - int(r_units), int(tx)


def test_the_fairs_revenue_units_and_transactions_equal_sums_from_the_tables(ground):
    for fair in (ground.x20, ground.h19):
        board = reports.dashboard(ground.s, fair)
        revenue, units, tx = _independent_totals(ground.s, fair.id)
        assert (board.revenue_vnd, board.units, board.transactions) == (revenue, units, tx)
        assert board.average_basket_vnd == (2 * revenue + tx) // (2 * tx)
        assert board.revenue_vnd == board.gross_vnd - board.discount_vnd - board.refunded_vnd


def test_the_xuan_2020_figures_are_the_ones_a_calculator_gives(ground):
    board = reports.dashboard(ground.s, ground.x20)
    s2_refund = ground.s2.lines[1].net_vnd // 2  # one of the two jars of dầu sở, at its net price
    s4_refund = ground.s4.lines[0].net_vnd * 2 // 5
    expected = (ground.s1.total_vnd + ground.s2.total_vnd + ground.s3.total_vnd + ground.s4.total_vnd
                + ground.s6.total_vnd + ground.s7.total_vnd - s2_refund - s4_refund)
    assert board.revenue_vnd == expected
    assert board.transactions == 6  # s5 was voided
    assert board.units == (5 + 3 + 3 + 6 + 3 + 1) - 1 - 2
    assert board.voided_count == 1
    # Taking part: every producer whose goods were received at the fair's two booths.
    assert (board.producers_count, board.products_count) == (4, 5)
    assert board.booths_count == 2


def test_every_breakdown_adds_up_to_the_fair_total(ground):
    board = reports.dashboard(ground.s, ground.x20)
    for name, rows in board.breakdowns.items():
        assert sum(r.revenue_vnd for r in rows) == board.revenue_vnd, name
        assert sum(r.units for r in rows) == board.units, name
        if name in ("booth", "day", "hour"):
            assert sum(r.transactions or 0 for r in rows) == board.transactions, name
    assert sum(r.share_bp for r in board.breakdowns["producer"]) == pytest.approx(10000, abs=4)


def test_sales_are_grouped_by_day_and_hour_in_vietnam_time(ground):
    board = reports.dashboard(ground.s, ground.x20)
    days = {r.key: r for r in board.days}
    # s3 was rung up at 17:30 UTC on 10/01: that is 00:30 on 11/01 in Vietnam.
    assert set(days) == {"2020-01-10", "2020-01-11", "2020-01-12"}
    assert days["2020-01-10"].transactions == 2  # s1 (09:15) and s2 (16:40)
    assert days["2020-01-11"].transactions == 3  # s3 (00:30), s4 (10:05), s6 (11:00); s5 voided
    hours = {int(r.key): r for r in board.hours}
    assert hours[0].transactions == 1 and hours[9].transactions == 1 and hours[16].transactions == 1
    assert hours[0].revenue_vnd == ground.s3.total_vnd
    # The hour axis has no holes between the first and the last hour with sales.
    assert [int(r.key) for r in board.hours] == list(range(0, 17))
    assert hours[5].revenue_vnd == 0 and hours[5].transactions == 0


def test_each_producers_revenue_on_the_dashboard_equals_its_settlements_net_at_the_fairs_booths(ground):
    board = reports.dashboard(ground.s, ground.x20)
    by_producer = {int(r.key): r.revenue_vnd for r in board.breakdowns["producer"]}
    for producer in (ground.tuelam, ground.miendong, ground.dauso, ground.tienyen):
        net = sum(settlement.statement(ground.s, booth, producer.id).net_vnd for booth in (ground.b07, ground.b08))
        assert by_producer.get(producer.id, 0) == net, producer.name


def test_drilling_into_any_total_lists_sales_that_add_up_to_it(ground):
    board = reports.dashboard(ground.s, ground.x20)
    checked = 0
    for name, rows in board.breakdowns.items():
        for row in rows:
            filters = reports.clean_filters({reports.DIMENSIONS[name]: row.key})
            found = reports.drill(ground.s, ground.x20, filters)
            assert found.revenue_vnd == row.revenue_vnd, (name, row.label)
            assert found.units == row.units, (name, row.label)
            assert sum(x.revenue_vnd for x in found.sales) == row.revenue_vnd, (name, row.label)
            if row.transactions is not None:
                assert found.sales_count == row.transactions, (name, row.label)
            checked += 1
    assert checked > 20


def test_a_drill_down_shows_only_the_matching_lines_of_each_sale(ground):
    found = reports.drill(ground.s, ground.x20, reports.clean_filters({"producer_id": str(ground.miendong.id)}))
    assert {x.name for sale in found.sales for x in sale.lines} == {"Miến dong 500g"}
    assert [sale.receipt_no for sale in found.sales] == [ground.s4.receipt_no, ground.s1.receipt_no]  # newest first
    s4 = found.sales[0]
    assert s4.total_vnd == ground.s4.total_vnd and s4.revenue_vnd < s4.total_vnd  # dầu sở is on the sale too
    assert s4.lines[0].refunded_vnd == ground.s4.lines[0].net_vnd * 2 // 5


def test_communes_with_the_same_name_in_two_districts_stay_apart(ground):
    board = reports.dashboard(ground.s, ground.x20)
    dong_tam = [r for r in board.breakdowns["commune"] if r.label == "Đồng Tâm"]
    assert sorted(r.extra for r in dong_tam) == ["Bình Liêu", "Tiên Yên"]


def test_products_without_stars_or_category_are_grouped_and_can_be_drilled(ground):
    board = reports.dashboard(ground.s, ground.x20)
    stars = {r.key: r for r in board.breakdowns["stars"]}
    assert set(stars) == {"4", "3", "0"}
    assert stars["0"].label == "Chưa xếp hạng"
    category = {r.key: r for r in board.breakdowns["category"]}
    assert category[""].label == "(chưa phân nhóm)"
    found = reports.drill(ground.s, ground.x20, reports.clean_filters({"category": ""}))
    assert {x.name for sale in found.sales for x in sale.lines} == {"Gà đồi Tiên Yên"}


def test_a_date_range_keeps_only_its_vietnam_days(ground):
    board = reports.dashboard(ground.s, ground.x20, start="11/01/2020", end="11/01/2020")
    assert [r.key for r in board.days] == ["2020-01-11"]
    assert board.transactions == 3
    one_booth = reports.dashboard(ground.s, ground.x20, booth_id=ground.b08.id)
    assert one_booth.transactions == 2
    assert [r.label for r in one_booth.breakdowns["booth"]] == ["Gian hàng Tiên Yên"]


@pytest.mark.parametrize("start, end, field, words", [
    ("20/01/2020", "10/01/2020", "end", "trước ngày bắt đầu"),
    ("10/01/1900", "", "start", "không hợp lý"),
    ("", "01/01/2999", "end", "không hợp lý"),
    ("01/01/2020", "31/12/2022", "end", "quá dài"),
    ("31/02/2020", "", "start", "Ngày không hợp lệ"),
    ("hôm qua", "", "start", "Ngày không hợp lệ"),
])
def test_reversed_or_absurd_date_ranges_are_refused_with_a_message(ground, start, end, field, words):
    with pytest.raises(InvalidInput) as info:
        reports.dashboard(ground.s, ground.x20, start=start, end=end)
    assert info.value.field == field and words in info.value.text


def test_bad_drill_down_filters_are_refused_naming_the_field(ground):
    for args, field in (({"hour": "25"}, "hour"), ({"stars": "7"}, "stars"), ({"producer_id": "x"}, "producer_id"),
                        ({"day": "2020-13-01"}, "day")):
        with pytest.raises(InvalidInput) as info:
            reports.clean_filters(args)
        assert info.value.field == field


def test_one_fair_against_another(ground):
    cmp = reports.compare(ground.s, ground.x20, ground.h19)
    metrics = {label: (a, b) for label, a, b, _kind in cmp.metrics}
    h19_revenue, _units, h19_tx = _independent_totals(ground.s, ground.h19.id)
    assert metrics["Doanh thu"] == (reports.dashboard(ground.s, ground.x20).revenue_vnd, h19_revenue)
    assert metrics["Số đơn"] == (6, h19_tx) == (6, 2)
    assert metrics["Chủ thể tham gia"] == (4, 2)
    # Day 1 of each fair: 10/01/2020 and 14/06/2019.
    assert cmp.days[0][0] == 1 and cmp.days[0][2] == ground.h1.total_vnd
    assert cmp.days[1][2] == ground.h2.total_vnd
    producers = {name: (a, b) for name, a, b in cmp.producers}
    assert producers["HTX Dầu sở Lục Hồn"][1] == 0
    assert reports.change_bp(150, 100) == 5000 and reports.change_bp(50, 100) == -5000
    assert reports.change_bp(5, 0) is None


def test_the_producers_own_view_has_only_its_products(ground):
    board = reports.dashboard(ground.s, ground.x20, producer_id=ground.tuelam.id)
    assert {r.label for r in board.breakdowns["product"]} == {"Tinh dầu quế 10ml", "Tinh dầu hồi 10ml"}
    assert board.producers_count == 1 and board.products_count == 2
    # Transactions are the sales that held its products: s1, s2, s3, s6 (s5 voided).
    assert board.transactions == 4
    # The portal's drill-down keeps the producer's lines whatever filter is asked for.
    found = reports.drill(ground.s, ground.x20, {"producer_id": ground.miendong.id}, producer_id=ground.tuelam.id)
    assert {x.name for sale in found.sales for x in sale.lines} <= {"Tinh dầu quế 10ml", "Tinh dầu hồi 10ml"}


def test_the_daily_report_has_money_per_payment_method_and_sales_per_producer(ground):
    report = reports.daily_report(ground.s, ground.b07, date(2020, 1, 11))
    methods = {m.method: m for m in report.methods}
    # 11/01 in Vietnam: s3 by card (00:30), s4 cash (10:05); s5 (cash) voided.
    assert methods["card"].received_vnd == ground.s3.total_vnd
    assert methods["cash"].received_vnd == ground.s4.total_vnd
    assert methods["transfer"].received_vnd == 0
    # Refunds count on the day they were paid: s2's (cash, 09:00 VN on 11/01) and s4's (transfer, 12:00).
    assert methods["cash"].refunded_vnd == ground.s2.lines[1].net_vnd // 2
    assert methods["transfer"].refunded_vnd == ground.s4.lines[0].net_vnd * 2 // 5
    assert report.transactions == 2 and report.voided_count == 1 and report.voided_vnd == ground.s5.total_vnd
    assert report.net_vnd == ground.s3.total_vnd + ground.s4.total_vnd
    assert report.received_vnd == report.net_vnd
    assert sum(r.revenue_vnd for r in report.producers) == report.revenue_vnd == sum(r.revenue_vnd for r in report.products)
    names = [r.name for r in report.producers]
    assert set(names) == {"HTX Thảo mộc Tuệ Lâm", "HTX Miến dong Đồng Tâm", "HTX Dầu sở Lục Hồn"}


def test_the_daily_report_of_a_day_without_sales_is_empty_not_an_error(ground):
    report = reports.daily_report(ground.s, ground.b07, date(2020, 1, 19))
    assert report.transactions == 0 and report.products == [] and report.average_basket_vnd == 0
    assert reports.sale_days(ground.s, ground.b07) == [date(2020, 1, 11), date(2020, 1, 10)]


def test_the_producers_stock_is_listed_per_booth_and_fair(ground):
    found = reports.producer_stock(ground.s, ground.tuelam.id)
    assert [(bs.booth.fair.code, bs.booth.code) for bs in found] == [("X20", "B08"), ("X20", "B07"), ("H19", "B07")]
    b08 = found[0]
    assert [(r.product.name, r.on_hand) for r in b08.rows] == [("Tinh dầu quế 10ml", 9)]


def test_dashboard_and_drill_down_agree_with_the_tables_on_postgresql_too(any_session):  # noqa: F811
    ground = Fairground(any_session).history()
    board = reports.dashboard(any_session, ground.x20)
    assert (board.revenue_vnd, board.units, board.transactions) == _independent_totals(any_session, ground.x20.id)
    hours = {int(r.key): r.transactions for r in board.hours if r.transactions}
    assert hours == {0: 1, 9: 1, 10: 1, 11: 1, 15: 1, 16: 1}
    for row in board.hours:
        if row.transactions:
            found = reports.drill(any_session, ground.x20, reports.clean_filters({"hour": row.key}))
            assert (found.revenue_vnd, found.sales_count) == (row.revenue_vnd, row.transactions)
    assert reports.sale_days(any_session, ground.b07)[0] == date(2020, 1, 11)


def test_a_fair_with_no_sales_gives_zeros(ground):
    from pos.services import booths

    empty = booths.save_fair(ground.s, dict(code="T21", name="Hội chợ Thu 2021"))
    board = reports.dashboard(ground.s, empty)
    assert (board.revenue_vnd, board.transactions, board.average_basket_vnd) == (0, 0, 0)
    assert all(rows == [] for rows in board.breakdowns.values())
    assert reports.drill(ground.s, empty, {}).sales == []
