"""Signed files for the USB stick: what was signed comes back; anything changed or foreign is refused."""
import base64
import gzip
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
    header = {k: doc[k] for k in signing.HEADER}
    doc["signature"] = signing._mac(key, header, doc["payload"])
    with pytest.raises(signing.UnreadableFile):
        signing.open_signed(json.dumps(doc).encode(), key, kind="push")
