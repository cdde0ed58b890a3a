"""A fake Telegram Bot API server for unit tests, end-to-end tests and benchmarks.

Why a real HTTP server and not a mocked ``Bot``: the bot under test runs unchanged (in process or
as ``python -m bot`` with ``TELEGRAM_API_URL`` pointing here), so aiogram's own request encoding,
response parsing and exception mapping are exercised exactly as in production. The fake enforces
Telegram's flood limits and counts every breach, so a test that passes here has obeyed the rules.

Usage::

    async with FakeTelegram() as tg:            # token defaults to DEFAULT_TOKEN
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        bot = Bot(tg.token, session=session)    # or: env TELEGRAM_API_URL=tg.base_url
        tg.user_message(42, "/start")           # what the user does
        call = await tg.wait_for_text(42, "Welcome")
        assert tg.total_violations() == 0, tg.violation_log

Wire protocol (checked against aiogram 3.31 ``client/session/aiohttp.py`` and ``base.py``):
requests are ``POST /bot{token}/{method}`` carrying urlencoded or multipart form data (JSON bodies
and query strings are accepted too); nested objects (``reply_markup``, ``entities``, ``media``,
``commands``, ``allowed_updates``...) are JSON strings; uploads are multipart parts referenced from
a field as ``attach://<part>``. Replies are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with HTTP status N;
aiogram maps ``parameters.retry_after`` to ``TelegramRetryAfter``,
``parameters.migrate_to_chat_id`` to ``TelegramMigrateToChat``, 403 to ``TelegramForbiddenError``,
400 to ``TelegramBadRequest``. A wrong token gets 401 ``Unauthorized``, an unknown method 404
``Not Found: method not found``. ``GET|POST /file/bot{token}/{file_path}`` serves uploaded files.

Public API of :class:`FakeTelegram`
-----------------------------------
Constructor (keyword-only after ``token``): ``token``, ``bot_username``, ``bot_first_name``,
``host="127.0.0.1"``, ``port=0`` (random free port), ``enforce_limits=True``,
``global_rate=30.0``/``global_burst=30``, ``private_rate=1.0``/``private_burst=3``,
``group_rate=20/60``/``group_burst=5``, ``retry_after_grace=0.05``, ``strict_chats=False``,
``max_poll_timeout=50.0``. ``strict_chats=True`` answers 400 ``chat not found`` for chats the
fake has never seen (no injected update from them); by default they are created on first use, so
benchmarks can send to any id (positive = private, ``-100...`` = supergroup, other negative =
group). ``"@username"`` chat ids resolve to users seen in injected updates.

Lifecycle: ``async with FakeTelegram(...) as tg`` or ``await tg.start()`` / ``await tg.stop()``;
``tg.base_url`` (``"http://127.0.0.1:PORT"``), ``tg.token``, ``tg.bot_user`` (the getMe dict).
``stop()`` then ``start()`` comes back on the same port with all state kept: a Telegram outage.
Rate/burst attributes may be changed on the instance, but a chat's bucket keeps the values it was
created with (on that chat's first send).

Inspecting what the bot did:

- ``tg.calls`` -- every request as a :class:`Call` (failures included), in the order they were
  answered (a long poll is recorded when it returns). ``Call`` fields: ``method`` (canonical
  camelCase), ``params`` (JSON fields decoded, numeric ``chat_id`` as int, "true"/"false" as
  bool), ``files`` (field -> ``(filename, bytes)``; ``photo``, ``document``, ``media[0]``...),
  ``time`` (``time.monotonic()``), ``result`` or ``error`` (:class:`TelegramError` with
  ``error_code``, ``description``, ``parameters``, ``retry_after``), ``messages`` (Message dicts
  the call created/edited); properties ``ok``, ``chat_id``, ``text`` (rendered text/caption).
- ``tg.sent(chat_id=None)`` -- successful send calls (sendMessage, sendPhoto, sendDocument,
  sendMediaGroup, copyMessage, forwardMessage), in order.
- ``tg.texts(chat_id=None, raw=False)`` -- texts/captions of delivered messages as the user sees
  them (HTML tags parsed away); ``raw=True`` gives them exactly as the bot sent them.
- ``tg.calls_of(method, chat_id=None)`` -- calls of one method (successful or not).
- ``tg.deleted`` -- set of ``(chat_id, message_id)`` deleted by the bot.
- ``tg.message(chat_id, message_id)`` -- current state of a stored message (after edits).
- ``tg.commands`` (language_code -> list, ``""`` = default), ``tg.scoped_commands``,
  ``tg.descriptions``, ``tg.short_descriptions`` (language_code -> str), ``tg.answered``
  (callback_query_id -> answerCallbackQuery params).
- ``await tg.wait_for(predicate, timeout=10, after=0)`` -- first :class:`Call` (already recorded,
  from index ``after`` on, or future) for which ``predicate(call)`` is true.
- ``await tg.wait_for_text(chat_id, substring, timeout=10, after=0)`` -- first delivered message
  in that chat whose text/caption (rendered or raw) contains ``substring``.
- ``await tg.wait_updates_consumed(timeout=10)`` -- until the bot has confirmed every update.
- ``tg.polling`` / ``await tg.wait_polling(timeout=30)`` -- a getUpdates is open right now (the
  bot is up); note a getUpdates :class:`Call` is recorded only when the long poll returns.
- ``tg.pending_updates`` -- updates queued and not yet confirmed; ``tg.dropped_updates`` --
  updates not created because ``allowed_updates`` excluded their type.
- ``tg.violations`` (Counter: ``"global"``, ``"private"``, ``"group"``,
  ``"ignored_retry_after"``), ``tg.violation_log``, ``tg.total_violations()``.

Acting as users (each returns the object it queued; update ids increase):

- ``tg.user_message(user_id, text, *, chat_id=None, chat_type="private", language_code="en",
  first_name="Test", username=None, reply_to=None, title=None)`` -> Message dict;
  ``bot_command`` entities are added for ``/commands``.
- ``tg.group_message(user_id, chat_id, text, *, chat_type=None, ...)`` -> Message dict.
- ``tg.user_message(..., photo=True)`` -- the text is a photo's caption.
- ``tg.edit_user_message(chat_id, message_id, text)`` -> the edited Message dict, queued as
  ``edited_message`` (``edited_channel_post`` in a channel) with ``edit_date``.
- ``tg.channel_post(chat_id, text, *, title=None)`` -> Message dict (``sender_chat``, no ``from``).
- ``tg.callback(user_id, message_id, data, *, chat_id=None, language_code="en")`` -> CallbackQuery
  dict (``["id"]`` is the query id); its ``message`` is the stored bot message.
- ``tg.my_chat_member(user_id, chat_id, old_status, new_status, *, chat_type="private")`` ->
  ChatMemberUpdated dict; ``kicked``/``left`` also block sends to that chat, ``member`` unblocks.
- ``tg.set_member_status(chat_id, user_id, status)`` -- what getChatMember answers for a user.

Injecting failures:

- ``tg.fail_next(method, error_code, description=None, *, chat_id=None, retry_after=None,
  migrate_to_chat_id=None, times=1)`` -- ``method="*"`` matches any method. Injected 429s are not
  violations, but sending into that chat before their retry_after elapses is.
- ``tg.disconnect_next(method, *, after_delivery=False, chat_id=None, times=1)`` -- drop the
  connection without an answer (aiogram raises ``TelegramNetworkError``); with
  ``after_delivery=True`` the message is delivered first, otherwise the call is recorded with
  ``error_code`` 0 and nothing is delivered.
- ``tg.delay_after_delivery(method, seconds, *, chat_id=None, times=1)`` -- deliver and record,
  then hold the answer (the client times out although Telegram accepted the message).
- ``tg.block(chat_id, description=None)`` / ``tg.unblock(chat_id)`` -- 403 for that chat.
- ``tg.migrate(group_chat_id, new_supergroup_id)`` -- 400 with ``migrate_to_chat_id``.
- ``tg.slow(seconds)`` -- every request waits this long before being processed (0 to stop); a
  client that gives up earlier leaves nothing delivered and nothing recorded.

Telegram limits (all token buckets; only send methods count: sendMessage, sendPhoto,
sendDocument, sendMediaGroup (one token per item; the bucket may go into debt so an album larger
than the burst is still possible), copyMessage, forwardMessage; not sendChatAction, edits or
deletes):

- global: ``global_rate`` per second, burst ``global_burst`` (Telegram: ~30 msg/s per token);
- private chats (``chat_id > 0``): ``private_rate``/s, burst ``private_burst`` (1 msg/s per chat,
  short bursts tolerated);
- groups, supergroups and channels (``chat_id < 0``): ``group_rate``/s = 20 msg/min, burst
  ``group_burst`` = 5: the steady rate is the published one, and a burst of five lets a reply of
  a few messages (text + chart + file) through while a flood is still caught.

Only requests that succeed use up tokens (a 400/403 delivers nothing). A send that finds a bucket
empty is answered 429 ``Too Many Requests: retry after N`` with
``parameters.retry_after = N`` (whole seconds, rounded up) and counted once per empty scope. The
429 also opens a deadline on that chat: Telegram's answer does not say which bucket overflowed, so
the one thing a client can be held to is not sending into that chat again for N seconds (minus
``retry_after_grace`` for timer jitter). A send before that counts as ``ignored_retry_after``
(and is answered 429 again, no scope counted). Deadlines from injected 429s are tracked too, even
with ``enforce_limits=False`` (which only switches the buckets off).

Realism beyond the basics (each catches a real bug class): HTML ``parse_mode`` is parsed like
Telegram does (bad markup -> 400 ``can't parse entities``, the returned text has tags removed and
``entities`` set, text is trimmed); text > 4096 and caption > 1024 characters -> 400;
``callback_data`` > 64 bytes -> 400 ``BUTTON_DATA_INVALID``; editing to identical content -> 400
``message is not modified``; editing text without ``reply_markup`` drops the inline keyboard;
deleting or editing an unknown message -> 400; answering an unknown or already answered callback
query -> 400; a second concurrent ``getUpdates`` terminates the first with 409; ``getUpdates``
while a webhook is set -> 409. ``MarkdownV2``/``Markdown`` texts are passed through unparsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import mimetypes
import re
import socket
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "SEND_METHODS",
    "Call",
    "FakeTelegram",
    "TelegramError",
    "Violation",
    "parse_html",
]

#: The token from Telegram's own documentation: 9-digit bot id and 35-char secret, so log-masking
#: patterns that match real tokens match this one too.
DEFAULT_TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

#: Methods that deliver a new message; they draw from the flood buckets and show up in ``sent()``.
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)
#: Methods that act on a chat and therefore fail for blocked/migrated/unknown chats.
CHAT_METHODS = SEND_METHODS | {
    "sendChatAction",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
}
#: What Telegram delivers when ``allowed_updates`` was never set (or set to ``[]``).
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 52 * 1024 * 1024  # Telegram accepts documents up to 50 MB via the Bot API

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_FORBIDDEN_PRIVATE = "Forbidden: bot was blocked by the user"
_FORBIDDEN_GROUP = "Forbidden: bot was kicked from the group chat"
_FORBIDDEN_LEFT = "Forbidden: bot is not a member of the group chat"
_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

ChatId = int | str


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TelegramError:
    """An error answer as the client saw it (``parameters`` may hold retry_after/migrate...)."""

    error_code: int
    description: str
    parameters: dict[str, Any] | None = None

    @property
    def retry_after(self) -> int | None:
        return (self.parameters or {}).get("retry_after")


@dataclass(slots=True, eq=False)
class Call:
    """One request to the fake, as decoded: what the bot asked for and what it got back.

    ``params`` has JSON fields decoded, numeric ``chat_id``s as ints and "true"/"false" as bools.
    ``files`` maps the field that referenced an upload (``photo``, ``document``, ``media[0]``) to
    ``(filename, bytes)``. ``messages`` are the Message dicts this call created or edited
    (snapshots: later edits make new dicts, they never mutate these).
    """

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    time: float = 0.0
    result: Any = None
    error: TelegramError | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def chat_id(self) -> ChatId | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """Text or caption as the user sees it (first message), else as sent."""
        for msg in self.messages:
            value = msg.get("text", msg.get("caption"))
            if value:
                return str(value)
        raw = self.params.get("text", self.params.get("caption"))
        return None if raw is None else str(raw)

    def __repr__(self) -> str:
        outcome = "ok" if self.error is None else f"{self.error.error_code}"
        text = self.text
        short = "" if text is None else f" {text[:40]!r}"
        return f"<Call {self.method} chat={self.chat_id} {outcome}{short}>"


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach of a Telegram limit, for assertion messages and debugging."""

    time: float
    scope: str
    method: str
    chat_id: ChatId | None
    retry_after: int


class TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled continuously at ``rate`` per second.

    ``take`` may push the level below zero (a media group costs one token per item); the next send
    then waits until the debt is repaid, which is how Telegram treats albums.
    """

    __slots__ = ("capacity", "rate", "stamp", "tokens")
    _EPSILON = 1e-6  # float noise must not turn an exactly-on-time send into a violation

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def shortfall(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        missing = 1.0 - self.tokens
        return 0.0 if missing <= self._EPSILON else missing / self.rate

    def take(self, amount: float) -> None:
        self.tokens -= amount


class _Reject(Exception):
    """Internal: abort a request with a Telegram-style error answer."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error = TelegramError(code, description, parameters)


@dataclass(slots=True)
class _Rule:
    """An injected behaviour (failure, disconnect, delay) waiting for a matching request."""

    method: str
    chat_id: ChatId | None
    times: int
    error: TelegramError | None = None
    delay: float = 0.0
    disconnect: bool = False
    after_delivery: bool = False

    def matches(self, method: str, chat_id: ChatId | None) -> bool:
        return (self.method in ("*", method)) and (self.chat_id is None or self.chat_id == chat_id)


# --------------------------------------------------------------------------------------------
# Parameter decoding and Telegram's text rules
# --------------------------------------------------------------------------------------------

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "commands",
        "allowed_updates",
        "scope",
        "media",
        "reply_parameters",
        "message_ids",
        "permissions",
        "results",
        "options",
        "explanation_entities",
        "menu_button",
        "rights",
        "reaction",
        "input_message_content",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "until_date",
        "max_connections",
    }
)
# Free-text fields: never turn their "true"/"false" into booleans.
_TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "name",
        "title",
        "url",
        "callback_query_id",
        "inline_message_id",
        "language_code",
        "parse_mode",
        "action",
        "file_id",
    }
)
_INT_RE = re.compile(r"-?\d+")
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_SPECIAL_RE = re.compile(r"[<&]")
_HTML_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""([^\s=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji"})
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units (emoji count twice)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _decode_value(key: str, value: Any) -> Any:
    """Turn one form value back into what the client meant (aiogram sends everything as text)."""
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise _Reject(400, f"Bad Request: can't parse {key} JSON object") from None
    if key in _INT_FIELDS:
        return int(value) if _INT_RE.fullmatch(value) else value
    if key not in _TEXT_FIELDS and value in ("true", "false"):
        return value == "true"
    return value


def _html_error(message: str) -> _Reject:
    return _Reject(400, f"Bad Request: can't parse entities: {message}")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into ``(plain_text, entities)`` the way the Bot API does.

    Only Telegram's tags are accepted; ``<``/``>`` outside tags must be escaped, an unknown
    ``&name;`` stays literal (as in Telegram). Errors raise the 400 Telegram would answer, with the
    same wording (``Unsupported start tag "x" at byte offset N`` ...), because "forgot to escape a
    user-supplied name" is the classic way an HTML bot breaks in production.
    """
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, str | None]] = []  # (tag, utf16 start, argument)
    pos = 0
    utf16 = 0
    size = len(text)

    def byte_offset(index: int) -> int:
        return len(text[:index].encode())

    while pos < size:
        match = _SPECIAL_RE.search(text, pos)
        end = match.start() if match else size
        if end > pos:
            chunk = text[pos:end]
            out.append(chunk)
            utf16 += _utf16_len(chunk)
            pos = end
        if match is None:
            break
        if text[pos] == "&":
            ent = _HTML_ENTITY_RE.match(text, pos)
            if ent is None:
                char = "&"
            elif ent.group(3):
                char = _NAMED_ENTITIES[ent.group(3)]
            else:
                number = int(ent.group(1)) if ent.group(1) else int(ent.group(2), 16)
                char = chr(number) if 0 < number <= 0x10FFFF else "\ufffd"
            out.append(char)
            utf16 += _utf16_len(char)
            pos = ent.end() if ent else pos + 1
            continue
        # A tag.
        close = text.find(">", pos + 1)
        if close < 0:
            raise _html_error(f"Unclosed start tag at byte offset {byte_offset(pos)}")
        body = text[pos + 1 : close]
        if body.startswith("/"):
            name = body[1:].strip().lower()
            if not stack:
                raise _html_error(f"Unexpected end tag at byte offset {byte_offset(pos)}")
            tag, start, tag_argument = stack[-1]
            if name and name != tag:
                raise _html_error(
                    f'Unmatched end tag at byte offset {byte_offset(pos)}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            if utf16 > start:
                _close_entity(entities, tag, start, utf16 - start, tag_argument, "".join(out))
        else:
            parts = body.split(None, 1)
            name = parts[0].lower() if parts else ""
            if name.endswith("/"):
                name = name[:-1]
            if name not in _ALLOWED_TAGS:
                raise _html_error(
                    f'Unsupported start tag "{name}" at byte offset {byte_offset(pos)}'
                )
            attrs = {
                m.group(1).lower(): next((g for g in m.group(2, 3, 4) if g is not None), "")
                for m in _ATTR_RE.finditer(parts[1] if len(parts) > 1 else "")
            }
            argument: str | None = None
            if name == "a":
                argument = attrs.get("href")
            elif name == "span":
                if attrs.get("class") != "tg-spoiler":
                    raise _html_error(
                        'Tag "span" must have class "tg-spoiler" at byte offset '
                        f"{byte_offset(pos)}"
                    )
            elif name == "code":
                css = attrs.get("class", "")
                argument = css.removeprefix("language-") if css.startswith("language-") else None
            elif name == "tg-emoji":
                argument = attrs.get("emoji-id")
            elif name == "blockquote":
                argument = "expandable" if "expandable" in attrs else None
            stack.append((name, utf16, argument))
        pos = close + 1

    if stack:
        raise _html_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_entity(
    entities: list[dict[str, Any]],
    tag: str,
    offset: int,
    length: int,
    argument: str | None,
    text_so_far: str,
) -> None:
    entity: dict[str, Any] = {"offset": offset, "length": length}
    if tag == "a":
        url = argument
        if not url:  # <a>url</a>: the text is the link
            url = text_so_far[-length:] if text_so_far.isascii() else None
        if not url:
            return
        entity.update(type="text_link", url=url)
    elif tag == "span":
        entity["type"] = "spoiler"
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if argument else "blockquote"
    elif tag == "tg-emoji":
        if not argument or not argument.isdigit():
            raise _html_error("Invalid custom emoji identifier specified")
        entity.update(type="custom_emoji", custom_emoji_id=argument)
    elif tag == "pre":
        # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
        last = entities[-1] if entities else None
        if (
            last
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (offset, length)
        ):
            entities.pop()
            entity["type"] = "pre"
            if "language" in last:
                entity["language"] = last["language"]
        else:
            entity["type"] = "pre"
    elif tag == "code":
        entity["type"] = "code"
        if argument:
            entity["language"] = argument
    else:
        entity["type"] = _SIMPLE_TAGS[tag]
    entities.append(entity)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims surrounding whitespace; entities are shifted and clipped to match."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _render(
    text: str, parse_mode: Any, entities: Any, *, what: str
) -> tuple[str, list[dict[str, Any]]]:
    """Text as Telegram stores it: explicit entities win over parse_mode, as in the Bot API."""
    if isinstance(entities, list):
        return _trim(text, [e for e in entities if isinstance(e, dict)])
    if isinstance(parse_mode, str) and parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            return _trim(*parse_html(text))
        if mode not in ("markdown", "markdownv2"):
            raise _Reject(400, f"Bad Request: unsupported parse_mode {parse_mode!r} for {what}")
    return _trim(text, [])


def _check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate reply_markup; return it if Telegram would echo it back (inline keyboards only)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _Reject(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _Reject(400, "Bad Request: can't parse inline keyboard JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _Reject(
                    400,
                    'Bad Request: can\'t parse inline keyboard button: Field "text" must be of '
                    "type String",
                )
            if not any(key in button for key in _BUTTON_ACTIONS):
                raise _Reject(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                    "in the inline keyboard",
                )
            data = button.get("callback_data")
            if isinstance(data, str) and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _Reject(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if isinstance(url, str) and not url.startswith(("http://", "https://", "tg://")):
                raise _Reject(
                    400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong URL"
                )
    return markup


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (charts are PNG); a plausible default otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                break
            marker = data[index + 1]
            length = struct.unpack(">H", data[index + 2 : index + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
    return 800, 600


def _message_key(params: dict[str, Any], chat_field: str = "chat_id") -> tuple[ChatId, int]:
    """``(chat_id, message_id)`` from request params, with Telegram's errors when missing."""
    chat_id = params.get(chat_field)
    if chat_id is None:
        raise _Reject(400, f"Bad Request: {chat_field} is empty")
    message_id = params.get("message_id")
    if not isinstance(message_id, int):
        raise _Reject(400, "Bad Request: message identifier is not specified")
    return chat_id, message_id


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object with every field aiogram 3.31 requires for that status."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=False,
            can_restrict_members=False,
            can_promote_members=False,
            can_change_info=False,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_send_welcome_messages=False,
        )
    elif status == "restricted":
        member.update(
            {
                key: False
                for key in (
                    "can_send_messages",
                    "can_send_audios",
                    "can_send_documents",
                    "can_send_photos",
                    "can_send_videos",
                    "can_send_video_notes",
                    "can_send_voice_notes",
                    "can_send_polls",
                    "can_send_other_messages",
                    "can_add_web_page_previews",
                    "can_react_to_messages",
                    "can_edit_tag",
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_manage_topics",
                )
            },
            is_member=True,
            until_date=0,
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1 that records calls and enforces flood limits.

    See the module docstring for the full API. Everything runs on the test's event loop; the
    object is not thread-safe and needs no locking.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "wbpulse_test_bot",
        bot_first_name: str = "WB Pulse",
        host: str = "127.0.0.1",
        port: int = 0,
        enforce_limits: bool = True,
        global_rate: float = 30.0,
        global_burst: float = 30,
        private_rate: float = 1.0,
        private_burst: float = 3,
        group_rate: float = 20 / 60,
        group_burst: float = 5,
        retry_after_grace: float = 0.05,
        strict_chats: bool = False,
        max_poll_timeout: float = 50.0,
    ) -> None:
        """Configure the server; nothing listens until ``start()`` / ``async with``.

        ``strict_chats=True`` answers 400 ``chat not found`` for chats the fake has never seen
        (no injected message from them); by default such chats are created on first use so that
        benchmarks can send to arbitrary ids.
        """
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(head) if head.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.host = host
        self.port = port
        self.enforce_limits = enforce_limits
        self.global_rate, self.global_burst = global_rate, global_burst
        self.private_rate, self.private_burst = private_rate, private_burst
        self.group_rate, self.group_burst = group_rate, group_burst
        self.retry_after_grace = retry_after_grace
        self.strict_chats = strict_chats
        self.max_poll_timeout = max_poll_timeout

        # What the bot did.
        self.calls: list[Call] = []
        self.deleted: set[tuple[ChatId, int]] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.scoped_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.answered: dict[str, dict[str, Any]] = {}
        self.violations: Counter[str] = Counter()
        self.violation_log: list[Violation] = []
        self.dropped_updates: list[dict[str, Any]] = []
        self.webhook_url = ""
        self._sent: list[Call] = []
        self._sent_by_chat: dict[ChatId, list[Call]] = {}
        self._waiters: list[tuple[Callable[[Call], bool], asyncio.Future[Call]]] = []

        # Telegram's state.
        self._chats: dict[ChatId, dict[str, Any]] = {}
        self._usernames: dict[str, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[ChatId, int], dict[str, Any]] = {}
        self._next_message_id: dict[ChatId, int] = {}
        self._bot_status: dict[ChatId, str] = {}
        self._member_status: dict[tuple[ChatId, int], str] = {}
        self._blocked: dict[ChatId, str] = {}
        self._migrated: dict[ChatId, int] = {}
        self._callbacks: dict[str, bool] = {}  # id -> answered
        self._files: dict[str, tuple[str, str, bytes]] = {}  # file_id -> (unique, name, data)
        self._file_paths: dict[str, str] = {}  # file_path -> file_id
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(4_000_000_000_000_000_001)
        self._media_group_seq = itertools.count(13_000_000_000_000_001)

        # Updates and long polling.
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 100_000_001
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._updates_event = asyncio.Event()
        self._poll_generation = 0
        self._active_polls = 0

        # Limits and injected behaviour.
        self._global_bucket: TokenBucket | None = None
        self._chat_buckets: dict[ChatId, TokenBucket] = {}
        self._retry_deadlines: dict[ChatId, float] = {}
        self._rules: list[_Rule] = []
        self._slow = 0.0

        handlers: dict[str, Callable[[Call], Any]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
        }
        self._handlers: dict[str, tuple[str, Callable[[Call], Any]]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }

        self._runner: web.AppRunner | None = None
        self._closed = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """Root URL for ``TelegramAPIServer.from_base`` and ``TELEGRAM_API_URL``."""
        if self._runner is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeTelegram:
        """Listen on ``host``; with ``port=0`` the OS picks a free port, so tests never clash."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that hangs up (killed bot, timeout) cancels its request,
        # so a dead long poll does not linger and a request still "in flight" is not delivered.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._closed.clear()
        return self

    async def stop(self) -> None:
        """Release long polls and held answers, then close the server."""
        self._closed.set()
        self._updates_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- inspection

    def sent(self, chat_id: ChatId | None = None) -> list[Call]:
        """Successful send calls, in order (all chats, or one)."""
        if chat_id is None:
            return list(self._sent)
        return list(self._sent_by_chat.get(chat_id, ()))

    def texts(self, chat_id: ChatId | None = None, *, raw: bool = False) -> list[str]:
        """Texts and captions delivered, one per message (a media group gives one per caption).

        Rendered (what the user reads: HTML parsed, trimmed) unless ``raw=True``.
        """
        result: list[str] = []
        for call in self.sent(chat_id):
            if raw:
                if call.method == "sendMediaGroup":
                    media = call.params.get("media") or []
                    result.extend(
                        str(item["caption"])
                        for item in media
                        if isinstance(item, dict) and item.get("caption")
                    )
                else:
                    value = call.params.get("text", call.params.get("caption"))
                    if value:
                        result.append(str(value))
                continue
            for msg in call.messages:
                value = msg.get("text", msg.get("caption"))
                if value:
                    result.append(value)
        return result

    def calls_of(self, method: str, chat_id: ChatId | None = None) -> list[Call]:
        """All calls of one method (case-insensitive name), successful or not."""
        wanted = method.lower()
        return [
            call
            for call in self.calls
            if call.method.lower() == wanted and (chat_id is None or call.chat_id == chat_id)
        ]

    def message(self, chat_id: ChatId, message_id: int) -> dict[str, Any] | None:
        """The message as it is now (after edits), or None if unknown or deleted."""
        return self._messages.get((chat_id, message_id))

    def total_violations(self) -> int:
        """Sum of all violation counters; must be 0 for a well-behaved bot."""
        return sum(self.violations.values())

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline is the point of this helper
        *,
        after: int = 0,
    ) -> Call:
        """First call (recorded from index ``after`` on, or arriving later) matching ``predicate``.

        Pass ``after=len(tg.calls)`` to ignore what already happened. Raises ``TimeoutError``
        with the last calls listed, so a failing test says what the bot did instead.
        """
        for call in itertools.islice(self.calls, after, None):
            if predicate(call):
                return call
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            recent = ", ".join(repr(call) for call in self.calls[-8:]) or "none"
            raise TimeoutError(
                f"no matching Telegram call within {timeout}s; last calls: {recent}"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    async def wait_for_text(
        self,
        chat_id: ChatId,
        substring: str,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        after: int = 0,
    ) -> Call:
        """First delivered message in ``chat_id`` whose rendered or raw text has ``substring``."""

        def matches(call: Call) -> bool:
            if call.error is not None or call.method not in SEND_METHODS:
                return False
            if call.chat_id != chat_id:
                return False
            for msg in call.messages:
                if substring in (msg.get("text") or msg.get("caption") or ""):
                    return True
            raw = call.params.get("text", call.params.get("caption"))
            return isinstance(raw, str) and substring in raw

        return await self.wait_for(matches, timeout, after=after)

    @property
    def polling(self) -> bool:
        """True while a getUpdates request is in progress (the bot is up and listening)."""
        return self._active_polls > 0

    async def wait_polling(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has a long poll open: a getUpdates *call* is only recorded when it
        returns, which can be a whole polling timeout later."""
        deadline = time.monotonic() + timeout
        while not self._active_polls:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot did not start polling within {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_updates_consumed(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot confirmed every queued update (its getUpdates offset passed them)."""
        deadline = time.monotonic() + timeout
        while self._updates:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self._updates)} updates still unconfirmed")
            await asyncio.sleep(0.01)

    # ---------------------------------------------------------------- acting as users

    def _user(
        self, user_id: int, language_code: str | None, first_name: str | None, username: str | None
    ) -> dict[str, Any]:
        old = self._users.get(user_id)
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or (old["first_name"] if old else "Test"),
        }
        username = username or (old.get("username") if old else None)
        if username:
            user["username"] = username
            self._usernames[username.lower()] = user_id
        language = language_code or (old.get("language_code") if old else None)
        if language:
            user["language_code"] = language
        if user != old:
            self._users[user_id] = user
        return self._users[user_id]

    def _ensure_chat(
        self,
        chat_id: ChatId,
        chat_type: str | None = None,
        *,
        user: dict[str, Any] | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is not None and (chat_type is None or chat["type"] == chat_type):
            return chat
        if chat_type is None:
            is_super = isinstance(chat_id, int) and str(chat_id).startswith("-100")
            chat_type = (
                "private"
                if isinstance(chat_id, int) and chat_id > 0
                else ("supergroup" if is_super else "group")
            )
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            person = user or self._users.get(int(chat_id)) or {"first_name": f"User{chat_id}"}
            chat["first_name"] = person["first_name"]
            if person.get("username"):
                chat["username"] = person["username"]
        else:
            chat["title"] = title or f"Group {chat_id}"
            if chat_type == "group":
                chat["all_members_are_administrators"] = True
        self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: ChatId) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        if kind in self._allowed_updates:
            self._updates.append(update)
            self._updates_event.set()
        else:  # Telegram does not even create updates the bot did not ask for
            self.dropped_updates.append(update)
        return update

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "en",
        first_name: str = "Test",
        username: str | None = None,
        reply_to: int | None = None,
        title: str | None = None,
        photo: bool = False,
    ) -> dict[str, Any]:
        """Queue a ``message`` update as if the user typed ``text``; returns the Message dict.

        Leading (and any whitespace-separated) ``/commands`` get ``bot_command`` entities. The
        message id comes from the chat's counter, shared with the bot's own messages. With
        ``photo`` the text is the caption of a photo (``caption``, ``caption_entities``).
        """
        user = self._user(user_id, language_code, first_name, username)
        target = user_id if chat_id is None else chat_id
        if chat_type == "private" and target != user_id:
            chat_type = "supergroup" if str(target).startswith("-100") else "group"
        chat = self._ensure_chat(target, chat_type, user=user, title=title)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(target),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        self._set_text(message, text, photo=photo)
        if reply_to is not None and (target, reply_to) in self._messages:
            message["reply_to_message"] = self._messages[(target, reply_to)]
        self._messages[(target, message["message_id"])] = message
        self._enqueue("message", message)
        return message

    def user_document(
        self,
        user_id: int,
        file_name: str,
        data: bytes,
        *,
        caption: str = "",
        mime_type: str | None = None,
        file_size: int | None = None,
        language_code: str = "en",
    ) -> dict[str, Any]:
        """Queue a ``message`` update carrying a file the user sent (a Document, with an
        optional caption); the bot can getFile and download it. ``file_size`` overrides the
        size Telegram reports (a file over the Bot API's 20 MB download limit is refused by
        getFile, https://core.telegram.org/bots/api#getfile)."""
        message = self.user_message(user_id, caption, language_code=language_code)
        if not caption:
            message.pop("text", None)
            message.pop("entities", None)
        else:
            message["caption"] = message.pop("text")
            if "entities" in message:
                message["caption_entities"] = message.pop("entities")
        seq = next(self._file_seq)
        file_id, unique = f"FAKEDOCUMENT{seq:08d}", f"U{seq:08d}"
        self._files[file_id] = (unique, file_name, data)
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        self._file_paths[f"documents/file_{seq}.{extension}"] = file_id
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type or mimetypes.guess_type(file_name)[0] or "",
            "file_size": len(data) if file_size is None else file_size,
        }
        return message

    @staticmethod
    def _set_text(message: dict[str, Any], text: str, *, photo: bool) -> None:
        for key in ("text", "entities", "caption", "caption_entities"):
            message.pop(key, None)
        entities = [
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: m.start()]),
                "length": _utf16_len(m.group()),
            }
            for m in _COMMAND_RE.finditer(text)
        ]
        if photo:
            message["photo"] = [
                {"file_id": "user-photo", "file_unique_id": "up", "width": 90, "height": 90}
            ]
            message["caption"] = text
            if entities:
                message["caption_entities"] = entities
        else:
            message["text"] = text
            if entities:
                message["entities"] = entities

    def edit_user_message(self, chat_id: ChatId, message_id: int, text: str) -> dict[str, Any]:
        """Queue ``edited_message`` (or ``edited_channel_post``) as Telegram does when the
        author edits: the whole message as it is now, with ``edit_date``; a caption stays a
        caption. Raises KeyError for a message the fake does not hold (e.g. deleted)."""
        message = dict(self._messages[(chat_id, message_id)])
        self._set_text(message, text, photo="photo" in message)
        message["edit_date"] = int(time.time())
        self._messages[(chat_id, message_id)] = message
        kind = "edited_channel_post" if message["chat"]["type"] == "channel" else "edited_message"
        self._enqueue(kind, message)
        return message

    def channel_post(self, chat_id: int, text: str, *, title: str | None = None) -> dict[str, Any]:
        """Queue ``channel_post``: a post in a channel where the bot is an admin. Channel posts
        have no ``from``; ``sender_chat`` is the channel itself."""
        chat = self._ensure_chat(chat_id, "channel", title=title)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
        }
        self._set_text(message, text, photo=False)
        self._messages[(chat_id, message["message_id"])] = message
        self._enqueue("channel_post", message)
        return message

    def group_message(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        chat_type: str | None = None,
        title: str | None = None,
        language_code: str = "en",
        first_name: str = "Test",
        username: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """``user_message`` in a group; the type defaults to supergroup for ``-100...`` ids."""
        if chat_type is None:
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        return self.user_message(
            user_id,
            text,
            chat_id=chat_id,
            chat_type=chat_type,
            language_code=language_code,
            first_name=first_name,
            username=username,
            reply_to=reply_to,
            title=title,
        )

    def callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        language_code: str = "en",
    ) -> dict[str, Any]:
        """Queue a ``callback_query`` (a button press on message ``message_id``).

        The query's ``message`` is the stored message as it is now; for a message the fake never
        saw it is an InaccessibleMessage (``date: 0``), as Telegram sends for old messages.
        """
        user = self._user(user_id, language_code, None, None)
        target = user_id if chat_id is None else chat_id
        chat = self._ensure_chat(target)
        message = self._messages.get((target, message_id)) or {
            "chat": chat,
            "message_id": message_id,
            "date": 0,
        }
        query_id = str(next(self._callback_seq))
        self._callbacks[query_id] = False
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(hash((target, self.bot_user["id"]))) % 10**18),
            "data": data,
        }
        self._enqueue("callback_query", query)
        return query

    def my_chat_member(
        self,
        user_id: int,
        chat_id: int,
        old_status: str,
        new_status: str,
        *,
        chat_type: str = "private",
        language_code: str = "en",
    ) -> dict[str, Any]:
        """Queue ``my_chat_member`` (the bot's own status changed) and apply its effect.

        In a private chat ``kicked`` means the user blocked the bot: sends then get 403 until
        ``member`` arrives (user pressed Start again). In groups ``left``/``kicked`` end sending.
        """
        user = self._user(user_id, language_code, None, None)
        if chat_type == "private" and chat_id != user_id:
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = self._ensure_chat(chat_id, chat_type, user=user)
        self._bot_status[chat_id] = new_status
        if new_status == "kicked":
            self.block(chat_id)
        elif new_status == "left" and chat["type"] != "private":
            self.block(chat_id, _FORBIDDEN_LEFT)
        elif new_status in ("member", "administrator", "creator"):
            self.unblock(chat_id)
        event = {
            "chat": chat,
            "from": user,
            "date": int(time.time()),
            "old_chat_member": _member(self.bot_user, old_status),
            "new_chat_member": _member(self.bot_user, new_status),
        }
        self._enqueue("my_chat_member", event)
        return event

    # ---------------------------------------------------------------- injecting trouble

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        chat_id: ChatId | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching calls with this error instead of executing them."""
        if description is None:
            description = _DEFAULT_DESCRIPTIONS.get(error_code, "Error")
            if error_code == 429 and retry_after is not None:
                description = f"Too Many Requests: retry after {retry_after}"
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        error = TelegramError(error_code, description, parameters or None)
        self._rules.append(_Rule(self._canonical(method), chat_id, times, error=error))

    def disconnect_next(
        self,
        method: str,
        *,
        after_delivery: bool = False,
        chat_id: ChatId | None = None,
        times: int = 1,
    ) -> None:
        """Drop the connection without answering (before or after delivering the message)."""
        self._rules.append(
            _Rule(
                self._canonical(method),
                chat_id,
                times,
                disconnect=True,
                after_delivery=after_delivery,
            )
        )

    def delay_after_delivery(
        self, method: str, seconds: float, *, chat_id: ChatId | None = None, times: int = 1
    ) -> None:
        """Deliver and record the message, then hold the answer for ``seconds``."""
        self._rules.append(
            _Rule(self._canonical(method), chat_id, times, delay=seconds, after_delivery=True)
        )

    def block(self, chat_id: ChatId, description: str | None = None) -> None:
        """Make every chat method for ``chat_id`` answer 403 (user blocked / bot kicked)."""
        if description is None:
            private = isinstance(chat_id, int) and chat_id > 0
            description = _FORBIDDEN_PRIVATE if private else _FORBIDDEN_GROUP
        self._blocked[chat_id] = description

    def unblock(self, chat_id: ChatId) -> None:
        self._blocked.pop(chat_id, None)

    def migrate(self, group_chat_id: int, new_supergroup_id: int) -> None:
        """Upgrade a group: the old id answers 400 + ``migrate_to_chat_id``, the new one works."""
        old = self._ensure_chat(group_chat_id)
        self._migrated[group_chat_id] = new_supergroup_id
        self._ensure_chat(new_supergroup_id, "supergroup", title=old.get("title"))

    def slow(self, seconds: float) -> None:
        """Add latency before every request is processed (0 switches it off)."""
        self._slow = max(0.0, seconds)

    def _canonical(self, method: str) -> str:
        if method == "*":
            return method
        entry = self._handlers.get(method.lower())
        return entry[0] if entry else method

    def _take_rule(
        self, method: str, chat_id: ChatId | None, kind: Callable[[_Rule], bool]
    ) -> _Rule | None:
        for rule in self._rules:
            if kind(rule) and rule.matches(method, chat_id):
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
                return rule
        return None

    # ---------------------------------------------------------------- HTTP plumbing

    @staticmethod
    def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
        return web.Response(
            body=json.dumps(payload, ensure_ascii=False).encode(),
            status=status,
            content_type="application/json",
        )

    @classmethod
    def _error_response(cls, error: TelegramError) -> web.Response:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": error.error_code,
            "description": error.description,
        }
        if error.parameters:
            payload["parameters"] = error.parameters
        return cls._json(payload, error.error_code)

    async def _sleep(self, seconds: float) -> None:
        """Sleep that ends early when the server stops, so teardown never hangs."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        raw: dict[str, Any] = dict(request.query)
        parts: dict[str, tuple[str, bytes]] = {}
        if request.can_read_body:
            try:
                if request.content_type == "application/json":
                    body = await request.json()
                    if isinstance(body, dict):
                        raw.update(body)
                else:
                    form = await request.post()
                    for key, value in form.items():
                        if isinstance(value, web.FileField):
                            parts[key] = (value.filename, value.file.read())
                        else:
                            raw[key] = value
            except web.HTTPRequestEntityTooLarge:
                raise _Reject(413, "Request Entity Too Large") from None
            except ValueError:
                raise _Reject(400, "Bad Request: can't parse request body") from None
        params = {key: _decode_value(key, value) for key, value in raw.items()}
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            params["chat_id"] = self._usernames.get(chat_id[1:].lower(), chat_id)
        files: dict[str, tuple[str, bytes]] = {}
        used: set[str] = set()
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name in parts:
                    files[key] = parts[name]
                    used.add(name)
        media = params.get("media")
        if isinstance(media, list):
            for index, item in enumerate(media):
                ref = item.get("media") if isinstance(item, dict) else None
                if isinstance(ref, str) and ref.startswith("attach://"):
                    name = ref[len("attach://") :]
                    if name in parts:
                        files[f"media[{index}]"] = parts[name]
                        used.add(name)
        for name, part in parts.items():  # uploads sent directly under the field name
            if name not in used:
                files.setdefault(name, part)
        return params, files

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_response(TelegramError(401, "Unauthorized"))
        file_id = self._file_paths.get(request.match_info["path"])
        if file_id is None:
            return self._error_response(TelegramError(404, "Not Found"))
        _, name, data = self._files[file_id]
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return web.Response(body=data, content_type=ctype)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self._slow:
            await self._sleep(self._slow)
        name = request.match_info["method"]
        entry = self._handlers.get(name.lower())
        method = entry[0] if entry else name
        call = Call(method, {}, time=time.monotonic())
        chat_id: ChatId | None = None
        try:
            if request.match_info["token"] != self.token:
                raise _Reject(401, "Unauthorized")
            call.params, call.files = await self._read_params(request)
            call.time = now = time.monotonic()
            if entry is None:
                raise _Reject(404, "Not Found: method not found")
            chat_id = call.params.get("chat_id")
            if self._rules:
                early = self._take_rule(method, chat_id, lambda r: not r.after_delivery)
                if early is not None and early.error is not None:
                    self._note_injected(method, chat_id, early.error, now)
                    raise _Reject(
                        early.error.error_code, early.error.description, early.error.parameters
                    )
                if early is not None and early.disconnect:
                    self._record(call, TelegramError(0, "connection dropped before delivery"))
                    return self._disconnect(request)
            if method in CHAT_METHODS:
                self._gate(chat_id)
            charge = self._check_limits(method, chat_id, now) if method in SEND_METHODS else []
            if method == "getUpdates":
                call.result = await self._get_updates(call)
            else:
                call.result = entry[1](call)
        except _Reject as reject:
            self._record(call, reject.error)
            return self._error_response(reject.error)
        except Exception as exc:  # a bug in the fake: answer JSON so the test says what broke
            error = TelegramError(500, f"Internal Server Error: fake Telegram failed: {exc!r}")
            self._record(call, error)
            return self._error_response(error)
        if charge:
            # An album costs one token per item; the bucket may go into debt (see TokenBucket).
            cost = len(call.messages) or 1
            for bucket in charge:
                bucket.take(cost)
        self._record(call, None)
        late = (
            self._take_rule(method, chat_id, lambda r: r.after_delivery) if self._rules else None
        )
        if late is not None:
            if late.disconnect:
                return self._disconnect(request)
            await self._sleep(late.delay)
        return self._json({"ok": True, "result": call.result})

    @staticmethod
    def _disconnect(request: web.Request) -> web.Response:
        # Abort, then return anything: aiohttp notices the dead transport and logs nothing.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _record(self, call: Call, error: TelegramError | None) -> None:
        call.error = error
        if error is not None:
            call.result = None
        self.calls.append(call)
        if error is None and call.method in SEND_METHODS:
            self._sent.append(call)
            self._sent_by_chat.setdefault(call.params["chat_id"], []).append(call)
        for predicate, future in list(self._waiters):
            if future.done():
                continue
            try:
                if predicate(call):
                    future.set_result(call)
            except Exception as exc:  # a broken predicate should fail the test, not the server
                future.set_exception(exc)

    # ---------------------------------------------------------------- limits and chat gates

    def _gate(self, chat_id: ChatId | None) -> None:
        if chat_id is None:
            raise _Reject(400, "Bad Request: chat_id is empty")
        if chat_id in self._migrated:
            raise _Reject(400, _MIGRATED, {"migrate_to_chat_id": self._migrated[chat_id]})
        if chat_id in self._blocked:
            raise _Reject(403, self._blocked[chat_id])
        if chat_id not in self._chats:
            if self.strict_chats or not isinstance(chat_id, int) or chat_id == 0:
                raise _Reject(400, "Bad Request: chat not found")
            self._ensure_chat(chat_id)

    def _note_injected(
        self, method: str, chat_id: ChatId | None, error: TelegramError, now: float
    ) -> None:
        retry_after = error.retry_after
        if retry_after and method in SEND_METHODS and chat_id is not None:
            self._retry_deadlines[chat_id] = now + retry_after

    def _check_limits(self, method: str, chat_id: ChatId | None, now: float) -> list[TokenBucket]:
        """Raise 429 if a bucket is empty; else return the buckets to charge on success.

        Charging only after the request succeeded keeps rejected requests (bad HTML, blocked
        chat) from eating the budget, as they deliver nothing.
        """
        deadline = self._retry_deadlines.get(chat_id) if chat_id is not None else None
        if chat_id is not None and deadline is not None:
            if now < deadline - self.retry_after_grace:
                retry_after = max(1, math.ceil(deadline - now))
                self._violate("ignored_retry_after", method, chat_id, retry_after, now)
                raise self._too_many(retry_after)
            del self._retry_deadlines[chat_id]
        if not self.enforce_limits:
            return []
        if self._global_bucket is None:
            self._global_bucket = TokenBucket(self.global_rate, self.global_burst, now)
        buckets: list[tuple[str, TokenBucket]] = [("global", self._global_bucket)]
        if chat_id is not None:
            bucket = self._chat_buckets.get(chat_id)
            private = isinstance(chat_id, int) and chat_id > 0
            if bucket is None:
                rate, burst = (
                    (self.private_rate, self.private_burst)
                    if private
                    else (self.group_rate, self.group_burst)
                )
                bucket = self._chat_buckets[chat_id] = TokenBucket(rate, burst, now)
            buckets.append(("private" if private else "group", bucket))
        short = [(scope, bucket.shortfall(now)) for scope, bucket in buckets]
        waits = [(scope, wait) for scope, wait in short if wait > 0]
        if waits:
            retry_after = max(1, math.ceil(max(wait for _, wait in waits)))
            for scope, _ in waits:
                self._violate(scope, method, chat_id, retry_after, now)
            if chat_id is not None:
                self._retry_deadlines[chat_id] = now + retry_after
            raise self._too_many(retry_after)
        return [bucket for _, bucket in buckets]

    def _violate(
        self, scope: str, method: str, chat_id: ChatId | None, retry_after: int, now: float
    ) -> None:
        self.violations[scope] += 1
        self.violation_log.append(Violation(now, scope, method, chat_id, retry_after))

    @staticmethod
    def _too_many(retry_after: int) -> _Reject:
        return _Reject(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    # ---------------------------------------------------------------- updates

    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        if self.webhook_url:
            raise _Reject(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        limit = min(100, max(1, limit if isinstance(limit, int) else 100))
        timeout = params.get("timeout") or 0
        timeout = min(self.max_poll_timeout, max(0.0, float(timeout)))
        updates = self._updates
        if isinstance(offset, int) and offset < 0:  # "the last -offset updates", rest forgotten
            while len(updates) > -offset:
                updates.popleft()
        elif isinstance(offset, int):
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_event.set()  # wake an older poll so it can see it was superseded
        deadline = time.monotonic() + timeout
        self._active_polls += 1
        try:
            while True:
                if generation != self._poll_generation:
                    raise _Reject(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                if updates or self._closed.is_set():
                    return list(itertools.islice(updates, limit))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._updates_event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._updates_event.wait(), remaining)
        finally:
            self._active_polls -= 1

    def _set_webhook(self, call: Call) -> bool:
        self.webhook_url = str(call.params.get("url") or "")
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, call: Call) -> bool:
        self.webhook_url = ""
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, call: Call) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # ---------------------------------------------------------------- bot profile

    def _get_me(self, call: Call) -> dict[str, Any]:
        return self.bot_user

    @staticmethod
    def _true(call: Call) -> bool:
        return True

    @staticmethod
    def _scope_key(call: Call) -> tuple[str, str]:
        scope = call.params.get("scope")
        lang = str(call.params.get("language_code") or "")
        if not scope or (isinstance(scope, dict) and scope.get("type") == "default"):
            return "default", lang
        return json.dumps(scope, sort_keys=True), lang

    def _set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _Reject(400, 'Bad Request: parameter "commands" can\'t be parsed')
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise _Reject(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _Reject(400, "Bad Request: command description is empty or too long")
        scope, lang = self._scope_key(call)
        if scope == "default":
            self.commands[lang] = commands
        self.scoped_commands[(scope, lang)] = commands
        return True

    def _get_my_commands(self, call: Call) -> list[dict[str, Any]]:
        return self.scoped_commands.get(self._scope_key(call), [])

    def _delete_my_commands(self, call: Call) -> bool:
        scope, lang = self._scope_key(call)
        self.scoped_commands.pop((scope, lang), None)
        if scope == "default":
            self.commands.pop(lang, None)
        return True

    def _set_my_description(self, call: Call) -> bool:
        text = str(call.params.get("description") or "")
        if len(text) > 512:
            raise _Reject(400, "Bad Request: description is too long")
        self.descriptions[str(call.params.get("language_code") or "")] = text
        return True

    def _get_my_description(self, call: Call) -> dict[str, Any]:
        lang = str(call.params.get("language_code") or "")
        return {"description": self.descriptions.get(lang, "")}

    def _set_my_short_description(self, call: Call) -> bool:
        text = str(call.params.get("short_description") or "")
        if len(text) > 120:
            raise _Reject(400, "Bad Request: short description is too long")
        self.short_descriptions[str(call.params.get("language_code") or "")] = text
        return True

    def _get_my_short_description(self, call: Call) -> dict[str, Any]:
        lang = str(call.params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(lang, "")}

    # ---------------------------------------------------------------- sending

    def _base_message(self, chat_id: ChatId, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": 0,  # assigned in _store, once validation has passed
            "from": self.bot_user,
            "chat": self._chats[chat_id],
            "date": int(time.time()),
        }
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if reply_id:
            original = self._messages.get((chat_id, reply_id))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
            elif not (
                (isinstance(reply, dict) and reply.get("allow_sending_without_reply"))
                or params.get("allow_sending_without_reply")
            ):
                raise _Reject(400, "Bad Request: message to be replied not found")
        return message

    def _store(self, chat_id: ChatId, message: dict[str, Any]) -> dict[str, Any]:
        message["message_id"] = self._new_message_id(chat_id)
        self._messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _with_text(message: dict[str, Any], params: dict[str, Any]) -> None:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _Reject(400, "Bad Request: message text is empty")
        rendered, entities = _render(
            text, params.get("parse_mode"), params.get("entities"), what="text"
        )
        if not rendered:
            raise _Reject(400, "Bad Request: message text is empty")
        if len(rendered) > MAX_TEXT_LENGTH:
            raise _Reject(400, "Bad Request: message is too long")
        message["text"] = rendered
        if entities:
            message["entities"] = entities

    @staticmethod
    def _with_caption(message: dict[str, Any], params: dict[str, Any]) -> None:
        caption = params.get("caption")
        if not isinstance(caption, str) or not caption:
            return
        rendered, entities = _render(
            caption, params.get("parse_mode"), params.get("caption_entities"), what="caption"
        )
        if len(rendered) > MAX_CAPTION_LENGTH:
            raise _Reject(400, "Bad Request: message caption is too long")
        if rendered:
            message["caption"] = rendered
        if entities:
            message["caption_entities"] = entities

    @staticmethod
    def _with_markup(message: dict[str, Any], params: dict[str, Any]) -> None:
        markup = _check_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup

    def _file(
        self, kind: str, ref: Any, upload: tuple[str, bytes] | None
    ) -> tuple[str, str, str, bytes]:
        """Resolve an upload, a known file_id or a URL to ``(file_id, unique_id, name, data)``."""
        if upload is not None:
            name, data = upload
            if not data:
                raise _Reject(400, "Bad Request: file must be non-empty")
            seq = next(self._file_seq)
            file_id, unique = f"FAKE{kind.upper()}{seq:08d}", f"U{seq:08d}"
            self._files[file_id] = (unique, name, data)
            extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
            self._file_paths[f"{kind}s/file_{seq}.{extension}"] = file_id
            return file_id, unique, name, data
        if isinstance(ref, str) and ref in self._files:
            unique, name, data = self._files[ref]
            return ref, unique, name, data
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            return self._file(kind, None, (ref.rsplit("/", 1)[-1] or kind, b"\0" * 1024))
        if ref is None or ref == "":
            raise _Reject(400, f"Bad Request: there is no {kind} in the request")
        raise _Reject(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _photo_sizes(self, file_id: str, unique: str, data: bytes) -> list[dict[str, Any]]:
        width, height = _image_size(data)
        scale = 90 / max(width, height, 1)
        thumb_w, thumb_h = max(1, round(width * scale)), max(1, round(height * scale))
        return [
            {
                "file_id": f"{file_id}_s",
                "file_unique_id": f"{unique}s",
                "width": thumb_w,
                "height": thumb_h,
                "file_size": max(1, len(data) // 20),
            },
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": width,
                "height": height,
                "file_size": len(data),
            },
        ]

    def _document(self, file_id: str, unique: str, name: str, data: bytes) -> dict[str, Any]:
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": name,
            "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "file_size": len(data),
        }

    def _send_message(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        message = self._base_message(chat_id, call.params)
        self._with_text(message, call.params)
        self._with_markup(message, call.params)
        call.messages.append(self._store(chat_id, message))
        return message

    def _send_photo(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        message = self._base_message(chat_id, call.params)
        self._with_caption(message, call.params)
        self._with_markup(message, call.params)
        file_id, unique, _, data = self._file(
            "photo", call.params.get("photo"), call.files.get("photo")
        )
        message["photo"] = self._photo_sizes(file_id, unique, data)
        call.messages.append(self._store(chat_id, message))
        return message

    def _send_document(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        message = self._base_message(chat_id, call.params)
        self._with_caption(message, call.params)
        self._with_markup(message, call.params)
        file_id, unique, name, data = self._file(
            "document", call.params.get("document"), call.files.get("document")
        )
        message["document"] = self._document(file_id, unique, name, data)
        call.messages.append(self._store(chat_id, message))
        return message

    def _send_media_group(self, call: Call) -> list[dict[str, Any]]:
        chat_id = call.params["chat_id"]
        media = call.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _Reject(400, "Bad Request: wrong number of media specified")
        group_id = str(next(self._media_group_seq))
        built = []
        for index, item in enumerate(media):
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "document",
                "video",
                "audio",
            ):
                raise _Reject(400, "Bad Request: wrong media type specified")
            message = self._base_message(chat_id, call.params)
            message["media_group_id"] = group_id
            self._with_caption(message, item)
            kind = item["type"]
            file_id, unique, name, data = self._file(
                kind, item.get("media"), call.files.get(f"media[{index}]")
            )
            if kind == "photo":
                message["photo"] = self._photo_sizes(file_id, unique, data)
            else:
                message[kind] = self._document(file_id, unique, name, data)
            built.append(message)
        for message in built:
            call.messages.append(self._store(chat_id, message))
        return built

    def _source_message(self, call: Call, what: str) -> dict[str, Any]:
        source = self._messages.get(_message_key(call.params, "from_chat_id"))
        if source is None:
            raise _Reject(400, f"Bad Request: message to {what} not found")
        return source

    def _copy_message(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        source = self._source_message(call, "copy")
        message = self._base_message(chat_id, call.params)
        for key in ("text", "entities", "caption", "caption_entities", "photo", "document"):
            if key in source:
                message[key] = source[key]
        if "caption" in call.params:
            message.pop("caption", None)
            message.pop("caption_entities", None)
            self._with_caption(message, call.params)
        self._with_markup(message, call.params)
        call.messages.append(self._store(chat_id, message))
        return {"message_id": message["message_id"]}

    def _forward_message(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        source = self._source_message(call, "forward")
        message = self._base_message(chat_id, {})
        for key in ("text", "entities", "caption", "caption_entities", "photo", "document"):
            if key in source:
                message[key] = source[key]
        sender = source.get("from") or self.bot_user
        message["forward_origin"] = {"type": "user", "sender_user": sender, "date": source["date"]}
        call.messages.append(self._store(chat_id, message))
        return message

    def _send_chat_action(self, call: Call) -> bool:
        if not call.params.get("action"):
            raise _Reject(400, "Bad Request: action is empty")
        return True

    # ---------------------------------------------------------------- editing and deleting

    def _editable(self, call: Call) -> tuple[tuple[ChatId, int], dict[str, Any]] | None:
        """The bot message an edit targets; None for inline messages (answered with True)."""
        if call.params.get("inline_message_id"):
            return None
        key = _message_key(call.params)
        message = self._messages.get(key)
        if message is None:
            raise _Reject(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise _Reject(400, "Bad Request: message can't be edited")
        return key, message

    def _commit_edit(
        self, call: Call, key: tuple[ChatId, int], old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]:
        fields = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(old.get(name) == new.get(name) for name in fields):
            raise _Reject(400, _NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self._messages[key] = new
        call.messages.append(new)
        return new

    def _edit_message_text(self, call: Call) -> dict[str, Any] | bool:
        target = self._editable(call)
        if target is None:
            return True
        key, old = target
        if "text" not in old:
            raise _Reject(400, "Bad Request: there is no text in the message to edit")
        new = {k: v for k, v in old.items() if k not in ("text", "entities", "reply_markup")}
        self._with_text(new, call.params)
        self._with_markup(new, call.params)  # no reply_markup = keyboard removed, as in Telegram
        return self._commit_edit(call, key, old, new)

    def _edit_message_caption(self, call: Call) -> dict[str, Any] | bool:
        target = self._editable(call)
        if target is None:
            return True
        key, old = target
        if "text" in old:
            raise _Reject(400, "Bad Request: there is no caption in the message to edit")
        new = {
            k: v
            for k, v in old.items()
            if k not in ("caption", "caption_entities", "reply_markup")
        }
        self._with_caption(new, call.params)
        self._with_markup(new, call.params)
        return self._commit_edit(call, key, old, new)

    def _edit_message_reply_markup(self, call: Call) -> dict[str, Any] | bool:
        target = self._editable(call)
        if target is None:
            return True
        key, old = target
        new = {k: v for k, v in old.items() if k != "reply_markup"}
        self._with_markup(new, call.params)
        return self._commit_edit(call, key, old, new)

    def _delete_message(self, call: Call) -> bool:
        key = _message_key(call.params)
        if self._messages.pop(key, None) is None:
            raise _Reject(400, "Bad Request: message to delete not found")
        self.deleted.add(key)
        return True

    def _delete_messages(self, call: Call) -> bool:
        chat_id = call.params["chat_id"]
        ids = call.params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _Reject(400, "Bad Request: message_ids is invalid")
        for message_id in ids:
            if self._messages.pop((chat_id, message_id), None) is not None:
                self.deleted.add((chat_id, message_id))
        return True

    # ---------------------------------------------------------------- queries

    def _answer_callback_query(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if self._callbacks.get(query_id, True):  # unknown or already answered
            raise _Reject(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        if len(str(call.params.get("text") or "")) > 200:
            raise _Reject(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True
        self.answered[query_id] = call.params
        return True

    def _known_chat(self, chat_id: ChatId | None) -> dict[str, Any]:
        if chat_id in self._migrated:
            raise _Reject(400, _MIGRATED, {"migrate_to_chat_id": self._migrated[chat_id]})
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _Reject(400, "Bad Request: chat not found")
        return chat

    def _get_chat(self, call: Call) -> dict[str, Any]:
        chat = self._known_chat(call.params.get("chat_id"))
        info = {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat["type"] == "private":
            user = self._users.get(chat["id"])
            if user and user.get("username"):
                info["username"] = user["username"]
        return info

    def _get_chat_member(self, call: Call) -> dict[str, Any]:
        chat = self._known_chat(call.params.get("chat_id"))
        chat_id: ChatId = chat["id"]
        user_id = call.params.get("user_id")
        if user_id == self.bot_user["id"]:
            return _member(self.bot_user, self._bot_status.get(chat_id, "member"))
        if not isinstance(user_id, int):
            raise _Reject(400, "Bad Request: user not found")
        user = self._users.get(user_id)
        if user is None:
            if chat["type"] == "private" and user_id != chat_id:
                raise _Reject(400, "Bad Request: user not found")
            user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        status = self._member_status.get((chat_id, user_id), "member")
        return _member(user, status)

    def set_member_status(self, chat_id: ChatId, user_id: int, status: str) -> None:
        """Set what getChatMember answers for a user (e.g. ``"administrator"``, ``"left"``)."""
        self._member_status[(chat_id, user_id)] = status

    def _get_file(self, call: Call) -> dict[str, Any]:
        file_id = str(call.params.get("file_id") or "")
        entry = self._files.get(file_id)
        if entry is None:
            raise _Reject(400, "Bad Request: invalid file_id")
        unique, _, data = entry
        path = next((p for p, f in self._file_paths.items() if f == file_id), None)
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique}
        result["file_size"] = len(data)
        if path:
            result["file_path"] = path
        return result
