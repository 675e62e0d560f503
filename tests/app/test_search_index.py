"""The search index on SQLite (FTS5 trigram, product_search): a rare word is looked up, not walked for,
and the answer is the same products in the same Vietnamese order as on PostgreSQL, which walks."""
import pytest

from pos.db import unit_of_work
from pos.extensions import db
from pos.text import fold, vi_sorted
from tests.conftest import World

GOODS = ["Mật ong rừng", "Miến dong", "Măng khô", "Đậu phộng", "Dầu sở", "Trà hoa vàng", "Ba kích tím",
         "Mứt gừng", "Chè Shan tuyết", "Nấm lim xanh"]
PLACES = ["Bình Liêu", "Tiên Yên", "Đầm Hà", "Uông Bí", "Hạ Long", "Vân Đồn"]
PRODUCERS = ["HTX Thảo mộc Tuệ Lâm", "HTX Miến dong Bình Liêu", "Hộ kinh doanh Hoàng Văn Lục"]
QUERIES = ["mien dong", "MIẾN DONG", "đau", "dau", "dau phong dam ha", "mut gung uong", "tue lam",
           "mien dong binh", "uong bi 7", "ba kich tim van", "xyzzy", "ong", "m", "tra hoa vang ha long 11",
           "100%", "a_b", "ha", "lu\"c"]


def build(app, n=240):
    """n products over three producers; returns every (name, producer, active) written."""
    from pos.services import catalogue

    held = []
    with app.app_context(), unit_of_work(db.session) as s:
        producers = [catalogue.save_producer(s, dict(name=name, kind="htx", district="Bình Liêu"))
                     for name in PRODUCERS]
        for i in range(n):
            producer = producers[i % len(producers)]
            name = f"{GOODS[i % len(GOODS)]} {PLACES[(i // len(GOODS)) % len(PLACES)]} {i}"
            active = i % 17 != 5
            catalogue.save_product(s, dict(producer_id=producer.id, name=name, unit="gói", price_vnd=10_000 + i))
            held.append((name, producer.name, active))
        # A new product is always active: some are switched off afterwards, as a manager does.
        from pos.models import Product

        inactive = {name for name, _, active in held if not active}
        for product in s.query(Product).filter(Product.name.in_(inactive)):
            product.is_active = False
    return held


def expected(held, query, active_only=True):
    words = fold(query).split()
    return vi_sorted([name for name, producer, active in held
                      if (active or not active_only) and all(w in fold(f"{name} {producer}") for w in words)])


def test_every_search_gives_the_same_products_in_vietnamese_order_on_sqlite_and_postgresql(any_app, db_url):
    """Both ways of searching: records (the catalogue page) and plain values (the sell screen's search)."""
    from pos.services import catalogue

    held = build(any_app)
    with any_app.app_context():
        for search in (catalogue.search_products, catalogue.search_listing):
            for query in QUERIES:
                for active_only in (True, False):
                    found = [p.name for p in search(db.session, query, active_only=active_only)]
                    assert found == expected(held, query, active_only), (search.__name__, query, active_only)
                # Page by page, the pages add up to the whole answer.
                pages, offset = [], 0
                while True:
                    page = search(db.session, query, limit=7, offset=offset)
                    pages += [p.name for p in page]
                    if len(page) < 7:
                        break
                    offset += 7
                assert pages == expected(held, query), (search.__name__, query)
        # The rare words are answered from the trigram index on SQLite; PostgreSQL has none and walks.
        used = catalogue._indexed_candidates(db.session, fold("dau phong dam ha").split()) is not None
    assert used == db_url.startswith("sqlite")


