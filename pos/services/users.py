"""Staff and producer accounts, passwords and managers' PINs.

A PIN belongs to one person: no two approvers (a booth's managers and the organisers) share
one, so the approver an approval records is the one who typed it. Setting a PIN
another approver uses is refused without saying whose (PINs are hashed: it is checked
against each other approver's hash).
"""
from __future__ import annotations

import re

from sqlalchemy import func, or_, select
from werkzeug.security import generate_password_hash

from ..errors import N_, Duplicate, InvalidInput, NotFound, WrongPin
from ..models import ROLES, Producer, User
from . import audit, audit_log, security
from . import validate as v
from .booths import current_booth

_USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
APPROVER_ROLES = ("manager", "organiser")


class PinTaken(Duplicate):
    """Another approver has this PIN (whose is not said: that would give their PIN away)."""

    message = N_("Mã PIN này không dùng được, chọn mã khác")
    field = "pin"


def _password_hash(secret: str) -> str:
    return generate_password_hash(secret, method="scrypt")


def save_user(session, data: dict, user: User | None = None, *, booth_id: int | None = None, actor=None,
              address: str | None = None) -> User:
    """Create or update an account. A new account needs a password of at least 8 characters;
    a manager may have a PIN of 4 to 8 digits, which no other approver has.
    Raises InvalidInput, Duplicate (PinTaken), NotFound.

    A new password, a role change or disabling the account ends the person's sessions everywhere.

    The change is audited ("user.save", never the secrets) as done by actor (default: the logged-in user).
    """
    username = v.text(data, "username", max_len=64).lower()
    if not _USERNAME.match(username):
        raise InvalidInput("username", "Tên đăng nhập 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch")
    other = session.scalars(select(User).where(func.lower(User.username) == username)).first()
    if other is not None and other is not user:
        raise Duplicate("Tên đăng nhập %(name)s đã có", field="username", name=username)
    role = v.text(data, "role", max_len=16)
    if role not in ROLES:
        raise InvalidInput("role", "Vai trò không hợp lệ")
    producer_id = None
    if role == "producer":
        producer_id = v.integer(data, "producer_id", minimum=1)
        if session.get(Producer, producer_id) is None:
            raise NotFound("Không tìm thấy chủ thể", field="producer_id")
    password = str(data.get("password") or "")
    if user is None or password:
        if len(password) < 8:
            raise InvalidInput("password", "Mật khẩu cần ít nhất 8 ký tự")
    pin = str(data.get("pin") or "").strip()
    if pin and not re.fullmatch(r"\d{4,8}", pin):
        raise InvalidInput("pin", "Mã PIN gồm 4 đến 8 chữ số")
    if pin and role not in APPROVER_ROLES:
        raise InvalidInput("pin", "Chỉ trưởng gian hàng và ban tổ chức có mã PIN")
    if pin:
        home = user.booth_id if user is not None else (booth_id if role != "organiser" else None)
        _check_pin_free(session, pin, user, home, actor, address)
    language = str(data.get("language") or (user.language if user else "vi"))
    if language not in ("vi", "en"):
        raise InvalidInput("language", "Ngôn ngữ không hợp lệ")

    is_new = user is None
    had_pin = bool(user and user.pin_hash)
    before = {} if is_new else {"username": user.username, "role": user.role, "is_active": user.is_active,
                                "full_name": user.full_name, "producer_id": user.producer_id}
    user = user or User(booth_id=booth_id if role != "organiser" else None)
    user.username = username
    user.full_name = v.text(data, "full_name", max_len=200)
    user.role = role
    user.producer_id = producer_id
    user.language = language
    if "is_active" in data or user.id is None:
        user.is_active = v.boolean(data, "is_active") if user.id else True
    if password:
        user.password_hash = _password_hash(password)
    if pin:
        user.pin_hash = _password_hash(pin)
    if role not in APPROVER_ROLES:
        user.pin_hash = None
    if not is_new and (password or before["role"] != role or (before["is_active"] and not user.is_active)):
        # A new password, another role or a disabled account: whoever is logged in as this person is not any more.
        user.session_version = (user.session_version or 1) + 1
    session.add(user)
    session.flush()
    _audit_user(session, user, is_new, before, password_set=bool(password), pin_set=bool(pin),
                pin_removed=had_pin and not user.pin_hash, actor=actor, address=address)
    return user


