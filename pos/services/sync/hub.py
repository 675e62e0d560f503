"""The organiser's hub: booth credentials, provisioning, and batches stored whole or not at all.

How a database knows it is a hub: it holds a SyncHub row (`pos hub init`, or the button
on the sync page of a database that serves no booth). Booth records pushed to the hub are
stored in the same tables as at the booth, with the booth's UUIDs and origin (database
id and sequence), under the hub's own integer ids.

A batch (see sync_booth.build_batch) is checked whole before anything is written: its
header, every record's fields and types, that every record is the pushing booth's, no
negative quantity or amount, every sale with its lines adding up to its total, every
reference known. Then, in the caller's one transaction:

- a record whose (origin_db, seq) the hub already holds, with the same uuid and content,
  is a no-op (counted as a duplicate);
- the same (origin_db, seq), or the same uuid, with other content is a conflict: the
  whole batch is refused (409) and the conflict is recorded (record_conflicts) and shown
  on the hub's page for the booth. Nothing is merged silently: a conflict means two
  databases claim the same identity (a cloned laptop) and a person must look;
- everything else is inserted, and the hub answers with the highest contiguous sequence
  it holds for that origin_db, plus any gaps above it.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from ...db import unit_of_work
from ...errors import DomainError, Forbidden, InvalidInput, N_, NotFound
from ...models import Barcode, Booth, Fair, Product, RefundLine, Till, User, Void
from ...models.identity import identity
from ...models.sync import HubBooth, IngestState, SyncConflict, SyncHub
from ...timeutil import utcnow
from .. import numbering, sales_summary
from . import signing, wire

MAX_BATCH_RECORDS = 5000
CLOCK_WARN_S = 300  # a booth clock more than 5 minutes off puts wrong hours on its sales
TOKEN_PREFIX = "fpt_"
# Signed quantities: a stock movement is + into stock, - out. Every other quantity or amount
# that travels is a count of units or of đồng and cannot be negative.
SIGNED = {("stock_movement", "qty"), ("shift", "expected_cash_vnd")}
# A record of the first table travels only together with at least one of the second, pointing
# at it through the named column, and the lines' net amounts add up to the total.
WHOLE = {"sale": ("sale_line", "sale_id", "total_vnd", "net_vnd")}
# Catalogue rows a booth may introduce in a push (made at the booth during the fair).
# Fairs and booths never: a booth exists at the hub before it has a token.
REF_TABLES = ("producer", "product", "till", "user")


class NotAHub(NotFound):
    message = N_("Cơ sở dữ liệu này không phải máy chủ tổng hợp (hub)")


class BadToken(DomainError):
    message = N_("Mã đăng nhập của gian hàng sai hoặc đã bị thay")


class RecordOfAnotherBooth(Forbidden):
    message = N_("Bản ghi %(record)s thuộc gian hàng khác: mã này chỉ gửi được dữ liệu của gian hàng %(booth)s")


class BatchTooLarge(DomainError):
    message = N_("Lô dữ liệu quá lớn: tối đa %(max)s bản ghi mỗi lô")


class AlreadyBooth(DomainError):
    message = N_("Cơ sở dữ liệu này đang phục vụ một gian hàng, không thể làm hub")


# --- the hub itself and booth credentials -----------------------------------------------------

def is_hub(session) -> bool:
    return session.scalar(select(func.count()).select_from(SyncHub)) > 0


def require_hub(session) -> None:
    """Raises NotAHub."""
    if not is_hub(session):
        raise NotAHub()


def make_hub(session, name: str = "") -> SyncHub:
    """Mark this database as the organiser's hub. Raises AlreadyBooth when it serves a booth."""
    hub = session.scalars(select(SyncHub)).first()
    if hub is not None:
        return hub
    if identity(session).booth_id is not None:
        raise AlreadyBooth()
    hub = SyncHub(name=str(name or "")[:200])
    session.add(hub)
    session.flush()
    return hub


def find_booth(session, ref) -> Booth:
    """A booth by "FAIR-BOOTH" code (X20-B07), uuid or id. Raises NotFound."""
    text = str(ref or "").strip()
    booth = None
    if "-" in text and len(text) < 36:
        fair_code, _, booth_code = text.upper().partition("-")
        booth = session.scalars(select(Booth).join(Fair).where(Fair.code == fair_code, Booth.code == booth_code)).first()
    elif len(text) == 36:
        booth = session.scalars(select(Booth).where(Booth.uuid == text)).first()
    elif text.isdigit():
        booth = session.get(Booth, int(text))
    if booth is None:
        raise NotFound("Không tìm thấy gian hàng %(ref)s", field="booth", ref=text)
    return booth


def booth_label(booth: Booth) -> str:
    return f"{booth.fair.code}-{booth.code}"


def hub_booth(session, booth: Booth) -> HubBooth:
    row = session.scalars(select(HubBooth).where(HubBooth.booth_id == booth.id)).first()
    if row is None:
        row = HubBooth(booth_id=booth.id)
        session.add(row)
        session.flush()
    return row


@dataclass
class Credentials:
    booth: Booth
    token: str
    signing_key: str | None  # only when created now: shown once


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session, booth: Booth, *, new_key: bool = False) -> Credentials:
    """Give a booth a new login token (the old one stops working) and, the first time or when
    asked, a new signing key. Both are returned to be shown once. Raises NotAHub."""
    require_hub(session)
    row = hub_booth(session, booth)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row.token_hash, row.token_hint, row.token_created_at = _hash_token(token), token[:10], utcnow()
    key = None
    if new_key or not row.signing_key:
        key = signing.new_key()
        row.signing_key, row.key_created_at = key, utcnow()
    session.flush()
    return Credentials(booth, token, key)


def booth_for_token(session, token: str | None) -> Booth:
    """The booth a token belongs to. Raises NotAHub, BadToken."""
    token = (token or "").strip()
    booth = None
    if token.startswith(TOKEN_PREFIX):
        booth = session.scalars(select(Booth).join(HubBooth, HubBooth.booth_id == Booth.id)
                                .where(HubBooth.token_hash == _hash_token(token))).first()
    if booth is None:
        require_hub(session)  # only HubBooth rows make tokens, so a match means this is a hub
        raise BadToken()
    return booth


