"""Bank statements as Vietnamese banks export them, read and matched to transfer payments (no Flask app).

The files are generated here in the shapes the banks' exports take (an account block,
then a bilingual header row, then the transactions, then totals); see the presets in
pos/services/bank_statements.py for where those shapes come from.
"""
import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from pos.models import Payment
from pos.models.bank import BankCredit, BankStatement
from pos.services import bank_statements as bank
from pos.services import booths, catalogue, sales, shifts, stock, users


@pytest.fixture
def shop(session):
    booths.init_database(session)
    fair = booths.save_fair(session, dict(code="X20", name="Xuân 2020"))
    booth = booths.save_booth(session, dict(fair_id=fair.id, code="B07", name="Bình Liêu", bank_bin="970436",
                                            bank_account="0141000345678"))
    booths.make_this_booth(session, booth)
    till = booths.save_till(session, booth, dict(code="T1", name="Quầy 1"))
    manager = users.save_user(session, dict(username="quanly", full_name="QL", role="manager", password="matkhau123"))
    cashier = users.save_user(session, dict(username="thungan", full_name="TN", role="cashier", password="matkhau123"))
    shifts.open_shift(session, booth, cashier, shifts.NewShift(till_id=till.id))
    tl = catalogue.save_producer(session, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx"))
    mat_ong = catalogue.save_product(session, dict(producer_id=tl.id, name="Mật ong rừng", unit="chai", price_vnd=250000))
    stock.record_document(session, booth, manager, stock.NewDocument.of("receive", producer_id=tl.id, lines=[
        dict(product_id=mat_ong.id, qty=100)]))
    session.commit()
    return dict(session=session, booth=booth, till=till, manager=manager, cashier=cashier, product=mat_ong)


def transfer_sale(shop, key, qty=1):
    """A sale paid by bank transfer; returns its reference (what the VietQR message carries) and amount."""
    amount = 250000 * qty
    result = sales.record_sale(shop["session"], shop["booth"], shop["cashier"], sales.Checkout.of(
        till_id=shop["till"].id, lines=[dict(product_id=shop["product"].id, qty=qty)],
        payments=[dict(method="transfer", amount_vnd=amount)]), key)
    shop["session"].commit()
    return result.sale.payments[0].reference, amount, result.sale.receipt_no


def import_statement(session, booth, user, *, filename, data, **options):
    """As the pages do it: read and check the file first (no database), then store it."""
    return bank.import_statement(session, booth, user, bank.read_statement(filename, data, **options))


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def vcb_statement(credits, *, debits=()):
    """Vietcombank's account statement (Excel): account block, bilingual header, rows, totals."""
    rows = [["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"], ["SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT"],
            ["Số tài khoản/Account number:", "0141000345678"], ["Loại tiền/Currency:", "VND"],
            ["Từ/ From: 10/01/2020 Đến/ To: 20/01/2020"], [],
            ["STT\nNo.", "Ngày GD/\nTNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/\nDebit", "Số tiền ghi có/\nCredit",
             "Số dư/\nBalance", "Nội dung chi tiết/\nTransactions in detail"]]
    for n, (day, amount, text) in enumerate(credits, start=1):
        rows.append([n, day, f"5243.{65937 + n}", "", amount, "12.000.000", text])
    for day, amount, text in debits:
        rows.append([len(rows), day, "9920.28", amount, "", "11.000.000", text])
    rows += [[], ["Tổng số/ Total", "", "", "1.000.000", "9.999.999", "", ""], ["Số dư cuối kỳ/ Ending balance", "12.000.000"]]
    return xlsx(rows)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


# --- reading the cells ----------------------------------------------------------------


@pytest.mark.parametrize("cell, amount", [
    ("1.250.000", 1250000), ("1,250,000", 1250000), ("1,250,000.00", 1250000), ("1.250.000,00", 1250000),
    ("+1.250.000", 1250000), ("-50.000", -50000), ("(150,000)", -150000), ("1.250.000 VND", 1250000),
    (1250000.0, 1250000), (95000, 95000), ("250", 250), ("", None), (None, None), ("-", None),
])
def test_amounts_are_read_as_vietnamese_banks_write_them(cell, amount):
    assert bank.parse_amount_cell(cell) == amount


@pytest.mark.parametrize("cell", ["một triệu", "12,5", "1.25.000", "abc", 12.5,
                                  "1.250,000", "1,250.000", "1.000,000,00"])  # two kinds of group separator
def test_an_amount_in_words_or_with_fractions_is_not_a_number_of_dong(cell):
    with pytest.raises(bank._BadAmount):
        bank.parse_amount_cell(cell)


@pytest.mark.parametrize("cell, day", [
    ("31/10/2023", date(2023, 10, 31)), ("31/10/2023\n5243.65937", date(2023, 10, 31)),
    ("1/2/2020 14:05:01", date(2020, 2, 1)), ("2020-01-20", date(2020, 1, 20)), ("20-01-2020", date(2020, 1, 20)),
    (datetime(2020, 1, 20, 9, 30), date(2020, 1, 20)), ("Transaction Date", None), ("31/02/2020", None),
])
def test_statement_dates_are_read_day_first(cell, day):
    assert bank.parse_date_cell(cell) == day


# --- matching ------------------------------------------------------------------------


def test_credits_of_a_vietcombank_statement_are_matched_by_reference_and_amount_whatever_the_bank_added(shop):
    s = shop["session"]
    ref1, amount1, receipt1 = transfer_sale(shop, "k1")
    ref2, amount2, receipt2 = transfer_sale(shop, "k2", qty=2)
    ref3, amount3, _ = transfer_sale(shop, "k3")
    mangled = ref2[:3].lower() + "-" + ref2[3:5].lower() + " " + ref2[5:].lower()
    data = vcb_statement([
        ("15/01/2020", "250.000", f"MBVCB.4525077405.{ref1}.CT tu 0351000646393 NGUYEN THE HUNG toi 0141000345678"),
        ("15/01/2020", "500.000", f"IBFT {mangled} Thanh toan"),
        ("16/01/2020", "250.000", "CT DEN:0123456789 chuyen tien mua mat ong"),  # no reference: for follow-up
    ], debits=[("16/01/2020", "50.000", "Phi SMS Banking")])
    result = import_statement(s, shop["booth"], shop["manager"], filename="SaoKe_VCB.xlsx", data=data,
                                   bank="vietcombank")
    s.commit()
    assert (result.new, result.repeated, result.matched) == (3, 0, 2)
    assert result.statement.debits_skipped == 1
    matched = {c.payment.sale.receipt_no: c.amount_vnd for c in s.scalars(select(BankCredit).where(
        BankCredit.payment_id.is_not(None)))}
    assert matched == {receipt1: 250000, receipt2: 500000}
    rec = bank.reconciliation(s, shop["booth"])
    assert [r.credit.description for r in rec.unmatched_credits] == ["CT DEN:0123456789 chuyen tien mua mat ong"]
    assert [p.reference for p in rec.unmatched_payments] == [ref3]
    assert rec.unmatched_payments_vnd == amount3 and rec.matched_vnd == amount1 + amount2


def test_a_credit_with_the_reference_but_another_amount_is_not_matched_and_says_why(shop):
    s = shop["session"]
    ref, _, receipt = transfer_sale(shop, "k1")
    data = vcb_statement([("15/01/2020", "200.000", f"{ref} chuyen thieu")])
    assert import_statement(s, shop["booth"], shop["manager"], filename="a.xlsx", data=data).matched == 0
    rec = bank.reconciliation(s, shop["booth"])
    assert receipt in rec.unmatched_credits[0].hint and "250.000 ₫" in rec.unmatched_credits[0].hint
    assert len(rec.unmatched_payments) == 1


def test_importing_the_same_statement_twice_adds_nothing_and_an_overlapping_one_only_its_new_lines(shop):
    s = shop["session"]
    ref1, _, _ = transfer_sale(shop, "k1")
    ref2, _, _ = transfer_sale(shop, "k2")
    day1 = [("15/01/2020", "250.000", f"MBVCB.1.{ref1}"), ("15/01/2020", "90.000", "chuyen tien"),
            ("15/01/2020", "90.000", "chuyen tien")]  # two identical transfers on one day are two credits
    # One file imported twice (built once: openpyxl stamps the second it was written into the file).
    day1_file = vcb_statement(day1)
    first = import_statement(s, shop["booth"], shop["manager"], filename="d1.xlsx", data=day1_file)
    s.commit()
    again = import_statement(s, shop["booth"], shop["manager"], filename="d1-copy.xlsx", data=day1_file)
    assert again.already_imported and again.statement.id == first.statement.id
    # The next day's export repeats yesterday's lines (a bank exports "the last 7 days").
    both = import_statement(s, shop["booth"], shop["manager"], filename="d1-d2.xlsx",
                                 data=vcb_statement(day1 + [("16/01/2020", "250.000", f"IBFT {ref2}")]))
    s.commit()
    assert (first.new, both.new, both.repeated, both.matched) == (3, 1, 3, 1)
    assert count(s, BankCredit) == 4 and count(s, BankStatement) == 2
    assert s.scalar(select(func.count()).select_from(BankCredit).where(BankCredit.payment_id.is_not(None))) == 2


def test_a_techcombank_export_with_its_header_far_down_and_comma_amounts_is_read(shop):
    s = shop["session"]
    ref, amount, receipt = transfer_sale(shop, "k1")
    rows = [["TECHCOMBANK"], ["SAO KÊ TÀI KHOẢN"]] + [[f"Thông tin tài khoản dòng {i}"] for i in range(30)]
    rows += [["Ngày giao dịch/ Transaction Date", "Đối tác/ Remitter", "NH Đối tác/ Remitter Bank",
              "Diễn giải/ Details", "Số bút toán/ Transaction No", "Nợ/ Debit", "Có/ Credit", "Số dư/ Balance"],
             ["20/01/2020", "NGUYEN VAN A", "VIETCOMBANK", f"{ref} FT20020123456", "FT20020123456", "", "250,000",
              "2,978,361"],
             ["20/01/2020", "PVOIL", "PVCOMBANK", "TT xang dau", "FT20020999", "52,000", "", "2,926,361"],
             ["", "", "", "Tổng cộng", "", "52,000", "250,000", ""]]
    result = import_statement(s, shop["booth"], shop["manager"], filename="SaoKeTK_20012020.xlsx", data=xlsx(rows),
                                   bank="techcombank")
    assert (result.new, result.matched, result.statement.debits_skipped) == (1, 1, 1)
    credit = s.scalars(select(BankCredit)).one()
    assert (credit.row_number, credit.bank_reference, credit.amount_vnd) == (34, "FT20020123456", amount)
    assert credit.payment.sale.receipt_no == receipt


def test_a_bidv_csv_with_one_signed_amount_column_is_read_with_auto_mapping(shop):
    s = shop["session"]
    ref, amount, _ = transfer_sale(shop, "k1")
    text = ("BIDV - SAO KE TAI KHOAN\n"
            "So tai khoan;12510000123456\n"
            "STT;Ngày hiệu lực;Ngày giao dịch;Số tham chiếu;Số tiền;Số dư;Mô tả\n"
            f"1;20/01/2020;20/01/2020 10:15:02;0012ABC;+250.000;1.250.000;{ref.lower()} chuyen khoan\n"
            "2;20/01/2020;20/01/2020 11:00:00;0013ABD;-20.000;1.230.000;Phi quan ly tai khoan\n")
    result = import_statement(s, shop["booth"], shop["manager"], filename="bidv.csv",
                                   data=b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert (result.new, result.matched, result.statement.debits_skipped) == (1, 1, 1)
    assert result.statement.bank == "auto"
    assert s.scalars(select(BankCredit)).one().amount_vnd == amount


def test_a_vietcombank_cell_holding_the_date_and_the_document_number_gives_both(shop):
    s = shop["session"]
    rows = [["SAO KÊ"], ["STT\nNo.", "Ngày1/\nTNX Date/ Số CT/ Doc No", "Số tiền ghi nợ/\nDebit",
                         "Số tiền ghi có/\nCredit", "Số dư/\nBalance", "Nội dung chi tiết/\nTransactions in detail"],
            [1, "31/10/2023\n5243.65937", "", "99,000", "52,547", "MBVCB.4525077405.9P0019630833 CT tu 0351000646393"]]
    import_statement(s, shop["booth"], shop["manager"], filename="vcb.xlsx", data=xlsx(rows), bank="vietcombank")
    credit = s.scalars(select(BankCredit)).one()
    assert (credit.tx_date, credit.bank_reference, credit.amount_vnd) == (date(2023, 10, 31), "5243.65937", 99000)


def test_a_custom_mapping_names_the_columns_by_their_header_text(shop):
    s = shop["session"]
    ref, _, _ = transfer_sale(shop, "k1")
    data = ("Thoi gian,Tien vao,Tien ra,Ghi chu\n"
            f"20/01/2020,250000,,{ref}\n").encode()
    with pytest.raises(bank.InvalidInput) as missing:
        import_statement(s, shop["booth"], shop["manager"], filename="x.csv", data=data, bank="custom",
                              mapping_data={"col_date": "Thoi gian", "col_description": "Ghi chu"})
    assert missing.value.field == "col_credit"
    result = import_statement(s, shop["booth"], shop["manager"], filename="x.csv", data=data, bank="custom",
                                   mapping_data={"col_date": "thời gian", "col_credit": "Tiền vào",
                                                 "col_description": "ghi chú"})
    assert (result.new, result.matched) == (1, 1)


# --- bad files -------------------------------------------------------------------------


def test_a_statement_with_a_text_amount_is_refused_whole_naming_each_bad_row(shop):
    s = shop["session"]
    data = vcb_statement([("15/01/2020", "250.000", "ok"), ("15/01/2020", "hai trăm nghìn", "chu"),
                          ("32/01/2020", "90.000", "ngay sai")])
    with pytest.raises(bank.StatementRejected) as err:
        import_statement(s, shop["booth"], shop["manager"], filename="bad.xlsx", data=data)
    assert err.value.problems == ["Dòng 9: số tiền ghi có “hai trăm nghìn” không phải số tiền",
                                  "Dòng 10: ngày giao dịch “32/01/2020” không đọc được (cần dd/mm/yyyy)"]
    assert "2 dòng" in err.value.text
    s.rollback()
    assert count(s, BankCredit) == 0 and count(s, BankStatement) == 0


def test_a_file_without_the_needed_columns_names_the_missing_ones(shop):
    data = xlsx([["Ngày", "Số tiền ghi có", "Số dư"], ["20/01/2020", "250.000", "1"]])
    with pytest.raises(bank.InvalidInput) as err:
        import_statement(shop["session"], shop["booth"], shop["manager"], filename="x.xlsx", data=data)
    assert err.value.field == "bank" and "nội dung" in err.value.text


@pytest.mark.parametrize("filename, data, words", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xlsx"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "hỏng"),
    ("saoke.pdf", b"%PDF-1.4", "PDF"),
    ("empty.csv", b"", "rỗng"),
])
def test_files_that_are_not_statements_are_refused_with_what_to_do(shop, filename, data, words):
    with pytest.raises(bank.InvalidInput) as err:
        import_statement(shop["session"], shop["booth"], shop["manager"], filename=filename, data=data)
    assert err.value.field == "file" and words in err.value.text


def test_a_credit_matched_by_hand_needs_a_reason_and_can_be_undone(shop):
    s = shop["session"]
    ref, _, receipt = transfer_sale(shop, "k1")
    import_statement(s, shop["booth"], shop["manager"], filename="a.xlsx",
                          data=vcb_statement([("15/01/2020", "250.000", "khach ghi nham noi dung")]))
    credit = s.scalars(select(BankCredit)).one()
    payment = s.scalars(select(Payment).where(Payment.reference == ref)).one()
    with pytest.raises(bank.InvalidInput) as err:
        bank.match_by_hand(s, shop["booth"], shop["manager"], credit.id, payment.id, "")
    assert err.value.field == "note"
    bank.match_by_hand(s, shop["booth"], shop["manager"], credit.id, payment.id, "Khách gọi điện xác nhận")
    assert credit.payment.sale.receipt_no == receipt and credit.matched_by_id == shop["manager"].id
    assert bank.reconciliation(s, shop["booth"]).unmatched_payments == []
    bank.unmatch(s, shop["booth"], shop["manager"], credit.id, "Nhầm đơn")
    assert credit.payment_id is None and len(bank.reconciliation(s, shop["booth"]).unmatched_payments) == 1
