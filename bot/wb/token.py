"""Reads a WB API token's claims (type, categories, read-only, expiry) and spots old-style keys.

The JWT signature is not verified: only WB can, and it does on every call. Nothing here ever puts
the token's text into an exception message or a repr.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from bot.wb.methods import Category, TokenType

READ_ONLY_BIT = 30

#: Longer than any WB token; longer input is refused before decoding.
MAX_TOKEN_LENGTH = 4096
_MAX_CLAIM_LENGTH = 128
#: An ES256 signature is 64 bytes: 86 base64url characters.
_ES256_SIGNATURE_LENGTH = 86

_JWT_SEGMENT = r"[A-Za-z0-9_-]"
#: A JWT anywhere in a text: header and payload both start with base64url of '{"'.
JWT_PATTERN = re.compile(rf"eyJ{_JWT_SEGMENT}{{5,}}\.{_JWT_SEGMENT}{{5,}}\.{_JWT_SEGMENT}*")
#: A whole pre-2023 statistics key: a long base64 or hex string (WB's "x64" key was the base64
#: of a UUID, 48 characters).
_OLD_STYLE_KEY = re.compile(r"[A-Za-z0-9+/_-]{32,512}={0,2}")
#: The same inside free text. '.' and '/' count as part of the word so that URL paths and dotted
#: ids (an order's srid) are not taken for keys; a sentence's final '.' still ends one.
_OLD_STYLE_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9+/=_.-])[A-Za-z0-9+_-]{32,512}={0,2}(?![A-Za-z0-9+/=_-]|\.[A-Za-z0-9])"
)
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)
#: A plain UUID (a seller id, an order's id, a request id) is no key, old or new.
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: Shown as nothing but not of the format class (Cf) that is dropped wholesale: the combining
#: grapheme joiner, Hangul and Khmer fillers, Mongolian and other variation selectors.
_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef]"
)
#: Blank-looking characters NFKC leaves alone: read as spaces.
_BLANK = re.compile("[\u2800\u3164]")
#: One line of a key wrapped on a narrow screen: a piece of standard base64 or hex.
_WRAPPED_PIECE = re.compile(r"[A-Za-z0-9+/]+={0,2}")
#: A piece of a wrapped key (all but the last) is at least this long; shorter lines are words.
_WRAPPED_MIN_PIECE = 12
_HEX_KEY = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{64}")
#: A quoted paste (a reply, an e-mail): "> " or more at the start of each line.
_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
#: Punctuation a piece of an old key split by a space may sit next to in a sentence.
_AROUND_WORD = ".,;:!?()[]\"'«»`"


class TokenError(ValueError):
    """The text is not a usable WB token. ``reason`` is safe to log and show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OldStyleKey(TokenError):
    """A pre-2023 statistics key (not a JWT); WB no longer accepts these."""

    def __init__(self) -> None:
        super().__init__("an old-style statistics key, not a JWT token")


class MalformedToken(TokenError):
    """Looks like a JWT but cannot be read, or lacks the claims every WB token has."""


@dataclass(frozen=True)
class TokenInfo:
    """What a token's claims say. Holds no part of the token itself."""

    token_type: TokenType
    categories: frozenset[Category]
    read_only: bool
    expires_at: datetime | None  # UTC, aware
    seller_id: str | None  # claim sid
    token_id: str | None  # claim id
    is_test: bool

    def has(self, category: Category) -> bool:
        return category in self.categories

    def missing(self, *categories: Category) -> frozenset[Category]:
        return frozenset(categories) - self.categories

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def normalize_token(raw: str) -> str:
    """The token without surrounding whitespace, a "Bearer " prefix or inner line breaks."""
    text = _BEARER.sub("", raw.strip())
    # A JWT never contains whitespace; a key pasted from a narrow screen may.
    return "".join(text.split())


def looks_like_token(text: str) -> bool:
    """True if ``text`` contains something that looks like a WB key: a JWT or an old-style key."""
    return find_key(text) is not None


