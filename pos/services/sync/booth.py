"""The booth's side of sync: provisioning from the hub, the cursor, batches, push, export.

The booth sends every travelling record the hub has not acknowledged: per database
that wrote records here (origin_db; a restored booth has its old identity's records
and its new one's), those with a sequence above the hub's last answer. Records are
grouped by their links (sync/wire.py) so a sale travels whole, and packed in batches of
at most BATCH_RECORDS records in sequence order. Each batch also carries, as
"context", the unacknowledged records it points at through other links (the shift of
a sale), so a batch that arrives before an earlier one is still complete; and, as
"refs", the catalogue rows its records name (till, cashier, product, producer), which
the hub creates only if it does not know them (a product added at the booth).

The hub answers with the highest contiguous sequence it holds and the booth sets its
cursor to exactly that: an interrupted push resends from there (the hub ignores what
it already holds), and a hub restored from an older backup gets what it lost again.

The protocol (formats, Conflict, the totals compared) comes from wire.py. Of the hub's
module the booth uses two behaviours only: is_hub (a hub's database is never provisioned
as a booth) and ingest_batch (take_in stores records of this booth that another database
wrote through the hub's own whole-batch checks, rather than a second copy of them).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select, update

from ...db import unit_of_work
from ...errors import DomainError, InvalidInput, N_
from ...models import Barcode, Booth, DbIdentity, Product, Sale, Shift, StockDocument, Till
from ...models.identity import identity
from ...models.security import DbRestore
from ...models.sync import BoothSyncState, IngestState, SyncCursor
from ...timeutil import utcnow
from .. import audit, numbering, sales_summary
from . import hub as sync_hub
from . import signing, wire

log = logging.getLogger(__name__)

BATCH_RECORDS = 1000
HTTP_TIMEOUT_S = 30
BATCHES_PATH = "/api/v1/sync/batches"
PROVISION_PATH = "/api/v1/sync/provision"
COMPARE_PATH = "/api/v1/sync/compare"
RECORDS_PATH = "/api/v1/sync/records"
PROVISION_TABLES = ("fair", "booth", "producer", "product", "till", "user")
# Rows made at the booth before provisioning are matched to the hub's by these keys and take
# the hub's uuid (a booth set up by hand with the same fair and booth codes, then provisioned).
NATURAL_KEYS = {"fair": ("code",), "booth": ("fair_id", "code"), "till": ("booth_id", "code"), "user": ("username",)}
# What the booth set itself and provisioning must not undo: a fair closed at the booth stays closed.
KEEP_LOCAL = (("fair", "closed_at"),)


class NotProvisioned(DomainError):
    message = N_("Gian hàng chưa kết nối với hub: chạy pos provision --hub ĐỊA_CHỈ --token MÃ (hoặc --file TỆP)")


class HubUnreachable(DomainError):
    message = N_("Không kết nối được hub (%(why)s). Dữ liệu vẫn an toàn trên máy này và sẽ được gửi lại sau.")


class HubRefused(DomainError):
    message = N_("Hub từ chối (%(status)s): %(text)s")

    def __init__(self, status: int, error: str = "", text: str = "", field: str | None = None):
        self.status, self.error = status, error
        super().__init__(field=field, status=status, text=text or error)


class InsecureHubUrl(InvalidInput):
    def __init__(self):
        super().__init__("hub", "Qua Internet chỉ dùng https://. Dùng http:// chỉ với hub trong mạng nội bộ, "
                                "bằng tùy chọn --allow-http")


class WrongBooth(DomainError):
    message = N_("Máy này đang phục vụ gian hàng %(ours)s; dữ liệu cấp là của gian hàng %(theirs)s: không thay đổi gì")


class IsAHub(DomainError):
    message = N_("Cơ sở dữ liệu này là hub, không nhận dữ liệu cấp cho gian hàng")


class PushStuck(DomainError):
    message = N_("Hub nhận lô nhưng không xác nhận các bản ghi đã gửi: dừng gửi để tránh lặp vô hạn")


# --- the hub's address and the transport ------------------------------------------------------

def _is_local(host: str) -> bool:
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)}
        except (OSError, ValueError):
            return False
    return bool(addresses) and all(a.is_private or a.is_loopback or a.is_link_local for a in addresses)


def check_hub_url(url: str, *, allow_http: bool = False) -> str:
    """The hub's base URL, normalised. Over the internet only https://; http:// only to a hub
    on the local network (a private, loopback or link-local address) and only when allowed.
    Raises InvalidInput, InsecureHubUrl."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise InvalidInput("hub", "Địa chỉ hub không hợp lệ, ví dụ https://hub.ocop-quangninh.vn")
    if parts.scheme == "http":
        if not allow_http:
            raise InsecureHubUrl()
        if not _is_local(parts.hostname):
            raise InvalidInput("hub", "http:// chỉ dùng được với hub trong mạng nội bộ; qua Internet phải dùng https://")
    return url