def signing_key_of(session, booth: Booth) -> str:
    """Raises signing.NoSigningKey."""
    row = session.scalars(select(HubBooth).where(HubBooth.booth_id == booth.id)).first()
    if row is None or not row.signing_key:
        raise signing.NoSigningKey(booth=booth_label(booth))
    return row.signing_key


# --- provisioning (hub -> booth) --------------------------------------------------------------

def provisioning_payload(session, booth: Booth, *, include_key: bool = False) -> dict:
    """What a booth gets from the hub: its fair, its own settings and tills, every producer and
    product with prices and barcodes, and its own staff (managers and cashiers of this booth).

    Never organiser accounts, never another booth's staff or settings. include_key adds the
    booth's signing key (only over the authenticated API, never in a file).
    """
    require_hub(session)
    specs = {s.name: s for s in wire.catalogue_specs()}
    t = {name: spec.table for name, spec in specs.items()}
    selection = {
        "fair": [t["fair"].c.id == booth.fair_id],
        "booth": [t["booth"].c.id == booth.id],
        "producer": [],
        "product": [],
        "till": [t["till"].c.booth_id == booth.id],
        "user": [t["user"].c.booth_id == booth.id, t["user"].c.role.in_(("manager", "cashier"))],
    }
    records = []
    for spec in wire.catalogue_specs():  # parents first
        if spec.name in selection:
            records += wire.dump_rows(session, spec, wire.select_rows(session, spec, *selection[spec.name]))
    numbers = numbering.high_water(session, booth)
    high = numbers["tills_high_water"]
    for rec in records:
        if rec["table"] == "till":
            rec["last_number"] = max(rec["last_number"], high.get(rec["uuid"], 0))
    barcodes: dict[str, list[str]] = {}
    for product_uuid, code in session.execute(select(Product.uuid, Barcode.code).join(Barcode.product).order_by(Barcode.id)):
        barcodes.setdefault(product_uuid, []).append(code)
    payload = {"format": wire.PROVISION_FORMAT, "version": wire.WIRE_VERSION, "booth_uuid": booth.uuid,
               "booth": booth_label(booth), "hub": _hub_name(session), "created_at": utcnow().isoformat(),
               "records": records, "barcodes": barcodes, "numbers": numbers}
    if include_key:
        payload["signing_key"] = signing_key_of(session, booth)
    return payload


def _hub_name(session) -> str:
    hub = session.scalars(select(SyncHub)).first()
    return hub.name if hub else ""


def provisioning_file(session, booth: Booth) -> bytes:
    """The provisioning payload as a file signed with the booth's key (for a laptop with no network).

    Raises NotAHub, signing.NoSigningKey.
    """
    payload = provisioning_payload(session, booth)
    return signing.sign("provision", booth.uuid, booth_label(booth), payload, signing_key_of(session, booth))


# --- ingest (booth -> hub) --------------------------------------------------------------------

@dataclass
class IngestResult:
    origin_db: str
    contiguous_seq: int
    highest_seq: int
    gaps: list
    stored: int
    duplicates: int
    clock_skew_s: int | None

    def as_json(self) -> dict:
        return {"origin_db": self.origin_db, "contiguous_seq": self.contiguous_seq, "highest_seq": self.highest_seq,
                "gaps": self.gaps, "stored": self.stored, "duplicates": self.duplicates,
                "clock_skew_s": self.clock_skew_s}


@dataclass
class _Rec:
    index: int
    spec: wire.Spec
    values: dict
    refs: dict
    seq: int
    raw: dict
    is_context: bool
    duplicate: bool = False
    update_id: int | None = None  # a MUTABLE record (wire.MUTABLE)'s later version: this row is updated, not inserted


_BATCH_KEYS = {"format", "version", "booth_uuid", "origin_db", "sent_at", "records", "context", "refs"}


def _header(booth: Booth, batch, max_records: int | None = MAX_BATCH_RECORDS) -> tuple[str, datetime | None, list, list, list]:
    if not isinstance(batch, dict):
        raise InvalidInput("body", "Nội dung phải là một đối tượng JSON hợp lệ")
    unknown = sorted(set(batch) - _BATCH_KEYS)
    if unknown:
        raise InvalidInput(unknown[0], "Trường không được hỗ trợ: %(name)s", name=unknown[0])
    if batch.get("format") != wire.BATCH_FORMAT or batch.get("version") != wire.WIRE_VERSION:
        raise InvalidInput("format", "Không phải lô dữ liệu Fair POS phiên bản %(v)s", v=wire.WIRE_VERSION)
    if batch.get("booth_uuid") != booth.uuid:
        raise RecordOfAnotherBooth(record=f"booth_uuid {str(batch.get('booth_uuid'))[:36]}", booth=booth_label(booth))
    origin = batch.get("origin_db")
    if not isinstance(origin, str) or not wire._UUID.match(origin):
        raise InvalidInput("origin_db", "Mã cơ sở dữ liệu gửi (origin_db) không hợp lệ")
    sent_at = None
    if batch.get("sent_at") is not None:
        try:
            sent_at = wire._convert(wire.Field("sent_at", "sent_at", "datetime", True, None, None), batch["sent_at"])
        except (TypeError, ValueError):
            raise InvalidInput("sent_at", "Thời điểm gửi không hợp lệ") from None
    lists = []
    for key in ("records", "context", "refs"):
        value = batch.get(key, [])
        if not isinstance(value, list):
            raise InvalidInput(key, "Phải là một danh sách")
        lists.append(value)
    if max_records is not None and sum(len(v) for v in lists) > max_records:
        raise BatchTooLarge(max=max_records)
    return origin, sent_at, *lists


def _nonneg(spec: wire.Spec) -> tuple[str, ...]:
    return tuple(f.attr for f in spec.fields
                 if f.kind == "int" and (spec.name, f.attr) not in SIGNED
                 and (f.attr == "qty" or f.attr.endswith("_qty") or f.attr.endswith("_vnd")))


