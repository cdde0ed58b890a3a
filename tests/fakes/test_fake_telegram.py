"""Tests of the fake Telegram server, driven by a real aiogram ``Bot``.

If aiogram parses what the fake answers and raises the exceptions the bot relies on, tests and
benchmarks built on the fake exercise the bot's real error handling.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)

from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, parse_html

USER = 42
OTHER = 43
GROUP = -1001234567890


class _QuickCloseSession(AiohttpSession):
    """AiohttpSession.close() sleeps 250 ms for TLS shutdown; plain HTTP needs none of it."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(tg: FakeTelegram, token: str = DEFAULT_TOKEN) -> Bot:
    session = _QuickCloseSession(api=TelegramAPIServer.from_base(tg.base_url))
    return Bot(token=token, session=session)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(tg)
    yield bot
    await bot.session.close()


def png(width: int, height: int) -> bytes:
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
    return header + struct.pack(">II", width, height) + b"\x08\x06\x00\x00\x00" + b"\0" * 32


# ------------------------------------------------------------------------- basics


async def test_get_me_and_send_message(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 110201543 and me.is_bot and me.username == "wbpulse_test_bot"

    msg = await bot.send_message(USER, "<b>Order</b> #1 &amp; more\n", parse_mode="HTML")
    assert msg.message_id == 1
    assert msg.chat.id == USER and msg.chat.type == "private"
    assert msg.from_user is not None and msg.from_user.id == me.id
    assert msg.text == "Order #1 & more"  # tags parsed away, trimmed
    assert msg.entities is not None and msg.entities[0].type == "bold"
    assert (msg.entities[0].offset, msg.entities[0].length) == (0, 5)

    [call] = tg.sent(USER)
    assert call.params["chat_id"] == USER  # normalised to int
    assert call.params["parse_mode"] == "HTML"
    assert tg.texts(USER) == ["Order #1 & more"]
    assert tg.texts(USER, raw=True) == ["<b>Order</b> #1 &amp; more\n"]
    assert tg.total_violations() == 0


async def test_wrong_token_and_unknown_method(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{tg.base_url}/bot{tg.token}/sendTelepathy") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
    wrong = make_bot(tg, token="1:" + "x" * 35)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await wrong.session.close()


async def test_delete_message_is_recorded(tg: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "secret")
    assert await bot.delete_message(USER, msg.message_id) is True
    assert tg.deleted == {(USER, msg.message_id)}
    assert tg.message(USER, msg.message_id) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, msg.message_id)


async def test_user_and_bot_share_the_chat_message_counter(tg: FakeTelegram, bot: Bot) -> None:
    incoming = tg.user_message(USER, "hello")
    reply = await bot.send_message(USER, "hi")
    elsewhere = await bot.send_message(OTHER, "hi")
    assert (incoming["message_id"], reply.message_id, elsewhere.message_id) == (1, 2, 1)
    # The bot may delete the user's message (e.g. a pasted API key).
    assert await bot.delete_message(USER, incoming["message_id"])


# ------------------------------------------------------------------------- updates


async def test_get_updates_returns_injected_message(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_message(USER, "/start deep", language_code="ru", username="alice")
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.from_user is not None
    assert message.from_user.language_code == "ru"
    assert message.from_user.username == "alice"
    assert message.text == "/start deep"
    assert message.chat.type == "private"
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].offset) == ("bot_command", 0)
    assert message.entities[0].length == len("/start")

    # Confirming with offset drops the update; the next poll is empty.
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []
    assert tg.pending_updates == 0