def http_transport(hub_url: str, token: str, *, timeout: float = HTTP_TIMEOUT_S):
    """A transport that talks to the hub over HTTP(S): call(method, path, body) -> answer (dict).

    Raises HubUnreachable (network down, timeout, hub error 5xx) and HubRefused (4xx).
    """
    import http.client
    import urllib.error
    import urllib.request

    def call(method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(
            hub_url + path, data=data, method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                     "Accept": "application/json", "User-Agent": "FairPOS-booth"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            try:
                answer = json.loads(err.read().decode("utf-8"))
            except (ValueError, UnicodeDecodeError, OSError):
                answer = {}
            if err.code >= 500:
                raise HubUnreachable(why=f"HTTP {err.code}") from None
            raise HubRefused(err.code, str(answer.get("error", "")), str(answer.get("message", err.reason)),
                             answer.get("field")) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            raise HubUnreachable(why=str(getattr(err, "reason", err))[:200]) from None
        except ValueError:
            raise HubUnreachable(why="câu trả lời không phải JSON") from None

    return call


def state(session) -> BoothSyncState | None:
    return session.scalars(select(BoothSyncState)).first()


def transport_for(session, *, factory=None, timeout: float = HTTP_TIMEOUT_S):
    """The transport to this booth's hub (HTTP unless a factory(hub_url, token) is given, as tests do).

    Raises NotProvisioned, InvalidInput, InsecureHubUrl (the address is checked again each time).
    """
    st = state(session)
    if st is None or not st.hub_url or not st.token:
        raise NotProvisioned()
    url = check_hub_url(st.hub_url, allow_http=st.allow_http)
    if factory is not None:
        return factory(url, st.token)
    return http_transport(url, st.token, timeout=timeout)


# --- provisioning -----------------------------------------------------------------------------

@dataclass
class ProvisionResult:
    booth: Booth
    created: dict
    updated: dict


def fetch_provisioning(transport) -> dict:
    """The hub's provisioning payload for this token's booth (network; no database)."""
    return transport("GET", PROVISION_PATH, None)


_PAYLOAD_KEYS = {"format", "version", "booth_uuid", "booth", "hub", "created_at", "records", "barcodes", "signing_key",
                 "numbers"}


def provision(session, payload: dict, *, hub_url: str = "", token: str = "", allow_http: bool = False,
              signing_key: str | None = None, via: str = "http") -> ProvisionResult:
    """Write the hub's fair, booth settings, tills, producers, products (prices, barcodes) and
    staff into this booth's database, and make it serve that booth.

    Runs again at any time to update prices and products: sales, stock and every other
    travelling record are never touched. Raises IsAHub, WrongBooth, InvalidInput / BadRecord.
    """
    if sync_hub.is_hub(session):
        raise IsAHub()
    booth_uuid, loaded, barcodes = _read_provisioning(payload)
    ident, st = identity(session), state(session)
    _refuse_another_booth(session, ident, st, payload, loaded)
    known, created, updated = _write_catalogue(session, loaded)
    _apply_barcodes(session, known.get("product", {}), barcodes)
    booth_id = known["booth"][booth_uuid]
    _serve_booth(session, ident, st, booth_uuid, booth_id, hub_url=hub_url, token=token, allow_http=allow_http,
                 signing_key=signing_key, via=via)
    if isinstance(payload.get("numbers"), dict):
        _number_after_the_hub(session, payload["numbers"])
    _remember_origins(session)
    session.expire_all()
    return ProvisionResult(session.get(Booth, booth_id), created, updated)


def _read_provisioning(payload) -> tuple[str, dict[str, list], dict]:
    """The payload checked whole: (booth uuid, {table: [(index, values, refs)]}, barcodes).
    Raises InvalidInput / BadRecord before anything is written."""
    if not isinstance(payload, dict) or payload.get("format") != wire.PROVISION_FORMAT:
        raise InvalidInput("format", "Không phải dữ liệu cấp cho gian hàng của Fair POS")
    unknown = sorted(set(payload) - _PAYLOAD_KEYS)
    if unknown:
        raise InvalidInput(unknown[0], "Trường không được hỗ trợ: %(name)s", name=unknown[0])
    if payload.get("version") != wire.WIRE_VERSION:
        raise InvalidInput("version", "Phiên bản dữ liệu %(v)s không đọc được: cập nhật phần mềm", v=payload.get("version"))
    booth_uuid = payload.get("booth_uuid")
    records, barcodes = payload.get("records"), payload.get("barcodes", {})
    if not isinstance(records, list) or not isinstance(barcodes, dict):
        raise InvalidInput("records", "Dữ liệu cấp không hợp lệ")

    specs = {s.name: s for s in wire.catalogue_specs()}
    loaded: dict[str, list] = {}
    for i, raw in enumerate(records):
        table = raw.get("table") if isinstance(raw, dict) else None
        if table not in PROVISION_TABLES:
            raise wire.BadRecord(i, table, None, N_("loại bản ghi không được cấp cho gian hàng"), "table")
        values, refs = wire.load_record(specs[table], raw, i)
        if table in ("till", "user") and refs.get("booth_id") != booth_uuid:
            raise wire.BadRecord(i, table, values["uuid"], N_("không thuộc gian hàng này"), "booth_uuid")
        if table == "user" and values.get("role") not in ("manager", "cashier"):
            raise wire.BadRecord(i, table, values["uuid"], N_("chỉ nhận tài khoản nhân viên của gian hàng"), "role")
        loaded.setdefault(table, []).append((i, values, refs))
    booth_recs = loaded.get("booth", [])
    if len(booth_recs) != 1 or booth_recs[0][1]["uuid"] != booth_uuid:
        raise InvalidInput("booth_uuid", "Dữ liệu cấp phải có đúng một gian hàng")
    return booth_uuid, loaded, barcodes


def _refuse_another_booth(session, ident, st, payload: dict, loaded: dict) -> None:
    """Raises WrongBooth when this database serves another booth. A booth set up by hand before
    it was ever provisioned (same fair and booth codes) is adopted instead."""
    current = session.get(Booth, ident.booth_id) if ident.booth_id else None
    booth_uuid = payload.get("booth_uuid")
    if current is None or current.uuid == booth_uuid:
        return
    fair_rec = next((v for _, v, _ in loaded.get("fair", [])), {})
    adoptable = (st is None and current.code == loaded["booth"][0][1]["code"]
                 and current.fair.code == fair_rec.get("code"))
    if not adoptable:
        raise WrongBooth(ours=f"{current.fair.code}-{current.code}", theirs=str(payload.get("booth") or booth_uuid))


def _write_catalogue(session, loaded: dict) -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, int]]:
    """Insert or update the provisioned rows, parents first, with their references turned into
    this database's ids. Returns ({table: {uuid: id}}, created per table, updated per table)."""
    created: dict[str, int] = {}
    updated: dict[str, int] = {}
    known: dict[str, dict[str, int]] = {}
    for spec in wire.catalogue_specs():  # parents first
        for i, values, refs in loaded.get(spec.name, []):
            row = dict(values)
            for f in spec.refs:
                uuid = refs.get(f.attr)
                if uuid is None:
                    row[f.attr] = None
                    continue
                target = known.get(f.target, {}).get(uuid) or wire.ids_for_uuids(session, f.target, [uuid]).get(uuid, (None,))[0]
                if target is None:
                    raise wire.BadRecord(i, spec.name, values["uuid"], N_("tham chiếu %(name)s không có"), f.key, name=f.key)
                row[f.attr] = target
            row_id, is_new = _upsert(session, spec, row)
            known.setdefault(spec.name, {})[values["uuid"]] = row_id
            (created if is_new else updated)[spec.name] = (created if is_new else updated).get(spec.name, 0) + 1
    return known, created, updated


