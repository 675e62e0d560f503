"""The wire form of records that travel between a booth and the hub, derived from the models.

Nothing here names a travelling table: every mapped class that subclasses Travelling
travels, with every column, so a record added later travels without new code. The
rules:

- integer primary keys never travel (each database numbers its own rows);
- a foreign key travels as the referenced row's UUID, under the column's name with
  `_id` replaced by `_uuid` (`sale_id` -> `sale_uuid`); every referenced table has a
  uuid (HasUuid), which a test checks;
- origin_db travels once per batch, origin_seq as `seq`;
- datetimes are naive UTC in ISO 8601, dates ISO 8601, booleans JSON booleans.

Records are grouped for sending by their links: a record and the travelling records it
points at through a NOT NULL foreign key (a sale line and its sale, a refund line and its
refund) travel in the same batch, and so do the few nullable links named in
EXTRA_LINKS (a stock movement and its sale or document). A sale therefore travels whole:
sale, lines, payments and movements.

The protocol both sides speak lives here too, so the booth's side needs nothing of the
hub's module to talk to it: the documents' format names, the one record that may change
after it travelled (MUTABLE), the Conflict a refused batch answers with, and the totals
both sides count the same way (booth_totals) and compare (differences). Those totals name
sale lines, refunds and voids: they are what a person checks, not a wire form.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, String, and_, false, func, or_, select

from ...errors import DomainError, InvalidInput, N_
from ...extensions import db
from ...models import Product, RefundLine, SaleLine, Void
from ...models.base import HasUuid, Travelling
from ...timeutil import utcnow

WIRE_VERSION = 1
# What a document is, said in its "format" field: a batch of records (booth -> hub), the hub's
# provisioning of a booth, a booth's push file, the totals both sides compare, the hub's
# acknowledgement of a push file.
BATCH_FORMAT = "fair-pos/batch"
PROVISION_FORMAT = "fair-pos/provision"
PUSH_FILE_FORMAT = "fair-pos/push-file"
TOTALS_FORMAT = "fair-pos/totals"
ACK_FORMAT = "fair-pos/ack"
# Travelling records that change once after they are written, and the column that says so: a
# shift is written when opened and filled in when closed. The booth sends it again once closed
# (same database and sequence, see booth.pending_updates); the hub accepts exactly that
# change (the column going from empty to set) and keeps the closed version if the open one
# comes again. Any other difference is a conflict.
MUTABLE = {"shift": "closed_at"}
# Travelling records also linked by these nullable foreign keys travel together (a movement
# is written in the same transaction as its sale or stock document). Other nullable links,
# such as a sale's shift, point at a record written earlier and must not glue a whole shift
# of sales into one batch.
EXTRA_LINKS = {("stock_movement", "sale_id"), ("stock_movement", "document_id")}
# Columns that never leave the hub in a booth's push (a booth has no business sending them).
SECRET_COLUMNS = {("user", "password_hash"), ("user", "pin_hash")}
# PostgreSQL's INTEGER: a larger number is refused here with the record named, not by the database.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")
_CHUNK = 500


class BadRecord(InvalidInput):
    """A record of a batch or a provisioning payload is malformed; nothing of it is stored."""

    def __init__(self, index, table, uuid, problem: str, field: str | None = None, **params):
        where = f"records[{index}]" if index is not None else "records"
        self.record_index, self.record_table, self.record_uuid = index, table, uuid
        record = f"{table or '?'} {uuid or ''}".strip()
        super().__init__(f"{where}.{field}" if field else where, N_("Bản ghi %(record)s: %(problem)s"),
                         record=record, problem=_Lazy(problem, params))


class Conflict(DomainError):
    """Records clash with ones the hub holds; the batch is refused and the clash recorded."""

    message = N_("Bản ghi %(record)s trùng mã với bản ghi hub đã có nhưng nội dung khác (%(why)s): lô bị từ chối, ban tổ chức cần kiểm tra")

    def __init__(self, conflicts: list[dict]):
        self.conflicts = conflicts
        first = conflicts[0]
        # field names the record (table:uuid), so the booth can say which of its own it is.
        super().__init__(field=f"{first['table']}:{first['uuid']}", record=f"{first['table']} {first['uuid']}",
                         why=first["reason"])


class _Lazy:
    """A message id translated only when the error is shown (in the reader's language)."""

    def __init__(self, message, params):
        self.message, self.params = message, params

    def __str__(self):
        from flask_babel import gettext

        return gettext(self.message, **self.params) if self.params else gettext(self.message)


@dataclass(frozen=True)
class Field:
    key: str  # on the wire
    attr: str  # the column's key
    kind: str  # int, str, bool, datetime, date, ref
    nullable: bool
    default: object  # a Column default, or None
    max_len: int | None
    target: str | None = None  # the referenced table, for a ref


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: specs are made once (see _specs)
class Spec:
    name: str
    model: type
    table: object
    fields: tuple[Field, ...]
    travelling: bool
    links: tuple[Field, ...]  # refs to travelling records that travel together
    # The keys a wire record of this table may have, and per field what load_record checks.
    allowed: frozenset = dataclass_field(init=False)
    plan: tuple = dataclass_field(init=False)
    refs: tuple = dataclass_field(init=False)  # the foreign keys, travelling as uuids

    def __post_init__(self):
        extra = ("table", "uuid", "seq") if self.travelling else ("table", "uuid")
        object.__setattr__(self, "allowed", frozenset(extra) | frozenset(f.key for f in self.fields))
        object.__setattr__(self, "plan", tuple((f.key, f.attr, f.kind, f.nullable, f.default is not None, f.max_len, f)
                                               for f in self.fields))
        object.__setattr__(self, "refs", tuple(f for f in self.fields if f.kind == "ref"))

    def field(self, key: str) -> Field | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None


def _kind(column) -> str:
    t = column.type
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, String):
        return "str"
    raise TypeError(f"column {column} of type {t!r} has no wire form")


