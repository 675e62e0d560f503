"""Demo data modelled on Bình Liêu's booth at "Hội chợ OCOP Quảng Ninh – Xuân 2020".

The demo lives in its own database (instance/demo.sqlite) so a real booth never
starts with these known passwords.
"""
from __future__ import annotations

from datetime import date

from ..models import Product
from . import booths, catalogue, demo_sales, shifts, stock, users

DEMO_PASSWORD = "demo1234"
DEMO_PIN = "1234"  # the manager's
ORGANISER_PIN = "9876"  # a PIN belongs to one person: the organiser has her own

PRODUCERS = [
    dict(key="tuelam", name="HTX Thảo mộc Tuệ Lâm", kind="htx", province="Quảng Ninh", district="Bình Liêu",
         commune="Thị trấn Bình Liêu", phone="0203 3878 123", bank_account="Agribank 8002 2050 12345"),
    dict(key="miendong", name="HTX Miến dong Đồng Tâm", kind="htx", province="Quảng Ninh", district="Bình Liêu",
         commune="Đồng Tâm", phone="0912 345 678", bank_account="Vietcombank 0141 0003 45678"),
    dict(key="matong", name="Hộ ông Hoàng Văn Lục (mật ong rừng)", kind="household", province="Quảng Ninh",
         district="Bình Liêu", commune="Húc Động", phone="0987 654 321", bank_account=""),
    dict(key="dauso", name="HTX Dầu sở Lục Hồn", kind="htx", province="Quảng Ninh", district="Bình Liêu",
         commune="Lục Hồn", phone="0388 112 233", bank_account="BIDV 4451 0000 99887", commission_percent="8"),
]

# (producer key, name, unit, price, stars, category, barcode, stamp code, stock received)
PRODUCTS = [
    ("tuelam", "Tinh dầu quế Tuệ Lâm 10ml", "lọ", 95_000, 4, "Tinh dầu", "8936123450014", "TL-QUE-10", 40),
    ("tuelam", "Tinh dầu hồi Tuệ Lâm 10ml", "lọ", 110_000, 4, "Tinh dầu", "8936123450021", "TL-HOI-10", 30),
    ("tuelam", "Tinh dầu bưởi Tuệ Lâm 10ml", "lọ", 85_000, 3, "Tinh dầu", "8936123450038", "TL-BUOI-10", 35),
    ("tuelam", "Tinh dầu sả Tuệ Lâm 10ml", "lọ", 75_000, 3, "Tinh dầu", "8936123450045", "TL-SA-10", 35),
    ("tuelam", "Tinh bột nghệ Tuệ Lâm", "hũ", 150_000, 3, "Tinh dầu", "8936123450052", "TL-NGHE-200", 20),
    ("tuelam", "Tinh dầu nhu Tuệ Lâm 10ml", "lọ", 120_000, 3, "Tinh dầu", "8936123450069", None, 4),
    ("miendong", "Miến dong Bình Liêu 500g", "gói", 60_000, 4, "Đặc sản khô", "8936123451011", "BL-MD-500", 80),
    ("miendong", "Miến dong Bình Liêu 1kg", "gói", 110_000, 4, "Đặc sản khô", "8936123451028", "BL-MD-1000", 50),
    ("matong", "Mật ong rừng Bình Liêu 500ml", "chai", 250_000, 3, "Mật ong", "8936123452018", "BL-MO-500", 24),
    ("matong", "Mật ong bạc hà 250ml", "chai", 140_000, None, "Mật ong", "8936123452025", None, 3),
    ("dauso", "Dầu sở Bình Liêu 500ml", "chai", 180_000, 3, "Dầu ăn", "8936123453015", "BL-DS-500", 30),
    ("dauso", "Dầu sở Bình Liêu 1 lít", "chai", 340_000, 3, "Dầu ăn", "8936123453022", "BL-DS-1000", 12),
]

USERS = [
    dict(username="btc", full_name="Nguyễn Thị Hương (Ban tổ chức)", role="organiser", pin=ORGANISER_PIN),
    dict(username="quanly", full_name="Lý Văn Sáng", role="manager", pin=DEMO_PIN),
    dict(username="thungan", full_name="Hoàng Thị Mai", role="cashier"),
    dict(username="tuelam", full_name="Đỗ Đức Uyên (HTX Thảo mộc Tuệ Lâm)", role="producer", producer="tuelam"),
]