def _serve_booth(session, ident, st, booth_uuid: str, booth_id: int, *, hub_url: str, token: str, allow_http: bool,
                 signing_key: str | None, via: str) -> None:
    """Make this database serve the booth, and remember the hub, its token and the signing key."""
    session.execute(update(DbIdentity).where(DbIdentity.id == ident.id).values(booth_id=booth_id))
    if st is None:
        st = BoothSyncState(booth_uuid=booth_uuid)
        session.add(st)
    st.booth_uuid = booth_uuid
    if hub_url:
        st.hub_url, st.allow_http = check_hub_url(hub_url, allow_http=allow_http), allow_http
    if token:
        st.token = token
    if signing_key:
        st.signing_key = signing_key
    st.provisioned_at, st.provisioned_via = utcnow(), via
    session.flush()


def _number_after_the_hub(session, numbers: dict) -> None:
    numbering.remember(session, numbers)
    # A new laptop replacing a lost one (no backup): the lost one may have printed receipts
    # the hub never got, so this database numbers in a series of its own too.
    held = numbering._numbers(numbers.get("tills_high_water"))
    if (not numbering.series(session) and any(held.values())
            and session.scalar(select(func.count()).select_from(Sale)) == 0):
        numbering.start_series(session)


def _upsert(session, spec: wire.Spec, row: dict) -> tuple[int, bool]:
    table = spec.table
    found = session.execute(select(table.c.id).where(table.c.uuid == row["uuid"])).scalar()
    if found is None and spec.name in NATURAL_KEYS:
        conds = []
        for key in NATURAL_KEYS[spec.name]:
            col = table.c[key]
            conds.append(func.lower(col) == str(row[key]).lower() if key == "username" else col == row[key])
        found = session.execute(select(table.c.id).where(*conds)).scalar()
    for table_name, column in KEEP_LOCAL:
        if spec.name == table_name and found is not None:
            local = session.execute(select(table.c[column]).where(table.c.id == found)).scalar()
            if local is not None:
                row[column] = local
    if spec.name == "till":
        current = session.execute(select(table.c.last_number).where(table.c.id == found)).scalar() if found else 0
        # Never lower a till's receipt counter: numbers already printed must not come again.
        row["last_number"] = max(row.get("last_number") or 0, current or 0)
    if spec.name == "product" and row.get("stamp_code"):
        # The hub's catalogue wins: a product made here with the same stamp code gives it up.
        stmt = update(table).where(table.c.stamp_code == row["stamp_code"])
        if found is not None:
            stmt = stmt.where(table.c.id != found)
        session.execute(stmt.values(stamp_code=None))
    if found is None:
        return session.execute(insert(table).returning(table.c.id), [row]).scalar_one(), True
    moved_from = None
    if spec.name == "product":
        moved_from = session.execute(select(table.c.producer_id).where(table.c.id == found)).scalar()
    session.execute(update(table).where(table.c.id == found).values(**row))
    if moved_from is not None and moved_from != row.get("producer_id"):
        # The hub gave the product to another producer: the dashboard's per-producer counts follow.
        sales_summary.rebuild_producer_counts(session, [moved_from, row["producer_id"]])
    return found, False


def _apply_barcodes(session, products: dict[str, int], barcodes: dict) -> None:
    for product_uuid, codes in barcodes.items():
        product_id = products.get(product_uuid)
        if product_id is None:
            continue
        if not isinstance(codes, list) or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in codes):
            raise InvalidInput(f"barcodes.{product_uuid[:36]}", "Mã vạch không hợp lệ")
        wanted = list(dict.fromkeys(codes))
        # A code the hub gives this product leaves any other local product that had it.
        if wanted:
            session.execute(delete(Barcode).where(Barcode.code.in_(wanted), Barcode.product_id != product_id))
        session.execute(delete(Barcode).where(Barcode.product_id == product_id, Barcode.code.not_in(wanted or [""])))
        have = set(session.scalars(select(Barcode.code).where(Barcode.product_id == product_id)))
        missing = [{"product_id": product_id, "code": c} for c in wanted if c not in have]
        if missing:
            session.execute(insert(Barcode), missing)


def provision_from_file(session, data: bytes, key: str) -> ProvisionResult:
    """Provision from a file the hub exported, checked with the booth's signing key.

    Raises signing.UnreadableFile / TamperedFile / ForeignFile / WrongKindFile, and what provision raises.
    """
    key = (key or "").strip().lower()
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise InvalidInput("key", "Khóa ký tệp gồm 64 ký tự 0-9, a-f (in ra khi tạo ở hub)")
    ident = identity(session)
    current = session.get(Booth, ident.booth_id) if ident.booth_id else None
    st = state(session)
    expected = st.booth_uuid if st else None
    header, payload = signing.open_signed(data, key, kind="provision", booth_uuid=expected,
                                          booth_label=f"{current.fair.code}-{current.code}" if current else "")
    return provision(session, payload, signing_key=key, via="file")


# --- cursors and the unpushed count -----------------------------------------------------------

@dataclass
class Cursor:
    origin_db: str
    acked_seq: int
    max_seq: int

    @property
    def unpushed(self) -> int:
        return max(0, self.max_seq - self.acked_seq)


def _scan_origins(session) -> dict[str, int]:
    """Every database that wrote records here, with its highest sequence (a full scan, done once
    per identity: after that the cursor rows remember it)."""
    found: dict[str, int] = {}
    for spec in wire.travelling_specs():
        t = spec.table
        for origin, top in session.execute(select(t.c.origin_db, func.max(t.c.origin_seq)).group_by(t.c.origin_db)):
            found[origin] = max(found.get(origin, 0), int(top or 0))
    return found


def cursors(session) -> list[Cursor]:
    """Per origin database, what the hub acknowledged and what is here: older identities first."""
    ident = identity(session)
    rows = {c.origin_db: c for c in session.scalars(select(SyncCursor))}
    if ident.id in rows:
        old = {o: (c.max_seq or 0) for o, c in rows.items() if o != ident.id}
    else:
        old = {o: top for o, top in _scan_origins(session).items() if o != ident.id}
    out = [Cursor(o, rows[o].acked_seq if o in rows else 0, top) for o, top in sorted(old.items())]
    out.append(Cursor(ident.id, rows[ident.id].acked_seq if ident.id in rows else 0, ident.last_seq))
    return out


