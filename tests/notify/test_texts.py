"""Alert wording: pure renderers, the registry, grouping, quiet hours."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.events import KINDS, AtRisk, Event
from bot.notify.checks import stock_left
from bot.notify.sender import Outgoing, group_messages, place, quiet_until
from bot.notify.texts import (
    MAX_TEXT,
    RENDERERS,
    RenderContext,
    Rendered,
    compose,
    money,
    renderer,
)
from bot.store.outbox import Due, EventRow
from tests.events import event_row
from tests.lang import EN, RU, nb
from tests.users import user

MSK = ZoneInfo("Europe/Moscow")


def ctx(**kw) -> RenderContext:
    kw = {"language": "en", "gettext": lambda s: s, **kw}
    return RenderContext(user=None, tz=MSK, **kw)


def ev(kind="order", n=0, *, shop=1, batch="b", catch_up=False, **fields) -> EventRow:
    base = {
        "srid": f"s{n}",
        "nm_id": 100 + n,
        "supplier_article": f"A{n}",
        "tech_size": "0",
        "subject": "Кружка",
        "brand": "Acme",
        "price_with_disc": 1000,
        "for_pay": 900,
        "ts": 1_700_000_000,
        "sale_id": f"S{n}",
        "day": "2026-11-22",
    }
    return event_row(
        kind, {**base, **fields}, id=n, shop_id=shop, ref=f"r{n}", batch=batch, catch_up=catch_up
    )


def test_money_is_written_in_full():
    assert money(12345) == nb("12 345 ₽")
    assert money(1_204_000.4) == nb("1 204 000 ₽")


def shown_amounts(text: str) -> list[Decimal]:
    """Every amount in the text as a seller reads it: "1 234,56 ₽" → 1234.56."""
    found = re.findall(r"(-?\d{1,3}(?:\u00a0\d{3})*(?:[.,]\d{2})?)\u00a0₽", text)
    return [Decimal(a.replace("\u00a0", "").replace(",", ".")) for a in found]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    ("kind", "key"),
    [("order", "price_with_disc"), ("cancel", "price_with_disc"), ("buyout", "for_pay")],
)
def test_a_burst_header_is_the_sum_of_its_lines_as_shown(language, kind, key):
    prices = [1234.555, 1234.555, 1234.555, 4419.059999999999, 99.994]
    events = [ev(kind, i, **{key: p}) for i, p in enumerate(prices)]
    translate = RU if language == "ru" else EN
    text = compose(events, ctx(language=language, gettext=translate)).text
    header, *lines = shown_amounts(text)
    assert len(lines) == len(prices)
    assert header == sum(lines) == Decimal("8222.73")
    assert nb("1 234.56 ₽" if language == "en" else "1 234,56 ₽") in text


def test_a_burst_of_whole_roubles_shows_no_kopecks():
    text = compose([ev("order", 1, price_with_disc=1500), ev("order", 2, price_with_disc=990)],
                   ctx()).text  # fmt: skip
    assert nb("new orders — 2, 2 490 ₽") in text and ".00" not in text


def test_a_single_order_shows_its_kopecks():
    assert nb("💰 1 459.27 ₽") in compose([ev("order", 1, price_with_disc=1459.27)], ctx()).text


@pytest.mark.parametrize(
    ("days", "ru", "en"),
    [
        (21, "остался 21 день", "21 days left"),
        (3, "осталось 3 дня", "3 days left"),
        (179, "осталось 179 дней", "179 days left"),
        (1, "остался 1 день", "1 day left"),
    ],
)
def test_key_expiry_alert_agrees_days_with_the_number(days, ru, en):
    event = ev("token_expiring", shop_name="Лавка", days_left=days, expires_at=1_796_032_800)
    russian = compose([event], ctx(language="ru", gettext=RU, ngettext=RU)).text
    assert f"скоро истекает</b>: {ru} (до 30.11.2026 " in russian
    assert en in compose([event], ctx()).text


@pytest.mark.parametrize(
    ("cover", "ru", "en"),
    [
        (3.5, "примерно на 3,5 дня", "about 3.5 days"),
        (1, "примерно на 1,0 дня", "about 1.0 days"),
        (12.4, "примерно на 12 дней", "about 12 days"),
        (21, "примерно на 21 день", "about 21 days"),
        (22, "примерно на 22 дня", "about 22 days"),
    ],
)
def test_days_of_cover_read_naturally(cover, ru, en):
    item = AtRisk(quantity=7, days_of_cover=cover)
    assert stock_left(item, ctx(language="ru", gettext=RU, ngettext=RU)) == f"7 шт., {ru}"
    assert stock_left(item, ctx()) == f"7 pcs, {en}"


def test_low_stock_alert_in_russian_reads_naturally():
    event = ev("stock_low", title="Кружка", quantity=7, days_of_cover=3.5, avg_daily=2, horizon=7)
    text = compose([event], ctx(language="ru", gettext=RU, ngettext=RU)).text
    assert (
        "Осталось: 7 шт., хватит примерно на 3,5 дня при продажах 2,0 шт. в день "
        "(ваш порог: 7 дней)."
    ) in text
    sold_out = ev("stock_low", title="Кружка", quantity=0, avg_daily=1.5, horizon=7)
    text = compose([sold_out], ctx(language="ru", gettext=RU, ngettext=RU)).text
    assert "за последние 14 дней продавалось по 1,5 шт. в день" in text


def test_cancel_buyout_return_each_say_what_happened():
    assert "cancelled" in compose([ev("cancel")], ctx()).text
    assert "Bought out" in compose([ev("buyout")], ctx()).text
    assert nb("900 ₽") in compose([ev("buyout")], ctx()).text
    assert "Return" in compose([ev("return")], ctx()).text


def test_wb_text_is_escaped():
    text = compose([ev(supplier_article="<b>&", subject="<i>")], ctx()).text
    assert "&lt;b&gt;&amp;" in text and "<i>" not in text


def test_other_modules_register_renderers_for_their_kinds():
    class Tested(Event, kind="test_kind"):
        pass

    @renderer(Tested)
    def render(events, c):
        return Rendered(f"{len(events)} things in {c.language}")

    try:
        assert compose([ev("test_kind"), ev("test_kind", 1)], ctx()).text == "2 things in en"
    finally:
        RENDERERS.pop("test_kind")
        KINDS.pop("test_kind")


def test_a_digest_of_many_shops_and_kinds_stays_within_telegram_limit():
    events = [
        ev(kind, n, shop=n % 40, supplier_article="Z" * 75)
        for n in range(400)
        for kind in ("order", "cancel")
    ][:800]
    text = compose(events, ctx(shop_names={i: "N" * 100 for i in range(40)}), "Heading").text
    assert len(text) <= MAX_TEXT and text.startswith("Heading")


def test_a_big_burst_beside_one_cancellation_keeps_its_list():
    events = [ev("order", n, supplier_article=f"ART-{n:03d}") for n in range(100)]
    events.append(ev("cancel", 100, supplier_article="ART-CANCELLED"))
    text = compose(events, ctx()).text
    assert len(text) <= MAX_TEXT
    assert "ART-000" in text and "ART-CANCELLED" in text  # lists, not just counts


def test_quiet_hours_wrap_midnight():
    at = datetime(2026, 11, 23, 23, 30, tzinfo=MSK).timestamp()
    until = quiet_until(at, MSK, "23:00", "08:00")
    assert until == datetime(2026, 11, 24, 8, 0, tzinfo=MSK).timestamp()
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=MSK).timestamp()
    assert quiet_until(morning, MSK, "23:00", "08:00") == until
    assert (
        quiet_until(datetime(2026, 11, 24, 12, 0, tzinfo=MSK).timestamp(), MSK, "23:00", "08:00")
        is None
    )
    assert quiet_until(at, MSK, None, None) is None


def test_switches_and_quiet_hours_decide_placement():
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=MSK).timestamp()
    assert place(ev("order"), user(alert_orders=False), noon) is None
    assert place(ev("cancel"), user(alert_orders=False), noon) == ("pending", 0.0)
    assert place(ev("token_dead"), user(alert_orders=False, alert_cancels=False), noon) == (
        "pending",
        0.0,
    )
    state, _ = place(ev("order"), user(quiet_start="11:00", quiet_end="13:00"), noon)
    assert state == "held"


def test_grouping_one_message_per_chat_and_one_digest_for_held():
    def due(i, chat, event, held=False):
        return Due(i, chat, chat, held, 0, event)

    rows = [
        due(1, 1, ev(n=1, batch="p1")),
        due(2, 1, ev(n=2, batch="p1")),
        due(3, 2, ev(n=3, batch="p1")),
        due(4, 1, ev(n=4, batch="p2")),
        due(5, 1, ev(n=5, batch="p3"), held=True),
        due(6, 1, ev(n=6, batch="p4"), held=True),
        due(7, 3, ev(n=7, batch="x", catch_up=True)),
        due(8, 3, ev(n=8, batch="y", catch_up=True)),
        # Not part of the stream: each its own message, held or not (a summary must not be
        # squeezed beside a burst, a stock alert keeps its buttons).
        due(9, 1, ev("summary", n=9, batch="s")),
        due(10, 1, ev("stock_low", n=10, batch="k")),
        due(11, 1, ev("summary", n=11, batch="s2"), held=True),
    ]
    messages = group_messages(rows)
    assert [(m.chat_id, m.mode, m.ids) for m in messages] == [
        (1, "batch", [1, 2, 4]),  # two polls waiting together: one message
        (2, "batch", [3]),
        (1, "quiet", [5, 6]),
        (3, "catch_up", [7, 8]),
        (1, "batch", [9]),
        (1, "batch", [10]),
        (1, "batch", [11]),
    ]
    assert isinstance(messages[0], Outgoing)


@pytest.mark.parametrize(
    ("language", "price", "today", "shown_price", "shown_today"),
    [
        ("en", 1120.5, 1120.5, "💰 1 120.50 ₽", "orders — 1, 1 120.50 ₽"),
        ("ru", 1120.5, 1120.5, "💰 1 120,50 ₽", "заказов — 1, 1 120,50 ₽"),
        ("en", 1000, 2120.5, "💰 1 000.00 ₽", "orders — 1, 2 120.50 ₽"),
        ("ru", 1120.5, 3120, "💰 1 120,50 ₽", "заказов — 1, 3 120,00 ₽"),
        ("en", 1000, 3000, "💰 1 000 ₽", "orders — 1, 3 000 ₽"),
    ],
)
def test_an_order_alert_and_its_today_line_show_kopecks_alike(
    language, price, today, shown_price, shown_today
):
    """ "💰 1 120.50 ₽" above "Today so far: orders — 1, 1 121 ₽" read as two different sums."""
    translate = RU if language == "ru" else EN
    context = ctx(language=language, gettext=translate, today={1: (1, today)})
    text = compose([ev("order", 1, price_with_disc=price)], context).text
    assert nb(shown_price) in text
    assert nb(shown_today) in text


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_burst_of_whole_roubles_shows_kopecks_when_todays_sum_has_them(language):
    translate = RU if language == "ru" else EN
    context = ctx(language=language, gettext=translate, today={1: (3, 2990.5)})
    events = [ev("order", 1, price_with_disc=1500), ev("order", 2, price_with_disc=990)]
    text = compose(events, context).text
    mark = "," if language == "ru" else "."
    assert nb(f"2 490{mark}00 ₽") in text and nb(f"1 500{mark}00 ₽") in text
    assert nb(f"2 990{mark}50 ₽") in text