def load_demo(session) -> dict:
    """Fill an empty database with the demo booth. Returns the logins to print."""
    booths.init_database(session, is_demo=True)
    booths.save_fair(session, dict(code="H19", name="Hội chợ OCOP Quảng Ninh – Hè 2019", location="Hạ Long, Quảng Ninh",
                                   starts_on=date(2019, 6, 14), ends_on=date(2019, 6, 18), commission_percent="10"))
    fair = booths.save_fair(session, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020",
                                          location="Cung Quy hoạch, Hội chợ và Triển lãm Quảng Ninh, Hạ Long",
                                          starts_on=date(2020, 1, 10), ends_on=date(2020, 1, 20), commission_percent="10"))
    booth = booths.save_booth(session, dict(
        fair_id=fair.id, code="B07", name="Gian hàng OCOP huyện Bình Liêu", bank_bin="970405",
        bank_account="8002205012345", bank_account_name="HTX THAO MOC TUE LAM",
        cashier_discount_limit_percent="10", low_stock_qty="5",
        receipt_footer="Cảm ơn quý khách! Sản phẩm OCOP Bình Liêu – Quảng Ninh",
        # The slip's header: who sells (the cooperative that runs the booth and holds its account).
        organisation="HTX Thảo mộc Tuệ Lâm", address="Khu Bình Công 1, TT. Bình Liêu, Quảng Ninh",
        phone="0203 3878 123", tax_code="5701234567",
    ))
    booths.make_this_booth(session, booth)
    booths.save_till(session, booth, dict(code="T1", name="Quầy 1 (máy tính)"))
    booths.save_till(session, booth, dict(code="T2", name="Quầy 2 (điện thoại)"))

    producers = {}
    for p in PRODUCERS:
        data = {k: val for k, val in p.items() if k != "key"}
        producers[p["key"]] = catalogue.save_producer(session, data)

    logins = []
    for u in USERS:
        data = dict(u, password=DEMO_PASSWORD)
        if "producer" in data:
            data["producer_id"] = producers[data.pop("producer")].id
        user = users.save_user(session, data, booth_id=booth.id)
        logins.append((user.username, user.role_label, DEMO_PASSWORD, u.get("pin")))
    manager = next(u for u in users.list_users(session) if u.role == "manager")

    received: dict[str, list] = {}
    for key, name, unit, price, stars, category, barcode, stamp_code, qty in PRODUCTS:
        product = catalogue.save_product(session, dict(
            producer_id=producers[key].id, name=name, unit=unit, price_vnd=price, ocop_stars=stars,
            category=category, barcodes=[barcode], stamp_code=stamp_code,
        ))
        received.setdefault(key, []).append(dict(product_id=product.id, qty=qty))
    for key, lines in received.items():
        stock.record_document(session, booth, manager, stock.NewDocument.of(
            "receive", producer_id=producers[key].id, lines=lines, reason="Nhập hàng đầu hội chợ"))
    # The fair's earlier days and the 2019 fair, so reports, settlements and comparisons have figures;
    # their shifts are closed as they were each evening.
    demo_sales.load_demo_sales(session, booth)
    demo_sales.close_open_shifts(session, booth, manager, "Đóng ca hôm trước")
    _top_up(session, booth, manager, received)
    # Today each till starts with a shift open (1.000.000 ₫ float), so the demo can sell at once.
    for till in booths.active_tills(session, booth):
        shifts.open_shift(session, booth, manager, shifts.NewShift(till.id, opening_float_vnd=1_000_000))
    return dict(booth=booth, logins=logins)


def _top_up(session, booth, manager, received: dict[str, list]) -> None:
    """A morning delivery that brings every product back to its opening stock, so today can sell."""
    levels = stock.on_hand(session, booth.id)
    for key, lines in received.items():
        missing = [dict(product_id=ln["product_id"], qty=ln["qty"] - levels.get(ln["product_id"], 0))
                   for ln in lines if levels.get(ln["product_id"], 0) < ln["qty"]]
        if missing:
            producer_id = session.get(Product, missing[0]["product_id"]).producer_id
            stock.record_document(session, booth, manager, stock.NewDocument.of(
                "receive", producer_id=producer_id, lines=missing, reason="Nhập bổ sung sáng nay"))