def _load(booth: Booth, specs: dict, raw_records: list, *, offset: int, is_context: bool) -> list[_Rec]:
    out = []
    nonneg = {name: _nonneg(spec) for name, spec in specs.items()}
    booth_uuid = booth.uuid
    for i, raw in enumerate(raw_records, start=offset):
        table = raw.get("table") if type(raw) is dict else None
        spec = specs.get(table)
        if spec is None:
            raise wire.BadRecord(i, table, raw.get("uuid") if isinstance(raw, dict) else None,
                                 N_("loại bản ghi không được đồng bộ"), "table")
        values, refs = wire.load_record(spec, raw, i)
        seq = raw.get("seq")
        if type(seq) is not int or not 1 <= seq <= wire.INT_MAX:
            raise wire.BadRecord(i, spec.name, values["uuid"], N_("số thứ tự (seq) không hợp lệ"), "seq")
        if refs.get("booth_id") != booth_uuid:
            raise RecordOfAnotherBooth(record=f"{spec.name} {values['uuid']}", booth=booth_label(booth))
        for attr in nonneg[table]:
            value = values.get(attr)
            if value is not None and value < 0:
                key = spec.field(attr).key
                raise wire.BadRecord(i, spec.name, values["uuid"], N_("%(name)s không được âm"), key, name=key)
        out.append(_Rec(i, spec, values, refs, seq, raw, is_context))
    return out


def _check_whole(recs: list[_Rec]) -> None:
    """Every new sale travels with its lines, and they add up to its total; no line travels alone."""
    new = [r for r in recs if not r.duplicate]
    for parent_table, (child_table, link, total_col, part_col) in WHOLE.items():
        parents = {r.values["uuid"]: r for r in new if r.spec.name == parent_table}
        sums: dict[str, int] = {}
        for r in new:
            if r.spec.name != child_table:
                continue
            parent_uuid = r.refs.get(link)
            if parent_uuid not in parents:
                raise wire.BadRecord(r.index, child_table, r.values["uuid"],
                                     N_("phải được gửi cùng lô với %(parent)s của nó"), parent=parent_table)
            sums[parent_uuid] = sums.get(parent_uuid, 0) + r.values[part_col]
        for parent_uuid, r in parents.items():
            if parent_uuid not in sums:
                raise wire.BadRecord(r.index, parent_table, parent_uuid, N_("gửi thiếu các dòng %(child)s"),
                                     child=child_table)
            if sums[parent_uuid] != r.values[total_col]:
                raise wire.BadRecord(r.index, parent_table, parent_uuid,
                                     N_("tổng các dòng (%(lines)s) khác tổng đơn (%(total)s)"),
                                     lines=sums[parent_uuid], total=r.values[total_col])


def _ranges_add(ranges: list[list[int]], seqs) -> list[list[int]]:
    merged = [list(r) for r in ranges]
    for s in sorted(set(seqs)):
        merged.append([s, s])
    merged.sort()
    out: list[list[int]] = []
    for lo, hi in merged:
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def _held(ranges: list[list[int]], starts: list[int], seq: int) -> bool:
    i = bisect.bisect_right(starts, seq) - 1
    return i >= 0 and ranges[i][0] <= seq <= ranges[i][1]


def _contiguous(ranges) -> int:
    return ranges[0][1] if ranges and ranges[0][0] == 1 else 0


def _lock_state(session, booth: Booth, origin: str) -> IngestState:
    """The origin's ingest state, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already serialises writers). Raises RecordOfAnotherBooth."""
    stmt = select(IngestState).where(IngestState.origin_db == origin).with_for_update()
    state = session.scalars(stmt).first()
    if state is None:
        try:
            with session.begin_nested():
                session.add(IngestState(booth_id=booth.id, origin_db=origin, first_push_at=utcnow()))
        except DBAPIError:
            pass  # another push of the same database created it first: read theirs
        state = session.scalars(stmt.execution_options(populate_existing=True)).one()
    if state.booth_id != booth.id:
        raise RecordOfAnotherBooth(record=f"origin_db {origin}", booth=booth_label(booth))
    return state


def _mark_duplicates(session, origin: str, state_ranges, recs: list[_Rec], kept: list | None = None) -> list[dict]:
    """Flag records the hub already holds as duplicates; return conflicts (same seq or uuid, other content).
    kept collects the differences the hub keeps its own version of without refusing (a shift closed twice)."""
    kept = [] if kept is None else kept
    starts = [r[0] for r in state_ranges]
    candidates: dict[str, list[_Rec]] = {}
    for r in recs:
        if _held(state_ranges, starts, r.seq):
            if r.is_context:
                # A copy of a record this batch points at, already here: nothing to store. It was
                # compared when it came as a record of its own batch.
                r.duplicate = True
                continue
            candidates.setdefault(r.spec.name, []).append(r)
    conflicts = []
    held_seqs_elsewhere = {}
    for table, group in candidates.items():
        spec = group[0].spec
        rows = []
        for chunk in wire._chunks([r.seq for r in group]):
            rows += wire.select_rows(session, spec, spec.table.c.origin_db == origin, spec.table.c.origin_seq.in_(chunk))
        held = {rec["seq"]: rec for rec in wire.dump_rows(session, spec, rows)}
        ids = {row["origin_seq"]: row["id"] for row in rows}
        final = wire.MUTABLE.get(spec.name)
        for r in group:
            mine = held.get(r.seq)
            if mine is not None and mine["uuid"] == r.values["uuid"] and wire.same_content(spec, mine, r.values, r.refs):
                r.duplicate = True
                continue
            if mine is None:
                held_seqs_elsewhere[r.seq] = r
                continue
            if final and mine["uuid"] == r.values["uuid"]:
                if mine[final] is None and r.values[final] is not None:
                    r.update_id = ids[r.seq]  # the closed version of a record held open
                    continue
                if mine[final] is not None and r.values[final] is None:
                    r.duplicate = True  # the open version again: the hub keeps the closed one
                    continue
                if mine[final] is not None and r.values[final] is not None:
                    # Closed twice: a booth restored from a backup taken while the shift was open closed
                    # it again. The hub keeps the first closing and shows the second to the organiser;
                    # the batch goes through, so the booth is never stuck on it.
                    r.duplicate = True
                    kept.append(_conflict(origin, r, N_("ca đã đóng ở máy cũ lại được đóng lần nữa ở máy khôi phục: "
                                                        "giữ lần đóng đầu, lần sau ghi ở đây để đối chiếu tiền"), mine))
                    continue
            conflicts.append(_conflict(origin, r, N_("cùng số thứ tự, nội dung khác"), mine))
    if held_seqs_elsewhere:
        # The sequence is held, by a record of another table: find it to show both.
        for spec in wire.travelling_specs():
            seqs = [s for s in held_seqs_elsewhere]
            rows = wire.select_rows(session, spec, spec.table.c.origin_db == origin, spec.table.c.origin_seq.in_(seqs))
            for held in wire.dump_rows(session, spec, rows):
                r = held_seqs_elsewhere.pop(held["seq"])
                conflicts.append(_conflict(origin, r, N_("cùng số thứ tự, nội dung khác"), held))
            if not held_seqs_elsewhere:
                break
    return conflicts


