"""Producers and products through the pages and the API."""
from tests.conftest import login


def _product_form(producer_id, **over):
    data = dict(producer_id=producer_id, name="Mật ong rừng Bình Liêu 500ml", unit="chai", price_vnd="250.000",
                ocop_stars="3", category="Mật ong", barcodes="8936123452018", stamp_code="BL-MO-500")
    data.update(over)
    return data


def test_a_manager_adds_a_product_with_its_barcodes_and_price_in_dong(client, world):
    world.user("manager", username="quanly")
    pid = world.producer("Hộ ông Hoàng Văn Lục")
    login(client, "quanly")
    response = client.post("/products/new", data=_product_form(pid, barcodes="8936123452018, BL0001"))
    assert response.status_code == 302
    page = client.get("/products?q=mat+ong").get_data(as_text=True)
    assert "Mật ong rừng Bình Liêu 500ml" in page and "250.000 ₫" in page and "8936123452018, BL0001" in page


def test_a_duplicate_barcode_is_refused_naming_the_other_product(client, world):
    world.user("manager", username="quanly")
    world.product(name="Tinh dầu quế 10ml", barcode="8936123450014")
    pid = world.producer("HTX Miến dong Đồng Tâm")
    login(client, "quanly")
    response = client.post("/products/new", data=_product_form(pid, name="Miến dong 500g", barcodes="8936123450014",
                                                                  stamp_code=""))
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "8936123450014" in text and "Tinh dầu quế 10ml" in text
    assert "Miến dong 500g" in text  # what was typed is kept in the form
    assert "Miến dong 500g" not in client.get("/products").get_data(as_text=True).split("<tbody>")[1]


def test_a_barcode_with_a_wrong_ean13_check_digit_is_refused_naming_the_right_digit(client, world):
    world.user("manager", username="quanly")
    pid = world.producer("Hộ ông Hoàng Văn Lục")
    login(client, "quanly")
    response = client.post("/products/new", data=_product_form(pid, barcodes="8936123452015"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "8936123452015" in text and "phải là 8" in text
    assert "Mật ong rừng" not in client.get("/products").get_data(as_text=True).split("<tbody>")[1]
    # A shop's own code of letters, or of another length, is not an EAN-13 and is kept as typed.
    assert client.post("/products/new", data=_product_form(pid, barcodes="BL0001, 123456")).status_code == 302


def test_negative_and_absurd_prices_are_refused(client, world):
    world.user("manager", username="quanly")
    pid = world.producer()
    login(client, "quanly")
    for price in ("-5000", "abc", "500.000.000"):
        response = client.post("/products/new", data=_product_form(pid, price_vnd=price))
        assert response.status_code == 422, price
        assert 'class="field has-error"' in response.get_data(as_text=True)


def test_search_ignores_diacritics_including_d_with_stroke(client, world):
    world.user("cashier", username="thungan")
    world.product(name="Mật ong rừng")
    world.product(name="Dầu sở Bình Liêu")
    world.product(name="Miến dong Bình Liêu")
    login(client, "thungan")
    for typed, expected in (("mat ong", "Mật ong rừng"), ("dau so", "Dầu sở Bình Liêu"), ("MIEN DONG", "Miến dong Bình Liêu")):
        names = [p["name"] for p in client.get(f"/api/v1/products?q={typed}").json["products"]]
        assert names == [expected], typed


def test_search_finds_products_by_producer_name(client, world):
    world.user("cashier", username="thungan")
    tl = world.producer("HTX Thảo mộc Tuệ Lâm")
    world.product(name="Tinh dầu hồi", producer_id=tl)
    world.product(name="Miến dong", producer_id=world.producer("HTX Đồng Tâm"))
    login(client, "thungan")
    assert [p["name"] for p in client.get("/api/v1/products?q=tue lam").json["products"]] == ["Tinh dầu hồi"]


def test_a_barcode_or_a_stamp_url_finds_the_product(client, world):
    world.user("cashier", username="thungan")
    world.product(name="Miến dong 500g", barcode="8936123451011", stamp_code="BL-MD-500")
    login(client, "thungan")
    assert client.get("/api/v1/products/by-code", query_string={"code": "8936123451011"}).json["name"] == "Miến dong 500g"
    found = client.get("/api/v1/products/by-code", query_string={"code": "https://tem.example.vn/truy-xuat?code=BL-MD-500"}).json
    assert found["name"] == "Miến dong 500g" and "BL-MD-500" in found["scanned_stamp_code"]
    missing = client.get("/api/v1/products/by-code", query_string={"code": "0000000"})
    assert missing.status_code == 404 and "0000000" in missing.json["message"]


def test_producer_kinds_and_places_are_kept(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = client.post("/producers/new", data=dict(name="Hộ bà Vi Thị Sáu", kind="household", province="Quảng Ninh",
                                                       district="Bình Liêu", commune="Vô Ngại", phone="0912 000 111"))
    assert response.status_code == 302
    page = client.get("/producers").get_data(as_text=True)
    assert "Hộ bà Vi Thị Sáu" in page and "Vô Ngại" in page and "Hộ sản xuất" in page
    bad = client.post("/producers/new", data=dict(name="X", kind="alien"))
    assert bad.status_code == 422
