"""Backups of the booth's SQLite database: online copies, checked, kept N deep, restorable.

The data of a fair exists nowhere else until it is synced, and booth laptops share power
strips with a whole hall. So the database is copied with SQLite's online backup API (a
consistent copy while tills keep selling: WAL readers never block writers) every few
minutes by `pos serve`, after each shift close, and on demand (`pos backup`). Each copy is
written beside its final name, checked with PRAGMA integrity_check, synced to disk and only
then renamed into place, so a half-written copy never looks like a backup.

A restore copies a checked backup into place and gives the database a NEW identity
(DbIdentity.id, last_seq 0): records written after the restore can never clash with the
ones the old identity already pushed to the hub, and a DbRestore row tells the hub which
identity it continues and up to which sequence number (see pos/models/security.py).
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import inspect, update
from sqlalchemy.engine import make_url

from ..db import new_uuid
from ..errors import N_, DomainError
from ..models import DbIdentity
from ..models.identity import identity
from ..models.security import DbRestore
from ..timeutil import VN, utcnow
from . import audit, numbering

log = logging.getLogger(__name__)

_NAME = re.compile(r"^pos-(\d{8}-\d{6})(?:-(\d+))?-([a-z0-9-]+)\.sqlite$")
LABELS = ("auto", "shift", "manual", "before-restore")


class BackupError(DomainError):
    message = N_("Không sao lưu được: %(reason)s")


@dataclass
class BackupResult:
    path: Path
    size_bytes: int
    label: str
    copies: list[Path]  # the same backup copied elsewhere (the USB stick)
    copy_error: str = ""  # why a copy could not be made (the stick is not plugged in)


@dataclass
class BackupFile:
    path: Path
    size_bytes: int
    label: str
    created_at: datetime  # Vietnam time, from the name


def sqlite_path(database_uri: str) -> Path:
    """The database file behind a SQLite URI. Raises BackupError for PostgreSQL (a hub backs up with pg_dump)."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(reason=N_("chỉ sao lưu được cơ sở dữ liệu SQLite của gian hàng; máy chủ tổng PostgreSQL dùng pg_dump"))
    return Path(url.database)