def _mapped_models() -> list[type]:
    order = {t.name: i for i, t in enumerate(db.metadata.sorted_tables)}
    models = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, HasUuid)]
    return sorted(models, key=lambda cls: order[cls.__table__.name])


def spec_for(model, travelling_tables: frozenset | None = None) -> Spec:
    """The wire description of one model, derived from its table."""
    if travelling_tables is None:
        travelling_tables = frozenset(m.__table__.name for m in _mapped_models() if issubclass(m, Travelling))
    table = model.__table__
    travelling = issubclass(model, Travelling)
    fields, links = [], []
    for col in table.columns:
        if col.primary_key or col.key in ("uuid", "origin_db", "origin_seq") or col.info.get("wire") is False:
            continue
        default = col.default
        if col.foreign_keys:
            (fk,) = col.foreign_keys
            target = fk.column.table
            if "uuid" not in target.c:
                raise TypeError(f"{table.name}.{col.key} points at {target.name}, which has no uuid")
            key = (col.key[:-3] if col.key.endswith("_id") else col.key) + "_uuid"
            field = Field(key, col.key, "ref", col.nullable, default, None, target.name)
            fields.append(field)
            if (travelling and target.name in travelling_tables
                    and (not col.nullable or (table.name, col.key) in EXTRA_LINKS)):
                links.append(field)
        else:
            max_len = getattr(col.type, "length", None)
            fields.append(Field(col.key, col.key, _kind(col), col.nullable, default, max_len))
    return Spec(table.name, model, table, tuple(fields), travelling, tuple(links))


@functools.lru_cache(maxsize=8)
def _specs(_mappers: int) -> tuple[tuple[Spec, ...], tuple[Spec, ...]]:
    # Derived from the (immutable) table definitions, so computed once: a batch of a thousand
    # records must not sort the whole schema again for each one. Keyed on the number of mapped
    # classes, so a model mapped later is picked up.
    models = _mapped_models()
    travelling_tables = frozenset(m.__table__.name for m in models if issubclass(m, Travelling))
    specs = [spec_for(m, travelling_tables) for m in models]
    return tuple(s for s in specs if s.travelling), tuple(s for s in specs if not s.travelling)