def _conflict(origin: str, r: _Rec, reason: str, held: dict | None) -> dict:
    from flask_babel import gettext

    return {"origin_db": origin, "origin_seq": r.seq, "table": r.spec.name, "uuid": r.values["uuid"],
            "reason": gettext(reason), "received": r.raw, "held": held}


def _resolve(session, booth: Booth, recs: list[_Rec], known: dict[str, dict[str, int]], inserted: list[_Rec]) -> None:
    """Look up, by uuid, every row recs point at that is not among the records inserted by this
    batch; refuse unknown ones and rows of another booth. Fills known[table][uuid] = id."""
    in_batch = {(r.spec.name, r.values["uuid"]) for r in inserted}
    wanted: dict[str, set] = {}
    for r in recs:
        for f in r.spec.refs:
            uuid = r.refs.get(f.attr)
            if uuid is None or uuid in known.get(f.target, {}) or (f.target, uuid) in in_batch:
                continue
            wanted.setdefault(f.target, set()).add(uuid)
    found_all = wire.ids_for_uuids_many(session, wanted) if wanted else {}
    for target, uuids in wanted.items():
        found = found_all[target]
        for uuid, (id_, booth_id) in found.items():
            if booth_id is not None and booth_id != booth.id:
                r = next(r for r in recs if uuid in r.refs.values())
                raise RecordOfAnotherBooth(record=f"{r.spec.name} {r.values['uuid']} -> {target} {uuid}",
                                           booth=booth_label(booth))
            known.setdefault(target, {})[uuid] = id_
        missing = uuids - set(found)
        if missing:
            for r in recs:
                for f in r.spec.refs:
                    if f.target == target and r.refs.get(f.attr) in missing:
                        raise wire.BadRecord(r.index, r.spec.name, r.values["uuid"],
                                             N_("tham chiếu %(name)s chưa có ở hub (cần gửi bản ghi đó trước)"),
                                             f.key, name=f.key)


def _rows_for(spec: wire.Spec, recs: list[_Rec], booth: Booth, origin: str, known) -> list[dict]:
    rows = []
    for r in recs:
        row = dict(r.values)
        row["origin_db"], row["origin_seq"], row["booth_id"] = origin, r.seq, booth.id
        for f in spec.refs:
            if f.attr == "booth_id":
                continue
            uuid = r.refs.get(f.attr)
            row[f.attr] = None if uuid is None else known[f.target][uuid]
        rows.append(row)
    return rows


def _db_errors() -> tuple:
    errors: tuple = (DBAPIError,)
    try:
        import psycopg

        errors += (psycopg.Error,)
    except ImportError:  # a booth laptop without PostgreSQL's driver
        pass
    return errors


_SEQUENCES: dict[tuple, str] = {}  # (database url, table) -> the sequence behind its id column


def _new_ids(session, counts: dict[str, int]) -> dict[str, list[int]]:
    """PostgreSQL: ids for new rows of several tables, from each table's own sequence, in one
    query that answers one array per table (nextval is concurrency-safe: two hubs' workers never
    get the same id). The sequences' names are looked up once per database."""
    from sqlalchemy import text

    wanted = {name: n for name, n in counts.items() if n}
    out: dict[str, list[int]] = {name: [] for name in counts}
    if not wanted:
        return out
    url = str(session.get_bind().url)
    unknown = [name for name in wanted if (url, name) not in _SEQUENCES]
    for name in unknown:
        _SEQUENCES[(url, name)] = session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                                  {"t": f'"{name}"'}).scalar_one()
    parts, params = [], {}
    for i, (name, n) in enumerate(wanted.items()):
        parts.append(f"SELECT {i} AS t, ARRAY(SELECT nextval(CAST(:s{i} AS regclass)) FROM generate_series(1, :n{i})) AS ids")
        params[f"s{i}"], params[f"n{i}"] = _SEQUENCES[(url, name)], n
    names = list(wanted)
    for i, ids in session.execute(text(" UNION ALL ".join(parts)), params):
        out[names[i]] = list(ids)
    return out


def _insert(session, spec: wire.Spec, rows: list[dict], returning: bool, ids: list[int] | None = None) -> dict[str, int]:
    """Insert rows of one table; returns uuid -> id when asked (for the records pointing at them).

    On PostgreSQL the rows go in with COPY, the bulk path, inside the same transaction: ids
    are drawn from the table's own sequence first (_new_ids), so they are known without
    RETURNING. Everything was checked beforehand; a database refusal still rolls the batch back.
    """
    if not rows:
        return {}
    table = spec.table
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        if ids is None:
            ids = _new_ids(session, {table.name: len(rows)})[table.name]
        columns = ["id", *rows[0].keys()]
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor = connection.connection.driver_connection.cursor()
        try:
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                keys = columns[1:]
                for id_, row in zip(ids, rows):
                    copy.write_row((id_, *[row[k] for k in keys]))
        finally:
            cursor.close()
        return {row["uuid"]: id_ for id_, row in zip(ids, rows)} if returning else {}
    if returning:
        return dict(session.execute(insert(table).returning(table.c.uuid, table.c.id), rows).all())
    session.execute(insert(table), rows)
    return {}


