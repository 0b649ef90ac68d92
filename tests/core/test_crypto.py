"""SM4-GCM field encryption, the HMAC-SM3 blind index and the chunked backup stream
(mofan/core/crypto.py, mofan/core/fields.py): values are bound to their column and key, any
change to a ciphertext or a stream is refused with a clear error, and the blind index stays in
step on every write path."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.test import override_settings

from mofan.accounts.models import TotpDevice, User
from mofan.audit.chain import mask_phone, mask_secrets
from mofan.core import crypto
from mofan.core.crypto import DecryptionError, EncryptingWriter, decrypt_stream
from mofan.organizations.models import Member
from tests.factories import MemberFactory, UserFactory

KEY = "k" * 40
OTHER_KEY = "o" * 40
MEMBER_PHONE = "organizations_member.phone"
USER_PHONE = "accounts_user.phone"


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_round_trips_and_never_repeats():
    first = crypto.encrypt_text("13812345678", context=MEMBER_PHONE, data_key=KEY)
    second = crypto.encrypt_text("13812345678", context=MEMBER_PHONE, data_key=KEY)
    assert first.startswith("sm4gcm:1:") and second.startswith("sm4gcm:1:")
    assert first != second  # a fresh nonce each time
    raw = base64.b64decode(first.removeprefix("sm4gcm:1:"))
    assert len(raw) == 12 + len("13812345678") + 16  # nonce | ciphertext | tag
    assert b"13812345678" not in raw
    for token in (first, second):
        assert crypto.decrypt_text(token, context=MEMBER_PHONE, data_key=KEY) == "13812345678"
    assert crypto.decrypt_text(
        crypto.encrypt_text("焦作 0391", context=MEMBER_PHONE, data_key=KEY),
        context=MEMBER_PHONE,
        data_key=KEY,
    ) == ("焦作 0391")


def test_a_value_encrypted_for_one_column_does_not_decrypt_in_another():
    token = crypto.encrypt_text("13812345678", context=MEMBER_PHONE, data_key=KEY)
    with pytest.raises(DecryptionError, match=r"accounts_user\.phone.*其他列"):
        crypto.decrypt_text(token, context=USER_PHONE, data_key=KEY)


def test_a_tampered_token_is_refused():
    token = crypto.encrypt_text("13812345678", context=MEMBER_PHONE, data_key=KEY)
    raw = bytearray(base64.b64decode(token.removeprefix("sm4gcm:1:")))
    for position in (0, 12, len(raw) - 1):  # the nonce, the ciphertext, the tag
        changed = bytearray(raw)
        changed[position] ^= 0x01
        forged = "sm4gcm:1:" + base64.b64encode(bytes(changed)).decode()
        with pytest.raises(DecryptionError, match="篡改"):
            crypto.decrypt_text(forged, context=MEMBER_PHONE, data_key=KEY)
    for broken in ("13812345678", "sm4gcm:1:not base64!", "sm4gcm:1:" + "A" * 8):
        with pytest.raises(DecryptionError, match=MEMBER_PHONE):
            crypto.decrypt_text(broken, context=MEMBER_PHONE, data_key=KEY)


def test_a_wrong_key_fails():
    token = crypto.encrypt_text("13812345678", context=MEMBER_PHONE, data_key=KEY)
    with pytest.raises(DecryptionError, match="MOFAN_DATA_KEY"):
        crypto.decrypt_text(token, context=MEMBER_PHONE, data_key=OTHER_KEY)


def test_subkeys_are_separate_and_a_short_key_is_refused():
    keys = crypto.derive_subkeys(KEY)
    assert len(keys.field) == 16 and len(keys.index) == 32 and len(keys.backup) == 32
    assert len({keys.field, keys.index[:16], keys.backup[:16]}) == 3
    assert crypto.derive_subkeys(OTHER_KEY) != keys
    with pytest.raises(crypto.CryptoError):
        crypto.derive_subkeys("short")


def test_this_openssl_has_every_gm_algorithm():
    assert crypto.missing_gm_algorithms() == []


# --- the model fields -------------------------------------------------------------------------


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _set_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


@pytest.mark.django_db
def test_fields_store_tokens_and_read_plaintext(unit_a):
    member = MemberFactory(unit=unit_a, phone="13812345678")
    user = UserFactory(phone="13912345678")
    device = TotpDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP")
    blank = MemberFactory(unit=unit_a, phone="")
    assert _raw("organizations_member", "phone", member.pk).startswith("sm4gcm:1:")
    assert _raw("accounts_user", "phone", user.pk).startswith("sm4gcm:1:")
    assert _raw("accounts_totpdevice", "secret", device.pk).startswith("sm4gcm:1:")
    assert _raw("organizations_member", "phone", blank.pk) == ""  # nothing to hide
    assert Member.objects.get(pk=member.pk).phone == "13812345678"
    assert User.objects.get(pk=user.pk).phone == "13912345678"
    assert TotpDevice.objects.get(pk=device.pk).secret == "JBSWY3DPEHPK3PXP"
    assert list(Member.objects.filter(pk=member.pk).values_list("phone", flat=True)) == [
        "13812345678"
    ]
    # Ciphertexts cannot be compared: a lookup is an error, not an empty result.
    with pytest.raises(FieldError):
        Member.objects.filter(phone="13812345678").exists()
    assert Member.objects.filter(phone__isnull=False).count() == 2


@pytest.mark.django_db
def test_a_ciphertext_moved_to_another_column_or_under_another_key_does_not_read(unit_a):
    member = MemberFactory(unit=unit_a, phone="13812345678")
    user = UserFactory(phone="13912345678")
    _set_raw("accounts_user", "phone", user.pk, _raw("organizations_member", "phone", member.pk))
    with pytest.raises(DecryptionError, match=r"accounts_user\.phone"):
        User.objects.get(pk=user.pk)
    with override_settings(MOFAN_DATA_KEY=OTHER_KEY), pytest.raises(DecryptionError):
        Member.objects.get(pk=member.pk)
    assert Member.objects.get(pk=member.pk).phone == "13812345678"


@pytest.mark.django_db
def test_the_blind_index_follows_every_write_path(unit_a):
    digest = Member.phone_digest_of
    assert digest("138-1234-5678") == digest("13812345678") == digest(" 138 1234 5678 ")
    assert digest("13812345678") != digest("13812345679")
    assert digest("") == ""
    assert len(digest("13812345678")) == 64
    assert "13812345678" not in digest("13812345678")

    def stored(member: Member) -> str:
        return Member.objects.filter(pk=member.pk).values_list("phone_digest", flat=True)[0]

    member = MemberFactory(unit=unit_a, phone="13812345678")  # save()
    assert stored(member) == digest("13812345678")
    member.phone = "13800000001"
    member.save(update_fields=["phone"])
    assert stored(member) == digest("13800000001")
    Member.objects.filter(pk=member.pk).update(phone="13800000002")
    assert stored(member) == digest("13800000002")
    member.phone = "13800000003"
    Member.objects.bulk_update([member], ["phone"])
    assert stored(member) == digest("13800000003")
    (bulk,) = Member.objects.bulk_create(
        [Member(unit=unit_a, name="批量", gender="1", phone="13800000004")]
    )
    assert Member.objects.get(name="批量").phone_digest == digest("13800000004")
    member.phone = ""
    member.save()
    assert stored(member) == ""
    # Under another key the digests differ: they reveal nothing without the key.
    with override_settings(MOFAN_DATA_KEY=OTHER_KEY):
        assert digest("13800000004") != bulk.phone_digest


# --- the backup stream ------------------------------------------------------------------------


def _encrypt(data: bytes, *, chunk: int = 16, key: str = KEY, writes: int = 7) -> bytes:
    out = io.BytesIO()
    with EncryptingWriter(out, data_key=key, chunk_size=chunk) as writer:
        for start in range(0, len(data), writes):
            writer.write(data[start : start + writes])
    return out.getvalue()


def _decrypt(blob: bytes, key: str = KEY) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(blob), out, data_key=key)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 32, 100, 1000])
def test_a_stream_round_trips_whatever_its_length(size):
    data = bytes(range(256)) * 4
    data = data[:size]
    blob = _encrypt(data)
    assert blob.startswith(b"MOFANENC")
    assert _decrypt(blob) == data
    # The header, then chunks of up to 16 bytes with a 16-byte tag each; the last one is full
    # when the length is a multiple of 16, and empty only for an empty stream.
    assert len(blob) == crypto.STREAM_HEADER_BYTES + size + 16 * max(1, -(-size // 16))


def _chunks(blob: bytes, chunk: int = 16) -> tuple[bytes, list[bytes]]:
    header, body = blob[: crypto.STREAM_HEADER_BYTES], blob[crypto.STREAM_HEADER_BYTES :]
    record = chunk + 16
    return header, [body[i : i + record] for i in range(0, len(body), record)]


def test_dropped_reordered_truncated_or_extended_streams_are_refused():
    data = bytes(range(100))
    blob = _encrypt(data)
    header, chunks = _chunks(blob)
    assert len(chunks) == 7  # six full chunks and the last
    forgeries = {
        "dropped": header + b"".join(chunks[:2] + chunks[3:]),
        "reordered": header + b"".join([chunks[1], chunks[0], *chunks[2:]]),
        "cut at a chunk boundary": header + b"".join(chunks[:3]),
        "last chunk dropped": header + b"".join(chunks[:-1]),
        "cut inside a chunk": blob[:-5],
        "extended": blob + chunks[-1],
        "chunk from another stream": header
        + b"".join([*chunks[:3], _chunks(_encrypt(data))[1][3], *chunks[4:]]),
    }
    for what, forged in forgeries.items():
        with pytest.raises(DecryptionError, match=r"篡改|截断"):
            _decrypt(forged)
            pytest.fail(f"accepted a forged stream: {what}")


def test_a_stream_under_another_key_or_with_a_changed_header_is_refused():
    blob = _encrypt(b"backup" * 50)
    with pytest.raises(DecryptionError, match="MOFAN_DATA_KEY"):
        _decrypt(blob, key=OTHER_KEY)
    changed = bytearray(blob)
    changed[9] ^= 0x01  # the chunk size
    with pytest.raises(DecryptionError):
        _decrypt(bytes(changed))
    with pytest.raises(DecryptionError, match="未加密"):
        _decrypt(b"\x1f\x8b\x08" + bytes(60))
    with pytest.raises(DecryptionError, match="文件头"):
        _decrypt(b"PK\x03\x04" + bytes(60))


# --- masking in the audit trail -----------------------------------------------------------------


def test_phones_are_masked_in_audit_data():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0391-2345678") == "039****5678"
    assert mask_phone("") == ""
    assert mask_phone(None) is None
    assert mask_phone("1234") == "******"
    data = {
        "before": {"phone": "13812345678", "name": "张三"},
        "after": {"phone": "13912345678", "rows": [{"mobile_phone": "13700001111"}]},
    }
    assert mask_secrets(data) == {
        "before": {"phone": "138****5678", "name": "张三"},
        "after": {"phone": "139****5678", "rows": [{"mobile_phone": "137****1111"}]},
    }


def test_the_blind_index_is_hmac_sm3_whichever_library_computes_it(monkeypatch):
    from cryptography.hazmat.primitives import hashes, hmac

    keys = crypto.derive_subkeys(KEY)
    expected = hmac.HMAC(keys.index, hashes.SM3())
    expected.update(b"organizations_member.phone\x0013812345678")
    digest = expected.finalize().hex()
    assert crypto.blind_index("13812345678", purpose=MEMBER_PHONE, data_key=KEY) == digest
    # Without SM3 in hashlib, `cryptography` computes the same digest.
    monkeypatch.setattr(crypto, "_keyed_sm3", lambda key: None)
    assert crypto.blind_index("13812345678", purpose=MEMBER_PHONE, data_key=KEY) == digest