def test_the_index_follows_renamed_products_and_producers(app):
    from pos.models import Producer, Product
    from pos.services import catalogue

    held = build(app, n=60)
    with app.app_context(), unit_of_work(db.session) as s:
        product = s.query(Product).filter(Product.name.like("Mứt gừng%")).first()
        old_name, product_id = product.name, product.id
        catalogue.save_product(s, dict(producer_id=product.producer_id, name="Rượu mơ Yên Tử", unit="chai",
                                       price_vnd=120_000), product)
        producer = s.query(Producer).filter_by(name="Hộ kinh doanh Hoàng Văn Lục").one()
        catalogue.save_producer(s, dict(name="HTX Sâm Ngọc Linh", kind="htx"), producer)
    with app.app_context():
        assert catalogue._indexed_candidates(db.session, ["ruou", "yen"]) == f"[{product_id}]"  # from the index
        assert [p.name for p in catalogue.search_products(db.session, "ruou mo yen tu")] == ["Rượu mơ Yên Tử"]
        assert old_name not in [p.name for p in catalogue.search_products(db.session, fold(old_name))]
        renamed = [p.name for p in catalogue.search_products(db.session, "sam ngoc linh", active_only=False)]
        assert renamed and catalogue.search_products(db.session, "hoang van luc") == []
        assert sorted(renamed) == sorted(n for n, prod, _ in held if prod.startswith("Hộ kinh doanh"))


def test_the_upgrade_indexes_the_products_already_held(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from pos import MIGRATIONS_DIR, create_app
    from pos.config import TestConfig
    from pos.models.product import has_search_index
    from pos.services import catalogue
    from pos.text import sort_column_key

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    names = [f"{g} {p}" for g in GOODS for p in PLACES]
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="8e1d4b7a2c90")  # the schema before the search index
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO producer (id, name, kind, province, district, commune, phone, bank_account, "
                              "search_key, is_active, uuid) "
                              "VALUES (1, 'HTX Thảo mộc Tuệ Lâm', 'htx', '', '', '', '', '', 'htx thao moc tue lam', 1, "
                              "'00000000-0000-4000-8000-000000000001')"))
            for i, name in enumerate(names, start=1):
                conn.execute(text("INSERT INTO product (id, producer_id, name, unit, price_vnd, category, is_active, "
                                  "search_key, sort_key, uuid) VALUES (:id, 1, :name, 'chai', 1000, '', 1, :key, :sk, "
                                  ":uuid)"),
                             dict(id=i, name=name, key=fold(f"{name} HTX Thảo mộc Tuệ Lâm"), sk=sort_column_key(name),
                                  uuid=f"00000000-0000-4000-8000-{i:012d}"))
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            assert has_search_index(conn)
            indexed = conn.execute(text("SELECT rowid FROM product_search WHERE product_search MATCH '\"dong\"'"
                                        )).scalars().all()
        assert sorted(indexed) == [i for i, n in enumerate(names, start=1) if "dong" in fold(n)]
        assert catalogue._indexed_candidates(db.session, ["uong", "mang"]) is not None
        found = [p.name for p in catalogue.search_products(db.session, "mang kho uong bi")]
        db.session.remove()
        db.engine.dispose()
    assert found == ["Măng khô Uông Bí"]


@pytest.mark.parametrize("query", ["mat ong", "dau phong dam ha 2"])
def test_a_search_through_the_api_pages_the_same_way_with_the_index(client, app, query):
    World(app).user("cashier", username="thungan")
    held = build(app, n=130)
    from tests.conftest import login

    login(client, "thungan")
    shown, offset = [], 0
    while offset is not None:
        page = client.get("/api/v1/products", query_string={"q": query, "offset": offset, "limit": 5}).json
        shown += [p["name"] for p in page["products"]]
        offset = page["next_offset"]
    assert shown == expected(held, query) and shown