def _store(session, booth: Booth, origin: str, recs: list[_Rec], known) -> None:
    """Insert the new records table by table, parents first. On a database refusal the whole
    insert is rolled back to its savepoint and replayed row by row to name the record."""
    specs = wire.travelling_specs()
    referenced = {f.target for s in specs for f in s.refs}
    by_table: dict[str, list[_Rec]] = {}
    for r in recs:
        by_table.setdefault(r.spec.name, []).append(r)
    try:
        with session.begin_nested():
            new_ids = None
            if session.connection().dialect.name == "postgresql":
                new_ids = _new_ids(session, {name: len(group) for name, group in by_table.items()})
            for spec in specs:
                group = by_table.get(spec.name)
                if group:
                    ids = _insert(session, spec, _rows_for(spec, group, booth, origin, known), spec.name in referenced,
                                  new_ids[spec.name] if new_ids else None)
                    known.setdefault(spec.name, {}).update(ids)
        return
    except _db_errors():
        pass
    for spec in specs:
        for r in by_table.get(spec.name, []):
            try:
                with session.begin_nested():
                    ids = _insert(session, spec, _rows_for(spec, [r], booth, origin, known), True)
            except _db_errors() as exc:
                raise _explain_refusal(session, origin, r, exc) from None
            known.setdefault(spec.name, {}).update(ids)


def _explain_refusal(session, origin: str, r: _Rec, exc: DBAPIError) -> DomainError:
    text = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
    table = r.spec.table
    held = session.execute(select(table).where(table.c.uuid == r.values["uuid"])).mappings().first()
    if held is not None:
        mine = wire.dump_rows(session, r.spec, [held])[0]
        mine["origin_db"] = held["origin_db"]
        return wire.Conflict([_conflict(origin, r, N_("cùng uuid, nguồn hoặc nội dung khác"), mine)])
    if "unique" in text.lower() or "duplicate" in text.lower():
        return wire.Conflict([_conflict(origin, r, N_("số chứng từ đã được một bản ghi khác dùng"), {"database": text})])
    return wire.BadRecord(r.index, r.spec.name, r.values["uuid"], N_("cơ sở dữ liệu từ chối: %(why)s"), why=text)


def _store_refs(session, booth: Booth, raw_refs: list, offset: int) -> dict[str, dict[str, int]]:
    """Catalogue rows the booth made itself (a product added at the fair, a till, a cashier):
    created at the hub when unknown, never changing a row the hub already has (the hub is the
    master of the catalogue). Returns known[table][uuid] = id for every ref."""
    # A booth never sends a password or PIN hash up: one that does is refused (unknown field).
    specs = {s.name: wire.Spec(s.name, s.model, s.table,
                               tuple(f for f in s.fields if (s.name, f.attr) not in wire.SECRET_COLUMNS), False, ())
             for s in wire.catalogue_specs() if s.name in REF_TABLES}
    by_table: dict[str, list] = {}
    for i, raw in enumerate(raw_refs, start=offset):
        table = raw.get("table") if isinstance(raw, dict) else None
        if table not in REF_TABLES:
            raise wire.BadRecord(i, table, raw.get("uuid") if isinstance(raw, dict) else None,
                                 N_("loại bản ghi không được gửi lên hub"), "table")
        uuid = raw.get("uuid")
        if type(uuid) is not str or len(uuid) != 36:
            raise wire.BadRecord(i, table, None, N_("thiếu uuid hoặc uuid không hợp lệ"), "uuid")
        if not specs[table].allowed.issuperset(raw):
            wire.load_record(specs[table], raw, i)  # raises, naming the unknown field
        by_table.setdefault(table, []).append((i, raw))
    known: dict[str, dict[str, int]] = {"booth": {booth.uuid: booth.id}}
    found_all = wire.ids_for_uuids_many(session, {t: {raw["uuid"] for _, raw in items} for t, items in by_table.items()})
    for spec in wire.catalogue_specs():  # parents first: producer before product
        items = by_table.get(spec.name)
        if not items:
            continue
        found = found_all[spec.name]
        for i, raw in items:
            if raw["uuid"] in found:
                # Known here: its content is not read (the hub's copy is the master), only whose it is.
                row = found[raw["uuid"]]
                if row[1] is not None and row[1] != booth.id:
                    raise RecordOfAnotherBooth(record=f"{spec.name} {raw['uuid']}", booth=booth_label(booth))
                known.setdefault(spec.name, {})[raw["uuid"]] = row[0]
                continue
            values, refs = wire.load_record(specs[spec.name], raw, i)
            known.setdefault(spec.name, {})[raw["uuid"]] = _create_ref(session, booth, spec, i, values, refs, known)
    return known


def _create_ref(session, booth: Booth, spec: wire.Spec, index: int, values: dict, refs: dict, known) -> int:
    row = dict(values)
    for f in spec.refs:
        uuid = refs.get(f.attr)
        if f.attr == "booth_id":
            if uuid is not None and uuid != booth.uuid:
                raise RecordOfAnotherBooth(record=f"{spec.name} {values['uuid']}", booth=booth_label(booth))
            row[f.attr] = booth.id if (uuid is not None or spec.name == "till") else None
            continue
        if uuid is None:
            row[f.attr] = None
            continue
        target_id = known.get(f.target, {}).get(uuid)
        if target_id is None:
            target_id = wire.ids_for_uuids(session, f.target, [uuid]).get(uuid, (None,))[0]
        if target_id is None:
            raise wire.BadRecord(index, spec.name, values["uuid"], N_("tham chiếu %(name)s chưa có ở hub"), f.key,
                                 name=f.key)
        row[f.attr] = target_id
    if spec.name == "user":
        # Known at the hub only as the author of the booth's records: no login, no PIN, never an organiser.
        row["booth_id"] = booth.id
        row["password_hash"], row["pin_hash"], row["is_active"] = "!", None, False
        if row.get("role") == "organiser":
            row["role"] = "manager"
        if session.scalar(select(func.count()).select_from(User).where(func.lower(User.username) == row["username"].lower())):
            row["username"] = f"{row['username'][:50]}.{values['uuid'][:8]}"
    elif spec.name == "till":
        if session.scalar(select(func.count()).select_from(Till).where(Till.booth_id == booth.id, Till.code == row["code"])):
            row["code"] = f"{row['code'][:4]}{values['uuid'][:4]}".upper()
        row["last_number"] = 0
    elif spec.name == "product":
        if row.get("stamp_code") and session.scalar(select(func.count()).select_from(Product)
                                                    .where(Product.stamp_code == row["stamp_code"])):
            row["stamp_code"] = None
    try:
        with session.begin_nested():
            return session.execute(insert(spec.table).returning(spec.table.c.id), [row]).scalar_one()
    except DBAPIError as exc:
        text = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        raise wire.BadRecord(index, spec.name, values["uuid"], N_("cơ sở dữ liệu từ chối: %(why)s"), why=text) from None


