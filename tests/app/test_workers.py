"""The background loops `pos serve` starts: the print queue prints a sale's slip with no one asking,
and the push sends the booth's records to the hub on its own, trying again after a cut link."""
from __future__ import annotations

import threading
import time


from pos import workers
from pos.models import Sale
from tests.app.test_print_queue import _sell, _set_printer, decoded, printer, shop  # noqa: F401 - fixtures
from tests.app.test_sync_support import client_transport, hub_booth_pair as pair  # noqa: F401 - a fixture

QUE = "Tinh dầu quế 10ml"


def test_the_push_worker_sends_the_sales_to_the_hub_after_a_cut_link_without_anyone_pressing_push(pair, monkeypatch):
    hub, booth, booth_id = pair
    for qty in (1, 2, 3):
        booth.sell({hub.products[QUE]: qty})
    links = []

    def factory(url, token):  # the first try finds the link down, the next ones reach the hub
        links.append(url)
        return client_transport(hub.app, token, cut_after=0 if len(links) == 1 else None)

    booth.app.config.update(SYNC_TRANSPORT_FACTORY=factory)
    monkeypatch.setattr(workers, "PUSH_FIRST_WAIT_S", 0.05)  # not the 5 s a booth waits after start
    stop = workers.start_push_worker(booth.app, interval_s=30)
    try:
        assert "sync-push" in [t.name for t in threading.enumerate()]
        deadline = time.monotonic() + 30
        while booth.unpushed() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert len(links) == 2  # tried, failed, tried again after a wait twice as long; then waits 30 s
    assert booth.unpushed() == 0
    assert hub.count(Sale) == 3 and hub.totals(booth_id) == booth.totals()


def test_the_print_worker_prints_a_sales_slip_in_the_background(app, client, shop, printer):  # noqa: F811
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    sale = _sell(client, shop, "k1").json
    assert sale["print_job"]["status"] == "pending"
    stop = workers.start_print_worker(app, interval_s=0.05)
    try:
        assert "print-worker" in [t.name for t in threading.enumerate()]
        deadline = time.monotonic() + 30
        while client.get(f"/api/v1/print-jobs/{sale['print_job']['id']}").json["status"] != "done":
            assert time.monotonic() < deadline, "the slip was not printed"
            time.sleep(0.1)
    finally:
        stop.set()
    printer.wait_for_jobs(1)
    assert sale["receipt_no"] in decoded(printer.received)
