"""Keys in every disguise, new or edited, in text or captions, in private chats, groups and
channels, against the real dispatcher: the message carrying a key is always deleted, its sender
(or the chat) is told, the key never shows in clear anywhere (canary), nothing crashes and no
one gets an apology. Hostile text in edits and captions breaks nothing either."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.fakes.tokens import OLD_STYLE_KEY, make_token
from tests.fuzz.conftest import OWNER, REPLY_METHODS, BotRig, Tally, fuzz
from tests.fuzz.test_fuzz_bot import COMMANDS, USERS, check_healthy, finish, hostile_text

#: What the reader sees as nothing, or as a space.
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u2060",  # word joiner
    "\ufeff",  # BOM
    "\u00ad",  # soft hyphen
    "\u200e",  # direction marks
    "\u202e",
    "\u2066",
    "\u034f",  # combining grapheme joiner
    "\u180e",
    "\ufe0f",  # variation selector
    "\U000e0041",  # a tag character
]
SEPARATORS = [" ", "\n", "\r\n", "\t", " \n ", "\n\n", "\u00a0", "\u2800", "\u3000"]
PLACES = ["private", "group", "supergroup", "channel"]
WHERE_SAYS = {
    "group": "Revoke it now",
    "supergroup": "Revoke it now",
    "channel": "A WB key was posted here",
}


@st.composite
def disguised(draw: st.DrawFn, key: str) -> str:
    """The key as people paste it or try to slip it past: still whole to whoever copies it."""
    text = key
    for how in draw(st.lists(st.sampled_from(["invisible", "wrap", "wide"]), max_size=3)):
        if how == "invisible":
            for _ in range(draw(st.integers(1, 12))):
                at = int(draw(st.floats(0, 1)) * len(text))
                text = text[:at] + draw(st.sampled_from(INVISIBLE)) + text[at:]
        elif how == "wrap":
            width = draw(st.integers(3, 90))
            sep = draw(st.sampled_from(SEPARATORS))
            text = sep.join(text[i : i + width] for i in range(0, len(text), width))
        else:  # full-width letters at the start (NFKC reads them as plain ones)
            cut = draw(st.integers(1, 12))
            wide = "".join(
                chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text[:cut]
            )
            text = wide + text[cut:]
    before = draw(st.sampled_from(["", "my key: ", "ключ", "«", "<code>", "'", "key\n", "\u200b"]))
    after = draw(st.sampled_from(["", " thanks", "thanks", "»", "</code>", ".", "\n:)", "'"]))
    return before + text + after


def sender_text(draw: st.DrawFn, body: str) -> str:
    command = draw(st.sampled_from(["", *COMMANDS]))
    if not command:
        return body
    cased = draw(st.sampled_from([command, command.upper(), command.title()]))
    mention = draw(st.sampled_from(["", "@wbpulse_test_bot", "@OtherBot", "@WBPULSE_TEST_BOT"]))
    return f"/{cased}{mention} {body}"


def post_healthily(
    botrig: BotRig, user: int, text: str, **how: Any
) -> tuple[dict[str, Any], list]:
    """Posts as BotRig.post does; nothing escaped, no handler failed, no one got an apology."""
    errors = botrig.run(botrig.counter("handler_errors"))
    apologies = botrig.apologies()
    message, calls = botrig.run(botrig.post(user, text, **how))
    check_healthy(botrig, errors)
    assert botrig.apologies() == apologies
    return message, calls


def test_a_key_in_any_disguise_anywhere_is_deleted_and_never_leaks(botrig: BotRig) -> None:
    tally = Tally("disguised keys")
    expired = make_token(acc=3, exp=int(time.time()) - 86400)

    @fuzz(150)
    @given(
        user=USERS,
        key=st.sampled_from([botrig.canary, OLD_STYLE_KEY, expired]),
        where=st.sampled_from(PLACES),
        photo=st.booleans(),
        edited=st.booleans(),
        data=st.data(),
    )
    def example(user: int, key: str, where: str, photo: bool, edited: bool, data) -> None:
        body = data.draw(disguised(botrig.canary if key == botrig.canary else key))
        if key == OLD_STYLE_KEY:
            body = OLD_STYLE_KEY  # an old key counts only as one word (or wrapped whole)
        text = sender_text(data.draw, body)
        # Telegram takes up to 4096 characters of text and 1024 of a caption: a longer
        # disguise is not a message anyone can send (cutting it would cut the key).
        assume(len(text) <= 4096)
        photo = photo and len(text) <= 1024
        first = data.draw(st.sampled_from(["", "/settings", "hello", "/report week"]))
        message, calls = post_healthily(
            botrig,
            user,
            text,
            where=where,
            photo=photo,
            edited_from=(first or "…") if edited else None,
        )
        tally.add("examples")
        tally.add(f"in_{where}")
        tally.add("edited" if edited else "new")
        if key == botrig.canary:
            tally.add("canary_sent")
        chat = message["chat"]["id"]
        assert (chat, message["message_id"]) in botrig.tg.deleted, f"kept: {text[:200]!r}"
        tally.add("deleted")
        replies = [c for c in calls if c.ok and c.method in REPLY_METHODS and c.chat_id == chat]
        assert replies, f"no word to the sender of {text[:200]!r}"
        if where in WHERE_SAYS:
            assert any(WHERE_SAYS[where] in (c.text or "") for c in replies)

    example()
    tally.add("apologies", botrig.apologies())
    finish(botrig, tally)
    assert botrig.apologies() == 0


def test_hostile_edits_and_captions_break_nothing(botrig: BotRig) -> None:
    tally = Tally("edits and captions")

    @fuzz(150)
    @given(
        user=USERS,
        text=hostile_text,
        where=st.sampled_from(PLACES),
        photo=st.booleans(),
        first=st.one_of(st.none(), hostile_text),
        language=st.sampled_from(["en", "ru", "xx"]),
    )
    def example(
        user: int, text: str, where: str, photo: bool, first: str | None, language: str
    ) -> None:
        if photo:
            text = text[:1024]
            first = first[:1024] if first is not None else None
        message, calls = post_healthily(
            botrig, user, text, where=where, photo=photo, edited_from=first, language=language
        )
        tally.add("examples")
        tally.add("edited" if first is not None else "new")
        deleted = (message["chat"]["id"], message["message_id"]) in botrig.tg.deleted
        tally.add("deleted" if deleted else "kept")
        if where == "private" and first is None and not photo:
            assert any(c.ok and c.method in REPLY_METHODS for c in calls), repr(text[:200])

    example()
    tally.add("apologies", botrig.apologies())
    finish(botrig, tally)
    assert botrig.apologies() == 0


def test_the_leak_detector_sees_a_disguised_key(botrig: BotRig) -> None:
    """A key split over lines or laced with zero-width characters is still a leak."""
    assert botrig.leaks() == []
    half = len(botrig.canary) // 2
    laced = "\u200b".join(botrig.canary[:half]) + "\n" + botrig.canary[half:]
    botrig.run(botrig.app.bot.send_message(OWNER, f"key {laced}"))
    assert "telegram sendMessage" in botrig.leaks()