def _producers_of(session, product_ids) -> dict[int, int]:
    """product id -> its producer's id, as the hub's catalogue says now."""
    if not product_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # id = ANY(:array): one statement text whatever the number of products, planned once.
        from sqlalchemy import Integer, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        ids = bindparam("product_ids", sorted(product_ids), type_=ARRAY(Integer))
        return dict(session.execute(select(Product.id, Product.producer_id).where(Product.id == any_(ids))).all())
    out: dict[int, int] = {}
    for chunk in wire._chunks(product_ids):
        out.update(session.execute(select(Product.id, Product.producer_id).where(Product.id.in_(chunk))).all())
    return out


def _add_to_summary(session, booth: Booth, new: list[_Rec], known) -> None:
    """Add the sales, refunds and voids just stored to the dashboard's summary tables, all in one
    pass. Never a record the hub already held: those were marked duplicates and are not in new.
    The new sales are counted from their records in hand (each new line travels with its new
    sale, _check_whole saw to it); only the products' producers are read, as the hub holds them."""
    sales: dict[str, sales_summary.NewSale] = {}
    lines: list[_Rec] = []
    uuids: dict[str, list[str]] = {"void": [], "refund_line": []}
    for r in new:
        name = r.spec.name
        if name == "sale":
            sales[r.values["uuid"]] = sales_summary.NewSale(booth.id, r.values["created_at"], [])
        elif name == "sale_line":
            lines.append(r)
        elif name in uuids:
            uuids[name].append(r.values["uuid"])
    if not sales and not any(uuids.values()):
        return
    products = known.get("product", {})
    product_ids = {products[r.refs["product_id"]] for r in lines}
    producer_of = _producers_of(session, product_ids)
    for r in lines:
        v = r.values
        product_id = products[r.refs["product_id"]]
        qty = v["qty"]
        sales[r.refs["sale_id"]].lines.append(
            (booth.id, product_id, producer_of[product_id], qty, qty * v["unit_price_vnd"],
             v["line_discount_vnd"] + v["order_discount_vnd"], v["net_vnd"]))
    void_ids, refund_line_ids = [], []
    for model, wanted, ids in ((Void, uuids["void"], void_ids), (RefundLine, uuids["refund_line"], refund_line_ids)):
        for chunk in wire._chunks(wanted):
            ids += session.scalars(select(model.id).where(model.uuid.in_(chunk)))
    sales_summary.add_records(session, new_sales=list(sales.values()), refund_line_ids=refund_line_ids,
                              void_ids=void_ids)


def ingest_batch(session, booth: Booth, batch: dict, *, via: str = "http", now: datetime | None = None,
                 max_records: int | None = MAX_BATCH_RECORDS) -> IngestResult:
    """Check a booth's batch whole and store it in the caller's transaction.

    booth comes from booth_for_token or import_file (which check this is a hub). Returns the
    highest contiguous sequence the hub now holds for the batch's database.
    Raises InvalidInput / sync_wire.BadRecord (malformed, unknown field, negative
    quantity, sale without its lines, unknown reference), RecordOfAnotherBooth,
    BatchTooLarge, wire.Conflict (nothing stored; record the conflicts with record_conflicts).
    """
    now = now or utcnow()
    origin, sent_at, raw_records, raw_context, raw_refs = _header(booth, batch, max_records)
    specs = {s.name: s for s in wire.travelling_specs()}
    recs = _load(booth, specs, raw_records, offset=0, is_context=False)
    recs += _load(booth, specs, raw_context, offset=len(raw_records), is_context=True)
    seen_uuid, seen_seq = set(), set()
    for r in recs:
        if r.values["uuid"] in seen_uuid or r.seq in seen_seq:
            raise wire.BadRecord(r.index, r.spec.name, r.values["uuid"], N_("gửi hai lần trong cùng một lô"))
        seen_uuid.add(r.values["uuid"])
        seen_seq.add(r.seq)

    state = _lock_state(session, booth, origin)
    ranges = state.ranges
    kept: list[dict] = []
    conflicts = _mark_duplicates(session, origin, ranges, recs, kept)
    if conflicts:
        raise wire.Conflict(conflicts)
    if kept:
        record_conflicts(session, booth, kept)
    _check_whole([r for r in recs if r.update_id is None])
    new = [r for r in recs if not r.duplicate and r.update_id is None]
    updates = [r for r in recs if r.update_id is not None]
    known = _store_refs(session, booth, raw_refs, offset=len(raw_records) + len(raw_context))
    _resolve(session, booth, new + updates, known, new)
    _store(session, booth, origin, new, known)
    _add_to_summary(session, booth, new, known)
    for r in updates:
        row = _rows_for(r.spec, [r], booth, origin, known)[0]
        session.execute(update(r.spec.table).where(r.spec.table.c.id == r.update_id).values(**row))

    ranges = _ranges_add(ranges, [r.seq for r in new])
    state.held_ranges = json.dumps(ranges, separators=(",", ":"))
    state.contiguous_seq = _contiguous(ranges)
    state.records_stored += len(new)
    state.duplicates += sum(1 for r in recs if r.duplicate and not r.is_context)
    state.batches += 1
    state.last_push_at, state.last_via = now, via
    if via == "http" and sent_at is not None:
        # The batch says what the booth's clock read when it was sent; transit time is noise here.
        state.clock_skew_s = int(round((sent_at - now).total_seconds()))
    session.flush()
    gaps = state.gaps
    return IngestResult(origin, state.contiguous_seq, ranges[-1][1] if ranges else 0, gaps, len(new),
                        sum(1 for r in recs if r.duplicate and not r.is_context),
                        state.clock_skew_s if via == "http" else None)