async def test_long_poll_returns_as_soon_as_an_update_arrives(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    tg.group_message(USER, GROUP, "/report@wbpulse_test_bot week")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    message = updates[0].message
    assert message is not None and message.chat.type == "supergroup"
    assert message.entities is not None
    assert message.entities[0].length == len("/report@wbpulse_test_bot")


async def test_update_ids_increase_and_limit_is_honoured(tg: FakeTelegram, bot: Bot) -> None:
    for i in range(3):
        tg.user_message(USER, f"m{i}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["m0", "m1"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["m2"]
    assert rest[0].update_id == first[-1].update_id + 1


async def test_allowed_updates_filters_new_updates(tg: FakeTelegram, bot: Bot) -> None:
    await bot.get_updates(allowed_updates=["message"])
    tg.callback(USER, 1, "ignored")
    tg.user_message(USER, "kept")
    updates = await bot.get_updates()
    assert [u.event_type for u in updates] == ["message"]
    assert len(tg.dropped_updates) == 1


async def test_edits_captions_and_channel_posts_arrive_as_telegram_sends_them(
    tg: FakeTelegram, bot: Bot
) -> None:
    # Bot API "Update": edited_message / edited_channel_post carry the new version of the whole
    # message; a channel post has sender_chat and no from; a photo's text is its caption.
    photo = tg.user_message(USER, "/report week", photo=True)
    tg.edit_user_message(USER, photo["message_id"], "/report month")
    post = tg.channel_post(-1009, "news")
    tg.edit_user_message(-1009, post["message_id"], "news, edited")
    updates = await bot.get_updates()
    assert [u.event_type for u in updates] == [
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
    ]
    first, edit, channel, channel_edit = (u.event for u in updates)
    assert first.caption == "/report week" and first.text is None and first.photo
    assert first.caption_entities and first.caption_entities[0].type == "bot_command"
    assert edit.caption == "/report month" and edit.edit_date is not None
    assert edit.message_id == first.message_id
    assert channel.from_user is None and channel.sender_chat.id == -1009
    assert channel.chat.type == "channel" and channel_edit.text == "news, edited"


async def test_edited_messages_only_when_asked_for(tg: FakeTelegram, bot: Bot) -> None:
    await bot.get_updates(allowed_updates=["message"])
    message = tg.user_message(USER, "hello")
    tg.edit_user_message(USER, message["message_id"], "hello again")
    updates = await bot.get_updates()
    assert [u.event_type for u in updates] == ["message"]
    assert [u["edited_message"]["text"] for u in tg.dropped_updates] == ["hello again"]


async def test_callback_query_refers_to_the_bot_message(tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Week", callback_data="report:week")]]
    )
    sent = await bot.send_message(USER, "Pick a period", reply_markup=keyboard)
    query = tg.callback(USER, sent.message_id, "report:week", language_code="ru")
    [update] = await bot.get_updates()
    cq = update.callback_query
    assert cq is not None and cq.data == "report:week"
    assert cq.from_user.language_code == "ru"
    assert cq.message is not None and cq.message.message_id == sent.message_id
    assert isinstance(cq.message, Message)
    markup = cq.message.reply_markup
    assert markup is not None and markup.inline_keyboard[0][0].callback_data == "report:week"

    assert await bot.answer_callback_query(query["id"], text="ok")
    assert tg.answered[query["id"]]["text"] == "ok"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])


async def test_my_chat_member_kicked_blocks_the_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.my_chat_member(USER, USER, "member", "kicked")
    [update] = await bot.get_updates()
    event = update.my_chat_member
    assert event is not None and event.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(USER, "still there?")
    tg.my_chat_member(USER, USER, "kicked", "member")
    await bot.send_message(USER, "welcome back")


async def test_second_poll_terminates_the_first_with_conflict(tg: FakeTelegram, bot: Bot) -> None:
    assert not tg.polling
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_polling(timeout=2)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    tg.user_message(USER, "hi")
    assert len(await asyncio.wait_for(second, 2)) == 1


async def test_bot_kicked_from_group(tg: FakeTelegram, bot: Bot) -> None:
    tg.my_chat_member(USER, GROUP, "member", "kicked")
    with pytest.raises(TelegramForbiddenError, match="kicked from the group chat"):
        await bot.send_message(GROUP, "x")
    [update] = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.chat.type == "supergroup"


# ------------------------------------------------------------------------- limits


async def test_private_chat_limit_answers_retry_after() -> None:
    async with FakeTelegram(private_burst=1) as tg:
        bot = make_bot(tg)
        try:
            await bot.send_message(USER, "one")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(USER, "two")
            assert caught.value.retry_after == 1
            assert tg.violations["private"] == 1
            # Another chat is unaffected; edits don't count.
            await bot.send_message(OTHER, "one")
            first = tg.sent(USER)[0].result["message_id"]
            await bot.edit_message_text("one!", chat_id=USER, message_id=first)
            # Sending again before retry_after elapsed is the worse sin.
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(USER, "three")
            assert tg.violations["ignored_retry_after"] == 1
            assert tg.total_violations() == 2
            assert [v.scope for v in tg.violation_log] == ["private", "ignored_retry_after"]
        finally:
            await bot.session.close()


async def test_global_and_group_limits() -> None:
    async with FakeTelegram(global_rate=3, global_burst=3, group_burst=1) as tg:
        bot = make_bot(tg)
        try:
            await bot.send_message(GROUP, "a")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(GROUP, "b")
            assert caught.value.retry_after == 3  # 20/min refills one message per 3 s
            assert tg.violations["group"] == 1
            await bot.send_message(1, "x")
            await bot.send_message(2, "x")
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(3, "x")
            assert tg.violations["global"] == 1
            await bot.send_chat_action(4, "typing")  # not a message: not limited
        finally:
            await bot.session.close()


