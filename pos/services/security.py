"""Growing delays after failed logins and managers' PINs, per account and per address.

The failures are audit entries (auth.login_failed, auth.pin_failed); the delays are
computed from them, so the log the manager reads is the only record.

The rules, and why:
- The first FREE_FAILURES failures in a row cost nothing (a typo is not an attack).
  Then each failure makes the next try wait 2, 4, 8, 16, 32, then 60 seconds at most
  (delay_for). A try during the wait is refused without looking at the password and
  does not count, so a person who retries too early never makes it worse.
- Failures are forgotten WINDOW after the last one, after a success (login, or a PIN
  that was right) and after a manager's unlock. Nothing is ever locked for good.
- Per address, for logins: failures from one device slow down that device, whatever
  account it tries. A login clears only the failures that device made at THAT account
  (her own typos): a cashier who alternates three guesses at the manager's password with
  a login to her own account on the same laptop clears nothing of the guesses.
- Per account, for logins: failures on an account slow down tries on it from addresses
  that have never logged in to it (in the last TRUSTED_DAYS days). A stranger on the
  Wi-Fi can slow down his own phone and new devices, but never the cashier at her own
  till: her device is known for her account, so neither the account's count nor the
  device's failures at OTHER accounts hold her up. What that device did at her own
  account still counts, and "known" is per account: the manager's password typed at the
  cashier's laptop waits for every guess made at it from there, even if the manager
  once logged in at that laptop. A cashier on a new phone while someone is guessing her
  password waits at most 60 s, or a manager clears the wait (Nhật ký → Thời gian chờ).
- Per account, for PINs: the account is the person at the till asking for approval,
  already logged in, so a stranger cannot type PINs in anyone's name; the per-account
  count there has no exemption (the person guessing is the one at the till).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, has_request_context
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from ..errors import N_, DomainError, WrongPin
from ..models import AuditEntry
from ..timeutil import utcnow
from . import audit

FREE_FAILURES = 3
MAX_DELAY_S = 60
WINDOW = timedelta(minutes=15)
TRUSTED_DAYS = 30

LOGIN_FAILED, LOGIN_OK = "auth.login_failed", "auth.login"
# A wrong customer-display pairing code: six digits are a million guesses, so a device that keeps
# guessing waits as it would for a password (a display that pairs does not clear it: it is no person).
PAIR_FAILED = "display.pair_failed"
PIN_FAILED, PIN_OK = "auth.pin_failed", "auth.pin_ok"
UNLOCK, UNLOCK_ADDRESS = "auth.unlock", "auth.unlock_address"

_PENDING = "_pos_pending_security_failures"


class TooManyAttempts(DomainError):
    """Too many failures in a row: wait before trying again (HTTP 429 where the status table knows it).

    retry_after_s is the wait in seconds, for an HTTP Retry-After header.
    """

    message = N_("Sai quá nhiều lần. Vui lòng chờ %(seconds)s giây rồi thử lại.")

    def __init__(self, message: str | None = None, field: str | None = None, **params):
        super().__init__(message, field, **params)
        self.retry_after_s = int(params.get("seconds") or 0)


class PinDelayed(TooManyAttempts, WrongPin):
    message = N_("Nhập sai mã PIN nhiều lần. Vui lòng chờ %(seconds)s giây rồi thử lại.")
    field = "pin"


class WrongPinWait(WrongPin):
    message = N_("Mã PIN của quản lý không đúng. Vui lòng chờ %(seconds)s giây trước khi thử lại.")


def delay_for(failures: int) -> int:
    """Seconds to wait after `failures` failures in a row: 0, 0, 2, 4, 8, 16, 32, 60, 60 …"""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_DELAY_S, 2 ** (failures - FREE_FAILURES + 1))


@dataclass
class Count:
    failures: int
    last_failure_at: datetime | None

    def wait_s(self, now: datetime) -> int:
        if not self.failures or self.last_failure_at is None:
            return 0
        left = delay_for(self.failures) - (now - self.last_failure_at).total_seconds()
        return max(0, int(left + 0.999))  # round up: "wait 0 seconds" must never be said while refusing


def _count(session, failed: str, resets: tuple[str, ...], *, target=None, address=None, now: datetime) -> Count:
    """Failures of one kind for an account (target) or an address since the window began or the last reset."""
    start = now - WINDOW
    reset_stmt = select(func.max(AuditEntry.at)).where(AuditEntry.at > start)
    if target is not None:
        reset_stmt = reset_stmt.where(
            ((AuditEntry.action.in_([r for r in resets if r != UNLOCK_ADDRESS])) & (AuditEntry.target == target)))
    else:
        reset_stmt = reset_stmt.where(
            ((AuditEntry.action.in_([r for r in resets if r not in (UNLOCK, UNLOCK_ADDRESS)]))
             & (AuditEntry.address == address))
            | ((AuditEntry.action == UNLOCK_ADDRESS) & (AuditEntry.target == address)))
    last_reset = session.scalar(reset_stmt)
    since = max(start, last_reset) if last_reset else start
    stmt = select(func.count(), func.max(AuditEntry.at)).where(AuditEntry.action == failed, AuditEntry.at > since)
    stmt = stmt.where(AuditEntry.target == target) if target is not None else stmt.where(AuditEntry.address == address)
    failures, last = session.execute(stmt).one()
    return Count(int(failures or 0), last)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:64]


def is_known_address(session, username: str, address: str, *, now: datetime | None = None) -> bool:
    """Has this account logged in from this address in the last TRUSTED_DAYS days?"""
    now = now or utcnow()
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == LOGIN_OK, AuditEntry.target == _key(username), AuditEntry.address == (address or ""),
        AuditEntry.at > now - timedelta(days=TRUSTED_DAYS))) > 0


def _address_login_failures(session, address: str, *, now: datetime, only: str | None = None,
                            exclude: str | None = None) -> Count:
    """Failed logins from one address in the window, each counted until that address logs in to the
    account it was aimed at (or a manager clears the account or the address).

    only / exclude: the failures at one account, or at every account but one.
    """
    start = now - WINDOW
    unlocked_at = session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.action == UNLOCK_ADDRESS, AuditEntry.target == address, AuditEntry.at > start))
    since = max(start, unlocked_at) if unlocked_at else start
    failure, later = AuditEntry, aliased(AuditEntry)
    # Later by id, not by time: entries written in the same instant keep their order.
    cleared = exists().where(later.id > failure.id, later.target == failure.target,
                             ((later.action == LOGIN_OK) & (later.address == address)) | (later.action == UNLOCK))
    stmt = select(func.count(), func.max(failure.at)).where(
        failure.action == LOGIN_FAILED, failure.address == address, failure.at > since, ~cleared)
    if only is not None:
        stmt = stmt.where(failure.target == only)
    if exclude is not None:
        stmt = stmt.where(failure.target != exclude)
    failures, last = session.execute(stmt).one()
    return Count(int(failures or 0), last)


def login_wait_seconds(session, username: str, address: str, *, now: datetime | None = None) -> int:
    """How long this address must wait before trying this username (0: try now). Writes nothing.

    The module's docstring gives the rules: the device's failures at this account always
    count; its failures at other accounts and the account's failures from elsewhere count
    unless this account has logged in from this device before.
    """
    now = now or utcnow()
    address, key = address or "", _key(username)
    if is_known_address(session, username, address, now=now):
        return _address_login_failures(session, address, now=now, only=key).wait_s(now)
    wait = _address_login_failures(session, address, now=now).wait_s(now)
    account = _count(session, LOGIN_FAILED, (LOGIN_OK, UNLOCK), target=key, now=now)
    if account.failures >= FREE_FAILURES:
        wait = max(wait, account.wait_s(now))
    return wait


def record_login_failure(session, username: str, address: str) -> None:
    """Write the failed try (audit auth.login_failed, with the name that was typed)."""
    audit.record(session, None, LOGIN_FAILED, _key(username), address=address)


def record_login(session, user, address: str) -> None:
    """Write the login (audit auth.login): it clears the account's and the address's failures."""
    audit.record(session, user, LOGIN_OK, _key(user.username), address=address)


def pair_wait_seconds(session, address: str, *, now: datetime | None = None) -> int:
    """Seconds this device must wait before typing another display pairing code (a manager's unlock clears it)."""
    now = now or utcnow()
    return _count(session, PAIR_FAILED, (UNLOCK_ADDRESS,), address=address or "", now=now).wait_s(now)


def check_pair_allowed(session, address: str, *, now: datetime | None = None) -> None:
    """Raises TooManyAttempts while this device must wait before trying another pairing code."""
    wait = pair_wait_seconds(session, address, now=now)
    if wait:
        raise TooManyAttempts(seconds=wait)


def record_pair_failure(session, address: str) -> None:
    """Write a wrong pairing code (audit display.pair_failed) for the device that typed it."""
    audit.record(session, None, PAIR_FAILED, "display", address=address or "")


def pin_wait_seconds(session, actor_username: str, address: str, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    account = _count(session, PIN_FAILED, (PIN_OK, UNLOCK), target=_key(actor_username), now=now)
    by_address = _count(session, PIN_FAILED, (PIN_OK, UNLOCK_ADDRESS), address=address or "", now=now)
    return max(account.wait_s(now), by_address.wait_s(now))


def check_pin_allowed(session, actor, address: str, *, now: datetime | None = None) -> None:
    """Raises PinDelayed while this person or this device must wait before typing a PIN again."""
    wait = pin_wait_seconds(session, getattr(actor, "username", ""), address, now=now)
    if wait:
        raise PinDelayed(seconds=wait)


def pin_failed(session, actor, address: str, *, now: datetime | None = None) -> WrongPin:
    """Count a wrong PIN and return the error to raise (saying how long to wait when a wait begins).

    The wrong PIN makes its use case roll back, and the count must survive that: inside a
    request it is written after the response (flush_pending, called by the app's
    after_request hook); outside one (the CLI) it is added to the caller's session.
    """
    now = now or utcnow()
    username = getattr(actor, "username", "") or ""
    account = _count(session, PIN_FAILED, (PIN_OK, UNLOCK), target=_key(username), now=now)
    by_address = _count(session, PIN_FAILED, (PIN_OK, UNLOCK_ADDRESS), address=address or "", now=now)
    # Counted before this failure is noted, then counted in: the wait it starts is said at once.
    wait = delay_for(max(account.failures, by_address.failures) + 1)
    _defer_or_add(session, dict(user=actor, action=PIN_FAILED, target=_key(username), address=address or ""))
    return WrongPinWait(seconds=wait) if wait else WrongPin()


def pin_ok(session, actor, approver, address: str) -> None:
    """Write the approval (audit auth.pin_ok): whose PIN was used, at whose till. Clears the PIN failures."""
    audit.record(session, actor, PIN_OK, _key(getattr(actor, "username", "")), address=address or "",
                 approver=getattr(approver, "username", ""))


def _defer_or_add(session, entry: dict) -> None:
    if has_request_context():
        g.setdefault(_PENDING, []).append(entry)
    else:
        audit.record(session, entry["user"], entry["action"], entry["target"], address=entry["address"])


def pending_failures() -> list[dict]:
    return list(g.get(_PENDING, [])) if has_request_context() else []


def flush_pending(session) -> int:
    """Write the failures noted during this request (its own transaction had rolled back). Returns how many."""
    entries = g.pop(_PENDING, [])
    for entry in entries:
        user = entry["user"]
        # The user object belongs to the request's session; only its id and name are needed.
        audit.record(session, user, entry["action"], entry["target"], address=entry["address"])
    return len(entries)


def unlock(session, manager, *, username: str | None = None, address: str | None = None, reason: str = "") -> None:
    """Clear the waits of an account (logins and PINs) or of an address, as a manager decides.

    Raises DomainError when neither is given.
    """
    if username:
        audit.record(session, manager, UNLOCK, _key(username), reason=reason)
    elif address:
        audit.record(session, manager, UNLOCK_ADDRESS, address[:64], reason=reason)
    else:
        raise DomainError(N_("Chọn tài khoản hoặc địa chỉ cần xóa thời gian chờ"))


@dataclass
class Waiting:
    kind: str  # "account" or "address"
    key: str
    login: Count
    pin: Count
    wait_s: int


def recent_failures(session, *, now: datetime | None = None) -> list[Waiting]:
    """Accounts and addresses with failures in the window, the ones that must wait first."""
    now = now or utcnow()
    rows = session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.address).where(
        AuditEntry.action.in_((LOGIN_FAILED, PIN_FAILED)), AuditEntry.at > now - WINDOW)).all()
    accounts = sorted({t for _, t, _ in rows if t})
    addresses = sorted({a for _, _, a in rows if a})
    out = []
    for name in accounts:
        login = _count(session, LOGIN_FAILED, (LOGIN_OK, UNLOCK), target=name, now=now)
        pin = _count(session, PIN_FAILED, (PIN_OK, UNLOCK), target=name, now=now)
        if login.failures or pin.failures:
            out.append(Waiting("account", name, login, pin, max(login.wait_s(now), pin.wait_s(now))))
    for addr in addresses:
        login = _address_login_failures(session, addr, now=now)
        pin = _count(session, PIN_FAILED, (PIN_OK, UNLOCK_ADDRESS), address=addr, now=now)
        if login.failures or pin.failures:
            out.append(Waiting("address", addr, login, pin, max(login.wait_s(now), pin.wait_s(now))))
    return sorted(out, key=lambda w: (-w.wait_s, w.kind, w.key))