def visible_text(text: str) -> str:
    """The text as a reader sees it: no zero-width, joiner, direction or other invisible
    characters (which hide a key from a plain search but not from anyone who copies it), and
    look-alike letters and spaces folded to plain ones (NFKC: full-width letters, NBSP)."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _BLANK.sub(" ", _INVISIBLE.sub("", text))
    return unicodedata.normalize("NFKC", text)


def find_key(text: str) -> str | None:
    """The first WB key in ``text`` however it is disguised (invisible characters, split over
    lines or spaces, inside other words or markup), as a usable key; None if there is none.

    A JWT may be split anywhere; joined back it counts only if its header is JSON, so joined
    ordinary words ("they Jane went. Then...") are no key. An old-style key counts as one word,
    or split by one space or wrapped over lines when the pieces join into a complete old key
    (hex, or the base64 of a UUID) -- ordinary lists of article numbers do not. Quote marks
    ("> ") that start the lines of a quoted paste are read past.
    """
    clean = _unquoted(visible_text(text))
    jwt = _find_jwt(clean)
    if jwt is not None:
        return jwt
    spaced = _spaced_old_key(clean)  # before its longer half is taken for the whole key
    if spaced is not None:
        return spaced
    for word in _OLD_STYLE_IN_TEXT.finditer(clean):
        if _old_style_shape(word.group()):
            return word.group()
    return _wrapped_old_key(clean)


def find_jwt(text: str) -> str | None:
    """The first JWT in ``text``, disguised as :func:`find_key` reads it; old keys aside."""
    return _find_jwt(_unquoted(visible_text(text)))


def _unquoted(text: str) -> str:
    """The text without the quote marks ("> ") that start the lines of a quoted paste."""
    return _QUOTE_MARKS.sub("", text)


def _find_jwt(clean: str) -> str | None:
    whole = JWT_PATTERN.search(clean)
    if whole is not None:
        complete = _whole_jwt(whole.group(), need_payload=True)
        if complete is not None:
            return complete
    for joined in JWT_PATTERN.finditer("".join(clean.split())):
        found = _whole_jwt(joined.group(), need_payload=False)
        if found is not None:
            return found
    return whole.group() if whole is not None else None


def _whole_jwt(token: str, *, need_payload: bool) -> str | None:
    """The token if its header (and payload) read as JSON objects and an ES256 signature (WB's)
    is whole, cut to its 86 characters when words were glued on after it; else None (a key cut
    at a line break is then joined from the following lines)."""
    header_part, payload, signature = token.split(".", 2)
    header = _json_object(header_part)
    if header is None or (need_payload and _json_object(payload) is None):
        return None
    if header.get("alg") != "ES256":
        return token
    if len(signature) < _ES256_SIGNATURE_LENGTH:
        return None
    return f"{header_part}.{payload}.{signature[:_ES256_SIGNATURE_LENGTH]}"


def _json_object(segment: str) -> dict[str, Any] | None:
    try:
        value = _decode_segment(segment, "segment")
    except MalformedToken:
        return None
    return value if isinstance(value, dict) else None


def _wrapped_old_key(clean: str) -> str | None:
    pieces: list[str] = []
    for line in [*clean.splitlines(), ""]:
        word = line.strip()
        if _WRAPPED_PIECE.fullmatch(word) and (
            not pieces or len(pieces[-1]) >= _WRAPPED_MIN_PIECE
        ):
            pieces.append(word)
            continue
        if len(pieces) > 1 and _complete_old_key("".join(pieces)):
            return "".join(pieces)
        pieces = [word] if _WRAPPED_PIECE.fullmatch(word) else []
    return None


def _spaced_old_key(clean: str) -> str | None:
    """An old key split in two by one space: the two words join into a complete old key."""
    for line in clean.splitlines():
        words = [word.strip(_AROUND_WORD) for word in line.split(" ")]
        for first, second in pairwise(words):
            if (
                _WRAPPED_PIECE.fullmatch(first)
                and _WRAPPED_PIECE.fullmatch(second)
                and _complete_old_key(first + second)
            ):
                return first + second
    return None


def _complete_old_key(text: str) -> bool:
    if _HEX_KEY.fullmatch(text):
        return _has_letter_and_digit(text)
    try:
        decoded = base64.b64decode(text, validate=True).decode("ascii")
        uuid.UUID(decoded)
    except (binascii.Error, ValueError):
        return False
    return True


def _old_style_shape(word: str) -> bool:
    return _has_letter_and_digit(word) and not _UUID.fullmatch(word)


def inspect_token(raw: str) -> TokenInfo:
    """Decode a token's claims without verifying its signature.

    Raises :class:`OldStyleKey` for a pre-2023 statistics key and :class:`MalformedToken` for
    anything else that is not a readable WB JWT.
    """
    token = normalize_token(raw)
    if not token:
        raise MalformedToken("empty")
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken("too long for a WB token")
    parts = token.split(".")
    if len(parts) != 3:
        if (
            not token.startswith("eyJ")
            and _OLD_STYLE_KEY.fullmatch(token)
            and _old_style_shape(token)
        ):
            raise OldStyleKey()
        raise MalformedToken("not a JWT: expected three parts separated by dots")
    header = _decode_segment(parts[0], "header")
    if not isinstance(header, dict):
        raise MalformedToken("header is not a JSON object")
    claims = _decode_segment(parts[1], "payload")
    if not isinstance(claims, dict):
        raise MalformedToken("payload is not a JSON object")
    if not parts[2]:
        raise MalformedToken("signature is missing")
    return _token_info(claims)


def _token_info(claims: dict[str, Any]) -> TokenInfo:
    acc = claims.get("acc")
    if acc is None:
        raise MalformedToken("no token type (claim acc)")
    if not _is_int(acc) or acc not in {t.value for t in TokenType}:
        raise MalformedToken("unknown token type (claim acc)")
    token_type = TokenType(acc)
    scope = claims.get("s")
    if scope is None:
        raise MalformedToken("no categories (claim s)")
    if not _is_int(scope) or scope < 0:
        raise MalformedToken("categories (claim s) are not a bit mask")
    categories = frozenset(c for c in Category if scope & (1 << c.value))
    return TokenInfo(
        token_type=token_type,
        categories=categories,
        read_only=bool(scope & (1 << READ_ONLY_BIT)),
        expires_at=_expiry(claims.get("exp")),
        seller_id=_short_str(claims.get("sid")),
        token_id=_short_str(claims.get("id")),
        is_test=token_type is TokenType.TEST or claims.get("t") is True,
    )


def _decode_segment(segment: str, name: str) -> Any:
    if not re.fullmatch(r"[A-Za-z0-9_-]+=*", segment):
        raise MalformedToken(f"{name} is not base64url")
    padded = segment.rstrip("=") + "=" * (-len(segment.rstrip("=")) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        # UnicodeDecodeError and json.JSONDecodeError are ValueErrors; their text would quote
        # the bytes, so none of it goes into our message.
        raise MalformedToken(f"{name} is not base64url-encoded JSON") from None


def _expiry(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedToken("expiry (claim exp) is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise MalformedToken("expiry (claim exp) is not a number")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedToken("expiry (claim exp) is out of range") from None


def _short_str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:_MAX_CLAIM_LENGTH]
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_letter_and_digit(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
