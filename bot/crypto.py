"""Seals and opens WB tokens with AES-256-GCM.

The associated data binds a ciphertext to its row, so a sealed token copied into another shop's
row fails to open. Each row records the id of the master key that sealed it, which makes rotation
safe: add a key, make it first, re-seal, then drop the old one when no row names it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
MASTER_KEY_FILE = "master.key"
NONCE_BYTES = 12


class CryptoError(Exception):
    """A sealed token could not be opened (wrong row, unknown key, tampered data)."""


class MasterKeyError(Exception):
    """The master keys are missing, unreadable or do not open the sealed tokens.

    The message is one line for the operator: it names the key file or MASTER_KEYS and never
    holds key material.
    """


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


def key_id_of(key: bytes) -> str:
    """A short public name for a key: lets rows say which key sealed them without revealing it."""
    return hashlib.sha256(b"wbpulse-key-id|" + key).hexdigest()[:16]


def aad_for(shop_id: int, seller_id: str) -> bytes:
    return f"wbkey|v1|{shop_id}|{seller_id}".encode()


class Keyring:
    """Master keys: the first seals, all of them open."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise CryptoError("it holds no key")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise CryptoError("a master key must be 32 bytes (base64 of 32 random bytes)")
        self._keys = {key_id_of(k): AESGCM(k) for k in keys}
        self.primary_id = key_id_of(keys[0])

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def seal(self, plaintext: str, aad: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        ct = self._keys[self.primary_id].encrypt(nonce, plaintext.encode(), aad)
        return Sealed(self.primary_id, nonce, ct)

    def open(self, sealed: Sealed, aad: bytes) -> str:
        cipher = self._keys.get(sealed.key_id)
        if cipher is None:
            raise CryptoError(f"sealed with key {sealed.key_id}, which is not configured")
        try:
            return cipher.decrypt(sealed.nonce, sealed.ciphertext, aad).decode()
        except InvalidTag as exc:
            raise CryptoError("sealed token does not open for this row") from exc


def parse_keys(text: str, source: str = "MASTER_KEYS") -> list[bytes]:
    keys = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            keys.append(base64.b64decode(part, validate=True))
        except (binascii.Error, ValueError):
            raise CryptoError(f"{source} holds a value that is not base64") from None
    return keys


def key_file(data_dir: Path) -> Path:
    return data_dir / MASTER_KEY_FILE


def load_keyring(master_keys: str | None, data_dir: Path, *, create: bool = True) -> Keyring:
    """Keys from MASTER_KEYS, else DATA_DIR/master.key, generated (mode 0600) when missing and
    ``create`` (the caller says no while sealed tokens exist: a new key would not open them).

    Raises MasterKeyError with one line naming MASTER_KEYS or the file.
    """
    if master_keys:
        try:
            return Keyring(parse_keys(master_keys))
        except CryptoError as exc:
            raise MasterKeyError(f"MASTER_KEYS is not usable: {exc}") from None
    path = key_file(data_dir)
    if not path.exists():
        if not create:
            raise MasterKeyError(f"no master key: {path} is missing and MASTER_KEYS is not set")
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new_key() + "\n")
    try:
        os.chmod(path, 0o600)
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
        raise MasterKeyError(f"the master key file {path} cannot be read: {reason}") from None
    try:
        return Keyring(parse_keys(text, source="it"))
    except CryptoError as exc:
        raise MasterKeyError(
            f"the master key file {path} is not a valid master key ({exc}); restore it from "
            "a backup or set MASTER_KEYS"
        ) from None


def new_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()
