"""The daily summary: queued at the user's local summary time, once a day, with the stored
numbers; and how it reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.events import Summary, from_dict
from bot.notify.summary import queue_summaries, summary_text
from bot.notify.texts import RenderContext, compose
from bot.store.users import ensure_user, get_user, update_user
from tests.alerts.conftest import put_stock
from tests.events import event_row
from tests.lang import EN, RU, nb
from tests.reports.seed import make_shop, mark_polled, order, sale, store_rows

MSK = ZoneInfo("Europe/Moscow")
NSK = ZoneInfo("Asia/Novosibirsk")  # UTC+7: 09:00 there is 02:00 UTC
USER = 600


def nsk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 11, day, hour, minute, tzinfo=NSK)


DUE = nsk(20, 9).timestamp()


async def seed(db, keyring):
    await ensure_user(db, USER, "en", "Europe/Moscow")
    await update_user(db, USER, timezone="Asia/Novosibirsk", summary_time="09:00")
    # The user has been with the bot for a while (a newcomer's first summary is tomorrow's).
    await db.write("UPDATE users SET created_at = ? WHERE id = ?", (DUE - 30 * 86400, USER))
    shop = await make_shop(db, keyring, USER, name="Лавка <1>")
    await store_rows(
        db,
        shop.id,
        [
            order("y1", nsk(19, 10), 1500, nm_id=11),
            order("y2", nsk(19, 23, 30), 10000, nm_id=12),
            order("y3", nsk(19, 12), 700, nm_id=11, cancelled_at=nsk(19, 13)),
            order("d1", nsk(18, 15), 2000, nm_id=11),
            order("t1", nsk(20, 0, 30), 999, nm_id=11),  # today: not in yesterday's summary
        ],
        [sale("S1", nsk(19, 12), 1500, 1275, nm_id=11), sale("R1", nsk(19, 14), 500, 400)],
    )
    await mark_polled(db, shop.id, nsk(20, 0, 30), nsk(20, 0, 31).timestamp())
    return shop


async def summaries(db) -> list[tuple[str, int, dict]]:
    rows = await db.fetchall(
        "SELECT ref, user_id, shop_id, payload FROM events WHERE kind = 'summary' ORDER BY id"
    )
    assert all(r[2] == 0 for r in rows)  # a user's event, not a shop's
    return [(r[0], r[1], json.loads(r[3])) for r in rows]


def render(payload: dict, language: str = "en") -> str:
    """The summary message as the seller gets it, through the bot's catalogue for `language`."""
    event = event_row("summary", payload, shop_id=0, user_id=USER)
    translate = RU if language == "ru" else EN
    ctx = RenderContext(
        user=None, language=language, gettext=translate, ngettext=translate, tz=NSK
    )
    return compose([event], ctx).text


async def test_summary_is_queued_at_nine_local_not_before_and_once_a_day(db, keyring):
    await seed(db, keyring)
    assert await queue_summaries(db, DUE - 60) == 0  # 08:59 in Novosibirsk, 01:59 UTC
    assert await queue_summaries(db, DUE) == 1
    assert await queue_summaries(db, DUE + 60) == 0
    assert await queue_summaries(db, DUE + 10 * 3600) == 0
    assert (await get_user(db, USER)).last_summary_day == "2025-11-20"
    assert await queue_summaries(db, DUE + 86400 - 60) == 0
    assert await queue_summaries(db, DUE + 86400) == 1
    assert [(ref, user) for ref, user, _p in await summaries(db)] == [
        (f"{USER}:2025-11-20", USER),
        (f"{USER}:2025-11-21", USER),
    ]


async def test_summary_numbers_match_the_stored_orders_and_sales(db, keyring):
    await seed(db, keyring)
    await queue_summaries(db, DUE)
    [(_ref, _user, payload)] = await summaries(db)
    assert payload["day"] == "2025-11-19"
    current = payload["current"]
    assert (current["orders"], current["orders_sum"]) == (3, 12200)
    assert (current["cancels"], current["cancels_sum"]) == (1, 700)
    assert (current["buyouts"], current["returns"]) == (1, 1)
    assert payload["previous"]["orders"] == 1
    assert [(t["nm_id"], t["orders"]) for t in payload["top"]] == [(12, 1), (11, 2)]
    text = render(payload)
    assert "Summary for 2025-11-19" in text
    assert "Лавка &lt;1&gt;" in text
    assert nb("Orders: <b>3</b> · <b>12 200 ₽</b>") in text
    assert nb("+2, +200%; +10 200 ₽, +510% against the day before") in text
    assert nb("Buyouts: 1 · 1 500 ₽") in text and nb("Returns: 1 · 500 ₽") in text
    assert nb("Cancellations: 1 · 700 ₽") in text
    assert "Buyout rate: 33%" in text  # 1 of 1 buyout + 1 return + 1 cancellation
    assert "WB data as of 20 Nov 00:30" in text
    russian = render(payload, "ru")
    assert "Сводка за 19.11.2025" in russian
    assert nb("Заказы: <b>3</b> · <b>12 200 ₽</b>") in russian
    assert nb("+2, +200%; +10 200 ₽, +510% по сравнению с предыдущим днём") in russian


