"""Order alerts the order feed tells, as the seller reads them: the feed names a product by nmId
only, so an order of a product the bot has not seen yet (its first order, before statistics and
the cards) has no article and no title; the alert leaves out what is not known and says the
nmId once, and names the product from the cards when they know it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from bot.events import OrderPlaced
from bot.store.outbox import NewEvent
from bot.sync.news import from_feed
from bot.sync.rows import insert_feed_orders
from bot.wb.models import FeedOrder
from tests.lang import nb
from tests.notify.conftest import add_shop, drain, put_events

NEW_NM = 145901976  # in no card and no statistics row yet
CARD_NM = 145900001  # in the Content cards


def feed_order(srid: str, nm_id: int, price: float) -> FeedOrder:
    now = datetime.now(UTC).replace(microsecond=0)
    return FeedOrder(
        srid=srid,
        nm_id=nm_id,
        chrt_id=None,
        created_at=now,
        updated_at=now,
        status="created",
        warehouse_name="Коледино",
        is_mp=False,
        city="Москва",
        district="Центральный федеральный округ",
        seller_price=price,
        is_b2b=False,
    )


async def told_by_feed(db, shop_id: int, orders: list[FeedOrder], batch: str) -> None:
    """As the engine's feed poll does: store, then alert with the names the store found."""
    async with db.transaction() as conn:
        changes = await insert_feed_orders(conn, shop_id, orders)
    events = [NewEvent(from_feed(OrderPlaced, o, changes.names), o.srid) for o in changes.new]
    await put_events(db, shop_id, events, batch=batch)


async def shop_with_card(db, keyring, owner: int, language: str) -> int:
    shop_id = await add_shop(db, keyring, owner, "Лавка", language=language)
    await db.write(
        "INSERT INTO products(shop_id, nm_id, title, vendor_code, brand, subject, updated_at) "
        "VALUES (?,?,?,?,?,?,?)",
        (shop_id, CARD_NM, "Платье летнее", "DRESS-01", "Acme", "Платья", time.time()),
    )
    return shop_id


@pytest.mark.parametrize(
    ("language", "product", "article"),
    [("en", "Product nmId", "Article"), ("ru", "Товар nmId", "Артикул")],
)
async def test_a_feed_order_of_an_unseen_product_has_no_empty_article_and_one_nmid(
    db, keyring, tg, sender, language, product, article
):
    owner = 31 if language == "en" else 32
    shop_id = await shop_with_card(db, keyring, owner, language)
    await told_by_feed(db, shop_id, [feed_order("new-1", NEW_NM, 1520)], "feed-1")

    await drain(sender)

    [text] = tg.texts(owner)
    [raw] = tg.texts(owner, raw=True)
    assert f"{product} {NEW_NM}" in text
    assert text.count(str(NEW_NM)) == 1, text
    assert article not in text and "<code></code>" not in raw, text
    assert nb("1 520 ₽") in text and "Коледино → Москва" in text


@pytest.mark.parametrize(("language", "article"), [("en", "Article"), ("ru", "Артикул")])
async def test_a_feed_order_of_a_product_in_the_cards_shows_its_title_and_article(
    db, keyring, tg, sender, language, article
):
    owner = 33 if language == "en" else 34
    shop_id = await shop_with_card(db, keyring, owner, language)
    await told_by_feed(db, shop_id, [feed_order("card-1", CARD_NM, 2990)], "feed-1")

    await drain(sender)

    [text] = tg.texts(owner)
    assert "Платье летнее" in text
    assert f"{article} DRESS-01 · nmId {CARD_NM}" in text
    assert text.count(str(CARD_NM)) == 1, text


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_feed_burst_lists_unseen_products_by_nmid_once_without_empty_articles(
    db, keyring, tg, sender, language
):
    owner = 35 if language == "en" else 36
    shop_id = await shop_with_card(db, keyring, owner, language)
    other = NEW_NM + 1
    orders = [
        feed_order("b-1", NEW_NM, 1000),
        feed_order("b-2", other, 2000),
        feed_order("b-3", CARD_NM, 3000),
    ]
    await told_by_feed(db, shop_id, orders, "feed-burst")

    await drain(sender)

    [text] = tg.texts(owner)
    [raw] = tg.texts(owner, raw=True)
    lines = text.split("\n")
    assert f"• nmId {NEW_NM} · {nb('1 000 ₽')}" in lines, text
    assert f"• nmId {other} · {nb('2 000 ₽')}" in lines, text
    assert f"• Платье летнее · DRESS-01 · nmId {CARD_NM} · {nb('3 000 ₽')}" in lines, text
    assert "<code></code>" not in raw and "·  ·" not in text
