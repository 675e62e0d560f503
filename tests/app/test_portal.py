"""The producer portal: a producer sees its own stock, sales and statements, and nothing of any other
producer through a page, a download, an API call or a guessed id."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from pos.db import unit_of_work
from pos.extensions import db
from tests.app.test_reports import sell
from tests.conftest import login

OTHER_NAME = "HTX Bí Mật Bên Kia"
OTHER_PRODUCT = "Rượu men lá Bí Mật"
OTHER_PRICE = 777_777
OWN_PRICE = 95_000


@pytest.fixture
def market(app, world):
    """Two producers at one booth (and a second booth holding only the other's goods), with a mixed sale."""
    from pos.models import Booth, Till, User
    from pos.services import booths, shifts, stock

    world.booth()
    own = world.producer("HTX Thảo mộc Tuệ Lâm", district="Bình Liêu", commune="Thị trấn Bình Liêu")
    other = world.producer(OTHER_NAME, district="Huyện Kín", commune="Xã Kín", phone="0999 888 777")
    que = world.product("Tinh dầu quế 10ml", OWN_PRICE, stock=10, producer_id=own)
    secret = world.product(OTHER_PRODUCT, OTHER_PRICE, stock=10, producer_id=other, category="Rượu bí mật")
    world.user("producer", username="tuelam", producer_id=own)
    world.user("producer", username="bimat", producer_id=other)
    sell(app, [(que, 1), (secret, 1)], datetime(2020, 1, 10, 3, 0), "mixed")        # a basket with both
    sell(app, [(secret, 2)], datetime(2020, 1, 11, 4, 0), "secret-only")
    sell(app, [(que, 3)], datetime(2020, 1, 11, 5, 0), "own-only")
    with app.app_context(), unit_of_work(db.session) as s:
        booth = s.get(Booth, world.booth_id)
        b08 = booths.save_booth(s, dict(fair_id=booth.fair_id, code="B08", name="Gian hàng Kín"))
        manager = s.query(User).filter_by(username="ca.t1").one()
        stock.record_document(s, b08, s.query(User).filter_by(username="stocker").one(), stock.NewDocument.of("receive",
                              producer_id=other, lines=[dict(product_id=secret, qty=5)]))
        booths.save_till(s, b08, dict(code="T1", name="Quầy kín"))
        till = s.query(Till).filter_by(booth_id=b08.id).one()
        shifts.open_shift(s, b08, manager, shifts.NewShift(till_id=till.id))
        b08_id = b08.id
    return dict(own=own, other=other, que=que, secret=secret, b08=b08_id)


def _forbidden(market) -> list[str]:
    mixed_total = OWN_PRICE + OTHER_PRICE
    return [OTHER_NAME, OTHER_PRODUCT, "Bí Mật", "Rượu bí mật", "Huyện Kín", "0999 888 777", "Gian hàng Kín",
            "777.777", "777777", f"{mixed_total:,}".replace(",", "."), str(mixed_total),
            f"{2 * OTHER_PRICE:,}".replace(",", "."), str(2 * OTHER_PRICE)]


def _text(response) -> str:
    data = response.data
    if data[:2] == b"PK":  # an .xlsx: every cell's text, and the raw XML for good measure
        wb = load_workbook(io.BytesIO(data))
        cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        return "\n".join(cells) + xml
    return data.decode("utf-8", "replace")


def _urls(app, ids):
    """Every GET route, each id placeholder tried with every id, plus query strings a producer might try."""
    queries = ["", "?format=xlsx", "?format=csv", "?producer_id={other}", "?booth_id={b08}", "?fair_id=1",
               "?producer_id={other}&format=csv", "?day=10/01/2020", "?all=1"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = re.sub(r"<any\(([^,)]*)[^)]*\):\w+>", lambda m: m.group(1).strip("'\""), rule.rule)
        names = re.findall(r"<(?:\w+:)?(\w+)>", path)
        variants = [path]
        for _name in names:
            variants = [re.sub(r"<(?:\w+:)?\w+>", str(i), v, count=1) for v in variants for i in ids]
        for v in variants:
            for q in queries:
                yield rule.endpoint, v + q


def test_walking_every_route_as_a_producer_finds_no_other_producers_data(app, client, market):
    login(client, "tuelam")
    forbidden = _forbidden(market)
    ids = sorted({1, 2, 3, 4, market["other"], market["secret"], market["b08"]})
    seen_ok = 0
    for endpoint, url in _urls(app, ids):
        url = url.format(**market)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200:
            continue
        seen_ok += 1
        text = _text(response)
        leaks = [word for word in forbidden if word in text]
        assert not leaks, (endpoint, url, leaks)
    assert seen_ok > 20  # the walk did see the producer's own pages


def test_the_producer_sees_its_own_stock_sales_and_statement(client, market):
    login(client, "tuelam")
    home = client.get("/portal").get_data(as_text=True)
    assert "Tinh dầu quế 10ml" in home and "HTX Thảo mộc Tuệ Lâm" in home
    # 10 received, 1 + 3 sold.
    assert re.search(r'Tinh dầu quế 10ml.*?class="num on-hand"[^>]*><b>6</b>', home, re.S)
    sales = client.get("/portal/sales").get_data(as_text=True)
    assert 'id="kpi-revenue">380.000 ₫<' in sales and '<svg class="chart"' in sales
    statement = client.get(f"/portal/settlements/{_own_booth(client)}").get_data(as_text=True)
    assert "BẢNG QUYẾT TOÁN HÀNG KÝ GỬI" in statement and "380.000 ₫" in statement


def _own_booth(client) -> int:
    data = client.get("/api/v1/portal/stock").json
    return data["booths"][0]["booth"]["id"]


def test_the_portal_api_returns_only_the_producers_own_products(client, market):
    login(client, "tuelam")
    stock = client.get("/api/v1/portal/stock").json
    assert [p["name"] for b in stock["booths"] for p in b["products"]] == ["Tinh dầu quế 10ml"]
    sales = client.get("/api/v1/portal/sales").json
    assert sales["revenue_vnd"] == 4 * OWN_PRICE and [p["name"] for p in sales["products"]] == ["Tinh dầu quế 10ml"]
    assert sales["transactions"] == 2  # the mixed basket and its own sale
    statement = client.get(f"/api/v1/portal/settlements/{_own_booth(client)}").json
    assert statement["net_vnd"] == 4 * OWN_PRICE and [ln["name"] for ln in statement["lines"]] == ["Tinh dầu quế 10ml"]


def test_a_guessed_booth_or_fair_of_another_producer_is_not_found(client, market):
    login(client, "tuelam")
    assert client.get(f"/portal/settlements/{market['b08']}").status_code == 404
    assert client.get(f"/api/v1/portal/settlements/{market['b08']}").status_code == 404
    assert client.get("/portal/sales?fair_id=999").status_code == 404
    # The other producer, logged in, does see that booth.
    client.post("/logout")
    login(client, "bimat")
    page = client.get(f"/portal/settlements/{market['b08']}").get_data(as_text=True)
    assert OTHER_PRODUCT in page and "Tinh dầu quế" not in page


def test_the_drill_down_in_the_portal_shows_only_the_producers_lines_and_no_basket_total(client, market):
    login(client, "tuelam")
    page = client.get("/portal/sales/list?day=2020-01-10").get_data(as_text=True)
    assert "Tinh dầu quế 10ml × 1" in page and OTHER_PRODUCT not in page
    assert "872.777" not in page and 'id="drill-revenue">95.000 ₫<' in page
    refused = client.get("/portal/sales/list?hour=99")
    assert refused.status_code == 422 and "Giờ phải từ 0 đến 23" in refused.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/reports/daily", "/reports/dashboard", "/reports/settlements/1",
                                 "/api/v1/reports/settlements", "/reports/closing", "/reports/import"])
