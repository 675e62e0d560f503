"""Log-in and roles: every route declares who may use it, and each role gets only its pages."""
import re

import pytest

from tests.conftest import login

ROLES = ("organiser", "manager", "cashier", "producer")


def test_every_route_declares_its_roles(app):
    undeclared = [rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static" and getattr(app.view_functions[rule.endpoint], "allowed_roles", None) is None]
    assert undeclared == []


def test_a_page_needs_a_login(client, world):
    world.booth()
    response = client.get("/stock")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/api/v1/products").status_code == 401


def test_wrong_password_is_refused_with_a_message(client, world):
    world.user("cashier", username="thungan")
    response = client.post("/login", data={"username": "thungan", "password": "sai-mat-khau"})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)


def test_passwords_are_stored_hashed(app, world):
    from pos.extensions import db
    from pos.models import User

    world.user("cashier", username="thungan")
    with app.app_context():
        user = db.session.query(User).filter_by(username="thungan").one()
        assert "matkhau123" not in user.password_hash and user.password_hash.startswith("scrypt:")


def test_a_cashier_on_a_managers_page_is_refused(client, world):
    world.user("cashier", username="thungan")
    login(client, "thungan")
    for url in ("/stock/receive", "/setup/booth", "/setup/users", "/products/new", "/stock/documents"):
        assert client.get(url).status_code == 403, url
    response = client.post("/api/v1/stock/documents", json={"kind": "count", "lines": []})
    assert response.status_code == 403 and response.json["error"] == "Forbidden"


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
        yield rule.endpoint, url


@pytest.mark.parametrize("role", ROLES)
def test_walking_every_page_as_each_role_gives_a_page_or_a_refusal_never_an_error(app, client, world, role):
    producer_id = world.producer()
    world.product(producer_id=producer_id, stock=5)
    extra = {"producer_id": producer_id} if role == "producer" else {}
    world.user(role, username=f"u{role}", **extra)
    login(client, f"u{role}")
    for endpoint, url in _get_routes(app):
        response = client.get(url)
        allowed = app.view_functions[endpoint].allowed_roles
        assert response.status_code < 500, (url, response.status_code)
        if role not in allowed and "public" not in allowed:
            assert response.status_code == 403, (role, url, response.status_code)
