"""Encryption at rest with the 国密 algorithms: SM4-GCM for fields and backups, HMAC-SM3 blind
indexes, and subkeys derived from one data key with HKDF over SM3 (all through `cryptography`).

The data key lives outside the database, like the audit key: `settings.MOFAN_DATA_KEY`, read
from `MOFAN_DATA_KEY` or the file `MOFAN_DATA_KEY_FILE` (default `VAR_DIR/data.key`, created in
development, required in production). Three subkeys are derived from it with HKDF-SM3, each with
its own `info`, so no key serves two purposes:

* field encryption (16 bytes, SM4): `encrypt_text` / `decrypt_text`;
* blind index (32 bytes, HMAC-SM3): `blind_index`;
* backups (32 bytes, the input of a per-archive HKDF-SM3): `EncryptingWriter` / `decrypt_stream`.

A field value is stored as the text token ``sm4gcm:1:<base64(nonce | ciphertext | tag)>``
(12-byte random nonce, 16-byte tag). The associated data is ``mofan:<context>``, where the
context names the table and column (``organizations_member.phone``): a token copied into another
column, or under another key, does not decrypt.

A backup archive is encrypted as a stream of chunks (STREAM construction), so an archive of any
size is written and read in constant memory::

    header  = b"MOFANENC" | version (1 byte, 1) | chunk size (4 bytes, big-endian) | salt (16)
              | key check (16)
    chunk i = SM4-GCM(file key, nonce = i as 11 bytes big-endian | last flag (1 byte),
                      aad = header) -> ciphertext | tag (16)

Every chunk but the last holds exactly `chunk size` plaintext bytes; the last holds the rest
(possibly nothing) and is the only one sealed with the last flag, so truncating, reordering or
extending the stream is detected. The file key and the key check are the two halves of
HKDF-SM3(backup subkey, salt, 32 bytes): a wrong data key is told apart from a damaged archive
before any chunk is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac as std_hmac
import os
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

TOKEN_PREFIX = "sm4gcm:1:"  # noqa: S105 (a format marker, not a secret)
NONCE_BYTES = 12
TAG_BYTES = 16
MIN_DATA_KEY_CHARS = 32

_INFO_FIELD = b"mofan:field-encryption:sm4-gcm:v1"
_INFO_INDEX = b"mofan:blind-index:hmac-sm3:v1"
_INFO_BACKUP = b"mofan:backup:sm4-gcm:v1"
_INFO_BACKUP_FILE = b"mofan:backup-file:v1"

STREAM_MAGIC = b"MOFANENC"
STREAM_VERSION = 1
STREAM_CHUNK = 1 << 20
_STREAM_MAX_CHUNK = 64 << 20
_SALT_BYTES = 16
_CHECK_BYTES = 16
_HEADER = struct.Struct(f">8sBI{_SALT_BYTES}s{_CHECK_BYTES}s")
STREAM_HEADER_BYTES = _HEADER.size

# SM3("abc"), GB/T 32905-2016 appendix A.
_SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


class CryptoError(Exception):
    """A value or a stream could not be decrypted; the message says why."""


class DecryptionError(CryptoError):
    pass


# --- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubKeys:
    field: bytes  # SM4 key, 16 bytes
    index: bytes  # HMAC-SM3 key, 32 bytes
    backup: bytes  # HKDF-SM3 input for each archive's key, 32 bytes


def _hkdf(material: bytes, *, length: int, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=salt, info=info).derive(material)


@lru_cache(maxsize=8)
def derive_subkeys(data_key: str) -> SubKeys:
    """The three subkeys of a data key (cached: HKDF runs once per key and process)."""
    if len(data_key) < MIN_DATA_KEY_CHARS:
        raise CryptoError(f"the data key must have at least {MIN_DATA_KEY_CHARS} characters")
    material = data_key.encode()
    return SubKeys(
        field=_hkdf(material, length=16, info=_INFO_FIELD),
        index=_hkdf(material, length=32, info=_INFO_INDEX),
        backup=_hkdf(material, length=32, info=_INFO_BACKUP),
    )


def subkeys(data_key: str | None = None) -> SubKeys:
    """The subkeys of `data_key`, by default of `settings.MOFAN_DATA_KEY`."""
    return derive_subkeys(settings.MOFAN_DATA_KEY if data_key is None else data_key)


def generate_data_key() -> str:
    return secrets.token_urlsafe(50)


# --- fields -------------------------------------------------------------------------------------


def _aad(context: str) -> bytes:
    return b"mofan:" + context.encode()


@lru_cache(maxsize=8)
def _sm4(key: bytes) -> algorithms.SM4:
    return algorithms.SM4(key)


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def encrypt_text(plaintext: str, *, context: str, data_key: str | None = None) -> str:
    """SM4-GCM token of `plaintext`, bound to `context` (``table.column``)."""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(_sm4(subkeys(data_key).field), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_aad(context))
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return TOKEN_PREFIX + base64.b64encode(nonce + body + encryptor.tag).decode("ascii")


def decrypt_text(token: str, *, context: str, data_key: str | None = None) -> str:
    """The plaintext of a token written by `encrypt_text` for the same context and key."""
    if not is_token(token):
        raise DecryptionError(
            _("%(context)s 中的值不是加密数据（缺少 %(prefix)s 前缀）。")
            % {"context": context, "prefix": TOKEN_PREFIX}
        )
    try:
        raw = base64.b64decode(token[len(TOKEN_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(_("%(context)s 中的加密数据格式错误。") % {"context": context})
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(_sm4(subkeys(data_key).field), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(_aad(context))
    try:
        plain = decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError(
            _(
                "无法解密 %(context)s：数据密钥（MOFAN_DATA_KEY）与加密时不同，"
                "或密文已被篡改、被移到了其他列。"
            )
            % {"context": context}
        ) from exc
    return plain.decode()


# --- blind index --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _keyed_sm3(key: bytes) -> Any:
    """A keyed HMAC-SM3 context of hashlib to copy (the bulk paths compute one digest per row:
    a copy costs a fraction of a new context), or None where hashlib lacks SM3."""
    if "sm3" not in hashlib.algorithms_available:
        return None
    try:
        return std_hmac.new(key, digestmod="sm3")
    except ValueError:
        return None


def blind_index(value: str, *, purpose: str, data_key: str | None = None) -> str:
    """Hex HMAC-SM3 of `value` under the index subkey, separated by `purpose`: equal values of
    one purpose give equal digests (so they can be looked up), and nothing else is revealed."""
    key = subkeys(data_key).index
    message = purpose.encode() + b"\x00" + value.encode()
    keyed = _keyed_sm3(key)
    if keyed is not None:
        mac = keyed.copy()
        mac.update(message)
        return str(mac.hexdigest())
    fallback = hmac.HMAC(key, hashes.SM3())  # the same HMAC-SM3, through `cryptography`
    fallback.update(message)
    return fallback.finalize().hex()


def digits_only(value: str) -> str:
    return "".join(filter(str.isdigit, value))


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "exact": lambda value: value,
    "digits": digits_only,
}


# --- streams (backups) --------------------------------------------------------------------------


def _file_keys(data_key: str | None, salt: bytes) -> tuple[bytes, bytes]:
    okm = _hkdf(subkeys(data_key).backup, length=32, info=_INFO_BACKUP_FILE, salt=salt)
    return okm[:16], okm[16:]


def _chunk_nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(NONCE_BYTES - 1, "big") + (b"\x01" if last else b"\x00")


class EncryptingWriter:
    """A write-only file object: what is written to it reaches `raw` encrypted, chunk by chunk.
    `close()` seals the last chunk (it does not close `raw`)."""

    def __init__(
        self, raw: BinaryIO, *, data_key: str | None = None, chunk_size: int = STREAM_CHUNK
    ) -> None:
        if not 0 < chunk_size <= _STREAM_MAX_CHUNK:
            raise ValueError("chunk_size out of range")
        salt = os.urandom(_SALT_BYTES)
        self._key, check = _file_keys(data_key, salt)
        self._header = _HEADER.pack(STREAM_MAGIC, STREAM_VERSION, chunk_size, salt, check)
        self._raw = raw
        self._chunk = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self.closed = False
        raw.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:
            raise ValueError("write to a closed EncryptingWriter")
        self._buffer += data
        # Keep at least one byte back: only close() knows which chunk is the last.
        while len(self._buffer) > self._chunk:
            self._seal(bytes(self._buffer[: self._chunk]), last=False)
            del self._buffer[: self._chunk]
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = _chunk_nonce(self._index, last)
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(self._header)
        self._raw.write(encryptor.update(plain) + encryptor.finalize() + encryptor.tag)
        self._index += 1

    def close(self) -> None:
        if self.closed:
            return
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self.closed = True
        self._raw.flush()

    def __enter__(self) -> EncryptingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_exactly(src: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining:
        block = src.read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)


def is_encrypted_stream(head: bytes) -> bool:
    return head.startswith(STREAM_MAGIC)


def decrypt_stream(src: BinaryIO, dst: BinaryIO, *, data_key: str | None = None) -> int:
    """Decrypt a stream written through `EncryptingWriter` from `src` into `dst`; return the
    plaintext size. Raises DecryptionError for a wrong key, a damaged, truncated or extended
    stream. `dst` receives each chunk only after its tag verified, but the stream as a whole is
    authentic only when this returns: callers use `dst` only then."""
    header = _read_exactly(src, STREAM_HEADER_BYTES)
    if len(header) < STREAM_HEADER_BYTES or not is_encrypted_stream(header):
        if header.startswith(b"\x1f\x8b"):
            raise DecryptionError(_("这是未加密的旧格式备份（gzip）；本版本只恢复加密的备份归档。"))
        raise DecryptionError(_("不是加密的备份归档（文件头不符）。"))
    _magic, version, chunk_size, salt, check = _HEADER.unpack(header)
    if version != STREAM_VERSION:
        raise DecryptionError(_("不认识的加密格式版本：%(v)s。") % {"v": version})
    if not 0 < chunk_size <= _STREAM_MAX_CHUNK:
        raise DecryptionError(_("备份归档的文件头已损坏。"))
    key, expected = _file_keys(data_key, salt)
    if not secrets.compare_digest(check, expected):
        raise DecryptionError(
            _("数据密钥（MOFAN_DATA_KEY）与写入该备份时的不同，无法解密（或备份文件头已被篡改）。")
        )
    record = chunk_size + TAG_BYTES
    index = total = 0
    current = _read_exactly(src, record)
    while True:
        following = _read_exactly(src, record)
        last = not following
        if len(current) < TAG_BYTES or (not last and len(current) != record):
            raise DecryptionError(_("备份归档不完整（已被截断）。"))
        body, tag = current[:-TAG_BYTES], current[-TAG_BYTES:]
        decryptor = Cipher(
            algorithms.SM4(key), modes.GCM(_chunk_nonce(index, last), tag)
        ).decryptor()
        decryptor.authenticate_additional_data(header)
        try:
            plain = decryptor.update(body) + decryptor.finalize()
        except InvalidTag as exc:
            raise DecryptionError(
                _("备份归档已被篡改、截断或损坏（第 %(n)s 块校验失败）。") % {"n": index + 1}
            ) from exc
        dst.write(plain)
        total += len(plain)
        if last:
            return total
        current = following
        index += 1


# --- what OpenSSL provides ----------------------------------------------------------------------


def missing_gm_algorithms() -> list[str]:
    """The 国密 algorithms this process cannot use: SM3 in hashlib (the audit chain's HMAC),
    SM3 and SM4-GCM in `cryptography` (field and backup encryption). Empty when all work."""
    missing: list[str] = []
    try:
        hashlib_sm3 = (
            "sm3" in hashlib.algorithms_available
            and hashlib.new("sm3", b"abc").hexdigest() == _SM3_ABC
        )
    except ValueError:
        hashlib_sm3 = False
    if not hashlib_sm3:
        missing.append("SM3 (hashlib)")
    try:
        digest = hashes.Hash(hashes.SM3())
        digest.update(b"abc")
        cryptography_sm3 = digest.finalize().hex() == _SM3_ABC
    except (UnsupportedAlgorithm, ValueError):
        cryptography_sm3 = False
    if not cryptography_sm3:
        missing.append("SM3 (cryptography)")
    try:
        key, nonce = bytes(16), bytes(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        body = encryptor.update(b"mofan") + encryptor.finalize()
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, encryptor.tag)).decryptor()
        sm4 = decryptor.update(body) + decryptor.finalize() == b"mofan"
    except (UnsupportedAlgorithm, ValueError, InvalidTag):
        sm4 = False
    if not sm4:
        missing.append("SM4-GCM (cryptography)")
    return missing
