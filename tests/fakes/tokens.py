"""Mint WB-style API tokens (JWT) for tests, and read their claims back.

The bot decodes WB tokens locally to learn the token type (``acc``), the categories (``s`` bits),
read-only access and expiry, and the fake WB server authenticates requests the same way. Tokens
minted here look like real WB tokens (``eyJ...header.payload.signature``, ES256 header, 64-byte
signature) so that both the bot's parser and its log masking are exercised, but the signature is
random bytes: nobody verifies it.

Claims follow wb-api.md §4 (late 2026): ``acc`` 1 Base, 2 Test, 3 Personal, 4 Service; ``for``
absent on Base/Test, ``"self"`` on Personal, ``"asid:<id>"`` on Service; ``t`` true only on Test;
``s`` is an OR of ``1 << bit`` per category (see :data:`CATEGORY_BITS`) plus bit 30 for read-only.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

ACC_BASE = 1
ACC_TEST = 2
ACC_PERSONAL = 3
ACC_SERVICE = 4

#: Category name -> bit position in the ``s`` claim (WB's "s bits"; tested as ``s & (1 << bit)``).
CATEGORY_BITS: dict[str, int] = {
    "content": 1,
    "analytics": 2,
    "prices": 3,
    "marketplace": 4,
    "statistics": 5,
    "promotion": 6,
    "feedbacks": 7,
    "chat": 9,
    "supplies": 10,
    "returns": 11,
    "documents": 12,
    "finance": 13,
    "users": 16,
}
READ_ONLY_BIT = 30

#: Lifetime WB gives every new token.
TOKEN_LIFETIME = timedelta(days=180)

#: A pre-2023 "x64" statistics key: base64 of a UUID string, not a JWT. WB no longer accepts these;
#: the bot must recognise one and tell the seller to create a new token.
OLD_STYLE_KEY = "ZjU2YjM2YjktMDEzMi00ZGQ3LWE3MmQtOTA0ZmYzOGU1MTY5"

_HEADER = {"alg": "ES256", "kid": "20260812v1", "typ": "JWT"}


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as JWT segments use (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """Decode an unpadded (or padded) base64url segment; raises ``ValueError`` on bad input."""
    padded = segment + "=" * (-len(segment) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"bad base64url segment: {exc}") from exc


def scope_mask(categories: Iterable[str], *, read_only: bool) -> int:
    """The ``s`` claim for the given category names (unknown names raise ``KeyError``)."""
    mask = 0
    for name in categories:
        mask |= 1 << CATEGORY_BITS[name]
    if read_only:
        mask |= 1 << READ_ONLY_BIT
    return mask


def categories_of(mask: int) -> frozenset[str]:
    """Category names present in an ``s`` claim."""
    return frozenset(name for name, bit in CATEGORY_BITS.items() if mask & (1 << bit))


def _unix(value: datetime | int | float) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def make_token(
    *,
    acc: int = ACC_BASE,
    categories: Iterable[str] = ("statistics", "analytics"),
    read_only: bool = True,
    exp: datetime | int | None = None,
    sid: str | None = None,
    token_id: str | None = None,
    for_: str | None = None,
) -> str:
    """Return a real-looking WB JWT.

    ``exp`` defaults to now + 180 days (a naive datetime is taken as local time, like
    ``datetime.timestamp``); ``sid`` (the seller) defaults to a fresh UUID; ``for_`` overrides the
    ``for`` claim that otherwise follows the token type.
    """
    if acc not in (ACC_BASE, ACC_TEST, ACC_PERSONAL, ACC_SERVICE):
        raise ValueError(f"acc must be 1..4, got {acc}")
    rng = secrets.SystemRandom()
    claims: dict[str, Any] = {
        "acc": acc,
        "ent": 1,
        "exp": _unix(exp)
        if exp is not None
        else int(time.time() + TOKEN_LIFETIME.total_seconds()),
    }
    if for_ is None:
        if acc == ACC_PERSONAL:
            for_ = "self"
        elif acc == ACC_SERVICE:
            for_ = f"asid:{uuid.uuid4()}"
    if for_ is not None:
        claims["for"] = for_
    claims.update(
        {
            "id": token_id or str(uuid.uuid4()),
            "iid": rng.randint(10_000_000, 99_999_999),
            "oid": rng.randint(100_000, 9_999_999),
            "s": scope_mask(categories, read_only=read_only),
            "sid": sid or str(uuid.uuid4()),
            "t": acc == ACC_TEST,
            "uid": rng.randint(10_000_000, 99_999_999),
        }
    )
    header = b64url_encode(json.dumps(_HEADER, separators=(",", ":")).encode())
    payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signature = b64url_encode(secrets.token_bytes(64))
    return f"{header}.{payload}.{signature}"


def decode_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (what the bot and the fake both do)."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected 3 dot-separated segments")
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not a JSON object")
    return claims