def backup_dir(config, instance_path) -> Path:
    """BACKUP_DIR from the configuration, or instance/backups."""
    return Path(config.get("BACKUP_DIR") or Path(instance_path) / "backups")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory; NTFS journals the rename itself
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """PRAGMA integrity_check's findings ([] when the database is sound)."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _new_name(dest_dir: Path, label: str, now: datetime) -> Path:
    stamp = now.replace(tzinfo=None) if now.tzinfo is None else now.astimezone(VN)
    base = f"pos-{stamp.strftime('%Y%m%d-%H%M%S')}"
    # Several backups in one second are numbered after the highest number used, so the newest
    # always sorts last, even once older ones of that second were pruned.
    used = [int(m.group(2) or 1) for p in dest_dir.iterdir()
            if (m := _NAME.match(p.name.removesuffix(".partial"))) and m.group(1) == base[4:]]
    if not used:
        return dest_dir / f"{base}-{label}.sqlite"
    return dest_dir / f"{base}-{max(used) + 1}-{label}.sqlite"


def make_backup(db_path: Path, dest_dir: Path, *, label: str = "manual", keep: int | None = None,
                copy_to: Path | None = None, now: datetime | None = None) -> BackupResult:
    """Copy the live database into dest_dir with the online backup API, check it, keep the last `keep`.

    copy_to: a second folder (a USB stick) that gets the same checked file; if it is
    missing the backup still succeeds and copy_error says why. Raises BackupError when the
    database cannot be read, dest_dir cannot be written, or the copy fails its check.
    """
    if label not in LABELS:
        raise ValueError(label)
    db_path = Path(db_path)
    if not db_path.exists():
        raise BackupError(reason=N_("không có tệp cơ sở dữ liệu"))
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=False, exist_ok=True)
    except OSError as exc:
        raise BackupError(reason=f"{dest_dir}: {exc.strerror or exc}") from exc
    final = _new_name(dest_dir, label, (now or datetime.now(VN)))
    partial = Path(str(final) + ".partial")
    try:
        src = sqlite3.connect(str(db_path), timeout=10)
        dst = sqlite3.connect(str(partial))
        try:
            src.backup(dst)  # one step: a consistent snapshot, the tills keep selling meanwhile (WAL)
            # The copy is one self-contained file (no -wal beside it) that can be carried on a stick.
            dst.execute("PRAGMA journal_mode=DELETE")
            problems = integrity_problems(dst)
        finally:
            dst.close()
            src.close()
        if problems:
            raise BackupError(reason=N_("bản sao không qua kiểm tra toàn vẹn") + f" ({problems[0]})")
        _fsync_file(partial)
        os.replace(partial, final)
        _fsync_dir(dest_dir)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(reason=str(exc)) from exc
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(reason=f"{exc.filename or dest_dir}: {exc.strerror or exc}") from exc
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    if keep:
        prune(dest_dir, label, keep)
    result = BackupResult(final, final.stat().st_size, label, [])
    if copy_to:
        try:
            result.copies.append(_copy_checked(final, Path(copy_to), label, keep))
        except BackupError as err:
            result.copy_error = err.text
            log.warning("backup copy to %s failed: %s", copy_to, err.text)
    return result


def _copy_checked(backup: Path, folder: Path, label: str, keep: int | None) -> Path:
    # The stick's folder must already exist: creating it would write to the laptop's own disk
    # when the stick is not plugged in, and the manager would believe the data was carried away.
    if not folder.is_dir():
        raise BackupError(N_("Không chép được bản sao lưu sang %(path)s: không thấy thư mục (chưa cắm USB?)"),
                          path=str(folder))
    target = folder / backup.name
    partial = Path(str(target) + ".partial")
    try:
        shutil.copyfile(backup, partial)
        _fsync_file(partial)
        os.replace(partial, target)
        _fsync_dir(folder)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(reason=f"{folder}: {exc.strerror or exc}") from exc
    if keep:
        prune(folder, label, keep)
    return target


def prune(folder: Path, label: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups with this label in folder (only files this module named)."""
    mine = sorted((p for p in Path(folder).iterdir() if (m := _NAME.match(p.name)) and m.group(3) == label),
                  key=lambda p: _sort_key(p.name), reverse=True)
    removed = []
    for old in mine[keep:]:
        old.unlink(missing_ok=True)
        removed.append(old)
    return removed


def _sort_key(name: str):
    m = _NAME.match(name)
    return (m.group(1), int(m.group(2) or 1)) if m else ("", 0)


def list_backups(*folders: Path) -> list[BackupFile]:
    """The backups in these folders, newest first."""
    found = []
    for folder in folders:
        if not folder or not Path(folder).is_dir():
            continue
        for p in Path(folder).iterdir():
            m = _NAME.match(p.name)
            if m:
                created = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
                found.append(BackupFile(p, p.stat().st_size, m.group(3), created))
    return sorted(found, key=lambda b: (_sort_key(b.path.name), str(b.path)), reverse=True)


@dataclass
class BackupInfo:
    db_id: str
    last_seq: int
    booth_id: int | None


