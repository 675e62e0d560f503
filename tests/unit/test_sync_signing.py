"""Signed files for the USB stick: what was signed comes back; anything changed or foreign is refused."""
import base64
import gzip
import hashlib
import hmac
import json

import pytest

from pos.services.sync import signing

BOOTH = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
OTHER = "9c1e2b6a-0d1f-4c55-8f0e-6b7a1d2c3e4f"


@pytest.fixture
def key():
    return signing.new_key()


def _doc(data):
    return json.loads(data)


def _signed_the_old_way(doc, key):
    """doc with the signature the hand-written HMAC wrote before itsdangerous did it (hmac.new over
    the header fields, one a line, then the payload): what files already on USB sticks carry."""
    header = ("format", "version", "kind", "booth_uuid", "booth", "created_at")
    message = "\n".join(str(doc[k]) for k in header) + "\n" + doc["payload"]
    return dict(doc, signature=hmac.new(bytes.fromhex(key), message.encode("utf-8"), hashlib.sha256).hexdigest())


def _file_the_old_way(payload, key, *, created_at="2020-01-15T07:00:00"):
    """A push file byte for byte as a booth wrote it before this version."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    doc = {"format": "fair-pos/signed-file", "version": 1, "kind": "push", "booth_uuid": BOOTH, "booth": "X20-B07",
           "created_at": created_at, "payload": base64.b64encode(gzip.compress(body, mtime=0)).decode("ascii")}
    return json.dumps(_signed_the_old_way(doc, key), ensure_ascii=False, indent=1).encode("utf-8")


def test_a_signed_file_opens_with_the_booths_key(key):
    payload = {"batches": [{"records": [{"table": "sale", "total_vnd": 190_000}]}], "note": "Miến dong"}
    data = signing.sign("push", BOOTH, "X20-B07", payload, key)
    header, opened = signing.open_signed(data, key, kind="push", booth_uuid=BOOTH)
    assert opened == payload and header["booth"] == "X20-B07" and header["kind"] == "push"
    assert len(key) == 64 and signing.new_key() != key


def test_a_changed_payload_or_header_is_refused_as_tampered(key):
    data = signing.sign("push", BOOTH, "X20-B07", {"qty": 2}, key)
    doc = _doc(data)
    doc["payload"] = base64.b64encode(gzip.compress(b'{"qty": 20}')).decode()
    with pytest.raises(signing.TamperedFile) as refused:
        signing.open_signed(json.dumps(doc).encode(), key, kind="push")
    assert "X20-B07" in str(refused.value)
    for field, value in (("booth", "X20-B08"), ("created_at", "2020-01-01T00:00:00"), ("booth_uuid", OTHER)):
        doc = _doc(data)
        doc[field] = value
        with pytest.raises(signing.TamperedFile):
            signing.open_signed(json.dumps(doc).encode(), key, kind="push")


def test_a_file_signed_with_another_key_is_refused(key):
    data = signing.sign("push", BOOTH, "X20-B07", {"qty": 2}, signing.new_key())
    with pytest.raises(signing.TamperedFile):
        signing.open_signed(data, key, kind="push")


def test_a_file_of_another_booth_is_refused_before_its_signature_is_checked(key):
    data = signing.sign("push", OTHER, "X20-B08", {"qty": 2}, key)
    with pytest.raises(signing.ForeignFile) as refused:
        signing.open_signed(data, key, kind="push", booth_uuid=BOOTH, booth_label="X20-B07")
    assert "X20-B08" in str(refused.value) and "X20-B07" in str(refused.value)


def test_a_provisioning_file_is_not_a_push_file(key):
    data = signing.sign("provision", BOOTH, "X20-B07", {"records": []}, key)
    with pytest.raises(signing.WrongKindFile):
        signing.open_signed(data, key, kind="push")


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"format": "other"}',
                                  json.dumps({"format": signing.FORMAT, "version": 99}).encode(), b"\xff\xfe"])
def test_something_that_is_not_a_sync_file_is_refused_as_unreadable(data, key):
    with pytest.raises(signing.UnreadableFile):
        signing.open_signed(data, key, kind="push")


def test_a_signed_file_whose_payload_is_not_gzip_is_unreadable_not_a_crash(key):
    data = signing.sign("push", BOOTH, "X20-B07", {"qty": 2}, key)
    doc = _doc(data)
    doc["payload"] = base64.b64encode(b"plain").decode()
    doc = _signed_the_old_way(doc, key)
    with pytest.raises(signing.UnreadableFile):
        signing.open_signed(json.dumps(doc).encode(), key, kind="push")


def test_a_file_a_booth_wrote_before_itsdangerous_signed_still_opens(key):
    payload = {"batches": [{"records": [{"table": "sale", "total_vnd": 190_000}]}], "note": "Miến dong Bình Liêu"}
    header, opened = signing.open_signed(_file_the_old_way(payload, key), key, kind="push", booth_uuid=BOOTH)
    assert opened == payload and header["booth"] == "X20-B07" and header["created_at"] == "2020-01-15T07:00:00"


def test_a_file_written_now_is_byte_for_byte_what_the_old_code_wrote(key):
    # A booth not yet upgraded reads the hub's files: the format must not move.
    payload = {"records": [{"table": "product", "name": "Chè Ba Chẽ"}]}
    data = signing.sign("push", BOOTH, "X20-B07", payload, key)
    assert data == _file_the_old_way(payload, key, created_at=_doc(data)["created_at"])


def test_a_file_of_the_old_way_changed_after_signing_is_still_refused(key):
    data = _file_the_old_way({"qty": 2}, key)
    for field, value in (("payload", base64.b64encode(gzip.compress(b'{"qty":20}', mtime=0)).decode()),
                         ("booth", "X20-B08")):
        doc = _doc(data)
        doc[field] = value
        with pytest.raises(signing.TamperedFile):
            signing.open_signed(json.dumps(doc, indent=1).encode(), key, kind="push")
    with pytest.raises(signing.TamperedFile):
        signing.open_signed(data, signing.new_key(), kind="push")


def test_a_signature_spelled_otherwise_than_sign_writes_it_is_refused(key):
    # The same MAC in upper case was refused before; bytes.fromhex would take it, the check must not.
    doc = _doc(_file_the_old_way({"qty": 2}, key))
    doc["signature"] = doc["signature"].upper()
    with pytest.raises(signing.TamperedFile):
        signing.open_signed(json.dumps(doc).encode(), key, kind="push")