def record_conflicts(session, booth: Booth, conflicts: list[dict]) -> None:
    """Keep the records a refused batch clashed on, for the organiser to look at."""
    for c in conflicts[:100]:
        session.add(SyncConflict(
            booth_id=booth.id, origin_db=str(c["origin_db"])[:36], origin_seq=c.get("origin_seq"),
            record_table=str(c["table"])[:64], record_uuid=str(c.get("uuid") or "")[:36], reason=c["reason"],
            received=json.dumps(c.get("received"), ensure_ascii=False, default=str),
            held=json.dumps(c.get("held"), ensure_ascii=False, default=str)))
    session.flush()


def import_file(session, data: bytes, *, booth: Booth | None = None) -> tuple[Booth, list[IngestResult]]:
    """Import a booth's signed push file (from a USB stick), all its batches in the caller's one
    transaction. booth, when given, is the booth the file must belong to.

    Raises NotAHub, signing.UnreadableFile / TamperedFile / ForeignFile / WrongKindFile,
    NotFound (a booth the hub does not know), and whatever ingest_batch raises.
    """
    require_hub(session)
    header = signing.read_header(data)
    file_booth = session.scalars(select(Booth).where(Booth.uuid == header["booth_uuid"])).first()
    if booth is not None and (file_booth is None or file_booth.id != booth.id):
        raise signing.ForeignFile(theirs=header["booth"] or header["booth_uuid"], ours=booth_label(booth))
    if file_booth is None:
        raise NotFound("Hub không có gian hàng %(booth)s của tệp này", field="file", booth=header["booth"])
    key = signing_key_of(session, file_booth)
    _, payload = signing.open_signed(data, key, kind="push", booth_uuid=file_booth.uuid,
                                     booth_label=booth_label(file_booth))
    batches = payload.get("batches")
    if payload.get("format") != wire.PUSH_FILE_FORMAT or not isinstance(batches, list):
        raise signing.UnreadableFile(why="không có lô dữ liệu")
    return file_booth, [ingest_batch(session, file_booth, b, via="file") for b in batches]


def store_whole(session, booth_id: int | None, run):
    """Run one ingest use case, run(session), in a transaction of its own and commit it; on a
    Conflict, keep the clash for the organiser (against booth_id) in a second transaction, since the
    first was rolled back, and raise it again.

    Unlike most services this one commits: what is recorded of a refused batch must outlive the
    refusal. The hub's JSON API, its upload page and `pos sync import` all take batches this way.
    """
    try:
        with unit_of_work(session) as s:
            return run(s)
    except wire.Conflict as err:
        if booth_id is not None:
            with unit_of_work(session) as s:
                record_conflicts(s, s.get(Booth, booth_id), err.conflicts)
        raise


def store_file(session, data: bytes, *, booth: Booth | None = None) -> tuple[Booth, list[IngestResult]]:
    """import_file in a transaction of its own (store_whole); a clash is kept against the booth whose
    key signed the file. Raises what import_file raises."""
    header = signing.read_header(data)
    file_booth = session.scalars(select(Booth).where(Booth.uuid == header["booth_uuid"])).first()
    stored = {}

    def run(s):
        file_booth_in_tx, results = import_file(s, data, booth=s.get(Booth, booth.id) if booth else None)
        stored["booth_id"] = file_booth_in_tx.id
        return results

    results = store_whole(session, file_booth.id if file_booth else None, run)
    return session.get(Booth, stored["booth_id"]), results


# --- a restored booth gets back what it lost -------------------------------------------------

class UnknownOrigin(NotFound):
    message = N_("Hub không giữ bản ghi nào của cơ sở dữ liệu %(origin)s của gian hàng này")


def records_of(session, booth: Booth, origin: str, after: int) -> dict:
    """The records the hub holds of one of this booth's databases above sequence `after`, and the
    shifts of it the hub holds closed, as one batch (their origin kept), with the hub's
    contiguous sequence for that database: what a booth restored from a backup taken at `after`
    takes back in (sync_booth.fetch_lost).

    Raises NotAHub, UnknownOrigin (a database the hub holds nothing of for this booth).
    """
    require_hub(session)
    state = session.scalars(select(IngestState).where(IngestState.origin_db == str(origin))).first()
    if state is None or state.booth_id != booth.id:
        raise UnknownOrigin(origin=str(origin)[:36])
    members: dict[str, list[int]] = {}
    for spec in wire.travelling_specs():
        t = spec.table
        cond = t.c.origin_seq > after
        if spec.name in wire.MUTABLE:
            cond = or_(cond, t.c[wire.MUTABLE[spec.name]].is_not(None))
        ids = list(session.scalars(select(t.c.id).where(t.c.origin_db == state.origin_db, cond)))
        if ids:
            members[spec.name] = ids
    batch = wire.dump_batch(session, fmt=wire.BATCH_FORMAT, booth_uuid=booth.uuid, origin_db=state.origin_db,
                            members=members, context={})
    return {"batch": batch, "contiguous_seq": state.contiguous_seq}


def acknowledgement_file(session, booth: Booth, *, pushed: bytes | None = None) -> bytes:
    """The hub's answer to a booth that syncs by file, signed with its key: per database of the
    booth the highest contiguous sequence the hub holds (the booth moves its cursors: its next
    export holds only the rest), the highest receipt, shift and document numbers, the shifts held
    closed, the hub's totals (the booth compares), and, when the pushed file says the booth was
    restored from a backup, its lost self's records above the backup (the booth takes them in).

    Raises NotAHub, signing.NoSigningKey, and what signing.open_signed raises for `pushed`.
    """
    require_hub(session)
    key = signing_key_of(session, booth)
    contiguous = {o: seq for o, seq in session.execute(
        select(IngestState.origin_db, IngestState.contiguous_seq).where(IngestState.booth_id == booth.id))}
    payload = {"format": wire.ACK_FORMAT, "version": wire.WIRE_VERSION, "booth_uuid": booth.uuid,
               "contiguous": contiguous, "hub": wire.booth_totals(session, booth.id),
               **numbering.high_water(session, booth), "closed_shifts": closed_shifts(session, booth)}
    if pushed is not None:
        _, pushed_payload = signing.open_signed(pushed, key, kind="push", booth_uuid=booth.uuid,
                                                booth_label=booth_label(booth))
        lost = pushed_payload.get("restored_from")
        if (isinstance(lost, dict) and isinstance(lost.get("db"), str)
                and isinstance(lost.get("after"), int) and not isinstance(lost.get("after"), bool)):
            try:
                payload["lost"] = records_of(session, booth, lost["db"], lost["after"])
            except UnknownOrigin:  # the lost laptop never pushed: nothing to give back
                payload["lost"] = {"batch": None, "contiguous_seq": 0}
    return signing.sign("ack", booth.uuid, booth_label(booth), payload, key)