def check_backup_file(path: Path) -> BackupInfo:
    """Open a backup read-only, run the integrity check, read its identity.

    Raises BackupError saying what is wrong: not there, not a database, damaged, not a Fair POS database.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(N_("Không có tệp %(path)s"), path=str(path))
    # immutable: nothing is written beside the file (no -wal, no -shm), even on a read-only stick.
    uri = f"file:{path.resolve().as_posix()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            problems = integrity_problems(conn)
            if problems:
                raise BackupError(N_("Tệp %(path)s bị hỏng: %(problem)s"), path=str(path), problem=problems[0])
            try:
                row = conn.execute("SELECT id, last_seq, booth_id FROM db_identity").fetchone()
            except sqlite3.OperationalError:
                row = None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(N_("Tệp %(path)s không phải cơ sở dữ liệu SQLite (%(problem)s)"), path=str(path),
                          problem=str(exc)) from exc
    if row is None:
        raise BackupError(N_("Tệp %(path)s không phải bản sao lưu của Fair POS (không có mã cơ sở dữ liệu)"),
                          path=str(path))
    return BackupInfo(row[0], int(row[1]), row[2])


def check_database(db_path: Path) -> list[str]:
    """The live database's integrity problems ([] when sound, or when there is no file yet)."""
    db_path = Path(db_path)
    if not db_path.exists():
        return []
    try:
        conn = sqlite3.connect(str(db_path), timeout=10)
        try:
            return integrity_problems(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def damaged_database_advice(db_path: Path, problems: list[str], folders: list[Path]) -> str:
    """What the person at the laptop should do when the database is damaged, in plain words."""
    newest_good = None
    for b in list_backups(*folders):
        try:
            check_backup_file(b.path)
        except BackupError:
            continue
        newest_good = b.path
        break
    lines = [
        f"CƠ SỞ DỮ LIỆU BỊ HỎNG: {db_path}",
        f"  Lỗi: {problems[0]}" + (f" (và {len(problems) - 1} lỗi khác)" if len(problems) > 1 else ""),
        "  Máy bán hàng chưa chạy, để không ghi thêm vào tệp hỏng. Cách xử lý:",
        "  1. Xem các bản sao lưu:         pos backup --list",
    ]
    if newest_good:
        lines.append(f"  2. Khôi phục bản mới nhất còn tốt: pos restore \"{newest_good}\"")
    else:
        lines.append("  2. Khôi phục một bản sao lưu còn tốt: pos restore <tệp> (xem cả USB sao lưu)")
    lines += [
        "     Tệp hỏng được giữ lại trong thư mục sao lưu (damaged-…), không mất gì.",
        "  3. Sau khi khôi phục: đồng bộ với máy chủ tổng; các đơn bán sau bản sao lưu mà đã gửi lên",
        "     máy chủ tổng vẫn còn ở đó. Đếm lại tiền và hàng của ca đang mở.",
        "  Không tự khôi phục được: gọi ban tổ chức, mang theo máy và USB sao lưu.",
    ]
    return "\n".join(lines)


@dataclass
class RestoreResult:
    target: Path
    restored_from: BackupInfo
    kept_previous: Path | None  # the database that was there before, kept in the backup folder


def copy_backup_into_place(backup: Path, target: Path, *, keep_dir: Path | None) -> RestoreResult:
    """Check the backup, keep what is at target now, then copy the backup into target.

    A sound database at target is first backed up ("before-restore") into keep_dir; a damaged
    one (or one that cannot be opened) is moved aside there as damaged-<time>.sqlite with its
    -wal, so nothing is lost whatever the restore was for. The copy goes through the backup
    API, which writes the target through SQLite's own locking and journal: a stale -wal
    beside it can never be replayed over the restored data. The server must be stopped.
    Raises BackupError. The new identity is given afterwards (assign_new_identity).
    """
    info = check_backup_file(backup)
    target = Path(target)
    kept = None
    if target.exists():
        if keep_dir is None:
            raise BackupError(N_("Cần thư mục sao lưu để giữ lại dữ liệu hiện có trước khi khôi phục"))
        Path(keep_dir).mkdir(parents=True, exist_ok=True)
        if not check_database(target):
            kept = make_backup(target, Path(keep_dir), label="before-restore").path
        else:
            stamp = datetime.now(VN).strftime("%Y%m%d-%H%M%S")
            kept = Path(keep_dir) / f"damaged-{stamp}-{target.name}"
            for suffix in ("", "-wal", "-shm"):
                part = Path(str(target) + suffix)
                if part.exists():
                    os.replace(part, Path(str(kept) + suffix))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = sqlite3.connect(f"file:{Path(backup).resolve().as_posix()}?mode=ro&immutable=1", uri=True)
        dst = sqlite3.connect(str(target), timeout=10)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")  # the booth's mode (the backup file was self-contained)
            problems = integrity_problems(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(reason=str(exc)) from exc
    if problems:
        raise BackupError(reason=N_("dữ liệu khôi phục không qua kiểm tra toàn vẹn") + f" ({problems[0]})")
    return RestoreResult(target, info, kept)


def assign_new_identity(session, *, backup_name: str, note: str = "") -> tuple[str, str, int]:
    """Give the (just restored) database a new identity, last_seq 0, and record where it came from.

    Returns (new id, old id, old last_seq). Must run inside a unit_of_work.
    """
    ident = identity(session)
    old_id, old_seq, booth_id = ident.id, ident.last_seq, ident.booth_id
    new_id = new_uuid()
    session.execute(update(DbIdentity).where(DbIdentity.id == old_id)
                    .values(id=new_id, last_seq=0, created_at=utcnow()))
    session.expire_all()
    # Receipts, shifts and stock documents the lost database issued after the backup are unknown:
    # this one numbers in a series of its own (services/numbering).
    series = numbering.start_series(session)
    if inspect(session.get_bind()).has_table(DbRestore.__tablename__):
        session.add(DbRestore(db_id=new_id, booth_id=booth_id, restored_from_db=old_id, restored_from_seq=old_seq,
                              backup_name=backup_name[:200], note=note))
    else:  # a database whose schema predates db_restore: the audit entry below still says it
        log.warning("db_restore table missing: restore lineage kept in the audit log only")
    audit.record(session, None, "db.restore", backup_name[:200], new_db=new_id, restored_from_db=old_id,
                 restored_from_seq=old_seq, number_series=series)
    session.flush()
    return new_id, old_id, old_seq


LOW_DISK_MB = 500  # below this much free space the manager is warned (config LOW_DISK_MB)


@dataclass
class DiskSpace:
    folder: Path
    free_mb: int
    total_mb: int


def low_disk(database_uri: str, min_free_mb: int = LOW_DISK_MB) -> DiskSpace | None:
    """The database's disk when it has less than min_free_mb free (None when there is room, or for
    a database that is not a local file)."""
    if not str(database_uri).startswith("sqlite:///"):
        return None
    folder = sqlite_path(database_uri).parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return None
    free_mb = usage.free // (1024 * 1024)
    if free_mb >= min_free_mb:
        return None
    return DiskSpace(folder, free_mb, usage.total // (1024 * 1024))


def low_disk_warning(app) -> str | None:
    """What `pos serve` says at start and the manager's pages show when free space runs low."""
    space = low_disk(app.config["SQLALCHEMY_DATABASE_URI"], int(app.config.get("LOW_DISK_MB", LOW_DISK_MB)))
    if space is None:
        return None
    return gettext("Ổ đĩa sắp đầy: chỉ còn %(free)s MB trống ở %(folder)s. Khi đầy, máy không ghi được đơn bán nào: "
                   "hãy xóa tệp không cần hoặc chép bản sao lưu cũ sang USB.", free=space.free_mb, folder=str(space.folder))


def backup_now(app, *, label: str = "manual", to: Path | None = None) -> BackupResult:
    """Back up the app's database now, into `to` or the configured folder (and the USB folder, if set).

    Raises BackupError.
    """
    cfg = app.config
    db_path = sqlite_path(cfg["SQLALCHEMY_DATABASE_URI"])
    dest = Path(to) if to else backup_dir(cfg, app.instance_path)
    usb = cfg.get("BACKUP_USB_PATH") or None
    return make_backup(db_path, dest, label=label, keep=None if to else int(cfg.get("BACKUP_KEEP") or 0) or None,
                       copy_to=Path(usb) if usb and not to else None)


def backup_after_shift_close(app) -> BackupResult | None:
    """Back up right after a shift closed (call it after the close committed).

    Never raises: a backup that fails must not undo or hide the close; it is logged and
    None is returned, so the page can say "the backup failed, see the log".
    """
    try:
        return backup_now(app, label="shift")
    except Exception:  # noqa: BLE001 - logged; the shift is closed whatever happens here
        log.exception("backup after shift close failed")
        return None


def problem_at_start(app) -> str | None:
    """The integrity check `pos serve` runs first: None when the database is sound (or not SQLite),
    else the plain-words advice to print instead of starting."""
    try:
        db_path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupError:
        return None
    problems = check_database(db_path)
    if not problems:
        return None
    folders = [backup_dir(app.config, app.instance_path)]
    if app.config.get("BACKUP_USB_PATH"):
        folders.append(Path(app.config["BACKUP_USB_PATH"]))
    return damaged_database_advice(db_path, problems, folders)