async def test_a_user_who_arrives_after_the_summary_time_starts_tomorrow(db, keyring):
    await ensure_user(db, USER, "en", "Asia/Novosibirsk")
    await make_shop(db, keyring, USER, name="New")
    await db.write("UPDATE users SET created_at = ? WHERE id = ?", (DUE + 3600, USER))
    assert await queue_summaries(db, DUE + 7200) == 0
    assert await queue_summaries(db, DUE + 86400) == 1


async def test_products_at_risk_are_in_the_summary(db, keyring):
    shop = await seed(db, keyring)
    await put_stock(db, shop.id, [(11, "0", "Коледино", 1), (12, "0", "Коледино", 50)])
    await queue_summaries(db, DUE)
    [(_ref, _user, payload)] = await summaries(db)
    assert [r["nm_id"] for r in payload["at_risk"]] == [11]
    assert "⚠️ <b>May run out soon</b>\n• Платья · <code>ART-11</code> — 1 pcs, about 3.5 days" in (
        render(payload)
    )
    assert (
        "⚠️ <b>Скоро могут закончиться</b>\n"
        "• Платья · <code>ART-11</code> — 1 шт., примерно на 3,5 дня" in render(payload, "ru")
    )


async def test_no_summary_with_the_switch_off_or_without_an_active_shop(db, keyring):
    await seed(db, keyring)
    await update_user(db, USER, alert_summary=False)
    await ensure_user(db, 601, "en", "Asia/Novosibirsk")  # no shop at all
    assert await queue_summaries(db, DUE + timedelta(hours=1).total_seconds()) == 0
    assert await summaries(db) == []


def test_todays_summary_in_russian_compares_with_the_same_time_yesterday():
    payload = {
        "period": "today",
        "day": "2026-12-06",
        "until": datetime(2026, 12, 6, 11, 0, tzinfo=UTC).timestamp(),
        "shops": ["Лавка"],
        "current": {"orders": 12, "orders_sum": 124845.0},
        "previous": {"orders": 10, "orders_sum": 100000.0},
        "top": [],
        "at_risk": [{"title": "Кружка", "supplier_article": "A1", "quantity": 4,
                     "days_of_cover": 21}],
        "as_of": datetime(2026, 12, 6, 10, 55, tzinfo=UTC).timestamp(),
    }  # fmt: skip
    ctx = RenderContext(user=None, language="ru", gettext=RU, ngettext=RU, tz=MSK)
    text = summary_text(from_dict(Summary, payload), ctx)
    assert "06.12.2026, до 14:00" in text
    assert nb("Заказы: <b>12</b> · <b>124 845 ₽</b>") in text
    assert nb("+2, +20%; +24 845 ₽, +25% по сравнению с тем же временем вчера") in text
    assert "4 шт., примерно на 21 день" in text
    assert "Данные WB на 06.12 13:55" in text


def _three_at_100_50(period: str = "yesterday") -> Summary:
    top = [
        {"title": f"Кружка {i}", "supplier_article": f"A{i}", "orders": 1, "orders_sum": 100.5}
        for i in range(3)
    ]
    fields = {
        "period": period,
        "day": "2026-12-05",
        "until": datetime(2026, 12, 6, 6, 0, tzinfo=UTC).timestamp(),
        "shops": ["Лавка"],
        "current": {"orders": 3, "orders_sum": 301.5},
        "previous": {"orders": 1, "orders_sum": 100.0},
        "top": top,
        "at_risk": [],
        "as_of": datetime(2026, 12, 6, 5, 55, tzinfo=UTC).timestamp(),
    }
    return from_dict(Summary, fields)


@pytest.mark.parametrize(
    ("language", "translate", "total", "change", "line"),
    [
        ("en", EN, "Orders: <b>3</b> · <b>301.50 ₽</b>", "+201.50 ₽, +202%", "— 1 · 100.50 ₽"),
        ("ru", RU, "Заказы: <b>3</b> · <b>301,50 ₽</b>", "+201,50 ₽, +202%", "— 1 · 100,50 ₽"),
    ],
)
def test_summary_top_products_add_up_to_the_orders_sum_as_shown(
    language, translate, total, change, line
):
    """Three products at 100.50: whole roubles would read 302 ₽ above 101 + 101 + 101."""
    ctx = RenderContext(
        user=None, language=language, gettext=translate, ngettext=translate, tz=MSK
    )
    text = summary_text(_three_at_100_50(), ctx)
    assert nb(total) in text
    assert nb(change) in text
    assert text.count(nb(line)) == 3
    assert "302" not in text and "101" not in text