def test_the_catalogue_page_shows_a_page_at_a_time_with_a_link_to_the_rest(client, app):
    import re

    World(app).user("manager", username="quanly")
    held = build(app, n=130)
    from tests.conftest import login

    login(client, "quanly")
    shown, url, pages = [], "/products?q=ha", 0
    while url:
        html = client.get(url).get_data(as_text=True)
        rows = re.findall(r'<tr class="[^"]*"><td>([^<]+)</td>', html)
        assert len(rows) <= 50
        shown += rows
        pages += 1
        more = re.search(r'id="more-products" href="([^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    every = expected(held, "ha", active_only=False)
    assert len(every) > 50 and shown == every and pages == (len(every) + 49) // 50
    # A page past the end (an old link) says nothing is there and links back; a page that is no
    # number is the first.
    past = client.get("/products?q=ha&page=999")
    assert past.status_code == 200 and "Không tìm thấy sản phẩm nào." in past.get_data(as_text=True)
    assert "page=998" in past.get_data(as_text=True)
    first = re.findall(r'<tr class="[^"]*"><td>([^<]+)</td>', client.get("/products?q=ha&page=x").get_data(as_text=True))
    assert first == every[:50]


def test_a_hub_on_postgresql_finds_words_through_the_trigram_index(pg_url, tmp_path):
    """At an organiser's hub (PostgreSQL, upgraded by the migrations) "mien dong" finds "Miến dong", and
    the very statement the search sends can be answered from the GIN trigram index of search_key over
    a few thousand products, not only by reading every product."""
    from flask_migrate import upgrade
    from sqlalchemy import event, insert, text

    from pos import MIGRATIONS_DIR, create_app
    from pos.config import TestConfig
    from pos.models import Product
    from pos.models.product import TRIGRAM_INDEX, has_trigram_index
    from pos.services import catalogue
    from pos.text import sort_column_key

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": pg_url})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with unit_of_work(db.session) as s:
            producers = [catalogue.save_producer(s, dict(name=name, kind="htx", district="Bình Liêu"))
                         for name in ("HTX Thảo mộc Tuệ Lâm", "Hộ kinh doanh Hoàng Văn Lục")]
            catalogue.save_product(s, dict(producer_id=producers[0].id, name="Miến dong Bình Liêu", unit="gói",
                                           price_vnd=45_000))
            catalogue.save_product(s, dict(producer_id=producers[1].id, name="Miến gạo Tiên Yên", unit="gói",
                                           price_vnd=30_000))
            # A few thousand others, with the columns save_product derives, none of them miến dong.
            others = [g for g in GOODS if g != "Miến dong"]
            rows = []
            for i in range(4000):
                name = f"{others[i % len(others)]} {PLACES[(i // len(others)) % len(PLACES)]} {i}"
                producer = producers[i % 2]
                rows.append(dict(producer_id=producer.id, name=name, unit="gói", price_vnd=10_000 + i, category="",
                                 is_active=True, search_key=catalogue._product_key(name, producer),
                                 sort_key=sort_column_key(name), uuid=f"00000000-0000-4000-8000-{i:012d}"))
            s.execute(insert(Product), rows)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            assert has_trigram_index(conn)
            # What autovacuum does at a hub soon after a catalogue arrives: the statistics, and the GIN
            # index's pending list (new rows not yet in its main structure) merged.
            conn.execute(text("VACUUM ANALYZE product"))

        sent = []

        def keep(conn, cursor, statement, parameters, context, executemany):
            if "FROM product" in statement and "LIKE" in statement:
                sent.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            found = [p.name for p in catalogue.search_products(db.session, "mien dong", limit=catalogue.PAGE_SIZE)]
            mixed_case = [p.name for p in catalogue.search_products(db.session, "MIẾN dong")]
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert found == ["Miến dong Bình Liêu"] and mixed_case == found
        statement, parameters = sent[0]
        with db.engine.connect() as conn:
            # A planner's choice between the index and a scan depends on sizes; with scans of the whole
            # table priced out, a plan that reads the trigram index shows the statement's shape can use it.
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
        db.session.remove()
        db.engine.dispose()
    assert TRIGRAM_INDEX in plan, plan


def test_a_hub_without_rights_to_add_pg_trgm_is_upgraded_and_searches_without_the_index(
        pg_admin_engine, pg_url, tmp_path):
    """A hub's database user that may make tables but not extensions (no CREATE on the database): the
    upgrade does not fail, it says why there is no trigram index, and the search still works."""
    import logging
    import uuid

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, make_url, text

    from pos import MIGRATIONS_DIR, create_app
    from pos.config import TestConfig
    from pos.models.product import has_trigram_index
    from pos.services import catalogue

    role = f"pos_test_role_{uuid.uuid4().hex[:10]}"
    database = make_url(pg_url).database
    with pg_admin_engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'matkhau'"))
    owner = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:
            conn.execute(text(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC'))
            conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
        url = make_url(pg_url).set(username=role, password="matkhau").render_as_string(hide_password=False)
        app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
        app.instance_path = str(tmp_path / "instance")
        with app.app_context():
            # Alembic's env.py reconfigures logging (the root's handlers, so pytest's caplog), not this logger.
            warnings = []
            handler = logging.Handler(logging.WARNING)
            handler.emit = lambda record: warnings.append(record.getMessage())
            logging.getLogger("pos.models.product").addHandler(handler)
            try:
                upgrade(directory=MIGRATIONS_DIR)
            finally:
                logging.getLogger("pos.models.product").removeHandler(handler)
            with db.engine.connect() as conn:
                assert not has_trigram_index(conn)
            with unit_of_work(db.session) as s:
                producer = catalogue.save_producer(s, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx"))
                catalogue.save_product(s, dict(producer_id=producer.id, name="Miến dong", unit="gói", price_vnd=45_000))
                catalogue.save_product(s, dict(producer_id=producer.id, name="Mật ong rừng", unit="hũ",
                                               price_vnd=150_000))
            assert [p.name for p in catalogue.search_products(db.session, "mien dong")] == ["Miến dong"]
            assert [p.name for p in catalogue.search_products(db.session, "mat ong")] == ["Mật ong rừng"]
            db.session.remove()
            db.engine.dispose()
        assert any("pg_trgm is not available" in w and "permission denied" in w for w in warnings), warnings
    finally:
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
        owner.dispose()
        with pg_admin_engine.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))


def test_a_search_page_as_plain_values_says_what_the_records_say(any_app):
    """The sell screen's search reads plain values, not records: each product's price, producer, stamp
    and barcodes (in the order they were added) must be the records' own."""
    from pos.models import Barcode, Product
    from pos.services import catalogue

    w = World(any_app)
    honey = w.product("Mật ong rừng Bình Liêu", 250_000, barcode="8936000000011", ocop_stars=4,
                      stamp_code="BL-MO-0001", category="Mật ong")
    w.product("Mật ong hoa nhãn", 180_000)
    with any_app.app_context(), unit_of_work(db.session) as s:
        product = s.get(Product, honey)
        product.barcodes.append(Barcode(code="MO-SO-2"))  # a second code, as a producer's new label has
    with any_app.app_context():
        listed = catalogue.search_listing(db.session, "mat ong", producer_id=None)
        records = catalogue.search_products(db.session, "mat ong")
        assert [p.id for p in listed] == [p.id for p in records] and len(listed) == 2
        for plain, record in zip(listed, records):
            assert (plain.uuid, plain.name, plain.unit, plain.price_vnd, plain.ocop_stars, plain.category,
                    plain.stamp_code, plain.is_active) == (record.uuid, record.name, record.unit, record.price_vnd,
                                                           record.ocop_stars, record.category, record.stamp_code,
                                                           record.is_active)
            assert (plain.producer.id, plain.producer.name) == (record.producer.id, record.producer.name)
            assert plain.barcode_list == record.barcode_list
        assert next(p for p in listed if p.id == honey).barcode_list == ["8936000000011", "MO-SO-2"]