def _remember_origins(session) -> None:
    ident = identity(session)
    if session.get(SyncCursor, ident.id) is not None:
        return
    for origin, top in _scan_origins(session).items():
        if origin == ident.id:
            continue
        row = session.get(SyncCursor, origin)
        if row is None:
            session.add(SyncCursor(origin_db=origin, acked_seq=0, max_seq=top))
        else:
            row.max_seq = top
    session.add(SyncCursor(origin_db=ident.id, acked_seq=0, max_seq=None))
    session.flush()


def unpushed_count(session) -> int:
    """How many records of this booth the hub does not have, or not in their final state (a shift
    closed since it was sent); 0 on a hub or a fresh database."""
    if session.scalars(select(DbIdentity)).first() is None:
        return 0
    cs = cursors(session)
    return sum(c.unpushed for c in cs) + len(_pending_updates(session, cs))


def banner(session) -> dict | None:
    """What every booth page shows about sync: {"unpushed", "last_push_at", "error", "provisioned"},
    or None on a hub or a database that serves no booth yet."""
    ident = session.scalars(select(DbIdentity)).first()
    if ident is None or ident.booth_id is None or sync_hub.is_hub(session):
        return None
    st = state(session)
    return {"unpushed": unpushed_count(session), "last_push_at": st.last_push_at if st else None,
            "error": st.last_push_error if st else "", "provisioned": st is not None,
            "clock_skew_s": st.clock_skew_s if st else None, "restored": restore_notice(session, ident, st)}


def restore_notice(session, ident: DbIdentity, st: BoothSyncState | None) -> dict | None:
    """After a restore, until this database has taken back what it lost (fetch_lost, an
    acknowledgement file, or pos recover): what happened and what to do, for every staff page."""
    if ident.caught_up_at is not None:
        return None
    restore = restored_from(session)
    if restore is None:
        return None
    todo = "push" if st is not None and st.hub_url and st.token else ("file" if st is not None else "recover")
    return {"at": restore.restored_at, "backup": restore.backup_name, "series": ident.number_series, "todo": todo}


def unpushed_warning(session) -> str | None:
    """The warning to show before closing the fair or shutting the app down, or None when all is on the hub."""
    from flask_babel import gettext

    n = unpushed_count(session)
    if not n or current_booth_id(session) is None:
        return None
    return gettext("Còn %(n)s bản ghi chưa gửi lên hub: hãy gửi (hoặc xuất tệp) trước khi đóng.", n=n)


def current_booth_id(session) -> int | None:
    ident = session.scalars(select(DbIdentity)).first()
    return ident.booth_id if ident else None


# --- batches ----------------------------------------------------------------------------------

@dataclass
class Plan:
    origin_db: str
    members: dict  # table -> [ids]
    context: dict  # table -> [ids]
    count: int
    min_seq: int
    until: datetime | None = None  # for a batch of changed records: when the last of them changed


def _plan_origin(session, origin: str, acked: int, max_records: int, limit: int | None) -> list[Plan]:
    specs = wire.travelling_specs()
    names = {s.name for s in specs}
    seq_of: dict[tuple, int] = {}
    refs_of: dict[tuple, list] = {}
    parent: dict[tuple, tuple] = {}
    links = []
    for spec in specs:
        t = spec.table
        ref_fields = [f for f in spec.refs if f.target in names]
        cols = [t.c.id, t.c.origin_seq] + [t.c[f.attr] for f in ref_fields]
        for row in session.execute(select(*cols).where(t.c.origin_db == origin, t.c.origin_seq > acked)):
            key = (spec.name, row[0])
            seq_of[key] = row[1]
            parent[key] = key
            for f, value in zip(ref_fields, row[2:]):
                if value is None:
                    continue
                refs_of.setdefault(key, []).append((f.target, value))
                if f in spec.links:
                    links.append((key, (f.target, value)))

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in links:
        if b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    groups: dict[tuple, list] = {}
    for k in seq_of:
        groups.setdefault(find(k), []).append(k)
    components = sorted(groups.values(), key=lambda g: min(seq_of[k] for k in g))
    packed: list[list] = []
    current: list = []
    for g in components:
        if current and len(current) + len(g) > max_records:
            packed.append(current)
            current = []
            if limit and len(packed) >= limit:
                break
        current += g
    if current and not (limit and len(packed) >= limit):
        packed.append(current)
    plans = []
    for members in packed:
        inside = set(members)
        context: set = set()
        stack = [t for k in members for t in refs_of.get(k, ())]
        while stack:
            t = stack.pop()
            if t in seq_of and t not in inside and t not in context:
                context.add(t)
                stack += refs_of.get(t, ())
        by_table: dict[str, list] = {}
        for table, id_ in members:
            by_table.setdefault(table, []).append(id_)
        ctx_table: dict[str, list] = {}
        for table, id_ in context:
            ctx_table.setdefault(table, []).append(id_)
        plans.append(Plan(origin, by_table, ctx_table, len(members), min(seq_of[k] for k in members)))
    return plans


def plan_batches(session, max_records: int = BATCH_RECORDS, *, limit: int | None = None) -> list[Plan]:
    """The batches to send now, oldest records first, each at most max_records records (a bigger
    group, such as a sale of many lines, goes alone: never split); once everything is on the hub,
    the records that changed since they were sent (a shift closed). Reads only."""
    plans: list[Plan] = []
    for c in cursors(session):
        if c.unpushed:
            plans += _plan_origin(session, c.origin_db, c.acked_seq, max_records, limit)
            # An older identity's records go first and alone: the newer ones may point at them.
            if plans:
                break
    if not plans:
        plans = _update_plans(session, cursors(session))
    return plans[:limit] if limit else plans


