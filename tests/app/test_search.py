"""Search as you type over a big catalogue: a page at a time, in Vietnamese order, with barcodes and stock."""
import pytest

from pos.db import unit_of_work
from pos.extensions import db
from pos.text import fold, sort_column_key, vi_sorted
from tests.conftest import login

NAMES = ["Mật ong rừng", "Miến dong", "Măng khô", "Mắm tôm", "Me chua", "Mứt gừng", "Mơ ngâm", "Mộc nhĩ",
         "Trà hoa vàng", "Dầu sở", "Ba kích tím", "Mì gạo"]


@pytest.fixture
def catalogue_of_many(app, world):
    from pos.services import catalogue

    producer_id = world.producer()
    world.user("cashier", username="thungan")
    with app.app_context(), unit_of_work(db.session) as s:
        for i in range(130):
            name = f"{NAMES[i % len(NAMES)]} {i // len(NAMES)}"
            catalogue.save_product(s, dict(producer_id=producer_id, name=name, unit="gói", price_vnd=10_000 + i,
                                           barcodes=[f"BL{i:05d}"], stamp_code=f"BL-TEM-{i:04d}"))
    return producer_id


def test_a_search_answers_one_page_in_vietnamese_order_and_the_next_pages_follow(client, catalogue_of_many):
    login(client, "thungan")
    shown, offset, pages = [], 0, 0
    while offset is not None:
        page = client.get(f"/api/v1/products?q=m&offset={offset}").json
        assert len(page["products"]) <= 50
        shown += [p["name"] for p in page["products"]]
        offset, pages = page["next_offset"], pages + 1
        assert page["has_more"] == (offset is not None)
    every = [f"{NAMES[i % len(NAMES)]} {i // len(NAMES)}" for i in range(130)]
    matching = [n for n in every if "m" in fold(n + " HTX Thảo mộc Tuệ Lâm")]
    assert pages == 3 and shown == vi_sorted(matching)


def test_each_product_shown_carries_its_barcodes_and_stock(client, world, catalogue_of_many):
    login(client, "thungan")
    first = client.get("/api/v1/products?q=dau so&limit=5").json
    assert [p["name"] for p in first["products"]] == vi_sorted([f"Dầu sở {k}" for k in range(11)])[:5]
    pid = first["products"][0]["id"]
    world.receive(catalogue_of_many, {pid: 7})
    again = client.get("/api/v1/products?q=dau so&limit=5").json["products"][0]
    assert again["id"] == pid and again["on_hand"] == 7 and again["barcodes"][0].startswith("BL")


def test_a_page_size_out_of_range_is_refused_clearly(client, catalogue_of_many):
    login(client, "thungan")
    response = client.get("/api/v1/products?limit=0")
    assert response.status_code == 422 and response.json["field"] == "limit"


def test_a_renamed_product_moves_to_its_new_place_in_the_order(app, client, catalogue_of_many):
    from pos.models import Product
    from pos.services import catalogue

    login(client, "thungan")
    with app.app_context(), unit_of_work(db.session) as s:
        product = s.query(Product).filter_by(name="Trà hoa vàng 3").one()
        catalogue.save_product(s, dict(producer_id=product.producer_id, name="Ấm trà hoa vàng", unit="gói",
                                       price_vnd=product.price_vnd, barcodes=product.barcode_list), product)
        assert product.sort_key == sort_column_key("Ấm trà hoa vàng")
    names = [p["name"] for p in client.get("/api/v1/products?q=tra hoa&limit=3").json["products"]]
    assert names[0] == "Ấm trà hoa vàng"  # ấ sorts before t, whatever the id


def test_a_stamp_url_finds_its_product_among_many_stamped_ones(client, catalogue_of_many):
    login(client, "thungan")
    url = "https://truyxuat.binhlieu.vn/truy-xuat?code=BL-TEM-0077&lang=vi"
    found = client.get("/api/v1/products/by-code", query_string={"code": url}).json
    assert found["name"] == f"{NAMES[77 % len(NAMES)]} {77 // len(NAMES)}" and found["scanned_stamp_code"] == url


def test_the_upgrade_gives_products_already_held_their_place_in_the_order(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from pos import MIGRATIONS_DIR, create_app
    from pos.config import TestConfig

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    names = ["Mật ong rừng", "Ấm trà", "Miến dong", "an toàn", "Ba kích"]
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="5d1e7a2c9b40")  # the schema before product.sort_key
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO producer (id, name, kind, province, district, commune, phone, bank_account, "
                              "search_key, is_active, uuid) "
                              "VALUES (1, 'HTX Thảo mộc Tuệ Lâm', 'htx', '', '', '', '', '', 'htx thao moc tue lam', 1, "
                              "'00000000-0000-4000-8000-000000000001')"))
            for i, name in enumerate(names, start=1):
                conn.execute(text("INSERT INTO product (id, producer_id, name, unit, price_vnd, category, is_active, "
                                  "search_key, uuid) VALUES (:id, 1, :name, 'chai', 1000, '', 1, :key, :uuid)"),
                             dict(id=i, name=name, key=fold(name), uuid=f"00000000-0000-4000-8000-{i:012d}"))
        upgrade(directory=MIGRATIONS_DIR)
        from pos.services import catalogue

        found = [p.name for p in catalogue.search_products(db.session, "", limit=10)]
        db.session.remove()
        db.engine.dispose()
    assert found == vi_sorted(names)
