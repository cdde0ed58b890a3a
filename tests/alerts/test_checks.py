"""check_stock and check_token_expiry against a real database: what lands in the outbox."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest

from bot.notify.checks import DAY, check_token_expiry
from bot.notify.texts import RenderContext, compose
from bot.store import shops, stock
from bot.store.outbox import _event
from bot.store.shops import NewToken, connect_shop
from bot.store.stock import set_mute
from bot.store.users import ensure_user, update_user
from bot.sync.stock_alerts import check_stock
from tests.alerts.conftest import put_orders, put_stock
from tests.lang import EN, RU
from tests.reports.seed import make_shop

OWNER = 501
PARTNER = 502
# Noon in Moscow today: the checks dedupe by the user's local day, so a run started near
# midnight must not see "now + 30 min" fall on another day.
NOW = datetime.combine(
    datetime.now(ZoneInfo("Europe/Moscow")).date(), dtime(12), ZoneInfo("Europe/Moscow")
).timestamp()


async def stock_events(db, kind: str = "stock_low") -> list[dict]:
    rows = await db.fetchall(
        "SELECT shop_id, ref, user_id, payload FROM events WHERE kind = ? ORDER BY id", (kind,)
    )
    return [{"shop_id": r[0], "ref": r[1], "user_id": r[2], **json.loads(r[3])} for r in rows]


async def alert_texts(db, kind: str, language: str) -> list[str]:
    """Each of the kind's events as the seller reads it in `language`, one message each, with
    the shop names and product cards the sender gives the renderers."""
    rows = await db.fetchall("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,))
    events = [_event(r) for r in rows]
    translate = RU if language == "ru" else EN
    keys = [(e.shop_id, e.event.product) for e in events if e.event.product is not None]
    ctx = RenderContext(
        user=None,
        language=language,
        gettext=translate,
        ngettext=translate,
        tz=ZoneInfo("Europe/Moscow"),
        shop_names=await shops.shop_names(db, {e.shop_id for e in events}),
        products=await stock.products(db, keys) if keys else {},
    )
    return [compose([e], ctx).text for e in events]


async def seed_shop(db, keyring):
    """nm 1: 10 left, 1 a day (10 days); nm 2: 3 left, 1 a day (3 days); nm 3: sold out after 2
    orders; nm 4: sold out, never sold; nm 5: 5 left, never sold."""
    shop = await make_shop(db, keyring, OWNER)
    await put_stock(
        db,
        shop.id,
        [
            (1, "0", "Коледино", 6),
            (1, "0", "Казань", 4),
            (2, "0", "Коледино", 3),
            (3, "0", "Коледино", 0),
            (4, "0", "Коледино", 0),
            (5, "0", "Коледино", 5),
        ],
    )
    await put_orders(db, shop.id, 1, 14, NOW)
    await put_orders(db, shop.id, 2, 14, NOW)
    await put_orders(db, shop.id, 3, 2, NOW)
    return shop


async def test_products_under_the_horizon_or_sold_out_are_alerted_once_a_day(db, keyring):
    shop = await seed_shop(db, keyring)
    assert await check_stock(db, shop.id, NOW) == 2
    events = await stock_events(db)
    assert [(e["nm_id"], e["quantity"], e["user_id"]) for e in events] == [
        (2, 3, OWNER),
        (3, 0, OWNER),
    ]
    assert events[0]["days_of_cover"] == 3 and events[0]["horizon"] == 7
    assert events[0]["supplier_article"] == "ART-2"
    # The next snapshot of the same day alerts nothing new; the next day does again.
    assert await check_stock(db, shop.id, NOW + 1800) == 0
    assert await check_stock(db, shop.id, NOW + DAY) == 2
    assert len(await stock_events(db)) == 4


async def test_each_member_gets_their_own_horizon(db, keyring):
    shop = await seed_shop(db, keyring)
    await ensure_user(db, PARTNER, "en", "Europe/Moscow")
    await update_user(db, PARTNER, stock_horizon_days=14)
    await db.write(
        "INSERT INTO memberships(user_id, shop_id, role, created_at) VALUES (?, ?, 'member', 0)",
        (PARTNER, shop.id),
    )
    await check_stock(db, shop.id, NOW)
    got = {(e["user_id"], e["nm_id"]) for e in await stock_events(db)}
    assert got == {(OWNER, 2), (OWNER, 3), (PARTNER, 1), (PARTNER, 2), (PARTNER, 3)}
    [partners] = [t for t in await alert_texts(db, "stock_low", "en") if "nmId 1\n" in t]
    assert partners.endswith(
        "Left: 10 pcs, enough for about 10 days at 1.0 a day (your horizon: 14 days)."
    )


async def test_snoozed_products_wait_a_week_and_ignored_ones_stay_quiet(db, keyring):
    shop = await seed_shop(db, keyring)
    await set_mute(db, shop.id, 2, NOW + 7 * DAY)
    await set_mute(db, shop.id, 3, None)
    assert await check_stock(db, shop.id, NOW) == 0
    assert await check_stock(db, shop.id, NOW + 8 * DAY) == 1
    assert [e["nm_id"] for e in await stock_events(db)] == [2]


async def test_the_low_stock_switch_off_means_no_alert(db, keyring):
    shop = await seed_shop(db, keyring)
    await update_user(db, OWNER, alert_stock=False)
    assert await check_stock(db, shop.id, NOW) == 0
    assert await stock_events(db) == []


async def expiring_shop(db, keyring, owner: int, left: float):
    await ensure_user(db, owner, "en", "Europe/Moscow")
    info = NewToken(f"seller-{owner}", f"Shop {owner}", 3, 0, True, NOW + left)
    shop, _new = await connect_shop(db, keyring, owner, info, f"token-{owner}")
    return shop


async def test_key_expiry_is_warned_at_14_3_and_1_days_once_each(db, keyring):
    shop = await expiring_shop(db, keyring, OWNER, 20 * DAY)
    assert await check_token_expiry(db, NOW) == 0
    assert await check_token_expiry(db, NOW + 6 * DAY + 60) == 1  # 13.99 days left
    assert await check_token_expiry(db, NOW + 6 * DAY + 3600) == 0
    assert await check_token_expiry(db, NOW + 17 * DAY + 60) == 1
    assert await check_token_expiry(db, NOW + 19 * DAY + 60) == 1
    assert await check_token_expiry(db, NOW + 21 * DAY) == 0  # expired: not a warning
    events = await stock_events(db, "token_expiring")
    assert [e["ref"].split(":")[1] for e in events] == ["14", "3", "1"]
    assert [e["days_left"] for e in events] == [14, 3, 1]
    assert events[0]["shop_name"] == f"Shop {OWNER}" and events[0]["shop_id"] == shop.id


async def test_a_key_connected_with_two_days_left_gets_one_warning_not_three(db, keyring):
    await expiring_shop(db, keyring, OWNER, 2 * DAY)
    assert await check_token_expiry(db, NOW) == 1
    assert await check_token_expiry(db, NOW + 60) == 0
    [event] = await stock_events(db, "token_expiring")
    assert event["ref"].endswith(":3") and event["days_left"] == 2


async def test_a_new_key_is_warned_about_afresh(db, keyring):
    await expiring_shop(db, keyring, OWNER, 2 * DAY)
    await check_token_expiry(db, NOW)
    # The same seller brings a new key that again expires soon: its own warnings.
    info = NewToken(f"seller-{OWNER}", "Renamed", 3, 0, True, NOW + 10 * DAY)
    await connect_shop(db, keyring, OWNER, info, "another-token")
    assert await check_token_expiry(db, NOW) == 1


LOW_STOCK = {
    "en": [
        "📦 <b>Running low</b> · Моя лавка\n<b>Платья Acme</b>\n"
        "Article <code>ART-2</code> · nmId 2\n"
        "Left: 3 pcs, enough for about 3.0 days at 1.0 a day (your horizon: 7 days).",
        "📦 <b>Running low</b> · Моя лавка\n<b>Платья Acme</b>\n"
        "Article <code>ART-3</code> · nmId 3\n"
        "Out of stock at WB warehouses; it sold 0.1 a day over the last 14 days.",
    ],
    "ru": [
        "📦 <b>Заканчивается товар</b> · Моя лавка\n<b>Платья Acme</b>\n"
        "Артикул <code>ART-2</code> · nmId 2\n"
        "Осталось: 3 шт., хватит примерно на 3,0 дня при продажах 1,0 шт. в день "
        "(ваш порог: 7 дней).",
        "📦 <b>Заканчивается товар</b> · Моя лавка\n<b>Платья Acme</b>\n"
        "Артикул <code>ART-3</code> · nmId 3\n"
        "Нет на складах WB; за последние 14 дней продавалось по 0,1 шт. в день.",
    ],
}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_low_stock_alerts_read_as_the_seller_gets_them(db, keyring, language):
    shop = await seed_shop(db, keyring)
    await check_stock(db, shop.id, NOW)
    assert await alert_texts(db, "stock_low", language) == LOW_STOCK[language]


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        (
            "en",
            ["14 days left (until {en})", "3 days left (until {en})", "1 day left (until {en})"],
        ),
        (
            "ru",
            [
                "осталось 14 дней (до {ru})",
                "осталось 3 дня (до {ru})",
                "остался 1 день (до {ru})",
            ],
        ),
    ],
)
async def test_key_expiry_warnings_read_as_the_seller_gets_them(db, keyring, language, lines):
    await expiring_shop(db, keyring, OWNER, 20 * DAY)
    for at in (6 * DAY + 60, 17 * DAY + 60, 19 * DAY + 60):
        await check_token_expiry(db, NOW + at)
    texts = await alert_texts(db, "token_expiring", language)
    until = datetime.fromtimestamp(NOW + 20 * DAY, ZoneInfo("Europe/Moscow"))
    en, ru = f"{until:%Y-%m-%d} 12:00", f"{until:%d.%m.%Y} 12:00"
    assert len(texts) == 3
    head = {
        "en": f"⏳ <b>The WB key of «Shop {OWNER}» expires soon</b>: ",
        "ru": f"⏳ <b>Ключ WB магазина «Shop {OWNER}» скоро истекает</b>: ",
    }[language]
    for text, line in zip(texts, lines, strict=True):
        assert text.startswith(head + line.format(en=en, ru=ru) + ".\n")
    assert "<code>/connect &lt;" in texts[0]


@pytest.mark.parametrize(("language", "line"), [("en", "2 days left"), ("ru", "осталось 2 дня")])
async def test_a_key_connected_with_two_days_left_reads_two_days(db, keyring, language, line):
    await expiring_shop(db, keyring, OWNER, 2 * DAY)
    await check_token_expiry(db, NOW)
    [text] = await alert_texts(db, "token_expiring", language)
    assert f"</b>: {line} (" in text