def _pending_updates(session, cs: list[Cursor]) -> list[tuple[str, str, int, int, datetime]]:
    """(origin_db, table, id, seq, changed at) of records the hub has, but not in their final state."""
    st = state(session)
    if st is None:
        return []
    acked = {c.origin_db: c.acked_seq for c in cs}
    out = []
    for spec in wire.travelling_specs():
        column = wire.MUTABLE.get(spec.name)
        if column is None:
            continue
        t = spec.table
        stmt = select(t.c.origin_db, t.c.id, t.c.origin_seq, t.c[column]).where(t.c[column].is_not(None))
        if st.mutable_pushed_until is not None:
            stmt = stmt.where(t.c[column] > st.mutable_pushed_until)
        for origin, id_, seq, at in session.execute(stmt):
            if seq <= acked.get(origin, 0):  # not acknowledged yet: it travels in its final state anyway
                out.append((origin, spec.name, id_, seq, at))
    return out


def _update_plans(session, cs: list[Cursor]) -> list[Plan]:
    by_origin: dict[str, Plan] = {}
    for origin, table, id_, seq, at in _pending_updates(session, cs):
        plan = by_origin.setdefault(origin, Plan(origin, {}, {}, 0, seq, at))
        plan.members.setdefault(table, []).append(id_)
        plan.count += 1
        plan.min_seq, plan.until = min(plan.min_seq, seq), max(plan.until, at)
    return list(by_origin.values())


def build_batch(session, plan: Plan) -> dict:
    """The batch for a plan, in its wire form (see sync_hub.ingest_batch)."""
    st = state(session)
    booth_uuid = st.booth_uuid if st else session.get(Booth, identity(session).booth_id).uuid
    return wire.dump_batch(session, fmt=wire.BATCH_FORMAT, booth_uuid=booth_uuid, origin_db=plan.origin_db,
                           members=plan.members, context=plan.context)


def acknowledge(session, answer: dict, *, until: datetime | None = None) -> int:
    """Move the cursor of the answer's database to the hub's highest contiguous sequence. Returns it.

    until: the batch carried records changed up to then (Plan.until), now on the hub.
    """
    origin, seq = (answer or {}).get("origin_db"), (answer or {}).get("contiguous_seq")
    if not isinstance(origin, str) or isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise HubRefused(200, "BadAnswer", "câu trả lời của hub không hợp lệ")
    _remember_origins(session)
    row = session.get(SyncCursor, origin)
    if row is None:
        row = SyncCursor(origin_db=origin, acked_seq=0)
        session.add(row)
    row.acked_seq, row.updated_at = seq, utcnow()
    st = state(session)
    if st is not None:
        st.last_push_at = st.last_attempt_at = utcnow()
        st.last_push_error = ""
        if isinstance(answer.get("clock_skew_s"), int):
            st.clock_skew_s = answer["clock_skew_s"]
        if until is not None and (st.mutable_pushed_until is None or until > st.mutable_pushed_until):
            st.mutable_pushed_until = until
    session.flush()
    return seq


def describe_record(session, table: str, uuid: str) -> str:
    """A record of this booth as people know it: the receipt, shift or document number."""
    from flask_babel import gettext

    if table == "sale":
        number = session.scalar(select(Sale.receipt_no).where(Sale.uuid == uuid))
        if number:
            return gettext("đơn %(n)s", n=number)
    elif table == "shift":
        row = session.execute(select(Shift.number, Shift.till_id).where(Shift.uuid == uuid)).first()
        if row:
            return gettext("ca %(n)s", n=row[0])
    elif table == "stock_document":
        number = session.scalar(select(StockDocument.number).where(StockDocument.uuid == uuid))
        if number:
            return gettext("phiếu %(n)s", n=number)
    return f"{table} {uuid}"


def push_error_text(session, err: DomainError) -> str:
    """What the booth's page says about a failed push: a conflict names the record and the way out."""
    from flask_babel import gettext

    if isinstance(err, HubRefused) and err.error == "Conflict" and err.field and ":" in err.field:
        table, _sep, uuid = err.field.partition(":")
        return gettext("Hub từ chối gửi vì %(record)s trùng với một bản ghi hub đã có nhưng khác nội dung (%(text)s). "
                       "Máy vẫn bán bình thường và không mất gì; các bản ghi chưa gửi được giữ lại. Cách xử lý: báo ban "
                       "tổ chức (xung đột hiện ở trang hub của gian hàng). Nếu máy này được chép nguyên từ máy khác hoặc "
                       "khôi phục không qua pos restore: dừng một trong hai máy, rồi trên máy bán tiếp chạy pos restore "
                       "với bản sao lưu mới nhất của nó.", record=describe_record(session, table, uuid),
                       text=err.params.get("text", ""))
    return str(err)


def record_push_error(session, err: DomainError) -> None:
    """Remember why the last push failed, for the booth's page."""
    st = state(session)
    if st is not None:
        st.last_push_error = push_error_text(session, err)[:2000]
        st.last_attempt_at = utcnow()
        session.flush()


def _end_read(session) -> None:
    # Network calls happen outside any transaction: a slow hub never holds a lock on the booth's database.
    from sqlalchemy.orm import scoped_session

    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        session.commit()


@dataclass
class Step:
    sent: int
    acked_seq: int
    remaining: int
    done: bool


def push_step(session, transport, *, max_records: int = BATCH_RECORDS) -> Step:
    """Send the next batch and move the cursor: one read, one network call, one short write.
    A database restored from a backup first takes back what the hub holds of its lost self
    (fetch_lost, once).

    Raises HubUnreachable, HubRefused, PushStuck (each also remembered for the booth's page).
    """
    try:
        fetch_lost(session, transport)
    except DomainError as err:
        with unit_of_work(session) as s:
            record_push_error(s, err)
        raise
    plans = plan_batches(session, max_records, limit=1)
    if not plans:
        _end_read(session)
        return Step(0, 0, 0, True)
    plan = plans[0]
    batch = build_batch(session, plan)
    _end_read(session)
    try:
        answer = transport("POST", BATCHES_PATH, batch)
        with unit_of_work(session) as s:
            acked = acknowledge(s, answer, until=plan.until)
        if acked < plan.min_seq:
            raise PushStuck()
    except DomainError as err:
        with unit_of_work(session) as s:
            record_push_error(s, err)
        raise
    remaining = unpushed_count(session)
    _end_read(session)
    return Step(plan.count, acked, remaining, remaining == 0)


@dataclass
class PushResult:
    sent: int
    batches: int
    remaining: int
    compare: dict | None
    compare_error: str = ""  # why the comparison did not complete (compare is None then)

    @property
    def complete(self) -> bool:
        """Everything sent and acknowledged, and compared with the hub."""
        return self.remaining == 0 and self.compare is not None and not self.compare_error


