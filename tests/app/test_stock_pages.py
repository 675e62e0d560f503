"""Stock documents through the pages and the JSON API."""
from tests.conftest import login


def test_a_manager_receives_goods_and_on_hand_per_producer_goes_up(client, world):
    world.user("manager", username="quanly")
    tl = world.producer("HTX Thảo mộc Tuệ Lâm")
    que = world.product(name="Tinh dầu quế", producer_id=tl)
    hoi = world.product(name="Tinh dầu hồi", producer_id=tl)
    login(client, "quanly")
    form = client.get(f"/stock/receive?producer_id={tl}").get_data(as_text=True)
    assert f'name="qty-{que}"' in form and f'name="qty-{hoi}"' in form
    response = client.post(f"/stock/receive?producer_id={tl}", data={f"qty-{que}": "12", f"qty-{hoi}": ""})
    assert response.status_code == 302
    doc_page = client.get(response.location).get_data(as_text=True)
    assert "PHIẾU NHẬP HÀNG" in doc_page and "PN-000001" in doc_page and "Đại diện chủ thể" in doc_page
    assert world.on_hand(que) == 12 and world.on_hand(hoi) == 0


def test_a_return_of_more_than_is_on_hand_is_refused_on_the_page(client, world):
    world.user("manager", username="quanly")
    tl = world.producer()
    que = world.product(producer_id=tl, stock=3)
    login(client, "quanly")
    response = client.post(f"/stock/return?producer_id={tl}", data={f"qty-{que}": "5"})
    assert response.status_code == 409
    assert "Không đủ hàng" in response.get_data(as_text=True)
    assert world.on_hand(que) == 3


def test_a_count_of_minus_three_is_refused_on_the_page(client, world):
    world.user("manager", username="quanly")
    que = world.product(stock=3)
    login(client, "quanly")
    response = client.post("/stock/count", data={f"qty-{que}": "-3"})
    assert response.status_code == 422
    assert world.on_hand(que) == 3


def test_sample_count_and_history_change_on_hand(client, world):
    world.user("manager", username="quanly")
    que = world.product(name="Tinh dầu quế", stock=10)
    login(client, "quanly")
    assert client.post("/stock/sample", data={f"qty-{que}": "1", "reason": "Khách dùng thử"}).status_code == 302
    assert world.on_hand(que) == 9
    assert client.post("/stock/count", data={f"qty-{que}": "7"}).status_code == 302
    assert world.on_hand(que) == 7
    history = client.get(f"/stock/products/{que}").get_data(as_text=True)
    assert "Khách dùng thử" in history and "-2" in history and "đếm được 7, sổ ghi 9" in history
    overview = client.get("/stock").get_data(as_text=True)
    assert f'data-product="{que}"' in overview


def test_api_records_a_document_and_names_the_bad_field(client, world):
    world.user("manager", username="quanly")
    tl = world.producer()
    que = world.product(producer_id=tl)
    login(client, "quanly")
    ok = client.post("/api/v1/stock/documents", json={"kind": "receive", "producer_id": tl,
                                                        "lines": [{"product_id": que, "qty": 6}]})
    assert ok.status_code == 201 and ok.json["number"] == "PN-000001"
    assert client.get("/api/v1/stock").json["producers"][0]["products"][0]["on_hand"] == 6
    bad_qty = client.post("/api/v1/stock/documents", json={"kind": "receive", "producer_id": tl,
                                                             "lines": [{"product_id": que, "qty": -1}]})
    assert bad_qty.status_code == 422 and bad_qty.json["field"] == "lines[0].qty"
    unknown = client.post("/api/v1/stock/documents", json={"kind": "receive", "colour": "red", "lines": []})
    assert unknown.status_code == 422 and unknown.json["field"] == "colour"
    malformed = client.post("/api/v1/stock/documents", data="{not json", content_type="application/json")
    assert malformed.status_code == 422 and malformed.json["field"] == "body"
    too_many = client.post("/api/v1/stock/documents", json={"kind": "return", "producer_id": tl,
                                                              "lines": [{"product_id": que, "qty": 7}]})
    assert too_many.status_code == 409 and too_many.json["error"] == "OutOfStock"
    assert world.on_hand(que) == 6


def test_openapi_describes_every_api_route(client, app):
    doc = client.get("/api/v1/openapi.json").json
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_document":
            path = rule.rule.replace("<int:", "{").replace("<path:", "{").replace("<", "{").replace(">", "}")
            assert path in doc["paths"], path
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in doc["paths"][path], (path, method)