async def test_limits_can_be_switched_off_and_sustain_a_burst() -> None:
    async with FakeTelegram(enforce_limits=False) as tg:
        bot = make_bot(tg)
        try:
            started = time.monotonic()
            await asyncio.gather(*(bot.send_message(USER, f"m{i}") for i in range(300)))
            assert time.monotonic() - started < 3
            ids = sorted(call.result["message_id"] for call in tg.sent(USER))
            assert ids == list(range(1, 301))
            assert tg.total_violations() == 0
        finally:
            await bot.session.close()


async def test_injected_429_is_not_a_violation_and_can_be_obeyed(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.fail_next("sendMessage", 429, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.retry_after == 1
    assert "retry after 1" in caught.value.message
    assert tg.total_violations() == 0
    await asyncio.sleep(1)
    await bot.send_message(USER, "x")
    assert tg.total_violations() == 0
    assert [call.ok for call in tg.calls_of("sendMessage")] == [False, True]


async def test_ignoring_an_injected_429_is_counted(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 429, retry_after=5, chat_id=USER)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER, "x")
    await bot.send_message(OTHER, "x")  # another chat: fine
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.retry_after in (4, 5)
    assert tg.violations == {"ignored_retry_after": 1}


# ------------------------------------------------------------------------- failures


async def test_blocked_chat_is_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    tg.unblock(USER)
    await bot.send_message(USER, "x")


async def test_migrated_group_answers_migrate_to_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.migrate(-4242, GROUP)
    with pytest.raises(TelegramMigrateToChat) as caught:
        await bot.send_message(-4242, "x")
    assert caught.value.migrate_to_chat_id == GROUP
    msg = await bot.send_message(GROUP, "x")
    assert msg.chat.type == "supergroup"


async def test_injected_server_error_and_migrate(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
    tg.fail_next("sendMessage", 400, "Bad Request: nope", migrate_to_chat_id=GROUP, chat_id=-5)
    await bot.send_message(USER, "unaffected")
    with pytest.raises(TelegramMigrateToChat):
        await bot.send_message(-5, "x")
    assert len(tg.sent()) == 1


async def test_delay_after_delivery_times_out_but_delivers(tg: FakeTelegram, bot: Bot) -> None:
    tg.delay_after_delivery("sendMessage", 5)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "maybe delivered", request_timeout=1)
    assert tg.texts(USER) == ["maybe delivered"]


async def test_disconnect_before_and_after_delivery(tg: FakeTelegram, bot: Bot) -> None:
    tg.disconnect_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "lost")
    tg.disconnect_next("sendMessage", after_delivery=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "delivered")
    assert tg.texts(USER) == ["delivered"]


# ------------------------------------------------------------------------- files


async def test_send_document_records_bytes_and_serves_them(tg: FakeTelegram, bot: Bot) -> None:
    data = "дата,заказы\n2026-01-01,3\n".encode()
    msg = await bot.send_document(
        USER,
        BufferedInputFile(data, filename="report.csv"),
        caption="<i>Week</i>",
        parse_mode="HTML",
    )
    assert msg.document is not None and msg.document.file_name == "report.csv"
    assert msg.document.mime_type == "text/csv" and msg.document.file_size == len(data)
    assert msg.caption == "Week"
    [call] = tg.sent(USER)
    assert call.files["document"] == ("report.csv", data)
    downloaded = await bot.download(msg.document.file_id)
    assert downloaded is not None and downloaded.read() == data


async def test_send_photo_and_media_group(tg: FakeTelegram, bot: Bot) -> None:
    chart = png(1200, 800)
    msg = await bot.send_photo(USER, BufferedInputFile(chart, "chart.png"), caption="Chart")
    assert msg.photo is not None and (msg.photo[-1].width, msg.photo[-1].height) == (1200, 800)
    assert tg.sent()[0].files["photo"] == ("chart.png", chart)

    album = await bot.send_media_group(
        OTHER,
        [
            InputMediaPhoto(media=BufferedInputFile(png(10, 10), "a.png"), caption="first"),
            InputMediaPhoto(media=msg.photo[-1].file_id),
        ],
    )
    assert [m.message_id for m in album] == [1, 2]
    assert album[0].media_group_id == album[1].media_group_id
    assert tg.sent(OTHER)[0].files["media[0]"][0] == "a.png"
    assert tg.texts(OTHER) == ["first"]