def push(session, transport, *, max_records: int = BATCH_RECORDS, on_progress=None, compare: bool = True) -> PushResult:
    """Push everything the hub has not acknowledged, batch by batch, then compare totals.

    A workflow of several short transactions, not one: each batch's acknowledgement is
    committed as soon as the hub gives it, so a push cut off anywhere keeps what the hub
    confirmed and the next push resends only the rest. on_progress(done, total) is called
    after each batch. Raises HubUnreachable, HubRefused, PushStuck, NotProvisioned.
    """
    total = unpushed_count(session)
    _end_read(session)
    sent = batches = 0
    remaining = total
    # Bounded: each step acknowledges at least one record, so this is enough for everything.
    for _ in range(total + 1):
        step = push_step(session, transport, max_records=max_records)
        if step.sent == 0:
            break
        sent += step.sent
        batches += 1
        remaining = step.remaining
        if on_progress is not None:
            on_progress(max(0, total - remaining), total)
        if step.done:
            break
    result, why = None, ""
    if compare:
        try:
            result = compare_with_hub(session, transport)
        except (HubUnreachable, HubRefused) as err:
            # Everything was pushed and acknowledged; only the comparison waits for the next push.
            log.warning("totals not compared with the hub: %s", err)
            why = str(err)
    return PushResult(sent, batches, remaining, result, why)


# --- totals -----------------------------------------------------------------------------------

def compare_status(st: BoothSyncState | None) -> str:
    """How the last comparison with the hub stands: "none" (never compared), "match", "differ", or
    "stale": the last push failed, or was not compared after it, so "match" would be a guess."""
    compare = st.compare if st else None
    if compare is None:
        return "none"
    if st.last_push_error or (st.last_push_at and st.last_compare_at and st.last_compare_at < st.last_push_at):
        return "stale"
    return "match" if not compare["products"] and not compare["records"] else "differ"


def local_totals(session) -> dict:
    """This booth's totals over what the hub acknowledged (see wire.booth_totals)."""
    booth_id = current_booth_id(session)
    if booth_id is None:
        raise NotProvisioned()
    cs = cursors(session)
    totals = wire.booth_totals(session, booth_id, {c.origin_db: c.acked_seq for c in cs})
    return {"format": wire.TOTALS_FORMAT, "products": totals["products"], "records": totals["records"],
            "unpushed": sum(c.unpushed for c in cs)}


def compare_with_hub(session, transport) -> dict:
    """Send this booth's totals to the hub, keep the differences it finds for the booth's page,
    and number receipts, shifts and stock documents after the highest the hub holds (a booth
    restored from an older backup would repeat them otherwise). Returns the differences.

    Raises HubUnreachable, HubRefused.
    """
    mine = local_totals(session)
    _end_read(session)
    answer = transport("POST", COMPARE_PATH, mine)
    hub_side = answer.get("hub") if isinstance(answer, dict) else None
    if not isinstance(hub_side, dict):
        raise HubRefused(200, "BadAnswer", "câu trả lời của hub không hợp lệ")
    with unit_of_work(session) as s:
        names = dict(s.execute(select(Product.uuid, Product.name)).all())
        diff = wire.differences(mine, hub_side, names)
        st = state(s)
        if st is not None:
            st.last_compare_at = utcnow()
            st.last_compare = json.dumps(dict(diff, booth_unpushed=mine["unpushed"]), ensure_ascii=False)
        numbering.remember(s, answer)
        adopt_closed_shifts(s, answer.get("closed_shifts"))
    return diff


def adopt_closed_shifts(session, records) -> int:
    """Close, as the hub holds them closed, the shifts still open here (a booth restored from a
    backup taken while they were open). Returns how many.

    The shift's closing (time, who, cash counted, Z report) is the hub's record: the drawer was
    counted once, on the laptop that was lost. Raises BadRecord for a malformed record.
    """
    if not isinstance(records, list) or not records:
        return 0
    spec = next(s for s in wire.travelling_specs() if s.name == "shift")
    t = spec.table
    loaded = {}
    for i, raw in enumerate(records):
        values, refs = wire.load_record(spec, raw, i)
        loaded[values["uuid"]] = (i, values, refs)
    still_open = set(session.scalars(select(t.c.uuid).where(t.c.uuid.in_(list(loaded)), t.c.closed_at.is_(None))))
    for uuid in still_open:
        i, values, refs = loaded[uuid]
        if values.get("closed_at") is None:
            continue
        row = {k: v for k, v in values.items() if k != "uuid"}
        for f in spec.refs:
            if f.attr == "booth_id":
                continue
            ref = refs.get(f.attr)
            target = wire.ids_for_uuids(session, f.target, [ref]).get(ref, (None,))[0] if ref else None
            if ref and target is None:
                raise wire.BadRecord(i, spec.name, uuid, N_("tham chiếu %(name)s không có"), f.key, name=f.key)
            row[f.attr] = target
        session.execute(update(t).where(t.c.uuid == uuid).values(**row))
    return len(still_open)


# --- the USB stick ----------------------------------------------------------------------------

def export_file(session, *, max_records: int = BATCH_RECORDS) -> tuple[bytes, int]:
    """Every unacknowledged record, in batches, in a file signed with the booth's key.

    The cursor does not move: the hub's acknowledgement comes back as a signed file
    (import_acknowledgement) or with the next push over the network (which then sends only what
    the file did not already bring). Raises NotProvisioned, signing.NoSigningKey.
    """
    st = state(session)
    booth_id = current_booth_id(session)
    if st is None or booth_id is None:
        raise NotProvisioned()
    booth = session.get(Booth, booth_id)
    if not st.signing_key:
        raise signing.NoSigningKey(booth=f"{booth.fair.code}-{booth.code}")
    _remember_origins(session)
    batches, count = [], 0
    # Every origin in turn (plan_batches stops at the first with records, for the network's sake).
    cs = cursors(session)
    plans = [p for c in cs if c.unpushed for p in _plan_origin(session, c.origin_db, c.acked_seq, max_records, None)]
    for plan in plans + _update_plans(session, cs):
        batches.append(build_batch(session, plan))
        count += plan.count
    payload = {"format": wire.PUSH_FILE_FORMAT, "version": wire.WIRE_VERSION, "booth_uuid": st.booth_uuid,
               "batches": batches}
    restore = restored_from(session) if identity(session).caught_up_at is None else None
    if restore is not None:
        # The hub's acknowledgement then brings back the lost self's records above the backup.
        payload["restored_from"] = {"db": restore.restored_from_db,
                                    "after": max(_held_seqs(session, restore.restored_from_db), default=0)}
    data = signing.sign("push", st.booth_uuid, f"{booth.fair.code}-{booth.code}", payload, st.signing_key)
    st.last_export_at, st.last_export_records = utcnow(), count
    session.flush()
    return data, count


