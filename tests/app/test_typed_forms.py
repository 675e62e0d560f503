"""Numbers typed in the HTML forms: what a Vietnamese user types is read exactly; what could mean two
numbers ("1.5", "2.0") is refused on the form with a message, and nothing is written."""
import re

import pytest

from pos.extensions import db
from pos.models import Booth, Product
from tests.conftest import login


@pytest.fixture
def manager(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    return client


def _product_form(producer_id, **over):
    return dict(dict(producer_id=producer_id, name="Mật ong rừng Bình Liêu 500ml", unit="chai", price_vnd="250.000",
                     ocop_stars="3", category="Mật ong", barcodes="", stamp_code=""), **over)


def _price_of(app, name):
    with app.app_context():
        product = db.session.query(Product).filter_by(name=name).first()
        return product.price_vnd if product else None


def test_a_product_price_of_1_5_is_refused_on_the_form_and_nothing_is_saved(app, manager, world):
    pid = world.producer("Hộ ông Hoàng Văn Lục")
    for typed in ("1.5", "1,5", "12.50", "1.250,00", "120.000.5"):
        response = manager.post("/products/new", data=_product_form(pid, price_vnd=typed))
        assert response.status_code == 422, typed
        page = response.get_data(as_text=True)
        assert f"Số tiền “{typed}” không rõ" in page, typed
        assert re.search(r'class="field has-error">\s*<span>Giá bán', page), typed
        assert f'value="{typed}"' in page  # what was typed stays in the form to correct
    assert _price_of(app, "Mật ong rừng Bình Liêu 500ml") is None


@pytest.mark.parametrize("typed, dong", [("125.000", 125_000), ("1,250,000", 1_250_000), ("95000", 95_000),
                                         ("120.000 ₫", 120_000), ("120.000đ", 120_000)])
def test_a_product_price_typed_the_vietnamese_way_is_stored_in_dong(app, manager, world, typed, dong):
    pid = world.producer("Hộ ông Hoàng Văn Lục")
    assert manager.post("/products/new", data=_product_form(pid, price_vnd=typed)).status_code == 302
    assert _price_of(app, "Mật ong rừng Bình Liêu 500ml") == dong


def test_a_received_quantity_of_2_0_is_refused_and_nothing_is_received(manager, world):
    tl = world.producer("HTX Thảo mộc Tuệ Lâm")
    que = world.product(name="Tinh dầu quế", producer_id=tl)
    for typed in ("2.0", "1.5", "2,0"):
        response = manager.post(f"/stock/receive?producer_id={tl}", data={f"qty-{que}": typed})
        assert response.status_code == 422, typed
        assert "không rõ: phải là số nguyên" in response.get_data(as_text=True)
    assert world.on_hand(que) == 0
    assert manager.post(f"/stock/receive?producer_id={tl}", data={f"qty-{que}": "1.000"}).status_code == 302
    assert world.on_hand(que) == 1000


def test_a_count_of_2_5_is_refused_on_the_count_page(manager, world):
    que = world.product(stock=3)
    response = manager.post("/stock/count", data={f"qty-{que}": "2.5"})
    assert response.status_code == 422
    assert world.on_hand(que) == 3


def test_shift_cash_refuses_fractions_and_reads_grouped_dong(app, manager, world):
    from pos.models import Till

    with app.app_context():
        t1 = db.session.query(Till).filter_by(code="T1").one().id
    shift = manager.get(f"/api/v1/shifts/current?till_id={t1}").json
    bad = manager.post(f"/shifts/{shift['id']}/cash", data={"kind": "in", "amount_vnd": "50.5", "reason": "Mua tiền lẻ"})
    assert bad.status_code == 422 and "“50.5” không rõ" in bad.get_data(as_text=True)
    ok = manager.post(f"/shifts/{shift['id']}/cash", data={"kind": "in", "amount_vnd": "200,000", "reason": "Mua tiền lẻ"})
    assert ok.status_code == 302
    assert manager.get(f"/api/v1/shifts/{shift['id']}/x-report").json["cash_in_vnd"] == 200_000
    count = manager.post(f"/shifts/{shift['id']}/close", data={"count-500000": "2.0", "action": "close"})
    assert count.status_code == 422 and "không rõ: phải là số nguyên" in count.get_data(as_text=True)
    assert manager.get(f"/api/v1/shifts/{shift['id']}").json["closed_at"] is None


def test_booth_settings_keep_a_decimal_rate_and_refuse_a_fractional_stock_level(app, manager, world):
    form = dict(code="B07", name="Gian hàng Bình Liêu", cashier_discount_limit_percent="2,5", low_stock_qty="2.5")
    refused = manager.post("/setup/booth", data=form)
    assert refused.status_code == 422 and "không rõ" in refused.get_data(as_text=True)
    assert manager.post("/setup/booth", data=dict(form, low_stock_qty="3")).status_code == 302
    with app.app_context():
        booth = db.session.query(Booth).one()
        assert (booth.cashier_discount_limit_bp, booth.low_stock_qty) == (250, 3)
    garbage = manager.post("/setup/booth", data=dict(form, cashier_discount_limit_percent="1e2", low_stock_qty="3"))
    assert garbage.status_code == 422 and "Tỷ lệ phần trăm không hợp lệ" in garbage.get_data(as_text=True)


def test_a_malformed_till_id_on_the_tills_form_is_a_404_not_a_crash(manager):
    assert manager.post("/setup/tills", data=dict(till_id="1.5", code="T9", name="Quầy 9")).status_code == 404


def test_label_forms_refuse_malformed_numbers_with_a_message(client, world):
    world.user("organiser", username="btc")
    world.product(barcode="")
    login(client, "btc")
    assert client.post("/reports/labels", data={"product_id": "1.5"}).status_code == 422
    sheet = client.get("/reports/labels/sheet?copies-1=%C2%B2", follow_redirects=True)  # "²" is not a count
    assert sheet.status_code == 200 and "Số tem phải là số nguyên" in sheet.get_data(as_text=True)


def test_drill_down_filters_refuse_odd_digits_and_ids_past_64_bits(client, world):
    world.user("organiser", username="btc")
    login(client, "btc")
    for query in ("product_id=%C2%B2", "hour=%C2%B9", "booth_id=99999999999999999999999"):
        response = client.get(f"/reports/dashboard/sales?{query}")
        assert response.status_code == 422, query


def test_superscript_digits_in_query_strings_are_no_crash(client, world):
    tl = world.producer("HTX Thảo mộc Tuệ Lâm")
    world.user("producer", username="tuelam", producer_id=tl)
    world.user("cashier", username="thungan")
    login(client, "tuelam")
    assert client.get("/portal?fair_id=%C2%B2").status_code < 500
    client.post("/logout")
    login(client, "thungan")
    response = client.get("/sell/on-hand?ids=1,%C2%B2")
    assert response.status_code == 200 and "²" not in response.get_data(as_text=True)
