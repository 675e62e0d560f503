"""Sessions that can be ended (logout, password, role, disabled account, idle time) and guessing
that stays slow when a login to one account is mixed in with guesses at another.

Time is a clock the test moves (no sleeping): the modules' utcnow is replaced by it."""
from datetime import datetime, timedelta

import pytest

from pos.extensions import db
from pos.models import User
from tests.conftest import login

A, PHONE = "192.168.1.50", "192.168.1.77"


class Clock:
    def __init__(self):
        self.now = datetime(2020, 1, 15, 1, 0, 0)  # 08:00 in Hạ Long, a fair morning

    def __call__(self):
        return self.now

    def tick(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    for module in ("pos.web.access", "pos.services.security", "pos.services.audit"):
        monkeypatch.setattr(f"{module}.utcnow", clock)
    return clock


def _try(client, username, password, address):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _replay(app, cookie):
    """Another browser holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _is_logged_out(client):
    page = client.get("/shifts")
    api = client.get("/api/v1/shifts")
    return page.status_code == 302 and "/login" in page.location and api.status_code == 401


def test_the_cookie_of_a_logged_out_session_is_refused(app, client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    cookie = client.get_cookie("session").value
    assert client.get("/shifts").status_code == 200
    client.post("/logout")
    assert _is_logged_out(client)
    # The same cookie, copied before the logout and sent again, opens nothing.
    thief = _replay(app, cookie)
    assert _is_logged_out(thief)
    # Logging in again works, with a new session.
    login(client, "quanly")
    assert client.get("/api/v1/shifts").status_code == 200


def test_a_logout_ends_the_persons_sessions_on_every_device(app, world):
    world.user("cashier", username="thungan")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "thungan")
    login(phone, "thungan")
    phone.post("/logout")
    assert _is_logged_out(laptop)


def test_a_password_change_ends_another_browsers_session_but_not_the_one_that_made_it(app, world):
    manager_id = world.user("manager", username="quanly")
    cashier_id = world.user("cashier", username="thungan")
    office, till, managers_phone = app.test_client(), app.test_client(), app.test_client()
    login(office, "quanly")
    login(till, "thungan")
    login(managers_phone, "quanly")
    assert till.get("/sell").status_code in (200, 302) and not _is_logged_out(till)

    changed = office.post(f"/setup/users/{cashier_id}", data=dict(
        username="thungan", full_name="Hoàng Thị Mai", role="cashier", password="matkhau-moi-2020",
        language="vi", is_active="on"))
    assert changed.status_code == 302
    assert _is_logged_out(till)
    assert not _is_logged_out(managers_phone)  # someone else's password: her sessions go on
    login(till, "thungan", "matkhau-moi-2020")

    # The manager changes his own password at the office: his phone is logged out, the office is not.
    mine = office.post(f"/setup/users/{manager_id}", data=dict(
        username="quanly", full_name="Lý Văn Sáng", role="manager", password="matkhau-quanly-2",
        language="vi", is_active="on"))
    assert mine.status_code == 302
    assert not _is_logged_out(office)
    assert _is_logged_out(managers_phone)


def test_a_role_change_or_a_disabled_account_ends_that_persons_sessions(app, world):
    from pos.db import unit_of_work
    from pos.services import users

    world.user("cashier", username="thungan")
    world.user("cashier", username="phuong")
    first, second = app.test_client(), app.test_client()
    login(first, "thungan")
    login(second, "phuong")
    producer_id = world.producer()
    with app.app_context(), unit_of_work(db.session) as s:
        thungan = s.query(User).filter_by(username="thungan").one()
        users.save_user(s, dict(username="thungan", full_name="Hoàng Thị Mai", role="producer",
                                producer_id=producer_id), thungan)
        phuong = s.query(User).filter_by(username="phuong").one()
        users.save_user(s, dict(username="phuong", full_name="Phương", role="cashier", is_active=False), phuong)
    assert _is_logged_out(first)
    assert _is_logged_out(second)


def test_a_session_idle_longer_than_the_booth_allows_ends(app, client, world, clock):
    world.user("manager", username="quanly")
    login(client, "quanly")
    # 8 hours by default: a till used now and then all day stays logged in ...
    for _ in range(3):
        clock.tick(hours=7, minutes=59)
        assert client.get("/shifts").status_code == 200
    # ... the manager shortens it to 30 minutes on the booth's settings page,
    page = client.get("/setup/booth").get_data(as_text=True)
    assert 'name="session_idle_minutes"' in page and 'value="480"' in page
    saved = client.post("/setup/booth", data=dict(code="B07", name="Gian hàng Bình Liêu", cashier_discount_limit_percent="10",
                                                  low_stock_qty="5", session_idle_minutes="30",
                                                  cash_out_limit_vnd="200.000"))
    assert saved.status_code == 302
    clock.tick(minutes=29)
    assert client.get("/shifts").status_code == 200
    cookie = client.get_cookie("session").value
    clock.tick(minutes=31)
    ended = client.get("/shifts")
    assert ended.status_code == 302 and "/login" in ended.location
    assert "lâu không dùng" in client.get(ended.location).get_data(as_text=True)
    assert _replay(app, cookie).get("/api/v1/shifts").status_code == 401
    login(client, "quanly")
    assert client.get("/shifts").status_code == 200


def test_the_idle_setting_is_checked(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    bad = client.post("/setup/booth", data=dict(code="B07", name="Gian hàng Bình Liêu", session_idle_minutes="2"))
    assert bad.status_code == 422 and "Phải từ 5 trở lên" in bad.get_data(as_text=True)


def test_alternating_guesses_at_the_managers_password_with_logins_to_her_own_account_stay_slow(
        app, client, world, clock):
    world.user("manager", username="quanly")
    world.user("cashier", username="thungan")
    # The booth laptop: the manager and the cashier have both logged in on it before; the manager on her phone too.
    for name, address in (("quanly", A), ("thungan", A), ("quanly", PHONE)):
        assert _try(client, name, "matkhau123", address).status_code == 302
        client.post("/logout")
        clock.tick(minutes=1)

    statuses, her_logins = [], []
    for _ in range(10):  # a script: each request 10 ms after the one before
        for _ in range(3):
            statuses.append(_try(client, "quanly", "doan-mo", A).status_code)
            clock.tick(milliseconds=10)
        her_logins.append(_try(client, "thungan", "matkhau123", A).status_code)
        clock.tick(milliseconds=10)
        client.post("/logout")
        clock.tick(milliseconds=10)

    assert len(statuses) == 30 and set(statuses) <= {401, 429}
    assert statuses.count(429) >= 27  # only the free tries (3) were looked at
    assert her_logins == [302] * 10  # her own till never held her up

    # A patient guesser waits each delay out: the delays still grow, her logins clear none of them.
    waits = []
    for _ in range(4):
        refused = _try(client, "quanly", "doan-mo", A)
        waits.append(int(refused.headers["Retry-After"]))
        clock.tick(seconds=waits[-1])
        assert _try(client, "quanly", "doan-mo", A).status_code == 401  # looked at, and counted
        assert _try(client, "thungan", "matkhau123", A).status_code == 302
        client.post("/logout")
    assert waits == sorted(waits) and waits[-1] > waits[0]
    # The manager herself, on the phone she has used before, is not held up by the laptop's guessing.
    assert _try(client, "quanly", "matkhau123", PHONE).status_code == 302


def test_a_login_clears_only_that_accounts_typos_on_the_device(client, world, clock):
    world.user("manager", username="quanly")
    world.user("cashier", username="thungan")
    assert _try(client, "quanly", "matkhau123", A).status_code == 302  # the manager's laptop
    client.post("/logout")
    for _ in range(3):
        assert _try(client, "quanly", "sai", A).status_code == 401
        clock.tick(milliseconds=10)
    # The cashier never logged in on this laptop: the guesses made here hold her up too (2 s) ...
    held = _try(client, "thungan", "matkhau123", A)
    assert held.status_code == 429 and held.headers["Retry-After"] == "2"
    clock.tick(seconds=2)
    assert _try(client, "thungan", "matkhau123", A).status_code == 302
    client.post("/logout")
    # ... and her login cleared none of them: the guesses at the manager go on from 3 failures, not 0.
    assert _try(client, "quanly", "sai", A).status_code == 401
    clock.tick(milliseconds=10)
    next_guess = _try(client, "quanly", "sai", A)
    assert next_guess.status_code == 429 and next_guess.headers["Retry-After"] == "4"
    # Her own typos on the laptop are hers: two of them and then her password, she is let in.
    for _ in range(2):
        assert _try(client, "thungan", "sai", A).status_code == 401
    assert _try(client, "thungan", "matkhau123", A).status_code == 302
