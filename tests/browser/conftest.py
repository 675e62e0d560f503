"""A real Chromium against the demo booth served by waitress (the shared `browser` fixture, one per
test process, is in tests/conftest.py)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import copy_demo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_demo(tmp_path, demo_template):
    """`pos demo` in its own instance folder (a copy of the demo built once per test process),
    served on a free loopback port; yields its base URL."""
    copy_demo(demo_template, tmp_path / "instance")
    with serve_demo(tmp_path / "instance") as url:
        yield url


@contextlib.contextmanager
def serve_demo(instance):
    """Serve the demo database already in `instance` with `pos demo` on a free loopback port."""
    port = _free_port()
    env = dict(os.environ, POS_INSTANCE_PATH=str(instance))
    proc = subprocess.Popen([sys.executable, "-m", "pos.cli", "demo", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"pos demo exited: {proc.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("pos demo did not start listening within 120 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, base_url, username, password="demo1234"):
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
