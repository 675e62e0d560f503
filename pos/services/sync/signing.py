"""Signed files for the USB stick: HMAC-SHA256 with the booth's signing key (itsdangerous' HMAC).

A file is one JSON object:

    {"format": "fair-pos/signed-file", "version": 1, "kind": "push" | "provision",
     "booth_uuid": "...", "booth": "X20-B07", "created_at": "2020-01-15T07:00:00",
     "payload": "<base64 of the gzip'd JSON payload>", "signature": "<hex HMAC-SHA256>"}

The signature covers every header field and the payload, so neither the booth it claims
nor its content can be changed without the key. The key is the booth's own, kept by
the hub and the booth apart from the login token: a file of another booth, or one
changed after signing, is refused with a message saying which.

The MAC is itsdangerous' HMACAlgorithm (the library Flask signs its cookies with), but the
envelope above is ours and stays as it is, rather than itsdangerous' "value.signature" form:
files sit on USB sticks and booth laptops between a push and its import (provision -> booth,
push -> hub, ack -> booth), so a hub upgraded mid-fair must still read what booths wrote, and
a booth not yet upgraded must still open the hub's files. The bytes signed and the hex
signature are the same as before the library did the HMAC (a test builds a file the old way).
"""
from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import secrets

from itsdangerous.signer import HMACAlgorithm

from ...errors import DomainError, N_
from ...timeutil import utcnow

FORMAT = "fair-pos/signed-file"
VERSION = 1
KINDS = ("push", "provision", "ack")
HEADER = ("format", "version", "kind", "booth_uuid", "booth", "created_at")
# A booth's whole fair is a few megabytes; a file far beyond this is not one of ours.
MAX_FILE_BYTES = 200 * 1024 * 1024
_HMAC = HMACAlgorithm(hashlib.sha256)
# The signature as sign() writes it: lowercase hex of the 32-byte MAC. Any other spelling of the
# same bytes (upper case, spaces, which bytes.fromhex would take) was never accepted: still refused.
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class UnreadableFile(DomainError):
    message = N_("Tệp không đọc được: đây không phải tệp đồng bộ của Fair POS (%(why)s)")
    field = "file"


class TamperedFile(DomainError):
    message = N_("Tệp đã bị sửa sau khi ký, hoặc không được ký bằng khóa của gian hàng %(booth)s: không nhập gì cả")
    field = "file"


class ForeignFile(DomainError):
    message = N_("Tệp này của gian hàng %(theirs)s, không phải của gian hàng %(ours)s: không nhập gì cả")
    field = "file"


class WrongKindFile(DomainError):
    message = N_("Tệp này là loại %(kind)s, cần tệp loại %(expected)s")
    field = "file"


class NoSigningKey(DomainError):
    message = N_("Gian hàng %(booth)s chưa có khóa ký tệp")
    field = "key"


def new_key() -> str:
    """A fresh signing key: 32 random bytes, hex."""
    return secrets.token_hex(32)


def _signed_part(key: str, header: dict, payload_b64: str) -> tuple[bytes, bytes]:
    """The raw key and the bytes the signature covers: each header field on its line, then the payload."""
    try:
        raw_key = bytes.fromhex(key)
    except ValueError:
        raise NoSigningKey(booth=header.get("booth", "")) from None
    message = "\n".join(str(header[k]) for k in HEADER) + "\n" + payload_b64
    return raw_key, message.encode("utf-8")


def _signature(key: str, header: dict, payload_b64: str) -> str:
    return _HMAC.get_signature(*_signed_part(key, header, payload_b64)).hex()


def _verified(key: str, header: dict, payload_b64: str, signature: str) -> bool:
    raw_key, message = _signed_part(key, header, payload_b64)
    if not _SIGNATURE.fullmatch(signature):
        return False
    return _HMAC.verify_signature(raw_key, message, bytes.fromhex(signature))


def sign(kind: str, booth_uuid: str, booth_label: str, payload: dict, key: str) -> bytes:
    """The signed file's bytes for a payload."""
    assert kind in KINDS
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    payload_b64 = base64.b64encode(gzip.compress(body, mtime=0)).decode("ascii")
    header = {"format": FORMAT, "version": VERSION, "kind": kind, "booth_uuid": booth_uuid,
              "booth": booth_label, "created_at": utcnow().isoformat(timespec="seconds")}
    doc = dict(header, payload=payload_b64, signature=_signature(key, header, payload_b64))
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def read_header(data: bytes) -> dict:
    """The file's header (unverified: only to find which booth's key checks it). Raises UnreadableFile."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(why="quá lớn")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UnreadableFile(why="không phải JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UnreadableFile(why="sai định dạng")
    if doc.get("version") != VERSION:
        raise UnreadableFile(why=f"phiên bản {doc.get('version')!r}")
    missing = [k for k in (*HEADER, "payload", "signature") if not isinstance(doc.get(k), (str, int))]
    if missing:
        raise UnreadableFile(why=f"thiếu {missing[0]}")
    return doc


def open_signed(data: bytes, key: str, *, kind: str, booth_uuid: str | None = None,
                booth_label: str = "") -> tuple[dict, dict]:
    """Check a signed file and return (header, payload).

    booth_uuid, when given, is the booth the file must belong to. Raises UnreadableFile,
    WrongKindFile, ForeignFile (another booth's file), TamperedFile (bad signature).
    """
    doc = read_header(data)
    header = {k: doc[k] for k in HEADER}
    if booth_uuid is not None and doc["booth_uuid"] != booth_uuid:
        raise ForeignFile(theirs=doc["booth"] or doc["booth_uuid"], ours=booth_label or booth_uuid)
    if not _verified(key, header, doc["payload"], str(doc["signature"])):
        raise TamperedFile(booth=booth_label or doc["booth"])
    # Checked after the signature: a signed kind cannot have been altered.
    if doc["kind"] != kind:
        raise WrongKindFile(kind=doc["kind"], expected=kind)
    try:
        payload = json.loads(gzip.decompress(base64.b64decode(doc["payload"], validate=True)).decode("utf-8"))
    except (binascii.Error, OSError, EOFError, UnicodeDecodeError, ValueError):
        raise UnreadableFile(why="nội dung hỏng") from None
    if not isinstance(payload, dict):
        raise UnreadableFile(why="nội dung hỏng")
    return header, payload