def booth_of_state(session) -> Booth | None:
    booth_id = current_booth_id(session)
    return session.get(Booth, booth_id) if booth_id else None



# --- a restored booth takes back what it lost -------------------------------------------------

def _held_seqs(session, origin: str) -> set[int]:
    seqs: set[int] = set()
    for spec in wire.travelling_specs():
        t = spec.table
        seqs.update(session.scalars(select(t.c.origin_seq).where(t.c.origin_db == origin)))
    return seqs


def _as_ranges(seqs) -> list[list[int]]:
    ranges: list[list[int]] = []
    for seq in sorted(seqs):
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1][1] = seq
        else:
            ranges.append([seq, seq])
    return ranges


def take_in(session, batch: dict, *, hub_contiguous: int | None = None) -> int:
    """Take in, unchanged, records of this booth that another database wrote (the lost laptop's,
    from the hub or from the database a restore set aside): they keep their origin, so pushing
    them again adds nothing at the hub. Records already here are no-ops; a shift held open here
    and closed there is closed as it was. Returns how many records were new.

    hub_contiguous: the hub's contiguous sequence for that database (the records came from it).
    Raises NotProvisioned, InvalidInput / BadRecord, wire.Conflict.
    """
    ident = identity(session)
    booth_id = current_booth_id(session)
    if booth_id is None:
        raise NotProvisioned()
    origin = batch.get("origin_db") if isinstance(batch, dict) else None
    if not isinstance(origin, str) or origin == ident.id:
        raise InvalidInput("origin_db", "Không nhận lại bản ghi của chính cơ sở dữ liệu này")
    _remember_origins(session)
    booth = session.get(Booth, booth_id)
    # The ingest machinery of the hub, told what this database already holds of that origin.
    held = IngestState(booth_id=booth.id, origin_db=origin, held_ranges=json.dumps(_as_ranges(_held_seqs(session, origin))))
    session.add(held)
    session.flush()
    result = sync_hub.ingest_batch(session, booth, batch, via="restore", max_records=None)
    session.delete(held)
    top = max(_held_seqs(session, origin), default=0)
    row = session.get(SyncCursor, origin)
    if row is None:
        row = SyncCursor(origin_db=origin, acked_seq=0)
        session.add(row)
    row.max_seq = max(row.max_seq or 0, top)
    if hub_contiguous is not None:
        row.acked_seq = max(row.acked_seq, min(int(hub_contiguous), top))
    row.updated_at = utcnow()
    # Receipts taken back move each till's counter: a later sale reads after them.
    for till_id, top_number in session.execute(select(Sale.till_id, func.max(Sale.number)).group_by(Sale.till_id)):
        session.execute(update(Till).where(Till.id == till_id, Till.last_number < top_number)
                        .values(last_number=top_number))
    session.flush()
    return result.stored


def restored_from(session):
    """The DbRestore row of this database (it was restored from a backup), or None."""
    return session.scalars(select(DbRestore).where(DbRestore.db_id == identity(session).id)
                           .order_by(DbRestore.id.desc())).first()


def needs_catching_up(session) -> bool:
    """A restored database that has not yet taken back what the hub holds of its lost self."""
    return identity(session).caught_up_at is None and restored_from(session) is not None


def fetch_lost(session, transport) -> int | None:
    """A database restored from a backup: fetch from the hub its lost self's records above the
    backup (sales, voids, refunds, payments, movements, shifts, documents) and take them in
    (take_in), once. Returns how many records were new, None when there was nothing to do.

    A refusal of what the hub sent is logged and audited, not repeated at every push: the
    comparison of totals after the push shows what is still different. Raises HubUnreachable.
    """
    ident = identity(session)
    restore = restored_from(session) if ident.caught_up_at is None else None
    if restore is None or state(session) is None:
        _end_read(session)
        return None
    origin = restore.restored_from_db
    after = max(_held_seqs(session, origin), default=0)
    _end_read(session)
    stored, problem = 0, None
    try:
        answer = transport("GET", f"{RECORDS_PATH}?origin_db={origin}&after={after}", None)
        if not isinstance(answer, dict) or not isinstance(answer.get("batch"), dict):
            raise HubRefused(200, "BadAnswer", "câu trả lời của hub không hợp lệ")
        with unit_of_work(session) as s:
            stored = take_in(s, answer["batch"], hub_contiguous=answer.get("contiguous_seq"))
    except HubRefused as err:
        if err.status != 404:  # 404: the hub holds nothing of that database (never pushed)
            problem = err
    except (InvalidInput, wire.Conflict) as err:
        problem = err
    with unit_of_work(session) as s:
        if problem is not None:
            log.warning("records of the restored database's lost self not taken in: %s", problem)
        audit.record(s, None, "sync.caught_up", origin, records=stored, problem=str(problem or "")[:500])
        identity(s).caught_up_at = utcnow()
    return stored


@dataclass
class Recovered:
    sales: int
    records: int


@contextmanager
def _set_aside(path):
    """A session on a copy of the database at path (with its -wal): the set-aside file itself is
    never written, whatever SQLite's connection settings do."""
    import shutil
    import tempfile
    from pathlib import Path

    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    path = Path(path)
    if not path.is_file():
        raise InvalidInput("file", "Không có tệp %(path)s", path=str(path))
    with tempfile.TemporaryDirectory(prefix="fairpos-recover-") as folder:
        copy = Path(folder) / "set-aside.sqlite"
        shutil.copyfile(path, copy)
        if Path(str(path) + "-wal").is_file():
            shutil.copyfile(str(path) + "-wal", str(copy) + "-wal")
        engine = create_engine(f"sqlite:///{copy.as_posix()}")
        other = Session(engine)
        try:
            yield other
        except SQLAlchemyError as exc:
            raise InvalidInput("file", "Không đọc được cơ sở dữ liệu %(path)s: %(why)s", path=str(path),
                               why=str(getattr(exc, "orig", exc)).splitlines()[0][:200]) from None
        finally:
            other.close()
            engine.dispose()


