"""The settlement statement on the receipt printer: the bytes the printer gets carry every product and the
statement's figures, exactly as the ledger gives them, two signature spaces, and fit the paper.

Judged by the independent ESC/POS reader of support.py, on the Fairground of the statement's own tests.
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from pos.money import percent_of
from pos.printing import PrinterSettings, slip_to_bytes
from pos.printing.charsets import display_width
from pos.printing.layout import slip_from_json, slip_to_json
from pos.services import catalogue, stock
from pos.services.reporting import settlement
from tests.unit.test_settlement import Fairground, _independent

from .support import raster_rows, read_stream

TCVN3_PAGES = {30: "tcvn3_lower", 31: "tcvn3_upper"}
LONG_NAME = "Rượu ba kích tím Bình Liêu ngâm theo công thức truyền thống của người Dao Thanh Phán 500ml"
PRINTED_AT = datetime(2020, 1, 20, 10, 30)  # UTC: 17:30 in Vietnam


@pytest.fixture
def ground(session):
    g = Fairground(session).history()
    # A product whose name needs several lines even on 80 mm paper.
    g.products["ruou"] = catalogue.save_product(session, dict(producer_id=g.tuelam.id, name=LONG_NAME, unit="chai",
                                                              price_vnd=450_000))
    g.receive(g.b07, g.tuelam, ruou=6)
    g.sell(g.b07, datetime(2020, 1, 12, 3, 0), [("ruou", 2)], order_discount=1_001)
    session.commit()
    return g


def printed(st, paper_mm=58, **settings) -> list[str]:
    """The lines a TCVN-3 printer prints for the statement's slip."""
    config = PrinterSettings(mode="codepage", codepage="tcvn3", paper_mm=paper_mm, **settings)
    data = slip_to_bytes(settlement.build_statement_slip(st, PRINTED_AT), config)
    return read_stream(data, TCVN3_PAGES).lines()


def figure(lines: list[str], label: str, start: int = 0) -> int:
    """The amount printed on the first line from start that begins with label ("120.000 đ" -> 120000)."""
    for line in lines[start:]:
        if line.strip().startswith(label):
            found = re.search(r"(-?[\d.]+) đ$", line)
            assert found, line
            return int(found.group(1).replace(".", ""))
    raise AssertionError(f"{label!r} not printed")


def block(lines: list[str], number: int) -> list[str]:
    """The lines of the statement's product number n: from its numbered name to the next rule."""
    first = next(i for i, line in enumerate(lines) if line.startswith(f"{number}. "))
    last = next(i for i in range(first, len(lines)) if set(lines[i]) == {"-"})
    return lines[first:last]


@pytest.mark.parametrize("producer", ["tuelam", "miendong", "dauso"])
def test_the_printed_totals_are_the_statements_own_and_the_ledgers(ground, producer):
    s = ground.s
    producer_id = getattr(ground, producer).id
    st = settlement.statement(s, ground.b07, producer_id)
    lines = printed(st)
    gross, discount, voided, refunded = _independent(s, ground.b07.id, producer_id)
    net = gross - discount - voided - refunded
    commission = percent_of(net, st.commission_bp)
    totals = lines.index("=" * 32)
    assert figure(lines, "Doanh số gộp", totals) == st.gross_vnd == gross
    assert figure(lines, "Trừ giảm giá", totals) == st.discount_vnd == discount
    assert figure(lines, "Trừ đơn bị hủy", totals) == st.voided_vnd == voided
    assert figure(lines, "Trừ tiền trả lại khách", totals) == st.refunded_vnd == refunded
    assert figure(lines, "Doanh thu thuần", totals) == st.net_vnd == net
    rate = "8" if producer == "dauso" else "10"  # Dầu sở has its own rate, the others the fair's
    assert figure(lines, f"Hoa hồng ({rate} %)", totals) == st.commission_vnd == commission
    assert figure(lines, "Số tiền trả chủ thể", totals) == st.payable_vnd == net - commission
    assert f"Chủ thể: {st.producer.name}" in lines


def test_each_product_prints_its_units_and_net_sales(ground):
    st = settlement.statement(ground.s, ground.b07, ground.miendong.id)
    (mien,) = st.lines
    lines = block(printed(st), 1)

    def units(label):
        return next(line.split()[-1] for line in lines if line.strip().startswith(label))

    assert (units("Nhận"), units("Bán"), units("Khách trả lại"), units("Hỏng")) == ("100", "8", "2", "2")
    assert (units("Trả chủ thể"), units("Điều chỉnh kiểm kê"), units("Tồn cuối")) == ("50", "+1", str(mien.on_hand))
    assert any(re.search(rf"Sổ sách / thực đếm +{mien.expected_at_count} / {mien.counted_qty}$", x) for x in lines)
    assert figure(lines, "Giá bán") == 60_000
    assert figure(lines, "Trả tiền khách") == mien.refunded_vnd
    assert figure(lines, "Doanh thu thuần") == mien.net_vnd
    # Nothing was voided or sampled: those rows are left out, not printed as zero.
    assert not any(x.strip().startswith(("Hủy đơn", "Dùng thử", "Đơn hủy")) for x in lines)


