"""`pos sync import` at the hub with a file that clashes with what the hub holds: refused whole,
the clash kept for the organiser, exit non-zero (on SQLite and PostgreSQL hubs)."""
from __future__ import annotations

from sqlalchemy import select, update

from pos.db import unit_of_work
from pos.extensions import db
from pos.models import Sale, SaleLine
from pos.models.sync import SyncCursor
from pos.services.sync import booth as sync_booth
from tests.app.test_sync_support import hub_booth_pair as pair  # noqa: F401 - a fixture

QUE = "Tinh dầu quế 10ml"


def _export(booth, path):
    with booth.app.app_context(), unit_of_work(db.session) as s:
        data, _count = sync_booth.export_file(s)
    path.write_bytes(data)
    return path


def test_a_file_clashing_with_the_hubs_records_is_refused_by_the_command_and_the_clash_recorded(pair, tmp_path):
    hub, booth, booth_id = pair
    booth.sell({hub.products[QUE]: 1})
    booth.sell({hub.products[QUE]: 2})
    first = hub.app.test_cli_runner().invoke(args=["sync", "import", str(_export(booth, tmp_path / "b07.fpsync"))])
    assert first.exit_code == 0, first.output
    assert hub.count(Sale) == 2
    # A cloned laptop: the same identity wrote another record under the same number, then exported all again.
    with booth.app.app_context(), unit_of_work(db.session) as s:
        seq = s.scalars(select(SaleLine.origin_seq).order_by(SaleLine.id)).first()
        s.execute(update(SaleLine).where(SaleLine.origin_seq == seq).values(stamp_code="khác"))
        s.execute(update(SyncCursor).values(acked_seq=0))
    clash = _export(booth, tmp_path / "b07-again.fpsync")
    refused = hub.app.test_cli_runner().invoke(args=["sync", "import", str(clash)])
    assert refused.exit_code == 1
    assert "nội dung khác" in refused.output and "sale_line" in refused.output
    assert not (tmp_path / "b07-again-ack.fpsync").exists()  # no acknowledgement for a refused file
    assert hub.status(booth_id)["conflicts"] == 1  # kept for the organiser although the import rolled back
    assert hub.count(Sale) == 2  # nothing merged, nothing lost
