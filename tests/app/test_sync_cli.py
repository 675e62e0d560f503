"""Two processes on one machine: a hub served by waitress, booths driven by the `pos` command.

Provision a booth over HTTP, sell, push with the link cut once, provision a second booth
from a file and bring its records on a file too: the hub's fair totals equal the sum of
the booths', record for record. Runs with the hub on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.app.test_sync_support import BoothSide, Hub, dispose, make_app

QUE, MIEN = "Tinh dầu quế 10ml", "Miến dong Bình Liêu 500g"
SERVE = ("import sys; from waitress import serve; from pos import create_app; "
         "serve(create_app(), host='127.0.0.1', port=int(sys.argv[1]), threads=4, ident='FairPOS-hub')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(instance, db_url=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(instance), "POS_INSTANCE_PATH": str(instance)}
    if db_url:
        env["POS_DATABASE_URL"] = db_url
    return env


def pos(instance, *args, db_url=None):
    return subprocess.run([sys.executable, "-m", "pos.cli", *args], capture_output=True, text=True,
                          env=_env(instance, db_url), timeout=120, cwd=os.getcwd())


class HubProcess:
    def __init__(self, db_url, instance, port):
        self.db_url, self.instance, self.port = db_url, instance, port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(self.port)], env=_env(self.instance, self.db_url),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=os.getcwd())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/openapi.json", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode())
                time.sleep(0.3)
        raise RuntimeError("the hub did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()


def test_a_hub_process_and_booths_on_the_pos_command_agree_record_for_record(db_url, tmp_path):
    # The organiser prepares the hub: a fair, two booths with staff, the catalogue, tokens and keys.
    hub = Hub(make_app(db_url, tmp_path, "hub-setup"))
    b07, b08 = hub.booth("B07", "Gian hàng Bình Liêu"), hub.booth("B08", "Gian hàng Tiên Yên")
    hub.product(QUE, 95_000, barcode="8936123450014")
    hub.product(MIEN, 60_000)
    dispose(hub.app)
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    token_out = pos(hub_dir, "hub", "booth-token", "X20-B07", db_url=db_url)
    assert token_out.returncode == 0, token_out.stderr
    token = token_out.stdout.split("\n")[1].strip()
    assert token.startswith("fpt_")
    key_out = pos(hub_dir, "hub", "booth-token", "X20-B08", db_url=db_url)
    key_b08 = key_out.stdout.strip().split("\n")[-1].strip()
    assert len(key_b08) == 64, key_out.stdout

    server = HubProcess(db_url, hub_dir, _free_port())
    server.start()
    url = f"http://127.0.0.1:{server.port}"
    booth1_dir, booth2_dir = tmp_path / "booth1", tmp_path / "booth2"
    booth1_dir.mkdir()
    booth2_dir.mkdir()
    booth1 = BoothSide(make_app(f"sqlite:///{booth1_dir / 'pos.sqlite'}", tmp_path, "b1"))
    booth2 = BoothSide(make_app(f"sqlite:///{booth2_dir / 'pos.sqlite'}", tmp_path, "b2"))
    try:
        # Booth 1 over the network: plain http:// only by an explicit flag, to a local address.
        refused = pos(booth1_dir, "provision", "--hub", url, "--token", token)
        assert refused.returncode != 0 and "https://" in refused.stderr
        done = pos(booth1_dir, "provision", "--hub", url, "--token", token, "--allow-http")
        assert done.returncode == 0, done.stderr
        assert "X20-B07" in done.stdout
        booth1.receive({hub.products[QUE]: 50, hub.products[MIEN]: 50})
        for i in range(6):
            booth1.sell({hub.products[QUE]: 1 + i % 2, hub.products[MIEN]: 1})
        pushed = pos(booth1_dir, "sync", "push")
        assert pushed.returncode == 0, pushed.stderr
        assert "khớp" in pushed.stdout

        # The link is cut: the booth keeps selling, the push fails clearly, then catches up.
        server.stop()
        for _ in range(4):
            booth1.sell({hub.products[MIEN]: 2})
        cut = pos(booth1_dir, "sync", "push")
        assert cut.returncode != 0 and "Không kết nối được hub" in cut.stderr
        assert booth1.unpushed() > 0
        server.start()
        caught_up = pos(booth1_dir, "sync", "push")
        assert caught_up.returncode == 0, caught_up.stderr
        assert booth1.unpushed() == 0

        # Booth 2 has no network: provisioned from a signed file, its records come back on a file.
        provision_file = tmp_path / "b08-provision.fpsync"
        made = pos(hub_dir, "hub", "provision-file", "X20-B08", str(provision_file), db_url=db_url)
        assert made.returncode == 0, made.stderr
        wrong_key = pos(booth2_dir, "provision", "--file", str(provision_file), "--key", "ab" * 32)
        assert wrong_key.returncode != 0 and "bị sửa" in wrong_key.stderr
        done = pos(booth2_dir, "provision", "--file", str(provision_file), "--key", key_b08)
        assert done.returncode == 0, done.stderr
        booth2.receive({hub.products[QUE]: 20})
        for _ in range(5):
            booth2.sell({hub.products[QUE]: 3})
        stick = tmp_path / "b08.fpsync"
        exported = pos(booth2_dir, "sync", "export", str(stick))
        assert exported.returncode == 0, exported.stderr
        stick.write_bytes(stick.read_bytes().replace(b'"kind": "push"', b'"kind": "push" '))  # harmless whitespace
        imported = pos(hub_dir, "sync", "import", str(stick), db_url=db_url)
        assert imported.returncode == 0, imported.stderr
        tampered = tmp_path / "b08-tampered.fpsync"
        doc = json.loads(stick.read_bytes())
        doc["booth"] = "X20-B07"
        tampered.write_text(json.dumps(doc))
        refused = pos(hub_dir, "sync", "import", str(tampered), db_url=db_url)
        assert refused.returncode != 0 and "bị sửa" in refused.stderr
    finally:
        server.stop()

    hub = Hub.__new__(Hub)
    hub.app = make_app(db_url, tmp_path, "hub-check")
    try:
        assert hub.totals(b07) == booth1.totals()
        assert hub.totals(b08) == booth2.totals()
        from pos.extensions import db
        from pos.services.sync import hub as sync_hub

        with hub.app.app_context():
            fair_records = sync_hub.fair_totals(db.session, hub_fair_id(hub))
        booths_records = {t: booth1.totals()["records"][t] + booth2.totals()["records"][t]
                          for t in booth1.totals()["records"]}
        assert fair_records == booths_records
        assert fair_records["sale"] == 15
    finally:
        dispose(hub.app)
        dispose(booth1.app)
        dispose(booth2.app)


def hub_fair_id(hub):
    from sqlalchemy import select

    from pos.extensions import db
    from pos.models import Fair

    with hub.app.app_context():
        return db.session.scalars(select(Fair.id).where(Fair.code == "X20")).one()


@pytest.mark.browser
def test_the_push_button_shows_progress_in_a_real_browser_under_the_csp(tmp_path, browser):
    """Chromium on a booth served by waitress, pushing to a hub served by waitress (both SQLite)."""
    from playwright.sync_api import expect  # the browser fixture has skipped (or failed, in CI) without it

    hub_url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    hub = Hub(make_app(hub_url, tmp_path, "hub-setup"))
    hub.booth("B07", "Gian hàng Bình Liêu")
    hub.product(QUE, 95_000)
    dispose(hub.app)
    hub_dir, booth_dir = tmp_path / "hub", tmp_path / "booth"
    hub_dir.mkdir()
    booth_dir.mkdir()
    token = pos(hub_dir, "hub", "booth-token", "X20-B07", db_url=hub_url).stdout.split("\n")[1].strip()
    server = HubProcess(hub_url, hub_dir, _free_port())
    booth_server = HubProcess(f"sqlite:///{booth_dir / 'pos.sqlite'}", booth_dir, _free_port())
    server.start()
    booth = BoothSide(make_app(f"sqlite:///{booth_dir / 'pos.sqlite'}", tmp_path, "b1"))
    context = None
    try:
        assert pos(booth_dir, "provision", "--hub", f"http://127.0.0.1:{server.port}", "--token", token,
                   "--allow-http").returncode == 0
        booth.receive({hub.products[QUE]: 50})
        for _ in range(3):
            booth.sell({hub.products[QUE]: 1})
        booth_server.start()
        context = browser.new_context(locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        base = f"http://127.0.0.1:{booth_server.port}"
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "ql.b07")
        page.fill("input[name=password]", "matkhau123")
        page.click("button[type=submit]")
        page.goto(f"{base}/sync")
        expect(page.locator("#unpushed")).not_to_have_text("0")
        page.click("#push-button")
        expect(page.locator("#sync-status")).to_contain_text("Mọi bản ghi đã có trên hub")
        expect(page.locator("body")).to_contain_text("Khớp")
        assert not [e for e in errors if "Content Security Policy" in e], errors
        assert booth.unpushed() == 0
    finally:
        if context is not None:
            context.close()
        booth_server.stop()
        server.stop()
        dispose(booth.app)