def missing_sales(session, path) -> int:
    """How many sales the database at path (one a restore set aside) holds that this one lacks.
    Raises InvalidInput when it cannot be read."""
    with _set_aside(path) as other:
        theirs = set(other.scalars(select(Sale.uuid)))
    mine = set()
    for chunk in wire._chunks(sorted(theirs)):
        mine.update(session.scalars(select(Sale.uuid).where(Sale.uuid.in_(chunk))))
    return len(theirs - mine)


def recover(session, path) -> Recovered:
    """Merge back the records of the database a restore set aside (path) that this one lacks,
    unchanged (take_in): sales, voids, refunds, shifts, stock. They keep their origin, so the
    next push sends the hub only what it does not hold. Must run inside a unit_of_work.

    Raises InvalidInput (unreadable file), NotProvisioned, BadRecord / RecordOfAnotherBooth
    (a database of another booth), wire.Conflict.
    """
    ident = identity(session)
    booth_id = current_booth_id(session)
    if booth_id is None:
        raise NotProvisioned()
    booth_uuid = session.get(Booth, booth_id).uuid
    before = session.scalar(select(func.count()).select_from(Sale))
    batches = []
    with _set_aside(path) as other:
        by_origin: dict[str, dict[str, list[int]]] = {}
        held: dict[str, set[int]] = {}
        for spec in wire.travelling_specs():
            t = spec.table
            closed = wire.MUTABLE.get(spec.name)
            cols = [t.c.origin_db, t.c.origin_seq, t.c.id] + ([t.c[closed]] if closed else [])
            for row in other.execute(select(*cols)):
                origin, seq, id_ = row[0], row[1], row[2]
                if origin == ident.id:
                    continue
                if origin not in held:
                    held[origin] = _held_seqs(session, origin)
                if seq not in held[origin] or (closed and row[3] is not None):
                    by_origin.setdefault(origin, {}).setdefault(spec.name, []).append(id_)
        for origin, members in by_origin.items():
            batches.append(wire.dump_batch(other, fmt=wire.BATCH_FORMAT, booth_uuid=booth_uuid, origin_db=origin,
                                           members=members, context={}))
    records = sum(take_in(session, b) for b in batches)
    if restored_from(session) is not None:
        ident.caught_up_at = ident.caught_up_at or utcnow()
    return Recovered(session.scalar(select(func.count()).select_from(Sale)) - before, records)



# --- the hub's acknowledgement, by file -------------------------------------------------------

@dataclass
class AckResult:
    unpushed: int
    differences: dict
    taken_back: int


def import_acknowledgement(session, data: bytes) -> AckResult:
    """Take in the hub's signed acknowledgement of this booth's files (sync_hub.acknowledgement_file):
    move each cursor to what the hub holds (the unpushed count drops to what is really unsent and
    the next export holds only that), number after the hub's highest numbers, close the shifts the
    hub holds closed, compare totals, and take back a restored booth's lost records.

    Raises NotProvisioned, signing.NoSigningKey / UnreadableFile / TamperedFile / ForeignFile /
    WrongKindFile, BadRecord, wire.Conflict.
    """
    st = state(session)
    booth = booth_of_state(session)
    if st is None or booth is None:
        raise NotProvisioned()
    if not st.signing_key:
        raise signing.NoSigningKey(booth=f"{booth.fair.code}-{booth.code}")
    _, payload = signing.open_signed(data, st.signing_key, kind="ack", booth_uuid=st.booth_uuid,
                                     booth_label=f"{booth.fair.code}-{booth.code}")
    contiguous, hub_side = payload.get("contiguous"), payload.get("hub")
    if (payload.get("format") != wire.ACK_FORMAT or not isinstance(contiguous, dict)
            or not isinstance(hub_side, dict) or not isinstance(hub_side.get("products"), dict)
            or not isinstance(hub_side.get("records"), dict)):
        raise signing.UnreadableFile(why="không phải tệp xác nhận của hub")
    ident = identity(session)
    taken = 0
    lost = payload.get("lost")
    if isinstance(lost, dict) and isinstance(lost.get("batch"), dict) and ident.caught_up_at is None:
        taken = take_in(session, lost["batch"], hub_contiguous=lost.get("contiguous_seq"))
    if restored_from(session) is not None and ident.caught_up_at is None and "lost" in payload:
        ident.caught_up_at = utcnow()
    _remember_origins(session)
    for origin, seq in contiguous.items():
        row = session.get(SyncCursor, origin)
        if row is not None and isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0:
            row.acked_seq, row.updated_at = seq, utcnow()
    session.flush()
    # Shifts closed after they were exported: done once the hub holds each of them closed as here.
    held_closed = {r.get("uuid"): r.get("closed_at") for r in payload.get("closed_shifts") or [] if isinstance(r, dict)}
    pending = _pending_updates(session, cursors(session))
    if pending:
        ids = [id_ for _o, table, id_, _s, _at in pending if table == "shift"]
        here = dict(session.execute(select(Shift.id, Shift.uuid).where(Shift.id.in_(ids)))) if ids else {}
        if all(table == "shift" and held_closed.get(here.get(id_)) == at.isoformat()
               for _o, table, id_, _s, at in pending):
            st.mutable_pushed_until = max(at for *_rest, at in pending)
    numbering.remember(session, payload)
    adopt_closed_shifts(session, payload.get("closed_shifts"))
    mine = local_totals(session)
    names = dict(session.execute(select(Product.uuid, Product.name)).all())
    diff = wire.differences(mine, {"products": hub_side["products"], "records": hub_side["records"]}, names)
    now = utcnow()
    st.last_push_at = st.last_attempt_at = now
    st.last_push_error = ""
    st.last_compare_at, st.last_compare = now, json.dumps(dict(diff, booth_unpushed=mine["unpushed"]), ensure_ascii=False)
    session.flush()
    return AckResult(unpushed_count(session), diff, taken)