# --- totals -----------------------------------------------------------------------------------

def _check_totals(data) -> dict:
    if not isinstance(data, dict) or data.get("format") != wire.TOTALS_FORMAT:
        raise InvalidInput("format", "Không phải bảng tổng của Fair POS")
    unknown = sorted(set(data) - {"format", "products", "records", "unpushed"})
    if unknown:
        raise InvalidInput(unknown[0], "Trường không được hỗ trợ: %(name)s", name=unknown[0])
    products, records = data.get("products"), data.get("records")
    if not isinstance(products, dict) or not isinstance(records, dict):
        raise InvalidInput("products", "Bảng tổng không hợp lệ")
    for uuid, row in products.items():
        if (not isinstance(row, dict) or set(row) != {"units", "net_vnd"}
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in row.values())):
            raise InvalidInput(f"products.{str(uuid)[:36]}", "Bảng tổng không hợp lệ")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in records.values()):
        raise InvalidInput("records", "Bảng tổng không hợp lệ")
    unpushed = data.get("unpushed", 0)
    if isinstance(unpushed, bool) or not isinstance(unpushed, int):
        raise InvalidInput("unpushed", "Phải là số nguyên")
    return data


def compare_totals(session, booth: Booth, booth_side: dict) -> dict:
    """Compare a booth's totals (over what the hub acknowledged) with the hub's, remember the
    outcome for the booth's status page, and return the hub's figures and the differences.

    Raises NotAHub, InvalidInput."""
    require_hub(session)
    booth_side = _check_totals(booth_side)
    hub_side = wire.booth_totals(session, booth.id)
    uuids = set(booth_side["products"]) | set(hub_side["products"])
    names = dict(session.execute(select(Product.uuid, Product.name).where(Product.uuid.in_(list(uuids)))).all()) if uuids else {}
    diff = wire.differences(booth_side, hub_side, names)
    row = hub_booth(session, booth)
    row.last_compare_at = utcnow()
    row.last_compare = json.dumps(dict(diff, booth_unpushed=booth_side.get("unpushed", 0)), ensure_ascii=False)
    session.flush()
    return {"format": wire.TOTALS_FORMAT, "hub": hub_side, "differences": diff,
            **numbering.high_water(session, booth), "closed_shifts": closed_shifts(session, booth)}


def closed_shifts(session, booth: Booth) -> list[dict]:
    """The booth's shifts the hub holds closed, in their wire form: a booth restored from a backup
    taken while one was open closes it as it was closed (sync_booth.adopt_closed_shifts), rather
    than closing it a second time with another count the hub would have to refuse."""
    spec = next(s for s in wire.travelling_specs() if s.name == "shift")
    return wire.dump_rows(session, spec, wire.select_rows(session, spec, spec.table.c.booth_id == booth.id,
                                                          spec.table.c.closed_at.is_not(None)))


# --- status pages -----------------------------------------------------------------------------

@dataclass
class BoothStatus:
    booth: Booth
    credentials: HubBooth | None
    origins: list[IngestState] = field(default_factory=list)
    conflicts: list[SyncConflict] = field(default_factory=list)
    conflict_count: int = 0

    @property
    def records(self) -> int:
        return sum(o.records_stored for o in self.origins)

    @property
    def duplicates(self) -> int:
        return sum(o.duplicates for o in self.origins)

    @property
    def gaps(self) -> list[tuple[str, list[int]]]:
        return [(o.origin_db, g) for o in self.origins for g in o.gaps]

    @property
    def last_push_at(self):
        times = [o.last_push_at for o in self.origins if o.last_push_at]
        return max(times) if times else None

    @property
    def clock_skew_s(self) -> int | None:
        live = [o for o in self.origins if o.clock_skew_s is not None and o.last_push_at]
        return max(live, key=lambda o: o.last_push_at).clock_skew_s if live else None

    @property
    def clock_warning(self) -> bool:
        return self.clock_skew_s is not None and abs(self.clock_skew_s) > CLOCK_WARN_S

    @property
    def compare(self) -> dict | None:
        return self.credentials.compare if self.credentials else None

    @property
    def mismatches(self) -> int:
        c = self.compare
        return len(c["products"]) + len(c["records"]) if c else 0


def booth_status(session, booth: Booth, *, conflicts_limit: int = 50) -> BoothStatus:
    require_hub(session)
    creds = session.scalars(select(HubBooth).where(HubBooth.booth_id == booth.id)).first()
    origins = list(session.scalars(select(IngestState).where(IngestState.booth_id == booth.id)
                                   .order_by(IngestState.first_push_at)))
    conflicts = list(session.scalars(select(SyncConflict).where(SyncConflict.booth_id == booth.id)
                                     .order_by(SyncConflict.id.desc()).limit(conflicts_limit)))
    count = session.scalar(select(func.count()).select_from(SyncConflict).where(SyncConflict.booth_id == booth.id))
    return BoothStatus(booth, creds, origins, conflicts, int(count or 0))


def hub_overview(session) -> list[BoothStatus]:
    """Every booth the hub knows, with what it has pushed."""
    require_hub(session)
    booths = session.scalars(select(Booth).join(Fair).order_by(Fair.starts_on.desc(), Fair.code, Booth.code))
    return [booth_status(session, b, conflicts_limit=0) for b in booths]


def fair_totals(session, fair_id: int) -> dict:
    """The hub's records of a fair, per table: the sum of its booths' (for checking, record for record)."""
    booth_ids = [b for (b,) in session.execute(select(Booth.id).where(Booth.fair_id == fair_id))]
    out: dict[str, int] = {}
    for bid in booth_ids:
        for table, n in wire.booth_totals(session, bid)["records"].items():
            out[table] = out.get(table, 0) + n
    return out