def travelling_specs() -> list[Spec]:
    """Every travelling model, parents before children (the order to insert them in)."""
    return list(_specs(len(db.Model.registry.mappers))[0])


def catalogue_specs() -> list[Spec]:
    """Every model with a uuid that does not travel by push: fair, booth, till, user, producer, product."""
    return list(_specs(len(db.Model.registry.mappers))[1])


# --- reading rows out -------------------------------------------------------------------------

def _chunks(items, size=_CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def uuids_for_ids(session, table_name: str, ids) -> dict[int, str]:
    """id -> uuid of rows of one table."""
    table = db.metadata.tables[table_name]
    out: dict[int, str] = {}
    for chunk in _chunks(set(ids)):
        out.update(session.execute(select(table.c.id, table.c.uuid).where(table.c.id.in_(chunk))).all())
    return out


def ids_for_uuids(session, table_name: str, uuids, *, with_booth=False) -> dict[str, tuple]:
    """uuid -> (id,) or (id, booth_id) of rows of one table."""
    table = db.metadata.tables[table_name]
    cols = [table.c.uuid, table.c.id] + ([table.c.booth_id] if with_booth else [])
    out: dict[str, tuple] = {}
    for chunk in _chunks(set(uuids)):
        for row in session.execute(select(*cols).where(table.c.uuid.in_(chunk))):
            out[row[0]] = tuple(row[1:])
    return out


def ids_for_uuids_many(session, wanted: dict[str, set]) -> dict[str, dict[str, tuple]]:
    """{table: {uuid: (id, booth_id or None)}} for uuids of several tables, in one round trip
    (UNION ALL): a hub checking a batch looks up its products, till, cashier and shift at once."""
    from sqlalchemy import cast, literal, null, union_all

    selects = []
    postgres = session.get_bind().dialect.name == "postgresql"
    for name, uuids in wanted.items():
        table = db.metadata.tables[name]
        booth = table.c.booth_id if "booth_id" in table.c else cast(null(), Integer)
        if postgres:
            # One array parameter per table (uuid = ANY(:array)): the statement's text is the same
            # whatever the number of uuids, so PostgreSQL plans it once, not for every batch.
            from sqlalchemy import any_, bindparam
            from sqlalchemy.dialects.postgresql import ARRAY

            param = bindparam(f"uuids_{name}", sorted(uuids), type_=ARRAY(table.c.uuid.type))
            selects.append(select(literal(name).label("t"), table.c.uuid, table.c.id, booth.label("booth_id"))
                           .where(table.c.uuid == any_(param)))
            continue
        for chunk in _chunks(set(uuids)):
            selects.append(select(literal(name).label("t"), table.c.uuid, table.c.id, booth.label("booth_id"))
                           .where(table.c.uuid.in_(chunk)))
    out: dict[str, dict[str, tuple]] = {name: {} for name in wanted}
    if selects:
        for name, uuid, id_, booth_id in session.execute(union_all(*selects) if len(selects) > 1 else selects[0]):
            out[name][uuid] = (id_, booth_id)
    return out


def encode(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump_rows(session, spec: Spec, rows, *, secrets=True) -> list[dict]:
    """Rows (Core row mappings of spec's table) in their wire form.

    secrets=False leaves out SECRET_COLUMNS (a booth never sends password hashes up).
    """
    rows = list(rows)
    uuid_maps = {}
    for f in spec.refs:
        ids = {r[f.attr] for r in rows if r[f.attr] is not None}
        uuid_maps[f.attr] = uuids_for_ids(session, f.target, ids) if ids else {}
    out = []
    for r in rows:
        rec = {"table": spec.name, "uuid": r["uuid"]}
        if spec.travelling:
            rec["seq"] = r["origin_seq"]
        for f in spec.fields:
            if not secrets and (spec.name, f.attr) in SECRET_COLUMNS:
                continue
            value = r[f.attr]
            if f.kind == "ref":
                rec[f.key] = None if value is None else uuid_maps[f.attr][value]
            else:
                rec[f.key] = encode(value)
        out.append(rec)
    return out


def select_rows(session, spec: Spec, *conditions):
    """Row mappings of spec's table matching conditions (SQLAlchemy Core), in id order."""
    return session.execute(select(spec.table).where(*conditions).order_by(spec.table.c.id)).mappings().all()


# --- reading rows in --------------------------------------------------------------------------

def _default(field: Field):
    d = field.default
    if d is None:
        return None
    if d.is_scalar:
        return d.arg
    if d.is_callable:
        return d.arg(None)
    return None


_MISSING = object()


def load_record(spec: Spec, rec: dict, index=None):
    """Check one wire record against its table and convert its values.

    Returns (values, refs): values maps column key -> Python value for the plain columns
    (missing optional ones filled with their default), refs maps column key -> the
    referenced uuid (or None). Raises BadRecord naming the record and the field.

    Written for speed (the hub checks millions of records per fair): each spec gets its own
    checking function, made once from its fields (_compile_loader), in which every field is
    one inline test of the usual case (`type(x) is int and ...`, exact, so a JSON true is not
    a 1); anything else (missing, null, a date to parse, a wrong value) goes to _slow_field.
    uuids are checked for form; whether they exist is the reference lookup's job.
    """
    loader = spec.__dict__.get("_loader")
    if loader is None:
        loader = _compile_loader(spec)
        object.__setattr__(spec, "_loader", loader)
    return loader(rec, index)


def _slow_field(spec: Spec, f: Field, raw, index, uuid):
    """A field whose value is not of the usual form: its default, None, a converted value, or BadRecord."""
    key = f.key
    if raw is _MISSING:
        if f.nullable or f.default is not None:
            return None if f.kind == "ref" else _default(f)
        raise BadRecord(index, spec.name, uuid, N_("thiếu trường %(name)s"), key, name=key)
    if raw is None:
        if not f.nullable:
            raise BadRecord(index, spec.name, uuid, N_("trường %(name)s không được để trống"), key, name=key)
        return None
    try:
        return _convert(f, raw)
    except (TypeError, ValueError):
        raise BadRecord(index, spec.name, uuid, N_("giá trị của %(name)s không hợp lệ"), key, name=key) from None


# The generated loader's refusals, marked here where pybabel's extraction reads them (it cannot read the
# generated source text below, so `scripts/translations.sh` would otherwise drop their translations).
NOT_AN_OBJECT = N_("không phải một đối tượng JSON")
BAD_UUID = N_("thiếu uuid hoặc uuid không hợp lệ")
UNKNOWN_FIELD = N_("trường không được hỗ trợ: %(name)s")


def _compile_loader(spec: Spec):
    """The body of load_record for one spec, as straight-line Python (no loop over the fields)."""
    ns = {"BadRecord": BadRecord, "NOT_AN_OBJECT": NOT_AN_OBJECT, "BAD_UUID": BAD_UUID, "UNKNOWN_FIELD": UNKNOWN_FIELD,
          "_MISSING": _MISSING, "_slow": _slow_field, "spec": spec,
          "allowed": spec.allowed, "INT_MIN": INT_MIN, "INT_MAX": INT_MAX, "dict": dict, "str": str, "int": int,
          "sorted": sorted, "set": set, "fields": spec.fields}
    body = [
        "def load(rec, index=None):",
        "    if type(rec) is not dict:",
        "        raise BadRecord(index, spec.name, None, NOT_AN_OBJECT)",
        "    uuid = rec.get('uuid')",
        "    if type(uuid) is not str or len(uuid) != 36:",
        "        raise BadRecord(index, spec.name, None, BAD_UUID, 'uuid')",
        "    if not allowed.issuperset(rec):",
        "        name = sorted(set(rec) - allowed)[0]",
        "        raise BadRecord(index, spec.name, uuid, UNKNOWN_FIELD, name, name=name)",
        "    get = rec.get",
    ]
    values, refs = ["'uuid': uuid"], []
    for i, f in enumerate(spec.fields):
        v = f"v{i}"
        body.append(f"    {v} = get({f.key!r}, _MISSING)")
        if f.kind == "int":
            usual = f"type({v}) is int and INT_MIN <= {v} <= INT_MAX"
        elif f.kind == "str":
            usual = f"type({v}) is str" + (f" and len({v}) <= {int(f.max_len)}" if f.max_len is not None else "")
        elif f.kind == "ref":
            usual = f"type({v}) is str and len({v}) == 36"
        else:
            usual = "False"
        if f.nullable:
            usual = f"{v} is None or ({usual})"
        body.append(f"    if not ({usual}):")
        body.append(f"        {v} = _slow(spec, fields[{i}], {v}, index, uuid)")
        (refs if f.kind == "ref" else values).append(f"{f.attr!r}: {v}")
    body.append(f"    return {{{', '.join(values)}}}, {{{', '.join(refs)}}}")
    exec("\n".join(body), ns)  # noqa: S102 - the source is made above from the table's own column names
    return ns["load"]


def _convert(f: Field, raw):
    if f.kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int) or not INT_MIN <= raw <= INT_MAX:
            raise ValueError
        return raw
    if f.kind == "str":
        if not isinstance(raw, str) or (f.max_len is not None and len(raw) > f.max_len):
            raise ValueError
        return raw
    if f.kind == "bool":
        if not isinstance(raw, bool):
            raise ValueError
        return raw
    if f.kind == "datetime":
        if not isinstance(raw, str):
            raise ValueError
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        if value.tzinfo is not None:  # stored as naive UTC
            from datetime import timezone

            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    if f.kind == "date":
        if not isinstance(raw, str):
            raise ValueError
        return date.fromisoformat(raw)
    if f.kind == "ref":
        if not isinstance(raw, str) or not _UUID.match(raw):
            raise ValueError
        return raw
    raise ValueError


def same_content(spec: Spec, held: dict, values: dict, refs: dict) -> bool:
    """Whether a held record (wire form) says the same as an incoming one (loaded form)."""
    for f in spec.fields:
        if (spec.name, f.attr) in SECRET_COLUMNS:
            continue
        mine = refs.get(f.attr) if f.kind == "ref" else values.get(f.attr)
        theirs = held.get(f.key)
        if f.kind in ("datetime", "date") and theirs is not None:
            theirs = _convert(f, theirs)
        if mine != theirs:
            return False
    return True


# --- batches ----------------------------------------------------------------------------------

_REF_CLOSURE = ("till", "user", "product", "producer")


def dump_batch(session, *, fmt: str, booth_uuid: str, origin_db: str, members: dict, context: dict) -> dict:
    """A batch in its wire form: the travelling records members and context name ({table: [ids]}),
    and as refs the catalogue rows they point at (till, cashier, product, producer). Built by a
    booth for its push, and by the hub for a restored booth fetching what it lost."""
    specs = travelling_specs()
    cat = {s.name: s for s in catalogue_specs()}
    out: dict[str, list] = {"records": [], "context": []}
    wanted: dict[str, set] = {}
    for part, ids_by_table in (("records", members), ("context", context)):
        for spec in specs:
            ids = ids_by_table.get(spec.name)
            if not ids:
                continue
            rows = []
            for chunk in _chunks(sorted(ids)):
                rows += select_rows(session, spec, spec.table.c.id.in_(chunk))
            out[part] += dump_rows(session, spec, rows, secrets=False)
            for f in spec.refs:
                if f.target in _REF_CLOSURE:
                    wanted.setdefault(f.target, set()).update(r[f.attr] for r in rows if r[f.attr] is not None)
    refs = []
    # Parents after children in this loop's order, so a product's producer is collected before producers are dumped.
    for name in ("user", "till", "product", "producer"):
        ids = wanted.get(name)
        if not ids:
            continue
        spec = cat[name]
        rows = []
        for chunk in _chunks(sorted(ids)):
            rows += select_rows(session, spec, spec.table.c.id.in_(chunk))
        for f in spec.refs:
            if f.target in _REF_CLOSURE:
                wanted.setdefault(f.target, set()).update(r[f.attr] for r in rows if r[f.attr] is not None)
        refs += dump_rows(session, spec, rows, secrets=False)
    order = {name: i for i, name in enumerate(("producer", "product", "till", "user"))}
    refs.sort(key=lambda r: order[r["table"]])
    return {"format": fmt, "version": WIRE_VERSION, "booth_uuid": booth_uuid, "origin_db": origin_db,
            "sent_at": utcnow().isoformat(), "records": out["records"],
            "context": out["context"], "refs": refs}


# --- the totals both sides compare ------------------------------------------------------------

def _acked(table, cursors):
    if cursors is None:
        return True
    if not cursors:
        return false()
    return or_(*[and_(table.c.origin_db == o, table.c.origin_seq <= c) for o, c in cursors.items()])


def booth_totals(session, booth_id: int, cursors: dict[str, int] | None = None) -> dict:
    """Per product, units sold and net đồng (voided sales left out, refunds taken off), and the
    number of records of each travelling table, for one booth.

    cursors (booth side) limits the count to records the hub acknowledged: {origin_db: seq}.
    """
    sl, rl, v = SaleLine.__table__, RefundLine.__table__, Void.__table__
    voided = select(v.c.sale_id).where(v.c.booth_id == booth_id, _acked(v, cursors))
    products: dict[str, dict] = {}
    sold = session.execute(
        select(Product.uuid, func.sum(sl.c.qty), func.sum(sl.c.net_vnd))
        .select_from(sl).join(Product, Product.id == sl.c.product_id)
        .where(sl.c.booth_id == booth_id, _acked(sl, cursors), sl.c.sale_id.not_in(voided))
        .group_by(Product.uuid))
    for uuid, units, net in sold:
        products[uuid] = {"units": int(units or 0), "net_vnd": int(net or 0)}
    refunded = session.execute(
        select(Product.uuid, func.sum(rl.c.qty), func.sum(rl.c.amount_vnd))
        .select_from(rl).join(sl, sl.c.id == rl.c.sale_line_id).join(Product, Product.id == sl.c.product_id)
        .where(rl.c.booth_id == booth_id, _acked(rl, cursors)).group_by(Product.uuid))
    for uuid, units, amount in refunded:
        row = products.setdefault(uuid, {"units": 0, "net_vnd": 0})
        row["units"] -= int(units or 0)
        row["net_vnd"] -= int(amount or 0)
    records = {}
    for spec in travelling_specs():
        t = spec.table
        records[spec.name] = int(session.scalar(
            select(func.count()).select_from(t).where(t.c.booth_id == booth_id, _acked(t, cursors))) or 0)
    return {"products": products, "records": records}



def differences(booth_side: dict, hub_side: dict, names: dict[str, str] | None = None) -> dict:
    """What differs between the booth's totals and the hub's: per product and per table."""
    names = names or {}
    products = []
    zero = {"units": 0, "net_vnd": 0}
    for uuid in sorted(set(booth_side["products"]) | set(hub_side["products"])):
        b, h = booth_side["products"].get(uuid, zero), hub_side["products"].get(uuid, zero)
        if b != h:
            products.append({"product_uuid": uuid, "name": names.get(uuid, uuid), "booth_units": b["units"],
                             "hub_units": h["units"], "booth_net_vnd": b["net_vnd"], "hub_net_vnd": h["net_vnd"]})
    records = []
    for table in sorted(set(booth_side["records"]) | set(hub_side["records"])):
        b, h = booth_side["records"].get(table, 0), hub_side["records"].get(table, 0)
        if b != h:
            records.append({"table": table, "booth": b, "hub": h})
    return {"products": products, "records": records}