def _pin_taken(session, pin: str, user: User | None, booth_id: int | None) -> bool:
    """Does another approver who can approve where this one does have this PIN?

    A booth's approvers are its managers and the organisers (booth_id None). A hub holds
    the managers of every booth: theirs are compared within their own booth.
    """
    stmt = select(User).where(User.role.in_(APPROVER_ROLES), User.pin_hash.is_not(None))
    if user is not None and user.id is not None:
        stmt = stmt.where(User.id != user.id)
    if booth_id is None:  # an organiser: the organisers, and the managers of the booth this database serves
        here = current_booth(session)
        booth_id = here.id if here is not None else None
    stmt = stmt.where(or_(User.booth_id.is_(None), User.booth_id == booth_id) if booth_id is not None
                      else User.booth_id.is_(None))
    return any(other.check_pin(pin) for other in session.scalars(stmt))


def _check_pin_free(session, pin: str, user: User | None, booth_id: int | None, actor, address) -> None:
    """Raises PinTaken when another approver has this PIN, PinDelayed while the actor must wait.

    A refusal says that someone has this PIN, so it counts as a wrong PIN for the person
    setting it: probing for a colleague's PIN meets the same growing waits as guessing it.
    """
    actor, address = audit_log.actor_and_address(actor, address)
    security.check_pin_allowed(session, actor, address)
    if _pin_taken(session, pin, user, booth_id):
        security.pin_failed(session, actor, address)
        raise PinTaken()


def end_sessions(session, user: User) -> None:
    """End every session of this person, on every device (a logout does this)."""
    user.session_version = (user.session_version or 1) + 1
    session.flush()


def _audit_user(session, user, is_new, before, *, password_set, pin_set, pin_removed, actor, address):
    actor, address = audit_log.actor_and_address(actor, address)
    after = {"username": user.username, "role": user.role, "is_active": user.is_active,
             "full_name": user.full_name, "producer_id": user.producer_id}
    changes = {k: [before.get(k), v] for k, v in after.items() if is_new or before.get(k) != v}
    if not (changes or password_set or pin_set or pin_removed):
        return
    audit.record(session, actor, "user.save", user.username, address=address, created=is_new, changes=changes,
                 password_changed=password_set and not is_new, pin_changed=pin_set, pin_removed=pin_removed)


def authenticate(session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = session.scalars(
        select(User).where(func.lower(User.username) == (username or "").strip().lower())
    ).first()
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def verify_manager_pin(session, pin: str, *, actor=None, address: str | None = None, now=None) -> User:
    """The active manager (or organiser) whose PIN this is.

    actor is the person at the till asking for the approval (default: the logged-in user),
    address their device (default: the request's). After 3 wrong PINs in a row from either,
    each further try waits longer (2 s, 4 s … 60 s at most; see services/security.py); every
    wrong PIN and every approval is audited. Raises WrongPin, PinDelayed (a WrongPin).
    """
    actor, address = audit_log.actor_and_address(actor, address)
    security.check_pin_allowed(session, actor, address, now=now)
    pin = (pin or "").strip()
    if not pin:
        raise WrongPin("Cần mã PIN của quản lý")
    # PINs are unique among approvers; a database from before that rule may still hold two
    # approvers with one PIN until it is reset: the booth's manager is then credited before
    # an organiser, then the oldest account, always the same one.
    candidates = session.scalars(
        select(User).where(User.role.in_(APPROVER_ROLES), User.is_active, User.pin_hash.is_not(None))
        .order_by((User.role == "organiser"), User.id)
    )
    for user in candidates:
        if user.check_pin(pin):
            security.pin_ok(session, actor, user, address)
            return user
    raise security.pin_failed(session, actor, address, now=now)


def list_users(session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def set_language(session, user: User, lang: str) -> None:
    """Remember the interface language a user chose. Raises InvalidInput."""
    if lang not in ("vi", "en"):
        raise InvalidInput("lang", "Ngôn ngữ không hợp lệ")
    user.language = lang
    session.flush()
