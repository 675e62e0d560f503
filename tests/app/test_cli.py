"""The `pos` command, run the way a booth's set-up person runs it."""
import sqlite3
import subprocess
import sys

from pos.services import demo


def _pos(tmp_path, *args, input_text=None):
    env = {"POS_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "pos.cli", *args], capture_output=True, text=True, env=env,
                          input=input_text, timeout=120)


def test_pos_init_makes_an_empty_booth_database_and_a_secret_key(tmp_path):
    result = _pos(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    assert "pos user create" in result.stdout
    db_file = tmp_path / "instance" / "pos.sqlite"
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("select count(*) from user").fetchone()[0] == 0
        assert conn.execute("select count(*) from db_identity").fetchone()[0] == 1
    key = (tmp_path / "instance" / "secret_key").read_text()
    assert len(key) == 64
    assert not (tmp_path / "instance" / "demo.sqlite").exists()


def test_pos_user_create_makes_an_account_and_refuses_a_bad_one(tmp_path):
    _pos(tmp_path, "init")
    ok = _pos(tmp_path, "user", "create", "btc", "--role", "organiser", "--password", "matkhau123", "--pin", "1234")
    assert ok.returncode == 0, ok.stderr
    bad = _pos(tmp_path, "user", "create", "maihoang", "--role", "cashier", "--password", "123")
    assert bad.returncode != 0 and "8 ký tự" in bad.stderr


def test_pos_demo_builds_its_own_database_and_prints_the_logins(tmp_path):
    result = _pos(tmp_path, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    for user in demo.USERS:
        assert user["username"] in result.stdout
    assert demo.DEMO_PASSWORD in result.stdout
    with sqlite3.connect(tmp_path / "instance" / "demo.sqlite") as conn:
        names = {r[0] for r in conn.execute("select name from producer")}
        assert "HTX Thảo mộc Tuệ Lâm" in names
        assert conn.execute("select sum(qty) from stock_movement").fetchone()[0] > 0
    # The real booth database was never touched: a booth never starts with known passwords.
    assert not (tmp_path / "instance" / "pos.sqlite").exists()