def test_names_wrap_to_the_paper_and_each_products_net_sales_add_up_to_the_total(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tuelam.id)
    lines = printed(st)
    assert len(st.lines) == 3
    for number, ln in enumerate(st.lines, 1):
        product = block(lines, number)
        name_lines = product[:next(i for i, x in enumerate(product) if x.startswith("  Giá bán"))]
        assert " ".join(x.strip() for x in name_lines) == f"{number}. {ln.name} ({ln.unit})"
        assert (len(name_lines) > 2) if ln.name == LONG_NAME else (len(name_lines) == 1)
        assert figure(product, "Doanh thu thuần") == ln.net_vnd
    assert sum(figure(block(lines, n), "Doanh thu thuần") for n in (1, 2, 3)) == st.net_vnd


@pytest.mark.parametrize("paper_mm, extra, columns", [(58, {}, 32), (80, {"columns_80": 42}, 42), (80, {}, 48)])
def test_no_printed_line_is_wider_than_the_paper(ground, paper_mm, extra, columns):
    for producer in (ground.tuelam, ground.miendong, ground.dauso):
        st = settlement.statement(ground.s, ground.b07, producer.id)
        lines = printed(st, paper_mm, **extra)
        too_wide = [x for x in lines if display_width(x) > columns]
        assert too_wide == []
        assert "-" * columns in lines and "=" * columns in lines  # rules span the whole paper


def test_the_slip_ends_with_two_signature_spaces_and_the_time_printed(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tuelam.id)
    lines = printed(st)
    tail = lines[lines.index("=" * 32):]
    producer_at = next(i for i, x in enumerate(tail) if x.strip() == "Đại diện chủ thể")
    booth_at = next(i for i, x in enumerate(tail) if x.strip() == "Trưởng gian hàng")
    assert producer_at < booth_at
    for at in (producer_at, booth_at):
        assert tail[at + 1].strip() == "(Ký, ghi rõ họ tên)"
        assert tail[at + 2:at + 5] == ["", "", ""]  # room to sign
        assert tail[at + 5] == "." * 32  # the line to sign on
    assert re.match(r"In lúc +20/01/2020 17:30$", next(x for x in tail if x.startswith("In lúc")))
    assert "10/01/2020 - 20/01/2020" in [x.strip() for x in lines]  # the fair's dates (no en dash in TCVN-3)
    assert lines[0].strip() == "BẢNG QUYẾT TOÁN HÀNG KÝ GỬI"


def test_a_disagreement_between_ledger_and_sales_is_printed_not_hidden(ground):
    st = settlement.statement(ground.s, ground.b07, ground.dauso.id)
    st.problems.append("Dầu sở 500ml: sổ kho ghi bán 3, các đơn hàng ghi 2")
    text = " ".join(x.strip() for x in printed(st))
    assert "Sổ kho và đơn hàng chưa khớp:" in text and "sổ kho ghi bán 3, các đơn hàng ghi 2" in text


def test_a_producer_with_nothing_at_the_booth_gets_a_statement_of_zeros(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tienyen.id)
    lines = printed(st)
    assert "Chủ thể chưa có hàng hay doanh thu nào ở gian hàng này." in " ".join(x.strip() for x in lines)
    assert figure(lines, "Số tiền trả chủ thể") == 0


def test_the_slip_survives_the_print_queues_json_and_prints_as_an_image(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tuelam.id)
    slip = settlement.build_statement_slip(st, PRINTED_AT)
    assert slip_from_json(slip_to_json(slip)) == slip
    stream = read_stream(slip_to_bytes(slip, PrinterSettings(mode="image", paper_mm=58)))
    width, rows = raster_rows(stream)
    assert width * 8 == 384 and len(rows) > width * 1000  # a long slip, drawn dot for dot


def test_receipt_printer_statements_are_recorded_as_printed_for_signature(ground):
    from pos.services.reporting import closing

    config = PrinterSettings(mode="codepage", url="tcp://127.0.0.1:9100")
    jobs = closing.queue_statement_slips(ground.s, ground.b07, ground.manager,
                                         [ground.tuelam.id, ground.miendong.id], config)
    assert [j.kind for j in jobs] == ["report", "report"]
    state = closing.closing_state(ground.s, ground.b07)
    printed_for = {p.statement.producer.id for p in state.statements if p.printed_at}
    assert printed_for == {ground.tuelam.id, ground.miendong.id}
    assert closing.queue_statement_slips(ground.s, ground.b07, ground.manager, [ground.dauso.id],
                                         PrinterSettings()) == []