def test_a_producer_is_refused_the_booths_and_organisers_reports(client, market, url):
    login(client, "tuelam")
    assert client.get(url).status_code == 403


ID_ARGS = ("product_id", "booth_id", "fair_id", "producer_id", "compare")


def _portal_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.endpoint.split(".")[0] in ("portal", "portal_api") and "GET" in r.methods]


def _fill(rule, values: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _payments(app, market) -> tuple[int, int]:
    """A payment to each producer at the shared booth: (own, other's)."""
    from pos.models import Booth, User
    from pos.services.reporting import producer_payments

    with app.app_context(), unit_of_work(db.session) as s:
        booth = s.query(Booth).filter_by(code="B07").one()
        manager = s.query(User).filter_by(username="stocker").one()
        own = producer_payments.record_payment(s, booth, manager, market["own"], dict(
            method="transfer", amount_vnd=10_000, reference="FT-OWN"))
        other = producer_payments.record_payment(s, booth, manager, market["other"], dict(
            method="transfer", amount_vnd=20_000, reference="FT-BI-MAT"))
        return own.id, other.id


def test_every_id_in_every_portal_route_naming_another_producers_row_is_not_found_and_shows_nothing(
        app, client, market):
    """The id walk: each portal page and API route, each query parameter that takes an id, given
    another producer's product, booth, fair or producer: 404 and not a word of it; given the producer's
    own: no 404 from the id check."""
    own_payment, other_payment = _payments(app, market)
    login(client, "tuelam")
    own_booth = _own_booth(client)
    with app.app_context():
        from pos.models import Booth
        fair_id = db.session.get(Booth, own_booth).fair_id
        other_fair = _other_fair(db.session)
    foreign = {"product_id": market["secret"], "booth_id": market["b08"], "fair_id": other_fair,
               "producer_id": market["other"], "compare": other_fair}
    own = {"product_id": market["que"], "booth_id": own_booth, "fair_id": fair_id, "producer_id": market["own"],
           "compare": fair_id}
    forbidden = _forbidden(market) + ["FT-BI-MAT"]
    rules = _portal_rules(app)
    assert {"portal.home", "portal.sales", "portal.sales_list", "portal.statement", "portal.payment_slip", "portal.invoices", "portal_api.api_sales",
            "portal_api.api_stock", "portal_api.api_statement"} <= {r.endpoint for r in rules}
    walked = 0
    for rule in rules:
        path = _fill(rule, {"booth_id": own_booth, "payment_id": own_payment})
        for name in ID_ARGS:
            for fmt in ("", "&format=xlsx", "&format=csv"):
                response = client.get(f"{path}?{name}={foreign[name]}{fmt}")
                assert response.status_code == 404, (rule.endpoint, name, fmt, response.status_code)
                text = _text(response)
                assert not [w for w in forbidden if w in text], (rule.endpoint, name, text[:300])
                walked += 1
            mine = client.get(f"{path}?{name}={own[name]}")
            assert mine.status_code != 404, (rule.endpoint, name, "own id refused")
        if "<" in rule.rule:  # the id in the path itself
            response = client.get(_fill(rule, {"booth_id": market["b08"], "payment_id": other_payment}))
            assert response.status_code == 404 and not [w for w in forbidden if w in _text(response)]
    assert walked >= len(rules) * len(ID_ARGS) * 3


def _other_fair(session):
    """A fair only the other producer's goods went to."""
    from pos.models import Booth, Fair
    from pos.services import booths
    fair = session.query(Fair).first()
    with unit_of_work(session) as s:
        other = Fair(code="H19", name="Hội chợ Kín 2019")
        s.add(other)
        s.flush()
        booths.save_booth(s, dict(fair_id=other.id, code="K01", name="Gian Kín"))
        fair_id = other.id
    assert fair.id != fair_id and session.query(Booth).filter_by(fair_id=fair_id).count() == 1
    return fair_id


def test_the_portal_drill_down_on_another_producers_product_is_not_found_without_its_name(client, market):
    login(client, "tuelam")
    refused = client.get(f"/portal/sales/list?product_id={market['secret']}")
    assert refused.status_code == 404 and OTHER_PRODUCT not in refused.get_data(as_text=True)
    mine = client.get(f"/portal/sales/list?product_id={market['que']}")
    assert mine.status_code == 200 and "Tinh dầu quế 10ml" in mine.get_data(as_text=True)
    assert client.get("/portal/sales/list?product_id=abc").status_code == 422
