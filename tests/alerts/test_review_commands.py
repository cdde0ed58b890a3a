"""/reviews and the reviews settings as a user sees them: real Dispatcher and Bot, fake Bot API,
reviews stored the way the sync job stores them."""

from __future__ import annotations

import time

from bot.store.reviews import Listed, store_listing
from bot.store.users import get_user
from bot.wb.methods import Category
from tests.alerts.conftest import press, say
from tests.reports.seed import ALL_CATEGORIES, make_shop

USER = 810
WITH_REVIEWS = ALL_CATEGORIES | (1 << Category.FEEDBACKS)


def listed(n: int, rating: int, age_hours: float) -> Listed:
    payload = {
        "id": f"fb{n}",
        "nm_id": 1000 + n,
        "rating": rating,
        "text": f"Отзыв номер {n}",
        "pros": "",
        "cons": "",
        "photos": 0,
        "title": f"Товар {n}",
        "supplier_article": f"ART-{n}",
        "ts": int(time.time() - age_hours * 3600),
    }
    return Listed(f"fb{n}", 1000 + n, rating, payload["ts"], payload)


async def put_reviews(app, shop_id: int, items: list[Listed]) -> None:
    async with app.db.transaction() as conn:
        await store_listing(conn, shop_id, "review", items, len(items), complete=True)
        await store_listing(conn, shop_id, "question", [], 0, complete=True)


async def test_reviews_lists_the_newest_unanswered_negative_ones_up_to_ten_per_shop(app, tg):
    shop = await make_shop(app.db, app.keyring, USER, categories=WITH_REVIEWS)
    items = [listed(n, 1 + n % 3, age_hours=n) for n in range(12)]  # ratings 1, 2, 3 ...
    items += [listed(50, 5, 0.5), listed(51, 4, 0.2)]
    await put_reviews(app, shop.id, items)
    await say(app, tg, USER, "/reviews")
    call = tg.sent(USER)[-1]
    text = call.text or ""
    assert "unanswered reviews: 14, of them 3★ and below: 12" in text
    shown = [
        n for n in range(60) if f"Отзыв номер {n}\n" in text + "\n" or f"«Отзыв номер {n}»" in text
    ]
    assert shown == list(range(10)), "the ten newest at 3★ or below, newest first"
    assert text.index("«Отзыв номер 0»") < text.index("«Отзыв номер 9»")
    assert "…and 2 more in the WB cabinet." in text
    assert "ART-0" in text and "★☆☆☆☆ 1 of 5" in text
    markup = call.params["reply_markup"]["inline_keyboard"][0][0]
    assert markup["url"].startswith("https://seller.wildberries.ru/")

    await say(app, tg, USER, "/reviews", language="ru")
    ru = tg.sent(USER)[-1].text or ""
    assert "неотвеченных отзывов: 14, из них на 3★ и ниже: 12" in ru


async def test_a_key_without_the_category_hears_what_adding_it_gives(app, tg):
    await make_shop(app.db, app.keyring, USER)
    await say(app, tg, USER, "/reviews")
    assert "no <b>Questions and reviews</b> category" in tg.texts(USER, raw=True)[-1]
    await say(app, tg, USER, "/reviews", language="ru")
    assert "нет категории <b>Вопросы и отзывы</b>" in tg.texts(USER, raw=True)[-1]


async def test_settings_switch_review_and_question_alerts_and_choose_the_threshold(app, tg):
    await say(app, tg, USER, "/settings")
    menu = tg.sent(USER)[-1].result["message_id"]
    assert "💬 Reviews: on, 3★ and below · questions: on" in tg.message(USER, menu)["text"]
    buttons = [b for row in tg.message(USER, menu)["reply_markup"]["inline_keyboard"] for b in row]
    entry = next(b for b in buttons if b["text"] == "💬 Reviews and questions")
    await press(app, tg, USER, menu, entry["callback_data"])
    assert "rated 3★ or below" in tg.message(USER, menu)["text"]
    keyboard = tg.message(USER, menu)["reply_markup"]["inline_keyboard"]
    by_text = {b["text"]: b["callback_data"] for row in keyboard for b in row}
    assert "• ≤3★" in by_text
    await press(app, tg, USER, menu, by_text["≤4★"])
    await press(app, tg, USER, menu, by_text["✅ Questions"])
    user = await get_user(app.db, USER)
    assert user is not None
    assert user.review_threshold == 4 and not user.alert_questions and user.alert_reviews
    text = tg.message(USER, menu)["text"]
    assert "rated 4★ or below" in text and "question alerts: off" in text
    await press(app, tg, USER, menu, "rv:threshold:9")  # not a threshold: ignored
    assert (await get_user(app.db, USER)).review_threshold == 4
    assert len(tg.sent(USER)) == 1  # every change edited the one menu message
