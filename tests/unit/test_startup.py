"""Ready in two seconds: the booth server does not load printing, QR or spreadsheet libraries at start."""
import json
import subprocess
import sys

HEAVY = ("escpos.capabilities", "escpos.escpos", "escpos.printer", "qrcode", "openpyxl", "yaml")


def test_starting_the_app_loads_no_printer_profiles_qr_or_spreadsheet_library(tmp_path):
    # A fresh interpreter: this test process has long imported everything the other tests needed.
    code = (
        "import json, sys\n"
        "import pos.cli\n"
        "from pos import create_app\n"
        f"app = create_app(overrides={{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'pos.sqlite'}'}})\n"
        "app.test_client().get('/login')\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"POS_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []



def test_the_app_itself_stores_passwords_with_scrypt_at_full_strength(session, monkeypatch):
    from pos.services import users
    from tests import conftest

    # The suite hashes with a cheap scrypt (tests/conftest.py); a booth must not.
    monkeypatch.setattr(users, "generate_password_hash", conftest.FULL_STRENGTH_PASSWORD_HASH)
    user = users.save_user(session, dict(username="thungan", full_name="Thu ngân", role="cashier",
                                         password="matkhau123"))
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert user.check_password("matkhau123") and not user.check_password("matkhau124")