# ------------------------------------------------------------------------- Telegram's rules


async def test_bad_html_and_oversized_content_are_rejected(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "shop"'):
        await bot.send_message(USER, "Token for <shop> saved", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d" * 65)]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    assert tg.sent() == [] and tg.total_violations() == 0


def test_parse_html_matches_telegram() -> None:
    text, entities = parse_html(
        '<a href="https://x.y">WB</a> 😀 <pre><code class="language-py">'
        "x</code></pre> a &lt; b &nope; <i>ok</i>"
    )
    assert text == "WB 😀 x a < b &nope; ok"
    assert entities[0] == {"offset": 0, "length": 2, "type": "text_link", "url": "https://x.y"}
    assert entities[1] == {"offset": 6, "length": 1, "type": "pre", "language": "py"}
    assert entities[2] == {"offset": 21, "length": 2, "type": "italic"}  # emoji = 2 UTF-16 units


async def test_edits_follow_telegram_rules(tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="More", callback_data="more")]]
    )
    msg = await bot.send_message(USER, "Summary", reply_markup=keyboard)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Summary", chat_id=USER, message_id=msg.message_id, reply_markup=keyboard
        )
    edited = await bot.edit_message_text("Summary v2", chat_id=USER, message_id=msg.message_id)
    assert isinstance(edited, type(msg)) and edited.reply_markup is None  # keyboard dropped
    assert edited.edit_date is not None
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=msg.message_id, reply_markup=keyboard
    )
    stored = tg.message(USER, msg.message_id)
    assert stored is not None and stored["reply_markup"] is not None
    assert tg.sent(USER)[0].messages[0]["text"] == "Summary"  # snapshots are not mutated
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)


async def test_bot_profile_methods(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    ru = [BotCommand(command="start", description="Старт")]
    assert await bot.set_my_commands(ru, language_code="ru")
    assert await bot.set_my_description("Order alerts", language_code="ru")
    assert await bot.set_my_short_description("WB alerts")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert tg.commands[""] == [{"command": "start", "description": "Start"}]
    assert tg.commands["ru"][0]["description"] == "Старт"
    [got] = await bot.get_my_commands(language_code="ru")
    assert (got.command, got.description) == ("start", "Старт")
    assert tg.descriptions == {"ru": "Order alerts"} and tg.short_descriptions == {"": "WB alerts"}
    assert await bot.close() and await bot.log_out()


async def test_get_chat_and_member(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_message(USER, "hi", first_name="Anna", username="anna")
    chat = await bot.get_chat(USER)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Anna", "anna")
    member = await bot.get_chat_member(USER, USER)
    assert member.status == "member" and member.user.id == USER
    tg.group_message(USER, GROUP, "hello", title="Sellers")
    tg.set_member_status(GROUP, USER, "administrator")
    admin = await bot.get_chat_member(GROUP, USER)
    assert admin.status == "administrator"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(-999)


async def test_wait_for_helpers(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "first <b>alert</b>", parse_mode="HTML")
    # Already recorded calls count...
    call = await tg.wait_for_text(USER, "first alert", timeout=1)
    assert call.method == "sendMessage"
    # ...unless skipped with after=; future calls are awaited.
    mark = len(tg.calls)
    later = asyncio.create_task(tg.wait_for_text(USER, "alert", timeout=2, after=mark))
    await asyncio.sleep(0.01)
    assert not later.done()
    await bot.send_message(USER, "second alert")
    assert (await later).text == "second alert"
    with pytest.raises(TimeoutError, match="last calls"):
        await tg.wait_for(lambda c: c.method == "sendPhoto", timeout=0.05)


async def test_strict_chats_rejects_unknown_chats() -> None:
    async with FakeTelegram(strict_chats=True) as tg:
        bot = make_bot(tg)
        try:
            with pytest.raises(TelegramBadRequest, match="chat not found"):
                await bot.send_message(USER, "x")
            tg.user_message(USER, "/start")
            await bot.send_message(USER, "x")
        finally:
            await bot.session.close()


async def test_stop_releases_a_pending_long_poll() -> None:
    tg = await FakeTelegram().start()
    bot = make_bot(tg)
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await tg.stop()
        assert await asyncio.wait_for(poll, 3) == []
        assert time.monotonic() - started < 2
    finally:
        await bot.session.close()


async def test_restart_keeps_port_and_state(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "before")
    port = tg.port
    await tg.stop()
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "during the outage")
    await tg.start()
    assert tg.port == port
    msg = await bot.send_message(USER, "after")
    assert msg.message_id == 2 and tg.texts(USER) == ["before", "after"]
