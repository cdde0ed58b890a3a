"""The alerts as delivered by the real sender to the fake Bot API: text, buttons, language."""

from __future__ import annotations

import time

from bot.notify.checks import DAY, check_token_expiry
from bot.notify.sender import Sender
from bot.notify.summary import queue_summaries
from bot.store.users import update_user
from bot.sync.stock_alerts import check_stock
from tests.alerts.conftest import press, put_orders, put_stock
from tests.lang import nb
from tests.reports.seed import make_shop

USER = 900


async def deliver(app) -> None:
    sender = Sender(app.db, app.bot, app.i18n, idle_seconds=0.05, send_timeout=2.0)
    for _ in range(5):
        await sender.drain_once(max_seconds=2.0)


async def test_low_stock_alert_arrives_with_buttons_that_mute_the_product(app, tg):
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    await put_stock(app.db, shop.id, [(77, "0", "Коледино", 2)])
    await put_orders(app.db, shop.id, 77, 14, time.time())
    await check_stock(app.db, shop.id)
    await deliver(app)
    call = tg.sent(USER)[-1]
    assert "Running low" in call.text and "ART-77" in call.text
    assert "Left: 2 pcs, enough for about 2.0 days at 1.0 a day" in call.text
    buttons = [b["callback_data"] for b in call.params["reply_markup"]["inline_keyboard"][0]]
    assert buttons == [f"mute:{shop.id}:77:week", f"mute:{shop.id}:77:ever"]
    await press(app, tg, USER, call.result["message_id"], buttons[1])
    assert await app.db.fetchall("SELECT until FROM stock_mutes WHERE nm_id = 77") != []
    await check_stock(app.db, shop.id, time.time() + DAY)
    await deliver(app)
    assert len([c for c in tg.sent(USER) if "Running low" in c.text]) == 1


async def test_key_expiry_warning_and_summary_arrive_in_russian(app, tg):
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    await update_user(app.db, USER, language="ru", summary_time="00:00")
    await app.db.write("UPDATE users SET created_at = created_at - 86400 WHERE id = ?", (USER,))
    await app.db.write(
        "UPDATE shops SET token_expires_at = ? WHERE id = ?", (time.time() + 2 * DAY, shop.id)
    )
    await check_token_expiry(app.db)
    await queue_summaries(app.db)
    await deliver(app)
    texts = tg.texts(USER)
    assert any("Ключ WB магазина «Лавка» скоро истекает" in t and "/connect" in t for t in texts)
    assert any("Сводка за" in t and nb("Заказы: 0 · 0 ₽") in t for t in texts)
