"""The demo's chat as the seller sees it: her messages as they are sent, the bot's from the fake
Telegram's record of calls, the files the bot sent saved to a folder, and the demo's own words
in her language."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.i18n import RUSSIAN_READERS, make_i18n

USER_ID = 42
STEP_TIMEOUT = 30.0
QUIET_METHODS = frozenset({"getUpdates", "getMe", "setMyCommands", "deleteWebhook", "close"})


class DemoError(Exception):
    """A step did not happen in time: the demo stops and says which."""


#: What the story waits for in the bot's messages, in the seller's language.
EXPECTED = {
    "en": {
        "connected": "is connected",
        "new_order": "new order",
        "cancelled": "cancelled",
        "running_low": "running low",
    },
    "ru": {
        "connected": "подключён",
        "new_order": "нов",  # "Новый заказ", "новые заказы"
        "cancelled": "отмен",  # "Заказ отменён", "отменено заказов"
        "running_low": "заканчива",  # "Заканчивается товар", "заканчиваются товары"
    },
}


def translator(lang: str) -> Callable[[str], str]:
    """The demo's own words in the seller's language, from the bot's catalogues."""
    i18n = make_i18n()
    return lambda text: i18n.gettext(text, locale=lang)


def default_language(environ: dict[str, str] | None = None) -> str:
    """Russian when the system's locale is Russian (LC_ALL, LC_MESSAGES or LANG, as gettext
    reads them), else English."""
    environ = dict(os.environ) if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "ru" if value.split("_")[0].split(".")[0].lower() in RUSSIAN_READERS else "en"
    return "en"


@dataclass
class Chat:
    """Prints the conversation in order: the seller's messages as they are sent, the bot's from
    the fake Telegram's record of calls, and saves the files the bot sent."""

    tg: Any
    out: Path
    lang: str = "en"
    write: Callable[[str], None] = print
    seen: int = 0
    files: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.say = translator(self.lang)

    def you(self, text: str, shown: str | None = None) -> None:
        self.flush()
        self.write(f"you> {shown if shown is not None else text}")
        self.tg.user_message(USER_ID, text, first_name="Anna", language_code=self.lang)

    def send_file(self, name: str, data: bytes) -> None:
        """The seller sends a file (a document with no caption)."""
        self.flush()
        self.write(f"you> [{name}]")
        self.tg.user_document(USER_ID, name, data, language_code=self.lang)

    def note(self, text: str) -> None:
        self.flush()
        self.write(f"\n  ·· {text}")

    def flush(self) -> None:
        calls = self.tg.calls
        while self.seen < len(calls):
            call = calls[self.seen]
            self.seen += 1
            if call.ok and call.method not in QUIET_METHODS:
                self.show(call)

    def show(self, call: Any) -> None:
        method = call.method
        if method == "deleteMessage":
            _ = self.say
            self.write(_("bot: (your message with the key was deleted)"))
            return
        head = {"sendMessage": "bot: ", "editMessageText": "bot (edited): "}.get(method)
        if method in ("sendPhoto", "sendDocument"):
            part = "photo" if method == "sendPhoto" else "document"
            head = f"bot: [{part} {self.save(call, part)}] "
        if head is None:
            return
        lines = (call.text or "").splitlines() or [""]  # as the user sees it: HTML parsed away
        self.write(head + lines[0])
        for line in lines[1:]:
            self.write("     " + line)
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard") or []:
            self.write("     " + " ".join(f"[{b.get('text', '')}]" for b in row))

    def save(self, call: Any, part: str) -> str:
        """Saves an uploaded file under the name the bot gave it; a photo sent by URL (a
        product picture from WB's CDN) is only named."""
        if part not in call.files:
            return "by URL"
        name, data = call.files[part]
        path = self.out / Path(str(name or part)).name
        path.write_bytes(data)
        self.files.append(path)
        return path.name

    async def expect(self, predicate: Callable[[Any], bool], what: str, after: int) -> Any:
        """Waits for the bot's next call that matches (from call index `after`), then prints
        everything up to now."""
        try:
            call = await self.tg.wait_for(predicate, timeout=STEP_TIMEOUT, after=after)
        except TimeoutError:
            self.flush()
            raise DemoError(f"the bot did not send {what} within {STEP_TIMEOUT:.0f} s") from None
        self.flush()
        return call

    async def expect_text(self, substring: str, what: str, after: int) -> Any:
        """Waits for a message holding the substring (case aside)."""
        wanted = substring.lower()
        return await self.expect(
            lambda c: c.ok and c.chat_id == USER_ID and wanted in (c.text or "").lower(),
            what,
            after,
        )

    def expect_word(self, key: str, what: str, after: int) -> Any:
        return self.expect_text(EXPECTED[self.lang][key], what, after)

    async def command(self, text: str, method: str, what: str) -> Any:
        """The seller sends a command and the bot answers it with a call of ``method``."""
        mark = len(self.tg.calls)
        self.you(text)
        return await self.expect(sent_kind(method), what, mark)

    async def settle(self, seconds: float = 1.2) -> None:
        """Lets the bot finish a reply of several messages (paced at 1/s per chat) before the
        next step, so the printed order stays the order the seller sees."""
        await asyncio.sleep(seconds)
        self.flush()


def sent_kind(method: str) -> Callable[[Any], bool]:
    return lambda c: c.ok and c.method == method and c.chat_id == USER_ID
